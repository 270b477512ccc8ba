"""OGC API – Features as QGIS reads it: GDAL's OAPIF driver (pyogrio) against a running server.

The tiny fixture (3 villages V1–V3, sites S1 on air and S2 planned, one mobile gap V2)
served by uvicorn on 127.0.0.1; the collections are read back through GDAL, as the
"WFS / OGC API – Features" connection of QGIS does.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import httpx2
import pyogrio
import pytest

from ._servers import free_port, wait_until_up
from .test_api_read import lonlat, make_workspace

# One worker runs this module (--dist loadgroup): its module-scoped server is made once.
pytestmark = [
    pytest.mark.skipif(
        "OAPIF" not in pyogrio.list_drivers(), reason="GDAL lacks the OGC API - Features driver"
    ),
    pytest.mark.xdist_group("test_ogc_features"),
]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`covgis serve` in its own process (GDAL holds the GIL while it reads: an in-process
    server thread could not answer it)."""
    ws = make_workspace(tmp_path_factory.mktemp("ogc") / "ws")
    port = free_port()
    log = tmp_path_factory.mktemp("ogc-log") / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "coverage_gis", "serve", str(ws.path), "--port", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(f"{url}/ogc", process, timeout_s=120.0, poll_s=0.3, log=log)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_gdal_lists_the_collections(server: str) -> None:
    layers = {name for name, _ in pyogrio.list_layers(f"OAPIF:{server}/ogc")}
    assert layers == {"villages", "sites", "fiber_routes", "gaps_mobile", "gaps_ftth", "gaps_5g"}


def test_gdal_reads_villages_with_coverage(server: str) -> None:
    villages = pyogrio.read_dataframe(f"OAPIF:{server}/ogc", layer="villages")
    assert villages.crs.to_epsg() == 4326
    by_id = villages.set_index("village_id")
    assert sorted(by_id.index) == ["V1", "V2", "V3"]
    assert bool(by_id.loc["V2", "mobile_bb"]) is False  # làng O2: the gap
    assert by_id.loc["V2", "name"] == "làng O2"  # diacritics intact
    v1 = by_id.loc["V1"].geometry
    assert (v1.x, v1.y) == pytest.approx(lonlat(1000, 0))


def test_gdal_reads_gaps_and_bbox(server: str) -> None:
    gaps = pyogrio.read_dataframe(f"OAPIF:{server}/ogc", layer="gaps_mobile")
    assert list(gaps["id"]) == ["V2"]
    assert gaps["reason"].iloc[0] == "planned_site_not_on_air"
    west, south = lonlat(500, -500)
    east, north = lonlat(1500, 500)
    near_v1 = pyogrio.read_dataframe(f"OAPIF:{server}/ogc", layer="villages", bbox=(west, south, east, north))
    assert list(near_v1["village_id"]) == ["V1"]


def test_items_page_with_links(server: str) -> None:
    """limit/offset pages with next and prev links that a client can follow to the end."""
    url = f"{server}/ogc/collections/villages/items?limit=2"
    seen: list[str] = []
    pages = 0
    while url:
        response = httpx2.get(url)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("application/geo+json")
        body = response.json()
        assert body["numberMatched"] == 3
        assert body["numberReturned"] == len(body["features"])
        seen += [f["id"] for f in body["features"]]
        rels = {link["rel"]: link["href"] for link in body["links"]}
        assert ("prev" in rels) == (pages > 0)
        url = rels.get("next", "")
        pages += 1
    assert seen == ["V1", "V2", "V3"]
    assert pages == 2
    one = httpx2.get(f"{server}/ogc/collections/sites/items/S1")
    assert one.json()["properties"]["site_id"] == "S1"
    assert httpx2.get(f"{server}/ogc/collections/nope/items").status_code == 404


def test_style_for_the_vector_tiles(server: str) -> None:
    """QGIS can style the vector tiles with the map's MapLibre style."""
    style = httpx2.get(f"{server}/map/style.json").json()
    assert style["version"] == 8
    assert style["layers"]
    assert any(source.get("type") == "vector" for source in style["sources"].values())


def test_head_of_the_map_page(server: str) -> None:
    """`HEAD /` answers like GET, without a body (uptime checks, curl -I)."""
    response = httpx2.head(f"{server}/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert response.content == b""
