"""Mobile broadband rules (coverage_gis.mobile): evidence per batch of pairs, one row per receiver."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coverage_gis.crs import metric_to_lonlat
from coverage_gis.mobile import (
    KindRules,
    MobileResult,
    mobile_at,
    mobile_at_sets,
    mobile_evidence,
    mobile_from_evidence,
    mobile_from_pairs,
)
from coverage_gis.models import RadiusModel, load_model_settings
from coverage_gis.models.base import CandidatePairs, CellArrays, ReceiverArrays
from coverage_gis.network import CellTable, bits_to_names, cell_table

from .conftest import METRIC, tiny_layers


def _cells() -> CellTable:
    layers = tiny_layers()
    # 0: Viettel 4G, 1: VNPT 4G, 2: Viettel 2G (on air); 3: Viettel 4G (planned site).
    return cell_table(layers["sites"], layers["cells"], communes=None, metric_crs=METRIC)


def _pairs(receiver: list[int], cell: list[int], served: list[bool], blocked: list[bool]) -> CandidatePairs:
    n = len(receiver)
    return CandidatePairs(
        np.array(receiver, dtype=np.int64),
        np.array(cell, dtype=np.int64),
        np.full(n, 100.0),
        np.where(served, -80.0 - np.arange(n), np.nan),
        np.array(served, dtype=bool),
        np.array(blocked, dtype=bool),
    )


def test_the_rules_by_receiver() -> None:
    # 0: cells 1 and 2 serve; 1: only the planned 3; 2: terrain blocks 0; 3: nothing, and no grid power.
    pairs = _pairs([0, 0, 1, 2], [1, 2, 3, 0], [True, True, True, False], [False, False, False, True])
    result = mobile_from_pairs(pairs, _cells(), np.array([True, True, True, False]))
    assert list(result.mobile_bb) == [True, False, False, False]
    assert list(result.best_tech) == ["4G", None, None, None]
    # VNPT only: Viettel's cell there is 2G, not broadband.
    assert list(bits_to_names(result.operator_bits)) == ["VNPT", "", "", ""]
    assert result.best_signal_dbm[0] == -80.0
    assert np.isnan(result.best_signal_dbm[1:]).all()
    assert list(result.gap_reason) == [None, "planned_site_not_on_air", "terrain_shadow", "no_grid_power"]
    assert list(result.gap_reasons)[3] == "no_site_in_range,no_grid_power"


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 4), st.integers(0, 3), st.booleans(), st.booleans(), st.integers(1, 3)),
        max_size=40,
    )
)
def test_evidence_of_batches_adds_up(rows: list[tuple[int, int, bool, bool, int]]) -> None:
    cells = _cells()
    rules = KindRules.of(cells)
    power = np.array([True, False, True, True, False])
    pairs = _pairs([r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows], [r[3] for r in rows])
    batch = np.array([r[4] for r in rows], dtype=np.int64)
    parts = [
        mobile_evidence(dataclasses.replace(pairs, **_take(pairs, batch == b)), rules) for b in (1, 2, 3)
    ]
    split = mobile_from_evidence(parts, rules, power)
    whole = mobile_from_pairs(pairs, cells, power)
    for f in dataclasses.fields(whole):
        a, b = getattr(split, f.name), getattr(whole, f.name)
        if isinstance(a, np.ndarray):
            assert a.dtype == b.dtype, f.name
            assert pd.Series(a).equals(pd.Series(b)), f.name


def _take(pairs: CandidatePairs, mask: np.ndarray) -> dict[str, np.ndarray]:
    return {f.name: getattr(pairs, f.name)[mask] for f in dataclasses.fields(pairs)}


# ----------------------------------------------------- the rules per receiver, on paper


def _by_hand(pairs: CandidatePairs, rules: KindRules, power: np.ndarray) -> dict[str, list[object]]:
    """The mobile rules receiver by receiver, in plain Python (the oracle)."""
    out: dict[str, list[object]] = {
        k: [] for k in ("bb", "tech", "bits", "signal", "4g", "5g", "reason", "reasons")
    }
    for i in range(len(power)):
        live: set[int] = set()
        levels: list[float] = []
        planned = shadowed = False
        for r, c, s, ok, blocked in zip(
            pairs.receiver, pairs.cell, pairs.signal_dbm, pairs.served, pairs.terrain_blocked, strict=True
        ):
            if r != i:
                continue
            kind, on_air = int(rules.cell_kind[c]), bool(rules.cell_on_air[c])
            bb = bool(rules.broadband[kind])
            if ok and on_air:
                live.add(kind)
                if bb and not np.isnan(s):
                    levels.append(float(s))
            planned |= bool(ok and not on_air and bb)
            shadowed |= bool(blocked and on_air and bb)
        bb_kinds = [k for k in live if rules.broadband[k]]
        best = max((int(rules.rank[k]) for k in live), default=0)
        out["bb"].append(bool(bb_kinds))
        out["tech"].append(
            None if best == 0 else next(t for k, t in enumerate(rules.tech) if rules.rank[k] == best)
        )
        bits = 0
        for k in bb_kinds:
            bits |= int(rules.operator_bits[k])
        out["bits"].append(bits)
        out["signal"].append(max(levels) if levels else None)
        out["4g"].append(any(rules.tech[k] == "4G" for k in live))
        out["5g"].append(any(rules.tech[k] == "5G" for k in live))
        cause = "planned_site_not_on_air" if planned else "terrain_shadow" if shadowed else "no_site_in_range"
        if bb_kinds:
            out["reason"].append(None)
            out["reasons"].append(None)
        else:
            main = "no_grid_power" if not power[i] and cause == "no_site_in_range" else cause
            out["reason"].append(main)
            out["reasons"].append(cause if power[i] else f"{cause},no_grid_power")
    return out


def _as_lists(result: MobileResult) -> dict[str, list[object]]:
    signal = [None if np.isnan(s) else float(s) for s in result.best_signal_dbm]
    return {
        "bb": result.mobile_bb.tolist(),
        "tech": result.best_tech.tolist(),
        "bits": result.operator_bits.tolist(),
        "signal": signal,
        "4g": result.has_4g.tolist(),
        "5g": result.has_5g.tolist(),
        "reason": result.gap_reason.tolist(),
        "reasons": result.gap_reasons.tolist(),
    }


_pair_rows = st.lists(
    st.tuples(st.integers(0, 5), st.integers(0, 3), st.booleans(), st.booleans(), st.booleans()), max_size=40
)


@settings(max_examples=80, deadline=None)
@given(rows=_pair_rows, power=st.lists(st.booleans(), min_size=6, max_size=6))
def test_property_the_rules_match_the_receiver_by_receiver_reading(
    rows: list[tuple[int, int, bool, bool, bool]], power: list[bool]
) -> None:
    rules = KindRules.of(_cells())
    pairs = _pairs([r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows], [r[3] for r in rows])
    # Some served broadband pairs without a level (NaN): they serve, but show no signal.
    signal = np.where(np.array([r[4] for r in rows], dtype=bool), np.nan, pairs.signal_dbm)
    pairs = dataclasses.replace(pairs, signal_dbm=signal)
    got = mobile_from_evidence([mobile_evidence(pairs, rules)], rules, np.array(power))
    assert _as_lists(got) == _by_hand(pairs, rules, np.array(power))


@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_property_the_rules_hold_with_more_kinds_than_a_word_holds(data: st.DataObject) -> None:
    # 70 kinds: the sets of kinds a receiver has span two 64-bit words.
    n_kinds, n_cells, n = 70, 90, 8
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    techs = np.array(["2G", "3G", "4G", "5G", None], dtype=object)
    tech = techs[rng.integers(0, 5, n_kinds)]
    rules = KindRules(
        cell_kind=rng.integers(0, n_kinds, n_cells),
        cell_on_air=rng.random(n_cells) < 0.8,
        tech=tech,
        broadband=np.array([t in ("3G", "4G", "5G") for t in tech]),
        rank=np.array([{"2G": 1, "3G": 2, "4G": 3, "5G": 4}.get(str(t), 0) for t in tech], dtype=np.int64),
        operator_bits=(1 << rng.integers(0, 4, n_kinds)).astype(np.int64),
    )
    m = data.draw(st.integers(0, 120))
    pairs = _pairs(
        rng.integers(0, n, m).tolist(),
        rng.integers(0, n_cells, m).tolist(),
        (rng.random(m) < 0.7).tolist(),
        (rng.random(m) < 0.1).tolist(),
    )
    power = rng.random(n) < 0.7
    got = mobile_from_evidence([mobile_evidence(pairs, rules)], rules, power)
    assert _as_lists(got) == _by_hand(pairs, rules, power)


# ------------------------------------------------- mobile_at: served pairs or every pair


class _EveryPair:
    """The radius model without its served-pairs pass: the mobile rules read every pair."""

    def __init__(self, model: RadiusModel) -> None:
        self.model = model
        self.name = model.name

    def candidate_pairs(self, receivers: ReceiverArrays, cells: CellArrays) -> CandidatePairs:
        return self.model.candidate_pairs(receivers, cells)

    def max_range_m(self, cells: CellArrays) -> np.ndarray:
        return self.model.max_range_m(cells)

    def map_pairs(
        self, receivers: ReceiverArrays, cells: CellArrays, fn: Callable[[CandidatePairs], Any]
    ) -> list[Any]:
        return self.model.map_pairs(receivers, cells, fn)


def _random_network(rng: np.random.Generator, n_sites: int) -> CellTable:
    x0, y0 = 500_000.0, 1_550_000.0
    xy = rng.uniform(0, 30_000, (n_sites, 2))
    lon, lat = metric_to_lonlat(x0 + xy[:, 0], y0 + xy[:, 1], METRIC)
    sites = gpd.GeoDataFrame(
        {
            "site_id": [f"S{i}" for i in range(n_sites)],
            "status": rng.choice(["on_air", "on_air", "planned"], n_sites),
            "height_m": rng.uniform(15, 45, n_sites),
        },
        geometry=gpd.points_from_xy(lon, lat),
        crs="EPSG:4326",
    )
    per_site = rng.integers(1, 7, n_sites)
    site = np.repeat(np.arange(n_sites), per_site)
    n = site.size
    tech = rng.choice(["2G", "3G", "4G", "5G"], n)
    cells = pd.DataFrame(
        {
            "cell_id": [f"C{i}" for i in range(n)],
            "site_id": [f"S{s}" for s in site],
            "operator": rng.choice(["Viettel", "VNPT", "MobiFone", "Vietnamobile"], n),
            "tech": tech,
            "band_mhz": np.where(tech == "5G", 3500.0, rng.choice([700.0, 900.0, 1800.0, 2100.0], n)),
            "azimuth_deg": np.where(rng.random(n) < 0.3, np.nan, rng.choice([0.0, 120.0, 240.0, 75.0], n)),
            "eirp_dbm": np.full(n, 60.0),
            "status": rng.choice(["on_air", "on_air", "on_air", "planned"], n),
        }
    )
    return cell_table(sites, cells, communes=None, metric_crs=METRIC)


def _assert_same_columns(got: MobileResult, want: MobileResult) -> None:
    """Every column equal, to the dtype (some receivers covered, not all)."""
    assert got.mobile_bb.any()
    assert not got.mobile_bb.all()
    for f in dataclasses.fields(got):
        a, b = getattr(got, f.name), getattr(want, f.name)
        if isinstance(a, np.ndarray):
            assert a.dtype == b.dtype, f.name
            assert pd.Series(a).equals(pd.Series(b)), f.name


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_served_pairs_give_the_results_of_every_pair(seed: int) -> None:
    rng = np.random.default_rng(seed)
    cells = _random_network(rng, 400)
    xy = rng.uniform(0, 30_000, (3000, 2)) + np.array([500_000.0, 1_550_000.0])
    # A few receivers on sites (distance 0) and one without coordinates.
    xy[:5] = np.column_stack([cells.arrays.x_m[:5], cells.arrays.y_m[:5]])
    xy[5] = np.nan
    receivers = ReceiverArrays(xy[:, 0], xy[:, 1])
    power = rng.random(len(xy)) < 0.8
    model = RadiusModel(load_model_settings(), workers=2)
    fast = mobile_at(receivers, power, cells, model=model)
    every = mobile_at(receivers, power, cells, model=_EveryPair(model))
    _assert_same_columns(fast, every)
    assert fast.validity.as_dict() == every.validity.as_dict()
    assert fast.validity.pairs > 0


@pytest.mark.parametrize("every_pair", [False, True])
def test_sets_searched_together_give_what_each_gives_alone(every_pair: bool) -> None:
    """Villages and places in one search: each receiver's result is its own set's, and the
    validity report counts the first set's pairs only (both the served-pairs pass and the
    model's every-pair path)."""
    rng = np.random.default_rng(7)
    cells = _random_network(rng, 300)
    origin = np.array([500_000.0, 1_550_000.0])
    first_xy = rng.uniform(0, 30_000, (2000, 2)) + origin
    second_xy = rng.uniform(0, 30_000, (300, 2)) + origin
    first = ReceiverArrays(first_xy[:, 0], first_xy[:, 1])
    second = ReceiverArrays(second_xy[:, 0], second_xy[:, 1])
    first_power, second_power = rng.random(2000) < 0.7, np.ones(300, dtype=bool)
    radius = RadiusModel(load_model_settings(), workers=2)
    model: Any = _EveryPair(radius) if every_pair else radius
    sets = [(first, first_power), (second, second_power)]
    together = mobile_at_sets(sets, cells, model=model)
    alone = [mobile_at(r, power, cells, model=model) for r, power in sets]
    for got, want in zip(together, alone, strict=True):
        _assert_same_columns(got, want)
    assert together[0].validity.as_dict() == alone[0].validity.as_dict()
    assert together[0].validity.pairs > 0
    assert together[1].validity.pairs == 0
