"""Unit costs for recommendations, read from ``layers/costs.yaml``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel

from coverage_gis._documents import DOCUMENT_CONFIG, NonNegativeNumber, parse_document, read_yaml
from coverage_gis._resources import layers_dir


@dataclass(frozen=True)
class Costs:
    """Indicative unit costs (VND)."""

    currency: str
    new_site_vnd: float
    solar_hybrid_power_vnd: float
    grid_connected_power_vnd: float
    activate_planned_site_vnd: float
    colocation_vnd: float
    grid_extension_per_km_vnd: float
    fiber_per_km_vnd: float
    splitter_node_vnd: float
    straight_line_detour_factor: float
    olt_node_vnd: float
    add_5g_cell_vnd: float


class _Mobile(BaseModel):
    model_config = DOCUMENT_CONFIG

    new_site_vnd: NonNegativeNumber
    solar_hybrid_power_vnd: NonNegativeNumber
    grid_connected_power_vnd: NonNegativeNumber
    activate_planned_site_vnd: NonNegativeNumber
    colocation_vnd: NonNegativeNumber
    grid_extension_per_km_vnd: NonNegativeNumber


class _Fiber(BaseModel):
    model_config = DOCUMENT_CONFIG

    aerial_per_km_vnd: NonNegativeNumber
    splitter_node_vnd: NonNegativeNumber
    straight_line_detour_factor: NonNegativeNumber
    olt_node_vnd: NonNegativeNumber


class _FiveG(BaseModel):
    model_config = DOCUMENT_CONFIG

    add_5g_cell_vnd: NonNegativeNumber


class _CostsDocument(BaseModel):
    """``layers/costs.yaml``."""

    model_config = DOCUMENT_CONFIG

    currency: str = "VND"
    mobile: _Mobile
    fiber: _Fiber
    five_g: _FiveG


def load_costs(path: Path | None = None) -> Costs:
    """Parse the cost table; a missing, unknown or negative entry names the file and its key."""
    source = path or layers_dir() / "costs.yaml"
    doc = parse_document(_CostsDocument, read_yaml(source, what="cost table"), source=str(source))
    return Costs(
        currency=doc.currency,
        new_site_vnd=doc.mobile.new_site_vnd,
        solar_hybrid_power_vnd=doc.mobile.solar_hybrid_power_vnd,
        grid_connected_power_vnd=doc.mobile.grid_connected_power_vnd,
        activate_planned_site_vnd=doc.mobile.activate_planned_site_vnd,
        colocation_vnd=doc.mobile.colocation_vnd,
        grid_extension_per_km_vnd=doc.mobile.grid_extension_per_km_vnd,
        fiber_per_km_vnd=doc.fiber.aerial_per_km_vnd,
        splitter_node_vnd=doc.fiber.splitter_node_vnd,
        straight_line_detour_factor=doc.fiber.straight_line_detour_factor,
        olt_node_vnd=doc.fiber.olt_node_vnd,
        add_5g_cell_vnd=doc.five_g.add_5g_cell_vnd,
    )
