"""Road-network distances for fiber extensions (OSM XML read with osmnx).

Owns turning ``roads.osm`` into an undirected, length-weighted graph in the
workspace's metric CRS and measuring along-road lengths between points: the
off-road legs to the nearest road nodes plus the shortest path between them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import networkx as nx
import numpy as np
import shapely
from scipy.spatial import cKDTree

from coverage_gis.crs import lonlat_to_metric
from coverage_gis.errors import LayerValidationError


@dataclass(frozen=True)
class RoadGraph:
    """An undirected road graph with node coordinates in metres and a KD-tree over them."""

    graph: nx.Graph[int]
    node_ids: np.ndarray
    tree: cKDTree


def load_road_graph(path: Path, *, metric_crs: str) -> RoadGraph:
    """Read ``roads.osm`` with osmnx and index its nodes in ``metric_crs``."""
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
    if not len(features_m):
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float64)
    points = np.asarray(shapely.points(roads.tree.data), dtype=object)
    node_idx, feature_idx = shapely.STRtree(features_m).query(points, predicate="dwithin", distance=snap_m)
    legs = shapely.distance(points[node_idx], features_m[feature_idx])
    best = np.full(len(points), np.inf)
    np.minimum.at(best, node_idx, legs)
    positions = np.flatnonzero(np.isfinite(best)).astype(np.int64)
    return positions, best[positions]


def distances_from_network_m(
    roads: RoadGraph, features_m: np.ndarray, *, snap_m: float = 300.0
) -> RoadDistances:
    """Along-road distance from an existing network (e.g. on-air fiber) to every road node.

    Road nodes within ``snap_m`` of a feature start with their straight distance to it;
    one Dijkstra from a virtual source over those starts then gives, for every node, the
    shortest length of road to reach the network — so an extension follows the road that
    actually leads to fiber, not the road past the straight-line-nearest cable. The same
    search keeps each node's predecessor, so the route itself can be drawn
    (:meth:`RoadDistances.route_m`).
    """
    positions, legs = network_starts_m(roads, features_m, snap_m=snap_m)
    starts = {int(roads.node_ids[n]): float(leg) for n, leg in zip(positions, legs, strict=True)}
    if not starts:
        return RoadDistances(roads, {})
    source = -1
    while source in roads.graph:
        source -= 1
    roads.graph.add_weighted_edges_from(
        ((source, node, leg) for node, leg in starts.items()), weight="length"
    )
    try:
        previous, lengths = nx.dijkstra_predecessor_and_distance(roads.graph, source, weight="length")
    finally:
        roads.graph.remove_node(source)
    lengths.pop(source, None)
    # A start node's predecessor is the virtual source: it is where a route joins the network.
    towards = {int(k): int(v[0]) for k, v in previous.items() if v and v[0] != source and k != source}
    return RoadDistances(roads, {int(k): float(v) for k, v in lengths.items()}, towards)


@dataclass(frozen=True)
class RoadDistances:
    """Along-road distances to a network, per road node (see :func:`distances_from_network_m`)."""

    roads: RoadGraph
    by_node: dict[int, float]
    #: Road node → the next node on its shortest road towards the network (absent for the
    #: nodes where routes join the network, and for unreachable ones).
    towards: dict[int, int] = field(default_factory=dict)

    @cached_property
    def _position(self) -> dict[int, int]:
        return {int(n): i for i, n in enumerate(self.roads.node_ids.tolist())}

    def from_point_m(self, xy_m: tuple[float, float]) -> float:
        """Road length from a point to the network: leg to the nearest road node + along roads.

        ``inf`` when that node has no road connection to the network.
        """
        leg, i = self.roads.tree.query(xy_m)
        along = self.by_node.get(int(self.roads.node_ids[i]), np.inf)
        return float(leg) + along

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
