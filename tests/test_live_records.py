"""The live edit's record path agrees with the frame path it replaces.

* :func:`clean_records` either declines a payload or cleans it exactly as
  :func:`validate_layer` does (random payloads, valid and not);
* an edited site's cell arrays and KPI arrays derived from its records equal what the
  frame adapters (``network.cell_table``, ``kpi_inputs.site_rows``) make of its frames.
"""

from __future__ import annotations

import math
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import Point, box

from coverage_gis import engine
from coverage_gis._values import plain_value
from coverage_gis.admin import admin_columns
from coverage_gis.crs import STORAGE_CRS
from coverage_gis.errors import LayerValidationError
from coverage_gis.input_layers import InputLayers
from coverage_gis.kpi import site_kpi_columns
from coverage_gis.kpi_inputs import LEVEL_COLUMNS_FLAT, site_rows
from coverage_gis.layers import get_schema
from coverage_gis.live_overlay import BaseIndex
from coverage_gis.live_site import SitePlacer, place_of, site_columns, site_kpi_row, site_table
from coverage_gis.network import cell_table, site_environment
from coverage_gis.site_edits import SiteRecord, site_frames
from coverage_gis.validation import validate_layer
from coverage_gis.validation_records import clean_records
from coverage_gis.workspace import Workspace

from .conftest import METRIC, at, tiny_layers

# Values a payload field may carry: plain ones the fast path takes, and the rest.
_any_value = st.one_of(
    st.none(),
    st.just(float("nan")),
    st.booleans(),
    st.integers(-(2**64), 2**64),
    st.floats(allow_nan=False),
    st.floats(-10, 400),
    st.sampled_from(["", " ", "on_air", "ON_AIR", " planned ", "urban", "Viettel", "4g", "5G", "x"]),
    st.sampled_from(["30", "1,5", "yes", "không", "2024-02-29", "2023-02-29", "1500-01-01", "2024/01/05"]),
    st.text(max_size=6),
)


def _payload(layer: str) -> st.SearchStrategy[dict[str, Any]]:
    names = get_schema(layer).field_names
    return st.dictionaries(st.sampled_from(names), _any_value, max_size=len(names))


def _frame_path(records: list[dict[str, Any]], layer: str) -> list[dict[str, Any]] | None:
    """What validate_layer makes of ``records`` as plain dicts (None: it refuses them)."""
    schema = get_schema(layer)
    if schema.has_geometry:
        attrs = [{k: v for k, v in r.items() if k not in ("lon", "lat")} for r in records]
        frame: pd.DataFrame = pd.DataFrame(attrs, index=range(len(records)))
        frame = pd.DataFrame(frame) if len(frame.columns) else pd.DataFrame(index=range(len(records)))
        geo = [Point(r["lon"], r["lat"]) for r in records]
        frame = gpd.GeoDataFrame(frame, geometry=geo, crs=STORAGE_CRS)
    else:
        frame = pd.DataFrame(records) if records else pd.DataFrame(columns=schema.field_names)
    try:
        clean, _ = validate_layer(frame, schema, source="test")
    except LayerValidationError:
        return None
    out = []
    for rec in clean.to_dict(orient="records"):
        row = {k: plain_value(v) for k, v in rec.items() if k != "geometry"}
        if schema.has_geometry:
            row["lon"], row["lat"] = rec["geometry"].x, rec["geometry"].y
        out.append(row)
    return out


def _same(a: dict[str, Any], b: dict[str, Any]) -> bool:
    if a.keys() != b.keys():
        return False
    for key in a:
        x, y = a[key], b[key]
        if isinstance(x, float) and isinstance(y, float):
            if not (x == y or (math.isnan(x) and math.isnan(y))):
                return False
        elif x != y or type(x) is not type(y):
            return False
    return True


@settings(max_examples=400, deadline=None)
@given(
    payload=_payload("sites"),
    lon=st.one_of(st.floats(100, 120), st.just(106.5)),
    lat=st.one_of(st.floats(5, 25), st.just(14.0)),
    site_id=st.sampled_from(["S1", " S1 ", ""]),
)
def test_site_payloads_are_cleaned_as_validate_layer_cleans_them(
    payload: dict[str, Any], lon: float, lat: float, site_id: str
) -> None:
    record = {**payload, "site_id": site_id, "lon": lon, "lat": lat}
    fast = clean_records([record], get_schema("sites"))
    slow = _frame_path([record], "sites")
    if fast is not None:
        assert slow is not None, record
        assert _same(fast[0], slow[0]), (fast, slow)


