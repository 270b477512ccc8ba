"""Workspace-level analysis: load layers, run the model, store coverage, derive KPIs and gaps.

This module wires the single-concern modules together for one workspace: it reads
the input layers once, builds the model the workspace asks for, writes the
``village_coverage`` layer, and hands KPIs, scorecards and gap lists to the fronts
(CLI, API, map).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from coverage_gis._values import plain_value
from coverage_gis.admin import LEVELS
from coverage_gis.calibration import calibrated_model
from coverage_gis.costs import load_costs
from coverage_gis.coverage import (
    aligned_coverage,
    as_coverage_table,
    written_before_gap_reasons,
)
from coverage_gis.errors import LayerValidationError, NotFound
from coverage_gis.full_compute import analyse_layers
from coverage_gis.gaps import GAP_KINDS, five_g_gaps, ftth_gaps, mobile_gaps
from coverage_gis.input_layers import InputLayers
from coverage_gis.kpi import DEFAULT_5G_CATEGORIES, compute_kpis
from coverage_gis.kpi_inputs import KpiInputs
from coverage_gis.layers import get_schema
from coverage_gis.models import load_model_settings
from coverage_gis.models.base import CoverageModel
from coverage_gis.models.validity import ValidityReport
from coverage_gis.network import CellTable
from coverage_gis.plans import Plan, list_plans, load_plan, plan_for_provinces
from coverage_gis.revisions import RevisionRecord, coverage_changes, default_author
from coverage_gis.routing import load_road_graph
from coverage_gis.scorecard import read_indicator_table, scorecard
from coverage_gis.storage import LayerReader, empty_layer
from coverage_gis.workspace import Workspace

Progress = Callable[[str], None]


def read_inputs(ws: Workspace, snapshot: LayerReader | None = None) -> InputLayers:
    """Every input layer of the workspace (empty frames for absent optional layers).

    Read from ``snapshot`` when given (see :meth:`Workspace.snapshot`).
    """
    layers = InputLayers.read(snapshot if snapshot is not None else ws)
    if layers.villages.empty:
        raise NotFound(f"{ws.location}: no villages; import a villages layer or run `covgis demo`")
    return layers


def read_overrides(source: LayerReader) -> pd.DataFrame:
    """The planners' decisions on challenges (the ``overrides`` layer; empty when absent)."""
    return source.read_layer("overrides", missing_ok=True)


def _no_overrides() -> pd.DataFrame:
    return empty_layer(get_schema("overrides"))


def workspace_model(ws: Workspace, name: str | None = None) -> CoverageModel:
    """The coverage model the workspace asks for (or ``name``): its own settings file if any,
    and its stored calibration."""
    return calibrated_model(
        name or ws.config.model,
        calibration=ws.config.calibration,
        settings=load_model_settings(ws.model_settings_path),
        dem_path=ws.dem_path,
        metric_crs=ws.metric_crs,
    )


