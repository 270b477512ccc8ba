"""The mobile gap list: villages without mobile broadband, their causes, power need and
candidate sites (``docs/architecture.md``, gap lists; the rules are in
:mod:`coverage_gis.gaps`'s overview).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from coverage_gis.costs import Costs
from coverage_gis.crs import STORAGE_CRS, metric_to_lonlat
from coverage_gis.gaps._rows import gap_row, ranked_frame, village_fields
from coverage_gis.models.base import CellArrays, CoverageModel, ReceiverArrays, is_broadband
from coverage_gis.models.reference import REFERENCE_TILT_DEG, reference_radio
from coverage_gis.network import CellTable, points_xy_m, site_environment

#: Gap villages closer than this to each other may share one candidate site.
DEFAULT_CLUSTER_RADIUS_M = 2_500.0
#: A proposed mobile site carries a 4G cell on this band: LTE 900, the coverage layer of
#: Vietnamese rural networks (its reference radio is in ``models.reference``).
PROPOSED_4G_BAND_MHZ = 900.0


def _candidate_groups(x_m: np.ndarray, y_m: np.ndarray, weight: np.ndarray, radius_m: float) -> np.ndarray:
    """Greedy grouping: the biggest ungrouped gap village anchors the group of those within ``radius_m``.

    Returns each village's group number (0, 1, … in the order the anchors were taken).
    """
    n = len(x_m)
    group = np.full(n, -1, dtype=np.int64)
    if n == 0:
        return group
    tree = cKDTree(np.column_stack([x_m, y_m]))
    number = 0
    for i in np.argsort(-weight, kind="stable"):
        if group[i] >= 0:
            continue
        members = [j for j in tree.query_ball_point([x_m[i], y_m[i]], radius_m) if group[j] < 0]
        group[members] = number
        number += 1
    return group


def _weighted_centres(
    x_m: np.ndarray, y_m: np.ndarray, weight: np.ndarray, group: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Population-weighted centre of each group (a weight of at least 1 per village)."""
    w = np.maximum(weight, 1.0)
    total = np.bincount(group, weights=w)
    return np.bincount(group, weights=w * x_m) / total, np.bincount(group, weights=w * y_m) / total


def _proposed_cells(
    x_m: np.ndarray,
    y_m: np.ndarray,
    environment: np.ndarray,
    *,
    tech: str,
    band_mhz: float,
    height_m: np.ndarray | None = None,
) -> CellArrays:
    """Omni reference cells of ``tech`` on ``band_mhz`` at the points, on masts of
    ``height_m`` (missing heights: the reference mast of the environment)."""
    from coverage_gis.models.reference import REFERENCE_MAST_M

    n = len(x_m)
    radio = reference_radio(tech, band_mhz)
    reference = np.array([REFERENCE_MAST_M[str(e)] for e in environment], dtype=np.float64)
    heights = reference if height_m is None else np.where(np.isfinite(height_m), height_m, reference)
    return CellArrays(
        x_m=np.asarray(x_m, dtype=np.float64),
        y_m=np.asarray(y_m, dtype=np.float64),
        tech=np.full(n, tech, dtype="<U8"),
        band_mhz=np.full(n, band_mhz),
        azimuth_deg=np.full(n, np.nan),
        beamwidth_deg=np.full(n, 360.0),
        eirp_dbm=np.full(n, radio.eirp_dbm),
        tilt_deg=np.array([REFERENCE_TILT_DEG[str(e)] for e in environment], dtype=np.float64),
        height_m=heights,
        environment=np.asarray(environment, dtype="<U8"),
    )


def _served_by_own_candidate(
    model: CoverageModel, x_m: np.ndarray, y_m: np.ndarray, group: np.ndarray, cells: CellArrays
) -> np.ndarray:
    """Whether each village is served by the proposed cell of its own group (cell ``g`` of group ``g``)."""
    pairs = model.candidate_pairs(ReceiverArrays(x_m, y_m), cells)
    ok = np.zeros(len(x_m), dtype=bool)
    hit = pairs.served & (group[pairs.receiver] == pairs.cell)
    ok[pairs.receiver[hit]] = True
    return ok


