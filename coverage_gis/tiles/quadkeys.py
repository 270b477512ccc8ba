"""Quadkeys of the Bing Maps tile system, as Ookla's open-data tiles name theirs
(``docs/architecture.md``, tiles).

A quadkey gives a tile's column and row bit by bit, one digit ``2·ybit + xbit`` per zoom
level, most significant first (``"132"`` is a tile of zoom 3). Vectorised over many keys:
their tiles, their bounds and centres in degrees, and the key of the tile each point is in.
"""

from __future__ import annotations

import numpy as np

from coverage_gis.tiles.mercator import ORIGIN_SHIFT_M, lonlat_to_mercator, mercator_to_lonlat, tile_size_m

__all__ = [
    "MAX_QUADKEY_ZOOM",
    "quadkey_bounds_lonlat",
    "quadkey_centres_lonlat",
    "quadkeys_for_lonlat",
    "quadkeys_to_tiles",
    "tile_to_quadkey",
]

#: Deepest quadkey accepted (Bing's tile system stops at level 23).
MAX_QUADKEY_ZOOM = 23


def tile_to_quadkey(z: int, x: int, y: int) -> str:
    """The quadkey of XYZ tile ``z/x/y`` (Bing Maps tile system)."""
    digits = []
    for level in range(z, 0, -1):
        mask = 1 << (level - 1)
        digits.append(str((1 if x & mask else 0) + (2 if y & mask else 0)))
    return "".join(digits)


def quadkeys_to_tiles(quadkeys: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Zoom, column and row of each quadkey, and which keys are well formed.

    Parameters
    ----------
    quadkeys
        Strings of the digits 0–3, one per zoom level (e.g. ``"132"`` is tile 3/5/2... of zoom 3).

    Returns
    -------
    z, x, y, ok
        Integer arrays (0 where not ``ok``) and a boolean array: False for an empty key,
        a key longer than :data:`MAX_QUADKEY_ZOOM`, or a character other than 0–3.
    """
    keys = np.asarray(quadkeys, dtype=object)
    n = len(keys)
    z = np.zeros(n, dtype=np.int64)
    x = np.zeros(n, dtype=np.int64)
    y = np.zeros(n, dtype=np.int64)
    ok = np.zeros(n, dtype=bool)
    text = np.array([k if isinstance(k, str) else "" for k in keys], dtype=object)
    lengths = np.fromiter((len(k) for k in text), dtype=np.int64, count=n)
    for length in np.unique(lengths):
        if length == 0 or length > MAX_QUADKEY_ZOOM:
            continue
        rows = np.flatnonzero(lengths == length)
        codes = np.array(list(text[rows]), dtype=f"<U{length}").view(np.uint32).reshape(len(rows), length)
        digits = codes.astype(np.int64) - ord("0")
        good = ((digits >= 0) & (digits <= 3)).all(axis=1)
        weights = 1 << np.arange(length - 1, -1, -1, dtype=np.int64)
        x[rows] = ((digits & 1) * weights).sum(axis=1)
        y[rows] = (((digits >> 1) & 1) * weights).sum(axis=1)
        z[rows] = length
        ok[rows] = good
    x[~ok] = y[~ok] = z[~ok] = 0
    return z, x, y, ok


def quadkey_bounds_lonlat(quadkeys: np.ndarray) -> np.ndarray:
    """``(west, south, east, north)`` of each (well-formed) quadkey's tile, degrees; shape (n, 4)."""
    z, x, y, _ = quadkeys_to_tiles(quadkeys)
    size = 2.0 * ORIGIN_SHIFT_M / (1 << z).astype(np.float64)
    minx = -ORIGIN_SHIFT_M + x * size
    maxy = ORIGIN_SHIFT_M - y * size
    west, south = mercator_to_lonlat(minx, maxy - size)
    east, north = mercator_to_lonlat(minx + size, maxy)
    return np.column_stack([west, south, east, north])


def quadkey_centres_lonlat(quadkeys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Lon/lat of each quadkey tile's centre (the centre in web-mercator metres)."""
    z, x, y, _ = quadkeys_to_tiles(quadkeys)
    size = 2.0 * ORIGIN_SHIFT_M / (1 << z).astype(np.float64)
    cx = -ORIGIN_SHIFT_M + (x + 0.5) * size
    cy = ORIGIN_SHIFT_M - (y + 0.5) * size
    lon, lat = mercator_to_lonlat(cx, cy)
    return lon, lat


def quadkeys_for_lonlat(lon: np.ndarray, lat: np.ndarray, zoom: int) -> np.ndarray:
    """The zoom-``zoom`` quadkey of the tile containing each point (object array of str)."""
    mx, my = lonlat_to_mercator(np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64))
    size = tile_size_m(zoom)
    last = (1 << zoom) - 1
    tx = np.clip(np.floor((mx + ORIGIN_SHIFT_M) / size), 0, last).astype(np.int64)
    ty = np.clip(np.floor((ORIGIN_SHIFT_M - my) / size), 0, last).astype(np.int64)
    digits = np.zeros((len(tx), zoom), dtype=np.int64)
    for i in range(zoom):
        bit = zoom - 1 - i
        digits[:, i] = ((tx >> bit) & 1) + 2 * ((ty >> bit) & 1)
    chars = (digits + ord("0")).astype(np.uint32)
    as_text = np.ascontiguousarray(chars).view(f"<U{zoom}").reshape(len(tx))
    return as_text.astype(object)
