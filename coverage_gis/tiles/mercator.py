"""Web Mercator tile arithmetic: z/x/y ↔ bounds, lon/lat ↔ EPSG:3857, tile pixel transforms.

Owns the XYZ tile scheme the web map uses (origin at the top-left, ``y`` growing
southwards, as in OSM/MapLibre URLs) and the affine maps between EPSG:3857 metres
and a tile's local grid (``extent`` units across; 4096 for vector tiles, 256 for
raster tiles). The spherical Mercator formulas are written out in numpy rather than
going through pyproj: they are exact for EPSG:3857 and run per tile on many points.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np

from coverage_gis.errors import LayerValidationError
from coverage_gis.models.base import FloatArray

Bounds = tuple[float, float, float, float]

#: WGS 84 semi-major axis, the sphere radius of EPSG:3857.
EARTH_RADIUS_M = 6_378_137.0
#: Half the width of the EPSG:3857 world square, metres.
ORIGIN_SHIFT_M = math.pi * EARTH_RADIUS_M
#: Latitude at which the Mercator world becomes square.
MAX_LAT = 85.05112877980659
#: Deepest zoom the tile endpoints accept (≈ 2 cm pixels; anything deeper is a typo).
MAX_ZOOM = 24
#: Pixels across a raster tile.
TILE_SIZE = 256


def check_tile(z: int, x: int, y: int) -> None:
    """Raise :class:`LayerValidationError` unless ``z/x/y`` names an existing XYZ tile."""
    if not 0 <= z <= MAX_ZOOM:
        raise LayerValidationError(f"zoom {z} is outside 0..{MAX_ZOOM}", field="z")
    n = 1 << z
    if not 0 <= x < n:
        raise LayerValidationError(f"tile column {x} is outside 0..{n - 1} at zoom {z}", field="x")
    if not 0 <= y < n:
        raise LayerValidationError(f"tile row {y} is outside 0..{n - 1} at zoom {z}", field="y")


def tile_size_m(z: int) -> float:
    """Width (= height) of a tile at zoom ``z`` in EPSG:3857 metres."""
    return 2.0 * ORIGIN_SHIFT_M / (1 << z)


def tile_bounds_3857(z: int, x: int, y: int) -> Bounds:
    """``(minx, miny, maxx, maxy)`` of tile ``z/x/y`` in EPSG:3857 metres."""
    size = tile_size_m(z)
    minx = -ORIGIN_SHIFT_M + x * size
    maxy = ORIGIN_SHIFT_M - y * size
    return (minx, maxy - size, minx + size, maxy)


def tile_bounds_lonlat(z: int, x: int, y: int) -> Bounds:
    """``(west, south, east, north)`` of tile ``z/x/y`` in degrees."""
    minx, miny, maxx, maxy = tile_bounds_3857(z, x, y)
    lon, lat = mercator_to_lonlat(np.array([minx, maxx]), np.array([miny, maxy]))
    return (float(lon[0]), float(lat[0]), float(lon[1]), float(lat[1]))


def buffered_bounds_3857(z: int, x: int, y: int, *, buffer: float, extent: int) -> Bounds:
    """Tile bounds grown by ``buffer`` tile units (of ``extent`` across) on every side."""
    minx, miny, maxx, maxy = tile_bounds_3857(z, x, y)
    pad = (maxx - minx) * buffer / extent
    return (minx - pad, miny - pad, maxx + pad, maxy + pad)


def bounds_3857_to_lonlat(bounds: Bounds) -> Bounds:
    """EPSG:3857 bounds → lon/lat bounds (clamped to the Mercator world)."""
    minx, miny, maxx, maxy = bounds
    lim = ORIGIN_SHIFT_M
    lon, lat = mercator_to_lonlat(
        np.clip(np.array([minx, maxx]), -lim, lim), np.clip(np.array([miny, maxy]), -lim, lim)
    )
    return (float(lon[0]), float(lat[0]), float(lon[1]), float(lat[1]))


def lonlat_to_mercator(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Vectorised EPSG:4326 → EPSG:3857 (latitudes clamped to ±:data:`MAX_LAT`)."""
    lon = np.asarray(lon, dtype=np.float64)
    lat = np.clip(np.asarray(lat, dtype=np.float64), -MAX_LAT, MAX_LAT)
    x = np.radians(lon) * EARTH_RADIUS_M
    y = np.log(np.tan(np.pi / 4.0 + np.radians(lat) / 2.0)) * EARTH_RADIUS_M
    return x, y


def mercator_to_lonlat(x: FloatArray, y: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Vectorised EPSG:3857 → EPSG:4326."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    lon = np.degrees(x / EARTH_RADIUS_M)
    lat = np.degrees(2.0 * np.arctan(np.exp(y / EARTH_RADIUS_M)) - np.pi / 2.0)
    return lon, lat


def tile_for_lonlat(lon: float, lat: float, z: int) -> tuple[int, int]:
    """``(x, y)`` of the zoom-``z`` tile containing a point."""
    mx, my = lonlat_to_mercator(np.array([lon]), np.array([lat]))
    size = tile_size_m(z)
    n = (1 << z) - 1
    tx = int(np.clip(np.floor((mx[0] + ORIGIN_SHIFT_M) / size), 0, n))
    ty = int(np.clip(np.floor((ORIGIN_SHIFT_M - my[0]) / size), 0, n))
    return tx, ty


def tiles_for_bbox(bbox_lonlat: Bounds, z: int) -> Iterator[tuple[int, int, int]]:
    """Every zoom-``z`` tile ``(z, x, y)`` that a lon/lat box touches."""
    west, south, east, north = bbox_lonlat
    x0, y0 = tile_for_lonlat(west, north, z)
    x1, y1 = tile_for_lonlat(east, south, z)
    for tx in range(x0, x1 + 1):
        for ty in range(y0, y1 + 1):
            yield (z, tx, ty)


def mercator_to_tile_pixels(
    x: FloatArray, y: FloatArray, bounds_3857: Bounds, extent: int
) -> tuple[FloatArray, FloatArray]:
    """EPSG:3857 → tile-local grid: ``(0, 0)`` top-left, ``(extent, extent)`` bottom-right."""
    minx, _, maxx, maxy = bounds_3857
    scale = extent / (maxx - minx)
    return (np.asarray(x) - minx) * scale, (maxy - np.asarray(y)) * scale


def pixel_centres_3857(z: int, x: int, y: int, size: int = 256) -> tuple[FloatArray, FloatArray]:
    """EPSG:3857 coordinates of the centres of a ``size`` × ``size`` raster tile, row-major.

    Returns two arrays of shape ``(size, size)``: row 0 is the northern edge.
    """
    minx, _, maxx, maxy = tile_bounds_3857(z, x, y)
    step = (maxx - minx) / size
    offsets = (np.arange(size, dtype=np.float64) + 0.5) * step
    xs, ys = np.meshgrid(minx + offsets, maxy - offsets)
    return xs, ys
