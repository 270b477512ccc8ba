"""Terrain sources: SRTM ``.hgt`` tiles and GeoTIFFs, read by window, sampled from metric points.

This module owns everything between a DEM on disk and a ground height at a point of
the workspace's metric CRS:

* :class:`HgtTiles` — SRTM ``.hgt`` tiles (1″ 3601 × 3601 or 3″ 1201 × 1201 posts,
  big-endian int16, row 0 on the northern edge, void = −32768) named ``N14E108.hgt``
  after their south-west corner, in one folder. A window spanning several tiles is
  assembled from the tile rows it covers, read a block of rows at a time straight into
  the window (only those rows are read, and no copy of them is held). Drop the
  tiles of a province into a folder (unzipped) and point the terrain model at it.
* :class:`GeoTiffDem` — any single-band GeoTIFF in any CRS, read with rasterio's
  windowed reads (never the whole file unless the window covers it).
* :class:`ArrayDem` — heights already in memory on a north-up grid (the demo generator
  checks its network against its terrain before writing it).
* :class:`DemWindow` — a block of heights (float32, NaN on voids and nodata) with the
  position of its first post, and :class:`MetricSampler` — the window plus a lattice
  that maps metric coordinates to fractional window rows and columns. The lattice
  is transformed exactly with pyproj at its nodes and interpolated bilinearly between
  them (the map from UTM to geographic coordinates is smooth: over 1 km lattice cells
  the error is centimetres), which keeps pyproj out of the per-sample work.

Heights are interpolated bilinearly between posts (pixel centres for GeoTIFFs, the
posts themselves for ``.hgt``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
import pyproj
from affine import Affine
from numpy.typing import NDArray

from coverage_gis.errors import WorkspaceError

Float32Array = NDArray[np.float32]
FloatArray = NDArray[np.float64]
Bounds = tuple[float, float, float, float]

#: SRTM void marker.
HGT_VOID = -32768
#: Posts per side of a 1″ and a 3″ SRTM tile.
HGT_SIZES: dict[int, int] = {3601: 3600, 1201: 1200}
#: Tile rows read at once (each a whole row of the tile: ~1.8 MB for 1″ tiles).
_HGT_ROWS_PER_READ = 256
_HGT_NAME = re.compile(r"^([NS])(\d{2})([EW])(\d{3})\.hgt$", re.IGNORECASE)
#: Lattice spacing of the metric → DEM mapping, metres (see the module docstring).
LATTICE_STEP_M = 1000.0


@dataclass(frozen=True)
class DemWindow:
    """A block of DEM posts.

    Attributes
    ----------
    heights_m
        ``(rows, cols)`` heights in metres, float32; NaN on voids, nodata and outside
        the DEM.
    x0, y0
        DEM-CRS coordinates of the DEM's post ``(0, 0)`` (global, not this window's).
    dx, dy
        Post spacing in DEM-CRS units; rows run south (``y = y0 - row * dy``).
    col_offset, row_offset
        Global column and row of this window's first post.
    """

    heights_m: Float32Array
    x0: float
    y0: float
    dx: float
    dy: float
    col_offset: int
    row_offset: int

    def global_col_row(self, x: FloatArray, y: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Fractional global (column, row) of DEM-CRS points (the same for every window)."""
        return (x - self.x0) / self.dx, (self.y0 - y) / self.dy


class Dem(Protocol):
    """A source of ground heights."""

    #: The DEM's CRS (WKT or an authority string).
    crs: str
    #: Changes whenever the data could have changed (paths, sizes, modification times).
    identity: str

    def read(self, bounds: Bounds) -> DemWindow:
        """Posts covering ``(west, south, east, north)`` in the DEM's CRS, plus one post of margin."""
        ...


def _file_stamp(path: Path) -> str:
    st = path.stat()
    return f"{path.resolve()}:{st.st_size}:{st.st_mtime_ns}"


