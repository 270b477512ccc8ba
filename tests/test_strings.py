"""Columns of a few distinct strings, hashed once (``coverage_gis._strings``)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from coverage_gis._strings import distinct_strings, str_array


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
