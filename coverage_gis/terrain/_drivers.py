"""Compiled drivers: profiles of many pairs, radials of many sites, each with either method.

One call fills one slice (``first .. last - 1``) of preallocated outputs, so threads
share the work without sharing writes and results do not depend on the thread count.
``method`` is :data:`DELTA_BULLINGTON` (``params = [effective earth radius in m]``) or
:data:`ITM` (``params`` from :func:`coverage_gis.terrain._itm.itm_parameters`).
"""

from __future__ import annotations

import math

import numpy as np

from coverage_gis.terrain._bullington import profile_excess, radial_excess
from coverage_gis.terrain._itm import profile_itm_db, radial_itm
from coverage_gis.terrain._jit import jit
from coverage_gis.terrain._sampling import path_profile, radial_ground

DELTA_BULLINGTON = 0
ITM = 1


@jit
def pairs_pass(
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
    method: int,
    params: np.ndarray,
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
    """Terrain loss of pairs ``first .. last - 1`` from profiles sampled every ≤ ``step`` metres."""
    buf = np.empty(16)
    for p in range(first, last):
        d = math.hypot(rx[p] - sx[p], ry[p] - sy[p])
        if method == ITM:
            d = max(d, 1.0)  # ITM's free-space term needs a distance
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
        if method == ITM:
            out[p] = profile_itm_db(buf[: n + 1], d / n, htg[p], hrg, 299.792458 / lam[p], params)
        else:
            out[p] = profile_excess(buf[: n + 1], d / n, htg[p], hrg, lam[p], params[0])[0]


@jit
def radials_pass(
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
    radial_offset: np.ndarray,
    k_from: np.ndarray,
    level: np.ndarray,
    level_offset: np.ndarray,
    ring: np.ndarray,
    ring_offset: np.ndarray,
    hrg: float,
    method: int,
    params: np.ndarray,
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
    """Terrain loss and ground height at the evaluated samples of tasks ``first .. last - 1``.

    Task ``t`` is radial ``task_radial[t]`` of site ``task_site[t]``; site ``s`` has
    ``n_radials[s]`` radials (bearing ``2π a / n``) of ``n_samples[s]`` samples each;
    ``k_from`` (one per radial, site ``s``'s from ``radial_offset[s]``) is the first
    sample evaluated as a receiver. At sample ``k`` of site ``s`` (``level`` and
    ``ring`` from ``level_offset[s]`` and ``ring_offset[s]``) the radials that are
    multiples of ``2**level`` are evaluated, radial ``a``'s loss and ground going to
    row ``ring + a / 2**level`` of ``out`` (the layout of
    :class:`~coverage_gis.terrain.engine.RadialGrid`). Sample 0, the site itself, has
    no terrain loss (delta-Bullington) or sample 1's (ITM, whose free-space part has no
    value at distance 0).
    """
    g = np.empty(int(n_samples.max()))
    lbuf = np.empty(int(n_samples.max()))
    for t in range(first, last):
        s = task_site[t]
        a = task_radial[t]
        m = n_samples[s]
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
        loss = lbuf[:m]
        k0 = k_from[radial_offset[s] + a]
        if method == ITM:
            radial_itm(row, dx, htg[s], hrg, 299.792458 / lam[s], params, k0, loss)
            if m > 1:
                loss[0] = loss[1]
        else:
            radial_excess(row, dx, htg[s], hrg, lam[s], params[0], k0, loss)
            loss[0] = 0.0
        lo = level_offset[s]
        ro = ring_offset[s]
        for k in range(m):
            j = level[lo + k]
            # Radial a is on ring k when 2**j divides it (from k_from on, and at the site).
            if a & ((1 << j) - 1) == 0:
                r = ring[ro + k] + (a >> j)
                out[r, 0] = loss[k]
                out[r, 1] = row[k]
