"""KPIs per province, district and commune, in either admin hierarchy (``docs/architecture.md``).

Owns the KPI definitions (what each column measures, in words, is
:mod:`coverage_gis.kpi_labels`): village,
population and household coverage, site sharing counted per site and per operator BTS
(all on-air sites and those commissioned in a plan period), 5G sites, 5G at priority
places, commune centres, measured speeds, the per-operator breakdown, and whether the
workspace holds a unit whole (``partial``, ``pop_2009_present_pct``) and how many of its
villages were placed in the 2025 hierarchy by an inferred rule.
Percentages are 0–100 and unrounded; rounding is for display only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from coverage_gis._strings import distinct_strings, str_array
from coverage_gis._values import equal_values
from coverage_gis.admin import LEVEL_COLUMNS, LEVELS
from coverage_gis.crosswalk import INFERRED_METHODS
from coverage_gis.display import Lang, format_number
from coverage_gis.errors import LayerValidationError, NotFound
from coverage_gis.kpi_cells import FrameCells, LevelCells, cell_terms, frame_cells, level_cells, level_sums
from coverage_gis.kpi_counts import Term, pct_array, row_sums, row_terms, sum_columns
from coverage_gis.kpi_inputs import KpiInputs
from coverage_gis.kpi_speeds import SpeedOrder, speed_medians
from coverage_gis.messages import text
from coverage_gis.speed import tests_per_row
from coverage_gis.vocabulary import OPERATORS

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


def partial_notes(kpis: pd.DataFrame, *, lang: Lang = "en") -> list[str]:
    """One sentence per unit the workspace holds only part of (empty when there is none), in ``lang``."""
    if "partial" not in kpis:
        return []
    rows = kpis[kpis["partial"].astype("boolean").fillna(False).to_numpy(dtype=bool)]
    return [
        text(
            "partial_unit",
            lang,
            name=row["name"],
            level=row["level"],
            code=row["code"],
            pct=format_number(row["pop_2009_present_pct"], 1, lang=lang),
        )
        for _, row in rows.iterrows()
    ]


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
    test_kind: np.ndarray
    test_mbps: np.ndarray
    test_weight: np.ndarray
    inferred_2025: np.ndarray
    units: dict[str, tuple[pd.Index, np.ndarray, np.ndarray]]  # level → (codes, pop_2009, total)
    #: Every frame's rows grouped by their units (:mod:`coverage_gis.kpi_cells`) when the
    #: arrays came straight from the frames (:func:`kpi_columns`); empty otherwise. Not an
    #: argument: every copy (:meth:`take`, :meth:`concat`, :meth:`with_values`) starts empty.
    cells: dict[str, FrameCells] = field(default_factory=dict, init=False, repr=False, compare=False)
    #: :func:`~coverage_gis.kpi_counts.row_terms` added up per cell, made when first counted.
    cell_terms: list[Term] = field(default_factory=list, init=False, repr=False, compare=False)
    #: The speed tests sorted by download (:class:`~coverage_gis.kpi_speeds.SpeedOrder`),
    #: made when first counted.
    speed_order: list[SpeedOrder] = field(default_factory=list, init=False, repr=False, compare=False)

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
    cells = {k: frame_cells(f, levels) for k, f in frames.items()}
    codes = {
        k: _FrameArrays(levels, found.codes) if found is not None else _frame_codes(f, levels)
        for (k, f), found in zip(frames.items(), cells.values(), strict=True)
    }
    names = {k: _lazy_names(f, levels) for k, f in frames.items()}
    units = inputs.units
    unit_level = units["level"].to_numpy(dtype=object)
    # Objects, hashed as they are (a str index would convert them to arrow first).
    unit_code = units["code"].astype(str).to_numpy(dtype=object)
    unit_pop = units["pop_2009"].to_numpy(dtype=float)
    unit_total = pd.to_numeric(units["pop_2009_total"]).to_numpy(dtype=float)
    by_level: dict[str, tuple[pd.Index, np.ndarray, np.ndarray]] = {}
    for lvl in levels:
        mine = unit_level == lvl
        by_level[lvl] = (pd.Index(unit_code[mine], dtype=object), unit_pop[mine], unit_total[mine])
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
        test_kind=_objects(t["kind"]) if len(t) else np.empty(0, dtype=object),
        test_mbps=_floats(t, "download_mbps"),
        test_weight=tests_per_row(t),
        inferred_2025=_member(v, "admin_2025_method", INFERRED_METHODS),
        units=by_level,
    )
    if all(found is not None for found in cells.values()):
        columns.cells.update({k: found for k, found in cells.items() if found is not None})
    return columns


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


def _level_rows(c: KpiColumns, level: str, only: set[str] | None = None) -> pd.DataFrame:
    """One level's KPI rows with numpy bincounts (a pandas groupby costs ~40 ms a call; this ~1 ms).

    ``only`` restricts the result to those unit codes (for incremental updates).
    """
    return pd.DataFrame(_level_arrays(c, level, only))


def _level_arrays(c: KpiColumns, level: str, only: set[str] | None = None) -> dict[str, np.ndarray]:
    """:func:`_level_rows` as one array per column."""
    counted = _counted(c, level, only, names=True)
    units, n = counted.units, len(counted.units)
    mobile_speed, fixed_speed = speed_medians(c, counted.test_unit, n, per_cell=counted.test_unit_per_cell)
    pop_2009, present_pct, partial = _present(c.units[level], units)
    derived = sum_columns(counted.sums)
    others = {
        "mobile_download_mbps": mobile_speed,
        "fixed_download_mbps": fixed_speed,
        "pop_2009": pop_2009,
        "pop_2009_present_pct": present_pct,
        "partial": partial,
    }
    return {
        "level": np.full(n, level, dtype=object),
        "code": units.astype(object),
        "name": counted.names,
        **{name: derived[name] if name in derived else others[name] for name in KPI_COLUMNS},
    }


def unit_sums(c: KpiColumns, level: str) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """The units of ``level`` that ``c``'s rows lie in (sorted codes) and, per unit, the
    sums the KPI columns are counted from (:func:`sum_columns` turns them into columns).

    Every sum adds one number per row, so the sums of a set of rows are the sums of
    its parts: a live workspace keeps them and moves them by the rows an edit changes.
    """
    counted = _counted(c, level, None, names=False)
    return counted.units, counted.sums


@dataclass(frozen=True, eq=False)
class _Counted:
    """One level's units (sorted codes), their names (when asked for), the unit of each
    speed-test row (-1: none) or, counted from cells, of each cell of them, and the
    units' sums (:func:`row_sums`)."""

    units: np.ndarray
    names: np.ndarray
    test_unit: np.ndarray
    test_unit_per_cell: bool
    sums: dict[str, np.ndarray]


