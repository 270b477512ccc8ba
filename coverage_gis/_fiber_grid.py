"""The compiled segment grid behind :class:`coverage_gis.fiber.FiberIndex` (``docs/architecture.md``).

Owns a uniform grid of line segments and points in a metric CRS and the two searches the
FTTH rule asks of it: every item within a reach of a point (the OR of their operator
bits and the nearest one's distance), and the nearest item at any distance. An item is a
segment between two consecutive vertices of a line, or a point (a segment whose ends
coincide). Distances are measured as GEOS measures them (``Distance::pointToSegment``,
and ``sqrt(dx² + dy²)`` between points), so they equal ``shapely.distance`` of the
geometries the items came from.

A segment is filed under every cell it passes through (widened by :data:`_PAD_M`), so the
cell that holds a segment's point nearest to any query point always lists it: a search of
the cells around a point misses nothing within reach, and a cell farther than the best
distance found cannot hold a nearer item. The nearest search walks a pyramid of occupied
cells best first, so a point far from every item costs a few heap steps, not a scan.

Kernels are compiled with numba (:func:`coverage_gis.terrain._jit.jit`: cached on disk, GIL
released). The module loads numba: :mod:`coverage_gis.fiber` imports it when it first
builds an index, so importing the library stays free of it.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from coverage_gis.terrain._jit import jit

#: Widening of each segment's cells, and of each search, beyond the exact geometry (m):
#: far above the rounding of coordinates of a few thousand kilometres (nanometres), far
#: below a cell, so the grid answers exactly as a search of every item would.
_PAD_M = 1e-3

#: Default cell side (m): about twice the usual FTTH reach, so a reach search reads 2 x 2 cells.
CELL_M = 1000.0

#: At most this many cells (the cell side grows for a wide, sparse layer).
MAX_CELLS = 1 << 22


@jit
def _point_distance(px: float, py: float, ax: float, ay: float) -> float:
    """GEOS's distance between two points (``CoordinateXY::distance``)."""
    dx = px - ax
    dy = py - ay
    return math.sqrt(dx * dx + dy * dy)


@jit
def segment_distance(px: float, py: float, ax: float, ay: float, bx: float, by: float) -> float:
    """Distance from ``p`` to the segment ``AB``, operation for operation as GEOS's
    ``Distance::pointToSegment`` (a point when ``A == B``)."""
    if ax == bx and ay == by:
        return _point_distance(px, py, ax, ay)
    len2 = (bx - ax) * (bx - ax) + (by - ay) * (by - ay)
    r = ((px - ax) * (bx - ax) + (py - ay) * (by - ay)) / len2
    if r <= 0.0:
        return _point_distance(px, py, ax, ay)
    if r >= 1.0:
        return _point_distance(px, py, bx, by)
    s = ((ay - py) * (bx - ax) - (ax - px) * (by - ay)) / len2
    return abs(s) * math.sqrt(len2)


