"""Read endpoints of the query API on the 3-village, 2-site fixture (answers from conftest).

V1 and V3 have mobile broadband (S1: Viettel + VNPT 4G, Viettel 2G) and FTTH; V2 has
neither (planned site S2 would serve it; fiber is 5 km away). One commune, province
"99" (2025: province "98", commune "99800").
"""

from __future__ import annotations

import csv
import gc
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pyogrio
import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from coverage_gis.workspace import Workspace
from coverage_gis_api.app import create_app
from coverage_gis_api.context import VILLAGE_COLUMNS
from coverage_gis_api.export import RowTable, records
from coverage_gis_api.settings import Settings

from .conftest import BACKENDS, api_workspace, at, make_workspace


# -- helpers shared by the API test modules ---------------------------------------------------
def make_client(ws: Workspace, **settings: Any) -> TestClient:
    """A client of an app on ``ws``; use it as a context manager (runs the lifespan)."""
    app = create_app(Settings(workspace=ws.url or ws.path, refresh_interval_s=0.0, **settings))
    return TestClient(app, raise_server_exceptions=False)


def current_etag(client: TestClient) -> str:
    response = client.get("/health")
    assert response.status_code == 200
    return str(response.headers["ETag"])


def lonlat(dx_m: float, dy_m: float) -> tuple[float, float]:
    point = at(dx_m, dy_m)
    return float(point.x), float(point.y)


# -- fixtures ---------------------------------------------------------------------------------
@pytest.fixture(scope="module", params=BACKENDS)
def client(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """A client of the read API on each backend (the same answers from both)."""
    for ws in api_workspace(request.param, tmp_path_factory.mktemp("read") / "ws", request):
        with make_client(ws) as c:
            yield c


def ids(body: dict[str, Any], key: str = "village_id") -> list[str]:
    return sorted(item[key] for item in body["items"])


# -- tests ------------------------------------------------------------------------------------
def test_health(client: TestClient) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["workspace"] == "ws"
    assert body["counts"] == {"villages": 3, "sites": 2, "cells": 4, "mobile_bb": 2, "ftth": 2}
    assert response.headers["ETag"] == f'"rev-{body["revision"]}"'


def test_villages_list_and_paging(client: TestClient) -> None:
    body = client.get("/v1/villages").json()
    assert body["total"] == 3
    assert ids(body) == ["V1", "V2", "V3"]
    v1 = next(v for v in body["items"] if v["village_id"] == "V1")
    assert v1["mobile_bb"] is True
    assert v1["operators"] == "Viettel,VNPT"
    assert v1["commune_name"] == "Xã Thử Nghiệm"
    assert v1["province_2025"] == "98"
    assert v1["admin_2025_method"] is None  # the fixture's commune does not say
    assert v1["lon"] == pytest.approx(lonlat(1000, 0)[0])

    page = client.get("/v1/villages", params={"limit": 1, "offset": 1})
    assert page.status_code == 200
    assert page.headers["X-Total-Count"] == "3"
    assert page.json()["total"] == 3
    assert [v["village_id"] for v in page.json()["items"]] == ["V2"]
    assert client.get("/v1/villages", params={"offset": 5}).json() == {
        "total": 3,
        "limit": 100,
        "offset": 5,
        "items": [],
    }


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"mobile": "false"}, ["V2"]),
        ({"mobile": "true", "ftth": "true"}, ["V1", "V3"]),
        ({"operator": "VNPT"}, ["V1", "V3"]),
        ({"operator": "MobiFone"}, []),
        ({"province_code": "99"}, ["V1", "V2", "V3"]),
        ({"district_code": "999", "commune_code": "99901"}, ["V1", "V2", "V3"]),
        ({"province_2025": "98", "commune_2025": "99800"}, ["V1", "V2", "V3"]),
        ({"bbox": "{:.6f},{:.6f},{:.6f},{:.6f}".format(*lonlat(500, -500), *lonlat(1500, 500))}, ["V1"]),
    ],
)
def test_village_filters(client: TestClient, params: dict[str, str], expected: list[str]) -> None:
    response = client.get("/v1/villages", params=params)
    assert response.status_code == 200, response.text
    assert ids(response.json()) == expected
    assert response.headers["X-Total-Count"] == str(len(expected))


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/v1/villages", {"province_2025": "99"}),
        ("/v1/villages", {"district_code": "123"}),
        ("/v1/gaps", {"commune_code": "00000"}),
        ("/v1/kpis", {"level": "district", "code": "123"}),
    ],
)
def test_unknown_admin_code_is_404(client: TestClient, path: str, params: dict[str, str]) -> None:
    """An admin code no unit of the workspace has is an error, not an empty success."""
    response = client.get(path, params=params)
    assert response.status_code == 404, response.text
    message = response.json()["error"]["message"]
    code = params.get("code") or next(iter(params.values()))
    assert repr(code) in message  # names the code it does not know


