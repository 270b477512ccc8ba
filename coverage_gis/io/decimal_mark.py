"""Thousands separators in the number fields of a table file, read by the file's decimal mark.

A table exported under one locale writes ``1.800`` (Vietnamese, German: one thousand eight
hundred) where another writes ``1,800``, and ``35,5`` where the other writes ``35.5``.
:func:`coverage_gis.value_text.number_text` reads either mark as a decimal point, so a
grouped number alone is read as a fraction: a cell's ``range_m`` of ``1.500`` became 1.5 m.
One cell cannot tell; the file can. Where its number cells write one mark unambiguously as
a decimal mark (``35,5``, ``109,0123``: not three digits after it, or more than three
before it) and never the other, a number field's text grouped by the other mark
(``1.800``, ``1.234,5`` in a file of decimal commas; ``1,800``, ``12,345.6`` in one of
decimal points) is read as thousands, with a note. A file that writes both marks as
decimals, or neither, is left as :func:`~coverage_gis.value_text.number_text` reads it (the
range check then shows how it read a value). Only the layer's number fields are read so:
an id or a name such as ``1.001`` is text and stays as written. The note keeps each
value's text as the file wrote it (:class:`ThousandsNote`), so that an error about a value
read so shows it (:func:`written_as`): ``1800 is above the maximum 300`` of a cell written
``1.800``.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from coverage_gis.layers import LayerSchema

__all__ = ["ThousandsNote", "decimal_mark", "thousands_in", "thousands_read", "written_as"]

#: A number with one decimal mark that cannot be a thousands separator: not exactly three
#: digits after it, or more than three before it.
_DECIMAL = {
    mark: rf"\s*[+-]?(?:\d*{re.escape(mark)}(?:\d{{1,2}}|\d{{4,}})|\d{{4,}}{re.escape(mark)}\d+)\s*"
    for mark in (",", ".")
}
#: A number of degrees (below 1000) with one mark: in a column of degrees, a decimal mark
#: whatever follows it (no coordinate in degrees is in the thousands).
_DEGREES_DECIMAL = {mark: rf"\s*[+-]?\d{{1,3}}{re.escape(mark)}\d+\s*" for mark in (",", ".")}
#: A number grouped in threes by ``sep``, with a fraction after the other mark or none.
_GROUPED = {
    sep: rf"\s*[+-]?\d{{1,3}}(?:{re.escape(sep)}\d{{3}})+(?:{re.escape(other)}\d+)?\s*"
    for sep, other in ((".", ","), (",", "."))
}
_OTHER = {",": ".", ".": ","}


class ThousandsNote(str):
    """The note :func:`thousands_in` gives, holding the text each value it read as thousands
    had in the file (``written[field][row]``, row: the frame's index label) and why it was
    read so (``because``)."""

    written: Mapping[str, Mapping[Hashable, str]]
    because: str

    def __new__(
        cls, text: str, *, written: Mapping[str, Mapping[Hashable, str]], because: str
    ) -> ThousandsNote:
        note = super().__new__(cls, text)
        note.written = written
        note.because = because
        return note


def written_as(notes: Iterable[str], field: str | None, row: Hashable | None) -> str | None:
    """What an error about ``field`` of ``row`` should add when that value was read as
    thousands (a :class:`ThousandsNote` in ``notes``): the text the file wrote; else None."""
    if field is None or row is None:
        return None
    for note in notes:
        if isinstance(note, ThousandsNote) and row in note.written.get(field, {}):
            return f"the file writes {note.written[field][row]!r}: {note.because}"
    return None


def _text(column: pd.Series) -> pd.Series:
    """The text of ``column``: a column of strings as it is (matched in arrow), else its
    cells as objects with those that are not text missing (positions kept)."""
    if column.dtype != object and pd.api.types.is_string_dtype(column.dtype):
        return column.reset_index(drop=True)
    if pd.api.types.is_numeric_dtype(column.dtype) or pd.api.types.is_bool_dtype(column.dtype):
        return pd.Series([], dtype="str")  # numbers as numbers: no text
    values = column.to_numpy(dtype=object)
    return pd.Series([v if isinstance(v, str) else None for v in values], dtype="str")


def _matches(text: pd.Series, pattern: str, mark: str) -> np.ndarray:
    """Which cells of ``text`` (:func:`_text`) ``pattern`` matches whole: of those holding
    ``mark`` (which the pattern needs), found first without a regular expression."""
    marked = text.str.contains(mark, regex=False).fillna(False).to_numpy(dtype=bool)
    out = np.zeros(len(text), dtype=bool)
    if marked.any():
        at = np.flatnonzero(marked)
        out[at] = text.iloc[at].str.fullmatch(pattern).fillna(False).to_numpy(dtype=bool)
    return out


def decimal_mark(columns: Iterable[pd.Series], *, degrees: Iterable[pd.Series] = ()) -> str | None:
    """The decimal mark the text of ``columns`` writes: ``","`` or ``"."`` where some cell
    writes one unambiguously as a decimal mark and none the other; None otherwise. In the
    columns of ``degrees`` (coordinates in degrees) any one mark is a decimal mark
    (``13,771``: no coordinate is in the thousands)."""
    seen = dict.fromkeys(_DECIMAL, False)
    for patterns, group in ((_DECIMAL, columns), (_DEGREES_DECIMAL, degrees)):
        for column in group:
            text = _text(column)
            for mark, pattern in patterns.items():
                if not seen[mark] and _matches(text, pattern, mark).any():
                    seen[mark] = True
            if all(seen.values()):
                return None
    found = [mark for mark, yes in seen.items() if yes]
    return found[0] if len(found) == 1 else None


def thousands_read(
    frame: pd.DataFrame,
    schema: LayerSchema,
    *,
    evidence: Iterable[pd.Series] = (),
    degrees: Iterable[pd.Series] = (),
    notes: list[str],
) -> pd.DataFrame:
    """:func:`thousands_in` the number fields of ``schema`` (text fields, such as ids, are
    not read so)."""
    fields = [f.name for f in schema.fields if f.type in ("float", "int")]
    return thousands_in(frame, fields, evidence=evidence, degrees=degrees, notes=notes)


def thousands_in(
    frame: pd.DataFrame,
    columns: Sequence[str],
    *,
    evidence: Iterable[pd.Series] = (),
    degrees: Iterable[pd.Series] = (),
    notes: list[str],
) -> pd.DataFrame:
    """``frame`` with the text of its number ``columns`` grouped in threes by the file's
    thousands separator written without it (``"1.800"`` → ``"1800"``, ``"1.234,5"`` →
    ``"1234,5"`` in a file of decimal commas); ``frame`` itself where there is none, or
    where the file's decimal mark is not known (:func:`decimal_mark` of those columns and
    ``evidence``: the columns the file's coordinates were read from, ``degrees`` those of
    them in degrees). ``notes`` says what was read so."""
    names = list(frame.columns)
    texts = {name: _text(frame[name]) for name in columns if names.count(name) == 1}
    grouped = {
        sep: {name: _matches(text, pattern, sep) for name, text in texts.items()}
        for sep, pattern in _GROUPED.items()
    }
    if not any(m.any() for by_name in grouped.values() for m in by_name.values()):
        return frame
    mark = decimal_mark([*texts.values(), *evidence], degrees=degrees)
    if mark is None:
        return frame
    sep = _OTHER[mark]
    found = {name: m for name, m in grouped[sep].items() if m.any()}
    if not found:
        return frame
    out = frame.copy()
    shown = []
    written: dict[str, dict[Hashable, str]] = {}
    for name, mask in found.items():
        values = texts[name].to_numpy(dtype=object)
        column = out[name].to_numpy(dtype=object).copy()
        column[mask] = [v.replace(sep, "").strip() for v in values[mask]]
        out[name] = pd.Series(column, index=out.index, dtype=object)
        written[name] = {row: str(v).strip() for row, v in zip(out.index[mask], values[mask], strict=True)}
        count = int(mask.sum())
        more = f" and {count - 1} more" if count > 1 else ""
        shown.append(f"{name} {values[mask][0].strip()!r}{more}")
    what = "decimal commas" if mark == "," else "decimal points"
    notes.append(
        ThousandsNote(
            f"read numbers grouped in threes by {sep!r} as thousands ({'; '.join(shown)}): "
            f"the file writes {what}",
            written=written,
            because=f"read as thousands, {sep!r} grouping digits in threes in a file that writes {what}",
        )
    )
    return out
