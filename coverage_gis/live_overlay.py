"""What a live workspace edits: a base analysis, its indexes, and the sites changed since.

A site edit on a national workspace touches a few sites, a few hundred villages and a
handful of admin units; copying the national tables (sites, cells, coverage, KPI
inputs) on every edit would cost far more than the recompute itself
(``docs/architecture.md``: live workspace). So an edit works on an :class:`Overlay`:

* :class:`BaseIndex`, built once per base analysis: the base layers and tables with
  position indexes by site, cell, and admin unit, and a KD-tree over the base cells;
* the sites touched since the base (:class:`SitePart`: their rows, cells, cell arrays
  and KPI input row, or None for a removed site), in the order a full table holds
  them (a site touched again moves to the end, as the edit appends its new rows);
* the current mobile columns of every village and place as numpy arrays (an edit
  copies these arrays, never a frame).

:meth:`Overlay.materialize` builds the full :class:`~coverage_gis.engine.Analysis` the
readers use, equal to what the frame-by-frame edits gave; the live workspace builds
it once per revision, on first read. :meth:`Overlay.rebased` folds the touched sites
into a new base when they grow many.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from functools import cached_property
from typing import Any, TypeVar

import geopandas as gpd
import numpy as np
import pandas as pd

from coverage_gis._values import equal_values, plain_value
from coverage_gis.admin import LEVEL_COLUMNS, LEVELS
from coverage_gis.cell_index import CellIndex, in_reach_of_box, take_rows
from coverage_gis.coverage import MOBILE_COLUMNS
from coverage_gis.crs import STORAGE_CRS
from coverage_gis.engine import Analysis
from coverage_gis.input_layers import InputLayers
from coverage_gis.kpi import KpiColumns, kpi_columns
from coverage_gis.kpi_inputs import inside_5g_zone, site_rows
from coverage_gis.layers import get_schema
from coverage_gis.live_site import Place, SitePlacer
from coverage_gis.models.base import CoverageModel
from coverage_gis.network import CellTable, concat_tables
from coverage_gis.site_edits import SiteRecord, site_frames

#: KPI input columns of a village that a site edit changes.
VILLAGE_INPUT_COLUMNS: tuple[str, ...] = ("mobile_bb", "has_4g", "has_5g", "operators")
#: Coverage columns an edit rewrites: the mobile ones and the row's revision.
VILLAGE_COVERAGE_COLUMNS: tuple[str, ...] = (*MOBILE_COLUMNS, "revision")
#: KPI input columns of a priority place that a site edit changes.
POI_INPUT_COLUMNS: tuple[str, ...] = ("mobile_bb", "has_5g")
_Frame = TypeVar("_Frame", bound=pd.DataFrame)

#: Frames of the KPI inputs, by the name of the :class:`KpiInputs` field.
_KPI_FRAMES: tuple[str, ...] = ("villages", "sites", "pois", "speed_tests")


@dataclass(frozen=True, eq=False)
class SitePart:
    """One site as an edit left it: its records, cell arrays and KPI arrays.

    The frames a full table holds (:attr:`site`, :attr:`cells`, :attr:`kpi_row`) are
    built from the records on first access: only the full analysis reads them.
    """

    record: SiteRecord
    #: Where the site stands (metric position, clutter class, admin units).
    place: Place
    table: CellTable
    #: The site's KPI input row as KPI arrays (site rows only; none when not on air).
    kpi_columns: KpiColumns
    #: The layers the site's admin units come from (communes and their 2025 parts).
    layers: InputLayers

    @cached_property
    def _frames(self) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
        return site_frames(self.record)

    @property
    def site(self) -> gpd.GeoDataFrame:
        return self._frames[0]

    @property
    def cells(self) -> pd.DataFrame:
        return self._frames[1]

    @cached_property
    def kpi_row(self) -> pd.DataFrame:
        """The site's KPI input row (:func:`~coverage_gis.kpi_inputs.site_rows`; empty when not on air)."""
        return site_rows(self.site, self.cells, self.layers.communes, self.layers.commune_parts_2025)


