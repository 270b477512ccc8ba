"""The ``plan`` command: a gap-closing plan of sites and fiber, its cost, phases and what-if."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from coverage_gis.cli._args import workspace_command
from coverage_gis.cli._output import print_frame, print_json, records, sheet_lang_of
from coverage_gis.engine import load
from coverage_gis.planning import Plan, PlanOptions, make_plan, what_if, write_plan
from coverage_gis.planning.whatif import WhatIf
from coverage_gis.vocabulary import OPERATORS
from coverage_gis.workspace import Workspace

if TYPE_CHECKING:
    from coverage_gis.cli._args import Subcommands

_KPI_COLUMNS = (
    "villages_mobile_bb_pct",
    "villages_ftth_pct",
    "population_mobile_bb_pct",
    "households_ftth_pct",
)


def register(sub: Subcommands) -> None:
    p = workspace_command(
        sub,
        "plan",
        cmd_plan,
        help="plan the sites and fiber that close the gaps: cost, phases, KPI curve, what-if",
        description=(
            "Choose candidate sites (co-location, planned-site activation, new masts at villages or on a "
            "grid) and fiber routes along roads that close the mobile and FTTH gaps. Without --budget or "
            "--max-sites every gap is closed at least cost; with them, the plan brings service to the "
            "most people within the limits. Actions are phased by population gained per VND."
        ),
    )
    p.add_argument("--budget", type=float, metavar="VND", help="total spend limit (sites and fiber)")
    p.add_argument("--max-sites", type=int, metavar="N", help="build or upgrade at most N sites")
    p.add_argument("--operator", choices=OPERATORS, help="plan for one operator's gaps and fiber")
    p.add_argument("--target", metavar="PLAN_ID", help="plan whose scorecard the what-if reports")
    p.add_argument(
        "--annual-budget", type=float, metavar="VND", help="spend per year: gives each action a year"
    )
    p.add_argument("--only", choices=["mobile", "ftth"], help="plan for one kind of gap only")
    p.add_argument(
        "--solver", choices=["highs", "greedy"], default="highs", help="siting solver (default highs)"
    )
    p.add_argument(
        "--out",
        type=Path,
        metavar="DIR",
        help="write the tables (GeoJSON, CSV, plan.xlsx), the site-edit batch and the fiber layers",
    )
    p.add_argument(
        "--what-if",
        action="store_true",
        help="apply the plan to a scratch copy (site edits + fiber import + recompute) and report KPIs",
    )
    p.add_argument("--scratch", type=Path, metavar="DIR", help="folder for the what-if copy (default: temp)")
    p.add_argument("--json", dest="fmt", action="store_const", const="json", default="table")


def _progress(enabled: bool) -> Any:
    if not enabled:
        return None
    from tqdm import tqdm

    bar = tqdm(total=100, desc="plan", unit="%", file=sys.stderr, leave=False)

    def report(step: str, fraction: float) -> None:
        bar.set_description(f"plan: {step}")
        bar.update(round(fraction * 100) - bar.n)
        if fraction >= 1.0:
            bar.close()

    return report


def cmd_plan(args: argparse.Namespace) -> int:
    options = PlanOptions(
        budget_vnd=args.budget,
        max_sites=args.max_sites,
        operator=args.operator,
        target=args.target,
        annual_budget_vnd=args.annual_budget,
        mobile=args.only != "ftth",
        ftth=args.only != "mobile",
        solver=args.solver,
    )
    options.check()
    analysis = load(Workspace.open(args.workspace))
    plan = make_plan(analysis, options, progress=_progress(args.fmt == "table" and sys.stderr.isatty()))
    written = write_plan(plan, args.out, lang=sheet_lang_of(args)) if args.out else {}
    outcome = what_if(analysis, plan, scratch=args.scratch) if args.what_if else None
    if args.fmt == "json":
        payload: dict[str, Any] = {
            "summary": plan.summary(),
            "sites": records(plan.sites),
            "fiber_branches": records(plan.fiber_branches),
            "villages": records(plan.villages),
            "actions": records(plan.actions),
            "curve": records(plan.curve),
            "files": {k: str(v) for k, v in written.items()},
        }
        if outcome is not None:
            payload["what_if"] = _what_if_payload(outcome)
        print_json(payload)
        return 0
    _print_plan(plan)
    if written:
        print(f"\nwrote {len(written)} files to {args.out}")
    if outcome is not None:
        _print_what_if(outcome)
    return 0


def _print_plan(plan: Plan) -> None:
    s = plan.summary()
    solver = s["solver"]
    gap = solver["optimality_gap"]
    print(
        f"{solver['model']} by {solver['method']} ({solver['status']}"
        + (f", optimality gap {gap * 100:.2f} %" if gap is not None else "")
        + f"; greedy alone: {solver['greedy_gap'] * 100:.2f} % off)"
        if solver["greedy_gap"] is not None
        else ")"
    )
    print(
        f"{s['sites']} sites ({', '.join(f'{v} {k}' for k, v in s['sites_by_kind'].items()) or 'none'}) "
        f"{s['site_cost_vnd']:,.0f} VND; fiber {s['fiber_branches']} villages, "
        + ", ".join(f"{k} {v / 1000:.2f} km" for k, v in s["fiber_length_m_by_class"].items())
        + f", {s['fiber_cost_vnd']:,.0f} VND; total {s['total_cost_vnd']:,.0f} VND\n"
    )
    if len(plan.sites):
        print_frame(
            plan.sites[
                [
                    "site_id",
                    "kind",
                    "power",
                    "grid_extension_m",
                    "villages",
                    "population",
                    "cost_vnd",
                    "phase",
                ]
            ],
            "table",
            title="Sites",
        )
        print()
    chosen = plan.fiber_branches[plan.fiber_branches["chosen"].astype(bool)]
    if len(chosen):
        print_frame(
            chosen[
                [
                    "branch_id",
                    "village_id",
                    "parent_branch",
                    "length_m",
                    "road_m",
                    "straight_line",
                    "cost_vnd",
                    "phase",
                ]
            ],
            "table",
            title="Fiber connections (parent_branch: shares that branch's cable)",
        )
        print()
    print_frame(
        plan.villages[["village_id", "name", "kind", "population", "status", "closed_by", "phase"]],
        "table",
        title="Gap villages",
    )
    print()
    curve = plan.curve[["step", "cumulative_cost_vnd", "villages_mobile_pct", "villages_ftth_pct"]]
    print_frame(curve, "table", title="KPI vs cumulative cost")


def _what_if_payload(outcome: WhatIf) -> dict[str, Any]:
    return {
        "scratch": str(outcome.scratch),
        "kpis_before": records(outcome.kpis_before),
        "kpis_after": records(outcome.kpis_after),
        "scorecard": records(outcome.scorecard) if outcome.scorecard is not None else None,
        "mobile_gaps": records(outcome.mobile_gaps),
        "ftth_gaps": records(outcome.ftth_gaps),
    }


def _print_what_if(outcome: WhatIf) -> None:
    print(f"\nWhat-if on a scratch copy ({outcome.scratch}); the workspace itself is unchanged")
    cols = ["code", "name", *_KPI_COLUMNS]
    both = pd.concat(
        [outcome.kpis_before[cols].assign(state="before"), outcome.kpis_after[cols].assign(state="after")],
        ignore_index=True,
    )
    print_frame(both[["state", *cols]], "table")
    if outcome.scorecard is not None:
        card = outcome.scorecard
        print()
        print_frame(card[["indicator", "target", "actual", "status"]], "table", title="Scorecard after")
    print(f"\nremaining gaps: {len(outcome.mobile_gaps)} mobile, {len(outcome.ftth_gaps)} FTTH")
