"""The ``covgis`` command line: argument parsing, output and exit codes.

This package is the one place that prints. Each ``*_cmds`` module registers its
subcommands with ``register(subparsers)``; a command is a function
``(args) -> int``. Exit codes: 0 ok, 1 failed, 2 bad input (``docs/architecture.md``, interfaces). Errors
the library raises on purpose become one line on stderr, never a traceback
(set ``COVGIS_DEBUG=1`` to see one); output whose reader stopped early (``| head``)
ends quietly with 0.

Run as the program (``covgis``, ``python -m coverage_gis``), :func:`main` also sets the
cyclic garbage collector for a short-lived process (:func:`_program_gc`): importing the
command's libraries (pandas, geopandas, scipy, numba) made the collector walk a growing
heap again and again, and the interpreter's exit walked it all once more — together
about a quarter of a short command's time.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import importlib
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING

from coverage_gis import __version__
from coverage_gis.errors import (
    Conflict,
    CoverageGISError,
    DuplicateId,
    InputTooLarge,
    LayerValidationError,
    NotFound,
    PermissionDenied,
    WorkspaceError,
)
from coverage_gis.runtime import tune_memory

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
    (DuplicateId, EXIT_BAD_INPUT),
    (PermissionDenied, EXIT_FAILED),
    (Conflict, EXIT_FAILED),
    (CoverageGISError, EXIT_FAILED),
)


#: The module owning each command, in help order: a command's run imports only its own
#: module (the others pull in folium, the planners, the server, ...). A test checks
#: this against what each module registers.
COMMAND_MODULES: dict[str, tuple[str, ...]] = {
    "workspace_cmds": ("init", "layers", "import"),
    "demo_cmds": ("demo",),
    "coverage_cmds": ("compute", "kpi", "gaps", "scorecard", "report"),
    "sites_cmds": ("sites", "history", "diff"),
    "measurement_cmds": ("speed", "challenges", "calibrate"),
    "map_cmds": ("map",),
    "tiles_cmds": ("tiles",),
    "serve_cmds": ("serve", "keys"),
    "db_cmds": ("db",),
    "plan_cmds": ("plan",),
}


def _command_modules(command: str | None = None) -> list[Callable[[Subcommands], None]]:
    # Imported when the parser is built (not when coverage_gis.cli is imported): each
    # module owns its commands. With a known command, only its module.
    names = [m for m, commands in COMMAND_MODULES.items() if command is None or command in commands]
    return [importlib.import_module(f"coverage_gis.cli.{name}").register for name in names or COMMAND_MODULES]


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The ``covgis`` parser with every registered subcommand (or only ``command``'s module's)."""
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
    for register in _command_modules(command):
        register(sub)
    return parser


def _command_of(argv: Sequence[str]) -> str | None:
    """The command an argument list names (its first word that is not an option), if any.

    None when the top level is asked for help or the version first (its help lists
    every command).
    """
    for word in argv:
        if not word.startswith("-"):
            return word
        if word in ("-h", "--help", "--version"):
            return None
    return None


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``covgis`` console script.

    Output cut short by its reader (``covgis gaps WS --csv | head``) is not an error:
    the command ends without a message, with the exit code it had (0 when the pipe
    broke while it was printing).
    """
    code = EXIT_OK
    if argv is None:  # the program: freed memory stays for reuse (a setting of the process)
        tune_memory()
    try:
        try:
            code = _run(argv)
        finally:
            # Buffered output reaches a closed pipe here, not in the interpreter's last
            # flush (which would print "Exception ignored ... BrokenPipeError").
            sys.stdout.flush()
    except BrokenPipeError:
        _discard_stdout()
    if argv is None:  # the program: it exits next
        _settle_garbage()
    return code


@contextlib.contextmanager
def _program_gc(program: bool) -> Iterator[None]:
    """Import the command's modules with the cyclic collector paused, then freeze what they made.

    Module objects live as long as the process: frozen, later collections (and the
    exit's) no longer walk them. Only for the program (``main()`` without arguments): a
    caller that runs :func:`main` in its own process (the tests) keeps its collector as
    it was.
    """
    if not program:
        yield
        return
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if was_enabled:
            gc.enable()


def _settle_garbage() -> None:
    """Before the program exits: collect the command's cyclic garbage, then freeze the rest.

    The collection runs the finalizers a command left to it (database connections
    close, folding their write-ahead log into the file); frozen, the survivors (modules,
    caches) are not walked again by the interpreter's exit.
    """
    gc.collect()
    gc.freeze()


def _discard_stdout() -> None:
    """Point stdout at the null device: its reader is gone, and the exit flush must not fail."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):  # no real file descriptor (stdout replaced in-process)
        pass


def _run(argv: Sequence[str] | None) -> int:
    words = sys.argv[1:] if argv is None else list(argv)
    with _program_gc(program=argv is None):
        # Imported here, not with this package: _args pulls in pandas and geopandas.
        from coverage_gis.cli._args import resolve_workspace

        parser = build_parser(_command_of(words))
    args = parser.parse_args(words)
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
        if isinstance(exc, LayerValidationError):
            # Every problem found, so one run shows what to fix (the first is the error's own).
            for other in exc.errors[1:]:
                print(f"  {other.in_file()}", file=sys.stderr)
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
