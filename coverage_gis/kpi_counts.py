"""The per-unit sums KPI columns are counted from, and the columns counted from them.

Owns the additive half of the KPI rules (``docs/architecture.md``: KPIs): per unit,
how many villages, people, households, sites, operator BTS, priority places and speed
tests it holds and how many of them are covered, shared or 5G (:func:`row_sums`), and
the count and percentage columns made of those sums (:func:`sum_columns`, through
:func:`pct_array`). :mod:`coverage_gis.kpi` computes every unit's sums from its rows;
:mod:`coverage_gis.kpi_sums` keeps them between live edits and moves them by the rows
an edit changes. Both make their columns here, so both give the same numbers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from coverage_gis.kpi import KpiColumns


def pct_array(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """``100 · numerator / denominator``, NaN where the denominator is not positive."""
    out = np.full(len(numerator), np.nan)
    ok = denominator > 0
    out[ok] = 100.0 * numerator[ok] / denominator[ok]
    return out


#: One term of a per-unit sum: the sum, the input frame whose rows it counts (``v``,
#: ``s``, ``p``, ``t``) and what each row adds (None: one).
Term = tuple[str, str, np.ndarray | None]


def row_terms(c: KpiColumns) -> list[Term]:
    """What each row of ``c`` adds to each per-unit sum (:func:`row_sums` adds them up).

    A sum with several terms (``rows``: every input row) adds them in this order.
    """
    shared, in_period, operators = c.shared, c.in_period, c.n_operators
    centre, priority = c.centre, c.priority
    return [
        ("villages", "v", None),
        ("villages_bb", "v", c.mobile.astype(float)),
        ("villages_ftth", "v", c.ftth.astype(float)),
        ("population", "v", c.population),
        ("population_bb", "v", c.population * c.mobile),
        ("households", "v", c.households),
        ("households_ftth", "v", c.households * c.ftth),
        ("villages_4g", "v", c.has_4g.astype(float)),
        ("villages_5g", "v", c.has_5g.astype(float)),
        ("inferred", "v", c.inferred_2025.astype(float)),
        ("sites", "s", None),
        ("shared_sites", "s", shared.astype(float)),
        ("sites_period", "s", in_period.astype(float)),
        ("shared_period", "s", (in_period & shared).astype(float)),
        ("sites_5g", "s", c.site_5g.astype(float)),
        ("bts", "s", operators),
        ("bts_shared", "s", operators * shared),
        ("bts_period", "s", operators * in_period),
        ("bts_shared_period", "s", operators * (in_period & shared)),
        ("centres", "p", centre.astype(float)),
        ("centres_bb", "p", (centre & c.poi_mobile).astype(float)),
        ("centres_ftth", "p", (centre & c.poi_ftth).astype(float)),
        ("priority_pois", "p", priority.astype(float)),
        ("priority_5g", "p", (priority & c.poi_5g).astype(float)),
        ("tests", "t", c.test_weight),
        # Every input row of the unit: a unit is in the KPI table while this is positive.
        ("rows", "v", None),
        ("rows", "s", None),
        ("rows", "p", None),
        ("rows", "t", None),
    ]


def row_sums(
    c: KpiColumns, idx: Mapping[str, np.ndarray], selected: Mapping[str, np.ndarray], n: int
) -> dict[str, np.ndarray]:
    """Per unit, the sums :func:`sum_columns` reads: the :func:`row_terms` of the
    ``selected`` rows of each frame added up by unit (``idx``: the unit of each selected
    row; floats: counts and integer weights sum exactly)."""
    terms = row_terms(c)
    return add_terms(terms, term_sums(terms, idx, selected, n))


def term_sums(
    terms: Sequence[Term], idx: Mapping[str, np.ndarray], selected: Mapping[str, np.ndarray] | None, n: int
) -> list[np.ndarray]:
    """Each term added up over the ``selected`` rows of its frame (None: every row) into
    ``n`` groups (``idx``: the group of each selected row)."""
    totals = []
    for _name, key, weights in terms:
        if n:
            chosen = weights if weights is None or selected is None else weights[selected[key]]
            totals.append(np.asarray(np.bincount(idx[key], weights=chosen, minlength=n)[:n], dtype=float))
        else:
            totals.append(np.zeros(0))
    return totals


def add_terms(terms: Sequence[Term], totals: Sequence[np.ndarray]) -> dict[str, np.ndarray]:
    """The sums by name: the totals of a sum's terms added in :func:`row_terms` order."""
    sums: dict[str, np.ndarray] = {}
    for (name, _key, _weights), total in zip(terms, totals, strict=True):
        sums[name] = sums[name] + total if name in sums else total
    return sums


def sum_columns(sums: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The KPI columns counted from per-unit sums (:func:`unit_sums`): counts and percentages."""

    def as_int(values: np.ndarray) -> np.ndarray:
        return np.asarray(np.rint(values), dtype=np.int64)

    s = sums
    return {
        "villages": as_int(s["villages"]),
        "villages_mobile_bb": as_int(s["villages_bb"]),
        "villages_mobile_bb_pct": pct_array(s["villages_bb"], s["villages"]),
        "villages_4g_pct": pct_array(s["villages_4g"], s["villages"]),
        "villages_5g_pct": pct_array(s["villages_5g"], s["villages"]),
        "villages_ftth": as_int(s["villages_ftth"]),
        "villages_ftth_pct": pct_array(s["villages_ftth"], s["villages"]),
        "population": as_int(s["population"]),
        "population_mobile_bb_pct": pct_array(s["population_bb"], s["population"]),
        "households": as_int(s["households"]),
        "households_ftth_pct": pct_array(s["households_ftth"], s["households"]),
        "sites": as_int(s["sites"]),
        "shared_sites": as_int(s["shared_sites"]),
        "sites_shared_pct": pct_array(s["shared_sites"], s["sites"]),
        "sites_period": as_int(s["sites_period"]),
        "sites_shared_period_pct": pct_array(s["shared_period"], s["sites_period"]),
        "sites_5g": as_int(s["sites_5g"]),
        "commune_centres": as_int(s["centres"]),
        "commune_centres_mobile_bb_pct": pct_array(s["centres_bb"], s["centres"]),
        "commune_centres_ftth_pct": pct_array(s["centres_ftth"], s["centres"]),
        "priority_pois": as_int(s["priority_pois"]),
        "pois_5g_pct": pct_array(s["priority_5g"], s["priority_pois"]),
        "speed_tests": as_int(s["tests"]),
        "operator_bts": as_int(s["bts"]),
        "operator_bts_shared_pct": pct_array(s["bts_shared"], s["bts"]),
        "operator_bts_shared_period_pct": pct_array(s["bts_shared_period"], s["bts_period"]),
        "villages_2025_inferred": as_int(s["inferred"]),
    }
