"""Keepalive options and the error → ConnectionState verdicts."""

from __future__ import annotations

import errno
import socket

import pytest

from nodemap.transports.vs1.net import ServiceStates, classify_error, enable_keepalive
from nodemap.transports.vs1.protocol import ConnectionState


def test_keepalive_is_enabled_with_short_timings() -> None:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        enable_keepalive(sock, idle=1, interval=1, count=2)
        assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE) != 0
        if hasattr(socket, "TCP_KEEPIDLE"):
            assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE) == 1
        if hasattr(socket, "TCP_KEEPCNT"):
            assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT) == 2
        if hasattr(socket, "TCP_USER_TIMEOUT"):
            assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_USER_TIMEOUT) == 3000
    finally:
        sock.close()


@pytest.mark.parametrize("exc, state", [
    (socket.timeout("timed out"), ConnectionState.TimedOut),
    (ConnectionRefusedError(errno.ECONNREFUSED, "refused"), ConnectionState.Refused),
    (ConnectionResetError(errno.ECONNRESET, "reset"), ConnectionState.Dropped),
    (OSError(errno.ETIMEDOUT, "keepalive expired"), ConnectionState.TimedOut),
    (OSError(errno.EHOSTUNREACH, "unreachable"), ConnectionState.Error),
])
def test_classify_error(exc: BaseException, state: ConnectionState) -> None:
    assert classify_error(exc) is state


def test_service_states() -> None:
    states = ServiceStates()
    assert set(states.snapshot().values()) == {ConnectionState.NotConnected}
    states.set(2, ConnectionState.Refused, "port 1: refused")
    assert states.get(2) is ConnectionState.Refused and states.reason(2) == "port 1: refused"
    assert states.snapshot()["Result0"] is ConnectionState.Refused
