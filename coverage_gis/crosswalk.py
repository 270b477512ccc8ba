"""The 2025 reform: the 2025 commune and province of every census commune, or of each part of one.

The GSO conversion table (``admin_crosswalk_2025.csv``) maps each commune of the list of
January 2025 (its *old* code) to the 2025 commune(s) it became. The census polygons
(units as of about 2013) do not all carry such a code, and some old communes were
split between several 2025 communes, so a plain join on ``commune_code`` drops villages.
This module owns the rule that places every polygon, and for a split unit every part of
it, in exactly one 2025 commune (``docs/architecture.md``, "The 2025 hierarchy"):

1. **The old unit of a polygon** (``crosswalk_code``):

   - ``crosswalk``: its own ``commune_code`` is an old code of the table;
   - ``crosswalk_district``: a district the table converts whole (island districts
     without communes) or an unnamed area the table names by district;
   - ``name_uncoded``: no own code in the table, but the old unit of the same name (type
     word and tone-mark placement ignored) lies within :data:`NAME_MAX_GAP_M` of it: the
     unit that absorbed it and took its name (Phường Thị Nại in Quy Nhơn);
   - ``spatial_uncoded``: otherwise, the old unit across its longest shared border,
     measured as the area of the neighbour within :data:`BORDER_STRIP_M` of it, in its
     own census district first (units were merged within a district), with the borders
     of neighbours bound for the same 2025 commune added up; failing any neighbour (an
     island), the nearest unit of its census district.

2. **The 2025 commune of a unit**: its one 2025 commune; or, when the table splits it
   ("Nhập một phần"), the one its population went to where the table says so
   (``crosswalk_population``: rows "…, toàn bộ dân số", or every other row moving
   area only, "Nhập một phần diện tích"); else, ``split_nearest``: each point of the
   unit belongs to the candidate whose *other* constituents (the old units merged into
   it besides this one) are nearest. A candidate made of a part of this unit only
   (its remainder, "Phần còn lại…", "Đổi tên từ một phần…") is anchored at the unit's
   centre. The unit's polygons are cut along these nearest-neighbour lines (boundaries
   sampled every :data:`VORONOI_STEP_M`) into the parts of ``commune_parts_2025``;
   a village takes the part it lies in.

The 2009 population of a part is the polygon's, shared by area. The 2009 population
of each 2025 unit (``new_province_pop_2009``, ``new_commune_pop_2009``) is summed over
the communes given, so a national call tells which 2025 units a workspace holds only
part of.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray

from coverage_gis._arrays import split_exactly
from coverage_gis.crs import STORAGE_CRS, UTM_48N
from coverage_gis.text_forms import fold_diacritics

#: How a commune (or part) got its 2025 commune, from read to inferred.
METHODS: tuple[str, ...] = (
    "crosswalk",
    "crosswalk_population",
    "crosswalk_district",
    "name_uncoded",
    "spatial_uncoded",
    "split_nearest",
)
#: Methods that infer the 2025 commune (by name or geometry) rather than read it.
INFERRED_METHODS: frozenset[str] = frozenset({"name_uncoded", "spatial_uncoded", "split_nearest"})

#: One metric CRS for the whole country, so that a commune's 2025 unit does not depend
#: on which provinces are loaded with it (UTM 48N: scale error under 0.5 % up to 110° E).
RULE_CRS = UTM_48N
#: A same-named old unit counts as the absorbing one when its polygon lies this close.
NAME_MAX_GAP_M = 1000.0
#: Width of the strip along a commune's border in which neighbours are measured.
BORDER_STRIP_M = 200.0
#: Spacing of the boundary samples that cut a split unit into parts.
VORONOI_STEP_M = 250.0
#: Parts smaller than this share of their commune are merged into the larger ones.
MIN_PART_SHARE = 1e-4

#: Columns :func:`assign_2025` adds to each commune.
COMMUNE_COLUMNS: tuple[str, ...] = (
    "crosswalk_code",
    "admin_2025_method",
    "new_province_code",
    "new_province_name",
    "new_commune_code",
    "new_commune_name",
    "merge_note",
    "new_province_pop_2009",
    "new_commune_pop_2009",
)
#: Columns of the ``commune_parts_2025`` layer.
PART_COLUMNS: tuple[str, ...] = (
    "part_id",
    "census_commune_id",
    "new_province_code",
    "new_province_name",
    "new_commune_code",
    "new_commune_name",
    "admin_2025_method",
    "area_share",
    "pop_2009",
    "new_province_pop_2009",
    "new_commune_pop_2009",
)

_NEW = ("new_commune_code", "new_commune_name", "new_province_code", "new_province_name")
_TYPE_WORDS = ("phường ", "thị trấn ", "xã ", "đặc khu ")
# Old (oà) and new (òa) tone-mark placement spell the same name.
_TONE_PLACEMENT = {
    old: new
    for olds, news in (
        (("oà", "oá", "oả", "oã", "oạ"), ("òa", "óa", "ỏa", "õa", "ọa")),
        (("oè", "oé", "oẻ", "oẽ", "oẹ"), ("òe", "óe", "ỏe", "õe", "ọe")),
        (("uỳ", "uý", "uỷ", "uỹ", "uỵ"), ("ùy", "úy", "ủy", "ũy", "ụy")),
    )
    for old, new in zip(olds, news, strict=True)
}
_TONE_RE = re.compile("|".join(_TONE_PLACEMENT))


def name_key(name: object) -> str:
    """A commune name without its type word, case or tone-mark placement (``Xã Hoà An`` → ``hòa an``)."""
    if not isinstance(name, str):
        return ""
    text = unicodedata.normalize("NFC", name).casefold().strip()
    text = " ".join(text.split())
    for word in _TYPE_WORDS:
        if text.startswith(word):
            text = text[len(word) :]
            break
    return _TONE_RE.sub(lambda m: _TONE_PLACEMENT[m.group(0)], text)


#: Type words lists write without diacritics or cut short ("Xa Bao Ha", "TT Phố Ràng",
#: "P. 3", "X. Canh Liên"), after :func:`name_key` and diacritics folded (``name_key`` drops
#: them as written in full).
_TYPE_SHORT = re.compile(r"(?:xa|phuong|thi tran|dac khu|tt|p|x)(?:\.\s*|\s+)")


def folded_name_key(name: object) -> str:
    """:func:`name_key` of ``name`` without diacritics (``""`` for anything but text)."""
    return fold_diacritics(name_key(name)) if isinstance(name, str) else ""


def loose_name_keys(name: object) -> set[str]:
    """:func:`folded_name_key` of ``name``, and without a type word written short as well
    ("Xa Dung" is a commune's name in full, "Xa Bao Ha" one's name after its type word): two
    names spell one unit where their keys meet."""
    key = folded_name_key(name)
    short = _TYPE_SHORT.match(key)
    return {key, key[short.end() :]} if short is not None and key[short.end() :] else {key}


@dataclass(frozen=True)
class Assignment2025:
    """The 2025 units of a set of communes.

    ``communes`` is aligned with the communes given (:data:`COMMUNE_COLUMNS`); for a
    commune cut into parts its ``new_*`` columns name the part with the largest area.
    ``parts`` holds the parts of those communes (:data:`PART_COLUMNS`, MultiPolygons in
    EPSG:4326); a commune that lies whole in one 2025 commune has none.
    """

    communes: pd.DataFrame
    parts: gpd.GeoDataFrame


@dataclass(frozen=True)
class _Target:
    """One 2025 commune a unit goes to (a row of the crosswalk)."""

    code: str
    name: str
    province_code: str
    province_name: str
    note: str

    @property
    def area_only(self) -> bool:
        note = self.note.casefold()
        return "diện tích" in note and "dân số" not in note

    @property
    def all_population(self) -> bool:
        return "toàn bộ dân số" in self.note.casefold()


def _text(table: pd.DataFrame) -> pd.DataFrame:
    """The crosswalk with every cell as text (missing → empty)."""
    return table.astype(object).where(table.notna(), "")


def _targets_by_unit(crosswalk: pd.DataFrame) -> dict[str, list[_Target]]:
    """Unit key (old code, or ``district:<code>`` / ``area:<code>``) → its 2025 communes."""
    out: dict[str, list[_Target]] = {}
    table = _text(crosswalk)
    for row in table.itertuples(index=False):
        old = str(row.old_commune_code)
        if old:
            key = old
        elif str(row.old_commune_name):
            key = f"area:{row.old_district_code}"
        else:
            key = f"district:{row.old_district_code}"
        target = _Target(
            str(row.new_commune_code),
            str(row.new_commune_name),
            str(row.new_province_code),
            str(row.new_province_name),
            str(row.merge_note),
        )
        out.setdefault(key, []).append(target)
    return out


def _population_targets(targets: Sequence[_Target]) -> tuple[list[_Target], bool]:
    """The distinct 2025 communes that receive the unit's people, and whether that was a choice."""
    distinct = list({t.code: t for t in targets}.values())
    if len(distinct) == 1:
        return distinct, False
    chosen = [t for t in distinct if t.all_population] or [t for t in distinct if not t.area_only]
    return (chosen, True) if chosen else (distinct, False)


