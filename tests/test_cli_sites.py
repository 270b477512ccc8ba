"""`covgis sites` and `covgis diff` as a planner runs them: what an edit says, and the
villages it flipped, with the commune each counts in."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from coverage_gis.cli import main
from coverage_gis.workspace import Workspace

from .conftest import METRIC, at, tiny_layers


def test_diff_names_the_commune_a_village_lies_in(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A village list without commune codes: the diff gives the commune the KPIs count it in."""
    layers = tiny_layers()
    layers["villages"] = layers["villages"].assign(commune_code=None, census_commune_id=None)
    ws = Workspace.create(tmp_path / "ws", metric_crs=METRIC, provinces=["99"], layers=layers, source="test")
    assert main(["compute", str(ws.path)]) == 0
    before = json.loads(_out(capsys, ["history", str(ws.path), "--json"]))[-1]["revision"]
    point = at(6000, 100)
    args = ["sites", "add", str(ws.path), "--site-id", "S9", "--lon", str(point.x), "--lat", str(point.y)]
    assert main([*args, "--tech", "4G"]) == 0
    after = json.loads(_out(capsys, ["history", str(ws.path), "--json"]))[-1]["revision"]
    rows = json.loads(_out(capsys, ["diff", str(ws.path), str(before), str(after), "--json"]))
    assert [(r["village_id"], r["commune_code"], r["commune_name"]) for r in rows] == [
        ("V2", "99901", "Xã Thử Nghiệm")
    ]
    assert rows[0]["mobile_before"] is False
    assert rows[0]["mobile_after"] is True


def _out(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    capsys.readouterr()
    assert main(argv) == 0
    return capsys.readouterr().out


def test_sites_add_says_a_site_outside_the_communes_and_a_duplicate_is_bad_input(
    tiny_ws: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    far, near = at(90_000, 0), at(500, 500)  # the tiny commune is 40 km wide
    for site, point in (("FAR", far), ("NEAR", near)):
        argv = [
            "sites",
            "add",
            str(tiny_ws.path),
            "--site-id",
            site,
            "--lon",
            str(point.x),
            "--lat",
            str(point.y),
        ]
        assert main(argv) == 0
    err = capsys.readouterr().err
    assert "note: site FAR lies in none of the workspace's communes: check its coordinates" in err
    assert "NEAR" not in err
    assert main(["sites", "add", str(tiny_ws.path), "--site-id", "NEAR", "--lon", "109", "--lat", "14"]) == 2
    assert "site 'NEAR' already exists" in capsys.readouterr().err
