"""Calibration of the link-budget models (pathloss, terrain) against measured levels.

Owns four things:

- **Predicted levels at measurement points** (:func:`predicted_levels`): for a test on
  technology *T* of operator *O*, the best level among the on-air cells of *T* (of *O*
  when the test names it) under the link budget, with the serving thresholds lowered by
  :data:`SEARCH_SLACK_DB` so that levels below threshold are predicted too, and the
  clutter class of that best cell. Levels are the model's own (planning margin included).
- **The fit** (:func:`fit_calibration`): the margin and the per-clutter offsets enter the
  level as constants, ``level = ... - margin_db - clutter_offset_db[clutter] - path loss``,
  so ``measured - predicted = (margin₀ - margin) - offset[clutter] + noise``. It is
  solved by robust least squares (``scipy.optimize.least_squares`` with the Cauchy loss at
  a scale of :data:`LOSS_SCALE_DB`, close to the shadowing deviation: the pull of a
  residual fades beyond a few scales, so outliers such as indoor tests barely bias the
  fit; a soft-L1 loss, whose pull stays constant, left 0.4 dB of bias on the synthetic
  data of the tests). Margin and offsets are only identified together, so the offsets
  are constrained to a zero sum weighted by the tests of each class: the margin is the
  common part and an offset is its class's deviation from it. A clutter class with fewer
  than ``min_samples`` tests keeps offset 0. The best cell is chosen once, under the
  uncalibrated budget.
- **The report** (:class:`CalibrationReport`): RMSE and median absolute error of
  measured − predicted, and the confusion matrix of covered/uncovered (model level vs
  measured level against the technology's threshold) at the measurement points, before
  (the workspace's current calibration, if any) and after the fit.
- **Applying and storing** a calibration: :func:`calibrated_model` builds a model whose
  settings carry the fitted margin and whose cells' EIRP is lowered by the clutter offset;
  :func:`write_calibration` puts it in ``workspace.yaml`` (``calibration``, shaped by
  :class:`coverage_gis.measurement_settings.Calibration`) only when asked, with a
  revision that marks coverage for recompute. A calibration applies to the model it was
  fitted for.

Points whose predicted level is near the handset reporting ceiling
(:data:`REPORTING_CEILING_DBM`), where measured levels saturate, are left out of the fit.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import numpy as np

from coverage_gis.errors import LayerValidationError
from coverage_gis.measurement_settings import CALIBRATED_MODELS, Calibration
from coverage_gis.models import create_model, load_model_settings
from coverage_gis.models.base import (
    CandidatePairs,
    CellArrays,
    CoverageModel,
    FloatArray,
    ReceiverArrays,
)
from coverage_gis.models.pathloss import PathlossModel
from coverage_gis.models.settings import ModelSettings, environment_index
from coverage_gis.models.terrain import TerrainModel
from coverage_gis.network import CellTable, points_xy_m
from coverage_gis.revisions import RevisionRecord, default_author
from coverage_gis.vocabulary import ENVIRONMENTS, TECHS

if TYPE_CHECKING:
    from coverage_gis.engine import Analysis
    from coverage_gis.workspace import Workspace

#: dB below threshold down to which levels are predicted (a search range, not a result).
SEARCH_SLACK_DB = 20.0
#: Scale of the robust (Cauchy) loss, dB: about the log-normal shadowing deviation.
LOSS_SCALE_DB = 6.0
#: Predicted levels this close to the reporting ceiling are left out of the fit, dB.
CEILING_GUARD_DB = 20.0
#: Highest level a handset reports per technology (3GPP RxLev/RSCP/RSRP mapping ranges).
REPORTING_CEILING_DBM: Mapping[str, float] = MappingProxyType(
    {"2G": -48.0, "3G": -25.0, "4G": -44.0, "5G": -44.0}
)


# ------------------------------------------------------------------------------ applying


class ClutterOffsetModel:
    """A link-budget model whose cells radiate ``offset[clutter]`` dB less.

    An offset is a constant in the link budget, like EIRP; lowering each cell's EIRP by
    its clutter class's offset applies it to the levels and to the reach alike.
    """

    def __init__(self, base: PathlossModel | TerrainModel, offsets_db: Mapping[str, float]) -> None:
        self.base = base
        self.name = base.name
        self._table = np.array([float(offsets_db.get(e, 0.0)) for e in ENVIRONMENTS])

    def _shifted(self, cells: CellArrays) -> CellArrays:
        if not len(cells):
            return cells
        loss = self._table[environment_index(cells.environment)]
        return dataclasses.replace(cells, eirp_dbm=cells.eirp_dbm - loss)

    def candidate_pairs(
        self, receivers: ReceiverArrays, cells: CellArrays, *, keep_unserved: bool = True
    ) -> CandidatePairs:
        """The base model's pairs for the shifted cells."""
        return self.base.candidate_pairs(receivers, self._shifted(cells), keep_unserved=keep_unserved)

    def max_range_m(self, cells: CellArrays) -> FloatArray:
        """The base model's reach for the shifted cells."""
        return self.base.max_range_m(self._shifted(cells))


