"""The embedded storage backend: one GeoPackage file (SQLite) per workspace.

Owns everything that knows the file is a GeoPackage:

* the file runs in SQLite's WAL mode (set by every write): a reader never waits for
  a writer, nor a writer for readers. A crash at any point leaves the last committed
  state, which the next connection recovers by itself; every connection is opened
  read-write for that reason, reads included (a read-only connection cannot roll
  back what a crashed writer left);
* a storage keeps a few idle connections (``_ConnectionPool``) for its reads and edits:
  closing the last connection to a WAL database folds the WAL into the file and deletes
  it, which cost several milliseconds on every read and edit. While a process holds the
  workspace open, its latest commits may therefore sit in the ``-wal`` file beside the
  ``.gpkg`` (durable there: SQLite replays it on the next open); ``Workspace.close()``
  or the process's exit folds them in. To copy a workspace a server holds open, use
  SQLite's backup (``sqlite3 workspace.gpkg ".backup copy.gpkg"``) or copy the ``-wal``
  file with it;
* reads go through SQLite, not GDAL: :meth:`GeoPackageStorage.snapshot` is one read
  transaction, so the layers read in it and its revision number belong to the same
  committed state whatever other processes commit meanwhile. Geometries are decoded
  from GeoPackage binary (header + WKB) here (:func:`decode_geometries`);
* whole-layer replacement through GDAL (pyogrio), on a copy: the live database is
  copied beside itself (SQLite backup), GDAL writes the layers into the copy, and the
  copy is written back over the live database by the SQLite backup API in one write
  transaction: all or nothing, and readers holding a snapshot keep theirs. The file
  is never replaced under a running reader (that would pair it with another
  database's WAL). Writes into the copy are not synced to disk (a crash loses only
  the copy); the write back is;
* row edits through SQLite in one ``BEGIN IMMEDIATE`` transaction. GDAL writes only
  whole layers, and a site edit must change a handful of rows in well under 50 ms.
  Geometries of inserted rows are encoded as GeoPackage binary (header + WKB), and
  the row-edited layers are created without an R-tree index (its triggers call
  GDAL's SQL functions, which plain SQLite lacks);
* undoing what the GeoPackage round trip loses (nullable booleans and integers come
  back as floats) so that readers get the schema's types;
* :meth:`GeoPackageStorage.recover`: what a crashed writer left (temporary copies,
  an interrupted transaction) is cleaned up on the next open.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import struct
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pyproj
import shapely
from shapely.geometry.base import BaseGeometry

from coverage_gis._values import plain_value
from coverage_gis.crs import STORAGE_CRS, BBox
from coverage_gis.errors import Conflict, NotFound, WorkspaceError
from coverage_gis.layers import get_schema
from coverage_gis.revisions import RevisionRecord, revision_rows
from coverage_gis.storage.base import (
    ROW_EDITED_LAYERS,
    ROW_KEYS,
    ReaderSnapshot,
    ReadsInTransactions,
    Record,
    empty_layer,
    typed_layer,
)

_BUSY_TIMEOUT_S = 5.0
#: How long a write waits to switch a file still in rollback-journal mode to WAL.
_WAL_SWITCH_TIMEOUT_MS = 200
_STORAGE_SRS_ID = 4326
#: Bytes of the envelope of a GeoPackage geometry blob, by the flags' envelope code.
_ENVELOPE_BYTES = (0, 32, 48, 48, 64)
#: Files SQLite keeps beside a database.
_SIDE_FILES = ("-journal", "-wal", "-shm")


def geometry_blob(geometry: BaseGeometry, srs_id: int = _STORAGE_SRS_ID) -> bytes:
    """GeoPackage binary of a 2D geometry: 'GP', version 0, little-endian, no envelope, then WKB."""
    header = b"GP" + bytes([0, 0b00000001]) + struct.pack("<i", srs_id)
    return header + shapely.to_wkb(geometry, byte_order=1, output_dimension=2)


def decode_geometries(blobs: Sequence[bytes | None], *, source: str = "") -> np.ndarray:
    """Shapely geometries (None for NULL) from GeoPackage binary blobs.

    Raises
    ------
    WorkspaceError
        A blob that is not GeoPackage binary, or whose WKB is damaged.
    """
    wkb: list[bytes | None] = []
    for blob in blobs:
        if blob is None:
            wkb.append(None)
            continue
        code = (blob[3] >> 1) & 0b111 if len(blob) >= 8 else 7
        if blob[:2] != b"GP" or code >= len(_ENVELOPE_BYTES):
            raise WorkspaceError(f"{source}: a geometry is not GeoPackage binary; the file is damaged")
        wkb.append(bytes(blob[8 + _ENVELOPE_BYTES[code] :]))
    try:
        return np.asarray(shapely.from_wkb(np.asarray(wkb, dtype=object)), dtype=object)
    except shapely.errors.GEOSException as exc:
        raise WorkspaceError(f"{source}: a geometry cannot be decoded ({exc}); the file is damaged") from None


def _side_files(path: Path) -> list[Path]:
    return [path.with_name(path.name + suffix) for suffix in _SIDE_FILES]


def _connect(path: Path, *, timeout_s: float = _BUSY_TIMEOUT_S) -> sqlite3.Connection:
    """A connection to an existing database, read-write (see the module docstring), autocommit."""
    uri = path.resolve().as_uri() + "?mode=rw"
    try:
        return sqlite3.connect(
            uri, uri=True, timeout=timeout_s, isolation_level=None, check_same_thread=False
        )
    except sqlite3.Error as exc:
        raise WorkspaceError(f"{path}: cannot open the GeoPackage ({exc})") from None


def _use_wal(conn: sqlite3.Connection) -> None:
    """Switch the database to WAL mode (a no-op when it is; skipped while others hold it)."""
    conn.execute(f"PRAGMA busy_timeout = {_WAL_SWITCH_TIMEOUT_MS}")
    with contextlib.suppress(sqlite3.OperationalError):
        conn.execute("PRAGMA journal_mode = WAL")
    conn.execute(f"PRAGMA busy_timeout = {int(_BUSY_TIMEOUT_S * 1000)}")


def _copy_database(source: Path, target: Path, *, scratch: bool = False) -> None:
    """Copy ``source`` over ``target`` with the SQLite backup API: one write transaction on ``target``.

    Reads ``source`` as one consistent state (its WAL included); readers of
    ``target`` keep the snapshot they hold. ``scratch``: ``target`` is a temporary
    copy (see :func:`_opened_scratch`), written without syncing.
    """
    src = _connect(source)
    try:
        dst = _connect(target)
        try:
            if scratch:
                _unsynced(dst)
            src.backup(dst)
        finally:
            dst.close()
    finally:
        src.close()


@contextlib.contextmanager
def _opened(path: Path) -> Iterator[sqlite3.Connection]:
    """A connection of its own to ``path``, closed after use."""
    conn = _connect(path)
    try:
        yield conn
    finally:
        conn.close()


#: GDAL's SQLite setting for its writes into a temporary copy (see :func:`_unsynced`).
_SCRATCH_GDAL_CONFIG = {"OGR_SQLITE_SYNCHRONOUS": "OFF"}


def _unsynced(conn: sqlite3.Connection) -> None:
    """Let ``conn`` write without waiting for the disk (``PRAGMA synchronous = OFF``).

    Only for a temporary copy of a replacement: a crash loses the copy, never the live
    database (``recover`` deletes the leftover), and the copy is written back over the
    live database by a synced transaction. Each sync of the copy's journal, file and
    folder cost milliseconds; a replacement made dozens of them.
    """
    conn.execute("PRAGMA synchronous = OFF")


@contextlib.contextmanager
def _opened_scratch(path: Path) -> Iterator[sqlite3.Connection]:
    """:func:`_opened` for a temporary copy: writes are not synced (:func:`_unsynced`)."""
    with _opened(path) as conn:
        _unsynced(conn)
        yield conn


#: Idle connections a :class:`_ConnectionPool` keeps.
_IDLE_CONNECTIONS = 4

#: Connections a forked process inherited: held here so that it never uses or closes
#: them (SQLite forbids carrying a connection across a fork: its in-memory lock and
#: WAL-index state belong to the parent). The child opens its own.
_INHERITED: list[sqlite3.Connection] = []


def _abandon(connections: list[sqlite3.Connection]) -> None:
    _INHERITED.extend(connections)


class _ConnectionPool:
    """Idle connections to one database file, reused by this process's reads and edits.

    Closing the last connection to a WAL database checkpoints the WAL and deletes it and
    its index file, and the next connection creates them again: several milliseconds per
    read or edit, each time. Connections kept open leave that to SQLite's automatic
    checkpoints (and to the last close, at exit). A connection serves one user at a
    time, is given back only outside a transaction and after success, never crosses a
    fork (the pool belongs to one process id) and never outlives the file it was opened
    on (its device and inode: a file replaced or deleted by hand gets new connections).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._idle: list[sqlite3.Connection] = []
        self._owner: tuple[int, int, int] | None = None

    @contextlib.contextmanager
    def connection(self, path: Path) -> Iterator[sqlite3.Connection]:
        try:
            st = path.stat()
        except OSError as exc:
            raise WorkspaceError(f"{path}: cannot open the GeoPackage ({exc})") from None
        owner = (os.getpid(), st.st_dev, st.st_ino)
        with self._lock:
            stale: list[sqlite3.Connection] = []
            if owner != self._owner:
                if self._owner is not None and self._owner[0] == owner[0]:
                    stale = self._idle
                else:
                    _abandon(self._idle)
                self._idle, self._owner = [], owner
            conn = self._idle.pop() if self._idle else None
        for old in stale:
            old.close()
        if conn is None:
            conn = _connect(path)
        try:
            yield conn
        except BaseException:
            conn.close()
            raise
        with self._lock:
            if not conn.in_transaction and self._owner == owner and len(self._idle) < _IDLE_CONNECTIONS:
                self._idle.append(conn)
                return
        conn.close()

    def close(self) -> None:
        """Close the idle connections (a later use opens new ones)."""
        with self._lock:
            idle, self._idle = self._idle, []
            mine = self._owner is not None and self._owner[0] == os.getpid()
        if not mine:
            _abandon(idle)
            return
        for conn in idle:
            conn.close()


