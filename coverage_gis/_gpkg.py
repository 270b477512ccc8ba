"""Row-level edits of a workspace GeoPackage through SQLite, inside one transaction.

GDAL writes whole layers; a site edit must change a handful of rows in well under
50 ms and atomically. GeoPackage is SQLite, so this module edits rows directly:
point geometries are encoded as GeoPackage binary (header + WKB), and the layers
edited this way are created without an R-tree index (its triggers call GDAL's SQL
functions, which plain SQLite lacks). Readers keep using pyogrio.
"""

from __future__ import annotations

import contextlib
import sqlite3
import struct
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from coverage_gis._values import plain_value
from coverage_gis.errors import Conflict

#: Layers whose rows are edited in place (created with SPATIAL_INDEX=NO).
ROW_EDITED_LAYERS: frozenset[str] = frozenset(
    {"sites", "cells", "village_coverage", "revisions", "coverage_changes"}
)
_BUSY_TIMEOUT_S = 5.0
#: Columns row edits look rows up by; without an index every lookup scans the table.
ROW_KEYS: dict[str, tuple[str, ...]] = {
    "sites": ("site_id",),
    "cells": ("site_id", "cell_id"),
    "village_coverage": ("village_id",),
    "revisions": ("revision",),
    "coverage_changes": ("revision",),
}


def point_blob(lon: float, lat: float, srs_id: int = 4326) -> bytes:
    """GeoPackage binary for a 2D point: 'GP', version 0, little-endian, no envelope, then WKB."""
    header = b"GP" + bytes([0, 0b00000001]) + struct.pack("<i", srs_id)
    return header + struct.pack("<BIdd", 1, 1, lon, lat)


@contextlib.contextmanager
def transaction(path: Path) -> Iterator[sqlite3.Connection]:
    """An immediate (write-locked) transaction: commit on success, roll back on any error."""
    conn = sqlite3.connect(path, timeout=_BUSY_TIMEOUT_S, isolation_level=None)
    try:
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise Conflict(f"{path} is locked by another writer ({exc}); try again") from None
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
    finally:
        conn.close()


def ensure_row_indexes(conn: sqlite3.Connection) -> None:
    """Create the lookup indexes of the row-edited tables (rewriting a layer drops them)."""
    for table, keys in ROW_KEYS.items():
        if not table_exists(conn, table):
            continue
        for key in keys:
            conn.execute(f'CREATE INDEX IF NOT EXISTS "idx_{table}_{key}" ON "{table}" ("{key}")')


def table_exists(conn: sqlite3.Connection, table: str) -> bool:
    row = conn.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (table,)).fetchone()
    return row is not None


def columns(conn: sqlite3.Connection, table: str) -> list[str]:
    return [str(r[1]) for r in conn.execute(f'PRAGMA table_info("{table}")')]


def insert_rows(conn: sqlite3.Connection, table: str, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert rows; keys not in the table are an error (schema drift must be loud)."""
    if not rows:
        return
    known = set(columns(conn, table))
    names = list(rows[0])
    unknown = [n for n in names if n not in known]
    if unknown:
        raise KeyError(f"{table} has no columns {unknown}")
    quoted = ", ".join(f'"{n}"' for n in names)
    marks = ", ".join("?" for _ in names)
    conn.executemany(
        f'INSERT INTO "{table}" ({quoted}) VALUES ({marks})',
        [tuple(plain_value(row[n]) for n in names) for row in rows],
    )


def delete_where_in(conn: sqlite3.Connection, table: str, column: str, values: Iterable[Any]) -> int:
    """Delete rows whose ``column`` is in ``values``; returns the number deleted."""
    values = list(values)
    if not values:
        return 0
    marks = ", ".join("?" for _ in values)
    cur = conn.execute(f'DELETE FROM "{table}" WHERE "{column}" IN ({marks})', values)
    return int(cur.rowcount)


def update_rows(conn: sqlite3.Connection, table: str, key: str, rows: Sequence[Mapping[str, Any]]) -> None:
    """Update rows matched on ``key`` with the other keys of each mapping."""
    if not rows:
        return
    names = [n for n in rows[0] if n != key]
    assignments = ", ".join(f'"{n}" = ?' for n in names)
    conn.executemany(
        f'UPDATE "{table}" SET {assignments} WHERE "{key}" = ?',
        [(*(plain_value(row[n]) for n in names), plain_value(row[key])) for row in rows],
    )


def scalar(path: Path, sql: str, params: Sequence[Any] = ()) -> Any:
    """One value from a read-only query (None if the file or table is missing)."""
    if not path.is_file():
        return None
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=_BUSY_TIMEOUT_S)
    try:
        row = conn.execute(sql, params).fetchone()
    except sqlite3.OperationalError:
        return None
    finally:
        conn.close()
    return None if row is None else row[0]
