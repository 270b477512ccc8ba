"""Road-network distances for fiber extensions (OSM XML read with osmnx).

Owns turning ``roads.osm`` into an undirected, length-weighted graph in the
workspace's metric CRS and measuring along-road lengths between points and a
network: the off-road legs to the nearest road nodes plus the shortest path between
them, and which feature of the network that path reaches.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import shapely
from scipy.spatial import cKDTree

from coverage_gis.crs import lonlat_to_metric
from coverage_gis.errors import LayerValidationError

if TYPE_CHECKING:
    import networkx as nx


@dataclass(frozen=True)
class RoadGraph:
    """An undirected road graph with node coordinates in metres and a KD-tree over them."""

    graph: nx.Graph[int]
    node_ids: np.ndarray
    tree: cKDTree


def load_road_graph(path: Path, *, metric_crs: str) -> RoadGraph:
    """Read ``roads.osm`` with osmnx and index its nodes in ``metric_crs``."""
    # Imported here, as osmnx is: only a road network needs them (not every caller of
    # this module's distance functions pays for the import).
    import networkx as nx
    import osmnx

    try:
        multi = osmnx.graph_from_xml(path, simplify=False, retain_all=True)
    except Exception as exc:  # osmnx raises several unrelated types for a bad file
        raise LayerValidationError(f"not a readable OSM XML road network: {exc}", source=str(path)) from None
    graph: nx.Graph[int] = nx.Graph()
    for u, v, data in multi.edges(data=True):
        length = float(data.get("length", 0.0))
        if not graph.has_edge(u, v) or graph[u][v]["length"] > length:
            graph.add_edge(u, v, length=length)
    node_ids = np.array(list(graph.nodes), dtype=np.int64)
    if len(node_ids) == 0:
        raise LayerValidationError("road network has no edges", source=str(path))
    lon = np.array([multi.nodes[n]["x"] for n in node_ids], dtype=np.float64)
    lat = np.array([multi.nodes[n]["y"] for n in node_ids], dtype=np.float64)
    x_m, y_m = lonlat_to_metric(lon, lat, metric_crs)
    return RoadGraph(graph=graph, node_ids=node_ids, tree=cKDTree(np.column_stack([x_m, y_m])))


def network_starts_m(
    roads: RoadGraph, features_m: np.ndarray, *, snap_m: float = 300.0
) -> tuple[np.ndarray, np.ndarray]:
    """Road nodes within ``snap_m`` of a network's features and their straight distance to it.

    Returns
    -------
    positions, legs_m
        Positions into ``roads.node_ids`` (each node once) and the shortest distance
        from that node to any feature, metres.
    """
    positions, legs, _ = network_starts_with_features_m(roads, features_m, snap_m=snap_m)
    return positions, legs


def network_starts_with_features_m(
    roads: RoadGraph, features_m: np.ndarray, *, snap_m: float = 300.0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`network_starts_m` plus, per node, the index of the feature nearest to it."""
    if not len(features_m):
        empty = np.empty(0, dtype=np.int64)
        return empty, np.empty(0, dtype=np.float64), empty
    points = np.asarray(shapely.points(roads.tree.data), dtype=object)
    node_idx, feature_idx = shapely.STRtree(features_m).query(points, predicate="dwithin", distance=snap_m)
    legs = np.asarray(shapely.distance(points[node_idx], features_m[feature_idx]), dtype=np.float64)
    # The nearest feature of each node: the first of its pairs once sorted by leg.
    order = np.lexsort((legs, node_idx))
    first = order[np.append(True, np.diff(node_idx[order]) != 0)] if order.size else order
    return (
        node_idx[first].astype(np.int64),
        legs[first],
        feature_idx[first].astype(np.int64),
    )


