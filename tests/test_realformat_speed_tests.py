"""Speed tests as apps, drive-test tools and crowd-sourced lists export them: their headers,
their units written in the values, their dates beside times of day, their radios."""

from __future__ import annotations

from pathlib import Path

import pytest

from coverage_gis.errors import LayerValidationError
from coverage_gis.io import import_file
from coverage_gis.workspace import Workspace


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    return Workspace.create(tmp_path / "ws", metric_crs="EPSG:32649")


def _tests(ws: Workspace, tmp_path: Path, text: str, **values: str) -> list[dict[str, object]]:
    path = tmp_path / "do_kiem.csv"
    path.write_text(text, encoding="utf-8")
    import_file(ws, "speed_tests", path, values=values or None)
    fields = ["kind", "tech", "operator", "download_mbps", "upload_mbps", "latency_ms", "measured"]
    return list(ws.read_layer("speed_tests")[fields].to_dict("records"))


def test_an_ookla_intelligence_export_keeps_its_ids_operators_and_dates(
    ws: Workspace, tmp_path: Path
) -> None:
    rows = _tests(
        ws,
        tmp_path,
        "result_id,result_date,client_latitude,client_longitude,network_operator_name,connection_type,"
        "network_type,download_kbps,upload_kbps,latency\n"
        "1290011001,2025-03-14 01:15:22 UTC,14.48173,109.10105,Viettel,Cell,LTE,45210,12050,28\n",
    )
    assert rows[0]["operator"] == "Viettel"
    assert rows[0]["measured"] == "2025-03-14"
    assert ws.read_layer("speed_tests")["test_id"].tolist() == ["1290011001"]


def test_a_drive_test_log_takes_its_date_not_todays_from_beside_its_time(
    ws: Workspace, tmp_path: Path
) -> None:
    """TEMS writes ``Date`` and ``Time`` apart, the operator as its PLMN code and the throughput
    in kbit/s. Fails if the time of day alone is read as today's date."""
    rows = _tests(
        ws,
        tmp_path,
        "Date\tTime\tLatitude\tLongitude\tNetwork Technology\tOperator\tLTE Serving Cell RSRP (dBm)\t"
        "App Throughput DL (kbit/s)\n"
        "2025-03-14\t08:15:22.500\t14.48173\t109.10105\tLTE\t45204\t-95.4\t40100.0\n",
    )
    assert [(r["kind"], r["tech"], r["operator"], r["download_mbps"], r["measured"]) for r in rows] == [
        ("mobile", "4G", "Viettel", 40.1, "2025-03-14")
    ]
    assert ws.read_layer("speed_tests")["signal_dbm"].tolist() == [-95.4]


def test_unix_times_are_read_as_their_dates(ws: Workspace, tmp_path: Path) -> None:
    rows = _tests(
        ws,
        tmp_path,
        "timestamp,lat,lon,network_type,download_mbps\n1741939522000,14.48,109.10,LTE,45.2\n",
    )
    assert rows[0]["measured"] == "2025-03-14"


def test_speeds_written_with_their_units_and_a_position_pair_are_read(ws: Workspace, tmp_path: Path) -> None:
    rows = _tests(
        ws,
        tmp_path,
        "STT,Thời điểm đo,Vị trí,Nhà cung cấp,Mạng,Tốc độ Download,Tốc độ Upload,Ping\n"
        '1,14/03/2025 08:15,"14.48173, 109.10105",Viettel,4G,45.2 Mbps,850 Kbps,28 ms\n'
        '2,14/03/2025 14:40,"13.95097, 109.21774",Vinaphone,5G,1.2 Gbps,48 Mbps,19 ms\n',
    )
    assert [
        (r["tech"], r["operator"], r["download_mbps"], r["upload_mbps"], r["latency_ms"]) for r in rows
    ] == [
        ("4G", "Viettel", 45.2, pytest.approx(0.85), 28.0),
        ("5G", "VNPT", pytest.approx(1200.0), 48.0, 19.0),
    ]
    assert rows[0]["measured"] == "2025-03-14"


def test_a_speed_column_without_its_unit_in_kilobits_is_read_so(ws: Workspace, tmp_path: Path) -> None:
    """The Speedtest app's ``Download`` is in kb/s with no unit said: 45,210 Mb/s is no test's."""
    rows = _tests(
        ws,
        tmp_path,
        "Date,Latitude,Longitude,ConnType,Download,Upload,Latency\n"
        "2025-03-14,14.48173,109.10105,Lte,45210,12050,28\n"
        "2025-03-14,13.95097,109.21774,Wifi,98700,95100,9\n",
    )
    assert [(r["kind"], r["tech"], r["download_mbps"]) for r in rows] == [
        ("mobile", "4G", 45.21),
        ("fixed", None, 98.7),
    ]


def test_a_connection_column_that_names_the_radio_gives_the_technology(ws: Workspace, tmp_path: Path) -> None:
    rows = _tests(
        ws,
        tmp_path,
        "Ngày đo,Kinh độ,Vĩ độ,Nhà mạng,Loại kết nối,Tốc độ tải xuống (Mbps)\n"
        "14/03/2025,109.10105,14.48173,Viettel,4G,45.2\n"
        "14/03/2025,109.21774,13.95097,VNPT,Cáp quang,98.7\n"
        "14/03/2025,108.77401,14.09845,VNPT,Wifi,61.0\n",
    )
    assert [(r["kind"], r["tech"]) for r in rows] == [("mobile", "4G"), ("fixed", "FTTH"), ("fixed", None)]


def test_vietnamese_kinds_and_given_values_are_read(ws: Workspace, tmp_path: Path) -> None:
    rows = _tests(
        ws,
        tmp_path,
        "Mã đo,Ngày đo,Kinh độ,Vĩ độ,Loại,Tốc độ tải xuống (Mbps)\n"
        "D1,14/03/2025,109.10105,14.48173,Di động,45.2\n"
        "D2,14/03/2025,109.21774,13.95097,Băng rộng cố định,98.7\n",
        operator="Viettel",
    )
    assert [(r["kind"], r["operator"]) for r in rows] == [("mobile", "Viettel"), ("fixed", "Viettel")]
    with pytest.raises(
        LayerValidationError, match=r"given values \(--set\) for kind, operator, tech, measured"
    ):
        _tests(ws, tmp_path, "lat,lon,tech,download_mbps\n14.48,109.10,4G,45.2\n", download_mbps="3")


def test_next_months_file_of_the_same_name_appends_its_own_tests(ws: Workspace, tmp_path: Path) -> None:
    """Ids made for tests without any carry their date: March's and April's ``do_kiem.csv``
    keep their tests apart. Fails if April's append is refused for March's ids."""
    header = "Ngày đo,Kinh độ,Vĩ độ,Nhà mạng,Công nghệ,Tốc độ tải xuống (Mbps)\n"
    for month, folder in (("03", "thang3"), ("04", "thang4")):
        path = tmp_path / folder / "do_kiem.csv"
        path.parent.mkdir()
        path.write_text(header + f"14/{month}/2025,109.1,14.4,Viettel,4G,45.2\n", encoding="utf-8")
        import_file(ws, "speed_tests", path, append=month == "04")
    assert ws.read_layer("speed_tests")["test_id"].tolist() == [
        "do_kiem-2025-03-14-0",
        "do_kiem-2025-04-14-0",
    ]
