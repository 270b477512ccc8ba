"""One rule for turning numpy/pandas scalars into plain Python values (NaN and NA → None).

Used wherever values leave pandas: SQLite rows, JSON payloads, CLI output.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd


def plain_value(value: Any) -> Any:
    """``value`` as a plain Python scalar; missing values (None, NaN, pd.NA, NaT) become None."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value
