"""Signal overlay of one site for the web map: its terrain signal raster as a coloured PNG.

Owns turning :func:`coverage_gis.terrain.raster.signal_raster` into an image the web
map can lay over the basemap: the on-air 3G/4G/5G cells of one site (best server among
its sectors), the terrain model of the workspace (the analysis' own when it is the
``terrain`` model, else one built from the workspace's DEM and model settings, without
a calibration's clutter offsets), a square of side ``2 · radius`` around the site in the
metric CRS, coloured on the coverage tiles' ramp (:func:`coverage_gis.tiles.raster.colour_signal`,
the same legend) where the level reaches the best cell's threshold and transparent
elsewhere. The image's four corners are given in longitude/latitude (north-west,
north-east, south-east, south-west), the order MapLibre's ``image`` source takes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pyproj

from coverage_gis.errors import NotFound
from coverage_gis.models import create_model, load_model_settings
from coverage_gis.models.base import CoverageModel, is_broadband
from coverage_gis.models.terrain import TerrainModel
from coverage_gis.network import CellTable
from coverage_gis.terrain.raster import SignalRaster, signal_raster
from coverage_gis.tiles.png import encode_png
from coverage_gis.tiles.raster import colour_signal
from coverage_gis.workspace import Workspace

#: Radius of an overlay when none is asked for, and the largest one allowed, metres.
DEFAULT_RADIUS_M = 10_000.0
MAX_RADIUS_M = 50_000.0
#: Pixels across an overlay at most: wider ones get coarser pixels than the terrain step.
MAX_PIXELS = 2048


@dataclass(frozen=True)
class SignalOverlay:
    """A site's signal raster, coloured, and where it lies."""

    site_id: str
    png: bytes
    #: ``[[lon, lat] × 4]``: north-west, north-east, south-east, south-west corners.
    corners_lonlat: list[list[float]]
    radius_m: float
    pixel_m: float
    #: Pixels whose level reaches the best cell's threshold, and all pixels.
    served_pixels: int
    pixels: int

    @property
    def bounds_lonlat(self) -> tuple[float, float, float, float]:
        """``(west, south, east, north)`` around the four corners."""
        lons = [c[0] for c in self.corners_lonlat]
        lats = [c[1] for c in self.corners_lonlat]
        return (min(lons), min(lats), max(lons), max(lats))


def terrain_model_for(model: CoverageModel, ws: Workspace) -> TerrainModel:
    """The terrain model to draw signal with: ``model`` itself when it is one, else the workspace's.

    Raises
    ------
    NotFound
        The workspace has no DEM (``dem.tif`` or ``srtm/*.hgt``): there is no overlay to give.
    """
    if isinstance(model, TerrainModel):
        return model
    if ws.dem_path is None:
        raise NotFound(
            f"{ws.path}: a signal overlay needs terrain: put a GeoTIFF of ground heights at "
            "<workspace>/dem.tif or SRTM .hgt tiles in <workspace>/srtm/"
        )
    made = create_model(
        "terrain",
        load_model_settings(ws.model_settings_path),
        dem_path=ws.dem_path,
        metric_crs=ws.metric_crs,
    )
    assert isinstance(made, TerrainModel)
    return made


def overlay_corners(x_m: float, y_m: float, radius_m: float, metric_crs: str) -> list[list[float]]:
    """Corners (NW, NE, SE, SW) of the square of half-side ``radius_m`` around a point, lon/lat."""
    to_lonlat = pyproj.Transformer.from_crs(metric_crs, "EPSG:4326", always_xy=True)
    xs = [x_m - radius_m, x_m + radius_m, x_m + radius_m, x_m - radius_m]
    ys = [y_m + radius_m, y_m + radius_m, y_m - radius_m, y_m - radius_m]
    lon, lat = to_lonlat.transform(xs, ys)
    return [[float(a), float(b)] for a, b in zip(lon, lat, strict=True)]


def nearest_site(cells: CellTable, lon: float, lat: float, metric_crs: str) -> str:
    """The site with an on-air 3G/4G/5G cell nearest to a point (longitude, latitude).

    Raises
    ------
    NotFound
        No site has an on-air 3G/4G/5G cell.
    """
    live = cells.on_air & is_broadband(cells.arrays.tech)
    if not live.any():
        raise NotFound("no site has an on-air 3G/4G/5G cell to draw the signal of")
    to_metric = pyproj.Transformer.from_crs("EPSG:4326", metric_crs, always_xy=True)
    x, y = to_metric.transform(lon, lat)
    index = np.flatnonzero(live)
    dist = np.hypot(cells.arrays.x_m[index] - x, cells.arrays.y_m[index] - y)
    return str(cells.site_id[index[int(np.argmin(dist))]])


def site_signal_overlay(
    model: TerrainModel,
    cells: CellTable,
    site_id: str,
    *,
    radius_m: float | None = None,
) -> SignalOverlay:
    """The signal overlay of site ``site_id`` (see the module docstring).

    Parameters
    ----------
    model
        The terrain model (its metric CRS is the cells').
    cells
        All cells of the workspace with their on-air flags.
    site_id
        The site.
    radius_m
        Half the side of the square drawn; default :data:`DEFAULT_RADIUS_M`, capped
        by :data:`MAX_RADIUS_M`.

    Raises
    ------
    NotFound
        The site has no on-air 3G/4G/5G cell.
    """
    mine = (cells.site_id == site_id) & cells.on_air & is_broadband(cells.arrays.tech)
    if not mine.any():
        raise NotFound(f"site {site_id!r} has no on-air 3G/4G/5G cell to draw the signal of")
    arrays = cells.subset(mine).arrays
    radius = min(float(DEFAULT_RADIUS_M if radius_m is None else radius_m), MAX_RADIUS_M)
    x, y = float(arrays.x_m[0]), float(arrays.y_m[0])
    step = float(model.settings.terrain.step_m)
    pixel = max(step, 2.0 * radius / MAX_PIXELS)
    # Whole pixels across: the image's edges are the box's edges.
    half = math.ceil(radius / pixel - 1e-9) * pixel
    raster: SignalRaster = signal_raster(
        model, arrays, (x - half, y - half, x + half, y + half), pixel_m=pixel
    )
    level = raster.signal_dbm.astype(np.float64)
    threshold = model.settings.threshold_for_cells(arrays.tech)
    best = raster.best_cell
    served = (best >= 0) & (level >= threshold[np.maximum(best, 0)])
    png = encode_png(colour_signal(level, served))
    return SignalOverlay(
        site_id=site_id,
        png=png,
        corners_lonlat=overlay_corners(x, y, half, model.metric_crs),
        radius_m=half,
        pixel_m=pixel,
        served_pixels=int(served.sum()),
        pixels=int(served.size),
    )
