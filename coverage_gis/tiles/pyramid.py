"""The coverage tile pyramid: the coverage field precomputed per tile, kept on disk.

Owns the arrays a cold coverage tile is drawn from without running the model: for
every tile at :data:`BASE_ZOOM` that an on-air broadband cell can reach, the best
level (int16, 0.1 dB), whether it is served and the best server's operator, per
pixel, as :meth:`CoverageRenderer.grid` computes them (the model is not
re-implemented here); and, for every coarser zoom down to 0, the same arrays reduced
2 × 2 → 1 (best level: the maximum, served: any, operator: that of the maximum).

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
import multiprocessing as mp
import os
import queue
import shutil
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyproj
from filelock import FileLock
from numpy.typing import NDArray

from coverage_gis._files import atomic_path
from coverage_gis.errors import WorkspaceError
from coverage_gis.layers import get_schema
from coverage_gis.tiles.mercator import ORIGIN_SHIFT_M, TILE_SIZE, Bounds, tile_size_m, tiles_for_bbox
from coverage_gis.tiles.png import encode_indexed_png, transparent_png
from coverage_gis.tiles.raster import (
    ALPHA,
    RAMP_STOPS,
    CoverageGrid,
    CoverageRenderer,
    colour_signal,
    enlarge,
    operator_rgb_table,
)

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
#: Stored level of a pixel no cell serves, and of a served pixel without a level estimate.
NOT_SERVED = -32768
SERVED_NO_LEVEL = -32767
#: Stored operator of a pixel without a best server.
NO_OPERATOR = 255
#: Bump when the stored bytes or their meaning change: older stores are then ignored.
FORMAT_VERSION = 2
#: zstd level of the stored tiles (compressing is a few ms against the model's 0.2–9 s).
ZSTD_LEVEL = 9
#: The signal palette's step: levels are drawn in 0.25 dB steps (at most ~2 RGB units
#: from the exact ramp colour), so a tile is a one-byte-per-pixel palette PNG.
PALETTE_STEP_DB = 0.25
_CURRENT = "CURRENT"
_MANIFEST = "manifest.json"
_LOCK = ".lock"

TileId = tuple[int, int, int]
Int16Array = NDArray[np.int16]
UInt8Array = NDArray[np.uint8]


@dataclass(frozen=True)
class TileArrays:
    """One stored tile: level (0.1 dB, :data:`NOT_SERVED` / :data:`SERVED_NO_LEVEL`) and operator index."""

    level: Int16Array
    operator: UInt8Array

    @property
    def served(self) -> NDArray[np.bool_]:
        return np.asarray(self.level != NOT_SERVED)


def store_operators() -> tuple[str, ...]:
    """The operator names stored indices refer to: the ``cells`` layer's vocabulary."""
    return tuple(get_schema("cells").field("operator").allowed or ())


def quantise(found: CoverageGrid, operator_names: Sequence[str] | NDArray[np.str_]) -> TileArrays:
    """A rendered grid as stored arrays (operators re-indexed to :func:`store_operators`).

    An operator outside the vocabulary gets the index past its end (drawn in ``other``'s
    colour, as the live render draws a name without a colour).
    """
    vocabulary = store_operators()
    remap = np.array(
        [vocabulary.index(str(n)) if str(n) in vocabulary else len(vocabulary) for n in operator_names]
    )
    level = np.where(
        found.served,
        np.where(
            np.isfinite(found.best_signal_dbm),
            np.clip(np.rint(np.nan_to_num(found.best_signal_dbm) * 10.0), SERVED_NO_LEVEL + 1, 32767),
            SERVED_NO_LEVEL,
        ),
        NOT_SERVED,
    ).astype(np.int16)
    has_op = found.served & (found.best_operator >= 0)
    operator = np.full(found.served.shape, NO_OPERATOR, dtype=np.uint8)
    if remap.size:
        operator[has_op] = remap[found.best_operator[has_op]]
    return TileArrays(level, operator)


