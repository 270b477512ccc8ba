"""A plan's tables and files: GeoJSON, CSV, XLSX (Vietnamese or English headers), the
site-edit batch and the fiber layers.

Owns what each plan table is (:data:`PLAN_TABLES`, :func:`plan_table`), its header
labels and the file names of a plan export, so that the CLI, the API and notebooks
write the same tables. Every writer replaces its file atomically; spreadsheets go
through :mod:`coverage_gis.reports` (frozen header, autofilter, whole-đồng and
six-decimal formats, text that could run as a formula written as text).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path

import geopandas as gpd
import pandas as pd

from coverage_gis._files import atomic_path
from coverage_gis.messages import PLAN_SHEET_TITLES, PLAN_TABLE_LABELS
from coverage_gis.planning.plan import Plan
from coverage_gis.reports import Sheet, csv_bytes, write_xlsx

#: The tables of a plan by name: the proposed sites, the new cable (chosen stretches,
#: lines), one connection per village, the gap villages, the actions in build order and
#: the KPI curve.
PLAN_TABLES: dict[str, Callable[[Plan], pd.DataFrame]] = {
    "sites": lambda plan: plan.sites,
    "fiber": lambda plan: plan.fiber[plan.fiber["chosen"].astype(bool).to_numpy()],
    "connections": lambda plan: plan.fiber_branches[plan.fiber_branches["chosen"].astype(bool).to_numpy()],
    "villages": lambda plan: plan.villages,
    "actions": lambda plan: plan.actions,
    "curve": lambda plan: plan.curve,
}

#: Sheet titles and header labels live in the message catalogue (:mod:`coverage_gis.messages`).
SHEET_TITLES = PLAN_SHEET_TITLES
TABLE_LABELS = PLAN_TABLE_LABELS

#: File names of :func:`write_plan`.
PLAN_FILES: dict[str, str] = {
    "actions_geojson": "plan.geojson",
    "actions_csv": "plan.csv",
    "xlsx": "plan.xlsx",
    "sites_geojson": "plan_sites.geojson",
    "fiber_geojson": "plan_fiber.geojson",
    "villages_csv": "plan_villages.csv",
    "curve_csv": "plan_curve.csv",
    "site_edits": "plan_site_edits.json",
    "fiber_routes": "plan_fiber_routes.geojson",
    "fiber_nodes": "plan_fiber_nodes.geojson",
}


def plan_table(plan: Plan, name: str) -> pd.DataFrame:
    """One of :data:`PLAN_TABLES`; KeyError for another name."""
    return PLAN_TABLES[name](plan)


def plan_sheets(plan: Plan, *, lang: str = "vi", tables: Sequence[str] | None = None) -> list[Sheet]:
    """Workbook sheets of the plan's tables (default: all, in :data:`SHEET_TITLES` order)."""
    which = 0 if lang == "vi" else 1
    return [
        Sheet(SHEET_TITLES[name][which], plan_table(plan, name), TABLE_LABELS[name])
        for name in (tables or SHEET_TITLES)
    ]


def write_plan_xlsx(plan: Plan, path: Path, *, lang: str = "vi") -> Path:
    """The plan's tables as one workbook (one sheet each), headers in ``lang`` (vi/en)."""
    return write_xlsx(plan_sheets(plan, lang=lang), path, lang=lang)


def write_geojson(frame: gpd.GeoDataFrame, path: Path) -> Path:
    """A table as a GeoJSON FeatureCollection (EPSG:4326, UTF-8, names unescaped)."""
    text = frame.to_json(ensure_ascii=False, drop_id=True, na="null")
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return path


def write_csv(frame: pd.DataFrame, path: Path) -> Path:
    """A table as UTF-8 CSV (with BOM, so spreadsheet programs keep the diacritics); the
    geometry becomes ``lon``/``lat`` of a point on it (the point itself for points).
    Text that a spreadsheet could take for a formula gets a leading ``'``."""
    body = csv_bytes(frame)  # the one CSV writer for spreadsheets (coverage_gis.reports)
    with atomic_path(path) as tmp:
        tmp.write_bytes(body)
    return path


def write_site_edits(plan: Plan, path: Path, *, status: str = "on_air") -> Path:
    """The plan's site edits as the JSON list ``covgis sites apply`` reads."""
    text = json.dumps(plan.site_edit_records(status=status), ensure_ascii=False, indent=2)
    with atomic_path(path) as tmp:
        tmp.write_text(text + "\n", encoding="utf-8")
    return path


def write_plan(plan: Plan, folder: Path, *, status: str = "on_air", lang: str = "vi") -> dict[str, Path]:
    """Every export of a plan into ``folder`` (created if missing); returns the paths.

    ``lang`` is the language of the workbook's headers (``vi`` or ``en``).
    """
    folder.mkdir(parents=True, exist_ok=True)
    paths = {key: folder / name for key, name in PLAN_FILES.items()}
    write_geojson(plan.actions, paths["actions_geojson"])
    write_csv(plan.actions, paths["actions_csv"])
    write_plan_xlsx(plan, paths["xlsx"], lang=lang)
    write_geojson(plan.sites, paths["sites_geojson"])
    write_geojson(gpd.GeoDataFrame(plan_table(plan, "fiber")), paths["fiber_geojson"])
    write_csv(plan.villages, paths["villages_csv"])
    write_csv(plan.curve, paths["curve_csv"])
    write_site_edits(plan, paths["site_edits"], status=status)
    layers = plan.fiber_layers(status=status)
    write_geojson(layers["fiber_routes"], paths["fiber_routes"])
    write_geojson(layers["fiber_nodes"], paths["fiber_nodes"])
    return paths
