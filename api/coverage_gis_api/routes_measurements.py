"""Measurement endpoints: the challenge list, planners' decisions on challenges, speed KPIs.

Routes translate HTTP to the library (``docs/architecture.md``, measurements):

* ``GET /v1/challenges`` lists :func:`coverage_gis.challenges.list_challenges` of the
  current view (built once per revision), with the admin codes of both hierarchies so
  that the same filters as ``/v1/villages`` apply, paged (all by default), as JSON,
  GeoJSON (the web map's challenges overlay), CSV or XLSX.
* ``POST /v1/challenges/{village_id}/accept`` and ``…/reject`` need a planner or admin
  key (:func:`coverage_gis.access.check_challenge_decision`) and ``If-Match`` with the
  current ETag, like site edits. The decision is written by
  :func:`coverage_gis.challenges.decide_challenge` as one revision; then the live state
  reloads it and the change listeners (tile cache invalidation of the village's box)
  hear of it through :meth:`AppContext.write_view`, as for a site edit.
* ``GET /v1/speed``: :func:`coverage_gis.speed.speed_kpis` of one admin level (medians
  with bootstrap intervals, tests, devices; per plan speed target the share of villages
  meeting it), built once per revision and level.
"""

# No `from __future__ import annotations`: FastAPI resolves the parameter annotations of
# the route functions, some of which are aliases local to create_router.

import time
from collections.abc import Callable, Collection
from typing import Annotated, Any, Literal

import geopandas as gpd
import pandas as pd
from fastapi import APIRouter, Depends, Header, Path, Query, Response

from coverage_gis.access import check_challenge_decision
from coverage_gis.challenges import (
    CHALLENGE_COLUMNS,
    Decision,
    DecisionResult,
    decide_challenge,
    list_challenges,
)
from coverage_gis.crs import BBox
from coverage_gis.errors import NotFound, StaleRevision
from coverage_gis.live import ChangeResult, LiveWorkspace
from coverage_gis.speed import ALL, speed_kpis
from coverage_gis_api.bbox import bbox_mask, bbox_query
from coverage_gis_api.context import ADMIN_FILTERS, AppContext, WorkspaceView, etag_for
from coverage_gis_api.export import json_response, records, records_json, render
from coverage_gis_api.models import ErrorBody
from coverage_gis_api.models_measurements import (
    ChallengeKind,
    ChallengePage,
    ChallengeStatus,
    DecisionIn,
    DecisionOut,
    SpeedKind,
    SpeedReport,
)
from coverage_gis_api.routes_read import ERROR_RESPONSES, AdminFilter, LevelName, admin_filter
from coverage_gis_api.routes_sites import WRITE_RESPONSES, expected_revision
from coverage_gis_api.security import Principal, principal_dependencies

#: Columns of the API's challenge table: the library's, with the admin codes before lon/lat.
CHALLENGE_TABLE_COLUMNS: tuple[str, ...] = (
    *CHALLENGE_COLUMNS[:-2],
    *ADMIN_FILTERS,
    *CHALLENGE_COLUMNS[-2:],
)
_VILLAGE_ID = Path(max_length=128, examples=["52-21667-003"])
_DECISION_RESPONSES: dict[int | str, dict[str, Any]] = {
    **WRITE_RESPONSES,
    403: {"model": ErrorBody, "description": "the key's role may not decide challenges (planner or admin)"},
    404: {"model": ErrorBody, "description": "no challenge of this kind at the village"},
}

#: The decision routes: decision, verb in the path, summary.
_DECISION_ROUTES: tuple[tuple[Decision, str, str], ...] = (
    ("accepted", "accept", "Accept a challenge: the village takes the measured status (a revision)"),
    ("rejected", "reject", "Reject a challenge: the model's status stands (a revision)"),
)


def _challenge_table(view: WorkspaceView) -> gpd.GeoDataFrame:
    """The view's challenges with the admin codes ``/v1/villages`` filters on."""
    found = list_challenges(view.analysis)
    codes = view.villages().set_index("village_id")[list(ADMIN_FILTERS.values())]
    ids = found["village_id"].to_numpy(dtype=object)
    for name, column in ADMIN_FILTERS.items():
        found[name] = codes[column].reindex(ids).to_numpy(dtype=object)
    return gpd.GeoDataFrame(found[[*CHALLENGE_TABLE_COLUMNS, "geometry"]], geometry="geometry", crs=found.crs)


