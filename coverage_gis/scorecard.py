"""Scorecard: a plan's targets against actual values — met / not met / no data.

Geospatial indicators take their actual value from the computed KPIs of the plan's
province; statistical ones come from an indicator table the user supplies
(CSV: ``code, indicator, value, date``; the latest value per code and indicator
wins). A statistical indicator that the toolkit can also measure (speeds from the
``speed_tests`` layer, :data:`coverage_gis.speed.SPEED_MEASURES`) falls back to the
measured value when the table lacks it, with its sample size and confidence interval;
below the minimum sample the row says "insufficient data".
Each row says what its actual value measures (``measures``, from
:data:`coverage_gis.kpi_labels.KPI_LABELS`: site sharing per site or per operator BTS, village
or population share…). :func:`plan_units_2025` tells which 2025 provinces the plan's
province went into and whether the workspace holds them whole.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pandas as pd

from coverage_gis.display import Lang, format_number
from coverage_gis.errors import LayerValidationError
from coverage_gis.kpi import compute_kpis, pois_5g_pct
from coverage_gis.kpi_inputs import KpiInputs
from coverage_gis.kpi_labels import KPI_LABELS
from coverage_gis.messages import text
from coverage_gis.plans import Indicator, Plan, evaluate, plan_for_provinces
from coverage_gis.speed import SPEED_MEASURES, MeasuredValue, SpeedSettings, measured_value

INDICATOR_TABLE_COLUMNS: tuple[str, ...] = ("code", "indicator", "value", "date")
#: ``source`` of a measured row whose sample is below the minimum.
INSUFFICIENT_DATA = "insufficient data"


def read_indicator_table(path: Path) -> pd.DataFrame:
    """Read and check a user-supplied indicator CSV.

    Columns: ``code`` (province/district/commune code, either hierarchy),
    ``indicator`` (KPI id as used in ``data/plans``), ``value`` (number), ``date``
    (YYYY-MM-DD). Errors name the file, row and field.
    """
    source = str(path)
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise LayerValidationError(f"cannot read indicator table: {exc}", source=source) from None
    table.columns = [str(c).strip().lower() for c in table.columns]
    for col in INDICATOR_TABLE_COLUMNS:
        if col not in table:
            raise LayerValidationError(f"missing column {col!r}", source=source, field=col)
    values = pd.to_numeric(table["value"].str.replace(",", ".", regex=False), errors="coerce")
    bad = values.isna()
    if bad.any():
        row = int(bad.to_numpy().nonzero()[0][0])
        raise LayerValidationError(
            f"{table['value'].iloc[row]!r} is not a number", source=source, row=row, field="value"
        )
    dates = pd.to_datetime(table["date"], errors="coerce", format="mixed")
    bad = dates.isna()
    if bad.any():
        row = int(bad.to_numpy().nonzero()[0][0])
        raise LayerValidationError(
            f"{table['date'].iloc[row]!r} is not a date", source=source, row=row, field="date"
        )
    return pd.DataFrame(
        {
            "code": table["code"].str.strip().to_numpy(),
            "indicator": table["indicator"].map(lambda s: unicodedata.normalize("NFC", s.strip())).to_numpy(),
            "value": values.to_numpy(),
            "date": dates.to_numpy(),
        }
    )


def _table_value(table: pd.DataFrame | None, indicator: str, code: str) -> tuple[float | None, str | None]:
    if table is None or table.empty:
        return None, None
    rows = table[(table["indicator"] == indicator) & (table["code"] == code)]
    if rows.empty:
        return None, None
    latest = rows.sort_values("date").iloc[-1]
    return float(latest["value"]), pd.Timestamp(latest["date"]).date().isoformat()


def _computed_value(indicator: Indicator, kpis: pd.DataFrame, inputs: KpiInputs, code: str) -> float | None:
    if indicator.kpi == "pois_5g_pct":
        categories = indicator.params.get("categories")
        if categories:
            return pois_5g_pct(inputs, categories=categories, level="province", code=code)
    row = kpis[(kpis["level"] == "province") & (kpis["code"] == code)]
    if row.empty or indicator.kpi not in row:
        return None
    value = row.iloc[0][indicator.kpi]
    return None if pd.isna(value) else float(value)


def _measured(indicator: Indicator, inputs: KpiInputs, code: str, settings: SpeedSettings) -> MeasuredValue:
    tests = inputs.speed_tests
    mine = tests[tests["province_code"] == code] if len(tests) else tests
    return measured_value(mine, SPEED_MEASURES[indicator.kpi], settings=settings)


def scorecard(
    plan: Plan,
    kpis: pd.DataFrame,
    inputs: KpiInputs,
    *,
    indicator_table: pd.DataFrame | None = None,
    speed_settings: SpeedSettings | None = None,
) -> pd.DataFrame:
    """One row per plan indicator: target, actual, status, where the actual came from.

    Parameters
    ----------
    plan
        The plan (``coverage_gis.plans.load_plan``).
    kpis
        Province KPIs computed with the plan's period and 5G categories.
    inputs
        The KPI inputs (for per-category 5G indicators).
    indicator_table
        Statistics supplied by the user (:func:`read_indicator_table`).
    speed_settings
        Minimum sample and bootstrap settings of measured speeds (defaults when None).

    Returns
    -------
    DataFrame
        One row per indicator; measured speed rows also carry ``sample_size`` (tests)
        and ``ci_low``/``ci_high`` (bootstrap interval), and ``source`` "insufficient
        data" with status ``no_data`` below the minimum sample.
    """
    code = plan.province_code
    rows = []
    for ind in plan.indicators:
        actual: float | None = None
        origin = "no data"
        as_of: str | None = None
        sample: int | None = None
        ci: tuple[float | None, float | None] = (None, None)
        if ind.source == "computed":
            actual = _computed_value(ind, kpis, inputs, code)
            origin = "computed" if actual is not None else "no data"
        else:
            actual, as_of = _table_value(indicator_table, ind.kpi, code)
            if actual is not None:
                origin = "indicator table"
            elif ind.kpi in SPEED_MEASURES:
                found = _measured(ind, inputs, code, speed_settings or SpeedSettings())
                actual, sample, ci = found.value, found.tests, (found.ci_low, found.ci_high)
                origin = "measured" if found.sufficient else (INSUFFICIENT_DATA if found.tests else "no data")
            else:
                actual = _computed_value(ind, kpis, inputs, code)
                origin = "measured" if actual is not None else "no data"
        rows.append(
            {
                "indicator": ind.id,
                "kpi": ind.kpi,
                "label_vi": ind.label_vi,
                "label_en": ind.label_en,
                "measures": _measures(ind, origin),
                "comparator": ind.comparator,
                "target": ind.target,
                "unit": ind.unit,
                "actual": actual,
                "status": evaluate(ind, actual),
                "source": origin,
                "sample_size": sample,
                "ci_low": ci[0],
                "ci_high": ci[1],
                "as_of": as_of,
                "deadline": ind.deadline.isoformat(),
                "section": ind.section,
            }
        )
    card = pd.DataFrame(rows)
    if len(card):
        card["sample_size"] = pd.to_numeric(card["sample_size"]).astype("Int64")
    return card


def _measures(ind: Indicator, origin: str) -> str | None:
    """What the row's value measures: a KPI column's label, or the speed tests' statistic."""
    if origin == "indicator table":
        return None  # a value from the user's table measures what the user's statistic does
    if ind.kpi in SPEED_MEASURES:
        return SPEED_MEASURES[ind.kpi].label
    return KPI_LABELS.get(ind.kpi)


