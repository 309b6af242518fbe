"""Socket helpers for the VS-1 link: connect with a verdict, TCP keepalive, shared state.

The VS-1's own connection monitor (port 49079) is proprietary, so its behaviour -
"report a dropped connection within a few seconds" - is reproduced on our own
connections: every long-lived socket gets TCP keepalive (idle 1 s, probe every 1 s,
2 probes, and on Linux ``TCP_USER_TIMEOUT``) so a vanished peer is noticed in about
3 s, every blocking call has a timeout, and a closed/reset peer is noticed at once.
"""

from __future__ import annotations

import errno
import logging
import socket
import sys
import threading
import time

from .protocol import MONITORED_SERVICES, ConnectionState

__all__ = ["ServiceStates", "connect", "enable_keepalive", "classify_error"]

log = logging.getLogger("nodemap.vs1")


def enable_keepalive(sock: socket.socket, *, idle: float = 1.0, interval: float = 1.0,
                     count: int = 2) -> None:
    """Turn on TCP keepalive with short timings where the platform allows it."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    except OSError as exc:  # pragma: no cover - exotic platforms
        log.debug("SO_KEEPALIVE not available: %s", exc)
        return
    idle_s = max(1, int(round(idle)))
    interval_s = max(1, int(round(interval)))
    if sys.platform == "win32" and hasattr(socket, "SIO_KEEPALIVE_VALS"):  # pragma: no cover
        try:
            sock.ioctl(socket.SIO_KEEPALIVE_VALS, (1, idle_s * 1000, interval_s * 1000))
        except OSError as exc:
            log.debug("SIO_KEEPALIVE_VALS failed: %s", exc)
        return
    options = []
    if hasattr(socket, "TCP_KEEPIDLE"):
        options.append((socket.TCP_KEEPIDLE, idle_s))
    elif hasattr(socket, "TCP_KEEPALIVE"):  # pragma: no cover - macOS name for the idle time
        options.append((socket.TCP_KEEPALIVE, idle_s))
    if hasattr(socket, "TCP_KEEPINTVL"):
        options.append((socket.TCP_KEEPINTVL, interval_s))
    if hasattr(socket, "TCP_KEEPCNT"):
        options.append((socket.TCP_KEEPCNT, max(1, count)))
    if hasattr(socket, "TCP_USER_TIMEOUT"):  # Linux: unacknowledged data gives up too
        options.append((socket.TCP_USER_TIMEOUT, int((idle_s + interval_s * count) * 1000)))
    for option, value in options:
        try:
            sock.setsockopt(socket.IPPROTO_TCP, option, value)
        except OSError as exc:  # pragma: no cover
            log.debug("TCP option %s=%s not accepted: %s", option, value, exc)


def classify_error(exc: BaseException) -> ConnectionState:
    """The ConnectionState an exception from connect/recv means."""
    if isinstance(exc, (socket.timeout, TimeoutError)):
        return ConnectionState.TimedOut
    if isinstance(exc, ConnectionRefusedError):
        return ConnectionState.Refused
    if isinstance(exc, (ConnectionResetError, ConnectionAbortedError, BrokenPipeError)):
        return ConnectionState.Dropped
    if isinstance(exc, OSError) and exc.errno == errno.ETIMEDOUT:
        return ConnectionState.TimedOut
    return ConnectionState.Error


def connect(host: str, port: int, timeout: float, *, keepalive: bool = True) -> socket.socket:
    """A connected TCP socket (keepalive on, ``timeout`` left as its read timeout)."""
    sock = socket.create_connection((host, port), timeout=timeout)
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    except OSError:  # pragma: no cover
        pass
    if keepalive:
        enable_keepalive(sock)
    return sock


class ServiceStates:
    """Thread-safe ConnectionState per monitored service, with the last reason."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._states = {s.index: ConnectionState.NotConnected for s in MONITORED_SERVICES}
        self._reasons = {s.index: "" for s in MONITORED_SERVICES}
        self._changed = {s.index: 0.0 for s in MONITORED_SERVICES}
        self._names = {s.index: s.name for s in MONITORED_SERVICES}

    def set(self, index: int, state: ConnectionState, reason: str = "") -> None:
        with self._lock:
            old = self._states[index]
            self._states[index] = state
            self._reasons[index] = reason
            if old != state:
                self._changed[index] = time.time()
        if old != state:
            level = logging.INFO if state in (ConnectionState.Connected, ConnectionState.Closed) \
                else logging.WARNING
            log.log(level, "VS-1 %s: %s -> %s%s", self._names[index], old.name, state.name,
                    f" ({reason})" if reason else "")

    def get(self, index: int) -> ConnectionState:
        with self._lock:
            return self._states[index]

    def reason(self, index: int) -> str:
        with self._lock:
            return self._reasons[index]

    def snapshot(self) -> dict[str, ConnectionState]:
        """``{"Ftp": ConnectionState.Connected, "Result0": ...}``."""
        with self._lock:
            return {self._names[i]: s for i, s in self._states.items()}
