"""Column headers (and status spellings) as operators and departments write them, read as schema fields.

Real exports name their columns in Vietnamese or in their own English ("Tên trạm",
"Độ cao anten (m)", "Site ID", "EIRP (dBm)"). The layer schemas own the accepted
spellings: an optional ``aliases:`` list per field in ``layers/<layer>.yaml``
(:attr:`coverage_gis.layers.FieldSchema.aliases`); this module owns how a header is
compared with them, in one function every import format passes through
(:func:`apply_aliases`, called by :mod:`coverage_gis.io` before validation) and the
site-edit CSVs reuse (:func:`match_headers`).

A header matches a field when its :func:`header_key` (NFC, casefold, trimmed, a
trailing unit in brackets or parentheses dropped, spaces, underscores, hyphens and
dots removed) equals the key of the field's name or of one of its aliases; failing
that, the same comparison with Vietnamese diacritics removed (``đ`` → ``d``), so that
"Ten tram" and a shapefile's "TEN_TRAM" match too. A dropped unit must be the field's own
(:data:`coverage_gis.layers.UNIT_SPELLINGS`) when the field has one: "EIRP (W)" is not
``eirp_dbm`` and "Tilt (rad)" not ``tilt_deg``; such a column is left unread, with a
note. A header that is the field's name (trimmed, any case: how validation reads
columns) always wins over an alias; two other headers read as the same field are an
error naming both. A field no header names is read from a column one of its
``fallback_aliases`` names (an operator's export identifying its sites by ``SITE_NAME``),
with a note (:func:`apply_aliases`).

Values are not translated, except where a field with ``allowed:`` values lists
``value_aliases:`` (Vietnamese spellings of a status, "đang phát sóng" → ``on_air``, or
of a fiber route's class, "truy nhập" → ``access``): those are compared the same way
(without the unit and separator rules; an allowed value written with other separators,
"On Air", is read too) and reported in a note (:func:`read_values`, also applied
to the status columns of site-edit CSVs). Speed tests keep their own table (:mod:`coverage_gis.io.speedtests`)
and coordinates theirs (:data:`coverage_gis.io.csv_points.LON_NAMES`), both looked up with
:func:`find_header`: the same comparison, but a header with a unit in brackets is taken
only when the caller accepts that unit (coordinates: degrees, so ``"Longitude (deg)"`` is a
longitude and ``"X (m)"``, a projected metre column, is not).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from typing import Any

import pandas as pd

from coverage_gis._values import is_blank
from coverage_gis.bands import band_mhz_text, band_numbers_mhz
from coverage_gis.errors import LayerValidationError
from coverage_gis.io.row_text import rows_counted
from coverage_gis.layers import FieldSchema, LayerSchema, is_unit_of
from coverage_gis.text_forms import LeadingValues, fold_diacritics, new_style_tones

__all__ = [
    "LISTED",
    "apply_aliases",
    "as_allowed",
    "cut_header_fields",
    "find_header",
    "fold_diacritics",
    "header_key",
    "header_units",
    "match_headers",
    "read_field_values",
    "read_values",
    "renames_note",
    "value_key",
]

#: One or more trailing bracketed units, with separators between and after them.
_TRAILING_UNITS = re.compile(r"(?:[\s_.\-]*(?:\([^()\[\]]*\)|\[[^()\[\]]*\]))+[\s_.\-]*\Z")
#: One bracketed unit's text.
_UNIT = re.compile(r"\(([^()\[\]]*)\)|\[([^()\[\]]*)\]")
_SEPARATOR_RUN = re.compile(r"[\s_.\-]+")
_WHITESPACE_RUN = re.compile(r"\s+")


def _fold_case(text: str) -> str:
    """``text`` NFC and casefolded, without combining marks that mark nothing: those that
    follow no letter or digit (``"()́"``), which NFC cannot compose and which would otherwise
    keep a bracket or separator from being read as one, and reappear as a difference once
    diacritics are folded."""
    folded = new_style_tones(unicodedata.normalize("NFC", unicodedata.normalize("NFC", text).casefold()))
    kept: list[str] = []
    for c in folded:
        marks_something = bool(kept) and (kept[-1].isalnum() or unicodedata.combining(kept[-1]) > 0)
        if not unicodedata.combining(c) or marks_something:
            kept.append(c)
    return "".join(kept)


def _squeeze(text: str) -> str:
    """``text`` without its runs of separators, composed again (a mark after a removed
    separator now follows a letter), its tone marks in the new style again (a vowel pair
    the separator split, ``o.ạ``, now ends a word)."""
    return new_style_tones(unicodedata.normalize("NFC", _SEPARATOR_RUN.sub("", text)))


def _split_header(header: object) -> tuple[str, tuple[str, ...]]:
    """(key, units) of a header: see :func:`header_key` and :func:`header_units`."""
    text = _fold_case(str(header)).strip()
    found = _TRAILING_UNITS.search(text)
    if found is None or not _squeeze(text[: found.start()]):
        return _squeeze(text), ()
    units = tuple(_squeeze(a or b) for a, b in _UNIT.findall(found.group()))
    return _squeeze(text[: found.start()]), units


def header_key(header: object) -> str:
    """The form of a header that is compared: ``"Độ cao anten (m)"`` → ``"độcaoanten"``.

    NFC, casefolded, trimmed, trailing units in brackets or parentheses dropped (unless
    nothing else is left), and every run of spaces, underscores, hyphens and dots removed.
    Idempotent.
    """
    return _split_header(header)[0]


def header_units(header: object) -> tuple[str, ...]:
    """The trailing units in brackets that :func:`header_key` drops, compared the same way:
    ``"Longitude (deg)"`` → ``("deg",)``, ``"X [m]"`` → ``("m",)``, ``"lon"`` → ``()``."""
    return _split_header(header)[1]


def find_header(
    columns: Iterable[str], spellings: Sequence[str], *, units: Collection[str] | None = ()
) -> str | None:
    """The column that names one of ``spellings``, compared as :func:`header_key` compares them.

    Spellings are tried in order (most specific first), each against every column, first as
    written and then without diacritics; the first column that matches wins.

    Parameters
    ----------
    columns
        The file's headers.
    spellings
        The accepted spellings of one column.
    units
        The units in brackets a matching header may carry (each compared without
        diacritics, as :func:`header_units` gives them); a header with any other unit is
        not this column. None: any unit; empty: a header with a unit in brackets never
        matches. (:func:`match_headers` takes a field's own units,
        :attr:`~coverage_gis.layers.FieldSchema.units`, and any unit for a field without one.)
    """
    keyed: list[tuple[str, str]] = []
    for column in columns:
        key, column_units = _split_header(column)
        if units is None or all(is_unit_of(u, units) for u in column_units):
            keyed.append((key, column))
    for fold in (_same, fold_diacritics):
        by_key: dict[str, str] = {}
        for key, column in keyed:
            by_key.setdefault(fold(key), column)
        for spelling in spellings:
            found = by_key.get(fold(header_key(spelling)))
            if found is not None:
                return found
    return None


def _same(text: str) -> str:
    return text


#: An opening bracket that a cut left unclosed, and what follows it.
_UNCLOSED = re.compile(r"[(\[][^()\[\]]*\Z")


def cut_header_fields(header: str, fields: Sequence[FieldSchema]) -> list[str]:
    """The fields that ``header``, cut short, may stand for (a DBF keeps 10 bytes of a name).

    Those with a spelling (name or alias) whose key without diacritics is longer than the
    header's and starts with it: ``"DO_CAO_ANT"`` → ``height_m`` (``độ cao anten``). Empty when
    the header is itself a spelling (:func:`match_headers` reads it) or has no letters.
    """
    key = fold_diacritics(header_key(_UNCLOSED.sub("", header)))
    if not key:
        return []
    spelled = {
        spec.name: {fold_diacritics(header_key(s)) for s in (spec.name, *spec.aliases)} for spec in fields
    }
    if any(key in keys for keys in spelled.values()):
        return []
    return [name for name, keys in spelled.items() if any(k.startswith(key) and k != key for k in keys)]


def value_key(value: str) -> str:
    """The form of a text value compared with ``value_aliases``: NFC, casefolded, single-spaced."""
    return _WHITESPACE_RUN.sub(" ", _fold_case(value)).strip()


def _is_exact(header: object, spec: FieldSchema) -> bool:
    """Whether ``header`` names ``spec`` as validation reads it (trimmed, any case)."""
    return str(header).strip().casefold() == spec.name.casefold()


def _key_table(fields: Sequence[FieldSchema], what: str) -> tuple[dict[str, str], dict[str, str]]:
    """Key → field name, for the spellings as written and without diacritics.

    An ambiguous table (two fields' spellings that compare equal) is a broken schema.
    """
    plain: dict[str, str] = {}
    bare: dict[str, str] = {}
    for spec in fields:
        for spelling in (spec.name, *spec.aliases):
            k = header_key(spelling)
            for table, entry in ((plain, k), (bare, fold_diacritics(k))):
                other = table.setdefault(entry, spec.name)
                if other != spec.name:
                    raise LayerValidationError(
                        f"alias {spelling!r} of {spec.name} reads the same as a spelling of {other}",
                        source=what,
                        field=spec.name,
                    )
    return plain, bare


def match_headers(
    columns: Iterable[object],
    fields: Sequence[FieldSchema],
    *,
    source: str,
    layer: str | None = None,
) -> tuple[dict[object, str], list[str]]:
    """Which columns to read as which fields.

    Parameters
    ----------
    columns
        The file's headers (a ``geometry`` column is left alone).
    fields
        The fields (with their aliases) the headers may name.
    source
        The file, named in errors.
    layer
        Named in errors and notes.

    Returns
    -------
    (renames, notes)
        Column → field name for every column read under another name than the
        field's own; notes about alias columns left unread because the file also has
        a column with the field's own name.

    Raises
    ------
    LayerValidationError
        Two columns, neither the field's own name, read as the same field.
    """
    plain, bare = _key_table(fields, f"layers/{layer}.yaml" if layer else source)
    headers = [c for c in columns if c != "geometry"]
    exact = {spec.name for spec in fields for c in headers if _is_exact(c, spec)}
    by_name = {spec.name: spec for spec in fields}
    by_field: dict[str, list[object]] = {}
    notes: list[str] = []
    prefix = f"{layer}: " if layer else ""
    written = {str(h) for h in headers}
    for column in headers:
        _refuse_repeated(column, written, plain, bare, source=source, layer=layer)
        if any(_is_exact(column, spec) for spec in fields):
            continue
        key, units = _split_header(column)
        name = (
            _field_of(key, plain, bare)
            or _listed_field(column, plain, bare)
            or _total_field(key, plain, bare, by_name)
            or _dated_field(column, plain, bare)
        )
        if name is None:
            continue
        wanted = by_name[name].units
        # A year in brackets ("Dân số (2024)") says when it was counted, not in what.
        other = [u for u in units if wanted and not is_unit_of(u, wanted) and not _TRAILING_YEAR.fullmatch(u)]
        if other:
            # "EIRP (W)", "Tilt (rad)": the field's name, another unit; its numbers are not the field's.
            notes.append(
                f"{prefix}{str(column)!r} not read as {name}: its unit ({', '.join(other)}) is not "
                f"{name}'s ({wanted[0]}); convert the column or name it {name}"
            )
            continue
        by_field.setdefault(name, []).append(column)
    renames: dict[object, str] = {}
    for name, found in by_field.items():
        if name in exact:
            shown = ", ".join(repr(str(c)) for c in found)
            notes.append(f"{prefix}{shown} not read as {name}: the file has a column named {name}")
            continue
        preferred = _preferred(found, by_name[name])
        if preferred is not None:
            left = ", ".join(repr(str(c)) for c in found if c != preferred)
            notes.append(f"{prefix}{left} not read as {name}: the file has {str(preferred)!r}, read as it")
            found = [preferred]
        if len(found) > 1:
            shown = " and ".join(repr(str(c)) for c in found)
            raise LayerValidationError(
                f"columns {shown} are both read as the field {name}; keep one of them "
                f"(or name one {name} exactly)",
                source=source,
                field=name,
                layer=layer,
            )
        renames[found[0]] = name
    # The field's own name in another case or with spaces around it ("SITE_ID", "Name"):
    # validation reads it so, and so does every step before it once it is spelled so.
    for spec in fields:
        own = [c for c in headers if _is_exact(c, spec)]
        if len(own) == 1 and own[0] != spec.name:
            renames[own[0]] = spec.name
    return renames, notes


def _field_of(key: str, plain: dict[str, str], bare: dict[str, str]) -> str | None:
    """The field a header's key names (:func:`_key_table`'s tables): as written, else
    without diacritics; None for none."""
    return plain.get(key) or bare.get(fold_diacritics(key))


#: A year a header ends with: ``Dân số năm 2024``, ``Số hộ 2023``, ``Dân số (2024)``.
_TRAILING_YEAR = re.compile(r"[\s_(\[-]*(?:năm|nam|year)?\s*(?:19|20)\d{2}\s*[)\]]?\s*\Z", re.IGNORECASE)


def _dated_field(column: object, plain: dict[str, str], bare: dict[str, str]) -> str | None:
    """The field a header names once the year it was counted in is left off (``Dân số năm
    2024``: population); None for none."""
    text = str(column)
    found = _TRAILING_YEAR.search(text)
    if found is None or found.start() == 0:
        return None
    return _field_of(header_key(text[: found.start()]), plain, bare)


#: How a table reader names the second column of a header the file repeats (pandas: ``X.1``).
_REPEATED = re.compile(r"(.+)\.(\d+)\Z")


def _preferred(columns: Sequence[object], spec: FieldSchema) -> object | None:
    """Of several ``columns`` read as ``spec``, the one spelled as its ``preferred_aliases``
    (the only one); None where there is no such one."""
    if len(columns) < 2 or not spec.preferred_aliases:
        return None
    keys = {fold_diacritics(header_key(a)) for a in spec.preferred_aliases}
    chosen = [c for c in columns if fold_diacritics(_split_header(c)[0]) in keys]
    return chosen[0] if len(chosen) == 1 else None


def _refuse_repeated(
    column: object,
    written: set[str],
    plain: dict[str, str],
    bare: dict[str, str],
    *,
    source: str,
    layer: str | None,
) -> None:
    """Raise where ``column`` is the reader's name for a second column of a header the file
    repeats (``AZIMUTH`` twice: ``AZIMUTH.1``; ``written``: every header, as text) and that
    header names a field: the file does not say which of them holds the field's values."""
    found = _REPEATED.match(str(column))
    if found is None or found.group(1) not in written:
        return
    name = _field_of(_split_header(found.group(1))[0], plain, bare)
    if name is not None:
        raise LayerValidationError(
            f"the file has two columns named {found.group(1)!r}, both read as the field {name}; "
            "keep one (or rename the other)",
            source=source,
            field=name,
            layer=layer,
        )


