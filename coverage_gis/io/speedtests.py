"""Speed-test files → the ``speed_tests`` layer: Ookla-style tiles and point measurements.

Two shapes of measured data exist, and this module owns turning both into the
layer's fields (``layers/speed_tests.yaml``):

- **Tiles** as Ookla publishes them (Speedtest by Ookla Global Fixed and Mobile
  Network Performance Maps: Parquet, or a zipped shapefile): one row per web-mercator
  tile with ``quadkey``, ``avg_d_kbps``, ``avg_u_kbps``, ``avg_lat_ms``, ``tests`` and
  ``devices``. A row becomes one feature at the tile centre, computed from the quadkey
  (the tile geometry in the file, when there is one, must lie in that tile); kb/s
  become Mb/s. Tiles carry no technology or operator; whether they are mobile or fixed
  comes from a ``kind``/``type`` column or from the file name (Ookla's files say
  ``..._mobile_tiles`` or ``..._fixed_tiles``), and the quarter from a date in the name.
  Tiles whose centre is outside Vietnam are skipped with a note, so a global file can
  be imported as it is.
- **Points** (drive tests, crowd-sourced tests) as CSV or XLSX: time, lon, lat, operator, tech,
  download and upload (Mb/s, or kb/s in ``*_kbps`` columns), latency (ms) and the
  level (RSRP for 4G/5G, RSCP for 3G). Column names are matched case-insensitively
  against common spellings (:data:`POINT_ALIASES`); technology and operator names are
  mapped to the layer's values (``LTE`` → 4G, ``VinaPhone`` → VNPT, ...). A file
  without a ``test_id`` gets ids from its name and row.

It also owns the quadkey ↔ tile arithmetic (Bing Maps tile system: digit ``2·ybit +
xbit`` per zoom level, most significant first), vectorised over many keys.
Validation and the atomic write are :mod:`coverage_gis.io`'s, as for every layer.
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
from coverage_gis.io.csv_points import (
    coordinate_cells,
    coordinate_columns,
    located_table,
    parse_numbers,
)
from coverage_gis.io.decimal_mark import thousands_in
from coverage_gis.io.headers import find_header, read_values, value_key
from coverage_gis.io.row_text import rows_counted
from coverage_gis.io.vector import one_line
from coverage_gis.layers import get_schema
from coverage_gis.tiles.mercator import ORIGIN_SHIFT_M, lonlat_to_mercator, mercator_to_lonlat, tile_size_m
from coverage_gis.validation import inside_vietnam

__all__ = [
    "OOKLA_COLUMNS",
    "POINT_ALIASES",
    "looks_like_ookla",
    "quadkey_bounds_lonlat",
    "quadkey_centres_lonlat",
    "quadkeys_for_lonlat",
    "quadkeys_to_tiles",
    "read_parquet_table",
    "speed_table",
    "speed_tests_frame",
    "tile_to_quadkey",
]

#: Columns of an Ookla open-data tile file that the layer needs.
OOKLA_COLUMNS: tuple[str, ...] = ("quadkey", "avg_d_kbps", "avg_u_kbps", "avg_lat_ms", "tests", "devices")
#: Deepest quadkey accepted (Bing's tile system stops at level 23).
MAX_QUADKEY_ZOOM = 23

#: Layer field → accepted column names of a point CSV, most specific first.
POINT_ALIASES: dict[str, tuple[str, ...]] = {
    "test_id": ("test_id", "id", "measurement_id", "guid", "ma_do"),
    "kind": ("kind", "type", "loai"),
    "measured": (
        "time",
        "timestamp",
        "datetime",
        "date",
        "measured",
        "measured_at",
        "test_date",
        "test_time",
        "thoi_gian",
        "thời gian",
        "thời gian đo",
        "ngày giờ đo",
        "ngay_do",
        "ngày đo",
    ),
    # G-NetTrack logs the operator's name beside its PLMN code (``Operator``: 45204).
    "operator": (
        "operatorname",
        "operator",
        "operator_name",
        "network_operator",
        "carrier",
        "network",
        "provider",
        "isp_name",
        "isp",
        "nha_mang",
        "nhà mạng",
    ),
    "tech": (
        "tech",
        "technology",
        "network_type",
        "networktech",
        "connection_type",
        "radio",
        "rat",
        "cong_nghe",
        "công nghệ",
        "loại mạng",
    ),
    "download_mbps": (
        "download_mbps",
        "download",
        "dl_mbps",
        "download_mb_s",
        "download_speed",
        "dl_speed",
        "dl_throughput",
        "toc_do_tai_xuong",
        "tải xuống",
        "tốc độ tải về",
        "tải về",
        "dl",
    ),
    "upload_mbps": (
        "upload_mbps",
        "upload",
        "ul_mbps",
        "upload_mb_s",
        "upload_speed",
        "ul_speed",
        "ul_throughput",
        "toc_do_tai_len",
        "tải lên",
        "ul",
    ),
    "latency_ms": ("latency_ms", "latency", "ping_ms", "ping", "rtt_ms", "rtt", "do_tre"),
    "device_id": ("device_id", "device", "devices_id", "thiet_bi"),
}
#: Units in brackets a column may carry (``Download (Mbps)``, ``RSRP (dBm)``); any other
#: unit means another column (``Download (kbps)`` is not in Mb/s).
_COLUMN_UNITS: dict[str, tuple[str, ...]] = {
    "download_mbps": ("Mbps", "Mbit/s", "Mb/s"),
    "upload_mbps": ("Mbps", "Mbit/s", "Mb/s"),
    "latency_ms": ("ms",),
    "kbps": ("kbps", "kbit/s", "kb/s"),
    "level": ("dBm",),
}
#: Columns in kb/s accepted instead of the Mb/s ones.
_KBPS_ALIASES: dict[str, tuple[str, ...]] = {
    # G-NetTrack's drive-test logs give the bit rates in kb/s (DL_bitrate, UL_bitrate).
    "download_mbps": (
        "download_kbps",
        "dl_kbps",
        "avg_d_kbps",
        "dl_bitrate",
        # A speed column headed with its unit: "Download (Kbps)", "Tốc độ tải xuống (kbps)".
        "download",
        "dl",
        "tốc độ tải xuống",
        "tải xuống",
        "tốc độ tải về",
    ),
    "upload_mbps": (
        "upload_kbps",
        "ul_kbps",
        "avg_u_kbps",
        "ul_bitrate",
        "upload",
        "ul",
        "tốc độ tải lên",
        "tải lên",
    ),
}
#: A unit of bytes, not bits, in a speed column's header (``Download (MB/s)``: megabytes a
#: second, eight times the megabits), by its capital B → the factor to Mb/s.
_BYTE_UNITS = ((re.compile(r"\bMB(?:/s|ps)\b"), 8.0), (re.compile(r"\bkB(?:/s|ps)\b|\bKB(?:/s|ps)\b"), 0.008))
#: A column that says how a test connected: a row over Wi-Fi or a wire is a fixed-broadband test.
_CONNECTION_NAMES = ("connection_type", "connection", "conn_type", "loại kết nối", "kết nối")
#: A connection that names no radio: a mobile test, its technology unknown.
_MOBILE_CONNECTIONS = frozenset({"cell", "cellular", "mobile", "wwan", "di động", "di dong"})
_FIXED_CONNECTIONS = frozenset(
    {"wifi", "wi-fi", "wlan", "ethernet", "lan", "wired", "fixed", "cố định", "co dinh", "cáp quang", "ftth"}
)
_RSRP_NAMES = ("rsrp_dbm", "rsrp", "ss_rsrp", "ss_rsrp_dbm", "signal_dbm", "signal")
_RSCP_NAMES = ("rscp_dbm", "rscp")
_RXLEV_NAMES = ("rxlev_dbm", "rssi_dbm", "rssi")

_KIND_WORDS = ("mobile", "fixed")
_DATE_IN_NAME = re.compile(r"(\d{4}-\d{2}-\d{2})")


# ------------------------------------------------------------------------------ quadkeys


def tile_to_quadkey(z: int, x: int, y: int) -> str:
    """The quadkey of XYZ tile ``z/x/y`` (Bing Maps tile system)."""
    digits = []
    for level in range(z, 0, -1):
        mask = 1 << (level - 1)
        digits.append(str((1 if x & mask else 0) + (2 if y & mask else 0)))
    return "".join(digits)


def quadkeys_to_tiles(quadkeys: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Zoom, column and row of each quadkey, and which keys are well formed.

    Parameters
    ----------
    quadkeys
        Strings of the digits 0–3, one per zoom level (e.g. ``"132"`` is tile 3/5/2... of zoom 3).

    Returns
    -------
    z, x, y, ok
        Integer arrays (0 where not ``ok``) and a boolean array: False for an empty key,
        a key longer than :data:`MAX_QUADKEY_ZOOM`, or a character other than 0–3.
    """
    keys = np.asarray(quadkeys, dtype=object)
    n = len(keys)
    z = np.zeros(n, dtype=np.int64)
    x = np.zeros(n, dtype=np.int64)
    y = np.zeros(n, dtype=np.int64)
    ok = np.zeros(n, dtype=bool)
    text = np.array([k if isinstance(k, str) else "" for k in keys], dtype=object)
    lengths = np.fromiter((len(k) for k in text), dtype=np.int64, count=n)
    for length in np.unique(lengths):
        if length == 0 or length > MAX_QUADKEY_ZOOM:
            continue
        rows = np.flatnonzero(lengths == length)
        codes = np.array(list(text[rows]), dtype=f"<U{length}").view(np.uint32).reshape(len(rows), length)
        digits = codes.astype(np.int64) - ord("0")
        good = ((digits >= 0) & (digits <= 3)).all(axis=1)
        weights = 1 << np.arange(length - 1, -1, -1, dtype=np.int64)
        x[rows] = ((digits & 1) * weights).sum(axis=1)
        y[rows] = (((digits >> 1) & 1) * weights).sum(axis=1)
        z[rows] = length
        ok[rows] = good
    x[~ok] = y[~ok] = z[~ok] = 0
    return z, x, y, ok


