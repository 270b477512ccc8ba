"""The compiled pair search (models._search via models.base.map_pairs_within_reach) against brute force.

Coordinates are metres in a metric CRS; a cell reaches the receivers with
``hypot(dx, dy) <= reach`` (inclusive), a cell or receiver with a non-finite value is in
no pair.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coverage_gis.models import _search
from coverage_gis.models.base import SourcePlan, map_pairs_within_reach, pairs_within_reach
from coverage_gis.terrain._jit import _cache_class, kernels_digest


def _found(
    rx: np.ndarray, ry: np.ndarray, cx: np.ndarray, cy: np.ndarray, reach: np.ndarray, workers: int = 1
) -> dict[tuple[int, int], float]:
    r, c, d = pairs_within_reach(rx, ry, cx, cy, reach, workers=workers)
    found = {(int(a), int(b)): float(x) for a, b, x in zip(r, c, d, strict=True)}
    assert len(found) == r.size, "a pair appears once"
    return found


def _brute(
    rx: np.ndarray, ry: np.ndarray, cx: np.ndarray, cy: np.ndarray, reach: np.ndarray
) -> dict[tuple[int, int], float]:
    with np.errstate(invalid="ignore"):
        d = np.hypot(rx[:, None] - cx[None, :], ry[:, None] - cy[None, :])
        ok = (d <= reach[None, :]) & (reach[None, :] >= 0) & np.isfinite(reach[None, :])
    return {(int(a), int(b)): float(d[a, b]) for a, b in zip(*np.nonzero(ok), strict=True)}


def test_receiver_exactly_on_the_circle_is_in_and_1_cm_beyond_is_out() -> None:
    # A cell at the origin reaching 1000 m: (600, 800) and (-1000, 0) are exactly 1000 m away.
    rx = np.array([600.0, -1000.0, 1000.01, 0.0, 0.0])
    ry = np.array([800.0, 0.0, 0.0, -1000.01, 999.99])
    found = _found(rx, ry, np.array([0.0]), np.array([0.0]), np.array([1000.0]))
    assert found == {(0, 0): 1000.0, (1, 0): 1000.0, (4, 0): 999.99}


def test_a_receiver_at_the_site_is_reached_by_every_cell_there() -> None:
    # Six cells on one site with three reaches (two sources' worth of cells each), and a
    # receiver on the site: distance 0 from all six; one 500 m east: the four reaching it.
    cx = np.full(6, 250_000.0)
    cy = np.full(6, 1_500_000.0)
    reach = np.array([300.0, 300.0, 500.0, 500.0, 800.0, 0.0])
    rx = np.array([250_000.0, 250_500.0])
    ry = np.array([1_500_000.0, 1_500_000.0])
    found = _found(rx, ry, cx, cy, reach)
    assert found == {**{(0, c): 0.0 for c in range(6)}, (1, 2): 500.0, (1, 3): 500.0, (1, 4): 500.0}


def test_non_finite_points_and_reaches_are_in_no_pair() -> None:
    nan, inf = math.nan, math.inf
    rx = np.array([0.0, nan, inf, 10.0, -inf])
    ry = np.array([0.0, 0.0, 0.0, nan, 5.0])
    cx = np.array([0.0, 0.0, 0.0, nan, 0.0, inf])
    cy = np.array([0.0, 0.0, 0.0, 0.0, 0.0, 0.0])
    reach = np.array([100.0, nan, -1.0, 100.0, inf, 100.0])
    assert _found(rx, ry, cx, cy, reach) == {(0, 0): 0.0}


def test_a_huge_finite_reach_reaches_every_receiver() -> None:
    # The row bounds are clipped before they become integers (1e300 m would overflow them).
    rng = np.random.default_rng(5)
    rx, ry = rng.uniform(-1e6, 1e6, (2, 50))
    found = _found(rx, ry, np.array([0.0]), np.array([0.0]), np.array([1e300]))
    assert sorted(r for r, _ in found) == list(range(50))


def test_sources_in_the_first_and_last_rows_find_their_receivers() -> None:
    # Receivers spread over 10 km north-south; cells at both ends, at and beyond the
    # receivers' extent, so their discs start or end outside the rows.
    rx = np.zeros(11)
    ry = np.linspace(0.0, 10_000.0, 11)
    cx = np.zeros(4)
    cy = np.array([0.0, 10_000.0, -400.0, 10_400.0])
    reach = np.full(4, 1000.0)
    assert _found(rx, ry, cx, cy, reach) == _brute(rx, ry, cx, cy, reach)
    # All receivers in one row; a disc from inside that row to beyond it, and one from
    # below it to inside it.
    rx, ry = np.zeros(2), np.array([0.0, 600.0])
    cx, cy = np.zeros(2), np.array([1500.0, -900.0])
    assert _found(rx, ry, cx, cy, np.full(2, 1000.0)) == {(1, 0): 900.0, (0, 1): 900.0}


def test_no_receivers_or_no_cells_give_no_batches() -> None:
    empty = np.empty(0)
    one = np.array([0.0])
    assert map_pairs_within_reach(empty, empty, one, one, one, lambda *p: p) == []
    assert map_pairs_within_reach(one, one, empty, empty, empty, lambda *p: p) == []


def test_rows_hold_every_finite_receiver_once_by_row_then_x() -> None:
    rng = np.random.default_rng(11)
    x, y = rng.uniform(0, 50_000, (2, 500))
    x[7], y[9] = math.nan, math.inf
    rows = _search.ReceiverRows.of(x, y, 2000.0)
    assert sorted(rows.index.tolist()) == sorted(set(range(500)) - {7, 9})
    row = np.floor((rows.y_m - rows.y0_m) / rows.row_m)
    assert (np.diff(row) >= 0).all()
    for k in range(rows.start.size - 1):
        run = slice(rows.start[k], rows.start[k + 1])
        assert (row[run] == k).all()
        assert (np.diff(rows.x_m[run]) >= 0).all()


def test_a_few_receivers_far_apart_get_a_few_rows() -> None:
    rows = _search.ReceiverRows.of(np.array([0.0, 0.0]), np.array([0.0, 1e9]), 1.0)
    assert rows.start.size - 1 <= 4 * 2 + 2


def test_the_models_kernels_are_cached_on_their_own_folder() -> None:
    # The cache key holds the digest of the kernel modules beside them, not the terrain's.
    folder = Path(_search.__file__).parent
    cache = _search.source_hits._cache
    assert isinstance(cache, _cache_class(folder))

    class Codegen:
        def magic_tuple(self) -> tuple[str, str, str]:
            return ("triple", "cpu", "features")

    key = cache._index_key(("sig",), Codegen())
    assert key[-1] == kernels_digest(folder)
    assert key[-1] != kernels_digest()


# ------------------------------------------------------------------- property: brute force

#: Coordinates on a 10 m lattice (receivers land exactly on circles of integer radii
#: often: 30-40-50 triangles and the like) or anywhere, both far from the origin as in
#: a UTM zone.
_lattice = st.integers(min_value=0, max_value=300).map(lambda v: 400_000.0 + 10.0 * v)
_anywhere = st.floats(min_value=400_000.0, max_value=403_000.0, allow_nan=False)
_coord = st.one_of(_lattice, _anywhere)
_reach = st.one_of(
    st.integers(min_value=0, max_value=150).map(lambda v: 10.0 * v),
    st.floats(min_value=0.0, max_value=2_000.0),
    st.sampled_from([math.nan, -5.0]),
)


@st.composite
def _problem(draw: st.DrawFn) -> tuple[np.ndarray, ...]:
    receivers = draw(st.lists(st.tuples(_coord, _coord), min_size=0, max_size=60))
    sites = draw(st.lists(st.tuples(_coord, _coord), min_size=1, max_size=25))
    cells = [
        (*sites[draw(st.integers(0, len(sites) - 1))], draw(_reach))
        for _ in range(draw(st.integers(min_value=0, max_value=40)))
    ]

    def cols(rows: list[tuple[float, ...]], n: int) -> list[np.ndarray]:
        return [np.array([r[i] for r in rows], dtype=np.float64) for i in range(n)]

    return (*cols(receivers, 2), *cols(cells, 3))


@settings(max_examples=150, deadline=None)
@given(problem=_problem(), workers=st.sampled_from([1, 2]))
def test_property_the_search_finds_the_brute_force_pairs_and_distances(
    problem: tuple[np.ndarray, ...], workers: int
) -> None:
    rx, ry, cx, cy, reach = problem
    found = _found(rx, ry, cx, cy, reach, workers=workers)
    want = _brute(rx, ry, cx, cy, reach)
    assert found.keys() == want.keys()
    # The distances are numpy's hypot, bit for bit.
    assert all(np.float64(found[k]).tobytes() == np.float64(want[k]).tobytes() for k in want)


def test_many_batches_in_threads_give_the_brute_force_pairs() -> None:
    # More sources than one batch holds, so the batches run in a thread pool.
    rng = np.random.default_rng(2)
    rx, ry = rng.uniform(0, 60_000, (2, 1500))
    cx = np.repeat(rng.uniform(0, 60_000, 3000), 3)
    cy = np.repeat(rng.uniform(0, 60_000, 3000), 3)
    reach = rng.choice([500.0, 1200.0, 2500.0], cx.size)
    assert len(SourcePlan.of(cx, cy, reach).batches) > 1
    assert _found(rx, ry, cx, cy, reach, workers=2) == _brute(rx, ry, cx, cy, reach)


# Few distinct values (cells of one site share y, x), -0.0 beside 0.0, and sometimes one
# value for every entry (a run longer than the in-place sort takes).
_COORD = st.sampled_from([-1.5, -0.0, 0.0, 2.0, 7.25, 1e6])


@settings(max_examples=200, deadline=None)
@given(
    keys=st.lists(st.tuples(_COORD, _COORD, _COORD), min_size=0, max_size=120),
    one_y=st.booleans(),
)
def test_the_source_plan_orders_cells_as_lexsort(keys: list[tuple[float, float, float]], one_y: bool) -> None:
    y, x, r = (
        (np.array(col, dtype=np.float64).reshape(-1) for col in zip(*keys, strict=True))
        if keys
        else (
            np.empty(0),
            np.empty(0),
            np.empty(0),
        )
    )
    if one_y:
        y = np.zeros_like(y)
    plan = SourcePlan.of(x, y, np.abs(r))
    expected = np.lexsort((np.abs(r), x, y))
    np.testing.assert_array_equal(plan.order, expected)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_source_plan_orders_many_tied_cells_as_lexsort(seed: int) -> None:
    # Enough cells for numpy's (unstable, SIMD) sort by y to mix up ties: runs of equal
    # y (long and short), equal (x, r) within them, and -0.0 beside 0.0.
    rng = np.random.default_rng(seed)
    n = 20_000
    y = rng.choice([-0.0, 0.0, 1.0, 2.5, 1e6], n) if seed == 0 else rng.integers(0, n // 3, n).astype(float)
    x = rng.choice([-0.0, 0.0, 3.0, 7.0], n)
    r = rng.choice([0.0, 500.0, 1500.0], n)
    plan = SourcePlan.of(x, y, r)
    np.testing.assert_array_equal(plan.order, np.lexsort((r, x, y)))
