"""Site and history commands: ``sites add|update|remove|apply``, ``history``, ``diff``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import pandas as pd
import shapely

from coverage_gis.admin import admin_columns, commune_positions
from coverage_gis.cli._args import command_group, workspace_command
from coverage_gis.cli._output import add_format_flags, lang_of, print_frame, print_json
from coverage_gis.errors import LayerValidationError
from coverage_gis.input_layers import InputLayers
from coverage_gis.live import ChangeResult, LiveWorkspace
from coverage_gis.messages import text
from coverage_gis.revisions import default_author, diff, history, kpi_snapshots
from coverage_gis.site_edit_files import edits_from_file
from coverage_gis.site_edits import SiteEdit
from coverage_gis.value_text import number_text
from coverage_gis.vocabulary import OPERATORS, STATUSES, TECHS
from coverage_gis.workspace import Workspace

if TYPE_CHECKING:
    from coverage_gis.cli._args import Subcommands


def register(sub: Subcommands) -> None:
    actions = command_group(
        sub,
        "sites",
        help="add, update or remove BTS sites (incremental recompute, one revision per change)",
        description="Edit sites and their cells. Only villages within reach of the changed sites are "
        "recomputed; the change, coverage and KPI snapshot are written in one transaction.",
    )

    p = workspace_command(actions, "add", cmd_add, help="add a site with its cells (flags or --file JSON)")
    p.add_argument("--file", type=Path, help="JSON {site: {...}, cells: [...]} instead of flags")
    p.add_argument("--site-id")
    p.add_argument("--lon", type=float)
    p.add_argument("--lat", type=float)
    p.add_argument("--name", default="")
    p.add_argument("--operator", action="append", choices=OPERATORS, help="repeat for a shared site")
    p.add_argument("--tech", action="append", choices=TECHS, help="repeatable (default 4G)")
    p.add_argument("--azimuths", help="comma-separated sector azimuths, e.g. 0,120,240 (default omni)")
    p.add_argument(
        "--band-mhz",
        type=float,
        help="band of every cell (default: each technology's usual one, as an import without a band gives)",
    )
    p.add_argument("--eirp-dbm", type=float, default=60.0)
    p.add_argument("--height-m", type=float, default=30.0)
    p.add_argument("--status", choices=STATUSES, default="on_air")
    p.add_argument("--no-grid-power", action="store_true", help="site runs on solar/hybrid power")
    p.add_argument("--commissioned", help="YYYY-MM-DD")
    _common(p)

    p = workspace_command(
        actions, "update", cmd_update, help="move, re-tilt, switch on/off a site or its cells"
    )
    p.add_argument("site_id", metavar="SITE_ID")
    p.add_argument("--lon", type=float)
    p.add_argument("--lat", type=float)
    p.add_argument("--status", choices=STATUSES, help="site status")
    p.add_argument("--height-m", type=float)
    p.add_argument("--grid-power", choices=["yes", "no"])
    p.add_argument("--cell", action="append", help="limit cell changes to these cell ids (repeatable)")
    p.add_argument("--cell-status", choices=STATUSES, help="status of the site's cells")
    p.add_argument("--tilt-deg", type=float)
    p.add_argument("--azimuth-deg", type=float)
    p.add_argument("--eirp-dbm", type=float)
    _common(p)

    p = workspace_command(actions, "remove", cmd_remove, help="remove a site and its cells")
    p.add_argument("site_id", metavar="SITE_ID")
    _common(p)

    p = workspace_command(
        actions,
        "apply",
        cmd_apply,
        help="apply a batch of edits from a JSON or CSV file as one revision",
        description="JSON: a list of {op: add|update|remove, site_id, site: {...}, cells: [...], "
        "cell_changes: {cell_id: {...}}}. CSV: one row per cell with site columns (site_id, lon, lat, "
        "status, height_m: each cell's own where a site's rows differ, ...) and cell columns "
        "(cell_id, operator, tech, azimuth_deg, cell_status, ...); "
        "optional op column.",
    )
    p.add_argument("file", type=Path, metavar="FILE")
    _common(p)

    p = workspace_command(sub, "history", cmd_history, help="revisions with their province KPIs")
    add_format_flags(p)

    p = workspace_command(
        sub, "diff", cmd_diff, help="villages that gained or lost coverage between two revisions"
    )
    p.add_argument("from_revision", type=int, metavar="R1")
    p.add_argument("to_revision", type=int, metavar="R2")
    add_format_flags(p)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--author", help="recorded in the revision (default: OS user)")
    p.add_argument("--expect-revision", type=int, help="fail if the workspace moved past this revision")
    p.add_argument("--json", dest="fmt", action="store_const", const="json", default="table")


def _run(args: argparse.Namespace, edits: list[SiteEdit]) -> int:
    live = LiveWorkspace.open(args.workspace)
    result = live.apply(edits, author=args.author or default_author(), expected_revision=args.expect_revision)
    _report(result, args.fmt)
    for site_id in _placed_outside(edits, live.analysis.layers.communes):
        print(text("site_in_no_commune", lang_of(args), site=site_id), file=sys.stderr)
    return 0


def _placed_outside(edits: list[SiteEdit], communes: gpd.GeoDataFrame) -> list[str]:
    """The sites the edits put (added or moved) in none of the workspace's communes."""
    placed = [e for e in edits if e.op != "remove" and "lon" in e.site and "lat" in e.site]
    if not placed or not len(communes):
        return []
    # The edit's own text: a decimal comma ("109,01", Excel on a Vietnamese Windows) reads as a point.
    lon = [float(number_text(e.site["lon"])) for e in placed]
    lat = [float(number_text(e.site["lat"])) for e in placed]
    points = shapely.points(lon, lat)
    return [e.site_id for e, at in zip(placed, commune_positions(points, communes), strict=True) if at < 0]


