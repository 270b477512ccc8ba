"""The KPI inputs as plain arrays (``docs/architecture.md``: KPIs), extracted once per
computation: the per-row arrays of the villages, sites, priority places and speed tests
(:class:`KpiColumns`), each frame's unit codes and names per level, and which sites were
commissioned in the plan period and which places are priority places for 5G. A live
workspace cuts, replaces and appends their rows without going back to the frames.
:mod:`coverage_gis.kpi_table` counts the KPI rows from them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from coverage_gis._strings import distinct_strings
from coverage_gis.admin import LEVEL_COLUMNS, LEVELS
from coverage_gis.crosswalk import INFERRED_METHODS
from coverage_gis.kpi_cells import FrameCells, GroupedFrame, grouped_cells
from coverage_gis.kpi_counts import Term
from coverage_gis.kpi_inputs import KpiInputs
from coverage_gis.kpi_speeds import SpeedOrder, kind_positions
from coverage_gis.kpi_units import LevelUnits, UnitPopulation, UnitsAhead, level_units, unit_population
from coverage_gis.speed import tests_per_row

#: POI categories that count as priority places for 5G when a plan names none.
DEFAULT_5G_CATEGORIES: tuple[str, ...] = (
    "district_centre",
    "industrial_zone",
    "high_tech_park",
    "hospital",
    "school",
    "station",
    "seaport",
    "airport",
)


def commissioned_in_period(commissioned: pd.Series, period: tuple[date, date] | None) -> pd.Series:
    """Whether each site was commissioned within the plan period (all False without one)."""
    if period is None:
        return pd.Series(False, index=commissioned.index)
    when = pd.to_datetime(commissioned, errors="coerce")
    return (when >= pd.Timestamp(period[0])) & (when <= pd.Timestamp(period[1]))


def _codes(frame: pd.DataFrame, column: str) -> np.ndarray:
    values = _objects(frame[column])
    values[pd.isna(values)] = None
    return values


def _objects(column: pd.Series) -> np.ndarray:
    """``column.to_numpy(dtype=object)`` (a new array), each distinct value converted once.

    An admin column repeats a few thousand names over every row: converting the rows of
    a string column one by one costs several times hashing them (an object column holds
    its objects already: copied).
    """
    if column.dtype == object:
        return np.array(column.to_numpy(dtype=object), dtype=object)
    distinct = distinct_strings(column)
    if distinct is None:
        return np.array(column.to_numpy(dtype=object), dtype=object)
    codes, names = distinct
    values = names[codes] if len(names) else np.full(len(codes), None)
    missing = np.flatnonzero(codes < 0)
    if missing.size:
        values[missing] = column.iloc[missing].to_numpy(dtype=object)
    return np.asarray(values, dtype=object)


def _member(frame: pd.DataFrame, column: str, values: Iterable[str]) -> np.ndarray:
    """Which rows' ``column`` is one of ``values`` (hashed; none without the column)."""
    if column not in frame or not len(frame):
        return np.zeros(len(frame), dtype=bool)
    return frame[column].isin(list(values)).to_numpy(dtype=bool)


def _bool(frame: pd.DataFrame, column: str) -> np.ndarray:
    return frame[column].fillna(False).to_numpy(dtype=bool) if len(frame) else np.zeros(0, dtype=bool)


def _floats(frame: pd.DataFrame, column: str) -> np.ndarray:
    return frame[column].to_numpy(dtype=float) if len(frame) else np.zeros(0)


