"""Sites of other ids on one spot: the same mast in two operators' lists.

Each operator exports its own site list, so a mast two of them share comes in twice, under
two ids and a few metres apart (each surveyed its own position). The toolkit counts a site
as shared when one site holds the cells of two or more operators (``docs/architecture.md``,
the shared-site rule): two records of one mast count as two unshared sites, and the
province's share of shared sites comes out too low. The import does not merge them (which
record's id and fields to keep is the planner's call): :func:`colocated_notes` names the
pairs, so that they can be given one ``site_id``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from coverage_gis.crs import lonlat_to_metric

__all__ = ["COLOCATED_M", "colocated_notes"]

#: Two sites of other ids this close (metres) are taken for one mast listed twice.
COLOCATED_M = 20.0
_SHOWN = 5


def colocated_notes(sites: pd.DataFrame, new_ids: set[str], metric_crs: str | None) -> list[str]:
    """A note on the sites of ``sites`` (the layer as it will be written, EPSG:4326) within
    :data:`COLOCATED_M` of a site of another id, pairs with a site of ``new_ids`` only."""
    if len(sites) < 2 or not metric_crs:
        return []
    geoms = sites.geometry.to_numpy()
    ok = np.array([g is not None and not g.is_empty for g in geoms], dtype=bool)
    rows = np.flatnonzero(ok)
    x, y = lonlat_to_metric(
        np.array([geoms[i].x for i in rows], dtype=np.float64),
        np.array([geoms[i].y for i in rows], dtype=np.float64),
        metric_crs,
    )
    pairs = cKDTree(np.column_stack([x, y])).query_pairs(COLOCATED_M, output_type="ndarray")
    ids = sites["site_id"].astype(str).to_numpy(dtype=object)[rows]
    found = [
        (ids[a], ids[b]) for a, b in pairs if ids[a] != ids[b] and (ids[a] in new_ids or ids[b] in new_ids)
    ]
    if not found:
        return []
    found.sort()
    shown = ", ".join(f"{a} and {b}" for a, b in found[:_SHOWN]) + (", ..." if len(found) > _SHOWN else "")
    return [
        f"sites: {len(found)} pair(s) of sites of other ids lie within {COLOCATED_M:g} m of each other "
        f"({shown}): one mast in two operators' lists? A site counts as shared only when one site "
        "holds both operators' cells: give such a pair one site_id"
    ]
