"""The fiber index (coverage_gis.fiber.FiberIndex) and the batched helpers behind the national compute."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import LineString, MultiLineString, MultiPoint, Point, Polygon

from coverage_gis.admin import points_in_polygons
from coverage_gis.crs import metric_to_lonlat
from coverage_gis.fiber import FiberIndex, _to_metric, metric_points
from coverage_gis.input_layers import InputLayers
from coverage_gis.mobile import mobile_coverage
from coverage_gis.models import RadiusModel, load_model_settings
from coverage_gis.models.base import BatchedCoverageModel, CandidatePairs, CellArrays, ReceiverArrays
from coverage_gis.models.validity import ValidityReport
from coverage_gis.network import cell_table_or_empty, operator_bits, points_xy_m

from .conftest import METRIC, _origin_m, at, tiny_layers


def _line(*xy: tuple[float, float]) -> LineString:
    """A lon/lat line through points given in metres from the origin."""
    x0, y0 = _origin_m()
    lon, lat = metric_to_lonlat(np.array([x0 + x for x, _ in xy]), np.array([y0 + y for _, y in xy]), METRIC)
    return LineString(zip(lon.tolist(), lat.tolist(), strict=True))


def _fiber() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    routes = gpd.GeoDataFrame(
        {
            "operator": ["Viettel", "VNPT", "MobiFone"],
            "class": ["access", "backbone", "access"],
            "status": ["on_air", "on_air", "planned"],
        },
        # An access route along y = 400 m, a backbone along y = 8 km, a planned route at the origin.
        geometry=[
            _line((-5000, 400), (5000, 400)),
            _line((-5000, 8000), (5000, 8000)),
            _line((-10, 0), (10, 0)),
        ],
        crs="EPSG:4326",
    )
    nodes = gpd.GeoDataFrame(
        {"operator": ["VNPT", "Viettel"], "status": ["on_air", "on_air"]},
        geometry=[at(3000, 0), at(3300, 0)],
        crs="EPSG:4326",
    )
    return routes, nodes


def _villages(*xy: tuple[float, float]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(geometry=[at(x, y) for x, y in xy], crs="EPSG:4326")


def _xy(*xy: tuple[float, float]) -> tuple[np.ndarray, np.ndarray]:
    """Metric coordinates of points given in metres from the origin (as a layer's would be)."""
    return points_xy_m(_villages(*xy), METRIC)


def test_fiber_index_distances_operators_and_gap_reasons() -> None:
    routes, nodes = _fiber()
    index = FiberIndex.from_layers(routes, nodes, metric_crs=METRIC)
    # V1 under the access route (400 m); V2 at the VNPT node, Viettel's 300 m east and
    # the route 400 m north; V3 9 km north (backbone 1 km away, access 8.6 km);
    # V4 30 km north (nothing within 10 km).
    x, y = _xy((0, 0), (3000, 0), (0, 9000), (0, 30000))
    result = index.coverage(x, y, 500.0)
    np.testing.assert_allclose(result.fiber_distance_m, [400.0, 0.0, 8600.0, 29600.0], atol=1e-6)
    assert result.ftth.tolist() == [True, True, False, False]
    # (V1 sits on the planned route: it counts for nothing.)
    bit = {k: int(operator_bits(np.array([k]))[0]) for k in ("Viettel", "VNPT")}
    assert result.operator_bits.tolist() == [bit["Viettel"], bit["VNPT"] | bit["Viettel"], 0, 0]
    # V3 has fiber (the backbone) within FIBER_PRESENCE_M, V4 none.
    assert result.gap_reason.tolist() == [None, None, "fiber_too_far", "no_fiber_operator"]
    assert index.within_reach(x, y, 500.0).tolist() == [True, True, False, False]


def test_the_other_routes_are_projected_only_for_a_point_far_from_ftth_fiber() -> None:
    routes, nodes = _fiber()
    index = FiberIndex.from_layers(routes, nodes, metric_crs=METRIC)
    # Every point within FIBER_PRESENCE_M of the access route or a node: the backbone is not asked.
    near = index.coverage(*_xy((0, 0), (0, 9000)), 500.0)
    assert near.gap_reason.tolist() == [None, "fiber_too_far"]
    assert "other_tree" not in vars(index)
    # 11.6 km from the access route, 2 km from the backbone (y = 8 km): present, by the backbone.
    far = index.coverage(*_xy((0, 12000), (0, 30000)), 500.0)
    assert far.gap_reason.tolist() == ["fiber_too_far", "no_fiber_operator"]
    assert "other_tree" in vars(index)


def test_reach_edge_is_inclusive_for_nodes_and_routes() -> None:
    routes, nodes = _fiber()
    index = FiberIndex.from_layers(routes, nodes, metric_crs=METRIC)
    # 500 m below the VNPT node, 500 m below the access route, and a hair farther.
    x, y = _xy((3000, -500), (0, 400 - 500), (3000, -501))
    distance = index.nearest_access_m(x, y)
    np.testing.assert_allclose(distance, [500.0, 500.0, 501.0], atol=1e-6)
    for k in range(2):
        reach = float(distance[k])
        # Exactly at the nearest distance is within reach, the next smaller reach is not.
        assert index.within_reach(x[k : k + 1], y[k : k + 1], reach).tolist() == [True]
        assert index.within_reach(x[k : k + 1], y[k : k + 1], float(np.nextafter(reach, 0.0))).tolist() == [
            False
        ]
        assert index.coverage(x[k : k + 1], y[k : k + 1], reach).ftth.tolist() == [True]
    # The operators of every feature within reach, inclusive: at 500 m from the VNPT node
    # (and 900 m from Viettel's route) only VNPT; with reach 900 m both.
    bit = {k: int(operator_bits(np.array([k]))[0]) for k in ("Viettel", "VNPT")}
    assert index.coverage(x[:1], y[:1], float(distance[0])).operator_bits.tolist() == [bit["VNPT"]]
    to_route = float(
        shapely.distance(shapely.points(x[0], y[0]), _to_metric(routes.geometry.to_numpy()[:1], METRIC))[0]
    )
    assert index.coverage(x[:1], y[:1], to_route).operator_bits.tolist() == [bit["VNPT"] | bit["Viettel"]]


def test_fiber_index_without_fiber_and_missing_points() -> None:
    index = FiberIndex.from_layers(None, None, metric_crs=METRIC)
    x, y = _xy((0, 0))
    result = index.coverage(x, y, 500.0)
    assert np.isnan(result.fiber_distance_m).all()
    assert np.isnan(index.nearest_access_m(x, y)).all()
    assert result.gap_reason.tolist() == ["no_fiber_operator"]
    routes, nodes = _fiber()
    full = FiberIndex.from_layers(routes, nodes, metric_crs=METRIC)
    # A point without coordinates (a missing geometry): no distance, no FTTH, no operator.
    got = full.coverage(np.array([np.nan, x[0]]), np.array([np.nan, y[0]]), 500.0)
    assert np.isnan(got.fiber_distance_m[0])
    assert np.isclose(got.fiber_distance_m[1], 400.0)
    assert got.ftth.tolist() == [False, True]
    assert got.operator_bits[0] == 0
    assert got.gap_reason[0] == "no_fiber_operator"
    assert full.within_reach(np.array([np.nan]), np.array([np.nan]), 500.0).tolist() == [False]
    empty = full.coverage(np.empty(0), np.empty(0), 500.0)
    assert len(empty.ftth) == len(empty.fiber_distance_m) == 0


def test_points_in_polygons_matches_the_sindex_query_and_its_order() -> None:
    # Two overlapping squares and a third beside them; points inside, on borders, outside.
    polygons = gpd.GeoDataFrame(
        geometry=[
            Polygon([(0, 0), (2, 0), (2, 2), (0, 2)]),
            Polygon([(1, 0), (3, 0), (3, 2), (1, 2)]),
            Polygon([(3, 0), (4, 0), (4, 2), (3, 2)]),
        ]
    )
    points = np.array(
        [Point(0.5, 1), Point(1.5, 1), Point(3, 1), Point(5, 5), Point(2, 1), Point(3.5, 0)], dtype=object
    )
    for predicate in ("within", "intersects"):
        want = polygons.sindex.query(points, predicate=predicate)
        got = points_in_polygons(points, polygons, predicate)
        assert got[0].tolist() == want[0].tolist()
        assert got[1].tolist() == want[1].tolist()


def test_validity_reports_merge_as_if_counted_at_once() -> None:
    rng = np.random.default_rng(7)
    formula = rng.integers(-1, 3, 500).astype(np.int8)
    outside = rng.integers(0, 16, 500).astype(np.uint8) * (rng.random(500) < 0.3)
    whole = ValidityReport.from_arrays(formula, outside)
    cuts = ((0, 0), (0, 120), (120, 500))
    parts = [ValidityReport.from_arrays(formula[a:b], outside[a:b]) for a, b in cuts]
    merged = ValidityReport.merge(parts)
    assert merged == whole
    assert merged.as_dict() == whole.as_dict()
    assert ValidityReport.merge([]) == ValidityReport.from_arrays(np.zeros(0), np.zeros(0))


def test_validity_counted_per_element_is_validity_of_the_pairs_repeated() -> None:
    # Each element standing for ``count`` pairs (a cell's pairs share its formula and mask).
    rng = np.random.default_rng(8)
    formula = rng.integers(-1, 6, 300).astype(np.int8)
    outside = rng.integers(0, 16, 300).astype(np.uint8) * (rng.random(300) < 0.4)
    count = rng.integers(0, 5, 300)
    counted = ValidityReport.from_arrays(formula, outside, count=count)
    repeated = ValidityReport.from_arrays(np.repeat(formula, count), np.repeat(outside, count))
    assert counted.as_dict() == repeated.as_dict()
    assert counted.pairs == count.sum()
    # A formula whose elements stand for no pair decided none.
    none = ValidityReport.from_arrays(np.array([5, 4], dtype=np.int8), np.array([1, 0]), count=[0, 3])
    assert list(none.formulas) == ["itm"]


def test_metric_points_are_the_layer_projected() -> None:
    villages = _villages((0, 0), (1234.5, -987.0))
    got = metric_points(villages, METRIC)
    want = villages.geometry.to_crs(METRIC).to_numpy()
    assert shapely.equals_exact(got, want, tolerance=0).all()
    assert pd.isna(metric_points(gpd.GeoDataFrame(geometry=[None], crs="EPSG:4326"), METRIC)[0])


class _AllAtOnce:
    """The radius model without its batches (only ``candidate_pairs``)."""

    def __init__(self, model: RadiusModel) -> None:
        self.name = model.name
        self._model = model

    def candidate_pairs(self, receivers: ReceiverArrays, cells: CellArrays) -> CandidatePairs:
        return self._model.candidate_pairs(receivers, cells)

    def max_range_m(self, cells: CellArrays) -> np.ndarray:
        return self._model.max_range_m(cells)


def test_mobile_coverage_by_batches_equals_all_pairs_at_once() -> None:
    layers = InputLayers.from_frames(tiny_layers())
    cells = cell_table_or_empty(layers, metric_crs=METRIC)
    model = RadiusModel(load_model_settings(), workers=1)
    assert isinstance(model, BatchedCoverageModel)
    assert not isinstance(_AllAtOnce(model), BatchedCoverageModel)
    batched = mobile_coverage(layers.villages, cells, model=model, metric_crs=METRIC)
    at_once = mobile_coverage(layers.villages, cells, model=_AllAtOnce(model), metric_crs=METRIC)
    for name in ("mobile_bb", "best_tech", "operator_bits", "has_4g", "has_5g", "gap_reason", "gap_reasons"):
        assert getattr(batched, name).tolist() == getattr(at_once, name).tolist(), name
    np.testing.assert_array_equal(batched.best_signal_dbm, at_once.best_signal_dbm)
    assert batched.validity == at_once.validity
    assert batched.validity.pairs > 0


def test_nearest_access_is_the_nearest_node_or_route() -> None:
    routes, nodes = _fiber()
    index = FiberIndex.from_layers(routes, nodes, metric_crs=METRIC)
    x, y = _xy((3100, 0), (0, 1000), (3000, 0), (0, 30000))
    np.testing.assert_allclose(index.nearest_access_m(x, y), [100.0, 600.0, 0.0, 29600.0], atol=1e-6)
    assert index.nearest_access_m(x, y).tolist() == _geos(routes, nodes, x, y, 500.0)[0].tolist()


def test_empty_and_missing_fiber_geometries_count_for_nothing() -> None:
    routes, nodes = _fiber()
    empty = gpd.GeoDataFrame(
        {"operator": ["VNPT", "VNPT"], "status": ["on_air", "on_air"]}, geometry=[Point(), None], crs=4326
    )
    nodes = pd.concat([nodes, empty], ignore_index=True)
    blank = gpd.GeoDataFrame(
        {"operator": ["VNPT", "VNPT"], "class": ["access", "access"], "status": ["on_air", "on_air"]},
        geometry=[LineString(), None],
        crs=4326,
    )
    routes = pd.concat([routes, blank], ignore_index=True)
    index = FiberIndex.from_layers(routes, nodes, metric_crs=METRIC)
    assert len(index.shapes) == 0
    x, y = _xy((3100, 0))
    np.testing.assert_allclose(index.nearest_access_m(x, y), [100.0], atol=1e-6)
    assert index.coverage(x, y, 500.0).ftth.tolist() == [True]


def test_within_reach_is_the_coverage_ftth() -> None:
    routes, nodes = _fiber()
    index = FiberIndex.from_layers(routes, nodes, metric_crs=METRIC)
    x, y = _xy((3100, 0), (0, 1000), (3000, 0), (0, 30000), (0, 1400))
    for reach in (50.0, 150.0, 500.0, 700.0):
        assert index.within_reach(x, y, reach).tolist() == index.coverage(x, y, reach).ftth.tolist()


def _frame(geoms: list[object], operators: list[str], *, route: bool) -> gpd.GeoDataFrame:
    """On-air access routes (or nodes) of the given lon/lat geometries."""
    columns = {"operator": operators, "status": ["on_air"] * len(geoms)}
    if route:
        columns["class"] = ["access"] * len(geoms)
    return gpd.GeoDataFrame(columns, geometry=geoms, crs="EPSG:4326")


def _geos(
    routes: gpd.GeoDataFrame | None,
    nodes: gpd.GeoDataFrame | None,
    x: np.ndarray,
    y: np.ndarray,
    reach: float,
) -> tuple[np.ndarray, np.ndarray]:
    """The FTTH rule by GEOS alone: per point, the distance to the nearest on-air node or
    access route (NaN: none) and the OR of the operators of those within ``reach``."""
    features, bits = [], []
    for frame, is_node in ((routes, False), (nodes, True)):
        if frame is None:
            continue
        qualifies = (frame["status"] == "on_air").to_numpy()
        if not is_node:
            qualifies = qualifies & (frame["class"] == "access").to_numpy()
        features.append(frame.geometry.to_numpy()[qualifies])
        bits.append(operator_bits(frame["operator"])[qualifies])
    geoms = _to_metric(np.concatenate(features), METRIC)
    # A feature with no location (missing, empty) is at no distance.
    matrix = shapely.distance(shapely.points(x, y)[:, None], geoms[None, :]).reshape(len(x), len(geoms))
    distance = np.fmin.reduce(np.column_stack([matrix, np.full(len(x), np.nan)]), axis=1)
    within = matrix <= reach
    found = np.bitwise_or.reduce(np.where(within, np.concatenate(bits)[None, :], 0), axis=1, initial=0)
    return distance, found


def _same_as_geos(
    routes: gpd.GeoDataFrame | None,
    nodes: gpd.GeoDataFrame | None,
    x: np.ndarray,
    y: np.ndarray,
    reach: float,
) -> None:
    index = FiberIndex.from_layers(routes, nodes, metric_crs=METRIC)
    result = index.coverage(x, y, reach)
    distance, bits = _geos(routes, nodes, x, y, reach)
    # GEOS's own arithmetic: the same numbers (a relative 1e-9 at most, should a compiler
    # fuse GEOS's multiply-adds on some platform).
    np.testing.assert_allclose(result.fiber_distance_m, distance, rtol=1e-9, atol=1e-9)
    assert result.ftth.tolist() == (np.nan_to_num(distance, nan=np.inf) <= reach).tolist()
    assert result.operator_bits.tolist() == bits.tolist()
    assert index.within_reach(x, y, reach).tolist() == result.ftth.tolist()


def _lonlat(*xy: tuple[float, float]) -> list[tuple[float, float]]:
    """Lon/lat of points given in metres from the origin."""
    x0, y0 = _origin_m()
    lon, lat = metric_to_lonlat(np.array([x0 + x for x, _ in xy]), np.array([y0 + y for _, y in xy]), METRIC)
    return list(zip(lon.tolist(), lat.tolist(), strict=True))


def test_a_multi_line_route_has_no_segment_between_its_parts() -> None:
    # Two parts, 0..1000 m and 3000..4000 m along y = 0: (2000, 100) is 1 km from either
    # part, but 100 m from a segment joining them.
    route = MultiLineString([_lonlat((0, 0), (1000, 0)), _lonlat((3000, 0), (4000, 0))])
    routes = _frame([route], ["VNPT"], route=True)
    x, y = _xy((2000, 100), (500, 0), (3500, -200))
    index = FiberIndex.from_layers(routes, None, metric_crs=METRIC)
    np.testing.assert_allclose(index.nearest_access_m(x, y), [np.hypot(1000, 100), 0.0, 200.0], atol=1e-6)
    assert index.within_reach(x, y, 500.0).tolist() == [False, True, True]
    _same_as_geos(routes, None, x, y, 500.0)


def test_a_point_on_a_vertex_and_degenerate_segments() -> None:
    routes = _frame(
        [
            # A repeated vertex (a zero-length segment) inside a line, a line of one point twice.
            LineString(_lonlat((0, 0), (0, 0), (1000, 0))),
            LineString(_lonlat((5000, 0), (5000, 0))),
            MultiPoint(_lonlat((8000, 0), (9000, 0))),
        ],
        ["VNPT", "Viettel", "MobiFone"],
        route=True,
    )
    x, y = _xy((0, 0), (1000, 0), (5000, 300), (9000, -400), (500, 0))
    index = FiberIndex.from_layers(routes, None, metric_crs=METRIC)
    got = index.nearest_access_m(x, y)
    assert got[0] == 0.0
    assert got[1] == 0.0
    np.testing.assert_allclose(got[2:], [300.0, 400.0, 0.0], atol=1e-6)
    _same_as_geos(routes, None, x, y, 350.0)


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
def test_a_polygon_node_and_a_broken_route_are_measured_by_geos() -> None:
    # A node drawn as a polygon (a building), 1000..2000 m east, -100..100 m north.
    polygon = Polygon(_lonlat((1000, -100), (2000, -100), (2000, 100), (1000, 100)))
    nodes = _frame([polygon, Point(_lonlat((5000, 0))[0])], ["Viettel", "VNPT"], route=False)
    # A route with a coordinate that is not a number, beside a good one.
    broken = LineString([*_lonlat((0, 3000)), (np.nan, np.nan), *_lonlat((1000, 3000))])
    routes = _frame([broken, LineString(_lonlat((0, 6000), (1000, 6000)))], ["MobiFone", "VNPT"], route=True)
    index = FiberIndex.from_layers(routes, nodes, metric_crs=METRIC)
    assert len(index.shapes) == 2
    x, y = _xy((1500, 0), (2300, 0), (500, 6200), (4800, 0))
    result = index.coverage(x, y, 300.0)
    np.testing.assert_allclose(result.fiber_distance_m, [0.0, 300.0, 200.0, 200.0], atol=1e-6)
    assert result.ftth.tolist() == [True, True, True, True]
    bit = {k: int(operator_bits(np.array([k]))[0]) for k in ("Viettel", "VNPT")}
    assert result.operator_bits.tolist() == [bit["Viettel"], bit["Viettel"], bit["VNPT"], bit["VNPT"]]
    far = index.coverage(*_xy((1500, -5000)), 300.0)
    np.testing.assert_allclose(far.fiber_distance_m, [4900.0], atol=1e-6)


@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")
def test_a_point_far_outside_the_grid_finds_the_nearest_feature() -> None:
    routes, nodes = _fiber()
    index = FiberIndex.from_layers(routes, nodes, metric_crs=METRIC)
    # 200 km and 2,000 km away, and a point at an absurd coordinate.
    x, y = _xy((0, 200_000), (-2_000_000, 0))
    x, y = np.append(x, 1e300), np.append(y, -1e300)
    result = index.coverage(x, y, 500.0)
    np.testing.assert_allclose(result.fiber_distance_m, _geos(routes, nodes, x, y, 500.0)[0], rtol=1e-12)
    assert np.isinf(result.fiber_distance_m[2])
    assert result.ftth.tolist() == [False, False, False]
    assert result.gap_reason.tolist() == ["no_fiber_operator"] * 3


#: Where the property test's features and points lie (metres from the origin): a few cells
#: of the grid, so items cross cell edges.
_SPAN_M = 3000.0
_coordinate = st.integers(-int(_SPAN_M), int(_SPAN_M)).map(float)
_vertex = st.tuples(_coordinate, _coordinate)


@st.composite
def _layers(draw: st.DrawFn) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, list[tuple[float, float]]]:
    """Random on-air and planned routes and nodes; vertices drawn from a small pool, so
    routes share vertices and whole segments (as real networks do)."""
    pool = draw(st.lists(_vertex, min_size=2, max_size=12))
    pick = st.sampled_from(pool)
    operators = st.sampled_from(["Viettel", "VNPT", "MobiFone", "Vietnamobile", "Other"])

    def line() -> object:
        return LineString(_lonlat(*draw(st.lists(pick, min_size=2, max_size=6))))

    route_geoms: list[object] = []
    for shape in draw(st.lists(st.sampled_from(["line", "multi", "points", "polygon"]), max_size=6)):
        if shape == "line":
            route_geoms.append(line())
        elif shape == "multi":
            route_geoms.append(MultiLineString([line(), line()]))
        elif shape == "points":
            route_geoms.append(MultiPoint(_lonlat(*draw(st.lists(pick, min_size=1, max_size=3)))))
        else:
            x, y = draw(pick)
            route_geoms.append(Polygon(_lonlat((x, y), (x + 300, y), (x, y + 200))))
    node_geoms = [Point(p) for p in _lonlat(*draw(st.lists(pick, max_size=5)))] if pool else []
    routes = gpd.GeoDataFrame(
        {
            "operator": [draw(operators) for _ in route_geoms],
            "class": [draw(st.sampled_from(["access", "access", "distribution"])) for _ in route_geoms],
            "status": [draw(st.sampled_from(["on_air", "on_air", "planned"])) for _ in route_geoms],
        },
        geometry=route_geoms,
        crs="EPSG:4326",
    )
    nodes = gpd.GeoDataFrame(
        {"operator": [draw(operators) for _ in node_geoms], "status": ["on_air"] * len(node_geoms)},
        geometry=node_geoms,
        crs="EPSG:4326",
    )
    # Points on the pool's vertices, and anywhere (some beyond every feature).
    points = draw(
        st.lists(
            st.one_of(pick, _vertex, st.tuples(_coordinate, _coordinate.map(lambda v: v * 5))),
            min_size=1,
            max_size=8,
        )
    )
    return routes, nodes, points


