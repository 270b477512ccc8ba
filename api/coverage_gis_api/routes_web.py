"""The web gap map and the API docs page: everything a browser loads, all from this server.

Owns what a browser loads: ``api/static/`` (``index.html``, ``app.js``, ``app.css``,
the label glyphs in ``static/glyphs``), MapLibre GL JS from the installed ``maplibre``
wheel (``maplibre-gl.js`` and ``maplibre-gl.css``) and Swagger UI from the
``swagger-ui-bundle-v2`` wheel (``/static/swagger/…``, the ``/docs`` page) — found in
the package folders at run time, no CDN, so the map and the docs work offline — plus

- ``/map/style.json``, built from ``layers/*.yaml`` by
  :func:`coverage_gis.tiles.style.build_style`;
- ``/map/glyphs/{fontstack}/{range}.pbf``, the label glyphs (an empty range for
  characters the shipped ranges do not hold, so MapLibre never reports a failure);
- ``/map/gap-routes.geojson``, the proposed fiber route of each FTTH gap
  (:func:`coverage_gis.gap_routes.ftth_gap_routes`), built once per revision.

Static files are read once, kept in memory with a gzip copy and an ETag, and re-read
when their modification time changes.
"""

from __future__ import annotations

import gzip
import hashlib
import importlib.util
import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path as FilePath
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Path, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.openapi.docs import get_swagger_ui_html

from coverage_gis.errors import NotFound
from coverage_gis.gap_routes import ftth_gap_routes
from coverage_gis.tiles.glyphs import encode_glyphs, glyph_file_name, glyph_range
from coverage_gis.tiles.style import build_style
from coverage_gis_api.context import ServingContext
from coverage_gis_api.routes_tiles import accepts_gzip, current, etag_matches

#: The page and its scripts (next to this module).
STATIC_DIR = FilePath(__file__).resolve().parent / "static"
#: Files served from the ``maplibre`` wheel rather than ``api/static``.
MAPLIBRE_FILES: tuple[str, ...] = ("maplibre-gl.js", "maplibre-gl.css")
#: Files of the ``swagger-ui-bundle-v2`` wheel the ``/docs`` page loads (``/static/swagger/…``).
SWAGGER_FILES: tuple[str, ...] = ("swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png")
#: Where the page's label glyphs are (``coverage_gis.tiles.glyphs``; SOURCE.md there).
GLYPH_DIR = "glyphs"
_MEDIA_TYPES: dict[str, str] = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".map": "application/json",
}
_COMPRESSIBLE = frozenset({".html", ".js", ".css", ".json", ".svg", ".map"})
#: Our own files revalidate every load (an upgrade shows at once); the pinned
#: MapLibre build may be kept for a day.
_APP_CACHE_CONTROL = "no-cache"
_LIBRARY_CACHE_CONTROL = "public, max-age=86400"


def swagger_dir() -> FilePath | None:
    """Folder of Swagger UI in the ``swagger-ui-bundle-v2`` wheel, or None if it is not installed."""
    spec = importlib.util.find_spec("swagger_ui_bundle")
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        for folder in sorted((FilePath(location) / "vendor").glob("swagger-ui-*")):
            if all((folder / name).is_file() for name in SWAGGER_FILES):
                return folder
    return None


def maplibre_dir() -> FilePath | None:
    """Folder of the ``maplibre`` wheel's bundled JS/CSS (``srcjs``), or None if absent.

    The package is located without importing it: its ``__init__`` pulls in optional
    notebook integrations and logs warnings about them.
    """
    spec = importlib.util.find_spec("maplibre")
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        folder = FilePath(location) / "srcjs"
        if all((folder / name).is_file() for name in MAPLIBRE_FILES):
            return folder
    return None


@dataclass(frozen=True)
class _StaticFile:
    mtime_ns: int
    data: bytes
    gzip: bytes | None
    etag: str
    media_type: str
    cache_control: str


