"""A Bình Định plan through the HTTP API on a local uvicorn (127.0.0.1 only).

Serves the Bình Định demo workspace (seed 1, as ``bench_api.py``) with uvicorn in a child
process, makes a planner key, then for each plan request

* ``POST /v1/plans`` and polls ``GET /v1/plans/{id}`` every 0.2 s until done, reporting
  the time to done, the steps seen and the latency of ``GET /health`` while the plan runs
  (the server keeps answering reads; the plan runs in a thread);
* fetches every table in every format once, reporting each response's time and size.

The first plan also reads ``roads.osm`` (cached by the server for the next plans).

Usage::

    python bench/bench_api_plans.py [--workspace DIR] [--json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx2

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_api import _free_port, build_workspace, serve

from coverage_gis.access import add_key
from coverage_gis.workspace import Workspace

REQUESTS: list[dict[str, Any]] = [
    {},  # close every gap at least cost
    {"budget_vnd": 20_000_000_000, "annual_budget_vnd": 8_000_000_000},
    {"operator": "Viettel", "max_sites": 10, "only": "sites"},
]
TABLES = ("sites", "fiber", "connections", "villages", "actions", "curve")
FORMATS = ("json", "geojson", "csv", "xlsx")


def run_plan(client: httpx2.Client, key: str, body: dict[str, Any]) -> dict[str, Any]:
    t0 = time.perf_counter()
    submitted = client.post("/v1/plans", json=body, headers={"X-API-Key": key})
    submitted.raise_for_status()
    plan_id = submitted.json()["id"]
    steps: list[str] = []
    health_ms: list[float] = []
    while True:
        status = client.get(f"/v1/plans/{plan_id}").json()
        if not steps or steps[-1] != status["step"]:
            steps.append(status["step"])
        if status["state"] in ("done", "failed"):
            break
        h0 = time.perf_counter()
        client.get("/health").raise_for_status()
        health_ms.append((time.perf_counter() - h0) * 1000.0)
        time.sleep(0.2)
    done_s = time.perf_counter() - t0
    fetches = []
    if status["state"] == "done":
        for table in TABLES:
            for fmt in FORMATS:
                if table == "curve" and fmt == "geojson":
                    continue
                f0 = time.perf_counter()
                response = client.get(f"/v1/plans/{plan_id}/{table}", params={"format": fmt})
                response.raise_for_status()
                fetches.append(
                    {
                        "table": table,
                        "format": fmt,
                        "ms": round((time.perf_counter() - f0) * 1000.0, 1),
                        "bytes": len(response.content),
                    }
                )
    summary = status.get("summary") or {}
    return {
        "request": body,
        "state": status["state"],
        "error": status["error"],
        "seconds_to_done": round(done_s, 2),
        "server_elapsed_s": round(status["elapsed_s"], 2) if status["elapsed_s"] is not None else None,
        "steps": steps,
        "health_while_running_ms": {
            "n": len(health_ms),
            "p50": round(statistics.median(health_ms), 1) if health_ms else None,
            "max": round(max(health_ms), 1) if health_ms else None,
        },
        "sites": summary.get("sites"),
        "fiber_branches": summary.get("fiber_branches"),
        "total_cost_vnd": summary.get("total_cost_vnd"),
        "solver": {
            k: summary.get("solver", {}).get(k) for k in ("model", "method", "status", "optimality_gap")
        },
        "fetches": fetches,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workspace", type=Path, help="folder for the workspace (default: a temp dir)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="covgis-bench-") as tmp:
        folder = args.workspace or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        workspace, label = build_workspace(folder)
        key = add_key(Workspace.open(workspace), "bench", "planner")[1]
        with serve(workspace, _free_port()) as base, httpx2.Client(base_url=base, timeout=120) as client:
            client.get("/health").raise_for_status()
            results = [run_plan(client, key, body) for body in REQUESTS]
    if args.json:
        print(json.dumps({"workspace": label, "plans": results}, ensure_ascii=False, indent=2))
        return 0
    print(f"workspace: {label}")
    for r in results:
        print(f"\n{json.dumps(r['request'])}: {r['state']} in {r['seconds_to_done']} s", end="")
        print(f" (server {r['server_elapsed_s']} s)")
        if r["state"] != "done":
            print(f"  error: {r['error']}")
            continue
        print(
            f"  {r['sites']} sites, {r['fiber_branches']} fiber connections, "
            f"{r['total_cost_vnd']:,.0f} VND; solver {r['solver']}"
        )
        print(f"  steps: {' → '.join(r['steps'])}")
        h = r["health_while_running_ms"]
        print(f"  GET /health while running: n={h['n']} p50={h['p50']} ms max={h['max']} ms")
        for f in r["fetches"]:
            print(f"  {f['table']:>11} {f['format']:>7}: {f['ms']:7.1f} ms {f['bytes']:>9,} B")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
