"""GSO codes with the leading zeros a spreadsheet drops.

The General Statistics Office numbers provinces with two digits, districts with three and
communes with five: Hà Nội is ``01``, Phường Trúc Bạch ``00004``. A list kept in Excel stores
such a code as a number and writes ``1`` and ``4``; the workspace's communes hold ``01`` and
``00004``. A field whose schema gives its ``digits`` reads a code written with fewer digits,
digits only, with the zeros put back, and a note (``docs/architecture.md``, imports). Other
text (a longer code, a code with letters) is left as written.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from coverage_gis._values import is_missing
from coverage_gis.layers import LayerSchema

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
            if (text := _digits_text(v)) is not None and len(text) < spec.digits
        }
        if not short:
            continue
        # (By lookup, not isin: a True in the column is no code 1.)
        rows = np.array([not isinstance(v, bool) and v in short for v in column], dtype=bool)
        if out is frame:
            out = frame.copy()
        out[spec.name] = column.mask(rows, column.map(short))
        first = column[rows].iloc[0]
        count = int(rows.sum())
        notes.append(
            f"{schema.name}: {spec.name} read as GSO codes of {spec.digits} digits, with the leading "
            f"zeros a spreadsheet drops ({_digits_text(first)!r} → {short[first]!r}; {count} row"
            f"{'s' if count != 1 else ''})"
        )
    return out


def _digits_text(value: object) -> str | None:
    """A code's digits as text: a whole number, or text of digits alone; None otherwise."""
    if is_missing(value) or isinstance(value, bool):
        return None
    if isinstance(value, (int, np.integer)):
        return str(int(value)) if value >= 0 else None
    if isinstance(value, str):
        text = value.strip()
        return text if text.isdigit() and text.isascii() else None
    return None
