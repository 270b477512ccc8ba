"""Village lists as provinces send them: no kind column, the kind in each village's name."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from hypothesis import given
from hypothesis import strategies as st

from coverage_gis.errors import LayerValidationError
from coverage_gis.io import import_file
from coverage_gis.io.village_lists import kinds_from_names
from coverage_gis.layers import get_schema
from coverage_gis.workspace import Workspace

from .conftest import at

_HEADER = "Mã thôn,Tên thôn,Mã tỉnh,Kinh độ,Vĩ độ\n"
_VILLAGES = get_schema("villages")


def _village_list(tmp_path: Path, text: str) -> Path:
    """A village list as CSV UTF-8 (the file a province sends)."""
    path = tmp_path / "thon.csv"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    return Workspace.create(tmp_path / "ws", metric_crs="EPSG:32649")


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("Thôn 1", "thôn"),
        ("thôn Phú Mỹ", "thôn"),
        ("Làng O2", "làng"),
        ("Tổ dân phố 5", "tổ dân phố"),
        ("TDP 6", "tổ dân phố"),
        ("KP.2", "khu phố"),
        ("Khu phố 2", "khu phố"),
        ("Buôn Ma Lăk", "buôn"),
        ("Ấp 3", "ấp"),
        ("Bản Phố", "bản"),
        ("Thon 4", "thôn"),
        ("Xóm Mới", "xóm"),
        ("Khối phố 3", "khối phố"),  # Đà Nẵng, Quảng Nam
        ("Phum Ta Lốp", "phum"),  # the Khmer villages of the Mekong delta
        ("Sóc Ruộng", "sóc"),
        ("Bon Bu Prăng", "bon"),  # Đắk Nông
        ("Tiểu khu 2", "tiểu khu"),  # Quảng Bình
        ("Khu 5", "khu"),  # Phú Thọ, Quảng Ninh
        ("Khu phố 5", "khu phố"),
        ("Tổ 5", "tổ dân phố"),  # a ward's tổ dân phố, by its short name
        ("Khối 4", "khối phố"),
        ("KV3", "khu"),  # khu vực
        ("Khu vực 3", "khu"),
        ("Plei Giang", "làng"),  # Gia Lai's Jrai word for a village
        ("Kon Klor", "làng"),  # Kon Tum's Bahnar one
        ("Tôn Thất", None),  # not "tổ"
        ("Bàn Thạch", None),  # a place name, not "bản"
        ("Thônvui", None),
        ("Phú Mỹ", None),
    ],
)
def test_a_village_kind_is_read_from_its_name(name: str, kind: str | None) -> None:
    frame = kinds_from_names(pd.DataFrame({"name": [name, "Thôn 9"]}), _VILLAGES, notes=[])

    assert frame["kind"].tolist() == [kind, "thôn"]


@given(st.sampled_from(list(get_schema("villages").field("kind").allowed or ())), st.integers(0, 999))
def test_every_allowed_kind_reads_back(kind: str, number: int) -> None:
    for name in (f"{kind} {number}", f"{kind.upper()} {number}", f"{kind.title()} {number}"):
        assert kinds_from_names(pd.DataFrame({"name": [name]}), _VILLAGES, notes=[])["kind"].tolist() == [
            kind
        ]


def test_a_village_list_without_kinds_imports(ws: Workspace, tmp_path: Path) -> None:
    path = _village_list(tmp_path, _HEADER + "T1,Thôn 1,52,109.01,13.77\nT2,Tổ dân phố 5,52,109.02,13.78\n")

    result = import_file(ws, "villages", path)

    assert ws.read_layer("villages")["kind"].tolist() == ["thôn", "tổ dân phố"]
    assert any("kind read from the names" in note for note in result.notes)


def test_a_southern_list_names_its_columns_by_the_ap(ws: Workspace, tmp_path: Path) -> None:
    """Mekong provinces call their villages ấp; urban lists say "Thôn/TDP"."""
    path = _village_list(tmp_path, "Mã ấp,Tên ấp,Mã tỉnh,Kinh độ,Vĩ độ\nA1,Ấp Bình Hòa,52,109.01,13.77\n")
    import_file(ws, "villages", path)
    assert ws.read_layer("villages")[["village_id", "kind"]].values.tolist() == [["A1", "ấp"]]
    path = _village_list(
        tmp_path, "Mã thôn/TDP,Thôn/TDP,Mã tỉnh,Kinh độ,Vĩ độ\nK1,Khối phố 3,52,109.01,13.77\n"
    )
    import_file(ws, "villages", path)
    assert ws.read_layer("villages")[["village_id", "name", "kind"]].values.tolist() == [
        ["K1", "Khối phố 3", "khối phố"]
    ]


def test_a_northern_list_heads_its_columns_by_the_xom_and_the_communes_admin_code(
    ws: Workspace, tmp_path: Path
) -> None:
    """Mountain provinces write "Thôn/xóm" or "Bản", the commune's code as "Mã ĐVHC xã" and
    the grid as "Điện lưới quốc gia": each is read as its field. Fails if one is left unread
    (no names, no communes, every village taken as powered)."""
    path = _village_list(
        tmp_path,
        "Mã thôn,Thôn/xóm,Mã ĐVHC xã,Mã tỉnh,Điện lưới quốc gia,Kinh độ,Vĩ độ\n"
        "X1,Xóm Mới,21553,52,không,109.01,13.77\n",
    )
    import_file(ws, "villages", path)
    village = ws.read_layer("villages").iloc[0]
    assert (village["name"], village["kind"], village["commune_code"]) == ("Xóm Mới", "xóm", "21553")
    assert not village["has_grid_power"]
    path = _village_list(tmp_path, "Mã bản,Bản,Mã tỉnh,Kinh độ,Vĩ độ\nB1,Bản Phố,52,109.01,13.77\n")
    import_file(ws, "villages", path)
    assert ws.read_layer("villages")[["village_id", "name", "kind"]].values.tolist() == [
        ["B1", "Bản Phố", "bản"]
    ]


def test_a_missing_column_is_named_with_the_columns_not_read(ws: Workspace, tmp_path: Path) -> None:
    path = _village_list(tmp_path, "Số hiệu,Tên ấp,Mã tỉnh,Kinh độ,Vĩ độ\nA1,Ấp 1,52,109.01,13.77\n")
    with pytest.raises(LayerValidationError) as caught:
        import_file(ws, "villages", path)
    message = str(caught.value)
    assert "missing required field 'village_id' (read from a column named village_id, mã thôn," in message
    assert "columns not read: 'Số hiệu')" in message


def test_a_name_without_a_kind_is_refused_naming_its_row(ws: Workspace, tmp_path: Path) -> None:
    path = _village_list(tmp_path, _HEADER + "T1,Thôn 1,52,109.01,13.77\nT2,Phú Mỹ,52,109.02,13.78\n")

    with pytest.raises(LayerValidationError, match=r"row 1, field 'kind'"):
        import_file(ws, "villages", path)


def test_a_kind_column_is_read_as_it_is() -> None:
    frame = pd.DataFrame({"name": ["Thôn 1"], "kind": ["làng"]})

    assert kinds_from_names(frame, _VILLAGES, notes=[]) is frame


@pytest.fixture
def province_ws(tmp_path: Path) -> Workspace:
    from coverage_gis.boundaries import load_communes

    ws = Workspace.create(tmp_path / "bd", metric_crs="EPSG:32649", provinces=["52"])
    ws.write_layers({"communes": load_communes(["binh-dinh"])}, validate=False)
    return ws


def test_a_village_list_without_province_codes_takes_the_communes(
    province_ws: Workspace, tmp_path: Path
) -> None:
    path = _village_list(
        tmp_path, "Mã thôn,Tên thôn,Kinh độ,Vĩ độ\nT1,Thôn 1,109.01,13.77\nT2,Làng O2,108.8,14.2\n"
    )

    result = import_file(province_ws, "villages", path)

    assert province_ws.read_layer("villages")["province_code"].tolist() == ["52", "52"]
    assert any("read from the commune each lies in (2)" in note for note in result.notes)


def test_given_province_codes_are_kept(province_ws: Workspace, tmp_path: Path) -> None:
    path = _village_list(
        tmp_path,
        "Mã thôn,Tên thôn,Mã tỉnh,Kinh độ,Vĩ độ\nT1,Thôn 1,99,109.01,13.77\nT2,Thôn 2,,109.02,13.78\n",
    )

    import_file(province_ws, "villages", path)

    assert province_ws.read_layer("villages")["province_code"].tolist() == ["99", "52"]


def test_without_communes_or_one_province_the_code_is_still_required(ws: Workspace, tmp_path: Path) -> None:
    path = _village_list(tmp_path, "Mã thôn,Tên thôn,Kinh độ,Vĩ độ\nT1,Thôn 1,109.01,13.77\n")

    with pytest.raises(LayerValidationError, match="province_code"):
        import_file(ws, "villages", path)


def test_village_outlines_are_read_as_a_point_inside_each(ws: Workspace, tmp_path: Path) -> None:
    """A province's GIS draws its thôn as boundaries: each is read as a point inside it, the
    point of a U-shaped one too (whose centroid lies outside it); a line is still refused."""
    u_shape = shapely.Polygon(
        [
            (109.0, 13.7),
            (109.1, 13.7),
            (109.1, 13.8),
            (109.08, 13.8),
            (109.08, 13.72),
            (109.02, 13.72),
            (109.02, 13.8),
            (109.0, 13.8),
        ]
    )
    square = shapely.box(109.2, 13.9, 109.21, 13.91)
    outlines = gpd.GeoDataFrame(
        {"Mã thôn": ["U", "S"], "Tên thôn": ["Thôn Chữ U", "Làng Vuông"], "Mã tỉnh": ["52", "52"]},
        geometry=[u_shape, shapely.MultiPolygon([square])],
        crs="EPSG:4326",
    )
    assert not u_shape.contains(u_shape.centroid)
    path = tmp_path / "ranh_gioi_thon.gpkg"
    outlines.to_file(path)

    result = import_file(ws, "villages", path)

    villages = ws.read_layer("villages").set_index("village_id")
    assert u_shape.contains(villages.geometry["U"])
    assert square.contains(villages.geometry["S"])
    assert "villages: 2 outlines (polygons) read as a point inside each (rows 0, 1)" in result.notes
    line = outlines.assign(geometry=[shapely.LineString([(109.0, 13.7), (109.1, 13.7)]), square])
    line.to_file(tmp_path / "lines.gpkg")
    with pytest.raises(LayerValidationError, match=r"row 0, field 'geometry': geometry is a LineString"):
        import_file(ws, "villages", tmp_path / "lines.gpkg")


def test_a_list_without_ids_is_given_ids_from_commune_and_name_when_asked(
    tiny_ws: Workspace, tmp_path: Path
) -> None:
    """``--make-ids``: a village gets the same id on every import, in any order (two of one
    name in one commune: by their order in the file)."""
    inside, outside = at(1000, 0), at(90_000, 0)
    rows = [
        f"1,Thôn Một,120,{inside.x},{inside.y}",
        f"2,thôn một,80,{inside.x + 0.001},{inside.y}",
        f"3,Làng Xa,40,{outside.x},{outside.y}",
    ]
    path = _village_list(tmp_path, "STT,Tên thôn,Số hộ,Kinh độ,Vĩ độ\n" + "\n".join(rows) + "\n")
    with pytest.raises(LayerValidationError, match=r"or import with --make-ids"):
        import_file(tiny_ws, "villages", path)

    result = import_file(tiny_ws, "villages", path, make_ids=True)

    ids = tiny_ws.read_layer("villages").set_index("village_id")["households"].to_dict()
    # In a commune: its code; in none: the province's (the workspace's one province).
    assert ids == {"99901-thon-mot": 120, "99901-thon-mot-2": 80, "99-lang-xa": 40}
    assert any("no village_id column: each village's id made from" in note for note in result.notes)
    reordered = _village_list(tmp_path, "STT,Tên thôn,Số hộ,Kinh độ,Vĩ độ\n" + "\n".join(rows[::-1]) + "\n")
    import_file(tiny_ws, "villages", reordered, make_ids=True)
    again = tiny_ws.read_layer("villages").set_index("village_id")["households"].to_dict()
    assert again["99-lang-xa"] == 40
    assert again["99901-thon-mot"] == 80  # a second village of one name: file order decides


def test_headers_listing_kinds_and_counts_named_otherwise_are_read(
    tiny_ws: Workspace, tmp_path: Path
) -> None:
    """Fails if "Tên thôn/bản", "Mã thôn, tổ dân phố", "Tổng số hộ (hộ)" or "Số khẩu" is left
    unread (households and people would be stored as 0), or if a header listing two
    fields' columns is read as either."""
    p = at(1000, 0)
    text = (
        "Mã thôn, tổ dân phố;Tên thôn/bản;Tổng số hộ (hộ);Số khẩu;Số hộ/số khẩu;Kinh độ;Vĩ độ\n"
        f"T1;Bản Mông;120;530;120/530;{p.x};{p.y}\n"
    )
    import_file(tiny_ws, "villages", _village_list(tmp_path, text))

    row = tiny_ws.read_layer("villages").iloc[0]
    assert (row["village_id"], row["name"], row["kind"]) == ("T1", "Bản Mông", "bản")
    assert (row["households"], row["population"]) == (120, 530)


