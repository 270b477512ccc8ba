"""The planner end to end on the tiny workspace (3 villages, 2 sites) and on the Bình Định demo.

Tiny workspace (tests/conftest.py), radius model, rural 4G 700 MHz radius 3,670 m:
- mobile gap: V2 (200 people), 3 km from the planned site S2 → activating S2 (200 M VND)
  is the cheapest cover (a new mast at V2 needs solar power: 1,500 M + 300 M);
- FTTH gap: V2; no roads.osm, so a straight line to the nearest asset new fiber may tap
  (the splitter N1, 5,009.0 m away; the backbone R2, 3,000 m west, has no node on it, so
  it is no splice point: the gap list's rule) × the detour factor 1.4 = 7,012.6 m →
  7.0126 × 120 M + 20 M splitter.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from coverage_gis.cli import main
from coverage_gis.costs import load_costs
from coverage_gis.engine import load
from coverage_gis.planning import PlanOptions, make_plan, what_if, write_plan
from coverage_gis.site_edit_files import edits_from_file
from coverage_gis.workspace import Workspace


def _digest(folder: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.iterdir())
        if p.is_file() and not p.name.startswith(".")
    }


def test_close_every_gap_at_least_cost(tiny_ws: Workspace) -> None:
    costs = load_costs()
    plan = make_plan(load(tiny_ws))
    assert plan.sites[["site_id", "kind"]].values.tolist() == [["S2", "activate"]]
    (branch,) = plan.fiber_branches.itertuples()
    assert branch.village_id == "V2"
    assert branch.straight_line
    assert branch.length_m == pytest.approx(5009.0 * costs.straight_line_detour_factor, abs=1.0)
    fiber_cost = branch.length_m / 1000.0 * costs.fiber_per_km_vnd + costs.splitter_node_vnd
    assert plan.total_cost_vnd == pytest.approx(costs.activate_planned_site_vnd + fiber_cost, rel=1e-6)
    assert set(plan.villages["status"]) == {"closed"}
    assert plan.solver["method"] == "highs"
    assert plan.solver["optimality_gap"] == 0.0
    # The curve starts at today's KPIs (2 of 3 villages) and ends at 100 %.
    assert plan.curve["villages_mobile"].tolist()[0] == 2
    assert plan.curve["villages_mobile_pct"].iloc[-1] == 100.0
    assert plan.curve["villages_ftth_pct"].iloc[-1] == 100.0
    # Phasing: the site (200 people per 200 M) before the fiber (200 people per 862 M).
    assert plan.actions["action"].tolist() == ["site", "fiber"]


def test_budget_buys_the_best_population_per_vnd(tiny_ws: Workspace) -> None:
    plan = make_plan(load(tiny_ws), PlanOptions(budget_vnd=300e6, annual_budget_vnd=250e6))
    assert plan.sites["site_id"].tolist() == ["S2"]
    status = plan.villages.set_index("kind")["status"]
    assert status["mobile"] == "closed"
    assert status["ftth"] == "not in budget"
    assert plan.total_cost_vnd <= 300e6
    assert plan.actions["year"].tolist() == [1]
    nothing = make_plan(load(tiny_ws), PlanOptions(budget_vnd=1e6))
    assert len(nothing.actions) == 0
    assert set(nothing.villages["status"]) == {"not in budget"}


def test_operator_plan_uses_only_that_operators_masts_and_fiber(tiny_ws: Workspace) -> None:
    """VNPT lacks mobile at V2 (its only cell, on S1, reaches V1 and V3) and FTTH at V2 and V3
    (R1 near V3 is Viettel's). No VNPT planned cell and no mast without VNPT broadband: a new
    mast. Fiber splices into VNPT's splitter N1 at (1,000, 300), never into Viettel's R1 nor
    into VNPT's backbone R2 (no node on it): V2 hypot(5,000, 300) m and V3 (at (0, 3,669))
    hypot(1,000, 3,369) m away, straight lines × 1.4 (no roads)."""
    costs = load_costs()
    plan = make_plan(load(tiny_ws), PlanOptions(operator="VNPT"))
    (site,) = plan.sites.itertuples()
    assert site.kind in ("village", "grid")
    assert site.operator == "VNPT"
    assert site.villages == "V2"
    (edit,) = plan.to_site_edits()
    assert edit.op == "add"
    assert {c["operator"] for c in edit.cells or []} == {"VNPT"}
    length = plan.fiber_branches.set_index("village_id")["length_m"]
    factor = costs.straight_line_detour_factor
    assert length["V2"] == pytest.approx(float(np.hypot(5000.0, 300.0)) * factor, rel=1e-4)
    assert length["V3"] == pytest.approx(float(np.hypot(1000.0, 3369.0)) * factor, rel=1e-4)
    assert set(plan.fiber_layers()["fiber_routes"]["operator"]) == {"VNPT"}


def test_what_if_reaches_100_percent_and_leaves_the_workspace_alone(
    tiny_ws: Workspace, tmp_path: Path
) -> None:
    analysis = load(tiny_ws)
    before = _digest(tiny_ws.path)  # load may have stored coverage; from here on nothing may change
    outcome = what_if(analysis, make_plan(analysis), scratch=tmp_path / "scratch")
    after = outcome.kpis_after.iloc[0]
    assert after["villages_mobile_bb_pct"] == 100.0
    assert after["villages_ftth_pct"] == 100.0
    assert outcome.kpis_before.iloc[0]["villages_mobile_bb_pct"] < 100.0
    assert len(outcome.mobile_gaps) == 0
    assert len(outcome.ftth_gaps) == 0
    assert _digest(tiny_ws.path) == before


def test_site_edits_are_a_batch_that_sites_apply_accepts(tiny_ws: Workspace, tmp_path: Path) -> None:
    plan = make_plan(load(tiny_ws))
    paths = write_plan(plan, tmp_path / "out")
    edits = edits_from_file(paths["site_edits"])
    assert [(e.op, e.site_id) for e in edits] == [("update", "S2")]
    assert main(["sites", "apply", str(tiny_ws.path), str(paths["site_edits"]), "--json"]) == 0
    cov = load(Workspace.open(tiny_ws.path)).coverage.set_index("village_id")
    assert bool(cov.loc["V2", "mobile_bb"])
    geo = json.loads(paths["fiber_routes"].read_text(encoding="utf-8"))
    assert geo["features"][0]["properties"]["class"] == "access"


def test_cli_plan_json_and_bad_input(tiny_ws: Workspace, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert main(["plan", str(tiny_ws.path), "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["summary"]["sites"] == 1
    assert payload["summary"]["gap_villages"] == {
        "ftth:closed": 1,
        "mobile:closed": 1,
    }
    assert main(["plan", str(tiny_ws.path), "--budget", "-5"]) == 2
    assert "budget" in capsys.readouterr().err


def test_cli_plan_json_stdout_is_json_alone(tiny_ws: Workspace) -> None:
    """In a real process: nothing (a solver's banner written by native code) joins the JSON."""
    result = subprocess.run(
        [sys.executable, "-m", "coverage_gis", "plan", str(tiny_ws.path), "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(result.stdout)["summary"]["sites"] == 1


@pytest.mark.demo
def test_binh_dinh_plan_closes_every_gap(tmp_path: Path, binh_dinh_demo: Callable[..., Path]) -> None:
    binh_dinh_demo(tmp_path / "bd")  # build_demo_workspace(tmp_path / "bd", ["binh-dinh"], seed=2025)
    ws = Workspace.open(tmp_path / "bd")
    analysis = load(ws)
    before = _digest(ws.path)
    plan = make_plan(analysis)
    assert len(plan.villages)
    assert set(plan.villages["status"]) == {"closed"}
    o2 = plan.villages[(plan.villages["name"] == "làng O2") & (plan.villages["kind"] == "mobile")]
    site = plan.sites.set_index("site_id").loc[o2["closed_by"].iloc[0]]
    assert site["power"] in ("solar_hybrid", "grid_extension")
    assert not plan.fiber_branches["straight_line"].any()  # the demo has roads.osm
    # The three Canh Liên villages (xã 21997) lie at the unserved end of one valley road:
    # two of them hang from another's branch, and the cable they share is distribution.
    branches = plan.fiber_branches.set_index("branch_id")
    canh_lien = branches[branches["village_id"].str.startswith("52-21997-")]
    assert len(canh_lien) == 3
    assert canh_lien["parent_branch"].isin(canh_lien.index).sum() == 2
    shared = plan.fiber[plan.fiber["branch_id"].isin(canh_lien.index)]
    assert (shared.loc[shared["class"] == "distribution", "villages"] >= 2).all()
    assert shared.loc[shared["class"] == "distribution", "length_m"].sum() > 0
    outcome = what_if(analysis, plan, scratch=tmp_path / "scratch")
    after = outcome.kpis_after.iloc[0]
    assert after["villages_mobile_bb_pct"] == 100.0
    assert after["villages_ftth_pct"] == 100.0
    assert len(outcome.mobile_gaps) == 0
    assert len(outcome.ftth_gaps) == 0
    assert _digest(ws.path) == before
