"""A speed-test file's dates and rates as its exporter writes them (``docs/architecture.md``, importers).

- **Dates**: a time stamp's date (ISO, G-NetTrack's dotted ``2025.03.01_10.15.00``), Unix
  times in seconds or milliseconds (Android loggers), and the date column beside a column
  of times of day alone (TEMS's ``Date`` and ``Time``): a time alone is never a date.
- **Rates**: a header's unit in bytes (``MB/s``: eight times the megabits), a unit written in
  each value (``45.2 Mbps``, ``850 Kbps``, ``28 ms``), and a column whose header names no
  unit and whose median is above 10 Gb/s, which is in kb/s (the Speedtest app's ``Download``).
- **Ids** for a file that gives none: its name, each test's date and its row.

:mod:`coverage_gis.io.speedtests` reads a file's columns through these.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import pandas as pd

from coverage_gis._values import typed_text
from coverage_gis.io.headers import find_header, header_units
from coverage_gis.value_text import day_first_dates

__all__ = ["bytes_to_megabits", "dated_column", "dated_ids", "kilobits_unsaid", "test_dates", "unit_values"]


#: A time stamp's date: ISO (``2025-03-01T10:15``), or with dots or slashes
#: (G-NetTrack's ``2025.03.01_10.15.00``, ``2025/03/01 10:15``).
_ISO_DATE = re.compile(r"^\s*(\d{4})([-./])(\d{2})\2(\d{2})(?!\d)")


def test_dates(series: pd.Series, *, notes: list[str]) -> pd.Series:
    """The date of each time stamp as written (``2025-03-01T10:15+07:00``, ``2025.03.01_10.15.00``
    → 2025-03-01), a column of Unix times (seconds, or milliseconds as Android loggers write
    them: ``1741939522000``) as their UTC dates, with a note; else as is."""
    epochs = _epoch_dates(series)
    if epochs is not None:
        notes.append(f"speed_tests: {series.name!r} read as Unix times ({epochs[1]}), their UTC dates")
        return epochs[0]

    def conv(v: object) -> object:
        if isinstance(v, str):
            match = _ISO_DATE.match(v)
            return f"{match.group(1)}-{match.group(3)}-{match.group(4)}" if match else v
        return v

    return series.map(conv).astype(object)


#: Unix times a column of whole numbers may hold: seconds or milliseconds since 1970 that
#: fall in 2001–2100 (no other whole number of 10 or 13 digits is a date).
_EPOCH_DIGITS = {10: ("seconds", 1), 13: ("milliseconds", 1000)}


def _epoch_dates(series: pd.Series) -> tuple[pd.Series, str] | None:
    """The UTC dates of a column whose every value is a Unix time of one kind; None otherwise."""
    text = series.map(typed_text)
    given = text[text != ""]
    if given.empty or not given.str.fullmatch(r"\d{10}|\d{13}").all():
        return None
    lengths = set(given.str.len())
    if len(lengths) != 1:
        return None
    name, per_second = _EPOCH_DIGITS[lengths.pop()]
    ok = (text != "").to_numpy()
    seconds = text[ok].astype("int64").to_numpy() // per_second
    stamps = seconds.astype("datetime64[s]")
    if not ((stamps >= np.datetime64("2001-01-01")) & (stamps < np.datetime64("2100-01-01"))).all():
        return None
    days = np.full(len(text), None, dtype=object)
    days[ok] = np.datetime_as_string(stamps, unit="D")
    return pd.Series(days, index=series.index, dtype=object), name


#: A time of day alone (``08:15:22.500``): no date, whatever a parser would make of it.
_TIME_OF_DAY = re.compile(r"\s*\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?\s*")


def dated_column(frame: pd.DataFrame, spellings: Sequence[str]) -> str | None:
    """The column of the tests' dates: the first that ``spellings`` name whose values are not
    all times of day alone (a drive-test log's ``Time`` beside its ``Date``)."""
    found = None
    for alias in spellings:
        column = find_header(frame.columns, (alias,))
        if column is None or column == found:
            continue
        text = frame[column].map(typed_text)
        given = text[text != ""]
        if given.empty or not given.str.fullmatch(_TIME_OF_DAY.pattern).all():
            return column
        found = found or column
    return found


#: A unit of bytes, not bits, in a speed column's header (``Download (MB/s)``: megabytes a
#: second, eight times the megabits), by its capital B → the factor to Mb/s.
_BYTE_UNITS = ((re.compile(r"\bMB(?:/s|ps)\b"), 8.0), (re.compile(r"\bkB(?:/s|ps)\b|\bKB(?:/s|ps)\b"), 0.008))


def bytes_to_megabits(header: str, notes: list[str]) -> float:
    """The factor from a speed column's unit to Mb/s where its header names bytes
    (``Download (MB/s)``: 8), with a note; 1 otherwise."""
    for unit, factor in _BYTE_UNITS:
        if unit.search(str(header)):
            notes.append(f"{header}: bytes a second (a capital B) converted to Mb/s (× {factor:g})")
            return factor
    return 1.0


#: A speed or a latency written with its unit (``45.2 Mbps``, ``850 Kbps``, ``28 ms``).
_VALUE_UNIT = re.compile(r"\A\s*(.*?\d)\s*([gmk]b(?:ps|/s|it/s)|ms)\s*\Z", re.IGNORECASE)


#: Each unit's factor to the field's (Mb/s; ms); a capital B (``MB/s``) is bytes, 8 bits.
_UNIT_FACTORS = {"g": 1000.0, "m": 1.0, "k": 0.001}


#: The most a download or upload in Mb/s may be for a column whose header names no unit:
#: above it (10 Gb/s at the median), the column is in kb/s, as the Speedtest app exports it.
_MOST_MBPS = 10_000.0


def unit_values(series: pd.Series, name: str, column: str, notes: list[str]) -> tuple[pd.Series, np.ndarray]:
    """``series`` with the unit each value is written with taken off, and each row's factor
    to the field's unit (1 where none is written), with a note where any is."""
    factors = np.ones(len(series))
    values = series.astype(object).to_numpy(copy=True)
    units: set[str] = set()
    for i, value in enumerate(values):
        found = _VALUE_UNIT.match(value) if isinstance(value, str) else None
        if found is None:
            continue
        unit = found.group(2)
        if (unit.casefold() == "ms") != (name == "latency_ms"):
            continue  # another field's unit: left as written, for the number reading to refuse
        values[i] = found.group(1)
        units.add(unit)
        if name != "latency_ms":
            factors[i] = _UNIT_FACTORS[unit[0].casefold()] * (8.0 if unit[1] == "B" else 1.0)
    if units:
        notes.append(
            f"speed_tests: {column!r} values written with their unit ({', '.join(sorted(units))}) "
            f"read in {'ms' if name == 'latency_ms' else 'Mb/s'}"
        )
    return pd.Series(values, index=series.index, dtype=object), factors


def kilobits_unsaid(speed: np.ndarray, column: str, notes: list[str]) -> np.ndarray:
    """``speed`` (Mb/s as read) divided by 1000 where the column's header names no unit and
    its median is above :data:`_MOST_MBPS`: no population of tests runs at 10 Gb/s, a column
    of kb/s does (the Speedtest app's ``Download``), with a note."""
    given = speed[np.isfinite(speed)]
    if header_units(column) or not given.size or float(np.median(given)) <= _MOST_MBPS:
        return speed
    notes.append(
        f"speed_tests: {column!r} (no unit in its header) has a median of {float(np.median(given)):,.0f}; "
        "no tests run at 10 Gb/s: read as kb/s, converted to Mb/s"
    )
    return speed / 1000.0


def dated_ids(stem: str, measured: object, index: pd.Index, notes: list[str]) -> pd.Series:
    """Ids for tests a file gives none: ``<file name>-<row>``, with the test's date between
    where it has one (``do_kiem-2025-03-14-17``), so that the next month's file of the same
    name, appended, keeps its tests apart."""
    written = measured.map(typed_text) if isinstance(measured, pd.Series) else pd.Series("", index=index)
    # The day as validation will read it (``14/03/2025`` is 2025-03-14); other text gives none.
    days = day_first_dates(written).where(lambda d: d.str.fullmatch(r"\d{4}-\d{2}-\d{2}"), "")
    ids = [f"{stem}-{day}-{i}" if day else f"{stem}-{i}" for day, i in zip(days, index, strict=True)]
    if (days != "").any():
        notes.append(f"no test_id column: ids are {stem}-<date>-<row> (the date where a test has one)")
    else:
        notes.append(f"no test_id column: ids are {stem}-<row>")
    return pd.Series(ids, index=index, dtype=object)
