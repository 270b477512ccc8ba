"""Real administrative boundaries shipped in ``data/boundaries`` (censusVN2009, MIT).

Owns the province catalogue of the seed plans, reading commune polygons with their
GSO codes, attaching the 2025 crosswalk (old commune → 2025 commune) and the
clutter class each commune gives the coverage model.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio

from coverage_gis._resources import boundaries_dir
from coverage_gis.errors import NotFound

SEED_FILE = "seed_provinces_communes.gpkg"
NATIONAL_FILE = "vn_communes_2009.gpkg"
CROSSWALK_FILE = "admin_crosswalk_2025.csv"
ATTRIBUTION = "Commune boundaries and 2009 census population: censusVN2009, © 2017 Marc Choisy, MIT licence."


#: GSO codes of districts the shipped boundaries leave without one (units renamed or
#: merged after the 2009 census); KPIs by district need a code for every commune.
DISTRICT_CODE_FALLBACK: dict[tuple[str, str], str] = {
    ("46", "Thành phố Huế"): "474",
    ("46", "Huyện Nam Đông"): "483",
    ("60", "Huyện Phú Quý"): "602",
    ("24", "Huyện Yên Dũng"): "221",
}


@dataclass(frozen=True)
class Province:
    """A province of the seed plans."""

    slug: str
    code: str
    name: str
    plan: str
    mountain_side: str  # where the highlands lie, for synthetic terrain and village naming
    south: bool  # southern naming (ấp) vs central/northern (thôn)


PROVINCES: dict[str, Province] = {
    p.slug: p
    for p in (
        Province("binh-dinh", "52", "Tỉnh Bình Định", "binh-dinh-2025", "west", False),
        Province("binh-thuan", "60", "Tỉnh Bình Thuận", "binh-thuan-2023-2025", "north", True),
        Province("binh-phuoc", "70", "Tỉnh Bình Phước", "binh-phuoc-2023-2025", "north", True),
        Province("thua-thien-hue", "46", "Thành phố Huế", "thua-thien-hue-2023-2025", "west", False),
        Province("bac-giang", "24", "Tỉnh Bắc Giang", "bac-giang-2023-2025", "east", False),
    )
}


def province(slug_or_code: str) -> Province:
    """Look a seed province up by slug (``binh-dinh``) or GSO code (``52``)."""
    for p in PROVINCES.values():
        if slug_or_code in (p.slug, p.code):
            return p
    raise NotFound(f"unknown province {slug_or_code!r}; choose one of {', '.join(PROVINCES)}")


def environment_of(commune_names: pd.Series) -> np.ndarray:
    """Clutter class from the unit type: phường urban, thị trấn suburban, xã rural."""
    lowered = commune_names.fillna("").str.casefold()
    return np.select(
        [lowered.str.startswith("phường"), lowered.str.startswith("thị trấn")],
        ["urban", "suburban"],
        default="rural",
    )


def read_crosswalk(folder: Path | None = None) -> pd.DataFrame:
    """One row per old commune code: its 2025 province and commune."""
    path = (folder or boundaries_dir()) / CROSSWALK_FILE
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    # A commune split between several new communes appears once per part: keep the
    # whole-merge row when there is one so each old commune maps to one new commune.
    table["_whole"] = (table["merge_note"] != "Nhập toàn bộ").astype(int)
    table = table.sort_values(["old_commune_code", "_whole"], kind="stable")
    table = table.drop_duplicates("old_commune_code", keep="first")
    return table[
        [
            "old_commune_code",
            "new_province_code",
            "new_province_name",
            "new_commune_code",
            "new_commune_name",
            "merge_note",
        ]
    ].rename(columns={"old_commune_code": "commune_code"})


def fill_district_codes(communes: pd.DataFrame) -> pd.DataFrame:
    """Give every commune a district code: the known GSO code, else a stable stand-in.

    The stand-in is ``9`` + the census district digits, which cannot collide with a GSO
    district code of the same province.
    """
    codes = communes["district_code"].astype(object)
    missing = (codes.isna() | (codes == "")).to_numpy()
    if not missing.any():
        return communes
    out = communes.copy()
    keys = zip(out["province_code"], out["district_name"], strict=True)
    fallback = pd.Series([DISTRICT_CODE_FALLBACK.get(k) for k in keys], index=out.index, dtype=object)
    filled = codes.where(~missing, fallback)
    still = filled.isna().to_numpy()
    stand_in = "9" + out["census_commune_id"].astype(str).str[2:4]
    out["district_code"] = filled.where(~still, stand_in)
    return out


def load_communes(
    provinces: list[str] | None = None,
    *,
    national: bool = False,
    folder: Path | None = None,
) -> gpd.GeoDataFrame:
    """Communes of the given provinces (slugs or codes) with crosswalk and environment.

    Parameters
    ----------
    provinces
        Seed province slugs or GSO codes; ``None`` means all five seed provinces
        (or all of Vietnam when ``national``).
    national
        Read the national file (11,163 communes) instead of the seed-province file.
    """
    base = folder or boundaries_dir()
    path = base / (NATIONAL_FILE if national else SEED_FILE)
    communes = pyogrio.read_dataframe(path, layer="communes")
    if provinces:
        codes = [province(p).code if not national else _code_any(p) for p in provinces]
        communes = communes[communes["province_code"].isin(codes)]
        if communes.empty:
            raise NotFound(f"no communes for provinces {provinces} in {path}")
    communes = communes.copy()
    communes["commune_code"] = (
        communes["commune_code"]
        .astype(object)
        .where(communes["commune_code"].notna() & (communes["commune_code"] != ""), None)
    )
    crosswalk = read_crosswalk(base)
    merged = communes.merge(crosswalk, on="commune_code", how="left")
    merged["environment"] = environment_of(merged["commune_name"])
    merged = fill_district_codes(merged)
    merged = merged.sort_values(["province_code", "district_code", "census_commune_id"], kind="stable")
    return gpd.GeoDataFrame(merged.reset_index(drop=True), geometry="geometry", crs=communes.crs)


def _code_any(slug_or_code: str) -> str:
    if slug_or_code.isdigit():
        return slug_or_code.zfill(2)
    return province(slug_or_code).code