@contextlib.contextmanager
def _transaction(
    path: Path,
    *,
    wal: bool = True,
    connection: Callable[[Path], contextlib.AbstractContextManager[sqlite3.Connection]] = _opened,
) -> Iterator[sqlite3.Connection]:
    """An immediate (write-locked) transaction: commit on success, roll back on any error.

    ``wal``: switch the file to WAL mode first (the live database; not a temporary copy).
    ``connection`` gives the connection (default: one of its own).
    """
    if not path.is_file():
        raise WorkspaceError(f"{path} does not exist; import or generate layers first")
    with connection(path) as conn:
        if wal:
            _use_wal(conn)
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise Conflict(f"{path.name} is locked by another writer ({exc}); try again") from None
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")


def _table_exists(conn: sqlite3.Connection, table: str) -> bool:
    row = conn.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (table,)).fetchone()
    return row is not None


def _ensure_row_indexes(conn: sqlite3.Connection) -> None:
    """Create the lookup indexes of the row-edited tables (rewriting a layer drops them)."""
    for table, keys in ROW_KEYS.items():
        if not _table_exists(conn, table):
            continue
        for key in keys:
            conn.execute(f'CREATE INDEX IF NOT EXISTS "idx_{table}_{key}" ON "{table}" ("{key}")')


