"""The clear fine cells of the point-in-polygon grid (:mod:`coverage_gis._polygon_grid`,
``docs/architecture.md``): where the grid's test gives every point of a fine cell the same
answer, that answer, computed once when the grid is built (:func:`clear_cells`).

Each cell of the grid is cut into ``4**shift`` fine cells, more where more edges meet it;
the fine cells every edge comes near are marked, the others joined into connected regions,
and the test is run once per region. Kernels are compiled with numba
(:func:`coverage_gis.terrain._jit.jit`); :mod:`coverage_gis._polygon_grid` imports this
module when it builds a grid.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from coverage_gis._polygon_grid import _STRIP, UNSURE, _answer_type, _cell, _fine_cell
from coverage_gis.terrain._jit import jit

if TYPE_CHECKING:
    from coverage_gis._polygon_grid import PolygonGrid

#: At most this many fine cells (2 or 4 bytes each; 4 while :func:`clear_cells` builds them).
MAX_FINE_CELLS = 1 << 24

#: A cell of the grid meeting ``m`` edges is cut into at least ``m`` times this many fine
#: cells (a power of 4), at most ``4**_MAX_SHIFT``.
_FINE_PER_EDGE = 16
_MAX_SHIFT = 8

#: The margin kept from the edges (relative to the coordinates' scale), and the layers
#: with no clear cells: coordinates beyond ``_HUGE``, an edge rising less than ``_FLAT``.
_MARGIN = 2.0**-36
_HUGE = 2.0**500
_FLAT = 2.0**-500
#: And layers of more vertices than a strip cell can name (:data:`_STRIP_MARK`).
_MOST_VERTICES = 2**31 - 8


@jit
def _count_edges(
    xs: np.ndarray,
    ys: np.ndarray,
    ring_start: np.ndarray,
    grid: tuple[float, float, float, int, int],
    delta: float,
) -> np.ndarray:
    """How many edges' envelopes, widened by ``delta``, meet each cell of ``grid``."""
    x0, y0, side, nx, ny = grid
    count = np.zeros(nx * ny, dtype=np.int64)
    for r in range(ring_start.size - 1):
        for v in range(ring_start[r], ring_start[r + 1] - 1):
            i_lo = _cell(min(xs[v], xs[v + 1]) - delta, x0, side, nx)
            i_hi = _cell(max(xs[v], xs[v + 1]) + delta, x0, side, nx)
            for j in range(
                _cell(min(ys[v], ys[v + 1]) - delta, y0, side, ny),
                _cell(max(ys[v], ys[v + 1]) + delta, y0, side, ny) + 1,
            ):
                for i in range(i_lo, i_hi + 1):
                    count[j * nx + i] += 1
    return count


