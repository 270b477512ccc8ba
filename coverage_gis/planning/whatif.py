"""What-if: a plan applied to a scratch copy of the workspace, and the KPIs it yields.

Owns the scratch copy and the order of the normal write paths on it. The copy is a new
workspace made through :class:`~coverage_gis.workspace.Workspace` from the analysis the
plan was made from (its input layers at that revision, its settings without API keys,
its terrain and roads installed by the import path). The plan's site edits then go
through :meth:`coverage_gis.live.LiveWorkspace.apply` (one revision, as
``covgis sites apply`` does), its fiber is appended through
:func:`coverage_gis.io.import_file`, and coverage is recomputed. The original
workspace is only read.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd

from coverage_gis.engine import Analysis, compute, load
from coverage_gis.errors import NotFound
from coverage_gis.io import import_file
from coverage_gis.live import LiveWorkspace
from coverage_gis.planning.plan import Plan
from coverage_gis.workspace import Workspace


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


def scratch_workspace(analysis: Analysis, folder: Path) -> Workspace:
    """A new workspace in ``folder`` holding what ``analysis`` was computed from.

    The input layers and the planners' decisions on challenges are the analysis' own
    (one revision, even while others write to the original); the settings are the
    original's without its API keys; ``dem.tif`` and ``roads.osm`` are installed as the
    import path installs them.
    """
    config = analysis.ws.config
    scratch = Workspace.create(
        folder,
        name=f"{config.name} (what-if)",
        metric_crs=config.metric_crs,
        provinces=list(config.provinces),
        model=config.model,
        plan=config.plan,
        ftth_reach_m=config.ftth_reach_m,
        synthetic=config.synthetic,
        description=f"what-if copy of {analysis.ws.location} at revision {analysis.revision}",
        speed=config.speed,
        calibration=config.calibration,
    )
    layers = {name: frame for name, frame in analysis.layers.items() if len(frame)}
    if len(analysis.overrides):
        # Accepted challenges stand in the copy as they would in the original.
        layers["overrides"] = analysis.overrides
    # The frames were validated when they were written to the original.
    scratch.write_layers(layers, validate=False, source=analysis.ws.location)
    for side in (analysis.ws.dem_path, analysis.ws.roads_path):
        if side is not None:
            scratch.install_file(side, side.name)
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
    target = scratch or Path(tempfile.mkdtemp(prefix="covgis-whatif-")) / "what-if"
    ws = scratch_workspace(analysis, target)
    edits = plan.to_site_edits(status="on_air")
    if edits:
        live = LiveWorkspace(ws, load(ws))
        live.apply(edits, author=author, summary=f"what-if: {len(edits)} planned site edits")
    layers = plan.fiber_layers(status="on_air")
    with tempfile.TemporaryDirectory(prefix="covgis-whatif-fiber-") as folder:
        for name in ("fiber_routes", "fiber_nodes"):
            frame = layers[name]
            if len(frame):
                path = Path(folder) / f"plan-{name}.geojson"
                frame.to_file(path, driver="GeoJSON")
                import_file(ws, name, path, append=True)
    after = compute(ws, author=author)
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
