"""API keys, roles and the permission rule for site edits.

Keys live in the workspace's ``workspace.yaml`` under ``extra["api_keys"]`` as a list
of ``{id, name, role, hash, created}``. Only a salted SHA-256 of each secret is
stored; the secret (``<id>.<random>``, 256 random bits from :func:`secrets.token_urlsafe`)
is shown once when the key is made. A fast hash is enough because the secrets are
random, not chosen by people; the id prefix lets a request find its record without
trying every hash, and the comparison is constant-time.

Roles:

* ``planner`` — reads everything, edits nothing;
* ``operator:<Name>`` (Viettel, VNPT, MobiFone, Vietnamobile) — reads everything,
  edits a site only when every cell of the site, before and after the edit,
  belongs to that operator;
* ``admin`` — edits everything.

The key functions (:func:`add_key`, :func:`list_keys`, :func:`revoke_key`,
:func:`authenticate`) take a :class:`~coverage_gis.workspace.Workspace` and are used
by both the API and ``covgis keys``.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from coverage_gis.errors import LayerValidationError, NotFound, PermissionDenied
from coverage_gis.workspace import CONFIG_NAME, Workspace
from coverage_gis_api.errors import Unauthorized

if TYPE_CHECKING:
    from coverage_gis_api.context import AppContext

#: Operators that can hold an ``operator:<Name>`` key.
KEY_OPERATORS: tuple[str, ...] = ("Viettel", "VNPT", "MobiFone", "Vietnamobile")
ROLE_NAMES: tuple[str, ...] = ("planner", "admin", *(f"operator:{op}" for op in KEY_OPERATORS))
_EXTRA_KEY = "api_keys"
_HASH_SCHEME = "sha256"


@dataclass(frozen=True)
class Principal:
    """Who is calling: a key's id, name and role (anonymous callers have none)."""

    key_id: str | None
    name: str
    role: str

    @property
    def operator(self) -> str | None:
        """The operator of an ``operator:<Name>`` role, else None."""
        return self.role.split(":", 1)[1] if self.role.startswith("operator:") else None

    @property
    def is_anonymous(self) -> bool:
        return self.key_id is None

    @property
    def author(self) -> str:
        """How the revision log names this caller."""
        return f"api:{self.name} ({self.role})"


ANONYMOUS = Principal(key_id=None, name="anonymous", role="anonymous")


def check_role(role: str) -> str:
    """``role`` if it is one of :data:`ROLE_NAMES`, else :class:`LayerValidationError`."""
    if role not in ROLE_NAMES:
        raise LayerValidationError(
            f"unknown role {role!r}; choose one of {', '.join(ROLE_NAMES)}", field="role"
        )
    return role


def _hash(secret: str, salt: str) -> str:
    return hashlib.sha256(f"{salt}:{secret}".encode()).hexdigest()


def _records(ws: Workspace) -> list[dict[str, Any]]:
    raw = ws.config.extra.get(_EXTRA_KEY) or []
    return [dict(r) for r in raw if isinstance(r, Mapping)]


def _mutate_keys(ws: Workspace, change: Any) -> Any:
    """Read-modify-write the key list under the workspace lock, from the file on disk."""
    with ws.lock():
        fresh = Workspace.open(ws.path)
        keys = _records(fresh)
        result = change(keys)
        fresh.config.extra = {**fresh.config.extra, _EXTRA_KEY: keys}
        fresh.save_config()
    ws.config.extra = fresh.config.extra
    _CACHE.pop(str(ws.path), None)
    return result


def add_key(ws: Workspace, name: str, role: str) -> tuple[str, str]:
    """Make a key; returns ``(key_id, secret)``. The secret is not stored and cannot be shown again.

    Parameters
    ----------
    ws
        The workspace the key opens.
    name
        Who holds the key (a person or a system), for the revision log.
    role
        ``planner``, ``admin`` or ``operator:<Name>``.
    """
    check_role(role)
    name = name.strip()
    if not name:
        raise LayerValidationError("a key needs a name", field="name")
    key_id = "k" + secrets.token_hex(4)
    secret = f"{key_id}.{secrets.token_urlsafe(32)}"
    salt = secrets.token_hex(16)
    record = {
        "id": key_id,
        "name": name,
        "role": role,
        "hash": f"{_HASH_SCHEME}${salt}${_hash(secret, salt)}",
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
    }

    def append(keys: list[dict[str, Any]]) -> None:
        keys.append(record)

    _mutate_keys(ws, append)
    return key_id, secret


def list_keys(ws: Workspace) -> list[dict[str, str]]:
    """Every key's id, name, role and creation time (never the hash)."""
    fresh = Workspace.open(ws.path)
    return [{k: str(r.get(k, "")) for k in ("id", "name", "role", "created")} for r in _records(fresh)]


