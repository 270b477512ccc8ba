"""The PostgreSQL/PostGIS backend: a workspace's layers, settings, files and lock in one database.

Owns everything that knows the workspace is a PostgreSQL database (``postgresql://…``):

* the schema: one table per layer, generated from ``layers/*.yaml``
  (:mod:`coverage_gis.storage.ddl`), created by the versioned migrations that
  :func:`migrate` applies (``covgis db init``) and records in ``schema_migrations``;
* connections: one psycopg 3 connection pool per storage object (autocommit
  connections; every transaction is an explicit ``BEGIN`` … ``COMMIT``);
* reads: :meth:`PostGISStorage.snapshot` is one ``REPEATABLE READ READ ONLY``
  transaction, so the layers read in it and its revision belong to one committed state
  whatever other sessions commit meanwhile, and it never waits for a writer (MVCC).
  Geometries travel as WKB;
* writes: every writing transaction first locks the one row of ``covgis_writer``
  (``SELECT … FOR UPDATE``), so writers are serialised inside the database whatever
  process they run in, and the revision a writer reads after the lock is the latest
  (``READ COMMITTED`` re-reads it). :meth:`PostGISStorage.replace_layers` deletes and
  bulk-loads (``COPY``) whole layers in one transaction (readers holding a snapshot keep
  theirs; ``TRUNCATE`` would break them); :meth:`PostGISStorage.edit` is one
  transaction of row edits. A revision append sends ``NOTIFY covgis_revision`` with its
  number, delivered when the transaction commits (:meth:`PostGISStorage.listen`);
* the workspace's home: the settings document in ``covgis_settings`` (one row, with a
  version the key ring watches), the files (``dem.tif``, ``roads.osm``,
  ``coverage_models.yaml``, ``srtm/*.hgt``) as bytes in ``covgis_files``, copied on
  first use into a local cache folder named by their SHA-256 (``COVGIS_CACHE_DIR``,
  else ``~/.cache/coverage-gis``) because GDAL and osmnx read files, and the writer
  lock as a session-level advisory lock (released by the server if the process dies).

A crash needs no recovery: PostgreSQL rolls back a transaction whose session ended.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import os
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import psycopg
import psycopg.errors
import shapely
from psycopg_pool import ConnectionPool, PoolTimeout

from coverage_gis._files import atomic_path
from coverage_gis._values import is_missing, plain_value
from coverage_gis.crs import STORAGE_CRS, BBox
from coverage_gis.errors import Conflict, LayerValidationError, NotFound, WorkspaceError
from coverage_gis.layers import FieldSchema, LayerSchema, get_schema
from coverage_gis.revisions import RevisionRecord, revision_rows
from coverage_gis.storage.base import (
    ROW_EDITED_LAYERS,
    ReaderSnapshot,
    ReadsInTransactions,
    Record,
    empty_layer,
    is_database_location,
    redact_url,
    typed_layer,
)
from coverage_gis.storage.ddl import GEOMETRY_COLUMN, GEOMETRY_TYPES, KEY_COLUMN, SRID, migrations, quote

#: The channel a committed revision is announced on (payload: its number).
REVISION_CHANNEL = "covgis_revision"
#: Seconds a writing transaction waits for the writer row before giving up with Conflict.
_WRITER_TIMEOUT_S = 5.0
#: Advisory lock keys (scoped to the database): the workspace's writer lock, migrations.
_WRITER_LOCK_KEY = int.from_bytes(hashlib.sha256(b"coverage_gis writer").digest()[:8], "big", signed=True)
_MIGRATION_LOCK_KEY = _WRITER_LOCK_KEY ^ 1
#: Connections one storage object keeps at most (a server's threads share them).
_POOL_SIZE = 8
_POOL_MAX_IDLE_S = 60.0


def cache_root() -> Path:
    """Where files of database workspaces are copied for GDAL and osmnx to read."""
    override = os.environ.get("COVGIS_CACHE_DIR")
    if override:
        return Path(override)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "coverage-gis"


# -- migrations -------------------------------------------------------------------------------
def applied_migrations(conn: psycopg.Connection[Any]) -> dict[str, str]:
    """Version → checksum of the migrations applied to the database (empty when none)."""
    exists = conn.execute("SELECT to_regclass('schema_migrations') IS NOT NULL").fetchone()
    if not exists or not exists[0]:
        return {}
    return {str(v): str(c) for v, c in conn.execute("SELECT version, checksum FROM schema_migrations")}


def migrate(conn: psycopg.Connection[Any]) -> list[str]:
    """Apply the migrations the database lacks, in order, each in its own transaction.

    ``conn`` is an autocommit connection. Creates the ``postgis`` extension when it is
    missing (which needs a role allowed to). Returns the versions applied now.

    Raises
    ------
    WorkspaceError
        PostGIS cannot be created, or an applied migration differs from the shipped file.
    """
    conn.execute("SELECT pg_advisory_lock(%s)", (_MIGRATION_LOCK_KEY,))
    try:
        try:
            conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
        except psycopg.Error as exc:
            raise WorkspaceError(
                f"cannot create the postgis extension ({_reason(exc)}); "
                "ask the database owner to run CREATE EXTENSION postgis"
            ) from None
        conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            "version text PRIMARY KEY, name text NOT NULL, checksum text NOT NULL, "
            "applied_at timestamptz NOT NULL DEFAULT now())"
        )
        applied = applied_migrations(conn)
        done = []
        for migration in migrations():
            if migration.version in applied:
                if applied[migration.version] != migration.checksum:
                    raise WorkspaceError(
                        f"migration {migration.name} applied to this database differs from the "
                        "shipped file; the database was made by another version of coverage-gis"
                    )
                continue
            with conn.transaction():
                conn.execute(migration.sql.encode("utf-8"))
                conn.execute(
                    "INSERT INTO schema_migrations (version, name, checksum) VALUES (%s, %s, %s)",
                    (migration.version, migration.name, migration.checksum),
                )
            done.append(migration.version)
        return done
    finally:
        conn.execute("SELECT pg_advisory_unlock(%s)", (_MIGRATION_LOCK_KEY,))


def _reason(exc: psycopg.Error) -> str:
    diag = getattr(exc, "diag", None)
    primary = getattr(diag, "message_primary", None) if diag is not None else None
    return str(primary or exc).strip().splitlines()[0]


# -- values -------------------------------------------------------------------------------------
def _sql_value(spec: FieldSchema, value: Any) -> Any:
    """A frame value as the Python value stored in the column of ``spec`` (None when missing)."""
    if is_missing(value):
        return None
    value = plain_value(value)
    if spec.type == "bool":
        return bool(value)
    if spec.type == "int":
        return int(value)
    if spec.type == "float":
        return float(value)
    if spec.type == "date":
        if isinstance(value, dt.datetime):
            return value.date().isoformat()
        if isinstance(value, dt.date):
            return value.isoformat()
        return str(value)
    return value if isinstance(value, str) else str(value)


def _geometry_hex(schema: LayerSchema, geometries: Sequence[Any]) -> list[str | None]:
    """EWKB (hex, SRID 4326) of 2D geometries, promoted to the column's multi type where needed."""
    arr = np.asarray(list(geometries), dtype=object)
    missing = np.array([g is None for g in arr], dtype=bool)
    if missing.all():
        return [None] * len(arr)
    present = arr[~missing]
    wanted = GEOMETRY_TYPES[schema.geometry]
    single = {"MultiLineString": "LineString", "MultiPolygon": "Polygon"}.get(wanted)
    if single is not None:
        promote = shapely.MultiLineString if single == "LineString" else shapely.MultiPolygon
        present = np.array([promote([g]) if g.geom_type == single else g for g in present], dtype=object)
    present = shapely.set_srid(present, SRID)
    encoded = shapely.to_wkb(present, hex=True, output_dimension=2, include_srid=True, byte_order=1)
    out: list[str | None] = [None] * len(arr)
    for i, text in zip(np.flatnonzero(~missing), encoded, strict=True):
        out[int(i)] = str(text)
    return out


