"""A vector layer whose geometries GEOS refuses to build, read feature by feature.

pyogrio builds every geometry of a layer at once, so one feature GEOS cannot build (a
line of one point, a polygon ring that does not close) fails the whole read with no
feature named. :func:`read_decoding_each` reads such a layer again: the attributes as
usual, the geometries as raw WKB decoded one by one. Unclosed rings are closed (and
noted, with their rows); any other geometry that cannot be built is reported with its
row and GEOS's reason, so the user knows which feature to fix.
"""

from __future__ import annotations

import warnings

import geopandas as gpd
import numpy as np
import pyogrio
import pyogrio.raw
import shapely

from coverage_gis.errors import LayerValidationError
from coverage_gis.io.row_text import rows_listed

#: GEOS's words for a geometry it cannot build → the same in a planner's words.
_PLAIN = {
    "point array must contain 0 or >1 elements": "a line of a single point; a line needs two",
}


def read_decoding_each(
    dataset: str, *, layer: str | int | None, encoding: str | None, source: str, notes: list[str]
) -> gpd.GeoDataFrame:
    """The layer as pyogrio reads it, with unclosed rings closed; an error naming the
    first feature (zero-based row) whose geometry cannot be built otherwise.

    Raises
    ------
    LayerValidationError
        Naming ``source``, the row, ``geometry`` and GEOS's reason (and how many more
        features cannot be built).
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        attributes = pyogrio.read_dataframe(dataset, layer=layer, read_geometry=False, encoding=encoding)
        meta, _, wkb, _ = pyogrio.raw.read(dataset, layer=layer, encoding=encoding, columns=[])
    wkb = np.asarray(wkb, dtype=object)
    given = np.array([w is not None for w in wkb], dtype=bool)
    as_given = shapely.from_wkb(wkb, on_invalid="ignore")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fixed = shapely.from_wkb(wkb, on_invalid="fix")
    broken = np.flatnonzero(given & shapely.is_missing(fixed))
    if broken.size:
        first = int(broken[0])
        try:
            shapely.from_wkb(wkb[first])
            reason = "GEOS cannot build it"
        except shapely.errors.GEOSException as exc:
            reason = geos_reason(exc)
        more = broken.size - 1
        others = f" (and {more} more feature{'s' if more > 1 else ''}: rows {rows_listed(broken[1:])})"
        raise LayerValidationError(
            f"geometry cannot be read ({reason})" + (others if more else ""),
            source=source,
            row=first,
            field="geometry",
        )
    closed = np.flatnonzero(given & shapely.is_missing(as_given))
    if closed.size:
        notes.append(
            f"closed {closed.size} polygon ring{'s' if closed.size > 1 else ''} whose last point was not "
            f"its first (rows {rows_listed(closed)})"
        )
    return gpd.GeoDataFrame(attributes, geometry=fixed, crs=meta["crs"])


def geos_reason(exc: BaseException) -> str:
    """GEOS's reason for refusing a geometry, led by plain words where they are known."""
    reason = " ".join(str(exc).split()) or type(exc).__name__
    plain = next((words for found, words in _PLAIN.items() if found in reason), None)
    return f"{plain}: {reason}" if plain else reason
