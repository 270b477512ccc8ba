"""CSV text in the encodings Vietnamese Windows writes (coverage_gis.text_encoding):
Windows-1258 (Excel's "CSV (Comma delimited)"), UTF-16 with a byte-order mark (Excel's
"Unicode Text"), UTF-8 with or without a byte-order mark; read through the real CLI."""

from __future__ import annotations

import codecs
import unicodedata
from pathlib import Path

import pytest
import shapely
from hypothesis import given
from hypothesis import strategies as st

from coverage_gis.cli import main
from coverage_gis.errors import LayerValidationError
from coverage_gis.io import detect_format, import_file
from coverage_gis.text_encoding import (
    UTF_8,
    UTF_16,
    WINDOWS_1258,
    decode_text,
    head_text,
    is_utf8,
    text_encoding,
)
from coverage_gis.workspace import Workspace

DATA = Path(__file__).parent / "data"
NAMES = ("Thôn Hòa Bình", "Làng Ơ Hai", "Khánh Hòa")
KINDS = ("thôn", "làng", "thôn")
#: Rows that make a file of more than the 8 KiB that format sniffing reads.
LARGE = 250
#: The combining tone marks of Windows-1258: grave, acute, tilde, hook above, dot below.
_TONE_MARKS = "\u0300\u0301\u0303\u0309\u0323"


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    return Workspace.create(tmp_path / "ws", metric_crs="EPSG:32649")


def _windows_1258(text: str) -> bytes:
    """``text`` as Windows writes it in Windows-1258: a letter the code page lacks (ò, ì, ậ)
    as the letter without its tone mark followed by the combining tone mark (o + U+0300)."""
    out = []
    for char in unicodedata.normalize("NFC", text):
        try:
            out.append(char.encode("cp1258"))
        except UnicodeEncodeError:
            parts = unicodedata.normalize("NFD", char)
            letter = unicodedata.normalize("NFC", "".join(c for c in parts if c not in _TONE_MARKS))
            out.append((letter + "".join(c for c in parts if c in _TONE_MARKS)).encode("cp1258"))
    return b"".join(out)


def _encode(text: str, encoding: str) -> bytes:
    if encoding == "cp1258":
        return _windows_1258(text)
    if encoding == "utf-16-le":
        return codecs.BOM_UTF16_LE + text.encode("utf-16-le")
    if encoding == "utf-16-be":
        return codecs.BOM_UTF16_BE + text.encode("utf-16-be")
    if encoding == "utf-8-bom":
        return codecs.BOM_UTF8 + text.encode("utf-8")
    return text.encode(encoding)


def _name(i: int) -> str:
    return NAMES[i % 3] if i < 3 else f"{NAMES[i % 3]} {i}"


def _villages_text(delimiter: str, rows: int) -> str:
    """A villages table as Excel writes it: CRLF lines; a decimal comma with ``;``."""
    lines = [delimiter.join(("village_id", "name", "kind", "province_code", "lon", "lat"))]
    for i in range(rows):
        lon, lat = f"{108.9 + i * 1e-4:.4f}", f"{14.1 + i * 1e-4:.4f}"
        if delimiter == ";":
            lon, lat = lon.replace(".", ","), lat.replace(".", ",")
        lines.append(delimiter.join((f"V{i}", _name(i), KINDS[i % 3], "52", lon, lat)))
    return "\r\n".join(lines) + "\r\n"


# (encoding, delimiter, rows, file name, words of the note or None)
FILES = [
    ("cp1258", ";", 3, "thon.csv", "Windows-1258"),
    ("cp1258", ",", 3, "thon_excel", "Windows-1258"),  # no extension: the format is sniffed
    ("cp1258", ";", LARGE, "thon_lon", "Windows-1258"),
    ("cp1258", ",", LARGE, "thon_lon.csv", "Windows-1258"),
    ("utf-16-le", "\t", 3, "thon.txt", "UTF-16"),
    ("utf-16-le", "\t", LARGE, "thon_unicode", "UTF-16"),
    ("utf-16-be", "\t", 3, "thon_be", "UTF-16"),
    ("utf-8-bom", ";", 3, "thon_bom", None),
    ("utf-8", ",", LARGE, "thon_utf8", None),
    ("utf-8", ",", 3, "thon_utf8.csv", None),
]


