"""KPI input rows grouped into *cells*: the rows whose unit codes agree at every level.

A national workspace's KPI inputs repeat a few thousand unit codes over some 200,000
rows at five levels, and counting them level by level hashed, converted and added up
every row five times over. Here each code column is hashed once: a frame's rows fall
into cells (the rows in the same unit at every level, about one per commune and
2025 commune), every per-unit sum is first added up per cell, and each level's units,
sums, names and the unit of each row follow from the cells (a few thousand) instead
of the rows. :mod:`coverage_gis.kpi` counts from the cells when its arrays came
straight from the input frames (:func:`~coverage_gis.kpi.kpi_columns`); the numbers are
those counted row by row (the sums are of whole numbers, exact in float64 in any order).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from coverage_gis._column_codes import all_strings, object_addresses, object_codes
from coverage_gis._strings import distinct_strings
from coverage_gis.admin import LEVEL_COLUMNS, LEVELS
from coverage_gis.kpi_counts import Term, add_terms, term_sums

#: Mixed-radix cell keys stay below this (int64); a frame needing more is counted by rows.
_KEY_LIMIT = 2**62


@dataclass(frozen=True, eq=False)
class FrameCells:
    """One input frame's rows grouped into cells.

    Cells are numbered in the order of their first rows, so a unit's first row is the
    first row of its lowest-numbered cell.
    """

    #: The cell of each row.
    row_cell: np.ndarray
    #: The first row of each cell (increasing).
    first_row: np.ndarray
    #: Level → each cell's code as a position in :attr:`distinct` (-1: no unit).
    unit: Mapping[str, np.ndarray]
    #: Level → the distinct codes of the frame's rows (``str`` objects).
    distinct: Mapping[str, np.ndarray]

    def codes(self, level: str) -> np.ndarray:
        """Each row's code of ``level`` as an object (None where it has none)."""
        # A row without a unit (-1) takes the entry past the last: None.
        lookup = np.concatenate([self.distinct[level], np.array([None], dtype=object)])
        return np.asarray(lookup[self.unit[level][self.row_cell]])


def frame_cells(
    frame: pd.DataFrame, levels: Sequence[str], source: np.ndarray | None = None
) -> FrameCells | None:
    """The cells of ``frame``'s rows at ``levels`` (code columns of :data:`LEVEL_COLUMNS`).

    ``source``: per row, where its codes came from (rows of one source hold the same
    codes: :class:`~coverage_gis.admin.AdminRows`), when the caller knows it: the cells
    of one row per source, spread to the rows by their sources (:func:`_sourced_cells`),
    the same cells without hashing every row's codes.

    None when a code column holds anything but strings and missing values (hashing
    would merge ``1`` and ``1.0``, which the KPIs tell apart as strings).

    Hashing a column of Python strings row by row is most of the cost (~10 ms per
    400,000 rows where some are missing; a pandas string column hashes several times
    faster): such a column repeats its units' code objects, and is hashed by object
    address first (:func:`_distinct`). Such columns of the coarser levels (a province,
    a district) usually hold one value per cell of the other columns: those are
    checked, not hashed (:func:`_values_per_cell`), and hashed only when some cell holds
    two. The cells and codes are the same either way.
    """
    if source is not None and levels:
        return _sourced_cells(frame, levels, source)
    columns = {level: frame[LEVEL_COLUMNS[level][0]] for level in levels}
    # Python-string columns but the finest one (the last in LEVELS): checked, not hashed.
    objects = sorted((lvl for lvl in levels if columns[lvl].dtype == object), key=LEVELS.index)
    checked = objects[:-1]
    hashed = [level for level in levels if level not in checked]
    found = _hashed_cells(columns, hashed, len(frame))
    if found is None or not checked:
        return found
    unit, distinct = dict(found.unit), dict(found.distinct)
    for level in checked:
        per_cell = _values_per_cell(columns[level].to_numpy(), found)
        if per_cell is None:
            return _hashed_cells(columns, levels, len(frame))
        unit[level], distinct[level] = per_cell
    return FrameCells(
        found.row_cell,
        found.first_row,
        {level: unit[level] for level in levels},
        {level: distinct[level] for level in levels},
    )


