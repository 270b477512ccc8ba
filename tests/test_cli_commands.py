"""The CLI's command table: a command's run imports only the module that registers it."""

from __future__ import annotations

import argparse
import importlib
import json
import subprocess
import sys

import pytest

from coverage_gis import cli
from coverage_gis.workspace import Workspace


@pytest.mark.parametrize("module", list(cli.COMMAND_MODULES))
def test_command_table_is_what_each_module_registers(module: str) -> None:
    sub = argparse.ArgumentParser().add_subparsers()
    importlib.import_module(f"coverage_gis.cli.{module}").register(sub)
    assert tuple(sub.choices) == cli.COMMAND_MODULES[module]


def test_full_parser_has_every_command_and_the_table_has_no_other() -> None:
    sub = next(a for a in cli.build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    assert tuple(sub.choices) == tuple(c for commands in cli.COMMAND_MODULES.values() for c in commands)


@pytest.mark.parametrize(
    ("argv", "command"),
    [
        (["compute", "ws"], "compute"),
        (["--version"], None),
        (["-h", "compute"], None),
        ([], None),
        (["nonsense"], "nonsense"),
    ],
)
def test_command_of(argv: list[str], command: str | None) -> None:
    assert cli._command_of(argv) == command


def test_compute_parses_without_the_other_commands_modules() -> None:
    code = (
        "import json, sys; from coverage_gis import cli; "
        "a = cli.build_parser('compute').parse_args(['compute', 'ws', '--model', 'terrain']); "
        "assert a.command == 'compute'; "
        "print(json.dumps([m for m in sys.modules if m.startswith('coverage_gis.cli.')]))"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    loaded = {m.rsplit(".", 1)[1] for m in json.loads(out)}
    assert "coverage_cmds" in loaded
    assert not loaded & (set(cli.COMMAND_MODULES) - {"coverage_cmds"})


def test_unknown_command_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        cli.main(["nonsense"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "invalid choice: 'nonsense'" in err
    assert all(f"'{c}'" in err for commands in cli.COMMAND_MODULES.values() for c in commands)


def test_the_program_folds_its_write_ahead_log_before_it_exits(tiny_ws: Workspace) -> None:
    # The program freezes the collector's objects before exiting (cli._settle_garbage):
    # the connections a command leaves must still be closed, which folds the WAL into
    # the file, so the file alone holds the new revision.
    gpkg = tiny_ws.gpkg_path
    before = tiny_ws.revision
    tiny_ws.close()  # this process's connections would keep the WAL
    script = "import sys; from coverage_gis.cli import main; sys.exit(main())"
    argv = [sys.executable, "-c", script, "compute", str(tiny_ws.path)]
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert not gpkg.with_name(gpkg.name + "-wal").exists()
    with Workspace.open(tiny_ws.path) as ws:
        assert ws.revision == before + 1