@pytest.mark.parametrize(
    ("encoding", "delimiter", "rows", "name", "note"), FILES, ids=[f"{f[0]}-{f[2]}-{f[3]}" for f in FILES]
)
def test_cli_imports_villages_in_each_encoding(
    ws: Workspace,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    encoding: str,
    delimiter: str,
    rows: int,
    name: str,
    note: str | None,
) -> None:
    data = _encode(_villages_text(delimiter, rows), encoding)
    if encoding == "cp1258":
        assert b"o\xcc" in data  # "Hòa": a tone mark stored after its letter
    assert (len(data) > 8192) == (rows == LARGE)
    path = tmp_path / name
    path.write_bytes(data)
    assert detect_format(path) == "csv"

    code = main(["import", str(ws.path), "villages", str(path)])

    out = capsys.readouterr()
    assert (code, out.err) == (0, "")
    assert f"imported {rows} features into villages" in out.out
    notes = [line for line in out.out.splitlines() if line.startswith("note: read the text as")]
    assert notes == ([] if note is None else [notes[0]])
    assert note is None or note in notes[0]
    villages = ws.read_layer("villages").set_index("village_id")
    names = [str(villages.loc[f"V{i}", "name"]) for i in range(rows)]
    assert names == [_name(i) for i in range(rows)]  # every letter, composed (NFC)
    assert all(unicodedata.is_normalized("NFC", n) for n in names)
    assert villages.loc["V2", "kind"] == "thôn"
    point = villages.loc["V1", "geometry"]
    assert (shapely.get_x(point), shapely.get_y(point)) == pytest.approx((108.9001, 14.1001))


