"""Site edits over HTTP: ETag / If-Match, incremental results, all-or-nothing writes.

The fixture's V2 (6 km east of S1) has no mobile broadband; a Viettel 4G site at
(6000, 1000) serves it (rural 4G radius 5 km) and nothing else changes.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from coverage_gis.access import add_key
from coverage_gis.live import ChangeResult, LiveWorkspace
from coverage_gis.workspace import Workspace

from .conftest import workspace_digest
from .test_api_read import current_etag, lonlat, make_client

pytestmark = pytest.mark.backends


@pytest.fixture
def ws(api_ws: Workspace) -> Workspace:
    return api_ws


@pytest.fixture
def admin_key(ws: Workspace) -> str:
    return add_key(ws, "lead", "admin")[1]


@pytest.fixture
def client(ws: Workspace, admin_key: str) -> Iterator[TestClient]:
    with make_client(ws) as c:
        yield c


def new_site(
    site_id: str = "S3", *cells: dict[str, Any], at_m: tuple[float, float] = (6000, 1000)
) -> dict[str, Any]:
    lon, lat = lonlat(*at_m)
    return {
        "site_id": site_id,
        "name": "Trạm Vĩnh Kim",
        "lon": lon,
        "lat": lat,
        "commissioned": "2025-06-30",
        "cells": list(cells) or [{"cell_id": f"{site_id}-VT-4G", "operator": "Viettel", "tech": "4G"}],
    }


def test_etag_if_match_flow(client: TestClient, admin_key: str) -> None:
    etag = current_etag(client)
    key = {"X-API-Key": admin_key}
    ftth_before = client.get("/v1/gaps", params={"kind": "ftth"}).json()

    missing = client.post("/v1/sites", json=new_site(), headers=key)
    assert missing.status_code == 428
    assert missing.json()["error"]["field"] == "If-Match"

    created = client.post("/v1/sites", json=new_site(), headers=key | {"If-Match": etag})
    assert created.status_code == 201, created.text
    body = created.json()
    old_revision = int(etag.strip('"').removeprefix("rev-"))
    assert body["revision"] == old_revision + 1
    assert created.headers["ETag"] == f'"rev-{body["revision"]}"' == body["etag"]
    assert created.headers["Location"] == "/v1/sites/S3"
    assert body["changed_village_ids"] == ["V2"]
    assert body["gained_mobile"] == ["V2"]
    assert body["lost_mobile"] == []
    assert body["kpi_before"]["villages_mobile_bb"] == 2
    assert body["kpi_after"]["villages_mobile_bb"] == 3
    assert body["kpi_delta"]["villages_mobile_bb_pct"] == pytest.approx(100 / 3)
    assert body["site"]["cells"][0]["cell_id"] == "S3-VT-4G"
    assert body["site"]["commissioned"] == "2025-06-30"

    # The old ETag is stale now; reads carry the new one and show the change.
    stale = client.patch("/v1/sites/S3", json={"name": "x"}, headers=key | {"If-Match": etag})
    assert stale.status_code == 412
    assert stale.json()["error"]["type"] == "StaleRevision"
    assert client.get("/v1/sites/S3").headers["ETag"] == created.headers["ETag"]
    assert client.get("/v1/villages/V2").json()["mobile_bb"] is True
    assert client.get("/v1/gaps", params={"kind": "mobile"}).json()["total"] == 0
    assert client.get("/v1/gaps", params={"kind": "ftth"}).json() == ftth_before  # fiber only
    assert client.get("/v1/kpis").json()["items"][0]["villages_mobile_bb"] == 3
    revisions = client.get("/v1/revisions").json()["items"]
    assert revisions[0]["changed_ids"] == ["S3"]
    assert revisions[0]["author"] == "api:lead (admin)"

    # Switch the cell off (full replacement of the cell list): V2 loses coverage again.
    etag = created.headers["ETag"]
    patch = {"cells": [{"cell_id": "S3-VT-4G", "operator": "Viettel", "tech": "4G", "status": "planned"}]}
    changed = client.patch("/v1/sites/S3", json=patch, headers=key | {"If-Match": etag})
    assert changed.status_code == 200, changed.text
    assert changed.json()["lost_mobile"] == ["V2"]
    assert changed.json()["site"]["cells"][0]["status"] == "planned"

    removed = client.delete("/v1/sites/S3", headers=key | {"If-Match": changed.headers["ETag"]})
    assert removed.status_code == 200, removed.text
    assert removed.json()["changed_site_ids"] == ["S3"]
    assert removed.json()["site"] is None
    assert client.get("/v1/sites/S3").status_code == 404
    # If-Match compares strongly: a weak tag never matches; any strong tag of a list may.
    current = removed.headers["ETag"]
    weak = client.delete("/v1/sites/S2", headers=key | {"If-Match": "W/" + current})
    assert weak.status_code == 412
    assert "weak tags never match" in weak.json()["error"]["message"]
    listed = client.delete("/v1/sites/S2", headers=key | {"If-Match": f'"rev-0", W/{current}, {current}'})
    assert listed.status_code == 200, listed.text


def test_patch_site_fields_and_move(client: TestClient, admin_key: str) -> None:
    headers = {"X-API-Key": admin_key, "If-Match": current_etag(client)}
    lon, lat = lonlat(6000, 0)
    moved = client.patch("/v1/sites/S2", json={"status": "on_air", "lon": lon, "lat": lat}, headers=headers)
    assert moved.status_code == 200, moved.text
    assert moved.json()["site"]["status"] == "on_air"
    assert moved.json()["site"]["lon"] == pytest.approx(lon)
    # The site is on air but its cell is still planned: nothing radiates yet.
    assert moved.json()["gained_mobile"] == []
    cell = {"cell_id": "S2-VT-4G", "operator": "Viettel", "tech": "4G", "status": "on_air"}
    switched = client.patch(
        "/v1/sites/S2", json={"cells": [cell]}, headers=headers | {"If-Match": moved.headers["ETag"]}
    )
    assert switched.status_code == 200, switched.text
    assert switched.json()["gained_mobile"] == ["V2"]
    nothing = client.patch("/v1/sites/S2", json={}, headers=headers | {"If-Match": switched.headers["ETag"]})
    assert nothing.status_code == 422


def test_patch_without_cells_keeps_the_cells(client: TestClient, admin_key: str) -> None:
    headers = {"X-API-Key": admin_key, "If-Match": current_etag(client)}
    response = client.patch("/v1/sites/S1", json={"name": "Trạm gốc"}, headers=headers)
    assert response.status_code == 200, response.text
    assert response.json()["site"]["name"] == "Trạm gốc"
    assert len(response.json()["site"]["cells"]) == 3
    assert client.get("/v1/villages/V1").json()["mobile_bb"] is True


def test_invalid_second_cell_leaves_workspace_unchanged(
    client: TestClient, ws: Workspace, admin_key: str
) -> None:
    before, etag = workspace_digest(ws), current_etag(client)
    headers = {"X-API-Key": admin_key, "If-Match": etag}
    good = {"cell_id": "S3-a", "operator": "Viettel", "tech": "4G"}
    # Rejected by the request model...
    bad = client.post(
        "/v1/sites",
        json=new_site("S3", good, {"cell_id": "S3-b", "operator": "Viettel", "tech": "6G"}),
        headers=headers,
    )
    assert bad.status_code == 422
    assert bad.json()["error"]["field"] == "cells.1.tech"
    # ... and by the engine (the 2nd cell's id is taken by S1), after the model passed it.
    taken = client.post(
        "/v1/sites",
        json=new_site("S3", good, {"cell_id": "S1-VT-4G", "operator": "Viettel", "tech": "4G"}),
        headers=headers,
    )
    assert taken.status_code == 409
    assert workspace_digest(ws) == before
    assert current_etag(client) == etag
    assert client.get("/v1/sites/S3").status_code == 404


def test_engine_failing_mid_write_leaves_workspace_unchanged(
    client: TestClient, ws: Workspace, admin_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    before, etag = workspace_digest(ws), current_etag(client)
    headers = {"X-API-Key": admin_key, "If-Match": etag}

    def fail(*_args: Any, **_kwargs: Any) -> int:
        raise RuntimeError("disk on fire at /secret/path")

    # The rows of sites, cells and coverage are written; the revision row fails.
    monkeypatch.setattr(f"{type(ws.storage).__module__}._RowEditor.append_revision", fail)
    response = client.post("/v1/sites", json=new_site(), headers=headers)
    assert response.status_code == 500
    assert "secret" not in response.text
    assert "Traceback" not in response.text
    assert workspace_digest(ws) == before
    assert current_etag(client) == etag
    assert client.get("/v1/sites/S3").status_code == 404
    assert client.get("/v1/villages/V2").json()["mobile_bb"] is False
    assert Workspace.open(ws.location).revision == int(etag.strip('"').removeprefix("rev-"))

    monkeypatch.undo()
    assert client.post("/v1/sites", json=new_site(), headers=headers).status_code == 201


def test_change_listeners_hear_each_write(client: TestClient, admin_key: str) -> None:
    heard: list[ChangeResult] = []
    ctx = client.app.state.ctx  # type: ignore[attr-defined]
    ctx.change_listeners.append(heard.append)
    ctx.change_listeners.append(lambda _change: 1 / 0)  # a broken listener does not fail the write
    headers = {"X-API-Key": admin_key, "If-Match": current_etag(client)}
    assert client.post("/v1/sites", json=new_site(), headers=headers).status_code == 201
    (change,) = heard
    assert change.changed_site_ids == ("S3",)
    assert change.dirty_bbox is not None


def test_writes_by_another_process_are_seen(client: TestClient, ws: Workspace, admin_key: str) -> None:
    etag = current_etag(client)
    other = LiveWorkspace.open(ws.location)  # e.g. `covgis sites add` while the server runs
    other.add_site(
        {"site_id": "S9", "lon": lonlat(0, -3000)[0], "lat": lonlat(0, -3000)[1]}, [], author="cli"
    )
    assert current_etag(client) != etag
    assert client.get("/v1/sites/S9").status_code == 200
    stale = client.delete("/v1/sites/S9", headers={"X-API-Key": admin_key, "If-Match": etag})
    assert stale.status_code == 412


@pytest.mark.parametrize(
    ("field", "literal"),
    [
        ("cells.0.range_m", "Infinity"),
        ("cells.0.range_m", "1e308"),
        ("cells.0.eirp_dbm", "NaN"),
        ("height_m", "-Infinity"),
        ("lon", "NaN"),
    ],
)
def test_non_finite_and_absurd_numbers_are_refused(
    client: TestClient, admin_key: str, field: str, literal: str
) -> None:
    """JSON from a hostile client may carry Infinity, NaN or 1e308: 422 naming the field, nothing written."""
    body = new_site()
    marker = 123456.5
    if field.startswith("cells.0."):
        body["cells"][0][field.removeprefix("cells.0.")] = marker
    else:
        body[field] = marker
    text = json.dumps(body).replace(str(marker), literal)
    etag = current_etag(client)
    headers = {"X-API-Key": admin_key, "If-Match": etag, "Content-Type": "application/json"}
    response = client.post("/v1/sites", content=text, headers=headers)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["field"] == field
    assert current_etag(client) == etag


def test_a_cell_posted_without_a_band_takes_its_technologys(
    client: TestClient, admin_key: str, ws: Workspace
) -> None:
    """A 2G and a 5G cell without ``band_mhz``. Fails if the API fills 1800 MHz for both (its
    own default) instead of each technology's usual band, as an import and the CLI do."""
    cells = [
        {"cell_id": "S3-VT-2G", "operator": "Viettel", "tech": "2G"},
        {"cell_id": "S3-VT-5G", "operator": "Viettel", "tech": "5G"},
        {"cell_id": "S3-VT-4G", "operator": "Viettel", "tech": "4G", "band_mhz": 900.0},
    ]
    headers = {"X-API-Key": admin_key, "If-Match": current_etag(client)}
    assert client.post("/v1/sites", json=new_site("S3", *cells), headers=headers).status_code == 201
    stored = Workspace.open(ws.location).read_layer("cells")
    bands = stored[stored["site_id"] == "S3"].set_index("cell_id")["band_mhz"].to_dict()
    assert bands == {"S3-VT-2G": 900.0, "S3-VT-5G": 3700.0, "S3-VT-4G": 900.0}
