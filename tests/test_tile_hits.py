"""The cache-hit front of the tile routes (coverage_gis_api.tile_hits) answers as the routes do."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from coverage_gis.access import add_key
from coverage_gis.tiles import tile_for_lonlat
from coverage_gis.workspace import Workspace
from coverage_gis_api import routes_tiles
from coverage_gis_api.app import create_app
from coverage_gis_api.settings import Settings

Z = 12


def _paths() -> list[str]:
    x, y = tile_for_lonlat(109.0, 14.0, Z)
    return [
        f"/tiles/villages/{Z}/{x}/{y}.mvt",
        f"/tiles/sites/{Z}/{x}/{y}.mvt",
        f"/tiles/coverage/all/{Z}/{x}/{y}.png",
    ]


@pytest.fixture
def routed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The paths the tile routes answered (the front answers without them)."""
    seen: list[str] = []
    original = routes_tiles.tile_response

    def spy(request: Any, *args: Any, **kwargs: Any) -> Any:
        seen.append(request.url.path)
        return original(request, *args, **kwargs)

    monkeypatch.setattr(routes_tiles, "tile_response", spy)
    return seen


@pytest.fixture
def client(tiny_ws: Workspace) -> Iterator[TestClient]:
    tiny_ws.update_config(synthetic=True)
    with TestClient(create_app(Settings(workspace=tiny_ws.path))) as test_client:
        yield test_client


def _same(front: Any, route: Any) -> None:
    assert front.status_code == route.status_code
    assert dict(front.headers) == dict(route.headers)
    assert front.content == route.content


def test_a_cached_tile_is_answered_before_routing_as_the_route_answers(
    client: TestClient, routed: list[str]
) -> None:
    for path in _paths():
        routed.clear()
        first = client.get(path)  # a miss: rendered by the route
        assert first.status_code == 200
        assert routed == [path]
        for headers in ({}, {"Accept-Encoding": "gzip"}, {"Accept-Encoding": "gzip;q=0"}):
            routed.clear()
            front = client.get(path, headers=headers)
            assert routed == []  # answered from the cache, before routing
            # A query string the route ignores takes the same request through the route.
            route = client.get(path, params={"via": "route"}, headers=headers)
            assert routed == [path]
            _same(front, route)
        # Conditional requests: 304 with the same headers either way.
        etag = first.headers["etag"]
        routed.clear()
        front = client.get(path, headers={"If-None-Match": etag})
        assert front.status_code == 304
        assert routed == []
        _same(front, client.get(path, params={"via": "route"}, headers={"If-None-Match": etag}))
        # A repeated field is read as the route reads it (its first value).
        repeated = [("If-None-Match", '"other"'), ("If-None-Match", etag)]
        _same(client.get(path, headers=repeated), client.get(path, params={"via": "route"}, headers=repeated))
    mvt = client.get(_paths()[0], headers={"Accept-Encoding": "gzip"})
    assert mvt.headers["content-encoding"] == "gzip"
    assert mvt.content == client.get(_paths()[0]).content  # the test client decodes gzip


def test_the_front_leaves_misses_bad_tiles_and_other_methods_to_the_routes(
    client: TestClient, routed: list[str]
) -> None:
    x, y = tile_for_lonlat(109.0, 14.0, Z)
    client.get(f"/tiles/villages/{Z}/{x}/{y}.mvt")
    assert client.get(f"/tiles/nowhere/{Z}/{x}/{y}.mvt").status_code == 404
    assert client.get(f"/tiles/villages/{Z}/{2**Z}/{y}.mvt").status_code == 422
    assert client.get(f"/tiles/coverage/6G/{Z}/{x}/{y}.png").status_code == 422
    assert client.head(f"/tiles/villages/{Z}/{x}/{y}.mvt").status_code == 405
    # An operator's tile (a query) is the route's, cached under its own key.
    routed.clear()
    png = f"/tiles/coverage/all/{Z}/{x}/{y}.png"
    assert client.get(png, params={"operator": "Viettel"}).status_code == 200
    assert routed == [png]


def test_keys_and_closed_reading_go_through_the_reader(tiny_ws: Workspace, routed: list[str]) -> None:
    tiny_ws.update_config(synthetic=True)
    _, secret = add_key(tiny_ws, "planner", "planner")
    path = _paths()[0]
    with TestClient(create_app(Settings(workspace=tiny_ws.path, anonymous_read=False))) as closed:
        assert closed.get(path, headers={"X-API-Key": secret}).status_code == 200  # now cached
        assert closed.get(path).status_code == 401
        assert closed.get(path, headers={"X-API-Key": "k0.wrong"}).status_code == 401
        routed.clear()
        assert closed.get(path, headers={"Authorization": f"Bearer {secret}"}).status_code == 200
        assert routed == [path]  # a key is always checked by the reader
    with TestClient(create_app(Settings(workspace=tiny_ws.path))) as open_:
        assert open_.get(path).status_code == 200
        assert open_.get(path, headers={"X-API-Key": "k0.wrong"}).status_code == 401
