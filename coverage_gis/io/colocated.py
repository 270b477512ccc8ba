"""Sites of other ids on one spot: the same mast in two operators' lists.

Each operator exports its own site list, so a mast two of them share comes in twice, under
two ids and a few metres apart (each surveyed its own position). The toolkit counts a site
as shared when one site holds the cells of two or more operators (``docs/architecture.md``,
the shared-site rule): two records of one mast count as two unshared sites, and the
province's share of shared sites comes out too low. The import does not merge them (which
record's id and fields to keep is the planner's call): :func:`colocated_notes` names the
pairs, so that they can be given one ``site_id``.

A list appended to the workspace's sites may then name a mast the workspace holds already,
under its id and at its place: :func:`sites_listed_again` keeps that mast once, its fields
that each list's cells decide taken from both lists by the schema's ``from_rows`` rules (on
air when either is; as high as the higher), so that the second operator's cells can hang
off it. An id the workspace holds at another place is another mast: refused, with how far.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely
from pyproj import Geod
from scipy.spatial import cKDTree

from coverage_gis.crs import lonlat_to_metric
from coverage_gis.display import first_few
from coverage_gis.errors import LayerValidationError
from coverage_gis.io.repeats import SAME_POINT_M, taken_from_rows
from coverage_gis.layers import FROM_ROWS_MAX, get_schema

__all__ = ["COLOCATED_M", "ListedAgain", "colocated_notes", "sites_listed_again"]

#: Two sites of other ids this close (metres) are taken for one mast listed twice (as a site's
#: own rows are one position: :data:`coverage_gis.io.repeats.SAME_POINT_M`).
COLOCATED_M = SAME_POINT_M
_SHOWN = 5
_GEOD = Geod(ellps="WGS84")


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
    shown = first_few((f"{a} and {b}" for a, b in found), _SHOWN)
    return [
        f"sites: {len(found)} pair(s) of sites of other ids lie within {COLOCATED_M:g} m of each other "
        f"({shown}): one mast in two operators' lists? A site counts as shared only when one site "
        "holds both operators' cells: give such a pair one site_id"
    ]


@dataclass(frozen=True)
class ListedAgain:
    """The workspace's sites and an appended list's, with the masts both name kept once."""

    #: The workspace's sites, a mast the list names again holding both lists' ``from_rows`` fields.
    old: pd.DataFrame
    #: The list's sites the workspace does not hold, and their rows' numbers in the file.
    new: pd.DataFrame
    rows: pd.Index
    #: What was kept once, or None.
    note: str | None


def sites_listed_again(old: pd.DataFrame, new: pd.DataFrame, rows: pd.Index, *, source: str) -> ListedAgain:
    """The sites of ``new`` (an appended list, validated; ``rows``: its rows' numbers in the
    file) whose ``site_id`` the workspace's sites ``old`` hold within :data:`COLOCATED_M` of
    that position (on the WGS 84 ellipsoid): one mast in both lists (see the module docstring).

    Raises
    ------
    LayerValidationError
        A site of the list whose id the workspace holds farther away: the first, with the distance.
    """
    at = pd.Index(old["site_id"]).get_indexer(new["site_id"])
    again = np.flatnonzero(at >= 0)
    if not again.size:
        return ListedAgain(old, new, rows, None)
    theirs = old.geometry.to_numpy()[at[again]]
    ours = new.geometry.to_numpy()[again]
    _, _, apart = _GEOD.inv(
        shapely.get_x(theirs), shapely.get_y(theirs), shapely.get_x(ours), shapely.get_y(ours)
    )
    apart = np.asarray(apart, dtype=np.float64)
    far = ~(apart <= COLOCATED_M)
    if far.any():
        k = int(np.flatnonzero(far)[0])
        raise LayerValidationError(
            f"id {new['site_id'].iloc[again[k]]!r} already exists in the workspace's sites layer, "
            f"{_distance(apart[k])} from this row's position: another mast. A mast two lists share "
            f"takes one site_id at one place (within {COLOCATED_M:g} m); give this one another id, "
            "or import without --append to replace the layer",
            source=source,
            row=int(rows[again[k]]),
            field="site_id",
            layer="sites",
        )
    kept, taken = _from_both(old, new, at[again], again)
    ids = new["site_id"].to_numpy(dtype=object)[again]
    shown = first_few(ids, _SHOWN)
    note = (
        f"sites: {len(ids)} site(s) of the list the workspace holds already, under their id within "
        f"{COLOCATED_M:g} m ({shown}): one mast in both lists, kept once (its other fields as the "
        f"workspace has them{'; ' + ', '.join(taken) if taken else ''}), so that the list's cells hang off it"
    )
    rest = np.setdiff1d(np.arange(len(new)), again)
    return ListedAgain(kept, new.iloc[rest], rows[rest], note)


def _distance(metres: float) -> str:
    """``340 m``, ``2.3 km``; ``at an unknown distance`` where a position is missing."""
    if not np.isfinite(metres):
        return "at an unknown distance"
    return f"{metres:,.0f} m" if metres < 1000 else f"{metres / 1000:,.1f} km"


def _from_both(
    old: pd.DataFrame, new: pd.DataFrame, theirs: np.ndarray, ours: np.ndarray
) -> tuple[pd.DataFrame, list[str]]:
    """``old`` with each mast at rows ``theirs`` holding, in every field with a ``from_rows``
    rule, the value that rule takes of its row and the list's row at ``ours`` (as a list's
    rows of one site are read: :func:`coverage_gis.io.repeats.taken_from_rows`), and how
    each such field was taken."""
    schema = get_schema("sites")
    fields = [f for f in schema.fields if f.from_rows and f.name in old.columns and f.name in new.columns]
    if not fields:
        return old, []
    names = [schema.id_field, *(f.name for f in fields)]
    pairs = pd.concat(
        [pd.DataFrame(old[names]).iloc[theirs], pd.DataFrame(new[names]).iloc[ours]], ignore_index=True
    )
    both = taken_from_rows(pairs, schema, np.ones(len(pairs), dtype=bool), notes=[])
    kept = old.copy()
    for f in fields:
        column = kept[f.name].to_numpy(dtype=object).copy()
        column[theirs] = both[f.name].to_numpy(dtype=object)[: len(theirs)]
        kept[f.name] = pd.Series(column, index=kept.index).astype(kept[f.name].dtype)
    rules = [
        "largest" if f.from_rows == (FROM_ROWS_MAX,) else "first of " + ", ".join(f.from_rows) for f in fields
    ]
    return kept, [f"{f.name} the {rule} of the two" for f, rule in zip(fields, rules, strict=True)]
