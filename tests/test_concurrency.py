"""Nothing lost, nothing mixed: several processes on one workspace, crashes, waiting writers.

* A storage snapshot is one read transaction: a commit by another connection during
  it is not seen, and it does not wait for it.
* A change is planned on a refreshed state and checked against the storage's revision
  inside its write transaction: an edit planned on an outdated state is never written.
* Two servers and the CLI on one workspace, edits racing reloads: every response
  shows one revision (its ETag's), every committed edit survives, and the stored
  coverage equals a full recompute.
* ``kill -9`` inside a commit (WAL, and a legacy rollback journal) and inside a layer
  replacement: the next command recovers and works; temporary files are removed.
* Reads never wait for a writer that waits for the workspace lock; a 409 shows no
  server path.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import geopandas as gpd
import httpx2
import pandas as pd
import pyogrio
import pytest
import uvicorn
from fastapi.testclient import TestClient

from coverage_gis import engine
from coverage_gis.access import add_key
from coverage_gis.cli import main
from coverage_gis.errors import StaleRevision
from coverage_gis.layers import get_schema
from coverage_gis.live import LiveWorkspace
from coverage_gis.revisions import RevisionRecord, history, kpi_snapshot
from coverage_gis.storage.base import typed_layer
from coverage_gis.tiles import tile_for_lonlat
from coverage_gis.workspace import Workspace
from coverage_gis_api.app import create_app
from coverage_gis_api.settings import Settings

from ._servers import free_port, wait_until_up
from .conftest import at
from .test_api_read import lonlat, make_workspace

ROOT = Path(__file__).resolve().parents[1]


def _site(ws: Workspace, site_id: str) -> dict[str, Any]:
    sites = ws.read_layer("sites").set_index("site_id")
    return {"name": sites.loc[site_id, "name"], "status": sites.loc[site_id, "status"]}


# -- the storage snapshot ----------------------------------------------------------------------
def test_snapshot_is_one_read_transaction(tiny_ws: Workspace) -> None:
    engine.compute(tiny_ws)
    other = Workspace.open(tiny_ws.path)
    with tiny_ws.snapshot() as snap:
        assert snap.revision == 1
        before = snap.read_layer("villages")
        started = time.perf_counter()
        with other.edit() as editor:  # another connection commits meanwhile; it does not wait
            editor.update_rows("sites", "site_id", [{"site_id": "S2", "status": "on_air"}])
            editor.append_revision(RevisionRecord(summary="switch S2 on", author="t"))
        assert time.perf_counter() - started < 1.0
        assert snap.read_layer("sites").set_index("site_id").loc["S2", "status"] == "planned"
        assert snap.coverage_is_current()
        assert len(snap.read_layer("revisions")) == 1
        pd.testing.assert_frame_equal(snap.read_layer("villages"), before)
    with tiny_ws.snapshot() as snap:
        assert snap.revision == 2
        assert snap.read_layer("sites").set_index("site_id").loc["S2", "status"] == "on_air"


def test_snapshot_reads_what_gdal_reads(tiny_ws: Workspace) -> None:
    """The SQLite reader gives the same frames as GDAL's reading of the same file."""
    engine.compute(tiny_ws)
    with tiny_ws.snapshot() as snap:
        for name in snap.layer_names():
            schema = get_schema(name)
            gdal = pyogrio.read_dataframe(tiny_ws.gpkg_path, layer=name, read_geometry=schema.has_geometry)
            pd.testing.assert_frame_equal(snap.read_layer(name), typed_layer(gdal, schema))


# -- a change is planned on the storage's state ---------------------------------------------------
def test_an_edit_is_planned_on_the_current_state(tiny_ws: Workspace) -> None:
    engine.compute(tiny_ws)
    server_a = LiveWorkspace.open(tiny_ws.path)
    server_b = LiveWorkspace.open(tiny_ws.path)
    on = server_b.update_site(
        "S2", {"status": "on_air"}, cell_changes={"S2-VT-4G": {"status": "on_air"}}, author="b"
    )
    # A has not reloaded; its edit names B's revision, so it is planned on B's state.
    renamed = server_a.update_site("S1", {"name": "trạm 1"}, author="a", expected_revision=on.revision)
    assert renamed.revision == on.revision + 1
    assert _site(tiny_ws, "S2")["status"] == "on_air"  # B's edit survives A's
    assert _site(tiny_ws, "S1")["name"] == "trạm 1"
    stored = tiny_ws.read_layer("village_coverage").set_index("village_id")
    assert bool(stored.loc["V2", "mobile_bb"]) is True
    with pytest.raises(StaleRevision, match=f"at revision {renamed.revision}, not {on.revision}"):
        server_b.update_site("S1", {"name": "x"}, author="b", expected_revision=on.revision)


