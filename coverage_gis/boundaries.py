"""Real administrative boundaries shipped in ``data/boundaries`` (censusVN2009, MIT).

Owns the province catalogue (the seed plans' provinces, any of the 63 found by GSO
code, slug or name, and the 34 provinces of the 2025 structure with the former provinces
each took in), reading commune polygons with their
GSO codes and the 2025 crosswalk, and the clutter class each commune gives the
coverage model. Which 2025 commune each commune (or part of one) belongs to is
:mod:`coverage_gis.crosswalk`'s rule; :func:`load_boundaries` applies it.
"""

from __future__ import annotations

import difflib
import functools
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from coverage_gis._resources import boundaries_dir
from coverage_gis.crosswalk import assign_2025, context_provinces
from coverage_gis.errors import NotFound
from coverage_gis.text_forms import ascii_slug, folded_words

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


def province(name: str, *, folder: Path | None = None) -> Province:
    """Any province of the national commune file, by GSO code (``49``; ``1`` is ``01``), slug
    (``quang-nam``) or name (``Quảng Nam``, ``Tỉnh Quảng Nam``; case, diacritics and spacing
    aside). A seed province (:data:`PROVINCES`) is found without reading the file; any other
    is :func:`national_provinces`' (no plan).

    Raises
    ------
    NotFound
        No province is named so (the message suggests the nearest slugs).
    """
    key = name.strip()
    code = key.zfill(2) if key.isdigit() else None
    slug = _slug(key)
    seed = tuple(PROVINCES.values())
    found = _named(seed, code, slug)
    if found is not None:
        return found
    every = national_provinces(folder)
    found = _named(every, code, slug)
    if found is not None:
        return found
    raise _unknown("province", name, slug, [p.slug for p in every])


def _unknown(what: str, name: str, slug: str, slugs: Sequence[str]) -> NotFound:
    """The error for a ``what`` (``province``, ``2025 province``) no entry is named so,
    with the nearest of ``slugs`` to the name's ``slug``."""
    near = difflib.get_close_matches(slug, slugs, n=3)
    hint = f"; did you mean {' or '.join(near)}?" if near else f"; one of {', '.join(slugs)}"
    code = "2025 GSO code" if what.startswith("2025") else "GSO code"
    return NotFound(f"unknown {what} {name!r}: give its {code}, slug or name{hint}")


#: The slug that asks for every province of Vietnam (the demo's national scale).
ALL_VIETNAM = "all-vietnam"
#: Centroid latitude below which a province names its hamlets the southern way (ấp).
SOUTHERN_NAMING_BELOW_LAT = 11.8
#: Centroid latitude above which a province's highlands lie to its north (the north of
#: Vietnam, and the Mekong delta and south-east, where the uplands rise northward).
NORTHERN_HIGHLANDS_ABOVE_LAT = 20.0
NORTHERN_HIGHLANDS_BELOW_LAT = 11.2


def _named(provinces: Sequence[Province], code: str | None, slug: str) -> Province | None:
    """The province of ``provinces`` with GSO code ``code``, or whose slug or name's slug is ``slug``."""
    return next((p for p in provinces if code == p.code or slug in (p.slug, _slug(p.name))), None)


def _slug(name: str) -> str:
    """``Tỉnh Bà Rịa - Vũng Tàu`` → ``ba-ria-vung-tau`` (ASCII, the unit type dropped: also
    as abbreviated, ``TP. Hồ Chí Minh``)."""
    slug = ascii_slug(name)
    for prefix in ("thanh-pho-", "tinh-", "tp-"):
        if slug.startswith(prefix):
            return slug[len(prefix) :]
    return slug


@functools.lru_cache(maxsize=4)
def national_provinces(folder: Path | None = None) -> tuple[Province, ...]:
    """Every province of the national commune file, by GSO code (read once per folder:
    looking a province up by name and then loading its communes asks twice).

    The seed provinces are those of :data:`PROVINCES`; any other gets a slug from its
    name, no plan, southern naming south of :data:`SOUTHERN_NAMING_BELOW_LAT` and its
    highlands to the north in the north of the country and in the south (to the west
    elsewhere, where the Trường Sơn range runs along the western border).
    """
    base = folder or boundaries_dir()
    frame = pyogrio.read_dataframe(
        base / NATIONAL_FILE, layer="communes", columns=["province_code", "province_name"]
    )
    seed = {p.code: p for p in PROVINCES.values()}
    # Degrees are fine for telling north from south: no metric centroid needed.
    frame = frame.assign(lat=shapely.get_y(shapely.centroid(frame.geometry.to_numpy())))
    out: list[Province] = []
    for code, rows in frame.groupby("province_code", sort=True):
        code = str(code)
        if code in seed:
            out.append(seed[code])
            continue
        name = str(rows["province_name"].iloc[0])
        lat = float(rows["lat"].mean())
        north = lat > NORTHERN_HIGHLANDS_ABOVE_LAT or lat < NORTHERN_HIGHLANDS_BELOW_LAT
        out.append(
            Province(
                _slug(name), code, name, "", "north" if north else "west", lat < SOUTHERN_NAMING_BELOW_LAT
            )
        )
    return tuple(out)


