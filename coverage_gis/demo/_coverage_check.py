"""The generator's own coverage test: the radius rule and the FTTH reach, on arrays.

The demo promises that, under the default ``radius`` model, exactly the villages it
chose as gaps lack mobile broadband or FTTH. To keep that promise the generators test
their network with the same rule while they build it: a receiver is served by a cell
when its distance is at most the nominal radius of the cell's technology and clutter
class (read from the shipped ``layers/coverage_models.yaml``) and it lies inside the
sector (``|bearing - azimuth| ≤ beamwidth / 2``, omni cells everywhere). FTTH is an
on-air fiber node or ``access`` route within the reach.

``radius_factor`` and ``beam_margin_deg`` let callers demand a safety margin: the
province is generated in its own UTM zone, while a multi-province workspace measures
in one zone for all, and distances differ by up to ~0.1 % between zones.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import shapely
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from coverage_gis.models.base import BROADBAND_TECHS, BoolArray, FloatArray
from coverage_gis.vocabulary import ENVIRONMENTS, TECHS

BROADBAND: tuple[str, ...] = tuple(t for t in TECHS if t in BROADBAND_TECHS)
#: Within this distance of a mast a sector's bearing test is not trusted (see served()).
NEAR_MAST_M = 1.0


@dataclass(frozen=True)
class RadiusTable:
    """Nominal service radius per (tech, environment), metres."""

    radius_m: dict[tuple[str, str], float]

    def radius(self, tech: NDArray[np.str_], environment: NDArray[np.str_]) -> FloatArray:
        """Radius of each (tech, environment) pair."""
        tech = np.asarray(tech, dtype=str)
        environment = np.asarray(environment, dtype=str)
        out = np.full(tech.shape, np.nan)
        for (t, e), r in self.radius_m.items():
            out[(tech == t) & (environment == e)] = r
        return out

    def get(self, tech: str, environment: str) -> float:
        return self.radius_m[(tech, environment)]

    @property
    def max_broadband_m(self) -> float:
        """The longest radius of any broadband technology."""
        return max(r for (t, _), r in self.radius_m.items() if t in BROADBAND)

    @property
    def max_any_m(self) -> float:
        """The longest radius of any technology (2G included)."""
        return max(self.radius_m.values())


@cache
def radius_table() -> RadiusTable:
    """The radii of the shipped coverage-model settings."""
    from coverage_gis.models import load_model_settings

    settings = load_model_settings()
    return RadiusTable(
        {(t, e): float(settings.radius_m[t].for_environment(e)) for t in TECHS for e in ENVIRONMENTS}
    )


@dataclass(frozen=True)
class Radiators:
    """Cells reduced to what the radius rule reads (metric CRS, NaN azimuth = omni)."""

    x_m: FloatArray
    y_m: FloatArray
    radius_m: FloatArray
    azimuth_deg: FloatArray
    beamwidth_deg: FloatArray

    def __len__(self) -> int:
        return int(self.x_m.shape[0])


def served(
    rx: FloatArray,
    ry: FloatArray,
    cells: Radiators,
    *,
    radius_factor: float = 1.0,
    beam_margin_deg: float = 0.0,
    ignore_sectors: bool = False,
) -> BoolArray:
    """Which receivers some cell serves.

    Parameters
    ----------
    rx, ry
        Receivers in the metric CRS.
    cells
        The cells that count (already filtered to on-air broadband, or whatever the
        caller is testing).
    radius_factor
        Scales every radius: < 1 demands a margin for "covered", > 1 for "not covered".
    beam_margin_deg
        Narrows each sector by this much on each side (negative: widens it).
    ignore_sectors
        Treat every cell as omni (the conservative test for "surely not covered").
    """
    out = np.zeros(np.asarray(rx).shape, dtype=bool)
    if out.size == 0 or len(cells) == 0:
        return out
    receivers = cKDTree(np.column_stack([rx, ry]))
    radius = cells.radius_m * radius_factor
    for r in np.unique(radius[np.isfinite(radius)]):
        group = np.flatnonzero(radius == r)
        tree = cKDTree(np.column_stack([cells.x_m[group], cells.y_m[group]]))
        pairs = tree.sparse_distance_matrix(receivers, float(r), output_type="ndarray")
        if pairs.size == 0:
            continue
        cell = group[pairs["i"]]
        recv = pairs["j"].astype(np.int64)
        dist = pairs["v"]
        ok = np.ones(cell.size, dtype=bool)
        if not ignore_sectors:
            az = cells.azimuth_deg[cell]
            bw = cells.beamwidth_deg[cell]
            sector = np.isfinite(az) & np.isfinite(bw) & (bw < 360.0)
            bearing = np.degrees(np.arctan2(rx[recv] - cells.x_m[cell], ry[recv] - cells.y_m[cell]))
            offset = np.abs(np.mod(bearing - az + 180.0, 360.0) - 180.0)
            # Right at the mast the bearing is noise (a lon/lat round trip moves a point by
            # nanometres), so lean to the cautious side: a "covered" test (margin >= 0)
            # does not count a sector there, a "surely not covered" test (negative
            # margin, wider beams) does.
            near_mast = dist < NEAR_MAST_M
            in_beam = offset <= 0.5 * bw - beam_margin_deg
            if beam_margin_deg >= 0:
                in_beam &= ~near_mast
            else:
                in_beam |= near_mast
            ok = ~sector | in_beam
        out[recv[ok]] = True
    return out


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
