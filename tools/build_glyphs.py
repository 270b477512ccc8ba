"""Build the web map's label glyphs (MapLibre SDF glyph PBFs) from DejaVu Sans.

Usage::

    python tools/build_glyphs.py [--font-dir DIR] [--out DIR]

Reads ``DejaVuSans.ttf`` and ``DejaVuSans-Bold.ttf`` (default: the copies matplotlib ships
in ``mpl-data/fonts/ttf``; Debian's ``fonts-dejavu-core`` has the same files), turns
each outline into a polygon in pixels at 24 px per em with fontTools (quadratic curves
flattened into 8 segments), and writes one file per fontstack and 256-code-point range
with :mod:`coverage_gis.tiles.glyphs` into ``api/coverage_gis_api/static/glyphs``. Only
the characters Vietnamese place names and our labels use are rendered (see
:data:`CHARACTERS`), which keeps the files small. ``SOURCE.md`` there records the fonts'
versions and checksums; ``tests/test_glyphs.py`` rebuilds a range and compares it with
the committed file when the same font file is at hand.

Needs fontTools (a dependency of matplotlib, in the ``dev`` extra's environment).
"""

from __future__ import annotations

import argparse
import hashlib
import math
import sys
from collections.abc import Iterable
from pathlib import Path

import shapely
from fontTools.pens.basePen import BasePen
from fontTools.ttLib import TTFont

from coverage_gis.tiles.glyphs import (
    GLYPH_SIZE_PX,
    RANGE_SIZE,
    Glyph,
    encode_glyphs,
    glyph_file_name,
    sdf_from_outline,
)

REPO = Path(__file__).resolve().parent.parent
OUT_DIR = REPO / "api" / "coverage_gis_api" / "static" / "glyphs"
#: Fontstack name → font file.
FONTS: dict[str, str] = {"DejaVu Sans Book": "DejaVuSans.ttf", "DejaVu Sans Bold": "DejaVuSans-Bold.ttf"}
#: Segments per quadratic or cubic curve.
CURVE_STEPS = 8


def _vietnamese() -> list[int]:
    letters = "ĂăĐđĨĩŨũƠơƯư"
    return [ord(c) for c in letters]


#: Code points rendered: printable ASCII and Latin-1, the Vietnamese letters outside
#: them (Latin Extended-A/B and U+1EA0–U+1EF9), combining marks (decomposed input),
#: dashes, quotes, ellipsis, bullet and the middle dot used in labels.
CHARACTERS: tuple[int, ...] = tuple(
    sorted(
        {
            *range(0x20, 0x7F),
            *range(0xA0, 0x100),
            *_vietnamese(),
            *range(0x300, 0x304),
            0x303,
            0x309,
            0x323,
            *range(0x1EA0, 0x1EFA),
            0x2013,
            0x2014,
            0x2018,
            0x2019,
            0x201C,
            0x201D,
            0x2022,
            0x2026,
        }
    )
)


class _PolygonPen(BasePen):  # type: ignore[misc]
    """Collects a glyph's contours as rings (font units), curves flattened."""

    def __init__(self, glyph_set: object) -> None:
        super().__init__(glyph_set)
        self.rings: list[list[tuple[float, float]]] = []
        self._ring: list[tuple[float, float]] = []

    def _moveTo(self, pt: tuple[float, float]) -> None:
        self._ring = [pt]

    def _lineTo(self, pt: tuple[float, float]) -> None:
        self._ring.append(pt)

    def _qCurveToOne(self, pt1: tuple[float, float], pt2: tuple[float, float]) -> None:
        x0, y0 = self._ring[-1]
        for i in range(1, CURVE_STEPS + 1):
            t = i / CURVE_STEPS
            a, b, c = (1 - t) ** 2, 2 * (1 - t) * t, t * t
            self._ring.append((a * x0 + b * pt1[0] + c * pt2[0], a * y0 + b * pt1[1] + c * pt2[1]))

    def _curveToOne(
        self, pt1: tuple[float, float], pt2: tuple[float, float], pt3: tuple[float, float]
    ) -> None:
        x0, y0 = self._ring[-1]
        for i in range(1, CURVE_STEPS + 1):
            t = i / CURVE_STEPS
            a, b, c, d = (1 - t) ** 3, 3 * (1 - t) ** 2 * t, 3 * (1 - t) * t * t, t**3
            self._ring.append(
                (a * x0 + b * pt1[0] + c * pt2[0] + d * pt3[0], a * y0 + b * pt1[1] + c * pt2[1] + d * pt3[1])
            )

    def _closePath(self) -> None:
        if len(self._ring) >= 3:
            self.rings.append(self._ring)
        self._ring = []

    _endPath = _closePath


