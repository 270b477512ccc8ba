"""The radius model on tiny hand-checked fixtures, plus its search against brute force.

The fixtures use a hand-made radius table (:data:`TABLE`: 4G 1800 urban 1000 m, rural
5000 m; 4G 900 rural 7000 m; 2G rural 8000 m; 5G rural 1500 m), not the shipped one,
so the numbers on paper do not move when the link budget is retuned. Coordinates are
metres, x east, y north; bearings 0° = north, clockwise. A lone sector serves
``±beamwidth`` (``sector_edge_db`` 12 dB); sectors of one layer serve to their
bisectors.
"""

from __future__ import annotations

import dataclasses
import math
import pickle
from types import MappingProxyType
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coverage_gis.models import RadiusModel, create_model, load_model_settings
from coverage_gis.models.antenna import cell_service_sectors, horizontal_gain_db, sector_bisectors
from coverage_gis.models.base import (
    CandidatePairs,
    CellArrays,
    CoverageModel,
    ReceiverArrays,
    SourcePlan,
    map_pairs_within_reach,
    pairs_within_reach,
)
from coverage_gis.models.pathloss import LinkBudget
from coverage_gis.models.propagation import cost231_hata_terms, free_space_db
from coverage_gis.models.settings import BandRadii, EnvironmentRadii, ModelSettings
from coverage_gis.models.validity import ValidityReport

NAN = math.nan


def _row(urban: float, suburban: float, rural: float) -> EnvironmentRadii:
    return EnvironmentRadii(urban_m=urban, suburban_m=suburban, rural_m=rural)


#: Radius table of these tests: ``{tech: {band: (urban, suburban, rural)}}``.
TABLE = {
    "2G": BandRadii((900.0,), (_row(1500.0, 4000.0, 8000.0),)),
    "3G": BandRadii((2100.0,), (_row(1000.0, 2500.0, 5000.0),)),
    "4G": BandRadii((900.0, 1800.0), (_row(1400.0, 3500.0, 7000.0), _row(1000.0, 2500.0, 5000.0))),
    "5G": BandRadii((3500.0,), (_row(400.0, 800.0, 1500.0),)),
}
_SHIPPED = load_model_settings()
SETTINGS = dataclasses.replace(
    _SHIPPED,
    radius_m=MappingProxyType(TABLE),
    antenna=dataclasses.replace(_SHIPPED.antenna, sector_edge_db=12.0),
)


def make_cells(
    xy: list[tuple[float, float]],
    *,
    tech: list[str] | str = "4G",
    environment: list[str] | str = "urban",
    azimuth_deg: list[float] | float = NAN,
    beamwidth_deg: list[float] | float = 65.0,
    band_mhz: list[float] | float = 1800.0,
    layer: list[int] | None = None,
) -> CellArrays:
    n = len(xy)

    def col(value: list[float] | float) -> np.ndarray:
        return np.asarray(value if isinstance(value, list) else [value] * n, dtype=np.float64)

    def text(value: list[str] | str) -> np.ndarray:
        return np.asarray(value if isinstance(value, list) else [value] * n, dtype="<U8")

    cells = CellArrays(
        x_m=np.asarray([p[0] for p in xy], dtype=np.float64),
        y_m=np.asarray([p[1] for p in xy], dtype=np.float64),
        tech=text(tech),
        band_mhz=col(band_mhz),
        azimuth_deg=col(azimuth_deg),
        beamwidth_deg=col(beamwidth_deg),
        eirp_dbm=col(60.0),
        tilt_deg=col(4.0),
        height_m=col(30.0),
        environment=text(environment),
    )
    if layer is None:
        return cells
    cw, ccw = sector_bisectors(np.asarray(layer), cells.azimuth_deg, cells.beamwidth_deg)
    return dataclasses.replace(cells, bisector_cw_deg=cw, bisector_ccw_deg=ccw)


def make_receivers(xy: list[tuple[float, float]]) -> ReceiverArrays:
    return ReceiverArrays(
        x_m=np.asarray([p[0] for p in xy], dtype=np.float64),
        y_m=np.asarray([p[1] for p in xy], dtype=np.float64),
    )


def served_receivers(pairs: CandidatePairs) -> set[int]:
    return {int(r) for r in pairs.receiver[pairs.served]}


def served_flags(model: RadiusModel, receivers: ReceiverArrays, cells: CellArrays) -> list[bool]:
    served = served_receivers(model.candidate_pairs(receivers, cells))
    # The compiled served-pairs pass (the mobile rules' path) agrees on every fixture.
    assert_served_pairs_are_the_rules(model, receivers, cells, np.ones(len(cells), dtype=bool))
    return [i in served for i in range(len(receivers))]


@pytest.fixture
def model() -> RadiusModel:
    return RadiusModel(SETTINGS, workers=1)


# ----------------------------------------------------------------- distance edge


def test_receiver_exactly_on_the_radius_is_served_and_1_cm_beyond_is_not(model: RadiusModel) -> None:
    # Omni 4G urban cell at the origin: radius 1000 m.
    # (1000, 0): d = 1000 = radius -> served (<=).
    # (600, 800): d = sqrt(360000 + 640000) = 1000 exactly -> served.
    # (1000.01, 0): d = 1000.01 > 1000 -> not served (not even a candidate).
    # (0, -1000.01): same, to the south.
    cells = make_cells([(0.0, 0.0)])
    receivers = make_receivers([(1000.0, 0.0), (600.0, 800.0), (1000.01, 0.0), (0.0, -1000.01)])
    pairs = model.candidate_pairs(receivers, cells)
    assert served_flags(model, receivers, cells) == [True, True, False, False]
    assert sorted(pairs.receiver.tolist()) == [0, 1]
    np.testing.assert_array_equal(np.sort(pairs.distance_m), [1000.0, 1000.0])


