"""Site endpoints: list and read sites with their cells; add, change and remove them.

Writes follow optimistic concurrency: every read carries ``ETag: "rev-<revision>"``
and every write must send it back in ``If-Match`` (428 without it, 412 when the
workspace has moved on). ``If-Match`` compares strongly (RFC 9110 §13.1.1): a weak
tag ``W/"rev-3"`` never matches, and a list matches when any of its tags does. The
caller's role is checked here, before the engine runs
(:func:`coverage_gis_api.security.check_can_edit`); whether the caller may change
each touched site is checked by the engine on the state the edit is planned on
(:func:`coverage_gis_api.security.check_site_edit` as its permit), as are the
revision and the edit itself — validation, incremental recompute, the new revision
(:class:`~coverage_gis.live.LiveWorkspace`).
"""

# No `from __future__ import annotations`: FastAPI resolves the parameter annotations of
# the route functions, some of which are aliases local to create_router.

import re
from collections.abc import Mapping, Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Path, Query, Response

from coverage_gis.crs import BBox
from coverage_gis.errors import NotFound, StaleRevision
from coverage_gis.live import ChangeResult, LiveWorkspace, SitePermit
from coverage_gis.site_edits import SiteEdit, site_records
from coverage_gis_api.bbox import bbox_mask, bbox_query
from coverage_gis_api.context import AppContext, WorkspaceView, etag_for
from coverage_gis_api.errors import InvalidField, PreconditionRequired
from coverage_gis_api.export import json_response
from coverage_gis_api.models import ErrorBody, Operator, Status
from coverage_gis_api.models_sites import ChangeOut, SiteCreate, SiteOut, SitePage, SitePatch
from coverage_gis_api.routes_read import ERROR_RESPONSES
from coverage_gis_api.security import Principal, check_can_edit, check_site_edit, principal_dependencies

_ETAG = re.compile(r'^"rev-(\d{1,18})"$')
_SITE_ID = Path(max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:\-]{0,63}$", examples=["S1"])

WRITE_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorBody, "description": "malformed request (e.g. not JSON)"},
    401: {"model": ErrorBody, "description": "no API key, or one that is not valid"},
    403: {"model": ErrorBody, "description": "the key's role may not edit this site"},
    404: {"model": ErrorBody, "description": "no such site"},
    409: {"model": ErrorBody, "description": "duplicate id, or another writer holds the workspace"},
    412: {"model": ErrorBody, "description": "If-Match is not the current ETag: reload and retry"},
    413: {"model": ErrorBody, "description": "request body over the size limit"},
    422: {"model": ErrorBody, "description": "a field is invalid; `field` names it"},
    428: {"model": ErrorBody, "description": "If-Match is required"},
}


def expected_revision(if_match: str | None) -> frozenset[int]:
    """The revisions an ``If-Match`` header names (any of them may be current).

    Raises
    ------
    PreconditionRequired
        No header, or ``*`` (a site edit must name the revision it was based on).
    StaleRevision
        A header that names no revision of this API with a strong tag (it cannot
        match the current ETag).
    """
    if if_match is None or not if_match.strip() or if_match.strip() == "*":
        raise PreconditionRequired(
            'edits need If-Match with the ETag of your last read, e.g. If-Match: "rev-3"', field="If-Match"
        )
    found = {int(m.group(1)) for part in if_match.split(",") if (m := _ETAG.match(part.strip()))}
    if not found:
        raise StaleRevision(
            f'If-Match {if_match[:100]!r} names no current ETag (a strong tag "rev-N"; '
            "weak tags never match); read again and retry"
        )
    return frozenset(found)


def _sites_from_view(view: WorkspaceView, site_ids: Sequence[str]) -> list[dict[str, Any]]:
    layers = view.analysis.layers
    return site_records(layers.sites, layers.cells, site_ids)


def _check_cell_site_ids(site_id: str, cells: Sequence[Any] | None) -> None:
    for i, cell in enumerate(cells or ()):
        if cell.site_id is not None and cell.site_id != site_id:
            raise InvalidField(
                f"cells.{i}.site_id: cell {cell.cell_id!r} names site {cell.site_id!r}, not {site_id!r}",
                field=f"cells.{i}.site_id",
            )


def _change_payload(result: ChangeResult, site: dict[str, Any] | None) -> dict[str, Any]:
    return {
        "revision": result.revision,
        "etag": etag_for(result.revision),
        "summary": result.summary,
        "changed_site_ids": list(result.changed_site_ids),
        "changed_village_ids": list(result.changed_village_ids),
        "gained_mobile": list(result.gained_mobile),
        "lost_mobile": list(result.lost_mobile),
        "dirty_bbox": list(result.dirty_bbox) if result.dirty_bbox is not None else None,
        "kpi_before": dict(result.kpi_before),
        "kpi_after": dict(result.kpi_after),
        "kpi_delta": dict(result.kpi_delta),
        "elapsed_ms": float(result.elapsed_ms),
        "site": site,
    }


