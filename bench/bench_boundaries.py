"""Benchmark of loading the boundaries with their 2025 units (coverage_gis.boundaries).

Run from the repository root::

    .venv/bin/python bench/bench_boundaries.py [--repeat 3]

Prints the wall-clock time of ``load_boundaries`` for each seed province, the five
together and all of Vietnam (first run and best), with the communes, parts of split
communes and communes per 2025 method it returns. Every ``covgis init`` and
``covgis demo`` pays one such load.
"""

from __future__ import annotations

import argparse
import time
from collections import Counter

from coverage_gis.boundaries import PROVINCES, load_boundaries

CASES: tuple[tuple[str, list[str] | None, bool], ...] = (
    *((slug, [slug], False) for slug in PROVINCES),
    ("all five", None, False),
    ("Vietnam", None, True),
)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=3, help="runs per case; the best is reported")
    args = parser.parse_args()
    for name, provinces, national in CASES:
        times = []
        for _ in range(max(1, args.repeat)):
            start = time.perf_counter()
            boundaries = load_boundaries(provinces, national=national)
            times.append(time.perf_counter() - start)
        methods = Counter(boundaries.communes["admin_2025_method"])
        print(
            f"{name:15s} first {times[0]:6.2f} s  best {min(times):6.2f} s  "
            f"{len(boundaries.communes):6d} communes  {len(boundaries.parts):4d} parts  "
            + ", ".join(f"{m} {n}" for m, n in sorted(methods.items()))
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
