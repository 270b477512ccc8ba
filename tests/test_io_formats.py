"""Importing each supported format from the tiny fixtures in tests/data (see its README)."""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely

from coverage_gis.cli import main
from coverage_gis.errors import LayerValidationError
from coverage_gis.io import (
    ImportResult,
    detect_format,
    import_dem,
    import_file,
    import_roads,
    read_dem_info,
    read_file,
    read_roads,
    validate_roads_file,
)
from coverage_gis.io.opencellid import read_opencellid
from coverage_gis.workspace import Workspace

DATA = Path(__file__).parent / "data"


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    return Workspace.create(tmp_path / "ws", metric_crs="EPSG:32649")


def _xy(geom: shapely.Geometry) -> tuple[float, float]:
    return (round(float(shapely.get_x(geom)), 6), round(float(shapely.get_y(geom)), 6))


# -- GeoJSON -------------------------------------------------------------------------


def test_geojson_villages(ws: Workspace) -> None:
    result = import_file(ws, "villages", DATA / "villages.geojson")

    assert isinstance(result, ImportResult)
    assert result.counts == {"villages": 4}
    assert any("ghi_chu" in note for note in result.notes)
    villages = ws.read_layer("villages").set_index("village_id")
    o2 = villages.loc["52-21790-O2"]
    assert o2["name"] == "làng O2"
    assert o2["kind"] == "làng"
    assert o2["commune_code"] == "21790"
    assert o2["households"] == 62
    assert not o2["has_grid_power"]
    assert _xy(o2.geometry) == (108.76172, 14.30607)
    assert villages.loc["52-21631-T6", "name"] == "thôn 6"
    assert bool(villages.loc["52-21619-T1", "has_grid_power"])


def test_read_file_gives_raw_frames_in_4326_indexed_by_feature() -> None:
    frames = read_file(DATA / "villages.geojson", "villages")

    assert list(frames) == ["villages"]
    frame = frames["villages"]
    assert frame.crs.to_epsg() == 4326
    assert frame.index.tolist() == [0, 1, 2, 3]
    assert "ghi_chu" in frame.columns  # raw: not validated


# -- CSV -----------------------------------------------------------------------------


def test_csv_with_bom_semicolons_and_decimal_comma(ws: Workspace) -> None:
    result = import_file(ws, "villages", DATA / "villages_excel.csv")

    assert result.counts == {"villages": 3}
    villages = ws.read_layer("villages").set_index("village_id")
    assert list(villages.columns[:2]) == ["name", "kind"]
    dt = villages.loc["52-21667-DT"]
    assert dt["name"] == "thôn Định Trị"
    assert dt["population"] == 1630
    assert _xy(dt.geometry) == (109.05416, 14.49522)
    assert _xy(villages.loc["52-21760-VT"].geometry) == (109.14915, 14.22137)


def test_csv_pois_longitude_latitude(ws: Workspace) -> None:
    result = import_file(ws, "pois", DATA / "pois.csv")

    assert result.counts == {"pois": 4}
    pois = ws.read_layer("pois").set_index("poi_id")
    assert pois.loc["POI-BD-101", "name"] == "Bệnh viện Đa khoa khu vực Bồng Sơn"
    assert pois.loc["POI-BD-103", "category"] == "seaport"
    assert _xy(pois.loc["POI-BD-104"].geometry) == (108.77401, 14.09845)


@pytest.mark.parametrize(
    ("lon", "lat"),
    [("lon", "lat"), ("LNG", "Lat"), ("long", "latitude"), ("Longitude", "LATITUDE"), ("x", "y")],
)
def test_csv_coordinate_column_names(tmp_path: Path, lon: str, lat: str) -> None:
    path = tmp_path / "pois.csv"
    path.write_text(
        f"poi_id,name,category,{lon},{lat}\nP1,Chợ Tam Quan,district_centre,109.0427,14.5559\n",
        encoding="utf-8",
    )

    frame = read_file(path, "pois")["pois"]

    assert _xy(frame.geometry.iloc[0]) == (109.0427, 14.5559)
    assert lon not in frame.columns
    assert lat not in frame.columns