def create_router(ctx: AppContext) -> APIRouter:
    """The site endpoints bound to ``ctx``."""
    reader, writer = principal_dependencies(ctx)
    settings = ctx.settings
    router = APIRouter(tags=["sites"])
    Reader = Annotated[Principal, Depends(reader)]
    Writer = Annotated[Principal, Depends(writer)]
    IfMatch = Annotated[
        str | None,
        Header(
            alias="If-Match", description='the ETag of your last read, e.g. "rev-3"', examples=['"rev-3"']
        ),
    ]

    def permit(who: Principal) -> SitePermit:
        def check(site_id: str, before: Mapping[str, Any] | None, after: Mapping[str, Any] | None) -> None:
            check_site_edit(who, site_id, before, after)

        return check

    def after_write(
        written: tuple[ChangeResult, WorkspaceView], site_id: str | None, *, status_code: int = 200
    ) -> Response:
        result, view = written
        site = None
        if site_id is not None:
            try:
                (site,) = _sites_from_view(view, [site_id])
            except NotFound:
                site = None
        headers = {"ETag": etag_for(result.revision)}
        if status_code == 201 and site_id is not None:
            headers["Location"] = f"/v1/sites/{site_id}"
        return json_response(_change_payload(result, site), status_code=status_code, headers=headers)

    @router.get(
        "/v1/sites",
        summary="Sites with their cells, filtered and paged",
        response_model=None,
        responses={200: {"model": SitePage}, **ERROR_RESPONSES},
    )
    def list_sites(
        _who: Reader,
        bbox: Annotated[BBox | None, Depends(bbox_query)],
        operator: Annotated[Operator | None, Query(description="sites with a cell of this operator")] = None,
        status: Annotated[Status | None, Query(description="site status")] = None,
        limit: Annotated[int, Query(ge=1, le=settings.max_page_size)] = settings.default_page_size,
        offset: Annotated[int, Query(ge=0)] = 0,
    ) -> Response:
        view = ctx.view()
        sites = view.sites()
        keep = bbox_mask(sites, bbox)
        if status is not None:
            keep &= sites["status"].to_numpy(dtype=object) == status.value
        if operator is not None:
            cells = view.analysis.layers.cells
            with_op = cells.loc[cells["operator"] == operator.value, "site_id"].unique()
            # Hashed: np.isin compares object arrays pair by pair (sites × sites of the operator).
            keep &= sites["site_id"].isin(with_op).to_numpy(dtype=bool)
        matched = sites[keep]
        page = matched.iloc[offset : offset + limit]
        items = _sites_from_view(view, [str(s) for s in page["site_id"]])
        payload = {"total": len(matched), "limit": limit, "offset": offset, "items": items}
        return json_response(payload, headers={"ETag": view.etag, "X-Total-Count": str(len(matched))})

    @router.get(
        "/v1/sites/{site_id}",
        summary="One site with its cells",
        response_model=None,
        responses={200: {"model": SiteOut}, 404: {"model": ErrorBody}, **ERROR_RESPONSES},
    )
    def get_site(_who: Reader, site_id: Annotated[str, _SITE_ID]) -> Response:
        view = ctx.view()
        (site,) = _sites_from_view(view, [site_id])
        return json_response(site, headers={"ETag": view.etag})

    @router.post(
        "/v1/sites",
        summary="Add a site with its cells (incremental recompute, new revision)",
        status_code=201,
        response_model=None,
        responses={201: {"model": ChangeOut}, **WRITE_RESPONSES},
    )
    def add_site(who: Writer, body: SiteCreate, if_match: IfMatch = None) -> Response:
        check_can_edit(who)
        expected = expected_revision(if_match)
        _check_cell_site_ids(body.site_id, body.cells)
        site, cells = body.engine_site(), body.engine_cells()

        def change(live: LiveWorkspace) -> ChangeResult:
            edit = SiteEdit(
                op="add",
                site_id=body.site_id,
                site={k: v for k, v in site.items() if k != "site_id"},
                cells=cells,
            )
            return live.apply([edit], author=who.author, expected_revision=expected, permit=permit(who))

        return after_write(ctx.write_view(change), body.site_id, status_code=201)

    @router.patch(
        "/v1/sites/{site_id}",
        summary="Change a site's fields, position or (whole) cell list",
        response_model=None,
        responses={200: {"model": ChangeOut}, **WRITE_RESPONSES},
    )
    def update_site(
        who: Writer,
        site_id: Annotated[str, _SITE_ID],
        body: SitePatch,
        if_match: IfMatch = None,
    ) -> Response:
        check_can_edit(who)
        expected = expected_revision(if_match)
        _check_cell_site_ids(site_id, body.cells)
        changes, cells = body.engine_changes(), body.engine_cells()
        if not changes and cells is None:
            raise InvalidField("nothing to change: give at least one field", field="body")

        def change(live: LiveWorkspace) -> ChangeResult:
            edit = SiteEdit(op="update", site_id=site_id, site=changes, cells=cells)
            return live.apply([edit], author=who.author, expected_revision=expected, permit=permit(who))

        return after_write(ctx.write_view(change), site_id)

    @router.delete(
        "/v1/sites/{site_id}",
        summary="Remove a site and its cells",
        response_model=None,
        responses={200: {"model": ChangeOut}, **WRITE_RESPONSES},
    )
    def remove_site(who: Writer, site_id: Annotated[str, _SITE_ID], if_match: IfMatch = None) -> Response:
        check_can_edit(who)
        expected = expected_revision(if_match)

        def change(live: LiveWorkspace) -> ChangeResult:
            edit = SiteEdit(op="remove", site_id=site_id)
            return live.apply([edit], author=who.author, expected_revision=expected, permit=permit(who))

        return after_write(ctx.write_view(change), None)

    return router


__all__ = ["create_router", "expected_revision"]
