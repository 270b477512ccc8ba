"""Planning a live site change: what it touches, recomputes and writes, on arrays and records.

:func:`plan_change` is the whole in-memory part of an edit (``docs/architecture.md``:
live workspace): it applies the edits to the touched sites' plain records
(:mod:`coverage_gis.site_edits`), derives their cell and KPI arrays
(:mod:`coverage_gis.live_site`), finds the villages and places within reach of the old
and new cells (k-d trees), recomputes their mobile coverage, moves the kept per-unit KPI sums by
the rows that changed (:mod:`coverage_gis.kpi_sums`) and recounts the KPI rows of the
units they lie in. No national table is copied and no frame is built for the
edited sites; the database write (:mod:`coverage_gis.live`) is the only I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from coverage_gis._values import equal_values
from coverage_gis.admin import LEVELS
from coverage_gis.coverage import MOBILE_COLUMNS, mobile_columns
from coverage_gis.crs import BBox, lonlat_to_metric, metric_to_lonlat
from coverage_gis.engine import SNAPSHOT_LEVELS, kpi_record, kpi_records
from coverage_gis.errors import DuplicateId
from coverage_gis.kpi import KpiColumns, splice_kpi_rows
from coverage_gis.kpi_sums import KpiSums
from coverage_gis.live_overlay import VILLAGE_INPUT_COLUMNS, Overlay, SitePart
from coverage_gis.live_site import Place, site_columns, site_kpi_row, site_table
from coverage_gis.mobile import mobile_at
from coverage_gis.models.base import ReceiverArrays
from coverage_gis.network import CellTable, concat_tables
from coverage_gis.overrides import override_columns
from coverage_gis.revisions import snapshot_key
from coverage_gis.site_edits import EditedSites, SiteEdit, SiteRecord, apply_edits

if TYPE_CHECKING:
    from coverage_gis.live import LiveState, SitePermit


@dataclass(frozen=True)
class ChangePlan:
    """What a change does: the edited sites, the rows it recomputes, the state after it."""

    touched: tuple[str, ...]
    edited: EditedSites
    village_index: np.ndarray
    changed_rows: np.ndarray
    changed_ids: tuple[str, ...]
    gained: tuple[str, ...]
    lost: tuple[str, ...]
    mobile_before: np.ndarray
    dirty_bbox: BBox | None
    overlay: Overlay
    #: The KPI table after the change, one array per column (:attr:`LiveState.kpi_table`).
    kpi_table: Mapping[str, Any]
    snapshot: Mapping[tuple[str, str], dict[str, Any]]
    #: The snapshot's rows the change rewrote (None: the units changed, log it whole).
    snapshot_changes: list[dict[str, Any]] | None
    kpi_positions: Mapping[tuple[str, str], int]
    #: The per-unit KPI sums after the change.
    kpi_sums: KpiSums
    kpi_before: dict[str, Any]


def plan_change(state: LiveState, edits: Sequence[SiteEdit], permit: SitePermit | None) -> ChangePlan:
    """Everything a change does, worked out on ``state`` (nothing is written or installed).

    Raises
    ------
    Conflict, NotFound, LayerValidationError
        From the edits (:func:`~coverage_gis.site_edits.apply_edits`) or a cell id that
        another site holds.
    PermissionDenied
        Or whatever ``permit`` raises.
    """
    a = state.base  # villages, places, communes and settings: no site edit changes them
    metric = a.metric_crs
    overlay = state.overlay
    current = overlay.current_records(e.site_id for e in edits)
    edited = apply_edits(current, edits)
    touched = edited.touched_site_ids
    _check_cell_ids(overlay, edited, touched)
    if permit is not None:
        _check_permits(permit, touched, current, edited)
    old_cells = overlay.site_table(touched)
    old_site_columns = overlay.site_kpi_columns(touched)
    parts = _site_parts(edited, state)
    moved = overlay.with_parts(parts)
    new_cells = CellTable.empty()
    for part in parts.values():
        if part is not None:
            new_cells = concat_tables(new_cells, part.table)

    centres = np.concatenate(
        [
            np.column_stack([old_cells.arrays.x_m, old_cells.arrays.y_m]).reshape(-1, 2),
            np.column_stack([new_cells.arrays.x_m, new_cells.arrays.y_m]).reshape(-1, 2),
        ]
    )
    reach = np.concatenate([a.model.max_range_m(old_cells.arrays), a.model.max_range_m(new_cells.arrays)])
    village_index = _within(state.village_tree, centres, reach)
    poi_index = _within(state.poi_tree, centres, reach)
    # The sites themselves are drawn too: their old and new positions belong in the
    # dirty area even when they carry no cells.
    marks = np.concatenate([centres, _site_xy(current.values(), metric), _part_xy(parts.values())])
    dirty_bbox = _bbox_lonlat(marks, np.concatenate([reach, np.zeros(len(marks) - len(centres))]), metric)

    before = {col: overlay.village_coverage[col][village_index] for col in MOBILE_COLUMNS}
    values = before
    if len(village_index):
        xy = state.village_xy[village_index]
        near = moved.cells_near(xy, a.model)
        mobile = mobile_at(_receivers(xy), state.village_power[village_index], near, model=a.model)
        # Accepted challenges stand over the model here too, as in a full recompute.
        values = override_columns(state.village_ids[village_index], mobile_columns(mobile), a.overrides)
    differs = ~_rows_equal(before, values)
    changed_rows = village_index[differs]
    flipped_before = before["mobile_bb"].astype(bool)
    flipped_after = np.asarray(values["mobile_bb"]).astype(bool)
    ids = state.village_ids
    gained = tuple(ids[village_index[~flipped_before & flipped_after]])
    lost = tuple(ids[village_index[flipped_before & ~flipped_after]])

    poi_values: dict[str, np.ndarray] = {}
    if len(poi_index):
        # Site edits change mobile service at places, never their FTTH (places count as
        # powered, as the KPI inputs take them).
        xy = state.poi_xy[poi_index]
        near = moved.cells_near(xy, a.model)
        served = mobile_at(_receivers(xy), np.ones(len(poi_index), dtype=bool), near, model=a.model)
        poi_values = {
            "mobile_bb": served.mobile_bb,
            "has_5g": served.has_5g | overlay.base.poi_in_5g_zone[poi_index],
        }
    moved = moved.with_rows(
        village_index,
        {col: values[col] for col in MOBILE_COLUMNS},
        {col: values[col] for col in VILLAGE_INPUT_COLUMNS},
        poi_index,
        poi_values,
    )

    base_columns = overlay.base.kpi_columns
    new_site_columns = KpiColumns.concat(
        [old_site_columns, *(p.kpi_columns for p in parts.values() if p is not None)]
    )
    codes: dict[str, set[str]] = {}
    for level in LEVELS:
        found = [
            base_columns.codes["v"][level][village_index],
            base_columns.codes["p"][level][poi_index],
            new_site_columns.codes["s"][level],
        ]
        codes[level] = {str(c) for c in np.concatenate(found) if c is not None}
    # The kept sums move by the rows the change rewrites: the touched sites' old rows and
    # the changed villages and places as they were go out, the same as they are now come in.
    sums = state.kpi_sums.moved(
        KpiColumns.concat([overlay.kpi_rows_at(changed_rows, poi_index), old_site_columns]),
        KpiColumns.concat(
            [moved.kpi_rows_at(changed_rows, poi_index), *(p.kpi_columns for p in parts.values() if p)]
        ),
    )
    recounted = sums.spliced(state.kpi_table, codes, state.kpi_positions)
    snapshot_changes: list[dict[str, Any]] | None = None
    if recounted is not None:
        # Same units in the same rows: overwrite the changed units' records in place
        # (the dict keeps the table's order).
        kpi_table, fresh, positions = recounted.table, recounted.fresh, state.kpi_positions
        snapshot = dict(state.snapshot)
        fresh_levels = np.asarray(fresh["level"], dtype=object)
        snapshot_changes = []
        for i in np.flatnonzero(np.isin(fresh_levels, SNAPSHOT_LEVELS)):
            record = kpi_record({name: column[i] for name, column in fresh.items()})
            snapshot[snapshot_key(record)] = record
            snapshot_changes.append(record)
    else:
        # A unit appears or vanishes: its rows come from its inputs, the table is re-sorted.
        spliced = splice_kpi_rows(state.kpis, moved.columns_in_units(codes), codes, state.kpi_positions)
        kpi_table = {name: spliced.table[name].array for name in spliced.table.columns}
        positions = spliced.positions
        snapshot = snapshot_records(spliced.table)
    return ChangePlan(
        touched=touched,
        edited=edited,
        village_index=village_index,
        changed_rows=changed_rows,
        changed_ids=tuple(ids[changed_rows]),
        gained=gained,
        lost=lost,
        mobile_before=flipped_before[differs],
        dirty_bbox=dirty_bbox,
        overlay=moved,
        kpi_table=kpi_table,
        snapshot=snapshot,
        snapshot_changes=snapshot_changes,
        kpi_positions=positions,
        kpi_sums=sums,
        kpi_before=state.province_row,
    )


def _site_parts(edited: EditedSites, state: LiveState) -> dict[str, SitePart | None]:
    """Each touched site as the edit left it (None: removed), in the order it was touched."""
    base = state.overlay.base
    layers = base.analysis.layers
    metric = base.analysis.metric_crs
    parts: dict[str, SitePart | None] = {}
    for site_id, record in edited.sites.items():
        if record is None:
            parts[site_id] = None
            continue
        place = base.placer.place(float(record.site["lon"]), float(record.site["lat"]), metric)
        parts[site_id] = SitePart(
            record=record,
            place=place,
            table=site_table(record, place),
            kpi_columns=site_columns(base.kpi_columns, site_kpi_row(record, place), base.kpi_period),
            layers=layers,
        )
    return parts


def _receivers(xy: np.ndarray) -> ReceiverArrays:
    """Points (one metric (x, y) row each) as model receivers."""
    return ReceiverArrays(x_m=np.ascontiguousarray(xy[:, 0]), y_m=np.ascontiguousarray(xy[:, 1]))


def _site_xy(records: Iterable[SiteRecord], metric_crs: str) -> np.ndarray:
    """The records' sites in the metric CRS, one (x, y) row each."""
    found = list(records)
    lon = np.array([float(r.site["lon"]) for r in found])
    lat = np.array([float(r.site["lat"]) for r in found])
    x_m, y_m = lonlat_to_metric(lon, lat, metric_crs) if found else (lon, lat)
    return np.column_stack([x_m, y_m]).reshape(-1, 2)


