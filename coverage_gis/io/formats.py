"""Which format an input file is: from its name, else from its first bytes (``docs/architecture.md``).

Owns the formats :func:`coverage_gis.io.read_file` reads, telling them apart (a zip by
its members: shapefile, KML or Excel workbook; a CSV from an OpenCellID export by its
columns) and refusing what it cannot read with the list of what it can (old binary
Excel workbooks with the advice to save them as .xlsx).
"""

from __future__ import annotations

from pathlib import Path

from coverage_gis.errors import LayerValidationError
from coverage_gis.io.opencellid import looks_like_opencellid
from coverage_gis.io.vector import MAX_IMPORT_BYTES, zip_member_names
from coverage_gis.io.xlsx import BINARY_EXCEL_SUFFIXES, WORKBOOK_MEMBER, refuse_binary_excel
from coverage_gis.text_encoding import head_text

__all__ = ["SUPPORTED_FORMATS", "detect_format", "unsupported_format"]

#: Formats :func:`coverage_gis.io.read_file` reads into layers.
SUPPORTED_FORMATS: tuple[str, ...] = (
    "geojson",
    "gpkg",
    "shp",
    "kml",
    "csv",
    "xlsx",
    "xls",
    "opencellid",
    "parquet",
)
_EXTENSION_FORMATS: dict[str, str] = {
    ".geojson": "geojson",
    ".json": "geojson",
    ".gpkg": "gpkg",
    ".shp": "shp",
    ".kml": "kml",
    ".kmz": "kml",
    ".csv": "csv",
    ".txt": "csv",
    ".tsv": "csv",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".xls": "xls",
    ".osm": "osm",
    ".parquet": "parquet",
}
_SNIFF_BYTES = 8192
#: First bytes of an OLE2 compound file: an old binary Excel workbook (.xls) among others.
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def unsupported_format(source: str, what: str) -> LayerValidationError:
    """The error for a file no reader takes: ``what`` is wrong, and what is supported."""
    return LayerValidationError(
        f"{what}; supported formats: {', '.join(SUPPORTED_FORMATS)} "
        "(GeoJSON, GeoPackage, zipped shapefile, KML/KMZ, CSV or Excel .xlsx/.xls with lon/lat columns, "
        "OpenCellID CSV, Parquet of Ookla speed-test tiles)",
        source=source,
    )


def _sniff(head: bytes, decoded: str | None) -> str | None:
    """Format from the first bytes of a file whose extension says nothing (``decoded``: them
    as text, :func:`~coverage_gis.text_encoding.head_text`)."""
    if head.startswith(b"SQLite format 3\x00"):
        return "gpkg"
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return "tiff"
    if head.startswith(b"PAR1"):
        return "parquet"
    if decoded is None:
        return None
    text = decoded.lstrip(" \t\r\n")
    if text.startswith("{"):
        return "geojson"
    if text.startswith("<"):
        if "<kml" in text:
            return "kml"
        if "<osm" in text:
            return "osm"
        return None
    first_line = text.split("\n", 1)[0]
    return "csv" if any(d in first_line for d in (",", ";", "\t")) else None


def detect_format(path: Path, *, max_bytes: int = MAX_IMPORT_BYTES) -> str:
    """The format of ``path``, from its extension and its contents.

    Parameters
    ----------
    path
        An existing file.
    max_bytes
        Limit on a zip's unpacked size.

    Returns
    -------
    str
        One of :data:`SUPPORTED_FORMATS`, or ``osm`` for an OSM XML road network.

    Raises
    ------
    LayerValidationError
        When the format cannot be told or is not supported.
    """
    source = str(path)
    with path.open("rb") as fh:
        head = fh.read(_SNIFF_BYTES)
    suffix = path.suffix.lower()
    if suffix in BINARY_EXCEL_SUFFIXES:
        raise refuse_binary_excel(source, BINARY_EXCEL_SUFFIXES[suffix])
    if head.startswith(_OLE2_MAGIC):  # an .xls, also one renamed .xlsx (read as Excel 97-2003)
        return "xls"
    if suffix == ".zip" or (head.startswith(b"PK\x03\x04") and suffix not in _EXTENSION_FORMATS):
        names = [n.lower() for n in zip_member_names(path, max_bytes=max_bytes)]
        if any(n.endswith(".shp") for n in names):
            return "shp"
        if any(n.endswith(".kml") for n in names):
            return "kml"
        if WORKBOOK_MEMBER in names:
            return "xlsx"
        if "xl/workbook.bin" in names:
            raise refuse_binary_excel(source, BINARY_EXCEL_SUFFIXES[".xlsb"])
        raise unsupported_format(source, "zip file holds no shapefile (.shp), KML or Excel workbook")
    fmt = _EXTENSION_FORMATS.get(suffix)
    # The head as text, decoded once: to tell the format, and a CSV from an OpenCellID export.
    text = head_text(head, complete=len(head) < _SNIFF_BYTES) if fmt in (None, "csv") else None
    fmt = fmt or _sniff(head, text)
    if fmt == "tiff":
        raise unsupported_format(
            source, "is a raster (GeoTIFF); terrain goes in with import_dem, not as a layer"
        )
    if fmt is None:
        raise unsupported_format(source, "cannot tell the file format")
    if fmt == "csv" and looks_like_opencellid(text or ""):
        return "opencellid"
    return fmt
