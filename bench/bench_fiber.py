"""The FTTH side of a national compute: the fiber index and its two queries (not a test).

Runs on a workspace (by default the national demo of ``bench_national.py``, built there
on first use) in this process, with its layers already in memory, and prints one table:

* **first use** of the compiled kernels in this process: importing numba with the
  kernel module, then the first index and the first of each query (numba loads the
  kernels' machine code from its disk cache; compiles them when the cache is cold: run
  with ``NUMBA_CACHE_DIR`` set to an empty folder to measure that);
* **fiber index** (``fiber_index``: the on-air nodes and access routes split into
  segments, projected, filed in the grid), **village coverage** (``FiberIndex.coverage``
  at every village: FTTH, the nearest fiber at any distance, operators, gap reason) and
  **POIs** (``FiberIndex.within_reach`` at every POI), each over ``--runs`` runs: the
  median and the least CPU time (``time.process_time``: on a shared machine the CPU a
  step used is steadier than the clock) and the median wall time;
* a **GEOS check**: at ``--check`` villages drawn at random, the distance to the nearest
  FTTH-giving feature by ``shapely`` (an R-tree of the features in the metric CRS) is
  compared with the index's, bit for bit.

Run: ``.venv/bin/python bench/bench_fiber.py [WS] [--runs 7] [--check 2000]``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
from bench_national import DEFAULT_WS, ensure_workspace

T = TypeVar("T")


def timed(fn: Callable[[], T]) -> tuple[float, float, T]:
    """CPU and wall milliseconds of one call, and its result."""
    cpu, wall = time.process_time(), time.perf_counter()
    result = fn()
    return (time.process_time() - cpu) * 1000.0, (time.perf_counter() - wall) * 1000.0, result


def repeated(fn: Callable[[], T], runs: int) -> tuple[list[float], list[float], T]:
    """CPU and wall milliseconds of ``runs`` calls, and the last result."""
    cpus, walls = [], []
    result: Any = None
    for _ in range(runs):
        cpu, wall, result = timed(fn)
        cpus.append(cpu)
        walls.append(wall)
    return cpus, walls, result


def geos_check(index: Any, fiber: Any, x_m: np.ndarray, y_m: np.ndarray, metric_crs: str) -> tuple[int, int]:
    """How many of the points get the index's distance bit for bit from GEOS, of how many."""
    import shapely

    from coverage_gis.fiber import _to_metric

    features = []
    for frame, is_node in ((fiber.fiber_routes, False), (fiber.fiber_nodes, True)):
        qualifies = (frame["status"] == "on_air").to_numpy()
        if not is_node:
            qualifies = qualifies & (frame["class"] == "access").to_numpy()
        features.append(frame.geometry.to_numpy()[qualifies])
    tree = shapely.STRtree(_to_metric(np.concatenate(features), metric_crs))
    (found, _), want = tree.query_nearest(shapely.points(x_m, y_m), return_distance=True, all_matches=False)
    distance = np.full(len(x_m), np.nan)
    distance[found] = want
    got = index.nearest_access_m(x_m, y_m)
    return int(np.sum((got == distance) | (np.isnan(got) & np.isnan(distance)))), len(x_m)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("workspace", nargs="?", type=Path, default=DEFAULT_WS)
    parser.add_argument("--runs", type=int, default=7, help="runs of each step (default 7)")
    parser.add_argument(
        "--check", type=int, default=2000, help="villages checked against GEOS (default 2000)"
    )
    args = parser.parse_args(argv)

    from coverage_gis.engine import read_inputs
    from coverage_gis.network import points_xy_m
    from coverage_gis.workspace import Workspace

    ws = Workspace.open(ensure_workspace(args.workspace))
    with ws.snapshot() as snap:
        layers = read_inputs(ws, snap)
    metric, reach = ws.metric_crs, ws.config.ftth_reach_m
    vx, vy = points_xy_m(layers.villages, metric)
    px, py = points_xy_m(layers.pois, metric)

    rows: list[tuple[str, str, str, str]] = []
    load_cpu, load_wall, _ = timed(lambda: __import__("coverage_gis._fiber_grid"))
    rows.append(("import numba + kernel module", f"{load_cpu:.0f}", "", f"{load_wall:.0f}"))
    from coverage_gis.fiber import fiber_index

    cpu, wall, index = timed(lambda: fiber_index(layers, metric_crs=metric))
    rows.append(("first fiber index", f"{cpu:.0f}", "", f"{wall:.0f}"))
    cpu, wall, _ = timed(lambda: index.coverage(vx, vy, reach))
    rows.append(("first village coverage", f"{cpu:.0f}", "", f"{wall:.0f}"))
    cpu, wall, _ = timed(lambda: index.within_reach(px, py, reach))
    rows.append(("first POI within_reach", f"{cpu:.0f}", "", f"{wall:.0f}"))

    steps: list[tuple[str, Callable[[], Any]]] = [
        ("fiber index", lambda: fiber_index(layers, metric_crs=metric)),
        (f"village coverage ({len(vx):,})", lambda: index.coverage(vx, vy, reach)),
        (f"POI within_reach ({len(px):,})", lambda: index.within_reach(px, py, reach)),
    ]
    totals = np.zeros(args.runs)
    for name, fn in steps:
        cpus, walls, _ = repeated(fn, args.runs)
        totals += cpus
        rows.append(
            (name, f"{statistics.median(cpus):.0f}", f"{min(cpus):.0f}", f"{statistics.median(walls):.0f}")
        )
    rows.append(("the three together", f"{np.median(totals):.0f}", f"{totals.min():.0f}", ""))

    routes = layers.fiber_routes
    print(
        f"{ws.path}: {len(layers.villages):,} villages, {len(routes):,} fiber routes, "
        f"{len(layers.fiber_nodes):,} fiber nodes, {len(px):,} POIs; reach {reach:g} m; "
        f"grid {index.grid.nx} x {index.grid.ny} cells of {index.grid.cell_m:g} m, "
        f"{len(index.grid.item_bits):,} items; {args.runs} runs"
    )
    print(f"{'step':34} {'CPU ms (median)':>16} {'CPU ms (least)':>15} {'wall ms (median)':>17}")
    for name, median, least, wall_ms in rows:
        print(f"{name:34} {median:>16} {least:>15} {wall_ms:>17}")
    if args.check > 0 and len(vx):
        pick = np.random.default_rng(0).choice(len(vx), size=min(args.check, len(vx)), replace=False)
        same, total = geos_check(index, layers, vx[pick], vy[pick], metric)
        print(f"GEOS check: {same:,} of {total:,} village distances equal bit for bit")
        if same != total:
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
