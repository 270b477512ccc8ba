"""Gap lists: uncovered villages (mobile, FTTH) and priority places without 5G.

Owns the ranking (population affected first), the recommendation for each gap —
a new site with a candidate point and its power need, activating a planned site,
or a fiber extension with straight-line and road-network length — and the cost
estimate from ``layers/costs.yaml``.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree

from coverage_gis.costs import Costs
from coverage_gis.crs import STORAGE_CRS, metric_to_lonlat
from coverage_gis.models.base import is_broadband
from coverage_gis.network import CellTable, points_xy_m
from coverage_gis.routing import RoadGraph, distances_from_network_m

GAP_KINDS: tuple[str, ...] = ("mobile", "ftth", "5g")
#: Gap villages closer than this to each other share one candidate site.
DEFAULT_CLUSTER_RADIUS_M = 2_500.0

GAP_COLUMNS: tuple[str, ...] = (
    "rank",
    "kind",
    "id",
    "name",
    "commune_name",
    "district_name",
    "province_name",
    "commune_code",
    "district_code",
    "province_code",
    "population",
    "households",
    "reason",
    "detail",
    "recommendation",
    "site_id",
    "candidate_lon",
    "candidate_lat",
    "power_need",
    "distance_m",
    "road_length_m",
    "cost_vnd",
)

#: The columns of a gap list a person reads first (the CLI's table, the gap map's tables).
GAP_SUMMARY_COLUMNS: tuple[str, ...] = (
    "rank",
    "name",
    "commune_name",
    "district_name",
    "population",
    "reason",
    "recommendation",
    "cost_vnd",
)
#: A priority place this close to an on-air site gets a 5G cell on that site, not a new one.
FIVE_G_CELL_ON_SITE_M = 1_000.0

_ADMIN = ["commune_name", "district_name", "province_name", "commune_code", "district_code", "province_code"]


def _frame(rows: list[dict[str, Any]], geometry: list[Any]) -> gpd.GeoDataFrame:
    frame = pd.DataFrame(rows, columns=[c for c in GAP_COLUMNS if c != "rank"])
    gdf = gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geometry, crs=STORAGE_CRS), crs=STORAGE_CRS)
    if len(gdf):
        gdf = gdf.sort_values(
            ["population", "households", "id"], ascending=[False, False, True], kind="stable"
        )
    gdf.insert(0, "rank", np.arange(1, len(gdf) + 1))
    return gdf.reset_index(drop=True)


def _lonlat(points: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
    return np.asarray(points.geometry.x, dtype=np.float64), np.asarray(points.geometry.y, dtype=np.float64)


def _gap_row(
    kind: str,
    who: dict[str, Any],
    *,
    reason: str,
    detail: str,
    recommendation: str,
    candidate: tuple[float, float],
    cost_vnd: float | None,
    power_need: str | None = None,
    distance_m: float | None = None,
    road_length_m: float | None = None,
    site_id: str | None = None,
) -> dict[str, Any]:
    """One row of a gap list (:data:`GAP_COLUMNS` but ``rank``); ``who`` names the place and
    ``site_id`` the site the detail or recommendation names (so each language can say it)."""
    return {
        "kind": kind,
        **who,
        "reason": reason,
        "detail": detail,
        "recommendation": recommendation,
        "site_id": site_id,
        "candidate_lon": candidate[0],
        "candidate_lat": candidate[1],
        "power_need": power_need,
        "distance_m": distance_m,
        "road_length_m": road_length_m,
        "cost_vnd": cost_vnd,
    }


def _village_fields(villages: pd.DataFrame, admin: pd.DataFrame, k: int) -> dict[str, Any]:
    """Identity, admin names/codes and people of the k-th gap village."""
    return {
        "id": villages["village_id"].iloc[k],
        "name": villages["name"].iloc[k],
        **{c: admin[c].iloc[k] for c in _ADMIN},
        "population": int(villages["population"].fillna(0).iloc[k]),
        "households": int(villages["households"].fillna(0).iloc[k]),
    }


def _candidate_points(x_m: np.ndarray, y_m: np.ndarray, weight: np.ndarray, radius_m: float) -> np.ndarray:
    """Greedy grouping: the biggest gap village anchors a site at its group's weighted centre."""
    n = len(x_m)
    centre = np.zeros((n, 2))
    if n == 0:
        return centre
    tree = cKDTree(np.column_stack([x_m, y_m]))
    assigned = np.zeros(n, dtype=bool)
    for i in np.argsort(-weight, kind="stable"):
        if assigned[i]:
            continue
        group = [j for j in tree.query_ball_point([x_m[i], y_m[i]], radius_m) if not assigned[j]]
        w = np.maximum(weight[group], 1.0)
        centre[group] = [np.average(x_m[group], weights=w), np.average(y_m[group], weights=w)]
        assigned[group] = True
    return centre


