"""Mapbox Vector Tiles of the workspace layers, and their TileJSON.

Owns what each map layer carries (the schema's fields plus what the map needs:
villages get their ``village_coverage`` result and a ``status`` class, sites get the
operators on air and the shared flag derived from the cells, POIs their 5G flag) and
how a tile is cut from it. A :class:`TileSource` is built once per layer and
workspace revision: geometries projected to EPSG:3857 and indexed by an STRtree,
attributes converted to plain Python values. Each tile then queries the index with
the tile's bounds grown by a buffer, maps coordinates to the tile grid with one
vectorised affine transform, clips, simplifies to half a screen pixel and snaps to
the integer grid before ``mapbox_vector_tile.encode`` writes the protobuf, so the
encoder does no reprojection or quantisation of its own.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import mapbox_vector_tile
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray

from coverage_gis._values import Scalar, plain_scalar
from coverage_gis.coverage import coverage_by_village
from coverage_gis.crs import union_bounds
from coverage_gis.errors import NotFound
from coverage_gis.layers import get_schema
from coverage_gis.runtime import settle_long_lived
from coverage_gis.site_offer import site_operators
from coverage_gis.tiles.basemap import BASEMAP_FIELDS, BASEMAP_KINDS, BASEMAP_LAYERS, basemap_frame
from coverage_gis.tiles.mercator import (
    EARTH_RADIUS_M,
    MAX_LAT,
    Bounds,
    buffered_bounds_3857,
    tile_bounds_3857,
)
from coverage_gis.vocabulary import NAMED_OPERATORS

if TYPE_CHECKING:
    from coverage_gis.engine import Analysis

#: Layers the tile endpoint serves, in drawing order (bottom first).
VECTOR_LAYERS: tuple[str, ...] = (
    "communes",
    "zones_5g",
    "fiber_routes",
    "fiber_nodes",
    "pois",
    "sites",
    "villages",
)
#: Every layer the tile endpoint serves: the workspace layers and the basemap's
#: (:mod:`coverage_gis.tiles.basemap`).
TILE_LAYERS: tuple[str, ...] = (*VECTOR_LAYERS, *BASEMAP_LAYERS)
#: Tile grid units across a vector tile (the MVT default).
EXTENT = 4096
#: Extra tile units around each tile: symbols and line joins near an edge are drawn
#: from both neighbours without seams (MapLibre draws a 512 px tile, so 8 units = 1 px).
BUFFER = 128
#: Douglas-Peucker tolerance in tile units: half a screen pixel at 512 px per tile.
#: Every vertex kept costs Python time in the encoder, so this is the main speed knob.
SIMPLIFY_UNITS = 4.0
#: Village status classes (the ``status`` attribute and the style's colour keys).
STATUS_CLASSES: tuple[str, ...] = ("covered", "no_mobile", "no_ftth", "no_both", "unknown")

Properties = dict[str, Scalar]
ObjectArray = NDArray[np.object_]

_ENCODE_OPTIONS: dict[str, Any] = {
    "quantize_bounds": None,
    "y_coord_down": True,
    "extents": EXTENT,
    "check_winding_order": True,
}
_GEOMETRY_KIND = {"Point": "Point", "LineString": "LineString", "MultiPolygon": "Polygon"}
_DIMENSION = {"Point": 0, "LineString": 1, "Polygon": 2}

#: Attributes added to the schema's fields, per layer: name → TileJSON description.
_DERIVED_FIELDS: dict[str, dict[str, str]] = {
    "villages": {
        "status": "covered / no_mobile / no_ftth / no_both / unknown",
        "mobile_bb": "mobile broadband (3G/4G/5G) at the village centre",
        "ftth": "FTTH within reach of the village centre",
        "best_tech": "best technology heard",
        "operators": "operators with broadband service",
        "n_operators": "number of operators with broadband service",
        "best_signal_dbm": "best broadband signal, dBm",
        "has_4g": "4G served",
        "has_5g": "5G served",
        "fiber_distance_m": "distance to the nearest on-air access fiber, m",
        "ftth_operators": "operators with fiber within reach",
        "mobile_gap_reason": "why there is no mobile broadband (the main cause)",
        "mobile_gap_reasons": "every cause of the mobile gap, comma-separated (radio, then no_grid_power)",
        "ftth_gap_reason": "why there is no FTTH",
        "override": "statuses (mobile, ftth) set by an accepted challenge rather than the model",
        "commune_name": "commune",
        "district_name": "district",
        "province_name": "province",
    },
    "sites": {
        "operators": "operators with on-air cells",
        "n_operators": "number of operators with on-air cells",
        "shared": "on-air cells of two or more operators",
        "techs": "technologies of the on-air cells",
        "operator_class": "Viettel / VNPT / MobiFone / Vietnamobile / shared / other (style key)",
    },
    "pois": {"has_5g": "inside a 5G service area or an on-air 5G zone"},
}


# -- layer attributes ---------------------------------------------------------------------


def village_status(mobile_bb: pd.Series, ftth: pd.Series) -> NDArray[np.object_]:
    """Status class of each village from its two coverage flags (``unknown`` where missing)."""
    mob = mobile_bb.astype("boolean")
    fib = ftth.astype("boolean")
    status = np.full(len(mob), "unknown", dtype=object)
    known = (mob.notna() & fib.notna()).to_numpy(dtype=bool)
    m = mob.fillna(False).to_numpy(dtype=bool)
    f = fib.fillna(False).to_numpy(dtype=bool)
    status[known & m & f] = "covered"
    status[known & ~m & f] = "no_mobile"
    status[known & m & ~f] = "no_ftth"
    status[known & ~m & ~f] = "no_both"
    return status


def _schema_columns(frame: pd.DataFrame, layer: str) -> list[str]:
    return [name for name in get_schema(layer).field_names if name in frame.columns]


def _villages_frame(analysis: Analysis) -> gpd.GeoDataFrame:
    villages = analysis.layers.villages
    out = villages[[*_schema_columns(villages, "villages"), "geometry"]].copy()
    cov = coverage_by_village(analysis.coverage, villages["village_id"].to_numpy(dtype=object))
    for column in _DERIVED_FIELDS["villages"]:
        if column in cov.columns:
            out[column] = cov[column].to_numpy(dtype=object)
    out["status"] = village_status(cov["mobile_bb"], cov["ftth"])
    # The KPI inputs hold each village's admin units, in the villages' order.
    admin = analysis.inputs.villages
    for column in ("commune_name", "district_name", "province_name", "district_code"):
        out[column] = admin[column].to_numpy(dtype=object)
    return out


def _sites_frame(analysis: Analysis) -> gpd.GeoDataFrame:
    sites = analysis.layers.sites
    out = sites[[*_schema_columns(sites, "sites"), "geometry"]].copy()
    offer = site_operators(sites, analysis.layers.cells).reindex(out["site_id"].to_numpy(dtype=object))
    operators = offer["operators"].fillna("")
    n_operators = offer["n_operators"].fillna(0).to_numpy(dtype=np.int64)
    out["operators"] = operators.to_numpy(dtype=object)
    out["n_operators"] = n_operators
    out["shared"] = offer["shared"].astype("boolean").fillna(False).to_numpy(dtype=bool)
    out["techs"] = offer["techs"].fillna("").to_numpy(dtype=object)
    # A site with nothing on air is still drawn in the colour of the operator planning it.
    style_ops = operators.where(operators != "", offer["any_operators"].fillna(""))
    known = set(NAMED_OPERATORS)
    out["operator_class"] = np.where(
        out["shared"].to_numpy(dtype=bool),
        "shared",
        style_ops.map(lambda s: s if s in known else "other").to_numpy(dtype=object),
    )
    return out


def _pois_frame(analysis: Analysis) -> gpd.GeoDataFrame:
    pois = analysis.layers.pois
    out = pois[[*_schema_columns(pois, "pois"), "geometry"]].copy()
    facts = analysis.inputs.pois
    if "poi_id" in facts.columns and "has_5g" in facts.columns and len(facts):
        lookup = facts.drop_duplicates("poi_id").set_index("poi_id")["has_5g"]
        out["has_5g"] = out["poi_id"].map(lookup).astype("boolean").to_numpy(dtype=object)
    return out


def layer_frame(analysis: Analysis, layer: str) -> gpd.GeoDataFrame:
    """The features of one map layer with the attributes its tiles carry (EPSG:4326).

    Raises
    ------
    NotFound
        ``layer`` is not one of :data:`VECTOR_LAYERS`.
    """
    if layer in BASEMAP_LAYERS:
        return basemap_frame(analysis, layer)
    if layer not in VECTOR_LAYERS:
        raise NotFound(f"no tile layer {layer!r}; tile layers: {', '.join(TILE_LAYERS)}")
    if layer == "villages":
        return _villages_frame(analysis)
    if layer == "sites":
        return _sites_frame(analysis)
    if layer == "pois":
        return _pois_frame(analysis)
    frame = analysis.layers.geo(layer)
    return frame[[*_schema_columns(frame, layer), "geometry"]].copy()


def layer_bounds(analysis: Analysis, layer: str) -> Bounds | None:
    """Lon/lat extent of one layer with geometry (None when it has no features)."""
    return union_bounds([analysis.layers.geo(layer).total_bounds])


def workspace_bounds(analysis: Analysis) -> Bounds | None:
    """Extent of the villages and communes, lon/lat (what the map should fit)."""
    return union_bounds(b for name in ("villages", "communes") if (b := layer_bounds(analysis, name)))


def layer_fields(layer: str) -> dict[str, str]:
    """Attribute name → description of a tile layer (TileJSON ``vector_layers.fields``)."""
    if layer in BASEMAP_FIELDS:
        return dict(BASEMAP_FIELDS[layer])
    schema = get_schema(layer)
    fields = {f.name: f.description or f.type for f in schema.fields}
    fields.update(_DERIVED_FIELDS.get(layer, {}))
    return fields


def _plain(value: Any) -> Scalar | None:
    """A value MVT can store (str/int/float/bool), or None to leave the attribute out."""
    plain = plain_scalar(value)
    if isinstance(plain, float) and not isinstance(plain, bool):
        # MVT has no NaN; an absent attribute is what MapLibre's ["has", ...] expects.
        return None if not math.isfinite(plain) else round(plain, 3)
    return plain


def _properties(frame: pd.DataFrame) -> list[Properties]:
    columns = [c for c in frame.columns if c != "geometry"]
    rows: list[Properties] = []
    for values in frame[columns].itertuples(index=False, name=None):
        props: Properties = {}
        for name, value in zip(columns, values, strict=True):
            plain = _plain(value)
            if plain is not None:
                props[name] = plain
        rows.append(props)
    return rows


# -- tile cutting -------------------------------------------------------------------------


def _to_mercator(coords: NDArray[np.float64]) -> NDArray[np.float64]:
    lon = np.radians(coords[:, 0])
    lat = np.radians(np.clip(coords[:, 1], -MAX_LAT, MAX_LAT))
    return np.column_stack((lon * EARTH_RADIUS_M, np.log(np.tan(np.pi / 4.0 + lat / 2.0)) * EARTH_RADIUS_M))


def _keep_dimension(geoms: ObjectArray, dimension: int) -> ObjectArray:
    """Drop clip by-products of a lower dimension (a polygon clipped to a sliver line)."""
    mixed = np.flatnonzero(shapely.get_type_id(geoms) == 7)  # GeometryCollection
    for i in mixed:
        parts = shapely.get_parts(geoms[i])
        parts = parts[shapely.get_dimensions(parts) == dimension]
        geoms[i] = shapely.union_all(parts) if len(parts) else shapely.Point()
    return geoms


@dataclass(frozen=True)
class TileSource:
    """One layer ready for tiling: EPSG:3857 geometries, their STRtree and attributes.

    Build with :meth:`from_frame`; immutable afterwards, so one source serves any
    number of threads.
    """

    layer: str
    kind: str
    geometries_3857: ObjectArray
    properties: Sequence[Properties]
    tree: shapely.STRtree
    bounds_lonlat: Bounds | None
    minzoom: int = 0

    @classmethod
    def from_frame(
        cls, layer: str, frame: gpd.GeoDataFrame, *, minzoom: int = 0, kind: str | None = None
    ) -> TileSource:
        """Project, index and flatten a layer frame (EPSG:4326).

        ``kind`` (``Point``, ``LineString``, ``Polygon``) defaults to the layer schema's
        geometry; layers without a schema (the basemap's) name it.
        """
        if kind is None:
            kind = _GEOMETRY_KIND.get(get_schema(layer).geometry, "Point")
        if frame.crs is not None and not frame.crs.equals("EPSG:4326"):
            frame = frame.to_crs("EPSG:4326")
        geoms = frame.geometry.to_numpy()
        keep = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
        frame = frame[keep]
        geoms = geoms[keep]
        bounds: Bounds | None = None
        if len(geoms):
            west, south, east, north = shapely.total_bounds(geoms)
            bounds = (float(west), float(south), float(east), float(north))
        projected = shapely.transform(geoms, _to_mercator)
        return cls(
            layer=layer,
            kind=kind,
            geometries_3857=np.asarray(projected, dtype=object),
            properties=tuple(_properties(frame)),
            tree=shapely.STRtree(projected),
            bounds_lonlat=bounds,
            minzoom=minzoom,
        )

    def __len__(self) -> int:
        return len(self.properties)

    def query(self, bounds_3857: Bounds) -> NDArray[np.int64]:
        """Indices (sorted) of the features whose envelope meets an EPSG:3857 box."""
        if not len(self):
            return np.empty(0, dtype=np.int64)
        found = self.tree.query(shapely.box(*bounds_3857))
        return np.sort(np.asarray(found, dtype=np.int64))

    def tile_features(
        self, z: int, x: int, y: int, *, extent: int = EXTENT, buffer: int = BUFFER
    ) -> tuple[NDArray[np.int64], ObjectArray]:
        """Feature indices and their geometries in the tile grid (integer, y down).

        Lines and polygons are clipped to the buffered tile and simplified; features
        that vanish in the process are left out.
        """
        empty = (np.empty(0, dtype=np.int64), np.empty(0, dtype=object))
        if z < self.minzoom:
            return empty
        index = self.query(buffered_bounds_3857(z, x, y, buffer=buffer, extent=extent))
        if index.size == 0:
            return empty
        minx, _, maxx, maxy = tile_bounds_3857(z, x, y)
        scale = extent / (maxx - minx)

        def to_tile(coords: NDArray[np.float64]) -> NDArray[np.float64]:
            return np.column_stack(((coords[:, 0] - minx) * scale, (maxy - coords[:, 1]) * scale))

        geoms = shapely.transform(self.geometries_3857[index], to_tile)
        if self.kind != "Point":
            geoms = shapely.clip_by_rect(geoms, -buffer, -buffer, extent + buffer, extent + buffer)
            geoms = shapely.simplify(geoms, SIMPLIFY_UNITS, preserve_topology=True)
        geoms = shapely.set_precision(geoms, 1.0)
        geoms = _keep_dimension(np.asarray(geoms, dtype=object), _DIMENSION[self.kind])
        keep = ~shapely.is_empty(geoms)
        return index[keep], geoms[keep]

    def encode(self, z: int, x: int, y: int, *, extent: int = EXTENT, buffer: int = BUFFER) -> bytes:
        """The MVT (protobuf, uncompressed) of tile ``z/x/y``; ``b""`` when it has no feature."""
        index, geoms = self.tile_features(z, x, y, extent=extent, buffer=buffer)
        if index.size == 0:
            return b""
        features = [
            {"geometry": geom, "properties": self.properties[i], "id": int(i) + 1}
            for i, geom in zip(index.tolist(), geoms, strict=True)
        ]
        options = {**_ENCODE_OPTIONS, "extents": extent}
        data: bytes = mapbox_vector_tile.encode(
            {"name": self.layer, "features": features}, default_options=options
        )
        return data


def _style_minzoom(layer: str) -> int:
    if layer not in VECTOR_LAYERS:
        return 0
    raw = get_schema(layer).style.get("minzoom", 0)
    return int(raw) if isinstance(raw, int | float) else 0


class VectorTileSet:
    """The tile sources of one analysis (one workspace revision), built on first use.

    Parameters
    ----------
    analysis
        The workspace analysis whose layers and coverage the tiles show.
    minzooms
        Per-layer zoom below which tiles are empty (default: the style's ``minzoom``);
        keeps a national communes layer from being cut into one giant tile.
    """

    def __init__(self, analysis: Analysis, *, minzooms: Mapping[str, int] | None = None) -> None:
        self.analysis = analysis
        self._minzooms = dict(minzooms or {})
        self._sources: dict[str, TileSource] = {}
        self._lock = threading.Lock()

    def source(self, layer: str) -> TileSource:
        """The (cached) source of one layer; :class:`NotFound` for an unknown layer."""
        found = self._sources.get(layer)
        if found is not None:
            return found
        if layer not in TILE_LAYERS:
            raise NotFound(f"no tile layer {layer!r}; tile layers: {', '.join(TILE_LAYERS)}")
        # One builder per layer at a time: concurrent first requests wait, not rebuild.
        with self._lock:
            found = self._sources.get(layer)
            if found is None:
                minzoom = self._minzooms.get(layer, _style_minzoom(layer))
                found = TileSource.from_frame(
                    layer, layer_frame(self.analysis, layer), minzoom=minzoom, kind=BASEMAP_KINDS.get(layer)
                )
                self._sources[layer] = found
                # Its geometries live as long as the revision: out of the collector's passes.
                settle_long_lived()
        return found

    def encode(self, layer: str, z: int, x: int, y: int) -> bytes:
        """MVT bytes (uncompressed) of one layer's tile."""
        return self.source(layer).encode(z, x, y)

    def bounds_lonlat(self) -> Bounds | None:
        """Extent of the workspace's villages and communes (what the map should show)."""
        return workspace_bounds(self.analysis)


def tilejson(
    layer: str,
    base_url: str,
    *,
    bounds: Bounds | None = None,
    attribution: str | None = None,
    minzoom: int | None = None,
    maxzoom: int = 14,
) -> dict[str, Any]:
    """TileJSON 3.0.0 document of one vector tile layer.

    Parameters
    ----------
    layer
        One of :data:`VECTOR_LAYERS` (:class:`NotFound` otherwise).
    base_url
        Root URL of the server (``http://host:port``); the tile template is
        ``{base_url}/tiles/{layer}/{z}/{x}/{y}.mvt``.
    bounds
        Data extent, lon/lat; the whole world when None.
    attribution
        HTML attribution string.
    minzoom, maxzoom
        Zoom range with data (MapLibre over-zooms beyond ``maxzoom``).
    """
    if layer not in TILE_LAYERS:
        raise NotFound(f"no tile layer {layer!r}; tile layers: {', '.join(TILE_LAYERS)}")
    title = f"{layer} (basemap)" if layer in BASEMAP_LAYERS else get_schema(layer).title_en
    description = title if layer in BASEMAP_LAYERS else f"{title} / {get_schema(layer).title_vi}"
    low = _style_minzoom(layer) if minzoom is None else minzoom
    west, south, east, north = bounds or (-180.0, -MAX_LAT, 180.0, MAX_LAT)
    centre_zoom = max(low, min(maxzoom, 8))
    doc: dict[str, Any] = {
        "tilejson": "3.0.0",
        "name": layer,
        "description": description,
        "scheme": "xyz",
        "tiles": [f"{base_url.rstrip('/')}/tiles/{layer}/{{z}}/{{x}}/{{y}}.mvt"],
        "minzoom": low,
        "maxzoom": maxzoom,
        "bounds": [west, south, east, north],
        "center": [(west + east) / 2.0, (south + north) / 2.0, centre_zoom],
        "vector_layers": [
            {
                "id": layer,
                "description": title,
                "minzoom": low,
                "maxzoom": maxzoom,
                "fields": layer_fields(layer),
            }
        ],
    }
    if attribution:
        doc["attribution"] = attribution
    return doc
