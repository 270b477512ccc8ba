"""The workspace's storage seam on both backends: row edits, snapshots, and reads that never write."""

from __future__ import annotations

import multiprocessing
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import shapely
from shapely.geometry import Point

from coverage_gis import engine
from coverage_gis.errors import WorkspaceError
from coverage_gis.live import LiveWorkspace
from coverage_gis.revisions import CoverageChange, RevisionRecord, history
from coverage_gis.storage import GeoPackageStorage, WorkspaceStorage
from coverage_gis.storage.gpkg import geometry_blob
from coverage_gis.storage.postgis import PostGISStorage
from coverage_gis.workspace import Workspace

from .conftest import at, workspace_digest

pytestmark = pytest.mark.backends


def test_the_storage_is_a_workspace_storage(tiny_ws: Workspace, backend: str) -> None:
    storage: WorkspaceStorage = tiny_ws.storage
    assert isinstance(storage, GeoPackageStorage if backend == "gpkg" else PostGISStorage)
    assert tiny_ws.backend == backend
    assert set(storage.layer_names()) >= {"villages", "sites", "cells", "revisions", "coverage_changes"}
    assert storage.layer_counts()["villages"] == 3
    west, south, east, north = storage.layer_bounds("villages") or (0.0, 0.0, 0.0, 0.0)
    # V3 is the westmost and northmost (0, 3669 m), V2 the eastmost (6000, 0 m), V1 southmost
    assert (west, north) == pytest.approx((at(0, 3669).x, at(0, 3669).y))
    assert (east, south) == pytest.approx((at(6000, 0).x, at(1000, 0).y))
    assert storage.layer_bounds("cells") is None  # no geometry


def test_point_blob_is_geopackage_binary() -> None:
    blob = geometry_blob(Point(108.5, 14.25))
    # magic, version 0, flags: little-endian without envelope, srs 4326, then 2D point WKB
    assert blob[:8] == b"GP\x00\x01" + (4326).to_bytes(4, "little")
    assert shapely.from_wkb(blob[8:]).equals(Point(108.5, 14.25))


def test_row_edits_and_revision_commit_together(tiny_ws: Workspace) -> None:
    start = tiny_ws.revision
    with tiny_ws.edit() as editor:
        assert editor.delete_where_in("sites", "site_id", ["S2"]) == 1
        editor.insert_rows(
            "sites", [{"site_id": "S9", "status": "on_air", "height_m": 20.0, "geometry": at(500, 500)}]
        )
        editor.update_rows("cells", "cell_id", [{"cell_id": "S1-VT-2G", "status": "planned"}])
        number = editor.append_revision(
            RevisionRecord(
                summary="hand edit",
                author="t",
                coverage_changes=[CoverageChange("V1", True, False, True, True)],
            )
        )
    assert number == start + 1 == tiny_ws.revision
    sites = tiny_ws.read_layer("sites").set_index("site_id")
    assert set(sites.index) == {"S1", "S9"}
    assert sites.loc["S9"].geometry.equals_exact(at(500, 500), 1e-9)
    cells = tiny_ws.read_layer("cells").set_index("cell_id")
    assert cells.loc["S1-VT-2G", "status"] == "planned"
    changes = tiny_ws.read_layer("coverage_changes")
    assert list(changes["change_id"]) == [f"{number}:V1"]
    assert history(tiny_ws)["summary"].iloc[-1] == "hand edit"


def test_a_failing_edit_writes_nothing(tiny_ws: Workspace) -> None:
    digest = workspace_digest(tiny_ws)

    def delete_then_fail() -> None:
        with tiny_ws.edit() as editor:
            editor.delete_where_in("sites", "site_id", ["S1", "S2"])
            editor.insert_rows("cells", [{"cell_id": "X", "colour": "red"}])

    with pytest.raises(KeyError, match="no columns"):
        delete_then_fail()
    assert workspace_digest(tiny_ws) == digest


