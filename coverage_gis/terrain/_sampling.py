"""Compiled profile extraction: ground heights along pair paths and along radials.

A metric point goes through the sampler's lattice (bilinear) to a fractional row and
column of the DEM window, where the height is bilinear between the four posts around
it. A sample on a void, on nodata or off the DEM takes the previous sample's height
along the path (the first one the site's), so a hole neither raises nor sinks the
profile.
"""

from __future__ import annotations

import math

import numpy as np

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
    n = out.shape[0] - 1
    if n < 1:
        out[0] = g_site
        return
    ex = sx + n * dx * sin_a
    ey = sy + n * dx * cos_a
    path_profile(
        sx,
        sy,
        ex,
        ey,
        n,
        g_site,
        ground_at(ex, ey, lx0, ly0, lstep, lcol, lrow, coff, roff, heights),
        lx0,
        ly0,
        lstep,
        lcol,
        lrow,
        coff,
        roff,
        heights,
        out,
    )
    if out[n] != out[n]:
        out[n] = out[n - 1]
