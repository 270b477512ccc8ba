"""Synthetic measurements on the Bình Định demo: speed rows of the scorecard, challenges, calibration."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from coverage_gis.challenges import list_challenges
from coverage_gis.cli import main
from coverage_gis.demo import build_demo_workspace
from coverage_gis.demo.measurements import add_synthetic_measurements, generate_measurements
from coverage_gis.engine import load
from coverage_gis.workspace import Workspace

pytestmark = pytest.mark.demo

SPEED_KPIS = ("mobile_download_4g_mbps", "mobile_download_5g_mbps", "fixed_download_mbps")


@pytest.fixture(scope="module")
def bd(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("speed") / "bd"
    ws = build_demo_workspace(path, ["binh-dinh"], seed=2025)
    assert main(["compute", str(path)]) == 0
    add_synthetic_measurements(ws, seed=2025, disagreements=3)
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
    assert len(deliberate) == 3
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
