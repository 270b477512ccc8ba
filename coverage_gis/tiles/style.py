"""The web map's MapLibre style, built from the layer schemas' ``style`` blocks.

Owns the translation of ``layers/*.yaml`` styles (``type``, ``color``/``colors`` by
an attribute, ``width``/``widths``, ``radius``, ``fill_opacity``, ``minzoom``) into a
MapLibre GL style document (version 8): one vector source per tile layer, the
coverage raster source (hidden by default), an offline background, the attributions,
and a ``metadata`` block the web page builds its layer switcher and legend from.
No external basemap, glyphs or sprites are referenced, so the map works offline.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from coverage_gis.layers import get_schema
from coverage_gis.tiles.mercator import Bounds
from coverage_gis.tiles.raster import TECH_CHOICES, ramp_legend, renderer_legend
from coverage_gis.tiles.vector import VECTOR_LAYERS, layer_bounds, workspace_bounds

if TYPE_CHECKING:
    from coverage_gis.engine import Analysis

#: Credit for the real administrative data every workspace starts from.
ATTRIBUTION_BOUNDARIES = (
    "Commune boundaries and 2009 census population: censusVN2009, © 2017 Marc Choisy, MIT licence."
)
#: Credit line of a synthetic (demo) workspace.
ATTRIBUTION_SYNTHETIC = "Villages, sites and fiber: synthetic demo data"
#: Offline background: a pale land colour; commune outlines give the geography.
BACKGROUND_COLOUR = "#eef1ec"
#: Vector tiles are cut up to this zoom; MapLibre over-zooms beyond it.
VECTOR_MAXZOOM = 14
#: Coverage tiles are rendered up to this zoom (a pixel is ~2 m there).
RASTER_MAXZOOM = 16
#: Attribute each layer's features are keyed by in MapLibre (feature-state, highlights).
_PROMOTE_ID = {name: get_schema(name).id_field for name in VECTOR_LAYERS}
#: The attribute a style's ``by`` names when the tiles carry a derived one instead.
_BY_ATTRIBUTE = {("sites", "operator"): "operator_class"}
_DEFAULT_GREY = "#9e9e9e"


def layer_attribution(layer: str, *, synthetic: bool) -> str | None:
    """The attribution of one tile layer (None when it needs none)."""
    if layer == "communes":
        return ATTRIBUTION_BOUNDARIES
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


def _zoom_scaled(value: float) -> list[Any]:
    # Points grow with zoom so a province view is not a carpet of dots.
    return ["interpolate", ["linear"], ["zoom"], 6, value * 0.5, 10, value, 15, value * 2.0]


def _layers_for(layer: str, style: Mapping[str, Any]) -> tuple[list[dict[str, Any]], list[dict[str, str]]]:
    kind = str(style.get("type", "circle"))
    colour, items = _colour_expression(style, layer)
    base: dict[str, Any] = {"source": layer, "source-layer": layer}
    if "minzoom" in style:
        base["minzoom"] = int(style["minzoom"])
    out: list[dict[str, Any]] = []
    if kind == "circle":
        paint: dict[str, Any] = {
            "circle-color": colour,
            "circle-radius": _zoom_scaled(float(style.get("radius", 4))),
            "circle-stroke-color": "#ffffff",
            "circle-stroke-width": 0.8,
        }
        layout: dict[str, Any] = {}
        if layer in ("sites", "fiber_nodes"):
            # Planned objects are drawn faded: they do not serve anyone yet. A dark rim
            # tells a site from a village of the same hue (Viettel red vs no_mobile red).
            paint["circle-opacity"] = ["case", ["==", ["get", "status"], "planned"], 0.45, 0.95]
            paint["circle-stroke-color"] = "#263238"
        if layer == "villages":
            # Gaps are what the map is for: drawn larger and above the covered villages.
            radius = float(style.get("radius", 4))
            paint["circle-radius"] = [
                "interpolate",
                ["linear"],
                ["zoom"],
                6,
                ["case", ["==", ["get", "status"], "covered"], radius * 0.5, radius * 1.1],
                10,
                ["case", ["==", ["get", "status"], "covered"], radius, radius * 1.6],
                15,
                ["case", ["==", ["get", "status"], "covered"], radius * 2.0, radius * 2.6],
            ]
            layout["circle-sort-key"] = ["case", ["==", ["get", "status"], "covered"], 0, 1]
        out.append({"id": layer, "type": "circle", **base, "layout": layout, "paint": paint})
    elif kind == "line":
        widths = style.get("widths")
        width: Any = float(style.get("width", 1.0))
        if isinstance(widths, Mapping) and style.get("by"):
            width = ["match", ["get", str(style["by"])]]
            for key, value in widths.items():
                width.extend([str(key), float(value)])
            width.append(1.0)
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


def build_style(analysis: Analysis, base_url: str, *, coverage_tech: str = "all") -> dict[str, Any]:
    """The MapLibre style document of a workspace's web map.

    Parameters
    ----------
    analysis
        The workspace analysis (its name, synthetic flag and extent are used).
    base_url
        Root URL of the server (tile templates are absolute, as MapLibre needs).
    coverage_tech
        Technology of the coverage raster source (``all``, ``3G``, ``4G``, ``5G``).
    """
    root = base_url.rstrip("/")
    config = analysis.ws.config
    synthetic = bool(config.synthetic)
    bounds = workspace_bounds(analysis)
    sources: dict[str, Any] = {}
    layers: list[dict[str, Any]] = [
        {"id": "background", "type": "background", "paint": {"background-color": BACKGROUND_COLOUR}}
    ]
    legend: list[dict[str, Any]] = []
    vector_layers: dict[str, list[dict[str, Any]]] = {}
    for name in VECTOR_LAYERS:
        schema = get_schema(name)
        source: dict[str, Any] = {
            "type": "vector",
            "tiles": [f"{root}/tiles/{name}/{{z}}/{{x}}/{{y}}.mvt"],
            "minzoom": 0,
            "maxzoom": VECTOR_MAXZOOM,
            "promoteId": _PROMOTE_ID[name],
        }
        bounds_of_layer = layer_bounds(analysis, name)
        if bounds_of_layer is not None:
            source["bounds"] = list(_pad(bounds_of_layer))
        credit = layer_attribution(name, synthetic=synthetic)
        if credit:
            source["attribution"] = credit
        sources[name] = source
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
                "empty": layer_bounds is None,
            }
        )
    # Polygons at the bottom, then the coverage overlay, then lines and points on top.
    for name in ("communes", "zones_5g"):
        layers.extend(vector_layers[name])
    sources["coverage"] = {
        "type": "raster",
        "tiles": [f"{root}/tiles/coverage/{coverage_tech}/{{z}}/{{x}}/{{y}}.png"],
        "tileSize": 256,
        "minzoom": 0,
        "maxzoom": RASTER_MAXZOOM,
        **({"bounds": list(_pad(bounds, 0.1))} if bounds is not None else {}),
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
    for name in ("fiber_routes", "fiber_nodes", "pois", "sites", "villages"):
        layers.extend(vector_layers[name])
    west, south, east, north = bounds if bounds is not None else (102.0, 8.5, 109.5, 23.4)
    centre = [(west + east) / 2.0, (south + north) / 2.0]
    return {
        "version": 8,
        "name": f"coverage-gis: {config.name}",
        "center": centre,
        "zoom": 8,
        "sources": sources,
        "layers": layers,
        "metadata": {
            "covgis:workspace": config.name,
            "covgis:synthetic": synthetic,
            "covgis:bounds": list(bounds) if bounds is not None else None,
            "covgis:legend": legend,
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
