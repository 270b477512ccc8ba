"""The array contract every coverage model implements.

A model sees cells and receivers as plain numpy arrays in one metric CRS (metres)
and answers with *candidate pairs*: every (receiver, cell) pair the model looked at
closely, with the estimated received level and whether the cell serves the receiver.
Aggregation into per-village coverage, KPIs and rasters is model-agnostic and lives
elsewhere (``coverage_gis.coverage``), so adding a model means adding one module.
"""

from __future__ import annotations

import os
import weakref
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, runtime_checkable

import numpy as np
from numpy.typing import NDArray

from coverage_gis.models.validity import ValidityReport

# Re-exported: the models read the vocabularies through this module.
from coverage_gis.vocabulary import ENVIRONMENTS as ENVIRONMENTS
from coverage_gis.vocabulary import TECHS as TECHS

if TYPE_CHECKING:
    from coverage_gis.models._search import ReceiverRows

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
        """A subset of the cells, in the order of ``index``.

        The part remembers (weakly) the cells it was taken from and ``index``
        (:meth:`origin`): a model holding those cells' per-cell terms reads the part's
        from them (:class:`HoldsCellTerms`).
        """
        values: dict[str, Any] = {}
        for name in self.__dataclass_fields__:
            col = getattr(self, name)
            values[name] = None if col is None else col[index]
        part = CellArrays(**values)
        # Not a field: equality, copies and the part's own parts do not carry it.
        object.__setattr__(part, "_origin", (weakref.ref(self), np.asarray(index, dtype=np.int64)))
        return part

    def __getstate__(self) -> dict[str, Any]:
        """Pickled without its origin (a weak reference, this process's own)."""
        return {k: v for k, v in self.__dict__.items() if k != "_origin"}

    def origin(self) -> tuple[CellArrays, IntArray] | None:
        """The cells this part was taken from and its rows in them (:meth:`take`), while
        those cells live; None for cells not taken from others."""
        held: tuple[weakref.ref[CellArrays], IntArray] | None = self.__dict__.get("_origin")
        if held is None:
            return None
        whole = held[0]()
        return None if whole is None else (whole, held[1])


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
class HoldsCellTerms(Protocol):
    """A model that can keep one table's per-cell terms, so that the parts taken from it
    (:meth:`CellArrays.take`: the few cells near a point) read theirs from them."""

    def hold_terms(self, cells: CellArrays, *, receiver_height_m: float = ...) -> None:
        """Compute and keep the per-cell terms of ``cells`` (one table: the next replaces it)."""


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


@runtime_checkable
class ServedPairsModel(CoverageModel, Protocol):
    """A model that can hand over only its served pairs, batch by batch.

    ``map_served_pairs(receivers, cells, fn, level_of=..., counted=None)`` returns ``fn``
    of each batch of the served pairs ``candidate_pairs`` returns (all of them, each once,
    in any order), and the validity report of *all* the candidate pairs of the first
    ``counted`` receivers (None: of every receiver). Only the pairs
    whose cell is in ``level_of`` (a mask over the cells) need their level and distance;
    the others may show NaN for both. A caller that reads only served pairs and the levels of some cells
    (the mobile rules) is spared the rest.
    """

    def map_served_pairs(
        self,
        receivers: ReceiverArrays,
        cells: CellArrays,
        fn: Callable[[CandidatePairs], _T],
        *,
        level_of: BoolArray,
        counted: int | None = None,
    ) -> tuple[list[_T], ValidityReport]:
        """``fn`` of each batch of the served pairs, and the validity report of all pairs."""
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


#: Sources per batch of :func:`map_pairs_within_reach` (and of the models' own searches
#: over a :class:`SourcePlan`): enough work per batch to pay for its dispatch, small
#: enough that a batch's pairs stay in cache for the caller's function and the batches
#: spread over the threads.
_SOURCES_PER_BATCH = 4096


