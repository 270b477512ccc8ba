"""Which encoding a file's text is in, when the file does not say: one policy for every importer.

Vietnamese files reach us in three encodings. UTF-8 (with or without a byte-order
mark) is what QGIS, scripts and Excel's "CSV UTF-8" write. Excel's "CSV (Comma
delimited)" on a Vietnamese Windows writes Windows-1258, the Vietnamese code page,
which stores most tone marks as combining characters after the base letter. Excel's
"Unicode Text" writes UTF-16 with a byte-order mark (tab delimited).

The policy (:func:`text_encoding`): a UTF-16 byte-order mark means UTF-16; bytes that
are valid UTF-8 are UTF-8 (other 8-bit encodings almost never form valid multi-byte
UTF-8 sequences); anything else is taken as Windows-1258. The shapefile reader
(:mod:`coverage_gis.io.dbf`) decides a DBF's text by :func:`is_utf8`, and the CSV
readers decode through :func:`decode_text`, which also composes the text (NFC), tells
the user in a note when it was not UTF-8, and names the file and the offset of a byte
that no accepted encoding reads. Windows-1258 is decoded here, never by GDAL (whose
decoder drops the last letter of every string). Older Vietnamese data typed in
TCVN3 (ABC, the .VnTime fonts) is told from Windows-1258 by the bytes that are letters in
it and symbols in Windows-1258 (:func:`looks_tcvn3`) and read with :func:`decode_as`.
Data typed in VNI (VNI-Windows, the VNI-Times fonts) spells a vowel's marks as a second
letter after it (``ệ`` = ``e`` + ``ä``, ``đ`` = ``ñ``): it is told from Windows-1258 by
those letters (``ä å æ ë î ï ñ ö ø û ü``, which Vietnamese in Windows-1258 never
uses; :func:`looks_vni`) and read with :func:`decode_as` too.
"""

from __future__ import annotations

import codecs
import re
import unicodedata

from coverage_gis.errors import LayerValidationError

#: Python's name of Windows-1258, the Vietnamese Windows code page.
WINDOWS_1258 = "cp1258"
#: Python's name of UTF-8 with an optional byte-order mark (dropped when decoding).
UTF_8 = "utf-8-sig"
#: Python's name of UTF-16 after a byte-order mark (which tells the byte order; dropped).
UTF_16 = "utf-16"
#: This module's name of TCVN3 (ABC), the encoding of the .VnTime fonts that older Vietnamese
#: data was typed in; Python has no codec for it (:func:`decode_as` reads it).
TCVN3 = "tcvn3"
#: The longest UTF-8 sequence less one: how much a sample cut inside a character can miss.
_CUT_UTF8 = 3
#: TCVN3's Vietnamese letters and the bytes that hold them (the small letters, and the
#: capitals without a tone; capitals with one exist only in .VnTimeH fonts, on these bytes).
_TCVN3_LETTERS = "àáảãạăằắẳẵặâầấẩẫậđèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵĂÂĐÊÔƠƯ"
_TCVN3_BYTES = bytes.fromhex(
    "b5b8b6b7b9 a8bbbebcbdc6 a9c7cac8c9cb aeccd0cecfd1 aad2d5d3d4d6 d7ddd8dcde dfe3e1e2e4 "
    "abe5e8e6e7e9 aceaedebecee eff3f1f2f4 adf5f8f6f7f9 fafdfbfcfe a1a2a7a3a4a5a6"
)
_FROM_TCVN3 = {b: ord(c) for b, c in zip(_TCVN3_BYTES, _TCVN3_LETTERS, strict=True)}
#: Bytes that are letters in TCVN3 (ă â ê ô ơ ư đ, the capitals, à á ả ã ạ ằ ắ ẳ ẵ) but
#: symbols in Windows-1258 (``¨ © ª « ¬ ® µ ¸``), which Vietnamese text in it hardly uses;
#: ``°`` (0xB0) and the other symbols of coordinates are not among them.
_TCVN3_ONLY = frozenset(range(0xA1, 0xAF)) | frozenset(range(0xB5, 0xBA)) | frozenset(range(0xBB, 0xBF))
#: The share of a text's non-ASCII bytes that :data:`_TCVN3_ONLY` bytes reach in TCVN3.
_TCVN3_SHARE = 0.3
#: This module's name of VNI-Windows, the encoding of the VNI-Times fonts; Python has no
#: codec for it (:func:`decode_as` reads it).
VNI = "vni"
#: VNI's marks after a vowel (capital forms; a small vowel takes the small ones): the
#: five tones alone, the circumflex (``â ê ô``) with each, and the breve (``ă``) with each.
_VNI_TONES = "ÙØÛÕÏ"
_VNI_CIRCUMFLEX = "ÂÁÀÅÃÄ"
_VNI_BREVE = "ÊÉÈÚÜË"
#: Unicode's combining tones in VNI's order: acute, grave, hook above, tilde, dot below.
_TONES = "\u0301\u0300\u0309\u0303\u0323"
#: Letters VNI writes in one byte: ơ ư đ and the i's (and ỵ), capitals.
_VNI_SINGLE = {"Ô": "Ơ", "Ö": "Ư", "Ñ": "Đ", "Í": "Í", "Ì": "Ì", "Æ": "Ỉ", "Ó": "Ĩ", "Ò": "Ị", "Î": "Ỵ"}
#: Bytes that are marks or letters in VNI but letters Vietnamese never uses in
#: Windows-1258 (``Ä Å Æ Ë Î Ï Ñ Ö Ø Û Ü`` and their small forms).
_VNI_ONLY = frozenset("ÄÅÆËÎÏÑÖØÛÜäåæëîïñöøûü".encode("latin-1"))


