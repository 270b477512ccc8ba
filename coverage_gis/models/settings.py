"""Coverage-model settings: the typed, validated form of ``layers/coverage_models.yaml``.

This module owns the schema of the model settings (radii per technology, band and
clutter class, link-budget parameters, thresholds, antenna pattern, terrain sampling
and method, ITM parameters) and their strict parsing: an unknown key, a missing key, a
wrong type or an out-of-range value raises
:class:`~coverage_gis.errors.LayerValidationError` naming the file and the dotted key,
so a typo in a workspace's settings never silently falls back to a default.
It also offers the vectorised look-ups (radius, threshold, reference-signal offset per
cell) that the models share. A cell's radius comes from the row of its technology's
table whose band is nearest to the cell's ``band_mhz`` (a tie goes to the lower band).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Annotated, Any

import numpy as np
from pydantic import AfterValidator, BaseModel, BeforeValidator, Field, create_model

from coverage_gis._documents import (
    DOCUMENT_CONFIG,
    NonNegativeNumber,
    Number,
    PositiveNumber,
    parse_document,
    read_yaml,
)
from coverage_gis.errors import LayerValidationError
from coverage_gis.models.base import BoolArray, FloatArray, IntArray, StrArray
from coverage_gis.vocabulary import ENVIRONMENTS, TECHS

#: A class column of the cells (technology, clutter class): names, or their positions in
#: :data:`TECHS` / :data:`ENVIRONMENTS` (:func:`tech_index`, :func:`environment_index`).
ClassArray = StrArray | IntArray

#: The coverage models the toolkit ships, in the order the CLI lists them.
MODEL_NAMES: tuple[str, ...] = ("radius", "pathloss", "terrain")
#: Path-loss formula families a workspace may choose.
PATHLOSS_FORMULAS: tuple[str, ...] = ("cost231", "38901")
#: Line-of-sight assumption for the 3GPP 38.901 formulas.
LOS_CONDITIONS: tuple[str, ...] = ("los", "nlos")
#: Hata area corrections the ``rural`` clutter class may use (COST-231 formula).
RURAL_CORRECTIONS: tuple[str, ...] = ("suburban", "open_area")
#: A cell whose band is further than this fraction from every band of its technology's
#: radius table is counted outside the table's validity (it still takes the nearest row).
RADIUS_BAND_TOLERANCE = 0.10
#: Terrain-loss methods of the terrain model (see :mod:`coverage_gis.terrain`).
TERRAIN_METHODS: tuple[str, ...] = ("delta_bullington", "itm")
#: ITM radio climates, in the model's numbering 1..7.
ITM_CLIMATES: tuple[str, ...] = (
    "equatorial",
    "continental_subtropical",
    "maritime_subtropical",
    "desert",
    "continental_temperate",
    "maritime_temperate_overland",
    "maritime_temperate_oversea",
)
#: ITM antenna polarisations.
POLARIZATIONS: tuple[str, ...] = ("horizontal", "vertical")


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
class BandRadii:
    """The radius table of one technology: a row of clutter-class radii per band.

    Attributes
    ----------
    bands_mhz
        The listed bands, ascending.
    radii
        One :class:`EnvironmentRadii` per band, in the same order.
    """

    bands_mhz: tuple[float, ...]
    radii: tuple[EnvironmentRadii, ...]

    def for_band(self, band_mhz: float) -> EnvironmentRadii:
        """The row of the listed band nearest to ``band_mhz`` (a tie goes to the lower band)."""
        return self.radii[int(self.nearest_index(np.array([band_mhz], dtype=np.float64))[0])]

    def nearest_index(self, band_mhz: FloatArray) -> IntArray:
        """Index of the nearest listed band of each value (ties to the lower band)."""
        bands = np.asarray(self.bands_mhz, dtype=np.float64)
        # argmin returns the first minimum: with ascending bands a tie picks the lower.
        return np.asarray(np.argmin(np.abs(band_mhz[:, None] - bands[None, :]), axis=1), dtype=np.int64)

    def table_m(self) -> FloatArray:
        """``(bands, clutter classes)`` radii, metres, clutter classes in :data:`ENVIRONMENTS` order."""
        return np.array([[r.for_environment(e) for e in ENVIRONMENTS] for r in self.radii], dtype=np.float64)


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
    cost231_rural_correction
        Hata's area correction for the ``rural`` clutter class: ``suburban`` (villages
        among trees and hills, the default) or ``open_area`` (open farmland, sea coast).
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
    cost231_rural_correction: str
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
    sector_edge_db
        The radius model's sector service area ends, on a side without a neighbouring
        sector of the same site and layer (or before the bisector with a far one), where
        the horizontal pattern has fallen by this much: ``φ_3dB · sqrt(edge / 12)`` off
        boresight (12 dB: one beamwidth). See :func:`~coverage_gis.models.antenna.service_sectors`.
    """

    max_attenuation_db: float
    vertical_pattern: bool
    vertical_beamwidth_deg: float
    vertical_side_lobe_db: float
    sector_edge_db: float = 12.0


