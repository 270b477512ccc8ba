"""Time of one consistent read of a workspace: every layer a server reload reads, in one snapshot.

A server's reload (``LiveWorkspace.refresh`` → ``engine.load``) reads the input layers,
``village_coverage`` and the revision tag through ``Workspace.snapshot()``. This script
times that read alone (no model run), and the whole ``engine.load``, on a workspace
folder: the Bình Định demo by default (built in a temporary folder when ``--workspace``
is not given).

Usage::

    python bench/bench_snapshot.py [--workspace DIR] [--repeat 7] [--json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from coverage_gis import engine
from coverage_gis.input_layers import InputLayers
from coverage_gis.workspace import Workspace


def _snapshot_read(ws: Workspace) -> int:
    with ws.snapshot() as snap:
        layers = InputLayers.read(snap)
        coverage = snap.read_layer("village_coverage", missing_ok=True)
        snap.coverage_is_current()
        return sum(len(frame) for frame in layers.values()) + len(coverage)


def _timed(func: object, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        func()  # type: ignore[operator]
        times.append((time.perf_counter() - started) * 1000.0)
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workspace", type=Path, help="workspace folder (default: build the demo)")
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.workspace
        if folder is None:
            from coverage_gis.demo import build_demo_workspace

            folder = Path(tmp) / "demo"
            build_demo_workspace(folder, "binh-dinh")
        ws = Workspace.open(folder)
        rows = _snapshot_read(ws)
        snapshot_ms = _timed(lambda: _snapshot_read(ws), args.repeat)
        load_ms = _timed(lambda: engine.load(ws), max(1, args.repeat // 2))
    result = {
        "workspace": str(folder),
        "rows_read": rows,
        "gpkg_bytes": (Path(folder) / "workspace.gpkg").stat().st_size if args.workspace else None,
        "snapshot_read_ms_median": round(statistics.median(snapshot_ms), 1),
        "snapshot_read_ms_min": round(min(snapshot_ms), 1),
        "engine_load_ms_median": round(statistics.median(load_ms), 1),
    }
    if args.json:
        json.dump(result, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        for key, value in result.items():
            print(f"{key:26s} {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
