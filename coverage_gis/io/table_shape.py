"""The shape of a table as spreadsheets save it: where its header is and where its rows end.

Owns what CSV text and Excel sheets share before their cells are read as fields: the
delimiter of delimited text (:func:`sniff_delimiter`), the header as the first row with
:data:`HEADER_MIN_CELLS` filled cells that is not a line of an official document's heading
(:func:`is_header_row`; a title, empty rows and the heading above it skipped:
:func:`title_lines` for CSV text, :mod:`coverage_gis.io.xlsx` for sheets), a two-row header
with merged group cells read as one (:func:`merged_header`), the row that numbers the columns
under a header in official forms skipped (:func:`is_column_numbers`), rows with nothing in them
but their number left out wherever they are (:func:`without_empty_rows`: the blank rows Excel
saves as ``,,,``, a template's numbered rows left unfilled), and a totals row and signature lines
under the rows left out (:func:`without_totals`), and the rows that head or total a group of
rows among them left out (:func:`without_group_rows`: ``I. VIETTEL``, ``Cộng Tuy Phước``).
"""

from __future__ import annotations

import csv
import itertools
import re
from collections.abc import Sequence

import numpy as np
import pandas as pd

from coverage_gis._values import is_blank, typed_text
from coverage_gis.text_forms import fold_diacritics, folded_words

__all__ = [
    "DMS_PARTS",
    "HEADER_MIN_CELLS",
    "ROW_ORIGIN",
    "YES_NO_PARTS",
    "is_column_numbers",
    "is_header_row",
    "merged_header",
    "row_origin",
    "sniff_delimiter",
    "title_lines",
    "without_empty_rows",
    "without_group_rows",
    "without_totals",
]

_DELIMITERS = (",", ";", "\t")
#: How a reader that skipped lines above a table says where the rows errors count start
#: (the end of its note: ``… at Excel row 5``); :func:`row_origin` finds it again.
ROW_ORIGIN = "row numbers in messages count from 0 at "
#: A table's header row has at least this many filled cells (a title row above it has one).
HEADER_MIN_CELLS = 2


