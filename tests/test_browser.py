"""The web gap map and the API docs in a real browser: Debian chromium (SwiftShader WebGL), selenium.

Serves the Bình Định demo (the tiny fixture when the demo generator is absent) with
uvicorn on 127.0.0.1, loads ``/`` and checks what a planner does: the map draws the
basemap (hillshade, roads, district outlines) and labels with Vietnamese diacritics,
"làng O2" is in the gap list, clicking it flies there and opens its popup, the FTTH tab
draws the proposed fiber routes, the 5G tab lists places, the district filter zooms to
and outlines the district, popups close on tab and filter changes, search and the
language toggle (and ``?lang=en``) work, the layer panel folds on a narrow window, the
coverage overlay loads, the challenges overlay (``/v1/challenges``) is drawn with its
evidence in the popups, the signal overlay of the site nearest the map centre (terrain
model raster) draws, and ``/docs`` renders Swagger UI.

Offline: chromium resolves every host name to nothing (``--host-resolver-rules``) and
every test ends by reading the DevTools network log: a request to anything but this
server (or ``data:``/``blob:``) fails the test.

Screenshots go to ``$COVGIS_SCREENSHOT_DIR`` (else the test's temporary folder) and are
checked by their pixels (labels, hillshade). ``COVGIS_README_SCREENSHOT=1`` also writes
the overview to ``docs/img/webmap.png`` (the README's picture).

Skipped, with the reason, when chromium or chromedriver is missing.
"""

from __future__ import annotations

import importlib.util
import json
import math
import os
import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

# One worker runs this module (--dist loadgroup): its module-scoped server, demo and browser is made once.
pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
GAP_NAME = "làng O2"
READY_TIMEOUT_S = 120.0
README_SCREENSHOT = Path(__file__).resolve().parent.parent / "docs" / "img" / "webmap.png"

if not os.path.exists(CHROMIUM) or not os.path.exists(CHROMEDRIVER):
    pytest.skip(
        f"browser test needs Debian chromium ({CHROMIUM}) and chromedriver ({CHROMEDRIVER}): "
        "apt-get install chromium chromium-driver",
        allow_module_level=True,
    )
selenium = pytest.importorskip("selenium", reason="browser test needs selenium (pip install selenium)")

import uvicorn  # noqa: E402
from fastapi import FastAPI  # noqa: E402
from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.options import Options  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.action_chains import ActionChains  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.remote.webdriver import WebDriver  # noqa: E402
from selenium.webdriver.support.ui import Select, WebDriverWait  # noqa: E402

from coverage_gis.tiles.map_style import map_style  # noqa: E402
from coverage_gis.workspace import Workspace  # noqa: E402

from .conftest import METRIC, tiny_layers  # noqa: E402


def _workspace(folder: Path) -> Path:
    """The Bình Định demo if the generator is installed, else the tiny fixture."""
    if importlib.util.find_spec("coverage_gis.demo") is not None:
        from coverage_gis import demo

        if hasattr(demo, "build_demo_workspace"):
            demo.build_demo_workspace(folder / "demo", ["binh-dinh"], seed=20250101)
            return folder / "demo"
    ws = Workspace.create(folder / "tiny", metric_crs=METRIC, provinces=["99"], synthetic=True)
    ws.write_layers(tiny_layers(), source="tiny fixture")
    return ws.path


def _stub_app(ws_path: Path) -> FastAPI:
    """Tiles, web map and minimal /v1/gaps and /v1/kpis when coverage_gis_api.app is not there yet."""
    import pandas as pd

    from coverage_gis.engine import compute
    from coverage_gis_api import routes_tiles, routes_web

    analysis = compute(Workspace.open(ws_path))
    ctx = SimpleNamespace(
        settings=None,
        live=SimpleNamespace(analysis=analysis, revision=0, workspace=analysis.ws),
        change_listeners=[],
    )
    app = FastAPI()
    app.include_router(routes_tiles.create_router(ctx))
    app.include_router(routes_web.create_router(ctx))

    def plain(value: Any) -> Any:
        value = value.item() if hasattr(value, "item") else value
        return None if isinstance(value, float) and math.isnan(value) else value

    def rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
        return [{k: plain(v) for k, v in r.items()} for r in frame.to_dict("records")]

    @app.get("/v1/gaps")
    def gaps(kind: str = "mobile", limit: int = 1000, offset: int = 0) -> dict[str, Any]:
        table = analysis.gaps(kind)
        frame = pd.DataFrame(table.drop(columns="geometry"))
        frame["lon"] = table.geometry.x.to_numpy()
        frame["lat"] = table.geometry.y.to_numpy()
        return {"items": rows(frame)[offset : offset + limit], "total": len(frame)}

    @app.get("/v1/kpis")
    def kpis(level: str = "province", code: str | None = None) -> dict[str, Any]:
        table = analysis.kpis(levels=[level])
        if code is not None:
            table = table[table["code"].astype(str) == code]
        return {"items": rows(table)}

    return app