def test_edge_holds_far_from_the_origin(model: RadiusModel) -> None:
    # Same geometry in UTM-sized coordinates (x ~ 6e5, y ~ 1.6e6): float rounding of
    # the k-d tree must not drop the edge receiver; 1 cm beyond is still out.
    x0, y0 = 612_345.0, 1_598_765.0
    cells = make_cells([(x0, y0)], environment="rural")  # 4G rural: 5000 m
    receivers = make_receivers([(x0 + 5000.0, y0), (x0, y0 + 5000.01), (x0 - 3000.0, y0 - 4000.0)])
    # d = 5000 (served), 5000.01 (not), sqrt(9e6 + 16e6) = 5000 (served).
    assert served_flags(model, receivers, cells) == [True, False, True]


def test_radius_depends_on_tech_band_and_environment(model: RadiusModel) -> None:
    # Receiver 6 km east of each cell. 2G 900 rural = 8000 m (served), 4G 1800 rural =
    # 5000 m (not), 5G rural = 1500 m (not), 2G urban = 1500 m (not), 4G 900 rural =
    # 7000 m (served), 4G at 1000 MHz takes the nearest row (900: 7000 m, served), 4G
    # 2600 the 1800 row (5000 m, not).
    xy = [(0.0, k * 100_000.0) for k in range(7)]
    cells = make_cells(
        xy,
        tech=["2G", "4G", "5G", "2G", "4G", "4G", "4G"],
        environment=["rural", "rural", "rural", "urban", "rural", "rural", "rural"],
        band_mhz=[900.0, 1800.0, 3500.0, 900.0, 900.0, 1000.0, 2600.0],
    )
    receivers = make_receivers([(6000.0, y) for _, y in xy])
    assert served_flags(model, receivers, cells) == [True, False, False, False, True, True, False]
    np.testing.assert_array_equal(
        model.max_range_m(cells), [8000.0, 5000.0, 1500.0, 1500.0, 7000.0, 7000.0, 5000.0]
    )


def test_the_2g_radius_is_capped_at_the_gsm_timing_advance_limit() -> None:
    far = dataclasses.replace(
        SETTINGS, radius_m=MappingProxyType({**TABLE, "2G": BandRadii((900.0,), (_row(50e3, 50e3, 50e3),))})
    )
    cells = make_cells([(0.0, 0.0), (0.0, 0.0)], tech=["2G", "4G"], band_mhz=[900.0, 1800.0])
    # 63 timing-advance steps of 553.5 m: 34,870.5 m.
    np.testing.assert_allclose(RadiusModel(far, workers=1).max_range_m(cells), [34_870.5, 1000.0])


# ----------------------------------------------------------------- sectors


def test_sector_pointing_toward_serves_and_away_does_not(model: RadiusModel) -> None:
    # A lone cell, azimuth 90° (east), beamwidth 65° -> serves bearings 25°..155°
    # (one beamwidth either side: where the pattern is 12 dB down).
    # (500, 0): bearing 90°, offset 0 -> served.
    # (-500, 0): bearing 270°, offset 180° -> not served (in radius: a candidate).
    # (0, 500): bearing 0°, offset 90° > 65° -> not served.
    cells = make_cells([(0.0, 0.0)], azimuth_deg=90.0)
    receivers = make_receivers([(500.0, 0.0), (-500.0, 0.0), (0.0, 500.0)])
    pairs = model.candidate_pairs(receivers, cells)
    assert served_flags(model, receivers, cells) == [True, False, False]
    assert len(pairs) == 3  # all three within 1000 m: candidates, two unserved
    assert np.isnan(pairs.signal_dbm[~pairs.served]).all()
    assert np.isfinite(pairs.signal_dbm[pairs.served]).all()


def at(bearing: float, distance_m: float = 500.0) -> tuple[float, float]:
    rad = math.radians(bearing)
    return (distance_m * math.sin(rad), distance_m * math.cos(rad))


def test_sector_wraps_around_north(model: RadiusModel) -> None:
    # A lone cell, azimuth 350°, beamwidth 65° -> serves 285°..(360°)..55°.
    # bearing 10°: offset +20° -> served; bearing 290°: offset -60° -> served;
    # bearing 70°: offset +80° -> not; bearing 270°: offset -80° -> not.
    cells = make_cells([(0.0, 0.0)], azimuth_deg=350.0)
    receivers = make_receivers([at(10.0), at(290.0), at(70.0), at(270.0)])
    assert served_flags(model, receivers, cells) == [True, True, False, False]


def test_bearing_exactly_on_the_sector_edge_is_served(model: RadiusModel) -> None:
    # A lone cell, azimuth 0°, beamwidth 45° -> edges at bearings 315° and 45°.
    # (500, 500): bearing atan2(500, 500) = 45° exactly -> served.
    # (-500, 500): bearing 315° -> served.
    # (500.01, 500): bearing atan(500.01/500) = 45.00057° -> not served.
    cells = make_cells([(0.0, 0.0)], azimuth_deg=0.0, beamwidth_deg=45.0)
    receivers = make_receivers([(500.0, 500.0), (-500.0, 500.0), (500.01, 500.0)])
    assert served_flags(model, receivers, cells) == [True, True, False]


def test_omni_serves_all_around_and_the_site_itself(model: RadiusModel) -> None:
    # NaN azimuth = omni: the four compass points at 999 m are all served.
    cells = make_cells([(0.0, 0.0)])
    receivers = make_receivers([(0.0, 999.0), (999.0, 0.0), (0.0, -999.0), (-999.0, 0.0)])
    assert served_flags(model, receivers, cells) == [True, True, True, True]
    # A beamwidth of 360° is omni too.
    cells_360 = make_cells([(0.0, 0.0)], azimuth_deg=45.0, beamwidth_deg=360.0)
    assert served_flags(model, receivers, cells_360) == [True, True, True, True]


