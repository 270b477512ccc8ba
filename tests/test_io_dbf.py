"""Shapefile text without a .cpg (coverage_gis.io.dbf): read in the encoding its bytes show."""

from __future__ import annotations

import unicodedata
import zipfile
from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest
import shapely

from coverage_gis.errors import LayerValidationError
from coverage_gis.io import import_file
from coverage_gis.io.dbf import dbf_text
from coverage_gis.workspace import Workspace

NAMES = ["Thôn Hội Khánh", "Làng Ô2"]

# The DBF cuts field names to ten characters (``province_code`` → ``province_c``), as in
# every real shapefile; GDAL warns of it as it writes the fixtures.
pytestmark = pytest.mark.filterwarnings("ignore:Normalized/laundered field name:RuntimeWarning")


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    return Workspace.create(tmp_path / "ws", metric_crs="EPSG:32649")


def _villages(tmp_path: Path, names: list[str], *, gdal_encoding: str, keep_cpg: bool) -> Path:
    """A zipped villages shapefile whose DBF holds ``names`` as GDAL encodes them in ``gdal_encoding``."""
    frame = gpd.GeoDataFrame(
        {"village_id": ["V1", "V2"], "name": names, "kind": ["thôn", "làng"], "province_code": ["52", "52"]},
        geometry=[shapely.Point(109.0, 14.0), shapely.Point(109.01, 14.01)],
        crs="EPSG:4326",
    )
    folder = tmp_path / "shp"
    folder.mkdir()
    pyogrio.write_dataframe(frame, folder / "thon.shp", encoding=gdal_encoding)
    out = tmp_path / "thon.zip"
    with zipfile.ZipFile(out, "w") as archive:
        for part in sorted(folder.iterdir()):
            if part.suffix != ".cpg" or keep_cpg:
                archive.write(part, part.name)
    return out


def _windows_1258(names: list[str]) -> list[str]:
    """``names`` in Windows-1258 bytes (tone marks as combining characters after the base
    letter, as that code page writes them), each byte as the ISO-8859-1 letter GDAL writes back."""
    stored = [unicodedata.normalize("NFC", n).replace("ộ", "ô\u0323").replace("á", "a\u0301") for n in names]
    return [s.encode("cp1258").decode("latin-1") for s in stored]


def _imported_names(ws: Workspace, path: Path) -> tuple[list[str], list[str]]:
    result = import_file(ws, "villages", path)
    villages = ws.read_layer("villages").set_index("village_id")
    return [str(villages.loc[v, "name"]) for v in ("V1", "V2")], result.notes


def test_utf8_text_without_a_cpg_is_read_as_utf8(ws: Workspace, tmp_path: Path) -> None:
    names, notes = _imported_names(ws, _villages(tmp_path, NAMES, gdal_encoding="UTF-8", keep_cpg=False))
    assert names == NAMES
    assert any("as UTF-8" in note for note in notes)


def test_windows_1258_text_without_a_cpg_keeps_every_character(ws: Workspace, tmp_path: Path) -> None:
    path = _villages(tmp_path, _windows_1258(NAMES), gdal_encoding="ISO-8859-1", keep_cpg=False)
    names, notes = _imported_names(ws, path)
    assert names == NAMES  # composed (NFC), last letters kept
    assert any("Windows-1258" in note for note in notes)


def test_a_cpg_decides(ws: Workspace, tmp_path: Path) -> None:
    names, notes = _imported_names(ws, _villages(tmp_path, NAMES, gdal_encoding="UTF-8", keep_cpg=True))
    assert names == NAMES
    assert not any("attribute text" in note for note in notes)


def test_ascii_text_needs_no_guess(tmp_path: Path) -> None:
    point = [shapely.Point(109.0, 14.0)]
    frame = gpd.GeoDataFrame({"name": ["Thon Hoi Khanh"]}, geometry=point, crs="EPSG:4326")
    pyogrio.write_dataframe(frame, tmp_path / "plain.shp", encoding="UTF-8")
    (tmp_path / "plain.cpg").unlink()
    notes: list[str] = []
    assert dbf_text(tmp_path / "plain.shp", notes) is None
    assert notes == []


@pytest.mark.parametrize("named", ["1258", "CP1258", "windows-1258", "ANSI 1258"])
def test_a_cpg_naming_windows_1258_keeps_every_letter(ws: Workspace, tmp_path: Path, named: str) -> None:
    path = _villages(tmp_path, _windows_1258(NAMES), gdal_encoding="ISO-8859-1", keep_cpg=False)
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr("thon.cpg", named)
    names, _ = _imported_names(ws, path)
    assert names == NAMES


def test_text_that_windows_1258_cannot_read_is_refused_with_its_field_and_row(
    ws: Workspace, tmp_path: Path
) -> None:
    # 0x8D is not a Windows-1258 character (nor is the text UTF-8).
    names = [_windows_1258(NAMES)[0], "L\xe0ng \x8d2"]
    path = _villages(tmp_path, names, gdal_encoding="ISO-8859-1", keep_cpg=False)
    before = ws.revision
    with pytest.raises(LayerValidationError) as info:
        import_file(ws, "villages", path)
    message = str(info.value)
    assert "0x8D" in message
    assert "name" in message
    assert "row 1" in message
    assert ws.revision == before