def test_csv_with_wkt_lines(ws: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "tuyen.csv"
    path.write_text(
        "route_id,operator,class,status,WKT\n"
        'FR-1,Viettel,access,on_air,"LINESTRING (108.77401 14.09845, 108.76172 14.30607)"\n'
        'FR-2,VNPT,backbone,planned,"MULTILINESTRING ((108.8 14.5, 108.9 14.6), (109.0 14.4, 109.1 14.3))"\n',
        encoding="utf-8",
    )

    assert import_file(ws, "fiber_routes", path).counts == {"fiber_routes": 2}
    routes = ws.read_layer("fiber_routes").set_index("route_id")
    assert shapely.get_coordinates(routes.loc["FR-1"].geometry).tolist() == [
        [108.77401, 14.09845],
        [108.76172, 14.30607],
    ]


def test_3d_geometries_lose_their_heights(ws: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "poi3d.geojson"
    path.write_text(
        '{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"poi_id": "P1", '
        '"name": "Sân bay Phù Cát", "category": "airport"}, '
        '"geometry": {"type": "Point", "coordinates": [109.0494, 13.9550, 24.0]}}]}',
        encoding="utf-8",
    )

    result = import_file(ws, "pois", path)

    assert any("Z" in note for note in result.notes)
    assert not ws.read_layer("pois").geometry.iloc[0].has_z


def test_csv_for_attribute_layer_needs_no_coordinates(ws: Workspace) -> None:
    import_file(ws, "sites", DATA / "sites_multi.gpkg", source_layer="tram_viettel")
    path = ws.path.parent / "cells.csv"
    path.write_text(
        "cell_id,site_id,operator,tech,azimuth_deg,status\n"
        "BD-VT-0001-L1,BD-VT-0001,Viettel,4G,120,on_air\n"
        "BD-VT-0001-L2,BD-VT-0001,Viettel,4G,240,on_air\n"
        "BD-VT-0002-U1,BD-VT-0002,viettel,3g,,on_air\n",
        encoding="utf-8",
    )

    result = import_file(ws, "cells", path)

    assert result.counts == {"cells": 3}
    cells = ws.read_layer("cells").set_index("cell_id")
    assert cells.loc["BD-VT-0002-U1", "tech"] == "3G"
    assert cells.loc["BD-VT-0002-U1", "operator"] == "Viettel"
    assert cells.loc["BD-VT-0001-L2", "azimuth_deg"] == 240.0


# -- GeoPackage and shapefile ------------------------------------------------------------


def test_gpkg_in_vn2000_is_reprojected(ws: Workspace) -> None:
    result = import_file(ws, "pois", DATA / "pois_vn2000.gpkg")

    assert result.counts == {"pois": 3}
    assert any("reprojected from EPSG:3405" in note for note in result.notes)
    pois = ws.read_layer("pois").set_index("poi_id")
    assert pois.loc["POI-BD-001", "name"] == "Bệnh viện Đa khoa huyện An Lão"
    x, y = _xy(pois.loc["POI-BD-001"].geometry)
    assert x == pytest.approx(108.88475, abs=1e-6)
    assert y == pytest.approx(14.60068, abs=1e-6)


def test_gpkg_source_layer_picks_one_of_several(ws: Workspace) -> None:
    result = import_file(ws, "sites", DATA / "sites_multi.gpkg", source_layer="tram_vnpt")

    assert result.counts == {"sites": 2}
    sites = ws.read_layer("sites")
    assert sorted(sites["site_id"]) == ["BD-VNPT-0001", "BD-VNPT-0002"]
    assert set(sites["owner"]) == {"VNPT"}


def test_a_gpkg_of_routes_nodes_and_qgis_styles_reads_the_layer_that_fits(
    ws: Workspace, tmp_path: Path
) -> None:
    """A QGIS user's GeoPackage of a fiber network: a point layer of nodes, a line layer of
    routes, and the ``layer_styles`` table QGIS saved its styles in. Imported as routes it
    reads the one line layer, as nodes the one point layer, with a note. Fails if the import
    asks for --source-layer; two layers of one kind still do."""
    import geopandas as gpd

    path = tmp_path / "mang.gpkg"
    nodes = gpd.GeoDataFrame(
        {"node_id": ["N1"], "operator": ["VNPT"], "kind": ["olt"], "status": ["on_air"]},
        geometry=[shapely.Point(109.1, 13.8)],
        crs="EPSG:4326",
    )
    routes = gpd.GeoDataFrame(
        {"route_id": ["R1"], "operator": ["VNPT"], "class": ["access"], "status": ["on_air"]},
        geometry=[shapely.LineString([(109.1, 13.8), (109.11, 13.81)])],
        crs="EPSG:4326",
    )
    nodes.to_file(path, layer="tu_olt", driver="GPKG")
    routes.to_file(path, layer="tuyen_cap", driver="GPKG")
    pd.DataFrame({"f_table_name": ["tuyen_cap"], "styleQML": ["<qgis/>"]}).pipe(
        lambda styles: gpd.GeoDataFrame(styles).to_file(path, layer="layer_styles", driver="GPKG")
    )

    routes_read = import_file(ws, "fiber_routes", path)
    nodes_read = import_file(ws, "fiber_nodes", path)

    assert ws.read_layer("fiber_routes")["route_id"].tolist() == ["R1"]
    assert ws.read_layer("fiber_nodes")["node_id"].tolist() == ["N1"]
    assert (
        "read the layer 'tuyen_cap', the only one of tu_olt, tuyen_cap whose geometry fits (LineString)"
        in routes_read.notes
    )
    assert any("'tu_olt'" in note for note in nodes_read.notes)
    routes.to_file(path, layer="tuyen_cap_2", driver="GPKG")
    with pytest.raises(LayerValidationError, match="choose one with --source-layer"):
        import_file(ws, "fiber_routes", path)


def test_zipped_shapefile_in_utm49n(ws: Workspace) -> None:
    result = import_file(ws, "fiber_routes", DATA / "fiber_routes_utm49n.zip")

    assert result.counts == {"fiber_routes": 3}
    assert any("EPSG:32649" in note for note in result.notes)
    routes = ws.read_layer("fiber_routes").set_index("route_id")
    assert routes.loc["FR-VNPT-001", "class"] == "distribution"
    assert routes.loc["FR-MBF-003", "status"] == "planned"
    first = shapely.get_coordinates(routes.loc["FR-VNPT-001"].geometry)[0]
    assert first == pytest.approx([108.88475, 14.60068], abs=1e-6)


def test_bare_shapefile(ws: Workspace, tmp_path: Path) -> None:
    with zipfile.ZipFile(DATA / "fiber_routes_utm49n.zip") as archive:
        archive.extractall(tmp_path / "shp")

    result = import_file(ws, "fiber_routes", tmp_path / "shp" / "tuyen_cap_quang.shp")

    assert result.counts == {"fiber_routes": 3}


# -- KML -----------------------------------------------------------------------------


def _route(name: str, kind: str, coordinates: str) -> str:
    described = f"Nhà mạng: Viettel&lt;br&gt;Loại tuyến: {kind}&lt;br&gt;Trạng thái: Đang khai thác"
    return (
        f"<Placemark><name>{name}</name><description>{described}</description>"
        f"<LineString><coordinates>{coordinates}</coordinates></LineString></Placemark>\n"
    )


_ROUTE_KML = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<kml xmlns="http://www.opengis.net/kml/2.2"><Document><Folder>'
    "<name>Tuyến cáp Viettel</name>\n"
    + _route("Tuyến 1", "Truy nhập", "108.9984,14.4371,0 109.02,14.5,0")
    + "<Placemark><name>MX-01 (măng xông)</name>"
    + "<Point><coordinates>109.02,14.5,0</coordinates></Point></Placemark>\n"
    + _route("Tuyến 1", "Truy nhập", "109.02,14.5,0 109.0427,14.5559,0")
    + _route("Tuyến 2", "Trục", "109.0427,14.5559,0 109.101,14.4817,0")
    + "</Folder></Document></kml>\n"
)


def test_a_google_earth_route_in_two_pieces_with_a_splice_pin_reads_as_one_route(
    ws: Workspace, tmp_path: Path
) -> None:
    """A route drawn as two Placemarks of one name and values is one route of both pieces; the
    splice-closure pin among the lines is left out, with a note. Fails if the file is refused
    (a duplicate id, a Point where lines are taken)."""
    path = tmp_path / "tuyen.kml"
    path.write_text(_ROUTE_KML, encoding="utf-8")

    result = import_file(ws, "fiber_routes", path)

    routes = ws.read_layer("fiber_routes").set_index("route_id")
    assert routes.index.tolist() == ["Tuyến 1", "Tuyến 2"]
    assert len(shapely.get_parts(routes.loc["Tuyến 1"].geometry)) == 2
    assert shapely.length(routes.loc["Tuyến 1"].geometry) == pytest.approx(
        shapely.length(shapely.LineString([(108.9984, 14.4371), (109.02, 14.5), (109.0427, 14.5559)]))
    )
    assert any(
        "left out 1 Placemark drawn as another shape than the lines" in n and "MX-01" in n
        for n in result.notes
    )
    assert any("1 route_id drawn in several pieces" in n for n in result.notes)
    path.write_text(_ROUTE_KML.replace("Truy nhập", "Trục", 1), encoding="utf-8")
    with pytest.raises(LayerValidationError, match="Tuyến 1"):
        import_file(ws, "fiber_routes", path)  # two pieces that disagree are two routes of one id


def test_kml_points_with_extended_data_from_one_folder(ws: Workspace) -> None:
    result = import_file(ws, "fiber_nodes", DATA / "fiber_nodes.kml", source_layer="VNPT")

    assert result.counts == {"fiber_nodes": 3}
    nodes = ws.read_layer("fiber_nodes").set_index("node_id")
    assert nodes.loc["FN-VNPT-001", "kind"] == "olt"
    assert nodes.loc["FN-VNPT-002", "status"] == "planned"
    assert _xy(nodes.loc["FN-VNPT-001"].geometry) == (108.88475, 14.60068)

    import_file(ws, "fiber_nodes", DATA / "fiber_nodes.kml", source_layer="Viettel", append=True)
    assert ws.layer_counts()["fiber_nodes"] == 5


def test_kml_folders_of_one_kind_are_read_together(ws: Workspace, tmp_path: Path) -> None:
    """A Google Earth file keeps its points in a folder per operator (or per commune): one
    import reads them all; a line among a folder's points is left out, with a note."""
    result = import_file(ws, "fiber_nodes", DATA / "fiber_nodes.kml")

    assert result.counts == {"fiber_nodes": 5}
    assert any(
        n.startswith("read the 2 folders together (5 Placemarks, all point geometry): VNPT, Viettel")
        for n in result.notes
    )
    text = (DATA / "fiber_nodes.kml").read_text(encoding="utf-8")
    line = (
        "<Placemark><name>x</name><LineString><coordinates>108.9,14.6 109,14.7</coordinates>"
        "</LineString></Placemark>"
    )
    mixed = tmp_path / "mixed.kml"
    mixed.write_text(text.replace("</Folder>", line + "</Folder>", 1), encoding="utf-8")
    result = import_file(ws, "fiber_nodes", mixed)
    assert result.counts == {"fiber_nodes": 5}
    assert any("left out 1 Placemark drawn as another shape than the points" in n for n in result.notes)


def test_kml_polygons_holes_and_multigeometry(ws: Workspace) -> None:
    result = import_file(ws, "zones_5g", DATA / "zones_5g.kml")

    assert result.counts == {"zones_5g": 3}
    zones = ws.read_layer("zones_5g").set_index("zone_id")
    assert set(zones.geometry.geom_type) == {"MultiPolygon"}
    assert zones.loc["Z5G-VT-001", "operator"] == "Viettel"
    bong_son = zones.loc["Z5G-VT-001"].geometry.geoms[0]
    assert len(bong_son.interiors) == 1
    assert len(zones.loc["Z5G-VNPT-001"].geometry.geoms) == 2
    assert zones.loc["Z5G-MBF-001"].geometry.bounds == pytest.approx((109.03, 13.99, 109.06, 14.012))


def test_kml_linestrings(ws: Workspace) -> None:
    result = import_file(ws, "fiber_routes", DATA / "fiber_routes.kml")

    assert result.counts == {"fiber_routes": 3}
    routes = ws.read_layer("fiber_routes").set_index("route_id")
    assert routes.loc["FR-VNPT-101", "commissioned"] == "2021-06-15"
    # Lines are stored as MultiLineString (one declared type per GeoPackage layer).
    assert routes.loc["FR-VNPT-101"].geometry.geom_type == "MultiLineString"
    assert len(routes.loc["FR-VNPT-101"].geometry.geoms) == 1
    assert len(routes.loc["FR-VNPT-103"].geometry.geoms) == 2
    assert shapely.get_coordinates(routes.loc["FR-VNPT-102"].geometry)[-1] == pytest.approx(
        [108.81590, 14.52852]
    )


ARCGIS_KML = """<?xml version="1.0" encoding="UTF-8"?>
<kml xmlns="http://www.opengis.net/kml/2.2"><Document><Folder><name>Nut_quang</name>
<Placemark><name>FN-1</name><description><![CDATA[<html><body><table border="1">
<tr bgcolor="#9CBCE2"><th colspan="2">Nut_quang</th></tr>
<tr><td>node_id</td><td>FN-1</td></tr><tr bgcolor="#D4E4F3"><td>Nhà mạng</td><td>VNPT</td></tr>
<tr><td>kind</td><td>olt</td></tr><tr><td>Trạng thái</td><td>Đang khai thác</td></tr>
<tr><td>source</td><td>&lt;Null&gt;</td></tr></table></body></html>]]></description>
<Point><coordinates>109.1,13.8,0</coordinates></Point></Placemark>
<Placemark><name>FN-2</name><description><![CDATA[<table><tr><td>node_id</td><td>FN-2</td></tr>
<tr><td>Nhà mạng</td><td>Viettel</td></tr><tr><td>kind</td><td>splitter</td></tr>
<tr><td>Trạng thái</td><td>quy hoạch</td></tr></table>]]></description>
<ExtendedData><Data name="kind"><value>pop</value></Data></ExtendedData>
<Point><coordinates>109.2,13.9,0</coordinates></Point></Placemark>
</Folder></Document></kml>
"""


def test_kml_attributes_in_an_arcgis_description_table(ws: Workspace, tmp_path: Path) -> None:
    """ArcGIS' Layer To KML writes a layer's attributes only as an HTML table in each
    description: its two-cell rows are read as columns (ExtendedData wins where both name one)."""
    path = tmp_path / "nut_quang.kml"
    path.write_text(ARCGIS_KML, encoding="utf-8")

    result = import_file(ws, "fiber_nodes", path)

    assert result.counts == {"fiber_nodes": 2}
    nodes = ws.read_layer("fiber_nodes").set_index("node_id")
    assert nodes.loc["FN-1", ["operator", "kind", "status"]].tolist() == ["VNPT", "olt", "on_air"]
    assert nodes.loc["FN-2", ["operator", "kind", "status"]].tolist() == ["Viettel", "pop", "planned"]
    assert nodes.loc["FN-1", "source"] != "<Null>"


def test_kml_attributes_in_description_lines(ws: Workspace, tmp_path: Path) -> None:
    """A Google Earth description typed by hand: "field: value" lines between <br>s or new lines."""
    path = tmp_path / "tram.kml"
    path.write_text(
        '<kml xmlns="http://www.opengis.net/kml/2.2"><Document>'
        "<Placemark><name>Trạm 1</name><description><![CDATA[Mã trạm: BDH001<br>Độ cao anten (m): 42"
        "<br/>Trạng thái: đang phát sóng<br>Xem http://example.vn/tram]]></description>"
        "<Point><coordinates>109.1,13.8,0</coordinates></Point></Placemark>"
        "<Placemark><name>Trạm 2</name><description>Mã trạm = BDH002\nTrạng thái: quy hoạch</description>"
        "<Point><coordinates>109.2,13.9,0</coordinates></Point></Placemark></Document></kml>",
        encoding="utf-8",
    )

    import_file(ws, "sites", path)

    sites = ws.read_layer("sites").set_index("site_id")
    assert sites.loc["BDH001", ["height_m", "status"]].tolist() == [42.0, "on_air"]
    assert sites.loc["BDH002", "status"] == "planned"


def test_kmz(ws: Workspace, tmp_path: Path) -> None:
    kmz = tmp_path / "vung_5g.kmz"
    with zipfile.ZipFile(kmz, "w") as archive:
        archive.write(DATA / "zones_5g.kml", "doc.kml")

    assert detect_format(kmz) == "kml"
    assert import_file(ws, "zones_5g", kmz).counts == {"zones_5g": 3}


def test_invalid_polygon_is_repaired_and_noted(ws: Workspace, tmp_path: Path) -> None:
    bowtie = "109.0,14.0 109.02,14.02 109.02,14.0 109.0,14.02 109.0,14.0"
    path = tmp_path / "bowtie.kml"
    path.write_text(
        '<kml xmlns="http://www.opengis.net/kml/2.2"><Document><Placemark><name>Cát Tiến</name>'
        '<ExtendedData><Data name="zone_id"><value>Z1</value></Data>'
        '<Data name="operator"><value>Viettel</value></Data>'
        '<Data name="status"><value>planned</value></Data></ExtendedData>'
        f"<Polygon><outerBoundaryIs><LinearRing><coordinates>{bowtie}</coordinates>"
        "</LinearRing></outerBoundaryIs></Polygon></Placemark></Document></kml>",
        encoding="utf-8",
    )

    result = import_file(ws, "zones_5g", path)

    assert any("repaired 1 invalid geometry" in note and "rows 0" in note for note in result.notes)
    zone = ws.read_layer("zones_5g").geometry.iloc[0]
    assert zone.is_valid
    assert zone.area == pytest.approx(0.0002)


def test_a_route_part_collapsed_to_a_point_is_dropped_and_noted(ws: Workspace, tmp_path: Path) -> None:
    """Fails if make_valid's point (a route part whose two vertices coincide) stays in the
    fiber route: a line layer would hold a GeometryCollection."""
    path = tmp_path / "tuyen.csv"
    path.write_text(
        "route_id,operator,class,status,WKT\n"
        'FR-1,VNPT,access,on_air,"MULTILINESTRING ((108.8 14.5, 108.8 14.5), (109.0 14.4, 109.1 14.3))"\n',
        encoding="utf-8",
    )

    result = import_file(ws, "fiber_routes", path)

    assert any("repaired 1 invalid geometry" in note and "rows 0" in note for note in result.notes)
    route = ws.read_layer("fiber_routes").geometry.iloc[0]
    assert route.geom_type in ("LineString", "MultiLineString")
    assert shapely.get_coordinates(route).tolist() == [[109.0, 14.4], [109.1, 14.3]]


def test_a_route_of_zero_length_is_refused_with_its_row(ws: Workspace, tmp_path: Path) -> None:
    """Fails if a route whose points all coincide is stored (as make_valid's point, in a
    line layer) or refused without its row and reason."""
    path = tmp_path / "tuyen.csv"
    path.write_text(
        "route_id,operator,class,status,WKT\n"
        'FR-1,Viettel,access,on_air,"LINESTRING (108.77401 14.09845, 108.76172 14.30607)"\n'
        'FR-2,VNPT,access,on_air,"LINESTRING (108.8 14.5, 108.8 14.5, 108.8 14.5)"\n',
        encoding="utf-8",
    )

    with pytest.raises(LayerValidationError, match=r"row 1, field 'geometry'.*zero length"):
        import_file(ws, "fiber_routes", path)
    assert not ws.has_layer("fiber_routes") or ws.read_layer("fiber_routes").empty


def _geojson_lines(path: Path, lines: list[list[list[float]]]) -> Path:
    features = [
        {
            "type": "Feature",
            "properties": {"route_id": f"FR-{i}", "operator": "VNPT", "class": "access", "status": "on_air"},
            "geometry": {"type": "LineString", "coordinates": line},
        }
        for i, line in enumerate(lines)
    ]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")
    return path


def test_a_line_of_one_point_is_refused_with_its_row(ws: Workspace, tmp_path: Path) -> None:
    """Fails if a feature GEOS cannot build fails the read without its row (pyogrio builds
    every geometry at once) or the others are stored."""
    good = [[108.8, 14.5], [108.9, 14.6]]
    path = _geojson_lines(tmp_path / "tuyen.geojson", [good, [[108.8, 14.5]], good, [[108.7, 14.4]]])

    with pytest.raises(LayerValidationError) as raised:
        import_file(ws, "fiber_routes", path)

    assert raised.value.row == 1
    assert raised.value.field == "geometry"
    assert "a line of a single point" in str(raised.value)
    assert "(and 1 more feature: rows 3)" in str(raised.value)
    assert not ws.has_layer("fiber_routes") or ws.read_layer("fiber_routes").empty


def test_an_unclosed_ring_is_closed_and_noted(ws: Workspace, tmp_path: Path) -> None:
    ring = [[108.8, 14.5], [108.9, 14.5], [108.9, 14.6], [108.8, 14.6]]
    zones = [
        {
            "type": "Feature",
            "properties": {"zone_id": f"Z{i}", "operator": "Viettel", "status": "planned"},
            "geometry": {"type": "Polygon", "coordinates": [coords]},
        }
        for i, coords in enumerate([[*ring, ring[0]], ring])
    ]
    path = tmp_path / "vung.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": zones}), encoding="utf-8")

    result = import_file(ws, "zones_5g", path)

    assert any("closed 1 polygon ring" in note and "rows 1)" in note for note in result.notes)
    stored = ws.read_layer("zones_5g").set_index("zone_id").geometry
    assert stored["Z1"].is_valid
    assert stored["Z1"].equals(stored["Z0"])


