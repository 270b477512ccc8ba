"""The offline basemap and overlays on the tiny workspace: roads, districts, labels, hillshade,
FTTH gap routes, and the web routes that serve them (glyphs, /docs, GeoJSON)."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import mapbox_vector_tile
import numpy as np
import pandas as pd
import pytest
import rasterio
import shapely
from affine import Affine
from fastapi.testclient import TestClient

from coverage_gis.engine import Analysis, compute
from coverage_gis.gap_routes import ftth_gap_routes
from coverage_gis.io.osm import read_road_ways
from coverage_gis.tiles.basemap import districts_frame, places_frame, road_class
from coverage_gis.tiles.glyphs import decode_glyphs
from coverage_gis.tiles.hillshade import HillshadeRenderer, colour_shade, shade, vertical_exaggeration
from coverage_gis.tiles.map_style import map_style
from coverage_gis.tiles.mercator import tile_for_lonlat
from coverage_gis.tiles.service import TileService
from coverage_gis.tiles.style import build_style
from coverage_gis.workspace import Workspace

from .conftest import ORIGIN_LONLAT, at, tiny_layers

#: Road from the FTTH gap village V2 (6 km east of the origin) west to the backbone at x = 3 km,
#: where a splice closure (the node J1 at (3000, 100)) makes the backbone a place to tap.
ROAD_M = [(6000.0, 100.0), (4500.0, 100.0), (3050.0, 100.0)]
SPLICE_M = (3000.0, 100.0)


def _osm(path: Path) -> Path:
    nodes = "".join(
        f'<node id="{i + 1}" lat="{p.y:.9f}" lon="{p.x:.9f}"/>'
        for i, p in enumerate(at(*xy) for xy in ROAD_M)
    )
    way = (
        '<way id="10"><nd ref="1"/><nd ref="2"/><nd ref="3"/>'
        '<tag k="highway" v="primary"/><tag k="name" v="Quốc lộ 19"/></way>'
        '<way id="11"><nd ref="1"/><nd ref="2"/><tag k="waterway" v="river"/></way>'
    )
    path.write_text(f'<?xml version="1.0"?><osm version="0.6">{nodes}{way}</osm>', encoding="utf-8")
    return path


def _dem(path: Path, slope: float) -> Path:
    """Heights rising east by ``slope`` m per m around the origin (EPSG:4326 grid, 0.001°)."""
    lon0, lat0 = ORIGIN_LONLAT
    step = 0.001
    cols = rows = 200
    west, north = lon0 - cols * step / 2, lat0 + rows * step / 2
    metres_per_deg = 111_320.0 * math.cos(math.radians(lat0))
    lon = west + (np.arange(cols) + 0.5) * step
    heights = np.tile((lon - west) * metres_per_deg * slope, (rows, 1)).astype(np.float32)
    profile = {
        "driver": "GTiff",
        "width": cols,
        "height": rows,
        "count": 1,
        "dtype": "float32",
        "crs": "EPSG:4326",
        "transform": Affine(step, 0, west, 0, -step, north),
    }
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(heights, 1)
    return path


@pytest.fixture
def analysis(tiny_ws: Workspace) -> Analysis:
    layers = tiny_layers()
    nodes = layers["fiber_nodes"]
    splice = gpd.GeoDataFrame(
        {"node_id": ["J1"], "operator": ["VNPT"], "kind": ["splitter"], "status": ["on_air"]},
        geometry=[at(*SPLICE_M)],
        crs=nodes.crs,
    )
    tiny_ws.write_layers({"fiber_nodes": pd.concat([nodes, splice], ignore_index=True)}, source="splice")
    _osm(tiny_ws.path / "roads.osm")
    _dem(tiny_ws.path / "dem.tif", slope=0.05)
    return compute(tiny_ws)


def test_road_ways_are_read_as_lines(tmp_path: Path) -> None:
    ways = read_road_ways(_osm(tmp_path / "roads.osm"))
    assert ways["way_id"].tolist() == ["10"]  # the river is not a road
    assert ways["highway"].tolist() == ["primary"]
    assert ways["name"].tolist() == ["Quốc lộ 19"]
    assert len(ways.geometry.iloc[0].coords) == 3


def test_road_classes() -> None:
    import pandas as pd

    found = road_class(pd.Series(["primary", "track", "secondary"]), ["primary", "secondary"])
    assert found.tolist() == ["major", "minor", "major"]


def test_districts_and_place_labels(analysis: Analysis) -> None:
    districts = districts_frame(analysis)
    assert districts["district_code"].tolist() == ["999"]
    assert districts["district_name"].tolist() == ["Huyện Mẫu"]
    places = places_frame(analysis, districts)
    assert sorted(places["kind"]) == ["commune", "district"]
    assert set(places["name"]) == {"Huyện Mẫu", "Xã Thử Nghiệm"}
    commune = analysis.layers.communes.geometry.iloc[0]
    assert all(commune.contains(p) for p in places.geometry)


def test_basemap_vector_tiles(analysis: Analysis) -> None:
    service = TileService()
    z = 12
    middle = at(4500, 100)  # a node of the road
    roads = mapbox_vector_tile.decode(
        service.vector_tile(analysis, 1, "roads", z, *tile_for_lonlat(middle.x, middle.y, z)).data
    )
    [feature] = roads["roads"]["features"]
    assert feature["properties"]["road_class"] == "major"
    assert feature["properties"]["name"] == "Quốc lộ 19"
    places = mapbox_vector_tile.decode(
        service.vector_tile(analysis, 1, "places", 6, *tile_for_lonlat(*ORIGIN_LONLAT, 6)).data
    )
    assert {f["properties"]["kind"] for f in places["places"]["features"]} == {"district", "commune"}


def test_shade_of_a_plane_by_hand() -> None:
    heights = np.tile(np.arange(5, dtype=np.float64) * 10.0, (5, 1))  # rises 10 m per 10 m column east
    # Lit from the west at 45°: the slope faces the light squarely (normal ∥ light).
    lit = shade(heights, 10.0, 10.0, azimuth_deg=270.0, altitude_deg=45.0)
    assert lit.shape == (3, 3)
    assert lit == pytest.approx(np.ones((3, 3)))
    # From the east the light grazes along it (angle 90° from the normal).
    assert shade(heights, 10.0, 10.0, azimuth_deg=90.0, altitude_deg=45.0) == pytest.approx(np.zeros((3, 3)))
    # Flat ground gets sin(altitude).
    flat = shade(np.zeros((4, 4)), 10.0, 10.0, azimuth_deg=315.0, altitude_deg=30.0)
    assert flat == pytest.approx(np.full((2, 2), 0.5))


def test_shade_colours() -> None:
    style = map_style().hillshade
    flat = math.sin(math.radians(style.altitude_deg))
    rgba = colour_shade(np.array([[flat, 0.0, 1.0, np.nan]]), style)
    assert rgba[3, 0, 0] == 0  # flat ground: transparent
    assert rgba[3, 0, 1] == round(style.opacity * 255)  # full shadow
    assert tuple(rgba[:3, 0, 1]) == tuple(int(style.shadow[i : i + 2], 16) for i in (1, 3, 5))
    assert tuple(rgba[:3, 0, 2]) == (255, 255, 255)  # highlight
    assert rgba[3, 0, 3] == 0  # no height


def test_vertical_exaggeration() -> None:
    assert [vertical_exaggeration(z) for z in (14, 12, 10, 8, 4)] == [1.0, 1.0, 2.0, 4.0, 8.0]


def test_hillshade_tile_of_the_dem(analysis: Analysis) -> None:
    assert analysis.ws.dem_path is not None
    renderer = HillshadeRenderer(analysis.ws.dem_path, map_style().hillshade)
    x, y = tile_for_lonlat(*ORIGIN_LONLAT, 13)
    lit = renderer.lit(13, x, y)
    # A plane rising 5 % east, lit from the north-west: the slope faces the light a little.
    az, alt = math.radians(315.0), math.radians(45.0)
    expected = (0.05 * -math.sin(az) * math.cos(alt) + math.sin(alt)) / math.sqrt(1 + 0.05**2)
    assert np.nanmedian(lit) == pytest.approx(expected, abs=0.01)
    assert renderer.render_png(13, x, y).startswith(b"\x89PNG")
    far = tile_for_lonlat(100.0, 20.0, 13)
    assert np.isnan(renderer.lit(13, *far)).all()


def test_ftth_gap_route_follows_the_road(analysis: Analysis) -> None:
    gaps = analysis.gaps("ftth")
    assert gaps["name"].tolist() == ["làng O2"]
    routes = ftth_gap_routes(analysis, gaps)
    [route] = routes.itertuples()
    assert route.via == "roads"
    # 100 m to the road, 1,500 + 1,450 m along it, 50 m to the splice J1 on the backbone.
    assert route.length_m == pytest.approx(3100.0, rel=0.005)
    assert route.road_length_m == pytest.approx(route.length_m, rel=0.005)
    start, end = route.geometry.coords[0], route.geometry.coords[-1]
    assert shapely.Point(start).distance(at(6000, 0)) < 1e-7
    assert shapely.Point(end).distance(at(3000, 100)) < 1e-6


def test_ftth_gap_route_without_roads_is_straight(tiny_ws: Workspace) -> None:
    routes = ftth_gap_routes(compute(tiny_ws))
    [route] = routes.itertuples()
    assert route.via == "straight"
    assert len(route.geometry.coords) == 2
    # From V2 (6 km east) to the nearest asset it may tap: the splitter N1 at (1000, 300)
    # (the backbone at x = 3 km has no node on it in the plain tiny workspace).
    assert route.length_m == pytest.approx(float(np.hypot(5000.0, 300.0)), rel=1e-3)


def test_style_has_the_basemap_and_overlays(analysis: Analysis) -> None:
    style = build_style(analysis, "http://127.0.0.1:8000/")
    ids = [layer["id"] for layer in style["layers"]]
    assert ids.index("hillshade") < ids.index("communes") < ids.index("roads") < ids.index("villages")
    assert ids[-3:] == ["labels-villages", "labels-communes", "labels-districts"]
    assert style["glyphs"] == "http://127.0.0.1:8000/map/glyphs/{fontstack}/{range}.pbf"
    fonts = {f for layer in style["layers"] for f in layer.get("layout", {}).get("text-font", [])}
    assert fonts == {map_style().labels.font, map_style().labels.bold_font}
    meta = style["metadata"]
    assert meta["covgis:districts"]["999"]["name"] == "Huyện Mẫu"
    assert set(meta["covgis:overlays"]) >= {"gap_routes", "plan_sites", "plan_fiber", "challenges"}
    assert meta["covgis:overlays"]["plan_sites"]["layers"][0]["paint"]["circle-stroke-color"] == "#EE3377"
    legend_ids = [entry["id"] for entry in meta["covgis:legend"]]
    assert legend_ids[:2] == ["roads", "districts"]


@pytest.fixture
def client(analysis: Analysis) -> Iterator[TestClient]:
    from coverage_gis_api.app import create_app
    from coverage_gis_api.settings import Settings

    with TestClient(create_app(Settings(workspace=analysis.ws.path))) as test_client:
        yield test_client


def test_web_routes_serve_glyphs_routes_and_docs(client: TestClient) -> None:
    found = client.get("/map/glyphs/DejaVu Sans Book,Noto Sans Regular/7680-7935.pbf")
    assert found.status_code == 200
    assert found.headers["content-type"] == "application/x-protobuf"
    [(name, _, glyphs)] = decode_glyphs(found.content)
    assert name == "DejaVu Sans Book"
    assert ord("ệ") in {g.id for g in glyphs}
    empty = client.get("/map/glyphs/DejaVu Sans Book/19968-20223.pbf")  # CJK: not shipped
    assert empty.status_code == 200
    assert decode_glyphs(empty.content) == [("DejaVu Sans Book", "19968-20223", [])]
    assert client.get("/map/glyphs/DejaVu Sans Book/1-2.pbf").status_code == 404

    routes = client.get("/map/gap-routes.geojson")
    assert routes.status_code == 200
    assert routes.headers["content-type"] == "application/geo+json"
    [feature] = json.loads(routes.content)["features"]
    assert feature["properties"]["name"] == "làng O2"
    assert feature["geometry"]["type"] == "LineString"
    again = client.get("/map/gap-routes.geojson", headers={"If-None-Match": routes.headers["etag"]})
    assert again.status_code == 304

    docs = client.get("/docs")
    assert docs.status_code == 200
    assert "https://" not in docs.text
    assert "http://" not in docs.text
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png"):
        assert f"/static/swagger/{asset}" in docs.text
        assert client.get(f"/static/swagger/{asset}").status_code == 200
    assert client.get("/redoc").status_code == 404  # FastAPI's CDN page is not registered
    assert client.get("/static/swagger/index.html").status_code == 404  # only the listed files
    x, y = tile_for_lonlat(*ORIGIN_LONLAT, 12)
    hillshade = client.get(f"/tiles/hillshade/12/{x}/{y}.png")
    assert hillshade.status_code == 200
    assert hillshade.headers["content-type"] == "image/png"
