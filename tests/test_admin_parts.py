"""Admin units of points against the rules written out point by point (coverage_gis.admin):
the data's commune first, else the first commune the point touches; in a split commune the
first part of its own commune it touches, else the nearest; ids compared as ``str``. Also
the dtypes a frame gives the columns taken (coverage_gis._strings.assigned_take) and the
point-in-polygon search against the polygons' own query."""

from __future__ import annotations

import itertools
import threading
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import Point, box

from coverage_gis._strings import TakenColumn, assigned_take
from coverage_gis.admin import (
    _PART_ATTRS,
    admin_columns,
    admin_rows,
    commune_positions,
    commune_table,
    points_in_polygons,
)
from coverage_gis.kpi_inputs import speed_test_rows

#: Three communes side by side (x 0-2, 2-4, 4-6; y 0-2), in degrees: points on their borders
#: and on the lines between parts are drawn often.
_BOXES = [box(0, 0, 2, 2), box(2, 0, 4, 2), box(4, 0, 6, 2)]
_COORD = st.sampled_from([-1.0, 0.0, 0.5, 1.0, 2.0, 2.5, 3.0, 3.25, 3.5, 4.0, 5.0, 6.0, 7.0])
_POINT_ID = st.sampled_from([None, np.nan, "1001", "1002", "1003", 1002, "9999"])


def _communes(int_ids: bool) -> gpd.GeoDataFrame:
    ids: list[Any] = [1001, 1002, 1003] if int_ids else ["1001", "1002", "1003"]
    return gpd.GeoDataFrame(
        {
            "census_commune_id": ids,
            "commune_code": ["00001", "", "00003"],
            "commune_name": ["Xã A", "Xã B", "Xã C"],
            "district_code": ["001", "001", "002"],
            "province_code": ["99", "99", "99"],
            "new_province_code": ["98", "98", "98"],
            "new_commune_name": ["Xã Mới A", "Xã Mới B", "Xã Mới C"],
            "new_commune_code": ["90001", "90002", "90003"],
            "admin_2025_method": ["crosswalk", "split_nearest", "split_nearest"],
        },
        geometry=_BOXES,
        crs="EPSG:4326",
    )


@st.composite
def _parts(draw: st.DrawFn) -> gpd.GeoDataFrame:
    """Commune 1002 cut into strips at drawn lines (the last may stop short of its east
    edge: points there lie in no part); maybe 1003 with one part of its west half."""
    cuts = sorted(draw(st.sets(st.sampled_from([2.5, 3.0, 3.25, 3.5]), min_size=1, max_size=3)))
    east = draw(st.sampled_from([3.75, 4.0]))
    edges = [2.0, *cuts, east]
    geoms = [box(a, 0, b, 2) for a, b in itertools.pairwise(edges)]
    owners = ["1002"] * len(geoms)
    if draw(st.booleans()):
        geoms.append(box(4, 0, 5, 2))
        owners.append("1003")
    order = draw(st.permutations(list(range(len(geoms)))))
    n = len(geoms)
    return gpd.GeoDataFrame(
        {
            "part_id": [f"p{i}" for i in range(n)],
            "census_commune_id": [owners[i] for i in order],
            "new_province_code": [f"9{i}" for i in range(n)],
            "new_commune_code": [f"8000{i}" for i in range(n)],
            "new_commune_name": [f"Xã Phần {i}" for i in range(n)],
            "admin_2025_method": ["split_nearest"] * n,
        },
        geometry=[geoms[i] for i in order],
        crs="EPSG:4326",
    )


