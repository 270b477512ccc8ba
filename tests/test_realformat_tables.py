"""Tables as real Excel and provincial exports write them: whole numbers with thousands
separators, title rows above a CSV's header, totals rows, dates as Excel serials."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from coverage_gis.errors import LayerValidationError
from coverage_gis.io import import_file
from coverage_gis.layers import FieldSchema, LayerSchema
from coverage_gis.validation import validate_layer
from coverage_gis.workspace import Workspace

_COUNT = LayerSchema("t", "t", "t", "none", "n", (FieldSchema("n", "int"),))
_VILLAGES = "Mã thôn,Tên thôn,Loại,Mã tỉnh,Kinh độ,Vĩ độ,Dân số\n"


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    return Workspace.create(tmp_path / "ws", metric_crs="EPSG:32649")


def _csv(tmp_path: Path, text: str, name: str = "in.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1.000", 1000),
        ("1,000", 1000),
        ("12.345.678", 12345678),
        ("12,345,678", 12345678),
        ("1\u00a0234", 1234),
        ("1 234", 1234),
        ("-2.500", -2500),
        ("1000", 1000),
        ("1000.0", 1000),
        ("1000,0", 1000),
    ],
)
def test_whole_numbers_with_thousands_separators_read_as_thousands(text: str, expected: int) -> None:
    clean, _ = validate_layer(pd.DataFrame({"n": [text]}), _COUNT, source="t.csv")

    assert clean["n"].tolist() == [expected]


@pytest.mark.parametrize("text", ["1.2345", "1,5", "1.000,5", "1.000,000.000", "1.2340"])
def test_other_fractions_in_whole_number_fields_stay_errors(text: str) -> None:
    with pytest.raises(LayerValidationError, match=r"not a (whole )?number"):
        validate_layer(pd.DataFrame({"n": [text]}), _COUNT, source="t.csv")


@given(st.integers(min_value=1000, max_value=10**12), st.sampled_from([".", ",", "\u00a0", " "]))
def test_any_grouped_whole_number_reads_back(value: int, sep: str) -> None:
    text = f"{value:,}".replace(",", sep)

    clean, _ = validate_layer(pd.DataFrame({"n": [text]}), _COUNT, source="t.csv")

    assert clean["n"].tolist() == [value]


def test_village_population_with_vietnamese_thousands_is_not_divided(ws: Workspace, tmp_path: Path) -> None:
    rows = 'T1,Thôn 1,thôn,52,109.01,13.77,1.000\nT2,Thôn 2,thôn,52,109.02,13.78,"2.345"\n'
    path = _csv(tmp_path, _VILLAGES + rows)

    import_file(ws, "villages", path)

    assert ws.read_layer("villages")["population"].tolist() == [1000, 2345]


@pytest.mark.parametrize(
    "title",
    [
        "DANH SÁCH TRẠM BTS TỈNH BÌNH ĐỊNH,,,,\n,,,,\n",
        '"DANH SÁCH TRẠM BTS, TỈNH BÌNH ĐỊNH";;;;\n;;;;\n',
        "Danh sách trạm\n\n",
    ],
    ids=["comma", "semicolon-quoted", "bare"],
)
def test_title_lines_above_a_csv_header_are_skipped(ws: Workspace, tmp_path: Path, title: str) -> None:
    sep = ";" if ";" in title else ","
    table = f"Mã trạm{sep}Kinh độ{sep}Vĩ độ\nS1{sep}109.01{sep}13.77\nS2{sep}109.02{sep}bad\n"
    path = _csv(tmp_path, title + table)

    with pytest.raises(LayerValidationError, match=r"row 1, field 'Vĩ độ'"):
        import_file(ws, "sites", path)  # rows count from the row under the header
    path.write_text(title + table.replace("bad", "13.78"), encoding="utf-8")
    result = import_file(ws, "sites", path)

    assert ws.read_layer("sites")["site_id"].tolist() == ["S1", "S2"]
    assert any("title line" in note for note in result.notes)


@pytest.mark.parametrize(
    "footer",
    [
        "Tổng cộng,,,,,,3.579\n",
        "TỔNG CỘNG: 2 thôn,,,,,,\n",
        "Cộng,,,,,,3579\n,,,,,,\nNgười lập biểu,,,,Giám đốc,,\n",
        "Total,,,,,,3579\n",
    ],
    ids=["tong-cong", "upper", "cong-and-signatures", "total"],
)
def test_a_totals_row_under_the_table_is_left_out(ws: Workspace, tmp_path: Path, footer: str) -> None:
    rows = "T1,Thôn 1,thôn,52,109.01,13.77,1234\nT2,Thôn 2,thôn,52,109.02,13.78,2345\n"
    path = _csv(tmp_path, _VILLAGES + rows + footer)

    result = import_file(ws, "villages", path)

    assert ws.read_layer("villages")["village_id"].tolist() == ["T1", "T2"]
    assert any("left out the totals row 2" in note for note in result.notes)


def test_a_place_named_like_a_total_is_data(ws: Workspace, tmp_path: Path) -> None:
    rows = "T1,Thôn 1,thôn,52,109.01,13.77,1234\nCộng Hòa,Thôn Cộng Hòa,thôn,52,109.02,13.78,2345\n"

    import_file(ws, "villages", _csv(tmp_path, _VILLAGES + rows))

    assert ws.read_layer("villages")["village_id"].tolist() == ["T1", "Cộng Hòa"]


def test_a_totals_row_with_a_full_row_under_it_is_data_and_refused(ws: Workspace, tmp_path: Path) -> None:
    rows = "T1,Thôn 1,thôn,52,109.01,13.77,1234\nTổng cộng,,,,,,1234\nT2,Thôn 2,thôn,52,109.02,13.78,2345\n"

    with pytest.raises(LayerValidationError, match="row 1"):
        import_file(ws, "villages", _csv(tmp_path, _VILLAGES + rows))


def test_subtotal_rows_under_each_commune_are_left_out(ws: Workspace, tmp_path: Path) -> None:
    """A list sums each commune's villages under them ("Cộng", "Cộng xã …"): not villages.
    Fails if a subtotal is read as a row (its empty coordinates refused) or a village whose
    name begins like one ("Cộng Hòa") is left out."""
    rows = (
        "T1,Thôn 1,thôn,52,109.01,13.77,1234\n"
        "Cộng,,,,,,1234\n"
        "T2,Cộng Hòa,thôn,52,109.02,13.78,2345\n"
        "Cộng xã Bảo Hà,,,,,,2345\n"
    )
    result = import_file(ws, "villages", _csv(tmp_path, _VILLAGES + rows))
    assert ws.read_layer("villages")["village_id"].tolist() == ["T1", "T2"]
    assert "left out 2 subtotal rows (1, 3)" in result.notes


def test_rows_with_nothing_but_their_number_are_left_out(ws: Workspace, tmp_path: Path) -> None:
    """Excel saves a formatted blank row as ``,,,`` (``;;;``), and a template numbers rows it
    leaves unfilled (``STT`` alone): no row of data, wherever they are. The others keep their
    numbers in errors."""
    rows = (
        "1,T1,Thôn 1,thôn,52,109.01,13.77,1234\n"
        ",,,,,,,\n"
        "2,T2,Thôn 2,thôn,52,109.02,13.78,2345\n"
        "3,,  ,,,,,\n"
        "4,,,,,,,\n"
    )
    result = import_file(ws, "villages", _csv(tmp_path, "STT," + _VILLAGES + rows))
    assert ws.read_layer("villages")["village_id"].tolist() == ["T1", "T2"]
    assert "left out 3 empty rows (blank, or with a row number alone): 1, 3, 4" in result.notes
    with pytest.raises(LayerValidationError, match="row 2, field 'population'"):
        import_file(ws, "villages", _csv(tmp_path, "STT," + _VILLAGES + rows.replace("2345", "many")))


def test_numbered_empty_rows_of_a_workbook_are_left_out(ws: Workspace, tmp_path: Path) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["STT", "Mã thôn", "Tên thôn", "Loại", "Mã tỉnh", "Kinh độ", "Vĩ độ"])
    sheet.append([1, "T1", "Thôn 1", "thôn", "52", 109.01, 13.77])
    for n in range(2, 6):
        sheet.append([n, None, " ", None, None, None, None])
    book.save(tmp_path / "thon.xlsx")

    import_file(ws, "villages", tmp_path / "thon.xlsx")

    assert ws.read_layer("villages")["village_id"].tolist() == ["T1"]


def _geojson(tmp_path: Path, properties: list[dict[str, object]]) -> Path:
    import json

    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [109.01 + k / 100, 13.77]},
            "properties": p,
        }
        for k, p in enumerate(properties)
    ]
    path = tmp_path / "thon.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")
    return path


def test_a_geojson_property_of_numbers_and_text_reads_the_text_as_written(
    ws: Workspace, tmp_path: Path
) -> None:
    """GDAL gives a property of mixed types as JSON text, which pyogrio parsed: "8.000" became
    8.0 (eight people) where the same text in a CSV is 8,000."""
    base = {"Mã tỉnh": "52", "Loại": "thôn", "Số hộ": 120}
    path = _geojson(
        tmp_path,
        [
            {**base, "Mã thôn": "T1", "Tên thôn": "Thôn 1", "Dân số": 500},
            {**base, "Mã thôn": "T2", "Tên thôn": "Thôn 2", "Dân số": "8.000"},
        ],
    )
    import_file(ws, "villages", path)
    assert ws.read_layer("villages")["population"].tolist() == [500, 8000]


def test_an_error_shows_a_value_as_the_file_writes_it(ws: Workspace, tmp_path: Path) -> None:
    path = _geojson(
        tmp_path, [{"Mã thôn": "T1", "Tên thôn": "Thôn 1", "Loại": "thôn", "Mã tỉnh": "52", "Dân số": 1.5}]
    )
    with pytest.raises(LayerValidationError, match=r"field 'population': 1\.5 is not a whole number"):
        import_file(ws, "villages", path)


def _dates(values: list[object]) -> list[object]:
    schema = LayerSchema("t", "t", "t", "none", "d", (FieldSchema("d", "date"),))
    clean, _ = validate_layer(pd.DataFrame({"d": pd.Series(values, dtype=object)}), schema, source="t")
    return clean["d"].tolist()


def test_excel_day_numbers_in_a_date_field_are_dates() -> None:
    assert _dates([45000, "45000", 45000.75, "2023-03-15", "2023"]) == [
        "2023-03-15",
        "2023-03-15",
        "2023-03-15",
        "2023-03-15",
        "2023-01-01",
    ]


def test_numeric_dates_are_read_day_first_as_vietnamese_exports_write_them() -> None:
    assert (
        _dates(["05/01/2023", "15/03/2023", "5.1.2023", "05-01-2023"])
        == ["2023-01-05", "2023-03-15"] + ["2023-01-05"] * 2
    )
    assert _dates(["05/01/2023", "03/15/2023"]) == ["2023-05-01", "2023-03-15"]  # a month-first column


def test_a_day_first_date_with_a_time_of_day_is_read_day_first() -> None:
    """A drive-test export writes ``05/03/2025 08:15``: 5 March, its time dropped (a date field
    keeps the day). Fails if the time sends it to the month-first parser (3 May)."""
    assert _dates(["05/03/2025 08:15", "06/03/2025 14:02:33", "07/03/2025", "08:15 09/03/2025"]) == [
        "2025-03-05",
        "2025-03-06",
        "2025-03-07",
        "2025-03-09",
    ]
    assert _dates(["05/03/2019 00:00:00", "1/2/2020 8:15 SA"]) == ["2019-03-05", "2020-02-01"]


def test_a_month_quarter_or_year_written_in_vietnamese_is_the_date_it_begins_on() -> None:
    """A site list gives its commissioning as "tháng 3/2024" or "Quý II/2024": read as the
    first day of that month or quarter. Fails if refused as no date; a month 13 still is."""
    assert _dates(
        ["tháng 3/2024", "Tháng 12 năm 2023", "T3/2024", "Quý II/2024", "quý 4 năm 2022", "năm 2021"]
    ) == [
        "2024-03-01",
        "2023-12-01",
        "2024-03-01",
        "2024-04-01",
        "2022-10-01",
        "2021-01-01",
    ]
    with pytest.raises(LayerValidationError, match=r"'tháng 13/2024' is not a date"):
        _dates(["tháng 13/2024"])


def test_a_month_and_year_alone_is_the_month_not_a_day_of_the_year_1() -> None:
    """ "03.2024" was read as 0001-01-03 by the parser's guess; "Tháng 10, 2023" was refused."""
    assert _dates(["03.2024", "11.2023", "3/2024", "Tháng 10, 2023"]) == [
        "2024-03-01",
        "2023-11-01",
        "2024-03-01",
        "2023-10-01",
    ]
    with pytest.raises(LayerValidationError, match=r"'13.2024' is not a date"):
        _dates(["13.2024"])


