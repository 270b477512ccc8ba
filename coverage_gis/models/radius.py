"""The nominal-radius coverage model (``radius``), the toolkit's default.

This module owns the rule provincial plans use to count a village as covered: a cell
serves a receiver when the receiver lies within the cell's nominal radius and inside
its service sector.

* The radius comes from ``radius_m`` in the settings, per technology × band × clutter
  class (the row of the listed band nearest to the cell's ``band_mhz``); each value is
  the boresight reach of a reference cell under the link budget
  (:mod:`coverage_gis.models.reference`), capped like every reach
  (:func:`~coverage_gis.models.pathloss.range_cap_m`).
* The service sector of a sector cell reaches the bisectors with its neighbouring
  sectors of the same site and layer (``±60°`` for three sectors), or the angle where
  its pattern is ``antenna.sector_edge_db`` down on a side without a near neighbour
  (:func:`~coverage_gis.models.antenna.service_sectors`); omni cells serve all around.

Both edges are inclusive: a receiver exactly on the circle or on the sector edge is
served; one at the site itself (distance 0) is served by every cell there.

The candidate pairs are all pairs within the radius, in or out of the sector; the
search is exact (receivers in rows, each cell location scanning the rows its disc
overlaps, then ``hypot(dx, dy) <= radius``), not a polygon approximation of the circle.
The mobile rules read only the served pairs and the levels of on-air broadband cells:
:meth:`RadiusModel.map_served_pairs` hands over just those, from one compiled pass per
batch (search and sector test) and the level and distance of those pairs alone; its
results are those of :meth:`RadiusModel.candidate_pairs`, bit for bit.

The level of a served pair is the level the radius rule implies, never below the
threshold that served it: the technology's threshold at the radius on the worst
bearing of the sector, raised by the path loss saved by being nearer
(``PL(R) - PL(d)``, the link budget's formula as a non-decreasing lower envelope) and
by the horizontal pattern gained by being nearer boresight
(``A_H(φ) - A_H(φ_edge)``). It does not depend on EIRP, which the radius rule ignores;
unserved pairs have no level (NaN).
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import TypeVar

import numpy as np

from coverage_gis.models.antenna import (
    SectorVectors,
    angle_offset_deg,
    cell_service_sectors,
    horizontal_gain_db,
)
from coverage_gis.models.base import (
    BoolArray,
    CandidatePairs,
    CellArrays,
    FloatArray,
    IntArray,
    ReceiverArrays,
    SourcePlan,
    map_pairs_within_reach,
)
from coverage_gis.models.pathloss import LinkBudget, pair_offsets_m, pairs_within_reach, range_cap_m
from coverage_gis.models.settings import ClassArray, ModelSettings
from coverage_gis.models.validity import OUTSIDE_FREQUENCY, ValidityReport, formula_code

_T = TypeVar("_T")


@dataclass(frozen=True)
class _CellTerms:
    """The per-cell terms of the radius rule: everything but the pairs' own geometry."""

    radius_m: FloatArray
    budget: LinkBudget
    service: SectorVectors
    #: The level at the radius on the sector's worst bearing (the threshold).
    edge_level_dbm: FloatArray
    band_flag: np.ndarray

    def take(self, index: IntArray, cells: CellArrays) -> _CellTerms:
        """The terms of ``cells``, the cells at ``index`` of these terms' cells (read at
        those rows: every term is the cell's own)."""
        return _CellTerms(
            radius_m=self.radius_m[index],
            budget=self.budget.take(index, cells),
            service=self.service.take(index),
            edge_level_dbm=self.edge_level_dbm[index],
            band_flag=self.band_flag[index],
        )

    @cached_property
    def sources(self) -> SourcePlan:
        """The cells grouped for the search within their radius (built on first search)."""
        cells = self.budget.cells
        return SourcePlan.of(cells.x_m, cells.y_m, self.radius_m)

    @cached_property
    def sector_by_source(self) -> tuple[FloatArray, FloatArray, FloatArray]:
        """The service sectors' ``(east, north, cos_half_beam)`` in the order of
        ``sources.order``: a source's cells are read one after the other."""
        order = self.sources.order
        return self.service.east[order], self.service.north[order], self.service.cos_half_beam[order]


