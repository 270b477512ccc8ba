"""The kernels' disk cache is keyed on every kernel module's source (issue 18)."""

from __future__ import annotations

from pathlib import Path

from coverage_gis.terrain import _drivers
from coverage_gis.terrain._jit import _KERNEL_MARK, _cache_class, kernels_digest


def _write(folder: Path, name: str, body: str) -> None:
    folder.mkdir(exist_ok=True)
    (folder / name).write_text(body)


def test_digest_follows_kernel_modules_only(tmp_path: Path) -> None:
    mark = _KERNEL_MARK.decode()
    _write(tmp_path, "_a.py", f"{mark}\nX = 1\n")
    _write(tmp_path, "_b.py", f"{mark}\nY = 2\n")
    _write(tmp_path, "plain.py", "Z = 3\n")
    before = kernels_digest(tmp_path)
    kernels_digest.cache_clear()
    _write(tmp_path, "plain.py", "Z = 4\n")  # not a kernel module: same key
    assert kernels_digest(tmp_path) == before
    kernels_digest.cache_clear()
    _write(tmp_path, "_b.py", f"{mark}\nY = 3\n")  # a helper another kernel calls
    assert kernels_digest(tmp_path) != before
    kernels_digest.cache_clear()


def test_driver_cache_key_holds_the_digest() -> None:
    cache = _drivers.radials_pass._cache
    assert isinstance(cache, _cache_class())

    class Codegen:
        def magic_tuple(self) -> tuple[str, str, str]:
            return ("triple", "cpu", "features")

    key = cache._index_key(("sig",), Codegen())
    assert key[-1] == kernels_digest()
    assert len(kernels_digest()) == 64
