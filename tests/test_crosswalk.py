"""The 2025 crosswalk rule (coverage_gis.crosswalk) on a hand-drawn map of squares.

Old province 99, squares of 10 km in UTM 48N (the rule's CRS), x and y in km::

    y 10-20:  C (no code)              G (00007, not in the table)
    y  0-10:  A (00001)   D (00004)    E (00005)   F (no code) K (00011)  H (00008)
    y -10-0:                           I (00009)
              x 0-10      x 10-20      x 20-30     x 30-40     x 40-50    x 50-60

F is 14 km tall (y 0-14) and K 20 km (y -5-15). L (00012) lies in old province 96,
far away. The table: A → N1; D → N1 and N2 ("Nhập một phần"); E (old name "Xã Phi", the
name of F: the unit absorbed F) → N2; K, L → N5 (2025 province 97); H → N2 area only,
N3 "toàn bộ dân số"; I → N4 (its remainder) and N2 ("Nhập một phần").

By hand: C borders only A → ``spatial_uncoded`` in A's unit (N1). F borders E along
10 km and K along 14 km, but the unit of its name lies next to it → ``name_uncoded``
(N2). G borders E along 10 km and D at a corner → ``spatial_uncoded`` (N2). D's
points are nearer N1's other constituents (A, C: x ≤ 10) or N2's (E, G: x ≥ 20), so D
is cut at x = 15. I's points are nearer N2 (E's edge y = 0) or I's centre (25, -5,
the anchor of the remainder N4): on x = 25 the cut lies at y = -2.5.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point, box

from coverage_gis.admin import admin_columns, unit_population_2009
from coverage_gis.crosswalk import RULE_CRS, assign_2025, context_provinces, name_key

KM = 1000.0
X0, Y0 = 500_000.0, 1_550_000.0  # UTM 48N, near 105° E, 14° N

SQUARES: dict[str, tuple[float, float, float, float]] = {
    "A": (0, 0, 10, 10),
    "C": (0, 10, 10, 20),
    "D": (10, 0, 20, 10),
    "E": (20, 0, 30, 10),
    "G": (20, 10, 30, 20),
    "F": (30, 0, 40, 14),
    "K": (40, -5, 50, 15),
    "H": (50, 0, 60, 10),
    "I": (20, -10, 30, 0),
    "L": (200, 0, 210, 10),
}
CODES = {"A": "00001", "D": "00004", "E": "00005", "G": "00007", "K": "00011", "H": "00008", "I": "00009"}
CODES["L"] = "00012"
NAMES = {k: f"Xã {k}" for k in SQUARES} | {"F": "Xã Phi"}
POP = {"A": 1000, "C": 500, "D": 2001, "E": 800, "G": 300, "F": 400, "K": 700, "H": 600, "I": 900, "L": 300}


def lonlat(x_km: float, y_km: float) -> Point:
    point = gpd.GeoSeries([Point(X0 + x_km * KM, Y0 + y_km * KM)], crs=RULE_CRS).to_crs("EPSG:4326")
    return Point(point.iloc[0].x, point.iloc[0].y)


def communes() -> gpd.GeoDataFrame:
    names = list(SQUARES)
    geoms = [
        box(X0 + a * KM, Y0 + b * KM, X0 + c * KM, Y0 + d * KM) for a, b, c, d in (SQUARES[k] for k in names)
    ]
    frame = gpd.GeoDataFrame(
        {
            "census_commune_id": [f"99001{i:02d}" if k != "L" else "9600101" for i, k in enumerate(names)],
            "commune_code": [CODES.get(k) for k in names],
            "commune_name": [NAMES[k] for k in names],
            "district_code": ["001" if k != "L" else "961" for k in names],
            "province_code": ["99" if k != "L" else "96" for k in names],
            "pop_2009": [POP[k] for k in names],
        },
        geometry=geoms,
        crs=RULE_CRS,
        index=names,
    )
    return frame.to_crs("EPSG:4326")


def crosswalk() -> pd.DataFrame:
    rows = [
        ("00001", "Xã A", "N1", "98", "Nhập toàn bộ"),
        ("00004", "Xã D", "N1", "98", "Nhập một phần"),
        ("00004", "Xã D", "N2", "98", "Nhập một phần"),
        ("00005", "Xã Phi", "N2", "98", "Nhập toàn bộ"),
        ("00011", "Xã K", "N5", "97", "Nhập toàn bộ"),
        ("00012", "Xã L", "N5", "97", "Nhập toàn bộ"),
        ("00008", "Xã H", "N2", "98", "Nhập một phần diện tích"),
        ("00008", "Xã H", "N3", "98", "Nhập một phần diện tích, toàn bộ dân số"),
        ("00009", "Xã I", "N4", "98", "Phần còn lại sau khi tách một phần vào xã N2"),
        ("00009", "Xã I", "N2", "98", "Nhập một phần"),
    ]
    return pd.DataFrame(
        [
            {
                "old_province_code": "96" if old == "00012" else "99",
                "old_province_name": "Tỉnh Cũ",
                "old_district_code": "961" if old == "00012" else "001",
                "old_district_name": "Huyện Cũ",
                "old_commune_code": old,
                "old_commune_name": name,
                "new_province_code": prov,
                "new_province_name": f"Tỉnh {prov}",
                "new_commune_code": new,
                "new_commune_name": f"Xã {new}",
                "merge_note": note,
            }
            for old, name, new, prov, note in rows
        ]
    )


@pytest.fixture(scope="module")
def assigned() -> tuple[gpd.GeoDataFrame, pd.DataFrame, gpd.GeoDataFrame]:
    frame = communes()
    result = assign_2025(frame, crosswalk())
    return frame, result.communes, result.parts


def test_each_commune_finds_its_old_unit_by_the_documented_rule(
    assigned: tuple[gpd.GeoDataFrame, pd.DataFrame, gpd.GeoDataFrame],
) -> None:
    _, out, _ = assigned
    expected = {
        "A": ("00001", "crosswalk", "N1"),
        "C": ("00001", "spatial_uncoded", "N1"),
        "D": ("00004", "split_nearest", None),
        "E": ("00005", "crosswalk", "N2"),
        "F": ("00005", "name_uncoded", "N2"),
        "G": ("00005", "spatial_uncoded", "N2"),
        "K": ("00011", "crosswalk", "N5"),
        "H": ("00008", "crosswalk_population", "N3"),
        "I": ("00009", "split_nearest", None),
        "L": ("00012", "crosswalk", "N5"),
    }
    for key, (code, method, new) in expected.items():
        row = out.loc[key]
        assert (row["crosswalk_code"], row["admin_2025_method"]) == (code, method), key
        if new is not None:
            assert row["new_commune_code"] == new, key
    assert out["new_commune_code"].notna().all()
    assert out.loc["K", "new_province_code"] == "97"


def test_a_split_commune_is_cut_at_the_line_of_equal_distance(
    assigned: tuple[gpd.GeoDataFrame, pd.DataFrame, gpd.GeoDataFrame],
) -> None:
    frame, out, parts = assigned
    d_id = frame.loc["D", "census_commune_id"]
    d_parts = parts[parts["census_commune_id"] == d_id].set_index("new_commune_code")
    assert sorted(d_parts.index) == ["N1", "N2"]
    assert d_parts["area_share"].to_dict() == pytest.approx({"N1": 0.5, "N2": 0.5}, abs=0.01)
    # 2,001 people shared by area (largest remainder), adding up exactly.
    assert int(d_parts["pop_2009"].sum()) == 2001
    assert sorted(d_parts["pop_2009"].tolist()) == [1000, 1001]
    assert (d_parts["admin_2025_method"] == "split_nearest").all()

    villages = gpd.GeoDataFrame(
        {
            "census_commune_id": [
                d_id,
                d_id,
                frame.loc["I", "census_commune_id"],
                frame.loc["I", "census_commune_id"],
            ]
        },
        geometry=[lonlat(12, 5), lonlat(18, 5), lonlat(25, -1), lonlat(25, -6)],
        crs="EPSG:4326",
    )
    admin = admin_columns(villages, frame.join(out), parts)
    assert admin["new_commune_code"].tolist() == ["N1", "N2", "N2", "N4"]
    assert (admin["admin_2025_method"] == "split_nearest").all()
    # Without the parts, a village takes its commune's largest part: one 2025 commune each.
    assert admin_columns(villages, frame.join(out))["new_commune_code"].notna().all()


def test_the_remainder_part_is_cut_between_its_centre_and_the_other_commune(
    assigned: tuple[gpd.GeoDataFrame, pd.DataFrame, gpd.GeoDataFrame],
) -> None:
    frame, _, parts = assigned
    i_parts = parts[parts["census_commune_id"] == frame.loc["I", "census_commune_id"]]
    n2 = i_parts[i_parts["new_commune_code"] == "N2"].to_crs(RULE_CRS).geometry.iloc[0]
    # On x = 25 km the N2 part reaches down to y = -2.5 km (equal distance to y = 0 and to (25, -5)).
    lowest = n2.intersection(box(X0 + 24.99 * KM, Y0 - 10 * KM, X0 + 25.01 * KM, Y0)).bounds[1]
    assert (lowest - Y0) / KM == pytest.approx(-2.5, abs=0.15)


def test_2025_units_know_their_whole_2009_population(
    assigned: tuple[gpd.GeoDataFrame, pd.DataFrame, gpd.GeoDataFrame],
) -> None:
    frame, out, parts = assigned
    d_parts = parts[parts["census_commune_id"] == frame.loc["D", "census_commune_id"]]
    d_n1 = int(d_parts.loc[d_parts["new_commune_code"] == "N1", "pop_2009"].iloc[0])
    assert out.loc["A", "new_commune_pop_2009"] == POP["A"] + POP["C"] + d_n1
    assert out.loc["K", "new_commune_pop_2009"] == POP["K"] + POP["L"]
    assert out.loc["K", "new_province_pop_2009"] == POP["K"] + POP["L"]
    everything_98 = sum(POP.values()) - POP["K"] - POP["L"]
    assert out.loc["A", "new_province_pop_2009"] == everything_98


def test_a_workspace_of_one_old_province_holds_part_of_a_2025_province(
    assigned: tuple[gpd.GeoDataFrame, pd.DataFrame, gpd.GeoDataFrame],
) -> None:
    frame, out, parts = assigned
    held = frame.join(out)
    held = held[held["province_code"] == "99"]
    units = unit_population_2009(held, parts).set_index(["level", "code"])
    assert units.loc[("province_2025", "97"), "pop_2009"] == POP["K"]
    assert units.loc[("province_2025", "97"), "pop_2009_total"] == POP["K"] + POP["L"]
    assert (
        units.loc[("province_2025", "98"), "pop_2009"] == units.loc[("province_2025", "98"), "pop_2009_total"]
    )
    # Every level holds the same people.
    totals = units.groupby(level="level")["pop_2009"].sum()
    assert set(totals) == {sum(POP.values()) - POP["L"]}
    assert pd.isna(units.loc[("province", "99"), "pop_2009_total"])


def test_context_provinces_are_those_of_the_2025_provinces_touched() -> None:
    table = crosswalk()
    assert context_provinces(table, ["99"]) == {"99", "96"}
    assert context_provinces(table, ["96"]) == {"96", "99"}


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("Xã Hoà An", "hòa an"),
        ("Phường  Thị Nại", "thị nại"),
        ("Thị trấn Tuy Phước", "tuy phước"),
        (None, ""),
    ],
)
def test_names_compare_without_type_word_or_tone_placement(name: str | None, key: str) -> None:
    assert name_key(name) == key


def test_no_candidate_is_left_without_a_2025_commune_when_cores_are_missing() -> None:
    # A split unit whose 2025 communes have no other constituent: the first row decides.
    frame = communes().loc[["D"]]
    table = crosswalk()
    table = table[table["old_commune_code"] == "00004"]
    out = assign_2025(frame, table).communes
    assert out.loc["D", "new_commune_code"] == "N1"
    assert np.isfinite(float(out.loc["D", "new_commune_pop_2009"]))


def test_borders_to_the_same_2025_commune_add_up() -> None:
    # M (no code) borders P1 along 6 km (→ Z1), P2 along 4.5 km and P3 along 4 km (both
    # → Z2): Z2's 8.5 km outweigh Z1's 6 km, and P2's is the longest border within Z2.
    squares = {"M": (0, 0, 10, 10), "P1": (0, 10, 6, 20), "P2": (-10, 0, 0, 4.5), "P3": (0, -10, 4, 0)}
    frame = gpd.GeoDataFrame(
        {
            "census_commune_id": ["9900101", "9900102", "9900103", "9900104"],
            "commune_code": [None, "00101", "00102", "00103"],
            "commune_name": ["Xã M", "Xã P1", "Xã P2", "Xã P3"],
            "district_code": ["001"] * 4,
            "province_code": ["99"] * 4,
            "pop_2009": [100] * 4,
        },
        geometry=[box(X0 + a * KM, Y0 + b * KM, X0 + c * KM, Y0 + d * KM) for a, b, c, d in squares.values()],
        crs=RULE_CRS,
        index=list(squares),
    ).to_crs("EPSG:4326")
    table = crosswalk().iloc[:0]
    rows = [("00101", "Z1"), ("00102", "Z2"), ("00103", "Z2")]
    table = pd.DataFrame(
        [
            {
                "old_province_code": "99",
                "old_district_code": "001",
                "old_commune_code": old,
                "old_commune_name": f"Xã {old}",
                "new_province_code": "98",
                "new_province_name": "Tỉnh 98",
                "new_commune_code": new,
                "new_commune_name": f"Xã {new}",
                "merge_note": "Nhập toàn bộ",
            }
            for old, new in rows
        ],
        columns=table.columns,
    )
    out = assign_2025(frame, table).communes
    assert (out.loc["M", "crosswalk_code"], out.loc["M", "new_commune_code"]) == ("00102", "Z2")
    assert out.loc["M", "admin_2025_method"] == "spatial_uncoded"
