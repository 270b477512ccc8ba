"""The demo network made to honour its deliberate gaps under every checked coverage model
(:mod:`coverage_gis.demo._coverage_check`): cells that reach a gap are dropped, planned
sites stand by the gaps whose cause is a planned site, gap fillers are placed until every
other village and commune office is served, and the result is verified.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from coverage_gis.demo._site_network import (
    BAND_PLAN,
    FILLER_DIRECTIONS,
    FILLER_RINGS_M,
    PERIOD_END,
    PLAN_PERIOD_START,
    PLANNED_SHARE,
    VIETTEL_700_MHZ,
    Cell,
    DemoGenerationError,
    Site,
    SiteBuilder,
    mast_height_m,
)
from coverage_gis.demo.gaps import SITE_CLEARANCE_FACTOR, GapPlan
from coverage_gis.models.base import CellArrays, FloatArray, IntArray


def clear_gaps(b: SiteBuilder, gx: FloatArray, gy: FloatArray) -> None:
    """Drop each on-air cell whose reach (any model, enlarged) touches a mobile gap; drop empty sites."""
    if gx.size == 0:
        return
    sites = b.on_air()
    # cell_arrays lists the cells site by site, in this order.
    every = [(site, cell) for site in sites for cell in site.cells]
    cells, _ = b.cell_arrays(sites, broadband_only=False)
    if len(cells) == 0:
        return
    keep = _nearest_gap_m(cells.x_m, cells.y_m, gx, gy) > b.check.reach_m(cells) * SITE_CLEARANCE_FACTOR
    for site in sites:
        site.cells = []
    for (site, cell), kept in zip(every, keep, strict=True):
        if kept:
            site.cells.append(cell)
    b.sites = [s for s in b.sites if s.cells]


def _probe(x: float, y: float, environment: str, height_m: float, cells: list[Cell]) -> Site:
    """A site that is only tried (never added to the network)."""
    return Site(x, y, 0, environment, "on_air", None, height_m, True, "probe", cells)


def _nearest_gap_m(x: FloatArray, y: FloatArray, gx: FloatArray, gy: FloatArray) -> FloatArray:
    if gx.size == 0:
        return np.full(np.asarray(x).shape, np.inf)
    d, _ = cKDTree(np.column_stack([gx, gy])).query(np.column_stack([x, y]), k=1)
    return np.asarray(d, dtype=np.float64)


def _serves_everywhere(b: SiteBuilder, x: float, y: float, cells: CellArrays) -> NDArray[np.bool_]:
    """Which of ``cells`` (one each, or any) serve the point under every checked model."""
    return np.asarray(b.check.serving_cells(x, y, cells).all(axis=0), dtype=bool)


def planned_sites(
    b: SiteBuilder, plan: GapPlan, vx: FloatArray, vy: FloatArray, vcommune: IntArray, required: IntArray
) -> None:
    """Sites not yet on air: one near each gap whose cause is a planned site, a few elsewhere.

    A planned site by a gap serves it under every model (once on air); no planned cell
    reaches a gap of another cause.
    """
    ctx = b.ctx
    other = np.array([r for r, c in plan.mobile.items() if c != "planned_site_not_on_air"], dtype=np.int64)
    ox, oy = vx[other], vy[other]
    for row in plan.rows_with_cause("planned_site_not_on_air"):
        ops = ["Viettel"] if b.rng.random() < 0.6 else ["Viettel", "VNPT"]
        chosen: tuple[float, float, int] | None = None
        for _ in range(50):
            ang = b.rng.uniform(0.0, 2.0 * math.pi)
            dist = b.rng.uniform(400.0, 800.0)
            x, y = vx[row] + dist * math.sin(ang), vy[row] + dist * math.cos(ang)
            c = int(b.locate_metric(np.array([x]), np.array([y]))[0])
            if c >= 0:
                chosen = (x, y, c)
                break
        x, y, c = chosen if chosen is not None else (float(vx[row]), float(vy[row]), int(vcommune[row]))
        site = b.new_site(x, y, c, role="planned", commissioned=None, status="planned")
        for op in ops:
            site.cells += b.radio(op, "4G", site.environment, None)
        cells, _ = b.cell_arrays([site], broadband_only=True)
        if not _serves_everywhere(b, float(vx[row]), float(vy[row]), cells).any():
            # Too far or behind a ridge: stand next to the village instead.
            site.x, site.y = float(vx[row]) + 150.0, float(vy[row])
            cells, _ = b.cell_arrays([site], broadband_only=True)
            if not _serves_everywhere(b, float(vx[row]), float(vy[row]), cells).any():
                raise DemoGenerationError(f"province {ctx.code}: a planned site cannot serve its gap")
    n_extra = max(2, round(PLANNED_SHARE * len(b.sites)))
    pool = required[ctx.environment[vcommune[required]] == "rural"]
    probe = b.radio("Viettel", "4G", "rural", None, band=BAND_PLAN["4G rural"][0])
    probe_cells, _ = b.cell_arrays([_probe(0.0, 0.0, "rural", 45.0, probe)], broadband_only=True)
    far_reach = float(b.check.reach_m(probe_cells).max()) * SITE_CLEARANCE_FACTOR
    if other.size:
        pool = pool[_nearest_gap_m(vx[pool], vy[pool], ox, oy) > far_reach + 1500.0]
    for row in b.rng.choice(pool, size=min(n_extra, pool.size), replace=False):
        x, y = b.jittered(vx[[row]], vy[[row]], vcommune[[row]], np.array([1000.0]))
        site = b.new_site(x[0], y[0], int(vcommune[row]), role="planned", commissioned=None, status="planned")
        op = "Viettel" if b.rng.random() < 0.5 else "VNPT"
        site.cells += b.radio(op, "4G", site.environment, None, band=BAND_PLAN["4G rural"][0])


def _candidates(rx: float, ry: float, start: float) -> tuple[FloatArray, FloatArray]:
    """Positions to try for a filler serving (rx, ry): next to it, then rings around it,
    and last the receiver itself (always inside the province, so always placeable)."""
    xs: list[float] = []
    ys: list[float] = []
    for radius, count in ((150.0, 8), (400.0, 8), *((r, FILLER_DIRECTIONS) for r in FILLER_RINGS_M)):
        angles = start + 2.0 * math.pi * np.arange(count) / count
        xs += (rx + radius * np.sin(angles)).tolist()
        ys += (ry + radius * np.cos(angles)).tolist()
    return np.array([*xs, rx]), np.array([*ys, ry])


def _filler_bands(environment: str) -> tuple[float, ...]:
    """Bands a filler's lead Viettel LTE cell may use, longest reach first (the last, short)."""
    if environment == "rural":
        return (VIETTEL_700_MHZ, 1800.0, 2100.0)
    return (1800.0, 2100.0)


