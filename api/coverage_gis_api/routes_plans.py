"""Plan endpoints: run the gap-closing planner in the background and serve its tables.

``POST /v1/plans`` (a planner or admin key) queues a plan of the current revision and
answers 202 with its status; ``GET /v1/plans/{id}`` reports state and progress and,
when done, the summary; ``GET /v1/plans/{id}/{table}`` serves a finished plan's tables
as JSON, GeoJSON (the web map's "proposed" layer: sites and fiber), CSV or XLSX
(Vietnamese headers unless ``lang=en``), and ``GET /v1/plans/{id}/site-edits`` the
batch ``covgis sites apply`` takes. Plan results carry ``ETag: "rev-<revision>"`` of
the revision they were made from (send it as ``If-Match`` when applying the edits).
Routes only translate HTTP: the planner is :mod:`coverage_gis.planning`, the jobs
:mod:`coverage_gis_api.plan_jobs`, the tables :mod:`coverage_gis.planning.export`.
"""

# No `from __future__ import annotations`: FastAPI resolves the parameter annotations of
# the route functions, some of which are aliases local to create_router.

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Response

from coverage_gis.access import check_plan
from coverage_gis.errors import NotFound
from coverage_gis.planning import PlanOptions
from coverage_gis.planning.export import SHEET_TITLES, TABLE_LABELS, plan_table
from coverage_gis.reports import Sheet, tabular, xlsx_bytes
from coverage_gis_api.context import AppContext, etag_for
from coverage_gis_api.errors import InvalidField
from coverage_gis_api.export import MEDIA_TYPES, json_response, records_json, render
from coverage_gis_api.models import ErrorBody
from coverage_gis_api.models_plans import (
    PLAN_ID_PATTERN,
    PlanList,
    PlanRequest,
    PlanSiteEdits,
    PlanStatus,
    PlanTable,
    PlanTableName,
)
from coverage_gis_api.plan_jobs import PlanJob
from coverage_gis_api.routes_read import ERROR_RESPONSES
from coverage_gis_api.security import Principal, principal_dependencies

_PLAN_ID = Path(pattern=PLAN_ID_PATTERN, examples=["p3f9c2a71d0b4e8a1"])
_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorBody, "description": "no such plan (plans live until the server restarts)"}
}
_NOT_READY: dict[int | str, dict[str, Any]] = {
    409: {"model": ErrorBody, "description": "the plan is queued, running or failed"}
}
_GEO_TABLES = frozenset(("sites", "fiber", "connections", "villages", "actions"))


def plan_options(body: PlanRequest) -> PlanOptions:
    """The library's options for a request (``only``: sites = mobile gaps, fiber = FTTH gaps)."""
    return PlanOptions(
        budget_vnd=body.budget_vnd,
        max_sites=body.max_sites,
        operator=body.operator.value if body.operator is not None else None,
        target=body.target,
        annual_budget_vnd=body.annual_budget_vnd,
        mobile=body.only != "fiber",
        ftth=body.only != "sites",
    )


def status_payload(job: PlanJob) -> dict[str, Any]:
    """A job as :class:`~coverage_gis_api.models_plans.PlanStatus`."""
    done = job.state == "done"
    links = {name: f"/v1/plans/{job.id}/{name}" for name in ("site-edits", *SHEET_TITLES)} if done else {}
    return {
        "id": job.id,
        "state": job.state,
        "progress": job.progress,
        "step": job.step,
        "revision": job.revision,
        "request": job.request,
        "created": job.created,
        "started": job.started,
        "finished": job.finished,
        "elapsed_s": job.elapsed_s,
        "error": {"type": job.error_type, "message": job.error} if job.state == "failed" else None,
        "summary": job.summary if done else None,
        "links": links,
    }