def test_gpkg_keeps_idle_connections_and_drops_a_failed_one(tiny_ws: Workspace) -> None:
    """Reads and edits reuse one connection (closing the last one to a WAL database would
    checkpoint and delete the WAL each time); a connection whose edit failed is closed, not
    kept; ``close()`` closes the kept ones and the storage stays usable."""
    if tiny_ws.backend != "gpkg":
        pytest.skip("the GeoPackage's own connections")
    storage = tiny_ws.storage
    assert isinstance(storage, GeoPackageStorage)
    pool = storage._pool
    start = tiny_ws.revision
    kept = list(pool._idle)
    assert len(kept) == 1
    with tiny_ws.edit() as editor:
        editor.append_revision(RevisionRecord(summary="one", author="t"))
    assert tiny_ws.revision == start + 1
    assert pool._idle == kept  # the same connection, given back after the commit
    assert tiny_ws.gpkg_path.with_name(tiny_ws.gpkg_path.name + "-wal").exists()

    def fail_inside() -> None:
        with tiny_ws.edit() as editor:
            editor.append_revision(RevisionRecord(summary="lost", author="t"))
            raise RuntimeError("fails inside the transaction")

    with pytest.raises(RuntimeError):
        fail_inside()
    assert pool._idle == []
    with pytest.raises(sqlite3.ProgrammingError):
        kept[0].execute("SELECT 1")  # closed
    assert tiny_ws.revision == start + 1
    tiny_ws.close()
    assert pool._idle == []
    assert Workspace.open(tiny_ws.path).revision == start + 1
    assert tiny_ws.revision == start + 1  # usable after close


def test_gpkg_whole_layer_write_is_folded_into_the_file(tiny_ws: Workspace, tmp_path: Path) -> None:
    """A whole-layer write checkpoints the WAL it fills (every page of the database) while
    the process keeps connections open: the next site edit does not pay for folding it
    in, and the ``.gpkg`` file alone holds the write."""
    if tiny_ws.backend != "gpkg":
        pytest.skip("the GeoPackage's own connections")
    villages = tiny_ws.read_layer("villages")
    storage = tiny_ws.storage
    assert isinstance(storage, GeoPackageStorage)
    assert storage._pool._idle  # a kept connection: closing the writer's checkpoints nothing
    renamed = villages.assign(name="Thôn đổi tên")
    tiny_ws.write_layers({"villages": renamed}, source="test")
    assert tiny_ws.gpkg_path.with_name(tiny_ws.gpkg_path.name + "-wal").exists()
    alone = tmp_path / "alone.gpkg"
    alone.write_bytes(tiny_ws.gpkg_path.read_bytes())  # the file without its WAL
    with sqlite3.connect(alone) as conn:
        names = {row[0] for row in conn.execute("SELECT name FROM villages")}
    assert names == {"Thôn đổi tên"}


def _read_in_child(storage: GeoPackageStorage, inherited: sqlite3.Connection) -> None:
    storage.revision()  # through a connection of the child's own
    inherited.total_changes  # noqa: B018 - raises if the child closed its parent's connection
    assert storage._pool._idle
    assert inherited not in storage._pool._idle


def test_gpkg_connections_do_not_cross_a_fork(tiny_ws: Workspace) -> None:
    """A forked child never uses or closes a connection it inherited (SQLite forbids it)."""
    if tiny_ws.backend != "gpkg":
        pytest.skip("the GeoPackage's own connections")
    storage = tiny_ws.storage
    assert isinstance(storage, GeoPackageStorage)
    start = storage.revision()
    (inherited,) = storage._pool._idle
    child = multiprocessing.get_context("fork").Process(target=_read_in_child, args=(storage, inherited))
    child.start()
    child.join(60)
    assert child.exitcode == 0
    assert storage._pool._idle == [inherited]  # the parent's own, still in use
    assert storage.revision() == start


def test_editing_before_anything_was_written_is_a_workspace_error(
    new_location: Callable[[str], Any],
) -> None:
    ws = Workspace.create(new_location("empty"))
    with pytest.raises(WorkspaceError, match="does not exist"), ws.edit():
        pass


