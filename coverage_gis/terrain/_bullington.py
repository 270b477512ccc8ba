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
  scans only the points whose clearance bounds allow ν > −0.78, skipping blocks of 16
  whose running maximum height bounds their ν below the best found. Tests check it against
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
#: Points per block of the running maxima that let the radial pass's line-of-sight
#: scan skip blocks (see ``_los_numax``).
LOS_BLOCK = 16


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
    if luc == 0.0:
        return 0.0
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
def _hull_push(hull: np.ndarray, hull_y: np.ndarray, count: int, y: np.ndarray, i: int) -> int:
    # Upper hull of (index, y[index]) in increasing index (monotone chain). The hull
    # keeps its vertices' heights beside their indices (hull_y): the tests read them
    # contiguously instead of through the indices.
    yi = y[i]
    while count >= 2:
        o = hull[count - 2]
        yo = hull_y[count - 2]
        if (hull[count - 1] - o) * (yi - yo) - (hull_y[count - 1] - yo) * (i - o) >= 0.0:
            count -= 1
        else:
            break
    hull[count] = i
    hull_y[count] = yi
    return count + 1


@jit
def _rises(hull: np.ndarray, hull_y: np.ndarray, j: int, qa: float, qb: float, tangent: bool) -> bool:
    # The monotone predicate of the two hull queries at hull position j (true up to the
    # answer, false from it on):
    # tangent — seen from (qa, qb), right of the hull, is vertex j + 1 above vertex j?
    # extreme — is the edge j -> j + 1 steeper than slope qa?
    # The four reads come first, on every path: a kernel whose last read of an array
    # argument sits in one block lets numba drop that argument's reference counting
    # (atomic increments and decrements on every call otherwise, a fifth of the
    # radial ITM pass's time).
    a = hull[j]
    b = hull[j + 1]
    ya = hull_y[j]
    yb = hull_y[j + 1]
    if tangent:
        return bool((yb - qb) * (qa - a) > (ya - qb) * (qa - b))
    return bool(yb - ya > qa * (b - a))


@jit
def _first_false(
    hull: np.ndarray, hull_y: np.ndarray, count: int, qa: float, qb: float, tangent: bool, guess: int
) -> int:
    # Hull position of the answer (first j where _rises is false; count - 1 if none),
    # galloping out from ``guess`` — the previous receiver's answer, usually close —
    # then bisecting the bracket. One exit (see _rises).
    last = count - 1
    lo = 0
    hi = 0
    if last > 0:
        j = min(max(guess, 0), last - 1)
        if _rises(hull, hull_y, j, qa, qb, tangent):
            lo = j + 1
            hi = lo
            step = 1
            while hi < last and _rises(hull, hull_y, hi, qa, qb, tangent):
                lo = hi + 1
                hi = min(hi + step, last)
                step *= 2
        else:
            hi = j
            lo = j
            step = 1
            while lo > 0 and not _rises(hull, hull_y, lo - 1, qa, qb, tangent):
                hi = lo - 1
                lo = max(lo - 1 - step, 0)
                step *= 2
    while lo < hi:
        mid = (lo + hi) // 2
        if _rises(hull, hull_y, mid, qa, qb, tangent):
            lo = mid + 1
        else:
            hi = mid
    return lo


@jit
def _concave_argmax_int(c: float, lo: int, hi: int) -> int:
    # The integer in [lo, hi] nearest to the maximiser c of a concave function: one of
    # floor(c), ceil(c) clamped; callers compare the two.
    i = math.floor(c)
    return min(max(i, lo), hi)


@jit
def _smooth_nu(i: int, d: float, dx: float, h1: float, s: float, lam: float, inv2a: float) -> float:
    # ν at profile point i of the zero profile (curvature-free frame: ground -x²/2a,
    # direct ray from h1 with slope s).
    x = i * dx
    return (-x * x * inv2a - h1 - s * x) * _fresnel(d, x, lam)


