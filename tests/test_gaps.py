"""Gap lists (coverage_gis.gaps): ranking, candidate sites, fiber extensions, 5G at priority places.

Every expected value is worked out by hand from the fixtures in ``conftest.py``.
"""

from __future__ import annotations

import math
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.spatial import cKDTree
from shapely.geometry import LineString

from coverage_gis.costs import load_costs
from coverage_gis.coverage import aligned_coverage
from coverage_gis.crs import lonlat_to_metric
from coverage_gis.engine import compute
from coverage_gis.gaps import GAP_COLUMNS, OnAirSites, five_g_gaps, ftth_gaps, mobile_gaps
from coverage_gis.messages import gap_labels
from coverage_gis.network import cell_table
from coverage_gis.routing import RoadGraph
from coverage_gis.workspace import Workspace

from .conftest import METRIC, at, tiny_layers

COSTS = load_costs()


def _villages_only(folder: Path) -> Workspace:
    """Four villages on one line and no network: every village is a mobile gap.

    A (300 people) at (0, 0), B (100) at (2 km, 0), D (80, no grid power) at (4 km, 0),
    C (50) at (10 km, 0). Greedy grouping within 2.5 km from the most populous gap
    village: {A, B} share a candidate at their population-weighted centre
    (0·300 + 2000·100) / 400 = 500 m; D is 2 km from B but 4 km from A, so it is not
    pulled into A's group (grouping is not transitive) and anchors its own; C is alone.
    """
    layers = tiny_layers()
    layers["villages"] = gpd.GeoDataFrame(
        {
            "village_id": ["A", "B", "C", "D"],
            "name": ["thôn A", "thôn B", "thôn C", "thôn D"],
            "kind": ["thôn"] * 4,
            "province_code": ["99"] * 4,
            "households": [75, 25, 12, 20],
            "population": [300, 100, 50, 80],
            "has_grid_power": [True, True, True, False],
        },
        geometry=[at(0, 0), at(2000, 0), at(10_000, 0), at(4000, 0)],
        crs="EPSG:4326",
    )
    ws = Workspace.create(folder, metric_crs=METRIC, provinces=["99"])
    ws.write_layers({"communes": layers["communes"], "villages": layers["villages"]}, source="villages only")
    return ws


def test_gap_villages_share_candidate_sites_by_greedy_grouping(tmp_path: Path) -> None:
    gaps = compute(_villages_only(tmp_path / "ws")).gaps("mobile").set_index("id")
    assert list(gaps.index) == ["A", "B", "D", "C"]  # most people first
    assert list(gaps["rank"]) == [1, 2, 3, 4]
    for village, (x_m, y_m) in {"A": (500, 0), "B": (500, 0), "D": (4000, 0), "C": (10_000, 0)}.items():
        want = at(x_m, y_m)
        got = (gaps.loc[village, "candidate_lon"], gaps.loc[village, "candidate_lat"])
        assert got == pytest.approx((want.x, want.y), abs=1e-9), village
    # Candidates are numbered by their most populous village: {A, B}, {D}, {C}.
    assert gaps["candidate_id"].to_dict() == {"A": "M1", "B": "M1", "D": "M2", "C": "M3"}
    assert gaps["candidate_villages"].to_dict() == {"A": 2, "B": 2, "D": 1, "C": 1}


def test_one_candidate_site_is_costed_once(tmp_path: Path) -> None:
    # A and B share M1: its cost (new site + grid power) lands on A, the higher-ranked,
    # and B's own cost is 0; both rows carry the candidate's cost. The list's total is
    # the cost of three sites, not four.
    gaps = compute(_villages_only(tmp_path / "ws")).gaps("mobile").set_index("id")
    site = COSTS.new_site_vnd + COSTS.grid_connected_power_vnd
    assert gaps.loc["A", "cost_vnd"] == site
    assert gaps.loc["B", "cost_vnd"] == 0.0
    assert gaps.loc["B", "candidate_cost_vnd"] == site
    assert gaps.loc["A", "recommendation"] == (
        "new 4G site at the candidate point on grid power; one site for 2 gap villages (M1)"
    )
    solar = COSTS.new_site_vnd + COSTS.solar_hybrid_power_vnd
    assert gaps["cost_vnd"].sum() == pytest.approx(2 * site + solar)


