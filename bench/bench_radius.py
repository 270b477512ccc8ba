"""Benchmark of the radius coverage model at national scale (a script, not a test).

Builds a seeded, **synthetic** national-scale case: 100,000 receivers (village
centres) and 120,000 sites carrying 368,659 cells, in a 330 km × 1,000 km rectangle
(Vietnam's land area, ≈ 331,000 km², in metres), with 63 towns around which sites and
villages cluster and which set the clutter class (urban < 3 km, suburban < 10 km,
rural beyond). It then reports:

1. ``RadiusModel.candidate_pairs`` with sectors, as the toolkit runs it, keeping all
   in-radius pairs (the default) and only the served ones (``keep_unserved=False``):
   wall time and peak memory;
2. the same model with every cell made omni (sectors ignored) next to the plain
   geopandas way, ``sjoin`` of the receiver points with ``cell.buffer(radius)``
   circles (sectors ignored there too, so the two answer the same question), and the
   number of (receiver, cell) pairs on which they disagree. The buffer is a 32-gon
   inscribed in the circle (up to r·(1 - cos(π/32)) ≈ 0.5 % of r short of it, 38 m at
   8 km), so its disagreements are receivers just inside the true radius.

Run: ``.venv/bin/python bench/bench_radius.py [--seed N] [--skip-geopandas]``.
Each measurement runs in a forked child: wall-clock time (``time.perf_counter``, best
of 3 runs for the radius model, one run for geopandas) and the growth of the child's
peak RSS over its starting RSS (so numpy and GEOS allocations both count). The radius
model runs with ``workers=None`` (all CPUs).
"""

from __future__ import annotations

import argparse
import dataclasses
import multiprocessing as mp
import os
import resource
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import TypeVar

import numpy as np
from scipy.spatial import cKDTree

from coverage_gis.models import load_model_settings
from coverage_gis.models.base import CandidatePairs, CellArrays, ReceiverArrays
from coverage_gis.models.radius import RadiusModel

N_RECEIVERS = 100_000
N_SITES = 120_000
N_CELLS = 368_659
WIDTH_M = 330_000.0
HEIGHT_M = 1_000_000.0
N_TOWNS = 63
X0_M, Y0_M = 200_000.0, 950_000.0  # roughly where Vietnam sits in UTM 48N/49N

T = TypeVar("T")
U = TypeVar("U")


def synthetic_case(seed: int) -> tuple[ReceiverArrays, CellArrays]:
    """The seeded synthetic national case (see the module docstring)."""
    rng = np.random.default_rng(seed)
    towns = np.column_stack(
        [X0_M + rng.uniform(0, WIDTH_M, N_TOWNS), Y0_M + rng.uniform(0, HEIGHT_M, N_TOWNS)]
    )

    def points(n: int, clustered_share: float, spread_m: float) -> np.ndarray:
        n_cl = int(n * clustered_share)
        around = towns[rng.integers(0, N_TOWNS, n_cl)] + rng.normal(0, spread_m, (n_cl, 2))
        uniform = np.column_stack(
            [
                X0_M + rng.uniform(0, WIDTH_M, n - n_cl),
                Y0_M + rng.uniform(0, HEIGHT_M, n - n_cl),
            ]
        )
        return np.vstack([around, uniform])

    receivers_xy = points(N_RECEIVERS, 0.10, 6_000.0)
    sites_xy = points(N_SITES, 0.40, 4_000.0)
    town_dist, _ = cKDTree(towns).query(sites_xy)
    site_env = np.where(town_dist < 3_000, "urban", np.where(town_dist < 10_000, "suburban", "rural"))
    site_tech = rng.choice(["2G", "3G", "4G", "5G"], N_SITES, p=[0.25, 0.12, 0.55, 0.08])
    site_rotation = rng.uniform(0, 120, N_SITES)
    site_height = rng.uniform(20, 45, N_SITES)

    # Three sectors on every site, the remaining cells as a second layer on random sites.
    extra_sites = rng.choice(N_SITES, N_CELLS - 3 * N_SITES, replace=False)
    cell_site = np.concatenate([np.repeat(np.arange(N_SITES), 3), extra_sites])
    sector = np.concatenate([np.tile([0, 1, 2], N_SITES), rng.integers(0, 3, extra_sites.size)])
    tech = site_tech[cell_site].astype("<U8")
    extra = np.arange(3 * N_SITES, N_CELLS)
    tech[extra] = rng.choice(["2G", "3G", "4G", "5G"], extra.size, p=[0.3, 0.2, 0.3, 0.2])
    azimuth = np.mod(site_rotation[cell_site] + 120.0 * sector, 360.0)
    azimuth[rng.random(N_CELLS) < 0.03] = np.nan  # 3 % omni cells
    band = np.select([tech == "2G", tech == "3G", tech == "4G"], [900.0, 2100.0, 1800.0], default=3500.0)
    cells = CellArrays(
        x_m=sites_xy[cell_site, 0].copy(),
        y_m=sites_xy[cell_site, 1].copy(),
        tech=tech,
        band_mhz=band,
        azimuth_deg=azimuth,
        beamwidth_deg=np.full(N_CELLS, 65.0),
        eirp_dbm=np.where(tech == "5G", 70.0, 60.0),
        tilt_deg=np.full(N_CELLS, 4.0),
        height_m=site_height[cell_site],
        environment=site_env[cell_site].astype("<U8"),
    )
    receivers = ReceiverArrays(x_m=receivers_xy[:, 0].copy(), y_m=receivers_xy[:, 1].copy())
    return receivers, cells


