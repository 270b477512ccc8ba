"""Measurement commands: ``speed`` (speed KPIs), ``challenges`` (list, accept, reject), ``calibrate``."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from coverage_gis.admin import LEVELS
from coverage_gis.calibration import CALIBRATED_MODELS, CalibrationReport, Metrics, calibrate
from coverage_gis.challenges import OPEN, STATUSES, accept_challenge, list_challenges, reject_challenge
from coverage_gis.cli._args import workspace_command
from coverage_gis.cli._output import add_format_flags, print_frame, print_json
from coverage_gis.engine import Analysis, load
from coverage_gis.errors import LayerValidationError
from coverage_gis.overrides import OVERRIDE_KINDS
from coverage_gis.revisions import default_author
from coverage_gis.speed import ALL, UNIT_SPEED_COLUMNS, speed_kpis
from coverage_gis.vocabulary import ENVIRONMENTS
from coverage_gis.workspace import Workspace

if TYPE_CHECKING:
    from coverage_gis.cli._args import Subcommands

_CHALLENGE_TABLE_COLUMNS = [
    "challenge_id",
    "name",
    "commune_name",
    "district_name",
    "population",
    "claim",
    "tests",
    "served_share",
    "median_download_mbps",
    "median_signal_dbm",
    "status",
    "decided_by",
]
# The table view leaves out latency, which the JSON and CSV keep.
_SPEED_TABLE_COLUMNS = [c for c in UNIT_SPEED_COLUMNS if c != "latency_median_ms"]


def register(sub: Subcommands) -> None:
    p = workspace_command(
        sub,
        "speed",
        cmd_speed,
        help="measured speeds per unit, and the share of villages meeting the plan's speed targets",
        description=(
            "Median download/upload (with a bootstrap confidence interval), tests and devices per "
            "province, district or commune (either hierarchy), by kind, technology and operator, from "
            "the speed_tests layer; and per plan speed target the share of villages and of population "
            "whose median meets it. Below the minimum sample (workspace.yaml speed) values are "
            "withheld: insufficient_data."
        ),
    )
    p.add_argument("--level", choices=LEVELS, default="province", help="admin level (default province)")
    p.add_argument("--code", help="only this unit's code")
    p.add_argument("--targets", action="store_true", help="the plan speed targets instead of the medians")
    p.add_argument("--by-operator", action="store_true", help="include per-technology and per-operator rows")
    add_format_flags(p)

    p = workspace_command(
        sub,
        "challenges",
        cmd_challenges,
        help="villages where measurements contradict the model; accept or reject one",
        description=(
            "List villages the model counts as covered where speed tests show no service (or a level "
            "below threshold), and villages it counts as uncovered where tests show service. "
            "--accept VILLAGE_ID sets that village's status to the measured one (an override that "
            "survives recompute), --reject keeps the model's; both need --reason and are recorded as "
            "a revision with the author."
        ),
    )
    p.add_argument("--kind", choices=OVERRIDE_KINDS, help="mobile or ftth (default: both)")
    p.add_argument("--status", choices=STATUSES, help="only challenges in this state")
    decide = p.add_mutually_exclusive_group()
    decide.add_argument("--accept", metavar="VILLAGE_ID", help="accept the challenge at this village")
    decide.add_argument("--reject", metavar="VILLAGE_ID", help="reject the challenge at this village")
    p.add_argument("--reason", help="why (required with --accept/--reject)")
    p.add_argument("--author", help="who decides (default: the OS user)")
    p.add_argument("--expect-revision", type=int, metavar="N", help="refuse unless the workspace is at N")
    add_format_flags(p, geojson=True)

    p = workspace_command(
        sub,
        "calibrate",
        cmd_calibrate,
        help="fit the link-budget margin and clutter offsets to measured levels",
        description=(
            "Fit the pathloss/terrain planning margin and per-clutter offsets to the RSRP/RSCP levels "
            "of the speed_tests layer by robust least squares; report RMSE and the covered/uncovered "
            "confusion matrix before and after. --write stores the fit in workspace.yaml (reads then "
            "compute coverage with it; `covgis compute WS` stores it)."
        ),
    )
    p.add_argument(
        "--model", choices=CALIBRATED_MODELS, help="model to fit (default: the workspace's, else pathloss)"
    )
    p.add_argument("--min-samples", type=int, default=30, help="tests needed overall and per clutter class")
    p.add_argument("--write", action="store_true", help="store the fitted values in the workspace settings")
    p.add_argument("--author", help="revision author when writing (default: the OS user)")
    p.add_argument(
        "--json", dest="fmt", action="store_const", const="json", default="table", help="JSON report"
    )


def _analysis(path: Path) -> Analysis:
    return load(Workspace.open(path))


def cmd_speed(args: argparse.Namespace) -> int:
    report = speed_kpis(_analysis(args.workspace), levels=[args.level])
    if args.targets:
        table = report.targets
        title = (
            f"plan speed targets by {args.level}: share of villages with data whose median meets the target"
        )
    else:
        table = report.units
        if not args.by_operator and len(table):
            table = table[(table["tech"] == ALL) & (table["operator"] == ALL)]
        title = f"measured speeds by {args.level} (min {report.settings.min_tests} tests)"
    if args.code:
        table = table[table["code"] == args.code]
    if args.fmt == "table" and not args.targets:
        table = table[_SPEED_TABLE_COLUMNS]
    print_frame(table, args.fmt, title=title, args=args)
    return 0


def cmd_challenges(args: argparse.Namespace) -> int:
    village = args.accept or args.reject
    if village is None:
        challenges = list_challenges(_analysis(args.workspace), kind=args.kind, status=args.status)
        if args.fmt == "table":
            opened = int((challenges["status"] == OPEN).sum())
            title = f"{len(challenges)} challenges ({opened} open)"
            print_frame(challenges[_CHALLENGE_TABLE_COLUMNS], "table", title=title, args=args)
        else:
            print_frame(challenges, args.fmt, args=args)
        return 0
    if not args.reason:
        raise LayerValidationError("--accept/--reject need --reason", field="reason")
    decide = accept_challenge if args.accept else reject_challenge
    result = decide(
        Workspace.open(args.workspace),
        village,
        author=args.author or default_author(),
        reason=args.reason,
        kind=args.kind or "mobile",
        expected_revision=args.expect_revision,
    )
    if args.fmt == "json":
        print_json(
            {
                "revision": result.revision,
                "challenge_id": result.challenge_id,
                "decision": result.decision,
                "status_before": result.status_before,
                "status_after": result.status_after,
                "kpi_before": result.kpi_before,
                "kpi_after": result.kpi_after,
            }
        )
        return 0
    key = "villages_mobile_bb_pct" if result.challenge_id.startswith("mobile") else "villages_ftth_pct"
    before, after = result.kpi_before.get(key), result.kpi_after.get(key)
    change = f"; {key} {before:.2f} → {after:.2f}" if before is not None and after is not None else ""
    status = " → ".join("yes" if v else "no" for v in (result.status_before, result.status_after))
    print(f"revision {result.revision}: {result.decision} {result.challenge_id} (status {status}){change}")
    return 0


def _metrics_lines(label: str, m: Metrics) -> list[str]:
    c = m.confusion
    return [
        f"{label}: RMSE {m.rmse_db:.2f} dB, median |error| {m.median_abs_error_db:.2f} dB, "
        f"bias {m.bias_db:+.2f} dB over {m.samples} tests; agreement {m.agreement_pct:.1f} %",
        "  model \\ measured    covered  uncovered",
        f"  covered          {c['covered_covered']:>9,} {c['covered_uncovered']:>10,}",
        f"  uncovered        {c['uncovered_covered']:>9,} {c['uncovered_uncovered']:>10,}",
    ]


def _report_lines(report: CalibrationReport) -> list[str]:
    fitted = report.fitted
    offsets = ", ".join(f"{e} {fitted.clutter_offset_db.get(e, 0.0):+.2f} dB" for e in ENVIRONMENTS)
    samples = ", ".join(f"{e} {n}" for e, n in report.fit.samples.items())
    lines = [
        f"calibration of the {report.model} model ({samples} tests by clutter; {report.excluded} tests "
        "without a usable level left out)",
        f"margin {report.base_margin_db:.2f} dB → {fitted.margin_db:.2f} dB; clutter offsets {offsets}",
        *_metrics_lines("before", report.before),
        *_metrics_lines("after", report.after),
    ]
    if report.written:
        lines.append(
            f"written to workspace.yaml (revision {report.revision}); reads compute coverage with it, "
            "`covgis compute WS` stores it"
        )
    else:
        lines.append("not written (use --write to store it in the workspace settings)")
    return lines


def cmd_calibrate(args: argparse.Namespace) -> int:
    analysis = _analysis(args.workspace)
    report = calibrate(
        analysis,
        model=args.model,
        min_samples=args.min_samples,
        write=args.write,
        author=args.author,
    )
    if args.fmt == "json":
        payload: dict[str, Any] = report.as_dict()
        print_json(payload)
        return 0
    for line in _report_lines(report):
        print(line)
    if report.written and analysis.ws.config.model != report.model:
        print(
            f"note: the workspace uses the {analysis.ws.config.model} model; the calibration applies when it "
            f"uses {report.model}"
        )
    return 0
