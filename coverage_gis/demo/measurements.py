"""Synthetic speed tests for the demo: drawn from the model, with realistic noise, labelled synthetic.

No public measurement data exists for the demo's synthetic network, so the demo draws
it from the network itself (``source = "synthetic"`` on every row):

- a share of the villages get a few mobile tests each, at random points within
  ``spread_m`` of the centre, by an operator whose predicted 4G/3G level at the centre
  reaches the threshold (people subscribe to an operator that works at home), else any;
- each test runs on the best technology (5G, 4G, 3G) whose predicted level at the point
  (:func:`coverage_gis.calibration.predicted_levels`, the model's link budget) reaches the
  threshold; its measured level is that prediction plus ``offset_db`` plus log-normal
  shadowing (``noise_db``), with a few indoor outliers ``15``–``30`` dB weaker, clipped to
  the handset's reporting range;
- a test whose level reaches the threshold downloads at a rate that grows with the
  margin above threshold up to a peak per technology, times log-normal noise; below
  threshold it finds no service (0 Mb/s);
- villages with FTTH get a few fixed FTTH tests around a 230 Mb/s median;
- ``disagreements`` villages the model counts as covered get only no-service tests
  (levels 3–12 dB below threshold; ids ``<prefix>-D-<village>-<n>``), so the challenge
  list has something to show.

The same generator and seed give the same tests. :func:`add_synthetic_measurements`
writes them into a workspace as its ``speed_tests`` layer, in one revision.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd

from coverage_gis.calibration import REPORTING_CEILING_DBM, predicted_levels
from coverage_gis.crs import STORAGE_CRS, metric_to_lonlat
from coverage_gis.models import load_model_settings
from coverage_gis.models.settings import ModelSettings
from coverage_gis.network import points_xy_m
from coverage_gis.revisions import RevisionRecord
from coverage_gis.vocabulary import NAMED_OPERATORS

if TYPE_CHECKING:
    from coverage_gis.engine import Analysis
    from coverage_gis.workspace import Workspace

#: Peak download per technology, Mb/s (a good cell, little load).
PEAK_MBPS: dict[str, float] = {"3G": 14.0, "4G": 150.0, "5G": 700.0}
#: Typical latency per technology, ms.
LATENCY_MS: dict[str, float] = {"3G": 60.0, "4G": 35.0, "5G": 18.0, "FTTH": 8.0}
#: Median download of the synthetic FTTH tests, Mb/s.
FTTH_MEDIAN_MBPS = 230.0
_MOBILE_TECHS = ("5G", "4G", "3G")
_FLOOR_DBM = -140.0
_PERIOD = (date(2025, 4, 1), 91)


def _download_mbps(tech: np.ndarray, above_threshold_db: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Rate from the level's margin above threshold: 40 dB above reaches the peak."""
    peak = np.array([PEAK_MBPS.get(t, 0.0) for t in tech])
    fraction = np.clip(above_threshold_db / 40.0, 0.03, 1.0) ** 1.3
    return np.asarray(peak * fraction * rng.lognormal(0.0, 0.3, len(tech)), dtype=np.float64)


def _operators(
    analysis: Analysis,
    vx: np.ndarray,
    vy: np.ndarray,
    owner: np.ndarray,
    rng: np.random.Generator,
    *,
    settings: ModelSettings,
) -> np.ndarray:
    """An operator per test: people subscribe to an operator that works at home.

    Chosen among the operators whose 4G (else 3G) level at the village centre reaches the
    threshold, else among all four.
    """
    villages = np.unique(owner)
    usable: dict[int, list[str]] = {int(v): [] for v in villages}
    for name in NAMED_OPERATORS:
        for tech in ("4G", "3G"):
            level, _ = predicted_levels(
                vx[villages],
                vy[villages],
                np.full(len(villages), tech, dtype=object),
                np.full(len(villages), name, dtype=object),
                analysis.cells,
                model_name=analysis.model.name,
                metric_crs=analysis.metric_crs,
                dem_path=analysis.ws.dem_path,
                settings=settings,
            )
            for v, ok in zip(
                villages, np.nan_to_num(level, nan=-np.inf) >= settings.threshold_dbm[tech], strict=True
            ):
                if ok and name not in usable[int(v)]:
                    usable[int(v)].append(name)
    return np.array([str(rng.choice(usable[int(v)] or list(NAMED_OPERATORS))) for v in owner], dtype=object)


