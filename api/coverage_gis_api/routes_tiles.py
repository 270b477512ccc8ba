"""Tile endpoints: vector tiles (MVT), TileJSON, coverage PNG tiles, signal overlays of sites.

Routes only translate HTTP to :class:`coverage_gis.tiles.TileService` calls and back:
content negotiation (gzip), conditional requests (ETag / ``If-None-Match`` → 304) and
cache headers. The service's cache is emptied where a write reports its dirty box:
:func:`create_router` registers a change listener on the app context.

Errors are library exceptions (unknown layer → ``NotFound``, a tile outside the zoom's
grid or an unknown technology → ``LayerValidationError``) left to the app's one
status table; path parameters that are not integers fail FastAPI's validation (422).
"""

from __future__ import annotations

import gzip
from collections.abc import Sequence
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from coverage_gis.engine import Analysis
from coverage_gis.errors import LayerValidationError, NotFound
from coverage_gis.live import ChangeResult
from coverage_gis.tiles import MAX_ZOOM, CoverageTile, TileCache, TileService, tilejson
from coverage_gis.tiles.cache import CachedTile, content_etag
from coverage_gis.tiles.signal import DEFAULT_RADIUS_M, MAX_RADIUS_M, SignalOverlay, nearest_site
from coverage_gis.tiles.style import layer_attribution
from coverage_gis.tiles.vector import TILE_LAYERS, VECTOR_LAYERS, workspace_bounds
from coverage_gis_api.context import ServingContext

MVT_MEDIA_TYPE = "application/vnd.mapbox-vector-tile"
#: Tiles change when sites are edited: browsers keep them but revalidate every use
#: (a 304 costs a cache lookup), so an edit shows on the next pan.
TILE_CACHE_CONTROL = "public, max-age=0, must-revalidate"

Zoom = Annotated[int, Path(ge=0, le=MAX_ZOOM, description="zoom level")]
Column = Annotated[int, Path(ge=0, description="tile column (x), 0 … 2^z − 1")]
Row = Annotated[int, Path(ge=0, description="tile row (y, from the north), 0 … 2^z − 1")]


def current(ctx: ServingContext) -> tuple[Analysis, int]:
    """The analysis and revision to serve: the context's current view.

    ``ctx.view()`` also notices writes made by other processes.
    """
    found = ctx.view()
    return found.analysis, int(found.revision)


async def serving(ctx: ServingContext) -> tuple[Analysis, int]:
    """The analysis and revision a tile request is served from, from one view (never a
    revision with another revision's analysis); see ``ServingContext.view_async``."""
    found = await ctx.view_async()
    return found.analysis, int(found.revision)


def etag_matches(header: str | None, etag: str) -> bool:
    """Weak comparison of ``If-None-Match`` against an ETag (RFC 9110 §13.1.2)."""
    if not header:
        return False
    if header.strip() == "*":
        return True
    bare = etag.removeprefix("W/")
    return any(part.strip().removeprefix("W/") == bare for part in header.split(","))


def accepts_gzip(header: str | None) -> bool:
    """Whether an ``Accept-Encoding`` header allows gzip (an explicit ``q=0`` refuses it)."""
    for part in (header or "").split(","):
        token, _, params = part.strip().partition(";")
        if token.strip().lower() in ("gzip", "*"):
            q = params.strip().lower().replace(" ", "")
            return q not in ("q=0", "q=0.0", "q=0.00", "q=0.000")
    return False


def tile_response(request: Request, tile: CachedTile, media_type: str, *, compressible: bool) -> Response:
    """The tile with cache headers; 304 when the client's copy is current."""
    return tile_reply(
        tile,
        media_type,
        compressible=compressible,
        if_none_match=request.headers.get("if-none-match"),
        accept_encoding=request.headers.get("accept-encoding"),
    )


def tile_reply(
    tile: CachedTile,
    media_type: str,
    *,
    compressible: bool,
    if_none_match: str | None,
    accept_encoding: str | None,
) -> Response:
    """:func:`tile_response` from the two request headers it reads (the cache-hit front,
    :mod:`coverage_gis_api.tile_hits`, answers with it too)."""
    # One ETag for both encodings of a vector tile: weak, as RFC 9110 asks when
    # representations are equivalent but not byte-identical.
    etag = f"W/{tile.etag}" if compressible else tile.etag
    headers = {"ETag": etag, "Cache-Control": TILE_CACHE_CONTROL}
    if compressible:
        headers["Vary"] = "Accept-Encoding"
    if etag_matches(if_none_match, etag):
        return Response(status_code=304, headers=headers)
    body = tile.data
    if compressible and accepts_gzip(accept_encoding):
        body = tile.gzip if tile.gzip is not None else gzip.compress(tile.data)
        headers["Content-Encoding"] = "gzip"
    return Response(content=body, media_type=media_type, headers=headers)


