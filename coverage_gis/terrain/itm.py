"""Longley–Rice ITM 1.2.2 point-to-point median loss: the public, single-profile entry points.

The compiled implementation lives in :mod:`coverage_gis.terrain._itm` (see there for
the algorithm); this module offers it on plain arrays and the bound the terrain
model's reach search needs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

if TYPE_CHECKING:
    from coverage_gis.models.settings import ItmSettings


def median_gain_bound_db(itm: ItmSettings) -> float:
    """The most the ITM median loss can fall below free space in this climate, dB.

    The median loss is ``free space + f(A_ref - V_med)`` with ``A_ref ≥ 0`` and
    ``f(a) ≥ a``; ``V_med = (c1 + c2 / (1 + ...)) · r/(1 + r)`` with ``0 ≤ r/(1+r) < 1``
    never exceeds ``max(c1 + c2, 0)``.
    """
    from coverage_gis.terrain._itm_lrprop import CLIMATE_VMD

    c1, c2 = CLIMATE_VMD[itm.climate_code - 1, :2]
    return float(max(c1 + c2, 0.0))


def itm_profile_loss_db(
    heights_m: ArrayLike,
    step_m: float,
    *,
    tx_height_m: float,
    rx_height_m: float,
    frequency_mhz: float,
    itm: ItmSettings | None = None,
) -> float:
    """Median basic transmission loss of one profile, dB.

    Parameters
    ----------
    heights_m
        Ground heights (m above sea level) at equally spaced points, the transmitter
        over the first and the receiver over the last.
    step_m
        Spacing of the points, metres.
    tx_height_m, rx_height_m
        Antenna heights above ground.
    frequency_mhz
        Carrier frequency.
    itm
        Climate, refractivity, ground and polarisation (defaults: equatorial,
        N_s 301, 15 / 0.005 S/m, vertical).
    """
    from coverage_gis.models.settings import ItmSettings
    from coverage_gis.terrain._itm import itm_parameters, profile_itm_db

    z = np.ascontiguousarray(heights_m, dtype=np.float64)
    params = itm_parameters(ItmSettings() if itm is None else itm)
    return float(
        profile_itm_db(z, float(step_m), float(tx_height_m), float(rx_height_m), float(frequency_mhz), params)
    )
