"""Analysis commands: ``compute``, ``kpi``, ``gaps``, ``scorecard``, ``report``."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
from tqdm import tqdm

from coverage_gis.admin import LEVELS
from coverage_gis.cli._args import workspace_command
from coverage_gis.cli._output import (
    add_format_flags,
    lang_of,
    print_frame,
    print_json,
    print_wrapped,
    records,
    sheet_lang_of,
)
from coverage_gis.display import MONEY_UNITS, Lang, first_few
from coverage_gis.engine import SNAPSHOT_LEVELS, Analysis, compute, load
from coverage_gis.errors import LayerValidationError
from coverage_gis.gaps import GAP_KINDS, GAP_SUMMARY_COLUMNS
from coverage_gis.kpi import operator_kpis, partial_notes, require_unit
from coverage_gis.kpi_labels import kpi_labels, labelled_headers
from coverage_gis.messages import code_label, header, labels, text, translated_gaps
from coverage_gis.models import MODEL_NAMES
from coverage_gis.province_report import SCORECARD_REPORT_COLUMNS, scorecard_for_people, write_report
from coverage_gis.reports import Sheet, write_xlsx
from coverage_gis.revisions import kpi_snapshot
from coverage_gis.scorecard import plan_elsewhere_note, plan_units_2025, unit_2025_note
from coverage_gis.workspace import Workspace

if TYPE_CHECKING:
    from coverage_gis.cli._args import Subcommands

_KPI_TABLE_COLUMNS = [
    "code",
    "name",
    "villages",
    "villages_mobile_bb_pct",
    "villages_ftth_pct",
    "population_mobile_bb_pct",
    "households_ftth_pct",
    "sites_shared_pct",
    "operator_bts_shared_pct",
    "pois_5g_pct",
]
#: Extra columns of the 2025 levels' table: how the units were built and whether they are whole.
_KPI_2025_COLUMNS = ["villages_2025_inferred", "pop_2009_present_pct", "partial"]
#: The scorecard table: the report's columns but the codes, intervals and dates (--wide shows all).
_SCORECARD_TABLE_COLUMNS = [
    c
    for c in SCORECARD_REPORT_COLUMNS
    if c not in ("indicator", "ci_low", "ci_high", "as_of", "deadline", "section")
]
#: Gap filters: option → (gap-list column, KPI level whose codes it takes).
_GAP_FILTERS: dict[str, tuple[str, str]] = {
    "district": ("district_code", "district"),
    "commune": ("commune_code", "commune"),
}


def register(sub: Subcommands) -> None:
    p = workspace_command(
        sub,
        "compute",
        cmd_compute,
        help="compute per-village mobile and FTTH coverage (writes village_coverage)",
        description="Full recompute of every village's coverage with the workspace's coverage model, "
        "stored as a new revision.",
    )
    p.add_argument("--model", choices=MODEL_NAMES, help="coverage model (default: the workspace's)")
    p.add_argument(
        "--if-stale",
        action="store_true",
        help="only when the stored coverage is not current (or was made with another model): "
        "re-running on an unchanged workspace adds no revision",
    )
    add_format_flags(p)

    p = workspace_command(
        sub, "kpi", cmd_kpi, help="KPIs per province, district or commune (either hierarchy)"
    )
    p.add_argument("--level", choices=LEVELS, default="province", help="admin level (default province)")
    p.add_argument("--code", help="only this unit's code (an unknown code is an error, exit 2)")
    p.add_argument("--all-columns", dest="wide", action="store_true", help="the same as --wide")
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
    p.add_argument(
        "--district", metavar="CODE", help="only this district's gaps (as /v1/gaps?district_code=)"
    )
    p.add_argument("--commune", metavar="CODE", help="only this commune's gaps (as /v1/gaps?commune_code=)")
    p.add_argument("--no-roads", action="store_true", help="skip road routing for fiber extensions")
    p.add_argument(
        "--xlsx",
        type=Path,
        metavar="FILE",
        help="also write the list as a workbook (Vietnamese headers and words unless --lang en)",
    )
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

    p = workspace_command(
        sub,
        "report",
        cmd_report,
        help="write the provincial report workbook (XLSX): KPIs, scorecard, gap lists, sources",
        description="One workbook for the department: an information sheet (source, workspace revision, "
        "coverage model, date), KPIs by province, district and commune in both hierarchies, the plan's "
        "scorecard and the mobile, FTTH and 5G gap lists. Vietnamese headers unless --lang en.",
    )
    p.add_argument("--out", type=Path, required=True, metavar="FILE", help="workbook to write (.xlsx)")
    p.add_argument(
        "--money",
        choices=MONEY_UNITS,
        default="dong",
        help="money in whole đồng or triệu đồng (default dong)",
    )
    p.add_argument(
        "--json", dest="fmt", action="store_const", const="json", default="text", help="JSON summary"
    )


def _progress_bar(total: int) -> tuple[Any, Callable[[str], None]]:
    bar = tqdm(total=total, file=sys.stderr, leave=False, disable=None, bar_format="{desc} {bar} {n}/{total}")

    def step(message: str) -> None:
        bar.set_description_str(message)
        bar.update(1)

    return bar, step


def _wanted_model(ws: Workspace, args: argparse.Namespace) -> str:
    return str(args.model or ws.config.model)


def cmd_compute(args: argparse.Namespace) -> int:
    lang = lang_of(args)
    ws = Workspace.open(args.workspace)
    if args.if_stale:
        current = load(ws)
        if current.coverage_stored and current.model.name == _wanted_model(ws, args):
            if args.fmt == "json":
                print_json(
                    {
                        "workspace": ws.location,
                        "model": current.model.name,
                        "revision": current.revision,
                        "computed": False,
                    }
                )
            else:
                print(text("coverage_current", lang, revision=current.revision, model=current.model.name))
            return 0
    bar, step = _progress_bar(4)
    started = time.perf_counter()
    with bar:
        analysis = compute(ws, model=args.model, progress=step)
    elapsed = time.perf_counter() - started
    cov = analysis.coverage
    # Villages no commune holds: coverage without a unit, in no KPI (said, not left to find).
    admin = analysis.inputs.villages
    unplaced = admin.loc[admin["census_commune_id"].isna().to_numpy(), "village_id"].astype(str).tolist()
    # On-air sites that radiate nothing (a list of sites imported without its cells): said,
    # since they cover no village and the coverage alone would not tell why.
    sites = analysis.layers.sites
    radiating = set(analysis.cells.site_id[analysis.cells.on_air].astype(str))
    silent = [
        str(s)
        for s in sites.loc[(sites["status"] == "on_air").to_numpy(dtype=bool), "site_id"]
        if str(s) not in radiating
    ]
    summary = {
        "workspace": ws.location,
        "model": analysis.model.name,
        "revision": analysis.revision,
        "computed": True,
        "villages": len(cov),
        "mobile_bb": int(cov["mobile_bb"].sum()),
        "ftth": int(cov["ftth"].sum()),
        "seconds": round(elapsed, 2),
        "model_report": None if analysis.model_report is None else analysis.model_report.as_dict(),
        "villages_in_no_commune": len(unplaced),
        "on_air_sites_without_cells": len(silent),
    }
    if args.fmt == "json":
        print_json(summary)
    else:
        print(
            text(
                "computed",
                lang,
                villages=summary["villages"],
                model=summary["model"],
                seconds=f"{elapsed:.1f}".replace(".", "," if lang == "vi" else "."),
                mobile=summary["mobile_bb"],
                ftth=summary["ftth"],
            )
        )
        if analysis.model_report is not None:
            print(f"model report: {analysis.model_report.summary()}")
        for key, found in (("villages_in_no_commune", unplaced), ("sites_without_cells", silent)):
            if found:
                ids = first_few(found, 5)
                print(text(key, lang, count=len(found), ids=ids), file=sys.stderr)
    return 0


def _analysis(path: Path) -> Analysis:
    return load(Workspace.open(path))


def cmd_kpi(args: argparse.Namespace) -> int:
    lang = lang_of(args)
    level_words = code_label("level", args.level, lang)
    if args.by_operator:
        if args.at is not None:
            raise LayerValidationError("--by-operator works on the current state, not with --at", field="at")
        analysis = _analysis(args.workspace)
        if args.code:
            require_unit(analysis.kpis(levels=[args.level]), args.level, args.code)
        table = operator_kpis(analysis.inputs, level=args.level)
        if args.code:
            table = table[table["code"] == args.code]
        title = text("kpi_by_operator_title", lang, level=level_words)
        print_frame(table, args.fmt, title=title, args=args, columns=["operator", *_KPI_TABLE_COLUMNS])
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
        kpis = require_unit(kpis, args.level, args.code)
    if args.fmt == "csv":
        # Column names for scripts, each saying what it measures (``name: label``).
        print_frame(kpis.set_axis(labelled_headers(kpis.columns), axis=1), "csv", args=args)
        return 0
    if args.fmt != "table":
        print_frame(kpis, args.fmt, args=args)
        return 0
    extra = _KPI_2025_COLUMNS if args.level.endswith("_2025") else []
    # Snapshots of older revisions (--at) may lack the newer columns.
    columns = [c for c in (*_KPI_TABLE_COLUMNS, *extra) if c in kpis]
    shown = print_frame(
        kpis, "table", title=text("kpi_title", lang, level=level_words), args=args, columns=columns
    )
    _print_legend(shown, lang)
    for note in partial_notes(kpis, lang=lang):
        print_wrapped(f"{text('note', lang)}: {note}")
    return 0


def _print_legend(columns: Sequence[str], lang: Lang) -> None:
    """What each KPI column shown measures: its header, its name and its definition."""
    print()
    print(text("legend_title", lang))
    words = kpi_labels(lang)
    for col in columns:
        if col in words and col not in ("level", "code", "name"):
            print_wrapped(f"{header(col, lang)} = {col}: {words[col]}", indent="  ")


def _filtered_gaps(
    analysis: Analysis, gaps: pd.DataFrame, args: argparse.Namespace
) -> tuple[pd.DataFrame, list[str]]:
    """The gaps in the units ``--district``/``--commune`` name (exit 2 for an unknown code)."""
    where: list[str] = []
    for option, (column, level) in _GAP_FILTERS.items():
        code = getattr(args, option)
        if code is None:
            continue
        unit = require_unit(analysis.kpis(levels=[level]), level, code)
        gaps = gaps[gaps[column].astype(str) == str(code)]
        where.append(str(unit["name"].iloc[0] or code))
    return gaps, where


def cmd_gaps(args: argparse.Namespace) -> int:
    lang = lang_of(args)
    analysis = _analysis(args.workspace)
    gaps: pd.DataFrame = analysis.gaps(args.kind, use_roads=not args.no_roads)
    gaps, where = _filtered_gaps(analysis, gaps, args)
    if args.xlsx is not None:
        sheet_lang = sheet_lang_of(args)
        shown = translated_gaps(gaps, sheet_lang)
        title = code_label("report_sheet", f"gaps_{args.kind}", sheet_lang)
        columns = [str(c) for c in shown.columns]
        write_xlsx([Sheet(title, shown, labels(columns))], args.xlsx, lang=sheet_lang)
        print(text("wrote_xlsx", lang, path=args.xlsx, rows=len(gaps)), file=sys.stderr)
    if args.fmt != "table":
        print_frame(gaps, args.fmt, args=args)
        return 0
    kind = code_label("gap_kind", args.kind, lang)
    title = (
        text("gaps_title_filtered", lang, count=len(gaps), kind=kind, where=", ".join(where))
        if where
        else text("gaps_title", lang, count=len(gaps), kind=kind)
    )
    columns = [c for c in GAP_SUMMARY_COLUMNS if not (args.kind == "5g" and c == "population")]
    print_frame(translated_gaps(gaps, lang), "table", title=title, args=args, columns=columns)
    return 0


def cmd_scorecard(args: argparse.Namespace) -> int:
    lang = lang_of(args)
    analysis = _analysis(args.workspace)
    plan = analysis.plan(args.plan)
    card = analysis.scorecard(plan.id, indicators_csv=args.indicators)
    units = plan_units_2025(plan, analysis.inputs)
    elsewhere = plan_elsewhere_note(plan, analysis.inputs, lang)
    if elsewhere is not None:
        print(f"{text('note', lang)}: {elsewhere}", file=sys.stderr)
    if args.fmt == "json":
        print_json(
            {
                "plan": plan.id,
                "province_code": plan.province_code,
                "indicators": records(card),
                "units_2025": records(units),
                "note": plan_elsewhere_note(plan, analysis.inputs, "en"),
            }
        )
        return 0
    if args.fmt == "table":
        counts = {status: int((card["status"] == status).sum()) for status in ("met", "not_met", "no_data")}
        title = text(
            "scorecard_title",
            lang,
            title=plan.title_vi if lang == "vi" else plan.title_en,
            plan=plan.id,
            met=counts["met"],
            not_met=counts["not_met"],
            no_data=counts["no_data"],
        )
        print_frame(
            scorecard_for_people(card, lang),
            "table",
            title=title,
            args=args,
            columns=_SCORECARD_TABLE_COLUMNS,
        )
        print()
        print(text("measures_title", lang))
        for _, row in card[card["measures"].notna() & card["actual"].notna()].iterrows():
            print_wrapped(f"{row['indicator']} ({row['kpi']}): {row['measures']}", indent="  ")
        for _, unit in units.iterrows():
            print_wrapped(f"{text('note', lang)}: {unit_2025_note(unit, lang)}")
        return 0
    print_frame(card, args.fmt, args=args)
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    out: Path = args.out
    if out.parent and not out.parent.exists():
        raise FileNotFoundError(2, "output folder does not exist", str(out.parent))
    analysis = _analysis(args.workspace)
    sheet_lang = sheet_lang_of(args)
    sheets = write_report(analysis, out, lang=sheet_lang, money=args.money)
    names = [s.title for s in sheets]
    if args.fmt == "json":
        print_json({"out": str(out), "revision": analysis.revision, "sheets": names, "lang": sheet_lang})
    else:
        lang = lang_of(args)
        print_wrapped(
            text(
                "wrote_report",
                lang,
                path=out,
                sheets=len(names),
                names=", ".join(names),
                revision=analysis.revision,
            )
        )
    return 0
