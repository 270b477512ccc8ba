"""Overrides: what a planner's accepted challenge does to a village's coverage row.

The ``overrides`` layer (``layers/overrides.yaml``) holds one decision per village and
kind (``mobile`` or ``ftth``), written by :mod:`coverage_gis.challenges`. This module
owns applying the *accepted* ones on top of the model, wherever village coverage is
produced (a full recompute, an incremental site edit), so that they survive recomputes:

- mobile set to "no service": no broadband, no 4G/5G, no operators, a 3G+ best
  technology cleared, gap reason ``measured_no_service``;
- mobile set to "service": broadband, no gap reason, the measured technology and
  operators added to the model's;
- FTTH likewise with ``ftth``, ``ftth_operators`` and ``ftth_gap_reason``;
- the ``override`` column lists the overridden kinds (``mobile``, ``ftth``), so exports
  show which statuses come from measurements rather than from the model.

Rejected decisions change nothing here.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from coverage_gis.models.base import BROADBAND_TECHS
from coverage_gis.vocabulary import CHALLENGE_KINDS, MEASURED_NO_SERVICE, OPERATORS, TECH_RANK

#: Kinds of status a challenge can override.
OVERRIDE_KINDS: tuple[str, ...] = CHALLENGE_KINDS
#: Column of ``village_coverage`` naming the overridden kinds.
OVERRIDE_COLUMN = "override"


def accepted_overrides(overrides: pd.DataFrame | None) -> pd.DataFrame:
    """The accepted decisions of an ``overrides`` frame (an empty frame for None)."""
    if overrides is None or not len(overrides):
        return pd.DataFrame(columns=["village_id", "kind", "measured_value", "tech", "operators"])
    return overrides[overrides["decision"] == "accepted"]


def _join_operators(*lists: object) -> str:
    names = {n for text in lists if isinstance(text, str) for n in text.split(",") if n}
    return ",".join(o for o in OPERATORS if o in names)


class _Row:
    """Writes into one row of some coverage columns, skipping the columns that are absent."""

    def __init__(self, columns: dict[str, np.ndarray], row: int) -> None:
        self.columns = columns
        self.row = row

    def get(self, name: str) -> object:
        return self.columns[name][self.row] if name in self.columns else None

    def put(self, name: str, value: object) -> None:
        if name not in self.columns:
            return
        if self.columns[name].dtype != object and not isinstance(value, (bool, int, float, np.generic)):
            self.columns[name] = self.columns[name].astype(object)
        self.columns[name][self.row] = value


def _apply_mobile(row: _Row, served: bool, tech: str | None, operators: object) -> None:
    row.put("mobile_bb", served)
    if not served:
        row.put("mobile_gap_reason", MEASURED_NO_SERVICE)
        row.put("mobile_gap_reasons", MEASURED_NO_SERVICE)
        row.put("has_4g", False)
        row.put("has_5g", False)
        row.put("operators", "")
        row.put("n_operators", 0)
        if row.get("best_tech") in BROADBAND_TECHS:
            row.put("best_tech", None)
        return
    row.put("mobile_gap_reason", None)
    row.put("mobile_gap_reasons", None)
    if "operators" in row.columns:
        ops = _join_operators(row.get("operators"), operators)
        row.put("operators", ops)
        row.put("n_operators", len([o for o in ops.split(",") if o]))
    if tech not in BROADBAND_TECHS:
        return
    current = row.get("best_tech")
    if TECH_RANK.get(tech, 0) > TECH_RANK.get(current if isinstance(current, str) else "", 0):
        row.put("best_tech", tech)
    if tech == "4G":
        row.put("has_4g", True)
    if tech == "5G":
        row.put("has_5g", True)


def _apply_ftth(row: _Row, served: bool, operators: object) -> None:
    row.put("ftth", served)
    row.put("ftth_gap_reason", None if served else MEASURED_NO_SERVICE)
    row.put("ftth_operators", _join_operators(row.get("ftth_operators"), operators) if served else "")


def override_columns(
    village_ids: np.ndarray,
    columns: Mapping[str, np.ndarray],
    overrides: pd.DataFrame | None,
) -> dict[str, np.ndarray]:
    """Coverage columns with the accepted overrides applied.

    Parameters
    ----------
    village_ids
        The village of each row of ``columns``.
    columns
        Any subset of the ``village_coverage`` columns (arrays aligned with
        ``village_ids``); only the columns present are changed, so an incremental edit
        can pass its mobile columns alone.
    overrides
        The ``overrides`` layer (None or empty: nothing to apply).

    Returns
    -------
    dict
        Copies of ``columns``, overridden where a decision applies.
    """
    out = {name: np.array(values, copy=True) for name, values in columns.items()}
    if overrides is None or not len(overrides) or not len(village_ids):
        return out  # nothing to apply (a live edit asks this on every change)
    chosen = accepted_overrides(overrides)
    if not len(chosen):
        return out
    position = pd.Series(np.arange(len(village_ids)), index=pd.Index(village_ids))
    position = position[~position.index.duplicated()]
    for rec in chosen.to_dict(orient="records"):
        at = position.get(rec["village_id"])
        if at is None:
            continue
        row = _Row(out, int(at))
        tech = rec.get("tech")
        if rec["kind"] == "mobile":
            _apply_mobile(
                row,
                bool(rec["measured_value"]),
                tech if isinstance(tech, str) else None,
                rec.get("operators"),
            )
        else:
            _apply_ftth(row, bool(rec["measured_value"]), rec.get("operators"))
    return out


def override_labels(village_ids: np.ndarray, overrides: pd.DataFrame | None) -> np.ndarray:
    """Per village: the overridden kinds, comma-separated ("" where the model stands)."""
    labels = np.full(len(village_ids), "", dtype=object)
    chosen = accepted_overrides(overrides)
    if not len(chosen):
        return labels
    kinds = chosen.groupby("village_id")["kind"].agg(set)
    mapped = pd.Series(village_ids).map(kinds)
    for i, found in enumerate(mapped.to_numpy(dtype=object)):
        if isinstance(found, set):
            labels[i] = ",".join(k for k in OVERRIDE_KINDS if k in found)
    return labels


def apply_overrides(coverage: pd.DataFrame, overrides: pd.DataFrame | None) -> pd.DataFrame:
    """A ``village_coverage`` frame with accepted overrides applied and the ``override`` column set."""
    out = coverage.copy()
    ids = out["village_id"].to_numpy(dtype=object)
    if len(accepted_overrides(overrides)):
        names = [c for c in out.columns if c not in ("village_id", "geometry", OVERRIDE_COLUMN)]
        for name, values in override_columns(ids, {c: out[c].to_numpy() for c in names}, overrides).items():
            out[name] = values
    out[OVERRIDE_COLUMN] = override_labels(ids, overrides)
    return out
