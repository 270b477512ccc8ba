"""Coverage, KPIs and gaps on the 3-village, 2-site fixture (answers worked out in conftest)."""

from __future__ import annotations

import json
import math

import pandas as pd
import pytest

from coverage_gis.cli import main
from coverage_gis.coverage import compute_coverage, coverage_from_layers
from coverage_gis.engine import compute, load
from coverage_gis.models import create_model
from coverage_gis.workspace import Workspace

from .conftest import METRIC


def test_village_coverage_by_hand(tiny: dict[str, pd.DataFrame]) -> None:
    cov = coverage_from_layers(tiny, metric_crs=METRIC, model=create_model("radius")).set_index("village_id")
    assert cov["mobile_bb"].to_dict() == {"V1": True, "V2": False, "V3": True}
    assert cov.loc["V1", "operators"] == "Viettel,VNPT"
    assert cov.loc["V1", "n_operators"] == 2
    assert cov.loc["V1", "best_tech"] == "4G"
    assert cov.loc["V2", "mobile_gap_reason"] == "planned_site_not_on_air"
    # V2 also has no grid power: both causes are kept, the radio one first.
    assert cov.loc["V2", "mobile_gap_reasons"] == "planned_site_not_on_air,no_grid_power"
    assert pd.isna(cov.loc["V1", "mobile_gap_reasons"])
    # 2G 900 rural radius is 8,620 m: V2 at 6,000 m hears 2G but has no broadband.
    assert cov.loc["V2", "best_tech"] == "2G"


def test_2g_only_is_not_broadband(tiny: dict[str, pd.DataFrame]) -> None:
    cov = coverage_from_layers(tiny, metric_crs=METRIC, model=create_model("radius")).set_index("village_id")
    assert not cov.loc["V2", "mobile_bb"]
    assert cov.loc["V2", "operators"] == ""


def test_ftth_by_hand(tiny: dict[str, pd.DataFrame]) -> None:
    cov = coverage_from_layers(tiny, metric_crs=METRIC, model=create_model("radius")).set_index("village_id")
    assert cov["ftth"].to_dict() == {"V1": True, "V2": False, "V3": True}
    assert cov.loc["V1", "fiber_distance_m"] == pytest.approx(300.0, abs=0.01)
    assert cov.loc["V3", "fiber_distance_m"] == pytest.approx(499.9, abs=0.01)
    assert cov.loc["V2", "fiber_distance_m"] == pytest.approx(math.hypot(5000, 300), abs=0.01)
    assert cov.loc["V2", "ftth_gap_reason"] == "fiber_too_far"
    assert cov.loc["V3", "ftth_operators"] == "Viettel"


def test_backbone_alone_is_not_ftth(tiny: dict[str, pd.DataFrame]) -> None:
    # R2 (backbone) passes 3,000 m east of the origin, 3,000 m from V2... but never counts.
    tiny["fiber_nodes"] = tiny["fiber_nodes"].iloc[0:0]
    tiny["fiber_routes"] = tiny["fiber_routes"][tiny["fiber_routes"]["class"] == "backbone"]
    cov = coverage_from_layers(tiny, metric_crs=METRIC, model=create_model("radius"))
    assert not cov["ftth"].any()
    assert set(cov["ftth_gap_reason"]) == {"fiber_too_far"}


def test_no_power_reason_when_nothing_planned(tiny: dict[str, pd.DataFrame]) -> None:
    tiny["cells"] = tiny["cells"][tiny["cells"]["site_id"] != "S2"]
    cov = coverage_from_layers(tiny, metric_crs=METRIC, model=create_model("radius")).set_index("village_id")
    assert cov.loc["V2", "mobile_gap_reason"] == "no_grid_power"
    assert cov.loc["V2", "mobile_gap_reasons"] == "no_site_in_range,no_grid_power"


