"""The fiber layers' distinct segments, numbered for :class:`coverage_gis._fiber_grid.SegmentGrid`
(``docs/architecture.md``).

:func:`distinct_segments` turns the coordinates of the FTTH-giving features into items:
each distinct vertex numbered once (hashed per spatial bucket, in row order), each
segment between two consecutive vertices of one part of a line (or a point, a segment
whose ends coincide) once, with the OR of the operator bits of the features that share
it. :mod:`coverage_gis.fiber` projects the distinct vertices and files the segments in
the grid. Kernels are compiled with numba (:func:`coverage_gis.terrain._jit.jit`).
"""

from __future__ import annotations

import math

import numpy as np

from coverage_gis.terrain._jit import jit


@jit
def _table_size(keys: int) -> int:
    """Slots of a hash table for up to ``keys`` keys: a power of two, at most half full."""
    size = 2
    while size < 2 * keys:
        size *= 2
    return size


@jit
def _hash_table(keys: int) -> np.ndarray:
    """An empty hash table for up to ``keys`` keys (zeroed lazily by the allocator, so only
    the slots used cost memory)."""
    return np.zeros(_table_size(keys), dtype=np.int32)


@jit
def _slot(a: int, b: int, mask: np.uint64) -> np.uint64:
    """The home slot of the key ``(a, b)`` in a hash table of ``mask + 1`` slots."""
    h = (np.uint64(a) * np.uint64(0x9E3779B97F4A7C15)) ^ (
        (np.uint64(b) + np.uint64(0x632BE59BD9B4E019)) * np.uint64(0xC2B2AE3D27D4EB4F)
    )
    return (h ^ (h >> np.uint64(31))) & mask


@jit
def _number(
    table: np.ndarray, mask: np.uint64, key_a: np.ndarray, key_b: np.ndarray, count: int, a: int, b: int
) -> tuple[int, int]:
    """The number of the key ``(a, b)`` among the ``count`` keys so far (``key_a[i], key_b[i]``
    is key ``i``; ``table[:mask + 1]`` holds ``i + 1`` by hash slot, 0 when free), added if
    new; and the new count."""
    slot = _slot(a, b, mask)
    while True:
        held = table[slot]
        if held == 0:
            table[slot] = count + 1
            key_a[count] = a
            key_b[count] = b
            return count, count + 1
        if key_a[held - 1] == a and key_b[held - 1] == b:
            return held - 1, count
        slot = (slot + np.uint64(1)) & mask


@jit
def _grown(table: np.ndarray, key_a: np.ndarray, key_b: np.ndarray) -> np.ndarray:
    """A hash table of :func:`_number` twice the size of ``table``, holding its keys."""
    grown = np.zeros(2 * table.shape[0], dtype=np.int32)
    mask = np.uint64(grown.shape[0] - 1)
    for held in table:
        if held != 0:
            slot = _slot(key_a[held - 1], key_b[held - 1], mask)
            while grown[slot] != 0:
                slot = (slot + np.uint64(1)) & mask
            grown[slot] = held
    return grown


@jit
def _bucket_of(v: float, lo: float, width: float, count: int) -> int:
    """Which of ``count`` equal slices of ``[lo, lo + width]`` holds ``v``."""
    return min(int((v - lo) / width * count), count - 1) if width > 0.0 else 0


