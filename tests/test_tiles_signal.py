"""Signal overlay of one site (terrain model) and its routes, on the tiny workspace with a hand-made DEM.

The DEM is flat at 10 m with one east–west wall 300 m high from 2,000 to 2,300 m north
of site S1 (the tiny fixture's on-air site at the origin, 30 m mast, 4G 1800 MHz,
omni). South of the site the ground is flat, so the delta-Bullington excess is 0 dB
and the level is the flat-ground (pathloss model) level; 2.7 km north, behind the
wall, the same distance loses tens of dB.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator

import numpy as np
import pytest
import rasterio
from affine import Affine
from fastapi import FastAPI
from fastapi.testclient import TestClient
from rasterio.errors import NotGeoreferencedWarning
from rasterio.io import MemoryFile

from coverage_gis.crs import lonlat_to_metric, metric_to_lonlat
from coverage_gis.engine import compute
from coverage_gis.errors import NotFound
from coverage_gis.models.pathloss import LinkBudget
from coverage_gis.tiles.raster import colour_signal
from coverage_gis.tiles.signal import nearest_site, site_signal_overlay, terrain_model_for
from coverage_gis.workspace import Workspace
from coverage_gis_api import routes_tiles
from coverage_gis_api.errors import install_error_handlers

from .conftest import METRIC, ORIGIN_LONLAT, serving_context

DEM_PIXEL_M = 50.0
HALF_M = 7_500.0  # 250 pixels of 30 m


def _origin() -> tuple[float, float]:
    x, y = lonlat_to_metric(np.array([ORIGIN_LONLAT[0]]), np.array([ORIGIN_LONLAT[1]]), METRIC)
    return float(x[0]), float(y[0])


def write_wall_dem(ws: Workspace) -> None:
    x0, y0 = _origin()
    n = int(2 * 12_000 / DEM_PIXEL_M)
    heights = np.full((n, n), 10.0, dtype=np.float32)
    north = y0 + 12_000.0
    rows_y = north - (np.arange(n) + 0.5) * DEM_PIXEL_M
    heights[(rows_y >= y0 + 2_000.0) & (rows_y <= y0 + 2_300.0), :] = 310.0
    transform = Affine(DEM_PIXEL_M, 0.0, x0 - 12_000.0, 0.0, -DEM_PIXEL_M, north)
    with rasterio.open(
        ws.path / "dem.tif", "w", driver="GTiff", width=n, height=n, count=1, dtype="float32",
        crs=METRIC, transform=transform,
    ) as dst:  # fmt: skip
        dst.write(heights, 1)


@pytest.fixture
def dem_ws(tiny_ws: Workspace) -> Workspace:
    write_wall_dem(tiny_ws)
    return tiny_ws


def decode_png(data: bytes) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotGeoreferencedWarning)  # a PNG has no georeference
        with MemoryFile(data) as mem, mem.open() as src:
            return np.asarray(src.read())


def test_overlay_is_flat_ground_level_south_and_shadowed_behind_the_wall(dem_ws: Workspace) -> None:
    analysis = compute(dem_ws)  # the tiny workspace's model is radius: the overlay builds the terrain one
    model = terrain_model_for(analysis.model, dem_ws)
    overlay = site_signal_overlay(model, analysis.cells, "S1", radius_m=HALF_M)
    step = model.settings.terrain.step_m
    assert overlay.pixel_m == step
    assert overlay.radius_m == pytest.approx(HALF_M)
    side = round(2 * HALF_M / step)
    rgba = decode_png(overlay.png)
    assert rgba.shape == (4, side, side)
    # Corners: the square around the site, NW first, clockwise.
    x0, y0 = _origin()
    lon, lat = metric_to_lonlat(np.array([x0 - HALF_M]), np.array([y0 + HALF_M]), METRIC)
    assert overlay.corners_lonlat[0] == pytest.approx([lon[0], lat[0]], abs=1e-9)
    lon, lat = metric_to_lonlat(np.array([x0 + HALF_M]), np.array([y0 - HALF_M]), METRIC)
    assert overlay.corners_lonlat[2] == pytest.approx([lon[0], lat[0]], abs=1e-9)

    def pixel(dx_m: float, dy_m: float) -> tuple[int, int]:
        return int((HALF_M - dy_m) // step), int((HALF_M + dx_m) // step)

    # 3 km south, at a pixel centre: flat ground, the pathloss model's level, its colour.
    row, col = pixel(15.0, -3_015.0)
    cx = -HALF_M + (col + 0.5) * step
    cy = HALF_M - (row + 0.5) * step
    cells = analysis.cells.subset((analysis.cells.site_id == "S1") & (analysis.cells.arrays.tech == "4G"))
    budget = LinkBudget(
        cells.arrays, settings=model.settings, receiver_height_m=model.settings.receiver_height_m
    )
    index = np.arange(len(cells), dtype=np.int64)
    flat = budget.signal_dbm(
        index, np.full(index.size, cx), np.full(index.size, cy), np.full(index.size, float(np.hypot(cx, cy)))
    ).max()
    south = rgba[:, row, col]
    assert south[3] > 0, "3 km south on flat ground is served"
    expected = colour_signal(np.array([[flat]]), np.array([[True]]))[:, 0, 0]
    np.testing.assert_array_equal(south, expected)
    # 2.7 km north, behind the wall: not the colour of the mirror point 2.7 km south.
    north_px = rgba[:, pixel(0.0, 2_700.0)[0], pixel(0.0, 2_700.0)[1]]
    south_px = rgba[:, pixel(0.0, -2_700.0)[0], pixel(0.0, -2_700.0)[1]]
    assert south_px[3] > 0
    assert not np.array_equal(north_px, south_px)
    assert overlay.served_pixels < overlay.pixels


def test_nearest_site_and_errors(dem_ws: Workspace) -> None:
    analysis = compute(dem_ws)
    assert nearest_site(analysis.cells, ORIGIN_LONLAT[0] + 0.01, ORIGIN_LONLAT[1], METRIC) == "S1"
    model = terrain_model_for(analysis.model, dem_ws)
    with pytest.raises(NotFound, match="S2"):
        site_signal_overlay(model, analysis.cells, "S2")  # planned, not on air
    (dem_ws.path / "dem.tif").unlink()
    with pytest.raises(NotFound, match=r"dem\.tif"):
        terrain_model_for(analysis.model, dem_ws)


@pytest.fixture
def client(dem_ws: Workspace) -> Iterator[TestClient]:
    ctx = serving_context(compute(dem_ws), dem_ws)
    app = FastAPI()
    install_error_handlers(app)
    app.include_router(routes_tiles.create_router(ctx))
    with TestClient(app) as test_client:
        yield test_client


def test_signal_overlay_routes(client: TestClient) -> None:
    meta = client.get(
        "/overlays/signal.json", params={"lon": ORIGIN_LONLAT[0], "lat": ORIGIN_LONLAT[1], "radius_m": 3000}
    )
    assert meta.status_code == 200, meta.text
    doc = meta.json()
    assert doc["site_id"] == "S1"
    assert len(doc["coordinates"]) == 4
    assert doc["radius_m"] == pytest.approx(3000.0)
    assert 0.0 < doc["served_pct"] <= 100.0
    assert doc["url"].endswith("/overlays/signal/S1.png?radius_m=3000")
    png = client.get("/overlays/signal/S1.png", params={"radius_m": 3000})
    assert png.status_code == 200
    assert png.headers["content-type"] == "image/png"
    assert decode_png(png.content).shape == (4, 200, 200)
    again = client.get(
        "/overlays/signal/S1.png", params={"radius_m": 3000}, headers={"If-None-Match": png.headers["etag"]}
    )
    assert again.status_code == 304
    assert client.get("/overlays/signal/S2.png").status_code == 404
    # No site, no point: the site nearest the workspace's centre; half a point is an error.
    assert client.get("/overlays/signal.json", params={"radius_m": 3000}).json()["site_id"] == "S1"
    assert client.get("/overlays/signal.json", params={"lon": ORIGIN_LONLAT[0]}).status_code == 422
    assert (
        client.get("/overlays/signal.json", params={"site_id": "S1", "radius_m": 60_000}).status_code == 422
    )
