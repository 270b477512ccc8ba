"""OpenCellID cell exports → the ``sites`` and ``cells`` layers.

An OpenCellID CSV has one row per cell with the columns :data:`OCID_COLUMNS`
(the header is optional in the published dumps). This module owns turning it
into the workspace's data model:

- rows whose MCC is not 452 (Vietnam) are skipped and counted in the notes;
- ``radio`` GSM/CDMA → 2G, UMTS → 3G, LTE → 4G, NR → 5G (other radios skipped);
- MNC → operator: 01 MobiFone, 02 VNPT (VinaPhone), 04 Viettel,
  05 Vietnamobile, anything else (07 Gmobile, ...) → Other;
- a cell's position is a crowd-sourced estimate of *that cell* (the mean of the
  handsets that heard it, ``samples`` of them; ``range`` is the area it may lie in),
  so cells are grouped into sites by their operator's **base-station id**, not by
  position (:func:`base_station_key`): LTE eNB = ECI >> 8; NR gNB = NCI >>
  (36 − :data:`NR_GNB_ID_BITS`); UMTS RNC = long cell id >> 16 and NodeB = the
  16-bit C-ID without its last decimal digit (the sector); GSM/CDMA the LAC and the
  CI without its last decimal digit (Vietnamese operators number a BTS's sectors
  1–3 in that digit, 0 for omni). Sites are ``OCID-<mcc>-<mnc>-<key>``; cell ids
  ``OCID-<mcc>-<mnc>-<area>-<cell>``. Base stations of different technologies on one
  mast stay separate sites: the file links them by nothing but estimated positions;
- a site stands at the samples-weighted mean of its cells' estimates; its
  ``position_uncertainty_m`` is the largest distance from there to one of those
  estimates, and at least the smallest ``range`` of its cells; a range of 0 is
  unknown (OpenCellID could not estimate it), and a site with no known range whose
  cells' estimates coincide has an unknown uncertainty. Each cell keeps its
  ``samples`` and its ``range`` (``range_m``, missing when unknown);
- a cell whose estimated position lies outside Vietnam (a bogus fix at 0, 0) is left out, with
  a note (the file is refused only when none lies inside);
- cells estimated from fewer than ``min_samples`` measurements are dropped (and
  counted in the notes), a site with none left with them;
- a site's ``commissioned`` date is its earliest cell's ``created`` time
  (unix seconds, as a date in Vietnam time, UTC+7);
- several rows of one cell (radio, network, area and cell number: a full export with a later
  diff appended) are read as the most recently ``updated`` of them, with a note;
- everything is ``on_air``; cells are omni (azimuth unknown, beamwidth 360°) and the
  band is left blank (OpenCellID does not report it): validation gives each cell its
  technology's usual band (``band_mhz``'s ``default_by`` in ``layers/cells.yaml``), with a note.
"""

from __future__ import annotations

import collections
from datetime import timedelta, timezone
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from coverage_gis._strings import str_array
from coverage_gis.crs import STORAGE_CRS
from coverage_gis.errors import LayerValidationError
from coverage_gis.io.csv_points import parse_numbers, read_table
from coverage_gis.io.row_text import rows_listed
from coverage_gis.io.table_shape import sniff_delimiter
from coverage_gis.text_encoding import decode_text
from coverage_gis.validation import VIETNAM_BBOX, inside_vietnam

