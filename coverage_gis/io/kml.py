"""KML (and KMZ) files: Placemarks with their names, ExtendedData and geometries.

Parsed with :mod:`defusedxml`, with DTDs forbidden outright: a KML has no need
for one, and refusing it shuts out external entities and entity-expansion
("billion laughs") payloads before anything is expanded.

Each Placemark becomes one feature: ``name`` and ``description`` from its own
elements, one column per ``ExtendedData/Data`` (``value``) and per
``SchemaData/SimpleData``, and one per row of a two-column HTML table in the
description (ArcGIS writes a layer's attributes only there), else per "field: value"
line of it (Google Earth's hand-written ones; :func:`description_table`);
geometry from ``Point``, ``LineString``, ``LinearRing``, ``Polygon`` (with holes) or
``MultiGeometry``. Folders (and
the Document) that hold Placemarks directly are the file's layers, named by
their ``<name>``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element, ParseError

import defusedxml
import defusedxml.ElementTree as DefusedET
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from coverage_gis.crs import STORAGE_CRS
from coverage_gis.errors import LayerValidationError
from coverage_gis.io.geometry_rows import geos_reason
from coverage_gis.io.vector import choose_source_layer, one_line, read_zip_member, zip_member_names

_CONTAINERS = frozenset({"Document", "Folder"})
_GEOMETRIES = frozenset({"Point", "LineString", "LinearRing", "Polygon", "MultiGeometry"})
_UNNAMED = "(unnamed)"


@dataclass
class _Layer:
    name: str
    placemarks: list[Element] = field(default_factory=list)
    #: The folder of each Placemark, where several folders were read together (else empty).
    folders: list[str] = field(default_factory=list)


def _local(tag: object) -> str:
    """Tag name without its namespace (KML 2.2, Google's 2.x, or none)."""
    text = str(tag)
    return text.rsplit("}", 1)[-1]


def _child(elem: Element, name: str) -> Element | None:
    for sub in elem:
        if _local(sub.tag) == name:
            return sub
    return None


def _children(elem: Element, name: str) -> list[Element]:
    return [sub for sub in elem if _local(sub.tag) == name]


def _text(elem: Element | None) -> str | None:
    if elem is None or elem.text is None:
        return None
    return elem.text.strip()


def _read_kml_bytes(path: Path, *, max_bytes: int) -> bytes:
    """The KML document: the file itself, or the main ``.kml`` inside a KMZ."""
    source = str(path)
    with path.open("rb") as fh:
        magic = fh.read(4)
    if magic != b"PK\x03\x04":
        return path.read_bytes()
    names = [n for n in zip_member_names(path, max_bytes=max_bytes) if n.lower().endswith(".kml")]
    if not names:
        raise LayerValidationError("KMZ (zip) holds no .kml document", source=source)
    main = "doc.kml" if "doc.kml" in names else names[0]
    return read_zip_member(path, main, max_bytes=max_bytes)


def _parse(data: bytes, *, source: str) -> Element:
    try:
        root: Element = DefusedET.fromstring(
            data, forbid_dtd=True, forbid_entities=True, forbid_external=True
        )
    except defusedxml.DefusedXmlException as exc:
        raise LayerValidationError(
            f"refused: the XML declares a DTD or entities ({type(exc).__name__}); KML needs neither, "
            "and they can hide external-entity or entity-expansion attacks",
            source=source,
        ) from None
    except ParseError as exc:
        raise LayerValidationError(f"not well-formed XML ({one_line(exc)})", source=source) from None
    if _local(root.tag) != "kml":
        raise LayerValidationError(
            f"not a KML document (root element is <{_local(root.tag)}>, expected <kml>)", source=source
        )
    return root


def _collect_layers(root: Element) -> list[_Layer]:
    """Containers that hold Placemarks directly, in document order (same names merged)."""
    layers: dict[str, _Layer] = {}

    def visit(elem: Element, container: str) -> None:
        for sub in elem:
            tag = _local(sub.tag)
            if tag in _CONTAINERS:
                visit(sub, _text(_child(sub, "name")) or container)
            elif tag == "Placemark":
                layers.setdefault(container, _Layer(container)).placemarks.append(sub)

    visit(root, _UNNAMED)
    return list(layers.values())


def _coordinates(elem: Element, *, source: str, row: int) -> list[tuple[float, float]]:
    text = _text(_child(elem, "coordinates")) or ""
    points: list[tuple[float, float]] = []
    for token in text.split():
        parts = token.split(",")
        try:
            if len(parts) < 2:
                raise ValueError(token)
            points.append((float(parts[0]), float(parts[1])))
        except ValueError:
            raise LayerValidationError(
                f"bad KML coordinate {token!r} in <{_local(elem.tag)}> (expected lon,lat[,alt])",
                source=source,
                row=row,
                field="geometry",
            ) from None
    return points


def _ring(elem: Element | None, *, source: str, row: int) -> list[tuple[float, float]]:
    ring = _child(elem, "LinearRing") if elem is not None else None
    return _coordinates(ring, source=source, row=row) if ring is not None else []


def _geometry(elem: Element, *, source: str, row: int) -> BaseGeometry | None:
    tag = _local(elem.tag)
    try:
        if tag == "Point":
            coords = _coordinates(elem, source=source, row=row)
            return shapely.Point(coords[0]) if coords else None
        if tag in ("LineString", "LinearRing"):
            return shapely.LineString(_coordinates(elem, source=source, row=row))
        if tag == "Polygon":
            shell = _ring(_child(elem, "outerBoundaryIs"), source=source, row=row)
            holes = [_ring(inner, source=source, row=row) for inner in _children(elem, "innerBoundaryIs")]
            return shapely.Polygon(shell, [h for h in holes if h])
        if tag == "MultiGeometry":
            parts = [
                g
                for sub in elem
                if _local(sub.tag) in _GEOMETRIES
                for g in _flatten(_geometry(sub, source=source, row=row))
            ]
            return _combine(parts)
    except (ValueError, shapely.errors.GEOSException) as exc:
        raise LayerValidationError(
            f"bad <{tag}> ({geos_reason(exc)})", source=source, row=row, field="geometry"
        ) from None
    return None


def _flatten(geom: BaseGeometry | None) -> list[BaseGeometry]:
    if geom is None:
        return []
    if geom.geom_type in ("MultiPoint", "MultiLineString", "MultiPolygon", "GeometryCollection"):
        return list(getattr(geom, "geoms", []))
    return [geom]


def _combine(parts: list[BaseGeometry]) -> BaseGeometry | None:
    if not parts:
        return None
    points = [p for p in parts if isinstance(p, shapely.Point)]
    lines = [p for p in parts if isinstance(p, shapely.LineString) and p.geom_type == "LineString"]
    polygons = [p for p in parts if isinstance(p, shapely.Polygon)]
    if len(points) == len(parts):
        return shapely.MultiPoint(points)
    if len(lines) == len(parts):
        return shapely.MultiLineString(lines)
    if len(polygons) == len(parts):
        return shapely.MultiPolygon(polygons)
    return shapely.GeometryCollection(parts)


def _attributes(placemark: Element) -> dict[str, Any]:
    attrs: dict[str, Any] = {}
    for key in ("name", "description"):
        value = _text(_child(placemark, key))
        if value is not None:
            attrs[key] = value
    extended = _child(placemark, "ExtendedData")
    if extended is None:
        return {**description_table(attrs.get("description")), **attrs}
    for data in _children(extended, "Data"):
        data_name = data.get("name")
        if data_name:
            attrs[data_name.strip()] = _text(_child(data, "value"))
    for schema_data in _children(extended, "SchemaData"):
        for simple in _children(schema_data, "SimpleData"):
            simple_name = simple.get("name")
            if simple_name:
                attrs[simple_name.strip()] = _text(simple)
    return {**description_table(attrs.get("description")), **attrs}


#: How ArcGIS writes an empty attribute in a description table.
_NULL_CELLS = frozenset({"<null>", "null", "&lt;null&gt;"})


#: Tags that end a line of text in a description ("Mã trạm: BDH001<br>Độ cao: 30").
_LINE_TAGS = frozenset({"br", "p", "div", "li", "tr"})
#: One "field: value" line; the field is short and holds no URL or markup.
_FIELD_LINE = re.compile(r"^\s*([^:=<>/]{1,60}?)\s*[:=]\s*(.*?)\s*$")


class _TableRows(HTMLParser):
    """The text of each cell of each ``<tr>`` of an HTML fragment, and its lines of text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.rows: list[list[str]] = []
        self.lines: list[str] = [""]
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th") and self.rows:
            self._cell = []
        if tag in _LINE_TAGS:
            self.lines.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self.rows:
            self.rows[-1].append(" ".join("".join(self._cell).split()))
            self._cell = None
        if tag in _LINE_TAGS:
            self.lines.append("")

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)
        first, *rest = data.split("\n")
        self.lines[-1] += first
        self.lines.extend(rest)


def _value(text: str) -> str | None:
    return None if not text or text.casefold() in _NULL_CELLS else text


def description_table(description: object) -> dict[str, str | None]:
    """The attributes a Placemark's ``description`` holds: an HTML table of two-cell rows
    (field, value), as ArcGIS' "Layer To KML" writes them instead of ExtendedData, else
    lines of "field: value" (Google Earth's hand-written descriptions, ``<br>`` or a new
    line between them); ``<Null>`` is a missing value. Empty for any other description.
    ExtendedData of the same name wins."""
    if not isinstance(description, str) or not description.strip():
        return {}
    parser = _TableRows()
    try:
        parser.feed(description)
        parser.close()
    except (AssertionError, ValueError):  # malformed markup: no attributes, not an error
        return {}
    out: dict[str, str | None] = {}
    for row in parser.rows:
        if len(row) == 2 and row[0] and row[0] not in out:
            out[row[0]] = _value(row[1])
    if out:
        return out
    for line in parser.lines:
        found = _FIELD_LINE.match(line)
        # "See http://…" is a link, not a field.
        if found and found.group(1) not in out and not found.group(2).startswith("//"):
            out[found.group(1)] = _value(found.group(2))
    return out


def list_kml_layers(path: Path, *, max_bytes: int) -> list[str]:
    """Names of the Folders/Documents in a KML that hold Placemarks."""
    root = _parse(_read_kml_bytes(path, max_bytes=max_bytes), source=str(path))
    return [layer.name for layer in _collect_layers(root)]


#: The kind of feature each KML geometry element draws.
_KINDS = {"Point": "point", "LineString": "line", "LinearRing": "line", "Polygon": "polygon"}


#: Kinds by dimension: a MultiGeometry draws its largest parts (a label point beside a
#: polygon, as Google Earth writes one, leaves a polygon; validation keeps the layer's parts).
_BY_DIMENSION = ("point", "line", "polygon")


def _kind(elem: Element) -> str:
    """``point``, ``line`` or ``polygon``; a MultiGeometry's is its largest parts' kind."""
    tag = _local(elem.tag)
    if tag != "MultiGeometry":
        return _KINDS[tag]
    kinds = {_kind(sub) for sub in elem if _local(sub.tag) in _GEOMETRIES}
    return max(kinds, key=_BY_DIMENSION.index, default="point")


def _chosen(
    layers: list[_Layer], source_layer: str | None, *, kind: str | None, source: str, notes: list[str]
) -> _Layer:
    """The folder ``source_layer`` names, else the only one, else every folder read together
    when all their Placemarks draw one kind of feature (a Google Earth file of villages in
    a folder per commune), or every folder that draws the ``kind`` the layer takes (a route
    file's folders of lines beside one of splice-closure pins, left out with a note); other
    folders of several kinds are refused, listed."""
    names = [layer.name for layer in layers]
    if source_layer is not None or len(layers) <= 1:
        return layers[
            choose_source_layer(names, source_layer, source=source, parts="folders with Placemarks")
        ]
    drawn = [
        {
            _kind(elem)
            for placemark in layer.placemarks
            if (elem := next((sub for sub in placemark if _local(sub.tag) in _GEOMETRIES), None)) is not None
        }
        for layer in layers
    ]
    kinds = set().union(*drawn)
    if len(kinds) > 1 and kind is not None and any(kind in d for d in drawn):
        other = [layer.name for layer, d in zip(layers, drawn, strict=True) if kind not in d]
        if other:
            notes.append(
                f"left out the folders without a {kind} drawn in them: {', '.join(map(repr, other))} "
                "(import each into a layer of its shape with --source-layer)"
            )
        layers = [layer for layer, d in zip(layers, drawn, strict=True) if kind in d]
        drawn = [d for d in drawn if kind in d]
        kinds = {kind}
        if len(layers) == 1:
            return layers[0]
    listed = ", ".join(layer.name for layer in layers)
    if len(kinds) > 1:
        raise LayerValidationError(
            f"has {len(layers)} folders with Placemarks of several kinds ({', '.join(sorted(kinds))}); "
            f"choose one with --source-layer (layers: {listed})",
            source=source,
        )
    every = [placemark for layer in layers for placemark in layer.placemarks]
    drawn_kind = next(iter(kinds), "without")
    # Folders kept for the kind they draw may draw others too (left out later, by their own note).
    drawn_as = "all" if all(d <= kinds for d in drawn) else "read as"
    notes.append(
        f"read the {len(layers)} folders together ({len(every)} Placemarks, {drawn_as} {drawn_kind} "
        f"geometry): {listed}; --source-layer reads one"
    )
    return _Layer(listed, every, [layer.name for layer in layers for _ in layer.placemarks])


def read_kml(
    path: Path,
    *,
    with_geometry: bool,
    source_layer: str | None = None,
    max_bytes: int,
    notes: list[str] | None = None,
    kind: str | None = None,
) -> pd.DataFrame:
    """Read the Placemarks of one layer of a KML/KMZ file.

    Parameters
    ----------
    path
        The ``.kml`` or ``.kmz`` file.
    with_geometry
        Build geometries (False for attribute-only layers).
    source_layer
        Folder name to read; without one, every folder when all their Placemarks draw one
        kind of feature (points, lines or polygons), else the only folder.
    max_bytes
        Limit on a KMZ's unpacked size.
    notes
        Gets a remark when several folders are read together.
    kind
        The kind of feature the target layer takes (``point``, ``line``, ``polygon``; None:
        any): among folders of several kinds, those that draw none of it are left out.

    Returns
    -------
    pandas.DataFrame
        A GeoDataFrame in EPSG:4326 when ``with_geometry``; index = zero-based
        Placemark number within the layer.
    """
    source = str(path)
    root = _parse(_read_kml_bytes(path, max_bytes=max_bytes), source=source)
    chosen = _chosen(
        _collect_layers(root),
        source_layer,
        kind=kind,
        source=source,
        notes=notes if notes is not None else [],
    )
    records = numbered_untitled([_attributes(p) for p in chosen.placemarks], notes=notes)
    frame = pd.DataFrame.from_records(records, index=pd.RangeIndex(len(records)))
    if chosen.folders:
        frame[FOLDER_COLUMN] = chosen.folders
    if not with_geometry:
        return frame
    geometries: list[BaseGeometry | None] = []
    for row, placemark in enumerate(chosen.placemarks):
        geom_elem = next((sub for sub in placemark if _local(sub.tag) in _GEOMETRIES), None)
        geometries.append(_geometry(geom_elem, source=source, row=row) if geom_elem is not None else None)
    located: pd.DataFrame = gpd.GeoDataFrame(
        frame,
        geometry=gpd.GeoSeries(np.asarray(geometries, dtype=object), index=frame.index),
        crs=STORAGE_CRS,
    )
    return located


#: The name Google Earth and My Maps give a feature drawn and left unnamed ("Untitled Path",
#: "Đường dẫn không có tiêu đề"): no label of the feature, and the same for all of them.
_UNTITLED = re.compile(r"^\s*(untitled\b.*|.*\bkhông có tiêu đề)\s*$", re.IGNORECASE)


def numbered_untitled(records: list[dict[str, Any]], *, notes: list[str] | None) -> list[dict[str, Any]]:
    """``records`` (Placemarks' attributes) with each ``name`` that is an app's name for an
    unnamed feature numbered in file order (``Đường dẫn không có tiêu đề #2``), with a note:
    read as an id (a route drawn by hand has no other), one such name would join every
    unnamed route into one."""
    counts: dict[str, int] = {}
    out = []
    for record in records:
        name = record.get("name")
        if isinstance(name, str) and _UNTITLED.match(name):
            label = " ".join(name.split())
            counts[label] = counts.get(label, 0) + 1
            record = {**record, "name": f"{label} #{counts[label]}"}
        out.append(record)
    if counts and notes is not None:
        notes.append(
            "KML: Placemarks left with the name Google Earth gives an unnamed feature, numbered in "
            "file order so that each stays a feature of its own: "
            + ", ".join(f"{label!r} ({n})" for label, n in counts.items())
            + "; name them in Google Earth to keep names of your own"
        )
    return out


#: The column :func:`read_kml` gives each Placemark's folder in, where it reads several
#: together (:func:`coverage_gis.io.kml_layers.folder_values` reads it, and drops it).
FOLDER_COLUMN = "KML folder"
