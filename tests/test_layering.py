"""Layering: the library imports no web framework and not the web package.

The ruff rule (``TID251`` in ``pyproject.toml``) catches an offending import line;
these tests check that the rule is configured as documented and that importing the
whole library really leaves FastAPI, Starlette, uvicorn and the web package unloaded.
"""

from __future__ import annotations

import pkgutil
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import coverage_gis

ROOT = Path(__file__).resolve().parent.parent
PROBE = (
    "import fastapi\nfrom starlette.responses import Response\nimport uvicorn\nimport coverage_gis_api.app\n"
)
RUFF = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")


def _ruff_on(filename: str) -> subprocess.CompletedProcess[str]:
    assert RUFF is not None, "ruff is in the dev extra"
    return subprocess.run(
        [RUFF, "check", "--select", "TID251", "--no-cache", "--stdin-filename", filename, "-"],
        input=PROBE,
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )


def test_ruff_bans_web_imports_in_the_library() -> None:
    result = _ruff_on("coverage_gis/some_module.py")
    assert result.returncode == 1
    for banned in ("fastapi", "starlette", "uvicorn", "coverage_gis_api"):
        assert f"`{banned}` is banned" in result.stdout


@pytest.mark.parametrize(
    "filename", ["coverage_gis/cli/serve_cmds.py", "api/coverage_gis_api/app.py", "tests/test_x.py"]
)
def test_the_exceptions_are_the_documented_ones(filename: str) -> None:
    assert _ruff_on(filename).returncode == 0


def _loaded_after_importing(modules: list[str], watched: tuple[str, ...]) -> list[str]:
    """Which of ``watched`` a fresh interpreter holds after importing ``modules``."""
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        f"print(','.join(sorted(m for m in {watched!r} if m in sys.modules)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    return [m for m in result.stdout.strip().split(",") if m]


def test_importing_every_library_module_loads_no_web_code() -> None:
    found = pkgutil.walk_packages(coverage_gis.__path__, "coverage_gis.")
    names = [m.name for m in found if not m.name.endswith("__main__")]
    assert "coverage_gis.storage.gpkg" in names
    web = ("fastapi", "starlette", "uvicorn", "coverage_gis_api")
    assert _loaded_after_importing(names, web) == []


def test_the_terrain_engine_loads_without_pandas() -> None:
    """A raster worker (the models and the terrain engine) imports no pandas: pandas and the
    pyarrow it brings add ~65 MB to every such process (the terrain memory goal)."""
    engine = ["coverage_gis.models", "coverage_gis.terrain.engine", "coverage_gis.terrain.raster"]
    assert _loaded_after_importing(engine, ("pandas", "pyarrow")) == []
    assert _loaded_after_importing(["coverage_gis.models.settings", "pandas"], ("pandas",)) == ["pandas"]


def test_docstrings_cite_the_repository_architecture_page() -> None:
    """Docs point to docs/architecture.md, which the repository holds (not a file outside it)."""
    assert (ROOT / "docs" / "architecture.md").is_file()
    sources = [*ROOT.glob("coverage_gis/**/*.py"), *ROOT.glob("api/**/*.py"), *ROOT.glob("layers/*.yaml")]
    citing = [str(p.relative_to(ROOT)) for p in sources if "DESIGN.md" in p.read_text(encoding="utf-8")]
    assert citing == []
    assert any("docs/architecture.md" in p.read_text(encoding="utf-8") for p in sources)
