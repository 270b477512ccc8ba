"""Demo command: ``covgis demo WS`` builds a workspace with a synthetic network on the real communes."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from tqdm import tqdm

from coverage_gis.cli._args import whole_number, workspace_command
from coverage_gis.cli._output import print_json
from coverage_gis.demo import (
    ALL_VIETNAM,
    DEFAULT_SEED,
    PROVINCE_SLUGS,
    ProvinceSummary,
    build_demo,
)

if TYPE_CHECKING:
    from coverage_gis.cli._args import Subcommands


def register(sub: Subcommands) -> None:
    p = workspace_command(
        sub,
        "demo",
        cmd_demo,
        help="build a demo workspace: synthetic villages, sites and fiber on the real communes",
        description=(
            "Create workspace folder WS with the real commune boundaries of the chosen provinces and a "
            "reproducible SYNTHETIC network on them: villages, BTS sites and cells of Viettel, VNPT, "
            "MobiFone and Vietnamobile, fiber routes and nodes, priority places, 5G zones, roads "
            "(roads.osm), terrain (dem.tif) and speed tests drawn from that network, a few of them "
            "contradicting the model (challenges; in Bình Định when it is built). The same seed gives "
            "identical files. Bình Định reproduces its 2025 plan's status: only làng O2 lacks mobile "
            "broadband and only the 8 villages the plan names lack FTTH (radius model)."
        ),
    )
    p.add_argument(
        "--province",
        metavar="PROVINCE",
        default="binh-dinh",
        help=(
            f"a seed province ({', '.join(PROVINCE_SLUGS)}), all five ('all'), any other province by "
            "GSO code, slug or name (at national density, without a plan), or "
            f"{ALL_VIETNAM}: every province at national density, about 100,000 villages, 120,000 sites "
            "and 350,000 cells (default: binh-dinh)"
        ),
    )
    p.add_argument(
        "--seed", type=whole_number(0), default=DEFAULT_SEED, help=f"random seed (default {DEFAULT_SEED})"
    )
    p.add_argument("--force", action="store_true", help="replace WS if it is already a workspace")
    p.add_argument(
        "--json", dest="fmt", action="store_const", const="json", default="table", help="JSON summary"
    )


def _summary_line(
    path: Path, summaries: tuple[ProvinceSummary, ...], counts: dict[str, int], seed: int
) -> str:
    sites = sum(s.sites for s in summaries)
    shared = sum(s.shared_pct * s.sites for s in summaries) / sites if sites else 0.0
    names = (
        ", ".join(s.name for s in summaries)
        if len(summaries) <= 5
        else f"Vietnam ({len(summaries)} provinces)"
    )
    return (
        f"built {path}: {names} — {counts['villages']:,} villages, {counts['sites']:,} sites "
        f"({counts['cells']:,} cells, {shared:.1f} % shared), {counts['fiber_routes']:,} fiber routes, "
        f"{counts['fiber_nodes']:,} fiber nodes, {counts['pois']:,} POIs, {counts['zones_5g']:,} 5G zones, "
        f"{counts['speed_tests']:,} speed tests (synthetic network on real boundaries, seed {seed})"
    )


def cmd_demo(args: argparse.Namespace) -> int:
    provinces = list(PROVINCE_SLUGS) if args.province == "all" else [args.province]
    if args.province == ALL_VIETNAM:
        provinces = [ALL_VIETNAM]
    with tqdm(total=None, file=sys.stderr, desc="demo", unit="step", leave=False, dynamic_ncols=True) as bar:

        def progress(step: str, done: int, total: int) -> None:
            bar.total = total
            bar.set_description_str(step, refresh=False)
            bar.update(done - bar.n)

        # Generated and written in one call: the generated layers are let go before the
        # speed tests are drawn from the written workspace (a national demo's peak memory).
        built = build_demo(args.workspace, provinces, seed=args.seed, overwrite=args.force, progress=progress)
    counts = built.counts
    if args.fmt == "json":
        print_json(
            {
                "workspace": str(args.workspace),
                "seed": built.seed,
                "metric_crs": built.metric_crs,
                "synthetic": True,
                "counts": counts,
                "provinces": [
                    {
                        "code": s.code,
                        "slug": s.slug,
                        "name": s.name,
                        "villages": s.villages,
                        "sites": s.sites,
                        "cells": s.cells,
                        "shared_sites_pct": round(s.shared_pct, 1),
                        "shared_sites_2023_2025_pct": round(s.shared_recent_pct, 1),
                        "viettel_5g_sites": s.viettel_5g_sites,
                        "fiber_routes": s.fiber_routes,
                        "fiber_nodes": s.fiber_nodes,
                    }
                    for s in built.summaries
                ],
            }
        )
    else:
        print(_summary_line(args.workspace, built.summaries, counts, built.seed))
    return 0
