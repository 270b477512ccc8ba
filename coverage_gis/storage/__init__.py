"""Workspace storage backends behind one interface (:mod:`coverage_gis.storage.base`).

``coverage_gis.storage.gpkg`` is the embedded default (one GeoPackage file). Only
:class:`~coverage_gis.workspace.Workspace` picks and calls a backend; everything else
reads and writes through the workspace.
"""

from coverage_gis.storage.base import (
    ROW_EDITED_LAYERS,
    LayerReader,
    Record,
    RowEditor,
    Snapshot,
    WorkspaceStorage,
    empty_layer,
)
from coverage_gis.storage.gpkg import GeoPackageStorage

__all__ = [
    "ROW_EDITED_LAYERS",
    "GeoPackageStorage",
    "LayerReader",
    "Record",
    "RowEditor",
    "Snapshot",
    "WorkspaceStorage",
    "empty_layer",
]
