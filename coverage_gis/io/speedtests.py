"""Speed-test files → the ``speed_tests`` layer: Ookla-style tiles and point measurements.

Two shapes of measured data exist, and this module turns both into the layer's fields
(``layers/speed_tests.yaml``):

- **Tiles** as Ookla publishes them: :mod:`coverage_gis.io.ookla_tiles` reads them, when a
  table has Ookla's columns.
- **Points** (drive tests, crowd-sourced tests) as CSV or XLSX: time, lon, lat, operator, tech,
  download and upload (Mb/s, or kb/s in ``*_kbps`` columns), latency (ms) and the
  level (RSRP for 4G/5G, RSCP for 3G). Column names are matched case-insensitively
  against common spellings (:data:`POINT_ALIASES`); technology and operator names are
  mapped to the layer's values (``LTE`` → 4G, ``VinaPhone`` → VNPT, ...). A file
  without a ``test_id`` gets ids from its name and row.

Validation and the atomic write are :mod:`coverage_gis.io`'s, as for every layer.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from coverage_gis._values import is_blank
from coverage_gis.errors import LayerValidationError
from coverage_gis.io.csv_points import (
    coordinate_cells,
    coordinate_columns,
    located_table,
    parse_numbers,
)
from coverage_gis.io.decimal_mark import thousands_in
from coverage_gis.io.given_values import with_given_values
from coverage_gis.io.headers import as_allowed, find_header, read_values, value_key
from coverage_gis.io.ookla_tiles import looks_like_ookla, ookla_tiles
from coverage_gis.io.row_text import rows_counted
from coverage_gis.io.speed_values import (
    bytes_to_megabits,
    dated_column,
    dated_ids,
    kilobits_unsaid,
    test_dates,
    unit_values,
)
from coverage_gis.layers import LayerSchema, get_schema

__all__ = ["POINT_ALIASES", "speed_table", "speed_tests_frame"]


#: Layer field → accepted column names of a point CSV, most specific first.
POINT_ALIASES: dict[str, tuple[str, ...]] = {
    "test_id": ("test_id", "id", "measurement_id", "result_id", "guid", "ma_do"),
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
        "result_date",
        "thoi_gian",
        "thời gian",
        "thời gian đo",
        "ngày giờ đo",
        "thời điểm đo",
        "thời điểm",
        "ngay_do",
        "ngày đo",
    ),
    # G-NetTrack logs the operator's name beside its PLMN code (``Operator``: 45204).
    "operator": (
        "operatorname",
        "operator",
        "operator_name",
        "network_operator_name",
        "network_operator",
        "carrier",
        "network",
        "provider",
        "isp_name",
        "isp",
        "nha_mang",
        "nhà mạng",
        "nhà cung cấp",
        "nhà cung cấp dịch vụ",
    ),
    "tech": (
        "tech",
        "technology",
        "network_type",
        "networktech",
        "network technology",
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
        "tốc độ download",
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
        "tốc độ upload",
        "ul",
    ),
    "latency_ms": (
        "latency_ms",
        "latency",
        "ping_ms",
        "ping",
        "ping round trip time",
        "rtt_ms",
        "rtt",
        "do_tre",
        "độ trễ",
    ),
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
        # TEMS and Nemo drive-test exports: the application's throughput, in kbit/s.
        "app throughput dl",
        "application throughput downlink",
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
        "app throughput ul",
        "application throughput uplink",
        "upload",
        "ul",
        "tốc độ tải lên",
        "tải lên",
    ),
}
#: A column that says how a test connected: a row over Wi-Fi or a wire is a fixed-broadband test.
_CONNECTION_NAMES = ("connection_type", "connection", "conn_type", "loại kết nối", "kết nối")
#: A connection that names no radio: a mobile test, its technology unknown.
_MOBILE_CONNECTIONS = frozenset({"cell", "cellular", "mobile", "wwan", "di động", "di dong"})
_FIXED_CONNECTIONS = frozenset(
    {"wifi", "wi-fi", "wlan", "ethernet", "lan", "wired", "fixed", "cố định", "co dinh", "cáp quang", "ftth"}
)
_RSRP_NAMES = (
    "rsrp_dbm",
    "rsrp",
    "ss_rsrp",
    "ss_rsrp_dbm",
    "serving cell rsrp",
    "lte serving cell rsrp",
    "nr serving cell ss-rsrp",
    "signal_dbm",
    "signal",
)
_RSCP_NAMES = ("rscp_dbm", "rscp")
_RXLEV_NAMES = ("rxlev_dbm", "rssi_dbm", "rssi")


# ------------------------------------------------------------------------------ quadkeys


# ------------------------------------------------------------------------------ reading


def speed_table(table: pd.DataFrame, *, source: str) -> pd.DataFrame:
    """A read speed-test table (CSV or XLSX): Ookla tiles as they are, or measurements as
    points from lon/lat."""
    return table if looks_like_ookla(table.columns) else located_table(table, source=source)


#: The fields a user may give every speed test of a file (``--set``): what a drive-test log of
#: one operator's network leaves unsaid.
GIVEN_FIELDS = ("kind", "operator", "tech", "measured")


def speed_tests_frame(
    frame: pd.DataFrame, *, path: Path, notes: list[str], values: Mapping[str, str] | None = None
) -> gpd.GeoDataFrame:
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
    values
        The user's values (``--set``) of :data:`GIVEN_FIELDS`, for the point measurements
        that give none.

    Raises
    ------
    LayerValidationError
        Missing columns, a bad quadkey, a tile geometry outside its quadkey, a
        non-numeric value, a row with neither a position nor a quadkey, or a given value
        for tiles or for another field.
    """
    values = dict(values or {})
    other = sorted(set(values) - set(GIVEN_FIELDS))
    if values and (other or looks_like_ookla(frame.columns)):
        raise LayerValidationError(
            f"speed tests take given values (--set) for {', '.join(GIVEN_FIELDS)} of point measurements only"
            + (f", not {', '.join(other)}" if other else "; Ookla tiles take none"),
            source=str(path),
        )
    if looks_like_ookla(frame.columns):
        return ookla_tiles(frame, path=path, notes=notes)
    return _points(frame, path=path, values=values, notes=notes)


