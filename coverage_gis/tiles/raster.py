"""Coverage raster tiles: the coverage model evaluated on a tile's pixel grid, as PNG.

Owns the coverage map the web map overlays: for tile ``z/x/y`` the centres of its
256 × 256 pixels (EPSG:3857) are projected to the workspace's metric CRS and handed
to the workspace's coverage model as receivers, against the on-air broadband cells
of the chosen technology (optionally of one operator) whose ``max_range_m`` reaches
the tile. Each pixel takes the best level over the cells serving it, coloured on a
−120…−60 dBm ramp (or by the operator of the best server), transparent where no
cell serves. The PNG bytes come from :mod:`coverage_gis.tiles.png`.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

import numpy as np
import pyproj
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from coverage_gis._arrays import distinct_rows
from coverage_gis.cell_index import in_reach_of_box
from coverage_gis.errors import LayerValidationError
from coverage_gis.layers import get_schema
from coverage_gis.models.antenna import cell_service_sectors
from coverage_gis.models.base import CellArrays, CoverageModel, FloatArray, ReceiverArrays, is_broadband
from coverage_gis.models.radius import RadiusModel
from coverage_gis.network import CellTable
from coverage_gis.tiles.mercator import TILE_SIZE, tile_bounds_3857
from coverage_gis.tiles.png import encode_png, transparent_png

#: Values of the ``tech`` path segment: one broadband technology, or all of them.
TECH_CHOICES: tuple[str, ...] = ("all", "3G", "4G", "5G")
#: Values of the ``mode`` parameter.
MODES: tuple[str, ...] = ("signal", "operator")
#: Colour ramp of the signal mode: dBm → RGB. Levels outside the range take the end colour.
RAMP_STOPS: tuple[tuple[float, tuple[int, int, int]], ...] = (
    (-120.0, (215, 48, 39)),
    (-110.0, (244, 109, 67)),
    (-100.0, (253, 174, 97)),
    (-90.0, (254, 224, 139)),
    (-80.0, (166, 217, 106)),
    (-70.0, (102, 189, 99)),
    (-60.0, (26, 152, 80)),
)
#: Opacity of served pixels: the villages and roads below must stay readable.
ALPHA = 165
#: Pixel-centre lattice points per side projected exactly; the pixels in between are
#: interpolated bilinearly. Mercator → UTM is smooth: at zoom 8 the error is under 0.5 m
#: on 600 m pixels, and it vanishes at street zooms; it saves ~8 ms per 256 px tile.
PROJECTION_LATTICE = 17
#: Lattice stride (pixels) of the adaptive evaluation: the model runs on every 4th
#: pixel and again, pixel by pixel, only where coverage or the best server changes.
REFINE_STRIDE = 4
#: Around each site the level changes fastest (the vertical pattern sweeps through the
#: tilt within a few hundred metres): the adaptive lattice evaluates every pixel there.
#: Measured on the Bình Định demo: beyond 300 m, bilinear levels are within 0.5 dB.
NEAR_SITE_M = 300.0
#: The terrain model walks a DEM profile per (pixel, cell) pair; it is evaluated on a
#: coarser grid (this many pixels per side) and each value spread over a pixel block.
COARSE_GRID = 64
_FAST_MODELS = frozenset({"radius", "pathloss"})

UInt8Array = NDArray[np.uint8]
ScalarT = TypeVar("ScalarT", bound=np.generic)


def _hex_rgb(colour: str) -> tuple[int, int, int]:
    text = colour.lstrip("#")
    return (int(text[0:2], 16), int(text[2:4], 16), int(text[4:6], 16))


def operator_colours() -> dict[str, tuple[int, int, int]]:
    """Operator → RGB from the ``sites`` layer style (``other`` for unknown names)."""
    colours = get_schema("sites").style.get("colors", {})
    return {str(name): _hex_rgb(str(value)) for name, value in colours.items()}


def ramp_legend() -> list[tuple[float, str]]:
    """The signal ramp as ``(dBm, "#rrggbb")`` stops, for legends."""
    return [(level, "#{:02x}{:02x}{:02x}".format(*rgb)) for level, rgb in RAMP_STOPS]


def colour_signal(signal_dbm: FloatArray, served: NDArray[np.bool_]) -> UInt8Array:
    """RGBA bands ``(4, H, W)`` for a grid of levels; transparent where not served.

    A served pixel without a level estimate takes the weakest colour.
    """
    levels = np.array([s[0] for s in RAMP_STOPS])
    level = np.where(np.isfinite(signal_dbm), signal_dbm, levels[0])
    rgba = np.zeros((4, *signal_dbm.shape), dtype=np.uint8)
    for band in range(3):
        channel = np.array([s[1][band] for s in RAMP_STOPS], dtype=np.float64)
        rgba[band] = np.rint(np.interp(level, levels, channel)).astype(np.uint8)
    rgba[3] = np.where(served, ALPHA, 0).astype(np.uint8)
    rgba[:3, ~served] = 0
    return rgba


_local = threading.local()


def _mercator_to_metric(metric_crs: str) -> pyproj.Transformer:
    # One transformer per thread: PROJ contexts must not be shared between threads
    # that transform at the same time.
    cache_: dict[str, pyproj.Transformer] = _local.__dict__.setdefault("transformers", {})
    found = cache_.get(metric_crs)
    if found is None:
        found = pyproj.Transformer.from_crs("EPSG:3857", metric_crs, always_xy=True)
        cache_[metric_crs] = found
    return found


def metric_pixel_centres(z: int, x: int, y: int, size: int, metric_crs: str) -> tuple[FloatArray, FloatArray]:
    """Centres of a tile's ``size`` × ``size`` pixels in the metric CRS, arrays of shape (size, size).

    Row 0 is the northern edge. Exact at a :data:`PROJECTION_LATTICE` lattice,
    bilinear between.
    """
    minx, _, maxx, maxy = tile_bounds_3857(z, x, y)
    step = (maxx - minx) / size
    n = min(size, PROJECTION_LATTICE)
    positions = np.linspace(0.0, size - 1.0, n)
    lattice_x, lattice_y = np.meshgrid(minx + (positions + 0.5) * step, maxy - (positions + 0.5) * step)
    ex, ey = _mercator_to_metric(metric_crs).transform(lattice_x.ravel(), lattice_y.ravel())
    ex = np.asarray(ex, dtype=np.float64).reshape(n, n)
    ey = np.asarray(ey, dtype=np.float64).reshape(n, n)
    if n == size:
        return ex, ey
    t = np.arange(size, dtype=np.float64) * (n - 1) / (size - 1)
    i0 = np.minimum(np.floor(t).astype(np.int64), n - 2)
    fx = (t - i0)[None, :]
    fy = (t - i0)[:, None]

    def bilinear(lattice: FloatArray) -> FloatArray:
        top = lattice[i0][:, i0] * (1.0 - fx) + lattice[i0][:, i0 + 1] * fx
        bottom = lattice[i0 + 1][:, i0] * (1.0 - fx) + lattice[i0 + 1][:, i0 + 1] * fx
        return np.asarray(top * (1.0 - fy) + bottom * fy, dtype=np.float64)

    return bilinear(ex), bilinear(ey)


@dataclass(frozen=True)
class CoverageGrid:
    """The model's answer on a tile's pixel grid (row 0 = north)."""

    served: NDArray[np.bool_]
    best_signal_dbm: FloatArray
    #: Index into :attr:`CoverageRenderer.operator_names` of the best server; -1 where none.
    best_operator: NDArray[np.int64]
    #: Cells that were handed to the model for this tile.
    cells_considered: int


class CoverageRenderer:
    """Renders coverage tiles of one analysis (one workspace revision).

    Parameters
    ----------
    model
        The workspace's coverage model.
    cells
        All cells with their on-air flag; only on-air 3G/4G/5G cells radiate here.
    metric_crs
        The CRS the cells' coordinates are in (and the model computes in).
    """

    def __init__(self, model: CoverageModel, cells: CellTable, *, metric_crs: str) -> None:
        self.model = model
        self.metric_crs = metric_crs
        live = cells.on_air & is_broadband(cells.arrays.tech)
        self.cells = cells.subset(live)
        self.max_range_m: FloatArray = (
            np.asarray(model.max_range_m(self.cells.arrays), dtype=np.float64)
            if len(self.cells)
            else np.empty(0, dtype=np.float64)
        )
        self.operator_names: NDArray[np.str_] = np.unique(self.cells.operator)
        self._operator_index = np.searchsorted(self.operator_names, self.cells.operator)
        self._radio_key = _radio_key(self.cells)

    @staticmethod
    def check_params(tech: str, operator: str | None = None, mode: str = "signal") -> None:
        """:class:`LayerValidationError` for a tech, operator or mode the tiles do not know."""
        if tech not in TECH_CHOICES:
            raise LayerValidationError(
                f"unknown technology {tech!r}; choose one of {', '.join(TECH_CHOICES)}", field="tech"
            )
        if mode not in MODES:
            raise LayerValidationError(f"unknown mode {mode!r}; choose {' or '.join(MODES)}", field="mode")
        allowed = get_schema("cells").field("operator").allowed or ()
        if operator is not None and operator not in allowed:
            raise LayerValidationError(
                f"unknown operator {operator!r}; choose one of {', '.join(allowed)}", field="operator"
            )

    def _distinct(self, index: NDArray[np.int64], *, keep_operators: bool) -> NDArray[np.int64]:
        """The first of each group of radio-identical cells among ``index``."""
        if index.size < 2:
            return index
        key = self._radio_key[index]
        if keep_operators:
            key = np.column_stack([key, self._operator_index[index].astype(np.float64)])
        first, _ = distinct_rows(key)
        return index[np.sort(first)]

    def _chosen(self, rows: NDArray[np.int64], tech: str, operator: str | None) -> NDArray[np.int64]:
        """The rows among ``rows`` of the chosen technology and operator."""
        mask = np.ones(rows.size, dtype=bool)
        if tech != "all":
            mask &= self.cells.arrays.tech[rows] == tech
        if operator is not None:
            mask &= self.cells.operator[rows] == operator
        return rows[mask]

    def grid(
        self,
        z: int,
        x: int,
        y: int,
        *,
        tech: str = "all",
        operator: str | None = None,
        size: int = TILE_SIZE,
        best_server: bool = True,
    ) -> CoverageGrid:
        """Served flag, best level and best-server operator for each pixel of a tile.

        ``best_server=False`` skips the best-server search (``best_operator`` stays -1).
        """
        self.check_params(tech, operator)
        coarse = size if self.model.name in _FAST_MODELS else min(size, COARSE_GRID)
        shape = (coarse, coarse)
        none = CoverageGrid(
            np.zeros(shape, dtype=bool), np.full(shape, np.nan), np.full(shape, -1, dtype=np.int64), 0
        )
        gx, gy = metric_pixel_centres(z, x, y, coarse, self.metric_crs)
        px, py = gx.ravel(), gy.ravel()
        # Only cells that can reach the tile's footprint (grown by a pixel's diagonal,
        # since the grid holds pixel centres) are worth a model call.
        pad = float(np.hypot(px[1] - px[0], py[1] - py[0]))
        lo = np.array([float(px.min()) - pad, float(py.min()) - pad])
        hi = np.array([float(px.max()) + pad, float(py.max()) + pad])
        # One pass over the cells (a few milliseconds at national scale, next to the
        # model's hundreds) rather than a k-d tree built for each revision's renderer.
        arrays = self.cells.arrays
        reaching = np.flatnonzero(in_reach_of_box(arrays.x_m, arrays.y_m, self.max_range_m, lo, hi))
        near = self._chosen(reaching, tech, operator)
        if near.size == 0:
            return _upsample(none, size)
        # Co-located identical cells (one per operator on a shared site) give identical
        # levels: one model call each is wasted unless the best server's operator matters.
        near = self._distinct(near, keep_operators=best_server)
        spacing_m = REFINE_STRIDE * float(np.hypot(gx[0, 1] - gx[0, 0], gy[0, 1] - gy[0, 0]))
        all_cells = self.cells.arrays.take(near.astype(np.int64))
        large = np.zeros(near.size, dtype=bool)
        if isinstance(self.model, RadiusModel) and coarse == size and size % REFINE_STRIDE == 0:
            # Service areas of at most a half disc (a sector up to ±90°) are convex.
            _, half = cell_service_sectors(all_cells, edge_db=self.model.settings.antenna.sector_edge_db)
            convex = np.isnan(all_cells.azimuth_deg) | (all_cells.beamwidth_deg >= 360.0) | (half <= 90.0)
            # Cells reaching at least twice the lattice diagonal go through the adaptive
            # lattice; smaller ones cover few pixels and are cheap to evaluate everywhere.
            large = convex & (self.max_range_m[near] >= 2.0 * np.sqrt(2.0) * spacing_m)
        parts: list[tuple[NDArray[np.bool_], FloatArray, NDArray[np.int64]]] = []
        if large.any():
            group = near[large]
            parts.append(
                self._adaptive(gx, gy, self.cells.arrays.take(group), group, best_server=best_server)
            )
        if not large.all():
            group = near[~large]
            parts.append(
                self._evaluate(px, py, self.cells.arrays.take(group), group, best_server=best_server)[:3]
            )
        served, best, best_op = parts[0]
        for other_served, other_best, other_op in parts[1:]:
            stronger = other_served & ~(
                np.nan_to_num(best, nan=-np.inf) >= np.nan_to_num(other_best, nan=-np.inf)
            )
            stronger |= other_served & ~served
            best = np.where(stronger, other_best, best)
            best_op = np.where(stronger, other_op, best_op)
            served = served | other_served
        found = CoverageGrid(
            served.reshape(shape), best.reshape(shape), best_op.reshape(shape), int(near.size)
        )
        return _upsample(found, size)

    def _evaluate(
        self,
        px: FloatArray,
        py: FloatArray,
        arrays: CellArrays,
        near: NDArray[np.int64],
        *,
        best_server: bool,
    ) -> tuple[NDArray[np.bool_], FloatArray, NDArray[np.int64], NDArray[np.int64]]:
        """The model on receivers ``(px, py)``.

        Returns the served flag, the best level, the best server's operator (-1 unless
        ``best_server``) and the best server's index into ``arrays`` (-1 where none).
        """
        pairs = self.model.candidate_pairs(ReceiverArrays(x_m=px, y_m=py), arrays)
        n = px.size
        served_pairs = np.flatnonzero(pairs.served)
        recv = pairs.receiver[served_pairs]
        served = np.zeros(n, dtype=bool)
        served[recv] = True
        signal = pairs.signal_dbm[served_pairs]
        signal = np.where(np.isnan(signal), -np.inf, signal)
        # Best server: the last pair of each receiver once sorted by (receiver, level).
        best = np.full(n, np.nan)
        best_cell = np.full(n, -1, dtype=np.int64)
        best_op = np.full(n, -1, dtype=np.int64)
        if recv.size:
            order = np.lexsort((signal, recv))
            last = np.append(recv[order][1:] != recv[order][:-1], True)
            winners = order[last]
            level = signal[winners]
            best[recv[winners]] = np.where(np.isneginf(level), np.nan, level)
            best_cell[recv[winners]] = pairs.cell[served_pairs][winners]
            if best_server:
                best_op[recv[winners]] = self._operator_index[near[best_cell[recv[winners]]]]
        return served, best, best_op, best_cell

    def _adaptive(
        self,
        gx: FloatArray,
        gy: FloatArray,
        arrays: CellArrays,
        near: NDArray[np.int64],
        *,
        best_server: bool,
    ) -> tuple[NDArray[np.bool_], FloatArray, NDArray[np.int64]]:
        """The model on a lattice of every ``REFINE_STRIDE``-th pixel, refined where needed.

        A lattice cell whose four corners have the same best server is served by it
        throughout, with the level bilinear between the corners; one with no corner
        served is empty. Every other cell (an edge of coverage or between two best
        servers), every cell near a site (where a sector's narrow apex could pass
        between corners and the level curves fastest: within ``NEAR_SITE_M``) and
        every cell near a sector's outer corner (a point that can poke in between
        corners) is evaluated pixel by pixel.
        With every reach at least twice the lattice diagonal (checked by the caller)
        another cell's disc can bulge between two corners by at most 1/16 of the
        lattice spacing, a quarter pixel.
        """
        size = gx.shape[0]
        step = REFINE_STRIDE
        pos = np.append(np.arange(0, size, step), size - 1)
        m = pos.size
        lx = gx[np.ix_(pos, pos)]
        ly = gy[np.ix_(pos, pos)]
        _, l_best, l_op, l_cell = (
            a.reshape(m, m)
            for a in self._evaluate(lx.ravel(), ly.ravel(), arrays, near, best_server=best_server)
        )
        # Certain: the same cell is the best server at all four corners. Service areas
        # (discs, sectors up to 180°) are convex, so that cell serves the whole lattice
        # cell and its level is smooth there; no corner served means nothing does.
        corners = [l_cell[:-1, :-1], l_cell[:-1, 1:], l_cell[1:, :-1], l_cell[1:, 1:]]
        all_served = (corners[0] >= 0) & (corners[0] == corners[1]) & (corners[0] == corners[2])
        all_served &= corners[0] == corners[3]
        none_served = (corners[0] < 0) & (corners[1] < 0) & (corners[2] < 0) & (corners[3] < 0)
        uncertain = ~(all_served | none_served)
        centre_x = (lx[:-1, :-1] + lx[1:, 1:]) / 2.0
        centre_y = (ly[:-1, :-1] + ly[1:, 1:]) / 2.0
        diagonal = float(np.hypot(lx[1, 1] - lx[0, 0], ly[1, 1] - ly[0, 0]))
        sites = np.unique(np.column_stack([arrays.x_m, arrays.y_m]), axis=0)
        tree = cKDTree(np.column_stack([centre_x.ravel(), centre_y.ravel()]))
        for hits in tree.query_ball_point(sites, r=max(1.5 * diagonal, NEAR_SITE_M)):
            uncertain.ravel()[hits] = True
        # A service sector's two outer corners (arc meets edge) are points that can poke
        # into a lattice cell without covering any of its corners.
        sector = ~(np.isnan(arrays.azimuth_deg) | (arrays.beamwidth_deg >= 360.0))
        if sector.any():
            assert isinstance(self.model, RadiusModel)  # the only model on this path
            centre, half = cell_service_sectors(arrays, edge_db=self.model.settings.antenna.sector_edge_db)
            reach = self.max_range_m[near][sector]
            tips = []
            for side in (-1.0, 1.0):
                bearing = np.radians(centre[sector] + side * half[sector])
                tips.append(
                    np.column_stack(
                        [
                            arrays.x_m[sector] + reach * np.sin(bearing),
                            arrays.y_m[sector] + reach * np.cos(bearing),
                        ]
                    )
                )
            for hits in tree.query_ball_point(np.vstack(tips), r=1.5 * diagonal):
                uncertain.ravel()[hits] = True
        all_served &= ~uncertain

        # Pixel → lattice cell (k) and position inside it (t in 0..1), per axis.
        index = np.arange(size)
        k = np.minimum(index // step, m - 2)
        t = (index - pos[k]) / (pos[k + 1] - pos[k])
        kr, kc = k[:, None], k[None, :]
        tr, tc = t[:, None], t[None, :]
        top = l_best[kr, kc] * (1.0 - tc) + l_best[kr, kc + 1] * tc
        bottom = l_best[kr + 1, kc] * (1.0 - tc) + l_best[kr + 1, kc + 1] * tc
        inside = all_served[kr, kc]
        served = inside.ravel().copy()
        best = np.where(inside, top * (1.0 - tr) + bottom * tr, np.nan).ravel()
        best_op = np.where(inside, l_op[kr, kc], -1).ravel().astype(np.int64)
        exact = np.flatnonzero(uncertain[kr, kc].ravel())
        if exact.size:
            e_served, e_best, e_op, _ = self._evaluate(
                gx.ravel()[exact], gy.ravel()[exact], arrays, near, best_server=best_server
            )
            served[exact] = e_served
            best[exact] = e_best
            best_op[exact] = e_op
        return served, best, best_op

    def render_png(
        self,
        z: int,
        x: int,
        y: int,
        *,
        tech: str = "all",
        operator: str | None = None,
        mode: str = "signal",
    ) -> bytes:
        """PNG bytes of the coverage tile ``z/x/y``.

        Parameters
        ----------
        tech
            ``all`` (every broadband technology) or one of 3G/4G/5G.
        operator
            Only this operator's cells (its best server), or every operator.
        mode
            ``signal``: colour by the best level; ``operator``: colour by the operator
            of the best server (the ``sites`` style colours).
        """
        self.check_params(tech, operator, mode)
        found = self.grid(z, x, y, tech=tech, operator=operator, best_server=mode == "operator")
        if not found.served.any():
            return transparent_png()
        bounds = tile_bounds_3857(z, x, y)
        if mode == "signal":
            return encode_png(colour_signal(found.best_signal_dbm, found.served), bounds_3857=bounds)
        return encode_png(self._colour_operator(found), bounds_3857=bounds)

    def _colour_operator(self, found: CoverageGrid) -> UInt8Array:
        table = operator_rgb_table(self.operator_names)
        rgba = np.zeros((4, *found.served.shape), dtype=np.uint8)
        served = found.served & (found.best_operator >= 0)
        rgb = table[np.clip(found.best_operator, 0, None)]
        for band in range(3):
            rgba[band][served] = rgb[..., band][served]
        rgba[3][served] = ALPHA
        return rgba


def operator_rgb_table(names: Sequence[str] | NDArray[np.str_]) -> UInt8Array:
    """RGB rows ``(max(len(names), 1), 3)`` of operators (``other``'s colour for unknown names)."""
    colours = operator_colours()
    fallback = colours.get("other", (97, 97, 97))
    return np.array([colours.get(str(name), fallback) for name in names] or [fallback], dtype=np.uint8)


def _radio_key(cells: CellTable) -> FloatArray:
    """One row per cell of everything the models read; equal rows radiate identically."""
    a = cells.arrays
    columns = [
        a.x_m,
        a.y_m,
        a.band_mhz,
        a.azimuth_deg,
        a.beamwidth_deg,
        np.full(len(a), np.nan) if a.bisector_cw_deg is None else a.bisector_cw_deg,
        np.full(len(a), np.nan) if a.bisector_ccw_deg is None else a.bisector_ccw_deg,
        a.eirp_dbm,
        a.tilt_deg,
        a.height_m,
        np.unique(a.tech, return_inverse=True)[1].astype(np.float64),
        np.unique(a.environment, return_inverse=True)[1].astype(np.float64),
    ]
    if a.ground_m is not None:
        columns.append(a.ground_m)
    # NaN (omni azimuth, unknown ground) must compare equal to itself here.
    return np.column_stack([np.nan_to_num(np.asarray(c, dtype=np.float64), nan=-1e30) for c in columns])


def enlarge(a: NDArray[ScalarT], factor: int) -> NDArray[ScalarT]:
    """Each pixel of a 2-D grid drawn ``factor`` × ``factor`` (nearest neighbour)."""
    return np.repeat(np.repeat(a, factor, axis=0), factor, axis=1)


def _upsample(found: CoverageGrid, size: int) -> CoverageGrid:
    factor = size // found.served.shape[0]
    if factor == 1:
        return found
    return CoverageGrid(
        enlarge(found.served, factor),
        enlarge(found.best_signal_dbm, factor),
        enlarge(found.best_operator, factor),
        found.cells_considered,
    )


def renderer_legend() -> Mapping[str, object]:
    """What a map legend needs for the coverage overlay (ramp stops and operator colours)."""
    return {
        "ramp": ramp_legend(),
        "operators": {k: "#{:02x}{:02x}{:02x}".format(*v) for k, v in operator_colours().items()},
    }