def reduce_children(children: Sequence[TileArrays | None]) -> TileArrays | None:
    """The parent of four tiles (NW, NE, SW, SE; None: nothing served) at the same size.

    Each parent pixel covers 2 × 2 child pixels: its level is their best, it is served
    when any is, and its operator is that of the best (the first in row order on a tie).
    """
    if all(c is None for c in children):
        return None
    size = next(c for c in children if c is not None).level.shape[0]
    empty = TileArrays(
        np.full((size, size), NOT_SERVED, np.int16), np.full((size, size), NO_OPERATOR, np.uint8)
    )
    nw, ne, sw, se = (c if c is not None else empty for c in children)
    level = np.block([[nw.level, ne.level], [sw.level, se.level]])
    operator = np.block([[nw.operator, ne.operator], [sw.operator, se.operator]])
    # (row, 2, col, 2) → (row, col, 4): the four children of each parent pixel, row order.
    blocks = level.reshape(size, 2, size, 2).transpose(0, 2, 1, 3).reshape(size, size, 4)
    ops = operator.reshape(size, 2, size, 2).transpose(0, 2, 1, 3).reshape(size, size, 4)
    best = np.argmax(blocks, axis=2)[..., None]
    return TileArrays(
        np.take_along_axis(blocks, best, axis=2)[..., 0],
        np.take_along_axis(ops, best, axis=2)[..., 0],
    )


def window(arrays: TileArrays, dz: int, x: int, y: int) -> TileArrays:
    """The part of a stored tile that its descendant ``dz`` zooms finer covers.

    ``x``, ``y`` are the descendant's column and row at its own zoom; the window is
    ``size >> dz`` pixels across (drawn enlarged by ``1 << dz``, :func:`draw_png`).
    """
    if dz == 0:
        return arrays
    span = arrays.level.shape[0] >> dz
    r0, c0 = (y % (1 << dz)) * span, (x % (1 << dz)) * span
    return TileArrays(
        arrays.level[r0 : r0 + span, c0 : c0 + span], arrays.operator[r0 : r0 + span, c0 : c0 + span]
    )


@cache
def _signal_palette() -> tuple[UInt8Array, UInt8Array]:
    """Palette (index 0 transparent, then the ramp every :data:`PALETTE_STEP_DB`) and the
    palette index of every stored level, indexed by the level's bits as uint16 (one gather
    per tile: not served → 0, no level estimate or below the ramp → its weakest colour)."""
    low, high = RAMP_STOPS[0][0], RAMP_STOPS[-1][0]
    steps = round((high - low) / PALETTE_STEP_DB) + 1
    levels = np.asarray(low + PALETTE_STEP_DB * np.arange(steps), dtype=np.float64)
    rgb = colour_signal(levels[None, :], np.ones((1, steps), dtype=bool))[:3, 0, :].T
    palette = np.zeros((steps + 1, 4), dtype=np.uint8)
    palette[1:, :3] = rgb
    palette[1:, 3] = ALPHA
    stored = np.arange(-32768, 32768, dtype=np.int64)
    tenths = np.clip(stored, round(low * 10), round(high * 10))
    index = 1 + np.rint((tenths / 10.0 - low) / PALETTE_STEP_DB)
    lookup = np.zeros(65536, dtype=np.uint8)
    lookup[stored.astype(np.int16).view(np.uint16)] = np.where(stored == NOT_SERVED, 0, index).astype(
        np.uint8
    )
    return palette, lookup


@cache
def _operator_palette() -> tuple[UInt8Array, UInt8Array]:
    """Palette (0 transparent, then each stored operator and ``other``) and its index per stored operator."""
    names = store_operators()
    palette = np.zeros((len(names) + 2, 4), dtype=np.uint8)
    palette[1:, :3] = operator_rgb_table([*names, "other"])
    palette[1:, 3] = ALPHA
    lookup = np.zeros(256, dtype=np.uint8)
    lookup[: len(names) + 1] = np.arange(1, len(names) + 2)
    lookup[NO_OPERATOR] = 0
    return palette, lookup


def draw_png(arrays: TileArrays | None, mode: str, *, factor: int = 1) -> bytes:
    """The coverage PNG of stored arrays, each pixel drawn ``factor`` × ``factor``.

    ``signal``: by level; ``operator``: by the best server's operator (a served pixel
    without one stays transparent, as in the live render).
    """
    if arrays is None:
        return transparent_png()
    if mode == "signal":
        palette, lookup = _signal_palette()
        # np.take: a third of the time of the same gather by fancy indexing.
        index = np.take(lookup, np.ascontiguousarray(arrays.level).view(np.uint16))
    else:
        palette, lookup = _operator_palette()
        index = np.take(lookup, arrays.operator)
    if not index.any():
        return transparent_png()
    if factor > 1:
        index = enlarge(index, factor)
    return encode_indexed_png(index, palette)


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


