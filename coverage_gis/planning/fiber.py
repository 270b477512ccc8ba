"""Fiber extensions on arrays: least-cost routes along roads that share trunks.

Owns the road graph as a CSR matrix and the Steiner-tree heuristic that connects
villages to existing fiber: starting from the existing network, repeatedly connect
the unconnected village nearest (along roads) to the growing tree, then let the new
path join the tree so that later villages can branch off it. One multi-source
Dijkstra (``scipy.sparse.csgraph``) gives every node's distance to the network; after
each connection a Dijkstra from the new path alone, bounded by the largest distance
still of interest, updates it. Villages in road components without fiber are left
for the caller's straight-line fallback.

Each connection is a :class:`Branch`: a road path from an attachment point (existing
fiber or an earlier branch) to the village's nearest road node, plus the off-road
legs at both ends. Per road edge the number of villages whose connection runs over it
says whether it is a shared trunk (two or more) or an access spur.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

from coverage_gis.models.base import FloatArray, IntArray

#: Weight of a zero-length edge (csgraph treats stored zeros as missing edges).
_EPS_M = 1e-6


@dataclass(frozen=True)
class RoadCSR:
    """An undirected road graph: node coordinates (metres) and a symmetric CSR of lengths."""

    x_m: FloatArray
    y_m: FloatArray
    lengths: sp.csr_array

    @property
    def n_nodes(self) -> int:
        return int(self.x_m.shape[0])

    @classmethod
    def from_edges(
        cls, x_m: FloatArray, y_m: FloatArray, u: IntArray, v: IntArray, length_m: FloatArray
    ) -> RoadCSR:
        """Build from edge arrays; parallel edges keep the shortest, self-loops are dropped."""
        n = int(np.asarray(x_m).shape[0])
        u = np.asarray(u, dtype=np.int64)
        v = np.asarray(v, dtype=np.int64)
        w = np.maximum(np.asarray(length_m, dtype=np.float64), _EPS_M)
        keep = u != v
        u, v, w = u[keep], v[keep], w[keep]
        # Both directions; of parallel edges only the shortest is kept (the COO→CSR
        # conversion would otherwise add their lengths up).
        rows = np.concatenate([u, v])
        cols = np.concatenate([v, u])
        weights = np.concatenate([w, w])
        key = rows * n + cols
        order = np.lexsort((weights, key))
        first = np.ones(order.size, dtype=bool)
        first[1:] = key[order][1:] != key[order][:-1]
        pick = order[first]
        matrix = sp.csr_array((weights[pick], (rows[pick], cols[pick])), shape=(n, n))
        return cls(np.asarray(x_m, dtype=np.float64), np.asarray(y_m, dtype=np.float64), matrix)

    def tree(self) -> cKDTree:
        return cKDTree(np.column_stack([self.x_m, self.y_m]))


@dataclass(frozen=True)
class Branch:
    """One village's connection.

    Attributes
    ----------
    terminal
        Index of the village (into the terminals given).
    nodes
        Road nodes from the attachment point to the village's road node (one node when
        the village's road node is itself on the tree or network).
    edge_m
        Length of each road edge along ``nodes``.
    attach_branch
        Index of the branch it hangs from, or -1 for existing fiber.
    network_leg_m
        Off-road leg from existing fiber to the first road node (0 unless
        ``attach_branch`` is -1).
    village_leg_m
        Off-road leg from the last road node to the village centre.
    """

    terminal: int
    nodes: IntArray
    edge_m: FloatArray
    attach_branch: int
    network_leg_m: float
    village_leg_m: float

    @property
    def road_m(self) -> float:
        return float(self.edge_m.sum())

    @property
    def length_m(self) -> float:
        return self.network_leg_m + self.road_m + self.village_leg_m


@dataclass(frozen=True)
class SteinerTree:
    """Branches in connection order, the villages no road reaches, and shared-edge counts.

    ``edge_users[b][k]`` is the number of villages whose connection runs over edge ``k``
    of branch ``b`` (1: an access spur; 2 or more: a shared trunk); ``leg_users[b]`` the
    same for the network leg of branch ``b``.
    """

    branches: tuple[Branch, ...]
    unreachable: IntArray
    edge_users: tuple[IntArray, ...]
    leg_users: IntArray


def steiner_connect(
    roads: RoadCSR,
    *,
    start_nodes: IntArray,
    start_legs_m: FloatArray,
    terminal_nodes: IntArray,
    terminal_legs_m: FloatArray,
) -> SteinerTree:
    """Connect terminals to the network, nearest first, sharing the paths already built.

    Parameters
    ----------
    roads
        The road graph.
    start_nodes, start_legs_m
        Road nodes next to existing fiber and the off-road length from the fiber to each.
    terminal_nodes, terminal_legs_m
        Each village's nearest road node and the off-road length to its centre.

    Returns
    -------
    SteinerTree
        Terminals in no road component with fiber are in ``unreachable``.
    """
    n = roads.n_nodes
    source = n  # a virtual node joined to every start node by its leg
    starts = np.asarray(start_nodes, dtype=np.int64)
    legs = np.maximum(np.asarray(start_legs_m, dtype=np.float64), _EPS_M)
    graph = sp.csr_array(
        sp.block_array(
            [
                [roads.lengths, None],
                [sp.csr_array((legs, (np.zeros(starts.size, dtype=np.int64), starts)), shape=(1, n)), None],
            ],
            format="csr",
        ),
        shape=(n + 1, n + 1),
    )
    term_nodes = np.asarray(terminal_nodes, dtype=np.int64)
    term_legs = np.asarray(terminal_legs_m, dtype=np.float64)
    k = term_nodes.size
    dist, pred = _distances_from(graph, np.array([source], dtype=np.int64), limit=np.inf)
    on_tree = np.zeros(n + 1, dtype=bool)
    on_tree[source] = True
    owner = np.full(n + 1, -1, dtype=np.int64)  # branch that built a node (-1: none)
    position = np.zeros(n + 1, dtype=np.int64)  # its index along that branch
    open_terminals = np.ones(k, dtype=bool)
    branches: list[Branch] = []
    while open_terminals.any():
        cost = np.where(open_terminals, dist[term_nodes] + term_legs, np.inf)
        t = int(np.argmin(cost))
        if not np.isfinite(cost[t]):
            break
        open_terminals[t] = False
        path = [int(term_nodes[t])]
        while not on_tree[path[-1]]:
            path.append(int(pred[path[-1]]))
        attach = path[-1]
        if attach == source:
            path.pop()  # the virtual source is not a road node
            network_leg = float(graph[source, path[-1]])
            attach_branch = -1
        else:
            network_leg = 0.0
            attach_branch = int(owner[attach])
        nodes = np.array(path[::-1], dtype=np.int64)
        edge_m = (
            np.asarray(roads.lengths[nodes[:-1], nodes[1:]], dtype=np.float64).ravel()
            if nodes.size > 1
            else np.empty(0, dtype=np.float64)
        )
        b = len(branches)
        branches.append(Branch(t, nodes, edge_m, attach_branch, network_leg, float(term_legs[t])))
        new = nodes if attach_branch == -1 else nodes[1:]
        new = new[~on_tree[new]]
        on_tree[new] = True
        owner[new] = b
        position[new] = np.flatnonzero(np.isin(nodes, new))
        dist[new] = 0.0
        remaining = dist[term_nodes[open_terminals]]
        limit = float(remaining[np.isfinite(remaining)].max(initial=0.0))
        if new.size and limit > 0:
            near, near_pred = _distances_from(graph, new, limit=limit)
            better = near < dist
            dist[better] = near[better]
            pred[better] = near_pred[better]
    unreachable = np.flatnonzero(open_terminals).astype(np.int64)
    edge_users, leg_users = _users(branches, owner, position)
    return SteinerTree(tuple(branches), unreachable, edge_users, leg_users)


def _distances_from(graph: sp.csr_array, sources: IntArray, *, limit: float) -> tuple[FloatArray, IntArray]:
    """Distance from the nearest of ``sources`` to every node (inf beyond ``limit``) and each
    node's predecessor on that shortest path (negative: none)."""
    dist, pred, _ = dijkstra(
        graph, directed=True, indices=sources, min_only=True, limit=limit, return_predecessors=True
    )
    return np.asarray(dist, dtype=np.float64), np.asarray(pred, dtype=np.int64)


def _users(
    branches: list[Branch], owner: IntArray, position: IntArray
) -> tuple[tuple[IntArray, ...], IntArray]:
    """Villages per edge: each village's path runs over its own branch, then up the tree."""
    edge_users = [np.zeros(b.edge_m.size, dtype=np.int64) for b in branches]
    leg_users = np.zeros(len(branches), dtype=np.int64)
    for b0 in range(len(branches)):
        b, upto = b0, len(branches[b0].nodes) - 1  # edges [0, upto) of branch b are used
        while True:
            edge_users[b][:upto] += 1
            branch = branches[b]
            if branch.attach_branch == -1:
                leg_users[b] += 1
                break
            attach = int(branch.nodes[0])
            b, upto = branch.attach_branch, int(position[attach])
    return tuple(edge_users), leg_users


def snap_to_roads(tree: cKDTree, x_m: FloatArray, y_m: FloatArray) -> tuple[IntArray, FloatArray]:
    """Nearest road node of each point and the straight distance to it."""
    if not len(x_m):
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float64)
    dist, idx = tree.query(np.column_stack([x_m, y_m]))
    return np.asarray(idx, dtype=np.int64), np.asarray(dist, dtype=np.float64)
