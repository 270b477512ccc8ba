"""The 2025 units of an imported commune list (``covgis import WS communes FILE``).

``covgis init`` gives each census commune its 2025 commune and province
(:func:`coverage_gis.crosswalk.assign_2025`) and cuts the split ones into
``commune_parts_2025``. A list the user brings has its own units and ids, so the parts
the workspace holds no longer fit it; and most lists carry no ``new_*`` columns. Such a
list is one of two kinds, told apart by its names: each commune's name is the name the
GSO conversion table gives its code either as a unit of January 2025 (``old_*``: a
list of the former structure) or as a 2025 commune (``new_*``: a province's list since
July 2025, whose units *are* the 2025 communes).

- a list of the former structure gets its 2025 units by the crosswalk rule, parts and all;
- a 2025 list is its own 2025 hierarchy: each commune is its 2025 commune, its province
  its 2025 province, and nothing is cut;
- a list with ``new_*`` columns of its own keeps them, and keeps no parts (they were cut
  from other units).

Every import of communes thus replaces ``commune_parts_2025`` with the parts of its own
units, in the same write.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from coverage_gis.boundaries import environment_of, read_crosswalk
from coverage_gis.crosswalk import COMMUNE_COLUMNS, assign_2025, empty_parts, folded_name_key, loose_name_keys
from coverage_gis.io.placement import code_key
from coverage_gis.io.row_text import rows_counted

__all__ = ["CommuneUnits", "with_2025_units", "with_environments"]

#: Share of a list's named communes that must bear the 2025 table's name of their code
#: for the list to be read as the 2025 communes.
NEW_STRUCTURE_SHARE = 0.5


@dataclass(frozen=True)
class CommuneUnits:
    """Communes with their 2025 columns, the parts of those cut, and what was done."""

    communes: gpd.GeoDataFrame
    parts: gpd.GeoDataFrame
    note: str


def with_2025_units(layer: pd.DataFrame, *, crosswalk: pd.DataFrame | None = None) -> CommuneUnits:
    """The 2025 units of a validated ``communes`` layer (see the module docstring)."""
    communes = gpd.GeoDataFrame(layer, geometry="geometry", crs=getattr(layer, "crs", None))
    if _has_own_2025(communes):
        return CommuneUnits(communes, empty_parts(), "communes: the list's own 2025 columns are kept")
    table = read_crosswalk() if crosswalk is None else crosswalk
    old_share, new_share = _name_matches(communes, table)
    if new_share > old_share and new_share >= NEW_STRUCTURE_SHARE:
        return CommuneUnits(
            _as_own_2025(communes),
            empty_parts(),
            f"communes: read as the 2025 communes ({new_share:.0%} bear the 2025 name of their code): "
            "each is its own 2025 commune, its province its 2025 province",
        )
    assignment = assign_2025(communes, table)
    kept = communes.drop(columns=[c for c in COMMUNE_COLUMNS if c in communes.columns])
    merged = pd.concat([kept, assignment.communes], axis=1)
    out = gpd.GeoDataFrame(merged, geometry=communes.geometry.name, crs=communes.crs)
    placed = int(out["new_commune_code"].notna().sum())
    cut = assignment.parts["census_commune_id"].nunique() if len(assignment.parts) else 0
    return CommuneUnits(
        out,
        assignment.parts,
        f"communes: 2025 units from the GSO conversion table: {placed} of {len(out)} communes placed, "
        f"{cut} cut into parts",
    )


def _has_own_2025(communes: pd.DataFrame) -> bool:
    column = communes.get("new_commune_code")
    return column is not None and bool(column.notna().any())


def _name_matches(communes: pd.DataFrame, table: pd.DataFrame) -> tuple[float, float]:
    """Shares of the list's coded communes named as the table names their code as a unit of
    January 2025 and as a 2025 commune (codes compared as GSO codes, :func:`code_key`)."""
    codes = communes["commune_code"].astype(object).map(code_key)
    # A name as the list writes it: without diacritics, its type word cut short ("X. Canh Liên").
    names = communes["commune_name"].map(loose_name_keys)
    coded = (codes != "") & names.map(lambda keys: keys != {""})
    if not coded.any():
        return 0.0, 0.0
    shares = []
    for side in ("old", "new"):
        by_code = (
            table.assign(code=table[f"{side}_commune_code"].map(code_key))
            .drop_duplicates("code")
            .set_index("code")[f"{side}_commune_name"]
            .map(folded_name_key)
        )
        same = [key in keys for key, keys in zip(codes[coded].map(by_code), names[coded], strict=True)]
        shares.append(float(np.mean(same)))
    return shares[0], shares[1]


def _as_own_2025(communes: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """A 2025 list: each commune its own 2025 unit, the 2009 census summed over the units."""
    out = communes.copy()
    out["crosswalk_code"] = None
    out["admin_2025_method"] = None
    out["merge_note"] = None
    out["new_commune_code"] = out["commune_code"].where(out["commune_code"].notna(), out["census_commune_id"])
    out["new_commune_name"] = out["commune_name"]
    out["new_province_code"] = out["province_code"]
    out["new_province_name"] = out["province_name"]
    pop = out["pop_2009"].fillna(0)
    out["new_commune_pop_2009"] = pop.groupby(out["new_commune_code"]).transform("sum")
    out["new_province_pop_2009"] = pop.groupby(out["new_province_code"]).transform("sum")
    return out


def with_environments(communes: pd.DataFrame, *, notes: list[str]) -> pd.DataFrame:
    """``communes`` (a validated list) with each blank ``environment`` (the coverage model's
    clutter class) read from the unit's type word, as ``covgis init`` gives the census
    communes theirs (:func:`coverage_gis.boundaries.environment_of`: phường urban, thị trấn
    suburban, xã rural), with a note; a list without one would leave every ward rural."""
    blank = communes["environment"].isna().to_numpy() if "environment" in communes else None
    if blank is None or not blank.any():
        return communes
    classes = environment_of(communes["commune_name"])
    out = communes.copy()
    out.loc[blank, "environment"] = classes[blank]
    counts = pd.Series(classes[blank]).value_counts()
    notes.append(
        "communes: environment read from each unit's type word where the list gives none "
        "(phường urban, thị trấn suburban, xã rural): "
        + ", ".join(f"{name} ({rows_counted(int(n))})" for name, n in counts.items())
    )
    return out
