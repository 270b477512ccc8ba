"""Columns of a few distinct strings, hashed once (``coverage_gis._strings``)."""

from __future__ import annotations

import datetime
import decimal

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from coverage_gis._strings import as_assigned, distinct_strings, str_array, str_column, str_take


def test_distinct_strings_codes_each_row_and_leaves_missing_at_minus_one() -> None:
    found = distinct_strings(pd.Series(["4G", None, "2G", "4G", np.nan], dtype=object))
    assert found is not None
    codes, names = found
    assert codes.tolist() == [0, -1, 1, 0, -1]
    assert names.tolist() == ["4G", "2G"]


def test_values_that_are_not_all_strings_are_refused() -> None:
    # Hashed, 1 and 1.0 would be one value though their strings differ.
    assert distinct_strings(np.array([1, 1.0, "1"], dtype=object)) is None
    empty = distinct_strings(np.array([], dtype=object))
    assert empty is not None
    assert empty[0].size == 0


def test_str_array_keeps_whole_strings_beside_a_missing_value() -> None:
    # pandas' own to_numpy(dtype=str) cuts every string of such a column to one character.
    column = pd.Series(["Viettel", None, "VNPT"], dtype="str")
    assert str_array(column).tolist() == ["Viettel", "nan", "VNPT"]
    assert str_array(np.array(["4G", None], dtype=object)).tolist() == ["4G", "nan"]
    assert str_array(pd.Series(["a", "bb"])).tolist() == ["a", "bb"]


def _as_frame_holds(values: object) -> pd.Series:
    return pd.DataFrame({"c": values})["c"]


@pytest.mark.parametrize(
    "values",
    [
        ["4G", None, "2G", np.nan],
        [None, np.nan],  # all missing: the frame keeps objects
        [1, "1"],  # not only strings
        [b"x", "a"],  # bytes: objects, though arrow would take them
        [],
    ],
)
def test_str_column_is_what_a_frame_makes_of_the_objects(values: list[object]) -> None:
    objects = np.array(values, dtype=object)
    got, want = _as_frame_holds(str_column(objects)), _as_frame_holds(objects)
    assert got.dtype == want.dtype
    assert [repr(v) for v in got] == [repr(v) for v in want]


#: Objects a text column may hold: strings (numpy's too), every kind of missing value,
#: and values that are not strings.
_OBJECTS = st.one_of(
    st.text(max_size=6),
    st.text(max_size=3).map(np.str_),
    st.sampled_from(
        [None, np.nan, pd.NA, pd.NaT, decimal.Decimal("NaN"), b"x", 1, 1.5, True, datetime.date(2025, 6, 26)]
    ),
)


@given(values=st.lists(_OBJECTS, max_size=8))
def test_str_column_of_any_objects_is_what_a_frame_makes_of_them(values: list[object]) -> None:
    objects = np.empty(len(values), dtype=object)
    objects[:] = values
    got, want = _as_frame_holds(str_column(objects)), _as_frame_holds(objects)
    assert got.dtype == want.dtype
    assert [repr(v) for v in got] == [repr(v) for v in want]


def test_str_take_is_what_a_frame_makes_of_the_taken_objects() -> None:
    table = np.array(["", "Viettel", "Viettel,VNPT"], dtype=object)
    codes = np.array([2, 0, 1, 2])
    got, want = _as_frame_holds(str_take(table, codes)), _as_frame_holds(table[codes])
    assert got.dtype == want.dtype
    assert got.tolist() == want.tolist() == ["Viettel,VNPT", "", "Viettel", "Viettel,VNPT"]
    assert _as_frame_holds(str_take(table, np.array([], dtype=np.int64))).dtype == object


@pytest.mark.parametrize("dtype", ["str", object, "int64"])
def test_as_assigned_holds_what_to_numpy_would(dtype: object) -> None:
    column = pd.Series([1, 2] if dtype == "int64" else ["a", None], dtype=dtype)  # type: ignore[call-overload]
    got, want = _as_frame_holds(as_assigned(column)), _as_frame_holds(column.to_numpy())
    assert got.dtype == want.dtype
    assert [repr(v) for v in got] == [repr(v) for v in want]
