"""Old binary Excel workbooks (.xls, Excel 97-2003) as district offices still send them: read
into the same table as an .xlsx, through the real CLI."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import xlwt

from coverage_gis.cli import main
from coverage_gis.errors import LayerValidationError
from coverage_gis.io import detect_format, import_file
from coverage_gis.workspace import Workspace

_HEADER = ["Mã thôn", "Tên thôn", "Mã xã", "Mã tỉnh", "Số hộ", "Kinh độ", "Vĩ độ", "Ngày cập nhật"]


def _xls(path: Path, sheets: dict[str, list[list[Any]]]) -> Path:
    """Write ``sheets`` (name → rows; None: an empty cell) as an Excel 97-2003 workbook."""
    book = xlwt.Workbook(encoding="utf-8")
    dates = xlwt.easyxf(num_format_str="DD/MM/YYYY")
    for name, rows in sheets.items():
        sheet = book.add_sheet(name)
        for i, row in enumerate(rows):
            for j, value in enumerate(row):
                if isinstance(value, dt.date):
                    sheet.write(i, j, value, dates)
                elif value is not None:
                    sheet.write(i, j, value)
    book.save(str(path))
    return path


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    return Workspace.create(tmp_path / "ws", metric_crs="EPSG:32649")


def _villages(tmp_path: Path, rows: list[list[Any]], *, name: str = "thon.xls") -> Path:
    other = [["STT", "Nội dung"], [1, "danh sách cập nhật quý I"]]
    title = ["DANH SÁCH THÔN, LÀNG TỈNH BÌNH ĐỊNH"]
    return _xls(tmp_path / name, {"Ghi chú": other, "Thôn": [title, [], _HEADER, *rows]})


def test_an_xls_village_list_reads_as_its_xlsx_would(
    ws: Workspace, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _villages(
        tmp_path,
        [
            ["T1", "Thôn 1", 21553, "52", 120, 109.123456789, 13.7765, dt.date(2024, 3, 5)],
            ["T2", "Làng O2", 21583, 52, 85, 109.1501, 13.8012, None],
        ],
    )
    assert detect_format(path) == "xls"

    assert main(["import", str(ws.location), "villages", str(path), "--source-layer", "thôn"]) == 0

    out = capsys.readouterr().out
    assert "read sheet 'Thôn' (of 2 sheets; pick another with --source-layer): header on Excel row 3" in out
    villages = ws.read_layer("villages").set_index("village_id")
    # A code typed as a number reads as the code, not as 21553.0; numbers keep every digit.
    assert villages["commune_code"].tolist() == ["21553", "21583"]
    assert villages["province_code"].tolist() == ["52", "52"]
    assert villages["households"].tolist() == [120, 85]
    assert villages.geometry["T1"].x == 109.123456789
    assert villages["kind"].tolist() == ["thôn", "làng"]


def test_an_xls_error_names_the_excel_row(ws: Workspace, tmp_path: Path) -> None:
    path = _villages(
        tmp_path,
        [
            ["T1", "Thôn 1", 21553, "52", 120, 109.12, 13.77, None],
            ["T2", "Thôn 2", 21583, "52", "nhiều", 109.15, 13.80, None],
        ],
    )

    with pytest.raises(LayerValidationError) as caught:
        import_file(ws, "villages", path, source_layer="Thôn")

    message = str(caught.value)
    assert "row 1, field 'households': 'nhiều' is not a number" in message
    assert "Excel row 4" in message  # row 0 is the row under the header (Excel row 3)
    assert not ws.has_layer("villages")


def test_an_xls_without_the_sheet_asked_lists_its_sheets(ws: Workspace, tmp_path: Path) -> None:
    path = _villages(tmp_path, [["T1", "Thôn 1", 21553, "52", 120, 109.12, 13.77, None]])

    with pytest.raises(LayerValidationError, match=r"no sheet 'Xã'; its sheets: 'Ghi chú', 'Thôn'"):
        import_file(ws, "villages", path, source_layer="Xã")
    # The first sheet holds no village table: the error says which sheets there are.
    with pytest.raises(
        LayerValidationError, match=r"the first of the workbook's sheets \('Ghi chú', 'Thôn'\)"
    ):
        import_file(ws, "villages", path)


def test_an_xls_list_reads_each_sites_values_merged_over_its_sectors(ws: Workspace, tmp_path: Path) -> None:
    """An .xls report merges a site's code and position down over the rows of its cells, as
    an .xlsx one does: each row reads them. Fails if the .xls is read without its merged
    ranges (the rows under the first lose their site); a merged title is left alone."""
    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("Cell")
    sheet.write_merge(0, 0, 0, 5, "DANH SÁCH CELL")
    for j, name in enumerate(["Mã trạm", "Kinh độ", "Vĩ độ", "Mã cell", "Nhà mạng", "Công nghệ"]):
        sheet.write(1, j, name)
    for column, value in enumerate(["S1", 109.01, 13.77]):
        sheet.write_merge(2, 4, column, column, value)
    for i, cell in enumerate(["S1_1", "S1_2", "S1_3"], start=2):
        sheet.write(i, 3, cell)
        sheet.write(i, 4, "VNPT")
        sheet.write(i, 5, "LTE")
    for j, value in enumerate(["S2", 109.02, 13.78, "S2_1", "VNPT", "LTE"]):
        sheet.write(5, j, value)
    path = tmp_path / "cells.xls"
    book.save(str(path))

    result = import_file(ws, "sites", path)
    import_file(ws, "cells", path)

    assert ws.read_layer("sites")["site_id"].tolist() == ["S1", "S2"]
    assert ws.read_layer("cells").groupby("site_id").size().to_dict() == {"S1": 3, "S2": 1}
    assert "6 merged cells under the header read as the first cell of their merge" in result.notes
