"""Ids a list numbers within their parent: cells within their site, villages within their
commune (``docs/architecture.md``, importers).

Huawei, ZTE and Ericsson exports give each cell's *local* id (``Cell ID`` / ``CellId`` /
``cellLocalId``: 1, 2, 3 under every eNodeB) beside its name (``Cell Name``, ``userLabel``).
Read as the layer's ``cell_id``, the local ids repeat from one site to the next and the
whole file would be refused for duplicate ids. Where the ids repeat across sites but never
within one, the file's cell names are the ids (when it has a name column whose values are
all given and distinct), else each id is made ``<site_id>-<local id>``; with a note. Any
other repeat (one site listing one id twice) is left to validation, which names the rows.

A commune's village list numbers its villages the same way (``Mã thôn`` 01, 02 under each
commune, beside the commune's code): each id is made ``<commune_code>-<id>``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from coverage_gis._values import is_blank, typed_text
from coverage_gis.io.headers import find_header
from coverage_gis.layers import LayerSchema

__all__ = ["ids_within_parents"]

#: The field whose values each layer's ids are numbered within.
PARENTS = {"cells": "site_id", "villages": "commune_code"}


def ids_within_parents(frame: pd.DataFrame, schema: LayerSchema, *, notes: list[str]) -> pd.DataFrame:
    """``frame`` (columns named as ``schema``'s) with ids unique in the layer where its id
    field numbers the features within each parent (:data:`PARENTS`; see the module
    docstring); ``frame`` itself otherwise."""
    key, parent = schema.id_field, PARENTS.get(schema.name)
    if parent is None or key not in frame.columns or parent not in frame.columns or len(frame) < 2:
        return frame
    if not frame[key].dropna().duplicated().any():
        return frame  # the ids are unique as written (most lists): nothing numbered within parents
    ids = frame[key].map(typed_text)
    parents = frame[parent].map(typed_text)
    given = (ids != "") & (parents != "")
    if not ids[given].duplicated().any():
        return frame
    if pd.DataFrame({"p": parents[given], "i": ids[given]}).duplicated().any():
        return frame  # one parent lists one id twice: validation names the rows
    numbered = (
        f"{schema.name}: the {key}s number the {schema.name} within each {parent} "
        "(1, 2, 3 again under the next)"
    )
    names = _name_column(frame, schema)
    if names is not None:
        notes.append(f"{numbered}: the names of {names!r} read as their ids")
        return frame.drop(columns=[names]).assign(**{key: frame[names].to_numpy(dtype=object)})
    made = np.where(given, parents + "-" + ids, frame[key].to_numpy(dtype=object))
    example = made[np.flatnonzero(given)[0]]
    notes.append(f"{numbered}: each id made <{parent}>-<id> (e.g. {example!r})")
    return frame.assign(**{key: made})


def _name_column(frame: pd.DataFrame, schema: LayerSchema) -> str | None:
    """The column of names beside the local ids (the id field's other spellings: cell names),
    when every row gives a name and no two the same."""
    spec = schema.field(schema.id_field)
    others = [str(c) for c in frame.columns if c not in schema.field_names]
    column = find_header(others, spec.fallback_aliases, units=None) if spec.fallback_aliases else None
    if column is None:
        return None
    values = frame[column]
    if values.map(is_blank).any() or values.map(typed_text).duplicated().any():
        return None
    return column
