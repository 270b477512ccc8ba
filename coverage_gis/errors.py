"""The exception hierarchy: one root, a few subclasses that carry what a user must fix.

Every error the library raises on purpose derives from :class:`CoverageGISError`.
The CLI maps them to exit codes and the API maps them to HTTP status codes with one
table each, so the classes here are the contract between the core and its fronts.
"""

from __future__ import annotations


class CoverageGISError(Exception):
    """Root of all errors raised on purpose by coverage_gis."""


class LayerValidationError(CoverageGISError):
    """Input data that breaks a layer schema.

    Parameters
    ----------
    reason
        What is wrong, in words a user can act on.
    source
        The file (or other origin) the bad data came from.
    row
        Zero-based feature/row index in the source, when one feature is at fault.
    field
        The column at fault, when one is.
    """

    def __init__(
        self,
        reason: str,
        *,
        source: str | None = None,
        row: int | None = None,
        field: str | None = None,
        layer: str | None = None,
    ) -> None:
        self.reason = reason
        self.source = source
        self.row = row
        self.field = field
        self.layer = layer
        #: Every problem found when several were (the first is this error's own).
        self.errors: list[LayerValidationError] = []
        super().__init__(self._message())

    def _message(self, *, placed: bool = True) -> str:
        where = []
        if self.source and placed:
            where.append(str(self.source))
        if self.layer and placed:
            where.append(f"layer {self.layer}")
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.field:
            where.append(f"field {self.field!r}")
        prefix = ", ".join(where)
        return f"{prefix}: {self.reason}" if prefix else self.reason

    def with_note(self, note: str) -> LayerValidationError:
        """This error (and the problems it lists) with ``note`` after its reason."""
        out = LayerValidationError(
            f"{self.reason}; {note}", source=self.source, row=self.row, field=self.field, layer=self.layer
        )
        out.errors = self.errors
        return out

    def in_file(self) -> str:
        """The message without the file and layer (row, field and reason): one of
        :attr:`errors` listed under the error that names them."""
        return self._message(placed=False)


class WorkspaceError(CoverageGISError):
    """A workspace that is missing, unreadable or inconsistent."""


class NotFound(CoverageGISError):
    """A requested object (layer, village, site, revision, plan) does not exist."""


class Conflict(CoverageGISError):
    """A write that lost against another writer or would duplicate an id."""


class DuplicateId(Conflict):
    """An edit that adds a site or cell whose id the workspace holds already: the
    request's own mistake (bad input to the CLI, 409 to the API)."""


class StaleRevision(Conflict):
    """A write based on a revision that is no longer the workspace's current one."""


class PermissionDenied(CoverageGISError):
    """The caller's role does not allow this action."""


class InputTooLarge(CoverageGISError):
    """An input file or request over the configured size limit."""
