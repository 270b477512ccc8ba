"""Site edits: add, update (move, re-tilt, switch on) and remove a site with its cells.

Owns the payload rules — which keys a site or cell may carry, how a partial update
merges into the stored row, which ids must exist or be new — and applies a batch of
edits to the ``sites``/``cells`` frames in memory. Nothing is written here; the live
engine (``coverage_gis.live``) persists the result in one transaction.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import Point

from coverage_gis._values import plain_value
from coverage_gis.crs import STORAGE_CRS
from coverage_gis.errors import Conflict, LayerValidationError, NotFound
from coverage_gis.input_layers import as_geo
from coverage_gis.layers import get_schema
from coverage_gis.validation import validate_layer

EditOp = Literal["add", "update", "remove"]
_COORD_KEYS = ("lon", "lat")


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


@dataclass(frozen=True)
class EditedFrames:
    """Sites and cells after a batch, and which sites it touched."""

    sites: gpd.GeoDataFrame
    cells: pd.DataFrame
    touched_site_ids: tuple[str, ...]


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
    for key in _COORD_KEYS:
        if values.get(key) is None:
            raise LayerValidationError("site needs lon and lat", source=source, field=key)
    try:
        lon, lat = float(values["lon"]), float(values["lat"])
    except (TypeError, ValueError):
        raise LayerValidationError("lon/lat must be numbers", source=source, field="lon") from None
    attrs = {k: [v] for k, v in values.items() if k not in _COORD_KEYS}
    frame = gpd.GeoDataFrame(attrs, geometry=[Point(lon, lat)], crs=STORAGE_CRS)
    clean, _ = validate_layer(frame, get_schema("sites"), source=source)
    return as_geo(clean, "sites")


def _cells_frame(cells: Sequence[Mapping[str, Any]], site_id: str, *, source: str) -> pd.DataFrame:
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
    frame = pd.DataFrame(rows, columns=get_schema("cells").field_names) if not rows else pd.DataFrame(rows)
    clean, _ = validate_layer(frame, get_schema("cells"), source=source)
    return clean


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


def apply_edits(sites: gpd.GeoDataFrame, cells: pd.DataFrame, edits: Sequence[SiteEdit]) -> EditedFrames:
    """Apply ``edits`` in order to copies of ``sites`` and ``cells``.

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
    site_parts: dict[str, gpd.GeoDataFrame | None] = {}
    cell_parts: dict[str, pd.DataFrame | None] = {}
    existing_sites = set(sites["site_id"])

    def current_site(site_id: str) -> bool:
        if site_id in site_parts:
            return site_parts[site_id] is not None
        return site_id in existing_sites

    def current_cells(site_id: str) -> pd.DataFrame:
        part = cell_parts.get(site_id, cells[cells["site_id"] == site_id])
        return part if part is not None else cells.iloc[0:0]

    for n, edit in enumerate(edits):
        source = f"edit {n} ({edit.op} {edit.site_id})"
        if edit.op == "add":
            if current_site(edit.site_id):
                raise Conflict(f"{source}: site {edit.site_id!r} already exists")
            _check_keys(edit.site, "sites", source=source, extra=_COORD_KEYS)
            site_parts[edit.site_id] = _site_frame({**edit.site, "site_id": edit.site_id}, source=source)
            cell_parts[edit.site_id] = _cells_frame(edit.cells or [], edit.site_id, source=f"{source} cells")
        elif edit.op == "update":
            if not current_site(edit.site_id):
                raise NotFound(f"{source}: no site {edit.site_id!r}")
            _check_keys(edit.site, "sites", source=source, extra=_COORD_KEYS)
            if edit.site.get("site_id", edit.site_id) != edit.site_id:
                raise LayerValidationError(
                    "site_id cannot change; remove and add instead", source=source, field="site_id"
                )
            base = site_parts.get(edit.site_id)
            (old,) = site_records(base if base is not None else sites, None, [edit.site_id])
            site_parts[edit.site_id] = _site_frame({**old, **edit.site}, source=source)
            # A touched site's cells are rebuilt from cell_parts: keep the current ones
            # unless this edit replaces or changes them.
            cell_parts.setdefault(edit.site_id, current_cells(edit.site_id))
            if edit.cells is not None:
                cell_parts[edit.site_id] = _cells_frame(edit.cells, edit.site_id, source=f"{source} cells")
            if edit.cell_changes:
                frame = current_cells(edit.site_id).copy()
                for cell_id, changes in edit.cell_changes.items():
                    _check_keys(changes, "cells", source=source)
                    if cell_id not in set(frame["cell_id"]):
                        raise NotFound(f"{source}: site {edit.site_id!r} has no cell {cell_id!r}")
                    for key, value in changes.items():
                        frame[key] = frame[key].astype(object)
                        frame.loc[frame["cell_id"] == cell_id, key] = value
                records = [{str(k): v for k, v in rec.items()} for rec in frame.to_dict(orient="records")]
                cell_parts[edit.site_id] = _cells_frame(records, edit.site_id, source=f"{source} cells")
        elif edit.op == "remove":
            if not current_site(edit.site_id):
                raise NotFound(f"{source}: no site {edit.site_id!r}")
            site_parts[edit.site_id] = None
            cell_parts[edit.site_id] = None
        else:
            raise LayerValidationError(f"unknown edit op {edit.op!r}", source=source, field="op")

    touched = tuple(site_parts)
    kept_sites = sites[~sites["site_id"].isin(touched)]
    new_site_frames = [f for f in site_parts.values() if f is not None]
    out_sites = (
        pd.concat([kept_sites, *new_site_frames], ignore_index=True) if new_site_frames else kept_sites
    )
    kept_cells = cells[~cells["site_id"].isin(touched)]
    new_cell_frames = [f for f in cell_parts.values() if f is not None and len(f)]
    out_cells = (
        pd.concat([kept_cells, *new_cell_frames], ignore_index=True) if new_cell_frames else kept_cells
    )
    new_ids = [cell_id for frame in new_cell_frames for cell_id in frame["cell_id"]]
    clash = kept_cells[kept_cells["cell_id"].isin(new_ids)]
    if len(clash):
        row = clash.iloc[0]
        raise Conflict(f"cell id {row['cell_id']!r} already exists on site {row['site_id']!r}")
    duplicated = out_cells["cell_id"].duplicated()
    if duplicated.any():
        raise Conflict(f"cell id {out_cells['cell_id'][duplicated].iloc[0]!r} is used twice")
    out_sites = gpd.GeoDataFrame(out_sites.reset_index(drop=True), geometry="geometry", crs=STORAGE_CRS)
    return EditedFrames(out_sites, out_cells.reset_index(drop=True), touched)


