"""The KPI table's measured speeds: each unit's median download of its mobile and of its fixed tests.

Sorting a kind's tests by unit and download for every level cost most of a national
KPI computation. The order of the tests by download does not depend on the level: it
is made once per :class:`~coverage_gis.kpi.KpiColumns` (:class:`SpeedOrder`, kept with
them as their cells' sums are), and each level's medians, of both kinds, are one
compiled pass over it (:func:`coverage_gis.speed.sorted_group_medians`). The medians
are :func:`coverage_gis.speed.grouped_weighted_median`'s of each kind's tests by unit:
the weights are test counts, whole numbers whose sums are exact in float64 in any order.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from coverage_gis._column_codes import object_codes
from coverage_gis.speed import sorted_group_medians, value_order

if TYPE_CHECKING:
    from coverage_gis.kpi import KpiColumns

#: The test kinds whose median download is a KPI column, in :func:`speed_medians`' order.
SPEED_KINDS: tuple[str, ...] = ("mobile", "fixed")


@dataclass(frozen=True, eq=False)
class SpeedOrder:
    """The speed tests by ascending download (:func:`~coverage_gis.speed.value_order`), the
    same at every level: per test in that order, its download, its weight (tests), its
    position in :data:`SPEED_KINDS` (-1: another kind), its row and, when the columns
    hold cells, its cell."""

    mbps: np.ndarray
    weight: np.ndarray
    kind: np.ndarray
    row: np.ndarray
    cell: np.ndarray | None

    @staticmethod
    def of(c: KpiColumns) -> SpeedOrder:
        """The order of ``c``'s speed tests, made when first asked for and kept in ``c``."""
        if not c.speed_order:
            found = SpeedOrder.made(
                c.test_kind, c.test_mbps, c.test_weight, c.cells["t"].row_cell if c.cells else None
            )
            # Replaced whole (not extended): two threads counting at once make the same order.
            c.speed_order[:] = [found]
        return c.speed_order[0]

    @staticmethod
    def made(
        kind: np.ndarray, mbps: np.ndarray, weight: np.ndarray, row_cell: np.ndarray | None
    ) -> SpeedOrder:
        """The order of tests with these kinds (:func:`kind_positions`), downloads and
        weights (``row_cell``: the cell of each row, None where the rows are not grouped
        into cells)."""
        row = value_order(mbps, weight)
        cell = row_cell[row] if row_cell is not None else None
        return SpeedOrder(mbps[row], weight[row], kind[row], row, cell)


def kind_positions(kinds: pd.Series | np.ndarray) -> np.ndarray:
    """Each test's position in :data:`SPEED_KINDS` (int8; -1: another kind or none) from
    its ``kind`` (a column or an array): the few distinct kinds compared, not every row."""
    if kinds.dtype == object:
        # An object column repeats a few objects: hashed by address (object_codes).
        codes, names = object_codes(np.asarray(kinds, dtype=object))
    else:
        factorized, distinct = pd.factorize(kinds)
        codes, names = np.asarray(factorized, dtype=np.int64), np.asarray(distinct, dtype=object)
    # A missing kind (code -1) takes the entry past the last: -1.
    lookup = np.full(len(names) + 1, -1, dtype=np.int8)
    for position, name in enumerate(SPEED_KINDS):
        lookup[:-1][names == name] = position
    return np.asarray(lookup[codes])


def speed_medians(c: KpiColumns, test_unit: np.ndarray, n_units: int) -> tuple[np.ndarray, np.ndarray]:
    """The median download of each unit's mobile and of its fixed tests (NaN: none);
    ``test_unit`` is the unit (``0..n_units-1``, -1: none) of each speed-test row of ``c``."""
    tests = SpeedOrder.of(c)
    return _medians(tests, test_unit[tests.row], n_units)


def order_medians(
    order: SpeedOrder, cell_unit: np.ndarray, n_units: int, row_cell: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`speed_medians` of tests grouped into cells: ``cell_unit`` is the unit of each
    cell of them; ``row_cell`` the cell of each test where ``order`` holds none."""
    if order.cell is not None:
        return _medians(order, cell_unit[order.cell], n_units)
    if row_cell is None:
        raise ValueError("the cell of each test is needed: the order holds none")
    return _medians(order, cell_unit[row_cell[order.row]], n_units)


def _medians(order: SpeedOrder, unit: np.ndarray, n_units: int) -> tuple[np.ndarray, np.ndarray]:
    """The medians of each unit (``unit``: of each test in ``order``), of both kinds."""
    medians = sorted_group_medians(order.mbps, order.weight, order.kind, unit, len(SPEED_KINDS), n_units)
    return medians[0], medians[1]
