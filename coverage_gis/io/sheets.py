"""A workbook's table when it is split over several sheets (``docs/architecture.md``, importers).

A province sends its village list one sheet per district ("Hoài Nhơn", "Phù Cát", ...), an
operator its sites one sheet per operator: the same columns on every sheet. Imported without
``--source-layer``, reading the first sheet alone would import part of the list and replace
the layer with it. So where every sheet that holds a table has the same columns, the sheets
are read together, in the workbook's order, with a note; each row's place in the workbook
(``row 7 of sheet 'Phù Cát'``) is what an error about it names. Sheets kept by different
hands differ a little: one has a ``Ghi chú`` column, another puts latitude before longitude
or heads the status ``Tình trạng`` where the others write ``Trạng thái``. Where the import
says what each header is read as (:func:`layer_columns`: a field of the layer, a coordinate),
sheets that give the same fields and coordinates are read together too, each column under
the first sheet's header for it (a column no field reads is kept as it is, blank on the
sheets without it). Otherwise (a summary sheet beside the list, sheets of other tables) the
first sheet is read, as a chosen sheet is.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pandas as pd

from coverage_gis.errors import LayerValidationError
from coverage_gis.io.csv_points import coordinate_columns
from coverage_gis.io.headers import match_headers
from coverage_gis.io.xlsx import sheet_note, sheet_table
from coverage_gis.layers import LayerSchema

__all__ = ["ReadAs", "SheetRows", "layer_columns", "workbook_table"]

#: What each of a sheet's headers is read as: a field's name, ``lon``/``lat``, or None (no
#: field reads it).
ReadAs = Callable[[Sequence[str]], list[str | None]]

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
    read_as: ReadAs | None = None,
) -> pd.DataFrame:
    """The table of ``sheets`` (the chosen one, else every sheet of the workbook, of
    ``sheet_count``): one sheet's (see :func:`coverage_gis.io.xlsx.sheet_table`), or every
    sheet's together where they all have the same columns, or give the same fields by
    ``read_as`` (see the module docstring), each row's place then given in ``row_places``."""
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
    same = len(read) >= 2 and all(c == columns[0] for c in columns)
    alike = len(read) >= 2 and not same and read_as is not None and _alike(read, read_as)
    if not (same or alike):
        return _one_sheet(sheets[0], sheet_count=sheet_count, source=source, notes=notes)
    if alike:
        assert read_as is not None
        read = _named_alike(read, read_as)
    places: list[str] = []
    for title, frame, header_row, said in read:
        notes.extend(f"sheet {title!r}: {note}" for note in said)
        places.extend(f"row {header_row + 1 + int(i)} of sheet {title!r}" for i in frame.index)
    if row_places is not None:
        row_places.extend(places)
    shown = ", ".join(f"{title!r} ({len(frame)} rows)" for title, frame, _, _ in read)
    what = "the same columns" if same else "columns read as the same fields"
    notes.append(
        f"read the {len(read)} sheets {shown} together: they have {what} (choose one with --source-layer)"
    )
    return pd.concat([frame for _, frame, _, _ in read], ignore_index=True)


_Read = list[tuple[str, pd.DataFrame, int, list[str]]]


def _alike(read: _Read, read_as: ReadAs) -> bool:
    """Whether the sheets' columns give the same fields and coordinates (at least one field)."""
    given = [frozenset(k for k in read_as([str(c) for c in frame.columns]) if k) for _, frame, _, _ in read]
    return bool(given[0]) and all(g == given[0] for g in given)


def _named_alike(read: _Read, read_as: ReadAs) -> _Read:
    """The sheets with each column a field reads named as the first sheet names it."""
    first = read[0][1]
    names = {k: c for c, k in zip(first.columns, read_as([str(c) for c in first.columns]), strict=True) if k}
    out: _Read = []
    for title, frame, header_row, said in read:
        keys = read_as([str(c) for c in frame.columns])
        renames = {c: names[k] for c, k in zip(frame.columns, keys, strict=True) if k and c != names[k]}
        out.append((title, frame.rename(columns=renames), header_row, said))
    return out


def layer_columns(schema: LayerSchema) -> ReadAs:
    """What each header of a table is read as when it is imported as ``schema``'s layer: a
    field (:func:`coverage_gis.io.headers.match_headers`, the field's own name), ``lon`` or
    ``lat`` (:func:`coverage_gis.io.csv_points.coordinate_columns`), else None."""
    own = {name.casefold(): name for name in schema.field_names}

    def read_as(headers: Sequence[str]) -> list[str | None]:
        try:
            renames, _ = match_headers(headers, schema.fields, source="")
        except LayerValidationError:
            renames = {}
        lon, lat = coordinate_columns(headers)
        axes = {lon: "lon", lat: "lat"}
        return [renames.get(h) or own.get(h.strip().casefold()) or axes.get(h) for h in headers]

    return read_as


def _one_sheet(sheet: SheetRows, *, sheet_count: int, source: str, notes: list[str]) -> pd.DataFrame:
    title, rows, merged = sheet
    frame, header_row = sheet_table(rows, sheet=title, source=source, merged_ranges=merged, notes=notes)
    notes.append(sheet_note(title, sheet_count, header_row, len(frame)))
    return frame
