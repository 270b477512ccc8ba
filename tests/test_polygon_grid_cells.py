"""The clear fine cells of the compiled point-in-polygon grid (coverage_gis._polygon_grid):
a point in one takes the cell's answer, which is exactly what the full test (the grid
without clear cells, as before they existed) gives it; and sure answers are GEOS's."""

from __future__ import annotations

import dataclasses

import geopandas as gpd
import numpy as np
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely import affinity
from shapely.geometry import MultiPolygon, Point, Polygon, box

from coverage_gis._polygon_grid import _STRIP, NONE, UNSURE, PolygonGrid, _fine_cell, _no_clear
from coverage_gis.admin import commune_positions, points_in_polygons


def _grids(polygons: list[object]) -> tuple[PolygonGrid, PolygonGrid]:
    """The grid of ``polygons`` and the same grid without clear cells (every point tested)."""
    grid = PolygonGrid.build(np.array(polygons, dtype=object))
    assert grid is not None
    nx, ny = grid.cells[3], grid.cells[4]
    return grid, dataclasses.replace(grid, clear=_no_clear(nx * ny, len(grid.bounds)))


#: How a point is answered (:func:`_ways`): tested, by a clear cell, by a strip cell, or
#: tested as it lies in a strip cell at the strip's height.
_TESTED, _CLEAR_CELL, _STRIP_CELL, _ON_STRIP = range(4)


def _ways(grid: PolygonGrid, xy: np.ndarray) -> np.ndarray:
    """How each point ``xy`` is answered."""
    x0, y0, side, nx, ny = grid.cells[:5]
    shift, start, answers, strip_start, strip_y, _ = grid.clear
    out = np.full(len(xy), _TESTED)
    for k, (x, y) in enumerate(xy):
        if np.isfinite(x) and np.isfinite(y):
            i = int(np.clip(np.floor((x - x0) / side), 0, nx - 1))
            j = int(np.clip(np.floor((y - y0) / side), 0, ny - 1))
            answer = answers[start[j * nx + i] + _fine_cell(x, y, i, j, x0, y0, side, shift[j * nx + i])]
            if answer >= NONE:
                out[k] = _CLEAR_CELL
            elif answer <= _STRIP:
                out[k] = _ON_STRIP if y == strip_y[strip_start[j * nx + i] + _STRIP - answer] else _STRIP_CELL
    return out


def _geos(points: np.ndarray, polygons: list[object]) -> np.ndarray:
    """The first polygon GEOS's search finds touching each point, else -1."""
    communes = gpd.GeoDataFrame(
        {"census_commune_id": [str(i) for i in range(len(polygons))]}, geometry=polygons
    )
    placed = np.full(len(points), -1, dtype=np.int64)
    idx_point, idx_commune = points_in_polygons(points, communes, "intersects")
    first = np.unique(idx_point, return_index=True)[1]
    placed[idx_point[first]] = idx_commune[first]
    np.testing.assert_array_equal(commune_positions(points, communes), placed)
    return placed


def _check(polygons: list[object], xy: np.ndarray) -> np.ndarray:
    """Assert the grid with clear cells answers ``xy`` as the full test does, and sure
    answers as GEOS does; returns how each point was answered (:func:`_ways`)."""
    grid, slow = _grids(polygons)
    points = shapely.points(xy)
    got, want = grid.locate(points), slow.locate(points)
    np.testing.assert_array_equal(got, want)
    sure = got != UNSURE
    np.testing.assert_array_equal(got[sure], _geos(points, polygons)[sure])
    ways = _ways(grid, xy)
    assert sure[(ways == _CLEAR_CELL) | (ways == _STRIP_CELL)].all()
    return ways


def _near(xy: np.ndarray, grid: PolygonGrid) -> np.ndarray:
    """Points on and a float step off ``xy``, and on the fine cells' sides near them."""
    x0, y0, side = grid.cells[:3]
    fine = side / (1 << int(grid.clear[0].max(initial=0)))
    on = np.stack(
        [x0 + np.round((xy[:, 0] - x0) / fine) * fine, y0 + np.round((xy[:, 1] - y0) / fine) * fine], 1
    )
    steps = [np.nextafter(xy, np.inf), np.nextafter(xy, -np.inf)]
    return np.concatenate([xy, on, *steps, np.stack([xy[:, 0], on[:, 1]], 1)])


