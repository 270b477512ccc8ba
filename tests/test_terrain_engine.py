"""The terrain engine: per-site cache, radial grids against point-to-point pairs, rasters, GeoTIFFs.

DEM: synthetic Gaussian hills (EPSG:32649, 30 m pixels) written into tmp_path.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
import rasterio

from coverage_gis.models import load_model_settings
from coverage_gis.models.base import CellArrays
from coverage_gis.models.terrain import TerrainModel
from coverage_gis.terrain.cache import SiteCache, SiteKey
from coverage_gis.terrain.engine import RadialGrid, radial_layout, ring_rows
from coverage_gis.terrain.raster import signal_raster, write_signal_geotiff
from tests.test_models_radius import NAN, make_cells, make_receivers
from tests.test_models_terrain import METRIC, X0, Y0, write_dem


@pytest.fixture(scope="module")
def hills(tmp_path_factory: pytest.TempPathFactory) -> Path:
    rng = np.random.default_rng(11)
    n = 400  # 12 km square, 30 m pixels, from X0 - 6 km
    centres = np.arange(n) * 30.0 + 15.0 - 6000.0
    xx, yy = np.meshgrid(centres, centres[::-1])
    heights = np.full((n, n), 20.0)
    for _ in range(10):
        cx, cy = rng.uniform(-5000, 5000, 2)
        heights += rng.uniform(40, 250) * np.exp(
            -((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * rng.uniform(300, 1500) ** 2)
        )
    return write_dem(
        tmp_path_factory.mktemp("hills") / "hills.tif",
        heights,
        west=X0 - 6000.0,
        north=Y0 + 6000.0,
        pixel=30.0,
        crs=METRIC,
    )


def model_for(dem: Path, method: str = "delta_bullington", **kw: object) -> TerrainModel:
    base = load_model_settings()
    # Hata's open-area correction for rural cells: reaches of several km, so the radial
    # grids and pair paths below cross the synthetic hills.
    settings = dataclasses.replace(
        base,
        terrain=dataclasses.replace(base.terrain, method=method),
        pathloss=dataclasses.replace(base.pathloss, cost231_rural_correction="open_area"),
    )
    return TerrainModel(settings, dem, METRIC, **kw)  # type: ignore[arg-type]


def three_sites() -> CellArrays:
    return make_cells(
        [(X0, Y0), (X0 + 2500.0, Y0 + 1000.0), (X0 - 2000.0, Y0 - 1500.0)], tech="4G", environment="rural"
    )


def grid_receivers(step: float = 400.0) -> tuple[np.ndarray, np.ndarray]:
    g = np.arange(-5000.0, 5001.0, step)
    gx, gy = np.meshgrid(X0 + g, Y0 + g)
    return gx.ravel(), gy.ravel()


def count_profiles(model: TerrainModel) -> list[set[tuple[float, float]]]:
    """Wrap the engine so each batch records the sites it drew profiles from."""
    calls: list[set[tuple[float, float]]] = []
    original = model.engine._compute_pairs

    def spy(sites, site_index, *args):  # type: ignore[no-untyped-def]
        calls.append({(float(sites.x_m[i]), float(sites.y_m[i])) for i in np.unique(site_index)})
        return original(sites, site_index, *args)

    model.engine._compute_pairs = spy  # type: ignore[method-assign]
    return calls


def test_a_site_edit_recomputes_that_site_only(hills: Path) -> None:
    model = model_for(hills, workers=1)
    calls = count_profiles(model)
    from coverage_gis.models.base import ReceiverArrays

    receivers = ReceiverArrays(*grid_receivers())
    cells = three_sites()
    before = model.candidate_pairs(receivers, cells)
    assert len(calls) == 1
    assert len(calls[0]) == 3
    # Same network again: everything from the cache.
    again = model.candidate_pairs(receivers, cells)
    assert len(calls) == 1
    np.testing.assert_array_equal(again.signal_dbm, before.signal_dbm)
    # Azimuth, tilt and EIRP do not enter the terrain loss: still nothing to draw.
    turned = dataclasses.replace(
        cells, azimuth_deg=np.array([0.0, 120.0, 240.0]), eirp_dbm=cells.eirp_dbm - 3.0
    )
    model.candidate_pairs(receivers, turned)
    assert len(calls) == 1
    # Moving one site draws that site's profiles only.
    moved = dataclasses.replace(cells, x_m=cells.x_m + np.array([0.0, 300.0, 0.0]))
    after = model.candidate_pairs(receivers, moved)
    assert calls[1] == {(X0 + 2800.0, Y0 + 1000.0)}
    # ... and equals a fresh model's answer.
    fresh = model_for(hills, workers=1).candidate_pairs(receivers, moved)
    np.testing.assert_array_equal(after.signal_dbm, fresh.signal_dbm)


@pytest.mark.parametrize("method", ["delta_bullington", "itm"])
def test_radial_grid_samples_equal_point_to_point_pairs(hills: Path, method: str) -> None:
    # Radial 0 points north and is evaluated at every sample: a receiver exactly on one
    # of its samples has the very same profile as its own point-to-point path.
    model = model_for(hills, method, workers=1)
    cells = make_cells([(X0 + 100.0, Y0 - 200.0)], tech="4G", environment="rural")
    k = np.array([20, 57, 101, 115])
    x = np.full(k.size, X0 + 100.0)
    y = Y0 - 200.0 + 30.0 * k
    best, best_cell = model.best_signal_at(x, y, cells)
    pairs = model.candidate_pairs(make_receivers(list(zip(x, y, strict=True))), cells)
    order = np.argsort(pairs.receiver)
    assert best_cell.tolist() == [0, 0, 0, 0]
    # ITM's radial pass interpolates Δh between receivers where it is not computed.
    np.testing.assert_allclose(best, pairs.signal_dbm[order], atol=1e-6 if method != "itm" else 1.5)


def test_raster_best_server_and_geotiff(hills: Path, tmp_path: Path) -> None:
    model = model_for(hills)
    cells = three_sites()
    bounds = (X0 - 3000.0, Y0 - 3000.0, X0 + 3000.0, Y0 + 3000.0)
    raster = signal_raster(model, cells, bounds, pixel_m=60.0)
    assert raster.shape == (100, 100)
    singles = np.stack(
        [signal_raster(model, cells.take(np.array([i])), bounds, pixel_m=60.0).signal_dbm for i in range(3)]
    )
    filled = np.where(np.isnan(singles), -np.inf, singles)
    np.testing.assert_array_equal(
        raster.signal_dbm, np.where(np.isneginf(filled.max(0)), np.nan, filled.max(0))
    )
    reached = np.isfinite(raster.signal_dbm)
    np.testing.assert_array_equal(raster.best_cell[reached], filled.argmax(0)[reached])
    assert (raster.best_cell[~reached] == -1).all()
    path = write_signal_geotiff(raster, tmp_path / "signal.tif")
    with rasterio.open(path) as src:
        assert src.crs.to_string() == METRIC
        assert src.transform == raster.transform
        assert src.compression == rasterio.enums.Compression.zstd
        np.testing.assert_array_equal(src.read(1), raster.signal_dbm)


def test_rasters_do_not_depend_on_threads_or_the_cache(hills: Path) -> None:
    cells = three_sites()
    bounds = (X0 - 2000.0, Y0 - 2000.0, X0 + 2000.0, Y0 + 2000.0)
    one = signal_raster(model_for(hills, workers=1, cache_bytes=0), cells, bounds).signal_dbm
    model = model_for(hills, workers=2)
    two = signal_raster(model, cells, bounds).signal_dbm
    cached = signal_raster(model, cells, bounds).signal_dbm
    assert one.tobytes() == two.tobytes() == cached.tobytes()


def test_radial_layout_keeps_evaluated_radials_within_one_arc() -> None:
    n, level, k_from = radial_layout(10_000.0, 30.0, 30.0)
    assert n * 30.0 >= 2 * np.pi * 10_000.0
    k = np.arange(1, level.size)
    # At sample k every 2**level-th radial is evaluated: their spacing is at most 30 m.
    assert (2 * np.pi * k * 30.0 / (n / 2.0 ** level[1:]) <= 30.0 + 1e-9).all()
    # Radial a is evaluated from k_from[a] on, which covers every level it serves.
    for a in (0, 1, 2, 3, n // 2, n - 1):
        lowest = int(np.log2(a & -a)) if a else 10**6
        served = np.flatnonzero(level <= lowest)
        assert served.size == 0 or k_from[a] <= max(served.min(), 1)


def test_radial_grid_lookup_is_bilinear_between_evaluated_samples() -> None:
    # 8 radials, 5 samples of 30 m; from sample 2 on only every 2nd radial is evaluated
    # (level 1), the others hold NaN there and must not be read.
    n_radials, n_samples, step = 8, 5, 30.0
    level = np.array([0, 0, 1, 1, 1], dtype=np.int64)
    radial = np.arange(n_radials, dtype=np.float64)[:, None]
    sample = np.arange(n_samples, dtype=np.float64)[None, :]
    loss = (10.0 * sample + radial).astype(np.float32)
    loss[1::2, 2:] = np.nan
    ground = np.full((n_radials, n_samples), 5.0, dtype=np.float32)
    grid = RadialGrid.from_radials(0.0, 0.0, 0.0, step, level, loss, ground)
    # Due north (radial 0) 45 m out: half-way between samples 1 (10) and 2 (20).
    # Bearing 22.5° (radial 0.5) 15 m out: sample 0 gives 0.5, sample 1 gives 10.5.
    # Bearing 67.5° (radial 1.5) 75 m out: samples 2 and 3 read radials 0 and 2 only,
    # 1.5 / 2 of the way: 21.5 and 31.5, half-way 26.5.
    bearing = np.radians([0.0, 22.5, 67.5])
    dist = np.array([45.0, 15.0, 75.0])
    got_loss, got_ground = grid.lookup(dist * np.sin(bearing), dist * np.cos(bearing))
    np.testing.assert_allclose(got_loss, [15.0, 5.5, 26.5], atol=1e-9)
    np.testing.assert_allclose(got_ground, 5.0)
    # Beyond the last sample: the last sample of the bearing (radial 0: 40).
    far_loss, _ = grid.lookup(np.array([0.0]), np.array([500.0]))
    assert far_loss[0] == pytest.approx(40.0)


def test_a_grid_holds_the_evaluated_samples_ring_after_ring() -> None:
    # 8 radials, 5 samples; level 0 at samples 0-1 (all 8 radials), 1 beyond (radials
    # 0, 2, 4, 6): rings of 8, 8, 4, 4, 4 rows.
    level = np.array([0, 0, 1, 1, 1], dtype=np.int64)
    assert ring_rows(8, level).tolist() == [0, 8, 16, 20, 24, 28]
    radial = np.arange(8, dtype=np.float64)[:, None]
    sample = np.arange(5, dtype=np.float64)[None, :]
    loss = (10.0 * sample + radial).astype(np.float32)
    loss[1::2, 2:] = np.nan  # never stored
    ground = (100.0 + radial + 0.0 * sample).astype(np.float32)
    grid = RadialGrid.from_radials(0.0, 0.0, 0.0, 30.0, level, loss, ground)
    assert grid.values.shape == (28, 2)
    assert not np.isnan(grid.values).any()
    # Ring 2 (rows 16-19) holds radials 0, 2, 4, 6 at sample 2.
    assert grid.values[16:20, 0].tolist() == [20.0, 22.0, 24.0, 26.0]
    k, got_loss, got_ground = grid.radial(6)
    assert k.tolist() == [0, 1, 2, 3, 4]
    assert got_loss.tolist() == [6.0, 16.0, 26.0, 36.0, 46.0]
    assert got_ground.tolist() == [106.0] * 5
    k, got_loss, _ = grid.radial(3)
    assert k.tolist() == [0, 1]
    assert got_loss.tolist() == [3.0, 13.0]
    assert grid.radius_m == 120.0
    assert grid.nbytes == 28 * 2 * 4 + 6 * 8 + 5 * 8


@pytest.mark.parametrize("method", ["delta_bullington", "itm"])
def test_the_radial_pass_stores_each_radials_own_kernel_results(hills: Path, method: str) -> None:
    # The batched, threaded pass writes each radial's losses into its rings: the same
    # values as that radial's kernel run alone on its own heights.
    from coverage_gis.terrain._bullington import radial_excess
    from coverage_gis.terrain._itm import itm_parameters, radial_itm
    from coverage_gis.terrain._sampling import radial_ground

    model = model_for(hills, method, workers=2)
    cells = make_cells([(X0 + 100.0, Y0 - 200.0)], tech="4G", environment="rural")
    sites, _ = model._sites(cells)
    grid = model.engine.radial_grids(sites, np.array([3000.0]), 1.5)[0]
    n, level, k_from = radial_layout(3000.0, 30.0, 45.0)
    assert (grid.n_radials, grid.level_of_sample.tolist()) == (n, level.tolist())
    args = model.engine.sampler((X0 - 3500.0, Y0 - 3500.0, X0 + 3500.0, Y0 + 3500.0)).kernel_args()
    heights = np.empty(level.size)
    for a in (0, 1, 2, 7, n // 2 + 3, n - 1):
        theta = 2.0 * np.pi * a / n
        radial_ground(
            X0 + 100.0,
            Y0 - 200.0,
            float(sites.ground_m[0]),
            np.sin(theta),
            np.cos(theta),
            30.0,
            *args,
            heights,
        )
        own = np.full(level.size, np.nan)
        if method == "itm":
            radial_itm(
                heights, 30.0, 30.0, 1.5, 1800.0, itm_parameters(model.settings.terrain.itm), k_from[a], own
            )
            own[0] = own[1]
        else:
            radial_excess(
                heights, 30.0, 30.0, 1.5, 299.792458 / 1800.0, model.engine.earth_radius_m, k_from[a], own
            )
            own[0] = 0.0
        k, got_loss, got_ground = grid.radial(a)
        # Evaluated from k_from on, and at the site where it is on ring 0.
        assert set(range(k_from[a], level.size)) <= set(k.tolist())
        assert all(kk >= k_from[a] for kk in k.tolist() if kk > 0)
        np.testing.assert_array_equal(got_loss, own[k].astype(np.float32))
        np.testing.assert_array_equal(got_ground, heights[k].astype(np.float32))


def test_grid_evaluation_equals_point_evaluation(hills: Path) -> None:
    # The grid path (a window per site, compiled lookup) and the point path (k-d tree,
    # lookup per point) give the same bytes: sectors and an omni cell, two sites, a weak
    # cell whose reach is shorter than its site's, and columns/rows out of order.
    model = model_for(hills, workers=1)
    xy = [(X0, Y0)] * 3 + [(X0 + 1500.0, Y0 - 800.0)] * 2
    cells = make_cells(xy, environment="rural", azimuth_deg=[10.0, 130.0, 250.0, NAN, 90.0])
    cells = dataclasses.replace(cells, eirp_dbm=np.array([60.0, 60.0, 60.0, 50.0, 60.0]))
    rng = np.random.default_rng(4)
    xs = X0 + rng.permutation(np.arange(-5600.0, 5600.0, 97.0))
    ys = Y0 + rng.permutation(np.arange(-5600.0, 5600.0, 89.0))
    plan = model.server_plan(cells)
    assert plan.reach[3] < plan.site_reach[1]
    grid_best, grid_cell = model.best_signal_on_grid(xs, ys, cells, plan=plan)
    gx, gy = np.meshgrid(xs, ys)
    point_best, point_cell = model.best_signal_at(gx.ravel(), gy.ravel(), cells, plan=plan)
    assert grid_best.tobytes() == point_best.reshape(grid_best.shape).tobytes()
    np.testing.assert_array_equal(grid_cell, point_cell.reshape(grid_cell.shape))
    assert set(np.unique(grid_cell)) >= {-1, 0, 1, 2, 3, 4}


def test_lookup_window_equals_lookup() -> None:
    rng = np.random.default_rng(9)
    n, level, _ = radial_layout(3000.0, 30.0, 45.0)
    loss = rng.uniform(0.0, 30.0, (n, level.size)).astype(np.float32)
    ground = rng.uniform(0.0, 500.0, (n, level.size)).astype(np.float32)
    grid = RadialGrid.from_radials(100.0, -50.0, 10.0, 30.0, level, loss, ground)
    xs = np.linspace(-3100.0, 3100.0, 71) + 100.0
    ys = np.linspace(-3100.0, 3100.0, 67) - 50.0
    rows, cols = np.arange(3, 60), np.arange(0, 71, 2)
    point, dx, dy, dist, got_loss, got_ground = grid.lookup_window(xs, ys, rows, cols, 2900.0)
    gx, gy = np.meshgrid(xs - 100.0, ys + 50.0)
    flat = (rows[:, None] * xs.size + cols[None, :]).ravel()
    inside = flat[np.hypot(gx.ravel()[flat], gy.ravel()[flat]) <= 2900.0]
    assert point.tolist() == inside.tolist()
    np.testing.assert_array_equal(dx, gx.ravel()[inside])
    np.testing.assert_array_equal(dy, gy.ravel()[inside])
    np.testing.assert_array_equal(dist, np.hypot(dx, dy))
    want_loss, want_ground = grid.lookup(dx, dy)
    np.testing.assert_array_equal(got_loss, want_loss)
    np.testing.assert_array_equal(got_ground, want_ground)


def test_site_cache_pairs_by_runs() -> None:
    def key(x: float) -> SiteKey:
        return SiteKey(x, 0.0, 0.0, 30.0, 1800.0, 1.5, "delta_bullington", (30.0,), "dem")

    cache: SiteCache[RadialGrid] = SiteCache(1 << 20)
    keys = [key(0.0), key(1.0)]
    receiver = np.array([5, 9, 2, 7], dtype=np.int64)  # runs [5, 9] and [2, 7]
    bounds = np.array([0, 2, 4])
    assert np.isnan(cache.pair_lookup(keys, receiver, bounds)).all()
    # NaN (not computed) is not remembered.
    cache.pair_store(keys, receiver, np.array([1.0, np.nan, 3.0, 4.0]), bounds)
    got = cache.pair_lookup(keys, receiver, bounds)
    np.testing.assert_array_equal(got, [1.0, np.nan, 3.0, 4.0])
    # A later store adds receivers and keeps the known ones.
    cache.pair_store(keys[:1], np.array([5, 9, 11]), np.array([-1.0, 2.0, 6.0]), np.array([0, 3]))
    got = cache.pair_lookup([key(0.0), key(1.0)], np.array([5, 9, 11, 2]), np.array([0, 3, 4]))
    np.testing.assert_array_equal(got, [1.0, 2.0, 6.0, 3.0])
    assert (cache.hits, cache.misses) == (3 + 4, 4 + 1)
