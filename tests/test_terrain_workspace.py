"""Workspace hooks of the terrain model: SRTM tiles in <ws>/srtm/, a workspace's own settings file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml

from coverage_gis.engine import workspace_model
from coverage_gis.errors import LayerValidationError
from coverage_gis.models import default_settings_path
from coverage_gis.models.terrain import TerrainModel
from coverage_gis.terrain.dem import HgtTiles
from coverage_gis.workspace import Workspace


def test_srtm_tiles_and_a_workspace_settings_file_choose_the_dem_and_the_method(tmp_path: Path) -> None:
    ws = Workspace.create(tmp_path / "ws", metric_crs="EPSG:32649", model="terrain")
    assert ws.dem_path is None
    assert ws.model_settings_path is None
    (ws.path / "srtm").mkdir()
    np.zeros((1201, 1201), dtype=">i2").tofile(ws.path / "srtm" / "N14E108.hgt")
    assert ws.dem_path == ws.path / "srtm"
    model = workspace_model(ws)
    assert isinstance(model, TerrainModel)
    assert isinstance(model.engine.dem, HgtTiles)
    assert model.method == "delta_bullington"
    doc = yaml.safe_load(default_settings_path().read_text(encoding="utf-8"))
    doc["terrain"]["method"] = "itm"
    (ws.path / "coverage_models.yaml").write_text(yaml.safe_dump(doc), encoding="utf-8")
    assert ws.model_settings_path == ws.path / "coverage_models.yaml"
    model = workspace_model(ws)
    assert isinstance(model, TerrainModel)
    assert model.method == "itm"


def test_a_typo_in_a_workspace_settings_file_names_the_file_and_key(tmp_path: Path) -> None:
    ws = Workspace.create(tmp_path / "ws", metric_crs="EPSG:32649", model="pathloss")
    doc = yaml.safe_load(default_settings_path().read_text(encoding="utf-8"))
    doc["terrain"]["itm"]["climate"] = "tropical"
    (ws.path / "coverage_models.yaml").write_text(yaml.safe_dump(doc), encoding="utf-8")
    with pytest.raises(LayerValidationError) as info:
        workspace_model(ws)
    assert info.value.field == "terrain.itm.climate"
    assert "coverage_models.yaml" in str(info.value)
    assert "equatorial" in str(info.value)
