"""The fiber index's kernels (``coverage_gis._fiber_grid``) and row filters against plain references."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

#: A few coordinates (some equal, some not finite), so features share vertices and segments.
_value = st.sampled_from([0.0, -0.0, 1.0, 2.5, -3.0, 1e-300, 100.5, math.nan, math.inf])
_plain = st.sampled_from([0.0, -0.0, 1.0, 2.5, -3.0, 1e-300, 100.5])


@st.composite
def _features(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Vertices feature by feature: their coordinates, owners, which features are lines,
    which vertices open a later part of a line, and each feature's bits."""
    finite = draw(st.booleans())
    coordinate = _plain if finite else _value
    features = draw(st.integers(0, 6))
    line = np.array([draw(st.booleans()) for _ in range(features)], dtype=bool)
    coords: list[tuple[float, float]] = []
    owner: list[int] = []
    part_start: list[bool] = []
    for f in range(features):
        for part in range(draw(st.integers(1, 3)) if line[f] else 1):
            count = draw(st.integers(2, 4)) if line[f] else draw(st.integers(1, 3))
            for v in range(count):
                coords.append((draw(coordinate), draw(coordinate)))
                owner.append(f)
                part_start.append(bool(line[f] and part > 0 and v == 0))
    bits = np.array([1 << draw(st.integers(0, 4)) for _ in range(features)], dtype=np.int64)
    return (
        np.array(coords, dtype=np.float64).reshape(-1, 2),
        np.array(owner, dtype=np.int64),
        line,
        np.array(part_start, dtype=bool),
        bits,
    )


def _reference(
    coords: np.ndarray, owner: np.ndarray, line: np.ndarray, part_start: np.ndarray, bits: np.ndarray
) -> tuple[list[int], list[tuple[int, int]], list[int], set[int]]:
    """Distinct vertices (first rows, in row order), distinct segments (in order of first
    appearance, with the OR of their bits) and broken features, one row at a time."""
    broken = {int(owner[k]) for k in range(len(coords)) if not np.isfinite(coords[k]).all()}
    number: dict[bytes, int] = {}
    first: list[int] = []
    vertex: list[int] = []
    for k in range(len(coords)):
        if int(owner[k]) in broken:
            vertex.append(-1)
            continue
        key = coords[k].tobytes()
        if key not in number:
            number[key] = len(first)
            first.append(k)
        vertex.append(number[key])
    segments: dict[tuple[int, int], int] = {}
    for k in range(len(coords)):
        f = int(owner[k])
        if vertex[k] < 0:
            continue
        if not line[f]:
            pair = (vertex[k], vertex[k])
        elif k + 1 < len(coords) and owner[k + 1] == f and not part_start[k + 1]:
            pair = (vertex[k], vertex[k + 1])
        else:
            continue
        segments[pair] = segments.get(pair, 0) | int(bits[f])
    return first, list(segments), list(segments.values()), broken


@settings(max_examples=200, deadline=None)
@given(_features())
def test_distinct_segments_are_the_reference(
    features: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray],
) -> None:
    from coverage_gis._fiber_segments import distinct_segments

    coords, owner, line, part_start, bits = features
    broken = np.zeros(len(line), dtype=bool)
    first, a, b, seg_bits = distinct_segments(coords, owner, line, part_start, bits, broken)
    want_first, want_segments, want_bits, want_broken = _reference(coords, owner, line, part_start, bits)
    assert first.tolist() == want_first
    assert list(zip(a.tolist(), b.tolist(), strict=True)) == want_segments
    assert seg_bits.tolist() == want_bits
    assert set(np.flatnonzero(broken).tolist()) == want_broken


def test_distinct_vertices_are_numbered_in_row_order_across_buckets() -> None:
    # Enough rows for many spatial buckets, drawn so equal vertices lie far apart in the rows.
    from coverage_gis._fiber_segments import distinct_segments

    rng = np.random.default_rng(5)
    pool = rng.uniform(-1e3, 1e3, (500, 2))
    coords = pool[rng.integers(0, len(pool), 5000)]
    owner = np.arange(len(coords), dtype=np.int64)
    line = np.zeros(len(coords), dtype=bool)
    first, a, b, _ = distinct_segments(
        coords,
        owner,
        line,
        np.zeros(len(coords), dtype=bool),
        np.ones(len(coords), dtype=np.int64),
        line.copy(),
    )
    _, want = np.unique(coords, axis=0, return_index=True)
    assert first.tolist() == sorted(want.tolist())
    # Each point is its own segment, numbered in order of first appearance.
    assert a.tolist() == b.tolist() == list(range(len(first)))


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            ["on_air", "planned", "", "ON_AIR", None, math.nan, pd.NA, b"on_air", 1, np.str_("on_air")]
        ),
        max_size=8,
    ),
    st.sampled_from(["object", "category", "string"]),
)
def test_a_column_equals_a_value_as_isin_finds_it(values: list[object], dtype: str) -> None:
    from coverage_gis.fiber import _equals

    column = pd.Series(values, dtype=object)
    if dtype != "object":
        # (Only strings and missing values make a column of strings.)
        column = pd.Series([v if isinstance(v, str) or v is None else None for v in values], dtype=dtype)
    assert _equals(column, "on_air").tolist() == column.isin(["on_air"]).tolist()


_anywhere = st.one_of(st.floats(-5e3, 5e3), st.sampled_from([math.nan, math.inf, -math.inf, 1e300, -1e300]))


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(_anywhere, _anywhere), max_size=30), st.integers(1, 5), st.integers(1, 5))
def test_points_are_taken_cell_by_cell_in_their_own_order(
    points: list[tuple[float, float]], nx: int, ny: int
) -> None:
    from coverage_gis._fiber_grid import _by_cell

    x, y = np.array(points, dtype=np.float64).reshape(-1, 2).T.copy()
    order = _by_cell(x, y, -1000.0, -1000.0, 700.0, nx, ny)

    def cell_of(v: float, count: int) -> int:
        # The cell's column (row), clipped to the grid; -1 without a finite coordinate.
        return min(max(math.floor((v + 1000.0) / 700.0), 0), count - 1) if math.isfinite(v) else -1

    keys = [(cell_of(y[p], ny), cell_of(x[p], nx), p) for p in range(len(x))]
    assert order.tolist() == [p for *_, p in sorted(keys)]
