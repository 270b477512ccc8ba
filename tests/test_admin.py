"""Admin units of features (coverage_gis.admin): the data's commune first, else the polygon."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
from shapely.geometry import box

from coverage_gis.admin import LEVEL_COLUMNS, admin_columns, commune_key

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
