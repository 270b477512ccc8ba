"""Mobile columns at national scale: the radius model's served-pairs pass against every pair (not a test).

Times ``mobile.mobile_at`` for the villages and then the priority places (POIs) of a
workspace, as a full compute runs it (layers and cell table already in memory), two
ways, each in the same process and alternated run by run:

* **served pairs**: the radius model's compiled pass
  (``RadiusModel.map_served_pairs``: search and sector test in one kernel, levels of
  on-air broadband cells only), what ``mobile_at`` uses;
* **every pair**: the same model without that pass, so the mobile rules read every
  pair within the radius through the model's numpy rule (``map_pairs``).

Both results (every column, the validity report) are asserted identical. Reported per
way: the median and best of wall time and CPU time (``time.process_time``, all
threads) over the runs, with ``workers`` threads (default: all CPUs), and the first
call in the process (numba's start and the kernels' cache load).

Run: ``.venv/bin/python bench/bench_mobile.py [WS] [--runs 5] [--workers N]``; WS defaults
to the national demo of ``bench/bench_national.py`` (``/tmp/covgis-national``).
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

DEFAULT_WS = Path(tempfile.gettempdir()) / "covgis-national"


class EveryPair:
    """The model without its served-pairs pass: ``mobile_at`` reads every pair."""

    def __init__(self, model: Any) -> None:
        self.model = model
        self.name = model.name

    def candidate_pairs(self, receivers: Any, cells: Any) -> Any:
        return self.model.candidate_pairs(receivers, cells)

    def max_range_m(self, cells: Any) -> Any:
        return self.model.max_range_m(cells)

    def map_pairs(self, receivers: Any, cells: Any, fn: Callable[[Any], Any]) -> Any:
        return self.model.map_pairs(receivers, cells, fn)


def _timed(fn: Callable[[], Any]) -> tuple[float, float, Any]:
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn()
    return (time.perf_counter() - wall) * 1000.0, (time.process_time() - cpu) * 1000.0, result


def _assert_same(a: Any, b: Any) -> None:
    for f in dataclasses.fields(a):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if isinstance(x, np.ndarray):
            assert x.dtype == y.dtype, f.name
            assert pd.Series(x).equals(pd.Series(y)), f.name
    assert a.validity.as_dict() == b.validity.as_dict()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("ws", nargs="?", default=str(DEFAULT_WS))
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--workers", type=int, default=None)
    args = parser.parse_args()

    from coverage_gis.coverage import points_xy_m
    from coverage_gis.engine import read_inputs, workspace_model
    from coverage_gis.mobile import grid_power, mobile_at
    from coverage_gis.models.base import ReceiverArrays
    from coverage_gis.network import cell_table_or_empty
    from coverage_gis.workspace import Workspace

    ws = Workspace.open(args.ws)
    with ws.snapshot() as snap:
        layers = read_inputs(ws, snap)
    model = workspace_model(ws)
    model.workers = args.workers
    cells = cell_table_or_empty(layers, metric_crs=ws.metric_crs)
    vx, vy = points_xy_m(layers.villages, ws.metric_crs)
    px, py = points_xy_m(layers.pois, ws.metric_crs)
    villages, pois = ReceiverArrays(x_m=vx, y_m=vy), ReceiverArrays(x_m=px, y_m=py)
    village_power, poi_power = grid_power(layers.villages), np.ones(len(px), dtype=bool)

    def both(m: Any) -> Callable[[], tuple[Any, Any]]:
        return lambda: (
            mobile_at(villages, village_power, cells, model=m),
            mobile_at(pois, poi_power, cells, model=m),
        )

    ways = {"served pairs": model, "every pair": EveryPair(model)}
    first = {name: _timed(both(m)) for name, m in ways.items()}
    for a, b in zip(first["served pairs"][2], first["every pair"][2], strict=True):
        _assert_same(a, b)
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in ways}
    for _ in range(args.runs):
        for name, m in ways.items():
            wall, cpu, _ = _timed(both(m))
            times[name].append((wall, cpu))
    print(
        f"{len(vx):,} villages + {len(px):,} POIs, {len(cells):,} cells, {args.runs} runs, "
        f"workers={args.workers or 'all CPUs'}; results identical"
    )
    print(f"{'way':<14}{'first ms':>10}{'wall med':>10}{'wall best':>10}{'cpu med':>10}{'cpu best':>10}")
    for name in ways:
        walls = [w for w, _ in times[name]]
        cpus = [c for _, c in times[name]]
        print(
            f"{name:<14}{first[name][0]:>10.0f}{statistics.median(walls):>10.0f}{min(walls):>10.0f}"
            f"{statistics.median(cpus):>10.0f}{min(cpus):>10.0f}"
        )


if __name__ == "__main__":
    main()
