"""Models every part of the query API shares (pydantic 2): the layer vocabularies as
enums, and the error body.

The API's request and response models live beside this module by what they describe:
site edits in :mod:`coverage_gis_api.models_sites`, reads (villages, gaps, KPIs,
scorecard, revisions) in :mod:`coverage_gis_api.models_read`, measurements and plans in
``models_measurements`` and ``models_plans`` (``docs/architecture.md``, API).

Enum fields take exactly the values of ``layers/*.yaml`` (:mod:`coverage_gis.vocabulary`;
the enums are spelled out here for static typing and OpenAPI, and
``tests/test_vocabulary.py`` checks them against the schemas).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field


class Operator(StrEnum):
    """Mobile operators (``Other`` for anyone else)."""

    viettel = "Viettel"
    vnpt = "VNPT"
    mobifone = "MobiFone"
    vietnamobile = "Vietnamobile"
    other = "Other"


class Tech(StrEnum):
    """Radio technology of a cell."""

    g2 = "2G"
    g3 = "3G"
    g4 = "4G"
    g5 = "5G"


class Status(StrEnum):
    """Life-cycle status of a site or cell."""

    planned = "planned"
    on_air = "on_air"
    decommissioned = "decommissioned"


class Environment(StrEnum):
    """Clutter class override of a site."""

    urban = "urban"
    suburban = "suburban"
    rural = "rural"


class OutputFormat(StrEnum):
    """Formats a list endpoint may render (each endpoint accepts a subset)."""

    json = "json"
    geojson = "geojson"
    csv = "csv"
    gpkg = "gpkg"
    xlsx = "xlsx"


# Enums arrive as JSON strings; lax mode accepts exactly the enum's values.
OperatorField = Annotated[Operator, Field(strict=False)]
TechField = Annotated[Tech, Field(strict=False)]
StatusField = Annotated[Status, Field(strict=False)]
EnvironmentField = Annotated[Environment, Field(strict=False)]


# -- errors -----------------------------------------------------------------------------
class ErrorDetail(BaseModel):
    status: int
    type: str
    message: str
    field: str | None = None
    details: list[dict[str, Any]] | None = None


class ErrorBody(BaseModel):
    """Every error response."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "error": {
                        "status": 422,
                        "type": "RequestValidationError",
                        "message": "lat: Input should be less than or equal to 90",
                        "field": "lat",
                    }
                }
            ]
        }
    )

    error: ErrorDetail


__all__ = [
    "Environment",
    "EnvironmentField",
    "ErrorBody",
    "ErrorDetail",
    "Operator",
    "OperatorField",
    "OutputFormat",
    "Status",
    "StatusField",
    "Tech",
    "TechField",
]
