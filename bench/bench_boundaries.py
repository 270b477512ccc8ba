"""Benchmark of loading the boundaries with their 2025 units (coverage_gis.boundaries).

Run from the repository root::

    .venv/bin/python bench/bench_boundaries.py [--repeat 3]

Prints the wall-clock time of ``load_boundaries`` for each seed province, the five
together and all of Vietnam (first run and best), with the communes, parts of split
communes and communes per 2025 method it returns. Every ``covgis init`` and
``covgis demo`` pays one such load.

Then checks the border rule (``spatial_uncoded``) against the name rule: for every
commune of Vietnam the name rule places, how often the border rule alone would have
chosen the same old unit and the same 2025 commune.
"""

from __future__ import annotations

import argparse
import time
from collections import Counter

import numpy as np
import pyogrio

from coverage_gis import crosswalk as cx
from coverage_gis._resources import boundaries_dir
from coverage_gis.boundaries import NATIONAL_FILE, PROVINCES, load_boundaries, read_crosswalk

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
    _border_rule_check()
    return 0


def _border_rule_check() -> None:
    communes = pyogrio.read_dataframe(boundaries_dir() / NATIONAL_FILE, layer="communes")
    codes = communes["commune_code"].astype(object)
    communes["commune_code"] = codes.where(codes.notna() & (codes != ""), None)
    table = read_crosswalk()
    targets = cx._targets_by_unit(table)
    geoms = np.asarray(communes.geometry.to_crs(cx.RULE_CRS).to_numpy(), dtype=object)
    unit, method = cx._resolve_units(communes, geoms, table, targets)
    named = np.flatnonzero(method == "name_uncoded")
    by_border, by_border_method = unit.copy(), method.copy()
    by_border[named] = ""
    by_border_method[named] = ""
    destination = {
        key: ",".join(sorted(t.code for t in cx._population_targets(rows)[0]))
        for key, rows in targets.items()
    }
    cx._neighbour_units(
        geoms,
        by_border,
        by_border_method,
        communes["census_commune_id"].astype(str).str[:-2].to_numpy(dtype=object),
        communes["province_code"].to_numpy(dtype=object),
        destination,
    )
    same_unit = float(np.mean(by_border[named] == unit[named]))
    same_new = float(
        np.mean(
            [
                bool({t.code for t in targets[a]} & {t.code for t in targets[b]})
                for a, b in zip(by_border[named], unit[named], strict=True)
            ]
        )
    )
    print(
        f"border rule on the {named.size} communes the name rule places: same old unit "
        f"{100 * same_unit:.1f} %, same 2025 commune {100 * same_new:.1f} %"
    )


if __name__ == "__main__":
    raise SystemExit(main())
