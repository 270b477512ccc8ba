"""Band names in cell exports (``B3``, ``n78``, ``L1800``) read as the MHz of ``band_mhz``
(:mod:`coverage_gis.bands`), in imports and site-edit CSVs, with a note; others refused."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coverage_gis.bands import BAND_MHZ, NR_BAND_MHZ, band_mhz_text
from coverage_gis.errors import LayerValidationError
from coverage_gis.io import import_file
from coverage_gis.site_edits import edits_from_file
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


def test_site_edit_csv_reads_band_names_brands_and_radio_names(tmp_path: Path) -> None:
    path = tmp_path / "edits.csv"
    path.write_text(
        "op,site_id,lon,lat,status,cell_id,operator,tech,band_mhz\n"
        "add,N1,109.2,13.77,on_air,N1-1,Vinaphone,LTE,L1800\n",
        encoding="utf-8",
    )
    notes: list[str] = []

    edits = edits_from_file(path, notes=notes)

    cell = edits[0].cells[0]
    assert (cell["operator"], cell["tech"], float(cell["band_mhz"])) == ("VNPT", "4G", 1800.0)
    assert any("site edits: band_mhz values read as:" in n for n in notes)