@dataclass(frozen=True)
class KpiColumns:
    """The KPI inputs as plain arrays, extracted once per computation (pandas access is the cost).

    Each per-row array belongs to one input frame (:data:`_FRAME_FIELDS`), so a
    live workspace can cut the rows of some units (:meth:`take`), set a frame's
    values and append rows (:meth:`concat`) without going back to the frames.
    """

    codes: Mapping[str, Mapping[str, np.ndarray]]  # source (v/s/p/t) → level → unit code (None if unknown)
    names: Mapping[str, Mapping[str, np.ndarray]]
    population: np.ndarray
    households: np.ndarray
    mobile: np.ndarray
    ftth: np.ndarray
    has_4g: np.ndarray
    has_5g: np.ndarray
    shared: np.ndarray
    n_operators: np.ndarray
    in_period: np.ndarray
    site_5g: np.ndarray
    centre: np.ndarray
    priority: np.ndarray
    poi_mobile: np.ndarray
    poi_ftth: np.ndarray
    poi_5g: np.ndarray
    test_kind: np.ndarray  # position in kpi_speeds.SPEED_KINDS (int8; -1: another kind)
    test_mbps: np.ndarray
    test_weight: np.ndarray
    inferred_2025: np.ndarray
    units: dict[str, UnitPopulation]  # level → (codes, pop_2009, total)
    #: Every frame's rows grouped by their units (:mod:`coverage_gis.kpi_cells`) when the
    #: arrays came straight from the frames (:func:`kpi_columns`); empty otherwise. Not an
    #: argument: every copy (:meth:`take`, :meth:`concat`, :meth:`with_values`) starts empty.
    cells: dict[str, FrameCells] = field(default_factory=dict, init=False, repr=False, compare=False)
    #: :func:`~coverage_gis.kpi_counts.row_terms` added up per cell, made when first counted.
    cell_terms: list[Term] = field(default_factory=list, init=False, repr=False, compare=False)
    #: The speed tests sorted by download (:class:`~coverage_gis.kpi_speeds.SpeedOrder`),
    #: made when first counted.
    speed_order: list[SpeedOrder] = field(default_factory=list, init=False, repr=False, compare=False)
    #: Per level, its units as the cells give them (:class:`~coverage_gis.kpi_units.LevelUnits`),
    #: made ahead or when first counted.
    level_units: dict[str, LevelUnits] = field(default_factory=dict, init=False, repr=False, compare=False)

    def make_all(self) -> None:
        """Make every per-level array of :attr:`codes` and :attr:`names` now (those made
        when first read): what the first :meth:`take` would otherwise make."""
        for attr in (self.codes, self.names):
            for by_level in attr.values():
                for level in by_level:
                    _ = by_level[level]

    def take(self, rows: Mapping[str, np.ndarray]) -> KpiColumns:
        """The rows ``rows[key]`` of each frame (``v``, ``s``, ``p``, ``t``); units unchanged."""
        return self._mapped(lambda key, values: values[rows[key]])

    def with_values(self, **arrays: np.ndarray) -> KpiColumns:
        """The same rows with some per-row arrays replaced (same lengths)."""
        fields: dict[str, Any] = dict(arrays)
        return replace(self, **fields)

    @staticmethod
    def concat(parts: Sequence[KpiColumns]) -> KpiColumns:
        """The rows of every part, in order; the first part's unit populations."""
        first = parts[0]
        if len(parts) == 1:
            return first
        fields: dict[str, Any] = {
            name: np.concatenate([getattr(p, name) for p in parts])
            for names in _FRAME_FIELDS.values()
            for name in names
        }
        for attr in ("codes", "names"):
            fields[attr] = {
                key: {
                    level: np.concatenate([getattr(p, attr)[key][level] for p in parts])
                    for level in getattr(first, attr)[key]
                }
                for key in _FRAME_FIELDS
            }
        return replace(first, **fields)

    def _mapped(self, fn: Callable[[str, np.ndarray], np.ndarray]) -> KpiColumns:
        fields: dict[str, Any] = {
            name: fn(key, getattr(self, name)) for key, names in _FRAME_FIELDS.items() for name in names
        }
        for attr in ("codes", "names"):
            fields[attr] = {
                key: {level: fn(key, values) for level, values in by_level.items()}
                for key, by_level in getattr(self, attr).items()
            }
        return replace(self, **fields)


#: The per-row arrays of :class:`KpiColumns`, by input frame (villages, sites, POIs, tests).
_FRAME_FIELDS: dict[str, tuple[str, ...]] = {
    "v": ("population", "households", "mobile", "ftth", "has_4g", "has_5g", "inferred_2025"),
    "s": ("shared", "n_operators", "in_period", "site_5g"),
    "p": ("centre", "priority", "poi_mobile", "poi_ftth", "poi_5g"),
    "t": ("test_kind", "test_mbps", "test_weight"),
}


