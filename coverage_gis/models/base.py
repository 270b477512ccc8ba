"""The array contract every coverage model implements.

A model sees cells and receivers as plain numpy arrays in one metric CRS (metres)
and answers with *candidate pairs*: every (receiver, cell) pair the model looked at
closely, with the estimated received level and whether the cell serves the receiver.
Aggregation into per-village coverage, KPIs and rasters is model-agnostic and lives
elsewhere (``coverage_gis.coverage``), so adding a model means adding one module.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar, runtime_checkable

import numpy as np
from numpy.typing import NDArray

# Re-exported: the models read the vocabularies through this module.
from coverage_gis.vocabulary import ENVIRONMENTS as ENVIRONMENTS
from coverage_gis.vocabulary import TECHS as TECHS

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]
StrArray = NDArray[np.str_]
_T = TypeVar("_T")

#: Technologies that count as mobile broadband (``docs/architecture.md``, coverage rules).
BROADBAND_TECHS: frozenset[str] = frozenset({"3G", "4G", "5G"})


def is_broadband(tech: StrArray) -> BoolArray:
    """Which cells' technologies count as mobile broadband."""
    return np.isin(tech, sorted(BROADBAND_TECHS))


@dataclass(frozen=True)
class CellArrays:
    """On-air cells as columns, in a metric CRS.

    ``azimuth_deg`` is NaN for an omni cell. ``environment`` is the clutter class
    (urban/suburban/rural) of the site's location. ``ground_m`` is the terrain height
    at the site (NaN when unknown; only the terrain model reads it).

    ``bisector_cw_deg`` and ``bisector_ccw_deg`` are the angles from each sector's
    azimuth to the bisectors with its neighbouring sectors of the same site and layer,
    clockwise and counter-clockwise (180° for a lone sector, NaN for omni cells;
    :func:`coverage_gis.models.antenna.sector_bisectors`); the adapter that knows the
    sites fills them in. When they are None every sector cell is taken as a lone one.
    """

    x_m: FloatArray
    y_m: FloatArray
    tech: StrArray
    band_mhz: FloatArray
    azimuth_deg: FloatArray
    beamwidth_deg: FloatArray
    eirp_dbm: FloatArray
    tilt_deg: FloatArray
    height_m: FloatArray
    environment: StrArray
    ground_m: FloatArray | None = None
    bisector_cw_deg: FloatArray | None = None
    bisector_ccw_deg: FloatArray | None = None

    def __len__(self) -> int:
        return int(self.x_m.shape[0])

    @classmethod
    def empty(cls) -> CellArrays:
        f = np.empty(0, dtype=np.float64)
        s = np.empty(0, dtype="<U8")
        return cls(f, f, s, f, f, f, f, f, f, s)

    def take(self, index: IntArray) -> CellArrays:
        """A subset of the cells, in the order of ``index``."""
        values: dict[str, Any] = {}
        for name in self.__dataclass_fields__:
            col = getattr(self, name)
            values[name] = None if col is None else col[index]
        return CellArrays(**values)


@dataclass(frozen=True)
class ReceiverArrays:
    """Receiver points (village centres, raster pixel centres) in the same metric CRS."""

    x_m: FloatArray
    y_m: FloatArray
    height_m: float = 1.5
    ground_m: FloatArray | None = None

    def __len__(self) -> int:
        return int(self.x_m.shape[0])


@dataclass(frozen=True)
class CandidatePairs:
    """(receiver, cell) pairs a model examined.

    ``served`` marks the pairs where the cell serves the receiver. ``terrain_blocked``
    marks pairs that would be served on flat ground but are not because terrain blocks
    the path (only the terrain model sets it); it lets the gap analysis name
    ``terrain_shadow`` as the cause. ``formula`` (a code into
    :data:`coverage_gis.models.validity.FORMULAS`, -1 = not recorded) and ``outside``
    (a bit mask of the parameters outside that formula's validity range) say what
    decided each pair (:class:`~coverage_gis.models.validity.ValidityReport`).
    """

    receiver: IntArray
    cell: IntArray
    distance_m: FloatArray
    signal_dbm: FloatArray
    served: BoolArray
    terrain_blocked: BoolArray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    formula: NDArray[np.int8] = field(default_factory=lambda: np.zeros(0, dtype=np.int8))
    outside: NDArray[np.uint8] = field(default_factory=lambda: np.zeros(0, dtype=np.uint8))

    def __post_init__(self) -> None:
        if self.terrain_blocked.shape != self.served.shape:
            object.__setattr__(self, "terrain_blocked", np.zeros(self.served.shape, dtype=bool))
        if self.formula.shape != self.served.shape:
            object.__setattr__(self, "formula", np.full(self.served.shape, -1, dtype=np.int8))
        if self.outside.shape != self.served.shape:
            object.__setattr__(self, "outside", np.zeros(self.served.shape, dtype=np.uint8))

    def __len__(self) -> int:
        return int(self.receiver.shape[0])

    @classmethod
    def empty(cls) -> CandidatePairs:
        i = np.empty(0, dtype=np.int64)
        f = np.empty(0, dtype=np.float64)
        b = np.empty(0, dtype=bool)
        return cls(i, i, f, f, b, b)


