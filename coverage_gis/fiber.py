"""FTTH at a point: the fiber columns of ``village_coverage`` (``docs/architecture.md``, coverage rules).

Owns the definition of *FTTH* at a village (an on-air fiber node or access route within
``ftth_reach_m``), its gap reasons (fiber present nearby or not) and the index of a
workspace's on-air fiber that answers them (:class:`FiberIndex`), in the workspace's
metric CRS. The distances themselves are measured by the compiled segment grid of
:mod:`coverage_gis._fiber_grid`, as GEOS measures them; no Python loop over points.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from coverage_gis.crs import lonlat_to_metric
from coverage_gis.input_layers import InputLayers
from coverage_gis.network import operator_bits, points_xy_m

if TYPE_CHECKING:
    from coverage_gis._fiber_grid import SegmentGrid

#: Distance within which some operator's fiber of any class counts as "present nearby";
#: beyond it the FTTH gap reason is ``no_fiber_operator`` rather than ``fiber_too_far``.
FIBER_PRESENCE_M = 10_000.0


#: Relative margin of the candidate search around the FTTH reach of polygons and
#: collections (GEOS's ``dwithin`` and ``distance`` may disagree in the last bits).
_SEARCH_SLACK = 1e-9


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


#: Geometry types whose distance the segment grid measures: their vertices joined part by
#: part (lines), or each on its own (points).
_LINE_TYPES = (
    shapely.GeometryType.LINESTRING,
    shapely.GeometryType.LINEARRING,
    shapely.GeometryType.MULTILINESTRING,
)
_POINT_TYPES = (shapely.GeometryType.POINT, shapely.GeometryType.MULTIPOINT)
#: Whether a type id + 1 (missing: -1; GEOS's ids stay far below 63) is one of those
#: (looked up, not searched for).
_IS_LINE = np.isin(np.arange(-1, 63), _LINE_TYPES)
_IS_POINT = np.isin(np.arange(-1, 63), _POINT_TYPES)


@dataclass(frozen=True)
class _Segments:
    """FTTH-giving features (EPSG:4326) as the grid's segments, and those it does not measure."""

    #: Every distinct vertex in the metric CRS.
    x_m: np.ndarray
    y_m: np.ndarray
    #: Each distinct segment runs from vertex ``a`` to vertex ``b`` (consecutive vertices of
    #: one part of a line, or a point twice) and carries the operator bits of its features.
    a: np.ndarray
    b: np.ndarray
    bits: np.ndarray
    #: The features left to GEOS: polygons, collections, any with a coordinate not finite.
    left: np.ndarray

    @classmethod
    def of(cls, geoms: np.ndarray, bits: np.ndarray, metric_crs: str) -> _Segments:
        """Split ``geoms`` (with their operator ``bits``) into segments, projecting each
        distinct vertex once, as :func:`_to_metric` projects it. Missing and empty
        geometries give none (they count for nothing, as in an R-tree)."""
        from coverage_gis._fiber_segments import distinct_segments

        kind = shapely.get_type_id(geoms)
        line = _IS_LINE[kind + 1]
        simple = line | _IS_POINT[kind + 1]
        if simple.all():
            coords, owner = shapely.get_coordinates(geoms, return_index=True)
        else:
            coords, owner = shapely.get_coordinates(geoms[simple], return_index=True)
            owner = np.flatnonzero(simple)[owner]
        part_start = np.zeros(len(coords), dtype=bool)
        # Only a multi-line can have parts (and only they are asked: most nodes are points).
        # (Counted in place: a copy of those geometries would touch each of them once more.)
        multi_line = kind == shapely.GeometryType.MULTILINESTRING
        parts = shapely.get_num_geometries(geoms, where=multi_line, out=np.zeros(len(geoms), dtype=np.int32))
        multi = np.flatnonzero(parts > 1)
        if multi.size:
            part_start[_part_starts(geoms[multi], np.searchsorted(owner, multi))] = True
        broken = np.zeros(len(geoms), dtype=bool)
        first, a, b, seg_bits = distinct_segments(coords, owner, line, part_start, bits, broken)
        # The distinct vertices' rows taken at once (two fancy indexes of a column each
        # cost twice that; pyproj copies the columns to contiguous arrays anyway).
        lonlat = np.take(coords, first, axis=0)
        x_m, y_m = lonlat_to_metric(lonlat[:, 0], lonlat[:, 1], metric_crs)
        rest = np.flatnonzero(~simple)
        left = rest[~(shapely.is_missing(geoms[rest]) | shapely.is_empty(geoms[rest]))]
        return cls(x_m=x_m, y_m=y_m, a=a, b=b, bits=seg_bits, left=np.union1d(left, np.flatnonzero(broken)))