def _max_revision(conn: sqlite3.Connection) -> int:
    if not _table_exists(conn, "revisions"):
        return 0
    value = conn.execute('SELECT MAX("revision") FROM "revisions"').fetchone()[0]
    return int(value) if value is not None else 0


#: SQLite column types of schema field types (what GDAL writes into a GeoPackage).
_SQL_TYPES: dict[str, str] = {
    "str": "TEXT",
    "int": "INTEGER",
    "float": "REAL",
    "bool": "BOOLEAN",
    "date": "TEXT",
}


class _RowEditor:
    """:class:`~coverage_gis.storage.base.RowEditor` on one open SQLite transaction."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        self._columns: dict[str, list[str]] = {}
        self._geometry_columns: dict[str, str | None] = {}

    def _table_columns(self, table: str) -> list[str]:
        if table not in self._columns:
            self._columns[table] = [str(r[1]) for r in self._conn.execute(f'PRAGMA table_info("{table}")')]
        return self._columns[table]

    def _columns_for(self, table: str, names: Iterable[str]) -> None:
        """Add the schema fields among ``names`` that a table written by an older version lacks.

        A field added to a layer's schema later is missing from files written before;
        the row editor adds it (nullable, in this transaction) instead of failing. A
        name that is not a field of the layer's schema still raises: drift must be loud.
        """
        known = set(self._table_columns(table))
        fields = {spec.name: spec for spec in get_schema(table).fields}
        missing = [n for n in names if n not in known]
        unknown = [n for n in missing if n not in fields]
        if unknown:
            raise KeyError(f"{table} has no columns {unknown}")
        for name in missing:
            kind = _SQL_TYPES.get(fields[name].type, "TEXT")
            self._conn.execute(f'ALTER TABLE "{table}" ADD COLUMN "{name}" {kind}')
        if missing:
            self._columns.pop(table, None)

    def _geometry_column(self, table: str) -> str | None:
        if table not in self._geometry_columns:
            row = self._conn.execute(
                "SELECT column_name FROM gpkg_geometry_columns WHERE table_name = ?", (table,)
            ).fetchone()
            self._geometry_columns[table] = None if row is None else str(row[0])
        return self._geometry_columns[table]

    def _stored(self, table: str, record: Record) -> dict[str, Any]:
        row = {str(k): plain_value(v) for k, v in record.items() if k != "geometry"}
        if "geometry" in record:
            column = self._geometry_column(table)
            if column is None:
                raise KeyError(f"{table} has no geometry column")
            geometry = record["geometry"]
            row[column] = None if geometry is None else geometry_blob(geometry)
        return row

    def revision(self) -> int:
        return _max_revision(self._conn)

    def insert_rows(self, layer: str, records: Sequence[Record]) -> None:
        if not records:
            return
        rows = [self._stored(layer, r) for r in records]
        names = list(rows[0])
        self._columns_for(layer, names)
        quoted = ", ".join(f'"{n}"' for n in names)
        marks = ", ".join("?" for _ in names)
        self._conn.executemany(
            f'INSERT INTO "{layer}" ({quoted}) VALUES ({marks})', [tuple(r[n] for n in names) for r in rows]
        )

    def delete_where_in(self, layer: str, column: str, values: Iterable[Any]) -> int:
        wanted = [plain_value(v) for v in values]
        if not wanted:
            return 0
        marks = ", ".join("?" for _ in wanted)
        cur = self._conn.execute(f'DELETE FROM "{layer}" WHERE "{column}" IN ({marks})', wanted)
        return int(cur.rowcount)

    def update_rows(self, layer: str, key: str, records: Sequence[Record]) -> None:
        if not records:
            return
        rows = [self._stored(layer, r) for r in records]
        names = [n for n in rows[0] if n != key]
        self._columns_for(layer, names)
        assignments = ", ".join(f'"{n}" = ?' for n in names)
        self._conn.executemany(
            f'UPDATE "{layer}" SET {assignments} WHERE "{key}" = ?',
            [(*(r[n] for n in names), r[key]) for r in rows],
        )

    def append_revision(self, record: RevisionRecord, *, time: str | None = None) -> int:
        number = _max_revision(self._conn) + 1
        row, changes = revision_rows(number, record, time=time)
        self.insert_rows("revisions", [row])
        self.insert_rows("coverage_changes", changes)
        return number


class _Reader:
    """Reads through one connection; inside a read transaction they see one committed state."""

    def __init__(self, conn: sqlite3.Connection | None, location: str) -> None:
        self._conn = conn
        self._location = location
        self._contents: dict[str, str] | None = None

    def _layers(self) -> dict[str, str]:
        if self._contents is None:
            if self._conn is None or not _table_exists(self._conn, "gpkg_contents"):
                self._contents = {}
            else:
                rows = self._conn.execute(
                    "SELECT table_name, data_type FROM gpkg_contents "
                    "WHERE data_type IN ('features', 'attributes') ORDER BY rowid"
                )
                self._contents = {str(name): str(kind) for name, kind in rows}
        return self._contents

    def _geometry(self, table: str) -> tuple[str, int] | None:
        assert self._conn is not None
        row = self._conn.execute(
            "SELECT column_name, srs_id FROM gpkg_geometry_columns WHERE table_name = ?", (table,)
        ).fetchone()
        return None if row is None else (str(row[0]), int(row[1]))

    def _crs(self, srs_id: int) -> pyproj.CRS:
        if srs_id == _STORAGE_SRS_ID:
            return pyproj.CRS(STORAGE_CRS)
        assert self._conn is not None
        row = self._conn.execute(
            "SELECT definition FROM gpkg_spatial_ref_sys WHERE srs_id = ?", (srs_id,)
        ).fetchone()
        if row is None:
            raise WorkspaceError(f"{self._location}: unknown spatial reference {srs_id}")
        return pyproj.CRS.from_user_input(str(row[0]))

    def layer_names(self) -> list[str]:
        return list(self._layers())

    def revision(self) -> int:
        return 0 if self._conn is None else _max_revision(self._conn)

    def coverage_is_current(self) -> bool:
        if self._conn is None or not _table_exists(self._conn, "revisions"):
            return True
        row = self._conn.execute(
            'SELECT "coverage_current" FROM "revisions" ORDER BY "revision" DESC LIMIT 1'
        ).fetchone()
        return row is None or row[0] is None or bool(row[0])

    def count(self, name: str) -> int:
        assert self._conn is not None
        return int(self._conn.execute(f'SELECT COUNT(*) FROM "{name}"').fetchone()[0])

    def _geometries(self, name: str) -> tuple[np.ndarray, pyproj.CRS] | None:
        found = self._geometry(name) if name in self._layers() else None
        if found is None:
            return None
        assert self._conn is not None
        column, srs_id = found
        blobs = [row[0] for row in self._conn.execute(f'SELECT "{column}" FROM "{name}"')]
        return decode_geometries(blobs, source=self._location), self._crs(srs_id)

    def bounds(self, name: str) -> BBox | None:
        if not get_schema(name).has_geometry:
            return None
        found = self._geometries(name)
        if found is None:
            return None
        geometries, crs = found
        series = gpd.GeoSeries(geometries, crs=crs)
        if crs != pyproj.CRS(STORAGE_CRS):
            series = series.to_crs(STORAGE_CRS)
        west, south, east, north = (float(v) for v in series.total_bounds)
        if not np.isfinite([west, south, east, north]).all():
            return None
        return west, south, east, north

    def read_layer(self, name: str, *, missing_ok: bool = False) -> pd.DataFrame:
        schema = get_schema(name)
        if name not in self._layers():
            if not missing_ok:
                raise NotFound(f"{self._location}: layer {name!r} is empty; import or generate it first")
            return empty_layer(schema)
        assert self._conn is not None
        info = list(self._conn.execute(f'PRAGMA table_info("{name}")'))
        present = {str(row[1]) for row in info}
        key = next((str(row[1]) for row in info if row[5] == 1), None)
        geometry = self._geometry(name) if schema.has_geometry else None
        fields = [f.name for f in schema.fields if f.name in present]
        selected = fields + ([geometry[0]] if geometry is not None else [])
        quoted = ", ".join(f'"{c}"' for c in selected)
        order = f' ORDER BY "{key}"' if key else ""
        rows = self._conn.execute(f'SELECT {quoted} FROM "{name}"{order}').fetchall()
        frame = pd.DataFrame.from_records(rows, columns=selected, coerce_float=True)
        if geometry is not None:
            blobs = frame.pop(geometry[0]).tolist()
            geoms = gpd.GeoSeries(
                decode_geometries(blobs, source=self._location), index=frame.index, crs=self._crs(geometry[1])
            )
            if geoms.crs != pyproj.CRS(STORAGE_CRS):
                geoms = geoms.to_crs(STORAGE_CRS)
            frame = gpd.GeoDataFrame(frame, geometry=geoms, crs=STORAGE_CRS)
        elif schema.has_geometry:
            missing = np.full(len(frame), None, dtype=object)
            frame = gpd.GeoDataFrame(
                frame, geometry=gpd.GeoSeries(missing, index=frame.index), crs=STORAGE_CRS
            )
        return typed_layer(frame, schema)


class GeoPackageStorage(ReadsInTransactions):
    """A workspace's layers in one GeoPackage file (see the module docstring).

    Parameters
    ----------
    path
        The ``.gpkg`` file; it need not exist yet (the first write creates it).
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._pool = _ConnectionPool()

    def close(self) -> None:
        """Close the idle connections this storage keeps (a later use opens new ones)."""
        self._pool.close()

    @property
    def location(self) -> str:
        return str(self.path)

    def exists(self) -> bool:
        return self.path.is_file()

    # -- reads --------------------------------------------------------------------------
    @contextlib.contextmanager
    def _read(self) -> Iterator[_Reader]:
        """One read transaction (a reader of nothing when the file does not exist yet)."""
        if not self.path.is_file():
            yield _Reader(None, self.location)
            return
        try:
            with self._pool.connection(self.path) as conn:
                conn.execute("BEGIN")
                try:
                    yield _Reader(conn, self.location)
                finally:
                    conn.execute("ROLLBACK")
        except sqlite3.DatabaseError as exc:
            raise WorkspaceError(f"{self.path}: cannot read the GeoPackage ({exc})") from None

    def revision(self) -> int:
        with self._read() as reader:
            return reader.revision()

    def coverage_is_current(self) -> bool:
        with self._read() as reader:
            return reader.coverage_is_current()

    @contextlib.contextmanager
    def snapshot(self) -> Iterator[ReaderSnapshot]:
        with self._read() as reader:
            # The first read pins the transaction's view of the file.
            yield ReaderSnapshot(reader, reader.revision())

    # -- writes -------------------------------------------------------------------------
    @contextlib.contextmanager
    def edit(self) -> Iterator[_RowEditor]:
        with _transaction(self.path, connection=self._pool.connection) as conn:
            yield _RowEditor(conn)

    def recover(self) -> list[Path]:
        """Clean up after a writer that crashed; returns the leftover files removed.

        Deletes temporary copies a crashed replacement left beside the file and opens
        the database once read-write, which rolls back an interrupted transaction (a
        hot journal, or uncommitted frames in the WAL). The caller holds the writer lock.
        """
        removed = []
        for leftover in sorted(self.path.parent.glob(f".{self.path.stem}-*.gpkg*")):
            leftover.unlink(missing_ok=True)
            removed.append(leftover)
        if self.path.is_file():
            conn = _connect(self.path)
            try:
                conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
                _use_wal(conn)
            except sqlite3.DatabaseError as exc:
                raise WorkspaceError(f"{self.path}: cannot open the GeoPackage ({exc})") from None
            finally:
                conn.close()
        return removed

    def replace_layers(
        self,
        layers: Mapping[str, pd.DataFrame],
        *,
        revision: RevisionRecord | None = None,
        fixed_timestamp: str | None = None,
    ) -> int | None:
        folder = self.path.parent
        fd, tmp_name = tempfile.mkstemp(prefix=f".{self.path.stem}-", suffix=".gpkg", dir=folder)
        os.close(fd)
        tmp = Path(tmp_name)
        try:
            if self.path.is_file():
                _copy_database(self.path, tmp, scratch=True)
                with _opened_scratch(tmp) as conn:
                    conn.execute("PRAGMA journal_mode = DELETE")
            else:
                tmp.unlink()
            options = dict(_SCRATCH_GDAL_CONFIG)
            if fixed_timestamp:
                options["OGR_CURRENT_DATE"] = fixed_timestamp
            number = None
            with _gdal_config(options):
                for name, frame in layers.items():
                    _write_frame(tmp, name, frame)
                present = {str(row[0]) for row in pyogrio.list_layers(tmp)}
                for name in sorted(ROW_EDITED_LAYERS - present):
                    # Row-edited tables must exist before the first in-place edit.
                    _write_frame(tmp, name, empty_layer(get_schema(name)))
            with _transaction(tmp, wal=False, connection=_opened_scratch) as conn:
                _ensure_row_indexes(conn)
                if revision is not None:
                    number = _RowEditor(conn).append_revision(revision, time=fixed_timestamp)
            if self.path.is_file():
                _copy_database(tmp, self.path)
            else:
                for side in _side_files(self.path):
                    side.unlink(missing_ok=True)  # left by a file deleted by hand
                with open(tmp, "rb+") as fh:
                    os.fsync(fh.fileno())
                os.replace(tmp, self.path)
            conn = _connect(self.path)
            try:
                _use_wal(conn)
                # The write back put every page of the database into the WAL. While this
                # process keeps connections open (a server's reads and edits), closing
                # this one folds none of it into the file: the next small commit would
                # (an automatic checkpoint, 0.2 s for a national workspace's site edit).
                # Folded now, by the whole-layer write, as far as no reader's snapshot
                # holds it back (a passive checkpoint never waits).
                conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
            finally:
                conn.close()
            return number
        finally:
            for path in (tmp, *_side_files(tmp)):
                path.unlink(missing_ok=True)