def _environment_at(
    x_m: np.ndarray, y_m: np.ndarray, communes: gpd.GeoDataFrame | None, metric_crs: str
) -> np.ndarray:
    lon, lat = metric_to_lonlat(x_m, y_m, metric_crs)
    points = gpd.GeoDataFrame(geometry=gpd.points_from_xy(lon, lat), crs=STORAGE_CRS)
    return site_environment(points, communes).astype(str)


def _power_phrase(power_need: str) -> str:
    if power_need == "solar_hybrid":
        return "with solar/hybrid power (no grid power at the village)"
    return "on grid power"


def _power_cost(power_need: str, costs: Costs) -> float:
    return costs.solar_hybrid_power_vnd if power_need == "solar_hybrid" else costs.grid_connected_power_vnd


@dataclass(frozen=True)
class _Candidate:
    """A proposed site (or a planned one to put on air) and the gap villages it serves."""

    id: str
    lon: float
    lat: float
    members: list[int]
    power_need: str
    cost_vnd: float
    planned_site: str | None = None
    mast: str | None = None


def _planned_candidates(
    rows: np.ndarray,
    x_m: np.ndarray,
    y_m: np.ndarray,
    cells: CellTable,
    sites: pd.DataFrame,
    model: CoverageModel,
    costs: Costs,
    metric_crs: str,
) -> list[_Candidate]:
    """One candidate per planned site that would serve gap villages ``rows`` (the nearest serving one)."""
    planned = cells.subset(is_broadband(cells.arrays.tech) & ~cells.on_air)
    if rows.size == 0 or len(planned) == 0:
        return []
    pairs = model.candidate_pairs(ReceiverArrays(x_m[rows], y_m[rows]), planned.arrays)
    best: dict[int, tuple[float, int]] = {}
    for r, c, d, ok in zip(pairs.receiver, pairs.cell, pairs.distance_m, pairs.served, strict=True):
        if ok and d < best.get(int(r), (np.inf, -1))[0]:
            best[int(r)] = (float(d), int(c))
    tree = cKDTree(np.column_stack([planned.arrays.x_m, planned.arrays.y_m]))
    by_site: dict[str, list[int]] = {}
    where: dict[str, int] = {}
    for k, row in enumerate(rows):
        cell = best[k][1] if k in best else int(tree.query((x_m[row], y_m[row]))[1])
        site = str(planned.site_id[cell])
        by_site.setdefault(site, []).append(int(row))
        where.setdefault(site, cell)
    grid = sites.drop_duplicates("site_id").set_index("site_id")["has_grid_power"] if len(sites) else None
    out = []
    for site, members in by_site.items():
        value = True if grid is None else grid.get(site, True)
        powered = True if pd.isna(value) else bool(value)
        power = "existing" if powered else "solar_hybrid"
        cell = where[site]
        lon, lat = metric_to_lonlat(
            np.array([planned.arrays.x_m[cell]]), np.array([planned.arrays.y_m[cell]]), metric_crs
        )
        cost = costs.activate_planned_site_vnd + (0.0 if powered else costs.solar_hybrid_power_vnd)
        out.append(_Candidate(site, float(lon[0]), float(lat[0]), members, power, cost, planned_site=site))
    return out


