"""Analysis commands: ``compute``, ``kpi``, ``gaps``, ``scorecard``."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tqdm import tqdm

from coverage_gis.admin import LEVELS
from coverage_gis.cli._args import workspace_command
from coverage_gis.cli._output import add_format_flags, print_frame, print_json, records
from coverage_gis.engine import SNAPSHOT_LEVELS, Analysis, compute, load
from coverage_gis.errors import LayerValidationError
from coverage_gis.gaps import GAP_KINDS
from coverage_gis.kpi import KPI_LABELS, labelled_headers, operator_kpis, partial_notes
from coverage_gis.models import MODEL_NAMES
from coverage_gis.revisions import kpi_snapshot
from coverage_gis.scorecard import plan_units_2025
from coverage_gis.workspace import Workspace

if TYPE_CHECKING:
    from coverage_gis.cli._args import Subcommands

_KPI_TABLE_COLUMNS = [
    "level",
    "code",
    "name",
    "villages",
    "villages_mobile_bb_pct",
    "villages_ftth_pct",
    "population_mobile_bb_pct",
    "households_ftth_pct",
    "sites",
    "sites_shared_pct",
    "operator_bts_shared_pct",
    "sites_5g",
    "pois_5g_pct",
]
#: Extra columns of the 2025 levels' table: how the units were built and whether they are whole.
_KPI_2025_COLUMNS = ["villages_2025_inferred", "pop_2009_present_pct", "partial"]
_GAP_TABLE_COLUMNS = [
    "rank",
    "id",
    "name",
    "commune_name",
    "district_name",
    "population",
    "reasons",
    "power_need",
    "recommendation",
    "cost_vnd",
]


def register(sub: Subcommands) -> None:
    p = workspace_command(
        sub,
        "compute",
        cmd_compute,
        help="compute per-village mobile and FTTH coverage (writes village_coverage)",
        description="Full recompute of every village's coverage with the workspace's coverage model.",
    )
    p.add_argument("--model", choices=MODEL_NAMES, help="coverage model (default: the workspace's)")
    add_format_flags(p)

    p = workspace_command(
        sub, "kpi", cmd_kpi, help="KPIs per province, district or commune (either hierarchy)"
    )
    p.add_argument("--level", choices=LEVELS, default="province", help="admin level (default province)")
    p.add_argument("--code", help="only this unit's code")
    p.add_argument("--all-columns", action="store_true", help="print every KPI column in the table view")
    p.add_argument(
        "--by-operator", action="store_true", help="per-operator village coverage (mobile BB, FTTH)"
    )
    p.add_argument(
        "--at",
        type=int,
        metavar="REVISION",
        help="KPIs as recorded right after this revision (province/district)",
    )
    add_format_flags(p)

    p = workspace_command(
        sub,
        "gaps",
        cmd_gaps,
        help="ranked gap list with causes, recommendations and costs",
        description="Villages without mobile broadband or FTTH (or priority places without 5G), "
        "ranked by population affected, each with reason, recommendation and cost estimate.",
    )
    p.add_argument("--kind", choices=GAP_KINDS, default="mobile", help="gap kind (default mobile)")
    p.add_argument("--no-roads", action="store_true", help="skip road routing for fiber extensions")
    add_format_flags(p, geojson=True)

    p = workspace_command(
        sub,
        "scorecard",
        cmd_scorecard,
        help="a plan's targets against the workspace: met / not met / no data",
    )
    p.add_argument("--plan", help="plan id from data/plans (default: the workspace's plan)")
    p.add_argument(
        "--indicators", type=Path, metavar="CSV", help="user statistics: code,indicator,value,date"
    )
    add_format_flags(p)


def _progress_bar(total: int) -> tuple[Any, Callable[[str], None]]:
    bar = tqdm(total=total, file=sys.stderr, leave=False, disable=None, bar_format="{desc} {bar} {n}/{total}")

    def step(message: str) -> None:
        bar.set_description_str(message)
        bar.update(1)

    return bar, step


def cmd_compute(args: argparse.Namespace) -> int:
    ws = Workspace.open(args.workspace)
    bar, step = _progress_bar(4)
    started = time.perf_counter()
    with bar:
        analysis = compute(ws, model=args.model, progress=step)
    elapsed = time.perf_counter() - started
    cov = analysis.coverage
    summary = {
        "workspace": ws.location,
        "model": analysis.model.name,
        "villages": len(cov),
        "mobile_bb": int(cov["mobile_bb"].sum()),
        "ftth": int(cov["ftth"].sum()),
        "seconds": round(elapsed, 2),
        "model_report": None if analysis.model_report is None else analysis.model_report.as_dict(),
    }
    if args.fmt == "json":
        print_json(summary)
    else:
        print(
            f"computed {summary['villages']} villages with the {summary['model']} model in {elapsed:.1f} s: "
            f"{summary['mobile_bb']} with mobile broadband, {summary['ftth']} with FTTH"
        )
        if analysis.model_report is not None:
            print(f"model report: {analysis.model_report.summary()}")
    return 0


def _analysis(path: Path) -> Analysis:
    return load(Workspace.open(path))


def cmd_kpi(args: argparse.Namespace) -> int:
    if args.by_operator:
        if args.at is not None:
            raise LayerValidationError("--by-operator works on the current state, not with --at", field="at")
        table = operator_kpis(_analysis(args.workspace).inputs, level=args.level)
        if args.code:
            table = table[table["code"] == args.code]
        print_frame(table, args.fmt, title=f"KPIs by operator and {args.level}")
        return 0
    if args.at is not None:
        if args.level not in SNAPSHOT_LEVELS:
            raise LayerValidationError(
                f"--at keeps {' and '.join(SNAPSHOT_LEVELS)} KPIs only, not {args.level}", field="level"
            )
        snapshot = kpi_snapshot(Workspace.open(args.workspace), args.at)
        kpis = snapshot[snapshot["level"] == args.level]
    else:
        kpis = _analysis(args.workspace).kpis(levels=[args.level])
    if args.code:
        kpis = kpis[kpis["code"] == args.code]
    if args.fmt == "csv":
        print_frame(kpis.set_axis(labelled_headers(kpis.columns), axis=1), "csv")
        return 0
    if args.fmt == "table":
        notes = partial_notes(kpis)
        if not args.all_columns:
            extra = _KPI_2025_COLUMNS if args.level.endswith("_2025") else []
            # Snapshots of older revisions (--at) may lack the newer columns.
            kpis = kpis[[c for c in (*_KPI_TABLE_COLUMNS, *extra) if c in kpis]]
        print_frame(kpis, "table", title=f"KPIs by {args.level}")
        _print_legend(kpis.columns)
        for note in notes:
            print(f"note: {note}")
        return 0
    print_frame(kpis, args.fmt)
    return 0


def _print_legend(columns: Any) -> None:
    """What each KPI column shown measures."""
    print()
    print("What the columns measure:")
    for col in columns:
        if col in KPI_LABELS and col not in ("level", "code", "name"):
            print(f"  {col}: {KPI_LABELS[col]}")


def cmd_gaps(args: argparse.Namespace) -> int:
    analysis = _analysis(args.workspace)
    gaps = analysis.gaps(args.kind, use_roads=not args.no_roads)
    if args.fmt == "table":
        print_frame(gaps[_GAP_TABLE_COLUMNS], "table", title=f"{len(gaps)} {args.kind} gaps")
    else:
        print_frame(gaps, args.fmt)
    return 0


def cmd_scorecard(args: argparse.Namespace) -> int:
    analysis = _analysis(args.workspace)
    plan = analysis.plan(args.plan)
    card = analysis.scorecard(plan.id, indicators_csv=args.indicators)
    units = plan_units_2025(plan, analysis.inputs)
    if args.fmt == "json":
        print_json(
            {
                "plan": plan.id,
                "province_code": plan.province_code,
                "indicators": records(card),
                "units_2025": records(units),
            }
        )
        return 0
    if args.fmt == "table":
        met = int((card["status"] == "met").sum())
        title = (
            f"{plan.title_en} ({plan.id}): {met} met, {int((card['status'] == 'not_met').sum())} not met, "
            f"{int((card['status'] == 'no_data').sum())} no data"
        )
        shown = card[
            [
                "indicator",
                "label_en",
                "comparator",
                "target",
                "unit",
                "actual",
                "status",
                "source",
                "sample_size",
            ]
        ]
        print_frame(shown, "table", title=title)
        print()
        print("What the values measure:")
        for _, row in card[card["measures"].notna() & card["actual"].notna()].iterrows():
            print(f"  {row['indicator']} ({row['kpi']}): {row['measures']}")
        for _, unit in units.iterrows():
            whole = (
                f"partial: this workspace holds {float(unit['pop_2009_present_pct']):.1f} % of its 2009 "
                "census population"
                if unit["partial"] is True
                else "whole in this workspace"
                if unit["partial"] is False
                else "whole population unknown"
            )
            print(
                f"note: since the 2025 reform the province lies in {unit['name']} ({unit['code']}), {whole}"
            )
        return 0
    print_frame(card, args.fmt)
    return 0
