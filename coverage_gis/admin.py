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

import weakref
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from coverage_gis._strings import distinct_strings

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


#: Below one point per this many polygons, points are looked up in the polygons' index.
_FEW_POINTS = 64


def points_in_polygons(
    points: np.ndarray, polygons: gpd.GeoDataFrame, predicate: Literal["within", "intersects"]
) -> tuple[np.ndarray, np.ndarray]:
    """``polygons.sindex.query(points, predicate=predicate)``: the same pairs, in the same order.

    Asked the other way round (a tree of the points, each polygon prepared once for
    the converse test), which is several times cheaper for many points. A point in
    more than one polygon (on a shared border, or where polygons overlap) is asked
    again the usual way, so its polygons come in the usual order too.
    """
    if not len(points) or not len(polygons):
        empty = np.empty(0, dtype=np.int64)
        return empty, empty
    if len(points) * _FEW_POINTS < len(polygons):
        # A few points (a site an edit adds): the polygons' own index, built once per frame.
        idx_point, idx_polygon = polygons.sindex.query(points, predicate=predicate)
        order = np.argsort(idx_point, kind="stable")
        return idx_point[order].astype(np.int64), idx_polygon[order].astype(np.int64)
    idx_polygon, idx_point = shapely.STRtree(points).query(
        polygons.geometry.to_numpy(), predicate=_CONVERSE[predicate]
    )
    counts = np.bincount(idx_point, minlength=len(points))
    multi = np.flatnonzero(counts > 1)
    if multi.size:
        single = counts[idx_point] == 1
        again_point, again_polygon = polygons.sindex.query(points[multi], predicate=predicate)
        idx_point = np.concatenate([idx_point[single], multi[again_point]])
        idx_polygon = np.concatenate([idx_polygon[single], again_polygon])
    order = np.argsort(idx_point, kind="stable")
    return idx_point[order].astype(np.int64), idx_polygon[order].astype(np.int64)


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
    attrs, lookup = commune_table(communes)
    position = np.full(len(points), -1, dtype=np.int64)
    if "census_commune_id" in points and len(points):
        found = points["census_commune_id"].map(lookup)
        position = found.fillna(-1).to_numpy(dtype=np.int64)
    missing = position < 0
    if missing.any():
        position[missing] = (
            placed[missing]
            if placed is not None
            else commune_positions(points.geometry.to_numpy()[missing], communes)
        )
    out: pd.DataFrame = attrs.reindex(position).reset_index(drop=True)
    if parts is not None and len(parts) and len(out):
        _place_in_parts(points.geometry.to_numpy(), out, parts)
    out.index = points.index
    return out


def commune_positions(geoms: np.ndarray, communes: gpd.GeoDataFrame) -> np.ndarray:
    """Row of the commune each point lies in (-1: none), by point-in-polygon."""
    placed = np.full(len(geoms), -1, dtype=np.int64)
    if not len(communes):
        return placed
    idx_point, idx_commune = points_in_polygons(geoms, communes, "intersects")
    # First match wins for points exactly on a shared border.
    order = np.argsort(idx_point, kind="stable")
    idx_point, idx_commune = idx_point[order], idx_commune[order]
    first = np.unique(idx_point, return_index=True)[1]
    placed[idx_point[first]] = idx_commune[first]
    return placed


#: The attribute tables :func:`commune_table` built, by the communes frame they came from.
_COMMUNE_TABLES: dict[int, tuple[weakref.ref[gpd.GeoDataFrame], pd.DataFrame, pd.Series]] = {}


