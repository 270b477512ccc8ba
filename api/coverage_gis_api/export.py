"""Renderers from frames (villages, gaps, KPIs) to the API's download formats.

JSON (records), GeoJSON (FeatureCollection, EPSG:4326), CSV, GeoPackage (written by
pyogrio to a temporary file, then read back) and XLSX. A frame with point positions in
``lon``/``lat`` columns but no geometry is turned into points for the spatial formats.
Spreadsheets are the library's (:mod:`coverage_gis.reports`, the one XLSX and CSV
writer): labelled headers (Vietnamese by default), number formats, frozen header and
autofilter, CSV with a byte-order mark and ``,`` or ``;``, never a formula. Files other
than GeoJSON are sent as attachments named after what they hold, the province and
the revision.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import orjson
import pandas as pd
import pyarrow as pa
import pyogrio
from fastapi.responses import Response

from coverage_gis._values import json_ready
from coverage_gis.crs import STORAGE_CRS
from coverage_gis.display import Lang, MoneyUnit
from coverage_gis.messages import header, labels
from coverage_gis.reports import Sheet, csv_bytes, xlsx_bytes

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


_ORJSON_OPTIONS = orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS


def _json_fallback(value: Any) -> Any:
    plain = json_ready(value)
    return str(value) if plain is value or type(plain) is type(value) else plain


def json_bytes(payload: Any) -> bytes:
    """``payload`` as UTF-8 JSON: orjson walks dicts, lists, dataclasses, numpy scalars and
    arrays itself (NaN and ±inf as null); anything else goes through json_ready, then text."""
    return orjson.dumps(payload, default=_json_fallback, option=_ORJSON_OPTIONS)


def json_response(payload: Any, *, status_code: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A JSON response of ``payload`` (UTF-8, non-finite floats as null), encoded by orjson."""
    body = json_bytes(payload)
    return Response(content=body, status_code=status_code, media_type=MEDIA_TYPES["json"], headers=headers)


class RowTable:
    """A table's rows as JSON objects, picked by position in a fraction of a millisecond.

    The frame's columns are held as one Arrow table (its string columns without a
    copy): taking a page of rows and encoding them is one Arrow ``take`` and one orjson
    call, where pandas pays a fixed cost per column and per row. Each row's JSON is kept
    once encoded, so a row read before costs one join, until the kept bytes reach
    :attr:`MEMO_BYTES` (the national demo's 97,332 villages keep every row in 84 MB of JSON).
    Built once per revision (:meth:`coverage_gis_api.context.WorkspaceView.village_rows`).
    """

    #: The encoded rows a table keeps, at most, in bytes; past it, rows not yet kept are
    #: encoded for each page that asks for them.
    MEMO_BYTES = 128 * 2**20

    def __init__(self, frame: pd.DataFrame) -> None:
        plain = pd.DataFrame(frame.drop(columns="geometry", errors="ignore"))
        self.table = pa.Table.from_pandas(plain, preserve_index=False)
        self._encoded: dict[int, bytes] = {}
        self._kept_bytes = 0

    def records(self, rows: npt.NDArray[np.intp]) -> list[dict[str, Any]]:
        """The rows at positions ``rows``, in that order (nulls as None)."""
        picked: list[dict[str, Any]] = self.table.take(pa.array(rows, type=pa.int64())).to_pylist()
        return picked

    def json(self, rows: npt.NDArray[np.intp]) -> bytes:
        """:meth:`records` as a JSON array (NaN and ±inf as null, UTF-8)."""
        encoded = self._encoded
        wanted = rows.tolist()
        new = sorted({r for r in wanted if r not in encoded})
        if not new:
            return b"[" + b",".join([encoded[r] for r in wanted]) + b"]"
        fresh = {
            row: json_bytes(record)
            for row, record in zip(new, self.records(np.asarray(new, dtype=np.intp)), strict=True)
        }
        size = sum(map(len, fresh.values()))
        # Several threads may encode the same rows at once: each gets the same bytes,
        # and the budget is only a bound, so neither needs a lock.
        if self._kept_bytes + size <= self.MEMO_BYTES:
            encoded.update(fresh)
            self._kept_bytes += size
        return b"[" + b",".join([encoded.get(r) or fresh[r] for r in wanted]) + b"]"


def records_json(frame: pd.DataFrame) -> str:
    """Rows as a JSON array of objects (NaN/NA → null, UTF-8 text kept as is)."""
    plain = pd.DataFrame(frame.drop(columns="geometry", errors="ignore"))
    if plain.empty:
        return "[]"
    text = plain.to_json(orient="records", force_ascii=False, date_format="iso", double_precision=10)
    return text or "[]"