@dataclass
class Analysis:
    """A workspace's layers with their computed coverage and KPI inputs."""

    ws: Workspace
    layers: InputLayers
    coverage: gpd.GeoDataFrame
    model: CoverageModel
    cells: CellTable
    inputs: KpiInputs
    #: The workspace revision the layers were read at.
    revision: int = 0
    #: Whether ``coverage`` is what the workspace stores (False: computed in memory by a read).
    coverage_stored: bool = True
    #: Planners' decisions on challenges, read with the layers; accepted ones are in ``coverage``.
    overrides: pd.DataFrame = field(default_factory=_no_overrides)
    #: Pairs per formula and those outside its validity range, when this analysis
    #: computed the coverage (None when it read the stored coverage).
    model_report: ValidityReport | None = None

    @property
    def metric_crs(self) -> str:
        return self.ws.metric_crs

    def plan(self, plan_id: str | None = None) -> Plan:
        """The requested plan, else the workspace's, else the plan of its (first) province."""
        chosen = plan_id or self.ws.config.plan
        if chosen:
            return load_plan(chosen)
        found = plan_for_provinces(self.ws.config.provinces)
        if found is not None:
            return found
        provinces = ", ".join(self.ws.config.provinces) or "none set"
        raise NotFound(
            f"no plan for this workspace (provinces {provinces}): pass --plan with a plan id "
            f"(known: {', '.join(list_plans()) or 'none'}) or the path of your province's plan, "
            "a YAML file written as those in data/plans are; the KPIs and gap lists need no plan"
        )

    def kpi_options(self) -> tuple[tuple[date, date] | None, list[str]]:
        """Plan period and 5G categories used for KPIs (the workspace plan's, else defaults)."""
        try:
            plan = self.plan()
        except NotFound:
            return None, list(DEFAULT_5G_CATEGORIES)
        return (plan.period_start, plan.period_end), list(plan.categories_5g) or list(DEFAULT_5G_CATEGORIES)

    def kpis(
        self,
        *,
        levels: Sequence[str] = LEVELS,
        period: tuple[date, date] | None = None,
        categories_5g: Sequence[str] | None = None,
    ) -> pd.DataFrame:
        default_period, default_categories = self.kpi_options()
        return compute_kpis(
            self.inputs,
            levels=levels,
            period=period or default_period,
            categories_5g=categories_5g or default_categories,
        )

    def scorecard(self, plan_id: str | None = None, *, indicators_csv: Path | None = None) -> pd.DataFrame:
        plan = self.plan(plan_id)
        kpis = compute_kpis(
            self.inputs,
            levels=["province"],
            period=(plan.period_start, plan.period_end),
            categories_5g=list(plan.categories_5g) or DEFAULT_5G_CATEGORIES,
        )
        table = read_indicator_table(indicators_csv) if indicators_csv else None
        return scorecard(
            plan,
            kpis,
            self.inputs,
            indicator_table=table,
            speed_settings=self.ws.config.speed_settings,
        )

    def _counted(self, admin: pd.DataFrame) -> np.ndarray:
        """Rows of ``admin`` (places with their units) that are gaps of the workspace: those
        in one of its communes, as the KPIs count them; every row when it holds no communes.
        A place in no commune (compute names such villages) is no province's gap."""
        if not len(self.layers.communes) or "census_commune_id" not in admin:  # (an empty table)
            return np.arange(len(admin))
        return np.flatnonzero(admin["census_commune_id"].notna().to_numpy())

    def gaps(self, kind: str, *, use_roads: bool = True) -> gpd.GeoDataFrame:
        if kind not in GAP_KINDS:
            raise LayerValidationError(
                f"unknown gap kind {kind!r}; choose {', '.join(GAP_KINDS)}", field="kind"
            )
        villages = self.layers.villages
        costs = load_costs()
        if kind == "5g":
            pois = self.layers.pois
            try:
                categories = list(self.plan().categories_5g)
            except NotFound:
                categories = list(DEFAULT_5G_CATEGORIES)
            keep = self._counted(self.inputs.pois)
            return five_g_gaps(
                pois.iloc[keep].reset_index(drop=True),
                self.inputs.pois.iloc[keep].reset_index(drop=True),
                self.cells,
                model=self.model,
                categories=categories,
                costs=costs,
                metric_crs=self.metric_crs,
            )
        keep = self._counted(self.inputs.villages)
        coverage = aligned_coverage(self.coverage, villages).iloc[keep].reset_index(drop=True)
        admin = self.inputs.villages.iloc[keep].reset_index(drop=True)
        villages = villages.iloc[keep].reset_index(drop=True)
        if kind == "mobile":
            return mobile_gaps(
                villages,
                coverage,
                admin,
                self.cells,
                model=self.model,
                costs=costs,
                metric_crs=self.metric_crs,
                sites=self.layers.sites,
                communes=self.layers.communes,
            )
        roads = None
        if use_roads and self.ws.roads_path is not None and not coverage["ftth"].all():
            roads = load_road_graph(self.ws.roads_path, metric_crs=self.metric_crs)
        return ftth_gaps(
            villages,
            coverage,
            admin,
            self.layers.fiber_routes,
            self.layers.fiber_nodes,
            costs=costs,
            metric_crs=self.metric_crs,
            roads=roads,
        )


SNAPSHOT_LEVELS: tuple[str, ...] = ("province", "district")


def kpi_record(row: Mapping[Any, object]) -> dict[str, Any]:
    """One KPI row as a JSON-ready dict (NaN → None), for revision snapshots and API payloads."""
    return {str(k): plain_value(v) for k, v in row.items()}


def kpi_records(kpis: pd.DataFrame) -> list[dict[str, Any]]:
    """KPI rows as :func:`kpi_record` dicts."""
    return [kpi_record(row) for row in kpis.to_dict(orient="records")]


