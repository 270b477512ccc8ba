"""The terrain model on synthetic GeoTIFF DEMs written into tmp_path (synthetic data).

Geometry of the hand-checked case: UTM 49N (EPSG:32649), site at (X0, Y0), receiver
2000 m due east. DEM of 10 m pixels from X0-500 to X0+2500 and Y0-200 to Y0+200, so
pixel column j has its centre at X0 - 495 + 10 j. The "ridge" raises columns 140..159
(centres X0+905 .. X0+1095) to 200 m, i.e. x in [X0+900, X0+1100], for all rows.
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np
import pyproj
import pytest
import rasterio
from affine import Affine
from hypothesis import HealthCheck, given, settings

from coverage_gis.errors import WorkspaceError
from coverage_gis.models import PathlossModel, TerrainModel, create_model, load_model_settings
from coverage_gis.models.base import CellArrays, CoverageModel, ReceiverArrays
from coverage_gis.terrain._bullington import profile_excess
from tests.test_models_pathloss import three_sector_900_site
from tests.test_models_radius import (
    assert_adding_a_cell_keeps_coverage,
    assert_served_level_reaches_its_threshold,
    assert_served_within_max_range,
    cell_arrays,
    make_cells,
    make_receivers,
    receiver_arrays,
)

METRIC = "EPSG:32649"
X0, Y0 = 500_000.0, 1_500_000.0
BASE = load_model_settings()
# The hand sums below use a 13 dB planning margin (pinned here, whatever the shipped one).
SETTINGS = dataclasses.replace(
    BASE,
    terrain=dataclasses.replace(BASE.terrain, step_m=10.0),
    pathloss=dataclasses.replace(BASE.pathloss, margin_db=13.0),
)


def write_dem(path: Path, heights: np.ndarray, *, west: float, north: float, pixel: float, crs: str) -> Path:
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        height=heights.shape[0],
        width=heights.shape[1],
        count=1,
        dtype="float32",
        crs=crs,
        transform=Affine(pixel, 0.0, west, 0.0, -pixel, north),
        nodata=-9999.0,
    ) as dst:
        dst.write(heights.astype(np.float32), 1)
    return path


def dem_case(tmp_path: Path, *, ridge: bool) -> Path:
    heights = np.zeros((40, 300))
    if ridge:
        heights[:, 140:160] = 200.0
    name = "ridge.tif" if ridge else "flat.tif"
    return write_dem(tmp_path / name, heights, west=X0 - 500.0, north=Y0 + 200.0, pixel=10.0, crs=METRIC)


def site_cell() -> CellArrays:
    # Omni 2G, 900 MHz, EIRP 60 dBm, 30 m mast, urban.
    cells = make_cells([(X0, Y0)], tech="2G", environment="urban")
    return dataclasses.replace(cells, band_mhz=np.array([900.0]))


RECEIVER = make_receivers([(X0 + 2000.0, Y0)])


def test_flat_ground_is_the_flat_link_budget_and_a_ridge_blocks_by_its_excess(tmp_path: Path) -> None:
    # Flat: Okumura-Hata urban, 900 MHz, hb 30 m, hr 1.5 m, 2 km:
    #   log10(900) = 2.954243; intercept = 69.55 + 77.282984 - 20.413816 - 0.015882 = 126.403286
    #   L = 126.403286 + 35.224856 · log10(2) = 137.007025 dB
    #   level = 60 - 0 (2G offset) - 13 (margin) - 137.007025 = -90.0070 dBm.
    # Flat ground grazes the first Fresnel zone near the 1.5 m receiver (ν ≈ -0.73),
    # but that is part of what Hata predicts: the terrain excess over a smooth earth is
    # 0 dB, so the level is the flat-ground budget exactly.
    flat = TerrainModel(SETTINGS, dem_case(tmp_path, ridge=False), METRIC, workers=1)
    pairs = flat.candidate_pairs(RECEIVER, site_cell())
    assert pairs.served.tolist() == [True]
    assert pairs.terrain_blocked.tolist() == [False]
    np.testing.assert_allclose(pairs.signal_dbm, [-90.0070], atol=1e-3)
    # Ridge: the model samples every 10 m (the DEM's pixel); samples fall halfway
    # between pixel centres, so the ridge's edge samples (x = 900 and 1100 m) are the
    # bilinear mean 100 m, the ones in between 200 m. The excess of that profile is the
    # delta-Bullington loss checked by hand in tests/test_terrain_diffraction.py.
    x = np.arange(201) * 10.0
    profile = np.where((x > 900.0) & (x < 1100.0), 200.0, 0.0)
    profile[(x == 900.0) | (x == 1100.0)] = 100.0
    excess = profile_excess(profile, 10.0, 30.0, 1.5, 299_792_458.0 / 900e6, 4.0 / 3.0 * 6_371_000.0)[0]
    assert excess > 30.0
    hill = TerrainModel(SETTINGS, dem_case(tmp_path, ridge=True), METRIC, workers=1)
    pairs = hill.candidate_pairs(RECEIVER, site_cell())
    assert pairs.served.tolist() == [False]
    assert pairs.terrain_blocked.tolist() == [True]
    np.testing.assert_allclose(pairs.signal_dbm, [-90.0070 - excess], atol=1e-3)


def test_the_vertical_pattern_sees_the_ground_heights(tmp_path: Path) -> None:
    # Ground falls uniformly from 200 m under the site to 0 m under a receiver 1 km
    # east (a plane: no terrain excess). A sector pointing east, tilt 4°: the receiver is
    # 200 + 30 - 1.5 = 228.5 m below the antenna, not 28.5 m, so the elevation is
    # atan(228.5 / 1000) = 12.871° and A_V = -min(12 ((12.871 - 4)/10)², 20) = -9.444 dB,
    # where the mast height alone gives atan(28.5/1000) = 1.632°, A_V = -0.673 dB.
    heights = np.tile(200.0 - (np.arange(300) * 10.0 - 495.0) * 0.2, (40, 1))
    path = write_dem(
        tmp_path / "slope.tif", heights, west=X0 - 500.0, north=Y0 + 200.0, pixel=10.0, crs=METRIC
    )
    cells = make_cells([(X0, Y0)], tech="4G", environment="rural", azimuth_deg=90.0)
    receiver = make_receivers([(X0 + 1000.0, Y0)])
    on_slope = TerrainModel(SETTINGS, path, METRIC, workers=1).candidate_pairs(receiver, cells)
    flat = PathlossModel(SETTINGS, workers=1).candidate_pairs(receiver, cells)
    a_terrain = -min(12.0 * ((math.degrees(math.atan(228.5 / 1000.0)) - 4.0) / 10.0) ** 2, 20.0)
    a_mast = -min(12.0 * ((math.degrees(math.atan(28.5 / 1000.0)) - 4.0) / 10.0) ** 2, 20.0)
    assert a_terrain == pytest.approx(-9.444, abs=1e-3)
    np.testing.assert_allclose(on_slope.signal_dbm - flat.signal_dbm, [a_terrain - a_mast], atol=1e-6)


def test_the_pathloss_model_ignores_the_ridge(tmp_path: Path) -> None:
    pairs = PathlossModel(SETTINGS, workers=1).candidate_pairs(RECEIVER, site_cell())
    assert pairs.served.tolist() == [True]
    assert not pairs.terrain_blocked.any()


def test_a_receiver_short_of_the_ridge_is_not_blocked(tmp_path: Path) -> None:
    # Receiver at X0+800, before the ridge: the profile never reaches it -> served.
    hill = TerrainModel(SETTINGS, dem_case(tmp_path, ridge=True), METRIC, workers=1)
    pairs = hill.candidate_pairs(make_receivers([(X0 + 800.0, Y0), (X0 + 2000.0, Y0)]), site_cell())
    order = np.argsort(pairs.receiver)
    assert pairs.served[order].tolist() == [True, False]
    assert pairs.terrain_blocked[order].tolist() == [False, True]


def test_keep_unserved_false_keeps_the_blocked_pairs(tmp_path: Path) -> None:
    hill = TerrainModel(SETTINGS, dem_case(tmp_path, ridge=True), METRIC, workers=1)
    pairs = hill.candidate_pairs(RECEIVER, site_cell(), keep_unserved=False)
    assert pairs.terrain_blocked.tolist() == [True]


def test_bilinear_sampling_of_the_dem(tmp_path: Path) -> None:
    # Ramp: pixel column j holds 10 j metres; its centre is at x = X0 - 495 + 10 j, so
    # z(x) = 10 · (x - X0 + 495) / 10 = x - X0 + 495 between centres:
    #   X0 -> 495.0, X0 + 123.4 -> 618.4; outside the raster (X0 - 600) -> NaN.
    heights = np.tile(np.arange(300, dtype=np.float64) * 10.0, (40, 1))
    path = write_dem(
        tmp_path / "ramp.tif", heights, west=X0 - 500.0, north=Y0 + 200.0, pixel=10.0, crs=METRIC
    )
    model = TerrainModel(SETTINGS, path, METRIC)
    got = model.ground_m(np.array([X0, X0 + 123.4, X0 - 600.0]), np.array([Y0, Y0 + 7.0, Y0]))
    np.testing.assert_allclose(got[:2], [495.0, 618.4], atol=1e-6)
    assert np.isnan(got[2])


def test_a_dem_in_geographic_coordinates_is_transformed(tmp_path: Path) -> None:
    # Same link, DEM in EPSG:4326 with 0.0001° pixels; the ridge covers the longitudes
    # of x in [X0+900, X0+1100] along the path's latitude band.
    to_lonlat = pyproj.Transformer.from_crs(METRIC, "EPSG:4326", always_xy=True)
    (lon_w, lon_e), (lat_s, lat_n) = to_lonlat.transform([X0 - 500.0, X0 + 2500.0], [Y0 - 300.0, Y0 + 300.0])
    pixel = 0.0001
    n_cols = round((lon_e - lon_w) / pixel)
    n_rows = round((lat_n - lat_s) / pixel)
    centres_lon = lon_w + pixel * (np.arange(n_cols) + 0.5)
    ridge_lon = to_lonlat.transform([X0 + 900.0, X0 + 1100.0], [Y0, Y0])[0]
    flat = np.zeros((n_rows, n_cols))
    ridge = flat.copy()
    ridge[:, (centres_lon >= ridge_lon[0]) & (centres_lon <= ridge_lon[1])] = 200.0
    for heights, blocked in ((flat, False), (ridge, True)):
        path = write_dem(
            tmp_path / f"geo{int(blocked)}.tif",
            heights,
            west=lon_w,
            north=lat_n,
            pixel=pixel,
            crs="EPSG:4326",
        )
        pairs = TerrainModel(SETTINGS, path, METRIC, workers=1).candidate_pairs(RECEIVER, site_cell())
        assert pairs.served.tolist() == [not blocked]
        assert pairs.terrain_blocked.tolist() == [blocked]


def test_ground_falls_back_to_the_arrays_outside_the_dem(tmp_path: Path) -> None:
    # Both ends far outside the DEM: no profile sample hits the raster, ground comes
    # from ReceiverArrays.ground_m (given) and 0 for the site; with no edge at all the
    # level is the flat-ground link budget, -90.0070 dBm (see the first test).
    model = TerrainModel(SETTINGS, dem_case(tmp_path, ridge=True), METRIC, workers=1)
    far = make_cells([(X0 + 50_000.0, Y0)], tech="2G", environment="urban")
    far = dataclasses.replace(far, band_mhz=np.array([900.0]))
    receivers = ReceiverArrays(np.array([X0 + 52_000.0]), np.array([Y0]), ground_m=np.array([0.0]))
    pairs = model.candidate_pairs(receivers, far)
    np.testing.assert_allclose(pairs.signal_dbm, [-90.0070], atol=1e-3)


def test_bad_dem_inputs_are_workspace_errors(tmp_path: Path) -> None:
    bogus = tmp_path / "dem.tif"
    bogus.write_text("not a tiff", encoding="utf-8")
    with pytest.raises(WorkspaceError, match="cannot read"):
        TerrainModel(SETTINGS, bogus, METRIC)
    geo = write_dem(
        tmp_path / "geo.tif", np.zeros((4, 4)), west=109.0, north=14.0, pixel=0.001, crs="EPSG:4326"
    )
    with pytest.raises(WorkspaceError, match="metric_crs"):
        TerrainModel(SETTINGS, geo, None)


def test_three_sector_site_serves_the_bisector_on_flat_ground(tmp_path: Path) -> None:
    # The pathloss fixture of test_models_pathloss (4G 900 rural, 40 m, EIRP 65 dBm,
    # sectors 0/120/240 with 65° beams, tilt 2°, shipped margin): a village at bearing 60°,
    # 2 km away, is served with the pattern's -10.2 dB; on a flat DEM the terrain model's
    # level is the flat budget, so it serves it too (no hard wedge), by the same sectors.
    # The DEM (10 m pixels, X0 ± 2.5 km, Y0 ± 2.5 km) holds the whole path: the receiver
    # is at (X0 + 1732.1, Y0 + 1000).
    base = dataclasses.replace(BASE, terrain=dataclasses.replace(BASE.terrain, step_m=10.0))
    heights = np.zeros((500, 500))
    dem = write_dem(
        tmp_path / "flat3.tif", heights, west=X0 - 2500.0, north=Y0 + 2500.0, pixel=10.0, crs=METRIC
    )
    cells = three_sector_900_site(X0, Y0)
    receiver = make_receivers(
        [(X0 + 2000.0 * math.sin(math.radians(60.0)), Y0 + 2000.0 * math.cos(math.radians(60.0)))]
    )
    terrain = TerrainModel(base, dem, METRIC, workers=1).candidate_pairs(receiver, cells)
    flat = PathlossModel(base, workers=1).candidate_pairs(receiver, cells)
    assert sorted(terrain.cell[terrain.served].tolist()) == [0, 1]
    order_t, order_f = np.argsort(terrain.cell), np.argsort(flat.cell)
    np.testing.assert_allclose(terrain.signal_dbm[order_t], flat.signal_dbm[order_f], atol=1e-6)


def test_registry_builds_a_terrain_model(tmp_path: Path) -> None:
    built = create_model("terrain", SETTINGS, dem_path=dem_case(tmp_path, ridge=False), metric_crs=METRIC)
    assert isinstance(built, TerrainModel)
    assert isinstance(built, CoverageModel)
    # A DEM in a metric CRS needs no metric_crs.
    assert isinstance(
        create_model("terrain", SETTINGS, dem_path=dem_case(tmp_path, ridge=False)), TerrainModel
    )


# ----------------------------------------------------------------- properties


@pytest.fixture(scope="module", params=["delta_bullington", "itm"])
def hilly_model(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> TerrainModel:
    # Synthetic hills: 12 Gaussian bumps up to 400 m over a 22 km square, 50 m pixels.
    rng = np.random.default_rng(3)
    n = 440
    centres = np.arange(n) * 50.0 + 25.0 - 1000.0  # relative to X0 / Y0
    xx, yy = np.meshgrid(centres, centres[::-1])
    heights = np.zeros((n, n))
    for _ in range(12):
        cx, cy = rng.uniform(0, 20_000, 2)
        heights += rng.uniform(50, 400) * np.exp(
            -((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * rng.uniform(500, 2500) ** 2)
        )
    path = write_dem(
        tmp_path_factory.mktemp("dem") / "hills.tif",
        heights,
        west=X0 - 1000.0,
        north=Y0 + 21_000.0,
        pixel=50.0,
        crs=METRIC,
    )
    # The vertical pattern is off so that the flat-ground comparison below sees the
    # same antenna gains (with it, ground heights change the gain both ways).
    base = load_model_settings()
    base = dataclasses.replace(
        base,
        antenna=dataclasses.replace(base.antenna, vertical_pattern=False),
        terrain=dataclasses.replace(base.terrain, method=request.param),
    )
    return TerrainModel(base, path, METRIC, workers=1)


def shifted(cells: CellArrays) -> CellArrays:
    return dataclasses.replace(cells, x_m=cells.x_m + X0, y_m=cells.y_m + Y0)


def shifted_receivers(receivers: ReceiverArrays) -> ReceiverArrays:
    return ReceiverArrays(receivers.x_m + X0, receivers.y_m + Y0)


PROPERTY = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@PROPERTY
@given(receivers=receiver_arrays(), cells=cell_arrays(max_size=5), extra=cell_arrays(min_size=1, max_size=1))
def test_property_adding_a_cell_never_removes_a_served_receiver(
    hilly_model: TerrainModel, receivers: ReceiverArrays, cells: CellArrays, extra: CellArrays
) -> None:
    assert_adding_a_cell_keeps_coverage(
        hilly_model, shifted_receivers(receivers), shifted(cells), shifted(extra)
    )


@PROPERTY
@given(receivers=receiver_arrays(), cells=cell_arrays(max_size=5))
def test_property_terrain_only_removes_and_stays_within_range(
    hilly_model: TerrainModel, receivers: ReceiverArrays, cells: CellArrays
) -> None:
    receivers, cells = shifted_receivers(receivers), shifted(cells)
    assert_served_within_max_range(hilly_model, receivers, cells)
    assert_served_level_reaches_its_threshold(hilly_model, receivers, cells, hilly_model.settings)
    terrain = hilly_model.candidate_pairs(receivers, cells)
    flat = PathlossModel(hilly_model.settings, workers=1).candidate_pairs(receivers, cells)
    key = {(int(r), int(c)): bool(s) for r, c, s in zip(flat.receiver, flat.cell, flat.served, strict=True)}
    for r, c, s, b in zip(
        terrain.receiver, terrain.cell, terrain.served, terrain.terrain_blocked, strict=True
    ):
        flat_served = key.get((int(r), int(c)), False)
        if hilly_model.method == "delta_bullington":
            assert not (s and not flat_served)  # the excess never adds service
        assert b == (flat_served and not s)  # blocked = served flat, not over the terrain