# -- OpenCellID ------------------------------------------------------------------------


def _check_opencellid(ws: Workspace, result: ImportResult) -> None:
    # One site per base station (the cells' positions are separate crowd estimates):
    # Viettel eNB 11918 (3 cells), BTS 221 (2), VNPT NodeB 3999 (2), MobiFone eNB 73447,
    # Vietnamobile BTS 4072, Viettel gNB 500123.
    assert result.counts == {"sites": 6, "cells": 10}
    assert any("skipped 1 row" in note and "452" in note for note in result.notes)
    cells = ws.read_layer("cells").set_index("cell_id")
    sites = ws.read_layer("sites").set_index("site_id")
    assert sorted(sites.index) == [
        "OCID-452-01-L73447",
        "OCID-452-02-U1-3999",
        "OCID-452-04-G31012-221",
        "OCID-452-04-L11918",
        "OCID-452-04-N500123",
        "OCID-452-05-G5404-4072",
    ]
    enb = cells[cells["site_id"] == "OCID-452-04-L11918"]
    assert sorted(enb.index) == [
        "OCID-452-04-12001-3051009",
        "OCID-452-04-12001-3051010",
        "OCID-452-04-12001-3051011",
    ]
    lte = cells.loc["OCID-452-04-12001-3051009"]
    assert (lte["operator"], lte["tech"], lte["range_m"], lte["samples"]) == ("Viettel", "4G", 1520.0, 48)
    assert set(cells.loc[cells["site_id"] == "OCID-452-04-G31012-221", "tech"]) == {"2G"}
    assert set(cells.loc[cells["site_id"] == "OCID-452-02-U1-3999", "operator"]) == {"VNPT"}
    assert list(cells.loc["OCID-452-01-7203-18802434", ["operator", "site_id"]]) == [
        "MobiFone",
        "OCID-452-01-L73447",
    ]
    assert list(cells.loc["OCID-452-05-5404-40721", ["operator", "tech"]]) == ["Vietnamobile", "2G"]
    assert cells.loc["OCID-452-04-12001-2048503809", "tech"] == "5G"
    assert cells["azimuth_deg"].isna().all()
    assert set(cells["status"]) == {"on_air"}
    # The eNB stands at the samples-weighted mean of its three cells' estimates
    # (weights 48, 30, 5); its uncertainty is at least its cells' smallest range, 1,520 m
    # (the estimates lie within ~300 m of each other).
    site = sites.loc["OCID-452-04-L11918"]
    lon = (48 * 109.05412 + 30 * 109.05612 + 5 * 109.05312) / 83
    lat = (48 * 14.49522 + 30 * 14.49422 + 5 * 14.49722) / 83
    assert _xy(site.geometry) == (round(lon, 5), round(lat, 5))
    assert site["position_uncertainty_m"] == 1520.0
    assert site["commissioned"] == "2019-01-01"  # the earliest cell's created time
    assert (site["owner"], site["status"]) == ("Viettel", "on_air")
    assert sites.loc["OCID-452-04-G31012-221", "commissioned"] == "2015-01-01"
    assert sites.loc["OCID-452-04-G31012-221", "position_uncertainty_m"] == 2900.0
    assert sites.loc["OCID-452-02-U1-3999", "commissioned"] == "2017-01-01"
    assert not any("OCID-456" in s for s in sites.index)


