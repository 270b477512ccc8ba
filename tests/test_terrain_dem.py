"""DEM sources: SRTM .hgt tiles (tiny hand-made 3″ tiles written into tmp_path) and GeoTIFF windows."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import rasterio
from affine import Affine

from coverage_gis.errors import WorkspaceError
from coverage_gis.models import load_model_settings
from coverage_gis.terrain.dem import GeoTiffDem, HgtTiles, MetricSampler, open_dem
from coverage_gis.terrain.engine import TerrainEngine

N3 = 1201  # posts per side of a 3″ tile


def write_hgt(folder: Path, name: str, posts: np.ndarray) -> Path:
    path = folder / name
    posts.astype(">i2").tofile(path)
    return path


def ramp_tile(lat: int, lon: int) -> np.ndarray:
    # Height = 1200 · (lon - 108) m: the post's column counted from 108° E, the same in
    # every row, so any post's height is known exactly.
    return np.tile((lon - 108) * 1200 + np.arange(N3), (N3, 1))


def test_a_window_across_two_tiles_reads_the_right_posts(tmp_path: Path) -> None:
    write_hgt(tmp_path, "N14E108.hgt", ramp_tile(14, 108))
    east = ramp_tile(14, 109)
    east[600, 600] = -32768  # one void
    write_hgt(tmp_path, "N14E109.hgt", east)
    dem = open_dem(tmp_path)
    assert isinstance(dem, HgtTiles)
    assert dem.posts_per_degree == 1200
    window = dem.read((108.99, 14.4, 109.01, 14.6))
    # Post (r, c) of the window is global post (row_offset + r, col_offset + c), at lon
    # (col_offset + c) / 1200; the ramp gives 1200 · (lon - 108), e.g. 1188 at 108.99 and
    # 1200 on the shared edge at 109.
    lons = (window.col_offset + np.arange(window.heights_m.shape[1])) / 1200.0
    np.testing.assert_allclose(window.heights_m[5], 1200.0 * (lons - 108.0), atol=1e-6)
    # The void: tile N14E109 row 600 is lat 14.5, column 600 lon 109.5 — outside this
    # window; read it on its own.
    void = dem.read((109.49, 14.49, 109.51, 14.51))
    r = round(-14.5 * 1200) - void.row_offset
    c = round(109.5 * 1200) - void.col_offset
    assert np.isnan(void.heights_m[r, c])
    assert np.isfinite(void.heights_m[r, c + 1])


def test_outside_every_tile_is_nan_and_bad_tiles_are_errors(tmp_path: Path) -> None:
    write_hgt(tmp_path, "N14E108.hgt", ramp_tile(14, 108))
    window = open_dem(tmp_path).read((107.5, 14.2, 107.6, 14.3))
    assert np.isnan(window.heights_m).all()
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "N14E108.hgt").write_bytes(b"\x00" * 1000)
    with pytest.raises(WorkspaceError, match="SRTM tile"):
        open_dem(bad)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(WorkspaceError, match="no SRTM"):
        open_dem(empty)


def test_sampling_hgt_from_utm_matches_the_ramp(tmp_path: Path) -> None:
    # The metric sampler goes UTM -> lon/lat through its lattice; on a ramp in lon the
    # height is 1200 · (lon - 108) wherever we ask (bilinear is exact on a ramp; the
    # lattice's interpolation of UTM -> lon/lat is good to centimetres).
    write_hgt(tmp_path, "N14E108.hgt", ramp_tile(14, 108))
    import pyproj

    to_utm = pyproj.Transformer.from_crs("EPSG:4326", "EPSG:32649", always_xy=True)
    lon = np.array([108.2, 108.5, 108.77])
    lat = np.array([14.3, 14.5, 14.9])
    x, y = to_utm.transform(lon, lat)
    engine = TerrainEngine(open_dem(tmp_path), "EPSG:32649", load_model_settings().terrain, workers=1)
    got = engine.ground_m(np.asarray(x), np.asarray(y))
    np.testing.assert_allclose(got, 1200.0 * (lon - 108.0), atol=0.05)


def test_geotiff_windows_equal_the_full_raster(tmp_path: Path) -> None:
    heights = np.arange(60 * 80, dtype=np.float32).reshape(60, 80)
    path = tmp_path / "dem.tif"
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=80,
        height=60,
        count=1,
        dtype="float32",
        crs="EPSG:32649",
        transform=Affine(10.0, 0.0, 1000.0, 0.0, -10.0, 5000.0),
        nodata=-1.0,
    ) as dst:
        dst.write(heights, 1)
    dem = GeoTiffDem(path)
    window = dem.read((1200.0, 4600.0, 1400.0, 4800.0))
    # Its first post is the file's pixel (row_offset, col_offset).
    c0, r0 = window.col_offset, window.row_offset
    assert (window.x0, window.y0) == (1005.0, 4995.0)
    rows, cols = window.heights_m.shape
    np.testing.assert_array_equal(window.heights_m, heights[r0 : r0 + rows, c0 : c0 + cols])
    # A window hanging off the raster is NaN outside.
    edge = dem.read((950.0, 4950.0, 1020.0, 5050.0))
    assert np.isnan(edge.heights_m).any()
    assert np.isfinite(edge.heights_m).any()


def test_the_lattice_is_anchored_so_heights_do_not_depend_on_the_window(tmp_path: Path) -> None:
    write_hgt(tmp_path, "N14E108.hgt", (np.random.default_rng(1).random((N3, N3)) * 500).astype(np.int16))
    dem = open_dem(tmp_path)
    small = MetricSampler.for_bounds(dem, "EPSG:32649", (300_000.0, 1_600_000.0, 302_000.0, 1_602_000.0))
    large = MetricSampler.for_bounds(dem, "EPSG:32649", (290_000.0, 1_590_000.0, 320_000.0, 1_620_000.0))
    assert small.step == large.step
    assert (small.x0 - large.x0) % small.step == 0.0