def test_receiver_at_the_site_is_served_by_a_sector(model: RadiusModel) -> None:
    # Distance 0 has no bearing: every cell of the site serves it.
    cells = make_cells([(10.0, 20.0)] * 3, azimuth_deg=[0.0, 120.0, 240.0])
    pairs = model.candidate_pairs(make_receivers([(10.0, 20.0)]), cells)
    assert pairs.served.tolist() == [True, True, True]
    np.testing.assert_array_equal(pairs.distance_m, [0.0, 0.0, 0.0])


def test_three_villages_two_sites_on_paper(model: RadiusModel) -> None:
    # Site A at (0, 0): 4G 1800 rural lone sector, azimuth 90°, beamwidth 65°
    #   (radius 5000 m, serves bearings 25°..155°).
    # Site B at (10000, 0): 2G 900 rural omni (radius 8000 m) and a 4G 1800 rural lone
    #   sector, azimuth 200° (serves 135°..265°).
    # Village 0 at (4000, 0): A d=4000, bearing 90 -> served by A-4G; B d=6000:
    #   2G omni served (6000 <= 8000), B-4G d=6000 > 5000 -> not a candidate.
    # Village 1 at (0, 4000): A d=4000, bearing 0, offset 90 > 65 -> not served by A;
    #   B d=sqrt(1e8 + 1.6e7)=10770 > 8000 -> none. Uncovered.
    # Village 2 at (7000, 3000): A d=7616 > 5000 -> none; B d=sqrt(9e6+9e6)=4243:
    #   2G omni served; B-4G bearing atan2(-3000, 3000) = 315°, offset 115° > 65 -> not.
    cells = make_cells(
        [(0.0, 0.0), (10_000.0, 0.0), (10_000.0, 0.0)],
        tech=["4G", "2G", "4G"],
        environment="rural",
        azimuth_deg=[90.0, NAN, 200.0],
        band_mhz=[1800.0, 900.0, 1800.0],
    )
    receivers = make_receivers([(4000.0, 0.0), (0.0, 4000.0), (7000.0, 3000.0)])
    pairs = model.candidate_pairs(receivers, cells)
    served = {
        (int(r), int(c)) for r, c in zip(pairs.receiver[pairs.served], pairs.cell[pairs.served], strict=True)
    }
    assert served == {(0, 0), (0, 1), (2, 1)}
    candidates = {(int(r), int(c)) for r, c in zip(pairs.receiver, pairs.cell, strict=True)}
    assert candidates == {(0, 0), (0, 1), (1, 0), (2, 1), (2, 2)}


def test_keep_unserved_false_returns_only_the_served_pairs(model: RadiusModel) -> None:
    cells = make_cells([(0.0, 0.0)], azimuth_deg=90.0)
    receivers = make_receivers([(500.0, 0.0), (-500.0, 0.0)])
    pairs = model.candidate_pairs(receivers, cells, keep_unserved=False)
    assert pairs.receiver.tolist() == [0]
    assert pairs.served.all()


def test_empty_inputs_give_no_pairs(model: RadiusModel) -> None:
    assert len(model.candidate_pairs(make_receivers([]), make_cells([(0.0, 0.0)]))) == 0
    assert len(model.candidate_pairs(make_receivers([(0.0, 0.0)]), CellArrays.empty())) == 0


def test_registry_builds_a_radius_model() -> None:
    built = create_model("radius", SETTINGS)
    assert isinstance(built, RadiusModel)
    assert isinstance(built, CoverageModel)
    assert built.name == "radius"


# ----------------------------------------------------------------- properties

coord = st.floats(min_value=0.0, max_value=20_000.0, allow_nan=False)


@st.composite
def cell_arrays(draw: st.DrawFn, *, min_size: int = 0, max_size: int = 8) -> CellArrays:
    n = draw(st.integers(min_value=min_size, max_value=max_size))
    rows = [
        (
            draw(coord),
            draw(coord),
            draw(st.sampled_from(["2G", "3G", "4G", "5G"])),
            draw(st.sampled_from(["urban", "suburban", "rural"])),
            draw(st.one_of(st.just(NAN), st.floats(min_value=0.0, max_value=359.9))),
            draw(st.floats(min_value=10.0, max_value=360.0)),
            draw(st.sampled_from([700.0, 900.0, 1800.0, 2100.0, 2600.0, 3500.0])),
            draw(st.floats(min_value=30.0, max_value=75.0)),
            draw(st.floats(min_value=-2.0, max_value=12.0)),
            draw(st.floats(min_value=10.0, max_value=60.0)),
        )
        for _ in range(n)
    ]
    cols = list(zip(*rows, strict=True)) if rows else [()] * 10
    return CellArrays(
        x_m=np.asarray(cols[0], dtype=np.float64),
        y_m=np.asarray(cols[1], dtype=np.float64),
        tech=np.asarray(cols[2], dtype="<U8"),
        environment=np.asarray(cols[3], dtype="<U8"),
        azimuth_deg=np.asarray(cols[4], dtype=np.float64),
        beamwidth_deg=np.asarray(cols[5], dtype=np.float64),
        band_mhz=np.asarray(cols[6], dtype=np.float64),
        eirp_dbm=np.asarray(cols[7], dtype=np.float64),
        tilt_deg=np.asarray(cols[8], dtype=np.float64),
        height_m=np.asarray(cols[9], dtype=np.float64),
    )


