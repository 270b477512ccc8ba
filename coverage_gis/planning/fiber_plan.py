"""Fiber extensions for villages without FTTH: the geo adapter around :mod:`.fiber`.

Owns turning the workspace's fiber layers and ``roads.osm`` into the array inputs of
the Steiner heuristic (road nodes next to on-air fiber, each village's road node) and
its answer back into tables: one row per village connection (its length, cost, the
connection it hangs from) and one line per uniform stretch of new cable, classed
``distribution`` where two or more villages share it (a trunk) and ``access`` where it
serves one. Villages that no road joins to fiber get a straight line to the nearest
fiber (existing or planned) times the cost table's detour factor, flagged; where there
is no fiber at all they need microwave or satellite backhaul.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import LineString

from coverage_gis.costs import Costs
from coverage_gis.crs import STORAGE_CRS
from coverage_gis.network import points_xy_m
from coverage_gis.planning.fiber import Branch, RoadCSR, SteinerTree, snap_to_roads, steiner_connect
from coverage_gis.routing import RoadGraph, network_starts_m

#: Road nodes this close to existing fiber can splice into it (as the gap list assumes).
SNAP_M = 300.0

BRANCH_COLUMNS: tuple[str, ...] = (
    "branch_id",
    "village_id",
    "parent_branch",
    "length_m",
    "road_m",
    "offroad_m",
    "straight_line",
    "cost_vnd",
)


@dataclass(frozen=True)
class FiberPlan:
    """New fiber for the villages without FTTH.

    Attributes
    ----------
    branches
        One row per connected village (:data:`BRANCH_COLUMNS`, LineString in EPSG:4326),
        in connection order; ``parent_branch`` is the branch it hangs from (None: it
        splices into existing fiber). ``cost_vnd`` is the cable of this branch plus the
        village's splitter.
    segments
        New cable as uniform stretches: ``route_id``, ``branch_id``, ``class``
        (distribution = shared trunk, access), ``villages`` (how many villages it
        serves), ``length_m``, ``straight_line``.
    no_fiber
        Village ids no fiber can reach (no on-air fiber in the workspace for the operator).
    """

    branches: gpd.GeoDataFrame
    segments: gpd.GeoDataFrame
    no_fiber: tuple[str, ...]

    @property
    def length_by_class_m(self) -> dict[str, float]:
        grouped = self.segments.groupby("class")["length_m"].sum()
        return {str(k): float(v) for k, v in grouped.items()}


def road_csr(roads: RoadGraph) -> RoadCSR:
    """The road graph as a CSR matrix with nodes in the order of ``roads.node_ids``."""
    position = {int(n): i for i, n in enumerate(roads.node_ids)}
    edges = np.array(
        [
            (position[int(u)], position[int(v)], float(d["length"]))
            for u, v, d in roads.graph.edges(data=True)
        ],
        dtype=np.float64,
    ).reshape(-1, 3)
    xy = roads.tree.data
    return RoadCSR.from_edges(
        xy[:, 0], xy[:, 1], edges[:, 0].astype(np.int64), edges[:, 1].astype(np.int64), edges[:, 2]
    )


def _branch_coords(
    branch: Branch,
    roads: RoadCSR,
    village_xy: tuple[float, float],
    fiber_m: np.ndarray,
    fiber_tree: shapely.STRtree,
) -> tuple[list[tuple[float, float]], list[int]]:
    """Polyline of a branch (fiber splice → roads → village) and the index of each piece."""
    coords = [(float(roads.x_m[n]), float(roads.y_m[n])) for n in branch.nodes]
    pieces = list(range(len(coords) - 1))  # piece k: road edge k
    if branch.attach_branch == -1:
        first = shapely.points(coords[0])
        nearest = fiber_m[int(fiber_tree.nearest(first))]
        splice = shapely.shortest_line(first, nearest).coords[-1]
        coords.insert(0, (float(splice[0]), float(splice[1])))
        pieces = [-1, *pieces]  # -1: the network leg
    coords.append(village_xy)
    pieces.append(-2)  # -2: the village leg
    return coords, pieces


def _segments(
    tree: SteinerTree,
    roads: RoadCSR,
    village_xy: np.ndarray,
    fiber_m: np.ndarray,
    fiber_tree: shapely.STRtree,
    branch_ids: list[str],
) -> tuple[list[LineString], list[dict[str, object]]]:
    lines: list[LineString] = []
    rows: list[dict[str, object]] = []
    for b, branch in enumerate(tree.branches):
        xy = (float(village_xy[branch.terminal, 0]), float(village_xy[branch.terminal, 1]))
        coords, pieces = _branch_coords(branch, roads, xy, fiber_m, fiber_tree)
        users = [
            int(tree.leg_users[b]) if p == -1 else 1 if p == -2 else int(tree.edge_users[b][p])
            for p in pieces
        ]
        start = 0
        for k in range(1, len(users) + 1):
            if k == len(users) or (users[k] >= 2) != (users[start] >= 2) or users[k] != users[start]:
                part = coords[start : k + 1]
                line = LineString(part) if len(part) >= 2 else None
                if line is not None and line.length > 0:
                    lines.append(line)
                    rows.append(
                        {
                            "branch_id": branch_ids[b],
                            "class": "distribution" if users[start] >= 2 else "access",
                            "villages": users[start],
                            "length_m": float(line.length),
                            "straight_line": False,
                        }
                    )
                start = k
    return lines, rows


def plan_fiber(
    villages: gpd.GeoDataFrame,
    fiber_features: gpd.GeoSeries,
    *,
    metric_crs: str,
    costs: Costs,
    roads: RoadGraph | None,
    csr: RoadCSR | None = None,
) -> FiberPlan:
    """Connect ``villages`` (the ones without FTTH) to ``fiber_features`` (on-air fiber).

    Parameters
    ----------
    villages
        Villages to connect (EPSG:4326 points with ``village_id``).
    fiber_features
        Existing on-air fiber routes and nodes to splice into (EPSG:4326).
    metric_crs
        CRS in metres.
    costs
        Cable per km, splitter, straight-line detour factor.
    roads
        The road graph (None: straight lines for every village, flagged).
    csr
        The same graph as CSR, when the caller already built it.
    """
    ids = villages["village_id"].to_numpy(dtype=object)
    village_x, village_y = points_xy_m(villages, metric_crs)
    village_xy = np.column_stack([village_x, village_y])
    fiber_m = gpd.GeoSeries(fiber_features, crs=STORAGE_CRS).to_crs(metric_crs).to_numpy()
    if not len(fiber_m):
        empty = _frames([], [], [], [], metric_crs)
        return FiberPlan(empty[0], empty[1], tuple(str(v) for v in ids))
    fiber_tree = shapely.STRtree(fiber_m)
    rows: list[dict[str, object]] = []
    geoms: list[LineString] = []
    seg_rows: list[dict[str, object]] = []
    seg_geoms: list[LineString] = []
    todo = np.arange(len(ids))
    if roads is not None and len(ids):
        graph = csr if csr is not None else road_csr(roads)
        positions, legs = network_starts_m(roads, fiber_m, snap_m=SNAP_M)
        term_nodes, term_legs = snap_to_roads(roads.tree, village_x, village_y)
        tree = steiner_connect(
            graph,
            start_nodes=positions,
            start_legs_m=legs,
            terminal_nodes=term_nodes,
            terminal_legs_m=term_legs,
        )
        branch_ids = [f"F{b + 1:03d}" for b in range(len(tree.branches))]
        for b, branch in enumerate(tree.branches):
            xy = (float(village_xy[branch.terminal, 0]), float(village_xy[branch.terminal, 1]))
            coords, _ = _branch_coords(branch, graph, xy, fiber_m, fiber_tree)
            geoms.append(LineString(coords))
            rows.append(
                {
                    "branch_id": branch_ids[b],
                    "village_id": ids[branch.terminal],
                    "parent_branch": branch_ids[branch.attach_branch] if branch.attach_branch >= 0 else None,
                    "length_m": branch.length_m,
                    "road_m": branch.road_m,
                    "offroad_m": branch.network_leg_m + branch.village_leg_m,
                    "straight_line": False,
                    "cost_vnd": branch.length_m / 1000.0 * costs.fiber_per_km_vnd + costs.splitter_node_vnd,
                }
            )
        seg_geoms, seg_rows = _segments(tree, graph, village_xy, fiber_m, fiber_tree, branch_ids)
        todo = tree.unreachable
    _straight_lines(todo, ids, village_xy, fiber_m, costs, rows, geoms, seg_rows, seg_geoms)
    branches, segments = _frames(rows, geoms, seg_rows, seg_geoms, metric_crs)
    return FiberPlan(branches, segments, ())


def _straight_lines(
    todo: np.ndarray,
    ids: np.ndarray,
    village_xy: np.ndarray,
    fiber_m: np.ndarray,
    costs: Costs,
    rows: list[dict[str, object]],
    geoms: list[LineString],
    seg_rows: list[dict[str, object]],
    seg_geoms: list[LineString],
) -> None:
    """Connect the remaining villages by straight lines, nearest first, each to the nearest
    existing fiber or already planned cable (so they too can share)."""
    if not len(todo):
        return
    points = shapely.points(village_xy[todo])
    tree = shapely.STRtree(fiber_m)
    _, dist = tree.query_nearest(points, return_distance=True, all_matches=False)
    best = np.asarray(dist, dtype=np.float64)
    target = np.full(len(todo), -1, dtype=np.int64)  # -1: existing fiber; else a branch index
    for k, geom in enumerate(geoms):
        d = shapely.distance(points, geom)
        closer = d < best
        best[closer] = d[closer]
        target[closer] = k
    left = np.ones(len(todo), dtype=bool)
    while left.any():
        i = int(np.argmin(np.where(left, best, np.inf)))
        left[i] = False
        parent = int(target[i])
        goal = fiber_m[int(tree.nearest(points[i]))] if parent < 0 else geoms[parent]
        line = shapely.shortest_line(goal, points[i])
        length = float(best[i]) * costs.straight_line_detour_factor
        b = len(rows)
        branch_id = f"F{b + 1:03d}"
        rows.append(
            {
                "branch_id": branch_id,
                "village_id": ids[todo[i]],
                "parent_branch": None if parent < 0 else rows[parent]["branch_id"],
                "length_m": length,
                "road_m": 0.0,
                "offroad_m": length,
                "straight_line": True,
                "cost_vnd": length / 1000.0 * costs.fiber_per_km_vnd + costs.splitter_node_vnd,
            }
        )
        geoms.append(line)
        seg_rows.append(
            {
                "branch_id": branch_id,
                "class": "access",
                "villages": 1,
                "length_m": length,
                "straight_line": True,
            }
        )
        seg_geoms.append(line)
        d = shapely.distance(points, line)
        closer = left & (d < best)
        best[closer] = d[closer]
        target[closer] = b


def _frames(
    rows: list[dict[str, object]],
    geoms: list[LineString],
    seg_rows: list[dict[str, object]],
    seg_geoms: list[LineString],
    metric_crs: str,
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    branches = gpd.GeoDataFrame(
        pd.DataFrame(rows, columns=list(BRANCH_COLUMNS)),
        geometry=gpd.GeoSeries(geoms, crs=metric_crs).to_crs(STORAGE_CRS),
        crs=STORAGE_CRS,
    )
    # Missing parents stay None (not NaN), so a reader can test ``is None``.
    branches["parent_branch"] = (
        branches["parent_branch"].astype(object).where(branches["parent_branch"].notna(), None)
    )
    seg = pd.DataFrame(seg_rows, columns=["branch_id", "class", "villages", "length_m", "straight_line"])
    seg.insert(0, "route_id", [f"{r}-{k + 1}" for k, r in enumerate(seg["branch_id"])])
    segments = gpd.GeoDataFrame(
        seg, geometry=gpd.GeoSeries(seg_geoms, crs=metric_crs).to_crs(STORAGE_CRS), crs=STORAGE_CRS
    )
    return branches, segments