class StaticFiles:
    """In-memory copies of the page's files, keyed by URL path below ``/static/``."""

    def __init__(self, folder: FilePath = STATIC_DIR) -> None:
        self.folder = folder.resolve()
        self._files: dict[str, _StaticFile] = {}
        self._lock = threading.Lock()

    def locate(self, path: str) -> tuple[FilePath, str]:
        """The file behind ``/static/<path>`` and its Cache-Control; NotFound otherwise."""
        if path in MAPLIBRE_FILES:
            folder = maplibre_dir()
            if folder is None:
                raise NotFound(
                    f"{path} comes from the 'maplibre' Python package, which is not installed "
                    "(pip install maplibre)"
                )
            return folder / path, _LIBRARY_CACHE_CONTROL
        if path.startswith("swagger/") and path.removeprefix("swagger/") in SWAGGER_FILES:
            found = swagger_dir()
            if found is None:
                raise NotFound(
                    f"{path} comes from the 'swagger-ui-bundle-v2' Python package, which is not installed"
                )
            return found / path.removeprefix("swagger/"), _LIBRARY_CACHE_CONTROL
        candidate = (self.folder / path).resolve()
        # resolve() follows '..' and links: anything that ends up outside the folder is refused.
        if not candidate.is_relative_to(self.folder) or not candidate.is_file():
            raise NotFound(f"no static file {path!r}")
        return candidate, _APP_CACHE_CONTROL

    def get(self, path: str) -> _StaticFile:
        """The (cached) file behind ``/static/<path>``."""
        file_path, cache_control = self.locate(path)
        mtime_ns = file_path.stat().st_mtime_ns
        found = self._files.get(path)
        if found is not None and found.mtime_ns == mtime_ns:
            return found
        data = file_path.read_bytes()
        suffix = file_path.suffix.lower()
        entry = _StaticFile(
            mtime_ns=mtime_ns,
            data=data,
            gzip=gzip.compress(data, compresslevel=6, mtime=0) if suffix in _COMPRESSIBLE else None,
            etag='"' + hashlib.blake2b(data, digest_size=12).hexdigest() + '"',
            media_type=_MEDIA_TYPES.get(suffix, "application/octet-stream"),
            cache_control=cache_control,
        )
        with self._lock:
            self._files[path] = entry
        return entry

    def response(self, request: Request, path: str) -> Response:
        """The file with ETag/304, gzip when accepted and its Cache-Control."""
        entry = self.get(path)
        etag = f"W/{entry.etag}" if entry.gzip is not None else entry.etag
        headers = {"ETag": etag, "Cache-Control": entry.cache_control}
        if entry.gzip is not None:
            headers["Vary"] = "Accept-Encoding"
        if etag_matches(request.headers.get("if-none-match"), etag):
            return Response(status_code=304, headers=headers)
        body = entry.data
        if entry.gzip is not None and accepts_gzip(request.headers.get("accept-encoding")):
            body = entry.gzip
            headers["Content-Encoding"] = "gzip"
        return Response(content=body, media_type=entry.media_type, headers=headers)


def glyph_pbf(files: StaticFiles, fontstack: str, range_text: str) -> tuple[str | None, bytes]:
    """The static path of a fontstack's glyph range, or (None, an empty range) when none is shipped.

    ``fontstack`` may list several fonts (``"A,B"``, as MapLibre joins ``text-font``):
    the first one with the range wins. Raises ``ValueError`` for a malformed range.
    """
    start, _ = glyph_range(range_text)
    names = [name.strip() for name in fontstack.split(",") if name.strip()]
    for name in names:
        path = f"{GLYPH_DIR}/{glyph_file_name(name, start)}"
        if (files.folder / path).is_file():
            return path, b""
    return None, encode_glyphs(names[0] if names else fontstack, start, [])


def install_docs(app: FastAPI, *, title: str) -> None:
    """``/docs``: Swagger UI served from the ``swagger-ui-bundle-v2`` wheel (create the app with
    ``docs_url=None, redoc_url=None`` so FastAPI's CDN-backed pages are not registered)."""

    @app.get("/docs", include_in_schema=False, response_class=Response)
    def docs() -> Response:
        html = get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{title} — docs",
            swagger_js_url="/static/swagger/swagger-ui-bundle.js",
            swagger_css_url="/static/swagger/swagger-ui.css",
            swagger_favicon_url="/static/swagger/favicon-32x32.png",
            # No badge from the public validator service: the page must make no outside request.
            swagger_ui_parameters={"validatorUrl": None, "deepLinking": True},
        )
        return Response(
            content=html.body, media_type="text/html; charset=utf-8", headers={"Cache-Control": "no-cache"}
        )