def test_a_list_without_names_is_told_so_not_offered_one_name_for_all(
    tiny_ws: Workspace, tmp_path: Path
) -> None:
    p = at(1000, 0)
    path = _village_list(tmp_path, f"Thôn số,Số hộ,Kinh độ,Vĩ độ\n1,120,{p.x},{p.y}\n")
    with pytest.raises(LayerValidationError) as plain:
        import_file(tiny_ws, "villages", path)
    assert "--set name" not in str(plain.value)
    assert "--set kind" not in str(plain.value)
    with pytest.raises(LayerValidationError, match=r"--make-ids makes the ids from the names, and no column"):
        import_file(tiny_ws, "villages", path, make_ids=True)


def test_a_village_drawn_as_a_collection_takes_the_commune_of_its_point(
    tiny_ws: Workspace, tmp_path: Path
) -> None:
    """Google Earth's MultiGeometry (a point and a line): the id is made from the commune the
    point lies in, as validation reads the village, not the workspace's province."""
    p = at(1000, 0)
    line = shapely.LineString([(p.x, p.y), (p.x + 0.01, p.y)])
    frame = gpd.GeoDataFrame(
        {"Tên thôn": ["Thôn Gia Phú"]}, geometry=[shapely.GeometryCollection([p, line])], crs="EPSG:4326"
    )
    frame.to_file(tmp_path / "thon.geojson")
    import_file(tiny_ws, "villages", tmp_path / "thon.geojson", make_ids=True)
    assert tiny_ws.read_layer("villages")["village_id"].tolist() == ["99901-thon-gia-phu"]


