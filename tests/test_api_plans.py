"""Plans over HTTP: who may run one, the background job, each table in each format, errors.

The tiny workspace (tests/conftest.py) has one mobile gap (V2, closed by activating the
planned site S2) and one FTTH gap (V2, a straight-line fiber branch F001 to the backbone):
a plan of every gap has one site, one fiber connection and two actions.
"""

from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from coverage_gis.access import add_key
from coverage_gis.site_edits import edit_from_mapping
from coverage_gis.workspace import Workspace
from coverage_gis_api.models import ErrorBody
from coverage_gis_api.models_plans import PlanList, PlanSiteEdits, PlanStatus, PlanTable

from .test_api_read import make_client, make_workspace


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    return make_workspace(tmp_path / "ws")


@pytest.fixture
def keys(ws: Workspace) -> dict[str, dict[str, str]]:
    return {
        role: {"X-API-Key": add_key(ws, role, role)[1]} for role in ("planner", "admin", "operator:Viettel")
    }


@pytest.fixture
def client(ws: Workspace, keys: dict[str, dict[str, str]]) -> Iterator[TestClient]:
    with make_client(ws) as c:
        yield c


def wait(client: TestClient, plan_id: str, *, timeout_s: float = 60.0) -> dict[str, Any]:
    """Poll the plan until it is done or failed; every answer must match PlanStatus."""
    deadline = time.monotonic() + timeout_s
    while True:
        response = client.get(f"/v1/plans/{plan_id}")
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        PlanStatus.model_validate(body)
        assert 0.0 <= body["progress"] <= 1.0
        if body["state"] in ("done", "failed"):
            return body
        assert time.monotonic() < deadline, body
        time.sleep(0.05)


