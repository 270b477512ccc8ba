"""Workspace: a folder holding one project's layers, settings and results.

Layout (``docs/architecture.md``, workspace)::

    <ws>/workspace.yaml   settings: name, provinces, metric CRS, model, plan, ...
    <ws>/workspace.gpkg   every layer, EPSG:4326 (opens in QGIS)
    <ws>/dem.tif          optional terrain (GeoTIFF), or
    <ws>/srtm/*.hgt       SRTM tiles (used when there is no dem.tif)
    <ws>/coverage_models.yaml  optional copy of layers/coverage_models.yaml for this workspace
    <ws>/roads.osm        optional road network

:class:`Workspace` owns the settings, the writer lock and every read and write of
layers; it delegates the storing itself to a backend (:mod:`coverage_gis.storage`,
the GeoPackage by default). Writes are atomic and serialised by the workspace lock:
whole layers through :meth:`Workspace.write_layers`, rows through
:meth:`Workspace.edit`. Reads never write.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import pandas as pd
import yaml
from filelock import FileLock, Timeout
from pydantic import BaseModel, ConfigDict

from coverage_gis._documents import Code, NonNegativeNumber, Text, parse_document, read_yaml
from coverage_gis.crs import BBox, check_metric_crs
from coverage_gis.errors import Conflict, LayerValidationError, WorkspaceError
from coverage_gis.layers import get_schema
from coverage_gis.measurement_settings import Calibration, SpeedSettings
from coverage_gis.revisions import RevisionRecord
from coverage_gis.storage import GeoPackageStorage, RowEditor, Snapshot, WorkspaceStorage
from coverage_gis.validation import validate_layer

T = TypeVar("T")

CONFIG_NAME = "workspace.yaml"
GPKG_NAME = "workspace.gpkg"
DEM_NAME = "dem.tif"
#: Folder of SRTM .hgt tiles used as the terrain when there is no dem.tif.
SRTM_DIR = "srtm"
#: A workspace's own copy of the coverage-model settings (else the shipped file).
MODEL_SETTINGS_NAME = "coverage_models.yaml"
ROADS_NAME = "roads.osm"
_LOCK_NAME = ".workspace.lock"
#: Temporary files of interrupted writes of workspace.yaml and of installed files
#: (made by ``_atomic_write_text`` and ``coverage_gis.io.vector.install_file``).
_LEFTOVER_PATTERNS = (f".{CONFIG_NAME}-*", f".{DEM_NAME}-*", f".{ROADS_NAME}-*")
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
    """An opened workspace folder. Create with :meth:`create`, open with :meth:`open`."""

    def __init__(self, path: Path, config: WorkspaceConfig, storage: WorkspaceStorage | None = None) -> None:
        self.path = path
        self.config = config
        #: Where the layers live (the folder's GeoPackage unless given).
        self.storage: WorkspaceStorage = storage or GeoPackageStorage(path / GPKG_NAME)
        self._file_lock: FileLock | None = None

    # -- construction -----------------------------------------------------------------
    @classmethod
    def create(
        cls,
        path: str | Path,
        *,
        name: str | None = None,
        metric_crs: str | None = None,
        exist_ok: bool = False,
        **settings: Any,
    ) -> Workspace:
        """Make a new workspace folder with its ``workspace.yaml``."""
        folder = Path(path)
        if (folder / CONFIG_NAME).exists():
            if not exist_ok:
                raise WorkspaceError(f"{folder} is already a workspace")
            return cls.open(folder)
        if folder.exists() and any(folder.iterdir()):
            raise WorkspaceError(f"{folder} exists and is not empty; choose a new folder")
        folder.mkdir(parents=True, exist_ok=True)
        config = WorkspaceConfig.from_mapping(
            {
                "name": name or folder.name,
                "metric_crs": check_metric_crs(metric_crs) if metric_crs else None,
                "created": datetime.now(UTC).isoformat(timespec="seconds"),
                **settings,
            },
            source=f"settings of the new workspace {folder}",
        )
        ws = cls(folder, config)
        ws.save_config()
        return ws

    @classmethod
    def open(cls, path: str | Path) -> Workspace:
        """Open an existing workspace; :class:`WorkspaceError` if it is not one.

        What a crashed writer left is cleaned up first (:meth:`recover`).
        """
        folder = Path(path)
        ws = cls(folder, _read_config(folder))
        ws.recover()
        return ws

    def recover(self) -> list[Path]:
        """Clean up after a writer that crashed; returns the leftover files removed.

        Takes the writer lock without waiting: while another writer holds it, what
        looks left over may be its work in progress, and nothing is touched. Then the
        storage rolls back an interrupted transaction and deletes its temporary
        copies, and temporary settings and installed-file copies are deleted.
        """
        try:
            with self.lock(timeout_s=0):
                removed = self.storage.recover()
                for pattern in _LEFTOVER_PATTERNS:
                    for leftover in sorted(self.path.glob(pattern)):
                        leftover.unlink(missing_ok=True)
                        removed.append(leftover)
        except (Conflict, OSError):
            return []  # a writer is at work, or the folder is read-only
        return removed

    # -- paths and settings -------------------------------------------------------------
    @property
    def gpkg_path(self) -> Path:
        return self.path / GPKG_NAME

    @property
    def dem_path(self) -> Path | None:
        """``dem.tif``, else the folder ``srtm/`` when it holds SRTM ``.hgt`` tiles, else None."""
        p = self.path / DEM_NAME
        if p.is_file():
            return p
        tiles = self.path / SRTM_DIR
        return tiles if tiles.is_dir() and any(tiles.glob("*.[hH][gG][tT]")) else None

    @property
    def model_settings_path(self) -> Path | None:
        """The workspace's own ``coverage_models.yaml``, else None (the shipped settings apply)."""
        p = self.path / MODEL_SETTINGS_NAME
        return p if p.is_file() else None

    @property
    def roads_path(self) -> Path | None:
        p = self.path / ROADS_NAME
        return p if p.is_file() else None

    @property
    def metric_crs(self) -> str:
        """The CRS in metres used for every distance (set when boundaries are loaded)."""
        if self.config.metric_crs:
            return self.config.metric_crs
        raise WorkspaceError(
            f"{self.path}: no metric CRS yet; load communes first (covgis boundaries) "
            "or set metric_crs in workspace.yaml"
        )

    def reload_config(self) -> None:
        """Read ``workspace.yaml`` again (another process may have changed it)."""
        self.config = _read_config(self.path)

    def save_config(self) -> None:
        """Write ``workspace.yaml`` atomically."""
        text = yaml.safe_dump(self.config.model_dump(), allow_unicode=True, sort_keys=False)
        _atomic_write_text(self.path / CONFIG_NAME, text)

    def update_config(self, **changes: Any) -> None:
        """Change settings and save them (under the workspace lock)."""
        unknown = sorted(set(changes) - set(WorkspaceConfig.model_fields))
        if unknown:
            raise WorkspaceError(f"unknown workspace setting {unknown[0]!r}")
        with self.lock():
            self.config = WorkspaceConfig.from_mapping(
                {**self.config.model_dump(), **changes}, source=str(self.path / CONFIG_NAME)
            )
            self.save_config()

    def edit_config(self, change: Callable[[WorkspaceConfig], T]) -> T:
        """Read-modify-write ``workspace.yaml`` under the lock, from the file on disk.

        ``change`` gets the freshly read settings and may modify them; they are saved
        when it returns (not when it raises). Returns what ``change`` returns.
        """
        with self.lock():
            fresh = _read_config(self.path)
            result = change(fresh)
            self.config = fresh
            self.save_config()
        return result

    # -- locking ------------------------------------------------------------------------
    @contextlib.contextmanager
    def lock(self, timeout_s: float = DEFAULT_LOCK_TIMEOUT_S) -> Iterator[None]:
        """Exclusive writer lock; :class:`Conflict` if another writer holds it too long.

        Re-entrant within one thread of one Workspace object, so a caller holding the
        lock (checks, then write) can call methods that take it again.
        """
        if self._file_lock is None:
            self._file_lock = FileLock(str(self.path / _LOCK_NAME))
        try:
            with self._file_lock.acquire(timeout=timeout_s):
                yield
        except Timeout:
            raise Conflict(
                f"{self.path} is being written by another process; try again when it finishes"
            ) from None

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
        prepared: dict[str, pd.DataFrame] = {}
        for name, frame in layers.items():
            schema = get_schema(name)
            if validate:
                frame, _ = validate_layer(frame, schema, source=source)
            prepared[name] = frame
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


def _read_config(folder: Path) -> WorkspaceConfig:
    config_path = folder / CONFIG_NAME
    if not config_path.is_file():
        raise WorkspaceError(
            f"{folder} is not a workspace (no {CONFIG_NAME}): create one with 'covgis init {folder}' "
            f"(for your own data) or 'covgis demo {folder}' (a demo province)"
        )
    try:
        raw = read_yaml(config_path, what="workspace settings")
    except LayerValidationError as exc:
        raise WorkspaceError(str(exc)) from None
    return WorkspaceConfig.from_mapping(raw if raw is not None else {}, str(config_path))


def _atomic_write_text(path: Path, text: str) -> None:
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}-", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp_name, path)
    finally:
        Path(tmp_name).unlink(missing_ok=True)
