"""Shared fixtures: a tiny hand-checkable network (3 villages, 2 sites) in a workspace."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import LineString, Point, box

from coverage_gis.crs import lonlat_to_metric, metric_to_lonlat
from coverage_gis.workspace import Workspace


@pytest.fixture(autouse=True)
def _english_cli(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI speaks the language of COVGIS_LANG (else the locale): tests that read its
    English sentences do not depend on the machine's locale; language tests set their own."""
    monkeypatch.setenv("COVGIS_LANG", "en")


METRIC = "EPSG:32649"
ORIGIN_LONLAT = (109.0, 14.0)


def _origin_m() -> tuple[float, float]:
    x, y = lonlat_to_metric(np.array([ORIGIN_LONLAT[0]]), np.array([ORIGIN_LONLAT[1]]), METRIC)
    return float(x[0]), float(y[0])


def at(dx_m: float, dy_m: float) -> Point:
    """A lon/lat point ``dx_m`` east and ``dy_m`` north of the origin (exact in UTM 49N)."""
    x0, y0 = _origin_m()
    lon, lat = metric_to_lonlat(np.array([x0 + dx_m]), np.array([y0 + dy_m]), METRIC)
    return Point(float(lon[0]), float(lat[0]))


def tiny_layers() -> dict[str, pd.DataFrame]:
    """Three villages, an on-air shared site at the origin and a planned site 9 km east.

    Radius model (shipped table), omni cells: rural 4G 700 MHz radius 3,670 m, rural
    2G 900 MHz radius 8,620 m:
    - V1 at (1000, 0): 1,000 m from S1 → mobile; fiber node 300 m away → FTTH.
    - V2 at (6000, 0): 6,000 m from S1 (out of 4G, within 2G), 3,000 m from planned S2
      → gap ``planned_site_not_on_air``; nearest fiber (the node) ≈ 5,009 m →
      ``fiber_too_far``.
    - V3 at (0, 3669): 3,669 m from S1 → mobile; access route 499.9 m north → FTTH.
    """
    corners = [at(-20_000, -20_000), at(20_000, 20_000)]
    commune = box(corners[0].x, corners[0].y, corners[1].x, corners[1].y)
    communes = gpd.GeoDataFrame(
        {
            "census_commune_id": ["9990101"],
            "commune_code": ["99901"],
            "commune_name": ["Xã Thử Nghiệm"],
            "district_code": ["999"],
            "district_name": ["Huyện Mẫu"],
            "province_code": ["99"],
            "province_name": ["Tỉnh Mẫu"],
            "pop_2009": [350],
            "environment": ["rural"],
            "new_province_code": ["98"],
            "new_province_name": ["Tỉnh Mới"],
            "new_commune_code": ["99800"],
            "new_commune_name": ["Xã Mới"],
        },
        geometry=[commune],
        crs="EPSG:4326",
    )
    villages = gpd.GeoDataFrame(
        {
            "village_id": ["V1", "V2", "V3"],
            "name": ["thôn 1", "làng O2", "thôn 3"],
            "kind": ["thôn", "làng", "thôn"],
            "commune_code": ["99901"] * 3,
            "census_commune_id": ["9990101"] * 3,
            "district_code": ["999"] * 3,
            "province_code": ["99"] * 3,
            "households": [25, 50, 12],
            "population": [100, 200, 50],
            "has_grid_power": [True, False, True],
        },
        geometry=[at(1000, 0), at(6000, 0), at(0, 3669)],
        crs="EPSG:4326",
    )
    sites = gpd.GeoDataFrame(
        {
            "site_id": ["S1", "S2"],
            "status": ["on_air", "planned"],
            "height_m": [30.0, 30.0],
            "commissioned": ["2024-03-01", None],
        },
        geometry=[at(0, 0), at(9000, 0)],
        crs="EPSG:4326",
    )
    cells = pd.DataFrame(
        {
            "cell_id": ["S1-VT-4G", "S1-VNPT-4G", "S1-VT-2G", "S2-VT-4G"],
            "site_id": ["S1", "S1", "S1", "S2"],
            "operator": ["Viettel", "VNPT", "Viettel", "Viettel"],
            "tech": ["4G", "4G", "2G", "4G"],
            "band_mhz": [700.0, 700.0, 900.0, 700.0],
            "azimuth_deg": [np.nan] * 4,
            "eirp_dbm": [60.0] * 4,
            "status": ["on_air", "on_air", "on_air", "planned"],
        }
    )
    fiber_nodes = gpd.GeoDataFrame(
        {"node_id": ["N1"], "operator": ["VNPT"], "kind": ["splitter"], "status": ["on_air"]},
        geometry=[at(1000, 300)],
        crs="EPSG:4326",
    )
    fiber_routes = gpd.GeoDataFrame(
        {
            "route_id": ["R1", "R2"],
            "operator": ["Viettel", "VNPT"],
            "class": ["access", "backbone"],
            "status": ["on_air", "on_air"],
        },
        geometry=[
            LineString([at(-100, 4168.9), at(100, 4168.9)]),
            LineString([at(3000, -3000), at(3000, 3000)]),
        ],
        crs="EPSG:4326",
    )
    return {
        "communes": communes,
        "villages": villages,
        "sites": sites,
        "cells": cells,
        "fiber_nodes": fiber_nodes,
        "fiber_routes": fiber_routes,
    }


