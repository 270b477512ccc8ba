"""Benchmark of the terrain engine on the shared synthetic DEM (issue 18).

Run from the repository root::

    .venv/bin/python bench/bench_terrain.py [--repeat 3] [--profiles 1000] [--radii 10,25,50]
                                            [--methods delta_bullington,itm] [--skip-demo] [--stages]

The DEM is the seeded synthetic SRTM 1″ block of ``../shared/tools/make_dem.py`` (lon
108–110 E, lat 13–15 N), written once into ``$COVGIS_BENCH_DEM`` (default
``~/.cache/coverage-gis/synthetic-dem``; never committed). The test site is at 14.45 N,
108.65 E: one omni cell, 30 m antenna, 1800 MHz, 40 W ERP (48.17 dBm EIRP), receiver
1.5 m, rural; the raster is the received power (no planning margin, no
reference-signal offset) in dBm per 30 m pixel over the square of side 2R around the
site, in UTM 49N, computed for every pixel of the disc of radius R.

What is timed (each radius and method in a fresh child process):

* **call** — ``signal_raster`` + ``write_signal_geotiff`` on a new ``TerrainModel``
  (so the DEM window is read and every profile computed; the per-site cache is off)
  inside a running process whose kernels are loaded: what a server pays per site.
  "first" is the first call of the process (it also loads the compiled kernels),
  "warm" the median of ``--repeat`` more.
* **CPU** — the process's CPU time over all threads of a warm call (a figure a busy,
  shared machine disturbs less than the wall time; the goals are wall times).
* **process** — the child's wall time from start to exit (interpreter, imports,
  kernels, one call).
* **peak RSS** of the child (``ru_maxrss``: the whole process, numba/LLVM included)
  over the single calls, then again after four concurrent calls on one shared model
  (10 and 25 km), and the **tracemalloc** peak of one warm call (numpy arrays).
* **deterministic** — SHA-256 of the raster over all calls, with 1 and with all
  threads, and from 4 threads calling one shared model at once.
* **stages** (``--stages``) — where a warm call's CPU time goes, median of ``--repeat``
  calls: the DEM window (read and lattice) with the server plan, the radial grids (the
  compiled radial pass), the composition (best server per pixel from the grids: lookup
  and levels) and the GeoTIFF; process CPU over all threads, like "CPU" above.

Then ITM against the reference implementation (itmlogic, pure Python), measured in the
same run: ``--profiles`` random profiles of the DEM (random transmitter in the block,
random bearing, 1–50 km, 30 m steps), the same profile arrays given to both; and the
radial pass's ITM (Δh interpolated between scheduled receivers) against the exact
point-to-point ITM on the same radial profiles; the raster's terrain loss (radial
grid, bilinear between evaluated samples) against each point's own profile at 4,000
random points within 25 km, for each method. Last, the Bình Định demo:
``covgis compute WS --model terrain`` (whole command, and the compute step it reports).
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import math
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
MAKE_DEM = REPO.parent / "shared" / "tools" / "make_dem.py"
SITE_LON, SITE_LAT = 108.65, 14.45
METRIC = "EPSG:32649"
EIRP_DBM = 10.0 * math.log10(40.0 * 1000.0) + 2.15  # 40 W ERP -> 48.17 dBm EIRP
#: Issue 18's figures for Signal-Server (ITM, 30 m, two threads) on the same machine kind.
SIGNAL_SERVER_S = {10: "2.1", 25: "6.3", 50: "~50"}
SIGNAL_SERVER_MB = "1300"
GOAL_S = {10: 0.2, 25: 0.6, 50: 5.0}


def dem_dir() -> Path:
    """The synthetic DEM's folder, generated on first use."""
    root = Path(os.environ.get("COVGIS_BENCH_DEM", Path.home() / ".cache" / "coverage-gis" / "synthetic-dem"))
    if not (root / "hgt1" / "N14E108.hgt").is_file():
        root.mkdir(parents=True, exist_ok=True)
        print(f"generating the synthetic DEM into {root} (once) ...", flush=True)
        subprocess.run([sys.executable, str(MAKE_DEM), str(root)], check=True, stdout=subprocess.DEVNULL)
    return root / "hgt1"


