"""Per-village coverage: the ``village_coverage`` table (``docs/architecture.md``, coverage rules).

Owns the table: its columns, computed from the mobile results (:mod:`coverage_gis.mobile`
owns *mobile broadband* and its gap reasons) and the FTTH ones (:mod:`coverage_gis.fiber`
owns *FTTH* and its gap reasons), the planners' overrides applied last; and the
coverage at one point. Everything is vectorised; there is no Python loop over pairs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pandas.api.extensions import ExtensionArray

from coverage_gis._column_codes import repeated_str_column
from coverage_gis._strings import as_assigned, str_column, str_take
from coverage_gis.cell_index import CellIndex
from coverage_gis.crs import STORAGE_CRS, lonlat_to_metric
from coverage_gis.fiber import FiberIndex, FtthResult, fiber_index
from coverage_gis.input_layers import InputLayers, as_geo
from coverage_gis.layers import get_schema
from coverage_gis.mobile import MobileResult, grid_power, mobile_at, mobile_from_pairs
from coverage_gis.models.base import CandidatePairs, CoverageModel, ReceiverArrays
from coverage_gis.models.validity import ValidityReport
from coverage_gis.network import (
    CellTable,
    bits_to_names,
    cell_table_or_empty,
    points_xy_m,
)
from coverage_gis.overrides import OVERRIDE_COLUMN, accepted_overrides, apply_overrides
from coverage_gis.vocabulary import OPERATORS, TECH_RANK


@dataclass(frozen=True)
class CoverageRun:
    """A computed ``village_coverage`` table and the model's validity report for its pairs."""

    table: gpd.GeoDataFrame
    model_report: ValidityReport


def coverage_from_layers(
    layers: InputLayers | Mapping[str, pd.DataFrame],
    *,
    metric_crs: str,
    model: CoverageModel,
    ftth_reach_m: float = 500.0,
    revision: int = 0,
    cells: CellTable | None = None,
    overrides: pd.DataFrame | None = None,
    fiber: FiberIndex | None = None,
) -> gpd.GeoDataFrame:
    """The ``village_coverage`` table from in-memory layers (see :func:`compute_coverage`)."""
    return compute_coverage(
        layers,
        metric_crs=metric_crs,
        model=model,
        ftth_reach_m=ftth_reach_m,
        revision=revision,
        cells=cells,
        overrides=overrides,
        fiber=fiber,
    ).table


def compute_coverage(
    layers: InputLayers | Mapping[str, pd.DataFrame],
    *,
    metric_crs: str,
    model: CoverageModel,
    ftth_reach_m: float = 500.0,
    revision: int = 0,
    cells: CellTable | None = None,
    overrides: pd.DataFrame | None = None,
    fiber: FiberIndex | None = None,
) -> CoverageRun:
    """The ``village_coverage`` table from in-memory layers, with the model's validity report.

    Parameters
    ----------
    layers
        Frames by layer name; ``villages`` is required, ``sites``/``cells``,
        ``fiber_routes``/``fiber_nodes`` and ``communes`` (clutter class) optional.
    metric_crs
        CRS in metres for all distances.
    model
        The coverage model (see :func:`coverage_gis.models.create_model`).
    ftth_reach_m
        Distance from a village centre within which fiber gives FTTH.
    revision
        Workspace revision the result belongs to.
    cells
        The layers' cell table when the caller has built it already.
    overrides
        The ``overrides`` layer (planners' decisions on challenges); its accepted
        decisions are applied last (:mod:`coverage_gis.overrides`).
    fiber
        The layers' fiber index (:func:`fiber_index`) when the caller has built it already.
    """
    typed = InputLayers.from_frames(layers)
    table = cells if cells is not None else cell_table_or_empty(typed, metric_crs=metric_crs)
    index = fiber if fiber is not None else fiber_index(typed, metric_crs=metric_crs)
    mobile, ftth = coverage_of_points(
        typed.villages, table, index, model=model, metric_crs=metric_crs, ftth_reach_m=ftth_reach_m
    )
    return coverage_run(
        typed.villages, mobile, ftth, model_name=model.name, revision=revision, overrides=overrides
    )


