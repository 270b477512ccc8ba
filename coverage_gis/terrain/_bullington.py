"""Compiled kernels of the terrain-excess diffraction loss (delta-Bullington, ITU-R P.1812-6 §4.3).

The loss of a path is the terrain's *excess* over a smooth earth::

    L = max(L_bulla - L_bulls, 0)

``L_bulla`` is the Bullington loss of the actual profile (§4.3.1, eqs 13–21: the
equivalent knife edge where the steepest rays from both antennas meet, ``J(ν)`` of
P.526 eq. 31 and the correction ``(1 - exp(-J/6)) (10 + 0.02 d)``); ``L_bulls`` is the
same loss with every profile height set to zero and the antennas at their heights
above the smooth-earth surface of §5.6 (least-squares surface lowered under
obstructions, eqs 85–91). The delta-Bullington model adds the spherical-earth loss
back (``+ max(L_dsph - L_bulls, 0)``); here the empirical path-loss formula (Hata,
38.901) already holds the smooth-earth part, so only the excess is kept: flat or
uniformly sloping ground gives exactly 0 dB, and ground near a low receiver, which
Hata already accounts for, adds nothing.

Two implementations of the same equations:

* :func:`profile_excess` — one profile, the equations as published (O(n)). It is the
  reference and serves point-to-point pairs (village ↔ cell).
* :func:`radial_excess` — every sample of a radial as a receiver in one O(n log n)
  pass. Working in a frame where the earth's curvature is taken out of the heights
  (``G = h - x² / 2a``, in which every ray is straight), the Bullington maxima become
  running maxima (transmitter side) and tangent queries on upper convex hulls kept
  incrementally (receiver side, and ``h_obs``); the smooth-earth loss has closed forms
  over a zero profile (the slopes are concave in distance); the line-of-sight ν_max
  scans only the points whose clearance bounds allow ν > −0.78. Tests check it against
  :func:`profile_excess` on every prefix of random profiles.

Distances are metres (``x_i = i · dx``), heights metres above sea level, ``lam`` the
wavelength in metres, ``ae`` the effective earth radius in metres.
"""

from __future__ import annotations

import math

import numpy as np

from coverage_gis.terrain._jit import jit

#: ν at and below which J(ν) is taken as 0 dB (P.526 eq. 31's validity limit).
NU_MIN = -0.78


@jit
def knife_edge_db(nu: float) -> float:
    """``J(ν)`` of ITU-R P.526 eq. 31, 0 for ν ≤ −0.78."""
    if not nu > NU_MIN:
        return 0.0
    v = nu - 0.1
    return 6.9 + 20.0 * math.log10(math.sqrt(v * v + 1.0) + v)


@jit
def bullington_db(luc: float, d_m: float) -> float:
    """P.1812 eq. 21: ``L_uc + (1 - exp(-L_uc/6)) (10 + 0.02 d_km)``."""
    return luc + (1.0 - math.exp(-luc / 6.0)) * (10.0 + 0.02 * d_m / 1000.0)


@jit
def _fresnel(d: float, d1: float, lam: float) -> float:
    # sqrt(2 d / (λ d1 d2)): ν per metre of clearance (P.526 eq. 26).
    return math.sqrt(2.0 * d / (lam * d1 * (d - d1)))


@jit
def _bullington_point_nu(u: float, v: float, s: float, rel_rx: float, d: float, lam: float) -> float:
    # Rays of slopes u (from the transmitter) and v (back from the receiver, which sits at
    # rel_rx relative to the transmitter's antenna at distance d) meet at d_bp; the
    # clearance there over the direct ray of slope s is d_bp (u - s). Exactly grazing
    # (u + v = 0) is ν = 0.
    if not u + v > 0.0:
        return 0.0
    dbp = (rel_rx + v * d) / (u + v)
    if dbp <= 0.0 or dbp >= d:
        return 0.0
    return dbp * (u - s) * _fresnel(d, dbp, lam)


