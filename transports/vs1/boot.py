"""The VS-1 boot-parameter page over HTTP (port 80): fetch, cache briefly, parse.

The page's layout is not published; :func:`~nodemap.transports.vs1.protocol.parse_boot_page`
reads the public vxWorks ``label : value`` form and rejects anything else.
"""

from __future__ import annotations

import http.client
import logging
import socket
import threading
import time

from nodemap.errors import DeviceError, PortError, ProtocolError, TimeoutError

from .net import ServiceStates, classify_error
from .protocol import ConnectionState, Vs1CodecError, parse_boot_page

__all__ = ["BootPage"]

log = logging.getLogger("nodemap.vs1")

MAX_PAGE = 1 << 20


class BootPage:
    """Fetches ``http://host:port/path`` and parses it; results are kept ``ttl`` seconds."""

    def __init__(self, host: str, port: int = 80, path: str = "/", *, timeout: float = 5.0,
                 ttl: float = 2.0, states: ServiceStates | None = None,
                 service_index: int = 1) -> None:
        self.host = host
        self.port = port
        self.path = path if path.startswith("/") else "/" + path
        self.timeout = timeout
        self.ttl = ttl
        self._states = states
        self._service = service_index
        self._lock = threading.Lock()
        self._cached: tuple[float, bytes, dict[str, str]] | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}{self.path}"

    def _state(self, state: ConnectionState, reason: str = "") -> None:
        if self._states is not None:
            self._states.set(self._service, state, reason)

    def fetch(self) -> bytes:
        """The raw page body (no cache)."""
        conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        try:
            try:
                conn.request("GET", self.path, headers={"Connection": "close"})
                response = conn.getresponse()
                body = response.read(MAX_PAGE + 1)
            except (socket.timeout, TimeoutError) as exc:
                self._state(ConnectionState.TimedOut, f"HTTP: {exc}")
                raise TimeoutError(f"VS-1 boot-parameter page {self.url}: no answer within "
                                   f"{self.timeout} s; check the address") from exc
            except (OSError, http.client.HTTPException) as exc:
                state = classify_error(exc)
                if isinstance(exc, http.client.HTTPException):
                    state = ConnectionState.Connected
                self._state(state, f"HTTP: {exc}")
                raise PortError(f"VS-1 boot-parameter page {self.url}: {exc}; is the web "
                                f"server running?") from exc
        finally:
            conn.close()
        self._state(ConnectionState.Connected, "HTTP")
        log.debug("VS-1 HTTP GET %s -> %d, %d bytes", self.url, response.status, len(body))
        if response.status != 200:
            raise DeviceError(f"VS-1 boot-parameter page {self.url} answered HTTP "
                              f"{response.status} {response.reason}; set boot_path= in the "
                              f"vs1:// URL if the page lives elsewhere", status=response.status)
        if len(body) > MAX_PAGE:
            raise DeviceError(f"VS-1 boot-parameter page {self.url} is larger than {MAX_PAGE} bytes")
        return body

    def _get(self) -> tuple[bytes, dict[str, str]]:
        with self._lock:
            now = time.monotonic()
            if self._cached is not None and now - self._cached[0] < self.ttl:
                return self._cached[1], self._cached[2]
            body = self.fetch()
            try:
                pairs = parse_boot_page(body)
            except Vs1CodecError as exc:
                raise ProtocolError(f"{self.url}: {exc}") from None
            self._cached = (now, body, pairs)
            return body, pairs

    def page(self) -> bytes:
        """The raw page (cached up to ``ttl`` s)."""
        return self._get()[0]

    def parameters(self) -> dict[str, str]:
        """Normalized label → value (``{"host name": "vs1", ...}``), cached up to ``ttl`` s."""
        return dict(self._get()[1])
