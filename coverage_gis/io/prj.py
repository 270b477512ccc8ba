"""The CRS of an input file: a ``.prj`` whose datum shift survives only in the datum's name,
and the CRS a user names with ``--crs`` (:func:`given_crs`).

Vietnamese survey data is mostly in VN-2000, and a QGIS user usually works in a
VN-2000 CRS defined by a PROJ string with the national ``+towgs84`` parameters
(a TM-3 zone). GDAL writes a shapefile's ``.prj`` in the ESRI dialect of WKT, which has
no TOWGS84 node: the shift is dropped and only the datum's name keeps it,
``D_Unknown_based_on_WGS_84_ellipsoid_using_towgs84_-191_90441429_-39_30318279_...``
(the name PROJ gave it, with every ``.``, ``,`` and ``=`` turned into ``_``). Read as it
is, such a file lands about 200 m from where it belongs, with no error.
:func:`restored_datum_shift` reads the parameters back from the name and gives the CRS
its shift again; a name whose numbers cannot be read back in one way only is refused,
never guessed. A projected CRS named as VN-2000's but defined on WGS 84 without a shift
(MapInfo-era ``.prj`` files) is read on VN-2000's datum (:func:`vn2000_named_shift`).
"""

from __future__ import annotations

import re
import warnings

import pyproj

from coverage_gis.errors import LayerValidationError

__all__ = ["VN2000_TOWGS84", "given_crs", "restored_datum_shift", "vn2000_named_shift"]

_SHIFT_IN_NAME = re.compile(r"using_towgs84_(?P<numbers>-?\d[\d_-]*)\Z")
_WHOLE = re.compile(r"-?\d+\Z")
_DIGITS = re.compile(r"\d+\Z")
#: A towgs84 shift has three parameters (translation) or seven (Helmert).
_PARAMETER_COUNTS = (3, 7)


def _readings(tokens: list[str]) -> list[list[str]]:
    """Every way to read ``tokens`` (the name's ``_``-separated parts) as numbers, each a
    whole part (``-191``) with or without a fraction (``90441429``), in 3 or 7 numbers."""
    found: list[list[str]] = []

    def walk(at: int, numbers: list[str]) -> None:
        if len(numbers) > max(_PARAMETER_COUNTS) or len(found) > 1:
            return
        if at == len(tokens):
            if len(numbers) in _PARAMETER_COUNTS:
                found.append(numbers)
            return
        if not _WHOLE.match(tokens[at]):
            return
        walk(at + 1, [*numbers, tokens[at]])
        if at + 1 < len(tokens) and _DIGITS.match(tokens[at + 1]):
            walk(at + 2, [*numbers, f"{tokens[at]}.{tokens[at + 1]}"])

    walk(0, [])
    return found


def restored_datum_shift(crs: pyproj.CRS, *, source: str) -> pyproj.CRS:
    """``crs`` with the towgs84 shift its datum's name keeps (see the module docstring);
    any other CRS as it is.

    Raises
    ------
    LayerValidationError
        The name's numbers can be read as several shifts (or none): the file cannot say
        where its coordinates lie.
    """
    geodetic = crs.geodetic_crs
    if crs.is_bound or geodetic is None or geodetic.datum is None:
        return crs
    datum = geodetic.datum.name
    found = _SHIFT_IN_NAME.search(datum)
    if found is None:
        return crs
    readings = _readings(found.group("numbers").split("_"))
    if len(readings) != 1:
        raise LayerValidationError(
            f"the .prj's datum {datum!r} names a towgs84 datum shift that the ESRI .prj format "
            "dropped, and its numbers cannot be read back unambiguously; without it the features "
            "would be placed about 200 m off. Export the layer as a GeoPackage (which keeps the "
            "shift), or give the .prj a TOWGS84 or a VN-2000 datum, and import again",
            source=source,
            field="crs",
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a PROJ string keeps what a TM or UTM zone needs
        proj = crs.to_proj4()
    return pyproj.CRS.from_proj4(f"{proj} +towgs84={','.join(readings[0])}")


#: VN-2000's shift to WGS 84 (Decision 05/2007/QĐ-BTNMT): dX, dY, dZ (m), rX, rY, rZ ("), ds (ppm).
VN2000_TOWGS84 = "-191.90441429,-39.30318279,-111.45032835,-0.00928836,0.01975479,-0.00427372,0.252906278"
#: A projected CRS named as one of VN-2000's (``VN2000_KTT_108_15_mui_3``, ``VN-2000 / TM-3``).
_VN2000_NAME = re.compile(r"vn[\s_-]?2000", re.IGNORECASE)


def vn2000_named_shift(crs: pyproj.CRS) -> pyproj.CRS:
    """``crs`` on VN-2000's datum where it is a projected CRS named as VN-2000's but defined on
    WGS 84 with no shift (a MapInfo-era ``.prj``: ``PROJCS["VN2000_KTT_108_15_mui_3",
    GEOGCS["GCS_WGS_1984", ...]]``): its coordinates are VN-2000's, and read on WGS 84 they
    land about 230 m off. Any other CRS as it is."""
    geodetic = crs.geodetic_crs
    if crs.is_bound or not crs.is_projected or geodetic is None or geodetic.datum is None:
        return crs
    if not _VN2000_NAME.search(crs.name or "") or _VN2000_NAME.search(geodetic.datum.name or ""):
        return crs
    datum = (geodetic.datum.name or "").casefold()
    if "wgs" not in datum and "world geodetic system" not in datum:
        return crs
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a PROJ string keeps what a TM or UTM zone needs
        proj = crs.to_proj4()
    if "+towgs84" in proj:
        return crs
    # VN-2000's ellipsoid is WGS 84's; its datum is not.
    return pyproj.CRS.from_proj4(f"{proj.replace('+datum=WGS84', '+ellps=WGS84')} +towgs84={VN2000_TOWGS84}")


def given_crs(crs: str | None, source: str) -> pyproj.CRS | None:
    """The CRS named by ``--crs`` (None: none named; the file's own, or WGS 84 degrees)."""
    if crs is None:
        return None
    try:
        return pyproj.CRS.from_user_input(crs)
    except pyproj.exceptions.CRSError:
        raise LayerValidationError(
            f"unknown CRS {crs!r}; give an EPSG code such as EPSG:3405 (VN-2000 / UTM zone 48N) "
            "or a PROJ string",
            source=source,
        ) from None