def quadkey_bounds_lonlat(quadkeys: np.ndarray) -> np.ndarray:
    """``(west, south, east, north)`` of each (well-formed) quadkey's tile, degrees; shape (n, 4)."""
    z, x, y, _ = quadkeys_to_tiles(quadkeys)
    size = 2.0 * ORIGIN_SHIFT_M / (1 << z).astype(np.float64)
    minx = -ORIGIN_SHIFT_M + x * size
    maxy = ORIGIN_SHIFT_M - y * size
    west, south = mercator_to_lonlat(minx, maxy - size)
    east, north = mercator_to_lonlat(minx + size, maxy)
    return np.column_stack([west, south, east, north])


def quadkey_centres_lonlat(quadkeys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Lon/lat of each quadkey tile's centre (the centre in web-mercator metres)."""
    z, x, y, _ = quadkeys_to_tiles(quadkeys)
    size = 2.0 * ORIGIN_SHIFT_M / (1 << z).astype(np.float64)
    cx = -ORIGIN_SHIFT_M + (x + 0.5) * size
    cy = ORIGIN_SHIFT_M - (y + 0.5) * size
    lon, lat = mercator_to_lonlat(cx, cy)
    return lon, lat


def quadkeys_for_lonlat(lon: np.ndarray, lat: np.ndarray, zoom: int) -> np.ndarray:
    """The zoom-``zoom`` quadkey of the tile containing each point (object array of str)."""
    mx, my = lonlat_to_mercator(np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64))
    size = tile_size_m(zoom)
    last = (1 << zoom) - 1
    tx = np.clip(np.floor((mx + ORIGIN_SHIFT_M) / size), 0, last).astype(np.int64)
    ty = np.clip(np.floor((ORIGIN_SHIFT_M - my) / size), 0, last).astype(np.int64)
    digits = np.zeros((len(tx), zoom), dtype=np.int64)
    for i in range(zoom):
        bit = zoom - 1 - i
        digits[:, i] = ((tx >> bit) & 1) + 2 * ((ty >> bit) & 1)
    chars = (digits + ord("0")).astype(np.uint32)
    as_text = np.ascontiguousarray(chars).view(f"<U{zoom}").reshape(len(tx))
    return as_text.astype(object)