def test_snapshot_tags_reads_with_their_revision(tiny_ws: Workspace) -> None:
    engine.compute(tiny_ws)
    with tiny_ws.snapshot() as snap:
        assert snap.revision == tiny_ws.revision == 1
        assert snap.coverage_is_current()
        assert len(snap.read_layer("village_coverage")) == 3
        assert snap.read_layer("speed_tests", missing_ok=True).empty


def test_reads_never_write(tiny_ws: Workspace) -> None:
    """``load`` of a workspace without current coverage computes in memory and writes nothing."""
    digest = workspace_digest(tiny_ws)
    analysis = engine.load(tiny_ws)
    assert not analysis.coverage_stored
    assert analysis.revision == 0
    assert list(analysis.coverage.sort_values("village_id")["mobile_bb"]) == [True, False, True]
    live = LiveWorkspace.open(tiny_ws.location)
    assert live.revision == 0
    assert workspace_digest(tiny_ws) == digest
    assert tiny_ws.revision == 0


def test_first_edit_on_unstored_coverage_stores_it_first(tiny_ws: Workspace) -> None:
    live = LiveWorkspace.open(tiny_ws.location)
    result = live.update_site(
        "S2", {"status": "on_air"}, cell_changes={"S2-VT-4G": {"status": "on_air"}}, author="t"
    )
    assert result.revision == 2
    log = history(tiny_ws)
    assert list(log["summary"]) == [
        "full recompute (radius model; 0 of 8 pairs outside formula validity)",
        "update site S2",
    ]
    stored = tiny_ws.read_layer("village_coverage").set_index("village_id")
    assert bool(stored.loc["V2", "mobile_bb"]) is True
    assert int(stored.loc["V2", "revision"]) == 2
    assert int(stored.loc["V1", "revision"]) == 1
    fresh = engine.compute(tiny_ws, write=False).coverage.set_index("village_id")
    assert stored["mobile_bb"].to_dict() == fresh["mobile_bb"].to_dict()


def test_a_refresh_after_an_import_writes_nothing(tiny_ws: Workspace) -> None:
    """A server refreshing after another process imported layers reads; it writes no recompute."""
    live = LiveWorkspace(tiny_ws, engine.compute(tiny_ws))
    villages = tiny_ws.read_layer("villages")
    tiny_ws.write_layers(
        {"villages": villages[villages["village_id"] != "V3"]},
        revision=RevisionRecord(summary="import 2 villages", author="t", coverage_current=False),
    )
    digest, revision = workspace_digest(tiny_ws), tiny_ws.revision
    assert live.refresh()
    assert live.revision == revision == 2
    assert not live.analysis.coverage_stored
    assert list(live.analysis.coverage["village_id"]) == ["V1", "V2"]
    assert workspace_digest(tiny_ws) == digest
    assert engine.load(tiny_ws).revision == revision
    assert workspace_digest(tiny_ws) == digest


@pytest.mark.backends("gpkg")  # a database's schema comes from its migrations
def test_row_edits_add_a_schema_field_an_older_file_lacks(tiny_ws: Workspace) -> None:
    # A file written before village_coverage had mobile_gap_reasons: the row editor adds
    # the column (a schema field) instead of failing; a name outside the schema still fails.
    engine.compute(tiny_ws)
    with sqlite3.connect(tiny_ws.path / "workspace.gpkg") as conn:
        conn.execute('ALTER TABLE "village_coverage" DROP COLUMN "mobile_gap_reasons"')
    with tiny_ws.edit() as editor:
        editor.update_rows(
            "village_coverage", "village_id", [{"village_id": "V2", "mobile_gap_reasons": "no_site_in_range"}]
        )
    assert tiny_ws.read_layer("village_coverage").set_index("village_id").loc["V2", "mobile_gap_reasons"] == (
        "no_site_in_range"
    )
    with pytest.raises(KeyError, match="no columns"), tiny_ws.edit() as editor:
        editor.update_rows("village_coverage", "village_id", [{"village_id": "V2", "colour": "red"}])
