"""Mobile broadband at a point: the mobile columns of ``village_coverage`` (``docs/architecture.md``,
coverage rules).

Owns the definition of *mobile broadband* at a receiver (a village centre, a priority
place, a point read): served by an on-air 3G/4G/5G cell under the workspace's coverage
model, its best technology, operators and signal, and the mobile gap reasons. The rules
read the model's (receiver, cell) pairs in two steps: :func:`mobile_evidence` cuts a
batch of pairs down to what decides anything here (it runs in the model's search
threads, batch by batch), :func:`mobile_from_evidence` turns the evidence of every
batch into one result row per receiver. Vectorised throughout; no Python loop over pairs.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np

from coverage_gis.models.base import (
    CandidatePairs,
    CoverageModel,
    ReceiverArrays,
    is_broadband,
    map_candidate_pairs,
)
from coverage_gis.models.validity import ValidityReport
from coverage_gis.network import CellTable, receivers_of
from coverage_gis.vocabulary import TECH_RANK, TECHS

_RANK_TO_TECH = np.array([None, *TECHS], dtype=object)


@dataclass(frozen=True)
class MobileResult:
    """Per-village mobile columns, aligned with the villages passed in.

    ``validity`` counts the (village, cell) pairs the model examined per formula and
    those outside its validity range (:class:`~coverage_gis.models.validity.ValidityReport`).
    """

    mobile_bb: np.ndarray
    best_tech: np.ndarray
    operator_bits: np.ndarray
    best_signal_dbm: np.ndarray
    has_4g: np.ndarray
    has_5g: np.ndarray
    gap_reason: np.ndarray
    gap_reasons: np.ndarray
    validity: ValidityReport = field(default_factory=ValidityReport)


@dataclass(frozen=True)
class KindRules:
    """The mobile rules per (technology, operator) kind of a cell table, and each cell's kind.

    A table has a few kinds: the rules (broadband, technology rank, operator bit) are
    looked up once per kind and reach the cells, or the pairs, by the kind's code.
    """

    #: Per cell: its kind, and whether it radiates now.
    cell_kind: np.ndarray
    cell_on_air: np.ndarray
    #: Per kind: technology, broadband, technology rank (0: none), operator bit.
    tech: np.ndarray
    broadband: np.ndarray
    rank: np.ndarray
    operator_bits: np.ndarray

    @classmethod
    def of(cls, cells: CellTable) -> KindRules:
        kinds = cells.kinds
        tech = kinds.tech
        named = np.array([t is not None for t in tech], dtype=bool)
        broadband = np.zeros(len(tech), dtype=bool)
        broadband[named] = is_broadband(tech[named].astype(str))
        return cls(
            cell_kind=kinds.code,
            cell_on_air=cells.on_air,
            tech=tech,
            broadband=broadband,
            rank=np.array([TECH_RANK.get(str(t), 0) for t in tech], dtype=np.int64),
            operator_bits=kinds.operator_bits,
        )

    def __len__(self) -> int:
        return len(self.tech)


@dataclass(frozen=True)
class MobileEvidence:
    """What a set of (receiver, cell) pairs says about mobile broadband at each receiver.

    Only the pairs that decide anything: served by an on-air cell (its kind), served by a
    broadband one (its level), served by a planned broadband cell, blocked by terrain on
    the way to an on-air broadband cell. Receivers may repeat, within one evidence and
    across the evidence of several batches.
    """

    #: ``receiver * len(rules) + kind`` of each pair served by an on-air cell.
    live_key: np.ndarray
    #: Receiver and level of each pair served by an on-air broadband cell.
    broadband_receiver: np.ndarray
    broadband_signal_dbm: np.ndarray
    #: Receivers a planned broadband cell would serve, and receivers terrain shadows.
    planned_receiver: np.ndarray
    shadowed_receiver: np.ndarray


def mobile_evidence(pairs: CandidatePairs, rules: KindRules) -> MobileEvidence:
    """The evidence of ``pairs`` (of cells coded by ``rules``)."""
    blocked = pairs.terrain_blocked
    any_blocked = bool(blocked.any())
    keep = np.flatnonzero(pairs.served | blocked) if any_blocked else np.flatnonzero(pairs.served)
    receiver, cell = pairs.receiver[keep], pairs.cell[keep]
    kind = rules.cell_kind[cell]
    on_air = rules.cell_on_air[cell]
    broadband = rules.broadband[kind]
    served = pairs.served[keep] if any_blocked else np.ones(keep.size, dtype=bool)
    live = served & on_air
    live_bb = np.flatnonzero(live & broadband)
    shadowed = receiver[blocked[keep] & on_air & broadband] if any_blocked else receiver[:0]
    return MobileEvidence(
        live_key=receiver[live] * len(rules) + kind[live],
        broadband_receiver=receiver[live_bb],
        broadband_signal_dbm=pairs.signal_dbm[keep[live_bb]],
        planned_receiver=receiver[served & ~on_air & broadband],
        shadowed_receiver=shadowed,
    )


def mobile_from_evidence(
    parts: Sequence[MobileEvidence], rules: KindRules, has_grid_power: np.ndarray
) -> MobileResult:
    """The mobile broadband rules on the evidence of every batch: one result row per receiver.

    A receiver has mobile broadband when an on-air 3G/4G/5G cell serves it; its best
    technology is the newest any on-air cell serving it has (2G included); its signal
    the best broadband level. A receiver without it gets its gap reasons:

    * the radio cause, most specific first: ``planned_site_not_on_air`` (a planned
      broadband cell would serve it), ``terrain_shadow`` (an on-air one would, but for
      the terrain), else ``no_site_in_range``;
    * ``no_grid_power`` besides, when it has no grid power.

    ``gap_reasons`` lists them all, comma-joined, the radio cause first; ``gap_reason``
    is the one a single-cause list shows: the radio cause, except that
    ``no_grid_power`` outranks ``no_site_in_range``.
    """
    n = len(has_grid_power)
    n_kinds = len(rules)
    # Which kinds serve each receiver live, one flag per (receiver, kind): rank, operators,
    # broadband and 4G/5G are all read off these flags.
    live_kinds = np.zeros(n * n_kinds, dtype=bool)
    signal = np.full(n, -np.inf)
    planned_bb = np.zeros(n, dtype=bool)
    shadowed = np.zeros(n, dtype=bool)
    for part in parts:
        live_kinds[part.live_key] = True
        level = part.broadband_signal_dbm
        np.maximum.at(signal, part.broadband_receiver, np.where(np.isnan(level), -np.inf, level))
        planned_bb[part.planned_receiver] = True
        shadowed[part.shadowed_receiver] = True
    signal[np.isneginf(signal)] = np.nan
    seen = live_kinds.reshape(n, n_kinds)
    rank = np.where(seen, rules.rank, 0).max(axis=1, initial=0)
    seen_bb = seen & rules.broadband
    bits = np.bitwise_or.reduce(np.where(seen_bb, rules.operator_bits, 0), axis=1)
    mobile_bb = np.asarray(seen_bb.any(axis=1), dtype=bool)
    has_4g = np.asarray(seen[:, rules.tech == "4G"].any(axis=1), dtype=bool)
    has_5g = np.asarray(seen[:, rules.tech == "5G"].any(axis=1), dtype=bool)

    # Later assignments win: the most specific known cause is kept.
    radio = np.full(n, "no_site_in_range", dtype=object)
    radio[shadowed] = "terrain_shadow"
    radio[planned_bb] = "planned_site_not_on_air"
    reason = radio.copy()
    reason[~has_grid_power & (radio == "no_site_in_range")] = "no_grid_power"
    reasons = np.where(has_grid_power, radio, radio + ",no_grid_power").astype(object)
    reason[mobile_bb] = None
    reasons[mobile_bb] = None
    return MobileResult(mobile_bb, _RANK_TO_TECH[rank], bits, signal, has_4g, has_5g, reason, reasons)


def mobile_from_pairs(pairs: CandidatePairs, cells: CellTable, has_grid_power: np.ndarray) -> MobileResult:
    """The mobile broadband rules (:func:`mobile_from_evidence`) on one set of (receiver, cell) pairs."""
    rules = KindRules.of(cells)
    return mobile_from_evidence([mobile_evidence(pairs, rules)], rules, has_grid_power)


def mobile_at(
    receivers: ReceiverArrays, has_grid_power: np.ndarray, cells: CellTable, *, model: CoverageModel
) -> MobileResult:
    """Mobile columns for each receiver (metric CRS) from the model's candidate pairs.

    The pairs are taken batch by batch where the model can (national scale: millions
    of pairs), each batch counted for the validity report and cut down to its evidence
    in the model's search threads.
    """
    rules = KindRules.of(cells)

    def reduce(pairs: CandidatePairs) -> tuple[MobileEvidence, ValidityReport]:
        return mobile_evidence(pairs, rules), ValidityReport.from_arrays(pairs.formula, pairs.outside)

    if not len(cells) or not len(receivers):
        parts = [reduce(CandidatePairs.empty())]
    else:
        parts = map_candidate_pairs(model, receivers, cells.arrays, reduce)
    result = mobile_from_evidence([e for e, _ in parts], rules, has_grid_power)
    return dataclasses.replace(result, validity=ValidityReport.merge([v for _, v in parts]))


def grid_power(points: gpd.GeoDataFrame) -> np.ndarray:
    """Whether each village has grid power (unknown: it has): the mobile gap reason reads it."""
    return points["has_grid_power"].fillna(True).to_numpy(dtype=bool)


def mobile_coverage(
    villages: gpd.GeoDataFrame,
    cells: CellTable,
    *,
    model: CoverageModel,
    metric_crs: str,
) -> MobileResult:
    """Mobile columns for each village from the model's candidate pairs."""
    return mobile_at(receivers_of(villages, metric_crs), grid_power(villages), cells, model=model)
