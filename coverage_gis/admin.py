"""Administrative hierarchy: which commune/district/province a feature belongs to.

Two hierarchies are supported (``docs/architecture.md``): the pre-2025 three levels
(province/district/commune, GSO codes) and the 2025 two levels (province/commune,
from the crosswalk, :mod:`coverage_gis.crosswalk`). Communes without a GSO code are
keyed on ``census_commune_id``. A feature in a commune the 2025 reform split takes the
2025 units of the part (``commune_parts_2025``) it lies in, so every feature counts
once in every hierarchy. Also owns the 2009 census population of each unit that a
workspace holds, against the unit's whole (a 2025 province holding only part of its
territory is *partial*).
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, TypeVar, cast

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from coverage_gis._strings import TakenColumn, assigned_take, distinct_strings, str_take

if TYPE_CHECKING:
    from coverage_gis._polygon_grid import PolygonGrid

LEVELS: tuple[str, ...] = ("province", "district", "commune", "province_2025", "commune_2025")

#: Level → (code column, name column) in the frame :func:`admin_columns` returns.
LEVEL_COLUMNS: dict[str, tuple[str, str]] = {
    "province": ("province_code", "province_name"),
    "district": ("district_code", "district_name"),
    "commune": ("commune_key", "commune_name"),
    "province_2025": ("new_province_code", "new_province_name"),
    "commune_2025": ("new_commune_code", "new_commune_name"),
}

_COMMUNE_ATTRS = [
    "census_commune_id",
    "commune_code",
    "commune_name",
    "district_code",
    "district_name",
    "province_code",
    "province_name",
    "new_province_code",
    "new_province_name",
    "new_commune_code",
    "new_commune_name",
    "admin_2025_method",
]
#: The columns a part of a split commune decides for the features inside it.
_PART_ATTRS = (
    "new_province_code",
    "new_province_name",
    "new_commune_code",
    "new_commune_name",
    "admin_2025_method",
)
#: Levels whose units a workspace can hold only part of (their whole is known nationally).
LEVEL_POP_TOTALS: dict[str, str] = {
    "province_2025": "new_province_pop_2009",
    "commune_2025": "new_commune_pop_2009",
}


def commune_key(communes: pd.DataFrame) -> pd.Series:
    """The commune's reporting code: GSO code where known, else the census id."""
    code = communes["commune_code"].astype(object)
    return code.where(code.notna() & (code != ""), communes["census_commune_id"])


#: A point-in-polygon predicate and the same test asked of the polygon.
_CONVERSE: dict[str, Literal["contains", "intersects"]] = {"within": "contains", "intersects": "intersects"}


#: Below one point per this many polygons, points are asked of the polygons' own query
#: (preparing copies of the polygons would cost more than it saves).
_FEW_POINTS = 64


