"""A workspace folder's settings, files and writer lock (the embedded default's home).

Layout (``docs/architecture.md``, workspace)::

    <ws>/workspace.yaml   the settings document
    <ws>/workspace.gpkg   the layers (coverage_gis.storage.gpkg)
    <ws>/dem.tif, <ws>/srtm/*.hgt, <ws>/roads.osm, <ws>/coverage_models.yaml   files
    <ws>/.workspace.lock  the writer lock (a file lock)

The settings and installed files are written atomically (a temporary file beside the
target, fsynced, then ``os.replace``); :meth:`FolderHome.recover` deletes the temporary
copies an interrupted write left.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

from filelock import FileLock, Timeout

from coverage_gis._files import atomic_path
from coverage_gis.errors import Conflict, WorkspaceError
from coverage_gis.storage.base import DEM_NAME, MODEL_SETTINGS_NAME, ROADS_NAME, SRTM_DIR

CONFIG_NAME = "workspace.yaml"
GPKG_NAME = "workspace.gpkg"
_LOCK_NAME = ".workspace.lock"
#: Files of a workspace folder (beside the settings and the GeoPackage).
_FILE_NAMES = (DEM_NAME, MODEL_SETTINGS_NAME, ROADS_NAME)
#: Temporary files of interrupted writes of the settings and of installed files.
_LEFTOVER_PATTERNS = tuple(f".{name}-*" for name in (CONFIG_NAME, *_FILE_NAMES))


def _write_atomically(target: Path, write: Path | str) -> None:
    """``target`` gets the text ``write`` (a str) or a copy of the file ``write``, whole or not at all."""
    with atomic_path(target) as tmp:
        if isinstance(write, str):
            tmp.write_text(write, encoding="utf-8")
        else:
            shutil.copyfile(write, tmp)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())


class FolderHome:
    """Settings, files and lock of a workspace folder (see the module docstring).

    Parameters
    ----------
    folder
        The workspace folder (it need not exist until something is written).
    """

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self._file_lock: FileLock | None = None

    @property
    def location(self) -> str:
        return str(self.folder)

    # -- settings ---------------------------------------------------------------------
    def read_settings(self) -> str | None:
        path = self.folder / CONFIG_NAME
        if not path.is_file():
            return None
        try:
            return path.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            raise WorkspaceError(f"{path}: not UTF-8 text: {exc}") from None

    def write_settings(self, text: str) -> None:
        _write_atomically(self.folder / CONFIG_NAME, text)

    def settings_stamp(self) -> tuple[int, int] | None:
        try:
            stat = (self.folder / CONFIG_NAME).stat()
        except OSError:
            return None
        return stat.st_mtime_ns, stat.st_size

    # -- files ------------------------------------------------------------------------
    def file_names(self) -> list[str]:
        names = [name for name in _FILE_NAMES if (self.folder / name).is_file()]
        tiles = self.folder / SRTM_DIR
        if tiles.is_dir():
            names += [f"{SRTM_DIR}/{p.name}" for p in tiles.glob("*.[hH][gG][tT]") if p.is_file()]
        return sorted(names)

    def file_path(self, name: str) -> Path | None:
        path = self.folder / name
        return path if path.exists() else None

    def install_file(self, name: str, source: Path) -> Path:
        target = self.folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        _write_atomically(target, source)
        return target

    # -- lock and recovery ------------------------------------------------------------
    @contextlib.contextmanager
    def lock(self, timeout_s: float) -> Iterator[None]:
        if self._file_lock is None:
            self._file_lock = FileLock(str(self.folder / _LOCK_NAME))
        try:
            with self._file_lock.acquire(timeout=timeout_s):
                yield
        except Timeout:
            raise Conflict(
                f"{self.folder} is being written by another process; try again when it finishes"
            ) from None

    def recover(self) -> list[Path]:
        removed = []
        for pattern in _LEFTOVER_PATTERNS:
            for leftover in sorted(self.folder.glob(pattern)):
                leftover.unlink(missing_ok=True)
                removed.append(leftover)
        return removed

    def prepare(self, *, create: bool) -> None:
        return None

    def close(self) -> None:
        return None