def test_opencellid_groups_by_base_station_id() -> None:
    from coverage_gis.io.opencellid import base_station_key

    # LTE: ECI = 256 · eNB + cell; NR: NCI = 4096 · gNB + cell (24-bit gNB ID); UMTS:
    # long cell id = 65536 · RNC + C-ID, NodeB = C-ID // 10; GSM: LAC and CI // 10.
    assert base_station_key("LTE", 12001, 11918 * 256 + 3) == "L11918"
    assert base_station_key("NR", 12001, 500123 * 4096 + 7) == "N500123"
    assert base_station_key("UMTS", 21011, 65536 * 1019 + 27512) == "U1019-2751"
    assert base_station_key("GSM", 341, 5012) == "G341-501"


def test_opencellid_drops_cells_with_too_few_samples(ws: Workspace) -> None:
    # At least 10 samples: the eNB's 5-sample cell and the 9-sample Vietnamobile cell go
    # (and with it its only site); the eNB moves to the weighted mean of its other two.
    result = import_file(ws, "cells", DATA / "opencellid_binh_dinh.csv", min_samples=10)
    assert result.counts == {"sites": 5, "cells": 8}
    assert any("dropped 2 cell(s)" in note and "10 samples" in note for note in result.notes)
    site = ws.read_layer("sites").set_index("site_id").loc["OCID-452-04-L11918"]
    lon = (48 * 109.05412 + 30 * 109.05612) / 78
    assert _xy(site.geometry)[0] == round(lon, 5)
    with pytest.raises(LayerValidationError, match="no cell has at least 1000 samples"):
        import_file(ws, "cells", DATA / "opencellid_binh_dinh.csv", min_samples=1000)


