"""Tile server benchmark: cold and warm latency of vector and coverage tiles (not a test).

Starts the API (``coverage_gis_api.app:create_app``) with uvicorn in a child process on 127.0.0.1,
serving the Bình Định demo workspace (built in a temporary folder; the tiny 3-village
fixture when the demo generator is absent, or the workspace given as the first
argument), then runs a bounded load from 16 concurrent clients (threads with one
keep-alive ``httpx2.Client`` each):

* **cold**: every tile of a fixed set requested once (each one a cache miss);
* **warm**: a fixed number of requests drawn from the same set (all cache hits),
  stopped early when the time budget runs out.

It also times, in this process, one z12 vector tile encode and one z12 coverage PNG
render (the cost of a miss without HTTP). Goals: warm p50 < 10 ms, p99 < 50 ms; a PNG
miss far below ~445 ms.

Usage: ``python bench/bench_tiles.py [WORKSPACE] [--fast-http]`` (a minute or two);
``--fast-http`` runs uvicorn on the HTTP stack ``covgis serve`` uses
(``coverage_gis_api.settings.uvicorn_stack_args``: httptools on asyncio).
"""

from __future__ import annotations

import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx2
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from coverage_gis.engine import load  # noqa: E402
from coverage_gis.tiles import (  # noqa: E402
    CoverageRenderer,
    VectorTileSet,
    tile_bounds_3857,
    tiles_for_bbox,
)
from coverage_gis.tiles.vector import workspace_bounds  # noqa: E402
from coverage_gis.workspace import Workspace  # noqa: E402
from coverage_gis_api.settings import uvicorn_stack_args  # noqa: E402

HOST = "127.0.0.1"  # never anything else: this load must stay on the local machine
CLIENTS = 16
WARM_REQUESTS = 4000
WARM_BUDGET_S = 60.0
VECTOR_LAYERS = ("villages", "sites", "communes", "fiber_routes")
VECTOR_ZOOMS = (8, 9, 10, 11, 12)
PNG_ZOOMS = (9, 10, 11, 12)
MAX_VECTOR_TILES = 480
MAX_PNG_TILES = 160
SEED = 7


def build_workspace(folder: Path) -> tuple[Path, str]:
    try:
        from coverage_gis.demo import build_demo_workspace
    except ImportError:
        sys.path.insert(0, str(ROOT / "tests"))
        from conftest import METRIC, tiny_layers  # type: ignore[import-not-found]

        ws = Workspace.create(folder / "tiny", metric_crs=METRIC, provinces=["99"], synthetic=True)
        ws.write_layers(tiny_layers(), source="tiny fixture")
        return ws.path, "tiny 3-village fixture"
    build_demo_workspace(folder / "demo", ["binh-dinh"], seed=20250101)
    return folder / "demo", "Bình Định demo"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def start_server(ws: Path, port: int, *, fast_http: bool) -> subprocess.Popen[bytes]:
    env = {**os.environ, "COVGIS_WORKSPACE": str(ws)}
    extra = uvicorn_stack_args() if fast_http else []
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        "coverage_gis_api.app:create_app",
        "--host",
        HOST,
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--no-access-log",
        *extra,
    ]
    process = subprocess.Popen(command, cwd=ROOT, env=env)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"uvicorn exited with {process.returncode}")
        try:
            if httpx2.get(f"http://{HOST}:{port}/tiles/cache-stats", timeout=2).status_code == 200:
                return process
        except httpx2.HTTPError:
            pass
        time.sleep(0.3)
    process.terminate()
    raise SystemExit("uvicorn did not answer within 180 s")


def tile_paths(bounds: tuple[float, float, float, float]) -> tuple[list[str], list[str]]:
    rng = random.Random(SEED)
    vector = [
        f"/tiles/{layer}/{z}/{x}/{y}.mvt"
        for z in VECTOR_ZOOMS
        for (_, x, y) in tiles_for_bbox(bounds, z)
        for layer in VECTOR_LAYERS
    ]
    png = [
        f"/tiles/coverage/all/{z}/{x}/{y}.png" for z in PNG_ZOOMS for (_, x, y) in tiles_for_bbox(bounds, z)
    ]
    rng.shuffle(vector)
    rng.shuffle(png)
    return sorted(vector[:MAX_VECTOR_TILES]), sorted(png[:MAX_PNG_TILES])


_local = threading.local()


def _client(base: str) -> httpx2.Client:
    client: httpx2.Client | None = getattr(_local, "client", None)
    if client is None:
        client = httpx2.Client(base_url=base, headers={"Accept-Encoding": "gzip"}, timeout=60)
        _local.client = client
    return client


def timed_get(base: str, path: str) -> float:
    started = time.perf_counter()
    response = _client(base).get(path)
    elapsed = time.perf_counter() - started
    if response.status_code != 200:
        raise RuntimeError(f"{path}: HTTP {response.status_code}")
    return elapsed * 1000.0