def _yes_no(values: list[object]) -> list[object]:
    schema = LayerSchema("t", "t", "t", "none", "b", (FieldSchema("b", "bool"),))
    clean, _ = validate_layer(pd.DataFrame({"b": pd.Series(values, dtype=object)}), schema, source="t")
    return clean["b"].tolist()


def test_yes_no_phrases_ticks_and_decimals_are_read() -> None:
    """A grid-power column written "Có điện lưới" / "Chưa có điện", with ticks, or as 1.0/0.0
    (a number column saved as text). Fails if any is refused; a word that says neither still is."""
    assert _yes_no(["Có điện lưới", "Chưa có điện", "không có", "✓", "✗", "1.0", "0.0"]) == [
        True,
        False,
        False,
        True,
        False,
        True,
        False,
    ]
    with pytest.raises(LayerValidationError, match=r"'điện mặt trời' is not a yes/no value"):
        _yes_no(["điện mặt trời"])


def test_numeric_dates_with_a_two_digit_year_are_read_day_first_too() -> None:
    """``05/01/23`` is 5 January 2023, as ``05/01/2023`` is (not May, as a month-first parser has it)."""
    assert _dates(["05/01/23", "10/11/22", "15/3/22", "01.02.98"]) == [
        "2023-01-05",
        "2022-11-10",
        "2022-03-15",
        "1998-02-01",
    ]


