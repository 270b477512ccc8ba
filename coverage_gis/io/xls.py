"""Old binary Excel workbooks (.xls, Excel 97-2003), read into the table an .xlsx gives.

Provincial departments and district offices still save their lists as .xls. xlrd reads
one sheet (the first, or the one ``--source-layer`` names); each cell becomes what
openpyxl gives for the same cell of an .xlsx (:func:`coverage_gis.io.xlsx.cell_value`): a
whole number stored as a float (every .xls number is one) an ``int``, so that a code typed
as a number (``21553``) reads as ``21553`` and not ``21553.0``; a date cell ISO text; an
error cell (``#N/A``) empty. From there the sheet takes the .xlsx path: the header found
under any title rows, the frame indexed by the row under it, and the cells a merged range
covers under the header read as its first cell (:func:`coverage_gis.io.xlsx.sheet_table`):
the workbook is opened with its formatting, where xlrd keeps the merged ranges.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd
import xlrd
from xlrd.biffh import XLRDError
from xlrd.compdoc import CompDocError

from coverage_gis.errors import LayerValidationError
from coverage_gis.io.vector import one_line
from coverage_gis.io.xlsx import cell_value, sheet_named

if TYPE_CHECKING:
    from coverage_gis.io.sheets import ReadAs

__all__ = ["read_xls_table", "xls_sheet_names"]

_UNREADABLE = (XLRDError, CompDocError, OSError, ValueError, AssertionError, IndexError, KeyError, EOFError)


def _open(path: Path, *, source: str) -> xlrd.book.Book:
    """The workbook with its formatting (where the merged ranges are kept); without it where
    xlrd cannot read the formatting of this file (an older BIFF version)."""
    try:
        try:
            return xlrd.open_workbook(str(path), on_demand=True, formatting_info=True)
        except (NotImplementedError, *_UNREADABLE):
            return xlrd.open_workbook(str(path), on_demand=True)
    except _UNREADABLE as exc:
        raise LayerValidationError(
            f"cannot read as an Excel 97-2003 workbook (.xls) ({one_line(exc)})", source=source
        ) from None


def xls_sheet_names(path: Path) -> list[str]:
    """The sheets of the .xls workbook ``path``; none where it cannot be read."""
    try:
        book = xlrd.open_workbook(str(path), on_demand=True)
    except _UNREADABLE:
        return []
    try:
        return [str(n) for n in book.sheet_names()]
    finally:
        book.release_resources()


def _value(cell: xlrd.sheet.Cell, datemode: Literal[0, 1]) -> Any:
    kind, value = cell.ctype, cell.value
    if kind in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK, xlrd.XL_CELL_ERROR):
        return None
    if isinstance(value, str):
        return cell_value(value)
    if kind == xlrd.XL_CELL_DATE:
        try:
            return cell_value(xlrd.xldate.xldate_as_datetime(value, datemode))
        except (xlrd.xldate.XLDateError, ValueError, OverflowError):
            return value  # a number formatted as a date it cannot be: its number
    if kind == xlrd.XL_CELL_BOOLEAN:
        return bool(value)
    if float(value).is_integer() and abs(value) < 2**53:
        return int(value)
    return value


def _merged_ranges(worksheet: xlrd.sheet.Sheet) -> list[tuple[int, int, int, int]]:
    """The sheet's merged ranges as :func:`~coverage_gis.io.xlsx.sheet_table` takes them
    (first column, first row, last column, last row; Excel's numbers, from 1): xlrd gives
    each as rows and columns from 0, the last one past the range."""
    return [
        (clo + 1, rlo + 1, chi, rhi)
        for rlo, rhi, clo, chi in worksheet.merged_cells
        if rhi > rlo and chi > clo
    ]


def read_xls_table(
    path: Path,
    *,
    sheet: str | None,
    notes: list[str],
    row_places: list[str] | None = None,
    read_as: ReadAs | None = None,
) -> pd.DataFrame:
    """One sheet of an .xls workbook as a table (see the module docstring), or without ``sheet``
    its sheets together where they have the same columns (:mod:`coverage_gis.io.sheets`);
    ``notes`` gets which sheet was read and where its header is.

    Raises
    ------
    LayerValidationError
        Not a readable .xls workbook, no such sheet (the sheets are listed), a sheet with no table.
    """
    source = str(path)
    book = _open(path, source=source)
    try:
        names = [str(n) for n in book.sheet_names()]
        if not names:
            raise LayerValidationError("the workbook has no worksheet", source=source)
        titles = names if sheet is None else [sheet_named(names, sheet, source=source)]
        datemode = book.datemode
        sheets = []
        for title in titles:
            try:
                worksheet = book.sheet_by_name(title)
                rows = [
                    (r + 1, [_value(c, datemode) for c in worksheet.row(r)]) for r in range(worksheet.nrows)
                ]
                merged = _merged_ranges(worksheet)
            except _UNREADABLE as exc:
                raise LayerValidationError(
                    f"cannot read sheet {title!r} of the workbook ({one_line(exc)})", source=source
                ) from None
            sheets.append((title, rows, merged))
    finally:
        book.release_resources()
    from coverage_gis.io.sheets import workbook_table

    return workbook_table(
        sheets,
        sheet_count=len(names),
        chosen=sheet is not None,
        source=source,
        notes=notes,
        row_places=row_places,
        read_as=read_as,
    )
