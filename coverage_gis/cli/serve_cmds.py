"""Server and key commands: ``serve`` (uvicorn + the API) and ``keys add|list|revoke``.

``cmd_serve`` is the composition root that starts the web app: the one place in
``coverage_gis`` allowed to import ``uvicorn`` and ``coverage_gis_api`` (see the
``TID251`` exception in ``pyproject.toml``). It imports them inside the command, so the
rest of the CLI does not pay for importing FastAPI. Keys are the library's
(:mod:`coverage_gis.access`).
"""

from __future__ import annotations

import argparse
import errno
import socket
from typing import TYPE_CHECKING, Any

from coverage_gis.access import add_key, list_keys, revoke_key
from coverage_gis.cli._args import command_group, workspace_command
from coverage_gis.cli._output import lang_of, print_json, print_table
from coverage_gis.display import Lang
from coverage_gis.errors import CoverageGISError, LayerValidationError, WorkspaceError
from coverage_gis.messages import text
from coverage_gis.vocabulary import NAMED_OPERATORS
from coverage_gis.workspace import Workspace

if TYPE_CHECKING:
    from coverage_gis.cli._args import Subcommands

#: Seconds uvicorn's supervisor waits for a worker's health-check answer before restarting it.
_WORKER_HEALTHCHECK_S = 120
_ROLE_HELP = f"planner | operator:<{'|'.join(NAMED_OPERATORS)}> | admin"


def register(sub: Subcommands) -> None:
    p = workspace_command(
        sub,
        "serve",
        cmd_serve,
        help="serve the query API (and the web map and tiles when installed) with uvicorn",
        description="Run the HTTP API for one workspace. Binds to 127.0.0.1 unless told otherwise; "
        "other settings come from COVGIS_* environment variables (see api/coverage_gis_api/settings.py).",
    )
    p.add_argument("--host", default="127.0.0.1", help="bind address (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    p.add_argument(
        "--anonymous-read",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="allow reads without an API key (default: yes on 127.0.0.1; on any other --host it must "
        "be given, or COVGIS_ANONYMOUS_READ set)",
    )
    p.add_argument("--reload", action="store_true", help="restart on code changes (development)")
    p.add_argument(
        "--workers",
        type=int,
        default=1,
        metavar="N",
        help="worker processes (default 1; more than one needs a postgresql:// workspace, whose "
        "workers see each other's edits at once)",
    )

    actions = command_group(
        sub,
        "keys",
        help="API keys of a workspace: add, list, revoke",
        description="API keys for edits (and for reads when anonymous reads are off). Only a salted hash "
        "is stored in workspace.yaml; the secret is printed once by `keys add`.",
    )

    p = workspace_command(actions, "add", cmd_keys_add, help="make a key and print its secret (once)")
    p.add_argument("--name", required=True, help="who holds the key")
    p.add_argument("--role", required=True, help=_ROLE_HELP)
    p.add_argument("--json", dest="fmt", action="store_const", const="json", default="text")

    p = workspace_command(
        actions, "list", cmd_keys_list, help="list keys (id, name, role, created; never secrets)"
    )
    p.add_argument("--json", dest="fmt", action="store_const", const="json", default="table")

    p = workspace_command(actions, "revoke", cmd_keys_revoke, help="delete a key")
    p.add_argument("key_id", metavar="KEY_ID")


def cmd_serve(args: argparse.Namespace) -> int:
    import os

    import uvicorn
    from pydantic import ValidationError

    from coverage_gis_api.app import create_app
    from coverage_gis_api.settings import EVENT_LOOP, HTTP_PARSER, Settings

    if args.workers < 1:
        raise LayerValidationError("--workers must be at least 1", source="covgis serve")
    with Workspace.open(args.workspace) as ws:  # fail fast, with the CLI's one-line error
        name, backend = ws.config.name, ws.backend
        location = str(ws.path.resolve()) if backend == "gpkg" else str(ws.url)
    if args.workers > 1 and backend != "postgis":
        raise WorkspaceError(
            f"{args.workspace}: several workers need a PostGIS workspace (a folder's workers would each "
            "hold their own copy, a second apart); load it into a database with `covgis db load`"
        )
    given: dict[str, Any] = {"workspace": location, "host": args.host, "port": args.port}
    if args.anonymous_read is not None:
        given["anonymous_read"] = args.anonymous_read
    try:
        settings = Settings(**given)
    except ValidationError as exc:
        reasons = "; ".join(str(e.get("msg", "")).removeprefix("Value error, ") for e in exc.errors())
        raise LayerValidationError(reasons, source="covgis serve") from None
    lang = lang_of(args)
    check_port_free(args.host, args.port, lang)
    access = text("anonymous_on" if settings.anonymous_read else "anonymous_off", lang)
    if args.workers > 1:
        access += "; " + text("workers", lang, n=args.workers)
    print(text("serving", lang, name=name, host=args.host, port=args.port, access=access), flush=True)
    if args.reload or args.workers > 1:
        # The reloader and the workers import the app by name in child processes: pass
        # the settings by environment.
        os.environ["COVGIS_WORKSPACE"] = str(settings.workspace)
        os.environ["COVGIS_HOST"] = settings.host
        os.environ["COVGIS_PORT"] = str(settings.port)
        if args.anonymous_read is not None:
            os.environ["COVGIS_ANONYMOUS_READ"] = "true" if args.anonymous_read else "false"
        uvicorn.run(
            "coverage_gis_api.app:create_app",
            factory=True,
            host=args.host,
            port=args.port,
            reload=args.reload,
            workers=None if args.reload else args.workers,
            # A worker's start loads the whole workspace (seconds of work that may hold
            # the GIL): the supervisor must not take the missing answers for a hang.
            timeout_worker_healthcheck=_WORKER_HEALTHCHECK_S,
            http=HTTP_PARSER,
            loop=EVENT_LOOP,
        )
        return 0
    uvicorn.run(create_app(settings), host=args.host, port=args.port, http=HTTP_PARSER, loop=EVENT_LOOP)
    return 0


def check_port_free(host: str, port: int, lang: Lang) -> None:
    """Fail with one line (exit 1) when ``host:port`` cannot be listened on, before the
    server starts and logs a traceback-like error of its own."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise CoverageGISError(
            text("host_unusable", lang, host=host, port=port, reason=exc.strerror)
        ) from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        # As uvicorn binds: an old connection in TIME_WAIT does not count as busy.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise CoverageGISError(text("port_busy", lang, host=host, port=port)) from None
            reason = exc.strerror or str(exc)
            raise CoverageGISError(text("host_unusable", lang, host=host, port=port, reason=reason)) from None


def cmd_keys_add(args: argparse.Namespace) -> int:
    ws = Workspace.open(args.workspace)
    key_id, secret = add_key(ws, args.name, args.role)
    if args.fmt == "json":
        print_json({"id": key_id, "name": args.name, "role": args.role, "secret": secret})
    else:
        print(f"key {key_id} for {args.name} ({args.role}); the secret is shown only now:")
        print(secret)
    return 0


def cmd_keys_list(args: argparse.Namespace) -> int:
    import pandas as pd

    keys = list_keys(Workspace.open(args.workspace))
    if args.fmt == "json":
        print_json(keys)
        return 0
    print_table(pd.DataFrame(keys, columns=["id", "name", "role", "created"]))
    return 0


def cmd_keys_revoke(args: argparse.Namespace) -> int:
    revoke_key(Workspace.open(args.workspace), args.key_id)
    print(f"revoked key {args.key_id}")
    return 0
