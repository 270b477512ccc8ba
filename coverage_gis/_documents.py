"""Reading YAML documents (plans, layer schemas, model settings, costs, workspace settings).

Each document's shape is a pydantic model (strict types, unknown keys forbidden); this
module owns reading the YAML and turning pydantic's first error into a
:class:`~coverage_gis.errors.LayerValidationError` that names the file, the dotted key
and, inside a list of records, the record's index (``row``).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any, TypeVar

import yaml
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError
from pydantic_core import ErrorDetails

from coverage_gis.errors import LayerValidationError

M = TypeVar("M", bound=BaseModel)

#: Document models: unknown keys are errors, no silent type coercion, immutable.
DOCUMENT_CONFIG = ConfigDict(extra="forbid", strict=True, frozen=True)


def read_yaml(path: Path, *, what: str = "file") -> Any:
    """The parsed YAML of ``path``; errors name the file."""
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise LayerValidationError(f"not UTF-8 text: {exc}", source=source) from None
    except OSError as exc:
        raise LayerValidationError(f"cannot read {what}: {exc.strerror}", source=source) from None
    return parse_yaml_text(text, source=source)


#: ``yaml.safe_load``'s loader, in C where PyYAML was built with libyaml: the same
#: safe constructor and resolver at about a tenth of the time (the layer schemas alone
#: took a quarter of a second to parse in Python, paid by every command).
_SAFE_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def parse_yaml_text(text: str, *, source: str) -> Any:
    """The parsed YAML ``text``; errors name ``source``."""
    try:
        return yaml.load(text, Loader=_SAFE_LOADER)
    except yaml.YAMLError as exc:
        raise LayerValidationError(f"not valid YAML: {exc}", source=source) from None


def parse_document(
    model: type[M],
    data: object,
    *,
    source: str,
    rows: Mapping[str, str] | None = None,
    context: Mapping[str, Any] | None = None,
) -> M:
    """Validate parsed YAML against ``model``.

    Parameters
    ----------
    model
        The document's pydantic model.
    data
        The parsed document (must be a mapping).
    source
        Named in errors (the file).
    rows
        Lists of records whose index is reported as the error's ``row``: list key →
        prefix of the reported field (``{"indicators": ""}`` reports
        ``indicators[3].target`` as row 3, field ``target``).
    context
        Passed to the model's validators.
    """
    if not isinstance(data, Mapping):
        raise LayerValidationError(f"expected a mapping, got {type(data).__name__}", source=source)
    try:
        return model.model_validate(_text_keys(data, source=source), context=dict(context or {}))
    except ValidationError as exc:
        raise document_error(exc, source=source, rows=rows) from None


def document_error(
    exc: ValidationError, *, source: str, rows: Mapping[str, str] | None = None
) -> LayerValidationError:
    """The first problem of ``exc`` as a :class:`LayerValidationError` (and how many more there are)."""
    # An unknown key is usually a misspelt one, and then its missing twin is noise:
    # report unknown keys first, then missing ones, then bad values (each in document order).
    errors = sorted(exc.errors(), key=lambda e: _PRIORITY.get(e["type"], len(_PRIORITY)))
    first = errors[0]
    field, row = _location(first["loc"], rows or {})
    reason = _reason(first, field)
    if len(errors) > 1:
        more = len(errors) - 1
        reason += f" (and {more} more problem{'s' if more > 1 else ''})"
    return LayerValidationError(reason, source=source, row=row, field=field or None)


_PRIORITY = {"extra_forbidden": 0, "missing": 1}


def _text_keys(value: Any, *, source: str, at: str = "") -> Any:
    """Mapping keys as text: YAML reads keys such as ``4`` as numbers.

    A key YAML read as a boolean is refused: ``on``, ``off``, ``yes``, ``no``, ``true`` and
    ``false`` unquoted are booleans in YAML 1.1, and as the text ``True`` or ``False`` the
    key would name something else (``on: on_air`` would make the text ``True`` mean on air).
    """
    if isinstance(value, Mapping):
        for key in value:
            if isinstance(key, bool):
                raise LayerValidationError(
                    f"key {str(key)!r} is what YAML makes of an unquoted on/off/yes/no/true/false: write "
                    "the spelling in quotes, in lower case ('on')",
                    source=source,
                    field=at or None,
                )
        return {
            str(k): _text_keys(v, source=source, at=f"{at}.{k}" if at else str(k)) for k, v in value.items()
        }
    if isinstance(value, list):
        return [_text_keys(v, source=source, at=f"{at}[{i}]") for i, v in enumerate(value)]
    return value


def _location(loc: tuple[int | str, ...], rows: Mapping[str, str]) -> tuple[str, int | None]:
    parts: list[str] = []
    row: int | None = None
    rest = list(loc)
    if len(rest) >= 2 and isinstance(rest[0], str) and rest[0] in rows and isinstance(rest[1], int):
        row = rest[1]
        prefix = rows[rest[0]]
        parts = [prefix.rstrip(".")] if prefix else []
        rest = rest[2:]
    parts += [str(p) for p in rest if not isinstance(p, int)]
    return ".".join(p for p in parts if p), row


def _reason(error: ErrorDetails, field: str) -> str:
    key = field.rsplit(".", 1)[-1] if field else ""
    kind = error["type"]
    if kind == "missing":
        return f"missing key {key!r}"
    if kind == "extra_forbidden":
        return f"unknown key {key!r}"
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        return f"expected a mapping, got {type(error['input']).__name__}"
    message = str(error["msg"]).removeprefix("Value error, ")
    return f"{message}, got {error['input']!r}" if kind != "value_error" else message


# -- field types shared by the documents ------------------------------------------------------
def _nonblank(value: str) -> str:
    if not value.strip():
        raise ValueError("must be a non-empty string")
    return value


def _nfc(value: str) -> str:
    if not unicodedata.is_normalized("NFC", value):
        raise ValueError("must be Unicode NFC (precomposed diacritics)")
    return value


def _date(value: object) -> object:
    if isinstance(value, datetime):
        raise ValueError("must be a date (YYYY-MM-DD), not a timestamp")
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise ValueError(f"must be a date (YYYY-MM-DD), got {value!r}")


def _as_text(value: object) -> object:
    # YAML reads unquoted codes (52) and timestamps as numbers and datetimes.
    return value if value is None or isinstance(value, str) else str(value)


#: A code or a timestamp kept as text, however YAML read it (``52``, ``2025-06-30T08:00:00``).
Code = Annotated[str, BeforeValidator(_as_text)]
#: A non-empty string.
Text = Annotated[str, AfterValidator(_nonblank)]
#: Vietnamese text: non-empty and in NFC (precomposed diacritics).
VietText = Annotated[str, AfterValidator(_nonblank), AfterValidator(_nfc)]
#: A calendar date, from a YAML date or an ISO ``YYYY-MM-DD`` string (not a timestamp).
Day = Annotated[date, BeforeValidator(_date)]
#: A finite number (an int or a float, never a bool).
Number = Annotated[float, Field(allow_inf_nan=False)]
PositiveNumber = Annotated[float, Field(gt=0, allow_inf_nan=False)]
NonNegativeNumber = Annotated[float, Field(ge=0, allow_inf_nan=False)]
