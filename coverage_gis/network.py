"""Adapters from workspace layers to the models' arrays (``docs/architecture.md``: geo adapter, array core).

Owns the rules that decide which cells radiate (an on-air cell on an on-air site),
which clutter class a cell gets (site override, else its commune's), which cells form
one *layer* of a site (same site, operator, technology and band, and radiating or
not alike: the sectors whose bisectors bound each other's service sectors), and the
conversion of layers to :class:`~coverage_gis.models.base.CellArrays` and
:class:`~coverage_gis.models.base.ReceiverArrays` in the workspace's metric CRS.
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from coverage_gis._strings import str_array
from coverage_gis.admin import points_in_polygons
from coverage_gis.crs import lonlat_to_metric
from coverage_gis.input_layers import InputLayers
from coverage_gis.models.antenna import sector_bisectors
from coverage_gis.models.base import CellArrays, ReceiverArrays, StrArray
from coverage_gis.vocabulary import OPERATORS, OTHER_OPERATOR, TECHS

CELL_FLOAT_DEFAULTS: dict[str, float] = {
    "band_mhz": 1800.0,
    "beamwidth_deg": 65.0,
    "eirp_dbm": 60.0,
    "tilt_deg": 4.0,
}
#: Antenna height of a site that gives none, metres.
SITE_HEIGHT_DEFAULT_M = 30.0


@dataclass(frozen=True)
class CellKinds:
    """Each cell's (technology, operator) as a code into the few kinds a table has.

    Rules read per cell (broadband, technology rank, operator bit) are looked up once
    per kind and reach the cells, or the (receiver, cell) pairs, by ``code``.
    """

    #: Per cell: its kind (``0..len(tech) - 1``).
    code: np.ndarray
    #: Per kind: the technology (None where a cell has none).
    tech: np.ndarray
    #: Per kind: the operator's bit (:func:`operator_bits`).
    operator_bits: np.ndarray

    @classmethod
    def of(cls, tech: np.ndarray, operators: np.ndarray) -> CellKinds:
        """The kinds of cells with these technologies and operators."""
        tech_code, tech_names = pd.factorize(np.asarray(tech))
        bit_code, bit_values = pd.factorize(operator_bits(operators))
        return cls._of_bits(tech_code, np.asarray(tech_names), bit_code, np.asarray(bit_values))

    @classmethod
    def of_codes(
        cls, tech_code: np.ndarray, tech_names: StrArray, operator_code: np.ndarray, operator_names: StrArray
    ) -> CellKinds:
        """:meth:`of` the cells whose technologies and operators are ``names[code]`` (no code
        missing, names distinct and in order of first appearance, as ``pd.factorize`` gives
        them): the few distinct names are looked up, not every cell's."""
        # The operators' first appearances order their bits' first appearances too.
        name_bit_code, bit_values = pd.factorize(operator_bits(operator_names))
        return cls._of_bits(tech_code, tech_names, name_bit_code[operator_code], np.asarray(bit_values))

    @classmethod
    def _of_bits(
        cls, tech_code: np.ndarray, tech_names: np.ndarray, bit_code: np.ndarray, bit_values: np.ndarray
    ) -> CellKinds:
        """The kinds from the cells' technology codes and operator-bit codes (both numbered
        in order of first appearance; a missing technology is -1)."""
        # Missing technology (code -1) gets a kind of its own, after the named ones.
        tech_code = np.where(tech_code < 0, len(tech_names), tech_code)
        n_bits = max(len(bit_values), 1)
        every = np.arange((len(tech_names) + 1) * n_bits)
        names = np.array([*tech_names, None], dtype=object)
        return cls(
            code=(tech_code * n_bits + bit_code).astype(np.int64),
            tech=names[every // n_bits],
            operator_bits=np.append(np.asarray(bit_values, dtype=np.int64), 0)[
                np.minimum(every % n_bits, len(bit_values))
            ],
        )


@dataclass(frozen=True, eq=False)
class TableSource:
    """The frames a cell table was built from, and the row of each of its cells in them.

    Held weakly: a frame is never changed in place (an edit makes a new frame), so the
    frames being the same objects means the rows still hold.
    """

    sites: weakref.ref[pd.DataFrame]
    cells: weakref.ref[pd.DataFrame]
    #: Per table cell: its row in the sites frame, and in the cells frame.
    site_row: np.ndarray
    cell_row: np.ndarray
    #: Whether every site id is a distinct string (no site row is missing or repeated).
    distinct_ids: bool = False

    def of(self, sites: pd.DataFrame, cells: pd.DataFrame) -> bool:
        """Whether the table was built from these very frames."""
        return self.sites() is sites and self.cells() is cells


@dataclass(frozen=True)
class CellTable:
    """Cells joined with their sites, as arrays plus the ids the aggregation needs."""

    arrays: CellArrays
    cell_id: StrArray
    site_id: StrArray
    operator: StrArray
    #: True for cells that radiate now; False for planned cells (kept for gap reasons).
    on_air: np.ndarray
    #: Where a table built by :func:`cell_table` from sites with distinct ids came from
    #: (None for a table made otherwise: a subset, an edit's cells).
    source: TableSource | None = field(default=None, compare=False, repr=False)

    def __len__(self) -> int:
        return len(self.arrays)

    @cached_property
    def kinds(self) -> CellKinds:
        """The cells' (technology, operator) kinds, coded once per table."""
        return CellKinds.of(self.arrays.tech, self.operator)

    @classmethod
    def empty(cls) -> CellTable:
        s = np.empty(0, dtype="<U8")
        return cls(CellArrays.empty(), s, s, s, np.empty(0, dtype=bool))

    def subset(self, mask: np.ndarray) -> CellTable:
        """The cells where ``mask`` is true, in table order."""
        return self.take(np.flatnonzero(mask))

    def take(self, index: np.ndarray) -> CellTable:
        """The cells at positions ``index``, in that order."""
        index = np.asarray(index, dtype=np.int64)
        return CellTable(
            self.arrays.take(index),
            self.cell_id[index],
            self.site_id[index],
            self.operator[index],
            self.on_air[index],
        )


def points_xy_m(frame: gpd.GeoDataFrame, metric_crs: str) -> tuple[np.ndarray, np.ndarray]:
    """Point coordinates of a layer in the metric CRS."""
    if len(frame) == 0:
        empty = np.empty(0, dtype=np.float64)
        return empty, empty
    lon, lat = point_lonlat(np.asarray(frame.geometry.array))
    return lonlat_to_metric(lon, lat, metric_crs)


def point_lonlat(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Coordinates of point geometries (NaN for a missing or empty one), as ``GeoSeries.x``
    and ``.y`` read them, the geometries' types checked once for both.

    Raises
    ------
    ValueError
        A geometry is not a point.
    """
    kind = shapely.get_type_id(points)
    if not ((kind == _POINT) | (kind == _MISSING)).all():
        raise ValueError("x attribute access only provided for Point geometries")
    # shapely raises on an empty point: those read NaN, as in geopandas.
    empty = shapely.is_empty(points)
    if empty.any():
        x, y = np.full(len(points), np.nan), np.full(len(points), np.nan)
        full = ~empty
        x[full], y[full] = shapely.get_x(points[full]), shapely.get_y(points[full])
        return x, y
    return np.asarray(shapely.get_x(points), dtype=np.float64), np.asarray(
        shapely.get_y(points), dtype=np.float64
    )


#: shapely's type ids of a point and of a missing geometry.
_POINT, _MISSING = 0, -1


def receivers_of(frame: gpd.GeoDataFrame, metric_crs: str) -> ReceiverArrays:
    """Village (or POI) centres as model receivers."""
    x_m, y_m = points_xy_m(frame, metric_crs)
    return ReceiverArrays(x_m=x_m, y_m=y_m)


def site_environment(sites: gpd.GeoDataFrame, communes: gpd.GeoDataFrame | None) -> np.ndarray:
    """Clutter class of each site: its own ``environment`` if set, else its commune's, else rural."""
    env = np.full(len(sites), "rural", dtype=object)
    if len(sites) == 0:
        return env
    own = sites["environment"].to_numpy(dtype=object) if "environment" in sites else None
    has_own = np.asarray(pd.notna(own), dtype=bool) if own is not None else np.zeros(len(sites), dtype=bool)
    # Only the sites without their own class are placed in a commune.
    need = np.flatnonzero(~has_own)
    if need.size:
        env[need] = commune_environment(sites.geometry.to_numpy()[need], communes)
    if own is not None:
        env[has_own] = own[has_own]
    return env


def _site_environment_column(sites: gpd.GeoDataFrame, communes: gpd.GeoDataFrame | None) -> pd.Series:
    """:func:`site_environment` as a column: the sites' own string column itself when every
    site has a class (no commune is looked up, nothing is copied)."""
    own = sites.get("environment")
    if (
        isinstance(own, pd.Series)
        and len(own)
        and (own.dtype == object or isinstance(own.dtype, pd.StringDtype))
        and not own.isna().to_numpy().any()
    ):
        return own
    return pd.Series(site_environment(sites, communes), dtype=object, copy=False)


def commune_environment(points: np.ndarray, communes: gpd.GeoDataFrame | None) -> np.ndarray:
    """Clutter class of the commune each point lies in (rural when none says)."""
    env = np.full(len(points), "rural", dtype=object)
    if len(points) and communes is not None and len(communes) and "environment" in communes:
        idx_site, idx_commune = points_in_polygons(points, communes, "within")
        commune_env = communes["environment"].to_numpy(dtype=object)
        found = commune_env[idx_commune]
        ok = pd.notna(found)
        env[idx_site[ok]] = found[ok]
    return env


def radio_arrays(
    *,
    x_m: np.ndarray,
    y_m: np.ndarray,
    layer_of: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    tech: StrArray,
    band_mhz: np.ndarray,
    azimuth_deg: np.ndarray,
    beamwidth_deg: np.ndarray,
    eirp_dbm: np.ndarray,
    tilt_deg: np.ndarray,
    height_m: np.ndarray,
    environment: StrArray,
) -> CellArrays:
    """The model's arrays of some cells, each sector's bisectors taken within its layer.

    ``layer_of`` is, per cell, what makes a layer: its site, operator (codes),
    technology (codes), band and on-air state; a sector serves out to the bisectors
    with its neighbours of the same layer (:func:`~coverage_gis.models.antenna.sector_bisectors`).
    """
    bisector_cw, bisector_ccw = sector_bisectors(combined_codes(list(layer_of)), azimuth_deg, beamwidth_deg)
    return CellArrays(
        x_m=x_m,
        y_m=y_m,
        tech=tech,
        band_mhz=band_mhz,
        azimuth_deg=azimuth_deg,
        beamwidth_deg=beamwidth_deg,
        eirp_dbm=eirp_dbm,
        tilt_deg=tilt_deg,
        height_m=height_m,
        environment=environment,
        bisector_cw_deg=bisector_cw,
        bisector_ccw_deg=bisector_ccw,
    )


def cell_table(
    sites: gpd.GeoDataFrame,
    cells: pd.DataFrame,
    *,
    communes: gpd.GeoDataFrame | None,
    metric_crs: str,
    include_planned: bool = True,
) -> CellTable:
    """Join cells to their sites and convert to arrays.

    Cells of decommissioned sites or with status decommissioned are dropped. A cell
    is on air when both it and its site are on air; planned cells (or on-air cells
    on a planned site) are kept with ``on_air = False`` when ``include_planned``.
    Each sector's bisectors are taken among the cells of its layer: same site,
    operator, technology and band, on air or not alike (a planned sector does not
    narrow the on-air ones until it radiates).

    The cells read their sites' columns as ``cells.merge(sites, on="site_id",
    how="inner", suffixes=("", "_site"))`` gives them (a cell's own ``height_m``,
    ``environment``, ``x_m`` or ``y_m`` before its site's), but no joined frame is
    built: each column is read at the joined rows, and a column of a few distinct
    strings is hashed once, over its own frame (a site's value once, not per cell),
    and reaches the cells by its codes.
    """
    site_height = sites["height_m"]
    site_env = _site_environment_column(sites, communes)
    site_x, site_y = points_xy_m(sites, metric_crs)
    join = _SiteJoin.of(sites["site_id"], cells, _SITE_COLUMNS)
    alive, radiating = _states_at(cells["status"], sites["status"], join.cell_rows, join.site_row)
    keep = alive if include_planned else alive & radiating
    if not keep.all():
        join = join.take(np.flatnonzero(keep))
    on_air = radiating[keep]
    source = (
        TableSource(
            weakref.ref(sites), weakref.ref(cells), join.site_row, join.cell_row, join.site_names is not None
        )
        if join.distinct and include_planned
        else None
    )

    def column(name: str, site_values: pd.Series | None = None) -> tuple[pd.Series, np.ndarray | None] | None:
        """The joined cells' ``name``: (a column, the rows to read, None for each in order), or None."""
        if name in cells.columns:
            return cells[name], join.cell_rows
        return None if site_values is None else (site_values, join.site_row)

    def floats(name: str, default: float | None, site_values: pd.Series | None = None) -> np.ndarray:
        found = column(name, site_values)
        if found is None:
            return np.full(len(join), np.nan if default is None else default)
        return _floats_at(*found, default)

    def coords(name: str, site_values: np.ndarray) -> np.ndarray:
        if name in cells.columns:
            return _rows_of(cells[name], join.cell_rows).to_numpy(dtype=np.float64)
        return np.asarray(site_values[join.site_row], dtype=np.float64)

    band = floats("band_mhz", CELL_FLOAT_DEFAULTS["band_mhz"])
    beamwidth = floats("beamwidth_deg", CELL_FLOAT_DEFAULTS["beamwidth_deg"])
    operator, operator_codes, operator_names = _str_codes(cells["operator"], join.cell_rows)
    tech, tech_codes, tech_names = _str_codes(cells["tech"], join.cell_rows)
    environment = column("environment", site_env)
    assert environment is not None
    arrays = radio_arrays(
        x_m=coords("x_m", site_x),
        y_m=coords("y_m", site_y),
        layer_of=(join.site_code, operator_codes, tech_codes, band, on_air),
        tech=tech,
        band_mhz=band,
        azimuth_deg=floats("azimuth_deg", None),
        beamwidth_deg=beamwidth,
        eirp_dbm=floats("eirp_dbm", CELL_FLOAT_DEFAULTS["eirp_dbm"]),
        tilt_deg=floats("tilt_deg", CELL_FLOAT_DEFAULTS["tilt_deg"]),
        height_m=floats("height_m", SITE_HEIGHT_DEFAULT_M, site_height),
        environment=_str_codes(*environment)[0],
    )
    table = CellTable(
        arrays=arrays,
        cell_id=str_array(_rows_of(cells["cell_id"], join.cell_rows)),
        site_id=join.site_strings(cells["site_id"]),
        operator=operator,
        on_air=on_air.astype(bool),
        source=source,
    )
    if tech_names is not None and operator_names is not None:
        # The kinds from the codes at hand (the table's cached property would hash every cell again).
        table.__dict__["kinds"] = CellKinds.of_codes(tech_codes, tech_names, operator_codes, operator_names)
    return table


#: The columns a cell reads from its site, named ``<name>_site`` when the cells have their own.
_SITE_COLUMNS = ("status", "height_m", "environment", "x_m", "y_m")


@dataclass(frozen=True)
class _SiteJoin:
    """Cells joined to their sites (an inner join on ``site_id``), as rows of both frames.

    With distinct string ids (the layer's rule), cells listed site by site in the
    sites' order find their sites by comparing neighbours (:func:`_site_runs`), others
    by one hash of both frames' ids; otherwise the rows are those of a hashed lookup
    (distinct ids, one missing) or of a merge (repeated ids), in the merge's order.
    """

    #: Per joined cell: its row in the sites frame, and in the cells frame.
    site_row: np.ndarray
    cell_row: np.ndarray
    #: Per joined cell: a code of its site id (the cells of one site id share it).
    site_code: np.ndarray
    #: Whether the site ids are distinct (a cell's site is one row).
    distinct: bool
    #: Per site row: its id as a string, when the ids are distinct strings (else None).
    site_names: np.ndarray | None
    #: Whether the joined cells are every row of the cells frame, in order.
    every_cell: bool

    def __len__(self) -> int:
        return len(self.cell_row)

    @property
    def cell_rows(self) -> np.ndarray | None:
        """``cell_row``, or None when that is every row in order (nothing to take)."""
        return None if self.every_cell else self.cell_row

    @classmethod
    def of(cls, site_ids: pd.Series, cells: pd.DataFrame, site_columns: tuple[str, ...]) -> _SiteJoin:
        """The join of ``cells`` to the sites with these ids (whose other columns are ``site_columns``)."""
        cell_ids = cells["site_id"]
        n_sites, n_cells = len(site_ids), len(cell_ids)
        clash = {f"{c}_site" for c in site_columns if c in cells.columns and f"{c}_site" in cells.columns}
        if clash:
            raise pd.errors.MergeError(
                f"Passing 'suffixes' which cause duplicate columns {clash} is not allowed."
            )
        if not any(f"{c}_site" in cells.columns for c in site_columns):
            runs = _site_runs(site_ids, cell_ids)
            if runs is not None:
                return cls(
                    runs, np.arange(n_cells), runs, True, np.asarray(site_ids, dtype=object).astype(str), True
                )
            codes, uniques = pd.factorize(pd.concat([site_ids, cell_ids], ignore_index=True))
            names = np.asarray(uniques[:n_sites], dtype=object)
            if np.array_equal(codes[:n_sites], np.arange(n_sites)) and _all_strings(names):
                cell_codes = codes[n_sites:]
                found = (cell_codes >= 0) & (cell_codes < n_sites)
                if found.all():
                    site_row = cell_codes.astype(np.int64)
                    return cls(site_row, np.arange(n_cells), site_row, True, names.astype(str), True)
                cell_row = np.flatnonzero(found)
                site_row = cell_codes[cell_row].astype(np.int64)
                return cls(site_row, cell_row, site_row, True, names.astype(str), False)
            index = pd.Index(site_ids)
            if index.is_unique:
                position = index.get_indexer(cell_ids)
                cell_row = np.flatnonzero(position >= 0)
                site_row = position[cell_row].astype(np.int64)
                return cls(site_row, cell_row, site_row, True, None, len(cell_row) == n_cells)
        rows = pd.DataFrame({"site_id": cell_ids.array, "cell_row": np.arange(n_cells)}).merge(
            pd.DataFrame({"site_id": site_ids.array, "site_row": np.arange(n_sites)}),
            on="site_id",
            how="inner",
        )
        site_row = rows["site_row"].to_numpy(dtype=np.int64)
        cell_row = rows["cell_row"].to_numpy(dtype=np.int64)
        every = bool(np.array_equal(cell_row, np.arange(n_cells)))
        return cls(site_row, cell_row, pd.factorize(site_ids)[0][site_row], False, None, every)

    def take(self, index: np.ndarray) -> _SiteJoin:
        """The joined cells at positions ``index`` (ascending)."""
        return _SiteJoin(
            self.site_row[index],
            self.cell_row[index],
            self.site_code[index],
            self.distinct,
            self.site_names,
            self.every_cell and len(index) == len(self),
        )

    def site_strings(self, cell_ids: pd.Series) -> StrArray:
        """``str_array`` of the joined cells' site ids: their sites' ids, converted once per site."""
        if self.site_names is None:
            return str_array(_rows_of(cell_ids, self.cell_rows))
        return _take_strings(self.site_names, self.site_row)


def _site_runs(site_ids: pd.Series, cell_ids: pd.Series) -> np.ndarray | None:
    """Each cell's site row when the cells come site by site, in the sites' order, every
    site with a cell, and the site ids are distinct strings (None otherwise).

    Read without hashing a cell's id: consecutive cells compare, and the first cell of
    each run compares with its site.
    """
    if site_ids.dtype != object or cell_ids.dtype != object or not len(cell_ids):
        return None
    sites, cells = site_ids.to_numpy(), cell_ids.to_numpy()
    new_run = _new_runs(cells)
    if new_run is None or not _all_strings(sites):
        return None
    first = np.flatnonzero(new_run)
    if len(first) != len(sites) or not _equal(cells[first], sites):
        return None
    if not pd.Index(sites, dtype=object).is_unique:
        return None
    return np.cumsum(new_run, dtype=np.int64) - 1


def _new_runs(values: np.ndarray) -> np.ndarray | None:
    """Where each run of equal neighbours in an object array starts (None when a value does
    not compare, as ``pd.NA``)."""
    new_run = np.empty(len(values), dtype=bool)
    new_run[:1] = True
    try:
        np.not_equal(values[1:], values[:-1], out=new_run[1:])
    except TypeError:
        return None
    return new_run


def _equal(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether two object arrays are equal element by element (False when a value does not
    compare, as ``pd.NA``)."""
    try:
        return bool(np.equal(a, b).all())
    except TypeError:
        return False


def codes_of(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """``pd.factorize(values)``: codes (missing: -1) and the distinct values as an array.

    A column of long runs of one value (statuses: the cells of a region or an import
    batch alike) is hashed once per run, at its first row: equal neighbours share a code.
    """
    if values.dtype == object and len(values) >= _RUN_SAMPLE * 4:
        every = values.to_numpy()
        sample = _new_runs(every[:_RUN_SAMPLE])
        if sample is not None and int(sample.sum()) * _LONG_RUN < _RUN_SAMPLE:
            new_run = _new_runs(every)
            if new_run is not None:
                first = np.flatnonzero(new_run)
                head_codes, head_uniques = pd.factorize(every[first])
                codes = np.repeat(head_codes, np.diff(np.append(first, len(every))))
                return codes, np.asarray(head_uniques, dtype=object)
    all_codes, uniques = pd.factorize(values)
    return all_codes, np.asarray(uniques, dtype=object)


#: A column is read by runs when its first ``_RUN_SAMPLE`` rows hold runs of ``_LONG_RUN`` rows
#: on average (comparing neighbours costs about half of hashing every row).
_RUN_SAMPLE, _LONG_RUN = 1024, 16


def _all_strings(values: np.ndarray) -> bool:
    """Whether every value of an object array is a ``str`` (an empty one is)."""
    return pd.api.types.infer_dtype(values, skipna=False) in ("string", "empty")


def _take_strings(strings: StrArray, index: np.ndarray) -> StrArray:
    """``strings[index]`` as wide as its longest string (as converting those strings would make it)."""
    width = max(int(np.strings.str_len(strings)[index].max(initial=1)), 1)
    if width < strings.dtype.itemsize // 4:
        strings = strings.astype(f"<U{width}")
    return np.asarray(strings[index])


def _rows_of(values: pd.Series, rows: np.ndarray | None) -> pd.Series:
    """``values`` at positions ``rows`` (the column itself when None)."""
    return values if rows is None else values.iloc[rows]


def _floats_at(values: pd.Series, rows: np.ndarray | None, default: float | None) -> np.ndarray:
    """``pd.to_numeric(values[rows], errors="coerce")`` as float64, missing → ``default`` (kept when None)."""
    if isinstance(values.dtype, np.dtype) and values.dtype.kind in "fiu":
        every = values.to_numpy()
        out = every.astype(np.float64) if rows is None else every[rows].astype(np.float64, copy=False)
        if default is not None:
            out[np.isnan(out)] = default
        return out
    col = pd.to_numeric(_rows_of(values, rows), errors="coerce")
    if default is not None:
        col = col.fillna(default)
    return col.to_numpy(dtype=np.float64)


def group_ids(columns: list[np.ndarray]) -> np.ndarray:
    """One id per distinct combination of the columns' values, per row (numbered in order of
    first appearance)."""
    return np.asarray(pd.factorize(combined_codes(columns))[0], dtype=np.int64)


def combined_codes(columns: list[np.ndarray]) -> np.ndarray:
    """One int64 per row, equal exactly where every column's value is (missing values equal
    one another); not numbered densely (:func:`group_ids` numbers them).

    Each column is coded on its own (a factorize; an integer or boolean column of a small
    range as it is) and the codes combined arithmetically: a pandas groupby over string
    columns first copies them into Arrow strings.
    """
    ids = np.zeros(len(columns[0]), dtype=np.int64)
    span = 1
    for column in columns:
        codes, width = _column_codes(np.asarray(column))
        if span * width >= _DENSE_LIMIT:
            # Renumber densely so the product of the column sizes never overflows.
            ids = pd.factorize(ids)[0].astype(np.int64)
            span = int(ids.max(initial=0)) + 1
        ids = ids * width + codes
        span *= width
    return ids


def _column_codes(column: np.ndarray) -> tuple[np.ndarray, int]:
    """Codes ``0..width-1`` of a column's values, equal exactly where the values are."""
    # An unsigned 64-bit value may not fit an int64: those are factorized.
    small_int = column.dtype.kind in "ib" or (column.dtype.kind == "u" and column.dtype.itemsize < 8)
    if small_int and len(column):
        low, high = int(column.min()), int(column.max())
        if high - low < _DENSE_LIMIT >> 2:
            return column.astype(np.int64) - low, high - low + 1
    codes, uniques = pd.factorize(column)
    return codes + 1, len(uniques) + 1


#: Combined group codes stay below this (int64 holds them with room to spare).
_DENSE_LIMIT = 1 << 62


def _str_codes(values: pd.Series, rows: np.ndarray | None) -> tuple[StrArray, np.ndarray, StrArray | None]:
    """Of the column ``values[rows]`` (``values`` when None): ``str_array`` of it, the codes of
    its values as ``pd.factorize`` of it numbers them and, when every value is a string,
    the distinct ones (``strings == names[codes]``; else None).

    The column is hashed once over its frame and its codes read at the rows: a column
    of a few distinct strings (technology, operator, clutter class) is converted once
    per distinct value, not row by row.
    """
    frame_codes, uniques = codes_of(values)
    if rows is None:
        # pd.factorize numbers in order of first appearance already.
        codes, used = frame_codes, np.arange(len(uniques))
    else:
        codes, used = _first_appearance(frame_codes[rows], len(uniques))
    names = uniques[used]
    if not _all_strings(names) or (codes < 0).any():
        return str_array(_rows_of(values, rows)), codes, None
    strings = names.astype(str)
    return strings[codes], codes, strings


def _first_appearance(codes: np.ndarray, n_codes: int) -> tuple[np.ndarray, np.ndarray]:
    """``codes`` (``0..n_codes-1``, missing -1) renumbered in order of first appearance
    (missing stays -1), and the old code of each new one."""
    first = np.full(n_codes, len(codes), dtype=np.int64)
    if n_codes <= 16:
        # A few codes (the usual string column): one comparison per code.
        for code in range(n_codes):
            hit = codes == code
            if hit.any():
                first[code] = hit.argmax()
    else:
        present = np.flatnonzero(codes >= 0)
        np.minimum.at(first, codes[present], present)
    used = np.argsort(first, kind="stable")[: int((first < len(codes)).sum())]
    renumber = np.full(n_codes + 1, -1, dtype=np.int64)
    renumber[used] = np.arange(len(used))
    return renumber[codes], used


def concat_tables(first: CellTable, second: CellTable) -> CellTable:
    """Cells of ``first`` followed by those of ``second``."""
    if not len(second):
        return first
    if not len(first):
        return second
    values: dict[str, np.ndarray | None] = {}
    for name in CellArrays.__dataclass_fields__:
        a, b = getattr(first.arrays, name), getattr(second.arrays, name)
        values[name] = None if a is None or b is None else np.concatenate([a, b])
    return CellTable(
        arrays=CellArrays(**values),  # type: ignore[arg-type]
        cell_id=np.concatenate([first.cell_id, second.cell_id]),
        site_id=np.concatenate([first.site_id, second.site_id]),
        operator=np.concatenate([first.operator, second.operator]),
        on_air=np.concatenate([first.on_air, second.on_air]),
    )


def cell_table_from_layers(layers: InputLayers | Mapping[str, pd.DataFrame], *, metric_crs: str) -> CellTable:
    """:func:`cell_table` from the input layers (or a mapping of layer frames)."""
    typed = InputLayers.from_frames(layers)
    return cell_table(typed.sites, typed.cells, communes=typed.communes, metric_crs=metric_crs)


def cell_table_or_empty(layers: InputLayers | Mapping[str, pd.DataFrame], *, metric_crs: str) -> CellTable:
    """:func:`cell_table_from_layers`, or an empty table when there are no sites or cells."""
    typed = InputLayers.from_frames(layers)
    if not len(typed.sites) or not len(typed.cells):
        return CellTable.empty()
    return cell_table_from_layers(typed, metric_crs=metric_crs)


def cell_states(cell_status: pd.Series, site_status: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """``(alive, on_air)`` per cell: not decommissioned (nor its site); radiating (it and its site on air)."""
    return _states_at(cell_status, site_status, None, None)


def _states_at(
    cell_status: pd.Series, site_status: pd.Series, cell_row: np.ndarray | None, site_row: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`cell_states` of the cells ``cell_status[cell_row]`` on the sites ``site_status[site_row]``
    (every row, in order, where None)."""
    # Compared as codes of the few distinct statuses: comparing each string costs
    # several times as much as hashing it once. Each column is hashed over its own
    # frame (a site's status once, not once per cell) and read at the rows.
    cell, site = _Statuses(cell_status), _Statuses(site_status)
    cell_alive = ~cell.equal("decommissioned")
    site_alive = site.present & ~site.equal("decommissioned")
    cell_on, site_on = cell.equal("on_air"), site.equal("on_air")
    if cell_row is not None:
        cell_alive, cell_on = cell_alive[cell_row], cell_on[cell_row]
    if site_row is not None:
        site_alive, site_on = site_alive[site_row], site_on[site_row]
    return cell_alive & site_alive, cell_on & site_on


class _Statuses:
    """A status column as codes of its distinct values (missing: -1)."""

    def __init__(self, status: pd.Series) -> None:
        self.codes, self.names = codes_of(status)
        self.present = self.codes >= 0

    def equal(self, value: str) -> np.ndarray:
        """Where the status is ``value`` (False where missing)."""
        # The names are distinct: at most one is the value.
        hit = np.flatnonzero(self.names == value)
        return self.codes == hit[0] if hit.size else np.zeros(self.codes.shape, dtype=bool)


@dataclass(frozen=True)
class SiteOffer:
    """What each site's cells offer, one entry per distinct ``site_id`` (in order of its first row).

    Owns the rule "a site is shared when its on-air cells belong to two or more
    operators" (``docs/architecture.md``, coverage rules). The bit masks are ORed over
    the site's live cells (not decommissioned, nor their site): operators and
    technologies (:data:`TECHS` order) of those on air, operators of them all.
    """

    site_id: np.ndarray
    #: Per row of the sites frame: its site's entry (-1 where the row has no id).
    row_site: np.ndarray
    live_ops: np.ndarray
    live_techs: np.ndarray
    any_ops: np.ndarray
    #: Per site: the position of its first live cell (the number of cells when it has none).
    first_live_cell: np.ndarray

    @classmethod
    def of(cls, sites: pd.DataFrame, cells: pd.DataFrame, table: CellTable | None = None) -> SiteOffer:
        """What the ``cells`` of ``sites`` offer.

        ``table`` is the frames' cell table when the caller holds it: its cells are the
        live ones, already joined to their sites and coded, so nothing is hashed again.
        """
        source = table.source if table is not None else None
        if table is not None and source is not None and source.of(sites, cells):
            kinds = table.kinds
            tech_bits = _tech_bits(kinds.tech)
            if source.distinct_ids:
                # Each site row is its own entry: nothing to hash.
                return cls._combine(
                    sites["site_id"].to_numpy(dtype=object),
                    np.arange(len(sites)),
                    len(cells),
                    live=source.cell_row,
                    site=source.site_row,
                    on_air=table.on_air,
                    ops=kinds.operator_bits[kinds.code],
                    techs=tech_bits[kinds.code],
                )
            row_site, site_id = pd.factorize(sites["site_id"])
            entry = row_site[source.site_row]
            known = np.flatnonzero(entry >= 0)
            return cls._combine(
                site_id,
                row_site,
                len(cells),
                live=source.cell_row[known],
                site=entry[known],
                on_air=table.on_air[known],
                ops=kinds.operator_bits[kinds.code[known]],
                techs=tech_bits[kinds.code[known]],
            )
        row_site, site_id = pd.factorize(sites["site_id"])
        first_row = np.full(len(site_id), len(sites), dtype=np.int64)
        np.minimum.at(first_row, row_site[row_site >= 0], np.flatnonzero(row_site >= 0))
        status = sites["status"].to_numpy(dtype=object)[first_row]
        # Each cell's site by a hashed lookup (None where the site is missing).
        position = pd.Index(site_id).get_indexer(pd.Index(cells["site_id"]))
        found = np.append(status, np.array([None], dtype=object))[position]
        alive, on_air = cell_states(cells["status"], pd.Series(found, index=cells.index, dtype=object))
        tech_codes, tech_names = pd.factorize(cells["tech"].to_numpy(dtype=object))
        live = np.flatnonzero(alive)
        return cls._combine(
            site_id,
            row_site,
            len(cells),
            live=live,
            site=position[live],
            on_air=on_air[live],
            ops=operator_bits(cells["operator"])[live],
            techs=_tech_bits(np.array([*tech_names, None], dtype=object))[tech_codes][live],
        )

    @classmethod
    def _combine(
        cls,
        site_id: pd.Index | np.ndarray,
        row_site: np.ndarray,
        n_cells: int,
        *,
        live: np.ndarray,
        site: np.ndarray,
        on_air: np.ndarray,
        ops: np.ndarray,
        techs: np.ndarray,
    ) -> SiteOffer:
        """The offer of the live cells (rows ``live`` of the cells frame, of sites ``site``)."""
        # One OR per site over its live cells (a vectorised groupby: a pandas aggregation
        # with a ufunc runs in Python per site).
        first_cell = np.full(len(site_id), n_cells, dtype=np.int64)
        groups = _Groups.of(site)
        if groups is None:
            np.minimum.at(first_cell, site, live)
        else:
            first_cell[groups.code] = np.minimum.reduceat(live, groups.start)
        return cls(
            site_id=np.asarray(site_id, dtype=object),
            row_site=np.asarray(row_site, dtype=np.int64),
            live_ops=_or_by_group(site, len(site_id), np.where(on_air, ops, 0), groups),
            live_techs=_or_by_group(site, len(site_id), np.where(on_air, techs, 0), groups),
            any_ops=_or_by_group(site, len(site_id), ops, groups),
            first_live_cell=first_cell,
        )

    @property
    def n_operators(self) -> np.ndarray:
        """Per site: how many operators have a cell on air there."""
        return np.bitwise_count(self.live_ops.astype(np.uint64)).astype(np.int64)

    @property
    def has_5g(self) -> np.ndarray:
        """Per site: whether a 5G cell is on air there."""
        return np.asarray((self.live_techs & (1 << TECHS.index("5G"))) != 0, dtype=bool)


def site_operators(sites: pd.DataFrame, cells: pd.DataFrame) -> pd.DataFrame:
    """What each site's cells offer (:class:`SiteOffer`), indexed by ``site_id``.

    Sites without live cells are absent; the others come in the order of their first
    live cell. Columns:

    ``operators``
        Operators of the on-air cells, comma-joined in :data:`OPERATORS` order.
    ``n_operators``, ``shared``
        Their number, and whether it is two or more.
    ``techs``, ``has_5g``
        Technologies of the on-air cells (oldest first), and whether 5G is one.
    ``any_operators``
        Operators of every cell that is not decommissioned (planned ones too).
    """
    offer = SiteOffer.of(sites, cells)
    order = np.argsort(offer.first_live_cell, kind="stable")
    order = order[offer.first_live_cell[order] < len(cells)]
    n_operators = offer.n_operators[order]
    tech_names = np.array(
        [",".join(t for i, t in enumerate(TECHS) if mask & (1 << i)) for mask in range(1 << len(TECHS))],
        dtype=object,
    )
    return pd.DataFrame(
        {
            "operators": bits_to_names(offer.live_ops[order]),
            "n_operators": n_operators,
            "shared": n_operators >= 2,
            "techs": tech_names[offer.live_techs[order]],
            "has_5g": offer.has_5g[order],
            "any_operators": bits_to_names(offer.any_ops[order]),
        },
        index=pd.Index(offer.site_id[order], name="site_id"),
    )


def _tech_bits(tech: np.ndarray) -> np.ndarray:
    """The bit of each technology (:data:`TECHS` order; 0 for None or an unknown one)."""
    bit = {t: 1 << i for i, t in enumerate(TECHS)}
    return np.array([bit.get(t, 0) for t in tech], dtype=np.int64)


@dataclass(frozen=True)
class _Groups:
    """Group codes that come in runs, ascending (a table's cells, site by site): each group's
    first position, so that a reduction per group is one ``reduceat``."""

    #: Per run: its group code, and its first position.
    code: np.ndarray
    start: np.ndarray

    @classmethod
    def of(cls, codes: np.ndarray) -> _Groups | None:
        """The runs of ``codes``, or None when they are not ascending (or there are none)."""
        if not len(codes):
            return None
        step = np.diff(codes)
        if (step < 0).any():
            return None
        start = np.flatnonzero(np.append(True, step != 0))
        return cls(codes[start], start)


def _or_by_group(
    codes: np.ndarray, n_groups: int, values: np.ndarray, groups: _Groups | None = None
) -> np.ndarray:
    """Bitwise OR of ``values`` per group code (``0..n_groups-1``); ``groups`` the runs of
    ``codes`` when they are ascending."""
    out = np.zeros(n_groups, dtype=np.int64)
    values = values.astype(np.int64, copy=False)
    if groups is None:
        np.bitwise_or.at(out, codes, values)
    else:
        out[groups.code] = np.bitwise_or.reduceat(values, groups.start)
    return out


def operator_bits(operators: StrArray | pd.Series) -> np.ndarray:
    """One bit per operator (order of :data:`OPERATORS`); unknown names map to Other.

    A layer's column is read as it is (no copy of its strings first).
    """
    lookup = {name: 1 << i for i, name in enumerate(OPERATORS)}
    values = operators if isinstance(operators, pd.Series) else np.asarray(operators).reshape(-1)
    if len(values) == 0:
        return np.zeros(0, dtype=np.int64)
    # Map the few distinct names, not every row (factorize hashes; missing → code -1).
    codes, names = pd.factorize(values)
    table = np.array([lookup.get(str(n), lookup[OTHER_OPERATOR]) for n in [*names, None]], dtype=np.int64)
    return table[codes]


def bits_to_names(bits: np.ndarray) -> np.ndarray:
    """Operator bitmasks → comma-separated names (vectorised through a 32-entry table)."""
    table = np.array(
        [
            ",".join(name for i, name in enumerate(OPERATORS) if mask & (1 << i))
            for mask in range(1 << len(OPERATORS))
        ],
        dtype=object,
    )
    return table[np.asarray(bits, dtype=np.int64)]