def _rss_mib() -> float:
    with open("/proc/self/statm", encoding="ascii") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _child(fn: Callable[[], T], summarize: Callable[[T], U], repeat: int, conn: Connection) -> None:
    base = _rss_mib()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
        if len(times) < repeat:
            del result
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 - base
    conn.send((summarize(result), min(times), peak))
    conn.close()


def measure(fn: Callable[[], T], summarize: Callable[[T], U], *, repeat: int = 1) -> tuple[U, float, float]:
    """``summarize(fn())``, best wall seconds of ``repeat`` runs of ``fn``, peak RSS growth (MiB).

    Runs in a forked child so the peak RSS is this call's alone (GEOS and numpy
    allocations included, which tracemalloc would miss for GEOS); the summary is
    computed after the timing.
    """
    ctx = mp.get_context("fork")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(fn, summarize, repeat, child))
    proc.start()
    summary, seconds, peak = parent.recv()
    proc.join()
    return summary, seconds, peak


def distinct(values: np.ndarray) -> np.ndarray:
    """Sorted distinct values (np.unique is pathologically slow on large arrays in numpy 2.4)."""
    ordered = np.sort(values)
    return ordered[np.append(True, np.diff(ordered) != 0)] if ordered.size else ordered


def served_keys(pairs: CandidatePairs, n_cells: int) -> np.ndarray:
    return distinct(pairs.receiver[pairs.served] * n_cells + pairs.cell[pairs.served])


def counts(pairs: CandidatePairs) -> tuple[int, int, int]:
    return len(pairs), int(pairs.served.sum()), int(distinct(pairs.receiver[pairs.served]).size)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=20250101)
    parser.add_argument("--skip-geopandas", action="store_true")
    args = parser.parse_args()

    receivers, cells = synthetic_case(args.seed)
    model = RadiusModel(load_model_settings())
    print(
        f"synthetic case: {len(receivers):,} receivers, {N_SITES:,} sites, {len(cells):,} cells, "
        f"{WIDTH_M / 1000:.0f} km x {HEIGHT_M / 1000:.0f} km; cpus={os.cpu_count()}"
    )

    (n_pairs, n_served, n_covered), seconds, peak = measure(
        lambda: model.candidate_pairs(receivers, cells), counts, repeat=3
    )
    print(
        f"radius model, sectors, all in-radius pairs: {seconds:6.2f} s  peak +{peak:5.0f} MiB  "
        f"{n_pairs:,} candidate pairs, {n_served:,} served, {n_covered:,} receivers covered"
    )
    (n_pairs, _, _), seconds, peak = measure(
        lambda: model.candidate_pairs(receivers, cells, keep_unserved=False), counts, repeat=3
    )
    print(
        f"radius model, sectors, served pairs only:   {seconds:6.2f} s  peak +{peak:5.0f} MiB  "
        f"{n_pairs:,} pairs"
    )

    omni = dataclasses.replace(cells, azimuth_deg=np.full(len(cells), np.nan))
    ours, seconds, peak = measure(
        lambda: model.candidate_pairs(receivers, omni, keep_unserved=False),
        lambda pairs: served_keys(pairs, len(cells)),
        repeat=3,
    )
    print(
        f"radius model, omni (sectors ignored):       {seconds:6.2f} s  peak +{peak:5.0f} MiB  "
        f"{ours.size:,} served pairs"
    )
    if args.skip_geopandas:
        return

    import geopandas as gpd

    radius = model.max_range_m(cells)

    def geopandas_way() -> gpd.GeoDataFrame:
        points = gpd.GeoDataFrame(geometry=gpd.points_from_xy(receivers.x_m, receivers.y_m))
        circles = gpd.GeoDataFrame(geometry=gpd.points_from_xy(cells.x_m, cells.y_m).buffer(radius))
        return gpd.sjoin(points, circles, how="inner", predicate="within")

    def joined_keys(joined: gpd.GeoDataFrame) -> np.ndarray:
        return distinct(
            joined.index.to_numpy(np.int64) * len(cells) + joined["index_right"].to_numpy(np.int64)
        )

    theirs, seconds, peak = measure(geopandas_way, joined_keys)
    only_ours = np.setdiff1d(ours, theirs, assume_unique=True)
    only_theirs = np.setdiff1d(theirs, ours, assume_unique=True)
    recv = only_ours // len(cells)
    cell = only_ours % len(cells)
    dist = np.hypot(receivers.x_m[recv] - cells.x_m[cell], receivers.y_m[recv] - cells.y_m[cell])
    slack = radius[cell] - dist
    print(
        f"geopandas sjoin of buffers (omni):          {seconds:6.2f} s  peak +{peak:5.0f} MiB  "
        f"{theirs.size:,} served pairs"
    )
    print(
        f"disagreements: {only_ours.size + only_theirs.size:,} pairs "
        f"({only_ours.size:,} only in the radius model, {only_theirs.size:,} only in sjoin); "
        f"the radius-model-only pairs lie {slack.min() if slack.size else 0:.2f}–"
        f"{slack.max() if slack.size else 0:.2f} m inside the circle"
    )


if __name__ == "__main__":
    main()
