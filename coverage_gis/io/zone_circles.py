"""5G zones an operator announces as a centre and a radius (``docs/architecture.md``, importers).

An operator's list of 5G zones often gives each zone's centre (lon/lat columns) and its radius
("Bán kính (m)": "Trung tâm TP Quy Nhơn, 1,500 m") rather than an outline. Such a table
imported as ``zones_5g`` (a polygon layer) reads each zone as the geodesic circle of that
radius around its centre (:data:`_VERTICES` vertices, WGS 84 ellipsoid), with a note. A
table without a radius column is left to validation, which refuses points in a polygon layer.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Geod

from coverage_gis.errors import LayerValidationError
from coverage_gis.io.csv_points import parse_numbers
from coverage_gis.io.headers import find_header, header_units
from coverage_gis.layers import is_unit_of

__all__ = ["RADIUS_NAMES", "zones_from_circles"]

#: The least radius read as metres from a header that names no unit: smaller, a zone is no
#: wider than a mast's own plot, and the radius was most likely written in km.
LEAST_UNSTATED_M = 50.0
#: Headers of a zone's radius (compared as headers are), in metres unless the unit says km.
RADIUS_NAMES = ("bán kính", "bán kính phủ sóng", "bán kính vùng phủ", "radius", "radius_m", "coverage radius")
#: Vertices of each circle.
_VERTICES = 64
_GEOD = Geod(ellps="WGS84")


def zones_from_circles(frame: pd.DataFrame, *, source: str, notes: list[str]) -> pd.DataFrame:
    """``frame`` (a table read as ``zones_5g``: points at the zones' centres) with each point
    that has a radius read as the circle of that radius, with a note; ``frame`` itself where it
    has no radius column or no point geometry."""
    if not isinstance(frame, gpd.GeoDataFrame) or not len(frame):
        return frame
    column = find_header([str(c) for c in frame.columns], RADIUS_NAMES, units=("m", "mét", "met", "km"))
    if column is None:
        return frame
    geoms = np.asarray(frame.geometry.array, dtype=object)
    points = shapely.get_type_id(geoms) == shapely.GeometryType.POINT
    if not points.any():
        return frame
    radius = parse_numbers(frame[column], source=source, field=column, required=False)
    units = header_units(column)
    if any(is_unit_of(u, ("km",)) for u in units):
        radius = radius * 1000.0
    small = points & (radius > 0) & (radius < LEAST_UNSTATED_M)
    if not units and small.any():
        # Metres, the header says nothing: a zone of a few metres is a radius in km read wrong.
        row = int(np.flatnonzero(small)[0])
        raise LayerValidationError(
            f"a radius of {radius[row]:g} read as metres (the header names no unit) is no 5G zone's; "
            f"head the column with its unit: '{column} (km)' or '{column} (m)'",
            source=source,
            row=int(frame.index[row]),
            field=column,
        )
    bad = points & ~(radius > 0)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise LayerValidationError(
            "a zone given by its centre needs a radius above 0 m",
            source=source,
            row=int(frame.index[row]),
            field=column,
        )
    at = np.flatnonzero(points)
    lon = np.repeat(shapely.get_x(geoms[at]), _VERTICES)
    lat = np.repeat(shapely.get_y(geoms[at]), _VERTICES)
    azimuth = np.tile(np.linspace(0.0, 360.0, _VERTICES, endpoint=False), len(at))
    x, y, _ = _GEOD.fwd(lon, lat, azimuth, np.repeat(radius[at], _VERTICES))
    rings = np.stack([x, y], axis=1).reshape(len(at), _VERTICES, 2)
    circles = shapely.polygons(np.concatenate([rings, rings[:, :1]], axis=1))
    out_geoms = geoms.copy()
    out_geoms[at] = circles
    notes.append(
        f"zones_5g: {len(at)} zone{'s' if len(at) > 1 else ''} given by a centre and a radius ({column!r}) "
        "read as the circles they describe"
        + ("" if units else " (the radius in metres: the header names no unit)")
    )
    out = frame.drop(columns=[column])
    return gpd.GeoDataFrame(out, geometry=gpd.GeoSeries(out_geoms, index=frame.index, crs=frame.crs))