@runtime_checkable
class CoverageModel(Protocol):
    """What every coverage model offers.

    ``candidate_pairs`` must be vectorised (no Python loop over receiver × cell
    pairs). ``max_range_m`` is an upper bound of the distance at which each cell can
    serve anything; incremental recompute uses it to find the villages a site edit
    can affect, so it must never under-estimate.
    """

    name: str

    def candidate_pairs(self, receivers: ReceiverArrays, cells: CellArrays) -> CandidatePairs:
        """Pairs within reach, with signal estimate and served flag."""
        ...

    def max_range_m(self, cells: CellArrays) -> FloatArray:
        """Per-cell upper bound of the service distance, metres."""
        ...


@runtime_checkable
class BatchedCoverageModel(CoverageModel, Protocol):
    """A model that can hand its candidate pairs over batch by batch.

    ``map_pairs(receivers, cells, fn)`` returns ``fn`` of each batch of the pairs
    ``candidate_pairs`` returns, in any order: a caller that reduces the pairs (per
    receiver) never holds them all at once.
    """

    def map_pairs(
        self, receivers: ReceiverArrays, cells: CellArrays, fn: Callable[[CandidatePairs], _T]
    ) -> list[_T]:
        """``fn`` of each batch of the candidate pairs."""
        ...


def map_candidate_pairs(
    model: CoverageModel, receivers: ReceiverArrays, cells: CellArrays, fn: Callable[[CandidatePairs], _T]
) -> list[_T]:
    """``fn`` of the model's candidate pairs: batch by batch where the model can, else all at once."""
    if isinstance(model, BatchedCoverageModel):
        return model.map_pairs(receivers, cells, fn)
    return [fn(model.candidate_pairs(receivers, cells))]


def best_signal_dbm(pairs: CandidatePairs, n_receivers: int) -> FloatArray:
    """Best received level over the serving cells of each receiver (NaN where none serves)."""
    out = np.full(n_receivers, -np.inf)
    served = pairs.served
    signal = np.where(np.isnan(pairs.signal_dbm), -np.inf, pairs.signal_dbm)
    np.maximum.at(out, pairs.receiver[served], signal[served])
    covered = np.zeros(n_receivers, dtype=bool)
    covered[pairs.receiver[served]] = True
    out[~covered] = np.nan
    out[covered & np.isneginf(out)] = np.nan
    return out


#: Distinct cell locations per k-d tree query in :func:`map_pairs_within_reach`.
#: Small, spatially compact batches keep each query's output short and its tree tight
#: (measured ~5x faster than one query per reach class at national scale), and keep
#: the per-batch pair arrays small enough to stay in cache for the caller's function.
_SOURCES_PER_BATCH = 4096
#: At most this many (source, receiver) distances make a problem small enough for
#: :func:`map_pairs_within_reach` to compare every source with every receiver.
_BRUTE_FORCE_PAIRS = 1 << 15


