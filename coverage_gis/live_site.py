"""One edited site's derived data, from its plain records: cell arrays and KPI input row.

A live edit changes a site or two; building frames for them and running the
frame adapters (``network.cell_table``, ``kpi_inputs.site_rows``) costs several
milliseconds of pandas overhead each (``docs/architecture.md``: live workspace). This
module derives the same from a :class:`~coverage_gis.site_edits.SiteRecord`: the
site's :class:`~coverage_gis.network.CellTable` and its KPI arrays, with the rules of
those adapters (which cells radiate, defaults, sector layers, shared and 5G flags)
read from ``network``. The frames the full analysis needs are built only when a
reader asks (:class:`~coverage_gis.live_overlay.SitePart`); tests check that both ways
agree.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import Point

from coverage_gis._values import is_missing
from coverage_gis.admin import LEVEL_COLUMNS, admin_columns, commune_positions, commune_table
from coverage_gis.bands import with_default_bands
from coverage_gis.crs import STORAGE_CRS, lonlat_to_metric
from coverage_gis.input_layers import InputLayers
from coverage_gis.kpi import KpiColumns, commissioned_in_period
from coverage_gis.kpi_inputs import LEVEL_COLUMNS_FLAT
from coverage_gis.network import (
    CELL_FLOAT_DEFAULTS,
    SITE_HEIGHT_DEFAULT_M,
    CellTable,
    cell_states,
    commune_environment,
    operator_bits,
    radio_arrays,
)
from coverage_gis.site_edits import SiteRecord
from coverage_gis.vocabulary import TECHS

#: The site's own float fields the cell arrays read, with the default of a missing one.


@dataclass(frozen=True)
class Place:
    """Where a site stands: metric position, its commune's clutter class and its admin columns."""

    x_m: float
    y_m: float
    #: Clutter class of the site's commune (rural when none says).
    environment: str
    #: The admin columns of a KPI input row (:data:`~coverage_gis.kpi_inputs.LEVEL_COLUMNS_FLAT`).
    admin: Mapping[str, Any]


@dataclass(frozen=True, eq=False)
class SitePlacer:
    """Places sites in the communes of some layers with array lookups (no frame per site).

    The rules are :func:`~coverage_gis.admin.admin_columns`' and
    :func:`~coverage_gis.network.commune_environment`'s: the commune a point lies in
    (:func:`~coverage_gis.admin.commune_positions`) gives its admin columns, and a
    point of a commune cut into 2025 parts is placed by ``admin_columns`` itself.
    """

    layers: InputLayers
    #: The communes' admin columns (those of a KPI input row), one array each.
    columns: Mapping[str, np.ndarray]
    #: Each commune's census id, and those of the communes cut into 2025 parts.
    census_ids: np.ndarray
    split: frozenset[str]

    @classmethod
    def of(cls, layers: InputLayers) -> SitePlacer:
        attrs, _lookup = commune_table(layers.communes)
        parts = layers.commune_parts_2025
        split: list[str] = (
            list(parts["census_commune_id"].astype(str)) if parts is not None and len(parts) else []
        )
        columns = {name: attrs[name].to_numpy(dtype=object) for name in LEVEL_COLUMNS_FLAT if name in attrs}
        census_ids = attrs["census_commune_id"].astype(str).to_numpy(dtype=object)
        return cls(layers, columns, census_ids, frozenset(split))

    def place(self, lon: float, lat: float, metric_crs: str) -> Place:
        """The :class:`Place` of the point ``lon``/``lat`` (as the frame adapters place a site)."""
        point = np.array([Point(lon, lat)], dtype=object)
        x_m, y_m = lonlat_to_metric(np.array([lon]), np.array([lat]), metric_crs)
        communes = self.layers.communes
        (environment,) = commune_environment(point, communes)
        (row,) = commune_positions(point, communes)
        admin: dict[str, Any]
        if row >= 0 and self.census_ids[row] in self.split:
            # A commune cut into parts: the part the point lies in decides its 2025 units.
            frame = gpd.GeoDataFrame(geometry=point, crs=STORAGE_CRS)
            found = admin_columns(frame, communes, self.layers.commune_parts_2025).iloc[0]
            admin = {name: found.get(name) for name in LEVEL_COLUMNS_FLAT}
        else:
            # Outside every commune the admin columns are missing (NaN, as a frame holds them).
            admin = {
                name: (values[row] if row >= 0 else np.nan)
                if (values := self.columns.get(name)) is not None
                else None
                for name in LEVEL_COLUMNS_FLAT
            }
        return Place(float(x_m[0]), float(y_m[0]), str(environment), admin)


