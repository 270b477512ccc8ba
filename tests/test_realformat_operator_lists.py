"""Operators' lists: one with a row per cell ("Danh sách cell") imported as sites and as cells,
and OpenCellID's per-country download, gzip-compressed (``452.csv.gz``)."""

from __future__ import annotations

import gzip
import math
from pathlib import Path

import pytest

from coverage_gis.cli import main
from coverage_gis.errors import InputTooLarge, LayerValidationError
from coverage_gis.io import import_file
from coverage_gis.network import cell_table
from coverage_gis.workspace import Workspace

_HEADER = "Mã trạm,Tên trạm,Kinh độ,Vĩ độ,Mã cell,Nhà mạng,Công nghệ,Băng tần,Góc phương vị\n"
_ROWS = (
    "BDH001,Trạm 1,109.01,13.77,BDH001_1,Viettel,LTE,L1800,0\n"
    "BDH001,Trạm 1,109.01,13.77,BDH001_2,Viettel,LTE,L1800,120\n"
    "BDH002,Trạm 2,109.02,13.78,BDH002_1,Viettel,UMTS,U2100,\n"
    "BDH001,Trạm 1,109.01,13.77,BDH001_3,Viettel,LTE,L1800,240\n"
)


# OpenCellID's per-country files have no header line.
_OCID = (
    "LTE,452,4,10001,123456,0,109.01,13.77,0,1,1,1500000000,1600000000,0\n"
    "NR,452,2,20001,99887766,,109.03,13.79,500,3,1,1500000000,1600000000,0\n"
    "GSM,452,5,400,666,,109.05,13.81,100,2,0,1500000000,1600000000,-80\n"
)


def _with_column(folder: Path, header: str, rows: list[str], values: tuple[str, ...]) -> Path:
    """``cells.csv`` in ``folder``: the list's ``rows`` with a last column ``header`` of ``values``."""
    path = folder / "cells.csv"
    body = "".join(f'{row},"{value}"\n' for row, value in zip(rows, values, strict=True))
    path.write_text(f"{_HEADER.rstrip()},{header}\n{body}", encoding="utf-8")
    return path


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    return Workspace.create(tmp_path / "ws", metric_crs="EPSG:32649")


def test_sites_and_cells_come_from_one_list_of_cells(ws: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "cells.csv"
    path.write_text(_HEADER + _ROWS, encoding="utf-8")

    sites = import_file(ws, "sites", path)
    cells = import_file(ws, "cells", path)

    assert (sites.counts, cells.counts) == ({"sites": 2}, {"cells": 4})
    assert ws.read_layer("sites")["site_id"].tolist() == ["BDH001", "BDH002"]
    assert ws.read_layer("cells").groupby("site_id").size().to_dict() == {"BDH001": 3, "BDH002": 1}
    assert any("2 sites read from 4 rows" in note for note in sites.notes)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            ("BDH001,Trạm 1,109.01,13.77,BDH001_3", "BDH001,Trạm 1,109.03,13.77,BDH001_3"),
            r"row 3: site_id 'BDH001' is on row 0 too, with position 109.01 13.77 \(here 109.03 13.77\)",
        ),
        (
            ("Trạm 1,109.01,13.77,BDH001_2", "Trạm Một,109.01,13.77,BDH001_2"),
            r"row 1, field 'name': site_id 'BDH001' is on row 0 too, with name 'Trạm 1' \(here 'Trạm Một'\)",
        ),
    ],
    ids=["position", "name"],
)
def test_rows_of_one_id_that_disagree_are_refused(
    ws: Workspace, tmp_path: Path, change: tuple[str, str], message: str
) -> None:
    """The file does not say which row is right: the error names the rows, the field and both values."""
    path = tmp_path / "cells.csv"
    path.write_text(_HEADER + _ROWS.replace(*change), encoding="utf-8")

    with pytest.raises(LayerValidationError, match=message):
        import_file(ws, "sites", path)


@pytest.mark.parametrize(
    ("statuses", "site_status"),
    [
        (("Đang phát sóng", "Quy hoạch", "Đang phát sóng"), "on_air"),  # a planned sector on a site on air
        (("Quy hoạch", "Đã tắt", "Quy hoạch"), "planned"),
        (("Đã tắt", "Đã tắt", "Đã tắt"), "decommissioned"),
    ],
)
@pytest.mark.parametrize("header", ["Trạng thái", "Cell Status", "cell_status"])
def test_a_site_takes_the_status_of_its_cells(
    ws: Workspace, tmp_path: Path, statuses: tuple[str, str, str], site_status: str, header: str
) -> None:
    """A row per cell gives each cell's status: read as sites, a site is on air when one of
    its cells is, else planned when one is; read as cells, each keeps its own. A list that
    calls it the cell's status says the same (a planned site read as on air would count)."""
    rows = [r for r in _ROWS.splitlines() if r.startswith("BDH001")]
    path = _with_column(tmp_path, header, rows, statuses)

    sites = import_file(ws, "sites", path)
    cells = import_file(ws, "cells", path)

    assert ws.read_layer("sites")[["site_id", "status"]].values.tolist() == [["BDH001", site_status]]
    assert len(set(statuses)) == 1 or any("differ in status" in note for note in sites.notes)
    assert sorted(ws.read_layer("cells")["status"]) == sorted(
        {"Đang phát sóng": "on_air", "Quy hoạch": "planned", "Đã tắt": "decommissioned"}[s] for s in statuses
    )
    assert cells.counts == {"cells": 3}


