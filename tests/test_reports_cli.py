"""What a provincial office gets from the CLI (issue 14): the report workbook opened as a
planner would (openpyxl), Vietnamese and English output, tables that fit a terminal, CSV
for Excel, and the edges of the CLI.

One Bình Định demo workspace for the module (built and computed once, ≈ 30 s). Its facts
(``tests/test_demo_cli.py``): làng O2 (285 people, no grid power) is the one mobile gap,
so the population share with mobile broadband is just under 100 %.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from coverage_gis.cli import main
from coverage_gis.engine import load
from coverage_gis.workspace import Workspace

VI_SHEETS = [
    "Thông tin",
    "Chỉ tiêu tỉnh",
    "Chỉ tiêu huyện",
    "Chỉ tiêu xã",
    "Chỉ tiêu tỉnh (từ 2025)",
    "Chỉ tiêu xã (từ 2025)",
    "Thẻ điểm",
    "Lõm sóng di động",
    "Thôn chưa có FTTH",
    "Địa điểm chưa có 5G",
]
EN_SHEETS = [
    "About",
    "KPIs by province",
    "KPIs by district",
    "KPIs by commune",
    "KPIs by province (2025)",
    "KPIs by commune (2025)",
    "Scorecard",
    "Mobile gaps",
    "FTTH gaps",
    "5G gaps",
]


@pytest.fixture(scope="module")
def bd(tmp_path_factory: pytest.TempPathFactory, binh_dinh_demo: Callable[..., Path]) -> Path:
    """The Bình Định demo (seed 2025), computed with ``covgis compute``: this module's copy."""
    return binh_dinh_demo(tmp_path_factory.mktemp("report") / "bd", computed=True)


