"""Waiting for a condition in tests: polled, bounded by a timeout (an upper bound against
hangs, never a timing assertion)."""

from __future__ import annotations

import time
from collections.abc import Callable


def wait_until(condition: Callable[[], object], timeout: float = 10.0,
               step: float = 0.005) -> bool:
    """True as soon as ``condition()`` is; False if it still is not after ``timeout`` s
    (asked once more at the end)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return bool(condition())
