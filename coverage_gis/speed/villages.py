"""Speed targets in villages (``docs/architecture.md``, measurements): each village's median
download per plan target (withheld below ``min_village_tests``), and per unit the share
of villages and of their population meeting each target (withheld below ``min_villages``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from coverage_gis.admin import LEVEL_COLUMNS, LEVELS
from coverage_gis.measurement_settings import SpeedSettings
from coverage_gis.speed._rows import INSUFFICIENT, _sorted
from coverage_gis.speed.matching import TestMatch
from coverage_gis.speed.measures import SpeedTarget, _selected, tests_per_row
from coverage_gis.speed.stats import bootstrap_interval, grouped_weighted_median

#: Columns of :func:`village_speeds`.
VILLAGE_SPEED_COLUMNS: tuple[str, ...] = (
    "village_id",
    "indicator",
    "tests",
    "download_median_mbps",
    "target_mbps",
    "meets",
)


def village_speeds(
    villages: pd.DataFrame,
    tests: pd.DataFrame,
    match: TestMatch,
    targets: Sequence[SpeedTarget],
    *,
    settings: SpeedSettings,
) -> pd.DataFrame:
    """Each village's median download for each target's measure, and whether it meets the target.

    A village with fewer than ``min_village_tests`` matching tests has no median and
    ``meets`` is missing.
    """
    ids = villages["village_id"].to_numpy(dtype=object)
    weights = tests_per_row(tests)
    download = tests["download_mbps"].to_numpy(dtype=float) if len(tests) else np.zeros(0)
    frames = []
    for target in targets:
        chosen = _selected(tests, target.measure.kind, target.measure.tech)
        keep = chosen[match.test] if len(match) else np.zeros(0, dtype=bool)
        v, t = match.village[keep], match.test[keep]
        n = np.bincount(v, weights=weights[t], minlength=len(ids))
        median = grouped_weighted_median(download[t], weights[t], v, len(ids))
        enough = n >= settings.min_village_tests
        median = np.where(enough, median, np.nan)
        meets = pd.array(np.where(enough, median >= target.target_mbps, False), dtype="boolean")
        meets[~enough] = pd.NA
        frames.append(
            pd.DataFrame(
                {
                    "village_id": ids,
                    "indicator": target.indicator,
                    "tests": n.astype(np.int64),
                    "download_median_mbps": median,
                    "target_mbps": target.target_mbps,
                    "meets": meets,
                }
            )
        )
    if not frames:
        return pd.DataFrame(columns=list(VILLAGE_SPEED_COLUMNS))
    return pd.concat(frames, ignore_index=True)


#: Columns of :func:`target_shares`.
TARGET_SHARE_COLUMNS: tuple[str, ...] = (
    "level",
    "code",
    "name",
    "indicator",
    "target_mbps",
    "villages",
    "villages_with_data",
    "villages_meeting",
    "villages_meeting_pct",
    "villages_meeting_ci_low_pct",
    "villages_meeting_ci_high_pct",
    "population_with_data",
    "population_meeting_pct",
    "status",
)


def target_shares(
    village_rows: pd.DataFrame,
    speeds: pd.DataFrame,
    *,
    levels: Sequence[str] = LEVELS,
    settings: SpeedSettings | None = None,
) -> pd.DataFrame:
    """Per unit and target: share of villages (and of their population) meeting it.

    Shares are over the villages with a measured median (``villages_with_data``); below
    ``min_villages`` of them the shares are withheld (status ``insufficient_data``).

    Parameters
    ----------
    village_rows
        Villages with admin columns and population (``KpiInputs.villages``).
    speeds
        From :func:`village_speeds`.
    """
    settings = settings or SpeedSettings()
    rng = np.random.default_rng(settings.seed)
    if speeds.empty:
        return pd.DataFrame(columns=list(TARGET_SHARE_COLUMNS))
    rows: list[dict[str, Any]] = []
    base = village_rows.reset_index(drop=True)
    for indicator, per_target in speeds.groupby("indicator", sort=False):
        joined = base.merge(
            per_target[["village_id", "meets", "target_mbps"]], on="village_id", how="left", validate="1:1"
        )
        has = joined["meets"].notna().to_numpy()
        meets = joined["meets"].fillna(False).to_numpy(dtype=bool)
        population = joined["population"].fillna(0).to_numpy(dtype=float)
        target = float(per_target["target_mbps"].iloc[0])
        for level in levels:
            code_col, name_col = LEVEL_COLUMNS[level]
            for code, unit in joined.groupby(code_col, sort=True):
                idx = unit.index.to_numpy()
                with_data = idx[has[idx]]
                n = len(with_data)
                ok = n >= settings.min_villages
                pop_data = float(population[with_data].sum())
                share = 100.0 * float(meets[with_data].mean()) if ok else math.nan
                low = high = math.nan
                if ok:
                    low, high = bootstrap_interval(
                        meets[with_data].astype(float),
                        np.ones(n),
                        statistic="mean",
                        samples=settings.bootstrap_samples,
                        confidence=settings.confidence,
                        rng=rng,
                    )
                    low, high = 100.0 * low, 100.0 * high
                pop_share = (
                    100.0 * float(population[with_data][meets[with_data]].sum()) / pop_data
                    if ok and pop_data > 0
                    else math.nan
                )
                rows.append(
                    {
                        "level": level,
                        "code": str(code),
                        "name": unit[name_col].iloc[0] if name_col in unit else None,
                        "indicator": indicator,
                        "target_mbps": target,
                        "villages": len(idx),
                        "villages_with_data": n,
                        "villages_meeting": int(meets[with_data].sum()),
                        "villages_meeting_pct": share,
                        "villages_meeting_ci_low_pct": low,
                        "villages_meeting_ci_high_pct": high,
                        "population_with_data": round(pop_data),
                        "population_meeting_pct": pop_share,
                        "status": "ok" if ok else INSUFFICIENT,
                    }
                )
    return _sorted(pd.DataFrame(rows, columns=list(TARGET_SHARE_COLUMNS)), ["indicator"])
