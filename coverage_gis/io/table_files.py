"""A table file (CSV, a workbook's sheets) → a layer's raw frame (``docs/architecture.md``, importers).

The one path from a table, CSV text or a workbook's typed cells, to the layer's raw frame:
the table read (:mod:`coverage_gis.io.csv_points`, :mod:`coverage_gis.io.xlsx`,
:mod:`coverage_gis.io.xls`, the sheets read together by what each header is read as,
:func:`coverage_gis.io.sheets.layer_columns`) with each row's place in the file, its text in
an old font read, then its totals, empty and group rows left out, degrees, minutes and
seconds in columns of their own joined, and its points read from the coordinate columns
(a 5G zone given by its centre and radius: the circle they describe; speed tests: their
own table). The file's coordinate cells are handed back as the evidence of its decimal mark.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from coverage_gis.errors import LayerValidationError
from coverage_gis.io.csv_points import coordinate_cells, located_table, read_csv_table
from coverage_gis.io.dms import dms_columns_joined
from coverage_gis.io.font_text import read_font_text
from coverage_gis.io.merged_rows import filled_down
from coverage_gis.io.row_errors import line_places
from coverage_gis.io.sheets import layer_columns
from coverage_gis.io.speedtests import speed_table
from coverage_gis.io.table_shape import without_empty_rows, without_group_rows, without_totals
from coverage_gis.io.xls import read_xls_table
from coverage_gis.io.xlsx import other_sheets_hint, read_xlsx_table
from coverage_gis.io.zone_circles import zones_from_circles
from coverage_gis.layers import LayerSchema

__all__ = ["table_file_frame"]


def table_file_frame(
    path: Path,
    fmt: str,
    schema: LayerSchema,
    *,
    source: str,
    source_layer: str | None,
    max_bytes: int,
    crs: str | None,
    notes: list[str],
    row_places: list[str],
) -> tuple[pd.DataFrame, list[pd.Series], list[pd.Series]]:
    """The raw frame of the table file at ``path`` (``fmt``: csv, xlsx or xls) read as
    ``schema``'s layer, and the file's coordinate cells (all, and those in degrees: the
    evidence of its decimal mark); ``row_places`` gets each row's place in the file."""
    if fmt == "xlsx":
        table = read_xlsx_table(
            path,
            sheet=source_layer,
            max_bytes=max_bytes,
            notes=notes,
            row_places=row_places,
            read_as=layer_columns(schema),
        )
    elif fmt == "xls":
        table = read_xls_table(
            path, sheet=source_layer, notes=notes, row_places=row_places, read_as=layer_columns(schema)
        )
    else:
        lines: list[int] = []
        try:
            table = read_csv_table(path, notes=notes, row_lines=lines)
        finally:  # (an error about a row read so far names its line too)
            row_places.extend(line_places(lines))
    table = read_font_text(table, notes)
    # Where the file's decimal mark shows: its coordinates (read below, into geometry).
    # (In degrees, without --crs, any one mark is a decimal mark: ``13,771``.)
    evidence = coordinate_cells(table)
    degrees = coordinate_cells(table, metres=False) if crs is None else []
    try:
        frame = _table_frame(table, schema, source=source, crs=crs, notes=notes)
    except LayerValidationError as exc:
        if fmt not in ("xlsx", "xls") or source_layer is not None:
            raise
        raise other_sheets_hint(exc, path) from None
    return frame, evidence, degrees


def _table_frame(
    table: pd.DataFrame, schema: LayerSchema, *, source: str, crs: str | None, notes: list[str]
) -> pd.DataFrame:
    """The one path from a read table (CSV text or XLSX cells) to the layer's raw frame."""
    table = without_group_rows(
        without_empty_rows(without_totals(table, notes=notes), notes=notes), notes=notes
    )
    table = filled_down(table, schema, notes=notes)
    table = dms_columns_joined(table, notes=notes)
    if schema.name == "speed_tests":
        return speed_table(table, source=source)
    if not schema.has_geometry:
        return table
    located = located_table(table, source=source, crs=crs, notes=notes)
    # A zone given by its centre and radius is the circle they describe.
    return zones_from_circles(located, source=source, notes=notes) if schema.name == "zones_5g" else located
