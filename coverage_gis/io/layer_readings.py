"""From a file's raw frames to each layer's frame before validation (``docs/architecture.md``, importers).

Owns the order of the steps every import format shares once its rows are read:

1. what a list writes across columns made one column: a yes/no field's two columns, or one
   that asks the opposite (:mod:`coverage_gis.io.yes_no_columns`); a cell's sectors or
   technologies (:mod:`coverage_gis.io.sector_columns`);
2. the columns named as the layer's fields and their values spelled as the schema spells
   them (:mod:`coverage_gis.io.headers`); before the values are read, as written, a row that
   lists several cells spread into one per cell
   (:func:`coverage_gis.io.sector_lists.cells_spread`) and a cell's ``U900`` or ``L1800`` read
   (:func:`coverage_gis.io.channels.radio_names_read`);
3. thousands by the file's decimal mark, the values the user gives, GSO codes padded, an id
   and a name read apart from a label that holds both (:mod:`coverage_gis.io.labelled_ids`);
4. the fields a list leaves out read from what it has (a state from two vendor states, ids
   numbered within a parent, a kind or a category from a name, a tilt from its parts, a
   band and a radio from a channel);
5. rows that repeat a feature read once.

The rules are their modules'; this one only runs them in turn.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from coverage_gis.io.channels import band_from_channels, radio_names_read, tech_from_channels
from coverage_gis.io.decimal_mark import thousands_read
from coverage_gis.io.given_values import with_given_values
from coverage_gis.io.gso_codes import padded_codes
from coverage_gis.io.headers import apply_aliases
from coverage_gis.io.labelled_ids import ids_from_labels
from coverage_gis.io.local_ids import PARENTS, ids_within_parents
from coverage_gis.io.name_leads import categories_from_names
from coverage_gis.io.repeats import collapse_repeats
from coverage_gis.io.sector_columns import columns_listed
from coverage_gis.io.sector_lists import cells_spread
from coverage_gis.io.states import with_operational_state
from coverage_gis.io.tilt_parts import tilt_from_parts
from coverage_gis.io.village_lists import kinds_from_names
from coverage_gis.io.yes_no_columns import yes_no_columns_read
from coverage_gis.layers import get_schema

__all__ = ["layers_read"]


def layers_read(
    frames: Mapping[str, pd.DataFrame],
    *,
    values: Mapping[str, str],
    evidence: list[pd.Series],
    degrees: list[pd.Series],
    source: str,
    places: list[str],
    notes: list[str],
) -> dict[str, pd.DataFrame]:
    """Each of ``frames`` (raw, by layer) read as its layer (see the module docstring).

    ``values`` are the user's ``--set`` values; ``evidence`` and ``degrees`` the file's
    coordinate columns, which show its decimal mark (:func:`coverage_gis.io.decimal_mark.thousands_read`);
    ``places`` each row's place in the file (empty: rows counted as read), rewritten where
    a row lists several cells.
    """

    def radio_names(cells: pd.DataFrame) -> pd.DataFrame:
        return radio_names_read(cells_spread(cells, places=places, notes=notes), notes=notes)

    named: dict[str, pd.DataFrame] = {}
    for name, frame in frames.items():
        schema = get_schema(name)
        frame = yes_no_columns_read(frame, schema, notes=notes)
        if name == "cells":
            frame = columns_listed(frame, schema, notes=notes)
        read = apply_aliases(
            frame,
            schema,
            source=source,
            notes=notes,
            before_values=radio_names if name == "cells" else None,
        )
        read = thousands_read(read, schema, evidence=evidence, degrees=degrees, notes=notes)
        named[name] = ids_from_labels(
            padded_codes(with_given_values(read, schema, values, notes=notes), schema, notes=notes),
            schema,
            notes=notes,
        )
    for name in named.keys() & {"sites", "cells"}:
        named[name] = with_operational_state(named[name], get_schema(name), notes=notes)
    for name in named.keys() & PARENTS.keys():
        named[name] = ids_within_parents(named[name], get_schema(name), notes=notes)
    if "villages" in named:
        named["villages"] = kinds_from_names(named["villages"], get_schema("villages"), notes=notes)
    if "pois" in named:
        named["pois"] = categories_from_names(named["pois"], get_schema("pois"), notes=notes)
    if "cells" in named:
        named["cells"] = tilt_from_parts(named["cells"], source=source, notes=notes)
        named["cells"] = band_from_channels(
            tech_from_channels(named["cells"], notes=notes), source=source, notes=notes
        )
    return {
        name: collapse_repeats(frame, get_schema(name), source=source, notes=notes)
        for name, frame in named.items()
    }
