"""Coordinate reference systems: storage CRS, the metric CRS of a workspace, transforms.

Storage and the API use EPSG:4326 (lon, lat). Every distance or area is computed
in a metric CRS chosen per workspace: UTM 48N (EPSG:32648) west of 108°E, UTM 49N
(EPSG:32649) east of it, or VN-2000 when configured. How far a CRS stretches distances
over an area is measured (:func:`scale_error_ppm`), so that a workspace whose UTM zone
stretches them can be pointed at the VN-2000 zone that does not (:func:`least_stretching_crs`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from functools import cache

import numpy as np
import pyproj
from numpy.typing import NDArray

from coverage_gis.errors import LayerValidationError

STORAGE_CRS = "EPSG:4326"
#: A lon/lat box: (west, south, east, north).
BBox = tuple[float, float, float, float]
UTM_48N = "EPSG:32648"
UTM_49N = "EPSG:32649"
#: Longitude that splits UTM zones 48 and 49.
UTM_SPLIT_LON = 108.0


def union_bounds(boxes: Iterable[Sequence[float] | NDArray[np.float64]]) -> BBox | None:
    """The box around every finite box of ``boxes`` (None when there is none)."""
    finite = [b for b in boxes if len(b) == 4 and all(math.isfinite(float(v)) for v in b)]
    if not finite:
        return None
    return (
        float(min(b[0] for b in finite)),
        float(min(b[1] for b in finite)),
        float(max(b[2] for b in finite)),
        float(max(b[3] for b in finite)),
    )


def metric_crs_for_lon(lon: float) -> str:
    """The UTM zone (48N/49N) for a representative longitude (e.g. the data's centre)."""
    return UTM_48N if lon < UTM_SPLIT_LON else UTM_49N


#: Above this scale error (parts per million) a metric CRS is said to stretch distances
#: (500 ppm: 0.25 m in a 500 m FTTH reach); a UTM zone reaches 900 ppm at its edge in Vietnam.
SCALE_ERROR_NOTED_PPM = 500.0


def scale_error_ppm(crs: str, bounds: Sequence[float], *, steps: int = 9) -> float:
    """The largest scale error of ``crs`` (parts per million, either sign) over a lon/lat box.

    The point scale factor (PROJ's meridional scale; a conformal projection's is the same
    in every direction) on a ``steps`` × ``steps`` grid over ``bounds`` (west, south, east,
    north): a distance measured in ``crs`` there is off by up to this many millionths.
    """
    west, south, east, north = (float(v) for v in bounds)
    lon, lat = np.meshgrid(np.linspace(west, east, steps), np.linspace(south, north, steps))
    factors = pyproj.Proj(crs).get_factors(lon.ravel(), lat.ravel())
    k = np.asarray(factors.meridional_scale, dtype=np.float64)
    return float(np.max(np.abs(k - 1.0)) * 1e6)


@cache
def vn2000_zones() -> tuple[str, ...]:
    """The VN-2000 transverse Mercator 3° zones (the provinces' own CRSs) in the EPSG database."""
    infos = pyproj.database.query_crs_info(auth_name="EPSG", pj_types=pyproj.enums.PJType.PROJECTED_CRS)
    return tuple(sorted({f"EPSG:{i.code}" for i in infos if i.name.startswith("VN-2000 / TM-3")}))


def least_stretching_crs(bounds: Sequence[float], candidates: Iterable[str]) -> tuple[str, float]:
    """Of ``candidates``, the CRS whose :func:`scale_error_ppm` over ``bounds`` is least, with it."""
    errors = {crs: scale_error_ppm(crs, bounds) for crs in candidates}
    best = min(errors, key=lambda crs: (errors[crs], crs))
    return best, errors[best]


def check_metric_crs(crs: str) -> str:
    """Return ``crs`` if it is a projected CRS in metres, else raise."""
    try:
        parsed = pyproj.CRS.from_user_input(crs)
    except pyproj.exceptions.CRSError as exc:
        raise LayerValidationError(f"unknown CRS {crs!r}: {exc}", field="metric_crs") from None
    units = {axis.unit_name for axis in parsed.axis_info}
    if not parsed.is_projected or units != {"metre"}:
        raise LayerValidationError(f"{crs!r} is not a projected CRS in metres", field="metric_crs")
    return crs


@cache
def _transformer(src: str, dst: str) -> pyproj.Transformer:
    return pyproj.Transformer.from_crs(src, dst, always_xy=True)


#: How PROJ spells a pipeline that turns degrees into radians and then takes one step.
_DEGREES_THEN = "proj=pipeline step proj=unitconvert xy_in=deg xy_out=rad step "


@cache
def _from_lonlat(dst: str) -> pyproj.Transformer:
    """The transformer from EPSG:4326 to ``dst``, one step shorter where it can be.

    When PROJ's pipeline only converts degrees to radians before its one operation (a
    projection of the same datum: UTM, the usual metric CRS), that operation alone is
    built from the very string PROJ built it from, and fed degrees: pyproj turns them
    into radians itself, by the same multiplication, so the coordinates are the same
    bits, at a tenth less of the time per point (no pipeline step between them).
    """
    full = _transformer(STORAGE_CRS, dst)
    step = full.definition.removeprefix(_DEGREES_THEN)
    # (A step of its own flags, ``inv`` or ``omit_fwd``, stays in its pipeline.)
    if step == full.definition or not step.startswith("proj=") or " step " in f" {step} ":
        return full
    return pyproj.Transformer.from_pipeline(step)


def lonlat_to_metric(
    lon: NDArray[np.float64], lat: NDArray[np.float64], metric_crs: str
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Vectorised EPSG:4326 → metric CRS."""
    x, y = _from_lonlat(metric_crs).transform(np.asarray(lon), np.asarray(lat))
    return np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)


def metric_to_lonlat(
    x_m: NDArray[np.float64], y_m: NDArray[np.float64], metric_crs: str
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Vectorised metric CRS → EPSG:4326."""
    lon, lat = _transformer(metric_crs, STORAGE_CRS).transform(np.asarray(x_m), np.asarray(y_m))
    return np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)
