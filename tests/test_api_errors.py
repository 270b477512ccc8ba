"""Every error status of the API, each with the JSON error body and never a stack trace."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from coverage_gis.access import add_key
from coverage_gis.errors import (
    Conflict,
    CoverageGISError,
    InputTooLarge,
    LayerValidationError,
    NotFound,
    PermissionDenied,
    StaleRevision,
    WorkspaceError,
)
from coverage_gis_api.errors import STATUS_TABLE, status_for

from .test_api_read import current_etag, lonlat, make_client, make_workspace

LIMIT = 4096


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, dict[str, str]]]:
    ws = make_workspace(tmp_path_factory.mktemp("errors") / "ws")
    secrets = {role: add_key(ws, role, role)[1] for role in ("admin", "planner")}
    with make_client(ws, max_body_bytes=LIMIT) as client:
        yield client, secrets


@pytest.fixture
def client(keys: tuple[TestClient, dict[str, str]]) -> TestClient:
    return keys[0]


def admin(keys: tuple[TestClient, dict[str, str]], client: TestClient) -> dict[str, str]:
    return {"X-API-Key": keys[1]["admin"], "If-Match": current_etag(client)}


def site(**overrides: Any) -> dict[str, Any]:
    lon, lat = lonlat(20_000, 20_000)
    return {"site_id": "E1", "lon": lon, "lat": lat, "cells": []} | overrides


def error(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}
    err = body["error"]
    assert err["status"] == status
    assert {"status", "type", "message", "field"} <= set(err)
    assert "Traceback" not in response.text
    assert 'File "' not in response.text
    return dict(err)


def test_400_malformed_json(client: TestClient, keys: tuple[TestClient, dict[str, str]]) -> None:
    headers = admin(keys, client) | {"Content-Type": "application/json"}
    err = error(client.post("/v1/sites", content=b'{"site_id": ', headers=headers), 400)
    assert err["type"] == "BadRequest"


def test_401_no_key_or_bad_key(client: TestClient) -> None:
    err = error(client.post("/v1/sites", json=site(), headers={"If-Match": current_etag(client)}), 401)
    assert err["type"] == "Unauthorized"
    error(client.get("/v1/villages", headers={"X-API-Key": "kdeadbeef.not-a-key"}), 401)
    error(client.get("/v1/villages", headers={"Authorization": "Bearer nope"}), 401)


def test_403_planner_cannot_edit(client: TestClient, keys: tuple[TestClient, dict[str, str]]) -> None:
    headers = {"X-API-Key": keys[1]["planner"], "If-Match": current_etag(client)}
    err = error(client.delete("/v1/sites/S1", headers=headers), 403)
    assert err["type"] == "PermissionDenied"


def test_404(client: TestClient, keys: tuple[TestClient, dict[str, str]]) -> None:
    error(client.get("/v1/villages/nope"), 404)
    error(client.get("/v1/sites/nope"), 404)
    error(client.get("/v1/no-such-endpoint"), 404)
    error(client.delete("/v1/sites/nope", headers=admin(keys, client)), 404)
    error(client.patch("/v1/sites/nope", json={"name": "x"}, headers=admin(keys, client)), 404)


def test_405_is_json_too(client: TestClient) -> None:
    error(client.put("/v1/sites/S1", json={}), 405)


def test_409_duplicate_site(client: TestClient, keys: tuple[TestClient, dict[str, str]]) -> None:
    err = error(client.post("/v1/sites", json=site(site_id="S1"), headers=admin(keys, client)), 409)
    assert err["type"] == "DuplicateId"  # a Conflict: the id is taken
    assert "S1" in err["message"]


def test_412_stale_and_garbage_if_match(client: TestClient, keys: tuple[TestClient, dict[str, str]]) -> None:
    headers = admin(keys, client)
    for value in ('"rev-999"', "rev-1", '"something-else"'):
        err = error(client.post("/v1/sites", json=site(), headers=headers | {"If-Match": value}), 412)
        assert err["type"] == "StaleRevision"


def test_413_declared_and_streamed(client: TestClient, keys: tuple[TestClient, dict[str, str]]) -> None:
    big = site(name="x" * (2 * LIMIT))
    err = error(client.post("/v1/sites", json=big, headers=admin(keys, client)), 413)
    assert err["type"] == "InputTooLarge"

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted while reading
        yield b'{"site_id": "E1", "name": "'
        for _ in range(4):
            yield b"y" * LIMIT
        yield b'"}'

    headers = admin(keys, client) | {"Content-Type": "application/json"}
    error(client.post("/v1/sites", content=chunks(), headers=headers), 413)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (site(lat=95.0), "lat"),
        (site(lon="109"), "lon"),
        (site(lon=100.0, lat=14.0), "lon"),  # Laos, not Vietnam
        (site(lat=30.0), "lat"),
        (site(colour="red"), "colour"),
        (site(height_m=400), "height_m"),
        (site(status="broken"), "status"),
        (site(commissioned="30/06/2025"), "commissioned"),
        (
            site(cells=[{"cell_id": "E1-a", "operator": "Viettel", "tech": "4G", "azimuth_deg": 400}]),
            "cells.0.azimuth_deg",
        ),
        (site(cells=[{"cell_id": "E1-a", "operator": "FPT", "tech": "4G"}]), "cells.0.operator"),
        (
            site(cells=[{"cell_id": "E1-a", "operator": "Viettel", "tech": "4G", "site_id": "S1"}]),
            "cells.0.site_id",
        ),
        (site(site_id="bad id with spaces"), "site_id"),
    ],
)
def test_422_names_the_field(
    client: TestClient, keys: tuple[TestClient, dict[str, str]], body: dict[str, Any], field: str
) -> None:
    err = error(client.post("/v1/sites", json=body, headers=admin(keys, client)), 422)
    assert err["field"] == field
    assert field.split(".")[-1] in err["message"]


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/v1/coverage/point?lon=109&lat=91", "lat"),
        ("/v1/coverage/point?lon=abc&lat=14", "lon"),
        ("/v1/coverage/point?lat=14", "lon"),
        ("/v1/villages?bbox=109,14,108,15", "bbox"),
        ("/v1/villages?bbox=a,b,c,d", "bbox"),
        ("/v1/villages?limit=0", "limit"),
        ("/v1/villages?limit=100000", "limit"),
        ("/v1/villages?format=shp", "format"),
        ("/v1/villages?mobile=perhaps", "mobile"),
        ("/v1/villages?operator=FPT", "operator"),
        ("/v1/gaps?kind=4g", "kind"),
        ("/v1/kpis?level=ward", "level"),
        ("/v1/kpis?format=gpkg", "format"),
    ],
)
def test_422_query_parameters(client: TestClient, url: str, field: str) -> None:
    assert error(client.get(url), 422)["field"] == field


def test_422_patch_nulls(client: TestClient, keys: tuple[TestClient, dict[str, str]]) -> None:
    err = error(client.patch("/v1/sites/S1", json={"status": None}, headers=admin(keys, client)), 422)
    assert "status" in err["message"]
    error(client.patch("/v1/sites/S1", json={"lon": 109.0}, headers=admin(keys, client)), 422)


def test_428_if_match_required(client: TestClient, keys: tuple[TestClient, dict[str, str]]) -> None:
    key = {"X-API-Key": keys[1]["admin"]}
    assert error(client.post("/v1/sites", json=site(), headers=key), 428)["field"] == "If-Match"
    error(client.delete("/v1/sites/S2", headers=key | {"If-Match": "*"}), 428)


def test_500_without_stack_trace(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path / "ws")
    with make_client(ws) as client:

        @client.app.get("/boom")  # type: ignore[attr-defined,untyped-decorator]
        def boom() -> None:
            raise RuntimeError("password=hunter2 at /srv/secret.py line 3")

        err = error(client.get("/boom"), 500)
        assert err["type"] == "InternalError"
        assert "hunter2" not in client.get("/boom").text

        # A library error that is the server's fault (a broken workspace) is a 500 too.
        ctx = client.app.state.ctx  # type: ignore[attr-defined]

        def broken() -> None:
            raise WorkspaceError(f"{ws.path}: workspace.yaml is not valid YAML")

        ctx.view = broken
        err = error(client.get("/v1/villages"), 500)
        assert str(ws.path) not in err["message"]


def test_status_table() -> None:
    expected = {
        PermissionDenied("x"): 403,
        NotFound("x"): 404,
        StaleRevision("x"): 412,
        Conflict("x"): 409,
        InputTooLarge("x"): 413,
        LayerValidationError("x", field="lon"): 422,
        LayerValidationError("x"): 400,
        WorkspaceError("x"): 500,
        CoverageGISError("x"): 400,
        ValueError("x"): 500,
    }
    for exc, status in expected.items():
        assert status_for(exc) == status, exc
    classes = [cls for cls, _ in STATUS_TABLE]
    for i, cls in enumerate(classes):  # subclasses come before their bases
        assert not any(issubclass(cls, earlier) for earlier in classes[:i]), cls
