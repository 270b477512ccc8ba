"""The embedded storage backend: one GeoPackage file (SQLite) per workspace.

Owns everything that knows the file is a GeoPackage:

* whole-layer replacement through GDAL (pyogrio): the file is copied beside itself,
  written there and put in place with one ``os.replace``, so a failure at any point
  leaves the previous file untouched;
* row edits through SQLite in one ``BEGIN IMMEDIATE`` transaction. GDAL writes only
  whole layers, and a site edit must change a handful of rows in well under 50 ms.
  Geometries of inserted rows are encoded as GeoPackage binary (header + WKB), and
  the row-edited layers are created without an R-tree index (its triggers call
  GDAL's SQL functions, which plain SQLite lacks);
* undoing what the GeoPackage round trip loses (nullable booleans and integers come
  back as floats) so that readers get the schema's types.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import struct
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyogrio
import shapely
from shapely.geometry.base import BaseGeometry

from coverage_gis._values import plain_value
from coverage_gis.crs import STORAGE_CRS, BBox
from coverage_gis.errors import Conflict, NotFound, WorkspaceError
from coverage_gis.layers import LayerSchema, get_schema
from coverage_gis.revisions import RevisionRecord, revision_rows
from coverage_gis.storage.base import ROW_EDITED_LAYERS, ROW_KEYS, Record, empty_layer

_BUSY_TIMEOUT_S = 5.0
_STORAGE_SRS_ID = 4326


def geometry_blob(geometry: BaseGeometry, srs_id: int = _STORAGE_SRS_ID) -> bytes:
    """GeoPackage binary of a 2D geometry: 'GP', version 0, little-endian, no envelope, then WKB."""
    header = b"GP" + bytes([0, 0b00000001]) + struct.pack("<i", srs_id)
    return header + shapely.to_wkb(geometry, byte_order=1, output_dimension=2)


@contextlib.contextmanager
def _transaction(path: Path) -> Iterator[sqlite3.Connection]:
    """An immediate (write-locked) transaction: commit on success, roll back on any error."""
    if not path.is_file():
        raise WorkspaceError(f"{path} does not exist; import or generate layers first")
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
        last = self._conn.execute('SELECT MAX("revision") FROM "revisions"').fetchone()[0]
        number = int(last or 0) + 1
        row, changes = revision_rows(number, record, time=time)
        self.insert_rows("revisions", [row])
        self.insert_rows("coverage_changes", changes)
        return number


@dataclass(frozen=True)
class _Snapshot:
    """Reads of one GeoPackage tagged with the revision they started at.

    Not isolated yet: a writer in another process may commit between two reads (the
    tag is then older than some rows read). See ``docs/architecture.md`` (storage).
    """

    storage: GeoPackageStorage
    revision: int

    def layer_names(self) -> list[str]:
        return self.storage.layer_names()

    def read_layer(self, name: str, *, missing_ok: bool = False) -> pd.DataFrame:
        return self.storage.read_layer(name, missing_ok=missing_ok)

    def coverage_is_current(self) -> bool:
        return self.storage.coverage_is_current()


class GeoPackageStorage:
    """A workspace's layers in one GeoPackage file (see the module docstring).

    Parameters
    ----------
    path
        The ``.gpkg`` file; it need not exist yet (the first write creates it).
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    @property
    def location(self) -> str:
        return str(self.path)

    def exists(self) -> bool:
        return self.path.is_file()

    # -- reads --------------------------------------------------------------------------
    def layer_names(self) -> list[str]:
        if not self.path.is_file():
            return []
        return [str(row[0]) for row in pyogrio.list_layers(self.path)]

    def layer_counts(self) -> dict[str, int]:
        return {
            name: int(pyogrio.read_info(self.path, layer=name)["features"]) for name in self.layer_names()
        }

    def layer_bounds(self, name: str) -> BBox | None:
        if name not in self.layer_names() or not get_schema(name).has_geometry:
            return None
        bounds = pyogrio.read_info(self.path, layer=name).get("total_bounds")
        if bounds is None:
            return None
        west, south, east, north = (float(v) for v in bounds)
        return west, south, east, north

    def read_layer(self, name: str, *, missing_ok: bool = False) -> pd.DataFrame:
        schema = get_schema(name)
        if name not in self.layer_names():
            if not missing_ok:
                raise NotFound(f"{self.path.parent}: layer {name!r} is empty; import or generate it first")
            return empty_layer(schema)
        frame = pyogrio.read_dataframe(self.path, layer=name, read_geometry=schema.has_geometry)
        if schema.has_geometry and frame.crs is not None and frame.crs != STORAGE_CRS:
            frame = frame.to_crs(STORAGE_CRS)
        return _restore_types(frame, schema)

    def _scalar(self, sql: str) -> Any:
        """One value from a read-only query (None if the file or table is missing)."""
        if not self.path.is_file():
            return None
        conn = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=_BUSY_TIMEOUT_S)
        try:
            row = conn.execute(sql).fetchone()
        except sqlite3.OperationalError:
            return None
        finally:
            conn.close()
        return None if row is None else row[0]

    def revision(self) -> int:
        value = self._scalar('SELECT MAX("revision") FROM "revisions"')
        return int(value) if value is not None else 0

    def coverage_is_current(self) -> bool:
        value = self._scalar('SELECT "coverage_current" FROM "revisions" ORDER BY "revision" DESC LIMIT 1')
        return value is None or bool(value)

    @contextlib.contextmanager
    def snapshot(self) -> Iterator[_Snapshot]:
        yield _Snapshot(self, self.revision())

    # -- writes -------------------------------------------------------------------------
    @contextlib.contextmanager
    def edit(self) -> Iterator[_RowEditor]:
        with _transaction(self.path) as conn:
            yield _RowEditor(conn)

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
                shutil.copyfile(self.path, tmp)
            else:
                tmp.unlink()
            options = {"OGR_CURRENT_DATE": fixed_timestamp} if fixed_timestamp else {}
            number = None
            with _gdal_config(options):
                for name, frame in layers.items():
                    _write_frame(tmp, name, frame)
                present = {str(row[0]) for row in pyogrio.list_layers(tmp)}
                for name in sorted(ROW_EDITED_LAYERS - present):
                    # Row-edited tables must exist before the first in-place edit.
                    _write_frame(tmp, name, empty_layer(get_schema(name)))
            with _transaction(tmp) as conn:
                _ensure_row_indexes(conn)
                if revision is not None:
                    number = _RowEditor(conn).append_revision(revision, time=fixed_timestamp)
            with open(tmp, "rb+") as fh:
                os.fsync(fh.fileno())
            os.replace(tmp, self.path)
            return number
        finally:
            tmp.unlink(missing_ok=True)


def _restore_types(frame: pd.DataFrame, schema: LayerSchema) -> pd.DataFrame:
    """Undo what the GeoPackage round trip loses (nullable bools and ints come back as floats)."""
    for spec in schema.fields:
        if spec.name not in frame:
            frame[spec.name] = pd.Series([spec.default] * len(frame), index=frame.index, dtype=object)
            continue
        col = frame[spec.name]
        if spec.type == "bool":
            if col.isna().any():
                frame[spec.name] = col.astype("boolean")
            else:
                frame[spec.name] = col.astype(bool)
        elif spec.type == "int":
            frame[spec.name] = col.astype("Int64") if col.isna().any() else col.astype("int64")
        elif spec.type == "float":
            frame[spec.name] = col.astype("float64")
        else:
            frame[spec.name] = col.astype(object).where(col.notna(), None)
    ordered = schema.field_names + (["geometry"] if schema.has_geometry else [])
    return frame[ordered]


def _write_frame(path: Path, layer: str, frame: pd.DataFrame) -> None:
    schema = get_schema(layer)
    out = frame.copy()
    for spec in schema.fields:
        # GDAL has no nullable bool/int column type; nullable columns travel as float
        # and _restore_types turns them back.
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
