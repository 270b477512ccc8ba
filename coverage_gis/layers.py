"""Layer schemas: loaded from ``layers/<name>.yaml``, the single source of truth.

A schema names a layer's geometry type, its fields (type, required, unique,
allowed values, bounds, default, the header spellings real exports use and Vietnamese
spellings of allowed values, read by :mod:`coverage_gis.io.headers`; a set of them several
fields share, such as a life-cycle status's, lives once in ``layers/spellings.yaml`` and a
field names it with ``spellings:``) and its default map style. Validation
(``coverage_gis.validation``), documentation and the web map's styling all read
the schemas through this module.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, Field

from coverage_gis._documents import DOCUMENT_CONFIG, Number, Text, parse_document, read_yaml
from coverage_gis._resources import layers_dir
from coverage_gis.errors import LayerValidationError, NotFound
from coverage_gis.text_forms import fold_diacritics

FIELD_TYPES = frozenset({"str", "int", "float", "bool", "date"})
GEOMETRY_TYPES = frozenset({"Point", "LineString", "MultiPolygon", "none"})

#: Layers a user imports (the rest are results the toolkit writes).
INPUT_LAYERS: tuple[str, ...] = (
    "communes",
    "commune_parts_2025",
    "villages",
    "sites",
    "cells",
    "fiber_routes",
    "fiber_nodes",
    "zones_5g",
    "pois",
    "speed_tests",
)


#: The unit of a number field, named by the suffix of the field's name (a count: by its
#: name), and how a header's
#: bracketed unit ("Độ cao anten (m)") or a value's trailing unit ("1800 MHz") may write
#: it, compared casefolded, without spaces and without diacritics ("độ" → "do"). A header
#: or value in another unit ("EIRP (W)", "Tilt (rad)") is not this field's
#: (:mod:`coverage_gis.io.headers`, :mod:`coverage_gis.validation`).
UNIT_SPELLINGS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("_mhz", ("mhz",)),
    ("_dbm", ("dbm",)),
    ("_deg", ("deg", "°", "º", "do", "degree", "degrees")),
    ("_mbps", ("mbps", "mb/s", "mbit/s")),
    ("_ms", ("ms",)),
    ("_m", ("m", "met", "metre", "meter", "metres", "meters")),
    # counts of a village's people and households ("1.540 người", "412 hộ")
    ("population", ("người", "nhân khẩu", "khẩu", "people", "persons")),
    ("households", ("hộ", "hộ gia đình", "households")),
)


def is_unit_of(unit: str, spellings: Collection[str]) -> bool:
    """Whether ``unit`` (a header's bracketed unit, a value's trailing unit) is one of
    ``spellings`` (a field's :attr:`FieldSchema.units`), compared casefolded, without spaces
    and without diacritics."""
    return _unit_key(unit) in {_unit_key(s) for s in spellings}


def _unit_key(text: str) -> str:
    return fold_diacritics("".join(unicodedata.normalize("NFC", text).casefold().split()))


#: ``from_rows`` of a number field: its rows of one feature give it their largest value.
FROM_ROWS_MAX = "max"


@dataclass(frozen=True)
class FieldSchema:
    """One column of a layer."""

    name: str
    type: str
    required: bool = False
    unique: bool = False
    allowed: tuple[str, ...] | None = None
    min: float | None = None
    max: float | None = None
    default: Any = None
    #: ``(field, ((value, default), ...))``: the default of a row whose ``field`` (an
    #: earlier field with allowed values) holds one of these values; ``default`` for the
    #: others (a cell without a band takes its technology's usual band).
    default_by: tuple[str, tuple[tuple[str, Any], ...]] | None = None
    description: str = ""
    #: Other spellings of the column's header in real exports (Vietnamese, operators'
    #: English); how a header is compared with them: :mod:`coverage_gis.io.headers`.
    aliases: tuple[str, ...] = ()
    #: Spellings read as this field only where the file has no column its name or an alias
    #: names: a column the file holds for another purpose read as this one too (an
    #: operator's cell list identifies its sites by their names, "SITE_NAME").
    fallback_aliases: tuple[str, ...] = ()
    #: Of several columns read as this field (by its aliases), the one spelled as one of these
    #: is read and the others left out, with a note (a site list's mast height, "Độ cao cột",
    #: beside its antenna's); without one, several are refused.
    preferred_aliases: tuple[str, ...] = ()
    #: (spelling, allowed value) pairs: Vietnamese spellings of ``allowed`` values; a
    #: spelling of ``""`` reads as a blank cell ("Omni" where an empty azimuth means omni).
    value_aliases: tuple[tuple[str, str], ...] = ()
    #: Where a file lists a feature on several rows (a list with a row per cell read as
    #: sites) whose values of this field differ: the feature takes the first of these
    #: ``allowed`` values its rows hold (:mod:`coverage_gis.io.repeats`); a number field's
    #: ``[max]`` (:data:`FROM_ROWS_MAX`): the largest (a mast as high as its highest
    #: antenna). Empty: rows that differ in the field are not one feature.
    from_rows: tuple[str, ...] = ()
    #: Whether a value that is none of the spellings but begins with one (then a space, a
    #: digit, a dot or nothing; the longest first) reads as that spelling's value: a list's
    #: category cell names the place's kind ("Trường PTDTNT Văn Bàn" is a school).
    value_leads: bool = False
    #: A code of this many digits (a GSO code: province 2, district 3, commune 5): a shorter
    #: number is read with the leading zeros a spreadsheet drops (:mod:`coverage_gis.io.gso_codes`).
    digits: int | None = None

    @property
    def value_spellings(self) -> dict[str, str]:
        """Each way a text may spell an allowed value → that value: the value with spaces for
        its underscores (``district centre``) and its ``value_aliases``."""
        spellings = {a.replace("_", " "): a for a in self.allowed or ()}
        spellings.update(dict(self.value_aliases))
        return spellings

    def default_of(self, key: Any) -> Any:
        """The default of a row whose :attr:`default_by` field holds ``key`` (``default``
        where that field decides nothing)."""
        if self.default_by is None:
            return self.default
        return dict(self.default_by[1]).get(key, self.default)

    @property
    def default_text(self) -> str:
        """The default as a note names it: ``1800``, or ``900 (2G), 2100 (3G), … by tech, else 1800``."""
        if self.default_by is None:
            return repr(self.default)
        key, table = self.default_by
        listed = ", ".join(f"{value!r} ({name})" for name, value in table)
        return f"{listed} by {key}" + ("" if self.default is None else f", else {self.default!r}")

    @property
    def units(self) -> tuple[str, ...]:
        """How the unit the field's values are in may be written (:data:`UNIT_SPELLINGS`, by
        the suffix of its name: ``height_m`` is in metres); empty for a field without one."""
        return next((spellings for suffix, spellings in UNIT_SPELLINGS if self.name.endswith(suffix)), ())


@dataclass(frozen=True)
class LayerSchema:
    """A layer: geometry, fields and map style."""

    name: str
    title_vi: str
    title_en: str
    geometry: str
    id_field: str
    fields: tuple[FieldSchema, ...]
    style: dict[str, Any] = field(default_factory=dict)
    references: dict[str, str] = field(default_factory=dict)
    derived: bool = False

    @property
    def field_names(self) -> list[str]:
        return [f.name for f in self.fields]

    @property
    def has_geometry(self) -> bool:
        return self.geometry != "none"

    def field(self, name: str) -> FieldSchema:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)


class _FieldDocument(BaseModel):
    model_config = DOCUMENT_CONFIG

    name: Text
    type: Literal["str", "int", "float", "bool", "date"]
    required: bool = False
    unique: bool = False
    # Allowed values are text; YAML reads unquoted numbers and booleans otherwise.
    allowed: list[Annotated[str, BeforeValidator(str)]] | None = None
    min: Number | None = None
    max: Number | None = None
    default: Any = None
    # {field: {value: default}}: a default by an earlier field's value (FieldSchema.default_by).
    default_by: dict[Text, dict[Annotated[str, BeforeValidator(str)], Any]] | None = None
    description: str = ""
    aliases: list[Text] = []
    fallback_aliases: list[Text] = []
    preferred_aliases: list[Text] = []
    value_aliases: dict[str, str] = {}  # "" reads as a blank cell
    spellings: Text | None = None  # a set of value aliases in layers/spellings.yaml
    from_rows: list[Text] = []
    value_leads: bool = False
    digits: Annotated[int, Field(ge=1, le=12)] | None = None


class _LayerDocument(BaseModel):
    """``layers/<name>.yaml``."""

    model_config = DOCUMENT_CONFIG

    name: Text
    title_vi: Text | None = None
    title_en: Text | None = None
    geometry: Literal["Point", "LineString", "MultiPolygon", "none"]
    id_field: Text
    fields: list[_FieldDocument] = []
    style: dict[str, Any] = {}
    references: dict[str, str] = {}
    derived: bool = False


#: The file of shared value spellings beside the schemas (not a layer).
SPELLINGS_FILE = "spellings.yaml"


@cache
def _spelling_sets(path: Path) -> dict[str, dict[str, str]]:
    """``layers/spellings.yaml``: each named set of value spellings (none where there is no file)."""
    if not path.is_file():
        return {}
    doc = read_yaml(path, what="value spellings")
    if not isinstance(doc, dict) or not all(isinstance(v, dict) for v in doc.values()):
        raise LayerValidationError(
            "must map each name to a set of spellings (spelling: value)", source=str(path)
        )
    return {str(name): {str(k): str(v) for k, v in spellings.items()} for name, spellings in doc.items()}


def _value_aliases(f: _FieldDocument, folder: Path, *, source: str) -> tuple[tuple[str, str], ...]:
    """The field's value aliases: the set its ``spellings:`` names, then its own."""
    if f.spellings is None:
        return tuple(f.value_aliases.items())
    sets = _spelling_sets(folder / SPELLINGS_FILE)
    if f.spellings not in sets:
        raise LayerValidationError(
            f"spellings of {f.name} name {f.spellings!r}, which {SPELLINGS_FILE} does not hold "
            f"(it holds: {', '.join(sorted(sets)) or 'nothing'})",
            source=source,
            field=f.name,
        )
    return tuple({**sets[f.spellings], **f.value_aliases}.items())