@dataclass(frozen=True, eq=False)
class SourcePlan:
    """Cells grouped for :func:`map_pairs_within_reach`: one *source* per distinct (x, y, reach),
    sources in batches.

    Cells of one site share a location and (within a technology) a reach, so the search
    runs once per source and hands its hits to its cells after. Depends on the cells
    only: a computation that searches the same cells for several sets of receivers
    (villages, then priority places) builds it once (:class:`~coverage_gis.models.radius.RadiusModel`).
    Cells with a non-finite or negative reach or non-finite coordinates are in no source.
    """

    #: Cell positions, sorted by (y, x, reach); each source's cells are consecutive.
    order: IntArray
    #: Per source: its first entry in ``order``, its number of cells, location and reach.
    start: IntArray
    count: IntArray
    x_m: FloatArray
    y_m: FloatArray
    reach_m: FloatArray
    #: ``(first source, end)`` of each batch: consecutive sources, so a batch is a band
    #: of the map.
    batches: list[tuple[int, int]]

    @classmethod
    def of(cls, cell_x_m: FloatArray, cell_y_m: FloatArray, reach_m: FloatArray) -> SourcePlan:
        """The plan of cells at ``(cell_x_m, cell_y_m)`` (metric CRS) reaching ``reach_m``."""
        cx = np.asarray(cell_x_m, dtype=np.float64)
        cy = np.asarray(cell_y_m, dtype=np.float64)
        reach = np.asarray(reach_m, dtype=np.float64)
        ok = np.flatnonzero(np.isfinite(cx) & np.isfinite(cy) & np.isfinite(reach) & (reach >= 0))
        # Sorting by location makes each source's cells consecutive and each batch of
        # consecutive sources a compact band, whose receivers stay in cache.
        order = _lexsort_yxr(ok, cy, cx, reach)
        sx, sy, sr = cx[order], cy[order], reach[order]
        new_source = np.ones(order.size, dtype=bool)
        new_source[1:] = (np.diff(sx) != 0) | (np.diff(sy) != 0) | (np.diff(sr) != 0)
        start = np.flatnonzero(new_source)
        n = int(start.size)
        return cls(
            order=order,
            start=start,
            count=np.diff(np.append(start, order.size)),
            x_m=sx[start],
            y_m=sy[start],
            reach_m=sr[start],
            batches=[(lo, min(lo + _SOURCES_PER_BATCH, n)) for lo in range(0, n, _SOURCES_PER_BATCH)],
        )

    def __len__(self) -> int:
        return int(self.start.size)

    @property
    def arrays(self) -> tuple[FloatArray, FloatArray, FloatArray]:
        """``(x_m, y_m, reach_m)`` of the sources, as the search kernels take them."""
        return self.x_m, self.y_m, self.reach_m

    @property
    def members(self) -> tuple[IntArray, IntArray, IntArray]:
        """``(start, count, order)``: the cells of each source, as the search kernels take them."""
        return self.start, self.count, self.order

    def receiver_rows(self, receiver_x_m: FloatArray, receiver_y_m: FloatArray) -> ReceiverRows:
        """The receivers bucketed for a search from these sources (rows of twice the median reach)."""
        from coverage_gis.models._search import ReceiverRows

        row_m = 2.0 * float(np.median(self.reach_m)) if len(self) else 1.0
        return ReceiverRows.of(receiver_x_m, receiver_y_m, row_m)

    def map_batches(self, run: Callable[[int, int], _T], *, workers: int | None) -> list[_T]:
        """``run(lo, hi)`` of each batch of sources, in ``workers`` threads (None: all CPUs)
        when there are several batches, inline otherwise."""
        every = self.batches
        n_workers = max(1, (os.cpu_count() or 1) if workers is None else workers)
        # A thread pool costs more than it saves on small inputs (an incremental edit's
        # few villages and nearby cells): run those inline.
        if len(every) <= 1 or n_workers == 1:
            return [run(lo, hi) for lo, hi in every]
        with ThreadPoolExecutor(max_workers=n_workers) as pool:
            return list(pool.map(lambda batch: run(*batch), every))


def _lexsort_yxr(ok: IntArray, y: FloatArray, x: FloatArray, r: FloatArray) -> IntArray:
    """``ok`` ordered as ``ok[numpy.lexsort((r[ok], x[ok], y[ok]))]`` (``ok``: finite values).

    A sort by ``y`` (numpy's quicksort: SIMD, and no stable sort needed) and then a
    compiled pass over the short runs of equal ``y`` (the cells of one site), each sorted
    by ``(x, r)`` and then by position, as a stable sort leaves ties: a fifth of
    ``lexsort``'s time on 370k cells.
    """
    from coverage_gis.models._search import sort_runs

    order = ok[np.argsort(y[ok])]
    for lo, hi in sort_runs(order, y[order], x, r):
        run = order[lo:hi]
        order[lo:hi] = run[np.lexsort((run, r[run], x[run]))]
    return np.asarray(order, dtype=np.int64)


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
    batch. Batches run in threads (the compiled search releases the GIL, and so does
    numpy), so ``pair_fn`` must not mutate shared state.

    The search (:mod:`coverage_gis.models._search`) buckets the receivers in rows and
    scans, for each distinct (location, reach) of the cells, the rows its disc overlaps;
    the hits of a location go to each of its cells.

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
    from coverage_gis.models._search import cell_pairs, source_hits

    sources = plan if plan is not None else SourcePlan.of(cell_x_m, cell_y_m, reach_m)
    if not len(sources):
        return []
    rows = sources.receiver_rows(receiver_x_m, receiver_y_m)
    if not len(rows):
        return []

    def run(lo: int, hi: int) -> _T:
        src, recv, dist = source_hits(rows.arrays, sources.arrays, lo, hi)
        return pair_fn(*cell_pairs(src, recv, dist, sources.members))

    return sources.map_batches(run, workers=workers)


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