#: What separates the alternatives of one header ("Tên thôn/bản", "Tên thôn, tổ dân phố").
_ALTERNATIVES = re.compile(r"\s*[/,;]\s*|\s+(?:và|hoặc|hay)\s+")


def _listed_field(header: object, plain: dict[str, str], bare: dict[str, str]) -> str | None:
    """The field a header listing alternatives names: its first names a field, and each other,
    as it is or after the first one's leading word ("Tên thôn/bản": "tên bản"), names the
    same field; None otherwise (two fields' columns in one header are not read)."""
    text = _fold_case(str(header)).strip()
    units = _TRAILING_UNITS.search(text)
    head, *rest = _ALTERNATIVES.split(text[: units.start()] if units is not None else text)
    if not rest:
        return None

    def field(spelled: str) -> str | None:
        return _field_of(_squeeze(spelled), plain, bare)

    first = field(head)
    words = head.split()
    lead = words[0] + " " if len(words) > 1 else ""
    if first is None or not all(p and first in (field(p), field(lead + p)) for p in rest):
        return None
    return first


#: The word a report puts before a count it sums ("Tổng số hộ": all the village's households).
_TOTAL = "tổng"


def _total_field(
    key: str, plain: dict[str, str], bare: dict[str, str], fields: dict[str, FieldSchema]
) -> str | None:
    """The number field a header names after "Tổng" ("Tổng số khẩu": ``số khẩu``), or None.
    (Not an alias of its own: cut to a DBF's 10 bytes, "Tổng số hộ" and "Tổng số khẩu"
    would read alike.)"""
    for word in (_TOTAL, fold_diacritics(_TOTAL)):
        if key.startswith(word) and len(key) > len(word):
            name = _field_of(key[len(word) :], plain, bare)
            if name is not None and fields[name].type in ("int", "float"):
                return name
    return None


