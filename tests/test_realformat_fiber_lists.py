"""Fiber networks as operators keep them: their words for a cable's class and state, their
units' names, their node lists' headers, a KML of route folders beside a folder of pins."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from coverage_gis.io import import_file
from coverage_gis.workspace import Workspace

_LINE = "LINESTRING (109.0 13.7, 109.01 13.7)"


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    return Workspace.create(tmp_path / "ws", metric_crs="EPSG:32649")


@pytest.mark.parametrize(
    ("written", "field", "read"),
    [
        ("Cáp nhánh", "class", "distribution"),
        ("Cáp thuê bao", "class", "access"),
        ("Cáp đường trục", "class", "backbone"),
        ("Liên tỉnh", "class", "backbone"),
        ("Chưa khai thác", "status", "planned"),
        ("Đang triển khai", "status", "planned"),
        ("Đã thu hồi", "status", "decommissioned"),
        ("Đứt cáp", "status", "decommissioned"),
        ("Hoạt động tốt", "status", "on_air"),
        ("CN Viettel Bình Định", "operator", "Viettel"),
        ("TTVT Vĩnh Thạnh - VNPT Bình Định", "operator", "VNPT"),
        ("VNPT-BĐH", "operator", "VNPT"),
        ("VTVCab", "operator", "Other"),
    ],
)
def test_a_route_lists_words_are_read(
    ws: Workspace, tmp_path: Path, written: str, field: str, read: str
) -> None:
    values = {"class": "truy nhập", "status": "Đang khai thác", "operator": "VNPT", field: written}
    path = tmp_path / "tuyen.csv"
    path.write_text(
        "Mã tuyến,Đơn vị quản lý,Loại tuyến,Trạng thái,WKT\n"
        f'R1,"{values["operator"]}","{values["class"]}","{values["status"]}","{_LINE}"\n',
        encoding="utf-8",
    )
    import_file(ws, "fiber_routes", path)
    assert ws.read_layer("fiber_routes")[field].tolist() == [read]


def test_a_cabinet_list_names_its_nodes_by_their_codes_and_kinds(ws: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "tu.csv"
    path.write_text(
        "Mã tủ,Loại thiết bị,DON_VI_QL,Kinh độ,Vĩ độ\n"
        "FDC-01,FDC,FPT Telecom,109.0,13.7\n"
        "SPL-02,Bộ chia cấp 2,FPT Telecom,109.01,13.7\n",
        encoding="utf-8",
    )
    import_file(ws, "fiber_nodes", path)
    nodes = ws.read_layer("fiber_nodes").set_index("node_id")
    assert nodes[["kind", "operator"]].to_dict("index") == {
        "FDC-01": {"kind": "splitter", "operator": "Other"},
        "SPL-02": {"kind": "splitter", "operator": "Other"},
    }


def _placemark(name: str, geometry: str) -> str:
    return f"<Placemark><name>{name}</name>{geometry}</Placemark>"


def test_route_folders_are_read_beside_a_folder_of_pins_left_out(ws: Workspace, tmp_path: Path) -> None:
    line = "<LineString><coordinates>109.0,13.7 109.01,13.7</coordinates></LineString>"
    pin = "<Point><coordinates>109.0,13.7</coordinates></Point>"
    path = tmp_path / "tuyen.kml"
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?><kml xmlns="http://www.opengis.net/kml/2.2"><Document>'
        f"<Folder><name>Cáp trục</name>{_placemark('T1', line)}</Folder>"
        f"<Folder><name>Cáp nhánh</name>{_placemark('N1', line)}{_placemark('N2', line)}</Folder>"
        f"<Folder><name>Măng xông</name>{_placemark('MX1', pin)}</Folder>"
        "</Document></kml>",
        encoding="utf-8",
    )
    result = import_file(ws, "fiber_routes", path, values={"operator": "VNPT", "class": "access"})

    routes = ws.read_layer("fiber_routes")
    assert sorted(routes["route_id"]) == ["N1", "N2", "T1"]
    assert any("left out the folders without a line drawn in them: 'Măng xông'" in n for n in result.notes)
    # The class given with --set wins over the folders' names ("Cáp trục" would read as backbone).
    assert set(routes["class"]) == {"access"}
    assert not any("read from each Placemark's folder" in n for n in result.notes)


def test_a_cables_type_beside_its_class_is_not_a_second_class(ws: Workspace, tmp_path: Path) -> None:
    """ "Loại cáp" (aerial, underground, 48FO) is the cable's type; "Cấp tuyến" its class."""
    path = tmp_path / "tuyen.csv"
    path.write_text(
        f'Mã tuyến,Nhà mạng,Cấp tuyến,Loại cáp,WKT\nR1,Viettel,Cáp nhánh,Cáp quang treo 24FO,"{_LINE}"\n',
        encoding="utf-8",
    )
    import_file(ws, "fiber_routes", path)
    assert ws.read_layer("fiber_routes")["class"].tolist() == ["distribution"]


