"""The demo generator (coverage_gis.demo) and ``covgis demo``.

Bình Định is generated once per module (a second time with the same seed and once
with another seed for the reproducibility checks); all five provinces once more, to
show a province comes out the same alone or in company, that every layer of every
province passes its schema and that the other provinces' drawn gaps hold.
"""

from __future__ import annotations

import hashlib
import json
import unicodedata
import weakref
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import osmnx
import pandas as pd
import pytest
import rasterio
import shapely

from coverage_gis.boundaries import load_communes, national_provinces
from coverage_gis.cli import main
from coverage_gis.coverage import coverage_from_layers
from coverage_gis.demo import (
    DEFAULT_SEED,
    PROVINCE_SLUGS,
    DemoData,
    build_demo,
    build_demo_workspace,
    generate,
    write_demo_workspace,
)
from coverage_gis.demo import build as demo_build
from coverage_gis.demo._context import build_context
from coverage_gis.demo.terrain import write_dem
from coverage_gis.demo.villages import generate_villages
from coverage_gis.engine import compute
from coverage_gis.errors import LayerValidationError, NotFound, WorkspaceError
from coverage_gis.layers import get_schema
from coverage_gis.models import MODEL_NAMES, create_model, load_model_settings
from coverage_gis.models.reference import reference_radio
from coverage_gis.validation import validate_layer
from coverage_gis.workspace import Workspace

# One worker runs this module (--dist loadgroup): its module-scoped demo workspace is made once.
pytestmark = [pytest.mark.demo, pytest.mark.xdist_group("test_demo")]
SETTINGS = load_model_settings()

LAYERS = ("communes", "villages", "sites", "cells", "fiber_routes", "fiber_nodes", "zones_5g", "pois")
#: (commune code, district code, village name) of the villages the plan names.
NAMED = {
    ("21790", "546", "làng O2"),
    ("21619", "542", "thôn 1"),
    ("21619", "542", "thôn 5"),
    ("21631", "542", "thôn 6"),
    ("22000", "551", "thôn Canh Giao"),
    ("21997", "551", "làng Canh Tiến"),
    ("21997", "551", "làng Kà Bưng"),
    ("21997", "551", "làng Cà Nâu"),
}


@pytest.fixture(scope="module")
def bd(tmp_path_factory: pytest.TempPathFactory) -> tuple[DemoData, Workspace]:
    data = generate("binh-dinh", seed=DEFAULT_SEED)
    ws = write_demo_workspace(tmp_path_factory.mktemp("demo") / "bd", data)
    return data, ws


@pytest.fixture(scope="module")
def layers(bd: tuple[DemoData, Workspace]) -> dict[str, pd.DataFrame]:
    _, ws = bd
    return {name: ws.read_layer(name) for name in LAYERS}


@pytest.fixture(scope="module")
def everything(five_provinces: DemoData) -> DemoData:
    return five_provinces


def _digest(frame: pd.DataFrame, id_field: str) -> str:
    """Hash of a layer's sorted CSV dump (geometry as WKT)."""
    out = frame.sort_values(id_field, kind="stable").reset_index(drop=True)
    if isinstance(out, gpd.GeoDataFrame):
        wkt = shapely.to_wkt(out.geometry.to_numpy(), rounding_precision=9)
        out = pd.DataFrame(out.drop(columns="geometry")).assign(geometry=wkt)
    return hashlib.sha256(out.to_csv(index=False).encode("utf-8")).hexdigest()


def _digests(data: DemoData) -> dict[str, str]:
    return {name: _digest(frame, get_schema(name).id_field) for name, frame in data.layers.items()}


# -- workspace and reproducibility ------------------------------------------------------