#: Columns of an OpenCellID cell export, in file order.
OCID_COLUMNS: tuple[str, ...] = (
    "radio",
    "mcc",
    "net",
    "area",
    "cell",
    "unit",
    "lon",
    "lat",
    "range",
    "samples",
    "changeable",
    "created",
    "updated",
    "averageSignal",
)
_REQUIRED = ("radio", "mcc", "net", "area", "cell", "lon", "lat")
VIETNAM_MCC = 452
#: OpenCellID radio → technology.
RADIO_TECH: dict[str, str] = {"GSM": "2G", "CDMA": "2G", "UMTS": "3G", "LTE": "4G", "NR": "5G"}
#: Vietnamese MNC → operator (VinaPhone is VNPT's mobile brand); others are "Other".
MNC_OPERATOR: dict[int, str] = {1: "MobiFone", 2: "VNPT", 4: "Viettel", 5: "Vietnamobile"}
_POSITION_DECIMALS = 5
#: A site whose cells' estimates lie farther than this from it is named in a note: a stray
#: crowd-sourced estimate has pulled it (its ``position_uncertainty_m`` says by how much).
SCATTERED_M = 10_000.0
_VIETNAM_TIME = timezone(timedelta(hours=7))
#: Length of the gNB ID inside an NR cell identity (3GPP TS 38.413: 22–32 bits; 24 is the
#: common choice), so gNB = NCI >> (36 − 24).
NR_GNB_ID_BITS = 24
#: Metres per degree of latitude (for the spread of a site's cell estimates).
_M_PER_DEG = 111_320.0


def base_station_key(radio: str, area: int, cell: int) -> str:
    """The base station a cell belongs to, as the part of a site id after the operator.

    ``L<eNB>`` for LTE (ECI >> 8), ``N<gNB>`` for NR (NCI >> (36 − :data:`NR_GNB_ID_BITS`)),
    ``U<RNC>-<NodeB>`` for UMTS (long cell id = 65536 · RNC + C-ID; NodeB = C-ID // 10),
    ``G<LAC>-<BTS>`` for GSM and CDMA (BTS = CI // 10).
    """
    if radio == "LTE":
        return f"L{cell >> 8}"
    if radio == "NR":
        return f"N{cell >> (36 - NR_GNB_ID_BITS)}"
    if radio == "UMTS":
        return f"U{cell >> 16}-{(cell & 0xFFFF) // 10}"
    return f"G{area}-{cell // 10}"


def looks_like_opencellid(head: str) -> bool:
    """Whether the start of a CSV is an OpenCellID export (by header, or by shape without one)."""
    lines = [line for line in head.splitlines() if line.strip()]
    if not lines:
        return False
    first = _cells(lines[0])
    if {c.casefold() for c in _REQUIRED} <= set(first):
        return True
    return len(first) == len(OCID_COLUMNS) and first[0].upper() in RADIO_TECH


def _has_header(text: str) -> bool:
    return "mcc" in _cells(text.lstrip().split("\n", 1)[0])


def _cells(line: str) -> list[str]:
    """The cells of a line, split on its delimiter (a comma, or the semicolon Excel writes
    where the decimal sign is a comma, as on Vietnamese Windows), folded for comparing."""
    return [c.strip().strip('"').casefold() for c in line.split(sniff_delimiter(line))]


def _as_int(values: np.ndarray, series: pd.Series, *, source: str, field: str) -> np.ndarray:
    fractional = ~np.isnan(values) & (values % 1 != 0)
    if fractional.any():
        i = int(np.flatnonzero(fractional)[0])
        raise LayerValidationError(
            f"{series.iloc[i]!r} is not a whole number", source=source, row=int(series.index[i]), field=field
        )
    return values.astype(np.int64)


def _dates(unix_s: pd.Series) -> pd.Series:
    """Unix seconds → ``YYYY-MM-DD`` in Vietnam time; missing or non-positive → None."""
    valid = unix_s.where(unix_s > 0)
    stamps = pd.to_datetime(valid, unit="s", utc=True).dt.tz_convert(_VIETNAM_TIME)
    return stamps.dt.strftime("%Y-%m-%d").astype(object).where(stamps.notna(), None)


