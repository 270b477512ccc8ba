"""Shapefile field names cut to the DBF's 10 bytes from a long alias ("DO_CAO_ANTEN" →
"DO_CAO_ANT", "Điện lưới" → "Điện l" and half a character): read as the one field the alias
names, only for shapefiles, never when two fields (or two columns) fit."""

from __future__ import annotations

import warnings
import zipfile
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from shapely.geometry import Point

from coverage_gis.io import import_file, read_file
from coverage_gis.io.dbf import DBF_NAME_LENGTH, dbf_field_names
from coverage_gis.io.headers import cut_header_fields
from coverage_gis.io.vector import restore_dbf_names
from coverage_gis.layers import INPUT_LAYERS, FieldSchema, LayerSchema, all_schemas
from coverage_gis.text_forms import fold_diacritics
from coverage_gis.workspace import Workspace


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    return Workspace.create(tmp_path / "ws", metric_crs="EPSG:32649")


def _shapefile(path: Path, columns: dict[str, list[object]], *, encoding: str = "utf-8") -> Path:
    n = len(next(iter(columns.values())))
    frame = gpd.GeoDataFrame(
        columns, geometry=[Point(109.0 + i / 10, 13.7) for i in range(n)], crs="EPSG:4326"
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # GDAL says it cut the names
        frame.to_file(path, engine="pyogrio", encoding=encoding)
    return path


def test_a_long_alias_cut_by_the_dbf_is_read_as_its_field(ws: Workspace, tmp_path: Path) -> None:
    path = _shapefile(
        tmp_path / "tram.shp",
        {
            "MA_TRAM": ["S1", "S2"],
            "DO_CAO_ANTEN": [35.0, 42.5],
            "Ngày phát sóng": ["2024-03-05", "2023-01-02"],
            "Điện lưới": ["có", "không"],
        },
    )
    # Stored at the limit; the last ends in half a character.
    assert [len(n) for n in dbf_field_names(path.with_suffix(".dbf"))] == [7, 10, 10, 10]

    result = import_file(ws, "sites", path)

    sites = ws.read_layer("sites").set_index("site_id")
    assert sites["height_m"].tolist() == [35.0, 42.5]
    assert sites["commissioned"].tolist() == ["2024-03-05", "2023-01-02"]
    assert sites["has_grid_power"].tolist() == [True, False]
    assert (
        "shapefile field names cut to 10 bytes read as DO_CAO_ANT → height_m, Ngày phá → commissioned, "
        "Điện l → has_grid_power" in result.notes
    )


def test_a_name_cut_inside_a_utf8_character_is_read_whatever_the_cpg_says(tmp_path: Path) -> None:
    path = _shapefile(tmp_path / "cell.shp", {"cell_id": ["C1"], "Góc phương vị": [120.0]})
    for cpg in ("UTF-8", None):
        if cpg is None:
            path.with_suffix(".cpg").unlink()
        frame = read_file(path, "cells")["cells"]
        assert frame["azimuth_deg"].tolist() == [120.0], cpg


def test_a_zipped_shapefile_is_read_the_same(ws: Workspace, tmp_path: Path) -> None:
    shp = _shapefile(tmp_path / "tram.shp", {"MA_TRAM": ["S1"], "CHIEU_CAO_ANTEN": [33.0]})
    archive = tmp_path / "tram.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for part in shp.parent.glob("tram.*"):
            if part.suffix != ".zip":
                zf.write(part, part.name)

    import_file(ws, "sites", archive)

    assert ws.read_layer("sites")["height_m"].tolist() == [33.0]


def test_two_cut_columns_for_one_field_are_left_unread_with_a_note(ws: Workspace, tmp_path: Path) -> None:
    path = _shapefile(
        tmp_path / "tram.shp", {"MA_TRAM": ["S1"], "DO_CAO_ANTEN": [35.0], "DO_CAO_TREO_ANTEN": [40.0]}
    )

    result = import_file(ws, "sites", path)

    assert ws.read_layer("sites")["height_m"].tolist() == [30.0]  # the default, not a guess
    assert (
        "shapefile field 'DO_CAO_ANT' and 'DO_CAO_TRE' not read as height_m (a name cut to 10 bytes): "
        "both fit it" in result.notes
    )


def test_a_cut_column_never_displaces_the_fields_own_column(ws: Workspace, tmp_path: Path) -> None:
    path = _shapefile(tmp_path / "tram.shp", {"MA_TRAM": ["S1"], "DO_CAO_ANTEN": [35.0], "HEIGHT_M": [40.0]})

    result = import_file(ws, "sites", path)

    assert ws.read_layer("sites")["height_m"].tolist() == [40.0]
    assert any("'DO_CAO_ANT' not read as height_m" in n and "'HEIGHT_M'" in n for n in result.notes)


def test_a_cut_that_fits_two_fields_is_left_unread_with_a_note() -> None:
    schema = LayerSchema(
        "t",
        "t",
        "t",
        "Point",
        "a",
        (
            FieldSchema("a", "str", aliases=("chieu cao anten",)),
            FieldSchema("b", "str", aliases=("chieu cao cot",)),
        ),
    )
    frame = pd.DataFrame({"CHIEU_CAO_": ["1"], "DO_CAO": ["2"]})
    notes: list[str] = []

    out = restore_dbf_names(frame, schema, source="x.shp", notes=notes, cut=["CHIEU_CAO_"])

    assert out.columns.tolist() == ["CHIEU_CAO_", "DO_CAO"]
    assert notes == [
        "shapefile field 'CHIEU_CAO_' not read: its name, cut to 10 bytes, may be a or b; "
        "export a GeoPackage (or name the field a) to import it"
    ]


@pytest.mark.parametrize("suffix", [".csv", ".geojson"])
def test_only_shapefiles_read_cut_names(ws: Workspace, tmp_path: Path, suffix: str) -> None:
    frame = gpd.GeoDataFrame({"MA_TRAM": ["S1"], "DO_CAO_ANT": [35.0]}, geometry=[Point(109, 13.7)], crs=4326)
    path = tmp_path / f"tram{suffix}"
    if suffix == ".csv":
        path.write_text("MA_TRAM,DO_CAO_ANT,lon,lat\nS1,35,109,13.7\n", encoding="utf-8")
    else:
        frame.to_file(path, driver="GeoJSON", engine="pyogrio")

    import_file(ws, "sites", path)

    assert ws.read_layer("sites")["height_m"].tolist() == [30.0]


def test_a_name_well_short_of_the_limit_was_not_cut(ws: Workspace, tmp_path: Path) -> None:
    path = _shapefile(tmp_path / "tram.shp", {"MA_TRAM": ["S1"], "DO_CA": [35.0]})

    import_file(ws, "sites", path)

    assert ws.read_layer("sites")["height_m"].tolist() == [30.0]


def test_a_cut_ending_on_a_space_that_gdal_dropped(ws: Workspace, tmp_path: Path) -> None:
    path = _shapefile(
        tmp_path / "tram.shp", {"Mã trạm": ["S1"], "Tên nhà trạm": ["Trạm A"], "Trạng thái": ["Đã tắt"]}
    )
    assert (
        dbf_field_names(path.with_suffix(".dbf"))[1] == "Tên nhà".encode()
    )  # 9 bytes: "Tên nhà " less the space

    result = import_file(ws, "sites", path)

    assert ws.read_layer("sites")[["name", "status"]].to_numpy().tolist() == [["Trạm A", "decommissioned"]]
    assert "shapefile field names cut to 10 bytes read as Tên nhà → name, Trạng th → status" in result.notes


_SPELLINGS = [
    (layer, spec.name, spelling)
    for layer in INPUT_LAYERS
    for spec in all_schemas()[layer].fields
    for spelling in spec.aliases
]


@given(st.sampled_from(_SPELLINGS), st.sampled_from(["as written", "upper", "bare"]), st.sampled_from(" _"))
def test_the_cut_of_an_alias_never_names_another_field(
    spelled: tuple[str, str, str], form: str, sep: str
) -> None:
    layer, name, alias = spelled
    text = {"as written": alias, "upper": alias.upper(), "bare": fold_diacritics(alias).upper()}[form]
    text = text.replace(" ", sep)
    raw = text.encode("utf-8")
    if len(raw) <= DBF_NAME_LENGTH:
        return
    cut = raw[:DBF_NAME_LENGTH].decode("utf-8", errors="ignore")
    fits = cut_header_fields(cut, all_schemas()[layer].fields)
    assert fits in ([], [name]), (cut, fits)  # [] when the cut is itself a spelling of the field
