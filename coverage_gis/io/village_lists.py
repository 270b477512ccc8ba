"""Village lists as provinces send them: what they leave out and their names and places tell.

Provincial village lists name each village with its kind ("Thôn 1", "Làng O2", "Tổ dân
phố 5", "Buôn Ma Lăk"), the way the ``villages`` layer's ``name`` field is described, and
most have no separate column for the kind, which the layer requires. :func:`kinds_from_names`
fills the ``kind`` column of such a file from the names: a name that begins with an allowed
kind (then a space, a digit or nothing), compared regardless of case, or without diacritics
when the name is written without any ("Thon 1"), or with the usual abbreviations ("TDP 5",
"KP 2") and the Highlands' words for a village ("Plei Giang", "Kon Klor": a làng). A name
that begins with none is left without a kind, and validation names its row.
A file with a kind column is read as it is.

Nor do they carry the province's code, also required: they are lists of one province.
:func:`with_province_codes` gives a village without one the province of the workspace
commune it lies in, else the workspace's province when it has only one; a village in
neither is left without, and validation names its row.

Some have no id either (a serial number, ``STT``, is no id: it changes as the list is
sorted). Asked to (``covgis import --make-ids``: an id column under a name not known
would otherwise be replaced unseen), :func:`ids_from_names` gives each village of a file
without an id column one
made from the code of the commune it lies in (its census id where it has no code; the
province's code where it lies in none) and its name, ``21553-thon-1``: the same village
gets the same id when the list is imported again, in any order. Two villages of one name
in one commune take ``-2``, ``-3`` in file order. A list of places (schools, commune
offices) without ids gets its ids the same way.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from coverage_gis.admin import commune_positions
from coverage_gis.crosswalk import folded_name_key, loose_name_keys
from coverage_gis.io.headers import find_header
from coverage_gis.io.name_leads import field_from_names
from coverage_gis.io.row_text import rows_listed
from coverage_gis.layers import LayerSchema
from coverage_gis.text_forms import ascii_slug
from coverage_gis.validation import layer_points
from coverage_gis.workspace import Workspace

__all__ = [
    "VillagePlaces",
    "commune_name_notes",
    "ids_from_names",
    "kinds_from_names",
    "with_province_codes",
]

#: Villages a note names, at most.
_SHOWN = 5


def kinds_from_names(frame: pd.DataFrame, schema: LayerSchema, *, notes: list[str]) -> pd.DataFrame:
    """``frame`` with a ``kind`` column read from ``name`` when it has none (see the module
    docstring); any other frame as it is."""
    # The kinds and their short forms (``value_aliases`` in ``layers/villages.yaml``: "TDP 5",
    # "KP 2", a ward's "Tổ 5", "Khối 4", "KV3"; the Central Highlands' "Plei", "Kon": làng).
    return field_from_names(frame, schema, "kind", schema.field("kind").value_spellings, notes=notes)


@dataclass(eq=False)
class VillagePlaces:
    """The workspace's communes and the row of the one each village of a list lies in (-1:
    none, or no point; an outline or a collection is placed by the point validation will
    read it as, :func:`coverage_gis.validation.layer_points`): read and placed once, on first asking,
    for every step of an import that needs them."""

    frame: pd.DataFrame
    ws: Workspace

    @functools.cached_property
    def found(self) -> tuple[gpd.GeoDataFrame | None, np.ndarray]:
        placed = np.full(len(self.frame), -1, dtype=np.int64)
        communes = self.ws.read_layer("communes", missing_ok=True)
        if not isinstance(communes, gpd.GeoDataFrame) or not len(communes):
            return None, placed
        if not isinstance(self.frame, gpd.GeoDataFrame):
            return communes, placed
        points = layer_points(np.asarray(self.frame.geometry.array, dtype=object))
        usable = (shapely.get_type_id(points) == shapely.GeometryType.POINT) & ~shapely.is_empty(points)
        if usable.any():
            placed[usable] = commune_positions(points[usable], communes)
        return communes, placed


def with_province_codes(frame: pd.DataFrame, places: VillagePlaces, *, notes: list[str]) -> pd.DataFrame:
    """``frame`` (villages, in EPSG:4326) with a ``province_code`` for every village without
    one (see the module docstring); a frame whose villages all have one as it is."""
    given = frame["province_code"] if "province_code" in frame.columns else None
    wanting = np.ones(len(frame), dtype=bool) if given is None else given.isna().to_numpy()
    if not wanting.any() or not isinstance(frame, gpd.GeoDataFrame):
        return frame
    codes = pd.Series([None] * len(frame), index=frame.index, dtype=object)
    communes, placed = places.found
    rows = np.flatnonzero(wanting & (placed >= 0))
    if communes is not None:
        codes.iloc[rows] = communes["province_code"].astype(str).to_numpy(dtype=object)[placed[rows]]
    by_commune = int(codes.notna().sum())
    provinces = places.ws.config.provinces
    if len(provinces) == 1:
        codes = codes.where(codes.notna() | ~pd.Series(wanting, index=frame.index), str(provinces[0]))
    filled = codes.where(pd.Series(wanting, index=frame.index), None)
    if not filled.notna().any():
        return frame
    notes.append(
        f"villages: no province code for {int(wanting.sum())} villages; read from the commune each lies in "
        f"({by_commune})"
        + (
            f", else the workspace's province {provinces[0]} ({int(filled.notna().sum()) - by_commune})"
            if len(provinces) == 1
            else ""
        )
    )
    merged = filled if given is None else given.astype(object).where(given.notna(), filled)
    return frame.assign(province_code=merged)


def ids_from_names(
    frame: pd.DataFrame, places: VillagePlaces, id_field: str, *, notes: list[str]
) -> pd.DataFrame:
    """``frame`` (a layer of named points in EPSG:4326: villages, places) with ``id_field``
    made for each feature where the file has no such column at all: the code of the commune
    it lies in and its name (see the module docstring); others as they are."""
    if id_field in frame.columns or "name" not in frame.columns or not isinstance(frame, gpd.GeoDataFrame):
        return frame
    communes, placed = places.found
    unit = (
        np.array(frame["province_code"].to_numpy(dtype=object), dtype=object)
        if "province_code" in frame.columns
        else np.full(len(frame), None, dtype=object)
    )
    if communes is not None:
        codes = (
            communes["commune_code"]
            .astype(object)
            .where(communes["commune_code"].notna(), communes["census_commune_id"])
        )
        inside = placed >= 0
        unit[inside] = codes.to_numpy(dtype=object)[placed[inside]]
    bases = [
        f"{u if isinstance(u, str) and u.strip() else 'x'}-{ascii_slug(n) if isinstance(n, str) else ''}"
        for u, n in zip(unit, frame["name"], strict=True)
    ]
    seen: dict[str, int] = {}
    ids = []
    for base in bases:
        seen[base] = seen.get(base, 0) + 1
        ids.append(base if seen[base] == 1 else f"{base}-{seen[base]}")
    layer, one, header = (
        ("villages", "village", "Mã thôn") if id_field == "village_id" else ("pois", "place", "Mã điểm")
    )
    notes.append(
        f"{layer}: no {id_field} column: each {one}'s id made from the code of the commune it lies "
        f"in and its name (e.g. {ids[0]!r}; a second {one} of one name in a commune gets -2); "
        f"give a column of your own ids ({header}) to keep them"
    )
    return frame.assign(**{id_field: ids})


#: Headers of a village list's column of commune names (compared as headers are).
COMMUNE_NAME_HEADERS = (
    "tên xã",
    "xã",
    "xã/phường",
    "phường/xã",
    "xã, phường, thị trấn",
    "xã/phường/thị trấn",
    "tên xã/phường",
    "commune",
    "commune name",
)


def commune_name_notes(frame: pd.DataFrame, places: VillagePlaces) -> list[str]:
    """A note on the villages of ``frame`` (a list read, before validation) whose column of
    commune names names another commune than the one they lie in, as it was named before
    2025 or since (type word, case, tone-mark placement and diacritics aside): the KPIs
    count a village where it lies, so a list that says otherwise may have a wrong position."""
    column = find_header([str(c) for c in frame.columns], COMMUNE_NAME_HEADERS)
    if column is None or not isinstance(frame, gpd.GeoDataFrame):
        return []
    communes, placed = places.found
    if communes is None:
        return []
    given = frame[column].to_numpy(dtype=object)
    at = np.flatnonzero((placed >= 0) & np.array([bool(folded_name_key(v)) for v in given], dtype=bool))
    rows = placed[at]
    own = communes["commune_name"].to_numpy(dtype=object)[rows]
    new = (
        communes["new_commune_name"].to_numpy(dtype=object)[rows]
        if "new_commune_name" in communes.columns
        else np.full(len(rows), None, dtype=object)
    )
    differs = [
        k
        for k, i in enumerate(at)
        if not loose_name_keys(given[i]) & (loose_name_keys(own[k]) | loose_name_keys(new[k]))
    ]
    if not differs:
        return []
    ids = (
        frame["village_id"].to_numpy(dtype=object)
        if "village_id" in frame.columns
        else frame["name"].to_numpy(dtype=object)
    )
    shown = "; ".join(f"{ids[at[k]]} names {given[at[k]]}, lies in {own[k]}" for k in differs[:_SHOWN])
    more = "; ..." if len(differs) > _SHOWN else ""
    where = frame.index.to_numpy()[at[differs]].tolist()
    return [
        f"villages: {len(differs)} of {len(frame)} name a commune ({column!r}) other than the one they lie "
        f"in ({shown}{more}; rows {rows_listed(where)}): the KPIs and gap lists count each where it lies; "
        "check its coordinates"
    ]