def test_a_village_named_under_another_commune_is_pointed_out(tiny_ws: Workspace, tmp_path: Path) -> None:
    """The list's commune column names Xã Thử Nghiệm (before 2025) or Xã Mới (since), in any
    spelling; a village it puts in Xã Khác lies elsewhere than its list says."""
    p = at(1000, 0)
    rows = [
        ("T1", "Thôn 1", "Xã Thử Nghiệm"),
        ("T2", "Thôn 2", "thu nghiem"),
        ("T3", "Thôn 3", "Xã Mới"),
        ("T4", "Thôn 4", "Xã Khác"),
        ("T5", "Thôn 5", ""),
        # The type word without diacritics or cut short.
        ("T6", "Thôn 6", "Xa Thu Nghiem"),
        ("T7", "Thôn 7", "X. Mới"),
    ]
    text = "Mã thôn,Tên thôn,Xã,Kinh độ,Vĩ độ\n" + "".join(f"{i},{n},{c},{p.x},{p.y}\n" for i, n, c in rows)

    result = import_file(tiny_ws, "villages", _village_list(tmp_path, text))

    said = [note for note in result.notes if "name a commune" in note]
    assert said == [
        "villages: 1 of 7 name a commune ('Xã') other than the one they lie in (T4 names Xã Khác, lies in "
        "Xã Thử Nghiệm; rows 3): the KPIs and gap lists count each where it lies; check its coordinates"
    ]


