"""API keys, roles and the permission rule for site edits.

Keys live in the workspace's ``workspace.yaml`` under ``extra["api_keys"]`` as a list
of ``{id, name, role, hash, created}``. Only a salted SHA-256 of each secret is
stored; the secret (``<id>.<random>``, 256 random bits from :func:`secrets.token_urlsafe`)
is shown once when the key is made. A fast hash is enough because the secrets are
random, not chosen by people; the id prefix lets a request find its record without
trying every hash, and the comparison is constant-time.

Roles:

* ``planner`` — reads everything, edits no site, runs plans (:func:`check_plan`) and
  decides challenges (:func:`check_challenge_decision`);
* ``operator:<Name>`` (one of the named operators of ``layers/cells.yaml``) — reads
  everything, edits a site only when the site is the operator's own both before and
  after the edit (:func:`check_site_edit`);
* ``admin`` — edits everything, runs plans and decides challenges.

Site ownership. A site is operator *O*'s own when none of its cells belongs to
another operator, its ``owner`` is not another named operator, and it has a cell
(all of them *O*'s) or its owner is *O* (compared case-insensitively). So an
operator key

* adds sites with its own cells, or cell-less masts with ``owner`` *O*;
* cannot take over a site: one with another operator's cells, one owned by another
  named operator, or a cell-less site nobody owns (those only an admin edits);
* cannot hand a site to another operator (``owner`` or cells), nor strip a site to no
  cells unless it also owns the mast (``owner`` *O* in the same change).

A tower company as ``owner`` (any name that is not a named operator) leaves the
decision to the cells.

The key functions take a :class:`~coverage_gis.workspace.Workspace` and write through
it (:meth:`~coverage_gis.workspace.Workspace.edit_config`); ``covgis keys`` and the
API (:mod:`coverage_gis_api.security`, which adds the HTTP side) share them.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from coverage_gis.errors import LayerValidationError, NotFound, PermissionDenied
from coverage_gis.vocabulary import NAMED_OPERATORS
from coverage_gis.workspace import CONFIG_NAME, Workspace, WorkspaceConfig

#: Every role a key can have.
ROLE_NAMES: tuple[str, ...] = ("planner", "admin", *(f"operator:{op}" for op in NAMED_OPERATORS))
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


def _records(config: WorkspaceConfig) -> list[dict[str, Any]]:
    raw = config.extra.get(_EXTRA_KEY) or []
    return [dict(r) for r in raw if isinstance(r, Mapping)]


def _set_records(config: WorkspaceConfig, keys: list[dict[str, Any]]) -> None:
    config.extra = {**config.extra, _EXTRA_KEY: keys}


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

    def append(config: WorkspaceConfig) -> None:
        _set_records(config, [*_records(config), record])

    ws.edit_config(append)
    return key_id, secret


def list_keys(ws: Workspace) -> list[dict[str, str]]:
    """Every key's id, name, role and creation time (never the hash), from the file on disk."""
    fresh = Workspace.open(ws.path).config
    return [{k: str(r.get(k, "")) for k in ("id", "name", "role", "created")} for r in _records(fresh)]


def revoke_key(ws: Workspace, key_id: str) -> None:
    """Delete a key; :class:`NotFound` if there is no such key."""

    def drop(config: WorkspaceConfig) -> None:
        keys = _records(config)
        kept = [k for k in keys if k.get("id") != key_id]
        if len(kept) == len(keys):
            raise NotFound(f"no API key {key_id!r}; `covgis keys list` shows them")
        _set_records(config, kept)

    ws.edit_config(drop)