@jit
def _mark_edges(
    xs: np.ndarray,
    ys: np.ndarray,
    ring_start: np.ndarray,
    grid: tuple[float, float, float, int, int],
    delta: float,
    shift: np.ndarray,
    fine_start: np.ndarray,
    label: np.ndarray,
) -> None:
    """Mark (:data:`UNSURE`) every fine cell an edge may come within ``delta`` of: in each
    fine row the edge's ``y`` range meets (the row widened by ``delta``), the cells of the
    edge's slice in that row widened by ``delta``. Where the row reaches the height of the
    edge's top, the other cells of its ``x`` range (widened) are strips: :func:`_edge_side`
    is unsure at a point at that very height within that range, however far from the edge.
    A strip cell holds ``_STRIP_MARK - v`` (``v`` the top vertex), or :data:`UNSURE` where
    strips of two heights meet."""
    x0, y0, side, nx, ny = grid
    for r in range(ring_start.size - 1):
        for v in range(ring_start[r], ring_start[r + 1] - 1):
            ax, ay, bx, by = xs[v], ys[v], xs[v + 1], ys[v + 1]
            x_lo, x_hi, y_lo, y_hi = min(ax, bx), max(ax, bx), min(ay, by), max(ay, by)
            for j in range(_cell(y_lo - delta, y0, side, ny), _cell(y_hi + delta, y0, side, ny) + 1):
                for i in range(_cell(x_lo - delta, x0, side, nx), _cell(x_hi + delta, x0, side, nx) + 1):
                    c = j * nx + i
                    n = 1 << shift[c]
                    fine = side / n
                    ox, oy = x0 + i * side, y0 + j * side
                    for q in range(_cell(y_lo - delta, oy, fine, n), _cell(y_hi + delta, oy, fine, n) + 1):
                        # The heights of the row (unbounded where the grid's border clamps).
                        row_lo = -math.inf if j == 0 and q == 0 else oy + q * fine - delta
                        row_hi = math.inf if j == ny - 1 and q == n - 1 else oy + (q + 1) * fine + delta
                        lo, hi = max(row_lo, y_lo), min(row_hi, y_hi)
                        if lo > hi:
                            continue
                        s_lo, s_hi = x_lo, x_hi
                        if ay != by:
                            x_a = ax + (lo - ay) / (by - ay) * (bx - ax)
                            x_b = ax + (hi - ay) / (by - ay) * (bx - ax)
                            s_lo, s_hi = min(x_a, x_b), max(x_a, x_b)
                        row = fine_start[c] + q * n
                        f_lo, f_hi = _cell(s_lo - delta, ox, fine, n), _cell(s_hi + delta, ox, fine, n)
                        for f in range(f_lo, f_hi + 1):
                            label[row + f] = UNSURE
                        if hi != y_hi or ay == by:
                            continue
                        # The rest of the edge's x range at the height of its top.
                        top = v if ay > by else v + 1
                        for f in range(
                            _cell(x_lo - delta, ox, fine, n), _cell(x_hi + delta, ox, fine, n) + 1
                        ):
                            held = label[row + f]
                            if f_lo <= f <= f_hi:
                                continue
                            if held == _CLEAR:
                                label[row + f] = _STRIP_MARK - top
                            elif held <= _STRIP_MARK and ys[_STRIP_MARK - held] != ys[top]:
                                label[row + f] = UNSURE


#: In :func:`clear_cells`: a fine cell no edge has marked yet; a strip cell
#: of vertex ``v`` (:func:`_mark_edges`) is ``_STRIP_MARK - v``.
_CLEAR = -3
_STRIP_MARK = -4


