"""Label glyphs for the web map: signed-distance-field glyph ranges in MapLibre's PBF format.

MapLibre draws text from glyph ranges (``{fontstack}/{start}-{end}.pbf``, 256 code points
each): per character an 8-bit signed distance field of its outline at 24 px with a
3 px border, and its metrics. The map must work offline, so no glyph server is used:
``tools/build_glyphs.py`` renders the ranges Vietnamese labels need (Latin,
Latin-1, the Vietnamese letters of Latin Extended-A/B and Latin Extended Additional,
combining marks for decomposed text, dashes and quotes) from DejaVu Sans with
:func:`sdf_from_outline` and :func:`encode_glyphs`, and the files ship in
``api/coverage_gis_api/static/glyphs`` (provenance and licence in ``SOURCE.md`` there).

This module owns the format (:func:`encode_glyphs`, :func:`decode_glyphs`, written by
hand from ``glyphs.proto``: ``glyphs { repeated fontstack stacks = 1 }``,
``fontstack { name = 1; range = 2; repeated glyph glyphs = 3 }``,
``glyph { id = 1; bitmap = 2; width = 3; height = 4; sint32 left = 5; sint32 top = 6;
advance = 7 }``), the distance field and which file holds which range
(:func:`glyph_file_name`, :func:`glyph_range`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import shapely
from numpy.typing import NDArray

#: Glyph size the fields are rendered at (what MapLibre expects), px per em.
GLYPH_SIZE_PX = 24
#: Border around each glyph's bitmap, px (fixed across the MapLibre ecosystem).
BUFFER_PX = 3
#: Distances are recorded out to this many px from the outline.
RADIUS_PX = 8
#: Share of the byte range that encodes the inside (MapLibre draws the edge at 192/255).
CUTOFF = 0.25
#: Code points per range file.
RANGE_SIZE = 256
_RANGE = re.compile(r"^(\d+)-(\d+)$")


@dataclass(frozen=True)
class Glyph:
    """One character's distance field and metrics (px at :data:`GLYPH_SIZE_PX`)."""

    id: int
    bitmap: bytes
    width: int
    height: int
    left: int
    top: int
    advance: int


def glyph_range(text: str) -> tuple[int, int]:
    """``(start, end)`` of a range name such as ``"7680-7935"``; ValueError if it is not one."""
    match = _RANGE.match(text)
    if match is None:
        raise ValueError(f"not a glyph range: {text!r}")
    start, end = int(match[1]), int(match[2])
    if start % RANGE_SIZE or end != start + RANGE_SIZE - 1 or end > 0xFFFF:
        raise ValueError(f"not a glyph range: {text!r}")
    return start, end


def glyph_file_name(fontstack: str, start: int) -> str:
    """File name of one fontstack's range: ``dejavu-sans-book_7680-7935.pbf``."""
    slug = re.sub(r"[^a-z0-9]+", "-", fontstack.lower()).strip("-")
    return f"{slug}_{start}-{start + RANGE_SIZE - 1}.pbf"


# -- the distance field ------------------------------------------------------------------


def sdf_from_outline(
    outline: shapely.Geometry, *, radius: float = RADIUS_PX, cutoff: float = CUTOFF, buffer: int = BUFFER_PX
) -> tuple[bytes, int, int, int, int]:
    """The distance field of a filled outline given in pixels (y up, baseline at 0).

    Parameters
    ----------
    outline
        The glyph's filled area (Polygon/MultiPolygon) in px at :data:`GLYPH_SIZE_PX`.

    Returns
    -------
    bitmap, width, height, left, top
        ``(width + 2 buffer) × (height + 2 buffer)`` bytes, row 0 at the top; the
        unbuffered size of the glyph's pixel box and its left and top edges. A pixel's
        byte is ``255 − 255 · (d / radius + cutoff)`` clamped to 0…255 (truncated),
        with ``d`` the distance from the pixel centre to the outline, negative inside.
        An empty outline (a space) gives an empty bitmap and a 0 × 0 box.
    """
    if shapely.is_empty(outline):
        return b"", 0, 0, 0, 0
    xmin, ymin, xmax, ymax = (float(v) for v in shapely.bounds(outline))
    left, right = int(np.floor(xmin)), int(np.ceil(xmax))
    bottom, top = int(np.floor(ymin)), int(np.ceil(ymax))
    width, height = right - left, top - bottom
    cols = np.arange(width + 2 * buffer, dtype=np.float64)
    rows = np.arange(height + 2 * buffer, dtype=np.float64)
    px, py = np.meshgrid(left - buffer + cols + 0.5, top + buffer - rows - 0.5)
    points = shapely.points(px.ravel(), py.ravel())
    distance = shapely.distance(points, shapely.boundary(outline))
    inside = shapely.contains_xy(outline, px.ravel(), py.ravel())
    signed = np.where(inside, -distance, distance) / radius
    value = 255.0 - 255.0 * (np.clip(signed, -1.0, 1.0) + cutoff)
    bitmap = np.clip(value, 0.0, 255.0).astype(np.uint8)  # truncates, as the reference tools do
    return bitmap.tobytes(), width, height, left, top