@st.composite
def receiver_arrays(draw: st.DrawFn) -> ReceiverArrays:
    pts = draw(st.lists(st.tuples(coord, coord), min_size=1, max_size=25))
    return make_receivers(pts)


def concat_cells(a: CellArrays, b: CellArrays) -> CellArrays:
    return CellArrays(
        **{
            name: np.concatenate([getattr(a, name), getattr(b, name)])
            for name in (
                "x_m",
                "y_m",
                "tech",
                "band_mhz",
                "azimuth_deg",
                "beamwidth_deg",
                "eirp_dbm",
                "tilt_deg",
                "height_m",
                "environment",
            )
        }
    )


def assert_adding_a_cell_keeps_coverage(
    model: CoverageModel, receivers: ReceiverArrays, cells: CellArrays, extra: CellArrays
) -> None:
    before = served_receivers(model.candidate_pairs(receivers, cells))
    after = served_receivers(model.candidate_pairs(receivers, concat_cells(cells, extra)))
    assert before <= after


def assert_served_within_max_range(
    model: CoverageModel, receivers: ReceiverArrays, cells: CellArrays
) -> None:
    pairs = model.candidate_pairs(receivers, cells)
    reach = model.max_range_m(cells)
    assert (pairs.distance_m[pairs.served] <= reach[pairs.cell[pairs.served]]).all()


def assert_served_level_reaches_its_threshold(
    model: CoverageModel, receivers: ReceiverArrays, cells: CellArrays, model_settings: ModelSettings
) -> None:
    # A served pair never shows a level below the threshold of its cell's technology.
    pairs = model.candidate_pairs(receivers, cells)
    served = pairs.cell[pairs.served]
    threshold = np.array([model_settings.threshold_dbm[str(t)] for t in cells.tech[served]], dtype=np.float64)
    level = pairs.signal_dbm[pairs.served]
    assert np.isfinite(level).all()
    assert (level >= threshold).all(), (level - threshold).min()


@settings(max_examples=60, deadline=None)
@given(receivers=receiver_arrays(), cells=cell_arrays(), extra=cell_arrays(min_size=1, max_size=1))
def test_property_adding_a_cell_never_removes_a_served_receiver(
    receivers: ReceiverArrays, cells: CellArrays, extra: CellArrays
) -> None:
    assert_adding_a_cell_keeps_coverage(RadiusModel(SETTINGS, workers=1), receivers, cells, extra)


@settings(max_examples=60, deadline=None)
@given(receivers=receiver_arrays(), cells=cell_arrays())
def test_property_served_distance_never_exceeds_max_range(
    receivers: ReceiverArrays, cells: CellArrays
) -> None:
    assert_served_within_max_range(RadiusModel(SETTINGS, workers=1), receivers, cells)


@settings(max_examples=60, deadline=None)
@given(receivers=receiver_arrays(), cells=cell_arrays())
def test_property_served_level_never_below_its_threshold(
    receivers: ReceiverArrays, cells: CellArrays
) -> None:
    assert_served_level_reaches_its_threshold(RadiusModel(SETTINGS, workers=1), receivers, cells, SETTINGS)


@settings(max_examples=60, deadline=None)
@given(receivers=receiver_arrays(), cells=cell_arrays(max_size=12))
def test_property_matches_brute_force(receivers: ReceiverArrays, cells: CellArrays) -> None:
    # Lone sectors: served iff d <= radius and (omni or |wrapped bearing - azimuth| <=
    # beamwidth, capped at 180°), evaluated on the full receiver x cell matrix with
    # plain trigonometry.
    model = RadiusModel(SETTINGS, workers=2)
    pairs = model.candidate_pairs(receivers, cells)
    got = {
        (int(r), int(c)) for r, c in zip(pairs.receiver[pairs.served], pairs.cell[pairs.served], strict=True)
    }
    dx = receivers.x_m[:, None] - cells.x_m[None, :]
    dy = receivers.y_m[:, None] - cells.y_m[None, :]
    d = np.hypot(dx, dy)
    bearing = np.degrees(np.arctan2(dx, dy)) % 360.0
    offset = np.abs((bearing - cells.azimuth_deg[None, :] + 180.0) % 360.0 - 180.0)
    omni = np.isnan(cells.azimuth_deg) | (cells.beamwidth_deg >= 360.0)
    # Keep clear of the edges, where the two formulations may round differently.
    radius = model.max_range_m(cells)[None, :]
    half = np.minimum(cells.beamwidth_deg, 180.0)[None, :]
    near_edge = (np.abs(d - radius) < 1e-6) | (np.abs(offset - half) < 1e-6)
    want = (d <= radius) & (omni[None, :] | (offset <= half) | (d == 0))
    r_idx, c_idx = np.nonzero(want & ~near_edge)
    assert {(int(r), int(c)) for r, c in zip(r_idx, c_idx, strict=True)} <= got
    r_idx, c_idx = np.nonzero(~want & ~near_edge)
    assert not ({(int(r), int(c)) for r, c in zip(r_idx, c_idx, strict=True)} & got)


def test_pairs_within_reach_is_exact_and_thread_independent() -> None:
    # 3000 receivers and 2000 cells with varied reaches (many distinct values -> the
    # geometric-ladder classes), compared with the full distance matrix.
    rng = np.random.default_rng(7)
    rx, ry = rng.uniform(0, 50_000, 3000), rng.uniform(0, 50_000, 3000)
    cx, cy = rng.uniform(0, 50_000, 2000), rng.uniform(0, 50_000, 2000)
    cx[1000:1500], cy[1000:1500] = cx[:500], cy[:500]  # co-located cells, as on a site
    reach = rng.uniform(100, 4000, 2000)
    reach[1500:] = 2500.0
    d = np.hypot(rx[:, None] - cx[None, :], ry[:, None] - cy[None, :])
    want = set(zip(*np.nonzero(d <= reach[None, :]), strict=True))
    for workers in (1, 2):
        r, c, dist = pairs_within_reach(rx, ry, cx, cy, reach, workers=workers)
        assert set(zip(r.tolist(), c.tolist(), strict=True)) == {(int(a), int(b)) for a, b in want}
        np.testing.assert_allclose(dist, d[r, c], rtol=0, atol=1e-9)


