"""Generation of the demo: a seeded synthetic network on the real communes, in memory
(``docs/architecture.md``, demo).

Owns what a demo province is made of and in which order its layers are drawn
(terrain, villages, roads, sites and cells, fiber, places), each from the province's
own generator streams, and the assembly of several provinces into one
:class:`DemoData`. Writing it as a workspace is :mod:`coverage_gis.demo.build`'s.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from coverage_gis.boundaries import (
    ALL_VIETNAM,
    PROVINCES,
    Province,
    load_boundaries,
    national_provinces,
    province,
)
from coverage_gis.crs import metric_crs_for_lon
from coverage_gis.demo import binh_dinh
from coverage_gis.demo._context import NATIONAL_DENSITY, SEED_DENSITY, ProvinceContext, build_context
from coverage_gis.demo.fiber import generate_fiber
from coverage_gis.demo.gaps import GapPlan, choose_gaps
from coverage_gis.demo.places import generate_places
from coverage_gis.demo.roads import RoadNetwork, build_roads, network_lonlat
from coverage_gis.demo.sites import generate_sites
from coverage_gis.demo.terrain import DemRaster, dem_source, merge_dems, province_dem
from coverage_gis.demo.villages import generate_villages
from coverage_gis.errors import LayerValidationError
from coverage_gis.layers import INPUT_LAYERS
from coverage_gis.models.base import FloatArray

#: The seed provinces, by slug.
PROVINCE_SLUGS: tuple[str, ...] = tuple(PROVINCES)
DEFAULT_SEED = 2025

#: ``progress(step, done, total)``: called after each step of the generation.
ProgressCallback = Callable[[str, int, int], None]

#: The input layers a demo generates per province (all but measured speed tests and the
#: parts of split communes, which come with the boundaries).
LAYER_ORDER: tuple[str, ...] = tuple(
    name for name in INPUT_LAYERS if name not in ("speed_tests", "commune_parts_2025")
)
_STEPS_PER_PROVINCE = 6


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


class StepProgress:
    """Counts the steps of a demo build and reports each one to a :data:`ProgressCallback`."""

    def __init__(self, callback: ProgressCallback | None, total: int) -> None:
        self.callback = callback
        self.total = total
        self.done = 0

    def step(self, label: str) -> None:
        self.done += 1
        if self.callback is not None:
            self.callback(label, self.done, self.total)


def resolve_provinces(provinces: Sequence[str] | str) -> tuple[Province, ...]:
    """The provinces named by slugs or GSO codes, ``"all"`` (the five seed provinces) or
    :data:`ALL_VIETNAM`, each once, in the order given (:class:`NotFound` for an unknown one)."""
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


def _generate_province(ctx: ProvinceContext, progress: StepProgress) -> _ProvinceResult:
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


def generate_provinces(provinces: tuple[Province, ...], seed: int, progress: StepProgress) -> DemoData:
    """:func:`generate` of resolved provinces, reporting to ``progress``
    (:func:`generation_steps` steps)."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise LayerValidationError(f"seed must be a non-negative integer, got {seed!r}", field="seed")
    national = any(p.slug not in PROVINCES for p in provinces)
    # A national build (any province beyond the five seed ones) settles every province,
    # the seed ones too, at the national density.
    density = NATIONAL_DENSITY if national else SEED_DENSITY
    boundaries = load_boundaries([p.code for p in provinces], national=True)
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


def generation_steps(n_provinces: int) -> int:
    """The steps :func:`generate_provinces` reports for ``n_provinces``."""
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
    chosen = resolve_provinces(provinces)
    return generate_provinces(chosen, seed, StepProgress(progress, generation_steps(len(chosen))))
