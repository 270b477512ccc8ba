"""The projection to the metric CRS (``coverage_gis.crs``) against pyproj's own transformer."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pyproj
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coverage_gis.boundaries import load_communes
from coverage_gis.cli import main
from coverage_gis.coverage import coverage_from_layers
from coverage_gis.crs import (
    STORAGE_CRS,
    UTM_48N,
    UTM_49N,
    _from_lonlat,
    least_stretching_crs,
    lonlat_to_metric,
    scale_error_ppm,
    vn2000_zones,
)
from coverage_gis.models import create_model

from .conftest import tiny_layers

#: Projections of WGS 84 or another datum (one step after degrees to radians: UTM north
#: and south, parameters PROJ prints rounded), and CRSs whose pipeline takes more steps.
_CRSS = [UTM_48N, UTM_49N, "EPSG:32748", "EPSG:3857", "EPSG:2154", "EPSG:32148", "EPSG:3405", "EPSG:2056"]
#: Points pyproj treats apart: missing, infinite, beyond a pole, far from the zone, signed zeros.
_ODD = [
    (math.nan, 10.0),
    (105.0, math.nan),
    (math.inf, 10.0),
    (-math.inf, -math.inf),
    (105.0, 90.0),
    (105.0, -90.0),
    (105.0, 90.0000001),
    (500.0, 10.0),
    (-180.0, 0.0),
    (180.0, 0.0),
    (-0.0, -0.0),
    (5e-324, 5e-324),
    (1e300, 1e300),
]


def _reference(lon: np.ndarray, lat: np.ndarray, crs: str) -> tuple[np.ndarray, np.ndarray]:
    """The transform of pyproj's transformer between the two CRSs (its whole pipeline)."""
    x, y = pyproj.Transformer.from_crs(STORAGE_CRS, crs, always_xy=True).transform(lon, lat)
    return np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)


def _same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    return a.shape == b.shape and bool(np.array_equal(a.view(np.int64), b.view(np.int64)))


@pytest.mark.parametrize("crs", _CRSS)
def test_lonlat_to_metric_is_the_pipeline_bit_for_bit(crs: str) -> None:
    rng = np.random.default_rng(7)
    lon = np.concatenate([rng.uniform(95, 115, 20_000), rng.uniform(-400, 400, 5_000), [p[0] for p in _ODD]])
    lat = np.concatenate([rng.uniform(5, 25, 20_000), rng.uniform(-100, 100, 5_000), [p[1] for p in _ODD]])
    given_lon, given_lat = lon.copy(), lat.copy()
    x, y = lonlat_to_metric(lon, lat, crs)
    want_x, want_y = _reference(lon, lat, crs)
    assert _same_bits(x, want_x)
    assert _same_bits(y, want_y)
    # The inputs are not written to (pyproj converts a copy to radians).
    assert _same_bits(lon, given_lon)
    assert _same_bits(lat, given_lat)


def test_one_step_pipelines_skip_the_unit_conversion() -> None:
    assert _from_lonlat(UTM_48N).definition == "proj=utm zone=48 ellps=WGS84"
    # A datum shift keeps its pipeline.
    assert " step " in _from_lonlat("EPSG:2056").definition


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.floats(allow_nan=True, allow_infinity=True, width=64),
            st.floats(allow_nan=True, allow_infinity=True, width=64),
        ),
        min_size=1,
        max_size=20,
    ),
    st.sampled_from([UTM_48N, UTM_49N, "EPSG:32148"]),
)
def test_lonlat_to_metric_matches_any_coordinates(points: list[tuple[float, float]], crs: str) -> None:
    lon = np.array([p[0] for p in points], dtype=np.float64)
    lat = np.array([p[1] for p in points], dtype=np.float64)
    x, y = lonlat_to_metric(lon, lat, crs)
    want_x, want_y = _reference(lon, lat, crs)
    assert _same_bits(x, want_x)
    assert _same_bits(y, want_y)


def test_a_utm_zone_stretches_quang_nam_and_its_vn2000_zone_does_not() -> None:
    """Quảng Nam straddles 108°E: UTM 48N reads 500 m as 500.8 m at its east coast."""
    bounds = load_communes(["49"]).total_bounds.tolist()
    assert scale_error_ppm(UTM_48N, bounds) > 1_500
    assert scale_error_ppm(UTM_49N, bounds) > 1_500
    best, ppm = least_stretching_crs(bounds, vn2000_zones())
    assert best in vn2000_zones()
    assert ppm < 150  # the zone's own 0.9999 scale at its meridian is 100 ppm
    # On the zone's meridian only that scale is left.
    assert scale_error_ppm("EPSG:9217", (108.25, 15.0, 108.25, 15.0)) == pytest.approx(100, abs=1)


def test_coverage_is_the_same_in_a_vn2000_zone() -> None:
    """The pipeline runs in a VN-2000 CRS (a datum shift from WGS 84) with the same answers."""
    utm = coverage_from_layers(tiny_layers(), metric_crs=UTM_49N, model=create_model("radius"))
    vn2000 = coverage_from_layers(tiny_layers(), metric_crs="EPSG:9217", model=create_model("radius"))
    columns = ["village_id", "mobile_bb", "ftth", "best_tech"]
    pd.testing.assert_frame_equal(utm[columns], vn2000[columns])
    assert vn2000["ftth"].tolist() == [True, False, True]


def test_init_says_when_its_utm_zone_stretches_distances(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["init", str(tmp_path / "qn"), "--province", "Quảng Nam"]) == 0
    err = capsys.readouterr().err
    assert "note: the metric CRS EPSG:32648 stretches distances by up to 1602 ppm" in err
    assert "init again with --metric-crs EPSG:" in err
    assert main(["init", str(tmp_path / "bd"), "--province", "binh-dinh"]) == 0
    assert "stretches" not in capsys.readouterr().err  # 434 ppm at most in UTM 49N
    assert main(["init", str(tmp_path / "vn"), "--province", "49", "--metric-crs", "EPSG:9217"]) == 0
    assert "stretches" not in capsys.readouterr().err
