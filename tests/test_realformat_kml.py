"""KML as Google Earth writes it: a MultiGeometry holding a polygon and a label point."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pytest
import shapely

from coverage_gis.errors import LayerValidationError
from coverage_gis.io import import_file
from coverage_gis.layers import get_schema
from coverage_gis.validation import validate_layer
from coverage_gis.workspace import Workspace

_ZONE = """<?xml version="1.0" encoding="UTF-8"?>
<kml xmlns="http://www.opengis.net/kml/2.2"><Document><Folder><name>5G</name>
<Placemark><name>Vùng 1</name><ExtendedData><Data name="Mã vùng"><value>Z1</value></Data>
<Data name="Nhà mạng"><value>Viettel</value></Data></ExtendedData>
<MultiGeometry><Polygon><outerBoundaryIs><LinearRing><coordinates>109.0,13.7,0 109.1,13.7,0 109.1,13.8,0
109.0,13.8,0 109.0,13.7,0</coordinates></LinearRing></outerBoundaryIs></Polygon>
<Point><coordinates>109.05,13.75,0</coordinates></Point></MultiGeometry>
</Placemark></Folder></Document></kml>
"""


def test_a_multigeometry_polygon_with_a_label_point_imports(tmp_path: Path) -> None:
    ws = Workspace.create(tmp_path / "ws", metric_crs="EPSG:32649")
    path = tmp_path / "vung_5g.kml"
    path.write_text(_ZONE, encoding="utf-8")

    result = import_file(ws, "zones_5g", path)

    zone = ws.read_layer("zones_5g").geometry.iloc[0]
    assert zone.geom_type == "MultiPolygon"
    assert zone.bounds == (109.0, 13.7, 109.1, 13.8)
    assert any("MultiGeometry" in note for note in result.notes)


@pytest.mark.parametrize(
    ("layer", "record", "parts", "kind"),
    [
        ("sites", {"site_id": "S1"}, ["POINT (109 13.7)", "LINESTRING (109 13.7, 109.1 13.7)"], "Point"),
        (
            "fiber_routes",
            {"route_id": "R1", "operator": "VNPT", "class": "access"},
            ["LINESTRING (109 13.7, 109.1 13.7)", "POINT (109 13.7)", "LINESTRING (109.1 13.7, 109.2 13.7)"],
            "MultiLineString",
        ),
    ],
)
def test_a_collection_is_read_as_its_parts_of_the_layers_kind(
    layer: str, record: dict[str, str], parts: list[str], kind: str
) -> None:
    collection = shapely.GeometryCollection([shapely.from_wkt(p) for p in parts])
    frame = gpd.GeoDataFrame([record], geometry=[collection], crs="EPSG:4326")

    clean, report = validate_layer(frame, get_schema(layer), source="t.kml")

    assert clean.geometry.iloc[0].geom_type == kind
    assert report.reduced_collections == [0]


def test_a_collection_without_a_part_of_the_layers_kind_is_refused() -> None:
    collection = shapely.GeometryCollection([shapely.Point(109, 13.7)])
    frame = gpd.GeoDataFrame([{"zone_id": "Z1", "operator": "VNPT"}], geometry=[collection], crs="EPSG:4326")

    with pytest.raises(LayerValidationError, match="geometry is a GeometryCollection"):
        validate_layer(frame, get_schema("zones_5g"), source="t.kml")


def test_an_extended_data_name_wins_over_the_placemark_label(tmp_path: Path) -> None:
    """My Maps labels each site by its id (<name>BDH001</name>); its name is in 'Tên trạm'."""
    ws = Workspace.create(tmp_path / "ws", metric_crs="EPSG:32649")
    path = tmp_path / "tram.kml"
    path.write_text(
        '<kml xmlns="http://www.opengis.net/kml/2.2"><Document><Placemark><name>BDH001</name>'
        '<ExtendedData><Data name="Mã trạm"><value>BDH001</value></Data>'
        '<Data name="Tên trạm"><value>Quy Nhơn 1</value></Data></ExtendedData>'
        "<Point><coordinates>109.2201,13.7701,0</coordinates></Point></Placemark></Document></kml>",
        encoding="utf-8",
    )

    result = import_file(ws, "sites", path)

    assert ws.read_layer("sites")[["site_id", "name"]].values.tolist() == [["BDH001", "Quy Nhơn 1"]]
    assert "sites: name read from 'Tên trạm', not from each Placemark's <name> label" in result.notes


def test_folders_of_polygons_with_label_points_are_read_together(tmp_path: Path) -> None:
    ws = Workspace.create(tmp_path / "ws", metric_crs="EPSG:32649")
    path = tmp_path / "vung_5g.kml"
    second = (
        _ZONE.split("<Folder>")[1]
        .split("</Folder>")[0]
        .replace("Z1", "Z2")
        .replace("5G</name>", "Khác</name>")
    )
    path.write_text(
        _ZONE.replace("</Folder>", "</Folder><Folder>" + second + "</Folder>", 1), encoding="utf-8"
    )

    result = import_file(ws, "zones_5g", path)

    assert sorted(ws.read_layer("zones_5g")["zone_id"]) == ["Z1", "Z2"]
    assert any("read the 2 folders together (2 Placemarks, all polygon geometry)" in n for n in result.notes)


_ROUTES = """<?xml version="1.0" encoding="UTF-8"?>
<kml xmlns="http://www.opengis.net/kml/2.2"><Document><Folder><name>Tuyến cáp</name>
<Placemark><name>Tuyến Bảo Yên - Bảo Hà</name><LineString><coordinates>109.0,13.7 109.1,13.7</coordinates>
</LineString></Placemark>
<Placemark><name>Tuyến Bảo Hà - Tân Dương</name><LineString><coordinates>109.1,13.7 109.2,13.7</coordinates>
</LineString></Placemark></Folder></Document></kml>
"""


def test_routes_drawn_without_ids_take_their_placemark_names(tmp_path: Path) -> None:
    """Google Earth routes carry a name and no code: the name is the id (with a note). Fails
    if the import asks for a route_id column the file cannot have."""
    ws = Workspace.create(tmp_path / "ws", metric_crs="EPSG:32649")
    path = tmp_path / "tuyen_cap.kml"
    path.write_text(_ROUTES, encoding="utf-8")

    result = import_file(ws, "fiber_routes", path, values={"operator": "VNPT", "class": "access"})

    assert ws.read_layer("fiber_routes")["route_id"].tolist() == [
        "Tuyến Bảo Yên - Bảo Hà",
        "Tuyến Bảo Hà - Tân Dương",
    ]
    assert "fiber_routes: no route_id column: 'name' read as route_id" in result.notes


_SITES = """<?xml version="1.0" encoding="UTF-8"?>
<kml xmlns="http://www.opengis.net/kml/2.2"><Document>
<Placemark><name>QNI_VNP_001</name><ExtendedData><Data name="Tên trạm"><value>Bình Khương</value></Data>
</ExtendedData><Point><coordinates>109.0,13.7</coordinates></Point></Placemark>
<Placemark><name>QNI_VNP_002</name><Point><coordinates>109.1,13.7</coordinates></Point></Placemark>
</Document></kml>
"""


@pytest.mark.parametrize("named", [True, False])
def test_sites_drawn_in_google_earth_take_the_placemark_label_as_id(tmp_path: Path, named: bool) -> None:
    """The label My Maps shows is the site's code; the name in ExtendedData stays its name. A
    file of labels and points alone imports too. Fails if the name is taken as the id (the
    operator's cell list would then name sites the workspace does not hold)."""
    ws = Workspace.create(tmp_path / "ws", metric_crs="EPSG:32649")
    path = tmp_path / "tram.kml"
    text = (
        _SITES
        if named
        else _SITES.replace(
            '<ExtendedData><Data name="Tên trạm"><value>Bình Khương</value></Data>\n</ExtendedData>', ""
        )
    )
    path.write_text(text, encoding="utf-8")

    import_file(ws, "sites", path)

    sites = ws.read_layer("sites")
    assert sites["site_id"].tolist() == ["QNI_VNP_001", "QNI_VNP_002"]
    if named:
        assert sites["name"].tolist()[0] == "Bình Khương"