def _vni_letters() -> dict[str, str]:
    """VNI's spelling (as ISO-8859-1 text) → the Vietnamese letter, capitals and small."""
    capitals: dict[str, str] = dict(_VNI_SINGLE)
    for base, letter in (("A", "A"), ("E", "E"), ("O", "O"), ("Ô", "Ơ"), ("U", "U"), ("Ö", "Ư"), ("Y", "Y")):
        for mark, tone in zip(_VNI_TONES, _TONES, strict=True):
            capitals[base + mark] = unicodedata.normalize("NFC", letter + tone)
    for base in "AEO":
        capitals[base + _VNI_CIRCUMFLEX[0]] = unicodedata.normalize("NFC", base + "\u0302")
        for mark, tone in zip(_VNI_CIRCUMFLEX[1:], _TONES, strict=True):
            capitals[base + mark] = unicodedata.normalize("NFC", base + "\u0302" + tone)
    capitals["A" + _VNI_BREVE[0]] = "Ă"
    for mark, tone in zip(_VNI_BREVE[1:], _TONES, strict=True):
        capitals["A" + mark] = unicodedata.normalize("NFC", "Ă" + tone)
    capitals["YÏ"] = "Ỵ"
    small = {spelling.lower(): letter.lower() for spelling, letter in capitals.items()}
    return capitals | small


_FROM_VNI = _vni_letters()
#: Every Vietnamese letter that is not ASCII, capital and small (NFC).
_VIETNAMESE_LETTERS = frozenset(_FROM_VNI.values())
#: How much of a file :func:`looks_vni` reads both ways.
_VNI_SAMPLE_BYTES = 1 << 18
#: A VNI spelling: two-letter ones first, so that a vowel takes its mark.
_VNI_SPELLING = re.compile("|".join(sorted(map(re.escape, _FROM_VNI), key=len, reverse=True)))


def looks_tcvn3(data: bytes) -> bool:
    """Whether 8-bit ``data`` (not UTF-8) is TCVN3 rather than Windows-1258: at least
    :data:`_TCVN3_SHARE` of its non-ASCII bytes, and two at least, are TCVN3-only letters."""
    high = [b for b in data if b >= 0x80]
    marked = sum(b in _TCVN3_ONLY for b in high)
    return marked >= 2 and marked >= _TCVN3_SHARE * len(high)


def looks_vni(data: bytes) -> bool:
    """Whether 8-bit ``data`` (not UTF-8, not TCVN3) is VNI rather than Windows-1258: it
    holds a letter only VNI's Vietnamese uses, and read as VNI its first
    :data:`_VNI_SAMPLE_BYTES` hold fewer letters Vietnamese does not have than read as
    Windows-1258 (VNI's marks read as Windows-1258 are ``ä ñ ö ø``…; Windows-1258's
    ``đ`` and tilde read as VNI are ``ð`` and ``Þ``)."""
    if _VNI_ONLY.isdisjoint(data):
        return False
    sample = data[:_VNI_SAMPLE_BYTES]
    as_vni = _foreign_letters(decode_as(sample, VNI))
    return as_vni < _foreign_letters(sample.decode(WINDOWS_1258, errors="replace"))


def _foreign_letters(text: str) -> int:
    """How many letters of ``text`` (and marks left alone once composed) are neither
    ASCII nor Vietnamese."""
    composed = unicodedata.normalize("NFC", text)
    return sum(
        1
        for c in composed
        if not c.isascii() and c not in _VIETNAMESE_LETTERS and (c.isalpha() or unicodedata.combining(c))
    )


def decode_as(data: bytes, encoding: str, *, errors: str = "strict") -> str:
    """``data`` decoded in ``encoding``: a Python codec, or :data:`TCVN3` or :data:`VNI`
    (any byte reads). TCVN3 capitals typed in a .VnTimeH font are read as capitals
    (:func:`_h_font_capitals`)."""
    if encoding == TCVN3:
        return _h_font_capitals(data.decode("latin-1").translate(_FROM_TCVN3))
    if encoding == VNI:
        return _VNI_SPELLING.sub(lambda m: _FROM_VNI[m.group()], data.decode("latin-1"))
    return data.decode(encoding, errors=errors)


