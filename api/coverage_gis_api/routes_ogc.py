"""OGC API – Features (Part 1, core + GeoJSON) over the workspace's live layers, for QGIS.

A planner adds ``http://HOST:PORT/ogc`` as a WFS / OGC API – Features connection in
QGIS (or ``ogr2ogr OAPIF:http://HOST:PORT/ogc``) and gets the current villages with their
coverage, the sites, the fiber routes and the three gap lists, without exporting files.

- ``/ogc`` landing page, ``/ogc/conformance``, ``/ogc/collections``,
  ``/ogc/collections/{id}`` and ``/ogc/collections/{id}/items`` (GeoJSON, EPSG:4326,
  ``bbox``, ``limit``, ``offset``, ``numberMatched``/``numberReturned``, ``next``/``prev``
  links) and ``/ogc/collections/{id}/items/{featureId}``;
- every answer is the same revision's data as ``/v1`` (the view, its ETag);
- the map's MapLibre style for the vector tiles is ``/map/style.json`` (``routes_web``).

The OGC routes live under ``/ogc`` because ``/`` is the web map's page.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.params import Depends

from coverage_gis.crs import STORAGE_CRS
from coverage_gis.errors import NotFound
from coverage_gis_api.bbox import parse_bbox
from coverage_gis_api.context import AppContext, WorkspaceView
from coverage_gis_api.export import with_geometry

GEOJSON = "application/geo+json"
#: OGC API – Features conformance classes served.
CONFORMANCE: tuple[str, ...] = (
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
)
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"


@dataclass(frozen=True)
class Collection:
    """One feature collection: its id, titles, the frame it serves and its id column."""

    id: str
    title: str
    description: str
    frame: Callable[[WorkspaceView], pd.DataFrame]
    id_column: str


def _fiber(view: WorkspaceView) -> pd.DataFrame:
    return view.analysis.layers.fiber_routes


#: The collections, in the order a client lists them.
COLLECTIONS: dict[str, Collection] = {
    c.id: c
    for c in (
        Collection(
            "villages",
            "Villages with coverage",
            "Every village (thôn) with its admin units (both hierarchies), mobile broadband, best "
            "technology, operators, FTTH and gap reasons",
            lambda view: view.villages(),
            "village_id",
        ),
        Collection(
            "sites", "Sites", "BTS sites (masts) and their status", lambda view: view.sites(), "site_id"
        ),
        Collection("fiber_routes", "Fiber routes", "Fiber cable routes", _fiber, "route_id"),
        Collection(
            "gaps_mobile",
            "Mobile gaps",
            "Villages without mobile broadband, ranked, with reason and recommendation",
            lambda view: view.gaps("mobile"),
            "id",
        ),
        Collection(
            "gaps_ftth",
            "FTTH gaps",
            "Villages not passed by FTTH, ranked, with the fiber extension they need",
            lambda view: view.gaps("ftth"),
            "id",
        ),
        Collection(
            "gaps_5g",
            "5G gaps",
            "Priority places without 5G",
            lambda view: view.gaps("5g"),
            "id",
        ),
    )
}


def features(view: WorkspaceView, collection: Collection) -> gpd.GeoDataFrame:
    """The collection's features at this view's revision, in EPSG:4326 (cached per view)."""

    def build() -> gpd.GeoDataFrame:
        frame = collection.frame(view)
        if not isinstance(frame, gpd.GeoDataFrame) and ("lon" not in frame or "lat" not in frame):
            frame = gpd.GeoDataFrame(frame, geometry=[], crs=STORAGE_CRS)
        gdf = with_geometry(frame)
        if gdf.crs is not None and gdf.crs != STORAGE_CRS:
            gdf = gdf.to_crs(STORAGE_CRS)
        return gdf.reset_index(drop=True)

    return view.cached(f"ogc:{collection.id}", build)


def _collection(collection_id: str) -> Collection:
    found = COLLECTIONS.get(collection_id)
    if found is None:
        raise NotFound(f"no collection {collection_id!r} (collections: {', '.join(COLLECTIONS)})")
    return found


def _extent(gdf: gpd.GeoDataFrame) -> list[float]:
    if gdf.empty:
        return [-180.0, -90.0, 180.0, 90.0]
    return [round(float(v), 6) for v in gdf.total_bounds]


def _json(
    payload: Mapping[str, Any], *, view: WorkspaceView, media_type: str = "application/json"
) -> Response:
    body = json.dumps(payload, ensure_ascii=False, allow_nan=False)
    return Response(body, media_type=media_type, headers={"ETag": view.etag})


def _collection_doc(view: WorkspaceView, collection: Collection, base: str) -> dict[str, Any]:
    items = f"{base}/ogc/collections/{collection.id}/items"
    return {
        "id": collection.id,
        "title": collection.title,
        "description": collection.description,
        "itemType": "feature",
        "crs": [CRS84],
        "extent": {"spatial": {"bbox": [_extent(features(view, collection))], "crs": CRS84}},
        "links": [
            {"href": f"{base}/ogc/collections/{collection.id}", "rel": "self", "type": "application/json"},
            {"href": items, "rel": "items", "type": GEOJSON, "title": collection.title},
        ],
    }


def _feature_collection(gdf: gpd.GeoDataFrame, id_column: str) -> dict[str, Any]:
    """``gdf`` as a GeoJSON FeatureCollection dict, each feature's ``id`` its id column."""
    if gdf.empty:
        return {"type": "FeatureCollection", "features": []}
    keyed = gdf.set_index(gdf[id_column].astype(str).to_numpy()) if id_column in gdf else gdf
    collection: dict[str, Any] = json.loads(keyed.to_json(drop_id=False, na="null"))
    return collection


