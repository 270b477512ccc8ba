"""Which speed tests describe a village (``docs/architecture.md``, measurements): single
measurements within ``radius_m`` of its centre and the aggregated tile (``quadkey``)
containing its centre. A test near two villages describes both.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from coverage_gis.network import points_xy_m
from coverage_gis.speed.stats import IntArray


@dataclass(frozen=True)
class TestMatch:
    """(village, test) pairs: which tests describe which village (positional indices)."""

    village: IntArray
    test: IntArray

    def __len__(self) -> int:
        return int(self.village.shape[0])


def _is_tile(tests: pd.DataFrame) -> NDArray[np.bool_]:
    if "quadkey" not in tests or not len(tests):
        return np.zeros(len(tests), dtype=bool)
    keys = tests["quadkey"].to_numpy(dtype=object)
    return np.array([isinstance(k, str) and k != "" for k in keys], dtype=bool)


def match_tests(
    villages: gpd.GeoDataFrame, tests: gpd.GeoDataFrame, *, metric_crs: str, radius_m: float
) -> TestMatch:
    """The tests describing each village: points within ``radius_m``, the tile containing it.

    Parameters
    ----------
    villages
        Village centres (EPSG:4326).
    tests
        The ``speed_tests`` layer (EPSG:4326); rows with a ``quadkey`` are tiles.
    metric_crs
        CRS in metres for the distances.
    radius_m
        Distance from a village centre within which a single measurement counts.

    Returns
    -------
    TestMatch
        Pairs sorted by village, then test.
    """
    if not len(villages) or not len(tests):
        empty = np.empty(0, dtype=np.int64)
        return TestMatch(empty, empty)
    tile = _is_tile(tests)
    vill: list[IntArray] = []
    test: list[IntArray] = []
    points = np.flatnonzero(~tile)
    if len(points):
        vx, vy = points_xy_m(villages, metric_crs)
        tx, ty = points_xy_m(tests.iloc[points], metric_crs)
        hits = cKDTree(np.column_stack([vx, vy])).query_ball_point(np.column_stack([tx, ty]), r=radius_m)
        lengths = np.fromiter((len(h) for h in hits), dtype=np.int64, count=len(hits))
        if lengths.sum():
            vill.append(np.concatenate([np.asarray(h, dtype=np.int64) for h in hits if h]))
            test.append(np.repeat(points, lengths))
    tiles = np.flatnonzero(tile)
    if len(tiles):
        # Imported here: the tile arithmetic pulls in the tiles package, which KPIs do not need.
        from coverage_gis.tiles.quadkeys import quadkeys_for_lonlat

        keys = tests["quadkey"].to_numpy(dtype=object)[tiles]
        lon = villages.geometry.x.to_numpy(dtype=float)
        lat = villages.geometry.y.to_numpy(dtype=float)
        zooms = np.fromiter((len(k) for k in keys), dtype=np.int64, count=len(keys))
        for zoom in np.unique(zooms):
            village_keys = pd.DataFrame(
                {"key": quadkeys_for_lonlat(lon, lat, int(zoom)), "v": np.arange(len(lon))}
            )
            at_zoom = pd.DataFrame({"key": keys[zooms == zoom], "t": tiles[zooms == zoom]})
            joined = village_keys.merge(at_zoom, on="key")
            vill.append(joined["v"].to_numpy(dtype=np.int64))
            test.append(joined["t"].to_numpy(dtype=np.int64))
    if not vill:
        empty = np.empty(0, dtype=np.int64)
        return TestMatch(empty, empty)
    v = np.concatenate(vill)
    t = np.concatenate(test)
    order = np.lexsort((t, v))
    return TestMatch(v[order], t[order])