def create_router(
    ctx: ServingContext,
    *,
    cache: TileCache | None = None,
    service: TileService | None = None,
    dependencies: Sequence[Any] = (),
) -> APIRouter:
    """The tile routes of one app.

    Parameters
    ----------
    ctx
        The app context (:class:`~coverage_gis_api.context.AppContext`, or anything with
        its :class:`~coverage_gis_api.context.ServingContext` members): ``ctx.view()``
        and ``ctx.view_async()`` give the analysis and revision, ``ctx.change_listeners``
        receives this router's cache invalidation.
    cache
        The tile cache (a default :class:`TileCache` when None).
    service
        The tile service (renders and caches; a new one on ``cache`` when None): the app
        shares its own with the cache-hit front (:mod:`coverage_gis_api.tile_hits`).
    dependencies
        FastAPI dependencies of every route (the app's reader: who may read).
    """
    tiles = service if service is not None else TileService(cache=cache)

    def invalidate(result: ChangeResult) -> None:
        tiles.on_change(result.dirty_bbox, result.revision)

    ctx.change_listeners.append(invalidate)
    router = APIRouter(tags=["tiles"], dependencies=list(dependencies))
    # Exposed for the benchmark and for tests (hit/miss counters).
    router.tile_service = tiles  # type: ignore[attr-defined]

    @router.get(
        "/tiles/cache-stats",
        summary="Tile cache counters",
        response_model=dict[str, int],
    )
    def cache_stats() -> dict[str, int]:
        """Entries, bytes, hits, misses, evictions and invalidated tiles of the tile cache."""
        return tiles.cache.stats()

    @router.get(
        "/tiles/coverage/{tech}/{z}/{x}/{y}.png",
        summary="Coverage raster tile",
        response_class=Response,
        responses={200: {"content": {"image/png": {}}}, 304: {"description": "not modified"}},
    )
    async def coverage_tile(
        request: Request,
        tech: Annotated[str, Path(description="all, 3G, 4G or 5G")],
        z: Zoom,
        x: Column,
        y: Row,
        operator: Annotated[
            str | None, Query(description="only this operator's cells (its best server)")
        ] = None,
        mode: Annotated[
            Literal["signal", "operator"],
            Query(description="colour by best level (signal) or by the best server's operator"),
        ] = "signal",
    ) -> Response:
        """Best signal of the on-air cells of ``tech`` on the tile's 256 × 256 pixels."""
        analysis, revision = await serving(ctx)
        asked = CoverageTile(tech, z, x, y, operator=operator, mode=mode)
        # Hits, and misses drawn from the seeded tile pyramid (1–2 ms), are answered on
        # the event loop; a miss that needs the model renders in a worker thread.
        tile = tiles.lookup(asked.key, revision)
        if tile is None:
            tile = tiles.drawn_coverage_tile(analysis, revision, asked)
        if tile is None:
            tile = await run_in_threadpool(
                lambda: tiles.coverage_tile(analysis, revision, asked, looked_up=True)
            )
        return tile_response(request, tile, "image/png", compressible=False)

    def overlay_meta(request: Request, overlay: SignalOverlay) -> dict[str, Any]:
        query = f"?radius_m={overlay.radius_m:g}"
        return {
            "site_id": overlay.site_id,
            "radius_m": overlay.radius_m,
            "pixel_m": overlay.pixel_m,
            "coordinates": overlay.corners_lonlat,
            "bounds": list(overlay.bounds_lonlat),
            "served_pct": 100.0 * overlay.served_pixels / max(overlay.pixels, 1),
            "url": f"{request.base_url}overlays/signal/{quote(overlay.site_id, safe='')}.png{query}",
        }

    @router.get(
        "/overlays/signal.json",
        summary="Signal overlay of one site under the terrain model: where its image lies",
        response_model=dict[str, Any],
    )
    async def signal_overlay_meta(
        request: Request,
        site_id: Annotated[
            str | None,
            Query(description="the site; else the one nearest lon/lat, else nearest the workspace's centre"),
        ] = None,
        lon: Annotated[float | None, Query(ge=-180, le=180, description="with lat: nearest site")] = None,
        lat: Annotated[float | None, Query(ge=-90, le=90, description="with lon: nearest site")] = None,
        radius_m: Annotated[float, Query(gt=0, le=MAX_RADIUS_M, description="half side, metres")] = (
            DEFAULT_RADIUS_M
        ),
    ) -> JSONResponse:
        """The site, the image's four corners (NW, NE, SE, SW as lon/lat) and the PNG's URL.

        The image is the best level of the site's on-air 3G/4G/5G cells under the terrain
        model, coloured like the coverage tiles where it reaches the threshold.
        """
        analysis, revision = await serving(ctx)
        if site_id is None:
            if (lon is None) != (lat is None):
                raise LayerValidationError("give both lon and lat (or site_id)", field="lon")
            if lon is None or lat is None:
                box = workspace_bounds(analysis)
                if box is None:
                    raise NotFound("the workspace has no villages or communes to find its centre")
                lon, lat = 0.5 * (box[0] + box[2]), 0.5 * (box[1] + box[3])
            site_id = nearest_site(analysis.cells, lon, lat, analysis.metric_crs)
        chosen = site_id
        overlay = await run_in_threadpool(
            lambda: tiles.signal_overlay(analysis, revision, chosen, radius_m=radius_m)
        )
        return JSONResponse(overlay_meta(request, overlay), headers={"Cache-Control": "no-cache"})

    @router.get(
        "/overlays/signal/{site_id}.png",
        summary="Signal overlay of one site under the terrain model (PNG)",
        response_class=Response,
        responses={200: {"content": {"image/png": {}}}, 304: {"description": "not modified"}},
    )
    async def signal_overlay_png(
        request: Request,
        site_id: Annotated[str, Path(description="the site")],
        radius_m: Annotated[float, Query(gt=0, le=MAX_RADIUS_M, description="half side, metres")] = (
            DEFAULT_RADIUS_M
        ),
    ) -> Response:
        """The image ``/overlays/signal.json`` describes (transparent where the level is below threshold)."""
        analysis, revision = await serving(ctx)
        overlay = await run_in_threadpool(
            lambda: tiles.signal_overlay(analysis, revision, site_id, radius_m=radius_m)
        )
        tile = CachedTile(data=overlay.png, etag=content_etag(overlay.png), bbox=overlay.bounds_lonlat)
        return tile_response(request, tile, "image/png", compressible=False)

    @router.get(
        "/tiles/hillshade/{z}/{x}/{y}.png",
        summary="Hillshade tile of the workspace's DEM (basemap)",
        response_class=Response,
        responses={200: {"content": {"image/png": {}}}, 304: {"description": "not modified"}},
    )
    async def hillshade_tile(request: Request, z: Zoom, x: Column, y: Row) -> Response:
        """Relief of ``dem.tif`` (or the SRTM tiles) lit from the north-west; transparent without a DEM."""
        analysis, revision = await serving(ctx)
        tile = tiles.lookup(tiles.hillshade_key(z, x, y), revision)
        if tile is None:
            tile = await run_in_threadpool(
                lambda: tiles.hillshade_tile(analysis, revision, z, x, y, looked_up=True)
            )
        return tile_response(request, tile, "image/png", compressible=False)

    @router.get(
        "/tiles/{layer}.json",
        summary="TileJSON of a vector tile layer",
        response_model=dict[str, Any],
    )
    def layer_tilejson(
        request: Request,
        layer: Annotated[str, Path(description=f"one of {', '.join(VECTOR_LAYERS)}")],
    ) -> JSONResponse:
        """TileJSON 3.0.0: tile URL template, zoom range, bounds, attribution, fields."""
        analysis, _ = current(ctx)
        synthetic = bool(analysis.ws.config.synthetic)
        doc = tilejson(
            layer,
            str(request.base_url),
            bounds=workspace_bounds(analysis),
            attribution=layer_attribution(layer, synthetic=synthetic),
        )
        return JSONResponse(doc, headers={"Cache-Control": "no-cache"})

    @router.get(
        "/tiles/{layer}/{z}/{x}/{y}.mvt",
        summary="Vector tile (Mapbox Vector Tile) of a layer",
        response_class=Response,
        responses={200: {"content": {MVT_MEDIA_TYPE: {}}}, 304: {"description": "not modified"}},
    )
    async def vector_tile(
        request: Request,
        layer: Annotated[str, Path(description=f"one of {', '.join(TILE_LAYERS)}")],
        z: Zoom,
        x: Column,
        y: Row,
    ) -> Response:
        """One layer's features in tile ``z/x/y`` (extent 4096), gzip-encoded when accepted."""
        analysis, revision = await serving(ctx)
        tile = tiles.lookup(tiles.vector_key(layer, z, x, y), revision)
        if tile is None:
            tile = await run_in_threadpool(
                lambda: tiles.vector_tile(analysis, revision, layer, z, x, y, looked_up=True)
            )
        return tile_response(request, tile, MVT_MEDIA_TYPE, compressible=True)

    return router
