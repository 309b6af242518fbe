"""Fixtures for the FCB tests: simulated cameras on a pty or loopback TCP, links that close."""

from __future__ import annotations

import os
from typing import Callable, Iterator

import pytest

from nodemap.transports.fcb.bus import open_buses
from nodemap.transports.fcb.device import SimConfig, SimServer
from nodemap.transports.fcb.link import FcbLink, open_link

HAS_PTY = hasattr(os, "openpty")

# Fast simulated lenses: a full zoom travel takes 50 ms.
FAST = dict(zoom_speed=0x7AC0 / 0.05, focus_speed=0xB000 / 0.05, one_push_time=0.01,
            power_time=0.01)


@pytest.fixture
def make_sim() -> Iterator[Callable[..., SimServer]]:
    servers: list[SimServer] = []

    def make(cameras: int = 1, transport: str = "pty", **config: object) -> SimServer:
        if transport == "pty" and not HAS_PTY:
            pytest.skip("pseudo-terminals (os.openpty) need a POSIX system")
        settings = {**FAST, **config}
        server = SimServer(cameras=cameras, config=SimConfig(**settings))  # type: ignore[arg-type]
        servers.append(server)
        return server.start_pty() if transport == "pty" else server.start_tcp("127.0.0.1", 0)

    yield make
    for server in servers:
        server.close()


@pytest.fixture
def make_link() -> Iterator[Callable[..., FcbLink]]:
    links: list[FcbLink] = []

    def make(sim: SimServer, address: int = 1, query: str = "", **options: object) -> FcbLink:
        options.setdefault("timeout", 0.5)
        options.setdefault("completion_timeout", 5.0)
        url = f"fcb:{sim.url}?address={address}" + (f"&{query}" if query else "")
        link = open_link(url, **options)
        links.append(link)
        return link

    yield make
    for link in links:
        link.close()
    assert not open_buses(), "a test left a VISCA bus open"


@pytest.fixture(params=["pty", "tcp"])
def transport(request: pytest.FixtureRequest) -> str:
    """Run a test over a real pty and over pyserial socket:// to the simulator."""
    return request.param
