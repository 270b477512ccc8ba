"""Speed KPIs per admin unit (``docs/architecture.md``, measurements): the tests located in a
unit describe it (every test counts once per hierarchy); median download with a bootstrap
interval, upload and latency, tests and devices per unit, kind, technology and operator.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from coverage_gis.admin import LEVEL_COLUMNS, LEVELS
from coverage_gis.measurement_settings import SpeedSettings
from coverage_gis.speed._rows import ALL, INSUFFICIENT, _sorted
from coverage_gis.speed.measures import _device_arrays, tests_per_row
from coverage_gis.speed.stats import bootstrap_interval, weighted_median

#: Columns of :func:`unit_speeds`.
UNIT_SPEED_COLUMNS: tuple[str, ...] = (
    "level",
    "code",
    "name",
    "kind",
    "tech",
    "operator",
    "tests",
    "devices",
    "download_median_mbps",
    "download_ci_low_mbps",
    "download_ci_high_mbps",
    "upload_median_mbps",
    "latency_median_ms",
    "status",
)


def _label(values: np.ndarray) -> np.ndarray:
    return np.array([v if isinstance(v, str) and v else "unknown" for v in values], dtype=object)


def unit_speeds(
    tests: pd.DataFrame, *, levels: Sequence[str] = LEVELS, settings: SpeedSettings | None = None
) -> pd.DataFrame:
    """Median download (with a bootstrap interval) and upload, tests and devices per unit.

    Parameters
    ----------
    tests
        Speed tests with admin columns (``KpiInputs.speed_tests``).
    levels
        Admin levels to report.
    settings
        Minimum sample and bootstrap settings.

    Returns
    -------
    DataFrame
        :data:`UNIT_SPEED_COLUMNS`; one row per unit, kind, technology and operator
        present, plus ``all`` rows over technologies, operators and both. Values of a
        row with fewer than ``min_tests`` tests are withheld (status ``insufficient_data``).
    """
    settings = settings or SpeedSettings()
    rng = np.random.default_rng(settings.seed)
    if not len(tests):
        return pd.DataFrame(columns=list(UNIT_SPEED_COLUMNS))
    tech = _label(tests["tech"].to_numpy(dtype=object))
    operator = _label(tests["operator"].to_numpy(dtype=object))
    weights = tests_per_row(tests)
    device_counts, device_ids, known_device = _device_arrays(tests)
    download = tests["download_mbps"].to_numpy(dtype=float)
    upload = (
        tests["upload_mbps"].to_numpy(dtype=float) if "upload_mbps" in tests else np.full(len(tests), np.nan)
    )
    latency = (
        tests["latency_ms"].to_numpy(dtype=float) if "latency_ms" in tests else np.full(len(tests), np.nan)
    )
    rows: list[dict[str, Any]] = []
    for level in levels:
        code_col, name_col = LEVEL_COLUMNS[level]
        codes = tests[code_col].to_numpy(dtype=object)
        names = tests[name_col].to_numpy(dtype=object) if name_col in tests else codes
        frame = pd.DataFrame(
            {"code": codes, "kind": tests["kind"].to_numpy(dtype=object), "tech": tech, "operator": operator}
        )
        frame = frame[pd.notna(frame["code"]).to_numpy()]
        for by_tech, by_op in ((False, False), (True, False), (False, True), (True, True)):
            keys = ["code", "kind"] + (["tech"] if by_tech else []) + (["operator"] if by_op else [])
            for key, group in frame.groupby(keys, sort=True):
                idx = group.index.to_numpy()
                parts = dict(zip(keys, key if isinstance(key, tuple) else (key,), strict=True))
                w = weights[idx]
                n_tests = int(w.sum())
                ok = n_tests >= settings.min_tests
                low = high = math.nan
                if ok:
                    low, high = bootstrap_interval(
                        download[idx],
                        w,
                        samples=settings.bootstrap_samples,
                        confidence=settings.confidence,
                        rng=rng,
                    )
                rows.append(
                    {
                        "level": level,
                        "code": str(parts["code"]),
                        "name": names[idx[0]],
                        "kind": parts["kind"],
                        "tech": parts.get("tech", ALL),
                        "operator": parts.get("operator", ALL),
                        "tests": n_tests,
                        "devices": int(device_counts[idx][~known_device[idx]].sum())
                        + len(set(device_ids[idx][known_device[idx]])),
                        "download_median_mbps": weighted_median(download[idx], w) if ok else math.nan,
                        "download_ci_low_mbps": low,
                        "download_ci_high_mbps": high,
                        "upload_median_mbps": weighted_median(upload[idx], w) if ok else math.nan,
                        "latency_median_ms": weighted_median(latency[idx], w) if ok else math.nan,
                        "status": "ok" if ok else INSUFFICIENT,
                    }
                )
    out = pd.DataFrame(rows, columns=list(UNIT_SPEED_COLUMNS))
    return _sorted(out, ["kind", "tech", "operator"])