def _part_xy(parts: Iterable[SitePart | None]) -> np.ndarray:
    places: list[Place] = [p.place for p in parts if p is not None]
    return np.array([[p.x_m, p.y_m] for p in places], dtype=np.float64).reshape(-1, 2)


def _check_cell_ids(overlay: Overlay, edited: EditedSites, touched: Sequence[str]) -> None:
    """Refuse new cell ids that a site outside the change holds."""
    mine = set(touched)
    for record in edited.sites.values():
        for cell in record.cells if record is not None else ():
            cell_id = str(cell["cell_id"])
            owner = overlay.cell_site(cell_id)
            if owner is not None and owner not in mine:
                raise DuplicateId(f"cell id {cell_id!r} already exists on site {owner!r}")


def _check_permits(
    permit: SitePermit, touched: Sequence[str], before: Mapping[str, SiteRecord], after: EditedSites
) -> None:
    """Ask ``permit`` about every touched site, with its records before and after."""
    for site_id in touched:
        permit(site_id, _plain(before.get(site_id)), _plain(after.sites.get(site_id)))


def _plain(record: SiteRecord | None) -> dict[str, Any] | None:
    """A site record as :func:`~coverage_gis.site_edits.site_records` gives it (with its cells)."""
    if record is None:
        return None
    return {**record.site, "cells": [dict(c) for c in record.cells]}