def commune_table(communes: gpd.GeoDataFrame) -> tuple[pd.DataFrame, pd.Series]:
    """The admin attributes of each commune (with ``commune_key``) and the row of each
    census id (its first), built once per communes frame (frames are not changed in place:
    every edit of a layer makes a new frame)."""
    held = _COMMUNE_TABLES.get(id(communes))
    if held is not None and held[0]() is communes:
        return held[1], held[2]
    attrs = communes[[c for c in _COMMUNE_ATTRS if c in communes]].copy()
    for col in _COMMUNE_ATTRS:
        if col not in attrs:
            attrs[col] = None
    attrs["commune_key"] = commune_key(attrs)
    attrs = attrs.reset_index(drop=True)
    lookup = pd.Series(np.arange(len(attrs)), index=attrs["census_commune_id"].to_numpy())
    lookup = lookup[~lookup.index.duplicated()]
    for key in [k for k, (ref, _a, _l) in _COMMUNE_TABLES.items() if ref() is None]:
        del _COMMUNE_TABLES[key]
    _COMMUNE_TABLES[id(communes)] = (weakref.ref(communes), attrs, lookup)
    return attrs, lookup


def _place_in_parts(geoms: np.ndarray, out: pd.DataFrame, parts: gpd.GeoDataFrame) -> None:
    """Overwrite the 2025 columns of points lying in a commune with parts (in place)."""
    part_commune = parts["census_commune_id"].astype(str).to_numpy(dtype=object)
    commune = out["census_commune_id"].astype(object).to_numpy()
    # Hashed membership (np.isin sorts the string arrays: seconds for a national
    # workspace), asked of each distinct commune once.
    distinct = distinct_strings(commune)
    if distinct is not None:
        codes, ids = distinct
        # A missing id (code -1) takes the last entry: no parts.
        has_parts = np.append(pd.Index(ids, dtype=object).isin(part_commune), False)[codes]
    else:
        has_parts = np.asarray(pd.Index(commune.astype(str)).isin(part_commune))
    split = np.flatnonzero(has_parts & pd.notna(commune))
    if split.size == 0:
        return
    part_geoms = parts.geometry.to_numpy()
    idx_point, idx_part = parts.sindex.query(geoms[split], predicate="intersects")
    own = part_commune[idx_part] == commune[split][idx_point].astype(str)
    idx_point, idx_part = idx_point[own], idx_part[own]
    # A point on the line between two parts: the first part wins, reproducibly.
    order = np.lexsort((idx_part, idx_point))
    idx_point, idx_part = idx_point[order], idx_part[order]
    chosen = np.full(split.size, -1, dtype=np.int64)
    first = np.unique(idx_point, return_index=True)[1]
    chosen[idx_point[first]] = idx_part[first]
    for k in np.flatnonzero(chosen < 0):
        mine = np.flatnonzero(part_commune == str(commune[split[k]]))
        chosen[k] = mine[int(np.argmin(shapely.distance(part_geoms[mine], geoms[split[k]])))]
    for col in _PART_ATTRS:
        if col in parts:
            values = out[col].to_numpy(dtype=object).copy()
            values[split] = parts[col].to_numpy(dtype=object)[chosen]
            out[col] = values


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
    """
    frames = []
    if not len(communes):
        return pd.DataFrame(columns=["level", "code", "pop_2009", "pop_2009_total"])
    base = communes.copy()
    base["commune_key"] = commune_key(base)
    base["pop_2009"] = pd.to_numeric(base["pop_2009"], errors="coerce").fillna(0).astype("int64")
    cut = set(parts["census_commune_id"].astype(str)) if parts is not None and len(parts) else set()
    whole_2025 = base[~base["census_commune_id"].astype(str).isin(cut)]
    pieces = (
        pd.DataFrame(parts.drop(columns="geometry", errors="ignore")) if cut and parts is not None else None
    )
    for level in LEVELS:
        code_col = LEVEL_COLUMNS[level][0]
        total_col = LEVEL_POP_TOTALS.get(level)
        source = [whole_2025, pieces] if level in LEVEL_POP_TOTALS and pieces is not None else [base]
        cols = [code_col, "pop_2009", *([total_col] if total_col else [])]
        rows = pd.concat(
            [f.reindex(columns=cols) for f in source if f is not None and len(f)], ignore_index=True
        )
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