def plan_units_2025(plan: Plan, inputs: KpiInputs) -> pd.DataFrame:
    """The 2025 provinces the villages of the plan's province lie in, and how whole they are here.

    Returns
    -------
    DataFrame
        One row per 2025 province: ``code``, ``name``, ``villages`` (of the plan's
        province in it), ``partial`` and ``pop_2009_present_pct`` (the share of the 2025
        province's 2009 census population this workspace holds).
    """
    villages = inputs.villages
    code_col = "new_province_code"
    mine = villages[villages["province_code"] == plan.province_code]
    counts = mine[code_col].dropna().astype(str).value_counts()
    kpis = compute_kpis(inputs, levels=["province_2025"])
    kpis = kpis[kpis["code"].astype(str).isin(counts.index)]
    out = kpis[["code", "name", "partial", "pop_2009_present_pct"]].copy()
    out.insert(2, "villages", counts.reindex(out["code"].astype(str)).to_numpy(dtype="int64"))
    return out.reset_index(drop=True)


def unit_2025_note(unit: pd.Series, lang: Lang = "en") -> str:
    """A sentence on one row of :func:`plan_units_2025`: the 2025 province the plan's
    province lies in, and whether this workspace holds it whole."""
    if unit["partial"] is True:
        pct = format_number(unit["pop_2009_present_pct"], 1, lang=lang)
        whole = text("unit_2025_partial", lang, pct=pct)
    elif unit["partial"] is False:
        whole = text("unit_2025_whole", lang)
    else:
        whole = text("unit_2025_unknown", lang)
    return text("unit_2025", lang, name=unit["name"], code=unit["code"], whole=whole)


def plan_elsewhere_note(plan: Plan, inputs: KpiInputs, lang: Lang = "en") -> str | None:
    """A sentence when the workspace holds no village of the plan's province (its computed
    indicators can then only have no data), naming the provinces it holds and the plan of
    theirs when there is one; None when it holds some."""
    villages = inputs.villages
    held = villages["province_code"].dropna().astype(str)
    if (held == plan.province_code).any():
        return None
    names = (
        villages.dropna(subset=["province_code"])
        .drop_duplicates("province_code")
        .set_index("province_code")["province_name"]
        .sort_index()
    )
    holds = ", ".join(f"{name} ({code})" for code, name in names.items()) or text("no_villages", lang)
    note = text(
        "plan_elsewhere",
        lang,
        plan=plan.id,
        province=plan.province_name,
        code=plan.province_code,
        holds=holds,
    )
    theirs = plan_for_provinces(names.index.astype(str))
    if theirs is not None:
        note += text("plan_elsewhere_theirs", lang, plan=theirs.id)
    return note