def kpi_columns(
    inputs: KpiInputs,
    levels: Sequence[str] = LEVELS,
    *,
    period: tuple[date, date] | None = None,
    categories: Iterable[str] = DEFAULT_5G_CATEGORIES,
) -> KpiColumns:
    """The arrays KPIs of ``levels`` are counted from (:func:`kpi_rows` counts them)."""
    categories = list(categories)
    v, s, p, t = inputs.villages, inputs.sites, inputs.pois, inputs.speed_tests
    frames = {"v": v, "s": s, "p": p, "t": t}
    grouped = [g for g in inputs.grouped if isinstance(g, GroupedFrame)]
    cells = {k: grouped_cells(f, levels, grouped) for k, f in frames.items()}
    sorted_tests = next((h for h in inputs.grouped if isinstance(h, SortedTests) and h.frame is t), None)
    codes = {
        k: _FrameArrays(levels, found.codes) if found is not None else _frame_codes(f, levels)
        for (k, f), found in zip(frames.items(), cells.values(), strict=True)
    }
    names = {k: _lazy_names(f, levels) for k, f in frames.items()}
    columns = KpiColumns(
        codes=codes,
        names=names,
        population=_floats(v, "population"),
        households=_floats(v, "households"),
        mobile=_bool(v, "mobile_bb"),
        ftth=_bool(v, "ftth"),
        has_4g=_bool(v, "has_4g"),
        has_5g=_bool(v, "has_5g"),
        **_site_fields(s, period),
        centre=_member(p, "category", ["commune_office"]),
        priority=_member(p, "category", categories),
        poi_mobile=_bool(p, "mobile_bb"),
        poi_ftth=_bool(p, "ftth"),
        poi_5g=_bool(p, "has_5g"),
        **(_test_fields(t) if sorted_tests is None else sorted_tests.fields),
        inferred_2025=_member(v, "admin_2025_method", INFERRED_METHODS),
        units=unit_population(inputs.units, levels),
    )
    if all(found is not None for found in cells.values()):
        columns.cells.update({k: found for k, found in cells.items() if found is not None})
    if sorted_tests is not None and sorted_tests.cells is columns.cells.get("t"):
        columns.speed_order[:] = [sorted_tests.order]
    for ahead in inputs.grouped:
        if isinstance(ahead, UnitsAhead) and columns.cells and ahead.fits(columns.cells):
            columns.level_units.update({lvl: units for lvl, units in ahead.levels.items() if lvl in levels})
    return columns


def units_ahead(
    frames: Mapping[str, GroupedFrame], tests: SortedTests, units: pd.DataFrame, levels: Sequence[str]
) -> UnitsAhead | None:
    """Every level's :class:`~coverage_gis.kpi_units.LevelUnits` of the KPI frames
    (``v``, ``s``, ``p``, ``t``: grouped into cells; the villages' and places' may be their
    admin columns alone, which are all a unit's name reads), made before the coverage is
    known; None where a frame is not grouped."""
    cells = {key: grouped.cells for key, grouped in frames.items()}
    found = {key: frame_cells for key, frame_cells in cells.items() if frame_cells is not None}
    if len(found) != len(cells) or tests.cells is not found.get("t"):
        return None
    names = {key: _lazy_names(grouped.frame, levels) for key, grouped in frames.items()}
    population = unit_population(units, levels)

    def names_at(key: str, level: str, rows: np.ndarray) -> np.ndarray:
        return names[key].at(level, rows)

    return UnitsAhead(
        found,
        {level: level_units(found, names_at, tests.order, population[level], level) for level in levels},
    )


def _test_fields(t: pd.DataFrame) -> dict[str, np.ndarray]:
    """The per-test arrays of :class:`KpiColumns`."""
    return {
        "test_kind": kind_positions(t["kind"]) if len(t) else np.empty(0, dtype=np.int8),
        "test_mbps": _floats(t, "download_mbps"),
        "test_weight": tests_per_row(t),
    }


@dataclass(frozen=True, eq=False)
class SortedTests:
    """A speed-test KPI frame's arrays and its tests by download (:class:`SpeedOrder`), made
    ahead by whoever built the frame and had the time: the full computation sorts them
    while the coverage search runs, not in the KPIs' serial tail after it.

    :func:`kpi_columns` reads them only for this very frame, and the order only where
    it groups the frame's rows into these very ``cells``.
    """

    frame: pd.DataFrame
    cells: FrameCells | None
    fields: dict[str, np.ndarray]
    order: SpeedOrder

    @classmethod
    def of(cls, tests: GroupedFrame) -> SortedTests:
        """The arrays and order of the tests of ``tests`` (grouped, or not, into cells)."""
        fields = _test_fields(tests.frame)
        cells = tests.cells
        order = SpeedOrder.made(
            fields["test_kind"],
            fields["test_mbps"],
            fields["test_weight"],
            cells.row_cell if cells is not None else None,
        )
        return cls(tests.frame, cells, fields, order)


