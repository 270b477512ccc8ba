"""Challenges on the tiny network: listed, accepted and rejected as revisions, surviving recomputes.

Radius model (tests/conftest.py): V1 and V3 have mobile broadband from site S1, V2 has
none. Measurements: V1's five Viettel 4G tests find no service (0 Mb/s at -118 dBm, below
the -110 dBm 4G threshold); V2's five tests find service; V3's agree with the model;
five FTTH tests near V2 (which has no FTTH) find service. So: a ``no_service`` challenge
at V1 and ``service`` challenges at V2 (mobile and FTTH). KPIs: 2 of 3 villages have
mobile broadband (66.7 %); accepting V1's challenge leaves 1 of 3 (33.3 %).
"""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from coverage_gis.challenges import accept_challenge, list_challenges, reject_challenge
from coverage_gis.cli import main
from coverage_gis.engine import compute, load
from coverage_gis.errors import LayerValidationError, NotFound, StaleRevision
from coverage_gis.live import LiveWorkspace
from coverage_gis.planning.whatif import scratch_workspace
from coverage_gis.revisions import diff, history
from coverage_gis.workspace import Workspace
from tests.conftest import at


def challenge_tests() -> gpd.GeoDataFrame:
    rows = []
    for i in range(5):
        rows.append((f"V1-{i}", "mobile", "4G", "Viettel", 0.0, -118.0, at(1000 + 30 * i, 40)))
        rows.append((f"V2-{i}", "mobile", "4G", "Viettel", 20.0, -100.0, at(6000 + 30 * i, 40)))
        rows.append((f"V3-{i}", "mobile", "4G", "VNPT", 35.0, -95.0, at(30 * i, 4960)))
        rows.append((f"F2-{i}", "fixed", "FTTH", "VNPT", 100.0, float("nan"), at(6000 - 30 * i, -40)))
    frame = pd.DataFrame(
        [r[:-1] for r in rows], columns=["test_id", "kind", "tech", "operator", "download_mbps", "signal_dbm"]
    )
    return gpd.GeoDataFrame(frame, geometry=[r[-1] for r in rows], crs="EPSG:4326")


@pytest.fixture
def ws(tiny_ws: Workspace) -> Workspace:
    tiny_ws.write_layers({"speed_tests": challenge_tests()}, source="challenge fixture")
    compute(tiny_ws)
    return tiny_ws


def _province(ws: Workspace) -> pd.Series:
    return load(ws).kpis(levels=["province"]).iloc[0]


def test_challenges_are_listed(ws: Workspace) -> None:
    found = list_challenges(load(ws))
    assert found["challenge_id"].tolist() == ["ftth:V2", "mobile:V2", "mobile:V1"]  # open, by population
    rows = found.set_index("challenge_id")
    assert rows.loc["mobile:V1", "claim"] == "no_service"
    assert (rows.loc["mobile:V1", "model_value"], rows.loc["mobile:V1", "measured_value"]) == (True, False)
    assert rows.loc["mobile:V1", "tests"] == 5
    assert rows.loc["mobile:V1", "served_share"] == 0.0
    assert rows.loc["mobile:V1", "median_signal_dbm"] == -118.0
    assert rows.loc["mobile:V2", "claim"] == "service"
    assert rows.loc["mobile:V2", "measured_operators"] == "Viettel"
    assert rows.loc["mobile:V2", "measured_tech"] == "4G"
    assert set(rows["status"]) == {"open"}
    assert list_challenges(load(ws), kind="ftth")["challenge_id"].tolist() == ["ftth:V2"]
    assert isinstance(found, gpd.GeoDataFrame)
    assert found.geometry.iloc[2].equals_exact(at(1000, 0), 1e-9)


def test_accept_changes_status_kpis_and_history(ws: Workspace) -> None:
    assert _province(ws)["villages_mobile_bb_pct"] == pytest.approx(200 / 3)
    before = ws.revision
    result = accept_challenge(ws, "V1", author="Sở KH&CN (planner)", reason="đo kiểm 3/2025: không có sóng")
    assert (result.status_before, result.status_after) == (True, False)
    assert result.revision == before + 1
    assert result.kpi_before["villages_mobile_bb_pct"] == pytest.approx(200 / 3)
    assert result.kpi_after["villages_mobile_bb_pct"] == pytest.approx(100 / 3)
    assert _province(ws)["villages_mobile_bb_pct"] == pytest.approx(100 / 3)

    last = history(ws).iloc[-1]
    assert last["revision"] == result.revision
    assert last["author"] == "Sở KH&CN (planner)"
    assert last["summary"] == "accept mobile challenge at V1 (thôn 1): đo kiểm 3/2025: không có sóng"
    assert json.loads(last["changed_ids"]) == ["V1"]
    assert diff(ws, before, result.revision)["change"].tolist() == ["lost mobile"]

    decision = ws.read_layer("overrides").iloc[0]
    assert (decision["override_id"], decision["decision"], decision["author"]) == (
        "mobile:V1",
        "accepted",
        "Sở KH&CN (planner)",
    )
    assert (bool(decision["model_value"]), bool(decision["measured_value"]), decision["revision"]) == (
        True,
        False,
        result.revision,
    )
    row = ws.read_layer("village_coverage").set_index("village_id").loc["V1"]
    assert (bool(row["mobile_bb"]), row["override"], row["mobile_gap_reason"]) == (
        False,
        "mobile",
        "measured_no_service",
    )
    assert (row["operators"], row["n_operators"], bool(row["has_4g"]), row["revision"]) == (
        "",
        0,
        False,
        result.revision,
    )
    listed = list_challenges(load(ws)).set_index("challenge_id")
    assert listed.loc["mobile:V1", "status"] == "accepted"
    assert listed.loc["mobile:V1", "decided_by"] == "Sở KH&CN (planner)"
    assert listed.loc["mobile:V2", "status"] == "open"


