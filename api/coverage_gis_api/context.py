"""Per-app state shared by every router: settings, the live workspace, change listeners.

:class:`AppContext` is built by :func:`coverage_gis_api.app.create_app` and handed to each router
factory (``create_router(ctx)``). It owns

* the :class:`~coverage_gis.live.LiveWorkspace` (opened by the app's lifespan, or
  lazily on first use when the app runs without one, e.g. a bare ``TestClient``);
* ``change_listeners``: callables run after every successful write with the
  engine's :class:`~coverage_gis.live.ChangeResult` (the tile routers register cache
  invalidation here);
* ``write_lock``: serialises writes within this process — the workspace's own file
  lock serialises them across processes. Reads never take it: a write waiting for
  another process's lock holds up no read;
* :class:`WorkspaceView`: an immutable view of one revision (one
  :class:`~coverage_gis.live.LiveState`) with lazily built, cached derived frames (the
  village table joined with admin and coverage columns, gap lists, KPI tables), so
  requests do not recompute them. A request takes one view and answers from it
  alone: a response never mixes revisions.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import geopandas as gpd
import numpy as np
import pandas as pd
from fastapi.concurrency import run_in_threadpool

from coverage_gis.access import KeyRing
from coverage_gis.admin import LEVEL_COLUMNS
from coverage_gis.coverage import COVERAGE_RESULT_COLUMNS, coverage_by_village
from coverage_gis_api.bbox import PointIndex
from coverage_gis_api.export import RowTable
from coverage_gis_api.settings import Settings

if TYPE_CHECKING:
    from coverage_gis.engine import Analysis
    from coverage_gis.live import ChangeResult, LiveState, LiveWorkspace
    from coverage_gis_api.plan_jobs import PlanJobs

log = logging.getLogger("covgis.api")

T = TypeVar("T")
ChangeListener = Callable[["ChangeResult"], None]


class Revisioned(Protocol):
    """An analysis with the revision it belongs to: a :class:`WorkspaceView` or the live workspace."""

    @property
    def analysis(self) -> Analysis: ...

    @property
    def revision(self) -> int: ...


class RefreshSettings(Protocol):
    """The one setting the serving routers read."""

    @property
    def refresh_interval_s(self) -> float: ...


class ServingContext(Protocol):
    """What the tile and web-map routers need from the app context (:class:`AppContext` is one).

    ``view()`` gives the current revision's analysis, noticing writes by other
    processes (it may read storage: call it off the event loop); ``view_async()`` is
    the same for a coroutine (storage checked at most every ``refresh_interval_s``, in
    a worker thread); ``change_listeners`` receive every committed change (tile cache
    invalidation).
    """

    @property
    def settings(self) -> RefreshSettings: ...

    @property
    def change_listeners(self) -> list[ChangeListener]: ...

    def view(self) -> Revisioned: ...

    async def view_async(self) -> Revisioned: ...


#: Admin columns of the village table (API names), both hierarchies, in response order.
_ADMIN_COLUMNS: tuple[str, ...] = (
    "province_code",
    "province_name",
    "district_code",
    "district_name",
    "commune_code",
    "commune_name",
)
_ADMIN_2025_COLUMNS: tuple[str, ...] = (
    "province_2025",
    "province_2025_name",
    "commune_2025",
    "commune_2025_name",
    "admin_2025_method",
)
#: Columns of the village table (API names), in response order: the village, its admin
#: units, its coverage result (``village_coverage`` fields) and its position.
VILLAGE_COLUMNS: tuple[str, ...] = (
    "village_id",
    "name",
    "kind",
    *_ADMIN_COLUMNS,
    "census_commune_id",
    *_ADMIN_2025_COLUMNS,
    "households",
    "population",
    "has_grid_power",
    *COVERAGE_RESULT_COLUMNS,
    "lon",
    "lat",
)

#: Admin filter name (query parameter) → column of the village table. Codes are the
#: ones ``/v1/kpis`` reports for the matching level, so a KPI row can be drilled into.
ADMIN_FILTERS: dict[str, str] = {
    "province_code": "province_code",
    "district_code": "district_code",
    "commune_code": "commune_code",
    "province_2025": "province_2025",
    "commune_2025": "commune_2025",
}

_ADMIN_RENAME: dict[str, str] = {
    LEVEL_COLUMNS["province"][0]: "province_code",
    LEVEL_COLUMNS["district"][0]: "district_code",
    LEVEL_COLUMNS["commune"][0]: "commune_code",
    LEVEL_COLUMNS["province_2025"][0]: "province_2025",
    LEVEL_COLUMNS["province_2025"][1]: "province_2025_name",
    LEVEL_COLUMNS["commune_2025"][0]: "commune_2025",
    LEVEL_COLUMNS["commune_2025"][1]: "commune_2025_name",
}


#: Cached items of a view that a site edit cannot change.
_SITE_EDIT_INVARIANT: tuple[str, ...] = ("gaps:ftth",)


def etag_for(revision: int) -> str:
    """The ETag of every read at ``revision`` (a strong validator)."""
    return f'"rev-{revision}"'


def _village_table(analysis: Analysis) -> pd.DataFrame:
    villages = analysis.layers.villages
    # The KPI inputs hold each village's admin units (both hierarchies), in the villages' order.
    raw = analysis.inputs.villages.reset_index(drop=True)
    # The commune filter takes the KPI commune key (GSO code, else census id), not the raw code.
    admin = raw.drop(columns=[c for c in ("commune_code",) if c in raw]).rename(columns=_ADMIN_RENAME)
    own = pd.DataFrame(villages.drop(columns="geometry")).reset_index(drop=True)
    # The commune polygon decides the codes (as for KPIs); the village's own code is the
    # fallback for villages outside every commune.
    for col in ("province_code", "district_code", "commune_code"):
        admin[col] = admin[col].astype(object).where(admin[col].notna(), own[col].astype(object))
    table = own[["village_id", "name", "kind", "census_commune_id", "households", "population"]].copy()
    table["has_grid_power"] = own["has_grid_power"].astype("boolean")
    for col in (*_ADMIN_COLUMNS, *_ADMIN_2025_COLUMNS):
        table[col] = admin[col].to_numpy(dtype=object)
    cov = coverage_by_village(analysis.coverage, table["village_id"].to_numpy(dtype=object))
    for col in VILLAGE_COLUMNS:
        if col in cov.columns and col not in table.columns:
            table[col] = cov[col].to_numpy()
    for col in ("mobile_bb", "has_4g", "has_5g", "ftth"):
        table[col] = pd.Series(table[col]).astype("boolean").fillna(False).astype(bool).to_numpy()
    geoms = villages.geometry
    table["lon"] = geoms.x.to_numpy(dtype=np.float64)
    table["lat"] = geoms.y.to_numpy(dtype=np.float64)
    for col in VILLAGE_COLUMNS:
        if col not in table.columns:
            table[col] = None
    return table[list(VILLAGE_COLUMNS)]


def _gap_table(analysis: Analysis, villages: pd.DataFrame, kind: str) -> gpd.GeoDataFrame:
    gaps = analysis.gaps(kind)
    # Gap rows carry the pre-2025 admin columns; add the 2025 ones so the same filters work.
    if kind == "5g":
        pois = analysis.inputs.pois
        lookup = pd.DataFrame(
            {
                "id": pois["poi_id"].to_numpy(dtype=object),
                "province_2025": pois[LEVEL_COLUMNS["province_2025"][0]].to_numpy(dtype=object),
                "commune_2025": pois[LEVEL_COLUMNS["commune_2025"][0]].to_numpy(dtype=object),
                "admin_2025_method": pois["admin_2025_method"].to_numpy(dtype=object),
            }
        )
    else:
        lookup = villages[["village_id", "province_2025", "commune_2025", "admin_2025_method"]].rename(
            columns={"village_id": "id"}
        )
    lookup = lookup.drop_duplicates("id").set_index("id")
    ids = gaps["id"].to_numpy(dtype=object)
    out = gaps.copy()
    for col in ("province_2025", "commune_2025", "admin_2025_method"):
        out[col] = lookup[col].reindex(ids).to_numpy(dtype=object)
    if "commune_code" in out:
        # Match the village table: the commune filter takes the KPI commune key.
        keys = villages.set_index("village_id")["commune_code"]
        if kind != "5g":
            found = keys.reindex(ids).to_numpy(dtype=object)
            out["commune_code"] = np.where(pd.notna(found), found, out["commune_code"].to_numpy(dtype=object))
    out["lon"] = out.geometry.x.to_numpy(dtype=np.float64) if len(out) else np.empty(0)
    out["lat"] = out.geometry.y.to_numpy(dtype=np.float64) if len(out) else np.empty(0)
    return out


def _site_table(analysis: Analysis) -> pd.DataFrame:
    sites = analysis.layers.sites
    table = pd.DataFrame(sites.drop(columns="geometry", errors="ignore")).reset_index(drop=True)
    if len(sites):
        table["lon"] = sites.geometry.x.to_numpy(dtype=np.float64)
        table["lat"] = sites.geometry.y.to_numpy(dtype=np.float64)
    else:
        table["lon"] = pd.Series([], dtype="float64")
        table["lat"] = pd.Series([], dtype="float64")
    return table


@dataclass(eq=False)
class WorkspaceView:
    """One revision of the workspace with its derived frames, built once and cached.

    A view never changes after it is made; a write produces a new one. Build methods
    are thread-safe (one lock per cached item, so a slow gap list does not hold up
    the village table).
    """

    revision: int
    analysis: Analysis
    kpi_table: pd.DataFrame | None = None
    #: The live state this view shows (None for a view built by hand).
    state: LiveState | None = field(default=None, repr=False)
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)
    _locks: dict[str, threading.Lock] = field(default_factory=dict, repr=False)
    _guard: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def of(cls, state: LiveState) -> WorkspaceView:
        """The view of one live state."""
        return cls(revision=int(state.revision), analysis=state.analysis, kpi_table=state.kpis, state=state)

    @property
    def etag(self) -> str:
        return etag_for(self.revision)

    def cached(self, key: str, build: Callable[[], T]) -> T:
        """``build()`` once per view under ``key``; later calls return the same object."""
        if key in self._cache:
            value: T = self._cache[key]
            return value
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            if key not in self._cache:
                self._cache[key] = build()
            built: T = self._cache[key]
        return built

    @staticmethod
    def kpi_key(level: str) -> str:
        """The cache key of one level's KPI table (:meth:`kpis`)."""
        return f"kpis:{level}"

    @staticmethod
    def kpi_rows_key(level: str) -> str:
        """The cache key of :meth:`kpi_rows` of one level."""
        return f"kpi_rows:{level}"

    def holds(self, *keys: str) -> bool:
        """Whether every item named in ``keys`` is built already (reading it cannot block)."""
        return all(key in self._cache for key in keys)

    async def answer(self, needs: tuple[str, ...], respond: Callable[[], T]) -> T:
        """``respond()`` on the event loop when the view holds all it ``needs``, else in a worker thread.

        A read whose derived frames are built costs a few milliseconds of pandas and
        numpy: on the loop it waits for no thread and contends for no lock. The first
        read of a revision builds those frames (seconds at national scale), which must
        not stall the loop.
        """
        if self.holds(*needs):
            return respond()
        return await run_in_threadpool(respond)

    def villages(self) -> pd.DataFrame:
        """Village attributes + admin names (both hierarchies) + coverage + lon/lat."""
        return self.cached("villages", lambda: _village_table(self.analysis))

    def kpi_rows(self, level: str) -> RowTable:
        """:meth:`kpis` of ``level`` held for picking rows by position."""
        return self.cached(self.kpi_rows_key(level), lambda: RowTable(self.kpis(level)))

    def village_rows(self) -> RowTable:
        """:meth:`villages` held for picking rows by position (a page, one village)."""
        return self.cached("village_rows", lambda: RowTable(self.villages()))

    def village_points(self) -> PointIndex:
        """:meth:`villages` ordered by longitude, for the rows in a bbox."""
        return self.cached("village_points", lambda: PointIndex(self.villages()))

    def gaps(self, kind: str) -> gpd.GeoDataFrame:
        """The ranked gap list of ``kind`` with 2025 admin codes added."""
        return self.cached(f"gaps:{kind}", lambda: _gap_table(self.analysis, self.villages(), kind))

    def sites(self) -> pd.DataFrame:
        """Site attributes + lon/lat, one row per site."""
        return self.cached("sites", lambda: _site_table(self.analysis))

    def kpis(self, level: str) -> pd.DataFrame:
        """KPI rows of one admin level (the engine's maintained table when there is one), indexed 0…n-1."""

        def build() -> pd.DataFrame:
            if self.kpi_table is not None:
                return self.kpi_table[self.kpi_table["level"] == level].reset_index(drop=True)
            return self.analysis.kpis(levels=[level]).reset_index(drop=True)

        return self.cached(self.kpi_key(level), build)


