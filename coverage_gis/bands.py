"""Frequency bands as operators' cell exports name them, read as the MHz of ``band_mhz``.

Exports write a cell's band as a number (``1800``), with its unit (``1800 MHz``:
:data:`coverage_gis.layers.UNIT_SPELLINGS`), as a technology and a number (``L1800``,
``U2100``, ``G900``, ``NR3500``, ``LTE1800``, ``GSM900``) or as a 3GPP operating band
(``B3``, ``Band 3``, ``n78``). This module reads the last two as the band's nominal
frequency, the one the coverage models' radius tables are keyed on (the nearest band is
taken: ``models.settings``). Anything else is left for validation to refuse. Imports and
site-edit CSVs apply it, with a note (``io.headers.read_values``). It also holds the band a
cell without one takes (:func:`default_bands`: the ``cells`` schema's default by technology).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from coverage_gis.layers import get_schema

__all__ = [
    "BAND_MHZ",
    "NR_BAND_MHZ",
    "band_mhz_text",
    "band_numbers_mhz",
    "channel_band_mhz",
    "default_bands",
    "nr_arfcn_mhz",
    "with_default_bands",
]

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
#: A frequency in GHz, with a decimal point or comma.
_GHZ = re.compile(r"(\d+(?:[.,]\d+)?)\s*ghz")


def band_mhz_text(value: object) -> str | None:
    """The MHz (as text) a band name stands for: ``"B3"``, ``"Band 3"`` → ``"1800"``, ``"n78"`` →
    ``"3500"``, ``"L1800"``, ``"NR3500"``, ``"N3500"`` → the number, ``"2,6 GHz"`` → ``"2600"``;
    None for anything else (a plain number included: validation reads those)."""
    if not isinstance(value, str):
        return None
    ghz = _GHZ.fullmatch(value.strip().casefold())
    if ghz is not None:  # "2,6 GHz", "3.5GHz"
        return f"{float(ghz.group(1).replace(',', '.')) * 1000:g}"
    found = _BAND_NAME.match(value.strip().casefold())
    if found is None:
        return None
    prefix, number = found.group(1), float(found.group(2))
    if prefix in ("b", "band") and number.is_integer() and int(number) in BAND_MHZ:
        return f"{BAND_MHZ[int(number)]:g}"
    if prefix == "n" and number.is_integer() and int(number) in NR_BAND_MHZ:
        return f"{NR_BAND_MHZ[int(number)]:g}"
    if (prefix in _TECH_PREFIXES or prefix == "n") and number >= _MIN_MHZ:
        return f"{number:g}"  # NR's "N3500": no NR band is numbered above 400
    # ("L18" is not read: LTE 1800 in hundreds, or LTE band 18, 800 MHz.)
    return None


def band_numbers_mhz(values: list[object]) -> dict[object, str] | None:
    """A band column's values read as 3GPP operating-band numbers (``3`` → ``"1800"``, ``78`` →
    ``"3500"``): where each value (text or number) is a whole number below the lowest
    frequency read as MHz and a known band (E-UTRA's, else NR's), the MHz of each; else None
    (a column of frequencies, or of anything else)."""
    out: dict[object, str] = {}
    for value in values:
        try:
            number = float(str(value).strip())
        except ValueError:
            return None
        band = int(number) if number.is_integer() else -1
        mhz = BAND_MHZ.get(band, NR_BAND_MHZ.get(band))
        if mhz is None or number >= _MIN_MHZ:
            return None
        out[value] = f"{mhz:g}"
    return out or None


# -- channel numbers ------------------------------------------------------------------------
# Planning-tool exports give a cell's carrier as its channel number rather than its band:
# the (E/U)ARFCN of 3GPP TS 45.005 (GSM), 25.101 (UMTS), 36.101 (LTE) and the NR-ARFCN of
# 38.104. A channel lies in one operating band (downlink, or uplink where an export gives
# that); it is read as the band's nominal MHz, as a band name is.

#: (first, last channel, nominal MHz) of each radio's bands, downlink and uplink ranges.
_CHANNELS: dict[str, tuple[tuple[int, int, float], ...]] = {
    # GSM ARFCN: P-GSM and E-GSM 900, DCS 1800.
    "2G": ((0, 124, 900.0), (975, 1023, 900.0), (512, 885, 1800.0)),
    # UARFCN: bands I (2100), VIII (900), V (850), downlink then uplink.
    "3G": (
        (10562, 10838, 2100.0),
        (2937, 3088, 900.0),
        (4357, 4458, 850.0),
        (9612, 9888, 2100.0),
        (2712, 2863, 900.0),
        (4132, 4233, 850.0),
    ),
    # EARFCN: downlink (0-45589), uplink (18000-) of the E-UTRA bands of BAND_MHZ, and 42/43.
    "4G": (
        (0, 599, BAND_MHZ[1]),
        (1200, 1949, BAND_MHZ[3]),
        (2400, 2649, BAND_MHZ[5]),
        (2750, 3449, BAND_MHZ[7]),
        (3450, 3799, BAND_MHZ[8]),
        (6150, 6449, BAND_MHZ[20]),
        (9210, 9659, BAND_MHZ[28]),
        (37750, 38249, BAND_MHZ[38]),
        (38650, 39649, BAND_MHZ[40]),
        (39650, 41589, BAND_MHZ[41]),
        (41590, 43589, 3500.0),
        (43590, 45589, 3700.0),
        (18000, 18599, BAND_MHZ[1]),
        (19200, 19949, BAND_MHZ[3]),
        (20400, 20649, BAND_MHZ[5]),
        (20750, 21449, BAND_MHZ[7]),
        (21450, 21799, BAND_MHZ[8]),
        (24150, 24449, BAND_MHZ[20]),
        (27210, 27659, BAND_MHZ[28]),
    ),
}
#: (lowest, highest MHz, nominal MHz) of the NR bands an NR-ARFCN's frequency may lie in:
#: n78 before n77 (3300-3800 MHz is both; Vietnam's 5G is licensed as n78), mmWave n257/n258.
_NR_FREQUENCIES: tuple[tuple[float, float, float], ...] = (
    (758.0, 803.0, NR_BAND_MHZ[28]),
    (925.0, 960.0, NR_BAND_MHZ[8]),
    (1805.0, 1880.0, NR_BAND_MHZ[3]),
    (2110.0, 2170.0, NR_BAND_MHZ[1]),
    (2300.0, 2400.0, NR_BAND_MHZ[40]),
    (2496.0, 2690.0, NR_BAND_MHZ[41]),
    (3300.0, 3800.0, NR_BAND_MHZ[78]),
    (3300.0, 4200.0, NR_BAND_MHZ[77]),
    (4400.0, 5000.0, NR_BAND_MHZ[79]),
    (24250.0, 29500.0, 26000.0),
)


def nr_arfcn_mhz(channel: int) -> float:
    """The frequency (MHz) of an NR-ARFCN on the global raster (TS 38.104 §5.4.2.1)."""
    if channel < 600_000:
        return channel * 0.005
    if channel < 2_016_667:
        return 3000.0 + 0.015 * (channel - 600_000)
    return 24250.08 + 0.06 * (channel - 2_016_667)


def channel_band_mhz(tech: str, channel: int) -> float | None:
    """The nominal MHz of the band a ``tech`` (``2G``…``5G``) channel number lies in; None
    where it lies in none of the bands known here."""
    if tech == "5G":
        mhz = nr_arfcn_mhz(channel) if channel <= 3_279_165 else None
        found = [n for low, high, n in _NR_FREQUENCIES if mhz is not None and low <= mhz <= high]
    else:
        found = [n for first, last, n in _CHANNELS.get(tech, ()) if first <= channel <= last]
    return found[0] if found else None


# -- a cell without a band ---------------------------------------------------------------------


def default_bands(tech: np.ndarray) -> np.ndarray:
    """The band (MHz) a cell of each technology takes where it gives none: the ``cells``
    schema's ``band_mhz`` default by technology (``layers/cells.yaml``), as an import fills it."""
    spec = get_schema("cells").field("band_mhz")
    by_tech = pd.Series(np.asarray(tech, dtype=object)).map(spec.default_of)
    return np.asarray(by_tech.to_numpy(dtype=np.float64), dtype=np.float64)


def with_default_bands(band_mhz: np.ndarray, tech: np.ndarray) -> np.ndarray:
    """``band_mhz`` with each NaN (a cell without a band) set to its technology's :func:`default_bands`."""
    missing = np.isnan(band_mhz)
    if missing.any():
        band_mhz = band_mhz.copy()
        band_mhz[missing] = default_bands(np.asarray(tech)[missing])
    return band_mhz
