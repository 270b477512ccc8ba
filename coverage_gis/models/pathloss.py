"""The link-budget coverage model (``pathloss``) and the link budget the models share.

This module owns the link budget of a (receiver, cell) pair on flat ground::

    level_dbm = eirp_dbm - reference_offset_db(tech) - margin_db - path_loss_db + antenna_gain_db

(the offset takes the cell's total EIRP to the per-reference-signal level the threshold
is defined on; the margin makes it a planning level, see ``pathloss`` in the settings)
with the path loss from COST-231 Hata or 3GPP TR 38.901 (RMa for rural cells, UMa
for urban and suburban cells), chosen by ``pathloss.formula`` in the settings, and the
relative antenna gain of :mod:`coverage_gis.models.antenna` (≤ 0 dB). A cell serves a
receiver when the level reaches the technology's threshold (``>=``).

It also owns the inversion of that budget into a per-cell reach: the largest distance
at which the level, with the antenna's full gain (0 dB relative), could still reach
the threshold. The inversion bisects a non-decreasing lower bound of the path loss
(see :mod:`coverage_gis.models.propagation`), so the reach never under-estimates and a
cell never serves beyond it. The radius model reuses the budget for its signal
estimate and the terrain model adds diffraction on top of it.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from coverage_gis._arrays import distinct_rows
from coverage_gis.models import propagation
from coverage_gis.models.antenna import SectorVectors, pattern_gain_db
from coverage_gis.models.base import (
    ENVIRONMENTS,
    TECHS,
    BoolArray,
    CandidatePairs,
    CellArrays,
    FloatArray,
    IntArray,
    ReceiverArrays,
    map_pairs_within_reach,
)
from coverage_gis.models.settings import ClassArray, ModelSettings, environment_index, tech_index
from coverage_gis.models.validity import (
    OUTSIDE_DISTANCE,
    RANGES,
    FlagArray,
    FormulaArray,
    formula_code,
    outside_flags,
)

#: Bisection steps of the reach inversion: 100 km / 2**50 ≈ 1e-10 m.
_BISECTION_STEPS = 50
#: GSM's timing advance runs from 0 to 63 bit periods of 48/13 µs, each 553.5 m of
#: round trip (3GPP TS 45.010 §5.5): a 2G cell serves no handset beyond 63 × 553.5 m.
GSM_TIMING_ADVANCE_LIMIT_M = 63 * 553.5


def range_cap_m(settings: ModelSettings, tech: ClassArray) -> FloatArray:
    """The hard limit of each cell's service distance, metres.

    ``pathloss.max_range_m`` for every cell, and the GSM timing-advance limit
    (:data:`GSM_TIMING_ADVANCE_LIMIT_M`, ≈ 34.9 km) for 2G cells. ``tech``: names or
    positions (:func:`~coverage_gis.models.settings.tech_index`).
    """
    column = np.asarray(tech)
    two_g = column == (TECHS.index("2G") if np.issubdtype(column.dtype, np.integer) else "2G")
    cap = np.full(column.shape, float(settings.pathloss.max_range_m))
    return np.asarray(np.where(two_g, np.minimum(cap, GSM_TIMING_ADVANCE_LIMIT_M), cap), dtype=np.float64)


class LinkBudget:
    """The per-cell terms of the link budget, computed once, evaluated per pair.

    Parameters
    ----------
    cells
        The cells every ``cell_index`` below points into.
    settings
        Formula, reference offsets, thresholds, antenna pattern.
    receiver_height_m
        Receiver antenna height above ground.

    Raises
    ------
    LayerValidationError
        A cell's technology or clutter class is not in the settings.
    """

    def __init__(self, cells: CellArrays, *, settings: ModelSettings, receiver_height_m: float) -> None:
        self.cells = cells
        self.settings = settings
        self.receiver_height_m = float(receiver_height_m)
        # The cells' classes as positions, read once for every look-up below (and the
        # radius model's).
        self.tech_index = tech_index(cells.tech)
        self.environment_index = environment_index(cells.environment)
        self.threshold_dbm = settings.threshold_for_cells(self.tech_index)
        # The planning margin is folded into the reference level: it lowers the level
        # like a loss, independent of distance and direction.
        offset_db = settings.reference_offset_for_cells(self.tech_index)
        self.reference_dbm = cells.eirp_dbm - offset_db - settings.pathloss.margin_db
        self.sectors = SectorVectors.from_cells(cells.azimuth_deg, cells.beamwidth_deg)
        self.tilt_deg = np.nan_to_num(cells.tilt_deg, nan=0.0)
        self.rural = self.environment_index == ENVIRONMENTS.index("rural")
        self._hata: tuple[FloatArray, FloatArray, FloatArray] | None = None
        if settings.pathloss.formula == "cost231":
            # Distance-free terms once per cell, then one log10 per pair: this path
            # runs over millions of pairs at national scale.
            intercept, slope = propagation.cost231_hata_terms(
                cells.band_mhz,
                cells.height_m,
                self.receiver_height_m,
                environment=self.environment_index,
                metropolitan_db=settings.pathloss.cost231_metropolitan_db,
                rural_correction=settings.pathloss.cost231_rural_correction,
            )
            self._hata = (intercept, slope, propagation.free_space_db(1.0, cells.band_mhz))
        self._validity: tuple[FormulaArray, FlagArray, FloatArray, FloatArray] | None = None

    def take(self, index: IntArray, cells: CellArrays) -> LinkBudget:
        """The budget of ``cells``, the cells at ``index`` of this budget's: each per-cell
        term read at those rows (every term is the cell's own), none computed again."""
        part = object.__new__(LinkBudget)
        part.cells = cells
        part.settings = self.settings
        part.receiver_height_m = self.receiver_height_m
        part.tech_index = self.tech_index[index]
        part.environment_index = self.environment_index[index]
        part.threshold_dbm = self.threshold_dbm[index]
        part.reference_dbm = self.reference_dbm[index]
        part.sectors = self.sectors.take(index)
        part.tilt_deg = self.tilt_deg[index]
        part.rural = self.rural[index]
        part._hata = None
        if self._hata is not None:
            intercept, slope, free_space = self._hata
            part._hata = (intercept[index], slope[index], free_space[index])
        part._validity = None
        if self._validity is not None:
            code, flags, lo, hi = self._validity
            part._validity = (code[index], flags[index], lo[index], hi[index])
        return part

    def validity(self, cell_index: IntArray, distance_m: FloatArray) -> tuple[FormulaArray, FlagArray]:
        """The formula deciding each pair and the mask of its parameters outside that formula's range.

        See :mod:`coverage_gis.models.validity`: Okumura–Hata below 1500 MHz and
        COST-231 Hata from 1500 MHz under ``cost231``; 38.901 RMa for rural cells and
        UMa for the others under ``38901``.
        """
        if self._validity is None:
            cells = self.cells
            n = len(cells)
            code = np.empty(n, dtype=np.int8)
            flags = np.zeros(n, dtype=np.uint8)
            lo = np.empty(n)
            hi = np.empty(n)
            if self._hata is not None:
                groups = {
                    "okumura_hata": cells.band_mhz < 1500.0,
                    "cost231_hata": cells.band_mhz >= 1500.0,
                }
            else:
                groups = {"38901_rma": self.rural, "38901_uma": ~self.rural}
            for name, mask in groups.items():
                code[mask] = formula_code(name)
                flags[mask] = outside_flags(
                    name,
                    cells.band_mhz[mask],
                    cells.height_m[mask],
                    self.receiver_height_m,
                    RANGES[name][3][0],
                )
                lo[mask], hi[mask] = RANGES[name][3]
            self._validity = (code, flags, lo, hi)
        code, flags, lo, hi = self._validity
        d = np.asarray(distance_m, dtype=np.float64)
        far = (d < lo[cell_index]) | (d > hi[cell_index])
        return code[cell_index], flags[cell_index] | np.where(far, OUTSIDE_DISTANCE, 0).astype(np.uint8)

    def path_loss_db(
        self, cell_index: IntArray, distance_m: FloatArray, *, lower_envelope: bool = False
    ) -> FloatArray:
        """Flat-ground path loss of each pair, dB.

        ``lower_envelope`` uses the non-decreasing lower bound of the 38.901 LOS
        formulas (for the range inversion).
        """
        if self._hata is not None:
            from coverage_gis.models._level import hata_loss_db

            # log10 here (numpy's, as everywhere), the per-cell terms in one compiled pass.
            log_d = np.log10(np.maximum(distance_m, propagation.MIN_DISTANCE_M))
            cell, log_d = np.broadcast_arrays(np.asarray(cell_index), log_d)
            loss = hata_loss_db(cell.ravel(), log_d.ravel(), *self._hata)
            return np.asarray(loss.reshape(cell.shape), dtype=np.float64)

        pl = self.settings.pathloss
        out = np.empty(distance_m.shape, dtype=np.float64)
        rural = self.rural[cell_index]
        nlos = pl.los_condition == "nlos"
        for mask, is_rural in ((rural, True), (~rural, False)):
            if not mask.any():
                continue
            c = cell_index[mask]
            args = (
                distance_m[mask],
                self.cells.band_mhz[c],
                self.cells.height_m[c],
                self.receiver_height_m,
            )
            if is_rural and nlos:
                out[mask] = propagation.rma_nlos_db(
                    *args,
                    building_height_m=pl.rma_building_height_m,
                    street_width_m=pl.rma_street_width_m,
                    lower_envelope=lower_envelope,
                )
            elif is_rural:
                out[mask] = propagation.rma_los_db(
                    *args,
                    building_height_m=pl.rma_building_height_m,
                    lower_envelope=lower_envelope,
                )
            elif nlos:
                out[mask] = propagation.uma_nlos_db(*args, lower_envelope=lower_envelope)
            else:
                out[mask] = propagation.uma_los_db(*args, lower_envelope=lower_envelope)
        return out

    def antenna_gain_db(
        self,
        cell_index: IntArray,
        dx_m: FloatArray,
        dy_m: FloatArray,
        distance_m: FloatArray,
        *,
        height_difference_m: FloatArray | float,
    ) -> FloatArray:
        """Relative antenna gain of each pair's cell toward its receiver, dB (≤ 0).

        ``height_difference_m`` is the antenna's height above the receiver antenna;
        it sets the depression angle of the vertical pattern.
        """
        omni = self.sectors.omni[cell_index]
        if omni.all():
            # An omni antenna's relative gain is 0 dB in every direction (pattern_gain_db).
            return np.zeros(np.shape(distance_m), dtype=np.float64)
        ant = self.settings.antenna
        elevation = None
        if ant.vertical_pattern:
            elevation = np.degrees(np.arctan2(height_difference_m, distance_m))
        return pattern_gain_db(
            self.sectors.offset_deg(dx_m, dy_m, cell_index),
            self.cells.beamwidth_deg[cell_index],
            omni=omni,
            elevation_deg=elevation,
            tilt_deg=self.tilt_deg[cell_index],
            max_attenuation_db=ant.max_attenuation_db,
            vertical_beamwidth_deg=ant.vertical_beamwidth_deg,
            vertical_side_lobe_db=ant.vertical_side_lobe_db,
        )

    def signal_dbm(
        self,
        cell_index: IntArray,
        dx_m: FloatArray,
        dy_m: FloatArray,
        distance_m: FloatArray,
    ) -> FloatArray:
        """Received level of each pair on flat ground, dBm.

        ``dx_m, dy_m`` is the receiver's offset from the site (east, north).
        """
        gain = self.antenna_gain_db(
            cell_index,
            dx_m,
            dy_m,
            distance_m,
            height_difference_m=self.cells.height_m[cell_index] - self.receiver_height_m,
        )
        loss = self.path_loss_db(cell_index, distance_m)
        return np.asarray(self.reference_dbm[cell_index] - loss + gain, dtype=np.float64)

    def reach_m(self) -> FloatArray:
        """Per-cell reach: the largest distance at which the cell can reach its threshold.

        Assumes the antenna's full gain toward the receiver (0 dB relative), so it
        bounds every direction and tilt. Capped by :func:`range_cap_m`
        (``pathloss.max_range_m``, and GSM's timing-advance limit for 2G); 0 where even a
        receiver next to the mast is below threshold.
        """
        cells = self.cells
        if len(cells) == 0:
            return np.empty(0, dtype=np.float64)
        budget_db = self.reference_dbm - self.threshold_dbm
        # Thousands of cells share a configuration (band, mast height, budget, clutter);
        # invert each distinct one once.
        key = np.column_stack(
            [
                cells.band_mhz,
                cells.height_m,
                budget_db,
                self.environment_index.astype(np.float64),
                range_cap_m(self.settings, self.tech_index),
            ]
        )
        first, inverse = distinct_rows(key)
        configs = LinkBudget(
            cells.take(first),
            settings=self.settings,
            receiver_height_m=self.receiver_height_m,
        )
        budget = budget_db[first]
        index = np.arange(first.size, dtype=np.int64)
        cap = range_cap_m(self.settings, self.tech_index[first])
        lo = np.zeros(first.size)
        hi = cap.copy()
        for _ in range(_BISECTION_STEPS):
            mid = 0.5 * (lo + hi)
            ok = configs.path_loss_db(index, mid, lower_envelope=True) <= budget
            lo = np.where(ok, mid, lo)
            hi = np.where(ok, hi, mid)
        # The envelope exceeds the budget at `hi` (unless hi is the cap) and never
        # decreases, so nothing beyond `hi` is served; the slack absorbs last-ulp
        # differences between this evaluation and the per-pair one.
        reach = np.minimum(hi * (1.0 + 1e-9) + 1e-6, cap)
        at_mast = configs.path_loss_db(index, np.zeros(first.size), lower_envelope=True)
        reach = np.where(at_mast > budget, 0.0, reach)
        return np.asarray(reach[inverse], dtype=np.float64)


def pair_offsets_m(
    receivers: ReceiverArrays, cells: CellArrays, receiver_index: IntArray, cell_index: IntArray
) -> tuple[FloatArray, FloatArray]:
    """Each pair's receiver offset from its site, (east, north) metres."""
    return (
        receivers.x_m[receiver_index] - cells.x_m[cell_index],
        receivers.y_m[receiver_index] - cells.y_m[cell_index],
    )


class PathlossModel:
    """Link-budget coverage: served when the received level reaches the threshold.

    Parameters
    ----------
    settings
        Model settings (formula, thresholds, antenna pattern, reference offsets).
    workers
        Threads for the candidate search; None = all CPUs.
    """

    name: str = "pathloss"

    def __init__(self, settings: ModelSettings, *, workers: int | None = None) -> None:
        self.settings = settings
        self.workers = workers

    def max_range_m(self, cells: CellArrays) -> FloatArray:
        """Per-cell reach at the settings' receiver height, metres (never too short)."""
        budget = LinkBudget(cells, settings=self.settings, receiver_height_m=self.settings.receiver_height_m)
        return budget.reach_m()

    def candidate_pairs(
        self, receivers: ReceiverArrays, cells: CellArrays, *, keep_unserved: bool = True
    ) -> CandidatePairs:
        """Every pair within the cell's reach, with its level and served flag.

        Parameters
        ----------
        receivers, cells
            Inputs in one metric CRS.
        keep_unserved
            False drops the pairs the cell does not serve (a much smaller output when
            only coverage is wanted).
        """
        if len(receivers) == 0 or len(cells) == 0:
            return CandidatePairs.empty()
        budget = LinkBudget(cells, settings=self.settings, receiver_height_m=receivers.height_m)

        def evaluate(recv: IntArray, cell: IntArray, dist: FloatArray) -> CandidatePairs:
            dx, dy = pair_offsets_m(receivers, cells, recv, cell)
            signal = budget.signal_dbm(cell, dx, dy, dist)
            served = signal >= budget.threshold_dbm[cell]
            formula, outside = budget.validity(cell, dist)
            pairs = CandidatePairs(recv, cell, dist, signal, served, formula=formula, outside=outside)
            return pairs if keep_unserved else select_pairs(pairs, served)

        return pairs_within_reach(receivers, cells, budget.reach_m(), evaluate, workers=self.workers)


def select_pairs(pairs: CandidatePairs, mask: BoolArray | IntArray) -> CandidatePairs:
    """The pairs selected by a boolean mask or an index array."""
    return CandidatePairs(
        pairs.receiver[mask],
        pairs.cell[mask],
        pairs.distance_m[mask],
        pairs.signal_dbm[mask],
        pairs.served[mask],
        pairs.terrain_blocked[mask],
        pairs.formula[mask],
        pairs.outside[mask],
    )


def pairs_within_reach(
    receivers: ReceiverArrays,
    cells: CellArrays,
    reach_m: FloatArray,
    evaluate: Callable[[IntArray, IntArray, FloatArray], CandidatePairs],
    *,
    workers: int | None,
) -> CandidatePairs:
    """``evaluate`` on every (receiver, cell) pair within the cell's reach, as one set of pairs."""
    return concat_pairs(
        map_pairs_within_reach(
            receivers.x_m, receivers.y_m, cells.x_m, cells.y_m, reach_m, evaluate, workers=workers
        )
    )


def concat_pairs(parts: list[CandidatePairs]) -> CandidatePairs:
    """One :class:`CandidatePairs` holding all the pairs of ``parts``, in order."""
    if not parts:
        return CandidatePairs.empty()
    if len(parts) == 1:
        return parts[0]
    return CandidatePairs(
        np.concatenate([p.receiver for p in parts]),
        np.concatenate([p.cell for p in parts]),
        np.concatenate([p.distance_m for p in parts]),
        np.concatenate([p.signal_dbm for p in parts]),
        np.concatenate([p.served for p in parts]),
        np.concatenate([p.terrain_blocked for p in parts]),
        np.concatenate([p.formula for p in parts]),
        np.concatenate([p.outside for p in parts]),
    )
