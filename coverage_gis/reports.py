"""Tables as report files for spreadsheet users: XLSX with labelled headers, and the text rule.

Owns how a report table reaches a spreadsheet:

- headers in Vietnamese (default) or English from a label table the caller gives
  (column → ``(vi, en)``), the column name where it has no label;
- a frozen header row and an autofilter over the table;
- number formats from the unit in a column's name (house style): ``*_vnd`` whole đồng,
  ``lon``/``lat`` six decimals, ``*_pct`` one decimal, ``*_m`` and counts whole numbers;
- **formula-injection safety**: a text cell that a spreadsheet could run as a formula
  (:func:`coverage_gis.spreadsheet.is_formula_like`, the one rule for every CSV and
  XLSX writer) is written as text with the quote prefix, never as a formula.
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import Cell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from coverage_gis._files import atomic_path
from coverage_gis._values import plain_scalar
from coverage_gis.spreadsheet import is_formula_like

#: Header labels of a table: column → (Vietnamese, English).
Labels = Mapping[str, tuple[str, str]]

VND_FORMAT = "#,##0"
COORDINATE_FORMAT = "0.000000"
PERCENT_FORMAT = "0.0"
WHOLE_FORMAT = "#,##0"
DECIMAL_FORMAT = "#,##0.00"
_MAX_WIDTH = 60


@dataclass(frozen=True)
class Sheet:
    """One sheet of a workbook: its title (31 characters kept), table and header labels.

    A GeoDataFrame gets ``lon``/``lat`` columns instead of its geometry.
    """

    title: str
    frame: pd.DataFrame
    labels: Labels = field(default_factory=dict)


def number_format(column: str, dtype: np.dtype | pd.api.extensions.ExtensionDtype) -> str | None:
    """The number format of a column from the unit in its name, else from its type."""
    if column.endswith("_vnd"):
        return VND_FORMAT
    if column in ("lon", "lat") or column.endswith(("_lon", "_lat")):
        return COORDINATE_FORMAT
    if column.endswith("_pct"):
        return PERCENT_FORMAT
    if column.endswith("_m"):
        return WHOLE_FORMAT
    if pd.api.types.is_bool_dtype(dtype):
        return None
    if pd.api.types.is_integer_dtype(dtype):
        return WHOLE_FORMAT
    if pd.api.types.is_float_dtype(dtype):
        return DECIMAL_FORMAT
    return None


def tabular(frame: pd.DataFrame) -> pd.DataFrame:
    """A table without geometry: a GeoDataFrame's geometry becomes ``lon``/``lat`` of a
    point on it (the point itself for points), rounded to six decimals (≈ 0.1 m)."""
    out = pd.DataFrame(frame.drop(columns=["geometry"], errors="ignore")).reset_index(drop=True)
    if isinstance(frame, gpd.GeoDataFrame) and "geometry" in frame:
        anchor = frame.geometry.representative_point()
        out["lon"] = np.round(anchor.x.to_numpy(dtype=np.float64), 6)
        out["lat"] = np.round(anchor.y.to_numpy(dtype=np.float64), 6)
    return out


def _cell(sheet: WriteOnlyWorksheet, value: object, fmt: str | None) -> Cell | None:
    plain = plain_scalar(value)
    if plain is None or (isinstance(plain, float) and not math.isfinite(plain)):
        return None
    if isinstance(plain, str):
        cell = WriteOnlyCell(sheet, value=plain)
        if is_formula_like(plain):
            # Stored as a string (no <f> element) and marked as typed text, so neither
            # opening nor editing the cell turns it into a formula.
            cell.data_type = "s"
            cell.quotePrefix = True
        return cell
    cell = WriteOnlyCell(sheet, value=plain)
    if fmt is not None and not isinstance(plain, bool):
        cell.number_format = fmt
    return cell


def _add_sheet(book: Workbook, spec: Sheet, lang: str) -> None:
    table = tabular(spec.frame)
    sheet = book.create_sheet(title=spec.title[:31])
    columns = [str(c) for c in table.columns]
    labels = spec.labels
    headers = [labels[c][0 if lang == "vi" else 1] if c in labels else c for c in columns]
    formats = [number_format(c, table[c].dtype) for c in columns]
    widths = [len(h) + 2 for h in headers]
    sheet.freeze_panes = "A2"
    if columns:
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{len(table) + 1}"
    bold = Font(bold=True)
    header_cells = []
    for h in headers:
        head = _cell(sheet, h, None) or WriteOnlyCell(sheet, value=h)
        head.font = bold
        header_cells.append(head)
    rows: list[list[Cell | None]] = []
    for values in table.itertuples(index=False, name=None):
        row = [_cell(sheet, v, f) for v, f in zip(values, formats, strict=True)]
        for k, cell in enumerate(row):
            if cell is not None and isinstance(cell.value, str):
                widths[k] = max(widths[k], len(cell.value) + 2)
        rows.append(row)
    for k, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(k)].width = min(max(width, 10), _MAX_WIDTH)
    sheet.append(header_cells)
    for row in rows:
        sheet.append(row)


def xlsx_bytes(sheets: Sequence[Sheet], *, lang: str = "vi") -> bytes:
    """A workbook with the given sheets, as bytes; headers in ``lang`` (``vi`` or ``en``)."""
    if lang not in ("vi", "en"):
        raise ValueError(f"lang must be vi or en, not {lang!r}")
    book = Workbook(write_only=True)
    for spec in sheets:
        _add_sheet(book, spec, lang)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def write_xlsx(sheets: Sequence[Sheet], path: Path, *, lang: str = "vi") -> Path:
    """:func:`xlsx_bytes` written to ``path`` atomically."""
    body = xlsx_bytes(sheets, lang=lang)
    with atomic_path(path) as tmp:
        tmp.write_bytes(body)
    return path
