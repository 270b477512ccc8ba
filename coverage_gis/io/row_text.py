"""How an import's notes and errors name rows: a list of row numbers cut after the
first few, and a count of rows."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from coverage_gis._values import plain_value
from coverage_gis.display import first_few

#: Row numbers a note or error lists before "...".
SHOWN_ROWS = 10


def rows_listed(rows: Iterable[int]) -> str:
    """``0, 4, 9`` — the first :data:`SHOWN_ROWS` row numbers, then ``...`` if there are more."""
    return first_few((int(r) for r in rows), SHOWN_ROWS)


def rows_counted(n: int) -> str:
    """``1 row``, ``3 rows``."""
    return f"{n} row{'s' if n != 1 else ''}"


#: How many distinct values :func:`rows_in_all` shows.
_SHOWN_VALUES = 5


def rows_in_all(index: pd.Index, mask: np.ndarray, values: pd.Series | None = None) -> str:
    """What an error about the first row of ``mask`` adds when more rows have the problem:
    ``; 4 rows in all: 2, 4, 8, 12`` (and their distinct ``values``), so that one import
    names every row to fix; empty for one row."""
    at = np.flatnonzero(mask)
    if len(at) < 2:
        return ""
    said = f"; {len(at)} rows in all: {rows_listed(index[at])}"
    if values is not None:
        distinct = list(dict.fromkeys(plain_value(v) for v in values.iloc[at]))
        if len(distinct) > 1:
            shown = ", ".join(repr(v) for v in distinct[:_SHOWN_VALUES])
            said += f" (values {shown}{', ...' if len(distinct) > _SHOWN_VALUES else ''})"
    return said
