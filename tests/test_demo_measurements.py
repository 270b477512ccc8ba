"""Synthetic measurements of the Bình Định demo (``covgis demo``): speed rows of the scorecard,
challenges, calibration, and coverage that only an accepted challenge changes."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from coverage_gis.challenges import accept_challenge, list_challenges
from coverage_gis.cli import main
from coverage_gis.demo import DISAGREEMENTS
from coverage_gis.demo.measurements import generate_measurements
from coverage_gis.engine import load
from coverage_gis.revisions import history
from coverage_gis.workspace import Workspace

from .conftest import copy_workspace

# One worker runs this module (--dist loadgroup): its module-scoped demo workspace is made once.
pytestmark = [pytest.mark.demo, pytest.mark.xdist_group("test_demo_measurements")]

SPEED_KPIS = ("mobile_download_4g_mbps", "mobile_download_5g_mbps", "fixed_download_mbps")


@pytest.fixture(scope="module")
def bd(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo as a user builds it: ``covgis demo`` (measurements included), then a compute."""
    path = tmp_path_factory.mktemp("speed") / "bd"
    assert main(["demo", str(path), "--province", "binh-dinh", "--seed", "2025"]) == 0
    assert main(["compute", str(path)]) == 0
    return path


def _json(capsys: pytest.CaptureFixture[str], argv: list[str]) -> object:
    capsys.readouterr()
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


def test_measurements_are_synthetic_and_reproducible(bd: Path) -> None:
    ws = Workspace.open(bd)
    tests = ws.read_layer("speed_tests")
    assert set(tests["source"]) == {"synthetic"}
    assert set(tests["kind"]) == {"mobile", "fixed"}
    again = generate_measurements(load(ws), np.random.default_rng(2025), disagreements=3)
    assert again["test_id"].tolist() == tests["test_id"].tolist()
    assert np.allclose(again["download_mbps"], tests["download_mbps"])
    elsewhere = generate_measurements(
        load(ws), np.random.default_rng(2025), disagreements=3, disagreement_provinces=["01"]
    )
    assert not any("-D-" in i for i in elsewhere["test_id"])  # no Hà Nội village in this workspace


def test_binh_dinh_scorecard_speed_rows_are_filled(bd: Path, capsys: pytest.CaptureFixture[str]) -> None:
    card = _json(capsys, ["scorecard", str(bd), "--json"])
    rows = {r["kpi"]: r for r in card["indicators"]}  # type: ignore[index]
    for kpi in SPEED_KPIS:
        row = rows[kpi]
        assert row["source"] == "measured"
        assert row["sample_size"] >= 30
        assert row["actual"] is not None
        assert row["ci_low"] <= row["actual"] <= row["ci_high"]
        assert row["status"] == ("met" if row["actual"] >= row["target"] else "not_met")
    capsys.readouterr()
    assert main(["scorecard", str(bd), "--wide"]) == 0  # headers unwrapped
    table = capsys.readouterr().out
    assert "Sample size" in table  # the column header, in the CLI's language (English here)
    assert "mobile_download_4g_2025" in table


def test_deliberate_disagreements_are_challenged(bd: Path) -> None:
    ws = Workspace.open(bd)
    tests = ws.read_layer("speed_tests")
    deliberate = {i.split("-D-", 1)[1].rsplit("-", 1)[0] for i in tests["test_id"] if "-D-" in i}
    assert len(deliberate) == DISAGREEMENTS == 3
    challenges = list_challenges(load(ws))
    mobile = challenges[challenges["kind"] == "mobile"].set_index("village_id")
    assert deliberate <= set(mobile.index)
    for village in deliberate:
        assert mobile.loc[village, "claim"] == "no_service"
        assert mobile.loc[village, "served_share"] == 0.0
        assert mobile.loc[village, "status"] == "open"


def test_speed_and_calibrate_commands(bd: Path, capsys: pytest.CaptureFixture[str]) -> None:
    units = _json(capsys, ["speed", str(bd), "--json"])
    mobile = next(u for u in units if u["kind"] == "mobile")  # type: ignore[union-attr]
    assert mobile["tests"] > 1000
    targets = _json(capsys, ["speed", str(bd), "--targets", "--json"])
    assert {t["indicator"] for t in targets} == {  # type: ignore[union-attr]
        "mobile_download_4g_2025",
        "mobile_download_5g_2025",
        "fixed_download_2025",
    }
    report = _json(capsys, ["calibrate", str(bd), "--json"])
    # The tests are drawn from the link budget without a bias: nothing to correct.
    assert report["fitted"]["margin_db"] == pytest.approx(report["base_margin_db"], abs=1.0)  # type: ignore[index]
    assert report["written"] is False  # type: ignore[index]


def test_measurements_are_a_labelled_revision(bd: Path) -> None:
    log = history(Workspace.open(bd))
    (row,) = log[log["summary"].str.contains("synthetic speed tests")].itertuples()
    assert row.author == "coverage_gis.demo"
    assert row.time.startswith("2025-07-01")  # the demo's fixed time: reproducible files
    assert "SYNTHETIC" in Workspace.open(bd).config.description
    assert "speed tests" in Workspace.open(bd).config.description


def test_only_an_accepted_challenge_changes_coverage(
    bd: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    copy = copy_workspace(bd, tmp_path / "bd")
    open_ones = _json(capsys, ["challenges", str(copy), "--status", "open", "--json"])
    assert len(open_ones) >= DISAGREEMENTS  # type: ignore[arg-type]
    gaps = _json(capsys, ["gaps", str(copy), "--kind", "mobile", "--json"])
    assert [g["name"] for g in gaps] == ["làng O2"]  # type: ignore[index]

    village = next(c["village_id"] for c in open_ones if c["claim"] == "no_service")  # type: ignore[union-attr]
    accept_challenge(Workspace.open(copy), village, author="Sở KH&CN", reason="đo kiểm")
    assert main(["compute", str(copy)]) == 0
    gaps = _json(capsys, ["gaps", str(copy), "--kind", "mobile", "--json"])
    reasons = {g["id"]: g["reason"] for g in gaps}  # type: ignore[union-attr]
    assert reasons[village] == "measured_no_service"
    assert len(reasons) == 2
