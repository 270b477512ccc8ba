"""Coverage-model settings: the typed, validated form of ``layers/coverage_models.yaml``.

This module owns the schema of the model settings (radii per technology and clutter
class, link-budget parameters, thresholds, antenna pattern, terrain sampling) and
their strict parsing: an unknown key, a missing key, a wrong type or an out-of-range
value raises :class:`~coverage_gis.errors.LayerValidationError` naming the file and the
dotted key, so a typo in a workspace's settings never silently falls back to a default.
It also offers the vectorised look-ups (radius, threshold, reference-signal offset per
cell) that the models share.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
import yaml

from coverage_gis.errors import LayerValidationError
from coverage_gis.models.base import FloatArray, IntArray, StrArray
from coverage_gis.vocabulary import ENVIRONMENTS, TECHS

#: The coverage models the toolkit ships, in the order the CLI lists them.
MODEL_NAMES: tuple[str, ...] = ("radius", "pathloss", "terrain")
#: Path-loss formula families a workspace may choose.
PATHLOSS_FORMULAS: tuple[str, ...] = ("cost231", "38901")
#: Line-of-sight assumption for the 3GPP 38.901 formulas.
LOS_CONDITIONS: tuple[str, ...] = ("los", "nlos")


@dataclass(frozen=True)
class EnvironmentRadii:
    """Service radius of one technology in each clutter class, metres."""

    urban_m: float
    suburban_m: float
    rural_m: float

    def for_environment(self, environment: str) -> float:
        """The radius for ``environment`` (one of :data:`ENVIRONMENTS`)."""
        return {"urban": self.urban_m, "suburban": self.suburban_m, "rural": self.rural_m}[environment]


@dataclass(frozen=True)
class PathlossSettings:
    """Link-budget parameters of the path-loss and terrain models.

    Attributes
    ----------
    formula
        ``cost231`` (COST-231 Hata, with Okumura–Hata below 1500 MHz) or ``38901``
        (3GPP TR 38.901: RMa for rural cells, UMa for urban and suburban cells).
    los_condition
        ``los`` or ``nlos``; only the 38.901 formulas read it.
    cost231_metropolitan_db
        COST-231's ``C_m`` added in the urban class (0 dB for medium cities, 3 dB
        for metropolitan centres).
    rma_building_height_m, rma_street_width_m
        The 38.901 RMa average building height ``h`` and street width ``W``.
    margin_db
        Subtracted from the median predicted level, so that ``signal_dbm`` is a
        planning level (exceeded at ~90 % of locations, after body loss) rather than a
        median, and the ranges match the nominal radii of the radius model.
    reference_signal_offset_db
        Per technology: dB between the cell's total EIRP (the ``eirp_dbm`` column)
        and the level the threshold is defined on (BCCH carrier for 2G, CPICH for
        3G, one resource element for 4G RSRP / 5G SS-RSRP).
    max_range_m
        Hard cap on any cell's reach; a cell never serves beyond it, which keeps the
        candidate search bounded when a link budget would allow absurd ranges.
    """

    formula: str
    los_condition: str
    cost231_metropolitan_db: float
    rma_building_height_m: float
    rma_street_width_m: float
    margin_db: float
    reference_signal_offset_db: Mapping[str, float]
    max_range_m: float


@dataclass(frozen=True)
class AntennaSettings:
    """3GPP TR 36.814 / 38.901 sector antenna pattern parameters.

    Attributes
    ----------
    max_attenuation_db
        ``A_m``: front-to-back ratio and cap of the combined pattern.
    vertical_pattern
        Whether to apply the vertical pattern (electrical tilt) on top of the
        horizontal one.
    vertical_beamwidth_deg
        ``θ_3dB`` of the vertical pattern.
    vertical_side_lobe_db
        ``SLA_v``: cap of the vertical attenuation.
    """

    max_attenuation_db: float
    vertical_pattern: bool
    vertical_beamwidth_deg: float
    vertical_side_lobe_db: float


@dataclass(frozen=True)
class TerrainSettings:
    """Terrain-profile sampling for the terrain model.

    Attributes
    ----------
    step_m
        Distance between profile samples along each path.
    earth_radius_factor
        Effective earth radius factor ``k`` (4/3 for the standard atmosphere).
    """

    step_m: float
    earth_radius_factor: float


@dataclass(frozen=True)
class ModelSettings:
    """All coverage-model settings, as read from ``coverage_models.yaml``.

    Attributes
    ----------
    default_model
        The model a workspace uses when it names none.
    receiver_height_m
        Receiver antenna height above ground assumed by ``max_range_m``.
    radius_m
        Per technology, the radius of the ``radius`` model in each clutter class.
    threshold_dbm
        Per technology, the minimum received level (RxLev, RSCP, RSRP, SS-RSRP)
        at which a cell serves a receiver.
    pathloss, antenna, terrain
        Parameters of the link budget, antenna pattern and terrain sampling.
    source
        Where the settings came from (file path), for error messages.
    """

    default_model: str
    receiver_height_m: float
    radius_m: Mapping[str, EnvironmentRadii]
    threshold_dbm: Mapping[str, float]
    pathloss: PathlossSettings
    antenna: AntennaSettings
    terrain: TerrainSettings
    source: str = "<settings>"

    def radius_for_cells(self, tech: StrArray, environment: StrArray) -> FloatArray:
        """Radius of the ``radius`` model for each cell, metres.

        Raises
        ------
        LayerValidationError
            A cell has a technology or clutter class the settings do not know.
        """
        tech_index = _category_index(tech, TECHS, field="tech")
        env_index = _category_index(environment, ENVIRONMENTS, field="environment")
        table = np.array(
            [[self.radius_m[t].for_environment(e) for e in ENVIRONMENTS] for t in TECHS],
            dtype=np.float64,
        )
        return table[tech_index, env_index]

    def threshold_for_cells(self, tech: StrArray) -> FloatArray:
        """Serving threshold of each cell's technology, dBm."""
        table = np.array([self.threshold_dbm[t] for t in TECHS], dtype=np.float64)
        return table[_category_index(tech, TECHS, field="tech")]

    def reference_offset_for_cells(self, tech: StrArray) -> FloatArray:
        """EIRP-to-reference-signal offset of each cell's technology, dB."""
        offsets = self.pathloss.reference_signal_offset_db
        table = np.array([offsets[t] for t in TECHS], dtype=np.float64)
        return table[_category_index(tech, TECHS, field="tech")]


