"""Tiles command: ``covgis tiles seed WS`` precomputes the coverage tile pyramid."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from tqdm import tqdm

from coverage_gis.cli._args import command_group, workspace_command
from coverage_gis.cli._output import lang_of, print_json
from coverage_gis.engine import load
from coverage_gis.messages import text
from coverage_gis.tiles.pyramid import BASE_ZOOM, UPSAMPLE_ZOOMS
from coverage_gis.tiles.pyramid_seed import seed
from coverage_gis.workspace import Workspace

if TYPE_CHECKING:
    from coverage_gis.cli._args import Subcommands


def register(sub: Subcommands) -> None:
    actions = command_group(
        sub,
        "tiles",
        help="precompute the coverage map tiles (the pyramid the server draws cold tiles from)",
        description="Coverage map tiles of the web map and the tile API.",
    )
    p = workspace_command(
        actions,
        "seed",
        cmd_seed,
        help=f"compute the coverage of every z{BASE_ZOOM} tile an on-air cell reaches, and the coarser zooms",
        description=(
            f"Run the workspace's coverage model once on every z{BASE_ZOOM} tile (256 × 256 pixels, ~76 m) "
            "that an on-air 3G/4G/5G cell reaches and store, per pixel, the best level, whether it is "
            "served and the best server's operator (compressed, in the workspace's cache folder "
            "cache/coverage-tiles), then every coarser zoom reduced from it. The server then draws cold "
            f"coverage tiles of z0–z{BASE_ZOOM + UPSAMPLE_ZOOMS} (all technologies, all operators) from "
            "these arrays in milliseconds instead of running the model. The arrays belong to the "
            "workspace's current revision and model: a site edit through the server rebuilds the tiles "
            "it touches on their next request; any other change (another model, settings, an edit by "
            "another program) leaves them unused until the next seed."
        ),
    )
    p.add_argument("--processes", type=int, default=None, help="worker processes (default: one per CPU)")
    p.add_argument(
        "--json", dest="fmt", action="store_const", const="json", default="text", help="JSON summary"
    )


def cmd_seed(args: argparse.Namespace) -> int:
    analysis = load(Workspace.open(args.workspace))
    with tqdm(total=None, file=sys.stderr, desc="tiles", unit="tile", leave=False, disable=None) as bar:

        def progress(done: int, total: int) -> None:
            bar.total = total
            bar.n = done
            bar.refresh()

        report = seed(analysis, processes=args.processes, progress=progress)
    if args.fmt == "json":
        print_json(
            {
                "workspace": analysis.ws.location,
                "revision": report.revision,
                "base_zoom": report.base_zoom,
                "base_tiles": report.base_tiles,
                "stored_tiles": report.stored_tiles,
                "pyramid_tiles": report.pyramid_tiles,
                "seconds": round(report.seconds, 2),
                "folder": str(report.folder),
            }
        )
    else:
        lang = lang_of(args)
        print(
            text(
                "tiles_seeded",
                lang,
                base=report.base_tiles,
                zoom=report.base_zoom,
                stored=report.stored_tiles,
                pyramid=report.pyramid_tiles,
                revision=report.revision,
                seconds=f"{report.seconds:.1f}".replace(".", "," if lang == "vi" else "."),
                folder=report.folder,
            )
        )
    return 0
