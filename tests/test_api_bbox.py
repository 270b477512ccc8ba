"""The bbox rows of the API: the longitude index finds exactly the rows the plain test finds."""

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from coverage_gis_api.bbox import PointIndex, bbox_mask

# Coordinates on a coarse grid, so edges and ties are common; some missing.
_COORD = st.one_of(st.integers(-4, 4).map(float), st.just(float("nan")))


@settings(max_examples=200, deadline=None)
@given(
    points=st.lists(st.tuples(_COORD, _COORD), max_size=40),
    corners=st.tuples(*(st.integers(-5, 5) for _ in range(4))),
)
def test_the_index_finds_the_rows_the_plain_test_finds(
    points: list[tuple[float, float]], corners: tuple[int, int, int, int]
) -> None:
    frame = pd.DataFrame(points, columns=["lon", "lat"], dtype=float)
    west, east = sorted(corners[::2])
    south, north = sorted(corners[1::2])
    bbox = (float(west), float(south), float(east), float(north))
    index = PointIndex(frame)
    np.testing.assert_array_equal(index.mask(bbox), bbox_mask(frame, bbox))
    np.testing.assert_array_equal(index.mask(None), np.ones(len(frame), dtype=bool))


def test_edges_are_inside_and_missing_points_never() -> None:
    frame = pd.DataFrame({"lon": [1.0, 2.0, np.nan, 3.0, 2.0], "lat": [1.0, 2.0, 2.0, 2.0, np.nan]})
    assert PointIndex(frame).mask((1.0, 1.0, 2.0, 2.0)).tolist() == [True, True, False, False, False]