def renames_note(label: str, renames: dict[object, str]) -> str | None:
    """The note that says which columns were read as which fields (a field's own name in
    another case is no news to the user); None when there is nothing to say."""
    told = [(c, f) for c, f in renames.items() if str(c).strip().casefold() != f.casefold()]
    if not told:
        return None
    return f"{label}: columns read as: " + ", ".join(f"{str(c)!r} → {f}" for c, f in told)


def _value_renames(series: pd.Series, spec: FieldSchema) -> dict[str, str]:
    """Distinct text values of ``series`` spelled as one of ``spec.value_aliases``, as an
    allowed value with other separators (``On Air`` for ``on_air``) or without its
    diacritics (``thon`` for ``thôn``, where that is one allowed value), or, where the field
    reads values by their lead (``value_leads``), beginning with a spelling → the allowed value."""
    plain = {value_key(k): v for k, v in spec.value_aliases}
    # An allowed value typed without its diacritics ("thon" for "thôn", as many exports
    # strip them) where no other allowed value folds the same way.
    folded: dict[str, set[str]] = {}
    for a in spec.allowed or ():
        folded.setdefault(fold_diacritics(value_key(a)), set()).add(a)
    bare = {k: next(iter(v)) for k, v in folded.items() if len(v) == 1}
    bare.update({fold_diacritics(k): v for k, v in plain.items()})
    named = {value_key(a): a for a in spec.allowed or ()}
    allowed = set(named)
    squeezed = {_squeeze(value_key(a)): a for a in spec.allowed or ()}
    # A value beginning with a spelling ("Trường PTDTNT …"), where the field reads so.
    leading = LeadingValues(spec.value_spellings) if spec.value_leads else None
    # What a bracket remark begins with, built on the first remark (most columns have none).
    remark_leads = leading
    out: dict[str, str] = {}
    for value in series.dropna().unique():
        if not isinstance(value, str) or value_key(value) in allowed:
            continue
        key = value_key(value)
        # (An alias may read as "", a blank: looked up by presence, not truth.)
        canonical = next(
            (found for found in (plain.get(key), bare.get(fold_diacritics(key))) if found is not None),
            squeezed.get(_squeeze(key)),
        )
        if canonical is None and leading is not None:
            canonical = _lead_of_one(value, leading)
        if canonical is None:
            canonical = _by_words(
                key, lambda word: plain.get(word, named.get(word, bare.get(fold_diacritics(word))))
            )
        remark = _REMARK.search(key)
        if canonical is None and remark is not None and remark.start() > 0:
            # A remark in brackets after a spelling ("Đã phát sóng (swap)"): the spelling's value,
            # unless the remark begins with another value's spelling ("Đang phát sóng (tạm dừng
            # từ 01/2025)": the later state; which one holds is the sender's to say).
            bare_key = key[: remark.start()]
            canonical = plain.get(bare_key, named.get(bare_key, bare.get(fold_diacritics(bare_key))))
            remark_leads = remark_leads or LeadingValues(spec.value_spellings)
            said = remark_leads(remark.group().strip(" ()[]"))
            if said is not None and said != canonical:
                canonical = None
        if canonical is not None:
            out[value] = canonical
    return out


