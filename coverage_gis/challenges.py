"""Challenges: villages where measurements contradict the model, and planners' decisions on them.

A coverage model is an estimate; measurements can challenge it
(``docs/architecture.md``, measurements). This module owns

- the **measured status** of a village (:func:`village_evidence`): from the tests
  describing it (:func:`coverage_gis.speed.match_tests`), weighted by tests, the share
  that found service. A mobile test finds service when it ran on 3G/4G/5G (or on a tile,
  which mixes technologies), downloaded at least ``service_min_mbps`` and, when it
  reports a level, reached the model's threshold for its technology; an FTTH test when
  it ran on FTTH and downloaded at least ``service_min_mbps``. Each operator's tests vote
  separately (a village has service when some operator serves it): with at least
  ``min_village_tests`` tests, the village has service when some operator's tests mostly
  found service, and none when every operator's tests mostly failed (a tie decides nothing);
- **challenges** (:func:`list_challenges`): villages the model counts as covered where
  measurements show no service or a level below threshold, and villages it counts as
  uncovered where measurements show service, with their evidence and decision;
- **decisions** (:func:`accept_challenge`, :func:`reject_challenge`): an ``overrides``
  row with author and reason, the village's recomputed coverage row and a revision with
  the KPI snapshot, in one atomic write. Accepting sets the village's status to the
  measured one at every later recompute (:mod:`coverage_gis.overrides`); rejecting keeps
  the model's status and closes the challenge. Deciding again replaces the decision.

Who may decide (planners) is the API's rule; the library records the author it is given.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal, TypedDict, Unpack

import geopandas as gpd
import numpy as np
import pandas as pd

from coverage_gis._strings import str_array
from coverage_gis.coverage import coverage_from_layers
from coverage_gis.crs import STORAGE_CRS, BBox
from coverage_gis.engine import SNAPSHOT_LEVELS, Analysis, kpi_records, load
from coverage_gis.errors import LayerValidationError, NotFound, StaleRevision
from coverage_gis.kpi_inputs import village_rows
from coverage_gis.layers import get_schema
from coverage_gis.models import load_model_settings
from coverage_gis.models.base import BROADBAND_TECHS
from coverage_gis.network import bits_to_names
from coverage_gis.overrides import OVERRIDE_KINDS
from coverage_gis.revisions import RevisionRecord, coverage_changes
from coverage_gis.speed import (
    SpeedSettings,
    TestMatch,
    devices_per_group,
    grouped_weighted_median,
    match_tests,
    tests_per_row,
)
from coverage_gis.validation import validate_layer
from coverage_gis.vocabulary import DECISIONS, OPERATORS, TECH_RANK

if TYPE_CHECKING:
    from coverage_gis.workspace import Workspace

Decision = Literal["accepted", "rejected"]
_VERB: dict[str, str] = {"accepted": "accept", "rejected": "reject"}
#: Status of a challenge nobody has decided yet.
OPEN = "open"
#: Statuses of a challenge: open, or the decision on it.
STATUSES: tuple[str, ...] = (OPEN, *DECISIONS)
#: What a challenge claims, by the measured status.
CLAIMS: dict[bool, str] = {True: "service", False: "no_service"}
_COVERAGE_COLUMN = {"mobile": "mobile_bb", "ftth": "ftth"}
_RANK_TECH = {rank: tech for tech, rank in TECH_RANK.items()}
_OPERATOR_INDEX = {name: i for i, name in enumerate(OPERATORS)}

#: Columns of :func:`village_evidence`.
EVIDENCE_COLUMNS: tuple[str, ...] = (
    "village_id",
    "kind",
    "tests",
    "devices",
    "served_share",
    "median_download_mbps",
    "median_signal_dbm",
    "measured_tech",
    "measured_operators",
    "measured_value",
)

#: Columns of :func:`list_challenges` (plus ``geometry``).
CHALLENGE_COLUMNS: tuple[str, ...] = (
    "challenge_id",
    "village_id",
    "name",
    "commune_name",
    "district_name",
    "province_name",
    "population",
    "kind",
    "claim",
    "model_value",
    "measured_value",
    *EVIDENCE_COLUMNS[2:-1],  # tests ... measured_operators
    "status",
    "decided_by",
    "decided_at",
    "reason",
    "revision",
    "lon",
    "lat",
)


def _served_rows(
    tests: pd.DataFrame, kind: str, *, thresholds_dbm: Mapping[str, float], min_mbps: float
) -> tuple[np.ndarray, np.ndarray]:
    """Which test rows count for ``kind`` (mobile / ftth), and which of them found service."""
    n = len(tests)
    if not n:
        return np.zeros(0, dtype=bool), np.zeros(0, dtype=bool)
    test_kind = tests["kind"].to_numpy(dtype=object)
    tech = tests["tech"].to_numpy(dtype=object)
    download = tests["download_mbps"].to_numpy(dtype=float)
    fast_enough = np.nan_to_num(download, nan=0.0) >= min_mbps
    if kind == "ftth":
        counts = (test_kind == "fixed") & (tech == "FTTH")
        return counts, counts & fast_enough
    counts = test_kind == "mobile"
    signal = tests["signal_dbm"].to_numpy(dtype=float) if "signal_dbm" in tests else np.full(n, np.nan)
    threshold = np.array([thresholds_dbm.get(t, np.nan) if isinstance(t, str) else np.nan for t in tech])
    level_ok = np.isnan(signal) | np.isnan(threshold) | (signal >= threshold)
    broadband = np.array([t is None or t in BROADBAND_TECHS for t in tech], dtype=bool) | pd.isna(tech)
    return counts, counts & broadband & fast_enough & level_ok


def village_evidence(
    villages: pd.DataFrame,
    tests: pd.DataFrame,
    match: TestMatch,
    *,
    thresholds_dbm: Mapping[str, float],
    settings: SpeedSettings,
) -> pd.DataFrame:
    """What the measurements say about each village's mobile and FTTH service.

    Returns
    -------
    DataFrame
        :data:`EVIDENCE_COLUMNS`, one row per village and kind that has matching tests.
        ``served_share`` is the share of tests that found service of the operator with
        the best share; ``measured_value`` is True (service: some operator's tests mostly
        found service), False (no service: every operator's tests mostly failed) or
        missing (fewer than ``min_village_tests`` tests, or a tie at exactly half);
        ``measured_operators`` are the operators whose tests mostly found service.
    """
    ids = villages["village_id"].to_numpy(dtype=object)
    n = len(ids)
    weights = tests_per_row(tests)
    frames = []
    for kind in OVERRIDE_KINDS:
        counts, served = _served_rows(
            tests, kind, thresholds_dbm=thresholds_dbm, min_mbps=settings.service_min_mbps
        )
        keep = counts[match.test] if len(match) else np.zeros(0, dtype=bool)
        v, t = match.village[keep], match.test[keep]
        if not len(v):
            continue
        w = weights[t]
        total = np.bincount(v, weights=w, minlength=n)
        good = np.bincount(v, weights=w * served[t], minlength=n)
        device_count = devices_per_group(tests, v, t, n)
        download = grouped_weighted_median(tests["download_mbps"].to_numpy(dtype=float)[t], w, v, n)
        signal_all = (
            tests["signal_dbm"].to_numpy(dtype=float)
            if "signal_dbm" in tests
            else np.full(len(tests), np.nan)
        )
        signal = grouped_weighted_median(signal_all[t], w, v, n)
        rank = np.zeros(n, dtype=np.int64)
        tech = tests["tech"].to_numpy(dtype=object)[t]
        ok = served[t]
        tech_rank = [TECH_RANK.get(x, 0) if isinstance(x, str) else 0 for x in tech[ok]]
        np.maximum.at(rank, v[ok], np.array(tech_rank, dtype=np.int64))
        if kind == "ftth":
            rank_tech = np.array(["FTTH" if g > 0 else None for g in good], dtype=object)
        else:
            rank_tech = np.array([_RANK_TECH.get(int(r)) for r in rank], dtype=object)
        # Mobile broadband at a village means some operator serves it: each operator's tests
        # vote separately (tiles and tests of unknown operator form one more group).
        groups = len(OPERATORS) + 1
        ops = tests["operator"].to_numpy(dtype=object)[t]
        op_index = np.array([_OPERATOR_INDEX.get(o, groups - 1) for o in ops], dtype=np.int64)
        key = v * groups + op_index
        total_g = np.bincount(key, weights=w, minlength=n * groups).reshape(n, groups)
        good_g = np.bincount(key, weights=w * served[t], minlength=n * groups).reshape(n, groups)
        share_g = np.divide(good_g, total_g, out=np.full((n, groups), -1.0), where=total_g > 0)
        serving = share_g > 0.5
        bits = (serving[:, : groups - 1] * (1 << np.arange(groups - 1))).sum(axis=1)
        present = np.flatnonzero(total > 0)
        share = share_g[present].max(axis=1)
        enough = total[present] >= settings.min_village_tests
        value = pd.array(share > 0.5, dtype="boolean")
        value[~enough | (share == 0.5)] = pd.NA
        frames.append(
            pd.DataFrame(
                {
                    "village_id": ids[present],
                    "kind": kind,
                    "tests": total[present].astype(np.int64),
                    "devices": device_count[present].astype(np.int64),
                    "served_share": share,
                    "median_download_mbps": download[present],
                    "median_signal_dbm": signal[present],
                    "measured_tech": rank_tech[present],
                    "measured_operators": bits_to_names(bits[present]),
                    "measured_value": value,
                }
            )
        )
    if not frames:
        return pd.DataFrame(columns=list(EVIDENCE_COLUMNS))
    return pd.concat(frames, ignore_index=True)


def _thresholds(analysis: Analysis) -> dict[str, float]:
    """The serving level per technology of the workspace's model settings."""
    return dict(load_model_settings(analysis.ws.model_settings_path).threshold_dbm)


def list_challenges(
    analysis: Analysis,
    *,
    kind: str | None = None,
    status: str | None = None,
    settings: SpeedSettings | None = None,
) -> gpd.GeoDataFrame:
    """Villages where measurements contradict the model, with their evidence and decision.

    Parameters
    ----------
    analysis
        From :func:`coverage_gis.engine.load`.
    kind
        ``mobile`` or ``ftth``; both when None.
    status
        ``open``, ``accepted`` or ``rejected``; all when None.
    settings
        The workspace's ``speed`` settings when None.

    Returns
    -------
    GeoDataFrame
        :data:`CHALLENGE_COLUMNS` at the village centres, open challenges first, then by
        population. ``model_value`` is the model's status (for a decided challenge, the
        one it had when decided). Decided challenges stay listed with their decision.
    """
    if kind is not None and kind not in OVERRIDE_KINDS:
        raise LayerValidationError(f"unknown kind {kind!r}; choose {', '.join(OVERRIDE_KINDS)}", field="kind")
    if status is not None and status not in STATUSES:
        raise LayerValidationError(f"unknown status {status!r}; choose {', '.join(STATUSES)}", field="status")
    settings = settings or analysis.ws.config.speed_settings
    villages = analysis.layers.villages
    tests = analysis.layers.speed_tests
    decisions = analysis.overrides
    if len(tests):
        match = match_tests(villages, tests, metric_crs=analysis.metric_crs, radius_m=settings.radius_m)
        evidence = village_evidence(
            villages, tests, match, thresholds_dbm=_thresholds(analysis), settings=settings
        )
    else:
        evidence = pd.DataFrame(columns=list(EVIDENCE_COLUMNS))
    coverage = analysis.coverage.drop(columns="geometry", errors="ignore").set_index("village_id")
    rows = evidence.copy()
    rows["model_value"] = [
        bool(coverage.at[vid, _COVERAGE_COLUMN[k]]) if vid in coverage.index else None
        for vid, k in zip(rows["village_id"], rows["kind"], strict=True)
    ]
    decided = decisions.assign(_key=decisions["village_id"].astype(str) + "|" + decisions["kind"].astype(str))
    rows["_key"] = rows["village_id"].astype(str) + "|" + rows["kind"].astype(str)
    rows = rows.merge(
        decided[["_key", "decision", "model_value", "author", "time", "reason", "revision"]].rename(
            columns={"model_value": "_decided_model_value", "author": "decided_by", "time": "decided_at"}
        ),
        on="_key",
        how="outer",
    )
    # A decided challenge keeps the model value it was decided against.
    has_decision = rows["decision"].notna().to_numpy()
    rows["model_value"] = np.where(has_decision, rows["_decided_model_value"], rows["model_value"])
    missing = rows["village_id"].isna().to_numpy()
    if missing.any():
        # Decisions whose evidence no longer matches any test: list them from the decision.
        keys = rows.loc[missing, "_key"].str.split("|", n=1, expand=True)
        rows.loc[missing, "village_id"] = keys[0].to_numpy()
        rows.loc[missing, "kind"] = keys[1].to_numpy()
    measured = rows["measured_value"].astype("boolean")
    disagrees = (
        (measured.notna() & (measured != rows["model_value"].astype("boolean"))).fillna(False).to_numpy()
    )
    rows = rows[disagrees | has_decision].copy()
    rows["status"] = rows["decision"].fillna(OPEN)
    rows["claim"] = rows["measured_value"].map(lambda v: CLAIMS[bool(v)] if pd.notna(v) else None)
    rows["challenge_id"] = rows["kind"].astype(str) + ":" + rows["village_id"].astype(str)
    if kind is not None:
        rows = rows[rows["kind"] == kind]
    if status is not None:
        rows = rows[rows["status"] == status]
    return _with_village_fields(rows, analysis)


def _with_village_fields(rows: pd.DataFrame, analysis: Analysis) -> gpd.GeoDataFrame:
    villages = analysis.layers.villages
    facts = analysis.inputs.villages.set_index("village_id")
    names = villages.set_index("village_id")
    ids = rows["village_id"].to_numpy(dtype=object)
    out = rows.copy()
    out["name"] = names["name"].reindex(ids).to_numpy(dtype=object)
    for col in ("commune_name", "district_name", "province_name"):
        out[col] = facts[col].reindex(ids).to_numpy(dtype=object) if col in facts else None
    out["population"] = facts["population"].reindex(ids).fillna(0).to_numpy(dtype=np.int64)
    geometry = gpd.GeoSeries(np.asarray(names.geometry.reindex(ids)), crs=STORAGE_CRS)
    out["lon"] = geometry.x.to_numpy()
    out["lat"] = geometry.y.to_numpy()
    out["revision"] = pd.to_numeric(out["revision"], errors="coerce").astype("Int64")
    order = np.lexsort((str_array(out["challenge_id"]), -out["population"].to_numpy(), out["status"] != OPEN))
    out = out.iloc[order].reset_index(drop=True)
    return gpd.GeoDataFrame(
        out[list(CHALLENGE_COLUMNS)],
        geometry=np.asarray(geometry)[order],
        crs=STORAGE_CRS,
    )


@dataclass(frozen=True)
class DecisionResult:
    """What one decision on a challenge did (``dirty_bbox``: the village, for tile caches)."""

    revision: int
    summary: str
    challenge_id: str
    decision: str
    status_before: bool
    status_after: bool
    kpi_before: dict[str, Any]
    kpi_after: dict[str, Any]
    dirty_bbox: BBox


class DecisionOptions(TypedDict, total=False):
    """Optional arguments of :func:`accept_challenge` and :func:`reject_challenge`."""

    kind: str
    analysis: Analysis | None
    expected_revision: int | None


def accept_challenge(
    ws: Workspace, village_id: str, *, author: str, reason: str, **options: Unpack[DecisionOptions]
) -> DecisionResult:
    """Accept a challenge: the village's status becomes the measured one, as a new revision.

    ``options``: ``kind`` (``mobile``, the default, or ``ftth``), ``analysis``,
    ``expected_revision``; see :func:`decide_challenge` for them and for the errors.
    """
    return decide_challenge(ws, village_id, decision="accepted", author=author, reason=reason, **options)


def reject_challenge(
    ws: Workspace, village_id: str, *, author: str, reason: str, **options: Unpack[DecisionOptions]
) -> DecisionResult:
    """Reject a challenge: the model's status stands (again), as a new revision.

    ``options`` as for :func:`accept_challenge`.
    """
    return decide_challenge(ws, village_id, decision="rejected", author=author, reason=reason, **options)


def decide_challenge(
    ws: Workspace,
    village_id: str,
    *,
    decision: Decision,
    author: str,
    reason: str,
    kind: str = "mobile",
    analysis: Analysis | None = None,
    expected_revision: int | None = None,
) -> DecisionResult:
    """Record a decision on a village's challenge and recompute the village, in one revision.

    Parameters
    ----------
    ws
        The workspace.
    village_id
        The challenged village.
    decision
        ``accepted`` or ``rejected``.
    author
        Who decides (the revision log's author).
    reason
        Why, in words (required).
    kind
        ``mobile`` or ``ftth``.
    analysis
        The workspace's current analysis (loaded when None).
    expected_revision
        Refuse when the workspace is no longer at this revision.

    Raises
    ------
    NotFound
        The village has no challenge of this kind (measurements agree with the model,
        or there are too few).
    LayerValidationError
        An empty author or reason, or an unknown kind or decision.
    StaleRevision
        ``expected_revision`` is not the current revision.
    Conflict
        Another writer holds the workspace.
    """
    if decision not in DECISIONS:
        raise LayerValidationError(
            f"unknown decision {decision!r}; choose {' or '.join(DECISIONS)}", field="decision"
        )
    for field, text in (("author", author), ("reason", reason)):
        if not isinstance(text, str) or not text.strip():
            raise LayerValidationError(f"a decision needs a {field}", field=field)
    with ws.lock():
        if expected_revision is not None and expected_revision != ws.revision:
            raise StaleRevision(
                f"workspace is at revision {ws.revision}, not {expected_revision}; reload and retry"
            )
        # Decide on the workspace as it is now: an analysis read at an older revision is reloaded.
        current = analysis if analysis is not None and analysis.revision == ws.revision else load(ws)
        found = list_challenges(current, kind=kind)
        found = found[found["village_id"] == village_id]
        if found.empty:
            raise NotFound(
                f"no {kind} challenge at village {village_id!r}: its measurements agree with the model "
                "or are too few (`covgis challenges WS` lists them)"
            )
        challenge = found.iloc[0]
        number = ws.revision + 1
        decided_at = datetime.now(UTC).isoformat(timespec="milliseconds")
        measured = challenge["measured_value"]
        row = {
            "override_id": f"{kind}:{village_id}",
            "village_id": village_id,
            "kind": kind,
            "decision": decision,
            "model_value": bool(challenge["model_value"]),
            "measured_value": bool(measured) if pd.notna(measured) else not bool(challenge["model_value"]),
            "tech": challenge["measured_tech"] if isinstance(challenge["measured_tech"], str) else None,
            "operators": challenge["measured_operators"] or "",
            "tests": int(challenge["tests"]) if pd.notna(challenge["tests"]) else 0,
            "served_share": float(challenge["served_share"]) if pd.notna(challenge["served_share"]) else None,
            "author": author.strip(),
            "reason": reason.strip(),
            "time": decided_at,
            "revision": number,
        }
        old_decisions = current.overrides
        kept = old_decisions[old_decisions["override_id"] != row["override_id"]]
        table, _ = validate_layer(
            pd.concat([kept, pd.DataFrame([row])], ignore_index=True) if len(kept) else pd.DataFrame([row]),
            get_schema("overrides"),
            source="decision",
        )
        villages = current.layers.villages
        one = villages[villages["village_id"] == village_id]
        fresh = coverage_from_layers(
            current.layers.replace(villages=one),
            metric_crs=current.metric_crs,
            model=current.model,
            ftth_reach_m=ws.config.ftth_reach_m,
            revision=number,
            overrides=table,
        )
        old = current.coverage
        position = int(np.flatnonzero(old["village_id"].to_numpy(dtype=object) == village_id)[0])
        coverage = old.copy()
        for col in fresh.columns:
            if col == "geometry":
                continue
            values = coverage[col].to_numpy(copy=True)
            if values.dtype != object and fresh[col].dtype == object:
                values = values.astype(object)
            values[position] = fresh[col].iloc[0]
            coverage[col] = values
        inputs = dataclasses.replace(
            current.inputs,
            villages=village_rows(
                villages, coverage, current.layers.communes, current.layers.commune_parts_2025
            ),
        )
        after = dataclasses.replace(current, coverage=coverage, inputs=inputs, overrides=table)
        snapshot = kpi_records(after.kpis(levels=SNAPSHOT_LEVELS))
        before_kpis = kpi_records(current.kpis(levels=["province"]))
        west, south, east, north = (float(v) for v in one.total_bounds)
        bbox = (west, south, east, north)
        name = challenge["name"]
        summary = f"{_VERB[decision]} {kind} challenge at {village_id} ({name}): {reason.strip()}"
        record = RevisionRecord(
            summary=summary,
            author=author.strip(),
            changed_ids=[village_id],
            dirty_bbox=bbox,
            kpi_snapshot=snapshot,
            coverage_changes=coverage_changes(old, coverage),
        )
        written = ws.write_layers(
            {"overrides": table, "village_coverage": coverage}, validate=False, revision=record
        )
    column = _COVERAGE_COLUMN[kind]
    return DecisionResult(
        revision=int(written or number),
        summary=summary,
        challenge_id=f"{kind}:{village_id}",
        decision=decision,
        status_before=bool(old[column].iloc[position]),
        status_after=bool(coverage[column].iloc[position]),
        kpi_before=before_kpis[0] if before_kpis else {},
        kpi_after=next((r for r in snapshot if r.get("level") == "province"), {}),
        dirty_bbox=bbox,
    )


__all__ = [
    "CHALLENGE_COLUMNS",
    "CLAIMS",
    "EVIDENCE_COLUMNS",
    "OPEN",
    "STATUSES",
    "DecisionResult",
    "accept_challenge",
    "decide_challenge",
    "list_challenges",
    "reject_challenge",
    "village_evidence",
]
