"""The storage interface of a workspace: what every backend provides.

:class:`~coverage_gis.workspace.Workspace` reaches its layers only through a
:class:`WorkspaceStorage`, and its settings, files and writer lock only through a
:class:`WorkspaceHome`. Two backends implement both: a folder with one GeoPackage
(:mod:`coverage_gis.storage.folder` and :mod:`coverage_gis.storage.gpkg`, the embedded
default) and a PostgreSQL/PostGIS database (:mod:`coverage_gis.storage.postgis`).
Nothing outside ``coverage_gis.storage`` knows how rows are stored (SQLite, GeoPackage
geometry blobs, SQL) nor where settings and files are kept.

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

from collections.abc import Hashable, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit, urlunsplit

import geopandas as gpd
import pandas as pd

from coverage_gis.crs import STORAGE_CRS, BBox
from coverage_gis.errors import WorkspaceError
from coverage_gis.layers import LayerSchema
from coverage_gis.revisions import RevisionRecord

#: One row: column name → value; layers with geometry carry a shapely geometry
#: (EPSG:4326) under ``"geometry"``.
Record = Mapping[str, Any]

#: URL schemes that name a PostgreSQL database (else a location is a folder).
DATABASE_URL_SCHEMES = ("postgresql://", "postgres://")


#: Environment variable naming the PostGIS workspace when no location is given.
DATABASE_URL_ENV = "COVGIS_DATABASE_URL"


def is_database_location(location: str | Path) -> bool:
    """Whether ``location`` names a PostgreSQL database (``postgresql://…``) rather than a folder."""
    return isinstance(location, str) and location.startswith(DATABASE_URL_SCHEMES)


def redact_url(url: str) -> str:
    """``url`` without its password (for messages and logs)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username or ''}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def resolve_location(location: str | Path | None, environ: Mapping[str, str]) -> str | Path:
    """The workspace a location names: a ``postgresql://`` URL as given, any other text a folder.

    Without a location, the database named by ``COVGIS_DATABASE_URL`` in ``environ``.

    Raises
    ------
    WorkspaceError
        No location and no ``COVGIS_DATABASE_URL``, or that variable is not a database URL.
    """
    if location is None or location == "":
        url = environ.get(DATABASE_URL_ENV, "").strip()
        if not url:
            raise WorkspaceError(
                f"no workspace given: name a folder or a postgresql:// URL, or set {DATABASE_URL_ENV}"
            )
        if not is_database_location(url):
            raise WorkspaceError(f"{DATABASE_URL_ENV} must be a postgresql:// URL, not {url!r}")
        return url
    if isinstance(location, Path):
        return location
    return location if is_database_location(location) else Path(location)


#: Files a workspace may hold beside its layers (names inside a workspace folder).
DEM_NAME = "dem.tif"
#: Folder of SRTM .hgt tiles used as the terrain when there is no dem.tif.
SRTM_DIR = "srtm"
#: A workspace's own copy of the coverage-model settings (else the shipped file).
MODEL_SETTINGS_NAME = "coverage_models.yaml"
ROADS_NAME = "roads.osm"

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


class SnapshotReader(LayerReader, Protocol):
    """What a backend reads a snapshot's layers through (one open read transaction)."""

    def coverage_is_current(self) -> bool:
        """False when the latest revision changed inputs without recomputing coverage."""
        ...


@dataclass(frozen=True)
class ReaderSnapshot:
    """The :class:`Snapshot` both backends yield: a reader inside one read transaction and its revision."""

    reader: SnapshotReader
    revision: int

    def layer_names(self) -> list[str]:
        return self.reader.layer_names()

    def read_layer(self, name: str, *, missing_ok: bool = False) -> pd.DataFrame:
        return self.reader.read_layer(name, missing_ok=missing_ok)

    def coverage_is_current(self) -> bool:
        return self.reader.coverage_is_current()


class CountingReader(SnapshotReader, Protocol):
    """A backend's reader inside one read transaction, with the counts and bounds storages report."""

    def count(self, name: str) -> int:
        """Rows of a present layer."""
        ...

    def bounds(self, name: str) -> BBox | None:
        """Lon/lat bounds of a present layer with geometry; None when empty or absent."""
        ...


class ReadsInTransactions:
    """The reads of a :class:`WorkspaceStorage`, each in a read transaction of its own.

    A backend subclasses it and provides :meth:`_read` (one read transaction's reader).
    """

    def _read(self) -> AbstractContextManager[CountingReader]:
        raise NotImplementedError

    def layer_names(self) -> list[str]:
        with self._read() as reader:
            return reader.layer_names()

    def layer_counts(self) -> dict[str, int]:
        with self._read() as reader:
            return {name: reader.count(name) for name in reader.layer_names()}

    def layer_bounds(self, name: str) -> BBox | None:
        with self._read() as reader:
            return reader.bounds(name)

    def read_layer(self, name: str, *, missing_ok: bool = False) -> pd.DataFrame:
        with self._read() as reader:
            return reader.read_layer(name, missing_ok=missing_ok)


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

    def close(self) -> None:
        """Release the connections it keeps (it stays usable: a later use opens new ones)."""
        ...


class WorkspaceHome(Protocol):
    """Where a workspace's settings, its files and its writer lock live.

    A folder keeps ``workspace.yaml``, the files beside it and a lock file; a database
    keeps the settings document and the files in tables and locks with an advisory
    lock. Files are named by their path inside a workspace folder (``dem.tif``,
    ``roads.osm``, ``coverage_models.yaml``, ``srtm/N14E108.hgt``).
    """

    @property
    def location(self) -> str:
        """What :meth:`Workspace.open <coverage_gis.workspace.Workspace.open>` takes (no secrets)."""
        ...

    def read_settings(self) -> str | None:
        """The settings document (``workspace.yaml``'s text); None when there is none yet."""
        ...

    def write_settings(self, text: str) -> None:
        """Replace the settings document atomically."""
        ...

    def settings_stamp(self) -> Hashable:
        """Changes whenever the settings document changes (cheap; no parsing)."""
        ...

    def file_names(self) -> list[str]:
        """Names of the workspace's files, sorted."""
        ...

    def file_path(self, name: str) -> Path | None:
        """A local path to read the file (or the folder of files) ``name`` from; None when absent."""
        ...

    def install_file(self, name: str, source: Path) -> Path:
        """Store a copy of ``source`` as ``name`` (whole or not at all); returns its local path.

        The caller holds the writer lock.
        """
        ...

    def lock(self, timeout_s: float) -> AbstractContextManager[None]:
        """The exclusive writer lock, re-entrant within one thread of one home object.

        Raises :class:`~coverage_gis.errors.Conflict` when another writer holds it past
        ``timeout_s`` (0: do not wait).
        """
        ...

    def recover(self) -> list[Path]:
        """Remove what a crashed writer left beside the layers; the caller holds the lock."""
        ...

    def prepare(self, *, create: bool) -> None:
        """Get ready to hold a workspace: a database checks its schema (or, with ``create``,
        applies the migrations it lacks); a folder has nothing to do."""
        ...

    def close(self) -> None:
        """Release connections (a no-op for a folder)."""
        ...


def typed_layer(frame: pd.DataFrame, schema: LayerSchema) -> pd.DataFrame:
    """The schema's columns, in order, with the schema's types (what every backend's read returns).

    Missing columns get the schema's default; nullable booleans and integers become
    pandas' nullable ``boolean`` / ``Int64`` only when they hold a missing value; text
    and dates are objects with None for missing values.
    """
    for spec in schema.fields:
        if spec.name not in frame:
            frame[spec.name] = pd.Series([spec.default] * len(frame), index=frame.index, dtype=object)
            continue
        col = frame[spec.name]
        if spec.type == "bool":
            if col.isna().any():
                frame[spec.name] = col.astype("boolean")
            else:
                frame[spec.name] = col.astype(bool)
        elif spec.type == "int":
            frame[spec.name] = col.astype("Int64") if col.isna().any() else col.astype("int64")
        elif spec.type == "float":
            frame[spec.name] = col.astype("float64")
        else:
            frame[spec.name] = col.astype(object).where(col.notna(), None)
    ordered = schema.field_names + (["geometry"] if schema.has_geometry else [])
    return frame[ordered]


def empty_layer(schema: LayerSchema) -> pd.DataFrame:
    """A frame with the schema's columns and no rows (a GeoDataFrame for layers with geometry)."""
    data = {f.name: pd.Series([], dtype=object) for f in schema.fields}
    if schema.has_geometry:
        return gpd.GeoDataFrame(data, geometry=gpd.GeoSeries([], crs=STORAGE_CRS), crs=STORAGE_CRS)
    return pd.DataFrame(data)
