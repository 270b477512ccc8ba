"""Benchmark of the measurement features on the Bình Định demo with synthetic speed tests.

Run from the repository root::

    .venv/bin/python bench/bench_speed.py [--repeat 3] [--seed 2025] [--bootstrap 1000]

Builds the demo (radius model), adds synthetic measurements (3 deliberate
disagreements), then times, best of ``--repeat``: the speed KPIs of every admin level
(unit medians with bootstrap intervals, plan-target shares), the challenge list, a full
calibration fit (pathloss model) and one accepted challenge (a revision written).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from coverage_gis.calibration import calibrate
from coverage_gis.challenges import accept_challenge, list_challenges
from coverage_gis.demo import DEFAULT_SEED, build_demo_workspace
from coverage_gis.demo.measurements import generate_measurements
from coverage_gis.engine import compute, load
from coverage_gis.speed import SpeedSettings, speed_kpis


def _best(repeat: int, func: Callable[[], Any]) -> tuple[float, Any]:
    times = []
    result = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = func()
        times.append(time.perf_counter() - start)
    return min(times), result


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=3, help="runs per step; the best is reported")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--bootstrap", type=int, default=1000, help="bootstrap resamples per interval")
    args = parser.parse_args()
    repeat = max(1, args.repeat)
    with tempfile.TemporaryDirectory() as tmp:
        ws = build_demo_workspace(Path(tmp) / "bd", ["binh-dinh"], seed=args.seed)
        compute(ws)
        analysis = load(ws)
        took, tests = _best(
            repeat, lambda: generate_measurements(analysis, np.random.default_rng(args.seed), disagreements=3)
        )
        print(f"generate_measurements: {took:.2f} s for {len(tests):,} tests")
        ws.write_layers({"speed_tests": tests}, source="bench")
        analysis = load(ws)
        settings = SpeedSettings(bootstrap_samples=args.bootstrap)
        took, report = _best(repeat, lambda: speed_kpis(analysis, settings=settings))
        print(
            f"speed_kpis (5 levels, {args.bootstrap} resamples): {took:.2f} s — "
            f"{len(report.units):,} unit rows, {len(report.targets):,} target rows"
        )
        took, found = _best(repeat, lambda: list_challenges(analysis))
        print(f"list_challenges: {took:.3f} s — {len(found)} challenges")
        took, fitted = _best(repeat, lambda: calibrate(analysis, model="pathloss"))
        print(
            f"calibrate (pathloss): {took:.2f} s — {fitted.after.samples:,} tests, "
            f"margin {fitted.fitted.margin_db:.2f} dB, "
            f"RMSE {fitted.before.rmse_db:.2f} → {fitted.after.rmse_db:.2f} dB"
        )
        village = str(found["village_id"].iloc[0])
        start = time.perf_counter()
        result = accept_challenge(ws, village, author="bench", reason="bench", analysis=analysis)
        print(f"accept_challenge: {time.perf_counter() - start:.2f} s (revision {result.revision})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
