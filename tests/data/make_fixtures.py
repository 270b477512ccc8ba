"""Write the binary test fixtures of tests/data (GeoPackages, zipped shapefiles, GeoTIFF).

Every feature is hand-placed in Bình Định province (lon 108.7-109.2, lat
13.9-14.6) near the real commune it names; the attributes are made up for the
tests (synthetic). Outputs are byte-reproducible: GeoPackage timestamps come
from ``OGR_CURRENT_DATE``, the shapefile's DBF date is fixed, zip members carry a
fixed date, and the GeoTIFF has no time tags. Run from the repository root::

    .venv/bin/python tests/data/make_fixtures.py

The text fixtures (GeoJSON, KML, CSV, OSM XML) are written by hand; see README.md.
"""

from __future__ import annotations

import tempfile
import warnings
import zipfile
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import rasterio
import shapely
from rasterio.transform import Affine

HERE = Path(__file__).resolve().parent
FIXED_DATE = "2025-01-01T00:00:00Z"
ZIP_DATE = (2025, 1, 1, 0, 0, 0)

# (poi_id, name, category, lon, lat): real places, positions rounded to ~100 m.
POIS = [
    ("POI-BD-001", "Bệnh viện Đa khoa huyện An Lão", "hospital", 108.88475, 14.60068),
    ("POI-BD-002", "Trường THPT Hoài Ân", "school", 108.97058, 14.37105),
    ("POI-BD-003", "UBND xã Vĩnh Kim", "commune_office", 108.76172, 14.30607),
]

# (route_id, operator, class, status, [(lon, lat), ...])
ROUTES = [
    (
        "FR-VNPT-001",
        "VNPT",
        "distribution",
        "on_air",
        [(108.88475, 14.60068), (108.84512, 14.57021), (108.81590, 14.52852)],
    ),
    ("FR-VT-002", "Viettel", "access", "on_air", [(108.77401, 14.09845), (108.76172, 14.30607)]),
    (
        "FR-MBF-003",
        "MobiFone",
        "backbone",
        "planned",
        [(109.02706, 14.50719), (109.05416, 14.49522), (109.14915, 14.22137)],
    ),
]

# (site_id, name, owner, lon, lat)
SITES = [
    ("BD-VT-0001", "Trạm Hoài Thanh", "Viettel", 109.05416, 14.49522),
    ("BD-VT-0002", "Trạm Mỹ Thọ", "Viettel", 109.14915, 14.22137),
    ("BD-VNPT-0001", "Trạm An Vinh", "VNPT", 108.78110, 14.58947),
    ("BD-VNPT-0002", "Trạm An Quang", "VNPT", 108.81590, 14.52852),
]


def _zip(folder: Path, out: Path) -> None:
    """Zip the files of ``folder`` with fixed dates and order."""
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for member in sorted(folder.iterdir()):
            info = zipfile.ZipInfo(member.name, date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, member.read_bytes())


def _write_gpkg(frame: gpd.GeoDataFrame, out: Path, layer: str) -> None:
    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": FIXED_DATE})
    try:
        with warnings.catch_warnings():
            # Some fixtures lack a CRS on purpose.
            warnings.filterwarnings("ignore", message="'crs' was not provided")
            pyogrio.write_dataframe(frame, out, layer=layer, driver="GPKG")
    finally:
        pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": None})


def _write_shapefile_zip(frame: gpd.GeoDataFrame, out: Path, stem: str, *, prj: str | None = "keep") -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="'crs' was not provided")
            pyogrio.write_dataframe(
                frame,
                folder / f"{stem}.shp",
                driver="ESRI Shapefile",
                layer_options={"DBF_DATE_LAST_UPDATE": "2025-01-01", "ENCODING": "UTF-8"},
            )
        prj_path = folder / f"{stem}.prj"
        if prj is None:
            prj_path.unlink(missing_ok=True)
        elif prj != "keep":
            prj_path.write_text(prj, encoding="ascii")
        _zip(folder, out)


def make_pois_vn2000(out: Path) -> None:
    """3 priority places in VN-2000 / UTM zone 49N (EPSG:3405): tests reprojection."""
    frame = gpd.GeoDataFrame(
        {"poi_id": [p[0] for p in POIS], "name": [p[1] for p in POIS], "category": [p[2] for p in POIS]},
        geometry=[shapely.Point(p[3], p[4]) for p in POIS],
        crs="EPSG:4326",
    ).to_crs("EPSG:3405")
    _write_gpkg(frame, out, "diem_uu_tien")