def test_a_candidate_keeps_only_the_villages_its_site_serves(tmp_path: Path) -> None:
    # Grouping within 12 km puts all four villages in A's group, centred at
    # (0·300 + 2000·100 + 4000·80 + 10000·50) / 530 = 1924.5 m. The proposed site (an
    # omni 4G 900 MHz reference cell, rural radius 3,180 m under the radius model) serves
    # A (1,924.5 m), B (75.5 m) and D (2,075.5 m) but not C (8,075.5 m): C gets a site of
    # its own, at itself. D has no grid power, so M1 needs solar/hybrid power.
    analysis = compute(_villages_only(tmp_path / "ws"))
    coverage = aligned_coverage(analysis.coverage, analysis.layers.villages)
    gaps = mobile_gaps(
        analysis.layers.villages,
        coverage,
        analysis.inputs.villages,
        analysis.cells,
        model=analysis.model,
        costs=COSTS,
        metric_crs=METRIC,
        communes=analysis.layers.communes,
        cluster_radius_m=12_000.0,
    ).set_index("id")
    assert gaps["candidate_id"].to_dict() == {"A": "M1", "B": "M1", "D": "M1", "C": "M2"}
    centre = at(1924.5283, 0)
    assert (gaps.loc["D", "candidate_lon"], gaps.loc["D", "candidate_lat"]) == pytest.approx(
        (centre.x, centre.y), abs=1e-9
    )
    c = at(10_000, 0)
    assert (gaps.loc["C", "candidate_lon"], gaps.loc["C", "candidate_lat"]) == pytest.approx(
        (c.x, c.y), abs=1e-9
    )
    assert gaps.loc["A", "power_need"] == "solar_hybrid"
    assert gaps.loc["A", "cost_vnd"] == COSTS.new_site_vnd + COSTS.solar_hybrid_power_vnd
    assert (gaps.loc["B", "cost_vnd"], gaps.loc["D", "cost_vnd"]) == (0.0, 0.0)
    assert gaps.loc["C", "cost_vnd"] == COSTS.new_site_vnd + COSTS.grid_connected_power_vnd


def test_a_2g_mast_in_reach_is_upgraded_rather_than_a_new_site_built(tmp_path: Path) -> None:
    # A 2G-only mast 200 m from C: its 2G cell gives C no broadband, but a 4G 900 MHz cell
    # on it (rural radius 3,180 m under the radius model) would; it is 6.2 km from D.
    ws = _villages_only(tmp_path / "ws")
    mast = gpd.GeoDataFrame(
        {"site_id": ["OLD"], "status": ["on_air"], "height_m": [30.0]},
        geometry=[at(10_200, 0)],
        crs="EPSG:4326",
    )
    cell = pd.DataFrame(
        {
            "cell_id": ["OLD-2G"],
            "site_id": ["OLD"],
            "operator": ["Viettel"],
            "tech": ["2G"],
            "band_mhz": [900.0],
            "status": ["on_air"],
        }
    )
    ws.write_layers({"sites": mast, "cells": cell}, source="a 2G mast")
    gaps = compute(ws).gaps("mobile").set_index("id")
    assert gaps["candidate_id"].to_dict() == {"A": "M1", "B": "M1", "D": "M2", "C": "OLD"}
    c = gaps.loc["C"]
    assert c["recommendation"] == "add a 4G cell on on-air site OLD (share or upgrade its mast)"
    assert (c["power_need"], c["cost_vnd"]) == ("existing", COSTS.colocation_vnd)
    assert (c["candidate_lon"], c["candidate_lat"]) == pytest.approx(
        (at(10_200, 0).x, at(10_200, 0).y), abs=1e-9
    )
    assert gap_labels(gaps.loc[["C"]], "vi")["recommendation"].tolist() == [
        "Lắp thêm cell 4G trên trạm đang phát sóng OLD (dùng chung hoặc nâng cấp cột)"
    ]


