"""Coordinates written latitude first: a file whose every feature lies in Vietnam only with
its two axes exchanged.

Vietnam's longitudes (102–118° E) and latitudes (6–24° N) never overlap, so a point lies in
it at most one way round. A table whose longitude column holds the latitudes, or a GeoJSON
written ``[lat, lon]`` (against RFC 7946), puts every feature outside Vietnam as written and
inside with its axes exchanged: such a file is read the other way round, with a note. A file
with only some features so is left as written; validation names each feature that looks
swapped (``docs/architecture.md``, imports).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

from coverage_gis.validation import inside_vietnam

__all__ = ["axes_swapped", "with_axes_swapped"]


def axes_swapped(bounds: np.ndarray) -> bool:
    """Whether features with these ``bounds`` (rows of min x, min y, max x, max y in degrees;
    NaN for a missing or empty one) lie in Vietnam with x and y exchanged, every one of them
    (and so, none as written)."""
    given = ~np.isnan(bounds).any(axis=1)
    if not given.any():
        return False
    b = bounds[given]
    return bool((inside_vietnam(b[:, 1], b[:, 0]) & inside_vietnam(b[:, 3], b[:, 2])).all())


def with_axes_swapped(frame: gpd.GeoDataFrame, *, notes: list[str]) -> gpd.GeoDataFrame:
    """``frame`` (EPSG:4326) with x and y exchanged in every geometry where
    :func:`axes_swapped` says so, with a note; else ``frame``."""
    geoms = frame.geometry.to_numpy()
    if not len(geoms) or not axes_swapped(shapely.bounds(geoms)):
        return frame
    notes.append(
        "coordinates written latitude first ([lat, lon]): read the other way round, every "
        "feature lies in Vietnam; as written, none"
    )
    swapped = shapely.transform(geoms, lambda xy: xy[:, ::-1])
    return frame.set_geometry(gpd.GeoSeries(swapped, index=frame.index, crs=frame.crs))