#: A remark in brackets at the end of a value.
_REMARK = re.compile(r"\s*[(\[][^()\[\]]*[)\]]\s*\Z")


#: Where a value that lists several (``Viettel + VNPT``, ``Viettel, MobiFone``, ``A - B``) splits.
LISTED = re.compile(r"\s*(?:[/;,+&|]|\s-\s|\bvà\b|\band\b)\s*", re.IGNORECASE)


#: Where a value lists several things for certain (a spaced dash or "và" may join a name's parts).
_LIST_MARKS = re.compile(r"\s*[/;,+&|]\s*")


def _lead_of_one(value: str, leading: LeadingValues) -> str | None:
    """The value ``value`` begins with, unless it lists others that begin with another
    (``Viettel + MobiFone`` names two operators, not Viettel: validation refuses it, and a
    cells list spreads it, :mod:`coverage_gis.io.sector_lists`), or lists after a ``/ + & , ;``
    one that begins with none (``VNPT/MBF``: a shared mast's second operator, unknown here,
    would be lost)."""
    found = leading(value)
    if found is None:
        return None
    others = {leading(piece) for piece in LISTED.split(value) if piece.strip()} - {None, found}
    unknown = any(leading(piece) is None for piece in _LIST_MARKS.split(value)[1:] if piece.strip())
    return None if others or unknown else found


