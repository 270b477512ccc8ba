"""Vietnamese village names for the synthetic villages.

Owns the naming rules: wards and towns (phường, thị trấn) are divided into numbered
*khu phố* (the South and Bình Định) or *tổ dân phố* (Huế, the North); rural communes
into *thôn* (numbered, or named from Sino-Vietnamese syllables), *ấp* in the South
(Bình Thuận, Bình Phước), *làng* with Bahnar/H're/Chăm H'roi names in the mountain
communes of the Centre, and *bản* with Tày/Nùng names in the mountain communes of the
North (Bắc Giang). Every name keeps its diacritics and is NFC-normalised.
"""

from __future__ import annotations

import itertools
import unicodedata
from dataclasses import dataclass

import numpy as np

from coverage_gis.boundaries import Province

#: Pools of labels for named villages (the kind word is prefixed separately).
_VIET_FIRST = (
    "An", "Bình", "Phú", "Tân", "Hòa", "Mỹ", "Long", "Thạnh", "Vĩnh", "Phước", "Xuân", "Đông",
    "Tây", "Trung", "Hưng", "Thuận", "Lộc", "Quang", "Định", "Nhơn", "Hội", "Thắng", "Đức",
    "Khánh", "Hiệp", "Phong", "Cẩm", "Thượng",
)  # fmt: skip
_VIET_SECOND = (
    "An", "Bình", "Phú", "Lợi", "Hòa", "Thạnh", "Lộc", "Hưng", "Thuận", "Đông", "Tây", "Nam",
    "Bắc", "Trung", "Tân", "Mỹ", "Lập", "Thành", "Phát", "Hải", "Sơn", "Quý", "Hiệp", "Đức",
)  # fmt: skip
_HIGHLAND_FIRST = ("Kon", "Đăk", "Plei", "Tơ", "Hà", "Kà", "Canh", "Vân")
_HIGHLAND_SECOND = (
    "Trú", "Lót", "Mang", "Giang", "Brông", "Xiêm", "Rông", "Kring", "Tuk", "Rêu", "Vai",
    "Xim", "Lang", "Pơ", "Ring", "Dơn", "Bông", "Mơ",
)  # fmt: skip
_HIGHLAND_CODES = tuple(f"{letter}{digit}" for letter in ("O", "K", "T", "M") for digit in range(1, 10))
_NORTH_FIRST = ("Nà", "Khuôn", "Pắc", "Cốc", "Bó", "Khe", "Nặm", "Đồng", "Mò", "Lục")
_NORTH_SECOND = (
    "Ván", "Tát", "Lìm", "Mạ", "Rì", "Vẹn", "Pheo", "Chợ", "Trám", "Héo", "Nghè", "Bưa",
    "Cạn", "Ngòi", "Mới", "Thị",
)  # fmt: skip

POOLS: dict[str, tuple[str, ...]] = {
    "viet": tuple(f"{a} {b}" for a, b in itertools.product(_VIET_FIRST, _VIET_SECOND) if a != b),
    "highland": _HIGHLAND_CODES
    + tuple(f"{a} {b}" for a, b in itertools.product(_HIGHLAND_FIRST, _HIGHLAND_SECOND)),
    "north_upland": tuple(f"{a} {b}" for a, b in itertools.product(_NORTH_FIRST, _NORTH_SECOND)),
}

#: Upland index above which a rural commune counts as a mountain commune.
MOUNTAIN_UPLAND = 0.5


def nfc(text: str) -> str:
    """``text`` in Unicode NFC (how the layers store every name)."""
    return unicodedata.normalize("NFC", text)


@dataclass(frozen=True)
class NamingStyle:
    """How one commune names its villages.

    Parameters
    ----------
    kind
        The village kind (layer value): thôn, làng, ấp, bản, khu phố, tổ dân phố.
    numbered
        ``thôn 1``, ``thôn 2``… instead of names from ``pool``.
    pool
        Key of :data:`POOLS` for named villages.
    """

    kind: str
    numbered: bool
    pool: str = "viet"


def commune_style(
    province: Province, environment: str, upland: float, rng: np.random.Generator
) -> NamingStyle:
    """The naming style of a commune from its region, clutter class and relief."""
    draw = float(rng.random())
    if environment != "rural":
        # Bình Định and the South call their urban quarters khu phố, Huế and the North tổ dân phố.
        kind = "khu phố" if province.south or province.code == "52" else "tổ dân phố"
        return NamingStyle(kind, numbered=True)
    mountain = upland >= MOUNTAIN_UPLAND
    if province.south:
        return NamingStyle("ấp", numbered=draw < 0.4)
    if province.code == "24":
        if mountain and draw < 0.75:
            return NamingStyle("bản", numbered=False, pool="north_upland")
        return NamingStyle("thôn", numbered=False)
    if mountain and draw < 0.6:
        return NamingStyle("làng", numbered=False, pool="highland")
    return NamingStyle("thôn", numbered=draw < 0.8)


def village_labels(style: NamingStyle, n: int, fixed: tuple[str, ...], rng: np.random.Generator) -> list[str]:
    """``n`` distinct labels for a commune's villages, containing every label of ``fixed``.

    Numbered styles give ``1…n`` (a fixed label must then be one of those numbers);
    named styles give the fixed labels first, then labels drawn from the pool.
    """
    if style.numbered:
        return [str(i) for i in range(1, n + 1)]
    pool = [label for label in POOLS[style.pool] if label not in fixed]
    picked = [pool[int(i)] for i in rng.permutation(len(pool))[: max(0, n - len(fixed))]]
    return [*fixed, *picked][:n]


def village_name(kind: str, label: str) -> str:
    """The displayed name, e.g. ``thôn 1`` or ``làng O2`` (NFC)."""
    return nfc(f"{kind} {label}")