# ------------------------------------------------------------------------------ reading


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


def speed_table(table: pd.DataFrame, *, source: str) -> pd.DataFrame:
    """A read speed-test table (CSV or XLSX): Ookla tiles as they are, or measurements as
    points from lon/lat."""
    return table if looks_like_ookla(table.columns) else located_table(table, source=source)


def looks_like_ookla(columns: pd.Index) -> bool:
    """Whether a table has Ookla's tile columns (``quadkey`` and ``avg_d_kbps``)."""
    names = {str(c).strip().casefold() for c in columns}
    return {"quadkey", "avg_d_kbps"} <= names


def speed_tests_frame(frame: pd.DataFrame, *, path: Path, notes: list[str]) -> gpd.GeoDataFrame:
    """Raw ``speed_tests`` features from a read table: Ookla tiles or point measurements.

    Parameters
    ----------
    frame
        The file as read (text or typed columns; a GeoDataFrame in EPSG:4326 for
        point files with lon/lat or for shapefiles). Index = zero-based row.
    path
        The file, named in errors and used for ids, kind and date of tiles.
    notes
        Gets remarks (skipped tiles, converted units, generated ids).

    Raises
    ------
    LayerValidationError
        Missing columns, a bad quadkey, a tile geometry outside its quadkey, a
        non-numeric value, or a row with neither a position nor a quadkey.
    """
    if looks_like_ookla(frame.columns):
        return _ookla_tiles(frame, path=path, notes=notes)
    return _points(frame, path=path, notes=notes)


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