def test_a_source_plan_serves_every_set_of_receivers() -> None:
    # One plan of the cells (3 co-located per site, two reach classes), searched for
    # two sets of receivers in turn, gives each the pairs a fresh search gives it.
    rng = np.random.default_rng(3)
    cx = np.repeat(rng.uniform(0, 80_000, 3000), 3)
    cy = np.repeat(rng.uniform(0, 80_000, 3000), 3)
    reach = np.where(np.arange(cx.size) % 2 == 0, 3000.0, 1500.0)
    reach[4] = np.nan  # in no pair: site 1 keeps only its 1500 m cells (3 and 5)
    plan = SourcePlan.of(cx, cy, reach)
    assert len(plan) == 2 * 3000 - 1  # per site: one source per reach

    def found(rx: np.ndarray, ry: np.ndarray, **options: Any) -> set[tuple[int, int, float]]:
        parts = map_pairs_within_reach(rx, ry, cx, cy, reach, lambda r, c, d: (r, c, d), **options)
        return {(int(r), int(c), float(d)) for p in parts for r, c, d in zip(*p, strict=True)}

    for seed in (1, 2):
        rx, ry = np.random.default_rng(seed).uniform(0, 80_000, (2, 2000))
        assert found(rx, ry, plan=plan, workers=2) == found(rx, ry, workers=1)
        assert found(rx, ry, plan=plan, workers=2)


def test_three_sector_site_serves_the_bisector_and_covers_the_disc(model: RadiusModel) -> None:
    # One 4G 1800 layer at azimuths 0/120/240 with 65° beams (rural: 5000 m): each
    # sector serves to the bisectors, ±60°, so bearing 60° at 2 km is served (by the
    # sectors at 0° and 120°, on their common edge) and so is every bearing.
    def three_sectors(beamwidth_deg: float, layer: list[int]) -> CellArrays:
        return make_cells(
            [(0.0, 0.0)] * 3,
            environment="rural",
            azimuth_deg=[0.0, 120.0, 240.0],
            beamwidth_deg=beamwidth_deg,
            layer=layer,
        )

    cells = three_sectors(65.0, [1, 1, 1])
    bisector = model.candidate_pairs(make_receivers([at(60.0, 2000.0)]), cells)
    assert sorted(bisector.cell[bisector.served].tolist()) == [0, 1]
    ring = make_receivers([at(float(b), 4999.0) for b in range(0, 360, 5)])
    assert all(served_flags(model, ring, cells))
    # 45° beams: the pattern is 12 dB down at ±45°, before the bisectors at ±60°, so each
    # sector ends there, whether the three form one layer or three lone sectors.
    probes = make_receivers([at(45.0, 2000.0), at(50.0, 2000.0), at(60.0, 2000.0)])
    assert served_flags(model, probes, three_sectors(45.0, [1, 1, 1])) == [True, False, False]
    assert served_flags(model, probes, three_sectors(45.0, [1, 2, 3])) == [True, False, False]


def test_irregular_layout_serves_to_the_bisectors_and_the_edge(model: RadiusModel) -> None:
    # Azimuths 0/100/240°, 65° beams, one layer: sector 0 serves -60°..+50° (bisectors
    # with 240° and 100°); sector 100 serves 50°..165° (bisector, then its 65° edge);
    # sector 240 serves 175°..300°. Bearing 170° falls in the 10° hole between them.
    cells = make_cells(
        [(0.0, 0.0)] * 3, environment="rural", azimuth_deg=[0.0, 100.0, 240.0], layer=[7, 7, 7]
    )
    receivers = make_receivers([at(b, 1000.0) for b in (305.0, 49.0, 51.0, 164.0, 170.0, 176.0)])
    pairs = model.candidate_pairs(receivers, cells)
    by_receiver = {
        int(r): int(c) for r, c in zip(pairs.receiver[pairs.served], pairs.cell[pairs.served], strict=True)
    }
    assert by_receiver == {0: 0, 1: 0, 2: 1, 3: 1, 5: 2}


def test_level_of_a_served_pair_is_never_below_the_threshold(model: RadiusModel) -> None:
    # The implied level: the 4G threshold (-110 dBm) at the radius on the sector's
    # worst bearing, plus the path loss saved nearer in and the pattern gained nearer
    # boresight. Omni at the radius: exactly the threshold; a lone sector at its edge
    # (65° off boresight) and at the radius: exactly the threshold too.
    omni = make_cells([(0.0, 0.0)], environment="rural")
    edge = model.candidate_pairs(make_receivers([(5000.0, 0.0)]), omni)
    np.testing.assert_allclose(edge.signal_dbm, [-110.0])
    sector = make_cells([(0.0, 0.0)], environment="rural", azimuth_deg=0.0)
    pairs = model.candidate_pairs(
        make_receivers([at(65.0, 5000.0), at(0.0, 5000.0), at(0.0, 2500.0)]), sector
    )
    order = np.argsort(pairs.receiver)
    level = pairs.signal_dbm[order]
    np.testing.assert_allclose(level[0], -110.0, atol=1e-9)
    # On boresight the pattern gains 12 dB (A_H(65°) = -12 dB for a 65° beam).
    np.testing.assert_allclose(level[1], -98.0, atol=1e-9)
    # Half the distance saves the Hata slope over log10(2) on top.
    budget_slope = level[2] - level[1]
    assert 9.0 < budget_slope < 12.0


