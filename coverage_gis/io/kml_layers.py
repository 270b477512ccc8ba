"""A KML's Placemarks read as a layer: what the file's folders, labels and shapes say about
the layer's fields (``docs/architecture.md``, importers).

:func:`coverage_gis.io.kml.read_kml` reads the Placemarks as they are; the steps here fit
them to the layer the user imports them as, in the order :func:`coverage_gis.io.import_file`
runs them: Placemarks drawn as another shape left out (:func:`fitting_placemarks`), a
field read from the folders' names (:func:`folder_values`), and the ``<name>`` label giving
way to a field that names the feature (:func:`label_gives_way`).
"""

from __future__ import annotations

from collections.abc import Collection

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from coverage_gis.io.headers import as_allowed, match_headers
from coverage_gis.io.kml import FOLDER_COLUMN
from coverage_gis.io.row_text import rows_counted
from coverage_gis.layers import LayerSchema

__all__ = ["KIND_OF_GEOMETRY", "LABEL_COLUMN", "fitting_placemarks", "folder_values", "label_gives_way"]


def folder_values(
    frame: pd.DataFrame, schema: LayerSchema, *, given: Collection[str] = (), notes: list[str]
) -> pd.DataFrame:
    """``frame`` (a KML's Placemarks from several folders) with each field of allowed values
    that no column gives, nor the user (``given``: ``--set``), read from the folders' names,
    where every folder's name reads as one of its values (routes in a folder ``Cáp trục`` and
    one ``Cáp nhánh``: their class; pins in a folder per operator), with a note; without the
    folder column in any case."""
    if FOLDER_COLUMN not in frame.columns:
        return frame
    folders = frame[FOLDER_COLUMN]
    out = frame.drop(columns=[FOLDER_COLUMN])
    others = [c for c in out.columns if c != "geometry"]
    renames, _ = match_headers(others, schema.fields, source="", layer=schema.name)
    named = set(renames.values()) | {str(c) for c in others} | set(given)
    for spec in schema.fields:
        if spec.allowed is None or spec.name in named or spec.name == schema.id_field:
            continue
        if as_allowed(folders, spec).isna().any():
            continue
        out[spec.name] = folders.to_numpy(dtype=object)
        counts = folders.value_counts(sort=False)
        notes.append(
            f"{schema.name}: no {spec.name} column; {spec.name} read from each Placemark's folder: "
            + ", ".join(f"{name!r} ({rows_counted(int(n))})" for name, n in counts.items())
        )
    return out


#: The column a Placemark's ``<name>`` label gives way to (kept, unread: the ignored columns name it).
LABEL_COLUMN = "Placemark name"


def label_gives_way(frame: pd.DataFrame, schema: LayerSchema, *, notes: list[str]) -> pd.DataFrame:
    """``frame`` (a KML's Placemarks) with the ``<name>`` label renamed :data:`LABEL_COLUMN`
    where an ExtendedData field names the layer's ``name`` too (``Tên trạm``): that field is the
    name, the label is what the map shows (My Maps and Google Earth label a site by its id).
    A header named ``name`` would win over an alias; the label is no such header."""
    if "name" not in frame.columns or "name" not in {f.name for f in schema.fields}:
        return frame
    others = [c for c in frame.columns if c not in ("name", "geometry")]
    renames, _ = match_headers(others, schema.fields, source="", layer=schema.name)
    named = [str(c) for c, field_name in renames.items() if field_name == "name"]
    if len(named) != 1:
        return frame
    notes.append(f"{schema.name}: name read from {named[0]!r}, not from each Placemark's <name> label")
    return frame.rename(columns={"name": LABEL_COLUMN})


#: The kind of feature (:func:`read_kml`'s ``kind``) each layer geometry takes.
KIND_OF_GEOMETRY = {"Point": "point", "LineString": "line", "MultiPolygon": "polygon"}
#: The shapes each layer geometry takes (a collection is read by validation, by its parts).
_FITS = {
    "Point": (shapely.GeometryType.POINT, shapely.GeometryType.MULTIPOINT),
    "LineString": (shapely.GeometryType.LINESTRING, shapely.GeometryType.MULTILINESTRING),
    "MultiPolygon": (shapely.GeometryType.POLYGON, shapely.GeometryType.MULTIPOLYGON),
}
#: What a note calls each shape a Placemark may be drawn as.
_DRAWN = {"Point": "point", "LineString": "line", "MultiPolygon": "area"}


def fitting_placemarks(frame: pd.DataFrame, schema: LayerSchema, *, notes: list[str]) -> pd.DataFrame:
    """``frame`` (a KML's Placemarks) without those drawn as another kind of shape than the
    layer takes, where some are drawn as it (a route folder's splice closures, pins beside its
    lines), with a note that names them and the layer they fit; ``frame`` itself otherwise."""
    fits = _FITS.get(schema.geometry)
    if fits is None or not isinstance(frame, gpd.GeoDataFrame) or not len(frame):
        return frame
    kinds = shapely.get_type_id(np.asarray(frame.geometry.array, dtype=object))
    drawn = np.isin(kinds, fits)
    other = np.isin(kinds, [k for shape, ks in _FITS.items() if shape != schema.geometry for k in ks])
    if not drawn.any() or not other.any():
        return frame
    labels = frame["name"].to_numpy(dtype=object) if "name" in frame.columns else frame.index.to_numpy()
    shown = ", ".join(str(v) for v in labels[other][:5]) + (", ..." if other.sum() > 5 else "")
    notes.append(
        f"{schema.name}: left out {int(other.sum())} Placemark{'s' if other.sum() > 1 else ''} drawn as "
        f"another shape than the {_DRAWN[schema.geometry]}s the layer takes ({shown}): import them into "
        "a layer of their shape (a route's splice closures as fiber_nodes)"
    )
    return frame[~other]
