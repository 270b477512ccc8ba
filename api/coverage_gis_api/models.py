"""Request and response models of the query API (pydantic 2), with OpenAPI examples.

Request models are strict: unknown fields, wrong JSON types, coordinates outside
lon −180…180 / lat −90…90 or outside Vietnam's extent are rejected with 422 naming
the field. Enum fields take exactly the values of ``layers/*.yaml``
(:mod:`coverage_gis.vocabulary`; the enums are spelled out here for static typing and
OpenAPI, and ``tests/test_vocabulary.py`` checks them against the schemas). Bounds of
numeric fields repeat the layer schemas so that a bad value is reported before the
engine is called (the engine validates again).

Response models document the JSON the endpoints send (routes render frames to JSON
directly, so the models are for ``/docs`` and clients, not per-request validation).
"""

from __future__ import annotations

import dataclasses
from datetime import date
from enum import StrEnum
from typing import Annotated, Any, Literal, get_type_hints

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    JsonValue,
    create_model,
    field_validator,
    model_validator,
)

from coverage_gis.coverage import CoverageAtPoint
from coverage_gis.crosswalk import METHODS as ADMIN_2025_METHODS
from coverage_gis.kpi import KPI_COLUMNS, KPI_COUNT_COLUMNS
from coverage_gis.kpi_labels import KPI_LABELS
from coverage_gis.validation import VIETNAM_BBOX

_STRICT = ConfigDict(extra="forbid", strict=True)
_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:\-]{0,63}$"


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


def _iso_date(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise ValueError("must be an ISO date YYYY-MM-DD") from None
    return value


IsoDate = Annotated[date, BeforeValidator(_iso_date)]
# Enums arrive as JSON strings; lax mode accepts exactly the enum's values.
OperatorField = Annotated[Operator, Field(strict=False)]
TechField = Annotated[Tech, Field(strict=False)]
StatusField = Annotated[Status, Field(strict=False)]
EnvironmentField = Annotated[Environment, Field(strict=False)]
Lon = Annotated[float, Field(ge=-180.0, le=180.0, description="longitude, EPSG:4326")]
Lat = Annotated[float, Field(ge=-90.0, le=90.0, description="latitude, EPSG:4326")]


def _in_vietnam_lon(value: float | None) -> float | None:
    if value is not None and not VIETNAM_BBOX[0] <= value <= VIETNAM_BBOX[2]:
        raise ValueError(f"longitude {value} is outside Vietnam ({VIETNAM_BBOX[0]}…{VIETNAM_BBOX[2]})")
    return value


def _in_vietnam_lat(value: float | None) -> float | None:
    if value is not None and not VIETNAM_BBOX[1] <= value <= VIETNAM_BBOX[3]:
        raise ValueError(f"latitude {value} is outside Vietnam ({VIETNAM_BBOX[1]}…{VIETNAM_BBOX[3]})")
    return value


# -- requests ---------------------------------------------------------------------------
_CELL_EXAMPLE: dict[str, Any] = {
    "cell_id": "BDH0001-VT-4G-1",
    "operator": "Viettel",
    "tech": "4G",
    "band_mhz": 1800,
    "azimuth_deg": 120,
    "beamwidth_deg": 65,
    "eirp_dbm": 60,
    "tilt_deg": 4,
    "status": "on_air",
}


class CellIn(BaseModel):
    """A cell of a site in a request; ``site_id`` is filled in from the site."""

    model_config = ConfigDict(
        extra="forbid", strict=True, allow_inf_nan=False, json_schema_extra={"examples": [_CELL_EXAMPLE]}
    )

    cell_id: str = Field(pattern=_ID_PATTERN)
    site_id: str | None = Field(None, description="optional; must equal the site's id when given")
    operator: OperatorField
    tech: TechField
    band_mhz: float = Field(1800.0, ge=400, le=40000)
    azimuth_deg: float | None = Field(None, ge=0, le=360, description="null = omni")
    beamwidth_deg: float = Field(65.0, ge=1, le=360)
    eirp_dbm: float = Field(60.0, ge=0, le=90)
    tilt_deg: float = Field(4.0, ge=-10, le=30)
    status: StatusField = Status.on_air
    range_m: float | None = Field(None, ge=0, le=1_000_000)
    samples: int | None = Field(None, ge=0, description="measurements behind a crowd-sourced position")
    source: str = Field("api", max_length=64)

    def engine_dict(self) -> dict[str, Any]:
        """The cell as the engine takes it (plain values, no ``site_id``)."""
        return self.model_dump(mode="json", exclude={"site_id"})


_SITE_EXAMPLE: dict[str, Any] = {
    "site_id": "BDH0001",
    "name": "Vĩnh Kim 1",
    "owner": "Viettel",
    "status": "on_air",
    "height_m": 36,
    "has_grid_power": True,
    "commissioned": "2025-06-30",
    "lon": 108.79,
    "lat": 14.28,
    "cells": [_CELL_EXAMPLE],
}


class SiteCreate(BaseModel):
    """A new site with its position and cells (``POST /v1/sites``)."""

    model_config = ConfigDict(
        extra="forbid", strict=True, allow_inf_nan=False, json_schema_extra={"examples": [_SITE_EXAMPLE]}
    )

    site_id: str = Field(pattern=_ID_PATTERN)
    name: str = Field("", max_length=200)
    owner: str = Field("", max_length=100)
    status: StatusField = Status.on_air
    height_m: float = Field(30.0, ge=0, le=300)
    has_grid_power: bool = True
    commissioned: IsoDate | None = None
    environment: EnvironmentField | None = None
    position_uncertainty_m: float | None = Field(None, ge=0, le=1_000_000)
    source: str = Field("api", max_length=64)
    lon: Lon
    lat: Lat
    cells: list[CellIn] = Field(default_factory=list, max_length=64)

    _lon_vn = field_validator("lon")(_in_vietnam_lon)
    _lat_vn = field_validator("lat")(_in_vietnam_lat)

    def engine_site(self) -> dict[str, Any]:
        """Site fields + lon/lat as the engine takes them."""
        return self.model_dump(mode="json", exclude={"cells"})

    def engine_cells(self) -> list[dict[str, Any]]:
        return [c.engine_dict() for c in self.cells]


_NOT_NULL = ("name", "owner", "status", "height_m", "has_grid_power", "source", "lon", "lat", "cells")


class SitePatch(BaseModel):
    """Changes to a site (``PATCH /v1/sites/{id}``): only the fields given change.

    ``cells``, when given, replaces the site's whole cell list. ``commissioned``,
    ``environment`` and ``position_uncertainty_m`` may be set to null to clear them;
    other fields may not be null.
    """

    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        allow_inf_nan=False,
        json_schema_extra={"examples": [{"status": "on_air", "commissioned": "2025-09-01"}]},
    )

    name: str | None = Field(None, max_length=200)
    owner: str | None = Field(None, max_length=100)
    status: StatusField | None = None
    height_m: float | None = Field(None, ge=0, le=300)
    has_grid_power: bool | None = None
    commissioned: IsoDate | None = None
    environment: EnvironmentField | None = None
    position_uncertainty_m: float | None = Field(None, ge=0, le=1_000_000)
    source: str | None = Field(None, max_length=64)
    lon: Lon | None = None
    lat: Lat | None = None
    cells: list[CellIn] | None = Field(None, max_length=64)

    _lon_vn = field_validator("lon")(_in_vietnam_lon)
    _lat_vn = field_validator("lat")(_in_vietnam_lat)

    @model_validator(mode="after")
    def _no_null_where_required(self) -> SitePatch:
        for name in _NOT_NULL:
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} may not be null")
        if ("lon" in self.model_fields_set) != ("lat" in self.model_fields_set):
            raise ValueError("move a site with both lon and lat")
        return self

    def engine_changes(self) -> dict[str, Any]:
        """The changed site fields (and lon/lat) as the engine takes them."""
        given = self.model_fields_set - {"cells"}
        return self.model_dump(mode="json", include=given)

    def engine_cells(self) -> list[dict[str, Any]] | None:
        return None if self.cells is None else [c.engine_dict() for c in self.cells]


