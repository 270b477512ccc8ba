"""A village's kind read from its name, for village lists that have no kind column.

Provincial village lists name each village with its kind ("Thôn 1", "Làng O2", "Tổ dân
phố 5", "Buôn Ma Lăk"), the way the ``villages`` layer's ``name`` field is described, and
most have no separate column for the kind, which the layer requires. :func:`kinds_from_names`
fills the ``kind`` column of such a file from the names: a name that begins with an allowed
kind (then a space, a digit or nothing), compared regardless of case, or without diacritics
when the name is written without any ("Thon 1"), or with the usual abbreviations ("TDP 5",
"KP 2"). A name that begins with none is left without a kind, and validation names its row.
A file with a kind column is read as it is.
"""

from __future__ import annotations

import re
import unicodedata

import pandas as pd

from coverage_gis.layers import LayerSchema
from coverage_gis.text_forms import fold_diacritics

__all__ = ["kinds_from_names"]

#: Abbreviations of kinds in village names, as written in lists: "TDP 5", "KP 2".
_ABBREVIATIONS = {"tdp": "tổ dân phố", "kp": "khu phố"}


def _lead(text: str) -> str:
    return unicodedata.normalize("NFC", text).strip().casefold()


def _kind_of(name: object, kinds: dict[str, str], folded: dict[str, str]) -> str | None:
    if not isinstance(name, str):
        return None
    text = _lead(name)
    table = kinds if not text.isascii() else folded
    for spelled in sorted(table, key=len, reverse=True):
        if re.match(rf"{re.escape(spelled)}(?:[\s\d.]|\Z)", text):
            return table[spelled]
    return None


def kinds_from_names(frame: pd.DataFrame, schema: LayerSchema, *, notes: list[str]) -> pd.DataFrame:
    """``frame`` with a ``kind`` column read from ``name`` when it has none (see the module
    docstring); any other frame as it is."""
    if "kind" in frame.columns or "name" not in frame.columns:
        return frame
    allowed = schema.field("kind").allowed or ()
    kinds = {_lead(k): k for k in allowed}
    folded = {fold_diacritics(s): k for s, k in kinds.items()}
    folded.update({a: kinds[_lead(k)] for a, k in _ABBREVIATIONS.items() if _lead(k) in kinds})
    kinds.update({a: kinds[_lead(k)] for a, k in _ABBREVIATIONS.items() if _lead(k) in kinds})
    found = frame["name"].map(lambda name: _kind_of(name, kinds, folded))
    if found.isna().all():
        return frame
    counts = found.value_counts()
    notes.append(
        f"{schema.name}: no kind column; kind read from the names: "
        + ", ".join(f"{kind} ({n} rows)" for kind, n in counts.items())
        + (f"; {int(found.isna().sum())} names begin with no kind" if found.isna().any() else "")
    )
    return frame.assign(kind=found.astype(object).where(found.notna(), None))
