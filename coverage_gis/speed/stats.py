"""Weighted statistics of speed tests (``docs/architecture.md``, measurements): medians
weighted by the number of tests a row stands for (the midpoint rule, so unweighted data
give ``numpy.median``), per group in one compiled pass over rows sorted once, and a
percentile-bootstrap interval that resamples rows (tiles are clusters of tests).
"""

from __future__ import annotations

import math
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

# Rows of a bootstrap chunk × rows of data kept in memory at once (~32 MB of float64).
_BOOTSTRAP_CELLS = 4_000_000


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
