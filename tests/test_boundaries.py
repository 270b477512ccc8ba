"""Real boundaries: every seed commune loads with district codes, crosswalk and clutter class."""

from __future__ import annotations

from pathlib import Path

import pytest

from coverage_gis.boundaries import (
    PROVINCES,
    Boundaries,
    Province2025,
    load_boundaries,
    load_communes,
    partial_2025_provinces,
    province,
    province_2025,
)
from coverage_gis.cli import main, workspace_cmds
from coverage_gis.errors import NotFound
from coverage_gis.workspace import Workspace


def test_seed_provinces_load_completely() -> None:
    communes = load_communes()
    assert len(communes) == 780
    assert communes["district_code"].notna().all()
    assert (communes["district_code"] != "").all()
    assert communes["census_commune_id"].is_unique
    assert set(communes["environment"]) == {"urban", "suburban", "rural"}
    assert communes.groupby("province_code").size().to_dict() == {
        "24": 232,
        "46": 152,
        "52": 159,
        "60": 126,
        "70": 111,
    }


def test_crosswalk_attaches_the_2025_commune() -> None:
    communes = load_communes(["binh-dinh"]).set_index("commune_code")
    vinh_kim = communes.loc["21790"]
    assert vinh_kim["commune_name"] == "Xã Vĩnh Kim"
    assert vinh_kim["new_commune_code"] == "21787"
    assert vinh_kim["new_province_name"] == "Tỉnh Gia Lai"
    assert vinh_kim["environment"] == "rural"


def test_missing_district_codes_are_filled_with_gso_codes() -> None:
    hue = load_communes(["thua-thien-hue"])
    assert set(hue.loc[hue["district_name"] == "Thành phố Huế", "district_code"]) == {"474"}


def test_unknown_province() -> None:
    with pytest.raises(NotFound, match=r"unknown province 'quang nama'.*did you mean quang-nam"):
        province("quang nama")
    with pytest.raises(NotFound, match="unknown province '99'"):
        province("99")
    assert province("52") is PROVINCES["binh-dinh"]


@pytest.mark.parametrize("name", ["49", "quang-nam", "Quảng Nam", "Tỉnh Quảng Nam", " QUANG NAM "])
def test_any_province_by_code_slug_or_name(name: str) -> None:
    found = province(name)
    assert (found.code, found.slug, found.name, found.plan) == ("49", "quang-nam", "Tỉnh Quảng Nam", "")


def test_seed_provinces_by_code_slug_or_name() -> None:
    assert province("Huế") is province("thua-thien-hue") is PROVINCES["thua-thien-hue"]
    assert province("Bình Định") is PROVINCES["binh-dinh"]
    assert province("1").slug == "ha-noi"
    assert province("TP. Hồ Chí Minh").code == province("Thành phố Hồ Chí Minh").code == "79"
    assert province("Đăk Lăk").slug == province("Dak Lak").slug == "dak-lak"


def test_the_2025_provinces_a_selection_does_not_hold_whole() -> None:
    """2025 Tỉnh Gia Lai is the former Bình Định (52) and Gia Lai (64); Huế stayed alone."""
    assert partial_2025_provinces(["52"]) == [Province2025("52", "Tỉnh Gia Lai", (("64", "Tỉnh Gia Lai"),))]
    assert partial_2025_provinces(["52", "64"]) == []
    assert partial_2025_provinces(["46"]) == []
    lam_dong = partial_2025_provinces(["60"])
    assert [(p.name, [c for c, _ in p.missing]) for p in lam_dong] == [("Tỉnh Lâm Đồng", ["67", "68"])]


def test_cli_init_says_which_former_provinces_a_2025_one_also_holds(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["init", str(tmp_path / "bd"), "--province", "binh-dinh"]) == 0
    err = capsys.readouterr().err
    assert "Tỉnh Gia Lai also holds the former Tỉnh Gia Lai (64)" in err
    assert "add --province 64" in err
    assert main(["init", str(tmp_path / "hue"), "--province", "thua-thien-hue"]) == 0
    assert "also holds" not in capsys.readouterr().err