def _counted(c: KpiColumns, level: str, only: set[str] | None, *, names: bool) -> _Counted:
    """:class:`_Counted` of the rows of ``c`` in units of ``level`` (among ``only`` if given):
    from the cells when ``c`` holds them, else row by row."""
    if only is None and c.cells:
        return _counted_by_cells(c, level, names=names)
    units, idx, selected = _unit_rows(c, level, only)
    n = len(units)
    unit_names = np.full(n if names else 0, None, dtype=object)
    for key in ("t", "p", "s", "v") if names else ():  # villages' names win
        if len(idx[key]):
            unit_names[idx[key][::-1]] = c.names[key][level][selected[key]][::-1]
    test_unit = np.full(len(selected["t"]), -1, dtype=np.int64)
    test_unit[selected["t"]] = idx["t"]
    return _Counted(units, unit_names, test_unit, False, row_sums(c, idx, selected, n))


def _counted_by_cells(c: KpiColumns, level: str, *, names: bool) -> _Counted:
    """:func:`_counted` of every row of ``c``, from its cells (:mod:`coverage_gis.kpi_cells`)."""
    if not c.cell_terms:
        # Replaced whole (not extended): two threads counting at once write the same terms.
        c.cell_terms[:] = cell_terms(row_terms(c), c.cells)
    found: LevelCells = level_cells(c.cells, level)
    n = len(found.units)
    unit_names = np.full(n if names else 0, None, dtype=object)
    named = np.zeros(n, dtype=bool)
    # The first frame holding a unit names it, villages first (as villages' names win in
    # :func:`_counted`): the later frames read only the units not named yet.
    for key in ("v", "s", "p", "t") if names else ():
        units, rows = found.first_rows(c.cells, key)
        fresh = ~named[units]
        unit_names[units[fresh]] = _names_at(c, key, level, rows[fresh])
        named[units[fresh]] = True
    return _Counted(found.units, unit_names, found.cell_unit["t"], True, level_sums(c.cell_terms, found))


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


def _present(
    unit_pop: tuple[pd.Index, np.ndarray, np.ndarray], units: np.ndarray
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


def pois_5g_pct(inputs: KpiInputs, *, categories: Iterable[str], level: str, code: str) -> float | None:
    """% of POIs of ``categories`` in unit ``code`` with 5G (None when there are none)."""
    code_col = LEVEL_COLUMNS[level][0]
    p = inputs.pois
    chosen = p[(p[code_col] == code) & p["category"].isin(list(categories))]
    if chosen.empty:
        return None
    return float(100.0 * chosen["has_5g"].astype(bool).mean())


def operator_kpis(inputs: KpiInputs, *, level: str = "province") -> pd.DataFrame:
    """Per operator and unit: villages with its mobile broadband / its FTTH, on-air sites."""
    code_col, name_col = LEVEL_COLUMNS[level]
    v = inputs.villages
    rows = []
    for operator in OPERATORS:
        has_mobile = v["operators"].str.split(",").apply(lambda ops, o=operator: o in ops)
        has_ftth = v["ftth_operators"].str.split(",").apply(lambda ops, o=operator: o in ops)
        grouped = v.assign(_m=has_mobile, _f=has_ftth).groupby(code_col)
        frame = pd.DataFrame(
            {
                "name": grouped[name_col].first(),
                "villages": grouped.size(),
                "villages_mobile_bb_pct": 100.0 * grouped["_m"].mean(),
                "villages_ftth_pct": 100.0 * grouped["_f"].mean(),
            }
        )
        frame.insert(0, "operator", operator)
        rows.append(frame.reset_index(names="code"))
    out = pd.concat(rows, ignore_index=True)
    out.insert(0, "level", level)
    return out


def require_unit(kpis: pd.DataFrame, level: str, code: str) -> pd.DataFrame:
    """The KPI row of unit ``code`` of ``level`` in ``kpis``.

    Raises :class:`~coverage_gis.errors.NotFound` naming the level, the code and some
    known codes when the workspace holds no such unit (a unit is known when any
    village, site, place or speed test lies in it): an unknown code is a mistake to
    report, not an empty answer.
    """
    _check_levels([level])
    rows = kpis[(kpis["level"] == level) & (kpis["code"].astype(str) == str(code))]
    if rows.empty:
        known = sorted(kpis.loc[kpis["level"] == level, "code"].astype(str))
        sample = ", ".join(known[:8]) + (", …" if len(known) > 8 else "")
        raise NotFound(f"no {level} with code {code!r} in this workspace (known: {sample or 'none'})")
    return rows
