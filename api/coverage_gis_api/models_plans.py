"""Request and response models of the plan endpoints (``/v1/plans``).

The request is strict like the other request models (:mod:`coverage_gis_api.models`):
unknown fields and wrong JSON types are 422 naming the field. Response models document
the JSON the routes send (:mod:`coverage_gis_api.routes_plans`); the tests validate
every response against them.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue, RootModel, field_validator

from coverage_gis_api.models import Operator, OperatorField

PlanState = Literal["queued", "running", "done", "failed"]
#: Tables of a plan (``coverage_gis.planning.export.PLAN_TABLES``).
PlanTableName = Literal["sites", "fiber", "connections", "villages", "actions", "curve"]
PLAN_ID_PATTERN = r"^p[0-9a-f]{16}$"
_TARGET_PATTERN = r"^[a-z0-9][a-z0-9\-]{0,63}$"


class PlanRequest(BaseModel):
    """What the planner is asked for. Every field is optional: an empty body closes every gap."""

    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        json_schema_extra={
            "examples": [
                {"budget_vnd": 20_000_000_000, "operator": "Viettel", "annual_budget_vnd": 8_000_000_000},
                {"max_sites": 5, "only": "sites"},
                {},
            ]
        },
    )

    budget_vnd: Annotated[
        float | None, Field(ge=0, allow_inf_nan=False, description="spend at most this (sites and fiber)")
    ] = None
    max_sites: Annotated[
        int | None, Field(ge=0, le=100_000, description="build or upgrade at most N sites")
    ] = None
    operator: Annotated[
        OperatorField | None,
        Field(description="plan one operator's gaps and fiber (co-location on others' masts); omit: neutral"),
    ] = None
    target: Annotated[
        str | None,
        Field(
            pattern=_TARGET_PATTERN,
            description="plan id (data/plans) whose targets the plan is for (default: the workspace's)",
            examples=["binh-dinh-2025"],
        ),
    ] = None
    annual_budget_vnd: Annotated[
        float | None, Field(gt=0, allow_inf_nan=False, description="spend per year: gives each action a year")
    ] = None
    only: Annotated[
        Literal["sites", "fiber"] | None,
        Field(description="plan sites only (mobile gaps) or fiber only (FTTH gaps)"),
    ] = None

    @field_validator("operator")
    @classmethod
    def _named_operator(cls, value: Operator | None) -> Operator | None:
        if value is Operator.other:
            raise ValueError("name an operator, or omit operator for a neutral plan")
        return value


class PlanError(BaseModel):
    type: str
    message: str


class PlanSummary(BaseModel):
    """Headline figures of a finished plan (``Plan.summary()``)."""

    operator: str
    budget_vnd: float | None
    max_sites: int | None
    sites: int
    sites_by_kind: dict[str, int]
    site_cost_vnd: float
    fiber_branches: int
    fiber_length_m_by_class: dict[str, float]
    fiber_cost_vnd: float
    total_cost_vnd: float
    gap_villages: dict[str, int] = Field(description="'<kind>:<status>' → villages")
    solver: dict[str, JsonValue]
    kpis_before: dict[str, JsonValue]
    kpis_after: dict[str, JsonValue]
    rejected_candidates: dict[str, int]


class PlanStatus(BaseModel):
    """A plan job: its state and progress; when done, its summary and where its tables are."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "p3f9c2a71d0b4e8a1",
                    "state": "running",
                    "progress": 0.5,
                    "step": "fiber routes",
                    "revision": 3,
                    "request": {"budget_vnd": 20_000_000_000},
                    "created": "2025-06-30T08:00:00+00:00",
                    "started": "2025-06-30T08:00:00+00:00",
                    "finished": None,
                    "elapsed_s": None,
                    "error": None,
                    "summary": None,
                    "links": {},
                }
            ]
        }
    )

    id: str
    state: PlanState
    progress: float = Field(ge=0, le=1)
    step: str
    revision: int = Field(description="workspace revision the plan was made from")
    request: dict[str, JsonValue]
    created: str
    started: str | None
    finished: str | None
    elapsed_s: float | None
    error: PlanError | None
    summary: PlanSummary | None
    links: dict[str, str] = Field(description="table name → URL (when done)")


class PlanList(BaseModel):
    """Plans of this server, newest first (kept in memory until it restarts)."""

    items: list[PlanStatus]


class PlanTable(BaseModel):
    """One table of a plan as JSON records (``lon``/``lat``: a point on each feature)."""

    plan_id: str
    table: PlanTableName
    revision: int
    total: int
    items: list[dict[str, Any]]


class SiteEditRecord(BaseModel):
    """One site edit as ``covgis sites apply`` (and ``LiveWorkspace.apply``) takes it."""

    op: Literal["add", "update", "remove"]
    site_id: str
    site: dict[str, JsonValue] | None = None
    cells: list[dict[str, JsonValue]] | None = None
    cell_changes: dict[str, dict[str, JsonValue]] | None = None


class PlanSiteEdits(RootModel[list[SiteEditRecord]]):
    """The plan's proposed sites as one batch of site edits (save it and run ``covgis sites apply``)."""


__all__ = [
    "PLAN_ID_PATTERN",
    "PlanError",
    "PlanList",
    "PlanRequest",
    "PlanSiteEdits",
    "PlanState",
    "PlanStatus",
    "PlanSummary",
    "PlanTable",
    "PlanTableName",
    "SiteEditRecord",
]
