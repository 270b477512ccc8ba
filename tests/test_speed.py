"""Speed KPIs on a hand-checked fixture, the statistics behind them, and the scorecard's speed rows.

The tiny network (tests/conftest.py): villages V1 (1000, 0), V2 (6000, 0), V3 (0, 3669) m
from the origin, populations 100, 200, 50, one commune of province 99. Measurements:

- 5 single 4G Viettel tests within 100 m of V1: 10, 20, 30, 40, 50 Mb/s;
- 3 single 4G VNPT tests within 100 m of V3: 60, 70, 80 Mb/s;
- 1 mobile tile (4 tests, 2 devices, 5 Mb/s) containing V2;
- 2 single FTTH tests near V1: 150 and 250 Mb/s.

By hand, mobile, all technologies: 12 tests (5, 5, 5, 5, 10, 20, 30, 40, 50, 60, 70, 80),
median (20 + 30) / 2 = 25 Mb/s, devices 8 + 2 = 10. 4G only: 8 tests, median (40 + 50) / 2
= 45. Per village (min 3 tests): V1 30, V2 5 (tile, all technologies only), V3 70.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coverage_gis.engine import compute, load
from coverage_gis.errors import WorkspaceError
from coverage_gis.kpi_labels import KPI_LABELS
from coverage_gis.plans import load_plan
from coverage_gis.scorecard import INSUFFICIENT_DATA
from coverage_gis.speed import (
    SPEED_MEASURES,
    SpeedSettings,
    SpeedTarget,
    bootstrap_interval,
    grouped_weighted_median,
    match_tests,
    sorted_group_medians,
    speed_kpis,
    target_shares,
    unit_speeds,
    value_order,
    village_speeds,
    weighted_median,
)
from coverage_gis.tiles.quadkeys import quadkeys_for_lonlat
from coverage_gis.workspace import Workspace
from tests import _speed_reference as reference
from tests.conftest import METRIC, at

SETTINGS = SpeedSettings(min_tests=5, min_village_tests=3, min_villages=2, bootstrap_samples=500)


def speed_test_layer() -> gpd.GeoDataFrame:
    """The measurements of the module docstring."""
    v2 = at(6000, 0)
    key = quadkeys_for_lonlat(np.array([v2.x]), np.array([v2.y]), 16)[0]
    rows = [
        *[
            (f"V1-{i}", "mobile", "4G", "Viettel", d, -90.0, 1, 1, None, at(1000 + 20 * i, 50))
            for i, d in enumerate((10, 20, 30, 40, 50))
        ],
        *[
            (f"V3-{i}", "mobile", "4G", "VNPT", d, -85.0, 1, 1, None, at(30 * i, 3620))
            for i, d in enumerate((60, 70, 80))
        ],
        ("T-V2", "mobile", None, None, 5.0, np.nan, 4, 2, key, v2),
        ("F-1", "fixed", "FTTH", "VNPT", 150.0, np.nan, 1, 1, None, at(1050, -50)),
        ("F-2", "fixed", "FTTH", "VNPT", 250.0, np.nan, 1, 1, None, at(950, -50)),
    ]
    columns = [
        "test_id",
        "kind",
        "tech",
        "operator",
        "download_mbps",
        "signal_dbm",
        "tests",
        "devices",
        "quadkey",
    ]
    frame = pd.DataFrame([r[:-1] for r in rows], columns=columns)
    frame["upload_mbps"] = frame["download_mbps"] / 5
    return gpd.GeoDataFrame(frame, geometry=[r[-1] for r in rows], crs="EPSG:4326")


@pytest.fixture
def speed_ws(tiny_ws: Workspace) -> Workspace:
    tiny_ws.write_layers({"speed_tests": speed_test_layer()}, source="speed fixture")
    compute(tiny_ws)
    return tiny_ws


# ------------------------------------------------------------------------------ statistics


def test_weighted_median_by_hand() -> None:
    assert weighted_median(np.array([1.0, 2.0, 3.0]), np.ones(3)) == 2.0
    assert weighted_median(np.array([1.0, 2.0, 3.0, 4.0]), np.ones(4)) == 2.5
    assert weighted_median(np.array([1.0, 10.0]), np.array([3.0, 1.0])) == 1.0  # 1, 1, 1, 10
    assert weighted_median(np.array([1.0, 10.0]), np.array([2.0, 2.0])) == 5.5  # 1, 1, 10, 10
    assert np.isnan(weighted_median(np.array([np.nan]), np.ones(1)))


@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(min_value=-1e6, max_value=1e6), min_size=1, max_size=40))
def test_unit_weights_give_numpy_median(values: list[float]) -> None:
    v = np.array(values)
    assert weighted_median(v, np.ones(len(v))) == pytest.approx(float(np.median(v)), rel=1e-12, abs=1e-9)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 4), st.integers(0, 50), st.integers(1, 5)), min_size=1, max_size=60))
def test_integer_weights_equal_repeated_values(rows: list[tuple[int, int, int]]) -> None:
    groups = np.array([r[0] for r in rows])
    values = np.array([float(r[1]) for r in rows])
    weights = np.array([float(r[2]) for r in rows])
    got = grouped_weighted_median(values, weights, groups, 5)
    for g in range(5):
        mine = groups == g
        if not mine.any():
            assert np.isnan(got[g])
            continue
        expanded = np.repeat(values[mine], weights[mine].astype(int))
        assert got[g] == pytest.approx(float(np.median(expanded)))


#: Values with ties, missing and infinite ones (left out), and any others.
_VALUES = st.one_of(
    st.sampled_from([0.0, 1.5, 10.0, 10.0, 25.0, -3.0, np.nan, np.inf, -np.inf]),
    st.floats(min_value=-1e6, max_value=1e6),
)


@settings(max_examples=300, deadline=None)
@given(
    rows=st.lists(
        st.tuples(
            st.integers(0, 6),
            _VALUES,
            st.one_of(st.integers(-2, 5), st.integers(0, 10**6)),
        ),
        max_size=80,
    ),
    n_groups=st.integers(0, 3),
)
def test_grouped_median_equals_the_lexsorted_one(rows: list[tuple[int, float, int]], n_groups: int) -> None:
    """Fails if the sorted-once pass gives another float than the former lexsort pass for
    whole-number weights (test counts): ties, zero and negative weights, missing values,
    empty groups, no rows at all."""
    n = n_groups + 7  # groups 0..6 drawn: some are empty
    groups = np.array([r[0] for r in rows], dtype=np.int64)
    values = np.array([r[1] for r in rows], dtype=float)
    weights = np.array([r[2] for r in rows], dtype=float)
    got = grouped_weighted_median(values, weights, groups, n)
    np.testing.assert_array_equal(got, reference.grouped_weighted_median(values, weights, groups, n))


@settings(max_examples=200, deadline=None)
@given(
    rows=st.lists(
        st.tuples(st.integers(0, 3), _VALUES, st.floats(min_value=1e-3, max_value=1e3)), max_size=60
    )
)
def test_grouped_median_is_each_groups_weighted_median(rows: list[tuple[int, float, float]]) -> None:
    """Fails if a group's median differs by a bit from :func:`weighted_median` of its rows
    (weights that are not whole numbers: the running sums round, in value order both)."""
    groups = np.array([r[0] for r in rows], dtype=np.int64)
    values = np.array([r[1] for r in rows], dtype=float)
    weights = np.array([r[2] for r in rows], dtype=float)
    got = grouped_weighted_median(values, weights, groups, 4)
    expected = [weighted_median(values[groups == g], weights[groups == g]) for g in range(4)]
    np.testing.assert_array_equal(got, np.array(expected))


@settings(max_examples=200, deadline=None)
@given(
    rows=st.lists(st.tuples(st.integers(-1, 2), st.integers(-1, 4), _VALUES, st.integers(0, 9)), max_size=60)
)
def test_medians_by_part_and_group_from_one_sort(rows: list[tuple[int, int, float, int]]) -> None:
    """Fails if a (part, group) median of one pass over the sorted rows differs from the
    median of that part's rows alone (rows of no part or no group left out)."""
    parts = np.array([r[0] for r in rows], dtype=np.int8)
    groups = np.array([r[1] for r in rows], dtype=np.int64)
    values = np.array([r[2] for r in rows], dtype=float)
    weights = np.array([r[3] for r in rows], dtype=float)
    order = value_order(values, weights)
    got = sorted_group_medians(values[order], weights[order], parts[order], groups[order], 3, 5)
    assert got.shape == (3, 5)
    for part in range(3):
        mine = (parts == part) & (groups >= 0)
        expected = reference.grouped_weighted_median(values[mine], weights[mine], groups[mine], 5)
        np.testing.assert_array_equal(got[part], expected)


