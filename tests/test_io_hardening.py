"""Hostile and broken input files: no indirection, no traceback, no silent truncation.

A file is read by the driver its format implies only (a GDAL VRT in a ``.geojson``,
``.gpkg``, zipped ``.shp`` or ``.tif`` reads neither local files nor URLs), non-finite
coordinates and blank required text are errors in every format, a zip whose directory
lies or whose data is damaged is a corrupt file, and shapefile field names cut to 10
characters are mapped back to the schema. A Hypothesis fuzz of the importers finds
nothing but :class:`~coverage_gis.errors.CoverageGISError`.
"""

from __future__ import annotations

import contextlib
import http.server
import json
import shutil
import struct
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coverage_gis.errors import CoverageGISError, LayerValidationError
from coverage_gis.io import import_dem, import_file, read_file
from coverage_gis.workspace import Workspace

from .test_io_errors import DATA, _digest, _write

# GDAL's remarks on what these tests do on purpose (cut names, a probe of a VRT).
pytestmark = [
    pytest.mark.filterwarnings("ignore:Normalized/laundered field name:RuntimeWarning"),
    pytest.mark.filterwarnings("ignore:HTTP response code:RuntimeWarning"),
    pytest.mark.filterwarnings("ignore:Unknown type:RuntimeWarning"),
]

VILLAGE_ROWS = "V1,thôn 1,thôn,52,108.80,14.50\nV2,làng O2,làng,52,108.81,14.51\n"


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # Closed before any copy (see test_io_errors.seeded_template).
    with Workspace.create(tmp_path_factory.mktemp("template") / "ws", metric_crs="EPSG:32649") as ws:
        import_file(ws, "villages", DATA / "villages.geojson")
    return ws.path


@pytest.fixture
def ws(template: Path, tmp_path: Path) -> Workspace:
    shutil.copytree(template, tmp_path / "ws")
    return Workspace.open(tmp_path / "ws")


def _vrt(source: str) -> str:
    """A GDAL VRT that turns ``source`` (a CSV file or URL) into village points."""
    return f"""<OGRVRTDataSource>
  <OGRVRTLayer name="villages">
    <SrcDataSource>{source}</SrcDataSource>
    <SrcSQL>SELECT village_id, name, kind, province_code, lon, lat FROM villages</SrcSQL>
    <GeometryType>wkbPoint</GeometryType>
    <LayerSRS>EPSG:4326</LayerSRS>
    <GeometryField encoding="PointFromColumns" x="lon" y="lat"/>
  </OGRVRTLayer>
</OGRVRTDataSource>
"""


@pytest.fixture
def secret_csv(tmp_path: Path) -> Path:
    """A local file a VRT would import: well-formed villages (so only the refusal stops it)."""
    return _write(tmp_path, "villages.csv", "village_id,name,kind,province_code,lon,lat\n" + VILLAGE_ROWS)


@pytest.fixture
def http_hits() -> Iterator[tuple[str, list[str]]]:
    """A loopback HTTP server that serves the villages CSV and records every request."""
    hits: list[str] = []
    body = ("village_id,name,kind,province_code,lon,lat\n" + VILLAGE_ROWS).encode()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hits.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "text/csv")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/villages.csv", hits
    finally:
        server.shutdown()
        server.server_close()


def test_the_vrt_used_here_would_import_the_file(secret_csv: Path) -> None:
    """The payload works when GDAL probes (so the refusals below are what stops it)."""
    probed = pyogrio.read_dataframe(_write(secret_csv.parent, "probe.vrt", _vrt(str(secret_csv))))
    assert list(probed["village_id"]) == ["V1", "V2"]


@pytest.mark.parametrize("name", ["villages.geojson", "villages.json", "villages.gpkg"])
def test_a_vrt_in_disguise_reads_no_local_file(ws: Workspace, secret_csv: Path, name: str) -> None:
    path = _write(secret_csv.parent, name, _vrt(str(secret_csv)))
    before = _digest(ws)
    with pytest.raises(LayerValidationError, match="GDAL VRT"):
        import_file(ws, "villages", path)
    assert _digest(ws) == before


def test_a_vrt_in_a_zipped_shapefile_reads_no_local_file(ws: Workspace, secret_csv: Path) -> None:
    path = secret_csv.parent / "thon.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("thon.shp", _vrt(str(secret_csv)))
        archive.writestr("thon.dbf", b"")
    with pytest.raises(LayerValidationError, match="not a shapefile"):
        import_file(ws, "villages", path)


