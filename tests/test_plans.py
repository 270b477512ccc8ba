"""Tests of the plan indicator tables (data/plans/*.yaml) and their loader."""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from coverage_gis import _resources
from coverage_gis.errors import LayerValidationError, NotFound
from coverage_gis.plans import (
    COMPUTED_KPIS,
    Indicator,
    evaluate,
    list_plans,
    load_plan,
    plan_for_province,
)

PROVINCE_OF_PLAN = {
    "bac-giang-2023-2025": "24",
    "binh-dinh-2025": "52",
    "binh-phuoc-2023-2025": "70",
    "binh-thuan-2023-2025": "60",
    "thua-thien-hue-2023-2025": "46",
}
PLAN_IDS = sorted(PROVINCE_OF_PLAN)


# ----------------------------------------------------------------- the shipped plans


def test_list_plans_finds_the_five_plans() -> None:
    assert list_plans() == PLAN_IDS


@pytest.mark.parametrize("plan_id", PLAN_IDS)
def test_plan_loads(plan_id: str) -> None:
    plan = load_plan(plan_id)
    assert plan.id == plan_id
    assert plan.province_code == PROVINCE_OF_PLAN[plan_id]
    assert plan.source_file == f"{plan_id}.txt"
    assert plan.province_name.startswith("Tỉnh ")
    assert plan.period_end == date(2025, 12, 31)
    assert plan.indicators
    assert plan.computed_indicators
    assert plan.table_indicators
    assert len(plan.computed_indicators) + len(plan.table_indicators) == len(plan.indicators)


@pytest.mark.parametrize("plan_id", PLAN_IDS)
@pytest.mark.parametrize("kpi", ["villages_mobile_bb_pct", "villages_ftth_pct"])
def test_every_plan_targets_all_villages(plan_id: str, kpi: str) -> None:
    rows = [ind for ind in load_plan(plan_id).indicators if ind.kpi == kpi]
    assert len(rows) == 1
    (row,) = rows
    assert row.computed
    assert (row.target, row.comparator, row.unit) == (100.0, ">=", "percent")
    assert row.deadline == date(2025, 12, 31)


@pytest.mark.parametrize("plan_id", PLAN_IDS)
def test_indicator_ids_unique_in_file(plan_id: str) -> None:
    raw = yaml.safe_load((_resources.plans_dir() / f"{plan_id}.yaml").read_text(encoding="utf-8"))
    ids = [row["id"] for row in raw["indicators"]]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("plan_id", PLAN_IDS)
def test_deadlines_fall_within_the_plan_period(plan_id: str) -> None:
    plan = load_plan(plan_id)
    for ind in plan.indicators:
        assert plan.period_start <= ind.deadline <= plan.period_end, ind.id


def test_same_kpi_has_same_unit_across_plans() -> None:
    units: dict[str, set[str]] = {}
    for plan_id in PLAN_IDS:
        for ind in load_plan(plan_id).indicators:
            units.setdefault(ind.kpi, set()).add(ind.unit)
    assert {kpi: u for kpi, u in units.items() if len(u) > 1} == {}


def test_binh_dinh_baseline_reports_2024_status() -> None:
    plan = load_plan("binh-dinh-2025")
    baseline = {b.kpi: b for b in plan.baseline}
    assert baseline["villages_mobile_bb_pct"].value == 99.9
    assert baseline["villages_ftth_pct"].value == 99.2
    assert baseline["villages_mobile_bb_pct"].as_of == date(2024, 12, 31)
    assert "làng O2" in (baseline["villages_mobile_bb_pct"].note_en or "")
    assert "Canh Giao" in (baseline["villages_ftth_pct"].note_en or "")
    assert baseline["sites_5g"].value == 70
    assert baseline["commune_centres_mobile_bb_pct"].value == 100