def generate_measurements(
    analysis: Analysis,
    rng: np.random.Generator,
    *,
    village_share: float = 0.6,
    tests_per_village: tuple[int, int] = (3, 8),
    spread_m: float = 300.0,
    noise_db: float = 6.0,
    offset_db: float = 0.0,
    outlier_share: float = 0.03,
    ftth_share: float = 0.4,
    disagreements: int = 0,
    disagreement_provinces: Sequence[str] | None = None,
    prefix: str = "SYN",
) -> gpd.GeoDataFrame:
    """Synthetic ``speed_tests`` drawn from the analysed network.

    Parameters
    ----------
    analysis
        The workspace's analysis (coverage, cells, model).
    rng
        Random generator (seed it for reproducible tests).
    village_share
        Share of villages that get mobile tests.
    tests_per_village
        Inclusive range of mobile tests per chosen village.
    spread_m
        Tests fall uniformly within this distance of the village centre.
    noise_db
        Standard deviation of the shadowing added to the predicted level.
    offset_db
        Constant added to every measured level (a model bias to recover).
    outlier_share
        Share of tests made 15–30 dB weaker (indoors, in a pocket).
    ftth_share
        Share of villages with FTTH that get fixed tests.
    disagreements
        Villages covered by the model whose tests all find no service.
    disagreement_provinces
        Province codes the deliberate disagreements are drawn from (all when None),
        e.g. ``["52"]`` for Bình Định only in a multi-province demo.
    prefix
        Start of every ``test_id``.

    Returns
    -------
    GeoDataFrame
        Rows of the ``speed_tests`` layer, ``source = "synthetic"``.
    """
    settings = load_model_settings(analysis.ws.model_settings_path)
    metric = analysis.metric_crs
    villages = analysis.layers.villages
    coverage = analysis.coverage.set_index("village_id").loc[villages["village_id"]].reset_index()
    n_villages = len(villages)
    vx, vy = points_xy_m(villages, metric)
    chosen = np.flatnonzero(rng.random(n_villages) < village_share)
    covered = coverage["mobile_bb"].to_numpy(dtype=bool)
    eligible = covered.copy()
    if disagreement_provinces is not None:
        eligible &= villages["province_code"].isin(list(disagreement_provinces)).to_numpy(dtype=bool)
    candidates = chosen[eligible[chosen]]
    failing = set(
        rng.choice(candidates, size=min(disagreements, len(candidates)), replace=False).tolist()
        if disagreements
        else []
    )
    counts = rng.integers(tests_per_village[0], tests_per_village[1] + 1, size=len(chosen))
    # Deliberate disagreements get the most tests, so that they pass any minimum sample.
    counts[np.isin(chosen, list(failing))] = tests_per_village[1]
    owner = np.repeat(chosen, counts)
    n = len(owner)
    angle = rng.uniform(0.0, 2.0 * np.pi, n)
    distance = spread_m * np.sqrt(rng.uniform(0.0, 1.0, n))
    x = vx[owner] + distance * np.cos(angle)
    y = vy[owner] + distance * np.sin(angle)
    operator = _operators(analysis, vx, vy, owner, rng, settings=settings)
    # The phone camps on the best technology whose predicted level reaches its threshold.
    levels: dict[str, np.ndarray] = {}
    for name in _MOBILE_TECHS:
        levels[name], _ = predicted_levels(
            x,
            y,
            np.full(n, name, dtype=object),
            operator,
            analysis.cells,
            model_name=analysis.model.name,
            metric_crs=metric,
            dem_path=analysis.ws.dem_path,
            settings=settings,
        )
    # Without any technology in reach the test reports 4G (else 3G, else 5G) below threshold.
    tech = np.full(n, "4G", dtype=object)
    predicted = levels["4G"].copy()
    for t in ("3G", "5G"):
        fallback = np.isnan(predicted) & np.isfinite(levels[t])
        tech[fallback] = t
        predicted[fallback] = levels[t][fallback]
    for t in reversed(_MOBILE_TECHS):  # 3G, 4G, 5G: the best technology that reaches wins
        reaches = np.nan_to_num(levels[t], nan=-np.inf) >= settings.threshold_dbm[t]
        tech[reaches] = t
        predicted[reaches] = levels[t][reaches]
    threshold = np.array([settings.threshold_dbm[t] for t in tech])
    measured = predicted + offset_db + rng.normal(0.0, noise_db, n)
    outlier = rng.random(n) < outlier_share
    measured[outlier] -= rng.uniform(15.0, 30.0, int(outlier.sum()))
    forced = np.isin(owner, list(failing))
    measured[forced] = threshold[forced] - rng.uniform(3.0, 12.0, int(forced.sum()))
    ceiling = np.array([REPORTING_CEILING_DBM[t] for t in tech])
    measured = np.clip(measured, _FLOOR_DBM, ceiling)
    served = np.nan_to_num(measured, nan=-np.inf) >= threshold
    download = np.where(served, _download_mbps(tech, measured - threshold, rng), 0.0)
    upload = download * rng.uniform(0.15, 0.35, n)
    latency = np.where(served, np.array([LATENCY_MS[t] for t in tech]) * rng.lognormal(0.0, 0.25, n), np.nan)
    ids = villages["village_id"].to_numpy(dtype=object)
    mobile = pd.DataFrame(
        {
            # "D" marks the tests of a deliberate disagreement, "M" the others.
            "test_id": [
                f"{prefix}-{'D' if f else 'M'}-{ids[v]}-{i}"
                for i, (v, f) in enumerate(zip(owner, forced, strict=True))
            ],
            "kind": "mobile",
            "tech": tech,
            "operator": operator,
            "download_mbps": np.round(download, 2),
            "upload_mbps": np.round(upload, 2),
            "latency_ms": np.round(latency, 1),
            "signal_dbm": np.round(measured, 1),
            "x": x,
            "y": y,
        }
    )
    fixed = _ftth_tests(villages, coverage, vx, vy, rng, share=ftth_share, spread_m=spread_m, prefix=prefix)
    frame = pd.concat([mobile, fixed], ignore_index=True)
    start, days = _PERIOD
    frame["measured"] = [
        (start + timedelta(days=int(d))).isoformat() for d in rng.integers(0, days, len(frame))
    ]
    frame["tests"] = 1
    frame["devices"] = 1
    frame["source"] = "synthetic"
    lon, lat = metric_to_lonlat(frame["x"].to_numpy(dtype=float), frame["y"].to_numpy(dtype=float), metric)
    return gpd.GeoDataFrame(
        frame.drop(columns=["x", "y"]), geometry=gpd.points_from_xy(lon, lat), crs=STORAGE_CRS
    )