def test_the_run_reports_pairs_outside_each_formulas_range(tiny: dict[str, pd.DataFrame]) -> None:
    # Radius model, radius-table rows 700 and 900 MHz (listed): the 8 pairs within a radius
    # (V1: two 4G 700 + 2G of S1; V2: S1's 2G, planned S2's 4G; V3: as V1) are all inside.
    run = compute_coverage(tiny, metric_crs=METRIC, model=create_model("radius"))
    assert run.model_report.as_dict() == {
        "pairs": 8,
        "outside": 0,
        "formulas": {"radius_table": {"pairs": 8, "outside": 0}},
    }
    # Pathloss with S1's 4G cells moved to 2600 MHz: COST-231 Hata above its 2000 MHz, so
    # each of their pairs is outside by frequency; the 2G 900 and planned 4G 700 cells
    # are Okumura-Hata's, at 1-20 km and on 30 m masts (inside).
    tiny["cells"].loc[tiny["cells"]["cell_id"].isin(["S1-VT-4G", "S1-VNPT-4G"]), "band_mhz"] = 2600.0
    report = compute_coverage(tiny, metric_crs=METRIC, model=create_model("pathloss")).model_report
    cost231 = report.formulas["cost231_hata"]
    assert cost231.pairs == cost231.outside == cost231.by_parameter["frequency"] > 0
    assert report.formulas["okumura_hata"].outside == report.formulas["okumura_hata"].by_parameter.get(
        "distance", 0
    )
    assert report.pairs == sum(c.pairs for c in report.formulas.values())


def test_compute_prints_and_stores_the_model_report(
    tiny_ws: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["compute", str(tiny_ws.path), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["model_report"]["pairs"] == 8
    assert out["model_report"]["formulas"] == {"radius_table": {"pairs": 8, "outside": 0}}
    assert main(["compute", str(tiny_ws.path)]) == 0
    assert "model report: 8 pairs, 0 outside their formula's validity range" in capsys.readouterr().out
    log = tiny_ws.read_layer("revisions")
    assert log["summary"].iloc[-1] == "full recompute (radius model; 0 of 8 pairs outside formula validity)"
    # A read of stored coverage has no report of its own.
    assert load(tiny_ws).model_report is None


def test_workspace_kpis_and_gaps(tiny_ws: Workspace) -> None:
    analysis = compute(tiny_ws)
    kpis = analysis.kpis(levels=["province", "province_2025"], categories_5g=["hospital"])
    prov = kpis[kpis["level"] == "province"].iloc[0]
    assert prov["code"] == "99"
    assert prov["villages"] == 3
    assert prov["villages_mobile_bb_pct"] == pytest.approx(200 / 3)
    assert prov["population_mobile_bb_pct"] == pytest.approx(100 * 150 / 350)
    assert prov["households_ftth_pct"] == pytest.approx(100 * 37 / 87)
    assert prov["sites"] == 1  # S2 is planned
    assert prov["sites_shared_pct"] == pytest.approx(100.0)
    new = kpis[kpis["level"] == "province_2025"].iloc[0]
    assert new["code"] == "98"
    assert new["villages"] == 3

    mobile = analysis.gaps("mobile")
    assert list(mobile["id"]) == ["V2"]
    assert mobile.iloc[0]["recommendation"] == "put planned site S2 on air"
    ftth = analysis.gaps("ftth")
    assert list(ftth["id"]) == ["V2"]
    assert ftth.iloc[0]["distance_m"] > 2_900  # nearest on-air fiber is the backbone 3 km east
    assert ftth.iloc[0]["cost_vnd"] > 0


def test_load_reuses_stored_coverage(tiny_ws: Workspace) -> None:
    compute(tiny_ws)
    again = load(tiny_ws)
    assert list(again.coverage.sort_values("village_id")["mobile_bb"]) == [True, False, True]


def test_operator_breakdown(tiny_ws: Workspace) -> None:
    from coverage_gis.kpi import operator_kpis

    table = operator_kpis(compute(tiny_ws).inputs).set_index("operator")
    assert table.loc["Viettel", "villages_mobile_bb_pct"] == pytest.approx(200 / 3)
    assert table.loc["MobiFone", "villages_mobile_bb_pct"] == 0.0
    assert table.loc["Viettel", "villages_ftth_pct"] == pytest.approx(100 / 3)  # access route near V3
    assert table.loc["VNPT", "villages_ftth_pct"] == pytest.approx(100 / 3)  # node near V1


def test_coverage_stored_before_gap_reasons_is_recomputed_on_read(tiny_ws: Workspace) -> None:
    # A village_coverage written by an older version has no mobile_gap_reasons column:
    # it reads back empty for the gap village V2, and a read recomputes it in memory.
    compute(tiny_ws)
    old = tiny_ws.read_layer("village_coverage").assign(mobile_gap_reasons=None)
    tiny_ws.write_layers({"village_coverage": old}, validate=False)
    analysis = load(tiny_ws)
    assert not analysis.coverage_stored
    assert analysis.coverage.set_index("village_id").loc["V2", "mobile_gap_reasons"] == (
        "planned_site_not_on_air,no_grid_power"
    )
    assert load(compute(tiny_ws).ws).coverage_stored