def _as_the_rules_say(
    points: gpd.GeoDataFrame, communes: gpd.GeoDataFrame, parts: gpd.GeoDataFrame
) -> pd.DataFrame:
    """The admin columns point by point, as the rules read."""
    attrs = commune_table(communes)[0]
    ids = list(communes["census_commune_id"])
    part_ids = [str(v) for v in parts["census_commune_id"]]
    rows = []
    for pid, geom in zip(points["census_commune_id"], points.geometry, strict=True):
        row = next((i for i, c in enumerate(ids) if not pd.isna(pid) and c == pid), None)
        if row is None:
            hits = communes.sindex.query(geom, predicate="intersects")
            row = int(hits[0]) if len(hits) else None
        values = attrs.iloc[row].to_dict() if row is not None else dict.fromkeys(attrs.columns, np.nan)
        own = [j for j, owner in enumerate(part_ids) if row is not None and owner == str(ids[row])]
        if own:
            inside = [j for j in own if parts.geometry.iloc[j].intersects(geom)]
            part = (
                inside[0]
                if inside
                else own[int(np.argmin([parts.geometry.iloc[j].distance(geom) for j in own]))]
            )
            values.update({col: parts[col].iloc[part] for col in _PART_ATTRS if col in parts})
        rows.append(values)
    return pd.DataFrame(rows, columns=attrs.columns, index=points.index, dtype=object)


@settings(max_examples=150, deadline=None)
@given(
    points=st.lists(st.tuples(_COORD, _COORD, _POINT_ID), min_size=1, max_size=40),
    parts=_parts(),
    int_ids=st.booleans(),
)
def test_admin_columns_follow_the_rules_point_by_point(
    points: list[tuple[float, float, Any]], parts: gpd.GeoDataFrame, int_ids: bool
) -> None:
    communes = _communes(int_ids)
    frame = gpd.GeoDataFrame(
        {"census_commune_id": pd.Series([p[2] for p in points], dtype=object)},
        geometry=[Point(x, y) for x, y, _ in points],
        crs="EPSG:4326",
        index=pd.RangeIndex(100, 100 + len(points)),
    )
    got = admin_columns(frame, communes, parts)
    want = _as_the_rules_say(frame, communes, parts)
    pd.testing.assert_frame_equal(got, want, check_dtype=False)
    # The positions given by the caller give the same frame.
    placed = commune_positions(frame.geometry.to_numpy(), communes)
    pd.testing.assert_frame_equal(admin_columns(frame, communes, parts, placed=placed), got)
    # Rows of one source hold the same values.
    source = admin_rows(frame, communes, parts).source
    for one in np.unique(source):
        same = got[source == one].map(repr)
        assert (same == same.iloc[0]).all().all()


@settings(max_examples=100, deadline=None)
@given(points=st.lists(st.tuples(_COORD, _COORD, _POINT_ID), max_size=20), int_ids=st.booleans())
def test_admin_columns_take_the_dtypes_of_the_communes_rows(
    points: list[tuple[float, float, Any]], int_ids: bool
) -> None:
    """Fails if a column of the communes (numbers, objects) comes out in another dtype than
    taking the communes' rows (``reindex``) gives it: a point in no commune makes a column
    of whole numbers floats."""
    communes = _communes(int_ids)
    frame = gpd.GeoDataFrame(
        {"census_commune_id": pd.Series([p[2] for p in points], dtype=object)},
        geometry=[Point(x, y) for x, y, _ in points],
        crs="EPSG:4326",
    )
    attrs, lookup = commune_table(communes)
    position = frame["census_commune_id"].map(lookup).fillna(-1).to_numpy(dtype=np.int64, copy=True)
    unknown = position < 0
    position[unknown] = commune_positions(frame.geometry.to_numpy()[unknown], communes)
    want = attrs.reindex(position).set_axis(frame.index)
    pd.testing.assert_frame_equal(admin_columns(frame, communes), want, check_exact=True)


_OBJECT = st.one_of(
    st.sampled_from(["a", "b", "Xã Mới", ""]),
    st.none(),
    st.just(np.nan),
    st.integers(-3, 3),
    st.floats(allow_nan=False, width=32),
)


@settings(max_examples=200, deadline=None)
@given(values=st.lists(_OBJECT, min_size=1, max_size=8), data=st.data())
def test_a_take_gives_the_frame_what_the_objects_would(values: list[Any], data: st.DataObject) -> None:
    table = np.empty(len(values), dtype=object)
    table[:] = values
    rows = np.array(data.draw(st.lists(st.integers(0, len(table) - 1), max_size=30)), dtype=np.int64)
    by_objects = pd.DataFrame(index=range(len(rows)))
    by_objects["v"] = table[rows]
    taken = pd.DataFrame(index=range(len(rows)))
    taken["v"] = assigned_take({"v": TakenColumn.of(table)}, rows)["v"]
    pd.testing.assert_frame_equal(taken, by_objects)
    # Asked of the rows taken, as where the frame makes no strings of the whole table.
    taken["v"] = assigned_take({"v": TakenColumn(table)}, rows)["v"]
    pd.testing.assert_frame_equal(taken, by_objects)