#: TCVN3's small letters: the bytes a .VnTimeH font shows as the capitals TCVN3 lacks.
_TCVN3_SMALL = "".join(c for c in _TCVN3_LETTERS if c.islower())
#: A small TCVN3 letter before a capital ASCII one, or after two (``ôN`` in ``THôN``,
#: ``HOà``): where a line may hold .VnTimeH capitals (never in a normal font's words).
_H_FONT_SIGN = re.compile(f"[{_TCVN3_SMALL}][A-Z]|[A-Z]{{2}}[{_TCVN3_SMALL}]")
#: A run of words with their spaces and in-name marks (a CSV's commas, tabs and quotes
#: part such runs), and a word.
_TCVN3_PHRASE = re.compile(f"[0-9A-Za-z{_TCVN3_LETTERS} .'/-]+")
_TCVN3_WORD = re.compile(f"[A-Za-z{_TCVN3_LETTERS}]+")
_SMALL_ASCII = re.compile("[a-z]")


def _h_font_capitals(text: str) -> str:
    """TCVN3 text with the capitals typed in a .VnTimeH font made capitals.

    TCVN3 has no capitals with a tone mark (Ấ, Ộ…): a .VnTimeH font draws them on the
    small letters' bytes, so ``THÔN ẤP 3`` typed in it reads ``THôN ấP 3``. A word that
    mixes a small TCVN3 letter with a capital ASCII one other than as its first letter
    (``THôN``, ``ấP``; not ``Xã``, which a normal font writes alike) is such text, and so
    is every word of its run that holds no small ASCII letter: the run is read in capitals
    (``XÃ BÌNH THUẬN``). Text with a small ASCII letter is a normal font's, as it is.
    Only the lines that show such a word are looked at (:data:`_H_FONT_SIGN`).
    """
    pieces: list[str] = []
    done = 0
    for sign in _H_FONT_SIGN.finditer(text):
        if sign.start() < done:
            continue  # a later sign in a line already read
        lo = text.rfind("\n", 0, sign.start()) + 1
        hi = text.find("\n", sign.end())
        hi = len(text) if hi < 0 else hi
        pieces += [text[done:lo], _TCVN3_PHRASE.sub(_phrase_capitals, text[lo:hi])]
        done = hi
    return "".join([*pieces, text[done:]]) if pieces else text


def _phrase_capitals(found: re.Match[str]) -> str:
    """A run of words in capitals when it is .VnTimeH text (:func:`_h_font_capitals`)."""
    phrase = found.group()
    if _SMALL_ASCII.search(phrase) is None and any(map(_typed_in_h_font, _TCVN3_WORD.findall(phrase))):
        return phrase.upper()
    return phrase


def _typed_in_h_font(word: str) -> bool:
    """Whether a word without small ASCII letters mixes a small TCVN3 letter with a capital
    ASCII one that is not (alone) its first letter."""
    upper = sum(1 for c in word if "A" <= c <= "Z")
    small = any(c in _TCVN3_SMALL for c in word)
    return small and (upper >= 2 or (upper == 1 and not ("A" <= word[0] <= "Z")))


def encode_vni(text: str) -> bytes:
    """``text`` (ASCII and Vietnamese letters, NFC) as VNI bytes: for tests and fixtures."""
    to_vni = {letter: spelling for spelling, letter in _FROM_VNI.items() if len(letter) == 1}
    # Each letter's own spelling (Í is í, YÏ and Î both ỵ: Î, VNI's).
    to_vni |= {"Ỵ": "Î", "ỵ": "î"}
    return "".join(to_vni.get(c, c) for c in text).encode("latin-1")


def encode_tcvn3(text: str) -> bytes:
    """``text`` (ASCII and TCVN3's letters, NFC) as TCVN3 bytes: for tests and fixtures."""
    to_tcvn3 = {ord(c): b for b, c in zip(_TCVN3_BYTES, _TCVN3_LETTERS, strict=True)}
    return bytes(to_tcvn3.get(ord(c), ord(c)) for c in text)


def is_utf8(data: bytes, *, complete: bool = True) -> bool:
    """Whether ``data`` is valid UTF-8 (plain ASCII included).

    Parameters
    ----------
    data
        The bytes, or the first bytes of a file.
    complete
        False when ``data`` is a sample cut from a longer file: a character cut at its
        end is then still UTF-8.
    """
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        cut = exc.start >= len(data) - _CUT_UTF8 and exc.reason == "unexpected end of data"
        return not complete and cut
    return True


