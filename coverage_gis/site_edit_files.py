"""Site edits read from a file: a JSON list of edit objects, or a CSV file with a row per cell.

A CSV file is read as an import reads a table (``docs/architecture.md``, imports): its
encoding, delimiter and title lines (:func:`coverage_gis.io.csv_points.read_csv_table`), its
headers by the site and cell fields' aliases, Vietnamese spellings of values, bands from
channel numbers and thousands by the file's decimal mark. Each edit keeps the lines of the
file its rows came from (:attr:`coverage_gis.site_edits.SiteEdit.origin`), so that an error
found when the edits are applied names them. The payload rules stay with
:mod:`coverage_gis.site_edits`.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from coverage_gis.errors import LayerValidationError
from coverage_gis.io.channels import band_from_channels, radio_names_read, tech_from_channels
from coverage_gis.io.csv_points import coordinate_columns, not_degrees_hint, read_csv_table
from coverage_gis.io.decimal_mark import thousands_in
from coverage_gis.io.headers import match_headers, read_field_values, renames_note
from coverage_gis.io.row_errors import with_line
from coverage_gis.io.row_text import rows_listed
from coverage_gis.layers import FieldSchema, get_schema
from coverage_gis.site_edits import COORD_KEYS, SiteEdit, edit_from_mapping
from coverage_gis.value_text import number_text, without_unit

__all__ = ["edits_from_file"]

_CSV_SITE_KEYS = (
    "site_id",
    "lon",
    "lat",
    "name",
    "owner",
    "status",
    "height_m",
    "has_grid_power",
    "commissioned",
    "environment",
)
_CSV_CELL_KEYS = (
    "cell_id",
    "operator",
    "tech",
    "band_mhz",
    "azimuth_deg",
    "beamwidth_deg",
    "eirp_dbm",
    "tilt_deg",
    "range_m",
)
# ``height_m`` is a site column: where a site's rows differ in it, each cell keeps its own
# (:func:`_antenna_heights`).


def edits_from_file(path: Path, *, notes: list[str] | None = None) -> list[SiteEdit]:
    """Edits from a JSON file (one edit or a list) or a CSV file (one row per cell; site columns
    repeated; ``cell_status`` for the cell's status; optional ``op`` column, default add;
    comma, semicolon or tab delimited, numbers with a decimal point, or a decimal comma
    where the delimiter is not a comma). Headers may be any case or an alias of the site or
    cell field, as an import reads them (:mod:`coverage_gis.io.headers`).

    A CSV file is read in the encoding :func:`coverage_gis.text_encoding.decode_text`
    finds (UTF-8, Windows-1258 or UTF-16); ``notes`` gets a line when it was not UTF-8.
    """
    source = str(path)
    if not path.is_file():
        raise LayerValidationError("file not found", source=source)
    if path.suffix.lower() == ".json":
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise LayerValidationError(f"not valid JSON: {exc}", source=source) from None
        items = raw if isinstance(raw, list) else [raw]
        edits = []
        for i, item in enumerate(items):
            if not isinstance(item, dict):
                raise LayerValidationError("each edit must be an object", source=source, row=i)
            edits.append(edit_from_mapping(item, source=f"{source} edit {i}"))
        return edits
    if path.suffix.lower() == ".csv":
        return _edits_from_csv(path, [] if notes is None else notes)
    raise LayerValidationError("site edits must be a .json or .csv file", source=source)


def _csv_fields() -> list[FieldSchema]:
    """The fields a site-edit CSV's columns are read as: lon/lat (found as an import finds them,
    :func:`coverage_gis.io.csv_points.coordinate_columns`), the site and cell fields of
    ``layers/sites.yaml`` and ``layers/cells.yaml``, ``cell_status`` and ``op``."""
    sites, cells = get_schema("sites"), get_schema("cells")
    return [
        FieldSchema("lon", "float"),
        FieldSchema("lat", "float"),
        *(sites.field(k) for k in _CSV_SITE_KEYS if k not in ("lon", "lat")),
        *(cells.field(k) for k in _CSV_CELL_KEYS),
        _cell_status(),
        FieldSchema("op", "str"),
    ]


def _cell_status() -> FieldSchema:
    """The ``cell_status`` column: a cell's ``status`` (its allowed values and spellings)."""
    return dataclasses.replace(get_schema("cells").field("status"), name="cell_status", aliases=())


def _csv_keys(headers: Sequence[str], *, source: str, notes: list[str]) -> dict[str, str]:
    """Header of a site-edit CSV → its key: the lon/lat columns an import would read, the key in
    any case, or an alias of the site or cell field as an import reads it (:func:`_csv_fields`);
    ``cell_status`` and ``op`` keep their names."""
    fields = [f for f in _csv_fields() if f.name not in COORD_KEYS]
    lon, lat = coordinate_columns(headers)
    coords = {c: key for c, key in ((lon, "lon"), (lat, "lat")) if c is not None}
    others = [h for h in headers if h not in coords]
    renames, shadowed = match_headers(others, fields, source=source)
    notes.extend(f"site edits: {note}" for note in shadowed)
    renames = {**{c: k for c, k in coords.items() if c != k}, **renames}
    note = renames_note("site edits", renames)
    if note:
        notes.append(note)
    known = {f.name.casefold(): f.name for f in fields}
    keys = {h: coords.get(h) or renames.get(h) or known.get(h.strip().casefold(), h.strip()) for h in headers}
    seen: dict[str, str] = {}
    for header, key in keys.items():
        if key in seen:
            raise LayerValidationError(
                f"columns {seen[key]!r} and {header!r} are both read as {key}; keep one of them",
                source=source,
                field=key,
            )
        seen[key] = header
    return keys


