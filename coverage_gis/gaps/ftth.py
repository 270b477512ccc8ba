"""The FTTH gap list: villages without FTTH, the fiber asset an extension taps and the OLT
within PON reach (``docs/architecture.md``, gap lists).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from coverage_gis.costs import Costs
from coverage_gis.gaps._rows import gap_row, lonlat_of, ranked_frame, village_fields
from coverage_gis.routing import RoadGraph, distances_from_network_m

#: GPON logical reach (ITU-T G.984.1: 20 km between OLT and ONU for class B+ optics).
PON_REACH_M = 20_000.0


@dataclass(frozen=True)
class Tap:
    """The fiber asset an extension starts from."""

    id: str
    operator: str
    #: ``access`` or ``distribution`` for a route, ``node`` for a fiber node.
    klass: str
    #: ``pop``, ``olt`` or ``splitter`` for a node, None for a route.
    node_kind: str | None
    #: ``on_air``, or ``planned``: an extension from it waits for it to be built.
    status: str = "on_air"

    def describe(self) -> str:
        what = f"{self.node_kind} node" if self.node_kind else f"{self.klass} route"
        planned = "planned " if self.status == "planned" else ""
        return f"{planned}{self.operator} {what} {self.id}"


@dataclass(frozen=True)
class OltReach:
    """The OLT a village's PON would hang off and whether the village is within its reach."""

    id: str | None
    distance_m: float | None
    within_reach: bool | None


def fiber_taps(
    fiber_routes: gpd.GeoDataFrame | None,
    fiber_nodes: gpd.GeoDataFrame | None,
    metric_crs: str,
    *,
    planned: bool = False,
) -> tuple[list[Tap], np.ndarray]:
    """On-air assets an extension may tap (and planned ones, with ``planned``), and their
    metric geometries.

    Nodes of any kind; access and distribution routes anywhere along them. A backbone
    cable is tapped only at a node (a splice point), so backbone routes themselves are
    left out.
    """
    statuses = ["on_air", "planned"] if planned else ["on_air"]
    taps: list[Tap] = []
    geoms: list[Any] = []
    if fiber_nodes is not None and len(fiber_nodes):
        nodes = fiber_nodes[fiber_nodes["status"].isin(statuses).to_numpy()]
        for rec, geom in zip(nodes.to_dict(orient="records"), nodes.geometry.to_crs(metric_crs), strict=True):
            taps.append(
                Tap(str(rec["node_id"]), str(rec["operator"]), "node", str(rec["kind"]), str(rec["status"]))
            )
            geoms.append(geom)
    if fiber_routes is not None and len(fiber_routes):
        ok = fiber_routes["status"].isin(statuses) & fiber_routes["class"].isin(["access", "distribution"])
        routes = fiber_routes[ok.to_numpy()]
        for rec, geom in zip(
            routes.to_dict(orient="records"), routes.geometry.to_crs(metric_crs), strict=True
        ):
            taps.append(
                Tap(str(rec["route_id"]), str(rec["operator"]), str(rec["class"]), None, str(rec["status"]))
            )
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
    taps, tap_geoms = fiber_taps(fiber_routes, fiber_nodes, metric_crs, planned=True)
    points_m = v.geometry.to_crs(metric_crs).to_numpy()
    tree = shapely.STRtree(tap_geoms) if len(tap_geoms) else None
    by_road = (
        distances_from_network_m(roads, tap_geoms) if roads is not None and len(v) and len(taps) else None
    )
    olts = _OltFinder(
        fiber_nodes, metric_crs=metric_crs, roads=roads, detour_factor=costs.straight_line_detour_factor
    )
    lon, lat = lonlat_of(v)

    rows: list[dict[str, Any]] = []
    for k in range(len(v)):
        reason = str(cov["ftth_gap_reason"].iloc[k])
        point = points_m[k]
        if tree is None:
            rows.append(
                gap_row(
                    "ftth",
                    village_fields(v, adm, k),
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
        source = f"planned {tap.id} once it is on air" if tap.status == "planned" else tap.id
        recommendation = (
            f"extend {tap.operator} fiber {length / 1000:.1f} km {via} from {source} and install a splitter"
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
            gap_row(
                "ftth",
                village_fields(v, adm, k),
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
    return ranked_frame(rows, list(v.geometry))


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