def test_mobile_gap_reasons_and_power_need_are_separate(tmp_path: Path) -> None:
    gaps = compute(_villages_only(tmp_path / "ws")).gaps("mobile").set_index("id")
    a, d = gaps.loc["A"], gaps.loc["D"]
    assert a["reason"] == "no_site_in_range"
    assert a["reasons"] == "no_site_in_range"
    assert a["detail"] == "no on-air broadband site"
    assert a["power_need"] == "grid"
    assert pd.isna(a["distance_m"])
    assert (a["population"], a["households"], a["commune_name"]) == (300, 75, "Xã Thử Nghiệm")
    # D: the main cause no_grid_power, both causes kept; the power need drives the cost.
    assert d["reason"] == "no_grid_power"
    assert d["reasons"] == "no_site_in_range,no_grid_power"
    assert d["power_need"] == "solar_hybrid"
    assert d["recommendation"] == (
        "new 4G site at the candidate point with solar/hybrid power (no grid power at the village)"
    )
    assert d["cost_vnd"] == COSTS.new_site_vnd + COSTS.solar_hybrid_power_vnd


def test_a_terrain_shadow_keeps_the_power_need(tiny: dict[str, pd.DataFrame]) -> None:
    # The recommendation combines the causes with the power need: a shadowed village
    # without grid power still needs solar/hybrid power.
    from coverage_gis.gaps.mobile import _Candidate, _mobile_recommendation

    cand = _Candidate("M1", 0.0, 0.0, [0], "solar_hybrid", 0.0)
    assert _mobile_recommendation(cand, "terrain_shadow,no_grid_power") == (
        "new 4G site (or repeater) with line of sight to the village "
        "with solar/hybrid power (no grid power at the village)"
    )


def test_planned_site_gap_points_at_the_planned_site(tiny_ws: Workspace) -> None:
    (gap,) = compute(tiny_ws).gaps("mobile").to_dict(orient="records")
    assert (gap["id"], gap["reason"]) == ("V2", "planned_site_not_on_air")
    assert gap["reasons"] == "planned_site_not_on_air,no_grid_power"
    assert gap["recommendation"] == "put planned site S2 on air"
    assert gap["candidate_id"] == "S2"
    assert gap["power_need"] == "existing"  # S2 itself has grid power
    assert gap["cost_vnd"] == COSTS.activate_planned_site_vnd
    s2 = at(9000, 0)
    assert (gap["candidate_lon"], gap["candidate_lat"]) == pytest.approx((s2.x, s2.y), abs=1e-9)
    assert gap["distance_m"] == pytest.approx(6000.0, abs=0.01)  # S1's broadband cells
    assert gap["detail"] == "nearest on-air broadband site S1 at 6.0 km"
    assert list(compute(tiny_ws, write=False).gaps("mobile").columns[:-1]) == list(GAP_COLUMNS)


def test_ftth_gap_names_the_asset_it_taps(tiny_ws: Workspace) -> None:
    """V2 at (6000, 0). Taps: splitter N1 (VNPT) at (1000, 300), hypot(5000, 300) =
    5,009.0 m away; access route R1 (Viettel) at y = 4,168.9, 7,224 m away. The backbone
    R2, 3,000 m away, has no node on it and is no tap. Without roads the extension is
    5,009.0 × 1.4 = 7,012.6 m; VNPT has no OLT on air, so one is added."""
    (gap,) = compute(tiny_ws).gaps("ftth").to_dict(orient="records")
    assert (gap["id"], gap["reason"]) == ("V2", "fiber_too_far")
    assert (gap["tap_id"], gap["tap_operator"], gap["tap_class"], gap["tap_node_kind"]) == (
        "N1",
        "VNPT",
        "node",
        "splitter",
    )
    straight = math.hypot(5000, 300)
    assert gap["distance_m"] == pytest.approx(straight, abs=0.01)
    assert gap["road_length_m"] is None or pd.isna(gap["road_length_m"])
    length_km = straight / 1000 * COSTS.straight_line_detour_factor
    assert gap["cost_vnd"] == pytest.approx(
        length_km * COSTS.fiber_per_km_vnd + COSTS.splitter_node_vnd + COSTS.olt_node_vnd
    )
    assert gap["recommendation"] == (
        "extend VNPT fiber 7.0 km estimated (straight line × detour factor) from N1 and install a splitter"
        "; add an OLT (VNPT has none on air)"
    )
    assert gap["detail"] == "taps VNPT splitter node N1: 5.0 km in a straight line; no VNPT OLT on air"
    assert gap["olt_id"] is None
    assert gap["within_pon_reach"] is False
    v2 = at(6000, 0)
    assert (gap["candidate_lon"], gap["candidate_lat"]) == pytest.approx((v2.x, v2.y), abs=1e-9)


