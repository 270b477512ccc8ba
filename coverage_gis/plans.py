"""Provincial plan indicator tables: loading, validation and target checks.

This module owns ``data/plans/<id>.yaml``, the machine-readable form of each
provincial digital-infrastructure plan (``docs/architecture.md``, KPIs and scorecards): the plan's
numeric targets, each with the KPI that measures it, where that KPI comes from
(``computed`` from the spatial layers, or ``indicator_table`` statistics the user
supplies), the target, comparator, unit, deadline and the section and phrase of the
plan text it was taken from, plus any status the plan itself reports (``baseline``).

It also owns the list of KPI ids the coverage engine computes (:data:`COMPUTED_KPIS`)
and the rule that turns a target and an actual value into met / not met / no data
(:func:`evaluate`). Computing the actual values is the KPI module's job, not this one.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from types import MappingProxyType
from typing import Annotated, Any, Literal, cast

from pydantic import AfterValidator, BaseModel, Field

from coverage_gis import _resources, vocabulary
from coverage_gis._documents import DOCUMENT_CONFIG, Day, Number, Text, VietText, parse_document, read_yaml
from coverage_gis.errors import LayerValidationError, NotFound

__all__ = [
    "COMPARATORS",
    "COMPUTED_KPIS",
    "COMPUTED_KPI_UNITS",
    "POI_CATEGORIES",
    "SOURCES",
    "UNITS",
    "Baseline",
    "Comparator",
    "Indicator",
    "IndicatorSource",
    "Plan",
    "Status",
    "Unit",
    "evaluate",
    "list_plans",
    "load_plan",
    "plan_for_province",
]

Comparator = Literal[">=", "<=", "=="]
Unit = Literal["percent", "count", "mbps", "per_100_people", "per_100_households"]
IndicatorSource = Literal["computed", "indicator_table"]
Status = Literal["met", "not_met", "no_data"]

COMPARATORS: frozenset[str] = frozenset({">=", "<=", "=="})
UNITS: frozenset[str] = frozenset({"percent", "count", "mbps", "per_100_people", "per_100_households"})
SOURCES: frozenset[str] = frozenset({"computed", "indicator_table"})

#: KPI ids the coverage engine produces, with the unit each is expressed in.
COMPUTED_KPI_UNITS: Mapping[str, str] = MappingProxyType(
    {
        "villages_mobile_bb_pct": "percent",
        "villages_4g_pct": "percent",
        "villages_ftth_pct": "percent",
        "population_mobile_bb_pct": "percent",
        "households_ftth_pct": "percent",
        "commune_centres_mobile_bb_pct": "percent",
        "commune_centres_ftth_pct": "percent",
        "sites_shared_pct": "percent",
        "sites_shared_period_pct": "percent",
        "operator_bts_shared_pct": "percent",
        "operator_bts_shared_period_pct": "percent",
        "sites_5g": "count",
        "pois_5g_pct": "percent",
    }
)
COMPUTED_KPIS: frozenset[str] = frozenset(COMPUTED_KPI_UNITS)

#: Categories of the ``pois`` layer a plan may ask 5G at (``layers/pois.yaml``).
POI_CATEGORIES: frozenset[str] = frozenset(vocabulary.POI_CATEGORIES)

# KPIs whose indicator must name the POI categories it is measured over.
_KPIS_WITH_CATEGORIES = frozenset({"pois_5g_pct"})

_PLAN_ID_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")

# Equality tolerance for "==" targets; counts are integers, so this only absorbs
# float noise from upstream arithmetic.
_EQ_ABS_TOL = 1e-9


@dataclass(frozen=True)
class Indicator:
    """One numeric target of a plan.

    Attributes
    ----------
    id
        Unique within the plan, snake_case (e.g. ``villages_mobile_bb_2025``).
    kpi
        The KPI that measures it. For ``source == "computed"`` one of
        :data:`COMPUTED_KPIS`; otherwise a column id of the user's indicator table.
    source
        ``computed`` (from the spatial layers) or ``indicator_table``.
    label_vi, label_en
        Display labels.
    target
        The target value, in ``unit``.
    comparator
        How an actual value is compared with ``target``: ``>=``, ``<=`` or ``==``.
    unit
        ``percent`` (0–100), ``count``, ``mbps``, ``per_100_people`` or
        ``per_100_households``.
    deadline
        The date by which the target is due.
    section
        The section of the plan text the target comes from.
    quote
        The phrase of the plan text stating the target.
    params
        KPI parameters; ``categories`` (a tuple of POI categories) for
        ``pois_5g_pct``. Read-only.
    note_en
        How the target was read from the text, where that needed a judgement.
    """

    id: str
    kpi: str
    source: IndicatorSource
    label_vi: str
    label_en: str
    target: float
    comparator: Comparator
    unit: Unit
    deadline: date
    section: str
    quote: str
    params: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}), hash=False)
    note_en: str | None = None

    @property
    def computed(self) -> bool:
        """Whether the coverage engine computes the actual value."""
        return self.source == "computed"

    @property
    def categories(self) -> tuple[str, ...]:
        """The POI categories of a 5G-at-POI indicator; empty for other KPIs."""
        value = self.params.get("categories", ())
        return tuple(cast("Sequence[str]", value))


@dataclass(frozen=True)
class Baseline:
    """A status value the plan itself reports (e.g. coverage at the end of 2024).

    Attributes
    ----------
    kpi
        The KPI the value is expressed in (same ids as :attr:`Indicator.kpi`).
    value
        The reported value.
    as_of
        The date the value describes.
    quote
        The phrase of the plan text reporting it.
    unit
        The unit of ``value`` when the file gives one.
    section
        The section of the plan text, when the file gives one.
    note_en
        Context, e.g. the gap list the plan attaches.
    """

    kpi: str
    value: float
    as_of: date
    quote: str
    unit: Unit | None = None
    section: str | None = None
    note_en: str | None = None


@dataclass(frozen=True)
class Plan:
    """A provincial digital-infrastructure plan and its indicators.

    Attributes
    ----------
    id
        The plan id, equal to the file name without ``.yaml``.
    province_code
        The province's two-digit GSO code, as a string (``"52"``).
    province_name
        The province's name with diacritics (``Tỉnh Bình Định``).
    title_vi, title_en
        The plan's title.
    document
        The plan's number and date, when the text gives them.
    source_file
        The plan text the indicators were taken from.
    period_start, period_end
        The period the plan covers.
    categories_5g
        The POI categories the plan wants 5G at.
    indicators
        The plan's targets, in file order.
    baseline
        Status values the plan reports, in file order.
    path
        The YAML file the plan was loaded from.
    """

    id: str
    province_code: str
    province_name: str
    title_vi: str
    title_en: str
    document: str | None
    source_file: str
    period_start: date
    period_end: date
    categories_5g: tuple[str, ...]
    indicators: tuple[Indicator, ...]
    baseline: tuple[Baseline, ...]
    path: Path

    @property
    def computed_indicators(self) -> tuple[Indicator, ...]:
        """Indicators whose actual value the coverage engine computes."""
        return tuple(ind for ind in self.indicators if ind.computed)

    @property
    def table_indicators(self) -> tuple[Indicator, ...]:
        """Indicators whose actual value comes from the user's indicator table."""
        return tuple(ind for ind in self.indicators if not ind.computed)

    def indicator(self, indicator_id: str) -> Indicator:
        """The indicator with id ``indicator_id``.

        Raises
        ------
        NotFound
            When the plan has no such indicator.
        """
        for ind in self.indicators:
            if ind.id == indicator_id:
                return ind
        raise NotFound(f"plan {self.id!r} has no indicator {indicator_id!r}")


