"""Frequency bands as operators' cell exports name them, read as the MHz of ``band_mhz``.

Exports write a cell's band as a number (``1800``), with its unit (``1800 MHz``:
:data:`coverage_gis.layers.UNIT_SPELLINGS`), as a technology and a number (``L1800``,
``U2100``, ``G900``, ``NR3500``, ``LTE1800``, ``GSM900``) or as a 3GPP operating band
(``B3``, ``Band 3``, ``n78``). This module reads the last two as the band's nominal
frequency, the one the coverage models' radius tables are keyed on (the nearest band is
taken: ``models.settings``). Anything else is left for validation to refuse. Imports and
site-edit CSVs apply it, with a note (``io.headers.read_values``).
"""

from __future__ import annotations

import re

__all__ = ["BAND_MHZ", "NR_BAND_MHZ", "band_mhz_text"]

#: E-UTRA (LTE) operating bands in use in Vietnam and its neighbours → nominal MHz.
BAND_MHZ: dict[int, float] = {
    1: 2100.0,
    3: 1800.0,
    5: 850.0,
    7: 2600.0,
    8: 900.0,
    20: 800.0,
    28: 700.0,
    38: 2600.0,
    40: 2300.0,
    41: 2500.0,
}
#: NR (5G) operating bands → nominal MHz.
NR_BAND_MHZ: dict[int, float] = {
    1: 2100.0,
    3: 1800.0,
    8: 900.0,
    28: 700.0,
    40: 2300.0,
    41: 2500.0,
    77: 3700.0,
    78: 3500.0,
    79: 4700.0,
}
#: Technology words written before a frequency in MHz (``L1800``, ``GSM900``, ``NR3500``).
_TECH_PREFIXES = frozenset(
    {
        "g",
        "gsm",
        "egsm",
        "e-gsm",
        "dcs",
        "u",
        "umts",
        "wcdma",
        "l",
        "lte",
        "fdd",
        "tdd",
        "nr",
        "5g",
        "4g",
        "3g",
        "2g",
    }
)
#: The lowest frequency (MHz) a prefixed number is read as; below it, a number is a band.
_MIN_MHZ = 400.0
_BAND_NAME = re.compile(r"\A([a-z][a-z\-]*?)[\s_\-]*(\d+(?:\.\d+)?)\s*(?:mhz)?\Z")


def band_mhz_text(value: object) -> str | None:
    """The MHz (as text) a band name stands for: ``"B3"``, ``"Band 3"`` → ``"1800"``, ``"n78"`` →
    ``"3500"``, ``"L1800"``, ``"NR3500"`` → the number; None for anything else (a plain number
    included: validation reads those)."""
    if not isinstance(value, str):
        return None
    found = _BAND_NAME.match(value.strip().casefold())
    if found is None:
        return None
    prefix, number = found.group(1), float(found.group(2))
    if prefix in ("b", "band") and number.is_integer() and int(number) in BAND_MHZ:
        return f"{BAND_MHZ[int(number)]:g}"
    if prefix == "n" and number.is_integer() and int(number) in NR_BAND_MHZ:
        return f"{NR_BAND_MHZ[int(number)]:g}"
    if prefix in _TECH_PREFIXES and number >= _MIN_MHZ:
        return f"{number:g}"
    return None