def run(base: str, paths: Sequence[str], budget_s: float | None = None) -> tuple[list[float], float]:
    """Latencies (ms) of ``paths`` fetched by CLIENTS threads; stops issuing after ``budget_s``."""
    started = time.perf_counter()
    stop_at = None if budget_s is None else started + budget_s

    def one(path: str) -> float | None:
        if stop_at is not None and time.perf_counter() > stop_at:
            return None
        return timed_get(base, path)

    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        results = [r for r in pool.map(one, paths) if r is not None]
    return results, time.perf_counter() - started


def run_sequential(base: str, paths: Sequence[str]) -> tuple[list[float], float]:
    """Latencies (ms) of ``paths`` fetched one after the other by one client."""
    started = time.perf_counter()
    return [timed_get(base, path) for path in paths], time.perf_counter() - started


def summary(name: str, latencies: list[float], wall_s: float) -> str:
    a = np.asarray(latencies)
    return (
        f"{name:<28} n={a.size:5d}  p50={np.percentile(a, 50):7.1f} ms  p99={np.percentile(a, 99):7.1f} ms  "
        f"max={a.max():7.1f} ms  {a.size / wall_s:7.0f} req/s"
    )


def encode_timings(ws_path: Path) -> list[str]:
    analysis = load(Workspace.open(ws_path))
    bounds = workspace_bounds(analysis)
    assert bounds is not None
    lines = []
    tiles = VectorTileSet(analysis)
    started = time.perf_counter()
    source = tiles.source("villages")
    lines.append(
        f"villages TileSource build: {(time.perf_counter() - started) * 1000:.1f} ms ({len(source)} features)"
    )
    # The busiest z12 tile: the most villages.
    candidates = list(tiles_for_bbox(bounds, 12))
    busiest = max(candidates, key=lambda t: len(source.query(tile_bounds_3857(*t))))
    for layer in ("villages", "communes", "fiber_routes"):
        tiles.encode(layer, *busiest)  # build the source first
        runs = []
        for _ in range(20):
            started = time.perf_counter()
            data = tiles.encode(layer, *busiest)
            runs.append((time.perf_counter() - started) * 1000)
        median = statistics.median(runs)
        lines.append(f"z12 {layer:<13} encode: median {median:6.2f} ms  ({len(data)} bytes, tile {busiest})")
    renderer = CoverageRenderer(analysis.model, analysis.cells, metric_crs=analysis.metric_crs)
    runs = []
    for _ in range(10):
        started = time.perf_counter()
        renderer.render_png(*busiest)
        runs.append((time.perf_counter() - started) * 1000)
    lines.append(f"z12 coverage PNG render: median {statistics.median(runs):6.1f} ms (tile {busiest})")
    return lines


def main(argv: Sequence[str]) -> int:
    fast_http = "--fast-http" in argv
    argv = [a for a in argv if a != "--fast-http"]
    with tempfile.TemporaryDirectory(prefix="covgis-bench-") as tmp:
        if argv:
            ws_path, label = Path(argv[0]), str(argv[0])
        else:
            ws_path, label = build_workspace(Path(tmp))
        analysis = load(Workspace.open(ws_path))
        bounds = workspace_bounds(analysis)
        assert bounds is not None
        vector, png = tile_paths(bounds)
        print(f"workspace: {label}; {len(vector)} vector tiles, {len(png)} coverage tiles; {CLIENTS} clients")
        http = " ".join(uvicorn_stack_args()) if fast_http else "h11 + asyncio (uvicorn defaults)"
        print(f"machine: {os.cpu_count()} CPUs; server: uvicorn ({http}), 1 worker, separate process")
        for line in encode_timings(ws_path):
            print(line)

        port = free_port()
        server = start_server(ws_path, port, fast_http=fast_http)
        base = f"http://{HOST}:{port}"
        try:
            cold_v, wall = run(base, vector)
            print(summary("vector cold (miss)", cold_v, wall))
            # A miss on its own (one client), then misses under load (16 clients); the
            # 4G and all-technology tiles are different cache keys, so both are misses.
            seq_p, wall = run_sequential(base, [p.replace("/all/", "/4G/") for p in png[:60]])
            print(summary("coverage PNG miss, 1 client", seq_p, wall))
            cold_p, wall = run(base, png)
            print(summary("coverage PNG cold", cold_p, wall))
            rng = random.Random(SEED)
            warm_v, wall = run(base, [rng.choice(vector) for _ in range(WARM_REQUESTS)], WARM_BUDGET_S)
            print(summary("vector warm (hit)", warm_v, wall))
            warm_p, wall = run(base, [rng.choice(png) for _ in range(WARM_REQUESTS // 2)], WARM_BUDGET_S)
            print(summary("coverage PNG warm", warm_p, wall))
            stats = httpx2.get(f"{base}/tiles/cache-stats").json()
            print(f"cache: {stats}")
        finally:
            server.terminate()
            server.wait(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
