"""Response models of the read endpoints (pydantic 2), with OpenAPI examples: health,
villages, gap lists, KPIs and their history, the scorecard, point coverage, revisions.

They document the JSON the endpoints send (routes render frames to JSON directly, so the
models are for ``/docs`` and clients, not per-request validation).
"""

from __future__ import annotations

import dataclasses
from typing import Any, Literal, get_type_hints

from pydantic import BaseModel, ConfigDict, Field, JsonValue, create_model

from coverage_gis.coverage import CoverageAtPoint
from coverage_gis.crosswalk import METHODS as ADMIN_2025_METHODS
from coverage_gis.kpi import KPI_COLUMNS, KPI_COUNT_COLUMNS
from coverage_gis.kpi_labels import KPI_LABELS


class Health(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "status": "ok",
                    "workspace": "binh-dinh-demo",
                    "revision": 3,
                    "counts": {
                        "villages": 1203,
                        "sites": 812,
                        "cells": 2900,
                        "mobile_bb": 1202,
                        "ftth": 1195,
                    },
                }
            ]
        }
    )

    status: Literal["ok"]
    workspace: str
    revision: int
    counts: dict[str, int]


_VILLAGE_EXAMPLE: dict[str, Any] = {
    "village_id": "52-22774-O2",
    "name": "làng O2",
    "kind": "làng",
    "province_code": "52",
    "province_name": "Tỉnh Bình Định",
    "district_code": "545",
    "district_name": "Huyện Vĩnh Thạnh",
    "commune_code": "22774",
    "commune_name": "Xã Vĩnh Kim",
    "census_commune_id": "5254522774",
    "province_2025": "52",
    "province_2025_name": "Tỉnh Gia Lai",
    "commune_2025": "22774",
    "commune_2025_name": "Xã Vĩnh Thạnh",
    "admin_2025_method": "crosswalk",
    "households": 48,
    "population": 190,
    "has_grid_power": False,
    "mobile_bb": False,
    "best_tech": None,
    "operators": "",
    "n_operators": 0,
    "best_signal_dbm": None,
    "has_4g": False,
    "has_5g": False,
    "ftth": False,
    "fiber_distance_m": 7450.2,
    "ftth_operators": "",
    "mobile_gap_reason": "no_grid_power",
    "mobile_gap_reasons": "no_site_in_range,no_grid_power",
    "ftth_gap_reason": "fiber_too_far",
    "override": "",
    "lon": 108.71,
    "lat": 14.33,
}


class Village(BaseModel):
    """A village with its admin units (both hierarchies), coverage and position."""

    model_config = ConfigDict(json_schema_extra={"examples": [_VILLAGE_EXAMPLE]})

    village_id: str
    name: str
    kind: str
    province_code: str | None
    province_name: str | None
    district_code: str | None
    district_name: str | None
    commune_code: str | None
    commune_name: str | None
    census_commune_id: str | None
    province_2025: str | None = Field(description="2025 province (two-level structure)")
    province_2025_name: str | None
    commune_2025: str | None = Field(
        description="2025 commune: the commune's, or its part's where the reform split it"
    )
    commune_2025_name: str | None
    admin_2025_method: str | None = Field(
        None,
        description=(
            "how the 2025 commune was found: "
            + ", ".join(ADMIN_2025_METHODS)
            + " (name_uncoded, spatial_uncoded and split_nearest are inferred, not read from the crosswalk)"
        ),
    )
    households: int | None
    population: int | None
    has_grid_power: bool | None
    mobile_bb: bool
    best_tech: str | None
    operators: str | None
    n_operators: int | None
    best_signal_dbm: float | None
    has_4g: bool
    has_5g: bool
    ftth: bool
    fiber_distance_m: float | None
    ftth_operators: str | None
    mobile_gap_reason: str | None
    mobile_gap_reasons: str | None
    ftth_gap_reason: str | None
    #: Statuses (``mobile``, ``ftth``) set by an accepted challenge, not by the model.
    override: str | None
    lon: float
    lat: float