def test_opencellid_with_header(ws: Workspace) -> None:
    path = DATA / "opencellid_binh_dinh.csv"
    assert detect_format(path) == "opencellid"

    _check_opencellid(ws, import_file(ws, "cells", path))


def test_opencellid_without_header(ws: Workspace, tmp_path: Path) -> None:
    lines = (DATA / "opencellid_binh_dinh.csv").read_text(encoding="utf-8").splitlines()
    path = tmp_path / "452.csv"
    path.write_text("\n".join(lines[1:]) + "\n", encoding="utf-8")
    assert detect_format(path) == "opencellid"

    _check_opencellid(ws, import_file(ws, "sites", path))


@pytest.mark.parametrize("header", [True, False])
def test_opencellid_saved_by_excel_with_semicolons_and_decimal_commas(
    ws: Workspace, tmp_path: Path, header: bool
) -> None:
    """Excel on Vietnamese Windows saves a CSV with ';' between cells and ',' as the decimal sign."""
    lines = (DATA / "opencellid_binh_dinh.csv").read_text(encoding="utf-8").splitlines()
    excel = [";".join(c.replace(".", ",") for c in line.split(",")) for line in lines[0 if header else 1 :]]
    path = tmp_path / "452.csv"
    path.write_text("\r\n".join(excel) + "\r\n", encoding="utf-8")
    assert detect_format(path) == "opencellid"

    _check_opencellid(ws, import_file(ws, "cells", path))