def create_router(ctx: AppContext) -> APIRouter:
    """The plan endpoints bound to ``ctx``."""
    reader, writer = principal_dependencies(ctx)
    router = APIRouter(tags=["plans"], responses=ERROR_RESPONSES)
    Reader = Annotated[Principal, Depends(reader)]
    Writer = Annotated[Principal, Depends(writer)]
    PlanId = Annotated[str, _PLAN_ID]

    def headers(job: PlanJob) -> dict[str, str]:
        return {"ETag": etag_for(job.revision)}

    @router.post(
        "/v1/plans",
        summary="Plan the sites and fiber that close the gaps (runs in the background)",
        status_code=202,
        response_model=None,
        responses={
            202: {"model": PlanStatus, "description": "queued; poll `Location` until `state` is done"},
            401: {"model": ErrorBody, "description": "no API key, or one that is not valid"},
            403: {
                "model": ErrorBody,
                "description": "the key's role may not run plans (planner or admin may)",
            },
            409: {"model": ErrorBody, "description": "too many plans queued or running"},
            413: {"model": ErrorBody, "description": "request body over the size limit"},
        },
    )
    def submit_plan(who: Writer, body: PlanRequest) -> Response:
        check_plan(who)
        options = plan_options(body)
        options.check()
        view = ctx.view()
        if body.target is not None:
            try:
                view.analysis.plan(body.target)
            except NotFound as exc:
                raise InvalidField(str(exc), field="target") from None
        job = ctx.plan_jobs.submit(
            view.analysis,
            options,
            revision=view.revision,
            author=who.author,
            request=body.model_dump(mode="json", exclude_none=True),
        )
        return json_response(
            status_payload(job),
            status_code=202,
            headers={**headers(job), "Location": f"/v1/plans/{job.id}"},
        )

    @router.get(
        "/v1/plans",
        summary="Plans of this server, newest first",
        response_model=None,
        responses={200: {"model": PlanList}},
    )
    def list_plans(_who: Reader) -> Response:
        items = [status_payload(job) for job in ctx.plan_jobs.jobs()]
        return json_response({"items": items}, headers={"ETag": ctx.view().etag})

    @router.get(
        "/v1/plans/{plan_id}",
        summary="A plan's state and progress; when done, its summary and table links",
        response_model=None,
        responses={200: {"model": PlanStatus}, **_NOT_FOUND},
    )
    def get_plan(_who: Reader, plan_id: PlanId) -> Response:
        job = ctx.plan_jobs.get(plan_id)
        return json_response(status_payload(job), headers=headers(job))

    @router.get(
        "/v1/plans/{plan_id}/site-edits",
        summary="The proposed sites as one batch of site edits (`covgis sites apply` takes it)",
        response_model=None,
        responses={200: {"model": PlanSiteEdits}, **_NOT_FOUND, **_NOT_READY},
    )
    def plan_site_edits(
        _who: Reader,
        plan_id: PlanId,
        status: Annotated[
            Literal["on_air", "planned"],
            Query(description="record the new sites and cells as on air (default) or planned"),
        ] = "on_air",
    ) -> Response:
        job = ctx.plan_jobs.get(plan_id)
        records = job.result().site_edit_records(status=status)
        out = headers(job) | {"Content-Disposition": f'inline; filename="plan-{job.id}-site-edits.json"'}
        return json_response(records, headers=out)

    @router.get(
        "/v1/plans/{plan_id}/{table}",
        summary="A finished plan's table: proposed sites, new fiber, connections, villages, actions, curve",
        response_model=None,
        responses={
            200: {
                "model": PlanTable,
                "content": {
                    "application/geo+json": {},
                    "text/csv": {},
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {},
                },
                "description": "JSON records, or the table as GeoJSON (not `curve`), CSV or XLSX",
            },
            **_NOT_FOUND,
            **_NOT_READY,
        },
    )
    def get_plan_table(
        _who: Reader,
        plan_id: PlanId,
        table: Annotated[PlanTableName, Path(description="which table")],
        format: Annotated[Literal["json", "geojson", "csv", "xlsx"], Query()] = "json",
        lang: Annotated[Literal["vi", "en"], Query(description="XLSX header language")] = "vi",
    ) -> Response:
        job = ctx.plan_jobs.get(plan_id)
        frame = plan_table(job.result(), table)
        name = f"plan-{job.id}-{table}"
        out = headers(job) | {"X-Total-Count": str(len(frame))}
        if format == "json":
            body = (
                f'{{"plan_id":"{job.id}","table":"{table}","revision":{job.revision},'
                f'"total":{len(frame)},"items":{records_json(tabular(frame))}}}'
            )
            return Response(body, media_type=MEDIA_TYPES["json"], headers=out)
        if format == "geojson":
            if table not in _GEO_TABLES:
                raise InvalidField(
                    f"the {table} table has no geometry; ask for json, csv or xlsx", field="format"
                )
            return render(frame, "geojson", name=name, allowed=("geojson",), headers=out)
        if format == "csv":
            return render(tabular(frame), "csv", name=name, allowed=("csv",), headers=out)
        title = SHEET_TITLES[table][0 if lang == "vi" else 1]
        body_bytes = xlsx_bytes([Sheet(title, frame, TABLE_LABELS[table])], lang=lang)
        out["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
        return Response(body_bytes, media_type=MEDIA_TYPES["xlsx"], headers=out)

    return router


__all__ = ["create_router", "plan_options", "status_payload"]
