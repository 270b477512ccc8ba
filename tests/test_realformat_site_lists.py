"""Lists with a row per site that write its cells in one field (a Sở TT&TT appendix:
``Công nghệ`` ``2G/3G/4G``, ``Góc phương vị`` ``0/120/240``), read as one cell per
technology and azimuth (:mod:`coverage_gis.io.sector_lists`)."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from coverage_gis.cli import main
from coverage_gis.errors import LayerValidationError
from coverage_gis.io import import_file
from coverage_gis.workspace import Workspace

_APPENDIX = (
    "STT,Mã trạm,Tên trạm,Kinh độ,Vĩ độ,Doanh nghiệp,Công nghệ,Góc phương vị\n"
    "1,BDH001,Trạm Hoài Nhơn 1,109.0312,14.5123,Viettel,2G/3G/4G,0/120/240\n"
    "2,BDH002,Trạm Hoài Nhơn 2,109.0412,14.5223,VNPT,4G,30-150-270\n"
    "3,BDH003,Trạm Hoài Nhơn 3,109.0512,14.5323,MobiFone,3G; 4G,90\n"
    '4,BDH004,Trạm Hoài Nhơn 4,109.0612,14.5423,MobiFone,4G/LTE,"10, 130, 250"\n'
)


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    return Workspace.create(tmp_path / "ws", metric_crs="EPSG:32649")


def _write(folder: Path, text: str) -> Path:
    path = folder / "bts.csv"
    path.write_text(text, encoding="utf-8")
    return path


def _with_sites(ws: Workspace, folder: Path, *site_ids: str) -> None:
    rows = "".join(f"{s},109.0{i},14.5{i}\n" for i, s in enumerate(site_ids))
    path = folder / "sites.csv"
    path.write_text("Mã trạm,Kinh độ,Vĩ độ\n" + rows, encoding="utf-8")
    import_file(ws, "sites", path)


def _problems(exc: LayerValidationError) -> str:
    return "\n".join(str(e) for e in (exc, *exc.errors))


def test_a_site_list_reads_one_cell_per_technology_and_azimuth(ws: Workspace, tmp_path: Path) -> None:
    path = _write(tmp_path, _APPENDIX)
    import_file(ws, "sites", path)
    result = import_file(ws, "cells", path, make_ids=True)

    cells = ws.read_layer("cells").set_index("cell_id")
    # 3 × 3 + 3 + 2 + 3: "4G/LTE" is one technology written twice.
    assert result.counts == {"cells": 17}
    assert cells.loc["BDH001-2G-1", ["tech", "azimuth_deg"]].tolist() == ["2G", 0.0]
    assert cells.loc["BDH001-4G-3", ["tech", "azimuth_deg"]].tolist() == ["4G", 240.0]
    assert cells.loc[cells["site_id"] == "BDH002", "azimuth_deg"].tolist() == [30.0, 150.0, 270.0]
    assert sorted(cells.loc[cells["site_id"] == "BDH003", "tech"]) == ["3G", "4G"]
    assert cells.loc[cells["site_id"] == "BDH004", "azimuth_deg"].tolist() == [10.0, 130.0, 250.0]
    assert set(cells.loc[cells["site_id"] == "BDH004", "tech"]) == {"4G"}
    assert set(cells.loc[cells["site_id"] == "BDH001", "operator"]) == {"Viettel"}
    assert any(
        "4 rows each list several cells" in note and "read as 17 cells" in note for note in result.notes
    )
    assert any("each cell's id made from its site id" in note for note in result.notes)


def test_values_listed_beside_them_go_to_the_cells_in_turn_and_one_value_to_each(
    ws: Workspace, tmp_path: Path
) -> None:
    path = _write(
        tmp_path,
        "Mã trạm,Mã cell,Nhà mạng,Công nghệ,Băng tần,Góc phương vị,Góc nghiêng,Độ cao anten\n"
        "BDH001,C1,Viettel,2G/3G/4G,900/2100/1800,0/120/240,2/4/3,30\n"
        "BDH002,C2,Viettel,U900/U2100,,90,5,28\n",
    )
    _with_sites(ws, tmp_path, "BDH001", "BDH002")
    import_file(ws, "cells", path)

    cells = ws.read_layer("cells").set_index("cell_id")
    assert cells.loc["C1-3G-2", ["tech", "band_mhz", "azimuth_deg", "tilt_deg", "height_m"]].tolist() == [
        "3G",
        2100.0,
        120.0,
        4.0,
        30.0,
    ]
    assert cells.loc["C1-2G-3", ["band_mhz", "tilt_deg"]].tolist() == [900.0, 3.0]
    # Two carriers of one technology, each with the band its name gives.
    assert cells.loc[["C2-U900", "C2-U2100"], ["tech", "band_mhz"]].to_numpy().tolist() == [
        ["3G", 900.0],
        ["3G", 2100.0],
    ]


def test_a_decimal_comma_is_one_azimuth(ws: Workspace, tmp_path: Path) -> None:
    path = _write(tmp_path, 'Mã cell,Mã trạm,Nhà mạng,Công nghệ,Góc phương vị\nC1,BDH001,VNPT,4G,"120,5"\n')
    _with_sites(ws, tmp_path, "BDH001")
    import_file(ws, "cells", path)
    assert ws.read_layer("cells")["azimuth_deg"].tolist() == [120.5]


def test_a_list_of_unequal_length_is_refused_at_the_line_and_cell_it_gives(
    ws: Workspace, tmp_path: Path
) -> None:
    path = _write(
        tmp_path,
        "Mã cell,Mã trạm,Nhà mạng,Công nghệ,Góc phương vị,Góc nghiêng\n"
        "C1,BDH001,VNPT,4G,0,3\n"
        "C2,BDH002,VNPT,2G/4G,0/120/240,2/4\n",
    )
    with pytest.raises(LayerValidationError) as bad:
        import_file(ws, "cells", path)
    text = str(bad.value)
    assert "field 'tilt_deg': '2/4' is not a number" in text
    assert "row 1 is line 3 of the file, cell 1 of the 6 it lists" in text
    assert not ws.has_layer("cells")


def test_a_workbook_row_names_its_excel_row(ws: Workspace, tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["DANH SÁCH TRẠM BTS"])
    sheet.append(["Mã cell", "Mã trạm", "Nhà mạng", "Công nghệ", "Góc phương vị"])
    sheet.append(["C1", "BDH001", "VNPT", "3G/4G/Wifi", "0/120"])
    sheet.append(["C2", "BDH002", "VNPT", "3G/4G", "0/120/9999"])
    path = tmp_path / "bts.xlsx"
    book.save(path)

    with pytest.raises(LayerValidationError) as bad:
        import_file(ws, "cells", path)
    text = _problems(bad.value)
    # "Wifi" is no technology: the row is not spread, and its value is refused as written.
    assert "unknown value '3G/4G/Wifi'" in text
    origin = "(row numbers in messages count from 0 at Excel row 3)"
    assert f"row 0 is row 0 as read {origin}, cell 1 of the 2 it lists" in text
    # The third azimuth of each of the second row's technologies.
    assert "field 'azimuth_deg'" in text
    assert "rows in all: 4, 7" in text
    assert f"row 4 is row 1 as read {origin}, cell 3 of the 6 it lists" in text


def test_a_site_list_without_cell_ids_asks_for_make_ids(
    ws: Workspace, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _write(tmp_path, _APPENDIX)
    assert main(["import", str(ws.path), "sites", str(path)]) == 0
    capsys.readouterr()
    assert main(["import", str(ws.path), "cells", str(path)]) == 2
    assert "--make-ids (each cell's id made from its site id, technology and number at the site)" in (
        capsys.readouterr().err
    )
    assert main(["import", str(ws.path), "cells", str(path), "--make-ids"]) == 0
    assert len(ws.read_layer("cells")) == 17


def test_a_shared_mast_listing_its_operators_gives_each_its_cells(ws: Workspace, tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "Mã trạm,Doanh nghiệp,Công nghệ,Góc phương vị\n"
        "BDH001,Viettel + MobiFone + Vinaphone,3G/4G,0/120\n"
        "BDH002,Viettel - VNPT,4G,\n"
        'BDH003,"Viettel, Vietnamobile",4G,90\n',
    )
    _with_sites(ws, tmp_path, "BDH001", "BDH002", "BDH003")
    import_file(ws, "cells", path, make_ids=True)

    cells = ws.read_layer("cells")
    per_site = cells.groupby("site_id")["operator"].agg(lambda ops: sorted(set(ops))).to_dict()
    assert per_site == {
        "BDH001": ["MobiFone", "VNPT", "Viettel"],
        "BDH002": ["VNPT", "Viettel"],
        "BDH003": ["Vietnamobile", "Viettel"],
    }
    # Three operators × two technologies × two sectors.
    assert (cells["site_id"] == "BDH001").sum() == 12
    assert cells["cell_id"].is_unique


def test_two_operators_in_another_layers_field_are_not_read_as_the_first(
    ws: Workspace, tmp_path: Path
) -> None:
    """A fiber route names one operator: ``Viettel + VNPT`` is refused, not read as Viettel."""
    path = tmp_path / "routes.csv"
    path.write_text(
        'Mã tuyến,Đơn vị quản lý,WKT\nR1,"Viettel + VNPT","LINESTRING (109.0 14.5, 109.01 14.5)"\n',
        encoding="utf-8",
    )
    with pytest.raises(LayerValidationError, match=r"unknown value 'Viettel \+ VNPT'"):
        import_file(ws, "fiber_routes", path)


def test_one_technologys_bands_are_its_carriers(ws: Workspace, tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "Mã trạm,Nhà mạng,Công nghệ,Băng tần (MHz),Góc phương vị\n"
        "BDH001,VNPT,4G,1800/2100,0/120/240\n"
        "BDH002,VNPT,4G,1800 + 900,40\n"
        "BDH003,VNPT,4G,1920-1980,40\n",
    )
    _with_sites(ws, tmp_path, "BDH001", "BDH002", "BDH003")
    with pytest.raises(LayerValidationError) as bad:
        import_file(ws, "cells", path, make_ids=True)
    # A dash is a range, not a list: the third row is refused as written.
    assert "'1920-1980' is not a number" in _problems(bad.value)

    path.write_text(path.read_text(encoding="utf-8").replace("1920-1980", "2100"), encoding="utf-8")
    import_file(ws, "cells", path, make_ids=True)
    cells = ws.read_layer("cells")
    bands = cells.groupby("site_id")["band_mhz"].agg(lambda b: sorted(b)).to_dict()
    assert bands == {"BDH001": [1800.0] * 3 + [2100.0] * 3, "BDH002": [900.0, 1800.0], "BDH003": [2100.0]}


def test_sector_columns_and_technology_ticks_are_read_as_lists(ws: Workspace, tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(
        [
            "Mã trạm",
            "Nhà mạng",
            "2G",
            "4G",
            "5G",
            "Hướng 1",
            "Hướng 2",
            "Hướng 3",
            "Tilt 1",
            "Tilt 2",
            "Tilt 3",
        ]
    )
    sheet.append(["BDH001", "Viettel", "x", "x", None, 0, 120, 240, 3, 4, 5])
    sheet.append(["BDH002", "Viettel", None, "x", "x", 60, 180, None, 2, 2, None])
    path = tmp_path / "bts.xlsx"
    book.save(path)
    _with_sites(ws, tmp_path, "BDH001", "BDH002")

    result = import_file(ws, "cells", path, make_ids=True)

    cells = ws.read_layer("cells").set_index("cell_id")
    assert result.counts == {"cells": 10}
    assert cells.loc["BDH001-2G-2", ["tech", "azimuth_deg", "tilt_deg"]].tolist() == ["2G", 120.0, 4.0]
    assert cells.loc["BDH001-4G-3", ["azimuth_deg", "tilt_deg"]].tolist() == [240.0, 5.0]
    # A site of two sectors: the blank third is none.
    assert sorted(cells.loc[cells["site_id"] == "BDH002", "tech"]) == ["4G", "4G", "5G", "5G"]
    assert any("'Hướng 1', 'Hướng 2', 'Hướng 3' give each sector's azimuth_deg" in n for n in result.notes)


def test_a_merged_group_header_over_sectors_names_the_field(ws: Workspace, tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(
        ["Mã cell", "Mã trạm", "Nhà mạng", "Công nghệ", "Góc phương vị (độ)", None, None, "Trạng thái"]
    )
    sheet.append([None, None, None, None, "Sector 1", "Sector 2", "Sector 3", None])
    sheet.append(["C1", "BDH001", "Viettel", "LTE", 10, 130, 250, "Hoạt động"])
    for cells in ("A1:A2", "B1:B2", "C1:C2", "D1:D2", "E1:G1", "H1:H2"):
        sheet.merge_cells(cells)
    path = tmp_path / "bts.xlsx"
    book.save(path)
    _with_sites(ws, tmp_path, "BDH001")

    import_file(ws, "cells", path)

    cells = ws.read_layer("cells").set_index("cell_id")
    assert cells["azimuth_deg"].to_dict() == {"C1-1": 10.0, "C1-2": 130.0, "C1-3": 250.0}


def test_a_spread_row_under_a_group_row_left_out_names_its_own_line(ws: Workspace, tmp_path: Path) -> None:
    """Rows after a group row left out are counted as the file counts them: the error names
    line 5, where the row that lists the cells is. Fails if it names the line above it."""
    path = _write(
        tmp_path,
        "STT,Mã cell,Mã trạm,Nhà mạng,Công nghệ,Góc phương vị,Góc nghiêng\n"
        "I,VIETTEL,,,,,\n"
        "1,C1,BDH001,Viettel,4G,0,3\n"
        "II,VNPT,,,,,\n"
        "2,C2,BDH002,VNPT,2G/4G,0/120,2/4/6\n",
    )
    _with_sites(ws, tmp_path, "BDH001", "BDH002")
    with pytest.raises(LayerValidationError) as bad:
        import_file(ws, "cells", path)
    assert "is line 5 of the file, cell 1 of the 4 it lists" in _problems(bad.value)


def test_sectors_lettered_after_a_space_are_sectors_and_run_on_letters_are_not() -> None:
    import pandas as pd

    from coverage_gis.io.sector_columns import columns_listed
    from coverage_gis.layers import get_schema

    frame = pd.DataFrame(
        {"Azimuth A": [0], "Azimuth B": [120], "Azimuth C": [240], "TiltA": [2], "TiltB": [3]}
    )
    notes: list[str] = []
    read = columns_listed(frame, get_schema("cells"), notes=notes)
    assert read.columns.tolist() == ["Azimuth", "TiltA", "TiltB"]
    assert read["Azimuth"].tolist() == ["0/120/240"]


def test_counts_of_cells_per_technology_give_the_sites_technologies(ws: Workspace, tmp_path: Path) -> None:
    """``Số cell 2G | Số cell 3G | Số cell 4G`` and no azimuths. Fails if the list is refused for
    a missing technology, a count of 0 gives a cell, or a count is read as a tick of its own."""
    path = _write(
        tmp_path,
        "Mã trạm,Nhà mạng,Số cell 2G,Số lượng cell 3G,4G (số cell)\n"
        "BDH001,Viettel,1,0,3\nBDH002,Viettel,,3,3.0\n",
    )
    _with_sites(ws, tmp_path, "BDH001", "BDH002")

    result = import_file(ws, "cells", path, make_ids=True)

    cells = ws.read_layer("cells")
    by_site = cells.groupby("site_id")["tech"].apply(sorted).to_dict()
    assert by_site == {"BDH001": ["2G", "4G"], "BDH002": ["3G", "4G"]}
    assert cells["azimuth_deg"].isna().all()
    assert any("count each site's cells of a technology" in n and "'Số cell 2G'" in n for n in result.notes)


@pytest.mark.parametrize("value", ["x", "3 cell", "2.5"])
def test_a_count_column_that_holds_no_count_is_not_read_as_one(
    ws: Workspace, tmp_path: Path, value: str
) -> None:
    """Fails if a column of text or fractions under a count header gives technologies."""
    path = _write(tmp_path, f"Mã trạm,Nhà mạng,Số cell 2G,Số cell 4G\nBDH001,Viettel,1,{value}\n")
    _with_sites(ws, tmp_path, "BDH001")

    with pytest.raises(LayerValidationError, match="missing required field 'tech'"):
        import_file(ws, "cells", path, make_ids=True)


_SEMICOLONS = (
    "Mã trạm;Nhà mạng;Công nghệ;Góc phương vị\nBDH001;Viettel;4G;0,120,240\nBDH002;Viettel;4G;30,150\n"
)
_COMMAS = (
    'Mã trạm,Nhà mạng,Công nghệ,Góc phương vị\nBDH001,Viettel,4G,"0,120,240"\nBDH002,Viettel,4G,"60,300"\n'
)


@pytest.mark.parametrize("text", [_SEMICOLONS, _COMMAS])
def test_two_azimuths_joined_by_one_comma_beside_lists_of_three_are_two_sectors(
    ws: Workspace, tmp_path: Path, text: str
) -> None:
    """A column that lists ``0,120,240`` lists a two-sector site as ``30,150``. Fails if that is
    one cell at 30.15° (decimal comma), or refused as 60,300° (thousands)."""
    path = _write(tmp_path, text)
    _with_sites(ws, tmp_path, "BDH001", "BDH002")

    import_file(ws, "cells", path, make_ids=True)

    cells = ws.read_layer("cells")
    assert sorted(cells.loc[cells["site_id"] == "BDH002", "azimuth_deg"]) in ([30.0, 150.0], [60.0, 300.0])
    assert len(cells) == 5


def test_a_tower_companys_list_names_its_masts_and_the_operators_sharing_them(
    ws: Workspace, tmp_path: Path
) -> None:
    """A tower company (CTR, VNTT) lists masts: "Mã cột", "Tên cột", "Nhà mạng dùng chung".
    Fails if the list is refused for a missing site id, or the sharing operators' cells are lost."""
    path = _write(
        tmp_path,
        "STT,Mã cột,Tên cột,Kinh độ,Vĩ độ,Nhà mạng dùng chung,Công nghệ\n"
        '1,CTR-0101,Cột Cát Hanh 1,109.0321,14.0512,"Viettel, MobiFone",4G\n'
        "2,CTR-0102,Cột Cát Tài,109.0655,14.0911,Viettel + Vinaphone,2G/4G\n",
    )

    import_file(ws, "sites", path)
    import_file(ws, "cells", path, make_ids=True)

    assert ws.read_layer("sites").set_index("site_id")["name"].to_dict() == {
        "CTR-0101": "Cột Cát Hanh 1",
        "CTR-0102": "Cột Cát Tài",
    }
    cells = ws.read_layer("cells")
    assert sorted(cells.loc[cells["site_id"] == "CTR-0101", "operator"]) == ["MobiFone", "Viettel"]
    assert len(cells[cells["site_id"] == "CTR-0102"]) == 4