@given(st.dates(min_value=dt.date(1969, 1, 1), max_value=dt.date(2068, 12, 31)))
def test_any_date_with_a_two_digit_year_reads_back(day: dt.date) -> None:
    assert _dates([day.strftime("%d/%m/%y")]) == [day.isoformat()]


@given(st.dates(min_value=dt.date(1930, 1, 1), max_value=dt.date(2170, 12, 31)))
def test_any_date_reads_back_as_a_day_number_and_day_first(day: dt.date) -> None:
    serial = (pd.Timestamp(day) - pd.Timestamp("1899-12-30")).days

    assert _dates([serial, day.strftime("%d/%m/%Y")]) == [day.isoformat()] * 2


def _two_row_header_workbook(path: Path) -> Path:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["DANH SÁCH TRẠM BTS"])
    sheet.append(["STT", "Mã trạm", "Tọa độ", None, "Ghi chú"])
    sheet.append([None, None, "Kinh độ", "Vĩ độ", None])
    for cells in ("A2:A3", "B2:B3", "C2:D2", "E2:E3"):
        sheet.merge_cells(cells)
    sheet.append([1, "S1", 109.01, 13.77, None])
    sheet.append([2, "S2", 109.02, "bad", "x"])
    book.save(path)
    return path


def test_a_two_row_header_with_merged_group_cells_is_read(ws: Workspace, tmp_path: Path) -> None:
    header = "DANH SÁCH,,,,\nSTT,Mã trạm,Tọa độ,,Ghi chú\n,,Kinh độ,Vĩ độ,\n"
    text = header + "1,S1,109.01,13.77,\n2,S2,109.02,bad,x\n"
    for path in (_csv(tmp_path, text), _two_row_header_workbook(tmp_path / "in.xlsx")):
        with pytest.raises(LayerValidationError, match=r"row 1, field 'Vĩ độ'"):
            import_file(ws, "sites", path)  # rows count from the row under both header rows

    import_file(ws, "sites", _csv(tmp_path, text.replace("bad", "13.78")))

    sites = ws.read_layer("sites")
    assert sites["site_id"].tolist() == ["S1", "S2"]
    assert sites.geometry.x.tolist() == [109.01, 109.02]