# -- responses --------------------------------------------------------------------------
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


_SITE_OUT_EXAMPLE: dict[str, Any] = {
    **{k: v for k, v in _SITE_EXAMPLE.items() if k != "cells"},
    "environment": None,
    "source": "api",
    "cells": [{**_CELL_EXAMPLE, "site_id": "BDH0001"}],
}


class SiteOut(BaseModel):
    """A site with its cells."""

    model_config = ConfigDict(json_schema_extra={"examples": [_SITE_OUT_EXAMPLE]})

    site_id: str
    name: str | None = None
    owner: str | None = None
    status: str
    height_m: float | None = None
    has_grid_power: bool | None = None
    commissioned: str | None = None
    environment: str | None = None
    position_uncertainty_m: float | None = None
    source: str | None = None
    lon: float
    lat: float
    cells: list[dict[str, Any]]


class SitePage(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"total": 1, "limit": 100, "offset": 0, "items": [_SITE_OUT_EXAMPLE]}]
        }
    )

    total: int
    limit: int
    offset: int
    items: list[SiteOut]


class ChangeOut(BaseModel):
    """The outcome of a site edit: new revision, what changed, the KPI delta."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "revision": 4,
                    "etag": '"rev-4"',
                    "summary": "add site BDH0001",
                    "changed_site_ids": ["BDH0001"],
                    "changed_village_ids": ["52-22774-O2"],
                    "gained_mobile": ["52-22774-O2"],
                    "lost_mobile": [],
                    "dirty_bbox": [108.6, 14.2, 108.8, 14.4],
                    "kpi_before": {"code": "52", "villages_mobile_bb_pct": 99.9},
                    "kpi_after": {"code": "52", "villages_mobile_bb_pct": 100.0},
                    "kpi_delta": {"villages_mobile_bb_pct": 0.1},
                    "elapsed_ms": 38.2,
                    "site": _SITE_OUT_EXAMPLE,
                }
            ]
        }
    )

    revision: int
    etag: str
    summary: str
    changed_site_ids: list[str]
    changed_village_ids: list[str]
    gained_mobile: list[str]
    lost_mobile: list[str]
    dirty_bbox: list[float] | None
    kpi_before: dict[str, Any]
    kpi_after: dict[str, Any]
    kpi_delta: dict[str, float]
    elapsed_ms: float
    site: SiteOut | None = None


__all__ = [
    "CellIn",
    "ChangeOut",
    "Environment",
    "ErrorBody",
    "GapList",
    "Health",
    "KpiHistory",
    "KpiList",
    "KpiRow",
    "Operator",
    "OutputFormat",
    "PointCoverage",
    "RevisionList",
    "Scorecard",
    "SiteCreate",
    "SiteOut",
    "SitePage",
    "SitePatch",
    "Status",
    "Tech",
    "Unit2025",
    "Village",
    "VillagePage",
]
