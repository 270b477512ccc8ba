"""The application builder: :func:`create_app` wires settings, context, routers and middleware.

Nothing is created at import time. The workspace is opened by the app's lifespan
(startup fails fast on a bad workspace) and forgotten at shutdown. Routers are
endpoint factories taking the shared :class:`~coverage_gis_api.context.AppContext`: the
query API (:mod:`coverage_gis_api.routes_read`, :mod:`coverage_gis_api.routes_sites`,
:mod:`coverage_gis_api.routes_measurements`), the
tiles (:mod:`coverage_gis_api.routes_tiles`) and the web map (:mod:`coverage_gis_api.routes_web`).

Middleware: a request-body limit (413 above ``settings.max_body_bytes``, from
``Content-Length`` and while reading) and CORS, off unless origins are configured.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
from fastapi import Depends, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from coverage_gis import __version__
from coverage_gis.runtime import freeze_long_lived
from coverage_gis.storage.base import redact_url
from coverage_gis.tiles import TileService
from coverage_gis_api import (
    routes_measurements,
    routes_ogc,
    routes_plans,
    routes_read,
    routes_sites,
    routes_tiles,
    routes_web,
)
from coverage_gis_api.context import AppContext
from coverage_gis_api.errors import error_response, install_error_handlers
from coverage_gis_api.security import principal_dependencies
from coverage_gis_api.settings import Settings
from coverage_gis_api.tile_hits import TileHits

_DESCRIPTION = """\
Village-level mobile and FTTH coverage, KPIs, plan scorecards and gap lists for
Vietnamese provinces (coverage-gis).

* Reads (the query API, tiles and the map style) are open unless the server runs with
  `COVGIS_ANONYMOUS_READ=false`; edits need an API key (`X-API-Key` or
  `Authorization: Bearer`) made with `covgis keys add`.
* Every read returns `ETag: "rev-<revision>"`; edits must send it back in `If-Match`.
* Errors are `{"error": {"status", "type", "message", "field"}}`.
"""


class BodyLimitMiddleware:
    """Reject request bodies over ``max_bytes`` with 413, before the app parses them.

    A declared ``Content-Length`` over the limit is refused at once; otherwise the body
    is read (counting, so a chunked or lying client is caught too) and replayed to the
    app. Bodies are small by design (site edits), so buffering is fine.
    """

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = error_response(
            413,
            "InputTooLarge",
            f"request body over the limit of {self.max_bytes} bytes",
            field="body",
        )
        await response(scope, receive, send)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = None
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    response = error_response(400, "BadRequest", "Content-Length is not a number")
                    await response(scope, receive, send)
                    return
        if declared is not None and declared > self.max_bytes:
            await self._too_large(scope, receive, send)
            return
        if scope.get("method") in ("GET", "HEAD", "OPTIONS") and not declared:
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body = message.get("body", b"")
            size += len(body)
            if size > self.max_bytes:
                await self._too_large(scope, receive, send)
                return
            chunks.append(body)
            if not message.get("more_body", False):
                break
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the API application.

    Parameters
    ----------
    settings
        The app's settings; read from ``COVGIS_*`` environment variables when None.

    Returns
    -------
    FastAPI
        The app; ``app.state.ctx`` is its :class:`~coverage_gis_api.context.AppContext`. Run it with
        uvicorn (``covgis serve``). In tests use ``with TestClient(app)`` so that the
        lifespan opens the workspace (without it the workspace opens on first use).
    """
    settings = settings or Settings()
    ctx = AppContext(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await anyio.to_thread.run_sync(ctx.open)
        await _warm_up(app)
        # The workspace's tables live as long as the server. A full pass of the cyclic
        # garbage collector walked all their objects (0.1 s at national scale), a pause
        # every client in flight waited for; frozen, it walks only what came after, and
        # tables built later for a revision (the map's tile sources) are frozen too.
        freeze_long_lived(True)
        try:
            yield
        finally:
            ctx.close()
            freeze_long_lived(False)  # collectable again (tests run many apps in one process)

    app = FastAPI(
        title="coverage-gis API",
        version=__version__,
        description=_DESCRIPTION,
        lifespan=lifespan,
        # FastAPI's own /docs and /redoc load their scripts from a CDN: /docs is served
        # from the swagger-ui-bundle-v2 wheel instead (routes_web.install_docs).
        docs_url=None,
        redoc_url=None,
    )
    app.state.ctx = ctx
    install_error_handlers(app, redact=_redactions(settings.location))

    # Every route that shows workspace data needs the same reader (a test enumerates them).
    reader, _ = principal_dependencies(ctx)
    app.include_router(routes_read.create_router(ctx))
    app.include_router(routes_sites.create_router(ctx))
    app.include_router(routes_plans.create_router(ctx))
    app.include_router(routes_measurements.create_router(ctx))
    tiles = TileService()
    app.include_router(routes_tiles.create_router(ctx, service=tiles, dependencies=[Depends(reader)]))
    app.include_router(routes_web.create_router(ctx, dependencies=[Depends(reader)]))
    app.include_router(routes_ogc.create_router(ctx, dependencies=[Depends(reader)]))
    routes_web.install_docs(app, title=app.title)

    # Innermost (added first): cached tiles answered before routing, inside the body
    # limit and CORS like every route (coverage_gis_api.tile_hits).
    app.add_middleware(TileHits, ctx=ctx, service=tiles)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PATCH", "DELETE", "OPTIONS"],
            allow_headers=["X-API-Key", "Authorization", "If-Match", "Content-Type"],
            expose_headers=["ETag", "X-Total-Count", "Location"],
        )
    return app


async def _warm_up(app: FastAPI) -> None:
    """Answer one request that no route matches, in process, before the first client.

    Starlette builds the middleware stack, and FastAPI each included router's table of
    routes, on the first request that reaches them: tens of milliseconds that the first
    clients of a fresh server would queue behind. A path no route matches walks every
    router.
    """
    path = "/.warm-up"
    scope: Scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"localhost")],
        "client": ("127.0.0.1", 0),
        "server": ("127.0.0.1", 0),
    }

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(_message: Message) -> None:
        return None

    await app(scope, receive, send)


def _redactions(location: str | Path) -> dict[str, str]:
    """What error messages must not show of the served workspace: its full path, or its URL's password."""
    if isinstance(location, Path):
        return {str(location.resolve()): location.name, str(location): location.name}
    shown = redact_url(location)
    return {location: shown} if shown != location else {}