def bench_settings(method: str, radius_m: float):  # type: ignore[no-untyped-def]
    """Shipped settings with the bench's link budget: received power, reach capped at R."""
    from coverage_gis.models import load_model_settings

    base = load_model_settings()
    zero = dict.fromkeys(("2G", "3G", "4G", "5G"), 0.0)
    # A threshold far below any level makes every cell reach R (max_range_m): the raster
    # covers the whole disc, as Signal-Server's does, not only where -110 dBm is met.
    floor = dict.fromkeys(("2G", "3G", "4G", "5G"), -300.0)
    return dataclasses.replace(
        base,
        threshold_dbm=floor,
        pathloss=dataclasses.replace(
            base.pathloss, margin_db=0.0, reference_signal_offset_db=zero, max_range_m=radius_m
        ),
        terrain=dataclasses.replace(base.terrain, method=method),
    )


def test_cell():  # type: ignore[no-untyped-def]
    from coverage_gis.crs import lonlat_to_metric
    from coverage_gis.models.base import CellArrays

    x, y = lonlat_to_metric(np.array([SITE_LON]), np.array([SITE_LAT]), METRIC)

    def col(v: float) -> np.ndarray:
        return np.array([v], dtype=np.float64)

    cells = CellArrays(
        x,
        y,
        np.array(["4G"]),
        col(1800.0),
        col(np.nan),
        col(360.0),
        col(EIRP_DBM),
        col(0.0),
        col(30.0),
        np.array(["rural"]),
    )
    return cells, float(x[0]), float(y[0])


# ----------------------------------------------------------------------------- child: one raster case


def stage_cpu(settings, dem: Path, cells, bounds, out: Path, repeat: int) -> dict[str, float]:  # type: ignore[no-untyped-def]
    """Median CPU seconds of each stage of a warm call (see the module docstring)."""
    from coverage_gis.models.terrain import TerrainModel
    from coverage_gis.terrain.raster import signal_raster, write_signal_geotiff

    runs: dict[str, list[float]] = {"dem_plan": [], "radial_grids": [], "compose": [], "geotiff": []}
    for _ in range(max(repeat, 1)):
        # The per-site cache on: the composition below then reads the grid just computed.
        model = TerrainModel(settings, dem, METRIC)
        c0 = time.process_time()
        plan = model.server_plan(cells)
        reach = float(plan.site_reach.max()) + settings.terrain.step_m
        x, y = float(plan.sites.x_m[0]), float(plan.sites.y_m[0])
        model.engine.sampler((x - reach, y - reach, x + reach, y + reach))
        c1 = time.process_time()
        plan.grids(np.arange(len(plan.sites)))
        c2 = time.process_time()
        raster = signal_raster(model, cells, bounds)
        c3 = time.process_time()
        write_signal_geotiff(raster, out)
        c4 = time.process_time()
        for key, value in zip(runs, (c1 - c0, c2 - c1, c3 - c2, c4 - c3), strict=True):
            runs[key].append(value)
    return {key: statistics.median(values) for key, values in runs.items()}