class RadiusModel:
    """Served within the nominal radius of the cell's tech × band × clutter, in its service sector.

    Parameters
    ----------
    settings
        Model settings; reads ``radius_m``, ``threshold_dbm``, ``antenna`` (pattern and
        ``sector_edge_db``) and the link budget's formula (for the level).
    workers
        Threads for the candidate search; None = all CPUs.
    """

    name: str = "radius"

    def __init__(self, settings: ModelSettings, *, workers: int | None = None) -> None:
        self.settings = settings
        self.workers = workers
        # The terms of the last cells evaluated: one computation asks for the same cells
        # more than once (villages, then priority places). Held weakly, by identity.
        self._last_terms: tuple[weakref.ref[CellArrays], float, _CellTerms] | None = None
        # The terms of the table :meth:`hold_terms` was given, which its parts read.
        self._held_terms: tuple[weakref.ref[CellArrays], float, _CellTerms] | None = None

    def hold_terms(self, cells: CellArrays, *, receiver_height_m: float = 1.5) -> None:
        """Compute and keep the per-cell terms of ``cells``, one table at a time (they hold
        the table until the next call replaces them): the parts taken from it
        (:meth:`CellArrays.take`, e.g. the cells near a point the query API asks about)
        read their terms from these instead of computing them."""
        terms = self._computed_terms(cells, float(receiver_height_m))
        self._held_terms = (weakref.ref(cells), float(receiver_height_m), terms)

    def max_range_m(self, cells: CellArrays) -> FloatArray:
        """Per-cell nominal radius, metres (exact: nothing is served beyond it)."""
        return self._radius_m(cells.band_mhz, cells.tech, cells.environment)

    def _radius_m(self, band_mhz: FloatArray, tech: ClassArray, environment: ClassArray) -> FloatArray:
        """:meth:`max_range_m` of cells with these bands and classes (names or positions)."""
        radius = self.settings.radius_for_cells(tech, band_mhz, environment)
        return np.asarray(np.minimum(radius, range_cap_m(self.settings, tech)), dtype=np.float64)

    def candidate_pairs(
        self, receivers: ReceiverArrays, cells: CellArrays, *, keep_unserved: bool = True
    ) -> CandidatePairs:
        """Every pair within the radius; served when also inside the service sector.

        Parameters
        ----------
        receivers, cells
            Inputs in one metric CRS.
        keep_unserved
            False drops the in-radius pairs outside the service sector, for callers
            that only need coverage.
        """
        if len(receivers) == 0 or len(cells) == 0:
            return CandidatePairs.empty()
        terms, evaluate = self._evaluator(receivers, cells, keep_unserved=keep_unserved)
        return pairs_within_reach(receivers, cells, terms.radius_m, evaluate, workers=self.workers)

    def map_pairs(
        self, receivers: ReceiverArrays, cells: CellArrays, fn: Callable[[CandidatePairs], _T]
    ) -> list[_T]:
        """``fn`` of each batch of :meth:`candidate_pairs` (all kept), run in the search's threads."""
        if len(receivers) == 0 or len(cells) == 0:
            return [fn(CandidatePairs.empty())]
        terms, evaluate = self._evaluator(receivers, cells, keep_unserved=True)
        return map_pairs_within_reach(
            receivers.x_m,
            receivers.y_m,
            cells.x_m,
            cells.y_m,
            terms.radius_m,
            lambda recv, cell, dist: fn(evaluate(recv, cell, dist)),
            workers=self.workers,
            plan=terms.sources,
        )

    def map_served_pairs(
        self,
        receivers: ReceiverArrays,
        cells: CellArrays,
        fn: Callable[[CandidatePairs], _T],
        *,
        level_of: BoolArray,
        counted: int | None = None,
    ) -> tuple[list[_T], ValidityReport]:
        """``fn`` of each batch of the served pairs, levels of ``level_of`` cells only, and
        the validity report of every pair within the radius (of the first ``counted``
        receivers; None: all).

        One compiled pass per batch of sources (:func:`coverage_gis.models._sector.served_pairs`:
        the pair search and the service-sector test) keeps only the served pairs; the
        level (numpy, the rule of :meth:`candidate_pairs`) is computed for the pairs of
        ``level_of`` cells alone. Each batch hands ``fn`` two sets of pairs: those with a
        level, and the others (NaN level and distance).
        """
        if len(receivers) == 0 or len(cells) == 0:
            return [fn(CandidatePairs.empty())], ValidityReport()
        from coverage_gis.models._sector import served_pairs

        terms = self._cell_terms(cells, float(receivers.height_m))
        level = self._level(cells, terms)
        plan, band_flag = terms.sources, terms.band_flag
        rows = plan.receiver_rows(receivers.x_m, receivers.y_m)
        if not len(rows) or not len(plan):
            return [fn(CandidatePairs.empty())], ValidityReport()
        sectors = terms.sector_by_source
        wanted = np.asarray(level_of, dtype=np.bool_)[plan.order]
        n_counted = len(receivers) if counted is None else int(counted)
        table_code = np.int8(formula_code("radius_table"))

        def pairs(recv: IntArray, cell: IntArray, dist: FloatArray, signal: FloatArray) -> CandidatePairs:
            formula = np.full(recv.shape, table_code, dtype=np.int8)
            served = np.ones(recv.shape, dtype=bool)
            return CandidatePairs(recv, cell, dist, signal, served, formula=formula, outside=band_flag[cell])

        def run(lo: int, hi: int) -> tuple[list[_T], ValidityReport]:
            (l_recv, l_cell, l_dist, dx, dy), (o_recv, o_cell), hits = served_pairs(
                rows.arrays, plan.arrays, plan.members, sectors, wanted, lo, hi, n_counted
            )
            # Every pair within the radius counts: a source's hits, once for each of its cells.
            batch_cells = plan.order[plan.start[lo] : plan.start[hi - 1] + plan.count[hi - 1]]
            validity = ValidityReport.from_arrays(
                np.full(batch_cells.shape, table_code, dtype=np.int8),
                band_flag[batch_cells],
                count=np.repeat(hits, plan.count[lo:hi]),
            )
            # Nothing reads the other pairs' distance or level: the kernel leaves both out.
            unknown = np.full(o_recv.shape, np.nan)
            found = [
                fn(pairs(l_recv, l_cell, l_dist, level(l_cell, dx, dy, l_dist))),
                fn(pairs(o_recv, o_cell, unknown, unknown)),
            ]
            return found, validity

        parts = plan.map_batches(run, workers=self.workers)
        return [r for found, _ in parts for r in found], ValidityReport.merge([v for _, v in parts])

    def _cell_terms(self, cells: CellArrays, receiver_height_m: float) -> _CellTerms:
        """The per-cell terms of ``cells`` (those of the last cells asked again when they are
        the same; read from the held table's when ``cells`` were taken from it)."""
        held = self._last_terms
        if held is not None and held[0]() is cells and held[1] == receiver_height_m:
            return held[2]
        terms = self._held_part(cells, receiver_height_m) or self._computed_terms(cells, receiver_height_m)
        self._last_terms = (weakref.ref(cells), receiver_height_m, terms)
        return terms

    def _held_part(self, cells: CellArrays, receiver_height_m: float) -> _CellTerms | None:
        """The terms of ``cells`` read from the held table's, when they were taken from it."""
        whole, origin = self._held_terms, cells.origin()
        if whole is None or origin is None or whole[0]() is not origin[0] or whole[1] != receiver_height_m:
            return None
        return whole[2].take(origin[1], cells)

    def _computed_terms(self, cells: CellArrays, receiver_height_m: float) -> _CellTerms:
        """The per-cell terms of ``cells``, computed."""
        ant = self.settings.antenna
        budget = LinkBudget(cells, settings=self.settings, receiver_height_m=receiver_height_m)
        radius = self._radius_m(cells.band_mhz, budget.tech_index, budget.environment_index)
        centre, half = cell_service_sectors(cells, edge_db=ant.sector_edge_db)
        # The level at the radius on the sector's worst bearing is the threshold.
        worst_offset = np.maximum(
            np.abs(angle_offset_deg(centre + half, cells.azimuth_deg)),
            np.abs(angle_offset_deg(centre - half, cells.azimuth_deg)),
        )
        edge_gain = np.where(
            budget.sectors.omni,
            0.0,
            horizontal_gain_db(
                np.nan_to_num(worst_offset), cells.beamwidth_deg, max_attenuation_db=ant.max_attenuation_db
            ),
        )
        every = np.arange(len(cells), dtype=np.int64)
        return _CellTerms(
            radius_m=radius,
            budget=budget,
            service=SectorVectors.from_cells(centre, 2.0 * half),
            edge_level_dbm=np.asarray(
                budget.threshold_dbm + budget.path_loss_db(every, radius, lower_envelope=True) - edge_gain,
                dtype=np.float64,
            ),
            band_flag=np.where(
                self.settings.radius_band_outside(budget.tech_index, cells.band_mhz), OUTSIDE_FREQUENCY, 0
            ).astype(np.uint8),
        )

    def _level(
        self, cells: CellArrays, terms: _CellTerms
    ) -> Callable[[IntArray, FloatArray, FloatArray, FloatArray], FloatArray]:
        """The level of served pairs ``(cell, dx, dy, distance)`` under the radius rule."""
        ant = self.settings.antenna
        budget, edge_level = terms.budget, terms.edge_level_dbm

        def level(cell: IntArray, dx: FloatArray, dy: FloatArray, dist: FloatArray) -> FloatArray:
            from coverage_gis.models._level import radius_levels

            return radius_levels(
                cell,
                budget.sectors.offset_deg(dx, dy, cell),
                budget.path_loss_db(cell, dist, lower_envelope=True),
                edge_level,
                cells.beamwidth_deg,
                budget.sectors.omni,
                float(ant.max_attenuation_db),
            )

        return level

    def _evaluator(
        self, receivers: ReceiverArrays, cells: CellArrays, *, keep_unserved: bool
    ) -> tuple[_CellTerms, Callable[[IntArray, IntArray, FloatArray], CandidatePairs]]:
        """The cells' terms (radius, search plan), and the rule that decides the pairs within the radius."""
        terms = self._cell_terms(cells, float(receivers.height_m))
        service, band_flag = terms.service, terms.band_flag
        level = self._level(cells, terms)
        table_code = np.int8(formula_code("radius_table"))

        def evaluate(recv: IntArray, cell: IntArray, dist: FloatArray) -> CandidatePairs:
            dx, dy = pair_offsets_m(receivers, cells, recv, cell)
            served = service.contains(dx, dy, dist, cell)
            idx = np.flatnonzero(served)
            signal_served = level(cell[idx], dx[idx], dy[idx], dist[idx])
            formula = np.full(dist.shape, table_code, dtype=np.int8)
            if not keep_unserved:
                return CandidatePairs(
                    recv[idx],
                    cell[idx],
                    dist[idx],
                    signal_served,
                    served[idx],
                    formula=formula[idx],
                    outside=band_flag[cell[idx]],
                )
            signal = np.full(dist.shape, np.nan)
            signal[idx] = signal_served
            return CandidatePairs(recv, cell, dist, signal, served, formula=formula, outside=band_flag[cell])

        return terms, evaluate
