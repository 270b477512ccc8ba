"""Siting models on tiny coverage matrices with answers worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from coverage_gis.planning.siting import drop_redundant, max_cover, set_cover

# Villages (rows) × candidates (columns).
#   c0 covers v0, v1      cost 3
#   c1 covers v1, v2      cost 1
#   c2 covers v2, v3      cost 1
#   c3 covers v0          cost 1
#   v4: nobody → needs satellite/microwave
A = np.array(
    [
        [1, 0, 0, 1],
        [1, 1, 0, 0],
        [0, 1, 1, 0],
        [0, 0, 1, 0],
        [0, 0, 0, 0],
    ],
    dtype=bool,
)
COST = np.array([3.0, 1.0, 1.0, 1.0])
POP = np.array([100.0, 50.0, 40.0, 30.0, 999.0])


@pytest.mark.parametrize("solver", ["highs", "greedy"])
def test_set_cover_least_cost_and_lists_the_unreachable_village(solver: str) -> None:
    # {c1, c2, c3} covers v0..v3 for 3; any cover using c0 costs at least 4.
    sel = set_cover(A, COST, solver=solver)  # type: ignore[arg-type]
    assert sel.chosen.tolist() == [1, 2, 3]
    assert sel.cost == 3.0
    assert sel.covered.tolist() == [True, True, True, True, False]
    assert sel.uncoverable.tolist() == [False, False, False, False, True]


def test_set_cover_exact_beats_greedy_and_reports_its_gap() -> None:
    # c0 = {v0, v1, v2} for 2 (0.67 a village) lures greedy; v3 then needs c2 = {v1, v2, v3}
    # for 3: 5 in all. The optimum is c1 = {v0} for 1 plus c2: 4.
    a = np.array([[1, 1, 0], [1, 0, 1], [1, 0, 1], [0, 0, 1]], dtype=bool)
    cost = np.array([2.0, 1.0, 3.0])
    exact = set_cover(a, cost)
    greedy = set_cover(a, cost, solver="greedy")
    assert exact.method == "highs"
    assert exact.chosen.tolist() == [1, 2]
    assert exact.gap == 0.0
    assert greedy.method == "greedy"
    assert greedy.chosen.tolist() == [0, 2]
    assert greedy.cost == 5.0
    # Against the LP bound (4: the LP optimum is integral here) greedy is 20 % off.
    assert greedy.bound == pytest.approx(4.0)
    assert greedy.gap == pytest.approx(0.2)


def test_budgeted_max_cover() -> None:
    # Budget 2: {c1, c3} covers v0, v1, v2 = 190 (c0 alone costs 3: out of budget).
    sel = max_cover(A, POP, COST, budget=2.0)
    assert sel.chosen.tolist() == [1, 3]
    assert sel.objective == 190.0
    assert sel.cost == 2.0
    assert sel.gap == 0.0


def test_max_sites_counts_only_counted_candidates() -> None:
    counted = np.array([True, True, True, False])
    # One counted site: c1 (v1, v2) or c2 (v2, v3) or c0 (v0, v1); with free c3 for v0, c1 gives 190.
    sel = max_cover(A, POP, COST, max_sites=1, counted=counted)
    assert sel.chosen.tolist() == [1, 3]
    assert sel.objective == 190.0


def test_a_child_needs_its_parent() -> None:
    # Two fiber branches: b1 (village of 100) hangs from b0 (village of 1).
    a = np.eye(2, dtype=bool)
    parent = np.array([-1, 0])
    cost = np.array([5.0, 1.0])
    assert max_cover(a, np.array([1.0, 100.0]), cost, budget=4.0, parent=parent).chosen.tolist() == []
    for solver in ("highs", "greedy"):
        sel = max_cover(a, np.array([1.0, 100.0]), cost, budget=6.0, parent=parent, solver=solver)  # type: ignore[arg-type]
        assert sel.chosen.tolist() == [0, 1]


@settings(max_examples=40, deadline=None)
@given(
    st.integers(1, 8).flatmap(
        lambda m: st.tuples(
            st.lists(st.lists(st.booleans(), min_size=m, max_size=m), min_size=1, max_size=10),
            st.lists(st.integers(1, 9), min_size=m, max_size=m),
            st.integers(0, 20),
        )
    )
)
def test_exact_is_never_worse_than_greedy(case: tuple[list[list[bool]], list[int], int]) -> None:
    rows, costs, budget = case
    a = np.array(rows, dtype=bool)
    cost = np.array(costs, dtype=float)
    weight = np.arange(1, a.shape[0] + 1, dtype=float)
    exact = max_cover(a, weight, cost, budget=float(budget))
    greedy = max_cover(a, weight, cost, budget=float(budget), solver="greedy")
    assert exact.cost <= budget + 1e-9
    assert greedy.cost <= budget + 1e-9
    assert exact.objective >= greedy.objective - 1e-9
    cover = set_cover(a, cost)
    assert (cover.covered | cover.uncoverable).all()
    assert cover.cost <= set_cover(a, cost, solver="greedy").cost + 1e-9


@pytest.mark.parametrize("solver", ["highs", "greedy"])
def test_max_cover_buys_no_candidate_that_adds_no_one(solver: str) -> None:
    """Three masts reach the one village and the budget allows all three: one is bought."""
    a = np.ones((1, 3), dtype=bool)
    sel = max_cover(a, np.array([100.0]), np.array([5.0, 3.0, 4.0]), budget=12.0, solver=solver)  # type: ignore[arg-type]
    assert len(sel.chosen) == 1
    assert sel.objective == 100.0
    assert sel.cost == float(np.array([5.0, 3.0, 4.0])[sel.chosen].sum())


def test_drop_redundant_keeps_the_cheapest_cover_and_required_parents() -> None:
    # Demand 0: candidates 0, 1, 2; demand 1: candidate 3 (whose parent is 0).
    a = sp.csr_array(np.array([[1, 1, 1, 0], [0, 0, 0, 1]], dtype=float))
    cost = np.array([4.0, 1.0, 9.0, 2.0])
    assert drop_redundant(a, np.array([0, 1, 2]), cost).tolist() == [1]
    parent = np.array([-1, -1, -1, 0])
    assert drop_redundant(a, np.array([0, 1, 2, 3]), cost, parent).tolist() == [0, 3]