#: A value's words: runs of letters and digits, a decimal number one word with what follows it
#: (``4.5g`` is one generation, not a ``4`` and a ``5g``).
_WORDS = re.compile(r"\d+[.,]\d+[^\W_]*|[^\W_]+")
#: A word of letters then digits (``lte1800``, ``n78``, ``4g1800``): a spelling and a number run together.
_LETTERS_DIGITS = re.compile(r"\A(\d?[^\W\d_]+)(\d+)\Z")


def _by_words(key: str, spelled: Callable[[str], str | None]) -> str | None:
    """The allowed value ``key`` (a value no spelling names whole) reads as without its
    numbers (``lte 1800``, ``lte fdd 1800``, ``5g-sa``, ``nr3500``: a spelling and a number
    run together), else the one every word of it reads as (``3g umts``, ``4g/lte``); None
    where a word is no spelling, none is, or two read differently (``2g/3g``: validation
    refuses it)."""
    words = []
    for word in _WORDS.findall(key):
        split = _LETTERS_DIGITS.match(word)
        if split and spelled(word) is None:
            word = split.group(1)
        if not word.isdigit():
            words.append(word)
    whole = spelled(" ".join(words)) if words else None
    if whole:
        return whole
    found = {spelled(word) for word in words}
    if len(found) != 1 or None in found or "" in found:
        return None
    return found.pop()


