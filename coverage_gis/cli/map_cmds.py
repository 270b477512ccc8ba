"""Map command: ``covgis map WS --out gaps.html`` writes the offline gap map."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from coverage_gis.cli._args import workspace_command
from coverage_gis.cli._output import print_json
from coverage_gis.engine import load
from coverage_gis.gapmap import MAP_KINDS, write_gap_map
from coverage_gis.workspace import Workspace

if TYPE_CHECKING:
    from coverage_gis.cli._args import Subcommands


def register(sub: Subcommands) -> None:
    p = workspace_command(
        sub,
        "map",
        cmd_map,
        help="write the gap map as one offline HTML file (Leaflet inlined, no CDN)",
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
    summary = write_gap_map(analysis, out, kind=args.kind)
    if args.fmt == "json":
        print_json({"out": str(summary.path), "gaps": summary.gaps, "bytes": summary.bytes_written})
    else:
        counts = ", ".join(f"{n} {kind}" for kind, n in summary.gaps.items())
        print(f"wrote {summary.path} ({summary.bytes_written / 1024:.0f} kB): {counts} gaps")
    return 0
