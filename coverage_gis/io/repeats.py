"""Rows that repeat one feature: a list of cells read as sites.

Operators send their network as one list with a row per cell ("Danh sách cell": site
code, site name, longitude, latitude, then the cell's id, technology, band and azimuth).
Its sites are the same list: every cell of a site repeats the site's code, name and
position. :func:`collapse_repeats` reads such rows once, so that the sites can be imported
from the file the cells come from, with a note. Rows that share an id but differ in a
field of the layer or in position are left as they are: validation then refuses the
repeated id, naming the row, since the file does not say which of them is right.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from coverage_gis.layers import LayerSchema

__all__ = ["collapse_repeats"]


def collapse_repeats(frame: pd.DataFrame, schema: LayerSchema, *, notes: list[str]) -> pd.DataFrame:
    """``frame`` (columns named as ``schema``'s fields) with rows that repeat an earlier row's
    id and every field of the layer and position left out (see the module docstring).

    Columns that are not the layer's fields (a cell's own id, band, azimuth) do not count:
    they belong to what the rows list, not to the feature they repeat.
    """
    id_field = schema.id_field
    if id_field not in frame.columns:
        return frame
    ids = frame[id_field]
    repeated = (ids.duplicated(keep=False) & ids.notna()).to_numpy()
    if not repeated.any():
        return frame
    fields = [f.name for f in schema.fields if f.name in frame.columns]
    key = frame.loc[repeated, fields].astype(str)
    if isinstance(frame, gpd.GeoDataFrame) and frame.geometry.name in frame:
        geometries = np.asarray(frame.geometry.array, dtype=object)[repeated]
        key["geometry"] = shapely.to_wkb(geometries)
    again = key.duplicated(keep="first")
    if not again.any():
        return frame
    out = frame.drop(index=key.index[again.to_numpy()])
    notes.append(
        f"{schema.name}: {int(again.sum())} rows repeat the {id_field} and the values of an earlier row "
        f"(a list with a row per cell?): {len(out)} {schema.name} read from {len(frame)} rows"
    )
    return out