def _ftth_tests(
    villages: gpd.GeoDataFrame,
    coverage: pd.DataFrame,
    vx: np.ndarray,
    vy: np.ndarray,
    rng: np.random.Generator,
    *,
    share: float,
    spread_m: float,
    prefix: str,
) -> pd.DataFrame:
    with_ftth = np.flatnonzero(coverage["ftth"].to_numpy(dtype=bool))
    chosen = with_ftth[rng.random(len(with_ftth)) < share]
    owner = np.repeat(chosen, rng.integers(1, 4, size=len(chosen)))
    n = len(owner)
    angle = rng.uniform(0.0, 2.0 * np.pi, n)
    distance = spread_m * np.sqrt(rng.uniform(0.0, 1.0, n))
    ops = coverage["ftth_operators"].fillna("").to_numpy(dtype=object)[owner]
    download = FTTH_MEDIAN_MBPS * rng.lognormal(0.0, 0.35, n)
    ids = villages["village_id"].to_numpy(dtype=object)
    return pd.DataFrame(
        {
            "test_id": [f"{prefix}-F-{ids[v]}-{i}" for i, v in enumerate(owner)],
            "kind": "fixed",
            "tech": "FTTH",
            "operator": [rng.choice(o.split(",")) if o else "VNPT" for o in ops],
            "download_mbps": np.round(download, 2),
            "upload_mbps": np.round(download * rng.uniform(0.6, 1.0, n), 2),
            "latency_ms": np.round(LATENCY_MS["FTTH"] * rng.lognormal(0.0, 0.3, n), 1),
            "signal_dbm": np.nan,
            "x": vx[owner] + distance * np.cos(angle),
            "y": vy[owner] + distance * np.sin(angle),
        }
    )


def add_synthetic_measurements(
    ws: Workspace,
    *,
    seed: int,
    disagreements: int = 0,
    disagreement_provinces: Sequence[str] | None = None,
    author: str = "coverage_gis.demo",
    fixed_timestamp: str | None = None,
) -> int:
    """Generate synthetic speed tests for a workspace and write them as its ``speed_tests`` layer.

    Parameters
    ----------
    ws
        A workspace with villages and a network (coverage is computed if needed).
    seed
        Seed of the generator.
    disagreements
        Villages covered by the model whose tests find no service (3 for the Bình Định demo).
    disagreement_provinces
        Province codes they are drawn from (all when None).
    author
        Revision author.
    fixed_timestamp
        Time of the revision and the GeoPackage metadata instead of now (a demo
        workspace is byte-reproducible).

    Returns
    -------
    int
        The number of tests written.
    """
    from coverage_gis.engine import load

    tests = generate_measurements(
        load(ws),
        np.random.default_rng(seed),
        disagreements=disagreements,
        disagreement_provinces=disagreement_provinces,
    )
    record = RevisionRecord(
        summary=f"{len(tests)} synthetic speed tests (seed {seed}, {disagreements} deliberate disagreements)",
        author=author,
        changed_ids=[],
    )
    ws.write_layers(
        {"speed_tests": tests},
        source="coverage_gis.demo.measurements",
        revision=record,
        fixed_timestamp=fixed_timestamp,
    )
    return len(tests)
