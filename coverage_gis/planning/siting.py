"""Siting models on arrays: budgeted maximal covering and least-cost set covering.

Owns the two covering problems the planner solves and how they are solved:

- **maximal covering** (MCLP): choose candidates within a budget (and/or a number of
  sites) so that the covered demand weight (population) is largest;
- **set covering** (LSCP): cover every coverable demand at least cost; demands no
  candidate reaches are returned as uncoverable, never dropped silently.

The exact solver is HiGHS, fed directly with a column-wise sparse matrix
(``Highs.passModel``): building the model is a few sparse-array operations, not a
modelling layer's per-term Python objects. A greedy heuristic is the fallback (solver
missing, time limit without an incumbent, or asked for) and is always reported with
its optimality gap against the LP-relaxation bound or the exact optimum.

Candidates may depend on one another (``parent``: a fiber branch needs the branch it
hangs from), which the MIP states as ``y_child <= y_parent`` and the greedy
heuristic handles by taking a candidate together with its unbuilt ancestors.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from coverage_gis.models.base import BoolArray, FloatArray, IntArray

Solver = Literal["highs", "greedy"]
#: A demand × candidate matrix as callers give it: a scipy sparse array, or a dense
#: array whose non-zero entries mean "covers".
CoverageLike = sp.csr_array | sp.csc_array | sp.coo_array | NDArray[Any]
#: Objective tolerance used to call a greedy answer optimal.
_REL_TOL = 1e-9


@dataclass(frozen=True)
class Selection:
    """The answer of a covering model.

    Attributes
    ----------
    chosen
        Indices of the chosen candidates, ascending.
    covered
        Per demand: covered by a chosen candidate.
    objective
        Covered weight (maximal covering) or total cost (set covering).
    cost
        Total cost of the chosen candidates.
    method
        ``highs`` (exact MIP) or ``greedy``.
    bound
        Best known bound on the optimum (the optimum itself when proven), or None.
    gap
        Relative optimality gap of ``objective`` against ``bound`` (0 when proven
        optimal; None without a bound).
    status
        Solver status in words.
    uncoverable
        Per demand: no candidate reaches it (set covering lists them; maximal
        covering simply cannot gain them).
    """

    chosen: IntArray
    covered: BoolArray
    objective: float
    cost: float
    method: str
    bound: float | None
    gap: float | None
    status: str
    uncoverable: BoolArray


def as_coverage(matrix: CoverageLike) -> sp.csr_array:
    """A demand × candidate 0/1 CSR array of float64 (duplicates merged, zeros dropped)."""
    if isinstance(matrix, np.ndarray):
        csr = sp.csr_array(np.asarray(matrix != 0, dtype=np.float64))
    else:
        csr = sp.csr_array(matrix.astype(np.float64))
    csr.sum_duplicates()
    csr.data[:] = 1.0
    csr.eliminate_zeros()
    return csr


def _check(coverage: sp.csr_array, weight: FloatArray | None, cost: FloatArray) -> None:
    n, m = coverage.shape
    if weight is not None and weight.shape != (n,):
        raise ValueError(f"weight has shape {weight.shape}, expected ({n},)")
    if cost.shape != (m,):
        raise ValueError(f"cost has shape {cost.shape}, expected ({m},)")
    if (cost < 0).any() or not np.isfinite(cost).all():
        raise ValueError("costs must be finite and non-negative")


def _covered(coverage: sp.csr_array, chosen: IntArray) -> BoolArray:
    mask = np.zeros(coverage.shape[1], dtype=np.float64)
    mask[chosen] = 1.0
    return np.asarray(coverage @ mask > 0, dtype=bool)


def _gap(objective: float, bound: float | None, *, maximise: bool) -> float | None:
    if bound is None or not math.isfinite(bound):
        return None
    if maximise:
        return max(0.0, (bound - objective) / bound) if bound > 0 else 0.0
    return max(0.0, (objective - bound) / objective) if objective > 0 else 0.0


def _abs_gap(coefficients: FloatArray, scale: float) -> float:
    """Absolute MIP gap (in the model's scaled objective units) that still proves optimality.

    With integral objective coefficients every solution value is an integer, so a gap
    below one unit already proves the incumbent optimal; otherwise a hair above zero.
    """
    if coefficients.size and np.all(coefficients == np.round(coefficients)):
        return (1.0 - 1e-6) / scale
    return 1e-9


# -- HiGHS --------------------------------------------------------------------------------------


def _highs_available() -> bool:
    try:
        import highspy  # noqa: F401
    except ImportError:
        return False
    return True


@dataclass(frozen=True)
class _MipResult:
    x: FloatArray | None
    objective: float | None
    bound: float | None
    optimal: bool
    status: str


def _solve_highs(
    cost_vec: FloatArray,
    matrix_csc: sp.csc_array,
    row_lower: FloatArray,
    row_upper: FloatArray,
    col_upper: FloatArray,
    integer: BoolArray,
    *,
    maximise: bool,
    relax: bool,
    time_limit_s: float,
    abs_gap: float = 1e-9,
) -> _MipResult:
    import highspy

    n_row, n_col = matrix_csc.shape
    lp = highspy.HighsLp()
    lp.num_col_ = n_col
    lp.num_row_ = n_row
    lp.col_cost_ = cost_vec
    lp.col_lower_ = np.zeros(n_col)
    lp.col_upper_ = col_upper
    lp.row_lower_ = row_lower
    lp.row_upper_ = row_upper
    lp.sense_ = highspy.ObjSense.kMaximize if maximise else highspy.ObjSense.kMinimize
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.num_col_ = n_col
    lp.a_matrix_.num_row_ = n_row
    lp.a_matrix_.start_ = matrix_csc.indptr.astype(np.int32)
    lp.a_matrix_.index_ = matrix_csc.indices.astype(np.int32)
    lp.a_matrix_.value_ = matrix_csc.data.astype(np.float64)
    if not relax:
        lp.integrality_ = [
            highspy.HighsVarType.kInteger if flag else highspy.HighsVarType.kContinuous for flag in integer
        ]
    h = highspy.Highs()  # type: ignore[no-untyped-call]
    h.setOptionValue("output_flag", False)
    h.setOptionValue("time_limit", float(time_limit_s))
    h.setOptionValue("mip_rel_gap", 0.0)
    h.setOptionValue("mip_abs_gap", float(abs_gap))
    h.setOptionValue("threads", 1)
    h.passModel(lp)
    h.run()
    status = h.getModelStatus()
    info = h.getInfo()
    name = h.modelStatusToString(status)
    optimal = status == highspy.HighsModelStatus.kOptimal
    if info.primal_solution_status != highspy.SolutionStatus.kSolutionStatusFeasible:
        return _MipResult(None, None, None, False, name)
    x = np.asarray(h.getSolution().col_value, dtype=np.float64)
    bound = float(info.objective_function_value) if relax or optimal else float(info.mip_dual_bound)
    return _MipResult(x, float(info.objective_function_value), bound, optimal, name)


# -- maximal covering ---------------------------------------------------------------------------


def _max_cover_model(
    coverage: sp.csr_array,
    weight: FloatArray,
    cost: FloatArray,
    budget: float | None,
    max_sites: int | None,
    counted: BoolArray,
    parent: IntArray,
) -> tuple[FloatArray, sp.csc_array, FloatArray, FloatArray, FloatArray, BoolArray]:
    """Columns: y (candidates, binary), then z (demands, continuous 0–1)."""
    n, m = coverage.shape
    # z_i − Σ_j a_ij y_j ≤ 0
    demand_rows = sp.hstack([-coverage, sp.eye_array(n, format="csr")], format="csr")
    blocks = [demand_rows]
    lower = [np.full(n, -np.inf)]
    upper = [np.zeros(n)]
    if budget is not None:
        scale = float(cost.max(initial=0.0)) or 1.0  # keeps the budget row well scaled
        blocks.append(sp.csr_array(np.concatenate([cost / scale, np.zeros(n)])[None, :]))
        lower.append(np.array([-np.inf]))
        upper.append(np.array([budget / scale]))
    if max_sites is not None:
        blocks.append(sp.csr_array(np.concatenate([counted.astype(float), np.zeros(n)])[None, :]))
        lower.append(np.array([-np.inf]))
        upper.append(np.array([float(max_sites)]))
    child = np.flatnonzero(parent >= 0)
    if child.size:
        k = child.size
        rows = np.concatenate([np.arange(k), np.arange(k)])
        cols = np.concatenate([child, parent[child]])
        vals = np.concatenate([np.ones(k), -np.ones(k)])
        blocks.append(sp.csr_array((vals, (rows, cols)), shape=(k, m + n)))
        lower.append(np.full(k, -np.inf))
        upper.append(np.zeros(k))
    matrix = sp.vstack(blocks, format="csc")
    objective = np.concatenate([np.zeros(m), weight])
    col_upper = np.ones(m + n)
    integer = np.concatenate([np.ones(m, dtype=bool), np.zeros(n, dtype=bool)])
    return objective, sp.csc_array(matrix), np.concatenate(lower), np.concatenate(upper), col_upper, integer


def _bundles(parent: IntArray, chosen: BoolArray, values: FloatArray) -> FloatArray:
    """``values`` summed over each candidate and its not-yet-chosen ancestors."""
    total = values.copy()
    up = parent.copy()
    live = np.flatnonzero(up >= 0)
    live = live[~chosen[up[live]]]
    while live.size:
        total[live] += values[up[live]]
        up[live] = parent[up[live]]
        live = live[up[live] >= 0]
        live = live[~chosen[up[live]]]
    return total


def _ancestors(parent: IntArray, chosen: BoolArray, j: int) -> list[int]:
    chain = [j]
    while parent[chain[-1]] >= 0 and not chosen[parent[chain[-1]]]:
        chain.append(int(parent[chain[-1]]))
    return chain[::-1]


def greedy_order(
    coverage: sp.csr_array,
    weight: FloatArray,
    cost: FloatArray,
    *,
    budget: float | None = None,
    max_sites: int | None = None,
    counted: BoolArray | None = None,
    parent: IntArray | None = None,
) -> IntArray:
    """Candidates in greedy order: repeatedly the candidate (with its unbuilt ancestors,
    ancestors first) of highest newly covered weight per unit cost that still fits the
    budget and the site count; zero-cost candidates that gain anything go first. Stops
    when nothing that fits gains anything."""
    _n, m = coverage.shape
    counted = np.ones(m, dtype=bool) if counted is None else counted
    parent = np.full(m, -1, dtype=np.int64) if parent is None else parent
    csc = sp.csc_array(coverage)
    chosen = np.zeros(m, dtype=bool)
    order: list[int] = []
    open_weight = weight.astype(np.float64).copy()
    left_budget = math.inf if budget is None else float(budget)
    left_sites = math.inf if max_sites is None else float(max_sites)
    while True:
        gain = np.asarray(csc.T @ open_weight, dtype=np.float64)
        gain[chosen] = 0.0
        bundle_gain = _bundles(parent, chosen, gain)
        bundle_cost = _bundles(parent, chosen, np.where(chosen, 0.0, cost))
        bundle_sites = _bundles(parent, chosen, np.where(chosen, 0.0, counted.astype(float)))
        fits = (~chosen) & (bundle_gain > 0) & (bundle_cost <= left_budget + 1e-9)
        fits &= bundle_sites <= left_sites
        if not fits.any():
            break
        with np.errstate(divide="ignore"):
            ratio = np.where(bundle_cost > 0, bundle_gain / np.maximum(bundle_cost, 1e-300), np.inf)
        ratio = np.where(fits, ratio, -1.0)
        # Ties: the larger gain, then the lower index (stable answers).
        best = np.flatnonzero(ratio == ratio.max())
        j = int(best[np.argmax(bundle_gain[best])])
        for k in _ancestors(parent, chosen, j):
            chosen[k] = True
            order.append(k)
            left_budget -= float(cost[k])
            left_sites -= float(counted[k])
            rows = csc.indices[csc.indptr[k] : csc.indptr[k + 1]]
            open_weight[rows] = 0.0
    return np.array(order, dtype=np.int64)


def max_cover(
    coverage: CoverageLike,
    weight: FloatArray,
    cost: FloatArray,
    *,
    budget: float | None = None,
    max_sites: int | None = None,
    counted: BoolArray | None = None,
    parent: IntArray | None = None,
    solver: Solver = "highs",
    time_limit_s: float = 60.0,
) -> Selection:
    """Maximal covering: most covered weight within ``budget`` and ``max_sites``.

    Parameters
    ----------
    coverage
        Demand × candidate matrix; non-zero where the candidate covers the demand.
    weight
        Demand weights (population), non-negative.
    cost
        Candidate costs.
    budget
        Upper bound on the total cost of chosen candidates (None: unlimited).
    max_sites
        Upper bound on the number of chosen candidates flagged in ``counted``.
    counted
        Candidates that count against ``max_sites`` (default: all).
    parent
        Per candidate, the index of a candidate it requires (-1: none).
    solver
        ``highs`` (exact; greedy if HiGHS is missing or fails) or ``greedy``.
    time_limit_s
        HiGHS time limit; on expiry the better of its incumbent and greedy is returned
        with the gap to HiGHS's bound.
    """
    a = as_coverage(coverage)
    _n, m = a.shape
    w = np.asarray(weight, dtype=np.float64)
    c = np.asarray(cost, dtype=np.float64)
    _check(a, w, c)
    counted_arr = np.ones(m, dtype=bool) if counted is None else np.asarray(counted, dtype=bool)
    parent_arr = np.full(m, -1, dtype=np.int64) if parent is None else np.asarray(parent, dtype=np.int64)
    uncoverable = np.asarray(a.sum(axis=1) == 0, dtype=bool).ravel()

    greedy = np.sort(
        greedy_order(a, w, c, budget=budget, max_sites=max_sites, counted=counted_arr, parent=parent_arr)
    )
    greedy_obj = float(w[_covered(a, greedy)].sum())
    model = _max_cover_model(a, w, c, budget, max_sites, counted_arr, parent_arr)
    chosen, method, bound, status = greedy, "greedy", None, "greedy"
    if _highs_available():
        if solver == "highs":
            mip = _solve_highs(
                *model, maximise=True, relax=False, time_limit_s=time_limit_s, abs_gap=_abs_gap(w, 1.0)
            )
            if mip.x is not None:
                exact = np.flatnonzero(mip.x[:m] > 0.5).astype(np.int64)
                exact_obj = float(w[_covered(a, exact)].sum())
                bound, status = mip.bound, mip.status
                if exact_obj >= greedy_obj - _REL_TOL * max(1.0, greedy_obj):
                    chosen, method = exact, "highs"
        if bound is None:
            lp = _solve_highs(*model, maximise=True, relax=True, time_limit_s=time_limit_s)
            bound = lp.bound
            status = f"greedy (LP bound: {lp.status})" if method == "greedy" else status
    chosen = drop_redundant(a, chosen, c, parent_arr)
    covered = _covered(a, chosen)
    objective = float(w[covered].sum())
    return Selection(
        chosen=chosen,
        covered=covered,
        objective=objective,
        cost=float(c[chosen].sum()),
        method=method,
        bound=bound,
        gap=_gap(objective, bound, maximise=True),
        status=status,
        uncoverable=uncoverable,
    )


# -- set covering -------------------------------------------------------------------------------


def _reduce_set_cover(rows: sp.csr_array, cost: FloatArray) -> tuple[sp.csr_array, IntArray]:
    """Drop dominated demands and candidates of a set-covering matrix (every row coverable).

    A demand whose candidates include all candidates of another demand is covered
    whenever that other one is; a candidate whose demands are a subset of a no dearer
    candidate's can be swapped for it. Both rules keep the optimum. Returns the
    reduced matrix and the original indices of its columns.
    """
    length = np.asarray(rows.sum(axis=1), dtype=np.float64).ravel()
    overlap = sp.coo_array(rows @ rows.T)
    i, k, shared = overlap.row, overlap.col, overlap.data
    implied = (
        (i != k) & (shared == length[k]) & ((length[k] < length[i]) | ((length[k] == length[i]) & (k < i)))
    )
    keep_rows = np.ones(rows.shape[0], dtype=bool)
    keep_rows[np.unique(i[implied])] = False
    kept = sp.csr_array(rows[keep_rows])
    size = np.asarray(kept.sum(axis=0), dtype=np.float64).ravel()
    pairs = sp.coo_array(kept.T @ kept)
    a, b, shared = pairs.row, pairs.col, pairs.data
    better = (cost[b] < cost[a]) | (
        (cost[b] == cost[a]) & ((size[b] > size[a]) | ((size[b] == size[a]) & (b < a)))
    )
    dominated = (a != b) & (shared == size[a]) & better
    keep_cols = size > 0
    keep_cols[np.unique(a[dominated])] = False
    columns = np.flatnonzero(keep_cols).astype(np.int64)
    return sp.csr_array(kept[:, columns]), columns


def drop_redundant(
    coverage: sp.csr_array, chosen: IntArray, cost: FloatArray, parent: IntArray | None = None
) -> IntArray:
    """``chosen`` without the candidates whose every demand another chosen one covers too.

    Costliest first, so the covered demands stay the same and the cost only falls; a
    candidate that a chosen one depends on (``parent``) stays. An exact maximal-covering
    answer may contain such candidates (cost is not in its objective), the greedy set
    cover too (a later pick covers an earlier one's demands).
    """
    csc = sp.csc_array(coverage)
    keep = np.zeros(coverage.shape[1], dtype=bool)
    keep[chosen] = True
    needed = np.zeros(coverage.shape[1], dtype=bool)
    if parent is not None:
        needed[parent[chosen][parent[chosen] >= 0]] = True
    times = np.asarray(csc[:, chosen].sum(axis=1), dtype=np.float64).ravel()
    for j in chosen[np.argsort(-cost[chosen], kind="stable")]:
        rows = csc.indices[csc.indptr[j] : csc.indptr[j + 1]]
        if not needed[j] and rows.size and (times[rows] >= 2).all():
            keep[j] = False
            times[rows] -= 1
    return np.flatnonzero(keep).astype(np.int64)


def greedy_set_cover(coverage: sp.csr_array, cost: FloatArray) -> IntArray:
    """Chvátal's greedy set cover (least cost per newly covered demand), then removal of
    candidates made redundant by later picks (costliest first)."""
    _n, m = coverage.shape
    csc = sp.csc_array(coverage)
    need = np.asarray(coverage.sum(axis=1) > 0, dtype=bool).ravel()
    open_rows = need.astype(np.float64)
    chosen = np.zeros(m, dtype=bool)
    while open_rows.any():
        gain = np.asarray(csc.T @ open_rows, dtype=np.float64)
        gain[chosen] = 0.0
        with np.errstate(divide="ignore", invalid="ignore"):
            price = np.where(gain > 0, cost / gain, np.inf)
        j = int(np.argmin(price))
        chosen[j] = True
        open_rows[csc.indices[csc.indptr[j] : csc.indptr[j + 1]]] = 0.0
    return drop_redundant(coverage, np.flatnonzero(chosen).astype(np.int64), cost)


def set_cover(
    coverage: CoverageLike,
    cost: FloatArray,
    *,
    solver: Solver = "highs",
    time_limit_s: float = 60.0,
) -> Selection:
    """Least-cost set of candidates covering every demand that some candidate covers.

    Demands no candidate covers are flagged in ``uncoverable``; the rest are all
    covered. See :func:`max_cover` for ``solver`` and ``time_limit_s``.
    """
    a = as_coverage(coverage)
    _n, _m = a.shape
    c = np.asarray(cost, dtype=np.float64)
    _check(a, None, c)
    uncoverable = np.asarray(a.sum(axis=1) == 0, dtype=bool).ravel()
    rows, columns = _reduce_set_cover(sp.csr_array(a[~uncoverable]), c)
    greedy = greedy_set_cover(a, c)
    chosen, method, bound, status = greedy, "greedy", None, "greedy"
    scale = float(c.max(initial=0.0)) or 1.0
    model = (
        c[columns] / scale,
        sp.csc_array(rows),
        np.ones(rows.shape[0]),
        np.full(rows.shape[0], np.inf),
        np.ones(columns.size),
        np.ones(columns.size, dtype=bool),
    )
    if _highs_available() and rows.shape[0]:
        if solver == "highs":
            mip = _solve_highs(
                *model, maximise=False, relax=False, time_limit_s=time_limit_s, abs_gap=_abs_gap(c, scale)
            )
            if mip.x is not None and mip.bound is not None:
                exact = columns[mip.x > 0.5]
                bound, status = mip.bound * scale, mip.status
                if float(c[exact].sum()) <= float(c[greedy].sum()) + _REL_TOL * scale:
                    chosen, method = exact, "highs"
        if bound is None:
            lp = _solve_highs(*model, maximise=False, relax=True, time_limit_s=time_limit_s)
            bound = None if lp.bound is None else lp.bound * scale
            status = f"greedy (LP bound: {lp.status})"
    elif not rows.shape[0]:
        bound, status = 0.0, "nothing to cover"
    total = float(c[chosen].sum())
    return Selection(
        chosen=chosen,
        covered=_covered(a, chosen),
        objective=total,
        cost=total,
        method=method,
        bound=bound,
        gap=_gap(total, bound, maximise=False),
        status=status,
        uncoverable=uncoverable,
    )
