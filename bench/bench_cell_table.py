"""A workspace's cell table (``network.cell_table_or_empty``): CPU time, and equality with a saved one.

Reads a workspace's layers once (read-only), then builds its cell table ``--runs``
times and reports the best and median CPU time (``time.process_time``) and wall
time (not a test). ``--save PATH`` pickles the table (its arrays, ids, cached kinds and source
rows) so that a later run of another version can be checked against it with
``--check PATH``: every array must have the same dtype and values (NaN equal to NaN).

Run: ``.venv/bin/python bench/bench_cell_table.py WS [--runs 5] [--save P | --check P] [--profile]``.
"""

from __future__ import annotations

import argparse
import cProfile
import dataclasses
import pickle
import pstats
import statistics
import time
from typing import Any

import numpy as np


def table_arrays(table: Any) -> dict[str, Any]:
    """Everything downstream reads of a cell table, as plain arrays by name."""
    out: dict[str, Any] = {}
    for f in dataclasses.fields(table.arrays):
        out[f"arrays.{f.name}"] = getattr(table.arrays, f.name)
    for name in ("cell_id", "site_id", "operator", "on_air"):
        out[name] = getattr(table, name)
    kinds = table.kinds
    for f in dataclasses.fields(kinds):
        out[f"kinds.{f.name}"] = getattr(kinds, f.name)
    source = table.source
    out["source"] = None if source is None else (source.site_row, source.cell_row)
    return out


def _same(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is b
    if isinstance(a, tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    a, b = np.asarray(a), np.asarray(b)
    if a.dtype != b.dtype or a.shape != b.shape:
        return False
    if a.dtype.kind == "f":
        return bool(np.array_equal(a, b, equal_nan=True))
    if a.dtype.kind == "O":
        return all(
            x is y or (type(x) is type(y) and x == y) for x, y in zip(a.tolist(), b.tolist(), strict=True)
        )
    return bool(np.array_equal(a, b))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("ws")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--save")
    parser.add_argument("--check")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()

    from coverage_gis.engine import read_inputs
    from coverage_gis.network import cell_table_or_empty
    from coverage_gis.workspace import Workspace

    ws = Workspace.open(args.ws)
    with ws.snapshot() as snap:
        layers = read_inputs(ws, snap)
    cpu, wall = [], []
    table = None
    for _ in range(args.runs):
        w, c = time.perf_counter(), time.process_time()
        table = cell_table_or_empty(layers, metric_crs=ws.metric_crs)
        cpu.append(time.process_time() - c)
        wall.append(time.perf_counter() - w)
    assert table is not None
    print(
        f"cells {len(table)}: cpu best {min(cpu) * 1000:.0f} ms "
        f"median {statistics.median(cpu) * 1000:.0f} ms; wall best {min(wall) * 1000:.0f} ms"
    )
    if args.profile:
        prof = cProfile.Profile()
        prof.enable()
        cell_table_or_empty(layers, metric_crs=ws.metric_crs)
        prof.disable()
        pstats.Stats(prof).sort_stats("tottime").print_stats(25)
    got = table_arrays(table)
    if args.save:
        with open(args.save, "wb") as fh:
            pickle.dump(got, fh)
    if args.check:
        with open(args.check, "rb") as fh:
            want = pickle.load(fh)
        bad = [k for k in want if k not in got or not _same(want[k], got[k])]
        bad += [k for k in got if k not in want]
        print("identical" if not bad else f"DIFFERENT: {bad}")


if __name__ == "__main__":
    main()
