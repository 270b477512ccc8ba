"""Compiled Longley–Rice ITM 1.2.2, point-to-point mode, median loss.

The algorithm is Hufford's ITM 1.2.2 ("The ITS Irregular Terrain Model, version
1.2.2: The Algorithm", NTIA): the profile gives horizon angles and distances
(``hzns``), the terrain irregularity Δh (interdecile range of the detrended profile,
``dlthx``) and effective antenna heights (least-squares fits, ``z1sq1``); ``lrprop``
then blends line-of-sight, diffraction (knife edges and smooth earth, weighted by Δh)
and troposcatter attenuation; ``avar`` at 50 % time, location and situation adds the
climate's median correction ``V_med``. The loss is free space plus that attenuation.
Mode of variability does not matter at the median, and the surface refractivity is
used as given (no scaling by the profile's mean elevation), as in itmlogic's
point-to-point runner.

Two drivers share :func:`itm_core`, everything after the profile analysis:

* :func:`profile_itm_db` — one profile, the profile analysis done directly (O(n));
* :func:`radial_itm` — every sample of a radial as a receiver: the transmitter's
  horizon is a running maximum, the receiver's a tangent query on an upper convex
  hull of the curvature-free heights ``z - x² γ/2`` (as in the Bullington radial
  pass), the least-squares fits use prefix sums; only Δh (a quantile of 10·ka − 5
  interpolated points per receiver) is computed exactly at every receiver up to 32
  samples out and then at 8 receivers per doubling of distance, linear in
  between — its error is measured by ``bench/bench_terrain.py``. One walk out
  along the radial finds every receiver's horizons; the transmitter's terms of
  :func:`itm_core` (:func:`terminal_terms`) are recomputed only where its
  effective height or horizon changes.

The propagation core (``lrprop``, ``avar``) is :mod:`coverage_gis.terrain._itm_lrprop`,
the profile's fits and Δh :mod:`coverage_gis.terrain._itm_profile`; this module holds the
two drivers.

Parameters (``params``): surface refractivity N_s, ground permittivity, ground
conductivity (S/m), polarisation (0 horizontal, 1 vertical), climate 1–7.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from coverage_gis.terrain._bullington import _first_false, _hull_push
from coverage_gis.terrain._itm_lrprop import dim, itm_constants, itm_core, terminal_terms
from coverage_gis.terrain._itm_profile import DH_BUFFER, dlthx, fit_from_sums, prefix_sums
from coverage_gis.terrain._jit import jit

if TYPE_CHECKING:
    from coverage_gis.models.settings import ItmSettings

#: Up to this many samples from the site, Δh is computed at every radial receiver.
DH_DENSE = 32
#: Beyond :data:`DH_DENSE`, Δh is computed at this many receivers per doubling of
#: distance, linear in between. The radial ITM's |Δ| against point-to-point ITM on the
#: bench's 25 km radials: median 0.003 / p95 0.064 dB at 32, 0.006 / 0.095 dB at 16,
#: 0.009 / 0.18 dB at 8; the raster's against each point's own profile, dominated by
#: the lookup between samples (p95 1.3 dB), barely moves (median 0.038 dB at 16,
#: 0.048 dB at 8). At 8 the radial pass spends ~10 % less (docs/terrain.md).
DH_PER_DOUBLING = 8


def itm_parameters(itm: ItmSettings) -> np.ndarray:
    """The kernels' parameter vector for these settings."""
    return np.array(
        [
            itm.surface_refractivity_n,
            itm.ground_permittivity,
            itm.ground_conductivity_s_per_m,
            1.0 if itm.polarization == "vertical" else 0.0,
            float(itm.climate_code),
        ]
    )


