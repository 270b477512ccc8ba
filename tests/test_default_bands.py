"""A cell without a band takes its technology's usual band (``layers/cells.yaml``:
``band_mhz``'s ``default_by``), wherever a cell comes from: an imported list, a site added
from the command line or the API, a frame handed to the cell table."""

from __future__ import annotations

from pathlib import Path

import pytest

from coverage_gis.cli import main
from coverage_gis.errors import LayerValidationError
from coverage_gis.io import import_file
from coverage_gis.layers import parse_schema
from coverage_gis.workspace import Workspace

from .conftest import at

#: The bands ``layers/cells.yaml`` gives a cell of each technology without one.
USUAL = {"2G": 900.0, "3G": 2100.0, "4G": 1800.0, "5G": 3700.0}


def test_an_opencellid_export_gives_each_radio_its_usual_band(tmp_path: Path) -> None:
    """OpenCellID names the radio, never the band. Fails if a GSM or NR cell takes LTE's
    1800 MHz (a 2G cell's reach from the 1800 MHz row, a 5G cell's path loss at 1800)."""
    ws = Workspace.create(tmp_path / "ws", metric_crs="EPSG:32648")
    path = tmp_path / "cells.csv"
    path.write_text(
        "radio,mcc,net,area,cell,unit,lon,lat,range,samples,changeable,created,updated,averageSignal\n"
        "GSM,452,4,1,11,0,109.00,14.00,500,5,1,1700000000,1700000000,0\n"
        "UMTS,452,4,1,12,0,109.01,14.00,500,5,1,1700000000,1700000000,0\n"
        "LTE,452,4,1,13,0,109.02,14.00,500,5,1,1700000000,1700000000,0\n"
        "NR,452,4,1,14,0,109.03,14.00,500,5,1,1700000000,1700000000,0\n",
        encoding="utf-8",
    )

    result = import_file(ws, "cells", path)

    cells = ws.read_layer("cells")
    assert dict(zip(cells["tech"], cells["band_mhz"], strict=True)) == USUAL
    assert any(
        "band_mhz=900 (2G), 2100 (3G), 1800 (4G), 3700 (5G) by tech, else 1800" in note
        for note in result.notes
    ), result.notes


def test_a_list_with_some_bands_blank_fills_only_those(tmp_path: Path) -> None:
    """A band given is kept; a blank one takes its row's technology's. Fails if a blank
    3G row takes 1800 MHz, or a given band is replaced."""
    ws = Workspace.create(tmp_path / "ws", metric_crs="EPSG:32648")
    (tmp_path / "sites.csv").write_text("Mã trạm,Kinh độ,Vĩ độ\nS1,109.01,13.77\n", encoding="utf-8")
    import_file(ws, "sites", tmp_path / "sites.csv")
    path = tmp_path / "cells.csv"
    path.write_text(
        "Mã trạm,Mã cell,Nhà mạng,Công nghệ,Băng tần\n"
        "S1,C1,VNPT,3G,\nS1,C2,VNPT,3G,900\nS1,C3,VNPT,2G,\nS1,C4,VNPT,5G,2600\n",
        encoding="utf-8",
    )

    result = import_file(ws, "cells", path)

    bands = ws.read_layer("cells").set_index("cell_id")["band_mhz"].to_dict()
    assert bands == {"C1": 2100.0, "C2": 900.0, "C3": 900.0, "C4": 2600.0}
    assert any(
        "empty values set to the schema default: band_mhz=900 (2G)" in n and "(2 rows)" in n
        for n in result.notes
    )


def test_a_site_added_from_the_command_line_takes_each_technologys_band(
    tiny_ws: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    """``covgis sites add --tech 2G --tech 5G`` without ``--band-mhz``. Fails if both cells
    take 1800 MHz, the old fixed default of the flag."""
    point = at(500, 500)
    argv = [
        "sites",
        "add",
        str(tiny_ws.path),
        "--site-id",
        "NEW",
        "--lon",
        str(point.x),
        "--lat",
        str(point.y),
    ]
    assert main([*argv, "--tech", "2G", "--tech", "5G"]) == 0
    cells = tiny_ws.read_layer("cells")
    added = cells[cells["site_id"] == "NEW"]
    assert dict(zip(added["tech"], added["band_mhz"], strict=True)) == {"2G": 900.0, "5G": 3700.0}

    assert main([*argv[:4], "NEW2", *argv[5:], "--tech", "3G", "--band-mhz", "900"]) == 0
    cells = tiny_ws.read_layer("cells")
    assert cells.loc[cells["site_id"] == "NEW2", "band_mhz"].tolist() == [900.0]


@pytest.mark.parametrize(
    ("kind_first", "default_by", "message"),
    [
        (
            False,
            "{kind: {a: 1}}",
            r"default_by of size names 'kind', not an earlier field with allowed values",
        ),
        (
            True,
            "{label: {a: 1}}",
            r"default_by of size names 'label', not an earlier field with allowed values",
        ),
        (
            True,
            "{kind: {c: 1}}",
            r"default_by of size names 'c', which is not one of the allowed values of kind",
        ),
        (True, "{kind: {a: 1}, label: {b: 2}}", r"default_by of size must name one field, not 2"),
    ],
)
def test_a_schema_default_by_is_checked_when_read(
    tmp_path: Path, kind_first: bool, default_by: str, message: str
) -> None:
    """``default_by`` names one earlier field with allowed values, and some of them. Fails if
    a schema with a typo there loads, and then fills nothing."""
    kind = "  - {name: kind, type: str, allowed: [a, b]}"
    fields = [
        "  - {name: thing_id, type: str, required: true}",
        "  - {name: label, type: str}",
        *([kind] if kind_first else []),
        f"  - {{name: size, type: float, default: 1, default_by: {default_by}}}",
        *([] if kind_first else [kind]),
    ]
    path = tmp_path / "things.yaml"
    path.write_text(
        "name: things\ngeometry: none\nid_field: thing_id\nfields:\n" + "\n".join(fields) + "\n",
        encoding="utf-8",
    )
    with pytest.raises(LayerValidationError, match=message):
        parse_schema(path)