def test_pairs_record_the_radius_table_and_bands_outside_it(model: RadiusModel) -> None:
    cells = make_cells([(0.0, 0.0), (0.0, 0.0)], band_mhz=[1800.0, 3500.0])
    pairs = model.candidate_pairs(make_receivers([(100.0, 0.0)]), cells)
    report = ValidityReport.from_arrays(pairs.formula, pairs.outside)
    assert report.pairs == 2
    assert report.formulas["radius_table"].pairs == 2
    assert dict(report.formulas["radius_table"].by_parameter) == {"frequency": 1}


# ------------------------------------------------------- served pairs (the compiled pass)


def _served_pairs(
    model: RadiusModel, receivers: ReceiverArrays, cells: CellArrays, level_of: np.ndarray
) -> tuple[dict[tuple[int, int], tuple[float, float]], ValidityReport]:
    parts, validity = model.map_served_pairs(receivers, cells, lambda p: p, level_of=level_of)
    found: dict[tuple[int, int], tuple[float, float]] = {}
    for p in parts:
        assert p.served.all()
        for r, c, d, s in zip(p.receiver, p.cell, p.distance_m, p.signal_dbm, strict=True):
            assert (int(r), int(c)) not in found, "a pair appears once"
            found[int(r), int(c)] = (float(d), float(s))
    return found, validity


def assert_served_pairs_are_the_rules(
    model: RadiusModel, receivers: ReceiverArrays, cells: CellArrays, level_of: np.ndarray
) -> None:
    """The compiled pass gives the served pairs of ``candidate_pairs``, bit for bit: the
    distances and levels of ``level_of`` cells' pairs (NaN for the others), and the
    validity report of all the pairs within the radius."""
    pairs = model.candidate_pairs(receivers, cells)
    want = {
        (int(r), int(c)): (float(d), float(s)) if level_of[c] else (math.nan, math.nan)
        for r, c, d, s, ok in zip(
            pairs.receiver, pairs.cell, pairs.distance_m, pairs.signal_dbm, pairs.served, strict=True
        )
        if ok
    }
    found, validity = _served_pairs(model, receivers, cells, level_of)
    assert found.keys() == want.keys()
    bits = np.array([found[k] for k in want]).tobytes(), np.array([want[k] for k in want]).tobytes()
    assert bits[0] == bits[1]
    assert validity.as_dict() == ValidityReport.from_arrays(pairs.formula, pairs.outside).as_dict()


@st.composite
def sites_with_layers(draw: st.DrawFn) -> CellArrays:
    # Cells on a few sites (co-located: one search source per site and radius), their
    # sectors in layers, so that services reach to the bisectors as well as to the edge.
    cells = draw(cell_arrays(max_size=14))
    n = len(cells)
    sites = draw(st.lists(st.tuples(coord, coord), min_size=1, max_size=4))
    site = np.array([draw(st.integers(0, len(sites) - 1)) for _ in range(n)], dtype=np.int64)
    layer = site * 2 + np.array([draw(st.integers(0, 1)) for _ in range(n)], dtype=np.int64)
    xy = np.array(sites, dtype=np.float64).reshape(-1, 2)[site]
    cw, ccw = sector_bisectors(layer, cells.azimuth_deg, cells.beamwidth_deg)
    return dataclasses.replace(cells, x_m=xy[:, 0], y_m=xy[:, 1], bisector_cw_deg=cw, bisector_ccw_deg=ccw)


@settings(max_examples=120, deadline=None)
@given(
    receivers=receiver_arrays(),
    cells=sites_with_layers(),
    level_seed=st.integers(0, 2**32 - 1),
    workers=st.sampled_from([1, 2]),
)
def test_property_served_pairs_are_the_served_candidate_pairs(
    receivers: ReceiverArrays, cells: CellArrays, level_seed: int, workers: int
) -> None:
    level_of = np.random.default_rng(level_seed).random(len(cells)) < 0.6
    # Some receivers exactly on a site (distance 0) and on a radius straight north.
    if len(cells):
        radius = RadiusModel(SETTINGS).max_range_m(cells)
        on = make_receivers([(cells.x_m[0], cells.y_m[0]), (cells.x_m[-1], cells.y_m[-1] + radius[-1])])
        receivers = ReceiverArrays(
            np.concatenate([receivers.x_m, on.x_m]), np.concatenate([receivers.y_m, on.y_m])
        )
    assert_served_pairs_are_the_rules(RadiusModel(SETTINGS, workers=workers), receivers, cells, level_of)


@settings(max_examples=100, deadline=None)
@given(
    cells=sites_with_layers(),
    picks=st.lists(
        st.tuples(st.integers(0, 1000), st.sampled_from(["edge", "circle", "near"]), st.floats(0.0, 1.0)),
        min_size=1,
        max_size=30,
    ),
    level_seed=st.integers(0, 2**32 - 1),
)
def test_property_served_pairs_on_sector_edges_and_circles(
    cells: CellArrays, picks: list[tuple[int, str, float]], level_seed: int
) -> None:
    # Receivers where the compiled pass's quick tests (on sqrt(dx² + dy²)) hand over to
    # hypot: on service-sector edges, on the circle, a hair from the site.
    if not len(cells):
        return
    radius = RadiusModel(SETTINGS).max_range_m(cells)
    centre, half = cell_service_sectors(cells, edge_db=SETTINGS.antenna.sector_edge_db)
    xy = []
    for pick, kind, frac in picks:
        i = pick % len(cells)
        side = 1.0 if pick % 2 else -1.0
        bearing = math.radians(np.nan_to_num(centre[i]) + side * half[i])
        dist = {"edge": frac * radius[i], "circle": radius[i], "near": 1e-6 + frac * 1e-3}[kind]
        if kind == "circle":
            bearing = math.radians(360.0 * frac)
        xy.append((cells.x_m[i] + dist * math.sin(bearing), cells.y_m[i] + dist * math.cos(bearing)))
    level_of = np.random.default_rng(level_seed).random(len(cells)) < 0.6
    assert_served_pairs_are_the_rules(RadiusModel(SETTINGS, workers=1), make_receivers(xy), cells, level_of)