@jit
def _effective_heights(
    z: np.ndarray,
    s0: np.ndarray,
    s1: np.ndarray,
    xn: int,
    step: float,
    dist: float,
    hg0: float,
    hg1: float,
    dl0: float,
    dl1: float,
    dh: float,
    gme: float,
) -> tuple[float, float, float, float, float, float]:
    # qlrpfl after the horizons and Δh: effective heights (and, for line-of-sight
    # paths, horizon distances and angles) from least-squares fits of the profile.
    xl0 = min(15.0 * hg0, 0.1 * dl0)
    xl1 = dist - min(15.0 * hg1, 0.1 * dl1)
    if dl0 + dl1 > 1.5 * dist:
        za, zb = fit_from_sums(z, s0, s1, xn, step, xl0, xl1)
        he0 = hg0 + dim(z[0], za)
        he1 = hg1 + dim(z[xn], zb)
        dl0 = math.sqrt(2.0 * he0 / gme) * math.exp(-0.07 * math.sqrt(dh / max(he0, 5.0)))
        dl1 = math.sqrt(2.0 * he1 / gme) * math.exp(-0.07 * math.sqrt(dh / max(he1, 5.0)))
        q = dl0 + dl1
        if q <= dist:
            q = (dist / q) ** 2
            he0 *= q
            he1 *= q
            dl0 = math.sqrt(2.0 * he0 / gme) * math.exp(-0.07 * math.sqrt(dh / max(he0, 5.0)))
            dl1 = math.sqrt(2.0 * he1 / gme) * math.exp(-0.07 * math.sqrt(dh / max(he1, 5.0)))
        q = math.sqrt(2.0 * he0 / gme)
        the0 = (0.65 * dh * (q / dl0 - 1.0) - 2.0 * he0) / q
        q = math.sqrt(2.0 * he1 / gme)
        the1 = (0.65 * dh * (q / dl1 - 1.0) - 2.0 * he1) / q
        return he0, he1, dl0, dl1, the0, the1
    za, _ = fit_from_sums(z, s0, s1, xn, step, xl0, 0.9 * dl0)
    _, zb = fit_from_sums(z, s0, s1, xn, step, dist - 0.9 * dl1, xl1)
    return hg0 + dim(z[0], za), hg1 + dim(z[xn], zb), dl0, dl1, math.nan, math.nan


@jit
def _gme(params: np.ndarray) -> float:
    return 157e-9 * (1.0 - 0.04665 * math.exp(params[0] / 179.3))


@jit
def _direct_ray(za: float, zb: float, qc: float, dist: float) -> tuple[float, float]:
    # hzns' starting horizon angles: each end looking along the direct ray between the
    # antennas over the curved earth (the horizons where nothing rises above it).
    the1 = (zb - za) / dist
    return the1 - qc * dist, -the1 - qc * dist


@jit
def profile_itm_db(
    z: np.ndarray, step: float, hg0: float, hg1: float, f_mhz: float, params: np.ndarray
) -> float:
    """Median ITM loss of one profile ``z`` (``z[0]`` under the transmitter), dB."""
    xn = z.shape[0] - 1
    dist = xn * step
    gme = _gme(params)
    qc = 0.5 * gme
    za = z[0] + hg0
    zb = z[xn] + hg1
    the0, the1 = _direct_ray(za, zb, qc, dist)
    dl0 = dist
    dl1 = dist
    blocked = False
    for i in range(1, xn):
        sa = i * step
        sb = dist - sa
        q = z[i] - (qc * sa + the0) * sa - za
        if q > 0.0:
            the0 += q / sa
            dl0 = sa
            blocked = True
        if blocked:
            q = z[i] - (qc * sb + the1) * sb - zb
            if q > 0.0:
                the1 += q / sb
                dl1 = sb
    buf = np.empty(DH_BUFFER)
    dh = dlthx(z, xn, step, min(15.0 * hg0, 0.1 * dl0), dist - min(15.0 * hg1, 0.1 * dl1), buf)
    s0 = np.empty(xn + 2)
    s1 = np.empty(xn + 2)
    prefix_sums(z, s0, s1)
    he0, he1, dl0b, dl1b, the0b, the1b = _effective_heights(
        z, s0, s1, xn, step, dist, hg0, hg1, dl0, dl1, dh, gme
    )
    if the0b == the0b:
        dl0, dl1, the0, the1 = dl0b, dl1b, the0b, the1b
    consts = itm_constants(f_mhz, params)
    return itm_core(
        dist, hg0, hg1, he0, he1, dl0, dl1, the0, the1, dh, consts, terminal_terms(he0, dl0, consts)
    )


@jit
def _dh_scheduled(k: int) -> bool:
    if k <= DH_DENSE:
        return True
    stride = 1
    while k >= 2 * DH_PER_DOUBLING * stride:
        stride *= 2
    return k % stride == 0


