"""The XLSX report writer: labels, frozen header, autofilter, number formats, formula safety."""

from __future__ import annotations

import zipfile
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook
from shapely.geometry import LineString, Point

from coverage_gis.reports import Sheet, write_xlsx
from coverage_gis.spreadsheet import is_formula_like

DANGEROUS = ["=1+2", "+SUM(A1)", "-2+3", "@cmd", '  =HYPERLINK("x")', "\t=1", "\r\n+1", "＝1", "\t", "\rabc"]
HARMLESS = ["thôn 1", "làng O2", "a=b", "PLAN-S001", "", "   ", "1-2"]


@pytest.mark.parametrize("text", DANGEROUS)
def test_formula_like_text_is_recognised(text: str) -> None:
    assert is_formula_like(text)


@pytest.mark.parametrize("text", HARMLESS)
def test_ordinary_text_is_not(text: str) -> None:
    assert not is_formula_like(text)


@given(st.text(alphabet=" \t\r\n", max_size=4), st.sampled_from("=+-@"), st.text(max_size=10))
def test_any_leading_whitespace_before_a_formula_start(space: str, start: str, rest: str) -> None:
    assert is_formula_like(space + start + rest)


def _sheet_xml(path: Path) -> str:
    with zipfile.ZipFile(path) as archive:
        return archive.read("xl/worksheets/sheet1.xml").decode("utf-8")


def test_workbook_headers_formats_and_text_cells(tmp_path: Path) -> None:
    frame = gpd.GeoDataFrame(
        {
            "site_id": ["=1+2", "S2"],
            "name": ["\t-cmd", "thôn 1"],
            "cost_vnd": [1_500_000_000.4, 20_000_000.0],
            "length_m": [1234.5, 10.0],
            "villages_mobile_pct": [99.94, 100.0],
            "population": [200, 50],
        },
        geometry=[Point(109.123456789, 14.0), LineString([(109.0, 14.0), (109.2, 14.0)])],
        crs="EPSG:4326",
    )
    labels = {"site_id": ("Mã trạm", "Site id"), "cost_vnd": ("Chi phí (đồng)", "Cost (VND)")}
    path = write_xlsx([Sheet("Trạm đề xuất", frame, labels)], tmp_path / "r.xlsx")
    book = load_workbook(path)
    sheet = book["Trạm đề xuất"]
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:H3"
    header = [c.value for c in sheet[1]]
    assert header == [
        "Mã trạm",
        "name",
        "Chi phí (đồng)",
        "length_m",
        "villages_mobile_pct",
        "population",
        "lon",
        "lat",
    ]
    first = dict(zip(header, sheet[2], strict=True))
    assert first["Chi phí (đồng)"].number_format == "#,##0"
    assert first["lon"].value == 109.123457
    assert first["lon"].number_format == "0.000000"
    assert first["length_m"].number_format == "#,##0"
    assert first["villages_mobile_pct"].number_format == "0.0"
    assert first["population"].number_format == "#,##0"
    # Formula-like text stays text: a string cell with the quote prefix, no formula element.
    for cell in (first["Mã trạm"], first["name"]):
        assert cell.data_type == "s"
        assert cell.quotePrefix
    assert first["Mã trạm"].value == "=1+2"
    assert "<f>" not in _sheet_xml(path)
    # The line's anchor is a point on it (lon between its ends).
    assert 109.0 <= sheet["G3"].value <= 109.2

    english = load_workbook(write_xlsx([Sheet("Sites", frame, labels)], tmp_path / "e.xlsx", lang="en"))
    assert [c.value for c in english["Sites"][1]][:3] == ["Site id", "name", "Cost (VND)"]


def test_empty_table_and_bad_language(tmp_path: Path) -> None:
    path = write_xlsx([Sheet("Trống", pd.DataFrame({"a": []}))], tmp_path / "x.xlsx")
    sheet = load_workbook(path)["Trống"]
    assert [c.value for c in sheet[1]] == ["a"]
    assert sheet.max_row == 1
    with pytest.raises(ValueError, match="lang"):
        write_xlsx([], tmp_path / "y.xlsx", lang="fr")
