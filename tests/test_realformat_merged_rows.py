"""A provincial list with a row per cell whose site columns were merged in the workbook and
saved as CSV: only each site's first row gives them."""

from __future__ import annotations

from pathlib import Path

import pytest

from coverage_gis.errors import LayerValidationError
from coverage_gis.io import import_file
from coverage_gis.workspace import Workspace

_HEADER = "STT,Mã trạm,Tên trạm,Kinh độ,Vĩ độ,Mã cell,Nhà mạng,Công nghệ,Góc phương vị\n"
_MERGED = (
    _HEADER + "1,BDH901,Hoài Hải,109.01,13.77,C901,Viettel,4G,0\n"
    ",,,,,C902,Viettel,4G,120\n"
    ",,,,,C903,Viettel,4G,240\n"
    "2,BDH902,Tam Quan,109.02,13.78,C904,Viettel,4G,0\n"
    ",,,,,C905,Viettel,4G,120\n"
)


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    return Workspace.create(tmp_path / "ws", metric_crs="EPSG:32649")


def test_a_merged_list_saved_as_csv_gives_every_cell_its_site(ws: Workspace, tmp_path: Path) -> None:
    """Fails if the cells below a site's first row are refused for a blank site, or the list
    read as sites gives rows without a position."""
    path = tmp_path / "bts.csv"
    path.write_text(_MERGED, encoding="utf-8")

    sites = import_file(ws, "sites", path)
    cells = import_file(ws, "cells", path)

    read = ws.read_layer("sites")
    assert read["site_id"].tolist() == ["BDH901", "BDH902"]
    assert read["name"].tolist() == ["Hoài Hải", "Tam Quan"]
    by_cell = ws.read_layer("cells").set_index("cell_id")["site_id"].to_dict()
    assert by_cell == {
        "C901": "BDH901",
        "C902": "BDH901",
        "C903": "BDH901",
        "C904": "BDH902",
        "C905": "BDH902",
    }
    said = "cells: 3 rows below a row that gives them leave 'Mã trạm', 'STT', 'Tên trạm', 'Kinh độ', 'Vĩ độ'"
    assert any(n.startswith(said) for n in cells.notes), cells.notes
    assert any(n.startswith(said.replace("cells", "sites", 1)) for n in sites.notes), sites.notes


@pytest.mark.parametrize(
    "rows",
    [
        # A row with a position of its own is a site of its own whose id is missing.
        "1,BDH901,Hoài Hải,109.01,13.77,C901,Viettel,4G,0\n2,,Tam Quan,109.02,13.78,C902,Viettel,4G,0\n",
        # Only the site's code left blank (the name given): no merged group, a missing value.
        "1,BDH901,Hoài Hải,,,C901,Viettel,4G,0\n2,,Hoài Hải,,,C902,Viettel,4G,120\n",
        # The site's rows repeat its code: a row without one is a new site, not a continuation.
        "1,BDH901,Hoài Hải,109.01,13.77,C901,Viettel,4G,0\n"
        "2,BDH901,Hoài Hải,109.01,13.77,C902,Viettel,4G,120\n"
        "3,,Cát Lâm (trạm mới),,,C903,Viettel,4G,90\n",
        # The first row leaves it blank: nothing above it to continue.
        ",,,,,C900,Viettel,4G,0\n1,BDH901,Hoài Hải,109.01,13.77,C901,Viettel,4G,0\n",
    ],
)
def test_a_blank_site_that_continues_no_merged_group_is_still_refused(
    ws: Workspace, tmp_path: Path, rows: str
) -> None:
    """Fails if a cell whose site is simply missing takes the site of the row above."""
    path = tmp_path / "bts.csv"
    path.write_text(_HEADER + rows, encoding="utf-8")

    with pytest.raises(LayerValidationError, match="required value is empty"):
        import_file(ws, "cells", path)