def test_bootstrap_interval_brackets_the_median_and_is_seeded() -> None:
    rng_values = np.random.default_rng(1).normal(50.0, 10.0, 400)
    low, high = bootstrap_interval(
        rng_values, np.ones(400), samples=500, confidence=0.95, rng=np.random.default_rng(7)
    )
    again = bootstrap_interval(
        rng_values, np.ones(400), samples=500, confidence=0.95, rng=np.random.default_rng(7)
    )
    assert (low, high) == again
    assert low < float(np.median(rng_values)) < high
    # The median of N(50, 10) from 400 draws has a standard error of about 0.63 Mb/s.
    assert 1.0 < high - low < 4.0


# ------------------------------------------------------------------------------ matching


def test_tests_match_villages_by_distance_and_tile(speed_ws: Workspace) -> None:
    a = load(speed_ws)
    villages, tests = a.layers["villages"], a.layers["speed_tests"]
    match = match_tests(villages, tests, metric_crs=METRIC, radius_m=500.0)
    ids = tests["test_id"].to_numpy()
    by_village = {
        str(villages["village_id"].iloc[v]): sorted(ids[match.test[match.village == v]]) for v in range(3)
    }
    assert by_village == {
        "V1": ["F-1", "F-2", *[f"V1-{i}" for i in range(5)]],
        "V2": ["T-V2"],
        "V3": ["V3-0", "V3-1", "V3-2"],
    }
    narrow = match_tests(villages, tests, metric_crs=METRIC, radius_m=60.0)
    # V1-0 is 50 m from V1, V1-1 53.9 m, V1-2 64.0 m, F-1 and F-2 70.7 m.
    assert sorted(ids[narrow.test[narrow.village == 0]]) == ["V1-0", "V1-1"]


