"""The offline gap map: one self-contained HTML file of the mobile and FTTH gaps (folium).

Owns ``covgis map``'s output: a Leaflet map (via folium) with the gap villages of each
kind (popups with cause, recommendation and cost in the map's language, from the
message catalogue), the candidate sites of mobile gaps, the covered villages for
context, the commune outlines, a bilingual legend, the data credits, and a panel with
the province's KPIs and the gap lists as tables, so the file works on its own when a
department e-mails it. Leaflet's JavaScript and CSS come from the ``xstatic-leaflet``
package and are inlined (its CSS images as data URIs), and folium's default CDN
links (Leaflet, jQuery, Bootstrap, Font Awesome) are removed, so the file opens
with no network at all — planners often review maps on a laptop in the field.
"""

from __future__ import annotations

import base64
import html
import importlib.util
import json
import re
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
from branca.element import Element, Figure, MacroElement
from jinja2 import Template

from coverage_gis._values import is_missing
from coverage_gis.display import Lang, format_cell, format_money, format_number
from coverage_gis.errors import LayerValidationError, WorkspaceError
from coverage_gis.gaps import GAP_SUMMARY_COLUMNS
from coverage_gis.layers import get_schema
from coverage_gis.messages import code_label, gap_labels, header, text, translated_gaps
from coverage_gis.tiles.style import ATTRIBUTION_BOUNDARIES, ATTRIBUTION_SYNTHETIC

if TYPE_CHECKING:
    from coverage_gis.engine import Analysis

#: Gap kinds the map can show (``all`` = both).
MAP_KINDS: tuple[str, ...] = ("mobile", "ftth", "all")
#: Commune outlines are simplified to this tolerance (degrees, ≈ 30 m): invisible at
#: the zooms the map is read at and it keeps a province file to a few hundred kB.
COMMUNE_SIMPLIFY_DEG = 0.0003
_GAP_STYLE = {
    "mobile": {"color": "#d32f2f", "title": "Điểm lõm di động / Mobile gaps"},
    "ftth": {"color": "#f9a825", "title": "Thôn chưa có FTTH / Villages without FTTH"},
}


def _gap_cost(row: pd.Series, lang: Lang) -> str:
    """The row's cost; for a candidate shared by several gaps, the candidate's and where it is counted."""
    own = row.get("cost_vnd")
    shared = row.get("candidate_cost_vnd")
    count = row.get("candidate_villages")
    villages = 0 if count is None or is_missing(count) else int(count)
    if villages < 2 or is_missing(shared):
        return format_money(own, lang=lang)
    where = text("counted_here" if not is_missing(own) and own else "counted_elsewhere", lang)
    return text("shared_cost", lang, cost=format_money(shared, lang=lang), count=villages, where=where)


#: folium builds popup contents with jQuery's ``$(html)[0]`` (and ``$(document).ready``).
#: jQuery is one of the CDN scripts removed, so this shim covers exactly those two uses.
_JQUERY_SHIM = """
window.$ = window.$ || function (arg) {
  if (typeof arg === "string") {
    var t = document.createElement("template");
    t.innerHTML = arg.trim();
    return [t.content.firstElementChild];
  }
  return { ready: function (fn) {
    if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", fn); }
    else { fn(); }
  } };
};
"""
_REMOTE_TAG = re.compile(r"<(?:script|link)\b[^>]*\b(?:src|href)\s*=\s*[\"']?(?:https?:)?//", re.IGNORECASE)


@dataclass(frozen=True)
class GapMapSummary:
    """What :func:`write_gap_map` wrote."""

    path: Path
    gaps: dict[str, int]
    bytes_written: int


def _leaflet_dir() -> Path:
    """The ``xstatic-leaflet`` data folder (leaflet.js, leaflet.css, images/)."""
    spec = importlib.util.find_spec("xstatic.pkg.leaflet")
    if spec is None or spec.origin is None:
        raise WorkspaceError(
            "the offline map needs the 'xstatic-leaflet' package (pip install xstatic-leaflet)"
        )
    folder = Path(spec.origin).parent / "data"
    if not (folder / "leaflet.js").is_file():
        raise WorkspaceError(f"xstatic-leaflet is installed but {folder / 'leaflet.js'} is missing")
    return folder


def _inline_leaflet() -> tuple[str, str]:
    """Leaflet's JS and CSS, the CSS with its images as data URIs."""
    folder = _leaflet_dir()
    script = (folder / "leaflet.js").read_text(encoding="utf-8")
    css = (folder / "leaflet.css").read_text(encoding="utf-8")

    def data_uri(match: re.Match[str]) -> str:
        image = folder / "images" / match.group(1)
        if not image.is_file():
            return match.group(0)
        encoded = base64.b64encode(image.read_bytes()).decode("ascii")
        return f"url(data:image/png;base64,{encoded})"

    css = re.sub(r"url\(\s*['\"]?images/([\w.-]+\.png)['\"]?\s*\)", data_uri, css)
    # A closing tag inside the inlined text would end the element early.
    return script.replace("</script", "<\\/script"), css.replace("</style", "<\\/style")