def _frame_rows(schema: LayerSchema, frame: pd.DataFrame) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Column names and rows to load for ``frame`` (missing schema columns get their default)."""
    columns = [spec.name for spec in schema.fields]
    values = []
    for spec in schema.fields:
        if spec.name in frame.columns:
            values.append([_sql_value(spec, v) for v in frame[spec.name].tolist()])
        else:
            values.append([_sql_value(spec, spec.default)] * len(frame))
    if schema.has_geometry:
        geoms = frame.geometry if isinstance(frame, gpd.GeoDataFrame) else None
        if geoms is None:
            raise WorkspaceError(f"layer {schema.name} needs a GeoDataFrame")
        if geoms.crs is not None and geoms.crs != STORAGE_CRS:
            geoms = geoms.to_crs(STORAGE_CRS)
        columns.append(GEOMETRY_COLUMN)
        values.append(_geometry_hex(schema, geoms.tolist()))
    return columns, list(zip(*values, strict=True)) if values else []


def _integrity_error(layer: str, exc: psycopg.errors.IntegrityError) -> LayerValidationError:
    diag = exc.diag
    where = diag.column_name or diag.constraint_name or ""
    return LayerValidationError(_reason(exc), layer=layer, field=where or None)


# -- reads --------------------------------------------------------------------------------------
class _Reader:
    """Reads through one connection; inside a ``REPEATABLE READ`` transaction they see one state."""

    def __init__(self, conn: psycopg.Connection[Any], location: str) -> None:
        self._conn = conn
        self._location = location
        self._names: list[str] | None = None

    def layer_names(self) -> list[str]:
        if self._names is None:
            rows = self._conn.execute('SELECT "name" FROM "covgis_layers" ORDER BY "position"')
            self._names = [str(r[0]) for r in rows]
        return list(self._names)

    def revision(self) -> int:
        return _max_revision(self._conn)

    def coverage_is_current(self) -> bool:
        row = self._conn.execute(
            'SELECT "coverage_current" FROM "revisions" ORDER BY "revision" DESC LIMIT 1'
        ).fetchone()
        return row is None or row[0] is None or bool(row[0])

    def count(self, name: str) -> int:
        row = self._conn.execute(f"SELECT COUNT(*) FROM {quote(name)}").fetchone()
        return int(row[0]) if row else 0

    def bounds(self, name: str) -> BBox | None:
        if not get_schema(name).has_geometry or name not in self.layer_names():
            return None
        row = self._conn.execute(
            "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) "
            f"FROM (SELECT ST_Extent({quote(GEOMETRY_COLUMN)}) AS e FROM {quote(name)}) AS s"
        ).fetchone()
        if row is None or row[0] is None:
            return None
        west, south, east, north = (float(v) for v in row)
        return west, south, east, north

    def read_layer(self, name: str, *, missing_ok: bool = False) -> pd.DataFrame:
        schema = get_schema(name)
        if name not in self.layer_names():
            if not missing_ok:
                raise NotFound(f"{self._location}: layer {name!r} is empty; import or generate it first")
            return empty_layer(schema)
        fields = schema.field_names
        selected = [quote(f) for f in fields]
        if schema.has_geometry:
            selected.append(f"ST_AsBinary({quote(GEOMETRY_COLUMN)})")
        rows = self._conn.execute(
            f"SELECT {', '.join(selected)} FROM {quote(name)} ORDER BY {quote(KEY_COLUMN)}"
        ).fetchall()
        columns = fields + (["geometry"] if schema.has_geometry else [])
        frame = pd.DataFrame.from_records(rows, columns=columns, coerce_float=True)
        for spec in schema.fields:
            if spec.type == "date" and len(frame):
                frame[spec.name] = [v.isoformat() if isinstance(v, dt.date) else v for v in frame[spec.name]]
        if schema.has_geometry:
            blobs = [None if b is None else bytes(b) for b in frame.pop("geometry").tolist()]
            geoms = shapely.from_wkb(np.asarray(blobs, dtype=object)) if blobs else np.empty(0, dtype=object)
            frame = gpd.GeoDataFrame(
                frame, geometry=gpd.GeoSeries(geoms, index=frame.index, crs=STORAGE_CRS), crs=STORAGE_CRS
            )
        return typed_layer(frame, schema)


def _max_revision(conn: psycopg.Connection[Any]) -> int:
    row = conn.execute('SELECT COALESCE(MAX("revision"), 0) FROM "revisions"').fetchone()
    return int(row[0]) if row else 0


# -- writes -------------------------------------------------------------------------------------
class _RowEditor:
    """:class:`~coverage_gis.storage.base.RowEditor` on one open transaction (the writer row locked)."""

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self._conn = conn

    def _columns(self, layer: str, record: Record) -> list[str]:
        schema = get_schema(layer)
        known = set(schema.field_names) | ({"geometry"} if schema.has_geometry else set())
        unknown = [str(k) for k in record if k not in known]
        if unknown:
            # Schema drift must be loud.
            raise KeyError(f"{layer} has no columns {unknown}")
        return [str(k) for k in record]

    def _values(self, layer: str, names: Sequence[str], records: Sequence[Record]) -> list[list[Any]]:
        schema = get_schema(layer)
        rows = [
            [_sql_value(schema.field(n), r[n]) if n != "geometry" else None for n in names] for r in records
        ]
        if "geometry" in names:
            at = list(names).index("geometry")
            for row, geom in zip(rows, _geometry_hex(schema, [r["geometry"] for r in records]), strict=True):
                row[at] = geom
        return rows

    @staticmethod
    def _placeholder(name: str) -> str:
        return "%s::geometry" if name == "geometry" else "%s"

    @staticmethod
    def _column(name: str) -> str:
        return quote(GEOMETRY_COLUMN if name == "geometry" else name)

    def revision(self) -> int:
        return _max_revision(self._conn)

    def insert_rows(self, layer: str, records: Sequence[Record]) -> None:
        if not records:
            return
        names = self._columns(layer, records[0])
        columns = ", ".join(self._column(n) for n in names)
        marks = ", ".join(self._placeholder(n) for n in names)
        try:
            with self._conn.cursor() as cur:
                cur.executemany(
                    f"INSERT INTO {quote(layer)} ({columns}) VALUES ({marks})",
                    self._values(layer, names, records),
                )
        except psycopg.errors.IntegrityError as exc:
            raise _integrity_error(layer, exc) from None

    def delete_where_in(self, layer: str, column: str, values: Iterable[Any]) -> int:
        wanted = [plain_value(v) for v in values]
        if not wanted:
            return 0
        cur = self._conn.execute(f"DELETE FROM {quote(layer)} WHERE {quote(column)} = ANY(%s)", (wanted,))
        return int(cur.rowcount)

    def update_rows(self, layer: str, key: str, records: Sequence[Record]) -> None:
        if not records:
            return
        names = [n for n in self._columns(layer, records[0]) if n != key]
        assignments = ", ".join(f"{self._column(n)} = {self._placeholder(n)}" for n in names)
        rows = self._values(layer, [*names, key], records)
        try:
            with self._conn.cursor() as cur:
                cur.executemany(f"UPDATE {quote(layer)} SET {assignments} WHERE {quote(key)} = %s", rows)
        except psycopg.errors.IntegrityError as exc:
            raise _integrity_error(layer, exc) from None

    def append_revision(self, record: RevisionRecord, *, time: str | None = None) -> int:
        number = _max_revision(self._conn) + 1
        row, changes = revision_rows(number, record, time=time)
        self.insert_rows("revisions", [row])
        self.insert_rows("coverage_changes", changes)
        self._conn.execute("SELECT pg_notify(%s, %s)", (REVISION_CHANNEL, str(number)))
        return number


def _copy_layer(conn: psycopg.Connection[Any], name: str, frame: pd.DataFrame) -> None:
    """Replace the rows of layer ``name`` by ``frame`` (inside the caller's transaction)."""
    schema = get_schema(name)
    columns, rows = _frame_rows(schema, frame)
    conn.execute(f"DELETE FROM {quote(name)}")
    if rows:
        names = ", ".join(quote(c) for c in columns)
        try:
            with conn.cursor() as cur, cur.copy(f"COPY {quote(name)} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        except psycopg.errors.IntegrityError as exc:
            raise _integrity_error(name, exc) from None


def _mark_written(conn: psycopg.Connection[Any], names: Iterable[str], written_at: str) -> None:
    """Record layers as present, last written (a GeoPackage lists a rewritten layer last too)."""
    for name in names:
        conn.execute('DELETE FROM "covgis_layers" WHERE "name" = %s', (name,))
        conn.execute(
            'INSERT INTO "covgis_layers" ("name", "position", "written_at") '
            'SELECT %s, COALESCE(MAX("position"), 0) + 1, %s FROM "covgis_layers"',
            (name, written_at),
        )


# -- the storage ------------------------------------------------------------------------------
class PostGISStorage(ReadsInTransactions):
    """A workspace in one PostgreSQL/PostGIS database (see the module docstring).

    Implements both :class:`~coverage_gis.storage.base.WorkspaceStorage` (layers) and
    :class:`~coverage_gis.storage.base.WorkspaceHome` (settings, files, writer lock).

    Parameters
    ----------
    url
        ``postgresql://user@host:port/database`` (libpq also reads ``PGPASSWORD`` and
        ``~/.pgpass``, which keep the password out of the URL).
    pool_size
        Connections kept at most.
    """

    def __init__(self, url: str, *, pool_size: int = _POOL_SIZE) -> None:
        if not is_database_location(url):
            raise WorkspaceError(f"{url!r} is not a postgresql:// URL")
        self.url = url
        self._pool_size = pool_size
        self._pool: ConnectionPool | None = None
        self._pool_lock = threading.Lock()
        self._held = threading.local()

    @property
    def location(self) -> str:
        return redact_url(self.url)

    # -- connections ----------------------------------------------------------------------
    def _connect(self) -> psycopg.Connection[Any]:
        try:
            return psycopg.connect(self.url, autocommit=True)
        except psycopg.Error as exc:
            raise WorkspaceError(f"{self.location}: cannot connect ({_reason(exc)})") from None

    @property
    def pool(self) -> ConnectionPool:
        """The connection pool (opened on first use)."""
        pool = self._pool
        if pool is None:
            with self._pool_lock:
                if self._pool is None:
                    self._pool = ConnectionPool(
                        self.url,
                        min_size=0,
                        max_size=self._pool_size,
                        max_idle=_POOL_MAX_IDLE_S,
                        num_workers=1,
                        kwargs={"autocommit": True},
                        open=True,
                        name=f"covgis {self.location}",
                    )
                pool = self._pool
        return pool

    @contextlib.contextmanager
    def _connection(self) -> Iterator[psycopg.Connection[Any]]:
        try:
            with self.pool.connection(timeout=30.0) as conn:
                yield conn
        except psycopg.OperationalError as exc:
            raise WorkspaceError(f"{self.location}: database unavailable ({_reason(exc)})") from None
        except psycopg.errors.UndefinedTable:
            raise WorkspaceError(
                f"{self.location} has no coverage-gis tables; run `covgis db init {self.location}`"
            ) from None
        except PoolTimeout as exc:
            raise WorkspaceError(f"{self.location}: no database connection free ({exc})") from None

    def close(self) -> None:
        """Close the pool's connections (a later use opens a new pool)."""
        with self._pool_lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.close()

    # -- schema ---------------------------------------------------------------------------
    def migrate(self) -> list[str]:
        """Apply missing migrations (``covgis db init``); returns the versions applied."""
        # A connection of its own (not the pool's): an unreachable server fails at once.
        with self._connect() as conn:
            return migrate(conn)

    def prepare(self, *, create: bool) -> None:
        if create:
            self.migrate()
        else:
            self.check_schema()

    def check_schema(self) -> None:
        """Raise :class:`WorkspaceError` unless every shipped migration is applied."""
        with self._connect() as conn:
            applied = applied_migrations(conn)
        missing = [m.name for m in migrations() if m.version not in applied]
        if missing:
            raise WorkspaceError(
                f"{self.location}: the database schema lacks {', '.join(missing)}; "
                f"run `covgis db init {self.location}`"
            )

    # -- reads ----------------------------------------------------------------------------
    @contextlib.contextmanager
    def _read(self) -> Iterator[_Reader]:
        with self._connection() as conn:
            conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            try:
                yield _Reader(conn, self.location)
            finally:
                with contextlib.suppress(psycopg.Error):
                    conn.execute("ROLLBACK")

    def exists(self) -> bool:
        with self._read() as reader:
            return bool(reader.layer_names())

    def revision(self) -> int:
        with self._connection() as conn:
            return _max_revision(conn)

    def coverage_is_current(self) -> bool:
        with self._read() as reader:
            return reader.coverage_is_current()

    @contextlib.contextmanager
    def snapshot(self) -> Iterator[ReaderSnapshot]:
        with self._read() as reader:
            # The first query of a REPEATABLE READ transaction fixes what it sees.
            yield ReaderSnapshot(reader, reader.revision())

    # -- writes ---------------------------------------------------------------------------
    @contextlib.contextmanager
    def _write(self) -> Iterator[psycopg.Connection[Any]]:
        """One writing transaction holding the writer row: commit on success, roll back on error."""
        with self._connection() as conn:
            conn.execute("BEGIN")
            try:
                conn.execute(f"SET LOCAL lock_timeout = '{int(_WRITER_TIMEOUT_S * 1000)}ms'")
                try:
                    conn.execute('SELECT 1 FROM "covgis_writer" WHERE "id" = 1 FOR UPDATE')
                except psycopg.errors.LockNotAvailable:
                    raise Conflict(
                        f"{self.location} is being written by another process; try again when it finishes"
                    ) from None
                conn.execute("SET LOCAL lock_timeout = 0")
                yield conn
            except BaseException:
                with contextlib.suppress(psycopg.Error):
                    conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    @contextlib.contextmanager
    def edit(self) -> Iterator[_RowEditor]:
        if not self.exists():
            raise WorkspaceError(
                f"{self.location}: the workspace's data does not exist yet; import or generate layers first"
            )
        with self._write() as conn:
            yield _RowEditor(conn)

    def replace_layers(
        self,
        layers: Mapping[str, pd.DataFrame],
        *,
        revision: RevisionRecord | None = None,
        fixed_timestamp: str | None = None,
    ) -> int | None:
        written_at = fixed_timestamp or dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        with self._write() as conn:
            for name, frame in layers.items():
                _copy_layer(conn, name, frame)
            _mark_written(conn, layers, written_at)
            present = {str(r[0]) for r in conn.execute('SELECT "name" FROM "covgis_layers"')}
            for name in sorted(ROW_EDITED_LAYERS - present):
                # Row-edited tables must be present before the first in-place edit.
                conn.execute(f"DELETE FROM {quote(name)}")
                _mark_written(conn, [name], written_at)
            if revision is None:
                return None
            return _RowEditor(conn).append_revision(revision, time=fixed_timestamp)

    def recover(self) -> list[Path]:
        """Nothing to do: the server rolled back whatever a crashed session left."""
        return []

    # -- settings -------------------------------------------------------------------------
    def read_settings(self) -> str | None:
        with self._connection() as conn:
            row = conn.execute('SELECT "document" FROM "covgis_settings" WHERE "id" = 1').fetchone()
        return None if row is None else str(row[0])

    def write_settings(self, text: str) -> None:
        with self._connection() as conn:
            conn.execute(
                'INSERT INTO "covgis_settings" ("id", "document", "version") VALUES (1, %s, 1) '
                'ON CONFLICT ("id") DO UPDATE SET "document" = EXCLUDED."document", '
                '"version" = "covgis_settings"."version" + 1',
                (text,),
            )

    def settings_stamp(self) -> int | None:
        with self._connection() as conn:
            row = conn.execute('SELECT "version" FROM "covgis_settings" WHERE "id" = 1').fetchone()
        return None if row is None else int(row[0])

    # -- files ----------------------------------------------------------------------------
    def file_names(self) -> list[str]:
        with self._connection() as conn:
            return [str(r[0]) for r in conn.execute('SELECT "name" FROM "covgis_files" ORDER BY "name"')]

    def file_path(self, name: str) -> Path | None:
        """The file ``name`` (or the folder of files under ``name/``) copied into the local cache."""
        prefix = name.rstrip("/") + "/"
        with self._connection() as conn:
            found = conn.execute(
                'SELECT "name", "sha256" FROM "covgis_files" WHERE "name" = %s OR left("name", %s) = %s '
                'ORDER BY "name"',
                (name, len(prefix), prefix),
            ).fetchall()
            if not found:
                return None
            entries = [(str(n), str(d)) for n, d in found]
            if entries[0][0] == name:
                folder = cache_root() / "files" / entries[0][1]
                target = folder / Path(name).name
                if not target.is_file():
                    self._materialise(conn, [(name, target)])
                return target
            digest = hashlib.sha256("\n".join(f"{n} {d}" for n, d in entries).encode()).hexdigest()
            folder = cache_root() / "files" / digest / Path(name).name
            wanted = [(n, folder / n[len(prefix) :]) for n, _ in entries]
            missing = [(n, t) for n, t in wanted if not t.is_file()]
            if missing:
                self._materialise(conn, missing)
            return folder

    @staticmethod
    def _materialise(conn: psycopg.Connection[Any], files: Sequence[tuple[str, Path]]) -> None:
        for name, target in files:
            row = conn.execute('SELECT "content" FROM "covgis_files" WHERE "name" = %s', (name,)).fetchone()
            if row is None:
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            with atomic_path(target) as tmp:
                tmp.write_bytes(bytes(row[0]))

    def install_file(self, name: str, source: Path) -> Path:
        content = Path(source).read_bytes()
        digest = hashlib.sha256(content).hexdigest()
        with self._connection() as conn:
            conn.execute(
                'INSERT INTO "covgis_files" ("name", "content", "sha256", "size_bytes") '
                'VALUES (%s, %s, %s, %s) ON CONFLICT ("name") DO UPDATE SET '
                '"content" = EXCLUDED."content", "sha256" = EXCLUDED."sha256", '
                '"size_bytes" = EXCLUDED."size_bytes", "installed_at" = now()',
                (name, content, digest, len(content)),
            )
        path = self.file_path(name)
        assert path is not None
        return path

    # -- the writer lock ------------------------------------------------------------------
    @contextlib.contextmanager
    def lock(self, timeout_s: float) -> Iterator[None]:
        depth = getattr(self._held, "depth", 0)
        if depth:
            self._held.depth = depth + 1
            try:
                yield
            finally:
                self._held.depth -= 1
            return
        with self._connection() as conn:
            self._acquire(conn, timeout_s)
            self._held.depth = 1
            try:
                yield
            finally:
                self._held.depth = 0
                with contextlib.suppress(psycopg.Error):
                    conn.execute("SELECT pg_advisory_unlock(%s)", (_WRITER_LOCK_KEY,))

    def _acquire(self, conn: psycopg.Connection[Any], timeout_s: float) -> None:
        busy = Conflict(f"{self.location} is being written by another process; try again when it finishes")
        if timeout_s <= 0:
            row = conn.execute("SELECT pg_try_advisory_lock(%s)", (_WRITER_LOCK_KEY,)).fetchone()
            if not row or not row[0]:
                raise busy
            return
        conn.execute(f"SET lock_timeout = '{max(1, int(timeout_s * 1000))}ms'")
        try:
            conn.execute("SELECT pg_advisory_lock(%s)", (_WRITER_LOCK_KEY,))
        except psycopg.errors.LockNotAvailable:
            raise busy from None
        finally:
            conn.execute("RESET lock_timeout")

    # -- notifications --------------------------------------------------------------------
    def listen(self, on_revision: Callable[[int], None], *, poll_s: float = 1.0) -> Callable[[], None]:
        """Call ``on_revision(number)`` in a background thread for every committed revision.

        Listens on :data:`REVISION_CHANNEL` on a connection of its own (reconnecting after
        errors). Returns a function that stops the thread.
        """
        stop = threading.Event()

        def run() -> None:
            while not stop.is_set():
                try:
                    with psycopg.connect(self.url, autocommit=True) as conn:
                        conn.execute(f"LISTEN {REVISION_CHANNEL}")
                        while not stop.is_set():
                            for note in conn.notifies(timeout=poll_s):
                                with contextlib.suppress(ValueError):
                                    on_revision(int(note.payload))
                except psycopg.Error:
                    stop.wait(poll_s)

        thread = threading.Thread(target=run, name="covgis-listen", daemon=True)
        thread.start()

        def halt() -> None:
            stop.set()
            thread.join(timeout=poll_s + 5.0)

        return halt