def outline_px(rings: Iterable[list[tuple[float, float]]], scale: float) -> shapely.Geometry:
    """The filled area of TrueType contours (outer clockwise, holes anticlockwise), in px."""
    filled, holes = [], []
    for ring in rings:
        polygon = shapely.make_valid(shapely.Polygon([(x * scale, y * scale) for x, y in ring]))
        signed = 0.0
        for (x0, y0), (x1, y1) in zip(ring, ring[1:] + ring[:1], strict=True):
            signed += x0 * y1 - x1 * y0
        (holes if signed > 0 else filled).append(polygon)
    area = shapely.union_all(filled) if filled else shapely.Polygon()
    if holes:
        area = shapely.difference(area, shapely.union_all(holes))
    return area


def render_font(path: Path, fontstack: str, characters: Iterable[int]) -> dict[int, list[Glyph]]:
    """The glyphs of ``characters`` the font has, by range start."""
    font = TTFont(path)
    cmap = font.getBestCmap()
    glyph_set = font.getGlyphSet()
    scale = GLYPH_SIZE_PX / font["head"].unitsPerEm
    # FreeType rounds the ascender up to whole pixels; the reference tools subtract it.
    ascender = math.ceil(font["hhea"].ascent * scale)
    ranges: dict[int, list[Glyph]] = {}
    for code in characters:
        name = cmap.get(code)
        if name is None:
            continue
        pen = _PolygonPen(glyph_set)
        glyph_set[name].draw(pen)
        bitmap, width, height, left, top = sdf_from_outline(outline_px(pen.rings, scale))
        advance = round(glyph_set[name].width * scale)
        glyph = Glyph(
            id=code, bitmap=bitmap, width=width, height=height, left=left, top=top - ascender, advance=advance
        )
        ranges.setdefault(code - code % RANGE_SIZE, []).append(glyph)
    return ranges


def default_font_dir() -> Path:
    import matplotlib

    return Path(matplotlib.get_data_path()) / "fonts" / "ttf"


def build(font_dir: Path, out: Path, *, only: tuple[str, int] | None = None) -> list[Path]:
    """Write the glyph files (or only one fontstack's range); returns the paths written."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for fontstack, file_name in FONTS.items():
        if only is not None and only[0] != fontstack:
            continue
        chars = CHARACTERS if only is None else [c for c in CHARACTERS if c - c % RANGE_SIZE == only[1]]
        for start, glyphs in sorted(render_font(font_dir / file_name, fontstack, chars).items()):
            target = out / glyph_file_name(fontstack, start)
            target.write_bytes(encode_glyphs(fontstack, start, glyphs))
            written.append(target)
    return written


def font_record(font_dir: Path) -> str:
    """Markdown lines naming each font file's version and SHA-256 (for SOURCE.md)."""
    lines = []
    for fontstack, file_name in FONTS.items():
        path = font_dir / file_name
        version = TTFont(path)["head"].fontRevision
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        lines.append(f"- `{fontstack}`: `{file_name}`, version {version:.3f}, sha256 `{digest}`")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--font-dir", type=Path, default=None, help="folder with DejaVuSans*.ttf")
    parser.add_argument("--out", type=Path, default=OUT_DIR)
    args = parser.parse_args(argv)
    font_dir = args.font_dir or default_font_dir()
    for path in build(font_dir, args.out):
        print(f"{path.relative_to(REPO) if path.is_relative_to(REPO) else path}  {path.stat().st_size} bytes")
    print(font_record(font_dir))
    return 0


if __name__ == "__main__":
    sys.exit(main())
