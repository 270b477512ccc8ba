"""Cells a site list writes across columns: one column per sector, or one per technology
(``docs/architecture.md``, importers).

- **Sector columns**: ``Hướng 1 | Hướng 2 | Hướng 3``, ``Azimuth S1``, ``Tilt 1``, or a merged
  group header over ``Sector 1 | Sector 2 | Sector 3`` (named ``Góc phương vị (độ) Sector 1``
  by :func:`coverage_gis.io.table_shape.merged_header`). Where such columns share a name that
  is one of a sector field's spellings (azimuth, tilt, beamwidth, height, EIRP) and number
  the sectors from 1 (or A) without a gap, they become one column of that name that lists
  each row's sectors in turn (``0/120/240``; blank sectors at the end left out), which
  :func:`coverage_gis.io.sector_lists.cells_spread` spreads into one cell per sector.
- **Technology columns**: ``2G | 3G | 4G | 5G`` (headers that each name one technology),
  ticked (``x``, ``✓``, ``có``, ``1``) or left blank, in a file with no technology column:
  one ``tech`` column that lists each row's ticked technologies (``2G/4G``). A row that ticks
  none is left blank, and validation names it. A count of cells (``3``) is no tick: such a
  file is left as it is.
- **Counts of cells per technology**: ``Số cell 2G | Số cell 4G`` (``Số lượng cell``, ``Số
  sector``, ``No. of 4G cells``), whole numbers, in a file with no technology column: one
  ``tech`` column that lists the technologies each row counts one cell of at least, with a
  note. The azimuths are not given, so each is one omni cell: as many omni cells of one
  technology on one mast cover what one does, and the count is not kept.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import pandas as pd

from coverage_gis._values import is_blank, typed_text
from coverage_gis.io.headers import as_allowed, find_header
from coverage_gis.io.sector_lists import BY_SECTOR
from coverage_gis.layers import FieldSchema, LayerSchema
from coverage_gis.validation import NOT_BOOL, bool_value
from coverage_gis.value_text import whole_digits

__all__ = ["SECTOR_LABEL", "columns_listed"]

#: A sector's label as headers write it after the field's name, or alone under a merged
#: group header: ``1``, ``S1``, ``Sector 2``, ``Cell 3``, ``Cánh A``, ``(S1)``.
SECTOR_LABEL = r"(?:(?:sector|sec|cell|cánh|hướng|s|c)\s*[#.]?\s*)?([1-9]|[a-f])"
_NUMBERED = re.compile(rf"\A(.*?\S)[\s_\-]*[(\[]?\s*{SECTOR_LABEL}\s*[)\]]?\Z", re.IGNORECASE)
#: A letter label's end of a header: after a space, a bracket or a sector's word.
_LETTER_LABEL = re.compile(
    r"(?:[\s_\-(\[]|sector|sec|cell|cánh|hướng)\s*[#.]?\s*[a-f]\s*[)\]]?\Z", re.IGNORECASE
)
#: The sector fields, the azimuth first.
_SECTOR_FIELDS = ("azimuth_deg", *BY_SECTOR)


def columns_listed(frame: pd.DataFrame, schema: LayerSchema, *, notes: list[str]) -> pd.DataFrame:
    """``frame`` (cells, raw headers) with sector columns and technology columns each made
    one column that lists them (see the module docstring); ``frame`` itself where it has none."""
    for field in _SECTOR_FIELDS:
        frame = _sectors_joined(frame, schema, field, notes=notes)
    return _ticked_techs(frame, schema, notes=notes)


def _spellings(schema: LayerSchema, field: str) -> list[str]:
    spec = schema.field(field)
    return [spec.name, *spec.aliases]


def _label_number(label: str) -> int:
    return int(label) if label.isdigit() else ord(label.casefold()) - ord("a") + 1


def _sectors_joined(
    frame: pd.DataFrame, schema: LayerSchema, field: str, *, notes: list[str]
) -> pd.DataFrame:
    spellings = _spellings(schema, field)
    columns = [str(c) for c in frame.columns if c != "geometry"]
    if find_header(columns, spellings, units=None) is not None:
        return frame  # the file has the field's own column: numbered ones are something else
    groups: dict[str, list[tuple[int, str]]] = {}
    for column in columns:
        found = _NUMBERED.match(column.strip())
        if found is None:
            continue
        base, label = found.group(1), found.group(2)
        # A letter is a label only after a space, a bracket or a sector's word ("Tilt A", not "TiltA").
        if not label.isdigit() and not _LETTER_LABEL.search(column.strip()):
            continue
        if find_header([base], spellings, units=None) is not None:
            groups.setdefault(base, []).append((_label_number(label), column))
    for base, numbered in groups.items():
        numbers = sorted(n for n, _ in numbered)
        if len(numbered) < 2 or numbers != list(range(1, len(numbered) + 1)):
            continue
        ordered = [column for _, column in sorted(numbered)]
        listed = [_joined(row) for row in frame[ordered].itertuples(index=False, name=None)]
        at = list(frame.columns).index(ordered[0])
        frame = frame.drop(columns=ordered)
        frame.insert(at, base, pd.Series(listed, index=frame.index, dtype=object))
        shown = ", ".join(repr(c) for c in ordered)
        notes.append(f"cells: the columns {shown} give each sector's {field}: read as one list per row")
        return frame
    return frame


def _joined(values: Sequence[object]) -> str | None:
    """A row's sector values as a list (``0/120/240``), blank sectors at the end left out."""
    texts = [typed_text(v) for v in values]
    while texts and not texts[-1]:
        texts.pop()
    return "/".join(texts) if texts else None


