"""Rendering command results: a readable table by default, JSON/CSV/GeoJSON on request.

Tables are for people: headers and words in the command's language
(:mod:`coverage_gis.messages`), numbers by the display rules
(:mod:`coverage_gis.display`: shares never rounded up to 100 or down to 0, money in
triệu đồng, whole metres, six-decimal coordinates), and at most :data:`TABLE_WIDTH`
characters wide — long text wraps within its column and columns that still do not fit
are left out with a note; ``--wide`` prints every column unwrapped. JSON keeps every
value as computed; CSV (:func:`coverage_gis.reports.csv_bytes`) is for spreadsheets
and scripts: column names as headers, ``,`` or ``;``, and a byte-order mark when
stdout is a file (``> gaps.csv`` opens in Excel with its diacritics), not when it is a
pipe.
"""

from __future__ import annotations

import argparse
import json
import os
import stat
import sys
import textwrap
from collections.abc import Sequence
from typing import Any

import pandas as pd

from coverage_gis._values import plain_value
from coverage_gis.display import Lang, format_cell
from coverage_gis.messages import check_lang, header, language, text
from coverage_gis.reports import CSV_SEPARATORS, csv_bytes

#: Characters a table may take (a terminal of 100 columns; ``--wide`` lifts it).
TABLE_WIDTH = 100
_GAP = "  "
#: A wrapped text column keeps at least this many characters (most names fit).
_MIN_TEXT_WIDTH = 12
#: A number column's header wraps to no narrower than this.
_MIN_NUMBER_HEAD = 8


def add_format_flags(parser: argparse.ArgumentParser, *, geojson: bool = False) -> None:
    """``--json`` / ``--csv`` (/ ``--geojson``), mutually exclusive; ``--sep``, ``--bom`` and ``--wide``."""
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--json", dest="fmt", action="store_const", const="json", help="machine-readable JSON")
    group.add_argument(
        "--csv", dest="fmt", action="store_const", const="csv", help="CSV for spreadsheets and scripts"
    )
    if geojson:
        group.add_argument(
            "--geojson", dest="fmt", action="store_const", const="geojson", help="GeoJSON FeatureCollection"
        )
    parser.set_defaults(fmt="table")
    parser.add_argument(
        "--sep",
        choices=CSV_SEPARATORS,
        default=",",
        help="CSV separator; ';' also writes decimal commas, as Excel expects in a Vietnamese locale",
    )
    parser.add_argument(
        "--bom",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="start CSV with a byte-order mark (default: when stdout is a file, not a pipe)",
    )
    add_wide_flag(parser)


def add_wide_flag(parser: argparse.ArgumentParser) -> None:
    """``--wide``: every column, unwrapped (the table view)."""
    parser.add_argument(
        "--wide",
        action="store_true",
        help=f"table view: every column, unwrapped (default: main columns in {TABLE_WIDTH} characters)",
    )


def lang_of(args: argparse.Namespace) -> Lang:
    """The command's language: ``--lang``, else ``COVGIS_LANG``, else the locale."""
    return language(getattr(args, "lang", None), os.environ)