def read_values(series: pd.Series, spec: FieldSchema, *, label: str, notes: list[str]) -> pd.Series:
    """``series`` (a column read as ``spec``) with its values spelled as the schema spells them,
    other values as they are (validation reports those); ``notes`` gets ``"<label> values read
    as: …"`` with the number of rows of each spelling.

    A field with ``value_aliases`` reads them (and an allowed value with other separators),
    and an allowed value in another case (``4g``, ``ftth``) as that value, silently, as
    validation reads it (so that a caller reading the values sees the schema's spelling);
    a frequency in MHz reads the band names exports use (``B3``, ``L1800``:
    :func:`coverage_gis.bands.band_mhz_text`).
    """
    if spec.value_aliases or spec.allowed:
        spelled = _replaced(series, _value_renames(series, spec), label=label, notes=notes)
        allowed = {value_key(a): a for a in spec.allowed or ()}
        cased = {
            v: allowed[value_key(v)]
            for v in spelled.dropna().unique()
            if isinstance(v, str) and value_key(v) in allowed and v != allowed[value_key(v)]
        }
        return spelled.mask(spelled.isin(list(cased)), spelled.map(cased)) if cased else spelled
    if spec.type in ("float", "int") and is_unit_of("mhz", spec.units):
        distinct = series.dropna().unique()
        bands = {v: mhz for v in distinct if (mhz := band_mhz_text(v)) is not None}
        rest = [v for v in distinct if v not in bands and not is_blank(v)]
        numbers = band_numbers_mhz(rest) if rest else None
        if numbers is not None:
            # Every other value a band's number ("Frequency Band": 3, 8, 7), none a frequency.
            notes.append(f"{label}: whole numbers below 400 read as 3GPP band numbers")
            bands.update(numbers)
        return _replaced(series, bands, label=label, notes=notes, unit=" MHz")
    return series


