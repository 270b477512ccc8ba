"""The wheel's package list (pyproject.toml) covers every package and data folder of the tree."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _config() -> dict[str, object]:
    with (ROOT / "pyproject.toml").open("rb") as fh:
        setuptools = tomllib.load(fh)["tool"]["setuptools"]
    assert isinstance(setuptools, dict)
    return setuptools


def _source_folder(package: str, package_dir: dict[str, str]) -> Path:
    """The folder a package name maps to (the longest mapped prefix wins)."""
    parts = package.split(".")
    for n in range(len(parts), 0, -1):
        prefix = ".".join(parts[:n])
        if prefix in package_dir:
            return ROOT / package_dir[prefix] / Path(*parts[n:])
    return ROOT / Path(*parts)


def test_every_python_package_is_listed() -> None:
    config = _config()
    listed = set(config["packages"])  # type: ignore[call-overload]
    package_dir: dict[str, str] = config["package-dir"]  # type: ignore[assignment]
    mapped = {_source_folder(p, package_dir).resolve() for p in listed}
    for top in ("coverage_gis", "api/coverage_gis_api"):
        for init in (ROOT / top).rglob("__init__.py"):
            assert init.parent.resolve() in mapped, f"{init.parent} is not in [tool.setuptools] packages"


def test_listed_folders_exist_with_their_data() -> None:
    config = _config()
    package_dir: dict[str, str] = config["package-dir"]  # type: ignore[assignment]
    for package in config["packages"]:  # type: ignore[attr-defined]
        assert _source_folder(package, package_dir).is_dir(), package
    assert (ROOT / package_dir["coverage_gis._data.layers"] / "villages.yaml").is_file()
    assert (ROOT / package_dir["coverage_gis_api.static"] / "index.html").is_file()


def test_installed_resources_resolve() -> None:
    from coverage_gis._resources import boundaries_dir, layers_dir, plans_dir

    assert (layers_dir() / "villages.yaml").is_file()
    assert (boundaries_dir() / "SOURCE.md").is_file()
    assert any(plans_dir().glob("*.yaml"))
