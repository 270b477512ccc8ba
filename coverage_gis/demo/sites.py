"""Synthetic BTS sites and cells of the four Vietnamese operators.

Owns the radio network of the demo: how many sites each commune gets (dense in
phường and thị trấn, sparse in rural and mountain communes), who operates them
(Viettel, VNPT, MobiFone, Vietnamobile; a share of masts carries two or three, more
often among those commissioned 2023–2025), their cells (3-sector at 0/120/240° ± a
few degrees with 65° beams in towns, omni cells in much of the countryside; 2G/3G/4G
with 4G nearly everywhere; 5G in towns), heights, EIRP, commissioning dates and a few
planned sites.

Bands follow Vietnam's band plan (:data:`BAND_PLAN`): GSM on 900 (and 1800 in towns),
UMTS on 2100, LTE on 900/1800/2100 MHz, Viettel's 700 MHz (auctioned 2025) for rural
LTE reach, and 5G where each operator holds it: Viettel 2500–2600 MHz, VNPT
3700–3800 MHz, MobiFone 3800–3900 MHz, with massive-MIMO EIRP. Each cell radiates its
band's reference EIRP (:mod:`coverage_gis.models.reference`) within ±1.5 dB.

The network is then made to honour the deliberate gaps under every coverage model the
toolkit ships (radius, pathloss, terrain on the demo's own DEM; see
:mod:`coverage_gis.demo._coverage_check`): no cell on air reaches a village chosen to
lack mobile broadband (with a margin), and every other village and commune office is
served, by gap-filler sites placed where they cannot reach a gap.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from coverage_gis.crs import STORAGE_CRS
from coverage_gis.demo._context import ProvinceContext
from coverage_gis.demo._coverage_check import BROADBAND, NetworkCheck
from coverage_gis.demo.gaps import SITE_CLEARANCE_FACTOR, GapPlan
from coverage_gis.errors import CoverageGISError
from coverage_gis.models.antenna import sector_bisectors
from coverage_gis.models.base import CellArrays, FloatArray, IntArray
from coverage_gis.models.reference import reference_radio
from coverage_gis.terrain.dem import Dem
from coverage_gis.vocabulary import NAMED_OPERATORS

#: The operators the demo builds for (every named operator of the schema).
OPERATORS: tuple[str, ...] = NAMED_OPERATORS
OPERATOR_CODE: dict[str, str] = {"Viettel": "VTL", "VNPT": "VNP", "MobiFone": "MBF", "Vietnamobile": "VNM"}
#: Rough market shares, the odds that an operator owns a new mast.
OPERATOR_WEIGHTS = np.array([0.42, 0.27, 0.21, 0.10])

#: People per site: phường, thị trấn; rural communes add one site per area below.
PEOPLE_PER_SITE = {"urban": 1500.0, "suburban": 2000.0, "rural": 3000.0}
RURAL_KM2_PER_SITE = 60.0
#: Chance that a mast is shared, before 2023 and 2023–2025 (plan period).
SHARE_CHANCE_BEFORE_2023 = 0.16
SHARE_CHANCE_SINCE_2023 = 0.34
#: Chance that a Viettel town site carries 5G (Bình Định: "more than 70" 5G sites).
VIETTEL_5G_CHANCE = {"52": 0.55}
VIETTEL_5G_CHANCE_DEFAULT = 0.3
#: 5G trial sites of VNPT and MobiFone in the towns (their n77 licences, 2025).
TRIAL_5G_SITES = {"VNPT": 3, "MobiFone": 2}
#: Share of sites still planned (not on air).
PLANNED_SHARE = 0.015

#: Vietnam's band plan as the demo uses it, MHz: GSM 900 (1800 also in towns), UMTS
#: 2100, LTE 900/1800 in the countryside and 1800/2100 in towns, and each operator's
#: 5G block (centre frequency): Viettel 2500–2600, VNPT 3700–3800, MobiFone 3800–3900.
BAND_PLAN: dict[str, tuple[float, ...]] = {
    "2G rural": (900.0,),
    "2G town": (900.0, 1800.0),
    "3G": (2100.0,),
    "4G rural": (900.0, 1800.0),
    "4G town": (1800.0, 2100.0),
}
NR_BAND_MHZ: dict[str, float] = {"Viettel": 2550.0, "VNPT": 3750.0, "MobiFone": 3850.0}
#: Viettel's 700 MHz block (2025 auction): an LTE layer on this share of its rural
#: masts, and on its rural gap fillers, for reach.
VIETTEL_700_MHZ = 700.0
VIETTEL_700_RURAL_SHARE = 0.35
#: Cells radiate their band's reference EIRP within this many dB.
EIRP_SPREAD_DB = 1.5
#: Sector azimuths deviate this much from 0/120/240° (a layout with even neighbours).
SECTOR_JITTER_DEG = 5.0

#: Where a filler may stand around the receiver it serves: rings (metres) × directions.
FILLER_RINGS_M = (800.0, 1400.0, 2000.0, 2600.0, 3200.0, 3800.0)
FILLER_DIRECTIONS = 16

PERIOD_START = date(2020, 1, 1).toordinal()
PLAN_PERIOD_START = date(2023, 1, 1).toordinal()
PERIOD_END = date(2025, 6, 30).toordinal()


class DemoGenerationError(CoverageGISError):
    """The generator could not honour one of its own guarantees (a bug to report)."""


@dataclass
class _Cell:
    operator: str
    tech: str
    band_mhz: float
    azimuth_deg: float  # NaN = omni
    beamwidth_deg: float
    eirp_dbm: float
    tilt_deg: float


@dataclass
class _Site:
    x: float
    y: float
    commune: int
    environment: str
    status: str
    commissioned: int | None
    height_m: float
    grid_power: bool
    role: str
    cells: list[_Cell] = field(default_factory=list)

    @property
    def operators(self) -> list[str]:
        return sorted({c.operator for c in self.cells}, key=OPERATORS.index)


@dataclass(frozen=True)
class SiteSet:
    """Sites and cells of one province, plus what other generators reuse."""

    sites: gpd.GeoDataFrame
    cells: pd.DataFrame
    #: Row of the Viettel 5G site at each district town (``-1`` where none).
    town_5g_site: IntArray
    x_m: FloatArray
    y_m: FloatArray


def _short_name(commune_name: str) -> str:
    for prefix in ("Phường ", "Thị trấn ", "Xã "):
        if commune_name.startswith(prefix):
            return commune_name[len(prefix) :]
    return commune_name


class _Builder:
    """Mutable network under construction (lists of small records: a province has
    at most a few thousand sites, so clarity beats vectorising the bookkeeping)."""

    def __init__(self, ctx: ProvinceContext, rng: np.random.Generator, check: NetworkCheck) -> None:
        self.ctx = ctx
        self.rng = rng
        self.check = check
        self.sites: list[_Site] = []
        #: After :func:`_fill`: ``(models, receivers)``, which model serves each required receiver.
        self.required_served = np.zeros((0, 0), dtype=bool)

    # -- placement ----------------------------------------------------------------
    def locate_metric(self, x: FloatArray, y: FloatArray) -> IntArray:
        lon, lat = self.ctx.to_lonlat(x, y)
        return self.ctx.locate(lon, lat)

    def jittered(
        self, x: FloatArray, y: FloatArray, commune: IntArray, spread_m: FloatArray
    ) -> tuple[FloatArray, FloatArray]:
        """Points near (x, y) that stay in their commune (else the anchor itself)."""
        angle = self.rng.uniform(0.0, 2.0 * math.pi, x.size)
        dist = spread_m * np.sqrt(self.rng.random(x.size))
        jx, jy = x + dist * np.sin(angle), y + dist * np.cos(angle)
        ok = self.locate_metric(jx, jy) == commune
        return np.where(ok, jx, x), np.where(ok, jy, y)

    def date_between(self, start: int, end: int, size: int) -> IntArray:
        return self.rng.integers(start, end + 1, size).astype(np.int64)

    # -- operators and cells ------------------------------------------------------
    def pick_operators(self, commissioned: int, primary: str | None = None) -> list[str]:
        ops = [primary] if primary else [OPERATORS[int(self.rng.choice(4, p=OPERATOR_WEIGHTS))]]
        chance = SHARE_CHANCE_SINCE_2023 if commissioned >= PLAN_PERIOD_START else SHARE_CHANCE_BEFORE_2023
        if self.rng.random() < chance:
            extra = 1 if self.rng.random() < 0.8 else 2
            rest = [i for i, op in enumerate(OPERATORS) if op not in ops]
            weights = OPERATOR_WEIGHTS[rest] / OPERATOR_WEIGHTS[rest].sum()
            for i in self.rng.choice(rest, size=extra, replace=False, p=weights):
                ops.append(OPERATORS[int(i)])
        return ops

    def sector_azimuths(self) -> list[float]:
        jitter = self.rng.uniform(-SECTOR_JITTER_DEG, SECTOR_JITTER_DEG, 3)
        return [
            round(float(np.mod(a + j, 360.0)), 1) for a, j in zip((0.0, 120.0, 240.0), jitter, strict=True)
        ]

    def band(self, operator: str, tech: str, environment: str) -> float:
        """A band of the band plan for this operator, technology and place."""
        if tech == "5G":
            return NR_BAND_MHZ.get(operator, NR_BAND_MHZ["Viettel"])
        if tech == "3G":
            return BAND_PLAN["3G"][0]
        where = "rural" if environment == "rural" else "town"
        choices = BAND_PLAN[f"{tech} {where}"]
        weights = (0.5, 0.5) if tech == "4G" and where == "rural" else (0.6, 0.4)
        return float(self.rng.choice(choices, p=weights[: len(choices)] if len(choices) > 1 else None))

    def radio(
        self,
        operator: str,
        tech: str,
        environment: str,
        azimuths: list[float] | None,
        *,
        band: float | None = None,
    ) -> list[_Cell]:
        """Cells of one technology of one operator on one band: one per sector, or one omni."""
        band_mhz = self.band(operator, tech, environment) if band is None else band
        reference = reference_radio(tech, band_mhz).eirp_dbm
        tilt_low, tilt_high = (2.0, 5.0) if environment == "rural" else (4.0, 8.0)
        out = []
        for az in azimuths if azimuths is not None else [math.nan]:
            eirp = reference + float(self.rng.uniform(-EIRP_SPREAD_DB, EIRP_SPREAD_DB))
            out.append(
                _Cell(
                    operator=operator,
                    tech=tech,
                    band_mhz=band_mhz,
                    azimuth_deg=az,
                    beamwidth_deg=65.0 if azimuths is not None else 360.0,
                    eirp_dbm=round(eirp * 2) / 2,
                    tilt_deg=round(float(self.rng.uniform(tilt_low, tilt_high)), 1),
                )
            )
        return out

    def equip(self, site: _Site, operators: list[str], *, omni: bool) -> None:
        """Give each operator its technologies on the site."""
        azimuths = None if omni else self.sector_azimuths()
        for op in operators:
            p2g = 0.35 if site.environment == "urban" else 0.6
            techs = [t for t, p in (("2G", p2g), ("3G", 0.45), ("4G", 0.96)) if self.rng.random() < p]
            if not any(t in BROADBAND for t in techs) and self.rng.random() < 0.7:
                techs.append("4G")
            if not techs:
                techs = ["2G"]
            for tech in techs:
                site.cells += self.radio(op, tech, site.environment, azimuths)
            rural_viettel = op == "Viettel" and site.environment == "rural"
            if rural_viettel and self.rng.random() < VIETTEL_700_RURAL_SHARE:
                site.cells += self.radio(op, "4G", site.environment, azimuths, band=VIETTEL_700_MHZ)

    def add_5g(self, site: _Site, operator: str) -> None:
        if any(c.operator == operator and c.tech == "5G" for c in site.cells):
            return
        site.cells += self.radio(operator, "5G", site.environment, self.sector_azimuths())

    def new_site(
        self,
        x: float,
        y: float,
        commune: int,
        *,
        role: str,
        commissioned: int | None,
        status: str = "on_air",
        height_m: float | None = None,
    ) -> _Site:
        env = str(self.ctx.environment[commune])
        height = mast_height_m(env, float(self.rng.random())) if height_m is None else height_m
        site = _Site(
            x=float(x),
            y=float(y),
            commune=int(commune),
            environment=env,
            status=status,
            commissioned=commissioned,
            height_m=round(height, 1),
            grid_power=bool(self.rng.random() < (0.97 if env != "rural" else 0.9)),
            role=role,
        )
        self.sites.append(site)
        return site

    # -- checks -------------------------------------------------------------------
    def cell_arrays(self, sites: list[_Site], *, broadband_only: bool) -> tuple[CellArrays, IntArray]:
        """The cells of ``sites`` as the models see them, and each cell's index in ``sites``.

        A site's layers (operator, technology, band) give each sector its bisectors, as
        :func:`coverage_gis.network.cell_table` does for a workspace.
        """
        rows = [
            (i, s, c)
            for i, s in enumerate(sites)
            for c in s.cells
            if not broadband_only or c.tech in BROADBAND
        ]
        owner = np.array([i for i, _, _ in rows], dtype=np.int64)
        az = np.array([c.azimuth_deg for _, _, c in rows], dtype=np.float64)
        bw = np.array([c.beamwidth_deg for _, _, c in rows], dtype=np.float64)
        tech = np.array([c.tech for _, _, c in rows], dtype="<U8")
        band = np.array([c.band_mhz for _, _, c in rows], dtype=np.float64)
        layer = np.array([f"{i}|{c.operator}|{c.tech}|{c.band_mhz}" for i, _, c in rows], dtype=str)
        cw, ccw = sector_bisectors(layer, az, bw)
        arrays = CellArrays(
            x_m=np.array([s.x for _, s, _ in rows], dtype=np.float64),
            y_m=np.array([s.y for _, s, _ in rows], dtype=np.float64),
            tech=tech,
            band_mhz=band,
            azimuth_deg=az,
            beamwidth_deg=bw,
            eirp_dbm=np.array([c.eirp_dbm for _, _, c in rows], dtype=np.float64),
            tilt_deg=np.array([c.tilt_deg for _, _, c in rows], dtype=np.float64),
            height_m=np.array([s.height_m for _, s, _ in rows], dtype=np.float64),
            environment=np.array([s.environment for _, s, _ in rows], dtype="<U8"),
            bisector_cw_deg=cw,
            bisector_ccw_deg=ccw,
        )
        return arrays, owner

    def on_air(self) -> list[_Site]:
        return [s for s in self.sites if s.status == "on_air"]


def mast_height_m(environment: str, u: float) -> float:
    """Mast height for a uniform draw ``u`` in [0, 1): 20–35 m in towns, 28–45 m in the countryside."""
    low, high = (28.0, 45.0) if environment == "rural" else (20.0, 35.0)
    return round(low + u * (high - low), 1)


def _base_sites(
    b: _Builder, villages_commune: IntArray, vx: FloatArray, vy: FloatArray, vpop: FloatArray
) -> None:
    ctx = b.ctx
    pop = ctx.communes["pop_2009"].to_numpy(dtype=np.float64)
    per_site = np.array([PEOPLE_PER_SITE[e] for e in ctx.environment])
    rural = ctx.environment == "rural"
    counts = np.rint(pop / per_site + np.where(rural, ctx.area_km2 / RURAL_KM2_PER_SITE, 0.0)).astype(
        np.int64
    )
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


def _town_5g(b: _Builder, *, everywhere: bool) -> IntArray:
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


def viettel_5g_sites(sites: list[_Site]) -> int:
    return sum(
        1
        for s in sites
        if s.status == "on_air" and any(c.operator == "Viettel" and c.tech == "5G" for c in s.cells)
    )


def _ensure_viettel_5g(b: _Builder, minimum: int) -> None:
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


def _clear_gaps(b: _Builder, gx: FloatArray, gy: FloatArray) -> None:
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


def _probe(x: float, y: float, environment: str, height_m: float, cells: list[_Cell]) -> _Site:
    """A site that is only tried (never added to the network)."""
    return _Site(x, y, 0, environment, "on_air", None, height_m, True, "probe", cells)


def _nearest_gap_m(x: FloatArray, y: FloatArray, gx: FloatArray, gy: FloatArray) -> FloatArray:
    if gx.size == 0:
        return np.full(np.asarray(x).shape, np.inf)
    d, _ = cKDTree(np.column_stack([gx, gy])).query(np.column_stack([x, y]), k=1)
    return np.asarray(d, dtype=np.float64)


def _serves_everywhere(b: _Builder, x: float, y: float, cells: CellArrays) -> NDArray[np.bool_]:
    """Which of ``cells`` (one each, or any) serve the point under every checked model."""
    return np.asarray(b.check.serving_cells(x, y, cells).all(axis=0), dtype=bool)


def _planned_sites(
    b: _Builder, plan: GapPlan, vx: FloatArray, vy: FloatArray, vcommune: IntArray, required: IntArray
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


def _place_filler(b: _Builder, rx: float, ry: float, gx: FloatArray, gy: FloatArray) -> _Site:
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
        lead: list[_Cell] = []
        sites: list[_Site] = []
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


def _add_filler_partners(b: _Builder, site: _Site, d_gap_m: float) -> None:
    """VNPT and MobiFone LTE on some fillers, and a 2G layer, each only where it reaches no gap."""
    extra: list[_Cell] = []
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


def _fill(b: _Builder, rx: FloatArray, ry: FloatArray, gx: FloatArray, gy: FloatArray) -> None:
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


def _verify(b: _Builder, plan: GapPlan, gx: FloatArray, gy: FloatArray, gap_rows: IntArray) -> None:
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
    b = _Builder(ctx, ctx.rng("sites"), NetworkCheck(dem, ctx.metric_crs))
    gaps = plan.mobile_rows()
    gx, gy = village_x[gaps], village_y[gaps]
    required = np.setdiff1d(np.arange(village_x.size), gaps)

    _base_sites(b, village_commune, village_x, village_y, village_population)
    town_rows = _town_5g(b, everywhere=five_g_at_every_district)
    town_sites = [b.sites[r] if r >= 0 else None for r in town_rows]
    _ensure_viettel_5g(b, min_viettel_5g + 4 if min_viettel_5g else 0)
    _clear_gaps(b, gx, gy)
    _planned_sites(b, plan, village_x, village_y, village_commune, required)
    rx = np.concatenate([village_x[required], ctx.centre_x])
    ry = np.concatenate([village_y[required], ctx.centre_y])
    _fill(b, rx, ry, gx, gy)
    _verify(b, plan, gx, gy, gaps)
    if viettel_5g_sites(b.sites) < min_viettel_5g:
        raise DemoGenerationError(f"province {ctx.code}: fewer than {min_viettel_5g} Viettel 5G sites")
    return _frames(b, town_sites)


def _frames(b: _Builder, town_sites: list[_Site | None]) -> SiteSet:
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
                "name": f"Trạm {_short_name(str(names[commune]))} {per_commune[commune]:02d}",
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
