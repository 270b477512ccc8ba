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
