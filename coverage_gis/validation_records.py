"""Validate a few plain records (an edit payload) without building a frame.

:func:`~coverage_gis.validation.validate_layer` costs milliseconds on a one-row
frame, mostly pandas' fixed cost per column; a live edit validates one site and its
cells (``docs/architecture.md``: live workspace). :func:`clean_records` applies the
same rules to plain values one by one. It only decides the values it can decide
exactly as :func:`validate_layer` does — plain str/int/float/bool values, ISO dates,
points inside Vietnam — and gives up (returns None) on anything else, valid or not:
the caller then runs :func:`validate_layer`, which stays the one source of error
messages and of the rarer conversions (numbers in text, yes/no words, other date
formats). The two agree on every record both accept (tested with Hypothesis).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

import numpy as np

from coverage_gis.layers import FieldSchema, LayerSchema
from coverage_gis.validation import NOT_BOOL, allowed_values, bool_value, inside_vietnam, str_value

#: A value :func:`clean_records` cannot decide (the caller falls back to the frame path).
_UNDECIDED = object()
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
#: Whole numbers a float64 holds exactly (the frame path reads numbers as float64 first).
_EXACT_INT = 2.0**53
#: Years a pandas timestamp holds (the frame path parses dates into timestamps).
_TIMESTAMP_YEARS = (1678, 2261)


def clean_records(records: Sequence[Mapping[str, Any]], schema: LayerSchema) -> list[dict[str, Any]] | None:
    """``records`` as :func:`~coverage_gis.validation.validate_layer` cleans them, or None.

    Each record must name schema fields only (an edit checks its keys first); the
    result holds every field of the schema, in schema order, as plain Python values
    (missing: None). For a layer with point geometry each record also carries ``lon``
    and ``lat`` (floats), which are checked and kept.

    Returns None when any value is outside what this fast path decides, or anything
    is wrong: :func:`validate_layer` then gives the clean frame or the error.
    """
    point = schema.geometry == "Point"
    names = {f.name for f in schema.fields}
    out: list[dict[str, Any]] = []
    for record in records:
        if any(key not in names for key in record if not (point and key in ("lon", "lat"))):
            return None
        clean: dict[str, Any] = {}
        for spec in schema.fields:
            given = spec.name in record
            value = _clean_value(record[spec.name], spec) if given else None
            if value is _UNDECIDED:
                return None
            if value is None:
                value = _default(spec, clean)
            if value is None and spec.required:
                return None
            clean[spec.name] = value
        if point:
            lon, lat = _coordinate(record.get("lon")), _coordinate(record.get("lat"))
            if lon is None or lat is None or not inside_vietnam(lon, lat):
                return None
            clean["lon"], clean["lat"] = lon, lat
        out.append(clean)
    for spec in schema.fields:
        if spec.unique:
            values = [rec[spec.name] for rec in out if rec[spec.name] is not None]
            if len(set(values)) != len(values):
                return None
    return out


def _clean_value(value: Any, spec: FieldSchema) -> Any:
    """One value as the frame path cleans it; None: missing; :data:`_UNDECIDED`: not decided here."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if spec.type == "str":
        # Only text: a number in a text column may be widened to float64 by the frame first.
        if not isinstance(value, str):
            return _UNDECIDED
        text = str_value(value)
        if text is None or spec.allowed is None:
            return text
        return allowed_values(spec).get(text.casefold(), _UNDECIDED)
    if spec.type in ("int", "float"):
        return _number(value, spec)
    if spec.type == "bool":
        if not isinstance(value, (bool, np.bool_)):
            return _UNDECIDED
        flag = bool_value(value)
        return _UNDECIDED if flag == NOT_BOOL else flag
    if spec.type == "date":
        return _iso_date(value)
    return _UNDECIDED


def _number(value: Any, spec: FieldSchema) -> Any:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return _UNDECIDED
    if isinstance(value, int) and abs(value) > _EXACT_INT:
        return _UNDECIDED  # a frame may hold it as an object, uint64 or inexact float
    number = float(value)
    if not math.isfinite(number):
        return _UNDECIDED
    if spec.min is not None and number < spec.min:
        return _UNDECIDED
    if spec.max is not None and number > spec.max:
        return _UNDECIDED
    if spec.type == "int":
        if not number.is_integer() or abs(number) > _EXACT_INT:
            return _UNDECIDED
        return int(number)
    return number


def _iso_date(value: Any) -> Any:
    if not isinstance(value, str):
        return _UNDECIDED
    text = str_value(value)
    if text is None:
        return None
    if not _ISO_DATE.fullmatch(text):
        return _UNDECIDED
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return _UNDECIDED
    low, high = _TIMESTAMP_YEARS
    return text if low <= day.year <= high else _UNDECIDED


def _default(spec: FieldSchema, clean: dict[str, Any]) -> Any:
    """The default as the frame path fills it (a number column keeps its type; None: none),
    by the record's earlier field where the default depends on one (``default_by``)."""
    default = spec.default_of(clean.get(spec.default_by[0]) if spec.default_by else None)
    if default is None:
        return None
    if spec.type == "float":
        return float(default)
    if spec.type == "int":
        return int(default)
    if spec.type == "bool":
        return bool(default)
    return default


def _coordinate(value: Any) -> float | None:
    """A lon/lat value the frame path would accept as it is (None: leave it to that path)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    number = float(value)
    return number if math.isfinite(number) else None