class RowGroups(Mapping[object, np.ndarray]):
    """Row positions of each distinct (non-missing) value of a column, in row order, as
    ``groupby(values).indices`` gives them.

    Held as one stable order of the rows and where each value's run starts; a value's
    rows are a slice of it, made when asked. (``groupby(...).indices`` makes an array
    per value up front, 1.4 µs each for a national workspace's 120,000 sites, and on a
    column pandas takes for strings reads every group through an arrow array one item
    at a time: 1.7 s for the national KPI inputs.)
    """

    def __init__(self, values: np.ndarray) -> None:
        codes, uniques = pd.factorize(np.asarray(values, dtype=object))
        codes = np.asarray(codes, dtype=np.int64)
        # Missing values (code -1) sort first: left out.
        self._order = np.argsort(codes, kind="stable")[int(np.count_nonzero(codes < 0)) :]
        counts = np.bincount(codes[codes >= 0], minlength=len(uniques))
        self._start = np.concatenate([[0], np.cumsum(counts)]).tolist()
        self._group = {value: g for g, value in enumerate(np.asarray(uniques, dtype=object).tolist())}

    def __getitem__(self, value: object) -> np.ndarray:
        g = self._group[value]
        return self._order[self._start[g] : self._start[g + 1]]

    def __iter__(self) -> Iterator[object]:
        return iter(self._group)

    def __len__(self) -> int:
        return len(self._group)


