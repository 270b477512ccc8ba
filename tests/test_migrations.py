"""The PostGIS schema: generated from layers/*.yaml, shipped as versioned migrations, enforced."""

from __future__ import annotations

import psycopg
import pytest

from coverage_gis.errors import WorkspaceError
from coverage_gis.layers import all_schemas
from coverage_gis.storage.ddl import layer_ddl, migrations, schema_digest
from coverage_gis.storage.postgis import PostGISStorage, applied_migrations, migrate

from .conftest import PostgresServer


def test_the_latest_migration_brings_the_schema_the_layers_describe() -> None:
    """A layer schema changed without a new migration fails here (write the next migration)."""
    shipped = migrations()
    assert [m.version for m in shipped] == sorted({m.version for m in shipped})
    assert shipped[0].name == "0001_initial.sql"
    assert shipped[-1].schema_sha256 == schema_digest()


def test_generated_ddl_by_hand() -> None:
    ddl = layer_ddl(all_schemas()["cells"])
    assert '"cell_id" text NOT NULL' in ddl
    assert 'CONSTRAINT "cells_cell_id_key" UNIQUE ("cell_id")' in ddl
    assert "CHECK (\"tech\" IN ('2G', '3G', '4G', '5G'))" in ddl
    assert 'CHECK ("azimuth_deg" >= 0 AND "azimuth_deg" <= 360)' in ddl
    assert 'CREATE INDEX "cells_site_id_idx" ON "cells" ("site_id");' in ddl
    sites = layer_ddl(all_schemas()["sites"])
    assert '"geom" geometry(Point, 4326)' in sites
    assert 'USING gist ("geom")' in sites


def test_migrate_is_idempotent_and_checks_what_was_applied(postgres: PostgresServer) -> None:
    url = postgres.new_database(template="template0")
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            assert migrate(conn) == [m.version for m in migrations()]
            assert migrate(conn) == []
            assert set(applied_migrations(conn)) == {m.version for m in migrations()}
            conn.execute("UPDATE schema_migrations SET checksum = 'edited' WHERE version = '0001'")
            with pytest.raises(WorkspaceError, match="differs from the shipped file"):
                migrate(conn)
    finally:
        postgres.drop(url)


def test_a_database_without_the_schema_is_refused(postgres: PostgresServer) -> None:
    url = postgres.new_database(template="template0")
    try:
        storage = PostGISStorage(url)
        with pytest.raises(WorkspaceError, match="covgis db init"):
            storage.check_schema()
        storage.close()
    finally:
        postgres.drop(url)


def test_constraints_hold_in_the_database(postgres: PostgresServer) -> None:
    """Types, NOT NULL, CHECK, UNIQUE and the geometry's type and SRID are the database's rules too."""
    url = postgres.new_database()
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            point = "ST_SetSRID(ST_MakePoint(109, 14), 4326)"
            conn.execute(f"INSERT INTO sites (site_id, status, geom) VALUES ('S1', 'on_air', {point})")
            refused = [
                f"INSERT INTO sites (site_id, status, geom) VALUES ('S1', 'on_air', {point})",  # unique
                f"INSERT INTO sites (site_id, status, geom) VALUES ('S2', 'lost', {point})",  # allowed
                f"INSERT INTO sites (status, geom) VALUES ('on_air', {point})",  # NOT NULL
                "INSERT INTO sites (site_id, status, geom) "
                "VALUES ('S3', 'on_air', ST_SetSRID(ST_MakePoint(109, 14), 3405))",  # SRID
                "INSERT INTO sites (site_id, status, geom) "
                "VALUES ('S4', 'on_air', ST_GeomFromText('LINESTRING(0 0, 1 1)', 4326))",  # type
                "INSERT INTO cells (cell_id, site_id, operator, tech, status, azimuth_deg) "
                "VALUES ('C1', 'S1', 'Viettel', '4G', 'on_air', 400)",  # range
            ]
            for statement in refused:
                with pytest.raises(psycopg.Error):
                    conn.execute(statement)
    finally:
        postgres.drop(url)
