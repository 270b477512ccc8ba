"""Reference cells: the typical radio of each technology and band, and the radius table derived from them.

This module owns where the ``radius`` model's nominal radii come from. Each value of
``radius_m`` in ``layers/coverage_models.yaml`` is the boresight reach of a reference
cell under the shipped link budget (formula, margin, threshold, antenna pattern with
the vertical pattern at the reference tilt), rounded to 10 m: the largest distance at
which its planning level still reaches the threshold. The radius and link-budget
models therefore agree on a reference cell by construction; a cell stronger or
weaker than its reference reaches further or less far under ``pathloss``.

Reference cells stand on the mast height of their clutter class with the tilt
planners use there (:data:`REFERENCE_MAST_M`, :data:`REFERENCE_TILT_DEG`) and radiate
the EIRP of :data:`REFERENCE_RADIOS`, a typical Vietnamese macro configuration per
technology and band. The ``eirp_dbm`` of 4G and 5G cells is normalised to the carrier
bandwidth the reference-signal offsets assume (20 MHz LTE, 100 MHz NR at 30 kHz): a
narrower carrier with the same power amplifier has more power per resource element,
so its EIRP is quoted ``10·log10(20 / B)`` dB (LTE) higher. The demo network
(:mod:`coverage_gis.demo.sites`) and the 5G recommendations of the gap lists
(:mod:`coverage_gis.gaps`) take their radios from here.

``bench/derive_radii.py`` prints the derived table in the settings file's layout;
``tests/test_models_reference.py`` checks the shipped file against it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from coverage_gis.models.base import CellArrays, FloatArray
from coverage_gis.models.settings import ModelSettings
from coverage_gis.vocabulary import ENVIRONMENTS

#: Mast (antenna) height of a reference cell per clutter class, metres.
REFERENCE_MAST_M: dict[str, float] = {"urban": 25.0, "suburban": 30.0, "rural": 35.0}
#: Electrical downtilt of a reference cell per clutter class, degrees.
REFERENCE_TILT_DEG: dict[str, float] = {"urban": 6.0, "suburban": 4.0, "rural": 3.0}
#: Horizontal beamwidth of a reference sector, degrees (a 65° panel).
REFERENCE_BEAMWIDTH_DEG = 65.0
#: Rounding of the derived radii, metres.
RADIUS_ROUNDING_M = 10.0


@dataclass(frozen=True)
class ReferenceRadio:
    """The typical radio of one technology on one band.

    Attributes
    ----------
    tech, band_mhz
        Technology and carrier (the row of the radius table).
    eirp_dbm
        Per antenna port, normalised as the module docstring says.
    basis
        How the EIRP is made up (power amplifier, antenna gain, losses, carrier).
    """

    tech: str
    band_mhz: float
    eirp_dbm: float
    basis: str


#: The reference radios: one row of the radius table each.
REFERENCE_RADIOS: tuple[ReferenceRadio, ...] = (
    ReferenceRadio("2G", 900.0, 57.0, "20 W TRX (43 dBm) + 16 dBi - 2 dB feeder; RxLev of the BCCH carrier"),
    ReferenceRadio("2G", 1800.0, 58.0, "20 W TRX (43 dBm) + 18 dBi - 3 dB feeder"),
    ReferenceRadio("3G", 900.0, 57.0, "20 W carrier (43 dBm) + 16 dBi - 2 dB; CPICH 10 % of it"),
    ReferenceRadio("3G", 2100.0, 58.0, "20 W carrier (43 dBm) + 18 dBi - 3 dB; CPICH 10 % of it"),
    ReferenceRadio("4G", 700.0, 62.5, "2x40 W RRU (46 dBm/port), 10 MHz (+3 dB vs 20 MHz), 15.5 dBi - 2 dB"),
    ReferenceRadio("4G", 800.0, 62.5, "2x40 W RRU (46 dBm/port), 10 MHz (+3 dB vs 20 MHz), 15.5 dBi - 2 dB"),
    ReferenceRadio("4G", 900.0, 62.5, "2x40 W RRU (46 dBm/port), 10 MHz (+3 dB vs 20 MHz), 15.5 dBi - 2 dB"),
    ReferenceRadio("4G", 1800.0, 61.0, "2x40 W RRU (46 dBm/port), 20 MHz, 18 dBi - 3 dB"),
    ReferenceRadio("4G", 2100.0, 61.0, "2x40 W RRU (46 dBm/port), 20 MHz, 18 dBi - 3 dB"),
    ReferenceRadio("4G", 2600.0, 60.5, "2x40 W RRU (46 dBm/port), 20 MHz, 18 dBi - 3.5 dB"),
    ReferenceRadio(
        "5G", 700.0, 66.7, "4x40 W RRU (46 dBm/port), 10 MHz at 15 kHz (+7.2 dB vs 100 MHz), 15.5 dBi - 2 dB"
    ),
    ReferenceRadio("5G", 2600.0, 76.0, "64T64R massive MIMO, 200 W (53 dBm), 24 dBi SSB beam - 1 dB"),
    ReferenceRadio("5G", 3500.0, 76.0, "64T64R massive MIMO, 200 W (53 dBm), 24 dBi SSB beam - 1 dB"),
    ReferenceRadio("5G", 3700.0, 76.0, "64T64R massive MIMO, 200 W (53 dBm), 24 dBi SSB beam - 1 dB"),
)


def reference_radio(tech: str, band_mhz: float) -> ReferenceRadio:
    """The reference radio of ``tech`` whose band is nearest to ``band_mhz`` (ties to the lower band)."""
    rows = sorted((r for r in REFERENCE_RADIOS if r.tech == tech), key=lambda r: r.band_mhz)
    if not rows:
        raise KeyError(f"no reference radio for technology {tech!r}")
    return min(rows, key=lambda r: abs(r.band_mhz - band_mhz))


def reference_cells(radio: ReferenceRadio, environment: str, *, azimuth_deg: float = 0.0) -> CellArrays:
    """One sector cell of ``radio`` at the origin, on the reference mast of ``environment``."""

    def one(value: float) -> FloatArray:
        return np.array([value], dtype=np.float64)

    return CellArrays(
        x_m=one(0.0),
        y_m=one(0.0),
        tech=np.array([radio.tech]),
        band_mhz=one(radio.band_mhz),
        azimuth_deg=one(azimuth_deg),
        beamwidth_deg=one(REFERENCE_BEAMWIDTH_DEG),
        eirp_dbm=one(radio.eirp_dbm),
        tilt_deg=one(REFERENCE_TILT_DEG[environment]),
        height_m=one(REFERENCE_MAST_M[environment]),
        environment=np.array([environment]),
    )


def boresight_reach_m(settings: ModelSettings, cells: CellArrays) -> float:
    """The largest distance on boresight at which the first cell's level reaches its threshold.

    The flat-ground level of :class:`~coverage_gis.models.pathloss.LinkBudget` with
    the vertical pattern (if the settings apply it); 0 when it never does.
    """
    from coverage_gis.models.pathloss import LinkBudget

    budget = LinkBudget(cells, settings=settings, receiver_height_m=settings.receiver_height_m)
    upper = float(budget.reach_m()[0])
    if upper <= 0.0:
        return 0.0
    azimuth = float(np.nan_to_num(cells.azimuth_deg[0]))
    east, north = np.sin(np.radians(azimuth)), np.cos(np.radians(azimuth))

    def margin_db(distance: FloatArray) -> FloatArray:
        index = np.zeros(distance.size, dtype=np.int64)
        level = budget.signal_dbm(index, distance * east, distance * north, distance)
        return np.asarray(level - budget.threshold_dbm[0], dtype=np.float64)

    # The vertical pattern makes the level non-monotone near the mast: scan on a grid,
    # then bisect between the last grid point that reaches and the next one.
    grid = np.linspace(0.0, upper, 4001)
    ok = np.flatnonzero(margin_db(grid) >= 0.0)
    if ok.size == 0:
        return 0.0
    lo = float(grid[ok[-1]])
    hi = float(grid[min(ok[-1] + 1, grid.size - 1)])
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        if margin_db(np.array([mid]))[0] >= 0.0:
            lo = mid
        else:
            hi = mid
    return lo


def derived_radius_m(settings: ModelSettings, radio: ReferenceRadio, environment: str) -> float:
    """The radius-table value of ``radio`` in ``environment``: its boresight reach, rounded."""
    reach = boresight_reach_m(settings, reference_cells(radio, environment))
    return float(RADIUS_ROUNDING_M * round(reach / RADIUS_ROUNDING_M))


def derived_radius_table(settings: ModelSettings) -> dict[str, dict[float, dict[str, float]]]:
    """``{tech: {band_mhz: {environment: radius_m}}}`` for every reference radio."""
    table: dict[str, dict[float, dict[str, float]]] = {}
    for radio in REFERENCE_RADIOS:
        table.setdefault(radio.tech, {})[radio.band_mhz] = {
            env: derived_radius_m(settings, radio, env) for env in ENVIRONMENTS
        }
    return table
