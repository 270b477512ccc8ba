"""The one place that compiles kernels with numba (typed for mypy, cached on disk).

Kernels are compiled on first call (``cache=True`` keeps the machine code in
``__pycache__`` so later processes load it in milliseconds) and release the GIL
(``nogil=True``): callers run them in plain threads, each on its own slice of the
output, which keeps results independent of the thread count. ``fastmath`` stays off so
results are bit-for-bit reproducible.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

F = TypeVar("F", bound=Callable[..., Any])


def jit(fn: F) -> F:
    """Compile ``fn`` with numba in nopython mode (lazily, cached, GIL released)."""
    import numba

    return cast(F, numba.njit(cache=True, nogil=True, error_model="numpy")(fn))