def _resolve_units(
    communes: gpd.GeoDataFrame,
    geoms_m: NDArray[np.object_],
    crosswalk: pd.DataFrame,
    targets: Mapping[str, list[_Target]],
) -> tuple[NDArray[np.object_], NDArray[np.object_]]:
    """Each polygon's old unit key and the method that found it (step 1 of the module docstring)."""
    n = len(communes)
    codes = communes["commune_code"].to_numpy(dtype=object)
    codes = np.where(pd.isna(codes), "", codes).astype(object)
    names = communes["commune_name"].to_numpy(dtype=object)
    districts = communes["district_code"].to_numpy(dtype=object)
    districts = np.where(pd.isna(districts), "", districts).astype(object)
    provinces = communes["province_code"].to_numpy(dtype=object)
    census_district = communes["census_commune_id"].astype(str).str[:-2].to_numpy(dtype=object)

    unit = np.full(n, "", dtype=object)
    method = np.full(n, "", dtype=object)
    known = np.array([c != "" and c in targets for c in codes], dtype=bool)
    unit[known] = codes[known]
    method[known] = "crosswalk"

    # Name rule: the old unit of the same name near the polygon absorbed it.
    holder = {str(c): i for i, c in enumerate(codes) if c}
    units = _text(crosswalk)
    units = units[units["old_commune_code"] != ""].drop_duplicates("old_commune_code")
    by_name: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for row in units.itertuples(index=False):
        key = (str(row.old_province_code), name_key(row.old_commune_name))
        by_name.setdefault(key, []).append((str(row.old_commune_code), str(row.old_district_code)))
    for i in np.flatnonzero(~known):
        matches = []
        for code, district in by_name.get((str(provinces[i]), name_key(names[i])), []):
            if code == codes[i]:
                continue
            j = holder.get(code)
            near = (j is not None and float(shapely.distance(geoms_m[i], geoms_m[j])) <= NAME_MAX_GAP_M) or (
                j is None and district == districts[i] and district != ""
            )
            if near:
                matches.append(code)
        if len(matches) == 1:
            unit[i] = matches[0]
            method[i] = "name_uncoded"

    # Whole districts (and unnamed areas) the table converts by district.
    for i in np.flatnonzero(unit == ""):
        district = str(districts[i])
        if not district:
            continue
        unnamed = not isinstance(names[i], str) or not names[i].strip()
        keys = [f"area:{district}", f"district:{district}"] if unnamed else [f"district:{district}"]
        found = [key for key in keys if key in targets]
        if found:
            unit[i] = found[0]
            method[i] = "crosswalk_district"

    destination = {
        key: ",".join(sorted(t.code for t in _population_targets(rows)[0])) for key, rows in targets.items()
    }
    _neighbour_units(geoms_m, unit, method, census_district, provinces, destination)
    return unit, method


