"""Forms of Vietnamese text the toolkit compares or writes: without diacritics, and as ASCII slugs.

One owner for both, so that a header compared without its diacritics (``io.headers``), a
unit written ``độ`` (:data:`coverage_gis.layers.UNIT_SPELLINGS`), a province's slug
(``boundaries``) and a download's file name (``reports``) fold the same letters the same way
(``docs/architecture.md``, one owner per rule).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping

__all__ = ["LeadingValues", "ascii_slug", "fold_diacritics", "folded_words", "new_style_tones"]

_NOT_SLUG = re.compile(r"[^a-z0-9]+")


def fold_diacritics(text: str) -> str:
    """``text`` without Vietnamese (and other combining) diacritics; ``đ`` → ``d``, ``Đ`` → ``D``."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return unicodedata.normalize("NFC", bare)


#: Vowel pairs whose tone mark the old style puts on the second vowel at a syllable's end
#: ("hoà", "thuỷ", "khoẻ") and the new style on the first ("hòa", "thủy", "khỏe"): both are
#: written, often in one province's lists, and compare alike once in the new style.
_OLD_STYLE = {
    f"{first}{marked}": f"{unicodedata.normalize('NFC', first + mark)}{plain}"
    for first, plain, marks in (("o", "a", "àáảãạ"), ("o", "e", "èéẻẽẹ"), ("u", "y", "ỳýỷỹỵ"))
    for marked in marks
    for mark in [unicodedata.normalize("NFD", marked)[1:]]
}
# "quý", "quỳ": after q the u is the consonant's, the mark the vowel's in both styles.
_OLD_STYLE_TONE = re.compile(rf"(?<!q)({'|'.join(_OLD_STYLE)})(?![^\W\d_])")


def folded_words(text: str) -> str:
    """``text`` compared as a word is: without diacritics, casefolded, its spaces single
    (``"Chưa  có"`` → ``"chua co"``)."""
    return " ".join(fold_diacritics(text).casefold().split())


def new_style_tones(text: str) -> str:
    """``text`` (NFC, lower case) with old-style tone marks written in the new style (see
    :data:`_OLD_STYLE`): ``"uỷ ban"`` → ``"ủy ban"``, ``"hoà bình"`` → ``"hòa bình"``;
    ``"hoàng"`` and ``"quý"`` as they are. NFC again after: a combining mark that followed
    the moved tone may now compose with its vowel (``"oà\u0301"`` → ``"òá"``)."""
    return unicodedata.normalize("NFC", _OLD_STYLE_TONE.sub(lambda found: _OLD_STYLE[found.group(1)], text))


def ascii_slug(text: str) -> str:
    """``text`` as a lower-case ASCII name part: compatibility forms and diacritics folded,
    every run of anything else joined by ``-`` (``"Tỉnh Bà Rịa - Vũng Tàu"`` →
    ``"tinh-ba-ria-vung-tau"``)."""
    plain = fold_diacritics(unicodedata.normalize("NFKC", text)).lower()
    return _NOT_SLUG.sub("-", plain).strip("-")


def _lead(text: str) -> str:
    return " ".join(
        new_style_tones(unicodedata.normalize("NFC", unicodedata.normalize("NFC", text).casefold())).split()
    )


class LeadingValues:
    """The value of the spelling a text begins with (then a space, a digit, a dot, a dash,
    an underscore, ``&``, ``/``, a comma or nothing: ``VNPT-BĐH``, ``TH&THCS``), the longest
    spelling first, compared regardless of case and spacing, or without diacritics when the
    text is written without any (``"Thon 1"``).

    ``spellings`` maps each way a text may begin to its value."""

    def __init__(self, spellings: Mapping[str, str]) -> None:
        table = {_lead(s): v for s, v in spellings.items()}
        self._plain = self._patterns(table)
        self._folded = self._patterns({fold_diacritics(s): v for s, v in table.items()})

    @staticmethod
    def _patterns(table: Mapping[str, str]) -> list[tuple[re.Pattern[str], str]]:
        return [
            (re.compile(rf"{re.escape(spelled)}(?:[\s\d.\-_&/,]|\Z)"), table[spelled])
            for spelled in sorted(table, key=len, reverse=True)
        ]

    def __call__(self, text: object) -> str | None:
        """The value ``text`` begins with; None for none (or a value that is not text)."""
        if not isinstance(text, str):
            return None
        lead = _lead(text)
        for pattern, value in self._folded if lead.isascii() else self._plain:
            if pattern.match(lead):
                return value
        return None