def _place_filler(b: SiteBuilder, rx: float, ry: float, gx: FloatArray, gy: FloatArray) -> Site:
    """A new on-air site that serves (rx, ry) under every model and reaches no gap.

    Its lead Viettel LTE omni cell is tried on each band of :func:`_filler_bands` (longest
    reach first) at each position of :func:`_candidates`; the first that serves the
    receiver, with the margins, and keeps its reach (times the clearance factor) off
    every gap wins. Partners' cells and a 2G layer join only where they too stay clear.
    """
    cx, cy = _candidates(rx, ry, float(b.rng.uniform(0.0, 2.0 * math.pi)))
    commune = b.locate_metric(cx, cy)
    inside = commune >= 0
    env = np.where(inside, b.ctx.environment[np.maximum(commune, 0)], "rural").astype(str)
    u_height = float(b.rng.random())
    d_gap = _nearest_gap_m(cx, cy, gx, gy)
    for option in range(3):
        lead: list[Cell] = []
        sites: list[Site] = []
        for j in range(cx.size):
            bands = _filler_bands(str(env[j]))
            band = bands[min(option, len(bands) - 1)]
            cell = b.radio("Viettel", "4G", str(env[j]), None, band=band)[0]
            lead.append(cell)
            height = mast_height_m(str(env[j]), u_height)
            sites.append(_probe(float(cx[j]), float(cy[j]), str(env[j]), height, [cell]))
        cells, _ = b.cell_arrays(sites, broadband_only=True)
        clear = d_gap > b.check.reach_m(cells) * SITE_CLEARANCE_FACTOR
        ok = np.flatnonzero(inside & clear)
        if ok.size == 0:
            continue
        serves = _serves_everywhere(b, rx, ry, cells.take(ok))
        if not serves.any():
            continue
        j = int(ok[int(np.argmax(serves))])
        when = int(b.date_between(PLAN_PERIOD_START, PERIOD_END, 1)[0])
        site = b.new_site(
            cx[j], cy[j], int(commune[j]), role="filler", commissioned=when, height_m=sites[j].height_m
        )
        site.cells.append(lead[j])
        _add_filler_partners(b, site, float(d_gap[j]))
        return site
    raise DemoGenerationError(
        f"province {b.ctx.code}: no place for a site serving ({rx:.0f}, {ry:.0f}) outside the gaps' reach"
    )