def _report(result: ChangeResult, fmt: str) -> None:
    if fmt == "json":
        print_json(
            {
                "revision": result.revision,
                "summary": result.summary,
                "changed_site_ids": list(result.changed_site_ids),
                "gained_mobile": list(result.gained_mobile),
                "lost_mobile": list(result.lost_mobile),
                "recomputed_villages": result.recomputed_villages,
                "dirty_bbox": result.dirty_bbox,
                "kpi_delta": result.kpi_delta,
                "kpi_after": result.kpi_after,
                "elapsed_ms": round(result.elapsed_ms, 1),
            }
        )
        return
    print(
        f"revision {result.revision}: {result.summary} "
        f"({result.recomputed_villages} villages recomputed in {result.elapsed_ms:.0f} ms)"
    )
    if result.gained_mobile:
        print(f"  gained mobile broadband: {', '.join(result.gained_mobile)}")
    if result.lost_mobile:
        print(f"  lost mobile broadband: {', '.join(result.lost_mobile)}")
    after = result.kpi_after
    if after:
        mobile_pct = after.get("villages_mobile_bb_pct") or 0.0
        ftth_pct = after.get("villages_ftth_pct") or 0.0
        print(
            f"  {after.get('name')}: villages with mobile broadband {mobile_pct:.1f} %, FTTH {ftth_pct:.1f} %"
        )


def _edits_of(args: argparse.Namespace) -> list[SiteEdit]:
    """The edits of ``args.file``; the notes its reading made (the encoding) go to stderr,
    which keeps ``--json`` output whole."""
    notes: list[str] = []
    edits = edits_from_file(args.file, notes=notes)
    for note in notes:
        print(f"{text('note', lang_of(args))}: {note}", file=sys.stderr)
    return edits


def cmd_add(args: argparse.Namespace) -> int:
    if args.file:
        return _run(args, _edits_of(args))
    for flag in ("site_id", "lon", "lat"):
        if getattr(args, flag) is None:
            raise LayerValidationError(f"--{flag.replace('_', '-')} is required without --file", field=flag)
    operators = args.operator or ["Viettel"]
    techs = args.tech or ["4G"]
    azimuths: list[float | None] = [float(a) for a in args.azimuths.split(",")] if args.azimuths else [None]
    cells: list[dict[str, Any]] = []
    for operator in operators:
        for tech in techs:
            for k, azimuth in enumerate(azimuths, start=1):
                cells.append(
                    {
                        "cell_id": f"{args.site_id}-{operator}-{tech}-{k}",
                        "operator": operator,
                        "tech": tech,
                        "band_mhz": args.band_mhz,
                        "azimuth_deg": azimuth,
                        "eirp_dbm": args.eirp_dbm,
                        "status": args.status,
                    }
                )
    site = {
        "lon": args.lon,
        "lat": args.lat,
        "name": args.name,
        "owner": operators[0],
        "status": args.status,
        "height_m": args.height_m,
        "has_grid_power": not args.no_grid_power,
        "commissioned": args.commissioned,
    }
    return _run(args, [SiteEdit(op="add", site_id=args.site_id, site=site, cells=cells)])


