"""Ookla's open-data tiles → ``speed_tests`` features (``docs/architecture.md``, importers).

Speedtest by Ookla Global Fixed and Mobile Network Performance Maps (Parquet, or a zipped
shapefile) give one row per web-mercator tile with ``quadkey``, ``avg_d_kbps``,
``avg_u_kbps``, ``avg_lat_ms``, ``tests`` and ``devices``. A row becomes one feature at the
tile centre, computed from the quadkey (:mod:`coverage_gis.tiles.quadkeys`; the tile
geometry in the file, when there is one, must lie in that tile); kb/s become Mb/s. Tiles
carry no technology or operator; whether they are mobile or fixed comes from a
``kind``/``type`` column or from the file name (Ookla's files say ``..._mobile_tiles`` or
``..._fixed_tiles``), and the quarter from a date in the name. Tiles whose centre is
outside Vietnam are skipped with a note, so a global file can be imported as it is.
"""

from __future__ import annotations

import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from coverage_gis.crs import STORAGE_CRS
from coverage_gis.errors import LayerValidationError
from coverage_gis.io.csv_points import parse_numbers
from coverage_gis.io.headers import find_header
from coverage_gis.io.vector import one_line
from coverage_gis.tiles.quadkeys import (
    MAX_QUADKEY_ZOOM,
    quadkey_bounds_lonlat,
    quadkey_centres_lonlat,
    quadkeys_to_tiles,
)
from coverage_gis.validation import inside_vietnam

__all__ = ["OOKLA_COLUMNS", "looks_like_ookla", "ookla_tiles", "read_parquet_table"]

#: Columns of an Ookla open-data tile file that the layer needs.
OOKLA_COLUMNS: tuple[str, ...] = ("quadkey", "avg_d_kbps", "avg_u_kbps", "avg_lat_ms", "tests", "devices")


_KIND_WORDS = ("mobile", "fixed")


_DATE_IN_NAME = re.compile(r"(\d{4}-\d{2}-\d{2})")


def read_parquet_table(path: Path) -> pd.DataFrame:
    """A Parquet file as a plain frame (a WKT ``tile`` column stays text).

    Raises
    ------
    LayerValidationError
        When the file is not readable as Parquet.
    """
    source = str(path)
    try:
        frame = pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises several unrelated types for a bad file
        raise LayerValidationError(f"cannot read as Parquet ({one_line(exc)})", source=source) from None
    if "geometry" in frame.columns and isinstance(frame, gpd.GeoDataFrame):
        return pd.DataFrame(frame)
    return frame.reset_index(drop=True)


def looks_like_ookla(columns: pd.Index) -> bool:
    """Whether a table has Ookla's tile columns (``quadkey`` and ``avg_d_kbps``)."""
    names = {str(c).strip().casefold() for c in columns}
    return {"quadkey", "avg_d_kbps"} <= names


def _column(frame: pd.DataFrame, name: str) -> str:
    found = find_header(frame.columns, (name,))
    assert found is not None
    return found


def _kind_of_tiles(frame: pd.DataFrame, path: Path) -> pd.Series:
    column = find_header(frame.columns, ("kind", "type"))
    if column is not None:
        return frame[column]
    words = [w for w in _KIND_WORDS if w in path.name.casefold()]
    if len(words) != 1:
        raise LayerValidationError(
            "cannot tell whether these tiles are mobile or fixed; name the file as Ookla does "
            "(e.g. 2024-01-01_performance_mobile_tiles.parquet) or add a column kind (mobile/fixed)",
            source=str(path),
            field="kind",
        )
    return pd.Series(words[0], index=frame.index, dtype=object)


