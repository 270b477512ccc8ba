"""Tables (CSV, and XLSX through :mod:`coverage_gis.io.xlsx`): points from longitude/latitude
columns, or plain attribute rows.

Owns reading delimited text as users export it from Excel or a survey tool:
comma, semicolon or tab delimited, coordinates with a decimal point or a decimal
comma, in UTF-8 (with or without a byte-order mark), UTF-16 with a byte-order mark
or Windows-1258 (:mod:`coverage_gis.text_encoding` decides which). Coordinate columns are
found by name (:func:`coordinate_columns`), compared as every header is
(:func:`coverage_gis.io.headers.find_header`: any case, separators, diacritics):
``lon``/``lng``/``long``/``longitude``/``x`` (also ``kinh độ``) and
``lat``/``latitude``/``y`` (also ``vĩ độ``), with no unit in brackets or a unit of
degrees (``Longitude (deg)``, ``Kinh độ (°)``); ``X (m)`` is a projected coordinate, not a
longitude. Without them, a ``wkt``/``geometry``/``geom``/``the_geom``
column of WKT (QGIS's "AS_WKT" export) gives lines and polygons. Coordinates are
taken as EPSG:4326, in decimal degrees or degrees-minutes-seconds
(:mod:`coverage_gis.io.dms`). :func:`located_table` is the one path from a read table
(text from a CSV, typed cells from a workbook) to a layer frame with geometry.
"""

from __future__ import annotations

import csv
import functools
import io
import warnings
from collections.abc import Callable, Iterable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from coverage_gis.crs import STORAGE_CRS
from coverage_gis.errors import LayerValidationError
from coverage_gis.io.axis_order import axes_swapped
from coverage_gis.io.coordinate_pairs import PAIR_NAMES, pair_coordinates
from coverage_gis.io.dms import Axis, dms_degrees
from coverage_gis.io.headers import find_header, header_units
from coverage_gis.io.prj import given_crs
from coverage_gis.io.row_text import rows_in_all
from coverage_gis.io.table_shape import (
    ROW_ORIGIN,
    is_column_numbers,
    merged_header,
    sniff_delimiter,
    title_lines,
)
from coverage_gis.io.vector import one_line
from coverage_gis.layers import is_unit_of
from coverage_gis.text_encoding import decode_text
from coverage_gis.validation import inside_vietnam
from coverage_gis.value_text import grouped_metres, number_text

#: Accepted coordinate column names, most specific first (compared by
#: :func:`coverage_gis.io.headers.find_header`, so ``KINH_DO`` and ``Kinh Do`` are ``kinh độ``).
LON_NAMES: tuple[str, ...] = (
    "lon",
    "lng",
    "long",
    "longitude",
    "client_longitude",
    "kinh độ",
    "x",
    # the centre of a zone given by a centre and a radius
    "kinh độ tâm",
    "centre longitude",
    "center longitude",
)
LAT_NAMES: tuple[str, ...] = (
    "lat",
    "latitude",
    "client_latitude",
    "vĩ độ",
    "y",
    "vĩ độ tâm",
    "centre latitude",
    "center latitude",
)
#: Units in brackets a coordinate column may carry: degrees (WGS 84), or the hemisphere
#: (``Kinh độ (E)``, ``Vĩ độ (N)``, Vietnamese ``(Đ)``/``(B)``). Any other unit
#: (``X (m)``, ``Y [km]``, ``Lon (VN-2000)``) is a projected or other coordinate, not read.
DEGREE_UNITS: tuple[str, ...] = (
    "deg",
    "degree",
    "degrees",
    "decimal degrees",
    "dd",
    "độ",
    "°",
    "º",
    "°E",
    "°N",
    "ºE",
    "ºN",
    "E",
    "N",
    "Đ",
    "B",
    "WGS84",
    "WGS 84",
    "EPSG:4326",
)
#: Units in brackets that name a geographic CRS other than WGS 84 (``Kinh độ (VN2000)``):
#: read only where ``--crs`` says which (the degrees of another datum lie some 200 m off).
DATUM_UNITS: tuple[str, ...] = ("VN2000", "VN-2000", "VN 2000", "HN72", "HN-72", "Indian 1960")
#: Coordinate column names in a projected CRS (``--crs``), most specific first: eastings
#: and northings, or the X and Y of a survey table.
X_NAMES: tuple[str, ...] = ("easting", "x", "tọa độ x", "toạ độ x", "e")
Y_NAMES: tuple[str, ...] = ("northing", "y", "tọa độ y", "toạ độ y", "n")
#: Units in brackets a projected coordinate column may carry (metres).
METRE_UNITS: tuple[str, ...] = ("m", "met", "mét", "metre", "meter", "metres", "meters")
#: Accepted names of a WKT geometry column.
WKT_NAMES: tuple[str, ...] = ("wkt", "geometry", "geom", "the_geom")


