"""A cell's band from its channel number, as planning-tool exports give it, or from its technology's name.

Ericsson, Huawei and Nokia cell exports (and the operators' lists made from them) seldom
name a cell's band: they give its carrier's channel, ``EARFCN`` (LTE), ``UARFCN`` (UMTS),
``ARFCN``/``BCCH`` (GSM), ``NR-ARFCN``/``SSB ARFCN``/Ericsson's ``ssbFrequency`` (NR), or
one ``Channel`` column for every radio. A cells file with such a column and no band
column gets ``band_mhz`` from it: each channel read as the nominal MHz of the 3GPP band it lies in
(:func:`coverage_gis.bands.channel_band_mhz`), a column named for one radio read as that
radio's, a shared one by each row's ``tech``; with a note. A channel in none of the bands
known here is refused with its row: a guessed band would move the cell's coverage.

A list may also name a cell's band in its technology (``U900``, ``LTE 2600``, ``4G1800``,
``NR 3500``): a row whose band is blank takes it from there (:func:`band_from_tech_names`);
and its radio in its band (``L1800``, ``U2100``, ``N78``): a row whose technology is blank
takes it from there (:func:`tech_from_band_names`).

Such an export may not name the technology either: a row whose ``tech`` is blank, or a file
with no ``tech`` column, takes the radio of the column named for one radio that holds its
channel (:func:`tech_from_channels`: a Huawei LTE export's ``Downlink EARFCN`` makes its
cells 4G). Likewise a row whose ``band_mhz`` is blank takes its band from its channel: a
file's own value wins wherever it gives one.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable

import numpy as np
import pandas as pd

from coverage_gis._values import is_blank
from coverage_gis.bands import BAND_MHZ, NR_BAND_MHZ, band_mhz_text, channel_band_mhz
from coverage_gis.errors import LayerValidationError
from coverage_gis.io.csv_points import parse_numbers
from coverage_gis.io.headers import find_header, value_key
from coverage_gis.layers import get_schema

__all__ = [
    "band_from_channels",
    "band_from_tech_names",
    "radio_names_read",
    "tech_from_band_names",
    "tech_from_channels",
]

#: Spellings of a channel column (compared as headers are) → the radio it numbers (None:
#: each row's own ``tech``), most specific first.
_CHANNEL_COLUMNS: tuple[tuple[tuple[str, ...], str | None], ...] = (
    (("nr-arfcn", "nrarfcn", "nr arfcn", "ssb arfcn", "dl nr-arfcn", "arfcn nr", "ssbfrequency"), "5G"),
    (("earfcn", "dl earfcn", "earfcn dl", "dlearfcn", "downlink earfcn"), "4G"),
    (("uarfcn", "dl uarfcn", "uarfcn dl", "uarfcn downlink", "downlink uarfcn"), "3G"),
    (("bcch", "bcch arfcn"), "2G"),
    (("arfcn", "channel", "kênh", "kênh tần số", "số kênh"), None),
)


def _channel_columns(columns: list[str]) -> list[tuple[str, str | None]]:
    """The channel columns of a file with headers ``columns``, most specific first, each with
    the radio it numbers (None: each row's own ``tech``)."""
    return [(column, radio) for names, radio in _CHANNEL_COLUMNS if (column := find_header(columns, names))]


def tech_from_channels(frame: pd.DataFrame, *, notes: list[str]) -> pd.DataFrame:
    """``frame`` (cells, columns named as the schema's) with each row's blank ``tech`` (or a
    ``tech`` column where it has none) read from its columns named for one radio's channel:
    the radio of the one such column that holds a channel in the row (left blank where none
    does, or two radios': validation names the row); ``frame`` itself when no row takes one."""
    columns = [str(c) for c in frame.columns]
    radios = [(column, radio) for column, radio in _channel_columns(columns) if radio is not None]
    if not radios:
        return frame
    given = np.column_stack(
        [frame[column].map(lambda v: not is_blank(v)).to_numpy(dtype=bool) for column, _ in radios]
    )
    own = frame["tech"] if "tech" in columns else None
    fill = (given.sum(axis=1) == 1) & _blank_rows(own, len(frame))
    if not fill.any():
        return frame
    tech = np.full(len(frame), None, dtype=object) if own is None else own.to_numpy(dtype=object, copy=True)
    tech[fill] = np.asarray([radio for _, radio in radios], dtype=object)[given[fill].argmax(axis=1)]
    shown = ", ".join(
        f"{column!r} → {radio} ({int(given[fill, k].sum())})" for k, (column, radio) in enumerate(radios)
    )
    where = "" if own is None else " in the rows whose tech is blank"
    notes.append(f"cells: tech read from the radio each channel column numbers{where}: {shown}")
    return frame.assign(tech=pd.Series(tech, index=frame.index, dtype=object))


def _blank_rows(column: pd.Series | None, size: int) -> np.ndarray:
    """Per row: whether ``column`` gives no value in it (every row when there is no column)."""
    if column is None:
        return np.ones(size, dtype=bool)
    return np.asarray(column.map(is_blank).to_numpy(dtype=bool), dtype=bool)


def band_from_channels(frame: pd.DataFrame, *, source: str, notes: list[str]) -> pd.DataFrame:
    """``frame`` (cells, columns named as the schema's) with each row's blank ``band_mhz`` (or
    a ``band_mhz`` column where it has none) read from its channel columns (see the module
    docstring): each row's from the most specific of them that holds a channel in it (a
    mixed export's EARFCN and UARFCN columns, each row filling one). The channel columns
    are dropped: a row's band is its own value or its channel's."""
    columns = [str(c) for c in frame.columns]
    own = frame["band_mhz"] if "band_mhz" in columns else None
    blank = _blank_rows(own, len(frame))
    # A shared channel column means nothing without each row's radio.
    found = [(column, radio) for column, radio in _channel_columns(columns) if radio or "tech" in columns]
    rows = np.flatnonzero(blank)
    if not found or not rows.size:
        return frame
    # Only the rows that take a band are read (a channel beside a band given is not asked).
    asked = frame.iloc[rows]
    channels = [
        parse_numbers(asked[column], source=source, field=column, required=False) for column, _ in found
    ]
    # A column written in MHz (ZTE's earfcnDl: 1845.0, 947.5) holds no channel numbers.
    in_mhz = [
        _written_in_mhz(asked[column], numbers) for (column, _), numbers in zip(found, channels, strict=True)
    ]
    techs = asked["tech"].tolist() if "tech" in columns else [None] * len(rows)
    # As text, as a file's band column is read (validation parses it); None where no channel.
    band = np.full(len(frame), None, dtype=object) if own is None else own.to_numpy(dtype=object, copy=True)
    read: Counter[tuple[str, float]] = Counter()
    for j, i in enumerate(rows):
        at = next((k for k in range(len(found)) if not np.isnan(channels[k][j])), None)
        if at is None:
            continue  # no channel
        column, radio = found[at]
        channel, tech = channels[at][j], radio or techs[j]
        if not isinstance(tech, str) or not tech.strip():
            continue  # no radio to read it by (validation names a missing tech)
        as_channel = channel_band_mhz(str(tech), int(channel)) if float(channel).is_integer() else None
        if in_mhz[at] is True:
            mhz = float(round(channel, 1)) if _MHZ_RANGE[0] <= channel <= _MHZ_RANGE[1] else None
        elif in_mhz[at] is None and (as_frequency := _frequency_band(channel)) is not None:
            # Written 1845.0: a frequency or a channel number. Where both readings give one
            # band, the channel's is kept; where they differ, the file does not say which.
            if as_channel is not None and as_channel != as_frequency:
                raise LayerValidationError(
                    f"{column} {channel:g}, written with a decimal point, reads as channel "
                    f"{int(channel)} ({as_channel:g} MHz) or as {channel:g} MHz; give the cells' band "
                    "(a band_mhz or freqBandInd column)",
                    source=source,
                    row=int(asked.index[j]),
                    field=column,
                )
            mhz = as_channel if as_channel is not None else float(round(channel, 1))
        else:
            mhz = as_channel
        if mhz is None:
            raise LayerValidationError(
                f"channel {channel:g} of a {tech} cell lies in no band coverage-gis knows "
                f"(GSM 900/1800, UMTS 850/900/2100, LTE bands 1-43, NR up to 26 GHz); "
                f"give the cell's band (a band_mhz column) instead",
                source=source,
                row=int(asked.index[j]),
                field=column,
            )
        band[i] = f"{mhz:g}"
        read[(str(tech), mhz)] += 1
    shown = ", ".join(f"{tech} {mhz:g} MHz ({n})" for (tech, mhz), n in sorted(read.items()))
    named = ", ".join(
        repr(column) + (" (written in MHz)" if mhz is True else "")
        for (column, _), mhz in zip(found, in_mhz, strict=True)
    )
    if own is not None and not read:
        return frame
    where = "" if own is None else " in the rows whose band_mhz is blank"
    notes.append(f"cells: band_mhz read from the channel numbers of {named}{where}: {shown}")
    return frame.drop(columns=[column for column, _ in found]).assign(band_mhz=band)


#: The frequencies (MHz) a channel column written in MHz may hold: the bands known here.
_MHZ_RANGE = (400.0, 30_000.0)


def _written_in_mhz(values: pd.Series, numbers: np.ndarray) -> bool | None:
    """Whether a channel column holds frequencies in MHz: True where a value is not a whole
    number (``947.5``: no channel is); None where every one is written with a decimal point
    (``1845.0``, as ZTE writes ``earfcnDl``, but also a channel a script wrote as a float),
    either reading, decided per value; False otherwise (channel numbers)."""
    given = ~np.isnan(numbers)
    if not given.any():
        return False
    if not np.all(np.mod(numbers[given], 1.0) == 0.0):
        return True
    texts = [v for v in values[given] if isinstance(v, str)]
    written = len(texts) == int(given.sum()) and all(re.fullmatch(r"\s*\d+[.,]\d+\s*", t) for t in texts)
    return None if written else False


#: A frequency lies in a band when it is this close to the band's nominal MHz (relative).
_NEAR_NOMINAL = 0.06


def _frequency_band(mhz: float) -> float | None:
    """The nominal MHz of the known band a frequency lies near (None: none within
    :data:`_NEAR_NOMINAL`): 1845 → 1800, 2630 → 2600, 1650 → none."""
    nominal = sorted({*BAND_MHZ.values(), *NR_BAND_MHZ.values()}, key=lambda n: abs(n - mhz))
    return nominal[0] if nominal and abs(nominal[0] - mhz) <= _NEAR_NOMINAL * nominal[0] else None


#: A band's MHz written at the end of a technology's name, after its letters (``LTE 2600``,
#: ``4G1800``, ``FDD-LTE 1800``, ``2G GSM900``).
_TRAILING_MHZ = re.compile(r"[^\W\d_][\W_]*(\d{3,5})\s*(?:mhz)?\Z")


def band_in_tech_name(text: object) -> str | None:
    """The MHz (as text) a technology's name gives (``U900`` → ``"900"``, ``NR 3500``,
    ``4G LTE n28``); None where it gives none (``4G``, ``LTE-A``)."""
    if not isinstance(text, str) or not text.strip():
        return None
    key = text.strip().casefold()
    found = band_mhz_text(key) or band_mhz_text(key.split()[-1])
    if (
        found is None
        and (trailing := _TRAILING_MHZ.search(key))
        and float(trailing.group(1)) >= _MIN_BAND_MHZ
    ):
        found = trailing.group(1)
    return found


#: The lowest band read from a name (a smaller number is a band's 3GPP number or a release).
_MIN_BAND_MHZ = 400


def band_from_tech_names(frame: pd.DataFrame, *, notes: list[str]) -> pd.DataFrame:
    """``frame`` (cells, columns named as the schema's, values as the file writes them) with
    each row's blank ``band_mhz`` (or a ``band_mhz`` column where it has none) read from its
    ``tech`` where that names a band (:func:`band_in_tech_name`), with a note; ``frame``
    itself when no row's does."""
    return _blanks_read(frame, "band_mhz", "tech", band_in_tech_name, "the technology's name", notes=notes)


def _blanks_read(
    frame: pd.DataFrame,
    target: str,
    source: str,
    read: Callable[[object], str | None],
    what: str,
    *,
    notes: list[str],
) -> pd.DataFrame:
    """``frame`` with each row's blank ``target`` (or a ``target`` column where it has none)
    read from its ``source`` value by ``read`` (asked once per distinct value; None: it says
    nothing), with a note naming ``what`` was read; ``frame`` itself when no row's says."""
    if source not in frame.columns:
        return frame
    own = frame[target] if target in frame.columns else None
    blank = _blank_rows(own, len(frame))
    values = frame[source].to_numpy(dtype=object)
    said = {
        v: found for v in pd.unique(values[blank]) if isinstance(v, str) and (found := read(v)) is not None
    }
    if not said:
        return frame
    out = np.full(len(frame), None, dtype=object) if own is None else own.to_numpy(dtype=object, copy=True)
    counts: Counter[str] = Counter()
    for i in np.flatnonzero(blank):
        found = said.get(values[i]) if isinstance(values[i], str) else None
        if found is not None:
            out[i] = found
            counts[f"{values[i]!r} → {found}"] += 1
    where = "" if own is None else f" in the rows whose {target} is blank"
    shown = ", ".join(f"{k} ({n} row{'s' if n > 1 else ''})" for k, n in sorted(counts.items()))
    notes.append(f"cells: {target} read from {what}{where}: {shown}")
    return frame.assign(**{target: out})


#: A band written after its radio's letters (``L1800``, ``U 2100``, ``NR-3500``, ``N78``).
_RADIO_LETTERS = re.compile(r"\A\s*([^\W\d_]+)[\s-]*\d")


def tech_from_band_names(frame: pd.DataFrame, *, notes: list[str]) -> pd.DataFrame:
    """``frame`` (cells, columns named as the schema's, values as the file writes them) with
    each row's blank ``tech`` (or a ``tech`` column where it has none) read from a
    ``band_mhz`` written after its radio's letters (``L1800`` → 4G, ``U2100`` → 3G, ``N78`` →
    5G; a band's own number, ``B3``, names no radio), as the technology's spellings read those
    letters, with a note; ``frame`` itself when no row's does."""
    spelled = {value_key(k): v for k, v in get_schema("cells").field("tech").value_spellings.items()}

    def radio(band: object) -> str | None:
        found = _RADIO_LETTERS.match(band) if isinstance(band, str) else None
        return spelled.get(found.group(1).casefold()) if found is not None else None

    return _blanks_read(frame, "tech", "band_mhz", radio, "the band's radio letters", notes=notes)


def radio_names_read(frame: pd.DataFrame, *, notes: list[str]) -> pd.DataFrame:
    """``frame`` (cells, columns named, values as the file writes them) with a blank band read
    from its technology's name (``U900``) and a blank technology from its band's radio letter
    (``L1800``): what an import and a site-edit CSV read before the spellings replace them."""
    return tech_from_band_names(band_from_tech_names(frame, notes=notes), notes=notes)
