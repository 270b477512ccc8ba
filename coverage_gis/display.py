"""How numbers are shown to people: shares, counts, money, distances, signal levels.

Owns the one display rule for shares (``docs/architecture.md``, KPIs): a percentage is
rounded half up to one decimal, **except** that a share which is not exactly 100 is
never shown as 100 (it is floored: 99.96 → 99.9) and a share which is not exactly 0 is
never shown as 0 (it is raised: 0.04 → 0.1). "100,0 %" on a report then always means
every village, and a village without service can never hide behind rounding. The CLI
tables, the spreadsheet display columns (:mod:`coverage_gis.reports`), the offline gap
map and the scorecard use :func:`display_share`; the web map applies the same rule in
``app.js`` (``displayShare``; ``tests/test_display.py`` runs both on the same values).

Numbers are written in the Vietnamese convention in Vietnamese (``1.234,5``; ``99,9 %``)
and the English one in English (``1,234.5``; ``99.9%``). Values stay unrounded in the
library and in machine output (JSON); rounding is for display only.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any, Literal

from coverage_gis._values import is_missing, plain_value

Lang = Literal["vi", "en"]
#: Languages of every label and message (Vietnamese first: the default).
LANGS: tuple[Lang, ...] = ("vi", "en")
#: How money is shown: whole đồng, or millions of đồng (triệu đồng).
MoneyUnit = Literal["dong", "million"]
MONEY_UNITS: tuple[MoneyUnit, ...] = ("dong", "million")
#: Plan units (``data/plans``) of a value that is a share in percent.
PERCENT_UNITS: frozenset[str] = frozenset({"percent", "%"})
#: Decimals of a share (percent) on display.
SHARE_DIGITS = 1
#: Decimals of longitude and latitude on display (≈ 0.1 m).
COORDINATE_DIGITS = 6
#: Decimals of a signal level (dBm) on display.
DBM_DIGITS = 1


def first_few(items: Iterable[object], most: int) -> str:
    """``a, b, c`` — the first ``most`` items as text, then ``...`` if there are more."""
    texts = [str(item) for item in items]
    return ", ".join(texts[:most]) + (", ..." if len(texts) > most else "")


def _finite(value: Any) -> float | None:
    plain = plain_value(value)
    if plain is None or isinstance(plain, bool) or not isinstance(plain, int | float):
        return None
    number = float(plain)
    return number if math.isfinite(number) else None


def display_share(value: Any, digits: int = SHARE_DIGITS) -> float | None:
    """A percentage (0–100) rounded for display, never 100 or 0 unless exactly so.

    Rounds half up to ``digits`` decimals; a value below 100 that would round to 100 is
    floored instead, and a value above 0 that would round to 0 is raised to the first
    step above 0. None (or NaN) stays None.

    Examples
    --------
    >>> display_share(99.96), display_share(100.0), display_share(0.01), display_share(0.0)
    (99.9, 100.0, 0.1, 0.0)
    """
    number = _finite(value)
    if number is None:
        return None
    scale = 10.0**digits
    shown = math.floor(number * scale + 0.5) / scale
    if shown >= 100.0 and number < 100.0:
        shown = math.floor(number * scale) / scale
    elif shown <= 0.0 and number > 0.0:
        shown = math.ceil(number * scale) / scale
    return shown


def display_plan_value(value: Any, unit: Any) -> float | None:
    """A plan indicator's value for display: a share (``percent``) by :func:`display_share`,
    any other number as it is (None when missing)."""
    number = _finite(value)
    if number is None:
        return None
    return display_share(number) if str(unit).strip() in PERCENT_UNITS else number


def format_number(value: Any, digits: int = 0, *, lang: Lang = "vi") -> str:
    """``value`` with ``digits`` decimals and thousands separators of ``lang`` ("—" when missing)."""
    number = _finite(value)
    if number is None:
        return "—"
    text = f"{number:,.{digits}f}"
    if text in ("-0", "-0." + "0" * digits):
        text = text[1:]
    if lang == "vi":
        return text.replace(",", "\u0000").replace(".", ",").replace("\u0000", ".")
    return text


def format_share(value: Any, *, lang: Lang = "vi", digits: int = SHARE_DIGITS) -> str:
    """A percentage by the display rule: ``99,9 %`` (vi) or ``99.9%`` (en); "—" when missing."""
    shown = display_share(value, digits)
    if shown is None:
        return "—"
    text = format_number(shown, digits, lang=lang)
    return f"{text} %" if lang == "vi" else f"{text}%"


def money_value(vnd: Any, unit: MoneyUnit = "dong") -> float | None:
    """An amount in đồng as shown in ``unit``: whole đồng, or millions to one decimal."""
    number = _finite(vnd)
    if number is None:
        return None
    if unit == "million":
        return math.floor(number / 1e5 + 0.5) / 10.0
    return float(math.floor(number + 0.5))


def format_money(vnd: Any, *, lang: Lang = "vi", unit: MoneyUnit = "million") -> str:
    """An amount: ``280,1 triệu đồng`` / ``VND 280.1 million``, or in whole đồng."""
    shown = money_value(vnd, unit)
    if shown is None:
        return "—"
    if unit == "million":
        text = format_number(shown, 1, lang=lang)
        return f"{text} triệu đồng" if lang == "vi" else f"VND {text} million"
    text = format_number(shown, 0, lang=lang)
    return f"{text} đồng" if lang == "vi" else f"VND {text}"


def format_yes_no(value: Any, *, lang: Lang = "vi") -> str:
    """``có``/``không`` (vi) or ``yes``/``no`` (en); "—" when missing."""
    if is_missing(value):
        return "—"
    yes = bool(plain_value(value))
    if lang == "vi":
        return "có" if yes else "không"
    return "yes" if yes else "no"


def column_unit(column: str) -> str | None:
    """The unit a column's name declares (house style), or None.

    ``pct`` (percent share), ``vnd`` (đồng), ``coordinate`` (``lon``/``lat``), ``dbm``,
    ``m`` (metres), ``mbps``.
    """
    if column.endswith("_pct"):
        return "pct"
    if column.endswith("_vnd"):
        return "vnd"
    if column in ("lon", "lat") or column.endswith(("_lon", "_lat")):
        return "coordinate"
    if column.endswith("_dbm"):
        return "dbm"
    if column.endswith("_m"):
        return "m"
    if column.endswith("_mbps"):
        return "mbps"
    return None


def display_value(column: str, value: Any, *, money: MoneyUnit = "dong") -> Any:
    """A number of column ``column`` rounded as its unit is shown (other values unchanged).

    Shares by :func:`display_share`, money by :func:`money_value`, coordinates to six
    decimals, signal levels and speeds to one, metres to whole metres.
    """
    unit = column_unit(column)
    number = _finite(value)
    if unit is None or number is None:
        return value
    if unit == "pct":
        return display_share(number)
    if unit == "vnd":
        return money_value(number, money)
    if unit == "coordinate":
        return round(number, COORDINATE_DIGITS)
    if unit in ("dbm", "mbps"):
        return round(number, DBM_DIGITS)
    return float(math.floor(number + 0.5))


def format_cell(column: str, value: Any, *, lang: Lang = "vi", money: MoneyUnit = "million") -> str:
    """One value of column ``column`` as text for a table read by people ("—" when missing)."""
    plain = plain_value(value)
    if plain is None:
        return "—"
    if isinstance(plain, bool):
        return format_yes_no(plain, lang=lang)
    unit = column_unit(column)
    if isinstance(plain, int | float):
        if unit == "pct":
            shown = display_share(plain)
            return "—" if shown is None else format_number(shown, SHARE_DIGITS, lang=lang)
        if unit == "vnd":
            return format_number(money_value(plain, money), 1 if money == "million" else 0, lang=lang)
        if unit == "coordinate":
            return format_number(plain, COORDINATE_DIGITS, lang=lang)
        if unit in ("dbm", "mbps"):
            return format_number(plain, DBM_DIGITS, lang=lang)
        if unit == "m" or isinstance(plain, int):
            return format_number(plain, 0, lang=lang)
        if float(plain).is_integer():
            return format_number(plain, 0, lang=lang)
        return format_number(plain, 1, lang=lang)
    return str(plain)
