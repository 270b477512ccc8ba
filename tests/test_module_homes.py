"""The split modules keep their public names where callers import them from.

``coverage_gis.speed`` (a package, one module per rule) and ``coverage_gis.kpi`` (the
public face of the ``kpi_*`` modules) re-export what each module owns; this checks that
every name callers import from them is there, is the object its home module defines, and
is listed in ``__all__`` (so ``mypy --strict`` sees it as exported).
"""

from __future__ import annotations

import importlib

import pytest

HOMES = {
    "coverage_gis.speed": {
        "coverage_gis.speed._rows": ["ALL", "INSUFFICIENT"],
        "coverage_gis.speed.stats": [
            "bootstrap_interval",
            "grouped_weighted_median",
            "sorted_group_medians",
            "value_order",
            "weighted_median",
            "weighted_statistic",
        ],
        "coverage_gis.speed.matching": ["TestMatch", "match_tests"],
        "coverage_gis.speed.measures": [
            "SPEED_MEASURES",
            "MeasuredValue",
            "SpeedMeasure",
            "SpeedTarget",
            "devices_per_group",
            "measured_value",
            "speed_targets",
            "tests_per_row",
        ],
        "coverage_gis.speed.units": ["UNIT_SPEED_COLUMNS", "unit_speeds"],
        "coverage_gis.speed.villages": [
            "TARGET_SHARE_COLUMNS",
            "VILLAGE_SPEED_COLUMNS",
            "target_shares",
            "village_speeds",
        ],
        "coverage_gis.speed.report": ["SpeedReport", "speed_kpis"],
        "coverage_gis.measurement_settings": ["SpeedSettings"],
    },
    "coverage_gis.kpi": {
        "coverage_gis.kpi_arrays": [
            "DEFAULT_5G_CATEGORIES",
            "KpiColumns",
            "commissioned_in_period",
            "kpi_columns",
            "site_kpi_columns",
        ],
        "coverage_gis.kpi_table": [
            "KPI_COLUMNS",
            "KPI_COUNT_COLUMNS",
            "compute_kpis",
            "kpi_rows",
            "unit_sums",
        ],
        "coverage_gis.kpi_splice": ["KpiSplice", "kpi_positions", "overwrite_kpi_rows", "splice_kpi_rows"],
        "coverage_gis.kpi": ["operator_kpis", "partial_notes", "pois_5g_pct", "require_unit"],
    },
}


@pytest.mark.parametrize("facade", sorted(HOMES))
def test_public_names_stay_importable_from_the_facade(facade: str) -> None:
    module = importlib.import_module(facade)
    listed = set(module.__all__)
    for home, names in HOMES[facade].items():
        owner = importlib.import_module(home)
        for name in names:
            assert getattr(module, name) is getattr(owner, name), f"{facade}.{name}"
            assert name in listed, f"{name} missing from {facade}.__all__"
    assert listed == {name for names in HOMES[facade].values() for name in names}