def test_workspace_is_labelled_synthetic(bd: tuple[DemoData, Workspace]) -> None:
    _, ws = bd
    reopened = Workspace.open(ws.path)
    assert reopened.config.synthetic is True
    assert reopened.config.plan == "binh-dinh-2025"
    assert reopened.config.provinces == ["52"]
    assert reopened.config.metric_crs == "EPSG:32649"
    assert "SYNTHETIC" in reopened.config.description
    assert "censusVN2009" in reopened.config.description
    assert set(LAYERS) <= set(reopened.layer_names())
    assert reopened.dem_path is not None
    assert reopened.roads_path is not None


def test_every_layer_passes_its_schema(layers: dict[str, pd.DataFrame]) -> None:
    for name, frame in layers.items():
        clean, _ = validate_layer(frame, get_schema(name), source=name)
        assert len(clean) == len(frame) > 0
        if name != "communes":
            assert (frame["source"] == "synthetic").all(), name


def test_same_seed_gives_identical_layers_and_files(bd: tuple[DemoData, Workspace], tmp_path: Path) -> None:
    data, ws = bd
    again = generate("binh-dinh", seed=DEFAULT_SEED)
    assert _digests(again) == _digests(data)
    ws2 = write_demo_workspace(tmp_path / "again", again)
    for name in ("workspace.yaml", "workspace.gpkg", "dem.tif", "roads.osm"):
        assert (ws.path / name).read_bytes() == (ws2.path / name).read_bytes(), name


def test_another_seed_gives_another_network(bd: tuple[DemoData, Workspace]) -> None:
    data, _ = bd
    other = _digests(generate("binh-dinh", seed=DEFAULT_SEED + 1))
    mine = _digests(data)
    assert other["communes"] == mine["communes"]  # real boundaries
    for name in ("villages", "sites", "cells", "fiber_routes", "fiber_nodes", "pois"):
        assert other[name] != mine[name], name


def test_a_province_is_the_same_alone_or_with_others(
    bd: tuple[DemoData, Workspace], everything: DemoData
) -> None:
    data, _ = bd
    for name in ("villages", "sites", "cells", "fiber_nodes"):
        alone = data.layers[name]
        together = everything.layers[name]
        key = get_schema(name).id_field
        subset = together[together[key].isin(alone[key])]
        assert len(subset) == len(alone)
        assert _digest(subset, key) == _digest(alone, key), name


# -- villages -------------------------------------------------------------------------


def test_villages_lie_in_their_communes(layers: dict[str, pd.DataFrame]) -> None:
    villages, communes = layers["villages"], layers["communes"]
    polygons = communes.set_index("census_commune_id").geometry
    inside = shapely.contains(
        polygons.loc[villages["census_commune_id"]].to_numpy(), villages.geometry.to_numpy()
    )
    assert inside.all()
    joined = villages.merge(communes, on="census_commune_id", suffixes=("", "_c"))
    assert len(joined) == len(villages)
    assert (joined["district_code"] == joined["district_code_c"]).all()
    assert (joined["province_code"] == "52").all()
    same_code = joined["commune_code"].fillna("") == joined["commune_code_c"].fillna("")
    assert same_code.all()


def test_population_and_households_add_up_per_commune(layers: dict[str, pd.DataFrame]) -> None:
    villages, communes = layers["villages"], layers["communes"]
    per = villages.groupby("census_commune_id")[["population", "households"]].sum()
    pop = communes.set_index("census_commune_id")["pop_2009"]
    assert (per["population"] == pop.loc[per.index]).all()
    assert (per["households"] == np.rint(pop.loc[per.index] / 3.8)).all()
    assert (villages["households"] <= villages["population"]).all()


def test_village_counts_follow_population(layers: dict[str, pd.DataFrame]) -> None:
    villages, communes = layers["villages"], layers["communes"]
    assert 950 <= len(villages) <= 1060
    per = villages.groupby("census_commune_id").size()
    assert set(per.index) == set(communes["census_commune_id"])
    assert per.min() >= 2
    assert villages["village_id"].str.fullmatch(r"52-\d{5,7}-\d{3}").all()


