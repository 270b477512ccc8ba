"""Text typed in a legacy Vietnamese font, found in any input already read as Unicode.

Older provincial data was typed in fonts that put Vietnamese letters on the code points
of Latin-1: TCVN3 (ABC, the .VnTime fonts: "Th«n" for "Thôn") and VNI (VNI-Times:
"Thoân"). An Excel sheet, a GeoJSON or GeoPackage converted from such data, a shapefile
whose ``.cpg`` says Windows-1252 or a UTF-8 CSV saved from such a sheet all hold that
text as Unicode characters, one a byte, so no decoder sees it.
:func:`read_font_text` finds it by the same letters that tell those encodings from
Windows-1258 in a file's bytes (:func:`coverage_gis.text_encoding.legacy_encoding`) and
reads it as Vietnamese, column names included; text with any character beyond Latin-1
(Unicode Vietnamese: ư, đ, ạ…) is left as it is.
"""

from __future__ import annotations

import unicodedata
from typing import Any

import pandas as pd

from coverage_gis.text_encoding import decode_as, font_text_note, legacy_encoding

#: Characters of a frame's one-byte text read to decide its encoding.
_SAMPLE_CHARS = 1 << 18
#: Values of each text column looked at for one-byte text.
_SAMPLE_VALUES = 20_000


def read_font_text(frame: pd.DataFrame, notes: list[str]) -> pd.DataFrame:
    """``frame`` with its one-byte text (column names and text cells) read as TCVN3 or VNI
    when that text shows the encoding's letters (with a note); else ``frame`` itself."""
    columns = [
        c
        for c in frame.columns
        if c != "geometry" and (frame[c].dtype == object or pd.api.types.is_string_dtype(frame[c]))
    ]
    legacy = legacy_encoding(_sample(frame, columns).encode("latin-1"))
    if legacy is None:
        return frame
    notes.append(font_text_note(legacy))

    def read(value: Any) -> Any:
        if not (isinstance(value, str) and _one_byte(value)):
            return value
        return unicodedata.normalize("NFC", decode_as(value.encode("latin-1"), legacy))

    out = frame.rename(columns=read)
    for column in columns:
        position = frame.columns.get_loc(column)
        if isinstance(position, int):
            out.isetitem(position, frame[column].map(read).to_numpy(dtype=object))
    return out


def _sample(frame: pd.DataFrame, columns: list[Any]) -> str:
    """The one-byte text of the column names and of each text column's first
    :data:`_SAMPLE_VALUES` values, up to about :data:`_SAMPLE_CHARS` characters."""
    parts = [str(c) for c in frame.columns if isinstance(c, str) and _one_byte(c)]
    size = sum(map(len, parts))
    for column in columns:
        if size >= _SAMPLE_CHARS:
            break
        head = frame[column].iloc[:_SAMPLE_VALUES].to_numpy(dtype=object)
        texts = [v for v in head if isinstance(v, str)]
        if "".join(texts).isascii():  # most columns: passed over at C speed
            continue
        for value in texts:
            if _one_byte(value):
                parts.append(value)
                size += len(value)
    return "\n".join(parts)


def _one_byte(text: str) -> bool:
    """Whether ``text`` is not ASCII and every character of it is one byte (Latin-1)."""
    return not text.isascii() and max(map(ord, text)) < 0x100
