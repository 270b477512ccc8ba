"""The tile cache: LRU, exact bounding-box invalidation, and a site edit dropping only its tiles."""

from __future__ import annotations

import itertools
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from coverage_gis.crs import lonlat_to_metric, metric_to_lonlat
from coverage_gis.engine import Analysis, compute
from coverage_gis.tiles import (
    CachedTile,
    CoverageTile,
    TileCache,
    TileService,
    bbox_intersects,
    tile_bounds_lonlat,
)
from coverage_gis.tiles.cache import TileKey
from coverage_gis.tiles.mercator import tiles_for_bbox
from coverage_gis.workspace import Workspace

from .conftest import METRIC, at, tiny_layers


def tile(bbox: tuple[float, float, float, float], data: bytes = b"x") -> CachedTile:
    return CachedTile(data=data, etag='"e"', bbox=bbox)


def key(z: int, x: int, y: int, layer: str = "villages") -> TileKey:
    return (layer, z, x, y, ())


def test_bbox_intersects_counts_touching_edges() -> None:
    a = (0.0, 0.0, 1.0, 1.0)
    assert bbox_intersects(a, (0.5, 0.5, 2.0, 2.0))
    assert bbox_intersects(a, (1.0, 0.0, 2.0, 1.0))  # shared edge
    assert not bbox_intersects(a, (1.0001, 0.0, 2.0, 1.0))
    assert not bbox_intersects(a, (0.0, -2.0, 1.0, -0.5))


def test_invalidate_bbox_drops_exactly_the_intersecting_tiles() -> None:
    cache = TileCache()
    area = (108.5, 13.5, 109.5, 14.5)
    keys = [(z, x, y) for z in (9, 10, 11) for (_, x, y) in tiles_for_bbox(area, z)]
    for z, x, y in keys:
        cache.put(key(z, x, y), tile(tile_bounds_lonlat(z, x, y)))
    dirty = (108.93, 13.96, 109.07, 14.04)
    dropped = cache.invalidate_bbox(dirty)
    expected_gone = {k for k in keys if bbox_intersects(tile_bounds_lonlat(*k), dirty)}
    remaining = {(z, x, y) for (_, z, x, y, _), _tile in cache.items()}
    assert dropped == len(expected_gone) > 0
    assert remaining == set(keys) - expected_gone
    assert cache.stats()["invalidated"] == dropped


def test_lru_eviction_hits_and_misses() -> None:
    cache = TileCache(max_entries=2)
    cache.put(key(1, 0, 0), tile((0, 0, 1, 1)))
    cache.put(key(1, 1, 0), tile((0, 0, 1, 1)))
    assert cache.get(key(1, 0, 0)) is not None  # now most recently used
    cache.put(key(1, 1, 1), tile((0, 0, 1, 1)))
    assert key(1, 1, 0) not in cache
    assert key(1, 0, 0) in cache
    assert cache.get(key(9, 9, 9)) is None
    assert cache.stats() | {"bytes": 0} == {
        "entries": 2,
        "bytes": 0,
        "hits": 1,
        "misses": 1,
        "evictions": 1,
        "invalidated": 0,
    }
    byte_bound = TileCache(max_bytes=10)
    byte_bound.put(key(1, 0, 0), tile((0, 0, 1, 1), b"123456"))
    byte_bound.put(key(1, 1, 0), tile((0, 0, 1, 1), b"123456"))
    assert len(byte_bound) == 1
    assert byte_bound.nbytes == 6


def test_render_started_before_an_invalidation_is_not_cached() -> None:
    cache = TileCache()
    generation = cache.generation()
    cache.invalidate_bbox((0.0, 0.0, 1.0, 1.0))  # an edit lands while the tile renders
    assert not cache.put(key(1, 0, 0), tile((50.0, 50.0, 51.0, 51.0)), generation=generation)
    assert len(cache) == 0
    assert cache.put(key(1, 0, 0), tile((50.0, 50.0, 51.0, 51.0)), generation=cache.generation())
    assert cache.invalidate_all() == 1
    assert len(cache) == 0


# -- a site edit through the change-listener contract -----------------------------------------


