"""Road-network distances for fiber extensions (OSM XML read with osmnx).

Owns turning ``roads.osm`` into an undirected, length-weighted graph in the
workspace's metric CRS and measuring along-road lengths between points: the
off-road legs to the nearest road nodes plus the shortest path between them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import networkx as nx
import numpy as np
from scipy.spatial import cKDTree

from coverage_gis.crs import lonlat_to_metric
from coverage_gis.errors import LayerValidationError


@dataclass(frozen=True)
class RoadGraph:
    """An undirected road graph with node coordinates in metres and a KD-tree over them."""

    graph: nx.Graph
    node_ids: np.ndarray
    tree: cKDTree


def load_road_graph(path: Path, *, metric_crs: str) -> RoadGraph:
    """Read ``roads.osm`` with osmnx and index its nodes in ``metric_crs``."""
    import osmnx

    try:
        multi = osmnx.graph_from_xml(path, simplify=False, retain_all=True)
    except Exception as exc:  # osmnx raises several unrelated types for a bad file
        raise LayerValidationError(f"not a readable OSM XML road network: {exc}", source=str(path)) from None
    graph = nx.Graph()
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


def road_distance_m(
    roads: RoadGraph,
    origin_xy_m: tuple[float, float],
    target_xy_m: tuple[float, float],
) -> float:
    """Length along roads between two points, including the legs to and from the road.

    Returns ``inf`` when the two nearest road nodes are not connected.
    """
    leg_a, a = roads.tree.query(origin_xy_m)
    leg_b, b = roads.tree.query(target_xy_m)
    node_a, node_b = int(roads.node_ids[a]), int(roads.node_ids[b])
    try:
        along = nx.shortest_path_length(roads.graph, node_a, node_b, weight="length")
    except nx.NetworkXNoPath:
        return float("inf")
    return float(leg_a) + float(along) + float(leg_b)
