"""Column headers as operators and departments write them (``aliases:`` in the layer schemas),
read through the real CLI from CSV, XLSX, shapefile and GeoJSON; status spellings
(``value_aliases:``); the duplicate refusal; site-edit CSVs; and the schemas' alias lists
checked for every layer."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import geopandas as gpd
import openpyxl
import pandas as pd
import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from shapely.geometry import Point

from coverage_gis.cli import main
from coverage_gis.errors import LayerValidationError
from coverage_gis.io import import_file
from coverage_gis.io.headers import header_key, match_headers, read_values, value_key
from coverage_gis.layers import all_schemas, get_schema
from coverage_gis.site_edit_files import edits_from_file
from coverage_gis.text_forms import fold_diacritics
from coverage_gis.vocabulary import STATUSES
from coverage_gis.workspace import Workspace

from .conftest import workspace_digest

#: A planner's site list: Vietnamese headers with units, one without diacritics, one in
#: capitals with underscores, and a column the layer does not have.
SITE_HEADER = [
    "Mã trạm",
    "Ten tram",
    "TRANG_THAI",
    "Độ cao anten (m)",
    "Chủ sở hữu",
    "Ngày phát sóng",
    "Kinh độ",
    "Vĩ độ",
    "Ghi chú",
]
SITE_ROWS = [
    ["QN-001", "Trạm Quy Nhơn", "Đang phát sóng", "35", "Viettel", "2024-03-05", "109.2", "13.77", "x"],
    ["QN-002", "Trạm Tuy Phước", "quy hoach", "42.5", "VNPT", "", "109.1", "13.8", ""],
    ["QN-003", "Trạm An Nhơn", "on_air", "25", "", "", "109.0", "13.9", ""],
]
RENAMES = (
    "sites: columns read as: 'Mã trạm' → site_id, 'Ten tram' → name, 'TRANG_THAI' → status, "
    "'Độ cao anten (m)' → height_m, 'Chủ sở hữu' → owner, 'Ngày phát sóng' → commissioned"
)


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    return Workspace.create(tmp_path / "ws", metric_crs="EPSG:32649")


def _csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    path.write_text("\n".join(",".join(r) for r in [header, *rows]) + "\n", encoding="utf-8")
    return path


def _check_sites(ws: Workspace, out: str) -> None:
    sites = Workspace.open(ws.path).read_layer("sites").set_index("site_id")
    assert list(sites.index) == ["QN-001", "QN-002", "QN-003"]
    assert sites.loc["QN-001", "name"] == "Trạm Quy Nhơn"
    assert sites.loc["QN-002", "height_m"] == 42.5
    assert sites.loc["QN-001", "owner"] == "Viettel"
    assert sites.loc["QN-001", "commissioned"] == "2024-03-05"
    assert list(sites["status"]) == ["on_air", "planned", "on_air"]
    assert sites.loc["QN-003"].geometry.x == pytest.approx(109.0)
    assert RENAMES in out
    assert (
        "sites: status values read as: 'Đang phát sóng' → on_air (1 row), 'quy hoach' → planned (1 row)"
        in out
    )
    assert "ignored columns not in the layer schema: Ghi chú" in out


def test_cli_reads_a_sites_csv_with_vietnamese_headers(
    ws: Workspace, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _csv(tmp_path / "tram.csv", SITE_HEADER, SITE_ROWS)

    assert main(["import", str(ws.path), "sites", str(path)]) == 0

    _check_sites(ws, capsys.readouterr().out)


def test_cli_reads_a_sites_workbook_with_vietnamese_headers(
    ws: Workspace, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(SITE_HEADER)
    for row in SITE_ROWS:
        sheet.append([float(v) if k in (3, 6, 7) else (v or None) for k, v in enumerate(row)])
    path = tmp_path / "Danh sách trạm.xlsx"
    book.save(path)

    assert main(["import", str(ws.path), "sites", str(path)]) == 0

    _check_sites(ws, capsys.readouterr().out)


def test_cells_with_operator_headers(ws: Workspace, tmp_path: Path) -> None:
    import_file(ws, "sites", _csv(tmp_path / "tram.csv", SITE_HEADER, SITE_ROWS))
    header = [
        "Cell_ID",
        "SiteID",
        "Nhà mạng",
        "Công nghệ",
        "Băng tần (MHz)",
        "Azimuth",
        "EIRP (dBm)",
        "Trạng thái",
    ]
    rows = [["C1", "QN-001", "Viettel", "4G", "1800", "120", "58", "hoạt động"]]

    result = import_file(ws, "cells", _csv(tmp_path / "cell.csv", header, rows))

    cell = ws.read_layer("cells").iloc[0]
    assert (cell["cell_id"], cell["site_id"], cell["operator"], cell["tech"]) == (
        "C1",
        "QN-001",
        "Viettel",
        "4G",
    )
    assert (cell["band_mhz"], cell["azimuth_deg"], cell["eirp_dbm"], cell["status"]) == (
        1800,
        120,
        58,
        "on_air",
    )
    assert any("'EIRP (dBm)' → eirp_dbm" in n and "'SiteID' → site_id" in n for n in result.notes)


def test_cells_read_operator_brands_and_radio_names(ws: Workspace, tmp_path: Path) -> None:
    """Operators' exports name the operator by its brand (Vinaphone is VNPT's) and the
    technology by its radio (LTE, NR, UMTS, GSM): read as the layer's values, with a note."""
    import_file(ws, "sites", _csv(tmp_path / "tram.csv", SITE_HEADER, SITE_ROWS))
    header = ["cell_id", "site_id", "operator", "tech"]
    rows = [
        ["C1", "QN-001", "Vinaphone", "LTE"],
        ["C2", "QN-001", "VNPT-VinaPhone", "NR"],
        ["C3", "QN-002", "VIETTEL", "UMTS"],
        ["C4", "QN-002", "Viettel Telecom", "GSM"],
        ["C5", "QN-003", "Mobifone", "4g"],
        ["C6", "QN-003", "Gmobile", "LTE-A"],
    ]

    result = import_file(ws, "cells", _csv(tmp_path / "cell.csv", header, rows))

    cells = ws.read_layer("cells").set_index("cell_id")
    assert cells["operator"].tolist() == ["VNPT", "VNPT", "Viettel", "Viettel", "MobiFone", "Other"]
    assert cells["tech"].tolist() == ["4G", "5G", "3G", "2G", "4G", "4G"]
    assert any(
        n.startswith("cells: operator values read as:") and "'Vinaphone' → VNPT (1 row)" in n
        for n in result.notes
    )
    assert any(
        n.startswith("cells: tech values read as:") and "'LTE' → 4G (1 row)" in n for n in result.notes
    )