def test_named_villages_are_in_their_real_communes(layers: dict[str, pd.DataFrame]) -> None:
    villages = layers["villages"]
    present = set(zip(villages["commune_code"], villages["district_code"], villages["name"], strict=True))
    assert present >= NAMED
    off_grid = villages[~villages["has_grid_power"].astype(bool)]
    assert off_grid["name"].tolist() == ["làng O2"]
    assert off_grid["commune_code"].tolist() == ["21790"]


def test_names_are_nfc_with_the_allowed_kinds(layers: dict[str, pd.DataFrame]) -> None:
    villages = layers["villages"]
    assert all(unicodedata.is_normalized("NFC", n) for n in villages["name"])
    assert all(
        name.startswith(kind + " ") for name, kind in zip(villages["name"], villages["kind"], strict=True)
    )
    assert set(villages["kind"]) <= {"thôn", "làng", "khu phố"}  # Bình Định: no ấp, no bản
    assert villages.groupby("census_commune_id")["name"].apply(lambda s: s.is_unique).all()


# -- sites and cells ------------------------------------------------------------------


def test_ids_are_unique_in_every_layer(layers: dict[str, pd.DataFrame]) -> None:
    for name, frame in layers.items():
        assert frame[get_schema(name).id_field].is_unique, name


def test_every_cell_hangs_off_a_site(layers: dict[str, pd.DataFrame]) -> None:
    sites, cells = layers["sites"], layers["cells"]
    assert cells["site_id"].isin(sites["site_id"]).all()
    assert sites["site_id"].isin(cells["site_id"]).all()
    status = cells.merge(sites[["site_id", "status"]], on="site_id", suffixes=("", "_site"))
    assert (status["status"] == status["status_site"]).all()


def test_radio_parameters_are_plausible(layers: dict[str, pd.DataFrame]) -> None:
    sites, cells = layers["sites"], layers["cells"]
    # Each cell radiates its band's reference EIRP within ±1.5 dB (rounded to 0.5 dB).
    reference = np.array(
        [reference_radio(t, b).eirp_dbm for t, b in zip(cells["tech"], cells["band_mhz"], strict=True)]
    )
    assert (np.abs(cells["eirp_dbm"].to_numpy() - reference) <= 1.75).all()
    assert sites["height_m"].between(20, 45).all()
    on_air = sites[sites["status"] == "on_air"]
    assert on_air["commissioned"].between("2020-01-01", "2025-06-30").all()
    assert 0 < (sites["status"] == "planned").sum() < 0.05 * len(sites)
    assert sites["has_grid_power"].mean() > 0.85
    # Vietnam's band plan: LTE on 900/1800/2100 MHz and Viettel's 700 MHz; 5G on each
    # operator's block: Viettel 2500-2600, VNPT 3700-3800, MobiFone 3800-3900 MHz.
    bands = {"2G": {900.0, 1800.0}, "3G": {2100.0}, "4G": {700.0, 900.0, 1800.0, 2100.0}}
    for tech, allowed in bands.items():
        assert set(cells.loc[cells["tech"] == tech, "band_mhz"]) == allowed, tech
    assert set(cells.loc[cells["band_mhz"] == 700.0, "operator"]) == {"Viettel"}
    nr = cells[cells["tech"] == "5G"].groupby("operator")["band_mhz"].agg(set).to_dict()
    assert nr == {"Viettel": {2550.0}, "VNPT": {3750.0}, "MobiFone": {3850.0}}
    # Massive-MIMO 5G radiates some 15 dB more than an LTE panel.
    assert (
        cells.loc[cells["tech"] == "5G", "eirp_dbm"].min()
        > cells.loc[cells["tech"] == "4G", "eirp_dbm"].max()
    )
    sector = cells["azimuth_deg"].notna()
    assert (cells.loc[sector, "beamwidth_deg"] == 65).all()
    assert (cells.loc[~sector, "beamwidth_deg"] == 360).all()
    assert sector.any()
    assert (~sector).any()
    with_4g = cells.loc[cells["tech"] == "4G", "site_id"].nunique()
    assert with_4g > 0.9 * len(sites)