def _neighbour_units(
    geoms_m: NDArray[np.object_],
    unit: NDArray[np.object_],
    method: NDArray[np.object_],
    census_district: NDArray[np.object_],
    provinces: NDArray[np.object_],
    destination: Mapping[str, str],
) -> None:
    """Give unresolved polygons the unit across their longest shared border (in place).

    Borders are summed per destination first (``destination``: unit key → its 2025
    communes), so two neighbours merged into the same 2025 commune outweigh a single
    longer one; the longest border within the winning destination gives the unit.
    """
    tree = shapely.STRtree(geoms_m)
    while True:
        todo = np.flatnonzero(unit == "")
        if todo.size == 0:
            return
        strips = shapely.buffer(geoms_m[todo], BORDER_STRIP_M)
        idx_todo, idx_other = tree.query(strips, predicate="intersects")
        keep = (unit[idx_other] != "") & (todo[idx_todo] != idx_other)
        idx_todo, idx_other = idx_todo[keep], idx_other[keep]
        if idx_todo.size:
            pairs = pd.DataFrame(
                {
                    "todo": idx_todo,
                    "other": idx_other,
                    "overlap": shapely.area(shapely.intersection(strips[idx_todo], geoms_m[idx_other])),
                    "same_district": census_district[todo[idx_todo]] == census_district[idx_other],
                    "goes_to": [destination.get(str(u), str(u)) for u in unit[idx_other]],
                }
            )
            # Same census district first, then the destination with the longest border,
            # then that destination's neighbour with the longest border.
            pairs["score"] = pairs.groupby(["todo", "same_district", "goes_to"])["overlap"].transform("sum")
            best = pairs.sort_values(
                ["todo", "same_district", "score", "overlap", "other"],
                ascending=[True, False, False, False, True],
                kind="stable",
            ).drop_duplicates("todo")
            chosen = todo[best["todo"].to_numpy(dtype=np.int64)]
            unit[chosen] = unit[best["other"].to_numpy(dtype=np.int64)]
            method[chosen] = "spatial_uncoded"
            continue
        # No neighbour at all (islands): the nearest resolved unit of its census district,
        # else of its province.
        resolved = np.flatnonzero(unit != "")
        if resolved.size == 0:
            return
        for i in todo:
            pool = resolved[census_district[resolved] == census_district[i]]
            if pool.size == 0:
                pool = resolved[provinces[resolved] == provinces[i]]
            if pool.size == 0:
                continue
            j = pool[int(np.argmin(shapely.distance(geoms_m[i], geoms_m[pool])))]
            unit[i] = unit[j]
            method[i] = "spatial_uncoded"
        return