def _workspace(path: Path, *, s2_on_air: bool) -> Workspace:
    layers = tiny_layers()
    if s2_on_air:
        sites = layers["sites"]
        sites.loc[sites["site_id"] == "S2", "status"] = "on_air"
        cells = layers["cells"]
        cells.loc[cells["site_id"] == "S2", "status"] = "on_air"
    ws = Workspace.create(path, metric_crs=METRIC, provinces=["99"])
    ws.write_layers(layers, source="tiny fixture")
    return ws


def _dirty_bbox_of_s2(analysis: Analysis) -> tuple[float, float, float, float]:
    """What the live engine reports: the site's cells' service discs, as a lon/lat box."""
    s2 = at(9000, 0)
    x, y = lonlat_to_metric(np.array([s2.x]), np.array([s2.y]), METRIC)
    s2_cells = analysis.cells.subset(analysis.cells.site_id == "S2")
    reach = float(np.max(analysis.model.max_range_m(s2_cells.arrays)))
    lon, lat = metric_to_lonlat(
        np.array([x[0] - reach, x[0] + reach]), np.array([y[0] - reach, y[0] + reach]), METRIC
    )
    return (float(lon[0]), float(lat[0]), float(lon[1]), float(lat[1]))


def _render_all(service: TileService, analysis: Analysis, revision: int) -> dict[TileKey, bytes]:
    area = (108.80, 13.80, 109.20, 14.20)
    out: dict[TileKey, bytes] = {}
    for z in (11, 12):
        for _, x, y in tiles_for_bbox(area, z):
            for layer in ("villages", "sites"):
                out[key(z, x, y, layer)] = service.vector_tile(analysis, revision, layer, z, x, y).data
            png = service.coverage_tile(analysis, revision, CoverageTile("all", z, x, y))
            out[("coverage/all", z, x, y, (("mode", "signal"), ("operator", "")))] = png.data
    return out


def test_site_edit_changes_only_tiles_in_its_dirty_box(tmp_path: Path) -> None:
    before = compute(_workspace(tmp_path / "before", s2_on_air=False), write=False)
    after = compute(_workspace(tmp_path / "after", s2_on_air=True), write=False)
    assert not before.coverage.set_index("village_id").loc["V2", "mobile_bb"]
    assert after.coverage.set_index("village_id").loc["V2", "mobile_bb"]

    service = TileService()
    listeners: list[Any] = [lambda result: service.on_change(result.dirty_bbox, result.revision)]
    first = _render_all(service, before, 0)
    snapshot = dict(service.cache.items())

    dirty = _dirty_bbox_of_s2(after)
    for listener in listeners:  # what AppContext.write does after the edit commits
        listener(SimpleNamespace(dirty_bbox=dirty, revision=1))
    kept = {k for k, _ in service.cache.items()}
    dropped = set(snapshot) - kept
    assert dropped
    assert kept
    assert dropped == {k for k, cached in snapshot.items() if bbox_intersects(cached.bbox, dirty)}

    hits = service.cache.hits
    second = _render_all(service, after, 1)
    assert service.cache.hits - hits == len(kept)  # untouched tiles come from the cache
    changed = {k for k in first if first[k] != second[k]}
    assert changed, "making S2 live must change some tile"
    assert changed <= dropped  # nothing outside the dirty box changed...
    fresh = _render_all(TileService(), after, 1)
    assert second == fresh  # ...and nothing the cache kept is stale


def test_unreported_revision_empties_the_cache(tmp_path: Path) -> None:
    before = compute(_workspace(tmp_path / "a", s2_on_air=False), write=False)
    after = compute(_workspace(tmp_path / "b", s2_on_air=True), write=False)
    service = TileService()
    x, y = 1, 1
    service.vector_tile(before, 0, "villages", 1, x, y)
    assert len(service.cache) == 1
    # Another process changed the workspace: no dirty box was reported, nothing can be trusted.
    service.vector_tile(after, 2, "villages", 1, x, y)
    assert service.cache.stats()["invalidated"] == 1


@pytest.mark.parametrize("z", [0, 3])
def test_whole_world_tiles_are_dropped_by_any_edit(z: int) -> None:
    cache = TileCache()
    for x, y in itertools.product(range(1 << z), repeat=2):
        cache.put(key(z, x, y), tile(tile_bounds_lonlat(z, x, y)))
    cache.invalidate_bbox((109.0, 14.0, 109.01, 14.01))
    assert len(cache) == (1 << z) ** 2 - 1