def _app(ws_path: Path) -> FastAPI:
    if importlib.util.find_spec("coverage_gis_api.app") is not None:
        from coverage_gis_api.app import create_app
        from coverage_gis_api.settings import Settings

        return create_app(Settings(workspace=ws_path))
    return _stub_app(ws_path)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    ws_path = _workspace(tmp_path_factory.mktemp("browser-ws"))
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))  # a free port, held from here on: no race with other tests
    port = sock.getsockname()[1]
    config = uvicorn.Config(_app(ws_path), host="127.0.0.1", port=port, log_level="warning")
    uv = uvicorn.Server(config)
    thread = threading.Thread(target=uv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 120
    while not uv.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail("uvicorn did not start (see the log above)")
        time.sleep(0.1)
    yield f"http://127.0.0.1:{port}"
    uv.should_exit = True
    thread.join(timeout=15)
    sock.close()


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = os.environ.get("COVGIS_SCREENSHOT_DIR")
    path = Path(folder) if folder else tmp_path_factory.mktemp("screenshots")
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="module")
def browser(server: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebDriver]:
    options = Options()
    options.binary_location = CHROMIUM
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--enable-unsafe-swiftshader",
        "--use-angle=swiftshader",
        "--disable-background-networking",
        "--no-first-run",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1280,800",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}",
    ):
        options.add_argument(arg)
    # No name resolves: a request to any outside host fails at once (and shows in the log).
    options.add_argument("--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_script_timeout(60)
    try:
        driver.get(server + "/")
        wait_for(driver, lambda d: d.execute_script("return window.__mapReady === true"), READY_TIMEOUT_S)
        yield driver
    finally:
        driver.quit()


def wait_for(driver: WebDriver, condition: Callable[[WebDriver], Any], timeout_s: float = 30.0) -> Any:
    return WebDriverWait(driver, timeout_s, poll_frequency=0.2).until(condition)


def wait_idle(driver: WebDriver) -> None:
    """Until MapLibre has loaded and drawn every visible tile."""
    driver.execute_async_script(
        """
        const done = arguments[arguments.length - 1];
        const map = window.__map;
        const timer = setTimeout(() => done(false), 45000);
        map.once("idle", () => { clearTimeout(timer); done(true); });
        map.triggerRepaint();
        """
    )


def gap_items(driver: WebDriver) -> list[Any]:
    return list(driver.find_elements(By.CSS_SELECTOR, "#gap-list li[data-id]"))


def requested_urls(driver: WebDriver) -> list[str]:
    """URLs the page asked for since the last call (DevTools network log; reading drains it)."""
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message.get("method") == "Network.requestWillBeSent":
            urls.append(str(message["params"]["request"]["url"]))
    return urls


def assert_offline(driver: WebDriver, server: str) -> list[str]:
    """Every network request went to this server; returns the URLs.

    ``data:``, ``blob:`` and the browser's own ``chrome://`` pages (its blank new tab)
    do not use the network.
    """
    urls = requested_urls(driver)
    network = [u for u in urls if u.split(":", 1)[0].lower() in ("http", "https", "ws", "wss", "ftp")]
    outside = [u for u in network if not u.startswith(server + "/")]
    assert outside == [], f"requests left 127.0.0.1: {outside}"
    return urls


def screenshot_rgb(driver: WebDriver) -> Any:
    """The map's pixels (rows, cols, 3) as a numpy array."""
    import io

    import numpy as np
    from PIL import Image

    image = Image.open(io.BytesIO(driver.find_element(By.ID, "map").screenshot_as_png)).convert("RGB")
    return np.asarray(image, dtype=np.int16)


def set_visible(driver: WebDriver, layer_ids: list[str], visible: bool) -> None:
    driver.execute_script(
        "for (const id of arguments[0]) if (window.__map.getLayer(id))"
        " window.__map.setLayoutProperty(id, 'visibility', arguments[1] ? 'visible' : 'none');",
        layer_ids,
        visible,
    )
    wait_idle(driver)


def changed_pixels(driver: WebDriver, layer_ids: list[str]) -> int:
    """How many pixels of the map change when ``layer_ids`` are hidden (they are shown again)."""
    import numpy as np

    shown = screenshot_rgb(driver)
    set_visible(driver, layer_ids, False)
    hidden = screenshot_rgb(driver)
    set_visible(driver, layer_ids, True)
    return int(np.count_nonzero(np.abs(shown - hidden).sum(axis=2) > 30))


def rendered(driver: WebDriver, layer: str) -> int:
    return int(
        driver.execute_script(
            "return window.__map.getLayer(arguments[0]) ?"
            " window.__map.queryRenderedFeatures({layers: [arguments[0]]}).length : -1",
            layer,
        )
    )


def test_map_draws_tiles_and_lists_the_gap(browser: WebDriver, screenshots: Path, server: str) -> None:
    assert browser.execute_script("return window.__mapError") is None
    names = [li.find_element(By.CLASS_NAME, "gap-name").text for li in gap_items(browser)]
    assert GAP_NAME in names
    wait_idle(browser)
    drawn = browser.execute_script("return window.__map.queryRenderedFeatures({layers: ['villages']}).length")
    assert drawn > 0, "no village drawn from the vector tiles"
    communes = browser.execute_script(
        "return window.__map.queryRenderedFeatures({layers: ['communes']}).length"
    )
    assert communes > 0
    attribution = browser.find_element(By.CSS_SELECTOR, ".maplibregl-ctrl-attrib").text
    assert "censusVN2009" in attribution
    # Vietnamese number format by default: "99,9 %".
    pct = browser.find_element(By.CSS_SELECTOR, '#kpi-list dd[data-field="villages_mobile_bb_pct"]').text
    assert pct.endswith(" %")
    assert "," in pct
    overview = screenshots / "web-map-overview.png"
    browser.save_screenshot(str(overview))
    if os.environ.get("COVGIS_README_SCREENSHOT") == "1":
        # The README's picture is this test's own screenshot (opt-in: it changes a tracked file).
        README_SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(overview, README_SCREENSHOT)
    errors = [
        entry["message"]
        for entry in browser.get_log("browser")
        if entry["level"] == "SEVERE" and "favicon" not in entry["message"]
    ]
    assert errors == []
    assert_offline(browser, server)


def test_basemap_and_labels_are_drawn(browser: WebDriver, screenshots: Path, server: str) -> None:
    """Hillshade, roads, district outlines and place names, with the glyphs of Vietnamese letters."""
    wait_idle(browser)
    for layer in ("roads", "districts", "labels-districts"):
        assert rendered(browser, layer) > 0, f"{layer} not drawn"
    names = browser.execute_script(
        "return window.__map.queryRenderedFeatures({layers: ['labels-districts']})"
        ".map(f => f.properties.name)"
    )
    assert any("Huyện" in name for name in names), names  # "ệ" is U+1EC7
    resources = browser.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
    bold = map_style().labels.bold_font.replace(" ", "%20")
    assert any(f"/map/glyphs/{bold}/7680-7935.pbf" in url for url in resources), "no Vietnamese glyph range"
    assert any("/tiles/hillshade/" in url for url in resources)
    # The pixels: labels and hillshade each change a good part of the picture.
    assert changed_pixels(browser, ["labels-districts", "labels-communes"]) > 500
    assert changed_pixels(browser, ["hillshade"]) > 5_000
    # Roads lie under the villages and sites at this zoom: fewer of their pixels show.
    assert changed_pixels(browser, ["roads", "roads-casing"]) > 100
    browser.save_screenshot(str(screenshots / "web-map-basemap.png"))
    assert_offline(browser, server)


def test_clicking_the_gap_flies_there_and_opens_its_popup(browser: WebDriver, screenshots: Path) -> None:
    target = next(li for li in gap_items(browser) if GAP_NAME in li.text)
    zoom_before = browser.execute_script("return window.__map.getZoom()")
    target.click()
    popup = wait_for(browser, lambda d: d.find_element(By.CSS_SELECTOR, ".maplibregl-popup-content"))
    assert GAP_NAME in popup.text
    wait_for(browser, lambda d: not d.execute_script("return window.__map.isMoving()"), 30)
    assert browser.execute_script("return window.__map.getZoom()") >= max(zoom_before, 12.9)
    assert "selected" in target.get_attribute("class")
    wait_idle(browser)
    browser.save_screenshot(str(screenshots / "web-map-gap.png"))

    # The village itself is now at the centre of the map: clicking it opens its own
    # popup, built from the vector tile's attributes.
    browser.execute_script("window.__covgis.state.popup.remove()")
    ActionChains(browser).move_to_element(browser.find_element(By.ID, "map")).click().perform()
    popup = wait_for(browser, lambda d: d.find_element(By.CSS_SELECTOR, ".popup[data-village]"))
    assert GAP_NAME in popup.text
    gap = browser.execute_script(
        "return window.__covgis.state.gaps.mobile.find(g => g.name === arguments[0])", GAP_NAME
    )
    assert popup.get_attribute("data-village") == gap["id"]
    assert "không" in popup.text  # "Di động: không" — no mobile broadband


def test_search_district_filter_and_language(browser: WebDriver) -> None:
    browser.find_element(By.ID, "gap-kind-ftth").click()
    wait_for(browser, lambda d: any(GAP_NAME in li.text for li in gap_items(d)))
    search = browser.find_element(By.ID, "gap-search")
    search.clear()
    search.send_keys("lang o2")  # no diacritics needed
    items = gap_items(browser)
    assert [GAP_NAME in li.text for li in items] == [True]
    search.clear()
    search.send_keys("zzzz")
    assert gap_items(browser) == []
    search.clear()
    search.send_keys(" ")  # fires input; an empty search shows everything again
    search.clear()

    district = browser.execute_script(
        "return window.__covgis.state.gaps.ftth.find(g => g.name === arguments[0]).district_code", GAP_NAME
    )
    select = Select(browser.find_element(By.ID, "district-filter"))
    select.select_by_value(str(district))
    assert any(GAP_NAME in li.text for li in gap_items(browser))
    assert all(li.get_attribute("data-id") for li in gap_items(browser))
    wait_for(browser, lambda d: d.find_element(By.ID, "kpi-scope").text != "")
    select.select_by_value("")

    browser.find_element(By.ID, "lang-toggle").click()
    assert browser.find_element(By.ID, "gap-title").text == "Coverage gaps"

    def english_percent(d: WebDriver) -> bool:
        # The KPI list is rebuilt on the toggle: look the element up each time.
        text = str(
            d.execute_script(
                "const e = document.querySelector('#kpi-list dd[data-field=\"villages_mobile_bb_pct\"]');"
                "return e ? e.textContent : '';"
            )
        )
        return text.endswith("%") and not text.endswith(" %") and "." in text

    wait_for(browser, english_percent)
    browser.find_element(By.ID, "lang-toggle").click()
    assert browser.find_element(By.ID, "gap-title").text == "Danh sách điểm lõm"
    browser.find_element(By.ID, "gap-kind-mobile").click()


def loaded_pngs(driver: WebDriver, path: str) -> int:
    """PNGs under ``path`` the page has loaded (its resource timing entries)."""
    return int(
        driver.execute_script(
            "return performance.getEntriesByType('resource')"
            ".filter(e => e.name.includes(arguments[0]) && new URL(e.name).pathname.endsWith('.png')).length",
            path,
        )
    )


def test_coverage_overlay_loads(browser: WebDriver, screenshots: Path) -> None:
    browser.find_element(By.ID, "coverage-toggle").click()
    assert (
        browser.execute_script("return window.__map.getLayoutProperty('coverage', 'visibility')") == "visible"
    )
    wait_idle(browser)
    assert loaded_pngs(browser, "/tiles/coverage/") > 0
    assert browser.find_element(By.ID, "coverage-legend").is_displayed()
    browser.save_screenshot(str(screenshots / "web-map-coverage.png"))
    browser.find_element(By.ID, "coverage-toggle").click()


def test_signal_overlay_of_the_site_nearest_the_centre_draws(browser: WebDriver, screenshots: Path) -> None:
    view = browser.execute_script(
        "const c = window.__map.getCenter(); return [c.lng, c.lat, window.__map.getZoom()]"
    )
    browser.find_element(By.ID, "signal-toggle").click()
    # The terrain raster is computed on the first request (seconds on a busy machine).
    meta = wait_for(browser, lambda d: d.execute_script("return window.__signal"), 180.0)
    assert len(meta["coordinates"]) == 4
    assert browser.execute_script("return !!window.__map.getLayer('signal')")
    wait_idle(browser)
    assert loaded_pngs(browser, "/overlays/signal/") > 0
    assert browser.find_element(By.ID, "signal-info").is_displayed()
    assert browser.find_element(By.ID, "coverage-legend").is_displayed()
    browser.save_screenshot(str(screenshots / "web-map-signal.png"))
    # The overlay is what changes the map's pixels around the site.
    assert changed_pixels(browser, ["signal"]) > 2000
    browser.find_element(By.ID, "signal-toggle").click()
    assert browser.execute_script("return window.__signal") is None
    assert not browser.execute_script("return !!window.__map.getLayer('signal')")
    browser.execute_script(
        "window.__map.jumpTo({center: [arguments[0], arguments[1]], zoom: arguments[2]})", *view
    )
    wait_idle(browser)


def test_ftth_tab_draws_the_proposed_routes_and_5g_tab_lists_places(
    browser: WebDriver, screenshots: Path, server: str
) -> None:
    target = next(li for li in gap_items(browser) if GAP_NAME in li.text)
    target.click()
    wait_for(browser, lambda d: d.find_elements(By.CSS_SELECTOR, ".maplibregl-popup-content"))
    # A tab change closes the popup opened from the previous list.
    browser.find_element(By.ID, "gap-kind-ftth").click()
    assert browser.find_elements(By.CSS_SELECTOR, ".maplibregl-popup-content") == []
    wait_for(browser, lambda d: d.execute_script("return !!window.__map.getSource('overlay-gap_routes')"))
    wait_for(
        browser, lambda d: d.execute_script("return window.__map.isSourceLoaded('overlay-gap_routes')"), 60
    )
    ftth_gaps = browser.execute_script("return window.__covgis.state.gaps.ftth.length")
    features = browser.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "window.__map.getSource('overlay-gap_routes').getData()"
        ".then(d => done(d.features.map(f => f.properties.id)));"
    )
    assert ftth_gaps > 0
    assert len(set(features)) == ftth_gaps  # one route per FTTH gap
    assert browser.find_element(By.ID, "layer-toggle-gap_routes").is_selected()
    # Fly to the first gap: its route is drawn (rendered) next to it.
    next(iter(gap_items(browser))).click()
    wait_for(browser, lambda d: not d.execute_script("return window.__map.isMoving()"), 30)
    wait_idle(browser)
    assert rendered(browser, "gap_routes") > 0
    assert rendered(browser, "labels-villages") > 0  # village names from zoom 12
    browser.save_screenshot(str(screenshots / "web-map-ftth-route.png"))

    browser.find_element(By.ID, "gap-kind-5g").click()
    assert (
        browser.execute_script("return window.__map.getLayoutProperty('gap_routes', 'visibility')") == "none"
    )
    wait_for(browser, lambda d: len(gap_items(d)) > 0, 60)
    first = gap_items(browser)[0].text
    assert "5G" in first
    browser.find_element(By.ID, "gap-kind-mobile").click()
    assert_offline(browser, server)


