"""Synthetic fiber: routes along the synthetic roads, POPs, OLTs and splitters.

Owns the fixed network of the demo. VNPT and Viettel run fiber everywhere, MobiFone
and Vietnamobile in towns: ``backbone`` routes along the primary roads from the
capital to the district towns (and submarine links to islands), ``distribution``
routes along the other roads between commune centres, ``access`` routes along the
village roads; a POP at each district town, an OLT at each commune office and a
splitter at each village an operator serves.

FTTH gaps keep their distance: no node comes within :data:`FIBER_CLEARANCE_M` of
them, and an access route that passes that close (on its way to a village beyond) is
recorded as distribution, which does not count. For Bình Định a distribution stub
also runs toward each unserved village and stops 1–3 km short of it, as the plan's
"develop fiber to the centres of the 08 villages" implies.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

import geopandas as gpd
import numpy as np
import shapely
from numpy.typing import NDArray

from coverage_gis.crs import STORAGE_CRS
from coverage_gis.demo._context import ProvinceContext
from coverage_gis.demo._coverage_check import any_within, lines_near, near_lines
from coverage_gis.demo._site_network import DemoGenerationError
from coverage_gis.demo.gaps import FIBER_CLEARANCE_M, GapPlan
from coverage_gis.demo.roads import RoadNetwork, linestrings
from coverage_gis.models.base import FloatArray, IntArray

#: FTTH reach the guarantees are built for (the default ``ftth_reach_m``), and the margin kept.
FTTH_REACH_M = 500.0
COVER_REACH_M = 470.0
#: Splitters and OLTs stand within this distance of the village / office they serve.
NODE_JITTER_M = 120.0
#: Chance that an operator has a splitter at a rural / town village.
SPLITTER_CHANCE_RURAL = {"VNPT": 0.95, "Viettel": 0.85, "MobiFone": 0.0, "Vietnamobile": 0.0}
SPLITTER_CHANCE_TOWN = {"VNPT": 0.95, "Viettel": 0.9, "MobiFone": 0.35, "Vietnamobile": 0.12}
_COMMISSIONED = {
    "backbone": (date(2014, 1, 1), date(2019, 12, 31)),
    "distribution": (date(2016, 1, 1), date(2022, 12, 31)),
    "access": (date(2018, 1, 1), date(2025, 6, 30)),
}


@dataclass(frozen=True)
class FiberSet:
    """Fiber routes and nodes of one province."""

    routes: gpd.GeoDataFrame
    nodes: gpd.GeoDataFrame


def _commissioned(rng: np.random.Generator, cls: str) -> str:
    start, end = _COMMISSIONED[cls]
    return date.fromordinal(int(rng.integers(start.toordinal(), end.toordinal() + 1))).isoformat()


def _jitter(rng: np.random.Generator, x: FloatArray, y: FloatArray) -> tuple[FloatArray, FloatArray]:
    angle = rng.uniform(0.0, 2.0 * math.pi, x.size)
    dist = NODE_JITTER_M * np.sqrt(rng.random(x.size))
    return x + dist * np.sin(angle), y + dist * np.cos(angle)


def _stub_toward(xy: FloatArray, gx: float, gy: float, stop_m: float) -> FloatArray | None:
    """The start of road ``xy`` up to where it first comes within ``stop_m`` of (gx, gy)."""
    d = np.hypot(xy[:, 0] - gx, xy[:, 1] - gy)
    close = np.flatnonzero(d < stop_m)
    end = int(close[0]) if close.size else xy.shape[0]
    return xy[:end] if end >= 2 else None


def generate_fiber(
    ctx: ProvinceContext,
    roads: RoadNetwork,
    roads_lonlat: list[FloatArray],
    *,
    village_commune: IntArray,
    village_x: FloatArray,
    village_y: FloatArray,
    plan: GapPlan,
    stubs_toward_gaps: bool = False,
) -> FiberSet:
    """Fiber routes and nodes of one province.

    Parameters
    ----------
    ctx
        The province.
    roads, roads_lonlat
        The road network and each edge's polyline in lon/lat.
    village_commune, village_x, village_y
        The villages (commune row, metric centre).
    plan
        Villages that must stay without FTTH.
    stubs_toward_gaps
        Add a distribution route that stops 1–3 km short of each FTTH gap.
    """
    rng = ctx.rng("fiber")
    town = ctx.environment != "rural"
    gap_rows = plan.ftth_rows()
    is_gap = np.zeros(village_x.size, dtype=bool)
    is_gap[gap_rows] = True
    gx, gy = village_x[gap_rows], village_y[gap_rows]

    node_x: list[float] = []
    node_y: list[float] = []
    node_rows: list[dict[str, object]] = []

    def add_nodes(x: FloatArray, y: FloatArray, operator: str, kind: str) -> None:
        jx, jy = _jitter(rng, x, y)
        node_x.extend(jx.tolist())
        node_y.extend(jy.tolist())
        node_rows.extend({"operator": operator, "kind": kind} for _ in range(x.size))

    towns = ctx.town_of_district
    capital_only = np.array([ctx.capital])
    urban_towns = towns[ctx.environment[towns] == "urban"]
    for op, where in (
        ("VNPT", towns),
        ("Viettel", towns),
        ("MobiFone", np.union1d(capital_only, urban_towns)),
        ("Vietnamobile", capital_only),
    ):
        add_nodes(ctx.centre_x[where], ctx.centre_y[where], op, "pop")
    all_communes = np.arange(len(ctx))
    for op, where in (
        ("VNPT", all_communes),
        ("Viettel", all_communes),
        ("MobiFone", all_communes[town & (rng.random(len(ctx)) < 0.6)]),
        ("Vietnamobile", all_communes[town & (rng.random(len(ctx)) < 0.25)]),
    ):
        add_nodes(ctx.centre_x[where], ctx.centre_y[where], op, "olt")

    village_town = town[village_commune]
    served_by: dict[str, NDArray[np.bool_]] = {}
    for op in ("VNPT", "Viettel", "MobiFone", "Vietnamobile"):
        chance = np.where(village_town, SPLITTER_CHANCE_TOWN[op], SPLITTER_CHANCE_RURAL[op])
        served_by[op] = (rng.random(village_x.size) < chance) & ~is_gap
    nobody = ~is_gap & ~np.any(np.stack(list(served_by.values())), axis=0)
    served_by["VNPT"] |= nobody
    for op, mask in served_by.items():
        rows = np.flatnonzero(mask)
        add_nodes(village_x[rows], village_y[rows], op, "splitter")

    route_geoms: list[FloatArray] = []
    route_rows: list[dict[str, object]] = []

    def add_route(xy_ll: FloatArray, operator: str, cls: str) -> None:
        route_geoms.append(xy_ll)
        route_rows.append({"operator": operator, "class": cls})

    access_metric: list[FloatArray] = []
    access_index: list[int] = []
    for edge, coords in zip(roads.edges, roads_lonlat, strict=True):
        if edge.village < 0:
            a_town, b_town = bool(town[edge.u]), bool(town[edge.v])
            if edge.is_sea or edge.highway == "primary":
                ops = ["VNPT", "Viettel"] + (["MobiFone"] if edge.highway == "primary" else [])
                for op in ops:
                    add_route(coords, op, "backbone")
            else:
                for op in ["VNPT", "Viettel"] + (["MobiFone"] if a_town or b_town else []):
                    add_route(coords, op, "distribution")
            continue
        v = edge.village
        for op, mask in served_by.items():
            if mask[v]:
                access_index.append(len(route_rows))
                access_metric.append(edge.xy)
                add_route(coords, op, "access")

    # Access routes that run past an FTTH gap on their way further are feeders: they
    # must not count as access there.
    if gx.size and access_metric:
        lines = linestrings(access_metric)
        near = lines_near(lines, gx, gy, FIBER_CLEARANCE_M)
        for k in np.flatnonzero(near):
            route_rows[access_index[int(k)]]["class"] = "distribution"

    if stubs_toward_gaps:
        by_village = {
            e.village: (e, ll) for e, ll in zip(roads.edges, roads_lonlat, strict=True) if e.village >= 0
        }
        for g in gap_rows:
            edge, coords = by_village[int(g)]
            if edge.u >= roads.n_communes and is_gap[edge.u - roads.n_communes]:
                continue  # its road leads on from another unserved village: no fiber there
            stub = _stub_toward(
                edge.xy, float(village_x[g]), float(village_y[g]), float(rng.uniform(1200.0, 2800.0))
            )
            if stub is not None:
                add_route(coords[: stub.shape[0]], "VNPT", "distribution")

    nx, ny = np.array(node_x), np.array(node_y)
    _verify(ctx, village_x, village_y, is_gap, nx, ny, route_rows, route_geoms)

    nlon, nlat = ctx.to_lonlat(nx, ny)
    nodes = gpd.GeoDataFrame(
        [
            {"node_id": f"FN-{ctx.code}-{i + 1:05d}", **row, "status": "on_air", "source": "synthetic"}
            for i, row in enumerate(node_rows)
        ],
        geometry=shapely.points(nlon, nlat),
        crs=STORAGE_CRS,
    )
    routes = gpd.GeoDataFrame(
        [
            {
                "route_id": f"FR-{ctx.code}-{i + 1:05d}",
                **row,
                "status": "on_air",
                "commissioned": _commissioned(rng, str(row["class"])),
                "source": "synthetic",
            }
            for i, row in enumerate(route_rows)
        ],
        geometry=linestrings(route_geoms),
        crs=STORAGE_CRS,
    )
    return FiberSet(routes=routes, nodes=nodes)


def _verify(
    ctx: ProvinceContext,
    vx: FloatArray,
    vy: FloatArray,
    is_gap: NDArray[np.bool_],
    nx: FloatArray,
    ny: FloatArray,
    route_rows: list[dict[str, object]],
    route_geoms: list[FloatArray],
) -> None:
    """Every village but the gaps, and every commune office, within reach; gaps clear."""
    access = [k for k, row in enumerate(route_rows) if row["class"] == "access"]
    if access:
        stacked = np.vstack([route_geoms[k] for k in access])
        x, y = ctx.to_metric(stacked[:, 0], stacked[:, 1])
        parts = np.split(np.column_stack([x, y]), np.cumsum([len(route_geoms[k]) for k in access])[:-1])
        lines = linestrings(parts)
    else:
        lines = np.empty(0, dtype=object)
    rx = np.concatenate([vx[~is_gap], ctx.centre_x])
    ry = np.concatenate([vy[~is_gap], ctx.centre_y])
    ok = any_within(rx, ry, nx, ny, COVER_REACH_M) | near_lines(rx, ry, lines, COVER_REACH_M)
    if not ok.all():
        raise DemoGenerationError(
            f"province {ctx.code}: {int((~ok).sum())} villages or offices without fiber"
        )
    gx, gy = vx[is_gap], vy[is_gap]
    reached = any_within(gx, gy, nx, ny, FIBER_CLEARANCE_M) | near_lines(gx, gy, lines, FIBER_CLEARANCE_M)
    if reached.any():
        raise DemoGenerationError(f"province {ctx.code}: fiber within reach of a deliberate FTTH gap")
