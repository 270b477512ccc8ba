"""Read endpoints: health, villages, gaps, KPIs (and their history), scorecard, point
coverage and revisions.

Routes only translate HTTP to library calls: they read the current
:class:`~coverage_gis_api.context.WorkspaceView` (derived frames cached per revision), filter
and page, and render JSON or a download format (:mod:`coverage_gis_api.export`). Every response
carries the revision's ``ETag``.
"""

# No `from __future__ import annotations`: FastAPI resolves the parameter annotations of
# the route functions, some of which are aliases local to create_router.

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import numpy as np
import pandas as pd
from fastapi import APIRouter, Depends, Path, Query, Response
from fastapi.concurrency import run_in_threadpool

from coverage_gis.admin import LEVELS
from coverage_gis.cell_index import CellIndex
from coverage_gis.coverage import WorkspaceArea, coverage_at_point
from coverage_gis.crs import BBox
from coverage_gis.errors import NotFound
from coverage_gis.kpi import require_unit
from coverage_gis.kpi_labels import kpi_labels, labelled_headers
from coverage_gis.messages import gap_labels, translated_gaps
from coverage_gis.province_report import province_names, report_bytes
from coverage_gis.reports import download_stem
from coverage_gis.revisions import SnapshotKey, kpi_snapshots
from coverage_gis.scorecard import plan_elsewhere_note, plan_units_2025
from coverage_gis_api.bbox import bbox_mask, bbox_query
from coverage_gis_api.context import AppContext, WorkspaceView
from coverage_gis_api.export import MEDIA_TYPES, attachment, json_response, records, records_json, render
from coverage_gis_api.models import ErrorBody, Operator
from coverage_gis_api.models_read import (
    GapList,
    Health,
    KpiHistory,
    KpiList,
    PointCoverage,
    RevisionList,
    Scorecard,
    Village,
    VillagePage,
)
from coverage_gis_api.security import Principal, principal_dependencies

LevelName = Literal["province", "district", "commune", "province_2025", "commune_2025"]
_CODE = Query(max_length=32, pattern=r"^[0-9A-Za-z_.\-]+$")
#: Language of labels and headers (spreadsheets: Vietnamese unless asked).
LangQuery = Annotated[
    Literal["vi", "en"] | None,
    Query(description="labels and headers in Vietnamese or English (XLSX: Vietnamese by default)"),
]
#: CSV separator: `;` also writes decimal commas (Excel in a Vietnamese locale).
SepQuery = Annotated[Literal[",", ";"], Query(description="CSV separator (`;` with decimal commas)")]

ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "API key missing (anonymous reads off) or not valid"},
    404: {"model": ErrorBody, "description": "no such object (a village, a plan, an admin unit's code)"},
    422: {"model": ErrorBody, "description": "a parameter is malformed; `field` names it"},
}


#: Admin filter → the KPI level whose codes it takes.
_FILTER_LEVELS: dict[str, str] = {
    "province_code": "province",
    "district_code": "district",
    "commune_code": "commune",
    "province_2025": "province_2025",
    "commune_2025": "commune_2025",
}


def place_name(view: WorkspaceView) -> str:
    """The province(s) of the view, for download file names."""
    return view.cached("place", lambda: province_names(view.kpis("province")))


def file_stem(view: WorkspaceView, what: str) -> str:
    """A download's file name (no extension): what, the province and the revision."""
    return download_stem(what, place=place_name(view), revision=view.revision)


@dataclass(frozen=True)
class AdminFilter:
    """Admin codes to match; each is the code ``/v1/kpis`` reports for its level."""

    province_code: str | None = None
    district_code: str | None = None
    commune_code: str | None = None
    province_2025: str | None = None
    commune_2025: str | None = None

    def check(self, view: WorkspaceView) -> None:
        """NotFound (404) for a code no unit of its level has: an unknown code is an
        error, not an empty answer."""
        for column, wanted in vars(self).items():
            if wanted is not None:
                level = _FILTER_LEVELS[column]
                require_unit(view.kpis(level), level, wanted)

    def needs(self) -> tuple[str, ...]:
        """The view's cached items :meth:`check` reads (see :meth:`WorkspaceView.answer`)."""
        return tuple(
            WorkspaceView.kpi_key(_FILTER_LEVELS[column]) for column, wanted in vars(self).items() if wanted
        )

    def mask(self, frame: pd.DataFrame) -> np.ndarray:
        keep = np.ones(len(frame), dtype=bool)
        for column, wanted in vars(self).items():
            if wanted is not None:
                keep &= (frame[column].to_numpy(dtype=object) == wanted).astype(bool)
        return keep


