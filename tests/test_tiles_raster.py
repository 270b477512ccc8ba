"""Coverage PNG tiles of the tiny workspace: decodable, transparent outside coverage, coloured near S1.

The radius model gives S1 (on air, origin) a 3,670 m rural 4G 700 MHz radius; S2 (9 km
east) is planned and radiates nothing.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pyproj
import pytest
from numpy.typing import NDArray
from rasterio.errors import NotGeoreferencedWarning
from rasterio.io import MemoryFile

from coverage_gis.engine import Analysis, compute
from coverage_gis.errors import LayerValidationError
from coverage_gis.models.base import ReceiverArrays
from coverage_gis.tiles import CoverageRenderer, transparent_png
from coverage_gis.tiles.mercator import (
    lonlat_to_mercator,
    mercator_to_tile_pixels,
    pixel_centres_3857,
    tile_bounds_3857,
    tile_for_lonlat,
)
from coverage_gis.tiles.raster import ALPHA, metric_pixel_centres, operator_colours
from coverage_gis.workspace import Workspace

from .conftest import METRIC, at, tiny_layers


@pytest.fixture
def analysis(tiny_ws: Workspace) -> Analysis:
    return compute(tiny_ws)


@pytest.fixture
def renderer(analysis: Analysis) -> CoverageRenderer:
    return CoverageRenderer(analysis.model, analysis.cells, metric_crs=analysis.metric_crs)


def read_png(data: bytes) -> NDArray[np.uint8]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotGeoreferencedWarning)
        with MemoryFile(data) as mem, mem.open() as src:
            assert src.driver == "PNG"
            assert (src.count, src.width, src.height) == (4, 256, 256)
            array: NDArray[np.uint8] = src.read()
    return array


def pixel_of(lon: float, lat: float, z: int, x: int, y: int) -> tuple[int, int]:
    mx, my = lonlat_to_mercator(np.array([lon]), np.array([lat]))
    col, row = mercator_to_tile_pixels(mx, my, tile_bounds_3857(z, x, y), 256)
    return int(row[0]), int(col[0])


def test_coloured_near_the_site_transparent_beyond_its_radius(renderer: CoverageRenderer) -> None:
    z = 11
    x, y = tile_for_lonlat(109.0, 14.0, z)
    rgba = read_png(renderer.render_png(z, x, y, tech="4G"))
    near = at(500, 500)
    row, col = pixel_of(near.x, near.y, z, x, y)
    assert rgba[3, row, col] == ALPHA
    assert rgba[:3, row, col].any()
    # V2 is 6 km east of S1: outside its 3.67 km radius, and planned S2 does not radiate.
    beyond = at(6000, 0)
    row, col = pixel_of(beyond.x, beyond.y, z, x, y)
    assert rgba[3, row, col] == 0
    # Transparent pixels carry no colour (clean edges when scaled).
    assert not rgba[:3][:, rgba[3] == 0].any()


def test_served_area_matches_the_radius(renderer: CoverageRenderer) -> None:
    z = 12
    x, y = tile_for_lonlat(109.0, 14.0, z)
    found = renderer.grid(z, x, y, tech="4G")
    px, py = metric_pixel_centres(z, x, y, 256, METRIC)
    site = at(0, 0)
    sx, sy = pyproj.Transformer.from_crs("EPSG:4326", METRIC, always_xy=True).transform(site.x, site.y)
    distance = np.hypot(px - sx, py - sy)
    # Exact away from the edge (a pixel is ~38 m here; pixel centres are the receivers).
    assert found.served[distance < 3_660].all()
    assert not found.served[distance > 3_680].any()


def test_pixel_level_matches_the_village_level(renderer: CoverageRenderer, analysis: Analysis) -> None:
    z = 16  # ~2.3 m pixels: the pixel centre is within a few metres of V1
    v1 = at(1000, 0)
    x, y = tile_for_lonlat(v1.x, v1.y, z)
    found = renderer.grid(z, x, y, tech="all")
    row, col = pixel_of(v1.x, v1.y, z, x, y)
    expected = float(analysis.coverage.set_index("village_id").loc["V1", "best_signal_dbm"])
    assert found.served[row, col]
    assert found.best_signal_dbm[row, col] == pytest.approx(expected, abs=0.1)


def test_far_tile_and_missing_tech_are_transparent(renderer: CoverageRenderer) -> None:
    far = tile_for_lonlat(105.85, 21.03, 11)
    assert renderer.render_png(11, *far) == transparent_png()
    x, y = tile_for_lonlat(109.0, 14.0, 11)
    assert renderer.render_png(11, x, y, tech="5G") == transparent_png()
    assert renderer.render_png(11, x, y, operator="MobiFone") == transparent_png()
    assert read_png(transparent_png())[3].max() == 0


def test_operator_filter_and_best_server_colours(renderer: CoverageRenderer) -> None:
    x, y = tile_for_lonlat(109.0, 14.0, 11)
    near = at(500, 500)
    row, col = pixel_of(near.x, near.y, 11, x, y)
    colours = operator_colours()
    rgba = read_png(renderer.render_png(11, x, y, mode="operator"))
    # S1 has identical Viettel and VNPT 4G cells: the best server is one of the two.
    assert tuple(rgba[:3, row, col]) in {colours["Viettel"], colours["VNPT"]}
    only_viettel = read_png(renderer.render_png(11, x, y, operator="Viettel", mode="operator"))
    assert tuple(only_viettel[:3, row, col]) == colours["Viettel"]


def test_bad_parameters(renderer: CoverageRenderer) -> None:
    with pytest.raises(LayerValidationError, match="technology"):
        renderer.render_png(11, 0, 0, tech="6G")
    with pytest.raises(LayerValidationError, match="operator"):
        renderer.render_png(11, 0, 0, operator="Acme")
    with pytest.raises(LayerValidationError, match="mode"):
        renderer.render_png(11, 0, 0, mode="heat")


@pytest.mark.parametrize("z", [6, 8, 10, 14])
def test_interpolated_pixel_centres_are_exact_enough(z: int) -> None:
    x, y = tile_for_lonlat(109.0, 14.0, z)
    mx, my = pixel_centres_3857(z, x, y, 256)
    ex, ey = pyproj.Transformer.from_crs("EPSG:3857", METRIC, always_xy=True).transform(mx, my)
    gx, gy = metric_pixel_centres(z, x, y, 256, METRIC)
    pixel_m = (mx[0, 1] - mx[0, 0]) * np.cos(np.radians(14.0))
    assert np.hypot(gx - ex, gy - ey).max() < 0.01 * pixel_m


def test_sector_tiles_draw_the_service_sectors_pixel_for_pixel(tmp_path: Path) -> None:
    # One site with a three-sector 4G layer (0/120/240°, 65° beams: ±60° each, the whole
    # disc) and a lone sector of another layer (azimuth 45°: 45 ± 65°). The adaptive
    # lattice of the radius model gives each pixel exactly what the model gives its centre.
    layers = tiny_layers()
    layers["cells"] = pd.DataFrame(
        {
            "cell_id": ["A0", "A1", "A2", "L"],
            "site_id": ["S1"] * 4,
            "operator": ["Viettel", "Viettel", "Viettel", "VNPT"],
            "tech": ["4G"] * 4,
            "band_mhz": [1800.0, 1800.0, 1800.0, 700.0],
            "azimuth_deg": [0.0, 120.0, 240.0, 45.0],
            "status": ["on_air"] * 4,
        }
    )
    ws = Workspace.create(tmp_path / "sectors", metric_crs=METRIC, provinces=["99"])
    ws.write_layers(layers, source="sector fixture")
    analysis = compute(ws)
    renderer = CoverageRenderer(analysis.model, analysis.cells, metric_crs=analysis.metric_crs)
    z = 12
    x, y = tile_for_lonlat(109.0, 14.0, z)
    px, py = metric_pixel_centres(z, x, y, 256, METRIC)
    for operator in ("Viettel", None):
        found = renderer.grid(z, x, y, tech="4G", operator=operator)
        mask = analysis.cells.on_air if operator is None else analysis.cells.operator == operator
        pairs = analysis.model.candidate_pairs(
            ReceiverArrays(px.ravel(), py.ravel()), analysis.cells.subset(mask).arrays
        )
        want = np.zeros(px.size, dtype=bool)
        want[pairs.receiver[pairs.served]] = True
        assert (found.served.ravel() == want).all()
    # The three-sector layer covers its 1,750 m disc; the lone 700 MHz sector reaches
    # its 3,670 m only within 45 ± 65°.
    site = at(0, 0)
    sx, sy = pyproj.Transformer.from_crs("EPSG:4326", METRIC, always_xy=True).transform(site.x, site.y)
    found = renderer.grid(z, x, y, tech="4G")
    d = np.hypot(px - sx, py - sy)
    bearing = np.degrees(np.arctan2(px - sx, py - sy)) % 360.0
    assert found.served[d < 1_740].all()
    off = np.abs((bearing - 45.0 + 180.0) % 360.0 - 180.0)
    assert found.served[(d > 1_760) & (d < 3_660) & (off < 64.0)].all()
    assert not found.served[(d > 1_760) & (off > 66.0)].any()
