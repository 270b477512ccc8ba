"""``layers/map_style.yaml``: the web map's basemap and overlay styles, validated.

Owns reading the document (pydantic, strict, unknown keys are errors, like every YAML
document of the project: ``coverage_gis._documents``). The palette rule (no two legend
entries share a colour) is checked over :func:`coverage_gis.tiles.style.legend_colours`.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from coverage_gis._documents import DOCUMENT_CONFIG, Text, parse_document, read_yaml
from coverage_gis._resources import layers_dir

Colour = Annotated[str, Field(pattern=r"^#[0-9A-Fa-f]{6}$")]
Positive = Annotated[float, Field(gt=0)]
Zoom = Annotated[int, Field(ge=0, le=24)]


class Hillshade(BaseModel):
    model_config = DOCUMENT_CONFIG

    shadow: Colour
    highlight: Colour
    opacity: Annotated[float, Field(gt=0, le=1)]
    azimuth_deg: Annotated[float, Field(ge=0, lt=360)]
    altitude_deg: Annotated[float, Field(gt=0, le=90)]


class Outline(BaseModel):
    model_config = DOCUMENT_CONFIG

    title_vi: Text
    title_en: Text
    color: Colour
    width: Positive


class Highlight(BaseModel):
    model_config = DOCUMENT_CONFIG

    color: Colour
    width: Positive


class RoadClasses(BaseModel):
    model_config = DOCUMENT_CONFIG

    major: Colour
    minor: Colour


class RoadWidths(BaseModel):
    model_config = DOCUMENT_CONFIG

    major: Positive
    minor: Positive


class Roads(BaseModel):
    model_config = DOCUMENT_CONFIG

    title_vi: Text
    title_en: Text
    casing: Colour
    major: list[Text]
    colors: RoadClasses
    widths: RoadWidths
    minor_minzoom: Zoom


class Labels(BaseModel):
    model_config = DOCUMENT_CONFIG

    font: Text
    bold_font: Text
    color: Colour
    halo: Colour
    commune_minzoom: Zoom
    village_minzoom: Zoom


class Overlay(BaseModel):
    """A layer drawn from a GeoJSON URL (see ``coverage_gis.tiles.style.overlay_layers``)."""

    model_config = DOCUMENT_CONFIG

    title_vi: Text
    title_en: Text
    type: Literal["line", "circle"]
    color: Colour
    width: Positive = 2.0
    radius: Positive = 5.0
    dash: list[Positive] | None = None


class MapStyle(BaseModel):
    """``layers/map_style.yaml``."""

    model_config = DOCUMENT_CONFIG

    background: Colour
    hillshade: Hillshade
    districts: Outline
    highlight: Highlight
    roads: Roads
    labels: Labels
    overlays: dict[str, Overlay]


def read_map_style(path: Path) -> MapStyle:
    """Read and validate a map style document (errors name the file and the key)."""
    return parse_document(MapStyle, read_yaml(path, what="map style"), source=str(path))


@cache
def _cached(path: str) -> MapStyle:
    return read_map_style(Path(path))


def map_style() -> MapStyle:
    """The shipped ``layers/map_style.yaml`` (read once)."""
    return _cached(str(layers_dir() / "map_style.yaml"))
