"""The deliberate gaps of the synthetic network and the clearances that protect them.

Owns which villages the demo leaves without mobile broadband or FTTH, and why: Bình
Định's are named by its plan (see :mod:`coverage_gis.demo.binh_dinh`); every other
province gets 1–4 mobile gaps and 3–10 FTTH gaps drawn by its seeded stream among
remote rural villages, each mobile gap with a plausible cause (no grid power, no site
in range, a planned site not yet on air).

The clearances are what make a gap survive the network built around it: other
villages keep away from it, so that the sites and splitters serving them can be
placed out of its reach.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from coverage_gis.demo._context import ProvinceContext
from coverage_gis.models.base import FloatArray, IntArray

#: Other villages keep at least this far from a village without mobile broadband…
MOBILE_VILLAGE_CLEARANCE_M = 2500.0
#: …and from a village without FTTH (its neighbours' splitters sit at their centres).
FTTH_VILLAGE_CLEARANCE_M = 1200.0
#: Distance from every commune centre (the commune office gets a site and an OLT).
MOBILE_CENTRE_CLEARANCE_M = 3000.0
FTTH_CENTRE_CLEARANCE_M = 1500.0
#: A mobile gap keeps every on-air cell beyond this multiple of the cell's radius.
SITE_CLEARANCE_FACTOR = 1.12
#: Mobile gaps keep this far apart, so a planned site by one cannot reach another.
MOBILE_GAP_SPACING_M = 8000.0
#: A FTTH gap keeps on-air fiber nodes and access routes beyond this distance.
FIBER_CLEARANCE_M = 650.0

MOBILE_CAUSES: tuple[str, ...] = ("no_grid_power", "no_site_in_range", "planned_site_not_on_air")
_CAUSE_WEIGHTS = (0.45, 0.35, 0.20)


@dataclass(frozen=True)
class SpecialVillage:
    """A village placed before the others (Bình Định's named villages).

    Parameters
    ----------
    commune
        Row of its commune in the context.
    label
        Its label within the commune's naming style (``"O2"``, ``"1"``).
    lon, lat
        Its centre.
    has_grid_power
        False for a village off the grid.
    mobile_gap
        The cause when it must lack mobile broadband, else None.
    ftth_gap
        Whether it must lack FTTH.
    clearance_m
        Other villages keep at least this far.
    """

    commune: int
    label: str
    lon: float
    lat: float
    has_grid_power: bool
    mobile_gap: str | None
    ftth_gap: bool
    clearance_m: float


@dataclass(frozen=True)
class GapPlan:
    """Village rows that must stay uncovered: mobile (row → cause) and FTTH."""

    mobile: dict[int, str] = field(default_factory=dict)
    ftth: frozenset[int] = frozenset()

    def mobile_rows(self) -> IntArray:
        return np.array(sorted(self.mobile), dtype=np.int64)

    def ftth_rows(self) -> IntArray:
        return np.array(sorted(self.ftth), dtype=np.int64)

    def rows_with_cause(self, cause: str) -> IntArray:
        return np.array(sorted(r for r, c in self.mobile.items() if c == cause), dtype=np.int64)


def _nearest_other(x: FloatArray, y: FloatArray) -> FloatArray:
    if x.size < 2:
        return np.full(x.shape, np.inf)
    dist, _ = cKDTree(np.column_stack([x, y])).query(np.column_stack([x, y]), k=2)
    return np.asarray(dist, dtype=np.float64)[:, 1]


def _pick(
    eligible: NDArray[np.bool_],
    score: FloatArray,
    n: int,
    rng: np.random.Generator,
    taken: list[int],
    *,
    x_m: FloatArray,
    y_m: FloatArray,
    spacing_m: float = 0.0,
) -> list[int]:
    """Up to ``n`` rows drawn among the best-scored eligible ones, ``spacing_m`` apart
    from each other and from ``taken``."""
    rows = np.array([r for r in np.flatnonzero(eligible) if int(r) not in taken], dtype=np.int64)
    if rows.size == 0 or n <= 0:
        return []
    # Draw among the most remote villages, not always the single most remote ones.
    pool = rows[np.argsort(-score[rows], kind="stable")][: max(4 * n, 12)]
    chosen: list[int] = []
    for row in rng.permutation(pool):
        others = np.array([*taken, *chosen], dtype=np.int64)
        if others.size and np.min(np.hypot(x_m[others] - x_m[row], y_m[others] - y_m[row])) < spacing_m:
            continue
        chosen.append(int(row))
        if len(chosen) == n:
            break
    return sorted(chosen)


def choose_gaps(
    ctx: ProvinceContext,
    commune_of: IntArray,
    x_m: FloatArray,
    y_m: FloatArray,
    upland: FloatArray,
    population: IntArray,
) -> GapPlan:
    """Draw the deliberate gaps of a province without named ones.

    Candidates are villages of rural communes far from every commune centre and from
    the other villages; among them the more mountainous and remote are preferred.
    """
    rng = ctx.rng("gaps")
    n_mobile = int(rng.integers(1, 5))
    n_ftth = int(rng.integers(3, 11))
    rural = (ctx.environment[commune_of] == "rural") & (population > 0)
    d_centre, _ = cKDTree(np.column_stack([ctx.centre_x, ctx.centre_y])).query(
        np.column_stack([x_m, y_m]), k=1
    )
    d_other = _nearest_other(x_m, y_m)
    score = upland + 0.5 * np.minimum(d_centre / 8000.0, 1.0) + 0.2 * np.minimum(d_other / 5000.0, 1.0)

    mobile: list[int] = []
    relax = 1.0
    while len(mobile) < n_mobile and relax > 0.5:
        eligible = (
            rural
            & (d_centre >= MOBILE_CENTRE_CLEARANCE_M * relax)
            & (d_other >= MOBILE_VILLAGE_CLEARANCE_M * relax)
        )
        mobile += _pick(
            eligible,
            score,
            n_mobile - len(mobile),
            rng,
            mobile,
            x_m=x_m,
            y_m=y_m,
            spacing_m=MOBILE_GAP_SPACING_M,
        )
        relax *= 0.85
    causes = rng.choice(len(MOBILE_CAUSES), size=len(mobile), p=_CAUSE_WEIGHTS)
    plan_mobile = {row: MOBILE_CAUSES[int(c)] for row, c in zip(mobile, causes, strict=True)}

    # A village off the grid has no fiber either; the rest of the FTTH gaps are drawn.
    ftth = [row for row, cause in plan_mobile.items() if cause == "no_grid_power"]
    eligible = rural & (d_centre >= FTTH_CENTRE_CLEARANCE_M) & (d_other >= FTTH_VILLAGE_CLEARANCE_M)
    ftth += _pick(eligible, score, max(0, n_ftth - len(ftth)), rng, ftth + mobile, x_m=x_m, y_m=y_m)
    return GapPlan(mobile=plan_mobile, ftth=frozenset(ftth))
