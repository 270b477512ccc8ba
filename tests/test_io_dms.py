"""Degrees-minutes-seconds coordinates: the forms people write, the errors, and a round trip."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from coverage_gis.errors import LayerValidationError
from coverage_gis.io.csv_points import parse_coordinates, parse_numbers
from coverage_gis.io.dms import Axis, dms_degrees

D, M, S = 108, 55, 12.3
DMS = D + M / 60 + S / 3600


@pytest.mark.parametrize(
    ("text", "axis", "expected"),
    [
        ("108°55'12.3\"E", "lon", DMS),
        ("108° 55' 12.3\" E", "lon", DMS),
        ("108 55 12.3", "lon", DMS),
        ("108°55′12.3″", "lon", DMS),
        ("108º55’12,3”", "lon", DMS),
        ("108°55'12.3''", "lon", DMS),
        ("E 108°55'12.3\"", "lon", DMS),
        ("108°55'12.3\"W", "lon", -DMS),
        ("-108°55'12.3\"", "lon", -DMS),
        ("108°55'12.3\" Đ", "lon", DMS),
        ("108°55'12.3\"đ", "lon", DMS),
        ("108°55.205'", "lon", 108 + 55.205 / 60),
        ("108 55,205", "lon", 108 + 55.205 / 60),
        ("13°46'N", "lat", 13 + 46 / 60),
        ("13°46'n", "lat", 13 + 46 / 60),
        ("13°46'S", "lat", -(13 + 46 / 60)),
        ("B 13°46'", "lat", 13 + 46 / 60),
        ("13.5°N", "lat", 13.5),
        ("13°", "lat", 13.0),
        # typed where the keyboard has no degree sign
        ("108o55'12.3\"", "lon", DMS),
        ("108*55'12.3\"", "lon", DMS),
        ("108 độ 55 phút 12,3 giây", "lon", DMS),
        ("108 ĐỘ 55 PHÚT 12,3 GIÂY Đ", "lon", DMS),
        ("108:55:12.3", "lon", DMS),
        ("108d55m12.3s", "lon", DMS),
        ("13d46m0s N", "lat", 13 + 46 / 60),
        ("13d46m0s S", "lat", -(13 + 46 / 60)),
        ("108.55.12,3", "lon", DMS),
        ("108.55.12.3", "lon", DMS),
        ("13.46.00 B", "lat", 13 + 46 / 60),
    ],
)
def test_forms(text: str, axis: Axis, expected: float) -> None:
    assert dms_degrees(text, axis) == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize(
    ("text", "axis", "reason"),
    [
        ("108°60'00\"E", "lon", "60 minutes; minutes must be below 60"),
        ("108°59'60\"E", "lon", "60 seconds; seconds must be below 60"),
        ("108°75.5'", "lon", "75.5 minutes"),
        ("13°46'N", "lon", "hemisphere N is for latitude, not longitude"),
        ("108°55'E", "lat", "hemisphere E is for longitude, not latitude"),
        ("13°46'B", "lon", "hemisphere B is for latitude"),
        ("-13°46'N", "lat", "both a sign and the hemisphere N"),
        ("N13°46'S", "lat", "hemisphere letter at both ends"),
        ("108.5°30'", "lon", "is not a number"),  # only the last part may have decimals
        ("108°55'12.3\"12", "lon", "is not a number"),
        ("mười bốn", "lat", "is not a number"),
        ("E", "lon", "is not a number"),
        ("", "lon", "is not a number"),
        ("1.601.768,89", "lon", "is not a number"),  # metres grouped in thousands, not degrees
        ("108.55.12.3.4", "lon", "is not a number"),
        ("108o", "lon", "is not a number"),
    ],
)
def test_errors(text: str, axis: Axis, reason: str) -> None:
    with pytest.raises(ValueError, match=re.escape(reason)):
        dms_degrees(text, axis)


def test_parse_coordinates_names_file_row_and_column() -> None:
    series = pd.Series(["108°55'12\"E", "108°61'E"], index=[4, 7], dtype=object)
    with pytest.raises(LayerValidationError) as info:
        parse_coordinates(series, source="tram.csv", field="Kinh độ", axis="lon")
    err = info.value
    assert (err.source, err.row, err.field) == ("tram.csv", 7, "Kinh độ")
    assert "61 minutes" in err.reason


def test_decimal_degrees_read_as_before() -> None:
    series = pd.Series(["109,123456789", " 14.5 ", 109.123456789, "1e1"], dtype=object)
    got = parse_coordinates(series, source="f", field="lon", axis="lon")
    assert got.tolist() == parse_numbers(series, source="f", field="lon").tolist()
    assert got.tolist() == [109.123456789, 14.5, 109.123456789, 10.0]


def test_other_columns_do_not_read_dms() -> None:
    with pytest.raises(LayerValidationError, match="is not a number"):
        parse_numbers(pd.Series(["108°55'E"]), source="f", field="download_mbps")


def _dms_text(value: float, axis: Axis, digits: int, style: int) -> tuple[str, float]:
    """``value`` written as DMS text with seconds rounded to ``digits``, and what that text means."""
    letters = {"lon": ("E", "W"), "lat": ("N", "S")}[axis]
    sign = -1 if value < 0 else 1
    rest = abs(value)
    degrees = int(rest)
    minutes = int((rest - degrees) * 60)
    seconds = round(((rest - degrees) * 60 - minutes) * 60, digits)
    if seconds >= 60:  # rounding carried over: write the carry as a DMS writer would
        seconds = 0.0
        minutes += 1
    if minutes >= 60:
        minutes = 0
        degrees += 1
    meant = sign * (degrees + minutes / 60 + seconds / 3600)
    sec = f"{seconds:.{digits}f}"
    if style == 0:
        text = f"{degrees}°{minutes}'{sec}\"{letters[sign < 0]}"
    elif style == 1:
        text = f"{letters[sign < 0]} {degrees}° {minutes}′ {sec}″"
    else:
        text = f"{'-' if sign < 0 else ''}{degrees} {minutes} {sec}"
    return text, meant


@given(
    axis=st.sampled_from(["lon", "lat"]),
    fraction=st.floats(min_value=-1, max_value=1, allow_nan=False),
    digits=st.integers(min_value=0, max_value=6),
    style=st.integers(min_value=0, max_value=2),
)
def test_round_trip(axis: Axis, fraction: float, digits: int, style: int) -> None:
    value = fraction * (180 if axis == "lon" else 90)
    text, meant = _dms_text(value, axis, digits, style)
    got = dms_degrees(text, axis)
    assert abs(got - meant) <= 1e-9
    assert abs(got - value) <= 0.5 * 10.0**-digits / 3600 + 1e-9
