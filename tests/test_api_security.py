"""API keys (hashed storage, add/list/revoke/authenticate), anonymous access and the role matrix."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from coverage_gis.access import (
    ANONYMOUS,
    Principal,
    add_key,
    authenticate,
    check_site_edit,
    list_keys,
    revoke_key,
)
from coverage_gis.cli import main
from coverage_gis.errors import LayerValidationError, NotFound, PermissionDenied
from coverage_gis.layers import get_schema
from coverage_gis.tiles import tile_for_lonlat
from coverage_gis.workspace import Workspace
from coverage_gis_api.settings import Settings

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


def _site(owner: str = "", *operators: str) -> dict[str, Any]:
    return {"owner": owner, "cells": [{"operator": op} for op in operators]}


def test_check_site_edit_rule() -> None:
    """An operator edits a site only when it is its own before and after (cells, owner)."""
    viettel = Principal("k1", "vt", "operator:Viettel")
    allowed = [
        (None, _site("", "Viettel")),  # add with its own cells
        (None, _site("viettel")),  # add a cell-less mast it owns (owner case-insensitive)
        (_site("", "Viettel"), _site("TowerCo", "Viettel")),  # a tower company owns the mast
        (_site("Viettel", "Viettel"), _site("Viettel")),  # strip its own mast to no cells
        (_site("", "Viettel"), _site("Viettel")),  # … when it takes the mast in the same change
        (_site("", "Viettel"), None),  # remove its site
    ]
    refused = [
        (None, _site("")),  # a cell-less site nobody owns
        (None, _site("VNPT", "Viettel")),  # a site owned by another operator
        (_site("", "VNPT"), _site("", "Viettel")),  # another operator's cells
        (_site("", "Viettel"), _site("", "Viettel", "VNPT")),  # would get another operator's cells
        (_site(""), _site("Viettel", "Viettel")),  # take over a cell-less site nobody owns
        (_site("VNPT"), _site("Viettel", "Viettel")),  # take over another operator's mast
        (_site("Viettel", "Viettel"), _site("VNPT", "Viettel")),  # hand the mast to another operator
        (_site("", "Viettel"), _site("")),  # strip a site it does not own to no cells
        (_site("TowerCo"), None),  # remove a cell-less site nobody of its own
    ]
    for before, after in allowed:
        check_site_edit(viettel, "S", before, after)
    for before, after in refused:
        with pytest.raises(PermissionDenied, match="Viettel's own sites"):
            check_site_edit(viettel, "S", before, after)
    for who in (Principal("k2", "p", "planner"), ANONYMOUS):
        with pytest.raises(PermissionDenied, match="may read but not edit"):
            check_site_edit(who, "S", None, _site("", "Viettel"))
    check_site_edit(Principal("k3", "a", "admin"), "S", _site("VNPT"), _site("", "Viettel", "VNPT"))


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


# -- site ownership (owner and cell-less sites) ----------------------------------------------
def test_no_site_can_be_taken_over(tmp_path: Path) -> None:
    """Cell-less sites and ``owner``: no operator takes over a site that is not its own."""
    ws = make_workspace(tmp_path / "ws")
    keys = {role: add_key(ws, role.replace(":", "-"), role)[1] for role in ROLES}
    with make_client(ws) as client:

        def send(role: str, method: str, site_id: str, body: dict[str, Any] | None = None) -> int:
            headers = {"X-API-Key": keys[role], "If-Match": current_etag(client)}
            url = "/v1/sites" if method == "POST" else f"/v1/sites/{site_id}"
            return client.request(method, url, json=body, headers=headers).status_code

        def mast(site_id: str, dx: float, **fields: Any) -> dict[str, Any]:
            lon, lat = lonlat(dx, 15_000)
            return {"site_id": site_id, "lon": lon, "lat": lat, "cells": [], **fields}

        vnpt_cell = [{"cell_id": "M-VNPT", "operator": "VNPT", "tech": "4G"}]
        viettel_cell = [{"cell_id": "M-VT", "operator": "Viettel", "tech": "4G"}]
        # A cell-less site belongs to nobody unless its owner is the operator.
        assert send("operator:VNPT", "POST", "", mast("NOBODY", 0)) == 403
        assert send("operator:VNPT", "POST", "", mast("MVNPT", 1000, owner="VNPT")) == 201
        # Another operator can neither fill it with its cells nor claim the mast.
        assert send("operator:Viettel", "PATCH", "MVNPT", {"cells": viettel_cell}) == 403
        assert send("operator:Viettel", "PATCH", "MVNPT", {"owner": "Viettel", "cells": viettel_cell}) == 403
        assert send("operator:Viettel", "DELETE", "MVNPT") == 403
        assert send("operator:VNPT", "PATCH", "MVNPT", {"cells": vnpt_cell}) == 200
        # A mast that nobody owns (an admin's, an import's) stays the admin's to give.
        assert send("admin", "POST", "", mast("ORPHAN", 2000)) == 201
        assert send("operator:Viettel", "PATCH", "ORPHAN", {"cells": viettel_cell}) == 403
        assert send("operator:Viettel", "PATCH", "ORPHAN", {"owner": "Viettel"}) == 403
        # An operator cannot strip a site it does not own to no cells, nor give it away…
        own = mast("SVT2", 3000, cells=[{"cell_id": "SVT2-4G", "operator": "Viettel", "tech": "4G"}])
        assert send("operator:Viettel", "POST", "", own) == 201
        assert send("operator:Viettel", "PATCH", "SVT2", {"cells": []}) == 403
        assert send("operator:Viettel", "PATCH", "SVT2", {"owner": "VNPT"}) == 403
        # …but may when it takes the mast in the same change.
        assert send("operator:Viettel", "PATCH", "SVT2", {"owner": "Viettel", "cells": []}) == 200
        other = [{"cell_id": "SVT2-VNPT", "operator": "VNPT", "tech": "4G"}]
        assert send("operator:VNPT", "PATCH", "SVT2", {"cells": other}) == 403
        sites = {s["site_id"]: s for s in client.get("/v1/sites", params={"limit": 100}).json()["items"]}
    assert "NOBODY" not in sites
    assert sites["MVNPT"]["owner"] == "VNPT"
    assert [c["operator"] for c in sites["MVNPT"]["cells"]] == ["VNPT"]
    assert sites["ORPHAN"]["cells"] == []
    assert sites["ORPHAN"]["owner"] == ""
    assert sites["SVT2"]["owner"] == "Viettel"
    assert sites["SVT2"]["cells"] == []


# -- every route needs the reader -------------------------------------------------------------
#: Routes that show no workspace data: the page shell, its scripts and the API description.
#: Routes that show no workspace data: the page, its files and label glyphs, the API docs
#: (Swagger UI from its wheel; FastAPI's CDN-backed /redoc and /docs/oauth2-redirect are off).
PUBLIC_ROUTES = frozenset(
    {"/", "/static/{path:path}", "/map/glyphs/{fontstack}/{glyph_range}.pbf", "/docs", "/openapi.json"}
)


def _url(path: str) -> str:
    x, y = tile_for_lonlat(*lonlat(1000, 0), 12)
    values = {
        "layer": "villages",
        "tech": "all",
        "z": "12",
        "x": str(x),
        "y": str(y),
        "site_id": "S1",
        "village_id": "V1",
        "path:path": "app.js",
        "plan_id": "p3f9c2a71d0b4e8a1",
        "table": "sites",
        "fontstack": "DejaVu Sans Book",
        "glyph_range": "7680-7935",
        "collection_id": "villages",
        "feature_id": "V1",
    }
    query = {"/v1/coverage/point": "?lon=109.0&lat=14.0"}.get(path, "")
    for name, value in values.items():
        path = path.replace("{" + name + "}", value)
    assert "{" not in path, f"no test value for a parameter of {path}"
    return path + query


def _routes(entries: list[Any]) -> list[Any]:
    """Every route with a path and methods, also those of included routers."""
    found = []
    for entry in entries:
        included = getattr(entry, "original_router", None)
        if included is not None:
            found += _routes(included.routes)
        elif hasattr(entry, "methods"):
            found.append(entry)
    return found


def test_every_route_needs_a_key_when_anonymous_reads_are_off(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path / "ws")
    _, planner = add_key(ws, "planner", "planner")
    with make_client(ws, anonymous_read=False) as client:
        routes = _routes(client.app.routes)  # type: ignore[attr-defined]
        assert {r.path for r in routes} >= PUBLIC_ROUTES | {
            "/health",
            "/v1/villages",
            "/tiles/{layer}/{z}/{x}/{y}.mvt",
            "/tiles/coverage/{tech}/{z}/{x}/{y}.png",
            "/tiles/{layer}.json",
            "/tiles/cache-stats",
            "/map/style.json",
            "/map/gap-routes.geojson",
            "/tiles/hillshade/{z}/{x}/{y}.png",
            "/v1/challenges",
            "/v1/challenges/{village_id}/accept",
            "/v1/challenges/{village_id}/reject",
            "/v1/speed",
        }
        checked = 0
        for route in routes:
            url = _url(route.path)
            for method in sorted((route.methods or set()) - {"HEAD"}):
                response = client.request(method, url)
                if route.path in PUBLIC_ROUTES:
                    assert response.status_code == 200, (method, url)
                    assert "thôn 1" not in response.text
                    assert "Xã Thử Nghiệm" not in response.text
                    assert str(tmp_path) not in response.text
                    continue
                assert response.status_code == 401, (method, url, response.status_code)
                assert response.json()["error"]["type"] == "Unauthorized"
                if method == "GET":  # the same request with a key gets past the door
                    with_key = client.get(url, headers={"X-API-Key": planner})
                    assert with_key.status_code in (200, 404), (url, with_key.text[:200])
                checked += 1
    assert checked >= 19  # every non-public route and method of the app


# -- anonymous reads on a public address --------------------------------------------------------
def test_anonymous_reads_on_a_public_address_must_be_asked_for(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("COVGIS_ANONYMOUS_READ", raising=False)
    for host in ("127.0.0.1", "::1", "localhost", "127.0.0.2"):
        assert Settings(workspace=tmp_path, host=host).anonymous_read
    for host in ("0.0.0.0", "192.168.1.10", "::", "example.org"):
        with pytest.raises(ValidationError, match="not a loopback address"):
            Settings(workspace=tmp_path, host=host)
        assert Settings(workspace=tmp_path, host=host, anonymous_read=True).anonymous_read
        assert not Settings(workspace=tmp_path, host=host, anonymous_read=False).anonymous_read
    monkeypatch.setenv("COVGIS_ANONYMOUS_READ", "false")
    assert not Settings(workspace=tmp_path, host="0.0.0.0").anonymous_read
    monkeypatch.delenv("COVGIS_ANONYMOUS_READ")

    ws = make_workspace(tmp_path / "ws")
    served: list[Any] = []
    monkeypatch.setattr("uvicorn.run", lambda app, **kwargs: served.append((app, kwargs)))
    # No server listens here: the port check must not depend on what else holds port 8000.
    monkeypatch.setattr("coverage_gis.cli.serve_cmds.check_port_free", lambda *args: None)
    assert main(["serve", str(ws.path), "--host", "0.0.0.0"]) == 2
    assert "not a loopback address" in capsys.readouterr().err
    assert served == []
    assert main(["serve", str(ws.path), "--host", "0.0.0.0", "--no-anonymous-read"]) == 0
    assert main(["serve", str(ws.path)]) == 0
    assert [app.state.ctx.settings.anonymous_read for app, _ in served] == [False, True]
    assert served[0][1]["host"] == "0.0.0.0"
    # The server's HTTP stack (see coverage_gis_api.settings): httptools on asyncio, not uvloop.
    assert {(kw["http"], kw["loop"]) for _, kw in served} == {("httptools", "asyncio")}


# -- fuzz: site edits never end in a 500 ----------------------------------------------------------
_ANY_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats()
    | st.text(max_size=8)
    | st.sampled_from(["Viettel", "4G", "on_air", "S1", "S1-VT-4G", "2025-02-30", "=1+1", "  "]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=8,
)
_SITE_FIELDS = [*get_schema("sites").field_names, "lon", "lat"]
_CELL_FIELDS = get_schema("cells").field_names
_CELL = st.dictionaries(st.sampled_from([*_CELL_FIELDS, "junk"]), _ANY_JSON, max_size=5).map(
    lambda c: {"cell_id": "FZ-1", "operator": "Viettel", "tech": "4G"} | c
)
_BODY = st.one_of(
    _ANY_JSON,
    st.dictionaries(st.sampled_from([*_SITE_FIELDS, "junk"]), _ANY_JSON, max_size=5).map(
        lambda b: {"site_id": "FZ", "lon": lonlat(0, 8000)[0], "lat": lonlat(0, 8000)[1]} | b
    ),
    st.fixed_dictionaries({"cells": st.lists(_CELL, max_size=2)}, optional={"status": _ANY_JSON}),
)


@pytest.fixture(scope="module")
def fuzz_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, str]]:
    ws = make_workspace(tmp_path_factory.mktemp("fuzz") / "ws")
    _, secret = add_key(ws, "fuzz", "admin")
    with make_client(ws) as client:
        yield client, secret


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    method=st.sampled_from(["POST", "PATCH", "DELETE"]),
    site_id=st.sampled_from(["S1", "S2", "FZ", "nope"]),
    body=_BODY,
    stale=st.booleans(),
)
def test_fuzzed_site_edits_never_fail_with_500(
    fuzz_client: tuple[TestClient, str], method: str, site_id: str, body: Any, stale: bool
) -> None:
    client, secret = fuzz_client
    etag = '"rev-0"' if stale else current_etag(client)
    url = "/v1/sites" if method == "POST" else f"/v1/sites/{site_id}"
    content = json.dumps(body, allow_nan=True)  # NaN and Infinity too, as a hostile client sends them
    headers = {"X-API-Key": secret, "If-Match": etag, "Content-Type": "application/json"}
    response = client.request(method, url, content=content, headers=headers)
    assert response.status_code < 500, response.text
    assert response.status_code in (200, 201, 400, 404, 409, 412, 422), response.text
    if response.status_code >= 400:
        assert set(response.json()["error"]) >= {"status", "type", "message", "field"}
