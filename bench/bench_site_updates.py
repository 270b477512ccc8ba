"""Benchmark: single-site update (edit + incremental recompute + KPI refresh + revision)
versus a full recompute, on the Bình Định demo and on the all-provinces demo.

Run: .venv/bin/python bench/bench_site_updates.py [--provinces binh-dinh all] [--updates 40]
Prints medians in milliseconds and the speed-up. Not part of the test run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from coverage_gis import engine
from coverage_gis.demo import PROVINCE_SLUGS, build_demo_workspace
from coverage_gis.live import LiveWorkspace
from coverage_gis.workspace import Workspace


def bench(provinces: list[str], updates: int, folder: Path) -> dict[str, float]:
    ws_path = folder / "-".join(provinces)[:40]
    t0 = time.perf_counter()
    build_demo_workspace(ws_path, provinces, seed=1)
    generate_s = time.perf_counter() - t0
    ws = Workspace.open(ws_path)
    full_ms = []
    for _ in range(3):
        t0 = time.perf_counter()
        engine.compute(ws)
        full_ms.append((time.perf_counter() - t0) * 1000)
    live = LiveWorkspace.open(ws_path)
    villages = live.analysis.layers["villages"]
    rng = np.random.default_rng(7)
    picks = rng.choice(len(villages), size=updates, replace=len(villages) < updates)
    single_ms = []
    for n, i in enumerate(picks):
        point = villages.geometry.iloc[int(i)]
        site_id = f"BENCH-{n}"
        cell = {"cell_id": f"{site_id}-1", "operator": "Viettel", "tech": "4G", "status": "on_air"}
        site = {"site_id": site_id, "lon": point.x + 0.01, "lat": point.y, "status": "on_air"}
        single_ms.append(live.add_site(site, [cell], author="bench").elapsed_ms)
        single_ms.append(live.remove_site(site_id, author="bench").elapsed_ms)
    return {
        "villages": float(len(villages)),
        "sites": float(len(live.analysis.layers["sites"])),
        "cells": float(len(live.analysis.layers["cells"])),
        "generate_s": generate_s,
        "full_recompute_ms": statistics.median(full_ms),
        "single_update_median_ms": statistics.median(single_ms),
        "single_update_p90_ms": float(np.percentile(single_ms, 90)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--provinces", nargs="+", default=["binh-dinh", "all"])
    parser.add_argument("--updates", type=int, default=30, help="add+remove pairs per workspace")
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory() as tmp:
        for choice in args.provinces:
            provinces = list(PROVINCE_SLUGS) if choice == "all" else [choice]
            r = bench(provinces, args.updates, Path(tmp))
            print(
                f"{choice}: {r['villages']:.0f} villages, {r['sites']:.0f} sites, {r['cells']:.0f} cells | "
                f"full recompute {r['full_recompute_ms']:.0f} ms | single-site update median "
                f"{r['single_update_median_ms']:.1f} ms (p90 {r['single_update_p90_ms']:.1f} ms) | "
                f"speed-up {r['full_recompute_ms'] / r['single_update_median_ms']:.0f}x"
            )


if __name__ == "__main__":
    main()