def read_table(
    text: str, *, source: str, header: bool = True, names: tuple[str, ...] | None = None
) -> pd.DataFrame:
    """Parse delimited ``text`` into a frame of strings (empty cells → missing).

    A column whose header cell is blank is left out (a trailing delimiter on the header
    line, a spreadsheet's unnamed notes column); so are empty fields after the last column
    (a trailing delimiter on the data lines), while a row with more filled fields than the
    header is an error naming it, never read shifted.

    Parameters
    ----------
    text
        The decoded file.
    source
        The file, named in errors.
    header
        Whether the first line names the columns.
    names
        Column names to use when there is no header.
    """
    lines = text.lstrip("\n").splitlines()
    if not lines or not lines[0].strip():
        raise LayerValidationError("is empty", source=source)
    delimiter = sniff_delimiter(lines[0])
    try:
        with warnings.catch_warnings():
            # pandas warns (and drops the fields) when a row is longer than the header.
            warnings.simplefilter("error", pd.errors.ParserWarning)
            frame = pd.read_csv(
                io.StringIO(text),
                sep=delimiter,
                dtype=str,
                keep_default_na=False,
                na_values=[""],
                skipinitialspace=True,
                skip_blank_lines=True,
                header=0 if header else None,
                names=list(names) if names is not None else None,
                quoting=csv.QUOTE_MINIMAL,
                # Never the first column as the index: a trailing delimiter on the data
                # lines would otherwise shift every value one column to the left.
                index_col=False,
            )
    except (pd.errors.ParserWarning, pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as exc:
        reason = f"cannot read as CSV ({one_line(exc)})"
        long_row = _long_row(text, delimiter, source=source, header=header, names=names)
        raise long_row or LayerValidationError(reason, source=source) from None
    if header:
        cells = next(csv.reader([lines[0]], delimiter=delimiter), [])
        if len(cells) == len(frame.columns):
            frame = frame.iloc[:, [j for j, cell in enumerate(cells) if cell.strip()]]
    frame.columns = pd.Index([str(c).strip() for c in frame.columns])
    return frame.reset_index(drop=True)


def _long_row(
    text: str, delimiter: str, *, source: str, header: bool, names: tuple[str, ...] | None
) -> LayerValidationError | None:
    """The error for the first row with more filled fields than the header has columns, if any."""
    try:
        rows = [r for r in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter) if r]
    except csv.Error:
        return None
    if not rows:
        return None
    width = len(rows[0]) if header or names is None else len(names)
    for i, row in enumerate(rows[1:] if header else rows):
        if len(row) > width and any(cell.strip() for cell in row[width:]):
            return LayerValidationError(
                f"has {len(row)} fields, more than the {width} columns of the header "
                "(a delimiter inside a value that is not quoted?)",
                source=source,
                row=i,
            )
    return None


def coordinate_columns(
    columns: Iterable[str], *, projected: bool = False, datum_given: bool = False
) -> tuple[str | None, str | None]:
    """The longitude and latitude columns among ``columns`` (None where there is none):
    a header that is one of :data:`LON_NAMES` / :data:`LAT_NAMES` with no unit in brackets or
    one of :data:`DEGREE_UNITS` (or, where ``--crs`` names a geographic CRS, ``datum_given``,
    of :data:`DATUM_UNITS`); for a ``projected`` CRS, the easting and northing columns,
    :data:`X_NAMES` / :data:`Y_NAMES` with no unit or one of :data:`METRE_UNITS`."""
    names = list(columns)
    if projected:
        return find_header(names, X_NAMES, units=METRE_UNITS), find_header(names, Y_NAMES, units=METRE_UNITS)
    units = (*DEGREE_UNITS, *DATUM_UNITS) if datum_given else DEGREE_UNITS
    return find_header(names, LON_NAMES, units=units), find_header(names, LAT_NAMES, units=units)