def test_5g_is_a_town_thing_with_over_70_viettel_sites(layers: dict[str, pd.DataFrame]) -> None:
    sites, cells = layers["sites"], layers["cells"]
    nr = cells[(cells["tech"] == "5G") & (cells["status"] == "on_air")].merge(sites, on="site_id")
    assert set(nr["operator"]) == {"Viettel", "VNPT", "MobiFone"}
    assert nr.loc[nr["operator"] == "Viettel", "site_id"].nunique() > 70
    assert 0 < nr.loc[nr["operator"] == "VNPT", "site_id"].nunique() <= 5
    assert 0 < nr.loc[nr["operator"] == "MobiFone", "site_id"].nunique() <= 5
    assert set(nr["environment"]) <= {"urban", "suburban"}


def test_site_sharing_is_higher_in_the_plan_period(layers: dict[str, pd.DataFrame]) -> None:
    sites, cells = layers["sites"], layers["cells"]
    live = cells[cells["status"] == "on_air"].groupby("site_id")["operator"].nunique()
    on_air = sites[sites["status"] == "on_air"].set_index("site_id")
    shared = live.loc[on_air.index] >= 2
    recent = on_air["commissioned"] >= "2023-01-01"
    assert 0.15 <= shared.mean() <= 0.30
    assert shared[recent].mean() > shared.mean()
    assert set(cells["operator"]) == {"Viettel", "VNPT", "MobiFone", "Vietnamobile"}


# -- fiber, places, roads, terrain -----------------------------------------------------


def test_fiber_layers(bd: tuple[DemoData, Workspace], layers: dict[str, pd.DataFrame]) -> None:
    data, _ = bd
    assert set(data.layers["fiber_routes"].geometry.geom_type) == {"LineString"}
    routes, nodes = layers["fiber_routes"], layers["fiber_nodes"]
    # The workspace may store lines as single-part MultiLineStrings.
    assert (shapely.get_num_geometries(routes.geometry.to_numpy()) == 1).all()
    assert set(routes["class"]) == {"backbone", "distribution", "access"}
    assert set(nodes["kind"]) == {"pop", "olt", "splitter"}
    for frame in (routes, nodes):
        assert {"VNPT", "Viettel"} <= set(frame["operator"])
    olts = nodes[nodes["kind"] == "olt"]
    assert set(olts.loc[olts["operator"] == "VNPT", "geometry"].apply(lambda g: g is not None)) == {True}
    assert len(olts[olts["operator"] == "VNPT"]) == len(layers["communes"])


def test_priority_places(layers: dict[str, pd.DataFrame]) -> None:
    pois, communes = layers["pois"], layers["communes"]
    names = set(pois["name"])
    assert {"Cảng hàng không Phù Cát", "Cảng Quy Nhơn", "Ga Diêu Trì"} <= names
    counts = pois["category"].value_counts()
    assert counts["district_centre"] == communes["district_code"].nunique() == 11
    assert counts["commune_office"] == len(communes)
    assert {"airport", "seaport", "station", "industrial_zone", "hospital", "school"} <= set(counts.index)
    assert pois["census_commune_id"].notna().all()
    zones = layers["zones_5g"]
    assert (zones["status"] == "on_air").all()
    assert (zones["operator"] == "Viettel").sum() == 11


def test_roads_osm_loads_with_osmnx(bd: tuple[DemoData, Workspace]) -> None:
    _, ws = bd
    assert ws.roads_path is not None
    raw = osmnx.graph_from_xml(ws.roads_path, simplify=False, retain_all=True)
    simple = osmnx.graph_from_xml(ws.roads_path, simplify=True, retain_all=True)
    n_villages = len(ws.read_layer("villages"))
    assert len(raw) > n_villages + 159
    assert 0 < len(simple) < len(raw)
    highways = {d["highway"] for _, _, d in raw.edges(data=True)}
    assert {"primary", "tertiary", "unclassified"} <= highways


