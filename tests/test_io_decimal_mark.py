"""Thousands separators read by the file's decimal mark (:mod:`coverage_gis.io.decimal_mark`):
``1.800`` is one thousand eight hundred in a file of decimal commas, ``1,800`` in a file of
decimal points, and a file that does not show its mark is read as before."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coverage_gis.errors import LayerValidationError
from coverage_gis.io import import_file
from coverage_gis.io.decimal_mark import decimal_mark, thousands_read
from coverage_gis.layers import get_schema
from coverage_gis.workspace import Workspace

_HEADER = "site_id;cell_id;lon;lat;operator;tech;band_mhz;azimuth_deg;range_m\n"


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    return Workspace.create(tmp_path / "ws", metric_crs="EPSG:32649")


def _cells(ws: Workspace, tmp_path: Path, text: str) -> tuple[pd.DataFrame, list[str]]:
    path = tmp_path / "cells.csv"
    path.write_text(text, encoding="utf-8")
    import_file(ws, "sites", path)
    result = import_file(ws, "cells", path)
    return ws.read_layer("cells").set_index("cell_id"), result.notes


def test_points_group_thousands_in_a_file_of_decimal_commas(ws: Workspace, tmp_path: Path) -> None:
    """Excel on a Vietnamese Windows writes 1800 MHz and a 1500 m reach with points."""
    cells, notes = _cells(
        ws,
        tmp_path,
        _HEADER
        + "S1;S1-1;109,0123;13,7712;Viettel;4G;1.800;120,5;1.500\n"
        + "S1;S1-2;109,0123;13,7712;Viettel;4G;2.100;240;12.345,5\n",
    )

    assert cells.loc["S1-1", ["band_mhz", "azimuth_deg", "range_m"]].tolist() == [1800.0, 120.5, 1500.0]
    assert cells.loc["S1-2", ["band_mhz", "range_m"]].tolist() == [2100.0, 12345.5]
    (note,) = [n for n in notes if "as thousands" in n]
    assert "band_mhz '1.800' and 1 more" in note
    assert "range_m '1.500' and 1 more" in note
    assert "decimal commas" in note


def test_commas_group_thousands_in_a_file_of_decimal_points(ws: Workspace, tmp_path: Path) -> None:
    text = (
        "site_id,cell_id,lon,lat,operator,tech,band_mhz,range_m\n"
        'S1,S1-1,109.0123,13.7712,Viettel,4G,"1,800","1,500"\n'
        'S1,S1-2,109.0123,13.7712,Viettel,4G,900,"2,345.5"\n'
    )
    cells, notes = _cells(ws, tmp_path, text)

    assert cells.loc["S1-1", ["band_mhz", "range_m"]].tolist() == [1800.0, 1500.0]
    assert cells.loc["S1-2", "range_m"] == 2345.5
    assert any("grouped in threes by ','" in n and "decimal points" in n for n in notes)


def test_a_file_that_does_not_show_its_mark_reads_as_before(ws: Workspace, tmp_path: Path) -> None:
    """No coordinate or number writes a decimal mark unambiguously: ``1,500`` stays the
    fraction number_text reads, and nothing is noted."""
    text = _HEADER + "S1;S1-1;109;13;Viettel;4G;1800;120;1,500\n"
    cells, notes = _cells(ws, tmp_path, text)

    assert cells.loc["S1-1", "range_m"] == 1.5
    assert not any("as thousands" in n for n in notes)


def test_a_file_writing_both_marks_as_decimals_is_left_as_read(ws: Workspace, tmp_path: Path) -> None:
    text = _HEADER + "S1;S1-1;109.0123;13,7712;Viettel;4G;1800;120;1.500\n"
    cells, notes = _cells(ws, tmp_path, text)

    assert cells.loc["S1-1", "range_m"] == 1.5
    assert not any("as thousands" in n for n in notes)


def test_an_error_about_a_value_read_as_thousands_shows_the_files_text(ws: Workspace, tmp_path: Path) -> None:
    """The range check names the number read; the error also says what the file wrote and
    why it was read so. Fails if ``1.800`` is shown only as 1800, with no way to see why."""
    path = tmp_path / "sites.csv"
    path.write_text(
        "site_id;lon;lat;height_m\nS1;109,01;13,77;35,5\nS2;109,02;13,78;1.800\n", encoding="utf-8"
    )

    with pytest.raises(LayerValidationError) as caught:
        import_file(ws, "sites", path)

    message = str(caught.value)
    assert "row 1, field 'height_m': 1800 is above the maximum 300" in message
    assert "the file writes '1.800': read as thousands, '.' grouping digits in threes" in message
    assert "decimal commas" in message
    assert "row 1 is line 3 of the file" in message


def test_an_excel_error_shows_the_text_of_each_value_read_as_thousands(ws: Workspace, tmp_path: Path) -> None:
    """Under a title row (rows counted from the one under the header), among the problems an
    error lists, the one about values read as thousands shows its first row's text; a value
    read as the file wrote it shows none."""
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["DANH SÁCH TRẠM"])
    sheet.append(["Mã trạm", "Kinh độ", "Vĩ độ", "Độ cao anten"])
    sheet.append(["S1", "109,01", "13,77", "35,5"])
    sheet.append(["S2", "109,02", "13,78", "1.800"])
    sheet.append(["S3", "109,03", "13,79", "2.500"])
    sheet.append(["S4", "109,04", "13,80", "-1"])
    path = tmp_path / "sites.xlsx"
    book.save(path)

    with pytest.raises(LayerValidationError) as caught:
        import_file(ws, "sites", path)

    problems = {e.row: e.reason for e in caught.value.errors}
    assert "1800 is above the maximum 300; 2 rows in all: 1, 2" in problems[1]
    assert "the file writes '1.800'" in problems[1]
    assert "the file writes" not in problems[3]
    assert "Excel row 3" in str(caught.value)


def test_text_fields_keep_a_grouped_look_as_written() -> None:
    """An id such as ``1.001`` is text, not a number field: it is not rewritten."""
    frame = pd.DataFrame({"site_id": ["1.001"], "cell_id": ["1.001-1"], "range_m": ["1.500"]})
    notes: list[str] = []

    out = thousands_read(frame, get_schema("cells"), evidence=[pd.Series(["109,0123"])], notes=notes)

    assert out.loc[0, ["site_id", "cell_id", "range_m"]].tolist() == ["1.001", "1.001-1", "1500"]
    assert frame.loc[0, "range_m"] == "1.500"  # the frame given is not changed


@pytest.mark.parametrize(
    ("cells", "mark"),
    [
        (["109,0123", "1.800"], ","),
        (["13.7712", "1,800"], "."),
        (["1.800", "1,800"], None),  # three digits after either: no telling
        (["35,5", "13.7"], None),
        (["1234,567"], ","),  # four digits before: not a thousands separator
        ([None, 5.5, "abc"], None),
    ],
)
def test_decimal_mark_of_cells(cells: list[object], mark: str | None) -> None:
    assert decimal_mark([pd.Series(cells, dtype=object)]) == mark


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(min_value=1000, max_value=9_999_999), min_size=1, max_size=6),
    st.sampled_from([(",", "."), (".", ",")]),
)
def test_grouped_whole_numbers_read_as_written_under_either_mark(
    values: list[int], marks: tuple[str, str]
) -> None:
    """Numbers written under a locale (``mark`` decimal, ``sep`` thousands) read back as
    they were, beside a coordinate that shows the mark."""
    mark, sep = marks
    written = [f"{v:,}".replace(",", sep) for v in values]
    frame = pd.DataFrame({"range_m": written})

    out = thousands_read(frame, get_schema("cells"), evidence=[pd.Series([f"109{mark}0123"])], notes=[])

    assert [int(v) for v in out["range_m"]] == values


def test_speed_test_points_read_thousands_by_their_coordinates(ws: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "do_kiem.csv"
    path.write_text(
        "lon;lat;download_mbps;upload_mbps;tech;operator\n109,0123;13,7712;1.234,5;35,5;4G;Viettel\n",
        encoding="utf-8",
    )

    result = import_file(ws, "speed_tests", path)

    tests = ws.read_layer("speed_tests")
    assert tests[["download_mbps", "upload_mbps"]].iloc[0].tolist() == [1234.5, 35.5]
    assert any("download_mbps '1.234,5'" in n for n in result.notes)


def test_a_site_edit_csv_reads_thousands_as_an_import_does(tmp_path: Path) -> None:
    from coverage_gis.site_edit_files import edits_from_file

    path = tmp_path / "edits.csv"
    path.write_text(
        "site_id;lon;lat;height_m;cell_id;operator;tech;band_mhz;range_m\n"
        "S9;109,01;13,76;35,5;S9-1;Viettel;4G;1.800;1.500\n",
        encoding="utf-8",
    )

    (edit,) = edits_from_file(path)

    assert edit.site["height_m"] == "35,5"  # a decimal comma, read by validation
    assert edit.cells is not None
    assert (edit.cells[0]["band_mhz"], edit.cells[0]["range_m"]) == ("1800", "1500")


def test_coordinates_of_three_decimals_show_the_files_decimal_comma(ws: Workspace, tmp_path: Path) -> None:
    """``109,123`` could be a thousand elsewhere, not in a column of degrees: the file writes
    decimal commas, so its band ``1.800`` is 1800 MHz. Fails if the grouped band is read as 1.8
    for want of a coordinate with other than three decimals."""
    cells, notes = _cells(ws, tmp_path, _HEADER + "S1;S1-1;109,123;13,771;Viettel;4G;1.800;120;1.500\n")

    assert cells.loc["S1-1", ["band_mhz", "range_m"]].tolist() == [1800.0, 1500.0]
    assert any("as thousands" in n and "decimal commas" in n for n in notes)
