"""Vector files read through GDAL (pyogrio): GeoJSON, GeoPackage, shapefiles (zipped or bare).

GDAL picks a driver by probing a file's content, and some drivers read other
files or URLs named inside the file (a VRT's ``SrcDataSource``). So each file is
opened with the one driver its format implies only: its first bytes must be that
format's (a GeoJSON object, the SQLite header, the shapefile header) and the
dataset name carries the driver (``GeoJSON:``, ``GPKG:``); a VRT or any other
indirection is refused before GDAL sees it. A zipped shapefile is unpacked by
Python first, each member checked against its CRC and the size limit counted on
the bytes actually unpacked: an archive whose directory lies is a corrupt file,
never a silently truncated layer. Shapefile field names cut to 10 bytes by
the DBF format are mapped back to the layer schema's names, and to the field an alias
names when the cut is of an alias and fits one field only
(:func:`restore_dbf_names`); a DBF without a ``.cpg`` is read in the encoding its
text shows (:mod:`coverage_gis.io.dbf`).

This module also owns what every importer of :mod:`coverage_gis.io` shares: the
checks on an input path before reading it (exists, is a file, under the size
limit), zip members read with those checks (:func:`read_zip_member`), the
conversion of a frame's CRS to the storage CRS (EPSG:4326), and the atomic
installation of a checked file into the workspace folder.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import tempfile
import warnings
import zipfile
import zlib
from collections.abc import Collection, Iterator
from pathlib import Path
from typing import BinaryIO

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pyproj
import shapely

from coverage_gis.crs import STORAGE_CRS
from coverage_gis.errors import CoverageGISError, InputTooLarge, LayerValidationError
from coverage_gis.io.axis_order import with_axes_swapped
from coverage_gis.io.dbf import DBF_NAME_LENGTH, dbf_field_names, dbf_text
from coverage_gis.io.geometry_rows import read_decoding_each
from coverage_gis.io.headers import cut_header_fields, find_header
from coverage_gis.io.mixed_fields import as_written
from coverage_gis.io.prj import given_crs, restored_datum_shift, vn2000_named_shift
from coverage_gis.layers import LayerSchema

#: Default limit on the size of one input file (and on a zip's unpacked contents).
MAX_IMPORT_BYTES: int = 200 * 1024 * 1024

_SHAPEFILE_SIDECARS = (".shx", ".dbf", ".prj", ".cpg", ".qix", ".sbn", ".sbx")
#: Members of a zipped shapefile that GDAL reads (unpacked beside the .shp).
_SHAPEFILE_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg")
_CHUNK_BYTES = 1 << 20
#: A stored DBF field name at least this long may be a longer name cut.
_CUT_NAME_BYTES = DBF_NAME_LENGTH - 2
#: Format → (name in messages, GDAL driver prefix or None, how its files begin).
_SIGNATURES: dict[str, tuple[str, str | None, tuple[bytes, ...]]] = {
    "geojson": ("GeoJSON", "GeoJSON:", (b"{",)),
    "gpkg": ("GeoPackage", "GPKG:", (b"SQLite format 3\x00",)),
    "shp": ("shapefile", None, (b"\x00\x00\x27\x0a",)),
}
# A GeoJSON "crs" member sits before the features; the head of the file is enough to find it.
_GEOJSON_HEAD_BYTES = 65536
_GEOJSON_CRS = re.compile(rb'"crs"\s*:\s*\{.*?"name"\s*:\s*"([^"]+)"', re.DOTALL)


def one_line(text: object) -> str:
    """``text`` on one line (GDAL and parser messages may span several)."""
    return " ".join(str(text).split())


def gdal_reason(exc: BaseException, dataset: str) -> str:
    """A GDAL error on one line, without the dataset path it repeats or its driver-prefix hint."""
    text = one_line(exc).replace(f"'{dataset}' ", "").replace(dataset, Path(dataset).name)
    for hint in ("; It might help", ". It might help"):
        text = text.split(hint, 1)[0]
    return text.rstrip(" .;")


def check_input_file(path: Path, *, max_bytes: int, extra: tuple[Path, ...] = ()) -> int:
    """Check that ``path`` is a readable file no larger than ``max_bytes``.

    Parameters
    ----------
    path
        The input file.
    max_bytes
        Size limit in bytes, for ``path`` plus ``extra`` together.
    extra
        Companion files read with it (a shapefile's ``.dbf``, ...), counted when present.

    Returns
    -------
    int
        The size in bytes.

    Raises
    ------
    LayerValidationError
        When the file is missing, a folder or unreadable.
    InputTooLarge
        When it is over the limit.
    """
    source = str(path)
    if not path.exists():
        raise LayerValidationError("file not found", source=source)
    if not path.is_file():
        raise LayerValidationError("is not a file", source=source)
    try:
        size = path.stat().st_size + sum(p.stat().st_size for p in extra if p.is_file())
        with path.open("rb") as fh:
            fh.read(1)
    except OSError as exc:
        raise LayerValidationError(f"cannot read the file ({exc.strerror or exc})", source=source) from None
    if size > max_bytes:
        raise InputTooLarge(
            f"{source}: file is {size:,} bytes, over the import limit of {max_bytes:,} bytes; "
            "split it or raise the limit"
        )
    return size


def to_storage_crs(frame: gpd.GeoDataFrame, *, source: str, notes: list[str]) -> gpd.GeoDataFrame:
    """Reproject ``frame`` to EPSG:4326, refusing frames without a usable CRS.

    Parameters
    ----------
    frame
        Features with geometry, as read.
    source
        The file, named in errors and notes.
    notes
        Gets a remark when the frame was reprojected.

    Raises
    ------
    LayerValidationError
        When the frame has no CRS or cannot be transformed to EPSG:4326.
    """
    crs = frame.crs
    if crs is None:
        raise LayerValidationError(
            "has no CRS; the coordinates cannot be placed on the map. Import again with the CRS "
            "they are in (--crs EPSG:4326 for degrees, --crs EPSG:3405 for VN-2000 / UTM 48N "
            "metres, or the province's VN-2000 TM-3 zone), or give the file one (a .prj beside "
            "a shapefile, the layer's SRS in a GeoPackage), e.g. in QGIS",
            source=source,
        )
    if crs.equals(STORAGE_CRS, ignore_axis_order=True):
        return frame.set_crs(STORAGE_CRS, allow_override=True)
    label = crs.to_string()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = frame.to_crs(STORAGE_CRS)
    except (pyproj.exceptions.CRSError, pyproj.exceptions.ProjError, ValueError) as exc:
        raise LayerValidationError(
            f"cannot reproject from CRS {label} to EPSG:4326 ({one_line(exc)})", source=source
        ) from None
    coords = shapely.get_coordinates(out.geometry.to_numpy())
    if len(coords) and not np.isfinite(coords).all():
        raise LayerValidationError(
            f"cannot reproject from CRS {label} to EPSG:4326 (coordinates fall outside the CRS)",
            source=source,
        )
    notes.append(f"reprojected from {label} ({crs.name}) to EPSG:4326")
    return out


def _zip_members(path: Path, *, max_bytes: int) -> list[zipfile.ZipInfo]:
    source = str(path)
    try:
        with zipfile.ZipFile(path) as archive:
            members = [
                m for m in archive.infolist() if not m.is_dir() and not m.filename.startswith("__MACOSX/")
            ]
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise LayerValidationError(f"not a readable zip file ({one_line(exc)})", source=source) from None
    unpacked = sum(m.file_size for m in members)
    if unpacked > max_bytes:
        raise InputTooLarge(
            f"{source}: zip unpacks to {unpacked:,} bytes, over the import limit of {max_bytes:,} bytes"
        )
    return members


def zip_member_names(path: Path, *, max_bytes: int) -> list[str]:
    """Names of the files in zip ``path`` (after checking the unpacked size its directory claims)."""
    return [m.filename for m in _zip_members(path, max_bytes=max_bytes)]


def _copy_member(
    archive: zipfile.ZipFile, name: str, out: BinaryIO, *, source: str, budget: int, max_bytes: int
) -> int:
    """Unpack member ``name`` into ``out``, checking its CRC; returns the bytes written.

    Raises
    ------
    LayerValidationError
        The member is damaged (CRC, truncated or undecodable data, an unsupported or
        encrypted entry): the zip file is corrupt.
    InputTooLarge
        More than ``budget`` bytes come out (whatever the directory claims).
    """
    written = 0
    try:
        with archive.open(name) as member:
            while chunk := member.read(_CHUNK_BYTES):
                written += len(chunk)
                if written > budget:
                    raise InputTooLarge(
                        f"{source}: zip unpacks to more than {max_bytes:,} bytes, over the import limit"
                    )
                out.write(chunk)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, RuntimeError) as exc:
        raise LayerValidationError(
            f"the zip file is corrupt: member {name!r} cannot be unpacked ({one_line(exc)}); "
            "make the archive again",
            source=source,
        ) from None
    return written


def read_zip_member(path: Path, name: str, *, max_bytes: int) -> bytes:
    """The bytes of member ``name`` of zip ``path``, CRC-checked and at most ``max_bytes``."""
    source = str(path)
    out = io.BytesIO()
    with zipfile.ZipFile(path) as archive:
        _copy_member(archive, name, out, source=source, budget=max_bytes, max_bytes=max_bytes)
    return out.getvalue()


def check_zip_unpacked(path: Path, *, max_bytes: int) -> None:
    """Check that zip ``path`` (an .xlsx workbook) is intact and unpacks to at most ``max_bytes``,
    by unpacking every member into nothing (the directory's claimed sizes are not trusted)."""
    source = str(path)
    budget = max_bytes
    members = _zip_members(path, max_bytes=max_bytes)
    with zipfile.ZipFile(path) as archive, open(os.devnull, "wb") as sink:
        for member in members:
            budget -= _copy_member(
                archive, member.filename, sink, source=source, budget=budget, max_bytes=max_bytes
            )


@contextlib.contextmanager
def _unpacked_shapefile(path: Path, member: str, names: list[str], *, max_bytes: int) -> Iterator[Path]:
    """The shapefile ``member`` of zip ``path`` and its parts, unpacked (checked) in a temporary folder."""
    source = str(path)
    stem = member[: -len(".shp")]
    parts = [n for n in names if n[: len(stem)] == stem and n[len(stem) :].lower() in _SHAPEFILE_PARTS]
    with tempfile.TemporaryDirectory(prefix="covgis-shp-") as tmp:
        budget = max_bytes
        target = Path(tmp) / "layer.shp"
        with zipfile.ZipFile(path) as archive:
            for name in parts:
                out_path = target.with_suffix(name[len(stem) :].lower())
                with out_path.open("wb") as out:
                    budget -= _copy_member(
                        archive, name, out, source=source, budget=budget, max_bytes=max_bytes
                    )
        yield target


def _check_signature(path: Path, file_format: str, *, source: str) -> None:
    """Refuse a file whose first bytes are not those of ``file_format`` (see the module docstring)."""
    label, _, starts = _SIGNATURES[file_format]
    with path.open("rb") as fh:
        head = fh.read(64).lstrip(b"\xef\xbb\xbf \t\r\n")
    if not head.startswith(starts):
        hint = " (it is a GDAL VRT, which points at other files or URLs)" if b"<OGRVRT" in head else ""
        raise LayerValidationError(
            f"cannot read as {file_format}: the content is not a {label} file{hint}; only plain "
            f"{label} files are imported, no VRT or other files that point elsewhere",
            source=source,
        )


@contextlib.contextmanager
def _gdal_dataset(
    path: Path,
    *,
    file_format: str,
    source_layer: str | None,
    max_bytes: int,
    geometry: str | None = None,
    notes: list[str] | None = None,
) -> Iterator[tuple[str, bool, str | None]]:
    """``(dataset name for GDAL, whether a .prj exists, layer)`` of the file, checked.

    The dataset name opens the file with its format's driver only. ``geometry`` is the
    target layer's (:attr:`~coverage_gis.layers.LayerSchema.geometry`): of a GeoPackage's
    several layers, the one of that kind is read when it is the only one (:func:`_pick_layer`).
    """
    source = str(path)
    if file_format != "shp":
        _check_signature(path, file_format, source=source)
        prefix = _SIGNATURES[file_format][1] or ""
        dataset = f"{prefix}{path.resolve()}"
        layer = _pick_layer(
            dataset,
            file_format=file_format,
            source_layer=source_layer,
            source=source,
            geometry=geometry,
            notes=notes,
        )
        yield dataset, False, layer
        return
    if path.suffix.lower() == ".shp":
        _check_signature(path, "shp", source=source)
        yield str(path), path.with_suffix(".prj").is_file(), None
        return
    names = zip_member_names(path, max_bytes=max_bytes)
    shps = [n for n in names if n.lower().endswith(".shp")]
    if not shps:
        raise LayerValidationError("zip file contains no .shp shapefile", source=source)
    stems = {Path(n).stem: n for n in shps}
    if source_layer is not None:
        if source_layer not in stems:
            raise LayerValidationError(
                f"no shapefile {source_layer!r} in the zip; shapefiles: {', '.join(sorted(stems))}",
                source=source,
            )
        member = stems[source_layer]
    elif len(shps) > 1:
        raise LayerValidationError(
            f"zip holds {len(shps)} shapefiles; choose one with --source-layer "
            f"(shapefiles: {', '.join(sorted(stems))})",
            source=source,
        )
    else:
        member = shps[0]
    with _unpacked_shapefile(path, member, names, max_bytes=max_bytes) as shp:
        _check_signature(shp, "shp", source=source)
        yield str(shp), shp.with_suffix(".prj").is_file(), None


#: Tables QGIS keeps in a GeoPackage beside its layers (styles, projects): never the data.
_QGIS_TABLES = frozenset({"layer_styles", "qgis_projects"})
#: The geometry types GDAL lists for a layer that fits each layer geometry of the schemas
#: (``none``: an attribute table).
_FITTING_TYPES: dict[str, frozenset[str | None]] = {
    "Point": frozenset({"Point", "MultiPoint"}),
    "LineString": frozenset({"LineString", "MultiLineString"}),
    "MultiPolygon": frozenset({"Polygon", "MultiPolygon"}),
    "none": frozenset({None}),
}


def _pick_layer(
    dataset: str,
    *,
    file_format: str,
    source_layer: str | None,
    source: str,
    geometry: str | None = None,
    notes: list[str] | None = None,
) -> str:
    """The layer of a multi-layer file to read: ``source_layer``, else the only one besides
    QGIS's own tables, else the only one whose geometry fits ``geometry`` (with a note: a
    GeoPackage of a fiber network's routes and nodes read as routes), else an error that
    lists them (:func:`choose_source_layer`)."""
    try:
        listed = pyogrio.list_layers(dataset)
    except Exception as exc:
        raise LayerValidationError(
            f"cannot read as {file_format} ({gdal_reason(exc, dataset)})", source=source
        ) from None
    names = [str(row[0]) for row in listed]
    if source_layer is None and len(names) > 1:
        kinds = {
            str(row[0]): None if row[1] is None else str(row[1]).removesuffix(" Z").removesuffix(" M")
            for row in listed
        }
        data = [n for n in names if n.casefold() not in _QGIS_TABLES] or names
        fitting = [n for n in data if kinds[n] in _FITTING_TYPES.get(geometry or "", frozenset())]
        if len(data) > 1 and len(fitting) == 1 and notes is not None:
            notes.append(
                f"read the layer {fitting[0]!r}, the only one of {', '.join(data)} whose geometry "
                f"fits ({kinds[fitting[0]]})"
            )
        chosen = fitting if len(data) > 1 and len(fitting) == 1 else data
        return (
            chosen[0]
            if len(chosen) == 1
            else names[choose_source_layer(chosen, None, source=source, parts="layers")]
        )
    return names[choose_source_layer(names, source_layer, source=source, parts="layers")]


def choose_source_layer(names: list[str], source_layer: str | None, *, source: str, parts: str) -> int:
    """Index of the part of a multi-part source to read: ``source_layer``, else the only one.

    ``parts`` names them in messages (``layers``, ``folders with Placemarks``). An empty
    source, an unknown ``source_layer`` or several parts without one are errors that
    list the parts.
    """
    listed = ", ".join(names)
    if not names:
        raise LayerValidationError(f"contains no {parts}", source=source)
    if source_layer is not None:
        if source_layer not in names:
            raise LayerValidationError(f"has no {source_layer!r} among its {parts}: {listed}", source=source)
        return names.index(source_layer)
    if len(names) > 1:
        raise LayerValidationError(
            f"has {len(names)} {parts}; choose one with --source-layer (layers: {listed})", source=source
        )
    return 0


def _check_geojson_crs(path: Path, *, source: str) -> None:
    """Refuse a legacy GeoJSON ``crs`` member that names an unknown CRS (GDAL would ignore it)."""
    with path.open("rb") as fh:
        head = fh.read(_GEOJSON_HEAD_BYTES)
    match = _GEOJSON_CRS.search(head)
    if match is None:
        return
    name = match.group(1).decode("utf-8", errors="replace")
    try:
        pyproj.CRS.from_user_input(name)
    except pyproj.exceptions.CRSError:
        raise LayerValidationError(
            f"unknown CRS {name!r} in the GeoJSON 'crs' member; use an EPSG code or drop it "
            "(GeoJSON is EPSG:4326 by default)",
            source=source,
            field="crs",
        ) from None


def read_vector(
    path: Path,
    *,
    file_format: str,
    with_geometry: bool,
    source_layer: str | None = None,
    max_bytes: int = MAX_IMPORT_BYTES,
    notes: list[str] | None = None,
    schema: LayerSchema | None = None,
    crs: str | None = None,
) -> pd.DataFrame:
    """Read one layer of a GeoJSON, GeoPackage or shapefile into a frame in EPSG:4326.

    Parameters
    ----------
    path
        The file (a ``.zip`` holding shapefiles, or a bare ``.shp``, for ``shp``).
    file_format
        ``geojson``, ``gpkg`` or ``shp``.
    with_geometry
        Read geometries (False for attribute-only layers such as ``cells``).
    source_layer
        Layer (GeoPackage) or shapefile name (zip) to read; required when there are several.
    max_bytes
        Limit on a zip's unpacked size.
    notes
        Gets remarks (reprojection, ignored geometries).
    schema
        The target layer: a shapefile's field names cut to 10 bytes are read as its
        fields (:func:`restore_dbf_names`).
    crs
        The CRS of a file that declares none (``--crs``: a shapefile without a ``.prj``, a
        GeoJSON without a ``crs`` member written in VN-2000 metres); a file that declares
        another is refused.

    Returns
    -------
    pandas.DataFrame
        A GeoDataFrame in EPSG:4326 when ``with_geometry``; index = zero-based
        feature number in the source layer.
    """
    source = str(path)
    notes = notes if notes is not None else []
    if file_format == "geojson":
        _check_geojson_crs(path, source=source)
    with _gdal_dataset(
        path,
        file_format=file_format,
        source_layer=source_layer,
        max_bytes=max_bytes,
        geometry=schema.geometry if schema is not None else None,
        notes=notes,
    ) as (dataset, has_prj, layer):
        text = dbf_text(Path(dataset), notes) if file_format == "shp" else None
        dbf = Path(dataset).with_suffix(".dbf")
        stored = dbf_field_names(dbf) if file_format == "shp" and dbf.is_file() else []
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                encoding = text.gdal_encoding if text is not None else None
                frame = pyogrio.read_dataframe(
                    dataset, layer=layer, read_geometry=with_geometry, encoding=encoding
                )
                frame = as_written(frame, dataset, layer=layer, encoding=encoding)
        except CoverageGISError:
            raise
        except pyproj.exceptions.CRSError as exc:
            raise LayerValidationError(f"unknown CRS ({one_line(exc)})", source=source, field="crs") from None
        except shapely.errors.GEOSException:
            # A geometry GEOS cannot build (a one-point line, an unclosed ring): read
            # feature by feature to close rings and name the feature otherwise.
            frame = read_decoding_each(
                dataset,
                layer=layer,
                encoding=text.gdal_encoding if text is not None else None,
                source=source,
                notes=notes,
            )
        except Exception as exc:
            raise LayerValidationError(
                f"cannot read as {file_format} ({gdal_reason(exc, dataset)})", source=source
            ) from None
    frame = frame.reset_index(drop=True)
    if text is not None:
        frame = text.recode(frame, source=source)
    if file_format == "shp" and schema is not None:
        fields = [c for c in frame.columns if c != "geometry"]
        # The names that may have been cut (GDAL keeps the fields' order): stored at the
        # 10-byte limit, or up to two bytes short of it, since GDAL drops the space a cut
        # ends on ("Độ cao anten" → "Độ cao") and other writers cut on a character boundary
        # (a Vietnamese letter is up to three bytes in UTF-8).
        cut = [c for c, n in zip(fields, stored, strict=False) if len(n) >= _CUT_NAME_BYTES]
        frame = restore_dbf_names(frame, schema, source=source, notes=notes, cut=cut)
    if not with_geometry:
        return pd.DataFrame(frame)
    if not isinstance(frame, gpd.GeoDataFrame):
        # An attribute table: validation reports the missing geometries.
        return pd.DataFrame(frame)
    named = given_crs(crs, source)
    if named is not None:
        frame = _named_crs(
            frame, named, declared=_declares_crs(frame, path, file_format), notes=notes, source=source
        )
    if frame.crs is None and has_prj:
        raise LayerValidationError(
            "has a .prj whose CRS cannot be parsed; replace it with a valid .prj "
            "(e.g. export the layer again from QGIS), or name the CRS with --crs",
            source=source,
            field="crs",
        )
    geoms = frame.geometry.to_numpy()
    if shapely.has_z(geoms).any():
        frame = frame.set_geometry(gpd.GeoSeries(shapely.force_2d(geoms), index=frame.index, crs=frame.crs))
        notes.append("dropped heights (Z) of 3D geometries")
    declared = frame.crs
    shifted = None if declared is None else restored_datum_shift(declared, source=source)
    if shifted is not None and shifted is not declared:
        frame = frame.set_crs(shifted, allow_override=True)
        notes.append("read the towgs84 datum shift the .prj keeps only in its datum's name")
    elif declared is not None and (on_vn2000 := vn2000_named_shift(declared)) is not declared:
        frame = frame.set_crs(on_vn2000, allow_override=True)
        notes.append(
            f"the CRS {declared.name!r} is named as VN-2000's but defined on WGS 84 without a datum "
            "shift: its coordinates read on VN-2000's datum (read on WGS 84 they would lie about 230 m off)"
        )
    reprojected = to_storage_crs(frame, source=source, notes=notes)
    if named is None and (declared is None or declared.is_geographic):
        # Degrees written latitude first (a hand-made GeoJSON), where every feature says so.
        reprojected = with_axes_swapped(reprojected, notes=notes)
    return reprojected


def _declares_crs(frame: gpd.GeoDataFrame, path: Path, file_format: str) -> bool:
    """Whether the file gave ``frame`` its CRS: GDAL gives every GeoJSON WGS 84, which only a
    ``crs`` member declares (a file written in metres without one is common)."""
    if frame.crs is None:
        return False
    if file_format != "geojson":
        return True
    with open(path, "rb") as fh:
        return _GEOJSON_CRS.search(fh.read(_GEOJSON_HEAD_BYTES)) is not None


def _named_crs(
    frame: gpd.GeoDataFrame, named: pyproj.CRS, *, declared: bool, notes: list[str], source: str
) -> gpd.GeoDataFrame:
    """``frame`` in the CRS ``--crs`` named, refused where the file declares another."""
    if declared and frame.crs is not None and not frame.crs.equals(named, ignore_axis_order=True):
        raise LayerValidationError(
            f"declares its CRS ({frame.crs.to_string()}), not {named.to_string()}; --crs names the CRS "
            "of a file that declares none",
            source=source,
            field="crs",
        )
    notes.append(f"read the coordinates in {named.name} (--crs)")
    return frame.set_crs(named, allow_override=True)


def restore_dbf_names(
    frame: pd.DataFrame,
    schema: LayerSchema,
    *,
    source: str,
    notes: list[str],
    cut: Collection[str] = (),
) -> pd.DataFrame:
    """``frame`` from a shapefile with field names the DBF cut to 10 bytes named as in ``schema``.

    A column that is not a schema field but is the first 10 characters of exactly
    one longer schema field (case-insensitive) takes that field's name, e.g.
    ``province_c`` → ``province_code``. A column of ``cut`` (names the DBF stores at or
    near its 10-byte limit) that is no spelling of a field but the start of a spelling of exactly one
    field (:func:`coverage_gis.io.headers.cut_header_fields`: ``DO_CAO_ANT``, the cut of
    "DO_CAO_ANTEN", an alias of ``height_m``) takes that field's name, unless the file has
    a column for that field or another cut column fits it too; a cut that fits several
    fields is left unread. Both are said in a note.

    Raises
    ------
    LayerValidationError
        A cut name that fits several schema fields (``new_provin``: new_province_code
        or new_province_name): the file cannot say which it holds.
    """
    known = {f.name.casefold() for f in schema.fields}
    renames: dict[str, str] = {}
    for column in frame.columns:
        key = str(column).strip().casefold()
        if column == "geometry" or key in known or len(key) != DBF_NAME_LENGTH:
            continue
        fits = [
            f.name
            for f in schema.fields
            if len(f.name) > DBF_NAME_LENGTH and f.name[:DBF_NAME_LENGTH].casefold() == key
        ]
        if len(fits) > 1:
            raise LayerValidationError(
                f"shapefile field {column!r} may be {' or '.join(fits)}: a shapefile keeps only the first "
                f"{DBF_NAME_LENGTH} characters of a field name. Rename the fields so that their first "
                f"{DBF_NAME_LENGTH} characters differ, or export a GeoPackage instead",
                source=source,
                field=str(column),
            )
        if fits and fits[0].casefold() not in {str(c).strip().casefold() for c in frame.columns}:
            renames[str(column)] = fits[0]
    renames.update(_cut_alias_renames(frame, schema, [c for c in cut if c not in renames], notes=notes))
    if renames:
        notes.append(
            "shapefile field names cut to 10 bytes read as "
            + ", ".join(f"{old} → {new}" for old, new in renames.items())
        )
    return frame.rename(columns=renames)


def _cut_alias_renames(
    frame: pd.DataFrame, schema: LayerSchema, cut: list[str], *, notes: list[str]
) -> dict[str, str]:
    """Cut DBF names → the one field whose alias each is the start of (see :func:`restore_dbf_names`)."""
    by_field: dict[str, list[str]] = {}
    for column in cut:
        fits = cut_header_fields(column, schema.fields)
        if len(fits) > 1:
            notes.append(
                f"shapefile field {column!r} not read: its name, cut to {DBF_NAME_LENGTH} bytes, may be "
                f"{' or '.join(fits)}; export a GeoPackage (or name the field {fits[0]}) to import it"
            )
        elif fits:
            by_field.setdefault(fits[0], []).append(column)
    renames: dict[str, str] = {}
    for name, columns in by_field.items():
        spec = schema.field(name)
        taken = [
            c
            for c in frame.columns
            if c != "geometry"
            and c not in columns
            and find_header([c], (spec.name, *spec.aliases), units=None)
        ]
        if len(columns) > 1 or taken:
            shown = " and ".join(repr(c) for c in columns)
            why = f"the file has {taken[0]!r}" if taken else "both fit it"
            notes.append(
                f"shapefile field {shown} not read as {name} (a name cut to {DBF_NAME_LENGTH} bytes): {why}"
            )
            continue
        renames[columns[0]] = name
    return renames


def shapefile_sidecars(path: Path) -> tuple[Path, ...]:
    """The companion files of a bare ``.shp`` (counted in its size)."""
    return tuple(path.with_suffix(ext) for ext in _SHAPEFILE_SIDECARS)
