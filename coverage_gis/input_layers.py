"""The input layers of a workspace as one typed value.

:class:`InputLayers` holds one frame per input layer (``layers.INPUT_LAYERS``), each
with the schema's columns and the right frame type: a
:class:`geopandas.GeoDataFrame` (EPSG:4326) for layers with geometry, a plain
:class:`pandas.DataFrame` for ``cells``. An absent layer is an empty frame, so code
reads ``layers.pois`` without checking for None or asserting the frame's type.
It also reads as a ``Mapping[str, DataFrame]`` by layer name, for code that
iterates over layers or takes a plain mapping.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import geopandas as gpd
import pandas as pd

from coverage_gis.crs import STORAGE_CRS
from coverage_gis.errors import NotFound, WorkspaceError
from coverage_gis.layers import INPUT_LAYERS, get_schema
from coverage_gis.storage import LayerReader, empty_layer


def as_geo(frame: pd.DataFrame, layer: str) -> gpd.GeoDataFrame:
    """``frame`` as the GeoDataFrame a layer with geometry must be (EPSG:4326 when unset).

    Raises
    ------
    WorkspaceError
        ``frame`` has no geometry column.
    """
    if isinstance(frame, gpd.GeoDataFrame):
        return frame
    if "geometry" in frame.columns:
        return gpd.GeoDataFrame(frame, geometry="geometry", crs=STORAGE_CRS)
    if frame.empty:
        return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries([], crs=STORAGE_CRS), crs=STORAGE_CRS)
    raise WorkspaceError(f"layer {layer} needs geometries; got a table without a geometry column")


@dataclass(frozen=True, eq=False)
class InputLayers(Mapping[str, pd.DataFrame]):
    """Every input layer of one workspace state. Build with :meth:`from_frames` or :meth:`read`."""

    communes: gpd.GeoDataFrame
    commune_parts_2025: gpd.GeoDataFrame
    villages: gpd.GeoDataFrame
    sites: gpd.GeoDataFrame
    cells: pd.DataFrame
    fiber_routes: gpd.GeoDataFrame
    fiber_nodes: gpd.GeoDataFrame
    zones_5g: gpd.GeoDataFrame
    pois: gpd.GeoDataFrame
    speed_tests: gpd.GeoDataFrame

    @classmethod
    def from_frames(cls, frames: Mapping[str, pd.DataFrame]) -> InputLayers:
        """Typed layers from frames by name; absent layers become empty frames.

        Names that are not input layers are ignored.
        """
        if isinstance(frames, InputLayers):
            return frames

        def frame(name: str) -> pd.DataFrame:
            found = frames.get(name)
            return found if found is not None else empty_layer(get_schema(name))

        def geo(name: str) -> gpd.GeoDataFrame:
            return as_geo(frame(name), name)

        return cls(
            communes=geo("communes"),
            commune_parts_2025=geo("commune_parts_2025"),
            villages=geo("villages"),
            sites=geo("sites"),
            cells=frame("cells"),
            fiber_routes=geo("fiber_routes"),
            fiber_nodes=geo("fiber_nodes"),
            zones_5g=geo("zones_5g"),
            pois=geo("pois"),
            speed_tests=geo("speed_tests"),
        )

    @classmethod
    def read(cls, source: LayerReader) -> InputLayers:
        """Every input layer from a workspace (or a snapshot of one)."""
        return cls.from_frames({name: source.read_layer(name, missing_ok=True) for name in INPUT_LAYERS})

    def replace(self, **frames: pd.DataFrame) -> InputLayers:
        """A copy with some layers replaced (checked and typed like :meth:`from_frames`)."""
        unknown = set(frames) - set(INPUT_LAYERS)
        if unknown:
            raise NotFound(f"not input layers: {', '.join(sorted(unknown))}")
        return InputLayers.from_frames({**self, **frames})

    def geo(self, name: str) -> gpd.GeoDataFrame:
        """The layer ``name`` (one with geometry) by name."""
        return as_geo(self[name], name)

    # -- Mapping[str, DataFrame] ------------------------------------------------------------
    def __getitem__(self, name: str) -> pd.DataFrame:
        if name not in INPUT_LAYERS:
            raise KeyError(name)
        frame: pd.DataFrame = getattr(self, name)
        return frame

    def __iter__(self) -> Iterator[str]:
        return iter(INPUT_LAYERS)

    def __len__(self) -> int:
        return len(INPUT_LAYERS)

    def __eq__(self, other: object) -> bool:
        return self is other

    __hash__ = object.__hash__