def test_opencellid_with_a_diff_appended_keeps_each_cells_latest_row(tmp_path: Path) -> None:
    """OpenCellID publishes a full export and daily diffs of the cells updated since: one file
    of both gives a cell twice; the later update wins, and a repeated row is read once."""
    head = "radio,mcc,net,area,cell,unit,lon,lat,range,samples,changeable,created,updated,averageSignal\n"
    full = (
        "LTE,452,4,12345,25600001,0,109.2201,13.7701,1000,10,1,1500000000,1600000000,0\n"
        "LTE,452,4,12345,25600002,0,109.2211,13.7711,500,20,1,1510000000,1600000000,0\n"
    )
    diff = "LTE,452,4,12345,25600001,0,109.3000,13.8000,800,30,1,1500000000,1700000000,0\n"
    path = tmp_path / "452.csv"
    path.write_text(head + full + diff + full.splitlines()[1] + "\n", encoding="utf-8")
    notes: list[str] = []

    cells = read_opencellid(path, notes=notes)["cells"].set_index("cell_id")

    assert sorted(cells.index) == ["OCID-452-04-12345-25600001", "OCID-452-04-12345-25600002"]
    assert cells.loc["OCID-452-04-12345-25600001", "range_m"] == 800.0
    assert any("2 row(s) give a cell another row gives too" in n for n in notes)


def _read_ocid(tmp_path: Path, text: str) -> tuple[dict[str, pd.DataFrame], list[str]]:
    """The frames and notes of an OpenCellID file of ``text``."""
    path = tmp_path / "452.csv"
    path.write_text(text, encoding="utf-8")
    notes: list[str] = []
    return read_opencellid(path, notes=notes), notes


def test_opencellid_leaves_out_a_cell_estimated_outside_vietnam(tmp_path: Path) -> None:
    """A crowd-sourced estimate at (0, 0) is a bogus fix, not a reason to refuse the country's file."""
    frames, notes = _read_ocid(
        tmp_path,
        "LTE,452,4,12345,25600001,0,109.2201,13.7701,1000,10,1,1500000000,1600000000,0\n"
        "LTE,452,4,12345,25600770,0,0,0,1000,10,1,1500000000,1600000000,0\n",
    )
    cells = frames["cells"]

    assert cells["cell_id"].tolist() == ["OCID-452-04-12345-25600001"]
    assert any(
        "left out 1 cell(s) whose estimated position lies outside Vietnam" in n and "rows 1" in n
        for n in notes
    )
    with pytest.raises(LayerValidationError, match="no cell's estimated position lies in Vietnam"):
        _read_ocid(tmp_path, "LTE,452,4,12345,25600770,0,0,0,1000,10,1,1500000000,1600000000,0\n")


def test_opencellid_names_a_site_a_stray_estimate_pulled_away(tmp_path: Path) -> None:
    frames, notes = _read_ocid(
        tmp_path,
        "LTE,452,4,12345,25600001,0,109.2201,13.7701,1000,10,1,1500000000,1600000000,0\n"
        "LTE,452,4,12345,25600002,0,108.5,14.4,1000,10,1,1500000000,1600000000,0\n"
        "LTE,452,4,12345,25600101,0,109.1,13.9,500,10,1,1500000000,1600000000,0\n",
    )
    sites = frames["sites"].set_index("site_id")

    assert sites.loc["OCID-452-04-L100000", "position_uncertainty_m"] > 50_000
    assert any(
        n.startswith("OpenCellID: 1 site(s) whose cells' estimated positions lie more than 10 km")
        and "OCID-452-04-L100000" in n
        for n in notes
    )


