"""Fields whose values GDAL reads as JSON of mixed types, kept as the file writes them.

A GeoJSON property that holds a number in one feature and text in another (``120`` and
``"2.000"``, as a list typed partly by hand holds) is a text field of GDAL's JSON subtype:
GDAL gives each value's text, a string's without its quotes. pyogrio then parses every value
as JSON, which reads the text ``"2.000"`` as the number 2.0 (the thousands separator taken
for a decimal point) and ``"01"`` not at all. An import reads these values from the text GDAL
gave, as it reads the cells of a CSV (:mod:`coverage_gis.value_text`).
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import pyogrio
import pyogrio.raw

__all__ = ["as_written"]

_JSON = "OFSTJSON"


def as_written(frame: pd.DataFrame, dataset: Any, *, layer: Any, encoding: str | None) -> pd.DataFrame:
    """``frame`` (read from ``dataset``'s ``layer``, in feature order) with each field of the
    JSON subtype holding the text GDAL gives for its values; ``frame`` itself when none is."""
    info = pyogrio.read_info(dataset, layer=layer, encoding=encoding)
    mixed = [str(f) for f, kind in zip(info["fields"], info["ogr_subtypes"], strict=True) if kind == _JSON]
    mixed = [f for f in mixed if f in frame.columns]
    if not mixed:
        return frame
    _, _, _, values = pyogrio.raw.read(
        dataset, layer=layer, columns=mixed, read_geometry=False, encoding=encoding
    )
    out = frame.copy()
    for name, column in zip(mixed, values, strict=True):
        out[name] = pd.Series(column, index=frame.index, dtype=object)
    return out
