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

from coverage_gis._strings import distinct_strings, str_array
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
        return cls._of_bits(tech_code, np.asarray(tech_names), operator_bits(operators))

    @classmethod
    def of_codes(
        cls, tech_code: np.ndarray, tech_names: StrArray, operator_code: np.ndarray, operator_names: StrArray
    ) -> CellKinds:
        """:meth:`of` the cells whose technologies and operators are ``names[code]`` (no code
        missing, names distinct and in order of first appearance, as ``pd.factorize`` gives
        them): the few distinct names are looked up, not every cell's."""
        return cls._of_bits(tech_code, tech_names, operator_bits(operator_names)[operator_code])

    @classmethod
    def _of_bits(cls, tech_code: np.ndarray, tech_names: np.ndarray, bits: np.ndarray) -> CellKinds:
        # Missing technology (code -1) gets a kind of its own, after the named ones.
        tech_code = np.where(tech_code < 0, len(tech_names), tech_code)
        bit_code, bit_values = pd.factorize(bits)
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
    geoms = frame.geometry
    lon = np.asarray(geoms.x, dtype=np.float64)
    lat = np.asarray(geoms.y, dtype=np.float64)
    return lonlat_to_metric(lon, lat, metric_crs)


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
    bisector_cw, bisector_ccw = sector_bisectors(group_ids(list(layer_of)), azimuth_deg, beamwidth_deg)
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
    """
    site_cols = sites[["site_id", "status", "height_m"]].copy()
    site_cols["environment"] = site_environment(sites, communes)
    x_m, y_m = points_xy_m(sites, metric_crs)
    site_cols["x_m"] = x_m
    site_cols["y_m"] = y_m
    joined, rows = _join_sites(cells, site_cols)
    alive, radiating = cell_states(joined["status"], joined["status_site"])
    keep = alive if include_planned else alive & radiating
    joined = joined[keep].reset_index(drop=True)
    on_air = radiating[keep]
    site_row = None if rows is None else rows[0][keep]
    source = (
        None
        if site_row is None or rows is None or not include_planned
        else TableSource(weakref.ref(sites), weakref.ref(cells), site_row, rows[1][keep])
    )

    def floats(name: str, default: float) -> np.ndarray:
        col = (
            pd.to_numeric(joined[name], errors="coerce")
            if name in joined
            else pd.Series(np.nan, index=joined.index)
        )
        return col.fillna(default).to_numpy(dtype=np.float64)

    azimuth = (
        pd.to_numeric(joined["azimuth_deg"], errors="coerce").to_numpy(dtype=np.float64)
        if "azimuth_deg" in joined
        else np.full(len(joined), np.nan)
    )
    band = floats("band_mhz", CELL_FLOAT_DEFAULTS["band_mhz"])
    beamwidth = floats("beamwidth_deg", CELL_FLOAT_DEFAULTS["beamwidth_deg"])
    site_id = str_array(joined["site_id"])
    operator, operator_codes, operator_names = _str_codes(joined["operator"])
    tech, tech_codes, tech_names = _str_codes(joined["tech"])
    # Grouped on the frame's own values (hashed as they are; the layer's fields are
    # required strings, so they group as their str copies do).
    arrays = radio_arrays(
        x_m=joined["x_m"].to_numpy(dtype=np.float64),
        y_m=joined["y_m"].to_numpy(dtype=np.float64),
        # A site is its row when the ids are distinct (no string is hashed again).
        layer_of=(
            joined["site_id"].to_numpy() if site_row is None else site_row,
            operator_codes,
            tech_codes,
            band,
            on_air,
        ),
        tech=tech,
        band_mhz=band,
        azimuth_deg=azimuth,
        beamwidth_deg=beamwidth,
        eirp_dbm=floats("eirp_dbm", CELL_FLOAT_DEFAULTS["eirp_dbm"]),
        tilt_deg=floats("tilt_deg", CELL_FLOAT_DEFAULTS["tilt_deg"]),
        height_m=floats("height_m", SITE_HEIGHT_DEFAULT_M),
        environment=_str_codes(joined["environment"])[0],
    )
    table = CellTable(
        arrays=arrays,
        cell_id=str_array(joined["cell_id"]),
        site_id=site_id,
        operator=operator,
        on_air=on_air.astype(bool),
        source=source,
    )
    if tech_names is not None and operator_names is not None:
        # The kinds from the codes at hand (the table's cached property would hash every cell again).
        table.__dict__["kinds"] = CellKinds.of_codes(tech_codes, tech_names, operator_codes, operator_names)
    return table


def group_ids(columns: list[np.ndarray]) -> np.ndarray:
    """One id per distinct combination of the columns' values, per row (numbered in order of
    first appearance).

    Each column is factorized on its own and the codes combined arithmetically: a
    pandas groupby over string columns first copies them into Arrow strings.
    """
    ids = np.zeros(len(columns[0]), dtype=np.int64)
    span = 1
    for column in columns:
        codes, uniques = pd.factorize(column)
        width = len(uniques) + 1
        if span * width >= _DENSE_LIMIT:
            # Renumber densely so the product of the column sizes never overflows.
            ids = pd.factorize(ids)[0].astype(np.int64)
            span = int(ids.max(initial=0)) + 1
        ids = ids * width + codes + 1
        span *= width
    return np.asarray(pd.factorize(ids)[0], dtype=np.int64)


#: Combined group codes stay below this (int64 holds them with room to spare).
_DENSE_LIMIT = 1 << 62


def _str_codes(column: pd.Series) -> tuple[StrArray, np.ndarray, StrArray | None]:
    """``str_array(column)``, the codes of its values (``pd.factorize``) and, when
    every value is a string, the distinct ones (``strings == names[codes]``; else None).

    A column of a few distinct strings (technology, operator, clutter class) is converted
    once per distinct value, not row by row.
    """
    distinct = distinct_strings(column)
    if distinct is None or (distinct[0] < 0).any():
        return str_array(column), pd.factorize(column)[0], None
    codes, names = distinct
    strings = names.astype(str)
    return strings[codes], codes, strings


def _join_sites(
    cells: pd.DataFrame, site_cols: pd.DataFrame
) -> tuple[pd.DataFrame, tuple[np.ndarray, np.ndarray] | None]:
    """``cells.merge(site_cols, on="site_id", how="inner", suffixes=("", "_site"))``, and the
    rows of each joined cell in ``site_cols`` and in ``cells`` (None when merged).

    With unique site ids (the layer's rule) by a hashed lookup of each cell's site:
    the merge sorts the string keys of both sides.
    """
    sites_index = pd.Index(site_cols["site_id"])
    right_cols = [c for c in site_cols.columns if c != "site_id"]
    names = [f"{c}_site" if c in cells.columns else c for c in right_cols]
    if not sites_index.is_unique or any(f"{c}_site" in cells.columns for c in right_cols):
        return cells.merge(site_cols, on="site_id", how="inner", suffixes=("", "_site")), None
    position = sites_index.get_indexer(cells["site_id"])
    keep = np.flatnonzero(position >= 0)
    right = site_cols[right_cols].iloc[position[keep]].reset_index(drop=True)
    right.columns = pd.Index(names)
    joined: pd.DataFrame = pd.concat([cells.iloc[keep].reset_index(drop=True), right], axis=1)
    return joined, (position[keep].astype(np.int64), keep.astype(np.int64))


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
    # Compared as codes of the few distinct statuses: comparing each string costs
    # several times as much as hashing it once.
    cell, site = _Statuses(cell_status), _Statuses(site_status)
    alive = ~cell.equal("decommissioned") & site.present & ~site.equal("decommissioned")
    on_air = cell.equal("on_air") & site.equal("on_air")
    return alive, on_air


class _Statuses:
    """A status column as codes of its distinct values (missing: -1)."""

    def __init__(self, status: pd.Series) -> None:
        self.codes, names = pd.factorize(status)
        self.names = np.asarray(names, dtype=object)
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
        row_site, site_id = pd.factorize(sites["site_id"])
        source = table.source if table is not None else None
        if table is not None and source is not None and source.of(sites, cells):
            entry = row_site[source.site_row]
            known = np.flatnonzero(entry >= 0)
            kinds = table.kinds
            tech_bits = _tech_bits(kinds.tech)
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
        np.minimum.at(first_cell, site, live)
        return cls(
            site_id=np.asarray(site_id, dtype=object),
            row_site=np.asarray(row_site, dtype=np.int64),
            live_ops=_or_by_group(site, len(site_id), np.where(on_air, ops, 0)),
            live_techs=_or_by_group(site, len(site_id), np.where(on_air, techs, 0)),
            any_ops=_or_by_group(site, len(site_id), ops),
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


def _or_by_group(codes: np.ndarray, n_groups: int, values: np.ndarray) -> np.ndarray:
    """Bitwise OR of ``values`` per group code (``0..n_groups-1``)."""
    out = np.zeros(n_groups, dtype=np.int64)
    np.bitwise_or.at(out, codes, values.astype(np.int64, copy=False))
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