def _boundary_samples(geoms: NDArray[np.object_], window: shapely.Geometry) -> NDArray[np.float64]:
    """Points every :data:`VORONOI_STEP_M` along the polygons' boundaries inside ``window``.

    Each polygon is sampled on its own: a border between two of them lies inside their
    union and is never nearer to an outside point than the union's own boundary.
    """
    lines = shapely.intersection(shapely.boundary(geoms), window)
    lines = lines[~shapely.is_empty(lines)]
    if lines.size == 0:
        return np.empty((0, 2), dtype=np.float64)
    return np.asarray(shapely.get_coordinates(shapely.segmentize(lines, VORONOI_STEP_M)), dtype=np.float64)


def _cut_unit(
    members: NDArray[np.int64],
    geoms_m: NDArray[np.object_],
    cores: Sequence[NDArray[np.int64] | None],
) -> dict[int, list[tuple[int, shapely.Geometry]]]:
    """Cut the unit's polygons by nearest core: polygon → [(candidate index, piece)].

    ``cores[k]`` holds the polygons of candidate ``k``'s other constituents, ``None``
    for a candidate made of this unit's remainder only.
    """
    unit_geom = shapely.union_all(geoms_m[members])
    envelope = shapely.envelope(unit_geom)
    west, south, east, north = shapely.bounds(unit_geom)
    reach = float(np.hypot(east - west, north - south))
    anchors: list[NDArray[np.float64]] = []
    for core in cores:
        if core is None:
            # A candidate made of this unit's remainder only: anchored at its centre.
            anchors.append(shapely.get_coordinates(shapely.point_on_surface(unit_geom)))
            continue
        gap = float(np.min(shapely.distance(unit_geom, geoms_m[core])))
        # The nearest core point of any point of the unit lies within gap + reach of it.
        window = shapely.buffer(envelope, reach + gap + VORONOI_STEP_M)
        samples = _boundary_samples(geoms_m[core], window)
        anchors.append(
            samples if len(samples) else shapely.get_coordinates(shapely.point_on_surface(geoms_m[core[0]]))
        )
    xy = np.concatenate(anchors)
    label = np.concatenate([np.full(len(a), k, dtype=np.int64) for k, a in enumerate(anchors)])
    # Duplicate samples (shared borders) would merge Voronoi cells: keep the first.
    _, first = np.unique(xy, axis=0, return_index=True)
    first = np.sort(first)
    xy, label = xy[first], label[first]
    if len(np.unique(label)) == 1:
        regions = {int(label[0]): envelope}
    else:
        extent = shapely.buffer(shapely.envelope(shapely.multipoints(xy)), reach + 1.0)
        cells = shapely.get_parts(
            shapely.voronoi_polygons(shapely.multipoints(xy), extend_to=extent, ordered=True)
        )
        # Nearly collinear samples can give a degenerate (invalid) cell.
        cells = shapely.make_valid(cells)
        useful = shapely.intersects(cells, envelope)
        regions = {
            int(k): shapely.union_all(cells[useful & (label == k)]) for k in np.unique(label[useful]).tolist()
        }
    out: dict[int, list[tuple[int, shapely.Geometry]]] = {}
    for i in members.tolist():
        pieces = []
        for k, region in regions.items():
            piece = shapely.intersection(geoms_m[i], region)
            if float(shapely.area(piece)) > 0:
                pieces.append((k, piece))
        out[i] = pieces
    return out


