"""One rule for turning numpy/pandas values into plain Python values (NaN and NA → None).

Used wherever values leave pandas: SQLite rows, JSON payloads and snapshots, CLI
output, spreadsheet cells, vector-tile attributes.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd

#: What JSON, SQLite, spreadsheets and vector tiles store natively.
Scalar = str | int | float | bool


def is_missing(value: Any) -> bool:
    """Whether ``value`` is a missing value: None, NaN (Python or numpy), ``pd.NA`` or ``pd.NaT``."""
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and math.isnan(value)


def is_blank(value: Any) -> bool:
    """Whether a cell of a file gives no value: missing (:func:`is_missing`), or text of
    nothing but spaces."""
    return is_missing(value) or (isinstance(value, str) and not value.strip())


def equal_values(a: Any, b: Any) -> np.ndarray:
    """Elementwise equality of two equally long arrays, a missing value equal to a missing one."""
    left, right = np.asarray(a, dtype=object), np.asarray(b, dtype=object)
    both_missing = np.asarray(pd.isna(left) & pd.isna(right), dtype=bool)
    equal: np.ndarray = both_missing | np.asarray(left == right, dtype=bool)
    return equal


def typed_text(value: Any) -> str:
    """A cell as the text it was typed: ``""`` where blank, a whole number a spreadsheet stored
    as a decimal without its ``.0`` (``1.0`` → ``"1"``), anything else as text, trimmed."""
    if is_blank(value):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def plain_value(value: Any) -> Any:
    """``value`` as a plain Python scalar; missing values (None, NaN, pd.NA, NaT) become None."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def plain_scalar(value: Any) -> Scalar | None:
    """:func:`plain_value`, with anything that is not str/int/float/bool turned into text.

    Dates and times become ISO 8601 text.
    """
    plain = plain_value(value)
    if plain is None or isinstance(plain, bool | int | float | str):
        return plain
    if isinstance(plain, datetime | date):
        return plain.isoformat()
    return str(plain)


def optional_bool(value: Any) -> bool | None:
    """``bool(value)``, or None for a missing value."""
    return None if is_missing(value) else bool(value)


def json_ready(value: Any) -> Any:
    """``value`` with numpy scalars made Python and NaN/NA/±inf made None, through dicts and lists."""
    if isinstance(value, Mapping):
        return {str(k): json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_ready(v) for v in value]
    plain = plain_value(value)
    if isinstance(plain, float) and not math.isfinite(plain):
        return None
    return plain