@dataclass(eq=False)
class AppContext:
    """Everything the routers of one app share.

    Parameters
    ----------
    settings
        The app's settings.
    _live
        An already opened live workspace (tests); else :meth:`open` (the lifespan) or
        the first access of :attr:`live` opens ``settings.workspace``.
    """

    settings: Settings
    _live: LiveWorkspace | None = field(default=None, repr=False)
    change_listeners: list[ChangeListener] = field(default_factory=list)
    write_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _open_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _view_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _view: WorkspaceView | None = field(default=None, repr=False)
    _checked_at: float = field(default=0.0, repr=False)
    _keys: KeyRing | None = field(default=None, repr=False)
    _plan_jobs: PlanJobs | None = field(default=None, repr=False)

    @property
    def keys(self) -> KeyRing:
        """The workspace's API keys (reread when its stored settings change)."""
        if self._keys is None:
            self._keys = KeyRing(self.live.workspace)
        return self._keys

    @property
    def plan_jobs(self) -> PlanJobs:
        """Plans running in the background (this app's thread pool; stopped by :meth:`close`)."""
        jobs = self._plan_jobs
        if jobs is not None:
            return jobs
        with self.write_lock:
            if self._plan_jobs is None:
                from coverage_gis_api.plan_jobs import PlanJobs

                self._plan_jobs = PlanJobs()
            return self._plan_jobs

    # -- the live workspace -----------------------------------------------------------
    def open(self) -> None:
        """Open the workspace named in the settings (idempotent)."""
        with self._open_lock:
            if self._live is None:
                from coverage_gis.live import LiveWorkspace

                self._live = LiveWorkspace.open(self.settings.location)
                self._view = None
                self._checked_at = time.monotonic()

    def close(self) -> None:
        """Forget the workspace and every cached view, stop the plan pool (the lifespan's shutdown)."""
        with self._open_lock:
            if self._live is not None:
                self._live.workspace.close()  # a database's connections
            self._live = None
            self._view = None
            if self._plan_jobs is not None:
                self._plan_jobs.shutdown()
                self._plan_jobs = None

    @property
    def live(self) -> LiveWorkspace:
        """The live workspace, opened on first use."""
        live = self._live
        if live is None:
            self.open()
            live = self._live
        assert live is not None
        return live

    # -- reading ----------------------------------------------------------------------
    def latest(self) -> WorkspaceView:
        """The view of the live workspace's current state; never reads storage, never waits."""
        state = self.live.state
        view = self._view
        if view is not None and view.state is state:
            return view
        with self._view_lock:
            view = self._view
            if view is None or view.state is not state:
                view = WorkspaceView.of(state)
                self._view = view
        return view

    def view(self) -> WorkspaceView:
        """The current revision's view.

        At most every ``settings.refresh_interval_s`` it asks the engine whether
        another process (the CLI, another server) changed the workspace, and reloads
        if so. It never waits for a writer. On a folder it does not wait for another
        request's reload either (that request installs the new revision; this one
        answers from the current one). On a database, where several workers serve one
        workspace, it does: an edit whose response has returned through another worker
        is committed, and no request may answer from the revision before it.
        """
        now = time.monotonic()
        if now - self._checked_at >= self.settings.refresh_interval_s:
            self._checked_at = now
            live = self.live
            live.refresh(wait=live.workspace.backend == "postgis")
        return self.latest()

    async def view_async(self) -> WorkspaceView:
        """:meth:`view` for a coroutine: the storage check runs in a worker thread.

        Between checks (every ``settings.refresh_interval_s``) it is :meth:`latest`,
        which touches no storage and answers on the event loop.
        """
        view = self.checked_view()
        if view is None:
            # A new state's view builds its analysis on first use: not on the loop.
            return await run_in_threadpool(self.view)
        return view

    def checked_view(self) -> WorkspaceView | None:
        """The view :meth:`view` would give when that needs no storage check and no new
        view (the last check is under ``settings.refresh_interval_s`` old and the live
        state has not moved since); else None. Never reads storage, never waits."""
        due = time.monotonic() - self._checked_at >= self.settings.refresh_interval_s
        live, view = self._live, self._view
        if due or live is None or view is None or view.state is not live.state:
            return None
        return view

    # -- writing ----------------------------------------------------------------------
    def write(self, change: Callable[[LiveWorkspace], ChangeResult]) -> ChangeResult:
        """:meth:`write_view` without the view."""
        return self.write_view(change)[0]

    def write_view(
        self,
        change: Callable[[LiveWorkspace], ChangeResult],
        *,
        unchanged: tuple[str, ...] = _SITE_EDIT_INVARIANT,
    ) -> tuple[ChangeResult, WorkspaceView]:
        """Run one edit (serialised within this process), then tell every change listener.

        Returns the change and the view of the revision it made. The engine refreshes
        and checks the revision under the workspace's lock, so writes by other
        processes are seen. A listener that fails is logged and skipped: the edit is
        already committed. ``unchanged`` names the cached items of the previous view
        the change cannot alter (default: those a site edit cannot); they are kept.
        """
        with self.write_lock:
            live = self.live
            previous = self._view
            result = change(live)
            view = WorkspaceView.of(live.state)
            if previous is not None and previous.revision == result.revision - 1:
                # A site edit never changes FTTH (fiber only), and its gap list is the
                # slow one (road routing): keep it.
                for key in unchanged:
                    if key in previous._cache:
                        view._cache[key] = previous._cache[key]
            with self._view_lock:
                if self._view is None or self._view.revision <= view.revision:
                    self._view = view
            self._checked_at = time.monotonic()
            listeners = list(self.change_listeners)
        for listener in listeners:
            try:
                listener(result)
            except Exception:
                log.exception("change listener %r failed", listener)
        return result, view
