"""Versioned SQL migrations of the PostGIS schema (see :mod:`coverage_gis.storage.ddl`)."""
