"""A cell's band from its channel number, as planning-tool exports give it.

Ericsson, Huawei and Nokia cell exports (and the operators' lists made from them) seldom
name a cell's band: they give its carrier's channel, ``EARFCN`` (LTE), ``UARFCN`` (UMTS),
``ARFCN``/``BCCH`` (GSM), ``NR-ARFCN``/``SSB ARFCN`` (NR), or one ``Channel`` column for
every radio. A cells file with such a column and no band column gets ``band_mhz`` from it:
each channel read as the nominal MHz of the 3GPP band it lies in
(:func:`coverage_gis.bands.channel_band_mhz`), a column named for one radio read as that
radio's, a shared one by each row's ``tech``; with a note. A channel in none of the bands
known here is refused with its row: a guessed band would move the cell's coverage.

Such an export may not name the technology either: a file with no ``tech`` column takes
each row's from the column named for one radio that holds its channel
(:func:`tech_from_channels`: a Huawei LTE export's ``Downlink EARFCN`` makes its cells 4G).
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd

from coverage_gis._values import is_blank
from coverage_gis.bands import channel_band_mhz
from coverage_gis.errors import LayerValidationError
from coverage_gis.io.csv_points import parse_numbers
from coverage_gis.io.headers import find_header

__all__ = ["band_from_channels", "tech_from_channels"]

#: Spellings of a channel column (compared as headers are) → the radio it numbers (None:
#: each row's own ``tech``), most specific first.
_CHANNEL_COLUMNS: tuple[tuple[tuple[str, ...], str | None], ...] = (
    (("nr-arfcn", "nrarfcn", "nr arfcn", "ssb arfcn", "dl nr-arfcn", "arfcn nr"), "5G"),
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
    """``frame`` (cells, columns named as the schema's) with a ``tech`` column where it has
    none and columns named for one radio's channel: each row the radio of the one such
    column that holds a channel in it (None where none does, or two radios': validation
    names the row); ``frame`` itself otherwise."""
    columns = [str(c) for c in frame.columns]
    if "tech" in columns:
        return frame
    radios = [(column, radio) for column, radio in _channel_columns(columns) if radio is not None]
    if not radios:
        return frame
    given = np.column_stack(
        [frame[column].map(lambda v: not is_blank(v)).to_numpy(dtype=bool) for column, _ in radios]
    )
    one = given.sum(axis=1) == 1
    if not one.any():
        return frame
    tech = np.full(len(frame), None, dtype=object)
    tech[one] = np.asarray([radio for _, radio in radios], dtype=object)[given[one].argmax(axis=1)]
    shown = ", ".join(
        f"{column!r} → {radio} ({int(given[one, k].sum())})" for k, (column, radio) in enumerate(radios)
    )
    notes.append(f"cells: tech read from the radio each channel column numbers: {shown}")
    return frame.assign(tech=pd.Series(tech, index=frame.index, dtype=object))


def band_from_channels(frame: pd.DataFrame, *, source: str, notes: list[str]) -> pd.DataFrame:
    """``frame`` (cells, columns named as the schema's) with ``band_mhz`` from its channel
    columns where it has them and no band column (see the module docstring): each row's
    from the most specific of them that holds a channel in it (a mixed export's EARFCN and
    UARFCN columns, each row filling one)."""
    columns = [str(c) for c in frame.columns]
    if "band_mhz" in columns:
        return frame
    # A shared channel column means nothing without each row's radio.
    found = [(column, radio) for column, radio in _channel_columns(columns) if radio or "tech" in columns]
    if not found:
        return frame
    channels = [
        parse_numbers(frame[column], source=source, field=column, required=False) for column, _ in found
    ]
    techs = frame["tech"].tolist() if "tech" in columns else [None] * len(frame)
    # As text, as a file's band column is read (validation parses it); None where no channel.
    band = np.full(len(frame), None, dtype=object)
    read: Counter[tuple[str, float]] = Counter()
    for i in range(len(frame)):
        at = next((k for k in range(len(found)) if not np.isnan(channels[k][i])), None)
        if at is None:
            continue  # no channel
        column, radio = found[at]
        channel, tech = channels[at][i], radio or techs[i]
        if not isinstance(tech, str) or not tech.strip():
            continue  # no radio to read it by (validation names a missing tech)
        mhz = channel_band_mhz(str(tech), int(channel)) if float(channel).is_integer() else None
        if mhz is None:
            raise LayerValidationError(
                f"channel {channel:g} of a {tech} cell lies in no band coverage-gis knows "
                f"(GSM 900/1800, UMTS 850/900/2100, LTE bands 1-43, NR up to 26 GHz); "
                f"give the cell's band (a band_mhz column) instead",
                source=source,
                row=int(frame.index[i]),
                field=column,
            )
        band[i] = f"{mhz:g}"
        read[(str(tech), mhz)] += 1
    shown = ", ".join(f"{tech} {mhz:g} MHz ({n})" for (tech, mhz), n in sorted(read.items()))
    named = ", ".join(repr(column) for column, _ in found)
    notes.append(f"cells: band_mhz read from the channel numbers of {named}: {shown}")
    return frame.drop(columns=[column for column, _ in found]).assign(band_mhz=band)
