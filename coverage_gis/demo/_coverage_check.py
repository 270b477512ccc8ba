"""The generator's own coverage test: the toolkit's three coverage models, and the FTTH reach.

The demo promises that exactly the villages it chose as gaps lack mobile broadband
(and FTTH) under every coverage model the toolkit ships: ``radius``, ``pathloss`` and
``terrain`` (on the demo's own terrain). The site generator therefore tests its network
with those models themselves, with the shipped settings, while it builds it:

* a required receiver (a village or a commune office) counts as served only when each
  of the three models serves it with a safety margin: the radius model with radii
  shortened by :data:`COVER_RADIUS_FACTOR` and service sectors narrowed by
  :data:`COVER_SECTOR_MARGIN_DEG` on each side, the link-budget models with thresholds
  raised by :data:`COVER_LEVEL_MARGIN_DB`;
* a gap is kept clear of every cell's reach (the larger of the radius and of the
  link budget's, which bounds the terrain model's too) times
  :data:`~coverage_gis.demo.gaps.SITE_CLEARANCE_FACTOR`.

The margins absorb what differs between generation and a workspace: the province is
generated in its own UTM zone, while a multi-province workspace measures in one zone
for all (distances differ by up to ~0.1 %, bearings by up to ~1.5°).

FTTH is an on-air fiber node or ``access`` route within the reach (plain geometry).
"""

from __future__ import annotations

import dataclasses
from types import MappingProxyType

import numpy as np
import shapely
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from coverage_gis.models import PathlossModel, RadiusModel, TerrainModel, load_model_settings
from coverage_gis.models.base import (
    BROADBAND_TECHS,
    BoolArray,
    CandidatePairs,
    CellArrays,
    FloatArray,
    ReceiverArrays,
)
from coverage_gis.models.settings import BandRadii, EnvironmentRadii, ModelSettings
from coverage_gis.terrain.dem import Dem
from coverage_gis.vocabulary import TECHS

BROADBAND: tuple[str, ...] = tuple(t for t in TECHS if t in BROADBAND_TECHS)
#: The coverage models a required receiver must be served under, in this order.
CHECKED_MODELS: tuple[str, ...] = ("radius", "pathloss", "terrain")
#: A "covered" test shortens every radius by this factor…
COVER_RADIUS_FACTOR = 0.97
#: …narrows every service sector by this much on each side (degrees)…
COVER_SECTOR_MARGIN_DEG = 2.0
#: …and asks link-budget levels to clear the threshold by this much (dB).
COVER_LEVEL_MARGIN_DB = 1.0


def _scaled(table: BandRadii, factor: float) -> BandRadii:
    return BandRadii(
        table.bands_mhz,
        tuple(
            EnvironmentRadii(r.urban_m * factor, r.suburban_m * factor, r.rural_m * factor)
            for r in table.radii
        ),
    )


def _narrowed(cells: CellArrays, margin_deg: float) -> CellArrays:
    """The cells with service sectors about ``margin_deg`` narrower on each side."""
    sector = np.isfinite(cells.azimuth_deg) & (cells.beamwidth_deg < 360.0)

    def less(value: FloatArray | None) -> FloatArray | None:
        return None if value is None else np.where(sector, np.maximum(value - margin_deg, 0.0), value)

    return dataclasses.replace(
        cells,
        beamwidth_deg=np.where(
            sector, np.maximum(cells.beamwidth_deg - margin_deg, 1.0), cells.beamwidth_deg
        ),
        bisector_cw_deg=less(cells.bisector_cw_deg),
        bisector_ccw_deg=less(cells.bisector_ccw_deg),
    )