def test_opencellid_radio_and_network_mapping(tmp_path: Path) -> None:
    path = tmp_path / "cells.csv"
    path.write_text(
        "NR,452,4,1,1,0,109.0,14.0,500,1,1,1700000000,1700000000,0\n"
        "CDMA,452,7,2,2,0,109.1,14.1,500,1,1,1700000000,1700000000,0\n"
        "LTE,452,9,3,3,0,109.1,14.1,500,1,1,1700000000,1700000000,0\n",
        encoding="utf-8",
    )

    frames = read_file(path, "cells")

    cells = frames["cells"]
    assert cells["tech"].tolist() == ["5G", "2G", "4G"]
    assert cells["operator"].tolist() == ["Viettel", "Other", "Other"]
    # Rows 2 and 3 share a position but not a base station (nor an operator network).
    assert frames["sites"]["site_id"].tolist() == ["OCID-452-04-N0", "OCID-452-07-G2-0", "OCID-452-09-L0"]
    assert frames["sites"]["owner"].tolist() == ["Viettel", "Other", "Other"]


def test_opencellid_says_which_networks_it_read_as_other(tmp_path: Path) -> None:
    frames, notes = _read_ocid(
        tmp_path,
        "LTE,452,4,1,1,0,109.0,14.0,500,1,1,1700000000,1700000000,0\n"
        "GSM,452,7,2,2,0,109.1,14.1,500,1,1,1700000000,1700000000,0\n"
        "LTE,452,99,3,3,0,109.1,14.1,500,1,1,1700000000,1700000000,0\n"
        "LTE,452,99,3,4,0,109.1,14.1,500,1,1,1700000000,1700000000,0\n",
    )

    assert frames["cells"]["operator"].tolist() == ["Viettel", "Other", "Other", "Other"]
    (note,) = [n for n in notes if "read as operator 'Other'" in n]
    assert note.startswith("OpenCellID: MNC 07 (1 cell), 99 (2 cells) is no operator")
    assert "04 Viettel" in note


def test_opencellid_range_of_zero_is_unknown(tmp_path: Path) -> None:
    # OpenCellID writes range 0 where it could not estimate one: the cell's range and a
    # lone cell's site uncertainty are unknown, not 0 m; a known range still bounds a site.
    path = tmp_path / "cells.csv"
    path.write_text(
        "LTE,452,4,1,2561,0,109.0,14.0,0,1,1,1700000000,1700000000,0\n"
        "LTE,452,4,1,2817,0,109.1,14.1,0,3,1,1700000000,1700000000,0\n"
        "LTE,452,4,1,2818,0,109.1,14.1,800,3,1,1700000000,1700000000,0\n"
        "LTE,452,4,1,3073,0,109.2,14.2,0,3,1,1700000000,1700000000,0\n",
        encoding="utf-8",
    )
    notes: list[str] = []

    frames = read_opencellid(path, notes=notes)

    cells = frames["cells"].set_index("cell_id")
    assert np.isnan(cells.loc["OCID-452-04-1-2561", "range_m"])
    assert cells.loc["OCID-452-04-1-2818", "range_m"] == 800.0
    sites = frames["sites"].set_index("site_id")
    assert pd.isna(sites.loc["OCID-452-04-L10", "position_uncertainty_m"])
    assert sites.loc["OCID-452-04-L11", "position_uncertainty_m"] == 800.0
    # (A lone cell with weights that do not divide back to its position exactly.)
    assert pd.isna(sites.loc["OCID-452-04-L12", "position_uncertainty_m"])
    assert any("3 cell(s) with a range of 0 or less" in note for note in notes)


# -- appending, references, revisions ----------------------------------------------------


def test_append_adds_to_the_layer(ws: Workspace) -> None:
    import_file(ws, "villages", DATA / "villages.geojson")

    result = import_file(ws, "villages", DATA / "villages_excel.csv", append=True)

    assert result.counts == {"villages": 3}
    villages = ws.read_layer("villages")
    assert len(villages) == 7
    assert villages["households"].tolist()[:2] == [62, 118]


def test_replacing_sites_notes_cells_left_dangling(ws: Workspace) -> None:
    import_file(ws, "cells", DATA / "opencellid_binh_dinh.csv")

    result = import_file(ws, "sites", DATA / "sites_multi.gpkg", source_layer="tram_viettel")

    assert any("existing cells" in note for note in result.notes)


def test_each_import_is_one_revision(ws: Workspace) -> None:
    import_file(ws, "villages", DATA / "villages.geojson")
    import_file(ws, "cells", DATA / "opencellid_binh_dinh.csv")

    assert ws.revision == 2
    revisions = ws.read_layer("revisions")
    assert "opencellid_binh_dinh.csv" in revisions["summary"].iloc[-1]


# -- format detection ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("villages.geojson", "geojson"),
        ("pois_vn2000.gpkg", "gpkg"),
        ("fiber_routes_utm49n.zip", "shp"),
        ("zones_5g.kml", "kml"),
        ("pois.csv", "csv"),
        ("villages_excel.csv", "csv"),
        ("opencellid_binh_dinh.csv", "opencellid"),
        ("roads_binh_dinh.osm", "osm"),
    ],
)
def test_detect_format_by_extension(name: str, expected: str) -> None:
    assert detect_format(DATA / name) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("villages.geojson", "geojson"),
        ("pois_vn2000.gpkg", "gpkg"),
        ("fiber_routes_utm49n.zip", "shp"),
        ("zones_5g.kml", "kml"),
        ("pois.csv", "csv"),
        ("roads_binh_dinh.osm", "osm"),
    ],
)
def test_detect_format_by_content(tmp_path: Path, name: str, expected: str) -> None:
    anonymous = tmp_path / "upload.bin"
    shutil.copyfile(DATA / name, anonymous)

    assert detect_format(anonymous) == expected