def _mast_candidates(
    rows: np.ndarray,
    x_m: np.ndarray,
    y_m: np.ndarray,
    weight: np.ndarray,
    *,
    sites: pd.DataFrame,
    model: CoverageModel,
    communes: gpd.GeoDataFrame | None,
    costs: Costs,
    metric_crs: str,
) -> list[_Candidate]:
    """Candidates on on-air masts (any operator, any technology: a 2G mast to upgrade, a
    mast to share): a 4G cell at the mast's height serving gap villages ``rows`` under the
    model. Greedy: the mast serving the most people among the villages not yet taken, until
    no mast serves one; each costs a co-location (its mast, power and transmission exist)."""
    if rows.size == 0 or not len(sites) or not isinstance(sites, gpd.GeoDataFrame):
        return []
    masts = sites[(sites["status"] == "on_air").to_numpy()].drop_duplicates("site_id")
    if not len(masts):
        return []
    sx, sy = points_xy_m(masts, metric_crs)
    heights = pd.to_numeric(masts["height_m"], errors="coerce").to_numpy(dtype=np.float64)
    cells = _proposed_cells(
        sx,
        sy,
        site_environment(masts, communes).astype(str),
        tech="4G",
        band_mhz=PROPOSED_4G_BAND_MHZ,
        height_m=heights,
    )
    pairs = model.candidate_pairs(ReceiverArrays(x_m[rows], y_m[rows]), cells)
    served = pairs.served
    receiver, mast = pairs.receiver[served], pairs.cell[served]
    if not receiver.size:
        return []
    people = np.maximum(weight[rows], 1.0)
    open_ = np.ones(rows.size, dtype=bool)
    lon, lat = metric_to_lonlat(sx, sy, metric_crs)
    ids = masts["site_id"].to_numpy(dtype=object)
    out: list[_Candidate] = []
    while True:
        live = open_[receiver]
        if not live.any():
            return out
        score = np.bincount(mast[live], weights=people[receiver[live]], minlength=len(masts))
        best = int(np.argmax(score))
        members = np.unique(receiver[live & (mast == best)])
        open_[members] = False
        site = str(ids[best])
        out.append(
            _Candidate(
                site,
                float(lon[best]),
                float(lat[best]),
                [int(rows[k]) for k in members],
                "existing",
                costs.colocation_vnd,
                mast=site,
            )
        )


def _new_site_candidates(
    rows: np.ndarray,
    x_m: np.ndarray,
    y_m: np.ndarray,
    weight: np.ndarray,
    powered: np.ndarray,
    *,
    model: CoverageModel,
    communes: gpd.GeoDataFrame | None,
    costs: Costs,
    metric_crs: str,
    cluster_radius_m: float,
) -> list[_Candidate]:
    """Candidates for new sites: greedy groups, each kept to the villages its site serves."""
    if rows.size == 0:
        return []
    gx, gy, gw = x_m[rows], y_m[rows], weight[rows]
    group = _candidate_groups(gx, gy, gw, cluster_radius_m)
    cx, cy = _weighted_centres(gx, gy, gw, group)
    cells = _proposed_cells(
        cx, cy, _environment_at(cx, cy, communes, metric_crs), tech="4G", band_mhz=PROPOSED_4G_BAND_MHZ
    )
    alone = ~_served_by_own_candidate(model, gx, gy, group, cells)
    # A village its group's site would not serve gets a site of its own, at the village.
    extra = np.flatnonzero(alone)
    group[extra] = group.max(initial=-1) + 1 + np.arange(extra.size)
    cx = np.append(cx, gx[extra])
    cy = np.append(cy, gy[extra])
    lon, lat = metric_to_lonlat(cx, cy, metric_crs)
    out = []
    for g in range(cx.size):
        members = [int(rows[k]) for k in np.flatnonzero(group == g)]
        if not members:
            continue
        power = "grid" if powered[members].all() else "solar_hybrid"
        cost = costs.new_site_vnd + _power_cost(power, costs)
        out.append(_Candidate("", float(lon[g]), float(lat[g]), members, power, cost))
    return out


