"""Unit costs (coverage_gis.costs): the shipped table and errors that name the key."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from coverage_gis._resources import layers_dir
from coverage_gis.costs import load_costs
from coverage_gis.errors import LayerValidationError


def _shipped() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((layers_dir() / "costs.yaml").read_text(encoding="utf-8"))
    return data


def _write(folder: Path, data: dict[str, Any]) -> Path:
    path = folder / "costs.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def test_shipped_costs() -> None:
    costs = load_costs()
    assert costs.currency == "VND"
    assert costs.new_site_vnd == 1_500_000_000
    assert costs.fiber_per_km_vnd == 120_000_000  # the aerial cable rate
    assert costs.straight_line_detour_factor == 1.4
    assert costs.add_5g_cell_vnd == 800_000_000
    assert costs.olt_node_vnd == 250_000_000


@pytest.mark.parametrize(
    ("section", "key", "value", "field", "words"),
    [
        ("mobile", "new_site_vnd", -1, "mobile.new_site_vnd", "greater than or equal to 0"),
        ("fiber", "aerial_per_km_vnd", "cheap", "fiber.aerial_per_km_vnd", "valid number"),
        ("fiber", "buried_per_km_vnd", 1, "fiber.buried_per_km_vnd", "unknown key"),
        ("five_g", "add_5g_cell_vnd", None, "five_g.add_5g_cell_vnd", "valid number"),
    ],
)
def test_a_bad_entry_names_file_and_key(
    tmp_path: Path, section: str, key: str, value: object, field: str, words: str
) -> None:
    data = _shipped()
    data[section][key] = value
    path = _write(tmp_path, data)
    with pytest.raises(LayerValidationError, match=words) as info:
        load_costs(path)
    assert (info.value.source, info.value.field) == (str(path), field)


def test_a_missing_section(tmp_path: Path) -> None:
    data = _shipped()
    del data["mobile"]
    with pytest.raises(LayerValidationError, match="missing key 'mobile'"):
        load_costs(_write(tmp_path, data))
