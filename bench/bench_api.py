"""Bounded load test of the query API on a local uvicorn (127.0.0.1 only).

Starts ``uvicorn coverage_gis_api.app:create_app`` in a child process on a free loopback port,
serving the Bình Định demo workspace (``coverage_gis.demo``, seed 1) when the demo
generator is installed, else the 3-village test fixture. Then 16 client threads
(httpx2) send a fixed number of requests per endpoint, stopping early at a duration
limit, and the script reports p50 / p99 latency, throughput and the error count for

* ``GET /v1/villages?bbox=…`` (a random 0.2° box inside the workspace each time), and
* ``GET /v1/gaps?kind=mobile``.

Usage::

    python bench/bench_api.py [--requests 800] [--clients 16] [--max-seconds 60]
                              [--workspace DIR] [--json]

``--workspace`` reuses (or builds there) the demo workspace instead of a temporary one.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2

HOST = "127.0.0.1"
ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def build_workspace(folder: Path) -> tuple[Path, str]:
    """The demo workspace (or the tiny fixture) in ``folder``; returns (path, label)."""
    if importlib.util.find_spec("coverage_gis.demo") is not None:
        from coverage_gis.demo import build_demo_workspace

        path = folder / "binh-dinh"
        if not (path / "workspace.yaml").is_file():
            build_demo_workspace(path, ["binh-dinh"], seed=1)
        return path, "Bình Định demo (seed 1)"
    sys.path.insert(0, str(ROOT))
    from coverage_gis.workspace import Workspace
    from tests.conftest import METRIC, tiny_layers

    path = folder / "tiny"
    if not (path / "workspace.yaml").is_file():
        ws = Workspace.create(path, metric_crs=METRIC, provinces=["99"])
        ws.write_layers(tiny_layers(), source="tiny fixture")
    return path, "3-village test fixture"


@contextlib.contextmanager
def serve(workspace: Path, port: int) -> Iterator[str]:
    """uvicorn in a child process; yields the base URL, stops the child on exit."""
    env = dict(os.environ, COVGIS_WORKSPACE=str(workspace), PYTHONPATH=str(ROOT))
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "coverage_gis_api.app:create_app",
        "--factory",
        "--host",
        HOST,
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    child = subprocess.Popen(command, env=env, cwd=ROOT)
    base = f"http://{HOST}:{port}"
    try:
        deadline = time.monotonic() + 300
        while True:
            if child.poll() is not None:
                raise RuntimeError(f"uvicorn exited with {child.returncode}")
            try:
                if httpx2.get(f"{base}/health", timeout=5).status_code == 200:
                    break
            except httpx2.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not come up in 300 s")
            time.sleep(0.2)
        yield base
    finally:
        child.terminate()
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def _bboxes(base: str, count: int, seed: int = 1) -> list[str]:
    """Random 0.2° boxes centred on villages of the workspace."""
    villages = httpx2.get(f"{base}/v1/villages", params={"limit": 1000}, timeout=60).json()["items"]
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        v = rng.choice(villages)
        lon, lat = v["lon"], v["lat"]
        out.append(f"{lon - 0.1:.5f},{lat - 0.1:.5f},{lon + 0.1:.5f},{lat + 0.1:.5f}")
    return out


def load(base: str, urls: list[str], *, clients: int, max_seconds: float) -> dict[str, Any]:
    """Send every URL once from ``clients`` threads; stop starting new ones after ``max_seconds``."""
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    queue = iter(urls)
    started = time.perf_counter()
    deadline = started + max_seconds

    def worker() -> None:
        with httpx2.Client(base_url=base, timeout=30) as client:
            while time.perf_counter() < deadline:
                with lock:
                    url = next(queue, None)
                if url is None:
                    return
                t0 = time.perf_counter()
                try:
                    response = client.get(url)
                    ok = response.status_code == 200
                    problem = f"HTTP {response.status_code}"
                except httpx2.HTTPError as exc:
                    ok, problem = False, type(exc).__name__
                elapsed = (time.perf_counter() - t0) * 1000.0
                with lock:
                    latencies.append(elapsed)
                    if not ok:
                        errors.append(problem)

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    ordered = sorted(latencies)

    def pct(p: float) -> float:
        return (
            ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))] if ordered else float("nan")
        )

    return {
        "requests": len(latencies),
        "planned": len(urls),
        "errors": len(errors),
        "error_kinds": sorted(set(errors)),
        "p50_ms": round(pct(50), 1),
        "p99_ms": round(pct(99), 1),
        "mean_ms": round(statistics.fmean(ordered), 1) if ordered else None,
        "max_ms": round(ordered[-1], 1) if ordered else None,
        "req_per_s": round(len(latencies) / wall, 1) if wall else None,
        "seconds": round(wall, 2),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=800, help="requests per endpoint (default 800)")
    parser.add_argument("--clients", type=int, default=16, help="concurrent clients (default 16)")
    parser.add_argument("--max-seconds", type=float, default=60.0, help="duration limit per endpoint")
    parser.add_argument("--workspace", type=Path, help="folder for the workspace (default: a temp dir)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="covgis-bench-") as tmp:
        folder = args.workspace or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        t0 = time.perf_counter()
        workspace, label = build_workspace(folder)
        build_s = time.perf_counter() - t0
        with serve(workspace, _free_port()) as base:
            health = httpx2.get(f"{base}/health", timeout=30).json()
            # First requests build the per-revision caches: timed apart from the load.
            cold: dict[str, float] = {}
            for name, url in (
                ("villages_bbox", "/v1/villages?bbox=100,5,120,25"),
                ("gaps", "/v1/gaps?kind=mobile"),
            ):
                t1 = time.perf_counter()
                httpx2.get(base + url, timeout=300).raise_for_status()
                cold[name] = round((time.perf_counter() - t1) * 1000.0, 1)
            bbox_urls = [f"/v1/villages?bbox={b}" for b in _bboxes(base, args.requests)]
            gap_urls = ["/v1/gaps?kind=mobile"] * args.requests
            results = {
                "villages_bbox": load(base, bbox_urls, clients=args.clients, max_seconds=args.max_seconds),
                "gaps": load(base, gap_urls, clients=args.clients, max_seconds=args.max_seconds),
            }
    report = {
        "workspace": label,
        "villages": health["counts"]["villages"],
        "sites": health["counts"]["sites"],
        "build_s": round(build_s, 1),
        "clients": args.clients,
        "cpus": os.cpu_count(),
        "first_request_ms": cold,
        "results": results,
    }
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
        return 0
    print(
        f"{label}: {report['villages']} villages, {report['sites']} sites; "
        f"{args.clients} clients, {report['cpus']} CPUs; workspace ready in {report['build_s']} s"
    )
    print(f"first request (cache build): {cold}")
    print(f"{'endpoint':<16}{'requests':>9}{'errors':>8}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}{'req/s':>9}")
    for name, r in results.items():
        print(
            f"{name:<16}{r['requests']:>9}{r['errors']:>8}{r['p50_ms']:>9}{r['p99_ms']:>9}"
            f"{r['max_ms']:>9}{r['req_per_s']:>9}"
        )
    return 1 if any(r["errors"] for r in results.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
