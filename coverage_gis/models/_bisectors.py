"""Compiled passes of :func:`coverage_gis.models.antenna.sector_bisectors`: sort keys, then bisectors.

:func:`sector_keys` gives each sector cell one int64 key, ``layer << bits | azimuth in
µ°``; sorted by it, each layer is one run of ascending azimuths, and sectors of one key
share a position. :func:`sorted_bisectors` then gives, in one pass per layer, each
sector half the angle to the next position clockwise and counter-clockwise (the last
turns to the first, a turn on), with the same float operations, in the same order, as
the numpy rule it replaces (no fused multiply-add: ``fastmath`` is off), so the
bisectors are bit for bit the same.
"""

from __future__ import annotations

import numpy as np

from coverage_gis.terrain._jit import jit


@jit
def sector_keys(
    layer_id: np.ndarray, azimuth_deg: np.ndarray, beamwidth_deg: np.ndarray, bits: int
) -> tuple[np.ndarray, np.ndarray]:
    """The sort key of each sector cell (``layer_id << bits | rint(azimuth · 1e6)``), and the cell.

    Omni cells (NaN azimuth or beamwidth, or a beamwidth of 360° or more:
    :func:`~coverage_gis.models.antenna.is_omni`) are left out; azimuths are in [0, 360].
    """
    n = azimuth_deg.size
    key = np.empty(n, dtype=np.int64)
    cell = np.empty(n, dtype=np.int64)
    count = 0
    for i in range(n):
        az, bw = azimuth_deg[i], beamwidth_deg[i]
        if np.isnan(az) or np.isnan(bw) or bw >= 360.0:
            continue
        key[count] = (layer_id[i] << bits) | np.int64(np.rint(az * 1e6))
        cell[count] = i
        count += 1
    return key[:count], cell[:count]


@jit
def sorted_bisectors(
    sorted_key: np.ndarray, cell: np.ndarray, bits: int, cw: np.ndarray, ccw: np.ndarray
) -> None:
    """Write ``cw[cell[i]]`` and ``ccw[cell[i]]``: the bisectors of the cell with the ``i``-th smallest key.

    A layer of one position (one sector, or carriers at one azimuth) gets 180° on both sides.
    """
    mask = (1 << bits) - 1
    n = sorted_key.size
    start = 0
    while start < n:
        layer = sorted_key[start] >> bits
        end = start + 1
        while end < n and sorted_key[end] >> bits == layer:
            end += 1
        first_az = (sorted_key[start] & mask) / 1e6
        last_az = (sorted_key[end - 1] & mask) / 1e6
        lone = sorted_key[start] == sorted_key[end - 1]
        previous_az = last_az - 360.0
        at = start
        while at < end:
            stop = at + 1
            while stop < end and sorted_key[stop] == sorted_key[at]:
                stop += 1
            az = (sorted_key[at] & mask) / 1e6
            next_az = (sorted_key[stop] & mask) / 1e6 if stop < end else first_az + 360.0
            half_cw = 180.0 if lone else (next_az - az) / 2.0
            half_ccw = 180.0 if lone else (az - previous_az) / 2.0
            for i in range(at, stop):
                cw[cell[i]] = half_cw
                ccw[cell[i]] = half_ccw
            previous_az = az
            at = stop
        start = end
