"""The HTTP side of API keys: resolving the caller of a request from its key.

Keys, roles and the site-edit permission rule are the library's
(:mod:`coverage_gis.access`, shared with ``covgis keys``); this module turns the
``X-API-Key`` header (or a bearer token) into a
:class:`~coverage_gis.access.Principal` for the routes, with 401 where a key is
missing or opens nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import Security
from fastapi.concurrency import run_in_threadpool
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

# The key functions, re-exported for the routes and for callers of the former API module.
from coverage_gis.access import ANONYMOUS as ANONYMOUS
from coverage_gis.access import ROLE_NAMES as ROLE_NAMES
from coverage_gis.access import Principal as Principal
from coverage_gis.access import add_key as add_key
from coverage_gis.access import authenticate as authenticate
from coverage_gis.access import check_can_edit as check_can_edit
from coverage_gis.access import check_role as check_role
from coverage_gis.access import check_site_edit as check_site_edit
from coverage_gis.access import list_keys as list_keys
from coverage_gis.access import revoke_key as revoke_key
from coverage_gis_api.errors import Unauthorized

if TYPE_CHECKING:
    from coverage_gis_api.context import AppContext


#: A FastAPI dependency resolving the caller (a coroutine function).
PrincipalDependency = Callable[..., Coroutine[Any, Any, Principal]]

# -- FastAPI dependencies -----------------------------------------------------------------
_api_key_header = APIKeyHeader(
    name="X-API-Key", auto_error=False, description="an API key (`covgis keys add`)"
)
_bearer = HTTPBearer(auto_error=False, description="the same API key as a bearer token")


def principal_dependencies(
    ctx: AppContext,
) -> tuple[PrincipalDependency, PrincipalDependency]:
    """``(reader, writer)`` dependencies resolving the caller of a request.

    A key that is sent but opens nothing is always 401. Without a key, ``reader``
    gives :data:`ANONYMOUS` when ``settings.anonymous_read`` (else 401) and ``writer``
    is always 401. Roles are checked per action: by the routes
    (:func:`check_can_edit`) and, on the state an edit is planned on, by the engine
    (:func:`check_site_edit` as the edit's permit).
    """

    async def resolve(api_key: str | None, bearer: HTTPAuthorizationCredentials | None) -> Principal | None:
        secret = api_key or (bearer.credentials if bearer is not None else None)
        if not secret:
            return None
        # Checking a key may read the workspace's stored settings: a worker thread's job.
        principal = await run_in_threadpool(ctx.keys.authenticate, secret)
        if principal is None:
            raise Unauthorized("API key not valid (revoked, mistyped or for another workspace)")
        return principal

    # Coroutines, so an anonymous read costs no worker thread: FastAPI runs a plain
    # function dependency in its thread pool, one hop per dependency per request.
    async def reader(
        api_key: Annotated[str | None, Security(_api_key_header)] = None,
        bearer: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)] = None,
    ) -> Principal:
        principal = await resolve(api_key, bearer)
        if principal is not None:
            return principal
        if ctx.settings.anonymous_read:
            return ANONYMOUS
        raise Unauthorized("an API key is required (header X-API-Key or Authorization: Bearer)")

    async def writer(
        api_key: Annotated[str | None, Security(_api_key_header)] = None,
        bearer: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)] = None,
    ) -> Principal:
        principal = await resolve(api_key, bearer)
        if principal is None:
            raise Unauthorized("edits need an API key (header X-API-Key or Authorization: Bearer)")
        return principal

    return reader, writer