async def admin_filter(
    province_code: Annotated[str | None, _CODE] = None,
    district_code: Annotated[str | None, _CODE] = None,
    commune_code: Annotated[
        str | None,
        Query(
            max_length=32,
            pattern=r"^[0-9A-Za-z_.\-]+$",
            description="pre-2025 commune (GSO code, or census id where the commune has none)",
        ),
    ] = None,
    province_2025: Annotated[
        str | None, Query(max_length=32, pattern=r"^[0-9A-Za-z_.\-]+$", description="2025 province code")
    ] = None,
    commune_2025: Annotated[
        str | None, Query(max_length=32, pattern=r"^[0-9A-Za-z_.\-]+$", description="2025 commune code")
    ] = None,
) -> AdminFilter:
    return AdminFilter(province_code, district_code, commune_code, province_2025, commune_2025)


def _headers(view: WorkspaceView, total: int | None = None) -> dict[str, str]:
    headers = {"ETag": view.etag}
    if total is not None:
        headers["X-Total-Count"] = str(total)
    return headers


def _json_page(view: WorkspaceView, items: bytes, *, total: int, limit: int, offset: int) -> Response:
    head = f'{{"total":{total},"limit":{limit},"offset":{offset},"items":'.encode()
    return Response(head + items + b"}", media_type="application/json", headers=_headers(view, total))


def _history_items(
    history: pd.DataFrame, keep: Callable[[SnapshotKey], bool] | None = None
) -> list[dict[str, Any]]:
    """The log's revisions; with ``keep``, each with ``kpis``: its snapshot's rows whose
    (level, code) ``keep`` accepts ([] where the revision recorded none)."""
    items = []
    snapshots = kpi_snapshots(history) if keep is not None else None
    for row in records(history):
        item = {k: row.get(k) for k in ("revision", "time", "author", "summary")}
        for key, target in (("changed_ids", "changed_ids"), ("dirty_bbox", "dirty_bbox")):
            text = row.get(key)
            item[target] = json.loads(text) if isinstance(text, str) and text else None
        if snapshots is not None and keep is not None:
            _, snapshot = next(snapshots)
            item["kpis"] = [r for key, r in (snapshot or {}).items() if keep(key)]
        items.append(item)
    return items