class NetworkCheck:
    """The shipped coverage models, with the demo's margins, on one province's terrain.

    Parameters
    ----------
    dem
        The province's terrain.
    metric_crs
        The CRS of the coordinates given to the checks.
    settings
        Model settings; the shipped ones when None.
    """

    def __init__(self, dem: Dem, metric_crs: str, settings: ModelSettings | None = None) -> None:
        base = settings or load_model_settings()
        self.settings = base
        strict_levels = dataclasses.replace(
            base,
            threshold_dbm=MappingProxyType(
                {t: v + COVER_LEVEL_MARGIN_DB for t, v in base.threshold_dbm.items()}
            ),
        )
        strict_radii = dataclasses.replace(
            base,
            radius_m=MappingProxyType({t: _scaled(r, COVER_RADIUS_FACTOR) for t, r in base.radius_m.items()}),
        )
        self._radius = RadiusModel(strict_radii)
        self._pathloss = PathlossModel(strict_levels)
        self._terrain = TerrainModel(strict_levels, dem, metric_crs)
        self._reach = (RadiusModel(base), PathlossModel(base))

    def reach_m(self, cells: CellArrays) -> FloatArray:
        """Per cell, the farthest any model can serve (radius, or the link budget's reach)."""
        if len(cells) == 0:
            return np.empty(0, dtype=np.float64)
        return np.asarray(np.maximum(*(m.max_range_m(cells) for m in self._reach)), dtype=np.float64)

    def served(self, x_m: FloatArray, y_m: FloatArray, cells: CellArrays) -> NDArray[np.bool_]:
        """``(len(CHECKED_MODELS), n)``: which receivers each model serves, with the margins."""
        n = int(np.asarray(x_m).size)
        out = np.zeros((len(CHECKED_MODELS), n), dtype=bool)
        if n == 0 or len(cells) == 0:
            return out
        receivers = ReceiverArrays(np.asarray(x_m, dtype=np.float64), np.asarray(y_m, dtype=np.float64))
        for k, pairs in enumerate(self._pairs(receivers, cells)):
            out[k, pairs.receiver[pairs.served]] = True
        return out

    def serving_cells(self, x_m: float, y_m: float, cells: CellArrays) -> NDArray[np.bool_]:
        """``(len(CHECKED_MODELS), len(cells))``: which cells serve the point ``(x_m, y_m)``, per model."""
        out = np.zeros((len(CHECKED_MODELS), len(cells)), dtype=bool)
        if len(cells) == 0:
            return out
        receiver = ReceiverArrays(np.array([x_m], dtype=np.float64), np.array([y_m], dtype=np.float64))
        for k, pairs in enumerate(self._pairs(receiver, cells)):
            out[k, pairs.cell[pairs.served]] = True
        return out

    def _pairs(self, receivers: ReceiverArrays, cells: CellArrays) -> list[CandidatePairs]:
        narrow = _narrowed(cells, COVER_SECTOR_MARGIN_DEG)
        return [
            self._radius.candidate_pairs(receivers, narrow, keep_unserved=False),
            self._pathloss.candidate_pairs(receivers, cells, keep_unserved=False),
            self._terrain.candidate_pairs(receivers, cells, keep_unserved=False),
        ]


def any_within(rx: FloatArray, ry: FloatArray, px: FloatArray, py: FloatArray, reach_m: float) -> BoolArray:
    """Whether some point (px, py) lies within ``reach_m`` of each receiver."""
    if np.asarray(rx).size == 0 or np.asarray(px).size == 0:
        return np.zeros(np.asarray(rx).shape, dtype=bool)
    dist, _ = cKDTree(np.column_stack([px, py])).query(np.column_stack([rx, ry]), k=1)
    return np.asarray(dist <= reach_m, dtype=np.bool_)


def nearest_distance(rx: FloatArray, ry: FloatArray, px: FloatArray, py: FloatArray) -> FloatArray:
    """Distance from each receiver to the nearest point (inf when there is none)."""
    if np.asarray(px).size == 0:
        return np.full(np.asarray(rx).shape, np.inf)
    dist, _ = cKDTree(np.column_stack([px, py])).query(np.column_stack([rx, ry]), k=1)
    return np.asarray(dist, dtype=np.float64)


def near_lines(rx: FloatArray, ry: FloatArray, lines: NDArray[np.object_], reach_m: float) -> BoolArray:
    """Whether some line (metric CRS) passes within ``reach_m`` of each receiver."""
    out = np.zeros(np.asarray(rx).shape, dtype=bool)
    if out.size == 0 or len(lines) == 0:
        return out
    hit, _ = shapely.STRtree(lines).query(shapely.points(rx, ry), predicate="dwithin", distance=reach_m)
    out[hit] = True
    return out


def lines_near(lines: NDArray[np.object_], px: FloatArray, py: FloatArray, reach_m: float) -> BoolArray:
    """Whether each line passes within ``reach_m`` of some point."""
    out = np.zeros(len(lines), dtype=bool)
    if len(lines) == 0 or np.asarray(px).size == 0:
        return out
    _, hit = shapely.STRtree(lines).query(shapely.points(px, py), predicate="dwithin", distance=reach_m)
    out[hit] = True
    return out