@settings(max_examples=400, deadline=None)
@given(
    cells=st.lists(_payload("cells"), max_size=3),
    ids=st.lists(st.sampled_from(["C1", "C2", "c1"]), max_size=3),
)
def test_cell_payloads_are_cleaned_as_validate_layer_cleans_them(
    cells: list[dict[str, Any]], ids: list[str]
) -> None:
    records = [{**cell, "site_id": "S1"} for cell in cells]
    for record, cell_id in zip(records, ids, strict=False):
        record["cell_id"] = cell_id
    fast = clean_records(records, get_schema("cells"))
    slow = _frame_path(records, "cells")
    if fast is not None:
        assert slow is not None, records
        assert len(fast) == len(slow)
        for a, b in zip(fast, slow, strict=True):
            assert _same(a, b), (a, b)


def test_plain_payloads_take_the_fast_path() -> None:
    """The payloads an editor sends (plain JSON values) are decided without a frame."""
    site = {
        "site_id": "S9",
        "lon": 106.5,
        "lat": 14.0,
        "status": "On_Air",
        "height_m": 25,
        "commissioned": "2024-05-01",
    }
    (clean,) = clean_records([site], get_schema("sites")) or [None]
    assert clean is not None
    assert clean["status"] == "on_air"
    assert clean["height_m"] == 25.0
    assert clean["has_grid_power"] is True
    cells = [{"cell_id": "S9-1", "site_id": "S9", "operator": "viettel", "tech": "4G", "azimuth_deg": 120}]
    (cell,) = clean_records(cells, get_schema("cells")) or [None]
    assert cell is not None
    assert cell["operator"] == "Viettel"
    assert cell["band_mhz"] == 1800.0
    assert cell["azimuth_deg"] == 120.0
    assert cell["samples"] is None


_cell_strategy = st.fixed_dictionaries(
    {
        "operator": st.sampled_from(["Viettel", "VNPT", "MobiFone", "Other"]),
        "tech": st.sampled_from(["2G", "3G", "4G", "5G"]),
        "status": st.sampled_from(["on_air", "planned", "decommissioned"]),
        "band_mhz": st.sampled_from([900.0, 1800.0, 2100.0]),
    },
    optional={"azimuth_deg": st.floats(0, 359), "beamwidth_deg": st.floats(30, 120)},
)


@pytest.fixture(scope="module")
def tiny_analysis(tmp_path_factory: pytest.TempPathFactory) -> engine.Analysis:
    ws = Workspace.create(tmp_path_factory.mktemp("records") / "ws", metric_crs=METRIC, provinces=["99"])
    ws.write_layers(tiny_layers(), source="tiny fixture")
    return engine.compute(ws)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    dx=st.floats(-9000, 12000),
    dy=st.floats(-6000, 9000),
    status=st.sampled_from(["on_air", "planned", "decommissioned"]),
    environment=st.sampled_from([None, "urban", "rural"]),
    cells=st.lists(_cell_strategy, max_size=4),
)
def test_site_arrays_from_records_equal_the_frame_adapters(
    tiny_analysis: engine.Analysis,
    dx: float,
    dy: float,
    status: str,
    environment: str | None,
    cells: list[dict[str, Any]],
) -> None:
    point = at(dx, dy)
    site = {"site_id": "R1", "lon": point.x, "lat": point.y, "status": status}
    if environment is not None:
        site["environment"] = environment
    (clean_site,) = clean_records([site], get_schema("sites")) or [None]
    cell_rows = [{**c, "cell_id": f"R1-{k}", "site_id": "R1"} for k, c in enumerate(cells)]
    clean_cells = clean_records(cell_rows, get_schema("cells"))
    assert clean_site is not None
    assert clean_cells is not None
    record = SiteRecord(clean_site, tuple(clean_cells))
    layers = tiny_analysis.layers
    place = place_of(point.x, point.y, layers, METRIC)
    site_frame, cell_frame = site_frames(record)

    got = site_table(record, place)
    want = (
        cell_table(site_frame, cell_frame, communes=layers.communes, metric_crs=METRIC)
        if len(cell_frame)
        else None
    )
    if want is not None and len(want):
        assert len(got) == len(want)
        for name in got.arrays.__dataclass_fields__:
            a, b = getattr(got.arrays, name), getattr(want.arrays, name)
            if a is None or b is None:
                assert a is b, name
            elif np.asarray(a).dtype.kind == "f":
                np.testing.assert_allclose(a, b, rtol=0, atol=1e-6, err_msg=name)
            else:
                np.testing.assert_array_equal(a, b, err_msg=name)
        for name in ("cell_id", "site_id", "operator", "on_air"):
            np.testing.assert_array_equal(getattr(got, name), getattr(want, name), err_msg=name)
    else:
        assert len(got) == 0

    template = BaseIndex.build(tiny_analysis)
    rows = site_rows(site_frame, cell_frame, layers.communes, layers.commune_parts_2025)
    want_columns = site_kpi_columns(template.kpi_columns, rows, period=template.kpi_period)
    got_columns = site_columns(template.kpi_columns, site_kpi_row(record, place), template.kpi_period)
    for key in ("codes", "names"):
        for level, values in getattr(want_columns, key)["s"].items():
            np.testing.assert_array_equal(
                getattr(got_columns, key)["s"][level], values, err_msg=f"{key} {level}"
            )
    for name in ("shared", "n_operators", "in_period", "site_5g"):
        np.testing.assert_array_equal(getattr(got_columns, name), getattr(want_columns, name), err_msg=name)


