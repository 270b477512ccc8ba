"""The terrain coverage model (``terrain``): the link budget over a DEM.

For each (receiver, cell) pair within the cell's reach this model takes

* the ground heights under the site and the receiver from the DEM (bilinear; the
  arrays' ``ground_m``, then 0 m, where the DEM has none), and with them the
  elevation angle of the receiver below the antenna for the vertical pattern —
  ``atan((ground_site + mast - ground_rx - h_rx) / d)``, not the mast height alone;
* the path loss by the workspace's terrain method (``terrain.method`` in
  ``coverage_models.yaml``, see :mod:`coverage_gis.terrain`):

  - ``delta_bullington`` (default): the link budget's formula (COST-231 Hata or 3GPP
    38.901, which already hold smooth ground) plus the terrain's *excess* diffraction
    over a smooth earth from the pair's own profile (ITU-R P.1812-6 delta-Bullington,
    ``L_bulla - L_bulls``): 0 dB on flat ground, ``J(ν)`` plus the Bullington
    correction over a single ridge, the equivalent Bullington edge over several;
  - ``itm``: the Longley–Rice ITM 1.2.2 point-to-point median loss in place of the
    formula.

The level is ``eirp - reference offset - margin - path loss + antenna gain`` as in
:mod:`coverage_gis.models.pathloss`; a cell serves at the technology's threshold. A
pair the flat-ground formula serves but the terrain does not is ``terrain_blocked``
(the gap analysis reports it as ``terrain_shadow``).

Only pairs that could still be served get a profile: with delta-Bullington the
flat-ground level bounds the terrain level from above (the excess is never
negative), with ITM the free-space level (less ITM's largest median gain); the
signal of the other pairs is that bound. Profiles are cached per site (position,
ground, antenna height, carrier, receiver height, method, DEM), so after a site edit
only that site's pairs are drawn again.

:meth:`TerrainModel.best_signal_at` evaluates the best server at any points from
per-site radial grids (one pass per site, every sample a receiver) — what rasters and
map tiles use; see :mod:`coverage_gis.terrain.raster`.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pyproj

from coverage_gis.errors import WorkspaceError
from coverage_gis.models.base import (
    CandidatePairs,
    CellArrays,
    FloatArray,
    IntArray,
    ReceiverArrays,
    pairs_within_reach,
)
from coverage_gis.models.pathloss import LinkBudget, pair_offsets_m
from coverage_gis.models.settings import ModelSettings
from coverage_gis.terrain.dem import open_dem
from coverage_gis.terrain.engine import DEFAULT_CACHE_BYTES, SiteArrays, TerrainEngine, wavelength_m


class TerrainModel:
    """Link budget over a DEM with terrain diffraction (delta-Bullington) or ITM.

    Parameters
    ----------
    settings
        Model settings (link budget, thresholds, antenna, ``terrain`` section).
    dem_path
        A GeoTIFF of ground heights in metres (any CRS), one SRTM ``.hgt`` tile, or a
        folder of ``.hgt`` tiles; read by window, when first needed.
    metric_crs
        CRS of the coordinates given to the model. None: the DEM's CRS, which must
        then be projected in metres.
    workers
        Threads for the pair search and the profiles; None = all CPUs.
    cache_bytes
        Budget of the per-site profile cache (0 disables it).

    Raises
    ------
    WorkspaceError
        The DEM is missing or unreadable, has no CRS, or the metric CRS is unknown.
    """

    name: str = "terrain"

    def __init__(
        self,
        settings: ModelSettings,
        dem_path: Path,
        metric_crs: str | None,
        *,
        workers: int | None = None,
        cache_bytes: int = DEFAULT_CACHE_BYTES,
    ) -> None:
        self.settings = settings
        self.dem_path = Path(dem_path)
        self.workers = workers
        dem = open_dem(self.dem_path)
        dem_crs = pyproj.CRS.from_user_input(dem.crs)
        if metric_crs is None:
            if not dem_crs.is_projected or {a.unit_name for a in dem_crs.axis_info} != {"metre"}:
                raise WorkspaceError(
                    f"{self.dem_path}: the DEM is not in a metric CRS; give the workspace's "
                    "metric_crs so the model can transform to it"
                )
            metric = dem_crs
        else:
            try:
                metric = pyproj.CRS.from_user_input(metric_crs)
            except pyproj.exceptions.CRSError as exc:
                raise WorkspaceError(f"unknown metric CRS {metric_crs!r}: {exc}") from None
        self.metric_crs = metric.to_string()
        self.method = settings.terrain.method
        self.engine = TerrainEngine(
            dem, self.metric_crs, settings.terrain, workers=workers, cache_bytes=cache_bytes
        )

    # ------------------------------------------------------------------ ground

    def ground_m(self, x_m: FloatArray, y_m: FloatArray) -> FloatArray:
        """Bilinear DEM height at metric-CRS points (NaN off the DEM or on voids)."""
        return self.engine.ground_m(np.asarray(x_m, dtype=np.float64), np.asarray(y_m, dtype=np.float64))

    def _ground_with_fallback(
        self, x_m: FloatArray, y_m: FloatArray, given_m: FloatArray | None
    ) -> FloatArray:
        ground = self.ground_m(x_m, y_m)
        if given_m is not None:
            ground = np.where(np.isnan(ground), given_m, ground)
        return np.asarray(np.nan_to_num(ground, nan=0.0), dtype=np.float64)

    def _sites(self, cells: CellArrays) -> tuple[SiteArrays, IntArray]:
        """Distinct radio sites of the cells (position, antenna height, carrier) and each cell's site."""
        key = np.column_stack([cells.x_m, cells.y_m, cells.height_m, cells.band_mhz])
        order = np.lexsort(key.T[::-1])
        new = np.ones(order.size, dtype=bool)
        new[1:] = (np.diff(key[order], axis=0) != 0).any(axis=1)
        first = order[new]
        site_of_cell = np.empty(order.size, dtype=np.int64)
        site_of_cell[order] = np.cumsum(new) - 1
        ground = self._ground_with_fallback(
            cells.x_m[first], cells.y_m[first], None if cells.ground_m is None else cells.ground_m[first]
        )
        sites = SiteArrays(
            x_m=cells.x_m[first],
            y_m=cells.y_m[first],
            ground_m=ground,
            antenna_m=cells.height_m[first],
            band_mhz=cells.band_mhz[first],
        )
        return sites, site_of_cell

    # ------------------------------------------------------------------ reach

    def _free_space_floor_db(self, cells: CellArrays, cell: IntArray, distance_m: FloatArray) -> FloatArray:
        """A lower bound of the ITM median loss: free space less ITM's largest median gain."""
        from coverage_gis.terrain.itm import median_gain_bound_db

        lam = wavelength_m(cells.band_mhz[cell])
        fspl = 20.0 * np.log10(4.0 * math.pi * np.maximum(distance_m, 1.0) / lam)
        return np.asarray(fspl - median_gain_bound_db(self.settings.terrain.itm), dtype=np.float64)

    def _reach_m(self, budget: LinkBudget) -> FloatArray:
        if self.method != "itm":
            return budget.reach_m()
        from coverage_gis.terrain.itm import median_gain_bound_db

        cells = budget.cells
        margin_db = (
            budget.reference_dbm - budget.threshold_dbm + median_gain_bound_db(self.settings.terrain.itm)
        )
        reach = wavelength_m(cells.band_mhz) / (4.0 * math.pi) * np.power(10.0, margin_db / 20.0)
        # The 1 m floor of the loss above, a hair of slack, and the settings' hard cap.
        reach = np.maximum(reach, 1.0) * (1.0 + 1e-9)
        return np.asarray(np.minimum(reach, self.settings.pathloss.max_range_m), dtype=np.float64)

    def max_range_m(self, cells: CellArrays) -> FloatArray:
        """Per-cell upper bound of the service distance, metres (terrain only shortens it)."""
        budget = LinkBudget(cells, settings=self.settings, receiver_height_m=self.settings.receiver_height_m)
        return self._reach_m(budget)

    # ------------------------------------------------------------------ pairs

    def candidate_pairs(
        self, receivers: ReceiverArrays, cells: CellArrays, *, keep_unserved: bool = True
    ) -> CandidatePairs:
        """Every pair within reach with its terrain level, served and terrain-blocked flags.

        Parameters
        ----------
        receivers, cells
            Inputs in one metric CRS.
        keep_unserved
            False keeps only the pairs that are served or terrain-blocked (those
            coverage and gap reasons need).
        """
        if len(receivers) == 0 or len(cells) == 0:
            return CandidatePairs.empty()
        budget = LinkBudget(cells, settings=self.settings, receiver_height_m=receivers.height_m)
        recv, cell, dist = pairs_within_reach(
            receivers.x_m, receivers.y_m, cells.x_m, cells.y_m, self._reach_m(budget), workers=self.workers
        )
        if recv.size == 0:
            return CandidatePairs.empty()
        sites, site_of_cell = self._sites(cells)
        used = np.zeros(len(receivers), dtype=bool)
        used[recv] = True
        rx_ground = np.zeros(len(receivers))
        rx_ground[used] = self._ground_with_fallback(
            receivers.x_m[used],
            receivers.y_m[used],
            None if receivers.ground_m is None else receivers.ground_m[used],
        )
        dx, dy = pair_offsets_m(receivers, cells, recv, cell)
        site = site_of_cell[cell]
        height_difference = sites.ground_m[site] + cells.height_m[cell] - rx_ground[recv] - receivers.height_m
        gain = budget.antenna_gain_db(cell, dx, dy, dist, height_difference_m=height_difference)
        reference = budget.reference_dbm[cell]
        threshold = budget.threshold_dbm[cell]
        flat = reference - budget.path_loss_db(cell, dist) + gain
        if self.method == "itm":
            signal = reference - self._free_space_floor_db(cells, cell, dist) + gain
        else:
            signal = flat.copy()
        need = np.flatnonzero(signal >= threshold)
        if need.size:
            loss = self.engine.pair_loss_db(
                sites,
                site[need],
                receivers.x_m[recv[need]],
                receivers.y_m[recv[need]],
                rx_ground[recv[need]],
                receivers.height_m,
            )
            signal[need] = (
                (reference[need] + gain[need] - loss) if self.method == "itm" else (signal[need] - loss)
            )
        served = signal >= threshold
        blocked = (flat >= threshold) & ~served
        pairs = CandidatePairs(recv, cell, dist, signal, served, blocked)
        if keep_unserved:
            return pairs
        keep = np.flatnonzero(served | blocked)
        return CandidatePairs(recv[keep], cell[keep], dist[keep], signal[keep], served[keep], blocked[keep])

    # ------------------------------------------------------------------ rasters

    def best_signal_at(
        self,
        x_m: FloatArray,
        y_m: FloatArray,
        cells: CellArrays,
        *,
        receiver_height_m: float | None = None,
    ) -> tuple[FloatArray, IntArray]:
        """Best level over the cells at each point, dBm (NaN where none reaches), and its cell (-1).

        The level is the model's level whether or not it reaches the threshold; the
        terrain part comes from each site's radial grid (nearest evaluated sample, at
        most half a sample step along and half ``step_m`` across), computed once per
        site and cached.
        """
        x = np.asarray(x_m, dtype=np.float64).ravel()
        y = np.asarray(y_m, dtype=np.float64).ravel()
        best = np.full(x.size, np.nan)
        best_cell = np.full(x.size, -1, dtype=np.int64)
        if x.size == 0 or len(cells) == 0:
            return best, best_cell
        h_rx = self.settings.receiver_height_m if receiver_height_m is None else float(receiver_height_m)
        budget = LinkBudget(cells, settings=self.settings, receiver_height_m=h_rx)
        reach = self._reach_m(budget)
        sites, site_of_cell = self._sites(cells)
        site_reach = np.zeros(len(sites))
        np.maximum.at(site_reach, site_of_cell, reach)
        point, site, dist = pairs_within_reach(x, y, sites.x_m, sites.y_m, site_reach, workers=self.workers)
        if point.size == 0:
            return best, best_cell
        grids = self.engine.radial_grids(sites, site_reach, h_rx)
        loss_t = np.empty(point.size)
        rx_ground = np.empty(point.size)
        order = np.argsort(site, kind="stable")
        for group in np.split(order, np.flatnonzero(np.diff(site[order])) + 1):
            s = int(site[group[0]])
            loss_t[group], rx_ground[group] = grids[s].lookup(
                x[point[group]] - sites.x_m[s], y[point[group]] - sites.y_m[s]
            )
        # (point, site) -> (point, cell): the j-th cell of every site with more than j.
        cell_order = np.argsort(site_of_cell, kind="stable")
        count = np.bincount(site_of_cell, minlength=len(sites))
        first = np.concatenate([[0], np.cumsum(count)[:-1]])
        parts = []
        for slot in range(int(count.max())):
            sel = np.flatnonzero(count[site] > slot)
            parts.append((sel, cell_order[first[site[sel]] + slot]))
        pair = np.concatenate([p[0] for p in parts])
        cell = np.concatenate([p[1] for p in parts])
        keep = dist[pair] <= reach[cell]
        pair, cell = pair[keep], cell[keep]
        pt, d = point[pair], dist[pair]
        dx = x[pt] - cells.x_m[cell]
        dy = y[pt] - cells.y_m[cell]
        height_difference = sites.ground_m[site[pair]] + cells.height_m[cell] - rx_ground[pair] - h_rx
        gain = budget.antenna_gain_db(cell, dx, dy, d, height_difference_m=height_difference)
        if self.method == "itm":
            level = budget.reference_dbm[cell] - loss_t[pair] + gain
        else:
            level = budget.reference_dbm[cell] - budget.path_loss_db(cell, d) + gain - loss_t[pair]
        level = np.where(np.isnan(level), -np.inf, level)
        order = np.lexsort((level, pt))
        last = np.append(pt[order][1:] != pt[order][:-1], True)
        winners = order[last]
        best[pt[winners]] = np.where(np.isneginf(level[winners]), np.nan, level[winners])
        best_cell[pt[winners]] = cell[winners]
        return best, best_cell
