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

__all__ = ["line_places", "rows_placed", "with_line", "with_place", "with_written"]


@contextlib.contextmanager
def rows_placed(notes: list[str], places: list[str]) -> Iterator[None]:
    """Errors raised inside with the place in the file of their row, where the reader found
    each row's (``places``: a CSV file's line, ``line 6 of the file``, blank lines skipped;
    a workbook's sheets read together, ``row 7 of sheet 'Phù Cát'``), else with the file's
    row the counting starts at, where a reader's note says (a title above an Excel sheet's
    header: its row 0 is not Excel row 1)."""
    try:
        yield
    except LayerValidationError as exc:
        if exc.row is None and all(e.row is None for e in exc.errors):
            raise
        exc = with_written(exc, notes)
        if places:
            raise with_place(exc, places) from None
        origin = row_origin(notes)
        raise (exc if origin is None else exc.with_note(origin)) from None


def line_places(lines: list[int]) -> list[str]:
    """Each row's place given its line of the file (``line 6 of the file``)."""
    return [f"line {line} of the file" for line in lines]


def with_written(exc: LayerValidationError, notes: list[str]) -> LayerValidationError:
    """``exc`` and each problem it lists with the text the file wrote, where the value it
    names was read as thousands (:func:`~coverage_gis.io.decimal_mark.written_as`)."""
    return _each_noted(exc, lambda error: written_as(notes, error.field, error.row))


def with_line(exc: LayerValidationError, lines: list[int]) -> LayerValidationError:
    """``exc`` and each problem it lists with the line of the file its row begins on
    (``lines``: each row's, from 0)."""
    return with_place(exc, line_places(lines))


def with_place(exc: LayerValidationError, places: list[str]) -> LayerValidationError:
    """``exc`` and each problem it lists with its row's place in the file (``places``: each
    row's, from 0): ``row 3 is line 6 of the file``."""

    def place(error: LayerValidationError) -> str | None:
        row = error.row
        return f"row {row} is {places[row]}" if row is not None and 0 <= row < len(places) else None

    return _each_noted(exc, place)


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