@jit
def bullington_profile_db(h: np.ndarray, dx: float, hts: float, hrs: float, lam: float, ae: float) -> float:
    """Bullington loss of a profile, P.1812-6 §4.3.1 as published (eqs 13–21)."""
    n = h.shape[0] - 1
    d = n * dx
    stim = -math.inf
    for i in range(1, n):
        di = i * dx
        stim = max(stim, (h[i] + di * (d - di) / (2.0 * ae) - hts) / di)  # eq. 13
    s_tr = (hrs - hts) / d  # eq. 14
    if stim < s_tr:
        numax = -math.inf
        for i in range(1, n):
            di = i * dx
            clear = h[i] + di * (d - di) / (2.0 * ae) - (hts * (d - di) + hrs * di) / d
            numax = max(numax, clear * _fresnel(d, di, lam))  # eq. 15
        luc = knife_edge_db(numax)
    else:
        srim = -math.inf
        for i in range(1, n):
            di = i * dx
            srim = max(srim, (h[i] + di * (d - di) / (2.0 * ae) - hrs) / (d - di))  # eq. 17
        # eqs 18, 20 with the Bullington point's height hts + Stim d_bp.
        luc = knife_edge_db(_bullington_point_nu(stim, srim, s_tr, hrs - hts, d, lam))
    return bullington_db(luc, d)


@jit
def smooth_heights(h: np.ndarray, dx: float, hts: float, hrs: float) -> tuple[float, float]:
    """Smooth-earth heights at both ends for the diffraction model (P.1812-6 §5.6.1–5.6.2)."""
    n = h.shape[0] - 1
    d = n * dx
    v1 = 0.0
    v2 = 0.0
    for i in range(1, n + 1):
        xa = (i - 1) * dx
        xb = i * dx
        v1 += dx * (h[i] + h[i - 1])  # eq. 85
        v2 += dx * (h[i] * (2.0 * xb + xa) + h[i - 1] * (xb + 2.0 * xa))  # eq. 86
    hst = (2.0 * v1 * d - v2) / (d * d)  # eq. 87
    hsr = (v2 - v1 * d) / (d * d)  # eq. 88
    hobs = -math.inf
    aobt = -math.inf
    aobr = -math.inf
    for i in range(1, n):
        di = i * dx
        hh = h[i] - (hts * (d - di) + hrs * di) / d  # eq. 90d
        hobs = max(hobs, hh)
        aobt = max(aobt, hh / di)
        aobr = max(aobr, hh / (d - di))
    return _lowered(hst, hsr, hobs, aobt, aobr, h[0], h[n])


@jit
def _lowered(
    hst: float, hsr: float, hobs: float, aobt: float, aobr: float, h0: float, hn: float
) -> tuple[float, float]:
    # eqs 90–91: lower the surface under obstructions, never above the terminals' ground.
    if hobs > 0.0:
        hst -= hobs * aobt / (aobt + aobr)
        hsr -= hobs * aobr / (aobt + aobr)
    return min(hst, h0), min(hsr, hn)


@jit
def profile_excess(
    h: np.ndarray, dx: float, htg: float, hrg: float, lam: float, ae: float
) -> tuple[float, float, float]:
    """``(max(L_bulla - L_bulls, 0), L_bulla, L_bulls)`` of one profile, dB.

    ``h[0]`` is the ground at the transmitter, ``h[-1]`` at the receiver; antennas
    ``htg``/``hrg`` above them. A profile with no intermediate point has no loss.
    """
    n = h.shape[0] - 1
    if n < 2:
        return 0.0, 0.0, 0.0
    hts = h[0] + htg
    hrs = h[n] + hrg
    la = bullington_profile_db(h, dx, hts, hrs, lam, ae)
    hstd, hsrd = smooth_heights(h, dx, hts, hrs)
    zero = np.zeros(n + 1)
    ls = bullington_profile_db(zero, dx, hts - hstd, hrs - hsrd, lam, ae)
    return max(la - ls, 0.0), la, ls


