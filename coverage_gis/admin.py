"""Administrative hierarchy: which commune/district/province a feature belongs to.

Two hierarchies are supported (``docs/architecture.md``): the pre-2025 three levels
(province/district/commune, GSO codes) and the 2025 two levels (province/commune,
from the crosswalk). Communes without a GSO code are keyed on ``census_commune_id``.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

LEVELS: tuple[str, ...] = ("province", "district", "commune", "province_2025", "commune_2025")

#: Level → (code column, name column) in the frame :func:`admin_columns` returns.
LEVEL_COLUMNS: dict[str, tuple[str, str]] = {
    "province": ("province_code", "province_name"),
    "district": ("district_code", "district_name"),
    "commune": ("commune_key", "commune_name"),
    "province_2025": ("new_province_code", "new_province_name"),
    "commune_2025": ("new_commune_code", "new_commune_name"),
}

_COMMUNE_ATTRS = [
    "census_commune_id",
    "commune_code",
    "commune_name",
    "district_code",
    "district_name",
    "province_code",
    "province_name",
    "new_province_code",
    "new_province_name",
    "new_commune_code",
    "new_commune_name",
]


def commune_key(communes: pd.DataFrame) -> pd.Series:
    """The commune's reporting code: GSO code where known, else the census id."""
    code = communes["commune_code"].astype(object)
    return code.where(code.notna() & (code != ""), communes["census_commune_id"])


def admin_columns(points: gpd.GeoDataFrame, communes: gpd.GeoDataFrame) -> pd.DataFrame:
    """Admin attributes for each point, aligned with ``points``.

    A point carrying a ``census_commune_id`` that exists in ``communes`` keeps it
    (a village on a commune border belongs where the data says); others are placed
    by point-in-polygon. Points outside every commune get empty codes.
    """
    attrs = communes[[c for c in _COMMUNE_ATTRS if c in communes]].copy()
    for col in _COMMUNE_ATTRS:
        if col not in attrs:
            attrs[col] = None
    attrs["commune_key"] = commune_key(attrs)
    attrs = attrs.reset_index(drop=True)
    position = np.full(len(points), -1, dtype=np.int64)
    if "census_commune_id" in points and len(points):
        lookup = pd.Series(np.arange(len(attrs)), index=attrs["census_commune_id"].to_numpy())
        lookup = lookup[~lookup.index.duplicated()]
        found = points["census_commune_id"].map(lookup)
        position = found.fillna(-1).to_numpy(dtype=np.int64)
    missing = position < 0
    if missing.any() and len(communes):
        geoms = points.geometry.to_numpy()[missing]
        idx_point, idx_commune = communes.sindex.query(geoms, predicate="intersects")
        placed = np.full(int(missing.sum()), -1, dtype=np.int64)
        # First match wins for points exactly on a shared border.
        order = np.argsort(idx_point, kind="stable")
        idx_point, idx_commune = idx_point[order], idx_commune[order]
        first = np.unique(idx_point, return_index=True)[1]
        placed[idx_point[first]] = idx_commune[first]
        position[missing] = placed
    out: pd.DataFrame = attrs.reindex(position).reset_index(drop=True)
    out.index = points.index
    return out
