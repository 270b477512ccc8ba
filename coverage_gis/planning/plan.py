"""The gap-closing plan's result: the :class:`Plan` (tables of proposed sites, fiber, gap
villages, phased actions and the KPI-vs-cost curve, the solver report) and the plan
as site edits (:meth:`Plan.to_site_edits`) and fiber layers (:meth:`Plan.fiber_layers`)
that the normal edit and import paths accept; :class:`PlanOptions`, what is asked of
the planner. :func:`coverage_gis.planning.make.make_plan` makes one.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from coverage_gis._values import plain_value
from coverage_gis.costs import Costs
from coverage_gis.crs import STORAGE_CRS
from coverage_gis.errors import LayerValidationError
from coverage_gis.planning.candidates import SECTOR_AZIMUTHS_DEG, SiteDesign
from coverage_gis.planning.siting import Solver
from coverage_gis.site_edits import SiteEdit, edit_record
from coverage_gis.vocabulary import OPERATORS, OTHER_OPERATOR

#: ``progress(step, fraction)``: what is running and how far the plan is (0–1).
PlanProgress = Callable[[str, float], None]

NEEDS_BACKHAUL = "needs satellite/microwave"


@dataclass(frozen=True)
class PlanOptions:
    """What the planner is asked for.

    Attributes
    ----------
    budget_vnd
        Spend at most this much (sites and fiber together); None: close every gap.
    max_sites
        Build or upgrade at most this many sites.
    operator
        Plan for one operator (its gaps, its fiber, co-location on other masts);
        None: a neutral plan for every village without service (cells as ``Other``).
    target
        Plan id whose scorecard the what-if reports (default: the workspace's).
    annual_budget_vnd
        Spend per year, to give each phased action a year.
    mobile, ftth
        Which gaps to plan for.
    solver
        ``highs`` (exact, greedy fallback) or ``greedy``.
    time_limit_s
        Solver time limit.
    design
        Radio and siting rules of proposed sites.
    """

    budget_vnd: float | None = None
    max_sites: int | None = None
    operator: str | None = None
    target: str | None = None
    annual_budget_vnd: float | None = None
    mobile: bool = True
    ftth: bool = True
    solver: Solver = "highs"
    time_limit_s: float = 60.0
    design: SiteDesign = field(default_factory=SiteDesign)

    def check(self) -> None:
        """Reject impossible options with a message naming the option."""
        if self.budget_vnd is not None and not (self.budget_vnd >= 0 and math.isfinite(self.budget_vnd)):
            raise LayerValidationError("budget must be a non-negative number of VND", field="budget")
        if self.max_sites is not None and self.max_sites < 0:
            raise LayerValidationError("max-sites must be 0 or more", field="max_sites")
        if self.operator is not None and self.operator not in OPERATORS:
            raise LayerValidationError(
                f"unknown operator {self.operator!r}; choose {', '.join(OPERATORS)}", field="operator"
            )
        if self.annual_budget_vnd is not None and self.annual_budget_vnd <= 0:
            raise LayerValidationError("annual budget must be positive", field="annual_budget")

    @property
    def cell_operator(self) -> str:
        return self.operator or OTHER_OPERATOR

    @property
    def limited(self) -> bool:
        return self.budget_vnd is not None or self.max_sites is not None


@dataclass
class Plan:
    """A planner result. Tables are GeoDataFrames in EPSG:4326 (``curve`` is a DataFrame).

    Attributes
    ----------
    options
        What was asked.
    sites
        Proposed sites: ``site_id`` (new id, or the existing site's), ``candidate_id``,
        ``kind`` (activate/colocate/village/grid), ``operator``, ``power``,
        ``grid_extension_m``, ``road_access_m``, ``villages`` (ids it brings mobile
        broadband to), ``population``, ``cost_vnd``, ``phase``, ``year``.
    fiber
        New cable stretches: ``route_id``, ``branch_id``, ``class``, ``villages``,
        ``length_m``, ``straight_line``, ``phase``.
    fiber_branches
        One connection per village (see :class:`~.fiber_plan.FiberPlan`), ``chosen``.
    villages
        Every gap village: ``village_id``, ``name``, ``kind`` (mobile/ftth),
        ``population``, ``status`` (closed / not in budget / needs satellite/microwave),
        ``closed_by`` (site or branch id), ``phase``.
    actions
        Chosen actions in build order: ``phase``, ``action`` (site/fiber), ``id``,
        ``detail``, ``cost_vnd``, ``cumulative_cost_vnd``, ``population_gained``,
        ``population_per_million_vnd``, ``year``.
    curve
        KPIs after each phase against cumulative cost (phase 0: today).
    candidates
        Every candidate site considered, ``chosen`` flagged.
    solver
        Siting report: method, objective, bound, optimality gap, status, greedy's
        objective and gap.
    kpis_before, kpis_after
        Predicted headline KPIs (the curve's first and last rows).
    """

    options: PlanOptions
    costs: Costs
    sites: gpd.GeoDataFrame
    fiber: gpd.GeoDataFrame
    fiber_branches: gpd.GeoDataFrame
    villages: gpd.GeoDataFrame
    actions: gpd.GeoDataFrame
    curve: pd.DataFrame
    candidates: gpd.GeoDataFrame
    solver: dict[str, Any]
    rejected_candidates: dict[str, int]
    _existing_cells: pd.DataFrame = field(repr=False)

    @property
    def total_cost_vnd(self) -> float:
        return float(self.actions["cost_vnd"].sum()) if len(self.actions) else 0.0

    @property
    def kpis_before(self) -> dict[str, Any]:
        return {str(k): plain_value(v) for k, v in self.curve.iloc[0].items()}

    @property
    def kpis_after(self) -> dict[str, Any]:
        return {str(k): plain_value(v) for k, v in self.curve.iloc[-1].items()}

    def summary(self) -> dict[str, Any]:
        """Headline figures as plain JSON values."""
        fiber_len = (
            self.fiber.groupby("class")["length_m"].sum() if len(self.fiber) else pd.Series(dtype=float)
        )
        status = (
            self.villages.groupby(["kind", "status"]).size() if len(self.villages) else pd.Series(dtype=int)
        )
        return {
            "operator": self.options.cell_operator,
            "budget_vnd": self.options.budget_vnd,
            "max_sites": self.options.max_sites,
            "sites": len(self.sites),
            "sites_by_kind": {str(k): int(v) for k, v in self.sites["kind"].value_counts().items()},
            "site_cost_vnd": float(self.sites["cost_vnd"].sum()) if len(self.sites) else 0.0,
            "fiber_branches": int(self.fiber_branches["chosen"].sum()) if len(self.fiber_branches) else 0,
            "fiber_length_m_by_class": {str(k): float(v) for k, v in fiber_len.items()},
            "fiber_cost_vnd": float(self.fiber_branches.loc[self.fiber_branches["chosen"], "cost_vnd"].sum())
            if len(self.fiber_branches)
            else 0.0,
            "total_cost_vnd": self.total_cost_vnd,
            "gap_villages": {
                f"{key[0]}:{key[1]}": int(v) for key, v in zip(status.index, status.to_numpy(), strict=True)
            },
            "solver": {k: plain_value(v) for k, v in self.solver.items()},
            "kpis_before": self.kpis_before,
            "kpis_after": self.kpis_after,
            "rejected_candidates": dict(self.rejected_candidates),
        }

    # -- the plan as edits and layers ---------------------------------------------------------
    def to_site_edits(self, *, status: str = "on_air") -> list[SiteEdit]:
        """The proposed sites as one batch for ``covgis sites apply`` / ``LiveWorkspace.apply``.

        New masts are ``add`` edits with three 4G sectors; co-locations ``update`` the
        mast with its current cells plus three new ones; activations switch the planned
        site and cells on. With ``status="planned"`` new sites and cells are recorded as
        planned and activations are left out (they would change nothing).
        """
        if status not in ("on_air", "planned"):
            raise LayerValidationError("status must be on_air or planned", field="status")
        design = self.options.design
        edits: list[SiteEdit] = []
        ordered = self.sites.sort_values("phase")
        lon = ordered.geometry.x.to_numpy(dtype=np.float64)
        lat = ordered.geometry.y.to_numpy(dtype=np.float64)
        rows = pd.DataFrame(ordered.drop(columns="geometry")).to_dict(orient="records")
        for row, site_lon, site_lat in zip(rows, lon, lat, strict=True):
            site_id, kind = str(row["site_id"]), str(row["kind"])
            new_cells = [
                {
                    "cell_id": f"{site_id}-{'PLAN-' if kind == 'colocate' else ''}{design.tech}-{k + 1}",
                    "operator": str(row["operator"]),
                    "tech": design.tech,
                    "band_mhz": design.band_mhz,
                    "azimuth_deg": az,
                    "beamwidth_deg": design.beamwidth_deg,
                    "eirp_dbm": design.eirp_dbm,
                    "tilt_deg": design.tilt_deg,
                    "status": status,
                    "source": "plan",
                }
                for k, az in enumerate(SECTOR_AZIMUTHS_DEG)
            ]
            if kind == "activate":
                if status == "planned":
                    continue
                cells = self._existing_cells[self._existing_cells["site_id"] == site_id]
                planned = cells[(cells["status"] == "planned").to_numpy()]
                if self.options.operator:
                    planned = planned[(planned["operator"] == self.options.operator).to_numpy()]
                edits.append(
                    SiteEdit(
                        op="update",
                        site_id=site_id,
                        site={"status": "on_air"},
                        cell_changes={str(c): {"status": "on_air"} for c in planned["cell_id"]},
                    )
                )
            elif kind == "colocate":
                current = self._existing_cells[self._existing_cells["site_id"] == site_id]
                kept = [
                    {str(k): plain_value(v) for k, v in rec.items()}
                    for rec in current.to_dict(orient="records")
                ]
                kept = [{k: v for k, v in rec.items() if v is not None} for rec in kept]
                edits.append(SiteEdit(op="update", site_id=site_id, cells=[*kept, *new_cells]))
            else:
                edits.append(
                    SiteEdit(
                        op="add",
                        site_id=site_id,
                        site={
                            "lon": float(site_lon),
                            "lat": float(site_lat),
                            "name": str(row["name"]),
                            "owner": str(row["operator"]),
                            "status": status,
                            "height_m": float(row["height_m"]),
                            "has_grid_power": row["power"] in ("grid", "grid_extension"),
                            "source": "plan",
                        },
                        cells=new_cells,
                    )
                )
        return edits

    def site_edit_records(self, *, status: str = "on_air") -> list[dict[str, Any]]:
        """:meth:`to_site_edits` as the JSON list ``covgis sites apply`` reads."""
        return [edit_record(edit) for edit in self.to_site_edits(status=status)]

    def fiber_layers(self, *, status: str = "on_air") -> dict[str, gpd.GeoDataFrame]:
        """The chosen fiber as ``fiber_routes`` (one per cable stretch) and ``fiber_nodes``
        (a splitter at each connected village's centre) rows, ready to import."""
        operator = self.options.cell_operator
        chosen_branches = set(self.fiber_branches.loc[self.fiber_branches["chosen"], "branch_id"])
        stretches = self.fiber[self.fiber["branch_id"].isin(chosen_branches)]
        routes = gpd.GeoDataFrame(
            {
                "route_id": [f"PLAN-{r}" for r in stretches["route_id"]],
                "operator": operator,
                "class": stretches["class"].to_numpy(dtype=object),
                "status": status,
                "source": "plan",
            },
            geometry=stretches.geometry.to_numpy(),
            crs=STORAGE_CRS,
        )
        connected = self.villages[
            (self.villages["kind"] == "ftth").to_numpy() & (self.villages["status"] == "closed").to_numpy()
        ]
        nodes = gpd.GeoDataFrame(
            {
                "node_id": [f"PLAN-N-{v}" for v in connected["village_id"]],
                "operator": operator,
                "kind": "splitter",
                "status": status,
                "source": "plan",
            },
            geometry=connected.geometry.to_numpy(),
            crs=STORAGE_CRS,
        )
        return {"fiber_routes": routes, "fiber_nodes": nodes}