@dataclass(frozen=True, eq=False)
class BaseIndex:
    """A base analysis with the indexes an edit looks rows up by. Never changes."""

    analysis: Analysis
    #: Row of each site in ``layers.sites``.
    site_row: Mapping[str, int]
    #: Rows of each site's cells in ``layers.cells``.
    cell_rows: Mapping[object, np.ndarray]
    #: Site of each cell id in ``layers.cells``.
    cell_owner: Mapping[str, str]
    #: Rows of each site's cells in the cell table (``analysis.cells``).
    table_rows: Mapping[object, np.ndarray]
    #: Position of each cell table row's site in ``layers.sites`` (-1: none).
    table_site: np.ndarray
    #: The cell table's cells by position, with their reach.
    table_index: CellIndex
    #: Rows of each site's KPI input row in ``inputs.sites``, and the site of each row.
    kpi_site_rows: Mapping[object, np.ndarray]
    kpi_site_ids: np.ndarray
    #: Per KPI input frame, per level, the rows of each unit code.
    units: Mapping[str, Mapping[str, Mapping[object, np.ndarray]]]
    #: The base's KPI inputs as arrays (every level, the workspace plan's period and categories).
    kpi_columns: KpiColumns
    #: The plan period :attr:`kpi_columns` counts sites in (None: no plan); edited sites'
    #: KPI columns must be cut with the same one.
    kpi_period: tuple[date, date] | None
    #: The base's values of the columns an edit changes: ``coverage``, ``villages`` and
    #: ``pois`` (:data:`VILLAGE_COVERAGE_COLUMNS` and the input columns).
    columns: Mapping[str, Mapping[str, np.ndarray]]

    @cached_property
    def poi_in_5g_zone(self) -> np.ndarray:
        """Which places lie in an on-air 5G zone (zones are not site edits: fixed per base)."""
        layers = self.analysis.layers
        return inside_5g_zone(layers.pois, layers.zones_5g)

    @cached_property
    def placer(self) -> SitePlacer:
        """Places edited sites in the base's communes (built on the first edit)."""
        return SitePlacer.of(self.analysis.layers)

    @cached_property
    def _layer_columns(self) -> dict[str, dict[str, Any]]:
        """The schema columns of ``layers.sites`` and ``layers.cells`` (their arrays, not copies)."""
        layers = self.analysis.layers
        out: dict[str, dict[str, Any]] = {}
        for name, frame in (("sites", layers.sites), ("cells", layers.cells)):
            out[name] = {f: frame[f].array for f in get_schema(name).field_names if f in frame}
        out["sites"]["geometry"] = layers.sites.geometry.array
        return out

    def prepare_edits(self) -> None:
        """Build now what the first edit of this base would build: the KPI columns' per-level
        codes and names, the site placer, the places' 5G-zone flags and the layers' columns
        (about 0.1 s at national scale, otherwise paid by the first edit alone)."""
        self.kpi_columns.make_all()
        _ = self.placer, self.poi_in_5g_zone, self._layer_columns

    def site_record(self, site_id: str) -> SiteRecord:
        """The base's record of a site (plain values, as :func:`~coverage_gis.site_edits.site_records`)."""
        columns = self._layer_columns
        row = self.site_row[site_id]
        site = {
            name: plain_value(values[row]) for name, values in columns["sites"].items() if name != "geometry"
        }
        point = columns["sites"]["geometry"][row]
        site["lon"], site["lat"] = float(point.x), float(point.y)
        cells = tuple(
            {name: plain_value(values[i]) for name, values in columns["cells"].items()}
            for i in self.cell_rows.get(site_id, ())
        )
        return SiteRecord(site, cells)

    @classmethod
    def build(cls, analysis: Analysis) -> BaseIndex:
        layers = analysis.layers
        site_ids = layers.sites["site_id"].to_numpy(dtype=object)
        cell_site = layers.cells["site_id"].to_numpy(dtype=object)
        table = analysis.cells
        units: dict[str, dict[str, Mapping[object, np.ndarray]]] = {}
        for name in _KPI_FRAMES:
            frame: pd.DataFrame = getattr(analysis.inputs, name)
            units[name] = {
                level: RowGroups(frame[column].to_numpy(dtype=object))
                for level, (column, _name) in LEVEL_COLUMNS.items()
                if column in frame
            }
        kpi_sites = analysis.inputs.sites
        period, categories = analysis.kpi_options()
        kpi_site_ids = (
            kpi_sites["site_id"].to_numpy(dtype=object)
            if "site_id" in kpi_sites
            else np.full(len(kpi_sites), None, dtype=object)
        )
        coverage, pois = analysis.coverage, analysis.inputs.pois
        columns = {
            "coverage": {c: coverage[c].to_numpy() for c in VILLAGE_COVERAGE_COLUMNS},
            "villages": {c: analysis.inputs.villages[c].to_numpy() for c in VILLAGE_INPUT_COLUMNS},
            "pois": {
                c: pois[c].to_numpy() if c in pois else np.zeros(len(pois), dtype=bool)
                for c in POI_INPUT_COLUMNS
            },
        }
        return cls(
            analysis=analysis,
            site_row={str(s): i for i, s in enumerate(site_ids)},
            cell_rows=RowGroups(cell_site),
            cell_owner=dict(zip(layers.cells["cell_id"].to_numpy(dtype=object), cell_site, strict=True)),
            table_rows=RowGroups(table.site_id.astype(object)),
            table_site=pd.Index(site_ids).get_indexer(table.site_id.astype(object)).astype(np.int64),
            table_index=CellIndex.build(table.arrays, analysis.model),
            kpi_site_rows=RowGroups(kpi_site_ids),
            kpi_site_ids=kpi_site_ids,
            units=units,
            kpi_columns=kpi_columns(analysis.inputs, LEVELS, period=period, categories=categories),
            kpi_period=period,
            columns=columns,
        )


