"""Random site-edit sequences on a mid-size workspace (the Bình Định demo) equal a full recompute.

The tiny fixture of ``test_live.py`` checks the rules on cases one can work out on
paper; this one runs the incremental path where it is meant to pay: about a thousand
villages and sites, edits that add sites near villages, move, re-equip, re-tilt,
switch off and remove the demo's own sites, in any order. Every edit goes through the
live workspace's one edit path (records, arrays, KPI splice: ``live_plan``). After
each sequence the live state's coverage and KPIs must equal ``engine.analyse`` of
what was written.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coverage_gis import engine
from coverage_gis import live as live_module
from coverage_gis.demo import build_demo_workspace
from coverage_gis.live import LiveWorkspace
from coverage_gis.workspace import Workspace

from .test_live import assert_matches_full_recompute

# One worker runs this module (--dist loadgroup): its module-scoped demo workspace is made once.
pytestmark = pytest.mark.xdist_group("test_live_midsize")


@pytest.fixture(scope="module")
def midsize_ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("midsize") / "binh-dinh"
    build_demo_workspace(path, ["binh-dinh"], seed=3)
    engine.compute(Workspace.open(path))
    return path


_step = st.tuples(
    st.sampled_from(["add", "move", "status", "recell", "retilt", "remove"]),
    st.integers(min_value=0, max_value=10**6),  # which village or site, modulo the count
    st.floats(-0.03, 0.03),  # offset in degrees (about ±3 km)
    st.floats(-0.03, 0.03),
    st.sampled_from(["2G", "3G", "4G", "5G"]),
    st.sampled_from(["Viettel", "VNPT", "MobiFone", "Vietnamobile"]),
    st.one_of(st.none(), st.floats(0, 359)),
    st.sampled_from(["on_air", "planned", "decommissioned"]),
)


def _site_ids(live: LiveWorkspace) -> list[str]:
    """The sites there are now, read from the edit overlay (no full table is built)."""
    overlay = live.state.overlay
    base = [s for s in overlay.base.site_row if s not in overlay.parts]
    return base + [s for s, part in overlay.parts.items() if part is not None]


def _apply(live: LiveWorkspace, n: int, step: tuple[Any, ...]) -> None:
    op, pick, dlon, dlat, tech, operator, azimuth, status = step
    villages = live.state.base.layers.villages  # site edits never change villages
    sites = _site_ids(live)
    if op == "add" or not sites:
        village = villages.geometry.iloc[pick % len(villages)]
        site_id = f"HYP-{n}"
        cell = {"cell_id": f"{site_id}-1", "operator": operator, "tech": tech, "status": "on_air"}
        if azimuth is not None:
            cell["azimuth_deg"] = azimuth
        site = {"site_id": site_id, "lon": village.x + dlon, "lat": village.y + dlat, "status": status}
        live.add_site(site, [cell], author="hypothesis")
        return
    site_id = sites[pick % len(sites)]
    if op == "move":
        site, _cells = live.site(site_id)
        live.update_site(site_id, {"lon": site["lon"] + dlon, "lat": site["lat"] + dlat}, author="hypothesis")
    elif op == "retilt":
        # Text numbers take validate_layer's path; per-cell changes merge into the cells.
        _site, cells = live.site(site_id)
        turned = {cells[0]["cell_id"]: {"azimuth_deg": azimuth, "tilt_deg": 2.0}} if cells else None
        live.update_site(site_id, {"height_m": "35"}, cell_changes=turned, author="hypothesis")
    elif op == "status":
        live.update_site(site_id, {"status": status}, author="hypothesis")
    elif op == "recell":
        cells = [
            {"cell_id": f"{site_id}-R{n}-{k}", "operator": operator, "tech": tech, "status": "on_air"}
            | ({"azimuth_deg": (azimuth + 120.0 * k) % 360.0} if azimuth is not None else {})
            for k in range(1 if azimuth is None else 3)
        ]
        live.update_site(site_id, {}, cells, author="hypothesis")
    else:
        live.remove_site(site_id, author="hypothesis")


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_step, min_size=1, max_size=6))
def test_random_edit_sequences_equal_full_recompute(midsize_ws: Path, steps: list[tuple[Any, ...]]) -> None:
    _check_sequence(midsize_ws, steps)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_step, min_size=2, max_size=6))
def test_sequences_across_rebases_equal_full_recompute(
    midsize_ws: Path, steps: list[tuple[Any, ...]]
) -> None:
    """The same with the overlay folded into a new base every two touched sites."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(live_module, "REBASE_AFTER_SITES", 2)
        _check_sequence(midsize_ws, steps)


def _check_sequence(midsize_ws: Path, steps: list[tuple[Any, ...]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "ws"
        shutil.copytree(midsize_ws, copy)
        live = LiveWorkspace.open(copy)
        start = live.revision
        for n, step in enumerate(steps):
            _apply(live, n, step)
        assert live.revision == start + len(steps)
        assert_matches_full_recompute(live)