def test_ftth_gap_taps_planned_fiber_nearer_than_fiber_on_air(tiny_ws: Workspace) -> None:
    """A planned Viettel access route 800 m north of V2 (the splitter on air is 5,009 m
    away): the extension waits for it, 800 × 1.4 = 1,120 m; Viettel has no OLT on air."""
    routes = tiny_ws.read_layer("fiber_routes")
    planned = gpd.GeoDataFrame(
        {"route_id": ["R9"], "operator": ["Viettel"], "class": ["access"], "status": ["planned"]},
        geometry=[LineString([at(5000, 800), at(7000, 800)])],
        crs="EPSG:4326",
    )
    tiny_ws.write_layers({"fiber_routes": pd.concat([routes, planned], ignore_index=True)})
    (gap,) = compute(tiny_ws).gaps("ftth").to_dict(orient="records")
    assert (gap["id"], gap["tap_id"], gap["tap_class"], gap["tap_status"]) == (
        "V2",
        "R9",
        "access",
        "planned",
    )
    assert gap["distance_m"] == pytest.approx(800.0, abs=0.01)
    assert gap["recommendation"] == (
        "extend Viettel fiber 1.1 km estimated (straight line × detour factor) from planned R9 once it is "
        "on air and install a splitter; add an OLT (Viettel has none on air)"
    )
    assert gap["detail"].startswith("taps planned Viettel access route R9: 0.8 km in a straight line")
    assert gap_labels(pd.DataFrame([gap]), "vi")["recommendation"].tolist() == [
        "Kéo cáp quang truy nhập (cách 0,8 km theo đường chim bay) từ R9 của Viettel (quy hoạch) khi tuyến "
        "này đưa vào khai thác và lắp bộ chia quang; bổ sung OLT trong tầm PON"
    ]


def _with_nodes(folder: Path, **nodes: tuple[str, str, tuple[float, float]]) -> Workspace:
    layers = tiny_layers()
    extra = gpd.GeoDataFrame(
        {
            "node_id": list(nodes),
            "operator": [n[0] for n in nodes.values()],
            "kind": [n[1] for n in nodes.values()],
            "status": ["on_air"] * len(nodes),
        },
        geometry=[at(*n[2]) for n in nodes.values()],
        crs="EPSG:4326",
    )
    layers["fiber_nodes"] = pd.concat([layers["fiber_nodes"], extra], ignore_index=True)
    ws = Workspace.create(folder, metric_crs=METRIC, provinces=["99"])
    ws.write_layers(layers, source="tiny fixture with nodes")
    return ws


def test_a_backbone_counts_at_its_node_and_the_olt_is_within_pon_reach(tmp_path: Path) -> None:
    # A VNPT OLT O1 stands on the backbone R2 at (3000, -2000): hypot(3000, 2000) =
    # 3,605.6 m from V2, nearer than N1: the extension taps O1, which is also the PON's
    # OLT, 3,605.6 × 1.4 = 5,047.8 m away (estimated): within the 20 km reach.
    (gap,) = (
        compute(_with_nodes(tmp_path / "ws", O1=("VNPT", "olt", (3000, -2000))))
        .gaps("ftth")
        .to_dict(orient="records")
    )
    straight = math.hypot(3000, 2000)
    assert (gap["tap_id"], gap["tap_class"], gap["tap_node_kind"]) == ("O1", "node", "olt")
    assert gap["distance_m"] == pytest.approx(straight, abs=0.01)
    assert gap["olt_id"] == "O1"
    assert gap["olt_distance_m"] == pytest.approx(straight * 1.4, abs=0.01)
    assert gap["within_pon_reach"] is True
    assert gap["cost_vnd"] == pytest.approx(
        straight * 1.4 / 1000 * COSTS.fiber_per_km_vnd + COSTS.splitter_node_vnd
    )
    assert gap["detail"] == (
        "taps VNPT olt node O1: 3.6 km in a straight line; "
        "OLT O1 (VNPT) 5.0 km estimated, within the 20 km PON reach"
    )


