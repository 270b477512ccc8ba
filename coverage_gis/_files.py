"""Atomic file output: a file appears whole or not at all.

Used for files that are not workspace layers (the demo's ``dem.tif`` and ``roads.osm``,
plan exports and reports); workspace layers and settings are written by
:class:`~coverage_gis.workspace.Workspace`. A writer gets a temporary path beside the
target; the file replaces the target in one ``os.replace`` only when the writer
finishes, with the usual permissions (``mkstemp`` alone would leave it readable by its
owner only).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temporary path; on success it becomes ``path`` (mode 0666 & ~umask)."""
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}-", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
