"""FTTH at a point: the fiber columns of ``village_coverage`` (``docs/architecture.md``, coverage rules).

Owns the definition of *FTTH* at a village (an on-air fiber node or access route within
``ftth_reach_m``), its gap reasons (fiber present nearby or not) and the index of a
workspace's on-air fiber that answers them (:class:`FiberIndex`), in the workspace's
metric CRS. Vectorised; no Python loop over points.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree

from coverage_gis.crs import lonlat_to_metric
from coverage_gis.input_layers import InputLayers
from coverage_gis.network import operator_bits, points_xy_m

#: Distance within which some operator's fiber of any class counts as "present nearby";
#: beyond it the FTTH gap reason is ``no_fiber_operator`` rather than ``fiber_too_far``.
FIBER_PRESENCE_M = 10_000.0


@dataclass(frozen=True)
class FtthResult:
    """Per-village FTTH columns, aligned with the villages passed in."""

    ftth: np.ndarray
    fiber_distance_m: np.ndarray
    operator_bits: np.ndarray
    gap_reason: np.ndarray


def _to_metric(geoms: np.ndarray, metric_crs: str) -> np.ndarray:
    """Geometries (EPSG:4326) in the metric CRS, coordinate by coordinate (as ``to_crs``)."""
    if not len(geoms):
        return geoms
    # Plain points skip the geometry rebuild (an empty one keeps the general path: it stays empty).
    if bool(((shapely.get_type_id(geoms) == shapely.GeometryType.POINT) & ~shapely.is_empty(geoms)).all()):
        x_m, y_m = lonlat_to_metric(shapely.get_x(geoms), shapely.get_y(geoms), metric_crs)
        return np.asarray(shapely.points(x_m, y_m))
    return np.asarray(
        shapely.transform(geoms, lambda xy: np.column_stack(lonlat_to_metric(xy[:, 0], xy[:, 1], metric_crs)))
    )


@dataclass(frozen=True)
class FiberIndex:
    """The on-air fiber of a workspace in its metric CRS, indexed once for every FTTH query.

    The features that give FTTH (on-air nodes and access routes) carry their
    operator's bit: the nodes as coordinates in a k-d tree, the routes (and any node
    that is not a plain point) as geometries in an R-tree. ``other_tree`` holds the
    remaining on-air routes, which only count as fiber present nearby
    (:data:`FIBER_PRESENCE_M`): only a point with no FTTH-giving feature that near asks
    it, so it is built (``other_lonlat`` in the metric CRS) on first use. Features are
    numbered shapes first, then points (``access_bits``). Build it with
    :meth:`from_layers` once per computation and hand it to every step that needs it
    (village coverage, priority places).
    """

    shapes: np.ndarray
    #: ``(xmin, ymin, xmax, ymax)`` of each shape.
    shape_bounds: np.ndarray
    shape_tree: shapely.STRtree
    point_xy: np.ndarray
    point_tree: cKDTree
    access_bits: np.ndarray
    #: The remaining on-air features, in the storage CRS (EPSG:4326), and the metric CRS.
    other_lonlat: np.ndarray
    metric_crs: str

    @classmethod
    def from_layers(
        cls, routes: gpd.GeoDataFrame | None, nodes: gpd.GeoDataFrame | None, *, metric_crs: str
    ) -> FiberIndex:
        """Index the on-air ``fiber_routes`` and ``fiber_nodes`` (either may be absent)."""
        shapes: list[np.ndarray] = [np.empty(0, dtype=object)]
        shape_bits: list[np.ndarray] = [np.empty(0, dtype=np.int64)]
        point_x: list[np.ndarray] = [np.empty(0)]
        point_y: list[np.ndarray] = [np.empty(0)]
        point_bits: list[np.ndarray] = [np.empty(0, dtype=np.int64)]
        other: list[np.ndarray] = [np.empty(0, dtype=object)]
        for frame, is_node in ((routes, False), (nodes, True)):
            if frame is None or len(frame) == 0:
                continue
            live = (frame["status"] == "on_air").to_numpy(dtype=bool)
            qualifies = live if is_node else live & (frame["class"] == "access").to_numpy(dtype=bool)
            geoms = frame.geometry.to_numpy()
            bits = operator_bits(frame["operator"])
            plain = np.zeros(len(frame), dtype=bool)
            if is_node:
                # Nodes stay coordinates: no point geometry is built for them.
                plain = (shapely.get_type_id(geoms) == shapely.GeometryType.POINT) & ~shapely.is_empty(geoms)
                located = geoms[qualifies & plain]
                x_m, y_m = lonlat_to_metric(shapely.get_x(located), shapely.get_y(located), metric_crs)
                point_x.append(x_m)
                point_y.append(y_m)
                point_bits.append(bits[qualifies & plain])
            shapes.append(_to_metric(geoms[qualifies & ~plain], metric_crs))
            shape_bits.append(bits[qualifies & ~plain])
            other.append(geoms[live & ~qualifies])
        shapes_m = np.concatenate(shapes)
        point_xy = np.column_stack([np.concatenate(point_x), np.concatenate(point_y)])
        return cls(
            shapes=shapes_m,
            shape_bounds=np.asarray(shapely.bounds(shapes_m), dtype=np.float64).reshape(-1, 4),
            shape_tree=shapely.STRtree(shapes_m),
            point_xy=point_xy,
            point_tree=cKDTree(point_xy),
            access_bits=np.concatenate([*shape_bits, *point_bits]),
            other_lonlat=np.concatenate(other),
            metric_crs=metric_crs,
        )

    @cached_property
    def other_tree(self) -> shapely.STRtree:
        """The R-tree of the other on-air features in the metric CRS (built on first use)."""
        return shapely.STRtree(_to_metric(self.other_lonlat, self.metric_crs))

    def nearest_access_m(self, points: np.ndarray, max_distance_m: float | None = None) -> np.ndarray:
        """Distance from each point to the nearest FTTH-giving feature (NaN: none).

        With ``max_distance_m``, routes farther than it are not searched: a distance up to
        ``max_distance_m`` is still exact, a greater one (or NaN) only says none is nearer.
        """
        distance = np.full(len(points), np.nan)
        if len(points) and len(self.shapes):
            (idx, _), dist = self.shape_tree.query_nearest(
                points, return_distance=True, all_matches=False, max_distance=max_distance_m
            )
            distance[idx] = dist
        if len(points) and len(self.point_xy):
            xy, finite = _finite_xy(points)
            rows = np.flatnonzero(finite)
            nearest, _ = self.point_tree.query(xy[finite], k=1)
            # Every node within a hair of the tree's nearest, measured as GEOS measures.
            found = [
                np.asarray(f, dtype=np.int64)
                for f in self.point_tree.query_ball_point(xy[finite], nearest * (1.0 + 1e-9) + 1e-6)
            ]
            row = np.repeat(rows, [f.size for f in found])
            node = np.concatenate(found) if found else rows
            dist = _point_distance(self.point_xy[node], xy[row])
            best = np.full(len(points), np.inf)
            np.minimum.at(best, row, dist)
            distance = np.fmin(distance, np.where(np.isinf(best), np.nan, best))
        return distance

    def access_within(self, points: np.ndarray, reach_m: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(point, feature, distance)`` of each point with the FTTH-giving features within ``reach_m``.

        Nodes by the k-d tree, with GEOS's own point distance ``sqrt(dx² + dy²)``
        (their distance is returned); routes by the R-tree's ``dwithin`` (distance NaN:
        not measured).
        """
        near_v, near_f = self.shape_tree.query(points, predicate="dwithin", distance=reach_m)
        parts_v, parts_f = [near_v.astype(np.int64)], [near_f.astype(np.int64)]
        parts_d = [np.full(len(near_v), np.nan)]
        if len(points) and len(self.point_xy):
            xy, finite = _finite_xy(points)
            rows = np.flatnonzero(finite)
            hits = self.point_tree.sparse_distance_matrix(
                cKDTree(xy[finite]), reach_m * (1.0 + 1e-9) + 1e-6, output_type="ndarray"
            )
            dist = _point_distance(self.point_xy[hits["i"]], xy[rows[hits["j"]]])
            keep = dist <= reach_m
            parts_v.append(rows[hits["j"][keep]])
            parts_f.append(len(self.shapes) + hits["i"][keep].astype(np.int64))
            parts_d.append(dist[keep])
        return np.concatenate(parts_v), np.concatenate(parts_f), np.concatenate(parts_d)

    def _nearest_among(
        self,
        points: np.ndarray,
        near_v: np.ndarray,
        near_f: np.ndarray,
        near_d: np.ndarray,
        reach_m: float,
        max_distance_m: float | None = None,
    ) -> np.ndarray:
        """:meth:`nearest_access_m` from the pairs :meth:`access_within` found.

        The nearest node within reach bounds each point's answer; only routes whose
        bounding box is no farther are measured. Where the minimum is clearly inside
        the reach (a millimetre), nothing nearer can have escaped the search, so it is
        the nearest feature's distance; the other points are searched in the R-tree.
        """
        best = np.full(len(points), np.inf)
        node = ~np.isnan(near_d)
        np.minimum.at(best, near_v[node], near_d[node])
        route = np.flatnonzero(~node)
        xy, _ = _finite_xy(points)
        px, py = xy[near_v[route], 0], xy[near_v[route], 1]
        box = self.shape_bounds[near_f[route]]
        dx = np.maximum(np.maximum(box[:, 0] - px, px - box[:, 2]), 0.0)
        dy = np.maximum(np.maximum(box[:, 1] - py, py - box[:, 3]), 0.0)
        could_be_nearer = np.sqrt(dx * dx + dy * dy) <= best[near_v[route]] * (1.0 + 1e-12) + 1e-9
        ask = route[could_be_nearer]
        np.minimum.at(best, near_v[ask], shapely.distance(points[near_v[ask]], self.shapes[near_f[ask]]))
        sure = best < reach_m - 1e-3
        distance = np.where(sure, best, np.nan)
        rest = np.flatnonzero(~sure)
        distance[rest] = self.nearest_access_m(points[rest], max_distance_m)
        return distance

    def within_reach(self, points: np.ndarray, reach_m: float) -> np.ndarray:
        """Whether an FTTH-giving feature lies within ``reach_m`` of each point (the ``ftth`` of
        :meth:`coverage`, without the gap reasons' search for fiber present farther away)."""
        # Only whether the nearest lies within reach counts: no route beyond twice the
        # reach is searched (the distances within it stay exact).
        distance, _ = self._access(points, reach_m, 2.0 * reach_m + 1.0)
        return _has_ftth(distance, reach_m)

    def _access(
        self, points: np.ndarray, reach_m: float, max_distance_m: float | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Distance to the nearest FTTH-giving feature (NaN: none; see :meth:`nearest_access_m`
        for ``max_distance_m``) and the operator bits of those within ``reach_m``, per point."""
        n = len(points)
        distance = np.full(n, np.nan)
        bits = np.zeros(n, dtype=np.int64)
        if n and len(self.access_bits):
            near_v, near_f, near_d = self.access_within(points, reach_m)
            np.bitwise_or.at(bits, near_v, self.access_bits[near_f])
            distance = self._nearest_among(points, near_v, near_f, near_d, reach_m, max_distance_m)
        return distance, bits

    def coverage(self, points: np.ndarray, reach_m: float) -> FtthResult:
        """FTTH columns at ``points`` (metric CRS): an on-air node or access route within ``reach_m``."""
        distance, bits = self._access(points, reach_m)
        # Fiber is present when the nearest feature of any class lies within
        # FIBER_PRESENCE_M: the nearest FTTH-giving one decides for almost every point;
        # only the rest are searched among the other routes, and no farther.
        present = np.nan_to_num(distance, nan=np.inf) <= FIBER_PRESENCE_M
        rest = np.flatnonzero(~present)
        if rest.size and len(self.other_lonlat):
            (near_other, _), _ = self.other_tree.query_nearest(
                points[rest], max_distance=FIBER_PRESENCE_M, return_distance=True, all_matches=False
            )
            present[rest[near_other]] = True
        ftth = _has_ftth(distance, reach_m)
        reason = np.where(present, "fiber_too_far", "no_fiber_operator").astype(object)
        reason[ftth] = None
        return FtthResult(ftth, distance, bits, reason)


def _has_ftth(distance_m: np.ndarray, reach_m: float) -> np.ndarray:
    """FTTH: the nearest FTTH-giving feature (NaN: none) lies within ``reach_m``."""
    return np.asarray(np.nan_to_num(distance_m, nan=np.inf) <= reach_m, dtype=bool)


def _point_distance(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Distance between rows of coordinates, computed as GEOS computes it: ``sqrt(dx² + dy²)``."""
    dx = a[:, 0] - b[:, 0]
    dy = a[:, 1] - b[:, 1]
    return np.asarray(np.sqrt(dx * dx + dy * dy), dtype=np.float64)


def _finite_xy(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Coordinates of point geometries (NaN for missing or empty ones) and which are finite."""
    xy = np.column_stack([shapely.get_x(points), shapely.get_y(points)]).astype(np.float64)
    return xy, np.asarray(np.isfinite(xy).all(axis=1), dtype=bool)


def fiber_index(layers: InputLayers | Mapping[str, pd.DataFrame], *, metric_crs: str) -> FiberIndex:
    """:meth:`FiberIndex.from_layers` of the layers' ``fiber_routes`` and ``fiber_nodes``."""
    typed = InputLayers.from_frames(layers)
    return FiberIndex.from_layers(typed.fiber_routes, typed.fiber_nodes, metric_crs=metric_crs)


def metric_points(frame: gpd.GeoDataFrame, metric_crs: str) -> np.ndarray:
    """The point geometries of a layer in the metric CRS."""
    x_m, y_m = points_xy_m(frame, metric_crs)
    return points_m(x_m, y_m)


def points_m(x_m: np.ndarray, y_m: np.ndarray) -> np.ndarray:
    """Point geometries at metric coordinates; None where one is missing (as ``to_crs`` keeps it)."""
    points = np.asarray(shapely.points(x_m, y_m)) if len(x_m) else np.empty(0, dtype=object)
    points[~(np.isfinite(x_m) & np.isfinite(y_m))] = None
    return points