@pytest.mark.parametrize(
    ("plan_id", "indicator_id", "kpi", "target", "unit"),
    [
        # BTS sharing: 20 / 25 / 30 %, and 30 % of new sites in Bình Thuận
        ("bac-giang-2023-2025", "sites_shared_2025", "sites_shared_pct", 20, "percent"),
        ("binh-phuoc-2023-2025", "sites_shared_2025", "sites_shared_pct", 25, "percent"),
        ("thua-thien-hue-2023-2025", "sites_shared_2025", "sites_shared_pct", 30, "percent"),
        ("binh-thuan-2023-2025", "new_sites_shared_2025", "sites_shared_period_pct", 30, "percent"),
        # speeds
        ("binh-dinh-2025", "mobile_download_4g_2025", "mobile_download_4g_mbps", 40, "mbps"),
        ("binh-dinh-2025", "mobile_download_5g_2025", "mobile_download_5g_mbps", 100, "mbps"),
        ("bac-giang-2023-2025", "mobile_download_2025", "mobile_download_mbps", 45, "mbps"),
        ("binh-phuoc-2023-2025", "mobile_download_2025", "mobile_download_mbps", 70, "mbps"),
        ("binh-thuan-2023-2025", "mobile_download_2025", "mobile_download_mbps", 70, "mbps"),
        ("binh-phuoc-2023-2025", "fixed_download_2025", "fixed_download_mbps", 95, "mbps"),
        ("bac-giang-2023-2025", "fixed_download_2025", "fixed_download_mbps", 120, "mbps"),
        ("binh-dinh-2025", "fixed_download_2025", "fixed_download_mbps", 200, "mbps"),
        # shared passive infrastructure
        ("thua-thien-hue-2023-2025", "shared_poles_2025", "shared_poles_pct", 98, "percent"),
        ("thua-thien-hue-2023-2025", "shared_ducts_2025", "shared_ducts_pct", 70, "percent"),
        # subscriptions, smartphones, cloud
        (
            "binh-phuoc-2023-2025",
            "fixed_bb_subscriptions_2025",
            "fixed_bb_subscriptions_per_100",
            60,
            "per_100_people",
        ),
        (
            "bac-giang-2023-2025",
            "fixed_bb_subscriptions_2025",
            "fixed_bb_subscriptions_per_100",
            28.5,
            "per_100_people",
        ),
        ("bac-giang-2023-2025", "smartphone_adults_2025", "smartphone_adults_pct", 95, "percent"),
        ("binh-dinh-2025", "cloud_shared_systems_2025", "cloud_shared_systems_pct", 20, "percent"),
        ("binh-thuan-2023-2025", "population_mobile_bb_2025", "population_mobile_bb_pct", 100, "percent"),
    ],
)
def test_targets_as_stated_in_the_texts(
    plan_id: str, indicator_id: str, kpi: str, target: float, unit: str
) -> None:
    ind = load_plan(plan_id).indicator(indicator_id)
    assert (ind.kpi, ind.target, ind.unit, ind.comparator) == (kpi, target, unit, ">=")
    assert ind.computed == (kpi in COMPUTED_KPIS)


def test_binh_dinh_5g_at_priority_places() -> None:
    plan = load_plan("binh-dinh-2025")
    expected = {
        "district_centre",
        "industrial_zone",
        "high_tech_park",
        "hospital",
        "school",
        "station",
        "seaport",
        "airport",
    }
    assert set(plan.categories_5g) == expected
    row = plan.indicator("pois_5g_2025")
    assert row.kpi == "pois_5g_pct"
    assert set(row.categories) == expected
    assert row.target == 100


def test_binh_phuoc_2g_switch_off_by_end_2024() -> None:
    row = load_plan("binh-phuoc-2023-2025").indicator("cells_2g_switch_off_2024")
    assert (row.target, row.comparator, row.unit) == (0, "==", "count")
    assert row.deadline == date(2024, 12, 31)


def test_indicators_are_hashable_and_params_read_only() -> None:
    row = load_plan("binh-dinh-2025").indicator("pois_5g_2025")
    hash(row)
    with pytest.raises(TypeError):
        row.params["categories"] = ()  # type: ignore[index]


# ----------------------------------------------------------------- lookups


@pytest.mark.parametrize(("plan_id", "code"), sorted(PROVINCE_OF_PLAN.items()))
def test_plan_for_province(plan_id: str, code: str) -> None:
    plan = plan_for_province(code)
    assert plan is not None
    assert plan.id == plan_id


def test_plan_for_province_without_plan() -> None:
    assert plan_for_province("01") is None
    assert plan_for_province(" 24 ") is not None


def test_plan_for_province_prefers_latest_period(tmp_path: Path) -> None:
    older = _valid_plan("old-plan")
    newer = _valid_plan("new-plan")
    newer["period"] = {"start": date(2025, 1, 1), "end": date(2026, 12, 31)}
    _write(tmp_path, older)
    _write(tmp_path, newer)
    plan = plan_for_province("52", plans_dir=tmp_path)
    assert plan is not None
    assert plan.id == "new-plan"


def test_unknown_plan_id_lists_known_ids() -> None:
    with pytest.raises(NotFound) as info:
        load_plan("binh-dinh-2030")
    for plan_id in PLAN_IDS:
        assert plan_id in str(info.value)


def test_load_by_path_equals_load_by_id() -> None:
    path = _resources.plans_dir() / "bac-giang-2023-2025.yaml"
    assert load_plan(path) == load_plan("bac-giang-2023-2025")
    assert load_plan(str(path)) == load_plan("bac-giang-2023-2025")


def test_missing_file_and_folder(tmp_path: Path) -> None:
    with pytest.raises(NotFound):
        load_plan(tmp_path / "nope.yaml")
    assert list_plans(tmp_path / "missing") == []
    with pytest.raises(NotFound, match="known plans: none"):
        load_plan("anything", plans_dir=tmp_path)


