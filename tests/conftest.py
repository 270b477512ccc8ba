"""Shared fixtures: a tiny hand-checkable network (3 villages, 2 sites) in a workspace.

Workspaces are made on a storage backend: ``backend`` is ``gpkg`` (a folder) unless a
test module or test is marked ``@pytest.mark.backends`` (then it runs on ``gpkg`` and
``postgis``; ``@pytest.mark.backends("gpkg")`` limits one test). PostGIS workspaces live
in a throw-away PostgreSQL cluster started once per session (``tools/pg_cluster.py``),
one database per workspace made from a template that already has the schema; the
PostGIS cases are skipped, saying why, only when no PostgreSQL server is installed
(``COVGIS_REQUIRE_POSTGIS=1``, as CI sets, turns that into a failure).

The run is spread over pytest-xdist workers (``-n`` in pyproject's addopts): each worker
has its own session (its own cluster, temporary folders and ports); what is costly and
the same for all of them (the demo data of the five provinces, the Bình Định demo
workspace) is made once per run by :class:`RunCache`, under a file lock.
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import itertools
import os
import pickle
import shutil
import sqlite3
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any, TypeVar

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from filelock import FileLock
from shapely.geometry import LineString, Point, box

from coverage_gis.crs import lonlat_to_metric, metric_to_lonlat
from coverage_gis.demo import DEFAULT_SEED, DemoData, build_demo_workspace, generate
from coverage_gis.engine import compute
from coverage_gis.workspace import Workspace


@pytest.fixture(autouse=True)
def _english_cli(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI speaks the language of COVGIS_LANG (else the locale): tests that read its
    English sentences do not depend on the machine's locale; language tests set their own."""
    monkeypatch.setenv("COVGIS_LANG", "en")


METRIC = "EPSG:32649"
ORIGIN_LONLAT = (109.0, 14.0)


def _origin_m() -> tuple[float, float]:
    x, y = lonlat_to_metric(np.array([ORIGIN_LONLAT[0]]), np.array([ORIGIN_LONLAT[1]]), METRIC)
    return float(x[0]), float(y[0])


def at(dx_m: float, dy_m: float) -> Point:
    """A lon/lat point ``dx_m`` east and ``dy_m`` north of the origin (exact in UTM 49N)."""
    x0, y0 = _origin_m()
    lon, lat = metric_to_lonlat(np.array([x0 + dx_m]), np.array([y0 + dy_m]), METRIC)
    return Point(float(lon[0]), float(lat[0]))