def _default_by(f: _FieldDocument, *, source: str) -> tuple[str, tuple[tuple[str, Any], ...]] | None:
    """The field's ``default_by:`` as :attr:`FieldSchema.default_by` (one field named)."""
    if f.default_by is None:
        return None
    if len(f.default_by) != 1:
        raise LayerValidationError(
            f"default_by of {f.name} must name one field, not {len(f.default_by)}",
            source=source,
            field=f.name,
        )
    ((key, table),) = f.default_by.items()
    return key, tuple(table.items())


def _check_default_by(f: FieldSchema, earlier: Sequence[FieldSchema], *, source: str) -> None:
    """A ``default_by:`` names an earlier field (validated first) and some of its allowed values."""
    assert f.default_by is not None
    key, table = f.default_by
    named = next((e for e in earlier if e.name == key), None)
    if named is None or named.allowed is None:
        raise LayerValidationError(
            f"default_by of {f.name} names {key!r}, not an earlier field with allowed values",
            source=source,
            field=f.name,
        )
    wrong = [value for value, _ in table if value not in named.allowed]
    if wrong:
        raise LayerValidationError(
            f"default_by of {f.name} names {wrong[0]!r}, which is not one of the allowed values of {key}",
            source=source,
            field=f.name,
        )


def parse_schema(path: Path) -> LayerSchema:
    """Read and check one ``layers/<name>.yaml`` (a field's ``spellings:`` read from
    ``spellings.yaml`` beside it)."""
    source = str(path)
    doc = parse_document(
        _LayerDocument, read_yaml(path, what="layer schema"), source=source, rows={"fields": ""}
    )
    fields = tuple(
        FieldSchema(
            name=f.name,
            type=f.type,
            required=f.required,
            unique=f.unique,
            allowed=tuple(f.allowed) if f.allowed is not None else None,
            min=f.min,
            max=f.max,
            default=f.default,
            default_by=_default_by(f, source=source),
            description=f.description,
            aliases=tuple(f.aliases),
            fallback_aliases=tuple(f.fallback_aliases),
            preferred_aliases=tuple(f.preferred_aliases),
            value_aliases=_value_aliases(f, path.parent, source=source),
            from_rows=tuple(f.from_rows),
            value_leads=f.value_leads,
            digits=f.digits,
        )
        for f in doc.fields
    )
    for f in fields:
        if f.digits is not None and f.type != "str":
            raise LayerValidationError(
                f"digits of {f.name}: only a text field (a code) has them", source=source, field=f.name
            )
        rows_rule = () if f.type in ("int", "float") and f.from_rows == (FROM_ROWS_MAX,) else f.from_rows
        # An alias of the empty value ("Omni" for no azimuth) reads as a blank cell.
        spelled = [v for _, v in f.value_aliases if v != ""]
        for key, named in (("value_aliases", spelled), ("from_rows", rows_rule)):
            wrong = [v for v in named if v not in (f.allowed or ())]
            if wrong:
                raise LayerValidationError(
                    f"{key} of {f.name} name {wrong[0]!r}, which is not one of its allowed values",
                    source=source,
                    field=f.name,
                )
    for position, f in enumerate(fields):
        if f.default_by is not None:
            _check_default_by(f, fields[:position], source=source)
    if doc.id_field not in [f.name for f in fields]:
        raise LayerValidationError("id_field is not one of the fields", source=source, field="id_field")
    return LayerSchema(
        name=doc.name,
        title_vi=doc.title_vi or doc.name,
        title_en=doc.title_en or doc.name,
        geometry=doc.geometry,
        id_field=doc.id_field,
        fields=fields,
        style=dict(doc.style),
        references=dict(doc.references),
        derived=doc.derived,
    )


@cache
def _load_all(folder: str) -> dict[str, LayerSchema]:
    schemas: dict[str, LayerSchema] = {}
    for path in sorted(Path(folder).glob("*.yaml")):
        # Documents beside the schemas that are not layers (model settings, unit costs,
        # the web map's basemap and overlay styles, shared value spellings).
        if path.stem in ("coverage_models", "costs", "map_style") or path.name == SPELLINGS_FILE:
            continue
        schema = parse_schema(path)
        schemas[schema.name] = schema
    return schemas


def all_schemas() -> dict[str, LayerSchema]:
    """Every layer schema, by layer name."""
    return dict(_load_all(str(layers_dir())))


def get_schema(name: str) -> LayerSchema:
    """The schema of one layer; :class:`NotFound` naming the known layers otherwise."""
    schemas = _load_all(str(layers_dir()))
    try:
        return schemas[name]
    except KeyError:
        raise NotFound(f"unknown layer {name!r}; known layers: {', '.join(sorted(schemas))}") from None
