"""The cell index (coverage_gis.cell_index): the cells that can serve a place, and nothing lost."""

from __future__ import annotations

from dataclasses import asdict

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coverage_gis.cell_index import CellIndex
from coverage_gis.coverage import coverage_at_point
from coverage_gis.crs import metric_to_lonlat
from coverage_gis.models import create_model
from coverage_gis.network import CellTable, cell_table

from .conftest import METRIC, _origin_m, at

TECHS = ["2G", "3G", "4G", "5G"]


def _network(n_sites: int, seed: int) -> CellTable:
    """Sites scattered over 40 km with one to three cells of any technology each."""
    rng = np.random.default_rng(seed)
    xy = rng.uniform(-20_000, 20_000, size=(n_sites, 2))
    sites = gpd.GeoDataFrame(
        {
            "site_id": [f"S{i}" for i in range(n_sites)],
            "status": rng.choice(["on_air", "planned"], size=n_sites, p=[0.8, 0.2]),
            "height_m": rng.uniform(15, 45, size=n_sites),
            "environment": rng.choice(["rural", "suburban", "urban"], size=n_sites),
        },
        geometry=[at(float(x), float(y)) for x, y in xy],
        crs="EPSG:4326",
    )
    rows = []
    for i in range(n_sites):
        for k in range(int(rng.integers(1, 4))):
            rows.append(
                {
                    "cell_id": f"S{i}-{k}",
                    "site_id": f"S{i}",
                    "operator": str(rng.choice(["Viettel", "VNPT", "MobiFone"])),
                    "tech": str(rng.choice(TECHS)),
                    "status": "on_air",
                    "azimuth_deg": float(rng.uniform(0, 360)) if rng.random() < 0.7 else np.nan,
                }
            )
    return cell_table(sites, pd.DataFrame(rows), communes=None, metric_crs=METRIC)


@pytest.fixture(scope="module")
def network() -> CellTable:
    return _network(60, seed=5)


def test_rows_near_are_the_cells_that_reach_the_box(network: CellTable) -> None:
    model = create_model("radius")
    index = CellIndex.build(network.arrays, model)
    rng = np.random.default_rng(1)
    reach = model.max_range_m(network.arrays)
    x, y = network.arrays.x_m, network.arrays.y_m
    for _ in range(50):
        lo = np.array(_origin_m()) + rng.uniform(-25_000, 25_000, size=2)
        hi = lo + rng.uniform(0, 8_000, size=2)
        rows = index.rows_near(lo, hi)
        # Distance from each cell to the box, against its reach: brute force.
        dx = np.maximum(np.maximum(lo[0] - x, x - hi[0]), 0.0)
        dy = np.maximum(np.maximum(lo[1] - y, y - hi[1]), 0.0)
        reaching = np.flatnonzero(np.hypot(dx, dy) <= reach)
        assert rows.tolist() == reaching.tolist()  # exactly those, in table order


@settings(max_examples=40, deadline=None)
@given(st.floats(-25_000, 25_000), st.floats(-25_000, 25_000), st.sampled_from(["radius", "pathloss"]))
def test_point_coverage_with_the_index_equals_the_whole_table(
    network: CellTable, dx_m: float, dy_m: float, model_name: str
) -> None:
    model = create_model(model_name)
    x0, y0 = _origin_m()
    lon, lat = metric_to_lonlat(np.array([x0 + dx_m]), np.array([y0 + dy_m]), METRIC)
    whole = coverage_at_point(float(lon[0]), float(lat[0]), network, model=model, metric_crs=METRIC)
    indexed = coverage_at_point(
        float(lon[0]),
        float(lat[0]),
        network,
        model=model,
        metric_crs=METRIC,
        index=CellIndex.build(network.arrays, model),
    )
    assert asdict(indexed) == asdict(whole)
