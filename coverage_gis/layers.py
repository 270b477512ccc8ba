"""Layer schemas: loaded from ``layers/<name>.yaml``, the single source of truth.

A schema names a layer's geometry type, its fields (type, required, unique,
allowed values, bounds, default) and its default map style. Validation
(``coverage_gis.validation``), documentation and the web map's styling all read
the schemas through this module.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from coverage_gis._resources import layers_dir
from coverage_gis.errors import LayerValidationError, NotFound

FIELD_TYPES = frozenset({"str", "int", "float", "bool", "date"})
GEOMETRY_TYPES = frozenset({"Point", "LineString", "MultiPolygon", "none"})
_FIELD_KEYS = frozenset(
    {"name", "type", "required", "unique", "allowed", "min", "max", "default", "description"}
)
_LAYER_KEYS = frozenset(
    {"name", "title_vi", "title_en", "geometry", "id_field", "fields", "style", "references", "derived"}
)

#: Layers a user imports (the rest are results the toolkit writes).
INPUT_LAYERS: tuple[str, ...] = (
    "communes",
    "villages",
    "sites",
    "cells",
    "fiber_routes",
    "fiber_nodes",
    "zones_5g",
    "pois",
    "speed_tests",
)


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
    description: str = ""


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


def _parse_field(raw: Any, source: str, index: int) -> FieldSchema:
    if not isinstance(raw, dict):
        raise LayerValidationError("field entry must be a mapping", source=source, row=index)
    unknown = set(raw) - _FIELD_KEYS
    if unknown:
        raise LayerValidationError(f"unknown keys {sorted(unknown)}", source=source, row=index)
    name = raw.get("name")
    ftype = raw.get("type")
    if not isinstance(name, str) or ftype not in FIELD_TYPES:
        raise LayerValidationError(
            f"field needs a name and a type in {sorted(FIELD_TYPES)}", source=source, row=index
        )
    allowed = raw.get("allowed")
    return FieldSchema(
        name=name,
        type=str(ftype),
        required=bool(raw.get("required", False)),
        unique=bool(raw.get("unique", False)),
        allowed=tuple(str(a) for a in allowed) if allowed is not None else None,
        min=raw.get("min"),
        max=raw.get("max"),
        default=raw.get("default"),
        description=str(raw.get("description", "")),
    )


def parse_schema(path: Path) -> LayerSchema:
    """Read and check one ``layers/<name>.yaml``."""
    source = str(path)
    with path.open(encoding="utf-8") as fh:
        raw = yaml.safe_load(fh)
    if not isinstance(raw, dict):
        raise LayerValidationError("schema file must be a mapping", source=source)
    unknown = set(raw) - _LAYER_KEYS
    if unknown:
        raise LayerValidationError(f"unknown keys {sorted(unknown)}", source=source)
    if raw.get("geometry") not in GEOMETRY_TYPES:
        raise LayerValidationError(
            f"geometry must be one of {sorted(GEOMETRY_TYPES)}", source=source, field="geometry"
        )
    fields = tuple(_parse_field(f, source, i) for i, f in enumerate(raw.get("fields") or []))
    names = [f.name for f in fields]
    if raw.get("id_field") not in names:
        raise LayerValidationError("id_field is not one of the fields", source=source, field="id_field")
    return LayerSchema(
        name=str(raw["name"]),
        title_vi=str(raw.get("title_vi", raw["name"])),
        title_en=str(raw.get("title_en", raw["name"])),
        geometry=str(raw["geometry"]),
        id_field=str(raw["id_field"]),
        fields=fields,
        style=dict(raw.get("style") or {}),
        references=dict(raw.get("references") or {}),
        derived=bool(raw.get("derived", False)),
    )


@cache
def _load_all(folder: str) -> dict[str, LayerSchema]:
    schemas: dict[str, LayerSchema] = {}
    for path in sorted(Path(folder).glob("*.yaml")):
        if path.stem in ("coverage_models", "costs"):
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
