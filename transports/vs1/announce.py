"""Passive listener for the VS-1 announce port (UDP 49495).

The camera broadcasts its identity there, but the datagram layout is proprietary and
undocumented, so this module only *records* what arrives - raw bytes, source address
and arrival time - and never decodes or guesses at fields.  It never sends anything.
"""

from __future__ import annotations

import datetime
import logging
import socket
import sys
import time

import attrs

__all__ = ["ANNOUNCE_PORT", "Announcement", "AnnounceListener", "listen"]

log = logging.getLogger("nodemap.vs1")

ANNOUNCE_PORT = 49495
MAX_DATAGRAM = 65535


@attrs.frozen(slots=True)
class Announcement:
    """One received datagram, undecoded."""

    data: bytes
    source: tuple[str, int]
    received: float  #: ``time.time()`` at arrival

    def describe(self) -> str:
        """One-line annotated form: time, source, size, hex and printable ASCII."""
        when = datetime.datetime.fromtimestamp(self.received).isoformat(timespec="milliseconds")
        ascii_ = "".join(chr(b) if 32 <= b < 127 else "." for b in self.data)
        return (f"{when} {self.source[0]}:{self.source[1]} {len(self.data)} bytes "
                f"hex={self.data.hex()} ascii={ascii_!r}")

    def __str__(self) -> str:
        return self.describe()


class AnnounceListener:
    """A bound UDP socket on ``host:port``; :meth:`collect` records datagrams.

    ``host="0.0.0.0"`` (the default) is needed to hear real broadcasts; tests pass a
    loopback address.  ``port=0`` binds an ephemeral port (see :attr:`port`).
    Address reuse is enabled so another listener (FrontRunner) can share the port.
    """

    def __init__(self, port: int = ANNOUNCE_PORT, host: str = "0.0.0.0") -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            if sys.platform != "win32":
                self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if hasattr(socket, "SO_REUSEPORT"):
                try:
                    self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
                except OSError:  # pragma: no cover
                    pass
            self.sock.bind((host, port))
        except OSError as exc:
            self.sock.close()
            raise OSError(exc.errno, f"cannot listen for VS-1 announcements on {host}:{port}: "
                          f"{exc.strerror}; another program may hold the port, or the firewall "
                          f"blocks it") from exc
        self.host, self.port = self.sock.getsockname()[:2]

    def collect(self, duration: float, max_count: int = 10000) -> list[Announcement]:
        """Datagrams received within ``duration`` seconds (at most ``max_count``)."""
        found: list[Announcement] = []
        deadline = time.monotonic() + duration
        while len(found) < max_count:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            self.sock.settimeout(min(remaining, 0.25))
            try:
                data, source = self.sock.recvfrom(MAX_DATAGRAM)
            except socket.timeout:
                continue
            except OSError as exc:  # e.g. Windows ICMP port unreachable (WSAECONNRESET)
                log.debug("VS-1 announce listener: %s", exc)
                continue
            item = Announcement(data, (source[0], source[1]), time.time())
            found.append(item)
            log.debug("VS-1 announce <- %s", item.describe())
        return found

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> "AnnounceListener":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def listen(duration: float, port: int = ANNOUNCE_PORT, host: str = "0.0.0.0",
           max_count: int = 10000) -> list[Announcement]:
    """Listen on ``host:port`` for ``duration`` s and return the raw announcements."""
    with AnnounceListener(port, host) as listener:
        return listener.collect(duration, max_count)