def _add_filler_partners(b: SiteBuilder, site: Site, d_gap_m: float) -> None:
    """VNPT and MobiFone LTE on some fillers, and a 2G layer, each only where it reaches no gap."""
    extra: list[Cell] = []
    for op, chance in (("VNPT", 0.45), ("MobiFone", 0.1)):
        if b.rng.random() < chance:
            extra += b.radio(op, "4G", site.environment, None)
    for op in site.operators + [c.operator for c in extra]:
        if b.rng.random() < 0.5:
            extra += b.radio(op, "2G", site.environment, None)
    for cell in extra:
        cells, _ = b.cell_arrays(
            [_probe(site.x, site.y, site.environment, site.height_m, [cell])], broadband_only=False
        )
        if d_gap_m > float(b.check.reach_m(cells)[0]) * SITE_CLEARANCE_FACTOR and not any(
            c.operator == cell.operator and c.tech == cell.tech for c in site.cells
        ):
            site.cells.append(cell)


def fill_gaps(b: SiteBuilder, rx: FloatArray, ry: FloatArray, gx: FloatArray, gy: FloatArray) -> None:
    """Add gap-filler sites until every required receiver is served under every model (with margin)."""
    cells, _ = b.cell_arrays(b.on_air(), broadband_only=True)
    served = b.check.served(rx, ry, cells)
    for i in range(rx.size):
        if served[:, i].all():
            continue
        site = _place_filler(b, float(rx[i]), float(ry[i]), gx, gy)
        new_cells, _ = b.cell_arrays([site], broadband_only=True)
        todo = np.flatnonzero(~served.all(axis=0))
        near = todo[np.hypot(rx[todo] - site.x, ry[todo] - site.y) <= float(b.check.reach_m(new_cells).max())]
        served[:, near] |= b.check.served(rx[near], ry[near], new_cells)
        if not served[:, i].all():
            raise DemoGenerationError(f"province {b.ctx.code}: a filler did not serve receiver {i}")
    b.required_served = served


def verify_network(b: SiteBuilder, plan: GapPlan, gx: FloatArray, gy: FloatArray, gap_rows: IntArray) -> None:
    if not b.required_served.all():
        missing = int((~b.required_served.all(axis=0)).sum())
        raise DemoGenerationError(f"province {b.ctx.code}: {missing} required receivers left unserved")
    if gx.size == 0:
        return
    cells, _ = b.cell_arrays(b.on_air(), broadband_only=False)
    if (_nearest_gap_m(cells.x_m, cells.y_m, gx, gy) <= b.check.reach_m(cells) * SITE_CLEARANCE_FACTOR).any():
        raise DemoGenerationError(f"province {b.ctx.code}: a deliberate mobile gap is within reach of a cell")
    other = np.array([plan.mobile[int(r)] != "planned_site_not_on_air" for r in gap_rows], dtype=bool)
    planned = [s for s in b.sites if s.status != "on_air"]
    if other.any() and planned:
        cells, _ = b.cell_arrays(planned, broadband_only=True)
        near = _nearest_gap_m(cells.x_m, cells.y_m, gx[other], gy[other])
        if (near <= b.check.reach_m(cells) * SITE_CLEARANCE_FACTOR).any():
            raise DemoGenerationError(f"province {b.ctx.code}: a planned site reaches a gap of another cause")
