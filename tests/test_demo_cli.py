"""The main job as a user runs it: CLI on the demo workspaces (issue acceptance checks)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from coverage_gis.cli import main
from coverage_gis.demo import DemoData, write_demo_workspace
from coverage_gis.plans import list_plans

FTTH_GAPS = {
    ("thôn 1", "21619"),
    ("thôn 5", "21619"),
    ("thôn 6", "21631"),
    ("thôn Canh Giao", "22000"),
    ("làng Canh Tiến", "21997"),
    ("làng Kà Bưng", "21997"),
    ("làng Cà Nâu", "21997"),
    ("làng O2", "21790"),
}


@pytest.fixture(scope="module")
def bd(tmp_path_factory: pytest.TempPathFactory, binh_dinh_demo: Callable[..., Path]) -> Path:
    """The Bình Định demo (seed 2025), computed with ``covgis compute``: this module's copy."""
    return binh_dinh_demo(tmp_path_factory.mktemp("cli") / "bd", computed=True)


def _json(capsys: pytest.CaptureFixture[str], argv: list[str]) -> object:
    capsys.readouterr()
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


def test_mobile_gap_is_lang_o2_without_grid_power(bd: Path, capsys: pytest.CaptureFixture[str]) -> None:
    gaps = _json(capsys, ["gaps", str(bd), "--kind", "mobile", "--json"])
    assert isinstance(gaps, list)
    assert [(g["name"], g["commune_code"], g["reason"]) for g in gaps] == [
        ("làng O2", "21790", "no_grid_power")
    ]
    assert gaps[0]["district_name"] == "Huyện Vĩnh Thạnh"
    assert "solar" in gaps[0]["recommendation"]


def test_ftth_gaps_are_the_eight_named_villages(bd: Path, capsys: pytest.CaptureFixture[str]) -> None:
    gaps = _json(capsys, ["gaps", str(bd), "--kind", "ftth", "--json"])
    assert isinstance(gaps, list)
    assert {(g["name"], g["commune_code"]) for g in gaps} == FTTH_GAPS
    assert all(g["reason"] == "fiber_too_far" for g in gaps)
    populations = [g["population"] for g in gaps]
    assert populations == sorted(populations, reverse=True)
    assert all(g["road_length_m"] is not None and g["cost_vnd"] > 0 for g in gaps)


def test_province_kpis_match_the_plan_status(bd: Path, capsys: pytest.CaptureFixture[str]) -> None:
    kpis = _json(capsys, ["kpi", str(bd), "--json"])
    assert isinstance(kpis, list)
    (province,) = kpis
    assert round(province["villages_mobile_bb_pct"], 1) == 99.9
    assert round(province["villages_ftth_pct"], 1) == 99.2
    assert province["sites_5g"] > 70


