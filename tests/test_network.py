"""Layers to model arrays (coverage_gis.network): which cells radiate, clutter classes, site offers."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coverage_gis.network import (
    CellKinds,
    CellTable,
    bits_to_names,
    cell_table,
    concat_tables,
    operator_bits,
    points_xy_m,
    site_environment,
)
from coverage_gis.site_offer import SiteOffer, site_operators

from .conftest import METRIC, at, tiny_layers


def _sites() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "site_id": ["ON", "PLAN", "GONE"],
            "status": ["on_air", "planned", "decommissioned"],
            "height_m": [30.0, 40.0, 30.0],
            "environment": [None, "urban", None],
        },
        geometry=[at(0, 0), at(1000, 0), at(2000, 0)],
        crs="EPSG:4326",
    )


def _cells() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "cell_id": ["a", "b", "c", "d", "e", "f", "g"],
            "site_id": ["ON", "ON", "ON", "ON", "PLAN", "GONE", "NOWHERE"],
            "operator": ["VNPT", "Viettel", "Viettel", "MobiFone", "Vietnamobile", "Viettel", "Viettel"],
            "tech": ["4G", "2G", "5G", "4G", "4G", "4G", "4G"],
            "status": ["on_air", "on_air", "on_air", "decommissioned", "on_air", "on_air", "on_air"],
        }
    )


def test_a_cell_radiates_when_it_and_its_site_are_on_air() -> None:
    table = cell_table(_sites(), _cells(), communes=None, metric_crs=METRIC)
    # d is decommissioned, f sits on a decommissioned site, g on no site at all.
    assert list(table.cell_id) == ["a", "b", "c", "e"]
    assert list(table.on_air) == [True, True, True, False]  # e: on-air cell on a planned site
    assert list(table.arrays.height_m) == [30.0, 30.0, 30.0, 40.0]
    assert table.arrays.x_m[3] - table.arrays.x_m[0] == pytest.approx(1000.0, abs=1e-6)
    only_live = cell_table(_sites(), _cells(), communes=None, metric_crs=METRIC, include_planned=False)
    assert list(only_live.cell_id) == ["a", "b", "c"]
    # Defaults fill what the cells layer leaves out: the band by technology (4G, 2G, 5G, 4G).
    assert list(table.arrays.band_mhz) == [1800.0, 900.0, 3700.0, 1800.0]
    assert np.isnan(table.arrays.azimuth_deg).all()


def test_a_cell_without_operator_or_technology_leaves_the_others_whole() -> None:
    cells = _cells()
    cells.loc[0, "operator"] = None
    cells.loc[1, "tech"] = None
    table = cell_table(_sites(), cells, communes=None, metric_crs=METRIC)
    assert list(table.cell_id) == ["a", "b", "c", "e"]
    assert list(table.operator[1:]) == ["Viettel", "Viettel", "Vietnamobile"]
    assert list(table.arrays.tech[[0, 2, 3]]) == ["4G", "5G", "4G"]
    # The cell without an operator counts as another operator's; without a technology, as none.
    assert list(bits_to_names(table.kinds.operator_bits[table.kinds.code])) == [
        "Other",
        "Viettel",
        "Viettel",
        "Vietnamobile",
    ]


def test_site_offers_and_the_shared_rule() -> None:
    offer = site_operators(_sites(), _cells())
    assert set(offer.index) == {"ON", "PLAN"}
    on = offer.loc["ON"]
    # On-air operators in schema order (Viettel before VNPT); MobiFone's cell is decommissioned.
    assert (on["operators"], on["n_operators"], bool(on["shared"])) == ("Viettel,VNPT", 2, True)
    assert (on["techs"], bool(on["has_5g"])) == ("2G,4G,5G", True)
    plan = offer.loc["PLAN"]
    assert (plan["operators"], plan["n_operators"], bool(plan["shared"])) == ("", 0, False)
    assert plan["any_operators"] == "Vietnamobile"


def test_site_offer_per_distinct_site_and_row() -> None:
    # A repeated site row takes its site's entry; the status of its first row decides.
    sites = pd.concat([_sites(), _sites().iloc[[0]].assign(status="decommissioned")], ignore_index=True)
    offer = SiteOffer.of(sites, _cells())
    assert list(offer.site_id) == ["ON", "PLAN", "GONE"]
    assert list(offer.row_site) == [0, 1, 2, 0]
    # ON: a (VNPT 4G), b (Viettel 2G), c (Viettel 5G) on air; d decommissioned.
    assert list(offer.n_operators) == [2, 0, 0]
    assert list(offer.has_5g) == [True, False, False]
    # PLAN's cell is live but not on air; GONE's site is decommissioned (no live cell).
    assert list(offer.first_live_cell) == [0, 4, len(_cells())]
    assert list(bits_to_names(offer.live_ops)) == ["Viettel,VNPT", "", ""]
    assert list(bits_to_names(offer.any_ops)) == ["Viettel,VNPT", "Vietnamobile", ""]


def _offer_fields(offer: SiteOffer) -> list[list[object]]:
    return [
        list(offer.site_id),
        offer.row_site.tolist(),
        offer.live_ops.tolist(),
        offer.live_techs.tolist(),
        offer.any_ops.tolist(),
        offer.first_live_cell.tolist(),
    ]


def test_site_offer_reads_the_cell_table_built_from_the_same_frames() -> None:
    sites, cells = _sites(), _cells()
    table = cell_table(sites, cells, communes=None, metric_crs=METRIC)
    assert table.source is not None
    assert table.source.of(sites, cells)
    assert _offer_fields(SiteOffer.of(sites, cells, table)) == _offer_fields(SiteOffer.of(sites, cells))
    # A table of other frames (an edit makes new ones) is not read: the cells are hashed again.
    edited = cells.assign(status="on_air")
    assert _offer_fields(SiteOffer.of(sites, edited, table)) == _offer_fields(SiteOffer.of(sites, edited))
    assert _offer_fields(SiteOffer.of(sites, edited, table)) != _offer_fields(SiteOffer.of(sites, cells))
    # Nor one without its planned cells, nor one of sites with a repeated id.
    only_live = cell_table(sites, cells, communes=None, metric_crs=METRIC, include_planned=False)
    assert only_live.source is None
    repeated = pd.concat([sites, sites.iloc[[0]]], ignore_index=True)
    assert cell_table(repeated, cells, communes=None, metric_crs=METRIC).source is None


_STATUSES = st.sampled_from(["on_air", "planned", "decommissioned", None])


@settings(max_examples=60, deadline=None)
@given(
    st.lists(_STATUSES, min_size=1, max_size=6),
    st.lists(
        st.tuples(
            st.integers(0, 7),
            st.sampled_from(["Viettel", "VNPT", "Acme"]),
            st.sampled_from(["2G", "4G", "5G", None]),
            _STATUSES,
        ),
        max_size=25,
    ),
    st.booleans(),
    st.booleans(),
)
def test_site_offer_from_the_table_is_the_offer_of_the_frames(
    site_status: list[str | None],
    rows: list[tuple[int, str, str | None, str | None]],
    one_id_missing: bool,
    site_by_site: bool,
) -> None:
    # Cells of sites that exist and of ids no site has, in any status; the sites' ids
    # distinct strings, or one of them missing; the cells in any order, or site by site.
    site_ids: list[str | None] = [f"S{i}" for i in range(len(site_status))]
    if one_id_missing:
        site_ids[0] = None
    if site_by_site:
        rows = sorted(rows, key=lambda row: row[0])
    sites = gpd.GeoDataFrame(
        {
            "site_id": site_ids,
            "status": site_status,
            "height_m": 30.0,
            "environment": "rural",
        },
        geometry=[at(100.0 * i, 0) for i in range(len(site_status))],
        crs="EPSG:4326",
    )
    cells = pd.DataFrame(
        {
            "cell_id": [f"c{k}" for k in range(len(rows))],
            "site_id": [f"S{s}" for s, _, _, _ in rows],
            "operator": [o for _, o, _, _ in rows],
            "tech": [t for _, _, t, _ in rows],
            "status": [st_ for _, _, _, st_ in rows],
        }
    )
    table = cell_table(sites, cells, communes=None, metric_crs=METRIC)
    assert _offer_fields(SiteOffer.of(sites, cells, table)) == _offer_fields(SiteOffer.of(sites, cells))


@settings(max_examples=50, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["2G", "4G", "5G"]), st.sampled_from(["Viettel", "VNPT", "Acme", "Zeta"])),
        min_size=1,
        max_size=30,
    )
)
def test_kinds_from_codes_are_the_kinds_of_the_cells(rows: list[tuple[str, str]]) -> None:
    # Acme and Zeta are both "Other": two names, one operator bit.
    tech = np.array([t for t, _ in rows])
    operators = np.array([o for _, o in rows])
    tech_code, tech_names = pd.factorize(tech)
    op_code, op_names = pd.factorize(operators)
    coded = CellKinds.of_codes(tech_code, np.asarray(tech_names), op_code, np.asarray(op_names))
    plain = CellKinds.of(tech, operators)
    assert coded.code.tolist() == plain.code.tolist()
    assert coded.tech.tolist() == plain.tech.tolist()
    assert coded.operator_bits.tolist() == plain.operator_bits.tolist()


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["Viettel", "VNPT", "MobiFone", "Acme", "", None, np.nan]), st.integers(1, 60)
        ),
        min_size=1,
        max_size=30,
    )
)
def test_operator_bits_of_a_column_are_each_rows_bit(runs: list[tuple[object, int]]) -> None:
    # A layer's column (read by runs when they are long, hashed otherwise) and each row on its own.
    rows = [name for name, n in runs for _ in range(n)] * 12
    one_by_one = [int(operator_bits(np.array([name], dtype=object))[0]) for name in rows]
    assert operator_bits(pd.Series(rows, dtype=object)).tolist() == one_by_one
    assert operator_bits(np.array(rows, dtype=object)).tolist() == one_by_one


def test_a_cell_table_knows_its_kinds() -> None:
    table = cell_table(_sites(), _cells(), communes=None, metric_crs=METRIC)
    assert "kinds" in vars(table)  # from the codes cell_table had at hand
    plain = CellKinds.of(table.arrays.tech, table.operator)
    assert table.kinds.code.tolist() == plain.code.tolist()
    assert table.kinds.tech.tolist() == plain.tech.tolist()


def test_a_part_of_a_table_keeps_its_kinds_per_cell() -> None:
    """Fails if a part taken from a coded table reads another technology or operator bit
    for a cell than the part's own coding gives (order, repeats and no cells included)."""
    table = cell_table(_sites(), _cells(), communes=None, metric_crs=METRIC)
    for index in ([2, 0], [1, 1, 3], [], list(range(len(table)))):
        part = table.take(np.array(index, dtype=np.int64))
        assert "kinds" in vars(part)
        own = CellKinds.of(part.arrays.tech, part.operator)
        assert part.kinds.tech[part.kinds.code].tolist() == own.tech[own.code].tolist()
        kept = part.kinds.operator_bits[part.kinds.code]
        assert kept.tolist() == own.operator_bits[own.code].tolist()
    fresh = CellTable(table.arrays, table.cell_id, table.site_id, table.operator, table.on_air)
    assert "kinds" not in vars(fresh.take(np.array([0])))  # nothing coded: nothing kept


def test_site_environment_prefers_the_site_then_its_commune() -> None:
    layers = tiny_layers()
    communes = layers["communes"].assign(environment=["suburban"])
    env = site_environment(_sites(), communes)
    assert list(env) == ["suburban", "urban", "suburban"]
    assert list(site_environment(_sites(), None)) == ["rural", "urban", "rural"]


def test_tables_concatenate_and_subset() -> None:
    table = cell_table(_sites(), _cells(), communes=None, metric_crs=METRIC)
    first, second = table.subset(table.on_air), table.subset(~table.on_air)
    joined = concat_tables(first, second)
    assert list(joined.cell_id) == ["a", "b", "c", "e"]
    assert concat_tables(CellTable.empty(), first) is first
    assert len(CellTable.empty()) == 0


def test_points_in_metres() -> None:
    x, y = points_xy_m(_sites(), METRIC)
    assert list(np.round(x - x[0], 6)) == [0.0, 1000.0, 2000.0]
    assert list(np.round(y - y[0], 6)) == [0.0, 0.0, 0.0]
    empty_x, _ = points_xy_m(_sites().iloc[0:0], METRIC)
    assert empty_x.shape == (0,)