@jit
def radial_itm(
    z: np.ndarray,
    step: float,
    hg0: float,
    hg1: float,
    f_mhz: float,
    params: np.ndarray,
    k_from: int,
    out: np.ndarray,
) -> None:
    """Median ITM loss with each sample ``k ≥ k_from`` of a radial as the receiver (into ``out[k]``)."""
    n_samples = z.shape[0]
    if n_samples < 2:
        return
    gme = _gme(params)
    consts = itm_constants(f_mhz, params)
    qc = 0.5 * gme
    za = z[0] + hg0
    curved = np.empty(n_samples)
    for i in range(n_samples):
        x = i * step
        curved[i] = z[i] - qc * x * x
    hull = np.empty(n_samples, dtype=np.int64)
    hull_y = np.empty(n_samples)
    s0 = np.empty(n_samples + 1)
    s1 = np.empty(n_samples + 1)
    prefix_sums(z, s0, s1)
    buf = np.empty(DH_BUFFER)
    # Δh is needed at the scheduled receivers from k_from on, at the last scheduled one
    # before k_from (the left end of k_from's interpolation) and at the last sample:
    # horizons and Δh start at dh_from, that scheduled receiver (every sample up to
    # DH_DENSE is one).
    dh_from = max(min(k_from, n_samples - 1), 1)
    while not _dh_scheduled(dh_from):
        dh_from -= 1
    # One walk out along the radial finds the horizons of every receiver from dh_from
    # on (hzns: the running transmitter horizon, and the hull take every sample in
    # turn); Δh and the loss then read them back. The points above the direct ray are
    # the same seen from either end, so the receiver's horizon is the hull point
    # steepest from it whenever the path is obstructed at all.
    horizons = np.empty((n_samples, 4))
    best_angle = -math.inf
    best_at = 0.0
    n_hull = 0
    pos = 0  # the last tangent query's answer: the next one starts there
    for k in range(1, n_samples):
        if k >= 2:
            i = k - 1
            sa = i * step
            angle = (z[i] - za) / sa - qc * sa
            if angle > best_angle:
                best_angle = angle
                best_at = sa
            n_hull = _hull_push(hull, hull_y, n_hull, curved, i)
        if k < dh_from:
            continue
        dist = k * step
        zb = z[k] + hg1
        the0, the1 = _direct_ray(za, zb, qc, dist)
        dl0 = dist
        dl1 = dist
        if best_angle > the0:
            the0 = best_angle
            dl0 = best_at
            pos = _first_false(hull, hull_y, n_hull, float(k), zb - qc * dist * dist, True, pos)
            j = hull[pos]
            sb = dist - j * step
            b = (z[j] - zb) / sb - qc * sb
            if b > the1:
                the1 = b
                dl1 = sb
        horizons[k, 0] = the0
        horizons[k, 1] = the1
        horizons[k, 2] = dl0
        horizons[k, 3] = dl1
    dh = np.zeros(n_samples)
    known = np.zeros(n_samples, dtype=np.bool_)
    for k in range(dh_from, n_samples):
        if _dh_scheduled(k) or k == n_samples - 1:
            dist = k * step
            dl0 = horizons[k, 2]
            dl1 = horizons[k, 3]
            dh[k] = dlthx(z, k, step, min(15.0 * hg0, 0.1 * dl0), dist - min(15.0 * hg1, 0.1 * dl1), buf)
            known[k] = True
    prev = -1
    nxt = -1
    # The transmitter's terms of the last receiver (NaN: none yet).
    tx_he = math.nan
    tx_dl = math.nan
    tx = (math.nan, math.nan, math.nan, math.nan)
    for k in range(dh_from, n_samples):
        if known[k]:
            prev = k
        if k < k_from:
            continue
        dist = k * step
        the0 = horizons[k, 0]
        the1 = horizons[k, 1]
        dl0 = horizons[k, 2]
        dl1 = horizons[k, 3]
        if known[k]:
            dh_k = dh[k]
        else:
            if nxt <= k:
                nxt = k + 1
                while not known[nxt]:
                    nxt += 1
            dh_k = dh[prev] + (dh[nxt] - dh[prev]) * (k - prev) / (nxt - prev)
        he0, he1, dl0b, dl1b, the0b, the1b = _effective_heights(
            z, s0, s1, k, step, dist, hg0, hg1, dl0, dl1, dh_k, gme
        )
        if the0b == the0b:
            dl0, dl1, the0, the1 = dl0b, dl1b, the0b, the1b
        if he0 != tx_he or dl0 != tx_dl:
            tx_he = he0
            tx_dl = dl0
            tx = terminal_terms(he0, dl0, consts)
        out[k] = itm_core(dist, hg0, hg1, he0, he1, dl0, dl1, the0, the1, dh_k, consts, tx)
