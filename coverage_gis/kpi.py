"""KPIs per province, district and commune, in either admin hierarchy (DESIGN.md §4).

Owns the KPI definitions: village, population and household coverage, site
sharing (all on-air sites and those commissioned in a plan period), 5G sites, 5G at
priority places, commune centres, measured speeds, and the per-operator breakdown.
Percentages are 0–100 and unrounded; rounding is for display only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from coverage_gis.admin import LEVEL_COLUMNS, LEVELS, admin_columns
from coverage_gis.coverage import ftth_coverage, mobile_coverage
from coverage_gis.errors import LayerValidationError
from coverage_gis.models.base import CoverageModel
from coverage_gis.network import OPERATORS, CellTable, cell_table_or_empty

#: POI categories that count as priority places for 5G when a plan names none.
DEFAULT_5G_CATEGORIES: tuple[str, ...] = (
    "district_centre",
    "industrial_zone",
    "high_tech_park",
    "hospital",
    "school",
    "station",
    "seaport",
    "airport",
)

KPI_COLUMNS: tuple[str, ...] = (
    "villages",
    "villages_mobile_bb",
    "villages_mobile_bb_pct",
    "villages_4g_pct",
    "villages_5g_pct",
    "villages_ftth",
    "villages_ftth_pct",
    "population",
    "population_mobile_bb_pct",
    "households",
    "households_ftth_pct",
    "sites",
    "shared_sites",
    "sites_shared_pct",
    "sites_period",
    "sites_shared_period_pct",
    "sites_5g",
    "commune_centres",
    "commune_centres_mobile_bb_pct",
    "commune_centres_ftth_pct",
    "priority_pois",
    "pois_5g_pct",
    "speed_tests",
    "mobile_download_mbps",
    "fixed_download_mbps",
)


@dataclass(frozen=True)
class KpiInputs:
    """Everything KPIs are computed from, one row per village / site / POI with admin codes."""

    villages: pd.DataFrame
    sites: pd.DataFrame
    pois: pd.DataFrame
    speed_tests: pd.DataFrame


def site_facts(sites: gpd.GeoDataFrame, cells: pd.DataFrame) -> pd.DataFrame:
    """Per on-air site: operators on air, shared flag, 5G flag, commissioning date."""
    on_air_sites = sites[sites["status"] == "on_air"]
    live = cells[(cells["status"] == "on_air") & cells["site_id"].isin(on_air_sites["site_id"])]
    n_ops = live.groupby("site_id")["operator"].nunique()
    sites_5g = set(live.loc[live["tech"] == "5G", "site_id"])
    facts = pd.DataFrame(
        {
            "site_id": on_air_sites["site_id"].to_numpy(),
            "commissioned": on_air_sites["commissioned"].to_numpy(),
        },
        index=on_air_sites.index,
    )
    facts["n_operators"] = facts["site_id"].map(n_ops).fillna(0).astype(int).to_numpy()
    facts["shared"] = facts["n_operators"] >= 2
    facts["has_5g"] = facts["site_id"].isin(sites_5g).to_numpy()
    return facts


def village_rows(
    villages: gpd.GeoDataFrame, coverage: pd.DataFrame, communes: gpd.GeoDataFrame
) -> pd.DataFrame:
    """Per village: admin codes, population, households and coverage flags."""
    cov = coverage.drop(columns=["geometry"], errors="ignore").set_index("village_id")
    v = admin_columns(villages, communes)
    v["village_id"] = villages["village_id"].to_numpy()
    v["population"] = villages["population"].fillna(0).to_numpy(dtype=float)
    v["households"] = villages["households"].fillna(0).to_numpy(dtype=float)
    for col in ("mobile_bb", "has_4g", "has_5g", "ftth"):
        mapped = v["village_id"].map(cov[col].astype(bool)).astype("boolean")
        v[col] = mapped.fillna(False).to_numpy(dtype=bool)
    v["operators"] = v["village_id"].map(cov["operators"]).fillna("").to_numpy()
    v["ftth_operators"] = v["village_id"].map(cov["ftth_operators"]).fillna("").to_numpy()
    return v


def site_rows(
    sites: pd.DataFrame | None, cells: pd.DataFrame | None, communes: gpd.GeoDataFrame
) -> pd.DataFrame:
    """Per on-air site: admin codes, shared flag, 5G flag, commissioning date."""
    if sites is None or cells is None or not len(sites):
        return pd.DataFrame(
            columns=[*LEVEL_COLUMNS_FLAT, "site_id", "n_operators", "shared", "has_5g", "commissioned"]
        )
    assert isinstance(sites, gpd.GeoDataFrame)
    facts = site_facts(sites, cells)
    s = admin_columns(sites.loc[facts.index], communes)
    return pd.concat([s.reset_index(drop=True), facts.reset_index(drop=True)], axis=1)


def poi_rows(
    pois: pd.DataFrame | None,
    layers: Mapping[str, pd.DataFrame],
    cells: CellTable,
    *,
    model: CoverageModel,
    metric_crs: str,
    ftth_reach_m: float,
) -> pd.DataFrame:
    """Per POI: admin codes, category, mobile broadband, FTTH and 5G (cells or an on-air 5G zone)."""
    if pois is None or not len(pois):
        return pd.DataFrame(
            columns=[*LEVEL_COLUMNS_FLAT, "category", "poi_id", "mobile_bb", "ftth", "has_5g"]
        )
    assert isinstance(pois, gpd.GeoDataFrame)
    communes = layers["communes"]
    assert isinstance(communes, gpd.GeoDataFrame)
    p = admin_columns(pois, communes)
    p["category"] = pois["category"].to_numpy()
    p["poi_id"] = pois["poi_id"].to_numpy()
    receivers = pois.assign(has_grid_power=True)
    mob = mobile_coverage(receivers, cells, model=model, metric_crs=metric_crs)
    fib = ftth_coverage(
        receivers,
        layers.get("fiber_routes"),
        layers.get("fiber_nodes"),
        metric_crs=metric_crs,
        ftth_reach_m=ftth_reach_m,
    )
    p["mobile_bb"] = mob.mobile_bb
    p["ftth"] = fib.ftth
    p["has_5g"] = mob.has_5g | _inside_5g_zone(pois, layers.get("zones_5g"))
    return p


def speed_test_rows(tests: pd.DataFrame | None, communes: gpd.GeoDataFrame) -> pd.DataFrame:
    """Per speed test: admin codes, kind, tech, operator, download speed."""
    if tests is None or not len(tests):
        return pd.DataFrame(columns=[*LEVEL_COLUMNS_FLAT, "kind", "tech", "operator", "download_mbps"])
    assert isinstance(tests, gpd.GeoDataFrame)
    t = admin_columns(tests, communes)
    for col in ("kind", "tech", "operator", "download_mbps"):
        t[col] = tests[col].to_numpy()
    return t


def build_inputs(
    layers: Mapping[str, pd.DataFrame],
    coverage: pd.DataFrame,
    *,
    model: CoverageModel,
    metric_crs: str,
    ftth_reach_m: float = 500.0,
    cells: CellTable | None = None,
) -> KpiInputs:
    """Join coverage, sites, POIs and speed tests with their admin codes."""
    communes = layers["communes"]
    villages = layers["villages"]
    assert isinstance(communes, gpd.GeoDataFrame)
    assert isinstance(villages, gpd.GeoDataFrame)
    table = cells if cells is not None else cell_table_or_empty(layers, metric_crs=metric_crs)
    return KpiInputs(
        villages=village_rows(villages, coverage, communes),
        sites=site_rows(layers.get("sites"), layers.get("cells"), communes),
        pois=poi_rows(
            layers.get("pois"), layers, table, model=model, metric_crs=metric_crs, ftth_reach_m=ftth_reach_m
        ),
        speed_tests=speed_test_rows(layers.get("speed_tests"), communes),
    )


LEVEL_COLUMNS_FLAT: list[str] = sorted({c for pair in LEVEL_COLUMNS.values() for c in pair})


def _inside_5g_zone(pois: gpd.GeoDataFrame, zones: pd.DataFrame | None) -> np.ndarray:
    inside = np.zeros(len(pois), dtype=bool)
    if zones is None or not len(zones):
        return inside
    assert isinstance(zones, gpd.GeoDataFrame)
    live = zones[zones["status"] == "on_air"]
    if len(live):
        tree = shapely.STRtree(live.geometry.to_numpy())
        idx, _ = tree.query(pois.geometry.to_numpy(), predicate="intersects")
        inside[idx] = True
    return inside


def _in_period(commissioned: pd.Series, period: tuple[date, date] | None) -> pd.Series:
    if period is None:
        return pd.Series(False, index=commissioned.index)
    when = pd.to_datetime(commissioned, errors="coerce")
    return (when >= pd.Timestamp(period[0])) & (when <= pd.Timestamp(period[1]))


def _pct_array(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    out = np.full(len(numerator), np.nan)
    ok = denominator > 0
    out[ok] = 100.0 * numerator[ok] / denominator[ok]
    return out


def _codes(frame: pd.DataFrame, column: str) -> np.ndarray:
    values = frame[column].to_numpy(dtype=object).copy()
    values[pd.isna(values)] = None
    return values


def _bool(frame: pd.DataFrame, column: str) -> np.ndarray:
    return frame[column].fillna(False).to_numpy(dtype=bool) if len(frame) else np.zeros(0, dtype=bool)


def _level_rows(
    inputs: KpiInputs, level: str, *, period: tuple[date, date] | None, categories: list[str]
) -> pd.DataFrame:
    """One level's KPI rows with numpy bincounts (pandas groupby costs ~40 ms per call; this ~1 ms)."""
    code_col, name_col = LEVEL_COLUMNS[level]
    v, s, p, t = inputs.villages, inputs.sites, inputs.pois, inputs.speed_tests
    sources = {
        "v": _codes(v, code_col),
        "s": _codes(s, code_col),
        "p": _codes(p, code_col),
        "t": _codes(t, code_col),
    }
    present = [c[c != None] for c in sources.values()]  # noqa: E711 - elementwise on object arrays
    units = (
        np.unique(np.concatenate(present).astype(str)) if any(len(c) for c in present) else np.empty(0, str)
    )
    n = len(units)

    def index_of(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        known = codes != None  # noqa: E711
        idx = np.searchsorted(units, codes[known].astype(str)) if n else np.empty(0, dtype=np.int64)
        return known, idx

    def count(idx: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        return np.bincount(idx, weights=weights, minlength=n)[:n] if n else np.zeros(0)

    names = np.full(n, None, dtype=object)
    for key, frame in (("t", t), ("p", p), ("s", s), ("v", v)):  # villages' names win
        known, idx = index_of(sources[key])
        if len(idx) and name_col in frame:
            names[idx[::-1]] = frame[name_col].to_numpy(dtype=object)[known][::-1]

    known, vi = index_of(sources["v"])
    population = v["population"].to_numpy(dtype=float)[known] if len(v) else np.zeros(0)
    households = v["households"].to_numpy(dtype=float)[known] if len(v) else np.zeros(0)
    mobile = _bool(v, "mobile_bb")[known]
    ftth = _bool(v, "ftth")[known]
    villages = count(vi)
    villages_bb = count(vi, mobile.astype(float))
    villages_ftth = count(vi, ftth.astype(float))
    pop = count(vi, population)
    pop_bb = count(vi, population * mobile)
    hh = count(vi, households)
    hh_ftth = count(vi, households * ftth)
    villages_4g = count(vi, _bool(v, "has_4g")[known].astype(float))
    villages_5g = count(vi, _bool(v, "has_5g")[known].astype(float))

    known, si = index_of(sources["s"])
    shared = _bool(s, "shared")[known]
    in_period = (
        _in_period(s["commissioned"], period).to_numpy(dtype=bool)[known] if len(s) else np.zeros(0, bool)
    )
    sites = count(si)
    shared_sites = count(si, shared.astype(float))
    sites_period = count(si, in_period.astype(float))
    shared_period = count(si, (in_period & shared).astype(float))
    sites_5g = count(si, _bool(s, "has_5g")[known].astype(float))

    known, pi = index_of(sources["p"])
    category = p["category"].to_numpy(dtype=object)[known] if len(p) else np.empty(0, dtype=object)
    centre = category == "commune_office"
    priority = np.isin(category, categories)
    centres = count(pi, centre.astype(float))
    centres_bb = count(pi, (centre & _bool(p, "mobile_bb")[known]).astype(float))
    centres_ftth = count(pi, (centre & _bool(p, "ftth")[known]).astype(float))
    priority_pois = count(pi, priority.astype(float))
    priority_5g = count(pi, (priority & _bool(p, "has_5g")[known]).astype(float))

    known, ti = index_of(sources["t"])
    tests = count(ti)
    mobile_speed = np.full(n, np.nan)
    fixed_speed = np.full(n, np.nan)
    if len(ti):
        speeds = pd.DataFrame(
            {
                "unit": ti,
                "kind": t["kind"].to_numpy()[known],
                "mbps": t["download_mbps"].to_numpy(dtype=float)[known],
            }
        )
        medians = speeds.groupby(["kind", "unit"])["mbps"].median()
        for kind, target in (("mobile", mobile_speed), ("fixed", fixed_speed)):
            if kind in medians.index.get_level_values(0):
                part = medians.loc[kind]
                target[part.index.to_numpy(dtype=np.int64)] = part.to_numpy()

    def as_int(values: np.ndarray) -> np.ndarray:
        return np.asarray(np.rint(values), dtype=np.int64)

    columns: dict[str, np.ndarray] = {
        "villages": as_int(villages),
        "villages_mobile_bb": as_int(villages_bb),
        "villages_mobile_bb_pct": _pct_array(villages_bb, villages),
        "villages_4g_pct": _pct_array(villages_4g, villages),
        "villages_5g_pct": _pct_array(villages_5g, villages),
        "villages_ftth": as_int(villages_ftth),
        "villages_ftth_pct": _pct_array(villages_ftth, villages),
        "population": as_int(pop),
        "population_mobile_bb_pct": _pct_array(pop_bb, pop),
        "households": as_int(hh),
        "households_ftth_pct": _pct_array(hh_ftth, hh),
        "sites": as_int(sites),
        "shared_sites": as_int(shared_sites),
        "sites_shared_pct": _pct_array(shared_sites, sites),
        "sites_period": as_int(sites_period),
        "sites_shared_period_pct": _pct_array(shared_period, sites_period),
        "sites_5g": as_int(sites_5g),
        "commune_centres": as_int(centres),
        "commune_centres_mobile_bb_pct": _pct_array(centres_bb, centres),
        "commune_centres_ftth_pct": _pct_array(centres_ftth, centres),
        "priority_pois": as_int(priority_pois),
        "pois_5g_pct": _pct_array(priority_5g, priority_pois),
        "speed_tests": as_int(tests),
        "mobile_download_mbps": mobile_speed,
        "fixed_download_mbps": fixed_speed,
    }
    frame = pd.DataFrame(
        {"level": np.full(n, level, dtype=object), "code": units.astype(object), "name": names}
    )
    return pd.concat([frame, pd.DataFrame(columns)], axis=1)


def compute_kpis(
    inputs: KpiInputs,
    *,
    levels: Sequence[str] = LEVELS,
    period: tuple[date, date] | None = None,
    categories_5g: Iterable[str] = DEFAULT_5G_CATEGORIES,
) -> pd.DataFrame:
    """KPI rows for every unit of each requested level.

    Parameters
    ----------
    inputs
        From :func:`build_inputs`.
    levels
        Any of ``province``, ``district``, ``commune``, ``province_2025``, ``commune_2025``.
    period
        Plan period (start, end): sites commissioned in it feed ``sites_shared_period_pct``.
    categories_5g
        POI categories counted as priority places for ``pois_5g_pct``.

    Returns
    -------
    DataFrame
        Columns ``level``, ``code``, ``name`` and :data:`KPI_COLUMNS`, units sorted by code.
    """
    unknown = [lvl for lvl in levels if lvl not in LEVELS]
    if unknown:
        raise LayerValidationError(
            f"unknown level {unknown[0]!r}; choose from {', '.join(LEVELS)}", field="level"
        )
    categories = list(categories_5g)
    frames = [_level_rows(inputs, level, period=period, categories=categories) for level in levels]
    frames = [f for f in frames if len(f)]
    if not frames:
        return pd.DataFrame(columns=["level", "code", "name", *KPI_COLUMNS])
    return pd.concat(frames, ignore_index=True)


def update_kpi_rows(
    kpis: pd.DataFrame,
    inputs: KpiInputs,
    codes_by_level: Mapping[str, set[str]],
    *,
    period: tuple[date, date] | None = None,
    categories_5g: Iterable[str] = DEFAULT_5G_CATEGORIES,
) -> pd.DataFrame:
    """Recompute only the KPI rows of the given units and splice them into ``kpis``.

    Each unit's row depends only on the villages, sites, POIs and speed tests inside
    it, so recomputing a unit from its own rows gives exactly what a full
    :func:`compute_kpis` gives for it. Units that no longer have any feature vanish.
    """
    categories = list(categories_5g)
    parts = [kpis]
    drop = np.zeros(len(kpis), dtype=bool)
    for level, codes in codes_by_level.items():
        if not codes or level not in set(kpis["level"]):
            continue
        code_col = LEVEL_COLUMNS[level][0]
        subset = KpiInputs(
            villages=inputs.villages[inputs.villages[code_col].isin(codes)],
            sites=inputs.sites[inputs.sites[code_col].isin(codes)],
            pois=inputs.pois[inputs.pois[code_col].isin(codes)],
            speed_tests=inputs.speed_tests[inputs.speed_tests[code_col].isin(codes)],
        )
        drop |= ((kpis["level"] == level) & kpis["code"].isin(codes)).to_numpy()
        parts.append(compute_kpis(subset, levels=[level], period=period, categories_5g=categories))
    parts[0] = kpis[~drop]
    merged = pd.concat([p for p in parts if len(p)], ignore_index=True)
    order = {level: i for i, level in enumerate(LEVELS)}
    merged = merged.assign(_order=merged["level"].map(order))
    return merged.sort_values(["_order", "code"], kind="stable").drop(columns="_order").reset_index(drop=True)


def pois_5g_pct(inputs: KpiInputs, *, categories: Iterable[str], level: str, code: str) -> float | None:
    """% of POIs of ``categories`` in unit ``code`` with 5G (None when there are none)."""
    code_col = LEVEL_COLUMNS[level][0]
    p = inputs.pois
    chosen = p[(p[code_col] == code) & p["category"].isin(list(categories))]
    if chosen.empty:
        return None
    return float(100.0 * chosen["has_5g"].astype(bool).mean())


def operator_kpis(inputs: KpiInputs, *, level: str = "province") -> pd.DataFrame:
    """Per operator and unit: villages with its mobile broadband / its FTTH, on-air sites."""
    code_col, name_col = LEVEL_COLUMNS[level]
    v = inputs.villages
    rows = []
    for operator in OPERATORS:
        has_mobile = v["operators"].str.split(",").apply(lambda ops, o=operator: o in ops)
        has_ftth = v["ftth_operators"].str.split(",").apply(lambda ops, o=operator: o in ops)
        grouped = v.assign(_m=has_mobile, _f=has_ftth).groupby(code_col)
        frame = pd.DataFrame(
            {
                "name": grouped[name_col].first(),
                "villages": grouped.size(),
                "villages_mobile_bb_pct": 100.0 * grouped["_m"].mean(),
                "villages_ftth_pct": 100.0 * grouped["_f"].mean(),
            }
        )
        frame.insert(0, "operator", operator)
        rows.append(frame.reset_index(names="code"))
    out = pd.concat(rows, ignore_index=True)
    out.insert(0, "level", level)
    return out
