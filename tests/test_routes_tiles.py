"""Tile and web-map routes over a minimal FastAPI app with a fake context (tiny workspace)."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import mapbox_vector_tile
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from coverage_gis.engine import compute
from coverage_gis.tiles import bbox_intersects, tile_bounds_lonlat, tile_for_lonlat, tiles_for_bbox
from coverage_gis.tiles.mercator import bounds_3857_to_lonlat, buffered_bounds_3857
from coverage_gis.tiles.style import ATTRIBUTION_BOUNDARIES, ATTRIBUTION_SYNTHETIC
from coverage_gis.tiles.vector import BUFFER, EXTENT
from coverage_gis.workspace import Workspace
from coverage_gis_api import routes_tiles, routes_web
from coverage_gis_api.app import create_app
from coverage_gis_api.errors import install_error_handlers
from coverage_gis_api.settings import Settings

from .conftest import serving_context

Z = 12


@pytest.fixture
def ctx(tiny_ws: Workspace) -> SimpleNamespace:
    """A minimal :class:`~coverage_gis_api.context.ServingContext`: one fixed revision."""
    tiny_ws.update_config(synthetic=True)
    return serving_context(compute(tiny_ws), tiny_ws)


@pytest.fixture
def client(ctx: SimpleNamespace) -> Iterator[TestClient]:
    app = FastAPI()
    install_error_handlers(app)
    app.include_router(routes_tiles.create_router(ctx))
    app.include_router(routes_web.create_router(ctx))
    with TestClient(app) as test_client:
        yield test_client


def origin_tile(z: int = Z) -> tuple[int, int]:
    return tile_for_lonlat(109.0, 14.0, z)


def test_vector_tile_headers_and_gzip(client: TestClient) -> None:
    x, y = origin_tile()
    response = client.get(f"/tiles/villages/{Z}/{x}/{y}.mvt", headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/vnd.mapbox-vector-tile"
    assert response.headers["content-encoding"] == "gzip"
    assert response.headers["vary"] == "Accept-Encoding"
    assert "must-revalidate" in response.headers["cache-control"]
    assert response.headers["etag"].startswith('W/"')
    # httpx2 undoes the gzip; the body is the protobuf.
    decoded = mapbox_vector_tile.decode(response.content, default_options={"y_coord_down": True})
    names = {f["properties"]["name"] for f in decoded["villages"]["features"]}
    assert "thôn 1" in names


def test_vector_tile_without_gzip(client: TestClient) -> None:
    x, y = origin_tile()
    raw = client.get(f"/tiles/villages/{Z}/{x}/{y}.mvt", headers={"Accept-Encoding": "identity"})
    assert raw.status_code == 200
    assert "content-encoding" not in raw.headers
    zipped = client.get(f"/tiles/villages/{Z}/{x}/{y}.mvt", headers={"Accept-Encoding": "gzip"})
    assert raw.content == zipped.content
    assert raw.headers["etag"] == zipped.headers["etag"]


def test_gzip_body_is_really_gzip(ctx: SimpleNamespace) -> None:
    app = FastAPI()
    app.include_router(routes_tiles.create_router(ctx))
    x, y = origin_tile()
    with (
        TestClient(app) as test_client,
        test_client.stream(
            "GET", f"/tiles/villages/{Z}/{x}/{y}.mvt", headers={"Accept-Encoding": "gzip"}
        ) as response,
    ):
        body = b"".join(response.iter_raw())
    assert body[:2] == b"\x1f\x8b"
    assert mapbox_vector_tile.decode(gzip.decompress(body))


def test_a_miss_is_counted_once_and_then_hits(client: TestClient) -> None:
    x, y = origin_tile()
    client.get(f"/tiles/villages/{Z}/{x}/{y}.mvt")
    stats = client.get("/tiles/cache-stats").json()
    assert (stats["misses"], stats["hits"], stats["entries"]) == (1, 0, 1)
    client.get(f"/tiles/villages/{Z}/{x}/{y}.mvt")
    assert client.get("/tiles/cache-stats").json()["hits"] == 1


def test_etag_gives_304(client: TestClient) -> None:
    x, y = origin_tile()
    url = f"/tiles/sites/{Z}/{x}/{y}.mvt"
    first = client.get(url)
    again = client.get(url, headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == first.headers["etag"]
    # The strong form of the same validator matches too (weak comparison).
    strong = first.headers["etag"].removeprefix("W/")
    assert client.get(url, headers={"If-None-Match": f'"other", {strong}'}).status_code == 304
    assert client.get(url, headers={"If-None-Match": '"other"'}).status_code == 200


def test_empty_tile_is_an_empty_body(client: TestClient) -> None:
    x, y = tile_for_lonlat(105.85, 21.03, Z)
    response = client.get(f"/tiles/villages/{Z}/{x}/{y}.mvt")
    assert response.status_code == 200
    assert response.content == b""


def test_unknown_layer_is_404(client: TestClient) -> None:
    response = client.get("/tiles/railways/1/0/0.mvt")
    assert response.status_code == 404
    assert client.get("/tiles/railways.json").status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "/tiles/villages/30/0/0.mvt",  # zoom too deep
        "/tiles/villages/2/4/0.mvt",  # column outside the zoom-2 grid
        "/tiles/villages/2/0/9.mvt",  # row outside
        "/tiles/villages/a/0/0.mvt",  # not an integer
        "/tiles/villages/2/-1/0.mvt",
        "/tiles/coverage/6G/2/0/0.png",  # unknown technology
        "/tiles/coverage/4G/2/0/0.png?mode=heat",
        "/tiles/coverage/4G/2/0/0.png?operator=Acme",
    ],
)
def test_bad_tile_requests(client: TestClient, path: str) -> None:
    assert client.get(path).status_code in (400, 422)


def test_coverage_png(client: TestClient) -> None:
    x, y = origin_tile()
    response = client.get(f"/tiles/coverage/4G/{Z}/{x}/{y}.png")
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/png"
    assert response.content[:8] == b"\x89PNG\r\n\x1a\n"
    assert "content-encoding" not in response.headers  # PNG is compressed already
    etag = response.headers["etag"]
    assert not etag.startswith("W/")
    again = client.get(f"/tiles/coverage/4G/{Z}/{x}/{y}.png", headers={"If-None-Match": etag})
    assert again.status_code == 304
    by_operator = client.get(f"/tiles/coverage/all/{Z}/{x}/{y}.png?operator=Viettel&mode=operator")
    assert by_operator.status_code == 200
    assert by_operator.headers["etag"] != etag


def test_tilejson(client: TestClient) -> None:
    doc = client.get("/tiles/villages.json").json()
    assert doc["tilejson"] == "3.0.0"
    assert doc["tiles"][0].endswith("/tiles/villages/{z}/{x}/{y}.mvt")
    assert doc["tiles"][0].startswith("http")
    assert doc["attribution"] == ATTRIBUTION_SYNTHETIC
    communes = client.get("/tiles/communes.json").json()
    assert communes["attribution"] == ATTRIBUTION_BOUNDARIES
    assert communes["minzoom"] == 7


def test_change_listener_drops_only_intersecting_tiles(client: TestClient, ctx: SimpleNamespace) -> None:
    x, y = origin_tile()
    far_x, far_y = tile_for_lonlat(105.85, 21.03, Z)
    client.get(f"/tiles/villages/{Z}/{x}/{y}.mvt")
    client.get(f"/tiles/villages/{Z}/{far_x}/{far_y}.mvt")
    assert client.get("/tiles/cache-stats").json()["entries"] == 2
    assert len(ctx.change_listeners) == 1
    ctx.live.revision = 1
    ctx.change_listeners[0](SimpleNamespace(dirty_bbox=(108.99, 13.99, 109.01, 14.01), revision=1))
    stats = client.get("/tiles/cache-stats").json()
    assert stats["entries"] == 1
    assert stats["invalidated"] == 1
    ctx.change_listeners[0](SimpleNamespace(dirty_bbox=None, revision=2))  # box unknown: drop all
    assert client.get("/tiles/cache-stats").json()["entries"] == 0


def test_index_and_static_files(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert 'id="map"' in page.text
    assert 'id="gap-list"' in page.text
    for path in ("/static/app.js", "/static/app.css", "/static/maplibre-gl.js", "/static/maplibre-gl.css"):
        response = client.get(path, headers={"Accept-Encoding": "gzip"})
        assert response.status_code == 200, path
        assert response.headers["content-encoding"] == "gzip"
    js = client.get("/static/maplibre-gl.js")
    assert "maplibre" in js.text[:2000].lower()
    again = client.get("/static/maplibre-gl.js", headers={"If-None-Match": js.headers["etag"]})
    assert again.status_code == 304
    # No CDN anywhere in what the page loads.
    for path in ("/", "/static/app.js"):
        text = client.get(path).text
        assert "unpkg.com" not in text
        assert "cdn." not in text


@pytest.mark.parametrize(
    "path", ["/static/../routes_web.py", "/static/%2e%2e/routes_web.py", "/static/nope.js"]
)
def test_static_refuses_paths_outside_the_folder(client: TestClient, path: str) -> None:
    assert client.get(path).status_code == 404


def test_style_document(client: TestClient) -> None:
    response = client.get("/map/style.json")
    assert response.status_code == 200
    style: dict[str, Any] = response.json()
    assert style["version"] == 8
    # Offline: glyphs, tiles and every other URL are this server's own.
    assert style["glyphs"].startswith("http://testserver/map/glyphs/")
    for source in style["sources"].values():
        assert all(url.startswith("http://testserver/") for url in source.get("tiles", []))
    sources = style["sources"]
    for name in ("villages", "sites", "fiber_routes", "zones_5g", "communes", "pois", "coverage"):
        assert name in sources
    assert sources["villages"]["tiles"][0].endswith("/tiles/villages/{z}/{x}/{y}.mvt")
    assert sources["communes"]["attribution"] == ATTRIBUTION_BOUNDARIES
    assert sources["villages"]["attribution"] == ATTRIBUTION_SYNTHETIC
    assert sources["coverage"]["type"] == "raster"
    layers = {layer["id"]: layer for layer in style["layers"]}
    assert layers["background"]["type"] == "background"
    assert layers["coverage"]["layout"]["visibility"] == "none"
    village_colour = layers["villages"]["paint"]["circle-color"]
    assert village_colour[:2] == ["match", ["get", "status"]]
    assert "covered" in village_colour
    assert "no_mobile" in village_colour
    site_colour = layers["sites"]["paint"]["circle-color"]
    assert site_colour[1] == ["get", "operator_class"]
    assert "Viettel" in site_colour
    assert "shared" in site_colour
    assert layers["fiber_routes"]["paint"]["line-color"][1] == ["get", "class"]
    meta = style["metadata"]
    west, south, east, north = meta["covgis:bounds"]
    assert west < 109.0 < east
    assert south < 14.0 < north
    assert meta["covgis:synthetic"] is True
    assert {entry["id"] for entry in meta["covgis:legend"]} >= {"villages", "sites", "communes"}
    again = client.get("/map/style.json", headers={"If-None-Match": response.headers["etag"]})
    assert again.status_code == 304


def test_site_edit_through_the_real_app_refreshes_only_its_tiles(tiny_ws: Workspace) -> None:
    """End to end with ``coverage_gis_api.app`` and the live engine: S2 goes on air through ``ctx.write``."""
    area = (108.85, 13.85, 109.15, 14.15)
    paths = [
        path
        for z in (11, 12)
        for (_, x, y) in tiles_for_bbox(area, z)
        for path in (f"/tiles/villages/{z}/{x}/{y}.mvt", f"/tiles/coverage/all/{z}/{x}/{y}.png")
    ]

    def fetch_all(test_client: TestClient) -> dict[str, bytes]:
        return {path: test_client.get(path).content for path in paths}

    app = create_app(Settings(workspace=tiny_ws.path))
    with TestClient(app) as test_client:
        before = fetch_all(test_client)
        result = app.state.ctx.write(
            lambda live: live.update_site(
                "S2", {"status": "on_air"}, cell_changes={"S2-VT-4G": {"status": "on_air"}}, author="test"
            )
        )
        assert result.dirty_bbox is not None
        stats = test_client.get("/tiles/cache-stats").json()
        assert 0 < stats["entries"] < len(paths)  # only the tiles near S2 were dropped
        after = fetch_all(test_client)
    changed = {path for path in paths if before[path] != after[path]}
    assert changed
    for path in changed:
        z, x, y = (int(part) for part in path.rsplit(".", 1)[0].split("/")[-3:])
        # A vector tile also shows the features in its buffer.
        bounds = (
            bounds_3857_to_lonlat(buffered_bounds_3857(z, x, y, buffer=BUFFER, extent=EXTENT))
            if path.endswith(".mvt")
            else tile_bounds_lonlat(z, x, y)
        )
        assert bbox_intersects(bounds, result.dirty_bbox), path
    with TestClient(create_app(Settings(workspace=tiny_ws.path))) as fresh:
        assert fetch_all(fresh) == after  # nothing stale was kept
