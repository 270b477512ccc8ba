"""The cell table as ``coverage_gis.network.cell_table`` built it before it joined by codes (a test oracle).

A frozen copy of that version (joined frame, per-column string conversion, lexsorted
bisectors), kept so that property tests can check the coded build against it on
random frames: same arrays, ids, kinds and source rows.
"""

from __future__ import annotations

import weakref

import geopandas as gpd
import numpy as np
import pandas as pd

from coverage_gis._strings import distinct_strings
from coverage_gis.layers import get_schema
from coverage_gis.models.antenna import is_omni
from coverage_gis.models.base import CellArrays
from coverage_gis.network import (
    CELL_FLOAT_DEFAULTS,
    SITE_HEIGHT_DEFAULT_M,
    CellKinds,
    CellTable,
    TableSource,
    _Statuses,
    points_xy_m,
    site_environment,
)


def str_array(values: object) -> np.ndarray:
    column = values if isinstance(values, pd.Series) else pd.Series(np.asarray(values, dtype=object))
    if not len(column) or not column.isna().to_numpy().any():
        return np.asarray(column.to_numpy(dtype=str))
    return np.asarray(column.to_numpy(dtype=object).astype(str))


def sector_bisectors(
    layer: np.ndarray, azimuth_deg: np.ndarray, beamwidth_deg: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    az = np.mod(np.asarray(azimuth_deg, dtype=np.float64), 360.0)
    bw = np.asarray(beamwidth_deg, dtype=np.float64)
    layer_key = np.asarray(layer)
    cw = np.full(az.shape, np.nan)
    ccw = np.full(az.shape, np.nan)
    sector = np.flatnonzero(~is_omni(az, bw))
    if sector.size == 0:
        return cw, ccw
    if np.issubdtype(layer_key.dtype, np.integer):
        layer_id = layer_key[sector].astype(np.int64, copy=False)
    else:
        _, layer_id = np.unique(layer_key[sector], return_inverse=True)
        layer_id = layer_id.ravel()
    rounded = np.round(az[sector], 6)
    order = np.lexsort((rounded, layer_id))
    sorted_layer, sorted_az = layer_id[order], rounded[order]
    new_position = np.append(True, (np.diff(sorted_layer) != 0) | (np.diff(sorted_az) != 0))
    which = np.empty(order.size, dtype=np.int64)
    which[order] = np.cumsum(new_position) - 1
    group, pos_az = sorted_layer[new_position].astype(np.float64), sorted_az[new_position]
    start = np.flatnonzero(np.append(True, np.diff(group) != 0))
    sizes = np.diff(np.append(start, group.size))
    first = np.repeat(start, sizes)
    count = np.repeat(sizes, sizes)
    last = first + count - 1
    index = np.arange(group.size)
    nxt = np.where(index < last, np.roll(pos_az, -1), pos_az[first] + 360.0)
    prv = np.where(index > first, np.roll(pos_az, 1), pos_az[last] - 360.0)
    cw[sector] = np.where(count > 1, (nxt - pos_az) / 2.0, 180.0)[which]
    ccw[sector] = np.where(count > 1, (pos_az - prv) / 2.0, 180.0)[which]
    return cw, ccw


def group_ids(columns: list[np.ndarray]) -> np.ndarray:
    ids = np.zeros(len(columns[0]), dtype=np.int64)
    span = 1
    for column in columns:
        codes, uniques = pd.factorize(column)
        width = len(uniques) + 1
        if span * width >= 1 << 62:
            ids = pd.factorize(ids)[0].astype(np.int64)
            span = int(ids.max(initial=0)) + 1
        ids = ids * width + codes + 1
        span *= width
    return np.asarray(pd.factorize(ids)[0], dtype=np.int64)


def cell_states(cell_status: pd.Series, site_status: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    cell, site = _Statuses(cell_status), _Statuses(site_status)
    alive = ~cell.equal("decommissioned") & site.present & ~site.equal("decommissioned")
    on_air = cell.equal("on_air") & site.equal("on_air")
    return alive, on_air


def _str_codes(column: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    distinct = distinct_strings(column)
    if distinct is None or (distinct[0] < 0).any():
        return str_array(column), pd.factorize(column)[0], None
    codes, names = distinct
    strings = names.astype(str)
    return strings[codes], codes, strings


def _join_sites(
    cells: pd.DataFrame, site_cols: pd.DataFrame
) -> tuple[pd.DataFrame, tuple[np.ndarray, np.ndarray] | None]:
    sites_index = pd.Index(site_cols["site_id"])
    right_cols = [c for c in site_cols.columns if c != "site_id"]
    names = [f"{c}_site" if c in cells.columns else c for c in right_cols]
    if not sites_index.is_unique or any(f"{c}_site" in cells.columns for c in right_cols):
        return cells.merge(site_cols, on="site_id", how="inner", suffixes=("", "_site")), None
    position = sites_index.get_indexer(cells["site_id"])
    keep = np.flatnonzero(position >= 0)
    right = site_cols[right_cols].iloc[position[keep]].reset_index(drop=True)
    right.columns = pd.Index(names)
    joined: pd.DataFrame = pd.concat([cells.iloc[keep].reset_index(drop=True), right], axis=1)
    return joined, (position[keep].astype(np.int64), keep.astype(np.int64))


def _height(joined: pd.DataFrame) -> np.ndarray:
    """A cell's own antenna height, else its site's (``height_m_site`` where the cells have
    a column of their own), else the default."""
    height = pd.to_numeric(joined["height_m"], errors="coerce")
    if "height_m_site" in joined:
        height = height.fillna(pd.to_numeric(joined["height_m_site"], errors="coerce"))
    return height.fillna(SITE_HEIGHT_DEFAULT_M).to_numpy(dtype=np.float64)


def cell_table(
    sites: gpd.GeoDataFrame,
    cells: pd.DataFrame,
    *,
    communes: gpd.GeoDataFrame | None,
    metric_crs: str,
    include_planned: bool = True,
) -> CellTable:
    site_cols = sites[["site_id", "status", "height_m"]].copy()
    site_cols["environment"] = site_environment(sites, communes)
    x_m, y_m = points_xy_m(sites, metric_crs)
    site_cols["x_m"] = x_m
    site_cols["y_m"] = y_m
    joined, rows = _join_sites(cells, site_cols)
    alive, radiating = cell_states(joined["status"], joined["status_site"])
    keep = alive if include_planned else alive & radiating
    joined = joined[keep].reset_index(drop=True)
    on_air = radiating[keep]
    site_row = None if rows is None else rows[0][keep]
    source = (
        None
        if site_row is None or rows is None or not include_planned
        else TableSource(weakref.ref(sites), weakref.ref(cells), site_row, rows[1][keep])
    )

    def floats(name: str, default: float) -> np.ndarray:
        col = (
            pd.to_numeric(joined[name], errors="coerce")
            if name in joined
            else pd.Series(np.nan, index=joined.index)
        )
        return col.fillna(default).to_numpy(dtype=np.float64)

    azimuth = (
        pd.to_numeric(joined["azimuth_deg"], errors="coerce").to_numpy(dtype=np.float64)
        if "azimuth_deg" in joined
        else np.full(len(joined), np.nan)
    )
    # A cell without a band takes its technology's (the cells schema's default by tech).
    band_spec = get_schema("cells").field("band_mhz")
    band = (
        pd.to_numeric(joined["band_mhz"], errors="coerce")
        if "band_mhz" in joined
        else pd.Series(np.nan, index=joined.index)
    )
    band = band.fillna(joined["tech"].map(band_spec.default_of)).to_numpy(dtype=np.float64)
    beamwidth = floats("beamwidth_deg", CELL_FLOAT_DEFAULTS["beamwidth_deg"])
    site_id = str_array(joined["site_id"])
    operator, operator_codes, operator_names = _str_codes(joined["operator"])
    tech, tech_codes, tech_names = _str_codes(joined["tech"])
    layer = group_ids(
        [
            joined["site_id"].to_numpy() if site_row is None else site_row,
            operator_codes,
            tech_codes,
            band,
            on_air,
        ]
    )
    bisector_cw, bisector_ccw = sector_bisectors(layer, azimuth, beamwidth)
    arrays = CellArrays(
        x_m=joined["x_m"].to_numpy(dtype=np.float64),
        y_m=joined["y_m"].to_numpy(dtype=np.float64),
        tech=tech,
        band_mhz=band,
        azimuth_deg=azimuth,
        beamwidth_deg=beamwidth,
        eirp_dbm=floats("eirp_dbm", CELL_FLOAT_DEFAULTS["eirp_dbm"]),
        tilt_deg=floats("tilt_deg", CELL_FLOAT_DEFAULTS["tilt_deg"]),
        height_m=_height(joined),
        environment=_str_codes(joined["environment"])[0],
        bisector_cw_deg=bisector_cw,
        bisector_ccw_deg=bisector_ccw,
    )
    table = CellTable(
        arrays=arrays,
        cell_id=joined["cell_id"].to_numpy(dtype=object),
        site_id=site_id,
        operator=operator,
        on_air=on_air.astype(bool),
        source=source,
    )
    if tech_names is not None and operator_names is not None:
        table.__dict__["kinds"] = CellKinds.of_codes(tech_codes, tech_names, operator_codes, operator_names)
    return table
