"""``coverage_gis.speed.grouped_weighted_median`` as it was before its compiled pass (a test oracle).

That version sorted the rows by group and value (``np.lexsort``) on every call and read
each group's median off one running sum of all the weights. A frozen copy, kept so
that property tests can check the sorted-once pass (``coverage_gis._medians``) against
it on random rows: with whole-number weights (test counts) the two give the same floats.
"""

from __future__ import annotations

import numpy as np


def grouped_weighted_median(
    values: np.ndarray, weights: np.ndarray, groups: np.ndarray, n_groups: int
) -> np.ndarray:
    """Weighted median of ``values`` per group ``0..n_groups-1`` (NaN for empty groups), vectorised."""
    out = np.full(n_groups, np.nan)
    v = np.asarray(values, dtype=np.float64)
    w = np.asarray(weights, dtype=np.float64)
    g = np.asarray(groups, dtype=np.int64)
    keep = np.isfinite(v) & (w > 0)
    if not keep.any():
        return out
    v, w, g = v[keep], w[keep], g[keep]
    order = np.lexsort((v, g))
    v, w, g = v[order], w[order], g[order]
    cum = np.cumsum(w)
    starts = np.flatnonzero(np.r_[True, g[1:] != g[:-1]])
    ends = np.r_[starts[1:], len(g)]
    base = np.where(starts > 0, cum[starts - 1], 0.0)
    total = cum[ends - 1] - base
    half = base + total / 2.0
    tol = 1e-9 * np.maximum(total, 1.0)
    # Per group, the first position whose running weight reaches / passes half.
    first = np.searchsorted(cum, half - tol, side="left")
    beyond = np.searchsorted(cum, half + tol, side="right")
    first = np.clip(first, starts, ends - 1)
    beyond = np.clip(beyond, starts, ends - 1)
    out[g[starts]] = np.where(first == beyond, v[first], 0.5 * (v[first] + v[beyond]))
    return out
