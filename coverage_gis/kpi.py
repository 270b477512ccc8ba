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
from coverage_gis.network import OPERATORS, CellTable, cell_table_from_layers

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


def _pct(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    with np.errstate(invalid="ignore", divide="ignore"):
        return (100.0 * numerator / denominator.where(denominator > 0)).astype("float64")


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
    assert isinstance(communes, gpd.GeoDataFrame)
    villages = layers["villages"]
    assert isinstance(villages, gpd.GeoDataFrame)
    cov = coverage.drop(columns=["geometry"], errors="ignore").set_index("village_id")
    v = admin_columns(villages, communes)
    v["village_id"] = villages["village_id"].to_numpy()
    v["population"] = villages["population"].fillna(0).to_numpy(dtype=float)
    v["households"] = villages["households"].fillna(0).to_numpy(dtype=float)
    for col in ("mobile_bb", "has_4g", "has_5g", "ftth"):
        v[col] = (
            v["village_id"].map(cov[col].astype(bool)).astype("boolean").fillna(False).to_numpy(dtype=bool)
        )
    v["operators"] = v["village_id"].map(cov["operators"]).fillna("").to_numpy()
    v["ftth_operators"] = v["village_id"].map(cov["ftth_operators"]).fillna("").to_numpy()

    sites = layers.get("sites")
    cells_frame = layers.get("cells")
    if sites is not None and cells_frame is not None and len(sites):
        assert isinstance(sites, gpd.GeoDataFrame)
        facts = site_facts(sites, cells_frame)
        s = admin_columns(sites.loc[facts.index], communes)
        s = pd.concat([s.reset_index(drop=True), facts.reset_index(drop=True)], axis=1)
    else:
        s = pd.DataFrame(columns=[*LEVEL_COLUMNS_FLAT, "site_id", "shared", "has_5g", "commissioned"])

    pois = layers.get("pois")
    if pois is not None and len(pois):
        assert isinstance(pois, gpd.GeoDataFrame)
        p = admin_columns(pois, communes)
        p["category"] = pois["category"].to_numpy()
        p["poi_id"] = pois["poi_id"].to_numpy()
        table = cells if cells is not None else _cells_or_empty(layers, metric_crs)
        receivers = pois.assign(has_grid_power=True)
        mob = mobile_coverage(receivers, table, model=model, metric_crs=metric_crs)
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
    else:
        p = pd.DataFrame(columns=[*LEVEL_COLUMNS_FLAT, "category", "poi_id", "mobile_bb", "ftth", "has_5g"])

    tests = layers.get("speed_tests")
    if tests is not None and len(tests):
        assert isinstance(tests, gpd.GeoDataFrame)
        t = admin_columns(tests, communes)
        for col in ("kind", "tech", "operator", "download_mbps"):
            t[col] = tests[col].to_numpy()
    else:
        t = pd.DataFrame(columns=[*LEVEL_COLUMNS_FLAT, "kind", "tech", "operator", "download_mbps"])
    return KpiInputs(villages=v, sites=s, pois=p, speed_tests=t)


LEVEL_COLUMNS_FLAT: list[str] = sorted({c for pair in LEVEL_COLUMNS.values() for c in pair})


def _cells_or_empty(layers: Mapping[str, pd.DataFrame], metric_crs: str) -> CellTable:
    if layers.get("sites") is None or layers.get("cells") is None or not len(layers["cells"]):
        return CellTable.empty()
    return cell_table_from_layers(layers, metric_crs=metric_crs)


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
        Columns ``level``, ``code``, ``name`` and :data:`KPI_COLUMNS`.
    """
    unknown = [lvl for lvl in levels if lvl not in LEVELS]
    if unknown:
        raise LayerValidationError(
            f"unknown level {unknown[0]!r}; choose from {', '.join(LEVELS)}", field="level"
        )
    v, s, p, t = inputs.villages, inputs.sites, inputs.pois, inputs.speed_tests
    v = v.assign(
        pop_bb=v["population"] * v["mobile_bb"],
        hh_ftth=v["households"] * v["ftth"],
    )
    s = s.assign(period=_in_period(s["commissioned"], period).to_numpy(dtype=bool))
    s = s.assign(shared_period=s["period"] & s["shared"].astype(bool))
    categories = list(categories_5g)
    p = p.assign(
        centre=p["category"] == "commune_office",
        priority=p["category"].isin(categories),
    )
    p = p.assign(
        centre_bb=p["centre"] & p["mobile_bb"].astype(bool),
        centre_ftth=p["centre"] & p["ftth"].astype(bool),
        priority_5g=p["priority"] & p["has_5g"].astype(bool),
    )
    frames = []
    for level in levels:
        code_col, name_col = LEVEL_COLUMNS[level]
        vg = v.groupby(code_col, dropna=True)
        out = pd.DataFrame(
            {
                "villages": vg.size(),
                "villages_mobile_bb": vg["mobile_bb"].sum(),
                "villages_4g": vg["has_4g"].sum(),
                "villages_5g": vg["has_5g"].sum(),
                "villages_ftth": vg["ftth"].sum(),
                "population": vg["population"].sum(),
                "pop_bb": vg["pop_bb"].sum(),
                "households": vg["households"].sum(),
                "hh_ftth": vg["hh_ftth"].sum(),
                "name": vg[name_col].first(),
            }
        )
        sg = s.groupby(code_col, dropna=True)
        out = out.join(
            pd.DataFrame(
                {
                    "sites": sg.size(),
                    "shared_sites": sg["shared"].sum(),
                    "sites_period": sg["period"].sum(),
                    "shared_period": sg["shared_period"].sum(),
                    "sites_5g": sg["has_5g"].sum(),
                }
            ),
            how="outer",
        )
        pg = p.groupby(code_col, dropna=True)
        out = out.join(
            pd.DataFrame(
                {
                    "commune_centres": pg["centre"].sum(),
                    "centres_bb": pg["centre_bb"].sum(),
                    "centres_ftth": pg["centre_ftth"].sum(),
                    "priority_pois": pg["priority"].sum(),
                    "priority_5g": pg["priority_5g"].sum(),
                }
            ),
            how="outer",
        )
        tg_mobile = t[t["kind"] == "mobile"].groupby(code_col)["download_mbps"].median()
        tg_fixed = t[t["kind"] == "fixed"].groupby(code_col)["download_mbps"].median()
        out = out.join(t.groupby(code_col).size().rename("speed_tests"), how="left")
        out["mobile_download_mbps"] = tg_mobile.reindex(out.index).astype("float64")
        out["fixed_download_mbps"] = tg_fixed.reindex(out.index).astype("float64")
        counts = [
            "villages",
            "villages_mobile_bb",
            "villages_ftth",
            "sites",
            "shared_sites",
            "sites_period",
            "shared_period",
            "sites_5g",
            "commune_centres",
            "centres_bb",
            "centres_ftth",
            "priority_pois",
            "priority_5g",
            "villages_4g",
            "villages_5g",
            "speed_tests",
        ]
        out[counts] = out[counts].fillna(0).astype("int64")
        out[["population", "pop_bb", "households", "hh_ftth"]] = out[
            ["population", "pop_bb", "households", "hh_ftth"]
        ].fillna(0.0)
        out["villages_mobile_bb_pct"] = _pct(out["villages_mobile_bb"], out["villages"])
        out["villages_4g_pct"] = _pct(out["villages_4g"], out["villages"])
        out["villages_5g_pct"] = _pct(out["villages_5g"], out["villages"])
        out["villages_ftth_pct"] = _pct(out["villages_ftth"], out["villages"])
        out["population_mobile_bb_pct"] = _pct(out["pop_bb"], out["population"])
        out["households_ftth_pct"] = _pct(out["hh_ftth"], out["households"])
        out["sites_shared_pct"] = _pct(out["shared_sites"], out["sites"])
        out["sites_shared_period_pct"] = _pct(out["shared_period"], out["sites_period"])
        out["commune_centres_mobile_bb_pct"] = _pct(out["centres_bb"], out["commune_centres"])
        out["commune_centres_ftth_pct"] = _pct(out["centres_ftth"], out["commune_centres"])
        out["pois_5g_pct"] = _pct(out["priority_5g"], out["priority_pois"])
        out["population"] = out["population"].round().astype("int64")
        out["households"] = out["households"].round().astype("int64")
        out = out.reset_index(names="code")
        out.insert(0, "level", level)
        frames.append(out[["level", "code", "name", *KPI_COLUMNS]])
    result = (
        pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["level", "code", "name"])
    )
    return result


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