_LEVEL_COLUMNS: dict[str, tuple[str, ...]] = {"rsrp": _RSRP_NAMES, "rscp": _RSCP_NAMES, "rxlev": _RXLEV_NAMES}
#: Which level each technology reports when a file has several level columns.
_LEVEL_OF_TECH: dict[str, str] = {"2G": "rxlev", "3G": "rscp", "4G": "rsrp", "5G": "rsrp"}


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


#: The number columns of point measurements.
_SPEEDS = ("download_mbps", "upload_mbps", "latency_ms")


def _speed_column(frame: pd.DataFrame, name: str) -> str | None:
    """The column of ``frame`` read as ``name`` (one of :data:`_SPEEDS`), in its unit or in kb/s."""
    col = find_header(frame.columns, POINT_ALIASES[name], units=_COLUMN_UNITS[name])
    if col is None and name in _KBPS_ALIASES:
        col = find_header(frame.columns, _KBPS_ALIASES[name], units=_COLUMN_UNITS["kbps"])
    return col


def _connection_radios(frame: pd.DataFrame, schema: LayerSchema, notes: list[str]) -> pd.Series | None:
    """The technology each row's connection column names (``Loại kết nối``: 4G, 5G, Cáp quang;
    Wi-Fi names none), where the file has no technology column; None where it names none."""
    column = find_header(frame.columns, _CONNECTION_NAMES)
    if column is None:
        return None
    named = as_allowed(frame[column], schema.field("tech"))
    if not named.notna().any():
        return None
    count = rows_counted(int(named.notna().sum()))
    notes.append(f"speed_tests: tech read from the connection column {column!r} ({count})")
    return named


