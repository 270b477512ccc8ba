"""The program's memory settings (coverage_gis.runtime): each case in a fresh interpreter,
since they are settings of a whole process."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from coverage_gis.runtime import MEMORY_ENV

_REPORT = """
import json, os, sys
{before}
from coverage_gis.runtime import tune_memory
done = tune_memory()
import pyarrow as pa
print(json.dumps({{
    "done": done,
    "pool": pa.default_memory_pool().backend_name,
    "env": {{k: os.environ.get(k) for k in {names!r}}},
}}))
"""


def _run(before: str = "", **env: str) -> dict[str, object]:
    clean = {k: v for k, v in os.environ.items() if k not in MEMORY_ENV and k != "COVGIS_TUNE_MEMORY"}
    code = _REPORT.format(before=before, names=list(MEMORY_ENV))
    out = subprocess.run(
        [sys.executable, "-c", code], env={**clean, **env}, capture_output=True, text=True, check=True
    )
    report: dict[str, object] = json.loads(out.stdout)
    return report


def _default_pool() -> str:
    code = "import pyarrow as pa; print(pa.default_memory_pool().backend_name)"
    clean = {k: v for k, v in os.environ.items() if k != "ARROW_DEFAULT_MEMORY_POOL"}
    return subprocess.run(
        [sys.executable, "-c", code], env=clean, capture_output=True, text=True, check=True
    ).stdout.strip()


@pytest.mark.parametrize("before", ["", "import pyarrow"], ids=["arrow-later", "arrow-loaded"])
def test_a_tuned_process_uses_the_system_pool_and_passes_the_settings_on(before: str) -> None:
    report = _run(before)
    assert report["done"] is True
    assert report["pool"] == "system"
    assert report["env"] == MEMORY_ENV


def test_the_settings_a_user_made_are_kept() -> None:
    report = _run(ARROW_DEFAULT_MEMORY_POOL="jemalloc", MALLOC_TRIM_THRESHOLD_="1048576")
    env = report["env"]
    assert isinstance(env, dict)
    assert env["ARROW_DEFAULT_MEMORY_POOL"] == "jemalloc"
    assert env["MALLOC_TRIM_THRESHOLD_"] == "1048576"
    assert env["MALLOC_MMAP_THRESHOLD_"] == MEMORY_ENV["MALLOC_MMAP_THRESHOLD_"]
    assert report["pool"] != "system"


def test_tuning_can_be_turned_off() -> None:
    report = _run("import pyarrow", COVGIS_TUNE_MEMORY="0")
    assert report["done"] is False
    assert report["pool"] == _default_pool()
    assert report["env"] == dict.fromkeys(MEMORY_ENV)


def test_the_covgis_program_is_tuned_but_a_caller_of_main_is_not() -> None:
    code = (
        "import contextlib, os, sys\n"
        "from coverage_gis.cli import main\n"
        "with contextlib.suppress(SystemExit):\n"
        "    main(['--version'])\n"
        "print(os.environ.get('ARROW_DEFAULT_MEMORY_POOL'))\n"
        "sys.argv = ['covgis', '--version']\n"
        "with contextlib.suppress(SystemExit):\n"
        "    main()\n"
        "print(os.environ.get('ARROW_DEFAULT_MEMORY_POOL'))\n"
    )
    clean = {k: v for k, v in os.environ.items() if k not in MEMORY_ENV}
    out = subprocess.run([sys.executable, "-c", code], env=clean, capture_output=True, text=True, check=True)
    lines = [line for line in out.stdout.splitlines() if line in ("None", "system")]
    assert lines == ["None", "system"]
