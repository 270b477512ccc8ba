"""The fiber index (coverage_gis.fiber.FiberIndex) and the batched helpers behind the national compute."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import LineString, Point, Polygon

from coverage_gis.admin import points_in_polygons
from coverage_gis.crs import metric_to_lonlat
from coverage_gis.fiber import FiberIndex, metric_points
from coverage_gis.input_layers import InputLayers
from coverage_gis.mobile import mobile_coverage
from coverage_gis.models import RadiusModel, load_model_settings
from coverage_gis.models.base import BatchedCoverageModel, CandidatePairs, CellArrays, ReceiverArrays
from coverage_gis.models.validity import ValidityReport
from coverage_gis.network import cell_table_or_empty, operator_bits

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


def test_fiber_index_distances_operators_and_gap_reasons() -> None:
    routes, nodes = _fiber()
    index = FiberIndex.from_layers(routes, nodes, metric_crs=METRIC)
    # V1 under the access route (400 m); V2 at the VNPT node, Viettel's 300 m east and
    # the route 400 m north; V3 9 km north (backbone 1 km away, access 8.6 km);
    # V4 30 km north (nothing within 10 km).
    points = metric_points(_villages((0, 0), (3000, 0), (0, 9000), (0, 30000)), METRIC)
    result = index.coverage(points, 500.0)
    np.testing.assert_allclose(result.fiber_distance_m, [400.0, 0.0, 8600.0, 29600.0], atol=1e-6)
    assert result.ftth.tolist() == [True, True, False, False]
    # (V1 sits on the planned route: it counts for nothing.)
    bit = {k: int(operator_bits(np.array([k]))[0]) for k in ("Viettel", "VNPT")}
    assert result.operator_bits.tolist() == [bit["Viettel"], bit["VNPT"] | bit["Viettel"], 0, 0]
    # V3 has fiber (the backbone) within FIBER_PRESENCE_M, V4 none.
    assert result.gap_reason.tolist() == [None, None, "fiber_too_far", "no_fiber_operator"]
    assert index.within_reach(points, 500.0).tolist() == [True, True, False, False]


def test_the_other_routes_are_projected_only_for_a_point_far_from_ftth_fiber() -> None:
    routes, nodes = _fiber()
    index = FiberIndex.from_layers(routes, nodes, metric_crs=METRIC)
    # Every point within FIBER_PRESENCE_M of the access route or a node: the backbone is not asked.
    near = index.coverage(metric_points(_villages((0, 0), (0, 9000)), METRIC), 500.0)
    assert near.gap_reason.tolist() == [None, "fiber_too_far"]
    assert "other_tree" not in vars(index)
    # 11.6 km from the access route, 2 km from the backbone (y = 8 km): present, by the backbone.
    far = index.coverage(metric_points(_villages((0, 12000), (0, 30000)), METRIC), 500.0)
    assert far.gap_reason.tolist() == ["fiber_too_far", "no_fiber_operator"]
    assert "other_tree" in vars(index)


def test_reach_edge_is_inclusive_for_nodes_and_routes() -> None:
    routes, nodes = _fiber()
    index = FiberIndex.from_layers(routes, nodes, metric_crs=METRIC)
    points = metric_points(_villages((3000, -500), (0, 400 - 500), (3000, -501)), METRIC)
    distance = index.nearest_access_m(points)
    reach = float(distance[:2].max())
    # Exactly at the nearest distance is within reach, a hair less reach is not.
    assert index.within_reach(points[:2], reach).all()
    assert not index.within_reach(points[2:], float(distance[2]) - 1e-6).any()
    v, f, _ = index.access_within(points, reach)
    access = np.concatenate([index.shapes, shapely.points(index.point_xy)])
    geos_v, geos_f = shapely.STRtree(access).query(points, predicate="dwithin", distance=reach)
    mine = set(zip(v.tolist(), f.tolist(), strict=True))
    assert mine == set(zip(geos_v.tolist(), geos_f.tolist(), strict=True))


def test_fiber_index_without_fiber_and_missing_points() -> None:
    index = FiberIndex.from_layers(None, None, metric_crs=METRIC)
    points = metric_points(_villages((0, 0)), METRIC)
    result = index.coverage(points, 500.0)
    assert np.isnan(result.fiber_distance_m).all()
    assert np.isnan(index.nearest_access_m(points)).all()
    assert result.gap_reason.tolist() == ["no_fiber_operator"]
    routes, nodes = _fiber()
    full = FiberIndex.from_layers(routes, nodes, metric_crs=METRIC)
    missing = np.array([None, points[0]], dtype=object)
    got = full.coverage(missing, 500.0)
    assert np.isnan(got.fiber_distance_m[0])
    assert np.isclose(got.fiber_distance_m[1], 400.0)
    assert got.ftth.tolist() == [False, True]


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
    points = metric_points(_villages((3100, 0), (0, 1000), (3000, 0), (0, 30000)), METRIC)
    np.testing.assert_allclose(index.nearest_access_m(points), [100.0, 600.0, 0.0, 29600.0], atol=1e-6)
    access = np.concatenate([index.shapes, shapely.points(index.point_xy)])
    (_, _), want = shapely.STRtree(access).query_nearest(points, return_distance=True, all_matches=False)
    assert index.nearest_access_m(points).tolist() == want.tolist()


def test_empty_and_missing_fiber_geometries_count_for_nothing() -> None:
    routes, nodes = _fiber()
    empty = gpd.GeoDataFrame({"operator": ["VNPT"], "status": ["on_air"]}, geometry=[Point()], crs=4326)
    nodes = pd.concat([nodes, empty], ignore_index=True)
    index = FiberIndex.from_layers(routes, nodes, metric_crs=METRIC)
    points = metric_points(_villages((3100, 0)), METRIC)
    np.testing.assert_allclose(index.nearest_access_m(points), [100.0], atol=1e-6)
    assert index.coverage(points, 500.0).ftth.tolist() == [True]


def test_within_reach_is_the_coverage_ftth_and_a_bounded_search_stays_exact_within_its_bound() -> None:
    routes, nodes = _fiber()
    index = FiberIndex.from_layers(routes, nodes, metric_crs=METRIC)
    points = metric_points(_villages((3100, 0), (0, 1000), (3000, 0), (0, 30000), (0, 1400)), METRIC)
    for reach in (50.0, 150.0, 500.0, 700.0):
        assert index.within_reach(points, reach).tolist() == index.coverage(points, reach).ftth.tolist()
    full = index.nearest_access_m(points)
    bounded = index.nearest_access_m(points, 1000.0)
    near = full <= 1000.0
    assert near.tolist() == [True, True, True, False, False]
    assert bounded[near].tolist() == full[near].tolist()
    assert not (bounded[~near] <= 1000.0).any()