def test_village_by_id(client: TestClient) -> None:
    response = client.get("/v1/villages/V2")
    assert response.status_code == 200
    v2 = response.json()
    assert v2["name"] == "làng O2"
    assert v2["mobile_gap_reason"] == "planned_site_not_on_air"
    assert v2["ftth_gap_reason"] == "fiber_too_far"
    assert response.headers["ETag"].startswith('"rev-')
    missing = client.get("/v1/villages/V9")
    assert missing.status_code == 404
    assert missing.json()["error"]["type"] == "NotFound"


def test_pages_hold_the_tables_values(client: TestClient) -> None:
    """Village pages, single villages and KPI rows are picked from Arrow copies of their
    tables: every value must equal the table's own (nulls as null, the same field order)."""
    view = client.app.state.ctx.view()  # type: ignore[attr-defined]
    expected = json.loads(orjson.dumps(records(view.villages())))
    assert [list(row) for row in expected] == [list(VILLAGE_COLUMNS)] * len(expected)
    assert client.get("/v1/villages").json()["items"] == expected
    for row in expected:
        assert client.get(f"/v1/villages/{row['village_id']}").json() == row
    assert any(value is None for row in expected for value in row.values())  # nulls are covered
    # Rows keep their JSON once encoded; past the byte budget each page is encoded.
    rows = np.array([2, 0, 2, 1])
    memo = RowTable(view.villages())
    limit, RowTable.MEMO_BYTES = RowTable.MEMO_BYTES, 0
    try:
        plain = RowTable(view.villages())
        assert plain.json(rows) == plain.json(rows)
        assert not plain._encoded
    finally:
        RowTable.MEMO_BYTES = limit
    first, again = memo.json(rows), memo.json(rows)
    assert first == again == plain.json(rows) == orjson.dumps([expected[r] for r in rows])
    for level in ("province", "commune"):
        kpis = json.loads(orjson.dumps(records(view.kpis(level))))
        assert client.get("/v1/kpis", params={"level": level}).json()["items"] == kpis
        code = kpis[0]["code"]
        one = client.get("/v1/kpis", params={"level": level, "code": code, "offset": 0, "limit": 1})
        assert one.json()["items"] == kpis[:1]


