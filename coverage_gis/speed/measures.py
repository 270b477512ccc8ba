"""Plan speed measures and targets (``docs/architecture.md``, measurements): which KPI ids
of ``data/plans`` speed tests measure and how (:data:`SPEED_MEASURES`), a plan's speed
targets, the weight (tests) and devices behind test rows, and a measure over some rows,
withheld below ``min_tests``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from coverage_gis.display import Lang
from coverage_gis.measurement_settings import SpeedSettings
from coverage_gis.speed.stats import FloatArray, IntArray, bootstrap_interval, weighted_statistic

if TYPE_CHECKING:
    from coverage_gis.plans import Plan


@dataclass(frozen=True)
class SpeedMeasure:
    """How one plan KPI is measured from speed tests.

    ``statistic`` ``median`` gives Mb/s; ``share_at_least`` gives the percentage of
    tests (weighted) whose download reaches ``threshold_mbps``.
    """

    kind: str
    tech: str | None = None
    statistic: Literal["median", "share_at_least"] = "median"
    threshold_mbps: float | None = None

    @property
    def label(self) -> str:
        """What the measure is, in words (KPI headers, the scorecard's ``measures``)."""
        return self.words("en")

    def words(self, lang: Lang) -> str:
        """What the measure is, in ``lang``."""
        tests_of, statistics = _MEASURE_WORDS[lang]
        kind = _KIND_WORDS[lang].get(self.kind, self.kind)
        tests = tests_of.format(kind=kind, tech=f" {self.tech}" if self.tech else "")
        return statistics[self.statistic].format(tests=tests, threshold=self.threshold_mbps)


#: The words of :meth:`SpeedMeasure.words`: the tests, then each statistic's sentence.
_MEASURE_WORDS: dict[str, tuple[str, dict[str, str]]] = {
    "en": (
        "{kind}{tech} tests",
        {
            "median": "median download speed of {tests} (weighted by tests), Mbps",
            "share_at_least": (
                "{tests} with a download of at least {threshold:g} Mbps, % of {tests} (weighted by tests)"
            ),
        },
    ),
    "vi": (
        "các lần đo {kind}{tech}",
        {
            "median": "tốc độ tải xuống trung vị của {tests} (theo số lần đo), Mbps",
            "share_at_least": (
                "tỷ lệ {tests} có tốc độ tải xuống từ {threshold:g} Mbps trở lên, "
                "% số lần đo (theo số lần đo)"
            ),
        },
    ),
}
_KIND_WORDS: dict[str, dict[str, str]] = {"en": {}, "vi": {"mobile": "di động", "fixed": "cố định"}}


#: KPI ids of ``data/plans`` that speed tests measure, and how.
SPEED_MEASURES: Mapping[str, SpeedMeasure] = {
    "mobile_download_mbps": SpeedMeasure(kind="mobile"),
    "mobile_download_4g_mbps": SpeedMeasure(kind="mobile", tech="4G"),
    "mobile_download_5g_mbps": SpeedMeasure(kind="mobile", tech="5G"),
    "fixed_download_mbps": SpeedMeasure(kind="fixed"),
    # Thừa Thiên Huế: "90 % of fixed lines to individuals at 200 Mb/s on average".
    "fixed_lines_individuals_200mbps_pct": SpeedMeasure(
        kind="fixed", statistic="share_at_least", threshold_mbps=200.0
    ),
}


@dataclass(frozen=True)
class SpeedTarget:
    """A plan's speed target in Mb/s, with the measure it is checked on."""

    indicator: str
    kpi: str
    measure: SpeedMeasure
    target_mbps: float
    label_en: str


def speed_targets(plan: Plan) -> tuple[SpeedTarget, ...]:
    """The plan's indicators that set a download speed (Mb/s) measured by :data:`SPEED_MEASURES`."""
    return tuple(
        SpeedTarget(ind.id, ind.kpi, SPEED_MEASURES[ind.kpi], float(ind.target), ind.label_en)
        for ind in plan.indicators
        if ind.kpi in SPEED_MEASURES and ind.unit == "mbps" and SPEED_MEASURES[ind.kpi].statistic == "median"
    )


def _selected(tests: pd.DataFrame, kind: str, tech: str | None) -> NDArray[np.bool_]:
    if not len(tests):
        return np.zeros(0, dtype=bool)
    mask = tests["kind"].to_numpy(dtype=object) == kind
    if tech is not None:
        mask &= tests["tech"].to_numpy(dtype=object) == tech
    return np.asarray(mask, dtype=bool)


def tests_per_row(tests: pd.DataFrame) -> FloatArray:
    """The weight of each ``speed_tests`` row: the tests it stands for (a tile's count, else 1)."""
    if "tests" not in tests:
        return np.ones(len(tests))
    return np.asarray(pd.to_numeric(tests["tests"], errors="coerce").fillna(1).to_numpy(dtype=float))


def _device_arrays(tests: pd.DataFrame) -> tuple[FloatArray, np.ndarray, NDArray[np.bool_]]:
    """Per row: its device count, its device id, and whether the id is known."""
    counts = (
        pd.to_numeric(tests["devices"], errors="coerce").fillna(1).to_numpy(dtype=float)
        if "devices" in tests
        else np.ones(len(tests))
    )
    ids = tests["device_id"].to_numpy(dtype=object) if "device_id" in tests else np.full(len(tests), None)
    return counts, ids, np.asarray(pd.notna(ids), dtype=bool)


def devices_per_group(tests: pd.DataFrame, group: IntArray, test: IntArray, n_groups: int) -> FloatArray:
    """Devices behind each group's tests: tiles' counts summed, single measurements once per ``device_id``.

    ``group`` and ``test`` are parallel (group, test row) pairs, e.g. a :class:`TestMatch`.
    """
    counts, ids, known_rows = _device_arrays(tests)
    known = known_rows[test]
    out = np.bincount(group[~known], weights=counts[test][~known], minlength=n_groups).astype(np.float64)
    if known.any():
        pairs = pd.DataFrame({"g": group[known], "d": ids[test][known]}).drop_duplicates()
        out += np.bincount(pairs["g"].to_numpy(dtype=np.int64), minlength=n_groups)
    return out


def _devices(tests: pd.DataFrame) -> int:
    """Devices behind some rows (one group)."""
    rows = np.arange(len(tests), dtype=np.int64)
    return int(devices_per_group(tests, np.zeros(len(tests), dtype=np.int64), rows, 1)[0])


@dataclass(frozen=True)
class MeasuredValue:
    """A measured statistic with its sample size and confidence interval."""

    value: float | None
    ci_low: float | None
    ci_high: float | None
    tests: int
    devices: int
    sufficient: bool


def measured_value(
    tests: pd.DataFrame,
    measure: SpeedMeasure,
    *,
    settings: SpeedSettings,
    rng: np.random.Generator | None = None,
) -> MeasuredValue:
    """A plan measure over some test rows (e.g. one province's), or withheld below ``min_tests``.

    Parameters
    ----------
    tests
        Rows of the ``speed_tests`` layer (``kind``, ``tech``, ``download_mbps``, ``tests``, ...).
    measure
        What to compute (:data:`SPEED_MEASURES`).
    settings
        Minimum sample and bootstrap settings.
    rng
        Bootstrap generator; seeded from the settings when None.
    """
    rows = tests[_selected(tests, measure.kind, measure.tech)]
    w = tests_per_row(rows)
    download = rows["download_mbps"].to_numpy(dtype=float) if len(rows) else np.zeros(0)
    n_tests = int(w.sum())
    devices = _devices(rows)
    if n_tests < settings.min_tests:
        return MeasuredValue(None, None, None, n_tests, devices, False)
    if measure.statistic == "median":
        values, statistic, scale = download, "median", 1.0
    else:
        assert measure.threshold_mbps is not None
        values, statistic, scale = (download >= measure.threshold_mbps).astype(float), "mean", 100.0
    value = weighted_statistic(values, w, statistic)  # type: ignore[arg-type]
    low, high = bootstrap_interval(
        values,
        w,
        statistic=statistic,  # type: ignore[arg-type]
        samples=settings.bootstrap_samples,
        confidence=settings.confidence,
        rng=rng if rng is not None else np.random.default_rng(settings.seed),
    )
    return MeasuredValue(value * scale, low * scale, high * scale, n_tests, devices, True)
