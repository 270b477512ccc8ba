"""The message catalogue: every code a person can see has words in both languages."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from coverage_gis.errors import LayerValidationError
from coverage_gis.kpi import KPI_COLUMNS
from coverage_gis.messages import CODES, HEADERS, MESSAGES, code_label, gap_texts, language, reason_label
from coverage_gis.vocabulary import FTTH_GAP_REASONS, MOBILE_GAP_REASONS, POI_CATEGORIES


def test_every_vocabulary_value_has_words() -> None:
    for reason in (*MOBILE_GAP_REASONS, *FTTH_GAP_REASONS):
        assert reason in CODES["reason"], reason
    for category in POI_CATEGORIES:
        assert category in CODES["category"], category
    for column in KPI_COLUMNS:
        assert column in HEADERS, column
    for table in (MESSAGES, HEADERS, *CODES.values()):
        for key, (vi, en) in table.items():
            assert vi, key
            assert en, key


def test_language_choice() -> None:
    assert language("vi", {"COVGIS_LANG": "en"}) == "vi"
    assert language(None, {"COVGIS_LANG": "vi", "LANG": "en_US.UTF-8"}) == "vi"
    assert language(None, {"LANG": "vi_VN.UTF-8"}) == "vi"
    assert language(None, {"LC_ALL": "C.UTF-8", "LANG": "vi_VN.UTF-8"}) == "en"
    assert language(None, {}) == "en"
    with pytest.raises(LayerValidationError):
        language(None, {"COVGIS_LANG": "fr"})


def test_reason_words() -> None:
    assert reason_label("no_grid_power", "vi") == "Không có điện lưới"
    assert reason_label("no_site_in_range,terrain_shadow", "en") == "No site in range; Terrain shadow"
    assert reason_label("no_5g (hospital)", "vi") == "Chưa có 5G (bệnh viện)"
    assert code_label("status", "not_met", "vi") == "chưa đạt"
    assert code_label("status", "something new", "vi") == "something new"  # unknown: the code


def test_vietnamese_recommendation_from_the_fields() -> None:
    """Composed from the row's fields, never a translation of its English sentence."""
    mobile = pd.Series(
        {
            "kind": "mobile",
            "reason": "no_grid_power",
            "reasons": "no_grid_power,no_site_in_range",
            "power_need": "solar_hybrid",
            "distance_m": 5791.0,
            "candidate_villages": 1,
            "detail": "English detail",
            "recommendation": "English recommendation",
        }
    ).to_dict()
    reason, detail, action = gap_texts(mobile, "vi")
    assert reason == "Không có điện lưới"
    assert detail == "Trạm băng rộng đang phát sóng gần nhất cách 5,8 km"
    assert action == "Xây trạm 4G mới tại vị trí đề xuất dùng điện mặt trời/hybrid (thôn chưa có điện lưới)"
    assert gap_texts(mobile, "en")[1:] == ("English detail", "English recommendation")
    ftth = {
        "kind": "ftth",
        "reason": "fiber_too_far",
        "distance_m": 1500.0,
        "road_length_m": 2200.0,
        "tap_id": "N7",
    }
    assert gap_texts(ftth, "vi")[2] == (
        "Kéo cáp quang truy nhập 2,2 km theo đường giao thông từ N7 và lắp bộ chia quang"
    )


def test_vietnamese_names_the_site() -> None:
    planned = {"kind": "mobile", "reason": "planned_site_not_on_air", "candidate_id": "S2", "distance_m": 6e3}
    assert gap_texts(planned, "vi")[2] == "Đưa trạm quy hoạch S2 vào phát sóng"
    shared = {**planned, "reason": "no_site_in_range", "candidate_id": "M1", "candidate_villages": 3}
    assert (
        gap_texts(shared, "vi")[2]
        == "Xây trạm 4G mới tại vị trí đề xuất dùng điện lưới; một trạm cho 3 thôn lõm (M1)"
    )
    near = {"kind": "5g", "reason": "no_5g (hospital)", "power_need": "existing", "distance_m": 400.0}
    assert gap_texts(near, "vi")[1:] == (
        "Trạm đang phát sóng gần nhất cách 0,4 km",
        "Lắp thêm cell 5G trên trạm đang phát sóng gần địa điểm",
    )
    far = {**near, "power_need": "grid", "distance_m": 2500.0}
    assert gap_texts(far, "vi")[2] == "Xây small cell hoặc trạm 5G mới"


def test_web_map_reason_words_match_the_catalogue() -> None:
    """The web map's interface strings repeat the reason words: they must say the same."""
    source = (Path(__file__).parent.parent / "api" / "coverage_gis_api" / "static" / "app.js").read_text(
        encoding="utf-8"
    )
    for code, (vi, en) in CODES["reason"].items():
        assert f'reason_{code}: "{vi}"' in source, code
        assert f'reason_{code}: "{en}"' in source, code
    assert "RECOMMENDATIONS_VI" not in source  # recommendations come from /v1/gaps?lang=vi
    assert "recommendation_label" in source