def _ookla_tiles(frame: pd.DataFrame, *, path: Path, notes: list[str]) -> gpd.GeoDataFrame:
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


_LEVEL_COLUMNS: dict[str, tuple[str, ...]] = {"rsrp": _RSRP_NAMES, "rscp": _RSCP_NAMES, "rxlev": _RXLEV_NAMES}
#: Which level each technology reports when a file has several level columns.
_LEVEL_OF_TECH: dict[str, str] = {"2G": "rxlev", "3G": "rscp", "4G": "rsrp", "5G": "rsrp"}
#: A time stamp's date: ISO (``2025-03-01T10:15``), or with dots or slashes
#: (G-NetTrack's ``2025.03.01_10.15.00``, ``2025/03/01 10:15``).
_ISO_DATE = re.compile(r"^\s*(\d{4})([-./])(\d{2})\2(\d{2})(?!\d)")


def _signal(frame: pd.DataFrame, tech: np.ndarray, *, source: str) -> tuple[np.ndarray, set[str]]:
    """The level of each row and the columns it came from.

    RSRP for 4G/5G rows, RSCP for 3G rows, RxLev for 2G rows; a file with one level
    column gives it to every row, and rows of unknown technology take whichever they have.
    """
    columns = {
        label: find_header(frame.columns, names, units=_COLUMN_UNITS["level"])
        for label, names in _LEVEL_COLUMNS.items()
    }
    values = {
        label: parse_numbers(frame[col].astype(object), source=source, field=col, required=False)
        for label, col in columns.items()
        if col is not None
    }
    used = {col for col in columns.values() if col is not None}
    if len(values) <= 1:
        only = next(iter(values.values()), np.full(len(frame), np.nan))
        return only, used
    out = np.full(len(frame), np.nan)
    for t, label in _LEVEL_OF_TECH.items():
        if label in values:
            rows = tech == t
            out[rows] = values[label][rows]
    for label in _LEVEL_COLUMNS:
        if label in values:
            fill = np.isnan(out) & ~np.isin(tech, list(_LEVEL_OF_TECH))
            out[fill] = values[label][fill]
    return out, used


