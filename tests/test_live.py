"""Incremental site edits: equal to a full recompute, atomic, serialised, logged (both backends)."""

from __future__ import annotations

import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coverage_gis import engine, live_plan, revisions
from coverage_gis.admin import LEVELS
from coverage_gis.errors import Conflict, CoverageGISError, LayerValidationError, NotFound, StaleRevision
from coverage_gis.kpi import kpi_columns
from coverage_gis.kpi_sums import KpiSums
from coverage_gis.live import LiveWorkspace
from coverage_gis.site_edits import SiteEdit
from coverage_gis.workspace import Workspace

from .conftest import METRIC, at, tiny_layers, workspace_digest

pytestmark = pytest.mark.backends

COMPARED = [
    "village_id",
    "mobile_bb",
    "best_tech",
    "operators",
    "n_operators",
    "best_signal_dbm",
    "has_4g",
    "has_5g",
    "ftth",
    "mobile_gap_reason",
    "ftth_gap_reason",
]


@contextmanager
def _new_ws(backend: str, request: pytest.FixtureRequest) -> Iterator[Workspace]:
    """A fresh tiny workspace on ``backend`` (one per Hypothesis example), removed afterwards."""
    with tempfile.TemporaryDirectory() as tmp:
        server = request.getfixturevalue("postgres") if backend == "postgis" else None
        location = server.new_database() if server is not None else Path(tmp) / "ws"
        ws = Workspace.create(location, metric_crs=METRIC, provinces=["99"])
        try:
            ws.write_layers(tiny_layers(), source="tiny fixture")
            yield ws
        finally:
            ws.close()
            if server is not None:
                server.drop(str(location))


def _site(dx: float, dy: float, **extra: Any) -> dict[str, Any]:
    p = at(dx, dy)
    return {"lon": p.x, "lat": p.y, "status": "on_air", "height_m": 30.0, **extra}


def _cell(cell_id: str, operator: str = "MobiFone", tech: str = "4G", **extra: Any) -> dict[str, Any]:
    return {"cell_id": cell_id, "operator": operator, "tech": tech, "status": "on_air", **extra}