def calibrated_model(
    name: str,
    *,
    calibration: Calibration | None,
    dem_path: Path | None,
    metric_crs: str | None,
    settings: ModelSettings | None = None,
) -> CoverageModel:
    """The coverage model ``name``, with ``calibration`` applied when it was fitted for that model.

    Parameters
    ----------
    name
        A model name (:data:`coverage_gis.models.MODEL_NAMES`).
    calibration
        The workspace's (``WorkspaceConfig.calibration``); None or another model's: the plain model.
    dem_path, metric_crs
        As for :func:`coverage_gis.models.create_model`.
    settings
        Base settings; the shipped ones when None.
    """
    base = settings or load_model_settings()
    if calibration is None or calibration.model != name:
        return create_model(name, base, dem_path=dem_path, metric_crs=metric_crs)
    tuned = dataclasses.replace(
        base, pathloss=dataclasses.replace(base.pathloss, margin_db=calibration.margin_db)
    )
    model = create_model(name, tuned, dem_path=dem_path, metric_crs=metric_crs)
    assert isinstance(model, (PathlossModel, TerrainModel))
    if not any(calibration.clutter_offset_db.values()):
        return model
    return ClutterOffsetModel(model, calibration.clutter_offset_db)


# ------------------------------------------------------------------------------ predictions


@dataclass(frozen=True)
class LevelPredictions:
    """Measured and predicted levels at measurement points (uncalibrated budget)."""

    measured_dbm: FloatArray
    predicted_dbm: FloatArray
    environment: np.ndarray
    threshold_dbm: FloatArray
    tech: np.ndarray


def _search_settings(settings: ModelSettings) -> ModelSettings:
    lowered = {t: v - SEARCH_SLACK_DB for t, v in settings.threshold_dbm.items()}
    return dataclasses.replace(settings, threshold_dbm=MappingProxyType(lowered))


def predicted_levels(
    x_m: FloatArray,
    y_m: FloatArray,
    tech: np.ndarray,
    operator: np.ndarray,
    cells: CellTable,
    *,
    model_name: str,
    metric_crs: str,
    dem_path: Path | None = None,
    settings: ModelSettings | None = None,
) -> tuple[FloatArray, np.ndarray]:
    """Best predicted level and its cell's clutter class at each point.

    Parameters
    ----------
    x_m, y_m
        Points in the metric CRS.
    tech, operator
        Per point: the technology (2G–5G) and operator (None or empty: any) whose
        cells count.
    cells
        The workspace's cells; only on-air ones count.
    model_name
        ``pathloss`` or ``terrain`` (anything else predicts with ``pathloss``).
    settings
        Base settings (uncalibrated); the shipped ones when None.

    Returns
    -------
    level_dbm, environment
        NaN / None where no cell of the kind is within the search range.
    """
    n = len(x_m)
    level = np.full(n, np.nan)
    environment = np.full(n, None, dtype=object)
    base = settings or load_model_settings()
    name = model_name if model_name in CALIBRATED_MODELS else "pathloss"
    model = create_model(name, _search_settings(base), dem_path=dem_path, metric_crs=metric_crs)
    ops = np.array([o if isinstance(o, str) and o else "" for o in operator], dtype=object)
    techs = np.array([t if isinstance(t, str) else "" for t in tech], dtype=object)
    pairs_of_kind = np.array([f"{t}|{o}" for t, o in zip(techs, ops, strict=True)], dtype=object)
    kinds, inverse = np.unique(pairs_of_kind.astype(str), return_inverse=True)
    for k, key in enumerate(kinds):
        rows = np.flatnonzero(inverse == k)
        t, o = str(key).split("|", 1)
        if t not in TECHS:
            continue
        mask = cells.on_air & (cells.arrays.tech == t)
        if o:
            mask &= cells.operator == o
        if not mask.any():
            continue
        chosen = cells.subset(mask)
        receivers = ReceiverArrays(x_m=np.asarray(x_m)[rows], y_m=np.asarray(y_m)[rows])
        pairs = model.candidate_pairs(receivers, chosen.arrays)
        if not len(pairs):
            continue
        signal = np.where(np.isnan(pairs.signal_dbm), -np.inf, pairs.signal_dbm)
        order = np.lexsort((signal, pairs.receiver))
        last = np.flatnonzero(np.r_[pairs.receiver[order][1:] != pairs.receiver[order][:-1], True])
        best = order[last]
        best = best[np.isfinite(signal[best])]
        level[rows[pairs.receiver[best]]] = signal[best]
        environment[rows[pairs.receiver[best]]] = chosen.arrays.environment[pairs.cell[best]]
    return level, environment