def sniff_delimiter(first_line: str) -> str:
    """The delimiter used by a header line: the most frequent of comma, semicolon, tab."""
    counts = {d: first_line.count(d) for d in _DELIMITERS}
    best = max(_DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def merged_header(header: Sequence[object], under: Sequence[object]) -> list[object] | None:
    """The one header of a two-row header, or None when ``under`` is a data row.

    A report's header often groups columns under a merged cell: "Tọa độ" over "Kinh độ" and
    "Vĩ độ", the other headers merged down over both rows. ``under`` (the row below the
    header, empty cells None) is such a second row when all its filled cells are text, one
    at least lies under an empty header cell, and each lies under an empty header cell or
    under the first cell of a group (an empty header cell with a filled one under it to its
    right). The header is then ``under``'s names where it has them, the header's elsewhere.
    """
    width = max(len(header), len(under))
    top = [*header, *[None] * (width - len(header))]
    low = [*under, *[None] * (width - len(under))]
    filled = [j for j in range(width) if low[j] is not None]
    if not filled or not all(isinstance(low[j], str) for j in filled):
        return None
    if all(top[j] is not None for j in filled):
        return None
    for j in filled:
        group_start = j + 1 < width and top[j + 1] is None and low[j + 1] is not None
        if top[j] is not None and not group_start:
            return None
    names = [low[j] if low[j] is not None else top[j] for j in range(width)]
    # Degrees, minutes and seconds under a coordinate's group ("Kinh độ" over "Độ | Phút |
    # Giây") keep the group's name: "Kinh độ (phút)" (joined by io.dms.dms_columns_joined).
    group = None
    for j in range(width):
        group = top[j] if top[j] is not None else group
        part = low[j]
        if group is not None and isinstance(part, str) and fold_diacritics(part).strip().lower() in DMS_PARTS:
            names[j] = f"{group} ({part})"
        # Sectors under a field's group ("Góc phương vị" over "Sector 1 | Sector 2"): "Góc
        # phương vị Sector 1" (read as one list by io.sector_columns).
        elif group is not None and isinstance(part, str) and _SECTOR.fullmatch(part.strip()):
            names[j] = f"{group} {part.strip()}"
        # Yes and no under a yes/no field's group ("Điện lưới" over "Có | Chưa có"): "Điện
        # lưới (Có)" (read as one column by io.yes_no_columns).
        elif group is not None and isinstance(part, str) and folded_words(part) in YES_NO_PARTS:
            names[j] = f"{group} ({part.strip()})"
    return names


#: A sector's label under a group header (``Sector 1``, ``S2``, ``Cell 3``): a word is needed,
#: a bare number under a group is something else (a table's column numbers).
_SECTOR = re.compile(r"(?:sector|sec|cell|cánh|s)\s*[#.]?\s*[1-9]", re.IGNORECASE)


#: Sub-headers under a yes/no field's group (without diacritics, lower case) → the answer a
#: tick in that column gives.
YES_NO_PARTS: dict[str, bool] = {
    "co": True,
    "da co": True,
    "yes": True,
    "chua co": False,
    "chua": False,
    "khong": False,
    "khong co": False,
    "no": False,
}


#: Headers of the degrees, minutes and seconds of one coordinate in columns of their own
#: (without diacritics, lower case) → the part each is.
#: (No lone ``m``: under a height it is metres.)
DMS_PARTS: dict[str, str] = {
    "do": "d", "deg": "d", "degree": "d", "degrees": "d", "°": "d",
    "phut": "m", "min": "m", "minute": "m", "minutes": "m", "'": "m",
    "giay": "s", "sec": "s", "second": "s", "seconds": "s", '"': "s",
}  # fmt: skip


#: One label of a row that numbers a form's columns: ``1``, ``(2)``, ``[3]``, ``A``.
_COLUMN_LABEL = re.compile(r"\A[(\[]?(\d{1,3}|[A-Z])[)\]]?\Z")
#: A row that numbers the columns has at least this many labels.
_NUMBERED_MIN_CELLS = 3


def is_column_numbers(row: Sequence[object]) -> bool:
    """Whether ``row`` (under a header; empty cells None) numbers the columns, as Vietnamese
    official forms do under their header: every filled cell a label of :data:`_COLUMN_LABEL`,
    at least :data:`_NUMBERED_MIN_CELLS`, counting up by one (``1 2 3 …``, ``(1) (2) (3) …``,
    ``A B C …``)."""
    keys = []
    for cell in row:
        if cell is None or (isinstance(cell, str) and not cell.strip()):
            continue
        text = str(int(cell)) if isinstance(cell, float) and cell.is_integer() else str(cell).strip()
        found = _COLUMN_LABEL.match(text)
        if found is None or isinstance(cell, bool):
            return False
        label = found.group(1)
        keys.append(int(label) if label.isdigit() else ord(label) - ord("A") + 1)
    return len(keys) >= _NUMBERED_MIN_CELLS and all(b == a + 1 for a, b in itertools.pairwise(keys))


#: A cell of an official document's heading, as :func:`is_header_row` compares it (without
#: diacritics, lower case, spaces squeezed): the national name and motto, the document's
#: number (``Số: 12/BC-STTTT``), its place and date (``Bình Định, ngày 5 tháng 3 năm 2024``),
#: and the rule drawn under a heading (``--------``).
_HEADING_CELL = re.compile(
    r"\A(?:cong hoa xa hoi chu nghia viet nam|doc lap\W+tu do\W+hanh phuc|so\s*:.*"
    r"|.*\bngay\s*[\d.…]+\s*thang\s*[\d.…]+\s*nam\s*[\d.…]+|[-_=*.~ ]+)\Z"
)


def is_header_row(cells: Sequence[object]) -> bool:
    """Whether a row (empty cells None or blank text) may be a table's header: it has at least
    :data:`HEADER_MIN_CELLS` filled cells and is not a line of an official document's heading.

    Vietnamese official lists open with a heading of two blocks side by side: the agency on
    the left (``UBND TỈNH BÌNH ĐỊNH`` / ``SỞ THÔNG TIN VÀ TRUYỀN THÔNG``), the national name
    and motto on the right (``CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM`` / ``Độc lập - Tự do - Hạnh
    phúc``), then the number and date: two filled cells a row, as a header has. A row with a
    cell of :data:`_HEADING_CELL` is such a line, never a header.
    """
    filled = [c for c in cells if c is not None and not (isinstance(c, str) and not c.strip())]
    if len(filled) < HEADER_MIN_CELLS:
        return False
    return not any(
        isinstance(c, str) and _HEADING_CELL.match(" ".join(fold_diacritics(c).lower().split()))
        for c in filled
    )


def title_lines(text: str) -> int:
    """How many lines open ``text`` before its header (:func:`is_header_row`): a sheet's title
    row and the empty rows under it, as Excel saves them in a CSV (``DANH SÁCH TRẠM BTS,,,,``),
    and an official document's heading. 0 when no line may be a header."""
    for i, line in enumerate(text.splitlines()):
        if is_header_row(next(csv.reader([line], delimiter=sniff_delimiter(line)), [])):
            return i
    return 0


#: The label of a totals row, without diacritics and lower case: ``Tổng cộng``, ``TỔNG SỐ``,
#: ``Total``, or a short ``Tổng``/``Cộng``/``Sum`` ending there or before a colon or a number
#: (``Cộng: 12``; a name like ``Cộng Hòa`` is no label).
_TOTALS_LABEL = re.compile(
    r"\A(?:(?:tong cong|tong so|grand total|sub ?total|total)\b|(?:tong|cong|sum)\s*(?:\Z|[:(\d-])"
    # a query's count under its output: Ericsson ENM's "4 instance(s)", SQL's "(4 rows)"
    r"|\(?\d+ (?:instance|row|record)s?(?:\(s\))?(?: (?:selected|returned))?\)?\Z)"
)


#: The label of a subtotal row among the rows, as :data:`_TOTALS_LABEL` is compared: a short
#: ``Cộng``/``Tổng``/``Subtotal``, or one naming its unit (``Cộng xã Bảo Hà``). A grand total
#: (``Tổng cộng``) among the rows is data, and refused as such.
_SUBTOTAL_LABEL = re.compile(
    r"\A(?:cong|tong|sub ?total)(?:\s*\Z|\s*[:(\d-]|\s+(?:xa|phuong|thi tran|huyen|thon)\b)"
)


def _is_totals_label(value: object, label: re.Pattern[str] = _TOTALS_LABEL) -> bool:
    return isinstance(value, str) and bool(label.match(fold_diacritics(value).strip().lower()))


def without_totals(table: pd.DataFrame, *, notes: list[str]) -> pd.DataFrame:
    """``table`` without the totals row a report puts under its rows, and what follows it.

    Looking up from the last row over rows with at most :data:`HEADER_MIN_CELLS` filled cells
    (a signature block: "Người lập biểu", a date) and totals rows: the highest row whose first
    filled cell is a totals label (:data:`_TOTALS_LABEL`, ``Tổng cộng: 2 trạm``) is left out with
    every row under it, with a note. A table without one is returned as it is; a totals label
    above a full row is data (never dropped).
    """
    filled = table.notna().to_numpy()
    cut = None
    for i in range(len(table) - 1, 0, -1):
        cells = table.iloc[i][filled[i]]
        if len(cells) and _is_totals_label(cells.iloc[0]):
            cut = i
        elif filled[i].sum() > HEADER_MIN_CELLS:
            break
    if cut is not None:
        label = table.iloc[cut][filled[cut]].iloc[0]
        rest = len(table) - cut - 1
        under = f" and the {rest} row{'s' if rest > 1 else ''} under it" if rest else ""
        notes.append(f"left out the totals row {table.index[cut]} ({label!r}){under}")
        table, filled = table.iloc[:cut], filled[:cut]
    return _without_subtotals(table, filled, notes=notes)


def _without_subtotals(table: pd.DataFrame, filled: np.ndarray, *, notes: list[str]) -> pd.DataFrame:
    """``table`` without the rows among its rows whose first filled cell is a subtotal label
    (:data:`_SUBTOTAL_LABEL`: the ``Cộng`` a list puts under each commune's villages), with a note."""
    first = [table.iloc[i][filled[i]].iloc[0] if filled[i].any() else None for i in range(len(table))]
    subtotal = np.array([_is_totals_label(v, _SUBTOTAL_LABEL) for v in first], dtype=bool)
    if not subtotal.any():
        return table
    rows = table.index[subtotal].tolist()
    notes.append(f"left out {len(rows)} subtotal row{'s' if len(rows) > 1 else ''} ({_rows_shown(rows)})")
    return table.iloc[np.flatnonzero(~subtotal)]


#: Headers of a column that numbers the rows (``STT``: số thứ tự), without diacritics and
#: lower case: a row with nothing else filled in is empty.
_ROW_NUMBER_HEADERS = frozenset({"stt", "tt", "so tt", "so thu tu", "no", "no.", "#", "n°"})
#: How many of the empty rows left out the note names.
_SHOWN_ROWS = 5


def _rows_shown(rows: Sequence[object] | pd.Index) -> str:
    """The first :data:`_SHOWN_ROWS` of the rows a note on left-out rows names, then ``…``."""
    return ", ".join(str(r) for r in rows[:_SHOWN_ROWS]) + (", …" if len(rows) > _SHOWN_ROWS else "")


def without_empty_rows(table: pd.DataFrame, *, notes: list[str]) -> pd.DataFrame:
    """``table`` without the rows that hold nothing but their row number (in a column headed
    as :data:`_ROW_NUMBER_HEADERS`), or nothing at all: blank cells or cells of spaces. The
    rows left keep their labels (errors name them as before), with a note of how many went."""
    counted = [c for c in table.columns if fold_diacritics(str(c)).strip().lower() not in _ROW_NUMBER_HEADERS]
    if not counted or not len(table):
        return table
    # The rows blank so far, column by column: each column reads only those.
    left = np.arange(len(table))
    for column in counted:
        values = table[column].iloc[left]
        blank = values.isna().to_numpy()
        if values.dtype == object or isinstance(values.dtype, pd.StringDtype):
            blank = blank | _spaces(values)
        left = left[blank]
        if not len(left):
            return table
    empty = np.zeros(len(table), dtype=bool)
    empty[left] = True
    rows = table.index[empty]
    notes.append(
        f"left out {len(rows)} empty row{'s' if len(rows) > 1 else ''} (blank, or with a row number "
        f"alone): {_rows_shown(rows)}"
    )
    return table[~empty]


#: A row number that heads a group of rows (``I``, ``II.``, ``A``, ``b)``), as a list numbers its
#: operators' or communes' parts, their rows numbered 1, 2, 3 under each.
_GROUP_NUMBER = re.compile(r"\A(?:[ivxlc]+|[a-z])[.)]?\Z", re.IGNORECASE)
#: A whole row number (``1``, ``12.``), as the rows of a list have.
_ROW_NUMBER = re.compile(r"\A\d+\.?\Z")
#: The first word of a row that totals a group (``Cộng Tuy Phước``, ``Tổng xã Hoài Hải``), as
#: :data:`_TOTALS_LABEL` compares it: a row without a row number in a numbered list.
_GROUP_TOTAL = re.compile(r"\A(?:cong|tong|total|subtotal|sum)\b")


def without_group_rows(table: pd.DataFrame, *, notes: list[str]) -> pd.DataFrame:
    """``table`` without the rows that head or total a group of its rows, with a note.

    Provincial lists split their rows by operator, district or commune: a row numbered
    ``I``, ``II`` (or ``A``, ``B``) heads each part (``I | VIETTEL``, ``II | Xã Hoài Hải`` with
    the part's sums), the rows under it numbered ``1, 2, 3``, and a row without a number may
    close it (``Cộng Tuy Phước``). In a table with a row-number column (:data:`_ROW_NUMBER_HEADERS`)
    that numbers more rows with whole numbers than as groups, a row numbered as a group, or one with no
    number whose first filled cell opens with a total's word (:data:`_GROUP_TOTAL`), is such a
    row when it fills at most half of the other cells: it describes no feature. A table
    without a row-number column is returned as it is.
    """
    numbers = next(
        (c for c in table.columns if fold_diacritics(str(c)).strip().lower() in _ROW_NUMBER_HEADERS), None
    )
    if numbers is None or not len(table):
        return table
    text = [typed_text(v) for v in table[numbers]]
    whole = np.array([bool(_ROW_NUMBER.match(t)) for t in text], dtype=bool)
    heads = np.array([bool(_GROUP_NUMBER.match(t)) for t in text], dtype=bool)
    if whole.sum() <= heads.sum():
        return table  # letters number the rows themselves
    # Only a group's row or an unnumbered one is asked what it holds (a list of 100,000 rows has a few).
    asked = np.flatnonzero(heads | np.array([not t for t in text], dtype=bool))
    others = table.drop(columns=[numbers]).iloc[asked]
    first: dict[int, object] = {}
    # A group's row fills few cells (its name, the part's sums): a row lettered ``a`` that
    # fills most of them is a feature numbered by letter, and kept.
    sparse = np.zeros(len(table), dtype=bool)
    for i, row in zip(asked.tolist(), others.itertuples(index=False), strict=True):
        filled = [v for v in row if not is_blank(v)]
        first[i] = filled[0] if filled else None
        sparse[i] = 2 * len(filled) <= len(row)
    totals = np.zeros(len(table), dtype=bool)
    for i, value in first.items():
        folded = fold_diacritics(value).strip().lower() if isinstance(value, str) else ""
        totals[i] = not text[i] and bool(_GROUP_TOTAL.match(folded))
    dropped = (heads | totals) & sparse
    if not dropped.any():
        return table
    shown = [
        f"{label} {first[i]!r}" if first[i] is not None else label
        for i, label in _labelled(table, text, dropped)
    ]
    n = int(dropped.sum())
    notes.append(
        f"left out {n} row{'s' if n > 1 else ''} that head or total a group of rows, not features: "
        + _rows_shown(shown)
    )
    return table[~dropped]


def _labelled(table: pd.DataFrame, text: list[str], rows: np.ndarray) -> list[tuple[int, str]]:
    """Each of ``rows`` (a mask) with how a note names it: ``row 3 (I)``."""
    return [
        (i, f"row {table.index[i]}" + (f" ({text[i]})" if text[i] else ""))
        for i in np.flatnonzero(rows).tolist()
    ]


def _spaces(values: pd.Series) -> np.ndarray:
    """Which of ``values`` are text of spaces alone (or empty text)."""
    try:
        stripped = values.astype(object).str.strip()
    except AttributeError:  # no value is text (``.str`` refuses a column of numbers)
        return np.zeros(len(values), dtype=bool)
    # ``.str`` gives a value that is not text NaN: not blank.
    return np.asarray(stripped.eq("").fillna(False).to_numpy(dtype=bool))


def row_origin(notes: Sequence[str]) -> str | None:
    """Where the rows errors count start, as a reader's note said (:data:`ROW_ORIGIN`); None
    when no reader said (the rows count from the first under a header on the first line)."""
    return next((n[n.index(ROW_ORIGIN) :] for n in notes if ROW_ORIGIN in n), None)
