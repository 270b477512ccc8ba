"""KPIs counted from cells (rows grouped by their units) equal KPIs counted row by row."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from coverage_gis.admin import LEVEL_COLUMNS, LEVELS
from coverage_gis.kpi import KpiColumns, kpi_columns, kpi_rows, splice_kpi_rows
from coverage_gis.kpi_arrays import SortedTests, units_ahead
from coverage_gis.kpi_cells import FrameCells, GroupedFrame, _hashed_cells, frame_cells, grouped_cells
from coverage_gis.kpi_inputs import KpiInputs
from coverage_gis.kpi_sums import KpiSums

#: A few codes per level, with the missing values real data has (and an empty code,
#: which is a unit of its own).
_CODES: dict[str, list[Any]] = {
    "province": ["01", "02", None],
    "district": ["001", "002", "003", np.nan],
    "commune": ["00001", "00002", "", None],
    "province_2025": ["01", "04", None],
    "commune_2025": ["10", "11", "12", np.nan],
}
_NAMES: list[Any] = ["Ba Đình", "Hoàn Kiếm", None]
#: The admin columns of every KPI frame (codes and names of each level).
_ADMIN_COLUMNS = [column for level in LEVELS for column in LEVEL_COLUMNS[level]]


def _admin(draw: st.DrawFn, n: int, as_str: bool) -> dict[str, Any]:
    columns: dict[str, Any] = {}
    for level in LEVELS:
        code, name = LEVEL_COLUMNS[level]
        columns[code] = [draw(st.sampled_from(_CODES[level])) for _ in range(n)]
        columns[name] = [draw(st.sampled_from(_NAMES)) for _ in range(n)]
    frame = pd.DataFrame(columns, dtype=object)
    if as_str:
        # The 2025 columns come from the parts' frames as pandas strings.
        for level in ("province_2025", "commune_2025"):
            for column in LEVEL_COLUMNS[level]:
                frame[column] = frame[column].astype("str")
    return {column: frame[column] for column in frame.columns}


@st.composite
def _inputs(draw: st.DrawFn) -> KpiInputs:
    as_str = draw(st.booleans())
    sizes = {key: draw(st.integers(0, 12)) for key in ("v", "s", "p", "t")}
    flags = st.lists(st.booleans(), min_size=sizes["v"], max_size=sizes["v"])
    n = sizes["v"]
    villages = pd.DataFrame(
        {
            **_admin(draw, n, as_str),
            "population": draw(st.lists(st.integers(0, 5000), min_size=n, max_size=n)),
            "households": draw(st.lists(st.integers(0, 900), min_size=n, max_size=n)),
            "mobile_bb": draw(flags),
            "ftth": draw(flags),
            "has_4g": draw(flags),
            "has_5g": draw(flags),
            "admin_2025_method": [draw(st.sampled_from(["code", "split_nearest", None])) for _ in range(n)],
        },
        index=pd.RangeIndex(n),
    )
    n = sizes["s"]
    sites = pd.DataFrame(
        {
            **_admin(draw, n, as_str),
            "n_operators": draw(st.lists(st.integers(0, 3), min_size=n, max_size=n)),
            "shared": draw(st.lists(st.booleans(), min_size=n, max_size=n)),
            "has_5g": draw(st.lists(st.booleans(), min_size=n, max_size=n)),
            "commissioned": ["2024-06-01"] * n,
        },
        index=pd.RangeIndex(n),
    )
    n = sizes["p"]
    pois = pd.DataFrame(
        {
            **_admin(draw, n, as_str),
            "category": [draw(st.sampled_from(["commune_office", "school", "market"])) for _ in range(n)],
            "mobile_bb": draw(st.lists(st.booleans(), min_size=n, max_size=n)),
            "ftth": draw(st.lists(st.booleans(), min_size=n, max_size=n)),
            "has_5g": draw(st.lists(st.booleans(), min_size=n, max_size=n)),
        },
        index=pd.RangeIndex(n),
    )
    n = sizes["t"]
    tests = pd.DataFrame(
        {
            **_admin(draw, n, as_str),
            "kind": [draw(st.sampled_from(["mobile", "fixed"])) for _ in range(n)],
            "download_mbps": draw(st.lists(st.integers(0, 300), min_size=n, max_size=n)),
            "tests": draw(st.lists(st.integers(1, 4), min_size=n, max_size=n)),
        },
        index=pd.RangeIndex(n),
    )
    units = pd.DataFrame(
        {
            "level": ["province_2025", "commune_2025"],
            "code": ["01", "10"],
            "pop_2009": [900, 400],
            "pop_2009_total": pd.array([1000, 400], dtype="Int64"),
        }
    )
    return KpiInputs(villages=villages, sites=sites, pois=pois, speed_tests=tests, units=units)


def _by_rows(columns: KpiColumns) -> KpiColumns:
    """The same arrays without their cells (a copy holds none): counted row by row."""
    every = {"v": len(columns.population), "s": len(columns.shared)}
    every |= {"p": len(columns.centre), "t": len(columns.test_kind)}
    copy = columns.take({key: np.arange(n) for key, n in every.items()})
    assert not copy.cells
    return copy


@settings(max_examples=60, deadline=None)
@given(inputs=_inputs())
def test_counting_from_cells_equals_counting_rows(inputs: KpiInputs) -> None:
    """Fails if a unit, a sum, a name or a speed median read from the cells differs from
    the row-by-row count (missing codes, empty codes and names included)."""
    columns = kpi_columns(inputs, LEVELS)
    assert columns.cells  # every code is a string or missing: counted from cells
    rows = _by_rows(columns)
    pd.testing.assert_frame_equal(kpi_rows(columns), kpi_rows(rows), check_exact=True)
    cells_sums, row_sums = KpiSums.of(columns), KpiSums.of(rows)
    for level in LEVELS:
        pd.testing.assert_frame_equal(cells_sums.frame(level), row_sums.frame(level), check_exact=True)
    for key in ("v", "s", "p", "t"):
        for level in LEVELS:
            assert [repr(x) for x in columns.codes[key][level]] == [repr(x) for x in rows.codes[key][level]]
            assert [repr(x) for x in columns.names[key][level]] == [repr(x) for x in rows.names[key][level]]


@settings(max_examples=60, deadline=None)
@given(inputs=_inputs(), data=st.data())
def test_rows_of_some_units_equal_their_rows_of_every_unit(inputs: KpiInputs, data: st.DataObject) -> None:
    """Fails if recomputing some units' rows (``only``: a live edit's units, speed medians
    included) gives other numbers than computing every unit, or if the tests' order kept
    for the whole table is misread for some of its units."""
    columns = kpi_columns(inputs, LEVELS)
    table = kpi_rows(columns)
    # Some units of each level, and codes of none (an empty code is a unit of its own).
    codes = {
        level: data.draw(st.sets(st.sampled_from([*(str(c) for c in _CODES[level] if c is not None), "99"])))
        for level in LEVELS
    }
    # Counted once from the cells first (the tests' order is kept), or only for the units.
    counted = columns if data.draw(st.booleans()) else kpi_columns(inputs, LEVELS)
    spliced = splice_kpi_rows(table, counted, codes).table
    # (A column of names may come back as pandas strings where the recomputed rows hold no
    # missing name: pandas infers the dtype from the values.)
    pd.testing.assert_frame_equal(spliced, table, check_exact=True, check_dtype=False)


@settings(max_examples=40, deadline=None)
@given(inputs=_inputs(), data=st.data())
def test_rows_grouped_ahead_give_the_kpis_of_rows_grouped_then(
    inputs: KpiInputs, data: st.DataObject
) -> None:
    """Fails if KPIs counted with some frames grouped ahead and the tests sorted ahead (as
    the full computation hands them over) differ from KPIs grouping and sorting them when
    counted, or if the order made ahead is not the one counted from."""
    frames = {"v": inputs.villages, "s": inputs.sites, "p": inputs.pois, "t": inputs.speed_tests}
    # Every frame grouped ahead (as the full computation hands them over), or some.
    ahead_keys = (
        set(frames) if data.draw(st.booleans()) else data.draw(st.sets(st.sampled_from(sorted(frames))))
    )
    held: list[GroupedFrame | SortedTests] = [GroupedFrame.of(frames[k], LEVELS) for k in sorted(ahead_keys)]
    tests = (
        GroupedFrame.of(inputs.speed_tests, LEVELS)
        if "t" in ahead_keys
        else GroupedFrame(inputs.speed_tests, tuple(LEVELS), None)
    )
    sorted_tests = (
        SortedTests.of(tests) if len(ahead_keys) == len(frames) or data.draw(st.booleans()) else None
    )
    if sorted_tests is not None:
        held.append(sorted_tests)
    units = None
    if sorted_tests is not None and len(ahead_keys) == len(frames) and data.draw(st.booleans()):
        # Each level's units made ahead, as the full computation makes them: the villages'
        # from their admin columns alone (grouped, then moved to their KPI rows).
        admin = GroupedFrame.of(inputs.villages[_ADMIN_COLUMNS], LEVELS)
        groupings = {"v": admin, **{k: GroupedFrame.of(frames[k], LEVELS) for k in ("s", "p")}, "t": tests}
        units = units_ahead(groupings, sorted_tests, inputs.units, LEVELS)
        held = [*admin.moved_to(inputs.villages), groupings["s"], groupings["p"], tests, sorted_tests]
        if units is not None:
            held.append(units)
    ahead = replace(inputs, grouped=tuple(held))
    columns = kpi_columns(ahead, LEVELS)
    pd.testing.assert_frame_equal(kpi_rows(columns), kpi_rows(kpi_columns(inputs, LEVELS)), check_exact=True)
    if sorted_tests is not None and (columns.cells.get("t") is sorted_tests.cells):
        assert columns.speed_order == [sorted_tests.order]
    if units is not None:
        assert all(columns.level_units[level] is units.levels[level] for level in LEVELS)


def test_units_ahead_are_dropped_with_a_frame_they_were_counted_from() -> None:
    """Fails if KPI inputs whose sites were replaced (a live edit) keep the units counted
    ahead from the old sites, or if a copy keeping every frame drops them."""
    frame = pd.DataFrame({"province_code": ["01"], "province_name": ["A"]}, dtype=object)
    frames = {
        "v": frame,
        "s": frame.copy(),
        "p": frame.copy(),
        "t": frame.assign(kind=["mobile"], download_mbps=[5.0]),
    }
    groupings = {k: GroupedFrame.of(f, ["province"]) for k, f in frames.items()}
    sorted_tests = SortedTests.of(groupings["t"])
    inputs = KpiInputs(*frames.values())
    units = units_ahead(groupings, sorted_tests, inputs.units, ["province"])
    assert units is not None
    inputs = replace(inputs, grouped=(*groupings.values(), sorted_tests, units))
    assert units in replace(inputs, units=inputs.units).grouped
    assert units not in replace(inputs, sites=frames["s"].copy()).grouped


def test_a_grouping_moves_to_a_frame_made_from_its_own() -> None:
    """Fails if a grouping moved to a frame with the same rows (the villages' admin columns,
    then their KPI rows) is not that frame's, or moves to a frame of other rows."""
    admin = pd.DataFrame({"province_code": ["01", "02", "01"]}, dtype=object)
    held = GroupedFrame.of(admin, ["province"])
    rows = admin.assign(population=[1, 2, 3])
    (moved,) = held.moved_to(rows)
    assert moved.frame is rows
    assert moved.cells is held.cells
    assert grouped_cells(rows, ["province"], (moved,)) is held.cells
    assert held.moved_to(rows.iloc[:2]) == ()


