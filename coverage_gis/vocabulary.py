"""The layers' controlled vocabularies, read from ``layers/*.yaml``.

The schemas are the single source of truth for allowed values. Code that needs the
list of operators, technologies, statuses, clutter classes, POI categories, gap
reasons or challenge decisions takes it from here instead of writing it again. Order is the schema's order
and means something: operators in the order of the operator bitmask and of every
comma-separated operator list, technologies from the oldest to the newest.
"""

from __future__ import annotations

from coverage_gis.errors import LayerValidationError
from coverage_gis.layers import get_schema


def allowed_values(layer: str, field: str) -> tuple[str, ...]:
    """The allowed values of ``layer.field`` as its schema lists them."""
    values = get_schema(layer).field(field).allowed
    if not values:
        raise LayerValidationError(f"{layer}.{field} has no allowed values in its schema", field=field)
    return values


#: Mobile and fiber operators; the last, ``Other``, stands for anyone else.
OPERATORS: tuple[str, ...] = allowed_values("cells", "operator")
OTHER_OPERATOR = "Other"
#: The operators by name (every one but ``Other``).
NAMED_OPERATORS: tuple[str, ...] = tuple(op for op in OPERATORS if op != OTHER_OPERATOR)
#: Radio technologies of a cell, oldest first.
TECHS: tuple[str, ...] = allowed_values("cells", "tech")
#: Rank of each technology (1 = oldest); 0 is "none".
TECH_RANK: dict[str, int] = {tech: rank for rank, tech in enumerate(TECHS, start=1)}
#: Life-cycle status of sites, cells, fiber and 5G zones.
STATUSES: tuple[str, ...] = allowed_values("sites", "status")
#: Clutter classes of the coverage models.
ENVIRONMENTS: tuple[str, ...] = allowed_values("sites", "environment")
#: Categories of priority places.
POI_CATEGORIES: tuple[str, ...] = allowed_values("pois", "category")
#: Why a village has no mobile broadband / no FTTH.
MOBILE_GAP_REASONS: tuple[str, ...] = allowed_values("village_coverage", "mobile_gap_reason")
FTTH_GAP_REASONS: tuple[str, ...] = allowed_values("village_coverage", "ftth_gap_reason")
#: The gap reason (mobile and FTTH) of a village whose service measurements showed absent.
MEASURED_NO_SERVICE = "measured_no_service"
#: Technologies a speed test reports: the radio technologies, then fixed ``FTTH``.
SPEED_TEST_TECHS: tuple[str, ...] = allowed_values("speed_tests", "tech")
#: Which status a challenge questions (``mobile``, ``ftth``), and a planner's decisions on one.
CHALLENGE_KINDS: tuple[str, ...] = allowed_values("overrides", "kind")
DECISIONS: tuple[str, ...] = allowed_values("overrides", "decision")
