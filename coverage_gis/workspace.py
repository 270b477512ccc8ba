"""Workspace: a folder holding one project's layers, settings and results.

Layout (DESIGN.md §3)::

    <ws>/workspace.yaml   settings: name, provinces, metric CRS, model, plan, ...
    <ws>/workspace.gpkg   every layer, EPSG:4326 (opens in QGIS)
    <ws>/dem.tif          optional terrain (GeoTIFF), or
    <ws>/srtm/*.hgt       SRTM tiles (used when there is no dem.tif)
    <ws>/coverage_models.yaml  optional copy of layers/coverage_models.yaml for this workspace
    <ws>/roads.osm        optional road network

Writes are atomic and serialised: a writer takes the workspace lock, copies the
GeoPackage to a temporary file beside it, writes there and replaces the original
in one ``os.replace``. A failure at any point leaves the previous file untouched.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyogrio
import yaml
from filelock import FileLock, Timeout

from coverage_gis import _gpkg
from coverage_gis.crs import STORAGE_CRS, check_metric_crs
from coverage_gis.errors import Conflict, NotFound, WorkspaceError
from coverage_gis.layers import LayerSchema, get_schema
from coverage_gis.revisions import RevisionRecord, append_revision, current_revision
from coverage_gis.validation import validate_layer

CONFIG_NAME = "workspace.yaml"
GPKG_NAME = "workspace.gpkg"
DEM_NAME = "dem.tif"
#: Folder of SRTM .hgt tiles used as the terrain when there is no dem.tif.
SRTM_DIR = "srtm"
#: A workspace's own copy of the coverage-model settings (else the shipped file).
MODEL_SETTINGS_NAME = "coverage_models.yaml"
ROADS_NAME = "roads.osm"
_LOCK_NAME = ".workspace.lock"
#: Seconds a writer waits for another writer before giving up with Conflict.
DEFAULT_LOCK_TIMEOUT_S = 10.0


@dataclass
class WorkspaceConfig:
    """Contents of ``workspace.yaml``."""

    name: str
    metric_crs: str | None = None
    provinces: list[str] = field(default_factory=list)
    model: str = "radius"
    plan: str | None = None
    ftth_reach_m: float = 500.0
    synthetic: bool = False
    description: str = ""
    created: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any], source: str) -> WorkspaceConfig:
        known = {f.name for f in fields(cls)}
        unknown = set(raw) - known
        if unknown:
            raise WorkspaceError(f"{source}: unknown settings {sorted(unknown)}; known: {sorted(known)}")
        if not isinstance(raw.get("name"), str):
            raise WorkspaceError(f"{source}: 'name' is required")
        config = cls(**dict(raw))
        config.provinces = [str(p) for p in config.provinces]
        if config.metric_crs:
            check_metric_crs(config.metric_crs)
        return config


def _restore_types(frame: pd.DataFrame, schema: LayerSchema) -> pd.DataFrame:
    """Undo what the GeoPackage round trip loses (nullable bools and ints come back as floats)."""
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


class Workspace:
    """An opened workspace folder. Create with :meth:`create`, open with :meth:`open`."""

    def __init__(self, path: Path, config: WorkspaceConfig) -> None:
        self.path = path
        self.config = config
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
        config = WorkspaceConfig(
            name=name or folder.name,
            metric_crs=check_metric_crs(metric_crs) if metric_crs else None,
            created=datetime.now(UTC).isoformat(timespec="seconds"),
            **settings,
        )
        ws = cls(folder, config)
        ws.save_config()
        return ws

    @classmethod
    def open(cls, path: str | Path) -> Workspace:
        """Open an existing workspace; :class:`WorkspaceError` if it is not one."""
        folder = Path(path)
        config_path = folder / CONFIG_NAME
        if not config_path.is_file():
            raise WorkspaceError(f"{folder} is not a workspace (no {CONFIG_NAME}); create one first")
        try:
            raw = yaml.safe_load(config_path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as exc:
            raise WorkspaceError(f"{config_path}: not valid YAML ({exc})") from None
        if not isinstance(raw, dict):
            raise WorkspaceError(f"{config_path}: must be a mapping")
        return cls(folder, WorkspaceConfig.from_mapping(raw, str(config_path)))

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

    def save_config(self) -> None:
        """Write ``workspace.yaml`` atomically."""
        text = yaml.safe_dump(asdict(self.config), allow_unicode=True, sort_keys=False)
        _atomic_write_text(self.path / CONFIG_NAME, text)

    def update_config(self, **changes: Any) -> None:
        """Change settings and save them (under the workspace lock)."""
        with self.lock():
            for key, value in changes.items():
                if not hasattr(self.config, key):
                    raise WorkspaceError(f"unknown workspace setting {key!r}")
                setattr(self.config, key, value)
            if self.config.metric_crs:
                check_metric_crs(self.config.metric_crs)
            self.save_config()

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
        """Layers present in the GeoPackage."""
        if not self.gpkg_path.is_file():
            return []
        return [str(row[0]) for row in pyogrio.list_layers(self.gpkg_path)]

    def has_layer(self, name: str) -> bool:
        return name in self.layer_names()

    def layer_counts(self) -> dict[str, int]:
        """Feature count of each present layer."""
        return {
            name: int(pyogrio.read_info(self.gpkg_path, layer=name)["features"])
            for name in self.layer_names()
        }

    def read_layer(self, name: str, *, missing_ok: bool = False) -> pd.DataFrame:
        """One layer as a (Geo)DataFrame in EPSG:4326 with schema types.

        A missing layer raises :class:`NotFound`, or gives an empty frame with the
        schema's columns when ``missing_ok``.
        """
        schema = get_schema(name)
        if not self.has_layer(name):
            if not missing_ok:
                raise NotFound(f"{self.path}: layer {name!r} is empty; import or generate it first")
            return empty_layer(schema)
        frame = pyogrio.read_dataframe(self.gpkg_path, layer=name, read_geometry=schema.has_geometry)
        if schema.has_geometry and frame.crs is not None and frame.crs != STORAGE_CRS:
            frame = frame.to_crs(STORAGE_CRS)
        return _restore_types(frame, schema)

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
            return self._replace_gpkg(prepared, fixed_timestamp=fixed_timestamp, revision=revision)

    @property
    def revision(self) -> int:
        """Latest revision number recorded in the workspace (0 if none)."""
        return current_revision(self.gpkg_path)

    def _replace_gpkg(
        self,
        layers: Mapping[str, pd.DataFrame],
        *,
        fixed_timestamp: str | None,
        revision: RevisionRecord | None,
    ) -> int | None:
        fd, tmp_name = tempfile.mkstemp(prefix=".workspace-", suffix=".gpkg", dir=self.path)
        os.close(fd)
        tmp = Path(tmp_name)
        try:
            if self.gpkg_path.is_file():
                shutil.copyfile(self.gpkg_path, tmp)
            else:
                tmp.unlink()
            options = {"OGR_CURRENT_DATE": fixed_timestamp} if fixed_timestamp else {}
            number = None
            with _gdal_config(options):
                for name, frame in layers.items():
                    _write_frame(tmp, name, frame)
                present = {str(row[0]) for row in pyogrio.list_layers(tmp)}
                for name in sorted(_gpkg.ROW_EDITED_LAYERS - present):
                    # Row-edited tables must exist before the first in-place edit.
                    _write_frame(tmp, name, empty_layer(get_schema(name)))
            with _gpkg.transaction(tmp) as conn:
                _gpkg.ensure_row_indexes(conn)
                if revision is not None:
                    number = append_revision(conn, revision, time=fixed_timestamp)
            with open(tmp, "rb+") as fh:
                os.fsync(fh.fileno())
            os.replace(tmp, self.gpkg_path)
            return number
        finally:
            tmp.unlink(missing_ok=True)


def _write_frame(path: Path, layer: str, frame: pd.DataFrame) -> None:
    schema = get_schema(layer)
    out = frame.copy()
    for spec in schema.fields:
        # GDAL has no nullable bool/int column type; nullable columns travel as float
        # and _restore_types turns them back.
        if spec.type in ("bool", "int") and str(out[spec.name].dtype) in ("boolean", "Int64"):
            out[spec.name] = out[spec.name].astype("float64")
    for spec in schema.fields:
        if spec.type in ("str", "date") and len(out) == 0:
            out[spec.name] = out[spec.name].astype(object)
        elif spec.type == "float" and len(out) == 0:
            out[spec.name] = out[spec.name].astype("float64")
        elif spec.type in ("int", "bool") and len(out) == 0:
            out[spec.name] = out[spec.name].astype("int64" if spec.type == "int" else bool)
    layer_options = {"SPATIAL_INDEX": "NO"} if layer in _gpkg.ROW_EDITED_LAYERS else {}
    if schema.has_geometry:
        if not isinstance(out, gpd.GeoDataFrame):
            raise WorkspaceError(f"layer {layer} needs a GeoDataFrame")
        # Lines may arrive as LineString or MultiLineString: store them all as Multi so
        # the GeoPackage layer has one declared type.
        lines = schema.geometry == "LineString"
        pyogrio.write_dataframe(
            out,
            path,
            layer=layer,
            driver="GPKG",
            geometry_type="MultiLineString" if lines else schema.geometry,
            promote_to_multi=lines,
            layer_options=layer_options,
        )
    else:
        pyogrio.write_dataframe(out, path, layer=layer, driver="GPKG")


@contextlib.contextmanager
def _gdal_config(options: Mapping[str, str]) -> Iterator[None]:
    if not options:
        yield
        return
    pyogrio.set_gdal_config_options(dict(options))
    try:
        yield
    finally:
        pyogrio.set_gdal_config_options(dict.fromkeys(options))


def empty_layer(schema: LayerSchema) -> pd.DataFrame:
    """A frame with the schema's columns and no rows."""
    data = {f.name: pd.Series([], dtype=object) for f in schema.fields}
    if schema.has_geometry:
        frame: pd.DataFrame = gpd.GeoDataFrame(
            data, geometry=gpd.GeoSeries([], crs=STORAGE_CRS), crs=STORAGE_CRS
        )
        return frame
    return pd.DataFrame(data)


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
