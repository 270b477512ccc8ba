"""Compiled lookup of a radial grid at points: terrain loss and ground height at any offset.

A :class:`~coverage_gis.terrain.engine.RadialGrid` holds values on radials every
``2π / n`` turns, sample ``k`` at ``k · step``; at sample ``k`` only the radials that
are multiples of ``span = 2**level[k]`` are evaluated, and only those are stored: ring
``k`` is the ``n / span`` rows ``ring[k] ..`` of ``values`` (loss, ground), radial
``a`` in row ``ring[k] + a / span``. A point at distance ``r`` and bearing ``θ`` from
the site lies between samples ``k0 = ⌊r / step⌋`` and ``k0 + 1`` and, on each, between
two evaluated radials: the value is bilinear in (bearing, distance) between those four
evaluated samples. Points beyond the last sample take the last sample of their bearing
(interpolated across).
"""

from __future__ import annotations

import math

import numpy as np

from coverage_gis.terrain._jit import jit


@jit
def _across(values: np.ndarray, row: int, n_ring: int, turn: float, span: int) -> tuple[float, float]:
    # Loss and ground on the ring of n_ring evaluated radials (multiples of span) from
    # row ``row`` of values, at the bearing turn (in radial units), linear between the
    # two evaluated radials around it. 0 ≤ turn / span ≤ n_ring, so one subtraction
    # wraps an index (what % did, without its integer division). The reads come
    # before any branch (no reference counting of values: _bullington._rises).
    # span is a power of two: multiplying by its reciprocal is exact, and cheaper.
    pos = turn * (1.0 / span)
    a0 = math.floor(pos)
    t = pos - a0
    if a0 >= n_ring:
        a0 -= n_ring
    a1 = a0 + 1
    if a1 >= n_ring:
        a1 -= n_ring
    l0 = values[row + a0, 0]
    g0 = values[row + a0, 1]
    l1 = values[row + a1, 0]
    g1 = values[row + a1, 1]
    if t == 0.0:
        return float(l0), float(g0)
    return float(l0 + (l1 - l0) * t), float(g0 + (g1 - g0) * t)


@jit
def lookup_one(
    dx: float, dy: float, step: float, n_radials: int, level: np.ndarray, ring: np.ndarray, values: np.ndarray
) -> tuple[float, float]:
    """Bilinear loss and ground of the grid at one offset (east ``dx``, north ``dy``) from the site."""
    last = level.shape[0] - 1
    # sqrt, not hypot: within an ulp here (offsets are at most a few hundred km) and
    # several times faster, and this runs once per raster pixel.
    dist = math.sqrt(dx * dx + dy * dy) / step
    bearing = math.atan2(dx, dy)
    if bearing < 0.0:
        bearing += 2.0 * math.pi
    turn = bearing / (2.0 * math.pi) * n_radials
    if dist >= last:
        k0 = last
        tk = 0.0
    else:
        k0 = int(dist)
        tk = dist - k0
    k1 = min(k0 + 1, last)
    r0 = ring[k0]
    r1 = ring[k1]
    n0 = ring[k0 + 1] - r0
    n1 = ring[k1 + 1] - r1
    s0 = 1 << level[k0]
    s1 = 1 << level[k1]
    l0, g0 = _across(values, r0, n0, turn, s0)
    l1, g1 = _across(values, r1, n1, turn, s1)
    if tk == 0.0:
        return l0, g0
    return l0 + (l1 - l0) * tk, g0 + (g1 - g0) * tk


@jit
def lookup_points(
    dx: np.ndarray,
    dy: np.ndarray,
    step: float,
    n_radials: int,
    level: np.ndarray,
    ring: np.ndarray,
    values: np.ndarray,
    out_loss: np.ndarray,
    out_ground: np.ndarray,
) -> None:
    """:func:`lookup_one` at each offset (east ``dx``, north ``dy``) from the site."""
    for p in range(dx.shape[0]):
        out_loss[p], out_ground[p] = lookup_one(dx[p], dy[p], step, n_radials, level, ring, values)


@jit
def lookup_window(
    xs: np.ndarray,
    ys: np.ndarray,
    rows: np.ndarray,
    cols: np.ndarray,
    sx: float,
    sy: float,
    reach: float,
    step: float,
    n_radials: int,
    level: np.ndarray,
    ring: np.ndarray,
    values: np.ndarray,
    out_point: np.ndarray,
    out_dx: np.ndarray,
    out_dy: np.ndarray,
    out_dist: np.ndarray,
    out_loss: np.ndarray,
    out_ground: np.ndarray,
) -> int:
    """:func:`lookup_one` at the grid points ``(xs[c], ys[r])`` of a window within ``reach``.

    The window is ``r`` in ``rows`` × ``c`` in ``cols``. Writes, row after row, each
    point's flat index ``r * len(xs) + c``, its offset from the site, its distance
    (``hypot``) and the grid's loss and ground there into the first entries of the
    outputs (``len(rows) * len(cols)`` long); returns how many points were within reach.
    """
    n = 0
    nx = xs.shape[0]
    for r in rows:
        dy = ys[r] - sy
        # Points with dx² > this are beyond reach by far more than rounding: they skip
        # hypot (a fifth of a raster's square lies outside the disc).
        outside = reach * reach * (1.0 + 1e-9) - dy * dy
        for c in cols:
            dx = xs[c] - sx
            if dx * dx > outside:
                continue
            dist = math.hypot(dx, dy)
            if not dist <= reach:
                continue
            out_point[n] = r * nx + c
            out_dx[n] = dx
            out_dy[n] = dy
            out_dist[n] = dist
            out_loss[n], out_ground[n] = lookup_one(dx, dy, step, n_radials, level, ring, values)
            n += 1
    return n
