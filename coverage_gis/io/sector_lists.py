"""Rows that list several cells: a site's technologies or its sectors' azimuths in one field
(``docs/architecture.md``, importers).

Provincial BTS lists (a Sở TT&TT appendix, an operator's list of its sites) give one row per
site and write what it radiates in one field: ``Công nghệ`` ``2G/3G/4G``, ``Góc phương vị``
``0/120/240``. The cells layer holds one row per cell, so such a row is spread into one row
per technology and sector (each technology on every azimuth), with a note
(:func:`cells_spread`):

* a technology field spreads when its pieces (split at ``/ ; , + & |``, "và" or "and", else
  at spaces) each read as a technology, and name more than one cell: ``4G/LTE`` is one
  technology written twice, ``U900/U2100`` two carriers of one;
* an azimuth field spreads when its pieces (split at ``/ ; |``, at a dash between numbers,
  or at commas where there are two or more or a space follows one: ``120,5`` is a decimal)
  are each a number;
* a field listed beside them with as many pieces goes to the cells in turn: a band beside
  the technologies (``900/2100/1800``), a tilt, beamwidth, height or EIRP beside the
  azimuths (``2/4/3``); one value goes to every cell; any other count is left as written,
  and validation names the row.

A spread row's ``cell_id`` gives each of its cells ``<id>-<tech>-<sector>`` (the parts that
vary). The rows are numbered anew, each with its place in the file, so that an error names
the line the cell was listed on.

A list without a cell id column at all gets each cell's id made from its site id (with
``--make-ids``, :func:`with_cell_ids`), as a village list gets its villages'.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from coverage_gis._values import is_blank, typed_text
from coverage_gis.io.channels import band_in_tech_name
from coverage_gis.io.headers import read_values
from coverage_gis.io.table_shape import row_origin
from coverage_gis.layers import get_schema

__all__ = ["cells_spread", "with_cell_ids"]

#: Where a field of technologies splits, and (where none of those is written) spaces.
_TECH_SPLIT = re.compile(r"\s*(?:[/;,+&|]|\bvà\b|\band\b)\s*", re.IGNORECASE)
#: Where a field of numbers splits; commas only by :func:`list_pieces`' rule.
_NUMBER_SPLIT = re.compile(r"\s*[/;|]\s*|(?<=\d)\s*-\s*(?=\d)")
_COMMA_SPLIT = re.compile(r"\s*,\s*")
#: A number as a list writes one (a decimal comma or point).
_NUMBER = re.compile(r"[+-]?\d+(?:[.,]\d+)?")

#: The fields listed beside the technologies, and beside the azimuths, one piece per cell.
BY_TECH = ("band_mhz",)
BY_SECTOR = ("tilt_deg", "beamwidth_deg", "height_m", "eirp_dbm")


def list_pieces(value: object) -> list[object]:
    """The values a field of numbers lists (``0/120/240``, ``0-120-240``, ``0, 120, 240``);
    one piece (the text as written) where it lists none."""
    if not isinstance(value, str):
        return [value] if not is_blank(value) else []
    text = value.strip()
    pieces = _NUMBER_SPLIT.split(text)
    if len(pieces) == 1 and (text.count(",") >= 2 or re.search(r",\s", text)):
        pieces = _COMMA_SPLIT.split(text)
    return list(pieces) if all(pieces) else [text]


def _azimuths(value: object) -> list[str] | None:
    """The azimuths a field lists (two or more numbers); None where it lists one or none."""
    pieces = list_pieces(value)
    if len(pieces) < 2 or not all(isinstance(p, str) and _NUMBER.fullmatch(p) for p in pieces):
        return None
    return [str(p) for p in pieces]


class _Technologies:
    """The technologies a field lists, read as the cells' ``tech`` spellings read them."""

    def __init__(self) -> None:
        self.spec = get_schema("cells").field("tech")
        self.allowed = set(self.spec.allowed or ())

    def spelled(self, pieces: Sequence[str]) -> list[str | None]:
        read = read_values(pd.Series(list(pieces), dtype=object), self.spec, label="", notes=[])
        return [v if v in self.allowed else None for v in read.tolist()]

    def __call__(self, value: object) -> list[str] | None:
        """The pieces of ``value`` (as written, one per cell), where it lists two or more
        cells; None otherwise."""
        if not isinstance(value, str):
            return None
        pieces = [p for p in _TECH_SPLIT.split(value.strip()) if p]
        if len(pieces) < 2:
            pieces = value.split()
        if len(pieces) < 2:
            return None
        spelled = self.spelled(pieces)
        if None in spelled:
            return None
        # One cell per technology and the band its name gives (``4G/LTE`` is one).
        cells: dict[tuple[str | None, str | None], str] = {}
        for piece, tech in zip(pieces, spelled, strict=True):
            cells.setdefault((tech, band_in_tech_name(piece)), piece)
        return list(cells.values()) if len(cells) > 1 else None


