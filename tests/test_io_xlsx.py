"""Excel workbooks (.xlsx) through the real CLI: title rows, Vietnamese headers, typed cells,
degrees-minutes-seconds, a second sheet picked with --source-layer, and clear refusals."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coverage_gis.cli import main
from coverage_gis.errors import InputTooLarge, LayerValidationError
from coverage_gis.io import detect_format, import_file, read_file
from coverage_gis.workspace import Workspace

from .conftest import workspace_digest

TITLE = "DANH SÁCH TRẠM BTS TỈNH BÌNH ĐỊNH"
SITE_HEADER = ["site_id", "Tên trạm", None, "status", "height_m", "commissioned", "Kinh độ", "Vĩ độ"]


def _workbook(
    path: Path, sheets: dict[str, list[list[Any]]], *, cached: dict[str, str] | None = None
) -> Path:
    """Write ``sheets`` (name → rows) to ``path``; ``cached`` gives formulas the value Excel
    would have stored with them (openpyxl writes formulas without one)."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    book.save(path)
    if cached:
        _cache_formulas(path, cached)
    return path


def _cache_formulas(path: Path, cached: dict[str, str]) -> None:
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    for name, data in members.items():
        if name.startswith("xl/worksheets/"):
            text = data.decode()
            for formula, value in cached.items():
                text = re.sub(
                    rf"<f>{re.escape(formula)}</f><v\s*/?>(</v>)?", f"<f>{formula}</f><v>{value}</v>", text
                )
            members[name] = text.encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)


def _sites_book(path: Path) -> Path:
    viettel = [
        [TITLE],
        [],
        SITE_HEADER,
        ["BD-001", "Trạm Quy Nhơn 1", None, "on_air", "=30+5", dt.datetime(2024, 3, 5), 109.123456789, 13.5],
        ["BD-002", "Trạm Tuy Phước", None, "planned", 42, None, "108°55'12.3\"E", "13°46'N"],
        [],
        ["BD-003", "Trạm An Nhơn", None, "on_air", 25.5, dt.date(2023, 12, 1), "108 55 12.3", "14°05,5′"],
    ]
    vnpt = [["site_id", "status", "Kinh độ", "Vĩ độ"], ["VN-9", "on_air", "109°01′30″ Đ", "B 14°00′00″"]]
    return _workbook(path, {"Viettel": viettel, "VNPT": vnpt}, cached={"30+5": "35"})


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    return Workspace.create(tmp_path / "ws", metric_crs="EPSG:32649")


def _xy(geom: shapely.Geometry) -> tuple[float, float]:
    return float(shapely.get_x(geom)), float(shapely.get_y(geom))


