"""Validate and coerce a layer's features against its schema.

Everything that enters a workspace passes through :func:`validate_layer`: types
are coerced, text is NFC-normalised, enum values are canonicalised, geometries
that ``make_valid`` can repair are repaired, and every problem is reported with
the file, the row (zero-based feature index), the field and the reason.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NoReturn, cast

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import ArrayLike, NDArray
from shapely.geometry.base import BaseGeometry

from coverage_gis._values import is_blank, is_missing, plain_value
from coverage_gis.errors import LayerValidationError
from coverage_gis.layers import FieldSchema, LayerSchema
from coverage_gis.text_forms import fold_diacritics
from coverage_gis.value_text import (
    day_first_dates,
    excel_serial_dates,
    number_text,
    vietnamese_dates,
    whole_number_text,
    without_unit,
)

#: Lon/lat box of Vietnam including the Hoàng Sa and Trường Sa archipelagos.
VIETNAM_BBOX: tuple[float, float, float, float] = (102.0, 6.0, 117.9, 23.5)


def inside_vietnam(lon: ArrayLike, lat: ArrayLike) -> NDArray[np.bool_]:
    """Whether each point lies in :data:`VIETNAM_BBOX`, edges included (False where NaN)."""
    minx, miny, maxx, maxy = VIETNAM_BBOX
    x, y = np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        return np.asarray((x >= minx) & (x <= maxx) & (y >= miny) & (y <= maxy))


#: A tick: a column of them beside blank cells marks yes and leaves no blank (:func:`_ticked_blanks`).
_TICKS = frozenset({"x", "✓", "✔", "☑", "✅"})
_TRUE = frozenset({"true", "t", "yes", "y", "1", "1.0", "có", "co", *_TICKS})
_FALSE = frozenset(
    {"false", "f", "no", "n", "0", "0.0", "không", "khong", "chưa", "chua", "", "✗", "✘", "☐", "❌"}
)
#: The first word of a Vietnamese yes/no phrase (``có điện lưới``, ``chưa có điện``,
#: ``không có``), without its diacritics → what the phrase says.
_LEADING_WORD = {"co": True, "khong": False, "chua": False}

_ACCEPTED_GEOMETRIES: dict[str, frozenset[str]] = {
    "Point": frozenset({"Point", "MultiPoint"}),
    "LineString": frozenset({"LineString", "MultiLineString"}),
    "MultiPolygon": frozenset({"Polygon", "MultiPolygon"}),
}
_POLYGONAL = frozenset({"Polygon", "MultiPolygon"})
#: Column names shown in a missing field's error, of those that give it and those not read.
_NAMES_SHOWN = 6
_MAX_REPORTED = 20
#: Whole numbers are stored as 64-bit integers.
_INT_LIMIT = 2.0**63


@dataclass
class ValidationReport:
    """What validation changed without failing: repairs, defaults, dropped columns."""

    repaired_geometries: list[int] = field(default_factory=list)
    #: Rows whose geometry collection was read as its parts of the layer's kind.
    reduced_collections: list[int] = field(default_factory=list)
    #: Rows of a point layer given as an outline (a village's boundary), read as a point inside it.
    outlines_as_points: list[int] = field(default_factory=list)
    dropped_columns: list[str] = field(default_factory=list)
    filled_defaults: dict[str, int] = field(default_factory=dict)
    #: Yes/no fields whose column ticks yes and leaves the others blank: its blanks read as no.
    ticked_blanks: dict[str, int] = field(default_factory=dict)


class _Collector:
    """Gathers problems so one run reports the first and counts the rest."""

    def __init__(self, source: str, layer: str) -> None:
        self.source = source
        self.layer = layer
        self.errors: list[LayerValidationError] = []

    def add(self, reason: str, *, row: int | None = None, field: str | None = None) -> None:
        self.errors.append(
            LayerValidationError(reason, source=self.source, row=row, field=field, layer=self.layer)
        )

    def add_rows(
        self,
        index: pd.Index,
        mask: np.ndarray,
        reason: str | Callable[[int], str],
        *,
        field: str,
        values: pd.Series | None = None,
        listed: bool = True,
    ) -> None:
        """One problem for the rows ``mask`` marks: named by the first (``reason``, or
        ``reason`` of its label), with the others listed after it (:func:`_in_all`, with
        their ``values``) where ``listed``."""
        row = int(index[np.flatnonzero(mask)[0]])
        said = reason if isinstance(reason, str) else reason(row)
        self.add(said + (_in_all(index, mask, values) if listed else ""), row=row, field=field)

    def add_values(
        self, series: pd.Series, mask: np.ndarray, what: str, *, field: str, listed: bool = True
    ) -> None:
        """:meth:`add_rows` for values of ``series`` that are ``what`` (``'abc' is not a number``)."""
        self.add_rows(
            series.index,
            mask,
            lambda r: f"{plain_value(series.loc[r])!r} {what}",
            field=field,
            values=series,
            listed=listed,
        )

    def raise_if_any(self) -> None:
        if self.errors:
            self._raise()

    def fail(self, reason: str, *, row: int | None = None, field: str | None = None) -> NoReturn:
        """Add a problem and raise everything gathered so far."""
        self.add(reason, row=row, field=field)
        self._raise()

    def _raise(self) -> NoReturn:
        first = self.errors[0]
        extra = len(self.errors) - 1
        reason = first.reason + (f" (and {extra} more problem{'s' if extra > 1 else ''})" if extra else "")
        err = LayerValidationError(
            reason, source=first.source, row=first.row, field=first.field, layer=first.layer
        )
        err.errors = self.errors[:_MAX_REPORTED]
        raise err


def _nfc(value: Any) -> Any:
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value.strip())
    return value


def _as_read(given: Any, number: float) -> str:
    """A number as an error shows it: the text the file has, with the number it read where
    that is another ("1.800" as 1.8)."""
    text = plain_value(given)
    return f"{number:g}" if str(text).strip() == f"{number:g}" else f"{text!r} (read as {number:g})"


def _in_all(index: pd.Index, mask: np.ndarray, values: pd.Series | None = None) -> str:
    """:func:`coverage_gis.io.row_text.rows_in_all` (imported when asked: the importers load
    this module)."""
    from coverage_gis.io.row_text import rows_in_all

    return rows_in_all(index, mask, values)


def str_value(v: Any) -> str | None:
    """One value of a text field as validation stores it (None: missing)."""
    if is_missing(v):
        return None
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    # Empty or whitespace-only text is a missing value, whatever the file format.
    return _nfc(str(v)) or None


def _coerce_str(series: pd.Series) -> pd.Series:
    converted = series.map(str_value).astype(object)
    # pandas turns None returned by map into NaN; keep missing values as None.
    return converted.where(converted.notna(), None)


def _coerce_numeric(series: pd.Series, spec: FieldSchema, out: _Collector) -> pd.Series:
    read = series
    if spec.type == "int":
        # A count with its unit and its thousands ("1.540 người"): the unit off, then the
        # thousands read as a whole number's.
        read = whole_number_text(read.map(lambda v: without_unit(v, spec.units)) if spec.units else read)
    as_text = read.map(number_text).replace("", None)
    numbers = pd.to_numeric(as_text, errors="coerce").astype("float64")
    bad = numbers.isna().to_numpy() & as_text.notna().to_numpy()
    if spec.units and bad.any():
        # Only text that is not a number is asked whether it is one with the field's unit.
        unitless = as_text[bad].map(lambda v: without_unit(v, spec.units))
        numbers[bad] = pd.to_numeric(unitless, errors="coerce").astype("float64").to_numpy()
        bad = numbers.isna().to_numpy() & as_text.notna().to_numpy()
    if bad.any():
        out.add_values(series, bad, "is not a number", field=spec.name)
    infinite = np.isinf(numbers.to_numpy())
    if infinite.any():
        out.add_values(series, infinite, "is not a finite number", field=spec.name, listed=False)
        numbers = numbers.where(~infinite)
    if spec.type == "int":
        fractional = numbers.notna().to_numpy() & (numbers.fillna(0) % 1 != 0).to_numpy()
        if fractional.any():
            out.add_values(series, fractional, "is not a whole number", field=spec.name)
            numbers = numbers.where(~fractional)  # the error is raised with the others
        huge = np.abs(numbers.fillna(0).to_numpy()) >= _INT_LIMIT
        if huge.any():
            out.add_values(series, huge, "is too large a whole number", field=spec.name, listed=False)
            numbers = numbers.where(~huge)
    values = numbers.to_numpy()
    for bound, label, cmp in (
        (spec.min, "below the minimum", np.less),
        (spec.max, "above the maximum", np.greater),
    ):
        if bound is None:
            continue
        with np.errstate(invalid="ignore"):
            off = cmp(values, bound) & ~np.isnan(values)
        if off.any():
            first = int(np.flatnonzero(off)[0])
            reason = f"{_as_read(series.iloc[first], values[first])} is {label} {bound:g}"
            out.add_rows(series.index, off, reason, field=spec.name)
    if spec.type == "int":
        return numbers.astype("Int64")
    return numbers


#: What :func:`bool_value` returns for a value that is not a yes/no value.
NOT_BOOL = "__bad__"


def bool_value(v: Any) -> bool | str | None:
    """One value of a yes/no field as validation reads it (None: missing; :data:`NOT_BOOL`: bad)."""
    if is_missing(v):
        return None
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, np.integer, float)) and v in (0, 1):
        return bool(v)
    text = str(v).strip().lower()
    # "Đã có (điện lưới)": it already has one, as "có" says.
    text = re.sub(r"\A(?:đã|da)\s+(?=có|co\b)", "", text)
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    words = text.split()
    return _LEADING_WORD.get(fold_diacritics(words[0]), NOT_BOOL) if len(words) > 1 else NOT_BOOL


def _ticked_blanks(series: pd.Series, blank: np.ndarray) -> bool:
    """Whether a yes/no column marks yes with a tick (``x``, ``✓``) and no by leaving the cell
    blank: every value given a tick, some cells blank (``blank``: their rows)."""
    if not blank.any() or blank.all():
        return False
    given = series[~blank]
    return bool(given.map(lambda v: isinstance(v, str) and v.strip().lower() in _TICKS).all())


def _coerce_bool(series: pd.Series, spec: FieldSchema, out: _Collector) -> pd.Series:
    converted = series.map(bool_value)
    bad = (converted == NOT_BOOL).to_numpy()
    if bad.any():
        out.add_values(series, bad, "is not a yes/no value", field=spec.name)
    return converted.where(~bad, None).astype(object)


#: The earliest year a date field reads (an earlier one is a parser's guess at text that is no date).
_EARLIEST_YEAR = 1900


def _coerce_date(series: pd.Series, spec: FieldSchema, out: _Collector) -> pd.Series:
    text = day_first_dates(vietnamese_dates(_coerce_str(excel_serial_dates(series))))
    parsed = pd.to_datetime(text, errors="coerce", format="mixed")
    # A parser's guess at text that is no date ("13.2024" as the year 1): no date the layers
    # hold is older than the telegraph.
    parsed = parsed.where(parsed.dt.year >= _EARLIEST_YEAR)
    bad = parsed.isna().to_numpy() & text.notna().to_numpy()
    if bad.any():
        out.add_values(series, bad, "is not a date (use YYYY-MM-DD)", field=spec.name)
    return parsed.dt.strftime("%Y-%m-%d").where(parsed.notna(), None).astype(object)


def allowed_values(spec: FieldSchema) -> dict[str, str]:
    """The allowed values of ``spec`` by their case-folded NFC form (how a value is matched)."""
    assert spec.allowed is not None
    return _canonical(spec.allowed)


@functools.lru_cache(maxsize=64)
def _canonical(allowed: tuple[str, ...]) -> dict[str, str]:
    return {unicodedata.normalize("NFC", a).casefold(): a for a in allowed}


def _check_allowed(series: pd.Series, spec: FieldSchema, out: _Collector) -> pd.Series:
    assert spec.allowed is not None
    canonical = allowed_values(spec)
    mapped = series.map(lambda v: None if is_missing(v) else canonical.get(str(v).casefold(), "__bad__"))
    bad = (mapped == "__bad__").to_numpy()
    if bad.any():
        allowed = ", ".join(spec.allowed)
        out.add_rows(
            series.index,
            bad,
            lambda r: f"unknown value {plain_value(series.loc[r])!r} (allowed: {allowed})",
            field=spec.name,
            values=series,
        )
    return mapped.where(~bad, None).astype(object)


def _coerce_field(series: pd.Series, spec: FieldSchema, out: _Collector) -> pd.Series:
    if spec.type == "str":
        result = _coerce_str(series)
        if spec.allowed is not None:
            result = _check_allowed(result, spec, out)
        return result
    if spec.type in ("int", "float"):
        return _coerce_numeric(series, spec, out)
    if spec.type == "bool":
        return _coerce_bool(series, spec, out)
    return _coerce_date(series, spec, out)


def _repair(geom: BaseGeometry, wanted: str) -> BaseGeometry | None:
    """``make_valid`` and keep the parts of the layer's dimension; None if nothing is left
    (a polygon collapsed to a line, a line whose points all coincide: make_valid turns
    them into geometries of a lower dimension, which the layer cannot hold)."""
    try:
        fixed = shapely.make_valid(geom)
    except shapely.errors.GEOSException:
        return None
    if wanted == "MultiPolygon":
        parts = [g for g in getattr(fixed, "geoms", [fixed]) if g.geom_type in _POLYGONAL]
        if not parts:
            return None
        merged = shapely.union_all(parts)
        return merged if merged.geom_type in _POLYGONAL and not merged.is_empty else None
    kept = _parts_of(fixed, _PART_TYPES[wanted])
    if not kept:
        return None
    repaired = kept[0] if len(kept) == 1 else _MULTI[_PART_TYPES[wanted]](kept)
    return repaired if repaired.is_valid else None


#: A layer's geometry → the one-part geometry its features are made of.
_PART_TYPES = {"Point": "Point", "LineString": "LineString", "MultiPolygon": "Polygon"}
_MULTI = cast(
    "dict[str, Callable[[list[BaseGeometry]], BaseGeometry]]",
    {"Point": shapely.multipoints, "LineString": shapely.multilinestrings, "Polygon": shapely.multipolygons},
)


def _parts_of(geom: BaseGeometry, part_type: str) -> list[BaseGeometry]:
    """The non-empty ``part_type`` geometries in ``geom``, collections and multi-parts opened."""
    if geom.geom_type == part_type:
        return [] if geom.is_empty else [geom]
    if hasattr(geom, "geoms"):
        return [p for g in geom.geoms for p in _parts_of(g, part_type)]
    return []


def _layer_parts(arr: np.ndarray, wanted: str, index: pd.Index, report: ValidationReport) -> None:
    """Replace in place each GeometryCollection of ``arr`` by its parts of the layer's kind
    (Google Earth's MultiGeometry keeps a label point beside a polygon); one without such
    parts is left for the type check to refuse."""
    part_type = _PART_TYPES[wanted]
    for i in np.flatnonzero(shapely.get_type_id(arr) == shapely.GeometryType.GEOMETRYCOLLECTION):
        parts = _parts_of(arr[i], part_type)
        if parts:
            arr[i] = parts[0] if len(parts) == 1 and wanted != "MultiPolygon" else _MULTI[part_type](parts)
            report.reduced_collections.append(int(index[int(i)]))


def outline_points(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``geoms`` with each non-empty polygon (a village's or a place's outline, as provincial
    GIS files draw them) replaced by a point inside it (``point_on_surface`` of it, repaired
    where invalid: inside even where the outline is not convex, unlike its centroid), and
    which rows were; an outline with no such point is left as it is."""
    out = np.array(geoms, dtype=object)
    types = shapely.get_type_id(out)
    rows = np.flatnonzero(
        np.isin(types, [shapely.GeometryType.POLYGON, shapely.GeometryType.MULTIPOLYGON])
        & ~shapely.is_empty(out)
    )
    replaced = np.zeros(len(out), dtype=bool)
    if len(rows):
        shapes = out[rows]
        invalid = ~shapely.is_valid(shapes)
        shapes[invalid] = shapely.make_valid(shapes[invalid])
        points = shapely.point_on_surface(shapes)
        found = (shapely.get_type_id(points) == shapely.GeometryType.POINT) & ~shapely.is_empty(points)
        out[rows[found]] = points[found]
        replaced[rows[found]] = True
    return out, replaced


def layer_points(geoms: np.ndarray) -> np.ndarray:
    """The geometries a point layer's ``geoms`` are read as by validation: a collection's one
    point part (Google Earth's MultiGeometry), an outline's point inside it
    (:func:`outline_points`); the others as they are (validation refuses those)."""
    out = np.array(geoms, dtype=object)
    _layer_parts(out, "Point", pd.RangeIndex(len(out)), ValidationReport())
    return outline_points(out)[0]


def _outlines_as_points(arr: np.ndarray, index: pd.Index, report: ValidationReport) -> None:
    """Replace in place each outline of a point layer by a point inside it (:func:`outline_points`);
    one that cannot be is left for the type check to refuse."""
    points, replaced = outline_points(arr)
    arr[replaced] = points[replaced]
    report.outlines_as_points.extend(int(i) for i in index[replaced])


def _check_geometry(
    gdf: gpd.GeoDataFrame, schema: LayerSchema, out: _Collector, report: ValidationReport
) -> gpd.GeoSeries:
    geoms = gdf.geometry.copy()
    arr = geoms.to_numpy()
    _layer_parts(arr, schema.geometry, gdf.index, report)
    if schema.geometry == "Point":
        _outlines_as_points(arr, gdf.index, report)
    missing = shapely.is_missing(arr) | shapely.is_empty(arr)
    for i in np.flatnonzero(missing)[:_MAX_REPORTED]:
        out.add("empty or missing geometry", row=int(gdf.index[int(i)]), field="geometry")
    types = np.asarray(shapely.get_type_id(arr))
    names = np.array(
        [
            "Point",
            "LineString",
            "LinearRing",
            "Polygon",
            "MultiPoint",
            "MultiLineString",
            "MultiPolygon",
            "GeometryCollection",
        ],
        dtype=object,
    )
    type_names: np.ndarray = names[np.clip(types, 0, 7)]
    type_names[types < 0] = None
    accepted = _ACCEPTED_GEOMETRIES[schema.geometry]
    wrong = ~missing & ~np.isin(type_names, list(accepted))
    for i in np.flatnonzero(wrong)[:_MAX_REPORTED]:
        out.add(
            f"geometry is a {type_names[i]}, layer {schema.name} needs {schema.geometry}",
            row=int(gdf.index[int(i)]),
            field="geometry",
        )
    if schema.geometry == "Point":
        multi = ~missing & (type_names == "MultiPoint")
        for i in np.flatnonzero(multi):
            parts = shapely.get_num_geometries(arr[i])
            if parts == 1:
                arr[i] = shapely.get_geometry(arr[i], 0)
            else:
                out.add(
                    f"MultiPoint with {parts} points; a {schema.name} feature is one point",
                    row=int(gdf.index[int(i)]),
                    field="geometry",
                )
    coords, owner = shapely.get_coordinates(arr, return_index=True)
    infinite = np.zeros(len(arr), dtype=bool)
    infinite[owner[~np.isfinite(coords).all(axis=1)]] = True
    for i in np.flatnonzero(infinite)[:_MAX_REPORTED]:
        out.add("a coordinate is not a finite number", row=int(gdf.index[int(i)]), field="geometry")
    ok = ~missing & ~wrong & ~infinite
    invalid = ok & ~shapely.is_valid(arr)
    for i in np.flatnonzero(invalid):
        repaired = _repair(arr[i], schema.geometry)
        if repaired is None:
            if schema.geometry == "LineString" and shapely.length(arr[i]) == 0:
                reason = "a line of zero length: all its points coincide"
            else:
                reason = shapely.is_valid_reason(arr[i])
            out.add(
                f"invalid geometry that make_valid cannot repair ({reason})",
                row=int(gdf.index[int(i)]),
                field="geometry",
            )
        else:
            arr[i] = repaired
            report.repaired_geometries.append(int(gdf.index[int(i)]))
    if schema.geometry == "MultiPolygon":
        single = np.array([g is not None and g.geom_type == "Polygon" for g in arr])
        if single.any():
            arr[single] = [shapely.MultiPolygon([g]) for g in arr[single]]
    _check_extent(arr, ok, gdf.index, out)
    return gpd.GeoSeries(arr, index=gdf.index, crs=gdf.crs)


def _check_extent(arr: np.ndarray, ok: np.ndarray, index: pd.Index, out: _Collector) -> None:
    if not ok.any():
        return
    bounds = np.full((len(arr), 4), np.nan)
    bounds[ok] = shapely.bounds(arr[ok])
    # A box lies inside when both its corners do (and looks swapped when they do with
    # lon and lat exchanged).
    inside = inside_vietnam(bounds[:, 0], bounds[:, 1]) & inside_vietnam(bounds[:, 2], bounds[:, 3])
    swapped = inside_vietnam(bounds[:, 1], bounds[:, 0]) & inside_vietnam(bounds[:, 3], bounds[:, 2])
    outside = ok & ~inside
    for i in np.flatnonzero(outside)[:_MAX_REPORTED]:
        x, y = bounds[i, 0], bounds[i, 1]
        if swapped[i]:
            reason = f"coordinates ({x:.5f}, {y:.5f}) look like swapped lat/lon (expected lon first)"
        else:
            reason = f"coordinates ({x:.5f}, {y:.5f}) are outside Vietnam's extent {VIETNAM_BBOX}"
            if max(abs(x), abs(y)) > 360:
                # Metres, not degrees: a projected CRS (VN-2000, UTM) the file does not declare.
                reason += (
                    "; these look like projected metres: import the file with --crs naming its CRS "
                    "(e.g. EPSG:3405, VN-2000 / UTM 48N)"
                )
        out.add(reason, row=int(index[i]), field="geometry")


#: Frames up to this many rows take their absent fields from :func:`_absent_column`.
_SMALL_FRAME = 16


@functools.lru_cache(maxsize=512)
def _absent_column(spec: FieldSchema, n: int) -> tuple[pd.Series, int]:
    """What :func:`validate_layer` makes of field ``spec`` when a frame of ``n`` rows lacks
    it (never an error: the caller checks that it is not required), and how many defaults
    that fills."""
    report = ValidationReport()
    column = _field_column(pd.RangeIndex(n), None, spec, _Collector("", ""), report)
    assert column is not None
    return column, report.filled_defaults.get(spec.name, 0)


def _cacheable(spec: FieldSchema) -> bool:
    """Whether an absent ``spec`` can come from :func:`_absent_column` (not required, hashable)."""
    if (spec.required and spec.default is None) or spec.default_by is not None:
        return False
    try:
        hash(spec)
    except TypeError:
        return False
    return True


def _row_defaults(spec: FieldSchema, columns: Mapping[str, pd.Series]) -> pd.Series | None:
    """Each row's default of ``spec`` where it depends on an earlier field's clean column
    (``default_by``: a cell's band by its technology); None: the schema ``default`` alone."""
    if spec.default_by is None or spec.default_by[0] not in columns:
        return None
    return columns[spec.default_by[0]].astype(object).map(spec.default_of)


def _missing_field(spec: FieldSchema, unread: Sequence[str]) -> str:
    """Why a required field is missing: the column names that give it, the columns not read."""
    names = ", ".join([spec.name, *spec.aliases][:_NAMES_SHOWN])
    more = len(spec.aliases) + 1 - _NAMES_SHOWN
    shown = ", ".join(repr(c) for c in unread[:_NAMES_SHOWN]) + (
        f" and {len(unread) - _NAMES_SHOWN} more" if len(unread) > _NAMES_SHOWN else ""
    )
    return (
        f"missing required field {spec.name!r} (read from a column named {names}"
        + (f" or {more} more" if more > 0 else "")
        + (f"; columns not read: {shown})" if unread else "; there are no other columns)")
    )


def _field_column(
    index: pd.Index,
    series: pd.Series | None,
    spec: FieldSchema,
    out: _Collector,
    report: ValidationReport,
    defaults: pd.Series | None = None,
) -> pd.Series | None:
    """One clean field from its column (None: the frame lacks it); None when it is missing
    and required (reported to ``out``, with the columns not read: ``report.dropped_columns``).
    ``defaults``: each row's default where the field's depends on another field (else its
    schema ``default``)."""
    if series is None:
        if spec.required and spec.default is None:
            out.add(_missing_field(spec, report.dropped_columns), field=spec.name)
            return None
        series = pd.Series([None] * len(index), index=index, dtype=object)
        given = False
    else:
        given = True
    coerced = _coerce_field(series, spec, out)
    nulls = coerced.isna().to_numpy()
    if spec.type == "bool" and given and _ticked_blanks(series, nulls):
        coerced = coerced.astype(object).where(~nulls, False)
        report.ticked_blanks[spec.name] = int(nulls.sum())
        nulls = coerced.isna().to_numpy()
    if nulls.any() and (spec.default is not None or defaults is not None):
        coerced = coerced.astype(object).where(~nulls, spec.default if defaults is None else defaults)
        if spec.type == "int":
            coerced = coerced.astype("Int64")
        elif spec.type == "float":
            coerced = coerced.astype("float64")
        empty = nulls
        nulls = coerced.isna().to_numpy()
        report.filled_defaults[spec.name] = int((empty & ~nulls).sum())
    if spec.type == "bool":
        coerced = coerced.astype(bool) if not nulls.any() else coerced.astype("boolean")
    if spec.required and given and nulls.any():
        # Empty in the file: a value coercion refused has its own error already.
        at = np.flatnonzero(nulls)
        empty = np.zeros(len(index), dtype=bool)
        empty[at] = [is_blank(v) for v in series.iloc[at]]
        if empty.any():
            out.add_rows(index, empty, "required value is empty", field=spec.name)
    if spec.unique:
        dup = coerced.duplicated(keep="first").to_numpy() & ~nulls
        if dup.any():
            out.add_rows(
                index,
                dup,
                lambda r: f"duplicate id {plain_value(coerced.loc[r])!r}",
                field=spec.name,
                values=coerced,
            )
    return coerced


def validate_layer(
    frame: pd.DataFrame,
    schema: LayerSchema,
    *,
    source: str,
) -> tuple[pd.DataFrame, ValidationReport]:
    """Check ``frame`` against ``schema`` and return a clean copy in schema column order.

    Parameters
    ----------
    frame
        Features read from ``source``: a GeoDataFrame in EPSG:4326 for layers with
        geometry, any DataFrame for attribute-only layers. The index must be the
        zero-based feature number in the source (it is reported as the row).
    schema
        The layer's schema.
    source
        Where the features came from (file path), named in every error.

    Returns
    -------
    (clean, report)
        ``clean`` holds exactly the schema's fields (plus ``geometry``) with
        coerced types; ``report`` lists repairs and dropped columns.

    Raises
    ------
    LayerValidationError
        For the first problem found; ``.errors`` on it lists up to 20.
    """
    out = _Collector(source, schema.name)
    report = ValidationReport()
    by_lower = {str(c).strip().casefold(): c for c in frame.columns if c != "geometry"}
    known = {f.name.casefold() for f in schema.fields}
    report.dropped_columns = sorted(str(c) for k, c in by_lower.items() if k not in known)

    columns: dict[str, pd.Series] = {}
    for spec in schema.fields:
        original = by_lower.get(spec.name.casefold())
        if original is None and len(frame) <= _SMALL_FRAME and _cacheable(spec):
            # An edit payload names a few fields: the absent ones come out the same every
            # time (typed missing values, or the default), so they are built once.
            column, filled = _absent_column(spec, len(frame))
            columns[spec.name] = column.set_axis(frame.index)
            if filled:
                report.filled_defaults[spec.name] = filled
            continue
        coerced = _field_column(
            frame.index,
            None if original is None else frame[original],
            spec,
            out,
            report,
            defaults=_row_defaults(spec, columns),
        )
        if coerced is not None:
            columns[spec.name] = coerced

    if schema.has_geometry:
        if not isinstance(frame, gpd.GeoDataFrame) or frame.geometry.name not in frame:
            out.fail(f"layer {schema.name} needs geometries ({schema.geometry})", field="geometry")
        geometry = _check_geometry(frame, schema, out, report)
        out.raise_if_any()
        clean: pd.DataFrame = gpd.GeoDataFrame(columns, geometry=geometry, crs="EPSG:4326")
    else:
        out.raise_if_any()
        clean = pd.DataFrame(columns, index=frame.index)
    return clean.reset_index(drop=True), report