def test_village_codes_numbered_within_each_commune_are_kept_apart(ws: Workspace, tmp_path: Path) -> None:
    """A district's list numbers each commune's villages 01, 02 again, beside the commune's
    code: each village is <commune>-<code>. Fails if the list is refused for duplicate ids."""
    path = tmp_path / "thon.csv"
    path.write_text(
        "Mã tỉnh,Mã xã,Mã thôn,Tên thôn,Kinh độ,Vĩ độ\n"
        "52,21676,01,Thôn Kim Giao Bắc,109.10105,14.48173\n52,21676,02,Thôn Diêm Tiêu,109.1025,14.4790\n"
        "52,21898,01,Thôn Chánh Oai,109.21774,13.95097\n",
        encoding="utf-8",
    )

    result = import_file(ws, "villages", path)

    assert ws.read_layer("villages")["village_id"].tolist() == ["21676-01", "21676-02", "21898-01"]
    assert any("each id made <commune_code>-<id> (e.g. '21676-01')" in note for note in result.notes)


def test_grid_power_ticked_under_yes_and_no_columns_is_one_answer(ws: Workspace, tmp_path: Path) -> None:
    """Fails if "Điện lưới quốc gia" over "Có | Chưa có" is dropped (every village then takes
    the default, grid power), or if a row that ticks both is read as either answer."""
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Mã thôn", "Tên thôn", "Mã tỉnh", "Kinh độ", "Vĩ độ", "Điện lưới quốc gia", None])
    sheet.append([None, None, None, None, None, "Có", "Chưa có"])
    sheet.append(["T1", "Thôn 1", "52", 109.01, 13.77, "x", None])
    sheet.append(["T2", "Thôn 2", "52", 109.02, 13.77, None, "x"])
    sheet.append(["T3", "Thôn 3", "52", 109.03, 13.77, None, None])
    for cells in ("A1:A2", "B1:B2", "C1:C2", "D1:D2", "E1:E2", "F1:G1"):
        sheet.merge_cells(cells)
    path = tmp_path / "thon.xlsx"
    book.save(path)

    result = import_file(ws, "villages", path)
    power = ws.read_layer("villages").set_index("village_id")["has_grid_power"].to_dict()
    # The third ticks neither: the schema's default.
    assert power == {"T1": True, "T2": False, "T3": True}
    assert any("read as one yes/no column" in note for note in result.notes)

    sheet["F4"] = "x"
    book.save(path)
    with pytest.raises(LayerValidationError, match=r"row 1, field 'has_grid_power'.*both ticked"):
        import_file(ws, "villages", path)