@pytest.mark.parametrize(
    ("written", "tech"),
    [
        ("L1800", "4G"),
        ("LTE1800", "4G"),
        ("LTE FDD 1800", "4G"),
        ("4G/LTE", "4G"),
        ("U2100", "3G"),
        ("3G UMTS", "3G"),
        ("G900", "2G"),
        ("GSM-900", "2G"),
        ("NR3500", "5G"),
        ("NR TDD 3500", "5G"),
        ("5G-SA", "5G"),
        ("5G NR n78", "5G"),
        ("2G/3G", "2G/3G"),  # two radios: left for validation to refuse
        ("Viettel 4G", "Viettel 4G"),  # a word that is no radio's
    ],
)
def test_a_cells_radio_is_read_from_a_band_name_or_several_words(written: str, tech: str) -> None:
    """Vietnamese cell lists write the technology as the band's name (``L1800``, ``U2100``) or
    in several words (``3G UMTS``, ``LTE FDD 1800``): read as the one technology they name,
    numbers aside. Fails if such a value is refused as an unknown technology, or if one
    naming two radios, or a word that is no radio's, is read as one."""
    notes: list[str] = []
    read = read_values(
        pd.Series([written], dtype=object), get_schema("cells").field("tech"), label="t", notes=notes
    )
    assert read.iloc[0] == tech


def test_a_header_in_another_unit_is_not_read_as_the_field(ws: Workspace, tmp_path: Path) -> None:
    """ "EIRP (W)" holds watts, not the dBm of ``eirp_dbm``; "Bán kính (km)" is not ``range_m``:
    left unread with a note (they would be wrong numbers, not missing ones), while the field's
    own unit in any spelling is read."""
    import_file(ws, "sites", _csv(tmp_path / "tram.csv", SITE_HEADER, SITE_ROWS))
    header = [
        "cell_id",
        "site_id",
        "operator",
        "tech",
        "EIRP (W)",
        "Tilt (rad)",
        "Góc phương vị (độ)",
        "Băng tần [MHz]",
    ]
    rows = [["C1", "QN-001", "Viettel", "4G", "40", "5", "120", "1800"]]

    result = import_file(ws, "cells", _csv(tmp_path / "cell.csv", header, rows))

    cell = ws.read_layer("cells").iloc[0]
    assert cell["eirp_dbm"] == 60  # the schema's default, not 40
    assert cell["tilt_deg"] == 4  # the schema's default, not 5
    assert (cell["azimuth_deg"], cell["band_mhz"]) == (120, 1800)
    assert any(
        "'EIRP (W)' not read as eirp_dbm: its unit (w) is not eirp_dbm's (dbm)" in n for n in result.notes
    )
    assert any("'Tilt (rad)' not read as tilt_deg" in n for n in result.notes)


