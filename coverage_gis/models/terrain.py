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
import threading
from pathlib import Path

import numpy as np
import pyproj

from coverage_gis._arrays import distinct_rows
from coverage_gis.errors import WorkspaceError
from coverage_gis.models.base import (
    CandidatePairs,
    CellArrays,
    FloatArray,
    IntArray,
    ReceiverArrays,
    pairs_within_reach,
)
from coverage_gis.models.pathloss import LinkBudget, pair_offsets_m, range_cap_m, select_pairs
from coverage_gis.models.settings import ModelSettings
from coverage_gis.models.validity import FlagArray, FormulaArray, formula_code, outside_flags
from coverage_gis.terrain.dem import Dem, open_dem
from coverage_gis.terrain.engine import (
    DEFAULT_CACHE_BYTES,
    RadialGrid,
    SiteArrays,
    TerrainEngine,
    wavelength_m,
)


class TerrainModel:
    """Link budget over a DEM with terrain diffraction (delta-Bullington) or ITM.

    Parameters
    ----------
    settings
        Model settings (link budget, thresholds, antenna, ``terrain`` section).
    dem_path
        A GeoTIFF of ground heights in metres (any CRS), one SRTM ``.hgt`` tile, or a
        folder of ``.hgt`` tiles; read by window, when first needed. Or a DEM object
        already open (:class:`~coverage_gis.terrain.dem.Dem`, e.g. an
        :class:`~coverage_gis.terrain.dem.ArrayDem` held in memory).
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
        dem_path: Path | Dem,
        metric_crs: str | None,
        *,
        workers: int | None = None,
        cache_bytes: int = DEFAULT_CACHE_BYTES,
    ) -> None:
        self.settings = settings
        dem = open_dem(Path(dem_path)) if isinstance(dem_path, (str, Path)) else dem_path
        self.dem_path = Path(dem_path) if isinstance(dem_path, (str, Path)) else Path(dem.identity)
        self.workers = workers
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

    def _ground_of(self, points: ReceiverArrays, used: IntArray) -> FloatArray:
        """Ground height of every point (0 where unused): DEM, else the points' own, else 0."""
        # A mask is O(n); np.unique sorts (and is very slow on large arrays in numpy 2.4).
        mask = np.zeros(len(points), dtype=bool)
        mask[used] = True
        ground = np.zeros(len(points))
        ground[mask] = self._ground_with_fallback(
            points.x_m[mask], points.y_m[mask], None if points.ground_m is None else points.ground_m[mask]
        )
        return ground

    def _sites(self, cells: CellArrays) -> tuple[SiteArrays, IntArray]:
        """Distinct radio sites of the cells (position, antenna height, carrier) and each cell's site."""
        first, site_of_cell = distinct_rows(
            np.column_stack([cells.x_m, cells.y_m, cells.height_m, cells.band_mhz])
        )
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
        # The 1 m floor of the loss above, a hair of slack, and the hard caps.
        reach = np.maximum(reach, 1.0) * (1.0 + 1e-9)
        return np.asarray(np.minimum(reach, range_cap_m(self.settings, cells.tech)), dtype=np.float64)

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
        rx_ground = self._ground_of(receivers, recv)
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
        formula, outside = self._validity(budget, cell, dist)
        pairs = CandidatePairs(recv, cell, dist, signal, served, blocked, formula, outside)
        return pairs if keep_unserved else select_pairs(pairs, served | blocked)

    def _validity(
        self, budget: LinkBudget, cell: IntArray, dist: FloatArray
    ) -> tuple[FormulaArray, FlagArray]:
        """The formula deciding each pair and its out-of-range mask (ITM's own ranges under ``itm``)."""
        if self.method != "itm":
            return budget.validity(cell, dist)
        flags = outside_flags(
            "itm", budget.cells.band_mhz[cell], budget.cells.height_m[cell], budget.receiver_height_m, dist
        )
        return np.full(dist.shape, formula_code("itm"), dtype=np.int8), flags

    # ------------------------------------------------------------------ rasters

    def best_signal_at(
        self,
        x_m: FloatArray,
        y_m: FloatArray,
        cells: CellArrays,
        *,
        receiver_height_m: float | None = None,
        plan: ServerPlan | None = None,
    ) -> tuple[FloatArray, IntArray]:
        """Best level over the cells at each point, dBm (NaN where none reaches), and its cell (-1).

        The level is the model's level whether or not it reaches the threshold; the
        terrain part comes from each site's radial grid (bilinear between the
        evaluated samples around each point), computed once per site and cached.
        Map tiles call this with their pixel centres.
        """
        x = np.asarray(x_m, dtype=np.float64).ravel()
        y = np.asarray(y_m, dtype=np.float64).ravel()
        if x.size == 0 or len(cells) == 0:
            return np.full(x.size, np.nan), np.full(x.size, -1, dtype=np.int64)
        plan = plan or self.server_plan(cells, receiver_height_m=receiver_height_m)
        point, site, dist = pairs_within_reach(
            x, y, plan.sites.x_m, plan.sites.y_m, plan.site_reach, workers=self.workers
        )
        return self._best_server(x, y, point, site, dist, plan)

    def best_signal_on_grid(
        self,
        x_m: FloatArray,
        y_m: FloatArray,
        cells: CellArrays,
        *,
        receiver_height_m: float | None = None,
        plan: ServerPlan | None = None,
    ) -> tuple[FloatArray, IntArray]:
        """:meth:`best_signal_at` on the grid of column centres ``x_m`` × row centres ``y_m``.

        Returns ``(len(y_m), len(x_m))`` arrays. Each site's points are found from its
        window of rows and columns, with no search structure over the pixels.
        """
        xs = np.asarray(x_m, dtype=np.float64)
        ys = np.asarray(y_m, dtype=np.float64)
        shape = (ys.size, xs.size)
        best = np.full(xs.size * ys.size, -np.inf)
        best_cell = np.full(best.size, -1, dtype=np.int64)
        if xs.size and ys.size and len(cells):
            plan = plan or self.server_plan(cells, receiver_height_m=receiver_height_m)
            x_order, y_order = np.argsort(xs), np.argsort(ys)
            x_sorted, y_sorted = xs[x_order], ys[y_order]
            windows: list[tuple[int, IntArray, IntArray]] = []
            for s in range(len(plan.sites)):
                sx, sy, reach = plan.sites.x_m[s], plan.sites.y_m[s], plan.site_reach[s]
                cols = x_order[
                    np.searchsorted(x_sorted, sx - reach) : np.searchsorted(x_sorted, sx + reach, "right")
                ]
                rows = y_order[
                    np.searchsorted(y_sorted, sy - reach) : np.searchsorted(y_sorted, sy + reach, "right")
                ]
                # The window's point nearest the site is the nearest column's x with the
                # nearest row's y: no point is within reach when that one is not.
                if (
                    cols.size
                    and rows.size
                    and np.hypot(np.abs(xs[cols] - sx).min(), np.abs(ys[rows] - sy).min()) <= reach
                ):
                    windows.append((s, rows, cols))
            grids = plan.grids(np.array([w[0] for w in windows], dtype=np.int64))
            for s, rows, cols in windows:
                point, dx, dy, dist, loss_t, rx_ground = grids[s].lookup_window(
                    xs, ys, rows, cols, float(plan.site_reach[s])
                )
                self._serve_site(plan, s, point, dx, dy, dist, loss_t, rx_ground, best, best_cell)
        return np.where(np.isneginf(best), np.nan, best).reshape(shape), best_cell.reshape(shape)

    def server_plan(self, cells: CellArrays, *, receiver_height_m: float | None = None) -> ServerPlan:
        """The shared part of best-server evaluations of ``cells`` (see :class:`ServerPlan`)."""
        h_rx = self.settings.receiver_height_m if receiver_height_m is None else float(receiver_height_m)
        budget = LinkBudget(cells, settings=self.settings, receiver_height_m=h_rx)
        sites, site_of_cell = self._sites(cells)
        return ServerPlan(self, budget, self._reach_m(budget), sites, site_of_cell, h_rx)

    def _best_server(
        self,
        x: FloatArray,
        y: FloatArray,
        point: IntArray,
        site: IntArray,
        dist: FloatArray,
        plan: ServerPlan,
    ) -> tuple[FloatArray, IntArray]:
        best = np.full(x.size, -np.inf)
        best_cell = np.full(x.size, -1, dtype=np.int64)
        if point.size:
            order = np.argsort(site, kind="stable")
            # The sites present, in order (a count, not a sort: site holds one entry per pixel).
            grids = plan.grids(np.flatnonzero(np.bincount(site, minlength=len(plan.sites))))
            for group in np.split(order, np.flatnonzero(np.diff(site[order])) + 1):
                s = int(site[group[0]])
                pt, d = point[group], dist[group]
                dx, dy = x[pt] - plan.sites.x_m[s], y[pt] - plan.sites.y_m[s]
                loss_t, rx_ground = grids[s].lookup(dx, dy)
                self._serve_site(plan, s, pt, dx, dy, d, loss_t, rx_ground, best, best_cell)
        return np.where(np.isneginf(best), np.nan, best), best_cell

    def _serve_site(
        self,
        plan: ServerPlan,
        s: int,
        point: IntArray,
        dx: FloatArray,
        dy: FloatArray,
        dist: FloatArray,
        terrain_db: FloatArray,
        rx_ground: FloatArray,
        best: FloatArray,
        best_cell: IntArray,
    ) -> None:
        # Site s's cells' levels at its points (within its reach); each point keeps the
        # best so far (sites in increasing order, each site's cells in table order).
        for c in plan.cells_of_site[s]:
            c = int(c)
            if dist.size == 0 or dist.max() <= plan.reach[c]:
                # Every point is within this cell's reach (a site's longest-reaching cell).
                target, level = point, self._level_at(plan, c, dx, dy, dist, terrain_db, rx_ground)
            else:
                within = np.flatnonzero(dist <= plan.reach[c])
                target = point[within]
                level = self._level_at(
                    plan, c, dx[within], dy[within], dist[within], terrain_db[within], rx_ground[within]
                )
            # A NaN level (no loss there) is never better: the comparison is False.
            better = level > best[target]
            won = target[better]
            best[won] = level[better]
            best_cell[won] = c

    def _level_at(
        self,
        plan: ServerPlan,
        c: int,
        dx: FloatArray,
        dy: FloatArray,
        dist: FloatArray,
        terrain_db: FloatArray,
        rx_ground: FloatArray,
    ) -> FloatArray:
        # One cell's level toward points at (dx, dy) from its site, given the terrain
        # loss and ground there.
        budget = plan.budget
        index = np.full(dist.size, c, dtype=np.int64)
        if budget.sectors.omni[c]:
            # An omni antenna's relative gain is 0 dB everywhere (antenna_gain_db's
            # answer, and adding 0 changes no level): no elevation angles to compute.
            gain: FloatArray | float = 0.0
        else:
            site_top = plan.sites.ground_m[plan.site_of_cell[c]] + budget.cells.height_m[c]
            gain = budget.antenna_gain_db(
                index, dx, dy, dist, height_difference_m=site_top - rx_ground - plan.receiver_height_m
            )
        if self.method == "itm":
            level = budget.reference_dbm[c] - terrain_db + gain
        else:
            level = budget.reference_dbm[c] - budget.path_loss_db(index, dist) + gain - terrain_db
        return np.asarray(level, dtype=np.float64)