def measurement_levels(
    analysis: Analysis, *, model_name: str, settings: ModelSettings | None = None
) -> LevelPredictions:
    """Measured and predicted levels of the workspace's single measurements that report a level.

    Tiles (no level, no technology) and tests without a level or a 2G–5G technology are
    left out, and so are points whose predicted level is within :data:`CEILING_GUARD_DB`
    of the handset's reporting ceiling: there the measured level may be clipped, and
    leaving out clipped *measurements* would bias the fit (the choice is on the
    prediction, which the noise does not touch).
    """
    base = settings or load_model_settings(analysis.ws.model_settings_path)
    tests = analysis.layers.speed_tests
    if not len(tests):
        empty = np.zeros(0)
        return LevelPredictions(empty, empty, np.empty(0, dtype=object), empty, np.empty(0, dtype=object))
    tech = tests["tech"].to_numpy(dtype=object)
    measured = tests["signal_dbm"].to_numpy(dtype=float)
    point = np.array([not (isinstance(q, str) and q) for q in tests["quadkey"].to_numpy(dtype=object)])
    use = point & np.isfinite(measured) & np.isin(tech, list(TECHS))
    chosen = tests[use]
    x_m, y_m = points_xy_m(chosen, analysis.metric_crs)
    predicted, environment = predicted_levels(
        x_m,
        y_m,
        chosen["tech"].to_numpy(dtype=object),
        chosen["operator"].to_numpy(dtype=object),
        analysis.cells,
        model_name=model_name,
        metric_crs=analysis.metric_crs,
        dem_path=analysis.ws.dem_path,
        settings=base,
    )
    techs = chosen["tech"].to_numpy(dtype=object)
    ceiling = np.array([REPORTING_CEILING_DBM[t] for t in techs], dtype=float)
    near_ceiling = np.nan_to_num(predicted, nan=-np.inf) >= ceiling - CEILING_GUARD_DB
    keep = ~near_ceiling & (measured[use] < ceiling)
    threshold = np.array([base.threshold_dbm[t] for t in techs], dtype=float)
    return LevelPredictions(
        measured[use][keep], predicted[keep], environment[keep], threshold[keep], techs[keep]
    )


# ------------------------------------------------------------------------------ fit and report


@dataclass(frozen=True)
class Fit:
    """Result of :func:`fit_calibration`: shifts relative to the uncalibrated budget."""

    margin_shift_db: float
    clutter_offset_db: Mapping[str, float]
    samples: Mapping[str, int]
    converged: bool


def fit_calibration(
    residual_db: FloatArray,
    environment: np.ndarray,
    *,
    min_samples: int = 30,
    loss_scale_db: float = LOSS_SCALE_DB,
) -> Fit:
    """Robust least-squares fit of ``residual = -margin_shift - offset[clutter]``.

    Parameters
    ----------
    residual_db
        Measured minus predicted level, dB (finite values only).
    environment
        Clutter class of each residual's best cell.
    min_samples
        Tests a clutter class needs to get its own offset.
    loss_scale_db
        Cauchy-loss scale: residuals well beyond it pull less and less.

    Returns
    -------
    Fit
        ``margin_shift_db`` is added to the margin (positive = the world is weaker than
        the model); ``clutter_offset_db`` per class, summing to zero when weighted by
        each class's tests (classes without an offset of their own count as 0).
    """
    r = np.asarray(residual_db, dtype=np.float64)
    env = np.asarray(environment, dtype=object)
    counts = {e: int((env == e).sum()) for e in ENVIRONMENTS}
    free = [e for e in ENVIRONMENTS if counts[e] >= min_samples]
    if not len(r):
        return Fit(0.0, MappingProxyType(dict.fromkeys(ENVIRONMENTS, 0.0)), MappingProxyType(counts), False)
    column = np.array([free.index(e) if e in free else -1 for e in env], dtype=np.int64)
    n_free = np.array([counts[e] for e in free], dtype=np.float64)

    def offsets_of(theta: FloatArray) -> FloatArray:
        # All offsets but the last are free; the last keeps the weighted sum at zero.
        head = theta[1:]
        last = -float(np.dot(n_free[:-1], head)) / n_free[-1] if len(free) else 0.0
        return np.append(np.append(head, last), 0.0)  # index -1: a class without its own offset

    def residuals(theta: FloatArray) -> FloatArray:
        return np.asarray(r + theta[0] + offsets_of(theta)[column], dtype=np.float64)

    # Imported here: scipy.optimize takes longer to import than most commands run, and
    # only a calibration fits.
    from scipy.optimize import least_squares

    start = np.zeros(max(len(free), 1))
    start[0] = -float(np.median(r))
    solution = least_squares(residuals, start, loss="cauchy", f_scale=loss_scale_db)
    fitted = offsets_of(solution.x)
    offsets = dict.fromkeys(ENVIRONMENTS, 0.0)
    for i, e in enumerate(free):
        offsets[e] = float(fitted[i])
    return Fit(
        float(solution.x[0]), MappingProxyType(offsets), MappingProxyType(counts), bool(solution.success)
    )


