"""Workspace: one project's layers, settings, files and results, in a folder or a database.

A workspace's location is a folder (the embedded default) or a ``postgresql://`` URL.
Folder layout (``docs/architecture.md``, workspace)::

    <ws>/workspace.yaml   settings: name, provinces, metric CRS, model, plan, ...
    <ws>/workspace.gpkg   every layer, EPSG:4326 (opens in QGIS)
    <ws>/dem.tif          optional terrain (GeoTIFF), or
    <ws>/srtm/*.hgt       SRTM tiles (used when there is no dem.tif)
    <ws>/coverage_models.yaml  optional copy of layers/coverage_models.yaml for this workspace
    <ws>/roads.osm        optional road network

A database holds the same layers as PostGIS tables, the settings document and the
files in tables of its own (:mod:`coverage_gis.storage.postgis`).

:class:`Workspace` owns the settings, the writer lock and every read and write of
layers; it delegates the storing itself to a backend (:mod:`coverage_gis.storage`): a
:class:`~coverage_gis.storage.WorkspaceStorage` for the layers and a
:class:`~coverage_gis.storage.WorkspaceHome` for the settings, files and lock. Writes
are atomic and serialised by the workspace lock: whole layers through
:meth:`Workspace.write_layers`, rows through :meth:`Workspace.edit`. Reads never write.
"""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Callable, Hashable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict

from coverage_gis._documents import Code, NonNegativeNumber, Text, parse_document, parse_yaml_text
from coverage_gis.crs import BBox, check_metric_crs
from coverage_gis.errors import Conflict, LayerValidationError, WorkspaceError
from coverage_gis.layers import get_schema
from coverage_gis.measurement_settings import Calibration, SpeedSettings
from coverage_gis.revisions import RevisionRecord
from coverage_gis.storage import (
    DEM_NAME,
    MODEL_SETTINGS_NAME,
    ROADS_NAME,
    SRTM_DIR,
    GeoPackageStorage,
    RowEditor,
    Snapshot,
    WorkspaceHome,
    WorkspaceStorage,
)
from coverage_gis.storage.base import is_database_location
from coverage_gis.storage.folder import CONFIG_NAME, GPKG_NAME, FolderHome
from coverage_gis.validation import validate_layer

__all__ = [
    "CONFIG_NAME",
    "DEFAULT_LOCK_TIMEOUT_S",
    "DEM_NAME",
    "GPKG_NAME",
    "MODEL_SETTINGS_NAME",
    "ROADS_NAME",
    "SRTM_DIR",
    "Workspace",
    "WorkspaceConfig",
    "is_database_location",
]

T = TypeVar("T")

_EPOCH = "1970-01-01T00:00:00+00:00"
#: Seconds a writer waits for another writer before giving up with Conflict.
DEFAULT_LOCK_TIMEOUT_S = 10.0


class WorkspaceConfig(BaseModel):
    """Contents of ``workspace.yaml``: these settings and nothing else (checked on load and on change)."""

    model_config = ConfigDict(extra="forbid", strict=True, validate_assignment=True)

    name: Text
    metric_crs: str | None = None
    provinces: list[Code] = []
    model: str = "radius"
    plan: str | None = None
    ftth_reach_m: NonNegativeNumber = 500.0
    synthetic: bool = False
    description: str = ""
    created: Code = ""
    #: Measured speed: matching radius, minimum samples, bootstrap (absent: the defaults).
    speed: SpeedSettings | None = None
    #: The link-budget calibration stored by ``covgis calibrate --write``.
    calibration: Calibration | None = None
    extra: dict[str, Any] = {}

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any], source: str) -> WorkspaceConfig:
        """Settings from a parsed ``workspace.yaml``; :class:`WorkspaceError` naming the key otherwise."""
        try:
            config = parse_document(cls, raw, source=source)
        except LayerValidationError as exc:
            raise WorkspaceError(str(exc)) from None
        if config.metric_crs:
            check_metric_crs(config.metric_crs)
        return config

    @property
    def speed_settings(self) -> SpeedSettings:
        """The measured-speed settings in force (the defaults where ``speed`` is absent)."""
        return self.speed if self.speed is not None else SpeedSettings()