def error(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = ErrorBody.model_validate(response.json()).error.model_dump()
    return body


def test_only_planner_and_admin_keys_run_plans(client: TestClient, keys: dict[str, dict[str, str]]) -> None:
    assert error(client.post("/v1/plans", json={}), 401)["type"] == "Unauthorized"
    refused = error(client.post("/v1/plans", json={}, headers=keys["operator:Viettel"]), 403)
    assert "planner or admin" in refused["message"]
    for role in ("planner", "admin"):
        accepted = client.post("/v1/plans", json={"max_sites": 1}, headers=keys[role])
        assert accepted.status_code == 202, accepted.text
        status = PlanStatus.model_validate(accepted.json())
        assert accepted.headers["Location"] == f"/v1/plans/{status.id}"
        assert wait(client, status.id)["state"] == "done"


def test_bad_requests_name_the_field(client: TestClient, keys: dict[str, dict[str, str]]) -> None:
    planner = keys["planner"]
    assert (
        error(client.post("/v1/plans", json={"budget_vnd": -1}, headers=planner), 422)["field"]
        == "budget_vnd"
    )
    assert error(client.post("/v1/plans", json={"colour": "red"}, headers=planner), 422)["field"] == "colour"
    assert (
        error(client.post("/v1/plans", json={"operator": "Other"}, headers=planner), 422)["field"]
        == "operator"
    )
    assert error(client.post("/v1/plans", json={"only": "both"}, headers=planner), 422)["field"] == "only"
    unknown = error(client.post("/v1/plans", json={"target": "no-such-plan"}, headers=planner), 422)
    assert unknown["field"] == "target"
    assert error(client.get("/v1/plans/p0123456789abcdef"), 404)["type"] == "NotFound"
    assert error(client.get("/v1/plans/p0123456789abcdef/sites"), 404)["type"] == "NotFound"
    assert client.get("/v1/plans/not-a-plan-id").status_code == 422


def test_plan_runs_to_done_and_serves_every_table(
    client: TestClient, keys: dict[str, dict[str, str]]
) -> None:
    etag = client.get("/health").headers["ETag"]
    body = {"annual_budget_vnd": 500_000_000, "target": "binh-dinh-2025"}
    submitted = client.post("/v1/plans", json=body, headers=keys["planner"])
    assert submitted.status_code == 202, submitted.text
    assert submitted.json()["state"] in ("queued", "running", "done")
    plan_id = submitted.json()["id"]
    status = wait(client, plan_id)
    assert status["state"] == "done", status
    assert status["progress"] == 1.0
    assert status["request"] == body
    assert status["error"] is None
    summary = status["summary"]
    assert summary["sites"] == 1
    assert summary["sites_by_kind"] == {"activate": 1}
    assert summary["fiber_branches"] == 1
    assert summary["gap_villages"] == {"ftth:closed": 1, "mobile:closed": 1}
    assert summary["kpis_after"]["villages_mobile_pct"] == 100.0
    assert set(status["links"]) == {
        "site-edits",
        "sites",
        "fiber",
        "connections",
        "villages",
        "actions",
        "curve",
    }
    assert client.get(f"/v1/plans/{plan_id}").headers["ETag"] == etag
    listed = client.get("/v1/plans").json()
    PlanList.model_validate(listed)
    assert plan_id in [item["id"] for item in listed["items"]]

    # JSON: records with lon/lat of each feature.
    sites = client.get(f"/v1/plans/{plan_id}/sites")
    assert sites.headers["ETag"] == etag
    table = PlanTable.model_validate(sites.json())
    assert (table.total, table.items[0]["site_id"], table.items[0]["kind"]) == (1, "S2", "activate")
    assert {"lon", "lat"} <= set(table.items[0])
    actions = client.get(f"/v1/plans/{plan_id}/actions").json()
    assert [a["action"] for a in actions["items"]] == ["site", "fiber"]
    assert [a["year"] for a in actions["items"]] == [1, 3]  # 200 M, then 200 M + 862 M > 1,000 M
    curve = client.get(f"/v1/plans/{plan_id}/curve").json()
    assert [row["step"] for row in curve["items"]] == [0, 1, 2]

    # GeoJSON for the map's proposed layer: points for sites, lines for fiber.
    geo = client.get(f"/v1/plans/{plan_id}/sites", params={"format": "geojson"})
    assert geo.headers["content-type"].startswith("application/geo+json")
    assert [f["geometry"]["type"] for f in geo.json()["features"]] == ["Point"]
    fiber = client.get(f"/v1/plans/{plan_id}/fiber", params={"format": "geojson"}).json()
    assert {f["geometry"]["type"] for f in fiber["features"]} == {"LineString"}
    assert {f["properties"]["class"] for f in fiber["features"]} == {"access"}
    no_geometry = error(client.get(f"/v1/plans/{plan_id}/curve", params={"format": "geojson"}), 422)
    assert no_geometry["field"] == "format"

    # CSV and XLSX (Vietnamese headers by default, English on request).
    body = client.get(f"/v1/plans/{plan_id}/villages", params={"format": "csv"}).content
    assert body.startswith("\ufeff".encode())  # a byte-order mark: Excel reads the diacritics
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    assert sorted((r["village_id"], r["kind"], r["status"]) for r in rows) == [
        ("V2", "ftth", "closed"),
        ("V2", "mobile", "closed"),
    ]
    xlsx = client.get(f"/v1/plans/{plan_id}/actions", params={"format": "xlsx"})
    assert xlsx.headers["content-type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(xlsx.content))["Trình tự đầu tư"]
    assert sheet.freeze_panes == "A2"
    assert [c.value for c in sheet[1]][:3] == ["Bước", "Hạng mục", "Mã"]
    english = client.get(f"/v1/plans/{plan_id}/sites", params={"format": "xlsx", "lang": "en"})
    assert [c.value for c in load_workbook(io.BytesIO(english.content))["Proposed sites"][1]][:2] == [
        "Candidate id",
        "Kind",
    ]

    # The site-edit batch is one that the library reads back.
    edits = client.get(f"/v1/plans/{plan_id}/site-edits")
    PlanSiteEdits.model_validate(edits.json())
    (edit,) = [edit_from_mapping(e, source="api") for e in edits.json()]
    assert (edit.op, edit.site_id, edit.site) == ("update", "S2", {"status": "on_air"})
    assert json.loads(edits.text)[0]["cell_changes"]


def test_a_failing_plan_reports_failed_with_its_message(
    client: TestClient, ws: Workspace, keys: dict[str, dict[str, str]]
) -> None:
    (ws.path / "roads.osm").write_text("<osm><node id='1' lat='x'/>", encoding="utf-8")
    submitted = client.post("/v1/plans", json={}, headers=keys["admin"])
    assert submitted.status_code == 202, submitted.text
    status = wait(client, submitted.json()["id"])
    assert status["state"] == "failed"
    assert status["summary"] is None
    assert status["links"] == {}
    assert status["error"]["type"] == "LayerValidationError"
    assert "OSM XML road network" in status["error"]["message"]
    refused = error(client.get(f"/v1/plans/{status['id']}/sites"), 409)
    assert "failed" in refused["message"]


def test_openapi_documents_the_plan_models(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    post = spec["paths"]["/v1/plans"]["post"]
    assert post["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/PlanRequest")
    assert post["responses"]["202"]["content"]["application/json"]["schema"]["$ref"].endswith("/PlanStatus")
    table = spec["paths"]["/v1/plans/{plan_id}/{table}"]["get"]["responses"]["200"]["content"]
    assert table["application/json"]["schema"]["$ref"].endswith("/PlanTable")
    assert "application/geo+json" in table


def test_an_unexpected_error_is_reported_without_its_details(
    client: TestClient, keys: dict[str, dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("secret internals /etc/passwd")

    monkeypatch.setattr("coverage_gis_api.plan_jobs.make_plan", broken)
    submitted = client.post("/v1/plans", json={}, headers=keys["planner"])
    status = wait(client, submitted.json()["id"])
    assert status["state"] == "failed"
    assert status["error"]["type"] == "InternalError"
    assert "secret" not in status["error"]["message"]
    assert "server log" in status["error"]["message"]