def _run(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _rows(sheet: Worksheet) -> list[dict[str, object]]:
    header = [c.value for c in sheet[1]]
    return [dict(zip(header, (c.value for c in row), strict=True)) for row in sheet.iter_rows(min_row=2)]


def _cell(sheet: Worksheet, header: str, row: int = 2) -> object:
    names = [c.value for c in sheet[1]]
    return sheet.cell(row=row, column=names.index(header) + 1)


# --------------------------------------------------------------------------- the report


def test_report_workbook_in_vietnamese(bd: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "bao-cao.xlsx"
    code, printed, _ = _run(capsys, ["report", str(bd), "--out", str(out)])
    assert code == 0
    assert str(out) in printed
    book = load_workbook(out)
    assert book.sheetnames == VI_SHEETS
    for sheet in book.worksheets:
        assert sheet.freeze_panes == "A2", sheet.title  # the header stays in view
        assert sheet.auto_filter.ref == f"A1:{sheet.cell(1, sheet.max_column).column_letter}{sheet.max_row}"
        assert all(c.font.b for c in sheet[1]), sheet.title
        widths = [sheet.column_dimensions[c.column_letter].width for c in sheet[1]]
        assert all(8 <= w <= 50 for w in widths), (sheet.title, widths)

    about = {row["Mục"]: row["Giá trị"] for row in _rows(book["Thông tin"])}
    revision = load(Workspace.open(bd)).revision
    assert about["Phiên bản dữ liệu"] == str(revision)
    assert about["Mô hình phủ sóng"] == "radius"
    assert about["Ngày lập"] == date.today().strftime("%d/%m/%Y")
    assert "censusVN2009" in str(about["Nguồn dữ liệu"])
    assert about["Tỉnh"] == "Bình Định"

    province = book["Chỉ tiêu tỉnh"]
    share = _cell(province, "Dân số có băng rộng di động (%)")
    # làng O2's 285 people have no mobile broadband: never "100,0".
    assert share.value == 99.9
    assert share.number_format == "0.0"
    assert _cell(province, "Số thôn").value == 1048
    assert _cell(province, "Số thôn").number_format == "#,##0"
    # What each KPI measures rides along as the header's comment, in the report's language.
    assert "Tổng điều tra 2009" in _cell(province, "Dân số có băng rộng di động (%)", row=1).comment.text
    assert book["Chỉ tiêu huyện"].max_row > 2
    assert book["Chỉ tiêu xã (từ 2025)"].max_row > 2

    gap = book["Lõm sóng di động"]
    (o2,) = _rows(gap)
    assert o2["Tên"] == "làng O2"
    assert o2["Nguyên nhân"] == "Không có điện lưới"
    assert "điện mặt trời" in str(o2["Đề xuất"])
    assert o2["Nguồn điện"] == "Điện mặt trời/hybrid"
    cost = _cell(gap, "Chi phí ước tính (đồng)")
    assert cost.number_format == "#,##0"
    assert cost.value == round(cost.value)  # whole đồng
    lon = _cell(gap, "Kinh độ")
    assert lon.number_format == "0.000000"
    assert lon.value == round(lon.value, 6)

    card = _rows(book["Thẻ điểm"])
    assert {row["Đánh giá"] for row in card} <= {"đạt", "chưa đạt", "chưa có số liệu"}
    assert len(_rows(book["Thôn chưa có FTTH"])) == 8


def test_report_in_english_with_millions(
    bd: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "report.xlsx"
    assert _run(capsys, ["report", str(bd), "--out", str(out), "--lang", "en", "--money", "million"])[0] == 0
    book = load_workbook(out)
    assert book.sheetnames == EN_SHEETS
    gap = book["Mobile gaps"]
    (o2,) = _rows(gap)
    assert o2["Reason"] == "No grid power"
    cost = _cell(gap, "Estimated cost (million VND)")
    assert cost.number_format == "#,##0.0,,"  # whole đồng in the cell, shown in millions
    assert cost.value == round(cost.value)


# --------------------------------------------------------------------------- languages


def test_cli_speaks_vietnamese(
    bd: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, _ = _run(capsys, ["gaps", str(bd), "--kind", "mobile", "--lang", "vi"])
    assert code == 0
    assert "1 điểm lõm di động" in out
    wide = _run(capsys, ["gaps", str(bd), "--kind", "mobile", "--lang", "vi", "--wide"])[1]
    assert "Không có điện lưới" in wide  # unwrapped
    assert "Xây trạm 4G mới tại vị trí đề xuất dùng điện mặt trời/hybrid" in wide
    assert "no_grid_power" not in out
    assert "No grid power" not in out
    monkeypatch.setenv("COVGIS_LANG", "vi")  # the default comes from the environment
    assert _run(capsys, ["gaps", str(bd), "--kind", "mobile"])[1] == out
    monkeypatch.delenv("COVGIS_LANG")
    monkeypatch.setenv("LANG", "vi_VN.UTF-8")  # else from the locale
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.delenv("LC_MESSAGES", raising=False)
    assert _run(capsys, ["gaps", str(bd), "--kind", "mobile"])[1] == out
    code, out, _ = _run(capsys, ["kpi", str(bd), "--lang", "vi"])
    assert "Dân số có băng rộng di động (%)" in " ".join(out.split())
    assert "99,9" in out
    assert "100,0" not in out  # no province share is exactly 100 here


@pytest.mark.parametrize(
    "argv",
    [
        ["gaps", "--kind", "ftth", "--lang", "vi"],
        ["gaps", "--kind", "mobile", "--lang", "en"],
        ["gaps", "--kind", "5g", "--lang", "vi"],
        ["kpi", "--level", "district", "--lang", "en"],
        ["kpi", "--level", "commune_2025", "--lang", "vi"],
        ["scorecard", "--lang", "vi"],
        ["scorecard", "--lang", "en"],
    ],
)
def test_tables_fit_100_columns(bd: Path, capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    code, out, _ = _run(capsys, [argv[0], str(bd), *argv[1:]])
    assert code == 0
    assert max(len(line) for line in out.splitlines()) <= 100


def test_wide_shows_every_column(bd: Path, capsys: pytest.CaptureFixture[str]) -> None:
    narrow = _run(capsys, ["kpi", str(bd), "--level", "district"])[1]
    wide = _run(capsys, ["kpi", str(bd), "--level", "district", "--wide"])[1]
    assert max(len(line) for line in wide.splitlines()) > 100
    assert "Speed tests" not in narrow
    assert "Speed tests" in wide


# --------------------------------------------------------------------------- gaps filter and files


def test_gaps_district_filter_and_xlsx(bd: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    every = json.loads(_run(capsys, ["gaps", str(bd), "--kind", "ftth", "--json"])[1])
    district = str(every[0]["district_code"])
    mine = [g["id"] for g in every if str(g["district_code"]) == district]
    assert 0 < len(mine) < len(every)
    out = tmp_path / "gaps.xlsx"
    code, printed, _ = _run(
        capsys, ["gaps", str(bd), "--kind", "ftth", "--district", district, "--xlsx", str(out), "--json"]
    )
    assert code == 0
    assert [g["id"] for g in json.loads(printed)] == mine
    sheet = load_workbook(out)["Thôn chưa có FTTH"]
    assert [row["Mã"] for row in _rows(sheet)] == mine
    assert {row["Nguyên nhân"] for row in _rows(sheet)} <= {"Cáp quang quá xa", "Không có cáp quang gần"}
    assert sheet.freeze_panes == "A2"


def test_csv_for_excel(bd: Path, tmp_path: Path) -> None:
    """To a file: a byte-order mark (Excel reads the diacritics); to a pipe: none; `;` on request."""
    script = "import sys; from coverage_gis.cli import main; sys.exit(main())"
    target = tmp_path / "gaps.csv"
    with target.open("wb") as out:
        done = subprocess.run(
            [sys.executable, "-c", script, "gaps", str(bd), "--kind", "ftth", "--csv", "--sep", ";"],
            stdout=out,
            check=False,
            timeout=300,
        )
    assert done.returncode == 0
    body = target.read_bytes()
    assert body.startswith("\ufeff".encode())
    header, first = body.decode("utf-8-sig").splitlines()[:2]
    assert header.startswith("rank;")
    assert "làng" in first
    piped = subprocess.run(
        [sys.executable, "-c", script, "gaps", str(bd), "--kind", "ftth", "--csv"],
        capture_output=True,
        check=False,
        timeout=300,
    )
    assert piped.stdout.startswith(b"rank,")


# --------------------------------------------------------------------------- edges


def test_unknown_admin_code_is_exit_2(bd: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(capsys, ["kpi", str(bd), "--level", "district", "--code", "999"])
    assert (code, out) == (2, "")
    assert "'999'" in err
    assert len(err.strip().splitlines()) == 1
    code, _, err = _run(capsys, ["gaps", str(bd), "--district", "999"])
    assert code == 2
    assert "no district with code '999'" in err


def test_compute_if_stale_adds_no_revision(bd: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = load(Workspace.open(bd)).revision
    code, out, _ = _run(capsys, ["compute", str(bd), "--if-stale", "--json"])
    assert code == 0
    assert json.loads(out) == {
        "workspace": str(Workspace.open(bd).path),
        "model": "radius",
        "revision": before,
        "computed": False,
    }
    assert load(Workspace.open(bd)).revision == before
    makefile = (Path(__file__).parent.parent / "Makefile").read_text(encoding="utf-8")
    assert "covgis compute $(DEMO_WS) --if-stale" in makefile  # so `make demo` twice adds nothing


def test_not_a_workspace_says_how_to_make_one(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(capsys, ["kpi", str(tmp_path / "nowhere")])
    assert code == 2
    assert "covgis init" in err
    assert "covgis demo" in err
    assert len(err.strip().splitlines()) == 1


def test_busy_port_is_one_line_exit_1(bd: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        code, out, err = _run(capsys, ["serve", str(bd), "--port", str(port)])
    assert code == 1
    assert out == ""
    assert err.strip().splitlines() == [err.strip()]
    assert f"port {port}" in err
    assert "--port" in err
