"""The compiled point-in-polygon search behind :func:`coverage_gis.admin.commune_positions`
(``docs/architecture.md``).

Owns a uniform grid of polygon envelopes and the rings of the polygons, and one search:
for each point, the single polygon whose interior holds it, or none, wherever that
answer is certain; every other point is *unsure* and left to GEOS.

A polygon is a candidate where its envelope (as GEOS computes it, ``shapely.bounds``)
holds the point, as in ``STRtree.query``. A point is tested against each ring of a
candidate by counting the crossings of a ray towards +x, reading only the edges of the
point's horizontal band of the polygon (:func:`_fill_bands`); the side of the point from
each edge is Shewchuk's orientation with its error bound (``ccwerrboundA``), so a sign
the bound cannot vouch for, or a point at the height of an end of an edge whose ``x``
range holds it (on a vertex, on a horizontal edge), makes the answer unsure instead of
a guess. A sure point therefore lies on no ring, and its ring parities are exact. They decide only
where every reading GEOS could give agrees (its polygons are located shell first, then
holes; its multipolygons part by part): a point in no shell is outside; in one shell
and none of its holes, inside; in one shell and one of its holes, outside; anything
else (in two shells, in two holes, in a hole outside its shell: an island in a lake,
or an invalid polygon) is unsure. A point in the interior of two candidates is unsure
too: which one GEOS's search lists first decides it.

Most points never reach that test: each cell of the grid is cut into fine cells (finer
where more edges meet it), and a *clear* fine cell, one no edge comes near, holds the
answer the test gives every point in it, computed once when the grid is built
(:meth:`PolygonGrid._clear_cells` says why it is the same for all of them).

Points that are not plain points with finite coordinates (missing, empty, not points)
are unsure. Kernels are compiled with numba (:func:`coverage_gis.terrain._jit.jit`:
cached on disk, GIL released). The module loads numba: :mod:`coverage_gis.admin` imports
it when it first places points in communes, so importing the library stays free of it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import shapely

from coverage_gis.terrain._jit import jit

#: Shewchuk's ``ccwerrboundA``, ``(3 + 16 eps) eps`` with ``eps = 2**-53``: an orientation
#: determinant larger than this times the sum of its two products' magnitudes has the
#: sign of the exact one.
_CCW_ERRBOUND = (3.0 + 16.0 * 2.0**-53) * 2.0**-53

#: At most this many cells (the cell side grows for a wide, sparse layer).
MAX_CELLS = 1 << 20

#: At most this many fine cells (:func:`_clear_cells`; 2 or 4 bytes each).
MAX_FINE_CELLS = 1 << 25

#: A cell of the grid meeting ``m`` edges is cut into at least ``m`` times this many fine
#: cells (a power of 4), at most ``4**_MAX_SHIFT``.
_FINE_PER_EDGE = 32
_MAX_SHIFT = 8

#: The margin kept from the edges (relative to the coordinates' scale), and the layers
#: with no clear cells: coordinates beyond ``_HUGE``, an edge rising less than ``_FLAT``.
_MARGIN = 2.0**-36
_HUGE = 2.0**500
_FLAT = 2.0**-500
#: And layers of more vertices than a strip cell can name (:data:`_STRIP_MARK`).
_MOST_VERTICES = 2**31 - 8

#: Answers of :func:`_locate`: the polygon's row, or these.
NONE = -1
UNSURE = -2

#: What a ring test answers.
_OUT, _IN, _ON = 0, 1, 2


@jit
def _edge_side(ax: float, ay: float, bx: float, by: float, px: float, py: float) -> int:
    """Whether the ray from ``(px, py)`` towards +x crosses the edge ``a → b`` (1) or not (0),
    with the half-open rule on ``y``; -1 where the point may lie on the edge (unsure)."""
    if (ay > py) != (by > py):
        left = (ax - px) * (by - py)
        right = (ay - py) * (bx - px)
        det = left - right
        if abs(det) <= _CCW_ERRBOUND * (abs(left) + abs(right)):
            return -1
        return 1 if (det > 0.0) == (by > ay) else 0
    if ((py == ay) | (py == by)) and min(ax, bx) <= px <= max(ax, bx):
        return -1
    return 0


@jit
def _list_edges(
    ys: np.ndarray,
    ring_start: np.ndarray,
    part_start: np.ndarray,
    polygon_start: np.ndarray,
    bounds: np.ndarray,
    band_first: np.ndarray,
    band_count: np.ndarray,
    band_height: np.ndarray,
    cursor: np.ndarray,
    entry_vertex: np.ndarray,
    entry_ring: np.ndarray,
    fill: bool,
) -> None:
    """Count each band's edges (``cursor[b + 1] += 1``), or with ``fill`` list them at
    ``cursor[b]`` (advanced) in ``entry_vertex`` and ``entry_ring``."""
    for p in range(polygon_start.size - 1):
        ring_lo, ring_hi = part_start[polygon_start[p]], part_start[polygon_start[p + 1]]
        y0, height, count = bounds[p, 1], band_height[p], band_count[p]
        for r in range(ring_lo, ring_hi):
            for j in range(ring_start[r], ring_start[r + 1] - 1):
                lo = _cell(min(ys[j], ys[j + 1]), y0, height, count)
                hi = _cell(max(ys[j], ys[j + 1]), y0, height, count)
                for b in range(band_first[p] + lo, band_first[p] + hi + 1):
                    if fill:
                        entry_vertex[cursor[b]] = j
                        entry_ring[cursor[b]] = r - ring_lo
                        cursor[b] += 1
                    else:
                        cursor[b + 1] += 1


@jit
def _fill_bands(
    bounds: np.ndarray,
    ys: np.ndarray,
    ring_start: np.ndarray,
    part_start: np.ndarray,
    polygon_start: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Each polygon's edges by horizontal band: the polygon's envelope cut into about one
    band per two edges, an edge listed under every band its ``y`` range meets (so every
    edge the ray from a point may cross, or the point may lie on, is under the point's band).

    Returns per polygon its first band and band count and height, and per band its
    entries (CSR ``band_start``): each an edge's first vertex and its ring (counted from the
    polygon's first ring).
    """
    n = polygon_start.size - 1
    band_first = np.zeros(n + 1, dtype=np.int64)
    band_count = np.ones(n, dtype=np.int64)
    band_height = np.ones(n, dtype=np.float64)
    for p in range(n):
        ring_lo, ring_hi = part_start[polygon_start[p]], part_start[polygon_start[p + 1]]
        edges = ring_start[ring_hi] - ring_start[ring_lo] - (ring_hi - ring_lo)
        height = bounds[p, 3] - bounds[p, 1]
        if edges > 0 and height > 0.0:
            band_count[p] = max(edges // 2, 1)
            band_height[p] = height / band_count[p]
        band_first[p + 1] = band_first[p] + band_count[p]
    band_start = np.zeros(band_first[n] + 1, dtype=np.int64)
    none = np.empty(0, dtype=np.int64)
    _list_edges(
        ys,
        ring_start,
        part_start,
        polygon_start,
        bounds,
        band_first,
        band_count,
        band_height,
        band_start,
        none,
        none,
        False,
    )
    for b in range(band_first[n]):
        band_start[b + 1] += band_start[b]
    entry_vertex = np.empty(band_start[-1], dtype=np.int64)
    entry_ring = np.empty(band_start[-1], dtype=np.int64)
    _list_edges(
        ys,
        ring_start,
        part_start,
        polygon_start,
        bounds,
        band_first,
        band_count,
        band_height,
        band_start[:-1].copy(),
        entry_vertex,
        entry_ring,
        True,
    )
    return band_first, band_count, band_height, band_start, entry_vertex, entry_ring


@jit
def _envelope_cells(
    bounds: np.ndarray, k: int, x0: float, y0: float, side: float, nx: int, ny: int
) -> tuple[int, int, int, int]:
    """The cells ``i_lo, i_hi, j_lo, j_hi`` polygon ``k``'s envelope meets (none: ``i_lo > i_hi``)
    for an envelope that is not finite."""
    x_lo, y_lo, x_hi, y_hi = bounds[k, 0], bounds[k, 1], bounds[k, 2], bounds[k, 3]
    if not (math.isfinite(x_lo) and math.isfinite(y_lo) and math.isfinite(x_hi) and math.isfinite(y_hi)):
        return 1, 0, 1, 0
    return (
        _cell(x_lo, x0, side, nx),
        _cell(x_hi, x0, side, nx),
        _cell(y_lo, y0, side, ny),
        _cell(y_hi, y0, side, ny),
    )


@jit
def _fill_cells(
    bounds: np.ndarray, x0: float, y0: float, side: float, nx: int, ny: int
) -> tuple[np.ndarray, np.ndarray]:
    """Each cell's polygons (CSR: ``start``, ``items``; ascending rows), a polygon under every
    cell its envelope meets."""
    n = bounds.shape[0]
    start = np.zeros(nx * ny + 1, dtype=np.int64)
    for k in range(n):
        i_lo, i_hi, j_lo, j_hi = _envelope_cells(bounds, k, x0, y0, side, nx, ny)
        for j in range(j_lo, j_hi + 1):
            for i in range(i_lo, i_hi + 1):
                start[j * nx + i + 1] += 1
    for c in range(nx * ny):
        start[c + 1] += start[c]
    items = np.empty(start[-1], dtype=np.int64)
    cursor = start[:-1].copy()
    for k in range(n):
        i_lo, i_hi, j_lo, j_hi = _envelope_cells(bounds, k, x0, y0, side, nx, ny)
        for j in range(j_lo, j_hi + 1):
            for i in range(i_lo, i_hi + 1):
                items[cursor[j * nx + i]] = k
                cursor[j * nx + i] += 1
    return start, items


@jit
def _cell(v: float, origin: float, side: float, count: int) -> int:
    """The cell (along one axis) holding ``v``: ``floor((v - origin) / side)`` clamped to
    ``[0, count - 1]`` (monotonic in ``v``, so a value within an envelope falls in the
    envelope's cells); ``count`` for a value that is not finite."""
    f = math.floor((v - origin) / side)
    if not f >= 0.0:
        return 0 if f < 0.0 else count
    return count - 1 if f >= count - 1 else int(f)


@jit
def _locate(
    px: np.ndarray,
    py: np.ndarray,
    bounds: np.ndarray,
    cells: tuple[float, float, float, int, int, np.ndarray, np.ndarray],
    xs: np.ndarray,
    ys: np.ndarray,
    part_start: np.ndarray,
    polygon_start: np.ndarray,
    bands: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    max_rings: int,
    clear: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray],
) -> np.ndarray:
    """Per point: the row of the one polygon holding it, :data:`NONE`, or :data:`UNSURE`.

    A point in a clear fine cell takes the cell's answer (:meth:`PolygonGrid._clear_cells`);
    any other is tested against its candidates. One function (numba counts references to
    every array handed to a function it calls: a call per candidate polygon cost more than
    its test).
    """
    x0, y0, side, nx, ny, start, items = cells
    band_first, band_count, band_height, band_start, entry_vertex, entry_ring = bands
    shift, fine_start, answers, strip_start, strip_y, strip_answer = clear
    parity = np.zeros(max(max_rings, 1), dtype=np.int64)
    out = np.full(px.size, NONE, dtype=np.int64)
    for k in range(px.size):
        x, y = px[k], py[k]
        if not (math.isfinite(x) and math.isfinite(y)):
            out[k] = UNSURE
            continue
        i, j = _cell(x, x0, side, nx), _cell(y, y0, side, ny)
        c = j * nx + i
        # A clear fine cell's answer (see _clear_cells), where it has one.
        answer = answers[fine_start[c] + _fine_cell(x, y, i, j, x0, y0, side, shift[c])]
        if answer >= NONE:
            out[k] = answer
            continue
        if answer <= _STRIP:  # its answer but at the height of the top of an edge
            strip = strip_start[c] + _STRIP - answer
            if y != strip_y[strip]:
                out[k] = strip_answer[strip]
                continue
        for m in range(start[c], start[c + 1]):
            p = items[m]
            if not (bounds[p, 0] <= x <= bounds[p, 2] and bounds[p, 1] <= y <= bounds[p, 3]):
                continue
            # The parity of the crossings of each of the polygon's rings, from its edges
            # in the point's band.
            ring_lo = part_start[polygon_start[p]]
            for r in range(part_start[polygon_start[p + 1]] - ring_lo):
                parity[r] = 0
            band = band_first[p] + _cell(y, bounds[p, 1], band_height[p], band_count[p])
            on = False
            for e in range(band_start[band], band_start[band + 1]):
                j = entry_vertex[e]
                crossing = _edge_side(xs[j], ys[j], xs[j + 1], ys[j + 1], x, y)
                if crossing < 0:
                    on = True
                    break
                parity[entry_ring[e]] ^= crossing
            # Shells and holes holding the point (a hole outside its shell: unsure).
            shells, holes = 0, 0
            for part in range(polygon_start[p], polygon_start[p + 1]):
                first, last = part_start[part] - ring_lo, part_start[part + 1] - ring_lo
                if on or first == last:
                    continue  # an empty part
                in_holes = 0
                for ring in range(first + 1, last):
                    in_holes += parity[ring]
                if parity[first]:
                    shells += 1
                    holes += in_holes
                elif in_holes:
                    on = True
            if on or shells > 1 or holes > 1:
                out[k] = UNSURE
                break
            if shells == 1 and holes == 0:
                if out[k] != NONE:
                    out[k] = UNSURE  # in two polygons: GEOS's order decides
                    break
                out[k] = p
    return out


