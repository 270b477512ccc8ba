"""The rows every gap list shares (``docs/architecture.md``, gap lists): their columns, one
row of a gap, and the ranking by people affected, where a candidate's cost lands on its
highest-ranked row. The lists themselves are :mod:`coverage_gis.gaps.mobile`,
:mod:`coverage_gis.gaps.ftth` and :mod:`coverage_gis.gaps.five_g`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd

from coverage_gis.crs import STORAGE_CRS

if TYPE_CHECKING:
    from coverage_gis.gaps.ftth import OltReach, Tap

GAP_KINDS: tuple[str, ...] = ("mobile", "ftth", "5g")

#: The admin names and codes of a gap row.
ADMIN_COLUMNS: tuple[str, ...] = (
    "commune_name",
    "district_name",
    "province_name",
    "commune_code",
    "district_code",
    "province_code",
)

GAP_COLUMNS: tuple[str, ...] = (
    "rank",
    "kind",
    "id",
    "name",
    *ADMIN_COLUMNS,
    "population",
    "households",
    "reason",
    "reasons",
    "detail",
    "recommendation",
    "candidate_id",
    "candidate_villages",
    "candidate_lon",
    "candidate_lat",
    "power_need",
    "distance_m",
    "road_length_m",
    "tap_id",
    "tap_operator",
    "tap_class",
    "tap_node_kind",
    "tap_status",
    "olt_id",
    "olt_distance_m",
    "within_pon_reach",
    "cost_vnd",
    "candidate_cost_vnd",
)

#: The columns of a gap list a person reads first (the CLI's table, the gap map's tables).
GAP_SUMMARY_COLUMNS: tuple[str, ...] = (
    "rank",
    "id",
    "name",
    "commune_name",
    "district_name",
    "population",
    "reasons",
    "power_need",
    "recommendation",
    "cost_vnd",
)


def ranked_frame(rows: list[dict[str, Any]], geometry: list[Any]) -> gpd.GeoDataFrame:
    """Rows ranked by people affected; a candidate's cost lands on its highest-ranked row."""
    frame = pd.DataFrame(rows, columns=[c for c in GAP_COLUMNS if c != "rank"])
    gdf = gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geometry, crs=STORAGE_CRS), crs=STORAGE_CRS)
    if len(gdf):
        gdf = gdf.sort_values(
            ["population", "households", "id"], ascending=[False, False, True], kind="stable"
        )
        shared = gdf["candidate_id"].notna()
        later = shared & gdf["candidate_id"].duplicated(keep="first")
        gdf["cost_vnd"] = gdf["candidate_cost_vnd"].where(~later, 0.0)
    gdf.insert(0, "rank", np.arange(1, len(gdf) + 1))
    return gdf.reset_index(drop=True)


def lonlat_of(points: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
    return np.asarray(points.geometry.x, dtype=np.float64), np.asarray(points.geometry.y, dtype=np.float64)


def gap_row(
    kind: str,
    who: dict[str, Any],
    *,
    reason: str,
    detail: str,
    recommendation: str,
    candidate: tuple[float, float],
    cost_vnd: float | None,
    reasons: str | None = None,
    candidate_id: str | None = None,
    candidate_villages: int | None = None,
    power_need: str | None = None,
    distance_m: float | None = None,
    road_length_m: float | None = None,
    tap: Tap | None = None,
    olt: OltReach | None = None,
) -> dict[str, Any]:
    """One row of a gap list (:data:`GAP_COLUMNS` but ``rank``); ``who`` names the place.

    ``cost_vnd`` is the cost of the row's candidate; :func:`ranked_frame` keeps it on the
    candidate's highest-ranked row only.
    """
    return {
        "kind": kind,
        **who,
        "reason": reason,
        "reasons": reasons or reason,
        "detail": detail,
        "recommendation": recommendation,
        "candidate_id": candidate_id,
        "candidate_villages": candidate_villages,
        "candidate_lon": candidate[0],
        "candidate_lat": candidate[1],
        "power_need": power_need,
        "distance_m": distance_m,
        "road_length_m": road_length_m,
        "tap_id": None if tap is None else tap.id,
        "tap_operator": None if tap is None else tap.operator,
        "tap_class": None if tap is None else tap.klass,
        "tap_node_kind": None if tap is None else tap.node_kind,
        "tap_status": None if tap is None else tap.status,
        "olt_id": None if olt is None else olt.id,
        "olt_distance_m": None if olt is None else olt.distance_m,
        "within_pon_reach": None if olt is None else olt.within_reach,
        "cost_vnd": cost_vnd,
        "candidate_cost_vnd": cost_vnd,
    }


def village_fields(villages: pd.DataFrame, admin: pd.DataFrame, k: int) -> dict[str, Any]:
    """Identity, admin names/codes and people of the k-th gap village."""
    return {
        "id": villages["village_id"].iloc[k],
        "name": villages["name"].iloc[k],
        **{c: admin[c].iloc[k] for c in ADMIN_COLUMNS},
        "population": int(villages["population"].fillna(0).iloc[k]),
        "households": int(villages["households"].fillna(0).iloc[k]),
    }