def _popup(row: pd.Series, words: Mapping[Hashable, Any], lang: Lang) -> str:
    """A gap's popup in ``lang``: reason, detail and recommendation from the catalogue
    (``words``: the row of :func:`coverage_gis.messages.gap_labels`)."""

    def cell(value: Any) -> str:
        return html.escape("" if is_missing(value) else str(value))

    where = ", ".join(
        str(v) for v in (row.get("commune_name"), row.get("district_name"), row.get("province_name")) if v
    )
    rows = [
        (header("population", lang), format_number(row.get("population"), 0, lang=lang)),
        (header("households", lang), format_number(row.get("households"), 0, lang=lang)),
        (header("reasons", lang), words.get("reasons") or words["reason"]),
        (header("power_need", lang), words.get("power_need") or None),
        (header("detail", lang), words["detail"]),
        (header("recommendation", lang), words["recommendation"]),
        (header("cost_vnd", lang, money="million"), _gap_cost(row, lang)),
    ]
    body = "".join(
        f"<tr><td style='color:#5f6b72;padding-right:8px;vertical-align:top'>{html.escape(k)}</td>"
        f"<td>{cell(v)}</td></tr>"
        for k, v in rows
    )
    return (
        "<div style='font-family:sans-serif;font-size:12px'>"
        f"<b style='font-size:14px'>{cell(row.get('name'))}</b>"
        f"<div style='color:#5f6b72'>{html.escape(where)}</div><table>{body}</table></div>"
    )


#: KPIs the map's panel shows (the province row), in order.
PANEL_KPIS: tuple[str, ...] = (
    "villages",
    "villages_mobile_bb_pct",
    "population_mobile_bb_pct",
    "villages_ftth_pct",
    "households_ftth_pct",
    "sites_shared_pct",
    "pois_5g_pct",
)


def _summary_html(kpis: pd.DataFrame, tables: dict[str, pd.DataFrame], lang: Lang) -> str:
    """The panel a reader of the e-mailed file needs: KPIs of the province(s) and the gap
    lists as tables (shares by the display rule, money in triệu đồng, words for codes)."""
    parts = []
    for _, unit in kpis.iterrows():
        items = "".join(
            f"<tr><td style='padding-right:8px'>{html.escape(header(c, lang))}</td>"
            f"<td style='text-align:right'>{html.escape(format_cell(c, unit.get(c), lang=lang))}</td></tr>"
            for c in PANEL_KPIS
            if c in unit and not is_missing(unit.get(c))
        )
        parts.append(f"<b>{html.escape(str(unit['name']))}</b><table id='gap-kpis'>{items}</table>")
    for gap_kind, table in tables.items():
        kind_words = code_label("gap_kind", gap_kind, lang)
        title = text("gaps_title", lang, count=len(table), kind=kind_words)
        columns = [c for c in GAP_SUMMARY_COLUMNS if c in table]
        th = "<th style='text-align:left;padding:2px 4px'>"
        td = "<td style='padding:2px 4px;vertical-align:top'>"
        head = "".join(f"{th}{html.escape(header(c, lang, money='million'))}</th>" for c in columns)
        rows = "".join(
            "<tr>"
            + "".join(f"{td}{html.escape(format_cell(c, row[c], lang=lang))}</td>" for c in columns)
            + "</tr>"
            for _, row in table.iterrows()
        )
        parts.append(
            f"<details open><summary><b>{html.escape(title)}</b></summary>"
            f"<table class='gap-table' data-kind='{gap_kind}' style='border-collapse:collapse'>"
            f"<thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table></details>"
        )
    return (
        "<div id='gap-summary' style='position:fixed;bottom:30px;right:10px;z-index:1000;background:#fff;"
        "padding:8px 10px;border-radius:6px;box-shadow:0 1px 4px rgba(0,0,0,.3);font:12px sans-serif;"
        "max-width:min(640px,60vw);max-height:45vh;overflow:auto'>"
        f"{''.join(parts)}</div>"
    )


class _Attribution(MacroElement):
    """Credits in Leaflet's attribution control (no tile layer carries them here)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            {{ this._parent.get_name() }}.attributionControl.setPrefix("Leaflet");
            {% for text in this.texts %}
            {{ this._parent.get_name() }}.attributionControl.addAttribution({{ text }});
            {% endfor %}
        {% endmacro %}
        """
    )

    def __init__(self, texts: Sequence[str]) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._name = "Attribution"
        # JSON string literals, kept readable (tojson would escape "©" and "ư").
        self.texts = [json.dumps(t, ensure_ascii=False).replace("</", "<\\/") for t in texts]


