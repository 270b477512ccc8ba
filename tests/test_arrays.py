"""Grouping identical rows (coverage_gis._arrays.distinct_rows)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from coverage_gis._arrays import distinct_rows


def test_groups_by_paper() -> None:
    key = np.array([[2.0, 1.0], [1.0, 5.0], [2.0, 1.0], [1.0, 5.0], [1.0, 4.0]])
    first, group = distinct_rows(key)
    # Sorted groups: (1, 4), (1, 5), (2, 1).
    assert key[first].tolist() == [[1.0, 4.0], [1.0, 5.0], [2.0, 1.0]]
    assert group.tolist() == [2, 1, 2, 1, 0]


def test_integer_keys_and_signed_zero() -> None:
    first, group = distinct_rows(np.array([[3, -7], [3, -7], [-1, 0]], dtype=np.int64))
    assert group.tolist() == [1, 1, 0]
    assert first.tolist()[0] == 2
    _, group = distinct_rows(np.array([[0.0], [-0.0]]))
    assert group.tolist() == [0, 0]


def test_empty_and_bad_shape() -> None:
    first, group = distinct_rows(np.empty((0, 3)))
    assert first.size == 0
    assert group.size == 0
    with pytest.raises(ValueError, match="2-D"):
        distinct_rows(np.arange(3.0))


@given(arrays(np.int64, st.tuples(st.integers(0, 40), st.integers(1, 3)), elements=st.integers(-3, 3)))
def test_matches_numpy_unique(key: np.ndarray) -> None:
    first, group = distinct_rows(key)
    unique, inverse = np.unique(key, axis=0, return_inverse=True)
    assert np.array_equal(key[first], unique.reshape(-1, key.shape[1]))
    assert np.array_equal(group, inverse.ravel())
    assert np.array_equal(key[first[group]], key)