def test_dem_has_mountains_in_the_west(bd: tuple[DemoData, Workspace]) -> None:
    _, ws = bd
    assert ws.dem_path is not None
    with rasterio.open(ws.dem_path) as src:
        assert src.crs is not None
        assert src.crs.to_epsg() == 4326
        assert 0.001 <= src.res[0] <= 0.002
        elevation = src.read(1, masked=True)
    third = elevation.shape[1] // 3
    west, east = float(elevation[:, :third].mean()), float(elevation[:, -third:].mean())
    assert west > east + 200
    assert 900 <= float(elevation.max()) <= 1500
    assert float(elevation.min()) >= 0


# -- the plan's status through the real computation ------------------------------------


def test_villages_of_an_outline_lying_under_its_neighbour_stay_apart() -> None:
    """Fails if villages stack on one point (and their access roads and fiber collapse to
    zero length) where a census outline lies wholly under its neighbour's, as Phường Sông
    Hiến's sliver under Phường Đề Thám (Cao Bằng): no area of its own to sample."""
    cao_bang = next(p for p in national_provinces() if p.code == "04")
    ctx = build_context(cao_bang, load_communes(["04"], national=True), seed=DEFAULT_SEED)
    villages = generate_villages(ctx)
    xy = np.column_stack([villages.x_m, villages.y_m])
    assert len(np.unique(xy, axis=0)) == len(villages)
    # Each village lies inside its own commune's outline (shared with a neighbour or not).
    inside = shapely.contains_xy(
        ctx.geometry[villages.commune], villages.frame.geometry.x, villages.frame.geometry.y
    )
    assert inside.all()
    sliver = np.flatnonzero(ctx.communes["commune_code"].to_numpy(dtype=object) == "01267")
    assert sliver.size == 1
    assert (villages.commune == sliver[0]).sum() >= 2


@pytest.mark.parametrize("model", MODEL_NAMES)
def test_binh_dinh_reproduces_its_plan_status(
    bd: tuple[DemoData, Workspace], layers: dict[str, pd.DataFrame], model: str
) -> None:
    # The same gap lists under every model, computed from the written workspace as
    # ``covgis compute --model M`` and ``covgis gaps`` do (the terrain model on its
    # dem.tif): only làng O2 lacks mobile broadband, only the eight named villages lack FTTH.
    _, ws = bd
    analysis = compute(ws, model=model, write=False)
    assert analysis.model.name == model
    table = analysis.coverage
    names = layers["villages"].set_index("village_id")["name"]
    no_mobile = table[~table["mobile_bb"].astype(bool)]
    no_ftth = table[~table["ftth"].astype(bool)]
    assert names.loc[no_mobile["village_id"]].tolist() == ["làng O2"]
    assert no_mobile["mobile_gap_reason"].tolist() == ["no_grid_power"]
    assert sorted(names.loc[no_ftth["village_id"]]) == sorted(n for _, _, n in NAMED)
    village_keys = layers["villages"].set_index("village_id")[["commune_code", "district_code", "name"]]
    mobile_list = analysis.gaps("mobile")
    ftth_list = analysis.gaps("ftth", use_roads=False)
    assert [tuple(village_keys.loc[v]) for v in mobile_list["id"]] == [("21790", "546", "làng O2")]
    assert mobile_list["power_need"].tolist() == ["solar_hybrid"]
    assert {tuple(village_keys.loc[v]) for v in ftth_list["id"]} == NAMED
    assert len(ftth_list) == len(NAMED)
    assert round(100 * table["mobile_bb"].mean(), 1) == 99.9
    assert round(100 * table["ftth"].mean(), 1) == 99.2
    # A distribution route runs toward the unserved villages but stops short of them.
    assert (no_ftth["fiber_distance_m"] > 1000).all()
    # A covered village never shows a level below the threshold that served it (the
    # lowest broadband threshold, 4G/5G RSRP -110 dBm).
    covered = table[table["mobile_bb"].astype(bool)]
    assert covered["best_signal_dbm"].notna().all()
    assert (covered["best_signal_dbm"] >= min(SETTINGS.threshold_dbm[t] for t in ("3G", "4G", "5G"))).all()


