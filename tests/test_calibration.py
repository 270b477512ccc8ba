"""Calibration recovers a known offset from synthetic measurements and stores it only when asked."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
import yaml

from coverage_gis.calibration import (
    Calibration,
    ClutterOffsetModel,
    calibrate,
    calibrated_model,
    fit_calibration,
)
from coverage_gis.cli import main
from coverage_gis.demo.measurements import generate_measurements
from coverage_gis.engine import compute, load, workspace_model
from coverage_gis.errors import LayerValidationError, WorkspaceError
from coverage_gis.models import create_model, default_settings_path, load_model_settings
from coverage_gis.models.base import ReceiverArrays
from coverage_gis.models.pathloss import PathlossModel
from coverage_gis.network import cell_table_from_layers
from coverage_gis.revisions import history
from coverage_gis.workspace import Workspace, WorkspaceConfig
from tests.conftest import METRIC, tiny_layers

MARGIN_DB = load_model_settings().pathloss.margin_db


def test_fit_recovers_margin_and_clutter_offsets_despite_outliers() -> None:
    rng = np.random.default_rng(3)
    env = np.array(["rural"] * 600 + ["urban"] * 300 + ["suburban"] * 10, dtype=object)
    # World 6 dB stronger than the model in rural areas, 2 dB in urban ones.
    truth = np.where(env == "urban", 6.0 - 4.0, 6.0)
    residual = truth + rng.normal(0.0, 6.0, len(env))
    outliers = rng.random(len(env)) < 0.05
    residual[outliers] -= rng.uniform(15.0, 30.0, int(outliers.sum()))
    fit = fit_calibration(residual, env, min_samples=30)
    offsets = fit.clutter_offset_db
    # Margin and offsets are identified together: the margin is the test-weighted common
    # part, -(600 * 6 + 300 * 2) / 900 = -4.67 dB, and the offsets differ by the 4 dB.
    assert fit.margin_shift_db == pytest.approx(-(600 * 6.0 + 300 * 2.0) / 900, abs=1.0)
    assert offsets["urban"] - offsets["rural"] == pytest.approx(4.0, abs=1.0)
    assert 600 * offsets["rural"] + 300 * offsets["urban"] == pytest.approx(0.0, abs=1e-6)
    assert offsets["suburban"] == 0.0  # 10 tests < min_samples: no offset of its own
    assert fit.samples["suburban"] == 10
    # A single clutter class: everything is margin.
    rural = fit_calibration(residual[:600], env[:600], min_samples=30)
    assert rural.margin_shift_db == pytest.approx(-6.0, abs=1.0)
    assert dict(rural.clutter_offset_db) == {"urban": 0.0, "suburban": 0.0, "rural": 0.0}
    assert fit.converged


@pytest.fixture
def pathloss_ws(tiny_ws: Workspace) -> Workspace:
    tiny_ws.update_config(model="pathloss")
    compute(tiny_ws)
    return tiny_ws


def _synthetic(ws: Workspace, *, offset_db: float, seed: int = 11) -> None:
    tests = generate_measurements(
        load(ws),
        np.random.default_rng(seed),
        village_share=1.0,
        tests_per_village=(200, 200),
        spread_m=2500.0,
        noise_db=6.0,
        offset_db=offset_db,
        outlier_share=0.05,
        ftth_share=0.0,
    )
    ws.write_layers({"speed_tests": tests}, source="synthetic")


def test_calibration_recovers_an_injected_6_db(pathloss_ws: Workspace) -> None:
    _synthetic(pathloss_ws, offset_db=6.0)
    report = calibrate(load(pathloss_ws))
    assert report.model == "pathloss"
    # Measured levels are 6 dB above the model: the fitted margin is 6 dB smaller.
    assert MARGIN_DB - report.fitted.margin_db == pytest.approx(6.0, abs=1.0)
    assert report.fit.samples["rural"] >= 300
    assert report.after.rmse_db < report.before.rmse_db
    assert abs(report.after.bias_db) < abs(report.before.bias_db)
    before, after = report.before.confusion, report.after.confusion
    assert (
        sum(before.values())
        == sum(after.values())
        == report.before.samples + (sum(before.values()) - report.before.samples)
    )
    # The model was too pessimistic: fewer points it calls uncovered are measured covered.
    assert after["uncovered_covered"] < before["uncovered_covered"]
    assert not report.written
    assert pathloss_ws.config.calibration is None


def test_no_offset_recovers_nothing(pathloss_ws: Workspace) -> None:
    _synthetic(pathloss_ws, offset_db=0.0, seed=5)
    report = calibrate(load(pathloss_ws))
    assert report.fitted.margin_db == pytest.approx(MARGIN_DB, abs=1.0)


def test_the_workspace_s_own_model_settings_are_the_base(pathloss_ws: Workspace) -> None:
    doc = yaml.safe_load(default_settings_path().read_text(encoding="utf-8"))
    doc["pathloss"]["margin_db"] = MARGIN_DB - 3.0
    (pathloss_ws.path / "coverage_models.yaml").write_text(yaml.safe_dump(doc), encoding="utf-8")
    compute(pathloss_ws)
    _synthetic(pathloss_ws, offset_db=0.0, seed=5)  # drawn from the workspace's own budget
    report = calibrate(load(pathloss_ws))
    assert report.base_margin_db == MARGIN_DB - 3.0
    assert report.fitted.margin_db == pytest.approx(MARGIN_DB - 3.0, abs=1.0)


def test_write_stores_settings_and_recomputes_with_them(
    pathloss_ws: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    _synthetic(pathloss_ws, offset_db=6.0)
    before = pathloss_ws.revision
    capsys.readouterr()
    assert main(["calibrate", str(pathloss_ws.path), "--write", "--author", "kỹ sư", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["written"] is True
    assert report["revision"] == before + 1
    stored = yaml.safe_load((pathloss_ws.path / "workspace.yaml").read_text(encoding="utf-8"))["calibration"]
    assert stored["model"] == "pathloss"
    assert (stored["samples"], stored["rmse_db"]) == (
        report["after"]["samples"],
        pytest.approx(report["after"]["rmse_db"], abs=1e-3),
    )
    assert stored["margin_db"] == pytest.approx(report["fitted"]["margin_db"])
    last = history(pathloss_ws).iloc[-1]
    assert last["author"] == "kỹ sư"
    assert last["summary"].startswith("calibrate pathloss model: margin ")
    ws = Workspace.open(pathloss_ws.path)
    assert not ws.coverage_is_current()
    model = workspace_model(ws)
    assert isinstance(model, PathlossModel)
    assert model.settings.pathloss.margin_db == pytest.approx(stored["margin_db"])
    fresh = load(ws)  # a read: computes with the calibrated model in memory, stores nothing
    assert fresh.coverage_stored is False
    assert not ws.coverage_is_current()
    compute(ws)
    assert ws.coverage_is_current()


def test_calibrate_cli_table(pathloss_ws: Workspace, capsys: pytest.CaptureFixture[str]) -> None:
    _synthetic(pathloss_ws, offset_db=6.0)
    capsys.readouterr()
    assert main(["calibrate", str(pathloss_ws.path)]) == 0
    out = capsys.readouterr().out
    assert "calibration of the pathloss model" in out
    assert out.count("model \\ measured") == 2
    assert "not written" in out


def test_too_few_levels(pathloss_ws: Workspace) -> None:
    with pytest.raises(LayerValidationError, match="calibration needs at least 30"):
        calibrate(load(pathloss_ws))
    with pytest.raises(LayerValidationError, match="cannot calibrate the radius model"):
        calibrate(load(pathloss_ws), model="radius")


def test_clutter_offset_equals_a_lower_eirp() -> None:
    layers = tiny_layers()
    cells = cell_table_from_layers(layers, metric_crs=METRIC)
    receivers = ReceiverArrays(
        x_m=cells.arrays.x_m + np.array([800.0, 1600.0, 2400.0, 3200.0]), y_m=cells.arrays.y_m
    )
    base = create_model("pathloss")
    assert isinstance(base, PathlossModel)
    shifted = ClutterOffsetModel(base, {"rural": 4.0})
    weaker = dataclasses.replace(cells.arrays, eirp_dbm=cells.arrays.eirp_dbm - 4.0)
    a = shifted.candidate_pairs(receivers, cells.arrays)
    b = base.candidate_pairs(receivers, weaker)
    assert np.array_equal(a.signal_dbm, b.signal_dbm)
    assert np.array_equal(shifted.max_range_m(cells.arrays), base.max_range_m(weaker))
    assert (shifted.max_range_m(cells.arrays) < base.max_range_m(cells.arrays)).all()


def test_calibration_applies_only_to_its_model() -> None:
    fitted = Calibration(model="pathloss", margin_db=7.0, clutter_offset_db={"urban": 1.0})
    assert fitted.clutter_offset_db == {"urban": 1.0, "suburban": 0.0, "rural": 0.0}
    assert isinstance(
        calibrated_model("pathloss", calibration=fitted, dem_path=None, metric_crs=METRIC), ClutterOffsetModel
    )
    radius = calibrated_model("radius", calibration=fitted, dem_path=None, metric_crs=METRIC)
    assert radius.name == "radius"
    plain = calibrated_model(
        "pathloss",
        calibration=Calibration(model="pathloss", margin_db=7.0),
        dem_path=None,
        metric_crs=METRIC,
    )
    assert isinstance(plain, PathlossModel)
    assert plain.settings.pathloss.margin_db == 7.0


@pytest.mark.parametrize(
    ("raw", "field", "fragment"),
    [
        ({"model": "radius", "margin_db": 7}, "calibration.model", "'pathloss' or 'terrain'"),
        ({"model": "pathloss", "margin_db": "7"}, "calibration.margin_db", "valid number"),
        ({"model": "pathloss", "margin_db": float("nan")}, "calibration.margin_db", "finite number"),
        (
            {"model": "pathloss", "margin_db": 7, "clutter_offset_db": {"forest": 1}},
            "calibration.clutter_offset_db",
            "unknown clutter class 'forest'",
        ),
        ({"model": "pathloss", "margin_db": 7, "offset": 1}, "calibration.offset", "unknown key 'offset'"),
    ],
)
def test_bad_stored_calibration(raw: dict[str, object], field: str, fragment: str) -> None:
    with pytest.raises(WorkspaceError) as info:
        WorkspaceConfig.from_mapping({"name": "ws", "calibration": raw}, source="workspace.yaml")
    message = str(info.value)
    assert "workspace.yaml" in message
    assert field in message
    assert fragment in message