def _part_starts(multi: np.ndarray, first_vertex: np.ndarray) -> np.ndarray:
    """Where each part but the first of each multi-part line starts, in the stream of their
    vertices (``first_vertex``: where each line's first vertex stands in it)."""
    parts, line = shapely.get_parts(multi, return_index=True)
    count = shapely.get_num_coordinates(parts)
    before = np.cumsum(count) - count
    # The vertices before each part within its own line (its first part opens the line's run).
    offset = before - before[np.searchsorted(line, line)]
    later = (offset > 0) & (count > 0)
    return np.asarray(first_vertex[line[later]] + offset[later], dtype=np.int64)


@dataclass(frozen=True)
class FiberIndex:
    """The on-air fiber of a workspace in its metric CRS, indexed once for every FTTH query.

    The features that give FTTH (on-air nodes and access routes) are the segments of a
    grid (:class:`coverage_gis._fiber_grid.SegmentGrid`: lines by their consecutive
    vertices, points as they are), each with its operator's bit; the rare feature the
    grid does not measure (a polygon, a collection, a coordinate that is not finite)
    stays a geometry in an R-tree (``shapes``). Both measure as GEOS does: a distance is
    ``shapely.distance`` to the nearest feature. ``other_tree`` holds the remaining
    on-air routes, which only count as fiber present nearby (:data:`FIBER_PRESENCE_M`):
    only a point with no FTTH-giving feature that near asks it, so it is built
    (``other_lonlat`` in the metric CRS) on first use. Build it with :meth:`from_layers`
    once per computation and hand it to every step that needs it (village coverage,
    priority places). Points are given as metric coordinates (NaN: a point without any).
    """

    grid: SegmentGrid
    #: The FTTH-giving features the grid does not measure (metric CRS), their bits and R-tree.
    shapes: np.ndarray
    shape_bits: np.ndarray
    shape_tree: shapely.STRtree
    #: The remaining on-air features, in the storage CRS (EPSG:4326), and the metric CRS.
    other_lonlat: np.ndarray
    metric_crs: str

    @classmethod
    def from_layers(
        cls, routes: gpd.GeoDataFrame | None, nodes: gpd.GeoDataFrame | None, *, metric_crs: str
    ) -> FiberIndex:
        """Index the on-air ``fiber_routes`` and ``fiber_nodes`` (either may be absent)."""
        # The grid's kernels load numba: with the first index, not with this module.
        from coverage_gis._fiber_grid import SegmentGrid

        access: list[np.ndarray] = [np.empty(0, dtype=object)]
        access_bits: list[np.ndarray] = [np.empty(0, dtype=np.int64)]
        other: list[np.ndarray] = [np.empty(0, dtype=object)]
        for frame, is_node in ((routes, False), (nodes, True)):
            if frame is None or len(frame) == 0:
                continue
            live = _equals(frame["status"], "on_air")
            qualifies = live if is_node else live & _equals(frame["class"], "access")
            geoms = frame.geometry.to_numpy()
            bits = operator_bits(frame["operator"])
            # (A copy of the geometries touches every one of them: none when all qualify.)
            access.append(geoms if qualifies.all() else geoms[qualifies])
            access_bits.append(bits if qualifies.all() else bits[qualifies])
            other.append(geoms[live & ~qualifies])
        features = np.concatenate(access)
        bits = np.concatenate(access_bits)
        parts = _Segments.of(features, bits, metric_crs)
        shapes = _to_metric(features[parts.left], metric_crs)
        return cls(
            grid=SegmentGrid.build(parts.x_m, parts.y_m, parts.a, parts.b, parts.bits),
            shapes=shapes,
            shape_bits=bits[parts.left],
            shape_tree=shapely.STRtree(shapes),
            other_lonlat=np.concatenate(other),
            metric_crs=metric_crs,
        )

    @cached_property
    def other_tree(self) -> shapely.STRtree:
        """The R-tree of the other on-air features in the metric CRS (built on first use)."""
        return shapely.STRtree(_to_metric(self.other_lonlat, self.metric_crs))

    def _within(self, x_m: np.ndarray, y_m: np.ndarray, reach_m: float) -> tuple[np.ndarray, np.ndarray]:
        """Per point: the distance to the nearest FTTH-giving feature within ``reach_m``
        (inclusive; inf: none; NaN: no coordinates) and the OR of those features' operator bits."""
        x_m, y_m = np.asarray(x_m, dtype=np.float64), np.asarray(y_m, dtype=np.float64)
        distance, bits = self.grid.within(x_m, y_m, reach_m)
        if len(self.shapes):
            points = points_m(x_m, y_m)
            # The tree's ``dwithin`` only picks candidates, a little farther out: at a
            # distance of exactly ``reach_m`` it may answer no where the distance below
            # (the one the FTTH rule reads) is within reach.
            search = reach_m + max(abs(reach_m), 1.0) * _SEARCH_SLACK
            v, f = self.shape_tree.query(points, predicate="dwithin", distance=search)
            d = shapely.distance(points[v], self.shapes[f])
            near = d <= reach_m
            np.bitwise_or.at(bits, v[near], self.shape_bits[f[near]])
            np.fmin.at(distance, v[near], d[near])
        return distance, bits

    def nearest_access_m(self, x_m: np.ndarray, y_m: np.ndarray) -> np.ndarray:
        """Distance from each point to the nearest FTTH-giving feature, at any distance (NaN:
        there is none, or the point has no coordinates)."""
        x_m, y_m = np.asarray(x_m, dtype=np.float64), np.asarray(y_m, dtype=np.float64)
        rows = np.flatnonzero(np.isfinite(x_m) & np.isfinite(y_m))
        x, y = x_m[rows], y_m[rows]
        nearest = self.grid.nearest(x, y)
        if len(self.shapes) and rows.size:
            (found, _), d = self.shape_tree.query_nearest(
                shapely.points(x, y), return_distance=True, all_matches=False
            )
            nearest[found] = np.fmin(nearest[found], d)
        distance = np.full(len(x_m), np.nan)
        distance[rows] = nearest
        return distance

    def within_reach(self, x_m: np.ndarray, y_m: np.ndarray, reach_m: float) -> np.ndarray:
        """Whether an FTTH-giving feature lies within ``reach_m`` of each point (the ``ftth`` of
        :meth:`coverage`, without the search for the nearest feature farther away)."""
        distance, _ = self._within(x_m, y_m, reach_m)
        return _has_ftth(distance, reach_m)

    def coverage(self, x_m: np.ndarray, y_m: np.ndarray, reach_m: float) -> FtthResult:
        """FTTH columns at the points ``(x_m, y_m)`` (metric CRS): an on-air node or access
        route within ``reach_m``."""
        x_m, y_m = np.asarray(x_m, dtype=np.float64), np.asarray(y_m, dtype=np.float64)
        distance, bits = self._within(x_m, y_m, reach_m)
        # Nothing within reach: the distance is the nearest feature's, at any distance.
        far = np.flatnonzero(np.isinf(distance))
        distance[far] = self.nearest_access_m(x_m[far], y_m[far])
        # Fiber is present when the nearest feature of any class lies within
        # FIBER_PRESENCE_M: the nearest FTTH-giving one decides for almost every point;
        # only the rest are searched among the other routes, and no farther.
        present = np.nan_to_num(distance, nan=np.inf) <= FIBER_PRESENCE_M
        rest = np.flatnonzero(~present & np.isfinite(x_m) & np.isfinite(y_m))
        if rest.size and len(self.other_lonlat):
            (near_other, _), _ = self.other_tree.query_nearest(
                shapely.points(x_m[rest], y_m[rest]),
                max_distance=FIBER_PRESENCE_M,
                return_distance=True,
                all_matches=False,
            )
            present[rest[near_other]] = True
        ftth = _has_ftth(distance, reach_m)
        # None where there is FTTH (most points): only the rest are written.
        reason = np.empty(len(distance), dtype=object)
        reason[~ftth & present] = "fiber_too_far"
        reason[~ftth & ~present] = "no_fiber_operator"
        return FtthResult(ftth, distance, bits, reason)


def _equals(column: pd.Series, value: str) -> np.ndarray:
    """Which rows of ``column`` hold ``value``: for the scalars a layer holds, as
    ``column.isin([value])`` (and ``column == value``).

    A column of Python objects is compared by numpy, row by row (twice as fast as the
    hashing of ``isin``, itself twice as fast as pandas' ``==``); any other column, or one
    holding a value whose comparison is not a plain bool (``pd.NA``, an array), by ``isin``.
    """
    if column.dtype == object:
        try:
            return np.asarray(column.to_numpy() == value, dtype=bool)
        except (TypeError, ValueError):
            pass
    return column.isin([value]).to_numpy(dtype=bool)


def _has_ftth(distance_m: np.ndarray, reach_m: float) -> np.ndarray:
    """FTTH: the nearest FTTH-giving feature (NaN or inf: none) lies within ``reach_m``."""
    return np.asarray(np.nan_to_num(distance_m, nan=np.inf) <= reach_m, dtype=bool)


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