def test_all_five_provinces_pass_their_schemas(everything: DemoData) -> None:
    assert [s.slug for s in everything.summaries] == list(PROVINCE_SLUGS)
    assert everything.counts()["communes"] == 780
    for name, frame in everything.layers.items():
        clean, _ = validate_layer(frame, get_schema(name), source=name)
        assert len(clean) == len(frame), name
    villages = everything.layers["villages"]
    kinds = villages.groupby("province_code")["kind"].agg(set)
    assert "ấp" in kinds["60"]
    assert "ấp" in kinds["70"]
    assert "bản" in kinds["24"]
    assert "tổ dân phố" in kinds["46"]
    assert "ấp" not in kinds["52"] | kinds["46"] | kinds["24"]
    for s in everything.summaries:
        assert 1 <= len(s.mobile_gaps) <= 4 or s.code == "52"
        assert 3 <= len(s.ftth_gaps) <= 10 or s.code == "52"


def test_every_village_of_the_five_provinces_lies_in_its_own_commune_only(everything: DemoData) -> None:
    # Its position and its data name the same commune: inside its census_commune_id's
    # polygon, in no other polygon (the census outlines overlap along some borders), and
    # its commune_code is that polygon's code.
    villages, communes = everything.layers["villages"], everything.layers["communes"]
    ids = communes["census_commune_id"].to_numpy(dtype=object)
    point_idx, commune_idx = shapely.STRtree(communes.geometry.to_numpy()).query(
        villages.geometry.to_numpy(), predicate="intersects"
    )
    assert np.bincount(point_idx, minlength=len(villages)).tolist() == [1] * len(villages)
    order = np.argsort(point_idx)
    assert (ids[commune_idx[order]] == villages["census_commune_id"].to_numpy(dtype=object)).all()
    codes = communes.set_index("census_commune_id")["commune_code"]
    own_code = codes.reindex(villages["census_commune_id"]).fillna("").to_numpy(dtype=object)
    assert (own_code == villages["commune_code"].fillna("").to_numpy(dtype=object)).all()


@pytest.mark.parametrize("model", MODEL_NAMES)
def test_drawn_gaps_of_the_other_provinces_hold(everything: DemoData, model: str, tmp_path: Path) -> None:
    # Under every model, in one workspace CRS for all five provinces (not each one's own).
    dem = tmp_path / "dem.tif"
    write_dem(everything.dem, dem)
    built = create_model(model, dem_path=dem, metric_crs=everything.metric_crs)
    table = coverage_from_layers(everything.layers, metric_crs=everything.metric_crs, model=built)
    expected_mobile = {k: v for s in everything.summaries for k, v in s.mobile_gaps.items()}
    expected_ftth = {k for s in everything.summaries for k in s.ftth_gaps}
    gaps = table[~table["mobile_bb"].astype(bool)]
    assert dict(zip(gaps["village_id"], gaps["mobile_gap_reason"], strict=True)) == expected_mobile
    assert set(table.loc[~table["ftth"].astype(bool), "village_id"]) == expected_ftth
    off_grid = set(everything.layers["villages"].query("not has_grid_power")["village_id"])
    assert off_grid == {v for v, cause in expected_mobile.items() if cause == "no_grid_power"}


# -- API and CLI -----------------------------------------------------------------------