def cmd_update(args: argparse.Namespace) -> int:
    changes: dict[str, Any] = {}
    for key in ("lon", "lat", "status", "height_m"):
        if getattr(args, key) is not None:
            changes[key] = getattr(args, key)
    if args.grid_power is not None:
        changes["has_grid_power"] = args.grid_power == "yes"
    cell_fields = {
        "status": args.cell_status,
        "tilt_deg": args.tilt_deg,
        "azimuth_deg": args.azimuth_deg,
        "eirp_dbm": args.eirp_dbm,
    }
    cell_update = {k: v for k, v in cell_fields.items() if v is not None}
    cell_changes = None
    if cell_update:
        live = LiveWorkspace.open(args.workspace)
        _, cells = live.site(args.site_id)
        targets = args.cell or [c["cell_id"] for c in cells]
        cell_changes = {cell_id: dict(cell_update) for cell_id in targets}
    if not changes and not cell_changes:
        raise LayerValidationError("nothing to update; give at least one site or cell option")
    edit = SiteEdit(op="update", site_id=args.site_id, site=changes, cell_changes=cell_changes)
    return _run(args, [edit])


def cmd_remove(args: argparse.Namespace) -> int:
    return _run(args, [SiteEdit(op="remove", site_id=args.site_id)])


def cmd_apply(args: argparse.Namespace) -> int:
    return _run(args, _edits_of(args))


def cmd_history(args: argparse.Namespace) -> int:
    ws = Workspace.open(args.workspace)
    revs = history(ws)
    rows = []
    for rec, (_, snapshot) in zip(revs.to_dict(orient="records"), kpi_snapshots(revs), strict=True):
        province: Mapping[str, Any] = next(
            (r for key, r in (snapshot or {}).items() if key[0] == "province"), {}
        )
        rows.append(
            {
                "revision": rec["revision"],
                "time": rec["time"],
                "author": rec["author"],
                "summary": rec["summary"],
                "villages_mobile_bb_pct": province.get("villages_mobile_bb_pct"),
                "villages_ftth_pct": province.get("villages_ftth_pct"),
                "sites": province.get("sites"),
            }
        )
    frame = pd.DataFrame(
        rows,
        columns=[
            "revision",
            "time",
            "author",
            "summary",
            "villages_mobile_bb_pct",
            "villages_ftth_pct",
            "sites",
        ],
    )
    print_frame(frame, args.fmt, title=f"history of {ws.location}", args=args)
    return 0


def cmd_diff(args: argparse.Namespace) -> int:
    ws = Workspace.open(args.workspace)
    changes = diff(ws, args.from_revision, args.to_revision)
    with ws.snapshot() as snap:
        names = ("villages", "communes", "commune_parts_2025")
        layers = InputLayers.from_frames({name: snap.read_layer(name, missing_ok=True) for name in names})
    villages = layers.villages
    # The commune each village counts in (the KPIs' placement), not the code its file gave.
    placed = admin_columns(villages, layers.communes, layers.commune_parts_2025)
    named = pd.concat([villages[["village_id", "name"]], placed[["commune_code", "commune_name"]]], axis=1)
    out = changes.merge(named, on="village_id", how="left")
    out = out[
        [
            "village_id",
            "name",
            "commune_code",
            "commune_name",
            "change",
            "mobile_before",
            "mobile_after",
            "ftth_before",
            "ftth_after",
        ]
    ]
    print_frame(
        out,
        args.fmt,
        title=f"{len(out)} villages changed between revision {args.from_revision} and {args.to_revision}",
        args=args,
    )
    return 0