class VillagePage(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"total": 1, "limit": 100, "offset": 0, "items": [_VILLAGE_EXAMPLE]}]}
    )

    total: int
    limit: int
    offset: int
    items: list[Village]


_GAP_EXAMPLE: dict[str, Any] = {
    "rank": 1,
    "kind": "mobile",
    "id": "52-22774-O2",
    "name": "làng O2",
    "commune_name": "Xã Vĩnh Kim",
    "district_name": "Huyện Vĩnh Thạnh",
    "province_name": "Tỉnh Bình Định",
    "commune_code": "22774",
    "district_code": "545",
    "province_code": "52",
    "province_2025": "52",
    "commune_2025": "22774",
    "population": 190,
    "households": 48,
    "reason": "no_grid_power",
    "reasons": "no_site_in_range,no_grid_power",
    "detail": "nearest on-air broadband site BDH0412 at 7.9 km",
    "recommendation": (
        "new 4G site at the candidate point with solar/hybrid power (no grid power at the village)"
    ),
    "candidate_id": "M1",
    "candidate_villages": 1,
    "candidate_lon": 108.71,
    "candidate_lat": 14.33,
    "power_need": "solar_hybrid",
    "distance_m": 7912.0,
    "road_length_m": None,
    "tap_id": None,
    "tap_operator": None,
    "tap_class": None,
    "tap_node_kind": None,
    "tap_status": None,
    "olt_id": None,
    "olt_distance_m": None,
    "within_pon_reach": None,
    "cost_vnd": 1_800_000_000,
    "candidate_cost_vnd": 1_800_000_000,
    "lon": 108.71,
    "lat": 14.33,
}


class GapList(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"kind": "mobile", "total": 1, "items": [_GAP_EXAMPLE]}]}
    )

    kind: Literal["mobile", "ftth", "5g"]
    total: int
    items: list[dict[str, Any]]


def _kpi_field_type(column: str) -> Any:
    if column == "partial":
        return bool | None
    if column in KPI_COUNT_COLUMNS:
        return int
    return float | None


#: One KPI row: each field says what it measures (coverage_gis.kpi_labels.KPI_LABELS).
_KPI_FIELDS: dict[str, Any] = {
    "level": (str, Field(description=KPI_LABELS["level"])),
    "code": (str, Field(description=KPI_LABELS["code"])),
    "name": (str | None, Field(description=KPI_LABELS["name"])),
    **{
        column: (_kpi_field_type(column), Field(description=KPI_LABELS.get(column))) for column in KPI_COLUMNS
    },
}
#: One KPI row: each field says what it measures (coverage_gis.kpi_labels.KPI_LABELS).
KpiRow: type[BaseModel] = create_model(
    "KpiRow",
    __doc__="KPIs of one admin unit. Percentages are 0–100 and unrounded; null where undefined.",
    **_KPI_FIELDS,
)


class KpiList(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "level": "province_2025",
                    "items": [
                        {
                            "level": "province_2025",
                            "code": "52",
                            "name": "Tỉnh Gia Lai",
                            "villages": 1048,
                            "villages_mobile_bb_pct": 99.9,
                            "villages_ftth_pct": 99.2,
                            "sites": 743,
                            "sites_shared_pct": 25.3,
                            "operator_bts_shared_pct": 42.6,
                            "pop_2009_present_pct": 58.6,
                            "partial": True,
                        }
                    ],
                }
            ]
        }
    )

    level: str
    items: list[KpiRow]  # type: ignore[valid-type]


class KpiHistory(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "items": [
                        {
                            "revision": 2,
                            "time": "2025-07-01T08:00:00.000+00:00",
                            "author": "api:planner (admin)",
                            "summary": "add site BDH0001",
                            "kpis": [{"level": "province", "code": "52", "villages_mobile_bb_pct": 100.0}],
                        }
                    ]
                }
            ]
        }
    )

    items: list[dict[str, Any]]