@jit
def _file_segments(
    x: np.ndarray,
    y: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    bits: np.ndarray,
    x0: float,
    y0: float,
    cell: float,
    nx: int,
    ny: int,
    start: np.ndarray,
    home: np.ndarray,
    item_seg: np.ndarray,
    item_bits: np.ndarray,
    fill: bool,
) -> None:
    """Visit every (segment, cell it passes through) pair: count it in ``start[cell]``
    (``fill`` False), or copy the segment ``(x[a], y[a], x[b], y[b])`` and its bits to the
    row before the cell's cursor ``start[cell]`` (the end of its rows, at first) in
    ``item_seg`` and ``item_bits`` and move the cursor there (``fill`` True, the segments
    taken last to first, so each cell lists its items in segment order and its cursor ends
    at its first row): a cell's items lie side by side, read in one sweep. The count notes
    in ``home`` the one cell of a segment that lies in one (most do; -1: several), which
    the fill takes as it is."""
    count = a.shape[0]
    for t in range(count):
        s = count - 1 - t if fill else t
        ax, ay, bx, by = x[a[s]], y[a[s]], x[b[s]], y[b[s]]
        if fill and home[s] >= 0:
            _file_item(ax, ay, bx, by, bits[s], home[s], start, item_seg, item_bits)
            continue
        xa = min(ax, bx) - _PAD_M
        xb = max(ax, bx) + _PAD_M
        i0 = min(max(math.floor((xa - x0) / cell), 0), nx - 1)
        i1 = min(max(math.floor((xb - x0) / cell), 0), nx - 1)
        if not fill:
            home[s] = -1
        for i in range(i0, i1 + 1):
            # The segment's y range over this column's part of its x range.
            if i0 == i1 or ax == bx:
                ylo, yhi = min(ay, by), max(ay, by)
            else:
                t0 = min(max((max(xa, x0 + i * cell) - ax) / (bx - ax), 0.0), 1.0)
                t1 = min(max((min(xb, x0 + (i + 1) * cell) - ax) / (bx - ax), 0.0), 1.0)
                ya = ay + t0 * (by - ay)
                yb = ay + t1 * (by - ay)
                ylo, yhi = min(ya, yb), max(ya, yb)
            j0 = min(max(math.floor((ylo - _PAD_M - y0) / cell), 0), ny - 1)
            j1 = min(max(math.floor((yhi + _PAD_M - y0) / cell), 0), ny - 1)
            for j in range(j0, j1 + 1):
                c = j * nx + i
                if fill:
                    _file_item(ax, ay, bx, by, bits[s], c, start, item_seg, item_bits)
                else:
                    start[c] += 1
                    if i0 == i1 and j0 == j1:
                        home[s] = c


@jit
def _file_item(
    ax: float,
    ay: float,
    bx: float,
    by: float,
    bits: int,
    c: int,
    start: np.ndarray,
    item_seg: np.ndarray,
    item_bits: np.ndarray,
) -> None:
    """Copy a segment and its bits to the row before cell ``c``'s cursor ``start[c]``, and
    move the cursor there."""
    k = start[c] - 1
    item_seg[k, 0] = ax
    item_seg[k, 1] = ay
    item_seg[k, 2] = bx
    item_seg[k, 3] = by
    item_bits[k] = bits
    start[c] = k


@jit
def _cell_bits(start: np.ndarray, item_bits: np.ndarray) -> np.ndarray:
    """The OR of the bits of each cell's items (0: an empty cell)."""
    cells = start.shape[0] - 1
    # (Every cell is written: not np.zeros, which numba fills first.)
    out = np.empty(cells, dtype=np.int64)
    for c in range(cells):
        found = 0
        for k in range(start[c], start[c + 1]):
            found |= item_bits[k]
        out[c] = found
    return out


@jit
def _gap(x: float, y: float, x0: float, y0: float, side: float, i: int, j: int) -> float:
    """Distance from ``(x, y)`` to the square of ``side`` at column ``i``, row ``j`` from ``(x0, y0)``."""
    gx = max(x0 + i * side - x, x - (x0 + (i + 1) * side), 0.0)
    gy = max(y0 + j * side - y, y - (y0 + (j + 1) * side), 0.0)
    return math.sqrt(gx * gx + gy * gy)


@jit
def _within_cell(
    x: float,
    y: float,
    reach: float,
    c: int,
    start: np.ndarray,
    item_seg: np.ndarray,
    item_bits: np.ndarray,
    best: float,
    found: int,
) -> tuple[float, int]:
    """``(best, found)`` updated with the items of cell ``c`` within ``reach`` of ``(x, y)``."""
    for k in range(start[c], start[c + 1]):
        known = (item_bits[k] | found) == found
        if best == 0.0 and known:
            continue
        # An item whose operators are all found counts only if nearer than the best so far.
        box = (min(best, reach) if known else reach) + _PAD_M
        ax, ay, bx, by = item_seg[k, 0], item_seg[k, 1], item_seg[k, 2], item_seg[k, 3]
        # Beyond that by its box (with a margin): not measured.
        if x < min(ax, bx) - box or x > max(ax, bx) + box or y < min(ay, by) - box or y > max(ay, by) + box:
            continue
        d = segment_distance(x, y, ax, ay, bx, by)
        if d <= reach:
            found |= item_bits[k]
            best = min(best, d)
    return best, found