@jit
def _smooth_bullington_db(
    d: float, k: int, dx: float, h1: float, h2: float, lam: float, inv2a: float, guess: int
) -> tuple[float, int]:
    # Bullington loss of the zero profile with antennas h1, h2 > 0 above it, in the
    # curvature-free frame G(x) = -x² / 2a, and where its line-of-sight ν peaked (the
    # next receiver's starting guess). The transmitter-side slope -x/2a - h1/x, the
    # receiver-side slope (d + x)/2a - h2/(d - x) and ν along the path are all concave
    # (ν in the angle φ with x/d = sin²φ), so their maxima over the profile points lie
    # next to the continuous maxima, or are found by galloping from the guess.
    rel = h2 - d * d * inv2a - h1
    s = rel / d
    i = _concave_argmax_int(math.sqrt(h1 / inv2a) / dx, 1, k - 1)
    u = max(-i * dx * inv2a - h1 / (i * dx), -min(i + 1, k - 1) * dx * inv2a - h1 / (min(i + 1, k - 1) * dx))
    i = _concave_argmax_int(k - math.sqrt(h2 / inv2a) / dx, 1, k - 1)
    j = min(i + 1, k - 1)
    v = max((d + i * dx) * inv2a - h2 / (d - i * dx), (d + j * dx) * inv2a - h2 / (d - j * dx))
    if u >= s:
        return bullington_db(knife_edge_db(_bullington_point_nu(u, v, s, rel, d, lam)), d), guess
    # Line of sight: as for the actual profile, only points whose clearance bounds
    # allow ν > -0.78 can matter.
    nu_cap = -NU_MIN * 1.0001
    base = lam / (2.0 * d)
    q_t = (nu_cap / (s - u)) ** 2 * base
    hi = min(k - 1, math.ceil(d * q_t / (1.0 + q_t) / dx))
    lo = 1
    if -s - v > 0.0:
        q_r = (nu_cap / (-s - v)) ** 2 * base
        lo = max(lo, math.floor(d / (1.0 + q_r) / dx))
    if lo > hi:
        return 0.0, guess
    # Walk uphill from the guess (each point's ν evaluated once).
    j = min(max(guess, lo), hi)
    nu_j = _smooth_nu(j, d, dx, h1, s, lam, inv2a)
    nu_next = _smooth_nu(j + 1, d, dx, h1, s, lam, inv2a) if j < hi else -math.inf
    if nu_next > nu_j:
        while nu_next > nu_j:
            j += 1
            nu_j = nu_next
            nu_next = _smooth_nu(j + 1, d, dx, h1, s, lam, inv2a) if j < hi else -math.inf
    else:
        while j > lo:
            nu_prev = _smooth_nu(j - 1, d, dx, h1, s, lam, inv2a)
            if not nu_prev >= nu_j:
                break
            j -= 1
            nu_j = nu_prev
    return bullington_db(knife_edge_db(nu_j), d), j


@jit
def _skip_q(best_nu: float, d: float, lam: float) -> float:
    # t² λ / (2d) for the skip threshold t = best_nu less a relative margin (which keeps
    # rounding in the bound from skipping a tie); t < 0 as best_nu ≤ 0 here.
    t = best_nu - 1e-9 * (1.0 - best_nu)
    return t * t * lam / (2.0 * d)