def _lists(
    frame: pd.DataFrame, field: str, read: Callable[[object], list[str] | None]
) -> list[list[str] | None]:
    """Per row, what ``read`` makes of its ``field`` (asked once per distinct value)."""
    if field not in frame.columns:
        return [None] * len(frame)
    values = frame[field].to_numpy(dtype=object)
    said = {v: read(v) for v in pd.unique(values) if isinstance(v, str)}
    return [said.get(v) if isinstance(v, str) else None for v in values]


def cells_spread(frame: pd.DataFrame, *, places: list[str], notes: list[str]) -> pd.DataFrame:
    """``frame`` (cells, columns named as the schema's, values as written) with each row that
    lists several technologies or azimuths spread into one row per cell (see the module
    docstring); ``frame`` itself when no row does. ``places`` (each row's place in the file,
    or empty: rows counted as read) is rewritten for the new rows."""
    techs = _lists(frame, "tech", _Technologies())
    sectors = _lists(frame, "azimuth_deg", _azimuths)
    n_tech = np.array([len(t) if t else 1 for t in techs], dtype=np.int64)
    n_sector = np.array([len(s) if s else 1 for s in sectors], dtype=np.int64)
    count = n_tech * n_sector
    if (count == 1).all():
        return frame
    row = np.repeat(np.arange(len(frame)), count)
    first = np.cumsum(count) - count
    out = frame.iloc[row].reset_index(drop=True)
    fields = ["tech", "azimuth_deg", "cell_id", *BY_TECH, *BY_SECTOR]
    columns = {f: out[f].to_numpy(dtype=object, copy=True) for f in fields if f in out.columns}
    spread = np.flatnonzero(count > 1)
    for r in map(int, spread):
        tech_list = _or_one(techs[r])
        sector_list = _or_one(sectors[r])
        paired = {
            f: pieces
            for f, n in [*((f, len(tech_list)) for f in BY_TECH), *((f, len(sector_list)) for f in BY_SECTOR)]
            if f in columns and n > 1 and len(pieces := list_pieces(frame[f].iat[r])) == n
        }
        given_id = typed_text(frame["cell_id"].iat[r]) if "cell_id" in columns else ""
        for t, tech in enumerate(tech_list):
            for s, azimuth in enumerate(sector_list):
                j = first[r] + t * len(sector_list) + s
                parts = [given_id]
                if tech is not None:
                    columns["tech"][j] = tech
                    parts.append(re.sub(r"\s+", "", tech))
                if azimuth is not None:
                    columns["azimuth_deg"][j] = azimuth
                    parts.append(str(s + 1))
                for f, pieces in paired.items():
                    columns[f][j] = pieces[t if f in BY_TECH else s]
                if given_id:
                    columns["cell_id"][j] = "-".join(parts)
    out = out.assign(**columns)
    _places_spread(places, row, first, count, notes)
    lists = Counter(
        " × ".join(
            str(frame[f].iat[r]) for f, listed in (("tech", techs[r]), ("azimuth_deg", sectors[r])) if listed
        )
        for r in map(int, spread)
    )
    shown = ", ".join(f"{k!r} ({n} row{'s' if n > 1 else ''})" for k, n in lists.most_common(3))
    notes.append(
        f"cells: {len(spread)} row{'s' if len(spread) > 1 else ''} each list several cells "
        f"({shown}{', …' if len(lists) > 3 else ''}): read as {int(count[spread].sum())} cells, "
        "one per technology and azimuth"
        + (", each id made <cell_id>-<tech>-<sector>" if "cell_id" in columns else "")
    )
    return out


def _or_one(listed: list[str] | None) -> list[str | None]:
    """The pieces a row lists, or one piece, None (the field as written), where it lists none."""
    return [None] if listed is None else list[str | None](listed)


def _places_spread(
    places: list[str], row: np.ndarray, first: np.ndarray, count: np.ndarray, notes: list[str]
) -> None:
    """``places`` rewritten for the spread rows: each new row's is its row's, with the cell it is."""
    origin = row_origin(notes)
    before = list(places)

    def place(r: int) -> str:
        if r < len(before):
            return before[r]
        return f"row {r} as read" + (f" ({origin})" if origin else "")

    places[:] = [
        place(int(r)) + (f", cell {j - first[r] + 1} of the {count[r]} it lists" if count[r] > 1 else "")
        for j, r in enumerate(row)
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
