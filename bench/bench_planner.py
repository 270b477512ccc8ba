"""Benchmark of the planner's siting models and fiber routing (a script, not a test).

Builds two seeded, **synthetic** cases and prints both sides of each in one run:

1. **Siting**, 1,000 villages × 500 candidate sites in a 100 km × 60 km province
   (villages uniform, half the candidates at village centres and half uniform — the few
   villages out of every candidate's reach replace uniform ones — 4G
   rural service radius 5 km, populations 50–2,000): spopt 0.x MCLP (p = 40) and LSCP
   solved with PuLP/CBC — the reference — next to ``planning.siting.max_cover``
   (``max_sites = 40``, unit costs) and ``set_cover`` (unit costs) solved by HiGHS from
   sparse arrays. Reports build and solve time of each, both objective values (they
   must be equal) and the greedy fallback's objective and gap.
2. **Fiber**, a ~35,000-node road graph (a 187 × 187 lattice, 300 m spacing, jittered,
   15 % of the links removed, so ≈ 56 km square) with existing fiber along one
   east–west and one north–south road, and 100 villages: one networkx Dijkstra per
   village (the usual approach; graph build included) next to
   ``planning.fiber.steiner_connect`` on a CSR graph (CSR build included). Reports the
   times and the total new cable: per-village shortest paths summed (no sharing)
   versus the Steiner tree (shared trunks).

Run: ``.venv/bin/python bench/bench_planner.py [--seed N] [--skip-spopt] [--skip-networkx]``.
Times are wall-clock (``time.perf_counter``), best of 3 for the planner's own code, one
run for the references.
"""

from __future__ import annotations

import argparse
import time
import warnings
from collections.abc import Callable
from typing import TypeVar

import numpy as np
import scipy.sparse as sp
from scipy.spatial import cKDTree

from coverage_gis.planning.fiber import RoadCSR, steiner_connect
from coverage_gis.planning.siting import max_cover, set_cover

T = TypeVar("T")

N_VILLAGES = 1_000
N_CANDIDATES = 500
WIDTH_M, HEIGHT_M = 100_000.0, 60_000.0
RADIUS_M = 5_000.0
P_FACILITIES = 40

LATTICE = 187
SPACING_M = 300.0
DROP_SHARE = 0.15
N_FIBER_VILLAGES = 100


def timed(fn: Callable[[], T], repeat: int = 1) -> tuple[float, T]:
    best, out = np.inf, None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    assert out is not None
    return best, out


