"""The one place that compiles kernels with numba (typed for mypy, cached on disk).

Kernels are compiled on first call (``cache=True`` keeps the machine code in
``__pycache__`` so later processes load it in milliseconds) and release the GIL
(``nogil=True``): callers run them in plain threads, each on its own slice of the
output, which keeps results independent of the thread count. ``fastmath`` stays off so
results are bit-for-bit reproducible.

numba keys a cached kernel on its own source file only, yet a kernel compiles in the
kernels it calls from other modules: after an edit to ``_bullington.py`` a driver in
``_drivers.py`` would load its old machine code. Every kernel's cache key therefore
also holds a digest of all the kernel modules' sources in its own package folder (the
modules there that compile with :func:`jit`: this package's, or the coverage models'
pair search in ``coverage_gis.models``), so an edit to any of them recompiles them all.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar, cast

F = TypeVar("F", bound=Callable[..., Any])

#: What marks a module of this package as a kernel module.
_KERNEL_MARK = b"from coverage_gis.terrain._jit import jit"


@functools.cache
def kernels_digest(folder: Path = Path(__file__).parent) -> str:
    """SHA-256 over the sources of the kernel modules in ``folder`` (this package), in name order."""
    digest = hashlib.sha256()
    for path in sorted(folder.glob("*.py")):
        source = path.read_bytes()
        if _KERNEL_MARK in source:
            digest.update(path.name.encode() + b"\0" + source + b"\0")
    return digest.hexdigest()


def _cache_class(folder: Path = Path(__file__).parent) -> type:
    """The cache class of the kernel modules in ``folder`` (one per folder)."""
    return _folder_cache_class(folder.resolve())


@functools.cache
def _folder_cache_class(folder: Path) -> type:
    from numba.core.caching import FunctionCache

    class KernelCache(FunctionCache):
        """numba's per-function disk cache, keyed also on :func:`kernels_digest` of ``folder``."""

        def _index_key(self, sig: Any, codegen: Any) -> tuple[Any, ...]:
            key: tuple[Any, ...] = super()._index_key(sig, codegen)  # type: ignore[no-untyped-call]
            return (*key, kernels_digest(folder))

    return KernelCache


def jit(fn: F) -> F:
    """Compile ``fn`` with numba in nopython mode (lazily, cached, GIL released)."""
    import numba

    dispatcher: Any = numba.njit(nogil=True, error_model="numpy")(fn)
    # What cache=True does (Dispatcher.enable_caching), with the digest of the kernel
    # modules beside ``fn``'s own in the key.
    dispatcher._cache = _cache_class(Path(inspect.getfile(fn)).parent)(fn)
    return cast(F, dispatcher)
