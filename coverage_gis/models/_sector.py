"""Compiled radius rule over a batch of sources: the pair search and the service-sector test in one pass.

:meth:`coverage_gis.models.radius.RadiusModel.map_served_pairs` takes the receivers
within each source's reach as the pair search does
(:func:`coverage_gis.models._search.row_spans`, then ``hypot(dx, dy) <= reach``), hands
each to the cells of its source and keeps the pairs the cell's service sector holds:
the test of :meth:`coverage_gis.models.antenna.SectorVectors.contains`,
``dx·east + dy·north ≥ d·cos_half``, with the same operations in the same order (no
fused multiply-add: ``fastmath`` is off), so the served pairs are the numpy rule's, bit
for bit. Only served pairs leave the kernel; the others are counted per source (the
validity report counts every pair within reach).

``hypot`` (the C library's, as numpy's) costs several times the rest of a pair's work,
and only the level reads the distance itself: a pair takes it where a test cannot be
decided without it (near the circle, near a sector's edge, or at extreme coordinates)
and where it is written (a pair of a cell whose level is wanted). Elsewhere both tests
read ``sqrt(dx² + dy²)``, within a few ulps of ``hypot``, and decide only when the
margin exceeds a thousand times that (:data:`~coverage_gis.models._search.NEAR_REL`):
the same decisions, bit for bit.
"""

from __future__ import annotations

import math

import numpy as np

from coverage_gis.models._search import (
    NEAR_REL,
    MemberArrays,
    RowArrays,
    SourceArrays,
    grow,
    row_spans,
    surely_beyond,
    surely_within,
)
from coverage_gis.terrain._jit import jit


@jit
def in_service_sector(
    dx: float, dy: float, near: float, d: float, east: float, north: float, cos_half: float
) -> tuple[bool, float]:
    """Whether a receiver at offset ``(dx, dy)`` is in a service sector (``east, north,
    cos_half``), and its distance as now known.

    The test of :meth:`~coverage_gis.models.antenna.SectorVectors.contains`,
    ``dx·east + dy·north ≥ d·cos_half`` with ``d = hypot(dx, dy)``, bit for bit. ``d`` is
    the distance when known, else -1: the test then reads ``near``, ``sqrt(dx² + dy²)``
    of squares within :data:`~coverage_gis.models._search.SQUARES_MIN` and ``SQUARES_MAX``,
    and takes ``hypot`` only within :data:`~coverage_gis.models._search.NEAR_REL` of the edge.
    """
    dot = dx * east + dy * north
    if d < 0.0:
        edge = near * cos_half
        if abs(dot - edge) > NEAR_REL * abs(edge):
            return dot >= edge, d
        d = math.hypot(dx, dy)
    return dot >= d * cos_half, d


@jit
def served_pairs(
    rows: RowArrays,
    sources: SourceArrays,
    members: MemberArrays,
    sectors: tuple[np.ndarray, np.ndarray, np.ndarray],
    level_of: np.ndarray,
    lo: int,
    hi: int,
    counted: int,
) -> tuple[
    tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    tuple[np.ndarray, np.ndarray],
    np.ndarray,
]:
    """The served pairs of sources ``lo:hi``, split by whether the cell is in ``level_of``.

    ``rows`` are a :class:`~coverage_gis.models._search.ReceiverRows`, ``sources`` and
    ``members`` a :class:`~coverage_gis.models.base.SourcePlan`'s (source ``s`` has the
    cells ``order[start[s]:][:count[s]]``). ``sectors`` (``east, north, cos_half`` of the
    cells' :class:`~coverage_gis.models.antenna.SectorVectors`) and ``level_of`` are
    given per entry of ``order``, so that a source's cells are read in a row.

    Returns
    -------
    level_pairs
        ``(receiver, cell, distance, dx, dy)`` of the served pairs of ``level_of``
        cells, with each receiver's offset from the site (what the level reads).
    other_pairs
        ``(receiver, cell)`` of the other served pairs (no distance: nothing reads it).
    hits
        Per source of the batch, its receivers within reach (served or not) among the
        first ``counted`` receivers (those the validity report counts).
    """
    start, _, _, px, py, pindex = rows
    sx, sy, sr = sources
    source_start, source_count, order = members
    east, north, cos_half = sectors
    spans = np.empty((start.size, 2), dtype=np.int64)
    hits = np.zeros(hi - lo, dtype=np.int64)
    cap = 16 * (hi - lo) + 1024
    l_recv = np.empty(cap, dtype=np.int64)
    l_cell = np.empty(cap, dtype=np.int64)
    l_dist = np.empty(cap, dtype=np.float64)
    l_dx = np.empty(cap, dtype=np.float64)
    l_dy = np.empty(cap, dtype=np.float64)
    o_recv = np.empty(cap, dtype=np.int64)
    o_cell = np.empty(cap, dtype=np.int64)
    n_l = 0
    n_o = 0
    for s in range(lo, hi):
        x = sx[s]
        y = sy[s]
        r = sr[s]
        first_cell = source_start[s]
        end_cell = first_cell + source_count[s]
        for q in range(row_spans(rows, x, y, r, spans)):
            first = spans[q, 0]
            end = spans[q, 1]
            need = (end - first) * source_count[s]
            if n_l + need > l_recv.size:
                l_recv = grow(l_recv, n_l, need)
                l_cell = grow(l_cell, n_l, need)
                l_dist = grow(l_dist, n_l, need)
                l_dx = grow(l_dx, n_l, need)
                l_dy = grow(l_dy, n_l, need)
            if n_o + need > o_recv.size:
                o_recv = grow(o_recv, n_o, need)
                o_cell = grow(o_cell, n_o, need)
            for j in range(first, end):
                dx = px[j] - x
                dy = py[j] - y
                if surely_beyond(dx, dy, r):
                    continue
                # The distance, -1 until a test or a written pair needs it.
                d = -1.0
                if not surely_within(dx, dy, r):
                    d = math.hypot(dx, dy)
                    if not d <= r:
                        continue
                near = math.sqrt(dx * dx + dy * dy)
                receiver = pindex[j]
                if receiver < counted:
                    hits[s - lo] += 1
                for k in range(first_cell, end_cell):
                    inside, d = in_service_sector(dx, dy, near, d, east[k], north[k], cos_half[k])
                    if not inside:
                        continue
                    c = order[k]
                    if level_of[k]:
                        if d < 0.0:
                            d = math.hypot(dx, dy)
                        l_recv[n_l] = receiver
                        l_cell[n_l] = c
                        l_dist[n_l] = d
                        l_dx[n_l] = dx
                        l_dy[n_l] = dy
                        n_l += 1
                    else:
                        o_recv[n_o] = receiver
                        o_cell[n_o] = c
                        n_o += 1
    level_pairs = (l_recv[:n_l], l_cell[:n_l], l_dist[:n_l], l_dx[:n_l], l_dy[:n_l])
    return level_pairs, (o_recv[:n_o], o_cell[:n_o]), hits