@jit
def _number_vertices(
    coords: np.ndarray,
    owner: np.ndarray,
    broken: np.ndarray,
    lo_x: float,
    hi_x: float,
    lo_y: float,
    hi_y: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Number the distinct vertices of the rows of features not ``broken`` (their
    coordinates lie in ``[lo_x, hi_x] x [lo_y, hi_y]``): each row's number (-1: a broken
    feature's) and each number's first row. Equal coordinates (the same bits) share a
    number; numbers follow the rows (a vertex's number is the count of distinct vertices
    in the rows before its first).

    The rows are first put in spatial buckets of a few dozen by a counting sort (the rows of
    a layer come in runs of nearby vertices, so it reads and writes memory in runs), and
    each bucket is numbered with a hash table small enough to stay in cache: a table of
    every vertex would miss the cache at nearly every row. Numbering in row order then
    keeps the later reads of a vertex (by consecutive rows, then segments) in runs too.
    """
    n = coords.shape[0]
    buckets = max(n // 32, 1)
    width, height = max(hi_x - lo_x, 0.0), max(hi_y - lo_y, 0.0)
    if width > 0.0 and height > 0.0:
        nx = min(max(int(math.sqrt(buckets * width / height)), 1), buckets)
    else:
        nx = buckets if width > 0.0 else 1
    ny = max(buckets // nx, 1) if height > 0.0 else 1
    # (Rows and vertices are numbered in 32 bits: see distinct_segments.)
    bucket = np.empty(n, dtype=np.int32)
    start = np.zeros(nx * ny + 1, dtype=np.int64)
    for k in range(n):
        if not broken[owner[k]]:
            b = _bucket_of(coords[k, 1], lo_y, height, ny) * nx + _bucket_of(coords[k, 0], lo_x, width, nx)
            bucket[k] = b
            start[b + 1] += 1
        else:
            bucket[k] = -1
    largest = 0
    for b in range(nx * ny):
        largest = max(largest, start[b + 1])
        start[b + 1] += start[b]
    order = np.empty(start[-1], dtype=np.int32)
    cursor = start[:-1].copy()
    for k in range(n):
        if bucket[k] >= 0:
            order[cursor[bucket[k]]] = k
            cursor[bucket[k]] += 1
    raw = coords.view(np.int64)
    # Each row's number in bucket order first (``number``), and each such number's first
    # row. A bucket's vertices are numbered among themselves (its keys and table are those
    # of one bucket at a time), after the vertices of the buckets before.
    number = bucket
    lon_bits = np.empty(largest, dtype=np.int64)
    lat_bits = np.empty(largest, dtype=np.int64)
    first = np.empty(start[-1], dtype=np.int32)
    table = _hash_table(largest)
    count = 0
    for b in range(nx * ny):
        size = _table_size(start[b + 1] - start[b])
        local = 0
        for i in range(start[b], start[b + 1]):
            k = order[i]
            v, after = _number(table, np.uint64(size - 1), lon_bits, lat_bits, local, raw[k, 0], raw[k, 1])
            if after > local:
                first[count + v] = k
                local = after
            number[k] = count + v
        count += local
        table[:size] = 0
    # Renumbered in row order: a vertex's new number is given at its first row.
    renumber = first
    row_first = order
    counted = 0
    for k in range(n):
        v = number[k]
        if v >= 0:
            if renumber[v] == k:
                row_first[counted] = k
                renumber[v] = -1 - counted
                counted += 1
            number[k] = -1 - renumber[v]
    return number, row_first[:count]


@jit
def distinct_segments(
    coords: np.ndarray,
    owner: np.ndarray,
    line: np.ndarray,
    part_start: np.ndarray,
    bits: np.ndarray,
    broken: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The distinct vertices and segments of features given by their vertices.

    ``coords`` are the vertices (lon, lat) of the features ``owner``, feature by feature;
    ``line`` says which features are lines (the others points), ``part_start`` which
    vertex opens a line's second or later part, ``bits`` each feature's operator bits.
    A line's consecutive vertices within a part make a segment, a point's vertex a
    segment to itself. Features with a coordinate that is not finite are flagged in
    ``broken`` (filled here) and give none. Equal vertices (the same bits) are one vertex,
    equal segments (the same vertices in the same order) one segment with the OR of their
    bits: a distance to either is the same number.

    Returns the row in ``coords`` of each distinct vertex, and each distinct segment's
    first and second vertex (numbers of the distinct vertices) and bits.
    """
    n = coords.shape[0]
    if n >= 2**31:
        # (Rows, vertices and segments are numbered in 32 bits: half the memory to fill.)
        raise ValueError("more than 2**31 - 1 fiber vertices")
    # The box of the finite vertices, and the features with a vertex that is not.
    lo_x, hi_x, lo_y, hi_y = math.inf, -math.inf, math.inf, -math.inf
    for k in range(n):
        x, y = coords[k, 0], coords[k, 1]
        if math.isfinite(x) and math.isfinite(y):
            lo_x, hi_x = min(lo_x, x), max(hi_x, x)
            lo_y, hi_y = min(lo_y, y), max(hi_y, y)
        else:
            broken[owner[k]] = True
    vertex, first = _number_vertices(coords, owner, broken, lo_x, hi_x, lo_y, hi_y)
    # (Each array is as long as the rows, but only the part written costs memory: the
    # results are views of those parts, not copies.)
    # (numba's np.zeros writes every row: a segment's bits are set when it is numbered.)
    seg_a = np.empty(n, dtype=np.int64)
    seg_b = np.empty(n, dtype=np.int64)
    seg_bits = np.empty(n, dtype=np.int64)
    # Most vertices start one distinct segment: it is remembered at the vertex (-1: none
    # yet), and only a vertex's further segments go through the hash table, grown as they come.
    out_segment = np.full(first.shape[0], -1, dtype=np.int32)
    table = _hash_table(first.shape[0] // 16)
    in_table = 0
    segments = 0
    for k in range(n):
        f = owner[k]
        if vertex[k] < 0:
            continue
        if not line[f]:
            b = vertex[k]
        elif k + 1 < n and owner[k + 1] == f and not part_start[k + 1]:
            b = vertex[k + 1]
        else:
            continue
        a = vertex[k]
        sid = out_segment[a]
        if sid < 0:
            sid = segments
            seg_a[sid] = a
            seg_b[sid] = b
            out_segment[a] = sid
        elif seg_b[sid] != b:
            if 2 * (in_table + 1) > table.shape[0]:
                table = _grown(table, seg_a, seg_b)
            sid, counted = _number(table, np.uint64(table.shape[0] - 1), seg_a, seg_b, segments, a, b)
            in_table += counted - segments
        # A new segment is numbered after the others, with the bits of its first feature.
        if sid == segments:
            seg_bits[sid] = bits[f]
            segments += 1
        else:
            seg_bits[sid] |= bits[f]
    return first, seg_a[:segments], seg_b[:segments], seg_bits[:segments]
