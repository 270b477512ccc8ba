"""The web map's MapLibre style, built from ``layers/*.yaml``.

Owns the translation of the layer schemas' ``style`` blocks (``type``, ``color`` /
``colors`` by an attribute, ``width`` / ``widths``, ``radius`` / ``radii``,
``fill_opacity``, ``minzoom``) and of ``layers/map_style.yaml`` (basemap, labels,
overlays) into one MapLibre GL style document (version 8):

- the offline basemap: background, hillshade of the workspace DEM, roads from
  ``roads.osm``, district outlines and the highlight of the filtered district;
- the workspace layers as vector tiles, the coverage raster (hidden by default);
- place labels (districts, communes from zoom 10, villages from zoom 12) drawn with the
  glyphs served by the web app (``/map/glyphs``, built from DejaVu Sans, so Vietnamese
  diacritics render and nothing is fetched from outside);
- a ``metadata`` block the page builds its layer switcher, legend, district zoom and
  GeoJSON overlays from (:func:`overlay_layers`: the proposed fiber of FTTH gaps, a
  plan's sites and fiber, and a slot for the challenges layer to come).

No URL outside the server is referenced: the map works offline.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from coverage_gis.layers import get_schema
from coverage_gis.messages import text
from coverage_gis.tiles.basemap import BASEMAP_ID_FIELDS, districts_frame
from coverage_gis.tiles.map_style import MapStyle, Overlay, map_style
from coverage_gis.tiles.mercator import Bounds
from coverage_gis.tiles.raster import TECH_CHOICES, ramp_legend, renderer_legend
from coverage_gis.tiles.vector import VECTOR_LAYERS, layer_bounds, workspace_bounds

if TYPE_CHECKING:
    from coverage_gis.engine import Analysis

#: Credit for the real administrative data every workspace starts from.
ATTRIBUTION_BOUNDARIES = text("credit_boundaries", "en")
#: Credit line of a synthetic (demo) workspace.
ATTRIBUTION_SYNTHETIC = text("credit_synthetic", "en")
#: Credit of a workspace's own roads and terrain (a user's roads.osm is usually OSM data).
ATTRIBUTION_ROADS = "Roads: the workspace's roads.osm (OpenStreetMap data © OpenStreetMap contributors, ODbL)"
ATTRIBUTION_SYNTHETIC_BASEMAP = "Roads and terrain: synthetic demo data"
#: Vector tiles are cut up to this zoom; MapLibre over-zooms beyond it.
VECTOR_MAXZOOM = 14
#: Coverage tiles are rendered up to this zoom (a pixel is ~2 m there).
RASTER_MAXZOOM = 16
#: Hillshade tiles are rendered up to this zoom (finer than the demo DEM's 165 m posts
#: already); MapLibre scales the last ones beyond it.
HILLSHADE_MAXZOOM = 14
#: Attribute each layer's features are keyed by in MapLibre (feature-state, highlights).
_PROMOTE_ID = {name: get_schema(name).id_field for name in VECTOR_LAYERS}
#: The attribute a style's ``by`` names when the tiles carry a derived one instead.
_BY_ATTRIBUTE = {("sites", "operator"): "operator_class"}
_DEFAULT_GREY = "#9e9e9e"
#: Halo of gap villages: dark, so a gap stands out on any background.
GAP_HALO = "#1A1A1A"
#: Id of the layer the page filters to the chosen district.
HIGHLIGHT_LAYER = "district-highlight"


def layer_attribution(layer: str, *, synthetic: bool) -> str | None:
    """The attribution of one tile layer (None when it needs none)."""
    if layer in ("communes", "districts", "places"):
        return ATTRIBUTION_BOUNDARIES
    if layer in ("roads", "hillshade"):
        return (
            ATTRIBUTION_SYNTHETIC_BASEMAP if synthetic else (ATTRIBUTION_ROADS if layer == "roads" else None)
        )
    if synthetic and layer in ("villages", "sites", "fiber_routes", "fiber_nodes", "zones_5g", "pois"):
        return ATTRIBUTION_SYNTHETIC
    return None


def _colour_expression(style: Mapping[str, Any], layer: str) -> tuple[Any, list[dict[str, str]]]:
    """A MapLibre colour (constant or ``match``) and the legend items it implies."""
    colours = style.get("colors")
    by = style.get("by")
    if isinstance(colours, Mapping) and by:
        attribute = _BY_ATTRIBUTE.get((layer, str(by)), str(by))
        fallback = str(colours.get("other", colours.get("unknown", _DEFAULT_GREY)))
        expression: list[Any] = ["match", ["get", attribute]]
        for key, value in colours.items():
            expression.extend([str(key), str(value)])
        expression.append(fallback)
        items = [{"key": str(k), "color": str(v)} for k, v in colours.items()]
        return expression, items
    colour = str(style.get("color", _DEFAULT_GREY))
    return colour, [{"key": layer, "color": colour}]


def _match(attribute: str, values: Mapping[str, Any], fallback: float) -> list[Any]:
    expression: list[Any] = ["match", ["get", attribute]]
    for key, value in values.items():
        expression.extend([str(key), float(value)])
    expression.append(fallback)
    return expression


def _zoom_scaled(value: Any) -> list[Any]:
    # Points grow with zoom so a province view is not a carpet of dots.
    if isinstance(value, int | float):
        return ["interpolate", ["linear"], ["zoom"], 6, value * 0.5, 10, value, 15, value * 2.0]
    return ["interpolate", ["linear"], ["zoom"], 6, ["*", 0.5, value], 10, value, 15, ["*", 2.0, value]]


def _is_covered() -> list[Any]:
    return ["==", ["get", "status"], "covered"]


def _village_paint(colour: Any, radius: float) -> dict[str, Any]:
    """Villages: gaps larger and with a dark halo (colour is never the only cue)."""

    def by_status(covered: float, gap: float) -> list[Any]:
        return ["case", _is_covered(), covered, gap]

    return {
        "circle-color": colour,
        "circle-radius": [
            "interpolate",
            ["linear"],
            ["zoom"],
            6,
            by_status(radius * 0.45, radius * 1.3),
            10,
            by_status(radius * 0.9, radius * 1.8),
            15,
            by_status(radius * 2.0, radius * 2.8),
        ],
        "circle-stroke-color": ["case", _is_covered(), "#ffffff", GAP_HALO],
        "circle-stroke-width": [
            "interpolate",
            ["linear"],
            ["zoom"],
            6,
            by_status(0.4, 1.4),
            12,
            by_status(0.8, 2.0),
        ],
    }


def _layers_for(layer: str, style: Mapping[str, Any]) -> tuple[list[dict[str, Any]], list[dict[str, str]]]:
    kind = str(style.get("type", "circle"))
    colour, items = _colour_expression(style, layer)
    base: dict[str, Any] = {"source": layer, "source-layer": layer}
    if "minzoom" in style:
        base["minzoom"] = int(style["minzoom"])
    out: list[dict[str, Any]] = []
    if kind == "circle":
        radius: Any = float(style.get("radius", 4))
        radii = style.get("radii")
        if isinstance(radii, Mapping) and style.get("by"):
            radius = _match(str(style["by"]), radii, min(float(v) for v in radii.values()))
        paint: dict[str, Any] = {
            "circle-color": colour,
            "circle-radius": _zoom_scaled(radius),
            "circle-stroke-color": "#ffffff",
            "circle-stroke-width": 0.8,
        }
        layout: dict[str, Any] = {}
        if layer in ("sites", "fiber_nodes"):
            # Planned objects are drawn faded: they do not serve anyone yet.
            paint["circle-opacity"] = ["case", ["==", ["get", "status"], "planned"], 0.45, 0.95]
            paint["circle-stroke-color"] = "#263238"
        if layer == "villages":
            paint = _village_paint(colour, float(style.get("radius", 4)))
            # Gaps are what the map is for: drawn above the covered villages.
            layout["circle-sort-key"] = ["case", _is_covered(), 0, 1]
        out.append({"id": layer, "type": "circle", **base, "layout": layout, "paint": paint})
    elif kind == "line":
        widths = style.get("widths")
        width: Any = float(style.get("width", 1.0))
        if isinstance(widths, Mapping) and style.get("by"):
            width = _match(str(style["by"]), widths, 1.0)
        fill_opacity = float(style.get("fill_opacity", 0.0))
        if "fill" in style:
            # Even an invisible fill makes the polygon clickable.
            out.append(
                {
                    "id": f"{layer}-fill",
                    "type": "fill",
                    **base,
                    "paint": {"fill-color": str(style["fill"]), "fill-opacity": fill_opacity},
                }
            )
        paint = {"line-color": colour, "line-width": width}
        if layer == "fiber_routes":
            paint["line-opacity"] = ["case", ["==", ["get", "status"], "planned"], 0.4, 0.9]
        out.append({"id": layer, "type": "line", **base, "paint": paint})
    elif kind == "fill":
        out.append(
            {
                "id": f"{layer}-fill",
                "type": "fill",
                **base,
                "paint": {"fill-color": colour, "fill-opacity": float(style.get("fill_opacity", 0.2))},
            }
        )
        out.append({"id": layer, "type": "line", **base, "paint": {"line-color": colour, "line-width": 1.0}})
    return out, items


def _pad(bounds: Bounds, fraction: float = 0.02) -> Bounds:
    west, south, east, north = bounds
    dx = max(east - west, 0.01) * fraction
    dy = max(north - south, 0.01) * fraction
    return (
        max(west - dx, -180.0),
        max(south - dy, -85.0511),
        min(east + dx, 180.0),
        min(north + dy, 85.0511),
    )


def overlay_layers(name: str, overlay: Overlay, *, source: str | None = None) -> list[dict[str, Any]]:
    """MapLibre layers of an overlay drawn from a GeoJSON source (``layers/map_style.yaml`` ``overlays``).

    The page adds the source and these layers with one call (``addGeoJsonOverlay(name,
    url)`` in ``app.js``), so a layer served as GeoJSON by any endpoint — the
    challenges of the speed-test branch, say — needs only its entry in the YAML file.
    """
    source_id = source or name
    if overlay.type == "line":
        paint: dict[str, Any] = {
            "line-color": overlay.color,
            "line-width": [
                "interpolate",
                ["linear"],
                ["zoom"],
                8,
                overlay.width * 0.6,
                14,
                overlay.width * 1.6,
            ],
        }
        if overlay.dash:
            paint["line-dasharray"] = list(overlay.dash)
        return [
            {
                "id": f"{name}-casing",
                "type": "line",
                "source": source_id,
                "layout": {"line-cap": "round", "line-join": "round"},
                "paint": {
                    "line-color": "#ffffff",
                    "line-width": [
                        "interpolate",
                        ["linear"],
                        ["zoom"],
                        8,
                        overlay.width * 1.4,
                        14,
                        overlay.width * 3.0,
                    ],
                    "line-opacity": 0.85,
                },
            },
            {
                "id": name,
                "type": "line",
                "source": source_id,
                "layout": {"line-join": "round"},
                "paint": paint,
            },
        ]
    return [
        {
            "id": name,
            "type": "circle",
            "source": source_id,
            "paint": {
                # Hollow rings: a proposal is not yet a site, and it stays readable over a village.
                "circle-color": "rgba(255, 255, 255, 0.6)",
                "circle-radius": _zoom_scaled(overlay.radius),
                "circle-stroke-color": overlay.color,
                "circle-stroke-width": ["interpolate", ["linear"], ["zoom"], 6, 1.5, 12, 3.0],
            },
        }
    ]


def _overlay_metadata(doc: MapStyle) -> dict[str, Any]:
    return {
        name: {
            "id": name,
            "title_vi": overlay.title_vi,
            "title_en": overlay.title_en,
            "type": overlay.type,
            "layers": overlay_layers(name, overlay),
            "items": [{"key": name, "color": overlay.color}],
        }
        for name, overlay in doc.overlays.items()
    }


def _basemap_layers(doc: MapStyle, *, hillshade: bool) -> dict[str, list[dict[str, Any]]]:
    """Basemap layers by group: ``hillshade``, ``districts`` (outline and highlight), ``roads``."""
    roads = doc.roads
    road_class = ["get", "road_class"]
    width = ["match", road_class, "major", roads.widths.major, roads.widths.minor]

    def zoomed(low: float, high: float, extra: float = 0.0) -> list[Any]:
        # Road widths grow from province to street zooms; a casing is the road plus a rim.
        return [
            "interpolate",
            ["linear"],
            ["zoom"],
            8,
            ["+", ["*", low, width], extra * 0.5],
            14,
            ["+", ["*", high, width], extra],
        ]

    minor_hidden = ["any", ["==", road_class, "major"], [">=", ["zoom"], roads.minor_minzoom]]
    base = {"source": "roads", "source-layer": "roads", "filter": minor_hidden}
    groups: dict[str, list[dict[str, Any]]] = {
        "roads": [
            {
                "id": "roads-casing",
                "type": "line",
                **base,
                "layout": {"line-join": "round", "line-cap": "round"},
                "paint": {"line-color": roads.casing, "line-width": zoomed(0.6, 2.3, 2.4)},
            },
            {
                "id": "roads",
                "type": "line",
                **base,
                "layout": {"line-join": "round", "line-cap": "round"},
                "paint": {
                    "line-color": ["match", road_class, "major", roads.colors.major, roads.colors.minor],
                    "line-width": zoomed(0.6, 2.3),
                },
            },
        ],
        "districts": [
            {
                "id": HIGHLIGHT_LAYER,
                "type": "line",
                "source": "districts",
                "source-layer": "districts",
                # The page sets the filter to the chosen district.
                "filter": ["==", ["get", "district_code"], ""],
                "paint": {
                    "line-color": doc.highlight.color,
                    "line-width": doc.highlight.width,
                    "line-opacity": 0.9,
                },
            },
            {
                "id": "districts",
                "type": "line",
                "source": "districts",
                "source-layer": "districts",
                "paint": {"line-color": doc.districts.color, "line-width": doc.districts.width},
            },
        ],
        "hillshade": [],
    }
    if hillshade:
        groups["hillshade"] = [
            {"id": "hillshade", "type": "raster", "source": "hillshade", "paint": {"raster-fade-duration": 0}}
        ]
    return groups


def _label_layers(doc: MapStyle) -> list[dict[str, Any]]:
    """District, commune and village names (glyphs from ``/map/glyphs``)."""
    labels = doc.labels
    halo = {"text-color": labels.color, "text-halo-color": labels.halo, "text-halo-width": 1.6}
    return [
        {
            "id": "labels-villages",
            "type": "symbol",
            "source": "villages",
            "source-layer": "villages",
            "minzoom": labels.village_minzoom,
            "layout": {
                "text-field": ["get", "name"],
                "text-font": [labels.font],
                "text-size": 11,
                "text-variable-anchor": ["left", "right", "top", "bottom"],
                "text-radial-offset": 0.8,
                "text-max-width": 9,
            },
            "paint": {**halo, "text-color": "#333333"},
        },
        {
            "id": "labels-communes",
            "type": "symbol",
            "source": "places",
            "source-layer": "places",
            "minzoom": labels.commune_minzoom,
            "filter": ["==", ["get", "kind"], "commune"],
            "layout": {
                "text-field": ["get", "name"],
                "text-font": [labels.font],
                "text-size": ["interpolate", ["linear"], ["zoom"], 10, 11, 14, 14],
                "text-max-width": 8,
                "text-padding": 4,
            },
            "paint": {**halo, "text-color": "#4A4A4A"},
        },
        {
            "id": "labels-districts",
            "type": "symbol",
            "source": "places",
            "source-layer": "places",
            "filter": ["==", ["get", "kind"], "district"],
            "layout": {
                "text-field": ["get", "name"],
                "text-font": [labels.bold_font],
                "text-size": ["interpolate", ["linear"], ["zoom"], 7, 11, 11, 16],
                "text-max-width": 8,
                "text-letter-spacing": 0.04,
                "text-padding": 6,
            },
            "paint": {**halo, "text-halo-width": 2.0},
        },
    ]


def district_extents(analysis: Analysis) -> dict[str, dict[str, Any]]:
    """District code → name and lon/lat bounds (what the district filter zooms to)."""
    frame = districts_frame(analysis)
    out: dict[str, dict[str, Any]] = {}
    for code, name, geom in zip(frame["district_code"], frame["district_name"], frame.geometry, strict=True):
        if geom is None or geom.is_empty:
            continue
        out[str(code)] = {"name": str(name), "bounds": [round(float(v), 6) for v in geom.bounds]}
    return out


def _vector_source(
    root: str, name: str, *, bounds: Bounds | None, credit: str | None, promote: str
) -> dict[str, Any]:
    source: dict[str, Any] = {
        "type": "vector",
        "tiles": [f"{root}/tiles/{name}/{{z}}/{{x}}/{{y}}.mvt"],
        "minzoom": 0,
        "maxzoom": VECTOR_MAXZOOM,
        "promoteId": promote,
    }
    if bounds is not None:
        source["bounds"] = list(_pad(bounds))
    if credit:
        source["attribution"] = credit
    return source


def legend_colours() -> dict[str, str]:
    """Every colour a legend entry of the web map shows, by ``"<layer>.<key>"``.

    From the styles of the tile layers' schemas (a constant ``color`` or one per
    ``colors`` key) and from ``layers/map_style.yaml`` (district outlines, road classes,
    overlays). Colours are upper-case ``#RRGGBB``.
    """
    found: dict[str, str] = {}
    for name in VECTOR_LAYERS:
        style = get_schema(name).style
        colours = style.get("colors")
        if isinstance(colours, Mapping):
            for key, value in colours.items():
                found[f"{name}.{key}"] = str(value).upper()
        else:
            found[name] = str(style.get("color", "")).upper()
    doc = map_style()
    found["districts"] = doc.districts.color.upper()
    found["roads.major"] = doc.roads.colors.major.upper()
    found["roads.minor"] = doc.roads.colors.minor.upper()
    for key, overlay in doc.overlays.items():
        found[f"overlays.{key}"] = overlay.color.upper()
    return found


def build_style(analysis: Analysis, base_url: str, *, coverage_tech: str = "all") -> dict[str, Any]:
    """The MapLibre style document of a workspace's web map.

    Parameters
    ----------
    analysis
        The workspace analysis (its name, synthetic flag, extent, DEM and roads are used).
    base_url
        Root URL of the server (tile, glyph and GeoJSON URLs are absolute, as MapLibre needs).
    coverage_tech
        Technology of the coverage raster source (``all``, ``3G``, ``4G``, ``5G``).
    """
    root = base_url.rstrip("/")
    config = analysis.ws.config
    doc = map_style()
    synthetic = bool(config.synthetic)
    bounds = workspace_bounds(analysis)
    padded = list(_pad(bounds, 0.1)) if bounds is not None else None
    has_dem = analysis.ws.dem_path is not None
    has_roads = analysis.ws.roads_path is not None
    sources: dict[str, Any] = {}
    legend: list[dict[str, Any]] = []
    vector_layers: dict[str, list[dict[str, Any]]] = {}
    for name in VECTOR_LAYERS:
        schema = get_schema(name)
        bounds_of_layer = layer_bounds(analysis, name)
        sources[name] = _vector_source(
            root,
            name,
            bounds=bounds_of_layer,
            credit=layer_attribution(name, synthetic=synthetic),
            promote=_PROMOTE_ID[name],
        )
        style_layers, items = _layers_for(name, schema.style)
        vector_layers[name] = style_layers
        legend.append(
            {
                "id": name,
                "title_vi": schema.title_vi,
                "title_en": schema.title_en,
                "layers": [layer["id"] for layer in style_layers],
                "items": items,
                "visible": True,
                "empty": bounds_of_layer is None,
            }
        )
    for name, promote in BASEMAP_ID_FIELDS.items():
        if name == "roads" and not has_roads:
            continue
        sources[name] = _vector_source(
            root, name, bounds=bounds, credit=layer_attribution(name, synthetic=synthetic), promote=promote
        )
    if has_dem:
        sources["hillshade"] = {
            "type": "raster",
            "tiles": [f"{root}/tiles/hillshade/{{z}}/{{x}}/{{y}}.png"],
            "tileSize": 256,
            "minzoom": 0,
            "maxzoom": HILLSHADE_MAXZOOM,
            **({"bounds": padded} if padded is not None else {}),
            **(
                {"attribution": credit}
                if (credit := layer_attribution("hillshade", synthetic=synthetic))
                else {}
            ),
        }
    basemap = _basemap_layers(doc, hillshade=has_dem)
    if not has_roads:
        basemap["roads"] = []
    # Basemap entries of the legend go last in the list (the page shows it reversed: on top).
    legend.insert(
        0,
        {
            "id": "districts",
            "title_vi": doc.districts.title_vi,
            "title_en": doc.districts.title_en,
            "layers": ["districts"],
            "items": [{"key": "districts", "color": doc.districts.color}],
            "visible": True,
            "empty": False,
        },
    )
    if has_roads:
        legend.insert(
            0,
            {
                "id": "roads",
                "title_vi": doc.roads.title_vi,
                "title_en": doc.roads.title_en,
                "layers": ["roads-casing", "roads"],
                "items": [
                    {"key": "major", "color": doc.roads.colors.major},
                    {"key": "minor", "color": doc.roads.colors.minor},
                ],
                "visible": True,
                "empty": False,
            },
        )
    layers: list[dict[str, Any]] = [
        {"id": "background", "type": "background", "paint": {"background-color": doc.background}},
        *basemap["hillshade"],
        *vector_layers["communes"],
        *basemap["districts"],
        *vector_layers["zones_5g"],
        *basemap["roads"],
    ]
    sources["coverage"] = {
        "type": "raster",
        "tiles": [f"{root}/tiles/coverage/{coverage_tech}/{{z}}/{{x}}/{{y}}.png"],
        "tileSize": 256,
        "minzoom": 0,
        "maxzoom": RASTER_MAXZOOM,
        **({"bounds": padded} if padded is not None else {}),
    }
    layers.append(
        {
            "id": "coverage",
            "type": "raster",
            "source": "coverage",
            "layout": {"visibility": "none"},
            "paint": {"raster-opacity": 0.85, "raster-fade-duration": 0},
        }
    )
    # Overlays (GeoJSON, added by the page) go just below the priority places.
    for name in ("fiber_routes", "fiber_nodes", "pois", "sites", "villages"):
        layers.extend(vector_layers[name])
    layers.extend(_label_layers(doc))
    west, south, east, north = bounds if bounds is not None else (102.0, 8.5, 109.5, 23.4)
    centre = [(west + east) / 2.0, (south + north) / 2.0]
    return {
        "version": 8,
        "name": f"coverage-gis: {config.name}",
        "center": centre,
        "zoom": 8,
        "glyphs": f"{root}/map/glyphs/{{fontstack}}/{{range}}.pbf",
        "sources": sources,
        "layers": layers,
        "metadata": {
            "covgis:workspace": config.name,
            "covgis:synthetic": synthetic,
            "covgis:bounds": list(bounds) if bounds is not None else None,
            "covgis:legend": legend,
            "covgis:overlays": _overlay_metadata(doc),
            "covgis:overlay_before": "pois",
            "covgis:highlight_layer": HIGHLIGHT_LAYER,
            "covgis:districts": district_extents(analysis),
            "covgis:coverage": {
                "techs": list(TECH_CHOICES),
                "tech": coverage_tech,
                "tile_url": f"{root}/tiles/coverage/{{tech}}/{{z}}/{{x}}/{{y}}.png",
                "ramp": [{"dbm": level, "color": colour} for level, colour in ramp_legend()],
                "operators": renderer_legend()["operators"],
            },
            "covgis:attribution": [
                a for a in (ATTRIBUTION_BOUNDARIES, ATTRIBUTION_SYNTHETIC if synthetic else None) if a
            ],
        },
    }
