"""API keys (hashed storage, add/list/revoke/authenticate), anonymous access and the role matrix."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient

from coverage_gis.access import (
    ANONYMOUS,
    Principal,
    add_key,
    authenticate,
    check_site_edit,
    list_keys,
    revoke_key,
)
from coverage_gis.errors import LayerValidationError, NotFound, PermissionDenied
from coverage_gis.workspace import Workspace

from .test_api_read import current_etag, lonlat, make_client, make_workspace

ROLES = ("planner", "operator:Viettel", "operator:VNPT", "admin")


# -- the key functions ------------------------------------------------------------------------
def test_keys_are_stored_hashed(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path / "ws")
    key_id, secret = add_key(ws, "Sở KH&CN Bình Định", "planner")
    text = (ws.path / "workspace.yaml").read_text(encoding="utf-8")
    assert secret not in text
    assert secret.split(".", 1)[1] not in text
    (record,) = yaml.safe_load(text)["extra"]["api_keys"]
    assert record["id"] == key_id
    assert record["role"] == "planner"
    assert record["hash"].startswith("sha256$")
    assert set(record) == {"id", "name", "role", "hash", "created"}
    assert list_keys(ws) == [
        {"id": key_id, "name": "Sở KH&CN Bình Định", "role": "planner", "created": record["created"]}
    ]

    principal = authenticate(Workspace.open(ws.path), secret)
    assert principal == Principal(key_id=key_id, name="Sở KH&CN Bình Định", role="planner")
    assert authenticate(ws, secret[:-1] + ("A" if secret[-1] != "A" else "B")) is None
    assert authenticate(ws, "nonsense") is None
    assert authenticate(ws, f"{key_id}.") is None

    revoke_key(ws, key_id)
    assert authenticate(ws, secret) is None
    assert list_keys(ws) == []
    with pytest.raises(NotFound):
        revoke_key(ws, key_id)


def test_bad_roles_and_names(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path / "ws")
    for role in ("operator:Unknown", "root", "operator:", "Admin"):
        with pytest.raises(LayerValidationError) as info:
            add_key(ws, "x", role)
        assert info.value.field == "role"
    with pytest.raises(LayerValidationError):
        add_key(ws, "  ", "admin")


def test_check_site_edit_rule() -> None:
    viettel = Principal("k1", "vt", "operator:Viettel")
    vt = [{"operator": "Viettel"}]
    vnpt = [{"operator": "VNPT"}]
    check_site_edit(viettel, old_cells=vt, new_cells=vt)
    check_site_edit(viettel, old_cells=[], new_cells=[])  # a site without cells
    for old, new in ((vnpt, vt), (vt, vt + vnpt), (vt + vnpt, vt)):
        with pytest.raises(PermissionDenied):
            check_site_edit(viettel, old_cells=old, new_cells=new)
    with pytest.raises(PermissionDenied):
        check_site_edit(Principal("k2", "p", "planner"), new_cells=vt)
    with pytest.raises(PermissionDenied):
        check_site_edit(ANONYMOUS, new_cells=vt)
    check_site_edit(Principal("k3", "a", "admin"), old_cells=vnpt, new_cells=vt + vnpt)


# -- over HTTP --------------------------------------------------------------------------------
def test_anonymous_reads_can_be_switched_off(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path / "ws")
    _, secret = add_key(ws, "planner", "planner")
    with make_client(ws, anonymous_read=False) as client:
        response = client.get("/v1/villages")
        assert response.status_code == 401
        assert response.json()["error"]["type"] == "Unauthorized"
        assert "WWW-Authenticate" in response.headers
        assert client.get("/v1/villages", headers={"X-API-Key": secret}).status_code == 200
        bearer = {"Authorization": f"Bearer {secret}"}
        assert client.get("/v1/villages", headers=bearer).status_code == 200
        assert client.get("/v1/villages", headers={"X-API-Key": "k0.wrong"}).status_code == 401


def test_key_added_while_serving_works_and_revoked_stops(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path / "ws")
    with make_client(ws) as client:
        key_id, secret = add_key(Workspace.open(ws.path), "late", "admin")
        site = {"site_id": "SX", "lon": lonlat(0, 9000)[0], "lat": lonlat(0, 9000)[1], "cells": []}
        headers = {"X-API-Key": secret, "If-Match": current_etag(client)}
        assert client.post("/v1/sites", json=site, headers=headers).status_code == 201
        revoke_key(Workspace.open(ws.path), key_id)
        headers = {"X-API-Key": secret, "If-Match": current_etag(client)}
        assert client.delete("/v1/sites/SX", headers=headers).status_code == 401


# -- the role matrix --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def matrix(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, dict[str, str]]]:
    """A workspace with a Viettel-only site SVT and a VNPT-only site SVN, and a key per role."""
    ws = make_workspace(tmp_path_factory.mktemp("roles") / "ws")
    secrets = {role: add_key(ws, role.replace(":", "-"), role)[1] for role in ROLES}
    with make_client(ws) as client:
        for site_id, operator, dy in (("SVT", "Viettel", 12_000), ("SVN", "VNPT", -12_000)):
            lon, lat = lonlat(0, dy)
            body = {
                "site_id": site_id,
                "lon": lon,
                "lat": lat,
                "cells": [{"cell_id": f"{site_id}-4G", "operator": operator, "tech": "4G"}],
            }
            headers = {"X-API-Key": secrets["admin"], "If-Match": current_etag(client)}
            assert client.post("/v1/sites", json=body, headers=headers).status_code == 201
        yield client, secrets


OWN_SITE = {"planner": "SVT", "operator:Viettel": "SVT", "operator:VNPT": "SVN", "admin": "SVT"}
OTHER_SITE = {"planner": "SVN", "operator:Viettel": "SVN", "operator:VNPT": "SVT", "admin": "SVN"}
OWN_OPERATOR = {
    "planner": "Viettel",
    "operator:Viettel": "Viettel",
    "operator:VNPT": "VNPT",
    "admin": "Viettel",
}
OTHER_OPERATOR = {"planner": "VNPT", "operator:Viettel": "VNPT", "operator:VNPT": "Viettel", "admin": "VNPT"}

EXPECTED: dict[str, dict[str, int]] = {
    #                 read, edit own, edit other's, edit shared S1, add with another's cell
    "planner": {"read": 200, "own": 403, "other": 403, "shared": 403, "foreign_cell": 403},
    "operator:Viettel": {"read": 200, "own": 200, "other": 403, "shared": 403, "foreign_cell": 403},
    "operator:VNPT": {"read": 200, "own": 200, "other": 403, "shared": 403, "foreign_cell": 403},
    "admin": {"read": 200, "own": 200, "other": 200, "shared": 200, "foreign_cell": 201},
}
_counter = iter(range(1000))


@pytest.mark.parametrize("action", ["read", "own", "other", "shared", "foreign_cell"])
@pytest.mark.parametrize("role", ROLES)
def test_role_matrix(matrix: tuple[TestClient, dict[str, str]], role: str, action: str) -> None:
    client, secrets = matrix
    key = {"X-API-Key": secrets[role]}
    body: dict[str, Any]
    if action == "read":
        response = client.get("/v1/sites/S1", headers=key)
    elif action in ("own", "other", "shared"):
        site_id = {"own": OWN_SITE, "other": OTHER_SITE, "shared": dict.fromkeys(ROLES, "S1")}[action][role]
        current = client.get(f"/v1/sites/{site_id}", headers=key)
        # Read-modify-write, as a client would: new name, the same cells sent back.
        body = {"name": f"edited by {role}", "cells": current.json()["cells"]}
        headers = key | {"If-Match": current.headers["ETag"]}
        response = client.patch(f"/v1/sites/{site_id}", json=body, headers=headers)
    else:
        n = next(_counter)
        lon, lat = lonlat(-15_000, 2_000 * n)
        body = {
            "site_id": f"NEW{n}",
            "lon": lon,
            "lat": lat,
            "cells": [
                {"cell_id": f"NEW{n}-a", "operator": OWN_OPERATOR[role], "tech": "4G"},
                {"cell_id": f"NEW{n}-b", "operator": OTHER_OPERATOR[role], "tech": "4G"},
            ],
        }
        headers = key | {"If-Match": current_etag(client)}
        response = client.post("/v1/sites", json=body, headers=headers)
    assert response.status_code == EXPECTED[role][action], response.text
    if response.status_code == 403:
        assert response.json()["error"]["type"] == "PermissionDenied"


def test_operator_cannot_hand_its_site_to_another_operator(matrix: tuple[TestClient, dict[str, str]]) -> None:
    client, secrets = matrix
    headers = {"X-API-Key": secrets["operator:Viettel"], "If-Match": current_etag(client)}
    body = {"cells": [{"cell_id": "SVT-4G", "operator": "VNPT", "tech": "4G"}]}
    assert client.patch("/v1/sites/SVT", json=body, headers=headers).status_code == 403
    assert client.delete("/v1/sites/SVN", headers=headers).status_code == 403