def test_tests_sorted_ahead_are_read_only_for_their_own_frame() -> None:
    """Fails if the order and arrays made ahead for one speed-test frame are read for
    another one (an edited or copied frame)."""
    empty = pd.DataFrame({"province_code": []}, dtype=object)
    tests = pd.DataFrame({"province_code": ["01", "01"], "kind": ["mobile", "fixed"]}, dtype=object)
    tests["download_mbps"] = [30.0, 10.0]
    sorted_tests = SortedTests.of(GroupedFrame.of(tests, ["province"]))
    other = tests.assign(download_mbps=[5.0, 50.0])
    columns = kpi_columns(KpiInputs(empty, empty, empty, other, grouped=(sorted_tests,)), ["province"])
    assert columns.test_mbps.tolist() == [5.0, 50.0]
    assert not columns.speed_order


def test_rows_grouped_ahead_are_read_only_for_their_own_frame_and_levels() -> None:
    """Fails if a grouping is read for another frame (a copy, an edited frame) or for
    other levels than it was made at."""
    frame = pd.DataFrame({"province_code": ["01", "02"], "commune_key": ["00001", "00002"]}, dtype=object)
    levels = ["province", "commune"]
    held = GroupedFrame(frame, tuple(levels), None)  # a marker: "not groupable"
    assert grouped_cells(frame, levels, (held,)) is None
    for other_frame, other_levels in ((frame.copy(), levels), (frame, ["province"])):
        found = grouped_cells(other_frame, other_levels, (held,))
        assert found is not None
        assert found.row_cell.tolist() == [0, 1]


