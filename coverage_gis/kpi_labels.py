"""What each column of a KPI row measures, in words, in English and Vietnamese.

Headers of CSV files for scripts (``name: label``), the comments on the KPI headers of
spreadsheets and reports, and the CLI's legend read the words from here
(``docs/architecture.md``: KPIs). :mod:`coverage_gis.kpi` computes the columns.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from coverage_gis.display import Lang
from coverage_gis.speed import SPEED_MEASURES

#: What each column of a KPI row measures, in words for headers, legends and the API docs.
KPI_LABELS: dict[str, str] = {
    "level": "admin level (province, district, commune before the 2025 reform; province_2025, commune_2025)",
    "code": "unit code (GSO; the census id for a commune without one)",
    "name": "unit name",
    "villages": "villages (thôn, làng, ấp, bản…) in the unit",
    "villages_mobile_bb": "villages with mobile broadband (an on-air 3G/4G/5G cell serves the centre)",
    "villages_mobile_bb_pct": "village share: villages with mobile broadband, % of villages",
    "villages_4g_pct": "village share: villages served by on-air 4G, % of villages",
    "villages_5g_pct": "village share: villages served by on-air 5G, % of villages",
    "villages_ftth": "villages passed by FTTH (on-air fiber node or access route within reach of the centre)",
    "villages_ftth_pct": "village share: villages passed by FTTH, % of villages (reach, not subscriptions)",
    "population": "people in the unit's villages (village population; the demo splits the 2009 census)",
    "population_mobile_bb_pct": (
        "population share: people in villages with mobile broadband, % of village population "
        "(2009 census in the shipped boundaries and the demo)"
    ),
    "households": "households in the unit's villages",
    "households_ftth_pct": (
        "households passed: households in villages passed by FTTH, % of households (not subscriptions)"
    ),
    "sites": "on-air BTS sites (masts)",
    "shared_sites": "on-air sites with on-air cells of two or more operators",
    "sites_shared_pct": "site sharing per site: shared sites, % of on-air sites",
    "sites_period": "on-air sites commissioned in the plan period",
    "sites_shared_period_pct": "site sharing per site, sites commissioned in the plan period: shared, %",
    "sites_5g": "on-air sites with an on-air 5G cell",
    "commune_centres": "commune centres (commune_office places)",
    "commune_centres_mobile_bb_pct": "commune centres with mobile broadband, % of commune centres",
    "commune_centres_ftth_pct": "commune centres passed by FTTH, % of commune centres",
    "priority_pois": "priority places of the plan's 5G categories",
    "pois_5g_pct": "priority places with 5G (cell or on-air 5G zone), % of priority places",
    "speed_tests": "speed tests in the unit (a tile counts the tests it stands for)",
    "mobile_download_mbps": SPEED_MEASURES["mobile_download_mbps"].label,
    "fixed_download_mbps": SPEED_MEASURES["fixed_download_mbps"].label,
    "operator_bts": "operator BTS: one per operator with on-air cells on an on-air site",
    "operator_bts_shared_pct": (
        "site sharing per operator BTS: operator BTS on a shared site, % of operator BTS "
        "(a site of two operators counts twice)"
    ),
    "operator_bts_shared_period_pct": (
        "site sharing per operator BTS, sites commissioned in the plan period: on a shared site, %"
    ),
    "villages_2025_inferred": (
        "villages whose 2025 commune was inferred (by name or shared border for a commune the "
        "crosswalk lacks, or as the nearest part of a split commune), not read from the crosswalk"
    ),
    "pop_2009": "2009 census population of the unit held in this workspace (a split commune's part by area)",
    "pop_2009_present_pct": (
        "2009 census population held in this workspace, % of the whole unit (2025 levels)"
    ),
    "partial": (
        "the workspace holds only part of the unit (2025 levels; empty for pre-2025 units, "
        "which the boundaries hold whole)"
    ),
}

#: :data:`KPI_LABELS` in Vietnamese, for planners' spreadsheets and reports.
KPI_LABELS_VI: dict[str, str] = {
    "level": "cấp hành chính (tỉnh, huyện, xã trước sắp xếp năm 2025; province_2025, commune_2025)",
    "code": "mã đơn vị (mã GSO; mã Tổng điều tra với xã không có mã)",
    "name": "tên đơn vị",
    "villages": "số thôn (thôn, làng, ấp, bản…) trong đơn vị",
    "villages_mobile_bb": (
        "số thôn có băng rộng di động (một trạm 3G/4G/5G đang phát sóng phủ tới trung tâm thôn)"
    ),
    "villages_mobile_bb_pct": "tỷ lệ thôn có băng rộng di động, % số thôn",
    "villages_4g_pct": "tỷ lệ thôn được phủ sóng 4G đang phát sóng, % số thôn",
    "villages_5g_pct": "tỷ lệ thôn được phủ sóng 5G đang phát sóng, % số thôn",
    "villages_ftth": (
        "số thôn có cáp quang FTTH đi qua (nút quang hoặc tuyến cáp truy nhập đang hoạt động "
        "trong cự ly phục vụ tới trung tâm thôn)"
    ),
    "villages_ftth_pct": (
        "tỷ lệ thôn có cáp quang FTTH đi qua, % số thôn (khả năng cung cấp, không phải thuê bao)"
    ),
    "population": "dân số các thôn của đơn vị (dân số thôn; dữ liệu mẫu chia từ Tổng điều tra 2009)",
    "population_mobile_bb_pct": (
        "tỷ lệ dân số ở các thôn có băng rộng di động, % dân số các thôn "
        "(Tổng điều tra 2009 trong ranh giới kèm theo và dữ liệu mẫu)"
    ),
    "households": "số hộ gia đình ở các thôn của đơn vị",
    "households_ftth_pct": (
        "tỷ lệ hộ có thể dùng FTTH: hộ ở các thôn có cáp quang FTTH đi qua, % số hộ (không phải thuê bao)"
    ),
    "sites": "số nhà trạm BTS đang phát sóng (cột ăng-ten)",
    "shared_sites": "số nhà trạm đang phát sóng có trạm đang phát sóng của hai doanh nghiệp trở lên",
    "sites_shared_pct": "tỷ lệ dùng chung tính theo nhà trạm: nhà trạm dùng chung, % nhà trạm đang phát sóng",
    "sites_period": "số nhà trạm đang phát sóng đưa vào hoạt động trong kỳ quy hoạch",
    "sites_shared_period_pct": (
        "tỷ lệ dùng chung tính theo nhà trạm, các nhà trạm đưa vào hoạt động trong kỳ quy hoạch: "
        "dùng chung, %"
    ),
    "sites_5g": "số nhà trạm đang phát sóng có trạm 5G đang phát sóng",
    "commune_centres": "số trung tâm xã (trụ sở UBND xã)",
    "commune_centres_mobile_bb_pct": "tỷ lệ trung tâm xã có băng rộng di động, % số trung tâm xã",
    "commune_centres_ftth_pct": "tỷ lệ trung tâm xã có cáp quang FTTH đi qua, % số trung tâm xã",
    "priority_pois": "số điểm ưu tiên thuộc các nhóm phủ sóng 5G của quy hoạch",
    "pois_5g_pct": "tỷ lệ điểm ưu tiên có 5G (trạm hoặc vùng 5G đang hoạt động), % số điểm ưu tiên",
    "speed_tests": "số lần đo tốc độ trong đơn vị (một ô lưới tính số lần đo mà nó đại diện)",
    "mobile_download_mbps": SPEED_MEASURES["mobile_download_mbps"].label_vi,
    "fixed_download_mbps": SPEED_MEASURES["fixed_download_mbps"].label_vi,
    "operator_bts": (
        "số BTS theo doanh nghiệp: mỗi doanh nghiệp có trạm đang phát sóng trên một nhà trạm "
        "đang phát sóng tính là một"
    ),
    "operator_bts_shared_pct": (
        "tỷ lệ dùng chung tính theo BTS doanh nghiệp: BTS trên nhà trạm dùng chung, % số BTS doanh nghiệp "
        "(nhà trạm của hai doanh nghiệp tính hai lần)"
    ),
    "operator_bts_shared_period_pct": (
        "tỷ lệ dùng chung tính theo BTS doanh nghiệp, nhà trạm đưa vào hoạt động trong kỳ quy hoạch: "
        "trên nhà trạm dùng chung, %"
    ),
    "villages_2025_inferred": (
        "số thôn có xã năm 2025 được suy ra (theo tên hoặc ranh giới chung với xã không có trong bảng "
        "chuyển đổi, hoặc phần gần nhất của xã bị chia), không đọc từ bảng chuyển đổi"
    ),
    "pop_2009": (
        "dân số Tổng điều tra 2009 của phần đơn vị có trong không gian làm việc này "
        "(phần của xã bị chia tính theo diện tích)"
    ),
    "pop_2009_present_pct": (
        "dân số Tổng điều tra 2009 có trong không gian làm việc này, % toàn đơn vị (cấp 2025)"
    ),
    "partial": (
        "không gian làm việc chỉ có một phần đơn vị (cấp 2025; để trống với đơn vị trước năm 2025, "
        "có đủ ranh giới)"
    ),
}


def kpi_labels(lang: Lang) -> Mapping[str, str]:
    """What each KPI column measures, in ``lang``."""
    return KPI_LABELS_VI if lang == "vi" else KPI_LABELS


def labelled_headers(columns: Iterable[str]) -> list[str]:
    """Column headers that say what each KPI measures (``name: label``), for CSV and XLSX.

    The name comes first, so a reader can still split it off; ``level``, ``code`` and
    ``name`` (and columns without a label) stay as they are.
    """
    identity = {"level", "code", "name"}
    return [c if c in identity or c not in KPI_LABELS else f"{c}: {KPI_LABELS[c]}" for c in columns]
