"""Which columns are read as longitude and latitude (CSV, Excel, site-edit CSVs, speed tests):
one comparison of headers (:func:`coverage_gis.io.headers.find_header`), and the rule for a
unit in brackets (degrees are coordinates, metres are not)."""

from __future__ import annotations

from pathlib import Path

import pytest
import shapely
from hypothesis import given
from hypothesis import strategies as st

from coverage_gis.cli import main
from coverage_gis.errors import LayerValidationError
from coverage_gis.io import import_file
from coverage_gis.io.csv_points import DEGREE_UNITS, LAT_NAMES, LON_NAMES, coordinate_columns
from coverage_gis.io.headers import find_header, header_key
from coverage_gis.text_forms import fold_diacritics
from coverage_gis.workspace import Workspace

#: Real headers of lon/lat columns (operators' and provinces' exports) → the axis they name.
REAL_HEADERS = [
    ("Kinh độ", "Vĩ độ"),
    ("KINH_DO", "VI_DO"),
    ("Long", "Lat"),
    ("LON ", "LAT "),
    ("lng", "lat"),
    ("Longitude (deg)", "Latitude (deg)"),
    ("Kinh độ (°)", "Vĩ độ (°)"),
    ("Kinh Do", "Vi Do"),
    ("LONGITUDE [WGS84]", "LATITUDE [WGS84]"),
    ("x", "y"),
]


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    return Workspace.create(tmp_path / "ws", metric_crs="EPSG:32649")


@pytest.mark.parametrize(("lon", "lat"), REAL_HEADERS)
def test_real_coordinate_headers_are_read(ws: Workspace, tmp_path: Path, lon: str, lat: str) -> None:
    path = tmp_path / "tram.csv"
    path.write_text(f"site_id,{lon},{lat}\nS1,109.2195,13.7764\n", encoding="utf-8")

    import_file(ws, "sites", path)

    point = ws.read_layer("sites").geometry.iloc[0]
    assert (point.x, point.y) == pytest.approx((109.2195, 13.7764))
    assert coordinate_columns([lon, lat]) == (lon, lat)


NOT_DEGREES = [("X (m)", "Y (m)"), ("Kinh độ (km)", "Vĩ độ (km)"), ("Lon [VN2000]", "Lat [VN2000]")]


@pytest.mark.parametrize(("lon", "lat"), NOT_DEGREES)
def test_a_coordinate_name_with_another_unit_is_not_read_as_degrees(
    ws: Workspace, tmp_path: Path, lon: str, lat: str
) -> None:
    path = tmp_path / "vn2000.csv"
    path.write_text(f"site_id,{lon},{lat}\nS1,585123.4,1523456.7\n", encoding="utf-8")

    with pytest.raises(LayerValidationError) as info:
        import_file(ws, "sites", path)

    message = str(info.value)
    assert "no longitude and latitude column" in message
    assert f"{lon!r}, {lat!r} not read as coordinates (a unit other than degrees" in message
    assert coordinate_columns([lon, lat]) == (None, None)


