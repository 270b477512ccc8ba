"""How an import's errors name the place of the row they are about.

A reader counts rows from 0 under the header, skipping blank lines; no editor shows that
number. :func:`rows_placed` adds, to an error raised while the rows are read and
validated, the line of the file its row begins on (a CSV file, where the reader found each
row's) or the row of the sheet the count starts at (a title above an Excel sheet's
header), and the text the file wrote where the value was read as thousands
(:func:`coverage_gis.io.decimal_mark.written_as`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

from coverage_gis.errors import LayerValidationError
from coverage_gis.io.decimal_mark import written_as
from coverage_gis.io.table_shape import row_origin

__all__ = ["rows_placed", "with_line", "with_written"]


@contextlib.contextmanager
def rows_placed(notes: list[str], lines: list[int]) -> Iterator[None]:
    """Errors raised inside with the line of the file their row is on, where the reader
    found each row's (a CSV file: blank lines skipped, rows counted from 0 under the
    header), else with the file's row the counting starts at, where a reader's note says
    (a title above an Excel sheet's header: its row 0 is not Excel row 1)."""
    try:
        yield
    except LayerValidationError as exc:
        if exc.row is None and all(e.row is None for e in exc.errors):
            raise
        exc = with_written(exc, notes)
        if lines:
            raise with_line(exc, lines) from None
        origin = row_origin(notes)
        raise (exc if origin is None else exc.with_note(origin)) from None


def with_written(exc: LayerValidationError, notes: list[str]) -> LayerValidationError:
    """``exc`` and each problem it lists with the text the file wrote, where the value it
    names was read as thousands (:func:`~coverage_gis.io.decimal_mark.written_as`)."""
    return _each_noted(exc, lambda error: written_as(notes, error.field, error.row))


def with_line(exc: LayerValidationError, lines: list[int]) -> LayerValidationError:
    """``exc`` and each problem it lists with the line of the file its row begins on
    (``lines``: each row's, from 0)."""

    def line(error: LayerValidationError) -> str | None:
        row = error.row
        return (
            f"row {row} is line {lines[row]} of the file"
            if row is not None and 0 <= row < len(lines)
            else None
        )

    return _each_noted(exc, line)


def _each_noted(
    exc: LayerValidationError, note_of: Callable[[LayerValidationError], str | None]
) -> LayerValidationError:
    """``exc`` and each problem it lists with its own note (None: none)."""

    def noted(error: LayerValidationError) -> LayerValidationError:
        note = note_of(error)
        return error if note is None else error.with_note(note)

    out = noted(exc)
    out.errors = [noted(e) for e in exc.errors]
    return out
