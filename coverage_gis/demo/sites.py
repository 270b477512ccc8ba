"""Synthetic BTS sites and cells of the four Vietnamese operators.

Owns the radio network of the demo: how many sites each commune gets (dense in
phường and thị trấn, sparse in rural and mountain communes), who operates them
(Viettel, VNPT, MobiFone, Vietnamobile; a share of masts carries two or three, more
often among those commissioned 2023–2025), their cells (3-sector at 0/120/240° ± a
few degrees with 65° beams in towns, omni cells in much of the countryside; 2G/3G/4G
with 4G nearly everywhere; 5G in towns), heights, EIRP, commissioning dates and a few
planned sites.

Bands follow Vietnam's band plan (:data:`coverage_gis.demo._site_network.BAND_PLAN`):
GSM on 900 (and 1800 in towns), UMTS on 2100, LTE on 900/1800/2100 MHz, Viettel's
700 MHz (auctioned 2025) for rural LTE reach, and 5G where each operator holds it:
Viettel 2500–2600 MHz, VNPT 3700–3800 MHz, MobiFone 3800–3900 MHz, with massive-MIMO
EIRP. Each cell radiates its band's reference EIRP (:mod:`coverage_gis.models.reference`) within ±1.5 dB.

The network is then made to honour the deliberate gaps under every coverage model the
toolkit ships (radius, pathloss, terrain on the demo's own DEM; see
:mod:`coverage_gis.demo._coverage_check`): no cell on air reaches a village chosen to
lack mobile broadband (with a margin), and every other village and commune office is
served, by gap-filler sites placed where they cannot reach a gap.

This module drives the steps; the network under construction and the constants it
follows are :mod:`coverage_gis.demo._site_network`'s, the gap honouring
:mod:`coverage_gis.demo._site_fill`'s.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from coverage_gis.crs import STORAGE_CRS
from coverage_gis.demo._context import ProvinceContext
from coverage_gis.demo._coverage_check import NetworkCheck
from coverage_gis.demo._site_fill import clear_gaps, fill_gaps, planned_sites, verify_network
from coverage_gis.demo._site_network import (
    OPERATOR_CODE,
    PEOPLE_PER_SITE,
    PERIOD_END,
    PERIOD_START,
    PLAN_PERIOD_START,
    RURAL_KM2_PER_SITE,
    TRIAL_5G_SITES,
    VIETTEL_5G_CHANCE,
    VIETTEL_5G_CHANCE_DEFAULT,
    DemoGenerationError,
    Site,
    SiteBuilder,
    short_name,
)
from coverage_gis.demo.gaps import GapPlan
from coverage_gis.models.base import FloatArray, IntArray
from coverage_gis.terrain.dem import Dem


@dataclass(frozen=True)
class SiteSet:
    """Sites and cells of one province, plus what other generators reuse."""

    sites: gpd.GeoDataFrame
    cells: pd.DataFrame
    #: Row of the Viettel 5G site at each district town (``-1`` where none).
    town_5g_site: IntArray
    x_m: FloatArray
    y_m: FloatArray


def _base_sites(
    b: SiteBuilder, villages_commune: IntArray, vx: FloatArray, vy: FloatArray, vpop: FloatArray
) -> None:
    ctx = b.ctx
    pop = ctx.communes["pop_2009"].to_numpy(dtype=np.float64)
    per_site = np.array([PEOPLE_PER_SITE[e] for e in ctx.environment])
    rural = ctx.environment == "rural"
    base = pop / per_site + np.where(rural, ctx.area_km2 / RURAL_KM2_PER_SITE, 0.0)
    counts = np.rint(base * ctx.density.site_factor).astype(np.int64)
    counts = np.maximum(counts, np.where(rural, 1, 2))
    anchor_x: list[float] = []
    anchor_y: list[float] = []
    anchor_c: list[int] = []
    spread: list[float] = []
    for c in range(len(ctx)):
        # The first mast of a commune stands by its office; the others near villages,
        # the more populous ones more likely.
        anchor_x.append(float(ctx.centre_x[c]))
        anchor_y.append(float(ctx.centre_y[c]))
        anchor_c.append(c)
        spread.append(150.0)
        members = np.flatnonzero(villages_commune == c)
        extra = int(counts[c]) - 1
        if extra <= 0 or members.size == 0:
            continue
        weights = vpop[members] + 1.0
        picks = b.rng.choice(members, size=extra, replace=True, p=weights / weights.sum())
        anchor_x += vx[picks].tolist()
        anchor_y += vy[picks].tolist()
        anchor_c += [c] * extra
        spread += [300.0 if ctx.environment[c] != "rural" else 900.0] * extra
    ax, ay = np.array(anchor_x), np.array(anchor_y)
    ac = np.array(anchor_c, dtype=np.int64)
    x, y = b.jittered(ax, ay, ac, np.array(spread))
    dates = b.date_between(PERIOD_START, PERIOD_END, x.size)
    omni_draw = b.rng.random(x.size)
    for i in range(x.size):
        site = b.new_site(x[i], y[i], int(ac[i]), role="base", commissioned=int(dates[i]))
        omni = site.environment == "rural" and omni_draw[i] < 0.55
        b.equip(site, b.pick_operators(int(dates[i])), omni=omni)


def _town_5g(b: SiteBuilder, *, everywhere: bool) -> IntArray:
    """Viettel 5G: a site at district towns and on a share of the town sites."""
    ctx = b.ctx
    towns = ctx.town_of_district
    with_5g = np.ones(towns.size, dtype=bool) if everywhere else (b.rng.random(towns.size) < 0.4)
    with_5g[ctx.district_of[ctx.capital]] = True
    rows = np.full(towns.size, -1, dtype=np.int64)
    for d in np.flatnonzero(with_5g):
        c = int(towns[d])
        x, y = b.jittered(ctx.centre_x[[c]], ctx.centre_y[[c]], np.array([c]), np.array([80.0]))
        when = int(b.date_between(PLAN_PERIOD_START, PERIOD_END, 1)[0])
        site = b.new_site(x[0], y[0], c, role="town5g", commissioned=when)
        site.grid_power = True
        ops = ["Viettel", "VNPT"] if b.rng.random() < 0.3 else ["Viettel"]
        azimuths = b.sector_azimuths()
        for op in ops:
            site.cells += b.radio(op, "4G", site.environment, azimuths)
        b.add_5g(site, "Viettel")
        rows[d] = len(b.sites) - 1
    chance = VIETTEL_5G_CHANCE.get(ctx.code, VIETTEL_5G_CHANCE_DEFAULT)
    for site in b.sites:
        town_viettel = site.role == "base" and site.environment != "rural" and "Viettel" in site.operators
        if town_viettel and b.rng.random() < chance:
            b.add_5g(site, "Viettel")
    for operator, count in TRIAL_5G_SITES.items():
        trial = [
            s for s in b.sites if s.role == "base" and s.commune == ctx.capital and operator in s.operators
        ]
        trial += [
            s
            for s in b.sites
            if s.role == "base" and s.environment == "urban" and operator in s.operators and s not in trial
        ]
        for site in trial[:count]:
            b.add_5g(site, operator)
    return rows


def viettel_5g_sites(sites: list[Site]) -> int:
    return sum(
        1
        for s in sites
        if s.status == "on_air" and any(c.operator == "Viettel" and c.tech == "5G" for c in s.cells)
    )


def _ensure_viettel_5g(b: SiteBuilder, minimum: int) -> None:
    """Top up Viettel 5G in towns until at least ``minimum`` sites carry it."""
    towns = [s for s in b.sites if s.status == "on_air" and s.environment != "rural" and s.role == "base"]
    order = b.rng.permutation(len(towns))
    for i in order:
        if viettel_5g_sites(b.sites) >= minimum:
            return
        site = towns[int(i)]
        if "Viettel" not in site.operators:
            site.cells += b.radio("Viettel", "4G", site.environment, b.sector_azimuths())
        b.add_5g(site, "Viettel")


def generate_sites(
    ctx: ProvinceContext,
    *,
    village_commune: IntArray,
    village_x: FloatArray,
    village_y: FloatArray,
    village_population: FloatArray,
    plan: GapPlan,
    dem: Dem,
    min_viettel_5g: int = 0,
    five_g_at_every_district: bool = False,
) -> SiteSet:
    """Sites and cells of one province that serve every village but the planned gaps.

    Parameters
    ----------
    ctx
        The province.
    dem
        The province's terrain (the terrain model checks the network on it).
    village_commune, village_x, village_y, village_population
        The villages (commune row, metric centre, population).
    plan
        Villages that must stay without mobile broadband.
    min_viettel_5g
        Minimum number of on-air sites with a Viettel 5G cell.
    five_g_at_every_district
        Put a Viettel 5G site at every district town (else the capital and some).
    """
    b = SiteBuilder(ctx, ctx.rng("sites"), NetworkCheck(dem, ctx.metric_crs))
    gaps = plan.mobile_rows()
    gx, gy = village_x[gaps], village_y[gaps]
    required = np.setdiff1d(np.arange(village_x.size), gaps)

    _base_sites(b, village_commune, village_x, village_y, village_population)
    town_rows = _town_5g(b, everywhere=five_g_at_every_district)
    town_sites = [b.sites[r] if r >= 0 else None for r in town_rows]
    _ensure_viettel_5g(b, min_viettel_5g + 4 if min_viettel_5g else 0)
    clear_gaps(b, gx, gy)
    planned_sites(b, plan, village_x, village_y, village_commune, required)
    rx = np.concatenate([village_x[required], ctx.centre_x])
    ry = np.concatenate([village_y[required], ctx.centre_y])
    fill_gaps(b, rx, ry, gx, gy)
    verify_network(b, plan, gx, gy, gaps)
    if viettel_5g_sites(b.sites) < min_viettel_5g:
        raise DemoGenerationError(f"province {ctx.code}: fewer than {min_viettel_5g} Viettel 5G sites")
    return _frames(b, town_sites)


def _frames(b: SiteBuilder, town_sites: list[Site | None]) -> SiteSet:
    ctx = b.ctx
    x = np.array([s.x for s in b.sites])
    y = np.array([s.y for s in b.sites])
    lon, lat = ctx.to_lonlat(x, y)
    located = ctx.locate(lon, lat)
    names = ctx.communes["commune_name"].to_numpy(dtype=object)
    site_rows: list[dict[str, object]] = []
    cell_rows: list[dict[str, object]] = []
    per_commune: dict[int, int] = {}
    index_of = {id(s): i for i, s in enumerate(b.sites)}
    for i, s in enumerate(b.sites):
        site_id = f"BTS-{ctx.code}-{i + 1:05d}"
        commune = int(located[i]) if located[i] >= 0 else s.commune
        per_commune[commune] = per_commune.get(commune, 0) + 1
        site_rows.append(
            {
                "site_id": site_id,
                "name": f"Trạm {short_name(str(names[commune]))} {per_commune[commune]:02d}",
                "owner": s.cells[0].operator,
                "status": s.status,
                "height_m": s.height_m,
                "has_grid_power": s.grid_power,
                "commissioned": date.fromordinal(s.commissioned).isoformat() if s.commissioned else None,
                "environment": s.environment,
                "source": "synthetic",
            }
        )
        counter: dict[tuple[str, str], int] = {}
        for cell in s.cells:
            key = (cell.operator, cell.tech)
            counter[key] = counter.get(key, 0) + 1
            cell_rows.append(
                {
                    "cell_id": f"{site_id}-{OPERATOR_CODE[cell.operator]}-{cell.tech}-{counter[key]}",
                    "site_id": site_id,
                    "operator": cell.operator,
                    "tech": cell.tech,
                    "band_mhz": cell.band_mhz,
                    "azimuth_deg": None if math.isnan(cell.azimuth_deg) else round(cell.azimuth_deg, 1),
                    "beamwidth_deg": cell.beamwidth_deg,
                    "eirp_dbm": cell.eirp_dbm,
                    "tilt_deg": cell.tilt_deg,
                    "status": s.status,
                    "range_m": None,
                    "source": "synthetic",
                }
            )
    sites = gpd.GeoDataFrame(site_rows, geometry=shapely.points(lon, lat), crs=STORAGE_CRS)
    cells = pd.DataFrame(cell_rows)
    town_rows = np.array(
        [index_of.get(id(s), -1) if s is not None else -1 for s in town_sites], dtype=np.int64
    )
    return SiteSet(sites=sites, cells=cells, town_5g_site=town_rows, x_m=x, y_m=y)
