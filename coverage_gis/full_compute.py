"""One full computation from layers in memory: the cell table, the fiber index,
``village_coverage`` and the KPI inputs (``docs/architecture.md``, engine).

Owns the schedule of those steps; the rules stay with their owners (coverage,
mobile, fiber, kpi_inputs). Two kinds of work make a full computation: the
coverage model's pair search, the FTTH distances, the projections and the placing of
sites in communes are array work that releases the GIL (numpy, numba, GEOS, PROJ);
joining cells to sites and building the KPI rows is pandas work that holds it. So the
array work runs on two background threads while the pandas work runs on the
caller's: one thread places, projects and indexes the fiber, the other runs the
model's search as soon as the caller has built the cell table (every mobile result
waits on that table, none on the fiber). They meet where one needs the other: the
village rows need the coverage. While the caller waits for the search it also groups
every KPI frame's rows by unit (``KpiInputs.grouped``: the villages' and places' by their
admin columns, which do not depend on coverage), sorts the speed tests by download and
makes each level's units with all of their KPI rows but the coverage counts
(``kpi_units``), work that would otherwise run alone after the coverage. On two cores
the full computation takes about the longer of the two, not their sum; the results are
those of the steps run in turn.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

import geopandas as gpd
import pandas as pd

from coverage_gis.admin import LEVELS, admin_rows, commune_positions, unit_population_2009
from coverage_gis.coverage import coverage_run
from coverage_gis.fiber import FiberIndex, fiber_index
from coverage_gis.input_layers import InputLayers
from coverage_gis.kpi_arrays import SortedTests, units_ahead
from coverage_gis.kpi_cells import GroupedFrame
from coverage_gis.kpi_inputs import (
    KpiInputs,
    placed_site_rows,
    placed_speed_test_rows,
    poi_grid_power,
    poi_radio,
    poi_rows,
    village_rows,
)
from coverage_gis.mobile import grid_power, mobile_at_sets
from coverage_gis.models.base import CoverageModel
from coverage_gis.models.validity import ValidityReport
from coverage_gis.network import CellTable, cell_table_or_empty, receivers_of

_T = TypeVar("_T")


@dataclass(frozen=True)
class LayerAnalysis:
    """What a full computation of some layers gives.

    ``model_report`` is the coverage model's validity report for its pairs; None when
    the coverage was given (read back from a workspace), not computed.
    """

    cells: CellTable
    fiber: FiberIndex
    coverage: gpd.GeoDataFrame | pd.DataFrame
    model_report: ValidityReport | None
    inputs: KpiInputs


def analyse_layers(
    layers: InputLayers | Mapping[str, pd.DataFrame],
    *,
    metric_crs: str,
    model: CoverageModel,
    ftth_reach_m: float = 500.0,
    revision: int = 0,
    overrides: pd.DataFrame | None = None,
    coverage: pd.DataFrame | None = None,
    cells: CellTable | None = None,
    fiber: FiberIndex | None = None,
    progress: Callable[[str], None] | None = None,
) -> LayerAnalysis:
    """The cell table, fiber index, ``village_coverage`` (unless ``coverage`` is given) and KPI inputs.

    Parameters
    ----------
    layers
        Frames by layer name (:class:`~coverage_gis.input_layers.InputLayers`).
    metric_crs, model, ftth_reach_m, revision, overrides
        As :func:`coverage_gis.coverage.compute_coverage` takes them.
    coverage
        The layers' ``village_coverage`` when it is known (stored): it is not computed.
    cells, fiber
        The layers' cell table and fiber index when the caller holds them already.
    progress
        Called with the name of each stage as it starts.
    """
    step = progress or (lambda _msg: None)
    typed = InputLayers.from_frames(layers)
    communes, parts = typed.communes, typed.commune_parts_2025
    villages = typed.villages
    want_coverage = coverage is None
    with (
        ThreadPoolExecutor(max_workers=1, thread_name_prefix="covgis-arrays") as arrays,
        ThreadPoolExecutor(max_workers=1, thread_name_prefix="covgis-radio") as radio,
    ):
        # Two background threads, each running its jobs in the order submitted (a job may
        # wait on an earlier one): ``arrays`` places and projects (GEOS, PROJ) and indexes
        # the fiber; ``radio`` runs the coverage model's search (its own threads) once the
        # cell table exists. The cell table is on the path to every mobile result, so the
        # caller builds it first; the fiber index is needed only by FTTH, later.
        site_job = arrays.submit(commune_positions, typed.sites.geometry.to_numpy(), communes)
        xy_job = arrays.submit(receivers_of, villages, metric_crs) if want_coverage else None
        poi_xy_job = arrays.submit(receivers_of, typed.pois, metric_crs) if want_coverage else None
        # The speed tests' communes after the receivers the coverage search waits on, before
        # the fiber index (needed later, by FTTH).
        test_job = arrays.submit(commune_positions, typed.speed_tests.geometry.to_numpy(), communes)
        fiber_job = (
            _given(fiber) if fiber is not None else arrays.submit(fiber_index, typed, metric_crs=metric_crs)
        )
        table = cells if cells is not None else cell_table_or_empty(typed, metric_crs=metric_crs)
        mobile_job = ftth_job = None
        if xy_job is not None and poi_xy_job is not None:
            step(f"computing coverage ({model.name} model)")
            # Villages and places in one search: the model passes over the cells once.
            mobile_job = radio.submit(
                lambda: mobile_at_sets(
                    [
                        (xy_job.result(), grid_power(villages)),
                        (poi_xy_job.result(), poi_grid_power(typed.pois)),
                    ],
                    table,
                    model=model,
                )
            )
            ftth_job = arrays.submit(
                lambda: fiber_job.result().coverage(xy_job.result().x_m, xy_job.result().y_m, ftth_reach_m)
            )
        poi_job = radio.submit(
            lambda: poi_radio(
                typed.pois,
                table,
                fiber_job.result(),
                model=model,
                metric_crs=metric_crs,
                ftth_reach_m=ftth_reach_m,
                mobile=mobile_job.result()[1] if mobile_job is not None else None,
            )
        )
        # Meanwhile, the pandas work that needs no coverage.
        step("KPI inputs")
        placed_sites = placed_site_rows(
            typed.sites, typed.cells, communes, parts, table=table, placed=site_job.result()
        )
        sites = placed_sites.frame
        village_admin = admin_rows(villages, communes, parts)
        poi_admin = admin_rows(typed.pois, communes, parts)
        placed_tests = placed_speed_test_rows(typed.speed_tests, communes, parts, placed=test_job.result())
        speed_tests = placed_tests.frame
        units = unit_population_2009(communes, parts)
        # Every KPI frame's rows grouped by unit now, while the search runs, rather than
        # after the coverage (the KPIs' serial tail), from the communes and parts their
        # codes came from: the villages and places by their admin columns, which their KPI
        # rows hold as they are (they do not depend on coverage).
        test_cells = GroupedFrame.of(speed_tests, LEVELS, placed_tests.source)
        site_cells = GroupedFrame.of(sites, LEVELS, placed_sites.source)
        sorted_tests = SortedTests.of(test_cells)
        village_cells = GroupedFrame.of(village_admin.frame, LEVELS, village_admin.source)
        poi_cells = GroupedFrame.of(poi_admin.frame, LEVELS, poi_admin.source)
        # Then each level's units: their names, speeds and census, all but the coverage counts.
        ahead = units_ahead(
            {"v": village_cells, "s": site_cells, "p": poi_cells, "t": test_cells},
            sorted_tests,
            units,
            LEVELS,
        )
        report = None
        if mobile_job is not None and ftth_job is not None:
            run = coverage_run(
                villages,
                mobile_job.result()[0],
                ftth_job.result(),
                model_name=model.name,
                revision=revision,
                overrides=overrides,
            )
            coverage, report = run.table, run.model_report
        assert coverage is not None
        # The villages' rows first: the places' wait on their radio, run after the search.
        village_frame = village_rows(villages, coverage, communes, parts, admin=village_admin.frame)
        pois = poi_rows(typed, poi_job.result(), admin=poi_admin.frame)
        inputs = KpiInputs(
            villages=village_frame,
            sites=sites,
            pois=pois,
            speed_tests=speed_tests,
            units=units,
            grouped=(
                site_cells,
                test_cells,
                sorted_tests,
                *village_cells.moved_to(village_frame),
                *poi_cells.moved_to(pois),
                *((ahead,) if ahead is not None else ()),
            ),
        )
        return LayerAnalysis(table, fiber_job.result(), coverage, report, inputs)


def build_inputs(
    layers: InputLayers | Mapping[str, pd.DataFrame],
    coverage: pd.DataFrame,
    *,
    model: CoverageModel,
    metric_crs: str,
    ftth_reach_m: float = 500.0,
    cells: CellTable | None = None,
    fiber: FiberIndex | None = None,
) -> KpiInputs:
    """The KPI inputs of ``layers`` with their ``coverage``: villages, sites, POIs and speed
    tests with their admin codes (:func:`analyse_layers` with the coverage given).

    ``cells`` and ``fiber`` are the layers' cell table and fiber index
    (:func:`coverage_gis.fiber.fiber_index`) when the caller has built them already.
    """
    return analyse_layers(
        layers,
        metric_crs=metric_crs,
        model=model,
        ftth_reach_m=ftth_reach_m,
        coverage=coverage,
        cells=cells,
        fiber=fiber,
    ).inputs


def _given(value: _T) -> Future[_T]:
    """A future that holds ``value`` already."""
    done: Future[_T] = Future()
    done.set_result(value)
    return done
