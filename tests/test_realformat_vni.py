"""Old Vietnamese data in VNI (VNI-Windows, the VNI-Times fonts' encoding): shapefiles
without a ``.cpg`` and CSV files whose names were typed in a VNI font, where a vowel's
marks are a second letter after it; and workbooks whose cells were typed in a VNI or
TCVN3 (.VnTime) font."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import geopandas as gpd
import pytest
import shapely
from hypothesis import given
from hypothesis import strategies as st

from coverage_gis.io import import_file, read_file
from coverage_gis.text_encoding import (
    TCVN3,
    VNI,
    WINDOWS_1258,
    decode_as,
    encode_tcvn3,
    encode_vni,
    text_encoding,
)
from coverage_gis.workspace import Workspace
from tests.test_io_encodings import _windows_1258
from tests.test_io_xlsx import _workbook
from tests.test_realformat_tcvn3 import _VIETNAMESE, shapefile_without_cpg, sites_csv

# "Thôn Mường Khương", "Xã Đắk Lắk", "Huyện Tuy Phước" as a VNI font stores them.
_NAMES_VNI = [
    b"Tho\xe2n M\xf6\xf4\xf8ng Kh\xf6\xf4ng",
    b"Xa\xf5 \xd1a\xe9k La\xe9k",
    b"Huye\xe4n Tuy Ph\xf6\xf4\xf9c",
]
_NAMES = ["Thôn Mường Khương", "Xã Đắk Lắk", "Huyện Tuy Phước"]


def test_vni_bytes_read_as_vietnamese() -> None:
    data = b"\n".join(_NAMES_VNI)

    assert text_encoding(data) == VNI
    assert decode_as(data, VNI).split("\n") == _NAMES


def test_capitals_read_with_their_marks() -> None:
    """VNI writes a capital's marks as capitals: ``THOÂN`` is THÔN, ``ÑAÉK`` ĐẮK."""
    assert decode_as(b"THO\xc2N M\xd6\xd4\xd8NG \xd1A\xc9K", VNI) == "THÔN MƯỜNG ĐẮK"


@pytest.mark.parametrize("name", ["Xã Đắk Lắk", "Thôn Phước Sơn", "Đà Nẵng", "Bình Định", "Mường Nhé"])
def test_windows_1258_names_are_not_taken_for_vni(name: str) -> None:
    """Fails if Windows-1258 text (tone marks as combining characters) is read as VNI."""
    assert text_encoding(_windows_1258(name)) == WINDOWS_1258


def test_one_short_name_in_vni_is_told_apart() -> None:
    """One VNI-only letter suffices when the VNI reading is Vietnamese and the Windows-1258
    one is not ("Xaõ Ñaék" reads "Xaơ Ñaék" in Windows-1258)."""
    assert text_encoding(encode_vni("Xã Đắk Lắk")) == VNI


def test_tcvn3_stays_tcvn3() -> None:
    assert text_encoding(b"Th\xabn M\xad\xeang Kh\xad\xacng\nX\xb7 \xa7\xbek L\xbek") == TCVN3


_LETTERS = _VIETNAMESE + _VIETNAMESE.upper() + "abcdeghiklmnopqrstuvxy "


@given(st.text(alphabet=_LETTERS, min_size=1, max_size=40))
def test_every_vni_letter_reads_back(text: str) -> None:
    assert decode_as(encode_vni(text), VNI) == text


def test_a_shapefile_without_cpg_in_vni_is_read_in_vietnamese(tmp_path: Path) -> None:
    path = shapefile_without_cpg(tmp_path / "thon.shp", _NAMES_VNI)

    sites = read_file(path, "sites")["sites"]

    assert [str(v).strip() for v in sites["name"]] == _NAMES


@pytest.mark.parametrize("sep", [",", ";"])
def test_a_vni_csv_is_imported_in_vietnamese(tmp_path: Path, sep: str) -> None:
    path = sites_csv(tmp_path / "tram.csv", _NAMES_VNI, sep)
    ws = Workspace.create(tmp_path / "ws", metric_crs="EPSG:32649")

    result = import_file(ws, "sites", path)

    assert ws.read_layer("sites")["name"].tolist() == _NAMES
    assert any("read the text as VNI" in note for note in result.notes)