def test_numbers_written_with_the_fields_unit_are_read(ws: Workspace, tmp_path: Path) -> None:
    import_file(ws, "sites", _csv(tmp_path / "tram.csv", SITE_HEADER, SITE_ROWS))
    header = ["cell_id", "site_id", "operator", "tech", "band_mhz", "azimuth_deg", "eirp_dbm"]
    rows = [
        ["C1", "QN-001", "Viettel", "4G", "1800 MHz", "120°", "58 dBm"],
        ["C2", "QN-001", "Viettel", "4G", "2100MHz", "240 độ", "59,5 dBm"],
    ]

    import_file(ws, "cells", _csv(tmp_path / "cell.csv", header, [[f'"{v}"' for v in r] for r in rows]))

    cells = ws.read_layer("cells").set_index("cell_id")
    assert cells["band_mhz"].tolist() == [1800, 2100]
    assert cells["azimuth_deg"].tolist() == [120, 240]
    assert cells["eirp_dbm"].tolist() == [58, 59.5]


@pytest.mark.parametrize("band", ["1800 kHz", "B99", "1800 dBm"])
def test_a_number_in_another_unit_is_refused(ws: Workspace, tmp_path: Path, band: str) -> None:
    import_file(ws, "sites", _csv(tmp_path / "tram.csv", SITE_HEADER, SITE_ROWS))
    path = _csv(
        tmp_path / "cell.csv",
        ["cell_id", "site_id", "operator", "tech", "band_mhz"],
        [["C1", "QN-001", "Viettel", "4G", f'"{band}"']],
    )

    with pytest.raises(LayerValidationError, match="is not a number"):
        import_file(ws, "cells", path)


def test_an_unknown_operator_is_still_refused_by_name(ws: Workspace, tmp_path: Path) -> None:
    import_file(ws, "sites", _csv(tmp_path / "tram.csv", SITE_HEADER, SITE_ROWS))
    path = _csv(
        tmp_path / "cell.csv", ["cell_id", "site_id", "operator", "tech"], [["C1", "QN-001", "Vina", "4G"]]
    )
    before = workspace_digest(ws)

    with pytest.raises(LayerValidationError, match="unknown value 'Vina'"):
        import_file(ws, "cells", path)
    assert workspace_digest(ws) == before


def test_operator_and_technology_spellings_agree_across_layers() -> None:
    schemas = all_schemas()
    operators = {
        name: s.field("operator").value_aliases
        for name, s in schemas.items()
        if "operator" in s.field_names and s.field("operator").allowed
    }
    assert set(operators) == {"cells", "fiber_routes", "fiber_nodes", "zones_5g", "speed_tests"}
    assert len(set(operators.values())) == 1, "every operator field reads the same brands"
    cell_techs = dict(schemas["cells"].field("tech").value_aliases)
    test_techs = dict(schemas["speed_tests"].field("tech").value_aliases)
    assert cell_techs == {k: v for k, v in test_techs.items() if v != "FTTH"}


def test_shapefile_with_ten_character_dbf_names(ws: Workspace, tmp_path: Path) -> None:
    frame = gpd.GeoDataFrame(
        {
            "MA_TRAM": ["S1", "S2"],
            "TEN_TRAM": ["Trạm Một", "Trạm Hai"],
            "TRANG_THAI": ["da tat", "on_air"],
            "HEIGHT": [30.0, 45.0],
        },
        geometry=[Point(109.0, 13.0), Point(109.1, 13.1)],
        crs="EPSG:4326",
    )
    path = tmp_path / "tram.shp"
    frame.to_file(path, engine="pyogrio", encoding="utf-8")

    result = import_file(ws, "sites", path)

    sites = ws.read_layer("sites").set_index("site_id")
    assert list(sites["name"]) == ["Trạm Một", "Trạm Hai"]
    assert list(sites["status"]) == ["decommissioned", "on_air"]
    assert list(sites["height_m"]) == [30.0, 45.0]
    assert any("'TEN_TRAM' → name" in n for n in result.notes)


