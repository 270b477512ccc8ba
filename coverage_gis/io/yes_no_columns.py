"""Yes/no fields a list writes as two columns, or as a column that asks the opposite
(``docs/architecture.md``, importers).

Provincial appendices mark a village's grid power in two columns under one merged header,
``Điện lưới quốc gia`` over ``Có | Chưa có``, with a tick in one of them (named
``Điện lưới quốc gia (Có)`` and ``… (Chưa có)`` by
:func:`coverage_gis.io.table_shape.merged_header`); or in one column that asks whether a
village has *none*: ``Chưa có điện lưới``, ``Không có điện lưới``, ``Điện lưới (chưa có)``.
Read as the field they name, the first would be two columns for one field, and the second
the opposite of what the sender ticked: every village marked "no power" stored with power.

:func:`yes_no_columns_read` makes each such pair one column of the field (yes where the yes
column is ticked, no where the no column is; a row that ticks both says nothing one can
trust, and is left for validation to name), and reads a column that asks the opposite as
the field with each answer turned round (in a column of ticks, a blank is a "no" to its
question: the village has power). With a note each.
"""

from __future__ import annotations

import re

import pandas as pd

from coverage_gis._values import is_blank
from coverage_gis.io.headers import find_header
from coverage_gis.io.table_shape import YES_NO_PARTS
from coverage_gis.layers import LayerSchema
from coverage_gis.text_forms import folded_words
from coverage_gis.validation import NOT_BOOL, bool_value

__all__ = ["NEGATIONS", "yes_no_columns_read"]

#: Words that turn a header's question round, before the field's name or in brackets after
#: it (without diacritics, lower case).
NEGATIONS = ("chua co", "khong co", "chua", "khong")
_PART = re.compile(r"\A(.*\S)\s*[(\[]\s*([^()\[\]]+?)\s*[)\]]\s*\Z")
_LEADING_NEGATION = re.compile(rf"\A(?:{'|'.join(NEGATIONS)})\s+(.+)\Z")
#: What a row that ticks both columns holds: no yes/no value, so validation names it.
_BOTH = "both ticked"


def yes_no_columns_read(frame: pd.DataFrame, schema: LayerSchema, *, notes: list[str]) -> pd.DataFrame:
    """``frame`` (raw headers) with each yes/no field's two columns made one, and a column
    that asks the opposite turned round (see the module docstring); ``frame`` itself where
    it has neither."""
    for spec in schema.fields:
        if spec.type != "bool":
            continue
        spellings = [spec.name, *spec.aliases]
        columns = [str(c) for c in frame.columns if c != "geometry"]
        if find_header(columns, spellings, units=()) is not None:
            continue  # the field's own column: nothing to read otherwise
        answers: dict[bool, str] = {}
        negated: str | None = None
        for column in columns:
            found = _PART.match(column.strip())
            if found and find_header([found.group(1)], spellings, units=None) is not None:
                part = folded_words(found.group(2))
                if part in YES_NO_PARTS:
                    answers.setdefault(YES_NO_PARTS[part], column)
                if part in NEGATIONS:
                    negated = negated or column
                continue
            lead = _LEADING_NEGATION.match(folded_words(column))
            if lead and find_header([lead.group(1)], spellings, units=None) is not None:
                negated = negated or column
        if len(answers) == 2:
            frame = _pair_read(frame, spec.name, answers[True], answers[False], notes=notes)
        elif negated is not None:
            frame = _turned_round(frame, spec.name, negated, notes=notes)
    return frame


def _ticked(value: object) -> bool:
    return not is_blank(value) and bool_value(value) is True


def _pair_read(frame: pd.DataFrame, field: str, yes: str, no: str, *, notes: list[str]) -> pd.DataFrame:
    said_yes, said_no = frame[yes].map(_ticked), frame[no].map(_ticked)
    values = [
        _BOTH if y and n else True if y else False if n else None
        for y, n in zip(said_yes, said_no, strict=True)
    ]
    at = list(frame.columns).index(yes)
    frame = frame.drop(columns=[yes, no])
    frame.insert(at, field, pd.Series(values, index=frame.index, dtype=object))
    notes.append(f"{field}: the columns {yes!r} and {no!r} read as one yes/no column (a tick in one)")
    return frame


def _turned_round(frame: pd.DataFrame, field: str, column: str, *, notes: list[str]) -> pd.DataFrame:
    answers = frame[column].map(bool_value)
    given = ~frame[column].map(is_blank)
    ticks = bool(given.any()) and bool((answers[given] == True).all())  # noqa: E712 (objects)
    values = [
        None if a is None and not ticks else True if a is None else a if a == NOT_BOOL else not a
        for a in answers
    ]
    # (A value that is no yes/no one stays as written, for validation to name.)
    values = [frame[column].iat[i] if v == NOT_BOOL else v for i, v in enumerate(values)]
    at = list(frame.columns).index(column)
    frame = frame.drop(columns=[column])
    frame.insert(at, field, pd.Series(values, index=frame.index, dtype=object))
    notes.append(
        f"{field}: the column {column!r} asks the opposite: each answer read turned round"
        + (" (a blank: not ticked)" if ticks else "")
    )
    return frame
