"""The coded cell table (``network.cell_table``) against the joined-frame build it replaced.

``tests/_cell_table_reference.py`` keeps that build; on random sites and cells frames
(missing values, repeated ids, cells of no site, operators in mixed case, object or
pandas string columns, sectors sharing an azimuth) both must give the same arrays,
ids, kinds and source rows, to the dtype.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import LineString, Point

from coverage_gis._column_codes import codes_of, group_ids, strings_of
from coverage_gis.models.antenna import sector_bisectors
from coverage_gis.network import cell_table, point_lonlat

from . import _cell_table_reference as reference
from .conftest import METRIC, at


def _fields(table: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        f"arrays.{f.name}": getattr(table.arrays, f.name) for f in dataclasses.fields(table.arrays)
    }
    out.update({name: getattr(table, name) for name in ("cell_id", "site_id", "operator", "on_air")})
    out.update({f"kinds.{f.name}": getattr(table.kinds, f.name) for f in dataclasses.fields(table.kinds)})
    source = table.source
    out["source"] = None if source is None else (source.site_row.tolist(), source.cell_row.tolist())
    return out


def _assert_same(new: dict[str, Any], old: dict[str, Any]) -> None:
    assert new.keys() == old.keys()
    for name, want in old.items():
        got = new[name]
        if want is None or isinstance(want, tuple):
            assert got == want, name
            continue
        assert got.dtype == want.dtype, (name, got.dtype, want.dtype)
        if want.dtype.kind == "f":
            np.testing.assert_array_equal(got, want, err_msg=name)
        else:
            assert got.tolist() == want.tolist(), name


_IDS = st.sampled_from(["S0", "S1", "S2", "S3", "a-long-site-id", None, pd.NA])
_STATUS = st.sampled_from(["on_air", "planned", "decommissioned", None, pd.NA])
_OPERATOR = st.sampled_from(["Viettel", "viettel", "VNPT", "MobiFone", "Acme", None])
_TECH = st.sampled_from(["2G", "4G", "5G", None])
_AZIMUTH = st.sampled_from([0.0, 120.0, 240.0, 359.9999996, -10.0, 400.0, 90.0000004, np.nan])
_FLOAT = st.one_of(st.sampled_from([np.nan, 0.0, 65.0, 360.0]), st.floats(1.0, 3000.0))


@st.composite
def _frames(draw: st.DrawFn) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    string_dtype = draw(st.sampled_from([object, None]))
    n_sites = draw(st.integers(0, 5))
    site_ids = draw(st.lists(_IDS, min_size=n_sites, max_size=n_sites))
    if draw(st.booleans()):
        # The layer's rule: distinct ids (the coded join); else repeated or missing ones.
        site_ids = [f"S{i}" for i in range(n_sites)]
    sites = gpd.GeoDataFrame(
        {
            "site_id": pd.Series(site_ids, dtype=string_dtype),
            "status": pd.Series(
                draw(st.lists(_STATUS, min_size=n_sites, max_size=n_sites)), dtype=string_dtype
            ),
            "height_m": draw(st.lists(_FLOAT, min_size=n_sites, max_size=n_sites)),
            "environment": pd.Series(
                draw(
                    st.lists(
                        st.sampled_from(["urban", "rural", "dense_urban", None]),
                        min_size=n_sites,
                        max_size=n_sites,
                    )
                ),
                dtype=string_dtype,
            ),
        },
        geometry=[at(100.0 * i, 50.0 * i) for i in range(n_sites)],
        crs="EPSG:4326",
    )
    n_cells = draw(st.integers(0, 24))

    def column(values: st.SearchStrategy[Any], dtype: Any = None) -> pd.Series:
        return pd.Series(draw(st.lists(values, min_size=n_cells, max_size=n_cells)), dtype=dtype)

    cells = pd.DataFrame(
        {
            "cell_id": column(st.sampled_from(["c1", "c2", "cell-3", None]), string_dtype),
            "site_id": column(
                st.sampled_from([*[s for s in site_ids if s is not None], "NOWHERE", None]), string_dtype
            ),
            "operator": column(_OPERATOR, string_dtype),
            "tech": column(_TECH, string_dtype),
            "band_mhz": column(st.sampled_from([900.0, 1800.0, 2100.0, np.nan]), np.float64),
            "azimuth_deg": column(_AZIMUTH, np.float64),
            "beamwidth_deg": column(_FLOAT, np.float64),
            "eirp_dbm": column(_FLOAT, np.float64),
            "status": column(_STATUS, string_dtype),
        }
    )
    if draw(st.booleans()):
        cells = cells.drop(columns=draw(st.sampled_from(["band_mhz", "azimuth_deg", "eirp_dbm"])))
    if draw(st.booleans()):
        # A cell's own column before its site's (merge suffixes), or a text column coerced.
        extra = draw(st.sampled_from(["height_m", "environment", "tilt_deg", "status_site"]))
        cells[extra] = column(st.sampled_from(["12", "x", None, "rural"]) if extra != "height_m" else _FLOAT)
    return sites, cells


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_frames(), st.booleans())
def test_the_coded_table_is_the_joined_frames_table(
    frames: tuple[gpd.GeoDataFrame, pd.DataFrame], planned: bool
) -> None:
    sites, cells = frames
    args: dict[str, Any] = {"communes": None, "metric_crs": METRIC, "include_planned": planned}
    try:
        want = _fields(reference.cell_table(sites, cells, **args))
    except Exception as error:  # the old build's error must be the new one's
        with pytest.raises(type(error)):
            cell_table(sites, cells, **args)
        return
    _assert_same(_fields(cell_table(sites, cells, **args)), want)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.integers(1, 4), min_size=1, max_size=5),
    st.sampled_from(["none", "swap", "repeat_site", "unknown_site", "missing_site", "na_site"]),
    st.randoms(use_true_random=False),
)
def test_cells_listed_site_by_site_join_as_the_frames_do(counts: list[int], change: str, rng: Any) -> None:
    # The layer's usual order (each site's cells together, sites in order): each cell's site
    # is its run's; any change to that order must fall back to hashing the ids.
    n_sites = len(counts)
    site_ids = [f"S{i}" for i in range(n_sites)]
    cell_sites: list[object] = [site_ids[i] for i, n in enumerate(counts) for _ in range(n)]
    if change == "swap" and len(cell_sites) > 1:
        i, j = rng.sample(range(len(cell_sites)), 2)
        cell_sites[i], cell_sites[j] = cell_sites[j], cell_sites[i]
    elif change == "repeat_site" and n_sites > 1:
        site_ids[-1] = site_ids[0]
    elif change == "unknown_site":
        cell_sites[rng.randrange(len(cell_sites))] = "NOWHERE"
    elif change == "missing_site":
        cell_sites[rng.randrange(len(cell_sites))] = None
    elif change == "na_site":
        # pd.NA compares to nothing: a run's first cell of no known site.
        cell_sites[0] = pd.NA
    n = len(cell_sites)
    sites = gpd.GeoDataFrame(
        {
            "site_id": pd.Series(site_ids, dtype=object),
            "status": pd.Series(["on_air"] * n_sites, dtype=object),
            "height_m": 30.0,
            "environment": pd.Series(["urban"] * n_sites, dtype=object),
        },
        geometry=[at(100.0 * i, 0.0) for i in range(n_sites)],
        crs="EPSG:4326",
    )
    cells = pd.DataFrame(
        {
            "cell_id": pd.Series([f"c{k}" for k in range(n)], dtype=object),
            "site_id": pd.Series(cell_sites, dtype=object),
            "operator": pd.Series(["Viettel"] * n, dtype=object),
            "tech": pd.Series(["4G"] * n, dtype=object),
            "azimuth_deg": [rng.choice([0.0, 120.0, 240.0]) for _ in range(n)],
            "status": pd.Series(["on_air"] * n, dtype=object),
        }
    )
    args: dict[str, Any] = {"communes": None, "metric_crs": METRIC}
    _assert_same(
        _fields(cell_table(sites, cells, **args)), _fields(reference.cell_table(sites, cells, **args))
    )


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 3),
            st.sampled_from([0.0, 0.0000004, 60.0, 120.0, 240.0, 359.9999999, -30.0, 725.0, np.nan]),
            st.sampled_from([65.0, 360.0, np.nan]),
        ),
        max_size=30,
    ),
    st.sampled_from([np.int64, np.int8, np.uint64, str]),
)
def test_sector_bisectors_are_the_lexsorted_ones(
    rows: list[tuple[int, float, float]], layer_type: Any
) -> None:
    layer = np.array([r[0] for r in rows], dtype=np.int64).astype(layer_type)
    azimuth = np.array([r[1] for r in rows], dtype=np.float64)
    beamwidth = np.array([r[2] for r in rows], dtype=np.float64)
    for got, want in zip(
        sector_bisectors(layer, azimuth, beamwidth),
        reference.sector_bisectors(layer, azimuth, beamwidth),
        strict=True,
    ):
        np.testing.assert_array_equal(got, want)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(-2, 2),
            st.sampled_from(["a", "b", None]),
            st.sampled_from([1.5, np.nan]),
            st.booleans(),
        ),
        min_size=1,
        max_size=20,
    )
)
def test_group_ids_number_the_combinations_in_order_of_first_appearance(
    rows: list[tuple[int, str | None, float, bool]],
) -> None:
    columns = [
        np.array([r[i] for r in rows], dtype=dtype)
        for i, dtype in enumerate([np.int64, object, np.float64, bool])
    ]
    assert group_ids(columns).tolist() == reference.group_ids(columns).tolist()


@pytest.mark.parametrize(
    "geoms",
    [[Point(1, 2), Point(), None, Point(3, 4)], [Point(1, 2), None, Point(3, 4)], [Point()], [None], []],
)
def test_point_coordinates_read_as_geopandas_reads_them(geoms: list[Point | None]) -> None:
    # With an empty point (read apart, after shapely refuses it) and without one.
    points = gpd.GeoSeries(geoms)
    x, y = point_lonlat(np.asarray(points.array))
    np.testing.assert_array_equal(x, points.x.to_numpy())
    np.testing.assert_array_equal(y, points.y.to_numpy())
    assert x.dtype == y.dtype == np.float64
    with pytest.raises(ValueError, match="Point"):
        point_lonlat(np.asarray(gpd.GeoSeries([Point(0, 0), LineString([(0, 0), (1, 1)])]).array))


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["on_air", "planned", "x", None, np.nan, pd.NA, 1, 1.0]), st.integers(1, 400)
        ),
        min_size=1,
        max_size=40,
    )
)
def test_codes_of_a_column_of_runs_are_its_factorized_codes(runs: list[tuple[object, int]]) -> None:
    # Long enough to be read by runs (when they are long), whatever its values.
    column = pd.Series([value for value, n in runs for _ in range(n)] * 12, dtype=object)
    codes, distinct = codes_of(column)
    want_codes, want_distinct = pd.factorize(column)
    assert codes.tolist() == want_codes.tolist()
    assert [(type(v), v) for v in distinct] == [(type(v), v) for v in want_distinct]


#: Any text but lone surrogates (not a string a layer can hold).
_text = st.text(alphabet=st.characters(codec="utf-8"), max_size=8)


@settings(max_examples=80, deadline=None)
@given(st.lists(_text, max_size=30), st.booleans())
def test_strings_of_are_numpys_str_conversion(values: list[str], odd: bool) -> None:
    # Empty strings, a NUL at the end (numpy drops it when read back), a character beyond the BMP.
    column = np.array([*values, *(["", "a\x00", "\U0001f600"] if odd else [])], dtype=object)
    got, want = strings_of(column), column.astype(str)
    assert got.dtype == want.dtype
    assert got.tobytes() == want.tobytes()