def coordinate_cells(table: pd.DataFrame, *, metres: bool = True) -> list[pd.Series]:
    """The columns of ``table`` that :func:`coordinate_columns` finds in degrees, and in metres
    unless ``metres`` is False (each once; a header the table repeats gives none)."""
    names = list(table.columns)
    found = {*coordinate_columns(names), *(coordinate_columns(names, projected=True) if metres else ())}
    return [table[c] for c in names if c in found and names.count(c) == 1]


def not_degrees_hint(columns: Iterable[str]) -> str:
    """Why coordinate-named columns were not read (a unit that is not degrees, or easting and
    northing columns without ``--crs``), or ``""``."""
    names = list(columns)
    taken = set(coordinate_columns(names))
    skipped = [
        c
        for c in (find_header(names, LON_NAMES, units=None), find_header(names, LAT_NAMES, units=None))
        if c is not None and c not in taken and header_units(c)
    ]
    if not skipped:  # easting and northing columns (X/Y in metres, as VN-2000 tables have them)
        projected = [c for c in coordinate_columns(names, projected=True) if c is not None and c not in taken]
        skipped = projected if len(projected) == 2 else []
    if not skipped:
        return ""
    shown = ", ".join(repr(c) for c in skipped)
    datum = all(is_unit_of(u, DATUM_UNITS) for c in skipped for u in header_units(c))
    also = "EPSG:4756 for VN-2000 degrees, " if datum else ""
    return (
        f"; {shown} not read as coordinates (a unit other than degrees: projected coordinates?). "
        "Give WGS 84 longitude/latitude in degrees, name the columns' CRS with --crs (e.g. "
        f"{also}EPSG:3405 for VN-2000 / UTM 48N), or import a GeoPackage or shapefile that declares its CRS"
    )


def parse_numbers(
    series: pd.Series,
    *,
    source: str,
    field: str,
    required: bool = True,
    fallback: Callable[[str], float] | None = None,
) -> np.ndarray:
    """Floats from numbers or text with a decimal point or comma (the rule of
    :func:`coverage_gis.value_text.number_text`); an error names the first bad row.

    Parameters
    ----------
    series
        Text (or, from a workbook, numeric) values, index = row in the file.
    source
        The file, named in errors.
    field
        The column, named in errors.
    required
        Whether an empty cell is an error (else it becomes NaN).
    fallback
        Reads a text that is not a decimal number (degrees-minutes-seconds for
        coordinates: :func:`parse_coordinates`); its :class:`ValueError` is the reason
        in the error. Without one such a text is an error.
    """
    text = series.map(number_text)
    numbers = pd.to_numeric(text, errors="coerce").astype("float64").to_numpy()
    present = text.notna().to_numpy() & (text.astype(object) != "").to_numpy()
    bad = ~np.isfinite(numbers) & present
    if fallback is not None and bad.any():
        numbers = numbers.copy()  # pandas may hand out a read-only view
        for i in np.flatnonzero(bad & np.isnan(numbers)).tolist():
            value = series.iloc[i]
            if not isinstance(value, str):
                continue
            try:
                parsed = fallback(value)
            except ValueError as exc:
                raise LayerValidationError(
                    f"{value!r} {exc}", source=source, row=int(series.index[i]), field=field
                ) from None
            numbers[i] = parsed
        bad = ~np.isfinite(numbers) & present
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        what = "a finite number" if np.isinf(numbers[i]) else "a number"
        raise LayerValidationError(
            f"{series.iloc[i]!r} is not {what}" + rows_in_all(series.index, bad, series),
            source=source,
            row=int(series.index[i]),
            field=field,
        )
    if required and not present.all():
        i = int(np.flatnonzero(~present)[0])
        raise LayerValidationError(
            "value is empty" + rows_in_all(series.index, ~present),
            source=source,
            row=int(series.index[i]),
            field=field,
        )
    return numbers


def parse_coordinates(series: pd.Series, *, source: str, field: str, axis: Axis) -> np.ndarray:
    """Degrees from a lon or lat column: decimal numbers as :func:`parse_numbers` reads them,
    or degrees-minutes-seconds text (:func:`coverage_gis.io.dms.dms_degrees`)."""
    return parse_numbers(
        series, source=source, field=field, fallback=functools.partial(dms_degrees, axis=axis)
    )


