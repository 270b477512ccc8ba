"""The provincial report workbook: what a department files and e-mails, in one XLSX.

Owns which sheets the report has and what each shows (``covgis report``, the API's
``/v1/report``), built on the one spreadsheet writer :mod:`coverage_gis.reports`:

- **Thông tin / About**: province, workspace, revision, whether the coverage was stored
  or computed for the report, coverage model, plan, date, layer counts, data sources
  and licences, how shares and money are shown;
- KPIs by province, district and commune (pre-2025 hierarchy) and by province and
  commune (2025 hierarchy): every KPI column that holds a value;
- the plan's **scorecard** (labels, statuses and sources in the report's language);
- the **gap lists** (mobile, FTTH, 5G) with reasons, details and recommendations in
  the report's language (:func:`coverage_gis.messages.translated_gaps`).

Headers are Vietnamese unless ``lang="en"``; money in whole đồng or triệu đồng.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import pandas as pd

from coverage_gis import __version__
from coverage_gis.admin import LEVELS
from coverage_gis.display import Lang, MoneyUnit, display_plan_value, format_number
from coverage_gis.errors import NotFound
from coverage_gis.gaps import GAP_COLUMNS
from coverage_gis.kpi_labels import kpi_labels
from coverage_gis.layers import INPUT_LAYERS
from coverage_gis.messages import code_label, labels, text, translated_gaps
from coverage_gis.reports import Sheet, write_xlsx, xlsx_bytes

if TYPE_CHECKING:
    from coverage_gis.engine import Analysis

#: Gap columns a report shows, in order (those the gap list has): the gap list's own
#: (:data:`coverage_gis.gaps.GAP_COLUMNS`) but its kind, the province and the admin codes
#: (one province per report; the names say where), then the gap's position.
GAP_REPORT_COLUMNS: tuple[str, ...] = (
    *(
        c
        for c in GAP_COLUMNS
        if c not in ("kind", "province_name", "commune_code", "district_code", "province_code")
    ),
    "lon",
    "lat",
)
#: Scorecard columns a report shows (``label`` is the indicator's text in the report's language).
SCORECARD_REPORT_COLUMNS: tuple[str, ...] = (
    "indicator",
    "label",
    "comparator",
    "target",
    "unit",
    "actual",
    "status",
    "source",
    "sample_size",
    "ci_low",
    "ci_high",
    "as_of",
    "deadline",
    "section",
)
_GAP_KINDS: tuple[str, ...] = ("mobile", "ftth", "5g")
#: Plan values: one decimal at least, up to three.
_PLAN_VALUE_FORMAT = "#,##0.0##"

#: Gap tables by kind, when the caller has them already (the API caches them per revision).
GapSource = Callable[[str], "gpd.GeoDataFrame"]


def province_names(kpis: pd.DataFrame) -> str:
    """The province(s) of a KPI table as one name ("Bình Định"; several joined by commas)."""
    names = kpis.loc[kpis["level"] == "province", "name"].dropna().astype(str)
    short = [n.removeprefix("Tỉnh ").removeprefix("Thành phố ").strip() for n in names]
    return ", ".join(dict.fromkeys(n for n in short if n))


def _kpi_sheet(kpis: pd.DataFrame, level: str) -> pd.DataFrame:
    rows = kpis[kpis["level"] == level].drop(columns=["level"]).reset_index(drop=True)
    # A KPI nobody measured here (no speed tests, no plan period) is left out, not shown empty.
    keep = [c for c in rows.columns if c in ("code", "name") or rows[c].notna().any()]
    return rows[keep]


def scorecard_for_people(card: pd.DataFrame, lang: Lang) -> pd.DataFrame:
    """The scorecard as people read it (the report's sheet, the CLI's table): the
    indicator's text in ``lang`` as ``label``, words for statuses, sources and units, and
    shares by the display rule (99.96 % of villages is not "100 %")."""
    if card.empty:
        return pd.DataFrame(columns=list(SCORECARD_REPORT_COLUMNS))
    out = card.copy()
    out["label"] = out["label_vi" if lang == "vi" else "label_en"]
    for column in ("actual", "ci_low", "ci_high"):
        out[column] = pd.to_numeric(
            pd.Series([display_plan_value(v, u) for v, u in zip(out[column], out["unit"], strict=True)])
        ).to_numpy()
    for kind in ("status", "source", "unit"):
        out[kind] = [code_label(kind, v, lang) for v in out[kind]]
    return out


def _gap_sheet(gaps: pd.DataFrame, kind: str, lang: Lang) -> pd.DataFrame:
    shown = translated_gaps(gaps, lang) if len(gaps) else gaps
    columns = [c for c in GAP_REPORT_COLUMNS if c in shown.columns]
    if kind == "5g":  # priority places have no residents counted
        columns = [c for c in columns if c not in ("population", "households")]
    if "geometry" in shown:  # the sheet writer turns it into 6-decimal lon/lat columns
        return gpd.GeoDataFrame(shown[[*columns, "geometry"]], geometry="geometry").reset_index(drop=True)
    return pd.DataFrame(shown[columns]).reset_index(drop=True)


def _about_sheet(
    analysis: Analysis, kpis: pd.DataFrame, *, lang: Lang, money: MoneyUnit, generated: date, plan: str
) -> pd.DataFrame:
    ws = analysis.ws
    province = province_names(kpis) or ws.config.name
    counts = ws.layer_counts()
    layer_text = "; ".join(
        f"{name} {format_number(counts[name], 0, lang=lang)}" for name in INPUT_LAYERS if counts.get(name)
    )
    sources = [text("credit_boundaries", lang)]
    sources.append(text("credit_synthetic" if ws.config.synthetic else "source_workspace", lang))
    coverage = (
        text("coverage_stored", lang, revision=analysis.revision)
        if analysis.coverage_stored
        else text("coverage_in_memory", lang)
    )
    day = generated.strftime("%d/%m/%Y") if lang == "vi" else generated.isoformat()
    items = [
        ("title", text("report_title", lang, province=province)),
        ("province", province),
        ("workspace", ws.config.name),
        ("revision", analysis.revision),
        ("coverage", coverage),
        ("model", analysis.model.name),
        ("plan", plan),
        ("date", day),
        ("layers", layer_text),
        ("source", " ".join(sources)),
        ("shares", text("shares_rule", lang)),
        ("money", text("money_million" if money == "million" else "money_dong", lang)),
        ("software", f"coverage-gis {__version__}"),
    ]
    return pd.DataFrame(
        {
            "item": [code_label("report_item", key, lang) for key, _ in items],
            "value": [str(value) for _, value in items],
        }
    )


def report_sheets(
    analysis: Analysis,
    *,
    lang: Lang = "vi",
    money: MoneyUnit = "dong",
    generated: date | None = None,
    gaps: GapSource | None = None,
    kpis: pd.DataFrame | None = None,
) -> list[Sheet]:
    """The sheets of the provincial report of ``analysis`` (see the module docstring).

    Parameters
    ----------
    analysis
        The workspace analysis (:func:`coverage_gis.engine.load`).
    lang
        ``vi`` (default) or ``en``: sheet titles, headers, words for codes.
    money
        ``dong`` (whole đồng) or ``million`` (triệu đồng) in headers and formats.
    generated
        The report's date (today when None).
    gaps
        Gap table by kind (``analysis.gaps`` when None).
    kpis
        KPIs of every level (``analysis.kpis()`` when None).
    """
    table = kpis if kpis is not None else analysis.kpis(levels=LEVELS)
    find_gaps = gaps or analysis.gaps
    try:
        chosen = analysis.plan()
        card = analysis.scorecard(chosen.id)
        plan = f"{chosen.id}: {chosen.title_vi if lang == 'vi' else chosen.title_en}"
    except NotFound:
        card, plan = pd.DataFrame(), "—"

    def sheet(
        key: str,
        frame: pd.DataFrame,
        formats: Mapping[str, str] | None = None,
        notes: Mapping[str, str] | None = None,
    ) -> Sheet:
        columns = [str(c) for c in frame.columns]
        title = code_label("report_sheet", key, lang)
        return Sheet(
            title, frame, labels(columns, money=money), formats=dict(formats or {}), notes=dict(notes or {})
        )

    sheets = [
        sheet(
            "about",
            _about_sheet(
                analysis, table, lang=lang, money=money, generated=generated or date.today(), plan=plan
            ),
        )
    ]
    # Each KPI header carries what the column measures (kpi_labels) as a comment, in the
    # report's language.
    notes = kpi_labels(lang)
    sheets += [sheet(level, _kpi_sheet(table, level), notes=notes) for level in LEVELS]
    plan_formats = dict.fromkeys(("target", "actual", "ci_low", "ci_high"), _PLAN_VALUE_FORMAT)
    people = scorecard_for_people(card, lang)
    card_sheet = people[[c for c in SCORECARD_REPORT_COLUMNS if c in people]]
    sheets.append(sheet("scorecard", card_sheet, plan_formats))
    sheets += [sheet(f"gaps_{kind}", _gap_sheet(find_gaps(kind), kind, lang)) for kind in _GAP_KINDS]
    return sheets


def report_bytes(
    analysis: Analysis,
    *,
    lang: Lang = "vi",
    money: MoneyUnit = "dong",
    generated: date | None = None,
    gaps: GapSource | None = None,
    kpis: pd.DataFrame | None = None,
) -> bytes:
    """The provincial report as XLSX bytes (parameters as for :func:`report_sheets`)."""
    sheets = report_sheets(analysis, lang=lang, money=money, generated=generated, gaps=gaps, kpis=kpis)
    return xlsx_bytes(sheets, lang=lang, money=money)


def write_report(
    analysis: Analysis,
    path: Path,
    *,
    lang: Lang = "vi",
    money: MoneyUnit = "dong",
    generated: date | None = None,
) -> list[Sheet]:
    """Write the provincial report to ``path`` (atomically); returns its sheets."""
    sheets = report_sheets(analysis, lang=lang, money=money, generated=generated)
    write_xlsx(sheets, path, lang=lang, money=money)
    return sheets