def _write_atomically(path: Path, data: bytes) -> None:
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
    _write_atomically(path, _codec().compress(payload, asbytes=True))
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
        self._stamp = _stamp(folder / _MANIFEST)
        self._lock = threading.RLock()
        self._file_lock = FileLock(str(folder / _LOCK))

    @classmethod
    def open(cls, root: Path, key: str) -> TileStore | None:
        """The current store of ``key`` under ``root``; None when none was seeded (or it is unreadable)."""
        try:
            name = (root / key / _CURRENT).read_text().strip()
            folder = root / key / name
            manifest = json.loads((folder / _MANIFEST).read_text())
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
        stamp = _stamp(self.folder / _MANIFEST)
        if stamp == self._stamp:
            return
        try:
            manifest = json.loads((self.folder / _MANIFEST).read_text())
        except (OSError, ValueError):
            manifest = {**self._manifest, "revision": -1}
        self._adopt(manifest)
        self._stamp = stamp

    def _save(self) -> None:
        """Write the manifest (call under both locks, after :meth:`_sync`)."""
        manifest = {**self._manifest, "revision": self.revision, "dirty": sorted(self.dirty)}
        _write_atomically(self.folder / _MANIFEST, json.dumps(manifest).encode())
        self._manifest = manifest
        self._stamp = _stamp(self.folder / _MANIFEST)

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
                return True, read_tile(self.folder, tile)
            z, x, y = tile
            shift = self.base_zoom - z
            dirty_base = [
                t for t in self.dirty if t[0] == self.base_zoom and (t[1] >> shift, t[2] >> shift) == (x, y)
            ]
        if renderer is None or len(dirty_base) > MAX_LAZY_BASE_TILES:
            return False, None
        made = self._rebuild(tile, revision, renderer)
        return (True, made) if self.usable(revision) else (False, None)

    def _rebuild(
        self, tile: TileId, revision: int, renderer: Callable[[], CoverageRenderer]
    ) -> TileArrays | None:
        """A dirty tile's arrays from the model (base) or its children, stored if no edit came since."""
        with self._lock:
            if tile not in self.dirty:
                return read_tile(self.folder, tile)
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
        stamp = _stamp(root / key / _CURRENT)
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


# -- seeding -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SeedReport:
    """What :func:`seed` made."""

    folder: Path
    key: str
    revision: int
    base_zoom: int
    base_tiles: int
    stored_tiles: int
    pyramid_tiles: int
    seconds: float


def reachable_tiles(renderer: CoverageRenderer, zoom: int = BASE_ZOOM) -> list[tuple[int, int]]:
    """``(x, y)`` of every zoom-``zoom`` tile some on-air broadband cell's reach touches."""
    cells = renderer.cells.arrays
    if len(renderer.cells) == 0:
        return []
    reach = renderer.max_range_m * 1.01 + 1.0  # a margin for the projection's curvature
    offsets = np.array(
        [(-1, -1), (1, -1), (1, 1), (-1, 1), (0, -1), (1, 0), (0, 1), (-1, 0)], dtype=np.float64
    )
    px = cells.x_m[:, None] + reach[:, None] * offsets[None, :, 0]
    py = cells.y_m[:, None] + reach[:, None] * offsets[None, :, 1]
    to_3857 = pyproj.Transformer.from_crs(renderer.metric_crs, "EPSG:3857", always_xy=True)
    mx, my = (
        np.asarray(a, dtype=np.float64).reshape(px.shape) for a in to_3857.transform(px.ravel(), py.ravel())
    )
    size = tile_size_m(zoom)
    last = (1 << zoom) - 1
    x0 = np.clip(np.floor((mx.min(axis=1) + ORIGIN_SHIFT_M) / size), 0, last).astype(np.int64)
    x1 = np.clip(np.floor((mx.max(axis=1) + ORIGIN_SHIFT_M) / size), 0, last).astype(np.int64)
    y0 = np.clip(np.floor((ORIGIN_SHIFT_M - my.max(axis=1)) / size), 0, last).astype(np.int64)
    y1 = np.clip(np.floor((ORIGIN_SHIFT_M - my.min(axis=1)) / size), 0, last).astype(np.int64)
    found: set[tuple[int, int]] = set()
    for a, b, c, d in np.unique(np.column_stack([x0, x1, y0, y1]), axis=0):
        found.update((tx, ty) for tx in range(int(a), int(b) + 1) for ty in range(int(c), int(d) + 1))
    return sorted(found)


def _seed_part(
    renderer: CoverageRenderer, tiles: Sequence[tuple[int, int]], folder: Path, zoom: int, done: Any
) -> None:
    """Compute and store base tiles, reporting each (1 stored, 0 empty) through ``done``."""
    try:
        for tx, ty in tiles:
            found = renderer.grid(zoom, tx, ty, best_server=True)
            kept = write_tile(folder, (zoom, tx, ty), quantise(found, renderer.operator_names))
            done.put(int(kept))
    except BaseException as exc:  # reported to the parent, which raises
        done.put(f"{type(exc).__name__}: {exc}")


