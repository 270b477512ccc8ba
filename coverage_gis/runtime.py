"""Process settings for the programs that run a computation (``docs/architecture.md``, engine).

A national computation allocates and frees a few gigabytes of arrays per run. With the
allocators' defaults much of it goes back to the kernel as soon as it is freed, and
the next run asks for it again: every fresh page is a page fault that the kernel
zeroes. On the 2-core machine this was 0.3–0.7 s of system time per full national
computation (a third of its CPU), and most of it goes away when freed memory stays in
the process for the next allocation:

* glibc's ``malloc`` serves blocks up to :data:`MMAP_THRESHOLD` from its heaps instead of
  mapping each one on its own (its sliding default maps anything over 128 KiB until a
  block of that size is freed), and keeps the top of its heap (:data:`TRIM_THRESHOLD`);
* Arrow (pandas' strings) allocates through the system allocator too, so both share
  the one pool of retained memory (Arrow's own allocator returns freed pages after a few
  milliseconds).

Retained memory is reused, not added: the peak resident set is what the computation
holds at once, as before. These are settings of a *program* (the ``covgis`` command,
the API server and its workers), never made by importing the library; the environment
variables are also set, so that worker processes started later (``covgis serve
--workers``) start with them. A variable the user has set is left as it is, and
``COVGIS_TUNE_MEMORY=0`` leaves everything as the libraries set it.

A server also keeps its tables out of the cyclic garbage collector's full passes
(:func:`freeze_long_lived`): each pass walks every container object alive, and the
tables of a national workspace (hundreds of thousands of shapely geometries in the
map's tile sources) made each one a pause of 50–160 ms that every client in flight
waited for.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import os
import sys

#: Largest block glibc serves from its heaps (bytes): its ceiling on 64-bit systems.
MMAP_THRESHOLD = 32 * 1024 * 1024
#: Free memory at the top of glibc's heap kept for reuse (bytes).
TRIM_THRESHOLD = 2**31 - 1

#: The environment a tuned program's child processes start with (glibc reads the two
#: ``MALLOC_*`` variables, Arrow its pool, when they start).
MEMORY_ENV: dict[str, str] = {
    "ARROW_DEFAULT_MEMORY_POOL": "system",
    "MALLOC_MMAP_THRESHOLD_": str(MMAP_THRESHOLD),
    "MALLOC_TRIM_THRESHOLD_": str(TRIM_THRESHOLD),
}

#: ``mallopt`` parameters (glibc's malloc.h).
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3


def tune_memory() -> bool:
    """Keep freed memory in this process for reuse (see the module's text); True when done.

    Sets :data:`MEMORY_ENV` where the environment does not say otherwise, and applies it
    to this process: glibc's ``mallopt`` (on Linux with glibc), and Arrow's default pool
    when Arrow is loaded already (else Arrow reads the variable itself). Does nothing when
    ``COVGIS_TUNE_MEMORY`` is ``0``.
    """
    if os.environ.get("COVGIS_TUNE_MEMORY", "1") == "0":
        return False
    for name, value in MEMORY_ENV.items():
        os.environ.setdefault(name, value)
    mmap_threshold = _bytes_env("MALLOC_MMAP_THRESHOLD_")
    trim_threshold = _bytes_env("MALLOC_TRIM_THRESHOLD_")
    if mmap_threshold is not None and trim_threshold is not None:
        _set_malloc(mmap_threshold, trim_threshold)
    arrow = sys.modules.get("pyarrow")
    if arrow is not None and os.environ["ARROW_DEFAULT_MEMORY_POOL"] == "system":
        # Arrow reads the variable when its pool is first used: only a loaded Arrow is told.
        arrow.set_memory_pool(arrow.system_memory_pool())
    return True


def _bytes_env(name: str) -> int | None:
    """The environment's byte count ``name`` (None when it is not a whole number: glibc
    ignores it too)."""
    value = os.environ.get(name, "")
    return int(value) if value.isdigit() else None


def _set_malloc(mmap_threshold: int, trim_threshold: int) -> None:
    """``mallopt`` both thresholds where the C library is glibc (elsewhere: nothing)."""
    if not sys.platform.startswith("linux"):
        return
    name = ctypes.util.find_library("c")
    if name is None:
        return
    libc = ctypes.CDLL(name)
    mallopt = getattr(libc, "mallopt", None)
    if mallopt is None:  # musl: no mallopt
        return
    mallopt(_M_MMAP_THRESHOLD, mmap_threshold)
    mallopt(_M_TRIM_THRESHOLD, trim_threshold)


#: Whether :func:`settle_long_lived` freezes (a server's setting, :func:`freeze_long_lived`).
_freeze_long_lived = False


def freeze_long_lived(enabled: bool) -> None:
    """Freeze what is alive now out of the cyclic collector's passes (``gc.freeze``), and
    from now on what :func:`settle_long_lived` is called after (``enabled``); else stop,
    and make the frozen objects collectable again (``gc.unfreeze``).

    For a process that keeps its tables as long as it runs (the API server, from its
    start to its end); never by importing the library. Frozen objects are still freed
    when their last reference goes: only cycles among them wait for the unfreeze.
    """
    global _freeze_long_lived
    _freeze_long_lived = enabled
    if enabled:
        gc.freeze()
    else:
        gc.unfreeze()


def settle_long_lived() -> None:
    """After building tables that live as long as their workspace revision (a layer's tile
    source): freeze every object alive now, when the process asked for it
    (:func:`freeze_long_lived`); nothing otherwise."""
    if _freeze_long_lived:
        gc.freeze()