@dataclass(frozen=True)
class Metrics:
    """Agreement of predicted and measured levels at the measurement points.

    ``confusion`` counts (model, measured) covered/uncovered pairs: ``covered_covered``
    (both), ``covered_uncovered`` (model covered, measured not), ``uncovered_covered``,
    ``uncovered_uncovered``. A point without a prediction counts as uncovered by the model.
    """

    samples: int
    rmse_db: float
    median_abs_error_db: float
    bias_db: float
    confusion: Mapping[str, int]

    @property
    def agreement_pct(self) -> float:
        total = sum(self.confusion.values())
        agree = self.confusion["covered_covered"] + self.confusion["uncovered_uncovered"]
        return 100.0 * agree / total if total else math.nan


def _metrics(levels: LevelPredictions, shift_db: FloatArray) -> Metrics:
    predicted = levels.predicted_dbm - shift_db
    ok = np.isfinite(predicted)
    error = levels.measured_dbm[ok] - predicted[ok]
    model_cov = np.nan_to_num(predicted, nan=-np.inf) >= levels.threshold_dbm
    measured_cov = levels.measured_dbm >= levels.threshold_dbm
    confusion = {
        "covered_covered": int((model_cov & measured_cov).sum()),
        "covered_uncovered": int((model_cov & ~measured_cov).sum()),
        "uncovered_covered": int((~model_cov & measured_cov).sum()),
        "uncovered_uncovered": int((~model_cov & ~measured_cov).sum()),
    }
    return Metrics(
        samples=int(ok.sum()),
        rmse_db=float(np.sqrt(np.mean(error**2))) if len(error) else math.nan,
        median_abs_error_db=float(np.median(np.abs(error))) if len(error) else math.nan,
        bias_db=float(np.mean(error)) if len(error) else math.nan,
        confusion=MappingProxyType(confusion),
    )


def _shift(levels: LevelPredictions, margin_shift_db: float, offsets: Mapping[str, float]) -> FloatArray:
    per_env = np.array([offsets.get(e, 0.0) if isinstance(e, str) else 0.0 for e in levels.environment])
    return np.asarray(margin_shift_db + per_env, dtype=np.float64)


