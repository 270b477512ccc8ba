"""Band names in cell exports (``B3``, ``n78``, ``L1800``) read as the MHz of ``band_mhz``
(:mod:`coverage_gis.bands`), in imports and site-edit CSVs, with a note; others refused."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from coverage_gis.bands import BAND_MHZ, NR_BAND_MHZ, band_mhz_text, channel_band_mhz, nr_arfcn_mhz
from coverage_gis.errors import LayerValidationError
from coverage_gis.io import import_file
from coverage_gis.site_edit_files import edits_from_file
from coverage_gis.site_edits import SiteEdit
from coverage_gis.workspace import Workspace


@pytest.mark.parametrize(
    ("name", "mhz"),
    [
        ("B3", "1800"),
        ("Band 3", "1800"),
        ("b28", "700"),
        ("n78", "3500"),
        ("N41", "2500"),
        ("L1800", "1800"),
        ("U2100", "2100"),
        ("G900", "900"),
        ("NR3500", "3500"),
        ("LTE1800", "1800"),
        ("GSM 900", "900"),
        ("E-GSM900", "900"),
        ("L1800 MHz", "1800"),
        # NR written with its letter alone, and a frequency in GHz.
        ("N3500", "3500"),
        ("N2600", "2600"),
        ("2,6 GHz", "2600"),
        ("3.5GHz", "3500"),
    ],
)
def test_band_names(name: str, mhz: str) -> None:
    assert band_mhz_text(name) == mhz


@pytest.mark.parametrize("text", ["1800", "1800 MHz", "B99", "L18", "X1800", "n", "", "B3.5"])
def test_other_text_is_left_for_validation(text: str) -> None:
    assert band_mhz_text(text) is None


@given(st.sampled_from(sorted(BAND_MHZ)), st.sampled_from(["B", "b", "Band ", "band_", "BAND-"]))
def test_every_lte_band_reads_its_table_value(band: int, prefix: str) -> None:
    assert band_mhz_text(f"{prefix}{band}") == f"{BAND_MHZ[band]:g}"


@given(st.sampled_from(sorted(NR_BAND_MHZ)))
def test_every_nr_band_reads_its_table_value(band: int) -> None:
    assert band_mhz_text(f"n{band}") == f"{NR_BAND_MHZ[band]:g}"


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    ws = Workspace.create(tmp_path / "ws", metric_crs="EPSG:32649")
    sites = tmp_path / "tram.csv"
    sites.write_text("site_id,lon,lat,status\nQN-001,109.2,13.77,on_air\n", encoding="utf-8")
    import_file(ws, "sites", sites)
    return ws


def test_a_cells_export_with_band_names(ws: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "cell.csv"
    path.write_text(
        "cell_id,site_id,operator,tech,Băng tần\n"
        "C1,QN-001,Viettel,4G,L1800\nC2,QN-001,Viettel,4G,B3\nC3,QN-001,Viettel,5G,n78\nC4,QN-001,Viettel,3G,2100\n",
        encoding="utf-8",
    )

    result = import_file(ws, "cells", path)

    assert ws.read_layer("cells").set_index("cell_id")["band_mhz"].tolist() == [1800, 1800, 3500, 2100]
    assert any(
        n.startswith("cells: band_mhz values read as:") and "'n78' → 3500 MHz (1 row)" in n
        for n in result.notes
    )


def test_an_unknown_band_is_refused(ws: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "cell.csv"
    path.write_text("cell_id,site_id,operator,tech,band_mhz\nC1,QN-001,Viettel,4G,B99\n", encoding="utf-8")
    with pytest.raises(LayerValidationError, match="'B99' is not a number"):
        import_file(ws, "cells", path)


def _site_edits(tmp_path: Path, text: str) -> tuple[list[SiteEdit], list[str]]:
    """The edits of a site-edit CSV holding ``text``, and the notes of reading it."""
    path = tmp_path / "edits.csv"
    path.write_text(text, encoding="utf-8")
    notes: list[str] = []
    return edits_from_file(path, notes=notes), notes


def test_site_edit_csv_reads_band_names_brands_and_radio_names(tmp_path: Path) -> None:
    edits, notes = _site_edits(
        tmp_path,
        "op,site_id,lon,lat,status,cell_id,operator,tech,band_mhz\n"
        "add,N1,109.2,13.77,on_air,N1-1,Vinaphone,LTE,L1800\n",
    )

    cell = edits[0].cells[0]
    assert (cell["operator"], cell["tech"], float(cell["band_mhz"])) == ("VNPT", "4G", 1800.0)
    assert any("site edits: band_mhz values read as:" in n for n in notes)


@pytest.mark.parametrize(
    ("tech", "channel", "mhz"),
    [
        ("2G", 62, 900.0),  # P-GSM
        ("2G", 1000, 900.0),  # E-GSM
        ("2G", 700, 1800.0),  # DCS
        ("3G", 10612, 2100.0),  # band I downlink
        ("3G", 9662 - 50, 2100.0),  # band I uplink
        ("3G", 3011, 900.0),  # band VIII
        ("4G", 1300, 1800.0),  # band 3 downlink
        ("4G", 19300, 1800.0),  # band 3 uplink
        ("4G", 3050, 2600.0),  # band 7
        ("4G", 9435, 700.0),  # band 28
        ("4G", 38950, 2300.0),  # band 40 (TDD)
        ("5G", 643334, 3500.0),  # n78: 3650.01 MHz
        ("5G", 155950, 700.0),  # n28: 779.75 MHz
        ("5G", 2070833, 26000.0),  # n258: 27.5 GHz
        ("4G", 5000, None),  # between bands
        ("2G", 200, None),
        ("5G", 3_300_000, None),  # past the raster
        ("Wi-Fi", 6, None),
    ],
)
def test_a_channel_number_is_read_as_its_bands_nominal_mhz(
    tech: str, channel: int, mhz: float | None
) -> None:
    assert channel_band_mhz(tech, channel) == mhz


def test_nr_arfcn_frequencies_follow_the_global_raster() -> None:
    assert nr_arfcn_mhz(0) == 0.0
    assert nr_arfcn_mhz(620_000) == pytest.approx(3300.0)
    assert nr_arfcn_mhz(2_016_667) == pytest.approx(24250.08)


_CHANNEL_LIST = (
    "Site,Cell,Lon,Lat,Tech,{column},Operator\n"
    "S1,S1-G,109.2232,13.7765,GSM,{gsm},VNPT\n"
    "S1,S1-L,109.2232,13.7765,LTE,{lte},VNPT\n"
    "S1,S1-N,109.2232,13.7765,NR,{nr},VNPT\n"
)


def _channel_cells(tmp_path: Path, ws: Workspace, column: str, *channels: str) -> list[str]:
    """Sites and cells of a list with one GSM, LTE and NR cell whose ``column`` holds ``channels``."""
    path = tmp_path / "cells.csv"
    gsm, lte, nr = channels
    path.write_text(_CHANNEL_LIST.format(column=column, gsm=gsm, lte=lte, nr=nr), encoding="utf-8")
    import_file(ws, "sites", path)
    return import_file(ws, "cells", path).notes


def test_a_planning_tools_channel_column_gives_each_cell_its_band(tmp_path: Path) -> None:
    ws = Workspace.create(tmp_path / "ws", metric_crs="EPSG:32649")

    # One channel column for every radio: each row's channel read as its tech's.
    notes = _channel_cells(tmp_path, ws, "ARFCN", "62", "1650", "643334")
    bands = ws.read_layer("cells").set_index("cell_id")["band_mhz"].to_dict()
    assert bands == {"S1-G": 900.0, "S1-L": 1800.0, "S1-N": 3500.0}
    assert (
        "cells: band_mhz read from the channel numbers of 'ARFCN': 2G 900 MHz (1), 4G 1800 MHz (1), "
        "5G 3500 MHz (1)" in notes
    )

    # A column named for one radio numbers that radio's channels; an empty cell keeps the
    # default (a 2G cell's: 900 MHz).
    _channel_cells(tmp_path, ws, "EARFCN", "", "3050", "9435")
    bands = ws.read_layer("cells").set_index("cell_id")["band_mhz"].to_dict()
    assert bands == {"S1-G": 900.0, "S1-L": 2600.0, "S1-N": 700.0}

    # A band column wins: the channel column is not read.
    path = tmp_path / "both.csv"
    path.write_text("Cell,Site,Tech,Band,EARFCN,Operator\nC1,S1,LTE,B3,3050,VNPT\n", encoding="utf-8")
    import_file(ws, "cells", path)
    assert ws.read_layer("cells")["band_mhz"].tolist() == [1800.0]


def test_a_mixed_export_reads_each_rows_band_and_radio_from_the_channel_column_it_fills(
    ws: Workspace, tmp_path: Path
) -> None:
    """An export of LTE and UMTS cells with an EARFCN and a UARFCN column, each row filling
    one, and no tech or band column: each cell's radio and band from its own column. Fails if
    the UMTS rows take the LTE column's reading (none) and the default band, or no radio."""
    path = tmp_path / "mixed.csv"
    path.write_text(
        "Cell,Site,Operator,EARFCN,UARFCN\nC1,QN-001,VNPT,1650,\nC2,QN-001,VNPT,,10562\nC3,QN-001,VNPT,,2962\n",
        encoding="utf-8",
    )

    result = import_file(ws, "cells", path)

    cells = ws.read_layer("cells").set_index("cell_id")
    assert cells["tech"].tolist() == ["4G", "3G", "3G"]
    assert cells["band_mhz"].tolist() == [1800.0, 2100.0, 900.0]
    assert (
        "cells: band_mhz read from the channel numbers of 'EARFCN', 'UARFCN': "
        "3G 900 MHz (1), 3G 2100 MHz (1), 4G 1800 MHz (1)" in result.notes
    )