@jit
def _fine_cell(x: float, y: float, i: int, j: int, x0: float, y0: float, side: float, shift: int) -> int:
    """The fine cell holding ``(x, y)`` among the ``4**shift`` of cell ``(i, j)`` (row by row;
    :func:`_cell` on each axis, so monotonic in ``x`` and in ``y`` within the cell)."""
    n = 1 << shift
    fine = side / n
    return _cell(y, y0 + j * side, fine, n) * n + _cell(x, x0 + i * side, fine, n)


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


#: In :meth:`PolygonGrid._clear_cells`: a fine cell no edge has marked yet; a strip cell
#: of vertex ``v`` (:func:`_mark_edges`) is ``_STRIP_MARK - v``.
_CLEAR = -3
_STRIP_MARK = -4

#: An answer ``a <= _STRIP`` of a fine cell: its strip ``_STRIP - a`` among those of its
#: cell of the grid (:func:`_keep_strips`).
_STRIP = -3


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


@dataclass(frozen=True)
class PolygonGrid:
    """Polygons' envelopes in a uniform grid of cells, their rings' vertices, and their edges
    by band (see the module and :func:`_fill_bands`)."""

    bounds: np.ndarray
    cells: tuple[float, float, float, int, int, np.ndarray, np.ndarray]
    xs: np.ndarray
    ys: np.ndarray
    part_start: np.ndarray
    polygon_start: np.ndarray
    bands: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]
    max_rings: int
    clear: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]

    @classmethod
    def build(cls, polygons: np.ndarray) -> PolygonGrid | None:
        """The grid of ``polygons`` (shapely geometries), cells about as wide as the usual
        envelope; None unless each is a polygon or multipolygon with finite coordinates,
        empty or missing (these GEOS's search never finds, nor does this one)."""
        geoms = np.asarray(polygons, dtype=object)
        bounds = np.ascontiguousarray(shapely.bounds(geoms), dtype=np.float64).reshape(-1, 4)
        kind = shapely.get_type_id(geoms)
        areal = (kind == shapely.GeometryType.POLYGON) | (kind == shapely.GeometryType.MULTIPOLYGON)
        finite = np.asarray(np.isfinite(bounds).all(axis=1), dtype=bool)
        absent = (kind == shapely.GeometryType.MISSING) | shapely.is_empty(geoms)
        if not np.all((areal & finite) | absent):
            return None
        held = geoms.copy()
        held[~finite] = None
        parts, polygon_of_part = shapely.get_parts(held, return_index=True)
        rings, part_of_ring = shapely.get_rings(parts, return_index=True)
        coords, ring_of_coord = shapely.get_coordinates(rings, return_index=True)
        if not np.isfinite(coords).all():
            return None
        # Where each polygon's parts, each part's rings and each ring's vertices start.
        polygon_start = np.searchsorted(polygon_of_part, np.arange(len(geoms) + 1)).astype(np.int64)
        part_start = np.searchsorted(part_of_ring, np.arange(len(parts) + 1)).astype(np.int64)
        ring_start = np.searchsorted(ring_of_coord, np.arange(len(rings) + 1)).astype(np.int64)
        xs, ys = np.ascontiguousarray(coords[:, 0]), np.ascontiguousarray(coords[:, 1])
        ring_lo = part_start[polygon_start]
        cells = _cells(bounds, finite)
        grid = cls(
            bounds=bounds,
            cells=cells,
            xs=xs,
            ys=ys,
            part_start=part_start,
            polygon_start=polygon_start,
            bands=_fill_bands(bounds, ys, ring_start, part_start, polygon_start),
            max_rings=int(np.diff(ring_lo).max(initial=0)),
            clear=_no_clear(cells[3] * cells[4], len(bounds)),
        )
        flat = ring_of_coord[1:] == ring_of_coord[:-1]
        return replace(grid, clear=grid._clear_cells(ring_start, flat))

    def locate(self, points: np.ndarray) -> np.ndarray:
        """Per point (shapely geometries): the row of the one polygon whose interior holds it,
        :data:`NONE` where none touches it, :data:`UNSURE` where GEOS must say."""
        geoms = np.asarray(points, dtype=object)
        if not len(geoms):
            return np.empty(0, dtype=np.int64)
        # The coordinates of the points (an empty one has none); NaN for any other geometry.
        coords, owner = shapely.get_coordinates(geoms, return_index=True)
        plain = (shapely.get_type_id(geoms) == shapely.GeometryType.POINT)[owner]
        px, py = np.full(len(geoms), np.nan), np.full(len(geoms), np.nan)
        px[owner[plain]], py[owner[plain]] = coords[plain, 0], coords[plain, 1]
        return self._locate(px, py)

    def _locate(self, px: np.ndarray, py: np.ndarray) -> np.ndarray:
        """:func:`_locate` of the points ``(px, py)``."""
        out: np.ndarray = _locate(
            np.ascontiguousarray(px, dtype=np.float64),
            np.ascontiguousarray(py, dtype=np.float64),
            self.bounds,
            self.cells,
            self.xs,
            self.ys,
            self.part_start,
            self.polygon_start,
            self.bands,
            self.max_rings,
            self.clear,
        )
        return out

    def _clear_cells(
        self, ring_start: np.ndarray, same_ring: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The clear fine cells and their answers: per cell of the grid its ``shift`` (cut into
        ``4**shift`` fine cells, :func:`_fine_cell`), where its fine cells start, and per fine
        cell the answer :func:`_locate`'s test gives every point in it (:data:`UNSURE`: test
        the point).

        A fine cell is clear where no edge comes within ``delta`` of it (:func:`_mark_edges`),
        ``delta`` being far above the rounding of the coordinates, the cells' mapping and the
        edges' slices, and the cell is not at the height of the top of an edge within that
        edge's ``x`` range. For a point ``P`` in a clear cell, within the envelope of a polygon
        (the only points whose edges the test reads), each edge's crossing is then exactly the
        half-open crossing of the ray: off the edge's ``y`` range it is 0; within it ``P`` is
        more than ``delta / 2`` across from the edge, so the orientation's determinant exceeds
        its error bound (``|det| = |rise| * distance``, the bound is about ``1e-15 * scale *
        |rise|``; the guards on ``_HUGE`` and ``_FLAT`` keep every product normal); and at the
        height of an edge's top ``P`` is outside its ``x`` range. So the test is never unsure
        of an edge there, and each ring's parity is exactly whether ``P`` lies inside it.

        That parity is the same for every point of the cell, and of the cells joined to it
        across their sides within one cell of the grid (:func:`_label_clear`): they are
        connected, and no ring comes near them. The answer is a function of these parities:
        a polygon all of whose rings have parity 0 is outside and changes nothing (so
        envelopes holding some of the points and not others do not matter: a polygon with a
        ring of parity 1 holds every point of the region in its envelope), one polygon inside
        is the answer, two inside or one unsure (two shells, two holes, a hole outside its
        shell) make it unsure, in whatever order the candidates come. So the answer of one
        point of a region (the centre of its first cell, checked to map back to that cell)
        is every point's; unsure answers are not kept (those points are tested, and stay
        unsure). Coordinates beyond ``_HUGE`` or an edge rising less than ``_FLAT``: no clear
        cells.
        """
        x0, y0, side, nx, ny = self.cells[:5]
        grid = (x0, y0, side, nx, ny)
        scale = max(float(np.abs(self.xs).max(initial=0.0)), float(np.abs(self.ys).max(initial=0.0)))
        rise = np.abs(np.diff(self.ys))[same_ring]
        if scale > _HUGE or np.any((rise > 0.0) & (rise < _FLAT)) or len(self.xs) > _MOST_VERTICES:
            return self.clear
        delta = _MARGIN * (scale + side)
        count = _count_edges(self.xs, self.ys, ring_start, grid, delta)
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
        _mark_edges(self.xs, self.ys, ring_start, grid, delta, shift, fine_start, label)
        strips, heights = _take_strips(label, self.ys)
        seed_x, seed_y = _label_clear(grid, shift, fine_start, label)
        _settle(label, self._locate(seed_x, seed_y))
        # Rows in 2 bytes where they fit (half the memory the lookups read).
        kind = _answer_type(len(self.bounds))
        strip_start, strip_y, strip_answer = _keep_strips(
            fine_start, strips, heights, label, _STRIP - int(np.iinfo(kind).min) + 1
        )
        return shift, fine_start, label.astype(kind), strip_start, strip_y, strip_answer


def _answer_type(polygons: int) -> type[np.signedinteger[Any]]:
    """The integers the answers of a grid of ``polygons`` are kept in."""
    return np.int16 if polygons <= np.iinfo(np.int16).max else np.int32


def _no_clear(
    cells: int, polygons: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """No clear fine cells: one fine cell per cell, each :data:`UNSURE`."""
    return (
        np.zeros(cells, dtype=np.int64),
        np.arange(cells + 1, dtype=np.int64),
        np.full(cells, UNSURE, dtype=_answer_type(polygons)),
        np.zeros(cells + 1, dtype=np.int64),
        np.empty(0),
        np.empty(0, dtype=np.int64),
    )


def _cells(
    bounds: np.ndarray, finite: np.ndarray
) -> tuple[float, float, float, int, int, np.ndarray, np.ndarray]:
    """The grid of the envelopes ``bounds`` (those ``finite`` marks): origin, cell side,
    cells across and up, and each cell's polygons (:func:`_fill_cells`)."""
    if not finite.any():
        return 0.0, 0.0, 1.0, 1, 1, np.zeros(2, dtype=np.int64), np.empty(0, dtype=np.int64)
    held = bounds[finite]
    lo, hi = held[:, :2].min(axis=0), held[:, 2:].max(axis=0)
    span = float(max(hi[0] - lo[0], hi[1] - lo[1]))
    usual = float(np.median(np.maximum(held[:, 2] - held[:, 0], held[:, 3] - held[:, 1])))
    side = max(usual, span / math.sqrt(MAX_CELLS), 1e-9)
    x0, y0 = float(lo[0]), float(lo[1])
    nx = math.floor((hi[0] - x0) / side) + 1
    ny = math.floor((hi[1] - y0) / side) + 1
    start, items = _fill_cells(bounds, x0, y0, side, nx, ny)
    return x0, y0, side, nx, ny, start, items