def environment_of(commune_names: pd.Series) -> np.ndarray:
    """Clutter class from the unit type: phường urban, thị trấn suburban, xã rural; the type
    word written without diacritics or cut short too (``Phuong 3``, ``P. Quy Nhơn Nam``,
    ``TT. Phù Mỹ``)."""
    folded = commune_names.fillna("").astype(str).map(folded_words)
    return np.select(
        [folded.str.match(r"(?:phuong\b|p\.)"), folded.str.match(r"(?:thi tran\b|tt\.|tt\s)")],
        ["urban", "suburban"],
        default="rural",
    )


def read_crosswalk(folder: Path | None = None) -> pd.DataFrame:
    """The 2025 conversion table: one row per (old commune, 2025 commune) pair, all text."""
    path = (folder or boundaries_dir()) / CROSSWALK_FILE
    return pd.read_csv(path, dtype=str, keep_default_na=False)


@dataclass(frozen=True)
class NewProvince:
    """A province of the 2025 structure (34 provinces) and the former provinces it took in."""

    code: str
    name: str
    #: GSO codes of the former (2009) provinces with a commune in it, in code order.
    former: tuple[str, ...]


@functools.lru_cache(maxsize=4)
def provinces_2025(folder: Path | None = None) -> tuple[NewProvince, ...]:
    """Every province of the 2025 structure, by code, as the crosswalk lists them."""
    table = read_crosswalk(folder)
    out: list[NewProvince] = []
    for (code, name), rows in table.groupby(["new_province_code", "new_province_name"], sort=True):
        former = tuple(sorted(set(rows["old_province_code"]) - {""}))
        out.append(NewProvince(str(code), str(name), former))
    return tuple(out)


def province_2025(name: str, *, folder: Path | None = None) -> NewProvince:
    """A province of the 2025 structure by its 2025 GSO code (``52``), slug (``gia-lai``) or
    name (``Tỉnh Gia Lai``), case, diacritics and spacing aside.

    Codes and names changed meaning in 2025: 2025 code 52 and "Gia Lai" are the former
    Bình Định (52) and Gia Lai (64) together, which :func:`province` reads as one of them.

    Raises
    ------
    NotFound
        No 2025 province is named so (the message suggests the nearest slugs).
    """
    key = name.strip()
    code = key.zfill(2) if key.isdigit() else None
    slug = _slug(key)
    every = provinces_2025(folder)
    found = next((p for p in every if code == p.code or slug == _slug(p.name)), None)
    if found is not None:
        return found
    raise _unknown("2025 province", name, slug, [_slug(p.name) for p in every])


@dataclass(frozen=True)
class Province2025:
    """A 2025 province some of whose former (2009) provinces were left out of a selection."""

    code: str
    name: str
    #: ``(code, name)`` of each former province it took in that the selection lacks.
    missing: tuple[tuple[str, str], ...]


def partial_2025_provinces(codes: Sequence[str], folder: Path | None = None) -> list[Province2025]:
    """The 2025 provinces that the former provinces ``codes`` went into but do not make up
    whole (2025 Tỉnh Gia Lai is the former Bình Định and Gia Lai: ``["52"]`` lacks ``64``)."""
    table = read_crosswalk(folder)[
        ["old_province_code", "old_province_name", "new_province_code", "new_province_name"]
    ]
    chosen = set(codes)
    touched = table[table["old_province_code"].isin(chosen)][["new_province_code", "new_province_name"]]
    out: list[Province2025] = []
    for code, name in sorted(set(map(tuple, touched.to_numpy().tolist()))):
        parts = table[(table["new_province_code"] == code) & ~table["old_province_code"].isin(chosen)]
        missing = sorted(
            set(map(tuple, parts[["old_province_code", "old_province_name"]].to_numpy().tolist()))
        )
        if missing:
            out.append(Province2025(str(code), str(name), tuple((str(c), str(n)) for c, n in missing)))
    return out


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