@pytest.mark.parametrize(
    ("header", "under"),
    [
        (["Mã trạm", "Tên", "Trạng thái"], ["S1", "Trạm 1", "on_air"]),  # every cell under a header
        (["Mã trạm", None, "Trạng thái"], ["S1", "ghi chú", "on_air"]),  # an unnamed notes column
        (["Mã trạm", "Tọa độ", None], ["S1", 109.01, 13.77]),  # numbers are data
        (["Tên", None, "Trạng thái"], ["Trạm 1", "ghi chú", "on_air"]),
    ],
)
def test_a_data_row_under_the_header_is_no_second_header_row(
    header: list[object], under: list[object]
) -> None:
    from coverage_gis.io.table_shape import merged_header

    assert merged_header(header, under) is None


def test_a_workbook_whose_first_sheet_is_a_summary_names_its_sheets(ws: Workspace, tmp_path: Path) -> None:
    import openpyxl

    path = tmp_path / "tram.xlsx"
    book = openpyxl.Workbook()
    summary = book.active
    assert summary is not None
    summary.title = "Tổng hợp"
    summary.append(["Nhà mạng", "Số trạm"])
    summary.append(["Viettel", 2])
    sites = book.create_sheet("Viettel")
    sites.append(["Mã trạm", "Kinh độ", "Vĩ độ"])
    sites.append(["S1", 109.01, 13.77])
    book.save(path)

    with pytest.raises(LayerValidationError, match=r"in sheet 'Tổng hợp'.*\('Tổng hợp', 'Viettel'\)"):
        import_file(ws, "sites", path)
    import_file(ws, "sites", path, source_layer="Viettel")

    assert ws.read_layer("sites")["site_id"].tolist() == ["S1"]


