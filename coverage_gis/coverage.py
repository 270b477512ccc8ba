"""Per-village coverage: the ``village_coverage`` table (DESIGN.md §4).

Owns the definitions of *mobile broadband* at a village (its centre served by an
on-air 3G/4G/5G cell under the workspace's coverage model), *FTTH* (an on-air fiber
node or access route within ``ftth_reach_m``) and the gap reasons. Everything is
vectorised over (village, cell) pairs returned by the model; there is no Python loop
over pairs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from coverage_gis.crs import STORAGE_CRS
from coverage_gis.models.base import BROADBAND_TECHS, CandidatePairs, CoverageModel
from coverage_gis.network import (
    TECH_RANK,
    CellTable,
    bits_to_names,
    cell_table_or_empty,
    operator_bits,
    receivers_of,
)
from coverage_gis.overrides import apply_overrides

#: Distance within which some operator's fiber of any class counts as "present nearby";
#: beyond it the FTTH gap reason is ``no_fiber_operator`` rather than ``fiber_too_far``.
FIBER_PRESENCE_M = 10_000.0
_RANK_TO_TECH = np.array([None, "2G", "3G", "4G", "5G"], dtype=object)

MOBILE_GAP_REASONS = ("planned_site_not_on_air", "terrain_shadow", "no_grid_power", "no_site_in_range")
FTTH_GAP_REASONS = ("fiber_too_far", "no_fiber_operator")


@dataclass(frozen=True)
class MobileResult:
    """Per-village mobile columns, aligned with the villages passed in."""

    mobile_bb: np.ndarray
    best_tech: np.ndarray
    operator_bits: np.ndarray
    best_signal_dbm: np.ndarray
    has_4g: np.ndarray
    has_5g: np.ndarray
    gap_reason: np.ndarray


@dataclass(frozen=True)
class FtthResult:
    """Per-village FTTH columns, aligned with the villages passed in."""

    ftth: np.ndarray
    fiber_distance_m: np.ndarray
    operator_bits: np.ndarray
    gap_reason: np.ndarray


def mobile_coverage(
    villages: gpd.GeoDataFrame,
    cells: CellTable,
    *,
    model: CoverageModel,
    metric_crs: str,
) -> MobileResult:
    """Mobile columns for each village from the model's candidate pairs."""
    n = len(villages)
    receivers = receivers_of(villages, metric_crs)
    pairs = model.candidate_pairs(receivers, cells.arrays) if len(cells) and n else CandidatePairs.empty()

    tech = cells.arrays.tech[pairs.cell]
    on_air = cells.on_air[pairs.cell]
    broadband = np.isin(tech, list(BROADBAND_TECHS))
    live = pairs.served & on_air
    live_bb = live & broadband

    rank = np.zeros(n, dtype=np.int64)
    np.maximum.at(
        rank, pairs.receiver[live], np.array([TECH_RANK.get(t, 0) for t in tech[live]], dtype=np.int64)
    )
    bits = np.zeros(n, dtype=np.int64)
    np.bitwise_or.at(bits, pairs.receiver[live_bb], operator_bits(cells.operator[pairs.cell[live_bb]]))

    signal = np.full(n, -np.inf)
    sig = np.where(np.isnan(pairs.signal_dbm), -np.inf, pairs.signal_dbm)
    np.maximum.at(signal, pairs.receiver[live_bb], sig[live_bb])
    signal[np.isneginf(signal)] = np.nan

    mobile_bb = np.zeros(n, dtype=bool)
    mobile_bb[pairs.receiver[live_bb]] = True
    has_4g = np.zeros(n, dtype=bool)
    has_4g[pairs.receiver[live & (tech == "4G")]] = True
    has_5g = np.zeros(n, dtype=bool)
    has_5g[pairs.receiver[live & (tech == "5G")]] = True

    planned_bb = np.zeros(n, dtype=bool)
    planned_bb[pairs.receiver[pairs.served & ~on_air & broadband]] = True
    shadowed = np.zeros(n, dtype=bool)
    shadowed[pairs.receiver[pairs.terrain_blocked & on_air & broadband]] = True
    power = villages["has_grid_power"].fillna(True).to_numpy(dtype=bool)
    # Later assignments win: the most specific known cause is kept.
    reason = np.full(n, "no_site_in_range", dtype=object)
    reason[~power] = "no_grid_power"
    reason[shadowed] = "terrain_shadow"
    reason[planned_bb] = "planned_site_not_on_air"
    reason[mobile_bb] = None
    return MobileResult(mobile_bb, _RANK_TO_TECH[rank], bits, signal, has_4g, has_5g, reason)


