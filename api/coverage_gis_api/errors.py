"""The one table from exceptions to HTTP status codes, and the JSON error body.

Every error response of the API has the same shape::

    {"error": {"status": 422, "type": "LayerValidationError",
               "message": "...", "field": "cells.1.tech"}}

Library exceptions (:mod:`coverage_gis.errors`) and the few API-only ones defined
here (missing key, missing ``If-Match``, malformed input) are mapped by
:data:`STATUS_TABLE`; the first matching class wins. Anything else is a bug: it is
logged with its traceback and answered with a generic 500 — never a stack trace.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from coverage_gis.errors import (
    Conflict,
    CoverageGISError,
    InputTooLarge,
    LayerValidationError,
    NotFound,
    PermissionDenied,
    StaleRevision,
    WorkspaceError,
)

log = logging.getLogger("covgis.api")


class ApiError(CoverageGISError):
    """An error only the HTTP front can detect (headers, query syntax)."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        self.field = field
        super().__init__(message)


class BadRequest(ApiError):
    """Malformed input that is not one field's value (400)."""


class InvalidField(ApiError):
    """A query parameter or header whose value is wrong, e.g. a malformed ``bbox`` (422)."""


class Unauthorized(ApiError):
    """No API key where one is needed, or a key that is not valid (401)."""


class PreconditionRequired(ApiError):
    """A write without ``If-Match`` (428)."""


#: Exception class → HTTP status. Order matters: subclasses before their bases.
STATUS_TABLE: tuple[tuple[type[Exception], int], ...] = (
    (Unauthorized, 401),
    (PreconditionRequired, 428),
    (BadRequest, 400),
    (InvalidField, 422),
    (PermissionDenied, 403),
    (NotFound, 404),
    (StaleRevision, 412),
    (Conflict, 409),
    (InputTooLarge, 413),
    (LayerValidationError, 422),
    (WorkspaceError, 500),
    (CoverageGISError, 400),
)

#: Statuses whose message is replaced by a generic one (the details go to the log).
_GENERIC_MESSAGES: dict[int, str] = {
    500: "internal error; the server log has the details",
}


def status_for(exc: Exception) -> int:
    """The HTTP status of an exception by :data:`STATUS_TABLE` (500 when none matches)."""
    for cls, status in STATUS_TABLE:
        if isinstance(exc, cls):
            if status == 422 and isinstance(exc, LayerValidationError) and exc.field is None:
                return 400  # not one field's value: the request as a whole is malformed
            return status
    return 500


def error_body(
    status: int,
    error_type: str,
    message: str,
    *,
    field: str | None = None,
    details: Sequence[Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """The JSON error document."""
    error: dict[str, Any] = {"status": status, "type": error_type, "message": message, "field": field}
    if details:
        error["details"] = list(details)
    return {"error": error}


def error_response(
    status: int,
    error_type: str,
    message: str,
    *,
    field: str | None = None,
    details: Sequence[Mapping[str, Any]] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    """A :class:`JSONResponse` carrying :func:`error_body`."""
    return JSONResponse(
        error_body(status, error_type, message, field=field, details=details),
        status_code=status,
        headers=dict(headers) if headers else None,
    )


def _field_of(exc: Exception) -> str | None:
    value = getattr(exc, "field", None)
    return str(value) if value is not None else None


def redacted(message: str, redact: Mapping[str, str]) -> str:
    """``message`` with each key of ``redact`` (a server path) replaced by its value, longest first."""
    for secret in sorted(redact, key=len, reverse=True):
        if secret and secret not in (".", "/"):
            message = message.replace(secret, redact[secret])
    return message


def response_for(exc: Exception, *, redact: Mapping[str, str] | None = None) -> JSONResponse:
    """The error response for any exception (library, API or unexpected).

    ``redact`` maps text a client must not see (the server's workspace path) to what
    it sees instead (the folder's name).
    """
    status = status_for(exc)
    if status >= 500:
        log.error("%s while serving a request", type(exc).__name__, exc_info=exc)
        return error_response(status, "InternalError", _GENERIC_MESSAGES[500])
    message = redacted(str(exc), redact or {})
    headers = {"WWW-Authenticate": 'Bearer realm="covgis", X-API-Key'} if status == 401 else None
    return error_response(status, type(exc).__name__, message, field=_field_of(exc), headers=headers)


def _loc_to_field(loc: Sequence[Any]) -> str:
    # ('body', 'cells', 1, 'tech') → 'cells.1.tech'; ('query', 'lon') → 'lon'
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header", "cookie"):
        parts = parts[1:]
    return ".".join(parts) or "body"


def validation_response(exc: RequestValidationError) -> JSONResponse:
    """422 naming the first offending field; all problems are listed in ``details``."""
    problems = [
        {
            "field": _loc_to_field(e.get("loc", ())),
            "message": str(e.get("msg", "")),
            "type": str(e.get("type")),
        }
        for e in exc.errors()
    ]
    if not problems:
        return error_response(422, "RequestValidationError", "invalid request")
    first = problems[0]
    if first["type"] == "json_invalid":
        return error_response(400, "BadRequest", "request body is not valid JSON", field="body")
    message = f"{first['field']}: {first['message']}"
    if len(problems) > 1:
        message += f" (and {len(problems) - 1} more problem{'s' if len(problems) > 2 else ''})"
    return error_response(422, "RequestValidationError", message, field=first["field"], details=problems)


def install_error_handlers(app: FastAPI, *, redact: Mapping[str, str] | None = None) -> None:
    """Register the handlers that turn every exception into the JSON error body.

    ``redact``: see :func:`response_for` (messages never show the server's paths).
    """
    hidden = dict(redact or {})

    async def on_library_error(_request: Request, exc: Exception) -> JSONResponse:
        return response_for(exc, redact=hidden)

    async def on_validation_error(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        return validation_response(exc)

    async def on_http_error(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        status = exc.status_code
        message = exc.detail if isinstance(exc.detail, str) else "request failed"
        if status >= 500:
            message = _GENERIC_MESSAGES[500]
        return error_response(status, "HTTPException", message, headers=exc.headers)

    async def on_unexpected(_request: Request, exc: Exception) -> JSONResponse:
        log.error("unhandled %s while serving a request", type(exc).__name__, exc_info=exc)
        return error_response(500, "InternalError", _GENERIC_MESSAGES[500])

    app.add_exception_handler(CoverageGISError, on_library_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(StarletteHTTPException, on_http_error)
    app.add_exception_handler(Exception, on_unexpected)
