"""The text encoding of a shapefile's attribute table (DBF) when no ``.cpg`` names it.

A DBF stores text as bytes. Its encoding is named by a ``.cpg`` sidecar (QGIS and
ArcGIS write one), or by the *language driver id* byte of its header; GDAL reads
either. Without a ``.cpg`` and with no language driver, GDAL takes ISO-8859-1, and
Vietnamese names in UTF-8 (the common case: files exported by QGIS or a script
without their ``.cpg``, or a zip that left it out) come out garbled
("Thôn" → "ThÃ´n"), which validation sees only where a field has allowed values.

So when no ``.cpg`` is present the records are read as bytes and decided by the
importers' one policy (:mod:`coverage_gis.text_encoding`): text that is valid
UTF-8 and not plain ASCII is UTF-8. Other non-ASCII text in a DBF with no language
driver is taken as Windows-1258, the Vietnamese Windows code page. GDAL's own Windows-1258
decoding (iconv's) drops the last character of every string (the decoder holds a
base letter back for a combining tone mark that never comes), so such text is read
byte for byte (ISO-8859-1) and decoded here. Fonts-as-encodings of older Vietnamese
data (TCVN3/ABC, VNI) are not text encodings and cannot be recognised; the note tells
the user what was assumed.
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from coverage_gis.errors import LayerValidationError
from coverage_gis.text_encoding import WINDOWS_1258, is_utf8

#: Bytes of records read to decide (the whole table of any village or site layer).
_SAMPLE_BYTES = 16 * 1024 * 1024
#: The DBF header's language driver id (0: none given).
_LDID_OFFSET = 29
#: How a .cpg names the Vietnamese Windows code page.
_WINDOWS_1258 = re.compile(r"(?:cp|windows-?|ansi\s*)?1258", re.IGNORECASE)


def _sidecar(shp: Path, suffix: str) -> Path | None:
    """The file beside ``shp`` with ``suffix``, in either case (``.cpg`` or ``.CPG``)."""
    for candidate in (shp.with_suffix(suffix), shp.with_suffix(suffix.upper())):
        if candidate.is_file():
            return candidate
    return None


@dataclass(frozen=True)
class DbfText:
    """How to read a DBF's text: the encoding GDAL decodes it with, and the code page its
    decoded text is decoded again in (None: GDAL's decoding is final)."""

    gdal_encoding: str
    code_page: str | None = None

    def recode(self, frame: pd.DataFrame, *, source: str) -> pd.DataFrame:
        """``frame`` (read with :attr:`gdal_encoding`) with its text and column names in :attr:`code_page`.

        Raises
        ------
        LayerValidationError
            A byte the code page does not define, naming the field and the row (file
            ``source``).
        """
        if self.code_page is None:
            return frame
        page = self.code_page

        def text(value: object) -> object:
            return _recoded(value, page)

        def undefined(exc: UnicodeDecodeError, field: str, row: int | None) -> LayerValidationError:
            return LayerValidationError(
                f"attribute text is not {page} either (byte 0x{exc.object[exc.start]:02X} is not a "
                f"{page} character); save the shapefile with UTF-8 text or add a .cpg naming its code page",
                source=source,
                field=field,
                row=row,
            )

        renamed = {}
        for name in frame.columns:
            try:
                renamed[name] = text(name)
            except UnicodeDecodeError as exc:
                raise undefined(exc, str(name), None) from None
        out = frame.rename(columns=renamed)
        for name in out.columns:
            if name == "geometry" or pd.api.types.is_numeric_dtype(out[name]):
                continue
            try:
                out[name] = out[name].map(text)
            except UnicodeDecodeError as exc:
                raise undefined(exc, str(name), _first_undecodable(out[name].tolist(), page)) from None
        return out


def _recoded(value: object, page: str) -> object:
    """A text GDAL decoded as ISO-8859-1, decoded in ``page`` instead (other values as they are)."""
    return value.encode("latin-1").decode(page) if isinstance(value, str) else value


def _first_undecodable(values: list[object], page: str) -> int | None:
    """The row of the first text in ``values`` that :func:`_recoded` cannot decode in ``page``."""
    for row, value in enumerate(values):
        try:
            _recoded(value, page)
        except UnicodeDecodeError:
            return row
    return None


def dbf_text(shp: Path, notes: list[str]) -> DbfText | None:
    """How to read the DBF beside ``shp``, or None to let GDAL decide.

    None when a ``.cpg`` names the encoding (but Windows-1258, which GDAL misreads),
    when there is no DBF, or when its text is plain ASCII (every encoding reads it
    alike). Adds a note when it guesses.
    """
    cpg = _sidecar(shp, ".cpg")
    if cpg is not None:
        named = cpg.read_bytes()[:64].decode("ascii", errors="replace").strip()
        # GDAL reads a named Windows-1258 with the decoder that drops last letters.
        return DbfText("ISO-8859-1", WINDOWS_1258) if _WINDOWS_1258.fullmatch(named) else None
    dbf = _sidecar(shp, ".dbf")
    if dbf is None:
        return None
    with dbf.open("rb") as fh:
        header = fh.read(32)
        if len(header) < 32:
            return None
        header_bytes = struct.unpack_from("<H", header, 8)[0]
        fh.seek(header_bytes)
        records = fh.read(_SAMPLE_BYTES)
    if records.isascii():
        return None
    # A sample cut inside a multi-byte character is still UTF-8.
    if not is_utf8(records, complete=False):
        if header[_LDID_OFFSET] != 0:
            return None
        notes.append(
            "read the attribute text as Windows-1258 (Vietnamese): it is not UTF-8 and no "
            ".cpg file names its encoding; add one if the names look wrong"
        )
        return DbfText("ISO-8859-1", WINDOWS_1258)
    notes.append("read the attribute text as UTF-8 (no .cpg file names its encoding)")
    return DbfText("UTF-8")
