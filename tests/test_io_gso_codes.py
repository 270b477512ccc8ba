"""GSO codes a spreadsheet wrote as numbers: Hà Nội's ``01`` as 1, Phường Trúc Bạch's
``00004`` as 4. Read with their zeros back, as the workspace's communes hold them."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from coverage_gis.errors import LayerValidationError
from coverage_gis.io import import_file
from coverage_gis.io.gso_codes import padded_codes
from coverage_gis.layers import get_schema, parse_schema
from coverage_gis.workspace import Workspace


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    return Workspace.create(tmp_path / "ws", metric_crs="EPSG:32648")


def test_an_excel_village_list_gets_its_codes_zeros_back(ws: Workspace, tmp_path: Path) -> None:
    """Excel stores the codes as numbers. Fails if a village keeps ``1`` and ``4``, codes no
    commune has."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Mã thôn", "Tên thôn", "Mã xã", "Mã huyện", "Mã tỉnh", "Kinh độ", "Vĩ độ"])
    sheet.append(["V1", "Thôn 1", 4, 1, 1, 105.8435, 21.0435])
    sheet.append(["V2", "Thôn 2", "00004", "001", "01", 105.8436, 21.0436])
    path = tmp_path / "thon.xlsx"
    book.save(path)

    result = import_file(ws, "villages", path)

    villages = ws.read_layer("villages")
    assert villages["commune_code"].tolist() == ["00004", "00004"]
    assert villages["district_code"].tolist() == ["001", "001"]
    assert villages["province_code"].tolist() == ["01", "01"]
    assert (
        "villages: commune_code read as GSO codes of 5 digits, with the leading zeros a spreadsheet "
        "drops ('4' → '00004'; 1 row)"
    ) in result.notes


def test_codes_that_are_no_shortened_number_are_left_as_written() -> None:
    frame = pd.DataFrame(
        {"village_id": ["A", "B", "C", "D", "E"], "commune_code": ["21553", "215530", "2155A", None, "٤"]}
    )
    notes: list[str] = []

    out = padded_codes(frame, get_schema("villages"), notes=notes)

    assert out is frame
    assert notes == []


def test_only_a_text_field_has_digits(tmp_path: Path) -> None:
    path = tmp_path / "things.yaml"
    path.write_text(
        "name: things\ngeometry: none\nid_field: id\nfields:\n"
        "  - {name: id, type: str, digits: 3}\n  - {name: count, type: int, digits: 2}\n",
        encoding="utf-8",
    )
    with pytest.raises(LayerValidationError, match=r"digits of count: only a text field"):
        parse_schema(path)


def test_codes_a_script_or_a_locale_wrote_as_numbers_are_read_as_codes() -> None:
    """``21868.0`` (a script's float), ``21.868`` (a Vietnamese-locale CSV's thousands),
    ``'21655`` (Excel's text mark), ``52.0``. Fails if any is stored as written: no commune
    has such a code, and the village counts in no commune by its code."""
    frame = pd.DataFrame(
        {
            "village_id": ["A", "B", "C", "D"],
            "commune_code": ["21868.0", "21.868", "'21655", 21868.0],
            "province_code": ["52.0", "52", "52,0", 52.0],
        }
    )
    notes: list[str] = []

    out = padded_codes(frame, get_schema("villages"), notes=notes)

    assert out["commune_code"].tolist() == ["21868", "21868", "21655", "21868"]
    assert out["province_code"].tolist() == ["52", "52", "52", "52"]
    assert (
        "villages: commune_code read as GSO codes of 5 digits, written as numbers "
        "('21868.0' → '21868'; 4 rows)" in notes
    )