def _challenges(view: WorkspaceView) -> gpd.GeoDataFrame:
    return view.cached("challenges", lambda: _challenge_table(view))


def _decide(
    live: LiveWorkspace,
    village_id: str,
    *,
    decision: Decision,
    body: DecisionIn,
    author: str,
    expected: Collection[int],
) -> tuple[DecisionResult, ChangeResult]:
    """One decision as a change of the live workspace: checked, written, then reloaded."""
    started = time.perf_counter()
    ws = live.workspace
    live.refresh()
    # The lock is re-entrant: decide_challenge takes it again for its write.
    with ws.lock(timeout_s=live.lock_timeout_s):
        current = ws.revision
        if current not in expected:
            named = ", ".join(str(r) for r in sorted(expected))
            raise StaleRevision(f"workspace is at revision {current}, not {named}; reload and retry")
        live.refresh()
        result = decide_challenge(
            ws,
            village_id,
            decision=decision,
            author=author,
            reason=body.reason,
            kind=body.kind,
            analysis=live.analysis,
            expected_revision=current,
        )
        live.refresh()
    changed = () if result.status_before == result.status_after else (village_id,)
    flipped = changed if body.kind == "mobile" else ()
    return result, ChangeResult(
        revision=result.revision,
        summary=result.summary,
        changed_site_ids=(),
        gained_mobile=flipped if result.status_after else (),
        lost_mobile=flipped if not result.status_after else (),
        changed_village_ids=changed,
        recomputed_villages=1,
        dirty_bbox=result.dirty_bbox,
        kpi_before=result.kpi_before,
        kpi_after=result.kpi_after,
        elapsed_ms=(time.perf_counter() - started) * 1000.0,
    )


def _speed_table(frame: pd.DataFrame, *, code: str | None, kind: str | None) -> pd.DataFrame:
    keep = pd.Series(True, index=frame.index)
    if code is not None:
        keep &= frame["code"].astype(str) == code
    if kind is not None and "kind" in frame:
        keep &= frame["kind"] == kind
    return frame[keep]