def make_fiber_routes_utm49n(out: Path) -> None:
    """3 fiber routes as a zipped shapefile in WGS 84 / UTM zone 49N (EPSG:32649)."""
    frame = gpd.GeoDataFrame(
        {
            "route_id": [r[0] for r in ROUTES],
            "operator": [r[1] for r in ROUTES],
            "class": [r[2] for r in ROUTES],
            "status": [r[3] for r in ROUTES],
        },
        geometry=[shapely.LineString(r[4]) for r in ROUTES],
        crs="EPSG:4326",
    ).to_crs("EPSG:32649")
    _write_shapefile_zip(frame, out, "tuyen_cap_quang")


def _sites(rows: list[tuple[str, str, str, float, float]], crs: str | None) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "site_id": [s[0] for s in rows],
            "name": [s[1] for s in rows],
            "owner": [s[2] for s in rows],
            "status": ["on_air"] * len(rows),
        },
        geometry=[shapely.Point(s[3], s[4]) for s in rows],
        crs=crs,
    )


def make_sites_multi(out: Path) -> None:
    """A GeoPackage with two site layers (Viettel, VNPT): needs --source-layer."""
    out.unlink(missing_ok=True)
    _write_gpkg(_sites(SITES[:2], "EPSG:4326"), out, "tram_viettel")
    _write_gpkg(_sites(SITES[2:], "EPSG:4326"), out, "tram_vnpt")


def make_sites_undefined_srs(out: Path) -> None:
    """A GeoPackage layer whose SRS is undefined: 'has no CRS'."""
    _write_gpkg(_sites(SITES, None), out, "tram")


def make_sites_nocrs_zip(out: Path) -> None:
    """A zipped shapefile without a .prj: 'has no CRS'."""
    _write_shapefile_zip(_sites(SITES, None), out, "tram", prj=None)


def make_sites_badprj_zip(out: Path) -> None:
    """A zipped shapefile whose .prj is not a CRS: unparseable CRS."""
    _write_shapefile_zip(_sites(SITES, "EPSG:4326"), out, "tram", prj="NOT A CRS, JUST TEXT")


def make_dem(out: Path) -> None:
    """A 24 x 20 int16 DEM (250 m cells, EPSG:32649) over xã Vĩnh Kim: a slope rising westward."""
    west, north, cell_m = 252_000.0, 1_585_000.0, 250.0
    cols, rows = 24, 20
    x = np.arange(cols, dtype=np.float64)
    y = np.arange(rows, dtype=np.float64)[:, None]
    heights = (200 + 40 * (cols - 1 - x) + 60 * np.sin(y / 3.0)).astype(np.int16)
    heights[0, 0] = -32768  # one nodata cell
    with rasterio.open(
        out,
        "w",
        driver="GTiff",
        width=cols,
        height=rows,
        count=1,
        dtype="int16",
        crs="EPSG:32649",
        transform=Affine(cell_m, 0.0, west, 0.0, -cell_m, north),
        nodata=-32768,
    ) as dst:
        dst.write(heights, 1)


MAKERS = {
    "pois_vn2000.gpkg": make_pois_vn2000,
    "fiber_routes_utm49n.zip": make_fiber_routes_utm49n,
    "sites_multi.gpkg": make_sites_multi,
    "sites_undefined_srs.gpkg": make_sites_undefined_srs,
    "sites_nocrs.zip": make_sites_nocrs_zip,
    "sites_badprj.zip": make_sites_badprj_zip,
    "dem_binh_dinh.tif": make_dem,
}


def main(folder: Path = HERE, makers: dict[str, Callable[[Path], None]] = MAKERS) -> list[Path]:
    """Write every binary fixture (of ``makers``) into ``folder``; return their paths."""
    written = []
    for name, make in makers.items():
        out = folder / name
        out.unlink(missing_ok=True)
        make(out)
        written.append(out)
    return written


if __name__ == "__main__":
    for path in main():
        print(path.relative_to(HERE.parent.parent))