def site_kpi_columns(
    template: KpiColumns, sites: pd.DataFrame, *, period: tuple[date, date] | None = None
) -> KpiColumns:
    """KPI arrays holding only the site rows ``sites`` (KPI input rows, as
    :func:`~coverage_gis.kpi_inputs.site_rows` makes them), with ``template``'s levels and units."""
    levels = list(template.codes["s"])
    none = np.empty(0, dtype=np.int64)
    empty = template.take({"v": none, "s": none, "p": none, "t": none})
    return replace(
        empty,
        codes={**empty.codes, "s": _frame_codes(sites, levels)},
        names={**empty.names, "s": _frame_names(sites, levels)},
        **_site_fields(sites, period),
    )


def _frame_codes(frame: pd.DataFrame, levels: Sequence[str]) -> dict[str, np.ndarray]:
    return {lvl: _codes(frame, LEVEL_COLUMNS[lvl][0]) for lvl in levels}


def _frame_names(frame: pd.DataFrame, levels: Sequence[str]) -> dict[str, np.ndarray]:
    return {lvl: _level_names(frame, lvl) for lvl in levels}


def _level_names(frame: pd.DataFrame, level: str, rows: np.ndarray | None = None) -> np.ndarray:
    """The unit names of ``level`` of ``frame``'s rows (of ``rows`` only if given) as objects."""
    column = LEVEL_COLUMNS[level][1]
    if column not in frame:
        return np.full(len(frame) if rows is None else len(rows), None, dtype=object)
    if rows is None:
        return _objects(frame[column])
    return np.asarray(frame[column].iloc[rows].to_numpy(dtype=object), dtype=object)


def _lazy_names(frame: pd.DataFrame, levels: Sequence[str]) -> _FrameArrays:
    """:func:`_frame_names`, each level's made when first read."""
    return _FrameArrays(
        levels, lambda level: _level_names(frame, level), lambda level, rows: _level_names(frame, level, rows)
    )


class _FrameArrays(Mapping[str, np.ndarray]):
    """Per level, one per-row array of an input frame (codes, names), made when first
    read and kept.

    Counting KPIs from the cells (:mod:`coverage_gis.kpi_cells`) reads only each unit's
    first row (:meth:`at`); a live workspace cutting rows out of the arrays reads them
    whole, once.
    """

    def __init__(
        self,
        levels: Sequence[str],
        make: Callable[[str], np.ndarray],
        at: Callable[[str, np.ndarray], np.ndarray] | None = None,
    ) -> None:
        self._levels = list(levels)
        self._make = make
        self._at = at
        self._made: dict[str, np.ndarray] = {}

    def __getitem__(self, level: str) -> np.ndarray:
        made = self._made.get(level)
        if made is None:
            if level not in self._levels:
                raise KeyError(level)
            made = self._made[level] = self._make(level)
        return made

    def __iter__(self) -> Iterator[str]:
        return iter(self._levels)

    def __len__(self) -> int:
        return len(self._levels)

    def at(self, level: str, rows: np.ndarray) -> np.ndarray:
        """``self[level][rows]``, without making the whole array when it is not made yet."""
        made = self._made.get(level)
        if made is not None or self._at is None:
            return np.asarray(self[level][rows])
        return self._at(level, rows)


def _names_at(c: KpiColumns, key: str, level: str, rows: np.ndarray) -> np.ndarray:
    """``c.names[key][level][rows]``, reading only those rows where the names are not made yet."""
    names = c.names[key]
    return names.at(level, rows) if isinstance(names, _FrameArrays) else np.asarray(names[level][rows])


def _site_fields(s: pd.DataFrame, period: tuple[date, date] | None) -> dict[str, Any]:
    """The per-site arrays of :class:`KpiColumns`."""
    in_period = (
        commissioned_in_period(s["commissioned"], period).to_numpy(dtype=bool)
        if len(s)
        else np.zeros(0, bool)
    )
    return {
        "shared": _bool(s, "shared"),
        "n_operators": _floats(s, "n_operators"),
        "in_period": in_period,
        "site_5g": _bool(s, "has_5g"),
    }