def evaluate(indicator: Indicator, actual: float | None) -> Status:
    """Compare an actual value with an indicator's target.

    Parameters
    ----------
    indicator
        The indicator holding the target and comparator.
    actual
        The measured value in the indicator's unit; ``None`` or NaN when unknown.

    Returns
    -------
    str
        ``"met"``, ``"not_met"`` or ``"no_data"``. Values are compared unrounded:
        99.95 % against a 100 % target is not met.
    """
    if actual is None or math.isnan(actual):
        return "no_data"
    if indicator.comparator == ">=":
        ok = actual >= indicator.target
    elif indicator.comparator == "<=":
        ok = actual <= indicator.target
    else:
        ok = math.isclose(actual, indicator.target, rel_tol=0.0, abs_tol=_EQ_ABS_TOL)
    return "met" if ok else "not_met"


def list_plans(plans_dir: Path | None = None) -> list[str]:
    """Ids of the plans in a folder, sorted.

    Parameters
    ----------
    plans_dir
        Folder of ``<id>.yaml`` files; the project's ``data/plans`` by default.

    Returns
    -------
    list of str
        The file names without ``.yaml``; empty when the folder does not exist.
    """
    folder = _resources.plans_dir() if plans_dir is None else Path(plans_dir)
    if not folder.is_dir():
        return []
    return sorted(p.stem for p in folder.glob("*.yaml") if p.is_file())


def load_plan(plan_id_or_path: str | Path, *, plans_dir: Path | None = None) -> Plan:
    """Load and validate one plan.

    Parameters
    ----------
    plan_id_or_path
        A plan id (``"binh-dinh-2025"``), looked up in ``plans_dir``, or the path of
        a YAML file (a :class:`~pathlib.Path`, or a string ending in ``.yaml`` /
        ``.yml`` or containing a path separator).
    plans_dir
        Folder to look ids up in; the project's ``data/plans`` by default.

    Returns
    -------
    Plan

    Raises
    ------
    NotFound
        For an unknown id (the message lists the known ids) or a missing file.
    LayerValidationError
        For a file that breaks the format; ``source`` is the file, ``row`` the
        indicator (or baseline entry) index and ``field`` the field at fault.
    """
    path = _resolve(plan_id_or_path, plans_dir)
    return _parse_plan(read_yaml(path, what="plan"), path)