def sheet_lang_of(args: argparse.Namespace) -> Lang:
    """The language of a spreadsheet a command writes: ``--lang``, else Vietnamese."""
    chosen = getattr(args, "lang", None)
    return check_lang(chosen) if chosen else "vi"


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as JSON-ready dicts (NaN → null, numpy scalars → Python)."""
    cols = [c for c in frame.columns if c != "geometry"]
    return [
        {c: plain_value(v) for c, v in zip(cols, row, strict=True)}
        for row in frame[cols].itertuples(index=False)
    ]


def print_json(payload: Any) -> None:
    json.dump(payload, sys.stdout, ensure_ascii=False, indent=2, default=str)
    sys.stdout.write("\n")


def _stdout_is_file() -> bool:
    try:
        return stat.S_ISREG(os.fstat(sys.stdout.fileno()).st_mode)
    except (OSError, ValueError, AttributeError):  # replaced in-process, no descriptor
        return False


def write_csv(frame: pd.DataFrame, *, sep: str = ",", bom: bool | None = None) -> None:
    """``frame`` as CSV on stdout (:func:`coverage_gis.reports.csv_bytes`)."""
    data = csv_bytes(frame, sep=sep, bom=_stdout_is_file() if bom is None else bom)
    sys.stdout.flush()
    sys.stdout.buffer.write(data)
    sys.stdout.buffer.flush()


def print_frame(
    frame: pd.DataFrame,
    fmt: str,
    *,
    title: str | None = None,
    args: argparse.Namespace | None = None,
    columns: Sequence[str] | None = None,
) -> list[str]:
    """Write ``frame`` to stdout in the chosen format; returns the columns written.

    ``args`` brings ``--lang``, ``--wide``, ``--sep`` and ``--bom``; ``columns`` are the
    table view's default columns (all with ``--wide``; those that do not fit are left out).
    """
    if fmt == "json":
        print_json(records(frame))
    elif fmt == "csv":
        write_csv(frame, sep=getattr(args, "sep", ","), bom=getattr(args, "bom", None))
    elif fmt == "geojson":
        geo: Any = frame  # a GeoDataFrame; pandas-stubs only know DataFrame.to_json
        sys.stdout.write(geo.to_json(ensure_ascii=False, drop_id=True) + "\n")
    else:
        wide = bool(getattr(args, "wide", False))
        if title and wide:
            print(title)
        elif title:
            print_wrapped(title)
        table = frame.drop(columns=["geometry"], errors="ignore")
        shown = [c for c in columns if c in table.columns] if columns and not wide else list(table.columns)
        return print_table(table, columns=shown, lang=lang_of(args) if args else "en", wide=wide)
    return [str(c) for c in frame.columns]


def _is_number(series: pd.Series) -> bool:
    return bool(pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series))


def _fit(natural: list[int], minimum: list[int], limit: int, first: Sequence[bool]) -> list[int]:
    """Column widths within ``limit`` (gaps included): the widest shrinkable column gives way,
    those marked ``first`` (numbers: only their header wraps) before the others."""
    widths = list(natural)
    total = sum(widths) + len(_GAP) * (len(widths) - 1)
    for only_first in (True, False):
        while total > limit:
            room = [
                w - m if (f or not only_first) else 0 for w, m, f in zip(widths, minimum, first, strict=True)
            ]
            k = max(range(len(widths)), key=lambda i: (room[i] > 0, widths[i]))
            if room[k] <= 0:
                break
            widths[k] -= 1
            total -= 1
    return widths


def print_table(
    frame: pd.DataFrame,
    *,
    columns: Sequence[str] | None = None,
    lang: Lang = "en",
    wide: bool = False,
    width: int = TABLE_WIDTH,
) -> list[str]:
    """A plain aligned text table (UTF-8 safe) within ``width`` characters unless ``wide``;
    returns the columns shown."""
    cols = list(columns or frame.columns)
    heads = [header(str(c), lang, money="million") for c in cols]
    cells = [
        [format_cell(str(c), v, lang=lang) for c, v in zip(cols, row, strict=True)]
        for row in frame[cols].itertuples(index=False)
    ]
    numeric = [_is_number(frame[c]) for c in cols]
    natural: list[int] = []
    minimum: list[int] = []
    for i, (head, number) in enumerate(zip(heads, numeric, strict=True)):
        longest = max([len(r[i]) for r in cells], default=0)
        word = max((len(w) for w in head.split()), default=1)
        if wide:
            natural.append(max(len(head), longest))
            minimum.append(natural[-1])
            continue
        # A header wraps (to its longest word at least); a number never wraps; text
        # wraps down to a minimum width.
        natural.append(max(longest, word, min(len(head), 24)))
        minimum.append(
            max(longest, word, min(len(head), _MIN_NUMBER_HEAD))
            if number
            else max(word, min(natural[-1], _MIN_TEXT_WIDTH))
        )
    widths = natural if wide else _fit(natural, minimum, width, numeric)
    hidden: list[str] = []
    if not wide:
        while len(cols) > 1 and sum(widths) + len(_GAP) * (len(widths) - 1) > width:
            hidden.insert(0, heads.pop())
            cols.pop()
            numeric.pop()
            natural.pop()
            minimum.pop()
            for row in cells:
                row.pop()
            widths = _fit(natural, minimum, width, numeric)

    def lines(values: Sequence[str]) -> list[str]:
        wrapped = [
            textwrap.wrap(v, w, break_long_words=True) or [""] if not wide and len(v) > w else [v]
            for v, w in zip(values, widths, strict=True)
        ]
        height = max(len(parts) for parts in wrapped)
        out = []
        for k in range(height):
            parts = [p[k] if k < len(p) else "" for p in wrapped]
            out.append(
                _GAP.join(
                    part.rjust(w) if num else part.ljust(w)
                    for part, w, num in zip(parts, widths, numeric, strict=True)
                ).rstrip()
            )
        return out

    for line in lines(heads):
        print(line)
    print(_GAP.join("-" * w for w in widths))
    for row in cells:
        for line in lines(row):
            print(line)
    if not cells:
        print(text("none", lang))
    if hidden:
        print_wrapped(text("more_columns", lang, hidden=len(hidden), columns=", ".join(hidden)), width=width)
    return [str(c) for c in cols]


def print_wrapped(line: str, *, indent: str = "", width: int = TABLE_WIDTH) -> None:
    """``line`` wrapped to ``width`` characters, continuation lines indented a little more."""
    # Paths and codes stay whole (no break at their hyphens).
    lines = textwrap.wrap(
        line, width, initial_indent=indent, subsequent_indent=indent + "  ", break_on_hyphens=False
    )
    print("\n".join(lines))
