"""Columns of a few distinct strings (codes, names, technologies, operators): hashed once.

Converting or comparing a string column row by row (to a numpy ``str`` array, to Python
objects, sorted as strings) costs several times hashing it: :func:`distinct_strings`
factorizes the column once so that each distinct value is converted once and reaches
the rows by its code.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc


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


#: The dtype pandas gives a column of Python strings (pandas 3: ``str``, in arrow; pandas 2: object).
_STR_DTYPE: Any = pd.Series(["a"]).dtype
_STR_IN_ARROW = isinstance(_STR_DTYPE, pd.StringDtype) and _STR_DTYPE.storage == "pyarrow"


def as_assigned(column: pd.Series, dtype: Any = None) -> Any:
    """``column.to_numpy(dtype=dtype)``, for assigning to a frame, without the round trip
    where the frame would hold the column as it is: a pandas string column holding a
    value (converting its rows to objects and back costs ~6 ms per 100,000 rows)."""
    if _STR_IN_ARROW and column.dtype == _STR_DTYPE and column.count():
        return column.array
    return column.to_numpy(dtype=dtype)


def str_take(table: np.ndarray, codes: np.ndarray) -> Any:
    """``table[codes]`` (``table``: distinct ``str`` objects, ``codes`` >= 0, or -1 for a
    missing value), for assigning to a frame: a pandas string array taken in arrow where
    the frame would make one of the objects (each row converted otherwise)."""
    values = np.asarray(table, dtype=object)
    codes = np.asarray(codes, dtype=np.int64)
    missing = codes < 0
    if not _STR_IN_ARROW or not len(codes) or not all(isinstance(v, str) for v in values):
        # A missing value (-1) takes the entry past the last: None.
        return np.append(values, np.array([None], dtype=object))[codes] if missing.any() else values[codes]
    index = pa.array(codes, mask=missing) if missing.any() else pa.array(codes)
    return pd.array(pc.take(pa.array(values, type=pa.large_string()), index), dtype=_STR_DTYPE)


def str_column(values: Any) -> Any:
    """``values``, for assigning to a frame: where they are objects, strings and missing
    values, some strings, the pandas string array the frame would make of them,
    converted by arrow in one pass (pandas converts row by row, several times slower);
    else ``values`` themselves (the frame keeps them as they are)."""
    if not _STR_IN_ARROW or not isinstance(values, np.ndarray) or values.dtype != object or not len(values):
        return values
    if isinstance(values[0], str):
        # Arrow's own inference gives strings without a missing value only where every
        # value is a ``str``: the array the frame would make, without a pass of
        # ``infer_dtype`` (a missing value may be one it does not skip, NaT: read below).
        try:
            inferred = pa.array(values, from_pandas=True)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            inferred = None
        if inferred is not None and inferred.type == pa.string() and not inferred.null_count:
            return pd.array(inferred, dtype=_STR_DTYPE)
    if pd.api.types.infer_dtype(values, skipna=True) != "string":
        return values  # all missing, or something else than a string
    return pd.array(pa.array(values, type=pa.large_string(), from_pandas=True), dtype=_STR_DTYPE)


@dataclass(frozen=True)
class TakenColumn:
    """A table of objects whose rows :func:`assigned_take` takes, with what a frame makes of
    all of them, found once: where that is a pandas string array, the array (``strings``)
    and which values are strings (``held``, the others being missing values); else None."""

    values: np.ndarray
    strings: Any = None
    held: np.ndarray | None = None

    @classmethod
    def of(cls, values: np.ndarray) -> TakenColumn:
        """``values`` (objects) with their strings, where a frame would make them."""
        every = pd.Series(values)
        if _STR_IN_ARROW and every.dtype == _STR_DTYPE:
            return cls(values, every.array, np.asarray(pd.notna(values), dtype=bool))
        return cls(values)


def assigned_take(columns: dict[str, TakenColumn], rows: np.ndarray) -> dict[str, Any]:
    """``values[rows]`` of each column (``values``: objects, all of one length; ``rows`` >= 0),
    for assigning to a frame: the array the frame would make of them.

    The frame infers a dtype from the objects (pandas 3: ``str``, in arrow, where they are
    strings and missing values, one a string at least) and converts every row. Where it
    makes strings of the whole table, it makes them of any rows holding a string: those
    are taken in arrow. Otherwise the answer is asked of each row of ``values`` taken
    once, and a string array is taken in arrow.
    """
    out: dict[str, Any] = {}
    for col, column in columns.items():
        if column.strings is not None and column.held is not None:
            out[col] = column.strings.take(rows) if column.held[rows].any() else column.values[rows]
    asked = [col for col in columns if col not in out]
    if asked:
        size = len(columns[asked[0]].values)
        used = np.flatnonzero(np.bincount(rows, minlength=size))
        code = np.zeros(size, dtype=np.int64)
        code[used] = np.arange(len(used))
        at = code[rows]
        for col in asked:
            values = columns[col].values
            probe = pd.Series(values[used])
            out[col] = probe.array.take(at) if _STR_IN_ARROW and probe.dtype == _STR_DTYPE else values[rows]
    return {col: out[col] for col in columns}