def test_a_copy_with_a_frame_replaced_drops_its_grouping() -> None:
    """Fails if KPI inputs whose sites were replaced (a live edit) still hold the old
    sites' grouping (and the old frame with it)."""
    empty = pd.DataFrame()
    sites, tests = pd.DataFrame({"province_code": ["01"]}), pd.DataFrame({"province_code": ["02"]})
    levels = ["province"]
    inputs = KpiInputs(
        empty, sites, empty, tests, grouped=(GroupedFrame.of(sites, levels), GroupedFrame.of(tests, levels))
    )
    edited = replace(inputs, sites=sites.copy())
    assert [g.frame is tests for g in edited.grouped] == [True]
    assert len(inputs.grouped) == 2


def test_cells_group_rows_by_their_units_at_every_level() -> None:
    """Three rows, two of them in the same units at every level: two cells; a row
    without a commune is a cell whose commune is none."""
    frame = pd.DataFrame(
        {
            "province_code": ["01", "01", "01"],
            "commune_key": ["00001", None, "00001"],
        },
        dtype=object,
    )
    levels = ["province", "commune"]
    found = frame_cells(frame, levels)
    assert found is not None
    assert found.row_cell.tolist() == [0, 1, 0]
    assert found.first_row.tolist() == [0, 1]
    assert found.codes("commune").tolist() == ["00001", None, "00001"]
    communes = found.distinct["commune"]
    assert [communes[u] if u >= 0 else None for u in found.unit["commune"]] == ["00001", None]


