"""What each column of a KPI row measures, in words, in English and Vietnamese.

Headers of CSV files for scripts (``name: label``), the comments on the KPI headers of
spreadsheets and reports, and the CLI's legend read the words from here
(``docs/architecture.md``: KPIs). :mod:`coverage_gis.kpi` computes the columns.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from coverage_gis.display import Lang
from coverage_gis.speed import SPEED_MEASURES

#: What each column of a KPI row measures, in words: (English, Vietnamese).
_LABELS: dict[str, tuple[str, str]] = {
    "level": (
        "admin level (province, district, commune before the 2025 reform; province_2025, commune_2025)",
        "cấp hành chính (tỉnh, huyện, xã trước sắp xếp năm 2025; province_2025, commune_2025)",
    ),
    "code": (
        "unit code (GSO; the census id for a commune without one)",
        "mã đơn vị (mã GSO; mã Tổng điều tra với xã không có mã)",
    ),
    "name": (
        "unit name",
        "tên đơn vị",
    ),
    "villages": (
        "villages (thôn, làng, ấp, bản…) in the unit",
        "số thôn (thôn, làng, ấp, bản…) trong đơn vị",
    ),
    "villages_mobile_bb": (
        "villages with mobile broadband (an on-air 3G/4G/5G cell serves the centre)",
        "số thôn có băng rộng di động (một trạm 3G/4G/5G đang phát sóng phủ tới trung tâm thôn)",
    ),
    "villages_mobile_bb_pct": (
        "village share: villages with mobile broadband, % of villages",
        "tỷ lệ thôn có băng rộng di động, % số thôn",
    ),
    "villages_4g_pct": (
        "village share: villages served by on-air 4G, % of villages",
        "tỷ lệ thôn được phủ sóng 4G đang phát sóng, % số thôn",
    ),
    "villages_5g_pct": (
        "village share: villages served by on-air 5G, % of villages",
        "tỷ lệ thôn được phủ sóng 5G đang phát sóng, % số thôn",
    ),
    "villages_ftth": (
        "villages passed by FTTH (on-air fiber node or access route within reach of the centre)",
        "số thôn có cáp quang FTTH đi qua (nút quang hoặc tuyến cáp truy nhập đang hoạt động "
        "trong cự ly phục vụ tới trung tâm thôn)",
    ),
    "villages_ftth_pct": (
        "village share: villages passed by FTTH, % of villages (reach, not subscriptions)",
        "tỷ lệ thôn có cáp quang FTTH đi qua, % số thôn (khả năng cung cấp, không phải thuê bao)",
    ),
    "population": (
        "people in the unit's villages (village population; the demo splits the 2009 census)",
        "dân số các thôn của đơn vị (dân số thôn; dữ liệu mẫu chia từ Tổng điều tra 2009)",
    ),
    "population_mobile_bb_pct": (
        "population share: people in villages with mobile broadband, % of village population "
        "(2009 census in the shipped boundaries and the demo)",
        "tỷ lệ dân số ở các thôn có băng rộng di động, % dân số các thôn "
        "(Tổng điều tra 2009 trong ranh giới kèm theo và dữ liệu mẫu)",
    ),
    "households": (
        "households in the unit's villages",
        "số hộ gia đình ở các thôn của đơn vị",
    ),
    "households_ftth_pct": (
        "households passed: households in villages passed by FTTH, % of households (not subscriptions)",
        "tỷ lệ hộ có thể dùng FTTH: hộ ở các thôn có cáp quang FTTH đi qua, % số hộ (không phải thuê bao)",
    ),
    "sites": (
        "on-air BTS sites (masts)",
        "số nhà trạm BTS đang phát sóng (cột ăng-ten)",
    ),
    "shared_sites": (
        "on-air sites with on-air cells of two or more operators",
        "số nhà trạm đang phát sóng có trạm đang phát sóng của hai doanh nghiệp trở lên",
    ),
    "sites_shared_pct": (
        "site sharing per site: shared sites, % of on-air sites",
        "tỷ lệ dùng chung tính theo nhà trạm: nhà trạm dùng chung, % nhà trạm đang phát sóng",
    ),
    "sites_period": (
        "on-air sites commissioned in the plan period",
        "số nhà trạm đang phát sóng đưa vào hoạt động trong kỳ quy hoạch",
    ),
    "sites_shared_period_pct": (
        "site sharing per site, sites commissioned in the plan period: shared, %",
        "tỷ lệ dùng chung tính theo nhà trạm, các nhà trạm đưa vào hoạt động trong kỳ quy hoạch: "
        "dùng chung, %",
    ),
    "sites_5g": (
        "on-air sites with an on-air 5G cell",
        "số nhà trạm đang phát sóng có trạm 5G đang phát sóng",
    ),
    "commune_centres": (
        "commune centres (commune_office places)",
        "số trung tâm xã (trụ sở UBND xã)",
    ),
    "commune_centres_mobile_bb_pct": (
        "commune centres with mobile broadband, % of commune centres",
        "tỷ lệ trung tâm xã có băng rộng di động, % số trung tâm xã",
    ),
    "commune_centres_ftth_pct": (
        "commune centres passed by FTTH, % of commune centres",
        "tỷ lệ trung tâm xã có cáp quang FTTH đi qua, % số trung tâm xã",
    ),
    "priority_pois": (
        "priority places of the plan's 5G categories",
        "số điểm ưu tiên thuộc các nhóm phủ sóng 5G của quy hoạch",
    ),
    "pois_5g_pct": (
        "priority places with 5G (cell or on-air 5G zone), % of priority places",
        "tỷ lệ điểm ưu tiên có 5G (trạm hoặc vùng 5G đang hoạt động), % số điểm ưu tiên",
    ),
    "speed_tests": (
        "speed tests in the unit (a tile counts the tests it stands for)",
        "số lần đo tốc độ trong đơn vị (một ô lưới tính số lần đo mà nó đại diện)",
    ),
    "mobile_download_mbps": (
        SPEED_MEASURES["mobile_download_mbps"].words("en"),
        SPEED_MEASURES["mobile_download_mbps"].words("vi"),
    ),
    "fixed_download_mbps": (
        SPEED_MEASURES["fixed_download_mbps"].words("en"),
        SPEED_MEASURES["fixed_download_mbps"].words("vi"),
    ),
    "operator_bts": (
        "operator BTS: one per operator with on-air cells on an on-air site",
        "số BTS theo doanh nghiệp: mỗi doanh nghiệp có trạm đang phát sóng trên một nhà trạm "
        "đang phát sóng tính là một",
    ),
    "operator_bts_shared_pct": (
        "site sharing per operator BTS: operator BTS on a shared site, % of operator BTS "
        "(a site of two operators counts twice)",
        "tỷ lệ dùng chung tính theo BTS doanh nghiệp: BTS trên nhà trạm dùng chung, % số BTS doanh nghiệp "
        "(nhà trạm của hai doanh nghiệp tính hai lần)",
    ),
    "operator_bts_shared_period_pct": (
        "site sharing per operator BTS, sites commissioned in the plan period: on a shared site, %",
        "tỷ lệ dùng chung tính theo BTS doanh nghiệp, nhà trạm đưa vào hoạt động trong kỳ quy hoạch: "
        "trên nhà trạm dùng chung, %",
    ),
    "villages_2025_inferred": (
        "villages whose 2025 commune was inferred (by name or shared border for a commune the "
        "crosswalk lacks, or as the nearest part of a split commune), not read from the crosswalk",
        "số thôn có xã năm 2025 được suy ra (theo tên hoặc ranh giới chung với xã không có trong bảng "
        "chuyển đổi, hoặc phần gần nhất của xã bị chia), không đọc từ bảng chuyển đổi",
    ),
    "pop_2009": (
        "2009 census population of the unit held in this workspace (a split commune's part by area)",
        "dân số Tổng điều tra 2009 của phần đơn vị có trong không gian làm việc này "
        "(phần của xã bị chia tính theo diện tích)",
    ),
    "pop_2009_present_pct": (
        "2009 census population held in this workspace, % of the whole unit (2025 levels)",
        "dân số Tổng điều tra 2009 có trong không gian làm việc này, % toàn đơn vị (cấp 2025)",
    ),
    "partial": (
        "the workspace holds only part of the unit (2025 levels; empty for pre-2025 units, "
        "which the boundaries hold whole)",
        "không gian làm việc chỉ có một phần đơn vị (cấp 2025; để trống với đơn vị trước năm 2025, "
        "có đủ ranh giới)",
    ),
}

#: What each column of a KPI row measures, in English (headers, legends and the API docs).
KPI_LABELS: dict[str, str] = {column: words[0] for column, words in _LABELS.items()}
#: :data:`KPI_LABELS` in Vietnamese, for planners' spreadsheets, reports and legends.
KPI_LABELS_VI: dict[str, str] = {column: words[1] for column, words in _LABELS.items()}


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
