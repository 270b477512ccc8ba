"""Seeding the coverage tile pyramid: every reachable base tile from the model, then the coarser zooms.

Owns ``covgis tiles seed``: which base-zoom tiles an on-air broadband cell reaches
(:func:`reachable_tiles`), computing them with :meth:`CoverageRenderer.grid` in forked
worker processes, reducing every coarser zoom from the one below, and making the new
folder the current store of its key (:func:`seed`; the manifest is written last, so a
seed that did not finish is never read). The store it makes is read and kept current
by :mod:`coverage_gis.tiles.pyramid`.
"""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import queue
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyproj

from coverage_gis.errors import WorkspaceError
from coverage_gis.tiles.mercator import ORIGIN_SHIFT_M, TILE_SIZE, tile_size_m
from coverage_gis.tiles.pyramid import (
    BASE_ZOOM,
    CURRENT_FILE,
    FORMAT_VERSION,
    MANIFEST_FILE,
    children,
    default_root,
    pyramid_key,
    read_tile,
    write_atomically,
    write_tile,
)
from coverage_gis.tiles.raster import CoverageRenderer
from coverage_gis.tiles.tile_arrays import quantise, reduce_children, store_operators

if TYPE_CHECKING:
    from coverage_gis.engine import Analysis


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
    write_atomically(folder / MANIFEST_FILE, json.dumps(manifest).encode())
    write_atomically(root / key / CURRENT_FILE, name.encode())
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
