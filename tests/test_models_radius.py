"""The radius model on tiny hand-checked fixtures, plus its search against brute force.

Radii come from the shipped ``layers/coverage_models.yaml``: 4G urban 1000 m, 4G rural
5000 m, 2G rural 8000 m. Coordinates are metres, x east, y north; bearings 0° = north,
clockwise.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coverage_gis.models import RadiusModel, create_model, load_model_settings
from coverage_gis.models.base import (
    CandidatePairs,
    CellArrays,
    CoverageModel,
    ReceiverArrays,
    pairs_within_reach,
)

SETTINGS = load_model_settings()
NAN = math.nan


def make_cells(
    xy: list[tuple[float, float]],
    *,
    tech: list[str] | str = "4G",
    environment: list[str] | str = "urban",
    azimuth_deg: list[float] | float = NAN,
    beamwidth_deg: list[float] | float = 65.0,
) -> CellArrays:
    n = len(xy)

    def col(value: list[float] | float) -> np.ndarray:
        return np.asarray(value if isinstance(value, list) else [value] * n, dtype=np.float64)

    def text(value: list[str] | str) -> np.ndarray:
        return np.asarray(value if isinstance(value, list) else [value] * n, dtype="<U8")

    return CellArrays(
        x_m=np.asarray([p[0] for p in xy], dtype=np.float64),
        y_m=np.asarray([p[1] for p in xy], dtype=np.float64),
        tech=text(tech),
        band_mhz=col(1800.0),
        azimuth_deg=col(azimuth_deg),
        beamwidth_deg=col(beamwidth_deg),
        eirp_dbm=col(60.0),
        tilt_deg=col(4.0),
        height_m=col(30.0),
        environment=text(environment),
    )


def make_receivers(xy: list[tuple[float, float]]) -> ReceiverArrays:
    return ReceiverArrays(
        x_m=np.asarray([p[0] for p in xy], dtype=np.float64),
        y_m=np.asarray([p[1] for p in xy], dtype=np.float64),
    )


def served_receivers(pairs: CandidatePairs) -> set[int]:
    return {int(r) for r in pairs.receiver[pairs.served]}


def served_flags(model: RadiusModel, receivers: ReceiverArrays, cells: CellArrays) -> list[bool]:
    served = served_receivers(model.candidate_pairs(receivers, cells))
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


def test_radius_depends_on_tech_and_environment(model: RadiusModel) -> None:
    # Receiver 6 km east of each cell. 2G rural = 8000 m (served), 4G rural = 5000 m
    # (not), 5G rural = 1500 m (not), 2G urban = 1500 m (not).
    cells = make_cells(
        [(0.0, 0.0), (0.0, 100_000.0), (0.0, 200_000.0), (0.0, 300_000.0)],
        tech=["2G", "4G", "5G", "2G"],
        environment=["rural", "rural", "rural", "urban"],
    )
    receivers = make_receivers([(6000.0, 0.0), (6000.0, 100_000.0), (6000.0, 200_000.0), (6000.0, 300_000.0)])
    assert served_flags(model, receivers, cells) == [True, False, False, False]
    np.testing.assert_array_equal(model.max_range_m(cells), [8000.0, 5000.0, 1500.0, 1500.0])


# ----------------------------------------------------------------- sectors


def test_sector_pointing_toward_serves_and_away_does_not(model: RadiusModel) -> None:
    # Cell azimuth 90° (east), beamwidth 65° -> serves bearings 57.5°..122.5°.
    # (500, 0): bearing 90°, offset 0 -> served.
    # (-500, 0): bearing 270°, offset 180° -> not served (in radius: a candidate).
    # (0, 500): bearing 0°, offset 90° > 32.5° -> not served.
    cells = make_cells([(0.0, 0.0)], azimuth_deg=90.0)
    receivers = make_receivers([(500.0, 0.0), (-500.0, 0.0), (0.0, 500.0)])
    pairs = model.candidate_pairs(receivers, cells)
    assert served_flags(model, receivers, cells) == [True, False, False]
    assert len(pairs) == 3  # all three within 1000 m: candidates, two unserved
    assert np.isnan(pairs.signal_dbm[~pairs.served]).all()
    assert np.isfinite(pairs.signal_dbm[pairs.served]).all()


def test_sector_wraps_around_north(model: RadiusModel) -> None:
    # Azimuth 350°, beamwidth 65° -> serves 317.5°..(360°)..22.5°.
    # bearing 10°: offset +20° -> served; bearing 330°: offset -20° -> served;
    # bearing 30°: offset +40° -> not; bearing 310°: offset -40° -> not.
    def at(bearing: float) -> tuple[float, float]:
        rad = math.radians(bearing)
        return (500.0 * math.sin(rad), 500.0 * math.cos(rad))

    cells = make_cells([(0.0, 0.0)], azimuth_deg=350.0)
    receivers = make_receivers([at(10.0), at(330.0), at(30.0), at(310.0)])
    assert served_flags(model, receivers, cells) == [True, True, False, False]


def test_bearing_exactly_on_the_beam_edge_is_served(model: RadiusModel) -> None:
    # Azimuth 0°, beamwidth 90° -> edges at bearings 315° and 45°.
    # (500, 500): bearing atan2(500, 500) = 45° exactly -> served.
    # (-500, 500): bearing 315° -> served.
    # (500.01, 500): bearing atan(500.01/500) = 45.00057° -> not served.
    cells = make_cells([(0.0, 0.0)], azimuth_deg=0.0, beamwidth_deg=90.0)
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
    # Site A at (0, 0): 4G rural sector, azimuth 90°, beamwidth 65° (radius 5000 m).
    # Site B at (10000, 0): 2G rural omni (radius 8000 m) and 4G rural sector azimuth 270°.
    # Village 0 at (4000, 0): A d=4000, bearing 90 -> served by A-4G; B d=6000:
    #   2G omni served (6000 <= 8000), B-4G d=6000 > 5000 -> not a candidate.
    # Village 1 at (0, 4000): A d=4000, bearing 0, offset 90 -> not served by A;
    #   B d=sqrt(1e8 + 1.6e7)=10770 > 8000 -> none. Uncovered.
    # Village 2 at (7000, 3000): A d=7616 > 5000 -> none; B d=sqrt(9e6+9e6)=4243:
    #   2G omni served; B-4G bearing atan2(-3000, 3000) = 315°, offset 45° > 32.5 -> not.
    cells = make_cells(
        [(0.0, 0.0), (10_000.0, 0.0), (10_000.0, 0.0)],
        tech=["4G", "2G", "4G"],
        environment="rural",
        azimuth_deg=[90.0, NAN, 270.0],
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
            draw(st.sampled_from([900.0, 1800.0, 2100.0, 2600.0, 3500.0])),
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
@given(receivers=receiver_arrays(), cells=cell_arrays(max_size=12))
def test_property_matches_brute_force(receivers: ReceiverArrays, cells: CellArrays) -> None:
    # Served iff d <= radius and (omni or |wrapped bearing - azimuth| <= beamwidth/2),
    # evaluated on the full receiver x cell matrix with plain trigonometry.
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
    near_edge = (np.abs(d - radius) < 1e-6) | (np.abs(offset - cells.beamwidth_deg / 2) < 1e-6)
    want = (d <= radius) & (omni[None, :] | (offset <= cells.beamwidth_deg[None, :] / 2) | (d == 0))
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


def test_signal_estimate_is_the_link_budget_level(model: RadiusModel) -> None:
    # The radius model's signal for a served pair is the path-loss model's level
    # (served flags differ, levels agree): same receiver, same omni cell.
    from coverage_gis.models import PathlossModel

    cells = make_cells([(0.0, 0.0)])
    receivers = make_receivers([(500.0, 0.0)])
    radius_pairs = model.candidate_pairs(receivers, cells)
    pathloss_pairs = PathlossModel(SETTINGS, workers=1).candidate_pairs(receivers, cells)
    np.testing.assert_allclose(radius_pairs.signal_dbm, pathloss_pairs.signal_dbm)
