"""Terrain rasters: checking a GeoTIFF DEM and installing it as ``<ws>/dem.tif``.

A usable DEM is a GeoTIFF with a CRS, one numeric band (heights in metres) and
bounds that overlap Vietnam. :func:`import_dem` copies the file beside the
workspace's other data under a temporary name and moves it into place with one
``os.replace``, so a reader never sees half a file.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import rasterio
import rasterio.errors
import rasterio.warp

from coverage_gis.crs import STORAGE_CRS
from coverage_gis.errors import LayerValidationError
from coverage_gis.io.vector import MAX_IMPORT_BYTES, check_input_file, one_line
from coverage_gis.validation import VIETNAM_BBOX
from coverage_gis.workspace import DEM_NAME, Workspace


@dataclass(frozen=True)
class DemInfo:
    """What a DEM holds: grid size, CRS, cell size, value type and lon/lat bounds."""

    width: int
    height: int
    crs: str
    resolution: tuple[float, float]
    dtype: str
    nodata: float | None
    bounds_lonlat: tuple[float, float, float, float]


def _overlaps(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def read_dem_info(path: Path, *, max_bytes: int = MAX_IMPORT_BYTES) -> DemInfo:
    """Open a GeoTIFF DEM and check that it can serve as the workspace's terrain.

    Parameters
    ----------
    path
        The GeoTIFF.
    max_bytes
        Size limit in bytes.

    Returns
    -------
    DemInfo
        Its grid, CRS and bounds.

    Raises
    ------
    LayerValidationError
        Missing or unreadable file, not a GeoTIFF, no CRS, not exactly one band,
        a non-numeric band, or bounds that do not overlap Vietnam.
    InputTooLarge
        Over ``max_bytes``.
    """
    source = str(path)
    check_input_file(path, max_bytes=max_bytes)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", rasterio.errors.NotGeoreferencedWarning)
            # The GeoTIFF driver only: GDAL would otherwise probe the content, and a VRT
            # reads other files or URLs it names.
            src = rasterio.open(path, driver="GTiff")
    except rasterio.errors.RasterioIOError as exc:
        raise LayerValidationError(
            f"not a readable raster: only GeoTIFF is read, convert others with gdal_translate -of GTiff "
            f"({one_line(exc)})",
            source=source,
        ) from None
    with src:
        if src.driver != "GTiff":
            raise LayerValidationError(
                f"is a {src.driver} raster; convert it to GeoTIFF (gdal_translate -of GTiff)", source=source
            )
        if src.crs is None:
            raise LayerValidationError(
                "has no CRS; assign one (e.g. gdal_edit.py -a_srs EPSG:32649) and import again",
                source=source,
                field="crs",
            )
        if src.count != 1:
            raise LayerValidationError(
                f"has {src.count} bands; a DEM has exactly one band of heights in metres",
                source=source,
                field="band",
            )
        dtype = str(src.dtypes[0])
        if not (np.issubdtype(np.dtype(dtype), np.integer) or np.issubdtype(np.dtype(dtype), np.floating)):
            raise LayerValidationError(
                f"band type {dtype} is not numeric heights", source=source, field="band"
            )
        try:
            bounds = rasterio.warp.transform_bounds(src.crs, STORAGE_CRS, *src.bounds)
        except Exception as exc:
            raise LayerValidationError(
                f"cannot transform the bounds from CRS {src.crs} to EPSG:4326 ({one_line(exc)})",
                source=source,
                field="crs",
            ) from None
        lonlat = (float(bounds[0]), float(bounds[1]), float(bounds[2]), float(bounds[3]))
        if not _overlaps(lonlat, VIETNAM_BBOX):
            raise LayerValidationError(
                f"bounds ({lonlat[0]:.4f}, {lonlat[1]:.4f}, {lonlat[2]:.4f}, {lonlat[3]:.4f}) "
                f"do not overlap Vietnam {VIETNAM_BBOX}; check the CRS",
                source=source,
            )
        return DemInfo(
            width=int(src.width),
            height=int(src.height),
            crs=src.crs.to_string(),
            resolution=(float(src.res[0]), float(src.res[1])),
            dtype=dtype,
            nodata=None if src.nodata is None else float(src.nodata),
            bounds_lonlat=lonlat,
        )


def import_dem(ws: Workspace, path: Path, *, max_bytes: int = MAX_IMPORT_BYTES) -> DemInfo:
    """Check a GeoTIFF DEM and install it as the workspace's ``dem.tif``.

    Parameters
    ----------
    ws
        The workspace.
    path
        The GeoTIFF.
    max_bytes
        Size limit in bytes.

    Returns
    -------
    DemInfo
        What was installed. The previous ``dem.tif``, if any, is replaced only
        after the new one passed every check.
    """
    info = read_dem_info(path, max_bytes=max_bytes)
    ws.install_file(path, DEM_NAME)
    return info