@dataclass(frozen=True)
class ItmSettings:
    """Longley–Rice (ITM 1.2.2) point-to-point parameters of the ``itm`` terrain method.

    Attributes
    ----------
    climate
        Radio climate, one of :data:`ITM_CLIMATES`.
    surface_refractivity_n
        Surface refractivity ``N_s`` (N-units); sets the effective earth curvature.
    ground_permittivity, ground_conductivity_s_per_m
        Ground constants (relative permittivity, S/m).
    polarization
        ``horizontal`` or ``vertical``.
    """

    climate: str = "equatorial"
    surface_refractivity_n: float = 301.0
    ground_permittivity: float = 15.0
    ground_conductivity_s_per_m: float = 0.005
    polarization: str = "vertical"

    @property
    def climate_code(self) -> int:
        """ITM's climate number (1 = equatorial … 7 = maritime temperate over sea)."""
        return ITM_CLIMATES.index(self.climate) + 1


@dataclass(frozen=True)
class TerrainSettings:
    """Terrain-profile sampling and the terrain-loss method of the terrain model.

    Attributes
    ----------
    step_m
        Distance between profile samples along each path.
    earth_radius_factor
        Effective earth radius factor ``k`` (4/3 for the standard atmosphere).
    method
        ``delta_bullington`` (the link budget's formula plus the terrain's excess
        diffraction loss) or ``itm`` (Longley–Rice point-to-point in place of the
        formula); see :mod:`coverage_gis.terrain`.
    itm
        Parameters of the ``itm`` method.
    """

    step_m: float
    earth_radius_factor: float
    method: str = "delta_bullington"
    itm: ItmSettings = ItmSettings()


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
        Per technology, the radius table of the ``radius`` model (a row of clutter-class
        radii per band).
    threshold_dbm
        Per technology, the minimum received level (RxLev, RSCP, RSRP, SS-RSRP)
        at which a cell serves a receiver.
    pathloss, antenna, terrain
        Parameters of the link budget, antenna pattern and terrain (sampling, method, ITM).
    source
        Where the settings came from (file path), for error messages.
    """

    default_model: str
    receiver_height_m: float
    radius_m: Mapping[str, BandRadii]
    threshold_dbm: Mapping[str, float]
    pathloss: PathlossSettings
    antenna: AntennaSettings
    terrain: TerrainSettings
    source: str = "<settings>"

    def radius_for_cells(self, tech: ClassArray, band_mhz: FloatArray, environment: ClassArray) -> FloatArray:
        """Radius of the ``radius`` model for each cell, metres.

        The row is the listed band of the cell's technology nearest to its ``band_mhz``.
        ``tech`` and ``environment`` are names or positions (:func:`tech_index`,
        :func:`environment_index`), like every class column of the look-ups here.

        Raises
        ------
        LayerValidationError
            A cell has a technology or clutter class the settings do not know.
        """
        tech_pos = tech_index(tech)
        env_pos = environment_index(environment)
        # Per technology and distinct band (a network has a handful), then taken per cell.
        bands, band_code = _distinct(band_mhz)
        rows = np.stack([self.radius_m[name].nearest_index(bands) for name in TECHS])
        width = max(len(self.radius_m[name].radii) for name in TECHS)
        tables = np.full((len(TECHS), width, len(ENVIRONMENTS)), np.nan)
        for i, name in enumerate(TECHS):
            table = self.radius_m[name].table_m()
            tables[i, : table.shape[0]] = table
        out = tables[tech_pos, rows[tech_pos, band_code], env_pos]
        return np.asarray(out, dtype=np.float64)

    def radius_band_outside(self, tech: ClassArray, band_mhz: FloatArray) -> BoolArray:
        """Cells whose band lies beyond :data:`RADIUS_BAND_TOLERANCE` of every listed band of their tech."""
        bands, band_code = _distinct(band_mhz)
        outside = np.stack([self._band_outside(name, bands) for name in TECHS])
        return np.asarray(outside[tech_index(tech), band_code], dtype=bool)

    def _band_outside(self, tech: str, band_mhz: FloatArray) -> BoolArray:
        """Whether each band lies beyond :data:`RADIUS_BAND_TOLERANCE` of every listed band of ``tech``."""
        bands = np.asarray(self.radius_m[tech].bands_mhz, dtype=np.float64)
        gap = np.min(np.abs(band_mhz[:, None] - bands[None, :]) / bands[None, :], axis=1)
        return np.asarray(~(gap <= RADIUS_BAND_TOLERANCE), dtype=bool)

    def threshold_for_cells(self, tech: ClassArray) -> FloatArray:
        """Serving threshold of each cell's technology (names or positions), dBm."""
        table = np.array([self.threshold_dbm[t] for t in TECHS], dtype=np.float64)
        return table[tech_index(tech)]

    def reference_offset_for_cells(self, tech: ClassArray) -> FloatArray:
        """EIRP-to-reference-signal offset of each cell's technology (names or positions), dB."""
        offsets = self.pathloss.reference_signal_offset_db
        table = np.array([offsets[t] for t in TECHS], dtype=np.float64)
        return table[tech_index(tech)]