def _font_text(text: str, encode: Any) -> str:
    """``text`` as a cell typed in a legacy font holds it: each byte one character."""
    return str(encode(text).decode("latin-1"))


@pytest.mark.parametrize("encode", [encode_vni, encode_tcvn3], ids=["VNI", "TCVN3"])
def test_workbook_cells_typed_in_a_legacy_font_read_as_vietnamese(tmp_path: Path, encode: Any) -> None:
    """Fails if a workbook typed in VNI-Times or .VnTime (its cells hold the font's bytes as
    characters: "Thoân", "Th«n") keeps them, headers included, or Unicode cells are changed."""
    names = ["trạm mường khương", "trạm đắk lắk", "trạm kà bưng"]
    header = ["site_id", _font_text("tên trạm", encode), "Kinh độ", "Vĩ độ"]
    rows = [[f"S{i}", _font_text(n, encode), 109.0, 13.7 + i / 100] for i, n in enumerate(names)]
    path = _workbook(tmp_path / "tram.xlsx", {"Trạm": [header, *rows]})
    ws = Workspace.create(tmp_path / "ws", metric_crs="EPSG:32649")

    result = import_file(ws, "sites", path)

    assert ws.read_layer("sites")["name"].tolist() == names
    assert any("read the text as typed in" in note for note in result.notes)


def test_a_unicode_workbook_is_left_as_it_is(tmp_path: Path) -> None:
    names = ["Trạm Tân Phú", "Trạm Kà Bưng", "Trạm Ân Nghĩa"]
    rows = [[f"S{i}", n, 109.0, 13.7 + i / 100] for i, n in enumerate(names)]
    path = _workbook(tmp_path / "tram.xlsx", {"Trạm": [["site_id", "Tên trạm", "lon", "lat"], *rows]})
    ws = Workspace.create(tmp_path / "ws", metric_crs="EPSG:32649")

    result = import_file(ws, "sites", path)

    assert ws.read_layer("sites")["name"].tolist() == names
    assert not any("read the text as typed in" in note for note in result.notes)


@pytest.mark.parametrize("encode", [encode_vni, encode_tcvn3], ids=["VNI", "TCVN3"])
def test_a_geojson_converted_from_font_text_is_read_in_vietnamese(tmp_path: Path, encode: Any) -> None:
    """Fails if a GeoJSON (UTF-8) whose names hold a legacy font's characters ("Th«n", as a
    converter that took the font's bytes for Latin-1 writes them) keeps them."""
    names = ["trạm mường khương", "trạm đắk lắk"]
    frame = gpd.GeoDataFrame(
        {"site_id": ["S1", "S2"], "name": [_font_text(n, encode) for n in names]},
        geometry=[shapely.Point(109.0, 13.7 + i / 100) for i in range(2)],
        crs="EPSG:4326",
    )
    path = tmp_path / "tram.geojson"
    frame.to_file(path, driver="GeoJSON")
    ws = Workspace.create(tmp_path / "ws", metric_crs="EPSG:32649")

    result = import_file(ws, "sites", path)

    assert ws.read_layer("sites")["name"].tolist() == names
    assert any("read the text as typed in" in note for note in result.notes)


def test_a_shapefile_whose_cpg_says_1252_holding_vni_is_read_in_vietnamese(tmp_path: Path) -> None:
    path = tmp_path / "tram.shp"
    frame = gpd.GeoDataFrame(
        {"site_id": ["S1", "S2", "S3"], "name": [n.decode("latin-1") for n in _NAMES_VNI]},
        geometry=[shapely.Point(109.0, 13.7 + i / 100) for i in range(3)],
        crs="EPSG:4326",
    )
    frame.to_file(path, encoding="cp1252")
    assert path.with_suffix(".cpg").read_text().strip().upper() in ("1252", "CP1252", "WINDOWS-1252")

    sites = read_file(path, "sites")["sites"]

    assert sites["name"].tolist() == _NAMES