def test_plan_indicator_lookup_unknown() -> None:
    with pytest.raises(NotFound):
        load_plan("binh-dinh-2025").indicator("no_such_row")


# ----------------------------------------------------------------- validation


def _valid_plan(plan_id: str = "test-plan") -> dict[str, Any]:
    return {
        "id": plan_id,
        "province_code": "52",
        "province_name": "Tỉnh Bình Định",
        "title_vi": "Kế hoạch thử",
        "title_en": "Test plan",
        "source_file": "test.txt",
        "period": {"start": date(2025, 1, 1), "end": date(2025, 12, 31)},
        "categories_5g": ["hospital", "school"],
        "indicators": [
            {
                "id": "villages_mobile_bb_2025",
                "kpi": "villages_mobile_bb_pct",
                "source": "computed",
                "label_vi": "Tỷ lệ thôn có băng rộng di động",
                "label_en": "Villages with mobile broadband",
                "target": 100,
                "comparator": ">=",
                "unit": "percent",
                "deadline": date(2025, 12, 31),
                "section": "II.1",
                "quote": "100% thôn",
            },
            {
                "id": "pois_5g_2025",
                "kpi": "pois_5g_pct",
                "source": "computed",
                "label_vi": "Bệnh viện có 5G",
                "label_en": "Hospitals with 5G",
                "target": 100,
                "comparator": ">=",
                "unit": "percent",
                "deadline": date(2025, 12, 31),
                "section": "II.1",
                "quote": "5G tại bệnh viện",
                "params": {"categories": ["hospital"]},
            },
            {
                "id": "fixed_download_2025",
                "kpi": "fixed_download_mbps",
                "source": "indicator_table",
                "label_vi": "Tốc độ băng rộng cố định",
                "label_en": "Fixed broadband speed",
                "target": 200,
                "comparator": ">=",
                "unit": "mbps",
                "deadline": date(2025, 12, 31),
                "section": "IV.1",
                "quote": "200 Mb/s",
            },
        ],
        "baseline": [
            {
                "kpi": "villages_mobile_bb_pct",
                "value": 99.9,
                "as_of": date(2024, 12, 31),
                "quote": "99,9% các thôn",
            }
        ],
    }


def _write(folder: Path, data: dict[str, Any], name: str | None = None) -> Path:
    path = folder / f"{name or data['id']}.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def test_valid_fixture_loads(tmp_path: Path) -> None:
    plan = load_plan(_write(tmp_path, _valid_plan()))
    assert [i.id for i in plan.indicators] == [
        "villages_mobile_bb_2025",
        "pois_5g_2025",
        "fixed_download_2025",
    ]
    assert plan.indicator("pois_5g_2025").categories == ("hospital",)
    assert plan.document is None
    assert plan.baseline[0].value == 99.9


Mutation = Callable[[dict[str, Any]], None]


def _ind(i: int, **changes: Any) -> Mutation:
    def mutate(plan: dict[str, Any]) -> None:
        plan["indicators"][i].update(changes)

    return mutate


def _drop(i: int, key: str) -> Mutation:
    def mutate(plan: dict[str, Any]) -> None:
        del plan["indicators"][i][key]

    return mutate


def _top(**changes: Any) -> Mutation:
    def mutate(plan: dict[str, Any]) -> None:
        plan.update(changes)

    return mutate


def _drop_top(key: str) -> Mutation:
    def mutate(plan: dict[str, Any]) -> None:
        del plan[key]

    return mutate


def _duplicate_id(plan: dict[str, Any]) -> None:
    plan["indicators"][2]["id"] = plan["indicators"][0]["id"]


def _baseline_drop_value(plan: dict[str, Any]) -> None:
    del plan["baseline"][0]["value"]


def _baseline_unknown_field(plan: dict[str, Any]) -> None:
    plan["baseline"][0]["source"] = "survey"


