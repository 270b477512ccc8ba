"""Request and response models of the measurement endpoints (``/v1/challenges``, ``/v1/speed``).

Like :mod:`coverage_gis_api.models`: the request is strict (unknown fields and wrong JSON
types are 422 naming the field), the response models document the JSON the routes send
(:mod:`coverage_gis_api.routes_measurements`), and the tests validate every response
against them. The enums are spelled out for static typing and OpenAPI;
``tests/test_vocabulary.py`` checks them against ``layers/*.yaml``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

#: What a challenge questions (``layers/overrides.yaml`` ``kind``).
ChallengeKind = Literal["mobile", "ftth"]
#: A challenge nobody has decided yet, or the decision on it (``overrides`` ``decision``).
ChallengeStatus = Literal["open", "accepted", "rejected"]
#: Kinds of speed test (``layers/speed_tests.yaml`` ``kind``).
SpeedKind = Literal["mobile", "fixed"]

_CHALLENGE_EXAMPLE: dict[str, Any] = {
    "challenge_id": "mobile:52-21667-003",
    "village_id": "52-21667-003",
    "name": "thôn 3",
    "commune_name": "Xã Hoài Thanh",
    "district_name": "Huyện Hoài Nhơn",
    "province_name": "Tỉnh Bình Định",
    "population": 2271,
    "kind": "mobile",
    "claim": "no_service",
    "model_value": True,
    "measured_value": False,
    "tests": 8,
    "devices": 8,
    "served_share": 0.0,
    "median_download_mbps": 0.0,
    "median_signal_dbm": -118.9,
    "measured_tech": None,
    "measured_operators": "",
    "status": "open",
    "decided_by": None,
    "decided_at": None,
    "reason": None,
    "revision": None,
    "province_code": "52",
    "district_code": "536",
    "commune_code": "21667",
    "province_2025": "52",
    "commune_2025": "21667",
    "lon": 109.0513,
    "lat": 14.4879,
}


class Challenge(BaseModel):
    """A village whose measurements contradict the model, with the evidence and any decision."""

    model_config = ConfigDict(json_schema_extra={"examples": [_CHALLENGE_EXAMPLE]})

    challenge_id: str = Field(description="<kind>:<village_id>")
    village_id: str
    name: str | None
    commune_name: str | None
    district_name: str | None
    province_name: str | None
    population: int
    kind: ChallengeKind
    claim: Literal["service", "no_service"] | None = Field(description="what the measurements show")
    model_value: bool | None = Field(description="the model's status (when decided: the one decided against)")
    measured_value: bool | None = Field(description="the status the measurements show")
    tests: int | None = Field(description="tests describing the village (a tile counts its tests)")
    devices: int | None
    served_share: float | None = Field(description="share of the best operator's tests that found service")
    median_download_mbps: float | None
    median_signal_dbm: float | None
    measured_tech: str | None = Field(description="best technology measured with service")
    measured_operators: str | None = Field(description="operators whose tests mostly found service")
    status: ChallengeStatus
    decided_by: str | None
    decided_at: str | None = Field(description="UTC ISO 8601")
    reason: str | None
    revision: int | None = Field(description="the revision of the decision")
    province_code: str | None
    district_code: str | None
    commune_code: str | None = Field(description="the KPI commune key, as in /v1/villages")
    province_2025: str | None
    commune_2025: str | None
    lon: float
    lat: float


class ChallengePage(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"total": 1, "limit": None, "offset": 0, "items": [_CHALLENGE_EXAMPLE]}]
        }
    )

    total: int
    limit: int | None = Field(description="the page size asked for; null: all")
    offset: int
    items: list[Challenge]


class DecisionIn(BaseModel):
    """A planner's decision on a challenge: why, and which status it is about."""

    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        json_schema_extra={"examples": [{"reason": "đo kiểm 6/2025: không có sóng", "kind": "mobile"}]},
    )

    reason: Annotated[str, Field(min_length=1, max_length=500, description="why, for the revision log")]
    kind: ChallengeKind = "mobile"

    @field_validator("reason")
    @classmethod
    def _reason_has_words(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("a decision needs a reason")
        return value.strip()


class DecisionOut(BaseModel):
    """The outcome of a decision: its revision, the village's status before and after, the KPIs."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "revision": 5,
                    "etag": '"rev-5"',
                    "summary": "accept mobile challenge at 52-21667-003 (thôn 3): đo kiểm 6/2025",
                    "challenge_id": "mobile:52-21667-003",
                    "village_id": "52-21667-003",
                    "kind": "mobile",
                    "decision": "accepted",
                    "status_before": True,
                    "status_after": False,
                    "dirty_bbox": [109.0513, 14.4879, 109.0513, 14.4879],
                    "kpi_before": {"code": "52", "villages_mobile_bb_pct": 99.9},
                    "kpi_after": {"code": "52", "villages_mobile_bb_pct": 99.8},
                    "kpi_delta": {"villages_mobile_bb_pct": -0.1},
                    "elapsed_ms": 850.0,
                    "challenge": _CHALLENGE_EXAMPLE
                    | {"status": "accepted", "decided_by": "api:So KHCN (planner)", "revision": 5},
                }
            ]
        }
    )

    revision: int
    etag: str
    summary: str
    challenge_id: str
    village_id: str
    kind: ChallengeKind
    decision: Literal["accepted", "rejected"]
    status_before: bool
    status_after: bool
    dirty_bbox: list[float]
    kpi_before: dict[str, Any]
    kpi_after: dict[str, Any]
    kpi_delta: dict[str, float]
    elapsed_ms: float
    challenge: Challenge | None = Field(description="the challenge as listed after the decision")


class SpeedUnit(BaseModel):
    """Measured speed of one unit, kind, technology and operator (``all`` aggregates)."""

    level: str
    code: str
    name: str | None
    kind: SpeedKind
    tech: str
    operator: str
    tests: int
    devices: int
    download_median_mbps: float | None
    download_ci_low_mbps: float | None
    download_ci_high_mbps: float | None
    upload_median_mbps: float | None
    latency_median_ms: float | None
    status: Literal["ok", "insufficient_data"]


class SpeedTargetShare(BaseModel):
    """Share of a unit's villages (and of their population) whose median meets a plan speed target."""

    level: str
    code: str
    name: str | None
    indicator: str
    target_mbps: float
    villages: int
    villages_with_data: int
    villages_meeting: int
    villages_meeting_pct: float | None
    villages_meeting_ci_low_pct: float | None
    villages_meeting_ci_high_pct: float | None
    population_with_data: int
    population_meeting_pct: float | None
    status: Literal["ok", "insufficient_data"]


class SpeedSample(BaseModel):
    """The minimum samples and the bootstrap of the workspace's ``speed`` settings."""

    radius_m: float
    min_tests: int
    min_village_tests: int
    min_villages: int
    bootstrap_samples: int
    confidence: float


class SpeedReport(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "level": "province",
                    "plan": "binh-dinh-2025",
                    "settings": {
                        "radius_m": 500.0,
                        "min_tests": 30,
                        "min_village_tests": 5,
                        "min_villages": 10,
                        "bootstrap_samples": 1000,
                        "confidence": 0.95,
                    },
                    "units": [
                        {
                            "level": "province",
                            "code": "52",
                            "name": "Tỉnh Bình Định",
                            "kind": "mobile",
                            "tech": "all",
                            "operator": "all",
                            "tests": 3462,
                            "devices": 3462,
                            "download_median_mbps": 32.84,
                            "download_ci_low_mbps": 31.41,
                            "download_ci_high_mbps": 34.83,
                            "upload_median_mbps": 7.9,
                            "latency_median_ms": 35.7,
                            "status": "ok",
                        }
                    ],
                    "targets": [],
                }
            ]
        }
    )

    level: str
    plan: str | None = Field(description="the plan whose speed targets are checked")
    settings: SpeedSample
    units: list[SpeedUnit]
    targets: list[SpeedTargetShare]


__all__ = [
    "Challenge",
    "ChallengeKind",
    "ChallengePage",
    "ChallengeStatus",
    "DecisionIn",
    "DecisionOut",
    "SpeedKind",
    "SpeedReport",
    "SpeedSample",
    "SpeedTargetShare",
    "SpeedUnit",
]
