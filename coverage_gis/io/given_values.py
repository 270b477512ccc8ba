"""Values the user gives for every row of an import (``covgis import --set FIELD=VALUE``).

An operator's own cell list rarely names the operator (every row is theirs), a district's
village list its province; rather than edit the file, the user gives the value once. It
fills the field's column where the file has none, and the empty cells of the column
where it has one; a value the file gives is kept. The value is read as the file's own
would be (:func:`coverage_gis.io.headers.read_field_values`: "VIETTEL", "Đang phát sóng"),
then validated with the rest of the layer.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from coverage_gis._values import is_blank
from coverage_gis.errors import LayerValidationError
from coverage_gis.io.headers import read_field_values
from coverage_gis.layers import LayerSchema

__all__ = ["check_given_fields", "with_given_values"]


def check_given_fields(values: Mapping[str, str], schemas: Iterable[LayerSchema], *, source: str) -> None:
    """Refuse a given field that none of ``schemas`` (the layers the file is read as) holds."""
    schemas = list(schemas)
    known = {name for schema in schemas for name in schema.field_names}
    for name in values:
        if name not in known:
            layers = " and ".join(s.name for s in schemas)
            raise LayerValidationError(
                f"a value is given for {name!r}, which is not a field of {layers} "
                f"(fields: {', '.join(sorted(known))})",
                source=source,
                field=name,
            )


def with_given_values(
    frame: pd.DataFrame, schema: LayerSchema, values: Mapping[str, str], *, notes: list[str]
) -> pd.DataFrame:
    """``frame`` (its columns named as ``schema``'s fields) with each given value of one of its
    fields filling the rows that give none; ``notes`` say how many."""
    given = {name: value for name, value in values.items() if name in schema.field_names}
    if not given:
        return frame
    frame = frame.copy()
    for name, value in given.items():
        if name in frame.columns:
            column = frame[name]
            blank = np.array([is_blank(v) for v in column], dtype=bool)
            filled = int(blank.sum())
            frame[name] = column.astype(object).where(~blank, value)
            where = f"the {filled} row(s) that give none" if filled < len(frame) else "every row"
        else:
            frame[name] = value
            filled, where = len(frame), "every row"
        if filled:
            notes.append(f"{schema.name}: {name} {value!r} given for {where}")
        spec = schema.field(name)
        frame = read_field_values(frame, name, spec, label=f"{schema.name}: {name}", notes=notes)
    return frame
