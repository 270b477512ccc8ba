"""Coverage PNG tiles of the terrain model: cold and warm z12 renders (not a test).

Builds the Bình Định demo (or uses the workspace given as the first argument), analyses it
with the ``terrain`` model, and times in this process:

* **cold**: a fresh :class:`~coverage_gis.tiles.raster.CoverageRenderer` on a fresh model
  (empty per-site cache) rendering one z12 tile over the densest villages, the cost of the
  first tile a user sees;
* **warm model**: the next z12 tiles around it with the same renderer (the model's per-site
  terrain cache and the renderer's server plans reused), as when panning;
* how many pixels of the tile are served, for comparing methods.

Usage: ``python bench/bench_terrain_tiles.py [WORKSPACE]`` (about a minute on 2 cores).
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from coverage_gis.engine import analyse, workspace_model  # noqa: E402
from coverage_gis.tiles import CoverageRenderer, tile_for_lonlat  # noqa: E402
from coverage_gis.workspace import Workspace  # noqa: E402

Z = 12


def main(argv: list[str]) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        if argv:
            ws = Workspace.open(Path(argv[0]))
        else:
            from coverage_gis.demo import build_demo_workspace

            build_demo_workspace(Path(tmp) / "demo", ["binh-dinh"], seed=20250101)
            ws = Workspace.open(Path(tmp) / "demo")
        started = time.perf_counter()
        analysis = analyse(ws, model="terrain")
        print(f"analyse (terrain model): {time.perf_counter() - started:.1f} s")
        villages = analysis.layers.villages
        lon = float(np.median(villages.geometry.x))
        lat = float(np.median(villages.geometry.y))
        x, y = tile_for_lonlat(lon, lat, Z)
        model = workspace_model(ws, "terrain")  # a fresh model: empty per-site cache
        renderer = CoverageRenderer(model, analysis.cells, metric_crs=analysis.metric_crs)
        started = time.perf_counter()
        grid = renderer.grid(Z, x, y)
        renderer.render_png(Z, x, y)
        cold = time.perf_counter() - started
        print(
            f"cold z{Z} tile {x}/{y}: {cold * 1000:.0f} ms, {int(grid.served.sum())} of 65536 pixels served"
        )
        times = []
        for dx, dy in ((1, 0), (0, 1), (1, 1), (-1, 0), (0, -1)):
            started = time.perf_counter()
            renderer.render_png(Z, x + dx, y + dy)
            times.append(time.perf_counter() - started)
        print(
            f"next z{Z} tiles (same renderer): median {np.median(times) * 1000:.0f} ms,"
            f" max {max(times) * 1000:.0f} ms"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
