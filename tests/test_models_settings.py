"""The coverage-model settings file: shipped values, strict parsing, the registry."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from coverage_gis.errors import LayerValidationError, WorkspaceError
from coverage_gis.models import (
    MODEL_NAMES,
    create_model,
    default_settings_path,
    load_model_settings,
)
from coverage_gis.models.pathloss import range_cap_m
from coverage_gis.models.settings import (
    RADIUS_BAND_TOLERANCE,
    ItmSettings,
    environment_index,
    parse_model_settings,
    tech_index,
)
from coverage_gis.vocabulary import ENVIRONMENTS, TECHS


def shipped_document() -> dict[str, Any]:
    doc = yaml.safe_load(default_settings_path().read_text(encoding="utf-8"))
    assert isinstance(doc, dict)
    return doc


def write(tmp_path: Path, doc: dict[str, Any]) -> Path:
    path = tmp_path / "coverage_models.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    return path


def test_shipped_settings_hold_the_documented_defaults() -> None:
    s = load_model_settings()
    assert s.default_model == "radius"
    assert MODEL_NAMES == ("radius", "pathloss", "terrain")
    bands = {t: r.bands_mhz for t, r in s.radius_m.items()}
    assert bands == {
        "2G": (900.0, 1800.0),
        "3G": (900.0, 2100.0),
        "4G": (700.0, 800.0, 900.0, 1800.0, 2100.0, 2600.0),
        "5G": (700.0, 2600.0, 3500.0, 3700.0),
    }
    listed = {b for t in bands.values() for b in t}
    assert {700.0, 800.0, 900.0, 1800.0, 2100.0, 2600.0, 3500.0, 3700.0} <= listed
    assert dict(s.threshold_dbm) == {"2G": -100.0, "3G": -95.0, "4G": -110.0, "5G": -110.0}
    assert s.pathloss.formula == "cost231"
    assert s.pathloss.cost231_rural_correction == "suburban"
    assert s.pathloss.margin_db == 8.0
    assert s.antenna.sector_edge_db == 12.0
    assert s.antenna.max_attenuation_db == 25.0
    assert s.antenna.vertical_side_lobe_db == 20.0
    assert s.antenna.vertical_beamwidth_deg == 10.0
    assert s.terrain.earth_radius_factor == pytest.approx(4.0 / 3.0)
    assert s.terrain.method == "delta_bullington"
    assert s.terrain.itm == ItmSettings()
    assert s.terrain.itm.climate_code == 1
    assert s.receiver_height_m == 1.5
    assert s.source == str(default_settings_path())


def test_vectorised_lookups() -> None:
    s = load_model_settings()
    tech = np.array(["2G", "5G", "4G"])
    env = np.array(["rural", "urban", "suburban"])
    band = np.array([900.0, 3500.0, 1800.0])
    expected = [
        s.radius_m["2G"].for_band(900.0).rural_m,
        s.radius_m["5G"].for_band(3500.0).urban_m,
        s.radius_m["4G"].for_band(1800.0).suburban_m,
    ]
    np.testing.assert_array_equal(s.radius_for_cells(tech, band, env), expected)
    np.testing.assert_array_equal(s.threshold_for_cells(tech), [-100.0, -110.0, -110.0])


@settings(max_examples=50, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(TECHS), st.sampled_from(ENVIRONMENTS), st.sampled_from([700.0, 1800.0, 3500.0])
        ),
        min_size=1,
        max_size=12,
    )
)
def test_lookups_take_class_positions_as_names(rows: list[tuple[str, str, float]]) -> None:
    # A caller holding the positions (the link budget) gets what the names give.
    s = load_model_settings()
    tech = np.array([r[0] for r in rows])
    env = np.array([r[1] for r in rows])
    band = np.array([r[2] for r in rows])
    t, e = tech_index(tech), environment_index(env)
    np.testing.assert_array_equal(t, [TECHS.index(x) for x in tech])
    np.testing.assert_array_equal(tech_index(t), t)
    np.testing.assert_array_equal(environment_index(e), e)
    np.testing.assert_array_equal(s.radius_for_cells(t, band, e), s.radius_for_cells(tech, band, env))
    np.testing.assert_array_equal(s.radius_band_outside(t, band), s.radius_band_outside(tech, band))
    np.testing.assert_array_equal(s.threshold_for_cells(t), s.threshold_for_cells(tech))
    np.testing.assert_array_equal(s.reference_offset_for_cells(t), s.reference_offset_for_cells(tech))
    np.testing.assert_array_equal(range_cap_m(s, t), range_cap_m(s, tech))


def test_a_cell_takes_the_nearest_listed_band_of_its_tech(tmp_path: Path) -> None:
    doc = shipped_document()
    doc["radius_m"]["4G"] = {
        900: {"urban": 900, "suburban": 2900, "rural": 3900},
        1800: {"urban": 800, "suburban": 1800, "rural": 2800},
    }
    s = load_model_settings(write(tmp_path, doc))
    band = np.array([700.0, 900.0, 1300.0, 1350.0, 1400.0, 1842.5, 3500.0])
    radius = s.radius_for_cells(np.full(band.size, "4G"), band, np.full(band.size, "rural"))
    # 1350 MHz is as far from 900 as from 1800: the tie goes to the lower band.
    np.testing.assert_array_equal(radius, [3900, 3900, 3900, 3900, 2800, 2800, 2800])
    # Outside the table's validity: more than 10 % from every listed band.
    np.testing.assert_array_equal(
        s.radius_band_outside(np.full(band.size, "4G"), band), [True, False, True, True, True, False, True]
    )
    assert s.radius_m["4G"].for_band(1000.0).rural_m == 3900


def test_a_copy_of_the_shipped_file_loads(tmp_path: Path) -> None:
    loaded = load_model_settings(write(tmp_path, shipped_document()))
    assert loaded.radius_m == load_model_settings().radius_m


def test_band_keys_must_be_positive_frequencies(tmp_path: Path) -> None:
    doc = shipped_document()
    doc["radius_m"]["4G"]["L1800"] = doc["radius_m"]["4G"].pop(1800)
    with pytest.raises(LayerValidationError, match="frequency in MHz") as info:
        load_model_settings(write(tmp_path, doc))
    assert info.value.field is not None
    assert info.value.field.startswith("radius_m.4G")
    doc = shipped_document()
    doc["radius_m"]["5G"] = {}
    with pytest.raises(LayerValidationError, match="at least one band") as info:
        load_model_settings(write(tmp_path, doc))
    assert info.value.field == "radius_m.5G"


def test_unknown_top_level_key_names_the_file_and_key(tmp_path: Path) -> None:
    doc = shipped_document()
    doc["radius_km"] = {}
    path = write(tmp_path, doc)
    with pytest.raises(LayerValidationError) as info:
        load_model_settings(path)
    assert info.value.field == "radius_km"
    assert info.value.source == str(path)
    assert str(path) in str(info.value)
    assert "radius_km" in str(info.value)


def test_unknown_nested_key(tmp_path: Path) -> None:
    doc = shipped_document()
    doc["radius_m"]["4G"][1800]["urbn"] = doc["radius_m"]["4G"][1800].pop("urban")
    with pytest.raises(LayerValidationError) as info:
        load_model_settings(write(tmp_path, doc))
    assert info.value.field == "radius_m.4G.1800.urbn"


def test_missing_key(tmp_path: Path) -> None:
    doc = shipped_document()
    del doc["threshold_dbm"]["5G"]
    with pytest.raises(LayerValidationError, match="missing key '5G'") as info:
        load_model_settings(write(tmp_path, doc))
    assert info.value.field == "threshold_dbm.5G"


@pytest.mark.parametrize("bad", [0, -5, "far", True, None, float("nan")])
def test_non_positive_or_non_numeric_radius(tmp_path: Path, bad: object) -> None:
    doc = shipped_document()
    doc["radius_m"]["4G"][1800]["rural"] = bad
    with pytest.raises(LayerValidationError) as info:
        load_model_settings(write(tmp_path, doc))
    assert info.value.field == "radius_m.4G.1800.rural"
    assert info.value.source is not None


@pytest.mark.parametrize(
    ("section", "key", "bad"),
    [
        ("pathloss", "formula", "hata"),
        ("pathloss", "los_condition", "sometimes"),
        ("pathloss", "rma_building_height_m", 2.0),
        ("pathloss", "max_range_m", 0),
        ("pathloss", "cost231_rural_correction", "forest"),
        ("antenna", "sector_edge_db", 0),
        ("antenna", "vertical_pattern", "yes"),
        ("terrain", "step_m", -30),
        ("terrain", "method", "longley_rice"),
    ],
)
def test_bad_values_name_their_key(tmp_path: Path, section: str, key: str, bad: object) -> None:
    doc = shipped_document()
    doc[section][key] = bad
    with pytest.raises(LayerValidationError) as info:
        load_model_settings(write(tmp_path, doc))
    assert info.value.field == f"{section}.{key}"


@pytest.mark.parametrize(
    ("key", "bad"),
    [
        ("climate", "tropical"),
        ("surface_refractivity_n", 200.0),
        ("surface_refractivity_n", 401),
        ("ground_permittivity", 0.5),
        ("ground_conductivity_s_per_m", 0),
        ("polarization", "circular"),
        ("polarization", 1),
    ],
)
def test_bad_itm_values_name_their_key(tmp_path: Path, key: str, bad: object) -> None:
    doc = shipped_document()
    doc["terrain"]["itm"][key] = bad
    with pytest.raises(LayerValidationError) as info:
        load_model_settings(write(tmp_path, doc))
    assert info.value.field == f"terrain.itm.{key}"


def test_the_itm_section_is_required_and_closed(tmp_path: Path) -> None:
    doc = shipped_document()
    doc["terrain"]["itm"]["time_percent"] = 50
    with pytest.raises(LayerValidationError, match="unknown key 'time_percent'"):
        load_model_settings(write(tmp_path, doc))
    doc = shipped_document()
    del doc["terrain"]["itm"]
    with pytest.raises(LayerValidationError, match="missing key 'itm'") as info:
        load_model_settings(write(tmp_path, doc))
    assert info.value.field == "terrain.itm"


def test_itm_settings_as_written(tmp_path: Path) -> None:
    doc = shipped_document()
    doc["terrain"].update(method="itm")
    doc["terrain"]["itm"].update(climate="maritime_temperate_oversea", surface_refractivity_n=250)
    terrain = load_model_settings(write(tmp_path, doc)).terrain
    assert terrain.method == "itm"
    assert terrain.itm.climate_code == 7
    assert terrain.itm.surface_refractivity_n == 250.0


def test_unquoted_38901_is_accepted(tmp_path: Path) -> None:
    doc = shipped_document()
    doc["pathloss"]["formula"] = 38901  # what YAML makes of `formula: 38901`
    assert load_model_settings(write(tmp_path, doc)).pathloss.formula == "38901"


def test_not_a_mapping_and_not_yaml(tmp_path: Path) -> None:
    with pytest.raises(LayerValidationError, match="expected a mapping"):
        parse_model_settings([1, 2, 3], source="workspace.yaml")
    path = tmp_path / "broken.yaml"
    path.write_text("radius_m: [unclosed", encoding="utf-8")
    with pytest.raises(LayerValidationError, match="not valid YAML"):
        load_model_settings(path)
    with pytest.raises(LayerValidationError, match="cannot read"):
        load_model_settings(tmp_path / "missing.yaml")


def test_unknown_model_name() -> None:
    with pytest.raises(LayerValidationError, match="unknown coverage model 'hata'") as info:
        create_model("hata")
    assert info.value.field == "model"
    assert "radius, pathloss, terrain" in str(info.value)


def test_terrain_without_a_dem_is_a_workspace_error() -> None:
    with pytest.raises(WorkspaceError, match="needs a DEM"):
        create_model("terrain")


def test_terrain_with_a_missing_dem_file_is_a_workspace_error(tmp_path: Path) -> None:
    with pytest.raises(WorkspaceError, match="not found"):
        create_model("terrain", dem_path=tmp_path / "dem.tif", metric_crs="EPSG:32649")


def test_unknown_cell_environment_names_the_field() -> None:
    s = load_model_settings()
    with pytest.raises(LayerValidationError, match="'jungle'") as info:
        s.radius_for_cells(np.array(["4G"]), np.array([1800.0]), np.array(["jungle"]))
    assert info.value.field == "environment"


@settings(max_examples=50, deadline=None)
@given(
    cells=st.lists(
        st.tuples(
            st.sampled_from(TECHS),
            st.sampled_from([700.0, 850.0, 900.0, 1350.0, 1800.0, 2100.0, 2600.0, 3500.0, 26000.0, np.nan]),
            st.sampled_from(ENVIRONMENTS),
        ),
        max_size=30,
    )
)
def test_cell_rules_equal_the_per_cell_rule(cells: list[tuple[str, float, str]]) -> None:
    """The radius and the band check, taken per distinct band, are those of each cell on its own."""
    s = load_model_settings()
    tech = np.array([c[0] for c in cells], dtype=str)
    band = np.array([c[1] for c in cells], dtype=np.float64)
    env = np.array([c[2] for c in cells], dtype=str)
    radius = s.radius_for_cells(tech, band, env)
    outside = s.radius_band_outside(tech, band)
    for i, (t, b, e) in enumerate(cells):
        table = s.radius_m[t]
        row = int(table.nearest_index(np.array([b]))[0])
        assert radius[i] == table.radii[row].for_environment(e)
        bands = np.asarray(table.bands_mhz)
        assert outside[i] == (not np.min(np.abs(b - bands) / bands) <= RADIUS_BAND_TOLERANCE)