def _sourced_cells(frame: pd.DataFrame, levels: Sequence[str], source: np.ndarray) -> FrameCells | None:
    """:func:`frame_cells` of ``frame`` whose rows of one ``source`` hold the same codes.

    The sources are numbered in the order of their first rows, so the cells of those
    first rows (one per source, a few thousand) come in the order of the frame's; each
    row takes its source's cell, each cell the first row of its first source.
    """
    numbers, _sources = pd.factorize(source)
    numbers = np.asarray(numbers, dtype=np.int64)
    first = _first_rows(numbers)
    # The code columns' first rows, column by column (selecting the columns first would
    # copy every row of them out of the frame's blocks).
    columns = (LEVEL_COLUMNS[level][0] for level in levels)
    found = frame_cells(pd.DataFrame({column: frame[column].iloc[first] for column in columns}), levels)
    if found is None:
        return None
    return FrameCells(found.row_cell[numbers], first[found.first_row], found.unit, found.distinct)


@dataclass(frozen=True, eq=False)
class GroupedFrame:
    """A KPI input frame with its rows grouped into cells at ``levels`` (:func:`frame_cells`),
    by whoever built the frame and had the time: the full computation groups every KPI
    frame while the coverage search runs, not after it (the villages' and places' from
    their admin columns, then :meth:`moved_to` their KPI rows)."""

    frame: pd.DataFrame
    levels: tuple[str, ...]
    cells: FrameCells | None

    @classmethod
    def of(cls, frame: pd.DataFrame, levels: Sequence[str], source: np.ndarray | None = None) -> GroupedFrame:
        """``frame`` grouped at ``levels`` (``source``: as :func:`frame_cells` reads it)."""
        return cls(frame, tuple(levels), frame_cells(frame, levels, source))

    def moved_to(self, frame: pd.DataFrame) -> tuple[GroupedFrame, ...]:
        """This grouping as that of ``frame``, a frame made from this one that holds its unit
        code columns as they are, row for row (its admin columns with facts added: the
        villages' KPI rows after the coverage); none where the rows differ in number."""
        if len(frame) != len(self.frame):
            return ()
        return (GroupedFrame(frame, self.levels, self.cells),)


def grouped_cells(
    frame: pd.DataFrame, levels: Sequence[str], grouped: Sequence[GroupedFrame] = ()
) -> FrameCells | None:
    """:func:`frame_cells` of ``frame`` at ``levels``: as ``grouped`` holds it for this very
    frame and these levels, else counted now."""
    for held in grouped:
        if held.frame is frame and held.levels == tuple(levels):
            return held.cells
    return frame_cells(frame, levels)


