"""Both coordinates in one column: ``Tọa độ`` = ``13.7712, 109.0123``.

Many site and village lists keep a point as one cell, copied from Google Maps (which gives
latitude first) or typed from a GPS: ``13.7712, 109.0123``, ``13.7712 109.0123``,
``(13.7712; 109.0123)``, ``13,7712; 109,0123`` (decimal commas, then a semicolon between),
or degrees-minutes-seconds ``13°46'16"N 109°0'44"E``. :func:`pair_coordinates` reads such a
column when the table has no longitude and latitude columns. Which number is which is told by
Vietnam itself: its latitudes (6–23.5°) and longitudes (102–118°) do not overlap, so each
pair is read in the order that puts it in Vietnam, whatever order it is written in; a pair
that neither order puts there is refused, naming the row.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from coverage_gis.errors import LayerValidationError
from coverage_gis.io.dms import dms_degrees
from coverage_gis.validation import inside_vietnam

__all__ = ["PAIR_NAMES", "pair_coordinates"]

#: Names of a column holding both coordinates (compared as every header is).
PAIR_NAMES: tuple[str, ...] = (
    "tọa độ",
    "toạ độ",
    "tọa độ gps",
    "toạ độ gps",
    "coordinates",
    "coordinate",
    "coords",
    "latlon",
    "latlng",
    "lat/lon",
    "lat/lng",
    "lat, lon",
    "lat, long",
    "gps",
    "vị trí",
    "vị trí đo",
    "location",
)
#: Where one coordinate ends and the other begins: a semicolon, a comma followed by a space
#: or standing between two decimal-point numbers, or white space.
_SEPARATORS = (re.compile(r"\s*;\s*"), re.compile(r"\s*,\s+|(?<=\d),(?=\s*-?\d+\.\d)"), re.compile(r"\s+"))
_EXAMPLE = "'13.7712, 109.0123' (latitude, longitude)"


def _degrees(text: str) -> float:
    try:
        return float(text.replace(",", "."))
    except ValueError:
        pass
    for axis in ("lat", "lon"):
        try:
            return dms_degrees(text, axis)
        except ValueError:
            continue
    raise ValueError(text)


def _pair(text: str) -> tuple[float, float] | None:
    """The two numbers of one cell, in the order written (None: not two coordinates)."""
    body = text.strip().strip("()[]").strip()
    for separator in _SEPARATORS:
        parts = [p for p in separator.split(body) if p]
        if len(parts) == 2:
            try:
                return _degrees(parts[0]), _degrees(parts[1])
            except ValueError:
                continue
    return None


def pair_coordinates(series: pd.Series, *, source: str, field: str) -> tuple[np.ndarray, np.ndarray]:
    """Longitudes and latitudes (NaN where a cell is empty) from a column of coordinate
    pairs (see the module docstring).

    Raises
    ------
    LayerValidationError
        A cell that is not two coordinates, or two that lie in Vietnam in neither order,
        naming its row and the column.
    """
    lon = np.full(len(series), np.nan)
    lat = np.full(len(series), np.nan)
    for i, value in enumerate(series.tolist()):
        if value is None or (isinstance(value, float) and np.isnan(value)):
            continue
        pair = _pair(str(value))
        if pair is None:
            raise LayerValidationError(
                f"{value!r} is not a pair of coordinates such as {_EXAMPLE}",
                source=source,
                row=int(series.index[i]),
                field=field,
            )
        first, second = pair
        if inside_vietnam(second, first):
            lon[i], lat[i] = second, first
        elif inside_vietnam(first, second):
            lon[i], lat[i] = first, second
        else:
            raise LayerValidationError(
                f"{value!r} lies outside Vietnam read either way (as latitude, longitude or as "
                "longitude, latitude)",
                source=source,
                row=int(series.index[i]),
                field=field,
            )
    return lon, lat
