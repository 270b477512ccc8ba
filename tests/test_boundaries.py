"""Real boundaries: every seed commune loads with district codes, crosswalk and clutter class."""

from __future__ import annotations

from pathlib import Path

import pytest

from coverage_gis.boundaries import PROVINCES, load_communes, province
from coverage_gis.cli import main
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
    with pytest.raises(NotFound, match="binh-dinh"):
        province("ha-noi")
    assert province("52") is PROVINCES["binh-dinh"]


@pytest.mark.parametrize("slug", ["thua-thien-hue", "bac-giang"])
def test_cli_init_loads_communes(tmp_path: Path, slug: str) -> None:
    assert main(["init", str(tmp_path / "ws"), "--province", slug]) == 0
    ws = Workspace.open(tmp_path / "ws")
    assert ws.layer_counts()["communes"] == int((load_communes([slug])).shape[0])
    assert ws.metric_crs == "EPSG:32648"