@pytest.mark.parametrize(
    "header", ["Chưa có điện lưới", "Điện lưới (chưa có)", "Không có điện lưới quốc gia"]
)
def test_a_column_that_asks_for_no_grid_power_is_read_turned_round(
    ws: Workspace, tmp_path: Path, header: str
) -> None:
    path = _village_list(
        tmp_path,
        f"Mã thôn,Tên thôn,Mã tỉnh,Kinh độ,Vĩ độ,{header}\n"
        "T1,Thôn 1,52,109.01,13.77,x\n"
        "T2,Thôn 2,52,109.02,13.77,\n",
    )
    import_file(ws, "villages", path)
    power = ws.read_layer("villages").set_index("village_id")["has_grid_power"].to_dict()
    assert power == {"T1": False, "T2": True}


@pytest.mark.parametrize(("said", "power"), [("Chưa", False), ("Đã có", True), ("Đã có điện lưới", True)])
def test_grid_power_said_in_words_is_read(ws: Workspace, tmp_path: Path, said: str, power: bool) -> None:
    path = _village_list(
        tmp_path, f"Mã thôn,Tên thôn,Mã tỉnh,Kinh độ,Vĩ độ,Điện lưới\nT1,Thôn 1,52,109.01,13.77,{said}\n"
    )
    import_file(ws, "villages", path)
    assert ws.read_layer("villages")["has_grid_power"].tolist() == [power]