def _dates(series: pd.Series) -> pd.Series:
    """The date of each time stamp as written (``2025-03-01T10:15+07:00``, ``2025.03.01_10.15.00``
    → 2025-03-01), else as is."""

    def conv(v: object) -> object:
        if isinstance(v, str):
            match = _ISO_DATE.match(v)
            return f"{match.group(1)}-{match.group(3)}-{match.group(4)}" if match else v
        return v

    return series.map(conv).astype(object)


#: The number columns of point measurements.
_SPEEDS = ("download_mbps", "upload_mbps", "latency_ms")


def _speed_column(frame: pd.DataFrame, name: str) -> str | None:
    """The column of ``frame`` read as ``name`` (one of :data:`_SPEEDS`), in its unit or in kb/s."""
    col = find_header(frame.columns, POINT_ALIASES[name], units=_COLUMN_UNITS[name])
    if col is None and name in _KBPS_ALIASES:
        col = find_header(frame.columns, _KBPS_ALIASES[name], units=_COLUMN_UNITS["kbps"])
    return col


def _bytes_to_megabits(header: str, notes: list[str]) -> float:
    """The factor from a speed column's unit to Mb/s where its header names bytes
    (``Download (MB/s)``: 8), with a note; 1 otherwise."""
    for unit, factor in _BYTE_UNITS:
        if unit.search(str(header)):
            notes.append(f"{header}: bytes a second (a capital B) converted to Mb/s (× {factor:g})")
            return factor
    return 1.0


def _fixed_connections(frame: pd.DataFrame, used: set[str], notes: list[str]) -> pd.Series | None:
    """Per row, whether the file's connection column says the test ran over Wi-Fi or a wire
    (a fixed-broadband test, whatever radio the phone was also on); None without such a column."""
    column = find_header(frame.columns, _CONNECTION_NAMES)
    if column is None:
        return None
    used.add(column)
    fixed = (
        frame[column].map(lambda v: isinstance(v, str) and value_key(v) in _FIXED_CONNECTIONS).astype(bool)
    )
    if fixed.any():
        notes.append(
            f"speed_tests: tests over Wi-Fi or a wire ({column!r}) read as fixed broadband "
            f"({rows_counted(int(fixed.sum()))})"
        )
    return fixed


