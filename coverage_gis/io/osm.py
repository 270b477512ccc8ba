"""OSM XML road networks: reading them with osmnx and installing ``<ws>/roads.osm``.

osmnx parses OSM XML with the standard library's parsers, so the file is first
checked here with :mod:`defusedxml` (no DTD, no entities; root element
``<osm>``) before osmnx sees it. Only ways tagged ``highway=*`` are kept: the
road network is what fiber-extension routing follows. A way's references to nodes the
file lacks (an extract clipped to a box) are dropped, not the whole file refused.
"""

from __future__ import annotations

import contextlib
import tempfile
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from xml.etree.ElementTree import ParseError

import defusedxml
import defusedxml.ElementTree as DefusedET

from coverage_gis.errors import LayerValidationError
from coverage_gis.io.vector import MAX_IMPORT_BYTES, check_input_file, one_line
from coverage_gis.validation import VIETNAM_BBOX
from coverage_gis.workspace import ROADS_NAME, Workspace

if TYPE_CHECKING:
    import geopandas as gpd
    import networkx as nx


@dataclass(frozen=True)
class RoadNetworkInfo:
    """Size and lon/lat bounds of a road network."""

    nodes: int
    edges: int
    bounds_lonlat: tuple[float, float, float, float]


def _check_osm_xml(path: Path) -> None:
    """Refuse anything but plain OSM XML without a DTD, before a full parse."""
    source = str(path)
    try:
        # The DTD, if any, precedes the root element, so the first start event settles both checks.
        for _event, elem in DefusedET.iterparse(str(path), events=("start",), forbid_dtd=True):
            tag = str(elem.tag).rsplit("}", 1)[-1]
            if tag != "osm":
                raise LayerValidationError(
                    f"not OSM XML (root element is <{tag}>, expected <osm>); export roads from "
                    "OpenStreetMap as .osm XML (not .pbf)",
                    source=source,
                )
            return
    except defusedxml.DefusedXmlException as exc:
        raise LayerValidationError(
            f"refused: the XML declares a DTD or entities ({type(exc).__name__})", source=source
        ) from None
    except ParseError as exc:
        raise LayerValidationError(
            f"not OSM XML (not well-formed XML: {one_line(exc)}); export roads from OpenStreetMap "
            "as .osm XML (not .pbf)",
            source=source,
        ) from None
    raise LayerValidationError("not OSM XML (no root element)", source=source)


@contextlib.contextmanager
def _with_known_nodes(path: Path) -> Iterator[Path]:
    """``path``, or a copy whose ways refer to its nodes only.

    An extract clipped to a box (JOSM, osmium or Osmosis without complete ways) keeps the
    ways that cross the box with references to nodes outside it, which osmnx refuses
    ("edges missing nodes"). The copy drops those references, and the ways left with
    fewer than two nodes, as :func:`read_road_ways` does when it draws them.
    """
    source = str(path)
    try:
        tree = DefusedET.parse(str(path), forbid_dtd=True)
    except ParseError as exc:
        raise LayerValidationError(f"not well-formed OSM XML: {one_line(exc)}", source=source) from None
    root = tree.getroot()
    if root is None:
        raise LayerValidationError("not OSM XML (no root element)", source=source)
    known = {node.get("id") for node in root.iter("node")}
    clipped = False
    for way in list(root.iter("way")):
        refs = way.findall("nd")
        missing = [nd for nd in refs if nd.get("ref") not in known]
        if not missing:
            continue
        clipped = True
        if len(refs) - len(missing) < 2:
            root.remove(way)
        for nd in missing:
            way.remove(nd)
    if not clipped:
        yield path
        return
    with tempfile.TemporaryDirectory(prefix="covgis-osm-") as tmp:
        copy = Path(tmp) / "roads.osm"
        tree.write(copy, encoding="utf-8", xml_declaration=True)
        yield copy


def read_roads(
    path: Path, *, retain_all: bool = True, max_bytes: int = MAX_IMPORT_BYTES
) -> nx.MultiDiGraph[int]:
    """Read the roads (ways tagged ``highway``) of an OSM XML file as an osmnx graph.

    Parameters
    ----------
    path
        The ``.osm`` XML file.
    retain_all
        Keep every connected component (True) or only the largest.
    max_bytes
        Size limit in bytes.

    Returns
    -------
    networkx.MultiDiGraph
        osmnx's graph: nodes with ``x``/``y`` in EPSG:4326, edges with ``length`` in metres.

    Raises
    ------
    LayerValidationError
        Missing file, not OSM XML, or no roads in it.
    InputTooLarge
        Over ``max_bytes``.
    """
    import osmnx

    source = str(path)
    check_input_file(path, max_bytes=max_bytes)
    _check_osm_xml(path)

    def graph_from(osm: Path) -> nx.MultiDiGraph[int]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return osmnx.graph_from_xml(osm, retain_all=retain_all)

    try:
        graph = graph_from(path)
    except Exception as exc:
        reason = one_line(exc)
        # Read once more without the references to absent nodes (only then: it parses again).
        with _with_known_nodes(path) as complete:
            try:
                if complete == path:
                    raise
                graph = graph_from(complete)
            except Exception:
                raise LayerValidationError(
                    f"cannot build a road network from the OSM XML ({reason})", source=source
                ) from None
    not_roads = [(u, v, k) for u, v, k, tags in graph.edges(keys=True, data=True) if "highway" not in tags]
    graph.remove_edges_from(not_roads)
    graph.remove_nodes_from([n for n in list(graph.nodes) if graph.degree(n) == 0])
    if graph.number_of_edges() == 0:
        raise LayerValidationError("contains no roads (ways tagged highway=*)", source=source)
    return graph