@settings(max_examples=300, deadline=None)
@given(
    dx=st.floats(-50_000.0, 50_000.0).filter(lambda v: abs(v) > 1e-3),
    dy=st.floats(-50_000.0, 50_000.0),
    azimuth=st.floats(0.0, 360.0),
    steps=st.integers(-3, 3),
)
def test_property_service_sector_test_on_the_edge_is_hypots(
    dx: float, dy: float, azimuth: float, steps: int
) -> None:
    # A sector whose edge passes within a few ulps of the receiver: the quick test on
    # sqrt(dx² + dy²) must hand over to hypot, and decide as the numpy rule does.
    from coverage_gis.models._sector import in_service_sector

    east, north = math.sin(math.radians(azimuth)), math.cos(math.radians(azimuth))
    d = float(np.hypot(dx, dy))
    cos_half = dx * east + dy * north
    cos_half /= d
    for _ in range(abs(steps)):
        cos_half = math.nextafter(cos_half, math.copysign(math.inf, steps))
    want = bool(dx * east + dy * north >= d * cos_half)
    near = math.sqrt(dx * dx + dy * dy)
    inside, known = in_service_sector(dx, dy, near, -1.0, east, north, cos_half)
    assert inside == want
    assert known in (-1.0, d)
    assert in_service_sector(dx, dy, near, d, east, north, cos_half) == (want, d)


@settings(max_examples=100, deadline=None)
@given(
    cells=cell_arrays(min_size=1, max_size=8),
    pairs=st.lists(
        st.tuples(
            st.integers(0, 1000),
            st.floats(-30_000.0, 30_000.0),
            st.floats(-30_000.0, 30_000.0),
            st.sampled_from([0.0, 0.5, 1.0, 2.0]) | st.floats(0.0, 40_000.0),
        ),
        max_size=30,
    ),
)
def test_property_compiled_level_terms_are_numpys(
    cells: CellArrays, pairs: list[tuple[int, float, float, float]]
) -> None:
    # The compiled passes (boresight offsets, Hata loss, the level's sum) give the bits
    # of the numpy formulas they replace, term by term.
    from coverage_gis.models._level import radius_levels

    budget = LinkBudget(cells, settings=SETTINGS, receiver_height_m=1.5)
    cell = np.array([p[0] % len(cells) for p in pairs], dtype=np.int64)
    dx, dy, dist = (np.array([p[k] for p in pairs], dtype=np.float64) for k in (1, 2, 3))
    sectors = budget.sectors
    e, n = sectors.east[cell], sectors.north[cell]
    offset = np.degrees(np.abs(np.arctan2(dx * n - dy * e, dx * e + dy * n)))
    assert sectors.offset_deg(dx, dy, cell).tobytes() == offset.tobytes()
    pl = SETTINGS.pathloss
    assert pl.formula == "cost231"
    intercept, slope = cost231_hata_terms(
        cells.band_mhz,
        cells.height_m,
        1.5,
        environment=cells.environment,
        metropolitan_db=pl.cost231_metropolitan_db,
        rural_correction=pl.cost231_rural_correction,
    )
    log_d = np.log10(np.maximum(dist, 1.0))
    hata = intercept[cell] + slope[cell] * (log_d - 3.0)
    loss = np.maximum(hata, free_space_db(1.0, cells.band_mhz)[cell] + 20.0 * log_d)
    assert budget.path_loss_db(cell, dist).tobytes() == loss.tobytes()
    edge = np.random.default_rng(len(pairs)).uniform(-120.0, -60.0, len(cells))
    a_m = SETTINGS.antenna.max_attenuation_db
    gain = horizontal_gain_db(offset, cells.beamwidth_deg[cell], max_attenuation_db=a_m)
    want = edge[cell] - loss + np.where(sectors.omni[cell], 0.0, gain)
    got = radius_levels(cell, offset, loss, edge, cells.beamwidth_deg, sectors.omni, a_m)
    assert got.tobytes() == want.tobytes()


def test_served_pairs_at_extreme_offsets_are_the_rules() -> None:
    # Offsets whose squares underflow, and a receiver on the site: hypot decides.
    cells = make_cells(
        [(0.0, 0.0)] * 4,
        azimuth_deg=[0.0, 120.0, 240.0, NAN],
        tech=["4G", "4G", "4G", "2G"],
        layer=[0, 0, 0, 1],
    )
    tiny = [1e-170, -1e-170, 1e-160, 5e-324, -5e-324, 0.0, 1e-100, 3e-101]
    receivers = make_receivers([(a, b) for a in tiny for b in tiny])
    for level_of in (np.ones(4, dtype=bool), np.array([True, False, True, False])):
        assert_served_pairs_are_the_rules(RadiusModel(SETTINGS, workers=1), receivers, cells, level_of)