@dataclass(frozen=True, eq=False)
class Overlay:
    """A base and the sites touched since, with the current mobile columns as arrays."""

    base: BaseIndex
    #: Sites touched since the base, in table order (None: removed).
    parts: Mapping[str, SitePart | None]
    #: Site of each cell id of the touched sites.
    part_cell_owner: Mapping[str, str]
    #: ``village_coverage`` columns an edit changes (:data:`VILLAGE_COVERAGE_COLUMNS`).
    village_coverage: Mapping[str, np.ndarray]
    #: Village KPI input columns an edit changes (:data:`VILLAGE_INPUT_COLUMNS`).
    village_inputs: Mapping[str, np.ndarray]
    #: Place KPI input columns an edit changes (:data:`POI_INPUT_COLUMNS`).
    poi_inputs: Mapping[str, np.ndarray]
    #: Whether anything changed since the base (False: the base analysis is current).
    edited: bool = False

    @classmethod
    def of(cls, analysis: Analysis) -> Overlay:
        """The overlay of an analysis with nothing touched."""
        base = BaseIndex.build(analysis)
        return cls(
            base=base,
            parts={},
            part_cell_owner={},
            village_coverage=base.columns["coverage"],
            village_inputs=base.columns["villages"],
            poi_inputs=base.columns["pois"],
        )

    # -- lookups ------------------------------------------------------------------------
    def _base_site(self, site_id: str) -> bool:
        return site_id in self.base.site_row and site_id not in self.parts

    def current_records(self, site_ids: Iterable[str]) -> dict[str, SiteRecord]:
        """The current records of those ``site_ids`` that exist, by id."""
        out: dict[str, SiteRecord] = {}
        for s in dict.fromkeys(site_ids):
            if self._base_site(s):
                out[s] = self.base.site_record(s)
            else:
                part = self.parts.get(s)
                if part is not None:
                    out[s] = part.record
        return out

    def cell_site(self, cell_id: str) -> str | None:
        """The site that holds ``cell_id`` now (None: no such cell)."""
        owner = self.part_cell_owner.get(cell_id)
        if owner is not None:
            return owner
        owner = self.base.cell_owner.get(cell_id)
        return owner if owner is not None and self._base_site(owner) else None

    def site_table(self, site_ids: Iterable[str]) -> CellTable:
        """The cell arrays of those sites now (their current cells)."""
        out = CellTable.empty()
        base_rows = []
        for s in site_ids:
            if s in self.parts:
                part = self.parts[s]
                if part is not None:
                    out = concat_tables(out, part.table)
            elif s in self.base.table_rows:
                base_rows.append(self.base.table_rows[s])
        if base_rows:
            out = concat_tables(take_rows(self.base.analysis.cells, np.concatenate(base_rows)), out)
        return out

    def cells_near(self, points_xy: np.ndarray, model: CoverageModel) -> CellTable:
        """Current cells whose reach touches the bounding box of ``points_xy``, in table order.

        These are all the cells that can serve the points (a cell beyond the box by
        more than its reach cannot).
        """
        lo, hi = points_xy.min(axis=0), points_xy.max(axis=0)
        base = self.base
        chosen = base.table_index.rows_near(lo, hi)
        removed = [base.site_row[s] for s in self.parts if s in base.site_row]
        if removed and len(chosen):
            chosen = chosen[~np.isin(base.table_site[chosen], removed)]
        table = take_rows(base.analysis.cells, chosen)
        for part in self.parts.values():
            if part is None or not len(part.table):
                continue
            arrays = part.table.arrays
            keep = in_reach_of_box(arrays.x_m, arrays.y_m, model.max_range_m(arrays), lo, hi)
            if keep.any():
                table = concat_tables(table, part.table.subset(keep))
        return table

    def site_kpi_columns(self, site_ids: Iterable[str]) -> KpiColumns:
        """The KPI arrays of those sites now (site rows only: on-air sites have one)."""
        base = self.base
        parts: list[KpiColumns] = []
        base_rows = []
        for s in site_ids:
            if s in self.parts:
                part = self.parts[s]
                if part is not None:
                    parts.append(part.kpi_columns)
            elif s in base.kpi_site_rows:
                base_rows.append(base.kpi_site_rows[s])
        empty = np.empty(0, dtype=np.int64)
        rows = np.concatenate(base_rows) if base_rows else empty
        head = base.kpi_columns.take({"v": empty, "s": rows, "p": empty, "t": empty})
        return KpiColumns.concat([head, *parts])

    # -- new overlays ---------------------------------------------------------------------
    def with_parts(self, parts: Mapping[str, SitePart | None]) -> Overlay:
        """The overlay with ``parts`` replacing (and moved after) any earlier state of their sites."""
        merged = {s: p for s, p in self.parts.items() if s not in parts}
        merged.update(parts)
        owner = {c: s for c, s in self.part_cell_owner.items() if s not in parts}
        for site_id, part in parts.items():
            if part is not None:
                owner.update(dict.fromkeys((str(c["cell_id"]) for c in part.record.cells), site_id))
        return replace(self, parts=merged, part_cell_owner=owner, edited=True)

    def with_rows(
        self,
        village_rows: np.ndarray,
        coverage: Mapping[str, np.ndarray],
        inputs: Mapping[str, np.ndarray],
        poi_rows: np.ndarray,
        poi_inputs: Mapping[str, np.ndarray],
    ) -> Overlay:
        """The overlay with rows of the village and place columns set (copies; self unchanged)."""
        return replace(
            self,
            village_coverage=_with_rows(self.village_coverage, village_rows, coverage),
            village_inputs=_with_rows(self.village_inputs, village_rows, inputs),
            poi_inputs=_with_rows(self.poi_inputs, poi_rows, poi_inputs),
            edited=True,
        )

    # -- KPI inputs of some units --------------------------------------------------------------
    def columns_in_units(self, codes_by_level: Mapping[str, set[str]]) -> KpiColumns:
        """The KPI arrays of every row in any of the given units (and maybe a few more)."""
        base = self.base

        def rows(name: str) -> np.ndarray:
            found = [
                base.units[name][level][code]
                for level, codes in codes_by_level.items()
                if level in base.units[name]
                for code in codes
                if code in base.units[name][level]
            ]
            return np.unique(np.concatenate(found)) if found else np.empty(0, dtype=np.int64)

        v_rows, p_rows, s_rows = rows("villages"), rows("pois"), rows("sites")
        if len(s_rows) and self.parts:
            moved = base.kpi_site_ids[s_rows]
            s_rows = s_rows[~pd.Index(moved).isin(list(self.parts))]
        cut = self.kpi_rows_at(v_rows, p_rows, s_rows, rows("speed_tests"))
        # The touched sites' rows, whichever units they lie in: a unit's row counts only
        # its own (kpi.splice_kpi_rows).
        return KpiColumns.concat([cut, *(p.kpi_columns for p in self.parts.values() if p is not None)])

    def kpi_rows_at(
        self,
        village_rows: np.ndarray,
        poi_rows: np.ndarray,
        site_rows: np.ndarray | None = None,
        test_rows: np.ndarray | None = None,
    ) -> KpiColumns:
        """The base's KPI input rows at those positions, villages and places as they are now
        (the base's site rows as they were: the touched sites' are in :attr:`parts`)."""
        none = np.empty(0, dtype=np.int64)
        cut = self.base.kpi_columns.take(
            {
                "v": village_rows,
                "s": none if site_rows is None else site_rows,
                "p": poi_rows,
                "t": none if test_rows is None else test_rows,
            }
        )
        return cut.with_values(
            mobile=_flags(self.village_inputs["mobile_bb"][village_rows]),
            has_4g=_flags(self.village_inputs["has_4g"][village_rows]),
            has_5g=_flags(self.village_inputs["has_5g"][village_rows]),
            poi_mobile=_flags(self.poi_inputs["mobile_bb"][poi_rows]),
            poi_5g=_flags(self.poi_inputs["has_5g"][poi_rows]),
        )

    # -- the full analysis -------------------------------------------------------------------
    def materialize(self, revision: int) -> Analysis:
        """The full analysis of this overlay at ``revision`` (the base's when nothing changed)."""
        a = self.base.analysis
        if not self.edited:
            return a if revision == a.revision else replace(a, revision=revision)
        base = self.base
        touched = [s for s in self.parts if s in base.site_row]
        parts = [p for p in self.parts.values() if p is not None]
        layers = a.layers

        def without(
            n: int, index: Mapping[object, np.ndarray] | None, positions: Sequence[int] = ()
        ) -> np.ndarray:
            keep = np.ones(n, dtype=bool)
            keep[list(positions)] = False
            if index is not None:
                for s in self.parts:
                    rows = index.get(s)
                    if rows is not None:
                        keep[rows] = False
            return keep

        sites = pd.concat(
            [layers.sites[without(len(layers.sites), None, [base.site_row[s] for s in touched])]]
            + [p.site for p in parts],
            ignore_index=True,
        )
        cells = pd.concat(
            [layers.cells[without(len(layers.cells), base.cell_rows)]]
            + [p.cells for p in parts if len(p.cells)],
            ignore_index=True,
        )
        # The touched sites' cells first among themselves (small), then once onto the base's.
        touched_cells = CellTable.empty()
        for p in parts:
            touched_cells = concat_tables(touched_cells, p.table)
        table = concat_tables(a.cells.subset(without(len(a.cells), base.table_rows)), touched_cells)
        coverage = _with_columns(a.coverage, self.village_coverage, base.columns["coverage"])
        villages = _with_columns(a.inputs.villages, self.village_inputs, base.columns["villages"])
        pois = _with_columns(a.inputs.pois, self.poi_inputs, base.columns["pois"])
        kpi_sites = pd.concat(
            [a.inputs.sites[without(len(a.inputs.sites), base.kpi_site_rows)]] + [p.kpi_row for p in parts],
            ignore_index=True,
        )
        inputs = replace(a.inputs, villages=villages, sites=kpi_sites, pois=pois)
        new_layers = layers.replace(
            sites=gpd.GeoDataFrame(sites, geometry="geometry", crs=STORAGE_CRS), cells=cells
        )
        return replace(
            a,
            layers=new_layers,
            coverage=coverage,
            cells=table,
            inputs=inputs,
            revision=revision,
            coverage_stored=True,
        )

    def rebased(self, revision: int) -> Overlay:
        """The same state with everything folded into a new base (nothing touched)."""
        return Overlay.of(self.materialize(revision))


