"""Each level's units as the KPI frames' cells give them, with all of a unit's KPI row that
does not depend on the coverage (``docs/architecture.md``: KPIs): its name, its measured
speeds and the share of its 2009 population the workspace holds.

Which units a level has, what they are called, their speed tests' medians and their
2009 population follow from the frames' rows grouped by unit (:mod:`coverage_gis.kpi_cells`),
the speed tests and the census alone: a unit's coverage counts are the only part of
its row that waits for the coverage. :class:`LevelUnits` holds that part of one level;
the full computation makes it for every level while the coverage search runs
(:class:`UnitsAhead`), and :mod:`coverage_gis.kpi_table` counts the sums after it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from coverage_gis.kpi_cells import FrameCells, LevelCells, level_cells
from coverage_gis.kpi_counts import pct_array
from coverage_gis.kpi_speeds import SpeedOrder, order_medians

#: A level's unit codes, their 2009 population held and that of the whole unit.
UnitPopulation = tuple[pd.Index, np.ndarray, np.ndarray]
#: The names of some rows of a frame (``v``, ``s``, ``p``, ``t``) at a level.
NamesAt = Callable[[str, str, np.ndarray], np.ndarray]


@dataclass(frozen=True, eq=False)
class LevelUnits:
    """One level's units (:class:`~coverage_gis.kpi_cells.LevelCells`) with their names,
    the median download of their mobile and of their fixed tests, and their 2009
    population: held, its % of the whole unit, and whether that is partial."""

    cells: LevelCells
    names: np.ndarray
    speeds: tuple[np.ndarray, np.ndarray]
    present: tuple[np.ndarray, np.ndarray, np.ndarray]


def level_units(
    cells: Mapping[str, FrameCells],
    names_at: NamesAt,
    order: SpeedOrder,
    unit_pop: UnitPopulation,
    level: str,
) -> LevelUnits:
    """:class:`LevelUnits` of ``level`` from the frames' cells, their names (``names_at``),
    the tests by download (``order``, with the cell of each test) and the units' census."""
    found = level_cells(cells, level)
    n = len(found.units)
    unit_names = np.full(n, None, dtype=object)
    named = np.zeros(n, dtype=bool)
    # The first frame holding a unit names it, villages first (as the row-by-row count
    # names it): the later frames read only the units not named yet.
    for key in ("v", "s", "p", "t"):
        units, rows = found.first_rows(cells, key)
        fresh = ~named[units]
        unit_names[units[fresh]] = names_at(key, level, rows[fresh])
        named[units[fresh]] = True
    speeds = order_medians(order, found.cell_unit["t"], n, cells["t"].row_cell)
    return LevelUnits(found, unit_names, speeds, present_population(unit_pop, found.units))


def present_population(
    unit_pop: UnitPopulation, units: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per unit: 2009 population held, its % of the whole unit, and whether that is partial.

    ``partial`` is None where the whole is unknown (pre-2025 levels).
    """
    codes, held, total = unit_pop
    where = codes.get_indexer(pd.Index(units.astype(object), dtype=object))
    found = where >= 0
    pop = np.zeros(len(units))
    whole = np.full(len(units), np.nan)
    pop[found] = held[where[found]]
    whole[found] = total[where[found]]
    pct = pct_array(pop, np.nan_to_num(whole, nan=0.0))
    partial = np.full(len(units), None, dtype=object)
    known = ~np.isnan(whole)
    partial[known] = pop[known] < whole[known]
    return np.asarray(np.rint(pop), dtype=np.int64), pct, partial


def unit_population(units: pd.DataFrame, levels: Sequence[str]) -> dict[str, UnitPopulation]:
    """Per level, the :data:`UnitPopulation` of ``units``
    (:func:`~coverage_gis.admin.unit_population_2009`)."""
    unit_level = units["level"].to_numpy(dtype=object)
    # Objects, hashed as they are (a str index would convert them to arrow first).
    unit_code = units["code"].astype(str).to_numpy(dtype=object)
    unit_pop = units["pop_2009"].to_numpy(dtype=float)
    unit_total = pd.to_numeric(units["pop_2009_total"]).to_numpy(dtype=float)
    by_level: dict[str, UnitPopulation] = {}
    for lvl in levels:
        mine = unit_level == lvl
        by_level[lvl] = (pd.Index(unit_code[mine], dtype=object), unit_pop[mine], unit_total[mine])
    return by_level


@dataclass(frozen=True, eq=False)
class UnitsAhead:
    """Every level's :class:`LevelUnits`, made ahead from the KPI frames' cells by whoever
    had the time (the full computation, while the coverage search runs); read only for
    these very cells (:func:`~coverage_gis.kpi_arrays.kpi_columns`)."""

    cells: Mapping[str, FrameCells]
    levels: Mapping[str, LevelUnits]

    def fits(self, cells: Mapping[str, FrameCells]) -> bool:
        """Whether these are the units of frames grouped into ``cells``."""
        return set(cells) == set(self.cells) and all(self.cells[k] is cells[k] for k in cells)
