"""Along-road distances for fiber extensions, on a hand-made road graph."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
import shapely
from scipy.spatial import cKDTree

from coverage_gis.routing import RoadGraph, distances_from_network_m


def _roads() -> RoadGraph:
    # Road A: nodes 1-2-3 along y=0 (x = 0, 1000, 2000). Road B: node 4 at (2000, 500),
    # a dead end connected to nothing. Fiber runs near node 1 and, closer to the village,
    # along road B — which does not lead anywhere.
    graph = nx.Graph()
    graph.add_edge(1, 2, length=1000.0)
    graph.add_edge(2, 3, length=1000.0)
    graph.add_node(4)
    ids = np.array([1, 2, 3, 4])
    xy = np.array([[0.0, 0.0], [1000.0, 0.0], [2000.0, 0.0], [2000.0, 500.0]])
    return RoadGraph(graph=graph, node_ids=ids, tree=cKDTree(xy))


def test_extension_follows_roads_to_the_network() -> None:
    fiber = np.array([shapely.Point(0, 100)])  # 100 m from node 1
    dist = distances_from_network_m(_roads(), fiber)
    # Village 50 m from node 3: 50 + 1000 + 1000 along road + 100 leg to the fiber.
    assert dist.from_point_m((2000.0, -50.0)) == pytest.approx(2150.0)
    assert 4 not in dist.by_node


def test_unconnected_network_gives_infinity() -> None:
    fiber = np.array([shapely.Point(2000, 600)])  # near the dead-end node 4 only
    dist = distances_from_network_m(_roads(), fiber)
    assert dist.from_point_m((1000.0, 10.0)) == float("inf")
    assert dist.from_point_m((2000.0, 520.0)) == pytest.approx(20.0 + 100.0)


def test_no_fiber_within_snap_distance() -> None:
    dist = distances_from_network_m(_roads(), np.array([shapely.Point(9000, 9000)]))
    assert dist.by_node == {}
    assert dist.from_point_m((0.0, 0.0)) == float("inf")
    assert not any(n < 0 for n in _roads().graph.nodes)


def test_route_is_the_measured_path() -> None:
    fiber = np.array([shapely.Point(0, 100)])
    dist = distances_from_network_m(_roads(), fiber)
    route = dist.route_m((2000.0, -50.0))
    assert route is not None
    # Village → node 3 → node 2 → node 1 (where the route meets the network).
    assert route.tolist() == [[2000.0, -50.0], [2000.0, 0.0], [1000.0, 0.0], [0.0, 0.0]]
    length = float(np.sum(np.hypot(*np.diff(route, axis=0).T)))
    assert length + 100.0 == pytest.approx(dist.from_point_m((2000.0, -50.0)))  # + the leg to the fiber


def test_no_route_when_the_road_does_not_reach_the_network() -> None:
    dist = distances_from_network_m(_roads(), np.array([shapely.Point(2000, 600)]))
    assert dist.route_m((1000.0, 10.0)) is None
    assert dist.route_m((2000.0, 520.0)).tolist() == [[2000.0, 520.0], [2000.0, 500.0]]  # type: ignore[union-attr]


def test_the_road_path_names_the_feature_it_reaches() -> None:
    # Feature 0 near node 1 (reached along roads from node 3), feature 1 near the dead-end
    # node 4 only: a village by node 3 is 650 m from feature 1 in a straight line but can
    # only reach feature 0 by road.
    fiber = np.array([shapely.Point(0, 100), shapely.Point(2000, 600)])
    dist = distances_from_network_m(_roads(), fiber)
    assert dist.feature_of_point((2000.0, -50.0)) == 0
    assert dist.from_point_m((2000.0, -50.0)) == pytest.approx(2150.0)
    assert dist.feature_of_point((2000.0, 520.0)) == 1
    assert distances_from_network_m(_roads(), np.array([], dtype=object)).feature_of_point((0.0, 0.0)) == -1
