"""How an import's notes and errors name rows: a list of row numbers cut after the
first few, and a count of rows."""

from __future__ import annotations

from collections.abc import Iterable

#: Row numbers a note or error lists before "...".
SHOWN_ROWS = 10


def rows_listed(rows: Iterable[int]) -> str:
    """``0, 4, 9`` — the first :data:`SHOWN_ROWS` row numbers, then ``...`` if there are more."""
    numbers = [str(int(r)) for r in rows]
    shown = ", ".join(numbers[:SHOWN_ROWS])
    return shown + (", ..." if len(numbers) > SHOWN_ROWS else "")


def rows_counted(n: int) -> str:
    """``1 row``, ``3 rows``."""
    return f"{n} row{'s' if n != 1 else ''}"
