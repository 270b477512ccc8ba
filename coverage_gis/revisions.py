"""Workspace revisions: the change log, KPI snapshots and coverage diffs.

Every change to a workspace (import, full recompute, site edit) appends one row to
the ``revisions`` layer in the same transaction as the change itself: number, UTC
time, author, summary, changed ids, the dirty bbox (the area whose coverage may have
changed, for tile-cache invalidation) and a snapshot of province and district KPIs.
Villages whose coverage flipped are recorded in ``coverage_changes``, which is what
``covgis diff`` reads.
"""

from __future__ import annotations

import getpass
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import orjson
import pandas as pd

from coverage_gis._values import optional_bool, plain_scalar
from coverage_gis.crs import BBox
from coverage_gis.errors import NotFound

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
    flipped = (joined["mobile_bb"] != joined["mobile_bb_before"]) | (joined["ftth"] != joined["ftth_before"])
    return [
        CoverageChange(
            village_id=str(vid),
            mobile_before=optional_bool(row["mobile_bb_before"]),
            mobile_after=optional_bool(row["mobile_bb"]),
            ftth_before=optional_bool(row["ftth_before"]),
            ftth_after=optional_bool(row["ftth"]),
        )
        for vid, row in joined[flipped].iterrows()
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
        # orjson: the snapshot holds every province and district row (hundreds of rows
        # nationally), and the standard encoder took longer than the rest of a site edit.
        "kpi_snapshot": orjson.dumps(list(record.kpi_snapshot), default=plain_scalar).decode(),
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


def kpi_snapshot(ws: Workspace, revision: int) -> pd.DataFrame:
    """Province and district KPIs as they were right after ``revision``."""
    revs = history(ws)
    if revs.empty or revision not in set(revs["revision"]):
        raise NotFound(f"no revision {revision}; `covgis history` lists them")
    upto = revs[(revs["revision"] <= revision) & (revs["kpi_snapshot"].fillna("").str.len() > 2)]
    if upto.empty:
        raise NotFound(f"revision {revision} has no KPI snapshot")
    rows = json.loads(upto.iloc[-1]["kpi_snapshot"])
    return pd.DataFrame(rows)


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
