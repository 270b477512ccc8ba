"""Shapefiles in VN-2000 as QGIS writes them from a PROJ-string CRS with ``+towgs84``: the
ESRI ``.prj`` keeps the datum shift only in the datum's name (:mod:`coverage_gis.io.prj`)."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pyproj
import pytest
import shapely

from coverage_gis.errors import LayerValidationError
from coverage_gis.io import read_file
from coverage_gis.io.prj import restored_datum_shift

#: VN-2000 TM-3 (central meridian 108°15') with the national towgs84 parameters.
_VN2000_TM3 = (
    "+proj=tmerc +lat_0=0 +lon_0=108.25 +k=0.9999 +x_0=500000 +y_0=0 +ellps=WGS84 "
    "+towgs84=-191.90441429,-39.30318279,-111.45032835,-0.00928836,0.01975479,-0.00427372,0.252906278 "
    "+units=m +no_defs"
)
_TRUE_LON_LAT = [(108.9, 13.77), (109.05, 13.95)]


def _shapefile(tmp_path: Path, crs: str) -> Path:
    to_crs = pyproj.Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    points = [shapely.Point(*to_crs.transform(lon, lat)) for lon, lat in _TRUE_LON_LAT]
    path = tmp_path / "tram.shp"
    gpd.GeoDataFrame({"site_id": ["S1", "S2"]}, geometry=points, crs=crs).to_file(path)
    return path


def test_a_towgs84_shift_kept_only_in_the_prj_datum_name_is_applied(tmp_path: Path) -> None:
    path = _shapefile(tmp_path, _VN2000_TM3)
    assert "using_towgs84_" in path.with_suffix(".prj").read_text()  # as GDAL writes it

    sites = read_file(path, "sites")["sites"]

    lon_lat = shapely.get_coordinates(sites.geometry.to_numpy())
    assert lon_lat.ravel().tolist() == pytest.approx(np.ravel(_TRUE_LON_LAT).tolist(), abs=1e-6)  # < 0.1 m


def test_a_utm_vn2000_prj_is_read_as_before(tmp_path: Path) -> None:
    path = _shapefile(tmp_path, "EPSG:3405")

    sites = read_file(path, "sites")["sites"]

    lon_lat = shapely.get_coordinates(sites.geometry.to_numpy())
    assert lon_lat.ravel().tolist() == pytest.approx(np.ravel(_TRUE_LON_LAT).tolist(), abs=1e-6)


@pytest.mark.parametrize(
    ("name", "shift"),
    [
        ("using_towgs84_-191_904_-39_303_-111_45", "-191.904,-39.303,-111.45"),
        ("using_towgs84_-191_-39_-111", "-191,-39,-111"),
        ("using_towgs84_1_5_2_5_3_5_0_1_0_2_0_3_1_5", "1.5,2.5,3.5,0.1,0.2,0.3,1.5"),
    ],
)
def test_the_shift_is_read_back_from_the_name(name: str, shift: str) -> None:
    crs = pyproj.CRS(
        f'GEOGCS["x",DATUM["D_Unknown_based_on_WGS_84_ellipsoid_{name}",'
        'SPHEROID["WGS_1984",6378137,298.257223563]],PRIMEM["Greenwich",0],'
        'UNIT["Degree",0.0174532925199433]]'
    )

    restored = restored_datum_shift(crs, source="t.shp")

    assert restored is not None
    assert restored.is_bound
    assert f"+towgs84={shift}" in restored.srs


def test_a_name_read_several_ways_is_refused() -> None:
    crs = pyproj.CRS(
        'GEOGCS["x",DATUM["D_Unknown_based_on_WGS_84_ellipsoid_using_towgs84_1_2_3_4",'
        'SPHEROID["WGS_1984",6378137,298.257223563]],PRIMEM["Greenwich",0],'
        'UNIT["Degree",0.0174532925199433]]'
    )

    with pytest.raises(LayerValidationError, match="cannot be read back unambiguously"):
        restored_datum_shift(crs, source="t.shp")


def test_other_crs_are_left_alone() -> None:
    wgs84 = pyproj.CRS("EPSG:4326")
    bound = pyproj.CRS(_VN2000_TM3)

    assert restored_datum_shift(wgs84, source="t") is wgs84
    assert restored_datum_shift(bound, source="t") is bound


def test_a_shapefile_without_its_prj_is_read_in_the_crs_named(tmp_path: Path) -> None:
    """A .prj lost on the way (mailed .shp, .shx and .dbf alone): --crs names it."""
    path = _shapefile(tmp_path, "EPSG:3405")
    path.with_suffix(".prj").unlink()
    with pytest.raises(LayerValidationError, match="has no CRS"):
        read_file(path, "sites")

    sites = read_file(path, "sites", crs="EPSG:3405")["sites"]

    lon_lat = shapely.get_coordinates(sites.geometry.to_numpy())
    assert lon_lat.ravel().tolist() == pytest.approx(np.ravel(_TRUE_LON_LAT).tolist(), abs=1e-6)


def test_crs_named_for_a_file_that_declares_another_is_refused(tmp_path: Path) -> None:
    path = _shapefile(tmp_path, "EPSG:3405")
    with pytest.raises(LayerValidationError, match=r"declares its CRS \(EPSG:3405\), not EPSG:3406"):
        read_file(path, "sites", crs="EPSG:3406")
    assert len(read_file(path, "sites", crs="EPSG:3405")["sites"]) == 2  # the same CRS: no conflict


def test_a_geojson_in_vn2000_metres_without_a_crs_member_is_read_in_the_crs_named(tmp_path: Path) -> None:
    """GeoJSON is WGS 84 by its standard, yet tools write it in the data's own metres."""
    shp = _shapefile(tmp_path, "EPSG:3405")
    path = tmp_path / "tram.geojson"
    frame = gpd.read_file(shp)
    path.write_text(frame.set_crs(None, allow_override=True).to_json(), encoding="utf-8")
    assert '"crs"' not in path.read_text()

    sites = read_file(path, "sites", crs="EPSG:3405")["sites"]

    lon_lat = shapely.get_coordinates(sites.geometry.to_numpy())
    assert lon_lat.ravel().tolist() == pytest.approx(np.ravel(_TRUE_LON_LAT).tolist(), abs=1e-6)


