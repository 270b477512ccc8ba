"""KPI inputs: every village, site, priority place and speed test with its admin units.

Owns joining features to the communes they lie in (both hierarchies; the part of a
split commune decides the 2025 units) together with the facts KPIs count: coverage
flags, population and households per village; shared and 5G flags and operators per
on-air site; mobile, FTTH and 5G (cells or an on-air 5G zone) per priority place; the
2009 census population each unit holds. ``coverage_gis.kpi`` aggregates these rows
per unit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from coverage_gis._strings import as_assigned, str_column
from coverage_gis.admin import LEVEL_COLUMNS, AdminRows, admin_columns, admin_rows
from coverage_gis.coverage import coverage_by_village, rows_align
from coverage_gis.fiber import FiberIndex
from coverage_gis.input_layers import InputLayers
from coverage_gis.kpi_cells import GroupedFrame
from coverage_gis.kpi_units import UnitsAhead
from coverage_gis.layers import get_schema
from coverage_gis.mobile import MobileResult, mobile_at
from coverage_gis.models.base import CoverageModel, ReceiverArrays
from coverage_gis.network import CellTable, points_xy_m
from coverage_gis.site_offer import SiteOffer

if TYPE_CHECKING:
    from coverage_gis.kpi_arrays import SortedTests


def _no_units() -> pd.DataFrame:
    return pd.DataFrame(columns=["level", "code", "pop_2009", "pop_2009_total"])


@dataclass(frozen=True)
class KpiInputs:
    """Everything KPIs are computed from, one row per village / site / POI with admin codes.

    ``units`` holds the 2009 census population of each admin unit present and of the
    whole unit (:func:`coverage_gis.admin.unit_population_2009`).
    """

    villages: pd.DataFrame
    sites: pd.DataFrame
    pois: pd.DataFrame
    speed_tests: pd.DataFrame
    units: pd.DataFrame = field(default_factory=_no_units)
    #: Work on some of these frames done ahead of the KPIs: their rows grouped by unit
    #: (:class:`~coverage_gis.kpi_cells.GroupedFrame`), the speed tests sorted by download
    #: (:class:`~coverage_gis.kpi_arrays.SortedTests`), each level's units
    #: (:class:`~coverage_gis.kpi_units.UnitsAhead`); each is read only for its very frames.
    grouped: tuple[GroupedFrame | SortedTests | UnitsAhead, ...] = field(
        default=(), compare=False, repr=False
    )

    def __post_init__(self) -> None:
        # A copy with a frame replaced (``dataclasses.replace``: a live edit's sites) keeps
        # only the work on the frames it still holds, not the old frame alive: the units
        # ahead only while every grouping they were counted from is kept.
        frames = (self.villages, self.sites, self.pois, self.speed_tests)
        kept: tuple[GroupedFrame | SortedTests | UnitsAhead, ...] = tuple(
            g for g in self.grouped if not isinstance(g, UnitsAhead) and any(g.frame is f for f in frames)
        )
        cells = [g.cells for g in kept if isinstance(g, GroupedFrame)]
        kept += tuple(
            u
            for u in self.grouped
            if isinstance(u, UnitsAhead) and all(any(c is k for k in cells) for c in u.cells.values())
        )
        if len(kept) != len(self.grouped):
            object.__setattr__(self, "grouped", kept)


def site_facts(
    sites: gpd.GeoDataFrame, cells: pd.DataFrame, rows: np.ndarray, table: CellTable | None = None
) -> pd.DataFrame:
    """Per on-air site (``rows``: their positions, :func:`_on_air_rows`): operators on air,
    shared flag, 5G flag, commissioning date.

    ``table`` is the frames' cell table when the caller holds it (:meth:`SiteOffer.of`).
    """
    offer = SiteOffer.of(sites, cells, table)
    site = offer.row_site[rows]
    # A row without a site id (-1) takes the entry past the last: nothing on air.
    n_operators = np.append(offer.n_operators, 0)[site]
    return pd.DataFrame(
        {
            # Text as the frame would convert it, by arrow in one pass (pandas: row by row).
            "site_id": str_column(sites["site_id"].to_numpy()[rows]),
            "commissioned": str_column(sites["commissioned"].to_numpy()[rows]),
            "n_operators": n_operators,
            "shared": n_operators >= 2,
            "has_5g": np.append(offer.has_5g, False)[site],
        },
        index=sites.index[rows],
    )


def _on_air_rows(sites: pd.DataFrame) -> np.ndarray:
    """Positions of the on-air sites (the sites KPIs count)."""
    return np.flatnonzero((sites["status"] == "on_air").to_numpy(dtype=bool))


def village_rows(
    villages: gpd.GeoDataFrame,
    coverage: pd.DataFrame,
    communes: gpd.GeoDataFrame,
    parts: gpd.GeoDataFrame | None = None,
    *,
    admin: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Per village (in the order of ``villages``): admin codes, population, households and
    coverage flags (False where a village has no coverage row).

    ``admin`` is the villages' :func:`~coverage_gis.admin.admin_columns` when the caller
    has placed them already (it does not depend on coverage).
    """
    # The ids as the frame holds them (pandas strings, converted once).
    ids = str_column(as_assigned(villages["village_id"]))
    # The coverage computed from these villages holds their rows in their order: read as it is.
    aligned = rows_align(coverage, ids)
    cov = (
        coverage if aligned else coverage_by_village(coverage, villages["village_id"].to_numpy(dtype=object))
    )
    # A shallow copy: columns added to it leave ``admin`` as it is (copy-on-write).
    v = admin_columns(villages, communes, parts) if admin is None else admin.copy(deep=False)
    v["village_id"] = ids
    v["population"] = villages["population"].fillna(0).to_numpy(dtype=float)
    v["households"] = villages["households"].fillna(0).to_numpy(dtype=float)
    for col in ("mobile_bb", "has_4g", "has_5g", "ftth"):
        v[col] = cov[col].astype("boolean").fillna(False).to_numpy(dtype=bool)
    v["operators"] = as_assigned(cov["operators"].fillna(""))
    v["ftth_operators"] = as_assigned(cov["ftth_operators"].fillna(""))
    return v


