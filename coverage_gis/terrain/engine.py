"""The terrain engine: profiles for many pairs and many sites at once, with a per-site cache.

This module owns the batched, threaded side of terrain losses on one DEM:

* :meth:`TerrainEngine.pair_loss_db` — the loss of each (site, receiver) pair from its
  own profile (villages and places: exact point-to-point paths); known pairs come
  from the :class:`~coverage_gis.terrain.cache.SiteCache`, the rest are computed in
  one batched pass.
* :meth:`TerrainEngine.radial_grids` — for each site, radials every ``step_m`` with
  every sample as a receiver, computed in one pass over all (site, radial) tasks.
  Radials are a binary tree: close to the site only every 2^j-th radial is evaluated,
  so that the spacing between evaluated radials stays at most ``arc_m`` (a raster
  pixel) at every distance and the work follows the number of pixels, not radials ×
  samples. :class:`RadialGrid` answers, for any point within its radius, the value
  bilinear between the evaluated samples around it.

What a loss *means* depends on the method (``terrain.method``):
``delta_bullington`` — the terrain's excess diffraction over a smooth earth, added to
the link budget's empirical path loss; ``itm`` — the whole basic transmission loss.
The compiled kernels run in threads (they release the GIL), each on its own slice of
preallocated outputs: results do not depend on the thread count.
"""

from __future__ import annotations

import itertools
import math
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from coverage_gis._arrays import distinct_rows
from coverage_gis.terrain.cache import SiteCache, SiteKey, receiver_keys
from coverage_gis.terrain.dem import Bounds, Dem, MetricSampler

if TYPE_CHECKING:
    from coverage_gis.models.settings import TerrainSettings

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
Float32Array = NDArray[np.float32]

#: Mean earth radius, metres.
EARTH_RADIUS_M = 6_371_000.0
#: Speed of light, m/s.
SPEED_OF_LIGHT_M_S = 299_792_458.0
#: Default byte budget of the per-site cache.
DEFAULT_CACHE_BYTES = 512 * 1024 * 1024
#: A DEM window larger than this many posts is not kept around for later requests.
_MAX_KEPT_POSTS = 64_000_000
#: Radials near the site: at least this many are evaluated at every distance.
_MIN_RADIALS = 16
#: Default widest spacing between evaluated radials, in sample steps. Lookups are
#: bilinear between the evaluated samples around a point; at 1.5 steps they are as close
#: to each point's own profile as the nearest sample at 1 step was (median and 95th
#: percentile, measured on the synthetic DEM: docs/terrain.md), with a third fewer
#: samples to evaluate.
ARC_STEPS = 1.5


def wavelength_m(band_mhz: FloatArray | float) -> FloatArray:
    """Wavelength of a carrier, metres."""
    return np.asarray(SPEED_OF_LIGHT_M_S / (np.asarray(band_mhz, dtype=np.float64) * 1e6), dtype=np.float64)