def test_opencellid_export_in_windows_1258(
    ws: Workspace, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = (DATA / "opencellid_binh_dinh.csv").read_text(encoding="utf-8").splitlines()
    # A column the user added in Excel, with Vietnamese words, saved as "CSV (Comma delimited)".
    text = "\r\n".join(
        [lines[0] + ",ghi_chu"] + [f"{line},Trạm Hòa Bình {i}" for i, line in enumerate(lines[1:])]
    )
    path = tmp_path / "452.csv"
    path.write_bytes(_windows_1258(text + "\r\n"))
    assert detect_format(path) == "opencellid"

    assert main(["import", str(ws.path), "cells", str(path)]) == 0

    out = capsys.readouterr().out
    assert "imported 6 features into sites" in out
    assert "imported 10 features into cells" in out
    assert "note: skipped 1 row" in out
    assert out.count("note: read the text as Windows-1258 (Vietnamese)") == 1


def test_speed_test_csv_in_windows_1258_is_read_once(ws: Workspace, tmp_path: Path) -> None:
    utf8 = DATA / "speed_points.csv"
    path = tmp_path / "speed_points.csv"
    path.write_bytes(_windows_1258(utf8.read_text(encoding="utf-8")))
    assert not is_utf8(path.read_bytes())

    result = import_file(ws, "speed_tests", path)

    assert [n for n in result.notes if "Windows-1258" in n] == [result.notes[0]]
    imported = ws.read_layer("speed_tests")
    other = Workspace.create(tmp_path / "ws_utf8", metric_crs="EPSG:32649")
    import_file(other, "speed_tests", utf8)
    assert imported.drop(columns="geometry").equals(other.read_layer("speed_tests").drop(columns="geometry"))


def test_bytes_no_encoding_reads_are_refused_with_file_and_offset(
    ws: Workspace, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = _windows_1258(_villages_text(",", 3))
    bad_at = good.index(b"\r\nV2") + 6  # inside the third village's name
    path = tmp_path / "thon.csv"
    path.write_bytes(good[:bad_at] + b"\x81" + good[bad_at:])
    first_non_utf8 = good.index(_windows_1258("ô"))

    assert main(["import", str(ws.path), "villages", str(path)]) == 2

    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "thon.csv" in err
    assert f"byte 0x81 at offset {bad_at} is not a Windows-1258 character" in err
    assert f"is neither UTF-8 text (bad byte at offset {first_non_utf8})" in err
    assert "save it as 'CSV UTF-8'" in err
    assert not ws.has_layer("villages")


def test_utf16_cut_short_is_refused(tmp_path: Path) -> None:
    data = _encode(_villages_text("\t", 3), "utf-16-le")[:-1]
    with pytest.raises(LayerValidationError) as caught:
        decode_text(data, source="thon.txt", notes=[])
    message = str(caught.value)
    assert "thon.txt" in message
    assert "is not UTF-16 text, though it starts with a UTF-16 byte-order mark" in message
    assert f"(bad bytes at offset {len(data) - 1})" in message


# -- the policy, unit by unit -----------------------------------------------------------


def test_a_character_cut_at_the_end_of_a_sample_is_still_utf8() -> None:
    cut = "Thôn".encode()[:3]  # "Th" and the first byte of "ô"
    assert is_utf8(cut, complete=False)
    assert not is_utf8(cut)
    assert text_encoding(cut) == WINDOWS_1258
    assert text_encoding(cut, complete=False) == UTF_8
    assert not is_utf8(b"\xf4n" + b"x" * 10, complete=False)  # a bad byte before the end


def test_which_encoding() -> None:
    assert text_encoding(b"plain ascii") == UTF_8
    assert text_encoding(codecs.BOM_UTF8 + "Thôn".encode()) == UTF_8
    assert text_encoding(codecs.BOM_UTF16_LE + "a".encode("utf-16-le")) == UTF_16
    assert text_encoding(codecs.BOM_UTF16_BE + "a".encode("utf-16-be")) == UTF_16
    assert text_encoding(_windows_1258("Thôn Hòa Bình")) == WINDOWS_1258


def test_head_text_refuses_binary_data() -> None:
    assert head_text(b"SQLite format 3\x00\x10\x00", complete=True) is None
    assert head_text("lon,lat".encode("utf-16-le"), complete=True) is None  # UTF-16 without its mark
    assert head_text(_windows_1258("tên,lon,lat\r\nHòa"), complete=True) == "tên,lon,lat\r\nHo\u0300a"


def test_a_windows_1258_file_without_extension_is_a_csv(tmp_path: Path) -> None:
    path = tmp_path / "thon"
    path.write_bytes(_windows_1258(_villages_text(";", 3)))
    assert detect_format(path) == "csv"
    path.write_bytes(b"\x00\x01binary, not text")
    with pytest.raises(LayerValidationError, match="cannot tell the file format"):
        detect_format(path)


_VIETNAMESE = st.text(
    alphabet=st.sampled_from(
        list("aăâbcdđeêghiklmnoôơpqrstuưvxy AĂÂĐÊÔƠƯ,;0123456789")
        + list("àáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ")
    ),
    max_size=60,
)


@given(_VIETNAMESE)
def test_every_vietnamese_text_comes_back_composed(text: str) -> None:
    for encoding in ("cp1258", "utf-8", "utf-8-bom", "utf-16-le", "utf-16-be"):
        notes: list[str] = []
        assert decode_text(_encode(text, encoding), source="x.csv", notes=notes) == text
        told = not encoding.startswith("utf-8") and not (encoding == "cp1258" and text.isascii())
        assert len(notes) == int(told)


def test_site_edits_saved_by_a_vietnamese_excel_are_applied_with_a_note(
    tiny_ws: Workspace, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "edits.csv"
    header = "site_id;lon;lat;name;cell_id;operator;tech;cell_status\n"
    row = "S9;109,01;13,76;Trạm Hòa Bình;S9-VT-4G;Viettel;4G;on_air\n"
    path.write_bytes(_windows_1258(header + row))
    capsys.readouterr()
    assert main(["sites", "apply", str(tiny_ws.path), str(path), "--json"]) == 0
    out = capsys.readouterr()
    assert "Windows-1258" in out.err
    assert "Windows-1258" not in out.out
    sites = Workspace.open(tiny_ws.path).read_layer("sites").set_index("site_id")
    assert sites.loc["S9", "name"] == unicodedata.normalize("NFC", "Trạm Hòa Bình")
    # ";" delimited, decimal commas (Excel on a Vietnamese Windows)
    assert (sites.loc["S9", "geometry"].x, sites.loc["S9", "geometry"].y) == pytest.approx((109.01, 13.76))
