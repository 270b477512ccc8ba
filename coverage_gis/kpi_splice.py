"""Some units' KPI rows recomputed and spliced into a KPI table (``docs/architecture.md``:
live site edits): each unit's row depends only on the rows inside it, so a live workspace
recounts the units an edit touched and overwrites their rows where they stand, sharing the
columns whose values do not change.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from coverage_gis._strings import str_array
from coverage_gis._values import equal_values
from coverage_gis.admin import LEVELS
from coverage_gis.kpi_arrays import KpiColumns
from coverage_gis.kpi_table import _check_levels, _concat, _level_arrays


@dataclass(frozen=True)
class KpiSplice:
    """A KPI table with some units' rows recomputed (:func:`splice_kpi_rows`)."""

    table: pd.DataFrame
    #: The recomputed rows (the given units that still exist), level by level: one array
    #: per column of ``table``.
    fresh: Mapping[str, np.ndarray]
    #: Row of each (level, code) in ``table``.
    positions: Mapping[tuple[str, str], int]


def kpi_positions(kpis: pd.DataFrame) -> dict[tuple[str, str], int]:
    """Row of each (level, code) in a KPI table."""
    keys = zip(kpis["level"].astype(str), kpis["code"].astype(str), strict=True)
    return {key: i for i, key in enumerate(keys)}


def splice_kpi_rows(
    kpis: pd.DataFrame,
    columns: KpiColumns,
    codes_by_level: Mapping[str, set[str]],
    positions: Mapping[tuple[str, str], int] | None = None,
) -> KpiSplice:
    """Recompute only the KPI rows of the given units and splice them into ``kpis``.

    Each unit's row depends only on the villages, sites, POIs and speed tests inside
    it, so recomputing a unit from its own rows gives exactly what a full
    :func:`compute_kpis` gives for it. ``columns`` must hold every row of those units
    (rows of other units are ignored). Units that no longer have any feature vanish.
    ``positions`` is :func:`kpi_positions` of ``kpis`` when the caller keeps it.
    """
    levels = [lvl for lvl, codes in codes_by_level.items() if codes]
    _check_levels(levels)
    where = positions if positions is not None else kpi_positions(kpis)
    if not levels:
        return KpiSplice(kpis, {name: np.empty(0, dtype=object) for name in kpis.columns}, where)
    parts = [_level_arrays(columns, level, only=codes_by_level[level]) for level in levels]
    fresh = {name: np.concatenate([part[name] for part in parts]) for name in parts[0]}
    keys = zip(fresh["level"], fresh["code"], strict=True)
    at = np.fromiter(
        (where.get((str(lvl), str(code)), -1) for lvl, code in keys), np.int64, len(fresh["level"])
    )
    asked = sum(len(codes_by_level[level]) for level in levels)
    if len(at) == asked and (at >= 0).all():
        # The usual edit: every unit asked for still exists and existed before; its row
        # is overwritten where it stands (the table's order does not change).
        rows = overwrite_kpi_rows({name: kpis[name].array for name in kpis.columns}, at, fresh)
        return KpiSplice(pd.DataFrame(rows, copy=False), fresh, where)
    fresh_rows = pd.DataFrame(fresh)
    level_col = kpis["level"].to_numpy(dtype=object)
    code_col = pd.Index(kpis["code"].to_numpy(dtype=object))
    drop = np.zeros(len(kpis), dtype=bool)
    for level in levels:
        drop |= (level_col == level) & code_col.isin(list(codes_by_level[level]))
    merged = _concat([kpis[~drop], fresh_rows])
    order = {level: i for i, level in enumerate(LEVELS)}
    rank = merged["level"].map(order).to_numpy(dtype=np.int64)
    sort = np.lexsort((str_array(merged["code"]), rank))
    table = merged.iloc[sort].reset_index(drop=True)
    return KpiSplice(table, fresh, kpi_positions(table))


def overwrite_kpi_rows(
    columns: Mapping[str, Any], at: np.ndarray, fresh: Mapping[str, np.ndarray]
) -> dict[str, Any]:
    """A KPI table's columns (one array each) with rows ``at`` set to ``fresh`` (one array
    per column, same units in the same rows): a column ``fresh`` lacks or whose rows keep
    their values is shared, not copied."""
    data: dict[str, Any] = {}
    for name, column in columns.items():
        new = fresh.get(name)
        if new is None or equal_values(np.asarray(column.take(at), dtype=object), new).all():
            data[name] = column  # unchanged: shared, not copied (nor re-inferred)
            continue
        values = np.array(column, copy=True)
        if values.dtype != new.dtype and values.dtype != object:
            values = values.astype(np.result_type(values.dtype, new.dtype))
        values[at] = new
        data[name] = values
    return data