def create_router(ctx: AppContext) -> APIRouter:
    """The measurement endpoints bound to ``ctx``."""
    reader, writer = principal_dependencies(ctx)
    router = APIRouter(tags=["measurements"], responses=ERROR_RESPONSES)
    Reader = Annotated[Principal, Depends(reader)]
    Writer = Annotated[Principal, Depends(writer)]
    IfMatch = Annotated[
        str | None,
        Header(
            alias="If-Match", description='the ETag of your last read, e.g. "rev-3"', examples=['"rev-3"']
        ),
    ]

    @router.get(
        "/v1/challenges",
        summary="Villages where measurements contradict the model, with evidence and decisions",
        response_model=None,
        responses={
            200: {
                "model": ChallengePage,
                "content": {
                    "application/geo+json": {},
                    "text/csv": {},
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {},
                },
                "description": "open challenges first, then by population; `total` counts every match",
            }
        },
    )
    def challenges(
        _who: Reader,
        admin: Annotated[AdminFilter, Depends(admin_filter)],
        bbox: Annotated[BBox | None, Depends(bbox_query)],
        kind: Annotated[ChallengeKind | None, Query(description="mobile or FTTH status")] = None,
        status: Annotated[ChallengeStatus | None, Query(description="open, or the decision")] = None,
        limit: Annotated[
            int | None, Query(ge=1, description="at most this many (default all: the map draws them all)")
        ] = None,
        offset: Annotated[int, Query(ge=0, description="rows to skip")] = 0,
        format: Annotated[Literal["json", "geojson", "csv", "xlsx"], Query()] = "json",
    ) -> Response:
        view = ctx.view()
        table = _challenges(view)
        keep = admin.mask(table) & bbox_mask(table, bbox)
        if kind is not None:
            keep &= (table["kind"] == kind).to_numpy(dtype=bool)
        if status is not None:
            keep &= (table["status"] == status).to_numpy(dtype=bool)
        matched = table[keep]
        total = len(matched)
        page = matched.iloc[offset : None if limit is None else offset + limit]
        headers = {"ETag": view.etag, "X-Total-Count": str(total)}
        if format == "json":
            shown = "null" if limit is None else str(limit)
            body = f'{{"total":{total},"limit":{shown},"offset":{offset},"items":{records_json(page)}}}'
            return Response(body, media_type="application/json", headers=headers)
        return render(
            page,
            format,
            name=f"challenges-rev{view.revision}",
            allowed=("geojson", "csv", "xlsx"),
            headers=headers,
        )

    def decide(decision: Decision) -> Callable[..., Response]:
        def route(
            who: Writer,
            village_id: Annotated[str, _VILLAGE_ID],
            body: DecisionIn,
            if_match: IfMatch = None,
        ) -> Response:
            check_challenge_decision(who)
            expected = expected_revision(if_match)

            decided: list[DecisionResult] = []

            def change(live: LiveWorkspace) -> ChangeResult:
                done, result = _decide(
                    live, village_id, decision=decision, body=body, author=who.author, expected=expected
                )
                decided.append(done)
                return result

            # A decision can change FTTH, so no cached item of the previous view is kept.
            result, view = ctx.write_view(change, unchanged=())
            table = _challenges(view)
            found = table[table["challenge_id"] == f"{body.kind}:{village_id}"]
            payload = {
                "revision": result.revision,
                "etag": etag_for(result.revision),
                "summary": result.summary,
                "challenge_id": f"{body.kind}:{village_id}",
                "village_id": village_id,
                "kind": body.kind,
                "decision": decision,
                "status_before": decided[0].status_before,
                "status_after": decided[0].status_after,
                "dirty_bbox": list(result.dirty_bbox) if result.dirty_bbox is not None else [],
                "kpi_before": dict(result.kpi_before),
                "kpi_after": dict(result.kpi_after),
                "kpi_delta": dict(result.kpi_delta),
                "elapsed_ms": float(result.elapsed_ms),
                "challenge": records(found)[0] if len(found) else None,
            }
            return json_response(payload, headers={"ETag": etag_for(result.revision)})

        return route

    for decision, verb, summary in _DECISION_ROUTES:
        router.add_api_route(
            f"/v1/challenges/{{village_id}}/{verb}",
            decide(decision),
            name=f"{verb}_challenge",
            methods=["POST"],
            summary=summary,
            response_model=None,
            responses={200: {"model": DecisionOut}, **_DECISION_RESPONSES},
        )

    @router.get(
        "/v1/speed",
        summary="Measured speeds per admin unit (medians, 95 % intervals, tests) and plan speed targets",
        response_model=None,
        responses={200: {"model": SpeedReport}, 404: {"model": ErrorBody, "description": "no such plan"}},
    )
    def speed(
        _who: Reader,
        level: Annotated[LevelName, Query(description="admin level")] = "province",
        code: Annotated[
            str | None, Query(max_length=32, pattern=r"^[0-9A-Za-z_.\-]+$", description="one unit's code")
        ] = None,
        kind: Annotated[SpeedKind | None, Query(description="mobile or fixed tests")] = None,
        detail: Annotated[
            bool, Query(description="also the rows per technology and per operator (default: totals)")
        ] = False,
        plan: Annotated[
            str | None,
            Query(
                pattern=r"^[a-z0-9][a-z0-9\-]{0,63}$",
                description="plan id whose speed targets are checked (default: the workspace's)",
                examples=["binh-dinh-2025"],
            ),
        ] = None,
    ) -> Response:
        view = ctx.view()
        analysis = view.analysis
        if plan is not None:
            chosen = analysis.plan(plan)
        else:
            try:
                chosen = analysis.plan()
            except NotFound:
                chosen = None
        key = f"speed:{level}:{chosen.id if chosen is not None else ''}"
        report = view.cached(key, lambda: speed_kpis(analysis, levels=[level], plan=chosen))
        units = report.units
        if not detail and len(units):
            units = units[(units["tech"] == ALL) & (units["operator"] == ALL)]
        sample = report.settings
        payload = {
            "level": level,
            "plan": chosen.id if chosen is not None else None,
            "settings": {
                "radius_m": sample.radius_m,
                "min_tests": sample.min_tests,
                "min_village_tests": sample.min_village_tests,
                "min_villages": sample.min_villages,
                "bootstrap_samples": sample.bootstrap_samples,
                "confidence": sample.confidence,
            },
            "units": records(_speed_table(units, code=code, kind=kind)),
            "targets": records(_speed_table(report.targets, code=code, kind=None)),
        }
        return json_response(payload, headers={"ETag": view.etag})

    return router


__all__ = ["CHALLENGE_TABLE_COLUMNS", "create_router"]
