"""``covgis … | head``: output whose reader stops early ends quietly (no message, no traceback)."""

from __future__ import annotations

import io
import os
import subprocess
import sys

import pytest

from coverage_gis import cli
from coverage_gis.workspace import Workspace


class _ClosedPipe(io.TextIOBase):
    """A stdout whose reader has gone: every write and flush fails as a closed pipe does."""

    def write(self, text: str) -> int:
        raise BrokenPipeError(32, "Broken pipe")

    def flush(self) -> None:
        raise BrokenPipeError(32, "Broken pipe")


class _FailingFlush(io.RawIOBase):
    """The file under a buffered stdout whose reader has gone (writes reach it at a flush)."""

    def writable(self) -> bool:
        return True

    def write(self, data: object) -> int:
        raise BrokenPipeError(32, "Broken pipe")


#: What the ``covgis`` console script runs.
_CONSOLE_SCRIPT = "import sys; from coverage_gis.cli import main; sys.exit(main())"


def _covgis_into_closed_pipe(*args: str) -> subprocess.CompletedProcess[bytes]:
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before the first byte: every write fails
    try:
        return subprocess.run(
            [sys.executable, "-c", _CONSOLE_SCRIPT, *args],
            stdout=write_end,
            stderr=subprocess.PIPE,
            check=False,
            timeout=120,
        )
    finally:
        os.close(write_end)


def test_a_closed_pipe_ends_the_command_quietly(tiny_ws: Workspace) -> None:
    # Small output: it sits in stdout's buffer and meets the closed pipe at the last flush.
    done = _covgis_into_closed_pipe("kpi", str(tiny_ws.path), "--level", "commune", "--csv")
    assert (done.returncode, done.stderr.decode()) == (0, "")


def test_help_into_a_closed_pipe_is_quiet() -> None:
    done = _covgis_into_closed_pipe("--help")
    assert (done.returncode, done.stderr.decode()) == (0, "")


def test_a_write_that_breaks_the_pipe_is_not_an_error(
    tiny_ws: Workspace, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdout", _ClosedPipe())
    assert cli.main(["kpi", str(tiny_ws.path), "--level", "commune", "--csv"]) == cli.EXIT_OK
    assert capsys.readouterr().err == ""


def test_a_broken_pipe_keeps_the_exit_code_of_a_finished_command(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def run(argv: object) -> int:
        sys.stdout.write("partial result\n")  # buffered: fails only at the flush
        return cli.EXIT_FAILED

    monkeypatch.setattr(cli, "_run", run)
    monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(_FailingFlush(), write_through=False))
    assert cli.main([]) == cli.EXIT_FAILED
    assert capsys.readouterr().err == ""
