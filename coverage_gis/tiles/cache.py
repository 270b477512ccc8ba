"""An in-memory LRU cache of rendered tiles with spatial invalidation.

Owns which tiles stay valid after a workspace change. Keys do not contain the
workspace revision: a site edit changes coverage only near the site, so instead of
dropping everything at each revision the cache drops exactly the tiles whose lon/lat
bounding box intersects the change's dirty box (:meth:`TileCache.invalidate_bbox`)
and keeps serving the rest. ETags are content hashes, so a tile re-rendered with the
same content keeps its ETag and clients' conditional requests still get 304.

Renders that started before an invalidation must not refill the cache with stale
bytes: :meth:`TileCache.generation` is read before rendering and :meth:`TileCache.put`
drops the result if any invalidation happened since.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass

from coverage_gis.tiles.mercator import Bounds

#: Key of a tile: (layer, z, x, y, params) where params is a hashable tuple
#: (e.g. ``(("tech", "4G"),)``; ``()`` for none).
TileKey = tuple[str, int, int, int, tuple[tuple[str, Hashable], ...]]


def content_etag(data: bytes) -> str:
    """A strong ETag (quoted) from the tile's bytes."""
    return '"' + hashlib.blake2b(data, digest_size=12).hexdigest() + '"'


@dataclass(frozen=True)
class CachedTile:
    """A rendered tile: its bytes, ETag, the lon/lat box its content depends on.

    ``gzip`` holds the gzip-compressed bytes where the producer made them (vector
    tiles), so a hit costs no compression.
    """

    data: bytes
    etag: str
    bbox: Bounds
    gzip: bytes | None = None

    @property
    def size(self) -> int:
        return len(self.data) + (len(self.gzip) if self.gzip is not None else 0)


def bbox_intersects(a: Bounds, b: Bounds) -> bool:
    """Whether two ``(west, south, east, north)`` boxes share at least a point (edges count)."""
    return a[0] <= b[2] and b[0] <= a[2] and a[1] <= b[3] and b[1] <= a[3]


class TileCache:
    """Thread-safe LRU of :class:`CachedTile` by :data:`TileKey`.

    Parameters
    ----------
    max_entries
        Most tiles kept.
    max_bytes
        Most bytes kept (data plus gzip copies); the least recently used go first.
    """

    def __init__(self, *, max_entries: int = 20_000, max_bytes: int = 256 * 1024 * 1024) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._tiles: OrderedDict[TileKey, CachedTile] = OrderedDict()
        self._lock = threading.Lock()
        self._bytes = 0
        self._generation = 0
        self.hits = 0
        self.misses = 0
        self.evictions = 0
        self.invalidated = 0

    def __len__(self) -> int:
        with self._lock:
            return len(self._tiles)

    def __contains__(self, key: object) -> bool:
        with self._lock:
            return key in self._tiles

    @property
    def nbytes(self) -> int:
        """Bytes held now."""
        with self._lock:
            return self._bytes

    def generation(self) -> int:
        """A counter that moves at every invalidation; pass it to :meth:`put`."""
        with self._lock:
            return self._generation

    def get(self, key: TileKey, *, count: bool = True) -> CachedTile | None:
        """The cached tile (now most recently used), or None; counts a hit or a miss."""
        with self._lock:
            tile = self._tiles.get(key)
            if tile is None:
                self.misses += count
                return None
            self._tiles.move_to_end(key)
            self.hits += count
            return tile

    def put(self, key: TileKey, tile: CachedTile, *, generation: int | None = None) -> bool:
        """Store a tile; False (not stored) if an invalidation happened since ``generation``."""
        with self._lock:
            if generation is not None and generation != self._generation:
                return False
            old = self._tiles.pop(key, None)
            if old is not None:
                self._bytes -= old.size
            self._tiles[key] = tile
            self._bytes += tile.size
            while self._tiles and (len(self._tiles) > self.max_entries or self._bytes > self.max_bytes):
                _, dropped = self._tiles.popitem(last=False)
                self._bytes -= dropped.size
                self.evictions += 1
            return True

    def items(self) -> list[tuple[TileKey, CachedTile]]:
        """A snapshot of the cached tiles, least recently used first (no hit is counted)."""
        with self._lock:
            return list(self._tiles.items())

    def invalidate_bbox(self, bbox_lonlat: Bounds) -> int:
        """Drop every tile whose box intersects ``bbox_lonlat`` (edges count); how many went."""
        with self._lock:
            self._generation += 1
            doomed = [key for key, tile in self._tiles.items() if bbox_intersects(tile.bbox, bbox_lonlat)]
            for key in doomed:
                self._bytes -= self._tiles.pop(key).size
            self.invalidated += len(doomed)
            return len(doomed)

    def invalidate_all(self) -> int:
        """Drop every tile; how many went."""
        with self._lock:
            self._generation += 1
            count = len(self._tiles)
            self._tiles.clear()
            self._bytes = 0
            self.invalidated += count
            return count

    def stats(self) -> dict[str, int]:
        """Counters for monitoring: entries, bytes, hits, misses, evictions, invalidated."""
        with self._lock:
            return {
                "entries": len(self._tiles),
                "bytes": self._bytes,
                "hits": self.hits,
                "misses": self.misses,
                "evictions": self.evictions,
                "invalidated": self.invalidated,
            }