def child(method: str, radius_km: int, repeat: int, dem: Path, stages: bool = False) -> None:
    start = time.perf_counter()
    from coverage_gis.models.terrain import TerrainModel
    from coverage_gis.terrain.raster import signal_raster, write_signal_geotiff

    radius = radius_km * 1000.0
    settings = bench_settings(method, radius)
    cells, x, y = test_cell()
    bounds = (x - radius, y - radius, x + radius, y + radius)
    out = Path(tempfile.mkdtemp()) / "signal.tif"

    cpu: list[float] = []

    def one(workers: int | None = None) -> tuple[float, str, tuple[int, int], float]:
        t = time.perf_counter()
        c = time.process_time()
        model = TerrainModel(settings, dem, METRIC, workers=workers, cache_bytes=0)
        raster = signal_raster(model, cells, bounds)
        write_signal_geotiff(raster, out)
        elapsed = time.perf_counter() - t
        cpu.append(time.process_time() - c)
        digest = hashlib.sha256(raster.signal_dbm.tobytes()).hexdigest()[:16]
        served = float(np.mean(raster.signal_dbm >= -110.0))
        return elapsed, digest, raster.shape, served

    first, h0, shape, served = one()
    process_s = time.perf_counter() - start
    warm, hashes, failures = [], {h0}, 0
    for _ in range(repeat):
        try:
            elapsed, h, _, _ = one()
            warm.append(elapsed)
            hashes.add(h)
        except Exception:  # a crash is what we count, not what we hide
            failures += 1
    tracemalloc.start()
    one()
    _, traced = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    hashes.add(one(workers=1)[1])
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    # Four threads on one shared model at once (the tile server's case).
    shared = TerrainModel(settings, dem, METRIC, cache_bytes=0)
    results: list[str] = []

    def render() -> None:
        r = signal_raster(shared, cells, bounds)
        results.append(hashlib.sha256(r.signal_dbm.tobytes()).hexdigest()[:16])

    threads = [threading.Thread(target=render) for _ in range(4)] if radius_km <= 25 else []
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    failures += len(threads) - len(results)
    hashes.update(results)
    print(
        json.dumps(
            {
                "first_s": first,
                "warm_s": statistics.median(warm) if warm else first,
                "warm_cpu_s": statistics.median(cpu[1 : 1 + len(warm)]) if warm else cpu[0],
                "process_s": process_s,
                "rss_mb": rss_mb,
                "rss_threads_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
                "threads": len(threads),
                "traced_mb": traced / 2**20,
                "hashes": sorted(hashes),
                "failures": failures,
                "pixels": shape[0] * shape[1],
                "served_pct": 100.0 * served,
                # Last: the peak RSS figures above are read before these calls run.
                "stages": stage_cpu(settings, dem, cells, bounds, out, repeat) if stages else {},
            }
        )
    )


# ----------------------------------------------------------------------------- ITM vs itmlogic


def itmlogic_loss_db(z: np.ndarray, step: float, hg0: float, hg1: float, f_mhz: float, itm) -> float:  # type: ignore[no-untyped-def]
    """Median loss from itmlogic, set up as its point-to-point runner does (climate, ground: ``itm``)."""
    from itmlogic.preparatory_subroutines.qlrpfl import qlrpfl
    from itmlogic.statistics.avar import avar

    prop: dict[str, object] = {
        "pfl": [len(z) - 1, step, *map(float, z)],
        "hg": [hg0, hg1],
        "fmhz": f_mhz,
        "ipol": 1 if itm.polarization == "vertical" else 0,
        "eps": itm.ground_permittivity,
        "sgm": itm.ground_conductivity_s_per_m,
        "klim": itm.climate_code,
        "ens0": itm.surface_refractivity_n,
        "ens": itm.surface_refractivity_n,
        "lvar": 5,
        "gma": 157e-9,
        "kwx": 0,
        "wn": f_mhz / 47.7,
        "klimx": 0,
        "mdvarx": 11,
    }
    prop["gme"] = 157e-9 * (1 - 0.04665 * math.exp(itm.surface_refractivity_n / 179.3))
    zq = complex(itm.ground_permittivity, 376.62 * itm.ground_conductivity_s_per_m / (f_mhz / 47.7))
    zgnd = np.sqrt(zq - 1)
    prop["zgnd"] = zgnd / zq if prop["ipol"] else zgnd
    prop = qlrpfl(prop)
    fs = 8.685890 * np.log(2 * prop["wn"] * prop["dist"])
    a, _ = avar(0.0, 0.0, 0.0, prop)
    return float(fs + a)


