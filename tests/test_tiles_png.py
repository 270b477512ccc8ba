"""PNG bytes of tiles (coverage_gis.tiles.png): palette images decode to what was encoded."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray
from PIL import Image

from coverage_gis.tiles.png import encode_indexed_png


def chunks(png: bytes) -> list[tuple[bytes, bytes]]:
    """(type, data) of every chunk, each CRC checked."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    found, at = [], 8
    while at < len(png):
        (length,) = struct.unpack(">I", png[at : at + 4])
        kind, data = png[at + 4 : at + 8], png[at + 8 : at + 8 + length]
        (crc,) = struct.unpack(">I", png[at + 8 + length : at + 12 + length])
        assert crc == zlib.crc32(kind + data), kind
        found.append((kind, data))
        at += 12 + length
    return found


def decoded(png: bytes) -> tuple[NDArray[np.uint8], NDArray[np.uint8]]:
    """Pillow's reading of a palette PNG: indices and the palette as RGBA."""
    with Image.open(io.BytesIO(png)) as image:
        image.load()
        assert image.mode == "P"
        index = np.asarray(image, dtype=np.uint8)
        rgb = np.frombuffer(bytes(image.palette.tobytes()), dtype=np.uint8).reshape(-1, 3)
        alpha = np.full(len(rgb), 255, dtype=np.uint8)
        transparency = image.info.get("transparency", b"")
        if isinstance(transparency, int):
            # Pillow gives a tRNS of one 0 among 255s as the index of that entry.
            alpha[transparency] = 0
        else:
            alpha[: len(transparency)] = np.frombuffer(bytes(transparency), dtype=np.uint8)
    return index, np.column_stack([rgb, alpha])


def test_a_hand_made_image_reads_back_with_its_palette_and_alpha() -> None:
    index = np.array([[0, 1, 2], [2, 1, 0]], dtype=np.uint8)
    palette = np.array([[0, 0, 0, 0], [255, 0, 0, 165], [0, 128, 255, 255]], dtype=np.uint8)
    png = encode_indexed_png(index, palette)
    kinds = [kind for kind, _ in chunks(png)]
    assert kinds == [b"IHDR", b"PLTE", b"tRNS", b"IDAT", b"IEND"]
    header = dict(chunks(png))[b"IHDR"]
    assert struct.unpack(">IIBBBBB", header) == (3, 2, 8, 3, 0, 0, 0)
    # tRNS stops after the last colour that is not opaque.
    assert dict(chunks(png))[b"tRNS"] == bytes([0, 165])
    got_index, got_palette = decoded(png)
    assert np.array_equal(got_index, index)
    assert np.array_equal(got_palette[:3], palette)


def test_an_opaque_palette_has_no_transparency_chunk() -> None:
    png = encode_indexed_png(np.zeros((4, 4), np.uint8), np.array([[9, 8, 7, 255]], np.uint8))
    assert b"tRNS" not in [kind for kind, _ in chunks(png)]
    assert decoded(png)[1][0].tolist() == [9, 8, 7, 255]


def test_a_single_transparent_entry_reads_back() -> None:
    # Pillow reports such a tRNS (one 0 among 255s) as an index, not as bytes.
    palette = np.array([[1, 2, 3, 255], [4, 5, 6, 0], [7, 8, 9, 255]], np.uint8)
    png = encode_indexed_png(np.array([[0, 1, 2]], np.uint8), palette)
    assert np.array_equal(decoded(png)[1][:3], palette)


@settings(max_examples=60, deadline=None)
@given(
    height=st.integers(1, 40),
    width=st.integers(1, 40),
    colours=st.integers(1, 256),
    seed=st.integers(0, 2**32 - 1),
)
def test_any_palette_image_round_trips(height: int, width: int, colours: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    palette = rng.integers(0, 256, (colours, 4), dtype=np.uint8)
    index = rng.integers(0, colours, (height, width), dtype=np.uint8)
    got_index, got_palette = decoded(encode_indexed_png(index, palette))
    assert np.array_equal(got_index, index)
    assert np.array_equal(got_palette[:colours], palette)


def test_a_full_tile_of_runs_and_noise_round_trips() -> None:
    rng = np.random.default_rng(7)
    index = np.zeros((256, 256), np.uint8)
    index[40:200, 30:220] = rng.integers(1, 241, (160, 190), dtype=np.uint8)
    palette = np.zeros((241, 4), np.uint8)
    palette[1:] = rng.integers(0, 256, (240, 4), dtype=np.uint8)
    assert np.array_equal(decoded(encode_indexed_png(index, palette))[0], index)


@pytest.mark.parametrize(
    ("index", "palette", "message"),
    [
        (np.zeros((2, 2, 2), np.uint8), np.zeros((1, 4), np.uint8), "2-D"),
        (np.zeros((0, 3), np.uint8), np.zeros((1, 4), np.uint8), "2-D"),
        (np.zeros((2, 2), np.uint8), np.zeros((257, 4), np.uint8), "1 to 256"),
        (np.zeros((2, 2), np.uint8), np.zeros((3, 3), np.uint8), "1 to 256"),
        (np.full((2, 2), 3, np.uint8), np.zeros((3, 4), np.uint8), "past the palette"),
    ],
)
def test_bad_images_are_refused(index: NDArray[np.uint8], palette: NDArray[np.uint8], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        encode_indexed_png(index, palette)