def test_district_filter_zooms_to_and_outlines_the_district(browser: WebDriver, server: str) -> None:
    districts = browser.execute_script("return window.__covgis.state.style.metadata['covgis:districts']")
    code = next(c for c, d in districts.items() if "Vĩnh Thạnh" in d["name"])
    west, south, east, north = districts[code]["bounds"]
    browser.execute_script(
        "window.__map.jumpTo({center: [109.0, 14.0], zoom: 8});"
        "document.querySelector('#gap-list li[data-id]').click();"
    )
    wait_for(browser, lambda d: d.find_elements(By.CSS_SELECTOR, ".maplibregl-popup-content"))
    select = Select(browser.find_element(By.ID, "district-filter"))
    select.select_by_value(code)
    # The filter change closes the popup opened from the list.
    assert browser.find_elements(By.CSS_SELECTOR, ".maplibregl-popup-content") == []
    wait_for(browser, lambda d: not d.execute_script("return window.__map.isMoving()"), 30)
    centre = browser.execute_script("const c = window.__map.getCenter(); return [c.lng, c.lat]")
    assert west < centre[0] < east
    assert south < centre[1] < north
    bounds = browser.execute_script("return window.__map.getBounds().toArray()")
    # Fitted: the view holds the district and is not much larger than it.
    assert bounds[1][1] - bounds[0][1] < 2.5 * (north - south)
    assert browser.execute_script("return window.__map.getFilter('district-highlight')") == [
        "==",
        ["get", "district_code"],
        code,
    ]
    wait_idle(browser)
    assert rendered(browser, "district-highlight") > 0
    select.select_by_value("")
    wait_for(browser, lambda d: not d.execute_script("return window.__map.isMoving()"), 30)
    assert_offline(browser, server)


