"""Province KPIs of the five demo provinces, per coverage model: the before/after table of a change.

Run from the repository root::

    .venv/bin/python bench/demo_kpis.py [--models radius pathloss terrain] [--seed 2025] [--json OUT]
    .venv/bin/python bench/demo_kpis.py --compare BEFORE.json AFTER.json

Each province is generated alone (``covgis demo WS --province SLUG``), written as a
workspace and computed in memory with each requested model (the workspace's default
when none is given), as ``covgis compute`` would. One row per province × model: the
province KPIs (villages, % villages with mobile broadband, % with FTTH, % population
with mobile broadband, % households passed by FTTH, % sites shared) and the number of
mobile and FTTH gap villages. To compare two versions, run the script of each version
against its own code (e.g. ``git archive REV | tar -x -C DIR`` and
``PYTHONPATH=DIR python bench/demo_kpis.py --json BEFORE.json`` — it only uses the
public ``build_demo_workspace``, ``compute`` and ``Analysis.kpis``), then ``--compare``
the two JSON files: one row per province × model, each figure as ``before → after``.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from coverage_gis.demo import DEFAULT_SEED, PROVINCE_SLUGS, build_demo_workspace
from coverage_gis.engine import compute
from coverage_gis.workspace import Workspace

#: KPI columns shown, in order, with their short headers.
SHOWN: tuple[tuple[str, str], ...] = (
    ("villages", "villages"),
    ("villages_mobile_bb_pct", "mobile %"),
    ("villages_ftth_pct", "FTTH %"),
    ("population_mobile_bb_pct", "pop mobile %"),
    ("households_ftth_pct", "hh FTTH %"),
    ("sites", "sites"),
    ("sites_shared_pct", "shared %"),
)


def province_rows(
    slug: str, models: list[str | None], seed: int, folder: Path, *, keep: bool = False
) -> list[dict[str, object]]:
    """Build the demo of one province (or, with ``keep``, open the one already at
    ``folder / slug``) and compute its province KPIs under each model."""
    path = folder / slug
    ws = Workspace.open(path) if keep and path.exists() else build_demo_workspace(path, slug, seed=seed)
    rows: list[dict[str, object]] = []
    for model in models:
        start = time.perf_counter()
        analysis = compute(ws, model=model, write=False)
        seconds = time.perf_counter() - start
        kpis = analysis.kpis(levels=["province"])
        coverage = analysis.coverage
        for _, kpi in kpis.iterrows():
            row: dict[str, object] = {"province": slug, "model": analysis.model.name}
            row.update({column: kpi[column] for column, _ in SHOWN})
            row["mobile_gaps"] = int((~coverage["mobile_bb"].astype(bool)).sum())
            row["ftth_gaps"] = int((~coverage["ftth"].astype(bool)).sum())
            row["compute_s"] = round(seconds, 2)
            rows.append(row)
    return rows


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


def markdown(rows: list[dict[str, object]]) -> str:
    """The rows as a Markdown table."""
    keys = ["province", "model", *(c for c, _ in SHOWN), "mobile_gaps", "ftth_gaps"]
    heads = ["province", "model", *(h for _, h in SHOWN), "mobile gaps", "FTTH gaps"]
    lines = ["| " + " | ".join(heads) + " |", "|" + "---|" * len(heads)]
    lines += ["| " + " | ".join(_cell(row[k]) for k in keys) + " |" for row in rows]
    return "\n".join(lines)


def comparison(before: list[dict[str, object]], after: list[dict[str, object]]) -> str:
    """Rows of two runs side by side (``before → after``), matched on province and model."""
    old = {(str(r["province"]), str(r["model"])): r for r in before}
    keys = [c for c, _ in SHOWN if c != "villages"] + ["mobile_gaps", "ftth_gaps"]
    heads = [h for c, h in SHOWN if c != "villages"] + ["mobile gaps", "FTTH gaps"]
    lines = ["| province | model | villages | " + " | ".join(heads) + " |", "|" + "---|" * (len(heads) + 3)]
    for row in after:
        was = old.get((str(row["province"]), str(row["model"])))
        if was is None:
            continue
        pairs = [f"{_cell(was[k])} → {_cell(row[k])}" for k in keys]
        lines.append(
            f"| {row['province']} | {row['model']} | {row['villages']} | " + " | ".join(pairs) + " |"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--models", nargs="*", default=[], help="models (default: the workspace's)")
    parser.add_argument("--provinces", nargs="*", default=list(PROVINCE_SLUGS))
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--json", type=Path, help="also write the rows as JSON here")
    parser.add_argument(
        "--workspaces",
        type=Path,
        help="keep the demo workspaces in DIR/<slug>, and reuse the ones already there "
        "(e.g. networks built by another version)",
    )
    parser.add_argument(
        "--compare", nargs=2, type=Path, metavar=("BEFORE", "AFTER"), help="compare two --json files"
    )
    args = parser.parse_args()
    if args.compare:
        before, after = (json.loads(p.read_text(encoding="utf-8")) for p in args.compare)
        print(comparison(before, after))
        return 0
    models: list[str | None] = list(args.models) or [None]
    rows: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.workspaces or Path(tmp)
        for slug in args.provinces:
            rows += province_rows(slug, models, args.seed, folder, keep=args.workspaces is not None)
    print(markdown(rows))
    if args.json:
        args.json.write_text(json.dumps(rows, ensure_ascii=False, indent=1, default=float), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
