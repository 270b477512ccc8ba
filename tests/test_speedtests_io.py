"""Speed-test importers: quadkeys, Ookla tiles (Parquet, shapefile) and point CSVs, good and malformed."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import mercantile
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coverage_gis.cli import main
from coverage_gis.errors import LayerValidationError
from coverage_gis.io import detect_format, import_file, read_file
from coverage_gis.tiles.mercator import tile_bounds_lonlat
from coverage_gis.tiles.quadkeys import (
    quadkey_bounds_lonlat,
    quadkey_centres_lonlat,
    quadkeys_for_lonlat,
    quadkeys_to_tiles,
    tile_to_quadkey,
)
from coverage_gis.workspace import Workspace

DATA = Path(__file__).parent / "data"
MOBILE_TILES = DATA / "2025-01-01_performance_mobile_tiles.parquet"
FIXED_TILES = DATA / "2025-01-01_performance_fixed_tiles.zip"
POINTS = DATA / "speed_points.csv"


# ------------------------------------------------------------------------------ quadkeys


def test_known_quadkeys() -> None:
    # Bing Maps Tile System documentation: tile (3, 5) at level 3 is quadkey "213".
    assert tile_to_quadkey(3, 3, 5) == "213"
    z, x, y, ok = quadkeys_to_tiles(np.array(["213", "0", "3", "1322", "", "1245", "0" * 24], dtype=object))
    assert ok.tolist() == [True, True, True, True, False, False, False]
    # "1322": x bits 1,1,0,0 (digit & 1) = 12, y bits 0,1,1,1 (digit >> 1) = 7.
    assert (z[:4].tolist(), x[:4].tolist(), y[:4].tolist()) == ([3, 1, 1, 4], [3, 0, 1, 12], [5, 0, 1, 7])
    # Level 1: "0" is the north-west quarter of the world, "3" the south-east one.
    west, south, east, north = quadkey_bounds_lonlat(np.array(["0", "3"], dtype=object)).T
    assert west.tolist() == pytest.approx([-180.0, 0.0])
    assert east.tolist() == pytest.approx([0.0, 180.0], abs=1e-9)
    assert south.tolist() == pytest.approx([0.0, -85.0511287798], abs=1e-9)
    assert north.tolist() == pytest.approx([85.0511287798, 0.0], abs=1e-9)


def test_quy_nhon_zoom16_tile() -> None:
    # The tile of the Quy Nhơn fixture point, checked against mercantile and the map's tile scheme.
    key = quadkeys_for_lonlat(np.array([109.2195]), np.array([13.7764]), 16)[0]
    assert key == mercantile.quadkey(mercantile.tile(109.2195, 13.7764, 16)) == "1322132110123032"
    z, x, y, _ = quadkeys_to_tiles(np.array([key], dtype=object))
    assert quadkey_bounds_lonlat(np.array([key], dtype=object))[0] == pytest.approx(
        tile_bounds_lonlat(int(z[0]), int(x[0]), int(y[0])), abs=1e-12
    )


@settings(max_examples=200, deadline=None)
@given(
    lon=st.floats(min_value=-179.99, max_value=179.99),
    lat=st.floats(min_value=-85.0, max_value=85.0),
    zoom=st.integers(min_value=1, max_value=23),
)
def test_quadkeys_agree_with_mercantile(lon: float, lat: float, zoom: int) -> None:
    key = quadkeys_for_lonlat(np.array([lon]), np.array([lat]), zoom)[0]
    z, x, y, ok = quadkeys_to_tiles(np.array([key], dtype=object))
    assert ok[0]
    assert tile_to_quadkey(int(z[0]), int(x[0]), int(y[0])) == key
    assert mercantile.quadkey_to_tile(key) == mercantile.Tile(int(x[0]), int(y[0]), zoom)
    west, south, east, north = quadkey_bounds_lonlat(np.array([key], dtype=object))[0]
    ref = mercantile.bounds(mercantile.quadkey_to_tile(key))
    assert (west, south, east, north) == pytest.approx((ref.west, ref.south, ref.east, ref.north), abs=1e-9)
    tol = 1e-9  # a point on a tile edge may fall in either neighbour through rounding
    assert west - tol <= lon <= east + tol
    assert south - tol <= lat <= north + tol
    cx, cy = quadkey_centres_lonlat(np.array([key], dtype=object))
    assert west < cx[0] < east
    assert south < cy[0] < north


# ------------------------------------------------------------------------------ good inputs


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    return Workspace.create(tmp_path / "ws", metric_crs="EPSG:32649")


def test_technologies_in_any_case_or_by_their_radio_decide_kind_and_level(
    ws: Workspace, tmp_path: Path
) -> None:
    """``ftth``/``GPON`` are fixed tests and ``lte``/``Lte`` read their RSRP as ``4G`` does: the
    schema's spellings and an allowed value in another case are read before the kind and the
    level are told from the technology."""
    path = tmp_path / "do_toc_do.csv"
    path.write_text(
        "lon,lat,operator,tech,download_mbps,rsrp_dbm\n"
        "109.2,13.8,vinaphone,ftth,100,\n"
        "109.2,13.8,VNPT,GPON,90,\n"
        "109.2,13.8,viettel,lte,20,-97\n"
        "109.2,13.8,Viettel,4g,25,-99\n",
        encoding="utf-8",
    )

    import_file(ws, "speed_tests", path)

    tests = ws.read_layer("speed_tests")
    assert tests["tech"].tolist() == ["FTTH", "FTTH", "4G", "4G"]
    assert tests["kind"].tolist() == ["fixed", "fixed", "mobile", "mobile"]
    assert tests["operator"].tolist() == ["VNPT", "VNPT", "Viettel", "Viettel"]
    assert tests["signal_dbm"].tolist()[2:] == [-97.0, -99.0]


def test_point_csv(ws: Workspace) -> None:
    result = import_file(ws, "speed_tests", POINTS)
    assert result.counts == {"speed_tests": 6}
    assert any("ghi_chu" in n for n in result.notes)
    tests = ws.read_layer("speed_tests").set_index("test_id")
    # Ids made from the file's name, each test's date and its row.
    days = ["2025-03-01", "2025-03-01", "2025-03-02", "2025-03-02", "2025-03-03", "2025-03-03"]
    assert tests.index.tolist() == [f"speed_points-{day}-{i}" for i, day in enumerate(days)]
    assert tests["tech"].tolist() == ["4G", "4G", "5G", "3G", "4G", "FTTH"]  # LTE, NR, UMTS mapped
    assert tests["operator"].tolist() == ["Viettel", "VNPT", "MobiFone", "Vietnamobile", "Viettel", "VNPT"]
    assert tests["kind"].tolist() == ["mobile"] * 5 + ["fixed"]
    # RSRP for 4G/5G rows, RSCP for the 3G row; none for FTTH.
    assert tests["signal_dbm"].tolist()[:5] == [-88.0, -95.0, -82.0, -92.0, -121.0]
    assert np.isnan(tests["signal_dbm"].iloc[5])
    assert tests["measured"].tolist() == days
    assert tests["download_mbps"].tolist() == [48.2, 35.5, 310.4, 3.1, 0.0, 245.0]
    assert tests.loc["speed_points-2025-03-01-0", "geometry"].coords[0] == pytest.approx((109.2195, 13.7764))
    assert set(tests["source"]) == {"csv"}
    assert set(tests["tests"]) == {1}


def test_a_g_nettrack_drive_test_log(ws: Workspace, tmp_path: Path) -> None:
    """G-NetTrack's tab-separated log: bit rates in kb/s, the operator's name beside its PLMN
    code, the radio in NetworkTech, time stamps written 2024.03.05_08.30.15."""
    columns = (
        "Timestamp Longitude Latitude Operatorname Operator Cellname NetworkTech Level DL_bitrate UL_bitrate"
    )
    header = "\t".join(columns.split()) + "\n"
    rows = [
        "2024.03.05_08.30.15\t109.2232\t13.7765\tViettel\t45204\tQNH1\t4G\t-95\t25300\t5100\n",
        "2024.03.06_18.02.40\t109.2233\t13.7766\tVinaphone\t45202\tQNH2\t3G\t-80\t4100\t900\n",
    ]
    path = tmp_path / "gnettrack.txt"
    path.write_text(header + "".join(rows), encoding="utf-8")

    import_file(ws, "speed_tests", path)

    tests = ws.read_layer("speed_tests")
    assert tests["operator"].tolist() == ["Viettel", "VNPT"]
    assert tests["tech"].tolist() == ["4G", "3G"]
    assert tests["measured"].tolist() == ["2024-03-05", "2024-03-06"]
    assert tests["download_mbps"].tolist() == [25.3, 4.1]
    assert tests["upload_mbps"].tolist() == [5.1, 0.9]


def test_a_speedtest_intelligence_export_reads_its_client_position_and_isp(
    ws: Workspace, tmp_path: Path
) -> None:
    """A per-test export of Ookla Speedtest Intelligence: the client's position as
    client_latitude/client_longitude, the operator as isp_name, the radio as
    connection_type, the day as test_date, the rates in kb/s. Fails if the file is refused
    for want of a longitude column, or the day or operator is left unread."""
    path = tmp_path / "si.csv"
    path.write_text(
        "test_date,isp_name,connection_type,client_latitude,client_longitude,download_kbps,upload_kbps,latency_ms\n"
        "2025-03-01,Viettel,4G,13.7712,109.2211,45200,12100,28\n"
        "2025-03-02,Vinaphone,LTE,13.7812,109.2311,30100,8000,35\n",
        encoding="utf-8",
    )

    import_file(ws, "speed_tests", path)

    tests = ws.read_layer("speed_tests")
    assert [(p.x, p.y) for p in tests.geometry] == [(109.2211, 13.7712), (109.2311, 13.7812)]
    assert tests["operator"].tolist() == ["Viettel", "VNPT"]
    assert tests["tech"].tolist() == ["4G", "4G"]
    assert tests["measured"].tolist() == ["2025-03-01", "2025-03-02"]
    assert tests["download_mbps"].tolist() == [45.2, 30.1]


def test_ookla_parquet_tiles(ws: Workspace) -> None:
    result = import_file(ws, "speed_tests", MOBILE_TILES)
    assert result.counts == {"speed_tests": 4}
    assert any("skipped 1 tile" in n and "outside Vietnam" in n for n in result.notes)
    tiles = ws.read_layer("speed_tests")
    raw = pd.read_parquet(MOBILE_TILES).iloc[:4]
    assert tiles["quadkey"].tolist() == raw["quadkey"].tolist()
    assert tiles["test_id"].tolist() == [f"ookla-mobile-2025-01-01-{q}" for q in raw["quadkey"]]
    assert tiles["download_mbps"].tolist() == pytest.approx((raw["avg_d_kbps"] / 1000).tolist())
    assert tiles["upload_mbps"].tolist() == pytest.approx((raw["avg_u_kbps"] / 1000).tolist())
    assert tiles["latency_ms"].tolist() == raw["avg_lat_ms"].tolist()
    assert tiles["tests"].tolist() == raw["tests"].tolist()
    assert tiles["devices"].tolist() == raw["devices"].tolist()
    assert set(tiles["kind"]) == {"mobile"}
    assert set(tiles["measured"]) == {"2025-01-01"}
    assert tiles["tech"].isna().all()
    assert tiles["operator"].isna().all()
    for point, key in zip(tiles.geometry, tiles["quadkey"], strict=True):
        bounds = mercantile.bounds(mercantile.quadkey_to_tile(key))
        assert bounds.west < point.x < bounds.east
        assert bounds.south < point.y < bounds.north


def test_ookla_shapefile_tiles_append(ws: Workspace) -> None:
    import_file(ws, "speed_tests", MOBILE_TILES)
    result = import_file(ws, "speed_tests", FIXED_TILES, append=True)
    assert result.counts == {"speed_tests": 3}
    tests = ws.read_layer("speed_tests")
    fixed = tests[tests["kind"] == "fixed"]
    assert fixed["download_mbps"].tolist() == pytest.approx([245.0, 180.5, 96.0])
    assert fixed["tests"].tolist() == [25, 4, 9]
    assert len(tests) == 7
    # The same file again: ids exist already.
    with pytest.raises(LayerValidationError, match="already exists"):
        import_file(ws, "speed_tests", FIXED_TILES, append=True)


def test_parquet_is_detected_by_contents(tmp_path: Path) -> None:
    copy = tmp_path / "2025-01-01_performance_mobile_tiles.bin"
    shutil.copyfile(MOBILE_TILES, copy)
    assert detect_format(copy) == "parquet"
    frames = read_file(copy, "speed_tests")
    assert len(frames["speed_tests"]) == 4


def test_cli_import(ws: Workspace, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["import", str(ws.path), "speed_tests", str(MOBILE_TILES)]) == 0
    out = capsys.readouterr().out
    assert "imported 4 features into speed_tests" in out
    assert "note: skipped 1 tile(s) whose centre is outside Vietnam" in out


# ------------------------------------------------------------------------------ malformed inputs


def _digest(ws: Workspace) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(ws.path.iterdir())
        if p.is_file() and p.name != ".workspace.lock"
    }


def _parquet(path: Path, columns: dict[str, list[object]]) -> Path:
    pq.write_table(pa.table(columns), path)
    return path


def _tile_columns(n: int = 2) -> dict[str, list[object]]:
    raw = pd.read_parquet(MOBILE_TILES).iloc[:n]
    return {
        c: raw[c].tolist() for c in ("quadkey", "avg_d_kbps", "avg_u_kbps", "avg_lat_ms", "tests", "devices")
    }


BAD_CASES = [
    (
        "bad-number",
        lambda t: DATA / "speed_points_bad.csv",
        ("row 1", "'download_mbps'", "'nhanh' is not a number"),
    ),
    (
        "bad-quadkey",
        lambda t: DATA / "mobile_tiles_bad_quadkey.parquet",
        ("row 1", "'quadkey'", "is not a quadkey"),
    ),
    (
        "tile-not-its-quadkey",
        lambda t: DATA / "mobile_tiles_wrong_tile.parquet",
        ("row 2", "'quadkey'", "not in the tile of its quadkey"),
    ),
    (
        "kind-unknown",
        lambda t: _parquet(t / "tiles.parquet", _tile_columns()),
        ("field 'kind'", "mobile or fixed"),
    ),
    (
        "quadkey-as-number",
        lambda t: _parquet(
            t / "mobile.parquet", {**_tile_columns(), "quadkey": [int(q) for q in _tile_columns()["quadkey"]]}
        ),
        ("row 0", "'quadkey'", "is a number"),
    ),
    (
        "missing-ookla-column",
        lambda t: _parquet(t / "mobile.parquet", {k: v for k, v in _tile_columns().items() if k != "tests"}),
        ("field 'tests'", "lacks column(s) tests"),
    ),
    (
        "negative-tests",
        lambda t: _parquet(t / "mobile.parquet", {**_tile_columns(), "tests": [5, -1]}),
        ("row 1", "'tests'", "below the minimum 1"),
    ),
    (
        "not-parquet",
        lambda t: (t / "mobile.parquet").write_bytes(b"PAR1 but not really") and t / "mobile.parquet",
        ("cannot read as Parquet",),
    ),
    (
        "unknown-tech",
        lambda t: _text(t, "time,lon,lat,operator,tech,download_mbps\n2025-03-01,109.2,13.8,Viettel,6G,10\n"),
        ("row 0", "'tech'", "unknown value '6G'"),
    ),
    (
        "signal-out-of-range",
        lambda t: _text(
            t,
            "lon,lat,operator,tech,download_mbps,rsrp_dbm\n109.2,13.8,Viettel,LTE,10,-95\n109.2,13.8,Viettel,LTE,10,-250\n",
        ),
        ("row 1", "'signal_dbm'", "below the minimum -160"),
    ),
    (
        "no-download",
        lambda t: _text(t, "lon,lat,operator,tech,rsrp\n109.2,13.8,Viettel,LTE,-95\n"),
        ("field 'download_mbps'", "no download speed column"),
    ),
    (
        "no-kind-no-tech",
        lambda t: _text(t, "lon,lat,download_mbps\n109.2,13.8,10\n"),
        ("field 'kind'", "cannot tell mobile from fixed"),
    ),
    (
        "no-position",
        lambda t: _text(t, "tech,download_mbps\nLTE,10\n"),
        ("no longitude and latitude column",),
    ),
    (
        "outside-vietnam",
        lambda t: _text(t, "lon,lat,tech,download_mbps\n100.5,13.75,LTE,10\n"),
        ("row 0", "'geometry'", "outside Vietnam"),
    ),
    (
        "duplicate-id",
        lambda t: _text(t, "test_id,lon,lat,tech,download_mbps\na,109.2,13.8,LTE,10\na,109.2,13.8,LTE,12\n"),
        ("row 1", "'test_id'", "duplicate id 'a'"),
    ),
]


def _text(folder: Path, text: str) -> Path:
    path = folder / "do_kiem.csv"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(("make", "fragments"), [c[1:] for c in BAD_CASES], ids=[c[0] for c in BAD_CASES])
def test_malformed_input_names_file_row_field_and_writes_nothing(
    ws: Workspace, tmp_path: Path, make: object, fragments: tuple[str, ...]
) -> None:
    import_file(ws, "speed_tests", POINTS)
    before = _digest(ws)
    path = make(tmp_path)  # type: ignore[operator]
    with pytest.raises(LayerValidationError) as info:
        import_file(ws, "speed_tests", path)
    message = str(info.value)
    assert message.startswith(str(path))
    for fragment in fragments:
        assert fragment in message
    assert _digest(ws) == before


def test_parquet_only_for_speed_tests(ws: Workspace) -> None:
    with pytest.raises(LayerValidationError, match="Parquet files are read for speed_tests"):
        import_file(ws, "villages", MOBILE_TILES)


def test_cli_malformed_exits_2_with_one_line(ws: Workspace, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert main(["import", str(ws.path), "speed_tests", str(DATA / "mobile_tiles_bad_quadkey.parquet")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith("covgis: error:")
    assert "row 1" in err[0]


def test_wifi_tests_are_fixed_and_speeds_in_bytes_or_kilobits_are_converted(
    ws: Workspace, tmp_path: Path
) -> None:
    """A per-test export says how each test connected (``connection_type`` Cell or WiFi) beside
    the phone's radio (``network_type``): a Wi-Fi test is fixed broadband, on no radio. A
    Vietnamese drive-test table heads its speed "DL (MB/s)" (megabytes) and its time "Thời gian
    đo". Fails if the Wi-Fi test counts as mobile, or a rate is left in the wrong unit."""
    path = tmp_path / "si.csv"
    path.write_text(
        "guid,test_date,client_latitude,client_longitude,isp_name,connection_type,network_type,download_kbps\n"
        "g1,2025-03-01,13.7712,109.2211,Viettel,Cell,LTE,45200\n"
        "g2,2025-03-01,13.7812,109.2311,FPT Telecom,WiFi,,85320\n",
        encoding="utf-8",
    )

    result = import_file(ws, "speed_tests", path)

    tests = ws.read_layer("speed_tests").set_index("test_id")
    assert tests["kind"].to_dict() == {"g1": "mobile", "g2": "fixed"}
    assert tests.loc["g1", "tech"] == "4G"
    assert pd.isna(tests.loc["g2", "tech"])
    assert (
        "speed_tests: tests over Wi-Fi or a wire ('connection_type') read as fixed broadband (1 row)"
        in result.notes
    )

    path = tmp_path / "dt.csv"
    path.write_text(
        "Thời gian đo;Kinh độ;Vĩ độ;Công nghệ;DL (MB/s);UL (Kbps)\n"
        "05/03/2025 08:15;109,2211;13,7712;4G;12,5;2000\n",
        encoding="utf-8",
    )
    result = import_file(ws, "speed_tests", path)
    tests = ws.read_layer("speed_tests")
    assert tests["download_mbps"].tolist() == [100.0]
    assert tests["upload_mbps"].tolist() == [2.0]
    assert tests["measured"].tolist() == ["2025-03-05"]
    assert "DL (MB/s): bytes a second (a capital B) converted to Mb/s (× 8)" in result.notes
