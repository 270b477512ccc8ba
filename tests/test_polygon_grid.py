"""The compiled point-in-polygon grid (coverage_gis._polygon_grid) behind commune_positions:
sure answers only where GEOS gives the same, the first match of GEOS's search elsewhere."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import LineString, MultiPolygon, Point, Polygon, box

from coverage_gis._polygon_grid import NONE, UNSURE, PolygonGrid
from coverage_gis.admin import commune_positions, points_in_polygons


def _reference(geoms: np.ndarray, communes: gpd.GeoDataFrame) -> np.ndarray:
    """The commune of each point as GEOS's search places it: its first match, else -1."""
    placed = np.full(len(geoms), -1, dtype=np.int64)
    idx_point, idx_commune = points_in_polygons(geoms, communes, "intersects")
    first = np.unique(idx_point, return_index=True)[1]
    placed[idx_point[first]] = idx_commune[first]
    return placed


def _frame(geoms: list[object]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"census_commune_id": [str(i) for i in range(len(geoms))]}, geometry=geoms)


def _lattice(n: int, m: int, kinds: list[int], origin: tuple[float, float], step: float) -> list[object]:
    """Communes on an ``n`` x ``m`` lattice sharing their borders: per cell (``kinds``) a
    square, two triangles split on a diagonal, a square with a hole (and an island in
    it, as a part of the same commune or as its own commune), or nothing (missing or empty);
    and one commune overlapping others."""
    ox, oy = origin

    def xy(i: float, j: float) -> tuple[float, float]:
        return ox + i * step, oy + j * step

    out: list[object] = []
    for k, (i, j) in enumerate((i, j) for i in range(n) for j in range(m)):
        a, b, c, d = xy(i, j), xy(i + 1, j), xy(i + 1, j + 1), xy(i, j + 1)
        kind = kinds[k % len(kinds)]
        if kind == 0:
            out.append(Polygon([a, b, c, d]))
        elif kind == 1:
            out += [Polygon([a, b, c]), Polygon([a, c, d])]
        elif kind in (2, 3):
            hole = [
                xy(i + 0.25, j + 0.25),
                xy(i + 0.75, j + 0.25),
                xy(i + 0.75, j + 0.75),
                xy(i + 0.25, j + 0.75),
            ]
            island = Polygon([xy(i + 0.375, j + 0.375), xy(i + 0.625, j + 0.375), xy(i + 0.5, j + 0.625)])
            ring = Polygon([a, b, c, d], [hole])
            out += [MultiPolygon([ring, island])] if kind == 2 else [ring, island]
        elif kind == 4:
            out.append(None)
        else:
            out.append(Polygon())
    out.append(Polygon([xy(0.5, 0.5), xy(1.5, 0.5), xy(1.5, 1.25), xy(0.5, 1.25)]))
    return out


_ORIGINS = st.sampled_from([(0.0, 0.0), (105.8, 21.03), (-0.3, 7.1)])
_STEPS = st.sampled_from([1.0, 0.05, 0.1, 1e-6])


@settings(max_examples=120, deadline=None)
@given(
    n=st.integers(1, 3),
    m=st.integers(1, 3),
    kinds=st.lists(st.integers(0, 5), min_size=1, max_size=6),
    origin=_ORIGINS,
    step=_STEPS,
    ticks=st.lists(st.tuples(st.integers(-8, 32), st.integers(-8, 32)), min_size=1, max_size=40),
    nudges=st.lists(st.sampled_from([0, 1, -1]), min_size=1, max_size=5),
    extra=st.lists(st.sampled_from(["none", "empty", "line", "far"]), max_size=3),
)
def test_positions_equal_geos_on_borders_vertices_holes_and_gaps(
    n: int,
    m: int,
    kinds: list[int],
    origin: tuple[float, float],
    step: float,
    ticks: list[tuple[int, int]],
    nudges: list[int],
    extra: list[str],
) -> None:
    communes = _frame(_lattice(n, m, kinds, origin, step))
    # Points on eighths of the lattice: vertices, borders, diagonals, holes, islands,
    # outside; some a float step off them.
    points: list[object] = []
    for k, (i, j) in enumerate(ticks):
        x, y = origin[0] + i * step / 8, origin[1] + j * step / 8
        nudge = nudges[k % len(nudges)]
        points.append(Point(np.nextafter(x, x + nudge) if nudge else x, y))
    extras = {
        "none": None,
        "empty": Point(),
        "line": LineString([(0, 0), (1, 1)]),
        "far": Point(1e300, -1e300),
    }
    points += [extras[e] for e in extra]
    geoms = np.array(points, dtype=object)
    # Enough points for the grid (one per 64 communes at least).
    geoms = np.concatenate([geoms] * (1 + len(communes) // (64 * len(geoms))))
    np.testing.assert_array_equal(commune_positions(geoms, communes), _reference(geoms, communes))


def test_the_grid_is_sure_only_off_every_border() -> None:
    communes = [
        box(0, 0, 1, 1),
        box(1, 0, 2, 1),
        Polygon(box(2, 0, 4, 2).exterior.coords, [box(2.5, 0.5, 3.5, 1.5).exterior.coords]),
    ]
    grid = PolygonGrid.build(np.array(communes, dtype=object))
    assert grid is not None
    points = [
        (0.5, 0.5),
        (1.5, 0.5),
        (1.0, 0.5),
        (1.0, 1.0),
        (3.0, 1.0),
        (2.25, 1.0),
        (9.0, 9.0),
        (2.5, 1.0),
        (-1.0, 0.5),
    ]
    got = grid.locate(np.array([Point(p) for p in points] + [None, Point()], dtype=object))
    assert got.tolist() == [0, 1, UNSURE, UNSURE, NONE, 2, NONE, UNSURE, NONE, UNSURE, UNSURE]


def test_points_in_two_communes_take_geos_first_match() -> None:
    communes = _frame([box(0, 0, 2, 2), box(1, 1, 3, 3), box(5, 5, 6, 6)])
    geoms = shapely.points(np.array([[1.5, 1.5], [0.5, 0.5], [2.5, 2.5], [4.0, 4.0]]))
    assert PolygonGrid.build(communes.geometry.to_numpy()) is not None
    np.testing.assert_array_equal(commune_positions(geoms, communes), _reference(geoms, communes))
    assert commune_positions(geoms, communes)[1:].tolist() == [0, 1, -1]


def test_communes_the_grid_cannot_read_are_all_asked_of_geos() -> None:
    geoms = [box(0, 0, 1, 1), LineString([(1, 0), (1, 1)]), box(1, 0, 2, 1)]
    assert PolygonGrid.build(np.array(geoms, dtype=object)) is None
    communes = _frame(geoms)
    points = shapely.points(np.array([[0.5, 0.5], [1.0, 0.5], [1.5, 0.5]]))
    np.testing.assert_array_equal(commune_positions(points, communes), _reference(points, communes))


def test_no_communes_or_no_points() -> None:
    assert PolygonGrid.build(np.array([None, Polygon()], dtype=object)) is not None
    assert commune_positions(shapely.points(np.zeros((3, 2))), _frame([None, Polygon()])).tolist() == [-1] * 3
    assert commune_positions(np.empty(0, dtype=object), _frame([box(0, 0, 1, 1)])).tolist() == []