def _placed_layers() -> InputLayers:
    """Commune A (urban) west of x = 0, commune B (no clutter class) east of it, cut into
    two 2025 parts (north and south of y = 0, the south part ending 1 km short of the
    commune's edge so that a point there takes the nearest part)."""
    communes = tiny_layers()["communes"]
    west, east = communes.iloc[[0]].copy(), communes.iloc[[0]].copy()
    west["census_commune_id"], west["commune_code"], west["environment"] = "A", "CA", "urban"
    east["census_commune_id"], east["commune_code"], east["environment"] = "B", "CB", None
    west.geometry = [_box(-20_000, -20_000, 0, 20_000)]
    east.geometry = [_box(0, -20_000, 20_000, 20_000)]
    parts = gpd.GeoDataFrame(
        {
            "census_commune_id": ["B", "B"],
            "new_province_code": ["97", "98"],
            "new_province_name": ["Tỉnh Bắc", "Tỉnh Nam"],
            "new_commune_code": ["97001", "98002"],
            "new_commune_name": ["Xã Bắc", "Xã Nam"],
            "admin_2025_method": ["split_nearest", "split_nearest"],
        },
        geometry=[_box(0, 0, 20_000, 20_000), _box(0, -19_000, 20_000, 0)],
        crs=STORAGE_CRS,
    )
    both = gpd.GeoDataFrame(pd.concat([west, east], ignore_index=True), crs=STORAGE_CRS)
    return InputLayers.from_frames({"communes": both, "commune_parts_2025": parts})


def _box(x0: float, y0: float, x1: float, y1: float) -> Any:
    a, b = at(x0, y0), at(x1, y1)
    return box(a.x, a.y, b.x, b.y)


_coordinate = st.one_of(st.sampled_from([-20_000.0, 0.0, 20_000.0]), st.floats(-25_000, 25_000))


@settings(max_examples=150, deadline=None)
@given(dx=_coordinate, dy=_coordinate)
def test_sites_are_placed_as_the_frame_adapters_place_them(dx: float, dy: float) -> None:
    """Admin columns and clutter class from the placer's array lookups equal
    ``admin_columns`` and ``site_environment`` of a one-site frame: inside a commune, on
    the border between two, outside both, in either part of a split commune or in none."""
    layers = _placed_layers()
    point = at(dx, dy)
    place = SitePlacer.of(layers).place(point.x, point.y, METRIC)
    frame = gpd.GeoDataFrame(geometry=[point], crs=STORAGE_CRS)
    want = admin_columns(frame, layers.communes, layers.commune_parts_2025).iloc[0]
    for name in LEVEL_COLUMNS_FLAT:
        expected = want.get(name)
        got = place.admin[name]
        assert (pd.isna(got) and pd.isna(expected)) or got == expected, name
    assert place.environment == site_environment(frame, layers.communes)[0]


_CODES = st.one_of(
    st.none(), st.just(math.nan), st.sampled_from(["a", "b", "Hòa", "01", "1"]), st.integers(0, 3)
)


@settings(max_examples=200, deadline=None)
@given(st.lists(_CODES, max_size=40), st.booleans())
def test_unit_positions_are_those_of_a_groupby(values: list[Any], as_strings: bool) -> None:
    from coverage_gis.live_overlay import RowGroups

    array = np.array(values, dtype=object)
    if as_strings:  # the KPI inputs' code columns: strings and missing values
        array = np.array([v if v is None or isinstance(v, float) else str(v) for v in values], dtype=object)
    expected = dict(pd.Series(array, dtype=object).groupby(array, sort=False).indices) if len(array) else {}
    found = RowGroups(array)
    assert len(found) == len(expected)
    assert list(found) == list(expected)
    for key, rows in expected.items():
        np.testing.assert_array_equal(found[key], rows)
