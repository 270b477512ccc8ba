"""A plan's files: the workbook (Vietnamese or English headers), CSV and GeoJSON, and names that
a spreadsheet could run as formulas.

The tiny workspace's gap village V2 is renamed ``=HYPERLINK("http://x","y")``: the plan's
village table carries that name into every file.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from openpyxl import load_workbook

from coverage_gis.cli import main
from coverage_gis.engine import load
from coverage_gis.planning import make_plan, write_plan
from coverage_gis.planning.export import SHEET_TITLES, plan_table
from coverage_gis.workspace import Workspace

from .conftest import METRIC, tiny_layers

EVIL = '=HYPERLINK("http://x","y")'


@pytest.fixture
def evil_ws(tmp_path: Path) -> Workspace:
    layers = tiny_layers()
    villages = layers["villages"]
    villages.loc[villages["village_id"] == "V2", "name"] = EVIL
    ws = Workspace.create(tmp_path / "ws", metric_crs=METRIC, provinces=["99"])
    ws.write_layers(layers, source="tiny fixture")
    return ws


def test_workbook_and_csv_keep_formula_like_names_as_text(evil_ws: Workspace, tmp_path: Path) -> None:
    plan = make_plan(load(evil_ws))
    paths = write_plan(plan, tmp_path / "out")
    book = load_workbook(paths["xlsx"])
    assert book.sheetnames == [vi for vi, _ in SHEET_TITLES.values()]
    sheet = book["Thôn chưa phủ sóng"]
    header = [c.value for c in sheet[1]]
    assert header[:4] == ["Mã thôn", "Tên", "Thiếu dịch vụ", "Dân số"]
    names = [row[1] for row in sheet.iter_rows(min_row=2)]
    assert {c.value for c in names} == {EVIL}
    assert all(c.data_type == "s" and c.quotePrefix for c in names)
    costs = book["Trình tự đầu tư"]
    cost_col = [c.value for c in costs[1]].index("Chi phí (đồng)")
    assert costs.cell(row=2, column=cost_col + 1).number_format == "#,##0"
    with paths["villages_csv"].open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert {r["name"] for r in rows} == {"'" + EVIL}
    # GeoJSON is data, not a spreadsheet: the name is kept as it is.
    geo = json.loads(paths["sites_geojson"].read_text(encoding="utf-8"))
    assert len(geo["features"]) == len(plan_table(plan, "sites"))


def test_cli_out_writes_english_workbook(evil_ws: Workspace, tmp_path: Path) -> None:
    out = tmp_path / "plan"
    assert main(["plan", str(evil_ws.path), "--out", str(out), "--lang", "en", "--json"]) == 0
    book = load_workbook(out / "plan.xlsx")
    assert book.sheetnames == [en for _, en in SHEET_TITLES.values()]
    assert [c.value for c in book["Proposed sites"][1]][:2] == ["Candidate id", "Kind"]