BAD_INPUTS: list[tuple[str, Mutation, str, int | None]] = [
    ("missing target", _drop(0, "target"), "target", 0),
    ("missing quote", _drop(2, "quote"), "quote", 2),
    ("unknown indicator field", _ind(1, colour="red"), "colour", 1),
    ("bad comparator", _ind(0, comparator=">"), "comparator", 0),
    ("bad unit", _ind(0, unit="percentage"), "unit", 0),
    ("bad source", _ind(2, source="survey"), "source", 2),
    ("unknown computed kpi", _ind(0, kpi="villages_wifi_pct"), "kpi", 0),
    ("computed kpi marked as table", _ind(0, source="indicator_table"), "source", 0),
    ("computed kpi in wrong unit", _ind(0, kpi="sites_5g"), "unit", 0),
    ("duplicate indicator id", _duplicate_id, "id", 2),
    ("id not snake_case", _ind(2, id="Fixed-Speed"), "id", 2),
    ("unknown 5G category", _top(categories_5g=["hospital", "church"]), "categories_5g", None),
    ("unknown params category", _ind(1, params={"categories": ["church"]}), "params.categories", 1),
    ("params category outside plan", _ind(1, params={"categories": ["airport"]}), "params.categories", 1),
    ("5G row without categories", _ind(1, params={}), "params.categories", 1),
    (
        "unknown params key",
        _ind(1, params={"categories": ["hospital"], "operator": "x"}),
        "params.operator",
        1,
    ),
    ("percent target over 100", _ind(0, target=120), "target", 0),
    ("target as text", _ind(0, target="100%"), "target", 0),
    ("negative target", _ind(2, target=-1), "target", 2),
    ("bad deadline", _ind(0, deadline="end of 2025"), "deadline", 0),
    ("non-NFC label", _ind(0, label_vi="Tỷ lệ thôn".replace("ỷ", "y\u0309")), "label_vi", 0),
    ("missing province code", _drop_top("province_code"), "province_code", None),
    ("province code as int", _top(province_code=52), "province_code", None),
    ("unknown top-level field", _top(owner="Sở TT&TT"), "owner", None),
    ("id does not match file", _top(id="other-plan"), "id", None),
    (
        "period ends before start",
        _top(period={"start": date(2025, 1, 1), "end": date(2024, 1, 1)}),
        "period.end",
        None,
    ),
    ("period missing end", _top(period={"start": date(2025, 1, 1)}), "period.end", None),
    ("empty indicators", _top(indicators=[]), "indicators", None),
    ("baseline missing value", _baseline_drop_value, "baseline.value", 0),
    ("baseline unknown field", _baseline_unknown_field, "baseline.source", 0),
]


@pytest.mark.parametrize(
    ("mutate", "field", "row"),
    [pytest.param(m, f, r, id=name) for name, m, f, r in BAD_INPUTS],
)
def test_bad_input_names_file_and_field(
    tmp_path: Path, mutate: Mutation, field: str, row: int | None
) -> None:
    data = copy.deepcopy(_valid_plan())
    mutate(data)
    path = _write(tmp_path, data, name="test-plan")
    with pytest.raises(LayerValidationError) as info:
        load_plan(path)
    err = info.value
    assert err.source == str(path)
    assert err.field == field
    assert err.row == row
    assert str(path) in str(err)
    assert repr(field) in str(err)


def test_broken_yaml_names_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("id: broken\nindicators: [\n", encoding="utf-8")
    with pytest.raises(LayerValidationError) as info:
        load_plan(path)
    assert info.value.source == str(path)


def test_not_a_mapping(tmp_path: Path) -> None:
    path = tmp_path / "listy.yaml"
    path.write_text("- 1\n- 2\n", encoding="utf-8")
    with pytest.raises(LayerValidationError, match="mapping"):
        load_plan(path)


# ----------------------------------------------------------------- evaluate


def _indicator(comparator: str, target: float) -> Indicator:
    return Indicator(
        id="x",
        kpi="villages_mobile_bb_pct",
        source="computed",
        label_vi="x",
        label_en="x",
        target=target,
        comparator=comparator,  # type: ignore[arg-type]
        unit="percent",
        deadline=date(2025, 12, 31),
        section="x",
        quote="x",
    )


@pytest.mark.parametrize(
    ("comparator", "target", "actual", "expected"),
    [
        (">=", 100, 100, "met"),
        (">=", 100, 99.95, "not_met"),
        (">=", 30, 41.2, "met"),
        ("<=", 5, 5, "met"),
        ("<=", 5, 4, "met"),
        ("<=", 5, 5.1, "not_met"),
        ("==", 0, 0, "met"),
        ("==", 0, 1, "not_met"),
        ("==", 3, 3.0, "met"),
        (">=", 100, None, "no_data"),
        ("<=", 5, None, "no_data"),
        ("==", 0, None, "no_data"),
        (">=", 100, math.nan, "no_data"),
    ],
)
def test_evaluate(comparator: str, target: float, actual: float | None, expected: str) -> None:
    assert evaluate(_indicator(comparator, target), actual) == expected


@given(
    target=st.floats(min_value=0, max_value=100, allow_nan=False),
    actual=st.floats(min_value=0, max_value=100, allow_nan=False),
)
def test_evaluate_ge_le_are_mirror_images(target: float, actual: float) -> None:
    ge = evaluate(_indicator(">=", target), actual)
    le = evaluate(_indicator("<=", target), actual)
    assert (ge == "met") == (actual >= target)
    assert (le == "met") == (actual <= target)
    assert "met" in (ge, le)
