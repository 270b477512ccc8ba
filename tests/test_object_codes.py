"""Object columns hashed by address (``_column_codes.object_codes``) give ``pd.factorize``'s
codes and distinct objects; the KPI cells and speed kinds read through them are those
read by value."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

import coverage_gis.kpi_cells as kpi_cells
from coverage_gis._column_codes import object_addresses, object_codes, repeated_str_column
from coverage_gis._strings import distinct_strings, str_take
from coverage_gis.admin import LEVEL_COLUMNS, LEVELS
from coverage_gis.kpi_cells import FrameCells, frame_cells
from coverage_gis.kpi_speeds import SPEED_KINDS, kind_positions


def _fresh(value: Any) -> Any:
    """An object equal to ``value`` but not it, where one can be made (strings, floats)."""
    if isinstance(value, str):
        return "".join([value, "x"])[:-1]
    if isinstance(value, float):
        return float(repr(value)) + 0.0
    return value


#: Values a column may hold: strings (some equal under different objects), missing values
#: of every kind, numbers that hash alike (1, 1.0, True).
_POOL: list[Any] = ["01", "02", "", "Ba Đình", None, np.nan, pd.NA, 1, 1.0, True, "1"]


@st.composite
def _objects(draw: st.DrawFn) -> np.ndarray:
    """An object array repeating a few objects, some replaced by equal new objects; long
    enough at times for the sample (4,096 rows) to decide, mostly distinct at times."""
    pool = draw(st.lists(st.sampled_from(_POOL), min_size=1, max_size=6))
    n = draw(st.sampled_from([0, 1, 5, 40, 5000, 9000]))
    picks = draw(st.lists(st.integers(0, len(pool) - 1), min_size=1, max_size=50))
    values = np.empty(n, dtype=object)
    for i in range(n):
        values[i] = pool[picks[i % len(picks)]]
    fresh = draw(st.sampled_from(["none", "some", "all"]))
    if fresh != "none" and n:
        step = 1 if fresh == "all" else draw(st.integers(2, 7))
        for i in range(0, n, step):
            values[i] = _fresh(values[i])
    return values


@settings(max_examples=200, deadline=None)
@given(values=_objects())
def test_object_codes_are_factorize_codes_and_objects(values: np.ndarray) -> None:
    """Fails if hashing by address changes a code, the order of the distinct values, or
    which object stands for a value (equal strings under several objects, 1 / 1.0 / True,
    None / NaN / NA, a column of distinct objects)."""
    codes, uniques = pd.factorize(values)
    found_codes, found_uniques = object_codes(values)
    assert found_codes.dtype == np.int64
    np.testing.assert_array_equal(found_codes, codes)
    assert len(found_uniques) == len(uniques)
    assert all(a is b for a, b in zip(found_uniques, np.asarray(uniques, dtype=object), strict=True))


def test_object_addresses_are_the_objects_identities() -> None:
    a, b = "".join(["0", "1"]), "".join(["0", "1"])
    values = np.array([a, b, a, None], dtype=object)
    address = object_addresses(values)
    assert address is not None
    assert address.tolist() == [id(a), id(b), id(a), id(None)]
    # A column of a 2-D block is read where it lies, not as the block.
    block = np.array([[a, b], [None, a]], dtype=object)
    assert object_addresses(block[:, 1]) is not None
    assert object_addresses(block[:, 1]).tolist() == [id(b), id(a)]  # type: ignore[union-attr]
    assert object_addresses(np.array(["01"])) is None
    assert object_addresses(np.empty(0, dtype=object)) is not None


_CODES = ["01", "02", "001", "", None, np.nan, pd.NA]


def _same_cells(a: FrameCells | None, b: FrameCells | None) -> None:
    assert (a is None) == (b is None)
    if a is None or b is None:
        return
    np.testing.assert_array_equal(a.row_cell, b.row_cell)
    np.testing.assert_array_equal(a.first_row, b.first_row)
    assert list(a.unit) == list(b.unit)
    for level in a.unit:
        np.testing.assert_array_equal(a.unit[level], b.unit[level])
        assert [repr(v) for v in a.distinct[level]] == [repr(v) for v in b.distinct[level]]


@settings(max_examples=150, deadline=None)
@given(
    rows=st.lists(st.lists(st.sampled_from(_CODES), min_size=5, max_size=5), max_size=40),
    refresh=st.lists(st.booleans(), min_size=5, max_size=5),
)
def test_cells_of_shared_objects_are_those_of_equal_objects(
    rows: list[list[Any]], refresh: list[bool]
) -> None:
    """Fails if the KPI cells of code columns repeating a few objects (as taken from the
    communes) differ from those of the same codes as new objects on every row."""
    shared = pd.DataFrame(
        {LEVEL_COLUMNS[level][0]: [row[i] for row in rows] for i, level in enumerate(LEVELS)}, dtype=object
    )
    fresh = shared.copy()
    for level, again in zip(LEVELS, refresh, strict=True):
        if again:
            column = LEVEL_COLUMNS[level][0]
            fresh[column] = np.array([_fresh(v) for v in shared[column]], dtype=object)
    _same_cells(frame_cells(shared, LEVELS), frame_cells(fresh, LEVELS))


@settings(max_examples=150, deadline=None)
@given(rows=st.lists(st.lists(st.sampled_from(_CODES), min_size=5, max_size=5), max_size=40))
def test_cells_equal_those_of_every_column_hashed_by_value(rows: list[list[Any]]) -> None:
    """Fails if the cells (code columns hashed by address, coarser ones compared by
    address) differ from those of every column hashed by value, as before."""
    frame = pd.DataFrame(
        {LEVEL_COLUMNS[level][0]: [row[i] for row in rows] for i, level in enumerate(LEVELS)}, dtype=object
    )
    columns = {level: frame[LEVEL_COLUMNS[level][0]] for level in LEVELS}
    found = frame_cells(frame, LEVELS)
    original = kpi_cells._distinct
    kpi_cells._distinct = distinct_strings  # type: ignore[assignment]
    try:
        expected = kpi_cells._hashed_cells(columns, LEVELS, len(frame))
    finally:
        kpi_cells._distinct = original
    _same_cells(found, expected)


@settings(max_examples=100, deadline=None)
@given(kinds=st.lists(st.sampled_from(["mobile", "fixed", "tile", "", None, np.nan]), max_size=30))
def test_speed_kinds_are_compared_per_distinct_kind(kinds: list[Any]) -> None:
    """Fails if a test's kind position differs from comparing its row with each kind."""
    values = np.array([_fresh(k) if i % 2 else k for i, k in enumerate(kinds)], dtype=object)
    expected = np.full(len(values), -1, dtype=np.int8)
    for position, name in enumerate(SPEED_KINDS):
        expected[values == name] = position
    # An object array, an object column and a string column (as a stored layer reads back).
    for given_kinds in (values, pd.Series(values, dtype=object), pd.Series(values, dtype="string")):
        found = kind_positions(given_kinds)
        assert found.dtype == np.int8
        np.testing.assert_array_equal(found, expected)