def plan_for_province(province_code: str, *, plans_dir: Path | None = None) -> Plan | None:
    """The plan of a province, or ``None`` when it has none.

    Parameters
    ----------
    province_code
        The province's GSO code (``"52"``; ``"4"`` is read as ``"04"``).
    plans_dir
        Folder of plans; the project's ``data/plans`` by default.

    Returns
    -------
    Plan or None
        When a province has several plans, the one whose period ends last.
    """
    code = province_code.strip()
    if code.isdigit():
        code = code.zfill(2)
    matches = [
        plan
        for plan in (load_plan(plan_id, plans_dir=plans_dir) for plan_id in list_plans(plans_dir))
        if plan.province_code == code
    ]
    if not matches:
        return None
    return max(matches, key=lambda p: (p.period_end, p.period_start, p.id))


# --------------------------------------------------------------------------- helpers


def _resolve(plan_id_or_path: str | Path, plans_dir: Path | None) -> Path:
    if isinstance(plan_id_or_path, Path) or _looks_like_path(plan_id_or_path):
        path = Path(plan_id_or_path)
        if not path.is_file():
            raise NotFound(f"plan file {str(path)!r} does not exist")
        return path
    folder = _resources.plans_dir() if plans_dir is None else Path(plans_dir)
    path = folder / f"{plan_id_or_path}.yaml"
    if not path.is_file():
        known = ", ".join(list_plans(folder)) or "none"
        raise NotFound(f"unknown plan {plan_id_or_path!r}; known plans: {known}")
    return path


def _looks_like_path(value: str) -> bool:
    return value.endswith((".yaml", ".yml")) or "/" in value or "\\" in value


def _matches(pattern: str, problem: str) -> AfterValidator:
    """Text matching ``pattern``; else ``problem`` (formatted with the value's repr)."""
    regex = re.compile(pattern)

    def check(value: str) -> str:
        if not regex.match(value):
            raise ValueError(problem.format(repr(value)))
        return value

    return AfterValidator(check)


def _one_of(allowed: frozenset[str]) -> AfterValidator:
    def check(value: str) -> str:
        if value not in allowed:
            raise ValueError(f"{value!r} is not one of {', '.join(sorted(allowed))}")
        return value

    return AfterValidator(check)


def _categories(value: list[str]) -> list[str]:
    seen: list[str] = []
    for item in value:
        if item not in POI_CATEGORIES:
            raise ValueError(f"unknown 5G category {item!r} (allowed: {', '.join(sorted(POI_CATEGORIES))})")
        if item in seen:
            raise ValueError(f"category {item!r} listed twice")
        seen.append(item)
    return seen


_SNAKE = r"^[a-z][a-z0-9_]*$"
Categories = Annotated[list[str], AfterValidator(_categories)]


class _Period(BaseModel):
    model_config = DOCUMENT_CONFIG

    start: Day
    end: Day


class _Params(BaseModel):
    model_config = DOCUMENT_CONFIG

    categories: Annotated[Categories, Field(min_length=1)] | None = None


class _IndicatorDocument(BaseModel):
    model_config = DOCUMENT_CONFIG

    id: Annotated[str, _matches(_SNAKE, "indicator id {} must be snake_case")]
    kpi: Annotated[str, _matches(_SNAKE, "kpi {} must be snake_case")]
    source: Annotated[str, _one_of(SOURCES)]
    label_vi: VietText
    label_en: Text
    target: Number
    comparator: Annotated[str, _one_of(COMPARATORS)]
    unit: Annotated[str, _one_of(UNITS)]
    deadline: Day
    section: Text
    quote: VietText
    params: _Params | None = None
    note_en: Text | None = None


class _BaselineDocument(BaseModel):
    model_config = DOCUMENT_CONFIG

    kpi: Annotated[str, _matches(_SNAKE, "kpi {} must be snake_case")]
    value: Number
    as_of: Day
    quote: VietText
    unit: Annotated[str, _one_of(UNITS)] | None = None
    section: Text | None = None
    note_en: Text | None = None


class _PlanDocument(BaseModel):
    """``data/plans/<id>.yaml`` (the rules between fields are checked in :func:`_parse_plan`)."""

    model_config = DOCUMENT_CONFIG

    id: Text
    province_code: Annotated[
        str, _matches(r"^[0-9]{2}$", 'must be a two-digit GSO code as a quoted string (e.g. "52"), got {}')
    ]
    province_name: VietText
    title_vi: VietText
    title_en: Text
    source_file: Text
    period: _Period
    indicators: Annotated[list[_IndicatorDocument], Field(min_length=1)]
    document: Text | None = None
    categories_5g: Categories | None = None
    baseline: list[_BaselineDocument] | None = None


