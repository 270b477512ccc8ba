"""No formula reaches a spreadsheet: CSV and XLSX from the CLI, the API and the web map's export."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from coverage_gis.cli import main
from coverage_gis.reports import csv_bytes
from coverage_gis.spreadsheet import csv_safe, is_formula_like
from coverage_gis.workspace import Workspace

from .test_api_read import make_client, make_workspace

#: Names and ids an attacker would choose (the issue's payloads and their relatives).
PAYLOADS = (
    '=HYPERLINK("http://evil.example","bấm vào đây")',
    "+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    '=DDE("cmd";"/C calc";"!A0")',
    "-2+3+cmd|' /C calc'!A0",
    "\t=1+1",
    "  =1+1",
    "\r\n@SUM(A1)",
    "＝1+1",
)
HARMLESS = ("thôn 1", "làng O2", "a=b", "x-1", "", "1 + 1")
APP_JS = Path(__file__).parents[1] / "api" / "coverage_gis_api" / "static" / "app.js"


def test_the_rule() -> None:
    for text in PAYLOADS:
        assert is_formula_like(text), text
        assert csv_safe(text) == "'" + text
    for text in HARMLESS:
        assert not is_formula_like(text), text
        assert csv_safe(text) == text
    assert csv_safe(-5) == -5  # numbers stay numbers
    assert csv_safe(None) is None


def test_csv_quotes_every_formula_cell() -> None:
    frame = pd.DataFrame({"name": [*PAYLOADS, "thôn 1"], "population": range(len(PAYLOADS) + 1)})
    rows = list(csv.DictReader(io.StringIO(csv_bytes(frame).decode("utf-8-sig"))))
    assert [r["name"] for r in rows] == ["'" + p for p in PAYLOADS] + ["thôn 1"]
    assert [r["population"] for r in rows] == [str(i) for i in range(len(PAYLOADS) + 1)]


@pytest.fixture(scope="module")
def poisoned(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    """The tiny workspace with the gap village V2 named by a payload."""
    ws = make_workspace(tmp_path_factory.mktemp("exports") / "ws")
    villages = ws.read_layer("villages")
    villages.loc[villages["village_id"] == "V2", "name"] = PAYLOADS[0]
    ws.write_layers({"villages": villages})
    return ws


def test_cli_csv_is_neutralised(poisoned: Workspace, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["gaps", str(poisoned.path), "--kind", "mobile", "--csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [r["name"] for r in rows] == ["'" + PAYLOADS[0]]


def test_api_csv_and_xlsx_are_neutralised(poisoned: Workspace) -> None:
    with make_client(poisoned) as client:
        text = client.get("/v1/gaps", params={"kind": "mobile", "format": "csv"}).text
        assert [r["name"] for r in csv.DictReader(io.StringIO(text))] == ["'" + PAYLOADS[0]]
        villages = client.get("/v1/villages", params={"format": "csv"}).text
        assert "'" + PAYLOADS[0].replace('"', '""') in villages
        body = client.get("/v1/gaps", params={"kind": "mobile", "format": "xlsx"}).content
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        sheets = [n for n in archive.namelist() if n.startswith("xl/worksheets/")]
        assert sheets
        assert all(b"<f>" not in archive.read(n) for n in sheets)  # no formula anywhere
    sheet = load_workbook(io.BytesIO(body)).active
    assert sheet is not None
    header = [c.value for c in sheet[1]]
    cell = sheet.cell(row=2, column=header.index("Tên") + 1)  # Vietnamese headers by default
    assert cell.data_type == "s"
    assert cell.value == PAYLOADS[0]  # the exact text, shown as text


def _js_function(name: str) -> str:
    """The source of ``function name(...) {...}`` in app.js (two-space indented, closed at that indent)."""
    source = APP_JS.read_text(encoding="utf-8")
    found = re.search(rf"^  function {name}\(.*?^  \}}$", source, re.DOTALL | re.MULTILINE)
    assert found is not None, f"{name} not found in app.js"
    return found.group(0)


@pytest.mark.skipif(shutil.which("node") is None, reason="needs node to run app.js's cell rule")
def test_web_export_applies_the_same_rule() -> None:
    values: list[object] = [*PAYLOADS, *HARMLESS, -5, None, 'say "hi"', "a;b"]
    script = _js_function("csvCell") + f"\nconsole.log(JSON.stringify({json.dumps(values)}.map(csvCell)));"
    out = subprocess.run(["node", "-e", script], capture_output=True, text=True, check=True, timeout=30)
    got = json.loads(out.stdout)
    for value, cell in zip(values, got, strict=True):
        expected = "" if value is None else str(csv_safe(value))
        if re.search(r'[",\n\r;]', expected):
            expected = '"' + expected.replace('"', '""') + '"'
        assert cell == expected, value
