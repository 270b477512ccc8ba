"""One decimal-comma rule (:func:`coverage_gis.value_text.number_text`) for imports and site
edits, and the one table reader (:func:`coverage_gis.io.csv_points.read_table`) both go
through: trailing delimiters, blank header cells, rows longer than the header."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from coverage_gis.errors import LayerValidationError
from coverage_gis.io import import_file
from coverage_gis.io.csv_points import parse_numbers, read_table
from coverage_gis.layers import FieldSchema, LayerSchema
from coverage_gis.site_edit_files import edits_from_file
from coverage_gis.site_edits import apply_edits
from coverage_gis.validation import validate_layer
from coverage_gis.value_text import number_text
from coverage_gis.workspace import Workspace

_HEIGHT = LayerSchema("t", "t", "t", "none", "h", (FieldSchema("h", "float"),))


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    return Workspace.create(tmp_path / "ws", metric_crs="EPSG:32649")


def _edits(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "edits.csv"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "text",
    [
        "site_id;lon;lat;height_m;cell_id;operator;tech\nS9;109,01;13,76;35,5;S9-1;Viettel;4G\n",
        'site_id,lon,lat,height_m,cell_id,operator,tech\nS9,"109,01","13,76","35,5",S9-1,Viettel,4G\n',
        "site_id\tlon\tlat\theight_m\tcell_id\toperator\ttech\nS9\t109,01\t13,76\t35,5\tS9-1\tViettel\t4G\n",
        "site_id;lon;lat;height_m;cell_id;operator;tech\nS9;109.01;13.76;35.5;S9-1;Viettel;4G\n",
        "site_id;lon;lat;height_m;cell_id;operator;tech;\nS9;109,01;13,76;35,5;S9-1;Viettel;4G;\n",
        "site_id;lon;lat;height_m;cell_id;operator;tech\nS9;109,01;13,76;35,5;S9-1;Viettel;4G;\n",
        "site_id;lon;lat;height_m;;cell_id;operator;tech\nS9;109,01;13,76;35,5;ghi chú;S9-1;Viettel;4G\n",
    ],
    ids=["semicolon", "comma-quoted", "tab", "points", "trailing-header", "trailing-rows", "blank-header"],
)
def test_site_edit_csvs_read_decimal_commas_whatever_the_delimiter(tmp_path: Path, text: str) -> None:
    (edit,) = edits_from_file(_edits(tmp_path, text))

    (record,) = apply_edits({}, [edit]).sites.values()

    assert record is not None
    assert (record.site["lon"], record.site["lat"], record.site["height_m"]) == (109.01, 13.76, 35.5)
    assert [c["operator"] for c in record.cells] == ["Viettel"]


def test_a_site_edit_csv_keeps_each_cells_antenna_height(tmp_path: Path) -> None:
    """Rows of one site that differ in height_m: each cell keeps its own ("42 m": the unit),
    the mast the largest, as an import reads such a list; rows that agree give the site's
    height only (a later change of the mast moves its cells)."""
    text = (
        "site_id;lon;lat;height_m;cell_id;operator;tech\n"
        "S9;109,01;13,76;36,5;S9-1;Viettel;4G\nS9;109,01;13,76;42 m;S9-2;Viettel;4G\n"
        "S9;109,01;13,76;;S9-3;Viettel;2G\n"
        "S8;109,02;13,76;;S8-1;Viettel;4G\nS8;109,02;13,76;25;S8-2;Viettel;4G\n"
    )
    records = apply_edits({}, edits_from_file(_edits(tmp_path, text))).sites

    nine, eight = records["S9"], records["S8"]
    assert nine is not None
    assert eight is not None
    assert nine.site["height_m"] == 42.0
    assert [c.get("height_m") for c in nine.cells] == [36.5, 42.0, None]
    assert eight.site["height_m"] == 25.0
    assert [c.get("height_m") for c in eight.cells] == [None, None]


def test_site_edit_errors_still_name_the_edit_row_and_field(tmp_path: Path) -> None:
    text = "site_id;lon;lat;height_m\nS9;109,01;13,76;abc\n"
    edits = edits_from_file(_edits(tmp_path, text))

    with pytest.raises(LayerValidationError) as info:
        apply_edits({}, edits)

    assert str(info.value) == (
        "edit 0 (add S9; edits.csv line 2), layer sites, row 0, field 'height_m': 'abc' is not a number"
    )
    with pytest.raises(LayerValidationError, match=r"edits.csv, row 1, field 'site_id': empty site_id"):
        edits_from_file(_edits(tmp_path, "site_id;lon;lat\nS9;109;13\n;109;13\n"))


def test_a_trailing_delimiter_on_data_rows_shifts_no_value(ws: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "tram.csv"
    text = "site_id;name;lon;lat\nS1;Trạm Một;109,2;13,7;\nS2;Trạm Hai;109,3;13,8;\n"
    path.write_text(text, encoding="utf-8")

    import_file(ws, "sites", path)

    sites = ws.read_layer("sites")
    assert sites["site_id"].tolist() == ["S1", "S2"]
    assert sites["name"].tolist() == ["Trạm Một", "Trạm Hai"]
    assert sites.geometry.x.tolist() == pytest.approx([109.2, 109.3])


def test_a_row_longer_than_the_header_is_refused_naming_it(ws: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "tram.csv"
    path.write_text("site_id,lon,lat\nS1,109.2,13.7\nS2,109,3,13,8\n", encoding="utf-8")

    with pytest.raises(LayerValidationError, match=r"tram.csv, row 1: has 5 fields, more than the 3 columns"):
        import_file(ws, "sites", path)
    with pytest.raises(LayerValidationError, match=r"row 1: has 5 fields"):
        edits_from_file(path)


def test_blank_header_cells_are_left_out() -> None:
    table = read_table("a;;b;\n1;x;2;\n", source="t.csv")

    assert table.columns.tolist() == ["a", "b"]
    assert table.iloc[0].tolist() == ["1", "2"]


_NUMBER_TEXT = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False, width=32).map(lambda x: f"{x:.6g}".replace(".", ",")),
    st.floats(allow_nan=False, allow_infinity=False, width=32).map(lambda x: f" {x:.6g} "),
    st.sampled_from(["1,234,567", "1.234,5", "12,5e3", ",5", "5,", "-0,25", "abc", " ", ""]),
)


@given(st.lists(_NUMBER_TEXT, min_size=1, max_size=5))
def test_imports_and_validation_read_numbers_alike(values: list[str]) -> None:
    series = pd.Series(values, dtype=object)
    frame = pd.DataFrame({"h": series})
    try:
        parsed = parse_numbers(series, source="f", field="h", required=False)
    except LayerValidationError as exc:
        reason = str(exc).split(": ", 1)[1]
        with pytest.raises(LayerValidationError, match=re.escape(reason)):
            validate_layer(frame, _HEIGHT, source="f")
        return
    clean, _ = validate_layer(frame, _HEIGHT, source="f")
    np.testing.assert_array_equal(clean["h"].to_numpy(dtype=float), parsed)
    for value, number in zip(values, parsed, strict=True):
        if not np.isnan(number):
            assert float(number_text(value)) == number