def place_of(lon: float, lat: float, layers: InputLayers, metric_crs: str) -> Place:
    """The :class:`Place` of the point ``lon``/``lat`` (:meth:`SitePlacer.place`)."""
    return SitePlacer.of(layers).place(lon, lat, metric_crs)


def site_table(record: SiteRecord, place: Place) -> CellTable:
    """The site's cells as :func:`~coverage_gis.network.cell_table` makes them (planned included)."""
    site = record.site
    cells = record.cells
    if not cells:
        return CellTable.empty()
    n = len(cells)
    cell_status = pd.Series([c["status"] for c in cells], dtype=object)
    alive, on_air = cell_states(cell_status, pd.Series([site["status"]] * n, dtype=object))
    kept = [c for c, keep in zip(cells, alive, strict=True) if keep]
    on_air = on_air[alive]
    if not kept:
        return CellTable.empty()

    def floats(name: str, default: float) -> np.ndarray:
        values = [c.get(name) for c in kept]
        return np.array([default if is_missing(v) else v for v in values], dtype=np.float64)

    azimuth = floats("azimuth_deg", np.nan)
    operator = np.array([c["operator"] for c in kept], dtype=str)
    tech = np.array([c["tech"] for c in kept], dtype=str)
    band = with_default_bands(floats("band_mhz", np.nan), tech)
    beamwidth = floats("beamwidth_deg", CELL_FLOAT_DEFAULTS["beamwidth_deg"])
    site_id = np.array([site["site_id"]] * len(kept), dtype=str)
    height = site.get("height_m")
    environment = site.get("environment") or place.environment
    k = len(kept)
    arrays = radio_arrays(
        x_m=np.full(k, place.x_m),
        y_m=np.full(k, place.y_m),
        layer_of=(site_id.astype(object), pd.factorize(operator)[0], pd.factorize(tech)[0], band, on_air),
        tech=tech,
        band_mhz=band,
        azimuth_deg=azimuth,
        beamwidth_deg=beamwidth,
        eirp_dbm=floats("eirp_dbm", CELL_FLOAT_DEFAULTS["eirp_dbm"]),
        tilt_deg=floats("tilt_deg", CELL_FLOAT_DEFAULTS["tilt_deg"]),
        height_m=floats("height_m", SITE_HEIGHT_DEFAULT_M if height is None else float(height)),
        environment=np.array([environment] * k, dtype=str),
    )
    return CellTable(
        arrays=arrays,
        cell_id=np.array([c["cell_id"] for c in kept], dtype=object),
        site_id=site_id,
        operator=operator,
        on_air=on_air.astype(bool),
    )


def site_kpi_row(record: SiteRecord, place: Place) -> dict[str, Any] | None:
    """The site's KPI input row as :func:`~coverage_gis.kpi_inputs.site_rows` makes it
    (None: the site is not on air, and has none)."""
    site = record.site
    if site["status"] != "on_air":
        return None
    live = [c for c in record.cells if c["status"] == "on_air"]
    bits = np.bitwise_or.reduce(
        operator_bits(np.array([c["operator"] for c in live], dtype=object)), initial=0
    )
    n_operators = int(bits).bit_count()
    return {
        **place.admin,
        "site_id": site["site_id"],
        "commissioned": site.get("commissioned"),
        "n_operators": n_operators,
        "shared": n_operators >= 2,
        "has_5g": any(c["tech"] == "5G" for c in live if c["tech"] in TECHS),
    }


def site_columns(
    template: KpiColumns, row: Mapping[str, Any] | None, period: tuple[date, date] | None
) -> KpiColumns:
    """The KPI arrays of a site's row (no rows when it has none), cut like ``template``'s
    (:func:`~coverage_gis.kpi.site_kpi_columns` of the row as a frame)."""
    none = np.empty(0, dtype=np.int64)
    empty = template.take({"v": none, "s": none, "p": none, "t": none})
    if row is None:
        return empty
    levels = list(template.codes["s"])

    def one(value: Any) -> np.ndarray:
        return np.array([value], dtype=object)

    def code(value: Any) -> Any:
        return None if value is None or pd.isna(value) else value

    codes = {level: one(code(row.get(LEVEL_COLUMNS[level][0]))) for level in levels}
    names = {level: one(row.get(LEVEL_COLUMNS[level][1])) for level in levels}
    commissioned = pd.Series([row.get("commissioned")], dtype=object)
    return replace(
        empty,
        codes={**empty.codes, "s": codes},
        names={**empty.names, "s": names},
        shared=np.array([bool(row["shared"])]),
        n_operators=np.array([float(row["n_operators"])]),
        in_period=commissioned_in_period(commissioned, period).to_numpy(dtype=bool),
        site_5g=np.array([bool(row["has_5g"])]),
    )
