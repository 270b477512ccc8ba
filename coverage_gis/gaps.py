"""Gap lists: uncovered villages (mobile, FTTH) and priority places without 5G.

Owns the ranking (population affected first), the recommendation for each gap and its
cost estimate from ``layers/costs.yaml``:

* **mobile** — the causes and the power need are separate fields (``reason``, the main
  cause; ``reasons``, every cause; ``power_need``) and both shape the recommendation
  and the cost. Gap villages that a planned site would serve point at that site; the
  others are grouped greedily (the most populous gap village anchors a group of those
  within ``cluster_radius_m``, with a candidate site at the group's population-weighted
  centre), and each group keeps only the villages the candidate serves *under the
  workspace's own coverage model* (a rural 4G reference cell, :data:`PROPOSED_4G_BAND_MHZ`),
  the rest getting candidates of their own. One candidate site is costed once: on the
  highest-ranked village it serves (``cost_vnd``; ``candidate_cost_vnd`` repeats the
  candidate's cost on every row, ``candidate_id`` and ``candidate_villages`` name it).
* **FTTH** — the extension taps a named asset (``tap_*``): an on-air fiber node of any
  kind, or an on-air access or distribution route anywhere along it; a backbone cable
  only where a node stands on it (a splice point). It is the asset nearest along roads
  when ``roads.osm`` exists, else the nearest in a straight line; ``distance_m`` is the
  straight line to it and ``road_length_m`` the length along roads. The OLT of the
  tapped operator nearest the village (``olt_*``) must lie within the PON reach
  (:data:`PON_REACH_M`) of it, else the recommendation adds an OLT.
* **5G** — "add a 5G cell on site X" only when a 5G sector on X turned toward the
  place (the operator's band in this workspace, its reference EIRP) serves it under the
  workspace's own model; otherwise a new 5G small cell or site.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree

from coverage_gis.costs import Costs
from coverage_gis.crs import STORAGE_CRS, metric_to_lonlat
from coverage_gis.models.base import CellArrays, CoverageModel, ReceiverArrays, is_broadband
from coverage_gis.models.reference import REFERENCE_BEAMWIDTH_DEG, REFERENCE_TILT_DEG, reference_radio
from coverage_gis.network import CellTable, points_xy_m, site_environment
from coverage_gis.routing import RoadGraph, distances_from_network_m
from coverage_gis.vocabulary import OPERATORS

GAP_KINDS: tuple[str, ...] = ("mobile", "ftth", "5g")
#: Gap villages closer than this to each other may share one candidate site.
DEFAULT_CLUSTER_RADIUS_M = 2_500.0
#: A proposed mobile site carries a 4G cell on this band: LTE 900, the coverage layer of
#: Vietnamese rural networks (its reference radio is in ``models.reference``).
PROPOSED_4G_BAND_MHZ = 900.0
#: GPON logical reach (ITU-T G.984.1: 20 km between OLT and ONU for class B+ optics).
PON_REACH_M = 20_000.0
#: A 5G sector is tried on this many nearest on-air sites of a place.
FIVE_G_SITES_TRIED = 5
#: 5G band assumed for an operator with no 5G cell in the workspace (n78), MHz.
DEFAULT_5G_BAND_MHZ = 3500.0

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
    "reasons",
    "detail",
    "recommendation",
    "candidate_id",
    "candidate_villages",
    "candidate_lon",
    "candidate_lat",
    "power_need",
    "distance_m",
    "road_length_m",
    "tap_id",
    "tap_operator",
    "tap_class",
    "tap_node_kind",
    "olt_id",
    "olt_distance_m",
    "within_pon_reach",
    "cost_vnd",
    "candidate_cost_vnd",
)

#: The columns of a gap list a person reads first (the CLI's table, the gap map's tables).
GAP_SUMMARY_COLUMNS: tuple[str, ...] = (
    "rank",
    "id",
    "name",
    "commune_name",
    "district_name",
    "population",
    "reasons",
    "power_need",
    "recommendation",
    "cost_vnd",
)

_ADMIN = ["commune_name", "district_name", "province_name", "commune_code", "district_code", "province_code"]


def _frame(rows: list[dict[str, Any]], geometry: list[Any]) -> gpd.GeoDataFrame:
    """Rows ranked by people affected; a candidate's cost lands on its highest-ranked row."""
    frame = pd.DataFrame(rows, columns=[c for c in GAP_COLUMNS if c != "rank"])
    gdf = gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geometry, crs=STORAGE_CRS), crs=STORAGE_CRS)
    if len(gdf):
        gdf = gdf.sort_values(
            ["population", "households", "id"], ascending=[False, False, True], kind="stable"
        )
        shared = gdf["candidate_id"].notna()
        later = shared & gdf["candidate_id"].duplicated(keep="first")
        gdf["cost_vnd"] = gdf["candidate_cost_vnd"].where(~later, 0.0)
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
    reasons: str | None = None,
    candidate_id: str | None = None,
    candidate_villages: int | None = None,
    power_need: str | None = None,
    distance_m: float | None = None,
    road_length_m: float | None = None,
    tap: Tap | None = None,
    olt: OltReach | None = None,
) -> dict[str, Any]:
    """One row of a gap list (:data:`GAP_COLUMNS` but ``rank``); ``who`` names the place.

    ``cost_vnd`` is the cost of the row's candidate; :func:`_frame` keeps it on the
    candidate's highest-ranked row only.
    """
    return {
        "kind": kind,
        **who,
        "reason": reason,
        "reasons": reasons or reason,
        "detail": detail,
        "recommendation": recommendation,
        "candidate_id": candidate_id,
        "candidate_villages": candidate_villages,
        "candidate_lon": candidate[0],
        "candidate_lat": candidate[1],
        "power_need": power_need,
        "distance_m": distance_m,
        "road_length_m": road_length_m,
        "tap_id": None if tap is None else tap.id,
        "tap_operator": None if tap is None else tap.operator,
        "tap_class": None if tap is None else tap.klass,
        "tap_node_kind": None if tap is None else tap.node_kind,
        "olt_id": None if olt is None else olt.id,
        "olt_distance_m": None if olt is None else olt.distance_m,
        "within_pon_reach": None if olt is None else olt.within_reach,
        "cost_vnd": cost_vnd,
        "candidate_cost_vnd": cost_vnd,
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


# --------------------------------------------------------------------------- mobile


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
    x_m: np.ndarray, y_m: np.ndarray, environment: np.ndarray, *, tech: str, band_mhz: float
) -> CellArrays:
    """Omni reference cells of ``tech`` on ``band_mhz`` at the points, on reference masts."""
    from coverage_gis.models.reference import REFERENCE_MAST_M

    n = len(x_m)
    radio = reference_radio(tech, band_mhz)
    return CellArrays(
        x_m=np.asarray(x_m, dtype=np.float64),
        y_m=np.asarray(y_m, dtype=np.float64),
        tech=np.full(n, tech, dtype="<U8"),
        band_mhz=np.full(n, band_mhz),
        azimuth_deg=np.full(n, np.nan),
        beamwidth_deg=np.full(n, 360.0),
        eirp_dbm=np.full(n, radio.eirp_dbm),
        tilt_deg=np.array([REFERENCE_TILT_DEG[str(e)] for e in environment], dtype=np.float64),
        height_m=np.array([REFERENCE_MAST_M[str(e)] for e in environment], dtype=np.float64),
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
                _gap_row(
                    "mobile",
                    _village_fields(v, adm, k),
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
    return _frame(rows, [v.geometry.iloc[k] for k in order])


def _mobile_recommendation(cand: _Candidate, reasons: str) -> str:
    """The action for one gap village, from its causes and its candidate's power need."""
    shared = f"; one site for {len(cand.members)} gap villages ({cand.id})" if len(cand.members) > 1 else ""
    if cand.planned_site is not None:
        power = "" if cand.power_need == "existing" else f" {_power_phrase(cand.power_need)}"
        return f"put planned site {cand.planned_site} on air{power}{shared}"
    if "terrain_shadow" in reasons.split(","):
        action = "new 4G site (or repeater) with line of sight to the village"
    else:
        action = "new 4G site at the candidate point"
    return f"{action} {_power_phrase(cand.power_need)}{shared}"


# --------------------------------------------------------------------------- FTTH


@dataclass(frozen=True)
class Tap:
    """The fiber asset an extension starts from."""

    id: str
    operator: str
    #: ``access`` or ``distribution`` for a route, ``node`` for a fiber node.
    klass: str
    #: ``pop``, ``olt`` or ``splitter`` for a node, None for a route.
    node_kind: str | None

    def describe(self) -> str:
        what = f"{self.node_kind} node" if self.node_kind else f"{self.klass} route"
        return f"{self.operator} {what} {self.id}"


@dataclass(frozen=True)
class OltReach:
    """The OLT a village's PON would hang off and whether the village is within its reach."""

    id: str | None
    distance_m: float | None
    within_reach: bool | None


def fiber_taps(
    fiber_routes: gpd.GeoDataFrame | None, fiber_nodes: gpd.GeoDataFrame | None, metric_crs: str
) -> tuple[list[Tap], np.ndarray]:
    """On-air assets an extension may tap, and their metric geometries.

    Nodes of any kind; access and distribution routes anywhere along them. A backbone
    cable is tapped only at a node (a splice point), so backbone routes themselves are
    left out.
    """
    taps: list[Tap] = []
    geoms: list[Any] = []
    if fiber_nodes is not None and len(fiber_nodes):
        nodes = fiber_nodes[(fiber_nodes["status"] == "on_air").to_numpy()]
        for rec, geom in zip(nodes.to_dict(orient="records"), nodes.geometry.to_crs(metric_crs), strict=True):
            taps.append(Tap(str(rec["node_id"]), str(rec["operator"]), "node", str(rec["kind"])))
            geoms.append(geom)
    if fiber_routes is not None and len(fiber_routes):
        ok = (fiber_routes["status"] == "on_air") & fiber_routes["class"].isin(["access", "distribution"])
        routes = fiber_routes[ok.to_numpy()]
        for rec, geom in zip(
            routes.to_dict(orient="records"), routes.geometry.to_crs(metric_crs), strict=True
        ):
            taps.append(Tap(str(rec["route_id"]), str(rec["operator"]), str(rec["class"]), None))
            geoms.append(geom)
    return taps, np.asarray(geoms, dtype=object)


class _OltFinder:
    """The nearest on-air OLT of an operator to a point: along roads when there are roads."""

    def __init__(
        self,
        fiber_nodes: gpd.GeoDataFrame | None,
        *,
        metric_crs: str,
        roads: RoadGraph | None,
        detour_factor: float,
    ) -> None:
        self.roads = roads
        self.detour_factor = detour_factor
        self.by_operator: dict[str, tuple[list[str], np.ndarray]] = {}
        if fiber_nodes is not None and len(fiber_nodes):
            olts = fiber_nodes[
                ((fiber_nodes["status"] == "on_air") & (fiber_nodes["kind"] == "olt")).to_numpy()
            ]
            metric = olts.geometry.to_crs(metric_crs).to_numpy()
            for op in sorted(set(olts["operator"])):
                mine = (olts["operator"] == op).to_numpy()
                self.by_operator[str(op)] = (list(olts["node_id"].astype(str)[mine]), metric[mine])
        self._roads_by_operator: dict[str, Any] = {}

    def reach(self, operator: str, point: shapely.Point) -> OltReach:
        if operator not in self.by_operator:
            return OltReach(None, None, False)
        ids, geoms = self.by_operator[operator]
        if self.roads is not None:
            if operator not in self._roads_by_operator:
                self._roads_by_operator[operator] = distances_from_network_m(self.roads, geoms)
            by_road = self._roads_by_operator[operator]
            along = by_road.from_point_m((point.x, point.y))
            index = by_road.feature_of_point((point.x, point.y))
            if np.isfinite(along) and index >= 0:
                return OltReach(ids[index], along, along <= PON_REACH_M)
        straight = np.asarray(shapely.distance(point, geoms), dtype=np.float64)
        j = int(np.argmin(straight))
        estimate = float(straight[j]) * self.detour_factor
        return OltReach(ids[j], estimate, estimate <= PON_REACH_M)


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
    """Villages without FTTH, each with the asset its extension taps, the lengths and the OLT's reach."""
    gap = ~coverage["ftth"].to_numpy(dtype=bool)
    v = villages[gap]
    cov = coverage[gap]
    adm = admin[gap]
    taps, tap_geoms = fiber_taps(fiber_routes, fiber_nodes, metric_crs)
    points_m = v.geometry.to_crs(metric_crs).to_numpy()
    tree = shapely.STRtree(tap_geoms) if len(tap_geoms) else None
    by_road = (
        distances_from_network_m(roads, tap_geoms) if roads is not None and len(v) and len(taps) else None
    )
    olts = _OltFinder(
        fiber_nodes, metric_crs=metric_crs, roads=roads, detour_factor=costs.straight_line_detour_factor
    )
    lon, lat = _lonlat(v)

    rows: list[dict[str, Any]] = []
    for k in range(len(v)):
        reason = str(cov["ftth_gap_reason"].iloc[k])
        point = points_m[k]
        if tree is None:
            rows.append(
                _gap_row(
                    "ftth",
                    _village_fields(v, adm, k),
                    reason=reason,
                    detail="no on-air fiber of any operator to tap",
                    recommendation="no fiber of any operator nearby: plan a new distribution route",
                    candidate=(float(lon[k]), float(lat[k])),
                    cost_vnd=None,
                )
            )
            continue
        road = None
        j = int(tree.nearest(point))
        if by_road is not None:
            along = by_road.from_point_m((point.x, point.y))
            index = by_road.feature_of_point((point.x, point.y))
            if np.isfinite(along) and index >= 0:
                road, j = along, index
        tap = taps[j]
        straight = float(shapely.distance(point, tap_geoms[j]))
        length = road if road is not None else straight * costs.straight_line_detour_factor
        via = "along roads" if road is not None else "estimated (straight line × detour factor)"
        olt = olts.reach(tap.operator, point)
        cost = length / 1000.0 * costs.fiber_per_km_vnd + costs.splitter_node_vnd
        recommendation = (
            f"extend {tap.operator} fiber {length / 1000:.1f} km {via} from {tap.id} and install a splitter"
        )
        if olt.id is None:
            recommendation += f"; add an OLT ({tap.operator} has none on air)"
            cost += costs.olt_node_vnd
        elif not olt.within_reach:
            reach_km = PON_REACH_M / 1000
            recommendation += (
                f"; add an OLT nearer the village (beyond the {reach_km:.0f} km PON reach of {olt.id})"
            )
            cost += costs.olt_node_vnd
        rows.append(
            _gap_row(
                "ftth",
                _village_fields(v, adm, k),
                reason=reason,
                detail=_ftth_detail(tap, straight, road, olt, roads is not None),
                recommendation=recommendation,
                candidate=(float(lon[k]), float(lat[k])),
                distance_m=straight,
                road_length_m=road,
                tap=tap,
                olt=olt,
                cost_vnd=cost,
            )
        )
    return _frame(rows, list(v.geometry))


def _ftth_detail(tap: Tap, straight_m: float, road_m: float | None, olt: OltReach, roads: bool) -> str:
    text = f"taps {tap.describe()}: {straight_m / 1000:.1f} km in a straight line"
    if road_m is not None:
        text += f", {road_m / 1000:.1f} km along roads"
    if olt.id is None or olt.distance_m is None:
        return text + f"; no {tap.operator} OLT on air"
    how = "along roads" if roads else "estimated"
    where = "within" if olt.within_reach else "beyond"
    return text + (
        f"; OLT {olt.id} ({tap.operator}) {olt.distance_m / 1000:.1f} km {how}, "
        f"{where} the {PON_REACH_M / 1000:.0f} km PON reach"
    )


# --------------------------------------------------------------------------- 5G


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
        return _frame([], [])
    facts = poi_facts[wanted]
    x_m, y_m = points_xy_m(p, metric_crs)
    lon, lat = _lonlat(p)
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
                power_need="existing" if cost == costs.add_5g_cell_vnd else "grid",
                distance_m=distance,
                cost_vnd=cost,
            )
        )
    return _frame(rows, list(p.geometry))


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
