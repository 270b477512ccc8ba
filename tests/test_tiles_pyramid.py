"""The coverage tile pyramid on the tiny workspace: same picture as the live render, honest after edits.

S1 (on air, at 109.0 E 14.0 N) serves a 3,670 m disc (rural 4G 700 MHz); S2, 9 km east,
is planned until the edit test puts it on air.
"""

from __future__ import annotations

import dataclasses
import io
import json
from pathlib import Path
from typing import cast

import numpy as np
import pytest
from fastapi.testclient import TestClient
from numpy.typing import NDArray
from PIL import Image

from coverage_gis.engine import Analysis, compute, load, workspace_model
from coverage_gis.tiles import (
    CoverageGrid,
    CoverageRenderer,
    CoverageTile,
    TileService,
    tile_for_lonlat,
    tiles_for_bbox,
    transparent_png,
)
from coverage_gis.tiles.pyramid import BASE_ZOOM, TileStore, pyramid_key, read_tile
from coverage_gis.tiles.pyramid_seed import seed
from coverage_gis.tiles.tile_arrays import (
    NO_OPERATOR,
    NOT_SERVED,
    SERVED_NO_LEVEL,
    TileArrays,
    draw_png,
    reduce_children,
    window,
)
from coverage_gis.workspace import Workspace
from coverage_gis_api.app import create_app
from coverage_gis_api.settings import Settings

from .conftest import METRIC, tiny_layers

#: Largest RGB difference from the live render: levels are stored in 0.1 dB and drawn
#: from a 0.25 dB palette; the steepest ramp segment moves 7.6 units per dB.
RGB_TOLERANCE = 2
AREA = (108.85, 13.85, 109.15, 14.15)


def rgba(png: bytes) -> NDArray[np.int64]:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGBA"), dtype=np.int64)


def colour_type(png: bytes) -> int:
    """The PNG's colour type: 3 palette (drawn from the pyramid), 6 RGBA (live render)."""
    return png[25]


def from_arrays(png: bytes) -> bool:
    """Drawn from the pyramid: a palette PNG, or the transparent tile of an empty one."""
    return colour_type(png) == 3 or png == transparent_png()


@pytest.fixture(scope="module")
def analysis(tmp_path_factory: pytest.TempPathFactory) -> Analysis:
    ws = Workspace.create(tmp_path_factory.mktemp("pyramid") / "ws", metric_crs=METRIC, provinces=["99"])
    ws.write_layers(tiny_layers(), source="tiny fixture")
    return compute(ws)


@pytest.fixture
def store(analysis: Analysis, tmp_path: Path) -> TileStore:
    seed(analysis, root=tmp_path / "pyr", processes=1)
    found = TileStore.open(tmp_path / "pyr", pyramid_key(analysis))
    assert found is not None
    return found


def base_tiles(store: TileStore) -> list[tuple[int, int]]:
    return sorted((int(p.parent.name), int(p.stem)) for p in (store.folder / str(BASE_ZOOM)).glob("*/*.bin"))


def test_base_zoom_tiles_are_the_live_render(analysis: Analysis, store: TileStore) -> None:
    renderer = CoverageRenderer(analysis.model, analysis.cells, metric_crs=analysis.metric_crs)
    tiles = base_tiles(store)
    assert tiles  # S1's disc reaches at least one z11 tile
    for x, y in tiles:
        for mode in ("signal", "operator"):
            drawn = store.render_png(
                BASE_ZOOM, x, y, mode=mode, revision=analysis.revision, renderer=lambda: renderer
            )
            assert drawn is not None
            assert colour_type(drawn) == 3
            ours, live = rgba(drawn), rgba(renderer.render_png(BASE_ZOOM, x, y, mode=mode))
            assert np.array_equal(ours[..., 3], live[..., 3])  # the same pixels are served
            assert np.abs(ours - live).max() <= (RGB_TOLERANCE if mode == "signal" else 0)


def test_coarser_levels_are_reduced_from_the_base(analysis: Analysis, store: TileStore) -> None:
    for x, y in {(x >> 1, y >> 1) for x, y in base_tiles(store)}:
        kids = [read_tile(store.folder, (BASE_ZOOM, 2 * x + i, 2 * y + j)) for j in (0, 1) for i in (0, 1)]
        parent = read_tile(store.folder, (BASE_ZOOM - 1, x, y))
        expected = reduce_children(kids)
        assert parent is not None
        assert expected is not None
        assert np.array_equal(parent.level, expected.level)
        assert np.array_equal(parent.operator, expected.operator)
    # Zoom 0 holds the whole world: S1's disc is a few served pixels there.
    world = read_tile(store.folder, (0, 0, 0))
    assert world is not None
    assert 0 < world.served.sum() < 10