@dataclass
class KeyRing:
    """The keys of one workspace folder, reread when its ``workspace.yaml`` changes.

    So ``covgis keys add`` works against a running server without a restart, while a
    request does not parse the settings file each time. One per server.
    """

    path: Path
    _stamp: tuple[int, int] | None = field(default=None, repr=False)
    _keys: dict[str, dict[str, Any]] = field(default_factory=dict, repr=False)

    def _by_id(self) -> dict[str, dict[str, Any]]:
        try:
            stat = (self.path / CONFIG_NAME).stat()
        except OSError:
            return {}
        stamp = (stat.st_mtime_ns, stat.st_size)
        if stamp != self._stamp:
            keys = {str(r.get("id")): r for r in _records(Workspace.open(self.path).config)}
            self._stamp, self._keys = stamp, keys
        return self._keys

    def authenticate(self, secret: str) -> Principal | None:
        """The principal a secret belongs to, or None when it opens nothing."""
        key_id, dot, _ = secret.partition(".")
        if not dot or not key_id:
            return None
        record = self._by_id().get(key_id)
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


def authenticate(ws: Workspace, secret: str) -> Principal | None:
    """The principal a secret opens in ``ws`` (read from disk now), or None."""
    return KeyRing(ws.path).authenticate(secret)


def _operators(cells: Iterable[Mapping[str, Any]]) -> set[str]:
    return {str(c.get("operator")) for c in cells}


def named_owner(owner: object) -> str | None:
    """The named operator an ``owner`` value names (case-insensitive), else None."""
    text = str(owner or "").strip().casefold()
    return next((op for op in NAMED_OPERATORS if op.casefold() == text), None)


def _not_own(operator: str, site: Mapping[str, Any]) -> str | None:
    """Why ``site`` (with its ``cells``) is not ``operator``'s own; None when it is."""
    cells: Sequence[Mapping[str, Any]] = site.get("cells") or ()
    foreign = sorted(_operators(cells) - {operator})
    if foreign:
        return f"cells of {', '.join(foreign)}"
    owner = named_owner(site.get("owner"))
    if owner is not None and owner != operator:
        return f"owner {owner}"
    if owner is None and not cells:
        return f"no cells and an owner that is not {operator}"
    return None


def check_can_edit(principal: Principal) -> None:
    """Raise :class:`PermissionDenied` unless ``principal``'s role edits sites at all."""
    if principal.role != "admin" and principal.operator is None:
        raise PermissionDenied(f"role {principal.role!r} may read but not edit sites")


def check_site_edit(
    principal: Principal,
    site_id: str,
    before: Mapping[str, Any] | None,
    after: Mapping[str, Any] | None,
) -> None:
    """Raise :class:`PermissionDenied` unless ``principal`` may change this site so.

    Parameters
    ----------
    principal
        The caller.
    site_id
        The site, named in the message.
    before, after
        The site (its fields and ``cells``) before and after the change; None where
        it does not exist (an addition, a removal). See the module docstring for the
        rule.
    """
    check_can_edit(principal)
    operator = principal.operator
    if operator is None:
        return  # admin
    for state, verb in ((before, "has"), (after, "would have")):
        problem = None if state is None else _not_own(operator, state)
        if problem is not None:
            raise PermissionDenied(
                f"an {operator} key edits only {operator}'s own sites; site {site_id!r} {verb} {problem}"
            )


#: Roles that may run the gap-closing planner.
PLANNING_ROLES: tuple[str, ...] = ("planner", "admin")


def check_plan(principal: Principal) -> None:
    """Raise :class:`PermissionDenied` unless ``principal`` may run a plan (planner or admin).

    A plan writes nothing to the workspace, but it takes the server's time; operators
    plan with ``covgis plan`` on their own copy.
    """
    _require_role(principal, PLANNING_ROLES, "run plans")


#: Roles that may accept or reject a challenge (a measured status against the model's).
DECIDING_ROLES: tuple[str, ...] = ("planner", "admin")


def check_challenge_decision(principal: Principal) -> None:
    """Raise :class:`PermissionDenied` unless ``principal`` may decide challenges (planner or admin).

    A decision overrides the model's status of a village for every operator, so it is the
    planners' call; an operator's key reads the challenge list but decides nothing.
    """
    _require_role(principal, DECIDING_ROLES, "decide challenges")


def _require_role(principal: Principal, roles: Sequence[str], action: str) -> None:
    if principal.role not in roles:
        allowed = " or ".join(roles)
        raise PermissionDenied(f"role {principal.role!r} may not {action}; a {allowed} key may")