def tech_index(tech: ClassArray) -> IntArray:
    """Index into :data:`TECHS` of each value (raises on an unknown technology); positions
    (an integer array, this function's answer) are returned as they are.

    Comparing 370k strings with each class costs more than a look-up itself: a caller
    with several look-ups over the same cells (the link budget) passes them positions.
    """
    return _category_index(tech, TECHS, field="tech")


def environment_index(environment: ClassArray) -> IntArray:
    """Index into :data:`ENVIRONMENTS` of each value (raises on an unknown class); positions
    are returned as they are (see :func:`tech_index`)."""
    return _category_index(environment, ENVIRONMENTS, field="environment")


def _distinct(values: FloatArray) -> tuple[FloatArray, IntArray]:
    """The distinct values (NaN among them) and each value's position among them: a rule
    of one value is computed once per distinct value and taken per cell."""
    # pandas hashes (a sort would cost more than the rule); imported here so that the
    # models and the terrain engine load without it (a raster worker needs none).
    import pandas as pd

    codes, distinct = pd.factorize(np.asarray(values, dtype=np.float64), use_na_sentinel=False)
    return np.asarray(distinct, dtype=np.float64), np.asarray(codes, dtype=np.int64)


def _category_index(values: ClassArray, categories: tuple[str, ...], *, field: str) -> IntArray:
    if np.issubdtype(values.dtype, np.integer):
        return np.asarray(values, dtype=np.int64)
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


def _one_of(choices: tuple[str, ...]) -> AfterValidator:
    def check(value: str) -> str:
        if value not in choices:
            raise ValueError(f"expected one of {', '.join(choices)}, got {value!r}")
        return value

    return AfterValidator(check)


def _formula_name(value: object) -> object:
    # YAML reads an unquoted 38901 as an integer; accept it as the formula's name.
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


def _band_key(value: str) -> str:
    try:
        band = float(value)
    except ValueError:
        raise ValueError(f"a band must be a frequency in MHz, got {value!r}") from None
    if not (math.isfinite(band) and band > 0):
        raise ValueError(f"a band must be a positive frequency in MHz, got {value!r}")
    return value


def _bands_listed(value: dict[str, Any]) -> dict[str, Any]:
    if not value:
        raise ValueError("list at least one band (MHz) with its radii")
    return value


def _keyed(name: str, keys: tuple[str, ...], value: Any) -> type[BaseModel]:
    """A document section with exactly ``keys`` (technologies, clutter classes), each a ``value``."""
    fields: dict[str, Any] = {f"key_{i}": (value, Field(alias=key)) for i, key in enumerate(keys)}
    return create_model(name, __config__=DOCUMENT_CONFIG, **fields)


#: One technology's radius table: band (MHz, as written) → clutter-class radii. Built with
#: ``__class_getitem__`` because the value type is made at run time from the vocabulary.
_BAND_TABLE: Any = Annotated[
    dict.__class_getitem__(
        (Annotated[str, AfterValidator(_band_key)], _keyed("Radii", ENVIRONMENTS, PositiveNumber))
    ),
    AfterValidator(_bands_listed),
]