def _antenna_heights(entry: dict[str, Any]) -> None:
    """A site's rows giving its cells different ``height_m`` (antennas hung at several heights):
    each cell keeps its own and the mast takes the largest, as an import of such a list does
    (:mod:`coverage_gis.io.repeats`). Rows that agree give the site's height only, so a later
    change of the site's height moves its cells too."""
    spec = get_schema("sites").field("height_m")
    given = {c["height_m"] for c in entry["cells"] if "height_m" in c}
    numbers = [_number_or_none(without_unit(number_text(h), spec.units)) for h in given]
    if len(given) > 1:
        # Text that is no number stays on its cell, to be refused with its field.
        if None not in numbers:
            entry["site"]["height_m"] = max(n for n in numbers if n is not None)
        return
    if given:
        entry["site"].setdefault("height_m", given.pop())
    for cell in entry["cells"]:
        cell.pop("height_m", None)


def _number_or_none(text: Any) -> float | None:
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


def _edits_from_csv(path: Path, notes: list[str]) -> list[SiteEdit]:
    # The table reader of imports: encoding, delimiter, quoting, blank header cells; and
    # the line of the file each row begins on.
    lines: list[int] = []
    table = read_csv_table(path, notes=notes, row_lines=lines)
    try:
        return _edits_of_table(table, lines, path, notes)
    except LayerValidationError as exc:
        raise with_line(exc, lines) from None


def _edits_of_table(table: pd.DataFrame, lines: list[int], path: Path, notes: list[str]) -> list[SiteEdit]:
    """The edits of a site-edit CSV's rows (``lines``: the line each begins on, or none known)."""
    source = str(path)
    keys = _csv_keys([str(c) for c in table.columns], source=source, notes=notes)
    # Columns named by their keys from here on.
    table = table.rename(columns={header: key for header, key in keys.items() if header != key})
    # A band named in the technology (``U900``), then Vietnamese spellings, brands, radio and
    # band names, as an import reads them.
    table = radio_names_read(table, notes=notes)
    for spec in _csv_fields():
        if spec.name in table.columns:
            table = read_field_values(table, spec.name, spec, label=f"site edits: {spec.name}", notes=notes)
    # A planning tool's channel column gives the band, as in an import of cells.
    table = band_from_channels(tech_from_channels(table, notes=notes), source=source, notes=notes)
    # "1.800" in a file of decimal commas (its coordinates show the mark), as an import reads it.
    numbers = [f.name for f in _csv_fields() if f.type in ("float", "int") and f.name not in ("lon", "lat")]
    degrees = [table[c] for c in ("lon", "lat") if c in table.columns]
    table = thousands_in(table, numbers, degrees=degrees, notes=notes)
    keys = {str(c): str(c) for c in table.columns}
    unknown = set(keys.values()) - set(_CSV_SITE_KEYS) - set(_CSV_CELL_KEYS) - {"cell_status", "op"}
    if unknown and len(table):
        raise LayerValidationError(
            f"unknown columns {sorted(unknown)} in the header: a site edit takes the site and cell "
            f"fields, cell_status and op{not_degrees_hint(sorted(unknown))}",
            source=source,
        )
    grouped: dict[str, dict[str, Any]] = {}
    line_of = lines if len(lines) == len(table) else [None] * len(table)
    for i, row in enumerate(table.itertuples(index=False, name=None)):
        # Numbers stay text: validation reads them (a decimal comma too, value_text.number_text).
        clean = {
            keys[str(k)]: v.strip() for k, v in zip(table.columns, row, strict=True) if isinstance(v, str)
        }
        site_id = clean.get("site_id")
        if not site_id:
            raise LayerValidationError("empty site_id", source=source, row=i, field="site_id")
        entry = grouped.setdefault(
            site_id,
            {
                "op": clean.get("op") or "add",
                "site": {
                    k: clean[k] for k in _CSV_SITE_KEYS if k != "site_id" and clean.get(k) not in (None, "")
                },
                "cells": [],
                "lines": [],
                "cell_lines": [],
            },
        )
        entry["lines"].append(line_of[i])
        if clean.get("cell_id"):
            entry["cell_lines"].append(line_of[i])
            cell = {k: clean[k] for k in _CSV_CELL_KEYS if clean.get(k) not in (None, "")}
            if clean.get("cell_status"):
                cell["status"] = clean["cell_status"]
            if clean.get("height_m"):
                cell["height_m"] = clean["height_m"]
            entry["cells"].append(cell)
    edits = []
    for site_id, entry in grouped.items():
        _antenna_heights(entry)
        op = entry["op"]
        edits.append(
            SiteEdit(
                op=op,
                site_id=site_id,
                site=entry["site"] if op != "remove" else {},
                cells=entry["cells"] if (op == "add" or entry["cells"]) else None,
                origin=_origin(path, entry["lines"]),
                cell_lines=tuple(entry["cell_lines"]) if None not in entry["cell_lines"] else (),
            )
        )
    return edits


def _origin(path: Path, lines: list[int | None]) -> str:
    """``e.csv line 3``, ``e.csv lines 3, 4``: where a site's rows are; the file alone where
    their lines are not known."""
    if None in lines:
        return path.name
    return f"{path.name} line{'s' if len(lines) > 1 else ''} {rows_listed(n for n in lines if n is not None)}"
