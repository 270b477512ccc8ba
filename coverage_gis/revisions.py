"""Workspace revisions: the change log, KPI snapshots and coverage diffs.

Every change to a workspace (import, full recompute, site edit) appends one row to
the ``revisions`` layer in the same transaction as the change itself: number, UTC
time, author, summary, changed ids, the dirty bbox (the area whose coverage may have
changed, for tile-cache invalidation) and a snapshot of province and district KPIs.
Villages whose coverage flipped are recorded in ``coverage_changes``, which is what
``covgis diff`` reads.

A snapshot is stored whole (a JSON list of rows) or, for a site edit, as the rows it
changed since the previous revision's snapshot (``{"changed": [...]}``): a national
snapshot holds about 800 rows (0.7 MB), and writing it whole made every edit grow the
log by that much. :func:`kpi_snapshots` folds the log back into whole snapshots; a
whole one is written at least every :data:`WHOLE_SNAPSHOT_EVERY` revisions, so the
fold never starts far back.
"""

from __future__ import annotations

import getpass
import json
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import numpy as np
import orjson
import pandas as pd

from coverage_gis._values import optional_bool, plain_scalar
from coverage_gis.crs import BBox
from coverage_gis.errors import CoverageGISError, NotFound

if TYPE_CHECKING:
    from coverage_gis.workspace import Workspace


@dataclass(frozen=True)
class CoverageChange:
    """One village's coverage before and after a revision."""

    village_id: str
    mobile_before: bool | None
    mobile_after: bool | None
    ftth_before: bool | None
    ftth_after: bool | None


@dataclass(frozen=True)
class RevisionRecord:
    """What a change writes into the log (the number and time are assigned on append)."""

    summary: str
    author: str
    changed_ids: Sequence[str] = ()
    dirty_bbox: BBox | None = None
    kpi_snapshot: Sequence[dict[str, Any]] = ()
    #: True when :attr:`kpi_snapshot` holds only the rows that changed since the previous
    #: revision's snapshot (the writer checked, in the same transaction, that the log's
    #: last revision is the one whose snapshot it changed).
    kpi_snapshot_partial: bool = False
    coverage_changes: Sequence[CoverageChange] = field(default_factory=tuple)
    #: False for changes of inputs that leave village_coverage to be recomputed (imports).
    coverage_current: bool = True


def default_author() -> str:
    """The OS user, for CLI changes without an API key."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return os.environ.get("USER", "unknown")


def coverage_changes(old: pd.DataFrame, new: pd.DataFrame) -> list[CoverageChange]:
    """Villages whose mobile or FTTH flag differs between two coverage tables.

    Both tables need ``village_id``, ``mobile_bb`` and ``ftth``; a village in only one
    of them has ``None`` on the other side. An empty ``old`` (nothing stored yet) gives
    no changes.
    """
    if not len(old):
        return []
    before = old.set_index("village_id")[["mobile_bb", "ftth"]].astype(object)
    before.columns = ["mobile_bb_before", "ftth_before"]
    after = new.set_index("village_id")[["mobile_bb", "ftth"]].astype(object)
    joined = pd.concat([after, before], axis=1, join="outer")
    return flag_changes(
        joined.index.to_numpy(dtype=object),
        joined["mobile_bb_before"].to_numpy(dtype=object),
        joined["mobile_bb"].to_numpy(dtype=object),
        joined["ftth_before"].to_numpy(dtype=object),
        joined["ftth"].to_numpy(dtype=object),
    )


def flag_changes(
    village_ids: np.ndarray,
    mobile_before: np.ndarray,
    mobile_after: np.ndarray,
    ftth_before: np.ndarray,
    ftth_after: np.ndarray,
) -> list[CoverageChange]:
    """The villages (aligned arrays) whose mobile or FTTH flag differs before and after;
    a missing flag differs from any other (as pandas compares them)."""

    def differs(before: np.ndarray, after: np.ndarray) -> np.ndarray:
        missing = np.asarray(pd.isna(before) | pd.isna(after), dtype=bool)
        out: np.ndarray = missing | np.asarray(before != after, dtype=bool)
        return out

    flipped = np.flatnonzero(differs(mobile_before, mobile_after) | differs(ftth_before, ftth_after))
    return [
        CoverageChange(
            village_id=str(village_ids[k]),
            mobile_before=optional_bool(mobile_before[k]),
            mobile_after=optional_bool(mobile_after[k]),
            ftth_before=optional_bool(ftth_before[k]),
            ftth_after=optional_bool(ftth_after[k]),
        )
        for k in flipped
    ]


def revision_rows(
    number: int, record: RevisionRecord, *, time: str | None = None
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The ``revisions`` row and the ``coverage_changes`` rows that log ``record`` as ``number``.

    Storage backends call this from their revision append (inside the change's
    transaction); ``time`` defaults to now (UTC, milliseconds).
    """
    row: dict[str, Any] = {
        "revision": number,
        "time": time or datetime.now(UTC).isoformat(timespec="milliseconds"),
        "author": record.author,
        "summary": record.summary,
        "changed_ids": json.dumps(list(record.changed_ids), ensure_ascii=False),
        "dirty_bbox": json.dumps(list(record.dirty_bbox)) if record.dirty_bbox else "",
        "kpi_snapshot": _snapshot_text(record),
        "coverage_current": record.coverage_current,
    }
    changes = [
        {
            "change_id": f"{number}:{c.village_id}",
            "revision": number,
            "village_id": c.village_id,
            "mobile_before": c.mobile_before,
            "mobile_after": c.mobile_after,
            "ftth_before": c.ftth_before,
            "ftth_after": c.ftth_after,
        }
        for c in record.coverage_changes
    ]
    return row, changes


