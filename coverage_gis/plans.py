"""Provincial plan indicator tables: loading, validation and target checks.

This module owns ``data/plans/<id>.yaml``, the machine-readable form of each
provincial digital-infrastructure plan (DESIGN.md §4, "Scorecard"): the plan's
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
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal, cast

import yaml

from coverage_gis import _resources, vocabulary
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
_SNAKE_RE = re.compile(r"^[a-z][a-z0-9_]*$")
_PROVINCE_CODE_RE = re.compile(r"^[0-9]{2}$")

_PLAN_REQUIRED = (
    "id",
    "province_code",
    "province_name",
    "title_vi",
    "title_en",
    "source_file",
    "period",
    "indicators",
)
_PLAN_OPTIONAL = ("document", "categories_5g", "baseline")
_INDICATOR_REQUIRED = (
    "id",
    "kpi",
    "source",
    "label_vi",
    "label_en",
    "target",
    "comparator",
    "unit",
    "deadline",
    "section",
    "quote",
)
_INDICATOR_OPTIONAL = ("params", "note_en")
_PARAM_KEYS = frozenset({"categories"})
_BASELINE_REQUIRED = ("kpi", "value", "as_of", "quote")
_BASELINE_OPTIONAL = ("unit", "section", "note_en")
_PERIOD_KEYS = ("start", "end")

# Free text in Vietnamese that must keep its diacritics in NFC form.
_VI_TEXT_FIELDS = frozenset({"province_name", "title_vi", "label_vi", "quote"})

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
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise LayerValidationError(f"not UTF-8 text: {exc}", source=str(path)) from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise LayerValidationError(f"not valid YAML: {exc}", source=str(path)) from exc
    return _parse_plan(data, path)


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


class _Checker:
    """Field readers that raise :class:`LayerValidationError` naming file and field."""

    def __init__(self, path: Path) -> None:
        self.source = str(path)

    def fail(self, reason: str, *, field: str | None = None, row: int | None = None) -> LayerValidationError:
        return LayerValidationError(reason, source=self.source, row=row, field=field)

    def keys(
        self,
        data: object,
        required: Sequence[str],
        optional: Sequence[str],
        *,
        prefix: str = "",
        row: int | None = None,
        what: str,
    ) -> Mapping[str, Any]:
        if not isinstance(data, Mapping):
            raise self.fail(
                f"{what} must be a mapping, got {type(data).__name__}",
                field=prefix.rstrip(".") or None,
                row=row,
            )
        for key in data:
            if key not in required and key not in optional:
                allowed = ", ".join((*required, *optional))
                raise self.fail(
                    f"unknown field {key!r} in {what} (allowed: {allowed})",
                    field=f"{prefix}{key}",
                    row=row,
                )
        for key in required:
            if key not in data or data[key] is None:
                raise self.fail(
                    f"missing required field {key!r} in {what}",
                    field=f"{prefix}{key}",
                    row=row,
                )
        return cast("Mapping[str, Any]", data)

    def text(self, data: Mapping[str, Any], key: str, *, prefix: str = "", row: int | None = None) -> str:
        value = data[key]
        name = f"{prefix}{key}"
        if not isinstance(value, str) or not value.strip():
            raise self.fail("must be a non-empty string", field=name, row=row)
        if key in _VI_TEXT_FIELDS and not unicodedata.is_normalized("NFC", value):
            raise self.fail("must be Unicode NFC (precomposed diacritics)", field=name, row=row)
        return value

    def optional_text(
        self, data: Mapping[str, Any], key: str, *, prefix: str = "", row: int | None = None
    ) -> str | None:
        if data.get(key) is None:
            return None
        return self.text(data, key, prefix=prefix, row=row)

    def number(self, data: Mapping[str, Any], key: str, *, prefix: str = "", row: int | None = None) -> float:
        value = data[key]
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(f"must be a number, got {value!r}", field=f"{prefix}{key}", row=row)
        result = float(value)
        if not math.isfinite(result):
            raise self.fail("must be finite", field=f"{prefix}{key}", row=row)
        return result

    def day(self, data: Mapping[str, Any], key: str, *, prefix: str = "", row: int | None = None) -> date:
        value = data[key]
        name = f"{prefix}{key}"
        if isinstance(value, datetime):
            raise self.fail("must be a date (YYYY-MM-DD), not a timestamp", field=name, row=row)
        if isinstance(value, date):
            return value
        if isinstance(value, str):
            try:
                return date.fromisoformat(value)
            except ValueError:
                pass
        raise self.fail(f"must be a date (YYYY-MM-DD), got {value!r}", field=name, row=row)

    def choice(
        self,
        data: Mapping[str, Any],
        key: str,
        allowed: frozenset[str],
        *,
        prefix: str = "",
        row: int | None = None,
    ) -> str:
        value = data[key]
        if not isinstance(value, str) or value not in allowed:
            raise self.fail(
                f"{value!r} is not one of {', '.join(sorted(allowed))}",
                field=f"{prefix}{key}",
                row=row,
            )
        return value

    def categories(self, value: object, *, field: str, row: int | None = None) -> tuple[str, ...]:
        if not isinstance(value, list):
            raise self.fail("must be a list of POI categories", field=field, row=row)
        seen: list[str] = []
        for item in value:
            if not isinstance(item, str) or item not in POI_CATEGORIES:
                raise self.fail(
                    f"unknown 5G category {item!r} (allowed: {', '.join(sorted(POI_CATEGORIES))})",
                    field=field,
                    row=row,
                )
            if item in seen:
                raise self.fail(f"category {item!r} listed twice", field=field, row=row)
            seen.append(item)
        return tuple(seen)


def _parse_plan(data: object, path: Path) -> Plan:
    check = _Checker(path)
    top = check.keys(data, _PLAN_REQUIRED, _PLAN_OPTIONAL, what="plan")

    plan_id = check.text(top, "id")
    if not _PLAN_ID_RE.match(plan_id):
        raise check.fail(f"plan id {plan_id!r} must be lower-case words joined by '-'", field="id")
    if plan_id != path.stem:
        raise check.fail(f"plan id {plan_id!r} does not match the file name {path.name!r}", field="id")
    province_code = top["province_code"]
    if not isinstance(province_code, str) or not _PROVINCE_CODE_RE.match(province_code):
        raise check.fail(
            f'must be a two-digit GSO code as a quoted string (e.g. "52"), got {province_code!r}',
            field="province_code",
        )

    period = check.keys(top["period"], _PERIOD_KEYS, (), prefix="period.", what="period")
    period_start = check.day(period, "start", prefix="period.")
    period_end = check.day(period, "end", prefix="period.")
    if period_end < period_start:
        raise check.fail("period ends before it starts", field="period.end")

    raw_categories = top.get("categories_5g")
    categories_5g = () if raw_categories is None else check.categories(raw_categories, field="categories_5g")

    raw_indicators = top["indicators"]
    if not isinstance(raw_indicators, list) or not raw_indicators:
        raise check.fail("must be a non-empty list", field="indicators")
    indicators: list[Indicator] = []
    seen_ids: set[str] = set()
    for row, raw in enumerate(raw_indicators):
        indicator = _parse_indicator(check, raw, row, categories_5g)
        if indicator.id in seen_ids:
            raise check.fail(f"duplicate indicator id {indicator.id!r}", field="id", row=row)
        seen_ids.add(indicator.id)
        indicators.append(indicator)

    raw_baseline = top.get("baseline")
    if raw_baseline is None:
        raw_baseline = []
    if not isinstance(raw_baseline, list):
        raise check.fail("must be a list", field="baseline")
    baseline = tuple(_parse_baseline(check, raw, row) for row, raw in enumerate(raw_baseline))

    return Plan(
        id=plan_id,
        province_code=province_code,
        province_name=check.text(top, "province_name"),
        title_vi=check.text(top, "title_vi"),
        title_en=check.text(top, "title_en"),
        document=check.optional_text(top, "document"),
        source_file=check.text(top, "source_file"),
        period_start=period_start,
        period_end=period_end,
        categories_5g=categories_5g,
        indicators=tuple(indicators),
        baseline=baseline,
        path=path,
    )


def _parse_indicator(check: _Checker, raw: object, row: int, categories_5g: tuple[str, ...]) -> Indicator:
    data = check.keys(raw, _INDICATOR_REQUIRED, _INDICATOR_OPTIONAL, row=row, what="indicator")
    indicator_id = check.text(data, "id", row=row)
    if not _SNAKE_RE.match(indicator_id):
        raise check.fail(f"indicator id {indicator_id!r} must be snake_case", field="id", row=row)
    kpi = check.text(data, "kpi", row=row)
    if not _SNAKE_RE.match(kpi):
        raise check.fail(f"kpi {kpi!r} must be snake_case", field="kpi", row=row)
    source = check.choice(data, "source", SOURCES, row=row)
    unit = check.choice(data, "unit", UNITS, row=row)
    comparator = check.choice(data, "comparator", COMPARATORS, row=row)
    target = check.number(data, "target", row=row)

    if source == "computed":
        if kpi not in COMPUTED_KPIS:
            raise check.fail(
                f"{kpi!r} is not a computed KPI "
                f"(computed: {', '.join(sorted(COMPUTED_KPIS))}); "
                "use source: indicator_table for statistics",
                field="kpi",
                row=row,
            )
        if unit != COMPUTED_KPI_UNITS[kpi]:
            raise check.fail(
                f"computed KPI {kpi!r} is in {COMPUTED_KPI_UNITS[kpi]!r}, not {unit!r}",
                field="unit",
                row=row,
            )
    elif kpi in COMPUTED_KPIS:
        raise check.fail(f"{kpi!r} is a computed KPI; set source: computed", field="source", row=row)

    if unit == "percent" and not 0.0 <= target <= 100.0:
        raise check.fail(f"a percent target must lie in 0..100, got {target:g}", field="target", row=row)
    if target < 0.0:
        raise check.fail(f"target must not be negative, got {target:g}", field="target", row=row)

    params = _parse_params(check, data.get("params"), row, kpi, categories_5g)
    return Indicator(
        id=indicator_id,
        kpi=kpi,
        source=cast("IndicatorSource", source),
        label_vi=check.text(data, "label_vi", row=row),
        label_en=check.text(data, "label_en", row=row),
        target=target,
        comparator=cast("Comparator", comparator),
        unit=cast("Unit", unit),
        deadline=check.day(data, "deadline", row=row),
        section=check.text(data, "section", row=row),
        quote=check.text(data, "quote", row=row),
        params=params,
        note_en=check.optional_text(data, "note_en", row=row),
    )


def _parse_params(
    check: _Checker,
    raw: object,
    row: int,
    kpi: str,
    categories_5g: tuple[str, ...],
) -> Mapping[str, Any]:
    params = check.keys(
        {} if raw is None else raw,
        (),
        tuple(sorted(_PARAM_KEYS)),
        prefix="params.",
        row=row,
        what="params",
    )
    result: dict[str, Any] = {}
    if "categories" in params:
        categories = check.categories(params["categories"], field="params.categories", row=row)
        if not categories:
            raise check.fail("must list at least one category", field="params.categories", row=row)
        outside = [c for c in categories if c not in categories_5g]
        if outside:
            raise check.fail(
                f"categories {', '.join(outside)} are not in the plan's categories_5g",
                field="params.categories",
                row=row,
            )
        result["categories"] = categories
    elif kpi in _KPIS_WITH_CATEGORIES:
        raise check.fail(
            f"{kpi!r} needs params.categories (the POI categories it is measured over)",
            field="params.categories",
            row=row,
        )
    return MappingProxyType(result)


def _parse_baseline(check: _Checker, raw: object, row: int) -> Baseline:
    prefix = "baseline."
    data = check.keys(
        raw,
        _BASELINE_REQUIRED,
        _BASELINE_OPTIONAL,
        prefix=prefix,
        row=row,
        what="baseline entry",
    )
    kpi = check.text(data, "kpi", prefix=prefix, row=row)
    if not _SNAKE_RE.match(kpi):
        raise check.fail(f"kpi {kpi!r} must be snake_case", field=f"{prefix}kpi", row=row)
    unit: str | None = None
    if data.get("unit") is not None:
        unit = check.choice(data, "unit", UNITS, prefix=prefix, row=row)
    if kpi in COMPUTED_KPI_UNITS and unit is not None and unit != COMPUTED_KPI_UNITS[kpi]:
        raise check.fail(
            f"computed KPI {kpi!r} is in {COMPUTED_KPI_UNITS[kpi]!r}, not {unit!r}",
            field=f"{prefix}unit",
            row=row,
        )
    return Baseline(
        kpi=kpi,
        value=check.number(data, "value", prefix=prefix, row=row),
        as_of=check.day(data, "as_of", prefix=prefix, row=row),
        quote=check.text(data, "quote", prefix=prefix, row=row),
        unit=cast("Unit | None", unit),
        section=check.optional_text(data, "section", prefix=prefix, row=row),
        note_en=check.optional_text(data, "note_en", prefix=prefix, row=row),
    )