def test_layer_panel_folds_on_a_narrow_window(browser: WebDriver, server: str) -> None:
    size = browser.get_window_size()
    try:
        browser.set_window_size(600, 800)
        wait_for(browser, lambda d: d.execute_script("return !document.getElementById('layers-panel').open"))
        browser.set_window_size(size["width"], size["height"])
        wait_for(browser, lambda d: d.execute_script("return document.getElementById('layers-panel').open"))
    finally:
        browser.set_window_size(size["width"], size["height"])
    assert_offline(browser, server)


def test_challenges_overlay_is_requested_drawn_and_explained(
    browser: WebDriver, screenshots: Path, server: str
) -> None:
    """The demo's challenges (synthetic tests against the model) as a map layer with their evidence."""
    browser.get(server + "/?lang=vi")
    wait_for(browser, lambda d: d.execute_script("return window.__mapReady === true"), READY_TIMEOUT_S)
    wait_for(
        browser,
        lambda d: d.execute_script(
            "return !!window.__map.getSource('overlay-challenges')"
            " && window.__map.isSourceLoaded('overlay-challenges')"
        ),
        60,
    )
    # MapLibre fetches a GeoJSON source in its worker, whose requests the page's network
    # log does not show: the source's URL says where the features came from.
    data = browser.execute_script("return window.__map.getStyle().sources['overlay-challenges'].data")
    assert data == server + "/v1/challenges?format=geojson", data
    features = browser.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "window.__map.getSource('overlay-challenges').getData()"
        ".then(d => done(d.features.map(f => [f.properties.challenge_id, f.geometry.coordinates])));"
    )
    total = browser.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "fetch('/v1/challenges?limit=1').then(r => r.json()).then(b => done(b.total));"
    )
    assert len(features) == total > 0
    assert browser.find_element(By.ID, "layer-toggle-challenges").is_selected()

    # The first challenge (open, most people) at the centre of the map: drawn, and its popup.
    lonlat = features[0][1]
    browser.execute_script("window.__map.jumpTo({center: arguments[0], zoom: 13})", lonlat)
    wait_idle(browser)
    assert rendered(browser, "challenges") > 0
    assert changed_pixels(browser, ["challenges"]) > 30
    browser.save_screenshot(str(screenshots / "web-map-challenges.png"))

    def popup_text() -> str:
        ActionChains(browser).move_to_element(browser.find_element(By.ID, "map")).click().perform()
        popup = wait_for(browser, lambda d: d.find_element(By.CSS_SELECTOR, ".popup[data-challenge]"))
        assert popup.get_attribute("data-challenge") == features[0][0]
        return str(popup.text)

    text = popup_text()
    browser.save_screenshot(str(screenshots / "web-map-challenge-popup.png"))
    for words in ("đo kiểm trái mô hình", "Số phép đo", "Mb/s", "Mô hình: có dịch vụ", "chưa xử lý"):
        assert words in text, text
    browser.find_element(By.ID, "lang-toggle").click()
    text = popup_text()
    for words in ("measurements contradict the model", "Tests", "Median download", "Model: service", "open"):
        assert words in text, text
    browser.find_element(By.ID, "lang-toggle").click()
    assert_offline(browser, server)