def read_opencellid(
    path: Path, *, notes: list[str] | None = None, min_samples: int = 1
) -> dict[str, pd.DataFrame]:
    """Read an OpenCellID cell CSV into raw ``sites`` and ``cells`` frames.

    Parameters
    ----------
    path
        The CSV, with or without the header line.
    notes
        Gets the counts of skipped rows (other countries, unknown radios, too few samples)
        and the text's encoding when it is not UTF-8.
    min_samples
        Drop cells whose position was estimated from fewer measurements (a missing
        ``samples`` value counts as 0 when this is above 1).

    Returns
    -------
    dict
        ``{"sites": GeoDataFrame, "cells": DataFrame}``. Cells are indexed by
        their zero-based data row in the file; a site by the row of its first cell.

    Raises
    ------
    LayerValidationError
        Missing columns, non-numeric codes or coordinates, or no Vietnamese cells.
    """
    source = str(path)
    notes = notes if notes is not None else []
    text = decode_text(path.read_bytes(), source=source, notes=notes)
    if _has_header(text):
        raw = read_table(text, source=source)
        raw.columns = pd.Index([c if c == "averageSignal" else c.casefold() for c in raw.columns])
        missing = [c for c in _REQUIRED if c not in raw.columns]
        if missing:
            raise LayerValidationError(
                f"OpenCellID file lacks column(s) {', '.join(missing)}", source=source, field=missing[0]
            )
    else:
        raw = read_table(text, source=source, header=False, names=OCID_COLUMNS)
    if raw.empty:
        raise LayerValidationError("contains no cells", source=source)

    mcc = _as_int(
        parse_numbers(raw["mcc"], source=source, field="mcc"), raw["mcc"], source=source, field="mcc"
    )
    foreign = mcc != VIETNAM_MCC
    if foreign.any():
        skipped = raw.index[foreign].tolist()
        notes.append(
            f"skipped {len(skipped)} row(s) with MCC other than 452 (not Vietnam): "
            f"rows {rows_listed(skipped)}"
        )
    radio = raw["radio"].fillna("").str.strip().str.upper()
    unknown_radio = ~foreign & ~radio.isin(list(RADIO_TECH)).to_numpy()
    if unknown_radio.any():
        values = sorted(set(radio[unknown_radio]))
        notes.append(
            f"skipped {int(unknown_radio.sum())} row(s) with radio {', '.join(map(repr, values))} "
            f"(known: {', '.join(RADIO_TECH)})"
        )
    rows = raw[~foreign & ~unknown_radio]
    if rows.empty:
        raise LayerValidationError("contains no Vietnamese (MCC 452) cells", source=source)
    rows = _latest_of_each_cell(rows, radio, source=source, notes=notes)

    def ints(col: str) -> np.ndarray:
        return _as_int(
            parse_numbers(rows[col], source=source, field=col), rows[col], source=source, field=col
        )

    net, area, cell = ints("net"), ints("area"), ints("cell")
    lon = parse_numbers(rows["lon"], source=source, field="lon")
    lat = parse_numbers(rows["lat"], source=source, field="lat")
    empty = pd.Series([None] * len(rows), index=rows.index, dtype=object)
    range_m = parse_numbers(rows.get("range", empty), source=source, field="range", required=False)
    # A range of 0 (or less) is an estimate OpenCellID could not make (a cell heard too
    # few times): unknown, not a cell pinned to the metre.
    unknown_range = ~(range_m > 0) & np.isfinite(range_m)
    if unknown_range.any():
        range_m = np.where(unknown_range, np.nan, range_m)
        notes.append(f"{int(unknown_range.sum())} cell(s) with a range of 0 or less: range unknown")
    samples = parse_numbers(rows.get("samples", empty), source=source, field="samples", required=False)
    created = parse_numbers(rows.get("created", empty), source=source, field="created", required=False)
    radios = str_array(radio[rows.index])
    tech = radio[rows.index].map(RADIO_TECH)
    mcc_ok = mcc[raw.index.get_indexer(rows.index)]

    # A crowd-sourced estimate outside the country (a handset's bogus fix: 0, 0) places no
    # Vietnamese cell: left out, not a reason to refuse the country's file.
    astray = ~inside_vietnam(lon, lat)
    if astray.any():
        notes.append(
            f"left out {int(astray.sum())} cell(s) whose estimated position lies outside Vietnam "
            f"{VIETNAM_BBOX}: rows {rows_listed(rows.index[astray].tolist())}"
        )
        if astray.all():
            raise LayerValidationError("no cell's estimated position lies in Vietnam", source=source)
    weak = (
        np.nan_to_num(samples, nan=0.0) < min_samples if min_samples > 1 else np.zeros(len(rows), dtype=bool)
    ) & ~astray
    if weak.any():
        notes.append(
            f"dropped {int(weak.sum())} cell(s) estimated from fewer than {min_samples} samples (min_samples)"
        )
        if (weak | astray).all():
            raise LayerValidationError(f"no cell has at least {min_samples} samples", source=source)

    cell_ids = pd.Series(
        [f"OCID-{m}-{n:02d}-{a}-{c}" for m, n, a, c in zip(mcc_ok, net, area, cell, strict=True)],
        index=rows.index,
    )
    clash = cell_ids.duplicated(keep=False).to_numpy()
    if clash.any():
        # The same area/cell numbers can exist in two radio layers (LAC vs TAC).
        cell_ids[clash] = cell_ids[clash] + "-" + radio[rows.index][clash]

    site_ids = pd.Series(
        [
            f"OCID-{m}-{n:02d}-{base_station_key(r, int(a), int(c))}"
            for m, n, r, a, c in zip(mcc_ok, net, radios, area, cell, strict=True)
        ],
        index=rows.index,
    )
    operators = pd.Series([MNC_OPERATOR.get(int(n), "Other") for n in net], index=rows.index)
    keep = ~(weak | astray)
    other = collections.Counter(
        int(n) for n, k in zip(net, keep, strict=True) if k and int(n) not in MNC_OPERATOR
    )
    if other:
        listed = ", ".join(
            f"{n:02d} ({count} cell{'s' if count != 1 else ''})" for n, count in sorted(other.items())
        )
        notes.append(
            f"OpenCellID: MNC {listed} is no operator coverage-gis names "
            f"({', '.join(f'{n:02d} {o}' for n, o in MNC_OPERATOR.items())}): read as operator 'Other'"
        )
    cells = pd.DataFrame(
        {
            "cell_id": cell_ids,
            "site_id": site_ids,
            "operator": operators,
            "tech": tech,
            "azimuth_deg": np.nan,
            "beamwidth_deg": 360.0,
            "status": "on_air",
            "range_m": range_m,
            "samples": samples,
            "source": "opencellid",
        },
        index=rows.index,
    )[keep]
    sites = _sites(
        site_ids[keep], operators[keep], lon[keep], lat[keep], samples[keep], range_m[keep], created[keep]
    )
    scattered = sites[sites["position_uncertainty_m"] > SCATTERED_M]
    if len(scattered):
        worst = scattered.iloc[int(np.argmax(scattered["position_uncertainty_m"].to_numpy()))]
        notes.append(
            f"OpenCellID: {len(scattered)} site(s) whose cells' estimated positions lie more than "
            f"{SCATTERED_M / 1000:g} km from the site's (the most: {worst['site_id']}, "
            f"{worst['position_uncertainty_m'] / 1000:.1f} km): their positions are uncertain "
            "(position_uncertainty_m)"
        )
    notes.append(
        f"OpenCellID: {len(cells)} cells at {len(sites)} sites (grouped by base-station id: LTE eNB, "
        "NR gNB, UMTS RNC/NodeB, GSM LAC/BTS); cells are omni, band assumed from the technology"
    )
    return {"sites": sites, "cells": cells}