@jit
def _clipped(v: float, lo: float, cell: float, count: int) -> int:
    """The column (row) of cells ``v`` lies in, clipped to the ``count`` of the grid; -1: not finite."""
    # (Clipped as a float first: a point far outside would not fit an integer.)
    f = (v - lo) / cell
    return math.floor(min(max(f, 0.0), count - 1.0)) if math.isfinite(f) else -1


@jit
def _counting_sort(order: np.ndarray, key: np.ndarray, keys: int) -> np.ndarray:
    """``order`` stably sorted by ``key`` (of ``order``'s items; from -1 to ``keys - 1``)."""
    start = np.zeros(keys + 2, dtype=np.int64)
    for p in order:
        start[key[p] + 2] += 1
    for r in range(keys + 1):
        start[r + 1] += start[r]
    out = np.empty_like(order)
    for p in order:
        out[start[key[p] + 1]] = p
        start[key[p] + 1] += 1
    return out


@jit
def _by_cell(
    px: np.ndarray, py: np.ndarray, x0: float, y0: float, cell: float, nx: int, ny: int
) -> np.ndarray:
    """The points ordered by the cell they lie in (clipped to the grid; first the points
    without finite coordinates), in their own order within a cell: sorted by column, then
    by row (a counting sort each)."""
    column = np.empty(px.shape[0], dtype=np.int64)
    row = np.empty(px.shape[0], dtype=np.int64)
    for p in range(px.shape[0]):
        column[p] = _clipped(px[p], x0, cell, nx)
        row[p] = _clipped(py[p], y0, cell, ny)
    return _counting_sort(_counting_sort(np.arange(px.shape[0]), column, nx), row, ny)


@jit
def _within(
    px: np.ndarray,
    py: np.ndarray,
    reach: float,
    x0: float,
    y0: float,
    cell: float,
    nx: int,
    ny: int,
    start: np.ndarray,
    item_seg: np.ndarray,
    item_bits: np.ndarray,
    cell_bits: np.ndarray,
    dist: np.ndarray,
    bits: np.ndarray,
) -> None:
    """Per point: the nearest distance among the items within ``reach`` (inclusive; inf:
    none, NaN: the point has no coordinates) and the OR of their bits (``cell_bits``: the OR
    of each cell's items' bits). The points are taken cell by cell, so the items read for
    one lie at or just after those read for the last (the cells' items lie in cell order)."""
    box = reach + _PAD_M
    for p in _by_cell(px, py, x0, y0, cell, nx, ny):
        x, y = px[p], py[p]
        if not (math.isfinite(x) and math.isfinite(y)):
            dist[p] = math.nan
            bits[p] = 0
            continue
        best = math.inf
        found = 0
        # Cell rows and columns of the box around the point, clipped to the grid as floats
        # first (a point far outside would not fit an integer).
        fi0, fi1 = (x - box - x0) / cell, (x + box - x0) / cell
        fj0, fj1 = (y - box - y0) / cell, (y + box - y0) / cell
        if fi1 >= 0.0 and fj1 >= 0.0 and fi0 < nx and fj0 < ny:
            # The point's own cell first: the nearest item is most likely there, and once
            # the best distance is 0, an item whose operators are all found adds nothing.
            home = -1
            if 0.0 <= (x - x0) / cell < nx and 0.0 <= (y - y0) / cell < ny:
                home = math.floor((y - y0) / cell) * nx + math.floor((x - x0) / cell)
                best, found = _within_cell(x, y, reach, home, start, item_seg, item_bits, best, found)
            for j in range(math.floor(max(fj0, 0.0)), math.floor(min(fj1, ny - 1.0)) + 1):
                for i in range(math.floor(max(fi0, 0.0)), math.floor(min(fi1, nx - 1.0)) + 1):
                    c = j * nx + i
                    gap = _gap(x, y, x0, y0, cell, i, j)
                    # (A corner cell of the box may lie wholly beyond reach; a cell whose
                    # operators are all found, wholly beyond the best distance so far: an item
                    # nearer than that is nearest in another cell, which lists it too.)
                    if c == home or gap > box or ((cell_bits[c] | found) == found and gap - _PAD_M > best):
                        continue
                    best, found = _within_cell(x, y, reach, c, start, item_seg, item_bits, best, found)
        dist[p] = best
        bits[p] = found


