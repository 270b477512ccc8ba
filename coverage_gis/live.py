"""The live workspace: site edits with incremental recompute, one transaction per change.

A :class:`LiveWorkspace` keeps a workspace's layers, coverage and KPIs in memory.
An edit touching sites *S* recomputes only the villages (and priority places) inside
the union of the old and new service areas of *S* — a disc of the model's
``max_range_m`` around each old and new cell — and only the KPI rows of the units
those villages, places and sites belong to. The result equals a full recompute
(tested against ``engine.compute``). The change, its coverage rows and its revision
are written in one SQLite transaction; the in-memory state moves on only after it
commits, so a failure anywhere leaves both the file and the state as they were.

The state is one immutable :class:`LiveState` (overlay, revision, KPIs) swapped as a
whole: a reader takes :attr:`LiveWorkspace.state` once and gets layers, coverage and
KPIs of one revision, whatever is committed meanwhile. Edits work on the state's
:class:`~coverage_gis.live_overlay.Overlay` (arrays and indexes, no national table is
copied); the full analysis is built from it on a reader's first access. Reloads
(:meth:`LiveWorkspace.refresh`) read one storage snapshot and never wait for a writer.
A change checks the revision it was planned on against the storage's inside its
write transaction, so an edit planned on an outdated state is never written.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from coverage_gis._values import equal_values, plain_value
from coverage_gis.admin import LEVELS
from coverage_gis.coverage import MOBILE_COLUMNS, aligned_coverage, mobile_columns, mobile_coverage
from coverage_gis.crs import BBox, metric_to_lonlat
from coverage_gis.engine import SNAPSHOT_LEVELS, Analysis, kpi_record, kpi_records, load, store_coverage
from coverage_gis.errors import Conflict, StaleRevision
from coverage_gis.kpi import KpiColumns, kpi_positions, kpi_rows, site_kpi_columns, splice_kpi_rows
from coverage_gis.kpi_inputs import inside_5g_zone, site_rows
from coverage_gis.layers import get_schema
from coverage_gis.live_overlay import VILLAGE_INPUT_COLUMNS, Overlay, SitePart
from coverage_gis.network import CellTable, cell_table, points_xy_m
from coverage_gis.overrides import override_columns
from coverage_gis.revisions import (
    RevisionRecord,
    coverage_changes,
    history,
    snapshot_key,
    whole_snapshot_due,
)
from coverage_gis.site_edits import SiteEdit, apply_edits, site_records
from coverage_gis.workspace import Workspace


@dataclass(frozen=True)
class ChangeResult:
    """What one committed change did."""

    revision: int
    summary: str
    changed_site_ids: tuple[str, ...]
    gained_mobile: tuple[str, ...]
    lost_mobile: tuple[str, ...]
    changed_village_ids: tuple[str, ...]
    recomputed_villages: int
    dirty_bbox: BBox | None
    kpi_before: dict[str, Any]
    kpi_after: dict[str, Any]
    elapsed_ms: float

    @property
    def kpi_delta(self) -> dict[str, float]:
        """Numeric province KPIs that moved: after − before."""
        delta: dict[str, float] = {}
        for key, after in self.kpi_after.items():
            before = self.kpi_before.get(key)
            if isinstance(after, (int, float)) and isinstance(before, (int, float)) and after != before:
                delta[key] = float(after) - float(before)
        return delta


#: Called for each site a change touches, with the site (and its cells) before and after
#: the change as plain values (None: absent); raises to refuse the change.
SitePermit = Callable[[str, Mapping[str, Any] | None, Mapping[str, Any] | None], None]


@dataclass(frozen=True, eq=False)
class LiveState:
    """One revision held in memory; never changed once made (a change makes a new one).

    Edits work on :attr:`overlay` (arrays and indexes); :attr:`analysis`, the full
    layers and tables readers use, is built from it on first access, once.
    """

    overlay: Overlay
    revision: int
    kpis: pd.DataFrame
    province_row: dict[str, Any]
    village_ids: np.ndarray
    village_xy: np.ndarray
    village_tree: cKDTree | None
    poi_xy: np.ndarray
    poi_tree: cKDTree | None
    #: KPI records of :data:`SNAPSHOT_LEVELS` by (level, code), in table order: the
    #: revision log's snapshot.
    snapshot: Mapping[tuple[str, str], dict[str, Any]]
    #: Row of each (level, code) in :attr:`kpis`.
    kpi_positions: Mapping[tuple[str, str], int]
    #: Whether :attr:`snapshot` is the one this process logged for :attr:`revision` (a
    #: state built from storage may hold KPIs the log's last snapshot does not): only
    #: then may the next edit log just the rows it changes.
    snapshot_logged: bool = False
    _built: dict[str, Analysis] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def build(cls, analysis: Analysis, revision: int, kpis: pd.DataFrame | None = None) -> LiveState:
        """The state of ``analysis`` at ``revision``: indexes and every KPI row (``kpis``
        when the caller holds them already)."""
        villages = analysis.layers.villages
        analysis.coverage = aligned_coverage(analysis.coverage, villages)
        metric = analysis.metric_crs
        vx, vy = points_xy_m(villages, metric)
        village_xy = np.column_stack([vx, vy])
        px, py = points_xy_m(analysis.layers.pois, metric)
        poi_xy = np.column_stack([px, py])
        overlay = Overlay.of(analysis)
        if kpis is None:
            kpis = kpi_rows(overlay.base.kpi_columns, LEVELS)
        return cls(
            overlay=overlay,
            revision=revision,
            kpis=kpis,
            province_row=province_row(kpis),
            village_ids=villages["village_id"].to_numpy(dtype=object),
            village_xy=village_xy,
            village_tree=cKDTree(village_xy) if len(vx) else None,
            poi_xy=poi_xy,
            poi_tree=cKDTree(poi_xy) if len(px) else None,
            snapshot=_snapshot_records(kpis),
            kpi_positions=kpi_positions(kpis),
        )

    @property
    def analysis(self) -> Analysis:
        """The full analysis of this revision (built from the overlay on first access)."""
        built = self._built.get("analysis")
        if built is None:
            with self._lock:
                built = self._built.get("analysis")
                if built is None:
                    built = self.overlay.materialize(self.revision)
                    self._built["analysis"] = built
        return built

    @property
    def base(self) -> Analysis:
        """The analysis the overlay started from: the static layers (villages, places,
        communes, fiber) and settings, current in every revision."""
        return self.overlay.base.analysis

    def moved_on(
        self,
        overlay: Overlay,
        revision: int,
        kpis: pd.DataFrame,
        snapshot: Mapping[tuple[str, str], dict[str, Any]],
        positions: Mapping[tuple[str, str], int],
    ) -> LiveState:
        """The state after a site change: same villages and places, new overlay and KPIs."""
        if len(overlay.parts) > REBASE_AFTER_SITES:
            overlay = overlay.rebased(revision)
        return replace(
            self,
            overlay=overlay,
            revision=revision,
            kpis=kpis,
            # The snapshot holds the province rows in table order: the first is the row.
            province_row=next((rec for key, rec in snapshot.items() if key[0] == "province"), {}),
            snapshot=snapshot,
            kpi_positions=positions,
            snapshot_logged=True,
            _built={},
            _lock=threading.Lock(),
        )


#: Touched sites an overlay holds before a change folds them into a new base (that
#: change pays for one full materialisation and index build).
REBASE_AFTER_SITES = 256


def _snapshot_records(kpis: pd.DataFrame) -> dict[tuple[str, str], dict[str, Any]]:
    rows = kpis[kpis["level"].isin(SNAPSHOT_LEVELS)]
    return {snapshot_key(rec): rec for rec in kpi_records(rows)}


def province_row(kpis: pd.DataFrame) -> dict[str, Any]:
    """The first province's KPI row (the workspace's main province), as plain values."""
    rows = kpis[kpis["level"] == "province"]
    return kpi_records(rows.iloc[:1])[0] if len(rows) else {}


class LiveWorkspace:
    """A workspace held in memory for fast site edits. Open with :meth:`open`.

    Thread-safe: reads take :attr:`state` once; :meth:`refresh` may run in any thread
    (one reload at a time); changes are serialised by the workspace's writer lock.
    """

    def __init__(self, workspace: Workspace, analysis: Analysis, *, lock_timeout_s: float = 10.0) -> None:
        self.workspace = workspace
        #: Seconds a change waits for another writer before failing with Conflict.
        self.lock_timeout_s = lock_timeout_s
        self._reload_lock = threading.Lock()
        self._swap_lock = threading.Lock()
        self._generation = 0
        self._state = LiveState.build(analysis, analysis.revision)

    @classmethod
    def open(cls, path: Path | str) -> LiveWorkspace:
        """Load a workspace (computing coverage in memory if it has none that is current).

        Opening writes nothing; coverage computed here is stored by the first change.
        """
        ws = Workspace.open(path)
        return cls(ws, load(ws))

    # -- state ------------------------------------------------------------------------------
    @property
    def state(self) -> LiveState:
        """The current state: analysis, revision and KPIs of one revision."""
        return self._state

    @property
    def analysis(self) -> Analysis:
        return self._state.analysis

    @property
    def revision(self) -> int:
        return self._state.revision

    @property
    def kpis(self) -> pd.DataFrame:
        return self._state.kpis

    def _install(self, state: LiveState, *, generation: int | None = None) -> bool:
        """Make ``state`` current; with ``generation``, only if nothing was installed since."""
        with self._swap_lock:
            if generation is not None and generation != self._generation:
                return False
            self._state = state
            self._generation += 1
            return True

    def refresh(self, *, wait: bool = True) -> bool:
        """Reload when the storage holds another revision than the state; True if it did.

        The new state is read in one storage snapshot; readers keep the old one until
        it is installed, and a reload that finishes after a newer in-process change is
        dropped. With ``wait`` False, return False at once while another thread reloads.
        """
        if not self._reload_lock.acquire(blocking=wait):
            return False
        try:
            generation = self._generation
            if self.workspace.revision == self._state.revision:
                return False
            self.workspace.reload_config()
            analysis = load(self.workspace)
            return self._install(LiveState.build(analysis, analysis.revision), generation=generation)
        finally:
            self._reload_lock.release()

    def province_kpis(self, kpis: pd.DataFrame | None = None) -> dict[str, Any]:
        """The first province's KPI row (the workspace's main province)."""
        return province_row(self.kpis if kpis is None else kpis)

    # -- reads ------------------------------------------------------------------------------
    def site(self, site_id: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """A site with its cells as plain dicts (``NotFound`` if absent)."""
        sites, cells = self._state.overlay.current_frames([site_id])
        (site,) = site_records(sites, cells, [site_id])
        site_cells: list[dict[str, Any]] = site.pop("cells")
        return site, site_cells

    def history(self) -> pd.DataFrame:
        return history(self.workspace)

    # -- writes -----------------------------------------------------------------------------
    def add_site(
        self,
        site: Mapping[str, Any],
        cells: Sequence[Mapping[str, Any]],
        *,
        author: str,
        expected_revision: int | None = None,
    ) -> ChangeResult:
        site_id = str(site.get("site_id") or "")
        payload = {k: v for k, v in site.items() if k != "site_id"}
        edit = SiteEdit(op="add", site_id=site_id, site=payload, cells=list(cells))
        return self.apply([edit], author=author, expected_revision=expected_revision)

    def update_site(
        self,
        site_id: str,
        changes: Mapping[str, Any],
        cells: Sequence[Mapping[str, Any]] | None = None,
        *,
        cell_changes: Mapping[str, Mapping[str, Any]] | None = None,
        author: str,
        expected_revision: int | None = None,
    ) -> ChangeResult:
        edit = SiteEdit(
            op="update",
            site_id=site_id,
            site=dict(changes),
            cells=list(cells) if cells is not None else None,
            cell_changes=cell_changes,
        )
        return self.apply([edit], author=author, expected_revision=expected_revision)

    def remove_site(self, site_id: str, *, author: str, expected_revision: int | None = None) -> ChangeResult:
        return self.apply(
            [SiteEdit(op="remove", site_id=site_id)], author=author, expected_revision=expected_revision
        )

    def apply(
        self,
        edits: Sequence[SiteEdit],
        *,
        author: str,
        expected_revision: int | Collection[int] | None = None,
        summary: str | None = None,
        permit: SitePermit | None = None,
    ) -> ChangeResult:
        """Apply a batch of site edits as one revision.

        Parameters
        ----------
        edits
            The changes, applied in order.
        author
            Who makes the change (the revision log's author).
        expected_revision
            The revision (or any of the revisions) the caller based the change on.
        summary
            The revision's summary (default: from the edits).
        permit
            Called for each touched site with its state before and after (see
            :data:`SitePermit`), on the state the change is planned on.

        Raises
        ------
        StaleRevision
            ``expected_revision`` is given and is not the current revision, or the
            storage moved on while the change was planned.
        Conflict, NotFound, LayerValidationError, PermissionDenied
            From the edits themselves or ``permit``; nothing is written.
        """
        started = time.perf_counter()
        # Reload before taking the lock (a reload can take a while; other writers need not
        # wait for it), then again under the lock: usually a no-op by then.
        self.refresh()
        with self.workspace.lock(timeout_s=self.lock_timeout_s):
            self.refresh()
            state = self._state
            if expected_revision is not None:
                accepted = (
                    {expected_revision} if isinstance(expected_revision, int) else set(expected_revision)
                )
                if state.revision not in accepted:
                    named = ", ".join(str(r) for r in sorted(accepted)) or "none"
                    raise StaleRevision(
                        f"workspace is at revision {state.revision}, not {named}; reload and retry"
                    )
            if not state.base.coverage_stored:
                # Opened on stale coverage (computed in memory): store it first, as its own
                # revision, so that the edit's row updates land on a current table. (A state
                # with edits has stored coverage: only an unedited base can be stale.)
                analysis = replace(state.base, coverage=state.base.coverage.copy())
                stored = store_coverage(analysis, author=author)
                state = LiveState.build(analysis, stored, kpis=state.kpis)
                self._install(state)
            plan = self._plan(state, edits, permit)
            number = self._persist(state, plan, author=author, summary=summary or _summary(edits))
            state = self._commit(state, plan, number)
        elapsed_ms = (time.perf_counter() - started) * 1000.0
        return ChangeResult(
            revision=number,
            summary=summary or _summary(edits),
            changed_site_ids=plan.touched,
            gained_mobile=plan.gained,
            lost_mobile=plan.lost,
            changed_village_ids=plan.changed_ids,
            recomputed_villages=len(plan.village_index),
            dirty_bbox=plan.dirty_bbox,
            kpi_before=plan.kpi_before,
            kpi_after=state.province_row,
            elapsed_ms=elapsed_ms,
        )

    # -- the three steps of a change ----------------------------------------------------------
    def _plan(self, state: LiveState, edits: Sequence[SiteEdit], permit: SitePermit | None) -> _ChangePlan:
        a = state.base  # villages, places, communes and settings: no site edit changes them
        layers = a.layers
        metric = a.metric_crs
        overlay = state.overlay
        before_sites, before_cells = overlay.current_frames(e.site_id for e in edits)
        edited = apply_edits(before_sites, before_cells, edits)
        touched = edited.touched_site_ids
        _check_cell_ids(overlay, edited.cells, touched)
        if permit is not None:
            _check_permits(permit, touched, (before_sites, before_cells), (edited.sites, edited.cells))
        new_sites, new_cell_rows = edited.sites, edited.cells
        communes = layers.communes
        new_cells = (
            cell_table(new_sites, new_cell_rows, communes=communes, metric_crs=metric)
            if len(new_sites) and len(new_cell_rows)
            else CellTable.empty()
        )
        added_site_rows = site_rows(new_sites, new_cell_rows, communes, layers.commune_parts_2025)
        old_cells = overlay.site_table(touched)
        old_site_columns = overlay.site_kpi_columns(touched)
        parts = _site_parts(touched, new_sites, new_cell_rows, new_cells, added_site_rows, state)
        moved = overlay.with_parts(parts)

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
        site_xy = [np.column_stack(points_xy_m(f, metric)).reshape(-1, 2) for f in (before_sites, new_sites)]
        marks = np.concatenate([centres, *site_xy])
        dirty_bbox = _bbox_lonlat(marks, np.concatenate([reach, np.zeros(len(marks) - len(centres))]), metric)

        before = {col: overlay.village_coverage[col][village_index] for col in MOBILE_COLUMNS}
        values = before
        if len(village_index):
            subset = layers.villages.iloc[village_index]
            near = moved.cells_near(state.village_xy[village_index], a.model)
            mobile = mobile_coverage(subset, near, model=a.model, metric_crs=metric)
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
            # Site edits change mobile service at places, never their FTTH.
            places = layers.pois.iloc[poi_index].assign(has_grid_power=True)
            near = moved.cells_near(state.poi_xy[poi_index], a.model)
            served = mobile_coverage(places, near, model=a.model, metric_crs=metric)
            poi_values = {
                "mobile_bb": served.mobile_bb,
                "has_5g": served.has_5g | inside_5g_zone(places, layers.zones_5g),
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
        spliced = splice_kpi_rows(state.kpis, moved.columns_in_units(codes), codes, state.kpi_positions)
        kpis, fresh = spliced.table, spliced.fresh
        snapshot_changes: list[dict[str, Any]] | None = None
        if spliced.positions is state.kpi_positions:
            # Same units in the same rows: overwrite the changed units' records in place
            # (the dict keeps the table's order).
            snapshot = dict(state.snapshot)
            fresh_levels = np.asarray(fresh["level"], dtype=object)
            snapshot_changes = []
            for i in np.flatnonzero(np.isin(fresh_levels, SNAPSHOT_LEVELS)):
                record = kpi_record({name: column[i] for name, column in fresh.items()})
                snapshot[snapshot_key(record)] = record
                snapshot_changes.append(record)
        else:
            snapshot = _snapshot_records(kpis)
        return _ChangePlan(
            touched=touched,
            edited_sites=new_sites,
            edited_cells=new_cell_rows,
            village_index=village_index,
            changed_rows=changed_rows,
            changed_ids=tuple(ids[changed_rows]),
            gained=gained,
            lost=lost,
            mobile_before=flipped_before[differs],
            dirty_bbox=dirty_bbox,
            overlay=moved,
            kpis=kpis,
            snapshot=snapshot,
            snapshot_changes=snapshot_changes,
            kpi_positions=spliced.positions,
            kpi_before=state.province_row,
        )

    def _persist(self, state: LiveState, plan: _ChangePlan, *, author: str, summary: str) -> int:
        number = state.revision + 1
        rows = plan.changed_rows
        after = {col: plan.overlay.village_coverage[col][rows] for col in MOBILE_COLUMNS}
        ids = state.village_ids[rows]
        ftth = state.base.coverage["ftth"].to_numpy()[rows]
        # A site edit changes mobile columns only: the rows before differ in mobile_bb at most.
        changes = coverage_changes(
            pd.DataFrame({"village_id": ids, "ftth": ftth, "mobile_bb": plan.mobile_before}),
            pd.DataFrame({"village_id": ids, "ftth": ftth, "mobile_bb": after["mobile_bb"]}),
        )
        # Only the changed rows when the log's last snapshot is this state's (checked
        # below, in the transaction: the log is still at state.revision).
        changed = plan.snapshot_changes
        if not state.snapshot_logged or whole_snapshot_due(number):
            changed = None
        record = RevisionRecord(
            summary=summary,
            author=author,
            changed_ids=plan.touched,
            dirty_bbox=plan.dirty_bbox,
            kpi_snapshot=list(plan.snapshot.values()) if changed is None else changed,
            kpi_snapshot_partial=changed is not None,
            coverage_changes=changes,
        )
        with self.workspace.edit(timeout_s=self.lock_timeout_s) as editor:
            stored = editor.revision()
            if stored != state.revision:
                # Another writer committed without the workspace lock: the plan is outdated.
                raise StaleRevision(
                    f"workspace moved to revision {stored} while this change was planned "
                    f"on {state.revision}; reload and retry"
                )
            editor.delete_where_in("sites", "site_id", plan.touched)
            editor.insert_rows("sites", _site_records(plan.edited_sites))
            editor.delete_where_in("cells", "site_id", plan.touched)
            editor.insert_rows("cells", _cell_records(plan.edited_cells))
            editor.update_rows(
                "village_coverage",
                "village_id",
                [
                    {
                        "village_id": str(ids[k]),
                        **{col: plain_value(after[col][k]) for col in MOBILE_COLUMNS},
                        "revision": number,
                    }
                    for k in range(len(rows))
                ],
            )
            return editor.append_revision(record)

    def _commit(self, state: LiveState, plan: _ChangePlan, number: int) -> LiveState:
        rows = plan.changed_rows
        overlay = plan.overlay.with_rows(
            rows, {"revision": np.full(len(rows), number, dtype=np.int64)}, {}, np.empty(0, np.int64), {}
        )
        new = state.moved_on(overlay, number, plan.kpis, plan.snapshot, plan.kpi_positions)
        self._install(new)
        return new


@dataclass(frozen=True)
class _ChangePlan:
    touched: tuple[str, ...]
    edited_sites: gpd.GeoDataFrame
    edited_cells: pd.DataFrame
    village_index: np.ndarray
    changed_rows: np.ndarray
    changed_ids: tuple[str, ...]
    gained: tuple[str, ...]
    lost: tuple[str, ...]
    mobile_before: np.ndarray
    dirty_bbox: BBox | None
    overlay: Overlay
    kpis: pd.DataFrame
    snapshot: Mapping[tuple[str, str], dict[str, Any]]
    #: The snapshot's rows the change rewrote (None: the units changed, log it whole).
    snapshot_changes: list[dict[str, Any]] | None
    kpi_positions: Mapping[tuple[str, str], int]
    kpi_before: dict[str, Any]


def _site_parts(
    touched: Sequence[str],
    sites: gpd.GeoDataFrame,
    cells: pd.DataFrame,
    table: CellTable,
    site_kpi_rows: pd.DataFrame,
    state: LiveState,
) -> dict[str, SitePart | None]:
    """Each touched site as the edit left it (None: removed), in the order of ``touched``."""
    base = state.overlay.base
    columns = site_kpi_columns(base.kpi_columns, site_kpi_rows, period=base.kpi_period)
    none = np.empty(0, dtype=np.int64)
    site_ids = sites["site_id"].to_numpy(dtype=object)
    cell_sites = cells["site_id"].to_numpy(dtype=object)
    kpi_sites = (
        site_kpi_rows["site_id"].to_numpy(dtype=object) if len(site_kpi_rows) else np.empty(0, dtype=object)
    )
    parts: dict[str, SitePart | None] = {}
    for site_id in touched:
        at = site_ids == site_id
        if not at.any():
            parts[site_id] = None
            continue
        parts[site_id] = SitePart(
            site=sites[at].reset_index(drop=True),
            cells=cells[cell_sites == site_id].reset_index(drop=True),
            table=table.subset(table.site_id == site_id),
            kpi_row=site_kpi_rows[kpi_sites == site_id].reset_index(drop=True),
            kpi_columns=columns.take(
                {"v": none, "s": np.flatnonzero(kpi_sites == site_id), "p": none, "t": none}
            ),
        )
    return parts


def _check_cell_ids(overlay: Overlay, cells: pd.DataFrame, touched: Sequence[str]) -> None:
    """Refuse new cell ids that a site outside the change holds."""
    mine = set(touched)
    for cell_id in cells["cell_id"].astype(str):
        owner = overlay.cell_site(cell_id)
        if owner is not None and owner not in mine:
            raise Conflict(f"cell id {cell_id!r} already exists on site {owner!r}")


def _check_permits(
    permit: SitePermit,
    touched: Sequence[str],
    before: tuple[gpd.GeoDataFrame, pd.DataFrame],
    after: tuple[gpd.GeoDataFrame, pd.DataFrame],
) -> None:
    """Ask ``permit`` about every touched site, with its records before and after."""

    def records(frames: tuple[gpd.GeoDataFrame, pd.DataFrame]) -> dict[str, dict[str, Any]]:
        sites, cells = frames
        present = [s for s in touched if s in set(sites["site_id"])]
        return {str(rec["site_id"]): rec for rec in site_records(sites, cells, present)}

    old, new = records(before), records(after)
    for site_id in touched:
        permit(site_id, old.get(site_id), new.get(site_id))


def _summary(edits: Sequence[SiteEdit]) -> str:
    parts = [f"{e.op} site {e.site_id}" for e in edits[:5]]
    more = f" and {len(edits) - 5} more" if len(edits) > 5 else ""
    return ", ".join(parts) + more


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


def _site_records(sites: gpd.GeoDataFrame) -> list[dict[str, Any]]:
    names = get_schema("sites").field_names
    out = []
    for rec, geom in zip(sites[names].to_dict(orient="records"), sites.geometry, strict=True):
        row = {str(k): v for k, v in rec.items()}  # the storage makes the values plain
        row["geometry"] = geom
        out.append(row)
    return out


def _cell_records(cells: pd.DataFrame) -> list[dict[str, Any]]:
    names = get_schema("cells").field_names
    return [{str(k): v for k, v in rec.items()} for rec in cells[names].to_dict(orient="records")]