def _points(frame: pd.DataFrame, *, path: Path, notes: list[str]) -> gpd.GeoDataFrame:
    source = str(path)
    if not isinstance(frame, gpd.GeoDataFrame):
        have = ", ".join(map(str, frame.columns))
        raise LayerValidationError(
            "speed tests need positions: lon/lat columns for measurements, or a quadkey with "
            f"avg_d_kbps for Ookla tiles (columns found: {have})",
            source=source,
        )
    out: dict[str, object] = {}
    used: set[str] = {str(frame.geometry.name)}
    used |= {c for c in coordinate_columns(frame.columns) if c is not None}
    # A speed's "1.234,5" in a file of decimal commas (its coordinates show the mark).
    speeds = [c for name in _SPEEDS if (c := _speed_column(frame, name)) is not None]
    frame = thousands_in(
        frame,
        speeds,
        evidence=coordinate_cells(frame),
        degrees=coordinate_cells(frame, metres=False),
        notes=notes,
    )
    for name, aliases in POINT_ALIASES.items():
        col = find_header(frame.columns, aliases, units=_COLUMN_UNITS.get(name, ()))
        if col is None:
            continue
        used.add(col)
        if name in _SPEEDS:
            speed = parse_numbers(frame[col].astype(object), source=source, field=col, required=False)
            out[name] = speed * _bytes_to_megabits(col, notes)
        else:
            out[name] = frame[col].astype(object)
    for name, aliases in _KBPS_ALIASES.items():
        col = find_header(frame.columns, aliases, units=_COLUMN_UNITS["kbps"])
        if name in out or col is None:
            continue
        used.add(col)
        speed = parse_numbers(frame[col].astype(object), source=source, field=col, required=False)
        factor = _bytes_to_megabits(col, notes)
        out[name] = speed / 1000 if factor == 1.0 else speed * factor
        if factor == 1.0:
            notes.append(f"{col}: kb/s converted to Mb/s")
    if "download_mbps" not in out:
        raise LayerValidationError(
            "no download speed column; name it download_mbps (or download, dl_mbps, download_kbps)",
            source=source,
            field="download_mbps",
        )
    # Technologies and operators as exports spell them (LTE, NR, Vinaphone …): the layer
    # schema's value_aliases, as every import reads them (io.headers).
    schema = get_schema("speed_tests")
    for name in ("tech", "operator"):
        if isinstance(values := out.get(name), pd.Series):
            out[name] = read_values(
                values, schema.field(name), label=f"speed_tests: {name}", notes=notes
            ).astype(object)
    tech_raw = out.get("tech")
    tech = tech_raw if isinstance(tech_raw, pd.Series) else None
    measured = out.get("measured")
    if isinstance(measured, pd.Series):
        out["measured"] = _dates(measured)
    fixed = _fixed_connections(frame, used, notes)
    if fixed is not None and tech is not None:
        # A test over Wi-Fi or a wire ran on no radio the phone reports (FTTH stays); a
        # connection column read as the technology says "Cellular", no radio either.
        named = tech.map(lambda t: not (isinstance(t, str) and value_key(t) in _MOBILE_CONNECTIONS))
        tech = tech.where((~fixed | (tech == "FTTH")) & named.astype(bool), None).astype(object)
        out["tech"] = tech
    if "kind" not in out and fixed is not None:
        from_tech = (
            tech.map(lambda t: None if t is None or pd.isna(t) else ("fixed" if t == "FTTH" else "mobile"))
            if tech is not None
            else None
        )
        kind = pd.Series(np.where(fixed, "fixed", "mobile"), index=frame.index, dtype=object)
        out["kind"] = kind if from_tech is None else kind.where(fixed, from_tech.fillna("mobile"))
    if "kind" not in out:
        if tech is None:
            raise LayerValidationError(
                "cannot tell mobile from fixed tests: give a tech column (4G, 5G, FTTH, ...) or a kind "
                "column (mobile/fixed)",
                source=source,
                field="kind",
            )
        out["kind"] = tech.map(lambda t: "fixed" if t == "FTTH" else "mobile").astype(object)
    tech_values = tech.to_numpy(dtype=object) if tech is not None else np.full(len(frame), None, dtype=object)
    out["signal_dbm"], level_columns = _signal(frame, tech_values, source=source)
    used |= level_columns
    if "test_id" not in out:
        out["test_id"] = pd.Series([f"{path.stem}-{i}" for i in frame.index], index=frame.index, dtype=object)
        notes.append(f"no test_id column: ids are {path.stem}-<row>")
    out["source"] = "csv"
    ignored = [str(c) for c in frame.columns if c not in used]
    if ignored:
        notes.append(f"speed_tests: ignored columns not in the layer schema: {', '.join(ignored)}")
    return gpd.GeoDataFrame(out, geometry=frame.geometry, index=frame.index, crs=frame.crs)
