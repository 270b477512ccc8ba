"""Rows that continue the group above them, as a spreadsheet's merged cells save to CSV.

A provincial list with a row per cell merges each site's own cells (``STT``, ``Mã trạm``,
``Tên trạm``, ``Kinh độ``, ``Vĩ độ``) down over its cells' rows. Read from the workbook the
merged ranges give every row its value (:mod:`coverage_gis.io.xlsx`); saved as CSV, only
the group's first row holds them and the rows below leave them blank, and every cell but
the first would have no site. :func:`filled_down` reads such rows as the row above gives
them, where the list shows the pattern beyond doubt:

* a key column (the layer's reference to its parent, a cell's ``site_id``; or its own id,
  a site read from a list with a row per cell) is blank on some rows, never on the first,
  and the rows that give it give each key once (a list that repeats a site's code on each
  of its cells' rows merged nothing: a blank code there is a missing value);
* those rows hold values of their own (a cell's id, technology, azimuth);
* two other columns at least are blank on every one of them and given on a row above
  (the rest of the merged group: a row number, the site's name, its coordinates), and
  every coordinate column the table has is among them (a row with a position of its
  own is a feature of its own, whose blank key validation names).

Those columns are filled down, with a note; any other table is read as it is.
"""

from __future__ import annotations

import pandas as pd

from coverage_gis._values import is_blank, typed_text
from coverage_gis.errors import LayerValidationError
from coverage_gis.io.csv_points import coordinate_columns
from coverage_gis.io.headers import match_headers
from coverage_gis.io.row_text import rows_counted
from coverage_gis.layers import LayerSchema

__all__ = ["filled_down"]

#: Columns of the merged group besides the key, at least.
_OTHERS_MERGED = 2


def filled_down(table: pd.DataFrame, schema: LayerSchema, *, notes: list[str]) -> pd.DataFrame:
    """``table`` (a file's rows, as read) with the columns of a merged group filled down
    into the rows that continue it (see the module docstring); any other table as it is."""
    if len(table) < 2:
        return table
    columns = [c for c in table.columns if c != "geometry"]
    try:
        renames, _ = match_headers(columns, schema.fields, source="", layer=schema.name)
    except LayerValidationError:
        return table  # the headers' own error comes with the layer's reading
    by_field = {field_name: column for column, field_name in renames.items()}
    blank = pd.DataFrame({c: [is_blank(v) for v in table[c]] for c in columns}, index=table.index)
    names = [str(c) for c in columns]
    coordinates = {c for c in (*coordinate_columns(names), *coordinate_columns(names, projected=True)) if c}
    for key_field in [*schema.references, schema.id_field]:
        key = by_field.get(key_field)
        if key is None:
            continue
        continued = blank[key].to_numpy()
        if not continued.any() or continued[0] or table[key][~continued].map(typed_text).duplicated().any():
            continue
        rows = blank[continued]
        merged = [c for c in columns if c != key and rows[c].all() and not blank.loc[~continued, c].all()]
        own = [c for c in columns if c != key and c not in merged]
        if (
            len(merged) < _OTHERS_MERGED
            or not coordinates <= {str(c) for c in merged}
            or not (~rows[own]).any(axis=1).all()
        ):
            continue
        filled = table.copy()
        for c in [key, *merged]:
            values = filled[c].astype(object).where(~blank[c], None)
            filled[c] = values.ffill().to_numpy(dtype=object)
        notes.append(
            f"{schema.name}: {rows_counted(int(continued.sum()))} below a row that gives them leave "
            + ", ".join(repr(str(c)) for c in [key, *merged])
            + " blank, as a spreadsheet's merged cells save to CSV: read as that row's"
        )
        return filled
    return table