def _fiber_features(routes: gpd.GeoDataFrame | None, nodes: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame:
    parts = []
    for frame, is_access in ((routes, None), (nodes, True)):
        if frame is None or len(frame) == 0:
            continue
        part = frame[["operator", "status", "geometry"]].copy()
        part["qualifies"] = True if is_access else (frame["class"] == "access").to_numpy()
        parts.append(part)
    if not parts:
        return gpd.GeoDataFrame(
            {"operator": [], "status": [], "qualifies": []}, geometry=gpd.GeoSeries([], crs=STORAGE_CRS)
        )
    merged = pd.concat(parts, ignore_index=True)
    return gpd.GeoDataFrame(merged, geometry="geometry", crs=STORAGE_CRS)


def ftth_coverage(
    villages: gpd.GeoDataFrame,
    fiber_routes: gpd.GeoDataFrame | None,
    fiber_nodes: gpd.GeoDataFrame | None,
    *,
    metric_crs: str,
    ftth_reach_m: float,
) -> FtthResult:
    """FTTH columns: an on-air node, or an on-air access route, within ``ftth_reach_m``."""
    n = len(villages)
    fiber = _fiber_features(fiber_routes, fiber_nodes)
    fiber = fiber[(fiber["status"] == "on_air").to_numpy()]
    distance = np.full(n, np.nan)
    bits = np.zeros(n, dtype=np.int64)
    present = np.zeros(n, dtype=bool)
    if n and len(fiber):
        points = villages.geometry.to_crs(metric_crs).to_numpy()
        geoms = fiber.geometry.to_crs(metric_crs).to_numpy()
        qualifies = fiber["qualifies"].to_numpy(dtype=bool)
        if qualifies.any():
            tree = shapely.STRtree(geoms[qualifies])
            (vi, _), dist = tree.query_nearest(points, return_distance=True, all_matches=False)
            distance[vi] = dist
            near_v, near_f = tree.query(points, predicate="dwithin", distance=ftth_reach_m)
            ops = fiber["operator"].to_numpy(dtype=str)[qualifies][near_f]
            np.bitwise_or.at(bits, near_v, operator_bits(ops))
        any_tree = shapely.STRtree(geoms)
        near_any, _ = any_tree.query(points, predicate="dwithin", distance=FIBER_PRESENCE_M)
        present[near_any] = True
    ftth = np.nan_to_num(distance, nan=np.inf) <= ftth_reach_m
    reason = np.where(present, "fiber_too_far", "no_fiber_operator").astype(object)
    reason[ftth] = None
    return FtthResult(ftth, distance, bits, reason)


def coverage_from_layers(
    layers: Mapping[str, pd.DataFrame],
    *,
    metric_crs: str,
    model: CoverageModel,
    ftth_reach_m: float = 500.0,
    revision: int = 0,
) -> gpd.GeoDataFrame:
    """The ``village_coverage`` table from in-memory layers.

    Parameters
    ----------
    layers
        Frames by layer name; ``villages`` is required, ``sites``/``cells``,
        ``fiber_routes``/``fiber_nodes``, ``communes`` (clutter class) and ``overrides``
        (accepted challenges, applied last) optional.
    metric_crs
        CRS in metres for all distances.
    model
        The coverage model (see :func:`coverage_gis.models.create_model`).
    ftth_reach_m
        Distance from a village centre within which fiber gives FTTH.
    revision
        Workspace revision the result belongs to.
    """
    villages = layers["villages"]
    assert isinstance(villages, gpd.GeoDataFrame)
    cells = cell_table_or_empty(layers, metric_crs=metric_crs)
    mobile = mobile_coverage(villages, cells, model=model, metric_crs=metric_crs)
    ftth = ftth_coverage(
        villages,
        layers.get("fiber_routes"),
        layers.get("fiber_nodes"),
        metric_crs=metric_crs,
        ftth_reach_m=ftth_reach_m,
    )
    table = assemble(villages, mobile, ftth, model_name=model.name, revision=revision)
    # Planners' accepted challenges stand over the model at every recompute.
    return apply_overrides(table, layers.get("overrides"))


def assemble(
    villages: gpd.GeoDataFrame,
    mobile: MobileResult,
    ftth: FtthResult,
    *,
    model_name: str,
    revision: int,
) -> gpd.GeoDataFrame:
    """Mobile and FTTH columns → the ``village_coverage`` layer (schema order)."""
    operators = bits_to_names(mobile.operator_bits)
    return gpd.GeoDataFrame(
        {
            "village_id": villages["village_id"].to_numpy(dtype=object),
            "mobile_bb": mobile.mobile_bb,
            "best_tech": mobile.best_tech,
            "operators": operators,
            "n_operators": np.bitwise_count(mobile.operator_bits.astype(np.uint64)).astype(np.int64),
            "best_signal_dbm": mobile.best_signal_dbm,
            "has_4g": mobile.has_4g,
            "has_5g": mobile.has_5g,
            "ftth": ftth.ftth,
            "fiber_distance_m": ftth.fiber_distance_m,
            "ftth_operators": bits_to_names(ftth.operator_bits),
            "mobile_gap_reason": mobile.gap_reason,
            "ftth_gap_reason": ftth.gap_reason,
            "model": model_name,
            "revision": revision,
        },
        geometry=villages.geometry.to_numpy(),
        crs=STORAGE_CRS,
    )