_Pathloss = create_model(
    "Pathloss",
    __config__=DOCUMENT_CONFIG,
    formula=(Annotated[str, BeforeValidator(_formula_name), _one_of(PATHLOSS_FORMULAS)], ...),
    los_condition=(Annotated[str, _one_of(LOS_CONDITIONS)], ...),
    cost231_metropolitan_db=(NonNegativeNumber, ...),
    cost231_rural_correction=(Annotated[str, _one_of(RURAL_CORRECTIONS)], ...),
    # 38.901's applicability range; outside it PL1 is not monotone in distance.
    rma_building_height_m=(Annotated[float, Field(ge=5.0, le=50.0, allow_inf_nan=False)], ...),
    rma_street_width_m=(Annotated[float, Field(ge=5.0, le=50.0, allow_inf_nan=False)], ...),
    margin_db=(NonNegativeNumber, ...),
    reference_signal_offset_db=(_keyed("ReferenceOffsets", TECHS, NonNegativeNumber), ...),
    max_range_m=(PositiveNumber, ...),
)
_Antenna = create_model(
    "Antenna",
    __config__=DOCUMENT_CONFIG,
    max_attenuation_db=(PositiveNumber, ...),
    vertical_pattern=(bool, ...),
    vertical_beamwidth_deg=(PositiveNumber, ...),
    vertical_side_lobe_db=(PositiveNumber, ...),
    sector_edge_db=(PositiveNumber, ...),
)
_Itm = create_model(
    "Itm",
    __config__=DOCUMENT_CONFIG,
    climate=(Annotated[str, _one_of(ITM_CLIMATES)], ...),
    # ITM's own validity checks: N_s 250-400, permittivity > 1, conductivity > 0.
    surface_refractivity_n=(Annotated[float, Field(ge=250.0, le=400.0, allow_inf_nan=False)], ...),
    ground_permittivity=(Annotated[float, Field(ge=1.0, le=100.0, allow_inf_nan=False)], ...),
    ground_conductivity_s_per_m=(PositiveNumber, ...),
    polarization=(Annotated[str, _one_of(POLARIZATIONS)], ...),
)
_Terrain = create_model(
    "Terrain",
    __config__=DOCUMENT_CONFIG,
    method=(Annotated[str, _one_of(TERRAIN_METHODS)], ...),
    step_m=(PositiveNumber, ...),
    earth_radius_factor=(PositiveNumber, ...),
    itm=(_Itm, ...),
)
#: ``layers/coverage_models.yaml``: every key required, no other key allowed. Built from
#: the vocabularies, so a section keyed by technology or clutter class has their keys.
_SettingsDocument = create_model(
    "CoverageModelSettings",
    __config__=DOCUMENT_CONFIG,
    default_model=(Annotated[str, _one_of(MODEL_NAMES)], ...),
    receiver_height_m=(PositiveNumber, ...),
    radius_m=(_keyed("RadiusByTech", TECHS, _BAND_TABLE), ...),
    threshold_dbm=(_keyed("ThresholdByTech", TECHS, Number), ...),
    pathloss=(_Pathloss, ...),
    antenna=(_Antenna, ...),
    terrain=(_Terrain, ...),
)


def _band_radii(rows: Mapping[str, Mapping[str, float]]) -> BandRadii:
    by_band = sorted((float(band), r) for band, r in rows.items())
    return BandRadii(
        bands_mhz=tuple(band for band, _ in by_band),
        radii=tuple(
            EnvironmentRadii(urban_m=r["urban"], suburban_m=r["suburban"], rural_m=r["rural"])
            for _, r in by_band
        ),
    )


def load_settings_file(path: Path) -> ModelSettings:
    """Read and validate a coverage-model settings YAML file.

    Raises
    ------
    LayerValidationError
        The file is missing, is not YAML, or breaks the schema.
    """
    return parse_model_settings(read_yaml(path, what="coverage model settings"), source=str(path))


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
        the dotted key (e.g. ``radius_m.4G.1800.urban``).
    """
    doc = parse_document(_SettingsDocument, data, source=source).model_dump(by_alias=True)
    pathloss, terrain = doc["pathloss"], doc["terrain"]
    return ModelSettings(
        default_model=doc["default_model"],
        receiver_height_m=doc["receiver_height_m"],
        radius_m=MappingProxyType({tech: _band_radii(rows) for tech, rows in doc["radius_m"].items()}),
        threshold_dbm=MappingProxyType(dict(doc["threshold_dbm"])),
        pathloss=PathlossSettings(
            **{
                **pathloss,
                "reference_signal_offset_db": MappingProxyType(pathloss["reference_signal_offset_db"]),
            }
        ),
        antenna=AntennaSettings(**doc["antenna"]),
        terrain=TerrainSettings(**{**terrain, "itm": ItmSettings(**terrain["itm"])}),
        source=source,
    )
