"""Vector tiles of the tiny workspace: decoded features, attributes, positions, empty tiles."""

from __future__ import annotations

from typing import Any

import mapbox_vector_tile
import numpy as np
import pytest

from coverage_gis.engine import Analysis, compute
from coverage_gis.errors import LayerValidationError, NotFound
from coverage_gis.tiles import (
    EXTENT,
    VectorTileSet,
    check_tile,
    lonlat_to_mercator,
    mercator_to_lonlat,
    tile_bounds_3857,
    tile_bounds_lonlat,
    tile_for_lonlat,
    tilejson,
    tiles_for_bbox,
)
from coverage_gis.tiles.mercator import mercator_to_tile_pixels
from coverage_gis.tiles.vector import BUFFER
from coverage_gis.workspace import Workspace

from .conftest import at

#: Zoom 11 tiles are ~19 km across at 14° N: V1 (1 km E of the origin) and V3 (5 km N)
#: share the origin's tile, V2 (6 km E) may or may not; the tests look positions up.
Z = 11


@pytest.fixture
def analysis(tiny_ws: Workspace) -> Analysis:
    return compute(tiny_ws)


@pytest.fixture
def tiles(analysis: Analysis) -> VectorTileSet:
    return VectorTileSet(analysis)


def decode(data: bytes) -> dict[str, Any]:
    decoded: dict[str, Any] = mapbox_vector_tile.decode(data, default_options={"y_coord_down": True})
    return decoded


def features_by(layer: dict[str, Any], key: str) -> dict[str, dict[str, Any]]:
    return {f["properties"][key]: f for f in layer["features"]}


def test_mercator_round_trip_and_tile_of_point() -> None:
    lon = np.array([109.0, -179.5, 0.0])
    lat = np.array([14.0, -60.0, 85.0])
    x, y = lonlat_to_mercator(lon, lat)
    back_lon, back_lat = mercator_to_lonlat(x, y)
    np.testing.assert_allclose(back_lon, lon, atol=1e-9)
    np.testing.assert_allclose(back_lat, lat, atol=1e-9)
    tx, ty = tile_for_lonlat(109.0, 14.0, Z)
    west, south, east, north = tile_bounds_lonlat(Z, tx, ty)
    assert west <= 109.0 < east
    assert south <= 14.0 < north
    assert list(tiles_for_bbox((108.999, 13.999, 109.001, 14.001), 0)) == [(0, 0, 0)]


def test_check_tile_rejects_out_of_grid() -> None:
    check_tile(3, 7, 7)
    with pytest.raises(LayerValidationError, match="column 8"):
        check_tile(3, 8, 0)
    with pytest.raises(LayerValidationError):
        check_tile(3, 0, -1)
    with pytest.raises(LayerValidationError):
        check_tile(25, 0, 0)


def test_villages_tile_has_coverage_attributes(tiles: VectorTileSet) -> None:
    tx, ty = tile_for_lonlat(109.0, 14.0, Z)
    layer = decode(tiles.encode("villages", Z, tx, ty))["villages"]
    assert layer["extent"] == EXTENT
    found = features_by(layer, "village_id")
    assert {"V1", "V3"} <= set(found)
    v1 = found["V1"]["properties"]
    assert v1["name"] == "thôn 1"
    assert v1["status"] == "covered"
    assert v1["mobile_bb"] is True
    assert v1["ftth"] is True
    assert v1["best_tech"] == "4G"
    assert v1["operators"] == "Viettel,VNPT"
    assert v1["commune_name"] == "Xã Thử Nghiệm"
    assert v1["population"] == 100
    assert "mobile_gap_reason" not in v1  # covered: no reason, and MVT has no null
    if "V2" in found:
        v2 = found["V2"]["properties"]
        assert v2["status"] == "no_both"
        assert v2["mobile_gap_reason"] == "planned_site_not_on_air"
        assert v2["ftth_gap_reason"] == "fiber_too_far"


def test_gap_village_attributes_in_its_own_tile(tiles: VectorTileSet) -> None:
    v2 = at(6000, 0)
    tx, ty = tile_for_lonlat(v2.x, v2.y, 13)
    props = features_by(decode(tiles.encode("villages", 13, tx, ty))["villages"], "village_id")["V2"][
        "properties"
    ]
    assert props["name"] == "làng O2"
    assert props["status"] == "no_both"
    assert props["mobile_gap_reason"] == "planned_site_not_on_air"
    assert props["ftth_gap_reason"] == "fiber_too_far"
    assert props["has_grid_power"] is False