def as_allowed(values: pd.Series, spec: FieldSchema) -> pd.Series:
    """``values`` read as :func:`read_values` reads them, each one that reads as none of
    ``spec``'s allowed values None; without notes (a caller asking what a column or a list
    would read as, before it reads it)."""
    read = read_values(values.astype(object), spec, label="", notes=[])
    return read.where(read.isin(spec.allowed or ()), None).astype(object)


def _replaced(
    series: pd.Series, renames: Mapping[Any, str], *, label: str, notes: list[str], unit: str = ""
) -> pd.Series:
    """``series`` with the values in ``renames`` replaced, and the note that lists them with
    their rows (``series`` itself when there are none)."""
    if not renames:
        return series
    renamed = series.isin(list(renames))
    counts = series[renamed].value_counts()
    notes.append(
        f"{label} values read as: "
        + ", ".join(
            f"{v!r} → {new or 'blank'}{unit} ({rows_counted(int(counts.get(v, 0)))})"
            for v, new in renames.items()
        )
    )
    return series.mask(renamed, series.map(renames))


def apply_aliases(
    frame: pd.DataFrame,
    schema: LayerSchema,
    *,
    source: str,
    notes: list[str],
    before_values: Callable[[pd.DataFrame], pd.DataFrame] | None = None,
) -> pd.DataFrame:
    """``frame`` with its columns named as ``schema``'s fields where a header is an alias,
    and status spellings in ``value_aliases`` replaced by the allowed value; ``notes`` say what.

    ``before_values`` is given the frame with its columns named, its values as the file
    writes them (a cell's ``U900`` names its band as well as its radio), and returns the
    frame whose values are then read.

    Raises
    ------
    LayerValidationError
        Two columns read as the same field (see :func:`match_headers`).
    """
    renames, shadowed = match_headers(frame.columns, schema.fields, source=source, layer=schema.name)
    notes.extend(shadowed)
    fallbacks = _fallback_columns(frame.columns, renames, schema)
    if renames:
        note = renames_note(schema.name, renames)
        if note:
            notes.append(note)
        frame = frame.rename(columns=renames)
    if fallbacks:
        frame = frame.copy()
        fields = set(schema.field_names)
        for name, column in fallbacks.items():
            current = renames.get(column, column)
            # A column read as another field is read as this one too; any other, as this one.
            also = current in fields
            values = frame[current]
            if not also:
                frame = frame.drop(columns=[current])
            frame[name] = values
            notes.append(
                f"{schema.name}: no {name} column: {str(column)!r} read as {name}{' too' if also else ''}"
            )
    if before_values is not None:
        frame = before_values(frame)
    by_key = {str(c).strip().casefold(): c for c in frame.columns if c != "geometry"}
    for spec in schema.fields:
        column = by_key.get(spec.name.casefold())
        if column is not None:
            frame = read_field_values(frame, column, spec, label=f"{schema.name}: {spec.name}", notes=notes)
    return frame


def _fallback_columns(
    columns: Iterable[object], renames: Mapping[object, str], schema: LayerSchema
) -> dict[str, object]:
    """Field → the column read as it by a :attr:`~coverage_gis.layers.FieldSchema.fallback_aliases`
    spelling (the first of them a header matches), for each field no column names."""
    headers = [c for c in columns if c != "geometry"]
    named = set(renames.values()) | {str(c).strip().casefold() for c in headers}
    keys = {c: _split_header(c)[0] for c in headers}
    found: dict[str, object] = {}
    for spec in schema.fields:
        if not spec.fallback_aliases or spec.name in named or spec.name.casefold() in named:
            continue
        for spelling in spec.fallback_aliases:
            want = header_key(spelling)
            match = [c for c, k in keys.items() if k == want or fold_diacritics(k) == fold_diacritics(want)]
            if match:
                found[spec.name] = match[0]
                break
    return found


def read_field_values(
    frame: pd.DataFrame, column: object, spec: FieldSchema, *, label: str, notes: list[str]
) -> pd.DataFrame:
    """``frame`` with ``column`` read as :func:`read_values` reads a column of ``spec``."""
    original = frame[column]
    values = read_values(original, spec, label=label, notes=notes)
    if values is original:  # nothing spelled otherwise
        return frame
    frame = frame.copy()
    frame[column] = values
    return frame
