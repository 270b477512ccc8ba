"""Fiber routing on tiny road graphs: shortest path, shared trunk, unreachable villages."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import Point

from coverage_gis.costs import load_costs
from coverage_gis.planning.fiber import RoadCSR, steiner_connect
from coverage_gis.planning.fiber_plan import plan_fiber
from tests.conftest import METRIC, at


def _roads() -> RoadCSR:
    """Fiber at node 0. Two ways to node 3: 0-1-3 (1,000 + 1,000 m) or 0-2-3 (500 + 2,000 m).
    Node 3 is a junction: 3-4 and 3-5 (1,000 m each) lead to two villages. Node 6-7 are an
    island (no road to fiber)."""
    x = np.array([0, 1000, 500, 2000, 3000, 2000, 9000, 9500], dtype=float)
    y = np.array([0, 0, 500, 0, 0, 1000, 9000, 9000], dtype=float)
    u = np.array([0, 1, 0, 2, 3, 3, 6])
    v = np.array([1, 3, 2, 3, 4, 5, 7])
    length = np.array([1000, 1000, 500, 2000, 1000, 1000, 500], dtype=float)
    return RoadCSR.from_edges(x, y, u, v, length)


def test_shortest_path_along_roads() -> None:
    tree = steiner_connect(
        _roads(),
        start_nodes=np.array([0]),
        start_legs_m=np.array([0.0]),
        terminal_nodes=np.array([3]),
        terminal_legs_m=np.array([50.0]),
    )
    (branch,) = tree.branches
    assert branch.nodes.tolist() == [0, 1, 3]
    assert branch.road_m == pytest.approx(2000.0)
    assert branch.length_m == pytest.approx(2050.0)


def test_nearby_villages_share_the_trunk() -> None:
    tree = steiner_connect(
        _roads(),
        start_nodes=np.array([0]),
        start_legs_m=np.array([10.0]),
        terminal_nodes=np.array([4, 5]),
        terminal_legs_m=np.array([0.0, 0.0]),
    )
    first, second = tree.branches
    assert first.nodes.tolist() == [0, 1, 3, 4]
    assert first.attach_branch == -1
    # The second village branches off the first connection at the junction: 1,000 m, not 3,000.
    assert second.nodes.tolist() == [3, 5]
    assert second.attach_branch == 0
    assert second.road_m == pytest.approx(1000.0)
    # The trunk 0-1-3 (and the network leg) carries both villages; the spurs one each.
    assert tree.edge_users[0].tolist() == [2, 2, 1]
    assert tree.edge_users[1].tolist() == [1]
    assert tree.leg_users.tolist() == [2, 0]
    total = sum(b.length_m for b in tree.branches)
    assert total == pytest.approx(10.0 + 3000.0 + 1000.0)  # vs 6,020 m without sharing


def test_village_on_the_new_cable_needs_only_its_own_leg() -> None:
    # Node 1 lies on the path to node 3: once 3 is connected, the village at 1 adds its leg only.
    tree = steiner_connect(
        _roads(),
        start_nodes=np.array([0]),
        start_legs_m=np.array([0.0]),
        terminal_nodes=np.array([3, 1]),
        terminal_legs_m=np.array([0.0, 70.0]),
    )
    assert [b.terminal for b in tree.branches] == [1, 0]
    # Village at node 1 goes first (1,000 m); the one at node 3 then extends it.
    assert tree.branches[1].nodes.tolist() == [1, 3]
    assert tree.branches[1].attach_branch == 0
    tree = steiner_connect(
        _roads(),
        start_nodes=np.array([0]),
        start_legs_m=np.array([0.0]),
        terminal_nodes=np.array([3, 1]),
        terminal_legs_m=np.array([0.0, 5000.0]),
    )
    second = tree.branches[1]
    assert second.terminal == 1
    assert second.nodes.tolist() == [1]
    assert second.road_m == 0.0
    assert second.attach_branch == 0
    assert second.length_m == pytest.approx(5000.0)


def test_village_on_an_island_is_unreachable() -> None:
    tree = steiner_connect(
        _roads(),
        start_nodes=np.array([0]),
        start_legs_m=np.array([0.0]),
        terminal_nodes=np.array([7, 4]),
        terminal_legs_m=np.array([0.0, 0.0]),
    )
    assert tree.unreachable.tolist() == [0]
    assert [b.terminal for b in tree.branches] == [1]


def test_without_roads_straight_lines_are_flagged_and_shared() -> None:
    costs = load_costs()
    # Fiber node at the origin; village A 1,000 m east, village B 1,300 m east: B hangs from A's line.
    villages = gpd.GeoDataFrame(
        {"village_id": ["A", "B"]}, geometry=[at(1000, 0), at(1300, 0)], crs="EPSG:4326"
    )
    fiber = gpd.GeoSeries([at(0, 0)], crs="EPSG:4326")
    plan = plan_fiber(villages, fiber, metric_crs=METRIC, costs=costs, roads=None)
    rows = plan.branches.set_index("village_id")
    assert rows["straight_line"].all()
    assert rows.loc["A", "parent_branch"] is None
    assert rows.loc["B", "parent_branch"] == rows.loc["A", "branch_id"]
    factor = costs.straight_line_detour_factor
    assert rows.loc["A", "length_m"] == pytest.approx(1000.0 * factor, rel=1e-6)
    assert rows.loc["B", "length_m"] == pytest.approx(300.0 * factor, rel=1e-6)
    assert rows.loc["A", "cost_vnd"] == pytest.approx(
        1.0 * factor * costs.fiber_per_km_vnd + costs.splitter_node_vnd, rel=1e-6
    )


def test_no_fiber_at_all_means_backhaul() -> None:
    villages = gpd.GeoDataFrame({"village_id": ["A"]}, geometry=[Point(109.0, 14.0)], crs="EPSG:4326")
    plan = plan_fiber(
        villages, gpd.GeoSeries([], crs="EPSG:4326"), metric_crs=METRIC, costs=load_costs(), roads=None
    )
    assert plan.no_fiber == ("A",)
    assert len(plan.branches) == 0