def _tech_by_values(frame: pd.DataFrame, used: set[str]) -> str | None:
    """A column no header names as the technology whose every value reads as one (``Mạng``:
    4G, 5G); None where there is none, or more than one."""
    spec = get_schema("speed_tests").field("tech")
    found = []
    for column in frame.columns:
        if column in used or column == frame.geometry.name:
            continue
        given = frame[column][~frame[column].map(is_blank)]
        if given.empty or not all(isinstance(v, str) for v in given):
            continue
        if as_allowed(given, spec).notna().all():
            found.append(str(column))
    return found[0] if len(found) == 1 else None


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


def _points(
    frame: pd.DataFrame, *, path: Path, values: Mapping[str, str], notes: list[str]
) -> gpd.GeoDataFrame:
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
        col = (
            dated_column(frame, POINT_ALIASES["measured"])
            if name == "measured"
            else find_header(frame.columns, aliases, units=_COLUMN_UNITS.get(name, ()))
        )
        if col is None:
            continue
        used.add(col)
        if name in _SPEEDS:
            written, factors = unit_values(frame[col], name, col, notes)
            speed = parse_numbers(written, source=source, field=col, required=False) * factors
            out[name] = (
                speed
                if name == "latency_ms"
                else kilobits_unsaid(speed * bytes_to_megabits(col, notes), col, notes)
            )
        else:
            out[name] = frame[col].astype(object)
    for name, aliases in _KBPS_ALIASES.items():
        col = find_header(frame.columns, aliases, units=_COLUMN_UNITS["kbps"])
        if name in out or col is None:
            continue
        used.add(col)
        speed = parse_numbers(frame[col].astype(object), source=source, field=col, required=False)
        factor = bytes_to_megabits(col, notes)
        out[name] = speed / 1000 if factor == 1.0 else speed * factor
        if factor == 1.0:
            notes.append(f"{col}: kb/s converted to Mb/s")
    if "tech" not in out and (found := _tech_by_values(frame, used)) is not None:
        used.add(found)
        out["tech"] = frame[found].astype(object)
        notes.append(f"speed_tests: {found!r} read as tech: its every value names a technology")
    schema = get_schema("speed_tests")
    if values:
        # The user's values fill the fields read so far, as every layer's given values do.
        so_far = {name: out[name] for name in values if isinstance(out.get(name), pd.Series)}
        given = with_given_values(pd.DataFrame(so_far, index=frame.index), schema, values, notes=notes)
        out.update({name: given[name] for name in given.columns})
    if "download_mbps" not in out:
        raise LayerValidationError(
            "no download speed column; name it download_mbps (or download, dl_mbps, download_kbps)",
            source=source,
            field="download_mbps",
        )
    # Technologies and operators as exports spell them (LTE, NR, Vinaphone …): the layer
    # schema's value_aliases, as every import reads them (io.headers).
    for name in ("tech", "operator", "kind"):
        if isinstance(read := out.get(name), pd.Series):
            out[name] = read_values(
                read, schema.field(name), label=f"speed_tests: {name}", notes=notes
            ).astype(object)
    tech_raw = out.get("tech")
    tech = tech_raw if isinstance(tech_raw, pd.Series) else None
    measured = out.get("measured")
    if isinstance(measured, pd.Series):
        out["measured"] = test_dates(measured, notes=notes)
    fixed = _fixed_connections(frame, used, notes)
    if tech is None and fixed is not None:
        # A connection column that names the radio ("Loại kết nối": 4G, 5G, Wifi, Cáp quang)
        # gives the mobile tests their technology.
        tech = _connection_radios(frame, schema, notes)
        if tech is not None:
            out["tech"] = tech
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
        out["test_id"] = dated_ids(path.stem, out.get("measured"), frame.index, notes)
    out["source"] = "csv"
    ignored = [str(c) for c in frame.columns if c not in used]
    if ignored:
        notes.append(f"speed_tests: ignored columns not in the layer schema: {', '.join(ignored)}")
    return gpd.GeoDataFrame(out, geometry=frame.geometry, index=frame.index, crs=frame.crs)