def text_encoding(data: bytes, *, complete: bool = True) -> str:
    """The encoding ``data`` is read in: :data:`UTF_16` after a UTF-16 byte-order mark,
    :data:`UTF_8` when it is valid UTF-8, :data:`TCVN3` or :data:`VNI` when its letters
    show it, else :data:`WINDOWS_1258` (see the module notes).

    ``complete`` is as for :func:`is_utf8`.
    """
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return UTF_16
    if is_utf8(data, complete=complete):
        return UTF_8
    return legacy_encoding(data) or WINDOWS_1258


def legacy_encoding(data: bytes) -> str | None:
    """:data:`TCVN3` or :data:`VNI` when 8-bit ``data`` (not UTF-8) shows that encoding's
    letters, else None."""
    if looks_tcvn3(data):
        return TCVN3
    return VNI if looks_vni(data) else None


def font_text_note(encoding: str) -> str:
    """What the user is told when text typed in a legacy Vietnamese font, and stored as
    that font's bytes taken for Latin-1 characters, was read in ``encoding``."""
    fonts = "TCVN3 (ABC, the .VnTime fonts)" if encoding == TCVN3 else "VNI (the VNI-Times fonts)"
    return (
        f"read the text as typed in {fonts}: its characters are that font's letters, one a byte. "
        "Convert the file to Unicode (e.g. with Unikey's converter) if the names look wrong"
    )


def encoding_note(encoding: str) -> str | None:
    """What the user is told when text was read in ``encoding`` (None for UTF-8)."""
    if encoding == WINDOWS_1258:
        return (
            "read the text as Windows-1258 (Vietnamese): it is not UTF-8 (Excel's 'CSV (Comma "
            "delimited)' on a Vietnamese Windows writes it); save it as 'CSV UTF-8' if the names look wrong"
        )
    if encoding == UTF_16:
        return "read the text as UTF-16: it starts with a UTF-16 byte-order mark (Excel's 'Unicode Text')"
    if encoding == TCVN3:
        return (
            "read the text as TCVN3 (ABC, the .VnTime fonts' encoding): it is not UTF-8 and its letters "
            "are TCVN3's (capitals typed in a .VnTimeH font read as capitals where a word shows them). "
            "Convert it to Unicode (e.g. with Unikey's converter) if the names look wrong"
        )
    if encoding == VNI:
        return (
            "read the text as VNI (VNI-Windows, the VNI-Times fonts' encoding): it is not UTF-8 and its "
            "letters are VNI's. Convert it to Unicode (e.g. with Unikey's converter) if the names look wrong"
        )
    return None


def decode_text(data: bytes, *, source: str, notes: list[str]) -> str:
    """A whole file's text, composed (NFC), in the encoding :func:`text_encoding` picks.

    Parameters
    ----------
    data
        The file's bytes.
    source
        The file, named in errors.
    notes
        Gets a note when the text is not UTF-8.

    Raises
    ------
    LayerValidationError
        Bytes that the encoding does not read (UTF-16 cut short or with a lone
        surrogate; neither UTF-8 nor Windows-1258), naming the offset of the first one.
    """
    encoding = text_encoding(data)
    try:
        text = decode_as(data, encoding)
    except UnicodeDecodeError as exc:
        raise LayerValidationError(_undecodable(data, encoding, exc), source=source) from None
    note = encoding_note(encoding)
    if note is not None:
        notes.append(note)
    return unicodedata.normalize("NFC", text)


def _undecodable(data: bytes, encoding: str, exc: UnicodeDecodeError) -> str:
    """Why ``data`` cannot be read in ``encoding``, with the offsets that show it."""
    save = "save it as 'CSV UTF-8' (Excel: File > Save As > CSV UTF-8)"
    if encoding == UTF_16:
        return (
            "is not UTF-16 text, though it starts with a UTF-16 byte-order mark "
            f"(bad bytes at offset {exc.start}); {save}"
        )
    return (
        f"is neither UTF-8 text (bad byte at offset {_utf8_error_at(data)}) nor Windows-1258 text (byte "
        f"0x{data[exc.start]:02X} at offset {exc.start} is not a Windows-1258 character); {save}"
    )


def _utf8_error_at(data: bytes) -> int:
    """The offset of the first byte of ``data`` that is not UTF-8 (its length when all are)."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start
    return len(data)


def head_text(head: bytes, *, complete: bool) -> str | None:
    """The first bytes of a file as text, to tell its format; None when they are not text.

    Bytes that the encoding does not read become U+FFFD (the import then reports them
    with :func:`decode_text`); a NUL character means binary data (or UTF-16 without
    its byte-order mark), not text that is read.

    Parameters
    ----------
    head
        The file's first bytes.
    complete
        False when the file is longer than ``head``.
    """
    text = decode_as(head, text_encoding(head, complete=complete), errors="replace")
    return None if "\x00" in text else text