def test_a_channel_in_no_known_band_is_refused_with_its_row(tmp_path: Path) -> None:
    ws = Workspace.create(tmp_path / "ws", metric_crs="EPSG:32649")
    with pytest.raises(
        LayerValidationError, match=r"row 1, field 'EARFCN': channel 5000 of a 4G cell lies in no band"
    ):
        _channel_cells(tmp_path, ws, "EARFCN", "1300", "5000", "1300")


def test_a_site_edit_csv_reads_a_channel_column_as_an_import_does(tmp_path: Path) -> None:
    (edit,), notes = _site_edits(
        tmp_path,
        "site_id;lon;lat;cell_id;operator;tech;EARFCN\nS9;109,01;13,76;S9-1;Viettel;LTE;1300\n"
        "S9;109,01;13,76;S9-2;Viettel;LTE;9435\n",
    )

    assert [c["band_mhz"] for c in edit.cells or ()] == ["1800", "700"]
    assert any("band_mhz read from the channel numbers of 'EARFCN'" in note for note in notes)


def test_each_row_takes_the_radio_of_the_one_channel_column_it_fills() -> None:
    """A mixed export with an EARFCN and a UARFCN column, each row filling one: its radio;
    a row filling both, or neither, none (validation names it). A file with a tech column
    keeps it."""
    from coverage_gis.io.channels import tech_from_channels

    frame = pd.DataFrame(
        {
            "cell_id": ["A", "B", "C", "D"],
            "EARFCN": ["1650", None, "100", ""],
            "UARFCN": [None, "10562", "10562", None],
        }
    )
    notes: list[str] = []

    read = tech_from_channels(frame, notes=notes)

    assert read["tech"].tolist() == ["4G", "3G", None, None]
    assert notes == [
        "cells: tech read from the radio each channel column numbers: 'EARFCN' → 4G (1), 'UARFCN' → 3G (1)"
    ]
    assert tech_from_channels(read, notes=notes) is read


