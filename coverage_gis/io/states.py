"""A cell's state as vendor exports give it, administrative and operational (``docs/architecture.md``).

Ericsson, Nokia and ZTE exports give two states per cell: the administrative one (``UNLOCKED``:
the operator lets it radiate) and the operational one (``ENABLED``/``DISABLED``: whether it
does). The administrative state is read as the layer's ``status`` (a header alias); a cell
unlocked but operationally disabled radiates nothing, so where the file has the operational
state too (a column the field reads only in the administrative state's absence), a row
whose operational state is not on air is not on air either: its status becomes that state's
(``DISABLED`` → ``decommissioned``), with a note.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from coverage_gis.io.headers import find_header, read_values
from coverage_gis.layers import LayerSchema

__all__ = ["with_operational_state"]

#: Headers of an operational state (compared as headers are).
_OPERATIONAL = ("operational state", "operationalstate", "op state", "oper state", "operstate")


def with_operational_state(frame: pd.DataFrame, schema: LayerSchema, *, notes: list[str]) -> pd.DataFrame:
    """``frame`` (columns named as ``schema``'s) with its on-air rows whose operational state
    says otherwise given that state (see the module docstring); ``frame`` itself where it
    has no operational-state column beside its ``status``."""
    if "status" not in frame.columns or "status" not in schema.field_names:
        return frame
    others = [str(c) for c in frame.columns if c != "status"]
    column = find_header(others, _OPERATIONAL, units=None)
    if column is None:
        return frame
    spec = schema.field("status")
    operational = read_values(frame[column].astype(object), spec, label=f"{schema.name}: {column}", notes=[])
    status = frame["status"].to_numpy(dtype=object)
    state = operational.to_numpy(dtype=object)
    known = np.array([isinstance(v, str) and v in (spec.allowed or ()) for v in state], dtype=bool)
    off = (status == "on_air") & known & (state != "on_air")
    if not off.any():
        return frame
    n = int(off.sum())
    notes.append(
        f"{schema.name}: {n} row{'s' if n > 1 else ''} on air by the status but not by {column!r} "
        f"(e.g. {frame[column].iloc[int(np.flatnonzero(off)[0])]!r}): read as not on air"
    )
    return frame.assign(status=np.where(off, state, status)).drop(columns=[column])
