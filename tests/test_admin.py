"""Admin units of features (coverage_gis.admin): the data's commune first, else the polygon."""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import box

from coverage_gis.admin import (
    LEVEL_COLUMNS,
    LEVEL_POP_TOTALS,
    LEVELS,
    _units_by_groupby,
    _units_by_strings,
    admin_columns,
    commune_key,
    unit_population_2009,
)

from .conftest import at


def _communes() -> gpd.GeoDataFrame:
    west = box(at(-10_000, -5000).x, at(-10_000, -5000).y, at(0, 5000).x, at(0, 5000).y)
    east = box(at(0, -5000).x, at(0, -5000).y, at(10_000, 5000).x, at(10_000, 5000).y)
    return gpd.GeoDataFrame(
        {
            "census_commune_id": ["1001", "1002"],
            "commune_code": ["00001", ""],  # the east commune lost its code in a reorganisation
            "commune_name": ["Xã Tây", "Xã Đông"],
            "district_code": ["001", "001"],
            "district_name": ["Huyện Một", "Huyện Một"],
            "province_code": ["99", "99"],
            "province_name": ["Tỉnh Mẫu", "Tỉnh Mẫu"],
            "new_province_code": ["98", "98"],
            "new_province_name": ["Tỉnh Mới", "Tỉnh Mới"],
            "new_commune_code": ["90001", "90001"],
            "new_commune_name": ["Xã Mới", "Xã Mới"],
        },
        geometry=[west, east],
        crs="EPSG:4326",
    )


def test_commune_key_falls_back_to_the_census_id() -> None:
    assert list(commune_key(_communes())) == ["00001", "1002"]


def test_points_take_the_data_commune_then_the_polygon() -> None:
    points = gpd.GeoDataFrame(
        {"census_commune_id": [None, None, "1002", None, "9999"]},
        geometry=[at(-5000, 0), at(5000, 0), at(-5000, 0), at(50_000, 0), at(5000, 1000)],
        crs="EPSG:4326",
        index=[10, 11, 12, 13, 14],
    )
    admin = admin_columns(points, _communes())
    assert list(admin.index) == [10, 11, 12, 13, 14]  # aligned with the points
    # 12 lies in the west polygon but names the east commune: the data wins.
    # 13 lies outside every commune; 14 names an unknown commune and is placed by polygon.
    assert admin["commune_name"].tolist()[:3] == ["Xã Tây", "Xã Đông", "Xã Đông"]
    assert pd.isna(admin.loc[13, "commune_name"])
    assert admin.loc[14, "commune_name"] == "Xã Đông"
    assert admin["commune_key"].tolist()[:3] == ["00001", "1002", "1002"]
    code, name = LEVEL_COLUMNS["commune_2025"]
    assert (admin.loc[10, code], admin.loc[10, name]) == ("90001", "Xã Mới")


def test_no_points() -> None:
    empty = gpd.GeoDataFrame({"census_commune_id": []}, geometry=gpd.GeoSeries([], crs="EPSG:4326"))
    assert admin_columns(empty, _communes()).empty


def _parts() -> gpd.GeoDataFrame:
    """The east commune (1002) cut in two: west half to 2025 commune 90002, east half to 90003."""
    west = box(at(0, -5000).x, at(0, -5000).y, at(5000, 5000).x, at(5000, 5000).y)
    east = box(at(5000, -5000).x, at(5000, -5000).y, at(10_000, 5000).x, at(10_000, 5000).y)
    return gpd.GeoDataFrame(
        {
            "part_id": ["1002:90002", "1002:90003"],
            "census_commune_id": ["1002", "1002"],
            "new_province_code": ["98", "97"],
            "new_province_name": ["Tỉnh Mới", "Tỉnh Khác"],
            "new_commune_code": ["90002", "90003"],
            "new_commune_name": ["Xã Hai", "Xã Ba"],
            "admin_2025_method": ["split_nearest", "split_nearest"],
        },
        geometry=[west, east],
        crs="EPSG:4326",
    )


