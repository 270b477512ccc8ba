"""Rows that list several cells: a site's operators, technologies, bands or its sectors'
azimuths in one field (``docs/architecture.md``, importers).

Provincial BTS lists (a Sở TT&TT appendix, an operator's list of its sites) give one row per
site and write what it radiates in one field: ``Công nghệ`` ``2G/3G/4G``, ``Góc phương vị``
``0/120/240``, a shared mast's ``Doanh nghiệp`` ``Viettel + VNPT``. The cells layer holds one
row per cell, so such a row is spread into one row per cell (each operator's carriers on
every azimuth), with a note (:func:`cells_spread`):

* an operator field spreads when its pieces (split at ``/ ; , + & |``, a spaced dash, "và"
  or "and") each read as an operator, and not all as the same one;
* a technology field spreads when its pieces (split likewise, else at spaces) each read as
  a technology, and name more than one carrier: ``4G/LTE`` is one technology written
  twice, ``U900/U2100`` two carriers of one; a band listed beside them (``900/2100/1800``)
  goes to them in turn;
* a band field of a row of one technology spreads into its carriers (``1800/2100``,
  ``1800 + 900``; a dash is a range, not a list);
* an azimuth field spreads when its pieces (split at ``/ ; |``, at a dash between numbers,
  or at commas where there are two or more or a space follows one: ``120,5`` is a decimal;
  in a column where a row lists them so, ``30,150`` too) are each a number; a tilt,
  beamwidth, height or EIRP listed beside them (``2/4/3``) goes to the sectors in turn;
* one value goes to every cell; a list of any other count is left as written, and
  validation names the row.

A spread row's ``cell_id`` gives each of its cells ``<id>-<operator>-<tech>-<sector>`` (the
parts listed). The rows are numbered anew, each with its place in the file, so that an
error names the line the cell was listed on.

A list without a cell id column at all gets each cell's id made from its site id (with
``--make-ids``, :func:`with_cell_ids`), as a village list gets its villages'.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from coverage_gis._values import is_blank, typed_text
from coverage_gis.io.channels import band_in_tech_name
from coverage_gis.io.headers import LISTED, as_allowed
from coverage_gis.io.table_shape import row_origin
from coverage_gis.layers import get_schema

__all__ = ["cells_spread", "with_cell_ids"]

#: Where a field of technologies or operators splits, and (technologies, where none of those
#: is written) spaces; an operator's list also at a dash between spaces (``Viettel - VNPT``).
_TECH_SPLIT = re.compile(r"\s*(?:[/;,+&|]|\bvà\b|\band\b)\s*", re.IGNORECASE)
#: Where a field of numbers splits (a dash between numbers: not in a band, ``1920-1980`` is
#: one range); commas only by :func:`list_pieces`' rule.
_NUMBER_SPLIT = re.compile(r"\s*[/;|+&]\s*|(?<=\d)\s*-\s*(?=\d)")
_BAND_SPLIT = re.compile(r"\s*[/;|+&]\s*")
_COMMA_SPLIT = re.compile(r"\s*,\s*")
#: A number as a list writes one (a decimal comma or point).
_NUMBER = re.compile(r"[+-]?\d+(?:[.,]\d+)?")

#: The fields listed beside the azimuths, one piece per sector.
BY_SECTOR = ("tilt_deg", "beamwidth_deg", "height_m", "eirp_dbm")


def list_pieces(value: object, *, dashes: bool = True) -> list[object]:
    """The values a field of numbers lists (``0/120/240``, ``0-120-240`` where ``dashes``,
    ``0, 120, 240``, ``1800 + 900``); one piece (the value as written) where it lists none."""
    if not isinstance(value, str):
        return [value] if not is_blank(value) else []
    text = value.strip()
    pieces = (_NUMBER_SPLIT if dashes else _BAND_SPLIT).split(text)
    if len(pieces) == 1 and (text.count(",") >= 2 or re.search(r",\s", text)):
        pieces = _COMMA_SPLIT.split(text)
    return list(pieces) if all(pieces) else [text]


def _numbers(value: object, *, dashes: bool = True) -> list[str] | None:
    """The numbers a field lists (two or more); None where it lists one or none."""
    pieces = list_pieces(value, dashes=dashes)
    if len(pieces) < 2 or not all(isinstance(p, str) and _NUMBER.fullmatch(p) for p in pieces):
        return None
    return [str(p) for p in pieces]


def _bands(value: object) -> list[str] | None:
    """The bands a field lists (``1800/2100``, ``1800 + 900``, ``L1800/L2100``); None where it
    lists one or none."""
    pieces = list_pieces(value, dashes=False)
    return [str(p) for p in pieces] if len(pieces) > 1 and all(isinstance(p, str) for p in pieces) else None


class _Spelled:
    """The pieces of a field that lists several of its allowed values, read as the field's
    spellings read them (a cell's technologies, its operators)."""

    def __init__(self, field: str, split: re.Pattern[str], *, spaces: bool) -> None:
        self.spec = get_schema("cells").field(field)
        self.split = split
        self.spaces = spaces

    def spelled(self, pieces: Sequence[str]) -> list[str | None]:
        return as_allowed(pd.Series(list(pieces), dtype=object), self.spec).tolist()

    def key(self, piece: str, value: str) -> tuple[str, str | None]:
        """What tells two pieces apart: the value they read as."""
        return (value, None)

    def __call__(self, value: object) -> list[str] | None:
        """The pieces of ``value`` (as written, one per cell), where it lists two or more
        different ones; None otherwise."""
        if not isinstance(value, str):
            return None
        pieces = [p for p in self.split.split(value.strip()) if p]
        if len(pieces) < 2 and self.spaces:
            pieces = value.split()
        if len(pieces) < 2:
            return None
        spelled = self.spelled(pieces)
        if None in spelled:
            return None
        cells: dict[tuple[str, str | None], str] = {}
        for piece, found in zip(pieces, spelled, strict=True):
            assert found is not None
            cells.setdefault(self.key(piece, found), piece)
        return list(cells.values()) if len(cells) > 1 else None


class _Technologies(_Spelled):
    """Technologies: one cell per technology and the band its name gives (``4G/LTE`` is one,
    ``U900/U2100`` two)."""

    def __init__(self) -> None:
        super().__init__("tech", _TECH_SPLIT, spaces=True)

    def key(self, piece: str, value: str) -> tuple[str, str | None]:
        return (value, band_in_tech_name(piece))


def _lists(
    frame: pd.DataFrame, field: str, read: Callable[[object], list[str] | None]
) -> list[list[str] | None]:
    """Per row, what ``read`` makes of its ``field`` (asked once per distinct value)."""
    if field not in frame.columns:
        return [None] * len(frame)
    values = frame[field].to_numpy(dtype=object)
    said = {v: read(v) for v in pd.unique(values) if isinstance(v, str)}
    return [said.get(v) if isinstance(v, str) else None for v in values]


#: Two azimuths joined by one comma (``30,150``): whole degrees, the second of two or three digits.
_COMMA_PAIR = re.compile(r"\s*(\d{1,3})\s*,\s*([1-9]\d{1,2})\s*")


def _azimuths(frame: pd.DataFrame) -> list[list[str] | None]:
    """Per row, the azimuths its ``azimuth_deg`` lists (:func:`_numbers`); in a column where a
    row lists them with commas (``0,120,240``), a row of two joined by one comma too
    (``30,150``, ``60,300``: two sectors, not a decimal or thousands), where both are degrees."""
    sectors = _lists(frame, "azimuth_deg", _numbers)
    if "azimuth_deg" not in frame.columns:
        return sectors
    values = frame["azimuth_deg"].to_numpy(dtype=object)
    if not any(isinstance(v, str) and v.count(",") >= 2 for v in values):
        return sectors

    def pair(value: object) -> list[str] | None:
        found = _COMMA_PAIR.fullmatch(value) if isinstance(value, str) else None
        if found is None or not all(int(g) <= 360 for g in found.groups()):
            return None
        return [found.group(1), found.group(2)]

    return [s if s is not None else pair(v) for s, v in zip(sectors, values, strict=True)]


@dataclass(frozen=True)
class _Lists:
    """What each row lists: operators, carriers (technologies, or bands of one technology),
    sectors (azimuths); None where a row lists one."""

    operators: list[list[str] | None]
    techs: list[list[str] | None]
    bands: list[list[str] | None]
    sectors: list[list[str] | None]

    @classmethod
    def of(cls, frame: pd.DataFrame) -> _Lists:
        techs = _lists(frame, "tech", _Technologies())
        bands = _lists(frame, "band_mhz", _bands)
        return cls(
            operators=_lists(frame, "operator", _Spelled("operator", LISTED, spaces=False)),
            techs=techs,
            # A band list spreads a row of one technology; beside several, it is theirs in turn.
            bands=[b if t is None else None for t, b in zip(techs, bands, strict=True)],
            sectors=_azimuths(frame),
        )

    def count(self, r: int) -> int:
        carriers = self.techs[r] or self.bands[r]
        return len(self.operators[r] or [None]) * len(carriers or [None]) * len(self.sectors[r] or [None])

    def shown(self, frame: pd.DataFrame, r: int) -> str:
        listed = (
            ("operator", self.operators[r]),
            ("tech", self.techs[r]),
            ("band_mhz", self.bands[r]),
            ("azimuth_deg", self.sectors[r]),
        )
        return " × ".join(str(frame[f].iat[r]) for f, pieces in listed if pieces)


def cells_spread(frame: pd.DataFrame, *, places: list[str], notes: list[str]) -> pd.DataFrame:
    """``frame`` (cells, columns named as the schema's, values as written) with each row that
    lists several operators, technologies, bands or azimuths spread into one row per cell
    (see the module docstring); ``frame`` itself when no row does. ``places`` (each row's place
    in the file, or empty: rows counted as read) is rewritten for the new rows."""
    lists = _Lists.of(frame)
    count = np.array([lists.count(r) for r in range(len(frame))], dtype=np.int64)
    if (count == 1).all():
        return frame
    row = np.repeat(np.arange(len(frame)), count)
    first = np.cumsum(count) - count
    out = frame.iloc[row].reset_index(drop=True)
    fields = ["operator", "tech", "band_mhz", "azimuth_deg", "cell_id", *BY_SECTOR]
    columns = {f: out[f].to_numpy(dtype=object, copy=True) for f in fields if f in out.columns}
    spread = np.flatnonzero(count > 1)
    for r in map(int, spread):
        operators = _or_one(lists.operators[r])
        techs = lists.techs[r]
        tech_bands = _bands(frame["band_mhz"].iat[r]) if techs is not None and "band_mhz" in columns else None
        bands = lists.bands[r]
        carriers: list[tuple[str | None, str | None]] = [(None, None)]
        if techs is not None:
            paired_bands = tech_bands if tech_bands is not None and len(tech_bands) == len(techs) else None
            carriers = [(t, None if paired_bands is None else paired_bands[i]) for i, t in enumerate(techs)]
        elif bands is not None:
            carriers = [(None, b) for b in bands]
        sectors = _or_one(lists.sectors[r])
        paired = {
            f: pieces
            for f in BY_SECTOR
            if f in columns
            and len(sectors) > 1
            and len(pieces := list_pieces(frame[f].iat[r])) == len(sectors)
        }
        given_id = typed_text(frame["cell_id"].iat[r]) if "cell_id" in columns else ""
        j = int(first[r])
        for operator in operators:
            for tech, band in carriers:
                for s, azimuth in enumerate(sectors):
                    parts = [given_id]
                    for field, value in (("operator", operator), ("tech", tech), ("band_mhz", band)):
                        if value is not None:
                            columns[field][j] = value
                    parts += [re.sub(r"\s+", "", v) for v in (operator, tech or band) if v is not None]
                    if azimuth is not None:
                        columns["azimuth_deg"][j] = azimuth
                        parts.append(str(s + 1))
                    for f, pieces in paired.items():
                        columns[f][j] = pieces[s]
                    if given_id:
                        columns["cell_id"][j] = "-".join(parts)
                    j += 1
    out = out.assign(**columns)
    _places_spread(places, frame.index.to_numpy()[row], row, first, count, notes)
    said = Counter(lists.shown(frame, r) for r in map(int, spread))
    shown = ", ".join(f"{k!r} ({n} row{'s' if n > 1 else ''})" for k, n in said.most_common(3))
    notes.append(
        f"cells: {len(spread)} row{'s' if len(spread) > 1 else ''} each list several cells "
        f"({shown}{', …' if len(said) > 3 else ''}): read as {int(count[spread].sum())} cells, "
        "one per operator, technology or band, and azimuth"
        + (
            ", each id made <cell_id>-<operator>-<tech>-<sector> (the parts listed)"
            if "cell_id" in columns
            else ""
        )
    )
    return out


def _or_one(listed: list[str] | None) -> list[str | None]:
    """The pieces a row lists, or one piece, None (the field as written), where it lists none."""
    return [None] if listed is None else list[str | None](listed)


def _places_spread(
    places: list[str],
    labels: np.ndarray,
    row: np.ndarray,
    first: np.ndarray,
    count: np.ndarray,
    notes: list[str],
) -> None:
    """``places`` rewritten for the spread rows: each new row's is its row's (``labels``: the
    row each came from, as errors counted it), with the cell it is."""
    origin = row_origin(notes)
    before = list(places)

    def place(label: int) -> str:
        if 0 <= label < len(before):
            return before[label]
        return f"row {label} as read" + (f" ({origin})" if origin else "")

    places[:] = [
        place(int(label)) + (f", cell {j - first[r] + 1} of the {count[r]} it lists" if count[r] > 1 else "")
        for j, (label, r) in enumerate(zip(labels, row, strict=True))
    ]


def with_cell_ids(frame: pd.DataFrame, *, notes: list[str]) -> pd.DataFrame:
    """``frame`` (cells) with a ``cell_id`` made for each cell where the file has no id column
    at all: ``<site_id>-<tech>-<n>``, ``n`` counting the site's cells of that technology in
    the file's order; ``frame`` itself otherwise (or without a site id column)."""
    if "cell_id" in frame.columns or "site_id" not in frame.columns:
        return frame
    sites = frame["site_id"].map(typed_text)
    techs = frame["tech"].map(typed_text) if "tech" in frame.columns else pd.Series("", index=frame.index)
    number = pd.DataFrame({"s": sites, "t": techs}).groupby(["s", "t"], sort=False).cumcount() + 1
    ids = [
        None if not s else "-".join(p for p in (s, re.sub(r"\s+", "", t), str(n)) if p)
        for s, t, n in zip(sites, techs, number, strict=True)
    ]
    example = next((i for i in ids if i), None)
    notes.append(
        "cells: no cell_id column: each cell's id made from its site id, technology and number at "
        f"the site (e.g. {example!r}); give a column of your own ids (Cell ID) to keep them"
    )
    return frame.assign(cell_id=np.array(ids, dtype=object))
