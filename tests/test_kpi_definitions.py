"""What each KPI measures, on a hand-computed fixture: village vs population vs household
shares, site sharing per site vs per operator BTS, inferred 2025 placements and partial units.

Four villages of one commune (pre-2025 province 99; 2025 province 98, which also holds
people elsewhere):

| village | people | households | mobile | FTTH | 2025 method |
|---|---|---|---|---|---|
| V1 | 100 | 20 | yes | yes | crosswalk |
| V2 | 300 | 100 | no | no | split_nearest |
| V3 | 50 | 10 | yes | no | spatial_uncoded |
| V4 | 50 | 70 | yes | yes | crosswalk |

Village share (mobile) 3/4 = 75 %; population share 200/500 = 40 %; households passed
by FTTH 90/200 = 45 %; villages passed by FTTH 2/4 = 50 %. Two villages were placed by
an inferred rule.

Three on-air sites: A carries Viettel, VNPT and MobiFone (shared), B and C one operator
each. Per site 1/3 shared; per operator BTS 3 of 5 stand on a shared site (60 %). In the
plan period (A, B): per site 1/2, per operator BTS 3/4.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from coverage_gis.kpi import (
    KPI_COLUMNS,
    KPI_COUNT_COLUMNS,
    compute_kpis,
    partial_notes,
)
from coverage_gis.kpi_inputs import LEVEL_COLUMNS_FLAT, KpiInputs
from coverage_gis.kpi_labels import KPI_LABELS, KPI_LABELS_VI, kpi_labels, labelled_headers

ADMIN = {
    "province_code": "99",
    "province_name": "Tỉnh Mẫu",
    "district_code": "999",
    "district_name": "Huyện Mẫu",
    "commune_key": "99901",
    "commune_name": "Xã Mẫu",
    "new_province_code": "98",
    "new_province_name": "Tỉnh Mới",
    "new_commune_code": "98001",
    "new_commune_name": "Xã Mới",
}


def inputs() -> KpiInputs:
    villages = pd.DataFrame(
        {
            **{k: [v] * 4 for k, v in ADMIN.items()},
            "village_id": ["V1", "V2", "V3", "V4"],
            "population": [100.0, 300.0, 50.0, 50.0],
            "households": [20.0, 100.0, 10.0, 70.0],
            "mobile_bb": [True, False, True, True],
            "has_4g": [True, False, True, True],
            "has_5g": [False] * 4,
            "ftth": [True, False, False, True],
            "operators": ["Viettel", "", "VNPT", "Viettel"],
            "ftth_operators": ["VNPT", "", "", "VNPT"],
            "admin_2025_method": ["crosswalk", "split_nearest", "spatial_uncoded", "crosswalk"],
        }
    )
    sites = pd.DataFrame(
        {
            **{k: [v] * 3 for k, v in ADMIN.items()},
            "site_id": ["A", "B", "C"],
            "n_operators": [3, 1, 1],
            "shared": [True, False, False],
            "has_5g": [False] * 3,
            "commissioned": ["2024-01-01", "2024-06-01", "2019-01-01"],
        }
    )
    empty = pd.DataFrame(columns=[*LEVEL_COLUMNS_FLAT, "category", "kind", "download_mbps"])
    units = pd.DataFrame(
        {
            "level": ["province", "district", "commune", "province_2025", "commune_2025"],
            "code": ["99", "999", "99901", "98", "98001"],
            "pop_2009": [500] * 5,
            "pop_2009_total": pd.array([pd.NA, pd.NA, pd.NA, 2000, 500], dtype="Int64"),
        }
    )
    return KpiInputs(villages=villages, sites=sites, pois=empty, speed_tests=empty, units=units)


@pytest.fixture(scope="module")
def kpis() -> pd.DataFrame:
    period = (date(2023, 1, 1), date(2025, 12, 31))
    return compute_kpis(inputs(), period=period).set_index("level")


def test_village_population_and_household_shares_differ(kpis: pd.DataFrame) -> None:
    row = kpis.loc["province"]
    assert row["villages_mobile_bb_pct"] == pytest.approx(75.0)
    assert row["population_mobile_bb_pct"] == pytest.approx(40.0)
    assert row["villages_ftth_pct"] == pytest.approx(50.0)
    assert row["households_ftth_pct"] == pytest.approx(45.0)


def test_site_sharing_per_site_and_per_operator_bts(kpis: pd.DataFrame) -> None:
    row = kpis.loc["province"]
    assert (row["sites"], row["shared_sites"], row["operator_bts"]) == (3, 1, 5)
    assert row["sites_shared_pct"] == pytest.approx(100 / 3)
    assert row["operator_bts_shared_pct"] == pytest.approx(60.0)
    assert row["sites_shared_period_pct"] == pytest.approx(50.0)
    assert row["operator_bts_shared_period_pct"] == pytest.approx(75.0)


def test_inferred_2025_placements_and_partial_units(kpis: pd.DataFrame) -> None:
    assert set(kpis["villages_2025_inferred"]) == {2}
    assert set(kpis["pop_2009"]) == {500}
    province = kpis.loc["province"]
    assert pd.isna(province["pop_2009_present_pct"])
    assert province["partial"] is None
    new = kpis.loc["province_2025"]
    assert new["pop_2009_present_pct"] == pytest.approx(25.0)
    assert new["partial"] is True
    commune = kpis.loc["commune_2025"]
    assert commune["pop_2009_present_pct"] == pytest.approx(100.0)
    assert commune["partial"] is False
    assert partial_notes(kpis.reset_index()) == [
        "Tỉnh Mới (province_2025 98) is partial: this workspace holds 25.0 % of its 2009 census population"
    ]


def test_every_kpi_column_says_what_it_measures() -> None:
    assert set(KPI_COLUMNS) | {"level", "code", "name"} == set(KPI_LABELS)
    assert set(KPI_COLUMNS) >= KPI_COUNT_COLUMNS
    assert "2009 census" in KPI_LABELS["population_mobile_bb_pct"]
    assert "households passed" in KPI_LABELS["households_ftth_pct"]
    assert "not subscriptions" in KPI_LABELS["households_ftth_pct"]
    assert "per site" in KPI_LABELS["sites_shared_pct"]
    assert "per operator BTS" in KPI_LABELS["operator_bts_shared_pct"]
    headers = labelled_headers(["level", "code", "name", "villages_mobile_bb_pct", "unknown"])
    assert headers[:3] == ["level", "code", "name"]
    assert headers[3] == f"villages_mobile_bb_pct: {KPI_LABELS['villages_mobile_bb_pct']}"
    assert headers[4] == "unknown"


def test_every_kpi_column_says_what_it_measures_in_vietnamese_too() -> None:
    assert set(KPI_LABELS_VI) == set(KPI_LABELS)
    assert kpi_labels("vi") is KPI_LABELS_VI
    assert kpi_labels("en") is KPI_LABELS
    assert "Tổng điều tra 2009" in KPI_LABELS_VI["population_mobile_bb_pct"]
    assert "không phải thuê bao" in KPI_LABELS_VI["households_ftth_pct"]
    assert "theo nhà trạm" in KPI_LABELS_VI["sites_shared_pct"]
    assert "theo BTS doanh nghiệp" in KPI_LABELS_VI["operator_bts_shared_pct"]
    assert KPI_LABELS_VI["fixed_download_mbps"].startswith("tốc độ tải xuống trung vị của các lần đo cố định")
    # No entry left in English: each differs from its English words.
    assert not [c for c in KPI_LABELS if KPI_LABELS_VI[c] == KPI_LABELS[c]]