def test_counts_written_with_their_unit_and_thousands_are_read(ws: Workspace, tmp_path: Path) -> None:
    """ "1.540 người" is 1,540 people (Fails if read as 1.54, or refused); "412 hộ" 412 households."""
    path = _village_list(
        tmp_path,
        "Mã thôn,Tên thôn,Mã tỉnh,Kinh độ,Vĩ độ,Dân số (người),Số hộ (hộ)\n"
        'T1,Thôn 1,52,109.01,13.77,"1.540 người",412 hộ\n'
        "T2,Thôn 2,52,109.02,13.77,1.540,412\n",
    )
    import_file(ws, "villages", path)
    villages = ws.read_layer("villages")
    assert villages[["population", "households"]].to_numpy().tolist() == [[1540, 412], [1540, 412]]


@pytest.mark.parametrize(
    ("households", "population", "power"),
    [
        ("Số hộ dân cư", "Khẩu", "Điện lưới QG"),
        ("Số hộ năm 2024", "Dân số năm 2024", "Có điện lưới QG"),
        ("Hộ", "Dân số (2024)", "Đã có điện lưới"),
    ],
)
def test_counts_and_grid_power_under_other_headers_are_read(
    ws: Workspace, tmp_path: Path, households: str, population: str, power: str
) -> None:
    """Fails if a village without grid power is stored with it (the column ignored: every
    village takes the default), or its households and population stored as 0."""
    path = _village_list(
        tmp_path,
        f"Mã thôn,Tên thôn,Mã tỉnh,Kinh độ,Vĩ độ,{households},{population},{power}\n"
        "T1,Làng Đồng Tiến,52,109.01,13.77,90,340,Không\nT2,Thôn 2,52,109.02,13.78,120,455,Có\n",
    )

    import_file(ws, "villages", path)

    villages = ws.read_layer("villages")
    assert villages["has_grid_power"].tolist() == [False, True]
    assert villages["households"].tolist() == [90, 120]
    assert villages["population"].tolist() == [340, 455]


@pytest.mark.parametrize("header", ["Ấp/Khóm", "Tên thôn, buôn, bon", "Bản/Tổ dân phố", "Thôn/KP"])
def test_a_name_column_headed_by_the_provinces_own_kinds_is_read(
    ws: Workspace, tmp_path: Path, header: str
) -> None:
    """Fails if the list is refused for a missing name."""
    path = _village_list(tmp_path, f'Mã thôn,"{header}",Mã tỉnh,Kinh độ,Vĩ độ\nT1,Thôn 1,52,109.01,13.77\n')
    import_file(ws, "villages", path)
    assert ws.read_layer("villages")["name"].tolist() == ["Thôn 1"]


def test_a_kind_column_of_short_forms_is_read(ws: Workspace, tmp_path: Path) -> None:
    """A kind column writes TDP, KP, Tổ, Khối, Plei as the names' leads are read. Fails if
    any is refused as an unknown kind."""
    rows = "".join(
        f"T{k},{name},{kind},52,109.0{k},13.77\n"
        for k, (name, kind) in enumerate(
            [("Số 5", "TDP"), ("Số 2", "KP"), ("Số 3", "Tổ"), ("Số 4", "Khối"), ("Ốp", "Plei")]
        )
    )
    path = _village_list(tmp_path, "Mã thôn,Tên thôn,Loại,Mã tỉnh,Kinh độ,Vĩ độ\n" + rows)
    import_file(ws, "villages", path)
    assert ws.read_layer("villages")["kind"].tolist() == [
        "tổ dân phố",
        "khu phố",
        "tổ dân phố",
        "khối phố",
        "làng",
    ]
