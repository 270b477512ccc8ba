"""Tables as report files for spreadsheet users: XLSX with labelled headers, and CSV.

The one owner of how a table reaches a spreadsheet (the CLI, the API's downloads, the
planner's exports and the provincial report all write through here):

- headers in Vietnamese (default) or English from a label table the caller gives
  (column → ``(vi, en)``; :func:`coverage_gis.messages.labels` makes one), the column
  name where it has no label; wrapped in a bold header row;
- a frozen header row, an autofilter over the table and column widths from the
  content (between 8 and 50 characters);
- values and number formats from the unit in a column's name (house style,
  :func:`coverage_gis.display.column_unit`): ``*_vnd`` whole đồng (``#,##0``) or
  triệu đồng (the same whole-đồng value shown in millions, ``#,##0.0,,``), ``lon``/``lat``
  six decimals, ``*_pct`` one decimal by the display rule (never 100,0 or 0,0 unless
  exactly so, :func:`coverage_gis.display.display_share`), ``*_dbm`` and ``*_mbps`` one
  decimal, ``*_m`` and counts whole numbers; yes/no in the sheet's language;
- **formula-injection safety**: a text cell that a spreadsheet could run as a formula
  (:func:`coverage_gis.spreadsheet.is_formula_like`, the one rule for every CSV and
  XLSX writer) is written as text with the quote prefix, never as a formula; characters
  XML cannot hold become U+FFFD;
- CSV for spreadsheets (:func:`csv_bytes`): UTF-8 with a byte-order mark (Excel then
  reads the diacritics), ``,`` or ``;`` (with decimal commas, as Excel expects in a
  Vietnamese locale), money, coordinates and levels rounded as displayed;
- download file names that say what and whose (:func:`download_name`).
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd

from coverage_gis._files import atomic_path
from coverage_gis._values import plain_scalar
from coverage_gis.display import (
    COORDINATE_DIGITS,
    Lang,
    MoneyUnit,
    column_unit,
    display_value,
    format_yes_no,
)
from coverage_gis.spreadsheet import csv_safe_frame, is_formula_like
from coverage_gis.text_forms import ascii_slug

if TYPE_CHECKING:
    from openpyxl import Workbook
    from openpyxl.cell.cell import Cell
    from openpyxl.worksheet._write_only import WriteOnlyWorksheet

#: Header labels of a table: column → (Vietnamese, English).
Labels = Mapping[str, tuple[str, str]]

VND_FORMAT = "#,##0"
#: Whole đồng shown in millions (each trailing comma divides by 1,000 on display only).
MILLION_VND_FORMAT = "#,##0.0,,"
COORDINATE_FORMAT = "0.000000"
PERCENT_FORMAT = "0.0"
ONE_DECIMAL_FORMAT = "#,##0.0"
WHOLE_FORMAT = "#,##0"
DECIMAL_FORMAT = "#,##0.00"
_MIN_WIDTH = 8
_MAX_WIDTH = 50
#: Points per line of header text (Calibri 11).
_LINE_HEIGHT_PT = 15.0
#: A whole-đồng unit in a label → the unit of a sheet shown in millions.
_MILLION_UNITS: dict[str, str] = {"(đồng)": "(triệu đồng)", "(VND)": "(million VND)"}


@dataclass(frozen=True)
class Sheet:
    """One sheet of a workbook: its title (31 characters kept), table and header labels.

    A GeoDataFrame gets ``lon``/``lat`` columns instead of its geometry. ``formats``
    overrides the number format of columns whose name carries no unit; ``notes`` puts a
    comment on a column's header cell saying what it measures (e.g. ``kpi_labels.kpi_labels(lang)``).
    """

    title: str
    frame: pd.DataFrame
    labels: Labels = field(default_factory=dict)
    formats: Mapping[str, str] = field(default_factory=dict)
    notes: Mapping[str, str] = field(default_factory=dict)


def number_format(
    column: str, dtype: np.dtype | pd.api.extensions.ExtensionDtype, *, money: MoneyUnit = "dong"
) -> str | None:
    """The number format of a column from the unit in its name, else from its type."""
    unit = column_unit(column)
    if unit == "vnd":
        return MILLION_VND_FORMAT if money == "million" else VND_FORMAT
    if unit == "coordinate":
        return COORDINATE_FORMAT
    if unit == "pct":
        return PERCENT_FORMAT
    if unit in ("dbm", "mbps"):
        return ONE_DECIMAL_FORMAT
    if unit == "m":
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
    if isinstance(frame, gpd.GeoDataFrame) and "geometry" in frame and "lon" not in out:
        anchor = frame.geometry.representative_point()
        out["lon"] = np.round(anchor.x.to_numpy(dtype=np.float64), COORDINATE_DIGITS)
        out["lat"] = np.round(anchor.y.to_numpy(dtype=np.float64), COORDINATE_DIGITS)
    return out


def _header_text(column: str, labels: Labels, lang: Lang, money: MoneyUnit) -> str:
    if column not in labels:
        return column
    text = labels[column][0 if lang == "vi" else 1]
    if money == "million" and column_unit(column) == "vnd":
        # A label written for whole đồng names the unit the cells are shown in.
        for whole, million in _MILLION_UNITS.items():
            text = text.replace(whole, million)
    return text


def _cell(sheet: WriteOnlyWorksheet, value: object, fmt: str | None, lang: Lang) -> Cell | None:
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    plain = plain_scalar(value)
    if plain is None or (isinstance(plain, float) and not math.isfinite(plain)):
        return None
    if isinstance(plain, bool):
        return WriteOnlyCell(sheet, value=format_yes_no(plain, lang=lang))
    if isinstance(plain, str):
        cell = WriteOnlyCell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("\ufffd", plain))
        # Always a shared string, never a formula (openpyxl stores text starting with "="
        # as one); formula-like text also gets the quote prefix, so editing the cell
        # does not turn it into a formula either.
        cell.data_type = "s"
        if is_formula_like(plain):
            cell.quotePrefix = True
        return cell
    cell = WriteOnlyCell(sheet, value=plain)
    if fmt is not None:
        cell.number_format = fmt
    return cell


def _shown_width(value: object, fmt: str | None) -> int:
    """Characters a value takes on screen in its format (roughly: digits, separators, decimals)."""
    if isinstance(value, str):
        return len(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        if fmt == MILLION_VND_FORMAT:
            value = value / 1e6
        decimals = len(fmt.split(".")[1].rstrip(",")) if fmt and "." in fmt else 0
        digits = len(f"{abs(value):.0f}")
        return digits + (digits - 1) // 3 + (decimals + 1 if decimals else 0) + (value < 0)
    return len(str(value))


def _add_sheet(book: Workbook, spec: Sheet, lang: Lang, money: MoneyUnit) -> None:
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    table = tabular(spec.frame)
    sheet = book.create_sheet(title=spec.title[:31])
    columns = [str(c) for c in table.columns]
    headers = [_header_text(c, spec.labels, lang, money) for c in columns]
    formats = [spec.formats.get(c) or number_format(c, table[c].dtype, money=money) for c in columns]
    widths = [max((len(word) for word in h.split()), default=0) + 2 for h in headers]
    sheet.freeze_panes = "A2"
    if columns:
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{len(table) + 1}"
    rows: list[list[Cell | None]] = []
    for values in table.itertuples(index=False, name=None):
        row = []
        for k, (column, value, fmt) in enumerate(zip(columns, values, formats, strict=True)):
            cell = _cell(sheet, display_value(column, value), fmt, lang)
            if cell is not None:
                widths[k] = max(widths[k], _shown_width(cell.value, fmt) + 2)
            row.append(cell)
        rows.append(row)
    widths = [min(max(w, _MIN_WIDTH), _MAX_WIDTH) for w in widths]
    for k, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(k)].width = width
    # The header wraps within its column; the row is as tall as its longest header.
    lines = max((math.ceil(len(h) / max(w - 1, 1)) for h, w in zip(headers, widths, strict=True)), default=1)
    sheet.row_dimensions[1].height = _LINE_HEIGHT_PT * max(lines, 1)
    bold = Font(bold=True)
    wrap = Alignment(wrap_text=True, vertical="top")
    header_cells = []
    for column, h in zip(columns, headers, strict=True):
        head = _cell(sheet, h, None, lang) or WriteOnlyCell(sheet, value=h)
        head.font = bold
        head.alignment = wrap
        if spec.notes.get(column):
            head.comment = Comment(f"{column}: {spec.notes[column]}", "coverage-gis")
        header_cells.append(head)
    sheet.append(header_cells)
    for row in rows:
        sheet.append(row)


def xlsx_bytes(sheets: Sequence[Sheet], *, lang: str = "vi", money: MoneyUnit = "dong") -> bytes:
    """A workbook with the given sheets, as bytes; headers and yes/no in ``lang`` (``vi`` or
    ``en``); money in whole đồng or, with ``money="million"``, shown in triệu đồng."""
    if lang not in ("vi", "en"):
        raise ValueError(f"lang must be vi or en, not {lang!r}")
    if money not in ("dong", "million"):
        raise ValueError(f"money must be dong or million, not {money!r}")
    # openpyxl is imported where a workbook is written: it takes longer to import than
    # many commands that never write one run.
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    for spec in sheets:
        _add_sheet(book, spec, "vi" if lang == "vi" else "en", money)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def write_xlsx(sheets: Sequence[Sheet], path: Path, *, lang: str = "vi", money: MoneyUnit = "dong") -> Path:
    """:func:`xlsx_bytes` written to ``path`` atomically."""
    body = xlsx_bytes(sheets, lang=lang, money=money)
    with atomic_path(path) as tmp:
        tmp.write_bytes(body)
    return path


# --------------------------------------------------------------------------- CSV

#: CSV field separators by name (``;`` goes with decimal commas).
CSV_SEPARATORS: tuple[str, ...] = (",", ";")


def rounded_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` without geometry, money in whole đồng, coordinates to six decimals, levels
    and speeds to one, metres whole (shares keep their precision: nothing shows them rounded)."""
    out = tabular(frame)
    for column in out.columns:
        unit = column_unit(str(column))
        if unit is None or unit == "pct" or not pd.api.types.is_numeric_dtype(out[column].dtype):
            continue
        out[column] = [display_value(str(column), v) for v in out[column].to_numpy(dtype=object)]
        out[column] = pd.to_numeric(out[column])
    return out