def test_villages_csv_and_geojson(client: TestClient) -> None:
    response = client.get("/v1/villages", params={"format": "csv"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    # A file for Excel: a byte-order mark (diacritics survive), saved rather than shown.
    assert response.content.startswith("\ufeff".encode())
    assert response.headers["content-disposition"].startswith("attachment;")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [r["village_id"] for r in rows] == ["V1", "V2", "V3"]
    assert rows[1]["name"] == "làng O2"

    response = client.get("/v1/villages", params={"format": "geojson", "mobile": "false"})
    assert response.headers["content-type"].startswith("application/geo+json")
    collection = json.loads(response.content)
    assert collection["type"] == "FeatureCollection"
    (feature,) = collection["features"]
    assert feature["properties"]["village_id"] == "V2"
    assert feature["geometry"]["coordinates"][0] == pytest.approx(lonlat(6000, 0)[0])


def test_gaps_json(client: TestClient) -> None:
    body = client.get("/v1/gaps", params={"kind": "mobile"}).json()
    assert body["kind"] == "mobile"
    assert body["total"] == 1
    (gap,) = body["items"]
    assert gap["id"] == "V2"
    assert gap["recommendation"] == "put planned site S2 on air"
    assert gap["commune_2025"] == "99800"
    ftth = client.get("/v1/gaps", params={"kind": "ftth", "province_2025": "98"}).json()
    assert [g["id"] for g in ftth["items"]] == ["V2"]
    assert client.get("/v1/gaps", params={"kind": "ftth", "province_code": "01"}).status_code == 404
    assert client.get("/v1/gaps", params={"kind": "5g"}).json() == {"kind": "5g", "total": 0, "items": []}


def test_gaps_downloads_parse(client: TestClient, tmp_path: Path) -> None:
    response = client.get("/v1/gaps", params={"kind": "mobile", "format": "xlsx"})
    assert response.status_code == 200
    assert "attachment" in response.headers["content-disposition"]
    sheet = load_workbook(io.BytesIO(response.content), read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    header = list(rows[0])  # Vietnamese by default
    assert rows[1][header.index("Mã")] == "V2"
    assert rows[1][header.index("Tên")] == "làng O2"
    assert rows[1][header.index("Nguyên nhân")] == "Trạm quy hoạch chưa phát sóng"
    english = client.get("/v1/gaps", params={"kind": "mobile", "format": "xlsx", "lang": "en"})
    rows = list(load_workbook(io.BytesIO(english.content), read_only=True).active.iter_rows(values_only=True))
    assert rows[1][list(rows[0]).index("Reason")] == "Planned site not on air"

    response = client.get("/v1/gaps", params={"kind": "ftth", "format": "gpkg"})
    assert response.status_code == 200
    path = tmp_path / "gaps.gpkg"
    path.write_bytes(response.content)
    frame = pyogrio.read_dataframe(path)
    assert list(frame["id"]) == ["V2"]
    assert frame.crs.to_epsg() == 4326
    assert frame.geometry.iloc[0].x == pytest.approx(lonlat(6000, 0)[0])

    response = client.get("/v1/gaps", params={"kind": "mobile", "format": "geojson"})
    assert json.loads(response.content)["features"][0]["properties"]["id"] == "V2"
    response = client.get("/v1/gaps", params={"kind": "mobile", "format": "csv"})
    assert next(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))["reason"] == (
        "planned_site_not_on_air"  # codes unless a language is asked for
    )
    response = client.get("/v1/gaps", params={"kind": "mobile", "format": "csv", "lang": "vi", "sep": ";"})
    row = next(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert row["Nguyên nhân"] == "Trạm quy hoạch chưa phát sóng"


def test_kpis(client: TestClient) -> None:
    body = client.get("/v1/kpis").json()
    assert body["level"] == "province"
    (row,) = body["items"]
    assert row["code"] == "99"
    assert row["villages"] == 3
    assert row["villages_mobile_bb_pct"] == pytest.approx(200 / 3)
    new = client.get("/v1/kpis", params={"level": "commune_2025", "code": "99800"}).json()
    assert [r["code"] for r in new["items"]] == ["99800"]
    assert client.get("/v1/kpis", params={"level": "district", "code": "nope"}).status_code == 404

    response = client.get("/v1/kpis", params={"level": "commune", "format": "csv"})
    assert next(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))["code"] == "99901"
    response = client.get("/v1/kpis", params={"format": "xlsx"})
    rows = list(
        load_workbook(io.BytesIO(response.content), read_only=True).active.iter_rows(values_only=True)
    )
    header = [str(h) for h in rows[0]]
    assert rows[1][header.index("Số thôn")] == 3  # Vietnamese headers by default
    # Each KPI header's comment says what the column measures, in the sheet's language.
    book = load_workbook(io.BytesIO(response.content))
    notes = {c.value: c.comment.text for c in book.active[1] if c.comment is not None}
    assert notes["Dân số có băng rộng di động (%)"].startswith("population_mobile_bb_pct: tỷ lệ dân số")
    assert "Tổng điều tra 2009" in notes["Dân số có băng rộng di động (%)"]
    assert notes["Hộ có thể dùng FTTH (%)"].startswith("households_ftth_pct: tỷ lệ hộ có thể dùng FTTH")
    english = client.get("/v1/kpis", params={"format": "xlsx", "lang": "en"})
    sheet = load_workbook(io.BytesIO(english.content)).active
    notes = {c.value: c.comment.text for c in sheet[1] if c.comment is not None}
    assert any(note.startswith("population_mobile_bb_pct: population share") for note in notes.values())
    # CSV for scripts: column names first, each saying what it measures.
    csv_response = client.get("/v1/kpis", params={"format": "csv"})
    csv_header = next(csv.reader(io.StringIO(csv_response.content.decode("utf-8-sig"))))
    assert csv_header[:3] == ["level", "code", "name"]
    assert "villages: villages (thôn, làng, ấp, bản…) in the unit" in csv_header
    assert any(h.startswith("population_mobile_bb_pct: population share") for h in csv_header)


def test_kpis_limit(client: TestClient) -> None:
    """`limit`/`offset` page the units; X-Total-Count counts them all."""
    every = client.get("/v1/kpis", params={"level": "commune_2025"})
    codes = [r["code"] for r in every.json()["items"]]
    page = client.get("/v1/kpis", params={"level": "commune_2025", "limit": 1})
    assert [r["code"] for r in page.json()["items"]] == codes[:1]
    assert page.headers["X-Total-Count"] == str(len(codes))
    rest = client.get("/v1/kpis", params={"level": "commune_2025", "limit": 1, "offset": 1})
    assert [r["code"] for r in rest.json()["items"]] == codes[1:2]


def test_kpi_history_and_revisions(client: TestClient) -> None:
    history = client.get("/v1/kpis/history", params={"level": "province"}).json()["items"]
    assert len(history) >= 1
    assert history[-1]["kpis"][0]["code"] == "99"
    revisions = client.get("/v1/revisions").json()
    assert revisions["total"] == len(history)
    assert revisions["items"][0]["revision"] == history[-1]["revision"]
    assert set(revisions["items"][0]) >= {
        "revision",
        "time",
        "author",
        "summary",
        "changed_ids",
        "dirty_bbox",
    }


def test_scorecard(client: TestClient) -> None:
    # The fixture province "99" has no plan of its own: ask for one by id.
    assert client.get("/v1/scorecard").status_code == 404
    body = client.get("/v1/scorecard", params={"plan": "binh-dinh-2025"}).json()
    assert body["plan"] == "binh-dinh-2025"
    assert body["rows"]
    assert {r["status"] for r in body["rows"]} <= {"met", "not_met", "no_data"}
    assert {"target", "actual", "status"} <= set(body["rows"][0])
    assert body["note"].startswith("plan binh-dinh-2025 is for Tỉnh Bình Định (52), and this workspace")
    assert client.get("/v1/scorecard", params={"plan": "no-such-plan"}).status_code == 404
    assert client.get("/v1/scorecard", params={"plan": "../etc/passwd"}).status_code == 422
    # Each computed row says what it measures; the 2025 province of the plan's province
    # (Bình Định, 52) is not in this workspace, so there is none.
    mobile = next(r for r in body["rows"] if r["kpi"] == "villages_mobile_bb_pct")
    assert mobile["measures"].startswith("village share")
    assert body["units_2025"] == []


def test_kpi_fields_say_what_they_measure(client: TestClient) -> None:
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    fields = schemas["KpiRow"]["properties"]
    assert set(fields) >= {"villages_mobile_bb_pct", "operator_bts_shared_pct", "partial"}
    assert all(field.get("description") for field in fields.values())
    assert "2009 census" in fields["population_mobile_bb_pct"]["description"]
    assert "households passed" in fields["households_ftth_pct"]["description"]
    assert "per operator BTS" in fields["operator_bts_shared_pct"]["description"]
    village = schemas["Village"]["properties"]
    assert "split_nearest" in village["admin_2025_method"]["description"]
    row = client.get("/v1/kpis", params={"level": "province_2025"}).json()["items"][0]
    # The fixture's communes carry no national totals: whether 98 is whole is unknown.
    assert (row["code"], row["partial"], row["villages_2025_inferred"]) == ("98", None, 0)


def test_coverage_point(client: TestClient) -> None:
    lon, lat = lonlat(1000, 0)
    body = client.get("/v1/coverage/point", params={"lon": lon, "lat": lat}).json()
    assert body["mobile_bb"] is True
    assert body["best_tech"] == "4G"
    assert body["operators"] == {"Viettel": ["2G", "4G"], "VNPT": ["4G"]}
    assert {c["site_id"] for c in body["cells"]} == {"S1"}

    lon, lat = lonlat(9000, 0)  # only planned S2 (4 km) and nothing on air within reach
    body = client.get("/v1/coverage/point", params={"lon": lon, "lat": lat}).json()
    assert body["mobile_bb"] is False
    assert body["cells"] == []
    assert [c["cell_id"] for c in body["planned"]] == ["S2-VT-4G"]


def test_sites_read(client: TestClient) -> None:
    body = client.get("/v1/sites").json()
    assert body["total"] == 2
    s1 = next(s for s in body["items"] if s["site_id"] == "S1")
    assert sorted(c["cell_id"] for c in s1["cells"]) == ["S1-VNPT-4G", "S1-VT-2G", "S1-VT-4G"]
    assert ids(client.get("/v1/sites", params={"operator": "VNPT"}).json(), "site_id") == ["S1"]
    assert ids(client.get("/v1/sites", params={"status": "planned"}).json(), "site_id") == ["S2"]
    response = client.get("/v1/sites/S2")
    assert response.status_code == 200
    assert response.headers["ETag"].startswith('"rev-')
    assert response.json()["cells"][0]["operator"] == "Viettel"
    assert client.get("/v1/sites/S9").status_code == 404


def test_openapi_documents_every_endpoint_with_an_example(client: TestClient) -> None:
    assert client.get("/docs").status_code == 200
    spec = client.get("/openapi.json").json()
    wanted = {
        "/health": ["get"],
        "/v1/villages": ["get"],
        "/v1/villages/{village_id}": ["get"],
        "/v1/gaps": ["get"],
        "/v1/kpis": ["get"],
        "/v1/kpis/history": ["get"],
        "/v1/scorecard": ["get"],
        "/v1/coverage/point": ["get"],
        "/v1/revisions": ["get"],
        "/v1/sites": ["get", "post"],
        "/v1/sites/{site_id}": ["get", "patch", "delete"],
    }
    schemas = spec["components"]["schemas"]
    for path, methods in wanted.items():
        for method in methods:
            op = spec["paths"][path][method]
            ok = op["responses"].get("200") or op["responses"]["201"]
            ref = ok["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
            assert schemas[ref].get("examples"), f"{method} {path}: {ref} has no example"
    post = spec["paths"]["/v1/sites"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert schemas[post["$ref"].rsplit("/", 1)[1]]["examples"]


def test_no_cors_by_default(client: TestClient) -> None:
    response = client.get("/health", headers={"Origin": "https://example.org"})
    assert "access-control-allow-origin" not in response.headers


def test_cors_when_configured(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path / "ws")
    with make_client(ws, cors_origins=["https://map.example"]) as c:
        response = c.get("/health", headers={"Origin": "https://map.example"})
        assert response.headers["access-control-allow-origin"] == "https://map.example"
        assert "ETag" in response.headers["access-control-expose-headers"]


def test_the_lifespan_builds_the_routing_before_the_first_request(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first clients of a fresh server must not wait for the routers' tables to be built
    (the lifespan answers one unmatched request in process), nor any client for a full
    pass of the garbage collector over the loaded workspace (frozen at start)."""
    import fastapi.routing

    built: list[str] = []
    build = fastapi.routing._IncludedRouter.effective_candidates

    def recording(self: Any) -> Any:
        built.append(self.original_router.routes[0].path)
        return build(self)

    monkeypatch.setattr(fastapi.routing._IncludedRouter, "effective_candidates", recording)
    ws = make_workspace(tmp_path / "ws")
    gc.unfreeze()
    with make_client(ws):
        # Every included router (read, sites, plans, measurements, tiles, web, OGC).
        assert len(set(built)) >= 7, built
        # What the server loaded is kept out of the cyclic collector's full passes ...
        assert gc.get_freeze_count() > 0
    assert gc.get_freeze_count() == 0  # ... and collectable again after it stops


def test_point_outside_the_workspace_says_so(client: TestClient) -> None:
    """Hà Nội is not in this workspace: the answer is "outside", not "no coverage"."""
    response = client.get("/v1/coverage/point", params={"lon": 105.8, "lat": 21.0})
    assert response.status_code == 404
    assert "outside this workspace" in response.json()["error"]["message"]
    inside = client.get("/v1/coverage/point", params=dict(zip(("lon", "lat"), lonlat(1000, 0), strict=True)))
    assert inside.status_code == 200


def test_report_download(client: TestClient) -> None:
    response = client.get("/v1/report")
    assert response.status_code == 200
    disposition = response.headers["content-disposition"]
    assert re.fullmatch(r'attachment; filename="bao-cao-[a-z0-9-]+-rev1\.xlsx"', disposition), disposition
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames[0] == "Thông tin"
    assert "Lõm sóng di động" in book.sheetnames
    english = client.get("/v1/report", params={"lang": "en"})
    assert 'filename="report-' in english.headers["content-disposition"]
    assert load_workbook(io.BytesIO(english.content)).sheetnames[0] == "About"
