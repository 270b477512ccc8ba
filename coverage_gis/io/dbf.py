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
byte for byte (ISO-8859-1) and decoded here, as is text in TCVN3 (ABC, the .VnTime
fonts of older Vietnamese data) and in VNI (the VNI-Times fonts), told from Windows-1258 by
:func:`coverage_gis.text_encoding.legacy_encoding`; the note tells the user what was assumed.

A text field has a fixed width in bytes, and a writer that counts characters (or cuts at the
width) may cut a UTF-8 value inside its last character ("Khu phố Thiệ" and the first byte of
``ệ``'s successor). Such a table is still UTF-8, field by field (:func:`_utf8_fields`): it is
read byte for byte and each value decoded without its cut character, with a note, rather
than taken for Windows-1258 (every name garbled) or refused by GDAL's decoder.

Field names are at most 10 bytes (:data:`DBF_NAME_LENGTH`), cut by whatever wrote the
file, GDAL included, without regard to characters: a UTF-8 header such as "Góc phương
vị" becomes ``Góc phư`` and the first byte of ``ơ``, which GDAL cannot decode. Such a DBF
is read byte for byte too and its names decoded here without the cut character
(:func:`dbf_field_names` gives the names' bytes, so that a reader can tell a cut name).
"""

from __future__ import annotations

import codecs
import re
import struct
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from coverage_gis.errors import LayerValidationError
from coverage_gis.text_encoding import (
    TCVN3,
    VNI,
    WINDOWS_1258,
    decode_as,
    encoding_note,
    is_utf8,
    legacy_encoding,
)

#: Bytes of records read to decide (the whole table of any village or site layer).
_SAMPLE_BYTES = 16 * 1024 * 1024
#: The DBF header's language driver id (0: none given).
_LDID_OFFSET = 29
#: How a .cpg names the Vietnamese Windows code page, and UTF-8.
_WINDOWS_1258 = re.compile(r"(?:cp|windows-?|ansi\s*)?1258", re.IGNORECASE)
_UTF_8 = re.compile(r"utf-?8|65001", re.IGNORECASE)
#: Longest field name a DBF keeps, in bytes.
DBF_NAME_LENGTH = 10
#: Where the field descriptors of a DBF header start, and the length of each.
_DESCRIPTOR_OFFSET = 32
_DESCRIPTOR_BYTES = 32


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
                renamed[name] = _recoded_name(name, page)
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
    """A text GDAL decoded as ISO-8859-1, decoded in ``page`` instead (other values as they
    are); in UTF-8, a character the field's width cut at its end is left out."""
    if not isinstance(value, str):
        return value
    if page == "utf-8":
        return codecs.getincrementaldecoder(page)().decode(value.encode("latin-1"), final=False)
    return decode_as(value.encode("latin-1"), page)


def _recoded_name(name: object, page: str) -> object:
    """A field name as :func:`_recoded` reads it, less a character the 10-byte limit cut."""
    if not isinstance(name, str):
        return name
    if page in (TCVN3, VNI):  # no byte of a character is cut (a VNI mark cut leaves its vowel)
        return decode_as(name.encode("latin-1"), page)
    return codecs.getincrementaldecoder(page)().decode(name.encode("latin-1"), final=False)


def dbf_field_names(dbf: Path) -> list[bytes]:
    """The field names of a DBF as its header stores them (bytes, in field order)."""
    with dbf.open("rb") as fh:
        header = fh.read(_DESCRIPTOR_OFFSET)
        if len(header) < _DESCRIPTOR_OFFSET:
            return []
        header_bytes = struct.unpack_from("<H", header, 8)[0]
        descriptors = fh.read(max(header_bytes - _DESCRIPTOR_OFFSET, 0))
    names = []
    for start in range(0, len(descriptors) - _DESCRIPTOR_BYTES + 1, _DESCRIPTOR_BYTES):
        if descriptors[start] == 0x0D:  # the header's terminator
            break
        names.append(descriptors[start : start + DBF_NAME_LENGTH + 1].split(b"\0", 1)[0])
    return names


def _text_fields(header: bytes, descriptors: bytes) -> list[tuple[int, int]]:
    """``(offset, width)`` in a record of each text (``C``) field of a DBF header."""
    fields, offset = [], 1  # a record opens with its deletion flag
    for start in range(0, len(descriptors) - _DESCRIPTOR_BYTES + 1, _DESCRIPTOR_BYTES):
        if descriptors[start] == 0x0D:
            break
        kind, width = descriptors[start + 11], descriptors[start + 16]
        if kind == ord("C"):
            fields.append((offset, width))
        offset += width
    return fields


def _utf8_fields(dbf: Path) -> int | None:
    """How many text values of the DBF's first records (:data:`_SAMPLE_BYTES`) end in a UTF-8
    character their field's width cut, when every value is UTF-8 but for that; None when
    one is not (another encoding)."""
    with dbf.open("rb") as fh:
        header = fh.read(_DESCRIPTOR_OFFSET)
        if len(header) < _DESCRIPTOR_OFFSET:
            return None
        header_bytes, record_bytes = struct.unpack_from("<HH", header, 8)
        fields = _text_fields(header, fh.read(max(header_bytes - _DESCRIPTOR_OFFSET, 0)))
        fh.seek(header_bytes)
        records = fh.read(_SAMPLE_BYTES)
    cut = 0
    for start in range(0, len(records) - record_bytes + 1, max(record_bytes, 1)):
        for offset, width in fields:
            value = records[start + offset : start + offset + width].rstrip(b" \0")
            if is_utf8(value):
                continue
            if not is_utf8(value, complete=False):
                return None
            cut += 1
    return cut


def _first_undecodable(values: list[object], page: str) -> int | None:
    """The row of the first text in ``values`` that :func:`_recoded` cannot decode in ``page``."""
    for row, value in enumerate(values):
        try:
            _recoded(value, page)
        except UnicodeDecodeError:
            return row
    return None


def _cut_values(dbf: Path, notes: list[str]) -> DbfText | None:
    """UTF-8 read byte for byte, each value without the character its field's width cut
    (:func:`_utf8_fields`), with a note; None when no value is cut so (or one is not UTF-8)."""
    cut = _utf8_fields(dbf)
    if not cut:
        return None
    notes.append(
        f"read the attribute text as UTF-8: {cut} value{'s end' if cut > 1 else ' ends'} in a character "
        "the field's width cut, left out (widen the field in the source to keep it)"
    )
    return DbfText("ISO-8859-1", "utf-8")


def dbf_text(shp: Path, notes: list[str]) -> DbfText | None:
    """How to read the DBF beside ``shp``, or None to let GDAL decide.

    None when a ``.cpg`` names the encoding (but Windows-1258, which GDAL misreads, UTF-8
    with a name or a value cut inside a character, which GDAL cannot decode, and a UTF-8
    the text is not: read as what its bytes show), when there is no DBF, or when its names
    and text are plain ASCII (every encoding reads them alike). Adds a note when it guesses.
    """
    dbf = _sidecar(shp, ".dbf")
    if dbf is None:
        return None
    names = dbf_field_names(dbf)
    # A name cut inside a UTF-8 character: GDAL's UTF-8 decoding of it fails.
    cut_utf8 = any(not is_utf8(n) and is_utf8(n, complete=False) for n in names)
    utf8 = DbfText("ISO-8859-1", "utf-8") if cut_utf8 else DbfText("UTF-8")
    with dbf.open("rb") as fh:
        header = fh.read(32)
        if len(header) < 32:
            return None
        header_bytes = struct.unpack_from("<H", header, 8)[0]
        fh.seek(header_bytes)
        records = fh.read(_SAMPLE_BYTES)
    # A sample cut inside a multi-byte character is still UTF-8 (so is a cut name).
    names_utf8 = all(is_utf8(n, complete=False) for n in names)
    whole_utf8 = is_utf8(records, complete=False) and names_utf8
    cpg = _sidecar(shp, ".cpg")
    named = cpg.read_bytes()[:64].decode("ascii", errors="replace").strip() if cpg is not None else None
    if named is not None and not _UTF_8.fullmatch(named):
        # GDAL reads a named Windows-1258 with the decoder that drops last letters.
        return DbfText("ISO-8859-1", WINDOWS_1258) if _WINDOWS_1258.fullmatch(named) else None
    if named is not None and whole_utf8:
        return utf8 if cut_utf8 else None
    if named is None and records.isascii() and all(n.isascii() for n in names):
        return None
    if whole_utf8:
        notes.append("read the attribute text as UTF-8 (no .cpg file names its encoding)")
        return utf8
    if names_utf8 and (cut := _cut_values(dbf, notes)):
        return cut
    if named is None and header[_LDID_OFFSET] != 0:
        return None
    said = (
        f"its .cpg names {named}, but the text is not"
        if named is not None
        else "it is not UTF-8 and no .cpg file names its encoding"
    )
    legacy = legacy_encoding(records + b"".join(names))
    if legacy is not None:
        notes.append(f"attribute text: {encoding_note(legacy)}" + (f" ({said})" if named is not None else ""))
        return DbfText("ISO-8859-1", legacy)
    notes.append(
        f"read the attribute text as Windows-1258 (Vietnamese): {said}; add a .cpg if the names look wrong"
    )
    return DbfText("ISO-8859-1", WINDOWS_1258)