def test_geojson_villages_and_shortened_dbf_names_work_together(ws: Workspace, tmp_path: Path) -> None:
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [108.5, 14.2]},
            "properties": {
                "Mã thôn": "V1",
                "Tên thôn": "thôn 1",
                "Loại": "thôn",
                "Mã tỉnh": "52",
                "Dân số": 812,
            },
        }
    ]
    path = tmp_path / "thon.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")

    import_file(ws, "villages", path)

    village = ws.read_layer("villages").iloc[0]
    assert (village["village_id"], village["name"], village["kind"]) == ("V1", "thôn 1", "thôn")
    assert (village["province_code"], village["population"]) == ("52", 812)


def test_two_columns_for_one_field_are_refused_and_nothing_is_written(
    ws: Workspace, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import_file(ws, "sites", _csv(tmp_path / "tram.csv", SITE_HEADER, SITE_ROWS))
    before = workspace_digest(ws)
    path = _csv(
        tmp_path / "hai.csv",
        ["site_id", "Tên trạm", "TEN TRAM", "lon", "lat"],
        [["A", "x", "y", "109", "13"]],
    )

    assert main(["import", str(ws.path), "sites", str(path)]) == 2

    err = capsys.readouterr().err
    assert "'Tên trạm' and 'TEN TRAM' are both read as the field name" in err
    assert workspace_digest(ws) == before
    with pytest.raises(LayerValidationError, match="both read as the field name"):
        import_file(ws, "sites", path)


def test_the_field_name_wins_over_an_alias(ws: Workspace, tmp_path: Path) -> None:
    path = _csv(
        tmp_path / "t.csv",
        ["site_id", "Tên trạm", "name", "lon", "lat"],
        [["A", "alias", "real", "109", "13"]],
    )

    result = import_file(ws, "sites", path)

    assert ws.read_layer("sites")["name"].tolist() == ["real"]
    assert "sites: 'Tên trạm' not read as name: the file has a column named name" in result.notes


def test_a_fields_own_name_in_capitals_is_read_as_the_field_by_every_step(
    tiny_ws: Workspace, tmp_path: Path
) -> None:
    """``SITE_ID``, ``NAME``: what validation reads as the field, the steps before it read
    so too: a list with a row per cell collapses, a village's kind comes from its name."""
    sites = _csv(
        tmp_path / "s.csv",
        ["SITE_ID", "Name", "LON", "LAT"],
        [["BDH001", "Trạm 1", "109.2", "13.77"], ["BDH001", "Trạm 1", "109.2", "13.77"]],
    )
    result = import_file(tiny_ws, "sites", sites)
    assert tiny_ws.read_layer("sites")[["site_id", "name"]].values.tolist() == [["BDH001", "Trạm 1"]]
    assert not any("columns read as" in n for n in result.notes)  # its own name: no news
    point = tiny_ws.read_layer("villages").geometry.iloc[0]
    villages = _csv(
        tmp_path / "v.csv",
        ["VILLAGE_ID", "NAME", "LON", "LAT"],
        [["V1", "Thôn Một", str(point.x), str(point.y)], ["V2", "Làng O2", str(point.x), str(point.y)]],
    )
    import_file(tiny_ws, "villages", villages)
    assert tiny_ws.read_layer("villages")["kind"].tolist() == ["thôn", "làng"]
    assert match_headers([" Site_Id "], all_schemas()["sites"].fields, source="x") == (
        {" Site_Id ": "site_id"},
        [],
    )


def test_site_edit_csv_reads_the_same_aliases(tiny_ws: Workspace, tmp_path: Path) -> None:
    header = (
        "Mã trạm,Kinh độ,Vĩ độ,Tên trạm,Độ cao anten (m),Cell_ID,Nhà mạng,Công nghệ,Azimuth,cell_status\n"
    )
    path = tmp_path / "edits.csv"
    path.write_text(header + "S9,109.01,13.76,Trạm Mới,40,S9-1,Viettel,4G,90,on_air\n", encoding="utf-8")

    assert main(["sites", "apply", str(tiny_ws.path), str(path), "--json"]) == 0

    sites = Workspace.open(tiny_ws.path).read_layer("sites").set_index("site_id")
    assert (sites.loc["S9", "name"], sites.loc["S9", "height_m"]) == ("Trạm Mới", 40)
    cells = Workspace.open(tiny_ws.path).read_layer("cells").set_index("cell_id")
    assert (cells.loc["S9-1", "operator"], cells.loc["S9-1", "azimuth_deg"]) == ("Viettel", 90)


# -- the normalisation -----------------------------------------------------------------------------
_HEADER_TEXT = st.text(
    alphabet=st.sampled_from([*"aăâđeêoôơuư ĐÂ_-.()[]mMhzHZàáảãạếểộ\u0301\u0323\t", "İ", "ß", "ﬁ"]),
    max_size=30,
)


@given(_HEADER_TEXT)
@example("oà\u0301")  # a mark after an old-style tone composes once the tone moves
@example("o.ạ")  # an old-style pair once the separator between its vowels goes
def test_header_key_is_idempotent(text: str) -> None:
    key = header_key(text)
    assert header_key(key) == key
    assert header_key(fold_diacritics(key)) == fold_diacritics(key)
    assert value_key(value_key(text)) == value_key(text)


_SCHEMA_FIELDS = [(layer, f.name) for layer, s in sorted(all_schemas().items()) for f in s.fields]


@given(
    st.sampled_from(_SCHEMA_FIELDS),
    st.sampled_from([str.upper, str.title, str.lower]),
    st.sampled_from("_ -."),
)
def test_every_field_name_matches_itself(field: tuple[str, str], case: object, sep: str) -> None:
    layer, name = field
    schema = all_schemas()[layer]
    # A bracketed unit is dropped: the field's own where it has one, any other where not.
    unit = (schema.field(name).units or ("x",))[0]
    spelled = case(name.replace("_", sep)) + f" ({unit})"  # type: ignore[operator]
    renames, _ = match_headers([spelled], schema.fields, source="x", layer=layer)
    assert renames == {spelled: name}
    assert match_headers([name], schema.fields, source="x", layer=layer) == ({}, [])


# -- the schemas' alias lists ---------------------------------------------------------------------
@pytest.mark.parametrize("layer", sorted(all_schemas()))
def test_aliases_name_one_field_each_and_never_another_fields_name(layer: str) -> None:
    schema = all_schemas()[layer]
    names = {header_key(f.name): f.name for f in schema.fields}
    assert len(names) == len(schema.fields)
    for fold in (lambda k: k, fold_diacritics):
        owner: dict[str, str] = {}
        for spec in schema.fields:
            for spelling in (spec.name, *spec.aliases):
                key = fold(header_key(spelling))
                assert owner.setdefault(key, spec.name) == spec.name, (layer, spelling, owner[key])
    for spec in schema.fields:
        for alias in spec.aliases:
            assert header_key(alias) not in names, (layer, alias)  # neither another's name nor its own
            assert alias == unicodedata.normalize("NFC", alias)
        if spec.value_aliases:
            # A field without allowed values has aliases of a blank cell alone ("Omni").
            assert spec.allowed is not None or {v for _, v in spec.value_aliases} == {""}
            keys = [fold_diacritics(value_key(k)) for k, _ in spec.value_aliases]
            assert len(set(keys)) == len(keys)
            allowed = {value_key(a) for a in spec.allowed or ()}
            assert not allowed & {value_key(k) for k, _ in spec.value_aliases}


def test_the_importable_layers_have_aliases_and_status_spellings_agree() -> None:
    schemas = all_schemas()
    for layer in ("sites", "cells", "villages", "fiber_nodes", "fiber_routes", "pois", "zones_5g"):
        assert any(f.aliases for f in schemas[layer].fields), layer
    assert not any(f.aliases for f in schemas["speed_tests"].fields)  # io.speedtests owns those headers
    statuses = {
        name: f.value_aliases for name, s in schemas.items() for f in s.fields if f.allowed == STATUSES
    }
    assert set(statuses) == {"sites", "cells", "fiber_routes", "fiber_nodes", "zones_5g"}
    assert len(set(statuses.values())) == 1, "every status reads the same spellings"
    assert schemas["fiber_routes"].field("class").value_aliases
    assert schemas["fiber_nodes"].field("kind").value_aliases


# -- status (and class, kind) spellings of the fiber and 5G layers and of site edits --------------
def _geojson(path: Path, features: list[tuple[dict[str, object], dict[str, object]]]) -> Path:
    collection = {
        "type": "FeatureCollection",
        "features": [{"type": "Feature", "geometry": g, "properties": p} for g, p in features],
    }
    path.write_text(json.dumps(collection, ensure_ascii=False), encoding="utf-8")
    return path


def test_fiber_routes_read_status_and_class_spellings(ws: Workspace, tmp_path: Path) -> None:
    line = {"type": "LineString", "coordinates": [[109.0, 13.7], [109.1, 13.8]]}
    rows = [
        ("R1", "Đang khai thác", "Truy nhập"),
        ("R2", "quy hoach", "Đường trục"),
        ("R3", "Đã tắt", "phân phối"),
        ("R4", "On Air", "access"),
    ]
    path = _geojson(
        tmp_path / "tuyen_cap.geojson",
        [
            (line, {"Mã tuyến": r, "Nhà mạng": "VNPT", "Trạng thái": st_, "Cấp tuyến": c})
            for r, st_, c in rows
        ],
    )

    result = import_file(ws, "fiber_routes", path)

    routes = ws.read_layer("fiber_routes").set_index("route_id")
    assert routes["status"].tolist() == ["on_air", "planned", "decommissioned", "on_air"]
    assert routes["class"].tolist() == ["access", "backbone", "distribution", "access"]
    assert any(
        n.startswith("fiber_routes: status values read as: 'Đang khai thác' → on_air") for n in result.notes
    )
    assert any(
        "fiber_routes: class values read as:" in n and "'Truy nhập' → access (1 row)" in n
        for n in result.notes
    )


def test_fiber_nodes_and_5g_zones_read_status_spellings(ws: Workspace, tmp_path: Path) -> None:
    nodes = _csv(
        tmp_path / "nut.csv",
        ["Mã nút", "Nhà mạng", "Loại nút", "Trạng thái", "Kinh độ", "Vĩ độ"],
        [
            ["N1", "Viettel", "Bộ chia", "Đang hoạt động", "109.2", "13.7"],
            ["N2", "VNPT", "OLT", "Kế hoạch", "109.3", "13.8"],
            # An operator's outside plant names its cabinets: an FDH holds splitters.
            ["N3", "VNPT", "FDH", "Đang hoạt động", "109.31", "13.8"],
            ["N4", "VNPT", "Tủ OLT", "Đang hoạt động", "109.32", "13.8"],
            ["N5", "VNPT", "Trạm viễn thông", "Đang hoạt động", "109.33", "13.8"],
            # An ODF cabinet in the field, and a register's "in use" / "not yet in use".
            ["N6", "VNPT", "Tủ ODF", "Đang sử dụng", "109.34", "13.8"],
            ["N7", "VNPT", "ODF", "Chưa đưa vào sử dụng", "109.35", "13.8"],
        ],
    )
    import_file(ws, "fiber_nodes", nodes)
    square = {"type": "Polygon", "coordinates": [[[109, 13], [109.1, 13], [109.1, 13.1], [109, 13]]]}
    zones = _geojson(
        tmp_path / "vung.geojson",
        [(square, {"Mã vùng": "Z1", "Nhà mạng": "Viettel", "Tình trạng": "ngừng hoạt động"})],
    )
    import_file(ws, "zones_5g", zones)

    got = ws.read_layer("fiber_nodes").set_index("node_id")
    assert got[["kind", "status"]].to_numpy().tolist() == [
        ["splitter", "on_air"],
        ["olt", "planned"],
        ["splitter", "on_air"],
        ["olt", "on_air"],
        ["pop", "on_air"],
        ["splitter", "on_air"],
        ["splitter", "planned"],
    ]
    assert ws.read_layer("zones_5g")["status"].tolist() == ["decommissioned"]


def test_site_edit_csv_reads_status_spellings(tiny_ws: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "edits.csv"
    path.write_text(
        "Mã trạm;Kinh độ;Vĩ độ;Trạng thái;Cell_ID;Nhà mạng;Công nghệ;cell_status\n"
        "S9;109,01;13,76;Quy hoạch;S9-1;Viettel;4G;quy hoach\n"
        "S9;109,01;13,76;Quy hoạch;S9-2;Viettel;4G;Đang phát sóng\n",
        encoding="utf-8",
    )

    notes: list[str] = []
    edits = edits_from_file(path, notes=notes)

    assert edits[0].site["status"] == "planned"
    assert [c["status"] for c in edits[0].cells or ()] == ["planned", "on_air"]
    assert "site edits: status values read as: 'Quy hoạch' → planned (2 rows)" in notes
    assert (
        "site edits: cell_status values read as: 'quy hoach' → planned (1 row), "
        "'Đang phát sóng' → on_air (1 row)" in notes
    )


def test_allowed_values_typed_without_diacritics_are_read_as_them() -> None:
    """Fails if a village kind typed without its diacritics ("thon", "To Dan Pho"), as
    exports that strip them write it, is not read as the allowed value (with a note), or
    if a folded spelling two allowed values share is guessed."""
    from dataclasses import replace

    import pandas as pd

    from coverage_gis.io.headers import read_values
    from coverage_gis.layers import get_schema

    kind = next(f for f in get_schema("villages").fields if f.name == "kind")
    notes: list[str] = []
    typed = pd.Series(["thon", "To Dan Pho", "làng", "xom", "nhà"], dtype=object)
    read = read_values(typed, kind, label="v.csv", notes=notes)
    assert read.tolist() == ["thôn", "tổ dân phố", "làng", "xóm", "nhà"]
    assert len(notes) == 1
    assert "'thon'" in notes[0]

    both = replace(kind, allowed=("ấp", "áp"), value_aliases=())
    assert read_values(pd.Series(["ap"], dtype=object), both, label="v.csv", notes=[]).tolist() == ["ap"]


@pytest.mark.parametrize(
    ("written", "status"),
    [
        ("Đã phát sóng", "on_air"),
        ("ON", "on_air"),
        ("Online", "on_air"),
        ("Chưa phát sóng", "planned"),
        ("Đang xây dựng", "planned"),
        ("Under construction", "planned"),
        ("Không hoạt động", "decommissioned"),
        ("khong hoat dong", "decommissioned"),
        ("Tạm dừng", "decommissioned"),
        ("OFF", "decommissioned"),
        ("Off air", "decommissioned"),
    ],
)
def test_operators_status_words_are_read(written: str, status: str) -> None:
    """Status words of operators' exports (Vietnamese and English, any case, with or
    without diacritics) are read as the layer's values, in every layer with a status."""
    import pandas as pd

    from coverage_gis.io.headers import read_values

    for name, schema in all_schemas().items():
        for spec in schema.fields:
            if spec.allowed == STATUSES:
                read = read_values(pd.Series([written], dtype=object), spec, label=f"{name}.csv", notes=[])
                assert read.tolist() == [status], name


def test_a_schema_key_yaml_reads_as_a_boolean_is_refused(tmp_path: Path) -> None:
    """``on: on_air`` unquoted is ``True: on_air`` to YAML 1.1: the schema is refused, not read
    so that the text ``True`` would mean on air."""
    from coverage_gis.layers import parse_schema

    path = tmp_path / "things.yaml"
    path.write_text(
        "name: things\ngeometry: none\nid_field: id\nfields:\n"
        "  - {name: id, type: str}\n"
        "  - {name: status, type: str, allowed: [on_air, planned], value_aliases: {on: on_air}}\n",
        encoding="utf-8",
    )
    with pytest.raises(
        LayerValidationError, match=r"unquoted on/off/yes/no/true/false: write the spelling in quotes"
    ):
        parse_schema(path)
    path.write_text(
        path.read_text(encoding="utf-8").replace("{on: on_air}", "{'on': on_air}"), encoding="utf-8"
    )
    assert dict(parse_schema(path).field("status").value_aliases) == {"on": "on_air"}
    path.write_text(
        path.read_text(encoding="utf-8").replace("value_aliases", "from_rows: [on_air, gone], value_aliases"),
        encoding="utf-8",
    )
    with pytest.raises(LayerValidationError, match=r"from_rows of status name 'gone'"):
        parse_schema(path)


def test_a_cells_tilt_is_its_mechanical_and_electrical_parts(ws: Workspace, tmp_path: Path) -> None:
    """Planning-tool exports give M_TILT and E_TILT apart; the model reads the whole downtilt."""
    import_file(ws, "sites", _csv(tmp_path / "tram.csv", SITE_HEADER, SITE_ROWS))
    header = ["CELL_ID", "SITE_ID", "OPERATOR", "TECHNOLOGY", "AZIMUTH", "M_TILT (°)", "E-Tilt", "ANT_HEIGHT"]
    rows = [
        ["C1", "QN-001", "Viettel", "LTE", "0", "2", "4", "36"],
        ["C2", "QN-001", "Viettel", "LTE", "120", "3", "", "36"],
        ["C3", "QN-001", "Viettel", "LTE", "240", "", "", "36"],
    ]
    result = import_file(ws, "cells", _csv(tmp_path / "cells.csv", header, rows))

    tilt = ws.read_layer("cells").set_index("cell_id")["tilt_deg"]
    assert tilt.to_dict() == {"C1": 6.0, "C2": 3.0, "C3": 4.0}  # neither part: the schema default
    assert "cells: tilt_deg is 'M_TILT (°)' + 'E-Tilt' (mechanical and electrical tilt)" in result.notes
    # One part alone is no tilt: left unread, named among the ignored columns.
    only = import_file(ws, "cells", _csv(tmp_path / "m.csv", header[:6], [r[:6] for r in rows]))
    assert any("ignored columns" in n and "M_TILT" in n for n in only.notes)
    assert ws.read_layer("cells")["tilt_deg"].tolist() == [4.0, 4.0, 4.0]


def test_a_vietnamese_lists_tilt_parts_are_read_as_the_cells_tilt(ws: Workspace, tmp_path: Path) -> None:
    """MobiFone's lists write "Góc cụp cơ" and "Góc cụp điện" (mechanical and electrical
    downtilt). Fails if both are ignored and the cell takes the default 4°."""
    import_file(ws, "sites", _csv(tmp_path / "tram.csv", SITE_HEADER, SITE_ROWS))
    header = ["Mã cell", "Mã trạm", "Nhà mạng", "Công nghệ", "Góc cụp cơ", "Góc cụp điện"]
    result = import_file(
        ws, "cells", _csv(tmp_path / "cells.csv", header, [["C1", "QN-001", "MobiFone", "4G", "2", "6"]])
    )
    assert ws.read_layer("cells")["tilt_deg"].tolist() == [8.0]
    assert "cells: tilt_deg is 'Góc cụp cơ' + 'Góc cụp điện' (mechanical and electrical tilt)" in result.notes
    whole = import_file(
        ws,
        "cells",
        _csv(tmp_path / "w.csv", [*header[:4], "Góc cụp"], [["C1", "QN-001", "MobiFone", "4G", "7"]]),
    )
    assert ws.read_layer("cells")["tilt_deg"].tolist() == [7.0], whole.notes


def test_antenna_height_headers_of_operator_lists_are_read(ws: Workspace, tmp_path: Path) -> None:
    path = _csv(
        tmp_path / "tram.csv", ["SITE_ID", "ANT_HEIGHT", "LON", "LAT"], [["S1", "36", "109.2", "13.77"]]
    )
    import_file(ws, "sites", path)
    assert ws.read_layer("sites")["height_m"].tolist() == [36.0]


def test_a_header_the_file_repeats_is_refused_when_it_names_a_field(ws: Workspace, tmp_path: Path) -> None:
    """Two AZIMUTH columns with other values: the file does not say which is the cell's.
    Fails if the first is read silently; a repeated column the layer does not read is
    no problem."""
    path = tmp_path / "cells.csv"
    path.write_text("SITE_ID,LON,LAT,Ghi chú,Ghi chú\nS1,109.01,13.77,a,b\n", encoding="utf-8")
    import_file(ws, "sites", path)
    path.write_text("SITE_ID,CELL_ID,Operator,TECH,AZIMUTH,AZIMUTH\nS1,C1,VNPT,LTE,0,10\n", encoding="utf-8")
    with pytest.raises(LayerValidationError, match=r"two columns named 'AZIMUTH', both read as the field"):
        import_file(ws, "cells", path)


def test_a_field_takes_a_named_set_of_spellings_and_adds_its_own(tmp_path: Path) -> None:
    """``spellings: status`` reads the set ``spellings.yaml`` beside the schema holds, and the
    field's own ``value_aliases`` add to it; a set that is not there, or one naming a value the
    field does not allow, refuses the schema. Fails if a named set is ignored (the spellings
    of a life-cycle status would be read by one layer and not another)."""
    from coverage_gis.layers import parse_schema

    (tmp_path / "spellings.yaml").write_text(
        "status:\n  phát sóng: on_air\n  hủy: gone\nshort:\n  hoạt động: on_air\n", encoding="utf-8"
    )
    path = tmp_path / "things.yaml"
    path.write_text(
        "name: things\ngeometry: none\nid_field: id\nfields:\n"
        "  - {name: id, type: str}\n"
        "  - {name: status, type: str, allowed: [on_air, planned], spellings: short, "
        "value_aliases: {dự kiến: planned}}\n",
        encoding="utf-8",
    )
    assert dict(parse_schema(path).field("status").value_aliases) == {
        "hoạt động": "on_air",
        "dự kiến": "planned",
    }
    path.write_text(
        path.read_text(encoding="utf-8").replace("spellings: short", "spellings: missing"), "utf-8"
    )
    with pytest.raises(
        LayerValidationError, match=r"spellings of status name 'missing'.*holds: short, status"
    ):
        parse_schema(path)
    path.write_text(
        path.read_text(encoding="utf-8").replace("spellings: missing", "spellings: status"), "utf-8"
    )
    with pytest.raises(LayerValidationError, match=r"value_aliases of status name 'gone'"):
        parse_schema(path)


def test_every_status_field_reads_the_shared_spellings() -> None:
    schemas = all_schemas()
    status = {
        name: dict(s.field("status").value_aliases)
        for name, s in schemas.items()
        if "status" in s.field_names and s.field("status").allowed == ("planned", "on_air", "decommissioned")
    }
    assert set(status) == {"sites", "cells", "fiber_routes", "fiber_nodes", "zones_5g"}
    for spellings in status.values():
        assert spellings["đang phát sóng"] == "on_air"
        assert spellings["đã tháo dỡ"] == "decommissioned"
