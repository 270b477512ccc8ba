"""The terrain coverage model (``terrain``): link budget plus DEM knife-edge diffraction.

This module owns the terrain side of a link: reading the workspace DEM once, sampling
it (bilinear) at metric-CRS points transformed to the DEM's CRS, drawing the profile
of every candidate path, and the single-edge diffraction loss of its dominant
obstacle.

For each pair that the flat-ground link budget serves (diffraction only ever adds
loss, so no other pair can become served), the profile is sampled every
``terrain.step_m`` metres between the site and the receiver. With the antenna tops at
ground + mast height (site) and ground + receiver height, each sample's clearance
above the straight ray is ``ground + earth bulge - ray height``, the bulge being
``d1 d2 / (2 k R)`` with the effective earth radius factor ``k`` (4/3). The sample with
the largest Fresnel–Kirchhoff ν is the dominant edge (Deygout's first step), and
``J(ν)`` of ITU-R P.526 is subtracted from the level. A pair served on flat ground
but not after diffraction is ``terrain_blocked``, which the gap analysis reports as
``terrain_shadow``.

The signal of a pair not served on flat ground is the flat-ground level (an upper
bound: its profile is not drawn, and it is unserved either way). DEM samples that
fall outside the raster or on nodata are ignored as obstacles; the site's and the
receiver's ground heights fall back to ``ground_m`` of the arrays, then to 0 m.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pyproj
from numpy.typing import NDArray

from coverage_gis.errors import WorkspaceError
from coverage_gis.models.base import (
    CandidatePairs,
    CellArrays,
    FloatArray,
    IntArray,
    ReceiverArrays,
)
from coverage_gis.models.pathloss import PathlossModel
from coverage_gis.models.propagation import fresnel_kirchhoff_nu, knife_edge_loss_db, wavelength_m
from coverage_gis.models.settings import ModelSettings

#: Mean earth radius, metres.
EARTH_RADIUS_M = 6_371_000.0


class TerrainModel:
    """Link budget with knife-edge diffraction over a DEM.

    Parameters
    ----------
    settings
        Model settings (link budget, thresholds, ``terrain.step_m``, ``k``).
    dem_path
        GeoTIFF of ground heights in metres, in any CRS; read once, here.
    metric_crs
        CRS of the coordinates given to :meth:`candidate_pairs`. None: the DEM's CRS,
        which must then be projected in metres.
    chunk_samples
        Profile samples processed at once per thread; bounds memory (~150 bytes a
        sample).
    workers
        Threads for the candidate search and the profiles; None = all CPUs.

    Raises
    ------
    WorkspaceError
        The DEM is missing, unreadable, has no CRS, or the metric CRS is unknown.
    """

    name: str = "terrain"

    def __init__(
        self,
        settings: ModelSettings,
        dem_path: Path,
        metric_crs: str | None,
        *,
        chunk_samples: int = 500_000,
        workers: int | None = None,
    ) -> None:
        import rasterio
        from rasterio.errors import RasterioIOError

        self.settings = settings
        self.dem_path = Path(dem_path)
        self.chunk_samples = max(int(chunk_samples), 1)
        self.workers = workers
        self._pathloss = PathlossModel(settings, workers=workers)
        if not self.dem_path.is_file():
            raise WorkspaceError(f"{self.dem_path}: DEM file not found")
        try:
            with rasterio.open(self.dem_path) as src:
                band = src.read(1, masked=True)
                dem_crs = src.crs
                inverse = ~src.transform
        except (RasterioIOError, OSError) as exc:
            raise WorkspaceError(f"{self.dem_path}: cannot read the DEM: {exc}") from None
        if dem_crs is None:
            raise WorkspaceError(f"{self.dem_path}: the DEM has no CRS; write one into the GeoTIFF")
        # float32 halves the footprint of a provincial DEM; millimetres are plenty.
        self._height_m: NDArray[np.float32] = np.ma.filled(band.astype(np.float32), np.nan)
        self._inverse = (inverse.a, inverse.b, inverse.c, inverse.d, inverse.e, inverse.f)

        dem = pyproj.CRS.from_user_input(dem_crs.to_wkt())
        if metric_crs is None:
            if not dem.is_projected or {a.unit_name for a in dem.axis_info} != {"metre"}:
                raise WorkspaceError(
                    f"{self.dem_path}: the DEM is not in a metric CRS; give the workspace's "
                    "metric_crs so the model can transform to it"
                )
            metric = dem
        else:
            try:
                metric = pyproj.CRS.from_user_input(metric_crs)
            except pyproj.exceptions.CRSError as exc:
                raise WorkspaceError(f"unknown metric CRS {metric_crs!r}: {exc}") from None
        self.metric_crs = metric.to_string()
        self._to_dem: pyproj.Transformer | None = (
            None if metric == dem else pyproj.Transformer.from_crs(metric, dem, always_xy=True)
        )

    # ------------------------------------------------------------------ DEM sampling

    def ground_m(self, x_m: FloatArray, y_m: FloatArray) -> FloatArray:
        """Bilinear DEM height at metric-CRS points (NaN outside the raster or on nodata)."""
        x = np.asarray(x_m, dtype=np.float64)
        y = np.asarray(y_m, dtype=np.float64)
        if self._to_dem is not None:
            x, y = self._to_dem.transform(x, y)
            x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
        a, b, c, d, e, f = self._inverse
        col = a * x + b * y + c
        row = d * x + e * y + f
        n_rows, n_cols = self._height_m.shape
        inside = (col >= 0) & (col <= n_cols) & (row >= 0) & (row <= n_rows)
        # Pixel values sit at pixel centres; clamp to the outermost centres so the
        # half-pixel border interpolates to the edge value.
        fc = np.clip(np.nan_to_num(col, nan=0.0) - 0.5, 0.0, n_cols - 1.0)
        fr = np.clip(np.nan_to_num(row, nan=0.0) - 0.5, 0.0, n_rows - 1.0)
        c0 = np.minimum(np.floor(fc).astype(np.int64), max(n_cols - 2, 0))
        r0 = np.minimum(np.floor(fr).astype(np.int64), max(n_rows - 2, 0))
        c1 = np.minimum(c0 + 1, n_cols - 1)
        r1 = np.minimum(r0 + 1, n_rows - 1)
        tc = fc - c0
        tr = fr - r0
        z = self._height_m
        top = z[r0, c0] * (1.0 - tc) + z[r0, c1] * tc
        bottom = z[r1, c0] * (1.0 - tc) + z[r1, c1] * tc
        out = top * (1.0 - tr) + bottom * tr
        return np.asarray(np.where(inside, out, np.nan), dtype=np.float64)

    def _ground_with_fallback(
        self, x_m: FloatArray, y_m: FloatArray, given_m: FloatArray | None
    ) -> FloatArray:
        ground = self.ground_m(x_m, y_m)
        if given_m is not None:
            ground = np.where(np.isnan(ground), given_m, ground)
        return np.asarray(np.nan_to_num(ground, nan=0.0), dtype=np.float64)

    def _ground_of(self, points: CellArrays | ReceiverArrays, used: IntArray) -> FloatArray:
        """Ground height of every point (0 where unused): DEM, else the points' own, else 0."""
        distinct = _distinct_indices(used, len(points))
        ground = np.zeros(len(points))
        ground[distinct] = self._ground_with_fallback(
            points.x_m[distinct],
            points.y_m[distinct],
            None if points.ground_m is None else points.ground_m[distinct],
        )
        return ground

    # ------------------------------------------------------------------ model

    def max_range_m(self, cells: CellArrays) -> FloatArray:
        """The link-budget reach (diffraction only reduces it), metres."""
        return self._pathloss.max_range_m(cells)

    def candidate_pairs(
        self, receivers: ReceiverArrays, cells: CellArrays, *, keep_unserved: bool = True
    ) -> CandidatePairs:
        """The path-loss pairs, with diffraction applied to those served on flat ground.

        Parameters
        ----------
        receivers, cells
            Inputs in one metric CRS.
        keep_unserved
            False keeps only the pairs served on flat ground (each is then either
            served or ``terrain_blocked``), the ones coverage and gap reasons need.
        """
        flat = self._pathloss.candidate_pairs(receivers, cells, keep_unserved=keep_unserved)
        idx = np.flatnonzero(flat.served)
        if idx.size == 0:
            return flat
        recv = flat.receiver[idx]
        cell = flat.cell[idx]
        site_ground = self._ground_of(cells, cell)
        recv_ground = self._ground_of(receivers, recv)
        nu = self._dominant_nu(
            site_x_m=cells.x_m[cell],
            site_y_m=cells.y_m[cell],
            site_top_m=site_ground[cell] + cells.height_m[cell],
            receiver_x_m=receivers.x_m[recv],
            receiver_y_m=receivers.y_m[recv],
            receiver_top_m=recv_ground[recv] + receivers.height_m,
            distance_m=flat.distance_m[idx],
            wavelength=wavelength_m(cells.band_mhz[cell]),
        )
        signal = flat.signal_dbm.copy()
        signal[idx] -= knife_edge_loss_db(nu)
        served = flat.served.copy()
        served[idx] = signal[idx] >= self.settings.threshold_for_cells(cells.tech)[cell]
        blocked = flat.served & ~served
        return CandidatePairs(flat.receiver, flat.cell, flat.distance_m, signal, served, blocked)

    def _dominant_nu(
        self,
        *,
        site_x_m: FloatArray,
        site_y_m: FloatArray,
        site_top_m: FloatArray,
        receiver_x_m: FloatArray,
        receiver_y_m: FloatArray,
        receiver_top_m: FloatArray,
        distance_m: FloatArray,
        wavelength: FloatArray,
    ) -> FloatArray:
        """Largest Fresnel–Kirchhoff ν over each path's interior samples (-inf: none)."""
        step = self.settings.terrain.step_m
        k_radius_m = self.settings.terrain.earth_radius_factor * EARTH_RADIUS_M
        # Interior samples at step, 2·step, … strictly before the receiver.
        n_samples = np.maximum(np.ceil(distance_m / step).astype(np.int64) - 1, 0)
        out = np.full(distance_m.shape, -np.inf)
        ends = np.cumsum(n_samples)
        # Chunks of consecutive pairs holding about chunk_samples samples (at least one
        # pair each) bound the memory; they are independent, so threads share them.
        chunks: list[IntArray] = []
        start = 0
        while start < distance_m.size:
            base = ends[start - 1] if start > 0 else 0
            stop = max(int(np.searchsorted(ends, base + self.chunk_samples, side="right")), start + 1)
            chunk = np.arange(start, stop)
            chunk = chunk[n_samples[chunk] > 0]
            if chunk.size:
                chunks.append(chunk)
            start = stop

        def run(chunk: IntArray) -> FloatArray:
            return self._chunk_nu(
                n_samples[chunk],
                chunk,
                step,
                k_radius_m,
                site_x_m,
                site_y_m,
                site_top_m,
                receiver_x_m,
                receiver_y_m,
                receiver_top_m,
                distance_m,
                wavelength,
            )

        n_workers = max(1, (os.cpu_count() or 1) if self.workers is None else self.workers)
        if n_workers == 1 or len(chunks) <= 1:
            results = [run(c) for c in chunks]
        else:
            with ThreadPoolExecutor(max_workers=n_workers) as pool:
                results = list(pool.map(run, chunks))
        for chunk, nu in zip(chunks, results, strict=True):
            out[chunk] = nu
        return out

    def _chunk_nu(
        self,
        n: IntArray,
        pairs: IntArray,
        step: float,
        k_radius_m: float,
        sx: FloatArray,
        sy: FloatArray,
        s_top: FloatArray,
        rx: FloatArray,
        ry: FloatArray,
        r_top: FloatArray,
        dist: FloatArray,
        lam: FloatArray,
    ) -> FloatArray:
        offsets = np.cumsum(n) - n
        owner = np.repeat(pairs, n)
        k = np.arange(int(n.sum())) - np.repeat(offsets, n) + 1
        d1 = k * step
        d = dist[owner]
        frac = d1 / d
        x = sx[owner] + frac * (rx[owner] - sx[owner])
        y = sy[owner] + frac * (ry[owner] - sy[owner])
        ground = self.ground_m(x, y)
        d2 = d - d1
        ray = s_top[owner] + frac * (r_top[owner] - s_top[owner])
        clearance = ground + d1 * d2 / (2.0 * k_radius_m) - ray
        with np.errstate(divide="ignore", invalid="ignore"):
            nu = fresnel_kirchhoff_nu(clearance, d1, d2, lam[owner])
        # d2 can round to 0 on the last sample; NaN ground (outside/nodata) is no edge.
        nu = np.where(np.isnan(nu) | (d2 <= 0.0), -np.inf, nu)
        return np.asarray(np.maximum.reduceat(nu, offsets), dtype=np.float64)


def _distinct_indices(index: IntArray, size: int) -> IntArray:
    # A mask is O(n); np.unique sorts (and is very slow on large arrays in numpy 2.4).
    used = np.zeros(size, dtype=bool)
    used[index] = True
    return np.flatnonzero(used)
