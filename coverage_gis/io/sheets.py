"""A workbook's table when it is split over several sheets (``docs/architecture.md``, importers).

A province sends its village list one sheet per district ("Hoài Nhơn", "Phù Cát", ...), an
operator its sites one sheet per operator: the same columns on every sheet. Imported without
``--source-layer``, reading the first sheet alone would import part of the list and replace
the layer with it. So where every sheet that holds a table has the same columns, the sheets
are read together, in the workbook's order, with a note; each row's place in the workbook
(``row 7 of sheet 'Phù Cát'``) is what an error about it names. Otherwise (a summary sheet
beside the list, sheets of other tables) the first sheet is read, as a chosen sheet is.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from coverage_gis.errors import LayerValidationError
from coverage_gis.io.xlsx import sheet_note, sheet_table

__all__ = ["SheetRows", "workbook_table"]

#: One sheet as a reader gives it: its title, its rows (sheet row number, cells) and its
#: merged ranges (first column, first row, last column, last row).
SheetRows = tuple[str, list[tuple[int, list[Any]]], list[tuple[int, int, int, int]]]


def workbook_table(
    sheets: Sequence[SheetRows],
    *,
    sheet_count: int,
    chosen: bool,
    source: str,
    notes: list[str],
    row_places: list[str] | None = None,
) -> pd.DataFrame:
    """The table of ``sheets`` (the chosen one, else every sheet of the workbook, of
    ``sheet_count``): one sheet's (see :func:`coverage_gis.io.xlsx.sheet_table`), or every
    sheet's together where they all have the same columns (see the module docstring), each
    row's place then given in ``row_places``."""
    if chosen or len(sheets) == 1:
        return _one_sheet(sheets[0], sheet_count=sheet_count, source=source, notes=notes)
    read: list[tuple[str, pd.DataFrame, int, list[str]]] = []
    for title, rows, merged in sheets:
        said: list[str] = []
        try:
            frame, header_row = sheet_table(
                rows, sheet=title, source=source, merged_ranges=merged, notes=said
            )
        except LayerValidationError:
            continue  # a sheet without a table (a cover, a chart's data left empty)
        read.append((title, frame, header_row, said))
    columns = [list(frame.columns) for _, frame, _, _ in read]
    if len(read) < 2 or any(c != columns[0] for c in columns):
        return _one_sheet(sheets[0], sheet_count=sheet_count, source=source, notes=notes)
    places: list[str] = []
    for title, frame, header_row, said in read:
        notes.extend(f"sheet {title!r}: {note}" for note in said)
        places.extend(f"row {header_row + 1 + int(i)} of sheet {title!r}" for i in frame.index)
    if row_places is not None:
        row_places.extend(places)
    shown = ", ".join(f"{title!r} ({len(frame)} rows)" for title, frame, _, _ in read)
    notes.append(
        f"read the {len(read)} sheets {shown} together: they have the same columns (choose one with "
        "--source-layer)"
    )
    return pd.concat([frame for _, frame, _, _ in read], ignore_index=True)


def _one_sheet(sheet: SheetRows, *, sheet_count: int, source: str, notes: list[str]) -> pd.DataFrame:
    title, rows, merged = sheet
    frame, header_row = sheet_table(rows, sheet=title, source=source, merged_ranges=merged, notes=notes)
    notes.append(sheet_note(title, sheet_count, header_row, len(frame)))
    return frame
