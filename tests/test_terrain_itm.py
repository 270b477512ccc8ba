"""ITM 1.2.2 point-to-point against the reference implementation (itmlogic), small version.

The full comparison (1,000 random profiles of the synthetic SRTM DEM) is in
``bench/bench_terrain.py``; here: ITM's own documented test path and random profiles.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from coverage_gis.models.settings import ItmSettings
from coverage_gis.terrain._itm import _dh_scheduled, itm_parameters, profile_itm_db, radial_itm
from coverage_gis.terrain.itm import itm_profile_loss_db, median_gain_bound_db

itmlogic = pytest.importorskip("itmlogic")

#: The profile of ITM's point-to-point example (Crystal Palace -> Mursley, 77.8 km,
#: 41.5 MHz, antennas 143.9 m and 8.5 m), as shipped with the ITM documentation.
CRYSTAL_PALACE = [
    96, 84, 65, 46, 46, 46, 61, 41, 33, 27, 23, 19, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 17,
    19, 21, 23, 25, 27, 29, 35, 46, 41, 35, 30, 33, 35, 37, 40, 35, 30, 51, 62, 76, 46, 46, 46, 46, 46,
    46, 50, 56, 67, 106, 83, 95, 112, 137, 137, 76, 103, 122, 122, 83, 71, 61, 64, 67, 71, 74, 77, 79,
    86, 91, 83, 76, 68, 63, 76, 107, 107, 107, 119, 127, 133, 135, 137, 142, 148, 152, 152, 107, 137,
    104, 91, 99, 120, 152, 152, 137, 168, 168, 122, 137, 137, 170, 183, 183, 187, 194, 201, 192, 152,
    152, 166, 177, 198, 156, 127, 116, 107, 104, 101, 98, 95, 103, 91, 97, 102, 107, 107, 107, 103, 98,
    94, 91, 105, 122, 122, 122, 122, 122, 137, 137, 137, 137, 137, 137, 137, 137, 140, 144, 147, 150,
    152, 159,
]  # fmt: skip


def reference_db(z: np.ndarray, step: float, hg0: float, hg1: float, f_mhz: float, itm: ItmSettings) -> float:
    """itmlogic's median loss, set up as its point-to-point runner does."""
    from itmlogic.preparatory_subroutines.qlrpfl import qlrpfl
    from itmlogic.statistics.avar import avar

    wn = f_mhz / 47.7
    zq = complex(itm.ground_permittivity, 376.62 * itm.ground_conductivity_s_per_m / wn)
    zgnd = np.sqrt(zq - 1)
    prop = {
        "pfl": [len(z) - 1, step, *map(float, z)],
        "hg": [hg0, hg1],
        "fmhz": f_mhz,
        "wn": wn,
        "eps": itm.ground_permittivity,
        "sgm": itm.ground_conductivity_s_per_m,
        "klim": itm.climate_code,
        "ens0": itm.surface_refractivity_n,
        "ens": itm.surface_refractivity_n,
        "gme": 157e-9 * (1 - 0.04665 * math.exp(itm.surface_refractivity_n / 179.3)),
        "zgnd": zgnd / zq if itm.polarization == "vertical" else zgnd,
        "lvar": 5,
        "kwx": 0,
        "klimx": 0,
        "mdvarx": 11,
    }
    prop = qlrpfl(prop)
    loss, _ = avar(0.0, 0.0, 0.0, prop)
    return float(8.685890 * np.log(2 * prop["wn"] * prop["dist"]) + loss)


def test_the_documented_itm_example_matches_itmlogic() -> None:
    itm = ItmSettings(climate="continental_temperate", polarization="horizontal")
    z = np.array(CRYSTAL_PALACE, dtype=np.float64)
    step = 77_800.0 / (z.size - 1)
    ours = itm_profile_loss_db(z, step, tx_height_m=143.9, rx_height_m=8.5, frequency_mhz=41.5, itm=itm)
    assert ours == pytest.approx(reference_db(z, step, 143.9, 8.5, 41.5, itm), abs=1e-6)


def random_profiles(n: int, seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        size = int(rng.integers(20, 400))
        out.append(np.rint(np.cumsum(rng.normal(0.0, 6.0, size)) + rng.uniform(0.0, 600.0)))
    return out


def test_random_profiles_agree_with_itmlogic_within_a_db_median() -> None:
    itm = ItmSettings()
    diffs = [
        itm_profile_loss_db(z, 30.0, tx_height_m=30.0, rx_height_m=1.5, frequency_mhz=1800.0, itm=itm)
        - reference_db(z, 30.0, 30.0, 1.5, 1800.0, itm)
        for z in random_profiles(25, 3)
    ]
    assert float(np.median(np.abs(diffs))) < 1.0


def test_the_radial_pass_is_exact_where_it_computes_the_terrain_irregularity() -> None:
    params = itm_parameters(ItmSettings())
    for z in random_profiles(6, 5):
        out = np.full(z.size, np.nan)
        radial_itm(z, 30.0, 30.0, 1.5, 1800.0, params, 1, out)
        for k in range(1, z.size):
            exact = profile_itm_db(z[: k + 1], 30.0, 30.0, 1.5, 1800.0, params)
            if _dh_scheduled(k) or k == z.size - 1:
                assert out[k] == pytest.approx(exact, abs=1e-6)
            else:  # Δh interpolated between scheduled receivers
                assert abs(out[k] - exact) < 3.0


def test_a_radial_from_a_later_receiver_gives_the_same_losses_there() -> None:
    # The pass from k_from on needs Δh at the scheduled receiver just before k_from
    # (interpolation's left end): its results there must be those of the whole radial.
    params = itm_parameters(ItmSettings())
    rng = np.random.default_rng(700)
    for _ in range(4):
        z = np.rint(np.cumsum(rng.normal(0.0, 6.0, 800)) + rng.uniform(0.0, 600.0))
        whole = np.full(z.size, np.nan)
        radial_itm(z, 30.0, 30.0, 1.5, 1800.0, params, 1, whole)
        for k_from in (2, 33, 47, 100, 129, 300, 513, 699):
            part = np.full(z.size, np.nan)
            radial_itm(z, 30.0, 30.0, 1.5, 1800.0, params, k_from, part)
            assert np.isnan(part[:k_from]).all()
            np.testing.assert_array_equal(part[k_from:], whole[k_from:])


def test_the_loss_never_falls_below_free_space_less_the_climate_bound() -> None:
    itm = ItmSettings()
    bound = median_gain_bound_db(itm)
    assert bound == pytest.approx(-9.67 + 12.7)
    for z in random_profiles(20, 8):
        d = 30.0 * (z.size - 1)
        free_space = 20.0 * math.log10(4.0 * math.pi * d / (299.792458 / 1800.0))
        loss = itm_profile_loss_db(z, 30.0, tx_height_m=30.0, rx_height_m=1.5, frequency_mhz=1800.0, itm=itm)
        assert loss >= free_space - bound