class Workspace:
    """An opened workspace. Create with :meth:`create`, open with :meth:`open`.

    ``location`` is a folder or a ``postgresql://`` URL (see the module docstring).
    """

    def __init__(self, home: WorkspaceHome, storage: WorkspaceStorage, config: WorkspaceConfig) -> None:
        #: Where the settings, files and writer lock live.
        self.home = home
        #: Where the layers live.
        self.storage = storage
        self.config = config

    @staticmethod
    def _backend(location: str | Path) -> tuple[WorkspaceHome, WorkspaceStorage]:
        if is_database_location(location):
            # Imported here: psycopg is loaded only by processes that use a database.
            from coverage_gis.storage.postgis import PostGISStorage

            database = PostGISStorage(str(location))
            return database, database
        folder = Path(location)
        return FolderHome(folder), GeoPackageStorage(folder / GPKG_NAME)

    # -- construction -----------------------------------------------------------------
    @classmethod
    def create(
        cls,
        location: str | Path,
        *,
        name: str | None = None,
        metric_crs: str | None = None,
        exist_ok: bool = False,
        layers: Mapping[str, pd.DataFrame] | None = None,
        source: str = "<memory>",
        **settings: Any,
    ) -> Workspace:
        """Make a new workspace: a folder with its ``workspace.yaml``, or a database's settings.

        A database gets the schema first (:meth:`WorkspaceHome.prepare
        <coverage_gis.storage.WorkspaceHome.prepare>`); it must hold no workspace yet.
        ``layers`` (named in errors as ``source``) are validated before anything is made
        and written before the settings: a creation that failed leaves no workspace behind,
        and a folder it made is removed, so the same command can simply be run again.
        """
        prepared = _validated(layers or {}, source)
        home, storage = cls._backend(location)
        made_folder = isinstance(home, FolderHome) and not home.folder.exists()
        try:
            home.prepare(create=True)
            if home.read_settings() is not None:
                if not exist_ok:
                    raise WorkspaceError(f"{home.location} is already a workspace")
                home.close()
                return cls.open(location)
            _make_room(home, storage)
            config = WorkspaceConfig.from_mapping(
                {
                    "name": name or _default_name(location),
                    "metric_crs": check_metric_crs(metric_crs) if metric_crs else None,
                    "created": datetime.now(UTC).isoformat(timespec="seconds"),
                    **settings,
                },
                source=f"settings of the new workspace {home.location}",
            )
            ws = cls(home, storage, config)
            if prepared:
                with ws.lock():
                    storage.replace_layers(prepared)
            ws.save_config()
        except BaseException:
            home.close()
            if made_folder and isinstance(home, FolderHome):
                shutil.rmtree(home.folder, ignore_errors=True)
            raise
        return ws

    def copy_to(self, location: str | Path, *, fixed_timestamp: str | None = None) -> Workspace:
        """Copy this workspace, whole, to a new ``location`` (a folder or an empty database).

        The settings document, every layer (in the order they were written, with the
        revision log) and every file are copied as they are: a folder's workspace loaded
        into a database and dumped back gives the same content. The layers are read in
        one snapshot, so a copy never mixes revisions. ``fixed_timestamp`` is written as
        the layers' write time (the copy is then reproducible byte for byte). The
        settings are written last: a copy that failed half-way is not a workspace.

        Raises
        ------
        WorkspaceError
            ``location`` already holds a workspace or layers (a folder: is not empty).
        """
        home, storage = self._backend(location)
        try:
            home.prepare(create=True)
            if home.read_settings() is not None:
                raise WorkspaceError(f"{home.location} is already a workspace; choose a new one")
            _make_room(home, storage)
            text = self.home.read_settings()
            assert text is not None  # an opened workspace has its settings
            with self.snapshot() as snap:
                layers = {name: snap.read_layer(name) for name in snap.layer_names()}
            copy = Workspace(home, storage, self.config.model_copy())
            with copy.lock():
                for name in self.file_names():
                    path = self.file_path(name)
                    if path is not None and path.is_file():
                        home.install_file(name, path)
                if layers:
                    storage.replace_layers(layers, fixed_timestamp=fixed_timestamp)
                home.write_settings(text)
            copy.reload_config()
            return copy
        except BaseException:
            home.close()
            raise

    @classmethod
    def open(cls, location: str | Path) -> Workspace:
        """Open an existing workspace; :class:`WorkspaceError` if it is not one.

        What a crashed writer left is cleaned up first (:meth:`recover`).
        """
        home, storage = cls._backend(location)
        try:
            home.prepare(create=False)
            config = _read_config(home)
        except BaseException:
            home.close()
            raise
        ws = cls(home, storage, config)
        ws.recover()
        return ws

    def close(self) -> None:
        """Release the storage's connections; the object stays usable."""
        self.home.close()
        self.storage.close()  # a database's home is its storage too: closing twice is harmless

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def recover(self) -> list[Path]:
        """Clean up after a writer that crashed; returns the leftover files removed.

        Takes the writer lock without waiting: while another writer holds it, what
        looks left over may be its work in progress, and nothing is touched. Then the
        storage rolls back an interrupted transaction and deletes its temporary
        copies, and temporary settings and installed-file copies are deleted.
        """
        try:
            with self.lock(timeout_s=0):
                return self.storage.recover() + self.home.recover()
        except (Conflict, OSError):
            return []  # a writer is at work, or the folder is read-only

    # -- location, files and settings ----------------------------------------------------
    @property
    def location(self) -> str:
        """What :meth:`open` takes to open this workspace again (a folder, or a URL without password)."""
        return self.home.location

    @property
    def url(self) -> str | None:
        """The database URL of a PostGIS workspace (with its password, if it has one); None for a folder."""
        url = getattr(self.home, "url", None)
        return str(url) if url is not None else None

    @property
    def backend(self) -> str:
        """``gpkg`` (a folder) or ``postgis`` (a database)."""
        return "gpkg" if isinstance(self.home, FolderHome) else "postgis"

    @property
    def path(self) -> Path:
        """The workspace folder (only a folder workspace has one; see :attr:`location`)."""
        if isinstance(self.home, FolderHome):
            return self.home.folder
        raise WorkspaceError(f"{self.location} is a database workspace; it has no folder")

    @property
    def gpkg_path(self) -> Path:
        return self.path / GPKG_NAME

    @property
    def dem_path(self) -> Path | None:
        """``dem.tif``, else the folder ``srtm/`` when it holds SRTM ``.hgt`` tiles, else None."""
        dem = self.home.file_path(DEM_NAME)
        if dem is not None and dem.is_file():
            return dem
        tiles = self.home.file_path(SRTM_DIR)
        return tiles if tiles is not None and tiles.is_dir() and any(tiles.glob("*.[hH][gG][tT]")) else None

    @property
    def model_settings_path(self) -> Path | None:
        """The workspace's own ``coverage_models.yaml``, else None (the shipped settings apply)."""
        return self._file(MODEL_SETTINGS_NAME)

    @property
    def roads_path(self) -> Path | None:
        return self._file(ROADS_NAME)

    def _file(self, name: str) -> Path | None:
        path = self.home.file_path(name)
        return path if path is not None and path.is_file() else None

    def file_names(self) -> list[str]:
        """The workspace's files beside its layers (``dem.tif``, ``srtm/N14E108.hgt``, …)."""
        return self.home.file_names()

    def file_path(self, name: str) -> Path | None:
        """A local path to read the workspace's file ``name`` from; None when it has none."""
        return self.home.file_path(name)

    def install_file(self, source: Path, name: str) -> Path:
        """Store a copy of ``source`` as the workspace's file ``name``, whole or not at all, under the lock.

        Returns the local path to read it from.
        """
        with self.lock():
            return self.home.install_file(name, Path(source))

    @property
    def metric_crs(self) -> str:
        """The CRS in metres used for every distance (set when boundaries are loaded)."""
        if self.config.metric_crs:
            return self.config.metric_crs
        raise WorkspaceError(
            f"{self.location}: no metric CRS yet; load communes first (covgis boundaries) "
            "or set metric_crs in workspace.yaml"
        )

    def read_config(self) -> WorkspaceConfig:
        """The stored settings as they are now (another process may have changed them)."""
        return _read_config(self.home)

    def reload_config(self) -> None:
        """Read the settings again (another process may have changed them)."""
        self.config = self.read_config()

    def settings_stamp(self) -> Hashable:
        """Changes whenever the stored settings change (cheap: nothing is parsed)."""
        return self.home.settings_stamp()

    def save_config(self) -> None:
        """Write the settings atomically (``workspace.yaml``, or the database's settings row)."""
        self.home.write_settings(settings_text(self.config))

    def update_config(self, **changes: Any) -> None:
        """Change settings and save them (under the workspace lock)."""
        unknown = sorted(set(changes) - set(WorkspaceConfig.model_fields))
        if unknown:
            raise WorkspaceError(f"unknown workspace setting {unknown[0]!r}")
        with self.lock():
            self.config = WorkspaceConfig.from_mapping(
                {**self.config.model_dump(), **changes}, source=_settings_source(self.home)
            )
            self.save_config()

    def edit_config(self, change: Callable[[WorkspaceConfig], T]) -> T:
        """Read-modify-write the settings under the lock, from the stored document.

        ``change`` gets the freshly read settings and may modify them; they are saved
        when it returns (not when it raises). Returns what ``change`` returns.
        """
        with self.lock():
            fresh = _read_config(self.home)
            result = change(fresh)
            self.config = fresh
            self.save_config()
        return result

    # -- locking ------------------------------------------------------------------------
    @contextlib.contextmanager
    def lock(self, timeout_s: float = DEFAULT_LOCK_TIMEOUT_S) -> Iterator[None]:
        """Exclusive writer lock; :class:`Conflict` if another writer holds it too long.

        A file lock for a folder, an advisory lock for a database. Re-entrant within one
        thread of one Workspace object, so a caller holding the lock (checks, then
        write) can call methods that take it again.
        """
        with self.home.lock(timeout_s):
            yield

    # -- reading ------------------------------------------------------------------------
    def layer_names(self) -> list[str]:
        """Layers present in the workspace."""
        return self.storage.layer_names()

    def has_layer(self, name: str) -> bool:
        return name in self.layer_names()

    def layer_counts(self) -> dict[str, int]:
        """Feature count of each present layer."""
        return self.storage.layer_counts()

    def layer_bounds(self, name: str) -> BBox | None:
        """Lon/lat bounds of a layer with geometry (None when empty or absent)."""
        return self.storage.layer_bounds(name)

    def read_layer(self, name: str, *, missing_ok: bool = False) -> pd.DataFrame:
        """One layer as a (Geo)DataFrame in EPSG:4326 with schema types.

        A missing layer raises :class:`~coverage_gis.errors.NotFound`, or gives an
        empty frame with the schema's columns when ``missing_ok``.
        """
        return self.storage.read_layer(name, missing_ok=missing_ok)

    @property
    def revision(self) -> int:
        """Latest revision number recorded in the workspace (0 if none)."""
        return self.storage.revision()

    def coverage_is_current(self) -> bool:
        """False when the latest revision changed inputs without recomputing coverage."""
        return self.storage.coverage_is_current()

    def last_change_time(self) -> str:
        """When the workspace last changed: its latest revision's time, else when it was created."""
        revisions = self.read_layer("revisions", missing_ok=True)
        if len(revisions):
            return str(revisions.sort_values("revision")["time"].iloc[-1])
        return self.config.created or _EPOCH

    def snapshot(self) -> contextlib.AbstractContextManager[Snapshot]:
        """Reads of several layers that belong to one revision (``snapshot.revision``)."""
        return self.storage.snapshot()

    # -- writing ------------------------------------------------------------------------
    def write_layers(
        self,
        layers: Mapping[str, pd.DataFrame],
        *,
        validate: bool = True,
        source: str = "<memory>",
        fixed_timestamp: str | None = None,
        revision: RevisionRecord | None = None,
    ) -> int | None:
        """Replace whole layers, all or nothing, optionally logging a revision with them.

        Parameters
        ----------
        layers
            Layer name → frame (EPSG:4326 for layers with geometry).
        validate
            Run schema validation first (skip only for frames that came from
            :func:`coverage_gis.validation.validate_layer` already).
        source
            Named in validation errors.
        fixed_timestamp
            ISO time written into the GeoPackage metadata instead of now, so that
            generated workspaces are byte-reproducible.
        revision
            Revision to append in the same atomic replacement.

        Returns
        -------
        The new revision number, when ``revision`` was given.
        """
        prepared = _validated(layers, source) if validate else dict(layers)
        with self.lock():
            return self.storage.replace_layers(prepared, fixed_timestamp=fixed_timestamp, revision=revision)

    @contextlib.contextmanager
    def edit(self, *, timeout_s: float = DEFAULT_LOCK_TIMEOUT_S) -> Iterator[RowEditor]:
        """Row edits and one revision append in one transaction, under the writer lock.

        Everything written through the yielded :class:`~coverage_gis.storage.RowEditor`
        is committed when the block ends and rolled back when it raises.
        """
        with self.lock(timeout_s), self.storage.edit() as editor:
            yield editor