def _normalised(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame[COMPARED].sort_values("village_id").reset_index(drop=True).astype(object)
    return out.where(out.notna(), None)


def assert_matches_full_recompute(live: LiveWorkspace) -> None:
    fresh = engine.compute(Workspace.open(live.workspace.location), write=False)
    got = _normalised(live.analysis.coverage)
    want = _normalised(fresh.coverage)
    pd.testing.assert_frame_equal(got, want, check_dtype=False)
    kpis_live = live.kpis.sort_values(["level", "code"]).reset_index(drop=True)
    kpis_full = fresh.kpis().sort_values(["level", "code"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(kpis_live, kpis_full, check_dtype=False)
    # The per-unit sums the edits moved equal a fresh count's, exactly.
    period, categories = fresh.kpi_options()
    want_sums = KpiSums.of(kpi_columns(fresh.inputs, LEVELS, period=period, categories=categories))
    for level in LEVELS:
        pd.testing.assert_frame_equal(
            live.state.kpi_sums.frame(level), want_sums.frame(level), check_exact=True
        )
    # The revision log's snapshot (kept up to date unit by unit) holds the same rows, in
    # the table's order.
    stored = revisions.kpi_snapshot(live.workspace, live.revision)
    want = engine.kpi_records(fresh.kpis(levels=engine.SNAPSHOT_LEVELS))
    assert [(r["level"], r["code"]) for r in stored.to_dict(orient="records")] == [
        (r["level"], r["code"]) for r in want
    ]
    pd.testing.assert_frame_equal(
        stored.reset_index(drop=True), pd.DataFrame(want), check_dtype=False, check_exact=False
    )


def test_add_then_remove_site_restores_kpis(tiny_ws: Workspace) -> None:
    live = LiveWorkspace(tiny_ws, engine.compute(tiny_ws))
    start = live.revision
    before = live.province_kpis()["villages_mobile_bb_pct"]
    added = live.add_site({"site_id": "NEW", **_site(6500, 0)}, [_cell("NEW-1", tech="4G")], author="tester")
    assert added.revision == start + 1
    assert added.gained_mobile == ("V2",)
    assert added.kpi_after["villages_mobile_bb_pct"] == pytest.approx(100.0)
    assert added.kpi_delta["villages_mobile_bb_pct"] == pytest.approx(100.0 - before)
    assert added.dirty_bbox is not None
    assert_matches_full_recompute(live)
    removed = live.remove_site("NEW", author="tester")
    assert removed.lost_mobile == ("V2",)
    assert removed.kpi_after["villages_mobile_bb_pct"] == pytest.approx(before)
    assert_matches_full_recompute(live)
    log = revisions.history(tiny_ws)
    assert list(log["summary"].iloc[-2:]) == ["add site NEW", "remove site NEW"]
    assert list(log["author"].iloc[-2:]) == ["tester", "tester"]
    changed = revisions.diff(tiny_ws, start, start + 1)
    assert list(changed["village_id"]) == ["V2"]
    assert changed.iloc[0]["change"] == "gained mobile"
    assert revisions.diff(tiny_ws, start, start + 2).empty
    snap = revisions.kpi_snapshot(tiny_ws, start + 1)
    assert snap[snap["level"] == "province"].iloc[0]["villages_mobile_bb_pct"] == pytest.approx(100.0)


@pytest.mark.parametrize(("cell_height", "gained"), [(None, ()), (150.0, ("V2",))])
def test_a_cell_hung_higher_than_its_site_reaches_further(
    tiny_ws: Workspace, cell_height: float | None, gained: tuple[str, ...]
) -> None:
    """A cell's own antenna height, not its 20 m site's, goes into the path loss: 3 km from
    V2, a 150 m antenna reaches it and a 20 m one does not, edited as a full compute sees it."""
    tiny_ws.update_config(model="pathloss")
    live = LiveWorkspace(tiny_ws, engine.compute(tiny_ws))
    own = {} if cell_height is None else {"height_m": cell_height}
    added = live.add_site(
        {"site_id": "HIGH", **_site(6000, 3000, height_m=20.0)}, [_cell("HIGH-1", **own)], author="t"
    )
    assert added.gained_mobile == gained
    assert_matches_full_recompute(live)


def test_edits_log_only_the_kpi_rows_they_change(tiny_ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(revisions, "WHOLE_SNAPSHOT_EVERY", 4)
    live = LiveWorkspace(tiny_ws, engine.compute(tiny_ws))
    for n in range(5):
        live.add_site({"site_id": f"N{n}", **_site(6500, 300.0 * n)}, [_cell(f"N{n}-1")], author="t")
    log = revisions.history(tiny_ws).set_index("revision")["kpi_snapshot"]
    kinds = {
        rev: "partial" if text.startswith("{") else "whole" for rev, text in log.items() if len(text) > 2
    }
    # The first edit after opening logs it whole (the opened KPIs need not be the log's
    # last snapshot), later ones only their rows, and every fourth revision whole again.
    first = live.revision - 4
    assert [kinds[r] for r in range(first, live.revision + 1)] == [
        "whole" if r == first or r % 4 == 0 else "partial" for r in range(first, live.revision + 1)
    ]
    assert_matches_full_recompute(live)
    # Each revision folds to the snapshot a full recompute gives at that point.
    province = {
        rev: next(row for key, row in rows.items() if key[0] == "province")["villages_mobile_bb"]
        for rev, rows in revisions.kpi_snapshots(revisions.history(tiny_ws))
        if rows is not None
    }
    assert [province[r] for r in range(first - 1, live.revision + 1)] == [
        province[first - 1] + min(r - first + 1, 1) for r in range(first - 1, live.revision + 1)
    ]


def test_a_partial_snapshot_without_a_whole_one_is_refused() -> None:
    log = pd.DataFrame({"revision": [7], "kpi_snapshot": ['{"changed": []}']})
    with pytest.raises(CoverageGISError, match="revision 7"):
        list(revisions.kpi_snapshots(log))


def test_an_edit_recounts_its_units_from_the_kept_sums(
    tiny_ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The usual edit (no unit appears or vanishes) moves the sums and recomputes no unit
    from its rows; moving a site takes it out of the sums where it stood."""
    live = LiveWorkspace(tiny_ws, engine.compute(tiny_ws))
    recomputed: list[object] = []
    monkeypatch.setattr(live_plan, "splice_kpi_rows", lambda *args: recomputed.append(args))
    province = str(live.kpis.loc[live.kpis["level"] == "province", "code"].iloc[0])
    sites_before = live.state.kpi_sums.frame("province").loc[province, "sites"]
    live.add_site({"site_id": "NEW", **_site(6500, 0)}, [_cell("NEW-1", tech="4G")], author="t")
    assert live.state.kpi_sums.frame("province").loc[province, "sites"] == sites_before + 1
    live.update_site("NEW", {"lon": at(6400, 100).x, "lat": at(6400, 100).y}, author="t")
    # Counted once where it stands now, not also where it stood.
    assert live.state.kpi_sums.frame("province").loc[province, "sites"] == sites_before + 1
    live.update_site("NEW", {"status": "planned"}, author="t")
    assert live.state.kpi_sums.frame("province").loc[province, "sites"] == sites_before
    assert recomputed == []
    monkeypatch.undo()
    assert_matches_full_recompute(live)


def test_the_first_edit_makes_no_kpi_array_the_load_could_have_made(
    tiny_ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A loaded workspace is ready for its first edit: the KPI columns' per-level names and
    codes are made with the state, not by the first change (0.1 s at national scale)."""
    from coverage_gis import kpi_arrays

    live = LiveWorkspace(tiny_ws, engine.compute(tiny_ws))
    made: list[object] = []
    real_names, real_codes = kpi_arrays._level_names, kpi_arrays._codes
    monkeypatch.setattr(kpi_arrays, "_level_names", lambda *a: made.append(a) or real_names(*a))
    monkeypatch.setattr(kpi_arrays, "_codes", lambda *a: made.append(a) or real_codes(*a))
    base = live.state.overlay.base
    live.add_site({"site_id": "NEW", **_site(6500, 0)}, [_cell("NEW-1", tech="4G")], author="t")
    # Only the edited site's own row is read (its KPI columns), none of the base's arrays.
    assert all(len(a[0]) <= 1 for a in made), made
    assert "placer" in base.__dict__
    assert "poi_in_5g_zone" in base.__dict__
    monkeypatch.undo()
    assert_matches_full_recompute(live)


def test_switching_on_planned_site(tiny_ws: Workspace) -> None:
    live = LiveWorkspace(tiny_ws, engine.compute(tiny_ws))
    result = live.update_site(
        "S2", {"status": "on_air"}, cell_changes={"S2-VT-4G": {"status": "on_air"}}, author="t"
    )
    assert result.gained_mobile == ("V2",)
    assert_matches_full_recompute(live)


def test_sector_turned_away_loses_coverage(tiny_ws: Workspace) -> None:
    live = LiveWorkspace(tiny_ws, engine.compute(tiny_ws))
    live.add_site({"site_id": "SEC", **_site(6000, -1000)}, [_cell("SEC-1", azimuth_deg=0.0)], author="t")
    assert "V2" in set(live.analysis.coverage.query("mobile_bb")["village_id"])
    result = live.update_site("SEC", {}, cell_changes={"SEC-1": {"azimuth_deg": 180.0}}, author="t")
    assert result.lost_mobile == ("V2",)
    assert_matches_full_recompute(live)


def test_failed_write_leaves_workspace_and_state_unchanged(
    tiny_ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    live = LiveWorkspace(tiny_ws, engine.compute(tiny_ws))
    digest, revision, state = workspace_digest(tiny_ws), live.revision, live.state
    coverage = live.analysis.coverage.copy()

    def crash(*_args: object, **_kwargs: object) -> int:
        raise RuntimeError("disk full")

    module = "gpkg" if tiny_ws.backend == "gpkg" else "postgis"
    monkeypatch.setattr(f"coverage_gis.storage.{module}._RowEditor.append_revision", crash)
    with pytest.raises(RuntimeError):
        live.add_site({"site_id": "NEW", **_site(6500, 0)}, [_cell("NEW-1")], author="t")
    assert workspace_digest(tiny_ws) == digest
    assert live.revision == revision
    assert live.state is state  # the KPI table and its kept sums included
    pd.testing.assert_frame_equal(live.analysis.coverage, coverage)
    monkeypatch.undo()
    assert_matches_full_recompute(live)


@pytest.mark.parametrize(
    ("edit", "error"),
    [
        (SiteEdit(op="add", site_id="S1", site=_site(0, 0), cells=[]), Conflict),
        (SiteEdit(op="remove", site_id="NOPE"), NotFound),
        (
            SiteEdit(op="add", site_id="X", site={**_site(0, 0), "colour": "red"}, cells=[]),
            LayerValidationError,
        ),
        (SiteEdit(op="add", site_id="X", site=_site(0, 0), cells=[_cell("S1-VT-4G")]), Conflict),
        (
            SiteEdit(op="add", site_id="X", site=_site(0, 0), cells=[_cell("X1", tech="6G")]),
            LayerValidationError,
        ),
        (SiteEdit(op="update", site_id="S1", site={"lat": 200.0}), LayerValidationError),
    ],
)
def test_bad_edits_write_nothing(tiny_ws: Workspace, edit: SiteEdit, error: type[Exception]) -> None:
    live = LiveWorkspace(tiny_ws, engine.compute(tiny_ws))
    digest = workspace_digest(tiny_ws)
    with pytest.raises(error):
        live.apply([edit], author="t")
    assert workspace_digest(tiny_ws) == digest


def test_stale_revision_and_refresh(tiny_ws: Workspace) -> None:
    first = LiveWorkspace(tiny_ws, engine.compute(tiny_ws))
    second = LiveWorkspace.open(tiny_ws.location)
    seen = second.revision
    first.add_site({"site_id": "A", **_site(6500, 0)}, [_cell("A-1")], author="one")
    with pytest.raises(StaleRevision):
        second.remove_site("A", author="two", expected_revision=seen)
    result = second.remove_site("A", author="two")  # refreshes, then applies on top
    assert result.revision == seen + 2
    assert_matches_full_recompute(second)


def test_second_writer_gets_conflict(tiny_ws: Workspace) -> None:
    live = LiveWorkspace(tiny_ws, engine.compute(tiny_ws), lock_timeout_s=0.2)
    holding, release = threading.Event(), threading.Event()

    def hold() -> None:
        with tiny_ws.lock():
            holding.set()
            release.wait(5)

    thread = threading.Thread(target=hold)
    thread.start()
    holding.wait(5)
    digest = workspace_digest(tiny_ws)
    try:
        with pytest.raises(Conflict):
            live.add_site({"site_id": "B", **_site(100, 100)}, [_cell("B-1")], author="t")
    finally:
        release.set()
        thread.join()
    assert workspace_digest(tiny_ws) == digest


_ops = st.sampled_from(["add", "update", "remove"])
_edit = st.tuples(
    _ops,
    st.floats(-9000, 12000),
    st.floats(-6000, 9000),
    st.sampled_from(["3G", "4G", "5G", "2G"]),
    st.sampled_from(["Viettel", "VNPT", "MobiFone"]),
    st.one_of(st.none(), st.floats(0, 359)),
    st.sampled_from(["on_air", "planned"]),
)


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(steps=st.lists(_edit, min_size=1, max_size=4))
def test_random_edits_equal_full_recompute(
    backend: str, request: pytest.FixtureRequest, steps: list[tuple[Any, ...]]
) -> None:
    with _new_ws(backend, request) as ws:
        live = LiveWorkspace(ws, engine.compute(ws))
        added: list[str] = []
        for n, (op, dx, dy, tech, operator, azimuth, status) in enumerate(steps):
            if op == "add" or not added:
                site_id = f"H{n}"
                cell = _cell(f"{site_id}-1", operator=operator, tech=tech, status=status, azimuth_deg=azimuth)
                live.add_site({"site_id": site_id, **_site(dx, dy, status=status)}, [cell], author="h")
                added.append(site_id)
            elif op == "update":
                live.update_site(
                    added[-1], {"lon": at(dx, dy).x, "lat": at(dx, dy).y, "status": status}, author="h"
                )
            else:
                live.remove_site(added.pop(), author="h")
            assert_matches_full_recompute(live)
        assert int(np.asarray(live.revision)) == 1 + len(steps)


def test_update_without_cells_keeps_them(tiny_ws: Workspace) -> None:
    live = LiveWorkspace(tiny_ws, engine.compute(tiny_ws))
    result = live.update_site("S1", {"name": "Trạm S1"}, author="t")
    _, cells = live.site("S1")
    assert sorted(c["cell_id"] for c in cells) == ["S1-VNPT-4G", "S1-VT-2G", "S1-VT-4G"]
    assert result.gained_mobile == result.lost_mobile == ()
    assert_matches_full_recompute(live)


def test_dirty_bbox_covers_a_site_without_cells(tiny_ws: Workspace) -> None:
    live = LiveWorkspace(tiny_ws, engine.compute(tiny_ws))
    point = at(2000, 2000)
    result = live.add_site(
        {"site_id": "BARE", "lon": point.x, "lat": point.y, "status": "planned"}, [], author="t"
    )
    assert result.dirty_bbox is not None
    minx, miny, maxx, maxy = result.dirty_bbox
    slack = 1e-9  # metric round trip of the corner points
    assert minx - slack <= point.x <= maxx + slack
    assert miny - slack <= point.y <= maxy + slack