def read_road_ways(path: Path, *, max_bytes: int = MAX_IMPORT_BYTES) -> gpd.GeoDataFrame:
    """The roads of an OSM XML file as lines to draw: one row per way tagged ``highway``.

    A streaming read (no graph is built, unlike :func:`read_roads`): the map draws the
    ways as they are mapped, a routing graph is not needed for that.

    Parameters
    ----------
    path
        The ``.osm`` XML file.
    max_bytes
        Size limit in bytes.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``way_id`` (str), ``highway``, ``name`` (``""`` when untagged) and the
        LineString geometry, EPSG:4326; ways with fewer than two known nodes are left out.

    Raises
    ------
    LayerValidationError
        Missing file, not OSM XML.
    InputTooLarge
        Over ``max_bytes``.
    """
    import geopandas as gpd
    import shapely

    source = str(path)
    check_input_file(path, max_bytes=max_bytes)
    _check_osm_xml(path)
    nodes: dict[str, tuple[float, float]] = {}
    rows: list[tuple[str, str, str]] = []
    lines: list[list[tuple[float, float]]] = []
    try:
        for _event, elem in DefusedET.iterparse(str(path), events=("end",), forbid_dtd=True):
            tag = str(elem.tag).rsplit("}", 1)[-1]
            if tag == "node":
                nodes[str(elem.get("id"))] = (float(elem.get("lon", "nan")), float(elem.get("lat", "nan")))
                elem.clear()
            elif tag == "way":
                tags = {t.get("k"): t.get("v") or "" for t in elem.iter() if t.tag.endswith("tag")}
                if "highway" in tags:
                    refs = [nodes.get(str(nd.get("ref"))) for nd in elem.iter() if nd.tag.endswith("nd")]
                    coords = [c for c in refs if c is not None]
                    if len(coords) >= 2:
                        rows.append((str(elem.get("id")), tags["highway"], tags.get("name", "")))
                        lines.append(coords)
                elem.clear()
    except ParseError as exc:
        raise LayerValidationError(f"not well-formed OSM XML: {one_line(exc)}", source=source) from None
    except ValueError as exc:
        raise LayerValidationError(f"a node has a bad coordinate: {one_line(exc)}", source=source) from None
    return gpd.GeoDataFrame(
        {
            "way_id": [r[0] for r in rows],
            "highway": [r[1] for r in rows],
            "name": [r[2] for r in rows],
        },
        geometry=[shapely.LineString(c) for c in lines],
        crs="EPSG:4326",
    )


def _bounds(graph: nx.MultiDiGraph[int]) -> tuple[float, float, float, float]:
    xs = [float(data["x"]) for _, data in graph.nodes(data=True)]
    ys = [float(data["y"]) for _, data in graph.nodes(data=True)]
    return (min(xs), min(ys), max(xs), max(ys))


def validate_roads_file(path: Path, *, max_bytes: int = MAX_IMPORT_BYTES) -> RoadNetworkInfo:
    """Check that ``path`` is an OSM XML road network over Vietnam.

    Parameters
    ----------
    path
        The ``.osm`` XML file.
    max_bytes
        Size limit in bytes.

    Returns
    -------
    RoadNetworkInfo
        Node and edge counts and lon/lat bounds of the network.

    Raises
    ------
    LayerValidationError
        As :func:`read_roads`, or when the roads lie outside Vietnam.
    """
    graph = read_roads(path, max_bytes=max_bytes)
    bounds = _bounds(graph)
    minx, miny, maxx, maxy = VIETNAM_BBOX
    if bounds[2] < minx or bounds[0] > maxx or bounds[3] < miny or bounds[1] > maxy:
        raise LayerValidationError(
            f"roads ({bounds[0]:.4f}, {bounds[1]:.4f}, {bounds[2]:.4f}, {bounds[3]:.4f}) lie outside "
            f"Vietnam {VIETNAM_BBOX}",
            source=str(path),
        )
    return RoadNetworkInfo(nodes=graph.number_of_nodes(), edges=graph.number_of_edges(), bounds_lonlat=bounds)


def import_roads(ws: Workspace, path: Path, *, max_bytes: int = MAX_IMPORT_BYTES) -> RoadNetworkInfo:
    """Check an OSM XML road network and install it as the workspace's ``roads.osm``.

    Parameters
    ----------
    ws
        The workspace.
    path
        The ``.osm`` XML file.
    max_bytes
        Size limit in bytes.

    Returns
    -------
    RoadNetworkInfo
        What was installed; the previous ``roads.osm`` is replaced only after the
        new one passed every check.
    """
    info = validate_roads_file(path, max_bytes=max_bytes)
    ws.install_file(path, ROADS_NAME)
    return info