def test_reduce_rule_by_hand() -> None:
    """Tiles of 2 × 2 pixels; parent pixel = best of the child's 2 × 2 block."""
    n = NOT_SERVED

    def tile(level: list[list[int]], operator: list[list[int]]) -> TileArrays:
        return TileArrays(np.array(level, dtype=np.int16), np.array(operator, dtype=np.uint8))

    nw = tile([[-800, n], [n, n]], [[1, NO_OPERATOR], [NO_OPERATOR, NO_OPERATOR]])
    ne = tile([[-900, -700], [SERVED_NO_LEVEL, n]], [[0, 2], [3, NO_OPERATOR]])
    se = tile([[-700, -700], [-750, -700]], [[3, 1], [0, 2]])
    parent = reduce_children([nw, ne, None, se])
    assert parent is not None
    assert parent.level.tolist() == [[-800, -700], [n, -700]]
    # The operator of the best pixel; on a tie the first in row order.
    assert parent.operator.tolist() == [[1, 2], [NO_OPERATOR, 3]]
    assert parent.served.tolist() == [[True, True], [False, True]]
    assert reduce_children([None, None, None, None]) is None
    # Served without a level estimate still beats not served.
    only = reduce_children([tile([[SERVED_NO_LEVEL, n], [n, n]], [[4, 255], [255, 255]]), None, None, None])
    assert only is not None
    assert only.level[0, 0] == SERVED_NO_LEVEL
    assert only.operator[0, 0] == 4


def test_finer_zooms_enlarge_their_base_tile() -> None:
    level = np.arange(-700, -684, dtype=np.int16).reshape(4, 4)
    base = TileArrays(level, np.zeros((4, 4), dtype=np.uint8))
    # One zoom finer, column odd, row even: the north-east quarter …
    part = window(base, 1, 5, 2)
    assert part.level.tolist() == [[-698, -697], [-694, -693]]
    assert window(base, 0, 5, 2) is base
    # … drawn with each stored pixel as 2 × 2 screen pixels.
    small, large = rgba(draw_png(part, "signal")), rgba(draw_png(part, "signal", factor=2))
    assert large.shape == (4, 4, 4)
    assert np.array_equal(large, np.repeat(np.repeat(small, 2, axis=0), 2, axis=1))


def test_store_refuses_another_revision_model_or_format(
    analysis: Analysis, store: TileStore, tmp_path: Path
) -> None:
    root = tmp_path / "pyr"
    x, y = base_tiles(store)[0]

    def renderer() -> CoverageRenderer:
        raise AssertionError("a clean store needs no model run")

    assert store.render_png(BASE_ZOOM, x, y, mode="signal", revision=analysis.revision, renderer=None)
    assert (
        store.render_png(BASE_ZOOM, x, y, mode="signal", revision=analysis.revision + 1, renderer=renderer)
        is None
    )
    # Too fine to enlarge: the live render's job.
    assert (
        store.render_png(
            BASE_ZOOM + 3, 8 * x, 8 * y, mode="signal", revision=analysis.revision, renderer=renderer
        )
        is None
    )
    other_model = dataclasses.replace(analysis, model=workspace_model(analysis.ws, "pathloss"))
    assert pyramid_key(other_model) != store.key
    assert TileStore.open(root, pyramid_key(other_model)) is None
    # A revision skipped (no dirty box for it) leaves the store describing nothing.
    assert store.mark_dirty((108.9, 13.9, 109.1, 14.1), analysis.revision + 2) == 0
    assert not store.usable(analysis.revision)
    assert not store.usable(analysis.revision + 2)
    # A manifest of another format is not read.
    manifest = store.folder / "manifest.json"
    manifest.write_text(json.dumps({**json.loads(manifest.read_text()), "format": -1}))
    assert TileStore.open(root, store.key) is None


def test_unseeded_workspace_renders_live(analysis: Analysis) -> None:
    service = TileService()
    state = service.state(analysis, analysis.revision)
    assert service.pyramid(state) is None
    assert (
        service.drawn_coverage_tile(analysis, analysis.revision, CoverageTile("all", BASE_ZOOM, 0, 0)) is None
    )
    x, y = tile_for_lonlat(109.0, 14.0, BASE_ZOOM)
    tile = service.coverage_tile(analysis, analysis.revision, CoverageTile("all", BASE_ZOOM, x, y))
    assert colour_type(tile.data) == 6
    assert rgba(tile.data)[..., 3].any()


def base_tiles_of_area(z: int) -> list[tuple[int, int]]:
    return [(x, y) for _, x, y in tiles_for_bbox(AREA, z)]