# -- protobuf (the few wire types the format uses) ---------------------------------------


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _zigzag(value: int) -> int:
    return (value << 1) ^ (value >> 63)


def _field(number: int, wire: int) -> bytes:
    return _varint((number << 3) | wire)


def _len_field(number: int, payload: bytes) -> bytes:
    return _field(number, 2) + _varint(len(payload)) + payload


def _encode_glyph(glyph: Glyph) -> bytes:
    out = _field(1, 0) + _varint(glyph.id)
    if glyph.bitmap:
        out += _len_field(2, glyph.bitmap)
    out += _field(3, 0) + _varint(glyph.width)
    out += _field(4, 0) + _varint(glyph.height)
    out += _field(5, 0) + _varint(_zigzag(glyph.left))
    out += _field(6, 0) + _varint(_zigzag(glyph.top))
    out += _field(7, 0) + _varint(glyph.advance)
    return out


def encode_glyphs(fontstack: str, start: int, glyphs: Sequence[Glyph]) -> bytes:
    """One range of one fontstack as a ``glyphs`` message (glyphs sorted by id)."""
    stack = _len_field(1, fontstack.encode("utf-8"))
    stack += _len_field(2, f"{start}-{start + RANGE_SIZE - 1}".encode("ascii"))
    for glyph in sorted(glyphs, key=lambda g: g.id):
        if not start <= glyph.id < start + RANGE_SIZE:
            raise ValueError(f"glyph {glyph.id} is outside the range starting at {start}")
        stack += _len_field(3, _encode_glyph(glyph))
    return _len_field(1, stack)


def _read_varint(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if pos >= len(data):
            raise ValueError("truncated varint")
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, pos
        shift += 7


def _fields(data: bytes) -> Iterator[tuple[int, int | bytes]]:
    pos = 0
    while pos < len(data):
        key, pos = _read_varint(data, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _read_varint(data, pos)
            yield number, value
        elif wire == 2:
            length, pos = _read_varint(data, pos)
            if pos + length > len(data):
                raise ValueError("truncated field")
            yield number, data[pos : pos + length]
            pos += length
        else:
            raise ValueError(f"unexpected wire type {wire}")


def _unzigzag(value: int) -> int:
    return (value >> 1) ^ -(value & 1)


def decode_glyphs(data: bytes) -> list[tuple[str, str, list[Glyph]]]:
    """The ``(fontstack name, range, glyphs)`` of each stack in a glyph PBF."""
    stacks: list[tuple[str, str, list[Glyph]]] = []
    for number, stack in _fields(data):
        if number != 1 or not isinstance(stack, bytes):
            continue
        name = range_text = ""
        glyphs: list[Glyph] = []
        for field_no, value in _fields(stack):
            if field_no == 1 and isinstance(value, bytes):
                name = value.decode("utf-8")
            elif field_no == 2 and isinstance(value, bytes):
                range_text = value.decode("ascii")
            elif field_no == 3 and isinstance(value, bytes):
                parts: dict[int, int | bytes] = dict(_fields(value))
                ints = {k: v for k, v in parts.items() if isinstance(v, int)}
                bitmap = parts.get(2, b"")
                glyphs.append(
                    Glyph(
                        id=ints[1],
                        bitmap=bitmap if isinstance(bitmap, bytes) else b"",
                        width=ints.get(3, 0),
                        height=ints.get(4, 0),
                        left=_unzigzag(ints.get(5, 0)),
                        top=_unzigzag(ints.get(6, 0)),
                        advance=ints.get(7, 0),
                    )
                )
        stacks.append((name, range_text, glyphs))
    return stacks


UInt8Array = NDArray[np.uint8]


def glyph_image(glyph: Glyph, *, buffer: int = BUFFER_PX) -> UInt8Array:
    """A glyph's distance field as a 2-D array (rows from the top), for checks and previews."""
    rows, cols = glyph.height + 2 * buffer, glyph.width + 2 * buffer
    if not glyph.bitmap:
        return np.zeros((0, 0), dtype=np.uint8)
    return np.frombuffer(glyph.bitmap, dtype=np.uint8).reshape(rows, cols)
