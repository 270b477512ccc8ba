"""Hillshade raster tiles of the workspace's DEM (``dem.tif`` or the ``srtm/`` tiles), as PNG.

Owns the relief the offline basemap shows: for tile ``z/x/y`` the ground height is
sampled bilinearly (:mod:`coverage_gis.terrain.dem` reads only the window it needs) at
the centres of a 258 × 258 pixel grid (the tile plus one pixel all round, so slopes at
the tile's edge match its neighbour's), the surface normal is taken from central
differences over the true ground spacing of a pixel (Mercator pixel × cos latitude),
and lit from ``azimuth_deg`` / ``altitude_deg`` (``layers/map_style.yaml``). Slopes
facing away from the light darken the background with the ``shadow`` colour, slopes
facing it lighten it with ``highlight``; flat ground and pixels without a height are
transparent, so the tiles blend over any background. At small zooms, where a pixel
spans hundreds of metres and real slopes flatten out, heights are exaggerated
(:func:`vertical_exaggeration`).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pyproj
from numpy.typing import NDArray
from scipy import ndimage

from coverage_gis.terrain.dem import Dem, open_dem
from coverage_gis.tiles.map_style import Hillshade
from coverage_gis.tiles.mercator import TILE_SIZE, mercator_to_lonlat, tile_bounds_3857
from coverage_gis.tiles.png import encode_png, transparent_png

FloatArray = NDArray[np.float64]
UInt8Array = NDArray[np.uint8]

#: Share of the highlight's strength relative to the shadow's: lit slopes only hint.
HIGHLIGHT_SHARE = 0.5


def vertical_exaggeration(z: int) -> float:
    """Height factor at zoom ``z``: 1 from zoom 12 on, doubling every two zooms out, at most 8."""
    return float(min(8.0, max(1.0, 2.0 ** ((12 - z) / 2.0))))


def shade(
    heights_m: FloatArray,
    spacing_x_m: FloatArray | float,
    spacing_y_m: float,
    *,
    azimuth_deg: float,
    altitude_deg: float,
) -> FloatArray:
    """Lambertian shade (0…1) of the inner cells of a height grid (row 0 = north).

    Parameters
    ----------
    heights_m
        ``(rows, cols)`` heights; the result is ``(rows - 2, cols - 2)``.
    spacing_x_m
        East–west distance between columns, one value or one per inner row.
    spacing_y_m
        North–south distance between rows.
    azimuth_deg, altitude_deg
        Where the light comes from: clockwise from north, and above the horizon.

    Flat ground gets ``sin(altitude)``; NaN where a neighbour has no height.
    """
    dx = np.asarray(spacing_x_m, dtype=np.float64)
    if dx.ndim == 1:
        dx = dx[:, None]
    # Central differences: east minus west, and north (row above) minus south.
    dz_east = (heights_m[1:-1, 2:] - heights_m[1:-1, :-2]) / (2.0 * dx)
    dz_north = (heights_m[:-2, 1:-1] - heights_m[2:, 1:-1]) / (2.0 * spacing_y_m)
    az = math.radians(azimuth_deg)
    alt = math.radians(altitude_deg)
    light = (math.sin(az) * math.cos(alt), math.cos(az) * math.cos(alt), math.sin(alt))
    # The surface normal (-dz/dx, -dz/dy, 1), normalised, against the light.
    norm = np.sqrt(dz_east**2 + dz_north**2 + 1.0)
    lit = (-dz_east * light[0] - dz_north * light[1] + light[2]) / norm
    return np.asarray(np.clip(lit, 0.0, 1.0), dtype=np.float64)


def _rgb(colour: str) -> tuple[int, int, int]:
    text = colour.lstrip("#")
    return (int(text[0:2], 16), int(text[2:4], 16), int(text[4:6], 16))


def colour_shade(lit: FloatArray, style: Hillshade) -> UInt8Array:
    """RGBA bands ``(4, H, W)``: shadow colour below flat, highlight above, transparent where NaN."""
    flat = math.sin(math.radians(style.altitude_deg))
    delta = np.nan_to_num(lit - flat, nan=0.0)
    dark = np.clip(-delta / flat, 0.0, 1.0)
    bright = np.clip(delta / max(1.0 - flat, 1e-9), 0.0, 1.0) * HIGHLIGHT_SHARE
    rgba = np.zeros((4, *lit.shape), dtype=np.uint8)
    shadow, highlight = _rgb(style.shadow), _rgb(style.highlight)
    use_shadow = dark >= bright
    for band in range(3):
        rgba[band] = np.where(use_shadow, shadow[band], highlight[band]).astype(np.uint8)
    alpha = np.where(use_shadow, dark, bright) * style.opacity * 255.0
    rgba[3] = np.rint(np.where(np.isnan(lit), 0.0, alpha)).astype(np.uint8)
    return rgba


class HillshadeRenderer:
    """Renders hillshade tiles of one DEM.

    Parameters
    ----------
    dem_path
        ``dem.tif``, one ``.hgt`` tile or a folder of them (:func:`~coverage_gis.terrain.dem.open_dem`).
    style
        Light and colours (``layers/map_style.yaml`` ``hillshade``).
    """

    def __init__(self, dem_path: Path, style: Hillshade) -> None:
        self.dem: Dem = open_dem(dem_path)
        self.style = style
        dem_crs = pyproj.CRS.from_user_input(self.dem.crs)
        self._to_dem = (
            None
            if dem_crs.equals(pyproj.CRS.from_epsg(4326))
            else pyproj.Transformer.from_crs("EPSG:4326", dem_crs, always_xy=True)
        )

    def heights(self, z: int, x: int, y: int, size: int = TILE_SIZE) -> tuple[FloatArray, FloatArray]:
        """Heights at the centres of the tile's pixels plus a one-pixel ring, and their latitudes.

        Returns ``(size + 2, size + 2)`` heights (NaN outside the DEM) and the latitude of each row.
        """
        minx, _, maxx, maxy = tile_bounds_3857(z, x, y)
        step = (maxx - minx) / size
        offsets = (np.arange(-1, size + 1, dtype=np.float64) + 0.5) * step
        mx, my = np.meshgrid(minx + offsets, maxy - offsets)
        lon, lat = mercator_to_lonlat(mx.ravel(), my.ravel())
        px, py = (lon, lat) if self._to_dem is None else self._to_dem.transform(lon, lat)
        px = np.asarray(px, dtype=np.float64)
        py = np.asarray(py, dtype=np.float64)
        window = self.dem.read((float(px.min()), float(py.min()), float(px.max()), float(py.max())))
        col, row = window.global_col_row(px, py)
        grid = np.asarray(window.heights_m, dtype=np.float64)
        sampled = ndimage.map_coordinates(
            grid, [row - window.row_offset, col - window.col_offset], order=1, mode="constant", cval=np.nan
        )
        n = size + 2
        return sampled.reshape(n, n), np.asarray(lat, dtype=np.float64).reshape(n, n)[:, 0]

    def lit(self, z: int, x: int, y: int, size: int = TILE_SIZE) -> FloatArray:
        """Shade (0…1) of each pixel of the tile, NaN where the DEM has no height."""
        heights, row_lat = self.heights(z, x, y, size)
        minx, _, maxx, _ = tile_bounds_3857(z, x, y)
        step_m = (maxx - minx) / size
        # A Mercator pixel spans step × cos(latitude) metres on the ground, both ways.
        ground = step_m * np.cos(np.radians(row_lat[1:-1]))
        exaggerated = heights * vertical_exaggeration(z)
        return shade(
            exaggerated,
            ground,
            float(np.mean(ground)),
            azimuth_deg=self.style.azimuth_deg,
            altitude_deg=self.style.altitude_deg,
        )

    def render_png(self, z: int, x: int, y: int) -> bytes:
        """PNG bytes of the hillshade tile ``z/x/y`` (transparent outside the DEM)."""
        lit = self.lit(z, x, y)
        if np.isnan(lit).all():
            return transparent_png()
        return encode_png(colour_shade(lit, self.style), bounds_3857=tile_bounds_3857(z, x, y))