def siting_case(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    villages = np.column_stack([rng.uniform(0, WIDTH_M, N_VILLAGES), rng.uniform(0, HEIGHT_M, N_VILLAGES)])
    half = N_CANDIDATES // 2
    candidates = np.vstack(
        [
            villages[rng.choice(N_VILLAGES, half, replace=False)],
            np.column_stack(
                [rng.uniform(0, WIDTH_M, N_CANDIDATES - half), rng.uniform(0, HEIGHT_M, N_CANDIDATES - half)]
            ),
        ]
    )
    # Every village must be within reach of some candidate (else LSCP is infeasible): an
    # unreachable village takes the place of one of the uniform candidates.
    near, _ = cKDTree(candidates).query(villages, distance_upper_bound=RADIUS_M)
    lonely = np.flatnonzero(~np.isfinite(near))
    candidates[N_CANDIDATES - lonely.size :] = villages[lonely]
    population = rng.integers(50, 2_000, N_VILLAGES).astype(np.float64)
    return villages, candidates, population


def bench_siting(seed: int, skip_spopt: bool) -> None:
    rng = np.random.default_rng(seed)
    villages, candidates, population = siting_case(rng)
    print(
        f"\n== Siting: {N_VILLAGES:,} villages × {N_CANDIDATES} candidates, radius {RADIUS_M / 1000:.0f} km, "
        f"MCLP p = {P_FACILITIES}"
    )
    rows: list[tuple[str, str, float, float, str]] = []
    if not skip_spopt:
        import pulp
        from scipy.spatial.distance import cdist
        from spopt.locate import LSCP, MCLP

        warnings.filterwarnings("ignore")
        distance = cdist(villages, candidates)
        t_build, mclp = timed(
            lambda: MCLP.from_cost_matrix(
                distance, population, service_radius=RADIUS_M, p_facilities=P_FACILITIES
            )
        )
        t_solve, mclp = timed(lambda: mclp.solve(pulp.PULP_CBC_CMD(msg=False)))
        rows.append(
            ("spopt + PuLP/CBC", "MCLP", t_build, t_solve, f"{pulp.value(mclp.problem.objective):,.0f}")
        )
        t_build, lscp = timed(lambda: LSCP.from_cost_matrix(distance, service_radius=RADIUS_M))
        t_solve, lscp = timed(lambda: lscp.solve(pulp.PULP_CBC_CMD(msg=False)))
        rows.append(
            ("spopt + PuLP/CBC", "LSCP", t_build, t_solve, f"{pulp.value(lscp.problem.objective):,.0f}")
        )

    def matrix() -> sp.csr_array:
        hits = cKDTree(villages).sparse_distance_matrix(
            cKDTree(candidates), RADIUS_M, output_type="coo_matrix"
        )
        return sp.csr_array((np.ones(hits.nnz), (hits.row, hits.col)), shape=(N_VILLAGES, N_CANDIDATES))

    t_matrix, coverage = timed(matrix, repeat=3)
    ones = np.ones(N_CANDIDATES)
    t_mclp, mclp_sel = timed(lambda: max_cover(coverage, population, ones, max_sites=P_FACILITIES), repeat=3)
    t_lscp, lscp_sel = timed(lambda: set_cover(coverage, ones), repeat=3)
    rows.append(("coverage_gis (HiGHS)", "MCLP", t_matrix, t_mclp, f"{mclp_sel.objective:,.0f}"))
    rows.append(("coverage_gis (HiGHS)", "LSCP", 0.0, t_lscp, f"{lscp_sel.objective:,.0f}"))
    greedy_m = max_cover(coverage, population, ones, max_sites=P_FACILITIES, solver="greedy")
    greedy_l = set_cover(coverage, ones, solver="greedy")
    rows.append(("greedy fallback", "MCLP", 0.0, 0.0, f"{greedy_m.objective:,.0f} (gap {greedy_m.gap:.2%})"))
    rows.append(("greedy fallback", "LSCP", 0.0, 0.0, f"{greedy_l.objective:,.0f} (gap {greedy_l.gap:.2%})"))
    print(f"{'solver':<22}{'model':<6}{'build s':>9}{'solve s':>9}  objective")
    for name, model, build, solve, objective in rows:
        print(f"{name:<22}{model:<6}{build:>9.3f}{solve:>9.3f}  {objective}")
    print(
        f"coverage_gis both models: {t_matrix + t_mclp + t_lscp:.3f} s (coverage matrix {t_matrix:.3f} s, "
        f"solves include the greedy run and its bound); HiGHS status {mclp_sel.status} / {lscp_sel.status}"
    )


def road_case(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Jittered lattice with some links removed; returns node x, y and edge u, v, length."""
    ij = np.arange(LATTICE * LATTICE).reshape(LATTICE, LATTICE)
    gx, gy = np.meshgrid(np.arange(LATTICE) * SPACING_M, np.arange(LATTICE) * SPACING_M)
    x = (gx + rng.uniform(-0.3, 0.3, gx.shape) * SPACING_M).ravel()
    y = (gy + rng.uniform(-0.3, 0.3, gy.shape) * SPACING_M).ravel()
    u = np.concatenate([ij[:, :-1].ravel(), ij[:-1, :].ravel()])
    v = np.concatenate([ij[:, 1:].ravel(), ij[1:, :].ravel()])
    # Keep the two fiber roads whole so the fiber is one connected network.
    mid = LATTICE // 2
    on_fiber_road = ((u // LATTICE == mid) & (v // LATTICE == mid)) | (
        (u % LATTICE == mid) & (v % LATTICE == mid)
    )
    keep = on_fiber_road | (rng.random(u.size) > DROP_SHARE)
    u, v = u[keep], v[keep]
    length = np.hypot(x[u] - x[v], y[u] - y[v]) * rng.uniform(1.0, 1.3, u.size)  # roads meander
    return x, y, u, v, length


def bench_fiber(seed: int, skip_networkx: bool) -> None:
    rng = np.random.default_rng(seed + 1)
    x, y, u, v, length = road_case(rng)
    n = x.size
    mid = LATTICE // 2
    fiber_nodes = np.unique(
        np.concatenate([mid * LATTICE + np.arange(LATTICE), np.arange(LATTICE) * LATTICE + mid])
    )
    village_nodes = rng.choice(np.setdiff1d(np.arange(n), fiber_nodes), N_FIBER_VILLAGES, replace=False)
    legs = rng.uniform(20.0, 400.0, N_FIBER_VILLAGES)
    print(
        f"\n== Fiber: {n:,}-node road graph ({u.size:,} links), {N_FIBER_VILLAGES} villages, fiber on 2 roads"
    )

    def ours() -> tuple[RoadCSR, object]:
        roads = RoadCSR.from_edges(x, y, u, v, length)
        tree = steiner_connect(
            roads,
            start_nodes=fiber_nodes,
            start_legs_m=np.zeros(fiber_nodes.size),
            terminal_nodes=village_nodes,
            terminal_legs_m=legs,
        )
        return roads, tree

    t_ours, (roads, tree) = timed(ours, repeat=3)
    t_build, _ = timed(lambda: RoadCSR.from_edges(x, y, u, v, length), repeat=3)
    from coverage_gis.planning.fiber import SteinerTree

    assert isinstance(tree, SteinerTree)
    steiner_m = sum(b.length_m for b in tree.branches)
    shared_m = sum(
        float(b.edge_m[users >= 2].sum()) for b, users in zip(tree.branches, tree.edge_users, strict=True)
    )

    from scipy.sparse.csgraph import dijkstra

    t_multi, dist = timed(
        lambda: dijkstra(roads.lengths, directed=False, indices=fiber_nodes, min_only=True), repeat=3
    )
    independent_m = float((np.asarray(dist)[village_nodes] + legs).sum())
    print(f"{'method':<44}{'seconds':>9}  new cable")
    if not skip_networkx:
        import networkx as nx

        def baseline() -> float:
            graph = nx.Graph()
            graph.add_weighted_edges_from(
                zip(u.tolist(), v.tolist(), length.tolist(), strict=True), weight="length"
            )
            fiber = set(fiber_nodes.tolist())
            total = 0.0
            for node, leg in zip(village_nodes.tolist(), legs.tolist(), strict=True):
                lengths = nx.single_source_dijkstra_path_length(graph, node, weight="length")
                total += min(lengths[f] for f in fiber if f in lengths) + leg
            return total

        t_nx, nx_m = timed(baseline)
        print(f"{'networkx: one Dijkstra per village':<44}{t_nx:>9.2f}  {nx_m / 1000:,.1f} km (no sharing)")
    label = "scipy csgraph: one multi-source search"
    print(f"{label:<44}{t_multi:>9.3f}  {independent_m / 1000:,.1f} km (no sharing)")
    print(
        f"{'coverage_gis Steiner (CSR build + routing)':<44}{t_ours:>9.3f}  {steiner_m / 1000:,.1f} km "
        f"({shared_m / 1000:,.1f} km shared trunk; CSR build {t_build:.3f} s)"
    )
    print(
        f"unreachable villages: {tree.unreachable.size}; "
        f"saving from sharing {1 - steiner_m / independent_m:.1%}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--skip-spopt", action="store_true", help="skip the spopt/PuLP reference")
    parser.add_argument("--skip-networkx", action="store_true", help="skip the networkx reference")
    args = parser.parse_args()
    bench_siting(args.seed, args.skip_spopt)
    bench_fiber(args.seed, args.skip_networkx)


if __name__ == "__main__":
    main()
