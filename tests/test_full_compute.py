"""The full computation's schedule (coverage_gis.full_compute): the same results as the steps in
turn, the background thread's errors reach the caller, a given coverage is not recomputed."""

from __future__ import annotations

import threading
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd
import pytest

from coverage_gis.admin import LEVELS, admin_columns, unit_population_2009
from coverage_gis.coverage import compute_coverage
from coverage_gis.fiber import fiber_index
from coverage_gis.full_compute import analyse_layers
from coverage_gis.input_layers import InputLayers
from coverage_gis.kpi import compute_kpis
from coverage_gis.kpi_cells import GroupedFrame, frame_cells
from coverage_gis.kpi_inputs import poi_radio, poi_rows, site_rows, speed_test_rows, village_rows
from coverage_gis.kpi_units import UnitsAhead
from coverage_gis.models import create_model
from coverage_gis.models.base import CellArrays, ReceiverArrays
from coverage_gis.network import cell_table_or_empty

from .conftest import METRIC, tiny_with_places

MODEL = create_model("radius")


def _frames_equal(a: pd.DataFrame, b: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True), check_exact=True)


def test_the_schedule_gives_what_the_steps_give_in_turn() -> None:
    layers = InputLayers.from_frames(tiny_with_places())
    done = analyse_layers(layers, metric_crs=METRIC, model=MODEL, revision=3)
    # The steps one after the other, on their own.
    run = compute_coverage(layers, metric_crs=METRIC, model=MODEL, revision=3)
    _frames_equal(done.coverage, run.table)
    assert done.model_report == run.model_report
    cells = cell_table_or_empty(layers, metric_crs=METRIC)
    fiber = fiber_index(layers, metric_crs=METRIC)
    communes, parts = layers.communes, layers.commune_parts_2025
    _frames_equal(done.inputs.villages, village_rows(layers.villages, run.table, communes, parts))
    _frames_equal(done.inputs.sites, site_rows(layers.sites, layers.cells, communes, parts))
    radio = poi_radio(layers.pois, cells, fiber, model=MODEL, metric_crs=METRIC, ftth_reach_m=500.0)
    _frames_equal(done.inputs.pois, poi_rows(layers, radio))
    _frames_equal(done.inputs.speed_tests, speed_test_rows(layers.speed_tests, communes, parts))
    _frames_equal(done.inputs.units, unit_population_2009(communes, parts))
    # The villages' admin columns are placed before their coverage is known.
    _frames_equal(
        done.inputs.villages[list(admin_columns(layers.villages, communes, parts).columns)],
        admin_columns(layers.villages, communes, parts),
    )
    # Every frame grouped by unit from where its codes came, as by its codes.
    for held in done.inputs.grouped:
        if not isinstance(held, GroupedFrame):
            continue
        want = frame_cells(held.frame, LEVELS)
        assert held.cells is not None
        assert want is not None
        assert np.array_equal(held.cells.row_cell, want.row_cell)
        assert np.array_equal(held.cells.first_row, want.first_row)
        for level in LEVELS:
            assert np.array_equal(held.cells.unit[level], want.unit[level])
            assert held.cells.distinct[level].tolist() == want.distinct[level].tolist()
    assert len(done.cells) == len(cells)
    # Every KPI frame grouped ahead, the tests sorted ahead, for the very frames held, and
    # every level's units.
    inputs = done.inputs
    held = {id(g.frame) for g in inputs.grouped if not isinstance(g, UnitsAhead)}
    assert held == {id(f) for f in (inputs.villages, inputs.sites, inputs.pois, inputs.speed_tests)}
    assert [set(g.levels) for g in inputs.grouped if isinstance(g, UnitsAhead)] == [set(LEVELS)]
    _frames_equal(compute_kpis(inputs), compute_kpis(replace(inputs, grouped=())))
    for name in ("start", "item_seg", "item_bits"):
        assert np.array_equal(getattr(done.fiber.grid, name), getattr(fiber.grid, name)), name


class _Failing:
    """The radius model, failing in its pair search (which runs on a background thread)."""

    def __init__(self) -> None:
        self.threads: set[str] = set()

    def __getattr__(self, name: str) -> Any:
        return getattr(MODEL, name)

    def candidate_pairs(self, receivers: ReceiverArrays, cells: CellArrays, **options: Any) -> Any:
        self.threads.add(threading.current_thread().name)
        raise RuntimeError("search failed")

    def map_pairs(self, receivers: ReceiverArrays, cells: CellArrays, fn: Any) -> Any:
        return [fn(self.candidate_pairs(receivers, cells))]

    def map_served_pairs(self, receivers: ReceiverArrays, cells: CellArrays, fn: Any, **options: Any) -> Any:
        return self.candidate_pairs(receivers, cells)


def test_an_error_on_the_background_thread_reaches_the_caller() -> None:
    model = _Failing()
    before = threading.active_count()
    with pytest.raises(RuntimeError, match="search failed"):
        analyse_layers(tiny_with_places(), metric_crs=METRIC, model=model)  # type: ignore[arg-type]
    assert model.threads
    assert all(name.startswith("covgis-radio") for name in model.threads)
    assert threading.active_count() == before  # the background threads are gone


def test_a_given_coverage_is_kept_not_recomputed() -> None:
    frames = {k: v for k, v in tiny_with_places().items() if k != "pois"}
    layers = InputLayers.from_frames(frames)
    stored = compute_coverage(layers, metric_crs=METRIC, model=MODEL).table
    stored = stored.assign(mobile_bb=~stored["mobile_bb"])  # not what the model would say
    model = _Failing()
    done = analyse_layers(layers, metric_crs=METRIC, model=model, coverage=stored)  # type: ignore[arg-type]
    assert not model.threads  # no village and no place was searched
    assert done.model_report is None
    assert done.coverage is stored
    assert done.inputs.villages["mobile_bb"].tolist() == stored["mobile_bb"].tolist()
