"""The synthetic road network of a province and its OSM XML export.

Owns the roads the fiber follows and ``roads.osm`` holds: commune centres linked by a
minimum spanning tree over their Delaunay triangulation plus a share of the short
remaining triangle edges (loops, as real networks have), roads from the capital to
every district town classed ``primary``, links to district towns ``secondary``, the
rest ``tertiary``; inside each commune a branching tree of village roads from the
commune centre outward (``residential`` in towns, ``unclassified`` on the plain,
``track`` in the mountains). Every road meanders a little between its ends. Islands
(communes not touching the mainland's) are linked by sea links, which are not roads
(they carry submarine fiber only).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import quoteattr

import numpy as np
import scipy.sparse as sp
import shapely
from numpy.typing import NDArray
from scipy.sparse.csgraph import connected_components, dijkstra, minimum_spanning_tree
from scipy.spatial import Delaunay

from coverage_gis._files import atomic_path
from coverage_gis.demo._context import ProvinceContext
from coverage_gis.models.base import FloatArray, IntArray

#: Spacing of the shape points of a road, metres.
STEP_M = 350.0
#: Share of the short non-tree triangle edges kept as extra links (loops).
EXTRA_LINK_SHARE = 0.3
#: OSM ids of a province start at province code × this (ids stay unique when merged).
ID_BLOCK = 10_000_000


@dataclass(frozen=True)
class RoadEdge:
    """One road (or sea link) between two vertices.

    ``xy`` is the polyline in the province's metric CRS, endpoints included.
    ``village`` is the village a village road leads to (-1 for links).
    """

    u: int
    v: int
    highway: str
    xy: FloatArray
    village: int = -1

    @property
    def is_sea(self) -> bool:
        return self.highway == "sea"

    @property
    def length_m(self) -> float:
        d = np.diff(self.xy, axis=0)
        return float(np.hypot(d[:, 0], d[:, 1]).sum())


@dataclass(frozen=True)
class RoadNetwork:
    """Roads of one province. Vertices: commune centres ``0…n-1``, then villages."""

    province_code: str
    metric_crs: str
    n_communes: int
    vertex_x: FloatArray
    vertex_y: FloatArray
    edges: tuple[RoadEdge, ...]

    def village_vertex(self, village: int) -> int:
        return self.n_communes + village

    @property
    def links(self) -> list[RoadEdge]:
        """Roads and sea links between commune centres."""
        return [e for e in self.edges if e.village < 0]

    @property
    def village_roads(self) -> list[RoadEdge]:
        return [e for e in self.edges if e.village >= 0]


def meander(
    ax: float, ay: float, bx: float, by: float, amp: float, wiggle: float, phase: float
) -> FloatArray:
    """A gently curving polyline from A to B (endpoints exact).

    ``amp`` is the main sideways bow and ``wiggle`` a smaller S-bend, both as a
    fraction of the length; the bend is capped so long roads do not wander off.
    """
    length = math.hypot(bx - ax, by - ay)
    n = max(2, math.ceil(length / STEP_M))
    t = np.linspace(0.0, 1.0, n + 1)
    if length == 0:
        return np.column_stack([np.full(n + 1, ax), np.full(n + 1, ay)])
    nx, ny = -(by - ay) / length, (bx - ax) / length
    bend = np.sin(math.pi * t) * (amp + wiggle * np.sin(3.0 * math.pi * t + phase)) * length
    bend = np.clip(bend, -3000.0, 3000.0)
    return np.column_stack([ax + t * (bx - ax) + bend * nx, ay + t * (by - ay) + bend * ny])


def _components(ctx: ProvinceContext) -> IntArray:
    """Land component of each commune (the mainland and each island group)."""
    grown = shapely.buffer(ctx.geometry, 0.002)
    a, b = shapely.STRtree(grown).query(grown, predicate="intersects")
    n = len(ctx)
    graph = sp.coo_matrix((np.ones(a.size), (a, b)), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    return np.asarray(labels, dtype=np.int64)


def _links(ctx: ProvinceContext, rng: np.random.Generator) -> tuple[list[tuple[int, int]], list[bool]]:
    """Commune-centre pairs to link, and whether each is a sea link."""
    n = len(ctx)
    if n < 2:
        return [], []
    xy = np.column_stack([ctx.centre_x, ctx.centre_y])
    if n == 2:
        pairs = np.array([[0, 1]])
    else:
        tri = Delaunay(xy)
        s = tri.simplices
        pairs = np.vstack([s[:, [0, 1]], s[:, [1, 2]], s[:, [0, 2]]])
        pairs = np.unique(np.sort(pairs, axis=1), axis=0)
    length = np.hypot(*(xy[pairs[:, 0]] - xy[pairs[:, 1]]).T)
    component = _components(ctx)
    crossing = component[pairs[:, 0]] != component[pairs[:, 1]]
    # Land first: a crossing costs as much as a long detour, so the tree uses the sea
    # only to reach islands.
    weight = length * np.where(crossing, 50.0, 1.0) + 1e-3
    graph = sp.coo_matrix((weight, (pairs[:, 0], pairs[:, 1])), shape=(n, n)).tocsr()
    tree = minimum_spanning_tree(graph).tocoo()
    in_tree = {(int(min(i, j)), int(max(i, j))) for i, j in zip(tree.row, tree.col, strict=True)}
    is_tree = np.array([(int(i), int(j)) in in_tree for i, j in pairs])
    limit = 1.25 * float(np.median(length[is_tree])) if is_tree.any() else 0.0
    extra = ~is_tree & ~crossing & (length <= limit) & (rng.random(len(pairs)) < EXTRA_LINK_SHARE)
    keep = is_tree | extra
    return [(int(i), int(j)) for i, j in pairs[keep]], [bool(c) for c in crossing[keep]]


def _link_classes(ctx: ProvinceContext, links: list[tuple[int, int]], sea: list[bool]) -> list[str]:
    n = len(ctx)
    classes = ["sea" if s else "tertiary" for s in sea]
    land = [k for k, s in enumerate(sea) if not s]
    if not land:
        return classes
    i = np.array([links[k][0] for k in land])
    j = np.array([links[k][1] for k in land])
    w = np.hypot(ctx.centre_x[i] - ctx.centre_x[j], ctx.centre_y[i] - ctx.centre_y[j]) + 1e-3
    graph = sp.coo_matrix(
        (np.concatenate([w, w]), (np.concatenate([i, j]), np.concatenate([j, i]))), shape=(n, n)
    )
    _, predecessors = dijkstra(graph.tocsr(), indices=[ctx.capital], return_predecessors=True)
    pred = predecessors[0]
    key = {(min(a, b), max(a, b)): k for k, (a, b) in enumerate(links)}
    towns = {int(t) for t in ctx.town_of_district}
    for town in towns:
        node = town
        while node != ctx.capital and pred[node] >= 0:
            k = key.get((min(node, int(pred[node])), max(node, int(pred[node]))))
            if k is not None:
                classes[k] = "primary"
            node = int(pred[node])
    for k, (a, b) in enumerate(links):
        if classes[k] == "tertiary" and (a in towns or b in towns):
            classes[k] = "secondary"
    return classes


def _village_parents(
    ctx: ProvinceContext, commune_of: IntArray, x: FloatArray, y: FloatArray, no_through: NDArray[np.bool_]
) -> IntArray:
    """Vertex each village's road starts from: the nearest of its commune's centre and
    the villages of the same commune closer to the centre. A village that no road may
    pass through on its way to a served village (an FTTH gap) still leads on to other
    such villages: the unserved end of a valley, beyond the last served village."""
    parent = np.full(x.size, -1, dtype=np.int64)
    order_all = np.argsort(commune_of, kind="stable")
    bounds = np.flatnonzero(np.diff(np.concatenate([[-1], commune_of[order_all], [len(ctx)]])))
    for start, stop in itertools.pairwise(bounds):
        members = order_all[start:stop]
        if members.size == 0:
            continue
        c = int(commune_of[members[0]])
        d = np.hypot(x[members] - ctx.centre_x[c], y[members] - ctx.centre_y[c])
        members = members[np.argsort(d, kind="stable")]
        hub_x = [float(ctx.centre_x[c])]
        hub_y = [float(ctx.centre_y[c])]
        hub_vertex = [c]
        hub_closed = [False]
        for v in members:
            dist = np.hypot(np.array(hub_x) - x[v], np.array(hub_y) - y[v])
            if not no_through[v]:
                dist[np.array(hub_closed)] = np.inf
            parent[v] = hub_vertex[int(np.argmin(dist))]
            hub_x.append(float(x[v]))
            hub_y.append(float(y[v]))
            hub_vertex.append(len(ctx) + int(v))
            hub_closed.append(bool(no_through[v]))
    return parent


def _village_road_class(environment: str, upland: float) -> str:
    if environment != "rural":
        return "residential"
    return "track" if upland >= 0.6 else "unclassified"


def build_roads(
    ctx: ProvinceContext,
    commune_of: IntArray,
    village_x: FloatArray,
    village_y: FloatArray,
    village_upland: FloatArray,
    *,
    no_through: NDArray[np.bool_],
) -> RoadNetwork:
    """The road network of one province.

    Parameters
    ----------
    ctx
        The province.
    commune_of, village_x, village_y, village_upland
        Each village's commune row, centre (metric) and upland index.
    no_through
        Villages no road to a served village may pass through (the FTTH gaps: the
        fiber along it would reach them); roads to other such villages may.
    """
    rng = ctx.rng("roads")
    links, sea = _links(ctx, rng)
    classes = _link_classes(ctx, links, sea)
    vx = np.concatenate([ctx.centre_x, village_x])
    vy = np.concatenate([ctx.centre_y, village_y])
    parents = _village_parents(ctx, commune_of, village_x, village_y, no_through)
    n_edges = len(links) + village_x.size
    amp = rng.normal(0.0, 0.05, n_edges)
    wiggle = rng.normal(0.0, 0.02, n_edges)
    phase = rng.uniform(0.0, 2.0 * math.pi, n_edges)
    edges: list[RoadEdge] = []
    for k, ((a, b), cls) in enumerate(zip(links, classes, strict=True)):
        if cls == "sea":
            xy = np.array([[vx[a], vy[a]], [vx[b], vy[b]]])
        else:
            xy = meander(vx[a], vy[a], vx[b], vy[b], amp[k], wiggle[k], phase[k])
        edges.append(RoadEdge(a, b, cls, xy))
    env = ctx.environment[commune_of]
    for v in range(village_x.size):
        k = len(links) + v
        u = int(parents[v])
        target = len(ctx) + v
        cls = _village_road_class(str(env[v]), float(village_upland[v]))
        xy = meander(vx[u], vy[u], vx[target], vy[target], amp[k], wiggle[k], phase[k])
        edges.append(RoadEdge(u, target, cls, xy, village=v))
    return RoadNetwork(ctx.code, ctx.metric_crs, len(ctx), vx, vy, tuple(edges))


def linestrings(parts: Sequence[FloatArray]) -> NDArray[np.object_]:
    """LineStrings from polylines of different lengths (one vectorised call)."""
    if not parts:
        return np.empty(0, dtype=object)
    sizes = np.array([len(p) for p in parts])
    index = np.repeat(np.arange(len(parts)), sizes)
    return np.asarray(shapely.linestrings(np.vstack(parts), indices=index), dtype=object)


def network_lonlat(network: RoadNetwork, ctx: ProvinceContext) -> list[FloatArray]:
    """Each edge's polyline in lon/lat (one vectorised transform for all edges)."""
    if not network.edges:
        return []
    sizes = [len(e.xy) for e in network.edges]
    stacked = np.vstack([e.xy for e in network.edges])
    lon, lat = ctx.to_lonlat(stacked[:, 0], stacked[:, 1])
    both = np.column_stack([lon, lat])
    return np.split(both, np.cumsum(sizes)[:-1])


