#!/usr/bin/env bash
# Build the wheel, install it into a fresh venv outside the checkout and use it as a user
# would: build the demo, compute, and answer API requests. Proves the wheel carries
# its schemas, boundaries (the refreshed ones: codes as drawn, the 2025 parts of split
# communes), plans, web assets and the terrain package (nothing read from the source tree).
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
python="${PYTHON:-python3}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

"$python" -m pip wheel --quiet --no-deps -w "$work/dist" "$repo"
"$python" -m venv "$work/venv"
"$work/venv/bin/python" -m pip install --quiet "$work"/dist/coverage_gis-*.whl httpx
cd "$work"   # outside the checkout: nothing can come from the source tree
"$work/venv/bin/covgis" demo ws --province binh-dinh
"$work/venv/bin/covgis" compute ws --model terrain   # the terrain package and its numba kernels, installed
"$work/venv/bin/covgis" compute ws
"$work/venv/bin/covgis" plan ws --max-sites 3 --out plan --json > plan.json
test -s plan/plan.xlsx && test -s plan/plan_site_edits.json
"$work/venv/bin/python" - <<'PY'
import coverage_gis, coverage_gis_api, coverage_gis.terrain
from pathlib import Path
for mod in (coverage_gis, coverage_gis_api, coverage_gis.terrain):
    assert "site-packages" in mod.__file__, f"{mod.__name__} imported from {mod.__file__}"
from fastapi.testclient import TestClient
from coverage_gis_api.app import create_app
from coverage_gis_api.settings import Settings
with TestClient(create_app(Settings(workspace=Path("ws")))) as client:
    r = client.get("/v1/gaps", params={"kind": "mobile"})
    assert r.status_code == 200, r.text
    names = [g.get("name") for g in r.json()["items"]]
    print("wheel smoke: /v1/gaps?kind=mobile ->", names)
    assert client.get("/").status_code == 200
    # Every village counts in the 2025 hierarchy; Gia Lai is only partly in this workspace.
    (row,) = client.get("/v1/kpis", params={"level": "province_2025"}).json()["items"]
    print("wheel smoke: /v1/kpis?level=province_2025 ->", row["name"], row["villages"], row["partial"])
    assert (row["villages"], row["partial"]) == (1048, True)
    # Offline web assets ship in the wheel: glyphs, Swagger UI, the map style.
    assert client.get("/map/glyphs/DejaVu Sans Book/7680-7935.pbf").content[:1] == b"\n"
    assert client.get("/static/swagger/swagger-ui-bundle.js").status_code == 200
    assert client.get("/docs").status_code == 200
    assert client.get("/map/style.json").status_code == 200
    from coverage_gis.access import add_key
    from coverage_gis.workspace import Workspace
    import time
    key = add_key(Workspace.open(Path("ws")), "smoke", "planner")[1]
    r = client.post("/v1/plans", json={"max_sites": 3}, headers={"X-API-Key": key})
    assert r.status_code == 202, r.text
    url = r.headers["Location"]
    deadline = time.monotonic() + 300
    while (status := client.get(url).json())["state"] in ("queued", "running"):
        assert time.monotonic() < deadline, status
        time.sleep(0.2)
    assert status["state"] == "done", status
    assert client.get(url + "/sites", params={"format": "xlsx"}).status_code == 200
    print("wheel smoke: POST /v1/plans ->", status["summary"]["sites"], "sites in", round(status["elapsed_s"], 1), "s")
from coverage_gis.boundaries import load_boundaries
from coverage_gis._resources import boundaries_dir
assert "site-packages" in str(boundaries_dir()), boundaries_dir()
boundaries = load_boundaries(["binh-dinh"])
assert "code_as_drawn" in boundaries.communes
assert len(boundaries.parts) == 4, len(boundaries.parts)
PY
echo "wheel smoke: ok"