def mobile_gaps(
    villages: gpd.GeoDataFrame,
    coverage: pd.DataFrame,
    admin: pd.DataFrame,
    cells: CellTable,
    *,
    costs: Costs,
    metric_crs: str,
    cluster_radius_m: float = DEFAULT_CLUSTER_RADIUS_M,
) -> gpd.GeoDataFrame:
    """Villages without mobile broadband, with a site recommendation each."""
    gap = ~coverage["mobile_bb"].to_numpy(dtype=bool)
    v = villages[gap]
    cov = coverage[gap]
    adm = admin[gap]
    x_m, y_m = points_xy_m(v, metric_crs)
    centres = _candidate_points(x_m, y_m, v["population"].fillna(0).to_numpy(dtype=float), cluster_radius_m)
    cand_lon, cand_lat = metric_to_lonlat(centres[:, 0], centres[:, 1], metric_crs)

    bb = is_broadband(cells.arrays.tech)
    live_xy = np.column_stack([cells.arrays.x_m[bb & cells.on_air], cells.arrays.y_m[bb & cells.on_air]])
    live_sites = cells.site_id[bb & cells.on_air]
    planned_xy = np.column_stack([cells.arrays.x_m[bb & ~cells.on_air], cells.arrays.y_m[bb & ~cells.on_air]])
    planned_sites = cells.site_id[bb & ~cells.on_air]
    live_tree = cKDTree(live_xy) if len(live_xy) else None
    planned_tree = cKDTree(planned_xy) if len(planned_xy) else None

    rows: list[dict[str, Any]] = []
    for k in range(len(v)):
        reason = cov["mobile_gap_reason"].iloc[k]
        point = (x_m[k], y_m[k])
        nearest_m, nearest_site = (np.inf, None)
        if live_tree is not None:
            d, j = live_tree.query(point)
            nearest_m, nearest_site = float(d), str(live_sites[j])
        detail = (
            f"nearest on-air broadband site {nearest_site} at {nearest_m / 1000:.1f} km"
            if nearest_site
            else "no on-air broadband site"
        )
        power = "grid"
        named_site = nearest_site
        if reason == "planned_site_not_on_air" and planned_tree is not None:
            _, j = planned_tree.query(point)
            named_site = str(planned_sites[j])
            recommendation = f"put planned site {named_site} on air"
            cost = costs.activate_planned_site_vnd
            lon, lat = metric_to_lonlat(
                np.array([planned_xy[j, 0]]), np.array([planned_xy[j, 1]]), metric_crs
            )
            candidate = (float(lon[0]), float(lat[0]))
            power = "existing"
        else:
            candidate = (float(cand_lon[k]), float(cand_lat[k]))
            if reason == "no_grid_power":
                power = "solar_hybrid"
                recommendation = "new 4G site with solar/hybrid power (no grid power at the village)"
                cost = costs.new_site_vnd + costs.solar_hybrid_power_vnd
            elif reason == "terrain_shadow":
                recommendation = "new 4G site (or repeater) with line of sight to the village"
                cost = costs.new_site_vnd + costs.grid_connected_power_vnd
            else:
                recommendation = "new 4G site at the candidate point"
                cost = costs.new_site_vnd + costs.grid_connected_power_vnd
        rows.append(
            _gap_row(
                "mobile",
                _village_fields(v, adm, k),
                reason=reason,
                detail=detail,
                recommendation=recommendation,
                candidate=candidate,
                power_need=power,
                distance_m=nearest_m if np.isfinite(nearest_m) else None,
                cost_vnd=cost,
                site_id=named_site,
            )
        )
    return _frame(rows, list(v.geometry))


def on_air_fiber_m(
    fiber_routes: gpd.GeoDataFrame | None, fiber_nodes: gpd.GeoDataFrame | None, *, metric_crs: str
) -> np.ndarray:
    """Geometries (metric CRS) of the on-air fiber routes and nodes a fiber extension may start from."""
    live = [
        f[f["status"] == "on_air"].geometry for f in (fiber_routes, fiber_nodes) if f is not None and len(f)
    ]
    fiber = pd.concat(live, ignore_index=True) if live else gpd.GeoSeries([], crs=STORAGE_CRS)
    return np.asarray(gpd.GeoSeries(fiber, crs=STORAGE_CRS).to_crs(metric_crs).to_numpy(), dtype=object)