def distances_from_network_m(
    roads: RoadGraph, features_m: np.ndarray, *, snap_m: float = 300.0
) -> RoadDistances:
    """Along-road distance from an existing network (e.g. on-air fiber) to every road node.

    Road nodes within ``snap_m`` of a feature start with their straight distance to it;
    one Dijkstra from all those starts then gives, for every node, the shortest length
    of road to reach the network and the feature that path starts from — so an
    extension follows the road that actually leads to fiber, not the road past the
    straight-line-nearest cable, and names the asset it taps. The same search keeps each
    node's predecessor, so the route itself can be drawn (:meth:`RoadDistances.route_m`).
    """
    positions, legs, feature = network_starts_with_features_m(roads, features_m, snap_m=snap_m)
    lengths: dict[int, float] = {}
    origin: dict[int, int] = {}
    towards: dict[int, int] = {}
    # (distance, node, feature reached, whether it has a previous node, that node): a
    # start node has none (the route joins the network there). OSM ids may be negative
    # (unsaved JOSM edits), so no id can serve as the "none" marker.
    heap = [
        (float(leg), int(roads.node_ids[n]), int(f), False, 0)
        for n, leg, f in zip(positions, legs, feature, strict=True)
    ]
    heapq.heapify(heap)
    adjacency = roads.graph.adj
    while heap:
        dist, node, source, has_previous, previous = heapq.heappop(heap)
        if node in lengths:
            continue
        lengths[node] = dist
        origin[node] = source
        if has_previous:
            towards[node] = previous
        for other, data in adjacency[node].items():
            if other not in lengths:
                heapq.heappush(heap, (dist + float(data["length"]), other, source, True, node))
    return RoadDistances(roads, lengths, origin, towards)


@dataclass(frozen=True)
class RoadDistances:
    """Along-road distances to a network, per road node (see :func:`distances_from_network_m`).

    ``origin_by_node`` holds, per node, the index (into the features given) of the
    feature its shortest road path reaches.
    """

    roads: RoadGraph
    by_node: dict[int, float]
    origin_by_node: dict[int, int]
    #: Road node → the next node on its shortest road towards the network (absent for the
    #: nodes where routes join the network, and for unreachable ones).
    towards: dict[int, int] = field(default_factory=dict)

    @cached_property
    def _position(self) -> dict[int, int]:
        return {int(n): i for i, n in enumerate(self.roads.node_ids.tolist())}

    def _nearest_node(self, xy_m: tuple[float, float]) -> tuple[float, int]:
        leg, i = self.roads.tree.query(xy_m)
        return float(leg), int(self.roads.node_ids[i])

    def from_point_m(self, xy_m: tuple[float, float]) -> float:
        """Road length from a point to the network: leg to the nearest road node + along roads.

        ``inf`` when that node has no road connection to the network.
        """
        leg, node = self._nearest_node(xy_m)
        return leg + self.by_node.get(node, np.inf)

    def feature_of_point(self, xy_m: tuple[float, float]) -> int:
        """Index of the feature the road path from a point reaches (-1 when none does)."""
        _, node = self._nearest_node(xy_m)
        return self.origin_by_node.get(node, -1)

    def route_m(self, xy_m: tuple[float, float]) -> np.ndarray | None:
        """Vertices ``(n, 2)``, metres, of the road route measured by :meth:`from_point_m`.

        From the point to its nearest road node, then node by node along the shortest
        road to the node where the route joins the network (the leg from there to the
        network itself is the caller's: this object does not keep the network's
        geometry). None when the nearest node has no road connection to the network.
        """
        _, i = self.roads.tree.query(xy_m)
        node = int(self.roads.node_ids[i])
        if node not in self.by_node:
            return None
        vertices = [tuple(xy_m), tuple(self.roads.tree.data[i])]
        seen = {node}
        while node in self.towards:
            node = self.towards[node]
            if node in seen:  # cannot happen on a shortest-path tree; guards the loop
                break
            seen.add(node)
            vertices.append(tuple(self.roads.tree.data[self._position[node]]))
        return np.asarray(vertices, dtype=np.float64)
