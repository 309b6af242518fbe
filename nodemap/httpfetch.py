"""Download a description a device names by an ``http:``/``https:`` URL, within bounds.

The server is the device's choice, so it is treated as hostile: :func:`fetch` gives it
``deadline`` seconds in all — a watchdog shuts the connection down then, so a server that
drips one byte at a time (or never ends its headers) cannot hold the caller — and at most
``limit`` bytes; a body shorter than its ``Content-Length``, a malformed status line or
header, a refused connection or an HTTP error status all become one
:class:`~nodemap.errors.XmlError` naming the URL.  Redirects are followed as
:mod:`urllib.request` follows them (each new connection watched as well).
"""

from __future__ import annotations

import http.client
import socket
import threading
import urllib.error
import urllib.request
from typing import Any, Callable

from .errors import XmlError

__all__ = ["fetch"]


class _Watchdog:
    """Shuts down every socket it watches once ``deadline`` seconds have passed."""

    def __init__(self, deadline: float) -> None:
        self.expired = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(deadline, self._expire)
        self._timer.daemon = True

    def watch(self, sock: socket.socket | None) -> None:
        with self._lock:
            if sock is None:
                return
            self._sockets.append(sock)
            if self.expired:
                self._shut(sock)

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            for sock in self._sockets:
                self._shut(sock)

    @staticmethod
    def _shut(sock: socket.socket) -> None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass            # already closed

    def __enter__(self) -> "_Watchdog":
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._timer.cancel()


def _opener(watchdog: _Watchdog) -> urllib.request.OpenerDirector:
    """An opener whose HTTP(S) connections register their sockets with ``watchdog``."""

    class Watched(http.client.HTTPConnection):
        def connect(self) -> None:
            super().connect()
            watchdog.watch(self.sock)

    class WatchedTLS(http.client.HTTPSConnection):
        def connect(self) -> None:
            super().connect()
            watchdog.watch(self.sock)

    class Handler(urllib.request.HTTPHandler):
        def http_open(self, req: Any) -> Any:
            return self.do_open(Watched, req)

    class TLSHandler(urllib.request.HTTPSHandler):
        def https_open(self, req: Any) -> Any:
            return self.do_open(WatchedTLS, req)

    return urllib.request.build_opener(Handler(), TLSHandler())


def fetch(url: str, *, limit: int, timeout: float = 10.0, deadline: float = 60.0,
          progress: Callable[[int, int], None] | None = None) -> bytes:
    """The body at ``url``: XmlError unless it arrives whole, within ``deadline`` seconds
    overall (``timeout`` for each network wait) and ``limit`` bytes."""
    body = bytearray()
    watchdog = _Watchdog(deadline)
    try:
        with watchdog, _opener(watchdog).open(url, timeout=min(timeout, deadline)) as resp:
            announced = resp.headers.get("Content-Length")
            try:
                total = int(announced) if announced else 0
            except ValueError:
                raise XmlError(f"{url}: the server announced Content-Length {announced!r}, "
                               f"not a number") from None
            if total > limit:
                raise XmlError(f"{url}: the server announces {total} bytes, more than "
                               f"{limit}")
            for _ in range(limit + 1):                 # bounded: each read brings a byte
                piece = resp.read1(65536)
                if not piece:
                    break
                body += piece
                if len(body) > limit:
                    raise XmlError(f"{url}: more than {limit} bytes")
                if progress:
                    progress(len(body), total or len(body))
    except XmlError:
        raise
    except (OSError, http.client.HTTPException, ValueError) as exc:
        if watchdog.expired:
            raise XmlError(f"{url}: no complete answer within {deadline:g} s "
                           f"({len(body)} bytes arrived); the server is too slow or stalls"
                           ) from None
        raise XmlError(f"cannot download {url}: {_describe(exc)}") from None
    if watchdog.expired:
        raise XmlError(f"{url}: no complete answer within {deadline:g} s ({len(body)} bytes "
                       f"arrived); the server is too slow or stalls")
    if total and len(body) < total:
        raise XmlError(f"{url}: the server sent {len(body)} of the {total} bytes it announced")
    return bytes(body)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, urllib.error.HTTPError):
        return str(exc)                                   # "HTTP Error 404: Not Found"
    if isinstance(exc, http.client.IncompleteRead):
        return f"the body ended early ({len(exc.partial)} bytes)"
    if isinstance(exc, http.client.HTTPException):
        return f"not a valid HTTP answer ({type(exc).__name__}: {str(exc)[:80]!r})"
    reason = getattr(exc, "reason", None)
    return str(reason if reason is not None else exc)