def test_kpis_in_the_2025_hierarchy(bd: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = _json(capsys, ["kpi", str(bd), "--level", "province_2025", "--json"])
    assert isinstance(rows, list)
    # Bình Định merged into Gia Lai in July 2025: every village counts there, and Gia Lai
    # is only partly in this workspace (old Gia Lai is not).
    (gia_lai,) = rows
    assert gia_lai["name"] == "Tỉnh Gia Lai"
    assert gia_lai["villages"] == 1048
    assert gia_lai["population"] == 1_462_552
    assert gia_lai["partial"] is True
    assert 0 < gia_lai["pop_2009_present_pct"] < 100
    communes = _json(capsys, ["kpi", str(bd), "--level", "commune_2025", "--json"])
    assert isinstance(communes, list)
    assert sum(r["villages"] for r in communes) == 1048


def test_kpi_table_and_csv_say_what_they_measure(bd: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["kpi", str(bd), "--level", "province_2025"]) == 0
    out = capsys.readouterr().out
    assert "population_mobile_bb_pct: population share" in out
    assert "households_ftth_pct: households passed" in out
    assert "sites_shared_pct: site sharing per site" in out
    assert "operator_bts_shared_pct: site sharing per operator BTS" in out
    assert "note: Tỉnh Gia Lai (province_2025 52) is partial" in out
    assert main(["kpi", str(bd), "--csv"]) == 0
    header = next(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert header[:4] == ["level", "code", "name", "villages: villages (thôn, làng, ấp, bản…) in the unit"]
    assert main(["scorecard", str(bd)]) == 0
    out = capsys.readouterr().out
    assert "villages_mobile_bb_2025 (villages_mobile_bb_pct): village share" in out
    assert "note: since the 2025 reform the province lies in Tỉnh Gia Lai (52), partial" in out


def test_add_site_near_o2_closes_the_gap_and_removing_restores(
    bd: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    gap = _json(capsys, ["gaps", str(bd), "--kind", "mobile", "--json"])[0]  # type: ignore[index]
    added = _json(
        capsys,
        [
            "sites",
            "add",
            str(bd),
            "--site-id",
            "O2-NEW",
            "--lon",
            str(gap["candidate_lon"]),
            "--lat",
            str(gap["candidate_lat"]),
            "--tech",
            "4G",
            "--json",
        ],
    )
    assert isinstance(added, dict)
    assert added["gained_mobile"] == [gap["id"]]
    assert _json(capsys, ["gaps", str(bd), "--kind", "mobile", "--json"]) == []
    kpis = _json(capsys, ["kpi", str(bd), "--json"])
    assert kpis[0]["villages_mobile_bb_pct"] == pytest.approx(100.0)  # type: ignore[index]
    removed = _json(capsys, ["sites", "remove", str(bd), "O2-NEW", "--json"])
    assert removed["lost_mobile"] == [gap["id"]]  # type: ignore[index]
    kpis = _json(capsys, ["kpi", str(bd), "--json"])
    assert round(kpis[0]["villages_mobile_bb_pct"], 1) == 99.9  # type: ignore[index]
    history = _json(capsys, ["history", str(bd), "--json"])
    assert [h["summary"] for h in history][-2:] == ["add site O2-NEW", "remove site O2-NEW"]  # type: ignore[index]


def test_bad_input_exits_2_with_one_line(bd: Path, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert main(["gaps", str(bd.parent / "missing")]) == 2
    assert main(["sites", "remove", str(bd), "NO-SUCH-SITE"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2
    assert all(line.startswith("covgis: error:") for line in err)


def test_scorecard_for_each_of_the_five_plans(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], five_provinces: DemoData
) -> None:
    path = tmp_path / "all"
    write_demo_workspace(path, five_provinces)  # the five provinces, default seed
    assert main(["compute", str(path)]) == 0
    for plan_id in list_plans():
        card = _json(capsys, ["scorecard", str(path), "--plan", plan_id, "--json"])
        assert isinstance(card, dict)
        rows = card["indicators"]
        statuses = {r["status"] for r in rows}
        assert statuses <= {"met", "not_met", "no_data"}
        villages = next(r for r in rows if r["kpi"] == "villages_mobile_bb_pct")
        assert villages["actual"] is not None
        assert villages["status"] == ("met" if villages["actual"] >= villages["target"] else "not_met")
        assert any(r["status"] == "no_data" for r in rows)  # statistics need the indicator table
        # Huế became a 2025 province of its own; the others merged with provinces not here.
        (unit,) = card["units_2025"]
        assert unit["partial"] is (card["province_code"] != "46")


def test_scorecard_reads_the_indicator_table(
    bd: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    table = tmp_path / "indicators.csv"
    table.write_text(
        "code,indicator,value,date\n"
        "52,mobile_download_4g_mbps,38.5,2024-06-30\n"
        '52,mobile_download_4g_mbps,"41,2",2025-06-30\n',
        encoding="utf-8",
    )
    card = _json(capsys, ["scorecard", str(bd), "--indicators", str(table), "--json"])
    row = next(r for r in card["indicators"] if r["kpi"] == "mobile_download_4g_mbps")  # type: ignore[index]
    assert row["actual"] == pytest.approx(41.2)  # the latest value wins
    assert row["status"] == "met"
    assert row["source"] == "indicator table"
    bad = tmp_path / "bad.csv"
    bad.write_text("code,indicator,value,date\n52,x,abc,2025-01-01\n", encoding="utf-8")
    capsys.readouterr()
    assert main(["scorecard", str(bd), "--indicators", str(bad)]) == 2
    assert "row 0" in capsys.readouterr().err
