"""Every village counts once in every hierarchy, on the real boundaries.

One synthetic village at a point inside every commune and inside every part of a split
commune (so split communes are exercised), for each of the five seed provinces and for
all 11,161 named communes of Vietnam: each village gets exactly one unit of every level, and
villages and people add up to the same totals at every level.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from coverage_gis.admin import LEVEL_COLUMNS, LEVELS, unit_population_2009
from coverage_gis.boundaries import PROVINCES, Boundaries, load_boundaries
from coverage_gis.kpi import compute_kpis
from coverage_gis.kpi_inputs import LEVEL_COLUMNS_FLAT, KpiInputs, site_rows, village_rows

_NO_SITES = gpd.GeoDataFrame(
    {"site_id": [], "status": [], "commissioned": []}, geometry=gpd.GeoSeries([], crs="EPSG:4326")
)


def _villages(boundaries: Boundaries) -> gpd.GeoDataFrame:
    """A village at a point inside each commune, and one inside each part of a split commune."""
    communes, parts = boundaries.communes, boundaries.parts
    ids = np.concatenate(
        [
            communes["census_commune_id"].to_numpy(dtype=object),
            parts["census_commune_id"].to_numpy(dtype=object),
        ]
    )
    points = np.concatenate(
        [
            shapely.point_on_surface(communes.geometry.to_numpy()),
            shapely.point_on_surface(parts.geometry.to_numpy()),
        ]
    )
    return gpd.GeoDataFrame(
        {
            "village_id": [f"V{i}" for i in range(len(ids))],
            "census_commune_id": ids,
            "population": np.arange(len(ids)) % 97 + 1,
            "households": np.arange(len(ids)) % 23 + 1,
        },
        geometry=points,
        crs="EPSG:4326",
    )


def _inputs(boundaries: Boundaries, villages: gpd.GeoDataFrame) -> KpiInputs:
    coverage = pd.DataFrame(
        {
            "village_id": villages["village_id"],
            "mobile_bb": True,
            "has_4g": True,
            "has_5g": False,
            "ftth": False,
            "operators": "Viettel",
            "ftth_operators": "",
        }
    )
    empty = pd.DataFrame(columns=[*LEVEL_COLUMNS_FLAT, "category", "kind", "download_mbps"])
    return KpiInputs(
        villages=village_rows(villages, coverage, boundaries.communes, boundaries.parts),
        sites=site_rows(_NO_SITES, pd.DataFrame(), boundaries.communes, boundaries.parts),
        pois=empty,
        speed_tests=empty,
        units=unit_population_2009(boundaries.communes, boundaries.parts),
    )


def _check_equal_totals(boundaries: Boundaries) -> pd.DataFrame:
    villages = _villages(boundaries)
    inputs = _inputs(boundaries, villages)
    for level in LEVELS:
        codes = inputs.villages[LEVEL_COLUMNS[level][0]]
        assert codes.notna().all(), f"{level}: {int(codes.isna().sum())} villages without a unit"
    kpis = compute_kpis(inputs)
    totals = kpis.groupby("level")[["villages", "population", "households", "pop_2009"]].sum()
    assert totals.loc[list(LEVELS), "villages"].tolist() == [len(villages)] * len(LEVELS)
    assert set(totals["population"]) == {int(villages["population"].sum())}
    assert set(totals["households"]) == {int(villages["households"].sum())}
    assert set(totals["pop_2009"]) == {int(boundaries.communes["pop_2009"].sum())}
    return kpis


@pytest.mark.parametrize("slug", list(PROVINCES))
def test_each_seed_province_counts_every_village_once_in_every_hierarchy(slug: str) -> None:
    boundaries = load_boundaries([slug])
    kpis = _check_equal_totals(boundaries)
    # Its 2025 province holds 2009 population beyond this province unless it stayed whole.
    new = kpis[kpis["level"] == "province_2025"]
    assert len(new) == 1
    whole = slug == "thua-thien-hue"  # Huế became a province of its own
    assert new["partial"].tolist() == [not whole]
    assert (new["pop_2009_present_pct"] <= 100.0).all()


def test_every_commune_of_vietnam_counts_once_in_every_hierarchy() -> None:
    boundaries = load_boundaries(national=True)
    communes = boundaries.communes
    assert len(communes) == 11_161  # of 11,163 census units: two have neither a name nor people
    assert communes["new_commune_code"].notna().all()
    assert communes["new_province_code"].nunique() == 34
    # The parts of a split commune cover it: their shares add up to one (tiny slivers aside).
    shares = boundaries.parts.groupby("census_commune_id")["area_share"].sum()
    assert np.allclose(shares.to_numpy(), 1.0, atol=1e-3)
    kpis = _check_equal_totals(boundaries)
    # Nationally every 2025 unit is whole.
    assert not kpis.loc[kpis["level"].isin(["province_2025", "commune_2025"]), "partial"].any()
    whole_pop = communes.drop_duplicates("new_province_code")["new_province_pop_2009"].sum()
    assert whole_pop == communes["pop_2009"].sum() == 77_501_046
