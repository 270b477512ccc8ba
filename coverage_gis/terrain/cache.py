"""Per-site cache of terrain results, so a site edit recomputes that site only.

Terrain losses depend on a site's position, ground and antenna height, the frequency,
the receiver height, the method and its parameters and the DEM — not on the cell's
azimuth, tilt, EIRP or operator. :class:`SiteKey` holds exactly those, and the cache
maps it to

* the losses already computed toward individual receivers (villages, places), looked
  up by receiver position quantised to a centimetre, and
* radial grids (a signal raster's terrain part around the site) by radius.

Editing a site changes its key; every other site's entries stay valid, and the
edited site's old entries age out (least recently used first) once the cache passes
its byte budget. The cache is owned by one model instance; a lock makes it safe for
the threads of a tile server.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

#: Receiver positions are matched to the centimetre.
_QUANTUM_M = 0.01


@dataclass(frozen=True)
class SiteKey:
    """Everything a site's terrain losses depend on (rounded so float noise does not split keys)."""

    x_m: float
    y_m: float
    ground_m: float
    antenna_m: float
    band_mhz: float
    receiver_height_m: float
    method: str
    params: tuple[float | str, ...]
    dem: str


def receiver_keys(x_m: FloatArray, y_m: FloatArray) -> IntArray:
    """One int64 per receiver position, equal for positions within the same centimetre."""
    xq = np.rint(np.asarray(x_m) / _QUANTUM_M).astype(np.int64)
    yq = np.rint(np.asarray(y_m) / _QUANTUM_M).astype(np.int64)
    # Metric coordinates stay far below 2**31 cm (21,000 km), so the packing is exact.
    return np.asarray(xq * (1 << 31) + yq, dtype=np.int64)


class _PairStore:
    """Sorted receiver keys of one site and their losses."""

    def __init__(self) -> None:
        self.keys: IntArray = np.empty(0, dtype=np.int64)
        self.loss_db: FloatArray = np.empty(0, dtype=np.float64)

    @property
    def nbytes(self) -> int:
        return int(self.keys.nbytes + self.loss_db.nbytes) + 64

    def lookup(self, keys: IntArray) -> tuple[NDArray[np.bool_], FloatArray]:
        pos = np.minimum(np.searchsorted(self.keys, keys), max(self.keys.size - 1, 0))
        found = (self.keys[pos] == keys) if self.keys.size else np.zeros(keys.shape, dtype=bool)
        values = np.where(found, self.loss_db[pos] if self.keys.size else 0.0, np.nan)
        return found, np.asarray(values, dtype=np.float64)

    def add(self, keys: IntArray, loss_db: FloatArray) -> None:
        """Add sorted, distinct receiver keys (known keys keep their loss)."""
        if self.keys.size == 0:
            self.keys = keys.copy()
            self.loss_db = loss_db.copy()
            return
        merged_keys = np.concatenate([self.keys, keys])
        merged_loss = np.concatenate([self.loss_db, loss_db])
        distinct, first = np.unique(merged_keys, return_index=True)
        self.keys = distinct
        self.loss_db = merged_loss[first]


V = TypeVar("V")


class SiteCache(Generic[V]):
    """Least-recently-used cache of per-site terrain results within a byte budget.

    Parameters
    ----------
    max_bytes
        Budget for all entries; 0 disables caching (every call recomputes).
    """

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = int(max_bytes)
        self._pairs: OrderedDict[SiteKey, _PairStore] = OrderedDict()
        self._grids: OrderedDict[tuple[SiteKey, float], tuple[V, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        #: Receivers and grids served from the cache / computed, since creation.
        self.hits = 0
        self.misses = 0

    @property
    def nbytes(self) -> int:
        """Bytes held."""
        return self._bytes

    def pair_lookup(self, keys: Sequence[SiteKey], receiver: IntArray, bounds: IntArray) -> FloatArray:
        """Known losses of runs of receivers (NaN where not known).

        Run ``i`` is ``receiver[bounds[i] : bounds[i + 1]]``, receivers of site ``keys[i]``.
        """
        out = np.full(receiver.shape, np.nan)
        with self._lock:
            for i, key in enumerate(keys):
                store = self._pairs.get(key)
                if store is not None:
                    self._pairs.move_to_end(key)
                    a, b = int(bounds[i]), int(bounds[i + 1])
                    out[a:b] = store.lookup(receiver[a:b])[1]
            found = int(np.count_nonzero(~np.isnan(out)))
            self.hits += found
            self.misses += int(receiver.size) - found
        return out

    def pair_store(
        self, keys: Sequence[SiteKey], receiver: IntArray, loss_db: FloatArray, bounds: IntArray
    ) -> None:
        """Remember the losses of runs of receivers (as :meth:`pair_lookup`; NaN entries are skipped).

        Each run's receivers are sorted and distinct (what ``distinct_rows`` gives).
        """
        if self.max_bytes <= 0 or receiver.size == 0:
            return
        with self._lock:
            for i, key in enumerate(keys):
                a, b = int(bounds[i]), int(bounds[i + 1])
                known = ~np.isnan(loss_db[a:b])
                if not known.any():
                    continue
                store = self._pairs.get(key)
                if store is None:
                    store = self._pairs[key] = _PairStore()
                self._bytes -= store.nbytes
                store.add(receiver[a:b][known], loss_db[a:b][known])
                self._bytes += store.nbytes
                self._pairs.move_to_end(key)
            self._evict()

    def grid_get(self, key: SiteKey, radius_m: float) -> V | None:
        """A cached radial grid of ``key`` reaching at least ``radius_m``, if any."""
        with self._lock:
            for (site, reach), (grid, _) in reversed(self._grids.items()):
                if site == key and reach >= radius_m:
                    self._grids.move_to_end((site, reach))
                    self.hits += 1
                    return grid
            self.misses += 1
            return None

    def grid_put(self, key: SiteKey, radius_m: float, grid: V, nbytes: int) -> None:
        """Remember a radial grid (skipped when it alone exceeds the budget)."""
        if nbytes > self.max_bytes:
            return
        with self._lock:
            old = self._grids.pop((key, radius_m), None)
            if old is not None:
                self._bytes -= old[1]
            self._grids[(key, radius_m)] = (grid, nbytes)
            self._bytes += nbytes
            self._evict()

    def clear(self) -> None:
        """Forget everything."""
        with self._lock:
            self._pairs.clear()
            self._grids.clear()
            self._bytes = 0

    def _evict(self) -> None:
        while self._bytes > self.max_bytes and (self._pairs or self._grids):
            # Radial grids go first (they are the big ones), then pair stores, oldest first.
            if self._grids:
                _, (_, nbytes) = self._grids.popitem(last=False)
                self._bytes -= nbytes
            else:
                _, store = self._pairs.popitem(last=False)
                self._bytes -= store.nbytes