@jit
def _take_strips(label: np.ndarray, ys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The strip cells (ascending) and their heights; they become clear cells in ``label``."""
    count = 0
    for f in range(label.size):
        count += label[f] <= _STRIP_MARK
    cells, heights = np.empty(count, dtype=np.int64), np.empty(count)
    k = 0
    for f in range(label.size):
        if label[f] <= _STRIP_MARK:
            cells[k], heights[k] = f, ys[_STRIP_MARK - label[f]]
            label[f] = _CLEAR
            k += 1
    return cells, heights


@jit
def _keep_strips(
    fine_start: np.ndarray, cells: np.ndarray, heights: np.ndarray, label: np.ndarray, most: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The strip cells ``cells`` with a sure answer in ``label`` keep it in a table (per
    cell of the grid, where its strips start; per strip its height and answer), and hold
    ``_STRIP - s`` for their strip ``s`` of their cell of the grid (:data:`UNSURE` past
    ``most`` strips in one cell of the grid)."""
    strip_start = np.zeros(fine_start.size, dtype=np.int64)
    strip_y, strip_answer = np.empty(cells.size), np.empty(cells.size, dtype=np.int64)
    k = kept = 0
    for c in range(fine_start.size - 1):
        strip_start[c] = kept
        while k < cells.size and cells[k] < fine_start[c + 1]:
            f, height = cells[k], heights[k]
            k += 1
            if label[f] == UNSURE:
                continue
            if kept - strip_start[c] >= most:
                label[f] = UNSURE
                continue
            strip_y[kept], strip_answer[kept] = height, label[f]
            label[f] = _STRIP - (kept - strip_start[c])
            kept += 1
    strip_start[-1] = kept
    return strip_start, strip_y[:kept], strip_answer[:kept]


@jit
def _root(parent: np.ndarray, r: int) -> int:
    """The first run of run ``r``'s region (halving the path on the way)."""
    while parent[r] != r:
        parent[r] = parent[parent[r]]
        r = parent[r]
    return r


@jit
def _label_clear(
    grid: tuple[float, float, float, int, int], shift: np.ndarray, fine_start: np.ndarray, label: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Number the connected regions of clear fine cells (:data:`_CLEAR` in ``label``), each
    cell's neighbours across its sides within its cell of ``grid``; returns a point of
    each region: the centre of its first fine cell, ``x`` NaN where that centre does not
    fall back in that fine cell.

    Row by row, runs of clear cells; a run joins the runs of the row below that it
    overlaps (union-find), then each run's cells take its region's number."""
    x0, y0, side, nx, ny = grid
    seed_x, seed_y = np.empty(1024), np.empty(1024)
    count = 0
    most = (1 << (2 * shift.max())) // 2 + 1
    run_first, run_end = np.empty(most, dtype=np.int64), np.empty(most, dtype=np.int64)
    parent, number = np.empty(most, dtype=np.int64), np.empty(most, dtype=np.int64)
    for c in range(nx * ny):
        i, j, s = c % nx, c // nx, shift[c]
        n = 1 << s
        fine = side / n
        base = fine_start[c]
        runs, below_lo, below_hi = 0, 0, 0
        for q in range(n):
            row_lo = runs
            f = q * n
            while f < (q + 1) * n:
                if label[base + f] != _CLEAR:
                    f += 1
                    continue
                run_first[runs], parent[runs] = f, runs
                while f < (q + 1) * n and label[base + f] == _CLEAR:
                    f += 1
                run_end[runs] = f
                # Join the runs below it that it overlaps (columns first - n to end - n).
                for r in range(below_lo, below_hi):
                    if run_first[r] + n < run_end[runs] and run_first[runs] < run_end[r] + n:
                        a, b = _root(parent, r), _root(parent, runs)
                        parent[max(a, b)] = min(a, b)
                runs += 1
            below_lo, below_hi = row_lo, runs
        for r in range(runs):
            root = _root(parent, r)
            if root == r:
                if count == seed_x.size:
                    seed_x, seed_y = np.concatenate((seed_x, seed_x)), np.concatenate((seed_y, seed_y))
                f = run_first[r]
                x, y = x0 + i * side + (f % n + 0.5) * fine, y0 + j * side + (f // n + 0.5) * fine
                held = _cell(x, x0, side, nx) == i and _cell(y, y0, side, ny) == j
                seed_x[count] = x if held and _fine_cell(x, y, i, j, x0, y0, side, s) == f else math.nan
                seed_y[count] = y
                number[r] = count
                count += 1
            label[base + run_first[r] : base + run_end[r]] = number[root]
    return seed_x[:count], seed_y[:count]


@jit
def _settle(label: np.ndarray, answer: np.ndarray) -> None:
    """Each labelled fine cell takes its region's answer (marked cells stay :data:`UNSURE`)."""
    for f in range(label.size):
        if label[f] >= 0:
            label[f] = answer[label[f]]


def clear_cells(
    grid: PolygonGrid, ring_start: np.ndarray, same_ring: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The clear fine cells and their answers: per cell of the grid its ``shift`` (cut into
    ``4**shift`` fine cells, :func:`_fine_cell`) and where its fine cells start; per fine
    cell the answer the grid's test (:func:`~coverage_gis._polygon_grid._locate`) gives
    every point in it (:data:`UNSURE`: test the point; ``<= _STRIP``: a strip's); per cell
    of the grid where its strips start, per strip its height and the answer of every point
    of its cell off that height.

    A fine cell is clear where no edge comes within ``delta`` of it (:func:`_mark_edges`),
    ``delta`` being far above the rounding of the coordinates, of the cells' mapping and
    of the edges' slices. For a point ``P`` in a clear cell, within the envelope of a
    polygon (the only points whose edges the test reads), each edge's crossing is then
    exactly the half-open crossing of the ray: off the edge's ``y`` range it is 0; within
    it ``P`` is more than ``delta / 2`` across from the edge, so the orientation's
    determinant exceeds its error bound (``|det| = |rise| * distance``, the bound about
    ``1e-15 * scale * |rise|``; the guards ``_HUGE`` and ``_FLAT`` keep every product
    normal); at the height of the edge's top ``P`` is outside its ``x`` range, unless the
    cell is a strip cell of that height. So, off the strips' heights, the test is never
    unsure of an edge there, and each ring's parity is exactly whether ``P`` lies in it.

    That parity is the same for every point of the cell, and of the cells joined to it
    across their sides within one cell of the grid (:func:`_label_clear`): they are
    connected, and no ring comes near them. The answer is a function of these parities:
    a polygon all of whose rings have parity 0 is outside and changes nothing (so
    envelopes holding some of the points and not others do not matter: a polygon with a
    ring of parity 1 holds every point of the region in its envelope), one polygon inside
    is the answer, two inside or one unsure (two shells, two holes, a hole outside its
    shell) make it unsure, in whatever order the candidates come. So the answer of one
    point of a region (the centre of its first cell, checked to map back to that cell)
    is every point's, but for points at the height of a strip: these are tested. Unsure
    answers are not kept (those points are tested, and stay unsure). Coordinates beyond
    ``_HUGE`` or an edge rising less than ``_FLAT``: no clear cells.

    The answers are computed here, once: the grid's search only reads them, so it may run
    in several threads at once.
    """
    x0, y0, side, nx, ny = grid.cells[:5]
    lattice = (x0, y0, side, nx, ny)
    scale = max(float(np.abs(grid.xs).max(initial=0.0)), float(np.abs(grid.ys).max(initial=0.0)))
    rise = np.abs(np.diff(grid.ys))[same_ring]
    if scale > _HUGE or np.any((rise > 0.0) & (rise < _FLAT)) or len(grid.xs) > _MOST_VERTICES:
        return grid.clear
    delta = _MARGIN * (scale + side)
    count = _count_edges(grid.xs, grid.ys, ring_start, lattice, delta)
    shift = np.zeros(nx * ny, dtype=np.int64)
    want = count * _FINE_PER_EDGE
    while True:
        # The least shift with 4**shift >= want, at most _MAX_SHIFT; coarser while too many.
        held = count > 0
        shift[held] = np.minimum(np.ceil(np.log2(np.maximum(want[held], 1)) / 2), _MAX_SHIFT)
        fine_start = np.zeros(nx * ny + 1, dtype=np.int64)
        np.cumsum(1 << (2 * shift), out=fine_start[1:])
        if fine_start[-1] <= MAX_FINE_CELLS or not want.any():
            break
        want //= 4
    label = np.full(fine_start[-1], _CLEAR, dtype=np.int32)
    _mark_edges(grid.xs, grid.ys, ring_start, lattice, delta, shift, fine_start, label)
    strips, heights = _take_strips(label, grid.ys)
    seed_x, seed_y = _label_clear(lattice, shift, fine_start, label)
    _settle(label, grid.locate_xy(seed_x, seed_y))
    # Rows in 2 bytes where they fit (half the memory the lookups read).
    kind = _answer_type(len(grid.bounds))
    strip_start, strip_y, strip_answer = _keep_strips(
        fine_start, strips, heights, label, _STRIP - int(np.iinfo(kind).min) + 1
    )
    return shift, fine_start, label.astype(kind), strip_start, strip_y, strip_answer
