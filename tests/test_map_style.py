"""The web map's palette and style document: one colour per legend entry, readable with colour-blind vision.

Colours are compared in CIELAB (ΔE76); colour-vision deficiencies are simulated with the
matrices of Machado, Oliveira & Fernandes (2009) at full severity, applied in linear RGB.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from coverage_gis.errors import LayerValidationError
from coverage_gis.layers import all_schemas
from coverage_gis.tiles.map_style import map_style, read_map_style
from coverage_gis.tiles.style import legend_colours

#: Machado et al. 2009, severity 1.0 (linear RGB).
CVD: dict[str, np.ndarray] = {
    "protanopia": np.array(
        [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216], [-0.003882, -0.048116, 1.051998]]
    ),
    "deuteranopia": np.array(
        [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413], [-0.011820, 0.042940, 0.968881]]
    ),
    "tritanopia": np.array(
        [[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602], [0.004733, 0.691367, 0.303900]]
    ),
}
#: Classes read together on the map: each must stay apart under every simulation.
GROUPS = ("villages", "sites", "fiber_routes")
#: ΔE76 below which two colours read as the same to most people at map-symbol size.
MIN_DELTA_E = 10.0


def _linear(colour: str) -> np.ndarray:
    c = np.array([int(colour[i : i + 2], 16) for i in (1, 3, 5)]) / 255.0
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def _lab(linear: np.ndarray) -> np.ndarray:
    m = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]])
    xyz = m @ linear / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > 0.008856, np.cbrt(xyz), 7.787 * xyz + 16.0 / 116.0)
    return np.array([116.0 * f[1] - 16.0, 500.0 * (f[0] - f[1]), 200.0 * (f[1] - f[2])])


def delta_e(a: str, b: str, vision: np.ndarray | None = None) -> float:
    matrix = np.eye(3) if vision is None else vision
    la = _lab(np.clip(matrix @ _linear(a), 0.0, 1.0))
    lb = _lab(np.clip(matrix @ _linear(b), 0.0, 1.0))
    return float(np.linalg.norm(la - lb))


def test_delta_e_by_hand() -> None:
    assert delta_e("#000000", "#000000") == 0.0
    assert delta_e("#000000", "#FFFFFF") == pytest.approx(100.0, abs=0.01)  # L* 0 → 100
    # Red and green are what deuteranopes confuse: far apart normally, close when simulated.
    assert delta_e("#D00000", "#00A000") > 80.0
    assert delta_e("#D00000", "#00A000", CVD["deuteranopia"]) < delta_e("#D00000", "#00A000") / 3


def test_no_two_legend_entries_share_a_colour() -> None:
    colours = legend_colours()
    assert len(colours) >= 25
    by_colour: dict[str, list[str]] = {}
    for entry, colour in colours.items():
        by_colour.setdefault(colour, []).append(entry)
    shared = {c: e for c, e in by_colour.items() if len(e) > 1}
    assert shared == {}


def test_legend_colours_are_apart_for_normal_vision() -> None:
    colours = legend_colours()
    close = [
        (a, b, round(delta_e(colours[a], colours[b]), 1))
        for a, b in itertools.combinations(colours, 2)
        if delta_e(colours[a], colours[b]) < MIN_DELTA_E
    ]
    assert close == []


@pytest.mark.parametrize("vision", sorted(CVD))
def test_classes_stay_apart_with_colour_blind_vision(vision: str) -> None:
    colours = legend_colours()
    for group in GROUPS:
        members = {k: v for k, v in colours.items() if k.startswith(f"{group}.")}
        assert len(members) >= 3, group
        close = [
            (a, b)
            for a, b in itertools.combinations(members, 2)
            if delta_e(members[a], members[b], CVD[vision]) < MIN_DELTA_E
        ]
        assert close == [], f"{group} under {vision}"


def test_village_and_coverage_styles_agree() -> None:
    # The coverage result layer is drawn like the villages it belongs to.
    schemas = all_schemas()
    village = schemas["villages"].style["colors"]
    result = schemas["village_coverage"].style["colors"]
    assert {k: v for k, v in village.items() if k in result} == result


def test_map_style_document_is_validated(tmp_path: Path) -> None:
    doc: dict[str, Any] = map_style().model_dump()
    doc["roads"]["colors"]["major"] = "yellow"  # not #RRGGBB
    import yaml

    path = tmp_path / "map_style.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    with pytest.raises(LayerValidationError) as info:
        read_map_style(path)
    assert "roads.colors.major" in str(info.value)
    assert str(path) in str(info.value)


def test_map_style_is_not_a_layer() -> None:
    assert "map_style" not in all_schemas()
    assert set(map_style().overlays) >= {"gap_routes", "plan_sites", "plan_fiber", "challenges"}
