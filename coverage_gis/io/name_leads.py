"""A field read from the word a feature's name begins with, where the file has no column for it.

Provincial lists name a village with its kind ("Thôn 1", "TDP 5") and a priority place
with its category ("Bệnh viện Đa khoa tỉnh", "KCN Phú Tài", "UBND xã Vĩnh Kim") and often
have no column for either, which the layers require. :func:`field_from_names` fills such a
column from the names: a name that begins with one of the field's spellings (then a space,
a digit, a dot or nothing), the longest spelling first, compared regardless of case, or
without diacritics when the name is written without any ("Thon 1"). A name that begins
with none is left without, and validation names its row. A file with the column is read
as it is.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from coverage_gis.io.row_text import rows_counted
from coverage_gis.layers import LayerSchema
from coverage_gis.text_forms import LeadingValues

__all__ = ["categories_from_names", "field_from_names"]


def field_from_names(
    frame: pd.DataFrame, schema: LayerSchema, field: str, spellings: Mapping[str, str], *, notes: list[str]
) -> pd.DataFrame:
    """``frame`` with a ``field`` column read from ``name`` when it has none (see the module
    docstring): ``spellings`` maps each way a name may begin to the field's value; any other
    frame as it is."""
    if field in frame.columns or "name" not in frame.columns:
        return frame
    found = frame["name"].map(LeadingValues(spellings))
    if found.isna().all():
        return frame
    counts = found.value_counts()
    notes.append(
        f"{schema.name}: no {field} column; {field} read from the names: "
        + ", ".join(f"{value} ({rows_counted(n)})" for value, n in counts.items())
        + (f"; {int(found.isna().sum())} names begin with no {field}" if found.isna().any() else "")
    )
    return frame.assign(**{field: found.astype(object).where(found.notna(), None)})


def categories_from_names(frame: pd.DataFrame, schema: LayerSchema, *, notes: list[str]) -> pd.DataFrame:
    """``frame`` (places) with a ``category`` read from the names when it has no such column:
    the category's Vietnamese spellings (``value_aliases``) and its own name, spaced."""
    spellings = schema.field("category").value_spellings
    return field_from_names(frame, schema, "category", spellings, notes=notes)