def test_degree_columns_win_over_metre_columns(ws: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "both.csv"
    path.write_text("site_id,X (m),Y (m),Kinh độ,Vĩ độ\nS1,585123.4,1523456.7,109.2,13.7\n", encoding="utf-8")

    import_file(ws, "sites", path)

    point = ws.read_layer("sites").geometry.iloc[0]
    assert (point.x, point.y) == pytest.approx((109.2, 13.7))


def test_site_edit_csv_takes_no_metre_column_as_longitude(tiny_ws: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "edits.csv"
    path.write_text(
        "site_id,X (m),Y (m),cell_id,operator,tech\nS9,585123.4,1523456.7,S9-1,Viettel,4G\n", encoding="utf-8"
    )

    assert main(["sites", "apply", str(tiny_ws.path), str(path)]) == 2


def test_site_edit_csv_reads_degree_headers(tiny_ws: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "edits.csv"
    path.write_text(
        "site_id,Longitude (deg),LAT ,cell_id,operator,tech\nS9,109.01,13.76,S9-1,Viettel,4G\n",
        encoding="utf-8",
    )

    assert main(["sites", "apply", str(tiny_ws.path), str(path)]) == 0

    site = Workspace.open(tiny_ws.path).read_layer("sites").set_index("site_id").loc["S9"]
    assert (site.geometry.x, site.geometry.y) == pytest.approx((109.01, 13.76))


def test_speed_test_columns_take_their_own_units(ws: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "do_kiem.csv"
    path.write_text(
        "lon,lat,tech,Download (Mbps),Upload (kbps),Latency (ms),RSRP (dBm)\n"
        "109.2,13.8,LTE,48.5,12000,31,-95\n",
        encoding="utf-8",
    )

    result = import_file(ws, "speed_tests", path)

    row = ws.read_layer("speed_tests").iloc[0]
    assert (row["download_mbps"], row["latency_ms"], row["signal_dbm"]) == (48.5, 31, -95)
    assert row["upload_mbps"] == 12.0  # kb/s is not Mb/s: converted, not misread
    assert "Upload (kbps): kb/s converted to Mb/s" in result.notes


_UNITS = st.one_of(
    st.sampled_from([*DEGREE_UNITS, "DEG", "Độ", "do", "m", "km", "VN2000", "UTM 49N", "ft"]),
    st.text(alphabet=st.sampled_from("abcdgkmx°/ "), min_size=1, max_size=6),
)


@given(st.sampled_from([*LON_NAMES, *LAT_NAMES]), _UNITS, st.sampled_from(["()", "[]"]))
def test_a_unit_decides_whether_a_coordinate_name_matches(name: str, unit: str, brackets: str) -> None:
    header = f"{name.upper()} {brackets[0]}{unit}{brackets[1]}"
    if not header_key(unit):
        return  # "( )" is no unit: nothing to decide
    degrees = {fold_diacritics(header_key(u)) for u in DEGREE_UNITS}
    found = find_header([header], (name,), units=DEGREE_UNITS)
    assert (found == header) == (fold_diacritics(header_key(unit)) in degrees)
    assert find_header([header], (name,), units=None) == header  # the field rule: any unit
    assert find_header([header], (name,)) is None  # no unit accepted


# -- coordinates in another CRS (--crs) --------------------------------------------------
def _project(lon: float, lat: float, crs: str) -> tuple[float, float]:
    import pyproj

    return pyproj.Transformer.from_crs("EPSG:4326", crs, always_xy=True).transform(lon, lat)


def test_a_csv_in_vn2000_utm_is_read_with_its_crs(ws: Workspace, tmp_path: Path) -> None:
    e, n = _project(109.2, 13.77, "EPSG:3406")  # VN-2000 / UTM zone 49N
    path = tmp_path / "tram_vn2000.csv"
    path.write_text(f"site_id,Easting (m),Northing (m),status\nS1,{e:.3f},{n:.3f},on_air\n", encoding="utf-8")

    result = import_file(ws, "sites", path, crs="EPSG:3406")

    site = ws.read_layer("sites").iloc[0]
    assert (site.geometry.x, site.geometry.y) == pytest.approx((109.2, 13.77), abs=1e-6)
    assert any("reprojected from VN-2000 / UTM zone 49N" in n for n in result.notes)


def test_survey_x_northing_y_easting_is_read_the_other_way_round(ws: Workspace, tmp_path: Path) -> None:
    """VN-2000 survey tables put the northing in X: read as written every point falls outside
    Vietnam, read the other way round every one inside, so they are swapped, with a note."""
    rows = [(109.2, 13.77), (108.9, 14.1)]
    lines = ["site_id,Tọa độ X,Tọa độ Y,status"]
    for k, (lon, lat) in enumerate(rows):
        e, n = _project(lon, lat, "EPSG:3406")
        lines.append(f"S{k},{n:.3f},{e:.3f},on_air")
    path = tmp_path / "toa_do.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    result = import_file(ws, "sites", path, crs="EPSG:3406")

    sites = ws.read_layer("sites").set_index("site_id")
    for k, (lon, lat) in enumerate(rows):
        geom = sites.loc[f"S{k}"].geometry
        assert (geom.x, geom.y) == pytest.approx((lon, lat), abs=1e-6)
    assert any("X = northing, Y = easting" in n for n in result.notes)


def test_metres_grouped_in_thousands_are_read(ws: Workspace, tmp_path: Path) -> None:
    """A Vietnamese survey table writes its metres "1.601.768,89" (dots group the thousands, a
    comma marks the decimals), or with spaces. Fails if they are refused as not a number."""
    e, n = _project(109.2, 13.77, "EPSG:3406")

    def grouped(value: float, sep: str) -> str:
        whole, frac = f"{value:.2f}".split(".")
        groups = [whole[max(i - 3, 0) : i] for i in range(len(whole), 0, -3)][::-1]
        return sep.join(groups) + "," + frac

    path = tmp_path / "toa_do.csv"
    path.write_text(
        f"site_id;Easting (m);Northing (m)\nS1;{grouped(e, '.')};{grouped(n, '.')}\n"
        f"S2;{grouped(e, ' ')};{grouped(n, ' ')}\n",
        encoding="utf-8",
    )

    import_file(ws, "sites", path, crs="EPSG:3406")

    for site in ws.read_layer("sites").geometry:
        assert (site.x, site.y) == pytest.approx((109.2, 13.77), abs=1e-6)


def test_metres_without_a_crs_are_refused_with_a_hint(ws: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "xy.csv"
    path.write_text("site_id,x,y,status\nS1,600000,1523000,on_air\n", encoding="utf-8")
    with pytest.raises(LayerValidationError, match="look like projected metres: import the file with --crs"):
        import_file(ws, "sites", path)


def test_crs_is_refused_for_files_that_declare_theirs_and_when_unknown(ws: Workspace, tmp_path: Path) -> None:
    geojson = tmp_path / "s.geojson"
    geojson.write_text(
        '{"type": "FeatureCollection", "crs": {"type": "name", "properties": {"name": "EPSG:4326"}}, '
        '"features": [{"type": "Feature", "properties": {"site_id": "S1"}, '
        '"geometry": {"type": "Point", "coordinates": [109.2, 13.77]}}]}',
        encoding="utf-8",
    )
    with pytest.raises(LayerValidationError, match=r"declares its CRS \(EPSG:4326\), not EPSG:3405"):
        import_file(ws, "sites", geojson, crs="EPSG:3405")
    kml = tmp_path / "s.kml"
    kml.write_text(
        '<kml xmlns="http://www.opengis.net/kml/2.2"><Placemark><name>S1</name>'
        "<Point><coordinates>109.2,13.77</coordinates></Point></Placemark></kml>",
        encoding="utf-8",
    )
    with pytest.raises(LayerValidationError, match="a kml file is always in WGS 84 degrees"):
        import_file(ws, "sites", kml, crs="EPSG:3405")
    path = tmp_path / "xy.csv"
    path.write_text("site_id,x,y,status\nS1,600000,1523000,on_air\n", encoding="utf-8")
    with pytest.raises(LayerValidationError, match="unknown CRS 'EPSG:99999'"):
        import_file(ws, "sites", path, crs="EPSG:99999")


def test_cli_import_takes_crs(ws: Workspace, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    e, n = _project(109.2, 13.77, "EPSG:32649")
    path = tmp_path / "utm.csv"
    path.write_text(f"site_id,x,y,status\nS1,{e:.3f},{n:.3f},on_air\n", encoding="utf-8")

    assert main(["import", str(ws.path), "sites", str(path), "--crs", "EPSG:32649"]) == 0

    assert "reprojected from WGS 84 / UTM zone 49N (EPSG:32649)" in capsys.readouterr().out


def test_a_longitude_column_holding_the_latitudes_is_read_the_other_way_round(
    ws: Workspace, tmp_path: Path
) -> None:
    """A list whose "Kinh độ" column holds every row's latitude and "Vĩ độ" its longitude: read
    so, every point lies in Vietnam, as written none (Vietnam's longitudes and latitudes never
    overlap), so the columns are read the other way round, with a note. Fails if such a file
    is refused row by row, or if one with a single row swapped is read so."""
    path = tmp_path / "tram.csv"
    path.write_text("Mã trạm,Kinh độ,Vĩ độ\nS1,13.77,109.01\nS2,13.78,109.02\nS3,,\n", encoding="utf-8")

    with pytest.raises(LayerValidationError, match=r"row 2, field 'Kinh độ': value is empty"):
        import_file(ws, "sites", path)  # the empty row is refused as ever
    path.write_text("Mã trạm,Kinh độ,Vĩ độ\nS1,13.77,109.01\nS2,13.78,109.02\n", encoding="utf-8")
    result = import_file(ws, "sites", path)

    sites = ws.read_layer("sites")
    assert [(p.x, p.y) for p in sites.geometry] == [(109.01, 13.77), (109.02, 13.78)]
    assert "coordinates: column 'Kinh độ' holds the latitudes and 'Vĩ độ' the longitudes" in " ".join(
        result.notes
    )
    path.write_text("Mã trạm,Kinh độ,Vĩ độ\nS1,13.77,109.01\nS2,109.02,13.78\n", encoding="utf-8")
    with pytest.raises(LayerValidationError, match=r"row 0, field 'geometry'.*swapped lat/lon"):
        import_file(ws, "sites", path)


def test_a_geojson_written_lat_lon_is_read_the_other_way_round(ws: Workspace, tmp_path: Path) -> None:
    """A hand-made GeoJSON writes ``[lat, lon]`` (RFC 7946 says lon first): every feature, a
    route's vertices too, lies in Vietnam only the other way round, so it is read so, with a
    note. Fails if it is refused feature by feature, or if a file with one feature so is swapped."""
    import json

    def collection(features: list[tuple[str, str, list[object]]]) -> str:
        return json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"route_id": rid, "operator": "VNPT", "class": "access"},
                        "geometry": {"type": kind, "coordinates": xy},
                    }
                    for rid, kind, xy in features
                ],
            }
        )

    path = tmp_path / "cap.geojson"
    path.write_text(collection([("R1", "LineString", [[13.77, 109.01], [13.78, 109.02]])]), encoding="utf-8")

    result = import_file(ws, "fiber_routes", path)

    route = ws.read_layer("fiber_routes").geometry.iloc[0]
    assert shapely.get_coordinates(route).tolist() == [[109.01, 13.77], [109.02, 13.78]]
    assert any(n.startswith("coordinates written latitude first ([lat, lon])") for n in result.notes)
    path.write_text(
        collection(
            [
                ("R1", "LineString", [[13.77, 109.01], [13.78, 109.02]]),
                ("R2", "LineString", [[109.03, 13.79], [109.04, 13.80]]),
            ]
        ),
        encoding="utf-8",
    )
    with pytest.raises(LayerValidationError, match=r"row 0, field 'geometry'.*swapped lat/lon"):
        import_file(ws, "fiber_routes", path)


def test_degrees_in_a_geographic_crs_are_reprojected_and_never_swapped(ws: Workspace, tmp_path: Path) -> None:
    """VN-2000's geographic CRS (EPSG:4756) differs from WGS 84 by its datum; lat/lon given in
    the wrong order are refused as they are without --crs."""
    lon, lat = _project(109.2, 13.77, "EPSG:4756")
    path = tmp_path / "vn2000_deg.csv"
    path.write_text(f"site_id,lon,lat,status\nS1,{lon:.9f},{lat:.9f},on_air\n", encoding="utf-8")

    import_file(ws, "sites", path, crs="EPSG:4756")

    site = ws.read_layer("sites").iloc[0]
    assert (site.geometry.x, site.geometry.y) == pytest.approx((109.2, 13.77), abs=1e-7)
    swapped = tmp_path / "swapped.csv"
    swapped.write_text(f"site_id,lon,lat,status\nS1,{lat:.9f},{lon:.9f},on_air\n", encoding="utf-8")
    with pytest.raises(LayerValidationError, match="swapped lat/lon"):
        import_file(ws, "sites", swapped, crs="EPSG:4756")


def test_degrees_headed_with_their_datum_are_read_once_crs_names_it(ws: Workspace, tmp_path: Path) -> None:
    """ "Kinh độ (VN2000)" is in degrees of VN-2000: without --crs it is refused with a hint that
    names the CRS to give; with --crs EPSG:4756 it is read and moved to WGS 84. Fails if the
    columns go unread with --crs given (the hint then named the option already given)."""
    path = tmp_path / "vn.csv"
    path.write_text("Mã trạm;Kinh độ (VN2000);Vĩ độ (VN2000)\nS1;109,2194;13,7765\n", encoding="utf-8")

    with pytest.raises(LayerValidationError, match=r"--crs \(e\.g\. EPSG:4756 for VN-2000 degrees"):
        import_file(ws, "sites", path)
    import_file(ws, "sites", path, crs="EPSG:4756")

    import pyproj

    want = pyproj.Transformer.from_crs("EPSG:4756", "EPSG:4326", always_xy=True).transform(109.2194, 13.7765)
    site = ws.read_layer("sites").geometry.iloc[0]
    assert (site.x, site.y) == pytest.approx(want, abs=1e-9)
