"""The ``covgis`` command line: argument parsing, output and exit codes.

This package is the one place that prints. Each ``*_cmds`` module registers its
subcommands with ``register(subparsers)``; a command is a function
``(args) -> int``. Exit codes: 0 ok, 1 failed, 2 bad input (``docs/architecture.md``, interfaces). Errors
the library raises on purpose become one line on stderr, never a traceback
(set ``COVGIS_DEBUG=1`` to see one); output whose reader stopped early (``| head``)
ends quietly with 0.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from coverage_gis import __version__
from coverage_gis.cli._args import resolve_workspace
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
        db_cmds,
        demo_cmds,
        map_cmds,
        measurement_cmds,
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
        measurement_cmds.register,
        map_cmds.register,
        serve_cmds.register,
        db_cmds.register,
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
    """Entry point of the ``covgis`` console script.

    Output cut short by its reader (``covgis gaps WS --csv | head``) is not an error:
    the command ends without a message, with the exit code it had (0 when the pipe
    broke while it was printing).
    """
    code = EXIT_OK
    try:
        try:
            code = _run(argv)
        finally:
            # Buffered output reaches a closed pipe here, not in the interpreter's last
            # flush (which would print "Exception ignored ... BrokenPipeError").
            sys.stdout.flush()
    except BrokenPipeError:
        _discard_stdout()
    return code


def _discard_stdout() -> None:
    """Point stdout at the null device: its reader is gone, and the exit flush must not fail."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):  # no real file descriptor (stdout replaced in-process)
        pass


def _run(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        resolve_workspace(args)
        return func(args)
    except BrokenPipeError:
        raise  # an OSError, but the reader's doing, not the command's: main() handles it
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
