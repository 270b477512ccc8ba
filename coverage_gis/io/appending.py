"""What an import adds to a workspace's layers: the merge of an appended list, the
references it must resolve, and the area it may change (``docs/architecture.md``, imports).
:func:`coverage_gis.io.import_file` runs these under the workspace's writer lock.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

from coverage_gis.crs import STORAGE_CRS, BBox, union_bounds
from coverage_gis.errors import LayerValidationError
from coverage_gis.io.colocated import sites_listed_again
from coverage_gis.layers import get_schema
from coverage_gis.workspace import Workspace

__all__ = ["appended", "check_references", "dirty_bbox"]


def appended(
    ws: Workspace, layer: str, clean: pd.DataFrame, rows: pd.Index, *, source: str, notes: list[str]
) -> pd.DataFrame:
    """``clean`` added to the workspace's layer; an error for an id that is already there,
    but for a site the workspace holds at the same place (one mast in two operators' lists,
    kept once: :func:`~coverage_gis.io.colocated.sites_listed_again`)."""
    schema = get_schema(layer)
    old = ws.read_layer(layer, missing_ok=True)
    if old.empty:
        return clean
    id_field = schema.id_field
    if layer == "sites":
        again = sites_listed_again(old, clean, rows, source=source)
        old, clean, rows = again.old, again.new, again.rows
        notes.extend([again.note] if again.note else [])
    taken = clean[id_field].isin(set(old[id_field].dropna())).to_numpy()
    if taken.any():
        i = int(taken.nonzero()[0][0])
        raise LayerValidationError(
            f"id {clean[id_field].iloc[i]!r} already exists in the workspace's {layer} layer; "
            "appending adds new features only (import without --append to replace the layer)",
            source=source,
            row=int(rows[i]),
            field=id_field,
            layer=layer,
        )
    merged = pd.concat([old.reset_index(drop=True), clean], ignore_index=True)
    if schema.has_geometry:
        merged = gpd.GeoDataFrame(merged, geometry="geometry", crs=STORAGE_CRS)
    return merged


def references_spelled(
    ws: Workspace, new: dict[str, pd.DataFrame], *, notes: list[str]
) -> dict[str, pd.DataFrame]:
    """``new`` with each reference (a cell's ``site_id``) that names no feature as written
    but one in another case or spacing (``bdh003`` for ``BDH003``, ``BDH 003``), or without
    its leading zeros (``123`` for ``00123``), written as that feature's id, with a note; a
    spelling two ids share is left for :func:`check_references` to refuse."""
    out = dict(new)
    for layer, clean in new.items():
        for ref_field, ref_layer in get_schema(layer).references.items():
            if ref_field not in clean.columns:
                continue
            ref_id = get_schema(ref_layer).id_field
            held = (
                new[ref_layer][ref_id]
                if ref_layer in new
                else ws.read_layer(ref_layer, missing_ok=True)[ref_id]
            )
            known = set(held.dropna().astype(str))
            by_key: dict[str, set[str]] = {}
            for value in known:
                by_key.setdefault(_reference_key(value), set()).add(value)
            values = clean[ref_field]
            spelled = {
                v: next(iter(by_key[_reference_key(v)]))
                for v in values.dropna().unique()
                if str(v) not in known and len(by_key.get(_reference_key(str(v)), ())) == 1
            }
            if not spelled:
                continue
            shown = ", ".join(f"{k!r} → {v!r}" for k, v in list(spelled.items())[:5])
            notes.append(
                f"{layer}: {ref_field} written in another case or spacing, or without leading "
                f"zeros, than the ids of {ref_layer}: {shown}"
            )
            out[layer] = clean.assign(**{ref_field: values.replace(spelled)})
    return out


def _reference_key(value: str) -> str:
    """How a reference is compared when it names no id as written: case and spaces aside,
    and a number's leading zeros (``123`` for ``00123``: a spreadsheet stored the code as a
    number)."""
    key = "".join(str(value).split()).casefold()
    return (key.lstrip("0") or "0") if key.isdigit() else key


def check_references(
    ws: Workspace,
    new: dict[str, pd.DataFrame],
    final: dict[str, pd.DataFrame],
    rows: dict[str, pd.Index],
    *,
    source: str,
) -> None:
    """Every reference (a cell's ``site_id``) of the new features must resolve."""
    for layer, clean in new.items():
        for ref_field, ref_layer in get_schema(layer).references.items():
            ref_id = get_schema(ref_layer).id_field
            if ref_layer in final:
                known = set(final[ref_layer][ref_id].dropna())
                where = f"the imported {ref_layer}"
            else:
                known = set(ws.read_layer(ref_layer, missing_ok=True)[ref_id].dropna())
                where = f"the workspace's {len(known)} {ref_layer}"
            values = clean[ref_field]
            unknown = (values.notna() & ~values.isin(known)).to_numpy()
            if unknown.any():
                i = int(unknown.nonzero()[0][0])
                hint = f" (the workspace has no {ref_layer} yet; import them first)" if not known else ""
                raise LayerValidationError(
                    f"{ref_field} {values.iloc[i]!r} is not in {where}{hint}",
                    source=source,
                    row=int(rows[layer][i]),
                    field=ref_field,
                    layer=layer,
                )


def dirty_bbox(
    ws: Workspace, new: dict[str, pd.DataFrame], final: dict[str, pd.DataFrame], *, append: bool
) -> BBox | None:
    """Lon/lat box of what the import may change: new features, plus replaced ones."""
    boxes: list[tuple[float, ...]] = []
    for name, clean in new.items():
        schema = get_schema(name)
        if schema.has_geometry:
            boxes.append(tuple(float(v) for v in clean.total_bounds))
            old_bounds = None if append else ws.layer_bounds(name)
            if old_bounds is not None:
                boxes.append(old_bounds)
            continue
        for ref_field, ref_layer in schema.references.items():
            ref_schema = get_schema(ref_layer)
            if not ref_schema.has_geometry:
                continue
            ref = final[ref_layer] if ref_layer in final else ws.read_layer(ref_layer, missing_ok=True)
            if append:
                ref = ref[ref[ref_schema.id_field].isin(set(clean[ref_field].dropna()))]
            if len(ref):
                boxes.append(tuple(float(v) for v in ref.total_bounds))
    return union_bounds(boxes)
