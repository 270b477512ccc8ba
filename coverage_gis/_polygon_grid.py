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
answer the test gives every point in it (but at the height of the top of an edge whose
``x`` range holds the cell), computed once when the grid is built
(:func:`coverage_gis._polygon_grid_cells.clear_cells` says why it is the same for all of them).

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

#: Answers of :func:`_locate`: the polygon's row, or these.
NONE = -1
UNSURE = -2

#: An answer ``a <= _STRIP`` of a fine cell: its strip ``_STRIP - a`` among those of its
#: cell of the grid (:func:`coverage_gis._polygon_grid_cells._keep_strips`).
_STRIP = -3


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

    A point in a clear fine cell takes the cell's answer
    (:func:`coverage_gis._polygon_grid_cells.clear_cells`); any other is tested against its
    candidates. One function (numba counts references to
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
        # A clear fine cell's answer (see _polygon_grid_cells), where it has one.
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
        from coverage_gis._polygon_grid_cells import clear_cells

        return replace(grid, clear=clear_cells(grid, ring_start, ring_of_coord[1:] == ring_of_coord[:-1]))

    def locate(self, points: np.ndarray) -> np.ndarray:
        """Per point (shapely geometries): the row of the one polygon whose interior holds it,
        :data:`NONE` where none touches it, :data:`UNSURE` where GEOS must say."""
        geoms = np.asarray(points, dtype=object)
        if not len(geoms):
            return np.empty(0, dtype=np.int64)
        try:
            # A point's coordinates; NaN for a missing geometry or any other than a point
            # (a third of the cost of listing every geometry's coordinates and type).
            px, py = shapely.get_x(geoms), shapely.get_y(geoms)
        except shapely.errors.GEOSException:  # an empty point, which has none
            px, py = _point_xy(geoms)
        return self.locate_xy(px, py)

    def locate_xy(self, px: np.ndarray, py: np.ndarray) -> np.ndarray:
        """:meth:`locate` of the points of coordinates ``px``, ``py`` (NaN: not a point)."""
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


def _point_xy(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The coordinates of the points among ``geoms``; NaN for an empty point, a missing
    geometry or any other than a point."""
    coords, owner = shapely.get_coordinates(geoms, return_index=True)
    plain = (shapely.get_type_id(geoms) == shapely.GeometryType.POINT)[owner]
    px, py = np.full(len(geoms), np.nan), np.full(len(geoms), np.nan)
    px[owner[plain]], py[owner[plain]] = coords[plain, 0], coords[plain, 1]
    return px, py


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
