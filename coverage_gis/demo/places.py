"""Priority places (POIs) and declared 5G zones of the demo.

Owns the ``pois`` layer — a district centre at each district town, a commune office
(UBND) at each commune centre, a district hospital and upper-secondary school near
each district town, and the province's real landmarks in the plans' 5G categories
(airports, seaports, stations, industrial zones, hospitals, universities, tourist
areas; real names, approximate coordinates) — and the ``zones_5g`` layer: an on-air
Viettel zone around each district-town 5G site and a VNPT trial zone in the capital.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import shapely

from coverage_gis.crs import STORAGE_CRS
from coverage_gis.demo._context import ProvinceContext
from coverage_gis.demo.sites import SiteSet
from coverage_gis.models.base import FloatArray


@dataclass(frozen=True)
class RealPlace:
    """A named landmark; coordinates are approximate (to a few hundred metres)."""

    name: str
    category: str
    lon: float
    lat: float


REAL_PLACES: dict[str, tuple[RealPlace, ...]] = {
    "52": (
        RealPlace("Cảng hàng không Phù Cát", "airport", 109.042, 13.955),
        RealPlace("Cảng Quy Nhơn", "seaport", 109.241, 13.766),
        RealPlace("Ga Diêu Trì", "station", 109.137, 13.799),
        RealPlace("Ga Quy Nhơn", "station", 109.214, 13.778),
        RealPlace("Khu công nghiệp Phú Tài", "industrial_zone", 109.148, 13.835),
        RealPlace("Khu công nghiệp Nhơn Hòa", "industrial_zone", 109.035, 13.868),
        RealPlace("Khu kinh tế Nhơn Hội", "industrial_zone", 109.265, 13.875),
        RealPlace("Khu đô thị khoa học Quy Hòa", "high_tech_park", 109.216, 13.725),
        RealPlace("Bệnh viện Đa khoa tỉnh Bình Định", "hospital", 109.221, 13.778),
        RealPlace("Trường Đại học Quy Nhơn", "school", 109.218, 13.759),
    ),
    "46": (
        RealPlace("Cảng hàng không quốc tế Phú Bài", "airport", 107.703, 16.401),
        RealPlace("Cảng Chân Mây", "seaport", 108.005, 16.325),
        RealPlace("Ga Huế", "station", 107.578, 16.456),
        RealPlace("Khu công nghiệp Phú Bài", "industrial_zone", 107.716, 16.396),
        RealPlace("Khu công nghiệp Phong Điền", "industrial_zone", 107.355, 16.560),
        RealPlace("Bệnh viện Trung ương Huế", "hospital", 107.588, 16.462),
        RealPlace("Đại học Huế", "school", 107.592, 16.459),
    ),
    "60": (
        RealPlace("Cảng Phan Thiết", "seaport", 108.105, 10.920),
        RealPlace("Cảng Vĩnh Tân", "seaport", 108.800, 11.318),
        RealPlace("Ga Bình Thuận", "station", 108.030, 10.998),
        RealPlace("Khu công nghiệp Phan Thiết", "industrial_zone", 108.070, 10.960),
        RealPlace("Khu công nghiệp Hàm Kiệm", "industrial_zone", 108.010, 10.965),
        RealPlace("Bệnh viện Đa khoa tỉnh Bình Thuận", "hospital", 108.092, 10.940),
        RealPlace("Khu du lịch Mũi Né", "tourist_area", 108.290, 10.950),
    ),
    "70": (
        RealPlace("Khu công nghiệp Đồng Xoài I", "industrial_zone", 106.870, 11.550),
        RealPlace("Khu công nghiệp Minh Hưng – Hàn Quốc", "industrial_zone", 106.620, 11.600),
        RealPlace("Khu công nghiệp Becamex – Bình Phước", "industrial_zone", 106.670, 11.400),
        RealPlace("Bệnh viện Đa khoa tỉnh Bình Phước", "hospital", 106.887, 11.535),
        RealPlace("Khu du lịch núi Bà Rá", "tourist_area", 106.985, 11.830),
        RealPlace("Trảng cỏ Bù Lạch", "tourist_area", 107.060, 12.020),
    ),
    "24": (
        RealPlace("Khu công nghiệp Đình Trám", "industrial_zone", 106.060, 21.256),
        RealPlace("Khu công nghiệp Quang Châu", "industrial_zone", 106.050, 21.220),
        RealPlace("Khu công nghiệp Song Khê – Nội Hoàng", "industrial_zone", 106.170, 21.240),
        RealPlace("Ga Bắc Giang", "station", 106.190, 21.275),
        RealPlace("Bệnh viện Đa khoa tỉnh Bắc Giang", "hospital", 106.200, 21.280),
    ),
}


def _lower_first(name: str) -> str:
    """``Huyện An Lão`` → ``huyện An Lão`` (as the unit word reads inside a phrase)."""
    return name[:1].lower() + name[1:] if name else name


def _short_district(name: str) -> str:
    for prefix in ("Thành phố ", "Thị xã ", "Huyện "):
        if name.startswith(prefix):
            return name[len(prefix) :]
    return name


def _irregular_disc(rng: np.random.Generator, x: float, y: float, radius_m: float) -> FloatArray:
    angles = np.linspace(0.0, 2.0 * math.pi, 24, endpoint=False)
    r = radius_m * rng.uniform(0.8, 1.2, angles.size)
    ring = np.column_stack([x + r * np.sin(angles), y + r * np.cos(angles)])
    return np.vstack([ring, ring[:1]])


def generate_places(ctx: ProvinceContext, site_set: SiteSet) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """The ``pois`` and ``zones_5g`` frames of one province."""
    rng = ctx.rng("places")
    communes = ctx.communes
    names: list[str] = []
    categories: list[str] = []
    xs: list[float] = []
    ys: list[float] = []

    def add(name: str, category: str, x: float, y: float) -> None:
        names.append(name)
        categories.append(category)
        xs.append(x)
        ys.append(y)

    district_names = communes["district_name"].to_numpy(dtype=object)
    for c in ctx.town_of_district:
        district = str(district_names[c])
        add(f"Trung tâm {_lower_first(district)}", "district_centre", ctx.centre_x[c], ctx.centre_y[c])
        for label, category in (
            (f"Trung tâm Y tế {_lower_first(district)}", "hospital"),
            (f"Trường THPT {_short_district(district)}", "school"),
        ):
            ang, dist = rng.uniform(0.0, 2.0 * math.pi), rng.uniform(400.0, 1200.0)
            add(
                label,
                category,
                ctx.centre_x[c] + dist * math.sin(ang),
                ctx.centre_y[c] + dist * math.cos(ang),
            )
    for place in REAL_PLACES.get(ctx.code, ()):
        x, y = ctx.to_metric(np.array([place.lon]), np.array([place.lat]))
        add(place.name, place.category, float(x[0]), float(y[0]))
    commune_names = communes["commune_name"].to_numpy(dtype=object)
    for c in range(len(ctx)):
        add(f"UBND {_lower_first(str(commune_names[c]))}", "commune_office", ctx.centre_x[c], ctx.centre_y[c])

    lon, lat = ctx.to_lonlat(np.array(xs), np.array(ys))
    points = np.asarray(shapely.points(lon, lat), dtype=object)
    located = ctx.locate(lon, lat)
    # Landmarks on the shore or just across a coarse 2009 border belong to the nearest commune.
    outside = np.flatnonzero(located < 0)
    if outside.size:
        _, nearest = shapely.STRtree(ctx.geometry).query_nearest(points[outside], all_matches=False)
        located[outside] = nearest
    codes = communes["commune_code"].to_numpy(dtype=object)
    census = communes["census_commune_id"].to_numpy(dtype=object)
    pois = gpd.GeoDataFrame(
        {
            "poi_id": [f"POI-{ctx.code}-{i + 1:04d}" for i in range(len(names))],
            "name": names,
            "category": categories,
            "commune_code": codes[located],
            "census_commune_id": census[located],
            "source": "synthetic",
        },
        geometry=points,
        crs=STORAGE_CRS,
    )

    zone_rows: list[dict[str, str]] = []
    rings: list[FloatArray] = []
    for d, row in enumerate(site_set.town_5g_site):
        if row < 0:
            continue
        c = ctx.town_of_district[d]
        radius = 1500.0 if ctx.environment[c] == "urban" else 1000.0
        rings.append(_irregular_disc(rng, site_set.x_m[row], site_set.y_m[row], radius))
        district = _short_district(str(district_names[c]))
        zone_rows.append(
            {"operator": "Viettel", "status": "on_air", "name": f"Vùng phủ 5G Viettel – {district}"}
        )
    c = ctx.capital
    rings.append(_irregular_disc(rng, ctx.centre_x[c], ctx.centre_y[c], 600.0))
    zone_rows.append(
        {
            "operator": "VNPT",
            "status": "on_air",
            "name": f"Thử nghiệm 5G VinaPhone – {_short_district(str(district_names[c]))}",
        }
    )
    polygons = []
    for ring in rings:
        rlon, rlat = ctx.to_lonlat(ring[:, 0], ring[:, 1])
        polygons.append(shapely.MultiPolygon([shapely.Polygon(np.column_stack([rlon, rlat]))]))
    zones = gpd.GeoDataFrame(
        [
            {"zone_id": f"Z5G-{ctx.code}-{i + 1:03d}", **row, "source": "synthetic"}
            for i, row in enumerate(zone_rows)
        ],
        geometry=polygons,
        crs=STORAGE_CRS,
    )
    return pois, zones