# ------------------------------------------------------------------------------ KPIs by hand


def test_unit_speeds_by_hand(speed_ws: Workspace) -> None:
    units = unit_speeds(load(speed_ws).inputs.speed_tests, levels=["province"], settings=SETTINGS)
    rows = units.set_index(["kind", "tech", "operator"])
    mobile = rows.loc[("mobile", "all", "all")]
    assert (mobile["tests"], mobile["devices"]) == (12, 10)
    assert mobile["download_median_mbps"] == 25.0
    assert mobile["upload_median_mbps"] == 5.0
    assert mobile["download_ci_low_mbps"] <= 25.0 <= mobile["download_ci_high_mbps"]
    assert rows.loc[("mobile", "4G", "all"), "download_median_mbps"] == 45.0
    assert rows.loc[("mobile", "4G", "Viettel"), "download_median_mbps"] == 30.0
    # 3 VNPT tests and 2 FTTH tests are below min_tests = 5: withheld.
    vnpt = rows.loc[("mobile", "4G", "VNPT")]
    assert (vnpt["tests"], vnpt["status"]) == (3, "insufficient_data")
    assert np.isnan(vnpt["download_median_mbps"])
    fixed = rows.loc[("fixed", "all", "all")]
    assert (fixed["tests"], fixed["status"]) == (2, "insufficient_data")
    assert mobile["status"] == "ok"