@jit
def _nearest(
    px: np.ndarray,
    py: np.ndarray,
    x0: float,
    y0: float,
    cell: float,
    nx: int,
    start: np.ndarray,
    item_seg: np.ndarray,
    occupied: np.ndarray,
    level_start: np.ndarray,
    level_nx: np.ndarray,
    level_ny: np.ndarray,
    dist: np.ndarray,
) -> None:
    """Per point: the distance to the nearest item (NaN: none), searching the pyramid of
    occupied cells best first (a block is opened only while it could hold a nearer item)."""
    top = level_start.shape[0] - 1
    for p in range(px.shape[0]):
        x, y = px[p], py[p]
        best = math.inf
        seen = False
        heap = [(0.0, top, 0, 0)]
        if not (occupied[level_start[top]] and math.isfinite(x) and math.isfinite(y)):
            heap.pop()
        while heap:
            bound, level, j, i = heapq.heappop(heap)
            if bound - _PAD_M > best:
                break
            if level == 0:
                c = j * nx + i
                for k in range(start[c], start[c + 1]):
                    d = segment_distance(x, y, item_seg[k, 0], item_seg[k, 1], item_seg[k, 2], item_seg[k, 3])
                    best = min(best, d)
                    seen = True
                continue
            below = level - 1
            side = cell * 2.0**below
            for cj in range(2 * j, min(2 * j + 2, level_ny[below])):
                for ci in range(2 * i, min(2 * i + 2, level_nx[below])):
                    if not occupied[level_start[below] + cj * level_nx[below] + ci]:
                        continue
                    gap = _gap(x, y, x0, y0, side, ci, cj)
                    if gap - _PAD_M <= best:
                        heapq.heappush(heap, (gap, below, cj, ci))
        dist[p] = best if seen else math.nan


