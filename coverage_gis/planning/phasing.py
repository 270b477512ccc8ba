"""Phasing: the order in which a plan's actions are built and the KPI curve it traces.

Owns the ordering rule — population gained per VND, greedily, an action together with
the actions it depends on (a fiber branch after the branch it hangs from) — and the
curve of KPIs against cumulative cost, with an optional year per action when an annual
budget is given. Works on arrays: actions × demands coverage, demand weights, costs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from coverage_gis.models.base import BoolArray, FloatArray, IntArray
from coverage_gis.planning.siting import greedy_order


@dataclass(frozen=True)
class Phasing:
    """Action order and, per step, what the demands gained.

    Attributes
    ----------
    order
        Action indices in build order (every action given appears once).
    gained
        Per step, the demand indices first covered by that action.
    """

    order: IntArray
    gained: tuple[IntArray, ...]


def phase(coverage: sp.csr_array, weight: FloatArray, cost: FloatArray, parent: IntArray) -> Phasing:
    """Order actions by weight gained per cost (ancestors first); actions that gain nothing
    once the others are built come last, cheapest first."""
    csc = sp.csc_array(coverage)
    order = list(greedy_order(csc.tocsr(), weight, cost, parent=parent))
    rest = [j for j in np.argsort(cost, kind="stable") if j not in set(order)]
    # A zero-gain action still needs its ancestors before it.
    placed = set(order)
    for j in rest:
        chain = [int(j)]
        while parent[chain[-1]] >= 0 and int(parent[chain[-1]]) not in placed:
            chain.append(int(parent[chain[-1]]))
        for k in chain[::-1]:
            if k not in placed:
                order.append(k)
                placed.add(k)
    covered = np.zeros(coverage.shape[0], dtype=bool)
    gained = []
    for j in order:
        rows = csc.indices[csc.indptr[j] : csc.indptr[j + 1]]
        new = rows[~covered[rows]]
        covered[new] = True
        gained.append(new.astype(np.int64))
    return Phasing(np.array(order, dtype=np.int64), tuple(gained))


def years(cumulative_cost_vnd: FloatArray, annual_budget_vnd: float | None) -> np.ndarray:
    """Year (1, 2, …) in which each action completes when ``annual_budget_vnd`` is spent a year."""
    if not annual_budget_vnd or annual_budget_vnd <= 0:
        return np.full(len(cumulative_cost_vnd), pd.NA, dtype=object)
    return np.array(
        [max(1, math.ceil(c / annual_budget_vnd - 1e-9)) for c in cumulative_cost_vnd], dtype=object
    )


def kpi_curve(
    phasing: Phasing,
    cost: FloatArray,
    *,
    demand_kind: np.ndarray,
    demand_population: FloatArray,
    villages_total: int,
    villages_covered: dict[str, int],
    population_covered: dict[str, float],
    population_total: float,
) -> pd.DataFrame:
    """KPIs after each step (step 0: today) against cumulative cost.

    ``demand_kind`` names each demand's KPI (``mobile`` or ``ftth``); the counts
    ``villages_covered``/``population_covered`` are today's, per kind.
    """
    kinds = ("mobile", "ftth")
    villages = {k: [villages_covered.get(k, 0)] for k in kinds}
    population = {k: [population_covered.get(k, 0.0)] for k in kinds}
    spent = [0.0]
    for j, rows in zip(phasing.order, phasing.gained, strict=True):
        spent.append(spent[-1] + float(cost[j]))
        for k in kinds:
            mask: BoolArray = demand_kind[rows] == k
            villages[k].append(villages[k][-1] + int(mask.sum()))
            population[k].append(population[k][-1] + float(demand_population[rows][mask].sum()))
    total = max(villages_total, 1)
    people = max(population_total, 1.0)
    return pd.DataFrame(
        {
            "step": np.arange(len(spent)),
            "cumulative_cost_vnd": spent,
            "villages_mobile": villages["mobile"],
            "villages_mobile_pct": np.array(villages["mobile"]) / total * 100.0,
            "villages_ftth": villages["ftth"],
            "villages_ftth_pct": np.array(villages["ftth"]) / total * 100.0,
            "population_mobile_pct": np.array(population["mobile"]) / people * 100.0,
            "population_ftth_pct": np.array(population["ftth"]) / people * 100.0,
        }
    )