def test_override_survives_recompute_and_site_edits(ws: Workspace) -> None:
    accept_challenge(ws, "V1", author="planner", reason="drive test")
    compute(ws)
    assert not load(ws).coverage.set_index("village_id").loc["V1", "mobile_bb"]
    assert _province(ws)["villages_mobile_bb_pct"] == pytest.approx(100 / 3)
    live = LiveWorkspace.open(ws.path)
    site = {"site_id": "S3", "status": "on_air", "height_m": 30.0, "lon": at(1200, 0).x, "lat": at(1200, 0).y}
    cells = [
        {"cell_id": "S3-VT-4G", "operator": "Viettel", "tech": "4G", "band_mhz": 1800.0, "status": "on_air"}
    ]
    result = live.add_site(site, cells, author="operator")
    assert "V1" not in result.gained_mobile
    coverage = ws.read_layer("village_coverage").set_index("village_id")
    assert not coverage.loc["V1", "mobile_bb"]
    assert coverage.loc["V1", "override"] == "mobile"
    full = compute(ws, write=False).coverage.set_index("village_id")
    assert not full.loc["V1", "mobile_bb"]


def test_reject_keeps_the_model_and_a_new_decision_replaces_the_old(ws: Workspace) -> None:
    rejected = reject_challenge(ws, "V2", author="planner", reason="tests from a hill top, not the village")
    assert (rejected.status_before, rejected.status_after) == (False, False)
    assert history(ws).iloc[-1]["summary"].startswith("reject mobile challenge at V2")
    listed = list_challenges(load(ws)).set_index("challenge_id")
    assert listed.loc["mobile:V2", "status"] == "rejected"
    accept_challenge(ws, "V1", author="planner", reason="no signal")
    assert _province(ws)["villages_mobile_bb_pct"] == pytest.approx(100 / 3)
    again = reject_challenge(ws, "V1", author="planner", reason="the tests were indoors")
    assert (again.status_before, again.status_after) == (False, True)
    assert _province(ws)["villages_mobile_bb_pct"] == pytest.approx(200 / 3)
    decisions = ws.read_layer("overrides").set_index("override_id")
    assert decisions["decision"].to_dict() == {"mobile:V2": "rejected", "mobile:V1": "rejected"}
    assert ws.read_layer("village_coverage").set_index("village_id").loc["V1", "override"] == ""


def test_ftth_challenge(ws: Workspace) -> None:
    result = accept_challenge(ws, "V2", kind="ftth", author="planner", reason="VNPT FTTH lines in service")
    assert (result.status_before, result.status_after) == (False, True)
    row = ws.read_layer("village_coverage").set_index("village_id").loc["V2"]
    assert (bool(row["ftth"]), row["ftth_gap_reason"], row["ftth_operators"], row["override"]) == (
        True,
        None,
        "VNPT",
        "ftth",
    )
    assert _province(ws)["villages_ftth_pct"] == pytest.approx(100.0)


def test_decision_errors(ws: Workspace) -> None:
    before = ws.revision
    with pytest.raises(NotFound, match="no mobile challenge at village 'V3'"):
        accept_challenge(ws, "V3", author="planner", reason="x")
    with pytest.raises(LayerValidationError, match="needs a reason"):
        accept_challenge(ws, "V1", author="planner", reason="  ")
    with pytest.raises(StaleRevision):
        accept_challenge(ws, "V1", author="planner", reason="x", expected_revision=before - 1)
    with pytest.raises(LayerValidationError, match="unknown kind"):
        list_challenges(load(ws), kind="5g")
    assert ws.revision == before


def test_cli(ws: Workspace, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert main(["challenges", str(ws.path), "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [c["challenge_id"] for c in listed] == ["ftth:V2", "mobile:V2", "mobile:V1"]
    assert (
        main(["challenges", str(ws.path), "--accept", "V1", "--reason", "drive test", "--author", "A"]) == 0
    )
    out = capsys.readouterr().out
    assert "accepted mobile:V1 (status yes → no); villages_mobile_bb_pct 66.67 → 33.33" in out
    assert main(["challenges", str(ws.path), "--status", "accepted", "--csv"]) == 0
    assert capsys.readouterr().out.splitlines()[1].startswith("mobile:V1,V1,thôn 1,")
    assert main(["challenges", str(ws.path), "--reject", "V2"]) == 2
    assert "need --reason" in capsys.readouterr().err


def test_no_measurements_no_challenges(tiny_ws: Workspace, tmp_path: Path) -> None:
    compute(tiny_ws)
    assert list_challenges(load(tiny_ws)).empty


def test_a_what_if_copy_keeps_decisions_and_measurement_settings(ws: Workspace, tmp_path: Path) -> None:
    accept_challenge(ws, "V1", author="planner", reason="drive test")
    ws.update_config(speed={"min_tests": 7})
    copy = scratch_workspace(load(ws), tmp_path / "copy")
    assert copy.read_layer("overrides")["override_id"].tolist() == ["mobile:V1"]
    assert copy.config.speed_settings.min_tests == 7
    assert not load(copy).coverage.set_index("village_id").loc["V1", "mobile_bb"]