def _hashed_cells(columns: Mapping[str, pd.Series], levels: Sequence[str], n: int) -> FrameCells | None:
    """The cells of the ``n`` rows at ``levels``, each code column hashed (:func:`frame_cells`)."""
    key = np.zeros(n, dtype=np.int64)
    radix: dict[str, tuple[int, int]] = {}
    distinct: dict[str, np.ndarray] = {}
    stride = 1
    for level in levels:
        found = _distinct(columns[level])
        if found is None or stride * (len(found[1]) + 1) >= _KEY_LIMIT:
            return None
        codes, distinct[level] = found
        radix[level] = (stride, len(found[1]) + 1)
        # Digit 0: no unit at this level.
        key += (codes + 1) * stride
        stride *= len(found[1]) + 1
    row_cell, keys = pd.factorize(key)
    row_cell = np.asarray(row_cell, dtype=np.int64)
    keys = np.asarray(keys, dtype=np.int64)
    unit = {level: (keys // stride_ % size) - 1 for level, (stride_, size) in radix.items()}
    return FrameCells(row_cell, _first_rows(row_cell), unit, distinct)


def _first_rows(codes: np.ndarray) -> np.ndarray:
    """The first row of each code of ``codes`` (``pd.factorize`` numbers them as they first
    appear, from 0): where the running highest code rises."""
    top = np.maximum.accumulate(codes) if len(codes) else codes
    return np.flatnonzero(np.diff(top, prepend=-1) > 0)


def _distinct(column: pd.Series) -> tuple[np.ndarray, np.ndarray] | None:
    """:func:`distinct_strings` of a code column; a column of Python strings hashed by
    object first (:func:`~coverage_gis._column_codes.object_codes`: the rows of a unit
    share its code's object)."""
    if column.dtype != object:
        return distinct_strings(column)
    codes, names = object_codes(column.to_numpy())
    return (codes, names) if all_strings(names) else None


def _values_per_cell(values: np.ndarray, cells: FrameCells) -> tuple[np.ndarray, np.ndarray] | None:
    """Where every row of each cell holds its cell's value (a string, or missing as
    hashing sees it: None, NaN, ...): each cell's value as a position among the distinct
    values (-1: missing) and those values, as :func:`distinct_strings` of the rows gives
    them (a value first appears on the first row of a cell). Else None.

    Two objects ``==`` each other exactly where they hash alike (strings; every other value
    makes :func:`distinct_strings` refuse): comparing each row with its cell's first row
    costs about half of hashing it.
    """
    per_cell = values[cells.first_row]
    # Rows holding their cell's very object are compared by address (an object equals
    # itself, a missing value is missing alike); the others, if any, by value.
    address = object_addresses(values)
    if address is not None:
        differ = np.flatnonzero(address != address[cells.first_row][cells.row_cell])
        values = values[differ]
        spread = per_cell[cells.row_cell[differ]]
    else:
        spread = per_cell[cells.row_cell]
    try:
        same = np.asarray(values == spread, dtype=bool)
    except (TypeError, ValueError):  # e.g. pd.NA, which has no truth value
        return None
    odd = np.flatnonzero(~same)
    if odd.size and not (pd.isna(values[odd]) & pd.isna(spread[odd])).all():
        return None
    return distinct_strings(per_cell)


@dataclass(frozen=True, eq=False)
class LevelCells:
    """One level's units (sorted codes) and, per frame (``v``, ``s``, ``p``, ``t``), each
    cell's unit (-1: none)."""

    units: np.ndarray
    cell_unit: Mapping[str, np.ndarray]

    def row_unit(self, cells: Mapping[str, FrameCells], key: str) -> np.ndarray:
        """The unit of each row of frame ``key`` (-1: none)."""
        return np.asarray(self.cell_unit[key][cells[key].row_cell])

    def first_rows(self, cells: Mapping[str, FrameCells], key: str) -> tuple[np.ndarray, np.ndarray]:
        """The units frame ``key``'s rows lie in, and the first row of each."""
        unit = self.cell_unit[key]
        held = np.flatnonzero(unit >= 0)
        # Each unit's lowest cell (the past-the-end cell where it has none).
        first = np.full(len(self.units), len(unit), dtype=np.int64)
        np.minimum.at(first, unit[held], held)
        units = np.flatnonzero(first < len(unit))
        return units, cells[key].first_row[first[units]]


def level_cells(cells: Mapping[str, FrameCells], level: str) -> LevelCells:
    """The units of ``level`` that the frames' rows lie in, as
    ``np.unique(codes.astype(str))`` of every row's code sorts them."""
    keys = list(cells)
    distinct = [cells[k].distinct[level] for k in keys]
    # The frames' codes hashed together first: each distinct one converted and sorted once.
    merged, union = pd.factorize(np.concatenate(distinct))
    units, inverse = np.unique(np.asarray(union, dtype=object).astype(str), return_inverse=True)
    if not len(union):
        units = np.empty(0, str)
    position = np.asarray(inverse, dtype=np.int64).reshape(-1)[merged]
    ends = np.cumsum([len(d) for d in distinct])
    cell_unit = {
        # A cell without a unit (-1) takes the entry past the last: -1.
        k: np.append(local, -1)[cells[k].unit[level]]
        for k, local in zip(keys, np.split(position, ends[:-1]), strict=True)
    }
    return LevelCells(units, cell_unit)


def cell_terms(terms: Sequence[Term], cells: Mapping[str, FrameCells]) -> list[Term]:
    """The :func:`~coverage_gis.kpi_counts.row_terms` of a frame's rows added up per cell:
    the same terms, each cell adding its rows' total."""
    summed: list[Term] = []
    for name, key, weights in terms:
        frame = cells[key]
        total = term_sums([(name, key, weights)], {key: frame.row_cell}, None, len(frame.first_row))[0]
        summed.append((name, key, total))
    return summed


def level_sums(per_cell: Sequence[Term], level: LevelCells) -> dict[str, np.ndarray]:
    """Per unit of ``level``, the sums :func:`~coverage_gis.kpi_counts.sum_columns` reads,
    added up from the cells' terms (:func:`cell_terms`)."""
    held = {key: unit >= 0 for key, unit in level.cell_unit.items()}
    idx = {key: unit[held[key]] for key, unit in level.cell_unit.items()}
    return add_terms(per_cell, term_sums(per_cell, idx, held, len(level.units)))
