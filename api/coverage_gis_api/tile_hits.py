"""The cache-hit front of the tile routes: a tile already in the cache is answered from
its stored bytes before FastAPI routes the request (``docs/architecture.md``: web front).

A map pans by asking for dozens of tiles at once, nearly all of them hits at national
scale once the cache is warm. Routing a hit through FastAPI (the route table, the
reader dependency and its two security schemes, path validation) costs more than the
lookup and the bytes together; this ASGI middleware answers it with the same response
the route gives (:func:`coverage_gis_api.routes_tiles.tile_reply`: ETag, 304, gzip,
cache headers) and leaves everything else to the app:

* only ``GET`` of a vector tile (``/tiles/{layer}/{z}/{x}/{y}.mvt``) or of a coverage
  tile in its default form (``/tiles/coverage/{tech}/{z}/{x}/{y}.png``, no query);
* only a request without credentials (no ``X-API-Key``, no ``Authorization``) where
  anonymous reading is allowed: any key goes to the reader dependency, which checks it;
* only from a view that needs no storage check (:meth:`AppContext.checked_view`), so a
  write by another process is noticed exactly as the route notices it;
* only a hit of the served revision: a miss, a bad tile or an unknown layer goes to the
  route (rendering, 404, 422).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from coverage_gis.errors import CoverageGISError
from coverage_gis.tiles import CoverageTile, TileKey, TileService
from coverage_gis_api.routes_tiles import MVT_MEDIA_TYPE, tile_reply

if TYPE_CHECKING:
    from coverage_gis_api.context import AppContext

_VECTOR = re.compile(r"/tiles/([A-Za-z0-9_]+)/(\d{1,2})/(\d{1,9})/(\d{1,9})\.mvt")
_COVERAGE = re.compile(r"/tiles/coverage/([A-Za-z0-9]+)/(\d{1,2})/(\d{1,9})/(\d{1,9})\.png")
#: Request headers that carry a key.
_CREDENTIALS = ("x-api-key", "authorization")


class TileHits:
    """ASGI middleware: cached tiles of anonymous ``GET`` requests answered before routing."""

    def __init__(self, app: ASGIApp, *, ctx: AppContext, service: TileService) -> None:
        self.app = app
        self.ctx = ctx
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET" and not scope.get("query_string"):
            reply = self._hit(scope)
            if reply is not None:
                await reply(scope, receive, send)
                return
        await self.app(scope, receive, send)

    def _hit(self, scope: Scope) -> ASGIApp | None:
        path: str = scope["path"]
        root: str = scope.get("root_path", "")
        if root and path.startswith(root):
            path = path[len(root) :]
        asked = _asked(path)
        if asked is None:
            return None
        key, media_type, compressible = asked
        # Read as the route reads them (Starlette's headers: the first of repeated fields).
        headers = Headers(scope=scope)
        if any(name in headers for name in _CREDENTIALS):
            return None
        if not self.ctx.settings.anonymous_read:
            return None
        view = self.ctx.checked_view()
        if view is None:
            return None
        tile = self.service.lookup(key, int(view.revision))
        if tile is None:
            return None
        return tile_reply(
            tile,
            media_type,
            compressible=compressible,
            if_none_match=headers.get("if-none-match"),
            accept_encoding=headers.get("accept-encoding"),
        )


def _asked(path: str) -> tuple[TileKey, str, bool] | None:
    """The cache key, media type and compressibility of a tile path; None when the path is
    not one this front answers (or not a valid tile: the route gives the error)."""
    try:
        found = _COVERAGE.fullmatch(path)
        if found is not None:
            tech, z, x, y = found.groups()
            return CoverageTile(tech, int(z), int(x), int(y)).key, "image/png", False
        found = _VECTOR.fullmatch(path)
        if found is not None:
            layer, z, x, y = found.groups()
            return TileService.vector_key(layer, int(z), int(x), int(y)), MVT_MEDIA_TYPE, True
    except CoverageGISError:
        return None
    return None
