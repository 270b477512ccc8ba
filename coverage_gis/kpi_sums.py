"""Per-unit KPI sums kept between live edits, and the KPI rows recounted from them.

A site edit changes a few villages, places and sites; recomputing the KPI rows of
the units they lie in from every row of those units costs most of an edit on a
national workspace (a province holds thousands of villages and sites). Every KPI
count and percentage is made of per-unit sums (:func:`coverage_gis.kpi_counts.row_sums`),
and a sum over a unit's rows moves by exactly what the changed rows add and take
away. So a live workspace keeps :class:`KpiSums` — every level's sums, per unit — and
an edit moves them (:meth:`KpiSums.moved`: the old rows' sums out, the new rows' in),
then recounts only the touched units' columns from them (:meth:`KpiSums.spliced`).

The sums are of integers (counts, people, households, operators: the layers hold
them as whole numbers), held as float64 far below 2**53, so adding and taking away
is exact and the kept sums equal a fresh count's. The columns are made from them by
:func:`~coverage_gis.kpi_counts.sum_columns`, as the full compute makes them. A
:class:`KpiSums` never changes: :meth:`~KpiSums.moved` returns a new one, so a live
state holding it moves on only when the edit is written.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from coverage_gis.admin import LEVELS
from coverage_gis.kpi import KpiColumns, overwrite_kpi_rows, unit_sums
from coverage_gis.kpi_counts import row_terms, sum_columns


@dataclass(frozen=True, eq=False)
class LevelSums:
    """One level's sums: a row per unit code seen so far, a column per sum."""

    #: Row of each unit code in :attr:`values`.
    row: Mapping[str, int]
    #: Units × sums (:attr:`KpiSums.fields`), never written once made.
    values: np.ndarray


@dataclass(frozen=True, eq=False)
class KpiSums:
    """Every level's per-unit KPI sums (:func:`~coverage_gis.kpi.unit_sums`). Never changes."""

    #: The sums, in the order of :attr:`LevelSums.values`' columns.
    fields: tuple[str, ...]
    levels: Mapping[str, LevelSums]

    @classmethod
    def of(cls, columns: KpiColumns, levels: Sequence[str] = LEVELS) -> KpiSums:
        """The sums of every row of ``columns``."""
        fields: tuple[str, ...] = ()
        kept: dict[str, LevelSums] = {}
        for level in levels:
            units, sums = unit_sums(columns, level)
            fields = tuple(sums)
            values = np.column_stack([sums[f] for f in fields]).reshape(len(units), len(fields))
            kept[level] = LevelSums({str(u): i for i, u in enumerate(units)}, values)
        return cls(fields, kept)

    def moved(self, removed: KpiColumns, added: KpiColumns) -> KpiSums:
        """The sums with the rows of ``removed`` taken out and those of ``added`` put in.

        ``removed`` must hold rows counted in these sums as they were counted (an
        edit's rows before it), ``added`` the same rows after it and any new ones.
        Each row's terms (:func:`~coverage_gis.kpi_counts.row_terms`) are added to
        (taken from) its unit of every level.
        """
        changes = [(removed, self._terms(removed), -1.0), (added, self._terms(added), 1.0)]
        levels: dict[str, LevelSums] = {}
        for level, kept in self.levels.items():
            row = kept.row
            located = []
            for columns, terms, sign in changes:
                for key, matrix in terms.items():
                    codes = columns.codes[key][level]
                    known = np.flatnonzero(codes != None)  # noqa: E711 - elementwise on objects
                    if len(known):
                        located.append(([str(code) for code in codes[known]], sign * matrix[known]))
            new = [code for found, _ in located for code in found if code not in row]
            if new:
                row = dict(row)
                for code in dict.fromkeys(new):
                    row[code] = len(row)
                values = np.zeros((len(row), len(self.fields)))
                values[: len(kept.values)] = kept.values
            else:
                values = kept.values.copy()
            for found, change in located:
                np.add.at(values, np.fromiter((row[c] for c in found), np.int64, len(found)), change)
            levels[level] = LevelSums(row, values)
        return KpiSums(self.fields, levels)

    def _terms(self, columns: KpiColumns) -> dict[str, np.ndarray]:
        """Per input frame, what each row adds to each sum (rows × :attr:`fields`)."""
        sizes = {"v": len(columns.population), "s": len(columns.shared)}
        sizes |= {"p": len(columns.centre), "t": len(columns.test_kind)}
        matrices = {key: np.zeros((n, len(self.fields))) for key, n in sizes.items() if n}
        where = {name: i for i, name in enumerate(self.fields)}
        for name, key, weights in row_terms(columns):
            if key in matrices:
                matrices[key][:, where[name]] += 1.0 if weights is None else weights
        return matrices

    def frame(self, level: str) -> pd.DataFrame:
        """The sums of the units that hold any row, by code (sorted), one column per sum."""
        kept = self.levels[level]
        # The codes as strings whether any unit is kept or none (an empty frame's index
        # has the same type as a full one's).
        codes = pd.Index(np.array(list(kept.row), dtype=object), dtype="str")
        table = pd.DataFrame(kept.values[list(kept.row.values())], index=codes, columns=list(self.fields))
        return table[table["rows"] > 0].sort_index()

    def spliced(
        self,
        table: Mapping[str, Any],
        codes_by_level: Mapping[str, set[str]],
        positions: Mapping[tuple[str, str], int],
    ) -> Recounted | None:
        """The KPI table ``table`` (one array per column) with the rows of the given units
        recounted from these sums.

        The columns that are not sums (names, speed medians, 2009 population) do not
        move with a site edit and are kept. None when a unit appears or vanishes (it
        is not in the table or holds no row any more): the caller then recomputes those
        units' rows from their inputs (:func:`~coverage_gis.kpi.splice_kpi_rows`).
        """
        at_parts: list[np.ndarray] = []
        derived_parts: list[dict[str, np.ndarray]] = []
        rows_field = self.fields.index("rows")
        for level, wanted in codes_by_level.items():
            if not wanted:
                continue
            codes = sorted(wanted)
            kept = self.levels[level]
            at = np.fromiter((positions.get((level, c), -1) for c in codes), np.int64, len(codes))
            where = np.fromiter((kept.row.get(c, -1) for c in codes), np.int64, len(codes))
            if (at < 0).any() or (where < 0).any():
                return None
            sums = kept.values[where]
            if (sums[:, rows_field] <= 0).any():
                return None
            at_parts.append(at)
            derived_parts.append(sum_columns({f: sums[:, i] for i, f in enumerate(self.fields)}))
        if not at_parts:
            return Recounted(table, {name: np.empty(0, dtype=object) for name in table})
        at = np.concatenate(at_parts)
        derived = {name: np.concatenate([part[name] for part in derived_parts]) for name in derived_parts[0]}
        # The other columns keep their rows: shared as they are, read for the records.
        fresh = {
            name: derived[name] if name in derived else np.asarray(column.take(at))
            for name, column in table.items()
        }
        return Recounted(overwrite_kpi_rows(table, at, derived), fresh)


@dataclass(frozen=True, eq=False)
class Recounted:
    """A KPI table with some units' rows recounted (:meth:`KpiSums.spliced`); its units
    and their rows are those it was made from."""

    #: The table's columns, one array each (unchanged ones shared with the table before).
    table: Mapping[str, Any]
    #: The recounted rows, level by level and by code: one array per column.
    fresh: Mapping[str, np.ndarray]