def _latest_of_each_cell(
    rows: pd.DataFrame, radio: pd.Series, *, source: str, notes: list[str]
) -> pd.DataFrame:
    """``rows`` with one row per cell (radio, network, area and cell number): where several
    rows give one cell (a full export with a later diff appended, a file pasted twice), the
    most recently ``updated`` (the last of those updated last), with a note."""
    key = pd.DataFrame(
        {
            "radio": radio[rows.index].to_numpy(dtype=object),
            **{
                c: _as_int(parse_numbers(rows[c], source=source, field=c), rows[c], source=source, field=c)
                for c in ("net", "area", "cell")
            },
        }
    )
    if not key.duplicated().any():
        return rows
    empty = pd.Series([None] * len(rows), index=rows.index, dtype=object)
    updated = parse_numbers(rows.get("updated", empty), source=source, field="updated", required=False)
    key["updated"] = np.nan_to_num(updated, nan=-np.inf)
    key["at"] = np.arange(len(rows))
    latest = key.sort_values(["updated", "at"], kind="stable").drop_duplicates(
        ["radio", "net", "area", "cell"], keep="last"
    )
    kept = np.sort(latest["at"].to_numpy())
    notes.append(
        f"OpenCellID: {len(rows) - len(kept)} row(s) give a cell another row gives too (same radio, network, "
        "area and cell: a full export with a later diff?); kept each cell's most recently updated row"
    )
    return rows.iloc[kept]


