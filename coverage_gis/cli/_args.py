"""Declaring commands: every ``covgis`` command works on a workspace ``WS`` (a folder or a
database URL) and speaks Vietnamese or English (``--lang``, else ``COVGIS_LANG``, else the
locale)."""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

from coverage_gis.display import LANGS
from coverage_gis.storage.base import DATABASE_URL_ENV, is_database_location, resolve_location

if TYPE_CHECKING:
    # Generic only in the type stubs: argparse's class cannot be subscripted at run time.
    Subcommands: TypeAlias = argparse._SubParsersAction[argparse.ArgumentParser]


def whole_number(minimum: int) -> Callable[[str], int]:
    """An argparse ``type``: a whole number of at least ``minimum`` (else a message naming the value)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be {minimum} or more, not {value}")
        return value

    return parse


def field_value(text: str) -> tuple[str, str]:
    """An argparse ``type``: ``FIELD=VALUE`` as (field, value), both trimmed; the value may hold "="."""
    field, sep, value = text.partition("=")
    if not sep or not field.strip() or not value.strip():
        raise argparse.ArgumentTypeError(f"{text!r} is not FIELD=VALUE (e.g. operator=Viettel)")
    return field.strip(), value.strip()


#: Help of every ``WS`` argument.
WS_HELP = f"workspace folder or postgresql:// URL (default: ${DATABASE_URL_ENV})"


def workspace_location(text: str) -> str | Path:
    """A ``WS`` argument: a ``postgresql://`` URL as given, anything else a folder path."""
    return text if is_database_location(text) else Path(text)


def add_workspace_argument(parser: argparse.ArgumentParser) -> None:
    """The ``WS`` argument; when omitted, :func:`resolve_workspace` takes ``COVGIS_DATABASE_URL``."""
    parser.add_argument("workspace", type=workspace_location, metavar="WS", nargs="?", help=WS_HELP)


def resolve_workspace(args: argparse.Namespace) -> None:
    """Fill an omitted ``WS`` from ``COVGIS_DATABASE_URL`` (a one-line error when neither is given)."""
    if hasattr(args, "workspace"):
        args.workspace = resolve_location(args.workspace, os.environ)


def workspace_command(
    sub: Subcommands, name: str, func: Callable[[argparse.Namespace], int], **parser_options: Any
) -> argparse.ArgumentParser:
    """A subcommand whose first argument is the workspace ``WS`` and that runs ``func``.

    ``WS`` is a folder or a ``postgresql://`` URL (:func:`workspace_location`); omitted, the
    database of ``COVGIS_DATABASE_URL``.
    ``parser_options`` (``help``, ``description``) go to ``add_parser``. Every such
    command takes ``--lang vi|en``.
    """
    parser = sub.add_parser(name, **parser_options)
    add_workspace_argument(parser)
    parser.add_argument(
        "--lang",
        choices=LANGS,
        default=None,
        help="language of tables and messages (default: COVGIS_LANG, else the locale: vi_* → vi, else en)",
    )
    parser.set_defaults(func=func)
    return parser


def command_group(sub: Subcommands, name: str, **parser_options: Any) -> Subcommands:
    """A command with actions (``covgis sites add``, ``covgis keys list``): their subparsers."""
    group = sub.add_parser(name, **parser_options)
    return group.add_subparsers(dest="action", metavar="ACTION", required=True)