def itm_validation(dem: Path, n_profiles: int) -> dict[str, float]:
    from coverage_gis.crs import lonlat_to_metric
    from coverage_gis.models import load_model_settings
    from coverage_gis.terrain._itm import itm_parameters, profile_itm_db
    from coverage_gis.terrain._sampling import ground_at_points, path_profile
    from coverage_gis.terrain.dem import MetricSampler, open_dem

    itm = load_model_settings().terrain.itm
    params = itm_parameters(itm)
    rng = np.random.default_rng(18)
    source = open_dem(dem)
    lon = rng.uniform(108.05, 109.95, n_profiles)
    lat = rng.uniform(13.05, 14.95, n_profiles)
    x0, y0 = lonlat_to_metric(lon, lat, METRIC)
    dist = rng.uniform(1000.0, 50_000.0, n_profiles)
    bearing = rng.uniform(0.0, 2.0 * math.pi, n_profiles)
    x1, y1 = x0 + dist * np.sin(bearing), y0 + dist * np.cos(bearing)
    ours, ref, t_ours, t_ref = [], [], 0.0, 0.0
    for i in range(n_profiles):
        box = (min(x0[i], x1[i]), min(y0[i], y1[i]), max(x0[i], x1[i]), max(y0[i], y1[i]))
        s = MetricSampler.for_bounds(source, METRIC, (box[0] - 100, box[1] - 100, box[2] + 100, box[3] + 100))
        n = math.ceil(dist[i] / 30.0)
        z = np.empty(n + 1)
        args = s.kernel_args()
        ends = np.empty(2)
        ground_at_points(np.array([x0[i], x1[i]]), np.array([y0[i], y1[i]]), *args, ends)
        ends = np.nan_to_num(ends, nan=0.0)
        path_profile(x0[i], y0[i], x1[i], y1[i], n, ends[0], ends[1], *args, z)
        step = dist[i] / n
        t = time.perf_counter()
        ours.append(profile_itm_db(z, step, 30.0, 1.5, 1800.0, params))
        t_ours += time.perf_counter() - t
        t = time.perf_counter()
        ref.append(itmlogic_loss_db(z, step, 30.0, 1.5, 1800.0, itm))
        t_ref += time.perf_counter() - t
    diff = np.abs(np.array(ours) - np.array(ref))
    return {
        "n": n_profiles,
        "median_db": float(np.median(diff)),
        "p95_db": float(np.percentile(diff, 95)),
        "max_db": float(diff.max()),
        "over_1db": int((diff > 1.0).sum()),
        "ours_us": 1e6 * t_ours / n_profiles,
        "itmlogic_ms": 1e3 * t_ref / n_profiles,
    }


