"""The measurement endpoints on the tiny network: challenges listed, decided over HTTP, speed KPIs.

Measurements (``tests/test_challenges.py``): V1's five Viettel 4G tests find no service
although the model covers it; V2's mobile and FTTH tests find service although the model
has neither. So three open challenges, ``ftth:V2``, ``mobile:V2``, ``mobile:V1`` (open
first, then by population: V2 has 200 people, V1 100). Province KPIs: 2 of 3 villages
have mobile broadband (66.7 %); accepting V1's challenge leaves 1 of 3 (33.3 %).

Speed: 15 mobile tests in the province (V1's five at 0, V2's five at 20, V3's five at
35 Mb/s) and five fixed ones at 100 Mb/s; with ``min_tests`` 12 the mobile median is the
8th of the 15 sorted values, 20 Mb/s, and the fixed row has too few tests.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import mapbox_vector_tile
import pandas as pd
import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from coverage_gis.access import ANONYMOUS, Principal, add_key, check_challenge_decision
from coverage_gis.cli import main
from coverage_gis.errors import PermissionDenied
from coverage_gis.messages import header
from coverage_gis.tiles import tile_for_lonlat
from coverage_gis.workspace import Workspace
from coverage_gis_api.models_measurements import ChallengePage, DecisionOut, SpeedReport
from coverage_gis_api.routes_measurements import CHALLENGE_TABLE_COLUMNS

from .test_api_contract import check
from .test_api_read import current_etag, lonlat, make_client, make_workspace
from .test_challenges import challenge_tests

ROLES = ("planner", "operator:Viettel", "admin")


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    ws = make_workspace(tmp_path / "ws")
    ws.write_layers({"speed_tests": challenge_tests()}, source="challenge fixture")
    ws.update_config(speed={"min_tests": 12})
    return ws


@pytest.fixture
def keys(ws: Workspace) -> dict[str, str]:
    return {role: add_key(ws, f"key {role}", role)[1] for role in ROLES}


@pytest.fixture
def client(ws: Workspace, keys: dict[str, str]) -> Iterator[TestClient]:
    with make_client(ws) as c:
        yield c


def _province(client: TestClient) -> dict[str, Any]:
    (row,) = client.get("/v1/kpis", params={"level": "province"}).json()["items"]
    return dict(row)


def _decide(client: TestClient, verb: str, village: str, key: str, etag: str | None, **body: Any) -> Any:
    headers = {"X-API-Key": key} | ({"If-Match": etag} if etag is not None else {})
    return client.post(
        f"/v1/challenges/{village}/{verb}", json={"reason": "đo kiểm 3/2025"} | body, headers=headers
    )


def test_planners_and_admins_decide_challenges() -> None:
    for role in ("planner", "admin"):
        check_challenge_decision(Principal("k1", "x", role))
    for who in (Principal("k2", "vt", "operator:Viettel"), ANONYMOUS):
        with pytest.raises(PermissionDenied, match="may not decide challenges; a planner or admin key may"):
            check_challenge_decision(who)


def test_challenges_are_listed_filtered_and_exported(client: TestClient) -> None:
    response = client.get("/v1/challenges")
    assert response.status_code == 200
    check(client, response)
    page = ChallengePage.model_validate(response.json())
    assert [c.challenge_id for c in page.items] == ["ftth:V2", "mobile:V2", "mobile:V1"]
    assert (page.total, page.limit, page.offset) == (3, None, 0)  # all by default: the map draws them all
    assert list(response.json()["items"][0]) == list(CHALLENGE_TABLE_COLUMNS)
    v1 = page.items[2]
    assert (v1.claim, v1.model_value, v1.measured_value, v1.tests, v1.status) == (
        "no_service",
        True,
        False,
        5,
        "open",
    )
    assert (v1.province_code, v1.commune_code, v1.commune_2025) == ("99", "99901", "99800")
    assert response.headers["ETag"] == current_etag(client)

    def ids(**params: Any) -> list[str]:
        return [c["challenge_id"] for c in client.get("/v1/challenges", params=params).json()["items"]]

    assert ids(kind="mobile") == ["mobile:V2", "mobile:V1"]
    assert ids(kind="ftth", status="open") == ["ftth:V2"]
    assert ids(status="accepted") == []
    assert ids(province_code="99", limit=1, offset=2) == ["mobile:V1"]
    assert ids(limit=2) == ["ftth:V2", "mobile:V2"]
    assert client.get("/v1/challenges", params={"limit": 0}).status_code == 422
    assert ids(district_code="000") == []
    assert ids(commune_2025="99800") == ["ftth:V2", "mobile:V2", "mobile:V1"]
    west, south = lonlat(500, -500)
    east, north = lonlat(1500, 500)
    assert ids(bbox=f"{west},{south},{east},{north}") == ["mobile:V1"]
    assert client.get("/v1/challenges", params={"status": "maybe"}).status_code == 422

    geo = client.get("/v1/challenges", params={"format": "geojson", "kind": "mobile"})
    assert geo.headers["content-type"].startswith("application/geo+json")
    features = geo.json()["features"]
    assert [f["properties"]["village_id"] for f in features] == ["V2", "V1"]
    assert features[1]["geometry"]["coordinates"] == pytest.approx(list(lonlat(1000, 0)))
    table = pd.read_csv(io.BytesIO(client.get("/v1/challenges", params={"format": "csv"}).content))
    assert table["challenge_id"].tolist() == ["ftth:V2", "mobile:V2", "mobile:V1"]
    book = load_workbook(io.BytesIO(client.get("/v1/challenges", params={"format": "xlsx"}).content))
    # Spreadsheet headers are the catalogue's, Vietnamese by default.
    expected = [header(c, "vi") for c in CHALLENGE_TABLE_COLUMNS]
    assert [c.value for c in next(book.active.iter_rows(max_row=1))] == expected


def test_a_challenge_accepted_through_the_api_changes_the_kpi_and_history(
    client: TestClient, ws: Workspace, keys: dict[str, str]
) -> None:
    assert _province(client)["villages_mobile_bb_pct"] == pytest.approx(200 / 3)
    etag = current_etag(client)
    revision = int(etag.strip('"').split("-")[1])

    refused = _decide(client, "accept", "V1", keys["operator:Viettel"], etag)
    assert refused.status_code == 403
    check(client, refused, "POST")
    assert "may not decide challenges" in refused.json()["error"]["message"]
    assert _decide(client, "accept", "V1", keys["planner"], '"rev-0"').status_code == 412
    assert _decide(client, "accept", "V1", keys["planner"], None).status_code == 428
    assert client.post("/v1/challenges/V1/accept", json={"reason": "x"}).status_code == 401
    assert _decide(client, "accept", "V1", keys["planner"], etag, reason="  ").status_code == 422
    assert _decide(client, "accept", "V1", keys["planner"], etag, kind="5g").status_code == 422
    assert _decide(client, "accept", "V3", keys["planner"], etag).status_code == 404  # no challenge there
    assert current_etag(client) == etag  # nothing was written

    accepted = _decide(client, "accept", "V1", keys["planner"], etag, reason="đo kiểm 3/2025: không có sóng")
    assert accepted.status_code == 200, accepted.text
    check(client, accepted, "POST")  # the model its OpenAPI entry declares
    body = DecisionOut.model_validate(accepted.json())
    assert body.revision == revision + 1
    assert accepted.headers["ETag"] == body.etag == f'"rev-{revision + 1}"' == current_etag(client)
    assert (body.challenge_id, body.decision, body.status_before, body.status_after) == (
        "mobile:V1",
        "accepted",
        True,
        False,
    )
    assert body.kpi_before["villages_mobile_bb_pct"] == pytest.approx(200 / 3)
    assert body.kpi_after["villages_mobile_bb_pct"] == pytest.approx(100 / 3)
    assert body.kpi_delta["villages_mobile_bb_pct"] == pytest.approx(-100 / 3)
    assert body.challenge is not None
    assert (body.challenge.status, body.challenge.decided_by) == ("accepted", "api:key planner (planner)")
    assert body.dirty_bbox == pytest.approx([*lonlat(1000, 0), *lonlat(1000, 0)])

    # The village, the KPIs, the gap list, the challenge list and the history moved on.
    village = client.get("/v1/villages/V1").json()
    assert (village["mobile_bb"], village["override"], village["mobile_gap_reason"]) == (
        False,
        "mobile",
        "measured_no_service",
    )
    assert _province(client)["villages_mobile_bb_pct"] == pytest.approx(100 / 3)
    gaps = {g["id"]: g["reason"] for g in client.get("/v1/gaps", params={"kind": "mobile"}).json()["items"]}
    assert gaps["V1"] == "measured_no_service"
    listed = client.get("/v1/challenges", params={"status": "accepted"}).json()["items"]
    assert [(c["challenge_id"], c["reason"], c["revision"]) for c in listed] == [
        ("mobile:V1", "đo kiểm 3/2025: không có sóng", revision + 1)
    ]
    latest = client.get("/v1/revisions").json()["items"][0]
    assert latest["revision"] == revision + 1
    assert latest["author"] == "api:key planner (planner)"
    assert latest["summary"] == "accept mobile challenge at V1 (thôn 1): đo kiểm 3/2025: không có sóng"
    assert latest["changed_ids"] == ["V1"]
    history = client.get("/v1/kpis/history", params={"level": "province"}).json()["items"]
    assert history[-1]["kpis"][0]["villages_mobile_bb_pct"] == pytest.approx(100 / 3)

    # The ETag of before the decision is stale now; an admin rejects with the new one.
    assert _decide(client, "reject", "V2", keys["admin"], etag).status_code == 412
    rejected = _decide(client, "reject", "V2", keys["admin"], body.etag, kind="ftth")
    assert rejected.status_code == 200, rejected.text
    assert (rejected.json()["status_before"], rejected.json()["status_after"]) == (False, False)
    assert client.get("/v1/villages/V2").json()["ftth"] is False
    statuses = {c["challenge_id"]: c["status"] for c in client.get("/v1/challenges").json()["items"]}
    assert statuses == {"ftth:V2": "rejected", "mobile:V2": "open", "mobile:V1": "accepted"}


def test_an_ftth_decision_refreshes_the_ftth_gap_list(client: TestClient, keys: dict[str, str]) -> None:
    """A site edit keeps the cached FTTH gap list; a decision on FTTH must not."""
    assert "V2" in {g["id"] for g in client.get("/v1/gaps", params={"kind": "ftth"}).json()["items"]}
    response = _decide(client, "accept", "V2", keys["admin"], current_etag(client), kind="ftth")
    assert response.status_code == 200, response.text
    assert client.get("/v1/villages/V2").json()["ftth"] is True
    assert "V2" not in {g["id"] for g in client.get("/v1/gaps", params={"kind": "ftth"}).json()["items"]}
    assert _province(client)["villages_ftth_pct"] == pytest.approx(100.0)


def test_a_decision_invalidates_the_tiles_of_its_village(client: TestClient, keys: dict[str, str]) -> None:
    z = 12
    x, y = tile_for_lonlat(*lonlat(1000, 0), z)
    far = tile_for_lonlat(105.85, 21.03, z)

    def v1_mobile() -> object:
        tile = client.get(f"/tiles/villages/{z}/{x}/{y}.mvt")
        decoded = mapbox_vector_tile.decode(tile.content, default_options={"y_coord_down": True})
        (v1,) = [f for f in decoded["villages"]["features"] if f["properties"]["village_id"] == "V1"]
        return v1["properties"]["mobile_bb"]

    assert v1_mobile() in (True, 1)
    client.get(f"/tiles/villages/{z}/{far[0]}/{far[1]}.mvt")
    before = client.get("/tiles/cache-stats").json()
    assert before["entries"] == 2
    assert _decide(client, "accept", "V1", keys["planner"], current_etag(client)).status_code == 200
    after = client.get("/tiles/cache-stats").json()
    assert after["invalidated"] == before["invalidated"] + 1  # the tile with V1, not the far one
    assert after["entries"] == 1
    assert v1_mobile() in (False, 0)


def test_overrides_reach_the_exports_and_survive_compute(
    client: TestClient, ws: Workspace, keys: dict[str, str]
) -> None:
    assert _decide(client, "accept", "V1", keys["planner"], current_etag(client)).status_code == 200

    def exported() -> dict[str, tuple[str, bool]]:
        csv = pd.read_csv(io.BytesIO(client.get("/v1/villages", params={"format": "csv"}).content))
        assert "override" in csv.columns
        return {
            str(r.village_id): ("" if pd.isna(r.override) else str(r.override), bool(r.mobile_bb))
            for r in csv.itertuples()
        }

    assert exported() == {"V1": ("mobile", False), "V2": ("", False), "V3": ("", True)}
    xlsx = client.get("/v1/villages", params={"format": "xlsx"})
    assert xlsx.status_code == 200
    rows = list(load_workbook(io.BytesIO(xlsx.content)).active.iter_rows(values_only=True))
    header = list(rows[0])  # Vietnamese headers by default: village_id, override
    by_id = {row[header.index("Mã thôn")]: row[header.index("Theo đo kiểm")] for row in rows[1:]}
    assert by_id["V1"] == "mobile"
    assert by_id["V3"] in ("", None)

    # A full recompute by the CLI (another process, as far as the server knows) keeps it.
    assert main(["compute", str(ws.path)]) == 0
    assert exported() == {"V1": ("mobile", False), "V2": ("", False), "V3": ("", True)}
    assert client.get("/v1/revisions").json()["items"][0]["summary"].startswith("full recompute")
    assert _province(client)["villages_mobile_bb_pct"] == pytest.approx(100 / 3)


def test_speed_kpis(client: TestClient) -> None:
    response = client.get("/v1/speed")
    assert response.status_code == 200
    check(client, response)
    report = SpeedReport.model_validate(response.json())
    assert response.headers["ETag"] == current_etag(client)
    assert report.settings.min_tests == 12
    rows = {(u.kind, u.tech, u.operator): u for u in report.units}
    assert set(rows) == {("mobile", "all", "all"), ("fixed", "all", "all")}
    mobile = rows[("mobile", "all", "all")]
    assert (mobile.code, mobile.tests, mobile.status) == ("99", 15, "ok")
    assert mobile.download_median_mbps == pytest.approx(20.0)
    assert mobile.download_ci_low_mbps is not None
    assert mobile.download_ci_high_mbps is not None
    assert mobile.download_ci_low_mbps <= 20.0 <= mobile.download_ci_high_mbps
    fixed = rows[("fixed", "all", "all")]
    assert (fixed.tests, fixed.status, fixed.download_median_mbps) == (5, "insufficient_data", None)

    detail = client.get("/v1/speed", params={"detail": "true", "kind": "mobile"}).json()["units"]
    assert {(u["tech"], u["operator"]) for u in detail} == {
        ("all", "all"),
        ("4G", "all"),
        ("all", "Viettel"),
        ("all", "VNPT"),
        ("4G", "Viettel"),
        ("4G", "VNPT"),
    }
    communes = client.get("/v1/speed", params={"level": "commune_2025", "code": "99800"}).json()
    assert {u["code"] for u in communes["units"]} == {"99800"}
    assert client.get("/v1/speed", params={"level": "district", "code": "nope"}).json()["units"] == []
    assert client.get("/v1/speed", params={"plan": "no-such-plan"}).status_code == 404
    assert client.get("/v1/speed", params={"level": "hamlet"}).status_code == 422
