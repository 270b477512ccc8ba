"""The display rule for shares, by hand, by property, and the web map's copy of it (node)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coverage_gis.display import (
    display_share,
    format_cell,
    format_money,
    format_number,
    format_share,
    money_value,
)

APP_JS = Path(__file__).parent.parent / "api" / "coverage_gis_api" / "static" / "app.js"
#: Shares where rounding could mislead, and ordinary ones (checked by hand below).
SAMPLES = [0.0, 0.01, 0.04, 0.05, 0.06, 12.34, 33.333, 50.05, 99.9, 99.94, 99.95, 99.96, 99.99, 100.0]


def test_by_hand() -> None:
    assert display_share(99.96) == 99.9  # would round to 100.0: floored
    assert display_share(99.99) == 99.9
    assert display_share(99.94) == 99.9
    assert display_share(100.0) == 100.0
    assert display_share(0.01) == 0.1  # would round to 0.0: raised
    assert display_share(0.0) == 0.0
    assert display_share(12.34) == 12.3
    assert display_share(12.36) == 12.4
    assert display_share(None) is None
    assert display_share(float("nan")) is None


@given(st.floats(min_value=0.0, max_value=100.0, allow_nan=False))
def test_never_100_or_0_unless_exact(value: float) -> None:
    shown = display_share(value)
    assert shown is not None
    assert (shown == 100.0) == (value == 100.0)
    assert (shown == 0.0) == (value == 0.0)
    assert abs(shown - value) <= 0.1 + 1e-9


def test_formats_in_each_language() -> None:
    assert format_share(99.96, lang="vi") == "99,9 %"
    assert format_share(99.96, lang="en") == "99.9%"
    assert format_number(1234567.891, 1, lang="vi") == "1.234.567,9"
    assert format_number(1234567.891, 1, lang="en") == "1,234,567.9"
    assert money_value(280056598.6468476) == 280056599.0  # whole đồng
    assert format_money(280056598.6468476, lang="vi") == "280,1 triệu đồng"
    assert format_money(280056598.6468476, lang="en", unit="dong") == "VND 280,056,599"
    assert format_cell("best_signal_dbm", -87.12345678901234, lang="en") == "-87.1"
    assert format_cell("lon", 108.79591234567, lang="en") == "108.795912"
    assert format_cell("mobile_bb", True, lang="vi") == "có"


@pytest.mark.skipif(shutil.which("node") is None, reason="needs node to run the web map's script")
def test_web_map_applies_the_same_rule() -> None:
    source = APP_JS.read_text(encoding="utf-8")
    found = re.search(r"  function displayShare\(.*?\n  \}\n", source, flags=re.DOTALL)
    assert found, "app.js has no displayShare"
    script = (
        found.group(0) + f"console.log(JSON.stringify({json.dumps(SAMPLES)}.map((v) => displayShare(v))));"
    )
    done = subprocess.run(["node", "-e", script], capture_output=True, text=True, check=True, timeout=60)
    assert json.loads(done.stdout) == [display_share(v) for v in SAMPLES]
    assert re.search(r"const shown = displayShare\(x\);", source)  # fmtPct uses it
