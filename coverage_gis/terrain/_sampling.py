"""Compiled profile extraction: ground heights along pair paths and along radials.

A metric point goes through the sampler's lattice (bilinear) to a fractional row and
column of the DEM window, where the height is bilinear between the four posts around
it. A sample on a void, on nodata or off the DEM takes the previous sample's height
along the path (the first one the site's), so a hole neither raises nor sinks the
profile. The drivers fill one slice of preallocated outputs per call, so threads can
share the work without sharing writes.
"""

from __future__ import annotations

import math

import numpy as np

from coverage_gis.terrain._bullington import profile_excess, radial_excess
from coverage_gis.terrain._jit import jit


@jit
def ground_at(
    x: float,
    y: float,
    lx0: float,
    ly0: float,
    lstep: float,
    lcol: np.ndarray,
    lrow: np.ndarray,
    coff: float,
    roff: float,
    heights: np.ndarray,
) -> float:
    """Bilinear DEM height at a metric point (NaN off the window or on a void)."""
    ny, nx = lcol.shape
    # lx0, ly0 are the lattice origin in whole lattice steps: x / lstep is the same for
    # every lattice and subtracting a whole number is exact, so a point always meets the
    # same weights.
    fx = x / lstep - lx0
    fy = y / lstep - ly0
    i = min(max(math.floor(fx), 0), nx - 2)
    j = min(max(math.floor(fy), 0), ny - 2)
    tx = fx - i
    ty = fy - j
    col = (lcol[j, i] * (1.0 - tx) + lcol[j, i + 1] * tx) * (1.0 - ty) + (
        lcol[j + 1, i] * (1.0 - tx) + lcol[j + 1, i + 1] * tx
    ) * ty
    row = (lrow[j, i] * (1.0 - tx) + lrow[j, i + 1] * tx) * (1.0 - ty) + (
        lrow[j + 1, i] * (1.0 - tx) + lrow[j + 1, i + 1] * tx
    ) * ty
    # The lattice holds the DEM's global post coordinates; the window's offsets are
    # whole posts, so this subtraction is exact and heights do not depend on the window.
    col -= coff
    row -= roff
    rows, cols = heights.shape
    if not (col >= 0.0 and row >= 0.0 and col <= cols - 1.0 and row <= rows - 1.0):
        return math.nan
    c0 = min(int(col), cols - 2)
    r0 = min(int(row), rows - 2)
    tc = col - c0
    tr = row - r0
    top = heights[r0, c0] * (1.0 - tc) + heights[r0, c0 + 1] * tc
    bottom = heights[r0 + 1, c0] * (1.0 - tc) + heights[r0 + 1, c0 + 1] * tc
    return float(top * (1.0 - tr) + bottom * tr)


@jit
def ground_at_points(
    x: np.ndarray,
    y: np.ndarray,
    lx0: float,
    ly0: float,
    lstep: float,
    lcol: np.ndarray,
    lrow: np.ndarray,
    coff: float,
    roff: float,
    heights: np.ndarray,
    out: np.ndarray,
) -> None:
    """:func:`ground_at` for each point (NaN where there is no height)."""
    for p in range(x.shape[0]):
        out[p] = ground_at(x[p], y[p], lx0, ly0, lstep, lcol, lrow, coff, roff, heights)


@jit
def path_profile(
    sx: float,
    sy: float,
    rx: float,
    ry: float,
    n: int,
    g_site: float,
    g_rx: float,
    lx0: float,
    ly0: float,
    lstep: float,
    lcol: np.ndarray,
    lrow: np.ndarray,
    coff: float,
    roff: float,
    heights: np.ndarray,
    out: np.ndarray,
) -> None:
    """Heights at the ``n + 1`` equally spaced points of a path into ``out[: n + 1]``."""
    out[0] = g_site
    last = g_site
    for i in range(1, n):
        t = i / n
        z = ground_at(
            sx + (rx - sx) * t, sy + (ry - sy) * t, lx0, ly0, lstep, lcol, lrow, coff, roff, heights
        )
        if z == z:
            last = z
        out[i] = last
    out[n] = g_rx