def site_rows(
    sites: gpd.GeoDataFrame,
    cells: pd.DataFrame,
    communes: gpd.GeoDataFrame,
    parts: gpd.GeoDataFrame | None = None,
    *,
    table: CellTable | None = None,
    placed: np.ndarray | None = None,
) -> pd.DataFrame:
    """Per on-air site: admin codes, operators on air, shared flag, 5G flag, commissioning date.

    ``table`` is the frames' cell table and ``placed`` the commune row of every site
    (:func:`~coverage_gis.admin.commune_positions`) when the caller holds them.
    """
    return placed_site_rows(sites, cells, communes, parts, table=table, placed=placed).frame


def placed_site_rows(
    sites: gpd.GeoDataFrame,
    cells: pd.DataFrame,
    communes: gpd.GeoDataFrame,
    parts: gpd.GeoDataFrame | None = None,
    *,
    table: CellTable | None = None,
    placed: np.ndarray | None = None,
) -> AdminRows:
    """:func:`site_rows` with the source of each row's admin codes
    (:class:`~coverage_gis.admin.AdminRows`)."""
    if not len(sites):
        columns = [*LEVEL_COLUMNS_FLAT, "site_id", "n_operators", "shared", "has_5g", "commissioned"]
        return AdminRows(pd.DataFrame(columns=columns), np.empty(0, dtype=np.int64))
    rows = _on_air_rows(sites)
    facts = site_facts(sites, cells, rows, table)
    # Only the columns placing reads (taking every column of the on-air rows costs more).
    placing = sites[[c for c in ("census_commune_id", sites.geometry.name) if c in sites]]
    s = admin_rows(placing.iloc[rows], communes, parts, placed=None if placed is None else placed[rows])
    frame = pd.concat([s.frame.reset_index(drop=True), facts.reset_index(drop=True)], axis=1)
    return AdminRows(frame, s.source)


@dataclass(frozen=True)
class PoiRadio:
    """What the network gives each priority place (aligned with the POIs): mobile broadband,
    FTTH, and 5G from cells (an on-air 5G zone is :func:`poi_rows`' to add)."""

    mobile_bb: np.ndarray
    ftth: np.ndarray
    has_5g_cells: np.ndarray