def _sites(
    site_ids: pd.Series,
    operators: pd.Series,
    lon: np.ndarray,
    lat: np.ndarray,
    samples: np.ndarray,
    range_m: np.ndarray,
    created: np.ndarray,
) -> gpd.GeoDataFrame:
    """One site per base station: samples-weighted position, spread, earliest creation."""
    weight = np.maximum(np.nan_to_num(samples, nan=1.0), 1.0)
    per_cell = pd.DataFrame(
        {
            "site_id": site_ids.to_numpy(dtype=object),
            "w": weight,
            "wlon": weight * lon,
            "wlat": weight * lat,
            "range": range_m,
            "created": created,
            "operator": operators.to_numpy(dtype=object),
        },
        index=site_ids.index,
    )
    grouped = per_cell.groupby("site_id", sort=False)
    sums = grouped[["w", "wlon", "wlat"]].sum()
    site_lon = sums["wlon"] / sums["w"]
    site_lat = sums["wlat"] / sums["w"]
    # Spread: distance from the site's position to each of its cells' estimates.
    dlat = (lat - site_lat.reindex(per_cell["site_id"]).to_numpy()) * _M_PER_DEG
    dlon = (lon - site_lon.reindex(per_cell["site_id"]).to_numpy()) * _M_PER_DEG * np.cos(np.radians(lat))
    spread = pd.Series(np.hypot(dlat, dlon), index=per_cell.index).groupby(per_cell["site_id"]).max()
    smallest_range = grouped["range"].min().reindex(spread.index).to_numpy()
    # Without a known range, a site whose cells' estimates coincide (one cell, most often)
    # has an unknown uncertainty, not none (its spread is 0 but for rounding).
    places = per_cell.assign(lon=lon, lat=lat).groupby("site_id", sort=False)[["lon", "lat"]].nunique()
    one_place = (places.max(axis=1) <= 1).reindex(spread.index).to_numpy()
    uncertainty = pd.Series(
        np.where(np.isnan(smallest_range) & one_place, np.nan, np.fmax(spread.to_numpy(), smallest_range)),
        index=spread.index,
    )
    owners = grouped["operator"].first().where(grouped["operator"].nunique() == 1, "")
    earliest = grouped["created"].min()
    first = per_cell.drop_duplicates("site_id")
    ids = first["site_id"]
    return gpd.GeoDataFrame(
        {
            "site_id": ids,
            "name": "",
            "owner": ids.map(owners),
            "status": "on_air",
            "commissioned": ids.map(_dates(earliest)),
            "position_uncertainty_m": ids.map(uncertainty.round(1)),
            "source": "opencellid",
        },
        geometry=gpd.points_from_xy(
            ids.map(site_lon.round(_POSITION_DECIMALS)), ids.map(site_lat.round(_POSITION_DECIMALS))
        ),
        index=first.index,
        crs=STORAGE_CRS,
    )
