"""Workspace storage backends behind one interface (:mod:`coverage_gis.storage.base`).

A folder (``coverage_gis.storage.folder`` for the settings, files and lock,
``coverage_gis.storage.gpkg`` for the layers: the embedded default) or a PostGIS
database (``coverage_gis.storage.postgis``: all of it). Only
:class:`~coverage_gis.workspace.Workspace` picks and calls a backend; everything else
reads and writes through the workspace.
"""

from coverage_gis.storage.base import (
    DEM_NAME,
    MODEL_SETTINGS_NAME,
    ROADS_NAME,
    ROW_EDITED_LAYERS,
    SRTM_DIR,
    LayerReader,
    Record,
    RowEditor,
    Snapshot,
    WorkspaceHome,
    WorkspaceStorage,
    empty_layer,
    typed_layer,
)
from coverage_gis.storage.gpkg import GeoPackageStorage

__all__ = [
    "DEM_NAME",
    "MODEL_SETTINGS_NAME",
    "ROADS_NAME",
    "ROW_EDITED_LAYERS",
    "SRTM_DIR",
    "GeoPackageStorage",
    "LayerReader",
    "Record",
    "RowEditor",
    "Snapshot",
    "WorkspaceHome",
    "WorkspaceStorage",
    "empty_layer",
    "typed_layer",
]
