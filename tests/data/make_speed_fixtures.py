"""Write the binary speed-test fixtures of tests/data (Ookla-style tiles as Parquet and shapefile).

Tiles are zoom-16 web-mercator tiles containing hand-placed points in Bình Định
(and one in Bangkok, which the importer must skip); the quadkeys and tile polygons are
computed with ``mercantile`` (an implementation independent of coverage_gis), and the
speeds, test and device counts are made up for the tests (synthetic). Outputs are
byte-reproducible for a given pyarrow version (Parquet) and GDAL (shapefile: fixed
DBF date, zip members with a fixed date). Run from the repository root::

    .venv/bin/python tests/data/make_speed_fixtures.py

The point-measurement CSVs (``speed_points*.csv``) are written by hand; see README.md.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import make_fixtures
import mercantile
import pyarrow as pa
import pyarrow.parquet as pq
import shapely
from make_fixtures import _write_shapefile_zip

HERE = Path(__file__).resolve().parent
ZOOM = 16

# (place, lon, lat, avg_d_kbps, avg_u_kbps, avg_lat_ms, tests, devices)
MOBILE_TILES = [
    ("Quy Nhơn, phường Lê Lợi", 109.21950, 13.77640, 52_000, 14_000, 28, 40, 12),
    ("UBND xã Vĩnh Kim", 108.76172, 14.30607, 8_500, 2_100, 61, 3, 2),
    ("Bệnh viện huyện An Lão", 108.88475, 14.60068, 23_400, 6_200, 44, 7, 5),
    ("Trạm Hoài Thanh", 109.05416, 14.49522, 61_250, 15_900, 33, 12, 9),
    ("Bangkok (outside Vietnam)", 100.50180, 13.75630, 90_000, 20_000, 20, 100, 50),
]
FIXED_TILES = [
    ("Quy Nhơn, phường Lê Lợi", 109.21950, 13.77640, 245_000, 210_000, 6, 25, 10),
    ("Trường THPT Hoài Ân", 108.97058, 14.37105, 180_500, 150_000, 9, 4, 3),
    ("Trạm Mỹ Thọ", 109.14915, 14.22137, 96_000, 80_000, 12, 9, 6),
]


def _tile(lon: float, lat: float) -> tuple[str, shapely.Polygon]:
    tile = mercantile.tile(lon, lat, ZOOM)
    b = mercantile.bounds(tile)
    return mercantile.quadkey(tile), shapely.box(b.west, b.south, b.east, b.north)


def _table(rows: list[tuple[str, float, float, int, int, int, int, int]]) -> dict[str, list[object]]:
    keys, tiles = zip(*(_tile(r[1], r[2]) for r in rows), strict=True)
    return {
        "quadkey": list(keys),
        "tile": [t.wkt for t in tiles],
        "avg_d_kbps": [r[3] for r in rows],
        "avg_u_kbps": [r[4] for r in rows],
        "avg_lat_ms": [r[5] for r in rows],
        "avg_lat_down_ms": [r[5] + 40 for r in rows],
        "avg_lat_up_ms": [r[5] + 25 for r in rows],
        "tests": [r[6] for r in rows],
        "devices": [r[7] for r in rows],
    }


def _write_parquet(columns: dict[str, list[object]], out: Path) -> None:
    schema = pa.schema(
        [
            ("quadkey", pa.string()),
            ("tile", pa.string()),
            ("avg_d_kbps", pa.int64()),
            ("avg_u_kbps", pa.int64()),
            ("avg_lat_ms", pa.int64()),
            ("avg_lat_down_ms", pa.int64()),
            ("avg_lat_up_ms", pa.int64()),
            ("tests", pa.int64()),
            ("devices", pa.int64()),
        ]
    )
    pq.write_table(pa.table(columns, schema=schema), out, compression="snappy")


def make_mobile_tiles(out: Path) -> None:
    """Ookla mobile tiles as Parquet: 4 tiles in Bình Định, 1 in Bangkok (skipped)."""
    _write_parquet(_table(MOBILE_TILES), out)


def make_fixed_tiles_zip(out: Path) -> None:
    """Ookla fixed tiles as a zipped shapefile of tile polygons (EPSG:4326)."""
    columns = _table(FIXED_TILES)
    polygons = [shapely.from_wkt(t) for t in columns.pop("tile")]
    for extra in ("avg_lat_down_ms", "avg_lat_up_ms"):
        columns.pop(extra)
    frame = gpd.GeoDataFrame(columns, geometry=polygons, crs="EPSG:4326")
    _write_shapefile_zip(frame, out, "gps_fixed_tiles")


def make_bad_quadkey(out: Path) -> None:
    """Mobile tiles whose second quadkey has a digit 4: the error names row 1, field quadkey."""
    columns = _table(MOBILE_TILES[:3])
    keys = list(columns["quadkey"])
    keys[1] = keys[1][:-1] + "4"
    columns["quadkey"] = keys
    _write_parquet(columns, out)


def make_tile_mismatch(out: Path) -> None:
    """Mobile tiles whose third tile polygon is another tile than its quadkey (row 2)."""
    columns = _table(MOBILE_TILES[:3])
    tiles = list(columns["tile"])
    tiles[2] = tiles[0]
    columns["tile"] = tiles
    _write_parquet(columns, out)


MAKERS = {
    "2025-01-01_performance_mobile_tiles.parquet": make_mobile_tiles,
    "2025-01-01_performance_fixed_tiles.zip": make_fixed_tiles_zip,
    "mobile_tiles_bad_quadkey.parquet": make_bad_quadkey,
    "mobile_tiles_wrong_tile.parquet": make_tile_mismatch,
}


def main(folder: Path = HERE) -> list[Path]:
    """Write every speed-test fixture into ``folder``; return their paths."""
    return make_fixtures.main(folder, MAKERS)


if __name__ == "__main__":
    for path in main():
        print(path.relative_to(HERE.parent.parent))