def csv_bytes(
    frame: pd.DataFrame, *, sep: str = ",", bom: bool = True, headers: Sequence[str] | None = None
) -> bytes:
    """``frame`` as CSV for a spreadsheet: UTF-8 (with a byte-order mark unless ``bom`` is
    False), header row (``headers`` instead of the column names when given), no index,
    geometry as ``lon``/``lat``, numbers rounded as displayed (:func:`rounded_frame`) and
    formula-like text quoted. ``sep=";"`` writes decimal commas (Excel in a Vietnamese or
    European locale reads both)."""
    if sep not in CSV_SEPARATORS:
        raise ValueError(f"sep must be one of {CSV_SEPARATORS}, not {sep!r}")
    table = csv_safe_frame(rounded_frame(frame))
    buffer = io.StringIO()
    table.to_csv(
        buffer,
        index=False,
        sep=sep,
        decimal="," if sep == ";" else ".",
        header=list(headers) if headers is not None else True,
    )
    text = buffer.getvalue()
    return (("\ufeff" + text) if bom else text).encode("utf-8")


# --------------------------------------------------------------------------- file names


def download_stem(what: str, *, place: str, revision: int) -> str:
    """A download's file name without extension: what, whose (a place name, as ASCII) and
    the revision (``gaps-mobile-binh-dinh-rev12``)."""
    parts = [ascii_slug(what), ascii_slug(place), f"rev{revision}"]
    return "-".join(p for p in parts if p)


def download_name(what: str, *, place: str, revision: int, extension: str) -> str:
    """:func:`download_stem` with its extension (``gaps-mobile-binh-dinh-rev12.xlsx``)."""
    return f"{download_stem(what, place=place, revision=revision)}.{extension}"