def write_osm(networks: Sequence[tuple[RoadNetwork, list[FloatArray]]], path: Path) -> None:
    """Write the roads (not the sea links) as OSM XML, atomically.

    Vertices (commune centres, villages) are nodes shared by every road that meets
    there, so the file loads as one connected graph per land mass; node and way ids
    start at province code × :data:`ID_BLOCK`.
    """
    node_lines: list[str] = []
    way_lines: list[str] = []
    all_lon: list[float] = []
    all_lat: list[float] = []
    for network, lonlat in networks:
        block = int(network.province_code) * ID_BLOCK
        n_vertices = network.vertex_x.size
        vertex_ll: dict[int, tuple[float, float]] = {}
        next_node = block + n_vertices + 1
        way_id = block + 1
        for edge, coords in zip(network.edges, lonlat, strict=True):
            vertex_ll.setdefault(edge.u, (float(coords[0, 0]), float(coords[0, 1])))
            vertex_ll.setdefault(edge.v, (float(coords[-1, 0]), float(coords[-1, 1])))
        used: set[int] = set()
        for edge, coords in zip(network.edges, lonlat, strict=True):
            if edge.is_sea:
                continue
            refs = [block + edge.u + 1]
            for lon, lat in coords[1:-1]:
                node_lines.append(f'  <node id="{next_node}" version="1" lat="{lat:.7f}" lon="{lon:.7f}"/>')
                refs.append(next_node)
                next_node += 1
            refs.append(block + edge.v + 1)
            used.update((edge.u, edge.v))
            nds = "".join(f'<nd ref="{r}"/>' for r in refs)
            way_lines.append(
                f'  <way id="{way_id}" version="1">{nds}<tag k="highway" v={quoteattr(edge.highway)}/>'
                '<tag k="source" v="synthetic"/></way>'
            )
            way_id += 1
            all_lon.extend(coords[:, 0].tolist())
            all_lat.extend(coords[:, 1].tolist())
        for vertex in sorted(used):
            lon, lat = vertex_ll[vertex]
            node_lines.append(
                f'  <node id="{block + vertex + 1}" version="1" lat="{lat:.7f}" lon="{lon:.7f}"/>'
            )
    header = [
        "<?xml version='1.0' encoding='UTF-8'?>",
        '<osm version="0.6" generator="coverage_gis.demo (synthetic road network)">',
        "  <note>Synthetic roads generated by coverage_gis.demo between real commune centres;"
        " not surveyed.</note>",
    ]
    if all_lon:
        header.append(
            f'  <bounds minlat="{min(all_lat):.7f}" minlon="{min(all_lon):.7f}" '
            f'maxlat="{max(all_lat):.7f}" maxlon="{max(all_lon):.7f}"/>'
        )
    text = "\n".join([*header, *node_lines, *way_lines, "</osm>", ""])
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