@pytest.mark.parametrize("name", ["52", "gia-lai", "Gia Lai", "Tỉnh Gia Lai", " GIA LAI "])
def test_a_2025_province_by_code_slug_or_name(name: str) -> None:
    """2025 code 52 and the name Gia Lai are the merged province, not the former 52 or 64."""
    found = province_2025(name)
    assert (found.code, found.name, found.former) == ("52", "Tỉnh Gia Lai", ("52", "64"))
    assert province_2025("Hồ Chí Minh").former == ("74", "77", "79")
    with pytest.raises(NotFound, match="did you mean gia-lai"):
        province_2025("gia lay")


def test_a_2025_province_loads_the_communes_the_crosswalk_puts_in_it() -> None:
    gia_lai = load_boundaries(provinces_2025=["Gia Lai"])
    assert len(gia_lai.communes) == len(load_communes(["52", "64"]))
    assert set(gia_lai.communes["new_province_code"]) == {"52"}
    # 2025 Tây Ninh is the former Long An and Tây Ninh: of Tiền Giang (listed once in its
    # rows) it takes no commune, and every commune loaded is one the rule puts in it.
    tay_ninh = load_boundaries(provinces_2025=["tay-ninh"])
    former = load_boundaries(["72", "80"]).communes
    assert set(tay_ninh.communes["province_code"]) == {"72", "80"}
    assert set(tay_ninh.communes["new_province_code"]) == {"80"}
    assert set(tay_ninh.communes["census_commune_id"]) == set(
        former.loc[former["new_province_code"] == "80", "census_commune_id"]
    )
    assert set(tay_ninh.parts["census_commune_id"]) <= set(tay_ninh.communes["census_commune_id"])


def test_cli_init_by_2025_province(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["init", str(tmp_path / "gl"), "--province-2025", "Gia Lai"]) == 0
    communes = Workspace.open(tmp_path / "gl").read_layer("communes")
    assert set(communes["province_code"]) == {"52", "64"}
    assert "also holds" not in capsys.readouterr().err  # the 2025 province is whole
    # Whole too where the crosswalk lists a commune of a third former province under it.
    assert main(["init", str(tmp_path / "tn"), "--province-2025", "Tây Ninh"]) == 0
    assert "also holds" not in capsys.readouterr().err
    # A former province beside it still gets its note (Đồng Tháp 2025 also holds Tiền Giang).
    assert main(["init", str(tmp_path / "two"), "--province-2025", "52", "--province", "87"]) == 0
    err = capsys.readouterr().err
    assert "Tỉnh Đồng Tháp also holds the former Tỉnh Tiền Giang (82)" in err
    assert "Gia Lai" not in err
    assert main(["init", str(tmp_path / "bad"), "--province-2025", "gialay"]) == 2
    assert "unknown 2025 province 'gialay'" in capsys.readouterr().err
    assert not (tmp_path / "bad").exists()


