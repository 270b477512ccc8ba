"""Servers the tests start in their own processes: a free port, and waiting until one answers."""

from __future__ import annotations

import socket
import subprocess
import time
from pathlib import Path

import httpx2
import pytest


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until_up(
    url: str,
    process: subprocess.Popen[str] | subprocess.Popen[bytes],
    *,
    timeout_s: float,
    poll_s: float = 0.1,
    log: Path | None = None,
) -> None:
    """Return once ``url`` answers 200; fail the test if ``process`` exits or time runs out
    (with the end of the server's ``log``, when given)."""
    tail = (lambda: ": " + log.read_text(errors="replace")[-2000:]) if log is not None else (lambda: "")
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"server exited with {process.returncode}{tail()}")
        try:
            if httpx2.get(url, timeout=2.0).status_code == 200:
                return
        except httpx2.HTTPError:
            pass
        time.sleep(poll_s)
    pytest.fail(f"server did not start{tail()}")