@dataclass(frozen=True)
class Boundaries:
    """Communes (layer ``communes``) and the parts of the split ones (``commune_parts_2025``)."""

    communes: gpd.GeoDataFrame
    parts: gpd.GeoDataFrame


def _named_units(communes: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The census units but those with neither a name nor people.

    Two of the national file's 11,163 units are such (a sliver in Ninh Bình's Kim Sơn, one
    in Đà Nẵng without a district): a ``communes`` layer needs the names, and no village
    could be counted there. A unit with people or a name stays, to be validated.
    """
    names = communes["commune_name"].fillna("").astype(str).str.strip()
    keep = (names != "") | (pd.to_numeric(communes["pop_2009"], errors="coerce").fillna(0) > 0)
    return communes if keep.all() else communes[keep.to_numpy()]


def load_boundaries(
    provinces: Sequence[str] | None = None,
    *,
    provinces_2025: Sequence[str] = (),
    national: bool = False,
    folder: Path | None = None,
) -> Boundaries:
    """Communes of the given provinces (slugs or codes) with their 2025 units and clutter class.

    Parameters
    ----------
    provinces
        Provinces by GSO code, slug or name (:func:`province`: any province of Vietnam);
        ``None`` means all five seed provinces (or all of Vietnam when ``national``),
        unless ``provinces_2025`` are given.
    provinces_2025
        Provinces of the 2025 structure (:func:`province_2025`): each one's communes, those
        the crosswalk puts in it, from every former province they came from.
    national
        Without ``provinces``: every province of Vietnam (11,161 named units of 11,163) rather than
        the five seed provinces.
    folder
        The boundaries folder (default: the shipped ``data/boundaries``).
    """
    base = folder or boundaries_dir()
    new_units = [province_2025(p, folder=folder) for p in provinces_2025]
    every = _named_units(pyogrio.read_dataframe(base / NATIONAL_FILE, layer="communes"))
    if provinces:
        codes = [province(p, folder=folder).code for p in provinces]
    elif national:
        codes = sorted(every["province_code"].unique().tolist())
    elif new_units:
        codes = []
    else:
        codes = [p.code for p in PROVINCES.values()]
    wanted = sorted({*codes, *(c for unit in new_units for c in unit.former)})
    crosswalk = read_crosswalk(base)
    # The communes of every 2025 province these ones went into: each 2025 unit whole.
    context = every[every["province_code"].isin(context_provinces(crosswalk, wanted))].copy()
    if not (context["province_code"].isin(wanted)).any():
        asked = [*(provinces or []), *provinces_2025]
        raise NotFound(f"no communes for provinces {asked} in {base / NATIONAL_FILE}")
    # A shapefile keeps 10 characters of a field name: commune_code_as_drawn would read
    # as commune_code, so the layer calls it code_as_drawn.
    context = context.rename(columns={"commune_code_as_drawn": "code_as_drawn"})
    for col in ("commune_code", "code_as_drawn"):
        values = context[col].astype(object)
        context[col] = values.where(values.notna() & (values != ""), None)
    assignment = assign_2025(context, crosswalk)
    merged = pd.concat([context, assignment.communes], axis=1)
    chosen_2025 = [unit.code for unit in new_units]
    merged = merged[merged["province_code"].isin(codes) | merged["new_province_code"].isin(chosen_2025)]
    merged["environment"] = environment_of(merged["commune_name"])
    merged = fill_district_codes(merged)
    merged = merged.sort_values(["province_code", "district_code", "census_commune_id"], kind="stable")
    communes = gpd.GeoDataFrame(merged.reset_index(drop=True), geometry="geometry", crs=every.crs)
    parts = assignment.parts
    parts = parts[parts["census_commune_id"].isin(communes["census_commune_id"])].reset_index(drop=True)
    return Boundaries(communes=communes, parts=parts)


def load_communes(
    provinces: Sequence[str] | None = None,
    *,
    national: bool = False,
    folder: Path | None = None,
) -> gpd.GeoDataFrame:
    """The ``communes`` of :func:`load_boundaries` (without the parts of split communes)."""
    return load_boundaries(provinces, national=national, folder=folder).communes