def environment_index(environment: StrArray) -> IntArray:
    """Index into :data:`ENVIRONMENTS` of each value (raises on an unknown class)."""
    return _category_index(environment, ENVIRONMENTS, field="environment")


def _category_index(values: StrArray, categories: tuple[str, ...], *, field: str) -> IntArray:
    # A few whole-array comparisons beat np.unique on string arrays at national scale
    # (370k cells), and leave -1 behind for anything not in the table.
    out = np.full(values.shape, -1, dtype=np.int64)
    for i, name in enumerate(categories):
        out[values == name] = i
    bad = out < 0
    if bad.any():
        first = str(values[np.flatnonzero(bad)[0]])
        raise LayerValidationError(
            f"unknown {field} {first!r} in {int(bad.sum())} cell(s); expected one of {', '.join(categories)}",
            field=field,
        )
    return out


# --------------------------------------------------------------------------- parsing


def load_settings_file(path: Path) -> ModelSettings:
    """Read and validate a coverage-model settings YAML file.

    Raises
    ------
    LayerValidationError
        The file is missing, is not YAML, or breaks the schema.
    """
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise LayerValidationError(
            f"cannot read coverage model settings: {exc.strerror}", source=source
        ) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise LayerValidationError(f"not valid YAML: {exc}", source=source) from None
    return parse_model_settings(data, source=source)


