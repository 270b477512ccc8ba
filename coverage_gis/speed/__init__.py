"""Measured speed: speed tests matched to villages and admin units, speed KPIs, plan speed targets.

Owns the measured-speed definitions (``docs/architecture.md``, measurements):

- **Which tests describe a village**: single measurements within ``radius_m`` of its
  centre, and the aggregated tile (``quadkey``) containing its centre
  (:func:`match_tests`). A test near two villages describes both.
- **Which tests describe a unit** (commune, district, province, in either hierarchy):
  the tests located in it (their admin codes from :mod:`coverage_gis.kpi_inputs`), so
  every test counts once per hierarchy.
- **Statistics**: medians weighted by the number of tests a row stands for (a tile row
  of 40 tests weighs 40), with the usual midpoint rule, so unweighted data give
  ``numpy.median``; a percentile-bootstrap confidence interval that resamples rows
  (tiles are clusters of tests); devices are summed over tiles and counted once per
  ``device_id`` for single measurements.
- **Minimum samples**: a unit statistic needs ``min_tests`` tests, a village median
  ``min_village_tests``, a share of villages ``min_villages`` villages with data;
  below them the value is withheld and the status is ``insufficient_data``.
- **Plan speed targets**: which KPI ids of ``data/plans`` are measured and how
  (:data:`SPEED_MEASURES`); the share of villages and of population whose median meets
  each target.

Settings live in ``workspace.yaml`` under ``speed`` (:class:`SpeedSettings`, shaped by
:mod:`coverage_gis.measurement_settings`).

The rules live in one module each: :mod:`~coverage_gis.speed.stats` (weighted statistics),
:mod:`~coverage_gis.speed.matching` (tests to villages), :mod:`~coverage_gis.speed.measures`
(plan measures and targets, test weights and devices), :mod:`~coverage_gis.speed.units`
(unit KPIs), :mod:`~coverage_gis.speed.villages` (village medians and target shares) and
:mod:`~coverage_gis.speed.report` (:func:`speed_kpis`); their public names are importable
from here.
"""

from coverage_gis.measurement_settings import SpeedSettings
from coverage_gis.speed._rows import ALL, INSUFFICIENT
from coverage_gis.speed.matching import TestMatch, match_tests
from coverage_gis.speed.measures import (
    SPEED_MEASURES,
    MeasuredValue,
    SpeedMeasure,
    SpeedTarget,
    devices_per_group,
    measured_value,
    speed_targets,
    tests_per_row,
)
from coverage_gis.speed.report import SpeedReport, speed_kpis
from coverage_gis.speed.stats import (
    bootstrap_interval,
    grouped_weighted_median,
    sorted_group_medians,
    value_order,
    weighted_median,
    weighted_statistic,
)
from coverage_gis.speed.units import UNIT_SPEED_COLUMNS, unit_speeds
from coverage_gis.speed.villages import (
    TARGET_SHARE_COLUMNS,
    VILLAGE_SPEED_COLUMNS,
    target_shares,
    village_speeds,
)

__all__ = [
    "ALL",
    "INSUFFICIENT",
    "SPEED_MEASURES",
    "TARGET_SHARE_COLUMNS",
    "UNIT_SPEED_COLUMNS",
    "VILLAGE_SPEED_COLUMNS",
    "MeasuredValue",
    "SpeedMeasure",
    "SpeedReport",
    "SpeedSettings",
    "SpeedTarget",
    "TestMatch",
    "bootstrap_interval",
    "devices_per_group",
    "grouped_weighted_median",
    "match_tests",
    "measured_value",
    "sorted_group_medians",
    "speed_kpis",
    "speed_targets",
    "target_shares",
    "tests_per_row",
    "unit_speeds",
    "value_order",
    "village_speeds",
    "weighted_median",
    "weighted_statistic",
]
