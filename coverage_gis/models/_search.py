"""Compiled pair search: the receivers within each source's reach, over receivers in rows.

The receivers are bucketed once per search in horizontal *rows* of equal height
(:class:`ReceiverRows`), sorted by x within a row, so that the receivers of any
x-interval of a row are one contiguous run found by binary search. A source scans the
rows its disc overlaps, over its disc's x-interval, and keeps a receiver when
``hypot(dx, dy) <= reach`` (``math.hypot`` is the C library's ``hypot``, as
``numpy.hypot`` is: the same test, bit for bit, as the numpy form). The row and
interval bounds only prune: they are widened by a hair so that rounding never drops a
receiver the exact test keeps.

Owned by :func:`coverage_gis.models.base.map_pairs_within_reach` (the search and the
hand-over of a source's hits to its cells); :mod:`coverage_gis.models._sector` builds
the radius rule on the same hits.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from coverage_gis.terrain._jit import jit

#: Relative and absolute widening of the rows and x-intervals a source scans (only
#: prunes; the exact test decides).
_SLACK_REL = 1e-9
_SLACK_M = 1e-6


#: The arguments the kernels take for a :class:`ReceiverRows` (its :attr:`~ReceiverRows.arrays`),
#: for the sources (``x, y, reach``) and for the sources' cells (``start, count, order``,
#: as in :class:`~coverage_gis.models.base.SourcePlan`).
RowArrays = tuple[np.ndarray, float, float, np.ndarray, np.ndarray, np.ndarray]
SourceArrays = tuple[np.ndarray, np.ndarray, np.ndarray]
MemberArrays = tuple[np.ndarray, np.ndarray, np.ndarray]


@dataclass(frozen=True)
class ReceiverRows:
    """Receivers with finite coordinates in rows of ``row_m`` metres from ``y0_m``, by x within a row.

    ``start[k]:start[k + 1]`` are the positions of row ``k`` in ``x_m``, ``y_m`` and
    ``index`` (the receivers' positions in the caller's arrays).
    """

    y0_m: float
    row_m: float
    start: np.ndarray
    x_m: np.ndarray
    y_m: np.ndarray
    index: np.ndarray

    @classmethod
    def of(cls, x_m: np.ndarray, y_m: np.ndarray, row_m: float) -> ReceiverRows:
        """The rows of the receivers at ``(x_m, y_m)``; those with a non-finite coordinate are left out.

        ``row_m`` is widened when the rows would outnumber the receivers many times
        (a few receivers far apart), so the row index stays small.
        """
        x = np.asarray(x_m, dtype=np.float64)
        y = np.asarray(y_m, dtype=np.float64)
        ok = np.flatnonzero(np.isfinite(x) & np.isfinite(y))
        if ok.size == 0:
            empty = np.empty(0, dtype=np.float64)
            return cls(0.0, 1.0, np.zeros(1, dtype=np.int64), empty, empty, np.empty(0, dtype=np.int64))
        y0 = float(y[ok].min())
        span = float(y[ok].max()) - y0
        height = max(float(row_m), span / (4.0 * ok.size + 1.0), 1e-3)
        row = np.floor((y[ok] - y0) / height).astype(np.int64)
        order = np.lexsort((x[ok], row))
        index = ok[order]
        start = np.zeros(int(row.max()) + 2, dtype=np.int64)
        np.cumsum(np.bincount(row, minlength=start.size - 1), out=start[1:])
        return cls(y0, height, start, x[index], y[index], index)

    def __len__(self) -> int:
        return int(self.index.size)

    @property
    def arrays(self) -> RowArrays:
        """``(start, y0_m, row_m, x_m, y_m, index)``, the rows as the kernels take them."""
        return self.start, self.y0_m, self.row_m, self.x_m, self.y_m, self.index


@jit
def grow(buf: np.ndarray, size: int, need: int) -> np.ndarray:
    """``buf`` with room for ``need`` more entries after its first ``size`` (doubled at least)."""
    out = np.empty(max(2 * buf.size, size + need) + 1024, dtype=buf.dtype)
    out[:size] = buf[:size]
    return out


@jit
def _first_above(x: np.ndarray, lo: int, hi: int, value: float, inclusive: bool) -> int:
    """The first position in ``x[lo:hi]`` (sorted) above ``value`` (at or above it when
    ``inclusive``); ``hi`` if none."""
    while lo < hi:
        mid = (lo + hi) >> 1
        if x[mid] < value or (not inclusive and x[mid] == value):
            lo = mid + 1
        else:
            hi = mid
    return lo


@jit
def widened(reach: float) -> float:
    """``reach`` widened by a hair: the bound the pruning uses (the exact test decides)."""
    return reach * (1.0 + _SLACK_REL) + _SLACK_M


@jit
def surely_beyond(dx: float, dy: float, reach: float) -> bool:
    """Whether ``hypot(dx, dy) > reach`` for sure, without the (slower) ``hypot``: the
    squared distance exceeds the widened reach's square by far more than rounding."""
    wide = widened(reach)
    return dx * dx + dy * dy > wide * wide * (1.0 + _SLACK_REL)