def create_router(ctx: AppContext) -> APIRouter:
    """The read endpoints bound to ``ctx``."""
    reader, _ = principal_dependencies(ctx)
    settings = ctx.settings
    router = APIRouter(responses=ERROR_RESPONSES)
    Reader = Annotated[Principal, Depends(reader)]
    Limit = Annotated[
        int,
        Query(ge=1, le=settings.max_page_size, description=f"page size (at most {settings.max_page_size})"),
    ]
    Offset = Annotated[int, Query(ge=0, description="rows to skip")]

    def history(view: WorkspaceView) -> pd.DataFrame:
        # The log may have grown since the view's revision: show it as of that revision.
        def upto_view() -> pd.DataFrame:
            log = ctx.live.history()
            return log[log["revision"] <= view.revision].reset_index(drop=True)

        return view.cached("history", upto_view)

    @router.get(
        "/health",
        tags=["meta"],
        summary="Service status, workspace, revision and counts",
        response_model=None,
        responses={200: {"model": Health}},
    )
    async def health(_who: Reader) -> Response:
        view = await ctx.view_async()
        return await view.answer(("villages",), lambda: _health(view))

    def _health(view: WorkspaceView) -> Response:
        villages = view.villages()
        counts = {
            "villages": len(villages),
            "sites": len(view.analysis.layers.sites),
            "cells": len(view.analysis.layers.cells),
            "mobile_bb": int(villages["mobile_bb"].sum()),
            "ftth": int(villages["ftth"].sum()),
        }
        payload = {
            "status": "ok",
            "workspace": ctx.live.workspace.config.name,
            "revision": view.revision,
            "counts": counts,
        }
        return json_response(payload, headers=_headers(view))

    @router.get(
        "/v1/villages",
        tags=["villages"],
        summary="Villages with their coverage, filtered and paged",
        response_model=None,
        responses={
            200: {
                "model": VillagePage,
                "content": {
                    "application/geo+json": {},
                    "text/csv": {},
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {},
                },
                "description": "a page of villages; `total` (and X-Total-Count) counts every match",
            }
        },
    )
    async def villages(
        _who: Reader,
        admin: Annotated[AdminFilter, Depends(admin_filter)],
        bbox: Annotated[BBox | None, Depends(bbox_query)],
        mobile: Annotated[bool | None, Query(description="has mobile broadband")] = None,
        ftth: Annotated[bool | None, Query(description="has FTTH")] = None,
        operator: Annotated[
            Operator | None, Query(description="served by this operator's mobile broadband")
        ] = None,
        limit: Limit = settings.default_page_size,
        offset: Offset = 0,
        format: Annotated[Literal["json", "geojson", "csv", "xlsx"], Query()] = "json",
        lang: LangQuery = None,
        sep: SepQuery = ",",
    ) -> Response:
        view = await ctx.view_async()

        def respond() -> Response:
            admin.check(view)
            table = view.villages()
            keep = admin.mask(table) & view.village_points().mask(bbox)
            if mobile is not None:
                keep &= table["mobile_bb"].to_numpy(dtype=bool) == mobile
            if ftth is not None:
                keep &= table["ftth"].to_numpy(dtype=bool) == ftth
            if operator is not None:
                ops = table["operators"].fillna("").astype(str)
                keep &= ops.str.split(",").apply(lambda names: operator.value in names).to_numpy(dtype=bool)
            # Positions first: only the page's rows are copied out of the table.
            rows = np.flatnonzero(keep)
            total = int(rows.size)
            page = rows[offset : offset + limit]
            if format == "json":
                items = view.village_rows().json(page)
                return _json_page(view, items, total=total, limit=limit, offset=offset)
            return render(
                table.iloc[page],
                format,
                name=file_stem(view, "villages"),
                allowed=("geojson", "csv", "xlsx"),
                headers=_headers(view, total),
                lang=lang,
                sep=sep,
            )

        if format != "json" or operator is not None:
            # Files are slower to write, and the operator filter splits every village's
            # operator list: both always off the loop.
            return await run_in_threadpool(respond)
        return await view.answer(("villages", "village_rows", "village_points", *admin.needs()), respond)

    @router.get(
        "/v1/villages/{village_id}",
        tags=["villages"],
        summary="One village with its coverage",
        response_model=None,
        responses={200: {"model": Village}, 404: {"model": ErrorBody, "description": "no such village"}},
    )
    async def village(
        _who: Reader,
        village_id: Annotated[str, Path(max_length=128, examples=["V1"])],
    ) -> Response:
        view = await ctx.view_async()

        def respond() -> Response:
            positions = view.cached(
                "village_positions",
                lambda: {str(v): i for i, v in enumerate(view.villages()["village_id"].to_numpy())},
            )
            if village_id not in positions:
                raise NotFound(f"no village {village_id!r}")
            row = view.village_rows().records(np.array([positions[village_id]]))[0]
            return json_response(row, headers=_headers(view))

        return await view.answer(("villages", "village_positions", "village_rows"), respond)

    @router.get(
        "/v1/gaps",
        tags=["gaps"],
        summary="Ranked gap list with causes, recommendations and costs",
        response_model=None,
        responses={
            200: {
                "model": GapList,
                "content": {
                    "application/geo+json": {},
                    "text/csv": {},
                    "application/geopackage+sqlite3": {},
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {},
                },
            }
        },
    )
    def gaps(
        _who: Reader,
        admin: Annotated[AdminFilter, Depends(admin_filter)],
        bbox: Annotated[BBox | None, Depends(bbox_query)],
        kind: Annotated[Literal["mobile", "ftth", "5g"], Query(description="gap kind")] = "mobile",
        limit: Annotated[int | None, Query(ge=1, description="at most this many (default all)")] = None,
        offset: Offset = 0,
        format: Annotated[Literal["json", "geojson", "csv", "gpkg", "xlsx"], Query()] = "json",
        lang: LangQuery = None,
        sep: SepQuery = ",",
    ) -> Response:
        """With `lang`, JSON and GeoJSON rows add `reason_label`, `detail_label` and
        `recommendation_label` in that language; CSV and XLSX (Vietnamese unless
        `lang=en`) show words instead of codes."""
        view = ctx.view()
        admin.check(view)
        table = view.gaps(kind)
        matched = table[admin.mask(table) & bbox_mask(table, bbox)]
        total = len(matched)
        page = matched.iloc[offset : None if limit is None else offset + limit]
        if format in ("json", "geojson") and lang is not None:
            page = page.copy()
            for column, values in gap_labels(page, lang).items():
                page[f"{column}_label"] = values.to_numpy(dtype=object)
        elif format in ("csv", "xlsx") and (lang is not None or format == "xlsx"):
            page = translated_gaps(page, lang or "vi")
        if format == "json":
            body = f'{{"kind":"{kind}","total":{total},"items":{records_json(page)}}}'
            return Response(body, media_type="application/json", headers=_headers(view, total))
        return render(
            page,
            format,
            name=file_stem(view, f"gaps {kind}"),
            allowed=("geojson", "csv", "gpkg", "xlsx"),
            headers=_headers(view, total),
            lang=lang,
            sep=sep,
        )

    @router.get(
        "/v1/kpis",
        tags=["kpis"],
        summary="KPIs per admin unit of one level (either hierarchy)",
        description=(
            "Each field of a row says what it measures (village share, population share of the 2009 "
            "census, households passed, site sharing per site or per operator BTS, partial 2025 units). "
            "CSV and XLSX headers read `name: what it measures`."
        ),
        response_model=None,
        responses={
            200: {
                "model": KpiList,
                "content": {
                    "text/csv": {},
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {},
                },
            }
        },
    )
    async def kpis(
        _who: Reader,
        level: Annotated[LevelName, Query(description="admin level")] = "province",
        code: Annotated[str | None, _CODE] = None,
        limit: Annotated[int | None, Query(ge=1, description="at most this many units (default all)")] = None,
        offset: Offset = 0,
        format: Annotated[Literal["json", "csv", "xlsx"], Query()] = "json",
        lang: LangQuery = None,
        sep: SepQuery = ",",
    ) -> Response:
        """`code` names one unit (404 when the workspace has none with that code);
        `X-Total-Count` counts the units before `limit`/`offset`."""
        view = await ctx.view_async()

        def respond() -> Response:
            table = view.kpis(level)
            if code is not None:
                table = require_unit(table, level, code)
            total = len(table)
            if format == "json":
                # The level's table has a range index: its labels are row positions.
                rows = table.index.to_numpy()[offset : None if limit is None else offset + limit]
                body = b'{"level":"%s","items":%s}' % (level.encode(), view.kpi_rows(level).json(rows))
                return Response(body, media_type="application/json", headers=_headers(view, total))
            table = table.iloc[offset : None if limit is None else offset + limit]
            if format == "csv" and lang is None:
                # Column names for scripts, each saying what it measures (``name: label``).
                table = table.set_axis(labelled_headers(table.columns), axis=1)
            return render(
                table,
                format,
                name=file_stem(view, f"kpis {level}"),
                allowed=("csv", "xlsx"),
                headers=_headers(view, total),
                lang=lang,
                sep=sep,
                notes=kpi_labels(lang or "vi"),
            )

        if format != "json":
            return await run_in_threadpool(respond)
        return await view.answer((view.kpi_key(level), view.kpi_rows_key(level)), respond)

    @router.get(
        "/v1/kpis/history",
        tags=["kpis"],
        summary="KPI snapshots recorded with each revision, oldest first",
        response_model=None,
        responses={200: {"model": KpiHistory}},
    )
    def kpi_history(
        _who: Reader,
        level: Annotated[LevelName | None, Query(description="keep only snapshot rows of this level")] = None,
        code: Annotated[str | None, _CODE] = None,
    ) -> Response:
        view = ctx.view()

        def keep(key: SnapshotKey) -> bool:
            return (level is None or key[0] == level) and (code is None or key[1] == code)

        items = [
            {k: item[k] for k in ("revision", "time", "author", "summary", "kpis")}
            for item in _history_items(history(view), keep)
        ]
        return json_response({"items": items}, headers=_headers(view))

    @router.get(
        "/v1/scorecard",
        tags=["kpis"],
        summary="A plan's targets against the workspace: met / not met / no data",
        response_model=None,
        responses={200: {"model": Scorecard}, 404: {"model": ErrorBody, "description": "no such plan"}},
    )
    def scorecard(
        _who: Reader,
        plan: Annotated[
            str | None,
            Query(
                pattern=r"^[a-z0-9][a-z0-9\-]{0,63}$",
                description="plan id from data/plans (default: the workspace's plan)",
                examples=["binh-dinh-2025"],
            ),
        ] = None,
    ) -> Response:
        view = ctx.view()
        chosen = view.analysis.plan(plan)
        card = view.cached(f"scorecard:{chosen.id}", lambda: view.analysis.scorecard(chosen.id))
        units = view.cached(f"units_2025:{chosen.id}", lambda: plan_units_2025(chosen, view.analysis.inputs))
        payload = {
            "plan": chosen.id,
            "province_code": chosen.province_code,
            "title_en": chosen.title_en,
            "rows": records(card),
            "units_2025": records(units),
            "note": plan_elsewhere_note(chosen, view.analysis.inputs),
        }
        return json_response(payload, headers=_headers(view))

    @router.get(
        "/v1/coverage/point",
        tags=["coverage"],
        summary="Which operators and technologies serve a point",
        response_model=None,
        responses={
            200: {"model": PointCoverage},
            404: {"model": ErrorBody, "description": "the point lies outside the workspace's communes"},
        },
    )
    async def coverage_point(
        _who: Reader,
        lon: Annotated[float, Query(ge=-180, le=180, examples=[109.0])],
        lat: Annotated[float, Query(ge=-90, le=90, examples=[14.0])],
    ) -> Response:
        view = await ctx.view_async()
        analysis = view.analysis

        def respond() -> Response:
            # The first call builds both indexes (in a worker thread).
            index = view.cached(
                "cell_index", lambda: CellIndex.build(analysis.cells.arrays, analysis.model, hold_terms=True)
            )
            area = view.cached("workspace_area", lambda: WorkspaceArea.of(analysis.layers))
            if not area.contains(lon, lat):
                raise NotFound(
                    f"({lon}, {lat}) lies outside this workspace ({place_name(view) or 'its communes'}): "
                    "it holds no data there, so coverage at that point is unknown"
                )
            found = coverage_at_point(
                lon, lat, analysis.cells, model=analysis.model, metric_crs=analysis.metric_crs, index=index
            )
            return json_response(found, headers=_headers(view))

        return await view.answer(("cell_index", "workspace_area"), respond)

    @router.get(
        "/v1/report",
        tags=["kpis"],
        summary="The provincial report workbook (XLSX): KPIs, scorecard, gap lists, sources",
        response_model=None,
        responses={
            200: {
                "content": {MEDIA_TYPES["xlsx"]: {}},
                "description": "sheets: about, KPIs by province/district/commune (both hierarchies), "
                "scorecard, mobile/FTTH/5G gaps",
            }
        },
    )
    def report(
        _who: Reader,
        lang: Annotated[Literal["vi", "en"], Query(description="headers and words")] = "vi",
        money: Annotated[
            Literal["dong", "million"], Query(description="money in whole đồng or triệu đồng")
        ] = "dong",
    ) -> Response:
        view = ctx.view()
        kpis = pd.concat([view.kpis(level) for level in LEVELS], ignore_index=True)
        body = report_bytes(view.analysis, lang=lang, money=money, gaps=view.gaps, kpis=kpis)
        name = file_stem(view, "bao cao" if lang == "vi" else "report")
        headers = _headers(view) | {"Content-Disposition": attachment(f"{name}.xlsx")}
        return Response(body, media_type=MEDIA_TYPES["xlsx"], headers=headers)

    @router.get(
        "/v1/revisions",
        tags=["revisions"],
        summary="The workspace's change log, newest first",
        response_model=None,
        responses={200: {"model": RevisionList}},
    )
    def revisions(
        _who: Reader,
        limit: Limit = settings.default_page_size,
        offset: Offset = 0,
    ) -> Response:
        view = ctx.view()
        items = _history_items(history(view))
        items.reverse()
        payload = {"total": len(items), "items": items[offset : offset + limit]}
        return json_response(payload, headers=_headers(view, len(items)))

    return router
