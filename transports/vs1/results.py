"""Background readers for the VS-1 serial-over-TCP result ports (49211-49214).

Each port carries the Formatted Output strings the AVP programs, one line each.  A
:class:`ResultReader` keeps one connection per port (keepalive, read timeouts,
reconnect), splits the stream into lines and keeps them in a *bounded* buffer with
their arrival time.  Nothing is lost silently: when the buffer is full the oldest
line is dropped and ``dropped`` counts it (feature ``ResultDropped<n>``); every line
carries ``number``, its running index since the link opened, so a consumer sees a gap.
"""

from __future__ import annotations

import collections
import logging
import socket
import threading
import time
from typing import Iterator

import attrs

from .net import ServiceStates, classify_error, connect
from .protocol import ConnectionState, LineDecoder

__all__ = ["ResultLine", "ResultReader"]

log = logging.getLogger("nodemap.vs1")


@attrs.frozen(slots=True)
class ResultLine:
    """One formatted-output line: ``text`` (terminator removed), arrival ``received``
    (``time.time()``), ``port_index`` 0-3, and ``number`` = lines received before it."""

    text: str
    received: float
    port_index: int
    number: int


class ResultReader:
    """Reads one result port in a thread; see the module docstring.

    ``buffer``: how many unconsumed lines are kept (oldest dropped and counted beyond).
    ``timeout``: connect timeout.  ``read_timeout``: how long one ``recv`` may block
    (bounds shutdown latency; silence on a result port is normal, not a drop).
    ``retry``: pause between reconnect attempts.
    """

    def __init__(self, index: int, host: str, port: int, states: ServiceStates, *,
                 service_index: int, buffer: int = 10000, timeout: float = 2.0,
                 read_timeout: float = 0.25, retry: float = 0.5, keepalive: bool = True,
                 terminator: bytes = b"\n", encoding: str = "utf-8") -> None:
        if buffer < 1:
            raise ValueError("the result buffer must hold at least one line")
        self.index = index
        self.host = host
        self.port = port
        self.timeout = timeout
        self.read_timeout = read_timeout
        self.retry = retry
        self.keepalive = keepalive
        self.terminator = terminator
        self.encoding = encoding
        self.capacity = buffer
        self._states = states
        self._service = service_index
        self._buffer: collections.deque[ResultLine] = collections.deque()
        self._cond = threading.Condition()
        self._stop = threading.Event()
        self._sock: socket.socket | None = None
        self._sock_lock = threading.Lock()
        self.count = 0  #: lines received since the link opened
        self.dropped = 0  #: lines discarded because the buffer was full
        self.connections = 0  #: successful connects (1 + reconnects)
        self.latest: ResultLine | None = None
        self._thread = threading.Thread(target=self._run, name=f"vs1-result{index}-{host}:{port}",
                                        daemon=True)

    # -- consumer side ------------------------------------------------------------------

    @property
    def state(self) -> ConnectionState:
        return self._states.get(self._service)

    @property
    def buffered(self) -> int:
        with self._cond:
            return len(self._buffer)

    def get(self, timeout: float | None = None) -> ResultLine | None:
        """The oldest unconsumed line, waiting up to ``timeout`` s (None: forever while
        open); None when none arrived in time or the reader stopped."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while not self._buffer:
                if self._stop.is_set():
                    return None
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return None
                self._cond.wait(0.5 if remaining is None else min(remaining, 0.5))
            return self._buffer.popleft()

    def drain(self) -> list[ResultLine]:
        """Every unconsumed line, oldest first (the buffer is emptied)."""
        with self._cond:
            lines = list(self._buffer)
            self._buffer.clear()
            return lines

    def __iter__(self) -> Iterator[ResultLine]:
        """Lines as they arrive, until the link closes."""
        while True:
            line = self.get()
            if line is None:
                return
            yield line

    # -- lifecycle ----------------------------------------------------------------------

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 2.0) -> None:
        self._stop.set()
        with self._sock_lock:
            sock = self._sock
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout)
        with self._cond:
            self._cond.notify_all()
        self._states.set(self._service, ConnectionState.Closed, "link closed")

    # -- reader thread ------------------------------------------------------------------

    def _store(self, lines: list[bytes]) -> None:
        now = time.time()
        debug = log.isEnabledFor(logging.DEBUG)
        with self._cond:
            for raw in lines:
                line = ResultLine(raw.decode(self.encoding, errors="replace"), now, self.index,
                                  self.count)
                if len(self._buffer) >= self.capacity:
                    self._buffer.popleft()
                    self.dropped += 1
                self._buffer.append(line)
                self.count += 1
                self.latest = line
                if debug:
                    log.debug("VS-1 result%d <- line #%d %r (%d buffered, %d dropped)",
                              self.index, line.number, line.text, len(self._buffer), self.dropped)
            self._cond.notify_all()

    def _run(self) -> None:
        name = f"result port {self.port}"
        while not self._stop.is_set():
            try:
                sock = connect(self.host, self.port, self.timeout, keepalive=self.keepalive)
            except OSError as exc:
                self._states.set(self._service, classify_error(exc), f"{name}: {exc}")
                self._stop.wait(self.retry)
                continue
            sock.settimeout(self.read_timeout)
            with self._sock_lock:
                self._sock = sock
            self.connections += 1
            self._states.set(self._service, ConnectionState.Connected, name)
            decoder = LineDecoder(self.terminator)
            try:
                while not self._stop.is_set():
                    try:
                        data = sock.recv(65536)
                    except socket.timeout:
                        continue  # silence is normal on a result port
                    except OSError as exc:
                        if not self._stop.is_set():
                            state = classify_error(exc)
                            if state is ConnectionState.Error:
                                state = ConnectionState.Dropped
                            self._states.set(self._service, state, f"{name}: {exc}")
                        break
                    if not data:
                        if not self._stop.is_set():
                            self._states.set(self._service, ConnectionState.Dropped,
                                             f"{name}: closed by the camera")
                        break
                    lines = decoder.feed(data)
                    if lines:
                        self._store(lines)
            finally:
                with self._sock_lock:
                    self._sock = None
                sock.close()
            if decoder.pending:
                log.warning("VS-1 result%d: %d bytes without a line terminator discarded at "
                            "disconnect", self.index, len(decoder.pending))
            self._stop.wait(self.retry)