def _ticked_techs(frame: pd.DataFrame, schema: LayerSchema, *, notes: list[str]) -> pd.DataFrame:
    spec = schema.field("tech")
    columns = [str(c) for c in frame.columns if c != "geometry"]
    if find_header(columns, [spec.name, *spec.aliases, *spec.fallback_aliases], units=None) is not None:
        return frame
    read = as_allowed(pd.Series(columns, dtype=object), spec)
    techs = [c for c, t in zip(columns, read.tolist(), strict=True) if t is not None]
    if not techs or read.nunique() != len(techs):
        return _counted_techs(frame, schema, columns, notes=notes)
    ticks = frame[techs].map(bool_value)
    if (ticks == NOT_BOOL).any().any() or not (ticks == True).any().any():  # noqa: E712 (a frame of objects)
        return _counted_techs(frame, schema, columns, notes=notes)
    frame = _listed_techs(frame, spec, {t: t for t in techs}, ticks.map(lambda v: v is True))
    notes.append(
        f"cells: the columns {', '.join(repr(t) for t in techs)} tick each site's technologies: "
        "read as the technologies of each row"
    )
    return frame


def _listed_techs(
    frame: pd.DataFrame, spec: FieldSchema, techs: Mapping[str, str], present: pd.DataFrame
) -> pd.DataFrame:
    """``frame`` with the columns of ``techs`` (column → the technology it stands for) made one
    ``spec`` column, in the first one's place, that lists each row's technologies ``present``
    marks (``2G/4G``; None where it marks none)."""
    listed = [
        "/".join(tech for tech, marked in zip(techs.values(), row, strict=True) if marked) or None
        for row in present[list(techs)].itertuples(index=False, name=None)
    ]
    at = list(frame.columns).index(next(iter(techs)))
    out = frame.drop(columns=list(techs))
    out.insert(at, spec.name, pd.Series(listed, index=frame.index, dtype=object))
    return out


#: A header that counts a technology's cells: ``Số cell 4G``, ``Số lượng cell 3G``, ``SL sector 4G``,
#: ``No. of 4G cells``, ``4G (số cell)``; the technology is what is left.
_COUNT_HEADER = re.compile(
    r"\A(?:(?:số\s*lượng|số|sl|no\.?\s*of|number\s*of|count\s*of)\s*(?:cell|cells|sector|sectors|ô)?"
    r"\s*(?P<lead>.+?)\s*(?:cell|cells|sector|sectors)?|(?P<trail>.+?)\s*[(\[]?\s*(?:số|sl)\s*"
    r"(?:cell|sector|ô)\s*[)\]]?)\s*\Z",
    re.IGNORECASE,
)


def _counted_techs(
    frame: pd.DataFrame, schema: LayerSchema, columns: Sequence[str], *, notes: list[str]
) -> pd.DataFrame:
    """``frame`` with its columns that count each technology's cells made one ``tech`` column
    of the technologies each row counts (see the module docstring); ``frame`` itself where
    they are not all whole numbers, or name a technology twice."""
    spec = schema.field("tech")
    named: dict[str, str] = {}
    for column in columns:
        found = _COUNT_HEADER.match(column.strip())
        if found is None:
            continue
        tech = as_allowed(pd.Series([found.group("lead") or found.group("trail")], dtype=object), spec).iloc[
            0
        ]
        if tech is not None:
            named[column] = str(tech)
    if not named or len(set(named.values())) != len(named):
        return frame
    counts = frame[list(named)].map(_count)
    if counts.isna().any().any() or not (counts > 0).any().any():
        return frame
    frame = _listed_techs(frame, spec, named, counts > 0)
    notes.append(
        f"cells: the columns {', '.join(repr(c) for c in named)} count each site's cells of a "
        "technology, without their azimuths: read as the technologies of each row, one omni cell "
        "each (omni cells of one technology on one mast cover what one does; the counts are not kept)"
    )
    return frame


def _count(value: object) -> float:
    """A count of cells as a list writes it (``3``, ``3.0``, ``3,0``; blank: none), NaN for anything else."""
    if is_blank(value):
        return 0.0
    digits = whole_digits(typed_text(value))
    return float(digits) if digits is not None and len(digits) <= 3 else float("nan")