def _legend_html(counts: dict[str, int], synthetic: bool) -> str:
    colours = get_schema("villages").style.get("colors", {})
    entries = [
        (_GAP_STYLE[k]["color"], f"{_GAP_STYLE[k]['title']} ({format_number(n, 0, lang='vi')})", "50%")
        for k, n in counts.items()
    ]
    if "mobile" in counts:
        entries.append(("#ffffff", "Vị trí trạm đề xuất / Candidate site", "50%"))
    entries.append((str(colours.get("covered", "#2e7d32")), "Thôn khác / Other villages", "50%"))
    entries.append(("#6b6b6b", "Ranh giới xã / Commune boundaries", "0"))
    rows = "".join(
        f"<div><span style='display:inline-block;width:11px;height:11px;border-radius:{radius};"
        f"background:{colour};border:1.5px solid #333;margin-right:5px;vertical-align:-1px'></span>"
        f"{html.escape(label)}</div>"
        for colour, label, radius in entries
    )
    note = (
        "<div style='margin-top:4px;color:#795548'>Dữ liệu thôn, trạm, cáp quang là dữ liệu mô phỏng / "
        "synthetic demo data</div>"
        if synthetic
        else ""
    )
    return (
        "<div id='gap-legend' style='position:fixed;bottom:60px;left:10px;z-index:1000;background:#fff;"
        "padding:8px 10px;border-radius:6px;box-shadow:0 1px 4px rgba(0,0,0,.3);font:12px sans-serif;"
        "max-width:320px'><b>Bản đồ điểm lõm / Coverage gaps</b>"
        f"{rows}{note}</div>"
    )


def _kinds(kind: str) -> list[str]:
    if kind not in MAP_KINDS:
        raise LayerValidationError(f"unknown gap kind {kind!r}; choose {', '.join(MAP_KINDS)}", field="kind")
    return ["mobile", "ftth"] if kind == "all" else [kind]


