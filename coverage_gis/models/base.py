"""The array contract every coverage model implements.

A model sees cells and receivers as plain numpy arrays in one metric CRS (metres)
and answers with *candidate pairs*: every (receiver, cell) pair the model looked at
closely, with the estimated received level and whether the cell serves the receiver.
Aggregation into per-village coverage, KPIs and rasters is model-agnostic and lives
elsewhere (``coverage_gis.coverage``), so adding a model means adding one module.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]
StrArray = NDArray[np.str_]

TECHS: tuple[str, ...] = ("2G", "3G", "4G", "5G")
BROADBAND_TECHS: frozenset[str] = frozenset({"3G", "4G", "5G"})
ENVIRONMENTS: tuple[str, ...] = ("urban", "suburban", "rural")


@dataclass(frozen=True)
class CellArrays:
    """On-air cells as columns, in a metric CRS.

    ``azimuth_deg`` is NaN for an omni cell. ``environment`` is the clutter class
    (urban/suburban/rural) of the site's location. ``ground_m`` is the terrain height
    at the site (NaN when unknown; only the terrain model reads it).
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
    ``terrain_shadow`` as the cause.
    """

    receiver: IntArray
    cell: IntArray
    distance_m: FloatArray
    signal_dbm: FloatArray
    served: BoolArray
    terrain_blocked: BoolArray = field(default_factory=lambda: np.zeros(0, dtype=bool))

    def __post_init__(self) -> None:
        if self.terrain_blocked.shape != self.served.shape:
            object.__setattr__(self, "terrain_blocked", np.zeros(self.served.shape, dtype=bool))

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
