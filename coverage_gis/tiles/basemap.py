"""The offline basemap's vector layers, made from the workspace's own data.

Owns what the web map draws for geographic context without any outside source:

- ``roads``: the ways of ``<ws>/roads.osm`` (:func:`coverage_gis.io.osm.read_road_ways`)
  with their OSM ``highway`` value, a ``road_class`` (``major`` / ``minor``, from
  ``layers/map_style.yaml``) and name;
- ``districts``: the communes dissolved by district (outlines, the district filter's
  highlight and extent);
- ``places``: one label point per district and per commune (``kind``, ``name``,
  ``code``), placed inside the polygon (``representative_point``), so a label never
  falls in a neighbour.

The hillshade is a raster (:mod:`coverage_gis.tiles.hillshade`); village labels come
from the ``villages`` tile layer itself. The frames are plain GeoDataFrames in EPSG:4326;
:mod:`coverage_gis.tiles.vector` cuts them into tiles like the workspace layers.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray

from coverage_gis.crs import STORAGE_CRS
from coverage_gis.io.osm import read_road_ways
from coverage_gis.tiles.map_style import map_style

if TYPE_CHECKING:
    from coverage_gis.engine import Analysis

#: Basemap tile layers (drawing order is the style's business).
BASEMAP_LAYERS: tuple[str, ...] = ("roads", "districts", "places")
#: Geometry kind of each basemap layer, as the tile cutter names them.
BASEMAP_KINDS: dict[str, str] = {"roads": "LineString", "districts": "Polygon", "places": "Point"}
#: Attribute → description of each basemap layer (TileJSON ``fields``).
BASEMAP_FIELDS: dict[str, dict[str, str]] = {
    "roads": {
        "way_id": "OSM way id",
        "highway": "OSM highway=* value",
        "road_class": "major / minor (layers/map_style.yaml roads.major)",
        "name": "road name (may be empty)",
    },
    "districts": {"district_code": "GSO district code", "district_name": "district"},
    "places": {
        "kind": "district / commune",
        "code": "GSO code (commune: census id where the code is empty)",
        "name": "name with its unit (Huyện …, Xã …)",
        "district_code": "GSO district code",
    },
}
#: Attribute each basemap layer's features are keyed by.
BASEMAP_ID_FIELDS: dict[str, str] = {"roads": "way_id", "districts": "district_code", "places": "code"}


def road_class(highway: pd.Series, major: Iterable[str]) -> NDArray[np.object_]:
    """``major`` where the OSM ``highway`` value is one of ``major``, else ``minor``."""
    wanted = {str(v) for v in major}
    return np.where(highway.astype(str).isin(wanted), "major", "minor").astype(object)


def roads_frame(analysis: Analysis, *, major: Iterable[str]) -> gpd.GeoDataFrame:
    """The workspace's roads (empty frame when it has no ``roads.osm``)."""
    path = analysis.ws.roads_path
    if path is None:
        return gpd.GeoDataFrame(
            {"way_id": [], "highway": [], "road_class": [], "name": []},
            geometry=gpd.GeoSeries([], crs=STORAGE_CRS),
            crs=STORAGE_CRS,
        )
    ways = read_road_ways(path)
    ways.insert(2, "road_class", road_class(ways["highway"], major))
    return ways


def districts_frame(analysis: Analysis) -> gpd.GeoDataFrame:
    """The communes dissolved by district: ``district_code``, ``district_name``, geometry."""
    communes = analysis.layers.communes
    columns = ["district_code", "district_name"]
    if not len(communes):
        return gpd.GeoDataFrame(
            {c: [] for c in columns}, geometry=gpd.GeoSeries([], crs=STORAGE_CRS), crs=STORAGE_CRS
        )
    frame = communes[[*columns, "geometry"]].copy()
    frame["district_code"] = frame["district_code"].astype(str)
    # Snapping to ~1 cm heals the slivers between neighbouring communes before the union.
    frame["geometry"] = shapely.set_precision(frame.geometry.to_numpy(), 1e-7)
    dissolved = frame.dissolve(by="district_code", as_index=False, aggfunc="first")
    return gpd.GeoDataFrame(dissolved[[*columns, "geometry"]], geometry="geometry", crs=STORAGE_CRS)


def places_frame(analysis: Analysis, districts: gpd.GeoDataFrame | None = None) -> gpd.GeoDataFrame:
    """Label points of the districts and communes (``kind``, ``code``, ``name``, ``district_code``)."""
    communes = analysis.layers.communes
    districts = districts_frame(analysis) if districts is None else districts
    commune_code = communes["commune_code"].astype(object)
    code = commune_code.where(
        commune_code.notna() & (commune_code.astype(str) != ""), communes["census_commune_id"]
    )
    parts = [
        pd.DataFrame(
            {
                "kind": "district",
                "code": districts["district_code"].astype(str).to_numpy(dtype=object),
                "name": districts["district_name"].astype(str).to_numpy(dtype=object),
                "district_code": districts["district_code"].astype(str).to_numpy(dtype=object),
                "geometry": shapely.point_on_surface(districts.geometry.to_numpy()),
            }
        ),
        pd.DataFrame(
            {
                "kind": "commune",
                "code": code.astype(str).to_numpy(dtype=object),
                "name": communes["commune_name"].astype(str).to_numpy(dtype=object),
                "district_code": communes["district_code"].astype(str).to_numpy(dtype=object),
                "geometry": shapely.point_on_surface(communes.geometry.to_numpy()),
            }
        ),
    ]
    frame = pd.concat(parts, ignore_index=True)
    return gpd.GeoDataFrame(frame, geometry="geometry", crs=STORAGE_CRS)


def basemap_frame(analysis: Analysis, layer: str) -> gpd.GeoDataFrame:
    """The features of one basemap layer (EPSG:4326); ``KeyError`` for another name."""
    if layer == "roads":
        return roads_frame(analysis, major=map_style().roads.major)
    if layer == "districts":
        return districts_frame(analysis)
    if layer == "places":
        return places_frame(analysis)
    raise KeyError(layer)
