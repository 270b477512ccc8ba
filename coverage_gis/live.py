"""The live workspace: site edits with incremental recompute, one transaction per change.

A :class:`LiveWorkspace` keeps a workspace's layers, coverage and KPIs in memory.
An edit touching sites *S* recomputes only the villages (and priority places) inside
the union of the old and new service areas of *S* — a disc of the model's
``max_range_m`` around each old and new cell — and only the KPI rows of the units
those villages, places and sites belong to. The result equals a full recompute
(tested against ``engine.compute``). The change, its coverage rows and its revision
are written in one SQLite transaction; the in-memory state moves on only after it
commits, so a failure anywhere leaves both the file and the state as they were.

The state is one immutable :class:`LiveState` (overlay, revision, KPIs and the per-unit
sums they are counted from) swapped as a whole: a reader takes
:attr:`LiveWorkspace.state` once and gets layers, coverage and KPIs of one revision,
whatever is committed meanwhile. Edits work on the state's
:class:`~coverage_gis.live_overlay.Overlay` (arrays and indexes, no national table is
copied); the full analysis is built from it on a reader's first access. Reloads
(:meth:`LiveWorkspace.refresh`) read one storage snapshot and never wait for a writer.
A change checks the revision it was planned on against the storage's inside its
write transaction, so an edit planned on an outdated state is never written.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree
from shapely.geometry import Point

from coverage_gis._values import plain_value
from coverage_gis.admin import LEVELS
from coverage_gis.coverage import MOBILE_COLUMNS, aligned_coverage
from coverage_gis.crs import BBox
from coverage_gis.engine import Analysis, kpi_records, load, store_coverage
from coverage_gis.errors import NotFound, StaleRevision
from coverage_gis.kpi import kpi_positions, kpi_rows
from coverage_gis.kpi_sums import KpiSums
from coverage_gis.layers import get_schema
from coverage_gis.live_overlay import Overlay
from coverage_gis.live_plan import ChangePlan, plan_change, snapshot_records
from coverage_gis.mobile import grid_power
from coverage_gis.network import points_xy_m
from coverage_gis.revisions import (
    RevisionRecord,
    flag_changes,
    history,
    whole_snapshot_due,
)
from coverage_gis.site_edits import EditedSites, SiteEdit
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
    #: The KPI table's columns, one array each (:attr:`kpis` is built from them on
    #: first access: an edit rewrites a few rows of some columns and shares the rest).
    kpi_table: Mapping[str, Any]
    province_row: dict[str, Any]
    village_ids: np.ndarray
    village_xy: np.ndarray
    #: Whether each village has grid power (as the full compute reads it).
    village_power: np.ndarray
    village_tree: cKDTree | None
    poi_xy: np.ndarray
    poi_tree: cKDTree | None
    #: KPI records of :data:`SNAPSHOT_LEVELS` by (level, code), in table order: the
    #: revision log's snapshot.
    snapshot: Mapping[tuple[str, str], dict[str, Any]]
    #: Row of each (level, code) in :attr:`kpis`.
    kpi_positions: Mapping[tuple[str, str], int]
    #: The per-unit sums :attr:`kpis` are counted from (an edit moves them and recounts
    #: the units it touches: :mod:`coverage_gis.kpi_sums`).
    kpi_sums: KpiSums
    #: Whether :attr:`snapshot` is the one this process logged for :attr:`revision` (a
    #: state built from storage may hold KPIs the log's last snapshot does not): only
    #: then may the next edit log just the rows it changes.
    snapshot_logged: bool = False
    _built: dict[str, Any] = field(default_factory=dict, repr=False)
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
        state = cls(
            overlay=overlay,
            revision=revision,
            kpi_table={name: kpis[name].array for name in kpis.columns},
            province_row=province_row(kpis),
            village_ids=villages["village_id"].to_numpy(dtype=object),
            village_xy=village_xy,
            village_power=grid_power(villages),
            village_tree=cKDTree(village_xy) if len(vx) else None,
            poi_xy=poi_xy,
            poi_tree=cKDTree(poi_xy) if len(px) else None,
            snapshot=snapshot_records(kpis),
            kpi_positions=kpi_positions(kpis),
            kpi_sums=KpiSums.of(overlay.base.kpi_columns, LEVELS),
        )
        state._built["kpis"] = kpis
        return state

    @property
    def analysis(self) -> Analysis:
        """The full analysis of this revision (built from the overlay on first access)."""
        built: Analysis = self._once("analysis", lambda: self.overlay.materialize(self.revision))
        return built

    @property
    def kpis(self) -> pd.DataFrame:
        """Every KPI row of this revision (built from :attr:`kpi_table` on first access)."""
        built: pd.DataFrame = self._once("kpis", lambda: pd.DataFrame(dict(self.kpi_table), copy=False))
        return built

    def _once(self, name: str, make: Callable[[], Any]) -> Any:
        """``make()``, made once per state (the first reader makes it, others wait for it)."""
        built = self._built.get(name)
        if built is None:
            with self._lock:
                built = self._built.get(name)
                if built is None:
                    built = make()
                    self._built[name] = built
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
        kpi_table: Mapping[str, Any],
        snapshot: Mapping[tuple[str, str], dict[str, Any]],
        positions: Mapping[tuple[str, str], int],
        sums: KpiSums,
    ) -> LiveState:
        """The state after a site change: same villages and places, new overlay and KPIs."""
        if len(overlay.parts) > REBASE_AFTER_SITES:
            overlay = overlay.rebased(revision)
        return replace(
            self,
            overlay=overlay,
            revision=revision,
            kpi_table=kpi_table,
            # The snapshot holds the province rows in table order: the first is the row.
            province_row=next((rec for key, rec in snapshot.items() if key[0] == "province"), {}),
            snapshot=snapshot,
            kpi_positions=positions,
            kpi_sums=sums,
            snapshot_logged=True,
            _built={},
            _lock=threading.Lock(),
        )


#: Touched sites an overlay holds before a change folds them into a new base (that
#: change pays for one full materialisation and index build).
REBASE_AFTER_SITES = 256


def province_row(kpis: pd.DataFrame) -> dict[str, Any]:
    """The first province's KPI row (the workspace's main province), as plain values."""
    rows = kpis[kpis["level"] == "province"]
    return kpi_records(rows.iloc[:1])[0] if len(rows) else {}


def _loaded_state(analysis: Analysis) -> LiveState:
    """The state of a loaded analysis, ready for its first edit: the first change is as
    quick as the next ones (a server opens or reloads a workspace once, and edits many times)."""
    state = LiveState.build(analysis, analysis.revision)
    state.overlay.base.prepare_edits()
    return state


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
        self._state = _loaded_state(analysis)

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
            return self._install(_loaded_state(analysis), generation=generation)
        finally:
            self._reload_lock.release()

    def province_kpis(self, kpis: pd.DataFrame | None = None) -> dict[str, Any]:
        """The first province's KPI row (the workspace's main province)."""
        return province_row(self.kpis if kpis is None else kpis)

    # -- reads ------------------------------------------------------------------------------
    def site(self, site_id: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """A site with its cells as plain dicts (``NotFound`` if absent)."""
        record = self._state.overlay.current_records([site_id]).get(site_id)
        if record is None:
            raise NotFound(f"no site {site_id!r}")
        return dict(record.site), [dict(c) for c in record.cells]

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
            plan = plan_change(state, edits, permit)
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
    def _persist(self, state: LiveState, plan: ChangePlan, *, author: str, summary: str) -> int:
        number = state.revision + 1
        rows = plan.changed_rows
        after = {col: plan.overlay.village_coverage[col][rows] for col in MOBILE_COLUMNS}
        ids = state.village_ids[rows]
        ftth = state.base.coverage["ftth"].to_numpy()[rows]
        # A site edit changes mobile columns only: the rows before differ in mobile_bb at most.
        changes = flag_changes(ids, plan.mobile_before, after["mobile_bb"], ftth, ftth)
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
            editor.insert_rows("sites", _site_rows(plan.edited))
            editor.delete_where_in("cells", "site_id", plan.touched)
            editor.insert_rows("cells", _cell_rows(plan.edited))
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

    def _commit(self, state: LiveState, plan: ChangePlan, number: int) -> LiveState:
        rows = plan.changed_rows
        overlay = plan.overlay.with_rows(
            rows, {"revision": np.full(len(rows), number, dtype=np.int64)}, {}, np.empty(0, np.int64), {}
        )
        new = state.moved_on(
            overlay, number, plan.kpi_table, plan.snapshot, plan.kpi_positions, plan.kpi_sums
        )
        self._install(new)
        return new


def _summary(edits: Sequence[SiteEdit]) -> str:
    parts = [f"{e.op} site {e.site_id}" for e in edits[:5]]
    more = f" and {len(edits) - 5} more" if len(edits) > 5 else ""
    return ", ".join(parts) + more


def _site_rows(edited: EditedSites) -> list[dict[str, Any]]:
    """The edited sites as ``sites`` rows (schema fields and a point)."""
    names = get_schema("sites").field_names
    return [
        {
            **{name: record.site.get(name) for name in names},
            "geometry": Point(record.site["lon"], record.site["lat"]),
        }
        for record in edited.sites.values()
        if record is not None
    ]


def _cell_rows(edited: EditedSites) -> list[dict[str, Any]]:
    """The edited sites' cells as ``cells`` rows."""
    names = get_schema("cells").field_names
    return [
        {name: cell.get(name) for name in names}
        for record in edited.sites.values()
        if record is not None
        for cell in record.cells
    ]
