"""Unit costs for recommendations, read from ``layers/costs.yaml``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from coverage_gis._resources import layers_dir
from coverage_gis.errors import LayerValidationError


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
    add_5g_cell_vnd: float


def load_costs(path: Path | None = None) -> Costs:
    """Parse the cost table; a missing or non-numeric entry names the file and key."""
    source = path or layers_dir() / "costs.yaml"
    raw = yaml.safe_load(source.read_text(encoding="utf-8")) or {}

    def number(section: str, key: str) -> float:
        try:
            value = raw[section][key]
        except (KeyError, TypeError):
            raise LayerValidationError(f"missing {section}.{key}", source=str(source), field=key) from None
        if not isinstance(value, (int, float)) or value < 0:
            raise LayerValidationError(
                f"{section}.{key} must be a non-negative number", source=str(source), field=key
            )
        return float(value)

    return Costs(
        currency=str(raw.get("currency", "VND")),
        new_site_vnd=number("mobile", "new_site_vnd"),
        solar_hybrid_power_vnd=number("mobile", "solar_hybrid_power_vnd"),
        grid_connected_power_vnd=number("mobile", "grid_connected_power_vnd"),
        activate_planned_site_vnd=number("mobile", "activate_planned_site_vnd"),
        colocation_vnd=number("mobile", "colocation_vnd"),
        grid_extension_per_km_vnd=number("mobile", "grid_extension_per_km_vnd"),
        fiber_per_km_vnd=number("fiber", "aerial_per_km_vnd"),
        splitter_node_vnd=number("fiber", "splitter_node_vnd"),
        straight_line_detour_factor=number("fiber", "straight_line_detour_factor"),
        add_5g_cell_vnd=number("five_g", "add_5g_cell_vnd"),
    )