def test_rows_whose_tech_or_band_is_blank_take_them_from_their_channel(ws: Workspace, tmp_path: Path) -> None:
    """An operator's list with Tech and Band columns left blank in some rows, and the planning
    tool's EARFCN/UARFCN beside them: those rows read the radio and band of their channel; a
    row's own value wins, and a channel beside a band given is not read (here, text). Fails if
    the blank rows are refused for want of a tech, or keep the default band."""
    path = tmp_path / "cells.csv"
    path.write_text(
        "Cell,Site,Operator,Tech,Band,EARFCN,UARFCN\n"
        "C1,QN-001,VNPT,,,1650,\n"  # both blank: 4G 1800 from the EARFCN
        "C2,QN-001,VNPT,3G,,,10562\n"  # band blank: 2100 from the UARFCN
        "C3,QN-001,VNPT,4G,2600,n/a,\n"  # both given: the channel is not read
        "C4,QN-001,VNPT,,900,,2962\n",  # tech blank: 3G; its band as given
        encoding="utf-8",
    )

    result = import_file(ws, "cells", path)

    cells = ws.read_layer("cells").set_index("cell_id")
    assert cells["tech"].to_dict() == {"C1": "4G", "C2": "3G", "C3": "4G", "C4": "3G"}
    assert cells["band_mhz"].to_dict() == {"C1": 1800.0, "C2": 2100.0, "C3": 2600.0, "C4": 900.0}
    assert (
        "cells: tech read from the radio each channel column numbers in the rows whose tech is "
        "blank: 'EARFCN' → 4G (1), 'UARFCN' → 3G (1)" in result.notes
    )
    assert (
        "cells: band_mhz read from the channel numbers of 'EARFCN', 'UARFCN' in the rows whose "
        "band_mhz is blank: 3G 2100 MHz (1), 4G 1800 MHz (1)" in result.notes
    )