@settings(max_examples=100, deadline=None)
@given(
    points=st.lists(st.tuples(_COORD, _COORD), min_size=1, max_size=40),
    predicate=st.sampled_from(["within", "intersects"]),
    few=st.booleans(),
)
def test_points_in_polygons_match_the_polygons_query(
    points: list[tuple[float, float]], predicate: Any, few: bool
) -> None:
    # Overlapping polygons too: a point may lie in several, in the query's order.
    polygons = gpd.GeoDataFrame(geometry=[*_BOXES, box(1, 1, 5, 3), box(3, -1, 3.5, 1)], crs="EPSG:4326")
    geoms = np.asarray(shapely.points(np.array(points)))
    got = points_in_polygons(geoms, polygons, predicate, few=few)
    want_point, want_polygon = polygons.sindex.query(geoms, predicate=predicate)
    order = np.argsort(want_point, kind="stable")
    assert np.array_equal(got[0], want_point[order])
    assert np.array_equal(got[1], want_polygon[order])


def test_few_points_among_many_polygons_take_the_usual_query() -> None:
    grid = [box(x, y, x + 1, y + 1) for x in range(20) for y in range(20)]
    polygons = gpd.GeoDataFrame(geometry=grid, crs="EPSG:4326")
    idx_point, idx_polygon = points_in_polygons(
        shapely.points([[3.0, 4.0], [50.0, 50.0]]), polygons, "intersects"
    )
    assert idx_point.tolist() == [0, 0, 0, 0]  # a grid corner: four cells
    assert sorted(idx_polygon.tolist()) == [43, 44, 63, 64]  # cells x 2-3, y 3-4 (row x * 20 + y)


def test_two_threads_place_points_in_the_same_communes() -> None:
    communes = _communes(False)
    rng = np.random.default_rng(7)
    geoms = np.asarray(shapely.points(rng.uniform(-1, 7, size=(5000, 2))))
    want = commune_positions(geoms, communes)
    results: list[np.ndarray] = []
    threads = [
        threading.Thread(target=lambda: results.append(commune_positions(geoms, communes))) for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 4
    assert all(np.array_equal(r, want) for r in results)


def test_speed_test_rows_keep_the_layer_columns_with_positions_given() -> None:
    communes = _communes(False)
    parts = gpd.GeoDataFrame(
        {"census_commune_id": ["1002", "1002"], "new_commune_code": ["80001", "80002"]},
        geometry=[box(2, 0, 3, 2), box(3, 0, 4, 2)],
        crs="EPSG:4326",
    )
    tests = gpd.GeoDataFrame(
        {
            "test_id": np.array(["t1", "t2", "t3", "t4"], dtype=object),
            "kind": pd.Series(["mobile", "fixed", None, "mobile"], dtype="str"),
            "download_mbps": [1.0, 2.0, 3.0, 4.0],
            "tests": np.array([1, 2, 3, 4], dtype=np.int64),
            "device_id": [None, None, None, None],
        },
        geometry=[Point(1, 1), Point(2.5, 1), Point(3.5, 1), Point(9, 9)],
        crs="EPSG:4326",
        index=[7, 3, 3, 1],  # not unique: the columns are attached by position all the same
    )
    placed = commune_positions(tests.geometry.to_numpy(), communes)
    rows = speed_test_rows(tests, communes, parts, placed=placed)
    pd.testing.assert_frame_equal(rows, speed_test_rows(tests, communes, parts))
    assert rows["new_commune_code"].tolist()[:3] == ["90001", "80001", "80002"]
    assert pd.isna(rows["new_commune_code"].iloc[3])
    assert rows["test_id"].tolist() == ["t1", "t2", "t3", "t4"]
    assert rows["kind"].dtype == tests["kind"].dtype
    assert rows["tests"].dtype == np.int64
    assert rows["device_id"].dtype == object
