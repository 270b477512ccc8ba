"""The nominal-radius coverage model (``radius``), the toolkit's default.

This module owns the rule provincial plans use to count a village as covered: a cell
serves a receiver when the receiver lies within the cell's nominal radius for its
technology and clutter class (``radius_m`` in the settings) and, for a sector cell,
within its beam: ``|bearing - azimuth| ≤ beamwidth / 2`` after wrapping (bearings 0° =
north, clockwise). Both edges are inclusive: a receiver exactly on the circle or on the
beam edge is served; one at the site itself (distance 0) is served by every cell there.

The candidate pairs are all pairs within the radius, in or out of the sector; the
search is exact (a k-d tree per distinct radius, then ``hypot(dx, dy) <= radius``), not
a polygon approximation of the circle. The signal estimate is the flat-ground link
budget of :mod:`coverage_gis.models.pathloss`, computed for served pairs only (NaN for
the others) so coverage rasters show a plausible level; it never changes the served
flag.
"""

from __future__ import annotations

import numpy as np

from coverage_gis.models.base import (
    CandidatePairs,
    CellArrays,
    FloatArray,
    IntArray,
    ReceiverArrays,
)
from coverage_gis.models.pathloss import LinkBudget, pair_offsets_m, pairs_within_reach
from coverage_gis.models.settings import ModelSettings


class RadiusModel:
    """Served within the nominal radius of the cell's tech × environment, in its sector.

    Parameters
    ----------
    settings
        Model settings; reads ``radius_m`` (and the link budget for the signal).
    workers
        Threads for the candidate search; None = all CPUs.
    """

    name: str = "radius"

    def __init__(self, settings: ModelSettings, *, workers: int | None = None) -> None:
        self.settings = settings
        self.workers = workers

    def max_range_m(self, cells: CellArrays) -> FloatArray:
        """Per-cell nominal radius, metres (exact: nothing is served beyond it)."""
        return self.settings.radius_for_cells(cells.tech, cells.environment)

    def candidate_pairs(
        self, receivers: ReceiverArrays, cells: CellArrays, *, keep_unserved: bool = True
    ) -> CandidatePairs:
        """Every pair within the radius; served when also inside the sector.

        Parameters
        ----------
        receivers, cells
            Inputs in one metric CRS.
        keep_unserved
            False drops the in-radius pairs outside the sector (about two thirds of
            the pairs of three-sector sites), for callers that only need coverage.
        """
        if len(receivers) == 0 or len(cells) == 0:
            return CandidatePairs.empty()
        budget = LinkBudget(cells, settings=self.settings, receiver_height_m=receivers.height_m)

        def evaluate(recv: IntArray, cell: IntArray, dist: FloatArray) -> CandidatePairs:
            dx, dy = pair_offsets_m(receivers, cells, recv, cell)
            served = budget.sectors.contains(dx, dy, dist, cell)
            idx = np.flatnonzero(served)
            signal_served = budget.signal_dbm(cell[idx], dx[idx], dy[idx], dist[idx])
            if not keep_unserved:
                return CandidatePairs(recv[idx], cell[idx], dist[idx], signal_served, served[idx])
            signal = np.full(dist.shape, np.nan)
            signal[idx] = signal_served
            return CandidatePairs(recv, cell, dist, signal, served)

        return pairs_within_reach(receivers, cells, self.max_range_m(cells), evaluate, workers=self.workers)
