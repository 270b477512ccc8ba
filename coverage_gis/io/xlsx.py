"""Excel workbooks (.xlsx): one sheet's table, read into the same frame a CSV gives.

Operators and provincial departments send site, village and fiber-node lists as
workbooks ("Danh sách trạm BTS.xlsx"), usually with a title row and an empty row
above the table. :func:`read_xlsx_table` reads one sheet (the first, or the one named
by ``--source-layer``) with openpyxl in read-only mode, taking formulas as the values
Excel last computed for them (a formula never calculated, as a script may write it,
reads as empty). The table starts at the first row with at least two filled cells (its
header); fully empty rows and columns are skipped. Cells keep their type: numbers stay
numbers (no detour through text, so ``109.123456789`` comes back exactly), dates and
times become ISO text (``2024-03-05``, ``2024-03-05T08:30:00``), text is NFC-normalised.
Text typed in a legacy Vietnamese font (TCVN3's .VnTime: "Th«n"; VNI-Times: "Thoân") is
stored one character a byte: the importer reads it as Vietnamese, as it does in every
format (:mod:`coverage_gis.io.font_text`).
From there on the table takes the CSV path (:func:`coverage_gis.io.csv_points.located_table`
for lon/lat or WKT columns, attribute rows as they are).

The frame's index is the row under the header counted from zero (Excel row = header
row + 1 + index), so the row an error names can be found in Excel; skipped empty rows
keep their number. Old binary workbooks (.xls, Excel 97-2003) are read by
:mod:`coverage_gis.io.xls` into the same table; .xlsb ones are not read:
:func:`refuse_binary_excel` says to save them as .xlsx or CSV UTF-8.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
import warnings
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any
from xml.etree.ElementTree import ParseError

import openpyxl
import pandas as pd
from openpyxl.utils import get_column_letter, range_boundaries
from openpyxl.utils.exceptions import InvalidFileException

from coverage_gis.errors import LayerValidationError
from coverage_gis.io.table_shape import ROW_ORIGIN, is_column_numbers, is_header_row, merged_header
from coverage_gis.io.vector import check_zip_unpacked, one_line

if TYPE_CHECKING:
    from coverage_gis.io.sheets import ReadAs

__all__ = [
    "BINARY_EXCEL_SUFFIXES",
    "WORKBOOK_MEMBER",
    "cell_value",
    "other_sheets_hint",
    "read_xlsx_table",
    "refuse_binary_excel",
    "sheet_named",
    "sheet_note",
    "sheet_table",
]

#: The zip member every .xlsx (and .xlsm) holds.
WORKBOOK_MEMBER = "xl/workbook.xml"
#: Excel formats that are not read, with their name in messages.
BINARY_EXCEL_SUFFIXES: dict[str, str] = {
    ".xlsb": "a binary Excel workbook (.xlsb)",
}


def refuse_binary_excel(source: str, what: str) -> LayerValidationError:
    """The error for a workbook format that is not read (``what`` names it)."""
    return LayerValidationError(
        f"is {what}, which is not read; open it in Excel or LibreOffice and save it as "
        "Excel Workbook (.xlsx) or CSV UTF-8, then import that file",
        source=source,
    )


def cell_value(value: Any) -> Any:
    """One cell as the table holds it: None for empty, ISO text for dates, NFC text."""
    if value is None:
        return None
    if isinstance(value, str):
        text = unicodedata.normalize("NFC", value)
        return text if text.strip() else None
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0, 0) and value.tzinfo is None:
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return str(value)
    return value  # bool, int, float


def _header_name(value: Any, column: int) -> str:
    if value is None:
        return f"column {get_column_letter(column + 1)}"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return unicodedata.normalize("NFC", str(value)).strip()


def _unique(names: list[str]) -> list[str]:
    """Repeated header names made unique as pandas does for CSV (``name``, ``name.1``, ...)."""
    seen: dict[str, int] = {}
    out = []
    for name in names:
        n = seen.get(name, 0)
        seen[name] = n + 1
        out.append(name if n == 0 else f"{name}.{n}")
    return out


def sheet_named(names: Sequence[str], sheet: str, *, source: str) -> str:
    """The sheet of ``names`` that ``sheet`` names: exactly, else matched without case."""
    if sheet in names:
        return sheet
    wanted = unicodedata.normalize("NFC", sheet).strip().casefold()
    close = [n for n in names if unicodedata.normalize("NFC", n).strip().casefold() == wanted]
    if len(close) != 1:
        raise LayerValidationError(
            f"the workbook has no sheet {sheet!r}; its sheets: {', '.join(map(repr, names))}",
            source=source,
        )
    return close[0]


def _pick_sheet(workbook: Any, sheet: str | None, *, source: str) -> Any:
    if sheet is None:
        if not workbook.worksheets:
            raise LayerValidationError("the workbook has no worksheet", source=source)
        return workbook.worksheets[0]
    chosen = workbook[sheet_named(list(workbook.sheetnames), sheet, source=source)]
    if not hasattr(chosen, "iter_rows"):
        raise LayerValidationError(f"sheet {sheet!r} is a chart, not a table", source=source)
    return chosen


def sheet_table(
    rows: Sequence[tuple[int, list[Any]]],
    *,
    sheet: str,
    source: str,
    merged_ranges: Sequence[tuple[int, int, int, int]] = (),
    notes: list[str] | None = None,
) -> tuple[pd.DataFrame, int]:
    """The frame of ``rows`` (Excel row number, cells) and the header's Excel row number.

    ``merged_ranges`` are the sheet's merged ranges (first column, first row, last column, last
    row; Excel numbers): under the header, the cells a range covers take the value of its
    first cell (a report writes a site's code and position once, merged down over the rows
    of its sectors), with a note in ``notes``.
    """
    header_at = next((i for i, (_, cells) in enumerate(rows) if is_header_row(cells)), None)
    if header_at is None:
        raise LayerValidationError(
            f"sheet {sheet!r} holds no table: no row has two or more filled cells, besides an "
            "official heading (a header row is needed)",
            source=source,
        )
    header_row, header = rows[header_at]
    data = [(n, cells) for n, cells in rows[header_at + 1 :] if any(c is not None for c in cells)]
    merged = merged_header(header, data[0][1]) if data else None
    if merged is not None:  # a two-row header: group names over the columns' own
        header_row, header, data = data[0][0], merged, data[1:]
    if data and is_column_numbers(data[0][1]):  # the row of column numbers of an official form
        header_row, data = data[0][0], data[1:]
    if not data:
        raise LayerValidationError(
            f"sheet {sheet!r} has a header on row {header_row} but no data rows under it", source=source
        )
    filled = _fill_merged(data, merged_ranges, header_row)
    if filled and notes is not None:
        notes.append(f"{filled} merged cells under the header read as the first cell of their merge")
    width = max(len(header), *(len(cells) for _, cells in data))
    grid = [cells + [None] * (width - len(cells)) for _, cells in data]
    header = header + [None] * (width - len(header))
    keep = [j for j in range(width) if header[j] is not None or any(r[j] is not None for r in grid)]
    columns = _unique([_header_name(header[j], j) for j in keep])
    frame = pd.DataFrame(
        [[r[j] for j in keep] for r in grid],
        columns=pd.Index(columns),
        index=pd.Index([n - header_row - 1 for n, _ in data]),
        dtype=object,
    )
    return frame, header_row


def _fill_merged(
    data: list[tuple[int, list[Any]]], merged: Sequence[tuple[int, int, int, int]], header_row: int
) -> int:
    """Fill in place the empty cells of ``data`` (Excel row number, cells) that a merged range
    of one column under the header covers with the value of the range's first cell; how
    many were. (A range across columns is a label spread over them, not a value of each.)"""
    by_row = dict(data)
    filled = 0
    for first_col, first_row, last_col, last_row in merged:
        top = by_row.get(first_row)
        if first_col != last_col or first_row <= header_row or top is None or first_col > len(top):
            continue
        c = first_col - 1
        for n in range(first_row + 1, last_row + 1):
            cells = by_row.get(n)
            if cells is not None and c < len(cells) and cells[c] is None:
                cells[c] = top[c]
                filled += 1
    return filled


#: A merged range in a sheet's XML (``<mergeCell ref="A2:A4"/>``, with or without a prefix).
_MERGE_CELL = re.compile(rb"<(?:\w+:)?mergeCell\b[^>]*?\bref=\"([A-Z]+[0-9]+:[A-Z]+[0-9]+)\"")


def _merged_ranges(worksheet: Any) -> list[tuple[int, int, int, int]]:
    """The merged ranges of a read-only worksheet (read-only mode does not load them)."""
    with worksheet._get_source() as xml:
        text = xml.read()
    ranges = [range_boundaries(ref.decode()) for ref in _MERGE_CELL.findall(text)]
    return [(a, b, c, d) for a, b, c, d in ranges if a is not None and b is not None and c and d]


_UNREADABLE = (InvalidFileException, zipfile.BadZipFile, ParseError, KeyError, OSError, ValueError, TypeError)


def _sheet_rows(
    path: Path, sheet: str | None, *, source: str
) -> tuple[list[tuple[str, list[tuple[int, list[Any]]], list[tuple[int, int, int, int]]]], int]:
    """The sheets read (the chosen one; without one, every sheet): each one's title, rows
    (Excel row number, cells) and merged ranges; and the number of sheets."""
    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except _UNREADABLE as exc:
        raise LayerValidationError(
            f"cannot read as an Excel workbook (.xlsx) ({one_line(exc)})", source=source
        ) from None
    try:
        chosen = [_pick_sheet(workbook, sheet, source=source)]
        if sheet is None:
            chosen = [w for w in workbook.worksheets if hasattr(w, "iter_rows")] or chosen
        sheets = []
        for worksheet in chosen:
            title = str(worksheet.title)
            worksheet.reset_dimensions()  # trust the cells, not the size a writer claimed
            try:
                rows = [
                    (n, [cell_value(v) for v in cells])
                    for n, cells in enumerate(worksheet.iter_rows(values_only=True), start=1)
                ]
                merged = _merged_ranges(worksheet)
            except _UNREADABLE as exc:
                raise LayerValidationError(
                    f"cannot read sheet {title!r} of the workbook ({one_line(exc)})", source=source
                ) from None
            sheets.append((title, rows, merged))
        return sheets, len(workbook.sheetnames)
    finally:
        workbook.close()


def other_sheets_hint(exc: LayerValidationError, path: Path) -> LayerValidationError:
    """``exc`` (raised reading the first sheet of workbook ``path``, no sheet chosen) with the
    workbook's sheets named when it has several: the table may be on another one. An error
    about one row, or of a workbook with one sheet, is ``exc`` as it is."""
    if exc.row is not None:
        return exc
    names = _sheet_names(path)
    if len(names) < 2:
        return exc
    return LayerValidationError(
        f"{exc.reason}, in sheet {names[0]!r}, the first of the workbook's sheets "
        f"({', '.join(map(repr, names))}); choose the sheet with the table with --source-layer",
        source=exc.source,
        field=exc.field,
        layer=exc.layer,
    )


def _sheet_names(path: Path) -> list[str]:
    """The sheets of the workbook ``path`` (.xlsx or .xls); none where it cannot be read."""
    if not zipfile.is_zipfile(path):
        from coverage_gis.io.xls import xls_sheet_names

        return xls_sheet_names(path)
    try:
        workbook = openpyxl.load_workbook(path, read_only=True)
    except _UNREADABLE:
        return []
    names = list(workbook.sheetnames)
    workbook.close()
    return names


def read_xlsx_table(
    path: Path,
    *,
    sheet: str | None,
    max_bytes: int,
    notes: list[str],
    row_places: list[str] | None = None,
    read_as: ReadAs | None = None,
) -> pd.DataFrame:
    """One sheet of an .xlsx workbook as a table (see the module docstring), or without ``sheet``
    its sheets together where they have the same columns (:mod:`coverage_gis.io.sheets`;
    ``row_places`` then gets each row's place in the workbook).

    Parameters
    ----------
    path
        The workbook.
    sheet
        Sheet name (exact, else matched case-insensitively); default: the first sheet.
    max_bytes
        Limit on the workbook's unpacked size.
    notes
        Gets which sheet was read and where its header is.

    Returns
    -------
    pandas.DataFrame
        Object columns named by the header (stripped; an unnamed column with data is
        ``column F``); index = row under the header counted from zero.

    Raises
    ------
    LayerValidationError
        Not a readable workbook, no such sheet (the sheets are listed), a sheet with no table.
    InputTooLarge
        A workbook that unpacks to more than ``max_bytes``.
    """
    source = str(path)
    if not zipfile.is_zipfile(path):
        raise LayerValidationError(
            "cannot read as an Excel workbook (.xlsx): the file is not a zip archive, as every .xlsx is "
            "(CSV text should be named .csv)",
            source=source,
        )
    check_zip_unpacked(path, max_bytes=max_bytes)
    with warnings.catch_warnings():
        # openpyxl warns about parts it skips (styles, data validation, extensions) that
        # do not change a cell's value; they are no concern of an import.
        warnings.simplefilter("ignore")
        sheets, sheet_count = _sheet_rows(path, sheet, source=source)
    from coverage_gis.io.sheets import workbook_table

    return workbook_table(
        sheets,
        sheet_count=sheet_count,
        chosen=sheet is not None,
        source=source,
        notes=notes,
        row_places=row_places,
        read_as=read_as,
    )


def sheet_note(title: str, sheet_count: int, header_row: int, rows: int) -> str:
    """The note on which sheet of a workbook was read and where its table is."""
    others = sheet_count - 1
    shown = f" (of {others + 1} sheets; pick another with --source-layer)" if others else ""
    return (
        f"read sheet {title!r}{shown}: header on Excel row {header_row}, {rows} data rows; "
        f"{ROW_ORIGIN}Excel row {header_row + 1}"
    )
