"""Tables as real Excel and provincial exports write them: whole numbers with thousands
separators, title rows above a CSV's header, totals rows, dates as Excel serials."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from coverage_gis.errors import LayerValidationError
from coverage_gis.io import import_file
from coverage_gis.layers import FieldSchema, LayerSchema
from coverage_gis.validation import validate_layer
from coverage_gis.workspace import Workspace

_COUNT = LayerSchema("t", "t", "t", "none", "n", (FieldSchema("n", "int"),))
_VILLAGES = "Mã thôn,Tên thôn,Loại,Mã tỉnh,Kinh độ,Vĩ độ,Dân số\n"


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    return Workspace.create(tmp_path / "ws", metric_crs="EPSG:32649")


def _csv(tmp_path: Path, text: str, name: str = "in.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1.000", 1000),
        ("1,000", 1000),
        ("12.345.678", 12345678),
        ("12,345,678", 12345678),
        ("1\u00a0234", 1234),
        ("1 234", 1234),
        ("-2.500", -2500),
        ("1000", 1000),
        ("1000.0", 1000),
        ("1000,0", 1000),
    ],
)
def test_whole_numbers_with_thousands_separators_read_as_thousands(text: str, expected: int) -> None:
    clean, _ = validate_layer(pd.DataFrame({"n": [text]}), _COUNT, source="t.csv")

    assert clean["n"].tolist() == [expected]


@pytest.mark.parametrize("text", ["1.2345", "1,5", "1.000,5", "1.000,000.000", "1.2340"])
def test_other_fractions_in_whole_number_fields_stay_errors(text: str) -> None:
    with pytest.raises(LayerValidationError, match=r"not a (whole )?number"):
        validate_layer(pd.DataFrame({"n": [text]}), _COUNT, source="t.csv")


@given(st.integers(min_value=1000, max_value=10**12), st.sampled_from([".", ",", "\u00a0", " "]))
def test_any_grouped_whole_number_reads_back(value: int, sep: str) -> None:
    text = f"{value:,}".replace(",", sep)

    clean, _ = validate_layer(pd.DataFrame({"n": [text]}), _COUNT, source="t.csv")

    assert clean["n"].tolist() == [value]


def test_village_population_with_vietnamese_thousands_is_not_divided(ws: Workspace, tmp_path: Path) -> None:
    rows = 'T1,Thôn 1,thôn,52,109.01,13.77,1.000\nT2,Thôn 2,thôn,52,109.02,13.78,"2.345"\n'
    path = _csv(tmp_path, _VILLAGES + rows)

    import_file(ws, "villages", path)

    assert ws.read_layer("villages")["population"].tolist() == [1000, 2345]
