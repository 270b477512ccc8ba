"""The storage interface of a workspace: what every backend provides.

:class:`~coverage_gis.workspace.Workspace` owns a workspace's settings and its writer
lock and reaches its layers only through a :class:`WorkspaceStorage`. The embedded
default is the GeoPackage of :mod:`coverage_gis.storage.gpkg`; a PostGIS backend
implements the same protocol. Nothing outside ``coverage_gis.storage`` knows how rows
are stored (SQLite, GeoPackage geometry blobs, SQL).

Two kinds of write exist, both atomic:

* :meth:`WorkspaceStorage.replace_layers` replaces whole layers (imports, the demo, a
  full recompute), optionally appending a revision in the same step;
* :meth:`WorkspaceStorage.edit` yields a :class:`RowEditor` whose row inserts,
  deletes and updates and one revision append form one transaction (site edits).

Reads never write. :meth:`WorkspaceStorage.snapshot` is one read transaction: the
layers read in it and its revision number belong to one committed state, whatever
other processes commit meanwhile (SQLite: a WAL read transaction; PostgreSQL: a
``REPEATABLE READ`` transaction). A reader never waits for a writer.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, Protocol

import geopandas as gpd
import pandas as pd

from coverage_gis.crs import STORAGE_CRS, BBox
from coverage_gis.layers import LayerSchema
from coverage_gis.revisions import RevisionRecord

#: One row: column name → value; layers with geometry carry a shapely geometry
#: (EPSG:4326) under ``"geometry"``.
Record = Mapping[str, Any]

#: Layers whose rows are edited in place (the rest are only ever replaced whole).
ROW_EDITED_LAYERS: frozenset[str] = frozenset(
    {"sites", "cells", "village_coverage", "revisions", "coverage_changes"}
)
#: Columns row edits look rows up by; a backend indexes them.
ROW_KEYS: Mapping[str, tuple[str, ...]] = {
    "sites": ("site_id",),
    "cells": ("site_id", "cell_id"),
    "village_coverage": ("village_id",),
    "revisions": ("revision",),
    "coverage_changes": ("revision",),
}


class LayerReader(Protocol):
    """Anything layers can be read from: a storage, or one snapshot of it."""

    def layer_names(self) -> list[str]:
        """Layers present (a layer never written is absent)."""
        ...

    def read_layer(self, name: str, *, missing_ok: bool = False) -> pd.DataFrame:
        """One layer in EPSG:4326 with the schema's columns and types.

        A layer with geometry comes back as a :class:`geopandas.GeoDataFrame`. A
        missing layer raises :class:`~coverage_gis.errors.NotFound`, or gives
        :func:`empty_layer` when ``missing_ok``.
        """
        ...


class Snapshot(LayerReader, Protocol):
    """Reads that belong together: layers plus the revision they were read at."""

    @property
    def revision(self) -> int:
        """The latest revision when the snapshot was taken (0 before any)."""
        ...

    def coverage_is_current(self) -> bool:
        """False when the latest revision changed inputs without recomputing coverage."""
        ...


class RowEditor(Protocol):
    """Row-level writes inside one transaction (see :meth:`WorkspaceStorage.edit`)."""

    def revision(self) -> int:
        """The latest revision as this transaction sees it (writers check it before writing)."""
        ...

    def insert_rows(self, layer: str, records: Sequence[Record]) -> None:
        """Insert rows; a key that is not a column of ``layer`` is an error."""
        ...

    def delete_where_in(self, layer: str, column: str, values: Iterable[Any]) -> int:
        """Delete the rows whose ``column`` is one of ``values``; returns how many."""
        ...

    def update_rows(self, layer: str, key: str, records: Sequence[Record]) -> None:
        """Set the other columns of each record on the row whose ``key`` matches."""
        ...

    def append_revision(self, record: RevisionRecord, *, time: str | None = None) -> int:
        """Append ``record`` (and its coverage changes) to the log; returns its number."""
        ...


class WorkspaceStorage(LayerReader, Protocol):
    """Where a workspace's layers live. One instance per workspace; thread-safe for reads."""

    @property
    def location(self) -> str:
        """What to name in messages (a file path, a database URL without secrets)."""
        ...

    def exists(self) -> bool:
        """Whether anything has been written yet."""
        ...

    def layer_counts(self) -> dict[str, int]:
        """Feature count of each present layer."""
        ...

    def layer_bounds(self, name: str) -> BBox | None:
        """Lon/lat bounds of a present layer with geometry; None when empty or absent."""
        ...

    def replace_layers(
        self,
        layers: Mapping[str, pd.DataFrame],
        *,
        revision: RevisionRecord | None = None,
        fixed_timestamp: str | None = None,
    ) -> int | None:
        """Replace whole layers, all or nothing, appending ``revision`` in the same step.

        ``layers`` are already validated frames (EPSG:4326). ``fixed_timestamp`` is
        written instead of the current time (metadata and the revision), so that a
        generated workspace is reproducible. Returns the new revision number when
        ``revision`` is given. The caller holds the workspace's writer lock.
        """
        ...

    def edit(self) -> AbstractContextManager[RowEditor]:
        """A transaction for row edits: committed when the block ends, rolled back on error.

        Raises :class:`~coverage_gis.errors.Conflict` when another writer holds the
        storage. The caller holds the workspace's writer lock.
        """
        ...

    def revision(self) -> int:
        """The latest revision number (0 before any recorded change)."""
        ...

    def coverage_is_current(self) -> bool:
        """False when the latest revision changed inputs without recomputing coverage."""
        ...

    def snapshot(self) -> AbstractContextManager[Snapshot]:
        """Reads that belong to one committed state, tagged with its revision (one read transaction)."""
        ...

    def recover(self) -> list[Path]:
        """Clean up after a writer that crashed; returns the leftover files removed.

        Rolls back what an interrupted write left (a hot journal, uncommitted frames,
        temporary copies). The caller holds the workspace's writer lock, so no write
        is in progress.
        """
        ...


def empty_layer(schema: LayerSchema) -> pd.DataFrame:
    """A frame with the schema's columns and no rows (a GeoDataFrame for layers with geometry)."""
    data = {f.name: pd.Series([], dtype=object) for f in schema.fields}
    if schema.has_geometry:
        return gpd.GeoDataFrame(data, geometry=gpd.GeoSeries([], crs=STORAGE_CRS), crs=STORAGE_CRS)
    return pd.DataFrame(data)