# --------------------------------------------------------------------------- radial pass


@jit
def _hull_push(hull: np.ndarray, count: int, y: np.ndarray, i: int) -> int:
    # Upper hull of (index, y[index]) in increasing index (monotone chain).
    while count >= 2:
        o = hull[count - 2]
        a = hull[count - 1]
        if (a - o) * (y[i] - y[o]) - (y[a] - y[o]) * (i - o) >= 0.0:
            count -= 1
        else:
            break
    hull[count] = i
    return count + 1


@jit
def _hull_tangent(hull: np.ndarray, count: int, y: np.ndarray, k: int, yk: float) -> int:
    # Hull vertex j maximising (y[j] - yk) / (k - j), seen from (k, yk) right of the hull:
    # along the hull the angle rises then falls, so bisect on "next one is higher".
    lo = 0
    hi = count - 1
    while lo < hi:
        mid = (lo + hi) // 2
        a = hull[mid]
        b = hull[mid + 1]
        if (y[b] - yk) * (k - a) > (y[a] - yk) * (k - b):
            lo = mid + 1
        else:
            hi = mid
    return int(hull[lo])


@jit
def _hull_extreme(hull: np.ndarray, count: int, y: np.ndarray, slope: float) -> int:
    # Hull vertex j maximising y[j] - slope * j: the first whose next edge is no steeper.
    lo = 0
    hi = count - 1
    while lo < hi:
        mid = (lo + hi) // 2
        a = hull[mid]
        b = hull[mid + 1]
        if y[b] - y[a] > slope * (b - a):
            lo = mid + 1
        else:
            hi = mid
    return int(hull[lo])


@jit
def _concave_argmax_int(c: float, lo: int, hi: int) -> int:
    # The integer in [lo, hi] nearest to the maximiser c of a concave function: one of
    # floor(c), ceil(c) clamped; callers compare the two.
    i = math.floor(c)
    return min(max(i, lo), hi)


@jit
def _smooth_bullington_db(
    d: float, k: int, dx: float, h1: float, h2: float, lam: float, inv2a: float
) -> float:
    # Bullington loss of the zero profile with antennas h1, h2 > 0 above it, in the
    # curvature-free frame G(x) = -x² / 2a. The transmitter-side slope -x/2a - h1/x, the
    # receiver-side slope (d + x)/2a - h2/(d - x) and ν along the path are all concave
    # (ν in the angle φ with x/d = sin²φ), so their maxima over the profile points lie
    # next to the continuous maxima, or are found by bisection.
    rel = h2 - d * d * inv2a - h1
    s = rel / d
    i = _concave_argmax_int(math.sqrt(h1 / inv2a) / dx, 1, k - 1)
    u = -math.inf
    for j in (i, min(i + 1, k - 1)):
        xj = j * dx
        u = max(u, -xj * inv2a - h1 / xj)
    if u < s:
        lo = 1
        hi = k - 1
        while lo < hi:
            mid = (lo + hi) // 2
            xa = mid * dx
            xb = xa + dx
            na = (-xa * xa * inv2a - h1 - s * xa) * _fresnel(d, xa, lam)
            nb = (-xb * xb * inv2a - h1 - s * xb) * _fresnel(d, xb, lam)
            if nb > na:
                lo = mid + 1
            else:
                hi = mid
        x = lo * dx
        luc = knife_edge_db((-x * x * inv2a - h1 - s * x) * _fresnel(d, x, lam))
    else:
        i = _concave_argmax_int(k - math.sqrt(h2 / inv2a) / dx, 1, k - 1)
        v = -math.inf
        for j in (i, min(i + 1, k - 1)):
            xj = j * dx
            v = max(v, (d + xj) * inv2a - h2 / (d - xj))
        luc = knife_edge_db(_bullington_point_nu(u, v, s, rel, d, lam))
    return bullington_db(luc, d)