def revoke_key(ws: Workspace, key_id: str) -> None:
    """Delete a key; :class:`NotFound` if there is no such key."""

    def drop(keys: list[dict[str, Any]]) -> None:
        kept = [k for k in keys if k.get("id") != key_id]
        if len(kept) == len(keys):
            raise NotFound(f"no API key {key_id!r}; `covgis keys list` shows them")
        keys[:] = kept

    _mutate_keys(ws, drop)


# Keys by workspace folder, reread when workspace.yaml changes (so `covgis keys` works
# against a running server without a restart).
_CACHE: dict[str, tuple[tuple[int, int], dict[str, dict[str, Any]]]] = {}


def _keys_by_id(ws: Workspace) -> dict[str, dict[str, Any]]:
    path = Path(ws.path) / CONFIG_NAME
    try:
        stat = path.stat()
    except OSError:
        return {}
    stamp = (stat.st_mtime_ns, stat.st_size)
    cached = _CACHE.get(str(ws.path))
    if cached is not None and cached[0] == stamp:
        return cached[1]
    keys = {str(r.get("id")): r for r in _records(Workspace.open(ws.path))}
    _CACHE[str(ws.path)] = (stamp, keys)
    return keys


def authenticate(ws: Workspace, secret: str) -> Principal | None:
    """The principal a secret belongs to, or None when it opens nothing."""
    key_id, dot, _ = secret.partition(".")
    if not dot or not key_id:
        return None
    record = _keys_by_id(ws).get(key_id)
    if record is None:
        return None
    scheme, _, rest = str(record.get("hash", "")).partition("$")
    salt, _, digest = rest.partition("$")
    if scheme != _HASH_SCHEME or not salt or not digest:
        return None
    if not hmac.compare_digest(_hash(secret, salt), digest):
        return None
    role = str(record.get("role", ""))
    if role not in ROLE_NAMES:
        return None
    return Principal(key_id=key_id, name=str(record.get("name", key_id)), role=role)


def _operators(cells: Iterable[Mapping[str, Any]]) -> set[str]:
    return {str(c.get("operator")) for c in cells}


def check_site_edit(
    principal: Principal,
    *,
    old_cells: Sequence[Mapping[str, Any]] = (),
    new_cells: Sequence[Mapping[str, Any]] = (),
) -> None:
    """Raise :class:`PermissionDenied` unless ``principal`` may make this site edit.

    Parameters
    ----------
    principal
        The caller.
    old_cells
        The site's cells before the edit (empty for a new site).
    new_cells
        The site's cells after the edit (empty for a removal or when unchanged).
    """
    if principal.role == "admin":
        return
    operator = principal.operator
    if operator is None:
        raise PermissionDenied(f"role {principal.role!r} may read but not edit sites")
    foreign = sorted((_operators(old_cells) | _operators(new_cells)) - {operator})
    if foreign:
        which = "has" if set(foreign) & _operators(old_cells) else "would get"
        raise PermissionDenied(
            f"an {operator} key edits only sites whose cells are all {operator}'s; "
            f"this site {which} cells of {', '.join(foreign)}"
        )


# -- FastAPI dependencies -----------------------------------------------------------------
_api_key_header = APIKeyHeader(
    name="X-API-Key", auto_error=False, description="an API key (`covgis keys add`)"
)
_bearer = HTTPBearer(auto_error=False, description="the same API key as a bearer token")


def principal_dependencies(
    ctx: AppContext,
) -> tuple[Callable[..., Principal], Callable[..., Principal]]:
    """``(reader, writer)`` dependencies resolving the caller of a request.

    A key that is sent but opens nothing is always 401. Without a key, ``reader``
    gives :data:`ANONYMOUS` when ``settings.anonymous_read`` (else 401) and ``writer``
    is always 401. Roles are checked per action by the routes
    (:func:`check_site_edit`).
    """

    def resolve(api_key: str | None, bearer: HTTPAuthorizationCredentials | None) -> Principal | None:
        secret = api_key or (bearer.credentials if bearer is not None else None)
        if not secret:
            return None
        principal = authenticate(ctx.live.workspace, secret)
        if principal is None:
            raise Unauthorized("API key not valid (revoked, mistyped or for another workspace)")
        return principal

    def reader(
        api_key: Annotated[str | None, Security(_api_key_header)] = None,
        bearer: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)] = None,
    ) -> Principal:
        principal = resolve(api_key, bearer)
        if principal is not None:
            return principal
        if ctx.settings.anonymous_read:
            return ANONYMOUS
        raise Unauthorized("an API key is required (header X-API-Key or Authorization: Bearer)")

    def writer(
        api_key: Annotated[str | None, Security(_api_key_header)] = None,
        bearer: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)] = None,
    ) -> Principal:
        principal = resolve(api_key, bearer)
        if principal is None:
            raise Unauthorized("edits need an API key (header X-API-Key or Authorization: Bearer)")
        return principal

    return reader, writer