def coverage_run(
    villages: gpd.GeoDataFrame,
    mobile: MobileResult,
    ftth: FtthResult,
    *,
    model_name: str,
    revision: int,
    overrides: pd.DataFrame | None,
) -> CoverageRun:
    """The ``village_coverage`` table of the villages' mobile and FTTH results, the planners'
    accepted decisions (``overrides``) applied last, with the model's validity report."""
    assembled = assemble(villages, mobile, ftth, model_name=model_name, revision=revision)
    if len(accepted_overrides(overrides)):
        # Planners' accepted challenges stand over the model at every recompute.
        assembled = as_coverage_table(apply_overrides(assembled, overrides))
    return CoverageRun(assembled, mobile.validity)


def coverage_of_points(
    points: gpd.GeoDataFrame,
    cells: CellTable,
    fiber: FiberIndex,
    *,
    model: CoverageModel,
    metric_crs: str,
    ftth_reach_m: float,
) -> tuple[MobileResult, FtthResult]:
    """Mobile and FTTH results at each point (villages, or priority places).

    ``points`` need ``has_grid_power`` only for the mobile gap reason.
    """
    x_m, y_m = points_xy_m(points, metric_crs)
    mobile = mobile_at(ReceiverArrays(x_m=x_m, y_m=y_m), grid_power(points), cells, model=model)
    return mobile, fiber.coverage(x_m, y_m, ftth_reach_m)


def mobile_columns(mobile: MobileResult) -> dict[str, np.ndarray]:
    """The ``village_coverage`` columns of a mobile result (:data:`MOBILE_COLUMNS`, in order)."""
    return {
        "mobile_bb": mobile.mobile_bb,
        "best_tech": mobile.best_tech,
        "operators": bits_to_names(mobile.operator_bits),
        "n_operators": np.bitwise_count(mobile.operator_bits.astype(np.uint64)).astype(np.int64),
        "best_signal_dbm": mobile.best_signal_dbm,
        "has_4g": mobile.has_4g,
        "has_5g": mobile.has_5g,
        "mobile_gap_reason": mobile.gap_reason,
        "mobile_gap_reasons": mobile.gap_reasons,
    }


def ftth_columns(ftth: FtthResult) -> dict[str, np.ndarray]:
    """The ``village_coverage`` columns of an FTTH result."""
    return {
        "ftth": ftth.ftth,
        "fiber_distance_m": ftth.fiber_distance_m,
        "ftth_operators": bits_to_names(ftth.operator_bits),
        "ftth_gap_reason": ftth.gap_reason,
    }


#: The result columns of ``village_coverage`` (its fields but the key and the bookkeeping).
COVERAGE_RESULT_COLUMNS: tuple[str, ...] = tuple(
    name
    for name in get_schema("village_coverage").field_names
    if name not in ("village_id", "model", "revision")
)
#: Coverage columns a site edit can change (FTTH depends on fiber only).
MOBILE_COLUMNS: tuple[str, ...] = (
    "mobile_bb",
    "best_tech",
    "operators",
    "n_operators",
    "best_signal_dbm",
    "has_4g",
    "has_5g",
    "mobile_gap_reason",
    "mobile_gap_reasons",
)


def operator_names(bits: np.ndarray) -> Any:
    """:func:`~coverage_gis.network.bits_to_names` as a frame holds the names (:func:`str_take`)."""
    every = bits_to_names(np.arange(1 << len(OPERATORS)))
    return str_take(every, np.asarray(bits, dtype=np.int64))


