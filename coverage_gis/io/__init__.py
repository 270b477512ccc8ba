"""Importing real files into a workspace: reading (the format: :mod:`.formats`), validation, one atomic write.

This package owns getting users' files into a workspace. :func:`read_file`
turns a GeoJSON, GeoPackage, shapefile (zipped or bare), KML/KMZ, CSV or Excel
workbook (.xlsx, .xls) with lon/lat columns (decimal degrees or degrees-minutes-seconds),
OpenCellID export or (for ``speed_tests``) Ookla tile Parquet into raw frames in
EPSG:4326 (CSV and Excel tables share one path from table to layer), its columns
named as the layer's fields where a header is one of the schema's aliases
(:mod:`coverage_gis.io.headers`), values the user gives filled in
(:mod:`coverage_gis.io.given_values`) and the fields a list leaves out read from what it
has (a kind or category from a name, :mod:`coverage_gis.io.name_leads`; a band from a
channel, :mod:`coverage_gis.io.channels`; a tilt from its parts; the steps run in turn by
:mod:`coverage_gis.io.layer_readings`);
:func:`import_file` validates every produced layer against its schema, checks
references between layers (a cell's ``site_id``) and ids against the workspace
when appending (an imported commune list brings its own 2025 units,
:mod:`coverage_gis.io.commune_lists`), and only then writes, all layers in one atomic replacement of
``workspace.gpkg`` that also appends one entry to the workspace's revision log
(summary, imported ids, the lon/lat box that changed). Terrain and roads are files beside the GeoPackage, not
layers: :func:`import_dem` and :func:`import_roads` check and install them.

Every problem raises a :class:`~coverage_gis.errors.LayerValidationError` (or
:class:`~coverage_gis.errors.InputTooLarge`) naming the file, the zero-based
feature row and the field where there is one, and leaves the workspace as it was.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from coverage_gis.errors import LayerValidationError
from coverage_gis.io.appending import appended, check_references, dirty_bbox, references_spelled
from coverage_gis.io.colocated import colocated_notes
from coverage_gis.io.commune_lists import with_2025_units, with_environments
from coverage_gis.io.font_text import read_font_text
from coverage_gis.io.formats import SUPPORTED_FORMATS, detect_format, unsupported_format
from coverage_gis.io.given_values import check_given_fields
from coverage_gis.io.gzipped import gunzipped, is_gzip, renamed_error
from coverage_gis.io.import_notes import missing_fields_hint, orphan_notes, replaced_notes, report_notes
from coverage_gis.io.kml import read_kml
from coverage_gis.io.kml_layers import KIND_OF_GEOMETRY, fitting_placemarks, folder_values, label_gives_way
from coverage_gis.io.layer_readings import layers_read
from coverage_gis.io.ookla_tiles import read_parquet_table
from coverage_gis.io.opencellid import read_opencellid
from coverage_gis.io.osm import RoadNetworkInfo, import_roads, read_roads, validate_roads_file
from coverage_gis.io.placement import outside_notes
from coverage_gis.io.raster import DemInfo, import_dem, read_dem_info
from coverage_gis.io.row_errors import rows_placed
from coverage_gis.io.sector_lists import with_cell_ids
from coverage_gis.io.speedtests import speed_tests_frame
from coverage_gis.io.table_files import table_file_frame
from coverage_gis.io.vector import (
    MAX_IMPORT_BYTES,
    check_input_file,
    read_vector,
    shapefile_sidecars,
)
from coverage_gis.io.village_lists import (
    VillagePlaces,
    commune_name_notes,
    ids_from_names,
    with_province_codes,
)
from coverage_gis.layers import INPUT_LAYERS, LayerSchema, get_schema
from coverage_gis.revisions import RevisionRecord, default_author
from coverage_gis.validation import validate_layer
from coverage_gis.workspace import Workspace

__all__ = [
    "MAX_IMPORT_BYTES",
    "SUPPORTED_FORMATS",
    "DemInfo",
    "ImportResult",
    "RoadNetworkInfo",
    "detect_format",
    "import_dem",
    "import_file",
    "import_roads",
    "read_dem_info",
    "read_file",
    "read_roads",
    "validate_roads_file",
]

#: Layers an OpenCellID export fills (both at once).
OPENCELLID_LAYERS: tuple[str, ...] = ("sites", "cells")


@dataclass(frozen=True)
class ImportResult:
    """What an import wrote.

    Attributes
    ----------
    counts
        Layer name → number of features imported from the file.
    notes
        Human-readable remarks: reprojection, repaired geometries, ignored
        columns, defaults used, skipped rows.
    """

    counts: dict[str, int]
    notes: list[str] = field(default_factory=list)


def _input_schema(layer: str, source: str) -> LayerSchema:
    schema = get_schema(layer)
    if layer not in INPUT_LAYERS:
        raise LayerValidationError(
            f"layer {layer} is computed by coverage-gis and cannot be imported; "
            f"importable layers: {', '.join(INPUT_LAYERS)}",
            source=source,
        )
    return schema


def _read(
    path: Path,
    layer: str,
    *,
    file_format: str | None,
    source_layer: str | None,
    max_bytes: int,
    min_samples: int = 1,
    crs: str | None = None,
    values: Mapping[str, str] | None = None,
) -> tuple[dict[str, pd.DataFrame], list[str], list[str]]:
    """:func:`read_file` plus the reader's notes and each row's place in the file (a CSV's line, a
    workbook's sheet and row where it read several sheets; else empty)."""
    path = Path(path)
    source = str(path)
    schema = _input_schema(layer, source)
    extra = shapefile_sidecars(path) if path.suffix.lower() == ".shp" else ()
    check_input_file(path, max_bytes=max_bytes, extra=extra)
    notes: list[str] = []
    places: list[str] = []
    read = functools.partial(
        _read_format,
        layer=layer,
        schema=schema,
        source=source,
        file_format=file_format,
        source_layer=source_layer,
        max_bytes=max_bytes,
        min_samples=min_samples,
        crs=crs,
        values=values or {},
        notes=notes,
        row_places=places,
    )
    with rows_placed(notes, places):
        if not is_gzip(path):
            return read(path), notes, places
        # OpenCellID's downloads: read what they unpack to, errors naming the file given.
        with gunzipped(path, max_bytes=max_bytes) as unpacked:
            notes.append(f"unpacked the gzip file {path.name} ({unpacked.name})")
            try:
                return read(unpacked), notes, places
            except LayerValidationError as exc:
                raise renamed_error(exc, source) from None


def _read_format(
    path: Path,
    *,
    layer: str,
    schema: LayerSchema,
    source: str,
    file_format: str | None,
    source_layer: str | None,
    max_bytes: int,
    min_samples: int,
    crs: str | None,
    values: Mapping[str, str],
    notes: list[str],
    row_places: list[str],
) -> dict[str, pd.DataFrame]:
    """The frames of the file at ``path`` (``source``: the name errors give), read as ``layer``;
    ``row_places`` gets each row's place in the file, where the reader knows it (a CSV's line,
    a workbook's sheet and row)."""
    if file_format is not None and file_format not in (*SUPPORTED_FORMATS, "osm"):
        raise unsupported_format(source, f"unknown format {file_format!r}")
    fmt = file_format or detect_format(path, max_bytes=max_bytes)
    evidence: list[pd.Series] = []
    degrees: list[pd.Series] = []
    if crs is not None and fmt not in ("csv", "xlsx", "xls", "geojson", "gpkg", "shp"):
        raise LayerValidationError(
            f"--crs names the CRS of a file's coordinates; a {fmt} file is always in WGS 84 degrees",
            source=source,
        )
    if crs is not None and layer == "speed_tests":
        raise LayerValidationError(
            "speed tests are read in WGS 84 degrees; --crs is not for them", source=source
        )
    if fmt == "osm":
        raise LayerValidationError(
            f"is OSM XML, which coverage-gis reads as the road network, not as the {layer} layer: "
            "import it with `covgis import WS roads FILE`",
            source=source,
        )
    if fmt == "opencellid":
        if layer not in OPENCELLID_LAYERS:
            raise LayerValidationError(
                f"an OpenCellID file fills the sites and cells layers, not {layer}", source=source
            )
        frames = read_opencellid(path, notes=notes, min_samples=min_samples)
    elif fmt == "parquet":
        if layer != "speed_tests":
            raise LayerValidationError(
                f"Parquet files are read for speed_tests (Ookla tiles), not {layer}", source=source
            )
        frames = {layer: read_parquet_table(path)}
    else:
        with_geometry = schema.has_geometry
        if fmt in ("geojson", "gpkg", "shp"):
            vector = read_vector(
                path,
                file_format=fmt,
                with_geometry=with_geometry,
                source_layer=source_layer,
                max_bytes=max_bytes,
                notes=notes,
                schema=schema,
                crs=crs,
            )
            frame = read_font_text(vector, notes)
        elif fmt == "kml":
            placemarks = read_kml(
                path,
                with_geometry=with_geometry,
                source_layer=source_layer,
                max_bytes=max_bytes,
                notes=notes,
                kind=KIND_OF_GEOMETRY.get(schema.geometry),
            )
            placemarks = fitting_placemarks(placemarks, schema, notes=notes)
            placemarks = folder_values(placemarks, schema, given=values.keys(), notes=notes)
            frame = read_font_text(label_gives_way(placemarks, schema, notes=notes), notes)
        else:
            frame, evidence, degrees = table_file_frame(
                path,
                fmt,
                schema,
                source=source,
                source_layer=source_layer,
                max_bytes=max_bytes,
                crs=crs,
                notes=notes,
                row_places=row_places,
            )
        frames = {layer: frame}
    if values:
        check_given_fields(values, [get_schema(name) for name in frames], source=source)
    if layer == "speed_tests" and len(frames[layer]):
        frames = {layer: speed_tests_frame(frames[layer], path=path, notes=notes, values=values)}
    else:  # speed tests name their columns through io.speedtests' own table
        frames = layers_read(
            frames,
            values=values,
            evidence=evidence,
            degrees=degrees,
            source=source,
            places=row_places,
            notes=notes,
        )
    for name, frame in frames.items():
        if len(frame) == 0:
            raise LayerValidationError("contains no features", source=source, layer=name)
    return frames


def read_file(
    path: Path,
    layer: str,
    *,
    file_format: str | None = None,
    source_layer: str | None = None,
    max_bytes: int = MAX_IMPORT_BYTES,
    min_samples: int = 1,
    crs: str | None = None,
    values: Mapping[str, str] | None = None,
) -> dict[str, pd.DataFrame]:
    """Read (not validate) a file into raw frames keyed by target layer, in EPSG:4326.

    Parameters
    ----------
    path
        The input file.
    layer
        Target layer (one of :data:`coverage_gis.layers.INPUT_LAYERS`). It decides
        whether geometries are read; an OpenCellID file yields ``sites`` and ``cells``.
    file_format
        One of :data:`SUPPORTED_FORMATS`; default: from the extension and contents.
    source_layer
        Layer of a multi-layer source (GeoPackage layer, KML folder, shapefile in a zip,
        sheet of an Excel workbook).
    max_bytes
        Size limit in bytes (also on a zip's unpacked contents).
    min_samples
        OpenCellID only: drop cells estimated from fewer measurements.
    crs
        CSV and Excel only: the CRS of the coordinate columns (default: WGS 84 degrees);
        a projected CRS reads easting/northing columns (VN-2000 X/Y in either order).
    values
        Field → value for the rows that give none (the file has no such column, or an
        empty cell): an operator's own list without an operator column
        (:mod:`coverage_gis.io.given_values`).

    Returns
    -------
    dict
        Layer name → frame (a GeoDataFrame in EPSG:4326 for layers with geometry);
        index = zero-based feature number in the file.

    Raises
    ------
    LayerValidationError
        Missing, unreadable or unsupported file, no or unknown CRS, missing
        lon/lat columns, non-numeric coordinates, an ambiguous multi-layer source.
    InputTooLarge
        A file over ``max_bytes``.
    """
    frames, _, _ = _read(
        path,
        layer,
        file_format=file_format,
        source_layer=source_layer,
        max_bytes=max_bytes,
        min_samples=min_samples,
        crs=crs,
        values=values,
    )
    return frames


def import_file(
    ws: Workspace,
    layer: str,
    path: Path,
    *,
    file_format: str | None = None,
    source_layer: str | None = None,
    append: bool = False,
    max_bytes: int = MAX_IMPORT_BYTES,
    min_samples: int = 1,
    crs: str | None = None,
    values: Mapping[str, str] | None = None,
    make_ids: bool = False,
) -> ImportResult:
    """Read a file, validate it and write it into the workspace in one atomic step.

    Parameters
    ----------
    ws
        The workspace.
    layer
        Target layer; an OpenCellID file fills ``sites`` and ``cells`` together.
    path
        The input file.
    file_format
        One of :data:`SUPPORTED_FORMATS`; default: from the extension and contents.
    source_layer
        Layer of a multi-layer source.
    append
        Add the features to the layer instead of replacing it; an id already in
        the layer is an error, but for a site the layer holds at the same place (a mast
        in two operators' lists: kept once, with a note).
    max_bytes
        Size limit in bytes.
    min_samples
        OpenCellID only: drop cells whose position rests on fewer measurements.
    crs
        CSV and Excel only: the CRS of the coordinate columns (default: WGS 84 degrees);
        a projected CRS reads easting/northing columns (VN-2000 X/Y in either order).
    values
        Field → value for the rows that give none (the file has no such column, or an
        empty cell): an operator's own list without an operator column
        (:mod:`coverage_gis.io.given_values`).
    make_ids
        A list without an id column gets each feature's id made: a village's from the
        commune it lies in and its name, a place's likewise
        (:func:`coverage_gis.io.village_lists.ids_from_names`), a cell's from its site id and
        technology (:func:`coverage_gis.io.sector_lists.with_cell_ids`).

    Returns
    -------
    ImportResult
        Features imported per layer and remarks. The write also records one
        revision (author = OS user) with the imported ids and the changed area.

    Raises
    ------
    LayerValidationError
        Anything :func:`read_file` or :func:`coverage_gis.validation.validate_layer`
        reports, a reference to an unknown id (a cell's ``site_id``), or an
        appended id that already exists (a site: elsewhere). Nothing is written then.
    InputTooLarge
        A file over ``max_bytes``.
    """
    path = Path(path)
    source = str(path)
    frames, notes, row_places = _read(
        path,
        layer,
        file_format=file_format,
        source_layer=source_layer,
        max_bytes=max_bytes,
        min_samples=min_samples,
        crs=crs,
        values=values,
    )
    new: dict[str, pd.DataFrame] = {}
    rows: dict[str, pd.Index] = {}
    with rows_placed(notes, row_places):
        if "villages" in frames:
            # The villages' communes, read and placed once for the three steps that ask.
            places = VillagePlaces(frames["villages"], ws)
            frames["villages"] = with_province_codes(frames["villages"], places, notes=notes)
            if make_ids:
                frames["villages"] = ids_from_names(frames["villages"], places, "village_id", notes=notes)
            notes.extend(commune_name_notes(frames["villages"], places))
        if make_ids and "pois" in frames:
            frames["pois"] = ids_from_names(
                frames["pois"], VillagePlaces(frames["pois"], ws), "poi_id", notes=notes
            )
        if make_ids and "cells" in frames:
            frames["cells"] = with_cell_ids(frames["cells"], notes=notes)
        for name, frame in frames.items():
            try:
                clean, report = validate_layer(frame, get_schema(name), source=source)
            except LayerValidationError as exc:
                raise missing_fields_hint(exc, get_schema(name), make_ids=make_ids) from None
            new[name] = clean
            rows[name] = frame.index
            notes.extend(report_notes(name, report, frame.columns))
        if "communes" in new:
            new["communes"] = with_environments(new["communes"], notes=notes)
        if "communes" in new and not append:
            # The parts the workspace holds were cut from other units: the list's own replace them.
            units = with_2025_units(new["communes"])
            new["communes"] = units.communes
            new["commune_parts_2025"], _ = validate_layer(
                units.parts, get_schema("commune_parts_2025"), source=source
            )
            rows["commune_parts_2025"] = new["commune_parts_2025"].index
            notes.append(units.note)
    notes.extend(outside_notes(ws, new))
    new = references_spelled(ws, new, notes=notes)
    # Read, merge and write under the writer lock: an append or a reference check made
    # on layers another process is replacing would lose its rows.
    with ws.lock():
        with rows_placed(notes, row_places):
            final = {
                name: appended(ws, name, clean, rows[name], source=source, notes=notes) if append else clean
                for name, clean in new.items()
            }
            check_references(ws, new, final, rows, source=source)
        if not append:
            notes.extend(replaced_notes(ws, final))
            notes.extend(orphan_notes(ws, final))
        if "sites" in final:
            new_ids = {str(v) for v in new["sites"]["site_id"]}
            notes.extend(colocated_notes(final["sites"], new_ids, ws.config.metric_crs))
        counts = {name: len(clean) for name, clean in new.items()}
        summary = ", ".join(f"{count} {name}" for name, count in counts.items())
        revision = RevisionRecord(
            summary=f"{'append' if append else 'import'} {summary} from {path.name}",
            author=default_author(),
            changed_ids=[
                str(v) for name, clean in new.items() for v in clean[get_schema(name).id_field].tolist()
            ],
            dirty_bbox=dirty_bbox(ws, new, final, append=append),
            coverage_current=False,
        )
        ws.write_layers(final, validate=False, source=source, revision=revision)
    return ImportResult(counts=counts, notes=notes)
