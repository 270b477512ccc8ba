"""Reproducible demo data: a synthetic network on the real communes.

There is no public data on Vietnamese villages, BTS sites or fiber, so the toolkit
ships a seeded generator. The commune boundaries and their 2009 census population are
real (:mod:`coverage_gis.boundaries`); everything else — villages, sites and cells of
the four operators, fiber routes and nodes, roads, priority places, 5G zones and the
terrain — is synthetic and labelled so (``source = "synthetic"``, ``synthetic: true``
in ``workspace.yaml``). The same seed gives byte-identical layers.

Bình Định reproduces its 2025 plan's 2024 status through the ordinary coverage
computation: under the default radius model only làng O2 (xã Vĩnh Kim) lacks mobile
broadband, and only the eight villages the plan names lack FTTH
(:mod:`coverage_gis.demo.binh_dinh`). Every other province gets a few gaps of its own.

Writing a demo workspace also adds synthetic speed tests drawn from the network
(:mod:`coverage_gis.demo.measurements`, ``source = "synthetic"``, seeded like the rest),
with a few villages of Bình Định (else of the provinces built) whose tests find no
service although the model covers them, so that the challenge list has something to
show. Measurements change no coverage: only a planner's accepted challenge does.

Public entry points: :func:`generate` (in memory) and :func:`build_demo_workspace`
(a workspace folder with ``workspace.gpkg``, ``dem.tif`` and ``roads.osm``).
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from coverage_gis.boundaries import (
    ALL_VIETNAM,
    PROVINCES,
    Boundaries,
    Province,
    load_boundaries,
    national_provinces,
    province,
)
from coverage_gis.crs import metric_crs_for_lon
from coverage_gis.demo import binh_dinh
from coverage_gis.demo._context import NATIONAL_DENSITY, SEED_DENSITY, ProvinceContext, build_context
from coverage_gis.demo._site_network import DemoGenerationError
from coverage_gis.demo.fiber import generate_fiber
from coverage_gis.demo.gaps import GapPlan, choose_gaps
from coverage_gis.demo.measurements import add_synthetic_measurements
from coverage_gis.demo.places import generate_places
from coverage_gis.demo.roads import RoadNetwork, build_roads, network_lonlat, write_osm
from coverage_gis.demo.sites import generate_sites
from coverage_gis.demo.terrain import DemRaster, dem_source, merge_dems, province_dem, write_dem
from coverage_gis.demo.villages import generate_villages
from coverage_gis.errors import LayerValidationError, WorkspaceError
from coverage_gis.layers import INPUT_LAYERS
from coverage_gis.models.base import FloatArray
from coverage_gis.workspace import CONFIG_NAME, DEM_NAME, ROADS_NAME, Workspace, is_database_location

__all__ = [
    "ALL_VIETNAM",
    "DEFAULT_SEED",
    "DISAGREEMENTS",
    "FIXED_TIMESTAMP",
    "PROVINCE_SLUGS",
    "WRITE_STEPS",
    "DemoData",
    "DemoGenerationError",
    "ProgressCallback",
    "ProvinceSummary",
    "build_demo_workspace",
    "check_target",
    "generate",
    "write_demo_workspace",
]

#: The seed provinces, by slug.
PROVINCE_SLUGS: tuple[str, ...] = tuple(PROVINCES)
DEFAULT_SEED = 2025
#: Time written into the GeoPackage metadata and ``workspace.yaml`` so that the same
#: seed gives the same bytes.
FIXED_TIMESTAMP = "2025-07-01T00:00:00Z"
_FIXED_CREATED = "2025-07-01T00:00:00+00:00"

#: ``progress(step, done, total)``: called after each step of the generation.
ProgressCallback = Callable[[str, int, int], None]

#: The input layers a demo generates per province (all but measured speed tests and the
#: parts of split communes, which come with the boundaries).
LAYER_ORDER: tuple[str, ...] = tuple(
    name for name in INPUT_LAYERS if name not in ("speed_tests", "commune_parts_2025")
)
_STEPS_PER_PROVINCE = 6
#: Steps :func:`write_demo_workspace` reports.
WRITE_STEPS = 4
#: Villages covered by the model whose synthetic tests all find no service (challenges).
DISAGREEMENTS = 3


@dataclass(frozen=True)
class ProvinceSummary:
    """What was generated for one province, and the gaps it was built to have."""

    code: str
    slug: str
    name: str
    villages: int
    sites: int
    cells: int
    shared_pct: float
    shared_recent_pct: float
    viettel_5g_sites: int
    fiber_routes: int
    fiber_nodes: int
    mobile_gaps: dict[str, str]
    ftth_gaps: tuple[str, ...]


@dataclass(frozen=True)
class DemoData:
    """A generated demo, in memory.

    ``layers`` are ready for :meth:`Workspace.write_layers` (EPSG:4326); ``dem`` and
    ``roads`` are written beside them. ``summaries`` record, per province, the counts
    and the village ids the generator built to stay uncovered under the radius model.
    """

    provinces: tuple[Province, ...]
    seed: int
    metric_crs: str
    layers: dict[str, pd.DataFrame]
    dem: DemRaster
    roads: tuple[tuple[RoadNetwork, list[FloatArray]], ...]
    summaries: tuple[ProvinceSummary, ...] = field(default_factory=tuple)

    def counts(self) -> dict[str, int]:
        """Features per layer."""
        return {name: len(frame) for name, frame in self.layers.items()}


class _Progress:
    def __init__(self, callback: ProgressCallback | None, total: int) -> None:
        self.callback = callback
        self.total = total
        self.done = 0

    def step(self, label: str) -> None:
        self.done += 1
        if self.callback is not None:
            self.callback(label, self.done, self.total)


def _resolve(provinces: Sequence[str] | str) -> tuple[Province, ...]:
    names = [provinces] if isinstance(provinces, str) else list(provinces)
    if not names:
        raise LayerValidationError("choose at least one province", field="province")
    if ALL_VIETNAM in names:
        return national_provinces()
    if "all" in names:
        names = list(PROVINCE_SLUGS)
    chosen: list[Province] = []
    for name in names:
        p = province(name)
        if p not in chosen:
            chosen.append(p)
    return tuple(chosen)


def _shared_pct(sites: pd.DataFrame, cells: pd.DataFrame) -> tuple[float, float]:
    """% of on-air sites with on-air cells of 2+ operators: all, and commissioned 2023+."""
    live = cells[cells["status"] == "on_air"]
    per_site = live.groupby("site_id")["operator"].nunique()
    on_air = sites[sites["status"] == "on_air"]
    shared = on_air["site_id"].map(per_site).fillna(0) >= 2
    recent = on_air["commissioned"].fillna("") >= "2023-01-01"
    all_pct = 100.0 * float(shared.mean()) if len(on_air) else 0.0
    recent_pct = 100.0 * float(shared[recent].mean()) if recent.any() else 0.0
    return all_pct, recent_pct


@dataclass
class _ProvinceResult:
    ctx: ProvinceContext
    layers: dict[str, pd.DataFrame]
    dem: DemRaster
    roads: tuple[RoadNetwork, list[FloatArray]]
    summary: ProvinceSummary


def _generate_province(ctx: ProvinceContext, progress: _Progress) -> _ProvinceResult:
    name = ctx.province.name
    dem = province_dem(ctx.relief, ctx.rng("terrain"))
    progress.step(f"{name}: terrain")

    is_binh_dinh = ctx.code == binh_dinh.PROVINCE_CODE
    if is_binh_dinh:
        specials = binh_dinh.special_villages(ctx)
        villages = generate_villages(ctx, specials=specials, naming=binh_dinh.COMMUNE_NAMING)
        plan: GapPlan = villages.special_gaps(specials)
    else:
        villages = generate_villages(ctx)
        population = villages.frame["population"].to_numpy(dtype=np.int64)
        plan = choose_gaps(ctx, villages.commune, villages.x_m, villages.y_m, villages.upland, population)
        villages = villages.with_power_cut(plan.rows_with_cause("no_grid_power"))
    progress.step(f"{name}: villages")

    no_through = np.zeros(len(villages), dtype=bool)
    no_through[plan.ftth_rows()] = True
    roads = build_roads(
        ctx, villages.commune, villages.x_m, villages.y_m, villages.upland, no_through=no_through
    )
    roads_ll = network_lonlat(roads, ctx)
    progress.step(f"{name}: roads")

    site_set = generate_sites(
        ctx,
        village_commune=villages.commune,
        village_x=villages.x_m,
        village_y=villages.y_m,
        village_population=villages.frame["population"].to_numpy(dtype=np.float64),
        plan=plan,
        dem=dem_source(dem, ctx),
        min_viettel_5g=binh_dinh.MIN_VIETTEL_5G_SITES if is_binh_dinh else 0,
        five_g_at_every_district=is_binh_dinh,
    )
    progress.step(f"{name}: sites and cells")

    fiber = generate_fiber(
        ctx,
        roads,
        roads_ll,
        village_commune=villages.commune,
        village_x=villages.x_m,
        village_y=villages.y_m,
        plan=plan,
        stubs_toward_gaps=is_binh_dinh,
    )
    progress.step(f"{name}: fiber")

    pois, zones = generate_places(ctx, site_set)
    progress.step(f"{name}: places")

    layers: dict[str, pd.DataFrame] = {
        "communes": ctx.communes,
        "villages": villages.frame,
        "sites": site_set.sites,
        "cells": site_set.cells,
        "fiber_routes": fiber.routes,
        "fiber_nodes": fiber.nodes,
        "zones_5g": zones,
        "pois": pois,
    }
    ids = villages.frame["village_id"].to_numpy(dtype=object)
    shared, shared_recent = _shared_pct(site_set.sites, site_set.cells)
    cells = site_set.cells
    v5g = cells[(cells["operator"] == "Viettel") & (cells["tech"] == "5G") & (cells["status"] == "on_air")]
    summary = ProvinceSummary(
        code=ctx.code,
        slug=ctx.province.slug,
        name=name,
        villages=len(villages),
        sites=len(site_set.sites),
        cells=len(cells),
        shared_pct=shared,
        shared_recent_pct=shared_recent,
        viettel_5g_sites=int(v5g["site_id"].nunique()),
        fiber_routes=len(fiber.routes),
        fiber_nodes=len(fiber.nodes),
        mobile_gaps={str(ids[r]): cause for r, cause in sorted(plan.mobile.items())},
        ftth_gaps=tuple(str(ids[r]) for r in plan.ftth_rows()),
    )
    return _ProvinceResult(ctx, layers, dem, (roads, roads_ll), summary)


def _generate(provinces: tuple[Province, ...], seed: int, progress: _Progress) -> DemoData:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise LayerValidationError(f"seed must be a non-negative integer, got {seed!r}", field="seed")
    national = any(p.slug not in PROVINCES for p in provinces)
    # A national build (any province beyond the five seed ones) settles every province,
    # the seed ones too, at the national density.
    density = NATIONAL_DENSITY if national else SEED_DENSITY
    boundaries = _named_units(load_boundaries([p.code for p in provinces], national=True))
    results = [
        _generate_province(build_context(p, boundaries.communes, seed=int(seed), density=density), progress)
        for p in provinces
    ]
    union = shapely.union_all([r.ctx.union for r in results])
    layers: dict[str, pd.DataFrame] = {}
    for name in LAYER_ORDER:
        frames = [r.layers[name] for r in results]
        merged = pd.concat(frames, ignore_index=True)
        if isinstance(frames[0], gpd.GeoDataFrame):
            merged = gpd.GeoDataFrame(merged, geometry="geometry", crs=frames[0].crs)
        layers[name] = merged
        if name == "communes":
            layers["commune_parts_2025"] = boundaries.parts
    progress.step("assembling layers")
    return DemoData(
        provinces=provinces,
        seed=int(seed),
        metric_crs=metric_crs_for_lon(float(shapely.centroid(union).x)),
        layers=layers,
        dem=merge_dems([r.dem for r in results]),
        roads=tuple(r.roads for r in results),
        summaries=tuple(r.summary for r in results),
    )


def _named_units(boundaries: Boundaries) -> Boundaries:
    """The boundaries without the census units that have neither a name nor people.

    Two of the national file's 11,163 units have no name and no population (one in Ninh
    Bình's Kim Sơn, one in Đà Nẵng without a district); a ``communes`` layer needs both
    names, and no village would be placed there anyway.
    """
    communes = boundaries.communes
    names = communes["commune_name"].fillna("").astype(str)
    keep = (names != "") | (communes["pop_2009"].fillna(0) > 0)
    if keep.all():
        return boundaries
    kept = communes[keep.to_numpy()].reset_index(drop=True)
    parts = boundaries.parts
    parts = parts[parts["census_commune_id"].isin(kept["census_commune_id"])].reset_index(drop=True)
    return Boundaries(communes=kept, parts=parts)


def _total_steps(n_provinces: int) -> int:
    return _STEPS_PER_PROVINCE * n_provinces + 1


def generate(
    provinces: Sequence[str] | str,
    *,
    seed: int = DEFAULT_SEED,
    progress: ProgressCallback | None = None,
) -> DemoData:
    """Generate the demo network of some seed provinces, in memory.

    Parameters
    ----------
    provinces
        Province slugs or GSO codes (see :data:`PROVINCE_SLUGS`), ``"all"`` (the five
        seed provinces) or :data:`ALL_VIETNAM` (every province of the national commune
        file, settled at the national density: about 100,000 villages and 120,000 sites).
    seed
        Non-negative seed; the same seed gives the same data, and a province comes
        out the same whether generated alone or with others.
    progress
        Called as ``progress(step, done, total)`` after each step.

    Raises
    ------
    NotFound
        An unknown province.
    LayerValidationError
        A negative or non-integer seed.
    """
    chosen = _resolve(provinces)
    return _generate(chosen, seed, _Progress(progress, _total_steps(len(chosen))))


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
    _tracker: _Progress | None = None,
) -> Workspace:
    """Write generated demo data as a new workspace folder.

    Parameters
    ----------
    path
        The workspace folder: must not exist, be empty, or (with ``overwrite``) be an
        existing workspace, which is replaced.
    data
        From :func:`generate`.
    overwrite
        Replace an existing workspace at ``path``.
    progress
        As for :func:`generate` (:data:`WRITE_STEPS` steps: layers, terrain, roads,
        synthetic speed tests).

    Raises
    ------
    WorkspaceError
        ``path`` is a workspace and ``overwrite`` is false, or a non-empty folder
        that is not a workspace.
    """
    tracker = _tracker or _Progress(progress, WRITE_STEPS)
    if is_database_location(path):
        # Built as a folder first (the terrain and roads are written as files), then
        # copied whole into the database, which must hold no workspace yet.
        with tempfile.TemporaryDirectory(prefix="covgis-demo-") as tmp:
            built = write_demo_workspace(Path(tmp) / "demo", data, _tracker=tracker)
            return built.copy_to(path, fixed_timestamp=FIXED_TIMESTAMP)
    folder = Path(path)
    if (folder / CONFIG_NAME).exists():
        if not overwrite:
            raise WorkspaceError(
                f"{folder} is already a workspace; use --force (overwrite=True) to replace it"
            )
        shutil.rmtree(folder)
    existed = folder.exists()
    codes = [p.code for p in data.provinces]
    plans = {p.code: p.plan for p in data.provinces if p.plan}
    names = (
        ", ".join(p.name for p in data.provinces)
        if len(data.provinces) <= len(PROVINCES)
        else f"Vietnam ({len(data.provinces)} provinces)"
    )
    try:
        ws = Workspace.create(
            folder,
            name=f"Demo – {names}",
            metric_crs=data.metric_crs,
            provinces=codes,
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
        # Drawn from the network just written; deliberate disagreements in Bình Định
        # when it is built (its challenge list is the one the demo shows).
        chosen = [binh_dinh.PROVINCE_CODE] if binh_dinh.PROVINCE_CODE in codes else None
        add_synthetic_measurements(
            ws,
            seed=data.seed,
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
    return ws


def build_demo_workspace(
    path: str | Path,
    provinces: Sequence[str] | str,
    *,
    seed: int = DEFAULT_SEED,
    overwrite: bool = False,
    progress: ProgressCallback | None = None,
) -> Workspace:
    """Generate the demo of ``provinces`` and write it as a workspace at ``path``.

    Parameters
    ----------
    path
        New workspace folder (see :func:`write_demo_workspace` for ``overwrite``).
    provinces
        Province slugs or codes, ``"all"`` or :data:`ALL_VIETNAM`.
    seed
        Non-negative seed.
    overwrite
        Replace an existing workspace at ``path``.
    progress
        Called as ``progress(step, done, total)`` after each step.
    """
    folder = Path(path)
    check_target(folder, overwrite=overwrite)
    chosen = _resolve(provinces)
    tracker = _Progress(progress, _total_steps(len(chosen)) + WRITE_STEPS)
    data = _generate(chosen, seed, tracker)
    return write_demo_workspace(folder, data, overwrite=overwrite, _tracker=tracker)
