"""Site edits: add, update (move, re-tilt, switch on) and remove a site with its cells.

Owns the payload rules — which keys a site or cell may carry, how a partial update
merges into the stored row, which ids must exist or be new — and applies a batch of
edits to the ``sites``/``cells`` frames in memory. Nothing is written here; the live
engine (``coverage_gis.live``) persists the result in one transaction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import Point

from coverage_gis._values import plain_value
from coverage_gis.crs import STORAGE_CRS
from coverage_gis.errors import Conflict, DuplicateId, LayerValidationError, NotFound
from coverage_gis.input_layers import as_geo
from coverage_gis.layers import get_schema
from coverage_gis.validation import validate_layer
from coverage_gis.validation_records import clean_records
from coverage_gis.value_text import number_text

EditOp = Literal["add", "update", "remove"]
COORD_KEYS = ("lon", "lat")


@dataclass(frozen=True)
class SiteEdit:
    """One change to one site.

    ``add`` needs ``site`` (all required site fields plus lon/lat) and ``cells``;
    ``update`` takes partial ``site`` changes, and either ``cells`` (replacing all of the
    site's cells) or ``cell_changes`` (cell id → partial changes); ``remove`` needs only
    ``site_id``.
    """

    op: EditOp
    site_id: str
    site: Mapping[str, Any] = field(default_factory=dict)
    cells: Sequence[Mapping[str, Any]] | None = None
    cell_changes: Mapping[str, Mapping[str, Any]] | None = None
    #: Where the edit was read from, named in its errors (a CSV file: ``e.csv lines 3, 4``).
    origin: str = field(default="", compare=False)
    #: The line of that file each of ``cells`` was read from, named in their errors.
    cell_lines: Sequence[int] = field(default=(), compare=False)


@dataclass(frozen=True)
class SiteRecord:
    """One site as plain values: its schema fields with ``lon``/``lat``, and its cells'
    schema fields (missing values are None), as validation cleans them."""

    site: Mapping[str, Any]
    cells: tuple[Mapping[str, Any], ...] = ()


@dataclass(frozen=True)
class EditedSites:
    """The sites a batch touched, as it left them (None: removed), in the order it touched them."""

    sites: dict[str, SiteRecord | None]

    @property
    def touched_site_ids(self) -> tuple[str, ...]:
        return tuple(self.sites)


def _check_keys(payload: Mapping[str, Any], layer: str, *, source: str, extra: Sequence[str] = ()) -> None:
    allowed = set(get_schema(layer).field_names) | set(extra)
    for key in payload:
        if key not in allowed:
            raise LayerValidationError(
                f"unknown field {key!r} (allowed: {', '.join(sorted(allowed))})",
                source=source,
                field=str(key),
            )


def _site_frame(values: Mapping[str, Any], *, source: str) -> gpd.GeoDataFrame:
    lon, lat = _lon_lat(values, source=source)
    attrs = {k: [v] for k, v in values.items() if k not in COORD_KEYS}
    frame = gpd.GeoDataFrame(attrs, geometry=[Point(lon, lat)], crs=STORAGE_CRS)
    clean, _ = validate_layer(frame, get_schema("sites"), source=source)
    return as_geo(clean, "sites")


def _lon_lat(values: Mapping[str, Any], *, source: str) -> tuple[float, float]:
    for key in COORD_KEYS:
        if values.get(key) is None:
            raise LayerValidationError("site needs lon and lat", source=source, field=key)
    try:
        return float(number_text(values["lon"])), float(number_text(values["lat"]))
    except (TypeError, ValueError):
        raise LayerValidationError("lon/lat must be numbers", source=source, field="lon") from None


def _site_record(values: Mapping[str, Any], *, source: str) -> dict[str, Any]:
    """One site payload (schema fields, lon, lat) cleaned as :func:`validate_layer` cleans it."""
    _lon_lat(values, source=source)
    fast = clean_records([values], get_schema("sites"))
    if fast is not None:
        return fast[0]
    frame = _site_frame(values, source=source)
    (record,) = site_records(frame, None, [str(frame["site_id"].iloc[0])])
    return record


def _cells_frame(cells: Sequence[Mapping[str, Any]], site_id: str, *, source: str) -> pd.DataFrame:
    rows = _cell_rows(cells, site_id, source=source)
    frame = pd.DataFrame(rows, columns=get_schema("cells").field_names) if not rows else pd.DataFrame(rows)
    clean, _ = validate_layer(frame, get_schema("cells"), source=source)
    return clean


def _cell_rows(cells: Sequence[Mapping[str, Any]], site_id: str, *, source: str) -> list[dict[str, Any]]:
    rows = []
    for i, cell in enumerate(cells):
        _check_keys(cell, "cells", source=source)
        if cell.get("site_id") not in (None, site_id):
            raise LayerValidationError(
                f"cell belongs to site {cell.get('site_id')!r}, not {site_id!r}",
                source=source,
                row=i,
                field="site_id",
            )
        rows.append({**cell, "site_id": site_id})
    return rows


def site_frames(record: SiteRecord) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """The site and cell frames validation makes of ``record`` (what a full table holds)."""
    site_id = str(record.site["site_id"])
    source = f"site {site_id}"
    return _site_frame(record.site, source=source), _cells_frame(list(record.cells), site_id, source=source)


def _cell_records(
    cells: Sequence[Mapping[str, Any]], site_id: str, *, source: str
) -> tuple[dict[str, Any], ...]:
    """A site's cell payloads cleaned as :func:`validate_layer` cleans them (all at once)."""
    fast = clean_records(_cell_rows(cells, site_id, source=source), get_schema("cells"))
    if fast is not None:
        return tuple(fast)
    frame = _cells_frame(cells, site_id, source=source)
    return tuple({str(k): plain_value(v) for k, v in rec.items()} for rec in frame.to_dict(orient="records"))


def _edit_cells(
    edit: SiteEdit, cells: Sequence[Mapping[str, Any]], *, source: str
) -> tuple[dict[str, Any], ...]:
    """:func:`_cell_records` of an edit's own ``cells``; an error about one of them names
    the line of the file it was read from, where the edit knows it (``cell_lines``)."""
    try:
        return _cell_records(cells, edit.site_id, source=source)
    except LayerValidationError as exc:
        row = exc.row
        if row is None or not 0 <= row < len(edit.cell_lines):
            raise
        raise exc.with_note(f"cell row {row} is line {edit.cell_lines[row]} of the file") from None


def site_records(
    sites: gpd.GeoDataFrame, cells: pd.DataFrame | None, site_ids: Sequence[str]
) -> list[dict[str, Any]]:
    """Sites as plain dicts, in the order of ``site_ids``: schema fields, ``lon``, ``lat``.

    With ``cells``, each dict also holds ``cells``: the site's cells as plain dicts.
    Values are plain Python (missing → None), as JSON and edit payloads want them.

    Raises
    ------
    NotFound
        An id that is not in ``sites``.
    """
    positions = pd.Index(sites["site_id"].to_numpy(dtype=object))
    missing = [s for s in site_ids if s not in positions]
    if missing:
        raise NotFound(f"no site {missing[0]!r}")
    rows = sites.iloc[positions.get_indexer(list(site_ids))]
    names = get_schema("sites").field_names
    lon = np.asarray(rows.geometry.x, dtype=np.float64)
    lat = np.asarray(rows.geometry.y, dtype=np.float64)
    by_site: dict[str, list[dict[str, Any]]] = {}
    if cells is not None:
        own = cells[cells["site_id"].isin(list(site_ids))]
        for rec in own.to_dict(orient="records"):
            by_site.setdefault(str(rec["site_id"]), []).append(
                {str(k): plain_value(v) for k, v in rec.items()}
            )
    out = []
    for k, rec in enumerate(rows[names].to_dict(orient="records")):
        site = {str(name): plain_value(value) for name, value in rec.items()}
        site["lon"], site["lat"] = float(lon[k]), float(lat[k])
        if cells is not None:
            site["cells"] = by_site.get(str(site["site_id"]), [])
        out.append(site)
    return out


def apply_edits(current: Mapping[str, SiteRecord], edits: Sequence[SiteEdit]) -> EditedSites:
    """Apply ``edits`` in order to the sites ``current`` holds (by id; it must hold every
    existing site an edit names, and may hold others, whose cell ids new cells must not take).

    Raises
    ------
    LayerValidationError
        A payload breaks the layer schema (unknown key, bad value, missing lon/lat).
    NotFound
        Updating or removing a site (or cell) that does not exist.
    Conflict
        Adding a site or cell id that already exists.
    """
    if not edits:
        raise LayerValidationError("no site edits given")
    edited: dict[str, SiteRecord | None] = {}

    def now(site_id: str) -> SiteRecord | None:
        return edited[site_id] if site_id in edited else current.get(site_id)

    cells: tuple[Mapping[str, Any], ...]
    for n, edit in enumerate(edits):
        source = f"edit {n} ({edit.op} {edit.site_id}{'; ' + edit.origin if edit.origin else ''})"
        if edit.op == "add":
            if now(edit.site_id) is not None:
                raise DuplicateId(f"{source}: site {edit.site_id!r} already exists")
            _check_keys(edit.site, "sites", source=source, extra=COORD_KEYS)
            site = _site_record({**edit.site, "site_id": edit.site_id}, source=source)
            cells = _edit_cells(edit, edit.cells or [], source=f"{source} cells")
            edited[edit.site_id] = SiteRecord(site, cells)
        elif edit.op == "update":
            old = now(edit.site_id)
            if old is None:
                raise NotFound(f"{source}: no site {edit.site_id!r}")
            _check_keys(edit.site, "sites", source=source, extra=COORD_KEYS)
            if edit.site.get("site_id", edit.site_id) != edit.site_id:
                raise LayerValidationError(
                    "site_id cannot change; remove and add instead", source=source, field="site_id"
                )
            site = _site_record({**old.site, **edit.site}, source=source)
            cells = old.cells
            if edit.cells is not None:
                cells = _edit_cells(edit, edit.cells, source=f"{source} cells")
            if edit.cell_changes:
                ids = {c["cell_id"] for c in cells}
                for cell_id, changes in edit.cell_changes.items():
                    _check_keys(changes, "cells", source=source)
                    if cell_id not in ids:
                        raise NotFound(f"{source}: site {edit.site_id!r} has no cell {cell_id!r}")
                changed = [{**c, **edit.cell_changes.get(c["cell_id"], {})} for c in cells]
                cells = _cell_records(changed, edit.site_id, source=f"{source} cells")
            edited[edit.site_id] = SiteRecord(site, cells)
        elif edit.op == "remove":
            if now(edit.site_id) is None:
                raise NotFound(f"{source}: no site {edit.site_id!r}")
            edited[edit.site_id] = None
        else:
            raise LayerValidationError(f"unknown edit op {edit.op!r}", source=source, field="op")

    kept = {
        cell["cell_id"]: site_id
        for site_id, record in current.items()
        if site_id not in edited
        for cell in record.cells
    }
    seen: set[Any] = set()
    for record in edited.values():
        for cell in record.cells if record is not None else ():
            cell_id = cell["cell_id"]
            if cell_id in kept:
                raise DuplicateId(f"cell id {cell_id!r} already exists on site {kept[cell_id]!r}")
            if cell_id in seen:
                raise Conflict(f"cell id {cell_id!r} is used twice")
            seen.add(cell_id)
    return EditedSites(edited)


# -- edits as JSON objects --------------------------------------------------------------------
def edit_from_mapping(raw: Mapping[str, Any], *, source: str) -> SiteEdit:
    """One edit from JSON: ``{"op": "add", "site": {...}, "cells": [...]}`` and the like."""
    op = raw.get("op", "add")
    site = dict(raw.get("site") or {})
    site_id = raw.get("site_id") or site.get("site_id")
    if not site_id:
        raise LayerValidationError("edit needs a site_id", source=source, field="site_id")
    unknown = set(raw) - {"op", "site_id", "site", "cells", "cell_changes"}
    if unknown:
        raise LayerValidationError(f"unknown keys {sorted(unknown)}", source=source)
    site.pop("site_id", None)
    return SiteEdit(
        op=op,
        site_id=str(site_id),
        site=site,
        cells=raw.get("cells"),
        cell_changes=raw.get("cell_changes"),
    )


def edit_record(edit: SiteEdit) -> dict[str, Any]:
    """One edit as the JSON object :func:`edit_from_mapping` reads (the inverse)."""
    record: dict[str, Any] = {"op": edit.op, "site_id": edit.site_id}
    if edit.site:
        record["site"] = dict(edit.site)
    if edit.cells is not None:
        record["cells"] = [dict(c) for c in edit.cells]
    if edit.cell_changes:
        record["cell_changes"] = {k: dict(v) for k, v in edit.cell_changes.items()}
    return record