def _as_multipolygon(geom: shapely.Geometry) -> shapely.Geometry:
    polygons = [g for g in shapely.get_parts(geom) if isinstance(g, shapely.Polygon) and not g.is_empty]
    return shapely.MultiPolygon(polygons)


def assign_2025(communes: gpd.GeoDataFrame, crosswalk: pd.DataFrame) -> Assignment2025:
    """The 2025 commune and province of every commune, cutting split units into parts.

    Parameters
    ----------
    communes
        Census communes with ``census_commune_id``, ``commune_code``,
        ``commune_name``, ``district_code``, ``province_code``, ``pop_2009`` and
        polygons (any CRS): every commune of the 2025 units wanted whole (the
        national file, or its :func:`context_provinces`).
    crosswalk
        The conversion table, one row per (old commune, 2025 commune) pair
        (:func:`coverage_gis.boundaries.read_crosswalk`).

    Returns
    -------
    Assignment2025
        A commune whose unit the table does not reach at all keeps empty ``new_*``
        columns (none in the shipped data).
    """
    n = len(communes)
    geoms_m = np.asarray(communes.geometry.to_crs(RULE_CRS).to_numpy(), dtype=object)
    targets = _targets_by_unit(crosswalk)
    unit, method = _resolve_units(communes, geoms_m, crosswalk, targets)

    chosen: dict[str, tuple[list[_Target], bool]] = {
        key: _population_targets(rows) for key, rows in targets.items()
    }
    # Old unit → the polygons it holds; 2025 commune → the units that went into it.
    members_of: dict[str, list[int]] = {}
    for i, key in enumerate(unit.tolist()):
        if key:
            members_of.setdefault(key, []).append(i)
    units_of_target: dict[str, set[str]] = {}
    for key, rows in targets.items():
        for t in rows:
            units_of_target.setdefault(t.code, set()).add(key)

    out = {col: np.full(n, None, dtype=object) for col in COMMUNE_COLUMNS}
    out["crosswalk_code"] = np.array([u or None for u in unit.tolist()], dtype=object)
    out["admin_2025_method"] = np.array([m or None for m in method.tolist()], dtype=object)
    pieces: list[tuple[int, _Target, shapely.Geometry]] = []
    for key, members in members_of.items():
        population, by_choice = chosen[key]
        notes = "; ".join(sorted({t.note for t in targets[key] if t.note}))
        idx = np.asarray(members, dtype=np.int64)
        out["merge_note"][idx] = notes or None
        if len(population) == 1:
            _set_target(out, idx, population[0])
            if by_choice:
                out["admin_2025_method"][idx[method[idx] == "crosswalk"]] = "crosswalk_population"
            continue
        cores: list[NDArray[np.int64] | None] = []
        for t in population:
            others = [i for u in units_of_target.get(t.code, ()) if u != key for i in members_of.get(u, ())]
            cores.append(np.asarray(others, dtype=np.int64) if others else None)
        if all(c is None for c in cores):
            _set_target(out, idx, population[0])  # nothing to measure from: the first row
            continue
        out["admin_2025_method"][idx] = "split_nearest"
        for i, cut in _cut_unit(idx, geoms_m, cores).items():
            if not cut:  # a degenerate polygon: no area to cut
                _set_target(out, np.array([i]), population[0])
                continue
            areas = shapely.area(np.array([piece for _, piece in cut], dtype=object))
            kept = [kp for kp, a in zip(cut, areas, strict=True) if a / areas.sum() >= MIN_PART_SHARE]
            largest = int(np.argmax(areas))
            _set_target(out, np.array([i]), population[cut[largest][0]])
            if len(kept) > 1:
                pieces.extend((i, population[k], piece) for k, piece in kept)

    frame = _parts_frame(communes, pieces)
    _add_unit_population(communes, out, frame)
    return Assignment2025(communes=pd.DataFrame(out, index=communes.index), parts=frame)