@jit
def radial_excess(
    g: np.ndarray, dx: float, htg: float, hrg: float, lam: float, ae: float, k_from: int, out: np.ndarray
) -> None:
    """Excess loss with each sample ``k ≥ k_from`` of a radial as the receiver (into ``out[k]``).

    Equal, up to rounding, to ``profile_excess(g[: k + 1], ...)`` for every ``k``;
    ``out[k]`` for ``k < k_from`` is left untouched.
    """
    n_samples = g.shape[0]
    inv2a = 0.5 / ae
    hts = g[0] + htg
    curved = np.empty(n_samples)
    for i in range(n_samples):
        x = i * dx
        curved[i] = g[i] - x * x * inv2a
    hull_c = np.empty(n_samples, dtype=np.int64)
    hull_p = np.empty(n_samples, dtype=np.int64)
    n_c = 0
    n_p = 0
    u_max = -math.inf  # max (G_i - hts) / x_i: the transmitter's steepest ray, curved frame
    t_max = -math.inf  # max (h_i - hts) / x_i: the same on plain heights (α_obt)
    v1 = 0.0
    v2 = 0.0
    nu_cap = -NU_MIN * 1.0001
    for k in range(1, n_samples):
        d = k * dx
        xa = d - dx
        v1 += dx * (g[k] + g[k - 1])
        v2 += dx * (g[k] * (2.0 * d + xa) + g[k - 1] * (d + 2.0 * xa))
        if k >= 2:
            i = k - 1
            xi = i * dx
            u_max = max(u_max, (curved[i] - hts) / xi)
            t_max = max(t_max, (g[i] - hts) / xi)
            n_c = _hull_push(hull_c, n_c, curved, i)
            n_p = _hull_push(hull_p, n_p, g, i)
        if k < k_from:
            continue
        if k < 2:
            out[k] = 0.0
            continue
        hrs = g[k] + hrg
        # --- actual profile (curved frame: receiver antenna at r_c, direct ray slope s)
        r_c = hrs - d * d * inv2a
        s = (r_c - hts) / d
        jv = _hull_tangent(hull_c, n_c, curved, k, r_c)
        v = (curved[jv] - r_c) / (d - jv * dx)
        if u_max < s:
            # Line of sight: ν_i ≤ -margin · sqrt(...) on either side bounds where a
            # point can still reach ν > -0.78; only those are scanned.
            base = lam / (2.0 * d)
            lo = 1
            hi = k - 1
            m_t = s - u_max
            q_t = (nu_cap / m_t) ** 2 * base
            hi = min(hi, math.ceil(d * q_t / (1.0 + q_t) / dx))
            m_r = -s - v
            if m_r > 0.0:
                q_r = (nu_cap / m_r) ** 2 * base
                lo = max(lo, math.floor(d / (1.0 + q_r) / dx))
            numax = -math.inf
            for i in range(lo, hi + 1):
                xi = i * dx
                numax = max(numax, (curved[i] - hts - s * xi) * _fresnel(d, xi, lam))
            luc = knife_edge_db(numax)
        else:
            luc = knife_edge_db(_bullington_point_nu(u_max, v, s, r_c - hts, d, lam))
        la = bullington_db(luc, d)
        # --- smooth-earth surface (plain heights), eqs 85–91
        m = (hrs - hts) / d
        hst = (2.0 * v1 * d - v2) / (d * d)
        hsr = (v2 - v1 * d) / (d * d)
        jo = _hull_extreme(hull_p, n_p, g, m * dx)
        hobs = g[jo] - hts - m * jo * dx
        jr = _hull_tangent(hull_p, n_p, g, k, hrs)
        aobr = (g[jr] - hrs) / (d - jr * dx) + m
        hstd, hsrd = _lowered(hst, hsr, hobs, t_max - m, aobr, g[0], g[k])
        ls = _smooth_bullington_db(d, k, dx, hts - hstd, hrs - hsrd, lam, inv2a)
        out[k] = max(la - ls, 0.0)
