"""The demo's radio network while it is built: its sites and cells as small records, the
builder that places them (bands, EIRP, sectors, heights, commissioning dates) and the
constants of Vietnam's networks the demo follows (operators and their shares, band
plan, densities). :mod:`coverage_gis.demo.sites` drives it; :mod:`coverage_gis.demo._site_fill`
makes it honour the deliberate gaps.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from coverage_gis.demo._context import ProvinceContext
from coverage_gis.demo._coverage_check import BROADBAND, NetworkCheck
from coverage_gis.errors import CoverageGISError
from coverage_gis.models.antenna import sector_bisectors
from coverage_gis.models.base import CellArrays, FloatArray, IntArray
from coverage_gis.models.reference import reference_radio
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
class Cell:
    operator: str
    tech: str
    band_mhz: float
    azimuth_deg: float  # NaN = omni
    beamwidth_deg: float
    eirp_dbm: float
    tilt_deg: float


@dataclass
class Site:
    x: float
    y: float
    commune: int
    environment: str
    status: str
    commissioned: int | None
    height_m: float
    grid_power: bool
    role: str
    cells: list[Cell] = field(default_factory=list)

    @property
    def operators(self) -> list[str]:
        return sorted({c.operator for c in self.cells}, key=OPERATORS.index)


def short_name(commune_name: str) -> str:
    for prefix in ("Phường ", "Thị trấn ", "Xã "):
        if commune_name.startswith(prefix):
            return commune_name[len(prefix) :]
    return commune_name


class SiteBuilder:
    """Mutable network under construction (lists of small records: a province has
    at most a few thousand sites, so clarity beats vectorising the bookkeeping)."""

    def __init__(self, ctx: ProvinceContext, rng: np.random.Generator, check: NetworkCheck) -> None:
        self.ctx = ctx
        self.rng = rng
        self.check = check
        self.sites: list[Site] = []
        #: After :func:`fill_gaps`: ``(models, receivers)``, which model serves each required receiver.
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
    ) -> list[Cell]:
        """Cells of one technology of one operator on one band: one per sector, or one omni."""
        band_mhz = self.band(operator, tech, environment) if band is None else band
        reference = reference_radio(tech, band_mhz).eirp_dbm
        tilt_low, tilt_high = (2.0, 5.0) if environment == "rural" else (4.0, 8.0)
        out = []
        for az in azimuths if azimuths is not None else [math.nan]:
            eirp = reference + float(self.rng.uniform(-EIRP_SPREAD_DB, EIRP_SPREAD_DB))
            out.append(
                Cell(
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

    def equip(self, site: Site, operators: list[str], *, omni: bool) -> None:
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
            rural_viettel = op == "Viettel" and site.environment == "rural"
            if rural_viettel and self.rng.random() < VIETTEL_700_RURAL_SHARE:
                site.cells += self.radio(op, "4G", site.environment, azimuths, band=VIETTEL_700_MHZ)

    def add_5g(self, site: Site, operator: str) -> None:
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
    ) -> Site:
        env = str(self.ctx.environment[commune])
        height = mast_height_m(env, float(self.rng.random())) if height_m is None else height_m
        site = Site(
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
    def cell_arrays(self, sites: list[Site], *, broadband_only: bool) -> tuple[CellArrays, IntArray]:
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

    def on_air(self) -> list[Site]:
        return [s for s in self.sites if s.status == "on_air"]


def mast_height_m(environment: str, u: float) -> float:
    """Mast height for a uniform draw ``u`` in [0, 1): 20–35 m in towns, 28–45 m in the countryside."""
    low, high = (28.0, 45.0) if environment == "rural" else (20.0, 35.0)
    return round(low + u * (high - low), 1)
