"""Cell ids a vendor export numbers within their site (``docs/architecture.md``, importers).

Huawei, ZTE and Ericsson exports give each cell's *local* id (``Cell ID`` / ``CellId`` /
``cellLocalId``: 1, 2, 3 under every eNodeB) beside its name (``Cell Name``, ``userLabel``).
Read as the layer's ``cell_id``, the local ids repeat from one site to the next and the
whole file would be refused for duplicate ids. Where the ids repeat across sites but never
within one, the file's cell names are the ids (when it has a name column whose values are
all given and distinct), else each id is made ``<site_id>-<local id>``; with a note. Any
other repeat (one site listing one id twice) is left to validation, which names the rows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from coverage_gis._values import is_blank
from coverage_gis.io.headers import find_header
from coverage_gis.layers import LayerSchema

__all__ = ["cell_ids_within_sites"]


def cell_ids_within_sites(frame: pd.DataFrame, schema: LayerSchema, *, notes: list[str]) -> pd.DataFrame:
    """``frame`` (cells, columns named as ``schema``'s) with ids unique in the layer where its
    ``cell_id`` numbers the cells within each site (see the module docstring); ``frame``
    itself otherwise."""
    if "cell_id" not in frame.columns or "site_id" not in frame.columns or len(frame) < 2:
        return frame
    ids = frame["cell_id"].map(_text)
    sites = frame["site_id"].map(_text)
    given = (ids != "") & (sites != "")
    if not ids[given].duplicated().any():
        return frame
    if pd.DataFrame({"s": sites[given], "c": ids[given]}).duplicated().any():
        return frame  # one site lists one id twice: validation names the rows
    names = _name_column(frame, schema)
    if names is not None:
        notes.append(
            "cells: the cell ids number the cells within each site (1, 2, 3 again under the "
            f"next): the names of {names!r} read as the cells' ids"
        )
        return frame.drop(columns=[names]).assign(cell_id=frame[names].to_numpy(dtype=object))
    made = np.where(given, sites + "-" + ids, frame["cell_id"].to_numpy(dtype=object))
    example = made[np.flatnonzero(given)[0]]
    notes.append(
        "cells: the cell ids number the cells within each site (1, 2, 3 again under the next): "
        f"each id made <site_id>-<id> (e.g. {example!r}); give a column of cell names to keep them"
    )
    return frame.assign(cell_id=made)


def _name_column(frame: pd.DataFrame, schema: LayerSchema) -> str | None:
    """The column of cell names beside the local ids (the ``cell_id`` field's other spellings),
    when every row gives a name and no two the same."""
    spec = schema.field("cell_id")
    others = [str(c) for c in frame.columns if c not in ("cell_id", "site_id")]
    column = find_header(others, spec.fallback_aliases, units=None)
    if column is None:
        return None
    values = frame[column]
    if values.map(is_blank).any() or values.map(_text).duplicated().any():
        return None
    return column


def _text(value: object) -> str:
    """An id as text ('' for none; a whole number stored as a decimal, as it was typed)."""
    if is_blank(value):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()
