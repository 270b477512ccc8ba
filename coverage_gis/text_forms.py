"""Forms of Vietnamese text the toolkit compares or writes: without diacritics, and as ASCII slugs.

One owner for both, so that a header compared without its diacritics (``io.headers``), a
unit written ``độ`` (:data:`coverage_gis.layers.UNIT_SPELLINGS`), a province's slug
(``boundaries``) and a download's file name (``reports``) fold the same letters the same way
(``docs/architecture.md``, one owner per rule).
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["ascii_slug", "fold_diacritics"]

_NOT_SLUG = re.compile(r"[^a-z0-9]+")


def fold_diacritics(text: str) -> str:
    """``text`` without Vietnamese (and other combining) diacritics; ``đ`` → ``d``, ``Đ`` → ``D``."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return unicodedata.normalize("NFC", bare)


def ascii_slug(text: str) -> str:
    """``text`` as a lower-case ASCII name part: compatibility forms and diacritics folded,
    every run of anything else joined by ``-`` (``"Tỉnh Bà Rịa - Vũng Tàu"`` →
    ``"tinh-ba-ria-vung-tau"``)."""
    plain = fold_diacritics(unicodedata.normalize("NFKC", text)).lower()
    return _NOT_SLUG.sub("-", plain).strip("-")
