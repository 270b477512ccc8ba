"""Site edits read from a CSV file name the lines of the file in their errors: the rows
count from 0 under the header and skip blank lines, so a row number alone points no
editor at the row."""

from __future__ import annotations

from pathlib import Path

import pytest

from coverage_gis.errors import LayerValidationError
from coverage_gis.site_edit_files import edits_from_file
from coverage_gis.site_edits import SiteEdit, apply_edits

_HEADER = "site_id,lon,lat,height_m,cell_id,operator,tech,band_mhz,azimuth_deg\n"


def _csv(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "edits.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_bad_cell_value_names_its_line(tmp_path: Path) -> None:
    """A blank line under the header: the second cell of NEW1 is row 1 but line 4."""
    path = _csv(
        tmp_path,
        _HEADER
        + "\n"
        + "NEW1,109.05,13.9,35,NEW1-1,Viettel,4G,1800,0\n"
        + "NEW1,109.05,13.9,35,NEW1-2,Viettel,4G,1800,500\n",
    )
    edits = edits_from_file(path)

    with pytest.raises(LayerValidationError) as caught:
        apply_edits({}, edits)

    message = str(caught.value)
    assert "edit 0 (add NEW1; edits.csv lines 3, 4) cells" in message
    assert "500 is above the maximum 360; cell row 1 is line 4 of the file" in message


def test_a_bad_site_value_names_the_lines_of_its_rows(tmp_path: Path) -> None:
    path = _csv(
        tmp_path,
        _HEADER
        + "NEW1,109.05,13.9,35,NEW1-1,Viettel,4G,1800,0\n"
        + "NEW2,109.05,abc,35,NEW2-1,Viettel,4G,1800,0\n"
        + "NEW2,109.05,abc,35,NEW2-2,Viettel,4G,1800,120\n",
    )

    with pytest.raises(LayerValidationError, match=r"edit 1 \(add NEW2; edits.csv lines 3, 4\), field 'lon'"):
        apply_edits({}, edits_from_file(path))


def test_a_row_refused_as_it_is_read_names_its_line(tmp_path: Path) -> None:
    path = _csv(tmp_path, "Danh sách trạm mới\n" + _HEADER + "NEW1,109.05,13.9,35,NEW1-1,Viettel,4G,1800,0\n")
    path.write_text(path.read_text(encoding="utf-8") + ",109.05,13.9,35,NEW2-1,Viettel,4G,1800,0\n", "utf-8")

    with pytest.raises(LayerValidationError, match=r"row 1, field 'site_id': empty site_id; row 1 is line 4"):
        edits_from_file(path)


def test_the_lines_do_not_change_what_an_edit_is(tmp_path: Path) -> None:
    """Two edits alike but for where they were read from are equal (a plan's edits compare
    with those read back from its file)."""
    path = _csv(tmp_path, _HEADER + "NEW1,109.05,13.9,35,NEW1-1,Viettel,4G,1800,0\n")
    (edit,) = edits_from_file(path)

    assert edit.origin == "edits.csv line 2"
    assert edit.cell_lines == (2,)
    assert edit == SiteEdit(op=edit.op, site_id="NEW1", site=edit.site, cells=edit.cells)


def test_an_unknown_column_is_named_as_the_headers_not_a_rows(tmp_path: Path) -> None:
    """A column no site or cell field is: refused naming the column, without a row or line
    (it is the header's problem)."""
    path = _csv(tmp_path, "site_id,lon,lat,colour\nNEW1,109.05,13.9,red\n")

    with pytest.raises(LayerValidationError) as caught:
        edits_from_file(path)

    assert "unknown columns ['colour'] in the header: a site edit takes the site and cell fields" in str(
        caught.value
    )
    assert caught.value.row is None
    assert "line" not in str(caught.value)