def test_a_vrt_makes_no_http_request(ws: Workspace, tmp_path: Path, http_hits: tuple[str, list[str]]) -> None:
    url, hits = http_hits
    remote = f"/vsicurl/{url}"
    pyogrio.read_dataframe(_write(tmp_path, "probe.vrt", _vrt(remote)))
    assert hits  # the payload reaches the server when GDAL probes
    hits.clear()
    for name in ("remote.geojson", "remote.gpkg"):
        with pytest.raises(LayerValidationError):
            import_file(ws, "villages", _write(tmp_path, name, _vrt(remote)))
    raster = '<VRTDataset rasterXSize="4" rasterYSize="4"><VRTRasterBand dataType="Float32" band="1">'
    raster += f"<SimpleSource><SourceFilename>/vsicurl/{url}</SourceFilename></SimpleSource>"
    raster += "</VRTRasterBand></VRTDataset>"
    with pytest.raises(LayerValidationError, match="only GeoTIFF"):
        import_dem(ws, _write(tmp_path, "dem.tif", raster))
    assert hits == []


# -- values that are not values -------------------------------------------------------------
def _geojson(tmp_path: Path, name: str, features: list[dict[str, object]]) -> Path:
    doc = {"type": "FeatureCollection", "features": features}
    return _write(tmp_path, name, json.dumps(doc, ensure_ascii=False).replace('"INF"', "Infinity"))


def _village(
    village_id: str = "V9", name: str = "thôn 9", lon: object = 108.8, **extra: object
) -> dict[str, object]:
    props = {"village_id": village_id, "name": name, "kind": "thôn", "province_code": "52", **extra}
    return {"type": "Feature", "properties": props, "geometry": {"type": "Point", "coordinates": [lon, 14.5]}}


def test_infinite_coordinates_are_errors(ws: Workspace, tmp_path: Path) -> None:
    csv = _write(
        tmp_path, "inf.csv", "village_id,name,kind,province_code,lon,lat\nV9,thôn 9,thôn,52,inf,14.5\n"
    )
    with pytest.raises(LayerValidationError) as caught:
        import_file(ws, "villages", csv)
    assert (caught.value.row, caught.value.field) == (0, "lon")
    assert "not a finite number" in str(caught.value)
    geojson = _geojson(tmp_path, "inf.geojson", [_village(), _village("V10", lon="INF")])
    with pytest.raises(LayerValidationError) as caught:
        import_file(ws, "villages", geojson)
    assert (caught.value.row, caught.value.field) == (1, "geometry")
    assert "not a finite number" in str(caught.value)


@pytest.mark.parametrize("blank", ["", " \t "])
@pytest.mark.parametrize("field", ["village_id", "name", "province_code"])
@pytest.mark.parametrize("fmt", ["geojson", "gpkg", "kml"])
def test_blank_required_text_is_an_error_in_every_format(
    ws: Workspace, tmp_path: Path, fmt: str, field: str, blank: str
) -> None:
    rows = [_village(), _village("V10", "thôn 10")]
    rows[1]["properties"][field] = blank  # type: ignore[index]
    path = _geojson(tmp_path, "blank.geojson", rows)
    if fmt == "gpkg":
        frame = gpd.read_file(path)
        path = tmp_path / "blank.gpkg"
        frame.to_file(path, driver="GPKG")
    elif fmt == "kml":
        marks = "".join(
            "<Placemark><ExtendedData>"
            + "".join(f'<Data name="{k}"><value>{v}</value></Data>' for k, v in row["properties"].items())  # type: ignore[attr-defined]
            + "</ExtendedData><Point><coordinates>108.8,14.5</coordinates></Point></Placemark>"
            for row in rows
        )
        path = _write(
            tmp_path,
            "blank.kml",
            f'<kml xmlns="http://www.opengis.net/kml/2.2"><Document>{marks}</Document></kml>',
        )
    before = _digest(ws)
    with pytest.raises(LayerValidationError) as caught:
        import_file(ws, "villages", path)
    assert (caught.value.row, caught.value.field) == (1, field)
    assert "required value is empty" in str(caught.value)
    assert _digest(ws) == before


# -- zip files --------------------------------------------------------------------------------
def _shapefile_zip(tmp_path: Path, name: str, frame: gpd.GeoDataFrame) -> Path:
    folder = tmp_path / name
    folder.mkdir()
    with pytest.warns(UserWarning, match="truncated"):
        frame.to_file(folder / f"{name}.shp")
    path = tmp_path / f"{name}.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for part in sorted(folder.iterdir()):
            archive.write(part, part.name)
    return path


def _villages_frame(n: int = 2) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "village_id": [f"V{i}" for i in range(n)],
            "name": [f"thôn {i}" for i in range(n)],
            "kind": ["thôn"] * n,
            "province_code": ["52"] * n,
            "census_commune_id": ["5200101"] * n,
            "has_grid_power": [True] * n,
        },
        geometry=gpd.points_from_xy([108.8 + i * 1e-3 for i in range(n)], [14.5] * n),
        crs="EPSG:4326",
    )