def test_an_olt_beyond_the_pon_reach_adds_one(tmp_path: Path) -> None:
    # VNPT's only OLT O2 is 16 km north of V2: 16,000 × 1.4 = 22.4 km > 20 km.
    ws = _with_nodes(tmp_path / "ws", O2=("VNPT", "olt", (6000, 16_000)))
    (gap,) = compute(ws).gaps("ftth").to_dict(orient="records")
    assert gap["tap_id"] == "N1"
    assert gap["olt_id"] == "O2"
    assert gap["olt_distance_m"] == pytest.approx(22_400.0, abs=0.01)
    assert gap["within_pon_reach"] is False
    assert gap["recommendation"].endswith(
        "; add an OLT nearer the village (beyond the 20 km PON reach of O2)"
    )
    assert gap["cost_vnd"] == pytest.approx(
        math.hypot(5000, 300) * 1.4 / 1000 * COSTS.fiber_per_km_vnd
        + COSTS.splitter_node_vnd
        + COSTS.olt_node_vnd
    )


def test_along_roads_the_extension_taps_the_asset_the_road_reaches(tiny_ws: Workspace) -> None:
    # Roads (metres from the origin): 1-2-3 along y = 0 at x = 5000, 5500, 6000 and a
    # dead end 4 at (7000, 200). N1 (VNPT splitter) at (1000, 300) is out of the roads'
    # snap distance; a Viettel splitter T at (5000, 100) is 100 m from node 1, and a VNPT
    # splitter U at (7000, 300), 100 m from the dead end, is nearer V2 (hypot(1000, 300)
    # = 1,044.0 m) in a straight line. Along roads V2 (on node 3) reaches only T:
    # 0 + 1000 + 100 = 1,100 m; the extension taps T, hypot(1000, 100) = 1,005.0 m away.
    ws = _with_nodes(
        tiny_ws.path.parent / "roads",
        T=("Viettel", "splitter", (5000, 100)),
        U=("VNPT", "splitter", (7000, 300)),
    )
    analysis = compute(ws)
    x0, y0 = lonlat_to_metric(np.array([at(0, 0).x]), np.array([at(0, 0).y]), METRIC)
    graph = nx.Graph()
    graph.add_edge(1, 2, length=500.0)
    graph.add_edge(2, 3, length=500.0)
    graph.add_node(4)
    xy = np.array([[5000.0, 0.0], [5500.0, 0.0], [6000.0, 0.0], [7000.0, 200.0]]) + np.array([x0[0], y0[0]])
    roads = RoadGraph(graph=graph, node_ids=np.array([1, 2, 3, 4]), tree=cKDTree(xy))
    coverage = aligned_coverage(analysis.coverage, analysis.layers.villages)
    (gap,) = ftth_gaps(
        analysis.layers.villages,
        coverage,
        analysis.inputs.villages,
        analysis.layers.fiber_routes,
        analysis.layers.fiber_nodes,
        costs=COSTS,
        metric_crs=METRIC,
        roads=roads,
    ).to_dict(orient="records")
    assert gap["tap_id"] == "T"
    assert gap["road_length_m"] == pytest.approx(1100.0, abs=0.01)
    assert gap["distance_m"] == pytest.approx(math.hypot(1000, 100), abs=0.01)
    assert gap["detail"].startswith(
        "taps Viettel splitter node T: 1.0 km in a straight line, 1.1 km along roads"
    )


def test_five_g_gaps_at_priority_places(places_ws: Workspace) -> None:
    # Viettel's 5G band here is 3500 MHz (S3's cell). P1 hospital is 500 m from S1: a
    # Viettel 5G sector turned toward it (rural, radius 2,130 m) serves it. P2 school is
    # 3 km from S1 and 14 km from S3: beyond every 5G reach, so a new site.
    gaps = compute(places_ws).gaps("5g")
    assert list(gaps["id"]) == ["P1", "P2"]  # P3 in a 5G zone, P5 served by S3, P4 not a priority
    p1, p2 = gaps.to_dict(orient="records")
    assert p1["reason"] == "no_5g (hospital)"
    assert (
        p1["recommendation"]
        == "add a 5G cell (Viettel, 3500 MHz) on site S1, sector toward the place 0.5 km away"
    )
    assert p1["cost_vnd"] == COSTS.add_5g_cell_vnd
    assert p1["distance_m"] == pytest.approx(500.0, abs=0.01)
    assert p2["reason"] == "no_5g (school)"
    assert p2["detail"] == "nearest on-air site S1 at 3.0 km"
    assert p2["recommendation"] == "new 5G small cell or site"
    assert p2["cost_vnd"] == COSTS.new_site_vnd + COSTS.add_5g_cell_vnd
    assert (p1["commune_name"], p1["province_code"]) == ("Xã Thử Nghiệm", "99")
    assert list(gaps["rank"]) == [1, 2]


