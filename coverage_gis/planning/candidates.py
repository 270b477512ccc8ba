"""Candidate sites for closing mobile gaps: where a site could go, what it would cover, its cost.

Owns the candidate list and its coverage matrix:

- ``activate``: a planned site whose planned broadband cells would be switched on;
- ``colocate``: an existing on-air mast (of another operator when planning for one);
- ``village``: a new mast at an uncovered village's centre;
- ``grid``: a new mast on a regular grid around uncovered villages.

New masts must stand on land inside the workspace's communes, on terrain no steeper
than ``max_slope_deg`` (when the workspace has a DEM) and within ``max_road_access_m``
of a road (when it has ``roads.osm``). Each candidate's coverage comes from the
workspace's own coverage model applied to the cells it would carry (a standard
three-sector 4G site for new and co-located ones, the planned cells for activations).
A new mast's power is the cheaper of a grid extension from the nearest powered village
or site and a solar/hybrid system; prices come from ``layers/costs.yaml``.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.spatial import cKDTree

from coverage_gis.costs import Costs
from coverage_gis.crs import STORAGE_CRS, metric_to_lonlat
from coverage_gis.engine import Analysis
from coverage_gis.models import load_model_settings
from coverage_gis.models.base import BROADBAND_TECHS, CellArrays, FloatArray, ReceiverArrays
from coverage_gis.models.terrain import TerrainModel
from coverage_gis.network import CellTable, points_xy_m, receivers_of, site_environment

CANDIDATE_KINDS: tuple[str, ...] = ("activate", "colocate", "village", "grid")
#: Sector azimuths of a proposed site (three sectors cover the disc; docs/architecture.md).
SECTOR_AZIMUTHS_DEG: tuple[float, ...] = (0.0, 120.0, 240.0)


@dataclass(frozen=True)
class SiteDesign:
    """The radio and siting rules for proposed sites."""

    tech: str = "4G"
    band_mhz: float = 1800.0
    eirp_dbm: float = 60.0
    beamwidth_deg: float = 65.0
    tilt_deg: float = 4.0
    height_m: float = 35.0
    grid_spacing_m: float = 2_000.0
    max_road_access_m: float = 1_500.0
    max_slope_deg: float = 30.0


@dataclass(frozen=True)
class Candidates:
    """Candidate sites and what each covers.

    Attributes
    ----------
    table
        One row per candidate (EPSG:4326 points): ``candidate_id``, ``kind``,
        ``site_id`` (the existing site for activate/colocate), ``operator``,
        ``height_m``, ``environment``, ``power`` (existing/grid/grid_extension/
        solar_hybrid), ``grid_extension_m``, ``road_access_m``, ``slope_deg``,
        ``cost_vnd``.
    coverage
        Gap village × candidate CSR matrix (rows in the order of the gap villages).
    rejected
        Counts of new-mast points dropped by each filter (``off_land``, ``slope``,
        ``road_access``).
    """

    table: gpd.GeoDataFrame
    coverage: sp.csr_array
    rejected: dict[str, int]

    @property
    def cost_vnd(self) -> FloatArray:
        return np.asarray(self.table["cost_vnd"].to_numpy(dtype=np.float64), dtype=np.float64)


def design_cells(
    x_m: FloatArray, y_m: FloatArray, height_m: FloatArray, environment: np.ndarray, design: SiteDesign
) -> CellArrays:
    """Three sectors per point (cell ``3k + s`` is sector ``s`` of point ``k``)."""
    k = len(x_m)
    s = len(SECTOR_AZIMUTHS_DEG)
    rep = np.repeat(np.arange(k), s)
    return CellArrays(
        x_m=np.asarray(x_m, dtype=np.float64)[rep],
        y_m=np.asarray(y_m, dtype=np.float64)[rep],
        tech=np.full(k * s, design.tech),
        band_mhz=np.full(k * s, design.band_mhz),
        azimuth_deg=np.tile(np.array(SECTOR_AZIMUTHS_DEG), k),
        beamwidth_deg=np.full(k * s, design.beamwidth_deg),
        eirp_dbm=np.full(k * s, design.eirp_dbm),
        tilt_deg=np.full(k * s, design.tilt_deg),
        height_m=np.asarray(height_m, dtype=np.float64)[rep],
        environment=np.asarray(environment, dtype=str)[rep],
    )


def _served_matrix(
    analysis: Analysis,
    receivers: ReceiverArrays,
    cells: CellArrays,
    cell_candidate: np.ndarray,
    n_candidates: int,
) -> sp.csr_array:
    if not len(cells) or not len(receivers):
        return sp.csr_array((len(receivers), n_candidates))
    pairs = analysis.model.candidate_pairs(receivers, cells)
    rows = pairs.receiver[pairs.served]
    cols = cell_candidate[pairs.cell[pairs.served]]
    matrix = sp.csr_array((np.ones(rows.size), (rows, cols)), shape=(len(receivers), n_candidates))
    matrix.sum_duplicates()
    matrix.data[:] = 1.0
    return matrix


def _broadband_cells(cells: CellTable, operator: str | None) -> np.ndarray:
    mask = np.isin(cells.arrays.tech, list(BROADBAND_TECHS))
    if operator:
        mask &= cells.operator == operator
    return mask


def _ground_and_slope(
    analysis: Analysis, x_m: FloatArray, y_m: FloatArray
) -> tuple[FloatArray, FloatArray] | None:
    """DEM height and slope (degrees, central differences over ±30 m), or None without a DEM."""
    dem = analysis.ws.dem_path
    if dem is None:
        return None
    model = analysis.model
    terrain = (
        model
        if isinstance(model, TerrainModel)
        else TerrainModel(load_model_settings(), dem, analysis.metric_crs)
    )
    step = 30.0
    ground = terrain.ground_m(x_m, y_m)
    dzdx = (terrain.ground_m(x_m + step, y_m) - terrain.ground_m(x_m - step, y_m)) / (2 * step)
    dzdy = (terrain.ground_m(x_m, y_m + step) - terrain.ground_m(x_m, y_m - step)) / (2 * step)
    slope = np.degrees(np.arctan(np.hypot(dzdx, dzdy)))
    return ground, slope


def _power(
    analysis: Analysis, x_m: FloatArray, y_m: FloatArray, costs: Costs
) -> tuple[np.ndarray, FloatArray, FloatArray]:
    """Cheapest power per new mast: grid (extension from the nearest powered point) or solar."""
    villages = analysis.layers.villages
    sites = analysis.layers.sites
    points = []
    powered_v = villages["has_grid_power"].fillna(True).to_numpy(dtype=bool)
    vx, vy = points_xy_m(villages, analysis.metric_crs)
    points.append(np.column_stack([vx[powered_v], vy[powered_v]]))
    if len(sites):
        powered_s = (sites["has_grid_power"].fillna(True).to_numpy(dtype=bool)) & (
            sites["status"] == "on_air"
        ).to_numpy()
        sx, sy = points_xy_m(sites, analysis.metric_crs)
        points.append(np.column_stack([sx[powered_s], sy[powered_s]]))
    powered = np.concatenate(points) if points else np.empty((0, 2))
    if len(powered) and len(x_m):
        distance, _ = cKDTree(powered).query(np.column_stack([x_m, y_m]))
        distance = np.asarray(distance, dtype=np.float64)
    else:
        distance = np.full(len(x_m), np.inf)
    grid_cost = costs.grid_connected_power_vnd + distance / 1000.0 * costs.grid_extension_per_km_vnd
    solar = grid_cost > costs.solar_hybrid_power_vnd
    kind = np.where(solar, "solar_hybrid", np.where(distance > 0, "grid_extension", "grid")).astype(object)
    cost = np.where(solar, costs.solar_hybrid_power_vnd, grid_cost)
    extension = np.where(solar, np.nan, distance)
    return kind, extension, cost


def _grid_points(gap_x: FloatArray, gap_y: FloatArray, reach_m: float, spacing_m: float) -> FloatArray:
    """Grid nodes (aligned to multiples of the spacing) within ``reach_m`` of a gap village."""
    if not len(gap_x) or spacing_m <= 0:
        return np.empty((0, 2))
    steps = int(np.ceil(reach_m / spacing_m))
    offsets = np.arange(-steps, steps + 1) * spacing_m
    ox, oy = np.meshgrid(offsets, offsets)
    base_x = np.round(gap_x / spacing_m) * spacing_m
    base_y = np.round(gap_y / spacing_m) * spacing_m
    pts = np.column_stack(
        [(base_x[:, None] + ox.ravel()[None, :]).ravel(), (base_y[:, None] + oy.ravel()[None, :]).ravel()]
    )
    pts = np.unique(pts, axis=0)
    near, _ = cKDTree(np.column_stack([gap_x, gap_y])).query(pts, distance_upper_bound=reach_m)
    return np.asarray(pts[np.isfinite(near)], dtype=np.float64)


def build_candidates(
    analysis: Analysis,
    gap: np.ndarray,
    *,
    operator: str,
    costs: Costs,
    design: SiteDesign,
    road_tree: cKDTree | None,
) -> Candidates:
    """Candidate sites for the gap villages (``gap``: boolean mask over the villages layer).

    Parameters
    ----------
    analysis
        The workspace's layers, model and cells.
    gap
        Villages to cover.
    operator
        Operator of the proposed cells; with a real operator name, co-location is on
        masts where it has no broadband cell and only its planned cells are activated.
        ``Other`` plans for a neutral host (any mast, any planned cell).
    costs
        Unit costs.
    design
        Radio and siting rules of proposed sites.
    road_tree
        KD-tree over road nodes in the metric CRS (None: no road-access filter).
    """
    metric = analysis.metric_crs
    layers = analysis.layers
    receivers = receivers_of(layers.villages[gap], metric)
    communes = layers.communes
    sites = layers.sites
    cells = analysis.cells
    specific = None if operator == "Other" else operator
    frames: list[pd.DataFrame] = []
    matrices: list[sp.csr_array] = []

    # Activations: planned broadband cells (on their planned or on-air sites).
    planned = ~cells.on_air & _broadband_cells(cells, specific)
    planned_sites = np.unique(cells.site_id[planned])
    if planned_sites.size and len(receivers):
        sub = cells.subset(planned)
        index = {s: i for i, s in enumerate(planned_sites)}
        cell_candidate = np.array([index[s] for s in sub.site_id], dtype=np.int64)
        matrices.append(_served_matrix(analysis, receivers, sub.arrays, cell_candidate, planned_sites.size))
        rows = sites.iloc[pd.Index(sites["site_id"]).get_indexer(planned_sites)]
        px, py = points_xy_m(rows, metric)
        frames.append(
            pd.DataFrame(
                {
                    "kind": "activate",
                    "site_id": planned_sites,
                    "x_m": px,
                    "y_m": py,
                    "height_m": rows["height_m"].fillna(design.height_m).to_numpy(dtype=float),
                    "power": "existing",
                    "grid_extension_m": np.nan,
                    "cost_vnd": costs.activate_planned_site_vnd,
                }
            )
        )

    # Co-location on on-air masts within reach of a gap village.
    reach = float(
        analysis.model.max_range_m(
            design_cells(np.zeros(1), np.zeros(1), np.array([design.height_m]), np.array(["rural"]), design)
        ).max(initial=0.0)
    )
    on_air_sites = sites[(sites["status"] == "on_air").to_numpy()]
    if specific is not None:
        has_op = set(cells.site_id[cells.on_air & _broadband_cells(cells, specific)])
        on_air_sites = on_air_sites[~on_air_sites["site_id"].isin(has_op).to_numpy()]
    if len(on_air_sites) and len(receivers):
        sx, sy = points_xy_m(on_air_sites, metric)
        near, _ = cKDTree(np.column_stack([receivers.x_m, receivers.y_m])).query(
            np.column_stack([sx, sy]), distance_upper_bound=reach * 1.5
        )
        keep = np.isfinite(near)
        masts = on_air_sites[keep]
        heights = masts["height_m"].fillna(design.height_m).to_numpy(dtype=float)
        env = site_environment(masts, communes)
        arrays = design_cells(sx[keep], sy[keep], heights, env, design)
        cell_candidate = np.repeat(np.arange(len(masts)), len(SECTOR_AZIMUTHS_DEG))
        matrices.append(_served_matrix(analysis, receivers, arrays, cell_candidate, len(masts)))
        frames.append(
            pd.DataFrame(
                {
                    "kind": "colocate",
                    "site_id": masts["site_id"].to_numpy(dtype=object),
                    "x_m": sx[keep],
                    "y_m": sy[keep],
                    "height_m": heights,
                    "power": "existing",
                    "grid_extension_m": np.nan,
                    "cost_vnd": costs.colocation_vnd,
                }
            )
        )

    # New masts: village centres and grid nodes, filtered by land, slope and road access.
    gx = np.concatenate(
        [receivers.x_m, _grid_points(receivers.x_m, receivers.y_m, reach, design.grid_spacing_m)[:, 0]]
    )
    gy = np.concatenate(
        [receivers.y_m, _grid_points(receivers.x_m, receivers.y_m, reach, design.grid_spacing_m)[:, 1]]
    )
    kind = np.array(["village"] * len(receivers) + ["grid"] * (len(gx) - len(receivers)), dtype=object)
    rejected = {"off_land": 0, "slope": 0, "road_access": 0}
    lon, lat = metric_to_lonlat(gx, gy, metric)
    points = gpd.GeoDataFrame(geometry=gpd.points_from_xy(lon, lat), crs=STORAGE_CRS)
    keep = np.ones(len(gx), dtype=bool)
    if len(communes) and len(points):
        inside = np.zeros(len(gx), dtype=bool)
        hit, _ = communes.sindex.query(points.geometry.to_numpy(), predicate="intersects")
        inside[hit] = True
        rejected["off_land"] = int((keep & ~inside).sum())
        keep &= inside
    slope = np.full(len(gx), np.nan)
    terrain = _ground_and_slope(analysis, gx, gy) if len(gx) else None
    if terrain is not None:
        ground, slope = terrain
        steep = np.isnan(ground) | (np.nan_to_num(slope, nan=90.0) > design.max_slope_deg)
        rejected["slope"] = int((keep & steep).sum())
        keep &= ~steep
    road_m = np.full(len(gx), np.nan)
    if road_tree is not None and len(gx):
        road_m = np.asarray(road_tree.query(np.column_stack([gx, gy]))[0], dtype=np.float64)
        far = road_m > design.max_road_access_m
        rejected["road_access"] = int((keep & far).sum())
        keep &= ~far
    gx, gy, kind, slope, road_m = gx[keep], gy[keep], kind[keep], slope[keep], road_m[keep]
    if len(gx):
        env = site_environment(points[keep], communes)
        heights = np.full(len(gx), design.height_m)
        arrays = design_cells(gx, gy, heights, env, design)
        cell_candidate = np.repeat(np.arange(len(gx)), len(SECTOR_AZIMUTHS_DEG))
        matrices.append(_served_matrix(analysis, receivers, arrays, cell_candidate, len(gx)))
        power, extension, power_cost = _power(analysis, gx, gy, costs)
        frames.append(
            pd.DataFrame(
                {
                    "kind": kind,
                    "site_id": None,
                    "x_m": gx,
                    "y_m": gy,
                    "height_m": heights,
                    "power": power,
                    "grid_extension_m": extension,
                    "cost_vnd": costs.new_site_vnd + power_cost,
                    "road_access_m": road_m,
                    "slope_deg": slope,
                }
            )
        )
    return _assemble(frames, matrices, len(receivers), operator, metric, communes, rejected)


def _assemble(
    frames: list[pd.DataFrame],
    matrices: list[sp.csr_array],
    n_rows: int,
    operator: str,
    metric: str,
    communes: gpd.GeoDataFrame,
    rejected: dict[str, int],
) -> Candidates:
    columns = [
        "kind",
        "site_id",
        "x_m",
        "y_m",
        "height_m",
        "power",
        "grid_extension_m",
        "cost_vnd",
        "road_access_m",
        "slope_deg",
    ]
    table = (
        pd.concat([f.reindex(columns=columns) for f in frames], ignore_index=True)
        if frames
        else pd.DataFrame(columns=columns)
    )
    coverage = sp.csr_array(sp.hstack(matrices, format="csr")) if matrices else sp.csr_array((n_rows, 0))
    # A candidate that covers no gap village is of no use to any model.
    useful = np.asarray(coverage.sum(axis=0) > 0, dtype=bool).ravel()
    table = table[useful].reset_index(drop=True)
    coverage = sp.csr_array(coverage[:, np.flatnonzero(useful)])
    lon, lat = metric_to_lonlat(
        table["x_m"].to_numpy(dtype=float), table["y_m"].to_numpy(dtype=float), metric
    )
    table.insert(0, "candidate_id", [f"C{i + 1:05d}" for i in range(len(table))])
    table["operator"] = operator
    table["villages_covered"] = np.asarray(coverage.sum(axis=0), dtype=np.int64).ravel()
    gdf = gpd.GeoDataFrame(table, geometry=gpd.points_from_xy(lon, lat), crs=STORAGE_CRS)
    gdf["environment"] = site_environment(gdf, communes)
    return Candidates(gdf, coverage, rejected)
