"""OpenCellID cell exports → the ``sites`` and ``cells`` layers.

An OpenCellID CSV has one row per cell with the columns :data:`OCID_COLUMNS`
(the header is optional in the published dumps). This module owns turning it
into the workspace's data model:

- rows whose MCC is not 452 (Vietnam) are skipped and counted in the notes;
- ``radio`` GSM/CDMA → 2G, UMTS → 3G, LTE → 4G, NR → 5G (other radios skipped);
- MNC → operator: 01 MobiFone, 02 VNPT (VinaPhone), 04 Viettel,
  05 Vietnamobile, anything else (07 Gmobile, ...) → Other;
- cells of one MCC at the same position rounded to 1e-5° (about 1 m) form one
  site ``OCID-<mcc>-<lon>-<lat>``; cell ids are ``OCID-<mcc>-<mnc>-<area>-<cell>``;
- a site's ``commissioned`` date is its earliest cell's ``created`` time
  (unix seconds, as a date in Vietnam time, UTC+7);
- everything is ``on_air``; cells are omni (azimuth unknown, beamwidth 360°),
  ``range`` goes to ``cells.range_m`` and the band is the usual one for the
  technology in Vietnam (OpenCellID does not report it).
"""

from __future__ import annotations

from datetime import timedelta, timezone
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from coverage_gis.crs import STORAGE_CRS
from coverage_gis.errors import LayerValidationError
from coverage_gis.io.csv_points import decode_text, parse_numbers, read_table

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
#: Carrier band assumed per technology (MHz), the most common in Vietnam.
TECH_BAND_MHZ: dict[str, float] = {"2G": 900.0, "3G": 2100.0, "4G": 1800.0, "5G": 3500.0}
_POSITION_DECIMALS = 5
_VIETNAM_TIME = timezone(timedelta(hours=7))


def looks_like_opencellid(head: str) -> bool:
    """Whether the start of a CSV is an OpenCellID export (by header, or by shape without one)."""
    lines = [line for line in head.splitlines() if line.strip()]
    if not lines:
        return False
    first = [c.strip().strip('"').casefold() for c in lines[0].split(",")]
    if {c.casefold() for c in _REQUIRED} <= set(first):
        return True
    return len(first) == len(OCID_COLUMNS) and first[0].upper() in RADIO_TECH


def _has_header(text: str) -> bool:
    first = text.lstrip().split("\n", 1)[0]
    return "mcc" in {c.strip().strip('"').casefold() for c in first.split(",")}


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


def read_opencellid(path: Path, *, notes: list[str] | None = None) -> dict[str, pd.DataFrame]:
    """Read an OpenCellID cell CSV into raw ``sites`` and ``cells`` frames.

    Parameters
    ----------
    path
        The CSV, with or without the header line.
    notes
        Gets the counts of skipped rows (other countries, unknown radios).

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
    text = decode_text(path.read_bytes(), source=source)
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
        shown = ", ".join(str(r) for r in skipped[:10]) + (", ..." if len(skipped) > 10 else "")
        notes.append(f"skipped {len(skipped)} row(s) with MCC other than 452 (not Vietnam): rows {shown}")
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

    def ints(col: str) -> np.ndarray:
        return _as_int(
            parse_numbers(rows[col], source=source, field=col), rows[col], source=source, field=col
        )

    net, area, cell = ints("net"), ints("area"), ints("cell")
    lon = parse_numbers(rows["lon"], source=source, field="lon")
    lat = parse_numbers(rows["lat"], source=source, field="lat")
    empty = pd.Series([None] * len(rows), index=rows.index, dtype=object)
    range_m = parse_numbers(rows.get("range", empty), source=source, field="range", required=False)
    created = parse_numbers(rows.get("created", empty), source=source, field="created", required=False)
    tech = radio[rows.index].map(RADIO_TECH)
    mcc_ok = mcc[~foreign & ~unknown_radio]

    cell_ids = pd.Series(
        [f"OCID-{m}-{n:02d}-{a}-{c}" for m, n, a, c in zip(mcc_ok, net, area, cell, strict=True)],
        index=rows.index,
    )
    clash = cell_ids.duplicated(keep=False).to_numpy()
    if clash.any():
        # The same area/cell numbers can exist in two radio layers (LAC vs TAC).
        cell_ids[clash] = cell_ids[clash] + "-" + radio[rows.index][clash]

    lon_r = np.round(lon, _POSITION_DECIMALS)
    lat_r = np.round(lat, _POSITION_DECIMALS)
    site_ids = pd.Series(
        [
            f"OCID-{m}-{x:.{_POSITION_DECIMALS}f}-{y:.{_POSITION_DECIMALS}f}"
            for m, x, y in zip(mcc_ok, lon_r, lat_r, strict=True)
        ],
        index=rows.index,
    )
    operators = pd.Series([MNC_OPERATOR.get(int(n), "Other") for n in net], index=rows.index)
    cells = pd.DataFrame(
        {
            "cell_id": cell_ids,
            "site_id": site_ids,
            "operator": operators,
            "tech": tech,
            "band_mhz": tech.map(TECH_BAND_MHZ),
            "azimuth_deg": np.nan,
            "beamwidth_deg": 360.0,
            "status": "on_air",
            "range_m": range_m,
            "source": "opencellid",
        },
        index=rows.index,
    )

    per_site = pd.DataFrame(
        {"site_id": site_ids, "lon": lon_r, "lat": lat_r, "created": created, "operator": operators},
        index=rows.index,
    )
    grouped = per_site.groupby("site_id", sort=False)
    first = grouped.head(1)
    earliest = grouped["created"].min()
    owners = grouped["operator"].first().where(grouped["operator"].nunique() == 1, "")
    sites = gpd.GeoDataFrame(
        {
            "site_id": first["site_id"],
            "name": "",
            "owner": first["site_id"].map(owners),
            "status": "on_air",
            "commissioned": first["site_id"].map(_dates(earliest)),
            "source": "opencellid",
        },
        geometry=gpd.points_from_xy(first["lon"], first["lat"]),
        index=first.index,
        crs=STORAGE_CRS,
    )
    shared = int((owners == "").sum())
    notes.append(
        f"OpenCellID: {len(cells)} cells at {len(sites)} sites"
        + (f" ({shared} shared by several operators)" if shared else "")
        + "; cells are omni, band assumed from the technology"
    )
    return {"sites": sites, "cells": cells}
