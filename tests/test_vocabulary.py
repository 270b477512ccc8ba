"""Every copy of a vocabulary agrees with ``layers/*.yaml``, where the values are defined."""

from __future__ import annotations

from pathlib import Path
from typing import get_args

import numpy as np
import pytest

from coverage_gis import vocabulary
from coverage_gis.access import ROLE_NAMES
from coverage_gis.calibration import REPORTING_CEILING_DBM
from coverage_gis.challenges import Decision
from coverage_gis.cli import build_parser
from coverage_gis.demo import _site_network as demo_sites
from coverage_gis.layers import all_schemas, get_schema
from coverage_gis.network import bits_to_names, operator_bits
from coverage_gis_api import models


def test_vocabularies_are_the_schema_values() -> None:
    assert vocabulary.OPERATORS == ("Viettel", "VNPT", "MobiFone", "Vietnamobile", "Other")
    assert vocabulary.NAMED_OPERATORS == ("Viettel", "VNPT", "MobiFone", "Vietnamobile")
    assert vocabulary.TECHS == ("2G", "3G", "4G", "5G")
    assert vocabulary.TECH_RANK == {"2G": 1, "3G": 2, "4G": 3, "5G": 4}
    assert vocabulary.STATUSES == ("planned", "on_air", "decommissioned")
    assert vocabulary.ENVIRONMENTS == ("urban", "suburban", "rural")


@pytest.mark.parametrize(
    ("field", "values"),
    [
        ("operator", vocabulary.OPERATORS),
        ("status", vocabulary.STATUSES),
        ("environment", vocabulary.ENVIRONMENTS),
    ],
)
def test_every_layer_uses_the_same_list(field: str, values: tuple[str, ...]) -> None:
    """A field of the same name has the same allowed values in every layer schema."""
    for schema in all_schemas().values():
        if field in schema.field_names:
            assert schema.field(field).allowed == values, schema.name


def test_result_vocabularies_follow_the_inputs() -> None:
    assert get_schema("village_coverage").field("best_tech").allowed == vocabulary.TECHS
    speed_techs = get_schema("speed_tests").field("tech").allowed or ()
    assert speed_techs == vocabulary.SPEED_TEST_TECHS


def test_measurement_vocabularies_follow_the_schemas() -> None:
    assert (*vocabulary.TECHS, "FTTH") == vocabulary.SPEED_TEST_TECHS
    assert get_schema("overrides").field("tech").allowed == vocabulary.SPEED_TEST_TECHS
    assert vocabulary.MEASURED_NO_SERVICE in vocabulary.MOBILE_GAP_REASONS
    assert vocabulary.MEASURED_NO_SERVICE in vocabulary.FTTH_GAP_REASONS
    assert vocabulary.CHALLENGE_KINDS == ("mobile", "ftth")
    assert get_args(Decision) == vocabulary.DECISIONS
    spelled = get_schema("speed_tests")
    assert {v for _, v in spelled.field("tech").value_aliases} == set(vocabulary.SPEED_TEST_TECHS)
    assert {v for _, v in spelled.field("operator").value_aliases} <= set(vocabulary.OPERATORS)
    assert tuple(REPORTING_CEILING_DBM) == vocabulary.TECHS


def test_the_web_map_names_every_gap_reason_in_both_languages() -> None:
    script = (Path(models.__file__).parent / "static" / "app.js").read_text(encoding="utf-8")
    for reason in {*vocabulary.MOBILE_GAP_REASONS, *vocabulary.FTTH_GAP_REASONS}:
        assert script.count(f"reason_{reason}:") == 2, reason  # Vietnamese and English


def test_api_enums_take_exactly_the_schema_values() -> None:
    assert tuple(models.Operator) == vocabulary.OPERATORS
    assert tuple(models.Tech) == vocabulary.TECHS
    assert tuple(models.Status) == vocabulary.STATUSES
    assert tuple(models.Environment) == vocabulary.ENVIRONMENTS


def test_roles_cover_every_named_operator() -> None:
    assert {r.removeprefix("operator:") for r in ROLE_NAMES if r.startswith("operator:")} == set(
        vocabulary.NAMED_OPERATORS
    )


def test_demo_builds_for_every_named_operator() -> None:
    assert demo_sites.OPERATORS == vocabulary.NAMED_OPERATORS
    assert set(demo_sites.OPERATOR_CODE) == set(vocabulary.NAMED_OPERATORS)
    assert len(demo_sites.OPERATOR_WEIGHTS) == len(vocabulary.NAMED_OPERATORS)


@pytest.mark.parametrize(
    ("flag", "values"),
    [("--operator", vocabulary.OPERATORS), ("--tech", vocabulary.TECHS), ("--status", vocabulary.STATUSES)],
)
def test_cli_accepts_exactly_the_schema_values(flag: str, values: tuple[str, ...]) -> None:
    parser = build_parser()
    for value in values:
        assert parser.parse_args(["sites", "add", "ws", flag, value])
    with pytest.raises(SystemExit):
        parser.parse_args(["sites", "add", "ws", flag, "6G"])


def test_operator_bits_round_trip_in_schema_order() -> None:
    bits = operator_bits(np.array(vocabulary.OPERATORS, dtype=str))
    assert list(bits) == [1, 2, 4, 8, 16]
    assert bits_to_names(np.array([bits.sum()]))[0] == ",".join(vocabulary.OPERATORS)
    assert bits_to_names(operator_bits(np.array(["Gtel"], dtype=str)))[0] == "Other"


def test_measurement_api_enums_are_the_schema_values() -> None:
    from coverage_gis.challenges import STATUSES as CHALLENGE_STATUSES
    from coverage_gis_api import models_measurements as m

    assert get_args(m.ChallengeKind) == vocabulary.CHALLENGE_KINDS
    assert get_args(m.ChallengeStatus) == CHALLENGE_STATUSES
    assert get_args(m.SpeedKind) == get_schema("speed_tests").field("kind").allowed