def test_each_cell_keeps_its_antenna_height_and_the_mast_is_the_highest(
    ws: Workspace, tmp_path: Path
) -> None:
    """Sectors hang at several heights on one mast: read as sites, the mast is as high as the
    highest ("36,5": a decimal comma, "42 m": the field's unit); read as cells, each keeps
    its own, and the coverage model takes a cell's own height before its site's."""
    path = _with_column(tmp_path, "Độ cao anten (m)", _ROWS.splitlines(), ("36,5", "42 m", "30", ""))

    sites = import_file(ws, "sites", path)
    import_file(ws, "cells", path)

    assert ws.read_layer("sites")[["site_id", "height_m"]].values.tolist() == [
        ["BDH001", 42.0],
        ["BDH002", 30.0],
    ]
    assert any("differ in height_m; each takes the largest" in note for note in sites.notes)
    cells = ws.read_layer("cells").set_index("cell_id")["height_m"]
    assert cells.to_dict() == pytest.approx(
        {"BDH001_1": 36.5, "BDH001_2": 42.0, "BDH002_1": 30.0, "BDH001_3": math.nan}, nan_ok=True
    )
    table = cell_table(ws.read_layer("sites"), ws.read_layer("cells"), communes=None, metric_crs="EPSG:32649")
    by_cell = dict(zip(table.cell_id, table.arrays.height_m, strict=True))
    assert by_cell == {"BDH001_1": 36.5, "BDH001_2": 42.0, "BDH002_1": 30.0, "BDH001_3": 42.0}


def test_rows_of_one_site_with_an_unknown_status_are_refused(ws: Workspace, tmp_path: Path) -> None:
    """A status the rule does not name is not guessed at: the rows stay apart, refused."""
    path = tmp_path / "cells.csv"
    rows = [r for r in _ROWS.splitlines() if r.startswith("BDH001")]
    text = (
        _HEADER.rstrip("\n")
        + ",Trạng thái\n"
        + "".join(
            f"{row},{status}\n"
            for row, status in zip(rows, ("Đang phát sóng", "sửa chữa", "Đang phát sóng"), strict=True)
        )
    )
    path.write_text(text, encoding="utf-8")

    with pytest.raises(LayerValidationError, match=r"field 'status': .* status 'on_air' \(here 'sửa chữa'\)"):
        import_file(ws, "sites", path)