def test_a_5g_cell_on_a_site_only_within_the_models_own_5g_reach(places_ws: Workspace) -> None:
    # The rule is the model's own 5G reach, not a fixed distance: a place 2,100 m from S1
    # is within the rural 5G 3500 MHz radius (2,130 m) of a sector turned toward it, one
    # 2,200 m away is not.
    analysis = compute(places_ws)
    for distance, on_site in ((2100.0, True), (2200.0, False)):
        pois = gpd.GeoDataFrame(
            {"poi_id": ["Q"], "name": ["Bệnh viện Q"], "category": ["hospital"]},
            geometry=[at(distance, 0)],
            crs="EPSG:4326",
        )
        facts = pd.DataFrame({"poi_id": ["Q"], "category": ["hospital"], "has_5g": [False]})
        (gap,) = five_g_gaps(
            pois,
            facts,
            analysis.cells,
            model=analysis.model,
            categories=["hospital"],
            costs=COSTS,
            metric_crs=METRIC,
        ).to_dict(orient="records")
        assert gap["recommendation"].startswith("add a 5G cell") is on_site, distance


def test_five_g_gaps_follow_the_plan_categories(places_ws: Workspace) -> None:
    analysis = compute(places_ws)
    facts = analysis.inputs.pois.set_index("poi_id")
    assert facts["has_5g"].to_dict() == {"P1": False, "P2": False, "P3": True, "P4": False, "P5": True}
    only_schools = five_g_gaps(
        analysis.layers.pois,
        analysis.inputs.pois,
        analysis.cells,
        model=analysis.model,
        categories=["school"],
        costs=COSTS,
        metric_crs=METRIC,
    )
    assert list(only_schools["id"]) == ["P2"]


@settings(max_examples=40, deadline=None)
@given(
    site_status=st.lists(st.sampled_from(["on_air", "planned", "decommissioned"]), min_size=1, max_size=6),
    cells=st.lists(
        st.tuples(
            st.integers(0, 5),
            st.sampled_from(["Viettel", "VNPT", "MobiFone", "Vietnamobile"]),
            st.sampled_from(["on_air", "planned"]),
        ),
        min_size=1,
        max_size=14,
    ),
    heights=st.lists(st.one_of(st.floats(5, 80), st.just(float("nan"))), min_size=6, max_size=6),
)
def test_on_air_sites_are_grouped_as_one_loop_per_site_would(
    site_status: list[str], cells: list[tuple[int, str, str]], heights: list[float]
) -> None:
    n = len(site_status)
    sites = gpd.GeoDataFrame(
        {
            "site_id": [f"S{i}" for i in range(n)],
            "status": site_status,
            "height_m": heights[:n],
            "environment": ["rural"] * n,
        },
        geometry=[at(500.0 * i, 0) for i in range(n)],
        crs="EPSG:4326",
    )
    frame = pd.DataFrame(
        {
            "cell_id": [f"C{k}" for k in range(len(cells))],
            "site_id": [f"S{s % n}" for s, _, _ in cells],
            "operator": [op for _, op, _ in cells],
            "tech": ["4G"] * len(cells),
            "status": [status for _, _, status in cells],
        }
    )
    table = cell_table(sites, frame, communes=None, metric_crs=METRIC)
    found = OnAirSites.of(table)
    live = table.subset(table.on_air)
    assert list(found.site_ids) == sorted(set(live.site_id))
    for j, site in enumerate(found.site_ids):
        mine = live.site_id == site
        assert found.operators(j) == sorted(set(live.operator[mine]))
        np.testing.assert_array_equal(found.height_m[j], live.arrays.height_m[mine].max())
        first = int(np.flatnonzero(mine)[0])
        assert (found.x_m[j], found.y_m[j]) == (live.arrays.x_m[first], live.arrays.y_m[first])