def test_a_code_that_is_not_a_string_makes_no_cells() -> None:
    """1 and 1.0 hash alike but read differently as strings: no cells (counted row by row)."""
    frame = pd.DataFrame({"province_code": [1, 1.0]}, dtype=object)
    assert frame_cells(frame, ["province"]) is None


#: Communes of a small hierarchy: (province, district, commune, province 2025, commune 2025).
_HIERARCHY: list[tuple[Any, ...]] = [
    ("01", "001", "00001", "01", "10"),
    ("01", "001", "00002", "01", "10"),
    ("01", "002", "00003", "01", "11"),
    ("02", "003", "00004", "04", "12"),
    ("02", "003", "", "04", "12"),
    (None, np.nan, None, None, np.nan),
    (np.nan, None, np.nan, np.nan, None),
]
#: What a row may hold instead of its commune's code at one level: another code, a
#: missing value, an empty code, a number (which makes no cells).
_ODD: list[Any] = ["01", "003", None, np.nan, "", 1, 1.0]


@st.composite
def _hierarchy_frame(draw: st.DrawFn) -> pd.DataFrame:
    """Rows placed in the communes of :data:`_HIERARCHY`, a few of them with an odd code."""
    n = draw(st.integers(0, 30))
    rows = [list(draw(st.sampled_from(_HIERARCHY))) for _ in range(n)]
    for _ in range(draw(st.integers(0, 2)) if n else 0):
        rows[draw(st.integers(0, n - 1))][draw(st.integers(0, 4))] = draw(st.sampled_from(_ODD))
    frame = pd.DataFrame(
        {LEVEL_COLUMNS[level][0]: [row[i] for row in rows] for i, level in enumerate(LEVELS)}, dtype=object
    )
    for level in draw(st.sets(st.sampled_from(LEVELS))):
        # Pandas strings (as the 2025 columns come), where the column holds strings only.
        column = LEVEL_COLUMNS[level][0]
        if all(isinstance(v, str) or pd.isna(v) for v in frame[column]):
            frame[column] = frame[column].astype("str")
    return frame


