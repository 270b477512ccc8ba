"""Cell tables as the vendors' management systems export them (Huawei U2020 NRDUCELL, UCELL and
GCELL; Ericsson ENM NRCellDU; Samsung 5G), read with the state, band and names they give."""

from __future__ import annotations

from pathlib import Path

import pytest

from coverage_gis.io import import_file
from coverage_gis.workspace import Workspace


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    ws = Workspace.create(tmp_path / "ws", metric_crs="EPSG:32649")
    sites = tmp_path / "sites.csv"
    sites.write_text(
        "Mã trạm,Kinh độ,Vĩ độ,Trạng thái\n"
        "BDH_HH01,109.10105,14.48173,Đã PS\n"
        "BDH_CT01,109.21774,13.95097,Ngưng PS\n"
        "BDH_VT01,108.77401,14.09845,Đã phát sóng (swap)\n",
        encoding="utf-8",
    )
    import_file(ws, "sites", sites)
    return ws


def _cells(ws: Workspace, tmp_path: Path, text: str) -> list[tuple[object, ...]]:
    path = tmp_path / "cells.csv"
    path.write_text(text, encoding="utf-8")
    import_file(ws, "cells", path, values={"operator": "Viettel"})
    cells = ws.read_layer("cells")
    return list(
        cells[["cell_id", "site_id", "tech", "band_mhz", "status"]].itertuples(index=False, name=None)
    )


def test_short_broadcast_statuses_are_read(ws: Workspace) -> None:
    assert ws.read_layer("sites").set_index("site_id")["status"].to_dict() == {
        "BDH_HH01": "on_air",
        "BDH_CT01": "decommissioned",
        "BDH_VT01": "on_air",  # a remark in brackets after a status
    }


def test_huawei_nr_du_cells_read_their_ne_names_cell_names_and_activation(
    ws: Workspace, tmp_path: Path
) -> None:
    rows = _cells(
        ws,
        tmp_path,
        "NE Name,NR DU Cell ID,NR DU Cell Name,Cell ID,Frequency Band,Downlink NARFCN,"
        "NR DU Cell Activate State\n"
        "BDH_HH01,0,BDH_HH01_N41_1,1,N41,509202,ACTIVATED\n"
        "BDH_HH01,1,BDH_HH01_N41_2,2,N41,509202,ACTIVATED\n"
        "BDH_CT01,0,BDH_CT01_N41_1,1,N41,509202,DEACTIVATED\n",
    )
    assert rows == [
        ("BDH_HH01_N41_1", "BDH_HH01", "5G", 2500.0, "on_air"),
        ("BDH_HH01_N41_2", "BDH_HH01", "5G", 2500.0, "on_air"),
        ("BDH_CT01_N41_1", "BDH_CT01", "5G", 2500.0, "decommissioned"),
    ]


def test_huawei_umts_and_gsm_cells_read_their_states_and_bands(ws: Workspace, tmp_path: Path) -> None:
    umts = _cells(
        ws,
        tmp_path,
        "RNC Name,Cell ID,NodeB Name,UARFCN Downlink,Cell administrative state\n"
        "RNC1,21011,BDH_HH01,10688,UNBLOCKED\n"
        "RNC1,21021,BDH_CT01,3037,BLOCKED\n",
    )
    assert umts == [
        ("21011", "BDH_HH01", "3G", 2100.0, "on_air"),
        ("21021", "BDH_CT01", "3G", 900.0, "decommissioned"),
    ]
    gsm = _cells(
        ws,
        tmp_path,
        "BSC Name,Cell Name,BTS Name,Freq. Band,Administrative State\n"
        "BSC1,BDH_HH01_G1,BDH_HH01,GSM900,UNLOCKED\n"
        "BSC1,BDH_CT01_D1,BDH_CT01,DCS1800,LOCKED\n",
    )
    assert gsm == [
        ("BDH_HH01_G1", "BDH_HH01", "2G", 900.0, "on_air"),
        ("BDH_CT01_D1", "BDH_CT01", "2G", 1800.0, "decommissioned"),
    ]


