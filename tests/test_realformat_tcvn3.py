"""Old Vietnamese data in TCVN3 (ABC, the .VnTime fonts' encoding): shapefiles without a
``.cpg`` and CSV files whose names were typed with a TCVN3 keyboard layout."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pytest
import shapely
from hypothesis import given
from hypothesis import strategies as st

from coverage_gis.io import read_file
from coverage_gis.text_encoding import TCVN3, WINDOWS_1258, decode_as, encode_tcvn3, text_encoding
from tests.test_io_encodings import _windows_1258

# "Thôn Mường Khương", "Xã Đắk Lắk", "Bát Xát" as TCVN3 bytes (lower case, as .VnTime writes them).
_NAMES_TCVN3 = [b"Th\xabn M\xad\xeang Kh\xad\xacng", b"X\xb7 \xa7\xbek L\xbek", b"B\xb8t X\xb8t"]
_NAMES = ["Thôn Mường Khương", "Xã Đắk Lắk", "Bát Xát"]
_VIETNAMESE = "àáảãạăằắẳẵặâầấẩẫậđèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵĂÂĐÊÔƠƯ"


def test_tcvn3_bytes_read_as_vietnamese() -> None:
    data = b"\n".join(_NAMES_TCVN3)

    assert text_encoding(data) == TCVN3
    assert decode_as(data, TCVN3).split("\n") == _NAMES


def test_windows_1258_text_is_not_taken_for_tcvn3() -> None:
    data = _windows_1258("\n".join([*_NAMES, "108°55'12\"", "Đà Nẵng", "Thôn Phước Sơn"]))

    assert text_encoding(data) == WINDOWS_1258


@given(st.text(alphabet=_VIETNAMESE + "abcdeghiklmnopqrstuvxy ", min_size=1, max_size=40))
def test_every_tcvn3_letter_reads_back(text: str) -> None:
    assert decode_as(encode_tcvn3(text), TCVN3) == text


def shapefile_without_cpg(path: Path, names: list[bytes]) -> Path:
    """A point shapefile of sites whose names are these raw bytes in its DBF, no ``.cpg``."""
    frame = gpd.GeoDataFrame(
        {"site_id": [f"S{i + 1}" for i in range(len(names))], "TEN": ["x" * 30] * len(names)},
        geometry=[shapely.Point(109.0, 13.7 + i / 100) for i in range(len(names))],
        crs="EPSG:4326",
    )
    frame.to_file(path, encoding="ISO-8859-1")
    dbf = path.with_suffix(".dbf")
    data = dbf.read_bytes()
    for name in names:
        data = data.replace(b"x" * 30, name.ljust(30), 1)
    dbf.write_bytes(data)
    path.with_suffix(".cpg").unlink(missing_ok=True)
    return path


def sites_csv(path: Path, names: list[bytes], sep: str) -> Path:
    """A CSV of sites (``sep``-separated) whose names are these raw bytes."""
    rows = [f"S{i}{sep}".encode() + n + f"{sep}109.0{sep}13.7".encode() for i, n in enumerate(names)]
    path.write_bytes(b"\n".join([f"site_id{sep}name{sep}lon{sep}lat".encode(), *rows]))
    return path


def test_a_shapefile_without_cpg_in_tcvn3_is_read_in_vietnamese(tmp_path: Path) -> None:
    path = shapefile_without_cpg(tmp_path / "thon.shp", _NAMES_TCVN3)

    sites = read_file(path, "sites")["sites"]

    assert [str(v).strip() for v in sites["name"]] == _NAMES


@pytest.mark.parametrize("sep", [",", ";"])
def test_a_tcvn3_csv_is_read_in_vietnamese(tmp_path: Path, sep: str) -> None:
    path = sites_csv(tmp_path / "tram.csv", _NAMES_TCVN3, sep)

    sites = read_file(path, "sites")["sites"]

    assert sites["name"].tolist() == _NAMES


# Typed in a .VnTimeH font: capitals with a tone mark stand on the small letters' bytes.
_H_FONT = [
    ("THôN ấP 3", "THÔN ẤP 3"),
    ("Xã BìNH THUậN", "XÃ BÌNH THUẬN"),
    ("Đà NẵNG", "ĐÀ NẴNG"),
    ("LàNG O2", "LÀNG O2"),
    ("ấP", "ẤP"),
    # A normal font's text, as it is: title case, small ASCII letters, initialisms.
    ("Xã", "Xã"),
    ("Trạm BTS ấp 3", "Trạm BTS ấp 3"),
    ("TT. Bồng Sơn", "TT. Bồng Sơn"),
    ("KCN Phú Tài", "KCN Phú Tài"),
]


@pytest.mark.parametrize(("typed", "expected"), _H_FONT)
def test_capitals_typed_in_a_vntimeh_font_read_as_capitals(typed: str, expected: str) -> None:
    assert decode_as(encode_tcvn3(typed), TCVN3) == expected


_SMALL = "abcdeghiklmnopqrstuvxy" + "".join(c for c in _VIETNAMESE if c.islower())
_FIRST = "ABCDEGHIKLMNOPQRSTUVXY" + "ĂÂĐÊÔƠƯ" + _SMALL


@given(
    st.lists(
        st.tuples(st.sampled_from(_FIRST), st.text(alphabet=_SMALL, max_size=6)).map("".join)
        | st.text(alphabet="0123456789", min_size=1, max_size=3),
        min_size=1,
        max_size=6,
    )
)
def test_text_typed_in_a_normal_font_reads_as_typed(words: list[str]) -> None:
    """Fails if a name in a normal .VnTime font (each word a capital or small letter, then
    small ones; numbers) is changed by the reading of .VnTimeH capitals."""
    text = " ".join(words)
    assert decode_as(encode_tcvn3(text), TCVN3) == text


def test_a_csv_typed_in_a_vntimeh_font_reads_in_capitals(tmp_path: Path) -> None:
    names = [typed for typed, _ in _H_FONT[:4]] + ["Thôn Mường Khương"]
    path = sites_csv(tmp_path / "tram.csv", [encode_tcvn3(n) for n in names], ",")

    sites = read_file(path, "sites")["sites"]

    assert sites["name"].tolist() == [expected for _, expected in _H_FONT[:4]] + ["Thôn Mường Khương"]
