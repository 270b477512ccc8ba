"""The road route of each FTTH gap's recommended fiber extension, as a line to draw.

The FTTH gap list (:func:`coverage_gis.gaps.ftth_gaps`) prices each extension by its
length along roads (:meth:`coverage_gis.routing.RoadDistances.from_point_m`); this
module draws that same route: from the village to its nearest road node, along the
shortest road to where the road comes closest to on-air or planned fiber, and the last
leg to the nearest point of that fiber. Where the workspace has no ``roads.osm``, or the village's
road does not reach fiber, the gap list prices a straight line times the detour factor,
and the route drawn is that straight line (``via`` = ``straight``). Both measure to the
same assets, the ones an extension may tap (:func:`coverage_gis.gaps.fiber_taps`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import shapely

from coverage_gis.crs import STORAGE_CRS, metric_to_lonlat
from coverage_gis.gaps import fiber_taps
from coverage_gis.routing import distances_from_network_m, load_road_graph

if TYPE_CHECKING:
    from coverage_gis.engine import Analysis

#: Columns of :func:`ftth_gap_routes` besides the geometry.
ROUTE_COLUMNS: tuple[str, ...] = ("id", "name", "rank", "via", "length_m", "road_length_m", "cost_vnd")


def _empty() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {c: [] for c in ROUTE_COLUMNS}, geometry=gpd.GeoSeries([], crs=STORAGE_CRS), crs=STORAGE_CRS
    )


def ftth_gap_routes(analysis: Analysis, gaps: gpd.GeoDataFrame | None = None) -> gpd.GeoDataFrame:
    """One LineString (EPSG:4326) per FTTH gap village: its proposed fiber extension.

    Parameters
    ----------
    analysis
        The workspace analysis.
    gaps
        Its FTTH gap list (``analysis.gaps("ftth")``, computed when None).

    Returns
    -------
    geopandas.GeoDataFrame
        :data:`ROUTE_COLUMNS`: the gap's ``id``, ``name`` and ``rank``, ``via`` (``roads``
        or ``straight``), the drawn ``length_m``, the gap list's ``road_length_m`` and
        ``cost_vnd``. Gaps without any on-air or planned fiber in the workspace get no route.
    """
    gaps = analysis.gaps("ftth") if gaps is None else gaps
    layers = analysis.layers
    metric_crs = analysis.metric_crs
    _, fiber_m = fiber_taps(layers.fiber_routes, layers.fiber_nodes, metric_crs, planned=True)
    if not len(gaps) or not len(fiber_m):
        return _empty()
    tree = shapely.STRtree(fiber_m)
    points_m = gaps.geometry.to_crs(metric_crs).to_numpy()
    path = analysis.ws.roads_path
    by_road = (
        distances_from_network_m(load_road_graph(path, metric_crs=metric_crs), fiber_m)
        if path is not None
        else None
    )
    rows: list[dict[str, object]] = []
    lines: list[shapely.LineString] = []
    for k, point in enumerate(points_m):
        xy = (float(point.x), float(point.y))
        vertices = by_road.route_m(xy) if by_road is not None else None
        via = "roads"
        if vertices is None:
            via = "straight"
            vertices = np.asarray([xy], dtype=np.float64)
        end = shapely.Point(vertices[-1])
        nearest = fiber_m[int(tree.nearest(end))]
        _, joint = shapely.shortest_line(end, nearest).coords
        vertices = np.vstack([vertices, [joint]])
        # Consecutive duplicates (a village on its road node) would make zero-length segments.
        keep = np.r_[True, np.any(np.diff(vertices, axis=0) != 0.0, axis=1)]
        vertices = vertices[keep]
        if len(vertices) < 2:
            continue
        line_m = shapely.LineString(vertices)
        lon, lat = metric_to_lonlat(vertices[:, 0], vertices[:, 1], metric_crs)
        lines.append(shapely.LineString(np.column_stack([lon, lat])))
        row = gaps.iloc[k]
        rows.append(
            {
                "id": row["id"],
                "name": row["name"],
                "rank": int(row["rank"]),
                "via": via,
                "length_m": float(line_m.length),
                "road_length_m": row.get("road_length_m"),
                "cost_vnd": row.get("cost_vnd"),
            }
        )
    if not rows:
        return _empty()
    return gpd.GeoDataFrame(rows, geometry=gpd.GeoSeries(lines, crs=STORAGE_CRS), crs=STORAGE_CRS)