@pytest.fixture
def tiny() -> dict[str, pd.DataFrame]:
    return tiny_layers()


@pytest.fixture
def tiny_ws(tmp_path: Path) -> Workspace:
    ws = Workspace.create(tmp_path / "ws", metric_crs=METRIC, provinces=["99"])
    ws.write_layers(tiny_layers(), source="tiny fixture")
    return ws


@pytest.fixture
def make_point() -> Callable[[float, float], Point]:
    return at


def tiny_with_places() -> dict[str, pd.DataFrame]:
    """The tiny network plus priority places, a 5G zone, a 5G site and speed tests.

    Default 5G categories (no plan for province 99); 5G 3500 MHz rural radius 2,130 m:
    - P1 hospital at (500, 0): S1 (no 5G) 500 m away → gap, "add a 5G cell on site S1".
    - P2 school at (0, 3000): nearest on-air site S1 at 3 km → gap, "new 5G small cell or site".
    - P3 hospital at (-3000, -3000): inside the on-air 5G zone Z1 → 5G.
    - P4 tourist area at (100, 100): not a priority category → never a gap.
    - P5 hospital at (-10000, 10500): S3's 5G cell 500 m away → 5G.
    Speed tests: mobile 20, 40 and 100 Mbit/s (median 40) and one fixed 300 Mbit/s.
    """
    layers = tiny_layers()
    layers["sites"] = pd.concat(
        [
            layers["sites"],
            gpd.GeoDataFrame(
                {"site_id": ["S3"], "status": ["on_air"], "height_m": [30.0], "commissioned": ["2025-03-01"]},
                geometry=[at(-10_000, 10_000)],
                crs="EPSG:4326",
            ),
        ],
        ignore_index=True,
    )
    layers["cells"] = pd.concat(
        [
            layers["cells"],
            pd.DataFrame(
                {
                    "cell_id": ["S3-VT-5G"],
                    "site_id": ["S3"],
                    "operator": ["Viettel"],
                    "tech": ["5G"],
                    "band_mhz": [3500.0],
                    "azimuth_deg": [np.nan],
                    "eirp_dbm": [60.0],
                    "status": ["on_air"],
                }
            ),
        ],
        ignore_index=True,
    )
    layers["pois"] = gpd.GeoDataFrame(
        {
            "poi_id": ["P1", "P2", "P3", "P4", "P5"],
            "name": ["Bệnh viện 1", "Trường 2", "Bệnh viện 3", "Bãi biển 4", "Bệnh viện 5"],
            "category": ["hospital", "school", "hospital", "tourist_area", "hospital"],
        },
        geometry=[at(500, 0), at(0, 3000), at(-3000, -3000), at(100, 100), at(-10_000, 10_500)],
        crs="EPSG:4326",
    )
    layers["zones_5g"] = gpd.GeoDataFrame(
        {"zone_id": ["Z1"], "operator": ["Viettel"], "status": ["on_air"], "name": ["Vùng 5G"]},
        geometry=[box(at(-3500, -3500).x, at(-3500, -3500).y, at(-2500, -2500).x, at(-2500, -2500).y)],
        crs="EPSG:4326",
    )
    layers["speed_tests"] = gpd.GeoDataFrame(
        {
            "test_id": ["T1", "T2", "T3", "T4"],
            "kind": ["mobile", "mobile", "mobile", "fixed"],
            "tech": ["4G", "4G", "4G", "FTTH"],
            "operator": ["Viettel", "VNPT", "Viettel", "VNPT"],
            "download_mbps": [20.0, 40.0, 100.0, 300.0],
        },
        geometry=[at(1000, 0), at(1100, 0), at(0, 3669), at(1000, 0)],
        crs="EPSG:4326",
    )
    return layers


@pytest.fixture
def places_ws(tmp_path: Path) -> Workspace:
    ws = Workspace.create(tmp_path / "places", metric_crs=METRIC, provinces=["99"])
    ws.write_layers(tiny_with_places(), source="tiny fixture with places")
    return ws