class ServerPlan:
    """What best-server evaluations of one set of cells share: link budget, reaches, sites, radial grids.

    Make one with :meth:`TerrainModel.server_plan` and pass it to repeated calls (the
    blocks of a raster, the tiles of a map view) so each site's radial grid is computed
    once per plan even with the model's cache off.
    """

    def __init__(
        self,
        model: TerrainModel,
        budget: LinkBudget,
        reach: FloatArray,
        sites: SiteArrays,
        site_of_cell: IntArray,
        receiver_height_m: float,
    ) -> None:
        self.model = model
        self.budget = budget
        self.reach = reach
        self.sites = sites
        self.site_of_cell = site_of_cell
        self.site_reach = np.zeros(len(sites))
        np.maximum.at(self.site_reach, site_of_cell, reach)
        self.receiver_height_m = receiver_height_m
        #: The cells of each site, in table order.
        self.cells_of_site = np.split(
            np.argsort(site_of_cell, kind="stable"),
            np.cumsum(np.bincount(site_of_cell, minlength=len(sites)))[:-1],
        )
        self._grids: dict[int, RadialGrid] = {}
        # The blocks of a raster and the tiles of a view share a plan across threads.
        self._lock = threading.Lock()

    def grids(self, site_index: IntArray) -> dict[int, RadialGrid]:
        """The radial grids of these sites (all missing ones computed in one batched pass)."""
        with self._lock:
            return self._grids_locked(site_index)

    def _grids_locked(self, site_index: IntArray) -> dict[int, RadialGrid]:
        missing = [int(i) for i in site_index if int(i) not in self._grids]
        if missing:
            pick = np.asarray(missing, dtype=np.int64)
            subset = SiteArrays(
                x_m=self.sites.x_m[pick],
                y_m=self.sites.y_m[pick],
                ground_m=self.sites.ground_m[pick],
                antenna_m=self.sites.antenna_m[pick],
                band_mhz=self.sites.band_mhz[pick],
            )
            found = self.model.engine.radial_grids(subset, self.site_reach[pick], self.receiver_height_m)
            self._grids.update(zip(missing, found, strict=True))
        return dict(self._grids)
