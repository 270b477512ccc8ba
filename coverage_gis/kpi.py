"""KPIs per province, district and commune, in either admin hierarchy (``docs/architecture.md``).

Owns the KPI definitions (what each column measures, in words, is
:mod:`coverage_gis.kpi_labels`): village,
population and household coverage, site sharing counted per site and per operator BTS
(all on-air sites and those commissioned in a plan period), 5G sites, 5G at priority
places, commune centres, measured speeds, the per-operator breakdown, and whether the
workspace holds a unit whole (``partial``, ``pop_2009_present_pct``) and how many of its
villages were placed in the 2025 hierarchy by an inferred rule.
Percentages are 0–100 and unrounded; rounding is for display only.

The rules live in one module each: :mod:`coverage_gis.kpi_arrays` (the inputs as
arrays), :mod:`coverage_gis.kpi_table` (the columns and each level's rows, with
:mod:`coverage_gis.kpi_cells`, :mod:`coverage_gis.kpi_counts` and
:mod:`coverage_gis.kpi_speeds`), :mod:`coverage_gis.kpi_splice` (some units' rows
recomputed in a table) and :mod:`coverage_gis.kpi_sums` (sums kept between live edits).
This module keeps their public names importable from here and owns what is read off a
KPI table or its inputs: notes on partial units, one unit's row, 5G at priority places
of a unit and the per-operator breakdown.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from coverage_gis.admin import LEVEL_COLUMNS
from coverage_gis.display import Lang, format_number
from coverage_gis.errors import NotFound
from coverage_gis.kpi_arrays import (
    DEFAULT_5G_CATEGORIES,
    KpiColumns,
    commissioned_in_period,
    kpi_columns,
    site_kpi_columns,
)
from coverage_gis.kpi_inputs import KpiInputs
from coverage_gis.kpi_splice import KpiSplice, kpi_positions, overwrite_kpi_rows, splice_kpi_rows
from coverage_gis.kpi_table import (
    KPI_COLUMNS,
    KPI_COUNT_COLUMNS,
    _check_levels,
    compute_kpis,
    kpi_rows,
    unit_sums,
)
from coverage_gis.messages import text
from coverage_gis.vocabulary import OPERATORS

__all__ = [
    "DEFAULT_5G_CATEGORIES",
    "KPI_COLUMNS",
    "KPI_COUNT_COLUMNS",
    "KpiColumns",
    "KpiSplice",
    "commissioned_in_period",
    "compute_kpis",
    "kpi_columns",
    "kpi_positions",
    "kpi_rows",
    "operator_kpis",
    "overwrite_kpi_rows",
    "partial_notes",
    "pois_5g_pct",
    "require_unit",
    "site_kpi_columns",
    "splice_kpi_rows",
    "unit_sums",
]


def partial_notes(kpis: pd.DataFrame, *, lang: Lang = "en") -> list[str]:
    """One sentence per unit the workspace holds only part of (empty when there is none), in ``lang``."""
    if "partial" not in kpis:
        return []
    rows = kpis[kpis["partial"].astype("boolean").fillna(False).to_numpy(dtype=bool)]
    return [
        text(
            "partial_unit",
            lang,
            name=row["name"],
            level=row["level"],
            code=row["code"],
            pct=format_number(row["pop_2009_present_pct"], 1, lang=lang),
        )
        for _, row in rows.iterrows()
    ]


def pois_5g_pct(inputs: KpiInputs, *, categories: Iterable[str], level: str, code: str) -> float | None:
    """% of POIs of ``categories`` in unit ``code`` with 5G (None when there are none)."""
    code_col = LEVEL_COLUMNS[level][0]
    p = inputs.pois
    chosen = p[(p[code_col] == code) & p["category"].isin(list(categories))]
    if chosen.empty:
        return None
    return float(100.0 * chosen["has_5g"].astype(bool).mean())


def operator_kpis(inputs: KpiInputs, *, level: str = "province") -> pd.DataFrame:
    """Per operator and unit: villages with its mobile broadband / its FTTH, on-air sites."""
    code_col, name_col = LEVEL_COLUMNS[level]
    v = inputs.villages
    rows = []
    for operator in OPERATORS:
        has_mobile = v["operators"].str.split(",").apply(lambda ops, o=operator: o in ops)
        has_ftth = v["ftth_operators"].str.split(",").apply(lambda ops, o=operator: o in ops)
        grouped = v.assign(_m=has_mobile, _f=has_ftth).groupby(code_col)
        frame = pd.DataFrame(
            {
                "name": grouped[name_col].first(),
                "villages": grouped.size(),
                "villages_mobile_bb_pct": 100.0 * grouped["_m"].mean(),
                "villages_ftth_pct": 100.0 * grouped["_f"].mean(),
            }
        )
        frame.insert(0, "operator", operator)
        rows.append(frame.reset_index(names="code"))
    out = pd.concat(rows, ignore_index=True)
    out.insert(0, "level", level)
    return out


def require_unit(kpis: pd.DataFrame, level: str, code: str) -> pd.DataFrame:
    """The KPI row of unit ``code`` of ``level`` in ``kpis``.

    Raises :class:`~coverage_gis.errors.NotFound` naming the level, the code and some
    known codes when the workspace holds no such unit (a unit is known when any
    village, site, place or speed test lies in it): an unknown code is a mistake to
    report, not an empty answer.
    """
    _check_levels([level])
    rows = kpis[(kpis["level"] == level) & (kpis["code"].astype(str) == str(code))]
    if rows.empty:
        known = sorted(kpis.loc[kpis["level"] == level, "code"].astype(str))
        sample = ", ".join(known[:8]) + (", …" if len(known) > 8 else "")
        raise NotFound(f"no {level} with code {code!r} in this workspace (known: {sample or 'none'})")
    return rows
