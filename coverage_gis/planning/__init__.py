"""Gap-closing planner: where the next sites and fiber go, in what order, at what cost.

One module per step, array cores with thin adapters (docs/architecture.md, layering):

- :mod:`.siting` — maximal covering and set covering on sparse arrays (HiGHS, greedy
  fallback with its optimality gap);
- :mod:`.candidates` — candidate sites, their coverage from the workspace's model,
  power need and cost;
- :mod:`.fiber` / :mod:`.fiber_plan` — least-cost fiber along roads sharing trunks
  (Steiner heuristic on a CSR road graph), straight-line fallback;
- :mod:`.phasing` — build order by population gained per VND and the KPI curve;
- :mod:`.make` — :func:`make_plan`: the steps wired together for one workspace;
- :mod:`.plan` — the :class:`Plan` result (tables, site edits, fiber layers) and
  :class:`PlanOptions`;
- :mod:`.whatif` — the plan applied to a scratch copy through the normal edit paths;
- :mod:`.export` — GeoJSON/CSV/JSON files of a plan.
"""

from __future__ import annotations

from coverage_gis.planning.candidates import SiteDesign
from coverage_gis.planning.export import write_plan
from coverage_gis.planning.make import make_plan
from coverage_gis.planning.plan import NEEDS_BACKHAUL, Plan, PlanOptions, PlanProgress
from coverage_gis.planning.whatif import WhatIf, what_if

__all__ = [
    "NEEDS_BACKHAUL",
    "Plan",
    "PlanOptions",
    "PlanProgress",
    "SiteDesign",
    "WhatIf",
    "make_plan",
    "what_if",
    "write_plan",
]
