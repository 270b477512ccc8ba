"""PNG encoding of raster tiles: palette images for the coverage pyramid, RGBA for the rest.

Owns the bytes of every PNG the tile service answers with:

- :func:`encode_indexed_png`: one byte per pixel into a palette of up to 256 RGBA
  colours. The cold coverage tiles (drawn from the tile pyramid) are such images, and
  their encoding is most of a cold tile's cost, so the file is written here chunk by
  chunk (signature, ``IHDR``, ``PLTE``, ``tRNS``, ``IDAT``, ``IEND``; PNG 1.2 / ISO
  15948) and the ``IDAT`` stream is deflated by ISA-L (the ``isal`` package), which
  writes a standard zlib stream several times faster than zlib's fastest level at about
  the same size (see docs/architecture.md, Tiles).
- :func:`encode_png`: RGBA bands through rasterio's PNG driver (the live render, the
  hillshade and signal overlays, whose model run costs far more than the encoding).
- :func:`transparent_png`: the tile of nothing served.
"""

from __future__ import annotations

import struct
import zlib
from functools import cache

import numpy as np
import rasterio
from affine import Affine
from isal import isal_zlib
from numpy.typing import NDArray
from rasterio.io import MemoryFile

from coverage_gis.tiles.mercator import TILE_SIZE, Bounds, tile_bounds_3857

#: ISA-L compression level (0–3) of palette tiles. On coverage tiles of the national
#: pyramid, level 2 was both the fastest and within 1 % of zlib level 1's size.
INDEXED_LEVEL = 2
_SIGNATURE = b"\x89PNG\r\n\x1a\n"
#: Bit depth 8, colour type 3 (palette), deflate, adaptive filtering method, no interlace.
_PALETTE_HEADER = (8, 3, 0, 0, 0)

UInt8Array = NDArray[np.uint8]


def _chunk(kind: bytes, data: bytes) -> bytes:
    """One PNG chunk: length, type, data and the CRC-32 of type and data."""
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(data, zlib.crc32(kind)))


def encode_indexed_png(index: UInt8Array, palette_rgba: UInt8Array) -> bytes:
    """PNG bytes of a palette image: ``index`` ``(H, W)`` into ``palette_rgba`` ``(N ≤ 256, 4)``.

    Every row is stored unfiltered (filter type 0): palette indices are labels, not
    intensities, so differences between neighbours do not make them smaller. The
    palette's alpha goes to a ``tRNS`` chunk, cut after its last non-opaque entry
    (absent when every colour is opaque).

    Raises
    ------
    ValueError
        ``index`` is not 2-D, or the palette is not ``(1…256, 4)``, or an index points
        past the palette's end.
    """
    if index.ndim != 2 or index.shape[0] < 1 or index.shape[1] < 1:
        raise ValueError(f"a palette image is a non-empty 2-D array of indices, not shape {index.shape}")
    palette = np.asarray(palette_rgba, dtype=np.uint8)
    if palette.ndim != 2 or palette.shape[1] != 4 or not 1 <= palette.shape[0] <= 256:
        raise ValueError(f"a PNG palette holds 1 to 256 RGBA colours, not shape {palette.shape}")
    if int(index.max()) >= palette.shape[0]:
        raise ValueError(f"index {int(index.max())} is past the palette's {palette.shape[0]} colours")
    height, width = index.shape
    rows = np.zeros((height, width + 1), dtype=np.uint8)  # a leading 0: filter type None
    rows[:, 1:] = index
    alpha = palette[:, 3]
    translucent = np.flatnonzero(alpha != 255)
    parts = [
        _SIGNATURE,
        _chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, *_PALETTE_HEADER)),
        _chunk(b"PLTE", np.ascontiguousarray(palette[:, :3]).tobytes()),
    ]
    if translucent.size:
        parts.append(_chunk(b"tRNS", alpha[: int(translucent[-1]) + 1].tobytes()))
    parts.append(_chunk(b"IDAT", isal_zlib.compress(rows.tobytes(), INDEXED_LEVEL)))
    parts.append(_chunk(b"IEND", b""))
    return b"".join(parts)


def encode_png(rgba: UInt8Array, *, bounds_3857: Bounds | None = None) -> bytes:
    """PNG bytes of RGBA bands ``(4, H, W)`` via rasterio's PNG driver (in memory).

    ``bounds_3857`` (default: the whole world, tile 0/0/0) places the pixels for GDAL;
    PNG has nowhere to store it and PAM side files are off, so it only keeps rasterio
    from warning about an ungeoreferenced dataset (warning filters are process-wide
    and not thread-safe, so the warning is avoided rather than silenced).
    """
    _, height, width = rgba.shape
    west, south, east, north = bounds_3857 or tile_bounds_3857(0, 0, 0)
    transform = Affine((east - west) / width, 0.0, west, 0.0, -(north - south) / height, north)
    with (
        rasterio.Env(GDAL_PAM_ENABLED="NO"),
        MemoryFile() as mem,
    ):
        with mem.open(
            driver="PNG",
            width=width,
            height=height,
            count=4,
            dtype="uint8",
            crs="EPSG:3857",
            transform=transform,
            ZLEVEL=4,
        ) as dst:
            dst.write(rgba)
        data: bytes = mem.read()
    return data


@cache
def transparent_png(size: int = TILE_SIZE) -> bytes:
    """A fully transparent tile (what every tile outside all cells' reach is)."""
    return encode_png(np.zeros((4, size, size), dtype=np.uint8))
