"""Lists of priority places (bệnh viện, trường, KCN…) as provinces keep them: Vietnamese
categories, or none but the word each place's name begins with."""

from __future__ import annotations

from pathlib import Path

import pytest

from coverage_gis.errors import LayerValidationError
from coverage_gis.io import import_file
from coverage_gis.workspace import Workspace

_PLACES = [
    ("P1", "Bệnh viện Đa khoa tỉnh", "Bệnh viện", "hospital"),
    ("P2", "Trường THPT Quốc Học", "Trường THPT", "school"),
    ("P3", "KCN Phú Tài", "KCN", "industrial_zone"),
    ("P4", "UBND xã Vĩnh Kim", "UBND xã", "commune_office"),
    ("P5", "Ga Diêu Trì", "Nhà ga", "station"),
    ("P6", "Cảng hàng không Phù Cát", "Sân bay", "airport"),
    ("P7", "Khu du lich Ghenh Rang", "khu du lich", "tourist_area"),  # typed without diacritics
    ("P8", "Trung tâm y tế huyện An Lão", "TTYT", "hospital"),
    # a commune's own places, as its lists name and group them
    ("P10", "Uỷ ban nhân dân xã Hoài Hải", "Hành chính", "commune_office"),  # old-style "Uỷ"
    ("P11", "Trụ sở Đảng ủy - HĐND - UBND xã Cát Tiến", "Trụ sở UBND", "commune_office"),
    ("P12", "THPT Tam Quan", "Giáo dục", "school"),
    ("P13", "Điểm trường Kim Giao", "Điểm trường", "school"),
    ("P14", "BVĐK huyện Hoài Nhơn", "BVĐK huyện", "hospital"),
    ("P15", "Cụm CN Gò Mít", "Cụm CN", "industrial_zone"),
    ("P16", "TH&THCS Canh Liên", "TH&THCS", "school"),
    # a province's offices are no commune's; an airport's terminal is the airport
    ("P17", "Trụ sở UBND tỉnh Gia Lai", "Trụ sở UBND tỉnh", "district_centre"),
    ("P18", "Nhà ga hành khách Cảng hàng không Phù Cát", "Cảng hàng không", "airport"),
    # the 2025 communes' offices
    ("P19", "Trung tâm Phục vụ hành chính công xã Cát Tiến", "Trụ sở làm việc xã", "commune_office"),
    ("P20", "UBND đặc khu Phú Quý", "UBND đặc khu", "commune_office"),
    # schools by their level's short form
    ("P21", "TH số 2 Mỹ Châu", "TH", "school"),
    ("P22", "MN Hoa Sen", "MN", "school"),
    ("P23", "PTDTBT TH&THCS Canh Liên", "PTDTBT", "school"),
]


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    return Workspace.create(tmp_path / "ws", metric_crs="EPSG:32649")


def _places(tmp_path: Path, *, with_category: bool) -> Path:
    header = "Mã điểm,Tên" + (",Loại" if with_category else "") + ",Kinh độ,Vĩ độ\n"
    rows = "".join(
        f"{pid},{name}" + (f",{category}" if with_category else "") + f",109.{i},13.7\n"
        for i, (pid, name, category, _) in enumerate(_PLACES, start=10)
    )
    path = tmp_path / "dia_diem.csv"
    path.write_text(header + rows, encoding="utf-8")
    return path


@pytest.mark.parametrize("with_category", [True, False])
def test_places_take_their_vietnamese_category(ws: Workspace, tmp_path: Path, with_category: bool) -> None:
    result = import_file(ws, "pois", _places(tmp_path, with_category=with_category))

    got = ws.read_layer("pois").set_index("poi_id")["category"].to_dict()
    assert got == {pid: category for pid, _, _, category in _PLACES}
    said = "category values read as" if with_category else "no category column; category read from the names"
    assert any(said in note for note in result.notes)


def test_a_place_whose_name_begins_with_no_category_is_refused_by_row(ws: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "dia_diem.csv"
    path.write_text(
        "Mã điểm,Tên,Kinh độ,Vĩ độ\nP1,Bệnh viện Tỉnh,109.1,13.7\nP2,Chợ Lớn,109.2,13.7\n", "utf-8"
    )

    with pytest.raises(LayerValidationError, match=r"row 1, field 'category': required value is empty"):
        import_file(ws, "pois", path)


def test_a_category_cell_that_begins_with_a_category_reads_as_it(ws: Workspace, tmp_path: Path) -> None:
    """Fails if a category cell naming the place's kind and more ("Trường PTDTNT …") is
    refused, or if one that begins with no category word is read as anything."""
    path = tmp_path / "dia_diem.csv"
    path.write_text(
        "Mã điểm,Tên,Loại,Kinh độ,Vĩ độ\n"
        "P1,PTDTNT Văn Bàn,Trường PTDTNT,109.1,13.7\n"
        "P2,BVĐK Sa Pa,Bệnh viện đa khoa khu vực,109.2,13.7\n"
        "P3,Ga Lào Cai,ga,109.3,13.7\n",
        "utf-8",
    )
    result = import_file(ws, "pois", path)
    got = ws.read_layer("pois").set_index("poi_id")["category"].to_dict()
    assert got == {"P1": "school", "P2": "hospital", "P3": "station"}
    assert any("'Trường PTDTNT' → school" in note for note in result.notes)

    path.write_text(
        "Mã điểm,Tên,Loại,Kinh độ,Vĩ độ\nP9,Trạm y tế xã Bản Vược,Trạm y tế,109.1,13.7\n", "utf-8"
    )
    with pytest.raises(LayerValidationError, match=r"row 0, field 'category': unknown value 'Trạm y tế'"):
        import_file(ws, "pois", path)


def test_a_list_of_places_without_ids_gets_them_made_when_asked(ws: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "truong.csv"
    path.write_text(
        "STT,Tên trường,Kinh độ,Vĩ độ\n"
        "1,Trường Mầm non Canh Liên,109.1,13.7\n"
        "2,Trường TH Canh Liên,109.2,13.7\n",
        "utf-8",
    )
    with pytest.raises(LayerValidationError, match=r"--make-ids \(each place's id made from the commune"):
        import_file(ws, "pois", path)

    result = import_file(ws, "pois", path, make_ids=True)
    places = ws.read_layer("pois")
    assert places["name"].tolist() == ["Trường Mầm non Canh Liên", "Trường TH Canh Liên"]
    assert places["poi_id"].tolist() == ["x-truong-mam-non-canh-lien", "x-truong-th-canh-lien"]
    assert any("no poi_id column" in note for note in result.notes)
