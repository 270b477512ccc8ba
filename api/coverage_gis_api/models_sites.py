"""Request and response models of the site-edit endpoints (pydantic 2), with OpenAPI examples.

Request models are strict: unknown fields, wrong JSON types, coordinates outside
lon −180…180 / lat −90…90 or outside Vietnam's extent are rejected with 422 naming
the field. Bounds of numeric fields repeat the layer schemas so that a bad value is
reported before the engine is called (the engine validates again).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

from coverage_gis.layers import get_schema
from coverage_gis.validation import VIETNAM_BBOX
from coverage_gis_api.models import EnvironmentField, OperatorField, Status, StatusField, TechField

_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:\-]{0,63}$"


def _iso_date(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise ValueError("must be an ISO date YYYY-MM-DD") from None
    return value


IsoDate = Annotated[date, BeforeValidator(_iso_date)]
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
    band_mhz: float | None = Field(
        None,
        ge=400,
        le=40000,
        description="MHz; null = the technology's usual band: "
        + get_schema("cells").field("band_mhz").default_text,
    )
    azimuth_deg: float | None = Field(None, ge=0, le=360, description="null = omni")
    beamwidth_deg: float = Field(65.0, ge=1, le=360)
    eirp_dbm: float = Field(60.0, ge=0, le=90)
    tilt_deg: float = Field(4.0, ge=-10, le=30)
    height_m: float | None = Field(
        None, ge=0, le=300, description="this cell's antenna height; null = the site's"
    )
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


__all__ = ["CellIn", "ChangeOut", "SiteCreate", "SiteOut", "SitePage", "SitePatch"]