@jit
def pairs_bullington(
    first: int,
    last: int,
    sx: np.ndarray,
    sy: np.ndarray,
    rx: np.ndarray,
    ry: np.ndarray,
    g_site: np.ndarray,
    g_rx: np.ndarray,
    htg: np.ndarray,
    hrg: float,
    lam: np.ndarray,
    ae: float,
    step: float,
    lx0: float,
    ly0: float,
    lstep: float,
    lcol: np.ndarray,
    lrow: np.ndarray,
    coff: float,
    roff: float,
    heights: np.ndarray,
    out: np.ndarray,
) -> None:
    """Excess loss of pairs ``first .. last - 1`` (profiles sampled every ≤ ``step`` metres)."""
    buf = np.empty(16)
    for p in range(first, last):
        d = math.hypot(rx[p] - sx[p], ry[p] - sy[p])
        n = max(math.ceil(d / step - 1e-9), 1)
        if buf.shape[0] < n + 1:
            buf = np.empty(2 * n + 1)
        path_profile(
            sx[p],
            sy[p],
            rx[p],
            ry[p],
            n,
            g_site[p],
            g_rx[p],
            lx0,
            ly0,
            lstep,
            lcol,
            lrow,
            coff,
            roff,
            heights,
            buf,
        )
        out[p] = profile_excess(buf[: n + 1], d / n, htg[p], hrg, lam[p], ae)[0]


@jit
def radial_ground(
    sx: float,
    sy: float,
    g_site: float,
    sin_a: float,
    cos_a: float,
    dx: float,
    lx0: float,
    ly0: float,
    lstep: float,
    lcol: np.ndarray,
    lrow: np.ndarray,
    coff: float,
    roff: float,
    heights: np.ndarray,
    out: np.ndarray,
) -> None:
    """Heights every ``dx`` metres along bearing (sin, cos) from the site, into ``out``."""
    out[0] = g_site
    last = g_site
    for k in range(1, out.shape[0]):
        z = ground_at(
            sx + k * dx * sin_a, sy + k * dx * cos_a, lx0, ly0, lstep, lcol, lrow, coff, roff, heights
        )
        if z == z:
            last = z
        out[k] = last


@jit
def radials_bullington(
    first: int,
    last: int,
    task_site: np.ndarray,
    task_radial: np.ndarray,
    sx: np.ndarray,
    sy: np.ndarray,
    g_site: np.ndarray,
    htg: np.ndarray,
    lam: np.ndarray,
    n_radials: np.ndarray,
    n_samples: np.ndarray,
    offset: np.ndarray,
    radial_offset: np.ndarray,
    k_from: np.ndarray,
    hrg: float,
    ae: float,
    dx: float,
    lx0: float,
    ly0: float,
    lstep: float,
    lcol: np.ndarray,
    lrow: np.ndarray,
    coff: float,
    roff: float,
    heights: np.ndarray,
    out_loss: np.ndarray,
    out_ground: np.ndarray,
) -> None:
    """Excess loss and ground height at every sample of tasks ``first .. last - 1``.

    Task ``t`` is radial ``task_radial[t]`` of site ``task_site[t]``; site ``s`` has
    ``n_radials[s]`` radials (bearing ``2π a / n``) of ``n_samples[s]`` samples each,
    stored row after row from ``offset[s]`` in the flat outputs; ``k_from`` (one per
    radial, site ``s``'s from ``radial_offset[s]``) is the first sample evaluated as a
    receiver.
    """
    g = np.empty(int(n_samples.max()))
    for t in range(first, last):
        s = task_site[t]
        a = task_radial[t]
        m = n_samples[s]
        start = offset[s] + a * m
        theta = 2.0 * math.pi * a / n_radials[s]
        row = g[:m]
        radial_ground(
            sx[s],
            sy[s],
            g_site[s],
            math.sin(theta),
            math.cos(theta),
            dx,
            lx0,
            ly0,
            lstep,
            lcol,
            lrow,
            coff,
            roff,
            heights,
            row,
        )
        radial_excess(
            row, dx, htg[s], hrg, lam[s], ae, k_from[radial_offset[s] + a], out_loss[start : start + m]
        )
        for k in range(m):
            out_ground[start + k] = row[k]
