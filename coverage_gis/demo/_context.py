"""What every demo generator needs to know about one province.

Owns the per-province frame of reference the generators share: the real communes
(with their centres, clutter class, area and upland index), the district towns and the
provincial capital, the province's metric CRS and its seeded random streams. Built
once per province by :func:`build_context`.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import shapely
from numpy.typing import NDArray

from coverage_gis._strings import str_array
from coverage_gis.boundaries import Province
from coverage_gis.crs import lonlat_to_metric, metric_crs_for_lon, metric_to_lonlat
from coverage_gis.demo._rng import stream
from coverage_gis.demo.terrain import Relief
from coverage_gis.models.base import BoolArray, FloatArray, IntArray

ObjArray = NDArray[np.object_]

#: District holding each province's capital (by name: some 2009 units lack a code).
CAPITAL_DISTRICT: dict[str, str] = {
    "52": "Thành phố Quy Nhơn",
    "60": "Thành phố Phan Thiết",
    "70": "Thị xã Đồng Xoài",
    "46": "Thành phố Huế",
    "24": "Thành phố Bắc Giang",
}


@dataclass(frozen=True)
class Density:
    """How densely the demo settles and equips a province.

    ``people_per_village``: one village per this many inhabitants (2009 census);
    ``site_factor``: multiplies the base masts per commune (population and rural area);
    ``single_layer``: each operator on a base mast runs one technology (mostly 4G)
    rather than a stack of 2G, 3G and 4G, about three cells a site.
    """

    people_per_village: float
    site_factor: float
    single_layer: bool = False


#: The seed provinces' density: Bình Định's 2025 plan status is built on it.
SEED_DENSITY = Density(people_per_village=1450.0, site_factor=1.0)
#: All of Vietnam at the scale of the Ministry's counts: about 100,000 thôn and
#: 120,000 BTS sites carrying 350,000 cells for 77.5 million people (2009 census of
#: the shipped communes).
NATIONAL_DENSITY = Density(people_per_village=800.0, site_factor=3.0, single_layer=True)


@dataclass(frozen=True)
class ProvinceContext:
    """The real geography of one province, in the forms the generators use.

    Arrays are aligned with the rows of ``communes`` (index 0…n-1).
    """

    province: Province
    seed: int
    metric_crs: str
    communes: gpd.GeoDataFrame
    geometry: ObjArray
    union: shapely.Geometry
    centre_lon: FloatArray
    centre_lat: FloatArray
    centre_x: FloatArray
    centre_y: FloatArray
    environment: NDArray[np.str_]
    area_km2: FloatArray
    upland: FloatArray
    district_codes: tuple[str, ...]
    district_of: IntArray
    town_of_district: IntArray
    capital: int
    relief: Relief
    density: Density = SEED_DENSITY

    @property
    def code(self) -> str:
        return self.province.code

    def __len__(self) -> int:
        return len(self.communes)

    def rng(self, concern: str) -> np.random.Generator:
        """The seeded stream of one concern (see :mod:`coverage_gis.demo._rng`)."""
        return stream(self.seed, self.code, concern)

    def to_metric(self, lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
        return lonlat_to_metric(
            np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64), self.metric_crs
        )

    def to_lonlat(self, x_m: FloatArray, y_m: FloatArray) -> tuple[FloatArray, FloatArray]:
        return metric_to_lonlat(
            np.asarray(x_m, dtype=np.float64), np.asarray(y_m, dtype=np.float64), self.metric_crs
        )

    def locate(self, lon: FloatArray, lat: FloatArray) -> IntArray:
        """Index of the commune containing each point, -1 outside the province."""
        lon = np.asarray(lon, dtype=np.float64)
        out = np.full(lon.shape, -1, dtype=np.int64)
        if lon.size == 0:
            return out
        points = shapely.points(lon, np.asarray(lat, dtype=np.float64))
        point_idx, commune_idx = shapely.STRtree(self.geometry).query(points, predicate="within")
        # A point on a shared border matches two communes: keep the lower index, reproducibly.
        order = np.lexsort((commune_idx, point_idx))
        point_idx, commune_idx = point_idx[order], commune_idx[order]
        first = np.ones(point_idx.size, dtype=bool)
        first[1:] = point_idx[1:] != point_idx[:-1]
        out[point_idx[first]] = commune_idx[first]
        return out

    def owned_by(self, commune: int, lon: FloatArray, lat: FloatArray) -> BoolArray:
        """Whether each point lies inside ``commune`` and inside no other commune.

        The census outlines overlap a little along some borders; a village placed in an
        overlap would belong to two communes by its position.
        """
        lon = np.asarray(lon, dtype=np.float64)
        lat = np.asarray(lat, dtype=np.float64)
        own = np.asarray(shapely.contains_xy(self.geometry[commune], lon, lat), dtype=np.bool_)
        if not own.any():
            return own
        points = shapely.points(lon[own], lat[own])
        point_idx, commune_idx = shapely.STRtree(self.geometry).query(points, predicate="intersects")
        shared = np.unique(point_idx[commune_idx != commune])
        keep = np.flatnonzero(own)
        own[keep[shared]] = False
        return own

    def inside(self, lon: FloatArray, lat: FloatArray) -> BoolArray:
        """Whether each point lies inside the province."""
        return np.asarray(
            shapely.contains_xy(
                self.union, np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)
            ),
            dtype=np.bool_,
        )


def _centres(geoms: ObjArray) -> tuple[FloatArray, FloatArray]:
    centroids = shapely.centroid(geoms)
    inside = shapely.contains(geoms, centroids)
    # Concave communes (river bends, coastal strips) can have their centroid outside.
    centres = np.where(inside, centroids, shapely.point_on_surface(geoms))
    return shapely.get_x(centres).astype(np.float64), shapely.get_y(centres).astype(np.float64)


def _district_towns(communes: gpd.GeoDataFrame, district_of: IntArray, n_districts: int) -> IntArray:
    """The commune holding each district's seat.

    A huyện's seat is its thị trấn (the most populous one when there are two); a city or
    town (thành phố / thị xã) is centred on its most populous phường.
    """
    env = str_array(communes["environment"])
    pop = communes["pop_2009"].to_numpy(dtype=np.float64)
    district_names = str_array(communes["district_name"].fillna(""))
    is_city = np.char.startswith(district_names, "Thành phố") | np.char.startswith(district_names, "Thị xã")
    preferred = np.where(is_city, env == "urban", env == "suburban")
    fallback = env != "rural"
    score = pop + np.where(preferred, 1e9, 0.0) + np.where(fallback, 1e8, 0.0)
    towns = np.zeros(n_districts, dtype=np.int64)
    for d in range(n_districts):
        members = np.flatnonzero(district_of == d)
        towns[d] = members[np.argmax(score[members])]
    return towns


def build_context(
    province: Province, communes: gpd.GeoDataFrame, *, seed: int, density: Density = SEED_DENSITY
) -> ProvinceContext:
    """The context of ``province`` from its communes (as :func:`load_communes` gives them)."""
    frame = communes[communes["province_code"] == province.code]
    frame = frame.reset_index(drop=True)
    geoms = frame.geometry.to_numpy()
    shapely.prepare(geoms)
    union = shapely.union_all(geoms)
    shapely.prepare(union)
    lon, lat = _centres(geoms)
    metric_crs = metric_crs_for_lon(float(shapely.centroid(union).x))
    x_m, y_m = lonlat_to_metric(lon, lat, metric_crs)
    area_km2 = np.asarray(frame.geometry.to_crs(metric_crs).area, dtype=np.float64) / 1e6
    bounds = tuple(float(v) for v in shapely.bounds(union))
    relief = Relief.for_province(
        province, (bounds[0], bounds[1], bounds[2], bounds[3]), stream(seed, province.code, "relief")
    )
    district_codes = tuple(sorted(frame["district_code"].astype(str).unique()))
    lookup = {code: i for i, code in enumerate(district_codes)}
    district_of = np.array([lookup[c] for c in frame["district_code"].astype(str)], dtype=np.int64)
    towns = _district_towns(frame, district_of, len(district_codes))
    capital_name = CAPITAL_DISTRICT.get(province.code)
    capital_members = np.flatnonzero(frame["district_name"].to_numpy(dtype=object) == capital_name)
    if capital_members.size:
        capital = int(towns[district_of[capital_members[0]]])
    else:
        capital = int(
            towns[
                np.argmax([frame["pop_2009"].to_numpy()[district_of == d].sum() for d in range(len(towns))])
            ]
        )
    return ProvinceContext(
        province=province,
        seed=seed,
        metric_crs=metric_crs,
        communes=frame,
        geometry=geoms,
        union=union,
        centre_lon=lon,
        centre_lat=lat,
        centre_x=x_m,
        centre_y=y_m,
        environment=str_array(frame["environment"]),
        area_km2=area_km2,
        upland=relief.upland(lon, lat),
        district_codes=district_codes,
        district_of=district_of,
        town_of_district=towns,
        capital=capital,
        relief=relief,
        density=density,
    )
