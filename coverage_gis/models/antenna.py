"""Sector antenna geometry and gain pattern (3GPP TR 36.814 / TR 38.901 style).

This module owns the angular side of a link: bearings (0° = north, clockwise, with
x east and y north in the metric CRS), the angle between a receiver's direction and a
cell's azimuth (wrapped, so azimuth 350° and a target at 10° are 20° apart), the
*service sector* of a sector cell and the membership test of the radius model, and the
relative gain pattern of the path-loss models:

* horizontal ``A_H(φ) = -min(12 (φ/φ_3dB)², A_m)``,
* vertical ``A_V(θ) = -min(12 ((θ - θ_tilt)/θ_3dB)², SLA_v)``,
* combined ``A = -min(-(A_H + A_V), A_m)``.

Gains are relative to boresight (always ≤ 0 dB): the cell's EIRP already contains the
antenna's maximum gain. An omni cell (NaN azimuth, or a beamwidth that is NaN or at
least 360°) has 0 dB in every direction and serves all around.

The service sector (:func:`sector_bisectors`, :func:`service_sectors`) is where a sector cell serves under the
radius model, which has no levels to compare: a sector serves out to the bisectors with
its neighbouring sectors of the same site and layer (operator, technology, band), so a
three-sector site at 0/120/240° serves ±60° around each azimuth and covers the disc,
whatever the 3-dB beamwidth. On a side without a neighbour, or where the neighbour is
far, the sector ends where its horizontal pattern has fallen by ``sector_edge_db``
(12 dB by default: one beamwidth off boresight, ±65° for a 65° beam). The link-budget
models use no wedge: the pattern decides.

Per-pair work runs on :class:`SectorVectors`, each cell's boresight as a unit vector
computed once: the angle to a receiver is then ``atan2(cross, dot)`` and the sector
test ``dot ≥ d · cos(beamwidth/2)``, with no per-pair trigonometry of the azimuth and
no modulo, which matters over millions of pairs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from numpy.typing import ArrayLike

from coverage_gis.models.base import BoolArray, CellArrays, FloatArray, IntArray

#: Tolerance of the beam-edge test, as a fraction of the distance in the
#: ``dot ≥ d cos(half beam)`` form (≈ 1e-10 rad of angle): the trigonometry rounds, and
#: a receiver placed geometrically on the edge of a sector must count as inside.
BEAM_EDGE_TOLERANCE = 1e-10


def _f64(value: ArrayLike) -> FloatArray:
    return np.asarray(value, dtype=np.float64)


def bearing_deg(dx_m: ArrayLike, dy_m: ArrayLike) -> FloatArray:
    """Bearing of the vector (dx, dy) in degrees, 0 = north, clockwise, in [0, 360).

    Parameters
    ----------
    dx_m, dy_m
        East and north components in metres (x east, y north).
    """
    # atan2(east, north) measures clockwise from north, which is what azimuths mean.
    out = np.degrees(np.arctan2(_f64(dx_m), _f64(dy_m)))
    return mod_360(out)


def mod_360(angle_deg: ArrayLike) -> FloatArray:
    """``numpy.mod(angle_deg, 360)``, bit for bit, at a fraction of its cost.

    A float modulo costs ten comparisons and most angles lie in [0, 360) already, where
    the modulo keeps them: only the others take it. Adding 0.0 turns -0.0 into the +0.0
    the modulo gives and keeps every other value (NaN included) as it is.
    """
    out = np.array(angle_deg, dtype=np.float64)
    out += 0.0
    outside = (out < 0.0) | (out >= 360.0)
    if outside.any():
        out[outside] = np.mod(out[outside], 360.0)
    return out


def angle_offset_deg(bearing: ArrayLike, azimuth: ArrayLike) -> FloatArray:
    """Signed angle from ``azimuth`` to ``bearing``, wrapped to [-180, 180) degrees."""
    diff = _f64(bearing) - _f64(azimuth)
    return np.asarray(mod_360(diff + 180.0) - 180.0, dtype=np.float64)


def is_omni(azimuth_deg: ArrayLike, beamwidth_deg: ArrayLike) -> BoolArray:
    """True where a cell radiates in all directions (NaN azimuth or beamwidth ≥ 360°)."""
    az = _f64(azimuth_deg)
    bw = _f64(beamwidth_deg)
    # A sector with no beamwidth on record cannot be restricted; treating it as omni
    # keeps it from hiding coverage (the cells layer defaults beamwidth to 65° anyway).
    return np.asarray(np.isnan(az) | np.isnan(bw) | (bw >= 360.0), dtype=np.bool_)


@dataclass(frozen=True)
class SectorVectors:
    """Each cell's boresight as a unit vector and its half-beam cosine.

    Attributes
    ----------
    east, north
        ``sin(azimuth)``, ``cos(azimuth)`` (0 for omni cells).
    omni
        Omni cells.
    beamwidth_deg
        The cells' beamwidths, as given (:attr:`cos_half_beam` reads them).
    """

    east: FloatArray
    north: FloatArray
    omni: BoolArray
    beamwidth_deg: FloatArray

    @classmethod
    def from_cells(cls, azimuth_deg: ArrayLike, beamwidth_deg: ArrayLike) -> SectorVectors:
        """Precompute the vectors of cells with these azimuths and beamwidths."""
        omni = is_omni(azimuth_deg, beamwidth_deg)
        az = np.radians(np.where(omni, 0.0, _f64(azimuth_deg)))
        # sin(0) is 0: omni cells' east needs no np.where.
        east = np.sin(az)
        north = np.where(omni, 0.0, np.cos(az))
        return cls(
            east=np.asarray(east, dtype=np.float64),
            north=np.asarray(north, dtype=np.float64),
            omni=omni,
            beamwidth_deg=_f64(beamwidth_deg),
        )

    def take(self, index: IntArray) -> SectorVectors:
        """The vectors of the cells at ``index`` (the half-beam cosines too, once computed)."""
        part = SectorVectors(self.east[index], self.north[index], self.omni[index], self.beamwidth_deg[index])
        held = self.__dict__.get("cos_half_beam")
        if held is not None:
            part.__dict__["cos_half_beam"] = held[index]
        return part

    @cached_property
    def cos_half_beam(self) -> FloatArray:
        """``cos(beamwidth / 2)`` less :data:`BEAM_EDGE_TOLERANCE`; -2 for omni cells so every
        direction passes. Computed on first use: the link budget reads only the boresight."""
        half = np.radians(0.5 * np.where(self.omni, 360.0, self.beamwidth_deg))
        return np.asarray(np.where(self.omni, -2.0, np.cos(half) - BEAM_EDGE_TOLERANCE), dtype=np.float64)

    def contains(
        self, dx_m: FloatArray, dy_m: FloatArray, distance_m: FloatArray, cell_index: IntArray
    ) -> BoolArray:
        """Whether each receiver (offset dx, dy at ``distance_m``) is in its cell's beam.

        ``|angle| ≤ beamwidth/2`` is ``cos(angle) ≥ cos(beamwidth/2)``, i.e.
        ``dot ≥ d · cos(beamwidth/2)``; at distance 0 both sides are 0, so a receiver on
        the site is inside, and omni cells pass everywhere.
        """
        dot = dx_m * self.east[cell_index] + dy_m * self.north[cell_index]
        return np.asarray(dot >= distance_m * self.cos_half_beam[cell_index], dtype=np.bool_)

    def offset_deg(self, dx_m: FloatArray, dy_m: FloatArray, cell_index: IntArray) -> FloatArray:
        """Unsigned angle between each cell's boresight and its receiver, degrees."""
        from coverage_gis.models._level import boresight_dot_cross

        dot, cross = boresight_dot_cross(cell_index, dx_m, dy_m, self.east, self.north)
        return np.asarray(np.degrees(np.abs(np.arctan2(cross, dot))), dtype=np.float64)


