"""Making the gap-closing plan: :func:`make_plan` wires the planning steps together for
one analysed workspace and returns a :class:`~coverage_gis.planning.plan.Plan`.

Without a budget or site limit the plan closes every gap it can: least-cost set
covering for sites and a connection for every village without FTTH. With a budget
(or ``max_sites``) it is one budgeted maximal-covering model over sites and fiber
branches together (a branch requires the branch it hangs from), weighing the
population that gains mobile broadband and FTTH.
"""

from __future__ import annotations

import math
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp

from coverage_gis.costs import Costs, load_costs
from coverage_gis.coverage import coverage_by_village
from coverage_gis.crs import STORAGE_CRS
from coverage_gis.engine import Analysis
from coverage_gis.gaps import fiber_taps
from coverage_gis.planning.candidates import Candidates, build_candidates
from coverage_gis.planning.fiber_plan import FiberPlan, plan_fiber, road_csr
from coverage_gis.planning.phasing import kpi_curve, phase, years
from coverage_gis.planning.plan import NEEDS_BACKHAUL, Plan, PlanOptions, PlanProgress
from coverage_gis.planning.siting import Selection, max_cover, set_cover
from coverage_gis.routing import RoadGraph, load_road_graph


def _has_operator(names: pd.Series, operator: str) -> np.ndarray:
    return names.fillna("").astype(str).str.split(",").apply(lambda ops: operator in ops).to_numpy(dtype=bool)


