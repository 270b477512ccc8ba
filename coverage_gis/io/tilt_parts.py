"""A cell's downtilt from the two parts operators' lists give it: mechanical and electrical.

The coverage model reads ``tilt_deg`` as the beam's whole downtilt (its vertical pattern is
centred that far below the horizon). Cell lists from operators' planning tools (Viettel, VNPT
and MobiFone exports alike) seldom have that column: they give the antenna's mechanical tilt
(``M_TILT``, ``Mech Tilt``, ``Góc ngẩng cơ``) and the electrical tilt set in it (``E_TILT``,
``RET``) apart. A file with both parts and no tilt column gets ``tilt_deg`` as their sum (a
part left empty on a row counts 0 where the other is given), with a note; a file with one
part alone keeps it unread (the note on ignored columns names it): half a tilt is no tilt.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from coverage_gis.io.csv_points import parse_numbers
from coverage_gis.io.headers import find_header
from coverage_gis.layers import get_schema

__all__ = ["tilt_from_parts"]

#: Spellings of the mechanical and the electrical tilt (compared as headers are).
MECHANICAL = (
    "mechanical tilt",
    "mechanical downtilt",
    "mech tilt",
    "m tilt",
    "mdt",
    "góc nghiêng cơ",
    "góc tilt cơ",
    "tilt cơ",
    "góc cụp cơ",
    "góc cụp cơ khí",
    "cụp cơ",
    "góc ngẩng cơ",
)
ELECTRICAL = (
    "electrical tilt",
    "electrical downtilt",
    "elec tilt",
    "e tilt",
    "edt",
    "ret",
    "góc nghiêng điện",
    "góc tilt điện",
    "tilt điện",
    "góc cụp điện",
    "cụp điện",
    "góc ngẩng điện",
)


def tilt_from_parts(frame: pd.DataFrame, *, source: str, notes: list[str]) -> pd.DataFrame:
    """``frame`` (cells, columns named as the schema's where they are one) with ``tilt_deg``
    the sum of its mechanical and electrical tilt columns, where it has both and no tilt."""
    columns = [str(c) for c in frame.columns]
    if "tilt_deg" in columns:
        return frame
    degrees = get_schema("cells").field("tilt_deg").units  # the units the parts' headers may carry
    mechanical = find_header(columns, MECHANICAL, units=degrees)
    electrical = find_header(columns, ELECTRICAL, units=degrees)
    if mechanical is None or electrical is None:
        return frame
    parts = [
        parse_numbers(frame[c], source=source, field=c, required=False) for c in (mechanical, electrical)
    ]
    given = ~np.isnan(parts[0]) | ~np.isnan(parts[1])
    total = np.where(given, np.nan_to_num(parts[0]) + np.nan_to_num(parts[1]), np.nan)
    notes.append(f"cells: tilt_deg is {mechanical!r} + {electrical!r} (mechanical and electrical tilt)")
    return frame.drop(columns=[mechanical, electrical]).assign(tilt_deg=total)
