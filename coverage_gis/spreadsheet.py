"""Text that a spreadsheet would run as a formula, neutralised for CSV and XLSX files.

A cell whose text starts with ``=``, ``+``, ``-`` or ``@`` (also after leading
spaces, tabs or line breaks, and their full-width forms) is a formula to Excel,
LibreOffice and Google Sheets: ``=HYPERLINK(…)``, ``@SUM(…)``, ``+cmd|' /C calc'!A0``
or a DDE call run when the file is opened. Names and ids come from users' files and
API edits, so every CSV and XLSX writer (:mod:`coverage_gis.reports`, which ``covgis …
--csv``, the API's downloads, the plan files and the provincial report use, and the web
map's CSV export, which applies the same rule in ``app.js``) goes through here:

* CSV: such text gets a leading apostrophe (``'=1+1``), which spreadsheets show as
  text and do not evaluate (the OWASP "CSV injection" advice);
* XLSX: text is always written as a string cell, never as a formula, so it keeps
  its exact value (see ``coverage_gis.reports``).

Numbers stay numbers: only text is touched.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

#: First characters that make a cell a formula (ASCII and full-width forms).
FORMULA_STARTS: frozenset[str] = frozenset("=+-@＝＋－＠")
#: Characters that start a cell and hide what follows from a quick look.
_LEADING_CONTROL: frozenset[str] = frozenset("\t\r\n")


def is_formula_like(text: str) -> bool:
    """Whether a spreadsheet could read ``text`` as a formula."""
    if not text:
        return False
    stripped = text.lstrip()
    return text[0] in _LEADING_CONTROL or (bool(stripped) and stripped[0] in FORMULA_STARTS)


def csv_safe(value: Any) -> Any:
    """``value``, with formula-like text prefixed by an apostrophe; anything else unchanged."""
    if isinstance(value, str) and is_formula_like(value):
        return "'" + value
    return value


def csv_safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` (geometry dropped) whose text cells are :func:`csv_safe`."""
    out = pd.DataFrame(frame.drop(columns="geometry", errors="ignore")).copy()
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column].dtype):
            out[column] = out[column].map(csv_safe, na_action="ignore")
    return out
