"""Writing a generated demo as a workspace (``docs/architecture.md``, demo).

Owns the demo workspace's folder (what may be replaced, nothing half-written left
behind), its fixed timestamps (the same seed gives the same bytes) and the order of its
files: the layers, the terrain and the roads, then the synthetic speed tests drawn from
the network just written (:mod:`coverage_gis.demo.measurements`).

The speed tests are drawn from the workspace's own analysis, read back from what was
written, so the generated layers are not needed any more by then. :func:`build_demo`
generates and writes in one call and lets them go before that step: a national demo
would otherwise hold two copies of every layer at once. :func:`write_demo_workspace`
writes data its caller holds (and keeps).
"""

from __future__ import annotations

import gc
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from coverage_gis.boundaries import PROVINCES
from coverage_gis.demo import binh_dinh
from coverage_gis.demo.generation import (
    DEFAULT_SEED,
    DemoData,
    ProgressCallback,
    ProvinceSummary,
    StepProgress,
    generate_provinces,
    generation_steps,
    resolve_provinces,
)
from coverage_gis.demo.measurements import add_synthetic_measurements
from coverage_gis.demo.roads import write_osm
from coverage_gis.demo.terrain import write_dem
from coverage_gis.errors import WorkspaceError
from coverage_gis.workspace import CONFIG_NAME, DEM_NAME, ROADS_NAME, Workspace, is_database_location

#: Time written into the GeoPackage metadata and ``workspace.yaml`` so that the same
#: seed gives the same bytes.
FIXED_TIMESTAMP = "2025-07-01T00:00:00Z"
_FIXED_CREATED = "2025-07-01T00:00:00+00:00"
#: Steps :func:`write_demo_workspace` reports.
WRITE_STEPS = 4
#: Villages covered by the model whose synthetic tests all find no service (challenges).
DISAGREEMENTS = 3


@dataclass(frozen=True)
class BuiltDemo:
    """A demo workspace just written, and what its generation recorded."""

    workspace: Workspace
    seed: int
    metric_crs: str
    #: Per province: its counts and the gaps it was built to have.
    summaries: tuple[ProvinceSummary, ...]
    #: Features per layer, the speed tests included.
    counts: dict[str, int]


class _Handover:
    """Generated data handed to the writer, which takes the only reference to it."""

    def __init__(self, data: DemoData) -> None:
        self._data: DemoData | None = data

    def take(self) -> DemoData:
        data, self._data = self._data, None
        if data is None:
            raise RuntimeError("the demo data was taken already")
        return data


def check_target(path: str | Path, *, overwrite: bool = False) -> None:
    """Raise :class:`WorkspaceError` unless a demo workspace may be written at ``path``.

    Allowed: a missing or empty folder, or (with ``overwrite``) an existing workspace.
    A non-empty folder that is not a workspace is never replaced.
    """
    if is_database_location(path):
        return  # the copy into the database checks that it holds no workspace
    folder = Path(path)
    if (folder / CONFIG_NAME).exists():
        if not overwrite:
            raise WorkspaceError(
                f"{folder} is already a workspace; use --force (overwrite=True) to replace it"
            )
        return
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise WorkspaceError(
            f"{folder} exists and is not an empty folder or a workspace; choose a new folder"
        )


def write_demo_workspace(
    path: str | Path,
    data: DemoData,
    *,
    overwrite: bool = False,
    progress: ProgressCallback | None = None,
) -> Workspace:
    """Write generated demo data as a new workspace folder.

    Parameters
    ----------
    path
        The workspace folder: must not exist, be empty, or (with ``overwrite``) be an
        existing workspace, which is replaced.
    data
        From :func:`~coverage_gis.demo.generate` (the caller's reference keeps it in
        memory throughout; :func:`build_demo` does not).
    overwrite
        Replace an existing workspace at ``path``.
    progress
        As for :func:`~coverage_gis.demo.generate` (:data:`WRITE_STEPS` steps: layers,
        terrain, roads, synthetic speed tests).

    Raises
    ------
    WorkspaceError
        ``path`` is a workspace and ``overwrite`` is false, or a non-empty folder
        that is not a workspace.
    """
    return _write(path, _Handover(data), overwrite, StepProgress(progress, WRITE_STEPS)).workspace