@dataclass(frozen=True)
class CalibrationReport:
    """What :func:`calibrate` found (and wrote)."""

    model: str
    base_margin_db: float
    previous: Calibration | None
    fitted: Calibration
    fit: Fit
    before: Metrics
    after: Metrics
    excluded: int
    written: bool
    revision: int | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready summary."""

        def metrics(m: Metrics) -> dict[str, Any]:
            return {
                "samples": m.samples,
                "rmse_db": m.rmse_db,
                "median_abs_error_db": m.median_abs_error_db,
                "bias_db": m.bias_db,
                "agreement_pct": m.agreement_pct,
                "confusion": dict(m.confusion),
            }

        return {
            "model": self.model,
            "base_margin_db": self.base_margin_db,
            "previous": self.previous.to_mapping() if self.previous else None,
            "fitted": self.fitted.to_mapping(),
            "samples_per_clutter": dict(self.fit.samples),
            "converged": self.fit.converged,
            "before": metrics(self.before),
            "after": metrics(self.after),
            "excluded_tests": self.excluded,
            "written": self.written,
            "revision": self.revision,
        }


def calibrate(
    analysis: Analysis,
    *,
    model: str | None = None,
    min_samples: int = 30,
    write: bool = False,
    author: str | None = None,
    settings: ModelSettings | None = None,
) -> CalibrationReport:
    """Fit margin and clutter offsets to the workspace's measured levels; store them only if asked.

    Parameters
    ----------
    analysis
        From :func:`coverage_gis.engine.load`.
    model
        ``pathloss`` or ``terrain``; default the workspace's model when it is one of
        them, else ``pathloss``.
    min_samples
        Tests needed overall and per clutter class (for its own offset).
    write
        Store the fit in ``workspace.yaml`` (and log a revision) — otherwise only report.
    author
        Revision author when writing (default: the OS user).
    settings
        Base model settings; the workspace's (its own ``coverage_models.yaml``, else the
        shipped file) when None.

    Raises
    ------
    LayerValidationError
        An unknown model, or fewer than ``min_samples`` usable tests.
    """
    name = model or (analysis.model.name if analysis.model.name in CALIBRATED_MODELS else "pathloss")
    if name not in CALIBRATED_MODELS:
        raise LayerValidationError(
            f"cannot calibrate the {name} model; choose {', '.join(CALIBRATED_MODELS)}", field="model"
        )
    base = settings or load_model_settings(analysis.ws.model_settings_path)
    levels = measurement_levels(analysis, model_name=name, settings=base)
    total = len(analysis.layers.speed_tests)
    usable = np.isfinite(levels.predicted_dbm)
    if int(usable.sum()) < min_samples:
        raise LayerValidationError(
            f"{int(usable.sum())} tests with a level (RSRP/RSCP) near a cell of their operator and "
            f"technology; calibration needs at least {min_samples}",
            field="speed_tests",
        )
    fit = fit_calibration(
        levels.measured_dbm[usable] - levels.predicted_dbm[usable],
        levels.environment[usable],
        min_samples=min_samples,
    )
    margin0 = base.pathloss.margin_db
    fitted = Calibration.model_validate(
        {
            "model": name,
            "margin_db": margin0 + fit.margin_shift_db,
            "clutter_offset_db": dict(fit.clutter_offset_db),
        }
    )
    previous = analysis.ws.config.calibration
    current = previous if previous is not None and previous.model == name else None
    before_shift = (
        _shift(levels, current.margin_db - margin0, current.clutter_offset_db)
        if current is not None
        else np.zeros(len(levels.measured_dbm))
    )
    after = _metrics(levels, _shift(levels, fit.margin_shift_db, fit.clutter_offset_db))
    revision = None
    if write:
        revision = write_calibration(analysis.ws, fitted, metrics=after, author=author)
    return CalibrationReport(
        model=name,
        base_margin_db=margin0,
        previous=previous,
        fitted=fitted,
        fit=fit,
        before=_metrics(levels, before_shift),
        after=after,
        excluded=total - len(levels.measured_dbm),
        written=write,
        revision=revision,
    )


def write_calibration(
    ws: Workspace, calibration: Calibration, *, metrics: Metrics, author: str | None
) -> int:
    """Store ``calibration`` in ``workspace.yaml`` and log a revision that marks coverage for recompute.

    Returns
    -------
    int
        The revision number.
    """
    record = RevisionRecord(
        summary=(
            f"calibrate {calibration.model} model: margin {calibration.margin_db:.1f} dB, clutter offsets "
            + ", ".join(f"{e} {calibration.clutter_offset_db.get(e, 0.0):+.1f} dB" for e in ENVIRONMENTS)
            + f" (RMSE {metrics.rmse_db:.1f} dB over {metrics.samples} tests)"
        ),
        author=author or default_author(),
        coverage_current=False,
    )
    rounded = Calibration.model_validate(calibration.to_mapping())
    stored = rounded.model_copy(
        update={
            "fitted": datetime.now(UTC).isoformat(timespec="seconds"),
            "samples": metrics.samples,
            "rmse_db": round(metrics.rmse_db, 3) if math.isfinite(metrics.rmse_db) else None,
        }
    )
    # The revision first: should saving the settings fail, coverage is only recomputed
    # needlessly; the other order could leave stale coverage marked current.
    with ws.lock():
        with ws.edit() as editor:
            number = editor.append_revision(record)
        ws.update_config(calibration=stored)
    return number


__all__ = [
    "CALIBRATED_MODELS",
    "REPORTING_CEILING_DBM",
    "SEARCH_SLACK_DB",
    "Calibration",
    "CalibrationReport",
    "ClutterOffsetModel",
    "Fit",
    "LevelPredictions",
    "Metrics",
    "calibrate",
    "calibrated_model",
    "fit_calibration",
    "measurement_levels",
    "predicted_levels",
    "write_calibration",
]