def tiny_layers() -> dict[str, pd.DataFrame]:
    """Three villages, an on-air shared site at the origin and a planned site 9 km east.

    Radius model (shipped table), omni cells: rural 4G 700 MHz radius 3,670 m, rural
    2G 900 MHz radius 8,620 m:
    - V1 at (1000, 0): 1,000 m from S1 → mobile; fiber node 300 m away → FTTH.
    - V2 at (6000, 0): 6,000 m from S1 (out of 4G, within 2G), 3,000 m from planned S2
      → gap ``planned_site_not_on_air``; nearest fiber (the node) ≈ 5,009 m →
      ``fiber_too_far``.
    - V3 at (0, 3669): 3,669 m from S1 → mobile; access route 499.9 m north → FTTH.
    """
    corners = [at(-20_000, -20_000), at(20_000, 20_000)]
    commune = box(corners[0].x, corners[0].y, corners[1].x, corners[1].y)
    communes = gpd.GeoDataFrame(
        {
            "census_commune_id": ["9990101"],
            "commune_code": ["99901"],
            "commune_name": ["Xã Thử Nghiệm"],
            "district_code": ["999"],
            "district_name": ["Huyện Mẫu"],
            "province_code": ["99"],
            "province_name": ["Tỉnh Mẫu"],
            "pop_2009": [350],
            "environment": ["rural"],
            "new_province_code": ["98"],
            "new_province_name": ["Tỉnh Mới"],
            "new_commune_code": ["99800"],
            "new_commune_name": ["Xã Mới"],
        },
        geometry=[commune],
        crs="EPSG:4326",
    )
    villages = gpd.GeoDataFrame(
        {
            "village_id": ["V1", "V2", "V3"],
            "name": ["thôn 1", "làng O2", "thôn 3"],
            "kind": ["thôn", "làng", "thôn"],
            "commune_code": ["99901"] * 3,
            "census_commune_id": ["9990101"] * 3,
            "district_code": ["999"] * 3,
            "province_code": ["99"] * 3,
            "households": [25, 50, 12],
            "population": [100, 200, 50],
            "has_grid_power": [True, False, True],
        },
        geometry=[at(1000, 0), at(6000, 0), at(0, 3669)],
        crs="EPSG:4326",
    )
    sites = gpd.GeoDataFrame(
        {
            "site_id": ["S1", "S2"],
            "status": ["on_air", "planned"],
            "height_m": [30.0, 30.0],
            "commissioned": ["2024-03-01", None],
        },
        geometry=[at(0, 0), at(9000, 0)],
        crs="EPSG:4326",
    )
    cells = pd.DataFrame(
        {
            "cell_id": ["S1-VT-4G", "S1-VNPT-4G", "S1-VT-2G", "S2-VT-4G"],
            "site_id": ["S1", "S1", "S1", "S2"],
            "operator": ["Viettel", "VNPT", "Viettel", "Viettel"],
            "tech": ["4G", "4G", "2G", "4G"],
            "band_mhz": [700.0, 700.0, 900.0, 700.0],
            "azimuth_deg": [np.nan] * 4,
            "eirp_dbm": [60.0] * 4,
            "status": ["on_air", "on_air", "on_air", "planned"],
        }
    )
    fiber_nodes = gpd.GeoDataFrame(
        {"node_id": ["N1"], "operator": ["VNPT"], "kind": ["splitter"], "status": ["on_air"]},
        geometry=[at(1000, 300)],
        crs="EPSG:4326",
    )
    fiber_routes = gpd.GeoDataFrame(
        {
            "route_id": ["R1", "R2"],
            "operator": ["Viettel", "VNPT"],
            "class": ["access", "backbone"],
            "status": ["on_air", "on_air"],
        },
        geometry=[
            LineString([at(-100, 4168.9), at(100, 4168.9)]),
            LineString([at(3000, -3000), at(3000, 3000)]),
        ],
        crs="EPSG:4326",
    )
    return {
        "communes": communes,
        "villages": villages,
        "sites": sites,
        "cells": cells,
        "fiber_nodes": fiber_nodes,
        "fiber_routes": fiber_routes,
    }


@pytest.fixture
def tiny() -> dict[str, pd.DataFrame]:
    return tiny_layers()


# -- storage backends --------------------------------------------------------------------------------
BACKENDS = ("gpkg", "postgis")
ROOT = Path(__file__).resolve().parents[1]
_TEMPLATE_DB = "covgis_template"


def _pg_cluster_module() -> ModuleType:
    """``tools/pg_cluster.py``, imported from the tools folder (the benchmarks import it the same way)."""
    if str(ROOT / "tools") not in sys.path:
        sys.path.insert(0, str(ROOT / "tools"))
    import pg_cluster  # type: ignore[import-not-found]

    return pg_cluster


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "backends(*names): run on each storage backend (default: gpkg and postgis)"
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    marker = metafunc.definition.get_closest_marker("backends")
    if marker is not None and "backend" in metafunc.fixturenames:
        metafunc.parametrize("backend", marker.args or BACKENDS, indirect=True)


class PostgresServer:
    """The session's PostgreSQL cluster: a new database per workspace, dropped after the test."""

    def __init__(self, cluster: Any) -> None:
        self.cluster = cluster
        self._names = itertools.count()

    def new_database(self, template: str = _TEMPLATE_DB, *, name: str | None = None) -> str:
        """A new database (a copy of ``template``: PostGIS and the schema, no workspace); its URL."""
        name = name or f"t{os.getpid()}_{next(self._names)}"
        return str(self.cluster.create_database(name, template=template))

    def has_database(self, name: str) -> bool:
        import psycopg

        with psycopg.connect(self.cluster.url(), autocommit=True) as conn:
            row = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        return row is not None

    def drop(self, url: str) -> None:
        self.cluster.drop_database(url.rsplit("/", 1)[-1])


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """A throw-away PostgreSQL + PostGIS server for the session (skipped when none is installed)."""
    module = _pg_cluster_module()
    bindir = module.find_bindir()
    reason = (
        "no PostgreSQL server binaries (initdb) found; install postgresql and postgis (see .ci/run)"
        if bindir is None
        else module.postgis_missing(bindir)
    )
    if reason is not None:
        if os.environ.get("COVGIS_REQUIRE_POSTGIS") == "1":
            pytest.fail(f"COVGIS_REQUIRE_POSTGIS=1 but {reason}")
        pytest.skip(reason)
    folder = Path(tempfile.mkdtemp(prefix="covgis-pg-"))
    cluster = module.Cluster(folder, bindir)
    try:
        cluster.start()
        from coverage_gis.storage.postgis import PostGISStorage

        template = PostGISStorage(cluster.create_database(_TEMPLATE_DB))
        template.migrate()
        template.close()
        yield PostgresServer(cluster)
    finally:
        cluster.stop()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> str:
    """The storage backend workspaces of this test are made on (``gpkg`` unless parametrised)."""
    return str(getattr(request, "param", "gpkg"))


