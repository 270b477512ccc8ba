"""Writing a plan to files: GeoJSON and CSV tables, the site-edit batch, the fiber layers.

Owns file names and formats of a plan export, so that the CLI, the API and notebooks
write the same files. Every writer replaces its file atomically.
"""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pandas as pd

from coverage_gis._files import atomic_path
from coverage_gis.planning.plan import Plan

#: File names of :func:`write_plan`.
PLAN_FILES: dict[str, str] = {
    "actions_geojson": "plan.geojson",
    "actions_csv": "plan.csv",
    "sites_geojson": "plan_sites.geojson",
    "fiber_geojson": "plan_fiber.geojson",
    "villages_csv": "plan_villages.csv",
    "curve_csv": "plan_curve.csv",
    "site_edits": "plan_site_edits.json",
    "fiber_routes": "plan_fiber_routes.geojson",
    "fiber_nodes": "plan_fiber_nodes.geojson",
}


def write_geojson(frame: gpd.GeoDataFrame, path: Path) -> Path:
    """A table as a GeoJSON FeatureCollection (EPSG:4326, UTF-8, names unescaped)."""
    text = frame.to_json(ensure_ascii=False, drop_id=True, na="null")
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return path


def write_csv(frame: pd.DataFrame, path: Path) -> Path:
    """A table as UTF-8 CSV (with BOM, so spreadsheet programs keep the diacritics); the
    geometry becomes ``lon``/``lat`` of a point on it (the point itself for points)."""
    out = pd.DataFrame(frame.drop(columns=["geometry"], errors="ignore"))
    if isinstance(frame, gpd.GeoDataFrame):
        anchor = frame.geometry.representative_point()
        out["lon"] = anchor.x.to_numpy()
        out["lat"] = anchor.y.to_numpy()
    with atomic_path(path) as tmp:
        out.to_csv(tmp, index=False, encoding="utf-8-sig")
    return path


def write_site_edits(plan: Plan, path: Path, *, status: str = "on_air") -> Path:
    """The plan's site edits as the JSON list ``covgis sites apply`` reads."""
    text = json.dumps(plan.site_edit_records(status=status), ensure_ascii=False, indent=2)
    with atomic_path(path) as tmp:
        tmp.write_text(text + "\n", encoding="utf-8")
    return path


def write_plan(plan: Plan, folder: Path, *, status: str = "on_air") -> dict[str, Path]:
    """Every export of a plan into ``folder`` (created if missing); returns the paths."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = {key: folder / name for key, name in PLAN_FILES.items()}
    write_geojson(plan.actions, paths["actions_geojson"])
    write_csv(plan.actions, paths["actions_csv"])
    write_geojson(plan.sites, paths["sites_geojson"])
    write_geojson(plan.fiber[plan.fiber["chosen"].astype(bool)], paths["fiber_geojson"])
    write_csv(plan.villages, paths["villages_csv"])
    write_csv(plan.curve, paths["curve_csv"])
    write_site_edits(plan, paths["site_edits"], status=status)
    layers = plan.fiber_layers(status=status)
    write_geojson(layers["fiber_routes"], paths["fiber_routes"])
    write_geojson(layers["fiber_nodes"], paths["fiber_nodes"])
    return paths
