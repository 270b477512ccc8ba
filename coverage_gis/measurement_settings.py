"""The measurement settings of ``workspace.yaml``: ``speed`` and ``calibration``.

This module owns their shape and ranges, as pydantic models that
:class:`coverage_gis.workspace.WorkspaceConfig` validates with the rest of the
workspace settings (strict types, unknown keys are errors naming the dotted key, e.g.
``speed.min_tests``). What the values mean is owned by :mod:`coverage_gis.speed`
(matching, minimum samples, bootstrap) and :mod:`coverage_gis.calibration` (the fit and
how a calibrated model applies it). It imports no analysis code, so that reading the
settings stays cheap.

.. code-block:: yaml

    speed:            # absent: the defaults below
      radius_m: 500
      min_tests: 30
    calibration:      # written by `covgis calibrate --write`
      model: pathloss
      margin_db: 9.2
      clutter_offset_db: {urban: 1.4, suburban: -0.3, rural: -0.6}
      fitted: '2025-06-30T08:00:00+00:00'
      samples: 412
      rmse_db: 6.1
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Literal, get_args

from pydantic import AfterValidator, BaseModel, Field

from coverage_gis._documents import DOCUMENT_CONFIG, Code, NonNegativeNumber, Number, PositiveNumber
from coverage_gis.vocabulary import ENVIRONMENTS


class SpeedSettings(BaseModel):
    """How measurements are matched to villages and how many are enough.

    Attributes
    ----------
    radius_m
        A single measurement describes the villages whose centre is within this distance.
    min_tests
        Tests a unit statistic (and a scorecard row) needs.
    min_village_tests
        Tests a village needs for its own median or its measured status.
    min_villages
        Villages with data a share of villages needs.
    service_min_mbps
        A download below this is "no service" (0 = the test failed).
    bootstrap_samples
        Bootstrap resamples per confidence interval.
    confidence
        Confidence level of the intervals.
    seed
        Seed of the bootstrap, so that a report is reproducible.
    """

    model_config = DOCUMENT_CONFIG

    radius_m: PositiveNumber = 500.0
    min_tests: int = Field(default=30, ge=1)
    min_village_tests: int = Field(default=5, ge=1)
    min_villages: int = Field(default=10, ge=1)
    service_min_mbps: NonNegativeNumber = 0.256
    bootstrap_samples: int = Field(default=1000, ge=10)
    confidence: float = Field(default=0.95, ge=0.5, lt=1.0, allow_inf_nan=False)
    seed: int = Field(default=0, ge=0)


#: Models a calibration can be fitted for (the radius model has no link budget to tune).
CalibratedModel = Literal["pathloss", "terrain"]
CALIBRATED_MODELS: tuple[str, ...] = get_args(CalibratedModel)


def _every_clutter_class(offsets: Mapping[str, float]) -> dict[str, float]:
    unknown = sorted(set(offsets) - set(ENVIRONMENTS))
    if unknown:
        raise ValueError(f"unknown clutter class {unknown[0]!r}; known: {', '.join(ENVIRONMENTS)}")
    return {e: float(offsets.get(e, 0.0)) for e in ENVIRONMENTS}


class Calibration(BaseModel):
    """Fitted link-budget values for one model.

    Attributes
    ----------
    model
        ``pathloss`` or ``terrain``: a calibration applies to the model it was fitted for.
    margin_db
        Replaces ``pathloss.margin_db`` of the model settings.
    clutter_offset_db
        Extra loss per clutter class, dB (positive = weaker); every class, 0 where not given.
    fitted, samples, rmse_db
        When it was fitted (UTC, ISO 8601), on how many tests, with what RMSE; written
        with it, for the record.
    """

    model_config = DOCUMENT_CONFIG

    model: CalibratedModel
    margin_db: Number
    clutter_offset_db: Annotated[dict[str, Number], AfterValidator(_every_clutter_class)] = Field(
        default_factory=lambda: dict.fromkeys(ENVIRONMENTS, 0.0), validate_default=True
    )
    fitted: Code | None = None
    samples: int | None = Field(default=None, ge=0)
    rmse_db: NonNegativeNumber | None = None

    def to_mapping(self) -> dict[str, object]:
        """The fitted values, rounded to 0.001 dB (for reports)."""
        return {
            "model": self.model,
            "margin_db": round(self.margin_db, 3),
            "clutter_offset_db": {e: round(v, 3) for e, v in self.clutter_offset_db.items()},
        }


__all__ = ["CALIBRATED_MODELS", "CalibratedModel", "Calibration", "SpeedSettings"]
