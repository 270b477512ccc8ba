"""Benchmark: the GeoPackage and PostGIS backends side by side on the all-provinces demo.

For each backend, in one run: load (the generated workspace copied into a new folder
or an empty database: GeoPackage writes, or PostgreSQL COPY), full compute (coverage
of every village, written back), single-site update (add + remove a site: edit,
incremental recompute, KPI refresh, revision; median) and ``GET /v1/villages?bbox=``
(a district-sized box, through the app; median). With PostGIS every request also
checks the database's revision (what lets several workers share it).

Run: .venv/bin/python bench/bench_backends.py [--provinces all] [--updates 20] [--requests 50]
Uses the database of ``COVGIS_DATABASE_URL`` (it must be empty), else starts a
throw-away cluster (tools/pg_cluster.py). Prints milliseconds. Not part of the test run.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from fastapi.testclient import TestClient

from coverage_gis import engine
from coverage_gis.demo import PROVINCE_SLUGS, build_demo_workspace
from coverage_gis.live import LiveWorkspace
from coverage_gis.workspace import Workspace
from coverage_gis_api.app import create_app
from coverage_gis_api.settings import Settings

ROOT = Path(__file__).resolve().parents[1]


def _cluster_module() -> Any:
    """``tools/pg_cluster.py``, imported from the tools folder (as the tests do)."""
    sys.path.insert(0, str(ROOT / "tools"))
    import pg_cluster  # type: ignore[import-not-found]

    return pg_cluster


def _ms(run: Callable[[], Any]) -> float:
    t0 = time.perf_counter()
    run()
    return (time.perf_counter() - t0) * 1000


def bench(source: Workspace, target: str | Path, updates: int, requests: int) -> dict[str, float]:
    """Load ``source`` into ``target``, then time compute, site updates and bbox reads there."""
    t0 = time.perf_counter()
    ws = source.copy_to(target)
    load_ms = (time.perf_counter() - t0) * 1000
    compute_ms = _ms(lambda: engine.compute(ws))
    live = LiveWorkspace.open(ws.location if ws.url is None else ws.url)
    villages = live.analysis.layers["villages"]
    rng = np.random.default_rng(7)
    single_ms = []
    for n, i in enumerate(rng.choice(len(villages), size=updates, replace=False)):
        point = villages.geometry.iloc[int(i)]
        site_id = f"BENCH-{n}"
        cell = {"cell_id": f"{site_id}-1", "operator": "Viettel", "tech": "4G", "status": "on_air"}
        site = {"site_id": site_id, "lon": point.x + 0.01, "lat": point.y, "status": "on_air"}
        single_ms.append(_ms(lambda s=site, c=cell: live.add_site(s, [c], author="bench")))
        single_ms.append(_ms(lambda s=site_id: live.remove_site(s, author="bench")))
    # A box of about 0.3° × 0.3° (a district) around a village.
    centre = villages.geometry.iloc[len(villages) // 2]
    bbox = f"{centre.x - 0.15},{centre.y - 0.15},{centre.x + 0.15},{centre.y + 0.15}"
    settings = Settings(workspace=ws.url or ws.path)
    with TestClient(create_app(settings)) as client:
        first = client.get("/v1/villages", params={"bbox": bbox, "limit": 1000})
        assert first.status_code == 200, first.text
        found = int(first.headers.get("X-Total-Count", len(first.json()["items"])))
        read_ms = [
            _ms(lambda: client.get("/v1/villages", params={"bbox": bbox, "limit": 1000}))
            for _ in range(requests)
        ]
    ws.close()
    live.workspace.close()
    return {
        "villages": float(len(villages)),
        "sites": float(len(live.analysis.layers["sites"])),
        "load_ms": load_ms,
        "compute_ms": compute_ms,
        "update_median_ms": statistics.median(single_ms),
        "update_p90_ms": float(np.percentile(single_ms, 90)),
        "bbox_villages": float(found),
        "bbox_median_ms": statistics.median(read_ms),
        "bbox_p90_ms": float(np.percentile(read_ms, 90)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--provinces", default="all", help="a province slug, or all (default)")
    parser.add_argument("--updates", type=int, default=20, help="add+remove pairs per backend")
    parser.add_argument("--requests", type=int, default=50, help="bbox requests per backend")
    args = parser.parse_args()
    provinces = list(PROVINCE_SLUGS) if args.provinces == "all" else [args.provinces]
    print(f"machine: {os.cpu_count()} cores; demo: {', '.join(provinces)}")
    with tempfile.TemporaryDirectory(prefix="covgis-bench-") as tmp:
        t0 = time.perf_counter()
        source = build_demo_workspace(Path(tmp) / "demo", provinces, seed=1)
        print(f"demo generated in {time.perf_counter() - t0:.0f} s")
        cluster = None
        url = os.environ.get("COVGIS_DATABASE_URL")
        if not url:
            module = _cluster_module()
            # Not inside ``tmp`` (private to this user): the server may run as another user.
            cluster = module.Cluster(Path(tempfile.mkdtemp(prefix="covgis-bench-pg-")))
            cluster.start()
            url = str(cluster.create_database("covgis_bench"))
        try:
            for backend, target in (("gpkg", Path(tmp) / "gpkg"), ("postgis", url)):
                r = bench(source, target, args.updates, args.requests)
                print(
                    f"{backend:8s} {r['villages']:.0f} villages, {r['sites']:.0f} sites | "
                    f"load {r['load_ms']:.0f} ms | full compute {r['compute_ms']:.0f} ms | "
                    f"single-site update median {r['update_median_ms']:.0f} ms "
                    f"(p90 {r['update_p90_ms']:.0f}) | "
                    f"/v1/villages?bbox= ({r['bbox_villages']:.0f} villages) "
                    f"median {r['bbox_median_ms']:.1f} ms (p90 {r['bbox_p90_ms']:.1f})",
                    flush=True,
                )
        finally:
            if cluster is not None:
                cluster.stop()
                shutil.rmtree(cluster.folder, ignore_errors=True)


if __name__ == "__main__":
    main()
