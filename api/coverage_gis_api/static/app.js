/* coverage-gis web gap map.
 *
 * Plain JavaScript, no build step: MapLibre GL JS comes from /static/maplibre-gl.js
 * (the maplibre Python wheel), the style from /map/style.json (built from
 * layers/*.yaml), data from the query API (/v1/gaps, /v1/kpis). Vietnamese labels
 * and number formats by default, English on the toggle.
 *
 * Browser tests rely on: #map, #gap-list li[data-id], #gap-search, #district-filter,
 * #lang-toggle, #coverage-toggle, #signal-toggle, .gap-kind[data-kind], #layers-panel, and
 * window.__mapReady (true once the map has loaded and gone idle and the gap list is
 * rendered). The language comes from ?lang=vi|en, else the last choice, else Vietnamese.
 *
 * Overlays drawn from GeoJSON (the proposed fiber of FTTH gaps, the latest plan's sites
 * and fiber, the challenges of /v1/challenges, and any layer added later) are one call each:
 *   addGeoJsonOverlay(name, url)
 * where `name` is an entry of `overlays` in layers/map_style.yaml (its layers and legend
 * come with the style's metadata, "covgis:overlays").
 */
(function () {
  "use strict";

  // ---- labels ---------------------------------------------------------------------
  const I18N = {
    vi: {
      title: "Bản đồ phủ sóng thôn, làng",
      synthetic: "dữ liệu mô phỏng",
      kpi_title: "Chỉ tiêu",
      district: "Huyện",
      whole_province: "Toàn tỉnh",
      gaps_title: "Danh sách điểm lõm",
      kind_mobile: "Di động",
      kind_ftth: "Cáp quang (FTTH)",
      kind_5g: "5G",
      search: "Tìm thôn, xã, huyện…",
      export_csv: "Xuất CSV",
      export_xlsx: "Excel",
      layers: "Lớp bản đồ",
      coverage_layer: "Vùng phủ sóng (mô hình)",
      signal_layer: "Tín hiệu trạm gần tâm bản đồ (mô hình địa hình)",
      signal_info: (site, km, pct) => `Trạm ${site}, bán kính ${km} km, ${pct} điểm ảnh đạt ngưỡng`,
      all_operators: "Mọi nhà mạng",
      all_techs: "3G/4G/5G",
      mode_signal: "Cường độ",
      mode_operator: "Theo nhà mạng",
      gap_count: (shown, total) => shown === total ? `${fmtInt(total)} điểm lõm` : `${fmtInt(shown)} / ${fmtInt(total)} điểm lõm`,
      no_gaps: "Không có điểm lõm nào.",
      loading: "Đang tải…",
      load_failed: "Không tải được danh sách điểm lõm",
      people: "người",
      population: "Dân số",
      households: "Số hộ",
      status: "Tình trạng",
      mobile: "Di động",
      ftth: "FTTH",
      yes: "có",
      no: "không",
      best_signal: "Tín hiệu tốt nhất",
      fiber_distance: "Cách cáp quang",
      reason: "Nguyên nhân",
      recommendation: "Đề xuất",
      cost: "Chi phí ước tính",
      operators: "Nhà mạng",
      techs: "Công nghệ",
      shared: "Dùng chung",
      other: "Khác",
      site: "Trạm",
      commune: "Xã",
      scope_province: "Toàn tỉnh",
      status_covered: "Có di động và FTTH",
      status_no_mobile: "Chưa có băng rộng di động",
      status_no_ftth: "Chưa có FTTH",
      status_no_both: "Chưa có cả hai",
      status_unknown: "Chưa tính",
      status_on_air: "đang phát sóng",
      status_planned: "quy hoạch",
      status_decommissioned: "đã tháo dỡ",
      class_backbone: "trục",
      class_distribution: "phân phối",
      class_access: "truy nhập",
      kind_pop: "POP",
      kind_olt: "OLT",
      kind_splitter: "bộ chia",
      reason_no_grid_power: "Không có điện lưới",
      reason_no_site_in_range: "Không có trạm trong vùng phủ",
      reason_terrain_shadow: "Bị địa hình che khuất",
      reason_planned_site_not_on_air: "Trạm quy hoạch chưa phát sóng",
      reason_fiber_too_far: "Cáp quang quá xa",
      reason_no_fiber_operator: "Không có cáp quang gần",
      reason_no_5g: "Chưa có 5G",
      category_district_centre: "trung tâm huyện",
      category_industrial_zone: "khu công nghiệp",
      category_high_tech_park: "khu công nghệ cao",
      category_hospital: "bệnh viện",
      category_school: "trường học",
      category_station: "nhà ga",
      category_seaport: "cảng biển",
      category_airport: "sân bay",
      category_tourist_area: "khu du lịch",
      category_commune_office: "trụ sở xã",
      place: "Địa điểm",
      road_major: "đường chính",
      road_minor: "đường nhỏ",
      plan_done: (id) => `phương án ${id}`,
      reason_measured_no_service: "Đo kiểm không có dịch vụ",
      override: "Theo đo kiểm",
      kpi_villages: "Số thôn, làng",
      kpi_villages_mobile_bb_pct: "Thôn có băng rộng di động",
      kpi_villages_ftth_pct: "Thôn có cáp quang (FTTH)",
      kpi_population_mobile_bb_pct: "Dân số có băng rộng di động",
      kpi_households_ftth_pct: "Hộ có thể dùng FTTH",
      kpi_sites: "Trạm BTS phát sóng",
      kpi_sites_shared_pct: "Trạm dùng chung hạ tầng",
      kpi_sites_5g: "Trạm có 5G",
      kpi_pois_5g_pct: "Địa điểm ưu tiên có 5G",
      candidate_site: "Vị trí trạm đề xuất",
      ramp_weak: "yếu",
      ramp_strong: "mạnh",
      challenge_title: "Khiếu nại: đo kiểm trái mô hình",
      challenge_kind: "Dịch vụ",
      challenge_model: "Mô hình: có dịch vụ",
      challenge_measured: "Đo kiểm: có dịch vụ",
      challenge_tests: "Số phép đo",
      challenge_served: (pct) => `${pct} có dịch vụ`,
      challenge_median: "Tải xuống (trung vị)",
      challenge_signal: "Tín hiệu (trung vị)",
      challenge_decision: "Quyết định",
      challenge_open: "chưa xử lý",
      challenge_accepted: "đã chấp nhận",
      challenge_rejected: "đã bác bỏ",
    },
    en: {
      title: "Village coverage map",
      synthetic: "synthetic data",
      kpi_title: "Indicators",
      district: "District",
      whole_province: "Whole province",
      gaps_title: "Coverage gaps",
      kind_mobile: "Mobile",
      kind_ftth: "Fiber (FTTH)",
      kind_5g: "5G",
      search: "Search village, commune, district…",
      export_csv: "Export CSV",
      export_xlsx: "Excel",
      layers: "Map layers",
      coverage_layer: "Coverage (model)",
      signal_layer: "Signal of the site nearest the map centre (terrain model)",
      signal_info: (site, km, pct) => `Site ${site}, radius ${km} km, ${pct} of pixels at threshold`,
      all_operators: "All operators",
      all_techs: "3G/4G/5G",
      mode_signal: "Signal",
      mode_operator: "By operator",
      gap_count: (shown, total) => {
        const noun = total === 1 ? "gap" : "gaps";
        return shown === total ? `${fmtInt(total)} ${noun}` : `${fmtInt(shown)} of ${fmtInt(total)} ${noun}`;
      },
      no_gaps: "No gaps.",
      loading: "Loading…",
      load_failed: "Could not load the gap list",
      people: "people",
      population: "Population",
      households: "Households",
      status: "Status",
      mobile: "Mobile",
      ftth: "FTTH",
      yes: "yes",
      no: "no",
      best_signal: "Best signal",
      fiber_distance: "Distance to fiber",
      reason: "Reason",
      recommendation: "Recommendation",
      cost: "Estimated cost",
      operators: "Operators",
      techs: "Technologies",
      shared: "Shared",
      other: "Other",
      site: "Site",
      commune: "Commune",
      scope_province: "Whole province",
      status_covered: "Mobile and FTTH",
      status_no_mobile: "No mobile broadband",
      status_no_ftth: "No FTTH",
      status_no_both: "Neither",
      status_unknown: "Not computed",
      status_on_air: "on air",
      status_planned: "planned",
      status_decommissioned: "decommissioned",
      class_backbone: "backbone",
      class_distribution: "distribution",
      class_access: "access",
      kind_pop: "POP",
      kind_olt: "OLT",
      kind_splitter: "splitter",
      reason_no_grid_power: "No grid power",
      reason_no_site_in_range: "No site in range",
      reason_terrain_shadow: "Terrain shadow",
      reason_planned_site_not_on_air: "Planned site not on air",
      reason_fiber_too_far: "Fiber too far",
      reason_no_fiber_operator: "No fiber operator nearby",
      reason_no_5g: "No 5G",
      category_district_centre: "district centre",
      category_industrial_zone: "industrial zone",
      category_high_tech_park: "high-tech park",
      category_hospital: "hospital",
      category_school: "school",
      category_station: "station",
      category_seaport: "seaport",
      category_airport: "airport",
      category_tourist_area: "tourist area",
      category_commune_office: "commune office",
      place: "Place",
      road_major: "major road",
      road_minor: "minor road",
      plan_done: (id) => `plan ${id}`,
      reason_measured_no_service: "Measured: no service",
      override: "Set by measurements",
      kpi_villages: "Villages",
      kpi_villages_mobile_bb_pct: "Villages with mobile broadband",
      kpi_villages_ftth_pct: "Villages with FTTH",
      kpi_population_mobile_bb_pct: "Population with mobile broadband",
      kpi_households_ftth_pct: "Households with FTTH",
      kpi_sites: "On-air BTS sites",
      kpi_sites_shared_pct: "Shared sites",
      kpi_sites_5g: "Sites with 5G",
      kpi_pois_5g_pct: "Priority places with 5G",
      candidate_site: "Candidate site",
      ramp_weak: "weak",
      ramp_strong: "strong",
      challenge_title: "Challenge: measurements contradict the model",
      challenge_kind: "Service",
      challenge_model: "Model: service",
      challenge_measured: "Measured: service",
      challenge_tests: "Tests",
      challenge_served: (pct) => `${pct} with service`,
      challenge_median: "Median download",
      challenge_signal: "Median signal",
      challenge_decision: "Decision",
      challenge_open: "open",
      challenge_accepted: "accepted",
      challenge_rejected: "rejected",
    },
  };
  const KPI_FIELDS = [
    ["villages", "int"],
    ["villages_mobile_bb_pct", "pct"],
    ["villages_ftth_pct", "pct"],
    ["population_mobile_bb_pct", "pct"],
    ["households_ftth_pct", "pct"],
    ["sites", "int"],
    ["sites_shared_pct", "pct"],
    ["sites_5g", "int"],
    ["pois_5g_pct", "pct"],
  ];

  // ?lang=en (or vi) in the address wins over the last choice made with the toggle.
  const urlLang = new URLSearchParams(window.location.search).get("lang");
  let lang = urlLang === "en" || urlLang === "vi" ? urlLang : (localStorage.getItem("covgis_lang") === "en" ? "en" : "vi");
  const apiKey = localStorage.getItem("covgis_api_key");
  const state = {
    kind: "mobile",
    gaps: { mobile: null, ftth: null, "5g": null },
    gapErrors: { mobile: null, ftth: null, "5g": null },
    overlays: {},
    shown: [],
    district: "",
    search: "",
    districts: [],
    style: null,
    map: null,
    popup: null,
    candidate: null,
    selectedId: null,
  };

  function t(key, ...args) {
    const value = I18N[lang][key] ?? I18N.vi[key] ?? key;
    return typeof value === "function" ? value(...args) : value;
  }
  const has = (key) => Object.prototype.hasOwnProperty.call(I18N[lang], key);
  const locale = () => (lang === "vi" ? "vi-VN" : "en-GB");

  // ---- numbers (Vietnamese: 99,9 % and 1.234) ---------------------------------------
  function fmtNumber(x, digits) {
    if (x === null || x === undefined || Number.isNaN(Number(x))) return "—";
    return new Intl.NumberFormat(locale(), {
      minimumFractionDigits: digits, maximumFractionDigits: digits,
    }).format(Number(x));
  }
  function fmtInt(x) { return fmtNumber(x, 0); }
  // The display rule of coverage_gis.display.display_share (tests/test_display.py runs both):
  // half up to one decimal, but never 100 unless exactly 100 and never 0 unless exactly 0.
  function displayShare(x, digits = 1) {
    const v = Number(x);
    const scale = 10 ** digits;
    let shown = Math.floor(v * scale + 0.5) / scale;
    if (shown >= 100 && v < 100) shown = Math.floor(v * scale) / scale;
    else if (shown <= 0 && v > 0) shown = Math.ceil(v * scale) / scale;
    return shown;
  }
  function fmtPct(x) {
    if (x === null || x === undefined || Number.isNaN(Number(x))) return "—";
    const shown = displayShare(x);
    return lang === "vi" ? `${fmtNumber(shown, 1)} %` : `${fmtNumber(shown, 1)}%`;
  }
  function fmtMoney(vnd) {
    if (vnd === null || vnd === undefined || Number.isNaN(Number(vnd))) return "—";
    const v = Number(vnd);
    if (lang === "vi") {
      return v >= 1e9 ? `${fmtNumber(v / 1e9, 2)} tỷ đồng` : `${fmtNumber(v / 1e6, 0)} triệu đồng`;
    }
    return v >= 1e9 ? `VND ${fmtNumber(v / 1e9, 2)} bn` : `VND ${fmtNumber(v / 1e6, 0)} m`;
  }
  function reasonLabel(reason) {
    if (!reason) return "";
    const fiveG = String(reason).match(/^no_5g \((.+)\)$/);
    if (fiveG) {
      const category = `category_${fiveG[1]}`;
      return `${t("reason_no_5g")} (${has(category) ? t(category) : fiveG[1].replace(/_/g, " ")})`;
    }
    const key = `reason_${reason}`;
    return has(key) ? t(key) : String(reason).replace(/_/g, " ");
  }
  // A gap's recommendation: the library's English sentence, or in Vietnamese the sentence the
  // message catalogue composes from the gap's fields (coverage_gis.messages, sent by
  // /v1/gaps?lang=vi as recommendation_label), so the two languages come from one place.
  function recommendationLabel(gap) {
    if (!gap) return "";
    if (lang === "vi" && gap.recommendation_label) return gap.recommendation_label;
    return gap.recommendation || "";
  }
  function legendLabel(key, layerId) {
    for (const prefix of ["status_", "class_", "kind_", "road_"]) {
      if (has(prefix + key)) return t(prefix + key);
    }
    if (key === "shared" || key === "other") return t(key);
    if (key === layerId) return "";
    return key;
  }
  const escapeHtml = (s) => String(s ?? "").replace(/[&<>"']/g, (c) => ({
    "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;",
  }[c]));
  // Search ignores case and Vietnamese diacritics ("lang o2" finds "làng O2").
  const fold = (s) => String(s ?? "").normalize("NFD").replace(/[\u0300-\u036f]/g, "")
    .replace(/đ/g, "d").replace(/Đ/g, "D").toLowerCase();

  // ---- HTTP -----------------------------------------------------------------------
  function headers() { return apiKey ? { "X-API-Key": apiKey } : {}; }
  async function getJSON(url) {
    const response = await fetch(url, { headers: headers() });
    if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
    return response.json();
  }
  const itemsOf = (doc) => (Array.isArray(doc) ? doc : (doc && Array.isArray(doc.items) ? doc.items : []));
  async function fetchAllGaps(kind) {
    // The API pages its lists; gather every page (bounded) so search and export see all gaps.
    const pageSize = 1000;
    let items = [];
    for (let page = 0; page < 50; page += 1) {
      const doc = await getJSON(`/v1/gaps?kind=${encodeURIComponent(kind)}&lang=vi&limit=${pageSize}&offset=${items.length}`);
      const batch = itemsOf(doc);
      items = items.concat(batch);
      const total = doc && typeof doc.total === "number" ? doc.total : items.length;
      if (Array.isArray(doc) || batch.length === 0 || items.length >= total) break;
    }
    return items;
  }

  // ---- gap list ---------------------------------------------------------------------
  function gapPosition(gap) {
    if (typeof gap.lon === "number" && typeof gap.lat === "number") return [gap.lon, gap.lat];
    if (gap.geometry && Array.isArray(gap.geometry.coordinates)) return gap.geometry.coordinates;
    if (typeof gap.candidate_lon === "number") return [gap.candidate_lon, gap.candidate_lat];
    return null;
  }
  function visibleGaps() {
    const all = state.gaps[state.kind] || [];
    const needle = fold(state.search.trim());
    return all.filter((g) => {
      if (state.district && String(g.district_code ?? "") !== state.district) return false;
      if (!needle) return true;
      return fold([g.name, g.commune_name, g.district_name, g.id].join(" ")).includes(needle);
    });
  }
  function renderGapList() {
    const list = document.getElementById("gap-list");
    const error = document.getElementById("gap-error");
    const all = state.gaps[state.kind];
    list.textContent = "";
    error.hidden = !state.gapErrors[state.kind];
    error.textContent = state.gapErrors[state.kind] ? `${t("load_failed")}: ${state.gapErrors[state.kind]}` : "";
    if (all === null) {
      document.getElementById("gap-count").textContent = t("loading");
      return;
    }
    state.shown = visibleGaps();
    document.getElementById("gap-count").textContent = t("gap_count", state.shown.length, all.length);
    if (!state.shown.length) {
      const li = document.createElement("li");
      li.className = "empty muted";
      li.textContent = t("no_gaps");
      list.appendChild(li);
      return;
    }
    const fragment = document.createDocumentFragment();
    for (const gap of state.shown) {
      const li = document.createElement("li");
      li.dataset.id = gap.id;
      li.dataset.kind = state.kind;
      if (gap.id === state.selectedId) li.classList.add("selected");
      const where = [gap.commune_name, gap.district_name].filter(Boolean).join(", ");
      // Priority places (5G) have no residents counted: the place's kind says more.
      const pop = state.kind === "5g" ? "" : `${escapeHtml(fmtInt(gap.population))} ${escapeHtml(t("people"))}`;
      li.innerHTML =
        `<span class="gap-pop">${pop}</span>` +
        `<div class="gap-name">${escapeHtml(gap.name)}</div>` +
        `<div class="gap-where">${escapeHtml(where)}</div>` +
        `<div class="gap-reason">${escapeHtml(reasonLabel(gap.reason))} · ${escapeHtml(recommendationLabel(gap))}</div>`;
      li.addEventListener("click", () => selectGap(gap));
      fragment.appendChild(li);
    }
    list.appendChild(fragment);
  }
  function gapPopupHtml(gap) {
    const rows = [
      [t("population"), fmtInt(gap.population)],
      [t("reason"), `<span class="reason">${escapeHtml(reasonLabel(gap.reason))}</span>`],
      [t("recommendation"), escapeHtml(recommendationLabel(gap))],
      [t("cost"), escapeHtml(fmtMoney(gap.cost_vnd))],
    ];
    const where = [gap.commune_name, gap.district_name, gap.province_name].filter(Boolean).join(", ");
    return `<div class="popup"><h4>${escapeHtml(gap.name)}</h4><div class="muted">${escapeHtml(where)}</div>` +
      `<table>${rows.map(([k, v]) => `<tr><td>${escapeHtml(k)}</td><td>${v}</td></tr>`).join("")}</table></div>`;
  }
  function selectGap(gap) {
    state.selectedId = gap.id;
    for (const li of document.querySelectorAll("#gap-list li")) {
      li.classList.toggle("selected", li.dataset.id === gap.id);
    }
    const position = gapPosition(gap);
    if (!position || !state.map) return;
    const map = state.map;
    map.flyTo({ center: position, zoom: Math.max(map.getZoom(), 13), essential: true });
    showPopup(position, gapPopupHtml(gap));
    // A mobile gap's recommended site is marked where it differs from the village.
    if (state.candidate) state.candidate.remove();
    state.candidate = null;
    const lon = gap.candidate_lon;
    const lat = gap.candidate_lat;
    if (typeof lon === "number" && typeof lat === "number" && (lon !== position[0] || lat !== position[1])) {
      state.candidate = new maplibregl.Marker({ color: "#37474f", scale: 0.6 }).setLngLat([lon, lat]).addTo(map);
      state.candidate.getElement().title = t("candidate_site");
      state.candidate.getElement().id = "candidate-marker";
    }
  }
  async function loadGaps(kind) {
    try {
      state.gaps[kind] = await fetchAllGaps(kind);
      state.gapErrors[kind] = null;
    } catch (err) {
      state.gaps[kind] = [];
      state.gapErrors[kind] = err.message;
    }
    mergeDistrictsFromGaps(state.gaps[kind]);
  }
  function closePopups() {
    // A popup or candidate marker belongs to the list it was opened from: a tab or filter
    // change makes it stale.
    if (state.popup) state.popup.remove();
    state.popup = null;
    if (state.candidate) state.candidate.remove();
    state.candidate = null;
  }
  function setKind(kind) {
    state.kind = kind;
    for (const button of document.querySelectorAll(".gap-kind")) {
      button.classList.toggle("active", button.dataset.kind === kind);
    }
    closePopups();
    state.selectedId = null;
    updateXlsxLink();
    renderGapList();
    // The FTTH tab shows each gap's proposed fiber route (fetched the first time).
    if (kind === "ftth" && !state.overlays.gap_routes) addGeoJsonOverlay("gap_routes", "/map/gap-routes.geojson");
    setOverlayVisible("gap_routes", kind === "ftth");
    if (state.gaps[kind] === null) loadGaps(kind).then(renderGapList);
  }
  function updateXlsxLink() {
    // The server renders the same list (all pages) as a spreadsheet.
    const params = new URLSearchParams({ kind: state.kind, format: "xlsx" });
    if (state.district) params.set("district_code", state.district);
    document.getElementById("export-xlsx").href = `/v1/gaps?${params}`;
  }
  // One CSV cell. Text a spreadsheet would run as a formula (=, +, -, @ first, also after
  // leading blanks, and their full-width forms; or a leading tab or line break) gets a
  // leading apostrophe: the rule of coverage_gis.spreadsheet (tests/test_exports.py checks both agree).
  function csvCell(value) {
    let s = value === null || value === undefined ? "" : String(value);
    if (typeof value === "string" && (/^[\t\r\n]/.test(s) || /^\s*[=+\-@\uFF1D\uFF0B\uFF0D\uFF20]/.test(s))) {
      s = "'" + s;
    }
    return /[",\n\r;]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  }
  function exportCsv() {
    const columns = ["rank", "id", "name", "commune_name", "district_name", "province_name", "population",
      "households", "reason", "recommendation", "cost_vnd", "candidate_lon", "candidate_lat"];
    const lines = [columns.join(",")].concat(state.shown.map((g) => columns.map((c) => csvCell(g[c])).join(",")));
    // BOM so that Excel opens the UTF-8 names with their diacritics.
    const blob = new Blob(["\ufeff" + lines.join("\r\n") + "\r\n"], { type: "text/csv;charset=utf-8" });
    const link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = `gaps-${state.kind}${state.district ? "-" + state.district : ""}.csv`;
    document.body.appendChild(link);
    link.click();
    setTimeout(() => { URL.revokeObjectURL(link.href); link.remove(); }, 0);
  }

  // ---- KPIs and districts ----------------------------------------------------------
  function mergeDistrictsFromGaps(gaps) {
    const known = new Set(state.districts.map((d) => d.code));
    let added = false;
    for (const g of gaps || []) {
      const code = g.district_code;
      if (code && !known.has(String(code))) {
        known.add(String(code));
        state.districts.push({ code: String(code), name: g.district_name || String(code) });
        added = true;
      }
    }
    if (added) renderDistricts();
  }
  // Replace a <select>'s options by [value, label] pairs and choose `chosen` again.
  function fillSelect(select, options, chosen) {
    select.textContent = "";
    for (const [value, label] of options) {
      const option = document.createElement("option");
      option.value = value;
      option.textContent = label;
      select.appendChild(option);
    }
    select.value = chosen;
  }
  function renderDistricts() {
    const sorted = [...state.districts].sort((a, b) => String(a.name).localeCompare(String(b.name), "vi"));
    fillSelect(
      document.getElementById("district-filter"),
      [["", t("whole_province")], ...sorted.map((d) => [d.code, d.name])],
      state.district,
    );
  }
  async function loadDistricts() {
    try {
      const rows = itemsOf(await getJSON("/v1/kpis?level=district"));
      const known = new Set(state.districts.map((d) => d.code));
      for (const row of rows) {
        if (row.code && !known.has(String(row.code))) {
          state.districts.push({ code: String(row.code), name: row.name || String(row.code) });
        }
      }
      renderDistricts();
    } catch (err) {
      // Districts then come from the gap rows only.
    }
  }
  async function renderKpis() {
    const list = document.getElementById("kpi-list");
    const scope = document.getElementById("kpi-scope");
    const url = state.district
      ? `/v1/kpis?level=district&code=${encodeURIComponent(state.district)}`
      : "/v1/kpis?level=province";
    let row = null;
    try {
      const rows = itemsOf(await getJSON(url));
      row = state.district ? rows.find((r) => String(r.code) === state.district) || rows[0] : rows[0];
    } catch (err) {
      scope.textContent = err.message;
    }
    list.textContent = "";
    if (!row) return;
    scope.textContent = row.name || (state.district ? "" : t("scope_province"));
    for (const [field, kind] of KPI_FIELDS) {
      if (!(field in row)) continue;
      const dt = document.createElement("dt");
      dt.textContent = t(`kpi_${field}`);
      const dd = document.createElement("dd");
      dd.dataset.field = field;
      dd.textContent = kind === "pct" ? fmtPct(row[field]) : fmtInt(row[field]);
      list.append(dt, dd);
    }
  }

  // ---- map ----------------------------------------------------------------------------
  function showPopup(lngLat, html) {
    if (state.popup) state.popup.remove();
    state.popup = new maplibregl.Popup({ closeButton: true, maxWidth: "320px" })
      .setLngLat(lngLat).setHTML(html).addTo(state.map);
  }
  function yesNo(value) { return value === true ? t("yes") : value === false ? t("no") : "—"; }
  function villagePopupHtml(p) {
    const rows = [
      [t("population"), fmtInt(p.population)],
      [t("status"), escapeHtml(legendLabel(p.status || "unknown"))],
      [t("mobile"), escapeHtml([yesNo(p.mobile_bb), p.best_tech, p.operators].filter(Boolean).join(" · "))],
    ];
    if (typeof p.best_signal_dbm === "number") {
      rows.push([t("best_signal"), `${escapeHtml(fmtNumber(p.best_signal_dbm, 0))} dBm`]);
    }
    if (p.mobile_gap_reason) rows.push([t("reason"), `<span class="reason">${escapeHtml(reasonLabel(p.mobile_gap_reason))}</span>`]);
    rows.push([t("ftth"), escapeHtml([yesNo(p.ftth), p.ftth_operators].filter(Boolean).join(" · "))]);
    if (typeof p.fiber_distance_m === "number") {
      rows.push([t("fiber_distance"), `${escapeHtml(fmtNumber(p.fiber_distance_m / 1000, 1))} km`]);
    }
    if (p.ftth_gap_reason) rows.push([t("reason"), `<span class="reason">${escapeHtml(reasonLabel(p.ftth_gap_reason))}</span>`]);
    if (p.override) {
      rows.push([t("override"), escapeHtml(String(p.override).split(",").map((kind) => t(kind)).join(", "))]);
    }
    for (const kind of ["mobile", "ftth"]) {
      const gap = (state.gaps[kind] || []).find((g) => g.id === p.village_id);
      if (gap) rows.push([`${t("recommendation")} (${t(kind)})`, escapeHtml(recommendationLabel(gap))]);
    }
    const where = [p.commune_name, p.district_name].filter(Boolean).join(", ");
    return `<div class="popup" data-village="${escapeHtml(p.village_id)}"><h4>${escapeHtml(p.name)}</h4>` +
      `<div class="muted">${escapeHtml(where)}</div>` +
      `<table>${rows.map(([k, v]) => `<tr><td>${escapeHtml(k)}</td><td>${v}</td></tr>`).join("")}</table></div>`;
  }
  function sitePopupHtml(p) {
    const rows = [
      [t("status"), escapeHtml(legendLabel(p.status))],
      [t("operators"), escapeHtml(p.operators || "—")],
      [t("techs"), escapeHtml(p.techs || "—")],
      [t("shared"), escapeHtml(yesNo(p.shared))],
    ];
    return `<div class="popup"><h4>${escapeHtml(t("site"))} ${escapeHtml(p.site_id)}${p.name ? " — " + escapeHtml(p.name) : ""}</h4>` +
      `<table>${rows.map(([k, v]) => `<tr><td>${escapeHtml(k)}</td><td>${v}</td></tr>`).join("")}</table></div>`;
  }
  function challengePopupHtml(p, nested = false) {
    // The evidence of a challenge (/v1/challenges): the tests against the model's status.
    // Nested under its village's popup it leaves out the name and place said above it.
    const rows = [
      [t("challenge_kind"), escapeHtml(t(p.kind))],
      [t("challenge_model"), escapeHtml(yesNo(p.model_value))],
      [t("challenge_measured"), escapeHtml(yesNo(p.measured_value))],
      [t("challenge_tests"), escapeHtml(`${fmtInt(p.tests)} (${t("challenge_served", fmtPct(100 * p.served_share))})`)],
      [t("challenge_median"), `${escapeHtml(fmtNumber(p.median_download_mbps, 1))} Mb/s`],
    ];
    if (typeof p.median_signal_dbm === "number") {
      rows.push([t("challenge_signal"), `${escapeHtml(fmtNumber(p.median_signal_dbm, 0))} dBm`]);
    }
    rows.push([t("status"), escapeHtml(t(`challenge_${p.status}`))]);
    if (p.decided_by) rows.push([t("challenge_decision"), escapeHtml(`${p.decided_by}: ${p.reason || ""}`)]);
    const where = [p.commune_name, p.district_name].filter(Boolean).join(", ");
    const head = nested ? `<h5>${escapeHtml(t("challenge_title"))}</h5>`
      : `<h4>${escapeHtml(p.name)}</h4><div class="muted">${escapeHtml(t("challenge_title"))} · ${escapeHtml(where)}</div>`;
    return `<div class="popup${nested ? " nested" : ""}" data-challenge="${escapeHtml(p.challenge_id)}">${head}` +
      `<table>${rows.map(([k, v]) => `<tr><td>${escapeHtml(k)}</td><td>${v}</td></tr>`).join("")}</table></div>`;
  }
  function overlayPopupHtml(layerId, p) {
    const meta = overlayMeta(layerId) || {};
    const title = (lang === "vi" ? meta.title_vi : meta.title_en) || layerId;
    const rows = Object.entries(p || {}).filter(([, v]) => v !== null && v !== "" && typeof v !== "object").slice(0, 10)
      .map(([k, v]) => [k, typeof v === "number" ? fmtNumber(v, Number.isInteger(v) ? 0 : 1) : String(v)]);
    return `<div class="popup" data-overlay="${escapeHtml(layerId)}"><h4>${escapeHtml(p.name || title)}</h4>` +
      `<div class="muted">${escapeHtml(title)}</div>` +
      `<table>${rows.map(([k, v]) => `<tr><td>${escapeHtml(k)}</td><td>${escapeHtml(v)}</td></tr>`).join("")}</table></div>`;
  }
  function legendEntries() {
    return (state.style && state.style.metadata && state.style.metadata["covgis:legend"]) || [];
  }
  function renderLayerSwitcher() {
    const box = document.getElementById("layer-switcher");
    box.textContent = "";
    for (const entry of [...legendEntries()].reverse()) {
      const div = document.createElement("div");
      div.className = "layer-entry" + (entry.empty ? " empty" : "");
      const id = `layer-toggle-${entry.id}`;
      const title = lang === "vi" ? entry.title_vi : entry.title_en;
      div.innerHTML = `<label><input type="checkbox" id="${id}" ${entry.visible ? "checked" : ""}> ${escapeHtml(title)}</label>`;
      const items = (entry.items || []).filter((item) => legendLabel(item.key, entry.id) !== "" || entry.items.length === 1);
      if (items.length) {
        const legend = document.createElement("div");
        legend.className = "legend-items";
        const line = entry.type === "line" || (state.style.layers.find((l) => l.id === entry.id) || {}).type === "line";
        legend.innerHTML = items.map((item) =>
          `<span><span class="swatch${line ? " line" : ""}" style="background:${escapeHtml(item.color)}"></span>` +
          `${escapeHtml(legendLabel(item.key, entry.id))}</span>`).join("");
        div.appendChild(legend);
      }
      div.querySelector("input").addEventListener("change", (ev) => {
        entry.visible = ev.target.checked;
        if (entry.id === "villages" && state.map.getLayer("labels-villages")) {
          state.map.setLayoutProperty("labels-villages", "visibility", entry.visible ? "visible" : "none");
        }
        for (const layerId of entry.layers) {
          if (state.map.getLayer(layerId)) {
            state.map.setLayoutProperty(layerId, "visibility", entry.visible ? "visible" : "none");
          }
        }
      });
      box.appendChild(div);
    }
  }
  function coverageMeta() {
    return (state.style && state.style.metadata && state.style.metadata["covgis:coverage"]) || null;
  }
  function renderCoverageControls() {
    const meta = coverageMeta();
    if (!meta) return;
    const tech = document.getElementById("coverage-tech");
    fillSelect(
      tech,
      meta.techs.map((value) => [value, value === "all" ? t("all_techs") : value]),
      tech.value || meta.tech || "all",
    );
    const operator = document.getElementById("coverage-operator");
    const operators = Object.keys(meta.operators || {}).filter((name) => name !== "shared" && name !== "other");
    fillSelect(operator, [["", t("all_operators")], ...operators.map((name) => [name, name])], operator.value);
    renderCoverageLegend();
  }
  function renderCoverageLegend() {
    const meta = coverageMeta();
    const box = document.getElementById("coverage-legend");
    const on = document.getElementById("coverage-toggle").checked;
    // The signal overlay of a site uses the same ramp: the legend shows while either is on.
    const signalOn = document.getElementById("signal-toggle").checked;
    box.hidden = !(on || signalOn) || !meta;
    if (!meta || !(on || signalOn)) return;
    if (on && document.getElementById("coverage-mode").value === "operator") {
      box.innerHTML = `<div class="legend-items">${Object.entries(meta.operators)
        .filter(([name]) => name !== "shared")
        .map(([name, colour]) => `<span><span class="swatch" style="background:${escapeHtml(colour)}"></span>${escapeHtml(legendLabel(name))}</span>`)
        .join("")}</div>`;
      return;
    }
    const stops = meta.ramp.map((s, i) => `${s.color} ${(100 * i) / (meta.ramp.length - 1)}%`).join(", ");
    const first = meta.ramp[0].dbm;
    const last = meta.ramp[meta.ramp.length - 1].dbm;
    box.innerHTML = `<div class="ramp" style="background: linear-gradient(to right, ${stops})"></div>` +
      `<div class="ramp-labels muted"><span>${fmtInt(first)} dBm (${t("ramp_weak")})</span>` +
      `<span>${fmtInt(last)} dBm (${t("ramp_strong")})</span></div>`;
  }
  function updateCoverage() {
    const meta = coverageMeta();
    const map = state.map;
    if (!meta || !map || !map.getLayer("coverage")) return;
    const on = document.getElementById("coverage-toggle").checked;
    const tech = document.getElementById("coverage-tech").value || "all";
    const operator = document.getElementById("coverage-operator").value;
    const mode = document.getElementById("coverage-mode").value;
    const params = new URLSearchParams();
    if (operator) params.set("operator", operator);
    if (mode !== "signal") params.set("mode", mode);
    const query = params.toString();
    const url = meta.tile_url.replace("{tech}", encodeURIComponent(tech)) + (query ? `?${query}` : "");
    const source = map.getSource("coverage");
    if (source && typeof source.setTiles === "function") source.setTiles([url]);
    map.setLayoutProperty("coverage", "visibility", on ? "visible" : "none");
    renderCoverageLegend();
  }

  // ---- signal overlay of one site (terrain model raster, /overlays/signal.json) ---------
  function removeSignal() {
    const map = state.map;
    if (map && map.getLayer("signal")) map.removeLayer("signal");
    if (map && map.getSource("signal")) map.removeSource("signal");
    state.signal = null;
    window.__signal = null;
  }
  async function updateSignal() {
    const on = document.getElementById("signal-toggle").checked;
    const info = document.getElementById("signal-info");
    removeSignal();
    info.hidden = true;
    renderCoverageLegend();
    if (!on || !state.map) return;
    const map = state.map;
    const centre = map.getCenter();
    let meta;
    try {
      meta = await getJSON(`/overlays/signal.json?lon=${centre.lng}&lat=${centre.lat}`);
    } catch (err) {
      info.textContent = String(err.message || err);
      info.hidden = false;
      return;
    }
    if (!document.getElementById("signal-toggle").checked) return;
    removeSignal();
    // Absolute, so that transformRequest recognises our own URL and adds the API key.
    map.addSource("signal", { type: "image", url: new URL(meta.url, window.location.href).href, coordinates: meta.coordinates });
    const before = state.style.metadata["covgis:overlay_before"];
    map.addLayer({ id: "signal", type: "raster", source: "signal", paint: { "raster-fade-duration": 0 } },
      map.getLayer(before) ? before : undefined);
    const [west, south, east, north] = meta.bounds;
    map.fitBounds([[west, south], [east, north]], {
      padding: { top: 30, bottom: 30, right: 60, left: panelWidth() + 30 }, duration: 0,
    });
    state.signal = meta;
    window.__signal = meta;
    info.textContent = t("signal_info", meta.site_id, fmtNumber(meta.radius_m / 1000, 1), fmtPct(meta.served_pct));
    info.hidden = false;
    renderCoverageLegend();
  }
  // ---- GeoJSON overlays (layers/map_style.yaml "overlays") ------------------------------
  function overlayMeta(name) {
    const all = (state.style && state.style.metadata && state.style.metadata["covgis:overlays"]) || {};
    return all[name] || null;
  }
  function setOverlayVisible(name, visible) {
    const entry = state.overlays[name];
    if (!entry || !state.map) return;
    entry.visible = visible;
    for (const layerId of entry.layers) {
      if (state.map.getLayer(layerId)) state.map.setLayoutProperty(layerId, "visibility", visible ? "visible" : "none");
    }
    const box = document.getElementById(`layer-toggle-${name}`);
    if (box) box.checked = visible;
  }
  /** Draw a GeoJSON endpoint as the overlay `name` of the style's metadata; one call per layer. */
  function addGeoJsonOverlay(name, url, options = {}) {
    const meta = overlayMeta(name);
    const map = state.map;
    if (!meta || !map || state.overlays[name]) return null;
    const sourceId = `overlay-${name}`;
    // Absolute, so that transformRequest recognises our own URL and adds the API key.
    map.addSource(sourceId, { type: "geojson", data: new URL(url, window.location.href).href });
    const before = state.style.metadata["covgis:overlay_before"];
    const layers = [];
    for (const layer of meta.layers) {
      map.addLayer({ ...layer, source: sourceId }, map.getLayer(before) ? before : undefined);
      layers.push(layer.id);
    }
    const entry = {
      id: name, title_vi: options.title_vi || meta.title_vi, title_en: options.title_en || meta.title_en,
      layers, items: meta.items, visible: true, empty: false, overlay: true, type: meta.type,
    };
    state.overlays[name] = entry;
    legendEntries().push(entry);
    renderLayerSwitcher();
    return entry;
  }
  async function loadLatestPlan() {
    // A finished plan's proposals are drawn as their own layers; planners run plans through
    // POST /v1/plans, the map shows the newest one that is done.
    let plans = [];
    try {
      plans = itemsOf(await getJSON("/v1/plans"));
    } catch (err) {
      return; // no plan endpoint, or reads need a key: nothing to show
    }
    const done = plans.find((p) => p.state === "done");
    if (!done) return;
    const suffix = ` (${t("plan_done", done.id)})`;
    const fiber = overlayMeta("plan_fiber");
    const sites = overlayMeta("plan_sites");
    if (fiber) {
      addGeoJsonOverlay("plan_fiber", `/v1/plans/${encodeURIComponent(done.id)}/fiber?format=geojson`,
        { title_vi: fiber.title_vi + suffix, title_en: fiber.title_en + suffix });
    }
    if (sites) {
      addGeoJsonOverlay("plan_sites", `/v1/plans/${encodeURIComponent(done.id)}/sites?format=geojson`,
        { title_vi: sites.title_vi + suffix, title_en: sites.title_en + suffix });
    }
  }

  // ---- district filter: zoom to the district and outline it ------------------------------
  function showDistrict(code) {
    const map = state.map;
    if (!map || !state.style) return;
    const meta = state.style.metadata || {};
    const highlight = meta["covgis:highlight_layer"];
    if (highlight && map.getLayer(highlight)) map.setFilter(highlight, ["==", ["get", "district_code"], code || ""]);
    const district = (meta["covgis:districts"] || {})[code];
    const bounds = district ? district.bounds : meta["covgis:bounds"];
    if (!bounds) return;
    map.fitBounds([[bounds[0], bounds[1]], [bounds[2], bounds[3]]], {
      padding: { top: 30, bottom: 30, right: 60, left: panelWidth() + 30 }, duration: 600, essential: true,
    });
  }

  function applyLanguage() {
    document.documentElement.lang = lang;
    document.title = `${t("title")} — coverage-gis`;
    for (const el of document.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
    for (const el of document.querySelectorAll("[data-i18n-placeholder]")) el.placeholder = t(el.dataset.i18nPlaceholder);
    document.getElementById("lang-toggle").textContent = lang === "vi" ? "EN" : "VI";
    renderDistricts();
    renderGapList();
    renderLayerSwitcher();
    renderCoverageControls();
    renderKpis();
    if (state.popup) state.popup.remove();
  }

  function panelWidth() {
    const panel = document.getElementById("layers-panel");
    const mapBox = document.getElementById("map").getBoundingClientRect();
    // On a narrow map the panel is closed instead of squeezing the view.
    if (mapBox.width < 700) {
      panel.open = false;
      return 0;
    }
    return panel.getBoundingClientRect().width;
  }

  async function initMap() {
    const style = await getJSON("/map/style.json");
    state.style = style;
    const meta = style.metadata || {};
    document.getElementById("workspace-name").textContent = meta["covgis:workspace"] || "";
    document.getElementById("synthetic-badge").hidden = !meta["covgis:synthetic"];
    const bounds = meta["covgis:bounds"];
    const origin = window.location.origin;
    const map = new maplibregl.Map({
      container: "map",
      style,
      bounds: bounds || undefined,
      // Keep the workspace clear of the layer panel on the left.
      fitBoundsOptions: { padding: { top: 30, bottom: 30, right: 60, left: panelWidth() + 30 } },
      attributionControl: { compact: false },
      // The API key (if any) goes with our own tile requests only.
      transformRequest: (url) => (apiKey && url.startsWith(origin) ? { url, headers: { "X-API-Key": apiKey } } : { url }),
    });
    state.map = map;
    window.__map = map;
    map.addControl(new maplibregl.NavigationControl({ showCompass: false }), "top-right");
    map.addControl(new maplibregl.ScaleControl({ unit: "metric" }), "bottom-right");
    const interactive = ["challenges", "villages", "sites", "plan_sites", "gap_routes"];
    map.on("click", (ev) => {
      const layers = interactive.filter((id) => map.getLayer(id));
      const features = map.queryRenderedFeatures(ev.point, { layers });
      if (!features.length) return;
      const f = features[0];
      const id = f.layer.id;
      // A challenge rings its village: a click on either shows the village's challenges
      // (mobile, FTTH), below the village's own popup when the dot itself was hit.
      const challengesOf = (villageId, nested) => {
        const seen = new Set();
        return features.filter((g) => g.layer.id === "challenges" && g.properties.village_id === villageId)
          .filter((g) => !seen.has(g.properties.challenge_id) && seen.add(g.properties.challenge_id))
          .map((g, i) => challengePopupHtml(g.properties, nested || i > 0)).join("");
      };
      const html = id === "sites" ? sitePopupHtml(f.properties)
        : id === "villages" ? villagePopupHtml(f.properties) + challengesOf(f.properties.village_id, true)
          : id === "challenges" ? challengesOf(f.properties.village_id, false) : overlayPopupHtml(id, f.properties);
      showPopup(ev.lngLat, html);
    });
    for (const id of interactive) {
      map.on("mouseenter", id, () => { map.getCanvas().style.cursor = "pointer"; });
      map.on("mouseleave", id, () => { map.getCanvas().style.cursor = ""; });
    }
    map.on("mousemove", (ev) => {
      document.getElementById("status-line").textContent =
        `z ${fmtNumber(map.getZoom(), 1)} · ${fmtNumber(ev.lngLat.lng, 4)}, ${fmtNumber(ev.lngLat.lat, 4)}`;
    });
    renderLayerSwitcher();
    renderCoverageControls();
    await new Promise((resolve) => map.once("load", resolve));
    // 'idle' means every visible tile is loaded and drawn; a fallback timer keeps a
    // slow tile from holding the page's readiness forever.
    await new Promise((resolve) => {
      const timer = setTimeout(resolve, 8000);
      map.once("idle", () => { clearTimeout(timer); resolve(); });
    });
  }

  function wireControls() {
    document.getElementById("lang-toggle").addEventListener("click", () => {
      lang = lang === "vi" ? "en" : "vi";
      localStorage.setItem("covgis_lang", lang);
      // Keep the address in step, so a copied link opens in the same language.
      const url = new URL(window.location.href);
      url.searchParams.set("lang", lang);
      window.history.replaceState(null, "", url);
      applyLanguage();
    });
    for (const button of document.querySelectorAll(".gap-kind")) {
      button.addEventListener("click", () => setKind(button.dataset.kind));
    }
    document.getElementById("gap-search").addEventListener("input", (ev) => {
      state.search = ev.target.value;
      renderGapList();
    });
    document.getElementById("district-filter").addEventListener("change", (ev) => {
      state.district = ev.target.value;
      closePopups();
      updateXlsxLink();
      renderGapList();
      renderKpis();
      showDistrict(state.district);
    });
    // The layer panel folds away on a narrow screen (and opens again on a wide one).
    const narrow = window.matchMedia("(max-width: 800px)");
    const fold = () => { document.getElementById("layers-panel").open = !narrow.matches; };
    narrow.addEventListener("change", fold);
    fold();
    document.getElementById("export-csv").addEventListener("click", exportCsv);
    for (const id of ["coverage-toggle", "coverage-tech", "coverage-operator", "coverage-mode"]) {
      document.getElementById(id).addEventListener("change", updateCoverage);
    }
    document.getElementById("signal-toggle").addEventListener("change", updateSignal);
  }

  async function main() {
    wireControls();
    applyLanguage();
    const gapsReady = Promise.all([loadGaps("mobile"), loadDistricts()]).then(() => {
      renderGapList();
      // Warm the server's FTTH routes (and the browser's cache) before the tab is opened.
      loadGaps("ftth").then(() => fetch("/map/gap-routes.geojson", { headers: headers() }).catch(() => null));
    });
    let mapError = null;
    try {
      await initMap();
    } catch (err) {
      mapError = err;
      document.getElementById("status-line").textContent = String(err.message || err);
    }
    await gapsReady;
    if (!mapError) {
      await loadLatestPlan();
      addGeoJsonOverlay("challenges", "/v1/challenges?format=geojson");
    }
    window.__mapError = mapError ? String(mapError.message || mapError) : null;
    window.__mapReady = true;
  }

  window.__mapReady = false;
  window.__covgis = {
    state, t, fmtPct, fmtNumber, addGeoJsonOverlay, setOverlayVisible,
    setLanguage: (l) => { lang = l; applyLanguage(); },
  };
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", main);
  } else {
    main();
  }
})();