def assemble(
    villages: gpd.GeoDataFrame,
    mobile: MobileResult,
    ftth: FtthResult,
    *,
    model_name: str,
    revision: int,
) -> gpd.GeoDataFrame:
    """Mobile and FTTH columns → the ``village_coverage`` layer (schema order)."""
    n = len(villages)
    columns: dict[str, object] = {
        "village_id": as_assigned(villages["village_id"], object),
        **mobile_columns(mobile),
        **ftth_columns(ftth),
        # The operators and the constant columns as a frame holds them (pandas strings),
        # each distinct value converted once.
        "operators": operator_names(mobile.operator_bits),
        "ftth_operators": operator_names(ftth.operator_bits),
        "model": str_take(np.array([model_name], dtype=object), np.zeros(n, dtype=np.int64)),
        # The model overrides nothing; apply_overrides names what the planners' decisions set.
        OVERRIDE_COLUMN: str_take(np.array([""], dtype=object), np.zeros(n, dtype=np.int64)),
        "revision": revision,
    }
    names = get_schema("village_coverage").field_names
    # Object columns converted to pandas strings: the ids in one pass, the technologies
    # and gap reasons (a few objects repeated) one distinct value at a time.
    data = {
        name: (str_column(v) if name == "village_id" else repeated_str_column(v))
        if isinstance(v := columns[name], np.ndarray)
        else v
        for name in names
    }
    return gpd.GeoDataFrame(data, geometry=villages.geometry.to_numpy(), crs=STORAGE_CRS)


def written_before_gap_reasons(coverage: pd.DataFrame) -> bool:
    """Whether a stored ``village_coverage`` predates the ``mobile_gap_reasons`` column.

    A table written before it existed reads back with the column empty even where a
    village has no mobile broadband; such a table must be recomputed before it is
    shown or edited row by row (its file has no such column).
    """
    if "mobile_gap_reasons" not in coverage or not len(coverage):
        return "mobile_gap_reasons" not in coverage
    gap = ~coverage["mobile_bb"].astype(bool).to_numpy()
    return bool(gap.any() and coverage["mobile_gap_reasons"].isna().to_numpy()[gap].all())


def as_coverage_table(frame: pd.DataFrame) -> gpd.GeoDataFrame:
    """A ``village_coverage`` frame (read back from a workspace) as the GeoDataFrame it is."""
    return as_geo(frame, "village_coverage")


def coverage_by_village(coverage: pd.DataFrame, village_ids: Sequence[object] | np.ndarray) -> pd.DataFrame:
    """Coverage rows in the order of ``village_ids``, indexed by ``village_id``.

    The one join of villages with their coverage: a village without a coverage row
    gets missing values (a duplicated row counts once).
    """
    by_id = coverage.drop_duplicates("village_id").set_index("village_id")
    return by_id.reindex(pd.Index(np.asarray(village_ids, dtype=object), name="village_id"))


def rows_align(coverage: pd.DataFrame, village_ids: Any) -> bool:
    """Whether ``coverage``'s rows are the villages' of ``village_ids`` (a pandas array),
    one each, in order: :func:`coverage_by_village` would give them as they are.

    False (not known) where ``village_ids`` is no pandas array of ``coverage``'s dtype.
    """
    ids = coverage["village_id"]
    if not isinstance(village_ids, ExtensionArray) or ids.dtype != village_ids.dtype:
        return False
    return bool(len(ids) == len(village_ids) and ids.array.equals(village_ids) and ids.is_unique)


def aligned_coverage(coverage: pd.DataFrame, villages: pd.DataFrame) -> gpd.GeoDataFrame:
    """The coverage layer in the order of ``villages``; KeyError when a village has no row."""
    ids = villages["village_id"].to_numpy(dtype=object)
    aligned = coverage_by_village(coverage, ids)
    # pandas hashes (np.isin compares object arrays element by element, n × m); an object
    # index, since a string index converts the values it is asked about one by one.
    missing = ~pd.Index(ids, dtype=object).isin(coverage["village_id"].to_numpy(dtype=object))
    if missing.any():
        raise KeyError(f"villages without coverage: {list(ids[missing][:5])}")
    return as_geo(aligned.reset_index(), "village_coverage")


@dataclass(frozen=True)
class CellAtPoint:
    """A cell whose service area contains a point."""

    cell_id: str
    site_id: str
    operator: str
    tech: str
    on_air: bool
    distance_m: float
    signal_dbm: float | None


