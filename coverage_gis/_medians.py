"""The compiled pass of :func:`coverage_gis.speed.sorted_group_medians`: weighted medians of
many groups from rows read once in ascending value.

Sorting the rows by group and value for every grouping (a ``lexsort`` per admin level and
test kind) cost most of a national KPI computation; the value order does not depend on
the grouping, so it is sorted once and each grouping is one pass over it here. The rule
is :func:`coverage_gis.speed.weighted_statistic`'s midpoint rule with its tolerance, the
running weight of each group added up in the order the rows are read.

Kernels are compiled with numba (:func:`coverage_gis.terrain._jit.jit`: cached on disk,
GIL released). The module loads numba: :mod:`coverage_gis.speed` imports it when it first
computes a median, so importing the library stays free of it.
"""

from __future__ import annotations

import numpy as np

from coverage_gis.terrain._jit import jit


@jit
def sorted_medians(
    values: np.ndarray,
    weights: np.ndarray,
    part: np.ndarray,
    group: np.ndarray,
    n_parts: int,
    n_groups: int,
) -> np.ndarray:
    """The weighted median of each (part, group): ``out[p, g]`` over the rows ``r`` with
    ``part[r] == p`` and ``group[r] == g``, read in their order (ascending values).

    Rows with a negative part or group, a value that is not finite or a weight that is not
    positive are left out; a (part, group) without rows is NaN. Per (part, group) the
    first row whose running weight reaches half the total (less ``1e-9 · max(total, 1)``)
    and the first that passes it (plus as much) give the median: the value of the first
    where both hold the same value, else the midpoint of the two (the last row read
    stands in for the second when no running weight passes it, as it may for a total
    below ``2e-9``).
    """
    total = np.zeros((n_parts, n_groups))
    for r in range(values.size):
        p, g = part[r], group[r]
        if p < 0 or g < 0 or not weights[r] > 0.0 or not np.isfinite(values[r]):
            continue
        total[p, g] += weights[r]
    reach = np.empty((n_parts, n_groups))
    passed = np.empty((n_parts, n_groups))
    for p in range(n_parts):
        for g in range(n_groups):
            half = total[p, g] / 2.0
            tol = 1e-9 * max(total[p, g], 1.0)
            reach[p, g] = half - tol
            passed[p, g] = half + tol
    running = np.zeros((n_parts, n_groups))
    first = np.full((n_parts, n_groups), -1, dtype=np.int64)
    beyond = np.full((n_parts, n_groups), -1, dtype=np.int64)
    last = np.full((n_parts, n_groups), -1, dtype=np.int64)
    for r in range(values.size):
        p, g = part[r], group[r]
        if p < 0 or g < 0 or not weights[r] > 0.0 or not np.isfinite(values[r]) or beyond[p, g] >= 0:
            continue
        running[p, g] += weights[r]
        last[p, g] = r
        if first[p, g] < 0 and running[p, g] >= reach[p, g]:
            first[p, g] = r
        if running[p, g] > passed[p, g]:
            beyond[p, g] = r
    out = np.full((n_parts, n_groups), np.nan)
    for p in range(n_parts):
        for g in range(n_groups):
            if first[p, g] < 0:
                continue
            low = values[first[p, g]]
            high = values[beyond[p, g] if beyond[p, g] >= 0 else last[p, g]]
            out[p, g] = low if low == high else 0.5 * (low + high)
    return out
