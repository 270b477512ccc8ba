"""Village lists as provinces send them: what they leave out and their names and places tell.

Provincial village lists name each village with its kind ("Thôn 1", "Làng O2", "Tổ dân
phố 5", "Buôn Ma Lăk"), the way the ``villages`` layer's ``name`` field is described, and
most have no separate column for the kind, which the layer requires. :func:`kinds_from_names`
fills the ``kind`` column of such a file from the names: a name that begins with an allowed
kind (then a space, a digit or nothing), compared regardless of case, or without diacritics
when the name is written without any ("Thon 1"), or with the usual abbreviations ("TDP 5",
"KP 2"). A name that begins with none is left without a kind, and validation names its row.
A file with a kind column is read as it is.

Nor do they carry the province's code, also required: they are lists of one province.
:func:`with_province_codes` gives a village without one the province of the workspace
commune it lies in, else the workspace's province when it has only one; a village in
neither is left without, and validation names its row.
"""

from __future__ import annotations

import re
import unicodedata

import geopandas as gpd
import numpy as np
import pandas as pd

from coverage_gis.admin import commune_positions
from coverage_gis.io.row_text import rows_counted
from coverage_gis.layers import LayerSchema
from coverage_gis.text_forms import fold_diacritics
from coverage_gis.workspace import Workspace

__all__ = ["kinds_from_names", "with_province_codes"]

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
        + ", ".join(f"{kind} ({rows_counted(n)})" for kind, n in counts.items())
        + (f"; {int(found.isna().sum())} names begin with no kind" if found.isna().any() else "")
    )
    return frame.assign(kind=found.astype(object).where(found.notna(), None))


def with_province_codes(frame: pd.DataFrame, ws: Workspace, *, notes: list[str]) -> pd.DataFrame:
    """``frame`` (villages, in EPSG:4326) with a ``province_code`` for every village without
    one (see the module docstring); a frame whose villages all have one as it is."""
    given = frame["province_code"] if "province_code" in frame.columns else None
    wanting = np.ones(len(frame), dtype=bool) if given is None else given.isna().to_numpy()
    if not wanting.any() or not isinstance(frame, gpd.GeoDataFrame):
        return frame
    codes = pd.Series([None] * len(frame), index=frame.index, dtype=object)
    communes = ws.read_layer("communes", missing_ok=True)
    geoms = np.asarray(frame.geometry.array, dtype=object)
    points = wanting & np.array([g is not None and g.geom_type == "Point" and not g.is_empty for g in geoms])
    if isinstance(communes, gpd.GeoDataFrame) and len(communes) and points.any():
        placed = commune_positions(geoms[points], communes)
        inside = placed >= 0
        rows = np.flatnonzero(points)[inside]
        codes.iloc[rows] = communes["province_code"].astype(str).to_numpy(dtype=object)[placed[inside]]
    by_commune = int(codes.notna().sum())
    provinces = ws.config.provinces
    if len(provinces) == 1:
        codes = codes.where(codes.notna() | ~pd.Series(wanting, index=frame.index), str(provinces[0]))
    filled = codes.where(pd.Series(wanting, index=frame.index), None)
    if not filled.notna().any():
        return frame
    notes.append(
        f"villages: no province code for {int(wanting.sum())} villages; read from the commune each lies in "
        f"({by_commune})"
        + (
            f", else the workspace's province {provinces[0]} ({int(filled.notna().sum()) - by_commune})"
            if len(provinces) == 1
            else ""
        )
    )
    merged = filled if given is None else given.astype(object).where(given.notna(), filled)
    return frame.assign(province_code=merged)
