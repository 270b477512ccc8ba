"""The message catalogue: every word the toolkit shows a person, in Vietnamese and English.

Owns

- which language a front speaks (:func:`language`: an explicit choice, else
  ``COVGIS_LANG``, else the locale; Vietnamese when the locale is Vietnamese);
- the CLI's own messages (:data:`MESSAGES`, :func:`text`);
- column headers of tables read by people (:data:`HEADERS`, :func:`header`,
  :func:`labels`), with the unit of money columns (đồng or triệu đồng);
- the words for codes: gap reasons, power needs, POI categories, admin levels, gap
  kinds, scorecard statuses and sources (:func:`code_label`, :func:`reason_label`);
- a gap's detail and recommendation in Vietnamese, composed from the gap row's
  *fields* (``reason``, ``reasons``, ``power_need``, ``candidate_id``, distances, the
  tapped fiber) and never from its English sentence (:func:`gap_texts`). English
  keeps the library's own sentences.

The web map keeps its own interface strings in ``app.js`` (its reason words are checked
against :data:`CODES`) but takes Vietnamese gap recommendations from the API
(``/v1/gaps?lang=vi``: ``recommendation_label``), which come from here.
``tests/test_messages.py`` checks that every vocabulary value (``layers/*.yaml``) has a
label in both languages.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from coverage_gis._values import is_missing, plain_value
from coverage_gis.display import LANGS, Lang, MoneyUnit, format_number
from coverage_gis.errors import LayerValidationError

#: Environment variable that chooses the language of the CLI (``vi`` or ``en``).
LANG_ENV = "COVGIS_LANG"
_LOCALE_ENV = ("LC_ALL", "LC_MESSAGES", "LANG")


def check_lang(lang: str) -> Lang:
    """``lang`` when it is ``vi`` or ``en``; :class:`LayerValidationError` otherwise."""
    if lang == "vi":
        return "vi"
    if lang == "en":
        return "en"
    raise LayerValidationError(f"language must be vi or en, not {lang!r}", field="lang")


def language(explicit: str | None = None, environ: Mapping[str, str] | None = None) -> Lang:
    """The language to speak: ``explicit``, else ``COVGIS_LANG``, else the locale.

    The locale is the first of ``LC_ALL``, ``LC_MESSAGES``, ``LANG`` that is set:
    Vietnamese when it starts with ``vi`` (``vi_VN.UTF-8``), English otherwise.
    """
    if explicit:
        return check_lang(explicit)
    env = environ if environ is not None else {}
    chosen = env.get(LANG_ENV, "").strip().lower()
    if chosen:
        if chosen not in LANGS:
            raise LayerValidationError(f"{LANG_ENV} must be vi or en, not {chosen!r}", field=LANG_ENV)
        return check_lang(chosen)
    for name in _LOCALE_ENV:
        value = env.get(name, "")
        if value:
            return "vi" if value.lower().startswith("vi") else "en"
    return "en"


def _pick(pair: tuple[str, str], lang: Lang) -> str:
    return pair[0] if lang == "vi" else pair[1]


# --------------------------------------------------------------------------- messages

#: The CLI's own sentences (``str.format`` fields in braces).
MESSAGES: dict[str, tuple[str, str]] = {
    "none": ("(không có)", "(none)"),
    "more_columns": (
        "(ẩn {hidden} cột: {columns}; xem tất cả với --wide)",
        "({hidden} more columns: {columns}; --wide shows all)",
    ),
    "site_in_no_commune": (
        "ghi chú: trạm {site} không nằm trong xã nào của workspace: kiểm tra tọa độ (kinh độ, vĩ độ)",
        "note: site {site} lies in none of the workspace's communes: check its coordinates (lon, lat)",
    ),
    "sites_without_cells": (
        "ghi chú: {count} trạm đang phát sóng không có cell nào phát sóng ({ids}): không phủ sóng thôn nào; "
        "nhập danh sách cell của chúng (covgis import WS cells TỆP)",
        "note: {count} on-air sites have no on-air cell ({ids}): they cover no village; import their "
        "cells (covgis import WS cells FILE)",
    ),
    "villages_in_no_commune": (
        "ghi chú: {count} thôn không nằm trong xã nào của workspace ({ids}): không được tính vào chỉ tiêu "
        "nào và danh sách điểm lõm nào; kiểm tra tọa độ hoặc ghi census_commune_id",
        "note: {count} villages lie in no commune of the workspace ({ids}): they count in no KPI and "
        "no gap list; check "
        "their coordinates or give their census_commune_id",
    ),
    "computed": (
        "đã tính {villages} thôn bằng mô hình {model} trong {seconds} giây: {mobile} thôn có băng rộng "
        "di động, {ftth} thôn có cáp quang FTTH",
        "computed {villages} villages with the {model} model in {seconds} s: {mobile} with mobile "
        "broadband, {ftth} with FTTH",
    ),
    "tiles_seeded": (
        "đã tính sẵn {base} ô nền z{zoom} ({stored} có vùng phủ) và {pyramid} ô các mức thu nhỏ "
        "(phiên bản {revision}) trong {seconds} giây: {folder}",
        "seeded {base} base tiles at z{zoom} ({stored} with coverage) and {pyramid} coarser tiles "
        "(revision {revision}) in {seconds} s: {folder}",
    ),
    "coverage_current": (
        "vùng phủ đã cập nhật (phiên bản {revision}, mô hình {model}): không cần tính lại",
        "coverage is current (revision {revision}, {model} model): nothing to compute",
    ),
    "kpi_title": ("Chỉ tiêu theo {level}", "KPIs by {level}"),
    "kpi_by_operator_title": ("Chỉ tiêu theo doanh nghiệp và {level}", "KPIs by operator and {level}"),
    "gaps_title": ("{count} điểm lõm {kind}", "{count} {kind} gaps"),
    "gaps_title_filtered": ("{count} điểm lõm {kind} tại {where}", "{count} {kind} gaps in {where}"),
    "scorecard_title": (
        "{title} ({plan}): {met} đạt, {not_met} chưa đạt, {no_data} chưa có số liệu",
        "{title} ({plan}): {met} met, {not_met} not met, {no_data} no data",
    ),
    "wrote_xlsx": ("đã ghi {path}: {rows} dòng", "wrote {path}: {rows} rows"),
    "wrote_report": (
        "đã ghi {path}: {sheets} trang tính ({names}), phiên bản dữ liệu {revision}",
        "wrote {path}: {sheets} sheets ({names}), workspace revision {revision}",
    ),
    "wrote_map": ("đã ghi {path} ({kb} kB): {counts}", "wrote {path} ({kb} kB): {counts}"),
    "map_count": ("{count} điểm lõm {kind}", "{count} {kind} gaps"),
    "shared_cost": ("{cost} cho {count} thôn ({where})", "{cost} for {count} villages ({where})"),
    "counted_here": ("tính ở dòng này", "counted here"),
    "counted_elsewhere": ("đã tính ở thôn khác", "counted on another village"),
    "serving": (
        "đang phục vụ {name} tại http://{host}:{port} (tài liệu API: /docs; QGIS: /ogc; {access}); "
        "Ctrl-C để dừng",
        "serving {name} at http://{host}:{port} (API docs at /docs; QGIS: /ogc; {access}); Ctrl-C stops",
    ),
    "anonymous_on": ("cho phép đọc không cần khóa", "anonymous reads on"),
    "anonymous_off": ("đọc cần khóa API", "reads need an API key"),
    "workers": ("{n} tiến trình", "{n} workers"),
    "port_busy": (
        "cổng {port} trên {host} đang được dùng (một covgis serve khác?): chọn cổng khác bằng --port",
        "port {port} on {host} is already in use (another covgis serve?): choose another with --port",
    ),
    "host_unusable": (
        "không thể mở cổng {port} trên {host}: {reason}",
        "cannot listen on {host} port {port}: {reason}",
    ),
    "created": (
        "đã tạo {path}: {communes} xã ({parts} phần của các xã bị chia tách khi sắp xếp năm 2025), "
        "hệ tọa độ mét {crs}",
        "created {path}: {communes} communes ({parts} parts of communes the 2025 reform split), "
        "metric CRS {crs}",
    ),
    "metric_crs_stretches": (
        "lưu ý: hệ tọa độ mét {crs} kéo giãn khoảng cách tới {ppm} phần triệu trên các xã này ({metres} m "
        "trên 500 m)",
        "note: the metric CRS {crs} stretches distances by up to {ppm} ppm over these communes ({metres} m "
        "in 500 m)",
    ),
    "metric_crs_better": (
        "; múi VN-2000 {better} chỉ {better_ppm} phần triệu: tạo lại với --metric-crs {better}",
        "; the VN-2000 zone {better} by {better_ppm} ppm: init again with --metric-crs {better}",
    ),
    "partial_2025_province": (
        "lưu ý: từ khi sắp xếp năm 2025, {province} gồm cả {others} cũ; chỉ tiêu cấp tỉnh và xã năm 2025 "
        "chỉ tính các xã đã nạp ở đây: thêm {flags} để có trọn tỉnh năm 2025",
        "note: since the 2025 reform {province} also holds the former {others}; its KPIs by province_2025 "
        "and commune_2025 count only the communes loaded here: add {flags} for the 2025 province whole",
    ),
    "imported": (
        "đã nhập {count} đối tượng vào lớp {layer} từ {file}",
        "imported {count} features into {layer} from {file}",
    ),
    "layers_title": ("Không gian làm việc {name} ({path})", "workspace {name} ({path})"),
    "note": ("ghi chú", "note"),
    "legend_title": ("Ý nghĩa các cột:", "What the columns measure:"),
    "measures_title": ("Ý nghĩa các giá trị:", "What the values measure:"),
    "partial_unit": (
        "{name} ({level} {code}) chỉ có một phần: không gian làm việc này có {pct} % dân số "
        "điều tra 2009 của đơn vị",
        "{name} ({level} {code}) is partial: this workspace holds {pct} % of its 2009 census population",
    ),
    "plan_elsewhere": (
        "kế hoạch {plan} dành cho {province} ({code}) nhưng workspace không có thôn nào của tỉnh này "
        "(chỉ có: {holds}): các chỉ tiêu tính từ dữ liệu đều không có số liệu",
        "plan {plan} is for {province} ({code}), and this workspace holds no village of it (it holds: "
        "{holds}): its computed indicators have no data here",
    ),
    "plan_elsewhere_theirs": (
        "; kế hoạch của tỉnh trong workspace: --plan {plan}",
        "; the plan of the province held here: --plan {plan}",
    ),
    "no_villages": ("không thôn nào", "no villages"),
    "unit_2025": (
        "từ cải cách 2025 tỉnh thuộc {name} ({code}), {whole}",
        "since the 2025 reform the province lies in {name} ({code}), {whole}",
    ),
    "unit_2025_partial": (
        "chỉ có một phần: không gian làm việc này có {pct} % dân số điều tra 2009 của tỉnh",
        "partial: this workspace holds {pct} % of its 2009 census population",
    ),
    "unit_2025_whole": ("có đủ trong không gian làm việc này", "whole in this workspace"),
    "unit_2025_unknown": ("chưa rõ dân số toàn tỉnh", "whole population unknown"),
    # the provincial report's information sheet
    "report_title": (
        "Hiện trạng hạ tầng băng rộng theo thôn — {province}",
        "Broadband infrastructure by village — {province}",
    ),
    "coverage_stored": ("đã lưu ở phiên bản {revision}", "stored at revision {revision}"),
    "coverage_in_memory": (
        "tính khi lập báo cáo (chưa lưu: chạy covgis compute)",
        "computed for this report (not stored: run covgis compute)",
    ),
    "shares_rule": (
        "Tỷ lệ (%) làm tròn một chữ số thập phân; không bao giờ hiện 100,0 hay 0,0 nếu thực tế "
        "không đúng như vậy (99,96 hiện là 99,9)",
        "Shares (%) rounded to one decimal; never shown as 100.0 or 0.0 unless exactly so "
        "(99.96 shows as 99.9)",
    ),
    "money_dong": ("đồng (làm tròn đến đồng)", "VND (whole đồng)"),
    "money_million": (
        "triệu đồng (ô lưu số đồng, hiển thị theo triệu)",
        "million VND (cells hold whole đồng, shown in millions)",
    ),
    "source_workspace": (
        "các lớp dữ liệu đã nhập vào không gian làm việc",
        "the workspace's imported layers",
    ),
    # credits (the map's attribution lines too: coverage_gis.tiles.style)
    "credit_boundaries": (
        "Ranh giới xã và dân số năm 2009: censusVN2009, © 2017 Marc Choisy, giấy phép MIT.",
        "Commune boundaries and 2009 census population: censusVN2009, © 2017 Marc Choisy, MIT licence.",
    ),
    "credit_synthetic": (
        "Thôn, trạm, cáp quang: dữ liệu mô phỏng",
        "Villages, sites and fiber: synthetic demo data",
    ),
}


def text(key: str, lang: Lang, **fields: Any) -> str:
    """Message ``key`` of :data:`MESSAGES` in ``lang`` with ``fields`` filled in."""
    return _pick(MESSAGES[key], lang).format(**fields)


# --------------------------------------------------------------------------- codes

#: Words for codes, by kind of code: code → (Vietnamese, English).
CODES: dict[str, dict[str, tuple[str, str]]] = {
    "reason": {
        "no_grid_power": ("Không có điện lưới", "No grid power"),
        "no_site_in_range": ("Không có trạm trong vùng phủ", "No site in range"),
        "terrain_shadow": ("Bị địa hình che khuất", "Terrain shadow"),
        "planned_site_not_on_air": ("Trạm quy hoạch chưa phát sóng", "Planned site not on air"),
        "measured_no_service": ("Đo kiểm không có dịch vụ", "Measured: no service"),
        "fiber_too_far": ("Cáp quang quá xa", "Fiber too far"),
        "no_fiber_operator": ("Không có cáp quang gần", "No fiber operator nearby"),
        "no_5g": ("Chưa có 5G", "No 5G"),
    },
    "power_need": {
        "grid": ("Điện lưới", "Grid power"),
        "solar_hybrid": ("Điện mặt trời/hybrid", "Solar/hybrid power"),
        "existing": ("Nguồn điện sẵn có", "Existing power"),
    },
    "category": {
        "district_centre": ("trung tâm huyện", "district centre"),
        "industrial_zone": ("khu công nghiệp", "industrial zone"),
        "high_tech_park": ("khu công nghệ cao", "high-tech park"),
        "hospital": ("bệnh viện", "hospital"),
        "school": ("trường học", "school"),
        "station": ("nhà ga", "station"),
        "seaport": ("cảng biển", "seaport"),
        "airport": ("sân bay", "airport"),
        "tourist_area": ("khu du lịch", "tourist area"),
        "commune_office": ("trụ sở xã", "commune office"),
    },
    "level": {
        "province": ("tỉnh", "province"),
        "district": ("huyện", "district"),
        "commune": ("xã", "commune"),
        "province_2025": ("tỉnh (từ 2025)", "province (2025)"),
        "commune_2025": ("xã (từ 2025)", "commune (2025)"),
    },
    "gap_kind": {
        "mobile": ("di động", "mobile"),
        "ftth": ("cáp quang FTTH", "FTTH"),
        "5g": ("5G", "5G"),
    },
    "status": {
        "met": ("đạt", "met"),
        "not_met": ("chưa đạt", "not met"),
        "no_data": ("chưa có số liệu", "no data"),
    },
    "unit": {
        "percent": ("%", "%"),
        "count": ("số lượng", "count"),
        "mbps": ("Mbps", "Mbps"),
        "per_100_people": ("trên 100 dân", "per 100 people"),
        "per_100_households": ("trên 100 hộ", "per 100 households"),
    },
    "report_sheet": {
        "about": ("Thông tin", "About"),
        "province": ("Chỉ tiêu tỉnh", "KPIs by province"),
        "district": ("Chỉ tiêu huyện", "KPIs by district"),
        "commune": ("Chỉ tiêu xã", "KPIs by commune"),
        "province_2025": ("Chỉ tiêu tỉnh (từ 2025)", "KPIs by province (2025)"),
        "commune_2025": ("Chỉ tiêu xã (từ 2025)", "KPIs by commune (2025)"),
        "scorecard": ("Thẻ điểm", "Scorecard"),
        "gaps_mobile": ("Lõm sóng di động", "Mobile gaps"),
        "gaps_ftth": ("Thôn chưa có FTTH", "FTTH gaps"),
        "gaps_5g": ("Địa điểm chưa có 5G", "5G gaps"),
    },
    "report_item": {
        "title": ("Báo cáo", "Report"),
        "province": ("Tỉnh", "Province"),
        "workspace": ("Không gian làm việc", "Workspace"),
        "revision": ("Phiên bản dữ liệu", "Workspace revision"),
        "coverage": ("Vùng phủ", "Coverage"),
        "model": ("Mô hình phủ sóng", "Coverage model"),
        "plan": ("Quy hoạch", "Plan"),
        "date": ("Ngày lập", "Date"),
        "layers": ("Dữ liệu", "Layers"),
        "source": ("Nguồn dữ liệu", "Data sources"),
        "shares": ("Cách hiển thị tỷ lệ", "How shares are shown"),
        "money": ("Đơn vị tiền", "Money"),
        "software": ("Phần mềm", "Software"),
    },
    "source": {
        "computed": ("tính từ dữ liệu", "computed"),
        "indicator table": ("bảng số liệu", "indicator table"),
        "measured": ("đo kiểm", "measured"),
        "no data": ("chưa có số liệu", "no data"),
        "insufficient data": ("chưa đủ mẫu", "insufficient data"),
    },
}


def code_label(kind: str, code: Any, lang: Lang) -> str:
    """The word for ``code`` (of ``kind`` in :data:`CODES`); the code itself when it has none."""
    if is_missing(code):
        return ""
    value = str(plain_value(code))
    found = CODES[kind].get(value)
    return _pick(found, lang) if found is not None else value


def reason_label(code: Any, lang: Lang) -> str:
    """A gap reason in words: one code, a comma-separated list, or ``no_5g (category)``."""
    if is_missing(code) or not str(code):
        return ""
    value = str(code)
    if value.startswith("no_5g (") and value.endswith(")"):
        category = value[len("no_5g (") : -1]
        return f"{code_label('reason', 'no_5g', lang)} ({code_label('category', category, lang)})"
    return "; ".join(code_label("reason", part.strip(), lang) for part in value.split(",") if part.strip())


# --------------------------------------------------------------------------- headers

#: Column headers for people: column → (Vietnamese, English). Money columns carry no
#: unit here (:func:`header` adds đồng or triệu đồng).
HEADERS: dict[str, tuple[str, str]] = {
    # units and identity
    "level": ("Cấp", "Level"),
    "code": ("Mã", "Code"),
    "name": ("Tên", "Name"),
    "id": ("Mã", "Id"),
    "rank": ("Thứ tự", "Rank"),
    "kind": ("Loại", "Kind"),
    "operator": ("Doanh nghiệp", "Operator"),
    "province_code": ("Mã tỉnh", "Province code"),
    "province_name": ("Tỉnh", "Province"),
    "district_code": ("Mã huyện", "District code"),
    "district_name": ("Huyện", "District"),
    "commune_code": ("Mã xã", "Commune code"),
    "commune_name": ("Xã", "Commune"),
    "census_commune_id": ("Mã xã (điều tra 2009)", "Commune id (2009 census)"),
    "province_2025": ("Mã tỉnh (từ 2025)", "Province code (2025)"),
    "province_2025_name": ("Tỉnh (từ 2025)", "Province (2025)"),
    "commune_2025": ("Mã xã (từ 2025)", "Commune code (2025)"),
    "commune_2025_name": ("Xã (từ 2025)", "Commune (2025)"),
    "lon": ("Kinh độ", "Longitude"),
    "lat": ("Vĩ độ", "Latitude"),
    # KPIs (kpi.KPI_COLUMNS)
    "villages": ("Số thôn", "Villages"),
    "villages_mobile_bb": ("Số thôn có băng rộng di động", "Villages with mobile broadband"),
    "villages_mobile_bb_pct": ("Thôn có băng rộng di động (%)", "Villages with mobile broadband (%)"),
    "villages_4g_pct": ("Thôn có 4G (%)", "Villages with 4G (%)"),
    "villages_5g_pct": ("Thôn có 5G (%)", "Villages with 5G (%)"),
    "villages_ftth": ("Số thôn có cáp quang FTTH", "Villages with FTTH"),
    "villages_ftth_pct": ("Thôn có cáp quang FTTH (%)", "Villages with FTTH (%)"),
    "population": ("Dân số", "Population"),
    "population_mobile_bb_pct": ("Dân số có băng rộng di động (%)", "Population with mobile broadband (%)"),
    "households": ("Số hộ", "Households"),
    "households_ftth_pct": ("Hộ có thể dùng FTTH (%)", "Households passed by FTTH (%)"),
    "sites": ("Số trạm BTS", "BTS sites"),
    "shared_sites": ("Số trạm dùng chung", "Shared sites"),
    "sites_shared_pct": ("Trạm dùng chung (%)", "Shared sites (%)"),
    "sites_period": ("Trạm mới trong kỳ", "Sites built in the plan period"),
    "sites_shared_period_pct": ("Trạm mới trong kỳ dùng chung (%)", "Period sites shared (%)"),
    "sites_5g": ("Số trạm có 5G", "Sites with 5G"),
    "commune_centres": ("Số trung tâm xã", "Commune centres"),
    "commune_centres_mobile_bb_pct": (
        "Trung tâm xã có băng rộng di động (%)",
        "Commune centres with mobile broadband (%)",
    ),
    "commune_centres_ftth_pct": ("Trung tâm xã có FTTH (%)", "Commune centres with FTTH (%)"),
    "priority_pois": ("Số địa điểm ưu tiên 5G", "Priority places for 5G"),
    "pois_5g_pct": ("Địa điểm ưu tiên có 5G (%)", "Priority places with 5G (%)"),
    "speed_tests": ("Số phép đo tốc độ", "Speed tests"),
    "mobile_download_mbps": ("Tốc độ tải xuống di động (Mbps)", "Mobile download (Mbps)"),
    "fixed_download_mbps": ("Tốc độ tải xuống cố định (Mbps)", "Fixed download (Mbps)"),
    "operator_bts": ("Số BTS theo doanh nghiệp", "Operator BTS"),
    "operator_bts_shared_pct": ("BTS dùng chung (%)", "Operator BTS shared (%)"),
    "operator_bts_shared_period_pct": ("BTS mới trong kỳ dùng chung (%)", "Period operator BTS shared (%)"),
    "villages_2025_inferred": ("Thôn xếp xã 2025 theo suy luận", "Villages placed in 2025 by inference"),
    "pop_2009": ("Dân số 2009 trong dữ liệu", "2009 population held"),
    "pop_2009_present_pct": ("Dân số 2009 có trong dữ liệu (%)", "2009 population held (%)"),
    "partial": ("Chỉ có một phần đơn vị", "Partial unit"),
    # gaps (gaps.GAP_COLUMNS)
    "reason": ("Nguyên nhân", "Reason"),
    "reasons": ("Các nguyên nhân", "All reasons"),
    "detail": ("Chi tiết", "Detail"),
    "recommendation": ("Đề xuất", "Recommendation"),
    "candidate_id": ("Mã vị trí đề xuất", "Candidate"),
    "candidate_villages": ("Số thôn vị trí đề xuất phục vụ", "Villages the candidate serves"),
    "candidate_lon": ("Kinh độ vị trí đề xuất", "Candidate longitude"),
    "candidate_lat": ("Vĩ độ vị trí đề xuất", "Candidate latitude"),
    "power_need": ("Nguồn điện", "Power"),
    "distance_m": ("Khoảng cách (m)", "Distance (m)"),
    "road_length_m": ("Theo đường giao thông (m)", "Along roads (m)"),
    "tap_id": ("Điểm đấu nối", "Tap"),
    "tap_operator": ("Doanh nghiệp cáp quang", "Fiber operator"),
    "tap_class": ("Cấp tuyến đấu nối", "Tap class"),
    "tap_node_kind": ("Loại nút đấu nối", "Tap node kind"),
    "tap_status": ("Trạng thái điểm đấu nối", "Tap status"),
    "olt_id": ("OLT", "OLT"),
    "olt_distance_m": ("Khoảng cách tới OLT (m)", "Distance to OLT (m)"),
    "within_pon_reach": ("Trong tầm PON", "Within PON reach"),
    "cost_vnd": ("Chi phí ước tính", "Estimated cost"),
    "candidate_cost_vnd": ("Chi phí vị trí đề xuất", "Candidate cost"),
    # villages and their coverage
    "village_id": ("Mã thôn", "Village id"),
    "has_grid_power": ("Có điện lưới", "Grid power"),
    "mobile_bb": ("Có băng rộng di động", "Mobile broadband"),
    "best_tech": ("Công nghệ tốt nhất", "Best technology"),
    "operators": ("Doanh nghiệp phủ sóng", "Operators"),
    "n_operators": ("Số doanh nghiệp", "Operators (count)"),
    "best_signal_dbm": ("Mức tín hiệu tốt nhất (dBm)", "Best signal (dBm)"),
    "has_4g": ("Có 4G", "4G"),
    "has_5g": ("Có 5G", "5G"),
    "ftth": ("Có cáp quang FTTH", "FTTH"),
    "ftth_operators": ("Doanh nghiệp FTTH", "FTTH operators"),
    "fiber_distance_m": ("Cách cáp quang (m)", "Distance to fiber (m)"),
    "mobile_gap_reason": ("Nguyên nhân lõm di động", "Mobile gap reason"),
    "ftth_gap_reason": ("Nguyên nhân chưa có FTTH", "FTTH gap reason"),
    "override": ("Theo đo kiểm", "Set by measurements"),
    "revision": ("Phiên bản", "Revision"),
    # scorecard
    "indicator": ("Chỉ tiêu", "Indicator"),
    "kpi": ("Mã chỉ tiêu", "KPI"),
    "label": ("Nội dung", "Indicator text"),
    "label_vi": ("Nội dung", "Text (Vietnamese)"),
    "label_en": ("Nội dung (tiếng Anh)", "Indicator text"),
    "comparator": ("So sánh", "Comparator"),
    "target": ("Mục tiêu", "Target"),
    "unit": ("Đơn vị", "Unit"),
    "actual": ("Thực tế", "Actual"),
    "status": ("Đánh giá", "Status"),
    "source": ("Nguồn số liệu", "Source"),
    "sample_size": ("Số mẫu", "Sample size"),
    "ci_low": ("Cận dưới khoảng tin cậy", "CI low"),
    "ci_high": ("Cận trên khoảng tin cậy", "CI high"),
    "as_of": ("Số liệu ngày", "As of"),
    "deadline": ("Thời hạn", "Deadline"),
    "section": ("Mục trong văn bản", "Plan section"),
    # sites and layers
    "site_id": ("Mã trạm", "Site id"),
    "owner": ("Chủ sở hữu", "Owner"),
    "height_m": ("Độ cao cột (m)", "Mast height (m)"),
    "commissioned": ("Ngày phát sóng", "Commissioned"),
    "layer": ("Lớp", "Layer"),
    "features": ("Số đối tượng", "Features"),
    "geometry_type": ("Kiểu hình học", "Geometry"),
    "title": ("Tên lớp", "Title"),
    # the report's information sheet
    "item": ("Mục", "Item"),
    "value": ("Giá trị", "Value"),
}

#: Units of money columns in headers (by :data:`coverage_gis.display.MONEY_UNITS`).
_MONEY_HEADER: dict[str, tuple[str, str]] = {
    "dong": ("đồng", "VND"),
    "million": ("triệu đồng", "million VND"),
}


def header(column: str, lang: Lang, *, money: MoneyUnit = "dong") -> str:
    """The header of ``column`` for people (the column name itself when it has no label)."""
    found = HEADERS.get(column)
    base = _pick(found, lang) if found is not None else column
    if column.endswith("_vnd"):
        return f"{base} ({_pick(_MONEY_HEADER[money], lang)})"
    return base


def labels(columns: Iterable[str], *, money: MoneyUnit = "dong") -> dict[str, tuple[str, str]]:
    """Header labels (Vietnamese, English) of ``columns``, for :class:`coverage_gis.reports.Sheet`.

    ``lon``/``lat`` are always labelled: the sheet writer adds them for a geometry.
    """
    return {c: (header(c, "vi", money=money), header(c, "en", money=money)) for c in (*columns, "lon", "lat")}


# --------------------------------------------------------------------------- plan workbook

#: Sheet titles of a plan workbook (``covgis plan --out``; coverage_gis.planning.export).
PLAN_SHEET_TITLES: dict[str, tuple[str, str]] = {
    "actions": ("Trình tự đầu tư", "Actions"),
    "sites": ("Trạm đề xuất", "Proposed sites"),
    "fiber": ("Tuyến cáp mới", "New fiber"),
    "connections": ("Kết nối cáp quang", "Fiber connections"),
    "villages": ("Thôn chưa phủ sóng", "Gap villages"),
    "curve": ("Chỉ tiêu theo chi phí", "KPI vs cost"),
}

_PLAN_HEADERS: dict[str, tuple[str, str]] = {
    "site_id": ("Mã trạm", "Site id"),
    "candidate_id": ("Mã vị trí ứng viên", "Candidate id"),
    "kind": ("Loại", "Kind"),
    "operator": ("Doanh nghiệp", "Operator"),
    "name": ("Tên", "Name"),
    "x_m": ("X (m)", "X (m)"),
    "y_m": ("Y (m)", "Y (m)"),
    "height_m": ("Độ cao cột (m)", "Mast height (m)"),
    "power": ("Nguồn điện", "Power"),
    "grid_extension_m": ("Kéo điện lưới (m)", "Grid extension (m)"),
    "road_access_m": ("Cách đường (m)", "Road access (m)"),
    "slope_deg": ("Độ dốc (°)", "Slope (°)"),
    "environment": ("Môi trường", "Environment"),
    "villages_covered": ("Số thôn phủ được", "Villages covered"),
    "population": ("Dân số", "Population"),
    "cost_vnd": ("Chi phí (đồng)", "Cost (VND)"),
    "phase": ("Bước", "Phase"),
    "year": ("Năm", "Year"),
    "route_id": ("Mã tuyến", "Route id"),
    "branch_id": ("Mã kết nối", "Connection id"),
    "class": ("Cấp tuyến", "Class"),
    "length_m": ("Chiều dài (m)", "Length (m)"),
    "road_m": ("Theo đường (m)", "Along roads (m)"),
    "offroad_m": ("Ngoài đường (m)", "Off road (m)"),
    "straight_line": ("Ước tính đường thẳng", "Straight-line estimate"),
    "chosen": ("Được chọn", "Chosen"),
    "village_id": ("Mã thôn", "Village id"),
    "parent_branch": ("Nối từ kết nối", "Hangs from"),
    "status": ("Tình trạng", "Status"),
    "closed_by": ("Giải pháp", "Closed by"),
    "action": ("Hạng mục", "Action"),
    "id": ("Mã", "Id"),
    "detail": ("Chi tiết", "Detail"),
    "cumulative_cost_vnd": ("Chi phí lũy kế (đồng)", "Cumulative cost (VND)"),
    "population_gained": ("Dân số được phục vụ thêm", "Population gained"),
    "population_per_million_vnd": ("Dân số / triệu đồng", "Population per million VND"),
    "step": ("Bước", "Step"),
    "villages_mobile": ("Số thôn có băng rộng di động", "Villages with mobile broadband"),
    "villages_mobile_pct": ("Tỷ lệ thôn có băng rộng di động (%)", "Villages with mobile broadband (%)"),
    "villages_ftth": ("Số thôn có cáp quang", "Villages with FTTH"),
    "villages_ftth_pct": ("Tỷ lệ thôn có cáp quang (%)", "Villages with FTTH (%)"),
    "population_mobile_pct": ("Dân số có băng rộng di động (%)", "Population with mobile broadband (%)"),
    "population_ftth_pct": ("Dân số có cáp quang (%)", "Population with FTTH (%)"),
    "lon": ("Kinh độ", "Longitude"),
    "lat": ("Vĩ độ", "Latitude"),
}

#: Header labels of a plan's tables (a column's meaning can differ between tables).
PLAN_TABLE_LABELS: dict[str, dict[str, tuple[str, str]]] = {
    "sites": {**_PLAN_HEADERS, "villages": ("Thôn được phủ sóng", "Villages served")},
    "fiber": {**_PLAN_HEADERS, "villages": ("Số thôn dùng chung", "Villages sharing it")},
    "connections": _PLAN_HEADERS,
    "villages": {**_PLAN_HEADERS, "kind": ("Thiếu dịch vụ", "Gap kind")},
    "actions": _PLAN_HEADERS,
    "curve": _PLAN_HEADERS,
}


# --------------------------------------------------------------------------- gap texts


def _field(row: Mapping[str, Any], name: str) -> Any:
    value = row.get(name)
    return None if is_missing(value) else plain_value(value)


def _km(metres: Any, lang: Lang) -> str:
    return format_number(float(metres) / 1000.0, 1, lang=lang)


def _mobile_vi(row: Mapping[str, Any]) -> tuple[str, str]:
    reason = str(_field(row, "reason") or "")
    reasons = str(_field(row, "reasons") or reason).split(",")
    power = _field(row, "power_need")
    candidate = _field(row, "candidate_id")
    distance = _field(row, "distance_m")
    detail = (
        f"Trạm băng rộng đang phát sóng gần nhất cách {_km(distance, 'vi')} km"
        if distance is not None
        else "Không có trạm băng rộng nào đang phát sóng"
    )
    solar = "dùng điện mặt trời/hybrid (thôn chưa có điện lưới)"
    if reason == "planned_site_not_on_air":
        site = f"trạm quy hoạch {candidate}" if candidate else "trạm quy hoạch gần nhất"
        action = f"Đưa {site} vào phát sóng" + (f", {solar}" if power == "solar_hybrid" else "")
    elif power == "existing":  # a mast on air: its power and transmission are there
        action = f"Lắp thêm cell 4G trên trạm đang phát sóng {candidate} (dùng chung hoặc nâng cấp cột)"
    else:
        if "terrain_shadow" in reasons:
            action = "Xây trạm 4G mới (hoặc trạm lặp) nhìn thẳng tới thôn"
        else:
            action = "Xây trạm 4G mới tại vị trí đề xuất"
        action += f" {solar}" if power == "solar_hybrid" else " dùng điện lưới"
    served = _field(row, "candidate_villages")
    if served is not None and int(served) > 1:
        action += f"; một trạm cho {int(served)} thôn lõm" + (f" ({candidate})" if candidate else "")
    return detail, action


def _ftth_vi(row: Mapping[str, Any]) -> tuple[str, str]:
    distance = _field(row, "distance_m")
    if distance is None:
        return (
            "Không có cáp quang đang khai thác để đấu nối",
            "Không có cáp quang của doanh nghiệp nào ở gần: quy hoạch tuyến phân phối mới",
        )
    road = _field(row, "road_length_m")
    tap, operator = _field(row, "tap_id"), _field(row, "tap_operator")
    detail = f"Cáp quang đang khai thác gần nhất cách {_km(distance, 'vi')} km theo đường chim bay"
    if road is not None:
        detail += f", {_km(road, 'vi')} km theo đường giao thông"
        action = f"Kéo cáp quang truy nhập {_km(road, 'vi')} km theo đường giao thông"
    else:
        action = f"Kéo cáp quang truy nhập (cách {_km(distance, 'vi')} km theo đường chim bay)"
    if tap:
        action += f" từ {tap}" + (f" của {operator}" if operator else "")
        if _field(row, "tap_status") == "planned":
            action += " (quy hoạch) khi tuyến này đưa vào khai thác"
    action += " và lắp bộ chia quang"
    if _field(row, "within_pon_reach") is False or (tap and "olt_id" in row and not _field(row, "olt_id")):
        action += "; bổ sung OLT trong tầm PON"
    return detail, action


def _five_g_vi(row: Mapping[str, Any]) -> tuple[str, str]:
    distance = _field(row, "distance_m")
    if distance is None:
        return "Không có trạm nào đang phát sóng", "Xây trạm 5G mới"
    detail = f"Trạm đang phát sóng gần nhất cách {_km(distance, 'vi')} km"
    if _field(row, "power_need") == "existing":
        return detail, "Lắp thêm cell 5G trên trạm đang phát sóng gần địa điểm"
    return detail, "Xây small cell hoặc trạm 5G mới"


def gap_texts(row: Mapping[str, Any], lang: Lang) -> tuple[str, str, str]:
    """A gap row's reason, detail and recommendation in ``lang``.

    Vietnamese is composed from the row's fields (its kind, reason codes, power need,
    candidate, distances and tapped fiber); English keeps the library's sentences.
    """
    reason = reason_label(row.get("reason"), lang)
    if lang == "en":
        return reason, str(_field(row, "detail") or ""), str(_field(row, "recommendation") or "")
    kind = _field(row, "kind")
    if kind == "ftth":
        detail, action = _ftth_vi(row)
    elif kind == "5g":
        detail, action = _five_g_vi(row)
    else:
        detail, action = _mobile_vi(row)
    return reason, detail, action


def gap_labels(gaps: pd.DataFrame, lang: Lang) -> pd.DataFrame:
    """``reason``, ``detail`` and ``recommendation`` of every gap row in ``lang`` (same index).

    Also ``reasons`` and ``power_need`` in words when the gap list has them.
    """
    rows = [dict(zip(gaps.columns, values, strict=True)) for values in gaps.itertuples(index=False)]
    texts = [gap_texts(row, lang) for row in rows]
    out = pd.DataFrame(
        {
            "reason": [t[0] for t in texts],
            "detail": [t[1] for t in texts],
            "recommendation": [t[2] for t in texts],
        },
        index=gaps.index,
    )
    if "reasons" in gaps:
        out["reasons"] = [reason_label(row.get("reasons"), lang) for row in rows]
    if "power_need" in gaps:
        out["power_need"] = [code_label("power_need", row.get("power_need"), lang) for row in rows]
    return out


def translated_gaps(gaps: pd.DataFrame, lang: Lang) -> pd.DataFrame:
    """A copy of a gap list whose codes and sentences are words in ``lang`` (for people)."""
    out = gaps.copy()
    for column, values in gap_labels(gaps, lang).items():
        out[column] = values.to_numpy(dtype=object)
    return out
