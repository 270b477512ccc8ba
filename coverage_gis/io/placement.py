"""Features an import places in none of the workspace's communes: said, not guessed at.

A village outside every commune polygon counts in no commune's, district's or province's
KPIs (:func:`coverage_gis.admin.admin_rows` places it by position unless it names its
``census_commune_id``), while ``compute`` still gives it coverage: the KPI shares would
leave it out without a word. A whole file outside is the mark of coordinates read in the
wrong CRS (a VN-2000 zone other than the file's, eastings for longitudes). So an import says
how many of a point layer's features lie in no commune, names a few, and what to check.
Sites, places and nodes beyond the communes are common (a neighbour province's masts serve
border villages), so for them the note only counts, unless none lies inside. A village
whose list names a ``commune_code`` other than that of the commune it lies in is counted
where it lies, and named, with both communes.
"""

from __future__ import annotations

from collections.abc import Mapping

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from coverage_gis._values import is_missing
from coverage_gis.admin import commune_positions
from coverage_gis.display import first_few
from coverage_gis.io.row_text import rows_listed
from coverage_gis.layers import get_schema
from coverage_gis.workspace import Workspace

__all__ = ["code_key", "outside_notes"]

#: The point layers whose features an import looks for in the communes.
PLACED_LAYERS = ("villages", "sites", "pois", "fiber_nodes")
#: How many ids of the features outside the note names.
_SHOWN = 5


def outside_notes(ws: Workspace, frames: Mapping[str, pd.DataFrame]) -> list[str]:
    """Notes on the features of ``frames`` (validated, EPSG:4326) outside every workspace commune."""
    wanted = {name: frame for name, frame in frames.items() if name in PLACED_LAYERS and len(frame)}
    if not wanted:
        return []
    communes = ws.read_layer("communes", missing_ok=True)
    if not isinstance(communes, gpd.GeoDataFrame) or not len(communes):
        return []
    notes = []
    for name, frame in wanted.items():
        geoms = np.asarray(frame.geometry.array, dtype=object)
        asked = shapely.is_valid_input(geoms) & ~shapely.is_missing(geoms)
        if name == "villages" and "census_commune_id" in frame.columns:
            asked &= frame["census_commune_id"].isna().to_numpy()  # placed by the id it names
        at = np.flatnonzero(asked)
        positions = commune_positions(geoms[at], communes)
        if name == "villages":
            notes.extend(_other_commune_notes(frame, at, positions, communes))
        outside = at[positions < 0]
        if not len(outside):
            continue
        ids = frame[get_schema(name).id_field].to_numpy(dtype=object)[outside]
        shown = first_few(ids, _SHOWN)
        if len(outside) == len(frame):
            notes.append(
                f"{name}: none of the {len(frame)} {name} lies in the workspace's {len(communes)} communes: "
                "are the coordinates in another CRS (--crs; the VN-2000 zone of the file), or of another "
                "province?"
            )
        elif name == "villages":
            notes.append(
                f"villages: {len(outside)} of {len(frame)} lie in none of the workspace's communes "
                f"({shown}; rows {rows_listed(frame.index[outside].tolist())}): they count in no KPI "
                "and no gap list; check their coordinates or give their census_commune_id"
            )
        else:
            notes.append(
                f"{name}: {len(outside)} of {len(frame)} lie beyond the workspace's communes ({shown})"
            )
    return notes


def _other_commune_notes(
    frame: pd.DataFrame, at: np.ndarray, positions: np.ndarray, communes: gpd.GeoDataFrame
) -> list[str]:
    """Notes on the villages (rows ``at`` of ``frame``, in communes ``positions``) whose
    given ``commune_code`` is not that of the commune they lie in: the KPIs count a
    village where it lies, so a list that says otherwise is said to disagree. A code the
    commune had from 2025 (``new_commune_code``) agrees too."""
    if "commune_code" not in frame.columns:
        return []
    given = frame["commune_code"].to_numpy(dtype=object)[at]
    inside = positions >= 0
    has_code = inside & pd.notna(given)
    if not has_code.any():
        return []
    rows = positions[has_code]
    codes = given[has_code].astype(str)
    own = communes["commune_code"].to_numpy(dtype=object)[rows]
    new = (
        communes["new_commune_code"].to_numpy(dtype=object)[rows]
        if "new_commune_code" in communes.columns
        else np.full(len(rows), None, dtype=object)
    )
    differs = (_key(codes) != _key(own)) & (_key(codes) != _key(new))
    if not differs.any():
        return []
    known = set(communes["commune_code"].dropna().astype(str))
    names = communes["commune_name"].to_numpy(dtype=object)[rows]
    ids = frame[get_schema("villages").id_field].to_numpy(dtype=object)[at][has_code]
    where = frame.index.to_numpy()[at][has_code]
    picked = np.flatnonzero(differs)
    shown = "; ".join(
        f"{ids[k]} gives {codes[k]}"
        + ("" if codes[k] in known else " (no commune of the workspace)")
        + f", lies in {names[k]} ({own[k] or 'no code'})"
        for k in picked[:_SHOWN]
    )
    more = "; ..." if len(picked) > _SHOWN else ""
    return [
        f"villages: {len(picked)} of {len(frame)} give a commune_code other than that of the commune "
        f"they lie in ({shown}{more}; rows {rows_listed(where[picked].tolist())}): the KPIs and gap "
        "lists count each in the commune it lies in; check its coordinates, or give the "
        "census_commune_id of the commune it belongs to"
    ]


def code_key(code: object) -> str:
    """A code compared as a GSO code: its text without leading zeros (a spreadsheet drops
    them: ``4`` is ``00004``); empty for none."""
    return "" if is_missing(code) else str(code).strip().lstrip("0")


def _key(codes: np.ndarray) -> np.ndarray:
    return np.array([code_key(c) for c in codes], dtype=object)
