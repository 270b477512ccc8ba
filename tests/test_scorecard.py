"""Scorecards (coverage_gis.scorecard): computed, table and measured actuals against a plan.

The plan is written here for province 99 of the fixture; its actual values are worked
out from ``conftest.tiny_with_places``: 2 of 3 villages with mobile broadband, 2 of 3
hospitals with 5G (P3 in a zone, P5 by S3), mobile speed tests 20/40/100 Mbit/s.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

from coverage_gis.cli import main
from coverage_gis.engine import compute
from coverage_gis.errors import LayerValidationError
from coverage_gis.plans import load_plan
from coverage_gis.scorecard import plan_elsewhere_note, plan_units_2025, read_indicator_table
from coverage_gis.workspace import Workspace


def _indicator(ind_id: str, kpi: str, source: str, target: float, unit: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": ind_id,
        "kpi": kpi,
        "source": source,
        "label_vi": "Chỉ tiêu",
        "label_en": "Target",
        "target": target,
        "comparator": ">=",
        "unit": unit,
        "deadline": date(2025, 12, 31),
        "section": "I",
        "quote": "trích dẫn",
        **extra,
    }


def _plan(folder: Path) -> Path:
    plan = {
        "id": "test-99",
        "province_code": "99",
        "province_name": "Tỉnh Mẫu",
        "title_vi": "Kế hoạch",
        "title_en": "Plan",
        "source_file": "plan.txt",
        "period": {"start": date(2025, 1, 1), "end": date(2025, 12, 31)},
        "categories_5g": ["hospital", "school"],
        "indicators": [
            _indicator("mobile", "villages_mobile_bb_pct", "computed", 60, "percent"),
            _indicator(
                "hospitals_5g", "pois_5g_pct", "computed", 100, "percent", params={"categories": ["hospital"]}
            ),
            _indicator("sites_5g", "sites_5g", "computed", 1, "count"),
            _indicator("fixed_speed", "fixed_download_mbps", "indicator_table", 200, "mbps"),
            _indicator("mobile_speed", "mobile_download_mbps", "indicator_table", 30, "mbps"),
            _indicator("smartphones", "smartphone_pct", "indicator_table", 80, "percent"),
        ],
    }
    path = folder / "test-99.yaml"
    path.write_text(yaml.safe_dump(plan, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def _table(folder: Path, text: str) -> Path:
    path = folder / "indicators.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_scorecard_rows_by_hand(places_ws: Workspace, tmp_path: Path) -> None:
    csv = _table(
        tmp_path,
        "code,indicator,value,date\n"
        "99,fixed_download_mbps,150,2024-01-01\n"
        '99,fixed_download_mbps,"250,5",2025-06-30\n'
        "01,smartphone_pct,90,2025-06-30\n",
    )
    # Three speed tests: below the default minimum sample (30), enough with a minimum of 3.
    places_ws.update_config(speed={"min_tests": 3})
    card = compute(places_ws).scorecard(str(_plan(tmp_path)), indicators_csv=csv).set_index("indicator")

    assert card.loc["mobile", "actual"] == pytest.approx(200 / 3)
    assert (card.loc["mobile", "status"], card.loc["mobile", "source"]) == ("met", "computed")
    assert card.loc["hospitals_5g", "actual"] == pytest.approx(200 / 3)
    assert card.loc["hospitals_5g", "status"] == "not_met"
    assert (card.loc["sites_5g", "actual"], card.loc["sites_5g", "status"]) == (1.0, "met")
    # The latest row of the table wins, with its date; a decimal comma is read.
    assert card.loc["fixed_speed", "actual"] == 250.5
    assert (card.loc["fixed_speed", "source"], card.loc["fixed_speed", "as_of"]) == (
        "indicator table",
        "2025-06-30",
    )
    # Not in the table, but measured by the speed tests: median of 20, 40, 100.
    assert card.loc["mobile_speed", "actual"] == 40.0
    assert (card.loc["mobile_speed", "status"], card.loc["mobile_speed", "source"]) == ("met", "measured")
    assert card.loc["mobile_speed", "sample_size"] == 3
    # Only another province reports it: no data.
    assert pd.isna(card.loc["smartphones", "actual"])
    assert (card.loc["smartphones", "status"], card.loc["smartphones", "source"]) == ("no_data", "no data")
    assert list(card.index) == [
        "mobile",
        "hospitals_5g",
        "sites_5g",
        "fixed_speed",
        "mobile_speed",
        "smartphones",
    ]


def test_measured_speed_below_the_minimum_sample_is_insufficient_data(
    places_ws: Workspace, tmp_path: Path
) -> None:
    card = compute(places_ws).scorecard(str(_plan(tmp_path))).set_index("indicator")
    row = card.loc["mobile_speed"]
    assert pd.isna(row["actual"])
    assert (row["status"], row["source"], row["sample_size"]) == ("no_data", "insufficient data", 3)


@pytest.mark.parametrize(
    ("text", "row", "field"),
    [
        ("code,indicator,date\n99,x,2025-01-01\n", None, "value"),
        ("code,indicator,value,date\n99,x,1,2025-01-01\n99,x,lots,2025-01-01\n", 1, "value"),
        ("code,indicator,value,date\n99,x,1,someday\n", 0, "date"),
    ],
)
def test_indicator_table_errors_name_row_and_field(
    tmp_path: Path, text: str, row: int | None, field: str
) -> None:
    path = _table(tmp_path, text)
    with pytest.raises(LayerValidationError) as info:
        read_indicator_table(path)
    assert (info.value.source, info.value.row, info.value.field) == (str(path), row, field)


def test_site_sharing_rows_say_which_definition_they_score(places_ws: Workspace, tmp_path: Path) -> None:
    # On air: S1 (Viettel + VNPT, shared) and S3 (Viettel). Per site 1 of 2 = 50 %; per
    # operator BTS 2 of 3 stand on the shared site = 66.7 %. A 60 % target fails on the
    # first definition and passes on the second.
    path = _plan(tmp_path)
    plan = yaml.safe_load(path.read_text(encoding="utf-8"))
    plan["indicators"] = [
        _indicator("per_site", "sites_shared_pct", "computed", 60, "percent"),
        _indicator("per_bts", "operator_bts_shared_pct", "computed", 60, "percent"),
    ]
    path.write_text(yaml.safe_dump(plan, allow_unicode=True, sort_keys=False), encoding="utf-8")
    analysis = compute(places_ws)
    card = analysis.scorecard(str(path)).set_index("indicator")
    assert card.loc["per_site", "actual"] == pytest.approx(50.0)
    assert card.loc["per_site", "status"] == "not_met"
    assert card.loc["per_bts", "actual"] == pytest.approx(200 / 3)
    assert card.loc["per_bts", "status"] == "met"
    assert card.loc["per_site", "measures"].startswith("site sharing per site")
    assert card.loc["per_bts", "measures"].startswith("site sharing per operator BTS")
    # The fixture's province went into 2025 province 98, whose whole population is unknown.
    units = plan_units_2025(analysis.plan(str(path)), analysis.inputs)
    assert units[["code", "villages"]].to_dict("records") == [{"code": "98", "villages": 3}]
    assert units["partial"].tolist() == [None]


def test_binh_phuoc_scores_site_sharing_per_site() -> None:
    plan = load_plan("binh-phuoc-2023-2025")
    (row,) = [ind for ind in plan.indicators if ind.id == "sites_shared_2025"]
    assert row.kpi == "sites_shared_pct"
    assert "per site" in row.label_en
    assert row.note_en is not None
    assert "vị trí" in row.note_en


def test_a_plan_of_a_province_the_workspace_lacks_is_said(
    places_ws: Workspace, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Bình Định's plan on the fixture's province 99: every computed row has no data, and why."""
    analysis = compute(places_ws)
    plan = load_plan("binh-dinh-2025")
    assert plan_elsewhere_note(plan, analysis.inputs) == (
        "plan binh-dinh-2025 is for Tỉnh Bình Định (52), and this workspace holds no village of it "
        "(it holds: Tỉnh Mẫu (99)): its computed indicators have no data here"
    )
    assert plan_elsewhere_note(load_plan(_plan(tmp_path)), analysis.inputs) is None
    assert main(["scorecard", str(places_ws.path), "--plan", "binh-dinh-2025", "--json"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out)["note"].startswith("plan binh-dinh-2025 is for Tỉnh Bình Định (52)")
    assert err.startswith("note: plan binh-dinh-2025 is for")


def test_a_province_without_a_plan_is_told_how_to_give_one(
    tiny_ws: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["compute", str(tiny_ws.location)]) == 0
    capsys.readouterr()

    assert main(["scorecard", str(tiny_ws.location)]) != 0

    err = capsys.readouterr().err
    assert "no plan for this workspace (provinces 99)" in err
    assert "known: bac-giang-2023-2025, binh-dinh-2025" in err
    assert main(["scorecard", str(tiny_ws.location), "--plan", "binh-dinh-2025"]) == 0