@settings(max_examples=60, deadline=None)
@given(_layers(), st.sampled_from([0.0, 150.0, 500.0, 1000.0]))
def test_the_index_is_the_geos_computation(
    layers: tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, list[tuple[float, float]]], reach: float
) -> None:
    routes, nodes, points = layers
    x, y = _xy(*points)
    _same_as_geos(routes, nodes, x, y, reach)
    # A reach exactly at each point's nearest distance: within (inclusive).
    distance = FiberIndex.from_layers(routes, nodes, metric_crs=METRIC).nearest_access_m(x, y)
    for k in np.flatnonzero(np.isfinite(distance)):
        _same_as_geos(routes, nodes, x[k : k + 1], y[k : k + 1], float(distance[k]))


def test_the_grid_measures_as_geos_at_national_coordinates() -> None:
    # Segments and points around a UTM position of a few hundred kilometres: the GEOS
    # formula, operation for operation, gives the same bits of every distance.
    from coverage_gis._fiber_grid import segment_distance

    rng = np.random.default_rng(3)
    x0, y0 = _origin_m()
    for _ in range(300):
        ax, bx, px = x0 + rng.normal(0, 800, 3)
        ay, by, py = y0 + rng.normal(0, 800, 3)
        if rng.random() < 0.1:
            bx, by = ax, ay
        want = shapely.distance(Point(px, py), LineString([(ax, ay), (bx, by)]))
        assert segment_distance(px, py, ax, ay, bx, by) == want


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.tuples(_coordinate, _coordinate, _coordinate, _coordinate), min_size=1, max_size=12),
    st.lists(st.tuples(_coordinate, _coordinate.map(lambda v: v * 3)), min_size=1, max_size=10),
    st.sampled_from([0.0, 40.0, 500.0]),
)
def test_the_grid_answers_alike_at_any_cell_size(
    segments: list[tuple[float, float, float, float]], points: list[tuple[float, float]], reach: float
) -> None:
    from coverage_gis._fiber_grid import SegmentGrid, segment_distance

    # Segments from vertex 2i to vertex 2i + 1 (some of them points: the same vertex twice).
    xy = np.array([v for ax, ay, bx, by in segments for v in ((ax, ay), (bx, by))])
    a = np.arange(0, len(xy), 2)
    b = np.where(np.arange(len(segments)) % 4 == 3, a, a + 1)
    bits = 1 << (np.arange(len(segments)) % 5)
    px, py = np.array(points).T
    matrix = np.array(
        [[segment_distance(x, y, *xy[i], *xy[j]) for i, j in zip(a, b, strict=True)] for x, y in points]
    )
    nearest = matrix.min(axis=1)
    found = np.bitwise_or.reduce(np.where(matrix <= reach, bits[None, :], 0), axis=1)
    # 1 m cells over a few kilometres: more than MAX_CELLS, so the cell side doubles.
    for cell_m in (1.0, 37.0, 1000.0, 1e6):
        grid = SegmentGrid.build(xy[:, 0], xy[:, 1], a, b, bits, cell_m)
        distance, operators = grid.within(px, py, reach)
        assert distance.tolist() == np.where(nearest <= reach, nearest, np.inf).tolist()
        assert operators.tolist() == found.tolist()
        assert grid.nearest(px, py).tolist() == nearest.tolist()


def test_a_polygon_at_exactly_the_reach_gives_its_operator() -> None:
    """Fails if a village whose nearest route (a polygon, measured by GEOS) lies at exactly
    the reach gets FTTH without the route's operator: GEOS's ``dwithin`` said no at that
    distance where its ``distance`` is within reach (a case Hypothesis found)."""
    polygon = Polygon(_lonlat((13, 1486), (313, 1486), (13, 1686)))
    routes = _frame([polygon], ["Viettel"], route=True)
    x, y = _xy((13.0, 743.0))
    reach = float(shapely.distance(shapely.points(x, y), _to_metric(np.array([polygon]), METRIC))[0])
    _same_as_geos(routes, None, x, y, reach)
    result = FiberIndex.from_layers(routes, None, metric_crs=METRIC).coverage(x, y, reach)
    assert result.ftth.tolist() == [True]
    assert result.operator_bits.tolist() == operator_bits(np.array(["Viettel"])).tolist()