def history(ws: Workspace) -> pd.DataFrame:
    """All revisions, oldest first."""
    frame = ws.read_layer("revisions", missing_ok=True)
    return frame.sort_values("revision").reset_index(drop=True)


#: A site edit stores its snapshot whole when its revision number is a multiple of this.
WHOLE_SNAPSHOT_EVERY = 100

#: A snapshot row's key: (level, code).
SnapshotKey = tuple[str, str]


def whole_snapshot_due(revision: int) -> bool:
    """Whether a site edit logged as ``revision`` must store its KPI snapshot whole."""
    return revision % WHOLE_SNAPSHOT_EVERY == 0


def _snapshot_text(record: RevisionRecord) -> str:
    rows = list(record.kpi_snapshot)
    # orjson: a whole snapshot holds every province and district row (hundreds of rows
    # nationally), and the standard encoder took longer than the rest of a site edit.
    body: object = {"changed": rows} if record.kpi_snapshot_partial else rows
    return orjson.dumps(body, default=plain_scalar).decode()


def snapshot_key(row: Mapping[str, Any]) -> SnapshotKey:
    """The (level, code) a snapshot row stands for."""
    return str(row.get("level")), str(row.get("code"))


def kpi_snapshots(log: pd.DataFrame) -> Iterator[tuple[int, Mapping[SnapshotKey, dict[str, Any]] | None]]:
    """Each revision of ``log`` (the ``revisions`` layer, oldest first) with its KPI snapshot.

    Yields ``(revision, rows by key)``, or ``(revision, None)`` for a revision that
    recorded no snapshot. Partial snapshots are folded into the whole one before them.
    The mapping is the fold's own and changes as iteration goes on: copy what you keep.

    Raises
    ------
    CoverageGISError
        A partial snapshot with no whole one before it (a log cut at its start).
    """
    current: dict[SnapshotKey, dict[str, Any]] | None = None
    for revision, text in zip(log["revision"], log["kpi_snapshot"], strict=True):
        body = json.loads(text) if isinstance(text, str) and len(text) > 2 else None
        if body is None:
            yield int(revision), None
            continue
        if isinstance(body, list):
            current = {snapshot_key(row): row for row in body}
        elif current is None:
            raise CoverageGISError(
                f"revision {revision} stores the KPI rows it changed, but no earlier revision "
                "stores a whole snapshot; the revisions layer is incomplete"
            )
        else:
            current.update((snapshot_key(row), row) for row in body["changed"])
        yield int(revision), current


def kpi_snapshot(ws: Workspace, revision: int) -> pd.DataFrame:
    """Province and district KPIs as they were right after ``revision``."""
    revs = history(ws)
    if revs.empty or revision not in set(revs["revision"]):
        raise NotFound(f"no revision {revision}; `covgis history` lists them")
    found: Mapping[SnapshotKey, dict[str, Any]] | None = None
    for _, rows in kpi_snapshots(revs[revs["revision"] <= revision]):
        found = rows if rows is not None else found
    if found is None:
        raise NotFound(f"revision {revision} has no KPI snapshot")
    return pd.DataFrame(list(found.values()))


def diff(ws: Workspace, from_revision: int, to_revision: int) -> pd.DataFrame:
    """Villages whose mobile or FTTH coverage differs between two revisions.

    Changes recorded after ``from_revision`` up to ``to_revision`` are folded per
    village (first *before*, last *after*); villages that flipped and flipped back
    are dropped. Swapping the arguments swaps before and after.
    """
    lo, hi = sorted((from_revision, to_revision))
    known = set(history(ws)["revision"]) | {0}
    for rev in (lo, hi):
        if rev not in known:
            raise NotFound(f"no revision {rev}; `covgis history` lists them")
    changes = ws.read_layer("coverage_changes", missing_ok=True)
    window = changes[(changes["revision"] > lo) & (changes["revision"] <= hi)].sort_values("revision")
    columns = ["village_id", "mobile_before", "mobile_after", "ftth_before", "ftth_after", "change"]
    if window.empty:
        return pd.DataFrame(columns=columns)
    folded = window.groupby("village_id", sort=True).agg(
        mobile_before=("mobile_before", "first"),
        mobile_after=("mobile_after", "last"),
        ftth_before=("ftth_before", "first"),
        ftth_after=("ftth_after", "last"),
    )
    if from_revision > to_revision:
        folded = folded.rename(
            columns={
                "mobile_before": "mobile_after",
                "mobile_after": "mobile_before",
                "ftth_before": "ftth_after",
                "ftth_after": "ftth_before",
            }
        )
    changed = (folded["mobile_before"] != folded["mobile_after"]) | (
        folded["ftth_before"] != folded["ftth_after"]
    )
    out = folded[changed].reset_index()
    labels = []
    for rec in out.to_dict(orient="records"):
        parts = []
        if rec["mobile_before"] != rec["mobile_after"]:
            parts.append("gained mobile" if rec["mobile_after"] else "lost mobile")
        if rec["ftth_before"] != rec["ftth_after"]:
            parts.append("gained FTTH" if rec["ftth_after"] else "lost FTTH")
        labels.append(", ".join(parts))
    out["change"] = labels
    return out[columns]
