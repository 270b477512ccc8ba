"""Forms of Vietnamese text compared: old- and new-style tone marks (``coverage_gis.text_forms``)."""

from __future__ import annotations

import pytest

from coverage_gis.text_forms import LeadingValues, new_style_tones


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("uỷ ban nhân dân", "ủy ban nhân dân"),
        ("hoà bình", "hòa bình"),
        ("thuỷ lợi", "thủy lợi"),
        ("khoẻ", "khỏe"),
        ("toà án", "tòa án"),
        ("hoàng", "hoàng"),  # the mark is on the a in both styles: a consonant follows
        ("quý", "quý"),  # after q the u is the consonant's
        ("quỳnh", "quỳnh"),
    ],
)
def test_old_style_tone_marks_compare_as_the_new_style(old: str, new: str) -> None:
    """ "Uỷ ban" and "Ủy ban", "Hoà" and "Hòa" are one word in two styles: a list's value matches
    a spelling whichever it uses. Fails if the old style is left as it is."""
    assert new_style_tones(old) == new
    assert LeadingValues({"ủy ban nhân dân xã": "commune_office"})(old.capitalize() + " xã X") == (
        "commune_office" if new.startswith("ủy ban") else None
    )