def build_gap_map(
    analysis: Analysis,
    *,
    kind: str = "all",
    gaps: dict[str, gpd.GeoDataFrame] | None = None,
    lang: Lang = "vi",
) -> tuple[folium.Map, dict[str, int]]:
    """The folium map of the gaps (not yet written) and the gap count per kind.

    Parameters
    ----------
    analysis
        The workspace analysis.
    kind
        ``mobile``, ``ftth`` or ``all``.
    gaps
        Precomputed gap tables by kind (computed from ``analysis`` when absent).
    lang
        Language of popups, the KPI panel and the gap tables (``vi`` default).
    """
    kinds = _kinds(kind)
    tables = {k: (gaps or {}).get(k) for k in kinds}
    found = {k: t if t is not None else analysis.gaps(k) for k, t in tables.items()}
    villages = analysis.layers.villages
    communes = analysis.layers.communes
    frames = [f for f in (communes, villages) if len(f)]
    if not frames:
        raise WorkspaceError("the workspace has no communes or villages to map")
    bounds = np.vstack([f.total_bounds for f in frames])
    west, south = bounds[:, 0].min(), bounds[:, 1].min()
    east, north = bounds[:, 2].max(), bounds[:, 3].max()

    fmap = folium.Map(
        location=[(south + north) / 2.0, (west + east) / 2.0],
        zoom_start=9,
        tiles=None,
        control_scale=True,
        prefer_canvas=True,
        font_size="12px",
    )
    # Instance attributes shadow folium's CDN lists; Leaflet is inlined below instead.
    fmap.default_js = []
    fmap.default_css = []
    script, css = _inline_leaflet()
    root = fmap.get_root()
    assert isinstance(root, Figure)
    root.header.add_child(Element(f"<style>{css}</style>"), name="leaflet_css_inline")
    root.header.add_child(Element(f"<script>{script}</script>"), name="leaflet_js_inline")
    root.header.add_child(Element(f"<script>{_JQUERY_SHIM}</script>"), name="jquery_shim")
    root.header.add_child(
        Element("<style>.leaflet-container{background:#eef1ec}</style><title>Bản đồ điểm lõm</title>"),
        name="gapmap_css",
    )

    if len(communes):
        outline = communes[["commune_name", "district_name", "geometry"]].copy()
        outline["geometry"] = outline.geometry.simplify(COMMUNE_SIMPLIFY_DEG, preserve_topology=True)
        folium.GeoJson(
            outline.to_json(drop_id=True, ensure_ascii=False),
            name="Ranh giới xã / Communes",
            style_function=lambda _f: {"color": "#6b6b6b", "weight": 0.7, "fill": False},
            tooltip=folium.GeoJsonTooltip(fields=["commune_name", "district_name"], labels=False),
        ).add_to(fmap)

    gap_ids = set().union(*(set(t["id"].astype(str)) for t in found.values())) if found else set()
    others = villages[~villages["village_id"].astype(str).isin(gap_ids)][["name", "geometry"]]
    if len(others):
        covered_colour = str(get_schema("villages").style.get("colors", {}).get("covered", "#2e7d32"))
        folium.GeoJson(
            others.to_json(drop_id=True, ensure_ascii=False),
            name="Thôn khác / Other villages",
            marker=folium.CircleMarker(radius=2, weight=0, fill=True, fill_opacity=0.6),
            style_function=lambda _f: {"fillColor": covered_colour, "color": covered_colour},
            tooltip=folium.GeoJsonTooltip(fields=["name"], labels=False),
        ).add_to(fmap)

    counts = {gap_kind: len(table) for gap_kind, table in found.items()}
    # FTTH first with bigger markers, mobile on top: a village lacking both shows a red
    # dot in an amber ring instead of one marker hiding the other.
    for gap_kind in sorted(found, key=lambda k: k != "ftth"):
        table = found[gap_kind]
        colour = _GAP_STYLE[gap_kind]["color"]
        group = folium.FeatureGroup(name=f"{_GAP_STYLE[gap_kind]['title']} ({len(table)})", show=True)
        words = gap_labels(table, lang).to_dict("records")
        for k, (_, row) in enumerate(table.iterrows()):
            point = row.geometry
            if point is None or point.is_empty:
                continue
            popup = folium.Popup(_popup(row, words[k], lang), max_width=340)
            folium.CircleMarker(
                location=[point.y, point.x],
                radius=9 if gap_kind == "ftth" else 6,
                color="#333333",
                weight=1.5,
                fill=True,
                fill_color=colour,
                fill_opacity=0.9,
                popup=popup,
                tooltip=html.escape(str(row["name"])),
            ).add_to(group)
            if gap_kind == "mobile" and pd.notna(row.get("candidate_lon")):
                candidate = [float(row["candidate_lat"]), float(row["candidate_lon"])]
                line = folium.PolyLine(  # type: ignore[no-untyped-call]
                    [[point.y, point.x], candidate], color=colour, weight=1, dash_array="4 4"
                )
                line.add_to(group)
                folium.CircleMarker(
                    location=candidate,
                    radius=5,
                    color=colour,
                    weight=2,
                    fill=True,
                    fill_color="#ffffff",
                    fill_opacity=1.0,
                    tooltip=html.escape(
                        f"Vị trí trạm đề xuất / Candidate site: {words[k]['recommendation']}"
                    ),
                ).add_to(group)
        group.add_to(fmap)

    folium.LayerControl(collapsed=False).add_to(fmap)
    fmap.fit_bounds([[south, west], [north, east]])
    synthetic = bool(analysis.ws.config.synthetic)
    credits = [ATTRIBUTION_BOUNDARIES, *([ATTRIBUTION_SYNTHETIC] if synthetic else [])]
    fmap.add_child(_Attribution(credits))
    root.html.add_child(Element(_legend_html(counts, synthetic)), name="gap_legend")
    shown = {k: translated_gaps(t, lang) for k, t in found.items()}
    summary = _summary_html(analysis.kpis(levels=["province"]), shown, lang)
    root.html.add_child(Element(summary), name="gap_summary")
    return fmap, counts


def write_gap_map(
    analysis: Analysis,
    out_path: str | Path,
    *,
    kind: str = "all",
    gaps: dict[str, gpd.GeoDataFrame] | None = None,
    lang: Lang = "vi",
) -> GapMapSummary:
    """Write the offline gap map of a workspace to ``out_path`` (HTML, UTF-8).

    Parameters
    ----------
    analysis
        The workspace analysis (see :func:`coverage_gis.engine.load`).
    out_path
        The HTML file to write (its folder must exist).
    kind
        ``mobile``, ``ftth`` or ``all`` (default).
    gaps
        Precomputed gap tables by kind, to skip recomputing them.
    lang
        Language of popups, the KPI panel and the gap tables (``vi`` default).

    Raises
    ------
    LayerValidationError
        Unknown ``kind``.
    WorkspaceError
        Nothing to map, or ``xstatic-leaflet`` missing.
    """
    fmap, counts = build_gap_map(analysis, kind=kind, gaps=gaps, lang=lang)
    text = fmap.get_root().render()
    remote = _REMOTE_TAG.search(text)
    if remote is not None:
        # A folium element brought its own CDN link: the file would not work offline.
        raise WorkspaceError(f"the gap map would load a remote resource ({remote.group(0)!r}); not written")
    path = Path(out_path)
    data = text.encode("utf-8")
    path.write_bytes(data)
    return GapMapSummary(path=path, gaps=counts, bytes_written=len(data))
