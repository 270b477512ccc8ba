"""Map command: ``covgis map WS --out gaps.html`` writes the offline gap map."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from coverage_gis.cli._args import workspace_command
from coverage_gis.cli._output import lang_of, print_json, sheet_lang_of
from coverage_gis.display import format_number
from coverage_gis.engine import load
from coverage_gis.gapmap import MAP_KINDS, write_gap_map
from coverage_gis.messages import code_label, text
from coverage_gis.workspace import Workspace

if TYPE_CHECKING:
    from coverage_gis.cli._args import Subcommands


def register(sub: Subcommands) -> None:
    p = workspace_command(
        sub,
        "map",
        cmd_map,
        help="write the gap map as one offline HTML file (no CDN; Vietnamese unless --lang en)",
        description="Write a self-contained HTML map of the mobile and/or FTTH gaps with their causes, "
        "recommendations and costs, the candidate sites and the commune outlines. The file needs no "
        "network: Leaflet is inlined from the xstatic-leaflet package.",
    )
    p.add_argument(
        "--out", type=Path, default=Path("gaps.html"), help="HTML file to write (default gaps.html)"
    )
    p.add_argument("--kind", choices=MAP_KINDS, default="all", help="gaps to show (default all)")
    p.add_argument("--json", dest="fmt", action="store_const", const="json", help="machine-readable summary")
    p.set_defaults(fmt="table")


def cmd_map(args: argparse.Namespace) -> int:
    out: Path = args.out
    if out.parent and not out.parent.exists():
        raise FileNotFoundError(2, "output folder does not exist", str(out.parent))
    analysis = load(Workspace.open(args.workspace))
    summary = write_gap_map(analysis, out, kind=args.kind, lang=sheet_lang_of(args))
    if args.fmt == "json":
        print_json({"out": str(summary.path), "gaps": summary.gaps, "bytes": summary.bytes_written})
    else:
        lang = lang_of(args)
        counts = ", ".join(
            text("map_count", lang, count=n, kind=code_label("gap_kind", kind, lang))
            for kind, n in summary.gaps.items()
        )
        kb = format_number(summary.bytes_written / 1024, 0, lang=lang)
        print(text("wrote_map", lang, path=summary.path, kb=kb, counts=counts))
    return 0
