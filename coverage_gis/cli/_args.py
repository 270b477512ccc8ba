"""Declaring commands: every ``covgis`` command works on a workspace folder ``WS`` and
speaks Vietnamese or English (``--lang``, else ``COVGIS_LANG``, else the locale)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

from coverage_gis.display import LANGS

if TYPE_CHECKING:
    # Generic only in the type stubs: argparse's class cannot be subscripted at run time.
    Subcommands: TypeAlias = argparse._SubParsersAction[argparse.ArgumentParser]


def workspace_command(
    sub: Subcommands, name: str, func: Callable[[argparse.Namespace], int], **parser_options: Any
) -> argparse.ArgumentParser:
    """A subcommand whose first argument is the workspace folder ``WS`` and that runs ``func``.

    ``parser_options`` (``help``, ``description``) go to ``add_parser``. Every such
    command takes ``--lang vi|en``.
    """
    parser = sub.add_parser(name, **parser_options)
    parser.add_argument("workspace", type=Path, metavar="WS")
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
