"""API settings: one pydantic-settings class read from ``COVGIS_*`` environment variables.

Owns every knob of the HTTP front (bind address, workspace, anonymous access, CORS,
body limit, paging). Defaults are the safe ones: bind to 127.0.0.1, CORS off,
anonymous *reads* only, 1 MiB request bodies. Anonymous reads are the default for a
local demo only: on a bind address that is not loopback they must be asked for (or
refused) explicitly, else the settings are invalid and the server does not start.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Annotated, Any, Final

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from coverage_gis.errors import WorkspaceError
from coverage_gis.storage.base import DATABASE_URL_ENV, is_database_location, resolve_location

MIB = 1024 * 1024

#: The HTTP stack uvicorn serves the app with (``covgis serve`` and the benchmarks'
#: servers): httptools' C parser on asyncio's event loop. Not uvloop: its libuv (1.45
#: and later) accepts one new connection per turn of the loop, so under load each new
#: connection waits a whole round of the other connections' requests before its first
#: request is read. Measured on the national workspace's cold coverage tiles, 16 clients
#: on a 2-core machine: the clients' first tiles were answered in 17–260 ms on uvloop
#: and 6–30 ms on asyncio (docs/architecture.md, National scale).
HTTP_PARSER: Final = "httptools"
EVENT_LOOP: Final = "asyncio"


def uvicorn_stack_args() -> list[str]:
    """:data:`HTTP_PARSER` and :data:`EVENT_LOOP` as ``uvicorn`` command-line options."""
    return ["--http", HTTP_PARSER, "--loop", EVENT_LOOP]


class Settings(BaseSettings):
    """Settings of one API instance.

    Every field can be set by an environment variable ``COVGIS_<FIELD>``, e.g.
    ``COVGIS_WORKSPACE=demo-ws`` or ``COVGIS_CORS_ORIGINS=https://a.example,https://b.example``.
    """

    model_config = SettingsConfigDict(env_prefix="COVGIS_", extra="forbid", validate_default=True)

    workspace: str | Path = Field(
        default="demo-ws", description="workspace to serve: a folder or a postgresql:// URL"
    )
    database_url: str | None = Field(
        default=None,
        description="the PostGIS workspace to serve when COVGIS_WORKSPACE is not set (COVGIS_DATABASE_URL)",
    )
    host: str = Field(default="127.0.0.1", description="bind address (loopback unless you mean otherwise)")
    port: int = Field(default=8000, ge=1, le=65535)
    anonymous_read: bool = Field(default=True, description="allow GET without an API key")
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="origins allowed by CORS (none = CORS off)"
    )
    max_body_bytes: int = Field(default=MIB, ge=1, description="largest request body accepted")
    default_page_size: int = Field(default=100, ge=1)
    max_page_size: int = Field(default=1000, ge=1)
    refresh_interval_s: float = Field(
        default=1.0,
        ge=0.0,
        description="how often reads check whether another process changed the workspace "
        "(default: every second for a folder; on every request for a database, so that an edit "
        "made through one worker is seen by every worker once its response has returned)",
    )

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [item.strip() for item in value.split(",") if item.strip()]
        return value

    @property
    def location(self) -> str | Path:
        """The workspace to serve: ``database_url`` unless ``workspace`` was given, as a URL or a folder."""
        if "workspace" not in self.model_fields_set and self.database_url:
            return resolve_location(None, {DATABASE_URL_ENV: self.database_url})
        return resolve_location(self.workspace, {})

    @model_validator(mode="after")
    def _check_location(self) -> Settings:
        try:
            location = self.location
        except WorkspaceError as exc:
            raise ValueError(str(exc)) from None
        if is_database_location(location) and "refresh_interval_s" not in self.model_fields_set:
            # Other workers write the same database: check its revision on every request.
            self.refresh_interval_s = 0.0
        return self

    @model_validator(mode="after")
    def _check_pages(self) -> Settings:
        if self.default_page_size > self.max_page_size:
            raise ValueError("default_page_size must not exceed max_page_size")
        return self

    @model_validator(mode="after")
    def _check_exposure(self) -> Settings:
        implied = "anonymous_read" not in self.model_fields_set
        if self.anonymous_read and implied and not is_loopback(self.host):
            raise ValueError(
                f"host {self.host!r} is not a loopback address, and anonymous reads are on by default: "
                "say whether anyone who reaches the server may read without an API key "
                "(covgis serve --anonymous-read or --no-anonymous-read; COVGIS_ANONYMOUS_READ=true or false)"
            )
        return self


def is_loopback(host: str) -> bool:
    """Whether ``host`` (an address or ``localhost``) only accepts connections from this machine."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip().strip("[]")).is_loopback
    except ValueError:
        return False  # a name: it may resolve to any interface