@pytest.mark.parametrize(
    "row",
    [
        ["1", "2", "3", "4"],
        ["(1)", "(2)", "(3)", "(4)"],
        [1, 2, 3.0, 4],
        ["A", "B", "C"],
        ["[1]", None, "[2]", "[3]"],
    ],
)
def test_a_row_numbering_the_columns_is_recognised(row: list[object]) -> None:
    from coverage_gis.io.table_shape import is_column_numbers

    assert is_column_numbers(row)


@pytest.mark.parametrize(
    "row", [["1", "S1", "109.01", "13.77"], ["1", "2"], ["1", "3", "4"], [True, 2, 3], ["(1)", "(2)", "x"]]
)
def test_a_data_row_is_no_row_of_column_numbers(row: list[object]) -> None:
    from coverage_gis.io.table_shape import is_column_numbers

    assert not is_column_numbers(row)


def test_an_official_forms_column_numbers_under_the_header_are_skipped(ws: Workspace, tmp_path: Path) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in (["BIỂU 01"], ["STT", "Mã trạm", "Kinh độ", "Vĩ độ"], [1, 2, 3, 4], [1, "S1", 109.01, "bad"]):
        sheet.append(row)
    book.save(tmp_path / "bieu.xlsx")
    text = "STT;Mã trạm;Kinh độ;Vĩ độ\n(1);(2);(3);(4)\n1;S1;109,01;13,77\n2;S2;109,02;13,78\n"

    with pytest.raises(LayerValidationError, match=r"row 0, field 'Vĩ độ'"):
        import_file(ws, "sites", tmp_path / "bieu.xlsx")  # the first row under the numbers is row 0
    import_file(ws, "sites", _csv(tmp_path, text))

    assert ws.read_layer("sites")["site_id"].tolist() == ["S1", "S2"]