def gap_masks(
    analysis: Analysis, operator: str | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Mobile and FTTH gap masks over the villages layer (for ``operator``, its own gaps),
    and today's covered masks."""
    # A village without a coverage row counts as a gap.
    cov = coverage_by_village(
        analysis.coverage, analysis.layers.villages["village_id"].to_numpy(dtype=object)
    )
    if operator:
        mobile = _has_operator(cov["operators"], operator)
        ftth = _has_operator(cov["ftth_operators"], operator)
    else:
        mobile = cov["mobile_bb"].astype("boolean").fillna(False).to_numpy(dtype=bool)
        ftth = cov["ftth"].astype("boolean").fillna(False).to_numpy(dtype=bool)
    return ~mobile, ~ftth, mobile, ftth


def _fiber_features(analysis: Analysis, operator: str | None) -> gpd.GeoSeries:
    """The on-air assets new fiber may splice into, by the gap list's rule (a backbone
    only at a node): :func:`coverage_gis.gaps.fiber_taps`, of one operator if given."""
    layers = analysis.layers
    taps, geoms = fiber_taps(layers.fiber_routes, layers.fiber_nodes, STORAGE_CRS)
    if operator:
        geoms = geoms[np.array([t.operator == operator for t in taps], dtype=bool)]
    return gpd.GeoSeries(geoms, crs=STORAGE_CRS)


def _roads(analysis: Analysis) -> RoadGraph | None:
    path = analysis.ws.roads_path
    return load_road_graph(path, metric_crs=analysis.metric_crs) if path is not None else None


def _select(
    options: PlanOptions,
    candidates: Candidates,
    fiber: FiberPlan,
    mobile_pop: np.ndarray,
    ftth_rows: np.ndarray,
    ftth_pop: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    """Chosen candidate sites and fiber branches (boolean masks) and the solver report."""
    n_sites = len(candidates.table)
    n_branches = len(fiber.branches)
    branch_cost = fiber.branches["cost_vnd"].to_numpy(dtype=np.float64)
    if not options.limited:
        picked = set_cover(
            candidates.coverage, candidates.cost_vnd, solver=options.solver, time_limit_s=options.time_limit_s
        )
        sites = np.zeros(n_sites, dtype=bool)
        sites[picked.chosen] = True
        greedy = set_cover(candidates.coverage, candidates.cost_vnd, solver="greedy")
        return sites, np.ones(n_branches, dtype=bool), _report("set covering (least cost)", picked, greedy)
    # One budgeted maximal-covering model: demands = mobile gap villages, then FTTH gap
    # villages; candidates = sites, then fiber branches (each covers its own village).
    n_mobile = candidates.coverage.shape[0]
    branch_matrix = sp.csr_array(
        (np.ones(n_branches), (ftth_rows, np.arange(n_branches))), shape=(len(ftth_pop), n_branches)
    )
    coverage = sp.block_array([[candidates.coverage, None], [None, branch_matrix]], format="csr")
    if coverage.shape != (n_mobile + len(ftth_pop), n_sites + n_branches):
        coverage = sp.csr_array(coverage, shape=(n_mobile + len(ftth_pop), n_sites + n_branches))
    weight = np.concatenate([mobile_pop, ftth_pop]).astype(np.float64)
    cost = np.concatenate([candidates.cost_vnd, branch_cost])
    index = {b: i for i, b in enumerate(fiber.branches["branch_id"])}
    parent = np.concatenate(
        [
            np.full(n_sites, -1, dtype=np.int64),
            np.array(
                [n_sites + index[p] if isinstance(p, str) else -1 for p in fiber.branches["parent_branch"]],
                dtype=np.int64,
            ),
        ]
    )
    counted = np.concatenate([np.ones(n_sites, dtype=bool), np.zeros(n_branches, dtype=bool)])
    kwargs: dict[str, Any] = {
        "budget": options.budget_vnd,
        "max_sites": options.max_sites,
        "counted": counted,
        "parent": parent,
    }
    picked = max_cover(
        coverage, weight, cost, solver=options.solver, time_limit_s=options.time_limit_s, **kwargs
    )
    greedy = max_cover(coverage, weight, cost, solver="greedy", **kwargs)
    chosen = np.zeros(n_sites + n_branches, dtype=bool)
    chosen[picked.chosen] = True
    return (
        chosen[:n_sites],
        chosen[n_sites:],
        _report("budgeted maximal covering (population)", picked, greedy),
    )


def _report(model: str, picked: Selection, greedy: Selection) -> dict[str, Any]:
    return {
        "model": model,
        "method": picked.method,
        "status": picked.status,
        "objective": picked.objective,
        "bound": picked.bound,
        "optimality_gap": picked.gap,
        "greedy_objective": greedy.objective,
        "greedy_gap": greedy.gap
        if picked.method == "greedy"
        else (abs(picked.objective - greedy.objective) / abs(picked.objective) if picked.objective else 0.0),
    }


def make_plan(
    analysis: Analysis,
    options: PlanOptions | None = None,
    *,
    costs: Costs | None = None,
    roads: RoadGraph | None = None,
    progress: PlanProgress | None = None,
) -> Plan:
    """Plan sites and fiber for the gaps of an analysed workspace.

    Parameters
    ----------
    analysis
        The workspace with its current coverage (``coverage_gis.engine.load``).
    options
        Budget, operator, limits (default: close every gap, neutral operator).
    costs
        Unit costs (default: ``layers/costs.yaml``).
    roads
        The road graph, when the caller has loaded it (default: read ``roads.osm``).
    progress
        Called with a step name and the fraction done.
    """
    opts = options or PlanOptions()
    opts.check()
    step = progress or (lambda _s, _f: None)
    unit = costs or load_costs()
    villages = analysis.layers.villages
    step("gap villages", 0.0)
    mobile_gap, ftth_gap, mobile_ok, ftth_ok = gap_masks(analysis, opts.operator)
    if not opts.mobile:
        mobile_gap = np.zeros(len(villages), dtype=bool)
    if not opts.ftth:
        ftth_gap = np.zeros(len(villages), dtype=bool)
    step("road network", 0.1)
    road_graph = (
        roads if roads is not None else (_roads(analysis) if (ftth_gap.any() or mobile_gap.any()) else None)
    )
    csr = road_csr(road_graph) if road_graph is not None else None
    step("candidate sites", 0.25)
    candidates = build_candidates(
        analysis,
        mobile_gap,
        operator=opts.cell_operator,
        costs=unit,
        design=opts.design,
        road_tree=road_graph.tree if road_graph is not None else None,
    )
    step("fiber routes", 0.5)
    ftth_villages = villages[ftth_gap]
    fiber = plan_fiber(
        ftth_villages,
        _fiber_features(analysis, opts.operator),
        metric_crs=analysis.metric_crs,
        costs=unit,
        roads=road_graph,
        csr=csr,
    )
    step("choosing sites and routes", 0.7)
    population = villages["population"].fillna(0).to_numpy(dtype=np.float64)
    mobile_idx = np.flatnonzero(mobile_gap)
    ftth_idx = np.flatnonzero(ftth_gap)
    ftth_pos = {v: i for i, v in enumerate(villages["village_id"].to_numpy()[ftth_idx])}
    ftth_rows = np.array([ftth_pos[v] for v in fiber.branches["village_id"]], dtype=np.int64)
    site_pick, branch_pick, report = _select(
        opts, candidates, fiber, population[mobile_idx], ftth_rows, population[ftth_idx]
    )
    step("phasing", 0.85)
    plan = _assemble(
        analysis,
        opts,
        unit,
        candidates,
        fiber,
        site_pick,
        branch_pick,
        report,
        mobile_idx=mobile_idx,
        ftth_idx=ftth_idx,
        ftth_rows=ftth_rows,
        covered_today={"mobile": int(mobile_ok.sum()), "ftth": int(ftth_ok.sum())},
        population_today={
            "mobile": float(population[mobile_ok].sum()),
            "ftth": float(population[ftth_ok].sum()),
        },
    )
    step("done", 1.0)
    return plan


def _assemble(
    analysis: Analysis,
    opts: PlanOptions,
    unit: Costs,
    candidates: Candidates,
    fiber: FiberPlan,
    site_pick: np.ndarray,
    branch_pick: np.ndarray,
    report: dict[str, Any],
    *,
    mobile_idx: np.ndarray,
    ftth_idx: np.ndarray,
    ftth_rows: np.ndarray,
    covered_today: dict[str, int],
    population_today: dict[str, float],
) -> Plan:
    villages = analysis.layers.villages
    population = villages["population"].fillna(0).to_numpy(dtype=np.float64)
    ids = villages["village_id"].to_numpy(dtype=object)
    names = villages["name"].to_numpy(dtype=object)
    site_index = np.flatnonzero(site_pick)
    branch_index = np.flatnonzero(branch_pick)
    n_mobile, n_ftth = len(mobile_idx), len(ftth_idx)

    # Actions: chosen sites, then chosen branches; demands: mobile gaps, then FTTH gaps.
    site_cov = (
        sp.csc_array(candidates.coverage[:, site_index]) if len(site_index) else sp.csc_array((n_mobile, 0))
    )
    action_cov = sp.block_array(
        [
            [site_cov, None],
            [
                None,
                sp.csc_array(
                    (np.ones(len(branch_index)), (ftth_rows[branch_index], np.arange(len(branch_index)))),
                    shape=(n_ftth, len(branch_index)),
                ),
            ],
        ],
        format="csr",
    )
    action_cov = sp.csr_array(action_cov, shape=(n_mobile + n_ftth, len(site_index) + len(branch_index)))
    branch_ids = fiber.branches["branch_id"].to_numpy(dtype=object)
    local = {b: i for i, b in enumerate(branch_ids[branch_index])}
    parent = np.concatenate(
        [
            np.full(len(site_index), -1, dtype=np.int64),
            np.array(
                [
                    len(site_index) + local[p] if isinstance(p, str) and p in local else -1
                    for p in fiber.branches["parent_branch"].to_numpy(dtype=object)[branch_index]
                ],
                dtype=np.int64,
            ),
        ]
    )
    cost = np.concatenate(
        [candidates.cost_vnd[site_index], fiber.branches["cost_vnd"].to_numpy(dtype=np.float64)[branch_index]]
    )
    demand_village = np.concatenate([mobile_idx, ftth_idx])
    demand_kind = np.array(["mobile"] * n_mobile + ["ftth"] * n_ftth, dtype=object)
    weight = population[demand_village]
    phasing = phase(action_cov, weight, cost, parent)
    curve = kpi_curve(
        phasing,
        cost,
        demand_kind=demand_kind,
        demand_population=weight,
        villages_total=len(villages),
        villages_covered=covered_today,
        population_covered=population_today,
        population_total=float(population.sum()),
    )
    step_of = np.empty(len(cost), dtype=np.int64)
    step_of[phasing.order] = np.arange(1, len(phasing.order) + 1)
    cumulative = np.cumsum(cost[phasing.order])
    year_of = years(cumulative, opts.annual_budget_vnd)

    # Sites table.
    table = candidates.table.iloc[site_index].reset_index(drop=True)
    new_ids = iter(f"PLAN-S{k + 1:03d}" for k in range(len(table)))
    site_ids = [
        str(s) if k in ("activate", "colocate") else next(new_ids)
        for s, k in zip(table["site_id"], table["kind"], strict=True)
    ]
    gained_by_action = {int(j): rows for j, rows in zip(phasing.order, phasing.gained, strict=True)}
    covers = [np.flatnonzero(np.asarray(site_cov[:, [k]].todense()).ravel()) for k in range(len(site_index))]
    sites = table.assign(
        site_id=site_ids,
        name=[
            f"Trạm đề xuất {sid}" if k not in ("activate", "colocate") else f"{k} {sid}"
            for sid, k in zip(site_ids, table["kind"], strict=True)
        ],
        villages=[",".join(str(ids[mobile_idx[r]]) for r in rows) for rows in covers],
        population=[float(population[mobile_idx[r]].sum()) for r in covers],
        phase=step_of[: len(site_index)],
        year=year_of[step_of[: len(site_index)] - 1] if len(site_index) else [],
    )
    sites = gpd.GeoDataFrame(sites, geometry="geometry", crs=STORAGE_CRS)

    # Fiber tables.
    branches = fiber.branches.copy()
    branches["chosen"] = branch_pick
    branch_phase = np.zeros(len(branches), dtype=np.int64)
    branch_phase[branch_index] = step_of[len(site_index) :]
    branches["phase"] = branch_phase
    segments = fiber.segments.merge(branches[["branch_id", "phase", "chosen"]], on="branch_id", how="left")
    segments = gpd.GeoDataFrame(segments, geometry="geometry", crs=STORAGE_CRS)

    # Gap villages.
    rows: list[dict[str, Any]] = []
    geoms = []
    closed_mobile: dict[int, tuple[str, int]] = {}
    for a, j in enumerate(phasing.order):
        for r in gained_by_action[int(j)]:
            if r < n_mobile:
                closed_mobile[int(r)] = (site_ids[int(j)], a + 1)
    for r, v in enumerate(mobile_idx):
        by = closed_mobile.get(r)
        status = (
            "closed"
            if by
            else (NEEDS_BACKHAUL if candidates.coverage[[r], :].sum() == 0 else "not in budget")
        )
        rows.append(
            {
                "village_id": ids[v],
                "name": names[v],
                "kind": "mobile",
                "population": population[v],
                "status": status,
                "closed_by": by[0] if by else None,
                "phase": by[1] if by else None,
            }
        )
        geoms.append(villages.geometry.iloc[v])
    branch_of = dict(zip(branches["village_id"], range(len(branches)), strict=True))
    for v in ftth_idx:
        b = branch_of.get(ids[v])
        branch: str | None = None
        ph: int | None = None
        if b is None:
            status = NEEDS_BACKHAUL
        elif branch_pick[b]:
            status, branch, ph = "closed", str(branch_ids[b]), int(branch_phase[b])
        else:
            status = "not in budget"
        rows.append(
            {
                "village_id": ids[v],
                "name": names[v],
                "kind": "ftth",
                "population": population[v],
                "status": status,
                "closed_by": branch,
                "phase": ph,
            }
        )
        geoms.append(villages.geometry.iloc[v])
    gap_table = gpd.GeoDataFrame(
        pd.DataFrame(
            rows, columns=["village_id", "name", "kind", "population", "status", "closed_by", "phase"]
        ),
        geometry=gpd.GeoSeries(geoms, crs=STORAGE_CRS),
        crs=STORAGE_CRS,
    )

    # Actions in build order.
    action_rows = []
    action_geoms = []
    for j_action in phasing.order:
        j = int(j_action)
        if j < len(site_index):
            row = sites.iloc[j]
            detail = f"{row['kind']} site, power {row['power']}"
            action_rows.append(("site", row["site_id"], detail))
            action_geoms.append(row.geometry)
        else:
            b = int(branch_index[j - len(site_index)])
            row = branches.iloc[b]
            detail = f"fiber to {row['village_id']}: {row['length_m'] / 1000:.2f} km" + (
                " (straight-line estimate)" if row["straight_line"] else ""
            )
            action_rows.append(("fiber", row["branch_id"], detail))
            action_geoms.append(row.geometry)
    gained_pop = [float(weight[rows_].sum()) for rows_ in phasing.gained]
    ordered_cost = cost[phasing.order]
    actions = gpd.GeoDataFrame(
        {
            "phase": np.arange(1, len(phasing.order) + 1),
            "action": [r[0] for r in action_rows],
            "id": [r[1] for r in action_rows],
            "detail": [r[2] for r in action_rows],
            "cost_vnd": ordered_cost,
            "cumulative_cost_vnd": cumulative,
            "population_gained": gained_pop,
            "population_per_million_vnd": [
                p / (c / 1e6) if c > 0 else math.inf for p, c in zip(gained_pop, ordered_cost, strict=True)
            ],
            "year": year_of,
        },
        geometry=gpd.GeoSeries(action_geoms, crs=STORAGE_CRS),
        crs=STORAGE_CRS,
    )
    all_candidates = candidates.table.copy()
    all_candidates["chosen"] = site_pick
    return Plan(
        options=opts,
        costs=unit,
        sites=sites,
        fiber=segments,
        fiber_branches=branches,
        villages=gap_table,
        actions=actions,
        curve=curve,
        candidates=all_candidates,
        solver=report,
        rejected_candidates=candidates.rejected,
        _existing_cells=analysis.layers.cells,
    )