def read_csv_table(path: Path, *, notes: list[str], row_lines: list[int] | None = None) -> pd.DataFrame:
    """A CSV file as a frame of strings (see :func:`read_table`), its header the first line
    with two or more filled cells (:func:`title_lines` above it are skipped, with a note);
    ``notes`` also gets its encoding when it is not UTF-8, and ``row_lines`` (when given)
    the line of the file each row begins on (:func:`_row_lines`).

    Raises
    ------
    LayerValidationError
        Bytes that no accepted encoding reads, or text that does not parse.
    """
    source = str(path)
    text = decode_text(path.read_bytes(), source=source, notes=notes)
    skip = title_lines(text)
    every_line = text.splitlines()
    lines = every_line[skip:]
    delimiter = sniff_delimiter(lines[0]) if lines else ","
    heads: list[list[object]] = [
        [c.strip() or None for c in row] for row in csv.reader(lines[:3], delimiter=delimiter)
    ]
    merged = merged_header(*heads[:2]) if len(heads) > 1 else None
    if merged is not None:
        out = io.StringIO()
        csv.writer(out, delimiter=delimiter, lineterminator="").writerow(
            ["" if c is None else c for c in merged]
        )
        lines = [out.getvalue(), *lines[2:]]
        heads = [merged, *heads[2:]]
    numbered = len(heads) > 1 and is_column_numbers(heads[1])  # an official form's column numbers
    if numbered:
        lines = [lines[0], *lines[2:]]
    first = skip + 1 + (merged is not None) + numbered  # the header's last line
    if skip or merged is not None or numbered:
        what = f"lines {skip + 1}–{first}" if first > skip + 1 else f"line {first}"
        notes.append(
            f"header on {what} (skipped {skip} title line{'s' if skip != 1 else ''} above it); "
            f"{ROW_ORIGIN}line {first + 1}"
        )
        text = "\n".join(lines)
    frame = read_table(text, source=source)
    if row_lines is not None:
        row_lines[:] = _row_lines(every_line, first, delimiter, len(frame))
    return frame


def _row_lines(lines: list[str], first: int, delimiter: str, rows: int) -> list[int]:
    """The line (from 1) each row under a header ending on line ``first`` begins on, the
    lines the table reader skips left out (blank ones, and whitespace alone), a quoted
    value over several lines counted; empty where the count is not ``rows`` (not known)."""
    found: list[int] = []
    reader = csv.reader(lines[first:], delimiter=delimiter)
    before = 0
    try:
        for row in reader:
            if row and not (len(row) == 1 and not row[0].strip()):
                found.append(first + before + 1)
            before = reader.line_num
    except csv.Error:
        return []
    return found if len(found) == rows else []


def located_table(
    frame: pd.DataFrame, *, source: str, crs: str | None = None, notes: list[str] | None = None
) -> pd.DataFrame:
    """A read table (:func:`read_csv_table`, :func:`coverage_gis.io.xlsx.read_xlsx_table`) with
    its lon/lat (or WKT) columns replaced by a ``geometry`` column: a GeoDataFrame in EPSG:4326.
    Coordinates are decimal degrees or degrees-minutes-seconds (:func:`parse_coordinates`),
    or, given a ``crs``, coordinates in that CRS (a projected one: eastings and northings,
    :func:`coordinate_columns`), reprojected (:func:`_from_crs`; ``notes`` says how).

    Raises
    ------
    LayerValidationError
        No lon/lat or WKT column, a coordinate that is not a number, an unknown ``crs``.
    """
    given = given_crs(crs, source)
    projected = given is not None and given.is_projected
    lon_col, lat_col = coordinate_columns(frame.columns, projected=projected, datum_given=given is not None)
    wkt_col = find_header(frame.columns, WKT_NAMES)
    if lon_col is not None and lat_col is not None:
        if projected:
            # Metres grouped in thousands (1.601.768,89), as a Vietnamese survey table writes them.
            lon = parse_numbers(frame[lon_col], source=source, field=lon_col, fallback=grouped_metres)
            lat = parse_numbers(frame[lat_col], source=source, field=lat_col, fallback=grouped_metres)
        else:
            lon = parse_coordinates(frame[lon_col], source=source, field=lon_col, axis="lon")
            lat = parse_coordinates(frame[lat_col], source=source, field=lat_col, axis="lat")
            if given is None and _columns_swapped(lon, lat):
                lon, lat = lat, lon
                if notes is not None:
                    notes.append(
                        f"coordinates: column {lon_col!r} holds the latitudes and {lat_col!r} the "
                        "longitudes (read so, every point lies in Vietnam; as written, none)"
                    )
        geometry = np.asarray(gpd.points_from_xy(lon, lat), dtype=object)
        attrs = frame.drop(columns=[c for c in (lon_col, lat_col, wkt_col) if c is not None])
    elif wkt_col is not None:
        geometry = _parse_wkt(frame[wkt_col], source=source, field=wkt_col)
        attrs = frame.drop(columns=[wkt_col])
    elif not projected and (pair_col := find_header(frame.columns, PAIR_NAMES, units=DEGREE_UNITS)):
        lon, lat = pair_coordinates(frame[pair_col], source=source, field=pair_col)
        geometry = np.asarray(gpd.points_from_xy(lon, lat), dtype=object)
        attrs = frame.drop(columns=[pair_col])
        if notes is not None:
            notes.append(
                f"coordinates read from the pairs of column {pair_col!r}, each in the order in Vietnam"
            )
    else:
        missing = " and ".join(
            label for label, col in (("longitude", lon_col), ("latitude", lat_col)) if col is None
        )
        found = ", ".join(map(str, frame.columns))
        names = (
            "name them easting/x and northing/y (metres)"
            if projected
            else f"name them {'/'.join(LON_NAMES)} and {'/'.join(LAT_NAMES)}"
        )
        raise LayerValidationError(
            f"no {missing} column; {names}, or give a wkt column (columns found: {found})"
            f"{'' if projected else not_degrees_hint(frame.columns)}",
            source=source,
        )
    points = gpd.GeoSeries(geometry, index=attrs.index)
    located: pd.DataFrame = gpd.GeoDataFrame(
        attrs, geometry=points if given is None else _from_crs(points, given, notes, source), crs=STORAGE_CRS
    )
    return located