def test_language_from_the_address(browser: WebDriver, server: str) -> None:
    browser.get(server + "/?lang=en")
    wait_for(browser, lambda d: d.execute_script("return window.__mapReady === true"), READY_TIMEOUT_S)
    assert browser.find_element(By.ID, "gap-title").text == "Coverage gaps"
    assert browser.find_element(By.ID, "gap-kind-mobile").text == "Mobile"
    browser.find_element(By.ID, "lang-toggle").click()
    assert browser.find_element(By.ID, "gap-title").text == "Danh sách điểm lõm"
    assert "lang=vi" in browser.current_url  # the address follows the toggle
    assert_offline(browser, server)


def test_api_docs_render_offline(browser: WebDriver, screenshots: Path, server: str) -> None:
    browser.get(server + "/docs")
    title = wait_for(browser, lambda d: d.find_element(By.CSS_SELECTOR, ".swagger-ui .info .title"), 60)
    assert "coverage-gis API" in title.text
    wait_for(browser, lambda d: "/v1/gaps" in d.find_element(By.ID, "swagger-ui").text, 30)
    browser.save_screenshot(str(screenshots / "api-docs.png"))
    urls = assert_offline(browser, server)
    assert any(u.endswith("/static/swagger/swagger-ui-bundle.js") for u in urls)
    # The last test of the module: the page is left on /docs.