def with_geometry(frame: pd.DataFrame) -> gpd.GeoDataFrame:
    """``frame`` as a GeoDataFrame: its own geometry, else points from ``lon``/``lat`` (EPSG:4326)."""
    if isinstance(frame, gpd.GeoDataFrame) and "geometry" in frame:
        return frame
    if "lon" not in frame or "lat" not in frame:
        raise ValueError("a spatial format needs geometry or lon/lat columns")
    geometry = gpd.points_from_xy(frame["lon"].astype(float), frame["lat"].astype(float), crs=STORAGE_CRS)
    return gpd.GeoDataFrame(pd.DataFrame(frame), geometry=geometry, crs=STORAGE_CRS)


def to_geojson(frame: pd.DataFrame) -> bytes:
    """A GeoJSON FeatureCollection (properties = every column but geometry)."""
    gdf = with_geometry(frame)
    text: str = gdf.to_json(drop_id=True, ensure_ascii=False, na="null")
    return text.encode("utf-8")


def to_csv(frame: pd.DataFrame, *, sep: str = ",", lang: Lang | None = None) -> bytes:
    """CSV for a spreadsheet (:func:`coverage_gis.reports.csv_bytes`): UTF-8 with a BOM,
    headers labelled in ``lang`` when given (else the column names)."""
    columns = [str(c) for c in frame.columns if c != "geometry"]
    if "geometry" in frame and "lon" not in frame:
        columns += ["lon", "lat"]
    names = [header(c, lang) for c in columns] if lang is not None else None
    return csv_bytes(frame, sep=sep, headers=names)


def to_gpkg(frame: pd.DataFrame, *, layer: str) -> bytes:
    """A one-layer GeoPackage, as bytes."""
    gdf = with_geometry(frame).reset_index(drop=True)
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


def to_xlsx(
    frame: pd.DataFrame,
    *,
    sheet: str,
    lang: Lang = "vi",
    money: MoneyUnit = "dong",
    notes: Mapping[str, str] | None = None,
) -> bytes:
    """A one-sheet workbook of ``frame`` (:mod:`coverage_gis.reports`), headers in ``lang``
    (``notes``: a comment per header saying what the column measures)."""
    columns = [str(c) for c in frame.columns]
    spec = Sheet(sheet, frame, labels(columns, money=money), notes=dict(notes or {}))
    return xlsx_bytes([spec], lang=lang, money=money)


def attachment(file_name: str) -> str:
    """A ``Content-Disposition`` value that saves the response as ``file_name``."""
    return f'attachment; filename="{file_name}"'


def render(
    frame: pd.DataFrame,
    fmt: str,
    *,
    name: str,
    allowed: Sequence[str],
    headers: dict[str, str] | None = None,
    lang: Lang | None = None,
    sep: str = ",",
    sheet: str | None = None,
    notes: Mapping[str, str] | None = None,
) -> Response:
    """A download response of ``frame`` in ``fmt`` (anything but ``json``).

    Parameters
    ----------
    frame
        The rows to send.
    fmt
        One of ``geojson``, ``csv``, ``gpkg``, ``xlsx``.
    name
        File stem (``coverage_gis.reports.download_name`` without its extension), also
        the GeoPackage layer name.
    allowed
        Formats the calling endpoint supports (the route validates; this double-checks).
    headers
        Extra headers (ETag, X-Total-Count).
    lang
        Header language of CSV (column names when None) and XLSX (Vietnamese when None).
    sep
        CSV separator, ``,`` or ``;`` (with decimal commas).
    sheet
        XLSX sheet title (default: ``name``).
    notes
        XLSX header comments: what each column measures.
    """
    if fmt not in allowed or fmt == "json":
        raise ValueError(f"format {fmt!r} is not rendered here")
    if fmt == "geojson":
        body = to_geojson(frame)
    elif fmt == "csv":
        body = to_csv(frame, sep=sep, lang=lang)
    elif fmt == "gpkg":
        body = to_gpkg(frame, layer=name)
    else:
        body = to_xlsx(frame, sheet=sheet or name, lang=lang or "vi", notes=notes)
    out = dict(headers or {})
    # GeoJSON is read by maps in the page; every other format is a file to keep.
    file_name = f"{name}.{fmt}"
    out["Content-Disposition"] = (
        f'inline; filename="{file_name}"' if fmt == "geojson" else attachment(file_name)
    )
    return Response(content=body, media_type=MEDIA_TYPES[fmt], headers=out)


__all__ = [
    "MEDIA_TYPES",
    "attachment",
    "json_ready",
    "json_response",
    "records",
    "records_json",
    "render",
    "to_csv",
    "to_geojson",
    "to_gpkg",
    "to_xlsx",
    "with_geometry",
]