#: Squared distances :func:`surely_within` trusts: far from underflow and overflow, where
#: ``sqrt(dx² + dy²)`` is within a few ulps of ``hypot(dx, dy)``.
SQUARES_MIN = 1e-200
SQUARES_MAX = 1e200
#: Relative margin of the tests that decide on ``sqrt(dx² + dy²)`` in place of
#: ``hypot(dx, dy)``: a thousand times their rounding, and far below any real margin.
NEAR_REL = 1e-12


@jit
def surely_within(dx: float, dy: float, reach: float) -> bool:
    """Whether ``hypot(dx, dy) <= reach`` for sure, without the (slower) ``hypot``: the
    squared distance, in :data:`SQUARES_MIN`..:data:`SQUARES_MAX`, is below the reach's
    square by far more than rounding."""
    squares = dx * dx + dy * dy
    return SQUARES_MIN < squares < SQUARES_MAX and squares < reach * reach * (1.0 - NEAR_REL)


@jit
def distance_within(dx: float, dy: float, reach: float) -> float:
    """``hypot(dx, dy)`` when it is at most ``reach`` (the exact test), else -1."""
    if surely_beyond(dx, dy, reach):
        return -1.0
    d = math.hypot(dx, dy)
    return d if d <= reach else -1.0


@jit
def row_spans(rows: RowArrays, x: float, y: float, reach: float, spans: np.ndarray) -> int:
    """The runs of receivers a source at ``(x, y)`` reaching ``reach`` must test.

    Writes ``[first, end)`` positions (into the rows' arrays) of each run into
    ``spans`` (at least ``len(start)`` rows) and returns how many. Every receiver within
    ``reach`` is in a run; the runs hold those of the disc's bounding box, a little wider.
    """
    start, y0, row_m, px, _, _ = rows
    n_rows = start.size - 1
    wide = widened(reach)
    # Rows only grow with y (subtraction and division by a positive number are
    # monotonic), so a receiver at most ``wide`` below the source is in row >= k0.
    lo_row = (y - wide - y0) / row_m
    hi_row = (y + wide - y0) / row_m
    if hi_row < 0.0 or lo_row >= n_rows:
        return 0
    # Clipped before the conversion to an integer, which a huge reach would overflow.
    k0 = math.floor(max(lo_row, 0.0))
    k1 = math.floor(min(hi_row, n_rows - 1.0))
    n = 0
    for k in range(k0, k1 + 1):
        a = start[k]
        b = start[k + 1]
        if a == b:
            continue
        first = _first_above(px, a, b, x - wide, True)
        end = _first_above(px, first, b, x + wide, False)
        if first < end:
            spans[n, 0] = first
            spans[n, 1] = end
            n += 1
    return n


