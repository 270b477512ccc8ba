"""The ``bbox`` query parameter: its parsing and which rows of a table lie in it.

One rule decides whether a row is in a box (:func:`in_box`: ``lon``/``lat`` within it,
edges included). :func:`bbox_mask` applies it to every row of a table; a
:class:`PointIndex`, built once per revision for a large table (the villages of a
national workspace), first narrows the rows to the box's longitude range by binary search
and applies the same rule to those only.
"""

from __future__ import annotations

from typing import Annotated

import numpy as np
import numpy.typing as npt
import pandas as pd
from fastapi import Query

from coverage_gis.crs import BBox
from coverage_gis_api.errors import InvalidField

_MESSAGE = "bbox must be four numbers minlon,minlat,maxlon,maxlat"


def parse_bbox(value: str | None) -> BBox | None:
    """``minlon,minlat,maxlon,maxlat`` → a tuple, or :class:`InvalidField` naming ``bbox``."""
    if value is None:
        return None
    parts = value.split(",")
    try:
        numbers = [float(p) for p in parts]
    except ValueError:
        raise InvalidField(_MESSAGE, field="bbox") from None
    if len(numbers) != 4 or not all(np.isfinite(numbers)):
        raise InvalidField(_MESSAGE, field="bbox")
    minlon, minlat, maxlon, maxlat = numbers
    if not (-180 <= minlon <= 180 and -180 <= maxlon <= 180 and -90 <= minlat <= 90 and -90 <= maxlat <= 90):
        raise InvalidField("bbox must lie within lon -180…180 and lat -90…90", field="bbox")
    if minlon > maxlon or minlat > maxlat:
        raise InvalidField("bbox minimums must not exceed its maximums", field="bbox")
    return minlon, minlat, maxlon, maxlat


async def bbox_query(
    bbox: Annotated[
        str | None,
        Query(
            description="minlon,minlat,maxlon,maxlat (EPSG:4326)",
            examples=["108.6,13.9,109.3,14.6"],
            max_length=200,
        ),
    ] = None,
) -> BBox | None:
    return parse_bbox(bbox)


def in_box(lon: npt.NDArray[np.float64], lat: npt.NDArray[np.float64], bbox: BBox) -> npt.NDArray[np.bool_]:
    """Which of the points lie in ``bbox`` (edges included; a missing coordinate never does)."""
    return np.asarray((lon >= bbox[0]) & (lon <= bbox[2]) & (lat >= bbox[1]) & (lat <= bbox[3]), dtype=bool)


def _lonlat(frame: pd.DataFrame) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    return frame["lon"].to_numpy(dtype=np.float64), frame["lat"].to_numpy(dtype=np.float64)


def bbox_mask(frame: pd.DataFrame, bbox: BBox | None) -> np.ndarray:
    """Rows whose ``lon``/``lat`` lie in ``bbox`` (every row when there is none)."""
    if bbox is None:
        return np.ones(len(frame), dtype=bool)
    return in_box(*_lonlat(frame), bbox)


class PointIndex:
    """A table's rows ordered by longitude, for :meth:`mask` without a pass over every row."""

    def __init__(self, frame: pd.DataFrame) -> None:
        lon, lat = _lonlat(frame)
        # Missing longitudes sort last: no binary search for a finite edge reaches them.
        self.order = np.argsort(lon, kind="stable")
        self.lon = lon[self.order]
        self.lat = lat[self.order]

    def mask(self, bbox: BBox | None) -> np.ndarray:
        """:func:`bbox_mask` of the table the index was built on."""
        out = np.ones(self.order.size, dtype=bool) if bbox is None else np.zeros(self.order.size, dtype=bool)
        if bbox is not None:
            lo = int(np.searchsorted(self.lon, bbox[0], side="left"))
            hi = int(np.searchsorted(self.lon, bbox[2], side="right"))
            inside = in_box(self.lon[lo:hi], self.lat[lo:hi], bbox)
            out[self.order[lo:hi][inside]] = True
        return out