def parse_model_settings(data: object, *, source: str = "<settings>") -> ModelSettings:
    """Validate a mapping (e.g. parsed YAML) into :class:`ModelSettings`.

    Parameters
    ----------
    data
        The parsed document.
    source
        Named in error messages (a file path, or ``workspace.yaml``).

    Raises
    ------
    LayerValidationError
        Unknown key, missing key, wrong type or out-of-range value; ``field`` holds
        the dotted key (e.g. ``radius_m.4G.urban``).
    """
    r = _Reader(source)
    top = r.mapping(
        data,
        "",
        required=(
            "default_model",
            "receiver_height_m",
            "radius_m",
            "threshold_dbm",
            "pathloss",
            "antenna",
            "terrain",
        ),
    )
    default_model = r.choice(top["default_model"], "default_model", MODEL_NAMES)
    receiver_height_m = r.positive(top["receiver_height_m"], "receiver_height_m")

    radii_doc = r.mapping(top["radius_m"], "radius_m", required=TECHS)
    radius_m: dict[str, EnvironmentRadii] = {}
    for tech in TECHS:
        key = f"radius_m.{tech}"
        env_doc = r.mapping(radii_doc[tech], key, required=ENVIRONMENTS)
        radius_m[tech] = EnvironmentRadii(
            urban_m=r.positive(env_doc["urban"], f"{key}.urban"),
            suburban_m=r.positive(env_doc["suburban"], f"{key}.suburban"),
            rural_m=r.positive(env_doc["rural"], f"{key}.rural"),
        )

    thr_doc = r.mapping(top["threshold_dbm"], "threshold_dbm", required=TECHS)
    threshold_dbm = {t: r.number(thr_doc[t], f"threshold_dbm.{t}") for t in TECHS}

    pl_doc = r.mapping(
        top["pathloss"],
        "pathloss",
        required=(
            "formula",
            "los_condition",
            "cost231_metropolitan_db",
            "rma_building_height_m",
            "rma_street_width_m",
            "margin_db",
            "reference_signal_offset_db",
            "max_range_m",
        ),
    )
    # YAML reads an unquoted 38901 as an integer; accept it as the formula's name.
    formula_raw = pl_doc["formula"]
    if isinstance(formula_raw, int) and not isinstance(formula_raw, bool):
        formula_raw = str(formula_raw)
    offsets_doc = r.mapping(
        pl_doc["reference_signal_offset_db"], "pathloss.reference_signal_offset_db", required=TECHS
    )
    pathloss = PathlossSettings(
        formula=r.choice(formula_raw, "pathloss.formula", PATHLOSS_FORMULAS),
        los_condition=r.choice(pl_doc["los_condition"], "pathloss.los_condition", LOS_CONDITIONS),
        cost231_metropolitan_db=r.non_negative(
            pl_doc["cost231_metropolitan_db"], "pathloss.cost231_metropolitan_db"
        ),
        # 38.901's applicability range; outside it PL1 is not monotone in distance.
        rma_building_height_m=r.within(
            pl_doc["rma_building_height_m"], "pathloss.rma_building_height_m", 5.0, 50.0
        ),
        rma_street_width_m=r.within(pl_doc["rma_street_width_m"], "pathloss.rma_street_width_m", 5.0, 50.0),
        margin_db=r.non_negative(pl_doc["margin_db"], "pathloss.margin_db"),
        reference_signal_offset_db=MappingProxyType(
            {t: r.non_negative(offsets_doc[t], f"pathloss.reference_signal_offset_db.{t}") for t in TECHS}
        ),
        max_range_m=r.positive(pl_doc["max_range_m"], "pathloss.max_range_m"),
    )

    ant_doc = r.mapping(
        top["antenna"],
        "antenna",
        required=(
            "max_attenuation_db",
            "vertical_pattern",
            "vertical_beamwidth_deg",
            "vertical_side_lobe_db",
        ),
    )
    antenna = AntennaSettings(
        max_attenuation_db=r.positive(ant_doc["max_attenuation_db"], "antenna.max_attenuation_db"),
        vertical_pattern=r.boolean(ant_doc["vertical_pattern"], "antenna.vertical_pattern"),
        vertical_beamwidth_deg=r.positive(
            ant_doc["vertical_beamwidth_deg"], "antenna.vertical_beamwidth_deg"
        ),
        vertical_side_lobe_db=r.positive(ant_doc["vertical_side_lobe_db"], "antenna.vertical_side_lobe_db"),
    )

    ter_doc = r.mapping(top["terrain"], "terrain", required=("step_m", "earth_radius_factor"))
    terrain = TerrainSettings(
        step_m=r.positive(ter_doc["step_m"], "terrain.step_m"),
        earth_radius_factor=r.positive(ter_doc["earth_radius_factor"], "terrain.earth_radius_factor"),
    )

    return ModelSettings(
        default_model=default_model,
        receiver_height_m=receiver_height_m,
        radius_m=MappingProxyType(radius_m),
        threshold_dbm=MappingProxyType(threshold_dbm),
        pathloss=pathloss,
        antenna=antenna,
        terrain=terrain,
        source=source,
    )


class _Reader:
    """Typed accessors that raise with the source file and the dotted key."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, key: str, reason: str) -> LayerValidationError:
        return LayerValidationError(reason, source=self.source, field=key or None)

    def mapping(self, value: object, key: str, *, required: tuple[str, ...]) -> dict[str, Any]:
        if not isinstance(value, Mapping):
            raise self.fail(key, f"expected a mapping, got {type(value).__name__}")
        # YAML may read keys such as 2G fine but 4 or true as non-strings; compare as text.
        doc = {str(k): v for k, v in value.items()}
        prefix = f"{key}." if key else ""
        unknown = sorted(set(doc) - set(required))
        if unknown:
            raise self.fail(
                prefix + unknown[0],
                f"unknown key {unknown[0]!r}; allowed: {', '.join(required)}",
            )
        missing = [k for k in required if k not in doc]
        if missing:
            raise self.fail(prefix + missing[0], f"missing key {missing[0]!r}")
        return doc

    def number(self, value: object, key: str) -> float:
        # bool is an int subclass; "true" as a radius is a typo, not 1 metre.
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.fail(key, f"expected a number, got {value!r}")
        out = float(value)
        if not math.isfinite(out):
            raise self.fail(key, f"expected a finite number, got {value!r}")
        return out

    def positive(self, value: object, key: str) -> float:
        out = self.number(value, key)
        if out <= 0:
            raise self.fail(key, f"must be > 0, got {value!r}")
        return out

    def non_negative(self, value: object, key: str) -> float:
        out = self.number(value, key)
        if out < 0:
            raise self.fail(key, f"must be >= 0, got {value!r}")
        return out

    def within(self, value: object, key: str, low: float, high: float) -> float:
        out = self.number(value, key)
        if not low <= out <= high:
            raise self.fail(key, f"must be between {low:g} and {high:g}, got {value!r}")
        return out

    def boolean(self, value: object, key: str) -> bool:
        if not isinstance(value, bool):
            raise self.fail(key, f"expected true or false, got {value!r}")
        return value

    def choice(self, value: object, key: str, allowed: tuple[str, ...]) -> str:
        if not isinstance(value, str) or value not in allowed:
            raise self.fail(key, f"expected one of {', '.join(allowed)}, got {value!r}")
        return value