@dataclass(frozen=True, eq=False)
class SourcePlan:
    """Cells grouped for :func:`map_pairs_within_reach`: one *source* per distinct (x, y, reach),
    sources in batches of one reach class, each batch's k-d tree built once.

    Cells of one site share a location and (within a technology) a reach, so the search
    runs once per source and hands its hits to its cells after. Depends on the cells
    only: a computation that searches the same cells for several sets of receivers
    (villages, then priority places) builds it once (:class:`~coverage_gis.models.radius.RadiusModel`).
    Cells with a non-finite or negative reach or non-finite coordinates are in no source.
    """

    #: Cell positions, sorted by (reach, y, x); each source's cells are consecutive.
    order: IntArray
    #: Per source: its first entry in ``order``, its number of cells, location and reach.
    start: IntArray
    count: IntArray
    x_m: FloatArray
    y_m: FloatArray
    reach_m: FloatArray
    #: ``(first source, end, the class's reach)`` of each batch.
    batches: list[tuple[int, int, float]]
    _trees: dict[int, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def of(cls, cell_x_m: FloatArray, cell_y_m: FloatArray, reach_m: FloatArray) -> SourcePlan:
        """The plan of cells at ``(cell_x_m, cell_y_m)`` (metric CRS) reaching ``reach_m``."""
        cx = np.asarray(cell_x_m, dtype=np.float64)
        cy = np.asarray(cell_y_m, dtype=np.float64)
        reach = np.asarray(reach_m, dtype=np.float64)
        ok = np.flatnonzero(np.isfinite(cx) & np.isfinite(cy) & np.isfinite(reach) & (reach >= 0))
        # Sorting by reach makes each distinct reach one contiguous class (radii come from
        # a small table; link-budget reaches repeat over identical cell configurations),
        # and by y within a class makes consecutive sources spatially compact batches.
        order = ok[np.lexsort((cx[ok], cy[ok], reach[ok]))]
        sx, sy, sr = cx[order], cy[order], reach[order]
        new_source = np.ones(order.size, dtype=bool)
        new_source[1:] = (np.diff(sx) != 0) | (np.diff(sy) != 0) | (np.diff(sr) != 0)
        start = np.flatnonzero(new_source)
        src_r = sr[start]
        # Few distinct reaches: one class each. Many (continuous link-budget reaches):
        # classes on a 5 % geometric ladder, queried at the class maximum, filtered exactly.
        class_start = np.flatnonzero(np.append(True, np.diff(src_r) != 0))
        if class_start.size > 64:
            ladder = np.floor(np.log(np.maximum(src_r, 1.0)) / np.log(1.05))
            class_start = np.flatnonzero(np.append(True, np.diff(ladder) != 0))
        class_end = np.append(class_start[1:], src_r.size)
        batches = [
            (lo, min(lo + _SOURCES_PER_BATCH, hi), float(src_r[hi - 1]))  # sorted: class max
            for c_lo, hi in zip(class_start.tolist(), class_end.tolist(), strict=True)
            for lo in range(c_lo, hi, _SOURCES_PER_BATCH)
        ]
        return cls(
            order=order,
            start=start,
            count=np.diff(np.append(start, order.size)),
            x_m=sx[start],
            y_m=sy[start],
            reach_m=src_r,
            batches=batches,
        )

    def __len__(self) -> int:
        return int(self.start.size)

    def tree(self, batch: int) -> Any:
        """The k-d tree of the sources of ``batches[batch]`` (built on first use; a race
        between threads only builds it twice)."""
        from scipy.spatial import cKDTree

        found = self._trees.get(batch)
        if found is None:
            lo, hi, _ = self.batches[batch]
            found = self._trees[batch] = cKDTree(np.column_stack([self.x_m[lo:hi], self.y_m[lo:hi]]))
        return found


def map_pairs_within_reach(
    receiver_x_m: FloatArray,
    receiver_y_m: FloatArray,
    cell_x_m: FloatArray,
    cell_y_m: FloatArray,
    reach_m: FloatArray,
    pair_fn: Callable[[IntArray, IntArray, FloatArray], _T],
    *,
    workers: int | None = None,
    plan: SourcePlan | None = None,
) -> list[_T]:
    """Apply ``pair_fn`` to batches of the (receiver, cell) pairs within each cell's reach.

    The exact test is ``hypot(dx, dy) <= reach_m[cell]`` (a receiver exactly on the
    circle is inside); no polygon approximates the circle. Cells (or points of any
    kind: fiber nodes, sites) with a non-finite or negative reach, and points with
    non-finite coordinates, take part in no pair. Each pair appears in exactly one
    batch. Batches run in threads (the tree queries and numpy release the GIL), so
    ``pair_fn`` must not mutate shared state.

    Parameters
    ----------
    receiver_x_m, receiver_y_m
        Receiver coordinates in a metric CRS.
    cell_x_m, cell_y_m, reach_m
        Cell coordinates in the same CRS and each cell's reach, metres.
    pair_fn
        Called as ``pair_fn(receiver, cell, distance_m)`` with index arrays into the
        inputs and the pair distances of one batch; its results are returned in a list.
    workers
        Threads; None = all CPUs.
    plan
        ``SourcePlan.of(cell_x_m, cell_y_m, reach_m)`` when the caller holds it already.
    """
    from scipy.spatial import cKDTree

    rx = np.asarray(receiver_x_m, dtype=np.float64)
    ry = np.asarray(receiver_y_m, dtype=np.float64)
    recv_ok = np.flatnonzero(np.isfinite(rx) & np.isfinite(ry))
    if recv_ok.size == 0:
        return []
    sources = plan if plan is not None else SourcePlan.of(cell_x_m, cell_y_m, reach_m)
    if not len(sources):
        return []
    order, src_x, src_y, src_r = sources.order, sources.x_m, sources.y_m, sources.reach_m
    source_start, source_count = sources.start, sources.count

    # A small problem (a point read, a few villages of an edit) is cheaper as one
    # distance matrix than as two trees and a tree join: one batch of every source,
    # each against its own reach, as a per-class batch costs more in fixed overhead
    # (here and in ``pair_fn``) than its matrix.
    brute_force = src_r.size * recv_ok.size <= _BRUTE_FORCE_PAIRS
    batches = [(0, int(src_r.size), float(src_r[-1]))] if brute_force else sources.batches
    ok_x, ok_y = rx[recv_ok], ry[recv_ok]
    recv_tree = None if brute_force else cKDTree(np.column_stack([ok_x, ok_y]))

    def candidates(batch: int) -> tuple[IntArray, IntArray]:
        """(source, receiver) candidates of a batch: a superset of the pairs within the
        class's reach (the exact test follows). Both searches give the same pairs; the
        live workspace's tests check edits (small, direct) against full computes (trees)."""
        lo, hi, class_reach = batches[batch]
        if recv_tree is None:
            dx = src_x[lo:hi, None] - ok_x[None, :]
            dy = src_y[lo:hi, None] - ok_y[None, :]
            i, j = np.nonzero(np.hypot(dx, dy) <= class_reach)
            return i + lo, recv_ok[j]
        # A hair of slack so the tree's own rounding never drops an edge receiver;
        # the exact test below decides.
        hits = sources.tree(batch).sparse_distance_matrix(
            recv_tree, class_reach * (1.0 + 1e-9) + 1e-6, output_type="ndarray"
        )
        return hits["i"] + lo, recv_ok[hits["j"]]

    def run(batch: int) -> _T:
        src, recv = candidates(batch)
        dist = np.hypot(rx[recv] - src_x[src], ry[recv] - src_y[src])
        keep = np.flatnonzero(dist <= src_r[src])
        src, recv, dist = src[keep], recv[keep], dist[keep]
        # Hand each source hit to the source's cells: slot j takes the j-th cell of
        # every source with more than j cells (a site has a handful at most).
        count = source_count[src]
        first = source_start[src]
        recv_parts, cell_parts, dist_parts = [recv], [order[first]], [dist]
        for slot in range(1, int(count.max(initial=1))):
            sel = np.flatnonzero(count > slot)
            recv_parts.append(recv[sel])
            cell_parts.append(order[first[sel] + slot])
            dist_parts.append(dist[sel])
        return pair_fn(
            np.concatenate(recv_parts).astype(np.int64, copy=False),
            np.concatenate(cell_parts).astype(np.int64, copy=False),
            np.concatenate(dist_parts),
        )

    # A thread pool costs more than it saves on small inputs (an incremental edit's few
    # villages and nearby cells): run those inline.
    every = range(len(batches))
    if len(batches) == 1 or src_r.size < _SOURCES_PER_BATCH:
        return [run(b) for b in every]
    n_workers = max(1, (os.cpu_count() or 1) if workers is None else workers)
    if n_workers == 1:
        return [run(b) for b in every]
    with ThreadPoolExecutor(max_workers=n_workers) as pool:
        return list(pool.map(run, every))


def pairs_within_reach(
    receiver_x_m: FloatArray,
    receiver_y_m: FloatArray,
    cell_x_m: FloatArray,
    cell_y_m: FloatArray,
    reach_m: FloatArray,
    *,
    workers: int | None = None,
) -> tuple[IntArray, IntArray, FloatArray]:
    """Every (receiver, cell) pair whose distance is at most the cell's reach.

    See :func:`map_pairs_within_reach` for the semantics.

    Returns
    -------
    receiver, cell, distance_m
        Index arrays into the inputs and the pair distances, in no particular order.
    """
    parts = map_pairs_within_reach(
        receiver_x_m,
        receiver_y_m,
        cell_x_m,
        cell_y_m,
        reach_m,
        lambda r, c, d: (r, c, d),
        workers=workers,
    )
    if not parts:
        return (np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.float64))
    return (
        np.concatenate([p[0] for p in parts]),
        np.concatenate([p[1] for p in parts]),
        np.concatenate([p[2] for p in parts]),
    )