_HEADING = (
    ("UBND TỈNH BÌNH ĐỊNH", None, None, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"),
    ("SỞ THÔNG TIN VÀ TRUYỀN THÔNG", None, None, "Độc lập - Tự do - Hạnh phúc"),
    ("-------", None, None, "---------------"),
    ("Số: 12/BC-STTTT", None, None, "Bình Định, ngày 5 tháng 3 năm 2024"),
    (None, None, None, None),
    ("DANH SÁCH TRẠM BTS", None, None, None),
    ("STT", "Mã trạm", "Kinh độ", "Vĩ độ"),
    (1, "BDH001", 109.2194, 13.7765),
    (2, "BDH002", 109.1982, 13.8123),
)


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_an_official_documents_heading_above_the_table_is_skipped(
    ws: Workspace, tmp_path: Path, kind: str
) -> None:
    """A Sở TT&TT appendix opens with the agency beside the national name and motto, its
    number beside its date: two filled cells a row, as a header has. Fails if the first of
    those rows is taken for the header (no longitude and latitude column)."""
    if kind == "csv":
        lines = [",".join("" if c is None else f'"{c}"' for c in row) for row in _HEADING]
        path = _csv(tmp_path, "\n".join(lines) + "\n")
    else:
        import openpyxl

        book = openpyxl.Workbook()
        for row in _HEADING:
            book.active.append(list(row))
        path = tmp_path / "in.xlsx"
        book.save(path)

    import_file(ws, "sites", path)

    assert ws.read_layer("sites")["site_id"].tolist() == ["BDH001", "BDH002"]


def test_rows_that_head_or_total_a_group_of_rows_are_left_out(ws: Workspace, tmp_path: Path) -> None:
    """A provincial list numbers its operators' parts ``I``, ``II`` (their rows ``1, 2`` under
    each) and closes a district with ``Cộng Tuy Phước``: those rows describe no site. Fails if
    they are refused for want of coordinates. A numbered row keeps its place in errors."""
    table = (
        "STT,Doanh nghiệp,Mã trạm,Kinh độ,Vĩ độ\n"
        "I,VIETTEL,,,\n"
        "1,Viettel,BDH001,109.2194,13.7765\n"
        "2,Viettel,BDH002,109.1982,13.8123\n"
        ",Cộng Viettel,,,\n"
        "II.,VNPT,,,\n"
        "1,VNPT,BDI205,109.0512,14.0021\n"
        ",Tổng cộng,,,\n"
    )
    path = _csv(tmp_path, table)

    result = import_file(ws, "sites", path)

    assert ws.read_layer("sites")["site_id"].tolist() == ["BDH001", "BDH002", "BDI205"]
    assert (
        "left out 3 rows that head or total a group of rows, not features: row 0 (I) 'VIETTEL', "
        "row 3 'Cộng Viettel', row 4 (II.) 'VNPT'" in result.notes
    )
    path.write_text(table.replace("13.8123", "bad"), encoding="utf-8")
    with pytest.raises(LayerValidationError, match=r"row 2, field 'Vĩ độ'"):
        import_file(ws, "sites", path)


def test_a_row_lettered_under_a_numbered_one_that_fills_its_cells_is_kept(
    ws: Workspace, tmp_path: Path
) -> None:
    """A site numbered 1 with its second mast lettered "a" beneath: a row that fills its cells
    is a feature, whatever its number. Fails if it is left out as a group's heading."""
    path = _csv(
        tmp_path, "STT,Mã trạm,Kinh độ,Vĩ độ\n1,S1,109.01,13.77\na,S1B,109.02,13.78\n2,S2,109.03,13.79\n"
    )

    import_file(ws, "sites", path)

    assert ws.read_layer("sites")["site_id"].tolist() == ["S1", "S1B", "S2"]


def test_a_list_numbered_by_letters_alone_keeps_its_rows(ws: Workspace, tmp_path: Path) -> None:
    """Where most rows are not numbered 1, 2, 3, a letter is a row's own number, not a group's."""
    path = _csv(
        tmp_path, "STT,Mã trạm,Kinh độ,Vĩ độ\na,S1,109.01,13.77\nb,S2,109.02,13.78\nc,S3,109.03,13.79\n"
    )

    import_file(ws, "sites", path)

    assert ws.read_layer("sites")["site_id"].tolist() == ["S1", "S2", "S3"]


def test_a_yes_no_column_that_ticks_yes_reads_its_blanks_as_no(ws: Workspace, tmp_path: Path) -> None:
    """A village list ticks "Có điện lưới" with an x and leaves the villages without grid power
    blank. Fails if the blanks take the schema's default (yes); a column that also writes "Có"
    or "Không" keeps the default for its blanks."""
    head = "Mã thôn,Tên thôn,Loại,Mã tỉnh,Kinh độ,Vĩ độ,Có điện lưới\n"
    rows = [
        "V1,Thôn 1,thôn,52,109.01,13.77,x",
        "V2,Thôn 2,thôn,52,109.02,13.78,",
        "V3,Thôn 3,thôn,52,109.03,13.79,✓",
    ]
    path = _csv(tmp_path, head + "\n".join(rows) + "\n")

    result = import_file(ws, "villages", path)

    assert ws.read_layer("villages")["has_grid_power"].tolist() == [True, False, True]
    assert (
        "villages: has_grid_power: the column ticks yes (x, ✓) and leaves the others blank: "
        "its 1 row left blank read as no" in result.notes
    )
    path.write_text(head + "\n".join([*rows[:2], rows[2].replace("✓", "Không")]) + "\n", encoding="utf-8")
    import_file(ws, "villages", path)
    assert ws.read_layer("villages")["has_grid_power"].tolist() == [True, True, False]
