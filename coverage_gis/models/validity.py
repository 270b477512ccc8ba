"""Validity ranges of the propagation formulas, and the per-run report of pairs outside them.

Every formula the models evaluate was fitted or specified for a range of carrier
frequency, antenna heights and distance. The models do not refuse a pair outside it
(they extend the formula as planning tools do, see
:mod:`coverage_gis.models.propagation`), but they mark it: each
:class:`~coverage_gis.models.base.CandidatePairs` carries, per pair, the formula that
decided it and a bit mask of the parameters outside that formula's range, and
:class:`ValidityReport` counts them for a run (``covgis compute`` prints it and the
recompute's revision summary names it).

Ranges (distances 2-D, heights above ground):

========================  ================  ===============  ===============  ==============
formula                   frequency (MHz)   base (m)         mobile (m)       distance (m)
========================  ================  ===============  ===============  ==============
``okumura_hata``          150–1500          30–200           1–10             1,000–20,000
``cost231_hata``          1500–2000         30–200           1–10             1,000–20,000
``38901_rma``             500–30,000        10–150           1–10             10–10,000
``38901_uma``             500–100,000       20–30 (25)       1.5–22.5         10–5,000
``itm``                   20–20,000         0.5–3,000        0.5–3,000        1,000–2,000,000
``radius_table``          a listed band ±10 %  —               —                —
========================  ================  ===============  ===============  ==============

Sources: Hata (1980) and COST 231 final report §4.4; 3GPP TR 38.901 Table 7.4.1-1
(RMa validated to 7 GHz, specified to 30 GHz; UMa's formula assumes ``h_BS = 25 m``,
counted outside beyond ±5 m); NTIA ITM 1.2.2 input limits. RMa NLOS is specified to
5 km; its LOS part to 10 km, the larger one is used here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np
from numpy.typing import ArrayLike, NDArray

#: Formulas a pair can be decided by, in code order (``CandidatePairs.formula``; -1 = unknown).
FORMULAS: tuple[str, ...] = (
    "okumura_hata",
    "cost231_hata",
    "38901_rma",
    "38901_uma",
    "itm",
    "radius_table",
)
#: The parameters a pair can be outside the range of, one bit each (in this order).
PARAMETERS: tuple[str, ...] = ("frequency", "base_height", "mobile_height", "distance")
OUTSIDE_FREQUENCY = 1
OUTSIDE_BASE_HEIGHT = 2
OUTSIDE_MOBILE_HEIGHT = 4
OUTSIDE_DISTANCE = 8

FormulaArray = NDArray[np.int8]
FlagArray = NDArray[np.uint8]

#: ``formula: (frequency MHz, base height m, mobile height m, distance m)`` ranges, inclusive.
RANGES: Mapping[str, tuple[tuple[float, float], ...]] = MappingProxyType(
    {
        "okumura_hata": ((150.0, 1500.0), (30.0, 200.0), (1.0, 10.0), (1000.0, 20000.0)),
        "cost231_hata": ((1500.0, 2000.0), (30.0, 200.0), (1.0, 10.0), (1000.0, 20000.0)),
        "38901_rma": ((500.0, 30000.0), (10.0, 150.0), (1.0, 10.0), (10.0, 10000.0)),
        "38901_uma": ((500.0, 100000.0), (20.0, 30.0), (1.5, 22.5), (10.0, 5000.0)),
        "itm": ((20.0, 20000.0), (0.5, 3000.0), (0.5, 3000.0), (1000.0, 2000000.0)),
    }
)


def formula_code(name: str) -> int:
    """The code of formula ``name`` in :data:`FORMULAS`."""
    return FORMULAS.index(name)


def outside_flags(
    formula: str,
    frequency_mhz: ArrayLike,
    base_height_m: ArrayLike,
    mobile_height_m: ArrayLike,
    distance_m: ArrayLike,
) -> FlagArray:
    """Bit mask of the parameters outside ``formula``'s range (0 = all inside), per element."""
    values = np.broadcast_arrays(
        *(
            np.asarray(v, dtype=np.float64)
            for v in (frequency_mhz, base_height_m, mobile_height_m, distance_m)
        )
    )
    flags = np.zeros(values[0].shape, dtype=np.uint8)
    for bit, value, (lo, hi) in zip((1, 2, 4, 8), values, RANGES[formula], strict=True):
        flags |= np.where((value >= lo) & (value <= hi), 0, bit).astype(np.uint8)
    return flags


