"""Columns of a few distinct strings (codes, names, technologies, operators): hashed once.

Converting or comparing a string column row by row (to a numpy ``str`` array, to Python
objects, sorted as strings) costs several times hashing it: :func:`distinct_strings`
factorizes the column once so that each distinct value is converted once and reaches
the rows by its code.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd


def distinct_strings(values: Any) -> tuple[np.ndarray, np.ndarray] | None:
    """``(codes, distinct)`` of ``values`` (``pd.factorize``: missing → -1), or None.

    None unless every distinct value is a ``str``: hashing merges values whose strings
    differ (``1`` and ``1.0``), so other columns must be converted row by row.
    """
    codes, distinct = pd.factorize(values)
    names = np.asarray(distinct, dtype=object)
    if pd.api.types.infer_dtype(names, skipna=False) not in ("string", "empty"):
        return None
    return np.asarray(codes, dtype=np.int64), names


def str_array(values: Any) -> np.ndarray:
    """``values`` (a column or an array) as a numpy ``str`` array; a missing value reads ``"nan"``.

    Not ``Series.to_numpy(dtype=str)``: on a pandas string column holding a missing
    value it gives one-character strings (``"Viettel"`` becomes ``"V"``).
    """
    column = values if isinstance(values, pd.Series) else pd.Series(np.asarray(values, dtype=object))
    if column.dtype == object:
        # A numpy object column converts each value by ``str`` whether any is missing or
        # not (looking for one would read every value once more).
        return np.asarray(column.to_numpy(), dtype=str)
    if not len(column) or not column.isna().to_numpy().any():
        return np.asarray(column.to_numpy(dtype=str))
    return np.asarray(column.to_numpy(dtype=object).astype(str))
