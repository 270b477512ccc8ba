"""Small array rules shared across modules (numpy, no pandas).

:func:`distinct_rows` groups the identical rows of a key table, where many rows share
a configuration and the work is done once per distinct one: the link budget's reach
inversion (cells with the same band, mast, budget and clutter class), the terrain
model's radio sites (cells with the same position, mast and carrier) and the terrain
engine's profiles (pairs with the same site and receiver). :func:`split_exactly`
shares a whole number out in proportion to weights (a commune's people among its demo
villages, a split commune's 2009 population among its 2025 parts).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

IntArray = NDArray[np.int64]


def distinct_rows(key: NDArray[np.float64] | NDArray[np.int64]) -> tuple[IntArray, IntArray]:
    """The first row of each group of identical rows of ``key``, and each row's group.

    Parameters
    ----------
    key
        ``(n, k)`` table; rows are equal when every column is equal (``-0.0 == 0.0``;
        a NaN equals nothing, so each row holding one is its own group).

    Returns
    -------
    first, group
        ``first[g]`` is a row index of group ``g``; groups are numbered in the
        lexicographic order of their rows (column 0 first), so ``key[first]`` is
        sorted. ``group[i]`` is the group of row ``i`` (``key[first[group]]``
        equals ``key``).
    """
    rows = np.asarray(key)
    if rows.ndim != 2:
        raise ValueError(f"key must be a 2-D table, got {rows.ndim} dimension(s)")
    n = rows.shape[0]
    if n == 0:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    # A lexsort and one diff: np.unique(axis=0) is ~10x slower on these tables.
    order = np.lexsort(rows.T[::-1]).astype(np.int64, copy=False)
    new = np.ones(n, dtype=bool)
    new[1:] = (np.diff(rows[order], axis=0) != 0).any(axis=1)
    group = np.empty(n, dtype=np.int64)
    group[order] = np.cumsum(new) - 1
    return order[new], group


def split_exactly(total: int, weights: NDArray[np.float64]) -> IntArray:
    """Integers proportional to ``weights`` that add up to ``total`` (largest remainder)."""
    weights = np.asarray(weights, dtype=np.float64)
    if total <= 0 or weights.sum() <= 0:
        return np.zeros(weights.shape, dtype=np.int64)
    share: NDArray[np.float64] = weights / weights.sum() * total
    base: IntArray = np.floor(share).astype(np.int64)
    rest = total - int(base.sum())
    # Ties go to the earlier item so the split is reproducible.
    order = np.argsort(-(share - base), kind="stable")
    base[order[:rest]] += 1
    return base
