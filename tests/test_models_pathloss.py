"""Propagation formulas, antenna pattern and the path-loss model, checked on paper.

Every expected number below is worked out in the comment above its assertion (log10
values to 6+ digits); tolerances are far below the rounding of those hand sums' inputs.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coverage_gis.models import PathlossModel, create_model, load_model_settings
from coverage_gis.models.antenna import (
    angle_offset_deg,
    antenna_gain_db,
    bearing_deg,
    horizontal_gain_db,
    in_sector,
    mod_360,
    vertical_gain_db,
)
from coverage_gis.models.base import CellArrays, CoverageModel, ReceiverArrays
from coverage_gis.models.pathloss import LinkBudget
from coverage_gis.models.propagation import (
    cost231_hata_db,
    free_space_db,
    knife_edge_loss_db,
    rma_breakpoint_m,
    rma_los_db,
    rma_nlos_db,
    uma_breakpoint_m,
    uma_los_db,
    uma_nlos_db,
)
from coverage_gis.models.settings import ModelSettings
from tests.test_models_radius import (
    assert_adding_a_cell_keeps_coverage,
    assert_served_level_reaches_its_threshold,
    assert_served_within_max_range,
    cell_arrays,
    make_cells,
    make_receivers,
    receiver_arrays,
)

SETTINGS = load_model_settings()


def with_pathloss(base: ModelSettings, **changes: object) -> ModelSettings:
    return dataclasses.replace(base, pathloss=dataclasses.replace(base.pathloss, **changes))


# ----------------------------------------------------------------- formulas


def test_free_space_loss_at_1_km_1800_mhz() -> None:
    # 4π · 1000 m · 1.8e9 Hz / 299 792 458 m/s = 75 450.42
    # 20 · log10(75 450.42) = 20 · 4.877661 = 97.5532 dB
    assert free_space_db(1000.0, 1800.0) == pytest.approx(97.5532, abs=1e-3)


def test_cost231_hata_urban_at_2_km_matches_a_hand_calculation() -> None:
    # f = 1800 MHz, hb = 30 m, hr = 1.5 m, d = 2 km, urban, Cm = 0.
    # log10(1800) = 3.255273; 33.9 · 3.255273 = 110.353738
    # log10(30) = 1.477121; 13.82 · 1.477121 = 20.413816
    # a(hr) = (1.1 · 3.255273 - 0.7) · 1.5 - (1.56 · 3.255273 - 0.8)
    #       = 2.880800 · 1.5 - 4.278225 = 4.321200 - 4.278225 = 0.042975
    # intercept = 46.3 + 110.353738 - 20.413816 - 0.042975 = 136.196947
    # slope = 44.9 - 6.55 · 1.477121 = 44.9 - 9.675144 = 35.224856
    # L = 136.196947 + 35.224856 · log10(2) = 136.196947 + 35.224856 · 0.301030 = 146.8007 dB
    assert cost231_hata_db(2000.0, 1800.0, 30.0, 1.5, environment="urban") == pytest.approx(
        146.8007, abs=1e-3
    )
    # Cm = 3 dB (metropolitan) adds 3 dB.
    assert cost231_hata_db(
        2000.0, 1800.0, 30.0, 1.5, environment="urban", metropolitan_db=3.0
    ) == pytest.approx(149.8007, abs=1e-3)


def test_cost231_hata_suburban_and_rural_corrections() -> None:
    # Suburban: -2 (log10(1800/28))² - 5.4 = -2 · 1.808114² - 5.4 = -2 · 3.269279 - 5.4 = -11.938558
    #   146.800686 - 11.938558 = 134.8621 dB
    # Rural (open area): -4.78 · 3.255273² + 18.33 · 3.255273 - 40.94
    #   = -4.78 · 10.596798 + 59.669145 - 40.94 = -50.652694 + 59.669145 - 40.94 = -31.923549
    #   146.800686 - 31.923549 = 114.8771 dB
    got = cost231_hata_db(2000.0, 1800.0, 30.0, 1.5, environment=np.array(["suburban", "rural"]))
    np.testing.assert_allclose(got, [134.8621, 114.8771], atol=1e-3)


def test_okumura_hata_below_1500_mhz() -> None:
    # f = 900 MHz uses the Okumura-Hata constants 69.55 + 26.16 log10(f):
    # log10(900) = 2.954243; 26.16 · 2.954243 = 77.282984
    # a(hr) = (1.1 · 2.954243 - 0.7) · 1.5 - (1.56 · 2.954243 - 0.8)
    #       = 2.549667 · 1.5 - 3.808618 = 3.824500 - 3.808618 = 0.015882
    # intercept = 69.55 + 77.282984 - 20.413816 - 0.015882 = 126.403286
    # L(2 km) = 126.403286 + 35.224856 · 0.301030 = 126.403286 + 10.603738 = 137.0070 dB
    assert cost231_hata_db(2000.0, 900.0, 30.0, 1.5, environment="urban") == pytest.approx(137.0070, abs=1e-3)


def test_hata_is_never_below_free_space() -> None:
    # At 1 m Hata's log-distance line (intercept - 3 · slope = 136.197 - 105.675 = 30.5)
    # is below free space (20 log10(4π · 1 · 1.8e9 / c) = 37.55): free space wins.
    assert cost231_hata_db(1.0, 1800.0, 30.0, 1.5, environment="urban") == pytest.approx(
        free_space_db(1.0, 1800.0)
    )


def test_38901_rma_los_at_1_km() -> None:
    # fc = 2 GHz, hBS = 35 m, hUT = 1.5 m, h = 5 m, d2D = 1000 m.
    # d3D = sqrt(1000² + 33.5²) = sqrt(1 001 122.25) = 1000.560968
    # d_BP = 2π · 35 · 1.5 · 2e9 / 3e8 = 2π · 350 = 2199.115 m > d2D -> PL1.
    # h^1.72 = 5^1.72 = 15.930463; 0.03 · h^1.72 = 0.477914; 0.044 · h^1.72 = 0.700940
    # 20 log10(40π · 1000.560968 · 2 / 3) = 20 log10(83 822.8) = 98.467243
    # 0.477914 · log10(1000.560968) = 0.477914 · 3.000244 = 1.433858
    # 0.002 · log10(5) · 1000.560968 = 0.002 · 0.698970 · 1000.560968 = 1.398724
    # PL1 = 98.467243 + 1.433858 - 0.700940 + 1.398724 = 100.5989 dB
    assert rma_breakpoint_m(35.0, 1.5, 2000.0) == pytest.approx(2199.115, abs=1e-3)
    assert rma_los_db(1000.0, 2000.0, 35.0, 1.5) == pytest.approx(100.5989, abs=1e-3)


def test_38901_rma_nlos_at_1_km() -> None:
    # Same link, W = 20 m:
    # 161.04 - 7.1 log10(20) + 7.5 log10(5) = 161.04 - 9.237313 + 5.242275 = 157.044962
    # (24.37 - 3.7 (5/35)²) log10(35) = (24.37 - 0.075510) · 1.544068 = 37.512345
    # (43.42 - 3.1 log10(35)) (log10(1000.560968) - 3) = 38.633389 · 0.000244 = 0.009409
    # 20 log10(2) = 6.020600; 3.2 (log10(17.625))² - 4.97 = 3.2 · 1.246376² - 4.97 = -0.000919
    # PL' = 157.044962 - 37.512345 + 0.009409 + 6.020600 + 0.000919 = 125.5635 dB
    # NLOS = max(PL_LOS = 100.5989, PL') = 125.5635 dB
    assert rma_nlos_db(1000.0, 2000.0, 35.0, 1.5) == pytest.approx(125.5635, abs=1e-3)


def test_38901_uma_at_500_m_and_its_breakpoint() -> None:
    # fc = 3.5 GHz, hBS = 25 m, hUT = 1.5 m, d2D = 500 m.
    # d'_BP = 4 · (25 - 1) · (1.5 - 1) · 3.5e9 / 3e8 = 4 · 24 · 0.5 · 11.6667 = 560 m > 500 -> PL1.
    # d3D = sqrt(500² + 23.5²) = 500.551945; log10 = 2.699449; 20 log10(3.5) = 10.881361
    # PL1 = 28 + 22 · 2.699449 + 10.881361 = 28 + 59.387881 + 10.881361 = 98.2692 dB
    # PL'_NLOS = 13.54 + 39.08 · 2.699449 + 10.881361 - 0 = 129.9158 dB -> NLOS = 129.9158 dB
    assert uma_breakpoint_m(25.0, 1.5, 3500.0) == pytest.approx(560.0)
    assert uma_los_db(500.0, 3500.0, 25.0, 1.5) == pytest.approx(98.2692, abs=1e-3)
    assert uma_nlos_db(500.0, 3500.0, 25.0, 1.5) == pytest.approx(129.9158, abs=1e-3)
    # The lower envelope takes min(PL1, PL2): PL2 = 28 + 40 · 2.699449 + 10.881361
    #   - 9 log10(560² + 23.5²) = 28 + 107.977962 + 10.881361 - 9 · 5.496716 = 97.3851 dB
    assert uma_los_db(500.0, 3500.0, 25.0, 1.5, lower_envelope=True) == pytest.approx(97.3851, abs=1e-3)


def test_38901_lower_envelope_is_a_non_decreasing_lower_bound() -> None:
    d = np.geomspace(1.0, 50_000.0, 4000)
    for fn in (rma_los_db, rma_nlos_db, uma_los_db, uma_nlos_db):
        for hb in (15.0, 25.0, 45.0):
            standard = fn(d, 3500.0, hb, 1.5)
            envelope = fn(d, 3500.0, hb, 1.5, lower_envelope=True)
            assert (envelope <= standard + 1e-12).all()
            assert (np.diff(envelope) >= -1e-12).all()


def test_knife_edge_loss_values() -> None:
    # J(0) = 6.9 + 20 log10(sqrt(0.01 + 1) - 0.1) = 6.9 + 20 log10(0.904988) = 6.9 - 0.867147 = 6.0329
    # J(1) = 6.9 + 20 log10(sqrt(0.81 + 1) + 0.9) = 6.9 + 20 log10(2.245362) = 6.9 + 7.025729 = 13.9257
    # J(-1) = 0 (below -0.78); J(-inf) = 0 (no obstacle at all)
    np.testing.assert_allclose(
        knife_edge_loss_db([0.0, 1.0, -1.0, -np.inf]), [6.0329, 13.9257, 0.0, 0.0], atol=1e-3
    )


# ----------------------------------------------------------------- antenna


def test_bearings_and_wrapped_offsets() -> None:
    # x east, y north: north 0°, east 90°, south 180°, west 270°.
    np.testing.assert_allclose(bearing_deg([0, 1, 0, -1], [1, 0, -1, 0]), [0, 90, 180, 270])
    # Azimuth 350°, target at 10°: +20°; azimuth 10°, target at 350°: -20°.
    np.testing.assert_allclose(angle_offset_deg([10.0, 350.0], [350.0, 10.0]), [20.0, -20.0])


_ANGLES = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(-1000.0, 1000.0),
    st.sampled_from([0.0, -0.0, 360.0, -360.0, 720.0, math.nextafter(360.0, 0.0), -5e-324, 5e-324]),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(_ANGLES, max_size=20))
def test_mod_360_is_numpy_mod_bit_for_bit(values: list[float]) -> None:
    # The fast path keeps the angles already in [0, 360): the very bits np.mod gives
    # (-0.0 becomes +0.0, NaN stays NaN), arrays and scalars alike.
    x = np.array(values, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        expected = np.mod(x, 360.0)
        got = mod_360(x)
    assert got.dtype == np.float64
    np.testing.assert_array_equal(np.isnan(got), np.isnan(expected))
    ok = ~np.isnan(expected)
    np.testing.assert_array_equal(got[ok].view(np.int64), expected[ok].view(np.int64))
    for v in values[:3]:
        with np.errstate(invalid="ignore"):
            one, ref = mod_360(v), np.mod(v, 360.0)
        assert (math.isnan(one) and math.isnan(ref)) or np.float64(one).tobytes() == np.float64(ref).tobytes()


def test_horizontal_pattern() -> None:
    # A_H(0) = 0; A_H(φ3dB/2) = -12 · 0.25 = -3 dB; A_H(180°) = -min(12 · (180/65)², 25) = -25.
    np.testing.assert_allclose(horizontal_gain_db([0.0, 32.5, 180.0], 65.0), [0.0, -3.0, -25.0])


def test_antenna_gain_wraps_and_omni_is_zero() -> None:
    # Azimuth 350°, beamwidth 65°, target at bearing 10°: φ = 20°,
    # A = -12 (20/65)² = -12 · 0.0946746 = -1.136095 dB.
    # Omni (NaN azimuth) is 0 dB whatever the bearing.
    got = antenna_gain_db([10.0, 200.0], [350.0, np.nan], [65.0, 65.0])
    np.testing.assert_allclose(got, [-1.136095, 0.0], atol=1e-6)


def test_vertical_pattern_with_tilt() -> None:
    # θ = tilt -> 0 dB; θ = 9°, tilt 4° -> -12 (5/10)² = -3 dB; far off -> SLA_v = -20 dB.
    np.testing.assert_allclose(vertical_gain_db([4.0, 9.0, 60.0], 4.0), [0.0, -3.0, -20.0])
    # Combined A = -min(-(A_H + A_V), 25): back lobe -25 and -20 add to -45 -> capped at -25.
    assert antenna_gain_db(180.0, 0.0, 65.0, elevation_deg=60.0, tilt_deg=4.0) == pytest.approx(-25.0)


def test_in_sector_edges() -> None:
    # Azimuth 0°, beamwidth 90°: (1, 1) at 45° is on the edge (inside), (1.0001, 1) is not,
    # (0, 0) is the site (inside), omni passes everywhere.
    got = in_sector([1.0, 1.0001, 0.0, -1.0], [1.0, 1.0, 0.0, -1.0], [0.0, 0.0, 0.0, np.nan], 90.0)
    assert got.tolist() == [True, False, True, True]


# ----------------------------------------------------------------- link budget / model


def test_link_budget_level_and_threshold_on_paper() -> None:
    # Omni 4G cell, 1800 MHz, EIRP 60 dBm, 30 m mast, urban; receiver at 1.5 m.
    # Reference level = 60 - 30.8 (RSRP per RE) - 8 (margin) = 21.2 dBm; omni gain 0 dB.
    # 500 m: L = 136.196947 + 35.224856 · log10(0.5) = 136.196947 - 10.603738 = 125.593209
    #        level = 21.2 - 125.593209 = -104.3932 dBm >= -110 -> served
    # 750 m: L = 136.196947 + 35.224856 · log10(0.75) = 136.196947 - 4.400959 = 131.795988
    #        level = 21.2 - 131.795988 = -110.5960 dBm < -110 -> not served
    model = PathlossModel(SETTINGS, workers=1)
    cells = make_cells([(0.0, 0.0)])
    pairs = model.candidate_pairs(make_receivers([(500.0, 0.0), (0.0, -750.0)]), cells)
    # The 750 m receiver lies beyond the cell's reach (721 m, below): not even a candidate.
    assert pairs.receiver.tolist() == [0]
    np.testing.assert_allclose(pairs.signal_dbm, [-104.3932], atol=1e-3)
    assert pairs.served.tolist() == [True]
    budget = LinkBudget(cells, settings=SETTINGS, receiver_height_m=1.5)
    at_750 = budget.signal_dbm(np.array([0]), np.array([0.0]), np.array([-750.0]), np.array([750.0]))
    np.testing.assert_allclose(at_750, [-110.5960], atol=1e-3)
    # Reach: 21.2 - (136.196947 + 35.224856 · log10(d_km)) = -110
    #   log10(d_km) = (131.2 - 136.196947) / 35.224856 = -0.141858 -> d = 0.721342 km
    reach = model.max_range_m(cells)
    assert reach[0] >= 721.342
    assert reach[0] == pytest.approx(721.342, abs=0.01)


def test_rural_villages_take_hatas_suburban_correction() -> None:
    # 1800 MHz, 3 km, 35 m mast, 1.5 m handset (the example): Hata's open-area
    # correction gives 119.9 dB, his suburban one 139.9 dB, 38.901 RMa NLOS 143.1 dB.
    # The shipped rural class uses the suburban correction: 20 dB more than open area.
    assert float(cost231_hata_db(3000.0, 1800.0, 35.0, 1.5, environment="rural")) == pytest.approx(
        119.95, abs=0.01
    )
    assert float(rma_nlos_db(3000.0, 1800.0, 35.0, 1.5)) == pytest.approx(143.07, abs=0.01)
    cells = make_cells([(0.0, 0.0)], environment="rural")
    cells = dataclasses.replace(cells, height_m=np.array([35.0]))
    budget = LinkBudget(cells, settings=SETTINGS, receiver_height_m=1.5)
    got = float(budget.path_loss_db(np.array([0]), np.array([3000.0]))[0])
    assert got == pytest.approx(139.93, abs=0.01)
    open_area = LinkBudget(
        cells, settings=with_pathloss(SETTINGS, cost231_rural_correction="open_area"), receiver_height_m=1.5
    )
    assert float(open_area.path_loss_db(np.array([0]), np.array([3000.0]))[0]) == pytest.approx(
        119.95, abs=0.01
    )


def test_2g_reach_stops_at_the_gsm_timing_advance_limit() -> None:
    # A 2G cell with a huge budget (EIRP 90 dBm, 150 m mast, open area) would reach far
    # beyond 35 km; GSM's 63 timing-advance steps of 553.5 m stop it at 34,870.5 m. A
    # 4G cell with the same budget keeps the settings' 100 km cap.
    loud = with_pathloss(SETTINGS, cost231_rural_correction="open_area")
    cells = make_cells([(0.0, 0.0)] * 2, tech=["2G", "4G"], environment="rural")
    cells = dataclasses.replace(cells, eirp_dbm=np.array([90.0, 120.0]), height_m=np.array([150.0, 150.0]))
    reach = PathlossModel(loud, workers=1).max_range_m(cells)
    assert reach[0] == pytest.approx(34_870.5)
    assert reach[1] > 40_000.0
    pairs = PathlossModel(loud, workers=1).candidate_pairs(
        make_receivers([(34_000.0, 0.0), (36_000.0, 0.0)]), cells
    )
    served = {
        (int(r), int(c)) for r, c in zip(pairs.receiver[pairs.served], pairs.cell[pairs.served], strict=True)
    }
    assert (0, 0) in served
    assert (1, 0) not in served
    assert (1, 1) in served


def three_sector_900_site(x_m: float, y_m: float) -> CellArrays:
    """A 4G 900 rural site at (x, y): 40 m, EIRP 65 dBm, one layer at 0/120/240° (65°), tilt 2°."""
    cells = make_cells(
        [(x_m, y_m)] * 3, environment="rural", azimuth_deg=[0.0, 120.0, 240.0], layer=[1, 1, 1]
    )
    return dataclasses.replace(
        cells,
        band_mhz=np.full(3, 900.0),
        height_m=np.full(3, 40.0),
        eirp_dbm=np.full(3, 65.0),
        tilt_deg=np.full(3, 2.0),
    )


def test_three_sector_site_serves_the_bisector_with_its_pattern() -> None:
    # 4G 900 rural site, 40 m, EIRP 65 dBm, sectors at 0/120/240 with 65° beams, tilt 2°.
    # Village at bearing 60°, 2 km: 60° off both neighbouring boresights, so
    # A_H = -12 (60/65)² = -10.2249 dB from each; no hard wedge stops it.
    # Okumura–Hata (900 MHz, 40 m, rural = suburban correction) at 2 km:
    #   urban: 69.55 + 26.16 log10(900) - 13.82 log10(40) - a(1.5) + (44.9 - 6.55 log10(40)) log10(2)
    #   with a(1.5) = (1.1 · 2.954243 - 0.7) · 1.5 - (1.56 · 2.954243 - 0.8) = -0.000832 (about 0);
    #   = 69.55 + 77.282 - 22.140 + 0.001 + 34.407 · 0.30103 = 135.051 dB;
    #   suburban correction -2 (log10(900/28))² - 5.4 = -9.942 -> 125.109 dB.
    # Level = 65 - 30.8 - 8 - 125.109 - 10.225 + A_V, A_V small (-0.4 dB at 1.1° below a
    # 2° tilt) -> about -109.5 dBm >= -110: served by the 0° and 120° sectors.
    cells = three_sector_900_site(0.0, 0.0)
    x, y = 2000.0 * math.sin(math.radians(60.0)), 2000.0 * math.cos(math.radians(60.0))
    pairs = PathlossModel(SETTINGS, workers=1).candidate_pairs(make_receivers([(x, y)]), cells)
    assert sorted(pairs.cell[pairs.served].tolist()) == [0, 1]
    level = pairs.signal_dbm[pairs.cell == 0][0]
    assert -110.0 <= level < -109.0


def test_pathloss_pairs_record_their_formula_and_what_lies_outside_it() -> None:
    from coverage_gis.models.validity import ValidityReport

    # Omni 4G rural cells on a 30 m mast, EIRP 70 dBm, receiver at 1.2 km: the 1800 MHz
    # one is inside COST-231 Hata's range (1500-2000 MHz, 30-200 m, 1-20 km), the
    # 2600 MHz one outside it by frequency. A 900 MHz cell with a receiver at 500 m is
    # decided by Okumura-Hata (150-1500 MHz), outside its 1 km minimum distance.
    cells = make_cells([(0.0, 0.0)] * 2, band_mhz=[1800.0, 2600.0], environment="rural")
    cells = dataclasses.replace(cells, eirp_dbm=np.full(2, 70.0))
    pairs = PathlossModel(SETTINGS, workers=1).candidate_pairs(make_receivers([(1200.0, 0.0)]), cells)
    report = ValidityReport.from_arrays(pairs.formula, pairs.outside)
    assert report.pairs == 2
    assert report.formulas["cost231_hata"].pairs == 2
    assert dict(report.formulas["cost231_hata"].by_parameter) == {"frequency": 1}
    low = make_cells([(0.0, 0.0)], band_mhz=900.0, environment="rural")
    pairs = PathlossModel(SETTINGS, workers=1).candidate_pairs(make_receivers([(500.0, 0.0)]), low)
    report = ValidityReport.from_arrays(pairs.formula, pairs.outside)
    assert dict(report.formulas["okumura_hata"].by_parameter) == {"distance": 1}
    assert report.outside == 1


def test_threshold_is_inclusive() -> None:
    # Served iff level >= threshold: set the 4G threshold to the level itself -> served;
    # to the next float above it -> not served.
    cells = make_cells([(0.0, 0.0)])
    receivers = make_receivers([(500.0, 0.0)])
    level = float(PathlossModel(SETTINGS, workers=1).candidate_pairs(receivers, cells).signal_dbm[0])
    at = dataclasses.replace(SETTINGS, threshold_dbm={**SETTINGS.threshold_dbm, "4G": level})
    above = dataclasses.replace(
        SETTINGS, threshold_dbm={**SETTINGS.threshold_dbm, "4G": math.nextafter(level, 0.0)}
    )
    assert PathlossModel(at, workers=1).candidate_pairs(receivers, cells).served.tolist() == [True]
    assert PathlossModel(above, workers=1).candidate_pairs(receivers, cells).served.tolist() == [False]


def test_sector_back_lobe_reduces_the_level_by_25_db() -> None:
    # Same cell as a sector pointing east, no vertical pattern: receiver east (0 dB)
    # vs west (φ = 180° -> -25 dB). Levels differ by exactly A_m = 25 dB.
    flat = dataclasses.replace(
        SETTINGS, antenna=dataclasses.replace(SETTINGS.antenna, vertical_pattern=False)
    )
    cells = make_cells([(0.0, 0.0)], azimuth_deg=90.0)
    pairs = PathlossModel(flat, workers=1).candidate_pairs(
        make_receivers([(300.0, 0.0), (-300.0, 0.0)]), cells
    )
    order = np.argsort(pairs.receiver)
    assert pairs.signal_dbm[order][0] - pairs.signal_dbm[order][1] == pytest.approx(25.0)


def test_hata_fast_path_matches_the_formula() -> None:
    cells = make_cells([(0.0, 0.0)] * 3, environment=["urban", "suburban", "rural"])
    budget = LinkBudget(cells, settings=SETTINGS, receiver_height_m=1.5)
    d = np.array([0.5, 50.0, 2000.0, 15_000.0])
    for i, env in enumerate(["urban", "suburban", "rural"]):
        got = budget.path_loss_db(np.full(d.size, i, dtype=np.int64), d)
        want = cost231_hata_db(
            d, 1800.0, 30.0, 1.5, environment=env, rural_correction=SETTINGS.pathloss.cost231_rural_correction
        )
        np.testing.assert_allclose(got, want, rtol=1e-12)


def test_38901_formula_is_selected_per_environment() -> None:
    # rural -> RMa NLOS, urban -> UMa NLOS (los_condition: nlos), 1800 MHz, 30 m mast.
    s = with_pathloss(SETTINGS, formula="38901")
    cells = make_cells([(0.0, 0.0)] * 2, environment=["rural", "urban"])
    budget = LinkBudget(cells, settings=s, receiver_height_m=1.5)
    got = budget.path_loss_db(np.array([0, 1]), np.array([1000.0, 1000.0]))
    np.testing.assert_allclose(
        got, [float(rma_nlos_db(1000.0, 1800.0, 30.0, 1.5)), float(uma_nlos_db(1000.0, 1800.0, 30.0, 1.5))]
    )


def test_unknown_tech_in_cells_is_a_layer_validation_error() -> None:
    from coverage_gis.errors import LayerValidationError

    cells = make_cells([(0.0, 0.0)], tech="6G")
    with pytest.raises(LayerValidationError, match="6G") as info:
        PathlossModel(SETTINGS, workers=1).candidate_pairs(make_receivers([(1.0, 1.0)]), cells)
    assert info.value.field == "tech"


def test_registry_builds_a_pathloss_model() -> None:
    built = create_model("pathloss", SETTINGS)
    assert isinstance(built, PathlossModel)
    assert isinstance(built, CoverageModel)


# ----------------------------------------------------------------- properties

VARIANTS = [
    SETTINGS,
    with_pathloss(SETTINGS, formula="38901"),
    with_pathloss(SETTINGS, formula="38901", los_condition="los"),
]


@settings(max_examples=40, deadline=None)
@given(
    variant=st.sampled_from(VARIANTS),
    receivers=receiver_arrays(),
    cells=cell_arrays(),
    extra=cell_arrays(min_size=1, max_size=1),
)
def test_property_adding_a_cell_never_removes_a_served_receiver(
    variant: ModelSettings, receivers: ReceiverArrays, cells: CellArrays, extra: CellArrays
) -> None:
    assert_adding_a_cell_keeps_coverage(PathlossModel(variant, workers=1), receivers, cells, extra)


@settings(max_examples=60, deadline=None)
@given(variant=st.sampled_from(VARIANTS), receivers=receiver_arrays(), cells=cell_arrays())
def test_property_served_distance_never_exceeds_max_range(
    variant: ModelSettings, receivers: ReceiverArrays, cells: CellArrays
) -> None:
    # Receivers at the settings' height (1.5 m), so max_range_m applies as is.
    assert_served_within_max_range(PathlossModel(variant, workers=1), receivers, cells)


@settings(max_examples=60, deadline=None)
@given(variant=st.sampled_from(VARIANTS), receivers=receiver_arrays(), cells=cell_arrays())
def test_property_served_level_never_below_its_threshold(
    variant: ModelSettings, receivers: ReceiverArrays, cells: CellArrays
) -> None:
    assert_served_level_reaches_its_threshold(PathlossModel(variant, workers=1), receivers, cells, variant)


@settings(max_examples=40, deadline=None)
@given(cells=cell_arrays(min_size=1, max_size=1), bearing=st.floats(min_value=0.0, max_value=359.9))
def test_property_hata_max_range_is_tight_on_boresight(cells: CellArrays, bearing: float) -> None:
    # On the ray toward boresight (gain 0 dB with the vertical pattern off), a receiver
    # just inside the reach is served unless the reach is the cap or 0. (Hata only: the
    # 38.901 reach is computed on a lower envelope and may be loose near breakpoints.)
    s = dataclasses.replace(SETTINGS, antenna=dataclasses.replace(SETTINGS.antenna, vertical_pattern=False))
    model = PathlossModel(s, workers=1)
    reach = float(model.max_range_m(cells)[0])
    if reach == 0.0 or reach >= s.pathloss.max_range_m:
        return
    az = float(cells.azimuth_deg[0]) if not math.isnan(cells.azimuth_deg[0]) else bearing
    d = reach * (1 - 1e-6)
    x = float(cells.x_m[0]) + d * math.sin(math.radians(az))
    y = float(cells.y_m[0]) + d * math.cos(math.radians(az))
    assert model.candidate_pairs(make_receivers([(x, y)]), cells).served.tolist() == [True]