def test_points_of_a_split_commune_take_the_part_they_lie_in() -> None:
    communes = _communes().assign(admin_2025_method=["crosswalk", "split_nearest"])
    points = gpd.GeoDataFrame(
        {"census_commune_id": [None, None, "1002", "1001"]},
        # In the west commune; in the east commune's west part; named east but lying 20 km
        # east of it (nearest part: the east one); named west (whole commune: no parts).
        geometry=[at(-5000, 0), at(2000, 0), at(30_000, 0), at(8000, 0)],
        crs="EPSG:4326",
    )
    admin = admin_columns(points, communes, _parts())
    assert admin["new_commune_code"].tolist() == ["90001", "90002", "90003", "90001"]
    assert admin["new_province_code"].tolist() == ["98", "98", "97", "98"]
    assert admin["admin_2025_method"].tolist() == ["crosswalk", "split_nearest", "split_nearest", "crosswalk"]
    # The pre-2025 commune does not change.
    assert admin["commune_key"].tolist() == ["00001", "1002", "1002", "00001"]


def test_unit_populations_are_built_once_per_frames_and_each_call_gets_its_own() -> None:
    """Fails if a held table is handed out so that a caller's change reaches the next
    call, or if new frames of the same communes do not get their own (changed) table."""
    communes = _communes().assign(pop_2009=[100, 250], admin_2025_method=["crosswalk", "split_nearest"])
    parts = _parts().assign(new_commune_pop_2009=[40, 60])
    first = unit_population_2009(communes, parts)
    want = first.copy()
    first.loc[:, "pop_2009"] = -1
    pd.testing.assert_frame_equal(unit_population_2009(communes, parts), want)
    # Without the parts, the east commune is whole in its 2025 commune.
    whole = unit_population_2009(communes).set_index(["level", "code"])
    assert whole.loc[("commune_2025", "90001"), "pop_2009"] == 350
    # A new communes frame (an edit makes one) is not read from the old one's table.
    changed = unit_population_2009(communes.assign(pop_2009=[1, 2]), parts).set_index(["level", "code"])
    assert changed.loc[("province", "99"), "pop_2009"] == 3


_CODE = st.sampled_from(["01", "02", "10", "", "Đ1", None, np.nan])


@st.composite
def _unit_rows(draw: st.DrawFn, level: str) -> pd.DataFrame:
    """Rows of one level's units as :func:`unit_population_2009` reads them: codes
    (strings, missing, now and then a number) and whole-number populations (now and then
    floats, a missing total, or no total column)."""
    n = draw(st.integers(0, 8))
    code: list[Any] = [draw(_CODE) for _ in range(n)]
    if n and draw(st.integers(0, 9)) == 0:
        code[0] = 1
    frame = pd.DataFrame({LEVEL_COLUMNS[level][0]: pd.Series(code, dtype=object)})
    frame["pop_2009"] = np.array([draw(st.integers(0, 10**8)) for _ in range(n)], dtype=np.int64)
    total = LEVEL_POP_TOTALS.get(level)
    if total is not None and draw(st.integers(0, 9)):
        frame[total] = np.array([draw(st.integers(0, 10**9)) for _ in range(n)], dtype=np.int64)
        if n and draw(st.integers(0, 9)) == 0:
            frame[total] = frame[total].astype(float)
    if draw(st.booleans()):
        frame[LEVEL_COLUMNS[level][0]] = frame[LEVEL_COLUMNS[level][0]].astype("str")
    return frame


@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_units_summed_by_codes_equal_the_groupby(data: st.DataObject) -> None:
    """Fails if the units' populations added up by hashed codes differ from the grouped
    rows (order of the codes, sums, totals, dtypes), or if they are given where a code or
    a population is not what they read."""
    sources = [
        (level, [data.draw(_unit_rows(level)) for _ in range(data.draw(st.integers(1, 2)))])
        for level in LEVELS
    ]
    found = _units_by_strings(sources)
    want = _units_by_groupby(sources)
    if found is not None:
        pd.testing.assert_frame_equal(found, want, check_exact=True)
