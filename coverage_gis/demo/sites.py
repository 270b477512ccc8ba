"""Synthetic BTS sites and cells of the four Vietnamese operators.

Owns the radio network of the demo: how many sites each commune gets (dense in
phường and thị trấn, sparse in rural and mountain communes), who operates them
(Viettel, VNPT, MobiFone, Vietnamobile; a share of masts carries two or three, more
often among those commissioned 2023–2025), their cells (3-sector at 0/120/240° ± a
few degrees with 65° beams in towns, omni cells in much of the countryside; 2G/3G/4G
with 4G nearly everywhere; 5G only in towns, for Viettel, plus a few VNPT trial
sites), heights, EIRP, commissioning dates and a few planned sites.

The network is then made to honour the deliberate gaps: nothing on air reaches a
village chosen to lack mobile broadband (with a margin), and every other village and
commune office is served under the radius rule, by gap-filler sites placed where
they cannot reach a gap (:mod:`coverage_gis.demo._coverage_check`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from coverage_gis.crs import STORAGE_CRS
from coverage_gis.demo._context import ProvinceContext
from coverage_gis.demo._coverage_check import BROADBAND, Radiators, radius_table, served
from coverage_gis.demo.gaps import SITE_CLEARANCE_FACTOR, GapPlan
from coverage_gis.errors import CoverageGISError
from coverage_gis.models.base import FloatArray, IntArray
from coverage_gis.vocabulary import NAMED_OPERATORS

#: The operators the demo builds for (every named operator of the schema).
OPERATORS: tuple[str, ...] = NAMED_OPERATORS
OPERATOR_CODE: dict[str, str] = {"Viettel": "VTL", "VNPT": "VNP", "MobiFone": "MBF", "Vietnamobile": "VNM"}
#: Rough market shares, the odds that an operator owns a new mast.
OPERATOR_WEIGHTS = np.array([0.42, 0.27, 0.21, 0.10])

#: People per site: phường, thị trấn; rural communes add one site per area below.
PEOPLE_PER_SITE = {"urban": 1500.0, "suburban": 2000.0, "rural": 3000.0}
RURAL_KM2_PER_SITE = 60.0
#: The one technology of an operator on a base mast at a single-layer density.
SINGLE_LAYER_TECHS = ("2G", "3G", "4G")
SINGLE_LAYER_ODDS = (0.08, 0.07, 0.85)
#: Chance that a mast is shared, before 2023 and 2023–2025 (plan period).
SHARE_CHANCE_BEFORE_2023 = 0.16
SHARE_CHANCE_SINCE_2023 = 0.34
#: Chance that a Viettel town site carries 5G (Bình Định: "more than 70" 5G sites).
VIETTEL_5G_CHANCE = {"52": 0.55}
VIETTEL_5G_CHANCE_DEFAULT = 0.3
VNPT_5G_TRIAL_SITES = 3
#: Share of sites still planned (not on air).
PLANNED_SHARE = 0.015

#: Margins that keep the guarantees valid in any UTM zone and against rounding.
COVER_RADIUS_FACTOR = 0.97
COVER_BEAM_MARGIN_DEG = 2.0
FILLER_REACH_FACTOR = 0.9
#: Where a filler may stand around the receiver it serves: rings (metres) × directions.
FILLER_RINGS_M = (800.0, 1400.0, 2000.0, 2600.0, 3200.0, 3800.0, 4400.0)
FILLER_DIRECTIONS = 16
#: A sector filler stands this far in front of its receiver.
SECTOR_FILLER_OFFSET_M = 250.0
#: A gap must lie this far outside every beam edge (the sector test's margin).
GAP_BEAM_MARGIN_DEG = 10.0

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

    def __init__(self, ctx: ProvinceContext, rng: np.random.Generator) -> None:
        self.ctx = ctx
        self.rng = rng
        self.sites: list[_Site] = []
        self.radii = radius_table()

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
        jitter = self.rng.uniform(-12.0, 12.0, 3)
        return [float(np.mod(a + j, 360.0)) for a, j in zip((0.0, 120.0, 240.0), jitter, strict=True)]

    def radio(self, operator: str, tech: str, environment: str, azimuths: list[float] | None) -> list[_Cell]:
        """Cells of one technology of one operator: one per sector, or one omni."""
        rural = environment == "rural"
        if tech == "2G":
            band = 900.0 if rural or self.rng.random() < 0.5 else 1800.0
        elif tech == "3G":
            band = 2100.0
        elif tech == "4G":
            band = float(self.rng.choice([1800.0, 900.0] if rural else [1800.0, 2600.0], p=[0.6, 0.4]))
        else:
            band = 2600.0 if operator == "Viettel" else 3500.0
        tilt_low, tilt_high = (2.0, 5.0) if rural else (4.0, 8.0)
        out = []
        for az in azimuths if azimuths is not None else [math.nan]:
            out.append(
                _Cell(
                    operator=operator,
                    tech=tech,
                    band_mhz=band,
                    azimuth_deg=az,
                    beamwidth_deg=65.0 if azimuths is not None else 360.0,
                    eirp_dbm=round(float(self.rng.uniform(55.0, 65.0)) * 2) / 2,
                    tilt_deg=round(float(self.rng.uniform(tilt_low, tilt_high)), 1),
                )
            )
        return out

    def equip(self, site: _Site, operators: list[str], *, omni: bool) -> None:
        """Give each operator its technologies on the site."""
        azimuths = None if omni else self.sector_azimuths()
        for op in operators:
            if self.ctx.density.single_layer:
                tech = str(self.rng.choice(SINGLE_LAYER_TECHS, p=SINGLE_LAYER_ODDS))
                site.cells += self.radio(op, tech, site.environment, azimuths)
                continue
            p2g = 0.35 if site.environment == "urban" else 0.6
            techs = [t for t, p in (("2G", p2g), ("3G", 0.45), ("4G", 0.96)) if self.rng.random() < p]
            if not any(t in BROADBAND for t in techs) and self.rng.random() < 0.7:
                techs.append("4G")
            if not techs:
                techs = ["2G"]
            for tech in techs:
                site.cells += self.radio(op, tech, site.environment, azimuths)

    def add_5g(self, site: _Site, operator: str) -> None:
        if any(c.operator == operator and c.tech == "5G" for c in site.cells):
            return
        site.cells += self.radio(operator, "5G", site.environment, self.sector_azimuths())

    def new_site(
        self, x: float, y: float, commune: int, *, role: str, commissioned: int | None, status: str = "on_air"
    ) -> _Site:
        env = str(self.ctx.environment[commune])
        height = float(self.rng.uniform(20.0, 35.0) if env != "rural" else self.rng.uniform(28.0, 45.0))
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
    def radiators(self, *, broadband_only: bool, on_air: bool = True) -> Radiators:
        xs, ys, techs, envs, az, bw = [], [], [], [], [], []
        for s in self.sites:
            if (s.status == "on_air") != on_air:
                continue
            for c in s.cells:
                if broadband_only and c.tech not in BROADBAND:
                    continue
                xs.append(s.x)
                ys.append(s.y)
                techs.append(c.tech)
                envs.append(s.environment)
                az.append(c.azimuth_deg)
                bw.append(c.beamwidth_deg)
        radius = self.radii.radius(np.array(techs, dtype=str), np.array(envs, dtype=str))
        return Radiators(np.array(xs), np.array(ys), radius, np.array(az), np.array(bw))


def _base_sites(
    b: _Builder, villages_commune: IntArray, vx: FloatArray, vy: FloatArray, vpop: FloatArray
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
    trial = [s for s in b.sites if s.role == "base" and s.commune == ctx.capital and "VNPT" in s.operators]
    trial += [
        s
        for s in b.sites
        if s.role == "base" and s.environment == "urban" and "VNPT" in s.operators and s not in trial
    ]
    for site in trial[:VNPT_5G_TRIAL_SITES]:
        b.add_5g(site, "VNPT")
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
    """Drop every on-air cell whose (enlarged) radius reaches a mobile gap, then empty sites."""
    if gx.size == 0:
        return
    for site in b.sites:
        if site.status != "on_air":
            continue
        d = float(np.min(np.hypot(gx - site.x, gy - site.y)))
        keep = []
        for cell in site.cells:
            reach = b.radii.get(cell.tech, site.environment) * SITE_CLEARANCE_FACTOR
            if d > reach:
                keep.append(cell)
        site.cells = keep
    b.sites = [s for s in b.sites if s.cells]


def _planned_sites(
    b: _Builder, plan: GapPlan, vx: FloatArray, vy: FloatArray, vcommune: IntArray, required: IntArray
) -> None:
    """Sites not yet on air: one near each gap whose cause is a planned site, a few elsewhere."""
    ctx = b.ctx
    other_gaps = np.array(
        [r for r, c in plan.mobile.items() if c != "planned_site_not_on_air"], dtype=np.int64
    )
    far_reach = b.radii.max_broadband_m * SITE_CLEARANCE_FACTOR
    for row in plan.rows_with_cause("planned_site_not_on_air"):
        for _ in range(50):
            ang = b.rng.uniform(0.0, 2.0 * math.pi)
            dist = b.rng.uniform(500.0, 900.0)
            x, y = vx[row] + dist * math.sin(ang), vy[row] + dist * math.cos(ang)
            c = int(b.locate_metric(np.array([x]), np.array([y]))[0])
            if c >= 0:
                break
        else:
            x, y, c = float(vx[row]), float(vy[row]), int(vcommune[row])
        site = b.new_site(x, y, c, role="planned", commissioned=None, status="planned")
        for op in ["Viettel"] if b.rng.random() < 0.6 else ["Viettel", "VNPT"]:
            site.cells += b.radio(op, "4G", site.environment, None)
    n_extra = max(2, round(PLANNED_SHARE * len(b.sites)))
    pool = required[ctx.environment[vcommune[required]] == "rural"]
    if other_gaps.size:
        d = np.min(
            np.hypot(vx[pool, None] - vx[other_gaps][None, :], vy[pool, None] - vy[other_gaps][None, :]),
            axis=1,
        )
        pool = pool[d > far_reach + 1500.0]
    for row in b.rng.choice(pool, size=min(n_extra, pool.size), replace=False):
        x, y = b.jittered(vx[[row]], vy[[row]], vcommune[[row]], np.array([1000.0]))
        site = b.new_site(x[0], y[0], int(vcommune[row]), role="planned", commissioned=None, status="planned")
        site.cells += b.radio("Viettel" if b.rng.random() < 0.5 else "VNPT", "4G", site.environment, None)


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


def _sector_filler(b: _Builder, rx: float, ry: float, gx: FloatArray, gy: FloatArray) -> bool:
    """A one-sector site just in front of a receiver, its beam turned away from the gaps.

    The fallback where no omni site fits (a receiver near a gap, with the border on its
    far side): the mast stands a little toward the nearest gap and looks back at the
    receiver, so the gap lies behind the antenna.
    """
    k = int(np.argmin(np.hypot(gx - rx, gy - ry)))
    d = math.hypot(rx - gx[k], ry - gy[k])
    ux, uy = (rx - gx[k]) / d, (ry - gy[k]) / d
    sx, sy = rx - SECTOR_FILLER_OFFSET_M * ux, ry - SECTOR_FILLER_OFFSET_M * uy
    commune = int(b.locate_metric(np.array([sx]), np.array([sy]))[0])
    if commune < 0:
        return False
    azimuth = float(np.mod(math.degrees(math.atan2(ux, uy)), 360.0))
    env = str(b.ctx.environment[commune])
    reach = b.radii.get("4G", env) * SITE_CLEARANCE_FACTOR
    bearing = np.degrees(np.arctan2(gx - sx, gy - sy))
    offset = np.abs(np.mod(bearing - azimuth + 180.0, 360.0) - 180.0)
    blocked = (np.hypot(gx - sx, gy - sy) <= reach) & (offset <= 32.5 + GAP_BEAM_MARGIN_DEG)
    if blocked.any():
        return False
    when = int(b.date_between(PLAN_PERIOD_START, PERIOD_END, 1)[0])
    site = b.new_site(sx, sy, commune, role="filler", commissioned=when)
    site.cells += b.radio("Viettel", "4G", env, [azimuth])
    return True


def _fill(b: _Builder, rx: FloatArray, ry: FloatArray, gx: FloatArray, gy: FloatArray) -> None:
    """Add gap-filler sites until every required receiver is served (with margin)."""
    covered = served(
        rx,
        ry,
        b.radiators(broadband_only=True),
        radius_factor=COVER_RADIUS_FACTOR,
        beam_margin_deg=COVER_BEAM_MARGIN_DEG,
    )
    gap_reach_bb = b.radii.max_broadband_m * SITE_CLEARANCE_FACTOR
    for i in np.flatnonzero(~covered):
        if covered[i]:
            continue
        cx, cy = _candidates(float(rx[i]), float(ry[i]), float(b.rng.uniform(0.0, 2.0 * math.pi)))
        commune = b.locate_metric(cx, cy)
        env = np.where(commune >= 0, b.ctx.environment[np.maximum(commune, 0)], "rural")
        reach = b.radii.radius(np.full(cx.size, "4G"), env) * FILLER_REACH_FACTOR
        ok = (commune >= 0) & (np.hypot(cx - rx[i], cy - ry[i]) <= reach)
        if gx.size:
            d_gap = np.min(np.hypot(cx[:, None] - gx[None, :], cy[:, None] - gy[None, :]), axis=1)
            ok &= d_gap > gap_reach_bb
        if not ok.any():
            if gx.size and _sector_filler(b, float(rx[i]), float(ry[i]), gx, gy):
                covered[i] = True
                continue
            raise DemoGenerationError(
                f"province {b.ctx.code}: no place for a site serving receiver {i} outside the gaps' reach"
            )
        j = int(np.argmax(ok))
        when = int(b.date_between(PLAN_PERIOD_START, PERIOD_END, 1)[0])
        site = b.new_site(cx[j], cy[j], int(commune[j]), role="filler", commissioned=when)
        ops = ["Viettel"]
        if b.rng.random() < 0.45:
            ops.append("VNPT")
        if b.rng.random() < 0.1:
            ops.append("MobiFone")
        d_gap_site = float(np.min(np.hypot(gx - cx[j], gy - cy[j]))) if gx.size else math.inf
        with_2g = d_gap_site > b.radii.get("2G", site.environment) * SITE_CLEARANCE_FACTOR
        for op in ops:
            site.cells += b.radio(op, "4G", site.environment, None)
            if with_2g and b.rng.random() < 0.5:
                site.cells += b.radio(op, "2G", site.environment, None)
        near = np.hypot(rx - cx[j], ry - cy[j]) <= b.radii.get("4G", site.environment) * COVER_RADIUS_FACTOR
        covered |= near


def _verify(b: _Builder, rx: FloatArray, ry: FloatArray, gx: FloatArray, gy: FloatArray) -> None:
    bb = b.radiators(broadband_only=True)
    missing = ~served(rx, ry, bb, radius_factor=COVER_RADIUS_FACTOR, beam_margin_deg=COVER_BEAM_MARGIN_DEG)
    if missing.any():
        raise DemoGenerationError(
            f"province {b.ctx.code}: {int(missing.sum())} required receivers left unserved"
        )
    if gx.size:
        hit = served(
            gx,
            gy,
            b.radiators(broadband_only=False),
            radius_factor=SITE_CLEARANCE_FACTOR,
            beam_margin_deg=-GAP_BEAM_MARGIN_DEG,
        )
        if hit.any():
            raise DemoGenerationError(
                f"province {b.ctx.code}: a deliberate mobile gap is within reach of a cell"
            )


def generate_sites(
    ctx: ProvinceContext,
    *,
    village_commune: IntArray,
    village_x: FloatArray,
    village_y: FloatArray,
    village_population: FloatArray,
    plan: GapPlan,
    min_viettel_5g: int = 0,
    five_g_at_every_district: bool = False,
) -> SiteSet:
    """Sites and cells of one province that serve every village but the planned gaps.

    Parameters
    ----------
    ctx
        The province.
    village_commune, village_x, village_y, village_population
        The villages (commune row, metric centre, population).
    plan
        Villages that must stay without mobile broadband.
    min_viettel_5g
        Minimum number of on-air sites with a Viettel 5G cell.
    five_g_at_every_district
        Put a Viettel 5G site at every district town (else the capital and some).
    """
    b = _Builder(ctx, ctx.rng("sites"))
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
    _verify(b, rx, ry, gx, gy)
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
