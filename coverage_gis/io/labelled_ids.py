"""A feature's id and name read apart from one label that holds both.

A map drawn by hand (Google Earth, My Maps) labels each pin with its code and its name
in one text, ``BDH_HH01 - Hoài Hải 1`` or ``Hoài Hải 1 (BDH_HH01)``, and has no other
column: the label is then read as both the id and the name (the id's ``fallback_aliases``),
and the id would be the whole label. :func:`ids_from_labels` splits such labels: where a
layer's id and name hold the same text in every row, and every label is a code (one word
of three characters or more with a digit in it, no space) and a name, joined by a dash,
a colon or a bar, or the code in brackets after the name, the code is the id and the
rest the name, with a note. The
codes must differ from one another (else the labels stay whole, and validation reads
them as they are). A file with an id column of its own is read as it is.
"""

from __future__ import annotations

import re

import pandas as pd

from coverage_gis.io.row_text import rows_counted
from coverage_gis.layers import LayerSchema

__all__ = ["ids_from_labels"]

#: A code: one word of three letters, digits or ``_ . - /`` at least, a digit among them
#: (``BDH_HH01``, ``VT-0123``; not ``(2)``, a number in a list).
_CODE = r"(?=\S*\d)(?=\S{3})[^\W_][\w./-]*"
#: ``code - name`` (a dash of any kind with spaces around it, or a colon or a bar after the code).
_CODE_FIRST = re.compile(rf"^\s*(?P<code>{_CODE})\s*(?:\s[-–—]|:|\|)\s+(?P<name>\S.*?)\s*$")
#: ``name (code)``.
_CODE_AFTER = re.compile(rf"^\s*(?P<name>\S.*?)\s*\(\s*(?P<code>{_CODE})\s*\)\s*$")


def ids_from_labels(frame: pd.DataFrame, schema: LayerSchema, *, notes: list[str]) -> pd.DataFrame:
    """``frame`` with its id and ``name`` read apart from labels that hold both (see the
    module docstring); any other frame as it is."""
    id_field = schema.id_field
    if id_field == "name" or id_field not in frame.columns or "name" not in frame.columns or not len(frame):
        return frame
    ids, names = frame[id_field], frame["name"]
    given = ids.notna()
    if not given.any() or not (ids[given].astype(str) == names[given].astype(str)).all():
        return frame
    labels = ids[given].astype(str)
    for pattern in (_CODE_FIRST, _CODE_AFTER):
        parts = labels.str.extract(pattern)
        if parts["code"].isna().any() or parts["code"].duplicated().any():
            continue
        out = frame.copy()
        out.loc[given, id_field] = parts["code"]
        out.loc[given, "name"] = parts["name"]
        example = labels.iloc[0]
        notes.append(
            f"{schema.name}: each label holds a code and a name ({example!r}): the code read as "
            f"{id_field}, the rest as name ({rows_counted(int(given.sum()))})"
        )
        return out
    return frame
