"""``nodemap.httpfetch``: a description URL's http server is the device's choice, so hostile.

Every answer that is not a whole, plausible body within the deadline ends in an XmlError
naming the URL (a malformed status line and a non-numeric Content-Length escaped as
``BadStatusLine``/``ValueError``; a short body went on as truncated XML; a server dripping
one byte at a time held the caller without end).  The servers here run on 127.0.0.1.
"""

from __future__ import annotations

import socket
import threading
import time
from typing import Iterator

import pytest

from nodemap.errors import XmlError
from nodemap.httpfetch import fetch

BODY = b"<RegisterDescription/>" * 10


class Server:
    """One-connection-at-a-time HTTP server on 127.0.0.1 sending ``chunks`` (each with an
    optional pause before it) to whoever connects; bounded by count and a stop event."""

    def __init__(self, chunks: list[tuple[float, bytes]]) -> None:
        self.chunks = chunks
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(4)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/cam.xml"
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        self.sock.settimeout(0.1)
        for _ in range(3000):                                 # 5 minutes at most
            if self.stop.is_set():
                return
            try:
                conn, _ = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            with conn:
                try:
                    conn.recv(4096)
                    for pause, data in self.chunks:
                        if pause and self.stop.wait(pause):   # the stimulus: a slow server
                            return
                        conn.sendall(data)
                except OSError:
                    continue                                  # the client hung up

    def close(self) -> None:
        self.stop.set()
        self.thread.join(10)
        self.sock.close()


@pytest.fixture
def serve() -> Iterator:
    servers: list[Server] = []

    def start(*chunks: bytes | tuple[float, bytes]) -> Server:
        server = Server([c if isinstance(c, tuple) else (0.0, c) for c in chunks])
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()


def _ok(body: bytes = BODY, extra: bytes = b"") -> bytes:
    return b"HTTP/1.0 200 OK\r\nContent-Length: %d\r\n%s\r\n" % (len(body), extra) + body


def test_a_whole_body_arrives_with_progress(serve) -> None:
    server = serve(_ok())
    seen: list[tuple[int, int]] = []
    assert fetch(server.url, limit=1 << 20, progress=lambda d, t: seen.append((d, t))) == BODY
    assert seen and seen[-1] == (len(BODY), len(BODY))


@pytest.mark.parametrize("answer, message", [
    (b"garbage\r\n\r\n", r"not a valid HTTP answer \(BadStatusLine"),
    (b"HTTP/1.0 200 OK\r\nContent-Length: abc\r\n\r\n" + BODY,
     "announced Content-Length 'abc', not a number"),
    (b"HTTP/1.0 200 OK\r\nContent-Length: 3000\r\n\r\n" + BODY[:50],
     "sent 50 of the 3000 bytes it announced"),
    (b"HTTP/1.0 404 Not Found\r\n\r\n", "HTTP Error 404: Not Found"),
    (b"HTTP/1.0 200 OK\r\nContent-Length: 999999999\r\n\r\n", "announces 999999999 bytes"),
    (b"HTTP/1.0 200 OK\r\n\r\n" + b"x" * 5000, "more than 4096 bytes"),
    (b"", "cannot download"),
])
def test_hostile_answers_are_xml_errors_naming_the_url(serve, answer: bytes,
                                                        message: str) -> None:
    server = serve(answer)
    with pytest.raises(XmlError, match=message) as info:
        fetch(server.url, limit=4096)
    assert server.url in str(info.value)


@pytest.mark.timeout(60)
@pytest.mark.parametrize("where", ["body", "headers"])
def test_a_server_dripping_bytes_is_cut_off_at_the_deadline(serve, where: str) -> None:
    head = b"HTTP/1.0 200 OK\r\n" if where == "headers" else \
        b"HTTP/1.0 200 OK\r\nContent-Length: 100000\r\n\r\n"
    drip = b"X-Slow: 1\r\n" if where == "headers" else b"<"
    server = serve(head, *[(0.02, drip)] * 5000)       # 100 s if nobody stopped it
    started = time.monotonic()
    with pytest.raises(XmlError, match=r"no complete answer within 1 s \(\d+ bytes arrived\)"):
        fetch(server.url, limit=1 << 20, timeout=5, deadline=1.0)
    # a lower bound only: the watchdog, not a socket timeout, ended it
    assert time.monotonic() - started >= 1.0


def test_nothing_listening_is_an_xml_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(XmlError, match="cannot download .*refused"):
        fetch(f"http://127.0.0.1:{port}/x.xml", limit=4096)
