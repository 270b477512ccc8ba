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


def _cut_in_a_character(path: Path, whole: str, kept: int) -> None:
    """Cut the UTF-8 value ``whole`` of the zipped shapefile ``path``'s DBF after ``kept`` bytes,
    as a writer that cuts at a field's width in bytes does (the rest of the field blank)."""
    with zipfile.ZipFile(path) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    stored = whole.encode()
    dbf = next(name for name in parts if name.endswith(".dbf"))
    assert stored in parts[dbf]
    parts[dbf] = parts[dbf].replace(stored, stored[:kept] + b" " * (len(stored) - kept))
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in parts.items():
            archive.writestr(name, data)


@pytest.mark.parametrize("keep_cpg", [False, True], ids=["no-cpg", "cpg-utf8"])
def test_a_utf8_value_cut_inside_a_character_loses_that_character_only(
    ws: Workspace, tmp_path: Path, keep_cpg: bool
) -> None:
    """A DBF written with a text field narrower than a name in UTF-8 bytes ends that value in
    half a character. Fails if the whole file is then read as Windows-1258 (every name
    garbled), or refused by the UTF-8 decoder when a .cpg names UTF-8."""
    names = ["Làng Kim Giao Bắc", "Khu phố Thiện Chánh"]
    path = _villages(tmp_path, names, gdal_encoding="UTF-8", keep_cpg=keep_cpg)
    _cut_in_a_character(path, names[1], len("Khu phố Thi".encode()) + 1)  # and one byte of "ệ"

    read, notes = _imported_names(ws, path)

    assert read == ["Làng Kim Giao Bắc", "Khu phố Thi"]
    assert (
        "read the attribute text as UTF-8: 1 value ends in a character the field's width cut, left "
        "out (widen the field in the source to keep it)" in notes
    )


def test_a_cpg_naming_utf8_for_tcvn3_text_reads_what_the_bytes_show(ws: Workspace, tmp_path: Path) -> None:
    """A .cpg that says UTF-8 beside TCVN3 text (a converter's wrong sidecar): read as TCVN3, with
    a note. Fails if GDAL's UTF-8 decoder refuses the file."""
    from coverage_gis.text_encoding import encode_tcvn3

    def tcvn3(texts: list[str]) -> list[str]:
        return [encode_tcvn3(t).decode("latin-1") for t in texts]

    frame = gpd.GeoDataFrame(
        {
            "village_id": ["V1", "V2"],
            "name": tcvn3(NAMES),
            "kind": tcvn3(["thôn", "làng"]),
            "province_code": ["52"] * 2,
        },
        geometry=[shapely.Point(109.0, 14.0), shapely.Point(109.01, 14.01)],
        crs="EPSG:4326",
    )
    folder = tmp_path / "shp"
    folder.mkdir()
    pyogrio.write_dataframe(frame, folder / "thon.shp", encoding="ISO-8859-1")
    (folder / "thon.cpg").write_text("UTF-8")
    path = tmp_path / "thon.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for part in sorted(folder.iterdir()):
            archive.write(part, part.name)

    read, notes = _imported_names(ws, path)

    assert read == NAMES
    assert any("TCVN3" in note and "its .cpg names UTF-8, but the text is not" in note for note in notes)