def settings_text(config: WorkspaceConfig) -> str:
    """The settings document of ``config`` (the text of ``workspace.yaml``)."""
    return yaml.safe_dump(config.model_dump(), allow_unicode=True, sort_keys=False)


def _settings_source(home: WorkspaceHome) -> str:
    """How errors name the settings document."""
    if isinstance(home, FolderHome):
        return str(home.folder / CONFIG_NAME)
    return f"{home.location} (settings)"


def _validated(layers: Mapping[str, pd.DataFrame], source: str) -> dict[str, pd.DataFrame]:
    """``layers`` checked against their schemas (:func:`validate_layer`), in their order."""
    return {name: validate_layer(frame, get_schema(name), source=source)[0] for name, frame in layers.items()}


def _make_room(home: WorkspaceHome, storage: WorkspaceStorage) -> None:
    """Make the folder of a new workspace; refuse a non-empty folder or a database with layers."""
    if isinstance(home, FolderHome):
        if home.folder.exists() and any(home.folder.iterdir()):
            raise WorkspaceError(f"{home.folder} exists and is not empty; choose a new folder")
        home.folder.mkdir(parents=True, exist_ok=True)
    elif storage.exists():
        raise WorkspaceError(f"{home.location} already holds layers; choose an empty database")


def _default_name(location: str | Path) -> str:
    if is_database_location(location):
        return str(location).split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1] or "workspace"
    return Path(location).name


def _read_config(home: WorkspaceHome) -> WorkspaceConfig:
    text = home.read_settings()
    source = _settings_source(home)
    if text is None:
        if isinstance(home, FolderHome):
            raise WorkspaceError(
                f"{home.location} is not a workspace (no {CONFIG_NAME}): create one with "
                f"'covgis init {home.location}' (for your own data) or 'covgis demo {home.location}' "
                "(a demo province)"
            )
        raise WorkspaceError(
            f"{home.location} holds no workspace settings; create one (covgis db init or covgis db load)"
        )
    try:
        raw = parse_yaml_text(text, source=source)
    except LayerValidationError as exc:
        raise WorkspaceError(str(exc)) from None
    return WorkspaceConfig.from_mapping(raw if raw is not None else {}, source)