def test_a_kept_route_folder_that_holds_a_pin_too_is_not_said_to_be_all_lines(
    ws: Workspace, tmp_path: Path
) -> None:
    """A route folder with a splice pin beside its line, and a folder of pins only. Fails if the
    note says the folders read are "all line geometry" while one holds a pin (left out by a
    note of its own)."""
    line = "<LineString><coordinates>109.0,13.7 109.01,13.7</coordinates></LineString>"
    pin = "<Point><coordinates>109.0,13.7</coordinates></Point>"
    path = tmp_path / "tuyen.kml"
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?><kml xmlns="http://www.opengis.net/kml/2.2"><Document>'
        f"<Folder><name>Tuyến 1</name>{_placemark('T1', line)}{_placemark('MX0', pin)}</Folder>"
        f"<Folder><name>Tuyến 2</name>{_placemark('T2', line)}</Folder>"
        f"<Folder><name>Măng xông</name>{_placemark('MX1', pin)}</Folder>"
        "</Document></kml>",
        encoding="utf-8",
    )
    result = import_file(ws, "fiber_routes", path, values={"operator": "VNPT", "class": "access"})

    assert sorted(ws.read_layer("fiber_routes")["route_id"]) == ["T1", "T2"]
    said = [n for n in result.notes if n.startswith("read the 2 folders together")]
    assert said == [
        "read the 2 folders together (3 Placemarks, read as line geometry): Tuyến 1, Tuyến 2; "
        "--source-layer reads one"
    ]


@pytest.mark.parametrize(
    ("layer", "field", "written", "read"),
    [
        ("fiber_nodes", "kind", "Splitter cấp 1", "splitter"),
        ("fiber_nodes", "kind", "Hộp FAT", "splitter"),
        ("fiber_nodes", "kind", "Tủ OLT ngoài trời", "olt"),
        ("fiber_routes", "class", "Trục huyện", "backbone"),
        ("fiber_routes", "class", "Cáp gốc", "distribution"),
        ("fiber_routes", "class", "Cáp drop", "access"),
        ("fiber_routes", "class", "Tuyến truy nhập", "access"),
        ("fiber_routes", "status", "Đứt", "decommissioned"),
        ("sites", "environment", "Nông thôn", "rural"),
        ("sites", "environment", "Đô thị", "urban"),
        ("sites", "environment", "Ngoại thành", "suburban"),
        ("cells", "tech", "5G NR SA", "5G"),
    ],
)
def test_fiber_and_site_values_as_operators_write_them(
    layer: str, field: str, written: str, read: str
) -> None:
    """Fails if a value an operator's list writes is refused as unknown (or read as another)."""
    from coverage_gis.io.headers import as_allowed
    from coverage_gis.layers import get_schema

    assert as_allowed(pd.Series([written]), get_schema(layer).field(field)).tolist() == [read]