def test_a_commit_during_planning_refuses_the_edit(tiny_ws: Workspace) -> None:
    """A writer ignoring the workspace lock commits while an edit is planned: none of the edit is written."""
    engine.compute(tiny_ws)
    live = LiveWorkspace.open(tiny_ws.path)
    intruder = Workspace.open(tiny_ws.path).storage

    def commit_meanwhile(*_args: Any) -> None:
        with intruder.edit() as editor:
            editor.update_rows("sites", "site_id", [{"site_id": "S2", "name": "intruder"}])
            editor.append_revision(RevisionRecord(summary="intruder", author="x"))

    with pytest.raises(StaleRevision, match="moved to revision 2 while this change was planned on 1"):
        live.apply([live_edit("S1", name="lost")], author="a", expected_revision=1, permit=commit_meanwhile)
    assert _site(tiny_ws, "S1")["name"] == ""
    assert _site(tiny_ws, "S2")["name"] == "intruder"
    assert list(history(tiny_ws)["summary"]) == [
        "full recompute (radius model; 0 of 8 pairs outside formula validity)",
        "intruder",
    ]


def live_edit(site_id: str, **changes: Any) -> Any:
    from coverage_gis.site_edits import SiteEdit

    return SiteEdit(op="update", site_id=site_id, site=changes)


# -- two servers and the CLI on one workspace --------------------------------------------------------
def _env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), str(ROOT / "api"), env.get("PYTHONPATH", "")])
    env.update(extra)
    return env


def _covgis(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "coverage_gis", *args],
        capture_output=True,
        text=True,
        env=_env(**env),
        timeout=60,
        check=False,
    )


@pytest.fixture
def shared_ws(tmp_path: Path) -> tuple[Workspace, str]:
    ws = make_workspace(tmp_path / "ws")
    _, secret = add_key(ws, "racer", "admin")
    return ws, secret


def _start_server(ws: Workspace, port: int, log: Any) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "coverage_gis", "serve", str(ws.path), "--port", str(port)],
        env=_env(COVGIS_REFRESH_INTERVAL_S="0.02"),
        stdout=subprocess.DEVNULL,
        stderr=log,
        text=True,
    )


def _revision(etag: str) -> int:
    return int(etag.strip('"').removeprefix("rev-"))


