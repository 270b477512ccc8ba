"""What-if: a plan applied to a scratch copy of the workspace, and the KPIs it yields.

Owns the scratch copy and the order of the normal write paths on it: the plan's site
edits go through :meth:`coverage_gis.live.LiveWorkspace.apply` (one revision, as
``covgis sites apply`` does), its fiber is appended through
:func:`coverage_gis.io.import_file`, then coverage is recomputed. The original
workspace is only read.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd

from coverage_gis.engine import Analysis, compute
from coverage_gis.errors import NotFound
from coverage_gis.io import import_file
from coverage_gis.live import LiveWorkspace
from coverage_gis.planning.plan import Plan
from coverage_gis.workspace import Workspace

_LOCK_FILES = (".workspace.lock",)


@dataclass(frozen=True)
class WhatIf:
    """KPIs, scorecard and remaining gaps of a workspace with a plan applied.

    Attributes
    ----------
    scratch
        The scratch workspace folder (kept for inspection; delete when done).
    kpis_before, kpis_after
        Province KPI rows before and after.
    scorecard
        The target plan's scorecard after (None when the workspace has no plan).
    mobile_gaps, ftth_gaps
        Gap lists after.
    """

    scratch: Path
    kpis_before: pd.DataFrame
    kpis_after: pd.DataFrame
    scorecard: pd.DataFrame | None
    mobile_gaps: gpd.GeoDataFrame
    ftth_gaps: gpd.GeoDataFrame


def copy_workspace(source: Path, scratch: Path) -> Path:
    """Copy a workspace folder (without its lock file) to a new folder ``scratch``."""
    shutil.copytree(source, scratch, ignore=shutil.ignore_patterns(*_LOCK_FILES))
    return scratch


def what_if(
    analysis: Analysis,
    plan: Plan,
    *,
    scratch: Path | None = None,
    author: str = "planner what-if",
) -> WhatIf:
    """Apply ``plan`` to a copy of ``analysis``'s workspace and report the outcome.

    Parameters
    ----------
    analysis
        The analysed original workspace (read only).
    plan
        The plan from :func:`coverage_gis.planning.make_plan` on that workspace.
    scratch
        Folder for the copy (must not exist); default: a new temporary folder.
    author
        Recorded in the scratch copy's revisions.
    """
    target = scratch or Path(tempfile.mkdtemp(prefix="covgis-whatif-")) / analysis.ws.path.name
    copy_workspace(analysis.ws.path, target)
    edits = plan.to_site_edits(status="on_air")
    if edits:
        live = LiveWorkspace.open(target)
        live.apply(edits, author=author, summary=f"what-if: {len(edits)} planned site edits")
    layers = plan.fiber_layers(status="on_air")
    ws = Workspace.open(target)
    for name in ("fiber_routes", "fiber_nodes"):
        frame = layers[name]
        if len(frame):
            path = target / f".plan-{name}.geojson"
            frame.to_file(path, driver="GeoJSON")
            try:
                import_file(ws, name, path, append=True)
            finally:
                path.unlink(missing_ok=True)
    after = compute(Workspace.open(target), author=author)
    try:
        card = after.scorecard(plan.options.target)
    except NotFound:
        card = None
    return WhatIf(
        scratch=target,
        kpis_before=analysis.kpis(levels=["province"]),
        kpis_after=after.kpis(levels=["province"]),
        scorecard=card,
        mobile_gaps=after.gaps("mobile", use_roads=False),
        ftth_gaps=after.gaps("ftth", use_roads=False),
    )