def create_router(ctx: AppContext, *, dependencies: list[Depends] | None = None) -> APIRouter:
    """The OGC API – Features routes (read access as every other data route)."""
    router = APIRouter(tags=["OGC API - Features"], dependencies=dependencies or [])

    def base_url(request: Request) -> str:
        return str(request.base_url).rstrip("/")

    @router.get("/ogc", summary="OGC API – Features landing page", response_class=Response)
    def landing(request: Request) -> Response:
        base = base_url(request)
        view = ctx.view()
        doc = {
            "title": "coverage-gis",
            "description": "Villages with coverage, sites, fiber routes and gap lists of this workspace",
            "links": [
                {"href": f"{base}/ogc", "rel": "self", "type": "application/json"},
                {
                    "href": f"{base}/openapi.json",
                    "rel": "service-desc",
                    "type": "application/vnd.oai.openapi+json;version=3.0",
                },
                {"href": f"{base}/docs", "rel": "service-doc", "type": "text/html"},
                {"href": f"{base}/ogc/conformance", "rel": "conformance", "type": "application/json"},
                {"href": f"{base}/ogc/collections", "rel": "data", "type": "application/json"},
            ],
        }
        return _json(doc, view=view)

    @router.get("/ogc/conformance", summary="Conformance classes", response_class=Response)
    def conformance() -> Response:
        return _json({"conformsTo": list(CONFORMANCE)}, view=ctx.view())

    @router.get("/ogc/collections", summary="The feature collections", response_class=Response)
    def collections(request: Request) -> Response:
        base = base_url(request)
        view = ctx.view()
        doc = {
            "links": [{"href": f"{base}/ogc/collections", "rel": "self", "type": "application/json"}],
            "collections": [_collection_doc(view, c, base) for c in COLLECTIONS.values()],
        }
        return _json(doc, view=view)

    @router.get("/ogc/collections/{collection_id}", summary="One feature collection", response_class=Response)
    def collection(request: Request, collection_id: Annotated[str, Path(max_length=64)]) -> Response:
        view = ctx.view()
        return _json(_collection_doc(view, _collection(collection_id), base_url(request)), view=view)

    @router.get(
        "/ogc/collections/{collection_id}/items",
        summary="Features of a collection (GeoJSON), filtered by bbox and paged",
        response_class=Response,
    )
    def items(
        request: Request,
        collection_id: Annotated[str, Path(max_length=64)],
        bbox: Annotated[str | None, Query(description="minlon,minlat,maxlon,maxlat (WGS 84)")] = None,
        limit: Annotated[int, Query(ge=1, le=10_000)] = 100,
        offset: Annotated[int, Query(ge=0)] = 0,
    ) -> Response:
        chosen = _collection(collection_id)
        view = ctx.view()
        gdf = features(view, chosen)
        box = parse_bbox(bbox)
        if box is not None and len(gdf):
            keep = np.asarray(shapely.intersects(gdf.geometry.to_numpy(), shapely.box(*box)), dtype=bool)
            gdf = gdf[keep]
        matched = len(gdf)
        page = gdf.iloc[offset : offset + limit]
        doc = _feature_collection(page, chosen.id_column)
        here = f"{base_url(request)}/ogc/collections/{chosen.id}/items"

        def link(rel: str, start: int) -> dict[str, str]:
            query = {"limit": limit, "offset": start} | ({"bbox": bbox} if bbox else {})
            return {"href": f"{here}?{urlencode(query)}", "rel": rel, "type": GEOJSON}

        links = [link("self", offset)]
        if offset + limit < matched:
            links.append(link("next", offset + limit))
        if offset > 0:
            links.append(link("prev", max(offset - limit, 0)))
        doc |= {
            "numberMatched": matched,
            "numberReturned": len(page),
            "timeStamp": pd.Timestamp.now(tz="UTC").isoformat(timespec="seconds").replace("+00:00", "Z"),
            "links": links,
        }
        return _json(doc, view=view, media_type=GEOJSON)

    @router.get(
        "/ogc/collections/{collection_id}/items/{feature_id}",
        summary="One feature (GeoJSON)",
        response_class=Response,
    )
    def item(
        collection_id: Annotated[str, Path(max_length=64)],
        feature_id: Annotated[str, Path(max_length=128)],
    ) -> Response:
        chosen = _collection(collection_id)
        view = ctx.view()
        gdf = features(view, chosen)
        rows = (
            gdf[gdf[chosen.id_column].astype(str) == feature_id] if chosen.id_column in gdf else gdf.iloc[:0]
        )
        if rows.empty:
            raise NotFound(f"no feature {feature_id!r} in {chosen.id}")
        (feature,) = _feature_collection(rows.iloc[:1], chosen.id_column)["features"]
        return _json(feature, view=view, media_type=GEOJSON)

    return router