def radial_itm_error(dem: Path, radius_km: int = 25, samples: int = 4000) -> dict[str, float]:
    """The radial pass's ITM (Δh interpolated) against exact point-to-point ITM on its own radials."""
    from coverage_gis.models.terrain import TerrainModel
    from coverage_gis.terrain._itm import itm_parameters, profile_itm_db
    from coverage_gis.terrain._sampling import radial_ground

    settings = bench_settings("itm", radius_km * 1000.0)
    cells, x, y = test_cell()
    model = TerrainModel(settings, dem, METRIC, cache_bytes=0)
    sites, _ = model._sites(cells)
    grid = model.engine.radial_grids(sites, np.array([radius_km * 1000.0]), 1.5)[0]
    params = itm_parameters(settings.terrain.itm)
    # The radials' heights, as the radial pass samples them (the grid keeps the
    # evaluated samples' only).
    n_radials, n_samples = grid.n_radials, grid.level_of_sample.size
    reach = grid.radius_m + grid.step_m
    args = model.engine.sampler((x - reach, y - reach, x + reach, y + reach)).kernel_args()
    rng = np.random.default_rng(7)
    diffs = []
    profile = np.empty(n_samples)
    while len(diffs) < samples:
        a, k = int(rng.integers(0, n_radials)), int(rng.integers(2, n_samples))
        span = 1 << int(grid.level_of_sample[k])
        if a % span:
            continue  # radial a is not evaluated at sample k
        theta = 2.0 * math.pi * a / n_radials
        radial_ground(x, y, grid.ground_m, math.sin(theta), math.cos(theta), grid.step_m, *args, profile)
        exact = profile_itm_db(profile[: k + 1].copy(), grid.step_m, 30.0, 1.5, 1800.0, params)
        got = float(grid.values[grid.ring_row[k] + a // span, 0])
        diffs.append(abs(exact - got))
    d = np.array(diffs)
    return {"median_db": float(np.median(d)), "p95_db": float(np.percentile(d, 95)), "max_db": float(d.max())}


def raster_accuracy(dem: Path, method: str, radius_km: int, points: int = 4000) -> dict[str, float]:
    """The raster's terrain loss (radial grid, bilinear) against each point's own profile."""
    from coverage_gis.models.terrain import TerrainModel

    radius = radius_km * 1000.0
    settings = bench_settings(method, radius)
    cells, x, y = test_cell()
    model = TerrainModel(settings, dem, METRIC, cache_bytes=0)
    sites, _ = model._sites(cells)
    rng = np.random.default_rng(5)
    dist = radius * np.sqrt(rng.uniform(0.0004, 1.0, points))
    bearing = rng.uniform(0.0, 2.0 * math.pi, points)
    dx, dy = dist * np.sin(bearing), dist * np.cos(bearing)
    ground = model.ground_m(x + dx, y + dy)
    exact = model.engine.pair_loss_db(sites, np.zeros(points, dtype=np.int64), x + dx, y + dy, ground, 1.5)
    grid = model.engine.radial_grids(sites, np.array([radius]), 1.5)[0]
    d = np.abs(grid.lookup(dx, dy)[0] - exact)
    return {"median_db": float(np.median(d)), "p95_db": float(np.percentile(d, 95)), "max_db": float(d.max())}


# ----------------------------------------------------------------------------- demo


def demo_timing() -> dict[str, float]:
    covgis = Path(sys.executable).with_name("covgis")
    with tempfile.TemporaryDirectory() as tmp:
        ws = Path(tmp) / "ws"
        subprocess.run(
            [str(covgis), "demo", str(ws), "--province", "binh-dinh"], check=True, capture_output=True
        )
        runs = []
        for _ in range(2):
            t = time.perf_counter()
            done = subprocess.run(
                [str(covgis), "compute", str(ws), "--model", "terrain"],
                check=True,
                capture_output=True,
                text=True,
            )
            whole = time.perf_counter() - t
            step = re.search(r"in ([0-9.]+) s", done.stdout + done.stderr)
            runs.append((whole, float(step[1]) if step else math.nan))
    return {
        "first_whole_s": runs[0][0],
        "first_step_s": runs[0][1],
        "whole_s": runs[1][0],
        "step_s": runs[1][1],
    }


# ----------------------------------------------------------------------------- main


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=3, help="warm calls per case (median reported)")
    parser.add_argument("--profiles", type=int, default=1000, help="random profiles for the ITM comparison")
    parser.add_argument("--radii", default="10,25,50", help="raster radii, km")
    parser.add_argument("--methods", default="delta_bullington,itm")
    parser.add_argument("--skip-demo", action="store_true")
    parser.add_argument("--stages", action="store_true", help="also time each stage of a warm call (CPU)")
    parser.add_argument("--child", nargs=2, metavar=("METHOD", "RADIUS_KM"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    dem = dem_dir()
    if args.child:
        child(args.child[0], int(args.child[1]), args.repeat, dem, args.stages)
        return 0

    print(f"machine: {os.cpu_count()} CPUs; DEM: {dem}")
    rows = []
    for method in args.methods.split(","):
        for radius in (int(r) for r in args.radii.split(",")):
            done = subprocess.run(
                [sys.executable, __file__, "--child", method, str(radius), "--repeat", str(args.repeat)]
                + (["--stages"] if args.stages else []),
                check=True,
                capture_output=True,
                text=True,
                env={**os.environ, "PYTHONHASHSEED": "0"},
            )
            rows.append((method, radius, json.loads(done.stdout.strip().splitlines()[-1])))
    header = (
        "| method | radius | pixels | first call s | warm call s | warm call CPU s | process s | goal s "
        "| Signal-Server s | peak RSS MB (4 threads) | traced MB | ≥ −110 dBm | raster hash | failures |"
    )
    print()
    print(header)
    print("|" + "---|" * (header.count("|") - 1))
    for method, radius, r in rows:
        same = "identical" if len(r["hashes"]) == 1 else f"DIFFERS ({len(r['hashes'])})"
        rss = f"{r['rss_mb']:.0f}" + (f" ({r['rss_threads_mb']:.0f})" if r["threads"] else "")
        print(
            f"| {method} | {radius} km | {r['pixels']:,} | {r['first_s']:.2f} | {r['warm_s']:.3f} | "
            f"{r['warm_cpu_s']:.2f} | {r['process_s']:.2f} | ≤ {GOAL_S.get(radius, float('nan')):g} | "
            f"{SIGNAL_SERVER_S.get(radius, '?')} | {rss} | "
            f"{r['traced_mb']:.0f} | {r['served_pct']:.1f} % | {same} {r['hashes'][0]} | "
            f"{r['failures']} |"
        )
    if args.stages:
        print(
            "\n| method | radius | DEM window + plan CPU s | radial grids CPU s "
            "| composition CPU s | GeoTIFF CPU s |"
        )
        print("|---|---|---|---|---|---|")
        for method, radius, r in rows:
            st = r["stages"]
            print(
                f"| {method} | {radius} km | {st['dem_plan']:.3f} | {st['radial_grids']:.3f} | "
                f"{st['compose']:.3f} | {st['geotiff']:.3f} |"
            )
    print(
        f"\nSignal-Server (issue 18, not run here): peak {SIGNAL_SERVER_MB} MB, "
        "crashes in ~1/4 of threaded runs."
    )

    if args.profiles:
        v = itm_validation(dem, args.profiles)
        print(
            f"\nITM vs itmlogic on {v['n']} random profiles of the DEM (1800 MHz, 30 m / 1.5 m): |Δ| median "
            f"{v['median_db']:.3f} dB, p95 {v['p95_db']:.3f} dB, max {v['max_db']:.2f} dB, "
            f"{v['over_1db']} over 1 dB; "
            f"{v['ours_us']:.0f} µs per profile here, {v['itmlogic_ms']:.1f} ms in itmlogic"
        )
        e = radial_itm_error(dem)
        print(
            "radial ITM (Δh interpolated) vs point-to-point ITM on its radials: "
            f"|Δ| median {e['median_db']:.3f} dB, "
            f"p95 {e['p95_db']:.3f} dB, max {e['max_db']:.2f} dB"
        )
    for method in args.methods.split(","):
        a = raster_accuracy(dem, method, 25)
        print(
            f"raster terrain loss ({method}, 25 km, radial grid) vs each point's own profile on 4,000 random "
            f"points: |Δ| median {a['median_db']:.3f} dB, p95 {a['p95_db']:.2f} dB, max {a['max_db']:.1f} dB"
        )
    if not args.skip_demo:
        d = demo_timing()
        print(
            f"\nBình Định demo, covgis compute --model terrain: whole command {d['whole_s']:.2f} s, "
            "compute step "
            f"{d['step_s']:.2f} s (first run after install, kernels loaded from the disk cache or compiled: "
            f"{d['first_whole_s']:.2f} s / {d['first_step_s']:.2f} s)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
