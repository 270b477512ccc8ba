"""A throw-away PostgreSQL + PostGIS server in a folder: for the tests, the benchmarks and local trials.

    python tools/pg_cluster.py start .pgdata [--port 5433]   # prints the URL of database "covgis"
    python tools/pg_cluster.py stop .pgdata

``initdb`` makes the cluster in ``<folder>/data`` (trust authentication, UTF-8), the
server listens on 127.0.0.1 only (and on a Unix socket in the folder). Run as root (CI
runs ``.ci/run`` as root, and PostgreSQL refuses to run as root), the server runs as
the ``postgres`` user (else ``nobody``) through ``runuser``, and the folder is given to
that user. The binaries come from ``COVGIS_PG_BINDIR``, else ``pg_config --bindir``,
else the newest ``/usr/lib/postgresql/*/bin`` (Debian), else ``initdb`` on ``PATH``.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

#: Server settings of a throw-away cluster: local only, and with ``fast`` no flush to disk.
_SETTINGS = {"listen_addresses": "127.0.0.1", "max_connections": "200"}
_FAST = {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}
SUPERUSER = "covgis"


def find_bindir() -> Path | None:
    """The folder of ``initdb`` and ``pg_ctl`` (see the module docstring); None when not installed."""
    override = os.environ.get("COVGIS_PG_BINDIR")
    if override:
        return Path(override) if (Path(override) / "initdb").is_file() else None
    pg_config = shutil.which("pg_config")
    if pg_config:
        with contextlib.suppress(OSError, subprocess.CalledProcessError):
            found = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=True)
            bindir = Path(found.stdout.strip())
            if (bindir / "initdb").is_file():
                return bindir
    debian = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda p: [int(x) if x.isdigit() else 0 for x in p.parent.parent.name.split(".")],
    )
    if debian:
        return debian[-1].parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def postgis_missing(bindir: Path) -> str | None:
    """Why PostGIS cannot be created in a cluster of ``bindir``'s server; None when it can."""
    pg_config = bindir / "pg_config"
    if not pg_config.is_file():
        return None  # cannot tell; CREATE EXTENSION will say
    sharedir = subprocess.run([pg_config, "--sharedir"], capture_output=True, text=True, check=False)
    control = Path(sharedir.stdout.strip()) / "extension" / "postgis.control"
    if control.is_file():
        return None
    return f"PostGIS is not installed for this PostgreSQL ({control} is missing)"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Cluster:
    """A PostgreSQL cluster in ``folder`` (made by :meth:`start` when it does not exist).

    Parameters
    ----------
    folder
        Holds ``data/`` (the cluster), ``port``, ``server.log`` and the Unix socket.
    bindir
        The server binaries (default: :func:`find_bindir`).
    """

    def __init__(self, folder: Path, bindir: Path | None = None) -> None:
        self.folder = Path(folder).resolve()
        found = bindir or find_bindir()
        if found is None:
            raise RuntimeError("no PostgreSQL server binaries (initdb) found; install postgresql")
        self.bindir = found
        self.data = self.folder / "data"
        self._user = self._server_user()

    @staticmethod
    def _server_user() -> str | None:
        """The user the server runs as when we are root (None: ourselves)."""
        if os.geteuid() != 0:
            return None
        for name in ("postgres", "nobody"):
            with contextlib.suppress(KeyError):
                pwd.getpwnam(name)
                return name
        raise RuntimeError("running as root and there is no postgres or nobody user to run the server")

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        command = [str(self.bindir / args[0]), *args[1:]]
        if self._user is not None:
            command = ["runuser", "-u", self._user, "--", *command]
        return subprocess.run(command, capture_output=True, text=True, check=False, cwd="/")

    @property
    def port(self) -> int:
        return int((self.folder / "port").read_text())

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def start(self, port: int | None = None, *, fast: bool = True) -> Cluster:
        """Make the cluster if needed and start the server (a no-op when it runs)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        if self._user is not None:
            blocked = [p for p in self.folder.parents if not os.stat(p).st_mode & 0o001]
            if blocked:
                raise RuntimeError(
                    f"the server runs as {self._user}, who cannot enter {blocked[0]}; "
                    "choose a folder whose parents are searchable by others (e.g. under /tmp)"
                )
            self.folder.chmod(0o755)
            shutil.chown(self.folder, self._user)
        if not self.data.is_dir():
            done = self._run(
                "initdb", "-D", str(self.data), "-U", SUPERUSER, "--auth=trust", "-E", "UTF8",
                "--locale=C", "--no-sync",
            )  # fmt: skip
            if done.returncode != 0:
                raise RuntimeError(f"initdb failed: {done.stderr.strip()}")
        if self.running():
            return self
        chosen = port or free_port()
        (self.folder / "port").write_text(str(chosen))
        settings = {**_SETTINGS, **(_FAST if fast else {}), "port": str(chosen)}
        settings["unix_socket_directories"] = f"'{self.folder}'"
        options = " ".join(f"-c {k}={v}" for k, v in settings.items())
        log = self.folder / "server.log"
        if self._user is not None:
            log.touch()
            shutil.chown(log, self._user)
        done = self._run(
            "pg_ctl", "-D", str(self.data), "-o", options, "-l", str(log), "-w", "-t", "60", "start"
        )
        if done.returncode != 0:
            tail = log.read_text(errors="replace")[-2000:] if log.is_file() else ""
            raise RuntimeError(f"pg_ctl start failed: {done.stderr.strip()}\n{tail}")
        self._wait_ready()
        return self

    def _wait_ready(self, timeout_s: float = 30.0) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), timeout=1):
                return
            time.sleep(0.05)
        raise RuntimeError("the server does not accept connections")

    def running(self) -> bool:
        return self.data.is_dir() and self._run("pg_ctl", "-D", str(self.data), "status").returncode == 0

    def stop(self) -> None:
        """Stop the server (fast shutdown: open sessions are ended)."""
        if self.data.is_dir():
            self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def create_database(self, name: str, *, template: str | None = None) -> str:
        """Create database ``name`` (from ``template`` when given); returns its URL."""
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as conn:
            source = f" TEMPLATE {template} STRATEGY FILE_COPY" if template else ""
            conn.execute(f'CREATE DATABASE "{name}"{source}'.encode())
        return self.url(name)

    def drop_database(self, name: str) -> None:
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'.encode())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("action", choices=["start", "stop", "url"])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--port", type=int, help="port (default: a free one)")
    parser.add_argument("--database", default="covgis", help="database made on start (default covgis)")
    args = parser.parse_args(argv)
    cluster = Cluster(args.folder)
    if args.action == "stop":
        cluster.stop()
        return 0
    if args.action == "start":
        cluster.start(args.port, fast=False)
        import psycopg

        with psycopg.connect(cluster.url(), autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (args.database,)).fetchone()
        if not exists:
            cluster.create_database(args.database)
    print(cluster.url(args.database))
    return 0


if __name__ == "__main__":
    sys.exit(main())
