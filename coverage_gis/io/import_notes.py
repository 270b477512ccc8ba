"""What an import says beside its counts: validation's repairs and defaults, layers left
referring to ids a replaced layer no longer has, and the ways to give required fields a
file lacks (``covgis import --set``, ``--make-ids``). Owned here so that
:mod:`coverage_gis.io` keeps only the order of an import's steps.
"""

from __future__ import annotations

import pandas as pd

from coverage_gis.errors import LayerValidationError
from coverage_gis.io.row_text import rows_counted, rows_listed
from coverage_gis.layers import LayerSchema, all_schemas, get_schema
from coverage_gis.validation import ValidationReport
from coverage_gis.workspace import Workspace

__all__ = ["missing_fields_hint", "orphan_notes", "report_notes"]


def missing_fields_hint(
    exc: LayerValidationError, schema: LayerSchema, *, make_ids: bool
) -> LayerValidationError:
    """``exc`` with the ways an import can give the required fields it reports missing: a
    value for every row (``--set``: an operator's own list names no operator), or ids made
    (``--make-ids``: a village list without ids)."""
    missing = {
        e.field for e in (exc, *exc.errors) if e.field and e.reason.startswith("missing required field")
    }
    if make_ids and "village_id" in missing and "name" in missing:
        # The ids are made from the names: without names there is nothing to make them of.
        return exc.with_note("--make-ids makes the ids from the names, and no column is read as name")
    made = {
        "village_id": "each village's id made from the commune it lies in and its name",
        "cell_id": "each cell's id made from its site id, technology and number at the site",
        "poi_id": "each place's id made from the commune it lies in and its name",
    }
    ways = [f"--make-ids ({made[name]})" for name in sorted(missing) if name in made and not make_ids]
    # Not a feature's id or name: one value for every row would make them all alike.
    shared = [
        n
        for n in schema.field_names
        if n in missing and not schema.field(n).unique and n not in (schema.id_field, "name")
    ]
    if shared and "name" not in missing:
        ways.append("a value for every row with " + ", ".join(f"--set {n}=VALUE" for n in shared))
    return exc.with_note("or import with " + "; or ".join(ways)) if ways else exc


def report_notes(layer: str, report: ValidationReport, columns: pd.Index) -> list[str]:
    """Remarks from validation: repairs, ignored columns, defaults (bookkeeping ``source`` left out)."""
    schema = get_schema(layer)
    present = {str(c).strip().casefold() for c in columns}
    notes = []
    if report.repaired_geometries:
        n = len(report.repaired_geometries)
        notes.append(
            f"{layer}: repaired {n} invalid geometr{'y' if n == 1 else 'ies'} with make_valid "
            f"(rows {rows_listed(report.repaired_geometries)})"
        )
    if report.outlines_as_points:
        n = len(report.outlines_as_points)
        notes.append(
            f"{layer}: {n} outline{'' if n == 1 else 's'} (polygons) read as a point inside each "
            f"(rows {rows_listed(report.outlines_as_points)})"
        )
    if report.reduced_collections:
        notes.append(
            f"{layer}: geometry collections (KML MultiGeometry) read as their {schema.geometry} parts, "
            f"other parts left out (rows {rows_listed(report.reduced_collections)})"
        )
    if report.dropped_columns:
        notes.append(f"{layer}: ignored columns not in the layer schema: {', '.join(report.dropped_columns)}")
    for name, count in report.ticked_blanks.items():
        notes.append(
            f"{layer}: {name}: the column ticks yes (x, ✓) and leaves the others blank: "
            f"its {rows_counted(count)} left blank read as no"
        )
    filled = [(n, c) for n, c in report.filled_defaults.items() if n.casefold() in present]
    absent = [n for n in report.filled_defaults if n.casefold() not in present and n != "source"]
    if filled:
        notes.append(
            f"{layer}: empty values set to the schema default: "
            + ", ".join(f"{n}={schema.field(n).default_text} ({rows_counted(c)})" for n, c in filled)
        )
    if absent:
        notes.append(
            f"{layer}: fields not in the file take the schema default: "
            + ", ".join(f"{n}={schema.field(n).default_text}" for n in absent)
        )
    return notes


def replaced_notes(ws: Workspace, final: dict[str, pd.DataFrame]) -> list[str]:
    """Remarks on the features an import without ``--append`` replaced: a layer's features
    go with it (an OpenCellID file read as cells brings its own sites too)."""
    held = ws.layer_counts()
    return [
        f"{name}: replaced the {held[name]} {name} the workspace held (import with --append to add to them)"
        for name in final
        if held.get(name)
    ]


def orphan_notes(ws: Workspace, final: dict[str, pd.DataFrame]) -> list[str]:
    """Remarks about workspace layers that refer to ids a replaced layer no longer has."""
    notes = []
    for other, schema in all_schemas().items():
        if other in final or not ws.has_layer(other):
            continue
        for ref_field, ref_layer in schema.references.items():
            if ref_layer not in final:
                continue
            ids = set(final[ref_layer][get_schema(ref_layer).id_field].dropna())
            refs = ws.read_layer(other)[ref_field]
            dangling = refs[refs.notna() & ~refs.isin(ids)]
            if len(dangling):
                notes.append(
                    f"{len(dangling)} existing {other} refer to {ref_field} values no longer in {ref_layer} "
                    f"(e.g. {dangling.iloc[0]!r}); import {other} again"
                )
    return notes
