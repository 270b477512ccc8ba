"""Cells joined to their sites (``docs/architecture.md``: geo adapter): the rows of both
frames an inner join on ``site_id`` pairs, found by comparing neighbours when cells come
site by site, else by one hash of both frames' ids, else as ``DataFrame.merge`` finds
them. :mod:`coverage_gis.network` builds the cell table on it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from coverage_gis._column_codes import all_equal, all_strings, new_runs, rows_of, strings_of, take_strings
from coverage_gis._strings import str_array
from coverage_gis.models.base import StrArray

SITE_COLUMNS = ("status", "height_m", "environment", "x_m", "y_m")


@dataclass(frozen=True)
class SiteJoin:
    """Cells joined to their sites (an inner join on ``site_id``), as rows of both frames.

    With distinct string ids (the layer's rule), cells listed site by site in the
    sites' order find their sites by comparing neighbours (:func:`_site_runs`), others
    by one hash of both frames' ids; otherwise the rows are those of a hashed lookup
    (distinct ids, one missing) or of a merge (repeated ids), in the merge's order.
    """

    #: Per joined cell: its row in the sites frame, and in the cells frame.
    site_row: np.ndarray
    cell_row: np.ndarray
    #: Per joined cell: a code of its site id (the cells of one site id share it).
    site_code: np.ndarray
    #: Whether the site ids are distinct (a cell's site is one row).
    distinct: bool
    #: Per site row: its id as a string, when the ids are distinct strings (else None).
    site_names: np.ndarray | None
    #: Whether the joined cells are every row of the cells frame, in order.
    every_cell: bool

    def __len__(self) -> int:
        return len(self.cell_row)

    @property
    def cell_rows(self) -> np.ndarray | None:
        """``cell_row``, or None when that is every row in order (nothing to take)."""
        return None if self.every_cell else self.cell_row

    @classmethod
    def of(cls, site_ids: pd.Series, cells: pd.DataFrame, site_columns: tuple[str, ...]) -> SiteJoin:
        """The join of ``cells`` to the sites with these ids (whose other columns are ``site_columns``)."""
        cell_ids = cells["site_id"]
        n_sites, n_cells = len(site_ids), len(cell_ids)
        clash = {f"{c}_site" for c in site_columns if c in cells.columns and f"{c}_site" in cells.columns}
        if clash:
            raise pd.errors.MergeError(
                f"Passing 'suffixes' which cause duplicate columns {clash} is not allowed."
            )
        if not any(f"{c}_site" in cells.columns for c in site_columns):
            runs = _site_runs(site_ids, cell_ids)
            if runs is not None:
                return cls(
                    runs, np.arange(n_cells), runs, True, strings_of(np.asarray(site_ids, dtype=object)), True
                )
            codes, uniques = pd.factorize(pd.concat([site_ids, cell_ids], ignore_index=True))
            names = np.asarray(uniques[:n_sites], dtype=object)
            if np.array_equal(codes[:n_sites], np.arange(n_sites)) and all_strings(names):
                cell_codes = codes[n_sites:]
                found = (cell_codes >= 0) & (cell_codes < n_sites)
                if found.all():
                    site_row = cell_codes.astype(np.int64)
                    return cls(site_row, np.arange(n_cells), site_row, True, strings_of(names), True)
                cell_row = np.flatnonzero(found)
                site_row = cell_codes[cell_row].astype(np.int64)
                return cls(site_row, cell_row, site_row, True, strings_of(names), False)
            index = pd.Index(site_ids)
            if index.is_unique:
                position = index.get_indexer(cell_ids)
                cell_row = np.flatnonzero(position >= 0)
                site_row = position[cell_row].astype(np.int64)
                return cls(site_row, cell_row, site_row, True, None, len(cell_row) == n_cells)
        rows = pd.DataFrame({"site_id": cell_ids.array, "cell_row": np.arange(n_cells)}).merge(
            pd.DataFrame({"site_id": site_ids.array, "site_row": np.arange(n_sites)}),
            on="site_id",
            how="inner",
        )
        site_row = rows["site_row"].to_numpy(dtype=np.int64)
        cell_row = rows["cell_row"].to_numpy(dtype=np.int64)
        every = bool(np.array_equal(cell_row, np.arange(n_cells)))
        return cls(site_row, cell_row, pd.factorize(site_ids)[0][site_row], False, None, every)

    def take(self, index: np.ndarray) -> SiteJoin:
        """The joined cells at positions ``index`` (ascending)."""
        return SiteJoin(
            self.site_row[index],
            self.cell_row[index],
            self.site_code[index],
            self.distinct,
            self.site_names,
            self.every_cell and len(index) == len(self),
        )

    def site_strings(self, cell_ids: pd.Series) -> StrArray:
        """``str_array`` of the joined cells' site ids: their sites' ids, converted once per site."""
        if self.site_names is None:
            return str_array(rows_of(cell_ids, self.cell_rows))
        return take_strings(self.site_names, self.site_row)


def _site_runs(site_ids: pd.Series, cell_ids: pd.Series) -> np.ndarray | None:
    """Each cell's site row when the cells come site by site, in the sites' order, every
    site with a cell, and the site ids are distinct strings (None otherwise).

    Read without hashing a cell's id: consecutive cells compare, and the first cell of
    each run compares with its site.
    """
    if site_ids.dtype != object or cell_ids.dtype != object or not len(cell_ids):
        return None
    sites, cells = site_ids.to_numpy(), cell_ids.to_numpy()
    new_run = new_runs(cells)
    if new_run is None or not all_strings(sites):
        return None
    first = np.flatnonzero(new_run)
    if len(first) != len(sites) or not all_equal(cells[first], sites):
        return None
    if not pd.Index(sites, dtype=object).is_unique:
        return None
    return np.cumsum(new_run, dtype=np.int64) - 1
