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
    assert "put planned site S2 on air" in text  # and its recommendation
    assert "Xã Thử Nghiệm" in text  # communes outline
    assert ATTRIBUTION_BOUNDARIES in text
    assert "L.map(" in text  # Leaflet itself is inlined...
    assert REMOTE_TAG.search(text) is None  # ...and no script, style or image is fetched
    for host in CDN_HOSTS:
        assert host not in text
    assert "url(images/" not in text  # Leaflet's CSS images are data URIs


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
