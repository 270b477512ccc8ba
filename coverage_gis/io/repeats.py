"""Rows that repeat one feature: a list of cells read as sites.

Operators send their network as one list with a row per cell ("Danh sách cell": site
code, site name, longitude, latitude, then the cell's id, technology, band and azimuth).
Its sites are the same list: every cell of a site repeats the site's code, name and
position. :func:`collapse_repeats` reads such rows once, so that the sites can be imported
from the file the cells come from, with a note. A field that belongs to each cell in such
a list (a cell's status: one sector still planned on a site on air) is taken by the rule
its schema gives (``from_rows``: the site is on air when one of its cells is), with a
note. Rows that share an id but differ in another field of the layer or in position are
refused, since the file does not say which of them is right: in such a list, naming the
rows, the field and both values; in a file where no row repeats another, by
validation's duplicate-id check.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from coverage_gis._values import is_blank
from coverage_gis.display import first_few
from coverage_gis.errors import LayerValidationError
from coverage_gis.layers import FROM_ROWS_MAX, FieldSchema, LayerSchema
from coverage_gis.value_text import number_text, without_unit

if TYPE_CHECKING:
    from pandas.core.groupby import SeriesGroupBy

__all__ = ["collapse_repeats", "taken_from_rows"]


def collapse_repeats(
    frame: pd.DataFrame, schema: LayerSchema, *, source: str | None = None, notes: list[str]
) -> pd.DataFrame:
    """``frame`` (columns named as ``schema``'s fields) with rows that repeat an earlier row's
    id and every field of the layer and position left out (see the module docstring).

    Columns that are not the layer's fields (a cell's own id, band, azimuth) do not count:
    they belong to what the rows list, not to the feature they repeat.

    Raises
    ------
    LayerValidationError
        Where some rows repeat others (a list with a row per cell), rows of one id that
        differ in a field or in position: the first such row, naming the field and both
        values. Without any repeated row, a repeated id is left to validation.
    """
    id_field = schema.id_field
    if id_field not in frame.columns:
        return frame
    ids = frame[id_field]
    repeated = (ids.duplicated(keep=False) & ids.notna()).to_numpy()
    if repeated.any() and schema.geometry == "LineString" and isinstance(frame, gpd.GeoDataFrame):
        frame = _pieces_joined(frame, schema, repeated, notes=notes)
        ids = frame[id_field]
        repeated = (ids.duplicated(keep=False) & ids.notna()).to_numpy()
    if not repeated.any():
        return frame
    frame = taken_from_rows(frame, schema, repeated, notes=notes)
    fields = [f.name for f in schema.fields if f.name in frame.columns]
    key = frame.loc[repeated, fields].astype(str)
    if isinstance(frame, gpd.GeoDataFrame) and frame.geometry.name in frame:
        geometries = _first_positions(ids[repeated], np.asarray(frame.geometry.array, dtype=object)[repeated])
        key["geometry"] = shapely.to_wkb(geometries)
    again = key.duplicated(keep="first")
    if not again.any():
        return frame  # no row repeats another: a repeated id is validation's to report
    _refuse_differing(frame, key[~again.to_numpy()], schema, source)
    out = frame.drop(index=key.index[again.to_numpy()])
    notes.append(
        f"{schema.name}: {int(again.sum())} rows repeat the {id_field} and the values of an earlier row "
        f"(a list with a row per cell?): {len(out)} {schema.name} read from {len(frame)} rows"
    )
    return out


def _pieces_joined(
    frame: gpd.GeoDataFrame, schema: LayerSchema, repeated: np.ndarray, *, notes: list[str]
) -> gpd.GeoDataFrame:
    """``frame`` (a line layer) with the rows of one id whose fields all agree and whose
    geometries are lines read as one feature of all their pieces (a route drawn in Google
    Earth as two Placemarks of one name), with a note; other rows as they are."""
    rows = np.flatnonzero(repeated)
    fields = [f.name for f in schema.fields if f.name in frame.columns]
    key = frame.iloc[rows][fields].astype(str).agg("\x1f".join, axis=1)
    geoms = np.asarray(frame.geometry.array, dtype=object)
    lines = np.isin(
        shapely.get_type_id(geoms[rows]),
        [shapely.GeometryType.LINESTRING, shapely.GeometryType.MULTILINESTRING],
    )
    ids = frame[schema.id_field].iloc[rows].to_numpy(dtype=object)
    # The rows of each id, and of each id and values: an id whose rows all agree is one group.
    by_id = pd.Series(np.arange(len(rows))).groupby(ids, sort=False).agg(list)
    by_values = (
        pd.Series(np.arange(len(rows)))
        .groupby(key.to_numpy() + "\x1e" + ids.astype(str), sort=False)
        .agg(list)
    )
    agreeing = {tuple(g) for g in by_values}
    joined = [list(g) for g in by_id if tuple(g) in agreeing and lines[g].all()]
    if not joined:
        return frame
    out_geoms = geoms.copy()
    dropped: list[int] = []
    for g in joined:
        parts = shapely.get_parts(geoms[rows[g]])
        out_geoms[rows[g[0]]] = shapely.multilinestrings(parts)
        dropped.extend(rows[g[1:]].tolist())
    out = frame.copy()
    out[out.geometry.name] = gpd.GeoSeries(out_geoms, index=frame.index, crs=frame.crs)
    out = out.drop(index=frame.index[dropped])
    first = ids[joined[0][0]]
    notes.append(
        f"{schema.name}: {len(joined)} {schema.id_field}{'s' if len(joined) > 1 else ''} drawn in several "
        f"pieces of one name and values (e.g. {first!r}: {len(joined[0])}) read as one feature each, "
        "its pieces together"
    )
    return out


def taken_from_rows(
    frame: pd.DataFrame, schema: LayerSchema, repeated: np.ndarray, *, notes: list[str]
) -> pd.DataFrame:
    """``frame`` with each repeated feature's rows holding one value of every field that has
    a ``from_rows`` rule (the first of its values the rows hold), where they held several.

    Empty cells name no value (the others decide). A feature keeps its rows as they are
    when one of them holds a value the rule does not name: validation reports that value,
    or the repeated id.
    """
    rows = np.flatnonzero(repeated)
    ids = frame[schema.id_field].iloc[rows].to_numpy(dtype=object)
    out = frame
    for spec in schema.fields:
        if not spec.from_rows or spec.name not in frame.columns:
            continue
        if spec.from_rows == (FROM_ROWS_MAX,):
            out = _largest_of_rows(out, spec, rows, ids, schema, notes=notes)
            continue
        rank = {value: i for i, value in enumerate(spec.from_rows)}
        given = frame[spec.name].iloc[rows]
        code = pd.Series([rank.get(v) if isinstance(v, str) else None for v in given], dtype=float)
        change, grouped = _rows_to_change(code, given, ids)
        if not change.any():
            continue
        best = grouped.transform("min").to_numpy()[change].astype(np.int64)
        out = _with_rows_set(out, spec.name, rows[change], np.asarray(spec.from_rows, dtype=object)[best])
        notes.append(
            f"{schema.name}: the rows of {len(set(ids[change]))} {schema.id_field} value(s) differ in "
            f"{spec.name}; each takes the first of {', '.join(spec.from_rows)} its rows hold "
            "(a list with a row per cell?)"
        )
    return out


def _largest_of_rows(
    frame: pd.DataFrame,
    spec: FieldSchema,
    rows: np.ndarray,
    ids: np.ndarray,
    schema: LayerSchema,
    *,
    notes: list[str],
) -> pd.DataFrame:
    """``frame`` with the repeated rows ``rows`` (of features ``ids``) of a number field whose
    values differ holding their largest, when each of them is a number (read as validation
    reads it: a decimal comma, a unit of the field's) or empty (a cell whose height the list
    does not give); others as they are."""
    text = frame[spec.name].iloc[rows].map(lambda v: without_unit(number_text(v), spec.units))
    numbers = pd.to_numeric(pd.Series(text.to_numpy(dtype=object)), errors="coerce")
    change, grouped = _rows_to_change(numbers, text, ids)
    if not change.any():
        return frame
    out = _with_rows_set(frame, spec.name, rows[change], grouped.transform("max").to_numpy()[change])
    notes.append(
        f"{schema.name}: the rows of {len(set(ids[change]))} {schema.id_field} value(s) differ in "
        f"{spec.name}; each takes the largest (a list with a row per cell? each cell's own is "
        "read into the cells layer)"
    )
    return out


def _rows_to_change(
    numbers: pd.Series, given: pd.Series, ids: np.ndarray
) -> tuple[np.ndarray, SeriesGroupBy[float, Any]]:
    """Which repeated rows a rule sets: those of a feature whose rows differ in the field
    (``numbers``: each row's value as the rule ranks it, NaN for none) or leave it empty in
    some, unless one of them holds a value the rule cannot read (``given``: the text, an
    empty cell names no value); with the rows grouped by feature."""
    blank = np.array([is_blank(v) for v in given], dtype=bool)
    unread = pd.Series(numbers.isna().to_numpy() & ~blank).groupby(ids).transform("any").to_numpy()
    grouped = numbers.groupby(ids)
    named = grouped.transform("count").to_numpy()
    differ = (grouped.transform("nunique").to_numpy() > 1) | (
        (named > 0) & (named < grouped.transform("size").to_numpy())
    )
    return differ & ~unread, grouped


def _with_rows_set(frame: pd.DataFrame, name: str, rows: np.ndarray, values: np.ndarray) -> pd.DataFrame:
    """A copy of ``frame`` whose column ``name`` holds ``values`` at the positions ``rows``."""
    column = np.array(frame[name].to_numpy(dtype=object), dtype=object)
    column[rows] = values
    out = frame.copy()
    out[name] = column
    return out


#: How far apart the rows of one feature may give its point and still give one position: the
#: noise of a spreadsheet's or a planning tool's decimals (15.33 and 15.330000000000002), and a
#: mast's sector antennas surveyed one by one, metres apart on one rooftop or tower (the
#: distance within which two lists' sites of one id are one mast,
#: :data:`coverage_gis.io.colocated.COLOCATED_M`): the first row's is the feature's.
SAME_POINT_M = 20.0
#: Metres per degree of latitude (and of longitude at the equator), for :data:`SAME_POINT_M`.
_M_PER_DEGREE = 111_320.0


def _first_positions(ids: pd.Series, geometries: np.ndarray) -> np.ndarray:
    """``geometries`` (rows of repeated ids) with each point within :data:`SAME_POINT_M` of the
    first point of its id replaced by that first point; other geometries as they are."""
    out = np.array(geometries, dtype=object)
    points = (shapely.get_type_id(out) == shapely.GeometryType.POINT) & ~shapely.is_empty(out)
    if not points.any():
        return out
    at = np.flatnonzero(points)
    x, y = shapely.get_x(out[at]), shapely.get_y(out[at])
    codes = pd.factorize(ids.to_numpy()[at])[0]
    # Codes number the ids in order of first appearance: each one's first point.
    lead = np.unique(codes, return_index=True)[1][codes]
    dx = (x - x[lead]) * _M_PER_DEGREE * np.cos(np.radians(y[lead]))
    dy = (y - y[lead]) * _M_PER_DEGREE
    close = np.hypot(dx, dy) <= SAME_POINT_M
    out[at[close]] = out[at[lead[close]]]
    return out


def _refuse_differing(
    frame: pd.DataFrame, kept: pd.DataFrame, schema: LayerSchema, source: str | None
) -> None:
    """Raise for the first row of ``kept`` (one row of each set of identical repeats) whose id an
    earlier kept row has: the file lists that feature twice, with other values."""
    ids = frame.loc[kept.index, schema.id_field]
    again = ids.duplicated(keep="first").to_numpy()
    if not again.any():
        return
    row = int(kept.index[np.flatnonzero(again)[0]])
    first = int(ids.index[(ids == ids.loc[row]).to_numpy()][0])
    differ = [c for c in kept.columns if str(kept.at[first, c]) != str(kept.at[row, c])]
    shown = [
        f"position {_position(frame, first)} (here {_position(frame, row)})"
        if c == "geometry"
        else f"{c} {frame.at[first, c]!r} (here {frame.at[row, c]!r})"
        for c in differ
    ]
    others = list(dict.fromkeys(str(i) for i in ids[again] if i != ids.loc[row]))
    listed = first_few(others, 5)
    also = f" ({len(others)} more {schema.id_field}s differ so: {listed})" if others else ""
    raise LayerValidationError(
        f"{schema.id_field} {ids.loc[row]!r} is on row {first} too, with {', '.join(shown)}: the rows "
        f"that list one feature (a list with a row per cell) must repeat its values{also}",
        source=source,
        row=row,
        field=next((c for c in differ if c != "geometry"), None),
        layer=schema.name,
    )


def _position(frame: pd.DataFrame, row: int) -> str:
    point = frame.geometry.loc[row]
    if point is None or point.is_empty or point.geom_type != "Point":
        return str(point)
    return f"{float(point.x)} {float(point.y)}"
