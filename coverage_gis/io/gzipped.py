"""Gzip-compressed input files: OpenCellID's downloads (``452.csv.gz``) and other ``.gz`` exports.

OpenCellID hands out its per-country cell lists only gzip-compressed. :func:`gunzipped`
unpacks such a file into a temporary folder under the name it has without ``.gz``, so
that the format is told from that name and the contents as for any other file; the size
limit counts the bytes actually unpacked (a small file that unpacks to gigabytes is refused,
not read). :func:`renamed_error` makes an error raised while reading the unpacked copy name
the file the user gave.
"""

from __future__ import annotations

import contextlib
import gzip
import tempfile
import zlib
from collections.abc import Iterator
from pathlib import Path

from coverage_gis.errors import InputTooLarge, LayerValidationError
from coverage_gis.io.vector import one_line

__all__ = ["GZIP_MAGIC", "gunzipped", "is_gzip", "renamed_error"]

#: The first two bytes of every gzip file.
GZIP_MAGIC = b"\x1f\x8b"
_CHUNK_BYTES = 1 << 20


def is_gzip(path: Path) -> bool:
    """Whether ``path`` starts as a gzip file does."""
    with path.open("rb") as fh:
        return fh.read(len(GZIP_MAGIC)) == GZIP_MAGIC


@contextlib.contextmanager
def gunzipped(path: Path, *, max_bytes: int) -> Iterator[Path]:
    """The unpacked contents of gzip file ``path`` in a temporary folder, named as ``path``
    without its ``.gz`` (``452.csv.gz`` → ``452.csv``).

    Raises
    ------
    LayerValidationError
        A damaged gzip file.
    InputTooLarge
        More than ``max_bytes`` unpacked.
    """
    source = str(path)
    name = path.name[: -len(".gz")] if path.name.lower().endswith(".gz") else path.stem
    with tempfile.TemporaryDirectory(prefix="covgis-gz-") as tmp:
        target = Path(tmp) / (name or "unpacked")
        written = 0
        try:
            with gzip.open(path, "rb") as packed, target.open("wb") as out:
                while chunk := packed.read(_CHUNK_BYTES):
                    written += len(chunk)
                    if written > max_bytes:
                        raise InputTooLarge(
                            f"{source}: gzip file unpacks to more than {max_bytes:,} bytes, "
                            "over the import limit"
                        )
                    out.write(chunk)
        except (OSError, EOFError, zlib.error) as exc:
            raise LayerValidationError(
                f"the gzip file is damaged and cannot be unpacked ({one_line(exc)})", source=source
            ) from None
        yield target


def renamed_error(exc: LayerValidationError, source: str) -> LayerValidationError:
    """``exc`` (and the problems it lists) naming ``source`` instead of the unpacked copy."""

    def renamed(error: LayerValidationError) -> LayerValidationError:
        return LayerValidationError(
            error.reason, source=source, row=error.row, field=error.field, layer=error.layer
        )

    out = renamed(exc)
    out.errors = [renamed(e) for e in exc.errors]
    return out
