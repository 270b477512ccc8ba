"""Where the project's data folders (layers/, data/boundaries, data/plans) are found.

An installed wheel carries them as package data under ``coverage_gis/_data`` (the
mapping is in ``pyproject.toml``); a source checkout (editable install) has them at the
repository root. ``COVGIS_DATA_ROOT`` overrides both, for deployments that keep them
elsewhere. See ``docs/architecture.md`` (packaging).
"""

from __future__ import annotations

import os
from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


def data_root() -> Path:
    """Folder holding ``layers/`` and ``data/``."""
    override = os.environ.get("COVGIS_DATA_ROOT")
    if override:
        return Path(override)
    packaged = _PACKAGE_DIR / "_data"
    if (packaged / "layers").is_dir():
        return packaged
    return _PACKAGE_DIR.parent


def layers_dir() -> Path:
    """Folder of the layer schemas and model settings (``layers/*.yaml``)."""
    return data_root() / "layers"


def boundaries_dir() -> Path:
    """Folder of the real administrative boundaries shipped with the project."""
    return data_root() / "data" / "boundaries"


def plans_dir() -> Path:
    """Folder of the provincial plan indicator tables (``data/plans/*.yaml``)."""
    return data_root() / "data" / "plans"