def test_point_lands_on_its_pixel(tiles: VectorTileSet) -> None:
    tx, ty = tile_for_lonlat(109.0, 14.0, Z)
    v1 = at(1000, 0)
    mx, my = lonlat_to_mercator(np.array([v1.x]), np.array([v1.y]))
    px, py = mercator_to_tile_pixels(mx, my, tile_bounds_3857(Z, tx, ty), EXTENT)
    feature = features_by(decode(tiles.encode("villages", Z, tx, ty))["villages"], "village_id")["V1"]
    gx, gy = feature["geometry"]["coordinates"]
    assert abs(gx - px[0]) <= 0.5
    assert abs(gy - py[0]) <= 0.5


def test_sites_carry_operators_and_shared_flag(tiles: VectorTileSet) -> None:
    tx, ty = tile_for_lonlat(109.0, 14.0, 10)
    sites = features_by(decode(tiles.encode("sites", 10, tx, ty))["sites"], "site_id")
    s1 = sites["S1"]["properties"]
    assert s1["operators"] == "Viettel,VNPT"
    assert s1["shared"] is True
    assert s1["operator_class"] == "shared"
    assert s1["techs"] == "2G,4G"
    if "S2" in sites:  # planned: nothing on air, styled by the planning operator
        s2 = sites["S2"]["properties"]
        assert s2["shared"] is False
        assert s2["operators"] == ""
        assert s2["operator_class"] == "Viettel"


def test_polygons_and_lines_are_clipped_to_the_buffered_tile(tiles: VectorTileSet) -> None:
    tx, ty = tile_for_lonlat(109.0, 14.0, 13)
    decoded = decode(tiles.encode("communes", 13, tx, ty))
    commune = decoded["communes"]["features"][0]
    assert commune["properties"]["commune_name"] == "Xã Thử Nghiệm"
    assert commune["geometry"]["type"] == "Polygon"
    ring = np.array(commune["geometry"]["coordinates"][0])
    # The 40 km commune covers the whole zoom-13 tile: clipped to the buffer edge.
    assert ring.min() == -BUFFER
    assert ring.max() == EXTENT + BUFFER
    routes = decode(tiles.encode("fiber_routes", Z, *tile_for_lonlat(109.0, 14.0, Z)))["fiber_routes"]
    classes = {f["properties"]["route_id"]: f["properties"]["class"] for f in routes["features"]}
    assert classes == {"R1": "access", "R2": "backbone"}


def test_far_away_tile_is_empty(tiles: VectorTileSet) -> None:
    tx, ty = tile_for_lonlat(105.85, 21.03, Z)  # Hà Nội, ~800 km north
    for layer in ("villages", "sites", "communes", "fiber_routes"):
        data = tiles.encode(layer, Z, tx, ty)
        assert data == b""
        assert decode(data) == {}


def test_style_minzoom_gives_empty_low_zoom_communes(tiles: VectorTileSet) -> None:
    # communes.yaml sets minzoom 7: a national view never cuts every commune at once.
    assert tiles.encode("communes", 5, *tile_for_lonlat(109.0, 14.0, 5)) == b""
    assert tiles.encode("villages", 5, *tile_for_lonlat(109.0, 14.0, 5)) != b""


def test_unknown_layer(tiles: VectorTileSet) -> None:
    with pytest.raises(NotFound, match="villages"):
        tiles.encode("railways", Z, 0, 0)


def test_tilejson_document(tiles: VectorTileSet) -> None:
    doc = tilejson("villages", "http://127.0.0.1:8000/", bounds=tiles.bounds_lonlat(), attribution="x")
    assert doc["tilejson"] == "3.0.0"
    assert doc["tiles"] == ["http://127.0.0.1:8000/tiles/villages/{z}/{x}/{y}.mvt"]
    layer = doc["vector_layers"][0]
    assert layer["id"] == "villages"
    for name in ("status", "mobile_bb", "ftth", "best_tech", "mobile_gap_reason", "name", "population"):
        assert name in layer["fields"]
    west, south, east, north = doc["bounds"]
    assert west < 109.0 < east
    assert south < 14.0 < north
    with pytest.raises(NotFound):
        tilejson("nope", "http://x")


def test_a_servers_tile_sources_are_frozen_out_of_the_collectors_passes(analysis: Analysis) -> None:
    """Fails if a layer's tile source, built while the process keeps its tables for life
    (the API server), stays in the cyclic collector's full passes: at national scale its
    geometries made each pass a pause of 50–160 ms for every client in flight. A process
    that did not ask (the library alone) keeps its collector as it was."""
    import gc

    from coverage_gis.runtime import freeze_long_lived

    before = gc.get_freeze_count()
    VectorTileSet(analysis).source("villages")
    assert gc.get_freeze_count() == before
    freeze_long_lived(True)
    try:
        frozen = gc.get_freeze_count()
        source = VectorTileSet(analysis).source("sites")
        assert gc.get_freeze_count() > frozen
        collected = {id(o) for o in gc.get_objects()}
        assert not any(id(g) in collected for g in source.geometries_3857)
    finally:
        freeze_long_lived(False)
    assert gc.get_freeze_count() == 0