class HgtTiles:
    """SRTM ``.hgt`` tiles in a folder (or one tile file).

    Parameters
    ----------
    path
        A folder holding ``.hgt`` tiles, or a single ``.hgt`` file.

    Raises
    ------
    WorkspaceError
        No tiles, a file whose size is neither 1″ nor 3″, or tiles of both resolutions.
    """

    crs = "EPSG:4326"

    def __init__(self, path: Path) -> None:
        path = Path(path)
        files = sorted(path.glob("*.hgt")) + sorted(path.glob("*.HGT")) if path.is_dir() else [path]
        self.tiles: dict[tuple[int, int], Path] = {}
        per_degree: set[int] = set()
        for file in files:
            match = _HGT_NAME.match(file.name)
            if match is None or not file.is_file():
                raise WorkspaceError(f"{file}: not an SRTM tile name like N14E108.hgt")
            size = file.stat().st_size
            side = math.isqrt(size // 2)
            if side * side * 2 != size or side not in HGT_SIZES:
                raise WorkspaceError(
                    f"{file}: {size} bytes is neither a 1″ (3601×3601) nor a 3″ (1201×1201) SRTM tile"
                )
            per_degree.add(HGT_SIZES[side])
            lat = int(match[2]) * (1 if match[1].upper() == "N" else -1)
            lon = int(match[4]) * (1 if match[3].upper() == "E" else -1)
            self.tiles[(lat, lon)] = file
        if not self.tiles:
            raise WorkspaceError(f"{path}: no SRTM .hgt tiles found")
        if len(per_degree) != 1:
            raise WorkspaceError(f"{path}: mixes 1″ and 3″ SRTM tiles; keep one resolution")
        self.posts_per_degree = per_degree.pop()
        self.identity = "hgt:" + ";".join(_file_stamp(p) for p in sorted(self.tiles.values()))

    def read(self, bounds: Bounds) -> DemWindow:
        """Posts covering ``bounds`` (lon/lat), NaN where no tile or a void."""
        n = self.posts_per_degree
        west, south, east, north = bounds
        # Global post indices: column c at lon = c / n, "row" q at lat = -q / n.
        c0, c1 = math.floor(west * n) - 1, math.ceil(east * n) + 1
        q0, q1 = math.floor(-north * n) - 1, math.ceil(-south * n) + 1
        out = np.full((q1 - q0 + 1, c1 - c0 + 1), np.nan, dtype=np.float32)
        for (lat, lon), file in self.tiles.items():
            # The tile's posts: columns lon*n .. lon*n + n, rows -(lat+1)*n .. -lat*n.
            tc0, tq0 = lon * n, -(lat + 1) * n
            a0, a1 = max(c0, tc0), min(c1, tc0 + n)
            b0, b1 = max(q0, tq0), min(q1, tq0 + n)
            if a0 > a1 or b0 > b1:
                continue
            # A few rows at a time straight into the window: no float copy of the
            # tile's block and no mapped pages held beside the window.
            with file.open("rb") as f:
                for r in range(b0, b1 + 1, _HGT_ROWS_PER_READ):
                    r_end = min(r + _HGT_ROWS_PER_READ, b1 + 1)
                    f.seek((r - tq0) * (n + 1) * 2)
                    rows = np.fromfile(f, dtype=">i2", count=(r_end - r) * (n + 1)).reshape(r_end - r, n + 1)
                    posts = rows[:, a0 - tc0 : a1 - tc0 + 1]
                    dst = out[r - q0 : r_end - q0, a0 - c0 : a1 - c0 + 1]
                    dst[...] = posts
                    dst[posts == HGT_VOID] = np.nan
        return DemWindow(out, x0=0.0, y0=0.0, dx=1.0 / n, dy=1.0 / n, col_offset=c0, row_offset=q0)


class GeoTiffDem:
    """A single-band GeoTIFF of heights in metres, read by window.

    Raises
    ------
    WorkspaceError
        Missing or unreadable file, no CRS, or a rotated grid.
    """

    def __init__(self, path: Path) -> None:
        import rasterio
        from rasterio.errors import RasterioIOError

        self.path = Path(path)
        if not self.path.is_file():
            raise WorkspaceError(f"{self.path}: DEM file not found")
        try:
            with rasterio.open(self.path) as src:
                crs = src.crs
                transform = src.transform
                self.width, self.height = int(src.width), int(src.height)
                self.nodata = src.nodata
        except (RasterioIOError, OSError) as exc:
            raise WorkspaceError(f"{self.path}: cannot read the DEM: {exc}") from None
        if crs is None:
            raise WorkspaceError(f"{self.path}: the DEM has no CRS; write one into the GeoTIFF")
        if transform.b != 0 or transform.d != 0 or transform.e >= 0:
            raise WorkspaceError(
                f"{self.path}: rotated or south-up grids are not supported; warp it north-up"
            )
        self.crs = crs.to_wkt()
        self.transform = transform
        self.identity = "tif:" + _file_stamp(self.path)

    def read(self, bounds: Bounds) -> DemWindow:
        """Pixels covering ``bounds`` (DEM CRS) plus one of margin, NaN outside the file."""
        import rasterio
        from rasterio.windows import Window

        def fetch(col: int, row: int, width: int, height: int) -> Float32Array:
            with rasterio.open(self.path) as src:
                band = src.read(1, window=Window(col, row, width, height), masked=True)
            return np.asarray(np.ma.filled(band.astype(np.float32), np.nan), dtype=np.float32)

        return _grid_window(self.transform, self.width, self.height, bounds, fetch)


class ArrayDem:
    """Heights held in memory on a north-up grid (a generator's terrain before it is written).

    Parameters
    ----------
    heights_m
        ``(rows, cols)`` heights in metres; NaN (or ``nodata``) where unknown.
    transform
        The grid's affine transform (pixel corners, as rasterio writes it; north-up).
    crs
        The grid's CRS (WKT or an authority string).
    identity
        Names this terrain in profile caches (two arrays with the same identity must
        hold the same heights).
    nodata
        A height value that means "unknown".
    """

    def __init__(
        self,
        heights_m: NDArray[np.floating],
        transform: Affine,
        crs: str,
        *,
        identity: str,
        nodata: float | None = None,
    ) -> None:
        heights = np.asarray(heights_m, dtype=np.float32)
        if nodata is not None:
            heights = np.where(heights == np.float32(nodata), np.float32(np.nan), heights)
        self.heights_m = heights
        self.height, self.width = (int(n) for n in heights.shape)
        self.transform = transform
        self.crs = crs
        self.identity = "array:" + identity

    def read(self, bounds: Bounds) -> DemWindow:
        """Pixels covering ``bounds`` (DEM CRS) plus one of margin, NaN outside the grid."""

        def fetch(col: int, row: int, width: int, height: int) -> Float32Array:
            return self.heights_m[row : row + height, col : col + width]

        return _grid_window(self.transform, self.width, self.height, bounds, fetch)


def _grid_window(
    t: Affine,
    width: int,
    height: int,
    bounds: Bounds,
    fetch: Callable[[int, int, int, int], Float32Array],
) -> DemWindow:
    """The pixels of a north-up grid covering ``bounds`` plus one of margin (NaN off the grid).

    ``fetch(col, row, width, height)`` returns a block of the grid's heights.
    """
    west, south, east, north = bounds
    c0 = math.floor((west - t.c) / t.a - 0.5) - 1
    c1 = math.ceil((east - t.c) / t.a - 0.5) + 1
    r0 = math.floor((north - t.f) / t.e - 0.5) - 1
    r1 = math.ceil((south - t.f) / t.e - 0.5) + 1
    out = np.full((r1 - r0 + 1, c1 - c0 + 1), np.nan, dtype=np.float32)
    a0, a1 = max(c0, 0), min(c1, width - 1)
    b0, b1 = max(r0, 0), min(r1, height - 1)
    if a0 <= a1 and b0 <= b1:
        out[b0 - r0 : b1 - r0 + 1, a0 - c0 : a1 - c0 + 1] = fetch(a0, b0, a1 - a0 + 1, b1 - b0 + 1)
    # Posts are pixel centres: the grid's first one sits half a pixel in from its corner.
    return DemWindow(
        out,
        x0=t.c + 0.5 * t.a,
        y0=t.f + 0.5 * t.e,
        dx=float(t.a),
        dy=float(-t.e),
        col_offset=c0,
        row_offset=r0,
    )


def open_dem(path: Path) -> Dem:
    """The DEM at ``path``: a GeoTIFF, one ``.hgt`` tile, or a folder of ``.hgt`` tiles.

    Raises
    ------
    WorkspaceError
        Nothing usable at ``path``.
    """
    path = Path(path)
    if path.is_dir() or path.suffix.lower() == ".hgt":
        return HgtTiles(path)
    return GeoTiffDem(path)


@dataclass(frozen=True)
class MetricSampler:
    """A DEM window and the lattice that maps metric coordinates into it.

    ``lattice_col[j, i]`` and ``lattice_row[j, i]`` are the DEM's global fractional
    column and row of the metric point ``(x0 + i * step, y0 + j * step)``; between nodes
    they are interpolated bilinearly (exact when both CRSs are the same), then the
    window's whole-post offsets are subtracted.
    """

    window: DemWindow
    x0: float
    y0: float
    step: float
    lattice_col: FloatArray
    lattice_row: FloatArray

    @classmethod
    def for_bounds(cls, dem: Dem, metric_crs: str, bounds_m: Bounds) -> MetricSampler:
        """Read the window of ``dem`` under the metric box ``bounds_m`` and build the lattice.

        Raises
        ------
        WorkspaceError
            The metric CRS is unknown.
        """
        # Nodes on a global grid of LATTICE_STEP_M: any two lattices interpolate a point
        # from the same nodes, so heights do not depend on which window was read.
        step = LATTICE_STEP_M
        west = math.floor(bounds_m[0] / step) * step
        south = math.floor(bounds_m[1] / step) * step
        nx = max(2, math.ceil((bounds_m[2] - west) / step) + 1)
        ny = max(2, math.ceil((bounds_m[3] - south) / step) + 1)
        gx, gy = np.meshgrid(west + step * np.arange(nx), south + step * np.arange(ny))
        try:
            to_dem = pyproj.Transformer.from_crs(metric_crs, dem.crs, always_xy=True)
        except pyproj.exceptions.CRSError as exc:
            raise WorkspaceError(f"unknown metric CRS {metric_crs!r}: {exc}") from None
        dx, dy = to_dem.transform(gx.ravel(), gy.ravel())
        dx = np.asarray(dx, dtype=np.float64).reshape(gx.shape)
        dy = np.asarray(dy, dtype=np.float64).reshape(gy.shape)
        window = dem.read((float(dx.min()), float(dy.min()), float(dx.max()), float(dy.max())))
        col, row = window.global_col_row(dx, dy)
        return cls(window, west, south, step, np.ascontiguousarray(col), np.ascontiguousarray(row))

    def covers(self, bounds_m: Bounds) -> bool:
        """Whether the lattice spans ``bounds_m`` (so sampling there interpolates)."""
        ny, nx = self.lattice_col.shape
        return (
            bounds_m[0] >= self.x0
            and bounds_m[1] >= self.y0
            and bounds_m[2] <= self.x0 + (nx - 1) * self.step
            and bounds_m[3] <= self.y0 + (ny - 1) * self.step
        )

    @property
    def nbytes(self) -> int:
        """Memory held, bytes."""
        return int(self.window.heights_m.nbytes + self.lattice_col.nbytes + self.lattice_row.nbytes)

    def kernel_args(self) -> tuple[int, int, float, FloatArray, FloatArray, float, float, Float32Array]:
        """The arguments the compiled samplers take, in their order."""
        return (
            round(self.x0 / self.step),
            round(self.y0 / self.step),
            self.step,
            self.lattice_col,
            self.lattice_row,
            float(self.window.col_offset),
            float(self.window.row_offset),
            self.window.heights_m,
        )

    @property
    def post_spacing_m(self) -> float:
        """The DEM's finer post spacing in metres, here (from the lattice's first cell)."""
        per_col = abs(float(self.lattice_col[0, 1] - self.lattice_col[0, 0]))
        per_row = abs(float(self.lattice_row[1, 0] - self.lattice_row[0, 0]))
        return min(self.step / max(per_col, 1e-12), self.step / max(per_row, 1e-12))
