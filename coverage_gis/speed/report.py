"""The speed report of a workspace (``docs/architecture.md``, measurements): unit KPIs,
village medians and target shares in one call for the CLI and the API.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

from coverage_gis.admin import LEVELS
from coverage_gis.errors import NotFound
from coverage_gis.measurement_settings import SpeedSettings
from coverage_gis.speed.matching import match_tests
from coverage_gis.speed.measures import speed_targets
from coverage_gis.speed.units import UNIT_SPEED_COLUMNS, unit_speeds
from coverage_gis.speed.villages import (
    TARGET_SHARE_COLUMNS,
    VILLAGE_SPEED_COLUMNS,
    target_shares,
    village_speeds,
)

if TYPE_CHECKING:
    from coverage_gis.engine import Analysis
    from coverage_gis.plans import Plan


@dataclass(frozen=True)
class SpeedReport:
    """Speed KPIs of a workspace.

    Attributes
    ----------
    units
        :func:`unit_speeds`: medians, intervals, tests and devices per unit.
    targets
        :func:`target_shares`: share of villages and population meeting each plan target.
    villages
        :func:`village_speeds`: each village's median per target.
    settings
        The settings used.
    """

    units: pd.DataFrame
    targets: pd.DataFrame
    villages: pd.DataFrame
    settings: SpeedSettings


def speed_kpis(
    analysis: Analysis,
    *,
    levels: Sequence[str] = LEVELS,
    plan: Plan | None = None,
    settings: SpeedSettings | None = None,
) -> SpeedReport:
    """Speed KPIs of an analysed workspace (the thin call for the CLI and the API).

    Parameters
    ----------
    analysis
        From :func:`coverage_gis.engine.load`.
    levels
        Admin levels of the unit rows.
    plan
        The plan whose speed targets are checked; the workspace's plan when None (no
        targets when the workspace has none).
    settings
        The workspace's ``speed`` settings when None.
    """
    settings = settings or analysis.ws.config.speed_settings
    if plan is None:
        try:
            plan = analysis.plan()
        except NotFound:
            plan = None
    targets = speed_targets(plan) if plan is not None else ()
    tests = analysis.layers.speed_tests
    villages = analysis.layers.villages
    if not len(tests):
        empty = pd.DataFrame()
        return SpeedReport(
            pd.DataFrame(columns=list(UNIT_SPEED_COLUMNS)),
            pd.DataFrame(columns=list(TARGET_SHARE_COLUMNS)),
            empty.reindex(columns=list(VILLAGE_SPEED_COLUMNS)),
            settings,
        )
    match = match_tests(villages, tests, metric_crs=analysis.metric_crs, radius_m=settings.radius_m)
    speeds = village_speeds(villages, tests, match, targets, settings=settings)
    return SpeedReport(
        units=unit_speeds(analysis.inputs.speed_tests, levels=levels, settings=settings),
        targets=target_shares(analysis.inputs.villages, speeds, levels=levels, settings=settings),
        villages=speeds,
        settings=settings,
    )