def build_demo(
    path: str | Path,
    provinces: Sequence[str] | str,
    *,
    seed: int = DEFAULT_SEED,
    overwrite: bool = False,
    progress: ProgressCallback | None = None,
) -> BuiltDemo:
    """Generate the demo of ``provinces`` and write it as a workspace at ``path``.

    The generated layers are let go once written, before the speed tests are drawn
    from the workspace.

    Parameters
    ----------
    path
        New workspace folder (see :func:`write_demo_workspace` for ``overwrite``).
    provinces
        Province slugs or codes, ``"all"`` or :data:`~coverage_gis.boundaries.ALL_VIETNAM`.
    seed
        Non-negative seed.
    overwrite
        Replace an existing workspace at ``path``.
    progress
        Called as ``progress(step, done, total)`` after each step of the generation
        and of the writing (one count).
    """
    check_target(path, overwrite=overwrite)
    chosen = resolve_provinces(provinces)
    tracker = StepProgress(progress, generation_steps(len(chosen)) + WRITE_STEPS)
    return _write(path, _Handover(generate_provinces(chosen, seed, tracker)), overwrite, tracker)


def build_demo_workspace(
    path: str | Path,
    provinces: Sequence[str] | str,
    *,
    seed: int = DEFAULT_SEED,
    overwrite: bool = False,
    progress: ProgressCallback | None = None,
) -> Workspace:
    """:func:`build_demo`'s workspace."""
    return build_demo(path, provinces, seed=seed, overwrite=overwrite, progress=progress).workspace


def _write(path: str | Path, handed: _Handover, overwrite: bool, tracker: StepProgress) -> BuiltDemo:
    """Write the handed data at ``path`` (see :func:`write_demo_workspace`)."""
    if is_database_location(path):
        # Built as a folder first (the terrain and roads are written as files), then
        # copied whole into the database, which must hold no workspace yet.
        with tempfile.TemporaryDirectory(prefix="covgis-demo-") as tmp:
            built = _write(Path(tmp) / "demo", handed, False, tracker)
            copied = built.workspace.copy_to(path, fixed_timestamp=FIXED_TIMESTAMP)
            return BuiltDemo(copied, built.seed, built.metric_crs, built.summaries, built.counts)
    folder = Path(path)
    if (folder / CONFIG_NAME).exists():
        if not overwrite:
            raise WorkspaceError(
                f"{folder} is already a workspace; use --force (overwrite=True) to replace it"
            )
        shutil.rmtree(folder)
    existed = folder.exists()
    data = handed.take()
    codes = [p.code for p in data.provinces]
    seed, metric_crs, summaries, counts = data.seed, data.metric_crs, data.summaries, data.counts()
    try:
        ws = _write_generated(folder, data, tracker)
        # The layers are in the workspace now and the speed tests read them back from it:
        # let the generated ones go (with any reference cycles among their frames) first.
        del data
        gc.collect()
        # Drawn from the network just written; deliberate disagreements in Bình Định
        # when it is built (its challenge list is the one the demo shows).
        chosen = [binh_dinh.PROVINCE_CODE] if binh_dinh.PROVINCE_CODE in codes else None
        tests = add_synthetic_measurements(
            ws,
            seed=seed,
            disagreements=DISAGREEMENTS,
            disagreement_provinces=chosen,
            fixed_timestamp=FIXED_TIMESTAMP,
        )
        tracker.step("synthetic speed tests")
    except BaseException:
        # Leave nothing half-written behind in a folder this call created.
        if not existed:
            shutil.rmtree(folder, ignore_errors=True)
        raise
    return BuiltDemo(ws, seed, metric_crs, summaries, counts | {"speed_tests": tests})


def _write_generated(folder: Path, data: DemoData, tracker: StepProgress) -> Workspace:
    """A new workspace at ``folder`` with the layers, terrain and roads of ``data``."""
    names = (
        ", ".join(p.name for p in data.provinces)
        if len(data.provinces) <= len(PROVINCES)
        else f"Vietnam ({len(data.provinces)} provinces)"
    )
    plans = {p.code: p.plan for p in data.provinces if p.plan}
    ws = Workspace.create(
        folder,
        name=f"Demo – {names}",
        metric_crs=data.metric_crs,
        provinces=[p.code for p in data.provinces],
        plan=(data.provinces[0].plan or None) if len(data.provinces) == 1 else None,
        synthetic=True,
        description=(
            f"Demo workspace for {names}. The network is SYNTHETIC: villages, BTS sites and cells, "
            "fiber routes and nodes, roads, priority places, 5G zones, terrain and speed tests were "
            f"generated by coverage_gis.demo (seed {data.seed}) and are not real data. The commune "
            "boundaries and 2009 census population are real (censusVN2009, © 2017 Marc Choisy, MIT "
            "licence)."
        ),
        extra={"generator": "coverage_gis.demo", "seed": data.seed, "plans": plans},
    )
    ws.update_config(created=_FIXED_CREATED)
    ws.write_layers(data.layers, source="coverage_gis.demo", fixed_timestamp=FIXED_TIMESTAMP)
    tracker.step("writing layers")
    write_dem(data.dem, folder / DEM_NAME)
    tracker.step("writing terrain")
    write_osm(data.roads, folder / ROADS_NAME)
    tracker.step("writing roads")
    return ws