def test_cli_imports_sites_from_the_first_sheet(
    ws: Workspace, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _sites_book(tmp_path / "Danh sách trạm BTS.xlsx")

    code = main(["import", str(ws.path), "sites", str(path)])

    out = capsys.readouterr().out
    assert code == 0
    assert "imported 3 features into sites" in out
    assert "read sheet 'Viettel' (of 2 sheets" in out
    assert "header on Excel row 3" in out
    assert "'Tên trạm' → name" in out  # an alias of the field (layers/sites.yaml), noted
    sites = ws.read_layer("sites").set_index("site_id")
    assert sites.loc["BD-002", "name"] == "Trạm Tuy Phước"
    assert _xy(sites.loc["BD-001"].geometry) == (109.123456789, 13.5)  # exact: no detour through text
    assert sites.loc["BD-001", "height_m"] == 35  # the formula's cached value
    assert sites.loc["BD-001", "commissioned"] == "2024-03-05"
    assert sites.loc["BD-003", "commissioned"] == "2023-12-01"
    lon, lat = _xy(sites.loc["BD-002"].geometry)
    assert lon == pytest.approx(108 + 55 / 60 + 12.3 / 3600, abs=1e-12)
    assert lat == pytest.approx(13 + 46 / 60, abs=1e-12)
    lon, lat = _xy(sites.loc["BD-003"].geometry)
    assert lon == pytest.approx(108 + 55 / 60 + 12.3 / 3600, abs=1e-12)
    assert lat == pytest.approx(14 + 5.5 / 60, abs=1e-12)


def test_source_layer_picks_the_sheet_and_rows_count_from_the_header(tmp_path: Path) -> None:
    path = _sites_book(tmp_path / "sites.xlsx")

    frame = read_file(path, "sites", source_layer="vnpt")["sites"]  # case-insensitive match
    assert list(frame["site_id"]) == ["VN-9"]
    lon, lat = _xy(frame.geometry.iloc[0])
    assert lon == pytest.approx(109.025, abs=1e-12)
    assert lat == pytest.approx(14.0, abs=1e-12)

    first = read_file(path, "sites")["sites"]
    assert list(first.index) == [0, 1, 3]  # Excel rows 4, 5 and 7; the empty row 6 keeps its number
    assert "column C" not in first.columns  # an empty column is skipped


def test_cli_source_layer_option(ws: Workspace, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _sites_book(tmp_path / "sites.xlsx")

    assert main(["import", str(ws.path), "sites", str(path), "--source-layer", "VNPT"]) == 0

    assert "read sheet 'VNPT'" in capsys.readouterr().out
    assert list(ws.read_layer("sites")["site_id"]) == ["VN-9"]


def test_villages_workbook_with_numeric_codes_and_decomposed_text(ws: Workspace, tmp_path: Path) -> None:
    decomposed = unicodedata.normalize("NFD", "thôn Định Trị")
    path = _workbook(
        tmp_path / "thon.xlsx",
        {
            "Thôn": [
                ["DANH SÁCH THÔN"],
                [None, None],
                ["  village_id ", "name", "kind", "province_code", "population", "Kinh độ", "Vĩ độ"],
                [1001, decomposed, "thôn", 52, 1630, 109.05416, 14.49522],
                [
                    1002,
                    "làng O2",
                    unicodedata.normalize("NFD", "làng"),
                    52,
                    250.0,
                    "109°08'56.9\"",
                    "14°13'16.9\"",
                ],
            ]
        },
    )

    result = import_file(ws, "villages", path)

    assert result.counts == {"villages": 2}
    villages = ws.read_layer("villages").set_index("village_id")
    assert villages.loc["1001", "name"] == unicodedata.normalize("NFC", "thôn Định Trị")
    assert villages.loc["1001", "province_code"] == "52"
    assert villages.loc["1002", "kind"] == "làng"
    assert villages.loc["1002", "population"] == 250
    assert _xy(villages.loc["1001"].geometry) == (109.05416, 14.49522)


def test_cells_workbook_is_read_as_attribute_rows(ws: Workspace, tmp_path: Path) -> None:
    import_file(ws, "sites", _sites_book(tmp_path / "sites.xlsx"))
    path = _workbook(
        tmp_path / "cells.xlsx",
        {
            "Cells": [
                ["DANH SÁCH CELL"],
                ["cell_id", "site_id", "operator", "tech", "band_mhz", "azimuth_deg"],
                ["BD-001-1", "BD-001", "Viettel", "4G", 1800, 0],
                ["BD-001-2", "BD-001", "Viettel", "4G", 1800, 120.5],
            ]
        },
    )

    result = import_file(ws, "cells", path)

    assert result.counts == {"cells": 2}
    cells = ws.read_layer("cells").set_index("cell_id")
    assert cells.loc["BD-001-2", "azimuth_deg"] == 120.5


def test_csv_coordinates_in_degrees_minutes_seconds(ws: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "sites.csv"
    path.write_text(
        "site_id;status;Kinh độ;Vĩ độ\nA;on_air;108°55'12.3\"E;13°46'N\nB;on_air;109,25;14,5\n",
        encoding="utf-8",
    )

    import_file(ws, "sites", path)

    sites = ws.read_layer("sites").set_index("site_id")
    assert _xy(sites.loc["A"].geometry) == pytest.approx(
        (108 + 55 / 60 + 12.3 / 3600, 13 + 46 / 60), abs=1e-12
    )
    assert _xy(sites.loc["B"].geometry) == (109.25, 14.5)


@pytest.mark.parametrize(
    ("name", "member"),
    [("data.xlsx", None), ("Danh sach", "xl/workbook.xml"), ("book.bin", "xl/workbook.xml")],
)
def test_detect_xlsx_by_extension_and_content(tmp_path: Path, name: str, member: str | None) -> None:
    path = _workbook(tmp_path / "book.xlsx", {"S": [["a", "b"], [1, 2]]})
    if member is not None:
        path = path.rename(tmp_path / name)
    assert detect_format(path) == "xlsx"


# -- errors: one line naming file (and sheet, row, column), nothing written ----------------


def _xls(tmp_path: Path) -> Path:
    path = tmp_path / "tram.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504))
    return path


def _ole2_no_extension(tmp_path: Path) -> Path:
    return _xls(tmp_path).rename(tmp_path / "tram")


def _xlsb(tmp_path: Path) -> Path:
    path = tmp_path / "tram.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.bin", b"\x00\x01")
    return path


def _empty_sheet(tmp_path: Path) -> Path:
    return _workbook(tmp_path / "sites.xlsx", {"Trống": [[TITLE], [], [None, None, None]]})


def _header_only(tmp_path: Path) -> Path:
    return _workbook(tmp_path / "sites.xlsx", {"Trạm": [[TITLE], SITE_HEADER]})


def _with_row(lon: Any, lat: Any) -> Callable[[Path], Path]:
    def make(tmp_path: Path) -> Path:
        rows = [[TITLE], [], SITE_HEADER, ["A", "x", None, "on_air", 30, None, 108.9, 14.1]]
        rows.append(["B", "y", None, "on_air", 30, None, lon, lat])
        return _workbook(tmp_path / "sites.xlsx", {"Trạm": rows})

    return make


def _xls_named_xlsx(tmp_path: Path) -> Path:
    return _xls(tmp_path).rename(tmp_path / "tram.xlsx")


def _broken_sheet(tmp_path: Path) -> Path:
    path = _sites_book(tmp_path / "sites.xlsx")
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    members["xl/worksheets/sheet1.xml"] = b"<worksheet><sheetData><row><c"
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def _not_a_workbook(tmp_path: Path) -> Path:
    path = tmp_path / "sites.xlsx"
    path.write_text("site_id,lon,lat\nA,108,14\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("make", "args", "fragments"),
    [
        # A broken .xls (its Office header, nothing readable after it), however it is named.
        pytest.param(_xls, [], ("tram.xls", "cannot read as an Excel 97-2003 workbook (.xls)"), id="xls"),
        pytest.param(
            _ole2_no_extension, [], ("tram:", "cannot read as an Excel 97-2003 workbook"), id="ole2-content"
        ),
        pytest.param(
            _xls_named_xlsx,
            [],
            ("tram.xlsx", "cannot read as an Excel 97-2003 workbook"),
            id="xls-named-xlsx",
        ),
        pytest.param(_broken_sheet, [], ("sites.xlsx", "cannot read as an Excel workbook"), id="broken-xml"),
        pytest.param(_xlsb, [], ("tram.zip", "(.xlsb)", "save it as"), id="xlsb"),
        pytest.param(
            lambda t: _sites_book(t / "sites.xlsx"),
            ["--source-layer", "Mobifone"],
            ("no sheet 'Mobifone'", "'Viettel', 'VNPT'"),
            id="no-sheet",
        ),
        pytest.param(_empty_sheet, [], ("sites.xlsx", "sheet 'Trống' holds no table"), id="empty-sheet"),
        pytest.param(
            _header_only, [], ("sheet 'Trạm'", "header on row 2 but no data rows"), id="header-only"
        ),
        pytest.param(
            _with_row("108°75'12\"E", "14°10'N"),
            [],
            ("sites.xlsx", "row 1", "field 'Kinh độ'", "75 minutes", "below 60"),
            id="minutes-over-60",
        ),
        pytest.param(
            _with_row("108°55'60\"E", "14°10'N"), [], ("row 1", "60 seconds", "below 60"), id="seconds-60"
        ),
        pytest.param(
            _with_row("108°55'12\"N", "14°10'N"),
            [],
            ("row 1", "field 'Kinh độ'", "hemisphere N is for latitude, not longitude"),
            id="wrong-hemisphere",
        ),
        pytest.param(
            _with_row(108.9, "mười bốn"), [], ("row 1", "field 'Vĩ độ'", "is not a number"), id="not-dms"
        ),
        pytest.param(
            _not_a_workbook, [], ("sites.xlsx", "cannot read as an Excel workbook"), id="not-a-workbook"
        ),
    ],
)
def test_cli_refuses_bad_workbooks_writing_nothing(
    ws: Workspace,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    make: Callable[[Path], Path],
    args: list[str],
    fragments: tuple[str, ...],
) -> None:
    import_file(ws, "sites", _sites_book(tmp_path / "before.xlsx"))
    before = workspace_digest(ws)

    code = main(["import", str(ws.path), "sites", str(make(tmp_path)), *args])

    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in err
    assert workspace_digest(ws) == before


def test_workbook_over_the_size_limit_is_refused(ws: Workspace, tmp_path: Path) -> None:
    path = _workbook(
        tmp_path / "big.xlsx",
        {"S": [["site_id", "lon", "lat"], *[[f"S{i}", 108.0, 14.0] for i in range(2000)]]},
    )
    size = path.stat().st_size

    with pytest.raises(InputTooLarge, match="unpacks to"):
        import_file(ws, "sites", path, max_bytes=size + 10)  # the file fits; its unpacked XML does not
    with pytest.raises(InputTooLarge):
        import_file(ws, "sites", path, max_bytes=size - 1)
    assert not ws.has_layer("sites")


def test_speed_tests_from_a_workbook(ws: Workspace, tmp_path: Path) -> None:
    path = _workbook(
        tmp_path / "do_kiem.xlsx",
        {
            "Đo kiểm": [
                ["time", "lon", "lat", "operator", "tech", "download_mbps"],
                [dt.datetime(2025, 1, 2, 8, 30), "108°55'12\"E", "13°46'N", "Viettel", "4G", 42.5],
            ]
        },
    )

    result = import_file(ws, "speed_tests", path)

    assert result.counts == {"speed_tests": 1}
    tests = ws.read_layer("speed_tests")
    assert tests["download_mbps"].iloc[0] == 42.5


def test_read_file_names_unknown_sheet_with_error_class(tmp_path: Path) -> None:
    with pytest.raises(LayerValidationError, match="its sheets: 'Viettel', 'VNPT'"):
        read_file(_sites_book(tmp_path / "s.xlsx"), "sites", source_layer="MobiFone")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    points=st.lists(
        st.tuples(
            st.floats(min_value=102.0, max_value=110.0, allow_nan=False),
            st.floats(min_value=8.0, max_value=23.5, allow_nan=False),
            st.text(alphabet="aăâđeêoôơuưy ÀẠẢÃÁẦẬẨẪẤ", min_size=1, max_size=8),
        ),
        min_size=1,
        max_size=5,
    )
)
def test_cells_come_back_exactly(tmp_path: Path, points: list[tuple[float, float, str]]) -> None:
    # Excel keeps 15 significant digits (openpyxl, writing these fixtures, 16).
    points = [(float(f"{lon:.15g}"), float(f"{lat:.15g}"), name) for lon, lat, name in points]
    rows: list[list[Any]] = [[TITLE], ["site_id", "name", "lon", "lat"]]
    rows += [
        [f"S{i}", unicodedata.normalize("NFD", name), lon, lat] for i, (lon, lat, name) in enumerate(points)
    ]
    path = _workbook(tmp_path / "round.xlsx", {"S": rows})

    frame = read_file(path, "sites")["sites"]

    assert [_xy(g) for g in frame.geometry] == [(lon, lat) for lon, lat, _ in points]
    expected = [unicodedata.normalize("NFC", n) if n.strip() else None for _, _, n in points]
    assert list(frame["name"]) == expected


def test_an_error_says_which_excel_row_its_rows_count_from(ws: Workspace, tmp_path: Path) -> None:
    """Under a title the header is on Excel row 3: the error's row 1 is Excel row 5, and the
    error says where the counting starts (the note that says it is shown on success only)."""
    rows = [[TITLE], [], ["site_id", "Kinh độ", "Vĩ độ"], ["A", 109.1, 13.7], ["B", "109.0987.5", 13.8]]
    path = _workbook(tmp_path / "tram.xlsx", {"Viettel": rows})

    with pytest.raises(
        LayerValidationError, match=r"row 1, .*; row numbers in messages count from 0 at Excel row 4"
    ):
        import_file(ws, "sites", path)

    rows[3][0] = "B"  # now validation's error (a duplicate id) is placed the same way
    rows[4][1] = 109.2
    with pytest.raises(LayerValidationError, match=r"duplicate id 'B'; row numbers .* at Excel row 4"):
        import_file(ws, "sites", _workbook(tmp_path / "tram2.xlsx", {"Viettel": rows}))


def test_a_list_split_one_sheet_per_district_is_read_whole(ws: Workspace, tmp_path: Path) -> None:
    """A province's village list with one sheet per district, the same columns on each: read
    together, in the workbook's order, with a note; an error names the sheet and its row.
    Fails if the first sheet alone is read (part of the list replacing the layer). A workbook
    whose sheets differ (a summary beside the list) reads its first sheet, as before."""
    header = ["Mã thôn", "Tên thôn", "Loại", "Mã tỉnh", "Kinh độ", "Vĩ độ"]
    sheets = {
        "Hoài Nhơn": [
            ["DANH SÁCH THÔN HUYỆN HOÀI NHƠN"],
            [],
            header,
            ["HN1", "Thôn 1", "thôn", "52", 109.01, 14.4],
        ],
        "Phù Cát": [
            header,
            ["PC1", "Thôn 2", "thôn", "52", 109.02, 14.0],
            ["PC2", "Thôn 3", "thôn", "52", 109.03, 14.01],
        ],
    }
    path = _workbook(tmp_path / "thon.xlsx", sheets)

    result = import_file(ws, "villages", path)

    assert ws.read_layer("villages")["village_id"].tolist() == ["HN1", "PC1", "PC2"]
    assert (
        "read the 2 sheets 'Hoài Nhơn' (1 rows), 'Phù Cát' (2 rows) together: they have the same columns "
        "(choose one with --source-layer)" in result.notes
    )
    sheets["Phù Cát"][2][4] = "bad"
    _workbook(path, sheets)
    with pytest.raises(LayerValidationError, match=r"row 2 is row 3 of sheet 'Phù Cát'"):
        import_file(ws, "villages", path)
    sheets["Phù Cát"][2][4] = 109.03
    sheets = {"Tổng hợp": [["Huyện", "Số thôn"], ["Hoài Nhơn", 1]], **sheets}
    _workbook(path, sheets)
    with pytest.raises(
        LayerValidationError, match=r"in sheet 'Tổng hợp', the first of the workbook's sheets"
    ):
        import_file(ws, "villages", path)


def test_sheets_kept_by_different_hands_are_read_together_by_the_fields_they_give(
    ws: Workspace, tmp_path: Path
) -> None:
    """One sheet per operator, each a little different: a ``Ghi chú`` column on one, latitude
    before longitude and ``Tình trạng`` for the status on another. Fails if the first sheet
    alone is read (the others' sites lost), or a column is read under another's values."""
    sheets = {
        "Viettel": [
            ["STT", "Mã trạm", "Kinh độ", "Vĩ độ", "Trạng thái"],
            [1, "VT1", 109.1, 14.4, "Đã phát sóng"],
        ],
        "VNPT": [
            ["STT", "Mã trạm", "Kinh độ", "Vĩ độ", "Trạng thái", "Ghi chú"],
            [1, "VNP1", 108.8, 14.1, "Quy hoạch", "Dùng chung cột"],
        ],
        "MobiFone": [
            ["TT", "Mã trạm", "Vĩ độ", "Kinh độ", "Tình trạng"],
            [1, "MBF1", 13.8, 109.2, "Hoạt động"],
        ],
    }
    result = import_file(ws, "sites", _workbook(tmp_path / "tram.xlsx", sheets))

    sites = ws.read_layer("sites").set_index("site_id")
    assert sites["status"].to_dict() == {"VT1": "on_air", "VNP1": "planned", "MBF1": "on_air"}
    assert (sites.geometry.x.tolist(), sites.geometry.y.tolist()) == (
        [109.1, 108.8, 109.2],
        [14.4, 14.1, 13.8],
    )
    assert any("they have columns read as the same fields" in note for note in result.notes)


def test_degrees_minutes_and_seconds_in_columns_of_their_own_are_one_coordinate(
    ws: Workspace, tmp_path: Path
) -> None:
    """A survey list puts "Kinh độ" and "Vĩ độ" over "Độ | Phút | Giây" (merged group cells):
    each coordinate is read from its three columns. Fails if the import finds no longitude
    column (the parts' own names, Độ, Phút, Giây, name none)."""
    rows = [
        ["STT", "Mã trạm", "Kinh độ", None, None, "Vĩ độ", None, None],
        [None, None, "Độ", "Phút", "Giây", "Độ", "Phút", "Giây"],
        [1, "BDH001", 109, 13, 9.8, 13, 46, 35.4],
    ]
    path = _workbook(tmp_path / "tram.xlsx", {"BTS": rows})

    result = import_file(ws, "sites", path)

    site = ws.read_layer("sites").geometry.iloc[0]
    assert (site.x, site.y) == pytest.approx((109 + 13 / 60 + 9.8 / 3600, 13 + 46 / 60 + 35.4 / 3600))
    assert any(
        note.startswith("coordinates in degrees, minutes and seconds columns read together")
        for note in result.notes
    )