_MAPINFO_PRJ = (
    'PROJCS["VN2000_KTT_108_15_mui_3",GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",'
    'SPHEROID["WGS_1984",6378137.0,298.257223563]],PRIMEM["Greenwich",0.0],'
    'UNIT["Degree",0.0174532925199433]],PROJECTION["Transverse_Mercator"],'
    'PARAMETER["False_Easting",500000.0],PARAMETER["False_Northing",0.0],'
    'PARAMETER["Central_Meridian",108.25],PARAMETER["Scale_Factor",0.9999],'
    'PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]'
)


def test_a_prj_named_as_vn2000_on_a_wgs84_datum_is_read_on_vn2000(tmp_path: Path) -> None:
    """A MapInfo-era .prj names its CRS "VN2000_KTT_108_15_mui_3" but defines it on WGS 84
    with no shift; the coordinates are VN-2000's. Fails if the sites land about 230 m off."""
    path = _shapefile(tmp_path, _VN2000_TM3)
    path.with_suffix(".prj").write_text(_MAPINFO_PRJ, encoding="utf-8")

    sites = read_file(path, "sites")["sites"]

    lon_lat = shapely.get_coordinates(sites.geometry.to_numpy())
    assert lon_lat.ravel().tolist() == pytest.approx(np.ravel(_TRUE_LON_LAT).tolist(), abs=1e-6)


def test_a_tm3_prj_on_wgs84_not_named_as_vn2000_is_read_as_it_says(tmp_path: Path) -> None:
    """The same .prj under another name: WGS 84 is what it says. Fails if any TM-3 CRS on WGS
    84 is moved to VN-2000's datum."""
    path = _shapefile(tmp_path, _VN2000_TM3)
    path.with_suffix(".prj").write_text(
        _MAPINFO_PRJ.replace("VN2000_KTT_108_15_mui_3", "TM3_108_15"), "utf-8"
    )

    sites = read_file(path, "sites")["sites"]

    lon_lat = shapely.get_coordinates(sites.geometry.to_numpy())
    assert np.abs(lon_lat - np.array(_TRUE_LON_LAT)).max() > 1e-3  # about 230 m
