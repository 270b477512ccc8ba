"""The 5G gap list: priority places without 5G, and the sector or small cell that would
serve each (``docs/architecture.md``, gap lists).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from coverage_gis.costs import Costs
from coverage_gis.gaps._rows import ADMIN_COLUMNS, gap_row, lonlat_of, ranked_frame
from coverage_gis.models.base import CellArrays, CoverageModel, ReceiverArrays
from coverage_gis.models.reference import REFERENCE_BEAMWIDTH_DEG, REFERENCE_TILT_DEG, reference_radio
from coverage_gis.network import CellTable, points_xy_m
from coverage_gis.vocabulary import OPERATORS

#: A 5G sector is tried on this many nearest on-air sites of a place.
FIVE_G_SITES_TRIED = 5
#: 5G band assumed for an operator with no 5G cell in the workspace (n78), MHz.
DEFAULT_5G_BAND_MHZ = 3500.0


def _five_g_bands(cells: CellTable) -> dict[str, float]:
    """Each operator's 5G band in this workspace: the most common band of its 5G cells."""
    nr = cells.arrays.tech == "5G"
    bands: dict[str, float] = {}
    for op in sorted(set(cells.operator[nr])):
        values, counts = np.unique(cells.arrays.band_mhz[nr & (cells.operator == op)], return_counts=True)
        bands[str(op)] = float(values[int(np.argmax(counts))])
    return bands


