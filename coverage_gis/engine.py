"""Workspace-level analysis: load layers, run the model, store coverage, derive KPIs and gaps.

This module wires the single-concern modules together for one workspace: it reads
the input layers once, builds the model the workspace asks for, writes the
``village_coverage`` layer, and hands KPIs, scorecards and gap lists to the fronts
(CLI, API, map).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import geopandas as gpd
import pandas as pd

from coverage_gis.admin import LEVELS, admin_columns
from coverage_gis.costs import load_costs
from coverage_gis.coverage import coverage_from_layers
from coverage_gis.errors import LayerValidationError, NotFound
from coverage_gis.gaps import GAP_KINDS, five_g_gaps, ftth_gaps, mobile_gaps
from coverage_gis.kpi import DEFAULT_5G_CATEGORIES, KpiInputs, build_inputs, compute_kpis
from coverage_gis.layers import INPUT_LAYERS
from coverage_gis.models import create_model
from coverage_gis.models.base import CoverageModel
from coverage_gis.network import CellTable, cell_table_from_layers
from coverage_gis.plans import Plan, load_plan, plan_for_province
from coverage_gis.routing import load_road_graph
from coverage_gis.scorecard import read_indicator_table, scorecard
from coverage_gis.workspace import Workspace

Progress = Callable[[str], None]


def read_inputs(ws: Workspace) -> dict[str, pd.DataFrame]:
    """Every input layer of the workspace (empty frames for absent optional layers)."""
    layers = {name: ws.read_layer(name, missing_ok=True) for name in INPUT_LAYERS}
    if layers["villages"].empty:
        raise NotFound(f"{ws.path}: no villages; import a villages layer or run `covgis demo`")
    return layers


def workspace_model(ws: Workspace, name: str | None = None) -> CoverageModel:
    """The coverage model the workspace asks for (or ``name``)."""
    return create_model(name or ws.config.model, dem_path=ws.dem_path, metric_crs=ws.metric_crs)


@dataclass
class Analysis:
    """A workspace's layers with their computed coverage and KPI inputs."""

    ws: Workspace
    layers: dict[str, pd.DataFrame]
    coverage: gpd.GeoDataFrame
    model: CoverageModel
    cells: CellTable
    inputs: KpiInputs

    @property
    def metric_crs(self) -> str:
        return self.ws.metric_crs

    def plan(self, plan_id: str | None = None) -> Plan:
        """The requested plan, else the workspace's, else the plan of its (first) province."""
        chosen = plan_id or self.ws.config.plan
        if chosen:
            return load_plan(chosen)
        for code in self.ws.config.provinces:
            found = plan_for_province(code)
            if found is not None:
                return found
        raise NotFound("no plan for this workspace; pass --plan ID (see data/plans)")

    def kpis(
        self,
        *,
        levels: Sequence[str] = LEVELS,
        period: tuple[date, date] | None = None,
        categories_5g: Sequence[str] | None = None,
    ) -> pd.DataFrame:
        if period is None or categories_5g is None:
            try:
                plan = self.plan()
            except NotFound:
                plan = None
            if plan is not None:
                period = period or (plan.period_start, plan.period_end)
                categories_5g = categories_5g or list(plan.categories_5g)
        return compute_kpis(
            self.inputs,
            levels=levels,
            period=period,
            categories_5g=categories_5g or DEFAULT_5G_CATEGORIES,
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
        return scorecard(plan, kpis, self.inputs, indicator_table=table)

    def gaps(self, kind: str, *, use_roads: bool = True) -> gpd.GeoDataFrame:
        if kind not in GAP_KINDS:
            raise LayerValidationError(
                f"unknown gap kind {kind!r}; choose {', '.join(GAP_KINDS)}", field="kind"
            )
        villages = self.layers["villages"]
        communes = self.layers["communes"]
        assert isinstance(villages, gpd.GeoDataFrame)
        assert isinstance(communes, gpd.GeoDataFrame)
        costs = load_costs()
        if kind == "5g":
            pois = self.layers["pois"]
            assert isinstance(pois, gpd.GeoDataFrame)
            try:
                categories = list(self.plan().categories_5g)
            except NotFound:
                categories = list(DEFAULT_5G_CATEGORIES)
            facts = self.inputs.pois.reset_index(drop=True)
            return five_g_gaps(
                pois.reset_index(drop=True),
                facts,
                self.cells,
                categories=categories,
                costs=costs,
                metric_crs=self.metric_crs,
            )
        coverage = self.coverage.set_index("village_id").loc[villages["village_id"]].reset_index()
        admin = admin_columns(villages, communes)
        if kind == "mobile":
            return mobile_gaps(villages, coverage, admin, self.cells, costs=costs, metric_crs=self.metric_crs)
        roads = None
        if use_roads and self.ws.roads_path is not None and not coverage["ftth"].all():
            roads = load_road_graph(self.ws.roads_path, metric_crs=self.metric_crs)
        return ftth_gaps(
            villages,
            coverage,
            admin,
            self.layers.get("fiber_routes"),
            self.layers.get("fiber_nodes"),
            costs=costs,
            metric_crs=self.metric_crs,
            roads=roads,
        )


def compute(
    ws: Workspace,
    *,
    model: str | None = None,
    write: bool = True,
    progress: Progress | None = None,
) -> Analysis:
    """Full recompute of village coverage (and store it unless ``write`` is False)."""
    step = progress or (lambda _msg: None)
    step("reading layers")
    layers = read_inputs(ws)
    chosen = workspace_model(ws, model)
    step(f"computing coverage ({chosen.name} model)")
    cells = (
        cell_table_from_layers(layers, metric_crs=ws.metric_crs)
        if len(layers["cells"])
        else CellTable.empty()
    )
    coverage = coverage_from_layers(
        layers, metric_crs=ws.metric_crs, model=chosen, ftth_reach_m=ws.config.ftth_reach_m
    )
    if write:
        step("writing village_coverage")
        ws.write_layers({"village_coverage": coverage}, validate=False)
    step("KPI inputs")
    inputs = build_inputs(
        layers,
        coverage,
        model=chosen,
        metric_crs=ws.metric_crs,
        ftth_reach_m=ws.config.ftth_reach_m,
        cells=cells,
    )
    return Analysis(ws, layers, coverage, chosen, cells, inputs)


def load(ws: Workspace, *, progress: Progress | None = None) -> Analysis:
    """The stored coverage if there is one, else a fresh computation (stored)."""
    if not ws.has_layer("village_coverage"):
        return compute(ws, progress=progress)
    layers = read_inputs(ws)
    coverage = ws.read_layer("village_coverage")
    model_name = str(coverage["model"].iloc[0]) if len(coverage) else ws.config.model
    chosen = workspace_model(ws, model_name)
    cells = (
        cell_table_from_layers(layers, metric_crs=ws.metric_crs)
        if len(layers["cells"])
        else CellTable.empty()
    )
    if set(coverage["village_id"]) != set(layers["villages"]["village_id"]):
        return compute(ws, model=model_name, progress=progress)
    inputs = build_inputs(
        layers,
        coverage,
        model=chosen,
        metric_crs=ws.metric_crs,
        ftth_reach_m=ws.config.ftth_reach_m,
        cells=cells,
    )
    return Analysis(ws, layers, coverage, chosen, cells, inputs)
