"""Bình Định: the villages its 2025 plan names and the status it reports for 2024.

Owns the constraints that make the Bình Định demo reproduce the plan's section II.1
through the ordinary computation (never by writing the answer): the one village
without mobile signal (làng O2, xã Vĩnh Kim, huyện Vĩnh Thạnh — no grid power) and
the eight villages without fixed broadband (footnote 3: thôn 1 and thôn 5 of xã An
Vinh and thôn 6 of xã An Quang in An Lão; thôn Canh Giao of xã Canh Hiệp and làng
Canh Tiến, làng Kà Bưng, làng Cà Nâu of xã Canh Liên in Vân Canh; làng O2). They are
placed in their real communes, far from the commune centre; the site and fiber
generators then keep them out of reach, and cover everything else.

Also: "more than 70" Viettel 5G sites (footnote 4), enforced as a minimum.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import shapely

from coverage_gis.demo._context import ProvinceContext
from coverage_gis.demo.gaps import (
    FTTH_CENTRE_CLEARANCE_M,
    FTTH_VILLAGE_CLEARANCE_M,
    MOBILE_CENTRE_CLEARANCE_M,
    MOBILE_VILLAGE_CLEARANCE_M,
    SpecialVillage,
)
from coverage_gis.demo.names import NamingStyle, nfc
from coverage_gis.demo.villages import CommuneNaming

PROVINCE_CODE = "52"
#: Footnote 4: "Viettel đang triển khai với hơn 70 trạm 5G".
MIN_VIETTEL_5G_SITES = 71


@dataclass(frozen=True)
class NamedVillage:
    """A village the plan names, in its real commune (GSO code)."""

    commune_code: str
    label: str
    mobile_gap: bool
    has_grid_power: bool = True


#: Footnotes 2 and 3 of section II.1.
NAMED_VILLAGES: tuple[NamedVillage, ...] = (
    NamedVillage("21790", "O2", mobile_gap=True, has_grid_power=False),  # làng O2, xã Vĩnh Kim
    NamedVillage("21619", "1", mobile_gap=False),  # thôn 1, xã An Vinh
    NamedVillage("21619", "5", mobile_gap=False),  # thôn 5, xã An Vinh
    NamedVillage("21631", "6", mobile_gap=False),  # thôn 6, xã An Quang
    NamedVillage("22000", "Canh Giao", mobile_gap=False),  # thôn Canh Giao, xã Canh Hiệp
    NamedVillage("21997", "Canh Tiến", mobile_gap=False),  # làng Canh Tiến, xã Canh Liên
    NamedVillage("21997", "Kà Bưng", mobile_gap=False),  # làng Kà Bưng, xã Canh Liên
    NamedVillage("21997", "Cà Nâu", mobile_gap=False),  # làng Cà Nâu, xã Canh Liên
)

#: The named communes' village kinds and sizes (enough villages for the numbers named).
COMMUNE_NAMING: Mapping[str, CommuneNaming] = {
    "21790": CommuneNaming(NamingStyle("làng", numbered=False, pool="highland"), 4),
    "21619": CommuneNaming(NamingStyle("thôn", numbered=True), 6),
    "21631": CommuneNaming(NamingStyle("thôn", numbered=True), 6),
    "22000": CommuneNaming(NamingStyle("thôn", numbered=False, pool="highland"), 3),
    "21997": CommuneNaming(NamingStyle("làng", numbered=False, pool="highland"), 4),
}

_CANDIDATES = 800
#: Named villages of one commune keep this far apart (they are distinct settlements)…
_NAMED_SPACING_M = 1500.0
#: …and, when the plan names several in one commune, lie within this distance of the
#: first: the part of the commune the fiber has not reached yet (one valley, one road),
#: not settlements scattered over its whole area.
_NAMED_CLUSTER_M = 3500.0
#: …and this far inside their commune's border (degrees; ≈ 400 m).
_BORDER_MARGIN_DEG = 0.0036


def special_villages(ctx: ProvinceContext) -> list[SpecialVillage]:
    """Place the named villages in their communes, far from every commune centre."""
    rng = ctx.rng("binh-dinh-named")
    codes = ctx.communes["commune_code"].to_numpy(dtype=object)
    placed: list[SpecialVillage] = []
    for named in NAMED_VILLAGES:
        matches = np.flatnonzero(codes == named.commune_code)
        if matches.size == 0:
            continue  # boundaries without this commune (e.g. a trimmed test extract)
        c = int(matches[0])
        geom = ctx.geometry[c]
        west, south, east, north = shapely.bounds(geom)
        lon = rng.uniform(west, east, _CANDIDATES)
        lat = rng.uniform(south, north, _CANDIDATES)
        inside = ctx.owned_by(c, lon, lat)
        lon, lat = lon[inside], lat[inside]
        x, y = ctx.to_metric(lon, lat)
        d_own = np.hypot(x - ctx.centre_x[c], y - ctx.centre_y[c])
        d_any = np.min(
            np.hypot(x[:, None] - ctx.centre_x[None, :], y[:, None] - ctx.centre_y[None, :]), axis=1
        )
        border = shapely.distance(shapely.boundary(geom), shapely.points(lon, lat))
        centre_clearance = MOBILE_CENTRE_CLEARANCE_M if named.mobile_gap else FTTH_CENTRE_CLEARANCE_M
        ok = (d_any >= centre_clearance) & (border >= _BORDER_MARGIN_DEG)
        same_commune = [other for other in placed if other.commune == c]
        for other in same_commune:
            ox, oy = ctx.to_metric(np.array([other.lon]), np.array([other.lat]))
            ok &= np.hypot(x - ox[0], y - oy[0]) >= _NAMED_SPACING_M
        if same_commune:
            fx, fy = ctx.to_metric(np.array([same_commune[0].lon]), np.array([same_commune[0].lat]))
            clustered = ok & (np.hypot(x - fx[0], y - fy[0]) <= _NAMED_CLUSTER_M)
            ok = clustered if clustered.any() else ok
        if not ok.any():
            ok = d_any >= centre_clearance
        rows = np.flatnonzero(ok)
        # Remote settlements: draw among the candidates farthest from the commune centre.
        far = rows[np.argsort(-d_own[rows], kind="stable")][: max(1, rows.size // 4)]
        pick = int(rng.choice(far))
        placed.append(
            SpecialVillage(
                commune=c,
                label=nfc(named.label),
                lon=float(lon[pick]),
                lat=float(lat[pick]),
                has_grid_power=named.has_grid_power,
                mobile_gap="no_grid_power" if named.mobile_gap else None,
                ftth_gap=True,
                clearance_m=MOBILE_VILLAGE_CLEARANCE_M if named.mobile_gap else FTTH_VILLAGE_CLEARANCE_M,
            )
        )
    return placed
