"""ITM 1.2.2's profile analysis, compiled: the least-squares fits of a profile (``z1sq1``,
from prefix sums) and the terrain irregularity Δh (``dlthx``: the interdecile range of
the detrended, interpolated profile, its two order statistics found by a histogram
pass). The drivers are :mod:`coverage_gis.terrain._itm`'s.
"""

from __future__ import annotations

import math

import numpy as np

from coverage_gis.terrain._itm_lrprop import dim
from coverage_gis.terrain._jit import jit

#: Bins of the histogram that finds Δh's two order statistics (:func:`two_ranks`).
HIST_BINS = 64
#: Length of Δh's scratch buffer: the interpolated profile (at most 245 points), then the
#: histogram and two bins' values.
DH_BUFFER = 256 + HIST_BINS + 2 * 256


@jit
def fit_from_sums(
    z: np.ndarray, s0: np.ndarray, s1: np.ndarray, xn: int, step: float, x1: float, x2: float
) -> tuple[float, float]:
    # z1sq1: least-squares line through z[xa..xb] (end points half weight), evaluated
    # at 0 and xn; the interior sums come from prefix sums s0 (Σ z) and s1 (Σ i z).
    xa = float(int(dim(x1 / step, 0.0)))
    xb = xn - float(int(dim(xn, x2 / step)))
    if xb <= xa:
        xa = dim(xa, 1.0)
        xb = xn - dim(xn, xb + 1.0)
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
def prefix_sums(z: np.ndarray, s0: np.ndarray, s1: np.ndarray) -> None:
    s0[0] = 0.0
    s1[0] = 0.0
    for i in range(z.shape[0]):
        s0[i + 1] = s0[i] + z[i]
        s1[i + 1] = s1[i] + i * z[i]


@jit
def dlthx(z: np.ndarray, xn: int, step: float, x1: float, x2: float, buf: np.ndarray) -> float:
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
    # same formulas as fit_from_sums) in one pass.
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
def two_ranks(s: np.ndarray, n: int, low: int, high: int, work: np.ndarray) -> tuple[float, float]:
    # The values of ranks ``low`` ≤ ``high`` (0 = smallest) of s[:n], by a histogram:
    # the bin of a value, ⌊(v - min) · bins / (max - min)⌋, never falls as v rises, so
    # every value in a lower bin is smaller than every value in a higher one and the
    # value of rank r is the one of rank r - (values below its bin) within its bin.
    # Three passes over s and a sort of the two bins' few values, where quickselect
    # would partition s several times (s is left as it is but where it falls back to
    # quickselect). ``work`` holds the histogram and the two bins' values
    # (HIST_BINS + 2 n).
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
    # :func:`two_ranks` given the least and greatest of s[:n] (as its first pass
    # finds them: the comparisons skip NaN) and their sum (NaN if any value is).
    if mx == mn and total == total:  # all equal
        return float(mn), float(mn)
    scale = HIST_BINS / (mx - mn)
    if not (total == total and scale < math.inf):
        # A NaN or an infinite or vanishing spread: quickselect, as before.
        hi = select(s, n, high)
        return select(s, high, low), hi
    counts = work[:HIST_BINS]
    counts[:] = 0.0
    for i in range(n):
        counts[min(int((s[i] - mn) * scale), HIST_BINS - 1)] += 1.0
    b_low, r_low = _bin_of_rank(counts, low)
    b_high, r_high = _bin_of_rank(counts, high)
    # The two bins' values, in one pass (the same bin twice when both ranks fall in it).
    values_low = work[HIST_BINS : HIST_BINS + n]
    values_high = work[HIST_BINS + n : HIST_BINS + 2 * n]
    m_low = 0
    m_high = 0
    for i in range(n):
        v = s[i]
        bin_v = min(int((v - mn) * scale), HIST_BINS - 1)
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
        return select(values, m, rank)
    for i in range(1, m):
        v = values[i]
        j = i - 1
        while j >= 0 and values[j] > v:
            values[j + 1] = values[j]
            j -= 1
        values[j + 1] = v
    return float(values[rank])


@jit
def select(s: np.ndarray, n: int, rank: int) -> float:
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
