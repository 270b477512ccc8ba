"""The ``covgis`` command line: argument parsing, output and exit codes.

This package is the one place that prints. Each ``*_cmds`` module registers its
subcommands with ``register(subparsers)``; a command is a function
``(args) -> int``. Exit codes: 0 ok, 1 failed, 2 bad input (``docs/architecture.md``, interfaces). Errors
the library raises on purpose become one line on stderr, never a traceback
(set ``COVGIS_DEBUG=1`` to see one).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from coverage_gis import __version__
from coverage_gis.errors import (
    Conflict,
    CoverageGISError,
    InputTooLarge,
    LayerValidationError,
    NotFound,
    PermissionDenied,
    WorkspaceError,
)

if TYPE_CHECKING:
    from coverage_gis.cli._args import Subcommands

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_BAD_INPUT = 2

#: Library exception → exit code; the first matching class wins.
EXIT_CODES: tuple[tuple[type[CoverageGISError], int], ...] = (
    (LayerValidationError, EXIT_BAD_INPUT),
    (InputTooLarge, EXIT_BAD_INPUT),
    (NotFound, EXIT_BAD_INPUT),
    (WorkspaceError, EXIT_BAD_INPUT),
    (PermissionDenied, EXIT_FAILED),
    (Conflict, EXIT_FAILED),
    (CoverageGISError, EXIT_FAILED),
)


def _command_modules() -> list[Callable[[Subcommands], None]]:
    # Imported when the parser is built (not when coverage_gis.cli is imported): each
    # module owns its commands.
    from coverage_gis.cli import (
        coverage_cmds,
        demo_cmds,
        map_cmds,
        plan_cmds,
        serve_cmds,
        sites_cmds,
        workspace_cmds,
    )

    return [
        workspace_cmds.register,
        demo_cmds.register,
        coverage_cmds.register,
        sites_cmds.register,
        map_cmds.register,
        serve_cmds.register,
        plan_cmds.register,
    ]


def build_parser() -> argparse.ArgumentParser:
    """The full ``covgis`` parser with every registered subcommand."""
    parser = argparse.ArgumentParser(
        prog="covgis",
        description=(
            "Village-level mobile and FTTH coverage for Vietnamese provinces: import layers, "
            "compute coverage, KPIs, plan scorecards and gap lists, serve maps and an API."
        ),
        epilog="Exit codes: 0 ok, 1 failed, 2 bad input. Set COVGIS_DEBUG=1 for tracebacks.",
    )
    parser.add_argument("--version", action="version", version=f"covgis {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for register in _command_modules():
        register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``covgis`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        return func(args)
    except CoverageGISError as exc:
        if os.environ.get("COVGIS_DEBUG"):
            raise
        code = next(c for cls, c in EXIT_CODES if isinstance(exc, cls))
        print(f"covgis: error: {exc}", file=sys.stderr)
        return code
    except KeyboardInterrupt:
        print("covgis: interrupted", file=sys.stderr)
        return 130
    except OSError as exc:
        if os.environ.get("COVGIS_DEBUG"):
            raise
        print(f"covgis: error: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), file=sys.stderr)
        return EXIT_BAD_INPUT if isinstance(exc, FileNotFoundError) else EXIT_FAILED


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
