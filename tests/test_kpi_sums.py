"""Kept per-unit KPI sums: moved by the rows an edit changes, they equal a fresh count exactly."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coverage_gis import engine
from coverage_gis.admin import LEVELS
from coverage_gis.kpi import KpiColumns, kpi_columns, kpi_positions, kpi_rows
from coverage_gis.kpi_sums import KpiSums
from coverage_gis.workspace import Workspace

from .conftest import METRIC, tiny_with_places


@pytest.fixture(scope="module")
def columns(tmp_path_factory: pytest.TempPathFactory) -> KpiColumns:
    """The KPI arrays of the tiny network with places, a 5G site and speed tests."""
    ws = Workspace.create(tmp_path_factory.mktemp("sums") / "ws", metric_crs=METRIC, provinces=["99"])
    ws.write_layers(tiny_with_places(), source="tiny fixture")
    analysis = engine.compute(ws)
    period, categories = analysis.kpi_options()
    ws.close()
    return kpi_columns(analysis.inputs, LEVELS, period=period, categories=categories)


def _sizes(c: KpiColumns) -> dict[str, int]:
    return {"v": len(c.population), "s": len(c.shared), "p": len(c.centre), "t": len(c.test_kind)}


def _rows(c: KpiColumns, picks: dict[str, np.ndarray]) -> KpiColumns:
    return c.take({key: np.asarray(rows, dtype=np.int64) for key, rows in picks.items()})


def _table(kpis: pd.DataFrame) -> dict[str, Any]:
    return {name: kpis[name].array for name in kpis.columns}


def _assert_same(got: KpiSums, want: KpiSums) -> None:
    for level in LEVELS:
        pd.testing.assert_frame_equal(got.frame(level), want.frame(level), check_exact=True)


def test_sums_hold_what_the_kpi_columns_count(columns: KpiColumns) -> None:
    sums = KpiSums.of(columns)
    kpis = kpi_rows(columns)
    province = kpis[kpis["level"] == "province"].iloc[0]
    row = sums.frame("province").loc[province["code"]]
    # Hand-checkable: every village, site and speed-test weight of the one province.
    assert row["villages"] == province["villages"] == len(columns.population)
    assert row["sites"] == province["sites"]
    assert row["tests"] == province["speed_tests"]
    assert row["rows"] == len(columns.population) + len(columns.shared) + len(columns.centre) + len(
        columns.test_kind
    )


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_taking_rows_out_leaves_the_sums_of_the_rest(columns: KpiColumns, data: st.DataObject) -> None:
    """Fails if the rows taken out are not subtracted (or subtracted from the wrong units)."""
    sizes = _sizes(columns)
    out = {
        k: sorted(data.draw(st.sets(st.integers(0, max(n - 1, 0)), max_size=n))) if n else []
        for k, n in sizes.items()
    }
    rest = {k: [i for i in range(n) if i not in set(out[k])] for k, n in sizes.items()}
    none = {k: [] for k in sizes}
    moved = KpiSums.of(columns).moved(_rows(columns, out), _rows(columns, none))
    _assert_same(moved, KpiSums.of(_rows(columns, rest)))
    # ... and putting them back in gives the sums of every row again.
    _assert_same(moved.moved(_rows(columns, none), _rows(columns, out)), KpiSums.of(columns))


def test_a_changed_row_moves_its_units_and_the_kept_sums_stay(columns: KpiColumns) -> None:
    """An edit's rows before go out and after come in; the sums it started from do not change."""
    sums = KpiSums.of(columns)
    before = {level: sums.frame(level) for level in LEVELS}
    first = {"v": [0], "s": [], "p": [], "t": []}
    old = _rows(columns, first)
    new = old.with_values(mobile=~old.mobile)
    after = sums.moved(old, new)
    changed = columns.with_values(
        mobile=np.where(np.arange(len(columns.mobile)) == 0, ~columns.mobile, columns.mobile)
    )
    _assert_same(after, KpiSums.of(changed))
    for level in LEVELS:
        pd.testing.assert_frame_equal(sums.frame(level), before[level], check_exact=True)
    # The units' KPI rows recounted from the moved sums equal a full recompute's.
    kpis = kpi_rows(columns)
    codes = {level: {str(c) for c in columns.codes["v"][level][:1] if c is not None} for level in LEVELS}
    spliced = after.spliced(_table(kpis), codes, kpi_positions(kpis))
    assert spliced is not None
    pd.testing.assert_frame_equal(pd.DataFrame(dict(spliced.table)), kpi_rows(changed), check_exact=True)


def test_a_unit_that_vanishes_is_left_to_the_full_splice(columns: KpiColumns) -> None:
    sizes = _sizes(columns)
    every = {k: list(range(n)) for k, n in sizes.items()}
    none = {k: [] for k in sizes}
    emptied = KpiSums.of(columns).moved(_rows(columns, every), _rows(columns, none))
    kpis = kpi_rows(columns)
    codes = {"province": {str(columns.codes["v"]["province"][0])}}
    assert emptied.spliced(_table(kpis), codes, kpi_positions(kpis)) is None
    assert emptied.frame("province").empty