def test_ericsson_nr_cells_read_their_band_from_the_ssb_frequency(ws: Workspace, tmp_path: Path) -> None:
    rows = _cells(
        ws,
        tmp_path,
        "NodeId\tNRCellDUId\tcellLocalId\tssbFrequency\tadministrativeState\n"
        "BDH_HH01\tBDH_HH01_N1\t1\t509202\tUNLOCKED\n",
    )
    assert rows == [("BDH_HH01_N1", "BDH_HH01", "5G", 2500.0, "on_air")]


def test_samsung_cells_name_their_site_by_the_gnb_name_not_its_number(ws: Workspace, tmp_path: Path) -> None:
    rows = _cells(
        ws,
        tmp_path,
        "NE ID,gNB Name,gNB ID,DU Cell Name,NR Band,Admin State\n"
        "1001,BDH_HH01,1001,BDH_HH01_NR_1,n78,unlocked\n"
        "1001,BDH_HH01,1001,BDH_HH01_NR_2,n78,locked\n",
    )
    assert rows == [
        ("BDH_HH01_NR_1", "BDH_HH01", "5G", 3500.0, "on_air"),
        ("BDH_HH01_NR_2", "BDH_HH01", "5G", 3500.0, "decommissioned"),
    ]


def test_an_enm_listing_leaves_its_instance_count_out(ws: Workspace, tmp_path: Path) -> None:
    """``cmedit get … -t`` prints the managed object's name above the table and its count under
    it. Fails if ``2 instance(s)`` is read as a cell without an id."""
    rows = _cells(
        ws,
        tmp_path,
        "EUtranCellFDD\n"
        "NodeId\tEUtranCellFDDId\tadministrativeState\tearfcndl\n"
        "BDH_HH01\tBDH_HH01_L18A\tUNLOCKED\t1300\n"
        "BDH_CT01\tBDH_CT01_L21A\tLOCKED\t300\n"
        "\n"
        "2 instance(s)\n",
    )
    assert rows == [
        ("BDH_HH01_L18A", "BDH_HH01", "4G", 1800.0, "on_air"),
        ("BDH_CT01_L21A", "BDH_CT01", "4G", 2100.0, "decommissioned"),
    ]


def test_a_site_code_a_spreadsheet_stored_as_a_number_names_its_site(tmp_path: Path) -> None:
    ws = Workspace.create(tmp_path / "ws", metric_crs="EPSG:32649")
    sites = tmp_path / "sites.csv"
    sites.write_text("Mã trạm,Kinh độ,Vĩ độ\n00123,109.1,14.4\n00124,109.2,14.5\n", encoding="utf-8")
    import_file(ws, "sites", sites)
    cells = tmp_path / "cells.csv"
    cells.write_text("Mã cell,Mã trạm,Nhà mạng,Công nghệ\nC1,123,Viettel,4G\n", encoding="utf-8")

    result = import_file(ws, "cells", cells)

    assert ws.read_layer("cells")["site_id"].tolist() == ["00123"]
    assert any("without leading zeros" in note and "'123' → '00123'" in note for note in result.notes)


def test_a_site_list_with_mast_and_antenna_heights_reads_the_masts(tmp_path: Path) -> None:
    ws = Workspace.create(tmp_path / "ws", metric_crs="EPSG:32649")
    sites = tmp_path / "sites.csv"
    sites.write_text(
        "Mã trạm,Kinh độ,Vĩ độ,Độ cao cột (m),Độ cao anten (m),Chủ đầu tư cột\nS1,109.1,14.4,42,36,Viettel\n",
        encoding="utf-8",
    )
    import_file(ws, "sites", sites)
    assert ws.read_layer("sites")[["height_m", "owner"]].to_numpy().tolist() == [[42.0, "Viettel"]]


_ZTE = (
    "SubNetwork,ManagedElement,EUtranCellFDD,userLabel,earfcnDl,freqBandInd,azimuth,adminState\n"
    "520101,BDH_HH01,1,HH01_L1800_1,1845.0,3,30,Unblocked\n"
    "520101,BDH_HH01,11,HH01_L2600_1,2630.0,7,30,Unblocked\n"
    "520101,BDH_HH01,91,HH01_L900_1,947.5,8,30,Unblocked\n"
)


def test_a_zte_export_reads_its_band_indicator(ws: Workspace, tmp_path: Path) -> None:
    """ZTE U31 gives ``freqBandInd`` (the 3GPP band) beside ``earfcnDl`` in MHz. Fails if 2630
    MHz is read as EARFCN 2630 (band 5, 850 MHz), or 947.5 refused as no channel."""
    bands = {c: b for c, _, _, b, _ in _cells(ws, tmp_path, _ZTE)}
    assert bands == {"HH01_L1800_1": 1800.0, "HH01_L2600_1": 2600.0, "HH01_L900_1": 900.0}