def seed(
    analysis: Analysis,
    *,
    root: Path | None = None,
    processes: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> SeedReport:
    """Compute the pyramid of an analysis and make it the current store of its key.

    Parameters
    ----------
    analysis
        The workspace's analysis (its revision is what the store describes).
    root
        The cache area (default :func:`default_root` of the workspace).
    processes
        Worker processes for the base tiles (default: one per CPU; 1 computes here).
    progress
        Called with ``(done, total)`` base tiles as they finish.
    """
    started = time.perf_counter()
    root = default_root(analysis.ws) if root is None else root
    key = pyramid_key(analysis)
    renderer = CoverageRenderer(analysis.model, analysis.cells, metric_crs=analysis.metric_crs)
    tiles = reachable_tiles(renderer, BASE_ZOOM)
    name = f"r{analysis.revision}-{time.time_ns()}"
    folder = root / key / name
    folder.mkdir(parents=True, exist_ok=False)
    workers = max(1, min(processes or os.cpu_count() or 1, len(tiles) or 1))
    total = len(tiles)
    stored = 0
    if progress is not None:
        progress(0, total)
    if workers == 1:
        for n, (tx, ty) in enumerate(tiles, start=1):
            found = renderer.grid(BASE_ZOOM, tx, ty, best_server=True)
            stored += write_tile(folder, (BASE_ZOOM, tx, ty), quantise(found, renderer.operator_names))
            if progress is not None:
                progress(n, total)
    else:
        stored = _seed_in_processes(renderer, tiles, folder, workers, progress)
    pyramid = _build_levels(folder, BASE_ZOOM)
    manifest = {
        "format": FORMAT_VERSION,
        "key": key,
        "revision": int(analysis.revision),
        "base_zoom": BASE_ZOOM,
        "tile_size": TILE_SIZE,
        "operators": list(store_operators()),
        "base_tiles": total,
        "stored_tiles": stored,
        "pyramid_tiles": pyramid,
        "seconds": round(time.perf_counter() - started, 3),
        "dirty": [],
    }
    _write_atomically(folder / _MANIFEST, json.dumps(manifest).encode())
    _write_atomically(root / key / _CURRENT, name.encode())
    for old in (root / key).iterdir():
        if old.is_dir() and old.name != name:
            shutil.rmtree(old, ignore_errors=True)
    return SeedReport(
        folder, key, int(analysis.revision), BASE_ZOOM, total, stored, pyramid, time.perf_counter() - started
    )


def _seed_in_processes(
    renderer: CoverageRenderer,
    tiles: Sequence[tuple[int, int]],
    folder: Path,
    workers: int,
    progress: Callable[[int, int], None] | None,
) -> int:
    # Forked workers inherit the renderer (cells, model, k-d trees) without pickling it;
    # tiles are dealt round-robin so both get dense and empty areas alike.
    ctx = mp.get_context("fork")
    done = ctx.Queue()
    parts = [
        ctx.Process(target=_seed_part, args=(renderer, tiles[i::workers], folder, BASE_ZOOM, done))
        for i in range(workers)
    ]
    for part in parts:
        part.start()
    stored = 0
    try:
        n = 0
        while n < len(tiles):
            try:
                message = done.get(timeout=5.0)
            except queue.Empty:
                if any(part.is_alive() for part in parts):
                    continue
                try:  # what the last worker sent just before it ended
                    message = done.get(timeout=1.0)
                except queue.Empty:
                    raise WorkspaceError("seeding the coverage tiles failed: a worker process died") from None
            n += 1
            if isinstance(message, str):
                raise WorkspaceError(f"seeding the coverage tiles failed: {message}")
            stored += message
            if progress is not None:
                progress(n, len(tiles))
    finally:
        for part in parts:
            if part.is_alive() and part.exitcode is None:
                part.join(timeout=5)
            if part.is_alive():
                part.terminate()
    return stored


def _build_levels(folder: Path, base_zoom: int) -> int:
    """Every coarser level from the one below it; the number of tiles stored."""
    made = 0
    level = {(int(p.parent.name), int(p.stem)) for p in (folder / str(base_zoom)).glob("*/*.bin")}
    for z in range(base_zoom - 1, -1, -1):
        parents = {(x >> 1, y >> 1) for x, y in level}
        level = set()
        for x, y in parents:
            merged = reduce_children([read_tile(folder, child) for child in children((z, x, y))])
            if write_tile(folder, (z, x, y), merged):
                level.add((x, y))
                made += 1
    return made
