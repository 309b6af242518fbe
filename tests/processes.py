"""Child processes of the tests (simulators, peers): stopped politely, then firmly."""

from __future__ import annotations

import subprocess


def stop_process(proc: subprocess.Popen, seconds: float = 10.0) -> None:  # type: ignore[type-arg]
    """SIGTERM, wait up to ``seconds``; SIGKILL if it is still running, and wait again."""
    proc.terminate()
    try:
        proc.wait(seconds)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(seconds)
