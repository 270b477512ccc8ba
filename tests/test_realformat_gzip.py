"""Gzip-compressed inputs: OpenCellID hands out its per-country cell lists as ``452.csv.gz``."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from coverage_gis.errors import InputTooLarge, LayerValidationError
from coverage_gis.io import import_file
from coverage_gis.workspace import Workspace

# OpenCellID's per-country files have no header line.
_OCID = (
    "LTE,452,4,10001,123456,0,109.01,13.77,0,1,1,1500000000,1600000000,0\n"
    "NR,452,2,20001,99887766,,109.03,13.79,500,3,1,1500000000,1600000000,0\n"
    "GSM,452,5,400,666,,109.05,13.81,100,2,0,1500000000,1600000000,-80\n"
)


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    return Workspace.create(tmp_path / "ws", metric_crs="EPSG:32649")


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
