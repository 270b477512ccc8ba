"""Synthetic villages inside the real communes.

Owns how many villages a commune has (about one per :data:`PEOPLE_PER_VILLAGE`
people of its 2009 census population, at least :data:`MIN_PER_COMMUNE`), where they
lie (seeded rejection sampling inside the commune polygon and no other one where the
census outlines overlap, spread apart, away from the deliberate gaps), what they are
called (:mod:`coverage_gis.demo.names`) and how the commune's population and households
are split among them (exactly: the villages of a commune add up to its census total).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import shapely

from coverage_gis._arrays import split_exactly
from coverage_gis.crs import STORAGE_CRS
from coverage_gis.demo._context import ProvinceContext
from coverage_gis.demo.gaps import GapPlan, SpecialVillage
from coverage_gis.demo.names import NamingStyle, commune_style, village_labels, village_name
from coverage_gis.models.base import FloatArray, IntArray

PEOPLE_PER_VILLAGE = 1450.0
PEOPLE_PER_HOUSEHOLD = 3.8
MIN_PER_COMMUNE = 2


@dataclass(frozen=True)
class CommuneNaming:
    """A commune whose naming and size the caller fixes (Bình Định's named communes)."""

    style: NamingStyle
    min_villages: int


@dataclass(frozen=True)
class VillageSet:
    """The villages of one province: the layer frame plus the arrays generators reuse.

    ``commune`` is each village's commune row in the context; ``x_m``/``y_m`` its
    centre in the province's metric CRS; ``special_rows`` the rows of the special
    villages, in the order they were given.
    """

    frame: gpd.GeoDataFrame
    commune: IntArray
    x_m: FloatArray
    y_m: FloatArray
    upland: FloatArray
    special_rows: tuple[int, ...]

    def __len__(self) -> int:
        return len(self.frame)

    def special_gaps(self, specials: Sequence[SpecialVillage]) -> GapPlan:
        """The gap plan the special villages ask for."""
        mobile = {
            row: s.mobile_gap for row, s in zip(self.special_rows, specials, strict=True) if s.mobile_gap
        }
        ftth = frozenset(row for row, s in zip(self.special_rows, specials, strict=True) if s.ftth_gap)
        return GapPlan(mobile=mobile, ftth=ftth)

    def with_power_cut(self, rows: IntArray) -> VillageSet:
        """A copy where the villages at ``rows`` have no grid power."""
        frame = self.frame.copy()
        power = frame["has_grid_power"].to_numpy(dtype=bool).copy()
        power[rows] = False
        frame["has_grid_power"] = power
        return VillageSet(frame, self.commune, self.x_m, self.y_m, self.upland, self.special_rows)


def village_counts(
    pop: IntArray, minimum: IntArray | None = None, *, people_per_village: float = PEOPLE_PER_VILLAGE
) -> IntArray:
    """Villages per commune: population / ``people_per_village``, at least the minimum."""
    counts = np.maximum(MIN_PER_COMMUNE, np.rint(pop / people_per_village)).astype(np.int64)
    return counts if minimum is None else np.maximum(counts, minimum)


def _sample_commune(
    ctx: ProvinceContext,
    commune: int,
    need: int,
    rng: np.random.Generator,
    *,
    placed_x: FloatArray,
    placed_y: FloatArray,
    avoid_x: FloatArray,
    avoid_y: FloatArray,
    avoid_r: FloatArray,
) -> tuple[FloatArray, FloatArray]:
    """``need`` points inside the commune, spread apart and outside the avoid discs."""
    geom = ctx.geometry[commune]
    west, south, east, north = shapely.bounds(geom)
    first_spacing = min(
        0.45 * float(np.sqrt(ctx.area_km2[commune] * 1e6 / max(need + placed_x.size, 1))), 1500.0
    )
    got_lon: list[float] = []
    got_lat: list[float] = []
    got_x: list[float] = [float(v) for v in placed_x]
    got_y: list[float] = [float(v) for v in placed_y]
    # Inside the commune and no other first; a census outline lying wholly under its
    # neighbour's (a sliver) has no such area: then anywhere inside its own outline.
    for own_area_only in (True, False):
        spacing = first_spacing
        for _ in range(40):
            if len(got_lon) >= need:
                break
            size = max(64, 12 * need)
            lon = rng.uniform(west, east, size)
            lat = rng.uniform(south, north, size)
            if own_area_only:
                inside = ctx.owned_by(commune, lon, lat)
            else:
                inside = np.asarray(shapely.contains_xy(geom, lon, lat), dtype=np.bool_)
            lon, lat = lon[inside], lat[inside]
            if lon.size == 0:
                continue
            x, y = ctx.to_metric(lon, lat)
            if avoid_x.size:
                d = np.hypot(x[:, None] - avoid_x[None, :], y[:, None] - avoid_y[None, :])
                keep = (d >= avoid_r[None, :]).all(axis=1)
                lon, lat, x, y = lon[keep], lat[keep], x[keep], y[keep]
            for i in range(lon.size):
                if got_x and np.min(np.hypot(np.array(got_x) - x[i], np.array(got_y) - y[i])) < spacing:
                    continue
                got_lon.append(float(lon[i]))
                got_lat.append(float(lat[i]))
                got_x.append(float(x[i]))
                got_y.append(float(y[i]))
                if len(got_lon) >= need:
                    break
            # Tight or oddly shaped communes: accept closer neighbours on the next round.
            spacing *= 0.7
    while len(got_lon) < need:
        # Last resort for outlines where sampling keeps missing: the commune centre.
        got_lon.append(float(ctx.centre_lon[commune]))
        got_lat.append(float(ctx.centre_lat[commune]))
    return np.array(got_lon[:need]), np.array(got_lat[:need])


def generate_villages(
    ctx: ProvinceContext,
    *,
    specials: Sequence[SpecialVillage] = (),
    naming: Mapping[str, CommuneNaming] | None = None,
) -> VillageSet:
    """The villages of one province.

    Parameters
    ----------
    ctx
        The province.
    specials
        Villages placed by the caller (Bình Định's named villages); the others keep
        each special village's ``clearance_m``.
    naming
        Commune code → fixed naming style and minimum village count.
    """
    naming = naming or {}
    rng = ctx.rng("villages")
    name_rng = ctx.rng("village-names")
    communes = ctx.communes
    codes = communes["commune_code"].to_numpy(dtype=object)
    pop = communes["pop_2009"].to_numpy(dtype=np.int64)
    minimum = np.array([naming[c].min_villages if c in naming else 0 for c in codes], dtype=np.int64)
    counts = village_counts(pop, minimum, people_per_village=ctx.density.people_per_village)
    # Village ids use the GSO code, or the census id where the code is missing or (a
    # thị trấn and the xã of the same name matched to one code) not unique.
    code_series = communes["commune_code"].dropna()
    shared_codes = set(code_series[code_series.duplicated()])
    by_commune: dict[int, list[int]] = {}
    for i, s in enumerate(specials):
        by_commune.setdefault(s.commune, []).append(i)
    for c, members in by_commune.items():
        counts[c] = max(counts[c], len(members))

    if specials:
        sp_x, sp_y = ctx.to_metric(np.array([s.lon for s in specials]), np.array([s.lat for s in specials]))
        sp_r = np.array([s.clearance_m for s in specials])
    else:
        sp_x = sp_y = sp_r = np.empty(0)

    rows: list[dict[str, object]] = []
    lon_all: list[FloatArray] = []
    lat_all: list[FloatArray] = []
    commune_all: list[IntArray] = []
    special_row = [0] * len(specials)
    for c in range(len(communes)):
        mine = by_commune.get(c, [])
        style = (
            naming[codes[c]].style
            if codes[c] in naming
            else commune_style(ctx.province, str(ctx.environment[c]), float(ctx.upland[c]), name_rng)
        )
        n = int(counts[c])
        lon, lat = _sample_commune(
            ctx,
            c,
            n - len(mine),
            rng,
            placed_x=sp_x[mine],
            placed_y=sp_y[mine],
            avoid_x=sp_x,
            avoid_y=sp_y,
            avoid_r=sp_r,
        )
        lon = np.concatenate([[specials[i].lon for i in mine], lon])
        lat = np.concatenate([[specials[i].lat for i in mine], lat])
        fixed = tuple(specials[i].label for i in mine)
        labels = village_labels(style, n, () if style.numbered else fixed, name_rng)
        x, y = ctx.to_metric(lon, lat)
        d_centre = np.hypot(x - ctx.centre_x[c], y - ctx.centre_y[c])
        if style.numbered:
            # Numbers run outward from the commune centre; a special village keeps its own.
            free = [lab for lab in labels if lab not in fixed]
            order = np.argsort(d_centre[len(mine) :], kind="stable")
            assigned = list(fixed) + [""] * (n - len(mine))
            for rank, j in enumerate(order):
                assigned[len(mine) + int(j)] = free[rank]
            labels = assigned
            seq_order = np.argsort([int(lab) for lab in labels], kind="stable")
        else:
            seq_order = np.argsort(d_centre, kind="stable")
        weights = rng.gamma(3.0, 1.0, n)
        population = split_exactly(int(pop[c]), weights)
        households = split_exactly(round(pop[c] / PEOPLE_PER_HOUSEHOLD), population.astype(np.float64))
        power = np.ones(n, dtype=bool)
        for k, i in enumerate(mine):
            power[k] = specials[i].has_grid_power
        key = (
            str(codes[c])
            if codes[c] and codes[c] not in shared_codes
            else str(communes["census_commune_id"].iat[c])
        )
        base = len(rows)
        for seq, j in enumerate(seq_order, start=1):
            rows.append(
                {
                    "village_id": f"{ctx.code}-{key}-{seq:03d}",
                    "name": village_name(style.kind, labels[j]),
                    "kind": style.kind,
                    "commune_code": codes[c],
                    "census_commune_id": communes["census_commune_id"].iat[c],
                    "district_code": communes["district_code"].iat[c],
                    "province_code": ctx.code,
                    "households": int(households[j]),
                    "population": int(population[j]),
                    "has_grid_power": bool(power[j]),
                    "source": "synthetic",
                }
            )
            if j < len(mine):
                special_row[mine[j]] = base + seq - 1
        lon_all.append(lon[seq_order])
        lat_all.append(lat[seq_order])
        commune_all.append(np.full(n, c, dtype=np.int64))

    lon_v = np.concatenate(lon_all)
    lat_v = np.concatenate(lat_all)
    frame = gpd.GeoDataFrame(rows, geometry=shapely.points(lon_v, lat_v), crs=STORAGE_CRS)
    x_v, y_v = ctx.to_metric(lon_v, lat_v)
    return VillageSet(
        frame=frame,
        commune=np.concatenate(commune_all),
        x_m=x_v,
        y_m=y_v,
        upland=ctx.relief.upland(lon_v, lat_v),
        special_rows=tuple(special_row),
    )