def _parts_frame(
    communes: gpd.GeoDataFrame,
    pieces: Sequence[tuple[int, _Target, shapely.Geometry]],
) -> gpd.GeoDataFrame:
    """The ``commune_parts_2025`` rows of the cut communes (EPSG:4326)."""
    if not pieces:
        return empty_parts()
    ids = communes["census_commune_id"].astype(str).to_numpy(dtype=object)
    pop = communes["pop_2009"].fillna(0).to_numpy(dtype=np.int64)
    rows: list[dict[str, object]] = []
    geoms: list[shapely.Geometry] = []
    by_commune: dict[int, list[tuple[_Target, shapely.Geometry]]] = {}
    for i, target, piece in pieces:
        by_commune.setdefault(i, []).append((target, piece))
    for i, own in by_commune.items():
        areas = np.asarray(shapely.area(np.array([p for _, p in own], dtype=object)), dtype=np.float64)
        people = split_exactly(int(pop[i]), areas)
        for (target, piece), area, count in zip(own, areas, people, strict=True):
            rows.append(
                {
                    "part_id": f"{ids[i]}:{target.code}",
                    "census_commune_id": ids[i],
                    "new_province_code": target.province_code,
                    "new_province_name": target.province_name,
                    "new_commune_code": target.code,
                    "new_commune_name": target.name,
                    "admin_2025_method": "split_nearest",
                    "area_share": float(area / areas.sum()),
                    "pop_2009": int(count),
                }
            )
            geoms.append(_as_multipolygon(piece))
    lonlat = gpd.GeoSeries(geoms, crs=RULE_CRS).to_crs(STORAGE_CRS).to_numpy()
    valid = [_as_multipolygon(shapely.make_valid(g)) for g in lonlat]
    return gpd.GeoDataFrame(rows, geometry=valid, crs=STORAGE_CRS)


