"""Workspace commands: ``init``, ``layers``, ``import``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from coverage_gis.boundaries import PROVINCES, load_boundaries, partial_2025_provinces, province_2025
from coverage_gis.cli._args import field_value, workspace_command
from coverage_gis.cli._output import add_format_flags, lang_of, print_frame
from coverage_gis.crs import (
    SCALE_ERROR_NOTED_PPM,
    least_stretching_crs,
    metric_crs_for_lon,
    scale_error_ppm,
    vn2000_zones,
)
from coverage_gis.display import Lang
from coverage_gis.layers import INPUT_LAYERS, all_schemas
from coverage_gis.messages import text
from coverage_gis.workspace import Workspace

if TYPE_CHECKING:
    from coverage_gis.cli._args import Subcommands


def register(sub: Subcommands) -> None:
    p = workspace_command(
        sub,
        "init",
        cmd_init,
        help="create a workspace and load real commune boundaries into it",
        description=(
            "Create workspace folder WS (workspace.yaml + workspace.gpkg) and load the communes of the "
            "chosen provinces from data/boundaries (censusVN2009, GSO codes, 2025 crosswalk). The metric "
            "CRS (UTM 48N/49N) is chosen from the communes' longitude unless --metric-crs is given."
        ),
    )
    p.add_argument(
        "--province",
        action="append",
        metavar="PROVINCE",
        help=(
            "province to load, by GSO code, slug or name: a seed province "
            f"({', '.join(PROVINCES)}) or any other (e.g. 49, quang-nam or 'Quảng Nam'); "
            "repeatable; 'all' or none: the five seed provinces"
        ),
    )
    p.add_argument(
        "--province-2025",
        action="append",
        metavar="PROVINCE",
        help=(
            "province of the 2025 structure (34) to load, by 2025 GSO code, slug or name: its communes "
            "from every former province, e.g. 'Gia Lai' (former Bình Định and Gia Lai) or 52; repeatable"
        ),
    )
    p.add_argument(
        "--national",
        action="store_true",
        help="load every commune of Vietnam (the 11,161 named units of the census file)",
    )
    p.add_argument("--name", help="workspace name (default: folder name)")
    p.add_argument("--metric-crs", help="projected CRS in metres, e.g. EPSG:32649 or a VN-2000 EPSG code")

    p = workspace_command(sub, "layers", cmd_layers, help="list a workspace's layers with feature counts")
    add_format_flags(p)

    p = workspace_command(
        sub,
        "import",
        cmd_import,
        help="import a file into a workspace layer (validated, atomic)",
        description=(
            "Read FILE (GeoJSON, GeoPackage, zipped shapefile, KML, CSV or Excel (.xlsx, .xls) with "
            "lon/lat columns, OpenCellID cell CSV; for speed_tests also Ookla tiles as Parquet or "
            "zipped shapefile; any of them gzip-compressed, as OpenCellID's 452.csv.gz), reproject to "
            "EPSG:4326, validate it against layers/LAYER.yaml and replace the layer in one atomic write. "
            "Any problem is reported with file, row, field and reason, and the workspace is left unchanged."
        ),
    )
    targets = (*INPUT_LAYERS, "dem", "roads")
    p.add_argument(
        "layer",
        choices=targets,
        metavar="LAYER",
        help=f"one of: {', '.join(targets)} (dem: GeoTIFF terrain; roads: OSM XML road network)",
    )
    p.add_argument("file", type=Path, metavar="FILE")
    p.add_argument(
        "--format",
        dest="file_format",
        choices=["geojson", "gpkg", "shp", "kml", "csv", "xlsx", "xls", "opencellid", "parquet"],
        help="input format (default: from the file name and contents)",
    )
    p.add_argument(
        "--source-layer",
        help="layer inside a multi-layer file (GeoPackage, KML), or sheet of an Excel workbook",
    )
    p.add_argument(
        "--append",
        action="store_true",
        help=(
            "add to the layer instead of replacing it (a site id the layer holds at the same "
            "place, within 20 m: one mast in two lists, kept once)"
        ),
    )
    p.add_argument(
        "--crs",
        metavar="CRS",
        help=(
            "the CRS of the file's coordinates, e.g. EPSG:3405 (VN-2000 / UTM 48N) or a VN-2000 TM-3 "
            "PROJ string. CSV/Excel: a projected CRS reads easting/northing (X/Y) columns in metres "
            "(default: WGS 84 lon/lat in degrees); shapefile, GeoPackage, GeoJSON: only for a file that "
            "declares none (a shapefile without its .prj, a GeoJSON in metres without a crs member)"
        ),
    )
    p.add_argument(
        "--min-samples",
        type=int,
        default=1,
        metavar="N",
        help="OpenCellID: drop cells whose position rests on fewer than N measurements (default 1: keep all)",
    )
    p.add_argument(
        "--make-ids",
        action="store_true",
        help="a list without an id column gets its ids made: villages and places (pois) from the "
        "code of the commune each lies in and its name (e.g. 21553-thon-1), cells from the site "
        "id, technology and number at the site (e.g. BDH001-4G-2); the same on every import",
    )
    p.add_argument(
        "--set",
        action="append",
        type=field_value,
        metavar="FIELD=VALUE",
        help="give FIELD this VALUE in every row that gives none (the file has no such column, or "
        "an empty cell), e.g. --set operator=Viettel for an operator's own cell list; repeatable",
    )


def cmd_init(args: argparse.Namespace) -> int:
    provinces = None if not args.province or "all" in args.province else args.province
    boundaries = load_boundaries(provinces, provinces_2025=args.province_2025 or (), national=args.national)
    communes = boundaries.communes
    centre_lon = float(communes.geometry.union_all().centroid.x)
    if not args.metric_crs:
        _say_if_stretched(metric_crs_for_lon(centre_lon), communes.total_bounds.tolist(), lang_of(args))
    ws = Workspace.create(
        args.workspace,
        name=args.name,
        metric_crs=args.metric_crs or metric_crs_for_lon(centre_lon),
        provinces=sorted(communes["province_code"].unique().tolist()),
        layers={"communes": communes, "commune_parts_2025": boundaries.parts},
        source="data/boundaries",
    )
    # A 2025 province asked for is whole; a former province asked for may fill one only in part.
    whole = communes["new_province_code"].isin([province_2025(p).code for p in args.province_2025 or ()])
    for merged in partial_2025_provinces(sorted(set(communes.loc[~whole, "province_code"]))):
        others = ", ".join(f"{name} ({code})" for code, name in merged.missing)
        flags = " ".join(f"--province {code}" for code, _ in merged.missing)
        print(
            text("partial_2025_province", lang_of(args), province=merged.name, others=others, flags=flags),
            file=sys.stderr,
        )
    print(
        text(
            "created",
            lang_of(args),
            path=ws.location,
            communes=len(communes),
            parts=len(boundaries.parts),
            crs=ws.metric_crs,
        )
    )
    return 0


def _say_if_stretched(crs: str, bounds: Sequence[float], lang: Lang) -> None:
    """A note when the default UTM zone stretches distances over the communes, with the
    VN-2000 zone that would not, when one would not (``docs/architecture.md``, workspace)."""
    ppm = scale_error_ppm(crs, bounds)
    if ppm <= SCALE_ERROR_NOTED_PPM:
        return
    note = text("metric_crs_stretches", lang, crs=crs, ppm=f"{ppm:.0f}", metres=f"{500 * ppm / 1e6:.2f}")
    better, better_ppm = least_stretching_crs(bounds, vn2000_zones())
    if better_ppm <= SCALE_ERROR_NOTED_PPM:
        note += text("metric_crs_better", lang, better=better, better_ppm=f"{better_ppm:.0f}")
    print(note, file=sys.stderr)


def cmd_layers(args: argparse.Namespace) -> int:
    lang = lang_of(args)
    ws = Workspace.open(args.workspace)
    counts = ws.layer_counts()
    schemas = all_schemas()
    rows = [
        {
            "layer": name,
            "features": counts.get(name, 0),
            "geometry_type": schema.geometry,
            "title": schema.title_vi if lang == "vi" else schema.title_en,
        }
        for name, schema in schemas.items()
        if name in counts or not schema.derived
    ]
    title = text("layers_title", lang, name=ws.config.name, path=ws.location)
    print_frame(pd.DataFrame(rows), args.fmt, title=title, args=args)
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from coverage_gis.io import import_dem, import_file, import_roads

    ws = Workspace.open(args.workspace)
    if args.layer == "dem":
        dem = import_dem(ws, args.file)
        print(
            f"installed terrain {args.file} as dem.tif of {ws.location}: {dem.width}×{dem.height} cells, "
            f"{dem.crs}, resolution {dem.resolution[0]:g}×{dem.resolution[1]:g}"
        )
        return 0
    if args.layer == "roads":
        roads = import_roads(ws, args.file)
        print(
            f"installed road network {args.file} as roads.osm of {ws.location}: "
            f"{roads.nodes} nodes, {roads.edges} edges"
        )
        return 0
    result = import_file(
        ws,
        args.layer,
        args.file,
        file_format=args.file_format,
        source_layer=args.source_layer,
        append=args.append,
        min_samples=args.min_samples,
        crs=args.crs,
        values=dict(args.set or ()),
        make_ids=args.make_ids,
    )
    lang = lang_of(args)
    for name, count in result.counts.items():
        print(text("imported", lang, count=count, layer=name, file=args.file))
    for note in result.notes:
        print(f"{text('note', lang)}: {note}")
    return 0
