"""Plans running in the background: a small thread pool per app and the jobs it ran.

:class:`PlanJobs` is owned by the :class:`~coverage_gis_api.context.AppContext` (created
on first use, shut down with the app). A job runs
:func:`coverage_gis.planning.make_plan` on the analysis of the revision current when it
was submitted, so a site edit made meanwhile does not change it; its state goes
``queued`` → ``running`` → ``done`` or ``failed``, with the planner's progress (0–1)
and step. Threads, not processes: the plan reads the in-memory analysis the server
already holds, and the solvers spend their time in native code. Jobs live in memory
(the newest :attr:`PlanJobs.keep` finished ones are kept) and are lost on restart.
The road graph is read once per ``roads.osm`` version and shared by later plans.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from coverage_gis.engine import Analysis
from coverage_gis.errors import Conflict, CoverageGISError, NotFound
from coverage_gis.planning import Plan, PlanOptions, make_plan
from coverage_gis.routing import RoadGraph, load_road_graph
from coverage_gis_api.errors import _GENERIC_MESSAGES

log = logging.getLogger("covgis.api")

#: What a failed job says about an unexpected error (the same words as a 500 answer).
_GENERIC_ERROR = _GENERIC_MESSAGES[500]


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(eq=False)
class PlanJob:
    """One plan request and, once it ran, its result or error."""

    id: str
    options: PlanOptions
    request: dict[str, Any]
    revision: int
    author: str
    created: str = field(default_factory=_now)
    state: str = "queued"
    progress: float = 0.0
    step: str = "queued"
    started: str | None = None
    finished: str | None = None
    elapsed_s: float | None = None
    error_type: str | None = None
    error: str | None = None
    plan: Plan | None = None
    summary: dict[str, Any] | None = None

    def result(self) -> Plan:
        """The finished plan; :class:`Conflict` while it is queued or running, or when it failed."""
        if self.plan is not None and self.state == "done":
            return self.plan
        if self.state == "failed":
            raise Conflict(f"plan {self.id} failed: {self.error}")
        raise Conflict(
            f"plan {self.id} is {self.state} ({self.progress:.0%}); its tables come when it is done"
        )


@dataclass(eq=False)
class PlanJobs:
    """The plan jobs of one app and the pool that runs them.

    Parameters
    ----------
    workers
        Plans run at the same time (the rest wait, ``queued``).
    keep
        Finished jobs kept; the oldest beyond it are forgotten.
    max_waiting
        Queued and running jobs accepted at once; one more is :class:`Conflict`.
    """

    workers: int = 1
    keep: int = 20
    max_waiting: int = 4
    _jobs: OrderedDict[str, PlanJob] = field(default_factory=OrderedDict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _pool: ThreadPoolExecutor | None = field(default=None, repr=False)
    _roads_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _roads_key: tuple[str, int, int, str] | None = field(default=None, repr=False)
    _roads: RoadGraph | None = field(default=None, repr=False)

    def submit(
        self, analysis: Analysis, options: PlanOptions, *, revision: int, author: str, request: dict[str, Any]
    ) -> PlanJob:
        """Queue a plan of ``analysis`` (already checked options); returns its job."""
        job = PlanJob(
            id=f"p{secrets.token_hex(8)}",
            options=options,
            request=request,
            revision=revision,
            author=author,
        )
        with self._lock:
            waiting = sum(1 for j in self._jobs.values() if j.state in ("queued", "running"))
            if waiting >= self.max_waiting:
                raise Conflict(f"{waiting} plans are queued or running; try again when one finishes")
            if self._pool is None:
                self._pool = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="covgis-plan")
            self._jobs[job.id] = job
            self._forget_old()
            self._pool.submit(self._run, job, analysis)
        log.info("plan %s queued by %s at revision %d: %s", job.id, author, revision, request)
        return job

    def get(self, job_id: str) -> PlanJob:
        """The job ``job_id``; :class:`NotFound` when there is none (or it was forgotten)."""
        with self._lock:
            job = self._jobs.get(job_id)
        if job is None:
            raise NotFound(f"no plan {job_id!r} (plans are kept in memory until the server restarts)")
        return job

    def jobs(self) -> list[PlanJob]:
        """Every kept job, newest first."""
        with self._lock:
            return list(reversed(self._jobs.values()))

    def shutdown(self) -> None:
        """Stop taking plans and drop the queued ones (a running plan finishes in its thread)."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)

    # -- running ------------------------------------------------------------------------------
    def _forget_old(self) -> None:
        finished = [k for k, j in self._jobs.items() if j.state in ("done", "failed")]
        for key in finished[: max(0, len(finished) - self.keep)]:
            del self._jobs[key]

    def _road_graph(self, analysis: Analysis) -> RoadGraph | None:
        path = analysis.ws.roads_path
        if path is None:
            return None
        stat = path.stat()
        key = (str(path), stat.st_mtime_ns, stat.st_size, analysis.metric_crs)
        with self._roads_lock:
            if self._roads_key != key:
                self._roads = load_road_graph(path, metric_crs=analysis.metric_crs)
                self._roads_key = key
            return self._roads

    def _run(self, job: PlanJob, analysis: Analysis) -> None:
        started = time.perf_counter()
        job.started, job.state, job.step = _now(), "running", "road network"

        def progress(step: str, fraction: float) -> None:
            job.step, job.progress = step, min(max(float(fraction), 0.0), 1.0)

        plan: Plan | None = None
        try:
            plan = make_plan(analysis, job.options, roads=self._road_graph(analysis), progress=progress)
            job.summary = plan.summary()
        except CoverageGISError as exc:
            job.error_type, job.error = type(exc).__name__, str(exc)
            plan = None
        except Exception:  # a bug: logged with its traceback, reported without it
            log.exception("plan %s failed", job.id)
            job.error_type, job.error = "InternalError", _GENERIC_ERROR
            plan = None
        job.elapsed_s = time.perf_counter() - started
        job.finished = _now()
        if plan is not None:
            job.plan, job.progress, job.step = plan, 1.0, "done"
        # The state changes last: a reader that sees done/failed sees everything else too.
        job.state = "done" if plan is not None else "failed"
        log.info("plan %s %s in %.1f s", job.id, job.state, job.elapsed_s)


__all__ = ["PlanJob", "PlanJobs"]
