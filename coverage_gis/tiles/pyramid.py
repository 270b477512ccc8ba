"""The coverage tile pyramid: the coverage field precomputed per tile, kept on disk.

Owns the store a cold coverage tile is drawn from without running the model: for
every tile at :data:`BASE_ZOOM` that an on-air broadband cell can reach, the best
level (int16, 0.1 dB), whether it is served and the best server's operator, per
pixel, as :meth:`CoverageRenderer.grid` computes them (the model is not
re-implemented here); and, for every coarser zoom down to 0, the same arrays reduced
2 × 2 → 1 (best level: the maximum, served: any, operator: that of the maximum).
The arrays and their drawing are :mod:`coverage_gis.tiles.tile_arrays`; the seed
that fills a store is :mod:`coverage_gis.tiles.pyramid_seed`.

A tile ``z/x/y`` of the ``all`` technologies, every operator, is then drawn from one
stored tile: itself when ``z ≤ BASE_ZOOM``, a window of its base-zoom ancestor
enlarged (nearest pixel) up to :data:`BASE_ZOOM` + :data:`UPSAMPLE_ZOOMS`. Finer
zooms, single technologies and single operators keep the live render
(:mod:`coverage_gis.tiles.raster`).

Honesty rules (a stale array is never drawn):

- A store lives under a key of everything the field depends on besides the cells
  (:func:`pyramid_key`: model, its settings and calibration, DEM, CRS, format), and
  its manifest names the workspace revision it describes; it is used only for
  requests served from exactly that revision.
- An edit that reports a dirty box at the next revision (:meth:`TileStore.mark_dirty`)
  moves the manifest to that revision and marks the base tiles the box touches, with
  their ancestors, dirty. A dirty tile is rebuilt from the model on the next request
  that needs it (:meth:`TileStore.arrays`, at most :data:`MAX_LAZY_BASE_TILES` base
  tiles per request; beyond, the live render answers). Any other revision step
  leaves the store unusable until it is seeded again.
- Files are replaced atomically; the manifest is written last, so a seed that did
  not finish is never read. After the seed, every change of the manifest or a tile is
  a read-modify-write under a file lock, so API workers sharing a store never clear
  each other's dirty marks or write an older revision's tile over a newer one.

Storage: ``<cache>/<key>/CURRENT`` names the seed folder; the folder holds
``manifest.json`` and ``<z>/<x>/<y>.bin`` (zstd of the level then the operator
bytes). Tiles with no served pixel have no file.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
from filelock import FileLock

from coverage_gis._files import atomic_path
from coverage_gis.tiles.mercator import TILE_SIZE, Bounds, tiles_for_bbox
from coverage_gis.tiles.raster import CoverageRenderer
from coverage_gis.tiles.tile_arrays import TileArrays, draw_png, quantise, reduce_children, window

if TYPE_CHECKING:
    from coverage_gis.engine import Analysis
    from coverage_gis.workspace import Workspace

#: Zoom of the computed tiles. At 256 px a z11 pixel is ~76 m at the equator (~73 m in
#: central Vietnam): planners' coverage maps use 50–100 m grids. A z12 base halves the
#: pixel but quadruples the tiles (and the seed time); see docs/architecture.md.
BASE_ZOOM = 11
#: Zooms finer than the base drawn from it by enlarging (z12: 2 × 2 screen pixels per
#: stored pixel, z13: 4 × 4); finer ones are rendered live.
UPSAMPLE_ZOOMS = 2
#: Base tiles a request may rebuild after an edit before it leaves the tile to the live render.
MAX_LAZY_BASE_TILES = 8
#: Bump when the stored bytes or their meaning change: older stores are then ignored.
FORMAT_VERSION = 2
#: zstd level of the stored tiles (compressing is a few ms against the model's 0.2–9 s).
ZSTD_LEVEL = 9
#: Decoded tiles a store keeps (192 kB each): a map view at z13 draws up to 16 tiles from
#: one base tile, at z12 up to 4; each read and decompression it saves is ~0.4 ms.
RECENT_TILES = 32
CURRENT_FILE = "CURRENT"
MANIFEST_FILE = "manifest.json"
_LOCK = ".lock"

TileId = tuple[int, int, int]


# -- keys and files ---------------------------------------------------------------------------


def pyramid_key(analysis: Analysis) -> str:
    """What the stored field depends on besides the cells (which the revision stands for).

    The model and its settings (the workspace's settings file included), the calibration,
    the DEM file, the metric CRS, the base zoom, tile size and storage format.
    """
    ws = analysis.ws
    model = analysis.model
    parts: list[str] = [
        f"format={FORMAT_VERSION}",
        f"base={BASE_ZOOM}/{TILE_SIZE}",
        f"model={model.name}",
        f"class={type(model).__qualname__}",
        f"settings={getattr(model, 'settings', None)!r}",
        f"calibration={ws.config.calibration!r}",
        f"crs={analysis.metric_crs}",
    ]
    for path in (ws.model_settings_path, ws.dem_path):
        if path is not None:
            stat = path.stat()
            parts.append(f"{path.name}={stat.st_size}:{stat.st_mtime_ns}")
    return hashlib.blake2b("\n".join(parts).encode(), digest_size=12).hexdigest()


def default_root(ws: Workspace) -> Path:
    """The workspace's cache area for tile pyramids.

    A folder workspace keeps them in ``<folder>/cache/coverage-tiles``; a database
    workspace under the local cache its files are copied to, per database.
    """
    if ws.backend == "gpkg":
        return ws.path / "cache" / "coverage-tiles"
    from coverage_gis.storage.postgis import cache_root

    digest = hashlib.blake2b(ws.location.encode(), digest_size=8).hexdigest()
    return cache_root() / "coverage-tiles" / digest


@cache
def _codec() -> pa.Codec:
    # zstd: a tile (196 kB raw) decompresses in ~0.2 ms, three times faster than zlib,
    # and packs a little smaller at level 9 (measured on the national demo).
    return pa.Codec("zstd", compression_level=ZSTD_LEVEL)


def _tile_path(folder: Path, z: int, x: int, y: int) -> Path:
    return folder / str(z) / str(x) / f"{y}.bin"


def write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as partial:
        partial.write_bytes(data)


def _stamp(path: Path) -> tuple[int, int] | None:
    """``(mtime_ns, size)`` of a file, None when it is missing: changes when it is replaced."""
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_mtime_ns, stat.st_size


def write_tile(folder: Path, tile: TileId, arrays: TileArrays | None) -> bool:
    """Store a tile's arrays (remove its file when nothing is served); whether a file is kept."""
    path = _tile_path(folder, *tile)
    if arrays is None or not arrays.served.any():
        path.unlink(missing_ok=True)
        return False
    payload = np.ascontiguousarray(arrays.level).tobytes() + np.ascontiguousarray(arrays.operator).tobytes()
    write_atomically(path, _codec().compress(payload, asbytes=True))
    return True


def read_tile(folder: Path, tile: TileId, size: int = TILE_SIZE) -> TileArrays | None:
    """A stored tile's arrays; None when it has no file (nothing served)."""
    try:
        packed = _tile_path(folder, *tile).read_bytes()
    except FileNotFoundError:
        return None
    pixels = size * size
    data = _codec().decompress(packed, decompressed_size=3 * pixels, asbytes=True)
    level = np.frombuffer(data, dtype=np.int16, count=pixels).reshape(size, size)
    operator = np.frombuffer(data, dtype=np.uint8, offset=2 * pixels, count=pixels).reshape(size, size)
    return TileArrays(level, operator)


def ancestors(tile: TileId) -> Iterable[TileId]:
    """The tile's ancestors, from its parent to zoom 0."""
    z, x, y = tile
    while z > 0:
        z, x, y = z - 1, x >> 1, y >> 1
        yield (z, x, y)


def children(tile: TileId) -> list[TileId]:
    """The four children, NW, NE, SW, SE."""
    z, x, y = tile
    return [
        (z + 1, 2 * x, 2 * y),
        (z + 1, 2 * x + 1, 2 * y),
        (z + 1, 2 * x, 2 * y + 1),
        (z + 1, 2 * x + 1, 2 * y + 1),
    ]


# -- the store ---------------------------------------------------------------------------------


class TileStore:
    """One seeded pyramid: its manifest (revision, dirty tiles) and its tile files.

    Thread-safe, and several processes (API workers) may share one: every change of the
    manifest or of a tile after the seed is a read-modify-write of the manifest under a
    file lock, and a reader re-reads a manifest another process replaced.
    """

    def __init__(self, folder: Path, manifest: dict[str, Any]) -> None:
        self.folder = folder
        self.key = str(manifest["key"])
        self.base_zoom = int(manifest["base_zoom"])
        self.revision = -1
        self.dirty: set[TileId] = set()
        self._manifest: dict[str, Any] = {}
        self._adopt(manifest)
        self._stamp = _stamp(folder / MANIFEST_FILE)
        self._lock = threading.RLock()
        self._file_lock = FileLock(str(folder / _LOCK))
        # tile → (revision it was read at, its arrays): a clean tile's file changes only
        # after an edit marks it dirty, which moves the revision on (see _read).
        self._recent: OrderedDict[TileId, tuple[int, TileArrays | None]] = OrderedDict()

    @classmethod
    def open(cls, root: Path, key: str) -> TileStore | None:
        """The current store of ``key`` under ``root``; None when none was seeded (or it is unreadable)."""
        try:
            name = (root / key / CURRENT_FILE).read_text().strip()
            folder = root / key / name
            manifest = json.loads((folder / MANIFEST_FILE).read_text())
        except (OSError, ValueError):
            return None
        if manifest.get("format") != FORMAT_VERSION or manifest.get("key") != key:
            return None
        return cls(folder, manifest)

    @property
    def manifest(self) -> dict[str, Any]:
        """The manifest as last read or written (counts and seconds of the seed, revision, dirty tiles)."""
        with self._lock:
            return dict(self._manifest)

    def _adopt(self, manifest: dict[str, Any]) -> None:
        self._manifest = manifest
        self.revision = int(manifest["revision"])
        self.dirty = {(int(t[0]), int(t[1]), int(t[2])) for t in manifest.get("dirty", [])}

    def _sync(self) -> None:
        """Re-read the manifest if another process replaced it (call under ``_lock``)."""
        stamp = _stamp(self.folder / MANIFEST_FILE)
        if stamp == self._stamp:
            return
        try:
            manifest = json.loads((self.folder / MANIFEST_FILE).read_text())
        except (OSError, ValueError):
            manifest = {**self._manifest, "revision": -1}
        self._adopt(manifest)
        self._stamp = stamp

    def _save(self) -> None:
        """Write the manifest (call under both locks, after :meth:`_sync`)."""
        manifest = {**self._manifest, "revision": self.revision, "dirty": sorted(self.dirty)}
        write_atomically(self.folder / MANIFEST_FILE, json.dumps(manifest).encode())
        self._manifest = manifest
        self._stamp = _stamp(self.folder / MANIFEST_FILE)

    def usable(self, revision: int) -> bool:
        """Whether the store describes ``revision`` (as its manifest on disk says now)."""
        with self._lock:
            self._sync()
            return self.revision == revision

    def mark_dirty(self, bbox_lonlat: Bounds | None, revision: int | None) -> int:
        """An edit at ``revision`` changed coverage inside ``bbox_lonlat``; returns the base tiles marked.

        Only the step to the next revision with a known box keeps the store: anything
        else (unknown box or revision, a revision skipped) makes it describe no revision.
        """
        with self._lock, self._file_lock:
            self._sync()
            if bbox_lonlat is None or revision is None or revision != self.revision + 1:
                if self.revision >= 0 and (revision is None or revision > self.revision):
                    self.revision = -1
                    self._save()
                return 0
            touched = list(tiles_for_bbox(bbox_lonlat, self.base_zoom))
            for tile in touched:
                self.dirty.add(tile)
                self.dirty.update(ancestors(tile))
            self.revision = revision
            self._save()
            return len(touched)

    def arrays(
        self, tile: TileId, revision: int, renderer: Callable[[], CoverageRenderer] | None
    ) -> tuple[bool, TileArrays | None]:
        """``(found, arrays)`` of a stored tile for a request served from ``revision``.

        A dirty tile is rebuilt first (base tiles from ``renderer().grid``, coarser ones
        from their children), unless that takes more than :data:`MAX_LAZY_BASE_TILES`
        base tiles or ``renderer`` is None (no model run wanted); ``found`` is False when
        the store cannot answer (another revision, a rebuild not made).
        """
        with self._lock:
            self._sync()
            if self.revision != revision:
                return False, None
            if tile not in self.dirty:
                return True, self._read(tile)
            z, x, y = tile
            shift = self.base_zoom - z
            dirty_base = [
                t for t in self.dirty if t[0] == self.base_zoom and (t[1] >> shift, t[2] >> shift) == (x, y)
            ]
        if renderer is None or len(dirty_base) > MAX_LAZY_BASE_TILES:
            return False, None
        made = self._rebuild(tile, revision, renderer)
        return (True, made) if self.usable(revision) else (False, None)

    def _read(self, tile: TileId) -> TileArrays | None:
        """A clean tile's arrays (call under ``_lock`` after :meth:`_sync`), kept for reuse.

        A kept copy is used only at the revision it was read at: a clean tile's file is
        rewritten only by a rebuild, which needs an edit to have marked it dirty first,
        and every edit moves the store to the next revision (:meth:`mark_dirty`), in
        this process or, through the manifest, in another.
        """
        kept = self._recent.get(tile)
        if kept is not None and kept[0] == self.revision:
            self._recent.move_to_end(tile)
            return kept[1]
        arrays = read_tile(self.folder, tile)
        self._recent[tile] = (self.revision, arrays)
        self._recent.move_to_end(tile)
        while len(self._recent) > RECENT_TILES:
            self._recent.popitem(last=False)
        return arrays

    def _rebuild(
        self, tile: TileId, revision: int, renderer: Callable[[], CoverageRenderer]
    ) -> TileArrays | None:
        """A dirty tile's arrays from the model (base) or its children, stored if no edit came since."""
        with self._lock:
            if tile not in self.dirty:
                return self._read(tile)
        made: TileArrays | None
        if tile[0] == self.base_zoom:
            found = renderer()
            made = quantise(found.grid(*tile, best_server=True), found.operator_names)
        else:
            made = reduce_children([self._rebuild(child, revision, renderer) for child in children(tile)])
        # Written and marked clean under both locks, and only while the manifest still
        # describes the revision the arrays were made from: an edit that came in
        # meanwhile (in any process) keeps the tile dirty, and an older rebuild never
        # overwrites a newer one.
        with self._lock, self._file_lock:
            self._sync()
            if self.revision == revision and tile in self.dirty:
                write_tile(self.folder, tile, made)
                self.dirty.discard(tile)
                self._save()
        return made if made is not None and made.served.any() else None

    def render_png(
        self,
        z: int,
        x: int,
        y: int,
        *,
        mode: str,
        revision: int,
        renderer: Callable[[], CoverageRenderer] | None,
    ) -> bytes | None:
        """The coverage PNG of tile ``z/x/y`` from the stored arrays; None when the store cannot draw it.

        ``renderer`` gives the model for rebuilding dirty tiles (None: a dirty tile is not drawn).
        """
        dz = max(0, z - self.base_zoom)
        if dz > UPSAMPLE_ZOOMS:
            return None
        source = (z - dz, x >> dz, y >> dz)
        found, arrays = self.arrays(source, revision, renderer)
        if not found:
            return None
        return draw_png(None if arrays is None else window(arrays, dz, x, y), mode, factor=1 << dz)


class StoreFinder:
    """The current :class:`TileStore` of each (cache area, key) a server asked for.

    A store seeded while the server runs is picked up (``CURRENT`` is checked with one
    ``stat`` per call); edits are passed on to every store opened so far.
    """

    def __init__(self) -> None:
        self._stores: dict[tuple[Path, str], tuple[tuple[int, int] | None, TileStore | None]] = {}
        self._lock = threading.Lock()

    def current(self, root: Path, key: str) -> TileStore | None:
        """The store of ``key`` under ``root``, None when it was never seeded."""
        stamp = _stamp(root / key / CURRENT_FILE)
        with self._lock:
            known = self._stores.get((root, key))
            if known is not None and known[0] == stamp:
                return known[1]
        store = TileStore.open(root, key) if stamp is not None else None
        with self._lock:
            self._stores[(root, key)] = (stamp, store)
        return store

    def mark_dirty(self, bbox_lonlat: Bounds | None, revision: int | None) -> None:
        """An edit (see :meth:`TileStore.mark_dirty`) for every store opened so far."""
        with self._lock:
            stores = [store for _, store in self._stores.values() if store is not None]
        for store in stores:
            store.mark_dirty(bbox_lonlat, revision)