def test_served_pairs_at_scale_in_threads_are_the_rules() -> None:
    # More sources than one batch holds (the batches run in threads): three-sector
    # sites of two layers each, omni sites, and receivers all over.
    rng = np.random.default_rng(4)
    n_sites = 3000
    site_xy = rng.uniform(0, 80_000, (n_sites, 2))
    xy = np.repeat(site_xy, 6, axis=0)
    n = xy.shape[0]
    azimuth = np.tile([0.0, 120.0, 240.0], n // 3) + np.repeat(rng.uniform(0, 120, n // 3), 3)
    azimuth[np.repeat(rng.random(n_sites) < 0.2, 6)] = NAN
    layer = np.repeat(np.arange(n // 3), 3)
    cells = make_cells(
        [tuple(p) for p in xy],
        tech=list(rng.choice(["2G", "3G", "4G", "5G"], n)),
        environment=list(rng.choice(["urban", "suburban", "rural"], n)),
        azimuth_deg=list(azimuth),
        band_mhz=list(rng.choice([900.0, 1800.0, 2100.0, 3500.0], n)),
        layer=list(layer),
    )
    receivers = make_receivers([tuple(p) for p in rng.uniform(0, 80_000, (4000, 2))])
    level_of = rng.random(n) < 0.5
    assert_served_pairs_are_the_rules(RadiusModel(SETTINGS, workers=2), receivers, cells, level_of)


def test_served_pairs_of_nothing_are_one_empty_batch(model: RadiusModel) -> None:
    cells = make_cells([(0.0, 0.0)])
    none = make_receivers([])
    parts, validity = model.map_served_pairs(none, cells, len, level_of=np.ones(1, dtype=bool))
    assert parts == [0]
    assert validity.pairs == 0
    far = make_receivers([(1e5, 0.0), (NAN, 0.0)])
    assert _served_pairs(model, far, cells, np.ones(1, dtype=bool))[0] == {}


def _same_values(a: Any, b: Any) -> None:
    """Equal arrays (NaN equal to NaN, same dtype), tuples of them, or equal plain values."""
    if isinstance(a, np.ndarray):
        assert isinstance(b, np.ndarray)
        assert a.dtype == b.dtype
        assert np.array_equal(a, b, equal_nan=a.dtype.kind == "f")
    elif isinstance(a, tuple):
        assert isinstance(b, tuple)
        assert len(a) == len(b)
        for x, y in zip(a, b, strict=True):
            _same_values(x, y)
    else:
        assert a == b


@settings(max_examples=80, deadline=None)
@given(
    cells=sites_with_layers(),
    data=st.data(),
    formula=st.sampled_from(["cost231", "38901"]),
    validity_first=st.booleans(),
)
def test_a_part_of_a_held_table_reads_the_terms_it_would_compute(
    cells: CellArrays, data: st.DataObject, formula: str, validity_first: bool
) -> None:
    """Fails if a part of the table a model holds (the cells near a point) gets any
    per-cell term, or any pair, other than computing them for the part gives."""
    settings_ = dataclasses.replace(
        SETTINGS, pathloss=dataclasses.replace(SETTINGS.pathloss, formula=formula)
    )
    held = RadiusModel(settings_, workers=1)
    held.hold_terms(cells)
    whole = held._held_terms
    assert whole is not None
    if validity_first and len(cells):  # the lazily made terms are read at the rows too
        whole[2].budget.validity(np.arange(len(cells)), np.full(len(cells), 100.0))
        assert whole[2].service.cos_half_beam is not None
    rows = data.draw(st.lists(st.integers(0, max(len(cells) - 1, 0)), max_size=8)) if len(cells) else []
    part = cells.take(np.array(rows, dtype=np.int64))
    read = held._cell_terms(part, 1.5)
    computed = RadiusModel(settings_, workers=1)._cell_terms(cells.take(np.array(rows, dtype=np.int64)), 1.5)
    for name in ("radius_m", "edge_level_dbm", "band_flag"):
        _same_values(getattr(read, name), getattr(computed, name))
    for name in ("east", "north", "omni", "beamwidth_deg", "cos_half_beam"):
        _same_values(getattr(read.service, name), getattr(computed.service, name))
    if validity_first and len(cells):
        computed.budget.validity(np.arange(len(rows)), np.full(len(rows), 100.0))
    budget, fresh = vars(read.budget), vars(computed.budget)
    assert budget.keys() == fresh.keys()  # a term the part does not carry fails here
    for name in fresh:
        if name == "sectors":
            for field in ("east", "north", "omni", "beamwidth_deg"):
                _same_values(getattr(budget[name], field), getattr(fresh[name], field))
        elif name != "cells":
            _same_values(budget[name], fresh[name])
    assert read.budget.cells is part
    receivers = data.draw(receiver_arrays())
    pairs, expected = (
        held.candidate_pairs(receivers, part),
        RadiusModel(settings_).candidate_pairs(receivers, part),
    )
    for field in dataclasses.fields(expected):
        _same_values(getattr(pairs, field.name), getattr(expected, field.name))


def test_only_parts_of_the_held_table_read_its_terms(model: RadiusModel) -> None:
    cells = make_cells([(0.0, 0.0), (500.0, 0.0), (0.0, 900.0)], tech=["4G", "4G", "5G"])
    model.hold_terms(cells)
    other = make_cells([(0.0, 0.0), (500.0, 0.0), (0.0, 900.0)], tech=["4G", "4G", "5G"])
    assert other.take(np.array([1])).origin() is not None
    assert model._held_part(other.take(np.array([1])), 1.5) is None  # another table, alike
    assert model._held_part(cells.take(np.array([1])), 10.0) is None  # another receiver height
    assert model._held_part(cells.take(np.array([1])), 1.5) is not None
    assert cells.origin() is None
    # A part goes to another process without its origin (a weak reference).
    copied = pickle.loads(pickle.dumps(cells.take(np.array([2, 0]))))
    assert copied.origin() is None
    assert copied.x_m.tolist() == [0.0, 0.0]
