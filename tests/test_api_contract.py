"""Every API response matches the response model its route declares (OpenAPI is the contract).

Routes render JSON themselves (the models document it for ``/docs`` and clients), so
nothing else would notice a body drifting away from its model. Each request below is
checked against the model the route declares for the status it answered with.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx2 import Response
from pydantic import BaseModel

from coverage_gis.access import add_key
from coverage_gis.workspace import Workspace
from coverage_gis_api import models, models_measurements, models_read, models_sites
from coverage_gis_api.context import VILLAGE_COLUMNS
from coverage_gis_api.models import ErrorBody

from .test_api_read import current_etag, lonlat, make_client, make_workspace


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    return make_workspace(tmp_path / "ws")


@pytest.fixture
def client(ws: Workspace) -> Iterator[TestClient]:
    with make_client(ws) as c:
        yield c


def declared_model(client: TestClient, method: str, path: str, status: int) -> type[BaseModel]:
    """The model the OpenAPI document declares for ``method path`` answering ``status``."""
    spec = client.get("/openapi.json").json()
    for template, operations in spec["paths"].items():
        pattern = "^" + re.sub(r"\{[^}]+\}", "[^/]+", template) + "$"
        if re.match(pattern, path) and method.lower() in operations:
            declared = operations[method.lower()]["responses"].get(str(status))
            assert declared is not None, f"{method} {path}: {status} is not documented"
            ref = declared["content"]["application/json"]["schema"]["$ref"]
            name = ref.rsplit("/", 1)[1]
            homes = (models, models_read, models_sites, models_measurements)
            model: type[BaseModel] = next(getattr(m, name) for m in homes if hasattr(m, name))
            return model
    raise AssertionError(f"{method} {path} is not documented")


def check(client: TestClient, response: Response, method: str = "GET") -> dict[str, Any]:
    path = response.request.url.path
    model = declared_model(client, method, path, response.status_code)
    body: dict[str, Any] = response.json()
    model.model_validate(body)
    return body


READS = [
    ("/health", {}),
    ("/v1/villages", {"limit": 2}),
    ("/v1/villages/V2", {}),
    ("/v1/gaps", {"kind": "mobile"}),
    ("/v1/gaps", {"kind": "ftth"}),
    ("/v1/gaps", {"kind": "5g"}),
    ("/v1/kpis", {"level": "commune_2025"}),
    ("/v1/kpis/history", {}),
    ("/v1/scorecard", {"plan": "binh-dinh-2025"}),
    ("/v1/coverage/point", {"lon": lonlat(1000, 0)[0], "lat": lonlat(1000, 0)[1]}),
    ("/v1/coverage/point", {"lon": lonlat(9000, 0)[0], "lat": lonlat(9000, 0)[1]}),
    ("/v1/revisions", {}),
    ("/v1/sites", {}),
    ("/v1/sites/S1", {}),
    ("/v1/challenges", {}),
    ("/v1/speed", {"detail": "true"}),
]


@pytest.mark.parametrize(("path", "params"), READS)
def test_reads_match_their_models(client: TestClient, path: str, params: dict[str, Any]) -> None:
    response = client.get(path, params=params)
    assert response.status_code == 200, response.text
    check(client, response)


def test_a_village_declares_every_column_it_sends(client: TestClient) -> None:
    """Extra keys pass model validation, so the village model is checked key by key."""
    body = check(client, client.get("/v1/villages/V2"))
    assert list(body) == list(models_read.Village.model_fields) == list(VILLAGE_COLUMNS)
    assert body["override"] == ""


def test_a_point_between_two_sites_lists_serving_and_planned_cells(client: TestClient) -> None:
    lon, lat = lonlat(9000, 0)  # 9 km from S1 (2G reaches 8 km), 1 km from planned S2
    body = check(client, client.get("/v1/coverage/point", params={"lon": lon, "lat": lat}))
    assert body["mobile_bb"] is False
    assert body["cells"] == []
    assert [c["cell_id"] for c in body["planned"]] == ["S2-VT-4G"]
    lon, lat = lonlat(1000, 0)
    body = check(client, client.get("/v1/coverage/point", params={"lon": lon, "lat": lat}))
    assert (body["mobile_bb"], body["best_tech"]) == (True, "4G")
    assert body["operators"] == {"Viettel": ["2G", "4G"], "VNPT": ["4G"]}


def test_writes_and_errors_match_their_models(client: TestClient, ws: Workspace) -> None:
    key = add_key(ws, "lead", "admin")[1]
    lon, lat = lonlat(6000, 1000)
    site = {
        "site_id": "S3",
        "lon": lon,
        "lat": lat,
        "cells": [{"cell_id": "S3-1", "operator": "VNPT", "tech": "4G"}],
    }
    headers = {"X-API-Key": key, "If-Match": current_etag(client)}
    created = client.post("/v1/sites", json=site, headers=headers)
    assert created.status_code == 201
    assert check(client, created, "POST")["site"]["cells"][0]["cell_id"] == "S3-1"
    headers["If-Match"] = created.headers["ETag"]
    patched = client.patch("/v1/sites/S3", json={"height_m": 45}, headers=headers)
    assert check(client, patched, "PATCH")["site"]["height_m"] == 45.0
    headers["If-Match"] = patched.headers["ETag"]
    removed = client.delete("/v1/sites/S3", headers=headers)
    assert check(client, removed, "DELETE")["site"] is None

    for response in (
        client.get("/v1/villages/NOPE"),
        client.get("/v1/sites", params={"bbox": "1,2,3"}),
        client.post("/v1/sites", json=site),
        client.delete("/v1/sites/S1", headers={"X-API-Key": key, "If-Match": '"rev-0"'}),
    ):
        assert response.status_code >= 400
        ErrorBody.model_validate(response.json())
