"""Compiled per-pair arithmetic of the antenna pattern, the Hata loss and the radius rule's level.

Over millions of pairs, numpy's form of :meth:`~coverage_gis.models.antenna.SectorVectors.offset_deg`,
of :meth:`~coverage_gis.models.pathloss.LinkBudget.path_loss_db` (COST-231) and of the
radius level (:class:`~coverage_gis.models.radius.RadiusModel`) passes over the pairs a
dozen times, gathering a per-cell term in each pass; these kernels gather
and combine them in one pass. They do arithmetic only (products, sums, comparisons:
IEEE-754 with ``fastmath`` off, so the same bits as numpy's, in the same order): the
transcendental functions (``arctan2``, ``log10``, ``degrees``) stay numpy's, between the
kernels, so every path that computes an angle or a level gets its bits from one library.
"""

from __future__ import annotations

import numpy as np

from coverage_gis.terrain._jit import jit


@jit
def boresight_dot_cross(
    cell: np.ndarray, dx: np.ndarray, dy: np.ndarray, east: np.ndarray, north: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """``dx·east + dy·north`` and ``dx·north - dy·east`` of each pair: its receiver's offset
    along and across its cell's boresight (``east, north`` per cell, read at ``cell``)."""
    dot = np.empty(cell.size, dtype=np.float64)
    cross = np.empty(cell.size, dtype=np.float64)
    for i in range(cell.size):
        e = east[cell[i]]
        n = north[cell[i]]
        dot[i] = dx[i] * e + dy[i] * n
        cross[i] = dx[i] * n - dy[i] * e
    return dot, cross


@jit
def radius_levels(
    cell: np.ndarray,
    offset_deg: np.ndarray,
    loss_db: np.ndarray,
    edge_level_dbm: np.ndarray,
    beamwidth_deg: np.ndarray,
    omni: np.ndarray,
    max_attenuation_db: float,
) -> np.ndarray:
    """``edge_level - loss + A_H(offset)`` of each pair, ``A_H`` as
    :func:`~coverage_gis.models.antenna.horizontal_gain_db` (``-min(12 (φ/φ_3dB)², A_m)``,
    NaN kept) and 0 dB for an omni cell; the per-cell terms are read at ``cell``."""
    out = np.empty(cell.size, dtype=np.float64)
    for i in range(cell.size):
        c = cell[i]
        gain = 0.0
        if not omni[c]:
            ratio = offset_deg[i] / beamwidth_deg[c]
            attenuation = 12.0 * ratio * ratio
            # numpy.minimum: NaN wins.
            gain = -(max_attenuation_db if attenuation > max_attenuation_db else attenuation)
        out[i] = edge_level_dbm[c] - loss_db[i] + gain
    return out


@jit
def hata_loss_db(
    cell: np.ndarray, log_d: np.ndarray, intercept: np.ndarray, slope: np.ndarray, fs_at_1m: np.ndarray
) -> np.ndarray:
    """``max(intercept + slope·(log_d - 3), fs_at_1m + 20·log_d)`` of each pair (NaN wins, as
    in ``numpy.maximum``): the link budget's Hata loss never below free space, from
    ``log10`` of the distance and the per-cell terms read at ``cell``."""
    out = np.empty(cell.size, dtype=np.float64)
    for i in range(cell.size):
        c = cell[i]
        hata = intercept[c] + slope[c] * (log_d[i] - 3.0)
        free = fs_at_1m[c] + 20.0 * log_d[i]
        out[i] = hata if hata >= free or hata != hata else free
    return out