@pytest.fixture
def new_location(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[Callable[[str], Any]]:
    """``new_location(name)``: where to make a new workspace on this test's backend.

    A folder under ``tmp_path``, or the URL of a new empty database (dropped afterwards).
    """
    if backend == "gpkg":
        yield lambda name: tmp_path / name
        return
    server: PostgresServer = request.getfixturevalue("postgres")
    made: list[str] = []

    def make(_name: str) -> str:
        made.append(server.new_database())
        return made[-1]

    yield make
    for url in made:
        server.drop(url)


#: SQLite's side files of a WAL database: present while a connection is open, whatever was written.
SQLITE_SIDE_FILES = ("-wal", "-shm")


def fold_wal(gpkg: Path) -> None:
    """Fold a GeoPackage's WAL into the file, so the file alone holds every commit (an open
    workspace keeps connections, so its last commits may still sit in the WAL)."""
    with contextlib.closing(sqlite3.connect(gpkg)) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def workspace_digest(ws: Workspace) -> str:
    """A digest of everything a workspace stores: the GeoPackage's bytes, or a database's contents.

    For a database: every present layer (values and geometries, in row order), the
    settings document and the files.
    """
    if ws.backend == "gpkg":
        fold_wal(ws.gpkg_path)
        return hashlib.sha256(ws.gpkg_path.read_bytes()).hexdigest()
    digest = hashlib.sha256(str(ws.home.read_settings()).encode())
    with ws.snapshot() as snap:
        for name in snap.layer_names():
            frame = snap.read_layer(name)
            digest.update(name.encode())
            values = pd.DataFrame(frame.drop(columns="geometry", errors="ignore")).astype(object)
            digest.update(values.to_csv(index=False).encode())
            if "geometry" in frame:
                digest.update(b"".join(g.wkb if g is not None else b"-" for g in frame.geometry))
    for name in ws.file_names():
        path = ws.file_path(name)
        digest.update(name.encode() + (path.read_bytes() if path is not None else b""))
    return digest.hexdigest()


@pytest.fixture
def tiny_ws(new_location: Callable[[str], Any]) -> Iterator[Workspace]:
    ws = Workspace.create(new_location("ws"), metric_crs=METRIC, provinces=["99"])
    ws.write_layers(tiny_layers(), source="tiny fixture")
    yield ws
    ws.close()


@pytest.fixture
def make_point() -> Callable[[float, float], Point]:
    return at


def tiny_with_places() -> dict[str, pd.DataFrame]:
    """The tiny network plus priority places, a 5G zone, a 5G site and speed tests.

    Default 5G categories (no plan for province 99); 5G 3500 MHz rural radius 2,130 m:
    - P1 hospital at (500, 0): S1 (no 5G) 500 m away → gap, "add a 5G cell on site S1".
    - P2 school at (0, 3000): nearest on-air site S1 at 3 km → gap, "new 5G small cell or site".
    - P3 hospital at (-3000, -3000): inside the on-air 5G zone Z1 → 5G.
    - P4 tourist area at (100, 100): not a priority category → never a gap.
    - P5 hospital at (-10000, 10500): S3's 5G cell 500 m away → 5G.
    Speed tests: mobile 20, 40 and 100 Mbit/s (median 40) and one fixed 300 Mbit/s.
    """
    layers = tiny_layers()
    layers["sites"] = pd.concat(
        [
            layers["sites"],
            gpd.GeoDataFrame(
                {"site_id": ["S3"], "status": ["on_air"], "height_m": [30.0], "commissioned": ["2025-03-01"]},
                geometry=[at(-10_000, 10_000)],
                crs="EPSG:4326",
            ),
        ],
        ignore_index=True,
    )
    layers["cells"] = pd.concat(
        [
            layers["cells"],
            pd.DataFrame(
                {
                    "cell_id": ["S3-VT-5G"],
                    "site_id": ["S3"],
                    "operator": ["Viettel"],
                    "tech": ["5G"],
                    "band_mhz": [3500.0],
                    "azimuth_deg": [np.nan],
                    "eirp_dbm": [60.0],
                    "status": ["on_air"],
                }
            ),
        ],
        ignore_index=True,
    )
    layers["pois"] = gpd.GeoDataFrame(
        {
            "poi_id": ["P1", "P2", "P3", "P4", "P5"],
            "name": ["Bệnh viện 1", "Trường 2", "Bệnh viện 3", "Bãi biển 4", "Bệnh viện 5"],
            "category": ["hospital", "school", "hospital", "tourist_area", "hospital"],
        },
        geometry=[at(500, 0), at(0, 3000), at(-3000, -3000), at(100, 100), at(-10_000, 10_500)],
        crs="EPSG:4326",
    )
    layers["zones_5g"] = gpd.GeoDataFrame(
        {"zone_id": ["Z1"], "operator": ["Viettel"], "status": ["on_air"], "name": ["Vùng 5G"]},
        geometry=[box(at(-3500, -3500).x, at(-3500, -3500).y, at(-2500, -2500).x, at(-2500, -2500).y)],
        crs="EPSG:4326",
    )
    layers["speed_tests"] = gpd.GeoDataFrame(
        {
            "test_id": ["T1", "T2", "T3", "T4"],
            "kind": ["mobile", "mobile", "mobile", "fixed"],
            "tech": ["4G", "4G", "4G", "FTTH"],
            "operator": ["Viettel", "VNPT", "Viettel", "VNPT"],
            "download_mbps": [20.0, 40.0, 100.0, 300.0],
        },
        geometry=[at(1000, 0), at(1100, 0), at(0, 3669), at(1000, 0)],
        crs="EPSG:4326",
    )
    return layers


@pytest.fixture
def places_ws(new_location: Callable[[str], Any]) -> Iterator[Workspace]:
    ws = Workspace.create(new_location("places"), metric_crs=METRIC, provinces=["99"])
    ws.write_layers(tiny_with_places(), source="tiny fixture with places")
    yield ws
    ws.close()


# -- the API tests' workspace ------------------------------------------------------------------------
def make_workspace(path: Path) -> Workspace:
    """The conftest fixture's workspace at ``path``, with its coverage computed (revision 1).

    The first workspace made in a test session is kept as a template; later ones are
    copies of it (building and computing one costs about a second).
    """
    global _TEMPLATE
    if _TEMPLATE is None or not (_TEMPLATE / "workspace.yaml").is_file():
        folder = tempfile.mkdtemp(prefix="covgis-api-template-")
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        template = Path(folder) / "ws"
        ws = Workspace.create(template, metric_crs=METRIC, provinces=["99"], name="ws")
        ws.write_layers(tiny_layers(), source="tiny fixture")
        compute(ws)  # stores coverage as revision 1
        _TEMPLATE = template
    return Workspace.open(copy_workspace(_TEMPLATE, path))


_TEMPLATE: Path | None = None
_DB_TEMPLATE = "covgis_api_template"


def _database_template(server: PostgresServer) -> str:
    """The name of a database holding :func:`make_workspace`'s workspace (made once per session)."""
    if not server.has_database(_DB_TEMPLATE):
        url = server.new_database(name=_DB_TEMPLATE)
        ws = Workspace.create(url, metric_crs=METRIC, provinces=["99"], name="ws")
        ws.write_layers(tiny_layers(), source="tiny fixture")
        compute(ws)
        ws.close()  # a template database must have no connections
    return _DB_TEMPLATE


def api_workspace(backend: str, folder: Path, request: pytest.FixtureRequest) -> Iterator[Workspace]:
    """:func:`make_workspace`'s workspace on ``backend`` (a copy of a template database for PostGIS)."""
    if backend == "gpkg":
        ws = make_workspace(folder)
        yield ws
        ws.close()
        return
    server: PostgresServer = request.getfixturevalue("postgres")
    url = server.new_database(template=_database_template(server))
    ws = Workspace.open(url)
    try:
        yield ws
    finally:
        ws.close()
        server.drop(url)


@pytest.fixture
def api_ws(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Workspace]:
    """The API tests' workspace (revision 1) on this test's backend."""
    yield from api_workspace(backend, tmp_path / "ws", request)


# -- made once per run, shared by the xdist workers ------------------------------------------------
T = TypeVar("T")


class RunCache:
    """What is made once per test run and shared by its xdist workers.

    Lives in ``root``, a folder every worker of the run sees; each entry is made by the
    first worker that asks for it, under a file lock (the others wait for it), and
    appears under its name only when complete (made beside it, then renamed).
    """

    def __init__(self, root: Path) -> None:
        self.root = root

    def folder(self, name: str, make: Callable[[Path], None]) -> Path:
        """The folder ``name``, made by ``make(folder)`` if no worker made it yet; read only."""
        target = self.root / name
        with FileLock(self.root / f"{name}.lock"):
            if not target.is_dir():
                partial = self.root / f"{name}.partial"
                shutil.rmtree(partial, ignore_errors=True)
                make(partial)
                partial.rename(target)
        return target

    def value(self, name: str, make: Callable[[], T]) -> T:
        """The value ``name`` (pickled), made by ``make()`` if no worker made it yet."""
        target = self.root / f"{name}.pickle"
        with FileLock(self.root / f"{name}.lock"):
            if not target.is_file():
                made = make()
                partial = target.with_suffix(".partial")
                partial.write_bytes(pickle.dumps(made, protocol=pickle.HIGHEST_PROTOCOL))
                partial.rename(target)
                return made
        loaded: T = pickle.loads(target.read_bytes())
        return loaded


@pytest.fixture(scope="session")
def run_cache(tmp_path_factory: pytest.TempPathFactory) -> RunCache:
    """The run's :class:`RunCache`: under xdist, the parent of the workers' own temporary folders."""
    base = tmp_path_factory.getbasetemp()
    root = (base.parent if "PYTEST_XDIST_WORKER" in os.environ else base) / "run-cache"
    root.mkdir(exist_ok=True)
    return RunCache(root)


@pytest.fixture(scope="session")
def five_provinces(run_cache: RunCache) -> DemoData:
    """The demo data of the five seed provinces (default seed), generated once per run.

    Tests read it or write it to a workspace; none changes it.
    """
    return run_cache.value("five-provinces", lambda: generate("all", seed=DEFAULT_SEED))


#: The seed of the Bình Định demo the CLI, report and plan tests read (their figures are its).
BINH_DINH_SEED = 2025


def _binh_dinh_demo(folder: Path) -> None:
    build_demo_workspace(folder, ["binh-dinh"], seed=BINH_DINH_SEED).close()


def _binh_dinh_demo_computed(run_cache: RunCache) -> Callable[[Path], None]:
    def make(folder: Path) -> None:
        from coverage_gis.cli import main

        copy_workspace(run_cache.folder("binh-dinh-demo", _binh_dinh_demo), folder)
        assert main(["compute", str(folder)]) == 0

    return make


def copy_workspace(source: Path, target: Path) -> Path:
    """A copy of the folder workspace ``source`` at ``target`` (without its lock file)."""
    shutil.copytree(source, target, ignore=shutil.ignore_patterns(".workspace.lock"))
    return target


@pytest.fixture(scope="session")
def binh_dinh_demo(run_cache: RunCache) -> Callable[..., Path]:
    """``binh_dinh_demo(path, computed=False)``: a copy at ``path`` of the Bình Định demo
    workspace (as ``build_demo_workspace(path, ["binh-dinh"], seed=2025)`` makes it;
    ``computed``: with its coverage computed, as after ``covgis compute``).

    The demo is built once per run; each caller gets its own copy to read or change.
    """

    def copy(path: Path, *, computed: bool = False) -> Path:
        if computed:
            source = run_cache.folder("binh-dinh-demo-computed", _binh_dinh_demo_computed(run_cache))
        else:
            source = run_cache.folder("binh-dinh-demo", _binh_dinh_demo)
        return copy_workspace(source, path)

    return copy


def serving_context(analysis: Any, ws: Workspace) -> SimpleNamespace:
    """A minimal :class:`~coverage_gis_api.context.ServingContext`: one fixed revision."""
    live = SimpleNamespace(analysis=analysis, revision=0, workspace=ws)

    async def view_async() -> SimpleNamespace:
        return live

    return SimpleNamespace(
        settings=SimpleNamespace(refresh_interval_s=1.0),
        live=live,
        change_listeners=[],
        view=lambda: live,
        view_async=view_async,
    )
