"""Mobile broadband rules (coverage_gis.mobile): evidence per batch of pairs, one row per receiver."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from coverage_gis.mobile import KindRules, mobile_evidence, mobile_from_evidence, mobile_from_pairs
from coverage_gis.models.base import CandidatePairs
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