def test_kpi_table_weighs_tiles_by_their_tests(speed_ws: Workspace) -> None:
    kpis = load(speed_ws).kpis(levels=["province"])
    row = kpis.iloc[0]
    assert row["speed_tests"] == 14  # 12 mobile + 2 fixed
    assert row["mobile_download_mbps"] == 25.0
    assert row["fixed_download_mbps"] == 200.0


def test_share_of_villages_and_population_meeting_targets(speed_ws: Workspace) -> None:
    a = load(speed_ws)
    targets = [
        SpeedTarget("t_4g", "mobile_download_4g_mbps", SPEED_MEASURES["mobile_download_4g_mbps"], 40.0, "4G"),
        SpeedTarget("t_all", "mobile_download_mbps", SPEED_MEASURES["mobile_download_mbps"], 20.0, "all"),
    ]
    match = match_tests(a.layers["villages"], a.layers["speed_tests"], metric_crs=METRIC, radius_m=500.0)
    per_village = village_speeds(
        a.layers["villages"], a.layers["speed_tests"], match, targets, settings=SETTINGS
    )
    medians = per_village.set_index(["indicator", "village_id"])["download_median_mbps"]
    assert medians[("t_4g", "V1")] == 30.0
    assert np.isnan(medians[("t_4g", "V2")])  # the tile says nothing about 4G
    assert medians[("t_4g", "V3")] == 70.0
    assert medians[("t_all", "V2")] == 5.0
    shares = target_shares(a.inputs.villages, per_village, levels=["province"], settings=SETTINGS)
    four_g = shares.set_index("indicator").loc["t_4g"]
    # V1 (30 < 40) and V3 (70 >= 40) have data: 1 of 2 villages, 50 of 150 people.
    assert (four_g["villages"], four_g["villages_with_data"], four_g["villages_meeting"]) == (3, 2, 1)
    assert four_g["villages_meeting_pct"] == 50.0
    assert four_g["population_meeting_pct"] == pytest.approx(100.0 * 50 / 150)
    every = shares.set_index("indicator").loc["t_all"]
    # V1 30, V2 5, V3 70 against 20 Mb/s: 2 of 3 villages, 150 of 350 people.
    assert every["villages_meeting_pct"] == pytest.approx(200.0 / 3)
    assert every["population_meeting_pct"] == pytest.approx(100.0 * 150 / 350)
    assert (
        every["villages_meeting_ci_low_pct"]
        <= every["villages_meeting_pct"]
        <= every["villages_meeting_ci_high_pct"]
    )
    strict = target_shares(
        a.inputs.villages,
        per_village,
        levels=["province"],
        settings=SETTINGS.model_copy(update={"min_villages": 3}),
    )
    assert strict.set_index("indicator").loc["t_4g", "status"] == "insufficient_data"


def _tiny_plan() -> object:
    return dataclasses.replace(load_plan("binh-dinh-2025"), province_code="99")


def test_scorecard_speed_rows(speed_ws: Workspace) -> None:
    a = load(speed_ws)
    from coverage_gis.kpi import compute_kpis
    from coverage_gis.scorecard import scorecard

    plan = _tiny_plan()
    kpis = compute_kpis(a.inputs, levels=["province"])
    card = scorecard(plan, kpis, a.inputs, speed_settings=SETTINGS).set_index("kpi")  # type: ignore[arg-type]
    four_g = card.loc["mobile_download_4g_mbps"]
    assert (four_g["actual"], four_g["status"], four_g["source"], four_g["sample_size"]) == (
        45.0,
        "met",
        "measured",
        8,
    )
    assert four_g["ci_low"] <= 45.0 <= four_g["ci_high"]
    # Each measured row says what it measures, like the computed ones.
    assert four_g["measures"] == "median download speed of mobile 4G tests (weighted by tests), Mbps"
    assert card.loc["fixed_download_mbps", "measures"] == KPI_LABELS["fixed_download_mbps"]
    fixed = card.loc["fixed_download_mbps"]
    assert (fixed["status"], fixed["source"], fixed["sample_size"]) == ("no_data", INSUFFICIENT_DATA, 2)
    assert pd.isna(fixed["actual"])
    five_g = card.loc["mobile_download_5g_mbps"]
    assert (five_g["status"], five_g["source"], five_g["sample_size"]) == ("no_data", "no data", 0)
    lenient = scorecard(plan, kpis, a.inputs, speed_settings=SETTINGS.model_copy(update={"min_tests": 2}))  # type: ignore[arg-type]
    fixed = lenient.set_index("kpi").loc["fixed_download_mbps"]
    assert (fixed["actual"], fixed["status"]) == (200.0, "met")