@dataclass(frozen=True)
class FormulaCounts:
    """How many pairs one formula decided, and how many were outside its range (per parameter)."""

    pairs: int
    outside: int
    by_parameter: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class ValidityReport:
    """Per formula, the pairs it decided in one run and those outside its validity range.

    Attributes
    ----------
    formulas
        Formula name → :class:`FormulaCounts` (only formulas that decided a pair).
    pairs
        All pairs examined, whatever their formula.
    """

    formulas: Mapping[str, FormulaCounts] = field(default_factory=dict)
    pairs: int = 0

    @property
    def outside(self) -> int:
        """Pairs outside the range of the formula that decided them."""
        return sum(c.outside for c in self.formulas.values())

    @classmethod
    def from_arrays(
        cls, formula: ArrayLike, outside: ArrayLike, count: ArrayLike | None = None
    ) -> ValidityReport:
        """Count per-pair formula codes and outside masks (as the models set them).

        ``count`` makes each element stand for that many pairs (a cell's pairs, when
        they all share its formula and mask).
        """
        # Kept in their own (narrow) integer type: millions of pairs a batch at national scale.
        codes = np.asarray(formula)
        if codes.dtype.kind not in "iu":
            codes = codes.astype(np.int64)
        flags = np.asarray(outside, dtype=np.uint8)
        weight = None if count is None else np.asarray(count, dtype=np.int64)

        def pairs(mask: NDArray[np.bool_], among: NDArray[np.int64] | None) -> int:
            return int(np.count_nonzero(mask) if among is None else among[mask].sum())

        found: dict[str, FormulaCounts] = {}
        for code, name in enumerate(FORMULAS):
            mine = codes == code
            w = None if weight is None else weight[mine]
            decided = pairs(mine, weight)
            if not decided:
                continue
            f = flags[mine]
            found[name] = FormulaCounts(
                pairs=decided,
                outside=pairs(f != 0, w),
                by_parameter={p: n for i, p in enumerate(PARAMETERS) if (n := pairs((f & (1 << i)) != 0, w))},
            )
        total = codes.size if weight is None else weight.sum()
        return cls(formulas=MappingProxyType(found), pairs=int(total))

    @classmethod
    def merge(cls, reports: Sequence[ValidityReport]) -> ValidityReport:
        """One report counting the pairs of all ``reports`` (disjoint sets of pairs).

        Equal to :meth:`from_arrays` over the pairs of all of them at once.
        """
        found: dict[str, FormulaCounts] = {}
        for name in FORMULAS:
            mine = [r.formulas[name] for r in reports if name in r.formulas]
            if not mine:
                continue
            by_parameter = {p: sum(c.by_parameter.get(p, 0) for c in mine) for p in PARAMETERS}
            found[name] = FormulaCounts(
                pairs=sum(c.pairs for c in mine),
                outside=sum(c.outside for c in mine),
                by_parameter={p: n for p, n in by_parameter.items() if n},
            )
        return cls(formulas=MappingProxyType(found), pairs=sum(r.pairs for r in reports))

    def as_dict(self) -> dict[str, object]:
        """JSON-ready form: ``{"pairs": n, "outside": n, "formulas": {name: {...}}}``."""
        return {
            "pairs": self.pairs,
            "outside": self.outside,
            "formulas": {
                name: {"pairs": c.pairs, "outside": c.outside, **dict(c.by_parameter)}
                for name, c in self.formulas.items()
            },
        }

    def summary(self) -> str:
        """One line: ``"12,345 pairs, 678 outside their formula's range (cost231_hata: 600 distance …)"``."""
        parts = []
        for name, c in self.formulas.items():
            if c.outside:
                detail = ", ".join(f"{n:,} {p.replace('_', ' ')}" for p, n in c.by_parameter.items())
                parts.append(f"{name}: {c.outside:,} of {c.pairs:,} ({detail})")
        text = f"{self.pairs:,} pairs, {self.outside:,} outside their formula's validity range"
        return text + (f" - {'; '.join(parts)}" if parts else "")
