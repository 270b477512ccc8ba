"""Database commands: ``db init``, ``db load``, ``db dump`` (PostGIS workspaces).

``init`` gives a PostgreSQL database the workspace schema (the migrations it lacks);
``load`` copies a workspace (a folder) into a database, ``dump`` copies a database's
workspace into a new folder. Both copies are :meth:`Workspace.copy_to
<coverage_gis.workspace.Workspace.copy_to>`: settings, layers (with the revision log) and
files, unchanged, so ``dump → load → dump`` gives the same folder byte for byte.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import TYPE_CHECKING

from coverage_gis.cli._args import WS_HELP, command_group, workspace_location
from coverage_gis.errors import WorkspaceError
from coverage_gis.storage.base import is_database_location, resolve_location
from coverage_gis.workspace import Workspace

if TYPE_CHECKING:
    from coverage_gis.cli._args import Subcommands

_URL_HELP = "postgresql:// URL of the database (default: $COVGIS_DATABASE_URL)"


def register(sub: Subcommands) -> None:
    actions = command_group(
        sub,
        "db",
        help="PostGIS workspaces: init (schema), load (folder → database), dump (database → folder)",
        description="Move a workspace between a folder (GeoPackage) and a PostgreSQL/PostGIS database. "
        "Give the password in ~/.pgpass or PGPASSWORD rather than in the URL.",
    )
    p = actions.add_parser(
        "init",
        help="create the workspace tables in a database (applies the migrations it lacks)",
        description="Apply coverage-gis's schema migrations to the database (creating the postgis "
        "extension when it is missing, which needs a role allowed to). Safe to run again.",
    )
    p.add_argument("url", nargs="?", metavar="URL", help=_URL_HELP)
    p.set_defaults(func=cmd_db_init)

    p = actions.add_parser(
        "load",
        help="copy a workspace (folder) into an empty database",
        description="Copy workspace SOURCE (its settings, every layer with the revision log, and its "
        "files) into the database URL, which must hold no workspace yet.",
    )
    p.add_argument("source", type=workspace_location, metavar="SOURCE", help="workspace to copy")
    p.add_argument("url", nargs="?", metavar="URL", help=_URL_HELP)
    p.set_defaults(func=cmd_db_load)

    p = actions.add_parser(
        "dump",
        help="copy a database's workspace into a new folder",
        description="Copy the workspace in the database URL into FOLDER (which must not exist or be "
        "empty). The layers' write time is the workspace's latest revision, so dumping the same "
        "content twice gives the same files.",
    )
    p.add_argument("url", nargs="?", metavar="URL", help=_URL_HELP)
    p.add_argument("folder", type=workspace_location, metavar="FOLDER", help=WS_HELP.split(" (")[0])
    p.set_defaults(func=cmd_db_dump)


def _database(url: str | None) -> str:
    location = resolve_location(url, os.environ)
    if not is_database_location(location):
        raise WorkspaceError(f"{location} is not a postgresql:// URL")
    return str(location)


def cmd_db_init(args: argparse.Namespace) -> int:
    from coverage_gis.storage.postgis import PostGISStorage

    database = PostGISStorage(_database(args.url))
    try:
        applied = database.migrate()
    finally:
        database.close()
    done = ", ".join(applied) if applied else "none (the schema is up to date)"
    print(f"{database.location}: migrations applied: {done}")
    return 0


def _copy(source: str | Path, target: str | Path) -> Workspace:
    with Workspace.open(source) as ws:
        return ws.copy_to(target, fixed_timestamp=ws.last_change_time())


def cmd_db_load(args: argparse.Namespace) -> int:
    copy = _copy(args.source, _database(args.url))
    with copy:
        counts = copy.layer_counts()
        print(f"loaded {args.source} into {copy.location}: {len(counts)} layers, revision {copy.revision}")
    return 0


def cmd_db_dump(args: argparse.Namespace) -> int:
    copy = _copy(_database(args.url), args.folder)
    with copy:
        counts = copy.layer_counts()
        print(f"dumped {copy.location}: {len(counts)} layers, revision {copy.revision}")
    return 0