@dataclass(frozen=True)
class OnAirSites:
    """The sites of the on-air cells: id, position, clutter class and tallest antenna, and
    the operators on each (sorted), found in one grouping of the cells."""

    site_ids: np.ndarray
    x_m: np.ndarray
    y_m: np.ndarray
    environment: np.ndarray
    height_m: np.ndarray
    #: (site, operator) codes ``site × len(operator_names) + operator``, sorted.
    _site_operators: np.ndarray
    _operator_names: np.ndarray
    #: Where each site's codes start in ``_site_operators`` (one more entry than sites).
    _starts: np.ndarray

    @classmethod
    def of(cls, cells: CellTable) -> OnAirSites:
        live = cells.subset(cells.on_air)
        site_ids, first, inverse = np.unique(live.site_id, return_index=True, return_inverse=True)
        inverse = inverse.reshape(-1).astype(np.int64)
        # The tallest antenna of each site (NaN when any of its heights is NaN, as max() is).
        height = np.full(site_ids.size, -np.inf)
        np.maximum.at(height, inverse, live.arrays.height_m.astype(np.float64))
        names, code = np.unique(np.asarray(live.operator, dtype=str), return_inverse=True)
        pairs = np.unique(inverse * max(names.size, 1) + code.reshape(-1))
        starts = np.searchsorted(pairs // max(names.size, 1), np.arange(site_ids.size + 1))
        arrays = live.arrays
        return cls(
            site_ids,
            arrays.x_m[first],
            arrays.y_m[first],
            arrays.environment[first],
            height,
            pairs,
            names,
            starts,
        )

    def operators(self, site: int) -> list[str]:
        """The operators with an on-air cell on site number ``site``, sorted."""
        codes = self._site_operators[self._starts[site] : self._starts[site + 1]] % max(
            self._operator_names.size, 1
        )
        return [str(self._operator_names[c]) for c in codes]


def _site_operator(operators: Sequence[str], bands: dict[str, float]) -> str:
    """Who adds the 5G cell on a site: its first operator holding 5G here, else its first."""
    ranked = sorted(operators, key=lambda o: OPERATORS.index(o) if o in OPERATORS else len(OPERATORS))
    return next((o for o in ranked if o in bands), ranked[0])


def five_g_gaps(
    pois: gpd.GeoDataFrame,
    poi_facts: pd.DataFrame,
    cells: CellTable,
    *,
    model: CoverageModel,
    categories: list[str],
    costs: Costs,
    metric_crs: str,
) -> gpd.GeoDataFrame:
    """Priority places (plan 5G categories) without 5G: a 5G cell on a site serving them, else a new site."""
    wanted = poi_facts["category"].isin(categories).to_numpy() & ~poi_facts["has_5g"].astype(bool).to_numpy()
    p = pois[wanted]
    if not wanted.any():  # nothing wanted: no need to group the cells by site
        return ranked_frame([], [])
    facts = poi_facts[wanted]
    x_m, y_m = points_xy_m(p, metric_crs)
    lon, lat = lonlat_of(p)
    bands = _five_g_bands(cells)
    sites = OnAirSites.of(cells)
    site_ids, sx, sy, env, height = sites.site_ids, sites.x_m, sites.y_m, sites.environment, sites.height_m
    tree = cKDTree(np.column_stack([sx, sy])) if site_ids.size else None
    rows: list[dict[str, Any]] = []
    for k in range(len(p)):
        detail, distance = "no on-air site", None
        recommendation = "new 5G small cell or site"
        cost = costs.new_site_vnd + costs.add_5g_cell_vnd
        if tree is not None:
            dist, near = tree.query((x_m[k], y_m[k]), k=min(FIVE_G_SITES_TRIED, site_ids.size))
            dist, near = np.atleast_1d(dist), np.atleast_1d(near).astype(np.int64)
            distance = float(dist[0])
            detail = f"nearest on-air site {site_ids[near[0]]} at {dist[0] / 1000:.1f} km"
            ops = [_site_operator(sites.operators(int(j)), bands) for j in near]
            sector = _five_g_sectors(x_m[k], y_m[k], sx[near], sy[near], env[near], height[near], ops, bands)
            pairs = model.candidate_pairs(ReceiverArrays(np.array([x_m[k]]), np.array([y_m[k]])), sector)
            serving = {int(c) for c in pairs.cell[pairs.served]}
            chosen = next((i for i in range(near.size) if i in serving), None)
            if chosen is not None:
                j = int(near[chosen])
                band = float(sector.band_mhz[chosen])
                recommendation = (
                    f"add a 5G cell ({ops[chosen]}, {band:.0f} MHz) on site {site_ids[j]}, "
                    f"sector toward the place {dist[chosen] / 1000:.1f} km away"
                )
                cost = costs.add_5g_cell_vnd
        who = {
            "id": p["poi_id"].iloc[k],
            "name": p["name"].iloc[k],
            **{c: facts[c].iloc[k] if c in facts else None for c in ADMIN_COLUMNS},
            "population": 0,
            "households": 0,
        }
        rows.append(
            gap_row(
                "5g",
                who,
                reason=f"no_5g ({p['category'].iloc[k]})",
                detail=detail,
                recommendation=recommendation,
                candidate=(float(lon[k]), float(lat[k])),
                power_need="existing" if cost == costs.add_5g_cell_vnd else "grid",
                distance_m=distance,
                cost_vnd=cost,
            )
        )
    return ranked_frame(rows, list(p.geometry))


def _five_g_sectors(
    x_m: float,
    y_m: float,
    site_x: np.ndarray,
    site_y: np.ndarray,
    environment: np.ndarray,
    height_m: np.ndarray,
    operators: list[str],
    bands: dict[str, float],
) -> CellArrays:
    """A reference 5G sector on each site, turned toward the point (the operator's band here)."""
    band = np.array([bands.get(op, DEFAULT_5G_BAND_MHZ) for op in operators], dtype=np.float64)
    azimuth = np.degrees(np.arctan2(x_m - site_x, y_m - site_y)) % 360.0
    return CellArrays(
        x_m=np.asarray(site_x, dtype=np.float64),
        y_m=np.asarray(site_y, dtype=np.float64),
        tech=np.full(band.size, "5G", dtype="<U8"),
        band_mhz=band,
        azimuth_deg=np.asarray(azimuth, dtype=np.float64),
        beamwidth_deg=np.full(band.size, REFERENCE_BEAMWIDTH_DEG),
        eirp_dbm=np.array([reference_radio("5G", b).eirp_dbm for b in band], dtype=np.float64),
        tilt_deg=np.array([REFERENCE_TILT_DEG[str(e)] for e in environment], dtype=np.float64),
        height_m=np.asarray(height_m, dtype=np.float64),
        environment=np.asarray(environment, dtype="<U8"),
    )