def points_in_polygons(
    points: np.ndarray,
    polygons: gpd.GeoDataFrame,
    predicate: Literal["within", "intersects"],
    *,
    few: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """``polygons.sindex.query(points, predicate=predicate)``: the same pairs, in the same order.

    For many points, the polygons' index is asked for envelopes only and the converse
    test is then asked of prepared copies of the polygons (:func:`_prepared`), in one
    vectorized call: the query itself tests each candidate in the order it finds them,
    with the point prepared, several times dearer. ``few``: the points are few for their
    polygons whatever their count (the remainder :func:`commune_positions` asks): the
    query itself, without preparing copies of every polygon.
    """
    if not len(points) or not len(polygons):
        empty = np.empty(0, dtype=np.int64)
        return empty, empty
    if few or len(points) * _FEW_POINTS < len(polygons):
        # A few points (a site an edit adds): the usual query, without preparing the polygons.
        idx_point, idx_polygon = polygons.sindex.query(points, predicate=predicate)
    else:
        idx_point, idx_polygon = polygons.sindex.query(points)
        prepared = _prepared(polygons)
        with prepared.lock:
            keep = getattr(shapely, _CONVERSE[predicate])(prepared.geoms[idx_polygon], points[idx_point])
        idx_point, idx_polygon = idx_point[keep], idx_polygon[keep]
    order = np.argsort(idx_point, kind="stable")
    return idx_point[order].astype(np.int64), idx_polygon[order].astype(np.int64)


@dataclass(frozen=True)
class _Prepared:
    """Copies of a frame's polygons, prepared (their edges indexed as they are first tested),
    with the lock that keeps two threads from testing them at once (a prepared geometry
    builds its index on first use: not safe to share)."""

    geoms: np.ndarray
    lock: threading.Lock = field(default_factory=threading.Lock)


def _prepared(polygons: gpd.GeoDataFrame) -> _Prepared:
    """The :class:`_Prepared` copies of ``polygons``' geometries, once per frame (copies: the
    frame's own geometries stay as they are)."""

    def build() -> _Prepared:
        geoms = shapely.from_wkb(shapely.to_wkb(polygons.geometry.to_numpy()))
        shapely.prepare(geoms)
        return _Prepared(geoms)

    return _held("prepared", (polygons, polygons), build)


def admin_columns(
    points: gpd.GeoDataFrame,
    communes: gpd.GeoDataFrame,
    parts: gpd.GeoDataFrame | None = None,
    *,
    placed: np.ndarray | None = None,
) -> pd.DataFrame:
    """Admin attributes for each point, aligned with ``points``.

    A point carrying a ``census_commune_id`` that exists in ``communes`` keeps it
    (a village on a commune border belongs where the data says); others are placed
    by point-in-polygon. Points outside every commune get empty codes. A point of a
    commune that has ``parts`` takes the 2025 units of the part it lies in (the
    nearest part of its commune when it lies in none). ``placed`` is
    :func:`commune_positions` of every point when the caller has it (a search that
    releases the GIL, run beside other work).
    """
    return admin_rows(points, communes, parts, placed=placed).frame


@dataclass(frozen=True)
class AdminRows:
    """:func:`admin_columns` of some points (``frame``), and where each row's values came
    from (``source``): rows of one source hold the same values, taken from the same
    commune and part, so that rows can be grouped by their units from these integers
    instead of hashing their codes (:func:`coverage_gis.kpi_cells.frame_cells`)."""

    frame: pd.DataFrame
    source: np.ndarray


def admin_rows(
    points: gpd.GeoDataFrame,
    communes: gpd.GeoDataFrame,
    parts: gpd.GeoDataFrame | None = None,
    *,
    placed: np.ndarray | None = None,
) -> AdminRows:
    """:func:`admin_columns` of ``points`` with the source of each row (:class:`AdminRows`)."""
    attrs, lookup = commune_table(communes)
    position = np.full(len(points), -1, dtype=np.int64)
    if "census_commune_id" in points and len(points):
        position = _rows_of_ids(points["census_commune_id"], lookup)
    missing = position < 0
    if missing.any():
        position[missing] = (
            placed[missing]
            if placed is not None
            else commune_positions(points.geometry.to_numpy()[missing], communes)
        )
    placed_in_parts, part = (
        _in_parts(points.geometry.to_numpy(), position, parts, part_table(communes, parts))
        if parts is not None and len(parts) and len(points)
        else ({}, None)
    )
    # One take of the communes' rows for their object columns no part decides (a point
    # in no commune, -1, takes the missing values past the last row), kept as objects
    # in one block (a frame made of them would infer strings).
    objects, table = _commune_objects(communes)
    taken = [k for k, col in enumerate(objects) if col not in placed_in_parts]
    values = table[taken][:, np.where(position < 0, len(attrs), position)]
    out = pd.DataFrame(values.T, index=points.index, columns=objects[taken], dtype=object, copy=False)
    for k, col in enumerate(attrs.columns):
        if col not in out:
            column = placed_in_parts[col] if col in placed_in_parts else attrs[col].reindex(position).array
            out.insert(k, col, column)
    # The commune row and, in a split commune, the part: one integer per pair.
    source = position + 1 if part is None else position + 1 + (len(attrs) + 1) * (part + 1)
    return AdminRows(out, source)


def _rows_of_ids(ids: pd.Series, lookup: pd.Series) -> np.ndarray:
    """``ids.map(lookup)``, -1 where missing: each id's row of :func:`commune_table`.

    A column of strings, none missing, is hashed once and each distinct id mapped once
    (mapping every row converts each to the pandas string the lookup's index holds).
    """
    found = distinct_strings(ids)
    if found is None or (found[0] < 0).any():
        return np.array(ids.map(lookup).fillna(-1).to_numpy(dtype=np.int64))
    codes, distinct = found
    rows = pd.Series(distinct, dtype=object).map(lookup).fillna(-1).to_numpy(dtype=np.int64)
    return np.asarray(rows[codes])


def commune_positions(geoms: np.ndarray, communes: gpd.GeoDataFrame) -> np.ndarray:
    """Row of the commune each point lies in (-1: none), by point-in-polygon: on a border
    shared by several communes, the first ``points_in_polygons`` lists.

    Many points are first looked up in the communes' compiled grid
    (:class:`~coverage_gis._polygon_grid.PolygonGrid`: the answer wherever it is certain,
    numba, GIL released); only the points it is unsure of (on or near a border, in two
    communes, not plain points) are asked of GEOS, with the same answer as all of them would get.
    """
    placed = np.full(len(geoms), -1, dtype=np.int64)
    if not len(communes) or not len(geoms):
        return placed
    asked = np.arange(len(geoms))
    grid = _grid(communes) if len(geoms) * _FEW_POINTS >= len(communes) else None
    if grid is not None:
        from coverage_gis._polygon_grid import UNSURE

        placed = grid.locate(geoms)
        asked = np.flatnonzero(placed == UNSURE)
        placed[asked] = -1
    if len(asked):
        # The grid leaves a few thousand of 400,000 speed tests: too few to pay for
        # preparing copies of every commune.
        idx_point, idx_commune = points_in_polygons(
            geoms[asked], communes, "intersects", few=grid is not None
        )
        # First match wins for points exactly on a shared border (pairs come by point, each
        # point's in the order the search found them).
        first = np.unique(idx_point, return_index=True)[1]
        placed[asked[idx_point[first]]] = idx_commune[first]
    return placed


def _grid(polygons: gpd.GeoDataFrame) -> PolygonGrid | None:
    """The :class:`~coverage_gis._polygon_grid.PolygonGrid` of some polygons (the communes,
    or their 2025 parts), once per frame (None where it cannot answer for them)."""
    from coverage_gis._polygon_grid import PolygonGrid

    return _held("grid", (polygons, polygons), lambda: PolygonGrid.build(polygons.geometry.to_numpy()))


_T = TypeVar("_T")
#: What :func:`_held` built, by the ids of the frames it came from (with weak references
#: to them: an id is reused once its frame is gone).
_HELD: dict[tuple[str, int, int], tuple[tuple[weakref.ref[pd.DataFrame], ...], object]] = {}
#: Held while :data:`_HELD` is read or built (the full computation places points on two
#: threads); re-entrant: a build may ask for another.
_HELD_LOCK = threading.RLock()


def _held(kind: str, frames: tuple[pd.DataFrame, pd.DataFrame], build: Callable[[], _T]) -> _T:
    """``build()``, once per ``kind`` and frames (frames are not changed in place: every
    edit of a layer makes a new frame)."""
    key = (kind, id(frames[0]), id(frames[1]))
    with _HELD_LOCK:
        held = _HELD.get(key)
        if held is not None and all(ref() is frame for ref, frame in zip(held[0], frames, strict=True)):
            return cast(_T, held[1])
        value = build()
        for stale in [k for k, (refs, _v) in _HELD.items() if any(ref() is None for ref in refs)]:
            del _HELD[stale]
        _HELD[key] = (tuple(weakref.ref(frame) for frame in frames), value)
        return value


def commune_table(communes: gpd.GeoDataFrame) -> tuple[pd.DataFrame, pd.Series]:
    """The admin attributes of each commune (with ``commune_key``) and the row of each
    census id (its first), built once per communes frame."""
    return _held("communes", (communes, communes), lambda: _commune_table(communes))


def _commune_table(communes: gpd.GeoDataFrame) -> tuple[pd.DataFrame, pd.Series]:
    attrs = communes[[c for c in _COMMUNE_ATTRS if c in communes]].copy()
    for col in _COMMUNE_ATTRS:
        if col not in attrs:
            attrs[col] = None
    attrs["commune_key"] = commune_key(attrs)
    attrs = attrs.reset_index(drop=True)
    lookup = pd.Series(np.arange(len(attrs)), index=attrs["census_commune_id"].to_numpy())
    lookup = lookup[~lookup.index.duplicated()]
    return attrs, lookup


def _commune_objects(communes: gpd.GeoDataFrame) -> tuple[pd.Index, np.ndarray]:
    """The object columns of :func:`commune_table` (names, and values in one array, a
    column per row) with, past the last commune, the missing values of a point in none
    (as ``reindex`` fills them), once per communes frame: :func:`admin_rows` takes their
    rows in one go."""

    def build() -> tuple[pd.Index, np.ndarray]:
        attrs = commune_table(communes)[0]
        names = attrs.columns[[pd.api.types.is_object_dtype(dtype) for dtype in attrs.dtypes]]
        missing = np.full((len(names), 1), np.nan, dtype=object)
        return names, np.concatenate([attrs[names].to_numpy(dtype=object).T, missing], axis=1)

    return _held("commune_objects", (communes, communes), build)


@dataclass(frozen=True)
class PartTable:
    """The parts of split communes as :func:`admin_columns` reads them, per communes frame.

    The ids of communes and parts are compared as ``str``. ``row_owner`` is, per row of
    :func:`commune_table`, the code of its commune among the parts' communes (-1: a
    commune without parts, or without an id); ``part_owner`` that of each part.
    ``values`` holds, per 2025 column the parts carry, one table of objects: the
    commune rows', then the parts', then a missing value (a point in no commune), so
    that a point's value is one take (:func:`~coverage_gis._strings.assigned_take`).
    """

    row_owner: np.ndarray
    part_owner: np.ndarray
    values: dict[str, TakenColumn]


def part_table(communes: gpd.GeoDataFrame, parts: gpd.GeoDataFrame) -> PartTable:
    """The :class:`PartTable` of ``communes`` and their ``parts``, built once per pair of frames."""
    return _held("parts", (communes, parts), lambda: _part_table(commune_table(communes)[0], parts))


def _part_table(attrs: pd.DataFrame, parts: gpd.GeoDataFrame) -> PartTable:
    part_owner, owners = pd.factorize(parts["census_commune_id"].astype(str).to_numpy(dtype=object))
    ids = attrs["census_commune_id"].to_numpy(dtype=object)
    row_owner = pd.Index(np.asarray(owners, dtype=object)).get_indexer(ids.astype(str).astype(object))
    row_owner[pd.isna(ids)] = -1
    nothing = np.array([np.nan], dtype=object)
    values = {
        col: TakenColumn.of(
            np.concatenate([attrs[col].to_numpy(dtype=object), parts[col].to_numpy(dtype=object), nothing])
        )
        for col in _PART_ATTRS
        if col in parts
    }
    return PartTable(row_owner.astype(np.int64), np.asarray(part_owner, dtype=np.int64), values)


def _in_parts(
    geoms: np.ndarray, position: np.ndarray, parts: gpd.GeoDataFrame, table: PartTable
) -> tuple[dict[str, Any], np.ndarray | None]:
    """The 2025 columns of every point, by column, and the part of each point (-1: none),
    where some point lies in a commune with parts (else none: the communes' own columns
    hold); ``position``: each point's row of :func:`commune_table` (-1: none)."""
    # A point in no commune (-1) takes the entry past the last: no parts.
    owner = np.append(table.row_owner, -1)[position]
    split = np.flatnonzero(owner >= 0)
    if split.size == 0:
        return {}, None
    chosen = _part_of(geoms[split], owner[split], parts, table.part_owner)
    part = np.full(len(position), -1, dtype=np.int64)
    part[split] = chosen
    n_rows = len(table.row_owner)
    rows = np.where(position < 0, n_rows + len(parts), position)
    rows[split] = n_rows + chosen
    return assigned_take(table.values, rows), part


def _part_of(
    geoms: np.ndarray, owner: np.ndarray, parts: gpd.GeoDataFrame, part_owner: np.ndarray
) -> np.ndarray:
    """The part of its own commune (``owner``: codes of :class:`PartTable`) each point
    lies in: on the line between two parts the first; in none of them the nearest.

    The parts' compiled grid answers first: a point it places surely in the interior of
    one part intersects that part alone, the answer where the part is its commune's. The
    others (unsure, in no part, in another commune's part) are asked of GEOS.
    """
    chosen = np.full(len(geoms), -1, dtype=np.int64)
    asked = np.arange(len(geoms))
    grid = _grid(parts) if len(geoms) * _FEW_POINTS >= len(parts) else None
    if grid is not None:
        found = grid.locate(geoms)
        sure = (found >= 0) & (part_owner[np.maximum(found, 0)] == owner)
        chosen[sure] = found[sure]
        asked = np.flatnonzero(~sure)
    idx_point, idx_part = points_in_polygons(geoms[asked], parts, "intersects", few=grid is not None)
    idx_point = asked[idx_point]
    own = part_owner[idx_part] == owner[idx_point]
    idx_point, idx_part = idx_point[own], idx_part[own]
    order = np.lexsort((idx_part, idx_point))
    idx_point, idx_part = idx_point[order], idx_part[order]
    first = np.unique(idx_point, return_index=True)[1]
    chosen[idx_point[first]] = idx_part[first]
    part_geoms = parts.geometry.to_numpy()
    for k in np.flatnonzero(chosen < 0):
        mine = np.flatnonzero(part_owner == owner[k])
        chosen[k] = mine[int(np.argmin(shapely.distance(part_geoms[mine], geoms[k])))]
    return chosen


def unit_population_2009(communes: pd.DataFrame, parts: pd.DataFrame | None = None) -> pd.DataFrame:
    """2009 census population per unit of every level: held here, and of the whole unit.

    ``pop_2009`` sums the communes given (a commune with ``parts`` counts each part
    in its own 2025 commune). ``pop_2009_total`` is the unit's population in all of
    Vietnam where the communes carry it (2025 levels, :data:`LEVEL_POP_TOTALS`), else
    missing: the pre-2025 units come whole from the boundaries, the 2025 ones need not.

    Returns
    -------
    DataFrame
        Columns ``level``, ``code``, ``pop_2009``, ``pop_2009_total`` (nullable ints).

    Built once per frames, as the communes' other tables (a recompute after an edit of
    the network reads the same boundaries); each call gets its own frame.
    """
    kind, frames = ("units", (communes, communes)) if parts is None else ("units_parts", (communes, parts))
    return _held(kind, frames, lambda: _unit_population_2009(communes, parts)).copy(deep=False)


def _unit_population_2009(communes: pd.DataFrame, parts: pd.DataFrame | None) -> pd.DataFrame:
    if not len(communes):
        return pd.DataFrame(columns=["level", "code", "pop_2009", "pop_2009_total"])
    # The columns read here, in a frame of their own (the communes' are not changed).
    read = {"census_commune_id", "commune_code", "pop_2009", *LEVEL_POP_TOTALS.values()}
    read |= {code for code, _name in LEVEL_COLUMNS.values()}
    base = communes[[c for c in communes.columns if c in read]]
    base["commune_key"] = commune_key(base)
    base["pop_2009"] = pd.to_numeric(base["pop_2009"], errors="coerce").fillna(0).astype("int64")
    cut = set(parts["census_commune_id"].astype(str)) if parts is not None and len(parts) else set()
    whole_2025 = base[~base["census_commune_id"].astype(str).isin(cut)]
    pieces = (
        pd.DataFrame(parts.drop(columns="geometry", errors="ignore")) if cut and parts is not None else None
    )
    sources = [
        (level, [whole_2025, pieces] if level in LEVEL_POP_TOTALS and pieces is not None else [base])
        for level in LEVELS
    ]
    held = [(level, [f for f in source if f is not None and len(f)]) for level, source in sources]
    found = _units_by_strings(held)
    return found if found is not None else _units_by_groupby(held)


_UnitSources = list[tuple[str, list[pd.DataFrame]]]


def _units_by_groupby(sources: _UnitSources) -> pd.DataFrame:
    """:func:`unit_population_2009`'s table from each level's rows (``sources``), grouped
    by their codes as strings."""
    frames = []
    for level, source in sources:
        code_col = LEVEL_COLUMNS[level][0]
        total_col = LEVEL_POP_TOTALS.get(level)
        cols = [code_col, "pop_2009", *([total_col] if total_col else [])]
        rows = pd.concat([f.reindex(columns=cols) for f in source], ignore_index=True)
        rows = rows[rows[code_col].notna()]
        grouped = rows.groupby(rows[code_col].astype(str))
        frame = pd.DataFrame({"pop_2009": grouped["pop_2009"].sum().astype("int64")})
        if total_col:
            frame["pop_2009_total"] = pd.to_numeric(grouped[total_col].max(), errors="coerce")
        else:
            frame["pop_2009_total"] = np.nan
        frame = frame.reset_index(names="code")
        frame.insert(0, "level", level)
        frames.append(frame)
    out = pd.concat(frames, ignore_index=True)
    out["pop_2009_total"] = out["pop_2009_total"].astype("Int64")
    return out


def _units_by_strings(sources: _UnitSources) -> pd.DataFrame | None:
    """:func:`_units_by_groupby`, where every code is a string or missing and every
    population an ``int64`` column: each level's codes hashed once and the sums added up
    by numpy (a groupby per level converts, hashes and sorts every row's code anew).
    None otherwise."""
    levels: list[np.ndarray] = []
    codes: list[np.ndarray] = []
    sums: list[np.ndarray] = []
    totals: list[np.ndarray] = []
    no_total: list[np.ndarray] = []
    for level, source in sources:
        code_col, total_col = LEVEL_COLUMNS[level][0], LEVEL_POP_TOTALS.get(level)
        numbers = ["pop_2009", *([total_col] if total_col else [])]
        if any(c not in f for f in source for c in [code_col, *numbers]):
            return None
        if any(f[c].dtype != np.int64 for f in source for c in numbers):
            return None
        code = np.concatenate([f[code_col].to_numpy(dtype=object) for f in source])
        kept = ~pd.isna(code)
        found = distinct_strings(code[kept])
        if found is None:
            return None
        # Units in the order of their codes (as a groupby sorts them: by code point).
        row_unit, names = found
        order = np.argsort(names.astype(str))
        rank = np.empty(len(order), dtype=np.int64)
        rank[order] = np.arange(len(order))
        unit = rank[row_unit]
        summed = np.zeros(len(names), dtype=np.int64)
        np.add.at(summed, unit, np.concatenate([f["pop_2009"].to_numpy() for f in source])[kept])
        most = np.full(len(names), np.iinfo(np.int64).min)
        if total_col:
            np.maximum.at(most, unit, np.concatenate([f[total_col].to_numpy() for f in source])[kept])
        levels.append(np.full(len(names), len(levels)))
        codes.append(names[order])
        sums.append(summed)
        totals.append(most)
        no_total.append(np.full(len(names), total_col is None))
    every = np.concatenate(codes)
    if not len(every):
        return None
    named = np.array([level for level, _source in sources], dtype=object)
    return pd.DataFrame(
        {
            # Text taken as the frame would make it of the objects (by arrow, not row by row).
            "level": str_take(named, np.concatenate(levels)),
            "code": str_take(every, np.arange(len(every))),
            "pop_2009": np.concatenate(sums),
            "pop_2009_total": pd.arrays.IntegerArray(np.concatenate(totals), np.concatenate(no_total)),
        }
    )
