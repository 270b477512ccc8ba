"""Measured speed: speed tests matched to villages and admin units, speed KPIs, plan speed targets.

Owns the measured-speed definitions (``docs/architecture.md``, measurements):

- **Which tests describe a village**: single measurements within ``radius_m`` of its
  centre, and the aggregated tile (``quadkey``) containing its centre
  (:func:`match_tests`). A test near two villages describes both.
- **Which tests describe a unit** (commune, district, province, in either hierarchy):
  the tests located in it (their admin codes from :mod:`coverage_gis.kpi_inputs`), so
  every test counts once per hierarchy.
- **Statistics**: medians weighted by the number of tests a row stands for (a tile row
  of 40 tests weighs 40), with the usual midpoint rule, so unweighted data give
  ``numpy.median``; a percentile-bootstrap confidence interval that resamples rows
  (tiles are clusters of tests); devices are summed over tiles and counted once per
  ``device_id`` for single measurements.
- **Minimum samples**: a unit statistic needs ``min_tests`` tests, a village median
  ``min_village_tests``, a share of villages ``min_villages`` villages with data;
  below them the value is withheld and the status is ``insufficient_data``.
- **Plan speed targets**: which KPI ids of ``data/plans`` are measured and how
  (:data:`SPEED_MEASURES`); the share of villages and of population whose median meets
  each target.

Settings live in ``workspace.yaml`` under ``speed`` (:class:`SpeedSettings`, shaped by
:mod:`coverage_gis.measurement_settings`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from coverage_gis.admin import LEVEL_COLUMNS, LEVELS
from coverage_gis.display import Lang
from coverage_gis.errors import NotFound
from coverage_gis.measurement_settings import SpeedSettings
from coverage_gis.network import points_xy_m

if TYPE_CHECKING:
    from coverage_gis.engine import Analysis
    from coverage_gis.plans import Plan

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

#: Label of the rows that aggregate every technology or operator.
ALL = "all"
#: Status of a statistic with too few samples.
INSUFFICIENT = "insufficient_data"
# Rows of a bootstrap chunk × rows of data kept in memory at once (~32 MB of float64).
_BOOTSTRAP_CELLS = 4_000_000


# ------------------------------------------------------------------------------ statistics


def _median_from_counts(values: FloatArray, weights: FloatArray, counts: FloatArray) -> FloatArray:
    """Weighted median of sorted ``values`` for each row of a counts matrix (midpoint rule)."""
    w = counts * weights[np.newaxis, :]
    cum = np.cumsum(w, axis=1)
    half = cum[:, -1:] / 2.0
    tol = 1e-9 * np.maximum(cum[:, -1:], 1.0)
    first = np.argmax(cum >= half - tol, axis=1)
    beyond = np.argmax(cum > half + tol, axis=1)
    out = np.where(first == beyond, values[first], 0.5 * (values[first] + values[beyond]))
    return np.where(cum[:, -1] > 0, out, np.nan)


def _mean_from_counts(values: FloatArray, weights: FloatArray, counts: FloatArray) -> FloatArray:
    w = counts * weights[np.newaxis, :]
    total = w.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, (w * values[np.newaxis, :]).sum(axis=1) / total, np.nan)


Statistic = Literal["median", "mean"]
_STATISTICS = {"median": _median_from_counts, "mean": _mean_from_counts}


def weighted_statistic(values: FloatArray, weights: FloatArray, statistic: Statistic = "median") -> float:
    """Weighted median (midpoint rule: equal weights give ``numpy.median``) or mean; NaN if empty."""
    v = np.asarray(values, dtype=np.float64)
    w = np.asarray(weights, dtype=np.float64)
    keep = np.isfinite(v) & (w > 0)
    if not keep.any():
        return math.nan
    order = np.argsort(v[keep], kind="stable")
    result = _STATISTICS[statistic](v[keep][order], w[keep][order], np.ones((1, int(keep.sum()))))
    return float(result[0])


def weighted_median(values: FloatArray, weights: FloatArray) -> float:
    """The weighted median of ``values``; NaN when nothing has weight."""
    return weighted_statistic(values, weights, "median")


def grouped_weighted_median(
    values: FloatArray, weights: FloatArray, groups: IntArray, n_groups: int
) -> FloatArray:
    """Weighted median of ``values`` per group ``0..n_groups-1`` (NaN for empty groups).

    Each group's is :func:`weighted_median` of its rows: the rows are sorted by value once
    and every group read off them in one compiled pass (:func:`sorted_group_medians`).
    With whole-number weights (test counts) every running sum is exact, and below a
    total of 5·10^8 per group (where the tolerance stays under half a test) the medians
    are the floats a sort by group and value gives (tested against that former version).
    """
    v = np.asarray(values, dtype=np.float64)
    w = np.asarray(weights, dtype=np.float64)
    g = np.asarray(groups, dtype=np.int64)
    order = value_order(v, w)
    medians = sorted_group_medians(v[order], w[order], np.zeros(len(v), dtype=np.int8), g[order], 1, n_groups)
    return np.asarray(medians[0], dtype=np.float64)


def value_order(values: FloatArray, weights: FloatArray) -> IntArray:
    """The rows by ascending value (NaN last), as :func:`sorted_group_medians` reads them.

    Rows of equal value keep their order (a stable sort) unless every weight is a whole
    number and they add up to less than 2**53: then every running sum is exact in float64
    whatever the order, the medians do not depend on how ties are ordered, and the
    unstable sort (several times faster) serves. Test counts are such weights.
    """
    v = np.asarray(values, dtype=np.float64)
    w = np.asarray(weights, dtype=np.float64)
    exact = bool((w == np.floor(w)).all()) and float(np.abs(w).sum()) < 2.0**53
    return np.asarray(np.argsort(v) if exact else np.argsort(v, kind="stable"), dtype=np.int64)


def sorted_group_medians(
    values: FloatArray,
    weights: FloatArray,
    parts: NDArray[np.integer[Any]],
    groups: NDArray[np.integer[Any]],
    n_parts: int,
    n_groups: int,
) -> FloatArray:
    """The weighted median of each (part, group), ``(n_parts, n_groups)``: e.g. per test kind
    and admin unit, of rows sorted once (:func:`value_order`) for every grouping.

    The rows come in :func:`value_order`; ``parts`` and ``groups`` give each row's part
    (at most 127) and group (negative: in none). Rows with a value that is not
    finite or a weight that is not positive count in none. Each (part, group) gets
    :func:`weighted_median` of its rows (NaN without any): its running weight added up in
    value order, the midpoint rule with the same tolerance.
    """
    # The kernel loads numba: with the first median, not with this module.
    from coverage_gis._medians import sorted_medians

    out: FloatArray = sorted_medians(
        np.asarray(values, dtype=np.float64),
        np.asarray(weights, dtype=np.float64),
        np.asarray(parts, dtype=np.int8),
        np.asarray(groups, dtype=np.int64),
        int(n_parts),
        int(n_groups),
    )
    return out


def bootstrap_interval(
    values: FloatArray,
    weights: FloatArray,
    *,
    statistic: Statistic = "median",
    samples: int,
    confidence: float,
    rng: np.random.Generator,
) -> tuple[float, float]:
    """Percentile bootstrap interval of a weighted statistic, resampling rows with replacement.

    Rows are resampled whole (a tile row keeps its weight), which treats a tile as a
    cluster of tests. Returns ``(nan, nan)`` for fewer than two rows.
    """
    v = np.asarray(values, dtype=np.float64)
    w = np.asarray(weights, dtype=np.float64)
    keep = np.isfinite(v) & (w > 0)
    v, w = v[keep], w[keep]
    n = len(v)
    if n < 2:
        return math.nan, math.nan
    order = np.argsort(v, kind="stable")
    v, w = v[order], w[order]
    func = _STATISTICS[statistic]
    chunk = max(1, _BOOTSTRAP_CELLS // n)
    results = []
    for start in range(0, samples, chunk):
        b = min(chunk, samples - start)
        picks = rng.integers(0, n, size=(b, n)) + (np.arange(b, dtype=np.int64) * n)[:, np.newaxis]
        counts = np.bincount(picks.ravel(), minlength=b * n).reshape(b, n).astype(np.float64)
        results.append(func(v, w, counts))
    draws = np.concatenate(results)
    alpha = (1.0 - confidence) / 2.0
    low, high = np.nanquantile(draws, [alpha, 1.0 - alpha])
    return float(low), float(high)


# ------------------------------------------------------------------------------ matching


@dataclass(frozen=True)
class TestMatch:
    """(village, test) pairs: which tests describe which village (positional indices)."""

    village: IntArray
    test: IntArray

    def __len__(self) -> int:
        return int(self.village.shape[0])


def _is_tile(tests: pd.DataFrame) -> NDArray[np.bool_]:
    if "quadkey" not in tests or not len(tests):
        return np.zeros(len(tests), dtype=bool)
    keys = tests["quadkey"].to_numpy(dtype=object)
    return np.array([isinstance(k, str) and k != "" for k in keys], dtype=bool)


def match_tests(
    villages: gpd.GeoDataFrame, tests: gpd.GeoDataFrame, *, metric_crs: str, radius_m: float
) -> TestMatch:
    """The tests describing each village: points within ``radius_m``, the tile containing it.

    Parameters
    ----------
    villages
        Village centres (EPSG:4326).
    tests
        The ``speed_tests`` layer (EPSG:4326); rows with a ``quadkey`` are tiles.
    metric_crs
        CRS in metres for the distances.
    radius_m
        Distance from a village centre within which a single measurement counts.

    Returns
    -------
    TestMatch
        Pairs sorted by village, then test.
    """
    if not len(villages) or not len(tests):
        empty = np.empty(0, dtype=np.int64)
        return TestMatch(empty, empty)
    tile = _is_tile(tests)
    vill: list[IntArray] = []
    test: list[IntArray] = []
    points = np.flatnonzero(~tile)
    if len(points):
        vx, vy = points_xy_m(villages, metric_crs)
        tx, ty = points_xy_m(tests.iloc[points], metric_crs)
        hits = cKDTree(np.column_stack([vx, vy])).query_ball_point(np.column_stack([tx, ty]), r=radius_m)
        lengths = np.fromiter((len(h) for h in hits), dtype=np.int64, count=len(hits))
        if lengths.sum():
            vill.append(np.concatenate([np.asarray(h, dtype=np.int64) for h in hits if h]))
            test.append(np.repeat(points, lengths))
    tiles = np.flatnonzero(tile)
    if len(tiles):
        # Imported here: the tile arithmetic pulls in the tiles package, which KPIs do not need.
        from coverage_gis.io.speedtests import quadkeys_for_lonlat

        keys = tests["quadkey"].to_numpy(dtype=object)[tiles]
        lon = villages.geometry.x.to_numpy(dtype=float)
        lat = villages.geometry.y.to_numpy(dtype=float)
        zooms = np.fromiter((len(k) for k in keys), dtype=np.int64, count=len(keys))
        for zoom in np.unique(zooms):
            village_keys = pd.DataFrame(
                {"key": quadkeys_for_lonlat(lon, lat, int(zoom)), "v": np.arange(len(lon))}
            )
            at_zoom = pd.DataFrame({"key": keys[zooms == zoom], "t": tiles[zooms == zoom]})
            joined = village_keys.merge(at_zoom, on="key")
            vill.append(joined["v"].to_numpy(dtype=np.int64))
            test.append(joined["t"].to_numpy(dtype=np.int64))
    if not vill:
        empty = np.empty(0, dtype=np.int64)
        return TestMatch(empty, empty)
    v = np.concatenate(vill)
    t = np.concatenate(test)
    order = np.lexsort((t, v))
    return TestMatch(v[order], t[order])


# ------------------------------------------------------------------------------ plan targets


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


# ------------------------------------------------------------------------------ unit KPIs

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


def _sorted(frame: pd.DataFrame, extra: list[str]) -> pd.DataFrame:
    if frame.empty:
        return frame
    rank = frame["level"].map({lvl: i for i, lvl in enumerate(LEVELS)})
    order = np.lexsort(
        [frame[c].astype(str).to_numpy() for c in reversed(["code", *extra])] + [rank.to_numpy()]
    )
    # lexsort takes the last key as primary: level, then code, then the extra keys.
    return frame.iloc[order].reset_index(drop=True)


# ------------------------------------------------------------------------------ villages and targets

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


# ------------------------------------------------------------------------------ the report


@dataclass(frozen=True)
class SpeedReport:
    """Speed KPIs of a workspace.

    Attributes
    ----------
    units
        :func:`unit_speeds`: medians, intervals, tests and devices per unit.
    targets
        :func:`target_shares`: share of villages and population meeting each plan target.
    villages
        :func:`village_speeds`: each village's median per target.
    settings
        The settings used.
    """

    units: pd.DataFrame
    targets: pd.DataFrame
    villages: pd.DataFrame
    settings: SpeedSettings


def speed_kpis(
    analysis: Analysis,
    *,
    levels: Sequence[str] = LEVELS,
    plan: Plan | None = None,
    settings: SpeedSettings | None = None,
) -> SpeedReport:
    """Speed KPIs of an analysed workspace (the thin call for the CLI and the API).

    Parameters
    ----------
    analysis
        From :func:`coverage_gis.engine.load`.
    levels
        Admin levels of the unit rows.
    plan
        The plan whose speed targets are checked; the workspace's plan when None (no
        targets when the workspace has none).
    settings
        The workspace's ``speed`` settings when None.
    """
    settings = settings or analysis.ws.config.speed_settings
    if plan is None:
        try:
            plan = analysis.plan()
        except NotFound:
            plan = None
    targets = speed_targets(plan) if plan is not None else ()
    tests = analysis.layers.speed_tests
    villages = analysis.layers.villages
    if not len(tests):
        empty = pd.DataFrame()
        return SpeedReport(
            pd.DataFrame(columns=list(UNIT_SPEED_COLUMNS)),
            pd.DataFrame(columns=list(TARGET_SHARE_COLUMNS)),
            empty.reindex(columns=list(VILLAGE_SPEED_COLUMNS)),
            settings,
        )
    match = match_tests(villages, tests, metric_crs=analysis.metric_crs, radius_m=settings.radius_m)
    speeds = village_speeds(villages, tests, match, targets, settings=settings)
    return SpeedReport(
        units=unit_speeds(analysis.inputs.speed_tests, levels=levels, settings=settings),
        targets=target_shares(analysis.inputs.villages, speeds, levels=levels, settings=settings),
        villages=speeds,
        settings=settings,
    )


__all__ = [
    "ALL",
    "INSUFFICIENT",
    "SPEED_MEASURES",
    "TARGET_SHARE_COLUMNS",
    "UNIT_SPEED_COLUMNS",
    "VILLAGE_SPEED_COLUMNS",
    "MeasuredValue",
    "SpeedMeasure",
    "SpeedReport",
    "SpeedSettings",
    "SpeedTarget",
    "TestMatch",
    "bootstrap_interval",
    "devices_per_group",
    "grouped_weighted_median",
    "match_tests",
    "measured_value",
    "sorted_group_medians",
    "speed_kpis",
    "speed_targets",
    "target_shares",
    "tests_per_row",
    "unit_speeds",
    "value_order",
    "village_speeds",
    "weighted_median",
    "weighted_statistic",
]
