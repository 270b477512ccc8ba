"""What each site's cells offer (``docs/architecture.md``, coverage rules): operators and
technologies per site, and the rule "a site is shared when its on-air cells belong to two
or more operators". Read from the layers, or from a cell table that has hashed them already.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from coverage_gis.network import CellTable, bits_to_names, cell_states, operator_bits
from coverage_gis.vocabulary import TECHS


@dataclass(frozen=True)
class SiteOffer:
    """What each site's cells offer, one entry per distinct ``site_id`` (in order of its first row).

    Owns the rule "a site is shared when its on-air cells belong to two or more
    operators" (``docs/architecture.md``, coverage rules). The bit masks are ORed over
    the site's live cells (not decommissioned, nor their site): operators and
    technologies (:data:`TECHS` order) of those on air, operators of them all.
    """

    site_id: np.ndarray
    #: Per row of the sites frame: its site's entry (-1 where the row has no id).
    row_site: np.ndarray
    live_ops: np.ndarray
    live_techs: np.ndarray
    any_ops: np.ndarray
    #: Per site: the position of its first live cell (the number of cells when it has none).
    first_live_cell: np.ndarray

    @classmethod
    def of(cls, sites: pd.DataFrame, cells: pd.DataFrame, table: CellTable | None = None) -> SiteOffer:
        """What the ``cells`` of ``sites`` offer.

        ``table`` is the frames' cell table when the caller holds it: its cells are the
        live ones, already joined to their sites and coded, so nothing is hashed again.
        """
        source = table.source if table is not None else None
        if table is not None and source is not None and source.of(sites, cells):
            kinds = table.kinds
            tech_bits = _tech_bits(kinds.tech)
            if source.distinct_ids:
                # Each site row is its own entry: nothing to hash.
                return cls._combine(
                    sites["site_id"].to_numpy(dtype=object),
                    np.arange(len(sites)),
                    len(cells),
                    live=source.cell_row,
                    site=source.site_row,
                    on_air=table.on_air,
                    ops=kinds.operator_bits[kinds.code],
                    techs=tech_bits[kinds.code],
                )
            row_site, site_id = pd.factorize(sites["site_id"])
            entry = row_site[source.site_row]
            known = np.flatnonzero(entry >= 0)
            return cls._combine(
                site_id,
                row_site,
                len(cells),
                live=source.cell_row[known],
                site=entry[known],
                on_air=table.on_air[known],
                ops=kinds.operator_bits[kinds.code[known]],
                techs=tech_bits[kinds.code[known]],
            )
        row_site, site_id = pd.factorize(sites["site_id"])
        first_row = np.full(len(site_id), len(sites), dtype=np.int64)
        np.minimum.at(first_row, row_site[row_site >= 0], np.flatnonzero(row_site >= 0))
        status = sites["status"].to_numpy(dtype=object)[first_row]
        # Each cell's site by a hashed lookup (None where the site is missing).
        position = pd.Index(site_id).get_indexer(pd.Index(cells["site_id"]))
        found = np.append(status, np.array([None], dtype=object))[position]
        alive, on_air = cell_states(cells["status"], pd.Series(found, index=cells.index, dtype=object))
        tech_codes, tech_names = pd.factorize(cells["tech"].to_numpy(dtype=object))
        live = np.flatnonzero(alive)
        return cls._combine(
            site_id,
            row_site,
            len(cells),
            live=live,
            site=position[live],
            on_air=on_air[live],
            ops=operator_bits(cells["operator"])[live],
            techs=_tech_bits(np.array([*tech_names, None], dtype=object))[tech_codes][live],
        )

    @classmethod
    def _combine(
        cls,
        site_id: pd.Index | np.ndarray,
        row_site: np.ndarray,
        n_cells: int,
        *,
        live: np.ndarray,
        site: np.ndarray,
        on_air: np.ndarray,
        ops: np.ndarray,
        techs: np.ndarray,
    ) -> SiteOffer:
        """The offer of the live cells (rows ``live`` of the cells frame, of sites ``site``)."""
        # One OR per site over its live cells (a vectorised groupby: a pandas aggregation
        # with a ufunc runs in Python per site).
        first_cell = np.full(len(site_id), n_cells, dtype=np.int64)
        groups = _Groups.of(site)
        if groups is None:
            np.minimum.at(first_cell, site, live)
        else:
            first_cell[groups.code] = np.minimum.reduceat(live, groups.start)
        return cls(
            site_id=np.asarray(site_id, dtype=object),
            row_site=np.asarray(row_site, dtype=np.int64),
            live_ops=_or_by_group(site, len(site_id), np.where(on_air, ops, 0), groups),
            live_techs=_or_by_group(site, len(site_id), np.where(on_air, techs, 0), groups),
            any_ops=_or_by_group(site, len(site_id), ops, groups),
            first_live_cell=first_cell,
        )

    @property
    def n_operators(self) -> np.ndarray:
        """Per site: how many operators have a cell on air there."""
        return np.bitwise_count(self.live_ops.astype(np.uint64)).astype(np.int64)

    @property
    def has_5g(self) -> np.ndarray:
        """Per site: whether a 5G cell is on air there."""
        return np.asarray((self.live_techs & (1 << TECHS.index("5G"))) != 0, dtype=bool)


def site_operators(sites: pd.DataFrame, cells: pd.DataFrame) -> pd.DataFrame:
    """What each site's cells offer (:class:`SiteOffer`), indexed by ``site_id``.

    Sites without live cells are absent; the others come in the order of their first
    live cell. Columns:

    ``operators``
        Operators of the on-air cells, comma-joined in :data:`OPERATORS` order.
    ``n_operators``, ``shared``
        Their number, and whether it is two or more.
    ``techs``, ``has_5g``
        Technologies of the on-air cells (oldest first), and whether 5G is one.
    ``any_operators``
        Operators of every cell that is not decommissioned (planned ones too).
    """
    offer = SiteOffer.of(sites, cells)
    order = np.argsort(offer.first_live_cell, kind="stable")
    order = order[offer.first_live_cell[order] < len(cells)]
    n_operators = offer.n_operators[order]
    tech_names = np.array(
        [",".join(t for i, t in enumerate(TECHS) if mask & (1 << i)) for mask in range(1 << len(TECHS))],
        dtype=object,
    )
    return pd.DataFrame(
        {
            "operators": bits_to_names(offer.live_ops[order]),
            "n_operators": n_operators,
            "shared": n_operators >= 2,
            "techs": tech_names[offer.live_techs[order]],
            "has_5g": offer.has_5g[order],
            "any_operators": bits_to_names(offer.any_ops[order]),
        },
        index=pd.Index(offer.site_id[order], name="site_id"),
    )


def _tech_bits(tech: np.ndarray) -> np.ndarray:
    """The bit of each technology (:data:`TECHS` order; 0 for None or an unknown one)."""
    bit = {t: 1 << i for i, t in enumerate(TECHS)}
    return np.array([bit.get(t, 0) for t in tech], dtype=np.int64)


@dataclass(frozen=True)
class _Groups:
    """Group codes that come in runs, ascending (a table's cells, site by site): each group's
    first position, so that a reduction per group is one ``reduceat``."""

    #: Per run: its group code, and its first position.
    code: np.ndarray
    start: np.ndarray

    @classmethod
    def of(cls, codes: np.ndarray) -> _Groups | None:
        """The runs of ``codes``, or None when they are not ascending (or there are none)."""
        if not len(codes):
            return None
        step = np.diff(codes)
        if (step < 0).any():
            return None
        start = np.flatnonzero(np.append(True, step != 0))
        return cls(codes[start], start)


def _or_by_group(
    codes: np.ndarray, n_groups: int, values: np.ndarray, groups: _Groups | None = None
) -> np.ndarray:
    """Bitwise OR of ``values`` per group code (``0..n_groups-1``); ``groups`` the runs of
    ``codes`` when they are ascending."""
    out = np.zeros(n_groups, dtype=np.int64)
    values = values.astype(np.int64, copy=False)
    if groups is None:
        np.bitwise_or.at(out, codes, values)
    else:
        out[groups.code] = np.bitwise_or.reduceat(values, groups.start)
    return out
