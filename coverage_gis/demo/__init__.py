"""Reproducible demo data: a synthetic network on the real communes.

There is no public data on Vietnamese villages, BTS sites or fiber, so the toolkit
ships a seeded generator. The commune boundaries and their 2009 census population are
real (:mod:`coverage_gis.boundaries`); everything else — villages, sites and cells of
the four operators, fiber routes and nodes, roads, priority places, 5G zones and the
terrain — is synthetic and labelled so (``source = "synthetic"``, ``synthetic: true``
in ``workspace.yaml``). The same seed gives byte-identical layers.

Bình Định reproduces its 2025 plan's 2024 status through the ordinary coverage
computation: under the default radius model only làng O2 (xã Vĩnh Kim) lacks mobile
broadband, and only the eight villages the plan names lack FTTH
(:mod:`coverage_gis.demo.binh_dinh`). Every other province gets a few gaps of its own.

Writing a demo workspace also adds synthetic speed tests drawn from the network
(:mod:`coverage_gis.demo.measurements`, ``source = "synthetic"``, seeded like the rest),
with a few villages of Bình Định (else of the provinces built) whose tests find no
service although the model covers them, so that the challenge list has something to
show. Measurements change no coverage: only a planner's accepted challenge does.

Public entry points: :func:`generate` (in memory, :mod:`coverage_gis.demo.generation`),
:func:`build_demo` and :func:`build_demo_workspace` (a workspace folder with
``workspace.gpkg``, ``dem.tif`` and ``roads.osm``, :mod:`coverage_gis.demo.build`).
"""

from __future__ import annotations

from coverage_gis.boundaries import ALL_VIETNAM
from coverage_gis.demo._site_network import DemoGenerationError
from coverage_gis.demo.build import (
    DISAGREEMENTS,
    FIXED_TIMESTAMP,
    WRITE_STEPS,
    BuiltDemo,
    build_demo,
    build_demo_workspace,
    check_target,
    write_demo_workspace,
)
from coverage_gis.demo.generation import (
    DEFAULT_SEED,
    PROVINCE_SLUGS,
    DemoData,
    ProgressCallback,
    ProvinceSummary,
    generate,
)

__all__ = [
    "ALL_VIETNAM",
    "DEFAULT_SEED",
    "DISAGREEMENTS",
    "FIXED_TIMESTAMP",
    "PROVINCE_SLUGS",
    "WRITE_STEPS",
    "BuiltDemo",
    "DemoData",
    "DemoGenerationError",
    "ProgressCallback",
    "ProvinceSummary",
    "build_demo",
    "build_demo_workspace",
    "check_target",
    "generate",
    "write_demo_workspace",
]