def test_an_edit_rebuilds_the_tiles_it_touches(tiny_ws: Workspace, tmp_path: Path) -> None:
    """Through the real app: after S2 goes on air, every tile is what a fresh seed draws."""
    seed(compute(tiny_ws), processes=1)  # coverage stored: the edit is the next revision
    paths = [
        f"/tiles/coverage/all/{z}/{x}/{y}.png" for z in (9, 10, 11, 12) for x, y in base_tiles_of_area(z)
    ]
    app = create_app(Settings(workspace=tiny_ws.path))
    with TestClient(app) as client:
        before = {path: client.get(path).content for path in paths}
        assert [p for p, png in before.items() if not from_arrays(png)] == []
        result = app.state.ctx.write(
            lambda live: live.update_site(
                "S2", {"status": "on_air"}, cell_changes={"S2-VT-4G": {"status": "on_air"}}, author="test"
            )
        )
        after = {path: client.get(path).content for path in paths}
    assert [p for p, png in after.items() if not from_arrays(png)] == []
    assert {p for p in paths if before[p] != after[p]}  # S2's coverage shows
    fresh_analysis = load(tiny_ws)
    assert fresh_analysis.revision == result.revision
    seed(fresh_analysis, root=tmp_path / "fresh", processes=1)
    fresh = TileStore.open(tmp_path / "fresh", pyramid_key(fresh_analysis))
    assert fresh is not None
    renderer = CoverageRenderer(
        fresh_analysis.model, fresh_analysis.cells, metric_crs=fresh_analysis.metric_crs
    )
    for path in paths:
        z, x, y = (int(part) for part in path.rsplit(".", 1)[0].split("/")[-3:])
        expected = fresh.render_png(
            z, x, y, mode="signal", revision=result.revision, renderer=lambda: renderer
        )
        assert after[path] == expected, path


def test_a_rebuild_overtaken_by_an_edit_is_not_stored(
    analysis: Analysis, store: TileStore, tmp_path: Path
) -> None:
    """Two workers share one store; an edit that lands during a rebuild keeps the tile dirty."""
    other = TileStore.open(tmp_path / "pyr", store.key)
    assert other is not None
    rev = analysis.revision
    box = (108.99, 13.99, 109.01, 14.01)  # around S1
    tile = (BASE_ZOOM, *tile_for_lonlat(109.0, 14.0, BASE_ZOOM))
    assert other.mark_dirty(box, rev + 1) >= 1
    assert store.usable(rev + 1)  # the first worker reads the second's manifest
    assert tile in store.dirty
    renderer = CoverageRenderer(analysis.model, analysis.cells, metric_crs=analysis.metric_crs)

    def edit_meanwhile() -> CoverageRenderer:
        other.mark_dirty(box, rev + 2)
        return renderer

    assert store.arrays(tile, rev + 1, None) == (False, None)  # dirty: drawn only with a model
    assert store.arrays(tile, rev + 1, edit_meanwhile) == (False, None)
    assert store.usable(rev + 2)
    assert tile in store.dirty
    found, arrays = store.arrays(tile, rev + 2, lambda: renderer)
    assert found
    assert arrays is not None
    assert other.usable(rev + 2)
    assert tile not in other.dirty
    assert (BASE_ZOOM - 1, tile[1] >> 1, tile[2] >> 1) in other.dirty  # rebuilt when asked for


def test_a_kept_tile_is_not_drawn_after_another_worker_rebuilt_it(
    analysis: Analysis, store: TileStore, tmp_path: Path
) -> None:
    """A store keeps decoded tiles; one another worker rebuilt after an edit is read again."""
    other = TileStore.open(tmp_path / "pyr", store.key)
    assert other is not None
    rev = analysis.revision
    tile = (BASE_ZOOM, *tile_for_lonlat(109.0, 14.0, BASE_ZOOM))
    found, kept = store.arrays(tile, rev, None)
    assert found
    assert kept is not None
    assert store.arrays(tile, rev, None)[1] is kept  # the decoded copy, not a second read
    renderer = CoverageRenderer(analysis.model, analysis.cells, metric_crs=analysis.metric_crs)

    class Weaker:
        """The same coverage 3 dB weaker (what the edit changed)."""

        operator_names = renderer.operator_names

        def grid(self, z: int, x: int, y: int, *, best_server: bool) -> CoverageGrid:
            found = renderer.grid(z, x, y, best_server=best_server)
            return dataclasses.replace(found, best_signal_dbm=found.best_signal_dbm - 3.0)

    assert other.mark_dirty((108.99, 13.99, 109.01, 14.01), rev + 1) >= 1
    found, rebuilt = other.arrays(tile, rev + 1, lambda: cast(CoverageRenderer, Weaker()))
    assert found
    assert rebuilt is not None
    found, seen = store.arrays(tile, rev + 1, None)
    assert found
    assert seen is not None
    assert np.array_equal(seen.level, rebuilt.level)
    served = kept.level > SERVED_NO_LEVEL
    assert np.array_equal(seen.level[served], kept.level[served] - 30)
