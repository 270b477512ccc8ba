"""Benchmark of the demo generator: Bình Định alone and all five seed provinces.

Run from the repository root::

    .venv/bin/python bench/bench_demo.py [--repeat 3] [--seed 2025]

Prints the wall-clock time of ``coverage_gis.demo.generate`` for each case (the first
run, which includes reading the boundaries and warming caches, and the best), then
the time to write the result as a workspace (GeoPackage, DEM, OSM roads, and the
synthetic speed tests drawn from the written network, timed on their own). Targets:
Bình Định under 30 s and all five well under a minute on a 2-core machine.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from coverage_gis.demo import DEFAULT_SEED, DemoData, generate, write_demo_workspace
from coverage_gis.workspace import Workspace

CASES: tuple[tuple[str, list[str]], ...] = (("binh-dinh", ["binh-dinh"]), ("all five", ["all"]))


def _timed(repeat: int, provinces: list[str], seed: int) -> tuple[list[float], DemoData]:
    times: list[float] = []
    data: DemoData | None = None
    for _ in range(repeat):
        start = time.perf_counter()
        data = generate(provinces, seed=seed)
        times.append(time.perf_counter() - start)
    assert data is not None
    return times, data


def _write(path: Path, data: DemoData) -> tuple[Workspace, list[float]]:
    """Write the workspace; returns it and the time each write step ended."""
    stamps: list[float] = []
    ws = write_demo_workspace(path, data, progress=lambda _s, _d, _t: stamps.append(time.perf_counter()))
    return ws, stamps


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=3, help="runs per case; the best is reported")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = parser.parse_args()
    for label, provinces in CASES:
        times, data = _timed(max(1, args.repeat), provinces, args.seed)
        counts = data.counts()
        with tempfile.TemporaryDirectory() as tmp:
            start = time.perf_counter()
            ws, stamps = _write(Path(tmp) / "ws", data)
            written = time.perf_counter() - start
            tests = ws.layer_counts().get("speed_tests", 0)
        # The last step is the synthetic speed tests; it starts when the one before ends.
        measurements = stamps[-1] - stamps[-2]
        print(
            f"{label}: generate {times[0]:.2f} s first run, {min(times):.2f} s best of {len(times)}; "
            f"write workspace {written:.2f} s (of which {tests:,} synthetic speed tests "
            f"{measurements:.2f} s) — "
            f"{counts['villages']:,} villages, {counts['sites']:,} sites, {counts['cells']:,} cells, "
            f"{counts['fiber_routes']:,} routes, {counts['fiber_nodes']:,} nodes"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
