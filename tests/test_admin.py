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
