"""``covgis db init|load|dump``: a workspace moves between a folder and PostGIS losslessly."""

from __future__ import annotations

from pathlib import Path

import pytest

from coverage_gis import engine
from coverage_gis.cli import main
from coverage_gis.errors import WorkspaceError
from coverage_gis.live import LiveWorkspace
from coverage_gis.storage.base import resolve_location
from coverage_gis.workspace import Workspace

from .conftest import METRIC, PostgresServer, at, tiny_layers, workspace_digest


def _folder_files(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != ".workspace.lock"
    }


def _edited_workspace(folder: Path) -> Workspace:
    """The tiny workspace, computed, with a site edit (revisions and coverage changes) and two files."""
    ws = Workspace.create(folder, metric_crs=METRIC, provinces=["99"])
    ws.write_layers(tiny_layers(), source="tiny fixture")
    roads = folder.parent / "roads.osm"
    roads.write_text("<osm version='0.6'></osm>\n", encoding="utf-8")
    ws.install_file(roads, "roads.osm")
    tile = folder.parent / "N13E109.hgt"
    tile.write_bytes(bytes(range(256)) * 3)
    ws.install_file(tile, "srtm/N13E109.hgt")
    live = LiveWorkspace(ws, engine.compute(ws))
    point = at(6000, 1000)
    live.add_site(
        {"site_id": "S3", "lon": point.x, "lat": point.y, "status": "on_air", "height_m": 30.0},
        [{"cell_id": "S3-VT-4G", "operator": "Viettel", "tech": "4G", "status": "on_air"}],
        author="kỹ sư",
    )
    return ws


def test_dump_load_dump_is_identical(postgres: PostgresServer, tmp_path: Path) -> None:
    source = _edited_workspace(tmp_path / "source")
    first_url, second_url = postgres.new_database(), postgres.new_database()
    try:
        assert main(["db", "init", first_url]) == 0
        assert main(["db", "load", str(source.path), first_url]) == 0
        assert main(["db", "dump", first_url, str(tmp_path / "dump1")]) == 0
        assert main(["db", "load", str(tmp_path / "dump1"), second_url]) == 0
        assert main(["db", "dump", second_url, str(tmp_path / "dump2")]) == 0

        dump1, dump2 = _folder_files(tmp_path / "dump1"), _folder_files(tmp_path / "dump2")
        assert set(dump1) == {"workspace.yaml", "workspace.gpkg", "roads.osm", "srtm/N13E109.hgt"}
        assert dump1 == dump2  # byte for byte
        # Nothing lost on the way: the same settings, layers, rows, revision log and files.
        with Workspace.open(first_url) as first, Workspace.open(second_url) as second:
            assert workspace_digest(first) == workspace_digest(second)
            assert first.revision == second.revision == source.revision == 2
            assert (tmp_path / "dump1" / "workspace.yaml").read_text() == source.home.read_settings()
            assert first.layer_names() == source.layer_names()
            for name in source.layer_names():
                assert len(first.read_layer(name)) == len(source.read_layer(name)), name
            # The copy serves the same analysis.
            assert engine.load(second).revision == 2
    finally:
        postgres.drop(first_url)
        postgres.drop(second_url)


def test_load_refuses_a_database_that_holds_a_workspace(postgres: PostgresServer, tmp_path: Path) -> None:
    source = _edited_workspace(tmp_path / "source")
    url = postgres.new_database()
    try:
        assert main(["db", "load", str(source.path), url]) == 0
        with pytest.raises(WorkspaceError, match="already a workspace"):
            source.copy_to(url)
        assert main(["db", "load", str(source.path), url]) == 2  # WorkspaceError
    finally:
        postgres.drop(url)


def test_the_database_url_comes_from_the_environment(
    postgres: PostgresServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = postgres.new_database()
    try:
        monkeypatch.setenv("COVGIS_DATABASE_URL", url)
        ws = Workspace.create(url, metric_crs=METRIC, provinces=["99"])
        ws.write_layers(tiny_layers(), source="tiny fixture")
        ws.close()
        assert main(["layers", "--json"]) == 0  # no WS: the database of COVGIS_DATABASE_URL
        assert '"villages"' in capsys.readouterr().out
    finally:
        postgres.drop(url)


def test_locations(monkeypatch: pytest.MonkeyPatch) -> None:
    assert resolve_location("ws", {}) == Path("ws")
    assert resolve_location("postgresql://u@h/db", {}) == "postgresql://u@h/db"
    assert resolve_location(None, {"COVGIS_DATABASE_URL": "postgres://u@h/db"}) == "postgres://u@h/db"
    with pytest.raises(WorkspaceError, match="COVGIS_DATABASE_URL"):
        resolve_location(None, {})
    with pytest.raises(WorkspaceError, match="must be a postgresql://"):
        resolve_location(None, {"COVGIS_DATABASE_URL": "some/folder"})
    monkeypatch.delenv("COVGIS_DATABASE_URL", raising=False)
    assert main(["layers"]) == 2  # a one-line error, not a traceback
