"""Tiles of a live workspace: render on a cache miss, track revisions, invalidate on edits.

Owns the glue a tile server needs between a changing analysis and the tile cache:
which tile sources belong to which workspace revision (rebuilt lazily when the
revision moves), the cache keys and bounding boxes of vector and coverage tiles, the
gzip copy of vector tiles, the signal overlays of single sites (kept per revision),
and the rules that keep the cache honest: a revision change
nobody reported a dirty box for empties the whole cache (a safety net: edits made
through the live engine report their box and drop only the tiles they touch), and a
tile rendered from a revision older than the latest reported one is served but not
cached. Coverage tiles of all technologies and operators are drawn from the seeded
tile pyramid (:mod:`coverage_gis.tiles.pyramid`) where it describes the revision
served, and rendered live elsewhere; edits are passed on to the pyramid so that it
rebuilds the tiles they touch.
"""

from __future__ import annotations

import gzip
import os
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from coverage_gis.errors import NotFound
from coverage_gis.tiles.cache import CachedTile, TileCache, TileKey, content_etag
from coverage_gis.tiles.hillshade import HillshadeRenderer
from coverage_gis.tiles.map_style import map_style
from coverage_gis.tiles.mercator import (
    Bounds,
    bounds_3857_to_lonlat,
    buffered_bounds_3857,
    check_tile,
    tile_bounds_lonlat,
)
from coverage_gis.tiles.png import transparent_png
from coverage_gis.tiles.pyramid import StoreFinder, TileStore, default_root, pyramid_key
from coverage_gis.tiles.raster import CoverageRenderer
from coverage_gis.tiles.signal import SignalOverlay, site_signal_overlay, terrain_model_for
from coverage_gis.tiles.vector import BUFFER, EXTENT, TILE_LAYERS, VECTOR_LAYERS, VectorTileSet

if TYPE_CHECKING:
    from coverage_gis.engine import Analysis
    from coverage_gis.models.terrain import TerrainModel

#: Signal overlays kept per revision (each a PNG of up to a few MB).
SIGNAL_OVERLAYS = 8
#: gzip level of vector tiles: level 6 is within a few percent of 9 on MVT at a
#: fraction of the time.
GZIP_LEVEL = 6


@dataclass(frozen=True)
class CoverageTile:
    """One coverage tile asked for: ``z/x/y`` of a technology (``all``, 3G, 4G, 5G), coloured
    by ``mode`` (``signal`` or ``operator``), optionally of one operator's cells only.

    Built checked (:class:`LayerValidationError` on a bad tile, technology, operator or
    mode), with its cache key.
    """

    tech: str
    z: int
    x: int
    y: int
    operator: str | None = None
    mode: str = "signal"
    key: TileKey = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        check_tile(self.z, self.x, self.y)
        CoverageRenderer.check_params(self.tech, self.operator, self.mode)
        key = (
            f"coverage/{self.tech}",
            self.z,
            self.x,
            self.y,
            (("mode", self.mode), ("operator", self.operator or "")),
        )
        object.__setattr__(self, "key", key)