@dataclass(frozen=True)
class CoverageAtPoint:
    """Which operators and technologies serve one point, by the workspace's model.

    ``cells`` are the on-air cells serving it and ``planned`` the not-yet-on-air ones
    whose service area contains it, nearest first; ``operators`` maps each operator on
    air there to its technologies, oldest first.
    """

    lon: float
    lat: float
    model: str
    mobile_bb: bool
    best_tech: str | None
    operators: dict[str, list[str]]
    cells: list[CellAtPoint]
    planned: list[CellAtPoint]


def coverage_at_point(
    lon: float,
    lat: float,
    cells: CellTable,
    *,
    model: CoverageModel,
    metric_crs: str,
    index: CellIndex | None = None,
) -> CoverageAtPoint:
    """The cells serving ``(lon, lat)`` and the mobile broadband rules applied to them.

    ``index`` (a :class:`~coverage_gis.cell_index.CellIndex` of ``cells`` under ``model``)
    narrows the model's work to the cells that can reach the point.
    """
    x_m, y_m = lonlat_to_metric(np.array([lon]), np.array([lat]), metric_crs)
    if index is not None:
        point = np.array([x_m[0], y_m[0]])
        cells = index.cells_near(cells, point, point)
    receiver = ReceiverArrays(x_m=x_m, y_m=y_m)
    pairs = model.candidate_pairs(receiver, cells.arrays) if len(cells) else CandidatePairs.empty()
    summary = mobile_from_pairs(pairs, cells, np.ones(1, dtype=bool))
    serving: list[CellAtPoint] = []
    planned: list[CellAtPoint] = []
    order = np.argsort(pairs.distance_m, kind="stable")
    for k in order[pairs.served[order]]:
        c = int(pairs.cell[k])
        signal = float(pairs.signal_dbm[k])
        entry = CellAtPoint(
            cell_id=str(cells.cell_id[c]),
            site_id=str(cells.site_id[c]),
            operator=str(cells.operator[c]),
            tech=str(cells.arrays.tech[c]),
            on_air=bool(cells.on_air[c]),
            distance_m=float(pairs.distance_m[k]),
            signal_dbm=None if np.isnan(signal) else signal,
        )
        (serving if entry.on_air else planned).append(entry)
    operators: dict[str, list[str]] = {}
    for entry in serving:
        techs = operators.setdefault(entry.operator, [])
        if entry.tech not in techs:
            techs.append(entry.tech)
    for techs in operators.values():
        techs.sort(key=lambda t: TECH_RANK.get(t, 0))
    return CoverageAtPoint(
        lon=lon,
        lat=lat,
        model=model.name,
        mobile_bb=bool(summary.mobile_bb[0]),
        best_tech=summary.best_tech[0],
        operators=operators,
        cells=serving,
        planned=planned,
    )


@dataclass(frozen=True, eq=False)
class WorkspaceArea:
    """The workspace's area: its communes, or (a workspace without communes) the box
    around its villages and sites.

    Coverage is only computed where the workspace has data: outside it, "no coverage"
    would be a claim about places it knows nothing of. Built once per revision by a
    server that answers point reads; :meth:`contains` is then one tree query.
    """

    tree: shapely.STRtree | None
    box: tuple[float, float, float, float] | None

    @classmethod
    def of(cls, layers: InputLayers) -> WorkspaceArea:
        communes = layers.communes
        if len(communes):
            return cls(shapely.STRtree(np.asarray(communes.geometry.array)), None)
        boxes = [f.total_bounds for f in (layers.villages, layers.sites) if len(f)]
        if not boxes:
            return cls(None, None)
        west, south = min(b[0] for b in boxes), min(b[1] for b in boxes)
        east, north = max(b[2] for b in boxes), max(b[3] for b in boxes)
        return cls(None, (float(west), float(south), float(east), float(north)))

    def contains(self, lon: float, lat: float) -> bool:
        """Whether ``(lon, lat)`` lies in the area (a commune's edge included)."""
        if self.tree is not None:
            return bool(len(self.tree.query(shapely.Point(lon, lat), predicate="intersects")))
        if self.box is None:
            return False
        west, south, east, north = self.box
        return bool(west <= lon <= east and south <= lat <= north)
