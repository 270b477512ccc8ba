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

from coverage_gis._column_codes import codes_of, combined_codes, floats_at, rows_of, str_codes
from coverage_gis._site_join import SITE_COLUMNS, SiteJoin
from coverage_gis.admin import points_in_polygons
from coverage_gis.bands import with_default_bands
from coverage_gis.crs import lonlat_to_metric
from coverage_gis.input_layers import InputLayers
from coverage_gis.models.antenna import sector_bisectors
from coverage_gis.models.base import CellArrays, ReceiverArrays, StrArray
from coverage_gis.vocabulary import OPERATORS, OTHER_OPERATOR

#: A cell's value where its layer gives none (its band: :func:`coverage_gis.bands.default_bands`).
CELL_FLOAT_DEFAULTS: dict[str, float] = {
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
    #: Each cell's id as its layer holds it (Python objects).
    cell_id: np.ndarray
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
        """The cells at positions ``index``, in that order.

        Where this table's kinds are coded already, the part keeps them (its cells'
        codes, every kind of this table): a few cells near a point or an edit are not
        coded again.
        """
        index = np.asarray(index, dtype=np.int64)
        part = CellTable(
            self.arrays.take(index),
            self.cell_id[index],
            self.site_id[index],
            self.operator[index],
            self.on_air[index],
        )
        kinds: CellKinds | None = self.__dict__.get("kinds")
        if kinds is not None:
            # (``kinds`` is a cached property: its value lives in the instance's dict.)
            part.__dict__["kinds"] = CellKinds(kinds.code[index], kinds.tech, kinds.operator_bits)
        return part


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
    try:
        return np.asarray(shapely.get_x(points), dtype=np.float64), np.asarray(
            shapely.get_y(points), dtype=np.float64
        )
    except shapely.errors.GEOSException:
        # shapely raises on an empty point (a layer seldom holds one: they are not looked
        # for first, a pass over every point): those read NaN, as in geopandas.
        empty = shapely.is_empty(points)
        x, y = np.full(len(points), np.nan), np.full(len(points), np.nan)
        full = ~empty
        x[full], y[full] = shapely.get_x(points[full]), shapely.get_y(points[full])
        return x, y


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
    join = SiteJoin.of(sites["site_id"], cells, SITE_COLUMNS)
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
        if site_values is None or name not in cells.columns:
            return floats_at(*found, default)
        # A cell's own value, else its site's (a cell list gives some antennas' heights).
        own = floats_at(*found, None)
        missing = np.isnan(own)
        if missing.any():
            own[missing] = floats_at(site_values, join.site_row, default)[missing]
        return own

    def coords(name: str, site_values: np.ndarray) -> np.ndarray:
        if name in cells.columns:
            return rows_of(cells[name], join.cell_rows).to_numpy(dtype=np.float64)
        return np.asarray(site_values[join.site_row], dtype=np.float64)

    operator, operator_codes, operator_names = str_codes(cells["operator"], join.cell_rows)
    tech, tech_codes, tech_names = str_codes(cells["tech"], join.cell_rows)
    band = with_default_bands(floats("band_mhz", None), tech)
    beamwidth = floats("beamwidth_deg", CELL_FLOAT_DEFAULTS["beamwidth_deg"])
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
        environment=str_codes(*environment)[0],
    )
    table = CellTable(
        arrays=arrays,
        # The ids as the layer holds them (read one at a time, by a point's report): not
        # converted to a numpy string array, 370,000 rows before the search may start.
        cell_id=rows_of(cells["cell_id"], join.cell_rows).to_numpy(dtype=object),
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


def operator_bits(operators: StrArray | pd.Series) -> np.ndarray:
    """One bit per operator (order of :data:`OPERATORS`); unknown names map to Other.

    A layer's column is read as it is (no copy of its strings first).
    """
    lookup = {name: 1 << i for i, name in enumerate(OPERATORS)}
    values = operators if isinstance(operators, pd.Series) else np.asarray(operators).reshape(-1)
    if len(values) == 0:
        return np.zeros(0, dtype=np.int64)
    # Map the few distinct names, not every row (factorize hashes; missing → code -1). A
    # layer's column is hashed once per run of one name where it holds long runs (the
    # fiber nodes of one operator come together).
    codes, names = codes_of(values) if isinstance(values, pd.Series) else pd.factorize(values)
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
