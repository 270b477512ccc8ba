"""ITM 1.2.2's propagation core (``lrprop`` and ``avar`` at the median), compiled: the
attenuation blended from line of sight, diffraction (knife edges and smooth earth,
weighted by Δh) and troposcatter, given the profile's terms. The profile analysis is
:mod:`coverage_gis.terrain._itm_profile`'s; the drivers and the algorithm's description
are :mod:`coverage_gis.terrain._itm`'s.
"""

from __future__ import annotations

import cmath
import math

import numpy as np

from coverage_gis.terrain._jit import jit

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
#: :func:`itm_constants`' tuple.
ItmConstants = tuple[
    float, float, complex, float, float, float, float, float, float, float, float, float, float, float, float
]
#: :func:`terminal_terms`' tuple.
TerminalTerms = tuple[float, float, float, float]


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
def dim(a: float, b: float) -> float:
    return a - b if a > b else 0.0


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
        h0 = dim(h0, 0.0)
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
                    ak2 = dim(a2, a0) / q
                    if ak2 == 0.0:
                        ak1 = emd
        if not wq:
            ak1 = dim(a2, a1) / (d2 - d1)
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
