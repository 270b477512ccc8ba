"""Rendering command results: a readable table by default, JSON/CSV/GeoJSON on request."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any

import pandas as pd

from coverage_gis._values import plain_value
from coverage_gis.spreadsheet import csv_text


def add_format_flags(parser: argparse.ArgumentParser, *, geojson: bool = False) -> None:
    """``--json`` / ``--csv`` (/ ``--geojson``), mutually exclusive."""
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--json", dest="fmt", action="store_const", const="json", help="machine-readable JSON")
    group.add_argument("--csv", dest="fmt", action="store_const", const="csv", help="CSV (UTF-8)")
    if geojson:
        group.add_argument(
            "--geojson", dest="fmt", action="store_const", const="geojson", help="GeoJSON FeatureCollection"
        )
    parser.set_defaults(fmt="table")


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


def print_frame(frame: pd.DataFrame, fmt: str, *, title: str | None = None) -> None:
    """Write ``frame`` to stdout in the chosen format."""
    if fmt == "json":
        print_json(records(frame))
    elif fmt == "csv":
        sys.stdout.write(csv_text(frame))
    elif fmt == "geojson":
        geo: Any = frame  # a GeoDataFrame; pandas-stubs only know DataFrame.to_json
        sys.stdout.write(geo.to_json(ensure_ascii=False, drop_id=True) + "\n")
    else:
        if title:
            print(title)
        print_table(frame.drop(columns=["geometry"], errors="ignore"))


def _fmt_cell(value: Any) -> str:
    value = plain_value(value)
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:,.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def print_table(frame: pd.DataFrame, *, columns: Sequence[str] | None = None) -> None:
    """A plain aligned text table (no external dependency, UTF-8 safe)."""
    cols = list(columns or frame.columns)
    rows = [[_fmt_cell(v) for v in row] for row in frame[cols].itertuples(index=False)]
    widths = [max([len(str(c))] + [len(r[i]) for r in rows]) for i, c in enumerate(cols)]
    numeric = [
        pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c]) for c in cols
    ]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            cell.rjust(w) if num else cell.ljust(w)
            for cell, w, num in zip(cells, widths, numeric, strict=True)
        ).rstrip()

    print(line([str(c) for c in cols]))
    print("  ".join("-" * w for w in widths))
    for r in rows:
        print(line(r))
    if not rows:
        print("(none)")
