"""Fixtures: simulated SXH485 lines served on a real pty (POSIX) or pyserial socket://."""

from __future__ import annotations

import os
from typing import Iterator

import attrs
import pytest

from nodemap.transports.sxh485.bus import Bus
from nodemap.transports.sxh485.device import (Faults, PtyServer, SimulatedCamera, SimulatedLine,
                                      TcpServer)

POSIX = os.name == "posix"
TRANSPORTS = [pytest.param("pty", marks=pytest.mark.skipif(not POSIX, reason="ptys need POSIX")),
              "tcp"]


@attrs.define
class Rig:
    """A running simulated line and the pyserial URL of its host end."""

    line: SimulatedLine
    server: PtyServer | TcpServer
    serial_url: str
    transport: str

    def url(self, address: int = 1, **params: object) -> str:
        query = {"address": address, "timeout": 2.0, **params}
        return f"sxh485:{self.serial_url}?" + "&".join(f"{k}={v}" for k, v in query.items())

    def camera(self, address: int) -> SimulatedCamera:
        return self.line.camera(address)


def start(transport: str, addresses: tuple[int, ...] = (1,), *, faults: Faults | None = None,
          profile: str = "seed") -> Rig:
    line = SimulatedLine([SimulatedCamera(address=a) for a in addresses], profile=profile,
                         faults=faults)
    if transport == "pty":
        pty = PtyServer(line).start()
        return Rig(line, pty, pty.path, transport)
    tcp = TcpServer(line, "127.0.0.1", 0).start()
    return Rig(line, tcp, tcp.url, transport)


def stop(rig: Rig) -> None:
    leaked = [bus for url, bus in list(Bus._open.items()) if url.startswith(rig.serial_url)]
    for bus in leaked:
        Bus._open.pop(bus.url, None)
        bus.close()
    rig.server.close()
    assert not leaked, f"test left {len(leaked)} SXH485 bus(es) open on {rig.serial_url}"


@pytest.fixture(params=TRANSPORTS)
def transport(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def rig(transport: str) -> Iterator[Rig]:
    r = start(transport)
    yield r
    stop(r)


@pytest.fixture
def pty_rig() -> Iterator[Rig]:
    if not POSIX:
        pytest.skip("ptys need POSIX")
    r = start("pty")
    yield r
    stop(r)


@pytest.fixture(autouse=True)
def _fast_socket_close(monkeypatch: pytest.MonkeyPatch) -> None:
    """pyserial's socket:// close() sleeps 0.3 s "for quick reconnects"; our simulated
    server needs no such pause, and dozens of closes would slow the suite down."""
    import socket

    from serial.urlhandler import protocol_socket

    def close(self: protocol_socket.Serial) -> None:
        if self.is_open:
            if self._socket:
                try:
                    self._socket.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                self._socket.close()
                self._socket = None
            self.is_open = False

    monkeypatch.setattr(protocol_socket.Serial, "close", close)
