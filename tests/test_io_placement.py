"""Imports say which villages and sites lie in none of the workspace's communes
(``coverage_gis.io.placement``): such a village counts in no KPI, and a whole file outside
is coordinates read in the wrong CRS."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from coverage_gis.cli import main
from coverage_gis.io import import_file
from coverage_gis.workspace import Workspace

from .conftest import at


def _villages(tmp_path: Path, rows: list[tuple[str, float, float]]) -> Path:
    path = tmp_path / "thon.csv"
    lines = ["village_id,name,kind,province_code,lon,lat"]
    lines += [f"{vid},Thôn {vid},thôn,99,{lon},{lat}" for vid, lon, lat in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_villages_outside_every_commune_are_named(tiny_ws: Workspace, tmp_path: Path) -> None:
    inside, sea = at(1000, 0), at(90_000, 0)  # the tiny commune is 40 km wide
    path = _villages(
        tmp_path, [("A", inside.x, inside.y), ("SEA", sea.x, sea.y), ("B", inside.x, inside.y + 0.001)]
    )

    result = import_file(tiny_ws, "villages", path)

    assert (
        "villages: 1 of 3 lie in none of the workspace's communes (SEA; rows 1): they count in no KPI and "
        "no gap list; "
        "check their coordinates or give their census_commune_id"
    ) in result.notes


def test_a_file_wholly_outside_asks_for_its_crs(tiny_ws: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "tram.csv"
    path.write_text("site_id,lon,lat\nS9,105.97,13.77\nS8,105.98,13.78\n", encoding="utf-8")

    result = import_file(tiny_ws, "sites", path, append=True)

    assert any(
        "sites: none of the 2 sites lies in the workspace's 1 communes: are the coordinates" in n
        for n in result.notes
    )


def test_inside_and_named_villages_give_no_note(tiny_ws: Workspace, tmp_path: Path) -> None:
    inside = at(1000, 0)
    result = import_file(tiny_ws, "villages", _villages(tmp_path, [("A", inside.x, inside.y)]))
    assert not any("communes" in n for n in result.notes)


def test_compute_says_which_villages_no_kpi_counts(
    tiny_ws: Workspace, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sea = at(90_000, 0)
    import_file(tiny_ws, "villages", _villages(tmp_path, [("SEA", sea.x, sea.y)]), append=True)

    assert main(["compute", str(tiny_ws.path)]) == 0
    assert "note: 1 villages lie in no commune of the workspace (SEA): they count in no KPI and no gap" in (
        capsys.readouterr().err
    )
    assert main(["compute", str(tiny_ws.path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["villages_in_no_commune"] == 1
    # Uncovered, but no province's gap: the gap lists are the KPIs' villages.
    for kind, ids in (("mobile", ["V2"]), ("ftth", ["V2"])):
        assert main(["gaps", str(tiny_ws.path), "--kind", kind, "--json"]) == 0
        assert [row["id"] for row in json.loads(capsys.readouterr().out)] == ids


def test_compute_says_which_on_air_sites_radiate_nothing(
    tiny_ws: Workspace, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A list of sites imported without its cells covers nothing: compute says which sites."""
    here = at(1000, 0)
    path = tmp_path / "tram.csv"
    path.write_text(f"site_id,status,lon,lat\nLONE,on_air,{here.x},{here.y}\n", encoding="utf-8")
    import_file(tiny_ws, "sites", path, append=True)

    assert main(["compute", str(tiny_ws.path)]) == 0
    assert "note: 1 on-air sites have no on-air cell (LONE): they cover no village; import" in (
        capsys.readouterr().err
    )
    assert main(["compute", str(tiny_ws.path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["on_air_sites_without_cells"] == 1


def test_a_commune_code_the_position_contradicts_is_said(tiny_ws: Workspace, tmp_path: Path) -> None:
    """The KPIs count a village where it lies: a list that names another commune is told so."""
    here = at(1000, 0)
    path = tmp_path / "thon.csv"
    path.write_text(
        "village_id,name,kind,province_code,commune_code,lon,lat\n"
        f"A,Thôn A,thôn,99,99901,{here.x},{here.y}\n"  # the commune it lies in
        f"B,Thôn B,thôn,99,099901,{here.x},{here.y}\n"  # the same, a zero in front
        f"C,Thôn C,thôn,99,99800,{here.x},{here.y}\n"  # that commune's 2025 code
        f"D,Thôn D,thôn,99,99977,{here.x},{here.y}\n"  # no commune of the workspace
        f"E,Thôn E,thôn,99,,{here.x},{here.y}\n",
        encoding="utf-8",
    )

    notes = [n for n in import_file(tiny_ws, "villages", path).notes if "commune_code" in n]

    assert notes == [
        "villages: 1 of 5 give a commune_code other than that of the commune they lie in (D gives 99977 "
        "(no commune of the workspace), lies in Xã Thử Nghiệm (99901); rows 3): the KPIs and gap lists "
        "count each in the commune it lies in; check its coordinates, or give the census_commune_id of "
        "the commune it belongs to"
    ]