def mobile_gaps(
    villages: gpd.GeoDataFrame,
    coverage: pd.DataFrame,
    admin: pd.DataFrame,
    cells: CellTable,
    *,
    model: CoverageModel,
    costs: Costs,
    metric_crs: str,
    sites: pd.DataFrame | None = None,
    communes: gpd.GeoDataFrame | None = None,
    cluster_radius_m: float = DEFAULT_CLUSTER_RADIUS_M,
) -> gpd.GeoDataFrame:
    """Villages without mobile broadband, each with its candidate site, power need and cost.

    Parameters
    ----------
    villages, coverage, admin
        The villages, their coverage rows and admin fields, aligned.
    cells
        All cells (planned ones too).
    model
        The workspace's coverage model: it decides which villages a candidate serves.
    sites
        The sites layer (a planned site's grid power).
    communes
        Communes with their clutter class (a candidate's reference mast).
    """
    gap = ~coverage["mobile_bb"].to_numpy(dtype=bool)
    v = villages[gap]
    cov = coverage[gap]
    adm = admin[gap]
    x_m, y_m = points_xy_m(v, metric_crs)
    reason = cov["mobile_gap_reason"].to_numpy(dtype=object)
    reasons = (
        cov["mobile_gap_reasons"].to_numpy(dtype=object) if "mobile_gap_reasons" in cov else reason.copy()
    )
    powered = v["has_grid_power"].fillna(True).to_numpy(dtype=bool)
    weight = v["population"].fillna(0).to_numpy(dtype=float)
    planned_rows = np.flatnonzero(reason == "planned_site_not_on_air")
    candidates = _planned_candidates(
        planned_rows,
        x_m,
        y_m,
        cells,
        sites if sites is not None else pd.DataFrame(),
        model,
        costs,
        metric_crs,
    )
    taken = {m for c in candidates for m in c.members}
    candidates += _mast_candidates(
        np.array([k for k in range(len(v)) if k not in taken], dtype=np.int64),
        x_m,
        y_m,
        weight,
        sites=sites if sites is not None else pd.DataFrame(),
        model=model,
        communes=communes,
        costs=costs,
        metric_crs=metric_crs,
    )
    taken = {m for c in candidates for m in c.members}
    new_rows = np.array([k for k in range(len(v)) if k not in taken], dtype=np.int64)
    new = _new_site_candidates(
        new_rows,
        x_m,
        y_m,
        weight,
        powered,
        model=model,
        communes=communes,
        costs=costs,
        metric_crs=metric_crs,
        cluster_radius_m=cluster_radius_m,
    )
    # Number the new candidates in the order of their most populous village.
    new.sort(key=lambda c: (-weight[c.members].max(), min(str(v["village_id"].iloc[m]) for m in c.members)))
    candidates += [
        _Candidate(f"M{i + 1}", c.lon, c.lat, c.members, c.power_need, c.cost_vnd) for i, c in enumerate(new)
    ]

    bb = is_broadband(cells.arrays.tech) & cells.on_air
    live_tree = cKDTree(np.column_stack([cells.arrays.x_m[bb], cells.arrays.y_m[bb]])) if bb.any() else None
    live_sites = cells.site_id[bb]
    rows: list[dict[str, Any]] = []
    order: list[int] = []
    for cand in candidates:
        for k in cand.members:
            nearest_m, nearest_site = np.inf, None
            if live_tree is not None:
                d, j = live_tree.query((x_m[k], y_m[k]))
                nearest_m, nearest_site = float(d), str(live_sites[j])
            detail = (
                f"nearest on-air broadband site {nearest_site} at {nearest_m / 1000:.1f} km"
                if nearest_site
                else "no on-air broadband site"
            )
            rows.append(
                gap_row(
                    "mobile",
                    village_fields(v, adm, k),
                    reason=str(reason[k]),
                    reasons=None if reasons[k] is None or pd.isna(reasons[k]) else str(reasons[k]),
                    detail=detail,
                    recommendation=_mobile_recommendation(cand, str(reasons[k] or reason[k])),
                    candidate=(cand.lon, cand.lat),
                    candidate_id=cand.id,
                    candidate_villages=len(cand.members),
                    power_need=cand.power_need,
                    distance_m=nearest_m if np.isfinite(nearest_m) else None,
                    cost_vnd=cand.cost_vnd,
                )
            )
            order.append(k)
    return ranked_frame(rows, [v.geometry.iloc[k] for k in order])


def _mobile_recommendation(cand: _Candidate, reasons: str) -> str:
    """The action for one gap village, from its causes and its candidate's power need."""
    shared = f"; one site for {len(cand.members)} gap villages ({cand.id})" if len(cand.members) > 1 else ""
    if cand.planned_site is not None:
        power = "" if cand.power_need == "existing" else f" {_power_phrase(cand.power_need)}"
        return f"put planned site {cand.planned_site} on air{power}{shared}"
    if cand.mast is not None:
        return f"add a 4G cell on on-air site {cand.mast} (share or upgrade its mast){shared}"
    if "terrain_shadow" in reasons.split(","):
        action = "new 4G site (or repeater) with line of sight to the village"
    else:
        action = "new 4G site at the candidate point"
    return f"{action} {_power_phrase(cand.power_need)}{shared}"
