"""The offline gap map (``covgis map``): written, names the gaps, loads nothing from a CDN."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from coverage_gis.cli import main
from coverage_gis.engine import compute
from coverage_gis.errors import LayerValidationError
from coverage_gis.gapmap import write_gap_map
from coverage_gis.tiles.style import ATTRIBUTION_BOUNDARIES
from coverage_gis.workspace import Workspace

CDN_HOSTS = (
    "cdn.jsdelivr.net",
    "code.jquery.com",
    "cdnjs.cloudflare.com",
    "netdna.bootstrapcdn.com",
    "unpkg.com",
    "maxcdn.bootstrapcdn.com",
)
REMOTE_TAG = re.compile(r"<(?:script|link|img)\b[^>]*\b(?:src|href)\s*=\s*[\"']?(?:https?:)?//", re.I)


def test_gap_map_is_self_contained(tiny_ws: Workspace, tmp_path: Path) -> None:
    out = tmp_path / "gaps.html"
    summary = write_gap_map(compute(tiny_ws), out)
    assert summary.gaps == {"mobile": 1, "ftth": 1}
    text = out.read_text(encoding="utf-8")
    assert summary.bytes_written == len(text.encode("utf-8"))
    assert "làng O2" in text  # the gap, with its diacritics
    assert "Trạm quy hoạch chưa phát sóng" in text  # its cause, in Vietnamese
    assert "Đưa trạm quy hoạch S2 vào phát sóng" in text  # and its recommendation, in Vietnamese
    assert "put planned site S2 on air" not in text  # (not the English sentence)
    assert "Xã Thử Nghiệm" in text  # communes outline
    assert ATTRIBUTION_BOUNDARIES in text
    assert "L.map(" in text  # Leaflet itself is inlined...
    assert REMOTE_TAG.search(text) is None  # ...and no script, style or image is fetched
    for host in CDN_HOSTS:
        assert host not in text
    assert "url(images/" not in text  # Leaflet's CSS images are data URIs


def test_gap_map_has_kpis_and_gap_tables(tiny_ws: Workspace, tmp_path: Path) -> None:
    """The e-mailed file stands alone: the province's KPIs and the gap lists as tables."""
    analysis = compute(tiny_ws)
    text = write_gap_map(analysis, tmp_path / "vi.html") and (tmp_path / "vi.html").read_text(
        encoding="utf-8"
    )
    panel = text[text.index("id='gap-summary'") :]
    kpis = panel[panel.index("id='gap-kpis'") : panel.index("</table>")]
    # 2 of 3 villages have mobile broadband: 66,7 %, in Vietnamese, by the display rule.
    assert "Thôn có băng rộng di động (%)" in kpis
    assert "66,7" in kpis
    (mobile,) = re.findall(r"<table class='gap-table' data-kind='mobile'.*?</table>", panel, flags=re.S)
    assert "làng O2" in mobile
    assert "Trạm quy hoạch chưa phát sóng" in mobile
    assert "<th style='text-align:left;padding:2px 4px'>Đề xuất</th>" in mobile
    assert "1 điểm lõm di động" in panel

    write_gap_map(analysis, tmp_path / "en.html", lang="en")
    english = (tmp_path / "en.html").read_text(encoding="utf-8")
    assert "put planned site S2 on air" in english
    assert "Villages with mobile broadband (%)" in english
    assert "66.7" in english


def test_gap_map_one_kind(tiny_ws: Workspace, tmp_path: Path) -> None:
    analysis = compute(tiny_ws)
    summary = write_gap_map(analysis, tmp_path / "m.html", kind="mobile")
    assert summary.gaps == {"mobile": 1}
    with pytest.raises(LayerValidationError, match="kind"):
        write_gap_map(analysis, tmp_path / "x.html", kind="5g")


def test_covgis_map_command(tiny_ws: Workspace, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "gaps.html"
    assert main(["map", str(tiny_ws.path), "--out", str(out), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["gaps"] == {"mobile": 1, "ftth": 1}
    assert out.is_file()
    assert main(["map", str(tiny_ws.path), "--out", str(tmp_path / "no" / "such" / "g.html")]) == 2
    assert "does not exist" in capsys.readouterr().err
