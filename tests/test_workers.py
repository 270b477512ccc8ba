"""Several API workers on one PostGIS workspace see each other's edits at once.

Workers A and B are two ``covgis serve`` processes on the same database (what
``covgis serve --workers N`` runs, with the port each one's own, so that a request goes
to the worker the test means). An edit through A is visible through B as soon as A's
response has returned: B's coverage tile, village and KPIs show the new revision, and
B's tile is the one A draws for it. ``--workers 2`` itself serves edits and reads.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest

from coverage_gis.access import add_key
from coverage_gis.tiles import tile_for_lonlat
from coverage_gis.workspace import Workspace

from ._servers import free_port, wait_until_up
from .conftest import api_workspace, at

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.backends("postgis")


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), str(ROOT / "api"), env.get("PYTHONPATH", "")])
    env.pop("COVGIS_REFRESH_INTERVAL_S", None)  # the database default: every request
    return env


def _serve(url: str, port: int, log: Any, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "coverage_gis", "serve", url, "--port", str(port), *extra],
        env=_env(),
        stdout=log,
        stderr=log,
        text=True,
    )


@pytest.fixture
def database_ws(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[tuple[str, str]]:
    """The API tests' workspace in a database: its URL and an admin key."""
    for ws in api_workspace(backend, tmp_path / "ws", request):
        _, secret = add_key(ws, "lead", "admin")
        assert ws.url is not None
        yield ws.url, secret


def _stop(processes: list[subprocess.Popen[str]]) -> None:
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


def _revision(response: httpx2.Response) -> int:
    return int(response.headers["ETag"].strip('"').removeprefix("rev-"))


def test_an_edit_through_worker_a_shows_in_worker_b_at_once(
    database_ws: tuple[str, str], tmp_path: Path
) -> None:
    url, secret = database_ws
    ports = [free_port(), free_port()]
    log_path = tmp_path / "workers.log"
    with log_path.open("w") as log:
        workers = [_serve(url, port, log) for port in ports]
        try:
            a, b = (httpx2.Client(base_url=f"http://127.0.0.1:{p}", timeout=60.0) for p in ports)
            for client, worker in zip((a, b), workers, strict=True):
                wait_until_up(
                    f"{str(client.base_url).rstrip('/')}/health",
                    worker,
                    timeout_s=120.0,
                    poll_s=0.2,
                    log=log_path,
                )
            v2 = at(6000, 0)
            x, y = tile_for_lonlat(v2.x, v2.y, 12)
            tile = f"/tiles/coverage/4G/12/{x}/{y}.png"
            seen_tiles = set()
            for n in range(4):  # S2 on air, off, on, off: V2 covered, not covered, ...
                status = "on_air" if n % 2 == 0 else "planned"
                before = b.get(tile)
                assert before.status_code == 200
                etag = a.get("/v1/sites/S2").headers["ETag"]
                # 700 MHz as in the fixture: a 1800 MHz cell (the default) would not reach V2.
                cell = {
                    "cell_id": "S2-VT-4G",
                    "operator": "Viettel",
                    "tech": "4G",
                    "band_mhz": 700.0,
                    "status": status,
                }
                edit = a.patch(
                    "/v1/sites/S2",
                    json={"status": status, "cells": [cell]},
                    headers={"X-API-Key": secret, "If-Match": etag},
                )
                assert edit.status_code == 200, edit.text
                revision = edit.json()["revision"]
                # Right after A's response: B serves the new revision, in tiles and tables.
                after = b.get(tile)
                assert after.status_code == 200
                assert after.content != before.content
                assert after.content == a.get(tile).content
                village = b.get("/v1/villages/V2")
                assert _revision(village) == revision
                assert village.json()["mobile_bb"] is (status == "on_air")
                kpis = b.get("/v1/kpis", params={"level": "province"})
                assert _revision(kpis) == revision
                (row,) = kpis.json()["items"]
                assert row["villages_mobile_bb"] == (3 if status == "on_air" else 2)
                seen_tiles.add(after.content)
            assert len(seen_tiles) == 2  # covered and not covered
        finally:
            _stop(workers)


def test_serve_with_two_workers(database_ws: tuple[str, str], tmp_path: Path) -> None:
    url, secret = database_ws
    port = free_port()
    log_path = tmp_path / "serve.log"
    with log_path.open("w") as log:
        server = _serve(url, port, log, "--workers", "2")
        try:
            with httpx2.Client(base_url=f"http://127.0.0.1:{port}", timeout=60.0) as client:
                wait_until_up(
                    f"{str(client.base_url).rstrip('/')}/health",
                    server,
                    timeout_s=120.0,
                    poll_s=0.2,
                    log=log_path,
                )
                for n in range(6):
                    # A new connection each time: the kernel hands it to either worker.
                    etag = httpx2.get(f"{client.base_url}/health", timeout=60.0).headers["ETag"]
                    edit = httpx2.patch(
                        f"{client.base_url}/v1/sites/S1",
                        json={"name": f"trạm {n}"},
                        headers={"X-API-Key": secret, "If-Match": etag},
                        timeout=60.0,
                    )
                    assert edit.status_code == 200, edit.text
                    site = httpx2.get(f"{client.base_url}/v1/sites/S1", timeout=60.0)
                    assert site.json()["name"] == f"trạm {n}"
                    assert _revision(site) == edit.json()["revision"]
        finally:
            _stop([server])
    assert "2 workers" in log_path.read_text()
    with Workspace.open(url) as ws:
        assert ws.revision == 1 + 6


def test_several_workers_need_a_database(tmp_path: Path) -> None:
    from coverage_gis.cli import main

    from .conftest import make_workspace

    ws = make_workspace(tmp_path / "ws")
    assert main(["serve", str(ws.path), "--workers", "2"]) == 2
