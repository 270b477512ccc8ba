"""Codes of frame columns (``docs/architecture.md``: geo adapter): a column factorized once
over its frame (by runs where it holds long runs of one value), several columns' codes
combined into one group id, string columns converted once per distinct value, and an
object column that repeats a few objects hashed by their addresses.

What the cell table (:mod:`coverage_gis.network`) and its site join read instead of
hashing or converting strings row by row at national scale.
"""

from __future__ import annotations

import ctypes
from typing import Any

import numpy as np
import pandas as pd

from coverage_gis._strings import str_array, str_column, str_take
from coverage_gis.models.base import StrArray


def new_runs(values: np.ndarray) -> np.ndarray | None:
    """Where each run of equal neighbours in an object array starts (None when a value does
    not compare, as ``pd.NA``)."""
    new_run = np.empty(len(values), dtype=bool)
    new_run[:1] = True
    try:
        np.not_equal(values[1:], values[:-1], out=new_run[1:])
    except TypeError:
        return None
    return new_run


def all_equal(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether two object arrays are equal element by element (False when a value does not
    compare, as ``pd.NA``)."""
    try:
        return bool(np.equal(a, b).all())
    except TypeError:
        return False


def codes_of(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """``pd.factorize(values)``: codes (missing: -1) and the distinct values as an array.

    A column of long runs of one value (statuses: the cells of a region or an import
    batch alike) is hashed once per run, at its first row: equal neighbours share a code.
    """
    if values.dtype == object and len(values) >= _RUN_SAMPLE * 4:
        every = values.to_numpy()
        sample = new_runs(every[:_RUN_SAMPLE])
        if sample is not None and int(sample.sum()) * _LONG_RUN < _RUN_SAMPLE:
            new_run = new_runs(every)
            if new_run is not None:
                first = np.flatnonzero(new_run)
                head_codes, head_uniques = pd.factorize(every[first])
                codes = np.repeat(head_codes, np.diff(np.append(first, len(every))))
                return codes, np.asarray(head_uniques, dtype=object)
    all_codes, uniques = pd.factorize(values)
    return all_codes, np.asarray(uniques, dtype=object)


def object_codes(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``pd.factorize(values)`` of a 1-D object array: int64 codes (missing: -1) and the
    distinct values as objects (the same codes, the same objects).

    A column taken from a small table (a unit code per row: the rows of one commune
    share its code's object) repeats a few objects: its rows are hashed by address, as
    integers (several times faster than hashing a Python object, even with its hash
    cached), and only the distinct objects by value, in the order they first appear
    (so the values are numbered in the order of their first rows, as ``pd.factorize``
    numbers them). A column of mostly distinct objects is hashed by value at once.
    """
    sample = object_addresses(values[:_ADDRESS_SAMPLE])
    address = None if sample is None or len(pd.unique(sample)) * 2 > len(sample) else object_addresses(values)
    if address is None:
        codes, uniques = pd.factorize(values)
        return np.asarray(codes, dtype=np.int64), np.asarray(uniques, dtype=object)
    object_code, objects = pd.factorize(address)
    if len(objects) <= _FEW:
        first = np.array([np.argmax(object_code == code) for code in range(len(objects))], dtype=np.int64)
    else:
        # Codes number the objects in order of first appearance: the running highest
        # code rises (by one) where an object first appears.
        first = np.searchsorted(np.maximum.accumulate(object_code), np.arange(len(objects)))
    value_code, uniques = pd.factorize(values[first])
    return np.asarray(value_code, dtype=np.int64)[object_code], np.asarray(uniques, dtype=object)


def repeated_str_column(values: np.ndarray) -> Any:
    """:func:`~coverage_gis._strings.str_column` of an object array that repeats a few
    objects (a technology, a gap reason per row, taken from a small table): its rows
    hashed by address (:func:`object_codes`) and each distinct string converted once
    (:func:`~coverage_gis._strings.str_take`); any other array (one whose first rows hold
    more than a few objects) as ``str_column`` converts it."""
    if not isinstance(values, np.ndarray) or values.dtype != object or not len(values):
        return str_column(values)
    sample = object_addresses(values[:_ADDRESS_SAMPLE])
    if sample is None or len(pd.unique(sample)) > _FEW:
        return str_column(values)  # many distinct objects: not worth hashing first
    codes, distinct = object_codes(values)
    if not len(distinct) or len(distinct) > _FEW or not all(isinstance(v, str) for v in distinct):
        return str_column(values)
    return str_take(distinct, codes)


def object_addresses(values: np.ndarray) -> np.ndarray | None:
    """The address of each object of a 1-D object array, as integers (a copy, read while
    ``values`` holds the objects); None for another array. Equal addresses are the same object."""
    if values.dtype != object or values.ndim != 1:
        return None
    values = np.ascontiguousarray(values)
    if not len(values):
        return np.empty(0, dtype=np.intp)
    # numpy will not view references as integers: the pointers are read where they lie.
    pointers = (ctypes.c_ssize_t * len(values)).from_address(values.__array_interface__["data"][0])
    return np.array(np.ctypeslib.as_array(pointers), dtype=np.intp)


#: At most this many distinct objects are found one comparison each (a running maximum
#: costs several).
_FEW = 16
#: Rows whose objects :func:`object_codes` counts first: hashed by address when at most
#: half of them are distinct objects.
_ADDRESS_SAMPLE = 4096


#: A column is read by runs when its first ``_RUN_SAMPLE`` rows hold runs of ``_LONG_RUN`` rows
#: on average (comparing neighbours costs about half of hashing every row).
_RUN_SAMPLE, _LONG_RUN = 1024, 16


def all_strings(values: np.ndarray) -> bool:
    """Whether every value of an object array is a ``str`` (an empty one is)."""
    return pd.api.types.infer_dtype(values, skipna=False) in ("string", "empty")


def strings_of(values: np.ndarray) -> StrArray:
    """``values.astype(str)`` of an object array of ``str`` (:func:`all_strings`): the same
    width (its longest string's, at least one) and characters.

    The width is measured by ``len`` first: left to find it, numpy converts every value
    once more (more than twice the time of a cast to a known width).
    """
    if not len(values):
        return values.astype(str)
    return values.astype(f"<U{max(max(map(len, values)), 1)}")


def take_strings(strings: StrArray, index: np.ndarray) -> StrArray:
    """``strings[index]`` as wide as its longest string (as converting those strings would make it)."""
    width = max(int(np.strings.str_len(strings)[index].max(initial=1)), 1)
    if width < strings.dtype.itemsize // 4:
        strings = strings.astype(f"<U{width}")
    return np.asarray(strings[index])


def rows_of(values: pd.Series, rows: np.ndarray | None) -> pd.Series:
    """``values`` at positions ``rows`` (the column itself when None)."""
    return values if rows is None else values.iloc[rows]


def floats_at(values: pd.Series, rows: np.ndarray | None, default: float | None) -> np.ndarray:
    """``pd.to_numeric(values[rows], errors="coerce")`` as float64, missing → ``default`` (kept when None)."""
    if isinstance(values.dtype, np.dtype) and values.dtype.kind in "fiu":
        every = values.to_numpy()
        out = every.astype(np.float64) if rows is None else every[rows].astype(np.float64, copy=False)
        if default is not None:
            out[np.isnan(out)] = default
        return out
    col = pd.to_numeric(rows_of(values, rows), errors="coerce")
    if default is not None:
        col = col.fillna(default)
    return col.to_numpy(dtype=np.float64)


def group_ids(columns: list[np.ndarray]) -> np.ndarray:
    """One id per distinct combination of the columns' values, per row (numbered in order of
    first appearance)."""
    return np.asarray(pd.factorize(combined_codes(columns))[0], dtype=np.int64)


def combined_codes(columns: list[np.ndarray]) -> np.ndarray:
    """One int64 per row, equal exactly where every column's value is (missing values equal
    one another); not numbered densely (:func:`group_ids` numbers them).

    Each column is coded on its own (a factorize; an integer or boolean column of a small
    range as it is) and the codes combined arithmetically: a pandas groupby over string
    columns first copies them into Arrow strings.
    """
    ids = np.zeros(len(columns[0]), dtype=np.int64)
    span = 1
    for column in columns:
        codes, width = _column_codes(np.asarray(column))
        if span * width >= _DENSE_LIMIT:
            # Renumber densely so the product of the column sizes never overflows.
            ids = pd.factorize(ids)[0].astype(np.int64)
            span = int(ids.max(initial=0)) + 1
        ids = ids * width + codes
        span *= width
    return ids


def _column_codes(column: np.ndarray) -> tuple[np.ndarray, int]:
    """Codes ``0..width-1`` of a column's values, equal exactly where the values are."""
    # An unsigned 64-bit value may not fit an int64: those are factorized.
    small_int = column.dtype.kind in "ib" or (column.dtype.kind == "u" and column.dtype.itemsize < 8)
    if small_int and len(column):
        low, high = int(column.min()), int(column.max())
        if high - low < _DENSE_LIMIT >> 2:
            return column.astype(np.int64) - low, high - low + 1
    codes, uniques = pd.factorize(column)
    return codes + 1, len(uniques) + 1


#: Combined group codes stay below this (int64 holds them with room to spare).
_DENSE_LIMIT = 1 << 62


def str_codes(values: pd.Series, rows: np.ndarray | None) -> tuple[StrArray, np.ndarray, StrArray | None]:
    """Of the column ``values[rows]`` (``values`` when None): ``str_array`` of it, the codes of
    its values as ``pd.factorize`` of it numbers them and, when every value is a string,
    the distinct ones (``strings == names[codes]``; else None).

    The column is hashed once over its frame and its codes read at the rows: a column
    of a few distinct strings (technology, operator, clutter class) is converted once
    per distinct value, not row by row.
    """
    frame_codes, uniques = codes_of(values)
    if rows is None:
        # pd.factorize numbers in order of first appearance already.
        codes, used = frame_codes, np.arange(len(uniques))
    else:
        codes, used = _first_appearance(frame_codes[rows], len(uniques))
    names = uniques[used]
    if not all_strings(names) or (codes < 0).any():
        return str_array(rows_of(values, rows)), codes, None
    strings = names.astype(str)
    return strings[codes], codes, strings


def _first_appearance(codes: np.ndarray, n_codes: int) -> tuple[np.ndarray, np.ndarray]:
    """``codes`` (``0..n_codes-1``, missing -1) renumbered in order of first appearance
    (missing stays -1), and the old code of each new one."""
    first = np.full(n_codes, len(codes), dtype=np.int64)
    if n_codes <= 16:
        # A few codes (the usual string column): one comparison per code.
        for code in range(n_codes):
            hit = codes == code
            if hit.any():
                first[code] = hit.argmax()
    else:
        present = np.flatnonzero(codes >= 0)
        np.minimum.at(first, codes[present], present)
    used = np.argsort(first, kind="stable")[: int((first < len(codes)).sum())]
    renumber = np.full(n_codes + 1, -1, dtype=np.int64)
    renumber[used] = np.arange(len(used))
    return renumber[codes], used
