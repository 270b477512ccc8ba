"""coverage-gis: village-level mobile and FTTH coverage, KPIs, scorecards and gaps.

The package is a pure library: no web framework, no printing, no global state.
See ``docs/architecture.md`` for the architecture; the CLI lives in ``coverage_gis.cli`` and the
HTTP API in the separate package ``coverage_gis_api`` (``api/``).
"""

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

__version__ = "0.1.0"

__all__ = [
    "Conflict",
    "CoverageGISError",
    "InputTooLarge",
    "LayerValidationError",
    "NotFound",
    "PermissionDenied",
    "StaleRevision",
    "WorkspaceError",
    "__version__",
]