def ftth_gaps(
    villages: gpd.GeoDataFrame,
    coverage: pd.DataFrame,
    admin: pd.DataFrame,
    fiber_routes: gpd.GeoDataFrame | None,
    fiber_nodes: gpd.GeoDataFrame | None,
    *,
    costs: Costs,
    metric_crs: str,
    roads: RoadGraph | None = None,
) -> gpd.GeoDataFrame:
    """Villages without FTTH, each with a fiber extension from the nearest on-air fiber."""
    gap = ~coverage["ftth"].to_numpy(dtype=bool)
    v = villages[gap]
    cov = coverage[gap]
    adm = admin[gap]
    fiber_m = on_air_fiber_m(fiber_routes, fiber_nodes, metric_crs=metric_crs)
    points_m = v.geometry.to_crs(metric_crs).to_numpy()
    tree = shapely.STRtree(fiber_m) if len(fiber_m) else None
    by_road = distances_from_network_m(roads, fiber_m) if roads is not None and len(v) else None
    lon, lat = _lonlat(v)

    rows: list[dict[str, Any]] = []
    for k in range(len(v)):
        reason = cov["ftth_gap_reason"].iloc[k]
        straight = road = cost = None
        recommendation = "no fiber of any operator nearby: plan a new distribution route"
        if tree is not None:
            j = int(tree.nearest(points_m[k]))
            straight = float(shapely.distance(points_m[k], fiber_m[j]))
            if by_road is not None:
                road = by_road.from_point_m((points_m[k].x, points_m[k].y))
                road = road if np.isfinite(road) else None
            length = road if road is not None else straight * costs.straight_line_detour_factor
            cost = length / 1000.0 * costs.fiber_per_km_vnd + costs.splitter_node_vnd
            via = "along roads" if road is not None else "estimated (straight line × detour factor)"
            recommendation = f"extend access fiber {length / 1000:.1f} km {via} and install a splitter"
        distance = cov["fiber_distance_m"].iloc[k]
        rows.append(
            _gap_row(
                "ftth",
                _village_fields(v, adm, k),
                reason=reason,
                detail=(
                    f"nearest on-air access fiber at {distance / 1000:.1f} km"
                    if pd.notna(distance)
                    else "no on-air access fiber"
                ),
                recommendation=recommendation,
                candidate=(float(lon[k]), float(lat[k])),
                distance_m=straight,
                road_length_m=road,
                cost_vnd=cost,
            )
        )
    return _frame(rows, list(v.geometry))


def five_g_gaps(
    pois: gpd.GeoDataFrame,
    poi_facts: pd.DataFrame,
    cells: CellTable,
    *,
    categories: list[str],
    costs: Costs,
    metric_crs: str,
) -> gpd.GeoDataFrame:
    """Priority places (plan 5G categories) with no 5G; recommends a 5G cell on the nearest site."""
    wanted = poi_facts["category"].isin(categories).to_numpy() & ~poi_facts["has_5g"].astype(bool).to_numpy()
    p = pois[wanted]
    facts = poi_facts[wanted]
    x_m, y_m = points_xy_m(p, metric_crs)
    lon, lat = _lonlat(p)
    live = cells.on_air
    tree = cKDTree(np.column_stack([cells.arrays.x_m[live], cells.arrays.y_m[live]])) if live.any() else None
    rows: list[dict[str, Any]] = []
    for k in range(len(p)):
        detail, distance, site = "no on-air site", None, None
        recommendation = "new 5G site"
        cost = costs.new_site_vnd + costs.add_5g_cell_vnd
        if tree is not None:
            d, j = tree.query((x_m[k], y_m[k]))
            site = str(cells.site_id[live][j])
            distance = float(d)
            detail = f"nearest on-air site {site} at {d / 1000:.1f} km"
            on_site = d <= FIVE_G_CELL_ON_SITE_M
            recommendation = f"add a 5G cell on site {site}" if on_site else "new 5G small cell or site"
            cost = costs.add_5g_cell_vnd if on_site else costs.new_site_vnd + costs.add_5g_cell_vnd
        who = {
            "id": p["poi_id"].iloc[k],
            "name": p["name"].iloc[k],
            **{c: facts[c].iloc[k] if c in facts else None for c in _ADMIN},
            "population": 0,
            "households": 0,
        }
        rows.append(
            _gap_row(
                "5g",
                who,
                reason=f"no_5g ({p['category'].iloc[k]})",
                detail=detail,
                recommendation=recommendation,
                candidate=(float(lon[k]), float(lat[k])),
                distance_m=distance,
                cost_vnd=cost,
                site_id=site,
            )
        )
    return _frame(rows, list(p.geometry))
