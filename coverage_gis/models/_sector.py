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
"""

from __future__ import annotations

import numpy as np

from coverage_gis.models._search import (
    MemberArrays,
    RowArrays,
    SourceArrays,
    distance_within,
    grow,
    row_spans,
)
from coverage_gis.terrain._jit import jit


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
    tuple[np.ndarray, np.ndarray, np.ndarray],
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
        ``(receiver, cell, distance)`` of the other served pairs.
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
    o_dist = np.empty(cap, dtype=np.float64)
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
                o_dist = grow(o_dist, n_o, need)
            for j in range(first, end):
                dx = px[j] - x
                dy = py[j] - y
                d = distance_within(dx, dy, r)
                if d < 0.0:
                    continue
                receiver = pindex[j]
                if receiver < counted:
                    hits[s - lo] += 1
                for k in range(first_cell, end_cell):
                    if not dx * east[k] + dy * north[k] >= d * cos_half[k]:
                        continue
                    c = order[k]
                    if level_of[k]:
                        l_recv[n_l] = receiver
                        l_cell[n_l] = c
                        l_dist[n_l] = d
                        l_dx[n_l] = dx
                        l_dy[n_l] = dy
                        n_l += 1
                    else:
                        o_recv[n_o] = receiver
                        o_cell[n_o] = c
                        o_dist[n_o] = d
                        n_o += 1
    level_pairs = (l_recv[:n_l], l_cell[:n_l], l_dist[:n_l], l_dx[:n_l], l_dy[:n_l])
    return level_pairs, (o_recv[:n_o], o_cell[:n_o], o_dist[:n_o]), hits