def _within(tree: cKDTree | None, centres: np.ndarray, radii: np.ndarray) -> np.ndarray:
    """Sorted indices of tree points within any (centre, radius) disc."""
    if tree is None or not len(centres):
        return np.empty(0, dtype=np.int64)
    hits = tree.query_ball_point(centres, radii)
    found: Iterable[int] = (i for group in hits for i in group)
    return np.unique(np.fromiter(found, dtype=np.int64))


def _bbox_lonlat(centres: np.ndarray, radii: np.ndarray, metric_crs: str) -> BBox | None:
    if not len(centres):
        return None
    xs = np.concatenate([centres[:, 0] - radii, centres[:, 0] + radii])
    ys = np.concatenate([centres[:, 1] - radii, centres[:, 1] + radii])
    corners_x = np.array([xs.min(), xs.min(), xs.max(), xs.max()])
    corners_y = np.array([ys.min(), ys.max(), ys.min(), ys.max()])
    lon, lat = metric_to_lonlat(corners_x, corners_y, metric_crs)
    return (float(lon.min()), float(lat.min()), float(lon.max()), float(lat.max()))


def _rows_equal(before: Mapping[str, np.ndarray], after: Mapping[str, np.ndarray]) -> np.ndarray:
    """Which rows hold equal values in every column (both missing counts as equal)."""
    n = len(next(iter(before.values()))) if before else 0
    equal = np.ones(n, dtype=bool)
    for col, values in before.items():
        equal &= equal_values(values, after[col])
    return equal


def snapshot_records(kpis: pd.DataFrame) -> dict[tuple[str, str], dict[str, Any]]:
    """The revision log's snapshot of a KPI table: records of :data:`SNAPSHOT_LEVELS` by (level, code)."""
    rows = kpis[kpis["level"].isin(SNAPSHOT_LEVELS)]
    return {snapshot_key(rec): rec for rec in kpi_records(rows)}
