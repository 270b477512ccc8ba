"""Coverage models: the registry that names them, loads their settings and builds them.

Each model lives in its own module and implements
:class:`~coverage_gis.models.base.CoverageModel` on plain arrays:

* ``radius`` (:mod:`~coverage_gis.models.radius`): nominal radius per tech × clutter
  class, restricted to the sector;
* ``pathloss`` (:mod:`~coverage_gis.models.pathloss`): link budget with COST-231 Hata
  or 3GPP 38.901 and the antenna pattern, against a threshold per tech;
* ``terrain`` (:mod:`~coverage_gis.models.terrain`): the link budget over a DEM, with
  the terrain's diffraction (delta-Bullington) or Longley–Rice ITM
  (:mod:`coverage_gis.terrain`).

This module owns the mapping from a model name to its class and the default location
of the settings file (``layers/coverage_models.yaml``).
"""

from __future__ import annotations

from pathlib import Path

from coverage_gis._resources import layers_dir
from coverage_gis.errors import LayerValidationError, WorkspaceError
from coverage_gis.models.base import CoverageModel
from coverage_gis.models.pathloss import PathlossModel
from coverage_gis.models.radius import RadiusModel
from coverage_gis.models.settings import MODEL_NAMES, ModelSettings, load_settings_file
from coverage_gis.models.terrain import TerrainModel

__all__ = [
    "MODEL_NAMES",
    "CoverageModel",
    "ModelSettings",
    "PathlossModel",
    "RadiusModel",
    "TerrainModel",
    "create_model",
    "default_settings_path",
    "load_model_settings",
]


def default_settings_path() -> Path:
    """The shipped settings file, ``layers/coverage_models.yaml``."""
    return layers_dir() / "coverage_models.yaml"


def load_model_settings(path: Path | None = None) -> ModelSettings:
    """Read and validate coverage-model settings.

    Parameters
    ----------
    path
        A settings YAML file; the shipped ``layers/coverage_models.yaml`` when None.

    Raises
    ------
    LayerValidationError
        The file is unreadable or breaks the schema (the message names the file and
        the dotted key).
    """
    return load_settings_file(default_settings_path() if path is None else Path(path))


def create_model(
    name: str,
    settings: ModelSettings | None = None,
    *,
    dem_path: Path | None = None,
    metric_crs: str | None = None,
) -> CoverageModel:
    """Build the coverage model called ``name``.

    Parameters
    ----------
    name
        One of :data:`MODEL_NAMES`.
    settings
        Model settings; the shipped defaults when None.
    dem_path
        Terrain (a GeoTIFF in metres, an SRTM ``.hgt`` tile or a folder of them);
        required by the ``terrain`` model.
    metric_crs
        The CRS of the coordinates the model will receive; the terrain model needs it
        to sample a DEM stored in another CRS (when None, the DEM's own CRS must be a
        projected CRS in metres and is assumed to be the same).

    Raises
    ------
    LayerValidationError
        Unknown model name (``field="model"``).
    WorkspaceError
        ``terrain`` without a DEM, or a DEM that cannot be read.
    """
    if name not in MODEL_NAMES:
        raise LayerValidationError(
            f"unknown coverage model {name!r}; choose one of {', '.join(MODEL_NAMES)}",
            field="model",
        )
    settings = load_model_settings() if settings is None else settings
    if name == "radius":
        return RadiusModel(settings)
    if name == "pathloss":
        return PathlossModel(settings)
    if dem_path is None:
        raise WorkspaceError(
            "the terrain coverage model needs a DEM: put a GeoTIFF of ground heights "
            "(metres) at <workspace>/dem.tif or SRTM .hgt tiles in <workspace>/srtm/, "
            "or choose the radius or pathloss model"
        )
    return TerrainModel(settings, Path(dem_path), metric_crs)
