"""Reference cells and the radius table derived from them (coverage_gis.models.reference)."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from coverage_gis.models import PathlossModel, RadiusModel, load_model_settings
from coverage_gis.models.antenna import sector_bisectors, service_sectors
from coverage_gis.models.base import ReceiverArrays
from coverage_gis.models.reference import (
    REFERENCE_RADIOS,
    boresight_reach_m,
    derived_radius_m,
    derived_radius_table,
    reference_cells,
    reference_radio,
)
from coverage_gis.vocabulary import ENVIRONMENTS

SETTINGS = load_model_settings()


def test_the_shipped_radius_table_is_the_link_budget_derivation() -> None:
    # Every value of radius_m in layers/coverage_models.yaml is the boresight reach of a
    # reference cell under the shipped link budget (bench/derive_radii.py prints it).
    derived = derived_radius_table(SETTINGS)
    shipped = {
        tech: {band: table.for_band(band) for band in table.bands_mhz}
        for tech, table in SETTINGS.radius_m.items()
    }
    assert {t: sorted(b) for t, b in derived.items()} == {t: sorted(b) for t, b in shipped.items()}
    for tech, rows in derived.items():
        for band, radii in rows.items():
            for env in ENVIRONMENTS:
                assert shipped[tech][band].for_environment(env) == radii[env], (tech, band, env)


def test_the_table_covers_the_vietnamese_bands() -> None:
    bands = {r.band_mhz for r in REFERENCE_RADIOS}
    assert {700.0, 800.0, 900.0, 1800.0, 2100.0, 2600.0, 3500.0, 3700.0} <= bands
    # Lower bands reach further, for one technology and clutter class.
    rural_4g = [SETTINGS.radius_m["4G"].for_band(b).rural_m for b in (700.0, 900.0, 1800.0, 2100.0, 2600.0)]
    assert rural_4g == sorted(rural_4g, reverse=True)
    # 3G broadband (RSCP -95 dBm at 2100 MHz) reaches about as far as 4G at 1800 MHz.
    r3 = SETTINGS.radius_m["3G"].for_band(2100.0).rural_m
    r4 = SETTINGS.radius_m["4G"].for_band(1800.0).rural_m
    assert 0.85 < r3 / r4 < 1.25


def test_radius_and_pathloss_agree_on_a_reference_cell() -> None:
    # On boresight, 1 m inside the radius the pathloss model serves; 1 % beyond, not.
    for radio in REFERENCE_RADIOS:
        for env in ENVIRONMENTS:
            cells = reference_cells(radio, env)
            radius = float(RadiusModel(SETTINGS, workers=1).max_range_m(cells)[0])
            assert radius == derived_radius_m(SETTINGS, radio, env)
            inside = ReceiverArrays(np.array([0.0]), np.array([radius - 6.0]))
            beyond = ReceiverArrays(np.array([0.0]), np.array([radius * 1.01]))
            model = PathlossModel(SETTINGS, workers=1)
            assert model.candidate_pairs(inside, cells).served.tolist() == [True], (radio, env)
            assert not model.candidate_pairs(beyond, cells).served.any(), (radio, env)


def test_boresight_reach_on_paper() -> None:
    # A 4G 1800 urban reference cell without the vertical pattern: the level is
    # 61 - 30.8 - 8 - L(d), L = Hata urban at 25 m: 46.3 + 33.9 log10(1800) - 13.82 log10(25)
    # - a(1.5) + (44.9 - 6.55 log10(25)) log10(d_km); a(1.5) = 0.0430 at 1800 MHz.
    #   = 46.3 + 110.352 - 19.319 - 0.043 = 137.290 + 35.743 log10(d_km)
    # -110 dBm: log10(d_km) = (132.2 - 137.290) / 35.743 = -0.14241 -> 720.6 m.
    flat = dataclasses.replace(
        SETTINGS, antenna=dataclasses.replace(SETTINGS.antenna, vertical_pattern=False)
    )
    reach = boresight_reach_m(flat, reference_cells(reference_radio("4G", 1800.0), "urban"))
    assert reach == pytest.approx(720.6, abs=0.5)


def test_reference_radio_takes_the_nearest_band() -> None:
    assert reference_radio("5G", 3750.0).band_mhz == 3700.0
    assert reference_radio("5G", 2500.0).band_mhz == 2600.0
    assert reference_radio("4G", 1842.5).band_mhz == 1800.0
    with pytest.raises(KeyError):
        reference_radio("6G", 1800.0)


# ----------------------------------------------------------------- service sectors


def test_bisectors_of_a_three_sector_layer_and_of_lone_sectors() -> None:
    # Layer 1: 0/120/240 -> 60° to each neighbour. Layer 2: one sector -> 180°.
    # Layer 3: 0/100/240 plus a second carrier at 100 (same position) -> sector 0 has
    # 50° clockwise (to 100) and 60° counter-clockwise (to 240); omni -> NaN.
    layer = [1, 1, 1, 2, 3, 3, 3, 3, 3]
    az = [0.0, 120.0, 240.0, 90.0, 0.0, 100.0, 240.0, 100.0, math.nan]
    bw = [65.0] * 8 + [360.0]
    cw, ccw = sector_bisectors(layer, az, bw)
    np.testing.assert_allclose(cw, [60, 60, 60, 180, 50, 70, 60, 70, np.nan])
    np.testing.assert_allclose(ccw, [60, 60, 60, 180, 60, 50, 70, 50, np.nan])
    centre, half = service_sectors(az, bw, cw, ccw, edge_db=12.0)
    # Sector 100 of layer 3: clockwise 70° capped at its 65° edge, 50° the other way:
    # bearings 50..165 -> centre 107.5, half 57.5. Lone 90°: ±65°.
    np.testing.assert_allclose(centre, [0, 120, 240, 90, 355, 107.5, 237.5, 107.5, np.nan])
    np.testing.assert_allclose(half, [60, 60, 60, 65, 55, 57.5, 62.5, 57.5, 180])


def test_the_sector_edge_follows_the_pattern_drop() -> None:
    # A 65° beam is 10 dB down at 65·sqrt(10/12) = 59.34°, 12 dB down at 65°.
    _, half10 = service_sectors([0.0], [65.0], [180.0], [180.0], edge_db=10.0)
    _, half12 = service_sectors([0.0], [65.0], [180.0], [180.0], edge_db=12.0)
    assert half10[0] == pytest.approx(59.336, abs=1e-3)
    assert half12[0] == pytest.approx(65.0)
