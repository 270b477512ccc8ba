"""Bad inputs give one clear error naming file, row and field, and leave the workspace unchanged."""

from __future__ import annotations

import hashlib
import shutil
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import rasterio
from rasterio.transform import Affine

from coverage_gis.cli import main
from coverage_gis.errors import CoverageGISError, InputTooLarge, LayerValidationError
from coverage_gis.io import import_dem, import_file, import_roads, read_file
from coverage_gis.workspace import Workspace

from .conftest import SQLITE_SIDE_FILES, fold_wal

DATA = Path(__file__).parent / "data"

VILLAGE_HEADER = "village_id,name,kind,province_code,lon,lat\n"


@pytest.fixture(scope="module")
def seeded_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workspace with villages, sites and cells, a DEM and roads, built once per module."""
    # Closed before any copy: an open connection closing later (when the object is
    # collected) would delete SQLite's side files while a test copies the folder.
    with Workspace.create(tmp_path_factory.mktemp("template") / "ws", metric_crs="EPSG:32649") as ws:
        import_file(ws, "villages", DATA / "villages.geojson")
        import_file(ws, "cells", DATA / "opencellid_binh_dinh.csv")
        import_dem(ws, DATA / "dem_binh_dinh.tif")
        import_roads(ws, DATA / "roads_binh_dinh.osm")
    return ws.path


@pytest.fixture
def ws(seeded_template: Path, tmp_path: Path) -> Workspace:
    shutil.copytree(seeded_template, tmp_path / "ws")
    return Workspace.open(tmp_path / "ws")


def _digest(ws: Workspace) -> dict[str, str]:
    """Hash of every file of the workspace (temporary files included, so leftovers show),
    with the GeoPackage's WAL folded in first (SQLite's side files are left out)."""
    if ws.gpkg_path.is_file():
        fold_wal(ws.gpkg_path)
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(ws.path.iterdir())
        if p.is_file() and p.name != ".workspace.lock" and not p.name.endswith(SQLITE_SIDE_FILES)
    }


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _write_bytes(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _zip_of(tmp_path: Path, name: str, members: dict[str, bytes]) -> Path:
    path = tmp_path / name
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for member, data in members.items():
            archive.writestr(member, data)
    return path


# Each case: (id, layer, make(tmp_path) -> path, import_file kwargs, error class, fragments).
Case = tuple[str, str, Callable[[Path], Path], dict[str, object], type[CoverageGISError], tuple[str, ...]]

CASES: list[Case] = [
    (
        "missing-file",
        "villages",
        lambda t: t / "khong_co.geojson",
        {},
        LayerValidationError,
        ("khong_co.geojson", "file not found"),
    ),
    (
        "over-size-limit",
        "villages",
        lambda t: DATA / "villages.geojson",
        {"max_bytes": 1000},
        InputTooLarge,
        ("villages.geojson", "over the import limit of 1,000 bytes"),
    ),
    (
        "zip-unpacks-over-limit",
        "sites",
        lambda t: _zip_of(t, "bomb.zip", {"tram.shp": b"\0" * 2_000_000}),
        {"max_bytes": 100_000},
        InputTooLarge,
        ("bomb.zip", "unpacks to 2,000,000 bytes"),
    ),
    (
        "corrupt-gpkg",
        "sites",
        lambda t: _write_bytes(t, "hong.gpkg", np.random.default_rng(1).bytes(4096)),
        {},
        LayerValidationError,
        ("hong.gpkg", "cannot read as gpkg", "not a GeoPackage file"),
    ),
    (
        "truncated-geojson",
        "villages",
        lambda t: _write(t, "cut.geojson", '{"type": "FeatureCollection", "features": [{"type": '),
        {},
        LayerValidationError,
        ("cut.geojson", "cannot read as geojson", "Unterminated"),
    ),
    (
        "empty-geojson",
        "villages",
        lambda t: _write(t, "rong.geojson", '{"type": "FeatureCollection", "features": []}'),
        {},
        LayerValidationError,
        ("rong.geojson", "no features"),
    ),
    (
        "shapefile-without-prj",
        "sites",
        lambda t: DATA / "sites_nocrs.zip",
        {},
        LayerValidationError,
        ("sites_nocrs.zip", "has no CRS", "Import again with the CRS they are in (--crs EPSG:4326"),
    ),
    (
        "gpkg-undefined-srs",
        "sites",
        lambda t: DATA / "sites_undefined_srs.gpkg",
        {},
        LayerValidationError,
        ("sites_undefined_srs.gpkg", "has no CRS"),
    ),
    (
        "unparseable-prj",
        "sites",
        lambda t: DATA / "sites_badprj.zip",
        {},
        LayerValidationError,
        ("sites_badprj.zip", "cannot be parsed", "field 'crs'"),
    ),
    (
        "unknown-geojson-crs",
        "villages",
        lambda t: _write(
            t,
            "crs_la.geojson",
            '{"type": "FeatureCollection", "crs": {"type": "name", "properties": '
            '{"name": "urn:ogc:def:crs:EPSG::999999"}}, "features": []}',
        ),
        {},
        LayerValidationError,
        ("crs_la.geojson", "unknown CRS", "999999"),
    ),
    (
        "csv-without-lon-lat",
        "villages",
        lambda t: _write(t, "thon.csv", "village_id,name,kind,province_code,kinh,vi\nA,thôn 1,thôn,52,1,2\n"),
        {},
        LayerValidationError,
        ("thon.csv", "no longitude and latitude column", "kinh, vi"),
    ),
    (
        "csv-non-numeric-coordinate",
        "villages",
        lambda t: _write(
            t,
            "thon.csv",
            VILLAGE_HEADER + "A,thôn 1,thôn,52,108.9,14.1\nB,thôn 2,thôn,52,108.9,mười bốn\n",
        ),
        {},
        LayerValidationError,
        ("thon.csv", "row 1", "field 'lat'", "'mười bốn' is not a number"),
    ),
    (
        "csv-neither-utf8-nor-windows-1258",
        "villages",
        lambda t: _write_bytes(
            t, "cp1258.csv", (VILLAGE_HEADER + "A,thôn 1,thôn,52,108.9,14.1\n").encode("cp1258") + b"\x8d\n"
        ),
        {},
        LayerValidationError,
        ("cp1258.csv", "neither UTF-8", "offset 47", "byte 0x8D at offset 71", "'CSV UTF-8'"),
    ),
    (
        "csv-utf16-cut-short",
        "villages",
        lambda t: _write_bytes(
            t,
            "unicode.txt",
            b"\xff\xfe" + (VILLAGE_HEADER + "A,thôn 1,thôn,52,108.9,14.1\n").encode("utf-16-le")[:-1],
        ),
        {},
        LayerValidationError,
        ("unicode.txt", "not UTF-16 text", "offset 142"),
    ),
    (
        "csv-bad-wkt",
        "fiber_routes",
        lambda t: _write(
            t,
            "tuyen.csv",
            "route_id,operator,class,status,wkt\n"
            'A,VNPT,access,on_air,"LINESTRING (108.8 14.5, 108.9 14.6)"\n'
            'B,VNPT,access,on_air,"LINESTRING (108.8 14.5,"\n',
        ),
        {},
        LayerValidationError,
        ("tuyen.csv", "row 1", "field 'wkt'", "is not WKT geometry"),
    ),
    (
        "gpkg-several-layers",
        "sites",
        lambda t: DATA / "sites_multi.gpkg",
        {},
        LayerValidationError,
        ("sites_multi.gpkg", "--source-layer", "tram_viettel, tram_vnpt"),
    ),
    (
        "gpkg-unknown-source-layer",
        "sites",
        lambda t: DATA / "sites_multi.gpkg",
        {"source_layer": "tram_mobifone"},
        LayerValidationError,
        ("sites_multi.gpkg", "tram_mobifone", "tram_viettel, tram_vnpt"),
    ),
    (
        "kml-folders-of-several-kinds",
        "fiber_nodes",
        lambda t: _write(
            t,
            "mixed.kml",
            '<kml xmlns="http://www.opengis.net/kml/2.2"><Document>'
            "<Folder><name>Vùng</name><Placemark><Polygon><outerBoundaryIs><LinearRing><coordinates>"
            "108.9,14.6 109,14.6 109,14.7 108.9,14.6</coordinates></LinearRing></outerBoundaryIs></Polygon>"
            "</Placemark></Folder><Folder><name>Tuyến</name><Placemark><LineString><coordinates>"
            "108.9,14.6 109,14.7</coordinates></LineString></Placemark></Folder></Document></kml>",
        ),
        {},
        LayerValidationError,
        ("mixed.kml", "--source-layer", "Vùng, Tuyến", "several kinds (line, polygon)"),
    ),
    (
        "kml-bad-coordinates",
        "pois",
        lambda t: _write(
            t,
            "poi.kml",
            "<kml><Document><Placemark><name>A</name><Point><coordinates>108.9,14.1</coordinates></Point>"
            "</Placemark><Placemark><name>B</name><Point><coordinates>108,9;14,1</coordinates></Point>"
            "</Placemark></Document></kml>",
        ),
        {},
        LayerValidationError,
        ("poi.kml", "row 1", "field 'geometry'", "bad KML coordinate"),
    ),
    (
        "not-kml-xml",
        "pois",
        lambda t: _write(t, "poi.kml", "<gpx><wpt lat='14' lon='109'/></gpx>"),
        {},
        LayerValidationError,
        ("poi.kml", "not a KML document"),
    ),
    (
        "cells-unknown-site",
        "cells",
        lambda t: _write(
            t,
            "cells.csv",
            "cell_id,site_id,operator,tech,status\n"
            "C1,OCID-452-04-L11918,Viettel,4G,on_air\n"
            "C2,BD-KHONG-CO,Viettel,4G,on_air\n",
        ),
        {"append": True},
        LayerValidationError,
        ("cells.csv", "row 1", "field 'site_id'", "'BD-KHONG-CO'", "sites"),
    ),
    (
        "append-duplicate-id",
        "villages",
        lambda t: _write(
            t,
            "thon.csv",
            VILLAGE_HEADER + "X,thôn 9,thôn,52,108.8,14.5\n52-21619-T5,thôn 5,thôn,52,108.8,14.5\n",
        ),
        {"append": True},
        LayerValidationError,
        ("thon.csv", "row 1", "field 'village_id'", "'52-21619-T5' already exists"),
    ),
    (
        "duplicate-id-in-file",
        "villages",
        lambda t: _write(
            t, "thon.csv", VILLAGE_HEADER + "X,thôn 9,thôn,52,108.8,14.5\nX,thôn 10,thôn,52,108.8,14.5\n"
        ),
        {},
        LayerValidationError,
        ("thon.csv", "row 1", "field 'village_id'", "duplicate id 'X'"),
    ),
    (
        "missing-required-field",
        "villages",
        # (a name that begins with a kind would give it: io.village_lists)
        lambda t: _write(t, "thon.csv", "village_id,name,province_code,lon,lat\nX,Phú Mỹ,52,108.8,14.5\n"),
        {},
        LayerValidationError,
        ("thon.csv", "field 'kind'", "missing required field"),
    ),
    (
        "unknown-enum-value",
        "villages",
        lambda t: _write(
            t, "thon.csv", VILLAGE_HEADER + "X,thôn 9,thôn,52,108.8,14.5\nY,xã 1,xã,52,108.8,14.5\n"
        ),
        {},
        LayerValidationError,
        ("thon.csv", "row 1", "field 'kind'", "unknown value 'xã'"),
    ),
    (
        "wrong-geometry-type",
        "villages",
        lambda t: _write(
            t,
            "duong.geojson",
            '{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": '
            '{"village_id": "X", "name": "thôn 1", "kind": "thôn", "province_code": "52"}, '
            '"geometry": {"type": "LineString", "coordinates": [[108.8, 14.5], [108.9, 14.5]]}}]}',
        ),
        {},
        LayerValidationError,
        ("duong.geojson", "row 0", "field 'geometry'", "needs Point"),
    ),
    (
        "empty-geometry",
        "villages",
        lambda t: _write(
            t,
            "null.geojson",
            '{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": '
            '{"village_id": "X", "name": "thôn 1", "kind": "thôn", "province_code": "52"}, '
            '"geometry": null}]}',
        ),
        {},
        LayerValidationError,
        ("null.geojson", "row 0", "field 'geometry'", "empty or missing geometry"),
    ),
    (
        "outside-vietnam",
        "villages",
        lambda t: _write(
            t, "thon.csv", VILLAGE_HEADER + "X,thôn 9,thôn,52,108.8,14.5\nY,Bangkok,thôn,52,100.5,13.75\n"
        ),
        {},
        LayerValidationError,
        ("thon.csv", "row 1", "outside Vietnam"),
    ),
    (
        "swapped-lat-lon",
        "villages",
        # One row of two: the file's columns are right, that row's values are not.
        lambda t: _write(
            t, "thon.csv", VILLAGE_HEADER + "W,thôn 8,thôn,52,108.8,14.5\nX,thôn 9,thôn,52,14.5,108.8\n"
        ),
        {},
        LayerValidationError,
        ("thon.csv", "row 1", "swapped lat/lon"),
    ),
    (
        "opencellid-bad-lon",
        "cells",
        lambda t: _write(
            t,
            "ocid.csv",
            "radio,mcc,net,area,cell,unit,lon,lat,range,samples,changeable,created,updated,averageSignal\n"
            "LTE,452,4,1,1,0,109.0,14.0,500,1,1,1700000000,1700000000,0\n"
            "LTE,452,4,1,2,0,abc,14.0,500,1,1,1700000000,1700000000,0\n",
        ),
        {},
        LayerValidationError,
        ("ocid.csv", "row 1", "field 'lon'", "'abc' is not a number"),
    ),
    (
        "opencellid-into-villages",
        "villages",
        lambda t: DATA / "opencellid_binh_dinh.csv",
        {},
        LayerValidationError,
        ("opencellid_binh_dinh.csv", "sites and cells"),
    ),
    (
        "unknown-format",
        "villages",
        lambda t: _write_bytes(t, "du_lieu.xyz", b"\x00\x01\x02binary"),
        {},
        LayerValidationError,
        ("du_lieu.xyz", "supported formats", "geojson, gpkg, shp, kml, csv, xlsx, xls, opencellid"),
    ),
    (
        "osm-is-not-a-layer",
        "villages",
        lambda t: DATA / "roads_binh_dinh.osm",
        {},
        LayerValidationError,
        ("roads_binh_dinh.osm", "not as the villages layer", "covgis import WS roads FILE"),
    ),
    (
        "derived-layer",
        "village_coverage",
        lambda t: DATA / "villages.geojson",
        {},
        LayerValidationError,
        ("villages.geojson", "cannot be imported"),
    ),
    (
        "kml-external-entity",
        "villages",
        lambda t: DATA / "kml_external_entity.kml",
        {},
        LayerValidationError,
        ("kml_external_entity.kml", "refused", "DTD"),
    ),
    (
        "kml-billion-laughs",
        "villages",
        lambda t: DATA / "kml_billion_laughs.kml",
        {},
        LayerValidationError,
        ("kml_billion_laughs.kml", "refused", "DTD"),
    ),
]


@pytest.mark.parametrize(
    ("layer", "make", "kwargs", "error", "fragments"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_bad_input_is_reported_and_nothing_is_written(
    ws: Workspace,
    tmp_path: Path,
    layer: str,
    make: Callable[[Path], Path],
    kwargs: dict[str, object],
    error: type[CoverageGISError],
    fragments: tuple[str, ...],
) -> None:
    path = make(tmp_path)
    before = _digest(ws)

    with pytest.raises(error) as caught:
        import_file(ws, layer, path, **kwargs)  # type: ignore[arg-type]

    message = str(caught.value)
    assert "\n" not in message
    for fragment in fragments:
        assert fragment in message
    assert _digest(ws) == before


def test_entity_payloads_are_refused_without_expansion() -> None:
    start = time.perf_counter()
    for name in ("kml_external_entity.kml", "kml_billion_laughs.kml"):
        with pytest.raises(LayerValidationError) as caught:
            read_file(DATA / name, "villages")
        assert "root:" not in str(caught.value)  # /etc/passwd was not read into a name
    assert time.perf_counter() - start < 1.0


def test_validation_error_lists_the_first_problems(ws: Workspace, tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "thon.csv",
        # X repeated with other names (rows repeating every value would be read once: io.repeats)
        VILLAGE_HEADER
        + "".join(f"X,thôn {i},thôn,52,108.8,14.5\nY{i},a,xã,52,108.8,14.5\n" for i in range(3)),
    )

    with pytest.raises(LayerValidationError) as caught:
        import_file(ws, "villages", path)

    # One problem per field and kind, each once: the unknown kind is not also "empty".
    assert "(and 1 more problem)" in str(caught.value)
    # Each names every row with that problem, so one run shows all there is to fix.
    said = {e.field: e.reason for e in caught.value.errors}
    # (and the line of the file each problem's first row begins on: a CSV file's)
    assert said["kind"].endswith("; 3 rows in all: 1, 3, 5; row 1 is line 3 of the file")
    assert said["village_id"] == "duplicate id 'X'; 2 rows in all: 2, 4; row 2 is line 4 of the file"
    assert caught.value.row is not None
    assert sorted((e.field, e.row) for e in caught.value.errors) == [("kind", 1), ("village_id", 2)]


def test_every_row_without_a_coordinate_or_with_other_values_is_named(ws: Workspace, tmp_path: Path) -> None:
    text = VILLAGE_HEADER + "A,Thôn A,thôn,52,,14.5\nB,Thôn B,thôn,52,108.8,14.5\nC,Thôn C,thôn,52,,14.5\n"
    with pytest.raises(LayerValidationError, match=r"row 0, .*value is empty; 2 rows in all: 0, 2"):
        import_file(ws, "villages", _write(tmp_path, "thon.csv", text))
    text = "node_id,operator,kind,status,lon,lat\n" + "".join(
        f"N{i},VNPT,{kind},on_air,108.8,14.5\n" for i, kind in enumerate(["olt", "tủ cáp", "ODN", "tủ cáp"])
    )
    with pytest.raises(LayerValidationError, match=r"3 rows in all: 1, 2, 3 \(values 'tủ cáp', 'ODN'\)"):
        import_file(ws, "fiber_nodes", _write(tmp_path, "nut.csv", text))


def test_the_cli_lists_every_problem_under_the_first(
    ws: Workspace, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """One run shows what to fix, not one problem per run."""
    path = _write(
        tmp_path,
        "thon.csv",
        VILLAGE_HEADER
        + "A,Thôn A,thôn,52,108.8,14.5\nB,Thôn B,xã,52,108.8,14.5\nA,Thôn C,thôn,52,108.8,14.5\n",
    )

    assert main(["import", str(ws.path), "villages", str(path)]) == 2

    lines = capsys.readouterr().err.splitlines()
    assert lines[0].startswith(f"covgis: error: {path}, layer villages, row ")
    assert "(and 1 more problem)" in lines[0]
    assert len(lines) == 2
    assert lines[1].startswith("  row ")
    shown = "\n".join(lines)
    assert "row 1, field 'kind': unknown value 'xã'" in shown
    assert "row 2, field 'village_id': duplicate id 'A'" in shown


def test_empty_enum_value_takes_the_schema_default(ws: Workspace, tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "nodes.csv",
        "node_id,operator,kind,status,lon,lat\nN1,VNPT,olt,planned,108.9,14.6\nN2,VNPT,pop,,108.8,14.5\n",
    )

    import_file(ws, "fiber_nodes", path)

    assert ws.read_layer("fiber_nodes")["status"].tolist() == ["planned", "on_air"]


# -- terrain and roads -------------------------------------------------------------------


def _tif(path: Path, *, crs: str | None = "EPSG:32649", count: int = 1, west: float = 252_000.0) -> Path:
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=4,
        height=4,
        count=count,
        dtype="float32",
        crs=crs,
        transform=Affine(100.0, 0.0, west, 0.0, -100.0, 1_585_000.0),
    ) as dst:
        for band in range(1, count + 1):
            dst.write(np.full((4, 4), 100.0, dtype=np.float32), band)
    return path


@pytest.mark.parametrize(
    ("make", "fragments"),
    [
        (lambda t: t / "khong_co.tif", ("khong_co.tif", "file not found")),
        (lambda t: _tif(t / "nocrs.tif", crs=None), ("nocrs.tif", "has no CRS")),
        (lambda t: _tif(t / "rgb.tif", count=3), ("rgb.tif", "has 3 bands")),
        (lambda t: _tif(t / "xa.tif", crs="EPSG:32631"), ("xa.tif", "do not overlap Vietnam")),
        (lambda t: _write(t, "dem.tif", "không phải GeoTIFF"), ("dem.tif", "not a readable raster")),
    ],
    ids=["missing", "no-crs", "three-bands", "outside-vietnam", "corrupt"],
)
def test_bad_dem_is_refused_and_the_old_one_kept(
    ws: Workspace, tmp_path: Path, make: Callable[[Path], Path], fragments: tuple[str, ...]
) -> None:
    before = _digest(ws)

    with pytest.raises(LayerValidationError) as caught:
        import_dem(ws, make(tmp_path))

    for fragment in fragments:
        assert fragment in str(caught.value)
    assert _digest(ws) == before


@pytest.mark.parametrize(
    ("make", "fragments"),
    [
        (lambda t: DATA / "zones_5g.kml", ("zones_5g.kml", "not OSM XML", "<kml>")),
        (lambda t: DATA / "pois.csv", ("pois.csv", "not OSM XML")),
        (
            lambda t: _write(
                t,
                "dtd.osm",
                '<?xml version="1.0"?><!DOCTYPE osm [<!ENTITY a "b">]><osm version="0.6"></osm>',
            ),
            ("dtd.osm", "refused"),
        ),
        (
            lambda t: _write(
                t,
                "nha.osm",
                '<osm version="0.6"><node id="1" lat="14.1" lon="108.8"/>'
                '<node id="2" lat="14.2" lon="108.8"/>'
                '<node id="3" lat="14.2" lon="108.9"/><way id="9"><nd ref="1"/><nd ref="2"/><nd ref="3"/>'
                '<nd ref="1"/><tag k="building" v="yes"/></way></osm>',
            ),
            ("nha.osm", "no roads"),
        ),
    ],
    ids=["kml", "csv", "dtd", "no-highways"],
)
def test_bad_roads_are_refused_and_the_old_ones_kept(
    ws: Workspace, tmp_path: Path, make: Callable[[Path], Path], fragments: tuple[str, ...]
) -> None:
    before = _digest(ws)

    with pytest.raises(LayerValidationError) as caught:
        import_roads(ws, make(tmp_path))

    for fragment in fragments:
        assert fragment in str(caught.value)
    assert _digest(ws) == before


# -- CLI -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("layer", "make", "fragments"),
    [
        ("villages", lambda t: t / "khong_co.csv", ("khong_co.csv", "file not found")),
        (
            "villages",
            lambda t: _write(t, "thon.csv", "village_id,name,kind,province_code\nX,thôn 9,thôn,52\n"),
            ("thon.csv", "no longitude"),
        ),
        (
            "cells",
            lambda t: _write(
                t, "cells.csv", "cell_id,site_id,operator,tech,status\nC1,BD-KHONG-CO,VNPT,3G,on_air\n"
            ),
            ("cells.csv", "row 0", "field 'site_id'", "'BD-KHONG-CO'"),
        ),
        ("sites", lambda t: DATA / "sites_multi.gpkg", ("sites_multi.gpkg", "tram_viettel, tram_vnpt")),
        ("sites", lambda t: DATA / "sites_nocrs.zip", ("sites_nocrs.zip", "has no CRS")),
    ],
    ids=["missing-file", "no-lon-lat", "unknown-site", "multi-layer", "no-crs"],
)
def test_cli_bad_import_exits_2_with_one_line(
    ws: Workspace,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    layer: str,
    make: Callable[[Path], Path],
    fragments: tuple[str, ...],
) -> None:
    before = _digest(ws)

    code = main(["import", str(ws.path), layer, str(make(tmp_path))])

    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1
    assert err.startswith("covgis: error: ")
    for fragment in fragments:
        assert fragment in err
    assert "Traceback" not in err
    assert _digest(ws) == before


def test_a_number_out_of_range_is_shown_as_the_file_writes_it(ws: Workspace, tmp_path: Path) -> None:
    """'1.800' (a thousands dot) reads as 1.8: the error shows both, not 1.8 alone."""
    path = _write(
        tmp_path,
        "cells.csv",
        "site_id,cell_id,operator,tech,band_mhz,lon,lat\nS1,C1,VNPT,4G,1.800,108.8,14.5\n",
    )
    import_file(ws, "sites", path)
    with pytest.raises(
        LayerValidationError,
        match=r"'1.800' \(read as 1.8\) is below the minimum 400; row 0 is line 2 of the file$",
    ):
        import_file(ws, "cells", path)


@pytest.mark.parametrize(
    ("text", "row", "line"),
    [
        # Blank lines are skipped by the reader: row 2 is on line 5, not line 4.
        (
            VILLAGE_HEADER
            + "A,Thôn A,thôn,52,108.8,14.5\n\nB,Thôn B,thôn,52,108.8,14.5\nC,Thôn C,thôn,52,abc,14.5\n",
            2,
            5,
        ),
        # A title and an empty line above the header.
        ("DANH SÁCH THÔN\n\n" + VILLAGE_HEADER + "A,Thôn A,thôn,52,abc,14.5\n", 0, 4),
        # A quoted name over two lines.
        (VILLAGE_HEADER + 'A,"Thôn A\n(cũ)",thôn,52,108.8,14.5\nB,Thôn B,thôn,52,abc,14.5\n', 1, 4),
    ],
    ids=["blank-line", "title", "multi-line-value"],
)
def test_a_csv_error_names_the_line_its_row_is_on(
    ws: Workspace, tmp_path: Path, text: str, row: int, line: int
) -> None:
    """Rows count from 0 under the header; an editor shows lines: the error gives both."""
    with pytest.raises(LayerValidationError) as caught:
        import_file(ws, "villages", _write(tmp_path, "thon.csv", text))

    assert caught.value.row == row
    assert str(caught.value).endswith(f"; row {row} is line {line} of the file")


def test_each_problem_listed_names_its_own_line(ws: Workspace, tmp_path: Path) -> None:
    text = VILLAGE_HEADER + "A,Thôn A,xã,52,108.8,14.5\n\n\nA,Thôn B,thôn,52,108.8,14.5\n"
    with pytest.raises(LayerValidationError) as caught:
        import_file(ws, "villages", _write(tmp_path, "thon.csv", text))

    lines = {e.field: e.reason.rsplit("; ", 1)[-1] for e in caught.value.errors}
    assert lines == {"kind": "row 0 is line 2 of the file", "village_id": "row 1 is line 5 of the file"}
