"""Signal rasters: the terrain model's best-server level in dBm per pixel, and GeoTIFF output.

:func:`signal_raster` evaluates a bounding box of the metric CRS on a grid of square
pixels (default: the terrain sample step, 30 m) with
:meth:`~coverage_gis.models.terrain.TerrainModel.best_signal_at`: each pixel centre
takes the best level over the cells reaching it (best-server composition), NaN where
none does, and the index of that cell. The work goes in blocks of pixels so memory
stays bounded whatever the box, and the blocks run in the model's worker threads
(each writes its own rows); the terrain part of every site is a radial grid
computed once and cached by the model, so re-rendering after a site edit recomputes
that site only. :func:`write_signal_geotiff` writes the level band as a float32 GeoTIFF
(NaN nodata, tiled, ZSTD with the floating-point predictor: GDAL ≥ 2.3 reads it).

:meth:`TerrainModel.best_signal_at` takes any point set in the metric CRS (a map
tile's pixel centres, say); :mod:`coverage_gis.tiles` does not call it yet (see
``docs/terrain.md``).
"""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from affine import Affine
from numpy.typing import NDArray

from coverage_gis.models.base import CellArrays
from coverage_gis.models.terrain import ServerPlan, TerrainModel

Bounds = tuple[float, float, float, float]
#: Pixels per block of the raster loop (each worker holds a block's temporaries: 32k keeps
#: that ~8 MB a thread and is no slower than larger blocks).
BLOCK_PIXELS = 1 << 15
#: Side of the GeoTIFF's tiles, pixels.
_TILE = 256


@dataclass(frozen=True)
class SignalRaster:
    """A best-server signal raster (row 0 = north).

    Attributes
    ----------
    signal_dbm
        ``(rows, cols)`` float32 level of the best cell, NaN where no cell reaches.
    best_cell
        ``(rows, cols)`` int32 index into the cells of the best server, -1 where none.
    transform
        Pixel → metric-CRS affine transform (GDAL convention, corner based).
    crs
        The metric CRS.
    """

    signal_dbm: NDArray[np.float32]
    best_cell: NDArray[np.int32]
    transform: Affine
    crs: str

    @property
    def shape(self) -> tuple[int, int]:
        """``(rows, cols)``."""
        rows, cols = self.signal_dbm.shape
        return int(rows), int(cols)


def signal_raster(
    model: TerrainModel,
    cells: CellArrays,
    bounds_m: Bounds,
    *,
    pixel_m: float | None = None,
    receiver_height_m: float | None = None,
) -> SignalRaster:
    """The best-server level of ``cells`` on a pixel grid over ``bounds_m``.

    Parameters
    ----------
    model
        The terrain model (its DEM, settings and per-site cache).
    cells
        Cells in the model's metric CRS (all of them radiate; filter on-air ones first).
    bounds_m
        ``(west, south, east, north)`` in the metric CRS; the grid starts at the
        north-west corner and covers the box (the last row/column may overhang).
    pixel_m
        Pixel size; default the terrain sample step.
    receiver_height_m
        Receiver antenna height; default the settings' receiver height.
    """
    pixel = float(model.settings.terrain.step_m if pixel_m is None else pixel_m)
    west, south, east, north = bounds_m
    cols = max(math.ceil((east - west) / pixel - 1e-9), 1)
    rows = max(math.ceil((north - south) / pixel - 1e-9), 1)
    level = np.full((rows, cols), np.nan, dtype=np.float32)
    best = np.full((rows, cols), -1, dtype=np.int32)
    xs = np.asarray(west + (np.arange(cols) + 0.5) * pixel, dtype=np.float64)
    # One plan for all blocks: each site's radial grid is computed once per raster,
    # before the blocks, which then only read it (in the model's worker threads).
    plan = model.server_plan(cells, receiver_height_m=receiver_height_m)
    plan.grids(np.flatnonzero(_sites_reaching(plan, bounds_m)))
    block_rows = max(BLOCK_PIXELS // cols, 1)

    def fill(r0: int) -> None:
        r1 = min(r0 + block_rows, rows)
        ys = np.asarray(north - (np.arange(r0, r1) + 0.5) * pixel, dtype=np.float64)
        got, cell = model.best_signal_on_grid(xs, ys, cells, plan=plan)
        level[r0:r1] = got
        best[r0:r1] = cell

    starts = range(0, rows, block_rows)
    if model.engine.workers == 1 or len(starts) == 1:
        for r0 in starts:
            fill(r0)
    else:
        # Blocks write disjoint rows: the raster does not depend on the thread count.
        with ThreadPoolExecutor(max_workers=model.engine.workers) as pool:
            for future in [pool.submit(fill, r0) for r0 in starts]:
                future.result()
    return SignalRaster(level, best, Affine(pixel, 0.0, west, 0.0, -pixel, north), model.metric_crs)


def _sites_reaching(plan: ServerPlan, bounds_m: Bounds) -> NDArray[np.bool_]:
    # Sites whose reach meets the box (the others have no pixel in it).
    west, south, east, north = bounds_m
    near_x = np.clip(plan.sites.x_m, west, east)
    near_y = np.clip(plan.sites.y_m, south, north)
    return np.asarray(
        np.hypot(plan.sites.x_m - near_x, plan.sites.y_m - near_y) <= plan.site_reach, dtype=np.bool_
    )


def write_signal_geotiff(raster: SignalRaster, path: Path) -> Path:
    """Write the level band of ``raster`` as a float32 GeoTIFF (dBm, NaN nodata) and return ``path``."""
    import rasterio
    from rasterio.windows import Window

    rows, cols = raster.shape
    path = Path(path)
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=cols,
        height=rows,
        count=1,
        dtype="float32",
        crs=raster.crs,
        transform=raster.transform,
        nodata=float("nan"),
        tiled=True,
        blockxsize=_TILE,
        blockysize=_TILE,
        # ZSTD at level 1 with the floating-point predictor: the size DEFLATE at level 1
        # gives (5.0 MB for 25 km) in half its time (DEFLATE was ~0.07 s at 25 km, a
        # tenth of the whole raster, in one thread whatever NUM_THREADS says).
        compress="zstd",
        zstd_level=1,
        predictor=3,
        num_threads="all_cpus",
    ) as dst:
        # One row of tiles at a time: GDAL then holds one strip of blocks, not a copy
        # of the whole raster (~45 MB less at peak for a 50 km raster).
        for r0 in range(0, rows, _TILE):
            height = min(_TILE, rows - r0)
            dst.write(raster.signal_dbm[r0 : r0 + height], 1, window=Window(0, r0, cols, height))
        dst.set_band_description(1, "best-server signal level (dBm)")
    return path