@given(
    table=st.lists(
        st.one_of(st.text(max_size=4), st.sampled_from([None, np.nan, 1, b"x"])), min_size=1, max_size=20
    ),
    data=st.data(),
)
def test_repeated_strings_become_what_a_frame_makes_of_the_objects(
    table: list[Any], data: st.DataObject
) -> None:
    """Fails if an object column taken from a small table (a technology, a gap reason per
    row), hashed by address and converted per distinct value, differs from what a frame
    makes of the objects (strings and missing values, other objects, many distinct ones)."""
    objects = np.empty(len(table), dtype=object)
    objects[:] = table
    rows = data.draw(st.lists(st.integers(0, len(table) - 1), max_size=40))
    values = objects[np.asarray(rows, dtype=np.int64)]
    got = pd.Series(repeated_str_column(values))
    want = pd.Series(values)
    assert got.dtype == want.dtype
    assert [repr(v) for v in got] == [repr(v) for v in want]


def test_str_take_reads_a_missing_code_as_a_missing_value() -> None:
    table = np.array(["4G", "3G"], dtype=object)
    got = pd.Series(str_take(table, np.array([1, -1, 0])))
    want = pd.Series(np.array(["3G", None, "4G"], dtype=object))
    assert got.dtype == want.dtype
    assert [repr(v) for v in got] == [repr(v) for v in want]
    mixed = pd.Series(str_take(np.array(["4G", 1], dtype=object), np.array([1, -1])))
    assert mixed.tolist() == [1, None]
