"""Gap lists (coverage_gis.gaps): ranking, candidate sites, fiber extensions, 5G at priority places.

Every expected value is worked out by hand from the fixtures in ``conftest.py``.
"""

from __future__ import annotations

import math
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from coverage_gis.costs import load_costs
from coverage_gis.engine import compute
from coverage_gis.gaps import GAP_COLUMNS, five_g_gaps
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


def test_mobile_gap_without_network_recommends_a_new_site(tmp_path: Path) -> None:
    gaps = compute(_villages_only(tmp_path / "ws")).gaps("mobile").set_index("id")
    a, d = gaps.loc["A"], gaps.loc["D"]
    assert a["reason"] == "no_site_in_range"
    assert a["detail"] == "no on-air broadband site"
    assert a["recommendation"] == "new 4G site at the candidate point"
    assert a["power_need"] == "grid"
    assert a["cost_vnd"] == COSTS.new_site_vnd + COSTS.grid_connected_power_vnd
    assert pd.isna(a["distance_m"])
    assert d["reason"] == "no_grid_power"
    assert d["power_need"] == "solar_hybrid"
    assert d["cost_vnd"] == COSTS.new_site_vnd + COSTS.solar_hybrid_power_vnd
    assert (a["population"], a["households"], a["commune_name"]) == (300, 75, "Xã Thử Nghiệm")


def test_planned_site_gap_points_at_the_planned_site(tiny_ws: Workspace) -> None:
    (gap,) = compute(tiny_ws).gaps("mobile").to_dict(orient="records")
    assert (gap["id"], gap["reason"]) == ("V2", "planned_site_not_on_air")
    assert gap["recommendation"] == "put planned site S2 on air"
    assert gap["power_need"] == "existing"
    assert gap["cost_vnd"] == COSTS.activate_planned_site_vnd
    s2 = at(9000, 0)
    assert (gap["candidate_lon"], gap["candidate_lat"]) == pytest.approx((s2.x, s2.y), abs=1e-9)
    assert gap["distance_m"] == pytest.approx(6000.0, abs=0.01)  # S1's broadband cells
    assert gap["detail"] == "nearest on-air broadband site S1 at 6.0 km"
    assert list(compute(tiny_ws, write=False).gaps("mobile").columns[:-1]) == list(GAP_COLUMNS)


def test_ftth_gap_extends_from_the_nearest_on_air_fiber(tiny_ws: Workspace) -> None:
    """V2 lies 3,000 m from the backbone R2 (any on-air fiber can be extended) and 5,009 m
    from access fiber; without roads the extension is 3,000 × 1.4 = 4,200 m."""
    (gap,) = compute(tiny_ws).gaps("ftth").to_dict(orient="records")
    assert (gap["id"], gap["reason"]) == ("V2", "fiber_too_far")
    assert gap["distance_m"] == pytest.approx(3000.0, abs=0.01)
    assert gap["road_length_m"] is None or pd.isna(gap["road_length_m"])
    length_km = 3.0 * COSTS.straight_line_detour_factor
    assert gap["cost_vnd"] == pytest.approx(length_km * COSTS.fiber_per_km_vnd + COSTS.splitter_node_vnd)
    assert gap["recommendation"] == (
        "extend access fiber 4.2 km estimated (straight line × detour factor) and install a splitter"
    )
    assert gap["detail"] == f"nearest on-air access fiber at {math.hypot(5000, 300) / 1000:.1f} km"
    v2 = at(6000, 0)
    assert (gap["candidate_lon"], gap["candidate_lat"]) == pytest.approx((v2.x, v2.y), abs=1e-9)


def test_five_g_gaps_at_priority_places(places_ws: Workspace) -> None:
    gaps = compute(places_ws).gaps("5g")
    assert list(gaps["id"]) == ["P1", "P2"]  # P3 in a 5G zone, P5 served by S3, P4 not a priority
    p1, p2 = gaps.to_dict(orient="records")
    assert p1["reason"] == "no_5g (hospital)"
    assert p1["recommendation"] == "add a 5G cell on site S1"
    assert p1["cost_vnd"] == COSTS.add_5g_cell_vnd
    assert p1["distance_m"] == pytest.approx(500.0, abs=0.01)
    assert p2["reason"] == "no_5g (school)"
    assert p2["detail"] == "nearest on-air site S1 at 3.0 km"
    assert p2["recommendation"] == "new 5G small cell or site"
    assert p2["cost_vnd"] == COSTS.new_site_vnd + COSTS.add_5g_cell_vnd
    assert (p1["commune_name"], p1["province_code"]) == ("Xã Thử Nghiệm", "99")
    assert list(gaps["rank"]) == [1, 2]


def test_five_g_gaps_follow_the_plan_categories(places_ws: Workspace) -> None:
    analysis = compute(places_ws)
    facts = analysis.inputs.pois.set_index("poi_id")
    assert facts["has_5g"].to_dict() == {"P1": False, "P2": False, "P3": True, "P4": False, "P5": True}
    only_schools = five_g_gaps(
        analysis.layers.pois,
        analysis.inputs.pois,
        analysis.cells,
        categories=["school"],
        costs=COSTS,
        metric_crs=METRIC,
    )
    assert list(only_schools["id"]) == ["P2"]
