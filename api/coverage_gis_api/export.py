"""Renderers from frames (villages, gaps, KPIs) to the API's download formats.

JSON (records), GeoJSON (FeatureCollection, EPSG:4326), CSV (UTF-8), GeoPackage
(written by pyogrio to a temporary file, then read back) and XLSX (openpyxl, write-only
mode). A frame with point positions in ``lon``/``lat`` columns but no geometry is
turned into points for the spatial formats. CSV and XLSX never carry a formula
(:mod:`coverage_gis.spreadsheet`): formula-like text is quoted in CSV and written as a
string cell in XLSX.
"""

from __future__ import annotations

import io
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import orjson
import pandas as pd
import pyogrio
from fastapi.responses import Response
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from coverage_gis._values import json_ready, plain_scalar
from coverage_gis.crs import STORAGE_CRS
from coverage_gis.spreadsheet import csv_text

MEDIA_TYPES: dict[str, str] = {
    "json": "application/json",
    "geojson": "application/geo+json",
    "csv": "text/csv; charset=utf-8",
    "gpkg": "application/geopackage+sqlite3",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as JSON-ready dicts (geometry dropped)."""
    cols = [c for c in frame.columns if c != "geometry"]
    return [
        {str(c): json_ready(v) for c, v in zip(cols, row, strict=True)}
        for row in frame[cols].itertuples(index=False, name=None)
    ]


def json_response(payload: Any, *, status_code: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A JSON response of ``payload`` (UTF-8, non-finite floats as null), encoded by orjson."""
    body = orjson.dumps(json_ready(payload), default=str)
    return Response(content=body, status_code=status_code, media_type=MEDIA_TYPES["json"], headers=headers)


def records_json(frame: pd.DataFrame) -> str:
    """Rows as a JSON array of objects (NaN/NA → null, UTF-8 text kept as is)."""
    plain = pd.DataFrame(frame.drop(columns="geometry", errors="ignore"))
    if plain.empty:
        return "[]"
    text = plain.to_json(orient="records", force_ascii=False, date_format="iso", double_precision=10)
    return text or "[]"


def _with_geometry(frame: pd.DataFrame) -> gpd.GeoDataFrame:
    if isinstance(frame, gpd.GeoDataFrame) and "geometry" in frame:
        return frame
    if "lon" not in frame or "lat" not in frame:
        raise ValueError("a spatial format needs geometry or lon/lat columns")
    geometry = gpd.points_from_xy(frame["lon"].astype(float), frame["lat"].astype(float), crs=STORAGE_CRS)
    return gpd.GeoDataFrame(pd.DataFrame(frame), geometry=geometry, crs=STORAGE_CRS)


def to_geojson(frame: pd.DataFrame) -> bytes:
    """A GeoJSON FeatureCollection (properties = every column but geometry)."""
    gdf = _with_geometry(frame)
    text: str = gdf.to_json(drop_id=True, ensure_ascii=False, na="null")
    return text.encode("utf-8")


def to_csv(frame: pd.DataFrame) -> bytes:
    """CSV with a header row, UTF-8 (no BOM), geometry dropped, formula-like text quoted."""
    return csv_text(frame).encode("utf-8")


def to_gpkg(frame: pd.DataFrame, *, layer: str) -> bytes:
    """A one-layer GeoPackage, as bytes."""
    gdf = _with_geometry(frame).reset_index(drop=True)
    for col in gdf.columns:
        if col != "geometry" and str(gdf[col].dtype) == "boolean":
            gdf[col] = gdf[col].astype("float64")  # GDAL has no nullable bool column
    fd, name = tempfile.mkstemp(prefix="covgis-export-", suffix=".gpkg")
    os.close(fd)
    path = Path(name)
    try:
        path.unlink()
        pyogrio.write_dataframe(gdf, path, layer=layer, driver="GPKG")
        return path.read_bytes()
    finally:
        path.unlink(missing_ok=True)


def _xlsx_cell(sheet: Any, value: Any) -> Any:
    """A value for an XLSX row: text as a string cell (never a formula), without XML-illegal characters."""
    plain = plain_scalar(value)
    if not isinstance(plain, str):
        return plain
    cell = WriteOnlyCell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("\ufffd", plain))
    cell.data_type = "s"  # openpyxl would store text starting with "=" as a formula
    return cell


def to_xlsx(frame: pd.DataFrame, *, sheet: str) -> bytes:
    """An XLSX workbook with one sheet: header row, then one row per record (text as text)."""
    plain = frame.drop(columns="geometry", errors="ignore")
    book = Workbook(write_only=True)
    ws = book.create_sheet(title=sheet[:31])
    ws.append([_xlsx_cell(ws, str(c)) for c in plain.columns])
    for row in plain.itertuples(index=False, name=None):
        ws.append([_xlsx_cell(ws, v) for v in row])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def render(
    frame: pd.DataFrame,
    fmt: str,
    *,
    name: str,
    allowed: Sequence[str],
    headers: dict[str, str] | None = None,
) -> Response:
    """A download response of ``frame`` in ``fmt`` (anything but ``json``).

    Parameters
    ----------
    frame
        The rows to send.
    fmt
        One of ``geojson``, ``csv``, ``gpkg``, ``xlsx``.
    name
        File stem for ``Content-Disposition`` and the GeoPackage layer / sheet name.
    allowed
        Formats the calling endpoint supports (the route validates; this double-checks).
    headers
        Extra headers (ETag, X-Total-Count).
    """
    if fmt not in allowed or fmt == "json":
        raise ValueError(f"format {fmt!r} is not rendered here")
    if fmt == "geojson":
        body = to_geojson(frame)
    elif fmt == "csv":
        body = to_csv(frame)
    elif fmt == "gpkg":
        body = to_gpkg(frame, layer=name)
    else:
        body = to_xlsx(frame, sheet=name)
    out = dict(headers or {})
    extension = "geojson" if fmt == "geojson" else fmt
    disposition = "inline" if fmt in ("geojson", "csv") else "attachment"
    out["Content-Disposition"] = f'{disposition}; filename="{name}.{extension}"'
    return Response(content=body, media_type=MEDIA_TYPES[fmt], headers=out)


__all__ = [
    "MEDIA_TYPES",
    "json_ready",
    "json_response",
    "records",
    "records_json",
    "render",
    "to_csv",
    "to_geojson",
    "to_gpkg",
    "to_xlsx",
]
