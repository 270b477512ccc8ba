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
import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property

import geopandas as gpd
import numpy as np

from coverage_gis.models.base import (
    CandidatePairs,
    CoverageModel,
    ReceiverArrays,
    ServedPairsModel,
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

    @cached_property
    def live_broadband(self) -> np.ndarray:
        """Per cell: on air and broadband, the cells whose levels the evidence reads."""
        return np.asarray(self.cell_on_air & self.broadband[self.cell_kind], dtype=bool)

    @cached_property
    def planned_broadband(self) -> np.ndarray:
        """Per cell: broadband but not on air (a planned site's)."""
        return np.asarray(~self.cell_on_air & self.broadband[self.cell_kind], dtype=bool)


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
    """The evidence of ``pairs`` (of cells coded by ``rules``): of the served pairs, the kind
    of those of on-air cells, the level of those of on-air broadband cells and the receiver
    of those of planned broadband cells; the receiver of each pair terrain blocks on the way
    to an on-air broadband cell (one compiled pass over the pairs)."""
    from coverage_gis._mobile_evidence import evidence_arrays

    live_key, bb_receiver, bb_signal, planned, shadowed = evidence_arrays(
        pairs.receiver,
        pairs.cell,
        pairs.signal_dbm,
        pairs.served,
        pairs.terrain_blocked,
        rules.cell_kind,
        rules.cell_on_air,
        rules.live_broadband,
        rules.planned_broadband,
        len(rules),
    )
    return MobileEvidence(
        live_key=live_key,
        broadband_receiver=bb_receiver,
        broadband_signal_dbm=bb_signal,
        planned_receiver=planned,
        shadowed_receiver=shadowed,
    )


#: The gap reasons of a receiver without mobile broadband, by its :data:`_RADIO_CAUSES`
#: code times two plus its grid power (0: none); ``None`` for a receiver with it (last).
_RADIO_CAUSES = ("no_site_in_range", "terrain_shadow", "planned_site_not_on_air")
_GAP_REASON = np.array(
    [*(r for c in _RADIO_CAUSES for r in ("no_grid_power" if c == "no_site_in_range" else c, c)), None],
    dtype=object,
)
_GAP_REASONS = np.array(
    [*(r for cause in _RADIO_CAUSES for r in (f"{cause},no_grid_power", cause)), None], dtype=object
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
    power = np.asarray(has_grid_power, dtype=bool)
    n = len(power)
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
    # Receivers share a few sets of kinds: the rules run once per distinct set, and each
    # receiver takes its set's answers.
    words = np.zeros((n, n_kinds // 64 + 1), dtype=np.uint64)
    packed = np.packbits(live_kinds.reshape(n, n_kinds), axis=1, bitorder="little")
    words.view(np.uint8)[:, : packed.shape[1]] = packed
    if words.shape[1] == 1:  # up to 63 kinds: one word per receiver, a fast 1-D unique
        sets, which = np.unique(words[:, 0], return_inverse=True)
    else:
        sets, which = np.unique(words, axis=0, return_inverse=True)
    seen_bits = sets.reshape(sets.shape[0], words.shape[1]).view(np.uint8)
    seen = np.unpackbits(seen_bits, axis=1, count=n_kinds, bitorder="little").astype(bool)
    rank = np.where(seen, rules.rank, 0).max(axis=1, initial=0)
    seen_bb = seen & rules.broadband
    bits = np.bitwise_or.reduce(np.where(seen_bb, rules.operator_bits, 0), axis=1)
    mobile_bb = np.asarray(seen_bb.any(axis=1), dtype=bool)[which]
    has_4g = np.asarray(seen[:, rules.tech == "4G"].any(axis=1), dtype=bool)[which]
    has_5g = np.asarray(seen[:, rules.tech == "5G"].any(axis=1), dtype=bool)[which]

    # Later assignments win: the most specific known cause is kept.
    radio = np.zeros(n, dtype=np.intp)
    radio[shadowed] = _RADIO_CAUSES.index("terrain_shadow")
    radio[planned_bb] = _RADIO_CAUSES.index("planned_site_not_on_air")
    code = 2 * radio + power
    code[mobile_bb] = len(_GAP_REASON) - 1
    tech = _RANK_TO_TECH[rank[which]]
    return MobileResult(
        mobile_bb, tech, bits[which], signal, has_4g, has_5g, _GAP_REASON[code], _GAP_REASONS[code]
    )


def mobile_from_pairs(pairs: CandidatePairs, cells: CellTable, has_grid_power: np.ndarray) -> MobileResult:
    """The mobile broadband rules (:func:`mobile_from_evidence`) on one set of (receiver, cell) pairs."""
    rules = KindRules.of(cells)
    return mobile_from_evidence([mobile_evidence(pairs, rules)], rules, has_grid_power)


def mobile_at(
    receivers: ReceiverArrays,
    has_grid_power: np.ndarray,
    cells: CellTable,
    *,
    model: CoverageModel,
    counted: int | None = None,
) -> MobileResult:
    """Mobile columns for each receiver (metric CRS) from the model's candidate pairs.

    The pairs are taken batch by batch where the model can (national scale: millions
    of pairs), each batch counted for the validity report and cut down to its evidence
    in the model's search threads. A model that can hand over only its served pairs
    (:class:`~coverage_gis.models.base.ServedPairsModel`) does, with levels for the
    on-air broadband cells alone: the evidence reads nothing else. The validity report
    counts the pairs of the first ``counted`` receivers (None: of all).
    """
    rules = KindRules.of(cells)

    def evidence(pairs: CandidatePairs) -> MobileEvidence:
        return mobile_evidence(pairs, rules)

    def reduce(pairs: CandidatePairs) -> tuple[MobileEvidence, ValidityReport]:
        mine = slice(None) if counted is None else pairs.receiver < counted
        return evidence(pairs), ValidityReport.from_arrays(pairs.formula[mine], pairs.outside[mine])

    if not len(cells) or not len(receivers):
        parts, validity = [evidence(CandidatePairs.empty())], ValidityReport()
    elif isinstance(model, ServedPairsModel):
        live_bb = rules.live_broadband
        parts, validity = model.map_served_pairs(
            receivers, cells.arrays, evidence, level_of=live_bb, counted=counted
        )
    else:
        both = map_candidate_pairs(model, receivers, cells.arrays, reduce)
        parts, validity = [e for e, _ in both], ValidityReport.merge([v for _, v in both])
    return dataclasses.replace(mobile_from_evidence(parts, rules, has_grid_power), validity=validity)


def mobile_at_sets(
    sets: Sequence[tuple[ReceiverArrays, np.ndarray]], cells: CellTable, *, model: CoverageModel
) -> list[MobileResult]:
    """:func:`mobile_at` of several sets of receivers (with their grid power) in one search.

    The model's work per cell and its pass over the cells are paid once for all the
    sets (villages, then priority places: national scale has 113k sites to pass over
    for 13k places). Each receiver's result is the one a search of its own set gives;
    the first set's validity report counts its own pairs, the others' reports are empty.
    Sets at different receiver heights, or with ground heights, are searched one by one.
    """
    if not sets:
        return []
    first = sets[0][0]
    if len(sets) == 1 or any(r.height_m != first.height_m or r.ground_m is not None for r, _ in sets):
        return [mobile_at(r, power, cells, model=model) for r, power in sets]
    joined = ReceiverArrays(
        x_m=np.concatenate([r.x_m for r, _ in sets]),
        y_m=np.concatenate([r.y_m for r, _ in sets]),
        height_m=first.height_m,
    )
    power = np.concatenate([np.asarray(p, dtype=bool) for _, p in sets])
    whole = mobile_at(joined, power, cells, model=model, counted=len(first))
    bounds = np.cumsum([0, *(len(r) for r, _ in sets)])
    return [
        _rows(whole, int(lo), int(hi), whole.validity if k == 0 else ValidityReport())
        for k, (lo, hi) in enumerate(itertools.pairwise(bounds))
    ]


def _rows(result: MobileResult, lo: int, hi: int, validity: ValidityReport) -> MobileResult:
    """Receivers ``lo:hi`` of ``result``, with ``validity``."""
    columns = {
        f.name: getattr(result, f.name)[lo:hi] for f in dataclasses.fields(result) if f.name != "validity"
    }
    return MobileResult(**columns, validity=validity)


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