def _tile_geometry_check(frame: pd.DataFrame, bounds: np.ndarray, rows: np.ndarray, source: str) -> None:
    """A tile polygon given in the file must have its centre inside its quadkey's tile."""
    geoms: np.ndarray | None = None
    if isinstance(frame, gpd.GeoDataFrame) and frame.geometry.name in frame:
        geoms = frame.geometry.to_numpy()[rows]
    else:
        tile_col = find_header(frame.columns, ("tile",))
        if tile_col is not None:
            text = frame[tile_col].to_numpy(dtype=object)[rows]
            text = np.array([t if isinstance(t, str) and t.strip() else None for t in text], dtype=object)
            geoms = np.asarray(shapely.from_wkt(text, on_invalid="ignore"), dtype=object)
            bad = np.array([t is not None and g is None for t, g in zip(text, geoms, strict=True)])
            if bad.any():
                i = int(np.flatnonzero(bad)[0])
                raise LayerValidationError(
                    f"{str(text[i])[:40]!r} is not WKT geometry",
                    source=source,
                    row=int(frame.index[rows[i]]),
                    field=tile_col,
                )
    if geoms is None:
        return
    present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    if not present.any():
        return
    centres = shapely.centroid(geoms[present])
    cx, cy = shapely.get_x(centres), shapely.get_y(centres)
    b = bounds[present]
    tol = 1e-9
    inside = (cx >= b[:, 0] - tol) & (cx <= b[:, 2] + tol) & (cy >= b[:, 1] - tol) & (cy <= b[:, 3] + tol)
    if not inside.all():
        i = int(np.flatnonzero(present)[np.flatnonzero(~inside)[0]])
        raise LayerValidationError(
            f"tile geometry centred at ({cx[~inside][0]:.5f}, {cy[~inside][0]:.5f}) is not in the tile of "
            "its quadkey; the quadkey or the geometry is wrong",
            source=source,
            row=int(frame.index[rows[i]]),
            field="quadkey",
        )


def ookla_tiles(frame: pd.DataFrame, *, path: Path, notes: list[str]) -> gpd.GeoDataFrame:
    source = str(path)
    missing = [c for c in OOKLA_COLUMNS if find_header(frame.columns, (c,)) is None]
    if missing:
        raise LayerValidationError(
            f"Ookla tile file lacks column(s) {', '.join(missing)} (needs {', '.join(OOKLA_COLUMNS)})",
            source=source,
            field=missing[0],
        )
    key_col = _column(frame, "quadkey")
    raw_keys = frame[key_col].to_numpy(dtype=object)
    numeric = np.array([isinstance(k, (int, float, np.integer, np.floating)) for k in raw_keys], dtype=bool)
    if numeric.any():
        i = int(np.flatnonzero(numeric)[0])
        raise LayerValidationError(
            f"quadkey {raw_keys[i]!r} is a number; store quadkeys as text (a number loses leading zeros)",
            source=source,
            row=int(frame.index[i]),
            field=key_col,
        )
    keys = np.array([k.strip() if isinstance(k, str) else "" for k in raw_keys], dtype=object)
    _, _, _, ok = quadkeys_to_tiles(keys)
    if not ok.all():
        i = int(np.flatnonzero(~ok)[0])
        raise LayerValidationError(
            f"{raw_keys[i]!r} is not a quadkey (digits 0-3, 1 to {MAX_QUADKEY_ZOOM} of them)",
            source=source,
            row=int(frame.index[i]),
            field=key_col,
        )
    lon, lat = quadkey_centres_lonlat(keys)
    inside = inside_vietnam(lon, lat)
    if not inside.all():
        notes.append(f"skipped {int((~inside).sum())} tile(s) whose centre is outside Vietnam")
    rows = np.flatnonzero(inside)
    if not len(rows):
        raise LayerValidationError("contains no tiles in Vietnam", source=source)
    _tile_geometry_check(frame, quadkey_bounds_lonlat(keys[rows]), rows, source)
    kept = frame.iloc[rows]

    def numbers(name: str, *, required: bool = True) -> np.ndarray:
        col = _column(kept, name)
        return parse_numbers(kept[col].astype(object), source=source, field=col, required=required)

    kind = _kind_of_tiles(kept, path)
    date_match = _DATE_IN_NAME.search(path.name)
    period = date_match.group(1) if date_match else None
    prefix = f"ookla-{{kind}}-{period}-" if period else "ookla-{kind}-"
    ids = [prefix.format(kind=str(k).strip().casefold()) + q for k, q in zip(kind, keys[rows], strict=True)]
    notes.append(
        f"Ookla tiles: {len(rows)} tiles at their centres; kb/s converted to Mb/s"
        + (f"; measured = {period} (from the file name)" if period else "")
    )
    return gpd.GeoDataFrame(
        {
            "test_id": ids,
            "kind": kind.to_numpy(dtype=object),
            "download_mbps": numbers("avg_d_kbps") / 1000.0,
            "upload_mbps": numbers("avg_u_kbps", required=False) / 1000.0,
            "latency_ms": numbers("avg_lat_ms", required=False),
            "tests": numbers("tests"),
            "devices": numbers("devices"),
            "quadkey": keys[rows],
            "measured": period,
            "source": "ookla",
        },
        geometry=gpd.points_from_xy(lon[rows], lat[rows]),
        index=kept.index,
        crs=STORAGE_CRS,
    )