def _same_cells(found: FrameCells | None, expected: FrameCells | None) -> None:
    assert (found is None) == (expected is None)
    if found is None or expected is None:
        return
    np.testing.assert_array_equal(found.row_cell, expected.row_cell)
    np.testing.assert_array_equal(found.first_row, expected.first_row)
    assert list(found.unit) == list(expected.unit)
    for level in expected.unit:
        np.testing.assert_array_equal(found.unit[level], expected.unit[level])
        assert [repr(v) for v in found.distinct[level]] == [repr(v) for v in expected.distinct[level]]
        assert found.distinct[level].dtype == expected.distinct[level].dtype


@settings(max_examples=300, deadline=None)
@given(frame=_hierarchy_frame(), levels=st.lists(st.sampled_from(LEVELS), max_size=5, unique=True))
def test_checked_codes_give_the_cells_of_hashed_codes(frame: pd.DataFrame, levels: list[str]) -> None:
    """Fails if checking the coarser code columns against the cells of the others (instead of
    hashing them) changes a cell, a code or a distinct value: one code per cell, a cell
    holding two codes, missing values of either kind, numbers."""
    columns = {level: frame[LEVEL_COLUMNS[level][0]] for level in levels}
    _same_cells(frame_cells(frame, levels), _hashed_cells(columns, levels, len(frame)))


@settings(max_examples=300, deadline=None)
@given(
    frame=_hierarchy_frame(),
    levels=st.lists(st.sampled_from(LEVELS), max_size=5, unique=True),
    data=st.data(),
)
def test_rows_grouped_by_their_source_give_the_cells_of_their_codes(
    frame: pd.DataFrame, levels: list[str], data: st.DataObject
) -> None:
    """Fails if the cells found from one row per source (the commune and part a row's codes
    came from, :class:`~coverage_gis.admin.AdminRows`) differ from those of every row's
    codes: their order, first rows, codes and distinct values, odd codes included."""
    entries = frame.astype(object)
    if not len(entries):
        entries = pd.DataFrame([list(_HIERARCHY[0])], columns=frame.columns, dtype=object)
    # Rows drawn from the entries, each entry with its own source (any integers).
    taken = np.array(data.draw(st.lists(st.integers(0, len(entries) - 1), max_size=40)), dtype=np.int64)
    ids = np.array(data.draw(st.permutations(range(len(entries)))), dtype=np.int64) * 7 - 3
    rows = entries.iloc[taken].reset_index(drop=True)
    for column in frame.columns:
        if frame[column].dtype != object:
            rows[column] = rows[column].astype("str")
    _same_cells(frame_cells(rows, levels, ids[taken]), frame_cells(rows, levels))