@dataclass
class _RevisionState:
    analysis: Analysis
    revision: int
    vectors: VectorTileSet
    _renderer: CoverageRenderer | None = None
    _pyramid: tuple[Path, str] | None = None
    _hillshade: HillshadeRenderer | None = None
    _terrain: TerrainModel | None = None
    _overlays: OrderedDict[tuple[str, float | None], SignalOverlay] = field(default_factory=OrderedDict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def renderer(self) -> CoverageRenderer:
        with self._lock:
            if self._renderer is None:
                a = self.analysis
                self._renderer = CoverageRenderer(a.model, a.cells, metric_crs=a.metric_crs)
            return self._renderer

    def pyramid_location(self) -> tuple[Path, str]:
        """Where this revision's coverage tile pyramid would be: cache area and key."""
        with self._lock:
            if self._pyramid is None:
                self._pyramid = (default_root(self.analysis.ws), pyramid_key(self.analysis))
            return self._pyramid

    def hillshade(self) -> HillshadeRenderer | None:
        """The hillshade of the workspace's DEM; None when it has none."""
        with self._lock:
            path = self.analysis.ws.dem_path
            if self._hillshade is None and path is not None:
                self._hillshade = HillshadeRenderer(path, map_style().hillshade)
            return self._hillshade

    def terrain(self) -> TerrainModel:
        """The terrain model of this revision (one per revision, so its per-site cache is shared)."""
        with self._lock:
            if self._terrain is None:
                self._terrain = terrain_model_for(self.analysis.model, self.analysis.ws)
            return self._terrain

    def signal_overlay(self, site_id: str, radius_m: float | None) -> SignalOverlay:
        """A site's signal overlay (the last :data:`SIGNAL_OVERLAYS` are kept)."""
        key = (site_id, radius_m)
        with self._lock:
            found = self._overlays.get(key)
            if found is not None:
                self._overlays.move_to_end(key)
                return found
        made = site_signal_overlay(self.terrain(), self.analysis.cells, site_id, radius_m=radius_m)
        with self._lock:
            self._overlays[key] = made
            while len(self._overlays) > SIGNAL_OVERLAYS:
                self._overlays.popitem(last=False)
        return made


class TileService:
    """Vector and coverage tiles of whatever analysis is current, through a :class:`TileCache`.

    Parameters
    ----------
    cache
        The tile cache (a fresh default one when None).
    max_renders
        Tiles rendered at the same time (default: one per CPU); hits never wait.
    """

    def __init__(self, *, cache: TileCache | None = None, max_renders: int | None = None) -> None:
        self.cache = cache if cache is not None else TileCache()
        # Renders are CPU-bound numpy/GEOS work: more at once than there are CPUs only
        # adds switching, and a burst of misses then finishes all late instead of in turn.
        self._renders = threading.BoundedSemaphore(max_renders or os.cpu_count() or 1)
        self._state: _RevisionState | None = None
        self._reported_revision: int | None = None
        self._inflight: dict[TileKey, threading.Event] = {}
        self.pyramids = StoreFinder()
        self._lock = threading.Lock()

    # -- revisions ----------------------------------------------------------------------
    def observe(self, revision: int) -> None:
        """Note the revision a request is served from (called before every cache lookup).

        A revision newer than every reported change means the workspace moved on
        without a dirty box (another process wrote it): nothing cached can be trusted.
        """
        with self._lock:
            latest = self._reported_revision
            if latest is None or revision > latest:
                self._reported_revision = revision
                if latest is not None:
                    self.cache.invalidate_all()

    def state(self, analysis: Analysis, revision: int) -> _RevisionState:
        """Sources for this analysis and revision (built when either changed)."""
        current = self._state
        if current is not None and current.revision == revision and current.analysis is analysis:
            return current
        with self._lock:
            current = self._state
            if current is None or current.revision != revision or current.analysis is not analysis:
                current = _RevisionState(analysis, revision, VectorTileSet(analysis))
                self._state = current
            return current

    def on_change(self, dirty_bbox: Bounds | None, revision: int | None = None) -> int:
        """A workspace change: drop the tiles it may alter (all when the box is unknown).

        Returns the number of tiles dropped.
        """
        with self._lock:
            if revision is not None and (
                self._reported_revision is None or revision > self._reported_revision
            ):
                self._reported_revision = revision
        self.pyramids.mark_dirty(dirty_bbox, revision)
        if dirty_bbox is None:
            return self.cache.invalidate_all()
        return self.cache.invalidate_bbox(dirty_bbox)

    # -- tiles --------------------------------------------------------------------------
    @staticmethod
    def vector_key(layer: str, z: int, x: int, y: int) -> TileKey:
        """Cache key of a vector tile; validates the layer and the tile.

        Raises
        ------
        NotFound
            Unknown layer.
        LayerValidationError
            ``z/x/y`` is not a tile.
        """
        check_tile(z, x, y)
        if layer not in TILE_LAYERS:
            raise NotFound(f"no tile layer {layer!r}; tile layers: {', '.join(TILE_LAYERS)}")
        return (layer, z, x, y, ())

    @staticmethod
    def hillshade_key(z: int, x: int, y: int) -> TileKey:
        """Cache key of a hillshade tile; validates the tile (LayerValidationError)."""
        check_tile(z, x, y)
        return ("hillshade", z, x, y, ())

    def lookup(self, key: TileKey, revision: int) -> CachedTile | None:
        """The cached tile for a request served from ``revision``, or None (no rendering).

        Cheap enough for an event loop: the web front answers hits without a thread.
        """
        self.observe(revision)
        return self.cache.get(key)

    def _cached(
        self,
        key: TileKey,
        bbox: Bounds,
        render: Callable[[], bytes],
        *,
        revision: int,
        compress: bool,
    ) -> CachedTile:
        found = self.lookup(key, revision)
        if found is not None:
            return found
        return self.render_missing(key, bbox, render, revision=revision, compress=compress)

    def render_missing(
        self,
        key: TileKey,
        bbox: Bounds,
        render: Callable[[], bytes],
        *,
        revision: int,
        compress: bool,
    ) -> CachedTile:
        """Render a tile a :meth:`lookup` missed (unless another request just did)."""
        found = self.cache.get(key, count=False)
        if found is not None:
            return found
        # One render per key at a time: a map opened by several people at once asks
        # for the same tiles together, and the latecomers wait for the first render.
        with self._lock:
            pending = self._inflight.get(key)
            owner = pending is None
            if pending is None:
                pending = threading.Event()
                self._inflight[key] = pending
        if not owner:
            pending.wait(timeout=120.0)
            found = self.cache.get(key, count=False)
            if found is not None:
                return found
        try:
            return self._render(key, bbox, render, revision=revision, compress=compress)
        finally:
            if owner:
                with self._lock:
                    self._inflight.pop(key, None)
                pending.set()

    def _render(
        self,
        key: TileKey,
        bbox: Bounds,
        render: Callable[[], bytes],
        *,
        revision: int,
        compress: bool,
    ) -> CachedTile:
        # Read before rendering: an edit reported mid-render moves the generation and
        # the result, possibly made from the old state, is not cached.
        with self._renders:
            generation = self.cache.generation()
            data = render()
        return self._keep(key, bbox, data, revision=revision, generation=generation, compress=compress)

    def _keep(
        self, key: TileKey, bbox: Bounds, data: bytes, *, revision: int, generation: int, compress: bool
    ) -> CachedTile:
        """The rendered tile, cached unless an edit came in since ``generation`` or ``revision`` is old."""
        tile = CachedTile(
            data=data,
            etag=content_etag(data),
            bbox=bbox,
            gzip=gzip.compress(data, compresslevel=GZIP_LEVEL, mtime=0) if compress else None,
        )
        # A request that read its analysis before an edit was reported is answered
        # from that analysis but must not refill the cache with it.
        latest = self._reported_revision
        if latest is None or revision >= latest:
            self.cache.put(key, tile, generation=generation)
        return tile

    def vector_tile(
        self,
        analysis: Analysis,
        revision: int,
        layer: str,
        z: int,
        x: int,
        y: int,
        *,
        looked_up: bool = False,
    ) -> CachedTile:
        """The MVT of one layer's tile (``data`` raw, ``gzip`` compressed), cached.

        ``looked_up=True`` tells that the caller's :meth:`lookup` just missed.

        Raises
        ------
        NotFound
            Unknown layer.
        LayerValidationError
            ``z/x/y`` is not a tile.
        """
        key = self.vector_key(layer, z, x, y)

        def render() -> bytes:
            return self.state(analysis, revision).vectors.encode(layer, z, x, y)

        # The tile shows features from its buffer too, so that is what an edit must touch.
        bbox = bounds_3857_to_lonlat(buffered_bounds_3857(z, x, y, buffer=BUFFER, extent=EXTENT))
        fetch = self.render_missing if looked_up else self._cached
        return fetch(key, bbox, render, revision=revision, compress=True)

    def coverage_tile(
        self, analysis: Analysis, revision: int, tile: CoverageTile, *, looked_up: bool = False
    ) -> CachedTile:
        """The coverage PNG of one tile (see :meth:`CoverageRenderer.render_png`), cached.

        ``looked_up=True`` tells that the caller's :meth:`lookup` just missed (so the
        miss is not counted twice).
        """

        def render() -> bytes:
            state = self.state(analysis, revision)
            store = self.pyramid(state, tile.tech, tile.operator)
            if store is not None:
                drawn = store.render_png(
                    tile.z, tile.x, tile.y, mode=tile.mode, revision=revision, renderer=state.renderer
                )
                if drawn is not None:
                    return drawn
            return state.renderer().render_png(
                tile.z, tile.x, tile.y, tech=tile.tech, operator=tile.operator, mode=tile.mode
            )

        fetch = self.render_missing if looked_up else self._cached
        return fetch(
            tile.key, tile_bounds_lonlat(tile.z, tile.x, tile.y), render, revision=revision, compress=False
        )

    def drawn_coverage_tile(self, analysis: Analysis, revision: int, tile: CoverageTile) -> CachedTile | None:
        """A coverage tile a :meth:`lookup` missed, drawn from the seeded pyramid, cached; else None.

        Only when that needs no model run (a clean stored tile of the revision served):
        one stored tile read and drawn, 1–2 ms, cheap enough for an event loop, so the
        web front answers these misses without a worker thread. None leaves the tile to
        :meth:`coverage_tile` (the live render, or rebuilding the pyramid's dirty tiles).
        """
        store = self.pyramid(self.state(analysis, revision), tile.tech, tile.operator)
        if store is None:
            return None
        generation = self.cache.generation()
        data = store.render_png(tile.z, tile.x, tile.y, mode=tile.mode, revision=revision, renderer=None)
        if data is None:
            return None
        bbox = tile_bounds_lonlat(tile.z, tile.x, tile.y)
        return self._keep(tile.key, bbox, data, revision=revision, generation=generation, compress=False)

    def pyramid(
        self, state: _RevisionState, tech: str = "all", operator: str | None = None
    ) -> TileStore | None:
        """The seeded coverage tile pyramid of a revision's model (maybe of another revision), if any.

        It holds the tiles of all technologies and every operator: None for the others.
        """
        if tech != "all" or operator is not None:
            return None
        return self.pyramids.current(*state.pyramid_location())

    def hillshade_tile(
        self, analysis: Analysis, revision: int, z: int, x: int, y: int, *, looked_up: bool = False
    ) -> CachedTile:
        """The hillshade PNG of one tile (transparent without a DEM), cached.

        Raises
        ------
        LayerValidationError
            ``z/x/y`` is not a tile.
        """
        key = self.hillshade_key(z, x, y)

        def render() -> bytes:
            renderer = self.state(analysis, revision).hillshade()
            return transparent_png() if renderer is None else renderer.render_png(z, x, y)

        fetch = self.render_missing if looked_up else self._cached
        return fetch(key, tile_bounds_lonlat(z, x, y), render, revision=revision, compress=False)

    def signal_overlay(
        self, analysis: Analysis, revision: int, site_id: str, *, radius_m: float | None = None
    ) -> SignalOverlay:
        """The signal overlay of one site under the terrain model (see :mod:`coverage_gis.tiles.signal`).

        Raises
        ------
        NotFound
            The site has no on-air 3G/4G/5G cell, or the workspace has no DEM.
        """
        self.observe(revision)
        state = self.state(analysis, revision)
        with self._renders:
            return state.signal_overlay(site_id, radius_m)

    @staticmethod
    def layers() -> tuple[str, ...]:
        """Names of the vector tile layers."""
        return VECTOR_LAYERS