def test_a_channel_column_written_in_mhz_gives_the_frequency(ws: Workspace, tmp_path: Path) -> None:
    """The same export without its band indicator: ``earfcnDl`` written with decimals is in
    MHz. Fails if 2630.0 is read as a channel number (850 MHz)."""
    text = "\n".join(",".join(p for k, p in enumerate(row.split(",")) if k != 5) for row in _ZTE.splitlines())
    bands = {c: b for c, _, _, b, _ in _cells(ws, tmp_path, text + "\n")}
    assert bands == {"HH01_L1800_1": 1845.0, "HH01_L2600_1": 2630.0, "HH01_L900_1": 947.5}


def test_a_status_remark_that_names_a_later_state_is_not_read_past(ws: Workspace, tmp_path: Path) -> None:
    """``Đang phát sóng (tạm dừng từ 01/2025)``: the remark says the site is off air now. Fails
    if it is stored on air by the words before the brackets (a remark that names no other
    state, ``(swap)``, still reads past)."""
    from coverage_gis.errors import LayerValidationError

    path = tmp_path / "cells.csv"
    path.write_text(
        "Mã trạm,Mã cell,Công nghệ,Trạng thái\nBDH_HH01,C1,4G,Đang phát sóng (tạm dừng từ 01/2025)\n",
        encoding="utf-8",
    )
    with pytest.raises(LayerValidationError, match=r"unknown value 'Đang phát sóng \(tạm dừng từ 01/2025\)'"):
        import_file(ws, "cells", path, values={"operator": "Viettel"})


def test_more_statuses_of_provincial_lists_are_read(ws: Workspace, tmp_path: Path) -> None:
    """Fails if a status a provincial list writes for a site off air, on air or not yet built is refused."""
    said = {
        "Dừng hoạt động": "decommissioned",
        "Ngừng khai thác": "decommissioned",
        "Tạm dừng phát sóng": "decommissioned",
        "Hủy quy hoạch": "decommissioned",
        "Không còn sử dụng": "decommissioned",
        "Đang hoạt động bình thường": "on_air",
        "Phát sóng thử nghiệm": "on_air",
        "Chưa lắp đặt": "planned",
        "Đang chờ phát sóng": "planned",
    }
    rows = "".join(f"BDH_HH01,C{k},4G,{status}\n" for k, status in enumerate(said))
    got = {c: s for c, _, _, _, s in _cells(ws, tmp_path, "Mã trạm,Mã cell,Công nghệ,Trạng thái\n" + rows)}
    assert got == {f"C{k}": status for k, status in enumerate(said.values())}


def test_channel_numbers_a_script_wrote_as_floats_stay_channel_numbers(ws: Workspace, tmp_path: Path) -> None:
    """``EARFCN`` 1650.0 and 3050.0 (a column with a blank, written by pandas): channels of
    bands 3 and 7. Fails if they are read as 1650 MHz and 3050 MHz."""
    text = "Cell,Site,Tech,EARFCN\nC1,BDH_HH01,LTE,1650.0\nC2,BDH_HH01,LTE,3050.0\n"
    bands = {c: b for c, _, _, b, _ in _cells(ws, tmp_path, text)}
    assert bands == {"C1": 1800.0, "C2": 2600.0}


def test_a_decimal_channel_that_reads_two_ways_is_refused(ws: Workspace, tmp_path: Path) -> None:
    """``earfcnDl`` 2630.0 without a band indicator: channel 2630 (band 5, 850 MHz) or 2630 MHz
    (band 7). Fails if either is stored without a word."""
    from coverage_gis.errors import LayerValidationError

    path = tmp_path / "cells.csv"
    path.write_text(
        "Cell,Site,Tech,earfcnDl\nC1,BDH_HH01,LTE,1845.0\nC2,BDH_HH01,LTE,2630.0\n", encoding="utf-8"
    )
    with pytest.raises(LayerValidationError, match=r"reads as channel 2630 \(850 MHz\) or as 2630 MHz"):
        import_file(ws, "cells", path, values={"operator": "Viettel"})
