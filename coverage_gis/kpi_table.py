"""The KPI table (``docs/architecture.md``: KPIs): its columns, and each level's rows
counted from the arrays of :mod:`coverage_gis.kpi_arrays` with numpy bincounts: from the
cells (:mod:`coverage_gis.kpi_cells`) when the arrays came straight from the input
frames, else row by row; the units' names, sums (:mod:`coverage_gis.kpi_counts`), speed
medians (:mod:`coverage_gis.kpi_speeds`) and the share of their 2009 population held.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from coverage_gis._strings import distinct_strings
from coverage_gis.admin import LEVELS
from coverage_gis.errors import LayerValidationError
from coverage_gis.kpi_arrays import DEFAULT_5G_CATEGORIES, KpiColumns, _names_at, kpi_columns
from coverage_gis.kpi_cells import cell_terms, level_cells, level_sums
from coverage_gis.kpi_counts import Term, row_sums, row_terms, sum_columns
from coverage_gis.kpi_inputs import KpiInputs
from coverage_gis.kpi_speeds import SpeedOrder, speed_medians
from coverage_gis.kpi_units import LevelUnits, level_units, present_population

KPI_COLUMNS: tuple[str, ...] = (
    "villages",
    "villages_mobile_bb",
    "villages_mobile_bb_pct",
    "villages_4g_pct",
    "villages_5g_pct",
    "villages_ftth",
    "villages_ftth_pct",
    "population",
    "population_mobile_bb_pct",
    "households",
    "households_ftth_pct",
    "sites",
    "shared_sites",
    "sites_shared_pct",
    "sites_period",
    "sites_shared_period_pct",
    "sites_5g",
    "commune_centres",
    "commune_centres_mobile_bb_pct",
    "commune_centres_ftth_pct",
    "priority_pois",
    "pois_5g_pct",
    "speed_tests",
    "mobile_download_mbps",
    "fixed_download_mbps",
    "operator_bts",
    "operator_bts_shared_pct",
    "operator_bts_shared_period_pct",
    "villages_2025_inferred",
    "pop_2009",
    "pop_2009_present_pct",
    "partial",
)

#: KPI columns that count things (integers); the others are percentages, speeds or flags.
KPI_COUNT_COLUMNS: frozenset[str] = frozenset(
    {
        "villages",
        "villages_mobile_bb",
        "villages_ftth",
        "population",
        "households",
        "sites",
        "shared_sites",
        "sites_period",
        "sites_5g",
        "commune_centres",
        "priority_pois",
        "speed_tests",
        "operator_bts",
        "villages_2025_inferred",
        "pop_2009",
    }
)


def _level_rows(c: KpiColumns, level: str, only: set[str] | None = None) -> pd.DataFrame:
    """One level's KPI rows with numpy bincounts (a pandas groupby costs ~40 ms a call; this ~1 ms).

    ``only`` restricts the result to those unit codes (for incremental updates).
    """
    return pd.DataFrame(_level_arrays(c, level, only))


def _level_arrays(c: KpiColumns, level: str, only: set[str] | None = None) -> dict[str, np.ndarray]:
    """:func:`_level_rows` as one array per column: from the cells when ``c`` holds them
    (the units' names, speeds and 2009 population as :func:`_level_units` gives them,
    the sums counted now), else row by row."""
    if only is None and c.cells:
        units = _level_units(c, level)
        codes, names, speeds, present = units.cells.units, units.names, units.speeds, units.present
        sums = level_sums(_cell_terms(c), units.cells)
    else:
        counted = _counted(c, level, only, names=True)
        codes, names, sums = counted.units, counted.names, counted.sums
        speeds = speed_medians(c, counted.test_unit, len(codes))
        present = present_population(c.units[level], codes)
    pop_2009, present_pct, partial = present
    derived = sum_columns(sums)
    others = {
        "mobile_download_mbps": speeds[0],
        "fixed_download_mbps": speeds[1],
        "pop_2009": pop_2009,
        "pop_2009_present_pct": present_pct,
        "partial": partial,
    }
    return {
        "level": np.full(len(codes), level, dtype=object),
        "code": codes.astype(object),
        "name": names,
        **{name: derived[name] if name in derived else others[name] for name in KPI_COLUMNS},
    }


def unit_sums(c: KpiColumns, level: str) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """The units of ``level`` that ``c``'s rows lie in (sorted codes) and, per unit, the
    sums the KPI columns are counted from (:func:`sum_columns` turns them into columns).

    Every sum adds one number per row, so the sums of a set of rows are the sums of
    its parts: a live workspace keeps them and moves them by the rows an edit changes.
    """
    if c.cells:
        held = c.level_units.get(level)
        found = held.cells if held is not None else level_cells(c.cells, level)
        return found.units, level_sums(_cell_terms(c), found)
    counted = _counted(c, level, None, names=False)
    return counted.units, counted.sums


def _level_units(c: KpiColumns, level: str) -> LevelUnits:
    """The :class:`~coverage_gis.kpi_units.LevelUnits` of ``level`` of ``c``'s cells: as
    made ahead (:func:`~coverage_gis.kpi_arrays.kpi_columns` hands them over), else made
    now and kept in ``c``."""
    held = c.level_units.get(level)
    if held is None:
        held = level_units(
            c.cells,
            lambda key, lvl, rows: _names_at(c, key, lvl, rows),
            SpeedOrder.of(c),
            c.units[level],
            level,
        )
        c.level_units[level] = held
    return held


def _cell_terms(c: KpiColumns) -> list[Term]:
    """:func:`~coverage_gis.kpi_counts.row_terms` of ``c`` added up per cell, made when first
    counted and kept in ``c``."""
    if not c.cell_terms:
        # Replaced whole (not extended): two threads counting at once write the same terms.
        c.cell_terms[:] = cell_terms(row_terms(c), c.cells)
    return c.cell_terms


@dataclass(frozen=True, eq=False)
class _Counted:
    """One level's units (sorted codes), their names (when asked for), the unit of each
    speed-test row (-1: none), and the units' sums (:func:`row_sums`), counted row by row."""

    units: np.ndarray
    names: np.ndarray
    test_unit: np.ndarray
    sums: dict[str, np.ndarray]