@jit
def _los_numax(
    curved: np.ndarray,
    block_max: np.ndarray,
    lo: int,
    hi: int,
    dx: float,
    d: float,
    hts: float,
    s: float,
    lam: float,
    seed: int,
) -> tuple[float, int]:
    # max ν over points lo..hi below the direct ray (curvature-free frame) when it is
    # above NU_MIN (else some ν ≤ NU_MIN: J is 0 either way), and the point where it
    # is (``seed`` when no point below the ray beats NU_MIN). ν < 0 there, so the
    # largest ν has the smallest c² / (x (d - x)) (c the clearance): compared by
    # cross-multiplication, no square root or division per point. Whole blocks of
    # LOS_BLOCK points are skipped when a bound of their ν — their highest point
    # (block_max) under the ray where it is lowest over the block, times the smallest
    # Fresnel factor there — is below NU_MIN or the best ν found so far: those points
    # cannot be the maximum, so the answer is the one a full scan gives. ``seed`` (the
    # previous receiver's answer, usually close to this one's) only raises that
    # threshold from the start: its ν is at most the maximum, so the block holding the
    # maximum (and any tie) is never skipped and the answer is unchanged. The bound is
    # compared squared (both sides are negative), without a square root or division
    # per block: ν_ub = c_ub sqrt(2d / λ) / sqrt(P) < t < 0 is c_ub² > t² λ / (2d) · P.
    best_num = math.inf
    best_den = 1.0
    best_i = -1
    best_nu = NU_MIN
    above = -math.inf
    skip_q = _skip_q(best_nu, d, lam)
    # Both arrays are read before any branch, and the answer leaves by one return:
    # numba then drops their reference counting (an atomic increment and decrement
    # of each per receiver otherwise; see _rises). The seed's read is clamped into
    # the array and used only when the seed is in lo..hi.
    last = curved.shape[0] - 1
    x_seed = seed * dx
    c_seed = curved[min(max(seed, 0), last)] - hts - s * x_seed
    if lo <= seed <= hi and c_seed < 0.0:
        best_nu = max(best_nu, c_seed * _fresnel(d, x_seed, lam))
        skip_q = _skip_q(best_nu, d, lam)
    # From the receiver end back: the highest ν is most often near it, which lets
    # more blocks be skipped; "≤" keeps the first index among equal minima, as a
    # forward scan with "<" does.
    b = hi // LOS_BLOCK
    # Blocks down to lo's (lo ≥ 0): one loop condition, so one way out of the loop.
    b_lo = max(lo, 0) // LOS_BLOCK
    while b >= b_lo:
        i0 = max(b * LOS_BLOCK, lo)
        i1 = min(b * LOS_BLOCK + LOS_BLOCK - 1, hi)
        b -= 1
        x0 = i0 * dx
        x1 = i1 * dx
        c_ub = block_max[b + 1] - hts - min(s * x0, s * x1)
        if c_ub < 0.0:
            xm = min(max(0.5 * d, x0), x1)
            if c_ub * c_ub > skip_q * (xm * (d - xm)):
                continue
        # A while loop, not range with a step: that range has an error exit (a zero
        # step), one more way out that keeps the arrays' reference counting.
        i = i1 + 1
        while i > i0:
            i -= 1
            xi = i * dx
            c = curved[i] - hts - s * xi
            if c >= 0.0:  # rounding at a grazing point: take it as it is
                above = max(above, c * _fresnel(d, xi, lam))
                continue
            num = c * c
            den = xi * (d - xi)
            if num * best_den <= best_num * den:
                best_num = num
                best_den = den
                best_i = i
                nu = c * _fresnel(d, xi, lam)
                if nu > best_nu:
                    best_nu = nu
                    skip_q = _skip_q(best_nu, d, lam)
    # The best point's read is unconditional too (clamped; used only if there is one).
    j = max(best_i, 0)
    xb = j * dx
    c_best = curved[j] - hts - s * xb
    at = seed
    nu_best = above
    if best_i >= 0:
        nu_best = max(above, c_best * _fresnel(d, xb, lam))
        at = best_i
    return float(nu_best), at


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
    hull_cy = np.empty(n_samples)
    hull_py = np.empty(n_samples)
    block_max = np.full(n_samples // LOS_BLOCK + 1, -math.inf)
    n_c = 0
    n_p = 0
    u_max = -math.inf  # max (G_i - hts) / x_i: the transmitter's steepest ray, curved frame
    t_max = -math.inf  # max (h_i - hts) / x_i: the same on plain heights (α_obt)
    v1 = 0.0
    v2 = 0.0
    nu_cap = -NU_MIN * 1.0001
    pos_c = 0  # the three hull queries' last answers: the next one starts there
    pos_o = 0
    pos_r = 0
    pos_s = 1
    pos_l = -1  # the line-of-sight maximum's last position (none yet)
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
            n_c = _hull_push(hull_c, hull_cy, n_c, curved, i)
            n_p = _hull_push(hull_p, hull_py, n_p, g, i)
            block_max[i // LOS_BLOCK] = max(block_max[i // LOS_BLOCK], curved[i])
        if k < k_from:
            continue
        if k < 2:
            out[k] = 0.0
            continue
        hrs = g[k] + hrg
        # --- actual profile (curved frame: receiver antenna at r_c, direct ray slope s)
        r_c = hrs - d * d * inv2a
        s = (r_c - hts) / d
        pos_c = _first_false(hull_c, hull_cy, n_c, float(k), r_c, True, pos_c)
        jv = hull_c[pos_c]
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
            nu_los, pos_l = _los_numax(curved, block_max, lo, hi, dx, d, hts, s, lam, pos_l)
            luc = knife_edge_db(nu_los)
        else:
            luc = knife_edge_db(_bullington_point_nu(u_max, v, s, r_c - hts, d, lam))
        la = bullington_db(luc, d)
        if la == 0.0:
            # L_bulls ≥ 0, so the excess is 0 whatever the smooth earth gives.
            out[k] = 0.0
            continue
        # --- smooth-earth surface (plain heights), eqs 85–91
        m = (hrs - hts) / d
        hst = (2.0 * v1 * d - v2) / (d * d)
        hsr = (v2 - v1 * d) / (d * d)
        pos_o = _first_false(hull_p, hull_py, n_p, m * dx, 0.0, False, pos_o)
        jo = hull_p[pos_o]
        hobs = g[jo] - hts - m * jo * dx
        pos_r = _first_false(hull_p, hull_py, n_p, float(k), hrs, True, pos_r)
        jr = hull_p[pos_r]
        aobr = (g[jr] - hrs) / (d - jr * dx) + m
        hstd, hsrd = _lowered(hst, hsr, hobs, t_max - m, aobr, g[0], g[k])
        ls, pos_s = _smooth_bullington_db(d, k, dx, hts - hstd, hrs - hsrd, lam, inv2a, pos_s)
        out[k] = max(la - ls, 0.0)