def poi_radio(
    pois: gpd.GeoDataFrame,
    cells: CellTable,
    fiber: FiberIndex,
    *,
    model: CoverageModel,
    metric_crs: str,
    ftth_reach_m: float,
    mobile: MobileResult | None = None,
) -> PoiRadio:
    """Mobile broadband, FTTH and 5G cells at each POI (the model's search and the fiber index:
    array work, no frame is built). ``mobile`` is the POIs' mobile result when the caller
    has it already (searched with the villages, :func:`coverage_gis.mobile.mobile_at_sets`)."""
    if not len(pois):
        none = np.zeros(0, dtype=bool)
        return PoiRadio(none, none, none)
    x_m, y_m = points_xy_m(pois, metric_crs)
    mob = (
        mobile
        if mobile is not None
        else mobile_at(ReceiverArrays(x_m=x_m, y_m=y_m), poi_grid_power(pois), cells, model=model)
    )
    return PoiRadio(mob.mobile_bb, fiber.within_reach(x_m, y_m, ftth_reach_m), mob.has_5g)


def poi_grid_power(pois: gpd.GeoDataFrame) -> np.ndarray:
    """The grid power the mobile rules read at each POI: all taken as powered (a POI's
    gap reason is not reported)."""
    return np.ones(len(pois), dtype=bool)


def poi_rows(layers: InputLayers, radio: PoiRadio, *, admin: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per POI: admin codes, category, mobile broadband, FTTH and 5G (cells or an on-air 5G zone).

    ``radio`` is :func:`poi_radio` of the layers' POIs; ``admin`` their
    :func:`~coverage_gis.admin.admin_columns` when the caller has placed them already
    (it does not depend on the radio).
    """
    pois = layers.pois
    if not len(pois):
        return pd.DataFrame(
            columns=[*LEVEL_COLUMNS_FLAT, "category", "poi_id", "mobile_bb", "ftth", "has_5g"]
        )
    p = (
        admin_columns(pois, layers.communes, layers.commune_parts_2025)
        if admin is None
        else admin.copy(deep=False)  # columns added leave ``admin`` as it is (copy-on-write)
    )
    p["category"] = as_assigned(pois["category"])
    p["poi_id"] = as_assigned(pois["poi_id"])
    p["mobile_bb"] = radio.mobile_bb
    p["ftth"] = radio.ftth
    p["has_5g"] = radio.has_5g_cells | inside_5g_zone(pois, layers.zones_5g)
    return p


def speed_test_rows(
    tests: gpd.GeoDataFrame,
    communes: gpd.GeoDataFrame,
    parts: gpd.GeoDataFrame | None = None,
    *,
    placed: np.ndarray | None = None,
) -> pd.DataFrame:
    """Per speed test (or tile): admin codes and every attribute of the ``speed_tests`` layer.

    ``placed`` is the commune row of every test (:func:`~coverage_gis.admin.commune_positions`)
    when the caller holds it.
    """
    return placed_speed_test_rows(tests, communes, parts, placed=placed).frame


def placed_speed_test_rows(
    tests: gpd.GeoDataFrame,
    communes: gpd.GeoDataFrame,
    parts: gpd.GeoDataFrame | None = None,
    *,
    placed: np.ndarray | None = None,
) -> AdminRows:
    """:func:`speed_test_rows` with the source of each row's admin codes
    (:class:`~coverage_gis.admin.AdminRows`)."""
    fields = get_schema("speed_tests").field_names
    if not len(tests):
        return AdminRows(pd.DataFrame(columns=[*LEVEL_COLUMNS_FLAT, *fields]), np.empty(0, dtype=np.int64))
    placed_rows = admin_rows(tests, communes, parts, placed=placed)
    t = placed_rows.frame
    for col in fields:
        if col in tests:
            # Each column as the layer holds it (``t`` has the tests' index: nothing to
            # align, no copy). Text stays Python objects, as the storage reads it and as
            # the speed and KPI rules read it back (``to_numpy(dtype=object)``): not
            # converted to arrow strings, 400,000 rows at a time, only to be converted back.
            t[col] = tests[col]
    return placed_rows


#: The admin columns of every KPI input row: each level's code and name, and how the
#: 2025 units were found.
LEVEL_COLUMNS_FLAT: list[str] = [
    *sorted({c for pair in LEVEL_COLUMNS.values() for c in pair}),
    "admin_2025_method",
]


def inside_5g_zone(pois: gpd.GeoDataFrame, zones: gpd.GeoDataFrame) -> np.ndarray:
    """Which points lie in an on-air ``zones_5g`` polygon."""
    inside = np.zeros(len(pois), dtype=bool)
    if not len(zones):
        return inside
    live = zones[zones["status"] == "on_air"]
    if len(live):
        tree = shapely.STRtree(live.geometry.to_numpy())
        idx, _ = tree.query(pois.geometry.to_numpy(), predicate="intersects")
        inside[idx] = True
    return inside
