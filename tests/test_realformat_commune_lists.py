"""A province's own commune list (its GIS department's, 2025 structure): Vietnamese headers,
the commune's code its only id, no districts (abolished in July 2025) and no 2009 census."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from coverage_gis import engine
from coverage_gis.errors import LayerValidationError
from coverage_gis.io import import_file
from coverage_gis.workspace import Workspace


def _square(x: float, y: float) -> dict[str, object]:
    ring = [[x, y], [x + 0.1, y], [x + 0.1, y + 0.1], [x, y + 0.1], [x, y]]
    return {"type": "Polygon", "coordinates": [ring]}


@pytest.fixture
def commune_list(tmp_path: Path) -> Path:
    features = [
        {
            "type": "Feature",
            "properties": {"Mã xã": code, "Tên xã": name, "Mã tỉnh": "52", "Tên tỉnh": "Tỉnh Gia Lai"},
            "geometry": _square(109.0 + 0.1 * i, 13.7),
        }
        for i, (code, name) in enumerate([("21553", "Phường Quy Nhơn Bắc"), ("21583", "Phường Quy Nhơn")])
    ]
    path = tmp_path / "xa_2025.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")
    return path


def test_a_2025_commune_list_is_read_by_its_vietnamese_headers(tmp_path: Path, commune_list: Path) -> None:
    ws = Workspace.create(tmp_path / "ws", metric_crs="EPSG:32649")
    with pytest.raises(LayerValidationError) as missing:
        import_file(ws, "communes", commune_list)
    # Only what the list cannot give is missing, each with the way to give it.
    assert [e.field for e in missing.value.errors] == ["district_code", "district_name", "pop_2009"]
    assert "or import with a value for every row with --set district_code=VALUE" in str(missing.value)

    given = {"district_code": "000", "district_name": "(không có huyện)", "pop_2009": "0"}
    result = import_file(ws, "communes", commune_list, values=given)

    communes = ws.read_layer("communes")
    assert communes["census_commune_id"].tolist() == ["21553", "21583"]
    assert communes["commune_code"].tolist() == ["21553", "21583"]
    assert communes["commune_name"].tolist() == ["Phường Quy Nhơn Bắc", "Phường Quy Nhơn"]
    assert set(communes["province_name"]) == {"Tỉnh Gia Lai"}
    assert "communes: no census_commune_id column: 'Mã xã' read as census_commune_id too" in result.notes
    # Its communes bear their codes' 2025 names: each is its own 2025 commune, none is cut.
    assert communes["new_commune_code"].tolist() == ["21553", "21583"]
    assert communes["new_commune_name"].tolist() == ["Phường Quy Nhơn Bắc", "Phường Quy Nhơn"]
    assert set(communes["new_province_code"]) == {"52"}
    assert len(ws.read_layer("commune_parts_2025")) == 0
    assert any("read as the 2025 communes (100% bear the 2025 name" in note for note in result.notes)


def test_a_census_commune_list_gets_its_2025_units_and_parts_again(
    binh_dinh_demo: Callable[..., Path], tmp_path: Path
) -> None:
    """The demo's communes exported without their 2025 columns and imported again: the
    crosswalk rule gives them the same 2025 units, parts and KPIs as ``covgis init`` did."""
    ws = Workspace.open(binh_dinh_demo(tmp_path / "ws"))
    before = engine.compute(ws, write=False).kpis(levels=["commune_2025"])
    parts_before = ws.read_layer("commune_parts_2025")
    own = ["census_commune_id", "commune_code", "commune_name", "district_code", "district_name"]
    path = tmp_path / "xa_2009.gpkg"
    ws.read_layer("communes")[[*own, "province_code", "province_name", "pop_2009", "geometry"]].to_file(path)

    result = import_file(ws, "communes", path)

    assert result.counts == {"communes": 159, "commune_parts_2025": len(parts_before)}
    parts = ws.read_layer("commune_parts_2025")
    assert sorted(parts["part_id"]) == sorted(parts_before["part_id"])
    after = engine.compute(ws, write=False).kpis(levels=["commune_2025"])
    pd.testing.assert_frame_equal(after, before)


def test_a_2025_list_whose_codes_lost_their_leading_zeros_is_told_apart(tmp_path: Path) -> None:
    """A spreadsheet keeps Hà Nội's 00004 as 4: still Phường Ba Đình's 2025 code (before 2025
    it was Phường Trúc Bạch's)."""
    path = tmp_path / "xa.geojson"
    feature = {
        "type": "Feature",
        "properties": {
            "Mã xã": 4,
            "Tên xã": "Phường Ba Đình",
            "Mã tỉnh": "01",
            "Tên tỉnh": "Thành phố Hà Nội",
        },
        "geometry": _square(105.82, 21.03),
    }
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}), encoding="utf-8")
    ws = Workspace.create(tmp_path / "ws", metric_crs="EPSG:32648")
    given = {"district_code": "000", "district_name": "(không có huyện)", "pop_2009": "0"}

    result = import_file(ws, "communes", path, values=given)

    assert any("read as the 2025 communes" in note for note in result.notes)
    assert ws.read_layer("communes")["new_commune_name"].tolist() == ["Phường Ba Đình"]


@pytest.mark.parametrize(
    "names", [("Phuong Quy Nhon Bac", "Phuong Quy Nhon"), ("P. Quy Nhơn Bắc", "P. Quy Nhơn")]
)
def test_a_2025_list_without_diacritics_or_with_short_type_words_is_told_apart(
    tmp_path: Path, names: tuple[str, str]
) -> None:
    """The same 2025 list written without diacritics, or with "P." for "Phường". Fails if it is
    read as the former structure, whose crosswalk would cut its communes into parts."""
    features = [
        {
            "type": "Feature",
            "properties": {"Mã xã": code, "Tên xã": name, "Mã tỉnh": "52", "Tên tỉnh": "Tỉnh Gia Lai"},
            "geometry": _square(109.0 + 0.1 * i, 13.7),
        }
        for i, (code, name) in enumerate(zip(["21553", "21583"], names, strict=True))
    ]
    path = tmp_path / "xa.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")
    ws = Workspace.create(tmp_path / "ws", metric_crs="EPSG:32649")
    given = {"district_code": "000", "district_name": "(không có huyện)", "pop_2009": "0"}

    result = import_file(ws, "communes", path, values=given)

    assert any("read as the 2025 communes (100% bear the 2025 name" in note for note in result.notes)
    assert ws.read_layer("communes")["new_commune_code"].tolist() == ["21553", "21583"]


def test_a_commune_list_without_clutter_classes_gets_them_from_the_type_words(
    tmp_path: Path, commune_list: Path
) -> None:
    """A list gives no environment. Fails if its wards are left blank, which the coverage
    model reads as rural (a rural radius in a city)."""
    ws = Workspace.create(tmp_path / "ws", metric_crs="EPSG:32649")
    given = {"district_code": "000", "district_name": "(không có huyện)", "pop_2009": "0"}

    result = import_file(ws, "communes", commune_list, values=given)

    assert ws.read_layer("communes")["environment"].tolist() == ["urban", "urban"]
    assert any(n.startswith("communes: environment read from each unit's type word") for n in result.notes)