def _columns_swapped(lon: np.ndarray, lat: np.ndarray) -> bool:
    """Whether a file's longitude and latitude columns hold each other's degrees
    (:func:`coverage_gis.io.axis_order.axes_swapped` of its points)."""
    x, y = np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)
    return axes_swapped(np.column_stack([x, y, x, y]))


def _from_crs(points: gpd.GeoSeries, crs: pyproj.CRS, notes: list[str] | None, source: str) -> gpd.GeoSeries:
    """``points`` (coordinates in ``crs``) in EPSG:4326.

    Vietnamese survey tables in VN-2000 write X for the northing and Y for the easting: where
    a projected CRS's columns read as written put a point outside Vietnam and read the other
    way round put every point inside, they are read the other way round, with a note.
    """
    if crs.is_geographic:
        # Degrees outside longitude/latitude would project to infinity: name the row instead.
        x, y = points.x.to_numpy(), points.y.to_numpy()
        with np.errstate(invalid="ignore"):  # (a missing coordinate is validation's to report)
            bad = np.flatnonzero((np.abs(x) > 180) | (np.abs(y) > 90))
        if bad.size:
            row = points.index[bad[0]]
            raise LayerValidationError(
                f"coordinates ({x[bad[0]]:.5f}, {y[bad[0]]:.5f}) are not longitude, latitude "
                f"in {crs.name} (swapped lat/lon? expected lon first)",
                source=source,
                row=int(row),
                field="geometry",
            )
    lonlat = points.set_crs(crs, allow_override=True).to_crs(STORAGE_CRS)
    inside = inside_vietnam(lonlat.x, lonlat.y)
    # (Degrees in the wrong order are refused by validation, naming the row, as without --crs.)
    if crs.is_projected and len(points) and not inside.all():
        swapped = gpd.GeoSeries(gpd.points_from_xy(points.y, points.x), index=points.index, crs=crs).to_crs(
            STORAGE_CRS
        )
        if inside_vietnam(swapped.x, swapped.y)[points.notna().to_numpy()].all():
            if notes is not None:
                notes.append(
                    "coordinates read as X = northing, Y = easting (the VN-2000 survey convention): "
                    "read as written, they lie outside Vietnam"
                )
            lonlat = swapped
    if notes is not None:
        notes.append(f"coordinates reprojected from {crs.name} ({crs.to_string()}) to EPSG:4326")
    return lonlat


def _parse_wkt(series: pd.Series, *, source: str, field: str) -> np.ndarray:
    """Geometries from WKT text; an error names the first row that is not WKT."""
    text = series.astype(object).where(series.notna(), None).to_numpy()
    geoms = np.asarray(shapely.from_wkt(text, on_invalid="ignore"), dtype=object)
    bad = np.array([t is not None and g is None for t, g in zip(text, geoms, strict=True)], dtype=bool)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        shown = str(text[i])[:40]
        raise LayerValidationError(
            f"{shown!r} is not WKT geometry", source=source, row=int(series.index[i]), field=field
        )
    return geoms