def test_progress_reports_every_step_and_the_layers_go_before_the_speed_tests(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The speed tests read the written workspace back: the generated layers must be gone
    # by then (a national demo would hold two copies of every layer at once).
    generated: list[weakref.ref[pd.DataFrame]] = []
    alive_at_tests: list[bool] = []
    real_generate, real_tests = demo_build.generate_provinces, demo_build.add_synthetic_measurements

    def generate_provinces(*args: Any, **kwargs: Any) -> DemoData:
        data = real_generate(*args, **kwargs)
        generated.append(weakref.ref(data.layers["villages"]))
        return data

    def add_synthetic_measurements(ws: Workspace, **kwargs: Any) -> int:
        alive_at_tests.append(generated[0]() is not None)
        return real_tests(ws, **kwargs)

    monkeypatch.setattr(demo_build, "generate_provinces", generate_provinces)
    monkeypatch.setattr(demo_build, "add_synthetic_measurements", add_synthetic_measurements)
    seen: list[tuple[str, int, int]] = []
    built = build_demo(tmp_path / "p", "binh-phuoc", seed=1, progress=lambda s, d, t: seen.append((s, d, t)))
    assert [d for _, d, _ in seen] == list(range(1, len(seen) + 1))
    assert {t for _, _, t in seen} == {len(seen)}
    assert seen[-1][0] == "synthetic speed tests"
    assert alive_at_tests == [False]
    stored = built.workspace.layer_counts()
    assert built.counts["speed_tests"] == stored["speed_tests"] > 0
    assert built.counts["villages"] == stored["villages"] > 0


def test_bad_input_is_refused(tmp_path: Path, bd: tuple[DemoData, Workspace]) -> None:
    with pytest.raises(NotFound, match="unknown province 'atlantis'"):
        generate("atlantis")
    with pytest.raises(LayerValidationError):
        generate("binh-dinh", seed=-1)
    _, ws = bd
    with pytest.raises(WorkspaceError, match="already a workspace"):
        build_demo_workspace(ws.path, "binh-dinh")
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "keep.txt").write_text("mine")
    with pytest.raises(WorkspaceError, match="not an empty folder"):
        build_demo_workspace(tmp_path / "notes", "binh-dinh", overwrite=True)
    assert (tmp_path / "notes" / "keep.txt").exists()


def test_cli_demo(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "ws"
    assert main(["demo", str(target), "--province", "binh-phuoc", "--seed", "3"]) == 0
    out = capsys.readouterr().out
    assert "villages" in out
    assert "sites" in out
    assert "synthetic" in out
    assert " speed tests (synthetic" in out
    assert Workspace.open(target).config.plan == "binh-phuoc-2023-2025"
    assert main(["demo", str(target), "--province", "binh-phuoc"]) == 2
    assert "already a workspace" in capsys.readouterr().err
    assert main(["demo", str(target), "--province", "binh-phuoc", "--force", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["counts"]["villages"] > 0
    assert summary["counts"]["speed_tests"] == Workspace.open(target).layer_counts()["speed_tests"] > 0


@pytest.mark.parametrize("argv", [["--seed", "-3"], ["--seed", "x"]])
def test_cli_demo_bad_arguments_exit_2(tmp_path: Path, argv: list[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["demo", str(tmp_path / "ws"), *argv])
    assert exc.value.code == 2
    assert not (tmp_path / "ws").exists()


def test_cli_demo_unknown_province_exits_2_with_a_suggestion(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["demo", str(tmp_path / "ws"), "--province", "quang-namm"]) == 2
    err = capsys.readouterr().err
    assert "unknown province 'quang-namm'" in err
    assert "did you mean quang-nam" in err
    assert not (tmp_path / "ws").exists()


def test_province_slugs() -> None:
    assert PROVINCE_SLUGS == ("binh-dinh", "binh-thuan", "binh-phuoc", "thua-thien-hue", "bac-giang")