def _level(xy: np.ndarray, grid: PolygonGrid) -> np.ndarray:
    """Points at the heights of ``xy``, a few fine cells across from them (in the strips at
    the height of the top of an edge)."""
    side = grid.cells[2]
    fine = side / (1 << int(grid.clear[0].max(initial=0)))
    steps = [k * fine / 2 for k in (-5, -3, -2, -1, 1, 2, 3, 5)] + [k * side / 16 for k in (-3, -1, 1, 3)]
    return np.concatenate([xy + np.array([step, 0.0]) for step in steps])


def _edge_points(polygons: list[object], rng: np.random.Generator) -> np.ndarray:
    """The polygons' vertices and points along their edges (on them or a rounding off)."""
    rings = shapely.get_rings(shapely.get_parts(np.array(polygons, dtype=object)))
    out = []
    for ring in rings:
        c = shapely.get_coordinates(ring)
        if len(c) > 1:
            t = rng.random((len(c) - 1, 1))
            out += [c, c[:-1] + t * (c[1:] - c[:-1]), (c[:-1] + c[1:]) / 2]
    return np.concatenate(out) if out else np.empty((0, 2))


_ORIGINS = st.sampled_from([(0.0, 0.0), (105.8, 21.03), (-0.3, 7.1), (-179.0, -89.0)])
_SCALES = st.sampled_from([1.0, 0.05, 1e-4, 1e-7])


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    sites=st.integers(2, 40),
    origin=_ORIGINS,
    scale=_SCALES,
    holes=st.floats(0.0, 1.0),
    islands=st.sampled_from(["none", "part", "own"]),
    overlap=st.booleans(),
    gaps=st.integers(0, 3),
)
def test_clear_cells_answer_as_the_full_test_on_voronoi_communes(
    seed: int,
    sites: int,
    origin: tuple[float, float],
    scale: float,
    holes: float,
    islands: str,
    overlap: bool,
    gaps: int,
) -> None:
    """Voronoi communes (some with a hole, an island in it, missing or empty; one overlapping
    the others), points at random, on and beside vertices, edges and the fine cells' sides."""
    rng = np.random.default_rng(seed)
    ox, oy = origin
    seeds = shapely.points(np.array([ox, oy]) + rng.random((sites, 2)) * scale * np.array([1.0, 0.7]))
    frame = box(ox, oy, ox + scale, oy + 0.7 * scale)
    cells = [
        c.intersection(frame) for c in shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(seeds)))
    ]
    polygons: list[object] = []
    for k, cell in enumerate(cells):
        if not isinstance(cell, Polygon) or cell.is_empty:
            continue
        holed = Polygon(cell.exterior.coords, [affinity.scale(cell, 0.5, 0.5).exterior.coords])
        island = Polygon(affinity.scale(cell, 0.2, 0.2).exterior.coords)
        parts = MultiPolygon([holed, island])
        # Valid ones only: GEOS's own predicates disagree on invalid ones.
        if rng.random() < holes and holed.is_valid and parts.is_valid:
            cell = parts if islands == "part" else holed
            if islands == "own":
                polygons.append(island)
        polygons.append(cell)
        if k < gaps:
            polygons.append(None if k % 2 else Polygon())
    if overlap:
        polygons.append(box(ox + 0.3 * scale, oy + 0.2 * scale, ox + 0.6 * scale, oy + 0.5 * scale))
    grid, _ = _grids(polygons)
    inside = np.stack(
        [ox + rng.random(300) * scale * 1.2 - 0.1 * scale, oy + rng.random(300) * scale * 0.9 - 0.1 * scale],
        1,
    )
    edges = _edge_points(polygons, rng)
    xy = np.concatenate([inside, _near(edges, grid), _near(inside[:40], grid), _level(edges, grid)])
    _check(polygons, xy)


