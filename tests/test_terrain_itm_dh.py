"""ITM's Δh order statistics: the histogram selection gives the values a sort gives.

:func:`coverage_gis.terrain._itm_profile.two_ranks` picks Δh's two interdecile values (ranks
``ka - 1`` and ``n - ka`` of ``n = 10 ka - 5`` detrended heights) from a histogram;
any value it returns must be the very element a full sort puts at that rank.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from coverage_gis.terrain._itm_profile import HIST_BINS, select, two_ranks


def ranks_by_histogram(values: np.ndarray, low: int, high: int) -> tuple[float, float]:
    s = values.copy()
    work = np.full(HIST_BINS + 2 * s.size, np.nan)
    return two_ranks(s, s.size, low, high, work)


@settings(max_examples=300, deadline=None)
@given(
    ka=st.integers(4, 25),
    data=st.data(),
)
def test_two_ranks_equal_the_sorted_values(ka: int, data: st.DataObject) -> None:
    n = 10 * ka - 5
    # Wide spreads, clusters and many ties (a few distinct values) alike.
    pool = data.draw(st.sampled_from(["wide", "ties", "narrow"]))
    if pool == "ties":
        elements = st.sampled_from([-3.0, -1.5, 0.0, 0.25, 7.0])
    elif pool == "narrow":
        elements = st.floats(1.0, 1.0 + 1e-12)
    else:
        elements = st.floats(-1e6, 1e6)
    values = data.draw(arrays(np.float64, n, elements=elements))
    low, high = ka - 1, n - ka
    ordered = np.sort(values)
    assert ranks_by_histogram(values, low, high) == (ordered[low], ordered[high])


def test_two_ranks_hand_checked() -> None:
    # 35 values 0..34 shuffled: ranks 3 and 31 are 3 and 31; all equal; one huge outlier
    # (every other value in the lowest bin: the bin is sorted, not the histogram).
    values = np.random.default_rng(1).permutation(35).astype(np.float64)
    assert ranks_by_histogram(values, 3, 31) == (3.0, 31.0)
    assert ranks_by_histogram(np.full(35, 2.5), 3, 31) == (2.5, 2.5)
    outlier = np.append(np.arange(34.0), 1e9)
    assert ranks_by_histogram(outlier, 3, 31) == (3.0, 31.0)


def test_two_ranks_with_a_nan_gives_what_quickselect_gave() -> None:
    # The selection Δh used before (rank n - ka of all, then rank ka - 1 of the values
    # below it), which a NaN sends its own way.
    values = np.random.default_rng(2).permutation(35).astype(np.float64)
    values[7] = np.nan
    before = values.copy()
    high = select(before, 35, 31)
    low = select(before, 31, 3)
    got = two_ranks(values.copy(), 35, 3, 31, np.empty(HIST_BINS + 70))
    np.testing.assert_array_equal(got, (low, high))
