"""How text from exports reads as numbers and dates (``docs/architecture.md``: validation).

The rules :mod:`coverage_gis.validation` coerces number and date fields by, and the
readers that parse numbers before it (coordinates, speed tests, site edits): a decimal
comma, a number written with the field's unit (``1800 MHz``), a whole number with
thousands separators (``1.000``), Excel's day numbers, day-first dates (``05/01/2023``) and
months, quarters and years written in Vietnamese (``tháng 3/2024``, ``Quý I/2024``).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

import numpy as np
import pandas as pd

from coverage_gis.layers import is_unit_of


def number_text(value: Any) -> Any:
    """A number's text as it is parsed (other values as they are): trimmed, and a decimal
    comma read as a decimal point, ``" 109,01"`` → ``"109.01"`` (Excel on a Vietnamese
    Windows writes one). The one decimal-comma rule of every reader: validation of number
    fields, :func:`coverage_gis.io.csv_points.parse_numbers` (coordinates, speed tests) and
    the lon/lat of site edits, whatever the file's delimiter (a comma-delimited file quotes
    such a value). Text with a comma that is not one number (``1,234,567``, ``1.234,5``)
    stays not a number.
    """
    return value.strip().replace(",", ".") if isinstance(value, str) else value


#: A number followed by a word: ``"1800 MHz"``, ``"35m"``, ``"120°"``.
_NUMBER_AND_UNIT = re.compile(r"\A([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)\s*([^\d\s.,+-].*?)\s*\Z")


def without_unit(text: Any, units: tuple[str, ...]) -> Any:
    """``"1800 MHz"`` → ``"1800"`` where MHz is the field's unit (:attr:`FieldSchema.units`);
    any other text as it is (a number in another unit stays not a number)."""
    if not isinstance(text, str) or not units:
        return text
    found = _NUMBER_AND_UNIT.match(text)
    return found.group(1) if found is not None and is_unit_of(found.group(2), units) else text


#: A whole number written with thousands separators, one kind throughout: ``1.000`` (Excel
#: on a Vietnamese Windows), ``12,345,678``, ``1 234`` (a space or a no-break space).
_GROUPED_WHOLE = re.compile(r"\A\s*[+-]?\d{1,3}(?P<sep>[.,\u00a0\u202f ])\d{3}(?:(?P=sep)\d{3})*\s*\Z")


#: Metres written with thousands grouped and a decimal part in the other mark (``1.601.768,89``,
#: ``1 601 768,89``, ``1,601,768.89``), or with two groups at least (``1.601.768``): no decimal
#: number has those forms, so they read one way only.
_GROUPED_METRES = re.compile(
    r"\A(?P<sign>[+-]?)(?P<whole>\d{1,3}(?P<sep>[. \u00a0\u202f])\d{3}(?:(?P=sep)\d{3})*),(?P<frac>\d+)\Z"
    r"|\A(?P<sign2>[+-]?)(?P<whole2>\d{1,3},\d{3}(?:,\d{3})*)\.(?P<frac2>\d+)\Z"
    r"|\A(?P<sign3>[+-]?)"
    r"(?P<whole3>\d{1,3}(?P<sep3>[., \u00a0\u202f])\d{3}(?P=sep3)\d{3}(?:(?P=sep3)\d{3})*)\Z"
)


#: A whole number as a float's text writes it: ``3``, ``3.0``, ``21868,0``.
_WHOLE_DIGITS = re.compile(r"\s*(\d+)(?:[.,]0+)?\s*")


def whole_digits(text: str) -> str | None:
    """The digits of a whole number written alone or as a float's text (``"3.0"`` → ``"3"``,
    ``"21868,0"`` → ``"21868"``); None for any other text (a fraction, a sign, a unit)."""
    found = _WHOLE_DIGITS.fullmatch(text)
    return None if found is None else found.group(1)


def grouped_metres(text: str) -> float:
    """Metres written with thousands separators (:data:`_GROUPED_METRES`) as a number; a
    :class:`ValueError` for any other text (as
    :func:`coverage_gis.io.csv_points.parse_numbers` reports it)."""
    found = _GROUPED_METRES.fullmatch(text.strip())
    if found is None:
        raise ValueError("is not a number")
    sign = found["sign"] or found["sign2"] or found["sign3"] or ""
    whole = re.sub(r"\D", "", found["whole"] or found["whole2"] or found["whole3"])
    frac = found["frac"] or found["frac2"] or "0"
    return float(f"{sign}{whole}.{frac}")


def whole_number_text(series: pd.Series) -> pd.Series:
    """``series`` of a whole-number field with thousands separators removed from text that is
    a grouped whole number (``"1.000"`` → ``"1000"``, ``"2,345"`` → ``"2345"``).

    In a whole-number field such text cannot be a fraction (``1.000`` read with a decimal
    point would be 1 person, not the thousand a Vietnamese export means); anything else is
    left for :func:`number_text` (``"1,5"`` stays a fraction and an error).
    """
    if pd.api.types.is_numeric_dtype(series.dtype):
        return series  # numbers as numbers (a GeoPackage's, a workbook's)
    text = series[series.map(lambda v: isinstance(v, str)).astype(bool)].astype(str)
    grouped = text[text.str.fullmatch(_GROUPED_WHOLE).to_numpy(dtype=bool)]
    if grouped.empty:
        return series
    out = series.copy()
    out[grouped.index] = grouped.str.replace(r"[.,\s]", "", regex=True)
    return out


#: Excel's day numbers (days since 1899-12-30) read as dates: a date column saved or read
#: without its date format holds them (45000 is 2023-03-15); 10000–99999 is 1927–2173,
#: which no year (``2023``) or compact date (``20230315``) falls in.
_EXCEL_SERIALS = (10_000, 99_999)
_EXCEL_EPOCH = pd.Timestamp("1899-12-30")


def excel_serial_dates(series: pd.Series) -> pd.Series:
    """``series`` with Excel day numbers (numbers or their text, :data:`_EXCEL_SERIALS`)
    as ISO dates (``45000`` → ``"2023-03-15"``; the time of day is dropped)."""
    numbers = pd.to_numeric(series.map(number_text), errors="coerce")
    serial = numbers.between(*_EXCEL_SERIALS).to_numpy(dtype=bool)
    if not serial.any():
        return series
    days = pd.to_timedelta(np.floor(numbers[serial].to_numpy(dtype=float)), unit="D")
    out = series.astype(object)
    out[serial] = (_EXCEL_EPOCH + days).strftime("%Y-%m-%d")
    return out


#: A date written with its parts in a row: day, month and year (``05/01/2023``, ``5.1.2023``,
#: ``05/01/23``).
#: A time of day written beside a date (``08:15``, ``14:02:33``, ``8:15 SA``), dropped: a
#: date field keeps the day.
_TIME = r"\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:\s*(?:am|pm|sa|ch))?"
_NUMERIC_DATE = re.compile(
    rf"\A(?:{_TIME}\s+)?(\d{{1,2}})[/.-](\d{{1,2}})[/.-](\d{{4}}|\d{{2}})(?:(?:\s+|T){_TIME})?\Z",
    re.IGNORECASE,
)
#: A two-digit year below this is of the 2000s, else of the 1900s (as C's ``strptime`` ``%y``).
_CENTURY_PIVOT = 69


def _full_year(year: str) -> int:
    """``23`` → 2023, ``98`` → 1998; a four-digit year as it is."""
    value = int(year)
    if len(year) > 2:
        return value
    return value + (2000 if value < _CENTURY_PIVOT else 1900)


#: A month or a quarter in Vietnamese (``tháng 3/2024``, ``T3-2024``, ``tháng 3 năm 2024``,
#: ``Tháng 10, 2023``, or the month and year alone: ``03.2024``, ``3/2024``; ``Quý I/2024``,
#: ``quý 2 năm 2024``) and a year (``năm 2024``).
_MONTH = re.compile(r"\A(?:(?:tháng|th|t)\.?\s*)?(\d{1,2})\s*(?:[/.,-]|năm)\s*(\d{4})\Z")
_QUARTER = re.compile(r"\A(?:quý|q)\.?\s*(iv|i{1,3}|[1-4])\s*(?:[/.-]|năm)\s*(\d{4})\Z")
_YEAR = re.compile(r"\Anăm\s*(\d{4})\Z")
_QUARTER_NUMBER = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "1": 1, "2": 2, "3": 3, "4": 4}


def vietnamese_dates(text: pd.Series) -> pd.Series:
    """``text`` with a month, quarter or year written in Vietnamese as the ISO date it begins
    on: ``tháng 3/2024`` → ``2024-03-01``, ``Quý II/2024`` → ``2024-04-01``, ``năm 2024`` →
    ``2024-01-01`` (a site's commissioning is often listed so). Other text as it is. Each
    distinct value is read once (a column of 400,000 dates holds a few hundred)."""
    out = text.astype(object)
    read = {v: iso for v in out.dropna().unique() if isinstance(v, str) and (iso := _vietnamese_date(v))}
    return out.mask(out.isin(list(read)), out.map(read)) if read else out


def _vietnamese_date(value: str) -> str | None:
    """The ISO date a Vietnamese month, quarter or year begins on; None for other text."""
    key = unicodedata.normalize("NFC", value).strip().casefold()
    if (found := _MONTH.match(key)) and 1 <= int(found.group(1)) <= 12:
        return f"{found.group(2)}-{int(found.group(1)):02d}-01"
    if found := _QUARTER.match(key):
        return f"{found.group(2)}-{3 * _QUARTER_NUMBER[found.group(1)] - 2:02d}-01"
    if found := _YEAR.match(key):
        return f"{found.group(1)}-01-01"
    return None


def day_first_dates(text: pd.Series) -> pd.Series:
    """``text`` with ``dd/mm/yyyy`` dates (also ``.`` or ``-``, and two-digit years:
    ``05/01/23``, a year below 69 in the 2000s; a time of day before or after it dropped:
    ``05/03/2025 08:15``) as ISO dates, day first as Vietnamese
    exports write them, so ``05/01/2023`` is 5 January; a column that writes the month
    first (a second part above 12 somewhere and no first part above 12) is read month
    first. Other text as it is."""
    parts = text.astype(object).str.extract(_NUMERIC_DATE)
    found = parts[0].notna().to_numpy()
    if not found.any():
        return text
    first, second = parts[0][found].astype(int), parts[1][found].astype(int)
    month_first = bool((second > 12).any() and not (first > 12).any())
    day, month = (second, first) if month_first else (first, second)
    out = text.astype(object).copy()
    years = [_full_year(y) for y in parts[2][found]]
    out[found] = [f"{y:04d}-{m:02d}-{d:02d}" for y, m, d in zip(years, month, day, strict=True)]
    return out
