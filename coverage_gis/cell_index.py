"""Which cells can serve a place: a k-d tree over a cell table with each cell's reach.

A model serves nothing beyond a cell's ``max_range_m``; so the cells that can serve any
point of a box are those within their own reach of it. A live edit asks this for the
villages around the sites it touches, and the point-coverage read for one point, of a
national table (hundreds of thousands of cells) where running the model over every
cell would cost far more than the answer (``docs/architecture.md``: live workspace).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

from coverage_gis.models.base import CellArrays, CoverageModel, HoldsCellTerms
from coverage_gis.network import CellTable

#: Reach quantiles that split the cells into groups, each searched with its own
#: longest reach: a few long-reach cells (rural 900 MHz) no longer widen the search
#: for the many short-reach ones.
_GROUP_QUANTILES = (0.5, 0.9)


@dataclass(frozen=True, eq=False)
class _ReachGroup:
    """Cells of similar reach: their rows in the table, a k-d tree, their longest reach."""

    rows: np.ndarray
    tree: cKDTree
    max_reach_m: float


@dataclass(frozen=True, eq=False)
class CellIndex:
    """The cells of one table in k-d trees (one per reach group), with the reach the model gives each."""

    x_m: np.ndarray
    y_m: np.ndarray
    reach_m: np.ndarray
    groups: tuple[_ReachGroup, ...] = ()
    #: The longest finite reach: how far from a box any cell that reaches it can lie.
    max_reach_m: float = 0.0

    @classmethod
    def build(cls, cells: CellArrays, model: CoverageModel, *, hold_terms: bool = False) -> CellIndex:
        """The index of ``cells`` under ``model``.

        ``hold_terms``: also have the model keep the cells' per-cell terms where it can
        (:class:`~coverage_gis.models.base.HoldsCellTerms`), so that the many small sets of
        cells :meth:`cells_near` takes (one per point the query API is asked about) read
        theirs from them instead of computing them each time.
        """
        if hold_terms and isinstance(model, HoldsCellTerms):
            model.hold_terms(cells)
        if not len(cells):
            empty = np.empty(0, dtype=np.float64)
            return cls(empty, empty, empty)
        reach = np.asarray(model.max_range_m(cells), dtype=np.float64)
        finite = np.isfinite(reach)
        longest = float(reach[finite].max(initial=0.0))
        edges = np.unique(np.quantile(reach[finite], _GROUP_QUANTILES)) if finite.any() else np.empty(0)
        # Group k holds reaches up to edges[k]; the last also those without a finite reach.
        group_of = np.where(finite, np.searchsorted(edges, reach, side="left"), edges.size)
        groups = []
        for k in np.unique(group_of).tolist():
            rows = np.flatnonzero(group_of == k)
            own = reach[rows]
            group_max = float(own[np.isfinite(own)].max(initial=0.0)) if k < edges.size else longest
            tree = cKDTree(np.column_stack([cells.x_m[rows], cells.y_m[rows]]))
            groups.append(_ReachGroup(rows, tree, group_max))
        return cls(cells.x_m, cells.y_m, reach, tuple(groups), longest)

    def rows_near(self, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
        """Sorted rows of the cells within their reach of the box ``lo``–``hi``: the cells
        that can serve some point of the box (:func:`in_reach_of_box`)."""
        if not self.groups:
            return np.empty(0, dtype=np.int64)
        centre = (lo + hi) / 2.0
        half_diagonal = float(np.hypot(*(hi - lo))) / 2.0
        found = []
        for group in self.groups:
            # A cell within its reach of the box lies within half the box's diagonal + its
            # reach of the box's centre (a metre of slack for the tree's rounding).
            radius = half_diagonal + group.max_reach_m + 1.0
            hits = np.asarray(group.tree.query_ball_point(centre, radius), dtype=np.int64)
            found.append(group.rows[hits])
        near = np.sort(np.concatenate(found))
        rows: np.ndarray = near[in_reach_of_box(self.x_m[near], self.y_m[near], self.reach_m[near], lo, hi)]
        return rows

    def cells_near(self, table: CellTable, lo: np.ndarray, hi: np.ndarray) -> CellTable:
        """The rows of ``table`` (the table this index was built on) that :meth:`rows_near` finds."""
        return take_rows(table, self.rows_near(lo, hi))


def take_rows(table: CellTable, rows: np.ndarray) -> CellTable:
    """The cells at positions ``rows`` of ``table``, each once and in table order (without a
    pass over the whole table)."""
    return table.take(np.unique(rows))


def in_reach_of_box(
    x: np.ndarray, y: np.ndarray, reach: np.ndarray, lo: np.ndarray, hi: np.ndarray
) -> np.ndarray:
    """Which cells lie within their reach of the box ``lo``–``hi`` (of its nearest point;
    a cell inside the box is at 0 m). A cell without a finite reach is within any
    (an infinite one) or none (NaN)."""
    dx = np.maximum(np.maximum(lo[0] - x, x - hi[0]), 0.0)
    dy = np.maximum(np.maximum(lo[1] - y, y - hi[1]), 0.0)
    inside: np.ndarray = np.hypot(dx, dy) <= reach
    return inside