# -- terrain and roads -------------------------------------------------------------------


def test_import_dem(ws: Workspace) -> None:
    info = import_dem(ws, DATA / "dem_binh_dinh.tif")

    assert (info.width, info.height, info.crs, info.dtype) == (24, 20, "EPSG:32649", "int16")
    assert info.nodata == -32768
    assert 108.6 < info.bounds_lonlat[0] < info.bounds_lonlat[2] < 108.8
    assert ws.dem_path is not None
    assert ws.dem_path.read_bytes() == (DATA / "dem_binh_dinh.tif").read_bytes()
    assert read_dem_info(ws.dem_path) == info
    assert [p.name for p in ws.path.iterdir() if p.name.startswith(".dem")] == []


def test_read_roads_keeps_highways_only() -> None:
    graph = read_roads(DATA / "roads_binh_dinh.osm")

    assert {tags["highway"] for _, _, tags in graph.edges(data=True)} == {"secondary", "track"}
    assert 1006 not in graph.nodes  # the building outline
    info = validate_roads_file(DATA / "roads_binh_dinh.osm")
    assert (info.nodes, info.edges) == (graph.number_of_nodes(), graph.number_of_edges())
    assert info.bounds_lonlat == pytest.approx((108.76172, 14.09845, 108.784, 14.30607))


def test_import_roads(ws: Workspace) -> None:
    info = import_roads(ws, DATA / "roads_binh_dinh.osm")

    assert info.edges > 0
    assert ws.roads_path is not None
    assert ws.roads_path.read_bytes() == (DATA / "roads_binh_dinh.osm").read_bytes()


# -- CLI -------------------------------------------------------------------------------


def test_cli_import_ok(ws: Workspace, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["import", str(ws.path), "villages", str(DATA / "villages.geojson")])

    out = capsys.readouterr()
    assert code == 0
    assert "imported 4 features into villages" in out.out
    assert out.err == ""
    assert ws.layer_counts()["villages"] == 4


def test_cli_import_opencellid_with_source_layer_and_format(
    ws: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        [
            "import",
            str(ws.path),
            "cells",
            str(DATA / "opencellid_binh_dinh.csv"),
            "--format",
            "opencellid",
        ]
    )

    out = capsys.readouterr().out
    assert code == 0
    assert "imported 6 features into sites" in out
    assert "imported 10 features into cells" in out
    assert "note: skipped 1 row" in out


def test_cli_import_opencellid_with_a_sample_minimum(
    ws: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    path = str(DATA / "opencellid_binh_dinh.csv")
    assert main(["import", str(ws.path), "cells", path, "--min-samples", "10"]) == 0
    out = capsys.readouterr().out
    assert "imported 5 features into sites" in out
    assert "imported 8 features into cells" in out
    assert "note: dropped 2 cell(s) estimated from fewer than 10 samples" in out


def test_5g_zones_given_by_centre_and_radius_are_their_circles(ws: Workspace, tmp_path: Path) -> None:
    """An operator's list of 5G zones: each zone's centre and "Bán kính (m)". Each is read as the
    circle of that radius. Fails if the points are refused by the polygon layer; a radius of 0
    is refused with its row."""
    path = tmp_path / "vung_5g.csv"
    path.write_text(
        "Mã vùng,Tên vùng,Nhà mạng,Trạng thái,Kinh độ,Vĩ độ,Bán kính (m)\n"
        "Z1,Trung tâm TP Quy Nhơn,Viettel,Đã phát sóng,109.2190,13.7700,1500\n"
        "Z2,KCN Phú Tài,VNPT,Dự kiến,109.1550,13.8400,1000\n",
        encoding="utf-8",
    )

    result = import_file(ws, "zones_5g", path)

    zones = ws.read_layer("zones_5g").set_index("zone_id").to_crs("EPSG:32649")
    assert zones.area.tolist() == pytest.approx([np.pi * 1500**2, np.pi * 1000**2], rel=0.005)
    centre = shapely.Point(109.2190, 13.7700)
    z1 = ws.read_layer("zones_5g").set_index("zone_id").geometry.loc["Z1"]
    assert z1.contains(centre)
    assert any("2 zones given by a centre and a radius" in note for note in result.notes)
    path.write_text(path.read_text(encoding="utf-8").replace(",1000\n", ",0\n"), encoding="utf-8")
    with pytest.raises(
        LayerValidationError, match=r"row 1, field 'Bán kính \(m\)': a zone given by its centre"
    ):
        import_file(ws, "zones_5g", path)


def test_a_5g_radius_of_a_few_metres_without_a_unit_is_refused(ws: Workspace, tmp_path: Path) -> None:
    """A header without its unit reads metres: "1,5" and "2" are kilometres written so, not zones
    of a few metres. Fails if they are stored as circles 2 m wide; a header that names its unit,
    or radii of a zone's size, are read."""
    path = tmp_path / "vung_5g.csv"
    path.write_text(
        "Mã vùng,Nhà mạng,Tâm,Kinh độ tâm,Vĩ độ tâm,Bán kính\n"
        'Z1,Viettel,TP,109.2190,13.7700,"1,5"\n'
        "Z2,VNPT,KCN,109.1550,13.8400,2\n",
        encoding="utf-8",
    )
    with pytest.raises(
        LayerValidationError, match=r"row 0, field 'Bán kính': a radius of 1.5 read as metres"
    ):
        import_file(ws, "zones_5g", path)

    path.write_text(path.read_text(encoding="utf-8").replace("Bán kính", "Bán kính (km)"), encoding="utf-8")
    import_file(ws, "zones_5g", path)
    zones = ws.read_layer("zones_5g").set_index("zone_id").to_crs("EPSG:32649")
    assert zones.area.tolist() == pytest.approx([np.pi * 1500**2, np.pi * 2000**2], rel=0.005)
