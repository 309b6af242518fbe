"""What the serial simulators (fcb, sxh485) share: where they can listen.

A simulated serial camera listens on a pseudo-terminal where the OS has ptys (Linux,
macOS) and on a loopback TCP socket otherwise (Windows), or when the user asks with
``--tcp HOST:PORT``.
"""

from __future__ import annotations

import os

__all__ = ["has_pty", "split_tcp"]


def has_pty() -> bool:
    """Whether this OS offers pseudo-terminals."""
    return hasattr(os, "openpty") and os.name == "posix"


def split_tcp(text: str) -> tuple[str, int]:
    """``"127.0.0.1:5678"`` → ``("127.0.0.1", 5678)``; ``":0"`` → any free port on loopback.

    Raises ValueError with a message for the user on anything else.
    """
    host, sep, port_text = text.rpartition(":")
    try:
        port = int(port_text)
    except ValueError:
        port = -1
    if not sep or not 0 <= port <= 0xFFFF:
        raise ValueError(f"--tcp {text!r}: use HOST:PORT with a port 0-65535, "
                         f"e.g. 127.0.0.1:5678")
    return host or "127.0.0.1", port