def test_borders_vertices_holes_islands_overlaps_tiny_and_missing() -> None:
    """Lattice squares sharing borders, a square with a hole and an island in it (its own
    commune), a multipolygon, overlapping squares, communes smaller than a fine cell, and
    missing and empty ones; points on every eighth of the lattice and a step off."""
    polygons: list[object] = [box(i, j, i + 1, j + 1) for i in range(4) for j in range(4)]
    polygons[5] = Polygon(box(1, 1, 2, 2).exterior.coords, [box(1.25, 1.25, 1.75, 1.75).exterior.coords])
    polygons += [box(1.375, 1.375, 1.625, 1.625), MultiPolygon([box(5, 0, 6, 1), box(5, 2, 6, 3)])]
    polygons += [box(0.5, 2.5, 1.5, 3.5), None, Polygon()]
    polygons += [box(3.1 + k * 1e-5, 3.1, 3.1 + k * 1e-5 + 2e-6, 3.1 + 2e-6) for k in range(20)]
    ticks = np.arange(-8, 57) / 8
    xy = np.stack(np.meshgrid(ticks, ticks), -1).reshape(-1, 2)
    tiny = np.array([[3.1 + k * 1e-5 + 1e-6, 3.1 + 1e-6] for k in range(20)])
    ways = _check(polygons, np.concatenate([xy, np.nextafter(xy, np.inf), np.nextafter(xy, -np.inf), tiny]))
    assert (ways == _CLEAR_CELL).mean() > 0.5


def test_one_huge_polygon_and_far_points() -> None:
    """One polygon of many edges over half the world: clear cells inside it, around it."""
    angle = np.linspace(0, 2 * np.pi, 2001)[:-1]
    polygons: list[object] = [Polygon(np.stack([170 * np.cos(angle), 80 * np.sin(angle)], 1))]
    rng = np.random.default_rng(7)
    xy = np.concatenate([rng.uniform(-200, 200, (5000, 2)), [[1e300, -1e300], [0.0, 0.0]]])
    ways = _check(polygons, np.concatenate([xy, _edge_points(polygons, rng)]))
    assert (ways[:5000] != _TESTED).mean() > 0.9


def test_points_that_are_not_plain_stay_unsure() -> None:
    grid, _ = _grids([box(0, 0, 1, 1)])
    got = grid.locate(np.array([None, Point(), Point(0.5, 0.5), Point(np.nan, 0.5)], dtype=object))
    assert got.tolist() == [UNSURE, UNSURE, 0, UNSURE]


def test_no_clear_cells_for_coordinates_the_margin_cannot_cover() -> None:
    """Coordinates beyond 2**500, or an edge rising by less than 2**-500: every point is
    tested (the same answers, no clear cell)."""
    for polygons in (
        [box(0, 0, 1e200, 1e200), box(1e200, 0, 2e300, 1e200)],
        [Polygon([(0, 0), (1, 1e-160), (2, 0), (1, 1)]), box(2, 0, 3, 1)],
    ):
        grid, _ = _grids(polygons)
        assert (grid.clear[2] == UNSURE).all()
        assert not len(grid.clear[4])
        xy = np.array([[0.5, 0.25], [2.5, 0.5], [1.0, 0.5], [-1.0, -1.0]]) * [grid.cells[2], 1]
        assert (_check(polygons, xy) == _TESTED).all()


def test_points_far_below_a_tiny_layer() -> None:
    """A layer near zero (denormal steps off its edges): clear cells stay exact."""
    polygons: list[object] = [box(0, 0, 1e-9, 1e-9), box(-1e-9, 0, 0, 1e-9), box(2e-9, 2e-9, 3e-9, 3e-9)]
    ticks = np.array([-2e-9, -1e-9, -5e-324, 0.0, 5e-324, 5e-10, 1e-9, 2e-9, 2.5e-9, 3e-9, 4e-9])
    xy = np.stack(np.meshgrid(ticks, ticks), -1).reshape(-1, 2)
    _check(polygons, xy)
    assert NONE in _grids(polygons)[0].locate(shapely.points(xy))


def test_points_at_the_height_of_the_top_of_an_edge() -> None:
    """Strip cells (at the height of the top of an edge, off the edge) answer points off
    that height; at it, the points are tested (unsure where the edge's x range holds them)."""
    rng = np.random.default_rng(1)
    seeds = shapely.points(rng.random((30, 2)))
    polygons = [
        c.intersection(box(0, 0, 1, 1))
        for c in shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(seeds)))
    ]
    grid, _ = _grids(polygons)
    edges = _edge_points(polygons, rng)
    ways = _check(polygons, np.concatenate([_level(edges, grid), _near(edges, grid), rng.random((5000, 2))]))
    assert (ways == _STRIP_CELL).sum() > 100
    assert (ways == _ON_STRIP).sum() > 100