def test_villages_from_a_zipped_shapefile_keep_their_long_field_names(ws: Workspace, tmp_path: Path) -> None:
    path = _shapefile_zip(tmp_path, "thon", _villages_frame())
    result = import_file(ws, "villages", path)
    assert result.counts == {"villages": 2}
    assert any("province_c → province_code" in note for note in result.notes)
    villages = ws.read_layer("villages")
    assert list(villages["province_code"]) == ["52", "52"]
    assert list(villages["census_commune_id"]) == ["5200101", "5200101"]


def test_cut_field_names_that_fit_two_schema_fields_are_refused(ws: Workspace, tmp_path: Path) -> None:
    communes = gpd.read_file(
        Path(__file__).parents[1] / "data" / "boundaries" / "seed_provinces_communes.gpkg", rows=3
    )
    communes["new_province_code"], communes["new_province_name"] = "98", "Tỉnh Mới"
    path = _shapefile_zip(tmp_path, "xa", communes)
    with pytest.raises(LayerValidationError, match="new_province_code or new_province_name"):
        import_file(ws, "communes", path)


def _patch_zip(path: Path, member: str, *, offset: int, value: int) -> None:
    """Overwrite a 4-byte field of ``member``'s central directory entry (offset from its signature)."""
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo(member)
    start = data.index(b"PK\x01\x02")
    while True:
        name_len = struct.unpack_from("<H", data, start + 28)[0]
        if data[start + 46 : start + 46 + name_len].decode() == info.filename:
            break
        start = data.index(b"PK\x01\x02", start + 4)
    struct.pack_into("<I", data, start + offset, value)
    path.write_bytes(bytes(data))


def test_a_zip_whose_directory_lies_is_corrupt_not_truncated(ws: Workspace, tmp_path: Path) -> None:
    path = _shapefile_zip(tmp_path, "thon", _villages_frame(300))
    with zipfile.ZipFile(path) as archive:
        size = archive.getinfo("thon.dbf").file_size
    _patch_zip(path, "thon.dbf", offset=24, value=size // 3)  # uncompressed size
    before = _digest(ws)
    with pytest.raises(LayerValidationError, match="zip file is corrupt"):
        import_file(ws, "villages", path)
    assert _digest(ws) == before


def test_a_damaged_zip_member_is_a_corrupt_file(ws: Workspace, tmp_path: Path) -> None:
    path = _shapefile_zip(tmp_path, "thon", _villages_frame())
    with zipfile.ZipFile(path) as archive:
        crc = archive.getinfo("thon.shp").CRC
    _patch_zip(path, "thon.shp", offset=16, value=crc ^ 0xFFFF)
    with pytest.raises(LayerValidationError, match=r"zip file is corrupt: member 'thon.shp'.*CRC"):
        import_file(ws, "villages", path)
    kmz = tmp_path / "diem.kmz"
    with zipfile.ZipFile(kmz, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.write(DATA / "fiber_nodes.kml", "doc.kml")
    crc = zipfile.ZipFile(kmz).getinfo("doc.kml").CRC
    _patch_zip(kmz, "doc.kml", offset=16, value=crc ^ 1)
    with pytest.raises(LayerValidationError, match="zip file is corrupt"):
        read_file(kmz, "fiber_nodes", source_layer="VNPT")


# -- fuzz ---------------------------------------------------------------------------------------
_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)
_NUMBER_TEXT = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(["", " ", "inf", "-Infinity", "nan", "1e999", "108,8", "14.5", "0x10", "--1", "1e19"]),
    _TEXT,
)
_CELL = st.one_of(_TEXT, _NUMBER_TEXT).map(lambda v: v.replace("\n", " ").replace("\r", " "))
_COLUMNS = ["village_id", "name", "kind", "province_code", "households", "has_grid_power", "lon", "lat"]


def _valid_row(i: int) -> list[str]:
    return [f"V{i}", f"thôn {i}", "thôn", "52", "10", "có", f"{108.8 + i / 1000}", "14.5"]


def _csv_cell(value: str) -> str:
    return '"' + value.replace('"', '""') + '"'


# Each row: a valid village with some of its cells replaced by fuzz, so that both the
# refusals and the writes of what passes are exercised.
_ROW_CHANGES = st.dictionaries(st.integers(0, len(_COLUMNS) - 1), _CELL, max_size=3)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(changes=st.lists(_ROW_CHANGES, min_size=1, max_size=4))
def test_fuzzed_csv_imports_fail_only_with_library_errors(
    ws: Workspace, changes: list[dict[int, str]]
) -> None:
    rows = []
    for i, change in enumerate(changes):
        row = _valid_row(i)
        for column, value in change.items():
            row[column] = value
        rows.append(row)
    text = ",".join(_COLUMNS) + "\n" + "".join(",".join(map(_csv_cell, row)) + "\n" for row in rows)
    path = ws.path.parent / "fuzz.csv"
    path.write_text(text, encoding="utf-8")
    with contextlib.suppress(CoverageGISError):
        import_file(ws, "villages", path)