def analyse(
    ws: Workspace,
    *,
    model: str | None = None,
    progress: Progress | None = None,
) -> Analysis:
    """Full computation of village coverage and KPI inputs, in memory (nothing is written)."""
    (progress or (lambda _msg: None))("reading layers")
    with ws.snapshot() as snap:
        layers = read_inputs(ws, snap)
        overrides = read_overrides(snap)
        revision = snap.revision
    return _analysis(
        ws, layers, revision, model=workspace_model(ws, model), overrides=overrides, progress=progress
    )


def _analysis(
    ws: Workspace,
    layers: InputLayers,
    revision: int,
    *,
    model: CoverageModel,
    overrides: pd.DataFrame,
    coverage: pd.DataFrame | None = None,
    progress: Progress | None = None,
) -> Analysis:
    """The analysis of ``layers`` read at ``revision``: with the stored ``coverage``, else computing it."""
    done = analyse_layers(
        layers,
        metric_crs=ws.metric_crs,
        model=model,
        ftth_reach_m=ws.config.ftth_reach_m,
        revision=revision,
        overrides=overrides,
        coverage=coverage,
        progress=progress,
    )
    stored = coverage is not None
    cells, coverage, report, inputs = done.cells, done.coverage, done.model_report, done.inputs
    table = as_coverage_table(coverage)
    return Analysis(
        ws,
        layers,
        table,
        model,
        cells,
        inputs,
        revision=revision,
        coverage_stored=stored,
        overrides=overrides,
        model_report=report,
    )


def store_coverage(analysis: Analysis, *, author: str | None = None) -> int:
    """Write the analysis' coverage as ``village_coverage``, logged as a new revision.

    The caller may hold the workspace lock already (it is re-entrant). Returns the new
    revision number; the analysis is marked stored at it.
    """
    ws = analysis.ws
    with ws.lock():
        old = ws.read_layer("village_coverage", missing_ok=True)
        coverage = analysis.coverage
        coverage["revision"] = ws.revision + 1
        report = analysis.model_report
        note = (
            ""
            if report is None
            else f"; {report.outside:,} of {report.pairs:,} pairs outside formula validity"
        )
        record = RevisionRecord(
            summary=f"full recompute ({analysis.model.name} model{note})",
            author=author or default_author(),
            kpi_snapshot=kpi_records(analysis.kpis(levels=SNAPSHOT_LEVELS)),
            coverage_changes=coverage_changes(old, coverage),
        )
        number = ws.write_layers({"village_coverage": coverage}, validate=False, revision=record)
    assert number is not None
    analysis.revision = number
    analysis.coverage_stored = True
    return number


def compute(
    ws: Workspace,
    *,
    model: str | None = None,
    write: bool = True,
    author: str | None = None,
    progress: Progress | None = None,
) -> Analysis:
    """Full recompute of village coverage; unless ``write`` is False, store it as a new revision."""
    analysis = analyse(ws, model=model, progress=progress)
    if write:
        (progress or (lambda _msg: None))("writing village_coverage")
        store_coverage(analysis, author=author)
    return analysis


def load(ws: Workspace, *, progress: Progress | None = None) -> Analysis:
    """The stored coverage when it is current, else a fresh computation in memory.

    Stored coverage is current unless the latest revision changed inputs without
    recomputing (an import), the stored villages differ from the villages layer, or it
    was written before a result column existed (``mobile_gap_reasons``).
    A read never writes: a fresh computation is not stored (``analysis.coverage_stored``
    is False); storing it is :func:`compute`'s job (or :func:`store_coverage`'s).
    """
    with ws.snapshot() as snap:
        coverage = snap.read_layer("village_coverage", missing_ok=True)
        current = snap.coverage_is_current()
        layers = read_inputs(ws, snap)
        overrides = read_overrides(snap)
        revision = snap.revision
    if coverage.empty or not current or written_before_gap_reasons(coverage):
        return _analysis(
            ws, layers, revision, model=workspace_model(ws), overrides=overrides, progress=progress
        )
    chosen = workspace_model(ws, str(coverage["model"].iloc[0]))
    if set(coverage["village_id"]) != set(layers.villages["village_id"]):
        return _analysis(ws, layers, revision, model=chosen, overrides=overrides, progress=progress)
    return _analysis(
        ws, layers, revision, model=chosen, overrides=overrides, coverage=coverage, progress=progress
    )