def _with_rows(
    columns: Mapping[str, np.ndarray], rows: np.ndarray, values: Mapping[str, np.ndarray]
) -> dict[str, np.ndarray]:
    """``columns`` with ``rows`` of those named in ``values`` set: a column whose rows change
    is copied (an object column stays object; a typed one becomes object when the values
    are), the others are shared."""
    out = dict(columns)
    for col, new in values.items():
        current = columns[col]
        new_values = np.asarray(new)
        differs = ~equal_values(current[rows], new_values) if len(rows) else np.zeros(0, dtype=bool)
        if not differs.any():
            continue
        widen = current.dtype != object and new_values.dtype == object
        copy = current.astype(object) if widen else current.copy()
        copy[rows[differs]] = new_values[differs]
        out[col] = copy
    return out


def _with_columns(frame: _Frame, columns: Mapping[str, np.ndarray], base: Mapping[str, np.ndarray]) -> _Frame:
    """A copy of ``frame`` with the columns that an edit replaced (not the base's arrays) set."""
    out = frame.copy()
    for col, values in columns.items():
        if values is not base[col] and col in out:
            out[col] = values
    return out


def _flags(values: np.ndarray) -> np.ndarray:
    """Values as booleans, missing as False (as the KPI inputs read a flag column)."""
    out = np.zeros(len(values), dtype=bool)
    known = ~pd.isna(values)
    out[known] = values[known].astype(bool)
    return out
