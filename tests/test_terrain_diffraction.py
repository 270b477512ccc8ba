"""Terrain-excess diffraction (delta-Bullington, ITU-R P.1812-6 §4.3) on hand-built profiles.

Every expected value below is worked out in plain arithmetic from the published
equations (P.1812-6 eqs 13–21 for the Bullington loss, 85–91 for the smooth-earth
surface, P.526 eq. 31 for J(ν)), not by calling the library. Common to all cases:
transmitter 30 m and receiver 1.5 m above ground, 900 MHz, k = 4/3.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coverage_gis.terrain._bullington import profile_excess, radial_excess

LAM = 299_792_458.0 / 900e6  # 0.333102731 m
AE = 4.0 / 3.0 * 6_371_000.0  # 8 494 666.67 m
HTG, HRG = 30.0, 1.5


def j_p526(nu: float) -> float:
    """J(ν) of ITU-R P.526 eq. 31 (0 for ν ≤ -0.78), written out for the hand computations."""
    if nu <= -0.78:
        return 0.0
    return 6.9 + 20.0 * math.log10(math.sqrt((nu - 0.1) ** 2 + 1.0) + nu - 0.1)


def bull(luc: float, d_km: float) -> float:
    """P.1812 eq. 21: Luc + (1 - exp(-Luc/6)) (10 + 0.02 d)."""
    return luc + (1.0 - math.exp(-luc / 6.0)) * (10.0 + 0.02 * d_km)


def test_flat_ground_has_no_excess_even_where_bullington_alone_is_not_zero() -> None:
    # 15 km of flat ground at 12 m, 30 m steps. The last step before the receiver:
    # x = 14 970 m, d2 = 30 m, ray 1.5 + 28.5 · 30/15000 = 1.557 m above ground,
    # bulge 14970 · 30 / (2 a_e) = 0.0264 m, so ν = -(1.557 - 0.0264) · sqrt(2 · 15000 /
    # (0.3331 · 14970 · 30)) = -1.5306 · 0.4475 = -0.685 > -0.78: the Bullington loss of
    # flat ground is not 0 (this is what Hata already contains) ...
    h = np.full(501, 12.0)
    excess, actual, smooth = profile_excess(h, 30.0, HTG, HRG, LAM, AE)
    assert actual > 0.3
    # ... but flat ground is its own smooth earth (h_st = h_sr = 12 m, no obstruction:
    # h_std = h_srd = 12 m), so L_bulls is the same loss and the excess is 0 exactly.
    assert smooth == pytest.approx(actual, abs=1e-9)
    assert excess == 0.0


@pytest.mark.parametrize("slope", [0.0, 0.01, -0.02])
@pytest.mark.parametrize("d_km", [2.0, 8.0, 15.0])
def test_uniform_slopes_have_no_excess(slope: float, d_km: float) -> None:
    # A uniform slope is a smooth surface too: the least-squares fit is the slope
    # itself and the Bullington construction is unchanged by adding a linear ramp.
    n = round(d_km * 1000 / 30)
    h = 100.0 + slope * 30.0 * np.arange(n + 1)
    assert profile_excess(h, 30.0, HTG, HRG, LAM, AE)[0] == pytest.approx(0.0, abs=1e-9)


def test_one_ridge_is_the_p526_knife_edge_with_the_bullington_correction() -> None:
    # Profile 0 / 50 / 0 m at 0, 1000, 2000 m: one knife edge at d1 = d2 = 1000 m.
    # Actual profile (eqs 13-21):
    bulge = 1000.0 * 1000.0 / (2.0 * AE)  # 0.058860 m
    stim = (50.0 + bulge - 30.0) / 1000.0  # 0.020059 (only intermediate point)
    s_tr = (1.5 - 30.0) / 2000.0  # -0.01425 < Stim: beyond line of sight
    srim = (50.0 + bulge - 1.5) / 1000.0  # 0.048559
    dbp = (1.5 - 30.0 + srim * 2000.0) / (stim + srim)  # = 1000 m: the edge itself
    assert dbp == pytest.approx(1000.0)
    assert stim > s_tr
    # The edge's height over the direct ray, 50 + bulge - (30 + 1.5)/2 = 34.3089 m,
    # gives P.526's knife-edge ν = h sqrt(2 d / (λ d1 d2)) (eq. 26):
    clearance = 30.0 + stim * dbp - (30.0 * (2000.0 - dbp) + 1.5 * dbp) / 2000.0
    assert clearance == pytest.approx(50.0 + bulge - 15.75)
    nu = clearance * math.sqrt(2.0 * 2000.0 / (LAM * 1000.0 * 1000.0))  # 3.7596
    luc = j_p526(nu)  # 6.9 + 20 log10(sqrt(3.6596² + 1) + 3.6596) = 24.347 dB
    l_bulla = bull(luc, 2.0)  # 24.347 + (1 - e^(-4.058)) · 10.04 = 34.214 dB
    # Smooth earth (eqs 85-91): v1 = 1000·(50+0) + 1000·(0+50) = 100 000,
    # v2 = 1000·50·(2·1000+0) + 1000·50·(1000+2·1000)·... = 1e8 + 2e8 = 3e8,
    v1, v2 = 100_000.0, 3e8
    hst = (2 * v1 * 2000.0 - v2) / 2000.0**2  # 25 m
    hsr = (v2 - v1 * 2000.0) / 2000.0**2  # 25 m
    hobs = 50.0 - 15.75  # 34.25 m above the direct ray (no curvature here)
    gt = (hobs / 1000.0) / (hobs / 1000.0 + hobs / 1000.0)  # 0.5
    hstd = min(hst - hobs * gt, 0.0)  # 25 - 17.125 = 7.875 > 0 m ground -> 0
    hsrd = min(hsr - hobs * (1 - gt), 0.0)  # -> 0
    assert (hstd, hsrd) == (0.0, 0.0)
    # Zero profile with antennas 30 and 1.5 m: Stim = (bulge - 30)/1000 = -0.02994
    # < Str: line of sight; ν = (bulge - 15.75) sqrt(0.004/λ) = -1.719 < -0.78: J = 0.
    nu_smooth = (bulge - 15.75) * math.sqrt(2.0 * 2000.0 / (LAM * 1000.0 * 1000.0))
    l_bulls = bull(j_p526(nu_smooth), 2.0)
    assert l_bulls == 0.0
    excess, actual, smooth = profile_excess(np.array([0.0, 50.0, 0.0]), 1000.0, HTG, HRG, LAM, AE)
    assert actual == pytest.approx(l_bulla, abs=1e-9)
    assert smooth == pytest.approx(l_bulls, abs=1e-9)
    assert excess == pytest.approx(l_bulla - l_bulls, abs=1e-9)
    assert excess == pytest.approx(34.2136, abs=1e-3)


def test_two_ridges_by_hand() -> None:
    # Profile 0 / 40 / 40 / 0 m every 1000 m (d = 3 km).
    b = 1000.0 * 2000.0 / (2.0 * AE)  # bulge at 1000 and at 2000 m: 0.117721 m
    stim = max((40.0 + b - 30.0) / 1000.0, (40.0 + b - 30.0) / 2000.0)  # 0.0101177 (first ridge)
    s_tr = (1.5 - 30.0) / 3000.0  # -0.0095: beyond line of sight
    srim = max((40.0 + b - 1.5) / 2000.0, (40.0 + b - 1.5) / 1000.0)  # 0.0386177 (second ridge)
    assert stim > s_tr
    dbp = (1.5 - 30.0 + srim * 3000.0) / (stim + srim)  # 1792.4 m: the Bullington point
    clearance = 30.0 + stim * dbp - (30.0 * (3000.0 - dbp) + 1.5 * dbp) / 3000.0
    nu = clearance * math.sqrt(2.0 * 3000.0 / (LAM * dbp * (3000.0 - dbp)))
    l_bulla = bull(j_p526(nu), 3.0)
    # Smooth earth: v1 = 1000·(40+0 + 40+40 + 0+40) = 160 000;
    # v2 = 1000·[40·2000 + (40·5000 + 40·4000) + 40·7000] = 8e7 + 3.6e8 + 2.8e8 = 7.2e8.
    v1, v2 = 160_000.0, 7.2e8
    hst = (2 * v1 * 3000.0 - v2) / 3000.0**2  # 26.67 m
    hsr = (v2 - v1 * 3000.0) / 3000.0**2  # 26.67 m
    big_h = [40.0 - (30.0 * 2000.0 + 1.5 * 1000.0) / 3000.0, 40.0 - (30.0 * 1000.0 + 1.5 * 2000.0) / 3000.0]
    hobs = max(big_h)  # 29 m (second ridge)
    aobt = max(big_h[0] / 1000.0, big_h[1] / 2000.0)  # 0.0195
    aobr = max(big_h[0] / 2000.0, big_h[1] / 1000.0)  # 0.029
    hstd = min(hst - hobs * aobt / (aobt + aobr), 0.0)  # 26.67 - 11.66 > 0 -> 0
    hsrd = min(hsr - hobs * aobr / (aobt + aobr), 0.0)  # 26.67 - 17.34 > 0 -> 0
    # Zero profile, antennas 30 / 1.5 m: Stim = max((b - 30)/1000, (b - 30)/2000) = -0.01494 < Str:
    # line of sight; best ν at 2000 m: (b - 11) sqrt(6000 / (λ 2000 1000)) = -1.03: J = 0.
    nu_smooth = (b - (30.0 * 1000.0 + 1.5 * 2000.0) / 3000.0) * math.sqrt(6000.0 / (LAM * 2000.0 * 1000.0))
    assert nu_smooth < -0.78
    assert (hstd, hsrd) == (0.0, 0.0)
    excess, actual, smooth = profile_excess(np.array([0.0, 40.0, 40.0, 0.0]), 1000.0, HTG, HRG, LAM, AE)
    assert actual == pytest.approx(l_bulla, abs=1e-9)
    assert smooth == 0.0
    assert excess == pytest.approx(l_bulla, abs=1e-9)
    # One knife edge of the first ridge alone would give only J(ν_1) with ν_1 for the
    # 40 m edge at 1000 m: the Bullington point sees both ridges.
    nu_first = (40.0 + b - 20.5) * math.sqrt(6000.0 / (LAM * 1000.0 * 2000.0))
    assert excess > bull(j_p526(nu_first), 3.0)


def test_three_ridges_by_hand_including_a_smooth_earth_loss() -> None:
    # Profile 0 / 60 / 60 / 60 / 0 m every 1000 m (d = 4 km).
    b = [x * (4000.0 - x) / (2.0 * AE) for x in (1000.0, 2000.0, 3000.0)]  # 0.17658, 0.23544, 0.17658
    xs = (1000.0, 2000.0, 3000.0)
    stim = max((60.0 + bi - 30.0) / x for bi, x in zip(b, xs, strict=True))  # 0.0301766 at 1000 m
    srim = max((60.0 + bi - 1.5) / (4000.0 - x) for bi, x in zip(b, xs, strict=True))  # 0.0586766 at 3000 m
    assert stim > (1.5 - 30.0) / 4000.0
    dbp = (1.5 - 30.0 + srim * 4000.0) / (stim + srim)  # 2320.8 m
    clearance = 30.0 + stim * dbp - (30.0 * (4000.0 - dbp) + 1.5 * dbp) / 4000.0
    nu = clearance * math.sqrt(2.0 * 4000.0 / (LAM * dbp * (4000.0 - dbp)))
    l_bulla = bull(j_p526(nu), 4.0)
    # Smooth earth: v1 = 1000·(60 + 120 + 120 + 60) = 360 000;
    # v2 = 1000·[60·2000 + (60·5000 + 60·4000) + (60·8000 + 60·7000) + 60·10000] = 2.16e9;
    v1, v2 = 360_000.0, 2.16e9
    hst = (2 * v1 * 4000.0 - v2) / 4000.0**2  # 45 m
    hsr = (v2 - v1 * 4000.0) / 4000.0**2  # 45 m
    line = [(30.0 * (4000.0 - x) + 1.5 * x) / 4000.0 for x in xs]  # 22.875, 15.75, 8.625
    big_h = [60.0 - li for li in line]  # 37.125, 44.25, 51.375
    hobs = max(big_h)
    aobt = max(h / x for h, x in zip(big_h, xs, strict=True))  # 0.037125
    aobr = max(h / (4000.0 - x) for h, x in zip(big_h, xs, strict=True))  # 0.051375
    hstd = min(hst - hobs * aobt / (aobt + aobr), 0.0)  # 45 - 21.55 > 0 -> 0
    hsrd = min(hsr - hobs * aobr / (aobt + aobr), 0.0)  # 45 - 29.82 > 0 -> 0
    assert (hstd, hsrd) == (0.0, 0.0)
    # Zero profile, antennas 30 / 1.5 m: Stim = max((b_i - 30)/x_i) = -0.009941 (3000 m)
    # < Str = -0.007125: line of sight; ν at 3000 m = (0.17658 - 8.625) sqrt(8000/(λ·3e6))
    # = -0.756 > -0.78, so the smooth earth itself grazes the first Fresnel zone here:
    nus = [
        (bi - li) * math.sqrt(8000.0 / (LAM * x * (4000.0 - x)))
        for bi, li, x in zip(b, line, xs, strict=True)
    ]
    l_bulls = bull(j_p526(max(nus)), 4.0)
    assert 0.0 < l_bulls < 1.0
    excess, actual, smooth = profile_excess(np.array([0.0, 60.0, 60.0, 60.0, 0.0]), 1000.0, HTG, HRG, LAM, AE)
    assert actual == pytest.approx(l_bulla, abs=1e-9)
    assert smooth == pytest.approx(l_bulls, abs=1e-9)
    assert excess == pytest.approx(l_bulla - l_bulls, abs=1e-9)


def test_a_path_with_no_intermediate_point_has_no_loss() -> None:
    assert profile_excess(np.array([0.0, 500.0]), 30.0, HTG, HRG, LAM, AE) == (0.0, 0.0, 0.0)


profiles = st.lists(st.floats(-20.0, 400.0, allow_nan=False), min_size=3, max_size=60)


@settings(max_examples=60, deadline=None)
@given(
    heights=profiles,
    step=st.sampled_from([10.0, 30.0, 90.0]),
    mhz=st.sampled_from([700.0, 1800.0, 3500.0]),
    k_from=st.integers(1, 5),
)
def test_property_the_radial_pass_equals_the_published_equations_on_every_prefix(
    heights: list[float], step: float, mhz: float, k_from: int
) -> None:
    g = np.array(heights)
    lam = 299_792_458.0 / (mhz * 1e6)
    out = np.full(g.size, np.nan, dtype=np.float32)
    radial_excess(g, step, HTG, HRG, lam, AE, k_from, out)
    assert np.isnan(out[: min(k_from, g.size)]).all()
    for k in range(max(k_from, 1), g.size):
        expected = profile_excess(g[: k + 1], step, HTG, HRG, lam, AE)[0]
        assert out[k] == pytest.approx(expected, abs=1e-4)