def empty_parts() -> gpd.GeoDataFrame:
    """A ``commune_parts_2025`` frame without rows."""
    data: dict[str, Iterable[object]] = {col: [] for col in PART_COLUMNS}
    return gpd.GeoDataFrame(data, geometry=gpd.GeoSeries([], crs=STORAGE_CRS), crs=STORAGE_CRS)


def _add_unit_population(
    communes: gpd.GeoDataFrame, out: dict[str, NDArray[np.object_]], parts: gpd.GeoDataFrame
) -> None:
    """Fill the 2009 population of each commune's and part's 2025 units (in place)."""
    ids = communes["census_commune_id"].astype(str).to_numpy(dtype=object)
    pop = communes["pop_2009"].fillna(0).to_numpy(dtype=np.int64)
    cut = set(parts["census_commune_id"].tolist()) if len(parts) else set()
    whole = np.array([i not in cut for i in ids.tolist()], dtype=bool)
    contributions = pd.DataFrame(
        {
            "new_commune_code": np.concatenate(
                [out["new_commune_code"][whole], parts["new_commune_code"].to_numpy(dtype=object)]
            ),
            "new_province_code": np.concatenate(
                [out["new_province_code"][whole], parts["new_province_code"].to_numpy(dtype=object)]
            ),
            "pop_2009": np.concatenate([pop[whole], parts["pop_2009"].to_numpy(dtype=np.int64)]),
        }
    )
    contributions = contributions[contributions["new_commune_code"].notna()]
    by_commune = contributions.groupby("new_commune_code")["pop_2009"].sum()
    by_province = contributions.groupby("new_province_code")["pop_2009"].sum()
    for frame_codes, col, totals, target in (
        (out["new_commune_code"], "new_commune_pop_2009", by_commune, out),
        (out["new_province_code"], "new_province_pop_2009", by_province, out),
    ):
        target[col] = np.asarray(pd.Series(frame_codes, dtype=object).map(totals).to_numpy(), dtype=object)
    if len(parts):
        parts["new_commune_pop_2009"] = parts["new_commune_code"].map(by_commune).astype("int64")
        parts["new_province_pop_2009"] = parts["new_province_code"].map(by_province).astype("int64")


def context_provinces(crosswalk: pd.DataFrame, provinces: Iterable[str]) -> set[str]:
    """The old provinces whose communes make up the 2025 provinces ``provinces`` went into.

    Their communes are all :func:`assign_2025` needs to place the communes of
    ``provinces`` and to know each of their 2025 units whole (2025 provinces merged
    whole old provinces; the few communes split across them are in the table).
    """
    table = crosswalk[["old_province_code", "new_province_code"]].astype(str)
    wanted = set(provinces)
    new = set(table.loc[table["old_province_code"].isin(wanted), "new_province_code"])
    return wanted | set(table.loc[table["new_province_code"].isin(new), "old_province_code"])


def _set_target(out: dict[str, NDArray[np.object_]], idx: NDArray[np.int64], target: _Target) -> None:
    out["new_commune_code"][idx] = target.code
    out["new_commune_name"][idx] = target.name
    out["new_province_code"][idx] = target.province_code
    out["new_province_name"][idx] = target.province_name
