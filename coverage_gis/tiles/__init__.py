"""Map tiles of a workspace: vector tiles (MVT) of its layers and coverage raster tiles (PNG).

The package is a pure library (no web framework): ``coverage_gis_api.routes_tiles`` only
translates HTTP to these calls.

- :mod:`~coverage_gis.tiles.mercator`: XYZ tile arithmetic in EPSG:3857.
- :mod:`~coverage_gis.tiles.vector`: per-layer :class:`TileSource` (STRtree of
  EPSG:3857 geometries) and MVT encoding; TileJSON.
- :mod:`~coverage_gis.tiles.raster`: the coverage model evaluated on a tile's pixels.
- :mod:`~coverage_gis.tiles.png`: PNG bytes (palette tiles of the pyramid, RGBA of the rest).
- :mod:`~coverage_gis.tiles.pyramid`: the coverage field precomputed per tile (seeded once,
  kept on disk), which cold coverage tiles are drawn from.
- :mod:`~coverage_gis.tiles.cache`: LRU tile cache with bounding-box invalidation.
- :mod:`~coverage_gis.tiles.service`: the above wired to a changing workspace.
"""

from coverage_gis.tiles.cache import CachedTile, TileCache, TileKey, bbox_intersects, content_etag
from coverage_gis.tiles.mercator import (
    MAX_ZOOM,
    check_tile,
    lonlat_to_mercator,
    mercator_to_lonlat,
    pixel_centres_3857,
    tile_bounds_3857,
    tile_bounds_lonlat,
    tile_for_lonlat,
    tiles_for_bbox,
)
from coverage_gis.tiles.png import encode_indexed_png, encode_png, transparent_png
from coverage_gis.tiles.raster import (
    MODES,
    TECH_CHOICES,
    CoverageGrid,
    CoverageRenderer,
    ramp_legend,
    renderer_legend,
)
from coverage_gis.tiles.service import CoverageTile, TileService
from coverage_gis.tiles.vector import (
    EXTENT,
    STATUS_CLASSES,
    VECTOR_LAYERS,
    TileSource,
    VectorTileSet,
    layer_fields,
    layer_frame,
    tilejson,
    village_status,
)

__all__ = [
    "EXTENT",
    "MAX_ZOOM",
    "MODES",
    "STATUS_CLASSES",
    "TECH_CHOICES",
    "VECTOR_LAYERS",
    "CachedTile",
    "CoverageGrid",
    "CoverageRenderer",
    "CoverageTile",
    "TileCache",
    "TileKey",
    "TileService",
    "TileSource",
    "VectorTileSet",
    "bbox_intersects",
    "check_tile",
    "content_etag",
    "encode_indexed_png",
    "encode_png",
    "layer_fields",
    "layer_frame",
    "lonlat_to_mercator",
    "mercator_to_lonlat",
    "pixel_centres_3857",
    "ramp_legend",
    "renderer_legend",
    "tile_bounds_3857",
    "tile_bounds_lonlat",
    "tile_for_lonlat",
    "tilejson",
    "tiles_for_bbox",
    "transparent_png",
    "village_status",
]