def _parse_plan(data: object, path: Path) -> Plan:
    source = str(path)
    doc = parse_document(_PlanDocument, data, source=source, rows={"indicators": "", "baseline": "baseline."})

    def fail(reason: str, field: str, row: int | None = None) -> LayerValidationError:
        return LayerValidationError(reason, source=source, row=row, field=field)

    if not _PLAN_ID_RE.match(doc.id):
        raise fail(f"plan id {doc.id!r} must be lower-case words joined by '-'", "id")
    if doc.id != path.stem:
        raise fail(f"plan id {doc.id!r} does not match the file name {path.name!r}", "id")
    if doc.period.end < doc.period.start:
        raise fail("period ends before it starts", "period.end")
    categories_5g = tuple(doc.categories_5g or ())
    indicators: list[Indicator] = []
    seen_ids: set[str] = set()
    for row, ind in enumerate(doc.indicators):
        if ind.id in seen_ids:
            raise fail(f"duplicate indicator id {ind.id!r}", "id", row)
        seen_ids.add(ind.id)
        _check_indicator(ind, categories_5g, source=source, row=row)
        categories = ind.params.categories if ind.params is not None else None
        indicators.append(
            Indicator(
                id=ind.id,
                kpi=ind.kpi,
                source=cast("IndicatorSource", ind.source),
                label_vi=ind.label_vi,
                label_en=ind.label_en,
                target=ind.target,
                comparator=cast("Comparator", ind.comparator),
                unit=cast("Unit", ind.unit),
                deadline=ind.deadline,
                section=ind.section,
                quote=ind.quote,
                params=MappingProxyType({"categories": tuple(categories)} if categories else {}),
                note_en=ind.note_en,
            )
        )
    baseline = []
    for row, entry in enumerate(doc.baseline or ()):
        expected = COMPUTED_KPI_UNITS.get(entry.kpi)
        if expected is not None and entry.unit is not None and entry.unit != expected:
            raise fail(
                f"computed KPI {entry.kpi!r} is in {expected!r}, not {entry.unit!r}", "baseline.unit", row
            )
        baseline.append(
            Baseline(
                kpi=entry.kpi,
                value=entry.value,
                as_of=entry.as_of,
                quote=entry.quote,
                unit=cast("Unit | None", entry.unit),
                section=entry.section,
                note_en=entry.note_en,
            )
        )
    return Plan(
        id=doc.id,
        province_code=doc.province_code,
        province_name=doc.province_name,
        title_vi=doc.title_vi,
        title_en=doc.title_en,
        document=doc.document,
        source_file=doc.source_file,
        period_start=doc.period.start,
        period_end=doc.period.end,
        categories_5g=categories_5g,
        indicators=tuple(indicators),
        baseline=tuple(baseline),
        path=path,
    )


def _check_indicator(
    ind: _IndicatorDocument, categories_5g: tuple[str, ...], *, source: str, row: int
) -> None:
    """The rules between an indicator's fields (and the plan's 5G categories)."""

    def fail(reason: str, field: str) -> LayerValidationError:
        return LayerValidationError(reason, source=source, row=row, field=field)

    kpi, unit, target = ind.kpi, ind.unit, ind.target
    if ind.source == "computed":
        if kpi not in COMPUTED_KPIS:
            raise fail(
                f"{kpi!r} is not a computed KPI (computed: {', '.join(sorted(COMPUTED_KPIS))}); "
                "use source: indicator_table for statistics",
                "kpi",
            )
        if unit != COMPUTED_KPI_UNITS[kpi]:
            raise fail(f"computed KPI {kpi!r} is in {COMPUTED_KPI_UNITS[kpi]!r}, not {unit!r}", "unit")
    elif kpi in COMPUTED_KPIS:
        raise fail(f"{kpi!r} is a computed KPI; set source: computed", "source")
    if unit == "percent" and not 0.0 <= target <= 100.0:
        raise fail(f"a percent target must lie in 0..100, got {target:g}", "target")
    if target < 0.0:
        raise fail(f"target must not be negative, got {target:g}", "target")
    categories = ind.params.categories if ind.params is not None else None
    if categories:
        outside = [c for c in categories if c not in categories_5g]
        if outside:
            raise fail(
                f"categories {', '.join(outside)} are not in the plan's categories_5g", "params.categories"
            )
    elif kpi in _KPIS_WITH_CATEGORIES:
        raise fail(
            f"{kpi!r} needs params.categories (the POI categories it is measured over)", "params.categories"
        )