# -- reading edits from files -------------------------------------------------------------------
_CSV_SITE_KEYS = (
    "site_id",
    "lon",
    "lat",
    "name",
    "owner",
    "status",
    "height_m",
    "has_grid_power",
    "commissioned",
    "environment",
)
_CSV_CELL_KEYS = (
    "cell_id",
    "operator",
    "tech",
    "band_mhz",
    "azimuth_deg",
    "beamwidth_deg",
    "eirp_dbm",
    "tilt_deg",
    "range_m",
)


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


def edits_from_file(path: Path) -> list[SiteEdit]:
    """Edits from a JSON file (one edit or a list) or a CSV file (one row per cell; site columns
    repeated; ``cell_status`` for the cell's status; optional ``op`` column, default add)."""
    source = str(path)
    if not path.is_file():
        raise LayerValidationError("file not found", source=source)
    if path.suffix.lower() == ".json":
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise LayerValidationError(f"not valid JSON: {exc}", source=source) from None
        items = raw if isinstance(raw, list) else [raw]
        edits = []
        for i, item in enumerate(items):
            if not isinstance(item, dict):
                raise LayerValidationError("each edit must be an object", source=source, row=i)
            edits.append(edit_from_mapping(item, source=f"{source} edit {i}"))
        return edits
    if path.suffix.lower() == ".csv":
        return _edits_from_csv(path)
    raise LayerValidationError("site edits must be a .json or .csv file", source=source)


def _edits_from_csv(path: Path) -> list[SiteEdit]:
    source = str(path)
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    grouped: dict[str, dict[str, Any]] = {}
    for i, row in enumerate(rows):
        clean = {k.strip(): (v.strip() if isinstance(v, str) else v) for k, v in row.items() if k}
        unknown = set(clean) - set(_CSV_SITE_KEYS) - set(_CSV_CELL_KEYS) - {"cell_status", "op"}
        if unknown:
            raise LayerValidationError(f"unknown columns {sorted(unknown)}", source=source, row=i)
        site_id = clean.get("site_id")
        if not site_id:
            raise LayerValidationError("empty site_id", source=source, row=i, field="site_id")
        entry = grouped.setdefault(
            site_id,
            {
                "op": clean.get("op") or "add",
                "site": {
                    k: clean[k] for k in _CSV_SITE_KEYS if k != "site_id" and clean.get(k) not in (None, "")
                },
                "cells": [],
            },
        )
        if clean.get("cell_id"):
            cell = {k: clean[k] for k in _CSV_CELL_KEYS if clean.get(k) not in (None, "")}
            if clean.get("cell_status"):
                cell["status"] = clean["cell_status"]
            entry["cells"].append(cell)
    edits = []
    for site_id, entry in grouped.items():
        op = entry["op"]
        edits.append(
            SiteEdit(
                op=op,
                site_id=site_id,
                site=entry["site"] if op != "remove" else {},
                cells=entry["cells"] if (op == "add" or entry["cells"]) else None,
            )
        )
    return edits