@pytest.fixture
def crowded_ws(shared_ws: tuple[Workspace, str]) -> tuple[Workspace, str]:
    """The shared workspace with 1,500 more villages far from every site: reloads take a while."""
    ws, secret = shared_ws
    villages = ws.read_layer("villages")
    n = 1500
    points = [at(30_000 + 10.0 * (i % 100), 10.0 * (i // 100)) for i in range(n)]
    extra = gpd.GeoDataFrame(
        {
            "village_id": [f"X{i}" for i in range(n)],
            "name": [f"thôn X{i}" for i in range(n)],
            "kind": ["thôn"] * n,
            "province_code": ["99"] * n,
            "population": [10] * n,
        },
        geometry=points,
        crs="EPSG:4326",
    )
    ws.write_layers({"villages": pd.concat([villages, extra], ignore_index=True)})
    engine.compute(ws)
    return ws, secret


def test_two_servers_and_the_cli_never_mix_revisions_nor_lose_edits(
    crowded_ws: tuple[Workspace, str],
) -> None:
    ws, secret = crowded_ws
    initial = {s: _site(ws, s) for s in ("S1", "S2")}
    baseline = set(history(ws)["revision"])
    ports = [free_port(), free_port()]
    log = (ws.path.parent / "servers.log").open("w")
    servers = [_start_server(ws, port, log) for port in ports]
    bases = [f"http://127.0.0.1:{port}" for port in ports]
    edits: dict[int, tuple[str, dict[str, Any]]] = {}  # revision → (site, fields it set)
    responses: list[tuple[str, int, Any]] = []  # (kind, revision of the ETag, body)
    errors: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()
    try:
        for base, server in zip(bases, servers, strict=True):
            wait_until_up(f"{base}/health", server, timeout_s=60.0)

        def writer(base: str, site_id: str, fields: Callable[[int], dict[str, Any]], pause_s: float) -> None:
            n = 0
            with httpx2.Client(base_url=base, timeout=30.0) as client:
                while not stop.wait(pause_s):
                    etag = client.get(f"/v1/sites/{site_id}").headers["ETag"]
                    body = fields(n)
                    response = client.patch(
                        f"/v1/sites/{site_id}", json=body, headers={"X-API-Key": secret, "If-Match": etag}
                    )
                    if response.status_code == 200:
                        with lock:
                            edits[response.json()["revision"]] = (site_id, body)
                        n += 1
                    elif response.status_code not in (409, 412):
                        errors.append(f"{base} PATCH {response.status_code}: {response.text[:200]}")

        def switch_s2(n: int) -> dict[str, Any]:
            status = "on_air" if n % 2 == 0 else "planned"
            cell = {
                "cell_id": "S2-VT-4G",
                "operator": "Viettel",
                "tech": "4G",
                "band_mhz": 700.0,
                "status": status,
            }
            return {"status": status, "cells": [cell]}

        def reader(base: str) -> None:
            with httpx2.Client(base_url=base, timeout=30.0) as client:
                while not stop.wait(0.01):
                    for kind, url in (
                        ("sites", "/v1/sites?limit=10"),
                        ("health", "/health"),
                        ("village", "/v1/villages/V2"),
                    ):
                        response = client.get(url)
                        if response.status_code != 200:
                            errors.append(f"{base} GET {url} {response.status_code}")
                            continue
                        with lock:
                            responses.append((kind, _revision(response.headers["ETag"]), response.json()))

        def cli_writer(tmp: Path) -> None:
            n = 0
            while not stop.is_set():
                name = f"cli-{n}"
                path = tmp / f"edit-{n}.json"
                path.write_text(json.dumps({"op": "update", "site_id": "S2", "site": {"name": name}}))
                done = _covgis("sites", "apply", str(ws.path), str(path), "--json")
                if done.returncode == 0:
                    with lock:
                        edits[json.loads(done.stdout)["revision"]] = ("S2", {"name": name})
                elif "being written by another process" not in done.stderr:
                    errors.append(f"cli exit {done.returncode}: {done.stderr[-300:]}")
                n += 1

        # Server A commits fast (it never reloads for its own commits); server B mostly
        # reloads while A commits, and writes now and then; the CLI renames S2.
        threads = [
            threading.Thread(target=writer, args=(bases[0], "S2", switch_s2, 0.0)),
            threading.Thread(target=writer, args=(bases[1], "S1", lambda n: {"name": f"b-{n}"}, 1.0)),
            threading.Thread(target=reader, args=(bases[0],)),
            threading.Thread(target=reader, args=(bases[1],)),
            threading.Thread(target=cli_writer, args=(ws.path.parent,)),
        ]
        for thread in threads:
            thread.start()

        def enough() -> bool:  # some of everything (a loaded machine needs longer)
            with lock:
                cli = sum(site == "S2" and "name" in body for site, body in edits.values())
                seen = {revision for _, revision, _ in responses}
            return len(edits) >= 6 and cli >= 1 and len(seen) >= 5

        started = time.monotonic()
        while time.monotonic() - started < 5.0 or (not enough() and time.monotonic() - started < 40.0):
            time.sleep(0.2)
        stop.set()
        for thread in threads:
            thread.join(timeout=90)
    finally:
        stop.set()
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait(timeout=30)
        log.close()
    assert errors == [], (ws.path.parent / "servers.log").read_text()[-2000:]

    # Every revision in the log is one of the edits made here, and every edit made is in the log.
    logged = set(history(ws)["revision"])
    assert logged == baseline | set(edits)
    assert len(edits) >= 6
    assert any(site == "S2" and "name" in body for site, body in edits.values())  # the CLI's

    def state_at(revision: int) -> dict[str, dict[str, Any]]:
        state = {site: dict(fields) for site, fields in initial.items()}
        for number in sorted(r for r in edits if r <= revision):
            site, body = edits[number]
            state[site].update({k: v for k, v in body.items() if k in ("name", "status")})
        return state

    mixed = []
    for kind, revision, body in responses:
        expected = state_at(revision)
        s2_on = expected["S2"]["status"] == "on_air"
        if kind == "sites":
            got = {s["site_id"]: {"name": s["name"], "status": s["status"]} for s in body["items"]}
            ok = got == expected
        elif kind == "health":
            ok = body["revision"] == revision and body["counts"]["mobile_bb"] == 2 + s2_on
        else:
            ok = body["mobile_bb"] is s2_on
        if not ok:
            mixed.append((kind, revision, body))
    observed = {revision for _, revision, _ in responses}
    by_cli = sum(site == "S2" and "name" in body for site, body in edits.values())
    print(  # shown with -s: the figures of this run
        f"{len(edits)} edits committed ({by_cli} by the CLI), {len(responses)} responses checked, "
        f"{len(observed)} revisions observed, {len(mixed)} mixed"
    )
    assert mixed == []
    assert len(observed) >= 5
    final = max(logged)
    assert {s: _site(ws, s) for s in ("S1", "S2")} == state_at(final)
    stored = ws.read_layer("village_coverage").sort_values("village_id").reset_index(drop=True)
    full = engine.compute(ws, write=False).coverage.sort_values("village_id").reset_index(drop=True)
    for column in ("mobile_bb", "best_tech", "operators", "ftth"):
        plain = [
            stored[column].astype(object).where(stored[column].notna(), None) for stored in (stored, full)
        ]
        assert list(plain[0]) == list(plain[1]), column
    kpis = kpi_snapshot(ws, final)
    province = kpis[kpis["level"] == "province"].iloc[0]
    assert province["villages_mobile_bb"] == 2 + (state_at(final)["S2"]["status"] == "on_air")


# -- crashes -------------------------------------------------------------------------------------------
_KILL_AT_COMMIT = """
import os, signal, sqlite3, sys
real = sqlite3.connect
def connect(*args, **kwargs):
    conn = real(*args, **kwargs)
    conn.execute("PRAGMA cache_size = 1")  # spill every change to the file before the commit
    if os.environ.get("JOURNAL") == "DELETE":
        conn.execute("PRAGMA journal_mode = DELETE")
    def trace(statement):
        if statement.strip().upper() == "COMMIT":
            os.kill(os.getpid(), signal.SIGKILL)
    conn.set_trace_callback(trace)
    return conn
sqlite3.connect = connect
if os.environ.get("JOURNAL") == "DELETE":
    import coverage_gis.storage.gpkg as gpkg
    gpkg._use_wal = lambda conn: None  # a workspace written before WAL mode
from coverage_gis.cli import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.parametrize("journal", ["WAL", "DELETE"])
def test_kill_inside_a_commit_then_normal_use(shared_ws: tuple[Workspace, str], journal: str) -> None:
    ws, _ = shared_ws
    if journal == "DELETE":
        conn = sqlite3.connect(ws.gpkg_path)
        assert conn.execute("PRAGMA journal_mode = DELETE").fetchone()[0] == "delete"
        conn.close()
    before = ws.read_layer("sites")
    edit = ws.path.parent / "edit.json"
    lon, lat = lonlat(2000, 2000)
    new_site = {"site_id": "K1", "lon": lon, "lat": lat, "status": "on_air"}
    cells = [{"cell_id": f"K1-{i}", "operator": "Viettel", "tech": "4G"} for i in range(40)]
    edit.write_text(json.dumps([{"op": "add", "site": new_site, "cells": cells}]))
    killed = subprocess.run(
        [sys.executable, "-c", _KILL_AT_COMMIT, "sites", "apply", str(ws.path), str(edit)],
        capture_output=True,
        text=True,
        env=_env(JOURNAL=journal),
        timeout=60,
        check=False,
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    side = ws.gpkg_path.with_name(ws.gpkg_path.name + ("-journal" if journal == "DELETE" else "-wal"))
    assert side.is_file()
    assert side.stat().st_size > 0  # the crash left a hot journal / uncommitted WAL frames
    # Every later command works, from a read (a read-only open could not roll it back) on.
    assert main(["kpi", str(ws.path), "--json"]) == 0
    pd.testing.assert_frame_equal(ws.read_layer("sites"), before)  # the killed edit is not there
    assert ws.revision == 1
    assert main(["sites", "apply", str(ws.path), str(edit)]) == 0
    assert ws.revision == 2
    assert len(ws.read_layer("cells").query("site_id == 'K1'")) == 40
    with TestClient(create_app(Settings(workspace=ws.path))) as client:
        assert client.get("/health").json()["revision"] == 2


_KILL_IN_REPLACE = """
import os, signal, sys
import pyogrio
real = pyogrio.write_dataframe
def write(*args, **kwargs):
    real(*args, **kwargs)
    os.kill(os.getpid(), signal.SIGKILL)
pyogrio.write_dataframe = write
from coverage_gis.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_kill_inside_an_import_leaves_no_temporary_file(shared_ws: tuple[Workspace, str]) -> None:
    ws, _ = shared_ws
    villages = ROOT / "tests" / "data" / "villages.geojson"
    digest = ws.gpkg_path.read_bytes()
    killed = subprocess.run(
        [sys.executable, "-c", _KILL_IN_REPLACE, "import", str(ws.path), "villages", str(villages)],
        capture_output=True,
        text=True,
        env=_env(),
        timeout=60,
        check=False,
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    leftovers = sorted(p.name for p in ws.path.glob(".workspace-*"))
    assert leftovers  # the crash left its temporary copy
    assert ws.gpkg_path.read_bytes() == digest
    reopened = Workspace.open(ws.path)
    assert sorted(p.name for p in ws.path.glob(".workspace-*")) == []
    assert reopened.layer_counts()["villages"] == 3
    # While a writer holds the lock, what looks left over may be its work: it stays.
    stray = ws.path / ".workspace-abc123.gpkg"
    with Workspace.open(ws.path).lock():
        stray.write_bytes(b"in progress")
        Workspace.open(ws.path)
        assert stray.is_file()
    Workspace.open(ws.path)
    assert not stray.exists()


# -- a writer waiting for the lock holds up no read ------------------------------------------------------
@pytest.fixture
def served(shared_ws: tuple[Workspace, str]) -> Iterator[tuple[str, Any, Workspace, str]]:
    ws, secret = shared_ws
    app = create_app(Settings(workspace=ws.path, refresh_interval_s=0.0))
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        assert thread.is_alive(), "uvicorn did not start"
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}", app.state.ctx, ws, secret
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()


def test_reads_never_wait_for_a_writer_waiting_for_the_lock(served: tuple[str, Any, Workspace, str]) -> None:
    base, ctx, ws, secret = served
    ctx.live.lock_timeout_s = 5.0
    x, y = tile_for_lonlat(at(1000, 0).x, at(1000, 0).y, 12)
    reads = ["/health", "/v1/villages", "/v1/sites/S1", f"/tiles/villages/12/{x}/{y}.mvt", "/v1/kpis"]
    with httpx2.Client(base_url=base, timeout=30.0) as client:
        etag = client.get("/health").headers["ETag"]
        outcome: dict[str, Any] = {}

        def patch() -> None:
            started = time.perf_counter()
            outcome["response"] = client.patch(
                "/v1/sites/S1", json={"name": "blocked"}, headers={"X-API-Key": secret, "If-Match": etag}
            )
            outcome["seconds"] = time.perf_counter() - started

        with Workspace.open(ws.path).lock():  # another writer holds the workspace
            waiting = threading.Thread(target=patch)
            waiting.start()
            time.sleep(0.3)  # the PATCH is waiting for the lock now
            timings = {}
            for url in reads * 3:
                started = time.perf_counter()
                assert client.get(url).status_code == 200, url
                timings[url] = max(timings.get(url, 0.0), time.perf_counter() - started)
            assert waiting.is_alive()  # the reads were answered while the PATCH waited
            waiting.join()
    assert max(timings.values()) < 2.0, timings  # milliseconds when the machine is idle
    response = outcome["response"]
    assert response.status_code == 409
    assert outcome["seconds"] >= 4.5
    message = response.json()["error"]["message"]
    assert "being written by another process" in message
    assert str(ws.path.parent) not in message  # no server path in an answer
    assert str(ws.path.resolve().parent) not in message
