"""Vectorised radio propagation formulas: path loss and knife-edge diffraction.

This module owns the formulas and nothing else (no cells, no settings): every
function takes numpy-broadcastable arrays and returns dB. Distances are metres,
frequencies MHz, heights metres above ground.

* Free space (Friis).
* COST-231 Hata with Hata's suburban and open-area corrections (the rural clutter
  class takes either: ``rural_correction``). COST-231 is
  specified for 1500–2000 MHz, base station 30–200 m, mobile 1–10 m, 1–20 km. Outside
  it we extend as planning tools commonly do: below 1500 MHz the original
  Okumura–Hata constants (valid 150–1500 MHz, so 900 MHz GSM is in range), above
  2000 MHz the COST-231 formula extrapolated in frequency (2100/2600/3500 MHz); the
  distance term is used as-is outside 1–20 km, and the loss is never less than free
  space (which matters only within a few metres of the mast).
* 3GPP TR 38.901 Table 7.4.1-1 RMa and UMa, LOS and NLOS, with their breakpoint
  distances. 2-D distance is clamped to the 10 m minimum and heights to the
  applicability ranges (h_BS 10–150 m, h_UT 1–10 m for RMa / 1.5–22.5 m for UMa);
  beyond the maximum distance (10 km RMa LOS, 5 km otherwise) the formulas are
  extrapolated.
* Fresnel–Kirchhoff ν and the single knife-edge loss J(ν) of ITU-R P.526 (eq. 31).

Every path-loss function here is non-decreasing in distance except at the 38.901
LOS breakpoints, where the standard's two pieces do not meet exactly; passing
``lower_envelope=True`` returns ``min(PL1, PL2)`` instead, a lower bound of the
standard value that is non-decreasing everywhere, which is what the link-budget range
inversion needs to never under-estimate a cell's reach.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from coverage_gis.models.base import FloatArray, StrArray
from coverage_gis.models.settings import ClassArray, environment_index

#: Speed of light in vacuum, m/s (free space and Fresnel zones).
SPEED_OF_LIGHT_M_S = 299_792_458.0
#: The rounded value 3GPP TR 38.901 uses in its breakpoint distances, m/s.
_C_38901_M_S = 3.0e8
#: Distances below this are evaluated at it: every formula diverges at d → 0.
MIN_DISTANCE_M = 1.0
#: 38.901's minimum 2-D distance.
MIN_DISTANCE_38901_M = 10.0


def _f64(value: ArrayLike) -> FloatArray:
    return np.asarray(value, dtype=np.float64)


def wavelength_m(frequency_mhz: ArrayLike) -> FloatArray:
    """Wavelength for a carrier frequency, metres."""
    return SPEED_OF_LIGHT_M_S / (_f64(frequency_mhz) * 1e6)


def free_space_db(distance_m: ArrayLike, frequency_mhz: ArrayLike) -> FloatArray:
    """Free-space path loss ``20 log10(4π d f / c)``, dB."""
    d = np.maximum(_f64(distance_m), MIN_DISTANCE_M)
    return 20.0 * np.log10(4.0 * np.pi * d * _f64(frequency_mhz) * 1e6 / SPEED_OF_LIGHT_M_S)


# ------------------------------------------------------------------- COST-231 Hata


def cost231_hata_terms(
    frequency_mhz: ArrayLike,
    base_height_m: ArrayLike,
    mobile_height_m: ArrayLike,
    *,
    environment: str | ClassArray,
    metropolitan_db: float = 0.0,
    rural_correction: str = "open_area",
) -> tuple[FloatArray, FloatArray]:
    """Hata loss as ``intercept + slope · log10(d / 1 km)``: the two terms, dB.

    Splitting the formula lets a caller evaluate the distance-independent part once
    per cell and only ``log10(d)`` per (receiver, cell) pair.

    Parameters
    ----------
    frequency_mhz
        Carrier frequency; COST-231 constants from 1500 MHz up, Okumura–Hata below.
    base_height_m, mobile_height_m
        Antenna heights above ground (the base height is floored at 1 m).
    environment
        ``urban``, ``suburban`` or ``rural`` (scalar or per element), or their positions
        (:func:`~coverage_gis.models.settings.environment_index`).
    metropolitan_db
        COST-231 ``C_m``, added in the urban class from 1500 MHz up.
    rural_correction
        The correction of the ``rural`` class: Hata's ``open_area`` one (open farmland)
        or his ``suburban`` one (villages among trees and hills).

    Returns
    -------
    intercept_db, slope_db
        Loss at 1 km and dB per decade of distance.
    """
    f = _f64(frequency_mhz)
    lf = np.log10(f)
    lhb = np.log10(np.maximum(_f64(base_height_m), 1.0))
    hr = _f64(mobile_height_m)
    env = environment_index(np.asarray(environment))
    # Small/medium-city mobile-antenna correction, the one COST-231 prescribes;
    # Vietnamese provincial towns are not Hata's "large city".
    a_hr = (1.1 * lf - 0.7) * hr - (1.56 * lf - 0.8)
    cost231 = f >= 1500.0
    urban = np.where(cost231, 46.3 + 33.9 * lf, 69.55 + 26.16 * lf) - 13.82 * lhb - a_hr
    suburban_corr = -2.0 * np.log10(f / 28.0) ** 2 - 5.4
    rural_corr = -4.78 * lf**2 + 18.33 * lf - 40.94
    if rural_correction == "suburban":
        rural_corr = suburban_corr
    intercept = np.where(
        env == 0,
        urban + np.where(cost231, metropolitan_db, 0.0),
        urban + np.where(env == 1, suburban_corr, rural_corr),
    )
    slope = np.broadcast_to(44.9 - 6.55 * lhb, intercept.shape)
    return np.asarray(intercept, dtype=np.float64), np.asarray(slope, dtype=np.float64)


def cost231_hata_db(
    distance_m: ArrayLike,
    frequency_mhz: ArrayLike,
    base_height_m: ArrayLike,
    mobile_height_m: ArrayLike,
    *,
    environment: str | StrArray,
    metropolitan_db: float = 0.0,
    rural_correction: str = "open_area",
) -> FloatArray:
    """COST-231 Hata path loss (Okumura–Hata below 1500 MHz), dB.

    Never less than free-space loss. See :func:`cost231_hata_terms` for the
    parameters and the module docstring for the extension outside 1500–2000 MHz.
    """
    intercept, slope = cost231_hata_terms(
        frequency_mhz,
        base_height_m,
        mobile_height_m,
        environment=environment,
        metropolitan_db=metropolitan_db,
        rural_correction=rural_correction,
    )
    d = np.maximum(_f64(distance_m), MIN_DISTANCE_M)
    hata = intercept + slope * np.log10(d / 1000.0)
    return np.asarray(np.maximum(hata, free_space_db(d, frequency_mhz)), dtype=np.float64)


# ------------------------------------------------------------------- 3GPP TR 38.901


def _heights_38901(
    base_height_m: ArrayLike, mobile_height_m: ArrayLike, *, mobile_range: tuple[float, float]
) -> tuple[FloatArray, FloatArray]:
    hb = np.clip(_f64(base_height_m), 10.0, 150.0)
    hr = np.clip(_f64(mobile_height_m), *mobile_range)
    return hb, hr


def _distance_3d(distance_m: ArrayLike, hb: FloatArray, hr: FloatArray) -> FloatArray:
    d2 = np.maximum(_f64(distance_m), MIN_DISTANCE_38901_M)
    return np.asarray(np.hypot(d2, hb - hr), dtype=np.float64)


def rma_breakpoint_m(
    base_height_m: ArrayLike, mobile_height_m: ArrayLike, frequency_mhz: ArrayLike
) -> FloatArray:
    """RMa breakpoint distance ``d_BP = 2π h_BS h_UT f_c / c``, metres."""
    hb, hr = _heights_38901(base_height_m, mobile_height_m, mobile_range=(1.0, 10.0))
    return 2.0 * np.pi * hb * hr * _f64(frequency_mhz) * 1e6 / _C_38901_M_S


def _rma_pl1(d3: FloatArray, fc_ghz: FloatArray, h: float) -> FloatArray:
    h172 = h**1.72
    return np.asarray(
        20.0 * np.log10(40.0 * np.pi * d3 * fc_ghz / 3.0)
        + min(0.03 * h172, 10.0) * np.log10(d3)
        - min(0.044 * h172, 14.77)
        + 0.002 * np.log10(h) * d3,
        dtype=np.float64,
    )


def _two_slope(
    d2: FloatArray, d_bp: FloatArray, pl1: FloatArray, pl2: FloatArray, *, lower_envelope: bool
) -> FloatArray:
    """A 38.901 LOS formula: ``PL1`` up to the breakpoint, ``PL2`` beyond (or ``min`` of both)."""
    if lower_envelope:
        return np.asarray(np.minimum(pl1, pl2), dtype=np.float64)
    return np.asarray(np.where(d2 <= d_bp, pl1, pl2), dtype=np.float64)


def rma_los_db(
    distance_m: ArrayLike,
    frequency_mhz: ArrayLike,
    base_height_m: ArrayLike,
    mobile_height_m: ArrayLike,
    *,
    building_height_m: float = 5.0,
    lower_envelope: bool = False,
) -> FloatArray:
    """3GPP TR 38.901 RMa LOS path loss, dB.

    ``PL1 = 20 log10(40π d3D fc/3) + min(0.03 h^1.72, 10) log10(d3D)
    - min(0.044 h^1.72, 14.77) + 0.002 log10(h) d3D`` up to the breakpoint,
    ``PL2 = PL1(d_BP) + 40 log10(d3D / d_BP)`` beyond (fc in GHz).

    Parameters
    ----------
    distance_m
        2-D distance.
    frequency_mhz, base_height_m, mobile_height_m
        Carrier and antenna heights above ground.
    building_height_m
        Average building height ``h`` (5–50 m).
    lower_envelope
        Return ``min(PL1, PL2)`` (non-decreasing in distance) instead of the
        breakpoint-selected value.
    """
    hb, hr = _heights_38901(base_height_m, mobile_height_m, mobile_range=(1.0, 10.0))
    fc = _f64(frequency_mhz) / 1000.0
    d2 = np.maximum(_f64(distance_m), MIN_DISTANCE_38901_M)
    d3 = _distance_3d(d2, hb, hr)
    d_bp = rma_breakpoint_m(hb, hr, frequency_mhz)
    pl1 = _rma_pl1(d3, fc, building_height_m)
    pl2 = _rma_pl1(d_bp, fc, building_height_m) + 40.0 * np.log10(d3 / d_bp)
    return _two_slope(d2, d_bp, pl1, pl2, lower_envelope=lower_envelope)


def rma_nlos_db(
    distance_m: ArrayLike,
    frequency_mhz: ArrayLike,
    base_height_m: ArrayLike,
    mobile_height_m: ArrayLike,
    *,
    building_height_m: float = 5.0,
    street_width_m: float = 20.0,
    lower_envelope: bool = False,
) -> FloatArray:
    """3GPP TR 38.901 RMa NLOS path loss ``max(PL_LOS, PL'_NLOS)``, dB.

    ``PL' = 161.04 - 7.1 log10(W) + 7.5 log10(h) - (24.37 - 3.7 (h/h_BS)²) log10(h_BS)
    + (43.42 - 3.1 log10(h_BS)) (log10(d3D) - 3) + 20 log10(fc)
    - (3.2 (log10(11.75 h_UT))² - 4.97)``. Parameters as :func:`rma_los_db`, plus the
    street width ``W`` (5–50 m).
    """
    hb, hr = _heights_38901(base_height_m, mobile_height_m, mobile_range=(1.0, 10.0))
    fc = _f64(frequency_mhz) / 1000.0
    d3 = _distance_3d(distance_m, hb, hr)
    h, w = building_height_m, street_width_m
    pl_nlos = (
        161.04
        - 7.1 * np.log10(w)
        + 7.5 * np.log10(h)
        - (24.37 - 3.7 * (h / hb) ** 2) * np.log10(hb)
        + (43.42 - 3.1 * np.log10(hb)) * (np.log10(d3) - 3.0)
        + 20.0 * np.log10(fc)
        - (3.2 * np.log10(11.75 * hr) ** 2 - 4.97)
    )
    los = rma_los_db(
        distance_m,
        frequency_mhz,
        hb,
        hr,
        building_height_m=building_height_m,
        lower_envelope=lower_envelope,
    )
    return np.asarray(np.maximum(los, pl_nlos), dtype=np.float64)


def uma_breakpoint_m(
    base_height_m: ArrayLike,
    mobile_height_m: ArrayLike,
    frequency_mhz: ArrayLike,
    *,
    environment_height_m: float = 1.0,
) -> FloatArray:
    """UMa breakpoint ``d'_BP = 4 h'_BS h'_UT f_c / c`` with ``h' = h - h_E``, metres.

    ``h_E`` (the effective environment height) is 1 m, 38.901's value when the
    receiver is at street level; its random larger values are not modelled.
    """
    hb, hr = _heights_38901(base_height_m, mobile_height_m, mobile_range=(1.5, 22.5))
    return (
        4.0
        * (hb - environment_height_m)
        * (hr - environment_height_m)
        * _f64(frequency_mhz)
        * 1e6
        / _C_38901_M_S
    )


def uma_los_db(
    distance_m: ArrayLike,
    frequency_mhz: ArrayLike,
    base_height_m: ArrayLike,
    mobile_height_m: ArrayLike,
    *,
    lower_envelope: bool = False,
) -> FloatArray:
    """3GPP TR 38.901 UMa LOS path loss, dB.

    ``PL1 = 28 + 22 log10(d3D) + 20 log10(fc)`` up to ``d'_BP``,
    ``PL2 = 28 + 40 log10(d3D) + 20 log10(fc) - 9 log10(d'_BP² + (h_BS - h_UT)²)``
    beyond. ``lower_envelope`` as in :func:`rma_los_db`.
    """
    hb, hr = _heights_38901(base_height_m, mobile_height_m, mobile_range=(1.5, 22.5))
    fc = _f64(frequency_mhz) / 1000.0
    d2 = np.maximum(_f64(distance_m), MIN_DISTANCE_38901_M)
    d3 = _distance_3d(d2, hb, hr)
    d_bp = uma_breakpoint_m(hb, hr, frequency_mhz)
    pl1 = 28.0 + 22.0 * np.log10(d3) + 20.0 * np.log10(fc)
    pl2 = 28.0 + 40.0 * np.log10(d3) + 20.0 * np.log10(fc) - 9.0 * np.log10(d_bp**2 + (hb - hr) ** 2)
    return _two_slope(d2, d_bp, pl1, pl2, lower_envelope=lower_envelope)


def uma_nlos_db(
    distance_m: ArrayLike,
    frequency_mhz: ArrayLike,
    base_height_m: ArrayLike,
    mobile_height_m: ArrayLike,
    *,
    lower_envelope: bool = False,
) -> FloatArray:
    """3GPP TR 38.901 UMa NLOS path loss ``max(PL_LOS, PL'_NLOS)``, dB.

    ``PL' = 13.54 + 39.08 log10(d3D) + 20 log10(fc) - 0.6 (h_UT - 1.5)``.
    """
    hb, hr = _heights_38901(base_height_m, mobile_height_m, mobile_range=(1.5, 22.5))
    fc = _f64(frequency_mhz) / 1000.0
    d3 = _distance_3d(distance_m, hb, hr)
    pl_nlos = 13.54 + 39.08 * np.log10(d3) + 20.0 * np.log10(fc) - 0.6 * (hr - 1.5)
    los = uma_los_db(distance_m, frequency_mhz, hb, hr, lower_envelope=lower_envelope)
    return np.asarray(np.maximum(los, pl_nlos), dtype=np.float64)


# ------------------------------------------------------------------- diffraction


def fresnel_kirchhoff_nu(
    clearance_m: ArrayLike,
    d1_m: ArrayLike,
    d2_m: ArrayLike,
    wavelength: ArrayLike,
) -> FloatArray:
    """Diffraction parameter ``ν = h √(2 (d1 + d2) / (λ d1 d2))`` (ITU-R P.526 eq. 26).

    Parameters
    ----------
    clearance_m
        Height of the obstacle's top above the straight line joining the antennas
        (negative when the line passes above it).
    d1_m, d2_m
        Distances from the obstacle to each end, metres (> 0).
    wavelength
        Wavelength, metres.
    """
    d1 = _f64(d1_m)
    d2 = _f64(d2_m)
    return np.asarray(
        _f64(clearance_m) * np.sqrt(2.0 * (d1 + d2) / (_f64(wavelength) * d1 * d2)),
        dtype=np.float64,
    )


def knife_edge_loss_db(nu: ArrayLike) -> FloatArray:
    """Single knife-edge loss ``J(ν)``, dB (ITU-R P.526 eq. 31).

    ``J(ν) = 6.9 + 20 log10(√((ν - 0.1)² + 1) + ν - 0.1)`` for ``ν > -0.78``, 0 below
    (the approximation's own validity limit, where the loss has fallen to ~0 dB).
    """
    v = _f64(nu)
    # Clip before the log so -inf (no obstacle at all) gives 0 dB without a warning.
    vc = np.maximum(v, -0.78) - 0.1
    loss = 6.9 + 20.0 * np.log10(np.sqrt(vc * vc + 1.0) + vc)
    return np.asarray(np.where(v > -0.78, loss, 0.0), dtype=np.float64)
