"""KPI inputs (coverage_gis.kpi_inputs): a row per village, on-air site, place and test, with admin codes."""

from __future__ import annotations

import pandas as pd

from coverage_gis.admin import admin_columns
from coverage_gis.coverage import coverage_from_layers, rows_align
from coverage_gis.fiber import fiber_index
from coverage_gis.full_compute import build_inputs
from coverage_gis.input_layers import InputLayers
from coverage_gis.kpi_inputs import inside_5g_zone, poi_radio, poi_rows, village_rows
from coverage_gis.models import create_model
from coverage_gis.network import cell_table_or_empty

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


def test_village_rows_read_coverage_by_id_when_rows_do_not_align() -> None:
    """Duplicated ids or another order: each village takes the first coverage row of its
    id, as the join by id gives it (reading the rows as they stand would differ)."""
    layers, coverage = _inputs()
    villages = layers.villages.copy()
    villages["village_id"] = ["V1", "V1", "V3"]  # V1 twice: its first row counts
    cov = coverage.copy()
    cov["village_id"] = ["V1", "V1", "V3"]
    assert not rows_align(cov, pd.array(villages["village_id"].to_numpy(dtype=object), dtype="str"))
    rows = village_rows(villages, cov, layers.communes)
    first, second, third = cov["mobile_bb"].tolist()
    assert first != second  # V2's own row would read differently
    assert list(rows["mobile_bb"]) == [first, first, third]
    assert list(rows["operators"]) == [cov["operators"].iloc[0]] * 2 + [cov["operators"].iloc[2]]
    # Aligned, the rows are read as they stand: the same as the join.
    assert rows_align(coverage, pd.array(layers.villages["village_id"].to_numpy(dtype=object), dtype="str"))
    pd.testing.assert_frame_equal(
        village_rows(layers.villages, coverage, layers.communes),
        village_rows(layers.villages, coverage.iloc[::-1], layers.communes),
        check_exact=True,
    )


def test_poi_rows_take_admin_columns_placed_beforehand() -> None:
    layers, _coverage = _inputs()
    radio = poi_radio(
        layers.pois,
        cell_table_or_empty(layers, metric_crs=METRIC),
        fiber_index(layers, metric_crs=METRIC),
        model=MODEL,
        metric_crs=METRIC,
        ftth_reach_m=500.0,
    )
    admin = admin_columns(layers.pois, layers.communes, layers.commune_parts_2025)
    placed = poi_rows(layers, radio, admin=admin)
    pd.testing.assert_frame_equal(placed, poi_rows(layers, radio), check_exact=True)
    assert "category" not in admin  # the caller's frame is not written to


def test_village_rows_take_admin_columns_placed_beforehand() -> None:
    """Fails if the village rows made from admin columns placed beforehand differ from
    those placed then, or if the caller's admin frame is written to."""
    layers, coverage = _inputs()
    admin = admin_columns(layers.villages, layers.communes, layers.commune_parts_2025)
    before = admin.copy()
    placed = village_rows(layers.villages, coverage, layers.communes, admin=admin)
    pd.testing.assert_frame_equal(
        placed, village_rows(layers.villages, coverage, layers.communes), check_exact=True
    )
    pd.testing.assert_frame_equal(admin, before, check_exact=True)