def _write_frame(path: Path, layer: str, frame: pd.DataFrame) -> None:
    schema = get_schema(layer)
    out = frame.copy()
    for spec in schema.fields:
        # GDAL has no nullable bool/int column type; nullable columns travel as float
        # and typed_layer turns them back.
        if spec.type in ("bool", "int") and str(out[spec.name].dtype) in ("boolean", "Int64"):
            out[spec.name] = out[spec.name].astype("float64")
    for spec in schema.fields:
        if spec.type in ("str", "date") and len(out) == 0:
            out[spec.name] = out[spec.name].astype(object)
        elif spec.type == "float" and len(out) == 0:
            out[spec.name] = out[spec.name].astype("float64")
        elif spec.type in ("int", "bool") and len(out) == 0:
            out[spec.name] = out[spec.name].astype("int64" if spec.type == "int" else bool)
    if not schema.has_geometry:
        pyogrio.write_dataframe(out, path, layer=layer, driver="GPKG")
        return
    if not isinstance(out, gpd.GeoDataFrame):
        raise WorkspaceError(f"layer {layer} needs a GeoDataFrame")
    # Lines may arrive as LineString or MultiLineString: store them all as Multi so the
    # GeoPackage layer has one declared type.
    lines = schema.geometry == "LineString"
    pyogrio.write_dataframe(
        out,
        path,
        layer=layer,
        driver="GPKG",
        geometry_type="MultiLineString" if lines else schema.geometry,
        promote_to_multi=lines,
        layer_options={"SPATIAL_INDEX": "NO"} if layer in ROW_EDITED_LAYERS else {},
    )


@contextlib.contextmanager
def _gdal_config(options: Mapping[str, str]) -> Iterator[None]:
    if not options:
        yield
        return
    pyogrio.set_gdal_config_options(dict(options))
    try:
        yield
    finally:
        pyogrio.set_gdal_config_options(dict.fromkeys(options))
