"""Compiled lookup of a radial grid at points: terrain loss and ground height at any offset.

A :class:`~coverage_gis.terrain.engine.RadialGrid` holds values on radials every
``2π / n`` turns, sample ``k`` at ``k · step``; at sample ``k`` only the radials that
are multiples of ``span = 2**level[k]`` are evaluated. A point at distance ``r`` and
bearing ``θ`` from the site lies between samples ``k0 = ⌊r / step⌋`` and ``k0 + 1``
and, on each, between two evaluated radials: the value is bilinear in (bearing,
distance) between those four evaluated samples. Points beyond the last sample take
the last sample of their bearing (interpolated across).
"""

from __future__ import annotations

import math

import numpy as np

from coverage_gis.terrain._jit import jit


@jit
def _across(
    loss: np.ndarray, ground: np.ndarray, k: int, turn: float, n_radials: int, span: int
) -> tuple[float, float]:
    # Loss and ground on sample k at the bearing turn · n_radials (in radial units),
    # linear between the two evaluated radials (multiples of span) around it. span
    # divides n_radials and 0 ≤ turn ≤ n_radials, so one subtraction wraps an index
    # (what % did, without its integer division).
    pos = turn / span
    a0 = math.floor(pos)
    t = pos - a0
    r0 = a0 * span
    if r0 >= n_radials:
        r0 -= n_radials
    l0 = loss[r0, k]
    g0 = ground[r0, k]
    if t == 0.0:
        return float(l0), float(g0)
    r1 = r0 + span
    if r1 >= n_radials:
        r1 -= n_radials
    return float(l0 + (loss[r1, k] - l0) * t), float(g0 + (ground[r1, k] - g0) * t)


@jit
def lookup_one(
    dx: float, dy: float, step: float, level: np.ndarray, loss: np.ndarray, ground: np.ndarray
) -> tuple[float, float]:
    """Bilinear loss and ground of the grid at one offset (east ``dx``, north ``dy``) from the site."""
    n_radials, n_samples = loss.shape
    last = n_samples - 1
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
    l0, g0 = _across(loss, ground, k0, turn, n_radials, 1 << level[k0])
    if tk == 0.0:
        return l0, g0
    l1, g1 = _across(loss, ground, k0 + 1, turn, n_radials, 1 << level[k0 + 1])
    return l0 + (l1 - l0) * tk, g0 + (g1 - g0) * tk


@jit
def lookup_points(
    dx: np.ndarray,
    dy: np.ndarray,
    step: float,
    level: np.ndarray,
    loss: np.ndarray,
    ground: np.ndarray,
    out_loss: np.ndarray,
    out_ground: np.ndarray,
) -> None:
    """:func:`lookup_one` at each offset (east ``dx``, north ``dy``) from the site."""
    for p in range(dx.shape[0]):
        out_loss[p], out_ground[p] = lookup_one(dx[p], dy[p], step, level, loss, ground)


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
    level: np.ndarray,
    loss: np.ndarray,
    ground: np.ndarray,
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
        for c in cols:
            dx = xs[c] - sx
            dist = math.hypot(dx, dy)
            if not dist <= reach:
                continue
            out_point[n] = r * nx + c
            out_dx[n] = dx
            out_dy[n] = dy
            out_dist[n] = dist
            out_loss[n], out_ground[n] = lookup_one(dx, dy, step, level, loss, ground)
            n += 1
    return n