def edge_offset_deg(beamwidth_deg: ArrayLike, edge_db: float) -> FloatArray:
    """Angle off boresight where ``A_H`` reaches ``-edge_db``: ``φ_3dB · sqrt(edge / 12)``, at most 180°."""
    return np.asarray(np.minimum(_f64(beamwidth_deg) * math.sqrt(edge_db / 12.0), 180.0), dtype=np.float64)


def sector_bisectors(
    layer: ArrayLike, azimuth_deg: ArrayLike, beamwidth_deg: ArrayLike
) -> tuple[FloatArray, FloatArray]:
    """Angle from each sector's azimuth to the bisector with its neighbour on either side, degrees.

    Within a layer (cells with the same ``layer`` value: one site, operator, technology
    and band) the sector cells are ordered by azimuth; the bisector with the next sector
    clockwise lies half the angle between them away. Sectors at the same azimuth (two
    carriers) count as one position; a lone sector gets 180° on both sides.

    Parameters
    ----------
    layer
        Any sortable value per cell naming its site and layer.
    azimuth_deg, beamwidth_deg
        The cells' azimuths (NaN = omni) and horizontal beamwidths.

    Returns
    -------
    clockwise_deg, counter_clockwise_deg
        NaN for omni cells.
    """
    az = _f64(azimuth_deg)
    # np.mod only where it changes a value (a float modulo costs ten comparisons).
    outside = (az < 0.0) | (az >= 360.0)
    if outside.any():
        az = az.copy()
        az[outside] = np.mod(az[outside], 360.0)
    bw = _f64(beamwidth_deg)
    cw = np.full(az.shape, np.nan)
    ccw = np.full(az.shape, np.nan)
    from coverage_gis.models._bisectors import sector_keys, sorted_bisectors

    # Per sector cell (omni cells have no bisectors): one int64 key, its layer as a dense
    # id above its azimuth in micro-degrees (azimuths are compared rounded to 1e-6°:
    # np.round(az, 6) is rint(az · 1e6) / 1e6, and below 2^29 µ°), so that a stable sort
    # (near-linear on cells listed site by site) orders them by layer, then azimuth.
    key, cell = sector_keys(_dense_ids(np.asarray(layer)), az, bw, _AZIMUTH_BITS)
    if cell.size:
        order = np.argsort(key, kind="stable")
        sorted_bisectors(key[order], cell[order], _AZIMUTH_BITS, cw, ccw)
    return cw, ccw


