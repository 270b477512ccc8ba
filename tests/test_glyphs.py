"""Label glyphs: the PBF format, the distance field, and the shipped Vietnamese ranges."""

from __future__ import annotations

import hashlib
import importlib.util
import re
import sys
from pathlib import Path

import numpy as np
import pytest
import shapely

from coverage_gis.tiles.glyphs import (
    CUTOFF,
    RADIUS_PX,
    Glyph,
    decode_glyphs,
    encode_glyphs,
    glyph_file_name,
    glyph_image,
    glyph_range,
    sdf_from_outline,
)

ROOT = Path(__file__).resolve().parent.parent
GLYPHS = ROOT / "api" / "coverage_gis_api" / "static" / "glyphs"
FONTSTACKS = ("DejaVu Sans Book", "DejaVu Sans Bold")
#: Every letter Vietnamese writes (lower and upper case, NFC).
VIETNAMESE = "aàáảãạăằắẳẵặâầấẩẫậbcdđeèéẻẽẹêềếểễệghiìíỉĩịklmnoòóỏõọôồốổỗộơờớởỡợpqrstuùúủũụưừứửữựvxyỳýỷỹỵ"


def test_round_trip_keeps_every_field() -> None:
    glyphs = [
        Glyph(id=0x1EC7, bitmap=bytes(range(36)), width=0, height=0, left=-2, top=-27, advance=13),
        Glyph(id=0x1EA0, bitmap=b"", width=0, height=0, left=0, top=0, advance=7),
    ]
    data = encode_glyphs("DejaVu Sans Book", 7680, glyphs)
    [(name, range_text, decoded)] = decode_glyphs(data)
    assert (name, range_text) == ("DejaVu Sans Book", "7680-7935")
    assert decoded == sorted(glyphs, key=lambda g: g.id)


def test_a_glyph_outside_its_range_is_refused() -> None:
    with pytest.raises(ValueError, match="outside"):
        encode_glyphs("x", 0, [Glyph(id=300, bitmap=b"", width=0, height=0, left=0, top=0, advance=1)])


def test_range_names() -> None:
    assert glyph_range("7680-7935") == (7680, 7935)
    for bad in ("7680-7936", "1-256", "abc", "65536-65791"):
        with pytest.raises(ValueError, match="not a glyph range"):
            glyph_range(bad)
    assert glyph_file_name("DejaVu Sans Book", 256) == "dejavu-sans-book_256-511.pbf"


def test_distance_field_of_a_square_by_hand() -> None:
    # A 4 × 4 px square from (0, 0) to (4, 4): a 10 × 10 field with the 3 px border.
    bitmap, width, height, left, top = sdf_from_outline(shapely.box(0, 0, 4, 4))
    assert (width, height, left, top) == (4, 4, 0, 4)
    field = np.frombuffer(bitmap, dtype=np.uint8).reshape(10, 10)
    # Row 5, column 5 has its centre at (2.5, 1.5): 1.5 px inside the bottom edge.
    inside = int(255 - 255 * (-1.5 / RADIUS_PX + CUTOFF))
    assert field[5, 5] == inside
    # The corner pixel of the border: centre (-2.5, 6.5), 2.5·√2 px from the corner (0, 4).
    outside = int(255 - 255 * (2.5 * np.sqrt(2) / RADIUS_PX + CUTOFF))
    assert field[0, 0] == outside
    # MapLibre draws the edge at 192: inside pixels above, outside below.
    assert (field[3:7, 3:7] > 191).all()
    assert (field[:3] < 191).all()


def test_empty_outline_is_an_empty_glyph() -> None:
    assert sdf_from_outline(shapely.Polygon()) == (b"", 0, 0, 0, 0)


def _shipped(fontstack: str) -> dict[int, Glyph]:
    found: dict[int, Glyph] = {}
    for path in GLYPHS.glob(glyph_file_name(fontstack, 0).replace("_0-255", "_*")):
        [(name, range_text, glyphs)] = decode_glyphs(path.read_bytes())
        assert name == fontstack
        assert path.name.endswith(f"_{range_text}.pbf")
        found.update({g.id: g for g in glyphs})
    return found


@pytest.mark.parametrize("fontstack", FONTSTACKS)
def test_shipped_ranges_hold_every_vietnamese_letter(fontstack: str) -> None:
    glyphs = _shipped(fontstack)
    for letter in VIETNAMESE + VIETNAMESE.upper() + "0123456789 –·,.()":
        glyph = glyphs.get(ord(letter))
        assert glyph is not None, f"{letter!r} (U+{ord(letter):04X}) missing from {fontstack}"
        if not letter.isspace():
            image = glyph_image(glyph)
            assert image.shape == (glyph.height + 6, glyph.width + 6)
            assert (image > 191).any(), f"{letter!r} has no inside"
    # The stacked marks sit above the base letter: "ệ" is taller than "e", with a dot below.
    e, e_hat_dot = glyphs[ord("e")], glyphs[ord("ệ")]
    assert e_hat_dot.top > e.top
    assert e_hat_dot.top - e_hat_dot.height < e.top - e.height


def test_shipped_files_are_small_and_documented() -> None:
    total = sum(p.stat().st_size for p in GLYPHS.glob("*.pbf"))
    assert total < 600_000
    source = (GLYPHS / "SOURCE.md").read_text(encoding="utf-8")
    assert (GLYPHS / "LICENSE_DEJAVU.txt").is_file()
    for fontstack in FONTSTACKS:
        assert fontstack in source


def _tool() -> object:
    spec = importlib.util.spec_from_file_location("build_glyphs", ROOT / "tools" / "build_glyphs.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["build_glyphs"] = module
    spec.loader.exec_module(module)
    return module


def test_shipped_range_is_what_the_tool_builds(tmp_path: Path) -> None:
    pytest.importorskip("fontTools", reason="the glyph tool needs fontTools")
    pytest.importorskip("matplotlib", reason="the glyphs' font comes with matplotlib")
    tool = _tool()
    font_dir: Path = tool.default_font_dir()  # type: ignore[attr-defined]
    source = (GLYPHS / "SOURCE.md").read_text(encoding="utf-8")
    recorded = re.search(r"`DejaVuSans\.ttf`, version [\d.]+, sha256 `([0-9a-f]{64})`", source)
    assert recorded is not None
    if hashlib.sha256((font_dir / "DejaVuSans.ttf").read_bytes()).hexdigest() != recorded[1]:
        pytest.skip("a different DejaVu Sans file than the one the glyphs were built from")
    [path] = tool.build(font_dir, tmp_path, only=("DejaVu Sans Book", 7680))  # type: ignore[attr-defined]
    assert path.read_bytes() == (GLYPHS / path.name).read_bytes()