@dataclass(frozen=True)
class RadialGrid:
    """Terrain losses on the radials of one site (see the module docstring).

    Only evaluated samples are held, ring after ring: ring ``k`` (the samples at
    ``k * step_m``) is rows ``ring_row[k] .. ring_row[k + 1] - 1`` of ``values``, one
    per evaluated radial in bearing order (radial ``a`` in row
    ``ring_row[k] + a // 2**level_of_sample[k]``). A third less memory than every
    radial at every sample, and neighbouring pixels read neighbouring rows.

    Attributes
    ----------
    x_m, y_m, ground_m
        The site and the ground under it.
    step_m
        Sample spacing along each radial (sample ``k`` at ``k * step_m``).
    n_radials
        Radials, radial ``a`` at bearing ``2π a / n_radials`` (clockwise from north).
    level_of_sample
        ``j`` of each sample: there only radials ``a`` with ``a % 2**j == 0`` are evaluated.
    ring_row
        First row of each ring in ``values`` (one more entry than samples: the end).
    values
        ``(rows, 2)`` float32: the loss toward each evaluated sample as the receiver and
        the ground height there.
    """

    x_m: float
    y_m: float
    ground_m: float
    step_m: float
    n_radials: int
    level_of_sample: IntArray
    ring_row: IntArray
    values: Float32Array

    @classmethod
    def from_radials(
        cls,
        x_m: float,
        y_m: float,
        ground_m: float,
        step_m: float,
        level_of_sample: IntArray,
        loss_db: Float32Array,
        sample_ground_m: Float32Array,
    ) -> RadialGrid:
        """The grid of ``(radials, samples)`` arrays of loss and ground (keeping the evaluated samples)."""
        n_radials = int(loss_db.shape[0])
        level = np.asarray(level_of_sample, dtype=np.int64)
        ring_row = ring_rows(n_radials, level)
        values = np.empty((int(ring_row[-1]), 2), dtype=np.float32)
        for k, j in enumerate(level):
            rows = slice(int(ring_row[k]), int(ring_row[k + 1]))
            values[rows, 0] = loss_db[:: 1 << int(j), k]
            values[rows, 1] = sample_ground_m[:: 1 << int(j), k]
        return cls(x_m, y_m, ground_m, step_m, n_radials, level, ring_row, values)

    @property
    def radius_m(self) -> float:
        """Distance of the last sample."""
        return float((self.level_of_sample.shape[0] - 1) * self.step_m)

    @property
    def nbytes(self) -> int:
        """Memory held, bytes."""
        return int(self.values.nbytes + self.ring_row.nbytes + self.level_of_sample.nbytes)

    def radial(self, a: int) -> tuple[IntArray, Float32Array, Float32Array]:
        """The samples radial ``a`` is evaluated at, and its loss and ground there."""
        span = np.left_shift(1, self.level_of_sample)
        k = np.flatnonzero(a % span == 0)
        rows = self.ring_row[k] + a // span[k]
        return k, self.values[rows, 0], self.values[rows, 1]

    def lookup(self, dx_m: FloatArray, dy_m: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Loss and ground at each offset (east, north) from the site, bilinear between evaluated samples.

        Offsets beyond :attr:`radius_m` take the last sample of their bearing.
        """
        from coverage_gis.terrain._radial_lookup import lookup_points

        dx = np.ascontiguousarray(dx_m, dtype=np.float64).ravel()
        dy = np.ascontiguousarray(dy_m, dtype=np.float64).ravel()
        loss = np.empty(dx.size)
        ground = np.empty(dx.size)
        lookup_points(
            dx,
            dy,
            self.step_m,
            self.n_radials,
            self.level_of_sample,
            self.ring_row,
            self.values,
            loss,
            ground,
        )
        return loss, ground

    def lookup_window(
        self, xs_m: FloatArray, ys_m: FloatArray, rows: IntArray, cols: IntArray, reach_m: float
    ) -> tuple[IntArray, FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]:
        """:meth:`lookup` at the points of a grid window within ``reach_m`` of the site.

        The grid's points are ``(xs_m[c], ys_m[r])``, flat index ``r * len(xs_m) + c``;
        the window is rows ``rows`` × columns ``cols``. Returns, for the points within
        reach (row after row), their flat index, offset from the site (east, north),
        distance (``hypot``), loss and ground.
        """
        from coverage_gis.terrain._radial_lookup import lookup_window

        size = int(rows.size * cols.size)
        point = np.empty(size, dtype=np.int64)
        dx, dy, dist, loss, ground = (np.empty(size) for _ in range(5))
        n = lookup_window(
            np.ascontiguousarray(xs_m, dtype=np.float64),
            np.ascontiguousarray(ys_m, dtype=np.float64),
            np.ascontiguousarray(rows, dtype=np.int64),
            np.ascontiguousarray(cols, dtype=np.int64),
            self.x_m,
            self.y_m,
            float(reach_m),
            self.step_m,
            self.n_radials,
            self.level_of_sample,
            self.ring_row,
            self.values,
            point,
            dx,
            dy,
            dist,
            loss,
            ground,
        )
        return point[:n], dx[:n], dy[:n], dist[:n], loss[:n], ground[:n]


@dataclass(frozen=True)
class SiteArrays:
    """Distinct radio sites: position, ground, antenna height above ground, carrier."""

    x_m: FloatArray
    y_m: FloatArray
    ground_m: FloatArray
    antenna_m: FloatArray
    band_mhz: FloatArray

    def __len__(self) -> int:
        return int(self.x_m.shape[0])


def radial_layout(radius_m: float, step_m: float, arc_m: float) -> tuple[int, IntArray, IntArray]:
    """Radial count, level of each sample and first evaluated sample of each radial.

    ``n = n0 · 2**m`` radials keep the outermost spacing at most ``arc_m``; sample ``k``
    is served by every ``2**j(k)``-th radial, ``j`` as large as keeps the spacing
    ``2π k step / (n / 2**j)`` at most ``arc_m`` (and never below ``_MIN_RADIALS``
    radials).
    """
    n_samples = max(math.ceil(radius_m / step_m - 1e-9), 1) + 1
    needed = max(math.ceil(2.0 * math.pi * (n_samples - 1) * step_m / arc_m), _MIN_RADIALS)
    m = max(math.floor(math.log2(needed / _MIN_RADIALS)), 0)
    n = math.ceil(needed / 2**m) * 2**m
    k = np.arange(n_samples, dtype=np.float64)
    with np.errstate(divide="ignore"):
        level = np.floor(np.log2(n * arc_m / (2.0 * math.pi * np.maximum(k, 1e-9) * step_m)))
    level = np.clip(level, 0, m).astype(np.int64)
    # First sample each level serves from (levels only fall with distance).
    start = np.array([int(np.argmax(level <= j)) for j in range(m + 1)], dtype=np.int64)
    radials = np.arange(n, dtype=np.int64)
    trailing = np.full(n, m, dtype=np.int64)
    nonzero = radials > 0
    # a & -a is a's lowest set bit, a power of two: its log2 is exact.
    lowest = (radials[nonzero] & -radials[nonzero]).astype(np.float64)
    trailing[nonzero] = np.minimum(np.log2(lowest).astype(np.int64), m)
    return n, level, np.maximum(start[trailing], 1)


def ring_rows(n_radials: int, level: IntArray) -> IntArray:
    """First row of each ring of a :class:`RadialGrid` (``n_radials / 2**level[k]`` rows), then the end."""
    return np.concatenate([[0], np.cumsum(np.right_shift(n_radials, level))]).astype(np.int64)


class TerrainEngine:
    """Terrain losses on one DEM for one metric CRS.

    Parameters
    ----------
    dem
        The terrain source.
    metric_crs
        CRS of every coordinate handed in.
    terrain
        Method, sample spacing, earth radius factor, ITM parameters.
    workers
        Threads; None = all CPUs.
    cache_bytes
        Budget of the per-site cache (0 = no caching).
    """

    def __init__(
        self,
        dem: Dem,
        metric_crs: str,
        terrain: TerrainSettings,
        *,
        workers: int | None = None,
        cache_bytes: int = DEFAULT_CACHE_BYTES,
    ) -> None:
        self.dem = dem
        self.metric_crs = metric_crs
        self.terrain = terrain
        self.workers = max(1, (os.cpu_count() or 1) if workers is None else int(workers))
        self.cache: SiteCache[RadialGrid] = SiteCache(cache_bytes)
        self.earth_radius_m = terrain.earth_radius_factor * EARTH_RADIUS_M
        self._sampler: MetricSampler | None = None
        self._sampler_lock = threading.Lock()

    # ------------------------------------------------------------------ DEM access

    def sampler(self, bounds_m: Bounds) -> MetricSampler:
        """A DEM window with its lattice covering ``bounds_m`` (reused while it covers)."""
        with self._sampler_lock:
            current = self._sampler
            if current is not None and current.covers(bounds_m):
                return current
            wanted = bounds_m
            if current is not None:
                ny, nx = current.lattice_col.shape
                union = (
                    min(bounds_m[0], current.x0),
                    min(bounds_m[1], current.y0),
                    max(bounds_m[2], current.x0 + (nx - 1) * current.step),
                    max(bounds_m[3], current.y0 + (ny - 1) * current.step),
                )
                # Grow the kept window only while it stays modest; else read just this one.
                area = (union[2] - union[0]) * (union[3] - union[1])
                if area <= 4.0 * max((bounds_m[2] - bounds_m[0]) * (bounds_m[3] - bounds_m[1]), 1.0):
                    wanted = union
            found = MetricSampler.for_bounds(self.dem, self.metric_crs, _pad(wanted, 200.0))
            if found.window.heights_m.size <= _MAX_KEPT_POSTS:
                self._sampler = found
            return found

    def ground_m(self, x_m: FloatArray, y_m: FloatArray) -> FloatArray:
        """Bilinear DEM height at metric points (NaN off the DEM and on voids)."""
        from coverage_gis.terrain._sampling import ground_at_points

        x = np.ascontiguousarray(x_m, dtype=np.float64)
        y = np.ascontiguousarray(y_m, dtype=np.float64)
        out = np.full(x.shape, np.nan)
        ok = np.isfinite(x) & np.isfinite(y)
        if not ok.any():
            return out
        s = self.sampler(_bounds_of(x[ok], y[ok]))
        got = np.empty(int(ok.sum()))
        ground_at_points(x[ok], y[ok], *s.kernel_args(), got)
        out[ok] = got
        return out

    # ------------------------------------------------------------------ cache keys

    def site_key(self, site: SiteArrays, index: int, receiver_height_m: float) -> SiteKey:
        """The cache key of site ``index``."""
        t = self.terrain
        itm = t.itm
        params: tuple[float | str, ...] = (t.step_m, t.earth_radius_factor)
        if t.method == "itm":
            params += (
                itm.climate,
                itm.surface_refractivity_n,
                itm.ground_permittivity,
                itm.ground_conductivity_s_per_m,
                itm.polarization,
            )
        return SiteKey(
            x_m=round(float(site.x_m[index]), 3),
            y_m=round(float(site.y_m[index]), 3),
            ground_m=round(float(site.ground_m[index]), 2),
            antenna_m=round(float(site.antenna_m[index]), 3),
            band_mhz=round(float(site.band_mhz[index]), 6),
            receiver_height_m=round(float(receiver_height_m), 3),
            method=t.method,
            params=params,
            dem=self.dem.identity,
        )

    # ------------------------------------------------------------------ pairs

    def pair_loss_db(
        self,
        sites: SiteArrays,
        site_index: IntArray,
        rx_x_m: FloatArray,
        rx_y_m: FloatArray,
        rx_ground_m: FloatArray,
        receiver_height_m: float,
    ) -> FloatArray:
        """Terrain loss of each (site, receiver) pair, dB, from its own profile.

        Pairs already known to the cache are not recomputed.
        """
        n = int(site_index.shape[0])
        if n == 0:
            return np.empty(0, dtype=np.float64)
        rkeys = receiver_keys(rx_x_m, rx_y_m)
        # One profile per distinct (site, receiver): the sectors and operators of a site
        # share it. distinct_rows sorts them by site, then receiver: each site's pairs
        # are one run of sorted, distinct receiver keys.
        first, distinct_of = distinct_rows(np.column_stack([site_index, rkeys]))
        site_of = site_index[first]
        receiver = rkeys[first]
        bounds = np.flatnonzero(np.diff(site_of, prepend=-1, append=-1))
        keys = [self.site_key(sites, int(site_of[b]), receiver_height_m) for b in bounds[:-1]]
        loss = self.cache.pair_lookup(keys, receiver, bounds)
        todo = np.flatnonzero(np.isnan(loss))
        if todo.size:
            pick = first[todo]
            fresh = np.full(first.size, np.nan)
            fresh[todo] = self._compute_pairs(
                sites, site_index[pick], rx_x_m[pick], rx_y_m[pick], rx_ground_m[pick], receiver_height_m
            )
            self.cache.pair_store(keys, receiver, fresh, bounds)
            loss[todo] = fresh[todo]
        return np.asarray(loss[distinct_of], dtype=np.float64)

    def _compute_pairs(
        self,
        sites: SiteArrays,
        site_index: IntArray,
        rx_x: FloatArray,
        rx_y: FloatArray,
        rx_ground: FloatArray,
        receiver_height_m: float,
    ) -> FloatArray:

        sx = np.ascontiguousarray(sites.x_m[site_index])
        sy = np.ascontiguousarray(sites.y_m[site_index])
        xs = np.concatenate([sx, rx_x])
        ys = np.concatenate([sy, rx_y])
        s = self.sampler(_bounds_of(xs, ys))
        # Sampling a profile finer than the DEM's posts only interpolates between them.
        step = max(self.terrain.step_m, s.post_spacing_m)
        out = np.empty(site_index.shape[0])
        args = (
            sx,
            sy,
            np.ascontiguousarray(rx_x, dtype=np.float64),
            np.ascontiguousarray(rx_y, dtype=np.float64),
            np.ascontiguousarray(sites.ground_m[site_index]),
            np.ascontiguousarray(rx_ground, dtype=np.float64),
            np.ascontiguousarray(sites.antenna_m[site_index]),
            float(receiver_height_m),
            wavelength_m(sites.band_mhz[site_index]),
        )
        from coverage_gis.terrain._drivers import pairs_pass

        method, params = self._kernel_method()
        self._threads(
            out.size, lambda a, b: pairs_pass(a, b, *args, method, params, step, *s.kernel_args(), out)
        )
        return out

    # ------------------------------------------------------------------ radials

    def radial_grids(
        self,
        sites: SiteArrays,
        radius_m: FloatArray,
        receiver_height_m: float,
        *,
        arc_m: float | None = None,
    ) -> list[RadialGrid]:
        """One :class:`RadialGrid` per site, out to ``radius_m[i]`` (cached per site).

        ``arc_m`` is the widest spacing allowed between evaluated radials (default
        :data:`ARC_STEPS` sample steps).
        """
        step = self.terrain.step_m
        arc = ARC_STEPS * step if arc_m is None else float(arc_m)
        grids: list[RadialGrid | None] = []
        keys = [self.site_key(sites, i, receiver_height_m) for i in range(len(sites))]
        for i, key in enumerate(keys):
            grids.append(self.cache.grid_get(key, float(radius_m[i])))
        todo = [i for i, g in enumerate(grids) if g is None]
        if todo:
            for i, grid in zip(
                todo, self._compute_radials(sites, todo, radius_m, receiver_height_m, arc), strict=True
            ):
                grids[i] = grid
                self.cache.grid_put(keys[i], float(radius_m[i]), grid, grid.nbytes)
        return [g for g in grids if g is not None]

    def _compute_radials(
        self, sites: SiteArrays, todo: list[int], radius_m: FloatArray, receiver_height_m: float, arc: float
    ) -> list[RadialGrid]:

        step = self.terrain.step_m
        idx = np.asarray(todo, dtype=np.int64)
        layouts = [radial_layout(float(radius_m[i]), step, arc) for i in todo]
        n_radials = np.array([lay[0] for lay in layouts], dtype=np.int64)
        n_samples = np.array([lay[1].shape[0] for lay in layouts], dtype=np.int64)
        # Each site's rings (ring_rows) follow the previous site's rows in one output.
        rings = [ring_rows(int(n), lay[1]) for n, lay in zip(n_radials, layouts, strict=True)]
        first_row = np.concatenate([[0], np.cumsum([r[-1] for r in rings])]).astype(np.int64)
        ring = np.concatenate([r + first_row[j] for j, r in enumerate(rings)]).astype(np.int64)
        ring_offset = np.concatenate([[0], np.cumsum(n_samples + 1)[:-1]]).astype(np.int64)
        level = np.concatenate([lay[1] for lay in layouts]).astype(np.int64)
        level_offset = np.concatenate([[0], np.cumsum(n_samples)[:-1]]).astype(np.int64)
        radial_offset = np.concatenate([[0], np.cumsum(n_radials)[:-1]]).astype(np.int64)
        k_from = np.concatenate([lay[2] for lay in layouts]).astype(np.int64)
        task_site = np.repeat(np.arange(idx.size, dtype=np.int64), n_radials)
        task_radial = np.concatenate([np.arange(n, dtype=np.int64) for n in n_radials])
        values = np.empty((int(first_row[-1]), 2), dtype=np.float32)
        reach = radius_m[idx] + step
        sx = np.ascontiguousarray(sites.x_m[idx])
        sy = np.ascontiguousarray(sites.y_m[idx])
        s = self.sampler(
            (
                float((sx - reach).min()),
                float((sy - reach).min()),
                float((sx + reach).max()),
                float((sy + reach).max()),
            )
        )
        per_site = (
            task_site,
            task_radial,
            sx,
            sy,
            np.ascontiguousarray(sites.ground_m[idx]),
            np.ascontiguousarray(sites.antenna_m[idx]),
            wavelength_m(sites.band_mhz[idx]),
            n_radials,
            n_samples,
            radial_offset,
            k_from,
            level,
            level_offset,
            ring,
            ring_offset,
            float(receiver_height_m),
        )
        from coverage_gis.terrain._drivers import radials_pass

        method, params = self._kernel_method()
        self._threads(
            task_site.size,
            lambda a, b: radials_pass(a, b, *per_site, method, params, step, *s.kernel_args(), values),
        )
        return [
            RadialGrid(
                x_m=float(sites.x_m[i]),
                y_m=float(sites.y_m[i]),
                ground_m=float(sites.ground_m[i]),
                step_m=step,
                n_radials=int(n_radials[j]),
                level_of_sample=layouts[j][1],
                ring_row=rings[j],
                values=values[first_row[j] : first_row[j + 1]],
            )
            for j, i in enumerate(todo)
        ]

    def _kernel_method(self) -> tuple[int, FloatArray]:
        from coverage_gis.terrain import _drivers

        if self.terrain.method == "itm":
            from coverage_gis.terrain._itm import itm_parameters

            return _drivers.ITM, np.asarray(itm_parameters(self.terrain.itm), dtype=np.float64)
        return _drivers.DELTA_BULLINGTON, np.array([self.earth_radius_m])

    # ------------------------------------------------------------------ threads

    def _threads(self, n_items: int, run: Callable[[int, int], None]) -> None:
        # Contiguous slices, many per worker so uneven items (long and short paths,
        # cheap and costly radials) still balance and the last slice leaves little
        # for one thread alone.
        if n_items == 0:
            return
        parts = min(n_items, self.workers * 32)
        edges = np.linspace(0, n_items, parts + 1).astype(np.int64)
        slices = [(int(a), int(b)) for a, b in itertools.pairwise(edges) if b > a]
        if self.workers == 1 or len(slices) == 1:
            for a, b in slices:
                run(a, b)
            return
        with ThreadPoolExecutor(max_workers=self.workers) as pool:
            for future in [pool.submit(run, a, b) for a, b in slices]:
                future.result()


def _pad(bounds: Bounds, margin: float) -> Bounds:
    return (bounds[0] - margin, bounds[1] - margin, bounds[2] + margin, bounds[3] + margin)


def _bounds_of(x: FloatArray, y: FloatArray) -> Bounds:
    return (float(np.min(x)), float(np.min(y)), float(np.max(x)), float(np.max(y)))