#: Bits of the azimuth (micro-degrees, below 360e6 < 2^29) in :func:`sector_bisectors`' sort key.
_AZIMUTH_BITS = 29


def _dense_ids(layer: np.ndarray) -> IntArray:
    """Non-negative int64 ids below ``2^34``, equal exactly where ``layer`` is (integers of a
    small range as they are, less their minimum; other values numbered by sorting)."""
    if np.issubdtype(layer.dtype, np.integer) and layer.size:
        low, high = int(layer.min()), int(layer.max())
        if high - low < 1 << 34:
            # Less the minimum in the layer's own type (an unsigned id may not fit an int64).
            return np.asarray((layer - layer.min()).astype(np.int64), dtype=np.int64)
    _, inverse = np.unique(layer, return_inverse=True)
    return np.asarray(inverse.ravel(), dtype=np.int64)


def service_sectors(
    azimuth_deg: ArrayLike,
    beamwidth_deg: ArrayLike,
    bisector_cw_deg: ArrayLike,
    bisector_ccw_deg: ArrayLike,
    *,
    edge_db: float,
) -> tuple[FloatArray, FloatArray]:
    """Each cell's service sector: its centre bearing and half-width, degrees.

    A sector serves, on either side, to the bisector with its neighbour
    (:func:`sector_bisectors`), but never beyond the angle where its pattern is
    ``edge_db`` down (:func:`edge_offset_deg`). A lone sector therefore serves
    ``±φ_3dB · sqrt(edge / 12)``; three sectors at 0/120/240° serve ±60° each whatever
    their beamwidth (if it is at least 60° at 12 dB); an uneven layout gives off-centre
    sectors: azimuths 0/100/240° give the first cell the bearings −60…+50°, i.e. centre
    −5°, half-width 55°.

    Returns
    -------
    centre_deg, half_width_deg
        NaN and 180° for omni cells.
    """
    az = _f64(azimuth_deg)
    bw = _f64(beamwidth_deg)
    omni = is_omni(az, bw)
    cap = edge_offset_deg(np.where(omni, 0.0, bw), edge_db)
    right = np.minimum(np.nan_to_num(_f64(bisector_cw_deg), nan=180.0), cap)
    left = np.minimum(np.nan_to_num(_f64(bisector_ccw_deg), nan=180.0), cap)
    centre = np.where(omni, np.nan, mod_360(az + (right - left) / 2.0))
    half = np.where(omni, 180.0, (right + left) / 2.0)
    return np.asarray(centre, dtype=np.float64), np.asarray(half, dtype=np.float64)


def cell_service_sectors(cells: CellArrays, *, edge_db: float) -> tuple[FloatArray, FloatArray]:
    """The cells' service sectors (centre, half-width), from their bisectors (lone sectors when None)."""
    lone = np.full(len(cells), 180.0)
    cw = lone if cells.bisector_cw_deg is None else cells.bisector_cw_deg
    ccw = lone if cells.bisector_ccw_deg is None else cells.bisector_ccw_deg
    return service_sectors(cells.azimuth_deg, cells.beamwidth_deg, cw, ccw, edge_db=edge_db)


def in_sector(
    dx_m: ArrayLike,
    dy_m: ArrayLike,
    azimuth_deg: ArrayLike,
    beamwidth_deg: ArrayLike,
) -> BoolArray:
    """Whether a receiver at offset (dx, dy) from the site lies in the cell's sector.

    Inside when the cell is omni, when the receiver sits on the site (distance 0, no
    bearing), or when ``|bearing - azimuth| ≤ beamwidth / 2`` after wrapping; the beam
    edge itself is inside. Element-wise over broadcast inputs.
    """
    dx, dy, az, bw = np.broadcast_arrays(_f64(dx_m), _f64(dy_m), _f64(azimuth_deg), _f64(beamwidth_deg))
    flat = SectorVectors.from_cells(az.ravel(), bw.ravel())
    index = np.arange(az.size, dtype=np.int64)
    inside = flat.contains(dx.ravel(), dy.ravel(), np.hypot(dx.ravel(), dy.ravel()), index).reshape(az.shape)
    return np.asarray(inside, dtype=np.bool_)