@dataclass(frozen=True)
class SegmentGrid:
    """Segments filed by grid cell: the items of cell ``c = j * nx + i`` (column ``i``, row
    ``j``, from ``(x0, y0)``) are rows ``start[c]:start[c + 1]`` of ``item_seg`` (``ax, ay,
    bx, by``) and ``item_bits``; a segment through several cells is an item of each."""

    x0: float
    y0: float
    cell_m: float
    nx: int
    ny: int
    start: np.ndarray
    item_seg: np.ndarray
    item_bits: np.ndarray

    @classmethod
    def build(
        cls,
        x_m: np.ndarray,
        y_m: np.ndarray,
        a: np.ndarray,
        b: np.ndarray,
        bits: np.ndarray,
        cell_m: float | None = None,
    ) -> SegmentGrid:
        """File the segments from vertex ``a`` to vertex ``b`` (``x_m, y_m``: finite, each
        used by some segment) with their ``bits``, in cells of ``cell_m`` (doubled until the
        extent takes at most :data:`MAX_CELLS`)."""
        x, y = _coordinates(x_m, y_m)
        a, b = np.asarray(a, dtype=np.int64), np.asarray(b, dtype=np.int64)
        bits = np.asarray(bits, dtype=np.int64)
        x0, y0 = (float(x.min()), float(y.min())) if len(x) else (0.0, 0.0)
        width, height = (float(x.max()) - x0, float(y.max()) - y0) if len(x) else (0.0, 0.0)
        cell = CELL_M if cell_m is None else cell_m
        while (width // cell + 1) * (height // cell + 1) > MAX_CELLS:
            cell *= 2.0
        nx, ny = int(width // cell) + 1, int(height // cell) + 1
        start = np.zeros(nx * ny + 1, dtype=np.int64)
        item_seg = np.empty((0, 4))
        item_bits = np.empty(0, dtype=np.int64)
        # (A cell is one of at most MAX_CELLS.)
        home = np.empty(len(a), dtype=np.int32)
        # Counted in start[c], summed to the end of cell c's rows, and after the fill the
        # cursor of each cell stands at its first row: start[c]:start[c + 1] are its rows.
        _file_segments(x, y, a, b, bits, x0, y0, cell, nx, ny, start, home, item_seg, item_bits, False)
        np.cumsum(start, out=start)
        item_seg = np.empty((int(start[-1]), 4))
        item_bits = np.empty(int(start[-1]), dtype=np.int64)
        _file_segments(x, y, a, b, bits, x0, y0, cell, nx, ny, start, home, item_seg, item_bits, True)
        return cls(x0, y0, cell, nx, ny, start, item_seg, item_bits)

    def within(self, x_m: np.ndarray, y_m: np.ndarray, reach_m: float) -> tuple[np.ndarray, np.ndarray]:
        """Per point: the nearest distance among the items within ``reach_m`` (inf: none; NaN:
        a point without coordinates) and the OR of those items' bits."""
        x, y = _coordinates(x_m, y_m)
        dist = np.empty(len(x))
        bits = np.empty(len(x), dtype=np.int64)
        _within(
            x,
            y,
            float(reach_m),
            self.x0,
            self.y0,
            self.cell_m,
            self.nx,
            self.ny,
            self.start,
            self.item_seg,
            self.item_bits,
            self._cell_bits,
            dist,
            bits,
        )
        return dist, bits

    def nearest(self, x_m: np.ndarray, y_m: np.ndarray) -> np.ndarray:
        """Per point (finite coordinates): the distance to the nearest item (NaN: none)."""
        x, y = _coordinates(x_m, y_m)
        dist = np.empty(len(x))
        occupied, level_start, level_nx, level_ny = self._pyramid
        _nearest(
            x,
            y,
            self.x0,
            self.y0,
            self.cell_m,
            self.nx,
            self.start,
            self.item_seg,
            occupied,
            level_start,
            level_nx,
            level_ny,
            dist,
        )
        return dist

    @cached_property
    def _cell_bits(self) -> np.ndarray:
        """The OR of each cell's items' bits (built on the first search within a reach)."""
        return _cell_bits(self.start, self.item_bits)

    @cached_property
    def _pyramid(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Occupied cells at every level (level ``l`` merges ``2^l x 2^l`` cells, up to one
        cell), flat, with each level's offset and size."""
        # (Compared in place: ``np.diff`` would first write every cell's count, eight bytes a cell.)
        level = (self.start[1:] > self.start[:-1]).reshape(self.ny, self.nx)
        levels = [level]
        while level.shape != (1, 1):
            ny, nx = level.shape
            padded = np.zeros((ny + ny % 2, nx + nx % 2), dtype=bool)
            padded[:ny, :nx] = level
            level = padded[0::2, 0::2] | padded[1::2, 0::2] | padded[0::2, 1::2] | padded[1::2, 1::2]
            levels.append(level)
        sizes = np.array([lv.size for lv in levels], dtype=np.int64)
        return (
            np.concatenate([lv.ravel() for lv in levels]),
            np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64),
            np.array([lv.shape[1] for lv in levels], dtype=np.int64),
            np.array([lv.shape[0] for lv in levels], dtype=np.int64),
        )


def _coordinates(x_m: np.ndarray, y_m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The points' coordinates as contiguous float64 arrays (what the kernels take)."""
    return (
        np.ascontiguousarray(x_m, dtype=np.float64).reshape(-1),
        np.ascontiguousarray(y_m, dtype=np.float64).reshape(-1),
    )
