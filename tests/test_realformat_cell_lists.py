"""An operator's list with a row per cell ("Danh sách cell") imported as sites and as cells."""

from __future__ import annotations

from pathlib import Path

import pytest

from coverage_gis.errors import LayerValidationError
from coverage_gis.io import import_file
from coverage_gis.workspace import Workspace

_HEADER = "Mã trạm,Tên trạm,Kinh độ,Vĩ độ,Mã cell,Nhà mạng,Công nghệ,Băng tần,Góc phương vị\n"
_ROWS = (
    "BDH001,Trạm 1,109.01,13.77,BDH001_1,Viettel,LTE,L1800,0\n"
    "BDH001,Trạm 1,109.01,13.77,BDH001_2,Viettel,LTE,L1800,120\n"
    "BDH002,Trạm 2,109.02,13.78,BDH002_1,Viettel,UMTS,U2100,\n"
    "BDH001,Trạm 1,109.01,13.77,BDH001_3,Viettel,LTE,L1800,240\n"
)


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
    "change",
    [
        ("BDH001,Trạm 1,109.01,13.77,BDH001_3", "BDH001,Trạm 1,109.03,13.77,BDH001_3"),
        ("Trạm 1,109.01,13.77,BDH001_2", "Trạm Một,109.01,13.77,BDH001_2"),
    ],
    ids=["position", "name"],
)
def test_rows_of_one_id_that_disagree_are_refused(
    ws: Workspace, tmp_path: Path, change: tuple[str, str]
) -> None:
    path = tmp_path / "cells.csv"
    path.write_text(_HEADER + _ROWS.replace(*change), encoding="utf-8")

    with pytest.raises(LayerValidationError, match=r"row [13], field 'site_id': duplicate id 'BDH001'"):
        import_file(ws, "sites", path)