def create_router(
    ctx: ServingContext, *, static_dir: FilePath | None = None, dependencies: Sequence[Any] = ()
) -> APIRouter:
    """The web map routes of one app.

    Parameters
    ----------
    ctx
        The app context (``coverage_gis_api.context.AppContext``); the style reads its current
        analysis (workspace name, synthetic flag, extent).
    static_dir
        Folder of the page's files (default: ``api/static``).
    dependencies
        FastAPI dependencies of the routes that show workspace data (the style; the
        app's reader). The page and its scripts hold no data and stay public, so that
        a browser can load them before it has a key.
    """
    files = StaticFiles(static_dir or STATIC_DIR)
    router = APIRouter(tags=["web map"])

    # HEAD too: uptime checks and `curl -I` ask for the page without its body.
    @router.api_route(
        "/",
        methods=["GET", "HEAD"],
        summary="The web gap map",
        response_class=Response,
        include_in_schema=False,
    )
    def index(request: Request) -> Response:
        """The map page (``api/static/index.html``)."""
        return files.response(request, "index.html")

    @router.get(
        "/static/{path:path}",
        summary="Files of the web map",
        response_class=Response,
        include_in_schema=False,
    )
    def static(request: Request, path: Annotated[str, Path(description="file below api/static")]) -> Response:
        """A file of the page, or MapLibre GL JS/CSS from the ``maplibre`` wheel."""
        return files.response(request, path)

    @router.get(
        "/map/style.json",
        summary="MapLibre style of the web map",
        response_model=dict[str, Any],
        dependencies=list(dependencies),
    )
    def style(request: Request) -> Response:
        """Style v8 from ``layers/*.yaml``: vector sources, coverage raster (hidden), legend metadata."""
        analysis, _ = current(ctx)
        doc = build_style(analysis, str(request.base_url))
        body = json.dumps(doc, ensure_ascii=False).encode("utf-8")
        etag = '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'
        headers = {"ETag": etag, "Cache-Control": "no-cache"}
        if etag_matches(request.headers.get("if-none-match"), etag):
            return Response(status_code=304, headers=headers)
        return Response(content=body, media_type="application/json", headers=headers)

    @router.get(
        "/map/glyphs/{fontstack}/{glyph_range}.pbf",
        summary="Label glyphs (signed distance fields) of the web map",
        response_class=Response,
        include_in_schema=False,
    )
    def glyphs(
        request: Request,
        fontstack: Annotated[str, Path(max_length=200)],
        glyph_range: Annotated[str, Path(max_length=16)],
    ) -> Response:
        """A 256-character range of a fontstack (``application/x-protobuf``)."""
        try:
            path, empty = glyph_pbf(files, fontstack, glyph_range)
        except ValueError as exc:
            raise NotFound(str(exc)) from None
        if path is not None:
            response = files.response(request, path)
            if response.status_code == 200:
                response.headers["Content-Type"] = "application/x-protobuf"
            return response
        return Response(
            content=empty,
            media_type="application/x-protobuf",
            headers={"Cache-Control": _LIBRARY_CACHE_CONTROL},
        )

    routes: dict[str, tuple[object, int, bytes]] = {}
    routes_lock = threading.Lock()

    def gap_routes_geojson() -> tuple[int, bytes]:
        found = ctx.view()
        analysis, revision = found.analysis, int(found.revision)
        with routes_lock:
            cached = routes.get("ftth")
            if cached is not None and cached[0] is analysis and cached[1] == revision:
                return revision, cached[2]
        # The API's view caches the gap list; a bare context (tests) computes it.
        view_gaps = getattr(found, "gaps", None)
        gaps = view_gaps("ftth") if callable(view_gaps) else analysis.gaps("ftth")
        frame = ftth_gap_routes(analysis, gaps)
        body = frame.to_json(na="null", drop_id=True, ensure_ascii=False).encode("utf-8")
        with routes_lock:
            routes["ftth"] = (analysis, revision, body)
        return revision, body

    @router.get(
        "/map/gap-routes.geojson",
        summary="Proposed fiber route of each FTTH gap (GeoJSON lines)",
        response_class=Response,
        dependencies=list(dependencies),
        responses={200: {"content": {"application/geo+json": {}}}},
    )
    async def gap_routes(request: Request) -> Response:
        """One LineString per FTTH gap village, from the village along roads to on-air fiber.

        Properties: ``id``, ``name``, ``rank`` (of the FTTH gap list), ``via`` (``roads`` or
        ``straight``), ``length_m``, ``road_length_m``, ``cost_vnd``.
        """
        revision, body = await run_in_threadpool(gap_routes_geojson)
        etag = f'"routes-rev-{revision}"'
        headers = {"ETag": etag, "Cache-Control": "no-cache"}
        if etag_matches(request.headers.get("if-none-match"), etag):
            return Response(status_code=304, headers=headers)
        return Response(content=body, media_type="application/geo+json", headers=headers)

    return router