def test_huế_share_of_fixed_lines_at_200_mbps(speed_ws: Workspace) -> None:
    from coverage_gis.speed import measured_value

    tests = load(speed_ws).inputs.speed_tests
    found = measured_value(
        tests,
        SPEED_MEASURES["fixed_lines_individuals_200mbps_pct"],
        settings=SETTINGS.model_copy(update={"min_tests": 2}),
    )
    assert (found.value, found.tests) == (50.0, 2)  # 250 of (150, 250) reaches 200 Mb/s
    assert SPEED_MEASURES["fixed_lines_individuals_200mbps_pct"].label == (
        "fixed tests with a download of at least 200 Mbps, % of fixed tests (weighted by tests)"
    )


def test_speed_kpis_entry_point(speed_ws: Workspace) -> None:
    speed_ws.update_config(plan=None, speed={"min_tests": 5, "min_village_tests": 3, "min_villages": 2})
    report = speed_kpis(load(speed_ws), levels=["province", "commune"], plan=_tiny_plan())  # type: ignore[arg-type]
    assert report.settings.min_tests == 5
    assert set(report.units["level"]) == {"province", "commune"}
    assert set(report.targets["indicator"]) == {
        "mobile_download_4g_2025",
        "mobile_download_5g_2025",
        "fixed_download_2025",
    }


def test_speed_settings_are_read_from_workspace_yaml(tiny_ws: Workspace) -> None:
    assert tiny_ws.config.speed is None
    assert tiny_ws.config.speed_settings == SpeedSettings()
    config = tiny_ws.path / "workspace.yaml"
    config.write_text(
        config.read_text(encoding="utf-8").replace("speed: null", "speed: {min_tests: 12, radius_m: 250}"),
        encoding="utf-8",
    )
    settings = Workspace.open(tiny_ws.path).config.speed_settings
    assert (settings.min_tests, settings.radius_m, settings.min_villages) == (12, 250.0, 10)


@pytest.mark.parametrize(
    ("raw", "field", "fragment"),
    [
        ({"min_test": 3}, "speed.min_test", "unknown key 'min_test'"),
        ({"min_tests": 2.5}, "speed.min_tests", "valid integer"),
        ({"min_tests": 0}, "speed.min_tests", "greater than or equal to 1"),
        ({"radius_m": "far"}, "speed.radius_m", "valid number"),
        ({"confidence": 1.5}, "speed.confidence", "less than 1"),
    ],
)
def test_bad_speed_settings(tiny_ws: Workspace, raw: dict[str, object], field: str, fragment: str) -> None:
    with pytest.raises(WorkspaceError) as info:
        tiny_ws.update_config(speed=raw)
    assert field in str(info.value)
    assert fragment in str(info.value)
    assert Workspace.open(tiny_ws.path).config.speed is None  # nothing saved


def test_no_speed_tests_gives_empty_tables(tiny_ws: Workspace, tmp_path: Path) -> None:
    report = speed_kpis(load(tiny_ws), plan=_tiny_plan())  # type: ignore[arg-type]
    assert report.units.empty
    assert report.targets.empty