class ScorecardRow(BaseModel):
    indicator: str
    kpi: str | None = None
    label_vi: str | None = None
    label_en: str | None = None
    measures: str | None = Field(
        None, description="what the actual value measures (e.g. site sharing per site or per operator BTS)"
    )
    comparator: str | None = None
    target: float | None = None
    unit: str | None = None
    actual: float | None = None
    status: Literal["met", "not_met", "no_data"]
    source: str | None = None
    as_of: str | None = None
    deadline: str | None = None
    section: str | None = None


class Unit2025(BaseModel):
    """A 2025 province the plan's province went into, and how much of it the workspace holds."""

    code: str
    name: str | None
    villages: int = Field(description="villages of the plan's province in this 2025 province")
    partial: bool | None = Field(description="the workspace holds only part of this 2025 province")
    pop_2009_present_pct: float | None = Field(
        description="2009 census population held in the workspace, % of the 2025 province's"
    )


class Scorecard(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "plan": "binh-dinh-2025",
                    "province_code": "52",
                    "title_en": "Bình Định digital infrastructure plan 2025",
                    "rows": [
                        {
                            "indicator": "villages_mobile_bb",
                            "target": 100,
                            "unit": "%",
                            "actual": 99.9,
                            "status": "not_met",
                        }
                    ],
                }
            ]
        }
    )

    plan: str
    province_code: str
    title_en: str
    rows: list[ScorecardRow]
    units_2025: list[Unit2025] = Field(
        default_factory=list, description="the 2025 provinces the plan's province lies in"
    )
    note: str | None = Field(
        None,
        description="set when the workspace holds no village of the plan's province (and which it holds)",
    )


def result_model(result: type, name: str, *, doc: str, examples: list[JsonValue]) -> type[BaseModel]:
    """A response model with exactly the fields of a library result dataclass.

    The library owns the shape of the result; the model adds the OpenAPI name, the
    description and examples, so the two cannot drift apart.
    """
    hints = get_type_hints(result)
    fields: dict[str, Any] = {f.name: (hints[f.name], ...) for f in dataclasses.fields(result)}
    config = ConfigDict(json_schema_extra={"examples": examples})
    return create_model(name, __doc__=doc, __config__=config, **fields)


PointCoverage = result_model(
    CoverageAtPoint,
    "PointCoverage",
    doc="Which operators and technologies serve a point (by the workspace's coverage model).",
    examples=[
        {
            "lon": 109.0,
            "lat": 14.0,
            "model": "radius",
            "mobile_bb": True,
            "best_tech": "4G",
            "operators": {"Viettel": ["2G", "4G"], "VNPT": ["4G"]},
            "cells": [
                {
                    "cell_id": "S1-VT-4G",
                    "site_id": "S1",
                    "operator": "Viettel",
                    "tech": "4G",
                    "on_air": True,
                    "distance_m": 1000.0,
                    "signal_dbm": None,
                }
            ],
            "planned": [],
        }
    ],
)


class RevisionList(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "total": 1,
                    "items": [
                        {
                            "revision": 1,
                            "time": "2025-07-01T08:00:00.000+00:00",
                            "author": "api:vt-north (operator:Viettel)",
                            "summary": "add site BDH0001",
                            "changed_ids": ["BDH0001"],
                            "dirty_bbox": [108.7, 14.2, 108.9, 14.4],
                        }
                    ],
                }
            ]
        }
    )

    total: int
    items: list[dict[str, Any]]


__all__ = [
    "GapList",
    "Health",
    "KpiHistory",
    "KpiList",
    "KpiRow",
    "PointCoverage",
    "RevisionList",
    "Scorecard",
    "ScorecardRow",
    "Unit2025",
    "Village",
    "VillagePage",
]