_JSON_VALUE = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    _TEXT,
    st.sampled_from(["INF", "  ", "thôn", "52"]),
)
_COORD = st.one_of(
    st.floats(min_value=108, max_value=110), st.sampled_from(["INF", 1e308, -1e308, 0, 14.5, "NaN"])
)
_GEOMETRY = st.one_of(
    st.just({"type": "Point", "coordinates": [108.9, 14.5]}),
    st.fixed_dictionaries(
        {
            "type": st.sampled_from(["Point", "LineString", "Polygon", "MultiPoint"]),
            "coordinates": st.lists(_COORD, min_size=0, max_size=3),
        }
    ),
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    features=st.lists(
        st.tuples(st.dictionaries(st.sampled_from([*_COLUMNS[:6], "extra"]), _JSON_VALUE), _GEOMETRY),
        min_size=1,
        max_size=4,
    )
)
def test_fuzzed_geojson_imports_fail_only_with_library_errors(
    ws: Workspace, features: list[tuple[dict[str, object], dict[str, object]]]
) -> None:
    docs = [
        {"type": "Feature", "properties": _village(f"V{i}")["properties"] | props, "geometry": geometry}  # type: ignore[operator]
        for i, (props, geometry) in enumerate(features)
    ]
    path = _geojson(ws.path.parent, "fuzz.geojson", docs)
    with contextlib.suppress(CoverageGISError):
        import_file(ws, "villages", path)


def test_two_appends_at_once_lose_no_rows(
    ws: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An append reads, merges and writes under the lock: a second append waits and keeps the first's rows."""
    import coverage_gis.io as io_package

    first_read, second_done = threading.Event(), threading.Event()
    real_append = io_package.appended

    def slow_append(*args: object, **kwargs: object) -> object:
        merged = real_append(*args, **kwargs)  # type: ignore[arg-type]
        if threading.current_thread().name == "first":
            first_read.set()
            second_done.wait(timeout=1.0)  # without the lock the second append would finish here
        return merged

    monkeypatch.setattr(io_package, "appended", slow_append)
    header = "village_id,name,kind,province_code,lon,lat\n"
    first = _write(tmp_path, "a.csv", header + "A1,thôn A,thôn,52,108.80,14.50\n")
    second = _write(tmp_path, "b.csv", header + "B1,thôn B,thôn,52,108.81,14.51\n")
    thread = threading.Thread(
        target=import_file, args=(ws, "villages", first), kwargs={"append": True}, name="first"
    )
    thread.start()
    assert first_read.wait(timeout=30)
    import_file(Workspace.open(ws.path), "villages", second, append=True)
    second_done.set()
    thread.join(timeout=30)
    assert {"A1", "B1"} <= set(ws.read_layer("villages")["village_id"])


_XML_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=12)
_KML_COORDS = st.one_of(
    st.just("108.9,14.5"),
    st.lists(st.one_of(_NUMBER_TEXT, st.just("108.9,14.5,0")), min_size=0, max_size=3).map(" ".join),
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    marks=st.lists(
        st.tuples(
            st.dictionaries(st.sampled_from(_COLUMNS[:6]), _XML_TEXT, max_size=3),
            st.sampled_from(["Point", "LineString", "Polygon"]),
            _KML_COORDS,
        ),
        min_size=1,
        max_size=3,
    )
)
def test_fuzzed_kml_imports_fail_only_with_library_errors(
    ws: Workspace, marks: list[tuple[dict[str, str], str, str]]
) -> None:
    from xml.sax.saxutils import escape

    body = ""
    for i, (changes, kind, coords) in enumerate(marks):
        props = {**_village(f"V{i}")["properties"], **changes}  # type: ignore[dict-item]
        data = "".join(f'<Data name="{k}"><value>{escape(str(v))}</value></Data>' for k, v in props.items())
        inner = f"<coordinates>{escape(coords)}</coordinates>"
        geometry = f"<Polygon><outerBoundaryIs><LinearRing>{inner}</LinearRing></outerBoundaryIs></Polygon>"
        if kind != "Polygon":
            geometry = f"<{kind}>{inner}</{kind}>"
        body += f"<Placemark><ExtendedData>{data}</ExtendedData>{geometry}</Placemark>"
    path = _write(
        ws.path.parent,
        "fuzz.kml",
        f'<kml xmlns="http://www.opengis.net/kml/2.2"><Document>{body}</Document></kml>',
    )
    with contextlib.suppress(CoverageGISError):
        import_file(ws, "villages", path)
