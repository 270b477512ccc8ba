"""GSO codes with the leading zeros a spreadsheet drops.

The General Statistics Office numbers provinces with two digits, districts with three and
communes with five: Hà Nội is ``01``, Phường Trúc Bạch ``00004``. A list kept in Excel stores
such a code as a number and writes ``1`` and ``4``; the workspace's communes hold ``01`` and
``00004``. A field whose schema gives its ``digits`` reads a code written with fewer digits,
digits only, with the zeros put back, and a note (``docs/architecture.md``, imports); so does
a code a script or a locale reformatted as a number (``21868.0``, ``21.868``, ``'21655``).
Other text (a longer code, a code with letters) is left as written.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from coverage_gis._values import is_missing
from coverage_gis.layers import LayerSchema
from coverage_gis.value_text import whole_digits

__all__ = ["padded_codes"]


def padded_codes(frame: pd.DataFrame, schema: LayerSchema, *, notes: list[str]) -> pd.DataFrame:
    """``frame`` (columns named as ``schema``'s fields) with each code field's values written
    with fewer digits than the field's ``digits`` padded with zeros; ``frame`` itself where none is."""
    out = frame
    names = list(frame.columns)
    for spec in schema.fields:
        if spec.digits is None or names.count(spec.name) != 1:
            continue
        column = frame[spec.name].astype(object)
        # Each distinct code once (a list repeats its communes' codes on every village).
        short = {
            v: text.zfill(spec.digits)
            for v in column.dropna().unique()
            if (text := _digits_text(v)) is not None
            and len(text) <= spec.digits
            and text.zfill(spec.digits) != v
        }
        if not short:
            continue
        # (By lookup, not isin: a True in the column is no code 1.)
        rows = np.array([not isinstance(v, bool) and v in short for v in column], dtype=bool)
        if out is frame:
            out = frame.copy()
        out[spec.name] = column.mask(rows, column.map(short))
        # Codes typed as numbers (zeros dropped), and codes a script or a locale rewrote.
        typed = np.array([rows[k] and _typed_digits(v) for k, v in enumerate(column)], dtype=bool)
        for picked, how in (
            (typed, "with the leading zeros a spreadsheet drops"),
            (rows & ~typed, "written as numbers"),
        ):
            if not picked.any():
                continue
            first = column[picked].iloc[0]
            count = int(picked.sum())
            shown = _digits_text(first) if how.startswith("with") else str(first)
            notes.append(
                f"{schema.name}: {spec.name} read as GSO codes of {spec.digits} digits, {how} "
                f"({shown!r} → {short[first]!r}; {count} row{'s' if count != 1 else ''})"
            )
    return out


def _typed_digits(value: object) -> bool:
    """Whether a code is a whole number, or its digits alone (as a spreadsheet types it)."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return True
    return isinstance(value, str) and value.strip().isdigit()


#: A code a Vietnamese locale wrote with thousands (``21.868``), after Excel's mark for text
#: (``'``) where it kept one; a float's text (``21868.0``) is :func:`whole_digits`'.
_GROUPED = re.compile(r"'?(\d{1,3}(?:[.,]\d{3})+)")


def _digits_text(value: object) -> str | None:
    """A code's digits as text: a whole number (a float's too), text of digits alone or as a
    number was reformatted (:func:`~coverage_gis.value_text.whole_digits`, :data:`_GROUPED`, after
    Excel's ``'``); None otherwise."""
    if is_missing(value) or isinstance(value, bool):
        return None
    if isinstance(value, (int, np.integer)):
        return str(int(value)) if value >= 0 else None
    if isinstance(value, (float, np.floating)):
        return str(int(value)) if float(value).is_integer() and value >= 0 else None
    if isinstance(value, str):
        text = value.strip()
        if not text.isascii():
            return None
        if (digits := whole_digits(text.removeprefix("'"))) is not None:
            return digits
        if found := _GROUPED.fullmatch(text):
            return re.sub(r"[.,]", "", found.group(1))
    return None