def horizontal_gain_db(
    offset_deg: ArrayLike,
    beamwidth_deg: ArrayLike,
    *,
    max_attenuation_db: float = 25.0,
) -> FloatArray:
    """Horizontal pattern ``A_H(φ) = -min(12 (φ/φ_3dB)², A_m)``, dB (≤ 0).

    Parameters
    ----------
    offset_deg
        Angle from boresight, degrees (any sign; see :func:`angle_offset_deg`).
    beamwidth_deg
        Half-power beamwidth ``φ_3dB``, degrees.
    max_attenuation_db
        ``A_m``, the front-to-back ratio.
    """
    ratio = _f64(offset_deg) / _f64(beamwidth_deg)
    return np.asarray(-np.minimum(12.0 * ratio * ratio, max_attenuation_db), dtype=np.float64)


def vertical_gain_db(
    elevation_deg: ArrayLike,
    tilt_deg: ArrayLike,
    *,
    beamwidth_deg: float = 10.0,
    side_lobe_db: float = 20.0,
) -> FloatArray:
    """Vertical pattern ``A_V(θ) = -min(12 ((θ - θ_tilt)/θ_3dB)², SLA_v)``, dB (≤ 0).

    Parameters
    ----------
    elevation_deg
        Angle of the receiver below the antenna's horizontal, degrees (positive
        downwards, the sign convention of electrical tilt).
    tilt_deg
        Downtilt, degrees (NaN is read as 0°).
    beamwidth_deg
        Vertical half-power beamwidth ``θ_3dB``.
    side_lobe_db
        ``SLA_v``, the cap of the vertical attenuation.
    """
    tilt = np.nan_to_num(_f64(tilt_deg), nan=0.0)
    ratio = (_f64(elevation_deg) - tilt) / beamwidth_deg
    return np.asarray(-np.minimum(12.0 * ratio * ratio, side_lobe_db), dtype=np.float64)


def pattern_gain_db(
    offset_deg: ArrayLike,
    beamwidth_deg: ArrayLike,
    *,
    omni: ArrayLike,
    elevation_deg: ArrayLike | None = None,
    tilt_deg: ArrayLike | None = None,
    max_attenuation_db: float = 25.0,
    vertical_beamwidth_deg: float = 10.0,
    vertical_side_lobe_db: float = 20.0,
) -> FloatArray:
    """Combined pattern ``A = -min(-(A_H + A_V), A_m)`` from the angle off boresight, dB.

    The vertical term is used only when ``elevation_deg`` is given; ``omni`` elements
    get 0 dB. See :func:`antenna_gain_db` for the parameters.
    """
    gain = horizontal_gain_db(offset_deg, beamwidth_deg, max_attenuation_db=max_attenuation_db)
    if elevation_deg is not None:
        gain = gain + vertical_gain_db(
            elevation_deg,
            0.0 if tilt_deg is None else tilt_deg,
            beamwidth_deg=vertical_beamwidth_deg,
            side_lobe_db=vertical_side_lobe_db,
        )
    gain = np.maximum(gain, -max_attenuation_db)
    return np.asarray(np.where(omni, 0.0, gain), dtype=np.float64)


def antenna_gain_db(
    bearing: ArrayLike,
    azimuth_deg: ArrayLike,
    beamwidth_deg: ArrayLike,
    *,
    elevation_deg: ArrayLike | None = None,
    tilt_deg: ArrayLike | None = None,
    max_attenuation_db: float = 25.0,
    vertical_beamwidth_deg: float = 10.0,
    vertical_side_lobe_db: float = 20.0,
) -> FloatArray:
    """Relative gain of a cell's antenna toward a receiver, dB (≤ 0; 0 for omni cells).

    Parameters
    ----------
    bearing
        Bearing from the site to the receiver, degrees (0 = north, clockwise).
    azimuth_deg, beamwidth_deg
        The cell's boresight and horizontal half-power beamwidth; NaN azimuth = omni.
    elevation_deg
        Receiver depression angle below the antenna's horizontal, degrees; None
        leaves the vertical pattern out.
    tilt_deg
        Electrical downtilt, degrees (NaN or None = 0°).
    max_attenuation_db, vertical_beamwidth_deg, vertical_side_lobe_db
        ``A_m``, ``θ_3dB`` and ``SLA_v``.
    """
    return pattern_gain_db(
        angle_offset_deg(bearing, azimuth_deg),
        beamwidth_deg,
        omni=is_omni(azimuth_deg, beamwidth_deg),
        elevation_deg=elevation_deg,
        tilt_deg=tilt_deg,
        max_attenuation_db=max_attenuation_db,
        vertical_beamwidth_deg=vertical_beamwidth_deg,
        vertical_side_lobe_db=vertical_side_lobe_db,
    )
