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

Parameters (``params``): surface refractivity N_s, ground permittivity, ground
conductivity (S/m), polarisation (0 horizontal, 1 vertical), climate 1–7.
"""

from __future__ import annotations

import cmath
import math
from typing import TYPE_CHECKING

import numpy as np

from coverage_gis.terrain._bullington import _first_false, _hull_push
from coverage_gis.terrain._jit import jit

if TYPE_CHECKING:
    from coverage_gis.models.settings import ItmSettings

#: Median-variability constants per climate (ITM's curve fits of NBS TN101):
#: rows = climates 1..7, columns = c1, c2, x1, x2, x3 of V_med.
CLIMATE_VMD = np.array(
    [
        [-9.67, 12.7, 144.9e3, 190.3e3, 133.8e3],
        [-0.62, 9.19, 228.9e3, 205.2e3, 143.6e3],
        [1.26, 15.5, 262.6e3, 185.2e3, 99.8e3],
        [-9.21, 9.05, 84.1e3, 101.1e3, 98.6e3],
        [-0.62, 9.19, 228.9e3, 205.2e3, 143.6e3],
        [-0.39, 2.86, 141.7e3, 315.9e3, 167.4e3],
        [3.15, 857.9, 2222.0e3, 164.8e3, 116.3e3],
    ]
)
_H0F_A = np.array([25.0, 80.0, 177.0, 395.0, 705.0])
_H0F_B = np.array([24.0, 45.0, 68.0, 80.0, 105.0])
#: Up to this many samples from the site, Δh is computed at every radial receiver.
DH_DENSE = 32
#: Beyond :data:`DH_DENSE`, Δh is computed at this many receivers per doubling of
#: distance, linear in between. The radial ITM's |Δ| against point-to-point ITM on the
#: bench's 25 km radials: median 0.003 / p95 0.064 dB at 32, 0.006 / 0.095 dB at 16,
#: 0.009 / 0.18 dB at 8; the raster's against each point's own profile, dominated by
#: the lookup between samples (p95 1.3 dB), barely moves (median 0.038 dB at 16,
#: 0.048 dB at 8). At 8 the radial pass spends ~10 % less (docs/terrain.md).
DH_PER_DOUBLING = 8
#: Bins of the histogram that finds Δh's two order statistics (:func:`_two_ranks`).
_HIST_BINS = 64
#: Length of Δh's scratch buffer: the interpolated profile (at most 245 points), then the
#: histogram and two bins' values.
DH_BUFFER = 256 + _HIST_BINS + 2 * 256
#: :func:`itm_constants`' tuple.
ItmConstants = tuple[
    float, float, complex, float, float, float, float, float, float, float, float, float, float, float, float
]
#: :func:`terminal_terms`' tuple.
TerminalTerms = tuple[float, float, float, float]


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


# --------------------------------------------------------------------------- building blocks


@jit
def _aknfe(v2: float) -> float:
    # Knife-edge attenuation as a function of ν² (ITM eq. 4.21 / 6.1).
    if v2 < 5.76:
        return 6.02 + 9.11 * math.sqrt(v2) - 1.27 * v2
    return 12.953 + 4.343 * math.log(v2)


@jit
def _fht(x: float, pk: float) -> float:
    # Height-gain function of the three-radii smooth-earth diffraction (eqs 6.2–6.7).
    if x < 200.0:
        w = -math.log(pk)
        if pk < 1e-5 or x * w**3 > 5495.0:
            out = -117.0
            if x > 1.0:
                out += 17.372 * math.log(x)
            return out
        return 2.5e-5 * x * x / pk - 8.686 * w - 15.0
    out = 0.05751 * x - 4.343 * math.log(x)
    if x < 2000.0:
        w = 0.0134 * x * math.exp(-0.005 * x)
        out = (1.0 - w) * out + w * (17.372 * math.log(x) - 117.0)
    return out


@jit
def _h0f(r: float, et: float) -> float:
    # Frequency-gain function H0 of troposcatter (eq. 6.13), interpolated in η_s.
    it = int(et)
    q = 0.0
    if it <= 0:
        it = 1
    elif it >= 5:
        it = 5
    else:
        q = et - it
    x = (1.0 / r) ** 2
    out = 4.343 * math.log((_H0F_A[it - 1] * x + _H0F_B[it - 1]) * x + 1.0)
    if q != 0.0:
        out = (1.0 - q) * out + q * 4.343 * math.log((_H0F_A[it] * x + _H0F_B[it]) * x + 1.0)
    return out


@jit
def _ahd(td: float) -> float:
    # F(θd) of troposcatter (eq. 6.9).
    if td <= 10e3:
        return 133.4 + 0.332e-3 * td - 4.343 * math.log(td)
    if td <= 70e3:
        return 104.6 + 0.212e-3 * td - 1.086 * math.log(td)
    return 71.8 + 0.157e-3 * td + 2.171 * math.log(td)


@jit
def _dim(a: float, b: float) -> float:
    return a - b if a > b else 0.0


@jit
def _fit_from_sums(
    z: np.ndarray, s0: np.ndarray, s1: np.ndarray, xn: int, step: float, x1: float, x2: float
) -> tuple[float, float]:
    # z1sq1: least-squares line through z[xa..xb] (end points half weight), evaluated
    # at 0 and xn; the interior sums come from prefix sums s0 (Σ z) and s1 (Σ i z).
    xa = float(int(_dim(x1 / step, 0.0)))
    xb = xn - float(int(_dim(xn, x2 / step)))
    if xb <= xa:
        xa = _dim(xa, 1.0)
        xb = xn - _dim(xn, xb + 1.0)
    ja = int(xa)
    jb = int(xb)
    width = xb - xa
    x0 = -0.5 * width
    xmid = xb + x0
    # Every read on every path (ja + 1 ≤ xn + 1 is inside the prefix sums): numba then
    # drops the arrays' reference counting (see _bullington._rises).
    za = z[ja]
    zb = z[jb]
    inner0 = s0[jb] - s0[ja + 1]
    inner1 = s1[jb] - s1[ja + 1]
    if jb <= ja + 1:
        inner0 = 0.0
        inner1 = 0.0
    a = 0.5 * (za + zb) + inner0
    b = 0.5 * (za - zb) * x0 + (x0 - ja) * inner0 + inner1
    a = a / width if width != 0.0 else 0.0
    b = b * 12.0 / ((width * width + 2.0) * width) if width != 0.0 else 0.0
    return a - b * xmid, a + b * (xn - xmid)


@jit
def _prefix_sums(z: np.ndarray, s0: np.ndarray, s1: np.ndarray) -> None:
    s0[0] = 0.0
    s1[0] = 0.0
    for i in range(z.shape[0]):
        s0[i + 1] = s0[i] + z[i]
        s1[i + 1] = s1[i] + i * z[i]


@jit
def _dlthx(z: np.ndarray, xn: int, step: float, x1: float, x2: float, buf: np.ndarray) -> float:
    # Δh: interdecile range of the profile between x1 and x2 after removing its
    # least-squares line, from n = 10 ka - 5 points interpolated along it (ITM §48).
    xa = x1 / step
    xb = x2 / step
    if xb - xa < 2.0:
        return 0.0
    ka = int(0.1 * (xb - xa + 8.0))
    ka = min(max(4, ka), 25)
    n = 10 * ka - 5
    kb = n - ka + 1
    sn = n - 1
    xb = (xb - xa) / sn
    k = int(xa + 1.0)
    xa -= k
    s = buf[:n]
    # The points and the sums of their fit (spacing 1, end points half weight: the
    # same formulas as _fit_from_sums) in one pass.
    x0 = -0.5 * sn
    inner_a = 0.0
    inner_b = 0.0
    x = x0
    for j in range(n):
        while xa > 0.0 and k < xn:
            xa -= 1.0
            k += 1
        v = z[k] + (z[k] - z[k - 1]) * xa
        s[j] = v
        xa += xb
        if 0 < j < n - 1:
            x += 1.0
            inner_a += v
            inner_b += v * x
    a = (0.5 * (s[0] + s[n - 1]) + inner_a) / sn
    b = (0.5 * (s[0] - s[n - 1]) * x0 + inner_b) * 12.0 / ((sn * sn + 2.0) * sn)
    z0 = a - b * (sn + x0)
    zn = a + b * (sn - (sn + x0))
    slope = (zn - z0) / sn
    # Detrended, with the extremes and sum the order statistics start from, in one pass.
    line = z0
    mn = s[0] - line
    mx = mn
    total = 0.0
    for j in range(n):
        v = s[j] - line
        s[j] = v
        line += slope
        total += v
        if v < mn:
            mn = v
        elif v > mx:
            mx = v
    # qtile(ka-1) is the ka-th largest, qtile(kb-1) the kb-th largest: two order
    # statistics (exact values whatever the method).
    lower, upper = _ranks_in_range(s, n, n - kb, n - ka, buf[256:], mn, mx, total)
    return float((upper - lower) / (1.0 - 0.8 * math.exp(-(x2 - x1) / 50e3)))


@jit
def _two_ranks(s: np.ndarray, n: int, low: int, high: int, work: np.ndarray) -> tuple[float, float]:
    # The values of ranks ``low`` ≤ ``high`` (0 = smallest) of s[:n], by a histogram:
    # the bin of a value, ⌊(v - min) · bins / (max - min)⌋, never falls as v rises, so
    # every value in a lower bin is smaller than every value in a higher one and the
    # value of rank r is the one of rank r - (values below its bin) within its bin.
    # Three passes over s and a sort of the two bins' few values, where quickselect
    # would partition s several times (s is left as it is but where it falls back to
    # quickselect). ``work`` holds the histogram and the two bins' values
    # (_HIST_BINS + 2 n).
    mn = s[0]
    mx = s[0]
    total = 0.0  # NaN if any value is
    for i in range(n):
        v = s[i]
        total += v
        if v < mn:
            mn = v
        elif v > mx:
            mx = v
    return _ranks_in_range(s, n, low, high, work, mn, mx, total)


@jit
def _ranks_in_range(
    s: np.ndarray, n: int, low: int, high: int, work: np.ndarray, mn: float, mx: float, total: float
) -> tuple[float, float]:
    # :func:`_two_ranks` given the least and greatest of s[:n] (as its first pass
    # finds them: the comparisons skip NaN) and their sum (NaN if any value is).
    if mx == mn and total == total:  # all equal
        return float(mn), float(mn)
    scale = _HIST_BINS / (mx - mn)
    if not (total == total and scale < math.inf):
        # A NaN or an infinite or vanishing spread: quickselect, as before.
        hi = _select(s, n, high)
        return _select(s, high, low), hi
    counts = work[:_HIST_BINS]
    counts[:] = 0.0
    for i in range(n):
        counts[min(int((s[i] - mn) * scale), _HIST_BINS - 1)] += 1.0
    b_low, r_low = _bin_of_rank(counts, low)
    b_high, r_high = _bin_of_rank(counts, high)
    # The two bins' values, in one pass (the same bin twice when both ranks fall in it).
    values_low = work[_HIST_BINS : _HIST_BINS + n]
    values_high = work[_HIST_BINS + n : _HIST_BINS + 2 * n]
    m_low = 0
    m_high = 0
    for i in range(n):
        v = s[i]
        bin_v = min(int((v - mn) * scale), _HIST_BINS - 1)
        if bin_v == b_low:
            values_low[m_low] = v
            m_low += 1
        elif bin_v == b_high:
            values_high[m_high] = v
            m_high += 1
    if b_high == b_low:
        return _small_select(values_low, m_low, r_low), _small_select(values_low, m_low, r_high)
    return _small_select(values_low, m_low, r_low), _small_select(values_high, m_high, r_high)


@jit
def _bin_of_rank(counts: np.ndarray, rank: int) -> tuple[int, int]:
    # The histogram bin holding the value of rank ``rank``, and its rank within the bin.
    below = 0
    b = 0
    while below + counts[b] <= rank:
        below += int(counts[b])
        b += 1
    return b, rank - below


@jit
def _small_select(values: np.ndarray, m: int, rank: int) -> float:
    # The value of rank ``rank`` of values[:m]: insertion sort for a few, else quickselect.
    if m > 32:
        return _select(values, m, rank)
    for i in range(1, m):
        v = values[i]
        j = i - 1
        while j >= 0 and values[j] > v:
            values[j + 1] = values[j]
            j -= 1
        values[j + 1] = v
    return float(values[rank])


@jit
def _select(s: np.ndarray, n: int, rank: int) -> float:
    # The value of rank ``rank`` (0 = smallest) of s[:n], by quickselect (Hoare
    # partition, middle pivot); afterwards s[:rank] holds values ≤ it, in some order.
    lo = 0
    hi = n - 1
    while lo < hi:
        pivot = s[(lo + hi) // 2]
        i = lo
        j = hi
        while i <= j:
            while s[i] < pivot:
                i += 1
            while s[j] > pivot:
                j -= 1
            if i <= j:
                s[i], s[j] = s[j], s[i]
                i += 1
                j -= 1
        if rank <= j:
            hi = j
        elif rank >= i:
            lo = i
        else:
            break
    return float(s[rank])


# --------------------------------------------------------------------------- lrprop + avar


@jit
def _adiff(
    d: float,
    wn: float,
    gme: float,
    dh: float,
    dl0: float,
    dl1: float,
    dla: float,
    tha: float,
    qk: float,
    wd1: float,
    xd1: float,
    afo: float,
    aht: float,
    xht: float,
    decay: float,
) -> float:
    # Diffraction attenuation at d (ITM eq. 4.11): double knife edge and smooth earth,
    # weighted by the terrain irregularity; ``decay`` is exp(-d / 50 km) (the caller
    # has it from the other distance's: the two differ by a constant factor).
    th = tha + d * gme
    ds = d - dla
    q = 0.0795775 * wn * ds * th * th
    knife = _aknfe(q * dl0 / (ds + dl0)) + _aknfe(q * dl1 / (ds + dl1))
    a = ds / th
    wa = (a * wn) ** (1.0 / 3.0)
    pk = qk / wa
    q = (1.607 - pk) * 151.0 * wa * th + xht
    ar = 0.05751 * q - 4.343 * math.log(q) - aht
    q = (wd1 + xd1 / d) * min((1.0 - 0.8 * decay) * dh * wn, 6283.2)
    wd = 25.1 / (25.1 + math.sqrt(q))
    return float(ar * wd + (1.0 - wd) * knife + afo)


@jit
def _alos(
    d: float, wn: float, dh: float, he0: float, he1: float, zgnd: complex, emd: float, aed: float, wls: float
) -> float:
    # Line-of-sight attenuation at d (eq. 4.44): two-ray field blended with the
    # extrapolated diffraction line.
    q = (1.0 - 0.8 * math.exp(-d / 50e3)) * dh
    s = 0.78 * q * math.exp(-math.sqrt(math.sqrt(q / 16.0)))
    q = he0 + he1
    sps = q / math.sqrt(d * d + q * q)
    r = (sps - zgnd) / (sps + zgnd) * math.exp(-min(10.0, wn * s * sps))
    q = r.real * r.real + r.imag * r.imag
    if q < 0.25 or q < sps:
        r = r * math.sqrt(sps / q)
    alos = emd * d + aed
    q = wn * he0 * he1 * 2.0 / d
    if q > 1.57:
        q = 3.14 - 2.4649 / q
    c = complex(math.cos(q), -math.sin(q)) + r
    return (-4.343 * math.log(c.real * c.real + c.imag * c.imag) - alos) * wls + alos


@jit
def _ascat(
    d: float,
    wn: float,
    gme: float,
    ens: float,
    he0: float,
    he1: float,
    the0: float,
    the1: float,
    tha: float,
    ad: float,
    rr: float,
    etq: float,
    h0s: float,
) -> tuple[float, float]:
    # Troposcatter attenuation at d (eq. 4.63); returns (attenuation, updated h0s).
    if h0s > 15.0:
        h0 = h0s
    else:
        th = the0 + the1 + d * gme
        r2 = 2.0 * wn * th
        r1 = r2 * he0
        r2 = r2 * he1
        if r1 < 0.2 and r2 < 0.2:
            return 1001.0, h0s
        ss = (d - ad) / (d + ad)
        q = rr / ss
        ss = max(0.1, ss)
        q = min(max(0.1, q), 10.0)
        z0 = (d - ad) * (d + ad) * th * 0.25 / d
        et = (etq * math.exp(-(min(1.7, z0 / 8.0e3) ** 6)) + 1.0) * z0 / 1.7556e3
        ett = max(et, 1.0)
        h0 = (_h0f(r1, ett) + _h0f(r2, ett)) * 0.5
        h0 += min(h0, (1.38 - math.log(ett)) * math.log(ss) * math.log(q) * 0.49)
        h0 = _dim(h0, 0.0)
        if et < 1.0:
            h0 = et * h0 + (1.0 - et) * 4.343 * math.log(
                ((1.0 + 1.4142 / r1) * (1.0 + 1.4142 / r2)) ** 2 * (r1 + r2) / (r1 + r2 + 2.8284)
            )
        if h0 > 15.0 and h0s >= 0.0:
            h0 = h0s
    th = tha + d * gme
    return _ahd(th * d) + 4.343 * math.log(47.7 * wn * th**4) - 0.1 * (ens - 301.0) * math.exp(
        -th * d / 40e3
    ) + h0, h0


@jit
def itm_constants(f_mhz: float, params: np.ndarray) -> ItmConstants:
    """What :func:`itm_core` needs of the carrier and ``params`` alone (one radial or profile shares it).

    ``(wn, gme, zgnd, 1/|zgnd|, xae, (575.7e12/wn)^(1/3), ln(47.7 wn), ln(2 wn), N_s,
    exp(-2.7574 xae / 50 km), c1, c2, x1, x2, x3)``: wave number, effective earth
    curvature, ground impedance, the smooth-earth diffraction's distance scale, the
    two terms of the scatter and variability distances, the free-space term's, the
    surface refractivity, the ratio of the terrain-roughness decay at the diffraction
    line's two distances and the climate's ``V_med`` constants. Scalars only: :func:`itm_core` then takes no
    array (no reference counting per receiver).
    """
    ens = params[0]
    wn = f_mhz / 47.7
    gme = 157e-9 * (1.0 - 0.04665 * math.exp(ens / 179.3))
    zq = complex(params[1], 376.62 * params[2] / wn)
    zgnd = cmath.sqrt(zq - 1.0)
    if params[3] != 0.0:
        zgnd = zgnd / zq
    xae = (wn * gme * gme) ** (-1.0 / 3.0)
    climate = int(params[4]) - 1
    return (
        wn,
        gme,
        zgnd,
        1.0 / abs(zgnd),
        xae,
        (575.7e12 / wn) ** (1.0 / 3.0),
        math.log(47.7 * wn),
        math.log(2.0 * wn),
        ens,
        math.exp(-2.7574 * xae / 50e3),
        CLIMATE_VMD[climate, 0],
        CLIMATE_VMD[climate, 1],
        CLIMATE_VMD[climate, 2],
        CLIMATE_VMD[climate, 3],
        CLIMATE_VMD[climate, 4],
    )


@jit
def terminal_terms(he: float, dl: float, consts: ItmConstants) -> TerminalTerms:
    """What :func:`itm_core` needs of one terminal alone (effective height ``he``, horizon ``dl``).

    ``(smooth-earth horizon distance, its term of the smooth-earth diffraction's
    distance x, its height-gain F(x), √(18e6 he))``. A radial's transmitter keeps its
    ``he0`` and ``dl0`` from receiver to receiver while its horizon stays: the terms
    are computed once per change.
    """
    wn = consts[0]
    a = 0.5 * dl * dl / he
    wa = (a * wn) ** (1.0 / 3.0)
    pk = consts[3] / wa
    q = (1.607 - pk) * 151.0 * wa * dl / a
    return math.sqrt(2.0 * he / consts[1]), q, _fht(q, pk), math.sqrt(18e6 * he)


@jit
def itm_core(
    dist: float,
    hg0: float,
    hg1: float,
    he0: float,
    he1: float,
    dl0: float,
    dl1: float,
    the0: float,
    the1: float,
    dh: float,
    consts: ItmConstants,
    tx: TerminalTerms,
) -> float:
    """Median basic transmission loss (dB) from the profile's horizon and height parameters.

    ``consts`` is :func:`itm_constants` of the carrier and the parameters; ``tx`` is
    :func:`terminal_terms` of the transmitter (``he0``, ``dl0``).
    """
    wn, gme, zgnd, inv_zgnd, xae, dexa_wn, log_47wn, log_2wn, ens, decay_43, c1, c2, x1, x2, x3 = consts
    log_dist = math.log(dist)
    rx = terminal_terms(he1, dl1, consts)
    # --- lrprop setup (point-to-point: everything from this profile)
    dls0 = tx[0]
    dls1 = rx[0]
    dlsa = dls0 + dls1
    dla = dl0 + dl1
    tha = max(the0 + the1, -dla * gme)
    q = hg0 * hg1
    qk = he0 * he1 - q
    q += 10.0
    wd1 = math.sqrt(1.0 + qk / q)
    xd1 = dla + tha / gme
    q = (1.0 - 0.8 * math.exp(-dlsa / 50e3)) * dh
    q = 0.78 * q * math.exp(-math.sqrt(math.sqrt(q / 16.0)))
    afo = min(15.0, 2.171 * math.log(1.0 + 4.77e-4 * hg0 * hg1 * wn * q))
    qk = inv_zgnd
    aht = 20.0 + tx[2] + rx[2]
    xht = 0.0 + tx[1] + rx[1]
    d3 = max(dlsa, 1.3787 * xae + dla)
    d4 = d3 + 2.7574 * xae
    decay3 = math.exp(-d3 / 50e3)
    a3 = _adiff(d3, wn, gme, dh, dl0, dl1, dla, tha, qk, wd1, xd1, afo, aht, xht, decay3)
    a4 = _adiff(d4, wn, gme, dh, dl0, dl1, dla, tha, qk, wd1, xd1, afo, aht, xht, decay3 * decay_43)
    emd = (a4 - a3) / (d4 - d3)
    aed = a3 - emd * d3
    aref = 0.0
    if dist < dlsa:
        wls = 0.021 / (0.021 + wn * dh / max(10e3, dlsa))
        d2 = dlsa
        a2 = aed + d2 * emd
        d0 = 1.908 * wn * he0 * he1
        if aed >= 0.0:
            d0 = min(d0, 0.5 * dla)
            d1 = d0 + 0.25 * (dla - d0)
        else:
            d1 = max(-aed / emd, 0.25 * dla)
        a1 = _alos(d1, wn, dh, he0, he1, zgnd, emd, aed, wls)
        wq = False
        ak1 = 0.0
        ak2 = 0.0
        if d0 < d1:
            a0 = _alos(d0, wn, dh, he0, he1, zgnd, emd, aed, wls)
            q = math.log(d2 / d0)
            ak2 = max(
                0.0,
                ((d2 - d0) * (a1 - a0) - (d1 - d0) * (a2 - a0))
                / ((d2 - d0) * math.log(d1 / d0) - (d1 - d0) * q),
            )
            wq = aed >= 0.0 or ak2 > 0.0
            if wq:
                ak1 = (a2 - a0 - ak2 * q) / (d2 - d0)
                if ak1 < 0.0:
                    ak1 = 0.0
                    ak2 = _dim(a2, a0) / q
                    if ak2 == 0.0:
                        ak1 = emd
        if not wq:
            ak1 = _dim(a2, a1) / (d2 - d1)
            ak2 = 0.0
            if ak1 == 0.0:
                ak1 = emd
        ael = a2 - ak1 * d2 - ak2 * math.log(d2)
        aref = ael + ak1 * dist + ak2 * log_dist
    elif dist <= max(dlsa, dla + 0.3 * xae * log_47wn):
        # Short of the least distance where troposcatter can take over (dx below is
        # never less): diffraction, without evaluating the scatter line.
        aref = aed + emd * dist
    else:
        ad = dl0 - dl1
        rr = he1 / he0
        if ad < 0.0:
            ad = -ad
            rr = 1.0 / rr
        etq = (5.67e-6 * ens - 2.32e-3) * ens + 0.031
        h0s = -15.0
        d5 = dla + 200e3
        d6 = d5 + 200e3
        a6, h0s = _ascat(d6, wn, gme, ens, he0, he1, the0, the1, tha, ad, rr, etq, h0s)
        a5, h0s = _ascat(d5, wn, gme, ens, he0, he1, the0, the1, tha, ad, rr, etq, h0s)
        if a5 < 1000.0:
            ems = (a6 - a5) / 200e3
            dx = max(max(dlsa, dla + 0.3 * xae * log_47wn), (a5 - aed - ems * d5) / (emd - ems))
            aes = (emd - ems) * dx + aed
        else:
            ems = emd
            aes = aed
            dx = 10e6
        aref = aes + ems * dist if dist > dx else aed + emd * dist
    aref = max(aref, 0.0)
    # --- avar at the median: only the climate's V_med remains.
    dexa = tx[3] + rx[3] + dexa_wn
    de = 130e3 * dist / dexa if dist < dexa else 130e3 + dist - dexa
    ratio = (de / x1) ** 2
    vmd = (c1 + c2 / (1.0 + ((de - x2) / x3) ** 2)) * ratio / (1.0 + ratio)
    avar = aref - vmd
    if avar < 0.0:
        avar = avar * (29.0 - avar) / (29.0 - 10.0 * avar)
    return float(8.685890 * (log_2wn + log_dist) + avar)


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
        za, zb = _fit_from_sums(z, s0, s1, xn, step, xl0, xl1)
        he0 = hg0 + _dim(z[0], za)
        he1 = hg1 + _dim(z[xn], zb)
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
    za, _ = _fit_from_sums(z, s0, s1, xn, step, xl0, 0.9 * dl0)
    _, zb = _fit_from_sums(z, s0, s1, xn, step, dist - 0.9 * dl1, xl1)
    return hg0 + _dim(z[0], za), hg1 + _dim(z[xn], zb), dl0, dl1, math.nan, math.nan


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
    dh = _dlthx(z, xn, step, min(15.0 * hg0, 0.1 * dl0), dist - min(15.0 * hg1, 0.1 * dl1), buf)
    s0 = np.empty(xn + 2)
    s1 = np.empty(xn + 2)
    _prefix_sums(z, s0, s1)
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
    _prefix_sums(z, s0, s1)
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
            dh[k] = _dlthx(z, k, step, min(15.0 * hg0, 0.1 * dl0), dist - min(15.0 * hg1, 0.1 * dl1), buf)
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
