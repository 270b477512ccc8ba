"""Synthetic terrain: the smooth upland index of a province and its DEM GeoTIFF.

Owns the relief the demo gives each province: a plain (coast or river valley) rising
to highlands on the province's ``mountain_side`` (Bình Định: the west, up to about
1,200 m), with a wavy mountain front and seeded value noise on three scales. The
smooth part, :meth:`Relief.upland`, is also what the other generators read to tell
mountain communes (village names, remote villages) from the plain, so the DEM and the
network agree on where the hills are.

The raster lives on one global grid of :data:`PIXEL_DEG` (≈ 165 m) cells in
EPSG:4326, so the windows of several provinces line up when merged.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import rasterio
from affine import Affine
from numpy.typing import NDArray
from scipy import ndimage

from coverage_gis._files import atomic_path
from coverage_gis.boundaries import Province
from coverage_gis.models.base import FloatArray
from coverage_gis.terrain.dem import ArrayDem

if TYPE_CHECKING:
    from coverage_gis.demo._context import ProvinceContext

#: Pixel size of the DEM in degrees (≈ 165 m north–south, 160 m east–west at 14° N).
PIXEL_DEG = 0.0015
#: Value of pixels outside every province window (only in multi-province rasters).
NODATA = -9999.0
#: Margin around a province's bounding box covered by its DEM window.
MARGIN_DEG = 0.05
#: Highest summits the relief aims at, metres (Bình Định: An Lão/Vĩnh Thạnh ranges;
#: Huế: Bạch Mã/A Lưới; Bắc Giang: Yên Tử/Sơn Động; Bình Phước: Bà Rá; Bình Thuận:
#: the foothills of the Lâm Đồng plateau).
MAX_ELEVATION_M: dict[str, float] = {
    "52": 1200.0,
    "46": 1450.0,
    "24": 1050.0,
    "70": 720.0,
    "60": 1300.0,
}
_DEFAULT_MAX_ELEVATION_M = 1000.0


def _smoothstep(x: FloatArray) -> FloatArray:
    c = np.clip(x, 0.0, 1.0)
    return np.asarray(c * c * (3.0 - 2.0 * c), dtype=np.float64)


@dataclass(frozen=True)
class Relief:
    """The smooth large-scale relief of one province.

    Parameters
    ----------
    bounds
        (west, south, east, north) of the province in degrees.
    side
        Where the highlands lie: ``west``, ``east``, ``north`` or ``south``.
    max_elevation_m
        Height the highest ridges approach.
    front_phase
        Phase of the wave that keeps the mountain front from being a straight line.
    """

    bounds: tuple[float, float, float, float]
    side: str
    max_elevation_m: float
    front_phase: float

    @classmethod
    def for_province(
        cls, province: Province, bounds: tuple[float, float, float, float], rng: np.random.Generator
    ) -> Relief:
        """The relief of ``province`` within ``bounds``, its front wave drawn from ``rng``."""
        return cls(
            bounds=bounds,
            side=province.mountain_side,
            max_elevation_m=MAX_ELEVATION_M.get(province.code, _DEFAULT_MAX_ELEVATION_M),
            front_phase=float(rng.uniform(0.0, 2.0 * math.pi)),
        )

    def axis(self, lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
        """(t, s): t runs 0 → 1 from the plain side to the mountain side, s along the front."""
        west, south, east, north = self.bounds
        x = (np.asarray(lon, dtype=np.float64) - west) / max(east - west, 1e-9)
        y = (np.asarray(lat, dtype=np.float64) - south) / max(north - south, 1e-9)
        if self.side == "west":
            return 1.0 - x, y
        if self.side == "east":
            return x, y
        if self.side == "north":
            return y, x
        return 1.0 - y, x

    def upland(self, lon: FloatArray, lat: FloatArray) -> FloatArray:
        """0 on the plain, 1 in the high mountains, smooth in between."""
        t, s = self.axis(lon, lat)
        front = 0.45 + 0.07 * np.sin(2.0 * math.pi * 1.3 * s + self.front_phase)
        return _smoothstep((t - front + 0.18) / 0.5)


@dataclass(frozen=True)
class DemRaster:
    """Elevation on the global :data:`PIXEL_DEG` grid.

    ``col0`` is the column of the west edge (west = ``col0 * PIXEL_DEG``), ``row0`` the
    row of the north edge (north = ``row0 * PIXEL_DEG``); integer offsets keep windows
    of different provinces aligned exactly.
    """

    elevation_m: NDArray[np.float32]
    col0: int
    row0: int

    @property
    def transform(self) -> Affine:
        return Affine(PIXEL_DEG, 0.0, self.col0 * PIXEL_DEG, 0.0, -PIXEL_DEG, self.row0 * PIXEL_DEG)

    @property
    def shape(self) -> tuple[int, int]:
        rows, cols = self.elevation_m.shape
        return int(rows), int(cols)

    def sample(self, lon: FloatArray, lat: FloatArray) -> FloatArray:
        """Elevation at points (nearest pixel; NaN outside the raster or on nodata)."""
        col = np.floor(np.asarray(lon) / PIXEL_DEG).astype(np.int64) - self.col0
        row = self.row0 - 1 - np.floor(np.asarray(lat) / PIXEL_DEG).astype(np.int64)
        rows, cols = self.shape
        inside = (col >= 0) & (col < cols) & (row >= 0) & (row < rows)
        out = np.full(col.shape, np.nan)
        out[inside] = self.elevation_m[row[inside], col[inside]]
        out[out == NODATA] = np.nan
        return out


def _value_noise(rng: np.random.Generator, shape: tuple[int, int], cell_px: int) -> FloatArray:
    """Smooth noise with features about ``cell_px`` pixels wide, mean 0, std 1."""
    coarse = rng.standard_normal((shape[0] // cell_px + 4, shape[1] // cell_px + 4))
    fine = ndimage.zoom(coarse, cell_px, order=3, mode="nearest")
    out = np.asarray(fine[cell_px : cell_px + shape[0], cell_px : cell_px + shape[1]], dtype=np.float64)
    std = float(out.std())
    return (out - float(out.mean())) / (std if std > 0 else 1.0)


def province_dem(relief: Relief, rng: np.random.Generator) -> DemRaster:
    """The DEM window of one province (its bounds plus :data:`MARGIN_DEG`).

    Parameters
    ----------
    relief
        The province's smooth relief.
    rng
        Stream for the noise; the same stream gives the same raster.
    """
    west, south, east, north = relief.bounds
    col0 = math.floor((west - MARGIN_DEG) / PIXEL_DEG)
    col1 = math.ceil((east + MARGIN_DEG) / PIXEL_DEG)
    row0 = math.ceil((north + MARGIN_DEG) / PIXEL_DEG)
    row1 = math.floor((south - MARGIN_DEG) / PIXEL_DEG)
    shape = (row0 - row1, col1 - col0)
    lon = (col0 + np.arange(shape[1]) + 0.5) * PIXEL_DEG
    lat = (row0 - np.arange(shape[0]) - 0.5) * PIXEL_DEG
    lon_grid, lat_grid = np.meshgrid(lon, lat)
    t, _ = relief.axis(lon_grid, lat_grid)
    upland = relief.upland(lon_grid, lat_grid)
    peak = relief.max_elevation_m
    massifs = 0.5 + 0.5 * np.tanh(_value_noise(rng, shape, 96))
    ridges = _value_noise(rng, shape, 20)
    texture = _value_noise(rng, shape, 5)
    # The plain still rises gently inland; ridge noise grows with the upland index so
    # the coast stays flat and the mountains get rugged.
    elevation = (
        4.0
        + 30.0 * np.clip(t, 0.0, 1.0)
        + 0.62 * peak * upland**1.5 * (0.35 + 0.65 * massifs)
        + (12.0 + 0.09 * peak * upland) * ridges
        + (2.0 + 0.03 * peak * upland) * texture
    )
    return DemRaster(np.clip(elevation, 0.0, None).astype(np.float32), col0, row0)


def dem_source(dem: DemRaster, ctx: ProvinceContext) -> ArrayDem:
    """``dem`` as a terrain source of the coverage models (before it is written to disk)."""
    return ArrayDem(
        dem.elevation_m,
        dem.transform,
        "EPSG:4326",
        identity=f"demo-{ctx.code}-{ctx.seed}-{dem.col0}-{dem.row0}-{dem.shape}",
        nodata=NODATA,
    )


def merge_dems(parts: list[DemRaster]) -> DemRaster:
    """One raster covering all windows; later windows win where they overlap."""
    if len(parts) == 1:
        return parts[0]
    col0 = min(p.col0 for p in parts)
    row0 = max(p.row0 for p in parts)
    col1 = max(p.col0 + p.shape[1] for p in parts)
    row1 = min(p.row0 - p.shape[0] for p in parts)
    canvas = np.full((row0 - row1, col1 - col0), NODATA, dtype=np.float32)
    for part in parts:
        r, c = row0 - part.row0, part.col0 - col0
        canvas[r : r + part.shape[0], c : c + part.shape[1]] = part.elevation_m
    return DemRaster(canvas, col0, row0)


def write_dem(dem: DemRaster, path: Path) -> None:
    """Write ``dem`` as a tiled, deflate-compressed float32 GeoTIFF (atomically)."""
    rows, cols = dem.shape
    profile = {
        "driver": "GTiff",
        "width": cols,
        "height": rows,
        "count": 1,
        "dtype": "float32",
        "crs": "EPSG:4326",
        "transform": dem.transform,
        "nodata": NODATA,
        "compress": "deflate",
        "predictor": 3,
        "tiled": True,
        "blockxsize": 256,
        "blockysize": 256,
    }
    with atomic_path(path) as tmp, rasterio.open(tmp, "w", **profile) as dst:
        dst.write(dem.elevation_m, 1)
        dst.set_band_description(1, "elevation_m")
        dst.update_tags(
            SOURCE="synthetic",
            DESCRIPTION="Synthetic terrain generated by coverage_gis.demo (not a survey DEM)",
            UNITS="metre",
        )
