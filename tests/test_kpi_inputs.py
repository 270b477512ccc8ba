"""KPI inputs (coverage_gis.kpi_inputs): a row per village, on-air site, place and test, with admin codes."""

from __future__ import annotations

import pandas as pd

from coverage_gis.coverage import coverage_from_layers
from coverage_gis.full_compute import build_inputs
from coverage_gis.input_layers import InputLayers
from coverage_gis.kpi_inputs import inside_5g_zone, village_rows
from coverage_gis.models import create_model

from .conftest import METRIC, tiny_with_places

MODEL = create_model("radius")


def _inputs() -> tuple[InputLayers, pd.DataFrame]:
    layers = InputLayers.from_frames(tiny_with_places())
    coverage = coverage_from_layers(layers, metric_crs=METRIC, model=MODEL)
    return layers, coverage


def test_village_rows_are_aligned_and_default_to_uncovered() -> None:
    layers, coverage = _inputs()
    rows = village_rows(layers.villages, coverage[coverage["village_id"] != "V3"], layers.communes)
    assert list(rows["village_id"]) == ["V1", "V2", "V3"]
    assert list(rows["mobile_bb"]) == [True, False, False]  # V3 has no coverage row here
    assert list(rows["operators"]) == ["Viettel,VNPT", "", ""]
    assert list(rows["population"]) == [100.0, 200.0, 50.0]
    assert set(rows["province_code"]) == {"99"}
    assert set(rows["new_commune_code"]) == {"99800"}


def test_sites_count_once_on_air_with_the_shared_rule() -> None:
    layers, coverage = _inputs()
    inputs = build_inputs(layers, coverage, model=MODEL, metric_crs=METRIC)
    sites = inputs.sites.set_index("site_id")
    assert list(sites.index) == ["S1", "S3"]  # S2 is planned
    assert sites["n_operators"].to_dict() == {"S1": 2, "S3": 1}
    assert sites["shared"].to_dict() == {"S1": True, "S3": False}
    assert sites["has_5g"].to_dict() == {"S1": False, "S3": True}
    assert sites.loc["S3", "commissioned"] == "2025-03-01"
    assert set(sites["district_code"]) == {"999"}


def test_places_get_5g_from_cells_or_an_on_air_zone() -> None:
    layers, coverage = _inputs()
    pois = build_inputs(layers, coverage, model=MODEL, metric_crs=METRIC).pois.set_index("poi_id")
    assert pois["has_5g"].to_dict() == {"P1": False, "P2": False, "P3": True, "P4": False, "P5": True}
    # P3 lies 4,243 m from S1, beyond its 4G 700 cells' 3,670 m: 5G from its zone only.
    assert pois["mobile_bb"].to_dict() == {"P1": True, "P2": True, "P3": False, "P4": True, "P5": True}
    assert pois.loc["P4", "category"] == "tourist_area"
    zones = layers.zones_5g.assign(status=["planned"])
    assert not inside_5g_zone(layers.pois, zones).any()  # a planned zone serves nobody


def test_speed_tests_keep_what_the_speed_kpis_read() -> None:
    layers, coverage = _inputs()
    tests = build_inputs(layers, coverage, model=MODEL, metric_crs=METRIC).speed_tests
    assert list(tests["download_mbps"]) == [20.0, 40.0, 100.0, 300.0]
    assert list(tests["kind"]) == ["mobile", "mobile", "mobile", "fixed"]
    assert set(tests["commune_key"]) == {"99901"}


def test_absent_layers_give_empty_rows_with_columns() -> None:
    layers = InputLayers.from_frames(
        {k: v for k, v in tiny_with_places().items() if k in ("communes", "villages")}
    )
    coverage = coverage_from_layers(layers, metric_crs=METRIC, model=MODEL)
    inputs = build_inputs(layers, coverage, model=MODEL, metric_crs=METRIC)
    for frame, column in (
        (inputs.sites, "shared"),
        (inputs.pois, "has_5g"),
        (inputs.speed_tests, "download_mbps"),
    ):
        assert frame.empty
        assert column in frame.columns
    assert not inputs.villages["mobile_bb"].any()
