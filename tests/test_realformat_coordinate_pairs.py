"""Both coordinates of a point in one column ("Tọa độ"), as copied from Google Maps or a GPS."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from coverage_gis.errors import LayerValidationError
from coverage_gis.io import read_file
from coverage_gis.io.coordinate_pairs import pair_coordinates


@pytest.mark.parametrize(
    "cell",
    [
        "13.7712, 109.0123",
        "13.7712,109.0123",
        "13.7712 109.0123",
        "(13.7712; 109.0123)",
        "13,7712; 109,0123",
        "13,7712, 109,0123",
        "109.0123, 13.7712",
        "[109.0123 13.7712]",
    ],
)
def test_a_pair_is_read_in_the_order_that_lies_in_vietnam(cell: str) -> None:
    lon, lat = pair_coordinates(pd.Series([cell]), source="t.csv", field="Tọa độ")

    assert (lon[0], lat[0]) == (109.0123, 13.7712)


def test_degrees_minutes_seconds_pairs_are_read() -> None:
    lon, lat = pair_coordinates(pd.Series(["13°46'16\"N 109°0'44\"E"]), source="t.csv", field="Tọa độ")

    assert (round(lon[0], 6), round(lat[0], 6)) == (109.012222, 13.771111)


@pytest.mark.parametrize(("cell", "why"), [("13.77", "not a pair"), ("48.85, 2.35", "outside Vietnam")])
def test_a_bad_pair_is_refused_naming_its_row(cell: str, why: str) -> None:
    with pytest.raises(LayerValidationError, match=rf"row 1, field 'Tọa độ'.*{why}"):
        pair_coordinates(pd.Series(["13.7, 109.0", cell]), source="t.csv", field="Tọa độ")


@given(
    st.floats(min_value=102.0, max_value=117.9, allow_nan=False),
    st.floats(min_value=6.0, max_value=23.5, allow_nan=False),
    st.sampled_from(["{lat}, {lon}", "{lon}, {lat}", "{lat} {lon}", "{lat};{lon}", "({lat}, {lon})"]),
)
def test_any_point_in_vietnam_reads_back(lon: float, lat: float, pattern: str) -> None:
    cell = pattern.format(lon=repr(lon), lat=repr(lat))

    got_lon, got_lat = pair_coordinates(pd.Series([cell, None]), source="t.csv", field="GPS")

    assert (got_lon[0], got_lat[0]) == (lon, lat)
    assert np.isnan(got_lon[1])
    assert np.isnan(got_lat[1])


def test_a_site_list_with_one_coordinate_column_imports(tmp_path: Path) -> None:
    path = tmp_path / "tram.csv"
    path.write_text('Mã trạm,Tọa độ\nS1,"13.7712, 109.0123"\nS2,"109.02, 13.78"\n', encoding="utf-8")

    sites = read_file(path, "sites")["sites"]

    assert sites.geometry.x.tolist() == [109.0123, 109.02]
    assert sites.geometry.y.tolist() == [13.7712, 13.78]


def test_easting_and_northing_columns_without_crs_are_refused_with_the_hint(tmp_path: Path) -> None:
    path = tmp_path / "tram.csv"
    path.write_text("Mã trạm,Tọa độ X (m),Tọa độ Y (m)\nS1,1523000,570000\n", encoding="utf-8")

    with pytest.raises(LayerValidationError, match=r"'Tọa độ X \(m\)', 'Tọa độ Y \(m\)' not read .* --crs"):
        read_file(path, "sites")


def test_coordinate_headers_naming_the_hemisphere_are_read(tmp_path: Path) -> None:
    path = tmp_path / "tram.csv"
    path.write_text(
        "Mã trạm;Kinh độ (E);Vĩ độ (N)\nS1;109,0123°;13,77°\nS2;109.02 E;13.78 N\n", encoding="utf-8"
    )

    sites = read_file(path, "sites")["sites"]

    assert sites.geometry.x.tolist() == [109.0123, 109.02]
    assert sites.geometry.y.tolist() == [13.77, 13.78]