@jit
def source_hits(
    rows: RowArrays, sources: SourceArrays, lo: int, hi: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(source, receiver, distance) of every receiver within the reach of sources ``lo:hi``.

    ``sources`` are the sources' coordinates and reaches (finite, reach ≥ 0). Receivers
    are given by their position in the caller's arrays; the distance is
    ``hypot(rx - sx, ry - sy)``.
    """
    start, _, _, px, py, pindex = rows
    sx, sy, sr = sources
    spans = np.empty((start.size, 2), dtype=np.int64)
    cap = 16 * (hi - lo) + 1024
    src = np.empty(cap, dtype=np.int64)
    recv = np.empty(cap, dtype=np.int64)
    dist = np.empty(cap, dtype=np.float64)
    n = 0
    for s in range(lo, hi):
        x = sx[s]
        y = sy[s]
        r = sr[s]
        for q in range(row_spans(rows, x, y, r, spans)):
            first = spans[q, 0]
            end = spans[q, 1]
            if n + end - first > src.size:
                src = grow(src, n, end - first)
                recv = grow(recv, n, end - first)
                dist = grow(dist, n, end - first)
            for j in range(first, end):
                d = distance_within(px[j] - x, py[j] - y, r)
                if d >= 0.0:
                    src[n] = s
                    recv[n] = pindex[j]
                    dist[n] = d
                    n += 1
    return src[:n], recv[:n], dist[:n]


@jit
def cell_pairs(
    src: np.ndarray, recv: np.ndarray, dist: np.ndarray, members: MemberArrays
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each source hit handed to every cell of its source: (receiver, cell, distance)."""
    source_start, source_count, order = members
    total = 0
    for i in range(src.size):
        total += source_count[src[i]]
    out_recv = np.empty(total, dtype=np.int64)
    out_cell = np.empty(total, dtype=np.int64)
    out_dist = np.empty(total, dtype=np.float64)
    n = 0
    for i in range(src.size):
        s = src[i]
        first = source_start[s]
        for k in range(first, first + source_count[s]):
            out_recv[n] = recv[i]
            out_cell[n] = order[k]
            out_dist[n] = dist[i]
            n += 1
    return out_recv, out_cell, out_dist


#: Longest run of equal keys :func:`sort_runs` sorts in place (insertion sort); longer
#: runs are left to the caller, so that no input is quadratic.
RUN_SORT_MAX = 32


@jit
def _greater(p: int, q: int, key1: np.ndarray, key2: np.ndarray) -> bool:
    """Whether entry ``p``'s ``(key1, key2, p)`` is strictly greater than entry ``q``'s."""
    if key1[p] != key1[q]:
        return bool(key1[p] > key1[q])
    if key2[p] != key2[q]:
        return bool(key2[p] > key2[q])
    return p > q


@jit
def sort_runs(order: np.ndarray, head: np.ndarray, key1: np.ndarray, key2: np.ndarray) -> np.ndarray:
    """Sort each run of equal ``head`` by ``(key1, key2)``, then by entry, in place.

    ``order`` is sorted by ``head`` (no NaN), in any order among equal heads; ``head``
    is given in the order of ``order`` (``head[i]`` is entry ``order[i]``'s), so that
    the runs are found in one sequential pass. Runs of at most :data:`RUN_SORT_MAX`
    entries are insertion-sorted here, by ``(key1, key2, entry)``: the order a stable
    sort gives, whatever the order within the run; returns ``[start, end)`` of each
    longer run, for the caller to sort so. The result is
    ``numpy.lexsort((key2, key1, head))``, stable.
    """
    n = order.size
    long_runs = np.empty((0, 2), dtype=np.int64)
    kept = 0
    a = 0
    while a < n:
        b = a + 1
        while b < n and head[b] == head[a]:
            b += 1
        if b - a > RUN_SORT_MAX:
            if kept == long_runs.shape[0]:
                grown = np.empty((2 * kept + 4, 2), dtype=np.int64)
                grown[:kept] = long_runs[:kept]
                long_runs = grown
            long_runs[kept, 0] = a
            long_runs[kept, 1] = b
            kept += 1
        else:
            for i in range(a + 1, b):
                item = order[i]
                j = i - 1
                while j >= a and _greater(order[j], item, key1, key2):
                    order[j + 1] = order[j]
                    j -= 1
                order[j + 1] = item
        a = b
    return long_runs[:kept].copy()