def test_an_opencellid_download_is_read_gzipped(ws: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "452.csv.gz"
    path.write_bytes(gzip.compress(_OCID.encode()))

    result = import_file(ws, "cells", path)

    assert result.counts == {"sites": 3, "cells": 3}
    assert sorted(ws.read_layer("cells")["operator"]) == ["VNPT", "Vietnamobile", "Viettel"]
    assert result.notes[0] == "unpacked the gzip file 452.csv.gz (452.csv)"


def test_errors_in_a_gzipped_file_name_it(ws: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "sites.csv.gz"
    path.write_bytes(gzip.compress(b"site_id,lon,lat\nS1,109.01,abc\n"))

    with pytest.raises(LayerValidationError) as caught:
        import_file(ws, "sites", path)

    assert caught.value.source == str(path)
    assert (caught.value.row, caught.value.field) == (0, "lat")


def test_a_damaged_or_oversized_gzip_file_is_refused(ws: Workspace, tmp_path: Path) -> None:
    cut = tmp_path / "cut.csv.gz"
    cut.write_bytes(gzip.compress(_OCID.encode())[:40])
    bomb = tmp_path / "bomb.csv.gz"
    bomb.write_bytes(gzip.compress(b"a," * 600_000))

    with pytest.raises(LayerValidationError, match="gzip file is damaged"):
        import_file(ws, "cells", cut)
    with pytest.raises(InputTooLarge, match="unpacks to more than"):
        import_file(ws, "cells", bomb, max_bytes=1_000_000)


# An operator's own export (its OSS): sites and cells named by codes in *_NAME columns,
# no operator column (every row is theirs), blank statuses.
_OSS = (
    "STT,SITE_NAME,CELL_NAME,LAT,LONG,AZIMUTH,BAND,TECHNOLOGY,STATUS\n"
    "1,QNH_001,QNH_001_L18_1,13.7765,109.2232,0,L1800,LTE,Active\n"
    "2,QNH_001,QNH_001_L18_2,13.7765,109.2232,120,L1800,LTE,\n"
    "3,QNH_002,QNH_002_G9_1,13.8012,109.1501,0,GSM900,GSM,Active\n"
)


def test_an_operators_own_export_names_its_sites_and_cells_and_is_given_its_operator(
    ws: Workspace, tmp_path: Path
) -> None:
    path = tmp_path / "oss.csv"
    path.write_text(_OSS, encoding="utf-8")

    with pytest.raises(LayerValidationError, match=r"field 'operator'.*--set operator=VALUE"):
        import_file(ws, "cells", path)
    sites = import_file(ws, "sites", path)
    cells = import_file(ws, "cells", path, values={"operator": "VIETTEL", "status": "on air"})

    site_rows = ws.read_layer("sites")
    assert site_rows[["site_id", "name"]].values.tolist() == [["QNH_001", "QNH_001"], ["QNH_002", "QNH_002"]]
    assert "sites: no site_id column: 'SITE_NAME' read as site_id too" in sites.notes
    cell_rows = ws.read_layer("cells").set_index("cell_id")
    assert cell_rows["site_id"].to_dict() == {
        "QNH_001_L18_1": "QNH_001",
        "QNH_001_L18_2": "QNH_001",
        "QNH_002_G9_1": "QNH_002",
    }
    # The given operator is read as a file's would be; the status only fills the blank cell.
    assert set(cell_rows["operator"]) == {"Viettel"}
    assert cell_rows["status"].tolist() == ["on_air"] * 3
    assert "cells: no cell_id column: 'CELL_NAME' read as cell_id" in cells.notes
    assert "cells: operator 'VIETTEL' given for every row" in cells.notes
    assert "cells: status 'on air' given for the 1 row(s) that give none" in cells.notes
    assert not any("STATUS" in note or "SITE_NAME" in note for note in cells.notes if "ignored" in note)


def test_a_site_code_column_wins_over_the_site_name(ws: Workspace, tmp_path: Path) -> None:
    """Only a file without a site id reads the site's name as its id."""
    path = tmp_path / "cells.csv"
    path.write_text(_HEADER + _ROWS, encoding="utf-8")

    cells = import_file(ws, "sites", path)

    assert ws.read_layer("sites")[["site_id", "name"]].values.tolist() == [
        ["BDH001", "Trạm 1"],
        ["BDH002", "Trạm 2"],
    ]
    assert not any("no site_id column" in note for note in cells.notes)


def test_a_value_given_for_no_field_is_refused(ws: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "oss.csv"
    path.write_text(_OSS, encoding="utf-8")

    with pytest.raises(
        LayerValidationError, match=r"a value is given for 'carrier', which is not a field of cells"
    ):
        import_file(ws, "cells", path, values={"carrier": "Viettel"})
    assert not ws.has_layer("cells")


def test_cli_import_takes_set_values(
    ws: Workspace, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "oss.csv"
    path.write_text(_OSS, encoding="utf-8")
    assert main(["import", str(ws.path), "sites", str(path)]) == 0
    with pytest.raises(SystemExit) as bad:
        main(["import", str(ws.path), "cells", str(path), "--set", "operator"])
    assert bad.value.code == 2
    assert "'operator' is not FIELD=VALUE" in capsys.readouterr().err

    args = ["import", str(ws.path), "cells", str(path), "--set", "operator=MobiFone", "--set", "band_mhz=900"]
    assert main(args) == 0

    cells = ws.read_layer("cells").set_index("cell_id")
    assert set(cells["operator"]) == {"MobiFone"}
    assert cells["band_mhz"].tolist() == [1800.0, 1800.0, 900.0]  # the file's own kept


def test_one_mast_in_two_operators_lists_is_pointed_out(ws: Workspace, tmp_path: Path) -> None:
    """Viettel's list, then VNPT's appended: VNP_A stands 8 m from VT001 (one mast, surveyed
    twice), VNP_B 25 m from VT002 (another mast)."""
    viettel, vnpt = tmp_path / "viettel.csv", tmp_path / "vnpt.csv"
    viettel.write_text("site_id,lon,lat\nVT001,109.22320,13.77650\nVT002,109.15010,13.80120\n", "utf-8")
    vnpt.write_text("site_id,lon,lat\nVNP_A,109.22327,13.77653\nVNP_B,109.15033,13.80120\n", "utf-8")

    first = import_file(ws, "sites", viettel)
    second = import_file(ws, "sites", vnpt, append=True)

    assert not any("within 20 m" in note for note in first.notes)
    said = [note for note in second.notes if "within 20 m" in note]
    assert said == [
        "sites: 1 pair(s) of sites of other ids lie within 20 m of each other (VT001 and VNP_A): one mast "
        "in two operators' lists? A site counts as shared only when one site holds both operators' cells: "
        "give such a pair one site_id"
    ]


def test_operators_spellings_of_tech_status_and_omni_are_read(ws: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "cells.csv"
    path.write_text(
        "SITE_ID,CELL_ID,Operator,TECH,BAND,STATUS,AZIMUTH,LON,LAT\n"
        "S1,C1,VNPT,LTE FDD,1800,Unlocked,Omni,109.01,13.77\n"
        "S1,C2,VNPT,NR-SA,3500,Hoạt động bình thường,120,109.01,13.77\n"
        "S1,C3,VNPT,GSM900,900,Locked,OMNI,109.01,13.77\n"
        "S1,C4,VNPT,4G+,2100,Đang lắp đặt,240,109.01,13.77\n",
        encoding="utf-8",
    )
    import_file(ws, "sites", path)
    result = import_file(ws, "cells", path)

    cells = ws.read_layer("cells").set_index("cell_id")
    assert cells["tech"].tolist() == ["4G", "5G", "2G", "4G"]
    assert cells["status"].tolist() == ["on_air", "on_air", "decommissioned", "planned"]
    assert math.isnan(cells.loc["C1", "azimuth_deg"])  # omni
    assert cells.loc["C2", "azimuth_deg"] == 120
    assert any("'Omni' → blank (1 row)" in note for note in result.notes)


def test_a_sites_rows_may_give_its_position_to_a_metre(ws: Workspace, tmp_path: Path) -> None:
    """Excel's and planning tools' decimals (15.330000000000002, a rounded last digit) and sector
    antennas surveyed one by one on one mast are one position: the first row's. Rows a
    kilometre apart are refused, naming every site so."""
    path = tmp_path / "cells.csv"
    path.write_text(
        _HEADER
        + "S1,Trạm 1,108.686,15.33,S1_1,VNPT,LTE,L1800,0\n"
        + "S1,Trạm 1,108.686,15.330000000000002,S1_2,VNPT,LTE,L1800,120\n"
        + "S1,Trạm 1,108.68601,15.33001,S1_3,VNPT,LTE,L1800,240\n",  # 1.5 m off: another antenna
        encoding="utf-8",
    )
    import_file(ws, "sites", path)
    site = ws.read_layer("sites").geometry.iloc[0]
    assert (site.x, site.y) == (108.686, 15.33)

    far = path.read_text(encoding="utf-8").replace("108.68601", "108.696") + (
        "S2,Trạm 2,108.7,15.4,S2_1,VNPT,LTE,L1800,0\nS2,Trạm 2,108.71,15.4,S2_2,VNPT,LTE,L1800,120\n"
    )
    path.write_text(far, encoding="utf-8")
    with pytest.raises(
        LayerValidationError, match=r"site_id 'S1' is on row 0 too.*\(1 more site_ids differ so: S2\)"
    ):
        import_file(ws, "sites", path)


def test_a_band_column_of_3gpp_band_numbers_is_read_as_their_frequencies(
    ws: Workspace, tmp_path: Path
) -> None:
    """Huawei's "Frequency Band" holds 3, 8, 7 (and NR's 78): the bands' MHz, with a note.
    Fails if they are refused as below 400 MHz, or if a column of frequencies is touched."""
    path = tmp_path / "cells.csv"
    rows = [("C1", "LTE", "3"), ("C2", "LTE", "8"), ("C3", "LTE", "7"), ("C4", "NR", "78")]
    path.write_text(
        "SITE_ID,CELL_ID,Operator,TECH,Frequency Band,LON,LAT\n"
        + "".join(f"S1,{c},VNPT,{t},{b},109.01,13.77\n" for c, t, b in rows),
        encoding="utf-8",
    )
    import_file(ws, "sites", path)
    result = import_file(ws, "cells", path)
    assert ws.read_layer("cells")["band_mhz"].tolist() == [1800.0, 900.0, 2600.0, 3500.0]
    assert "cells: band_mhz: whole numbers below 400 read as 3GPP band numbers" in result.notes

    path.write_text(path.read_text(encoding="utf-8").replace(",78,", ",3500,"), encoding="utf-8")
    with pytest.raises(LayerValidationError, match=r"'?3'? is below the minimum 400"):
        import_file(ws, "cells", path)  # frequencies and band numbers mixed: not read as bands


def test_an_excel_list_writes_each_sites_values_once_merged_over_its_sectors(
    ws: Workspace, tmp_path: Path
) -> None:
    """A report merges a site's code and position down over the rows of its cells: each row
    reads them. Fails if the rows under the first are read without them; a merge in the
    header is left to the header's own rules."""
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["DANH SÁCH CELL"])
    sheet.append(["Mã trạm", "Kinh độ", "Vĩ độ", "Mã cell", "Nhà mạng", "Công nghệ"])
    for cell in ("S1_1", "S1_2", "S1_3"):
        sheet.append(
            ["S1" if cell == "S1_1" else None, 109.01 if cell == "S1_1" else None, None, cell, "VNPT", "LTE"]
        )
    sheet["C3"] = 13.77
    sheet.append(["S2", 109.02, 13.78, "S2_1", "VNPT", "LTE"])
    for column in "ABC":
        sheet.merge_cells(f"{column}3:{column}5")
    sheet.merge_cells("A1:F1")
    path = tmp_path / "cells.xlsx"
    book.save(path)

    result = import_file(ws, "sites", path)
    import_file(ws, "cells", path)

    assert ws.read_layer("sites")["site_id"].tolist() == ["S1", "S2"]
    assert ws.read_layer("cells").groupby("site_id").size().to_dict() == {"S1": 3, "S2": 1}
    assert "6 merged cells under the header read as the first cell of their merge" in result.notes


def test_an_import_without_append_says_what_it_replaced(ws: Workspace, tmp_path: Path) -> None:
    """An OpenCellID file read as cells brings its own sites: the operator's surveyed sites
    go. Fails if that happens without a word."""
    path = tmp_path / "cells.csv"
    path.write_text(_HEADER + _ROWS, encoding="utf-8")
    import_file(ws, "sites", path)
    ocid = tmp_path / "452.csv"
    ocid.write_text(_OCID, encoding="utf-8")

    result = import_file(ws, "cells", ocid)

    assert (
        "sites: replaced the 2 sites the workspace held (import with --append to add to them)" in result.notes
    )


_SHARED_HEADER = "Mã trạm,Kinh độ,Vĩ độ,Mã cell,Nhà mạng,Công nghệ,Trạng thái,Độ cao anten\n"


def test_a_second_operators_list_appended_keeps_a_shared_mast_once(ws: Workspace, tmp_path: Path) -> None:
    """Two lists name mast T1 by one id, a few metres apart (each surveyed its own position):
    appended, T1 is one site holding both operators' cells, on air (the first list's cells
    are) and as high as the higher antenna. Fails if the append is refused as a repeated
    id, if T1 is listed twice, or if the second list's status or height replace the first's."""
    viettel = tmp_path / "viettel.csv"
    viettel.write_text(
        _SHARED_HEADER
        + "T1,109.0100,13.7700,T1-V1,Viettel,4G,on_air,30\n"
        + "T2,109.0500,13.8000,T2-V1,Viettel,4G,on_air,25\n",
        encoding="utf-8",
    )
    vnpt = tmp_path / "vnpt.csv"
    vnpt.write_text(
        _SHARED_HEADER
        + "T1,109.01003,13.77002,T1-N1,VNPT,4G,planned,36\n"
        + "T7,109.0700,13.8200,T7-N1,VNPT,4G,on_air,30\n",
        encoding="utf-8",
    )
    import_file(ws, "sites", viettel)
    import_file(ws, "cells", viettel)

    result = import_file(ws, "sites", vnpt, append=True)
    import_file(ws, "cells", vnpt, append=True)

    sites = ws.read_layer("sites").set_index("site_id")
    assert sorted(sites.index) == ["T1", "T2", "T7"]
    assert sites.loc["T1", "status"] == "on_air"
    assert sites.loc["T1", "height_m"] == 36.0
    assert (sites.geometry["T1"].x, sites.geometry["T1"].y) == (109.01, 13.77)  # the workspace's position
    cells = ws.read_layer("cells")
    assert sorted(cells.loc[cells["site_id"] == "T1", "operator"]) == ["VNPT", "Viettel"]
    (note,) = [n for n in result.notes if "kept once" in n]
    assert "1 site(s) of the list the workspace holds already, under their id within 20 m (T1)" in note


def test_an_appended_id_the_workspace_holds_elsewhere_is_refused_with_how_far(
    ws: Workspace, tmp_path: Path
) -> None:
    """Another operator's T2 is 2.2 km from the workspace's T2: another mast under the same
    code. Refused, naming the distance and the file's line; nothing written."""
    first = tmp_path / "viettel.csv"
    first.write_text(_SHARED_HEADER + "T2,109.0500,13.8000,T2-V1,Viettel,4G,on_air,25\n", encoding="utf-8")
    import_file(ws, "sites", first)
    other = tmp_path / "vnpt.csv"
    other.write_text(
        _SHARED_HEADER
        + "T8,109.0900,13.8200,T8-N1,VNPT,4G,on_air,30\n"
        + "T2,109.0700,13.8000,T2-N1,VNPT,4G,on_air,30\n",
        encoding="utf-8",
    )

    with pytest.raises(
        LayerValidationError,
        match=r"row 1, field 'site_id': id 'T2' already exists in the workspace's sites layer, 2\.2 km from "
        r"this row's position: another mast.*row 1 is line 3 of the file",
    ):
        import_file(ws, "sites", other, append=True)
    assert ws.read_layer("sites")["site_id"].tolist() == ["T2"]


def test_a_provincial_bts_list_with_its_own_headers_reads_as_sites_and_cells(
    ws: Workspace, tmp_path: Path
) -> None:
    """A department's BTS list heads its columns "Mã trạm BTS", "Tên trạm BTS", "Hướng phát",
    "DNVT", "Loại công nghệ", "Băng tần sử dụng", "Trạng thái cell", "Chiều cao cột anten":
    each is read as its field. Fails if one is left unread (the import refuses a list
    without site ids, or drops the azimuths and operators)."""
    path = tmp_path / "bts.csv"
    path.write_text(
        "Mã trạm BTS,Tên trạm BTS,Kinh độ,Vĩ độ,Chiều cao cột anten,Chủ đầu tư,Mã cell,DNVT,"
        "Loại công nghệ,Băng tần sử dụng,Hướng phát,Trạng thái cell\n"
        "QNH001,Trạm Nhơn Lý,109.28,13.88,42,VNPT,QNH001_1,VNPT,LTE,1800,30,đang phát sóng\n"
        "QNH001,Trạm Nhơn Lý,109.28,13.88,42,VNPT,QNH001_2,VNPT,LTE,1800,150,chưa phát sóng\n",
        encoding="utf-8",
    )

    import_file(ws, "sites", path)
    import_file(ws, "cells", path)

    site = ws.read_layer("sites").iloc[0]
    assert (site["site_id"], site["name"], site["height_m"], site["owner"]) == (
        "QNH001",
        "Trạm Nhơn Lý",
        42.0,
        "VNPT",
    )
    assert site["status"] == "on_air"
    cells = ws.read_layer("cells").set_index("cell_id")
    assert cells["site_id"].tolist() == ["QNH001", "QNH001"]
    assert cells["operator"].tolist() == ["VNPT", "VNPT"]
    assert cells["tech"].tolist() == ["4G", "4G"]
    assert cells["azimuth_deg"].tolist() == [30.0, 150.0]
    assert cells["status"].tolist() == ["on_air", "planned"]


def test_a_vendor_lte_export_without_a_technology_column_reads_it_from_its_channels(
    ws: Workspace, tmp_path: Path
) -> None:
    """A Huawei LTE cell export: eNodeB and cell names, decimal commas, tilt in two parts, the
    carrier as "Downlink EARFCN", the state as Activated/Deactivated, and no technology or
    operator column. Read with ``--set operator``: every cell 4G (its channel is an LTE one),
    its band from the channel, the deactivated one off air. Fails if the import asks for a
    tech column the file cannot have, or refuses the cell states."""
    path = tmp_path / "huawei.csv"
    path.write_text(
        "eNodeB Name;Cell Name;Local Cell ID;Latitude;Longitude;Azimuth;Mechanical Downtilt;"
        "Electrical Downtilt;Antenna Height;Downlink EARFCN;PCI;TAC;Cell Status\n"
        "BDH_QN_01;BDH_QN_01_1;0;13,7712;109,2211;30;2;4;35,5;1650;101;12001;Activated\n"
        "BDH_QN_01;BDH_QN_01_2;1;13,7712;109,2211;150;2;6;35,5;1650;102;12001;Activated\n"
        "BDH_QN_02;BDH_QN_02_1;0;13,7812;109,2311;270;3;3;30;100;103;12001;Deactivated\n",
        encoding="utf-8",
    )

    import_file(ws, "sites", path)
    result = import_file(ws, "cells", path, values={"operator": "VNPT"})

    sites = ws.read_layer("sites").set_index("site_id")
    assert sites["status"].to_dict() == {"BDH_QN_01": "on_air", "BDH_QN_02": "decommissioned"}
    cells = ws.read_layer("cells").set_index("cell_id")
    assert cells["tech"].tolist() == ["4G", "4G", "4G"]
    assert cells["band_mhz"].tolist() == [1800.0, 1800.0, 2100.0]
    assert cells["tilt_deg"].tolist() == [6.0, 8.0, 6.0]
    assert cells["status"].tolist() == ["on_air", "on_air", "decommissioned"]
    assert (
        "cells: tech read from the radio each channel column numbers: 'Downlink EARFCN' → 4G (3)"
        in result.notes
    )


def test_ericsson_and_nokia_cell_exports_read_their_names_and_states(ws: Workspace, tmp_path: Path) -> None:
    """An Ericsson export (SiteName, CellName, EARFCNDL, Administrative State LOCKED/UNLOCKED
    beside an Operational State) and a Nokia one (MRBTS Name, LNCEL Name, Antenna bearing,
    earfcnDL, State "Working"): each read as sites and cells. Fails if an id column goes
    unread (the import asks for site_id), if a locked cell is taken on air, or if the two
    state columns are refused as one field read twice."""
    import openpyxl

    ericsson = openpyxl.Workbook()
    sheet = ericsson.active
    sheet.append(
        [
            "SiteName",
            "CellName",
            "Lat",
            "Long",
            "Azimuth",
            "Height",
            "EARFCNDL",
            "Administrative State",
            "Operational State",
        ]
    )
    sheet.append(["QNH0123", "QNH0123A", 13.7712, 109.2211, 0, 32, 1850, "UNLOCKED", "ENABLED"])
    sheet.append(["QNH0124", "QNH0124A", 13.7912, 109.2311, 240, 28, 3350, "LOCKED", "DISABLED"])
    ericsson.save(tmp_path / "ericsson.xlsx")
    nokia = openpyxl.Workbook()
    sheet = nokia.active
    sheet.append(
        [
            "MRBTS Name",
            "LNCEL Name",
            "Latitude (WGS84)",
            "Longitude (WGS84)",
            "Antenna bearing",
            "Antenna height (m)",
            "earfcnDL",
            "State",
        ]
    )
    sheet.append(["QNH_HaiCang_01", "QNH_HaiCang_01_L18_1", 13.80, 109.21, 10, 25, 1275, "Working"])
    nokia.save(tmp_path / "nokia.xlsx")

    for name, operator, append in (("ericsson", "Viettel", False), ("nokia", "MobiFone", True)):
        import_file(ws, "sites", tmp_path / f"{name}.xlsx", append=append)
        import_file(ws, "cells", tmp_path / f"{name}.xlsx", values={"operator": operator}, append=append)

    sites = ws.read_layer("sites").set_index("site_id")
    assert sites["status"].to_dict() == {
        "QNH0123": "on_air",
        "QNH0124": "decommissioned",
        "QNH_HaiCang_01": "on_air",
    }
    cells = ws.read_layer("cells").set_index("cell_id")
    assert cells["site_id"].to_dict() == {
        "QNH0123A": "QNH0123",
        "QNH0124A": "QNH0124",
        "QNH_HaiCang_01_L18_1": "QNH_HaiCang_01",
    }
    assert cells["status"].tolist() == ["on_air", "decommissioned", "on_air"]
    assert cells["azimuth_deg"].tolist() == [0.0, 240.0, 10.0]
    assert cells["height_m"].tolist() == [32.0, 28.0, 25.0]
    assert cells["band_mhz"].tolist() == [1800.0, 2600.0, 1800.0]


def test_operators_written_as_branches_company_codes_and_legal_names_are_read(
    ws: Workspace, tmp_path: Path
) -> None:
    """A provincial list names the operator's branch ("Viettel Bình Định"), its company code
    (VMS, GPC) or its legal name; each reads as the operator, with a note. Fails if any is
    refused as an unknown value; a name no operator begins with still is."""
    names = {
        "C1": ("Viettel Bình Định", "Viettel"),
        "C2": ("Chi nhánh Viettel Bình Định", "Viettel"),
        "C3": ("VNPT Bình Định", "VNPT"),
        "C4": ("MobiFone tỉnh Bình Định", "MobiFone"),
        "C5": ("VMS", "MobiFone"),
        "C6": ("GPC", "VNPT"),
        "C7": ("Tập đoàn Công nghiệp - Viễn thông Quân đội", "Viettel"),
        "C8": ("Tập đoàn Bưu chính Viễn thông Việt Nam", "VNPT"),
        "C9": ("Vietnam Mobile", "Vietnamobile"),
        "C10": ("FPT Telecom Bình Định", "Other"),
        "C11": ("Viễn thông Bình Định", "VNPT"),  # VNPT's provincial unit, by its legal name
        "C12": ("Vien thong Hoa Binh", "VNPT"),
    }
    (tmp_path / "sites.csv").write_text("Mã trạm,Kinh độ,Vĩ độ\nS1,109.01,13.77\n", encoding="utf-8")
    import_file(ws, "sites", tmp_path / "sites.csv")
    path = tmp_path / "cells.csv"
    rows = "".join(f'S1,{cell},"{name}",4G\n' for cell, (name, _) in names.items())
    path.write_text("Mã trạm,Mã cell,Nhà mạng,Công nghệ\n" + rows, encoding="utf-8")

    result = import_file(ws, "cells", path)

    read = ws.read_layer("cells").set_index("cell_id")["operator"].to_dict()
    assert read == {cell: operator for cell, (_, operator) in names.items()}
    assert any("'Viettel Bình Định' → Viettel (1 row)" in note for note in result.notes)
    path.write_text("Mã trạm,Mã cell,Nhà mạng,Công nghệ\nS1,C1,Viễn thông Đông Dương,4G\n", encoding="utf-8")
    with pytest.raises(LayerValidationError, match=r"unknown value 'Viễn thông Đông Dương'"):
        import_file(ws, "cells", path)


def test_a_generation_and_a_half_and_a_band_in_the_technology_are_read(ws: Workspace, tmp_path: Path) -> None:
    """ "4.5G" is LTE-Advanced (4G), "3.5G" HSPA (3G), never the next generation; a technology
    that names its band ("U900", "NR 3500", "4G1800") gives a row without a band its band.
    Fails if "4.5G" reads as 5G, or the named band is left at the default 1800 MHz."""
    (tmp_path / "sites.csv").write_text("Mã trạm,Kinh độ,Vĩ độ\nS1,109.01,13.77\n", encoding="utf-8")
    import_file(ws, "sites", tmp_path / "sites.csv")
    path = tmp_path / "cells.csv"
    path.write_text(
        "Mã trạm,Mã cell,Nhà mạng,Công nghệ,Băng tần\n"
        "S1,C1,VNPT,4.5G,2100\nS1,C2,VNPT,3.5G,\nS1,C3,VNPT,U900,\nS1,C4,VNPT,NR 3500,\n"
        "S1,C5,VNPT,4G1800,\nS1,C6,VNPT,L2600,1800\n",
        encoding="utf-8",
    )

    result = import_file(ws, "cells", path)

    cells = ws.read_layer("cells").set_index("cell_id")
    assert cells["tech"].tolist() == ["4G", "3G", "3G", "5G", "4G", "4G"]
    # C2 (3.5G, no band) takes 3G's usual 2100 MHz.
    assert cells["band_mhz"].tolist() == [2100.0, 2100.0, 900.0, 3500.0, 1800.0, 1800.0]
    assert (
        "cells: band_mhz read from the technology's name in the rows whose band_mhz is blank: "
        "'4G1800' → 1800 (1 row), 'NR 3500' → 3500 (1 row), 'U900' → 900 (1 row)" in result.notes
    )


def test_provincial_headers_for_direction_height_and_frequency_and_short_statuses_are_read(
    ws: Workspace, tmp_path: Path
) -> None:
    """A Sở TT&TT list heads its columns "Hướng (độ)", "Độ cao (m)", "Tần số (MHz)" and writes
    "Đang PS" (phát sóng) for on air. Fails if a column is ignored (an omni cell, the default
    30 m, the default 1800 MHz) or a status refused."""
    path = tmp_path / "cells.csv"
    path.write_text(
        "Mã trạm,Kinh độ,Vĩ độ,Độ cao (m),Mã cell,Nhà mạng,Công nghệ,Hướng (độ),Tần số (MHz),Trạng thái\n"
        "S1,109.01,13.77,42,C1,VNPT,4G,120,900,Đang PS\n"
        "S1,109.01,13.77,42,C2,VNPT,4G,240,900,Chưa PS\n"
        "S1,109.01,13.77,42,C3,VNPT,4G,0,900,Dừng PS\n",
        encoding="utf-8",
    )

    import_file(ws, "sites", path)
    import_file(ws, "cells", path)

    assert ws.read_layer("sites")["height_m"].tolist() == [42.0]
    cells = ws.read_layer("cells").set_index("cell_id")
    assert cells["azimuth_deg"].tolist() == [120.0, 240.0, 0.0]
    assert cells["band_mhz"].tolist() == [900.0] * 3
    assert cells["height_m"].tolist() == [42.0] * 3
    assert cells["status"].tolist() == ["on_air", "planned", "decommissioned"]


def test_a_band_written_after_its_radios_letter_gives_a_row_without_a_technology_its_radio(
    ws: Workspace, tmp_path: Path
) -> None:
    """A sheet of 4G cells names each band "L1800", "L2600" and has no technology column (the
    sheet's own name says 4G); a mixed one writes "U2100" and "N78". Fails if the rows are refused
    for want of a tech; a band's 3GPP number ("B3") names no radio and still is."""
    (tmp_path / "sites.csv").write_text("Mã trạm,Kinh độ,Vĩ độ\nS1,109.01,13.77\n", encoding="utf-8")
    import_file(ws, "sites", tmp_path / "sites.csv")
    path = tmp_path / "cells.csv"
    path.write_text(
        "Mã trạm,Mã cell,Nhà mạng,Băng tần\nS1,C1,VNPT,L1800\nS1,C2,VNPT,U2100\nS1,C3,VNPT,N78\n",
        encoding="utf-8",
    )

    result = import_file(ws, "cells", path)

    cells = ws.read_layer("cells").set_index("cell_id")
    assert cells["tech"].tolist() == ["4G", "3G", "5G"]
    assert cells["band_mhz"].tolist() == [1800.0, 2100.0, 3500.0]
    assert any(
        note.startswith("cells: tech read from the band's radio letters: 'L1800' → 4G")
        for note in result.notes
    )
    path.write_text("Mã trạm,Mã cell,Nhà mạng,Băng tần\nS1,C1,VNPT,B3\n", encoding="utf-8")
    with pytest.raises(LayerValidationError, match="missing required field 'tech'"):
        import_file(ws, "cells", path)


def test_a_vendor_export_of_local_cell_ids_reads_its_cell_names_as_ids(ws: Workspace, tmp_path: Path) -> None:
    """A ZTE export numbers each eNodeB's cells 1, 2, 3 (``CellId``) beside their names
    (``userLabel``) and names the site ``eNBName``; a Huawei one without names is keyed by its
    site and local id. Fails if the repeated local ids are refused as duplicates, or a site
    goes unread."""
    path = tmp_path / "zte.csv"
    path.write_text(
        "SubNetwork,ManagedElement,eNBId,eNBName,CellId,userLabel,earfcnDl,longitude,latitude,azimuth\n"
        "1501,510231,510231,BDH_QN01,1,BDH_QN01_1,1300,109.2194,13.7765,0\n"
        "1501,510231,510231,BDH_QN01,2,BDH_QN01_2,1300,109.2194,13.7765,120\n"
        "1501,510232,510232,BDH_NB02,1,BDH_NB02_1,1300,109.1982,13.8123,45\n",
        encoding="utf-8",
    )

    import_file(ws, "sites", path)
    result = import_file(ws, "cells", path, values={"operator": "VNPT"})

    assert ws.read_layer("sites")["site_id"].tolist() == ["BDH_QN01", "BDH_NB02"]
    cells = ws.read_layer("cells")
    assert cells["cell_id"].tolist() == ["BDH_QN01_1", "BDH_QN01_2", "BDH_NB02_1"]
    assert cells["tech"].tolist() == ["4G"] * 3
    assert any("the names of 'userLabel' read as their ids" in note for note in result.notes)

    path.write_text(
        "eNodeB Name,Cell ID,Downlink EARFCN,Operator\nBDH_QN01,1,1300,VNPT\nBDH_QN01,2,1300,VNPT\n"
        "BDH_NB02,1,1300,VNPT\n",
        encoding="utf-8",
    )
    import_file(ws, "cells", path)
    assert ws.read_layer("cells")["cell_id"].tolist() == ["BDH_QN01-1", "BDH_QN01-2", "BDH_NB02-1"]
    path.write_text(
        "eNodeB Name,Cell ID,Downlink EARFCN,Operator\nBDH_QN01,1,1300,VNPT\nBDH_QN01,1,3725,VNPT\n"
        "BDH_NB02,1,1300,VNPT\n",
        encoding="utf-8",
    )
    with pytest.raises(LayerValidationError, match="'1'"):
        import_file(ws, "cells", path)  # one site listing one id twice, not alike


def test_an_unlocked_cell_operationally_disabled_is_not_on_air(ws: Workspace, tmp_path: Path) -> None:
    """Ericsson's administrativeState UNLOCKED beside operationalState DISABLED: the cell is let
    radiate but does not. Fails if it is stored on air (only the administrative state read)."""
    path = tmp_path / "eric.csv"
    path.write_text(
        "Site Name,Cell Name,earfcndl,administrativeState,operationalState,latitude,longitude,Operator\n"
        "QN01,QN01_L1,1300,UNLOCKED,ENABLED,13.7765,109.2194,VNPT\n"
        "QN01,QN01_L2,1300,UNLOCKED,DISABLED,13.7765,109.2194,VNPT\n"
        "QN01,QN01_L3,1300,LOCKED,ENABLED,13.7765,109.2194,VNPT\n",
        encoding="utf-8",
    )

    import_file(ws, "sites", path)
    result = import_file(ws, "cells", path)

    assert ws.read_layer("cells")["status"].tolist() == ["on_air", "decommissioned", "decommissioned"]
    assert (
        "cells: 1 row on air by the status but not by 'operationalState' (e.g. 'DISABLED'): read as "
        "not on air" in result.notes
    )
    assert ws.read_layer("sites")["status"].tolist() == ["on_air"]


def test_a_cells_site_code_in_another_case_or_spacing_names_its_site(ws: Workspace, tmp_path: Path) -> None:
    """A cell list typed apart from the site list writes "bdh003" for BDH003, "BDH004" for
    "BDH 004": each names the one site it can only mean, with a note. Fails if refused as an
    unknown site; a spelling two sites share still is."""
    (tmp_path / "sites.csv").write_text(
        "Mã trạm,Kinh độ,Vĩ độ\nBDH003,109.01,13.77\nBDH 004,109.02,13.78\n"
        "AB1,109.03,13.79\nab1,109.04,13.8\n",
        encoding="utf-8",
    )
    import_file(ws, "sites", tmp_path / "sites.csv")
    path = tmp_path / "cells.csv"
    path.write_text(
        "Mã trạm,Mã cell,Nhà mạng,Công nghệ\nbdh003,C1,VNPT,4G\nBDH004,C2,VNPT,4G\n", encoding="utf-8"
    )

    result = import_file(ws, "cells", path)

    assert ws.read_layer("cells")["site_id"].tolist() == ["BDH003", "BDH 004"]
    assert any("site_id written in another case or spacing" in note for note in result.notes)
    path.write_text("Mã trạm,Mã cell,Nhà mạng,Công nghệ\nAb1,C1,VNPT,4G\n", encoding="utf-8")
    with pytest.raises(LayerValidationError, match="site_id 'Ab1' is not in"):
        import_file(ws, "cells", path)


def test_mobifones_abbreviation_on_a_shared_mast_keeps_its_cells(ws: Workspace, tmp_path: Path) -> None:
    """``VNPT/MBF`` on a shared mast, and MobiFone's and Vietnamobile's company names. Fails
    if ``VNPT/MBF`` is read as VNPT alone by its lead (MobiFone's cell lost), or a company
    name is refused."""
    (tmp_path / "sites.csv").write_text("Mã trạm,Kinh độ,Vĩ độ\nDC1,109.01,13.77\n", encoding="utf-8")
    import_file(ws, "sites", tmp_path / "sites.csv")
    path = tmp_path / "cells.csv"
    path.write_text(
        "Mã trạm,Mã cell,Nhà mạng,Công nghệ\n"
        "DC1,C1,VNPT/MBF,4G\n"
        "DC1,C3,Công ty Dịch vụ MobiFone Khu vực 3,4G\n"
        "DC1,C4,Công ty Cổ phần Viễn thông Di động Vietnamobile,2G\n",
        encoding="utf-8",
    )

    import_file(ws, "cells", path)

    cells = ws.read_layer("cells")
    assert sorted(cells["operator"]) == ["MobiFone", "MobiFone", "VNPT", "Vietnamobile"]


def test_an_operator_listed_beside_an_unknown_one_is_not_read_by_its_lead(
    ws: Workspace, tmp_path: Path
) -> None:
    """``VNPT/XYZ`` names a second operator coverage-gis does not know. Fails if it is stored
    as VNPT (the second operator's cells would be lost without a word)."""
    (tmp_path / "sites.csv").write_text("Mã trạm,Kinh độ,Vĩ độ\nDC1,109.01,13.77\n", encoding="utf-8")
    import_file(ws, "sites", tmp_path / "sites.csv")
    path = tmp_path / "cells.csv"
    path.write_text("Mã trạm,Mã cell,Nhà mạng,Công nghệ\nDC1,C1,VNPT/XYZ,4G\n", encoding="utf-8")

    with pytest.raises(LayerValidationError, match="VNPT/XYZ"):
        import_file(ws, "cells", path)
