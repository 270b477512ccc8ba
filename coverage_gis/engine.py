"""Workspace-level analysis: load layers, run the model, store coverage, derive KPIs and gaps.

This module wires the single-concern modules together for one workspace: it reads
the input layers once, builds the model the workspace asks for, writes the
``village_coverage`` layer, and hands KPIs, scorecards and gap lists to the fronts
(CLI, API, map).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import geopandas as gpd
import pandas as pd

from coverage_gis._values import plain_value
from coverage_gis.admin import LEVELS, admin_columns
from coverage_gis.calibration import calibrated_model, workspace_calibration
from coverage_gis.costs import load_costs
from coverage_gis.coverage import coverage_from_layers
from coverage_gis.errors import LayerValidationError, NotFound
from coverage_gis.gaps import GAP_KINDS, five_g_gaps, ftth_gaps, mobile_gaps
from coverage_gis.kpi import DEFAULT_5G_CATEGORIES, compute_kpis
from coverage_gis.kpi_inputs import KpiInputs, build_inputs
from coverage_gis.layers import INPUT_LAYERS
from coverage_gis.models.base import CoverageModel
from coverage_gis.network import CellTable, cell_table_or_empty
from coverage_gis.plans import Plan, load_plan, plan_for_province
from coverage_gis.revisions import CoverageChange, RevisionRecord, coverage_is_current, default_author
from coverage_gis.routing import load_road_graph
from coverage_gis.scorecard import read_indicator_table, scorecard
from coverage_gis.speed import workspace_speed_settings
from coverage_gis.workspace import Workspace

Progress = Callable[[str], None]


def read_inputs(ws: Workspace) -> dict[str, pd.DataFrame]:
    """Every input layer of the workspace, and its challenge decisions (empty frames when absent)."""
    layers = {name: ws.read_layer(name, missing_ok=True) for name in (*INPUT_LAYERS, "overrides")}
    if layers["villages"].empty:
        raise NotFound(f"{ws.path}: no villages; import a villages layer or run `covgis demo`")
    return layers


def workspace_model(ws: Workspace, name: str | None = None) -> CoverageModel:
    """The coverage model the workspace asks for (or ``name``), with its stored calibration."""
    return calibrated_model(
        name or ws.config.model,
        calibration=workspace_calibration(ws.config.extra, source=str(ws.path / "workspace.yaml")),
        dem_path=ws.dem_path,
        metric_crs=ws.metric_crs,
    )


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
            speed_settings=workspace_speed_settings(self.ws.config.extra),
        )

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


SNAPSHOT_LEVELS: tuple[str, ...] = ("province", "district")


def kpi_records(kpis: pd.DataFrame) -> list[dict[str, object]]:
    """KPI rows as JSON-ready dicts (NaN → None), for revision snapshots and API payloads."""
    return [{str(k): plain_value(v) for k, v in row.items()} for row in kpis.to_dict(orient="records")]


def coverage_changes(old: pd.DataFrame, new: pd.DataFrame) -> list[CoverageChange]:
    """Villages whose mobile or FTTH flag differs between two coverage tables."""
    if not len(old):
        return []
    before = old.set_index("village_id")[["mobile_bb", "ftth"]].astype(object)
    before.columns = ["mobile_bb_before", "ftth_before"]
    after = new.set_index("village_id")[["mobile_bb", "ftth"]].astype(object)
    joined = pd.concat([after, before], axis=1, join="outer")
    flipped = (joined["mobile_bb"] != joined["mobile_bb_before"]) | (joined["ftth"] != joined["ftth_before"])
    return [
        CoverageChange(
            village_id=str(vid),
            mobile_before=_opt_bool(row["mobile_bb_before"]),
            mobile_after=_opt_bool(row["mobile_bb"]),
            ftth_before=_opt_bool(row["ftth_before"]),
            ftth_after=_opt_bool(row["ftth"]),
        )
        for vid, row in joined[flipped].iterrows()
    ]


def _opt_bool(value: object) -> bool | None:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    return bool(value)


def compute(
    ws: Workspace,
    *,
    model: str | None = None,
    write: bool = True,
    author: str | None = None,
    progress: Progress | None = None,
) -> Analysis:
    """Full recompute of village coverage; unless ``write`` is False, store it as a new revision."""
    step = progress or (lambda _msg: None)
    step("reading layers")
    layers = read_inputs(ws)
    chosen = workspace_model(ws, model)
    step(f"computing coverage ({chosen.name} model)")
    cells = cell_table_or_empty(layers, metric_crs=ws.metric_crs)
    coverage = coverage_from_layers(
        layers, metric_crs=ws.metric_crs, model=chosen, ftth_reach_m=ws.config.ftth_reach_m
    )
    step("KPIs")
    inputs = build_inputs(
        layers,
        coverage,
        model=chosen,
        metric_crs=ws.metric_crs,
        ftth_reach_m=ws.config.ftth_reach_m,
        cells=cells,
    )
    analysis = Analysis(ws, layers, coverage, chosen, cells, inputs)
    if write:
        step("writing village_coverage")
        old = ws.read_layer("village_coverage", missing_ok=True)
        coverage["revision"] = ws.revision + 1
        record = RevisionRecord(
            summary=f"full recompute ({chosen.name} model)",
            author=author or default_author(),
            kpi_snapshot=kpi_records(analysis.kpis(levels=SNAPSHOT_LEVELS)),
            coverage_changes=coverage_changes(old, coverage),
        )
        ws.write_layers({"village_coverage": coverage}, validate=False, revision=record)
    return analysis


def load(ws: Workspace, *, progress: Progress | None = None) -> Analysis:
    """The stored coverage when it is current, else a fresh computation (stored as a revision).

    Stored coverage is current unless the latest revision changed inputs without
    recomputing (an import) or the stored villages differ from the villages layer.
    """
    coverage = ws.read_layer("village_coverage", missing_ok=True)
    if coverage.empty or not coverage_is_current(ws):
        return compute(ws, progress=progress)
    layers = read_inputs(ws)
    model_name = str(coverage["model"].iloc[0])
    if set(coverage["village_id"]) != set(layers["villages"]["village_id"]):
        return compute(ws, model=model_name, progress=progress)
    chosen = workspace_model(ws, model_name)
    cells = cell_table_or_empty(layers, metric_crs=ws.metric_crs)
    inputs = build_inputs(
        layers,
        coverage,
        model=chosen,
        metric_crs=ws.metric_crs,
        ftth_reach_m=ws.config.ftth_reach_m,
        cells=cells,
    )
    return Analysis(ws, layers, coverage, chosen, cells, inputs)