def test_cli_init_loads_any_province(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A planner of a province beyond the five seed ones loads its communes alone."""
    assert main(["init", str(tmp_path / "ws"), "--province", "Quảng Nam"]) == 0
    communes = Workspace.open(tmp_path / "ws").read_layer("communes")
    assert set(communes["province_code"]) == {"49"}
    assert len(communes) == len(load_communes(["49"])) > 200
    assert main(["init", str(tmp_path / "other"), "--province", "atlantis"]) == 2
    assert "unknown province 'atlantis'" in capsys.readouterr().err
    assert not (tmp_path / "other").exists()


@pytest.mark.parametrize(
    ("flag", "name", "code"), [("--province", "48", "48"), ("--province-2025", "Ninh Bình", "37")]
)
def test_cli_init_skips_census_units_without_name_or_people(
    tmp_path: Path, flag: str, name: str, code: str
) -> None:
    """Đà Nẵng and Ninh Bình each hold a census unit with no name and no population."""
    assert main(["init", str(tmp_path / "ws"), flag, name]) == 0
    communes = Workspace.open(tmp_path / "ws").read_layer("communes")
    assert communes["commune_name"].str.strip().ne("").all()
    assert code in set(communes["province_code"])


def test_a_failed_init_leaves_nothing_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A commune the layer refuses stops init before a folder exists, so a retry works."""
    real = load_boundaries

    def nameless(*args: object, **kwargs: object) -> Boundaries:
        loaded = real(*args, **kwargs)  # type: ignore[arg-type]
        communes = loaded.communes.copy()
        communes.loc[3, "commune_name"] = ""
        return Boundaries(communes=communes, parts=loaded.parts)

    monkeypatch.setattr(workspace_cmds, "load_boundaries", nameless)
    target = tmp_path / "ws"
    assert main(["init", str(target), "--province", "binh-dinh"]) == 2
    assert "field 'commune_name': required value is empty" in capsys.readouterr().err
    assert not target.exists()
    target.mkdir()  # a folder the user made stays, empty
    assert main(["init", str(target), "--province", "binh-dinh"]) == 2
    assert target.is_dir()
    assert not any(target.iterdir())
    monkeypatch.setattr(workspace_cmds, "load_boundaries", real)
    assert main(["init", str(target), "--province", "binh-dinh"]) == 0
    assert Workspace.open(target).layer_counts()["communes"] == len(load_communes(["binh-dinh"]))


@pytest.mark.parametrize("slug", ["thua-thien-hue", "bac-giang"])
def test_cli_init_loads_communes(tmp_path: Path, slug: str) -> None:
    assert main(["init", str(tmp_path / "ws"), "--province", slug]) == 0
    ws = Workspace.open(tmp_path / "ws")
    boundaries = load_boundaries([slug])
    counts = ws.layer_counts()
    assert counts["communes"] == len(boundaries.communes)
    assert counts.get("commune_parts_2025", 0) == len(boundaries.parts)
    assert ws.metric_crs == "EPSG:32648"


def test_binh_dinh_communes_without_a_code_join_quy_nhon() -> None:
    # The four Quy Nhơn wards merged in 2024 have no code of their own; Thị Nại and Trần
    # Phú gave their names to the units that absorbed them (codes 21583, 21580).
    communes = load_communes(["binh-dinh"]).set_index("commune_name")
    rows = communes.loc[
        ["Phường Thị Nại", "Phường Trần Phú", "Phường Trần Hưng Đạo", "Phường Lê Hồng Phong"],
        ["commune_code", "crosswalk_code", "admin_2025_method", "new_commune_name", "new_province_name"],
    ]
    assert rows["commune_code"].isna().all()
    assert rows["crosswalk_code"].tolist() == ["21583", "21580", "21583", "21580"]
    assert rows["admin_2025_method"].tolist() == ["name_uncoded"] * 2 + ["spatial_uncoded"] * 2
    assert set(rows["new_commune_name"]) == {"Phường Quy Nhơn"}
    assert set(rows["new_province_name"]) == {"Tỉnh Gia Lai"}


def test_binh_dinh_split_communes_come_in_parts() -> None:
    boundaries = load_boundaries(["binh-dinh"])
    communes = boundaries.communes.set_index("commune_code")
    # Xã An Nghĩa: area to two communes, its whole population to Xã An Toàn.
    assert communes.loc["21634", "admin_2025_method"] == "crosswalk_population"
    assert communes.loc["21634", "new_commune_name"] == "Xã An Toàn"
    # Xã Canh Liên keeps its remainder and gives a part to Xã Canh Vinh; Xã Canh Hiệp
    # goes partly to Xã Vân Canh, partly to Xã Canh Vinh.
    parts = boundaries.parts.merge(
        boundaries.communes[["census_commune_id", "commune_name", "pop_2009"]],
        on="census_commune_id",
        suffixes=("", "_commune"),
    )
    by_commune = parts.groupby("commune_name")["new_commune_name"].agg(sorted).to_dict()
    assert by_commune == {
        "Xã Canh Hiệp": ["Xã Canh Vinh", "Xã Vân Canh"],
        "Xã Canh Liên": ["Xã Canh Liên", "Xã Canh Vinh"],
    }
    # The parts share the commune's 2009 population exactly.
    sums = parts.groupby("commune_name")[["pop_2009", "pop_2009_commune"]].agg(
        {"pop_2009": "sum", "pop_2009_commune": "first"}
    )
    assert (sums["pop_2009"] == sums["pop_2009_commune"]).all()
