"""Degrees-minutes-seconds coordinates as planners and operators write them.

Site lists typed by hand or exported from a GPS survey give coordinates as
``108°55'12.3"E``, ``108° 55' 12.3" E``, ``13°46'N``, ``108 55 12.3`` or
``108°55.205'``. :func:`dms_degrees` reads one such text into decimal degrees for
one axis; :func:`coverage_gis.io.csv_points.parse_numbers` calls it for the lon/lat
columns of a CSV or XLSX table when a value is not a plain decimal number (those
keep their exact meaning, decimal comma included).

Accepted, after Unicode NFC and upper-casing:

- marks: ``°`` (also ``º`` and ``˚``), ``'`` (also ``′``, ``’``, ``‘``) for minutes,
  ``"`` (also ``″``, ``“``, ``”`` and two apostrophes) for seconds; every mark may
  be left out when the parts are separated by spaces;
- marks as typed where ``°`` is not on the keyboard (:func:`_typed_marks`): an ``o`` or
  ``*`` between digits for degrees (``109o06'03.8"``), the words ``độ``, ``phút``,
  ``giây`` (``109 độ 06 phút 03,8 giây``), colons (``109:13:09.8``), the letters
  ``d``, ``m``, ``s`` (``109d13m09.8s``), and dots alone where a value holds more than
  one (``109.13.09,8``: no decimal number has two points);
- only the last part may have decimals (a point or a comma);
- a hemisphere letter before or after the value: ``N``/``S`` for latitude,
  ``E``/``W`` for longitude, and the Vietnamese ``B`` (Bắc, north) and ``Đ`` (Đông,
  east). ``N`` is north as in English; the Vietnamese ``N`` (Nam, south) and ``T``
  (Tây, west) are not read, because ``N`` would be ambiguous. ``S``/``W`` give
  negative degrees; a leading ``-`` does too, but not together with a letter.

Minutes or seconds of 60 or more, a hemisphere on the wrong axis and anything else
the grammar does not cover raise :class:`ValueError` with a reason a user can act on.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Literal

import pandas as pd

from coverage_gis._values import is_blank, typed_text
from coverage_gis.io.table_shape import DMS_PARTS
from coverage_gis.text_forms import fold_diacritics

Axis = Literal["lon", "lat"]

#: Hemisphere letter → (axis, sign).
HEMISPHERES: dict[str, tuple[Axis, int]] = {
    "N": ("lat", 1),
    "S": ("lat", -1),
    "E": ("lon", 1),
    "W": ("lon", -1),
    "B": ("lat", 1),  # Bắc
    "Đ": ("lon", 1),  # Đông
}
#: An example shown in error messages.
EXAMPLE = "108°55'12.3\"E"

_MARKS = str.maketrans(
    {
        "º": "°",
        "˚": "°",
        "′": "'",
        "’": "'",
        "‘": "'",
        "´": "'",
        "″": '"',
        "“": '"',
        "”": '"',
        "−": "-",
    }
)
_NUM = r"\d+(?:[.,]\d+)?"
_INT = r"\d+"
_DEG_SEP = r"\s*(?:°\s*|\s+)"
_MIN_SEP = r"\s*(?:'\s*|\s+)"
_DMS = re.compile(
    r"(?P<sign>[-+])?\s*(?:"
    rf"(?P<d1>{_NUM})\s*°?"
    rf"|(?P<d2>{_INT}){_DEG_SEP}(?P<m2>{_NUM})\s*'?"
    rf"|(?P<d3>{_INT}){_DEG_SEP}(?P<m3>{_INT}){_MIN_SEP}(?P<s3>{_NUM})\s*\"?"
    r")"
)


#: Marks typed where the keyboard has no ``°`` (compared upper-cased), and what they stand for.
_TYPED_MARKS = (
    (re.compile(r"\s*ĐỘ\s*"), "°"),
    (re.compile(r"\s*PHÚT\s*"), "'"),
    (re.compile(r"\s*GIÂY\s*"), '"'),
    (re.compile(r"(?<=\d)\s*[O*]\s*(?=\d)"), "°"),
    (re.compile(r"(?<=\d):(?=\d)"), " "),
    # 109D13M09.8S: the S closes the seconds (a hemisphere letter may follow it).
    (re.compile(r"\A(\d+)\s*D\s*(\d+)\s*M\s*(\d+(?:[.,]\d+)?)\s*S(?=\s*[NSEWBĐ]?\Z)"), "\\1°\\2'\\3\""),
)
#: Degrees, minutes and seconds separated by dots alone (``109.13.09``, ``109.06.03,8``).
_DOTTED = re.compile(r"\A(\d{1,3})\.(\d{1,2})\.(\d{1,2}(?:[.,]\d+)?)\Z")


def _typed_marks(text: str) -> str:
    """``text`` (upper case) with the marks typed for ``°``, ``'`` and ``"`` (see the module
    docstring) written as those marks."""
    for pattern, mark in _TYPED_MARKS:
        text = pattern.sub(mark, text)
    return text.strip()


def _number(text: str) -> float:
    return float(text.replace(",", "."))


def _split_hemisphere(text: str) -> tuple[str, str | None]:
    """``text`` without its hemisphere letter, and the letter (None: none)."""
    head, tail = text[:1], text[-1:]
    if tail in HEMISPHERES and len(text) > 1:
        if head in HEMISPHERES:
            raise ValueError("has a hemisphere letter at both ends")
        return text[:-1].rstrip(), tail
    if head in HEMISPHERES and len(text) > 1:
        return text[1:].lstrip(), head
    return text, None


def dms_degrees(text: str, axis: Axis) -> float:
    """Decimal degrees from degrees-minutes-seconds ``text`` (see the module docstring).

    Parameters
    ----------
    text
        One coordinate, e.g. ``108°55'12.3"E``.
    axis
        ``lon`` or ``lat``: which hemisphere letters are allowed.

    Returns
    -------
    float
        Degrees, negative for ``S``/``W`` or a leading minus.

    Raises
    ------
    ValueError
        Text that is not degrees-minutes-seconds, minutes or seconds of 60 or more,
        a hemisphere letter of the other axis.
    """
    norm = _typed_marks(
        unicodedata.normalize("NFC", text).translate(_MARKS).replace("''", '"').strip().upper()
    )
    body, letter = _split_hemisphere(norm)
    body = _DOTTED.sub("\\1°\\2'\\3\"", body)
    match = _DMS.fullmatch(body)
    if match is None:
        raise ValueError(f"is not a number (nor degrees-minutes-seconds such as {EXAMPLE})")
    sign = -1 if match["sign"] == "-" else 1
    if letter is not None:
        letter_axis, sign_of_letter = HEMISPHERES[letter]
        if letter_axis != axis:
            wanted = "latitude" if letter_axis == "lat" else "longitude"
            here = "longitude" if axis == "lon" else "latitude"
            raise ValueError(f"hemisphere {letter} is for {wanted}, not {here}")
        if match["sign"] is not None:
            raise ValueError(f"has both a sign and the hemisphere {letter}; give one of them")
        sign = sign_of_letter
    if match["d1"] is not None:
        return sign * _number(match["d1"])
    minutes = _number(match["m2"] if match["d2"] is not None else match["m3"])
    seconds = _number(match["s3"]) if match["d3"] is not None else 0.0
    if minutes >= 60:
        raise ValueError(f"has {match['m2'] or match['m3']} minutes; minutes must be below 60")
    if seconds >= 60:
        raise ValueError(f"has {match['s3']} seconds; seconds must be below 60")
    degrees = float(match["d2"] or match["d3"])
    return sign * (degrees + minutes / 60 + seconds / 3600)


#: A header of one part of a coordinate in degrees, minutes and seconds: ``Kinh độ (phút)``.
_PART_HEADER = re.compile(r"\A(?P<base>.+?)\s*\((?P<part>[^()]+)\)\Z")


def dms_columns_joined(table: pd.DataFrame, *, notes: list[str]) -> pd.DataFrame:
    """``table`` with each coordinate given as degrees, minutes and seconds in columns of their
    own (``Kinh độ (độ)``, ``Kinh độ (phút)``, ``Kinh độ (giây)``, as a two-row header under
    a merged ``Kinh độ`` names them: :func:`coverage_gis.io.table_shape.merged_header`) read
    as one column of that coordinate's name, each row's parts written ``109°13'9.8"``, with a
    note; ``table`` itself where it has none (a coordinate needs its degrees and minutes)."""
    groups: dict[str, dict[str, str]] = {}
    for column in table.columns:
        found = _PART_HEADER.match(str(column))
        part = DMS_PARTS.get(fold_diacritics(found["part"]).strip().lower()) if found else None
        if found is not None and part is not None:
            groups.setdefault(found["base"], {})[part] = str(column)
    joined = {base: parts for base, parts in groups.items() if {"d", "m"} <= parts.keys()}
    if not joined:
        return table
    out = table.copy()
    for base, parts in joined.items():
        columns = [out[parts[k]].to_numpy(dtype=object) if k in parts else None for k in ("d", "m", "s")]
        out[base] = pd.Series(
            [_dms_text(*(c[i] if c is not None else None for c in columns)) for i in range(len(out))],
            index=out.index,
            dtype=object,
        )
        out = out.drop(columns=list(parts.values()))
    shown = ", ".join(
        f"{' + '.join(repr(c) for c in parts.values())} → {base!r}" for base, parts in joined.items()
    )
    notes.append(f"coordinates in degrees, minutes and seconds columns read together: {shown}")
    return out


def _dms_text(d: object, m: object, sec: object) -> str | None:
    """One coordinate's parts as the text :func:`dms_degrees` reads (None where it has no degrees)."""
    if is_blank(d):
        return None
    return f"{typed_text(d)}°{typed_text(m) or 0}'" + (f'{typed_text(sec)}"' if not is_blank(sec) else "")