def _counted(c: KpiColumns, level: str, only: set[str] | None, *, names: bool) -> _Counted:
    """:class:`_Counted` of the rows of ``c`` in units of ``level`` (among ``only`` if given)."""
    units, idx, selected = _unit_rows(c, level, only)
    n = len(units)
    unit_names = np.full(n if names else 0, None, dtype=object)
    for key in ("t", "p", "s", "v") if names else ():  # villages' names win
        if len(idx[key]):
            unit_names[idx[key][::-1]] = c.names[key][level][selected[key]][::-1]
    test_unit = np.full(len(selected["t"]), -1, dtype=np.int64)
    test_unit[selected["t"]] = idx["t"]
    return _Counted(units, unit_names, test_unit, row_sums(c, idx, selected, n))


def _unit_rows(
    c: KpiColumns, level: str, only: set[str] | None
) -> tuple[np.ndarray, dict[str, np.ndarray], dict[str, np.ndarray]]:
    """The units of ``level`` (sorted codes), each selected row's unit, and which rows of
    each frame are selected (a known unit, among ``only`` if given)."""
    keys = ("v", "s", "p", "t")
    selected: dict[str, np.ndarray] = {}
    for key in keys:
        codes = c.codes[key][level]
        known = codes != None  # noqa: E711 - elementwise on an object array
        if only is not None:
            # An object index: hashing is all isin needs (a str index would convert first).
            known &= np.asarray(pd.Index(codes, dtype=object).isin(list(only)))
        selected[key] = known
    present = [c.codes[k][level][selected[k]] for k in keys]
    units, row_unit = _sorted_units(np.concatenate(present))
    ends = np.cumsum([len(x) for x in present])
    return units, dict(zip(keys, np.split(row_unit, ends[:-1]), strict=True)), selected


def _sorted_units(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct unit codes as sorted strings, and each row's position among them.

    As ``np.unique(codes.astype(str), return_inverse=True)``: the rows are hashed and
    only the distinct codes (a few thousand) converted and sorted.
    """
    if not len(codes):
        return np.empty(0, str), np.empty(0, dtype=np.int64)
    distinct = distinct_strings(codes)
    if distinct is None or (distinct[0] < 0).any():
        units, inverse = np.unique(codes.astype(str), return_inverse=True)
        return units, np.asarray(inverse, dtype=np.int64).reshape(-1)
    first, values = distinct
    units, inverse = np.unique(values.astype(str), return_inverse=True)
    return units, np.asarray(inverse, dtype=np.int64).reshape(-1)[first]


def _check_levels(levels: Iterable[str]) -> None:
    unknown = [lvl for lvl in levels if lvl not in LEVELS]
    if unknown:
        raise LayerValidationError(
            f"unknown level {unknown[0]!r}; choose from {', '.join(LEVELS)}", field="level"
        )


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    frames = [f for f in frames if len(f)]
    if not frames:
        return pd.DataFrame(columns=["level", "code", "name", *KPI_COLUMNS])
    return pd.concat(frames, ignore_index=True)


def compute_kpis(
    inputs: KpiInputs,
    *,
    levels: Sequence[str] = LEVELS,
    period: tuple[date, date] | None = None,
    categories_5g: Iterable[str] = DEFAULT_5G_CATEGORIES,
) -> pd.DataFrame:
    """KPI rows for every unit of each requested level.

    Parameters
    ----------
    inputs
        From :func:`build_inputs`.
    levels
        Any of ``province``, ``district``, ``commune``, ``province_2025``, ``commune_2025``.
    period
        Plan period (start, end): sites commissioned in it feed ``sites_shared_period_pct``.
    categories_5g
        POI categories counted as priority places for ``pois_5g_pct``.

    Returns
    -------
    DataFrame
        Columns ``level``, ``code``, ``name`` and :data:`KPI_COLUMNS`, units sorted by code.
    """
    _check_levels(levels)
    return kpi_rows(kpi_columns(inputs, levels, period=period, categories=categories_5g), levels)


def kpi_rows(columns: KpiColumns, levels: Sequence[str] = LEVELS) -> pd.DataFrame:
    """:func:`compute_kpis` from the arrays :func:`kpi_columns` extracted."""
    _check_levels(levels)
    return _concat([_level_rows(columns, level) for level in levels])
